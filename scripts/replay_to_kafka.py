"""Sends the bundled quotes to a Kafka topic exactly as the prelude's `replay_to_kafka` does,
for notebooks/01-stream.ipynb with `-p backend kafka`.

Why this exists: `replay_to_kafka` is generic over its input (`impl IntoQuotes`), so a cell
that calls it compiles the whole producer, rdkafka's generics included, into the cell's own
library, which then needs librdkafka's C symbols; the prelude's `libeddy.so` does not export
them, so the cell's library fails to load ("dlopen failed") and the cell's runtime restarts.
Until the prelude has a non-generic entry point (see docs/notebooks.md, "Known issues"), the
notebook runs this script with the venv's Python instead.

What it sends is what `replay_to_kafka(brokers, topic, &to_long(&sp500()?, "Date")?,
Speed::Max)` sends: one JSON message `{"symbol", "ts" (ms since the epoch, UTC midnight),
"price"}` per stock and day, keyed by symbol, in (ts, symbol) order, on the partition Kafka's
default partitioner picks for the key (murmur2, librdkafka's `murmur2_random`), acks=all with
an idempotent producer. Prices are read from the CSV with Python's own correctly rounded
float parsing and written with `repr`, so they arrive bit for bit as the prelude reads them.

    python scripts/replay_to_kafka.py BROKERS TOPIC [--csv data/sp500_dataset.csv.gz]

Prints one line as `Produced` displays itself; exits 1 with the reason if a message was not
acknowledged or the broker does not answer.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def quotes(csv: Path) -> list[tuple[str, int, float]]:
    import pandas as pd

    wide = pd.read_csv(csv, float_precision="round_trip")
    long = wide.melt(id_vars="Date", var_name="symbol", value_name="price").dropna()
    long["ts"] = pd.to_datetime(long["Date"]).astype("int64") // 1_000_000
    long = long.sort_values(["ts", "symbol"], kind="stable")
    return list(zip(long["symbol"], long["ts"].astype(int), long["price"].astype(float)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("brokers")
    parser.add_argument("topic")
    parser.add_argument("--csv", type=Path, default=REPO / "data" / "sp500_dataset.csv.gz")
    args = parser.parse_args()

    from confluent_kafka import KafkaException, Producer
    from confluent_kafka.admin import AdminClient

    config = {"bootstrap.servers": args.brokers, "socket.timeout.ms": 5000}
    try:
        meta = AdminClient(config).list_topics(args.topic, timeout=5)
    except KafkaException as e:
        print(f"replay_to_kafka.py: cannot reach the Kafka broker at {args.brokers} within 5 s ({e}): "
              "start the broker with services/kafka.sh start", file=sys.stderr)
        return 1
    topic = meta.topics.get(args.topic)
    if topic is None or topic.error is not None or not topic.partitions:
        print(f"replay_to_kafka.py: topic `{args.topic}` does not exist on {args.brokers}: create it "
              "first (create_topic in a cell, or services/kafka.sh create-topic)", file=sys.stderr)
        return 1
    per_partition = [0] * len(topic.partitions)
    failures: list[str] = []

    def delivered(err, msg):
        if err is not None:
            failures.append(str(err))
        else:
            per_partition[msg.partition()] += 1

    producer = Producer({**config, "acks": "all", "enable.idempotence": True, "linger.ms": 5,
                         "partitioner": "murmur2_random", "queue.buffering.max.messages": 1_000_000,
                         "message.timeout.ms": 30000})
    rows = quotes(args.csv)
    t0 = time.monotonic()
    for symbol, ts, price in rows:
        payload = json.dumps({"symbol": symbol, "ts": ts, "price": price})
        while True:
            try:
                producer.produce(args.topic, key=symbol.encode(), value=payload.encode(), on_delivery=delivered)
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    left = producer.flush(60)
    secs = time.monotonic() - t0
    if left or failures:
        print(f"replay_to_kafka.py: {left + len(failures)} of {len(rows)} quotes not acknowledged "
              f"({failures[:3]})", file=sys.stderr)
        return 1
    sent = sum(per_partition)
    print(f"{sent} quotes to `{args.topic}` in {secs:.2f} s ({sent / secs:.0f}/s), per partition {per_partition}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
