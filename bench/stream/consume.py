"""The Python reference of the streaming benchmark: confluent-kafka + json + pandas.

Reads N quotes from TOPIC with a fresh consumer group, in 200 ms micro-batches, each parsed
with json.loads and turned into a pandas DataFrame (symbol, ts as datetime64[ms], price), as
the Rust side builds a polars DataFrame per batch. The clock starts with the first message.
Prints `BENCH,<name>,<quotes>,<seconds>,<quotes per second>`.

    python consume.py BROKERS TOPIC N [--poll-only]

With --poll-only the messages are consumed and dropped (their payload lengths summed): the
floor librdkafka sets under the Python side.
"""

import json
import sys
import time
import uuid

import confluent_kafka
import pandas as pd
from confluent_kafka import Consumer


def main() -> None:
    brokers, topic, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    poll_only = "--poll-only" in sys.argv[4:]
    consumer = Consumer({"bootstrap.servers": brokers, "group.id": f"eddy-bench-py-{uuid.uuid4()}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False,
                         # the fetch pacing eddy's consumer uses (librdkafka's default waits 1 s)
                         "fetch.queue.backoff.ms": 10})
    consumer.subscribe([topic])
    got, t0 = 0, None
    while got < n:
        deadline = time.monotonic() + 0.2
        symbols, ts, prices = [], [], []
        while time.monotonic() < deadline:
            for m in consumer.consume(num_messages=10_000, timeout=max(0.0, deadline - time.monotonic())):
                if m.error() is not None:
                    raise SystemExit(str(m.error()))
                if t0 is None:
                    t0 = time.monotonic()
                if poll_only:
                    symbols.append(len(m.value()))
                    continue
                q = json.loads(m.value())
                symbols.append(q["symbol"])
                ts.append(q["ts"])
                prices.append(q["price"])
        if poll_only:
            got += len(symbols)
            continue
        batch = pd.DataFrame({"symbol": symbols, "ts": pd.to_datetime(ts, unit="ms"), "price": prices})
        got += len(batch)
    secs = time.monotonic() - t0
    consumer.close()
    what = "poll only (no parsing)" if poll_only else f"+ json + pandas {pd.__version__}"
    print(f"BENCH,python confluent-kafka {confluent_kafka.version()[0]} {what},"
          f"{got},{secs:.3f},{got / secs:.0f}")


if __name__ == "__main__":
    main()
