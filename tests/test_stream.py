"""Streaming in the kernel (eddy::stream) against the real Kafka broker of services/kafka.sh,
with Python's confluent-kafka as the reference client and pandas as the reference
computation, in the same run.

- The embedded replay's batches equal pandas' grouping of the same quotes.
- Quotes produced by confluent-kafka arrive in a cell exactly (values and count), and quotes
  produced by a cell arrive in confluent-kafka exactly, on Kafka's own partitions.
- A malformed corpus is dead-lettered in full, with reasons in the headers; the stream goes on.
- A running stream shows one live output, updated in place after its cell finished.
- Windows and per-symbol state on Kafka equal pandas on the same quotes.
- An unreachable broker fails a cell within 10 s, naming the fix.

The crash (kill -9, restart, nothing lost or doubled) and rebalance cases run as the Rust
tests `stream::kafka::tests` (child processes killed with SIGKILL); see docs/streaming.md.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from confluent_kafka import Consumer, Producer
from references import SP500, parse_values
from services import Kafka, kafka_broker  # noqa: F401 (the fixture is used by name)

pytestmark = pytest.mark.timeout(300)

DAY_MS = 86_400_000


def fresh_topic(kafka: Kafka, name: str, partitions: int) -> str:
    topic = f"eddy-nb-{name}-{uuid.uuid4().hex[:10]}"
    kafka.create_topic(topic, partitions)
    return topic


def sp500_long(symbols: list[str], days: int) -> pd.DataFrame:
    """The bundled prices as quotes: symbol, ts (ms since the epoch, UTC midnight), price,
    sorted by ts then symbol (the order eddy replays and produces them in)."""
    # round_trip: Python's own float parsing, correctly rounded as eddy's CSV reader.
    wide = pd.read_csv(SP500, float_precision="round_trip")[["Date", *symbols]].head(days)
    long = wide.melt(id_vars="Date", var_name="symbol", value_name="price").dropna()
    long["ts"] = pd.to_datetime(long["Date"]).astype("int64") // 1_000_000
    return long.sort_values(["ts", "symbol"], kind="stable")[["symbol", "ts", "price"]].reset_index(drop=True)


def murmur2(data: bytes) -> int:
    """Kafka's Java client's murmur2 (Utils.murmur2), as a signed 32-bit int."""
    m, r, mask = 0x5BD1E995, 24, 0xFFFFFFFF
    h = (0x9747B28C ^ len(data)) & mask
    n4 = len(data) // 4
    for i in range(n4):
        k = int.from_bytes(data[4 * i:4 * i + 4], "little")
        k = (k * m) & mask
        k ^= k >> r
        k = (k * m) & mask
        h = (h * m) & mask
        h ^= k
    rest = data[4 * n4:]
    if len(rest) >= 3:
        h ^= rest[2] << 16
    if len(rest) >= 2:
        h ^= rest[1] << 8
    if rest:
        h ^= rest[0]
        h = (h * m) & mask
    h ^= h >> 13
    h = (h * m) & mask
    h ^= h >> 15
    return h - (1 << 32) if h >= 1 << 31 else h


def kafka_partition(key: str, partitions: int) -> int:
    return (murmur2(key.encode()) & 0x7FFFFFFF) % partitions


def consume_all(kafka: Kafka, topic: str, want: int, timeout: float = 60) -> list:
    consumer = Consumer({"bootstrap.servers": kafka.bootstrap, "group.id": f"py-{uuid.uuid4()}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    got = []
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + timeout
        while len(got) < want and time.monotonic() < deadline:
            for m in consumer.consume(num_messages=1000, timeout=0.5):
                assert m.error() is None, m.error()
                got.append(m)
        extra = [m for m in consumer.consume(num_messages=10, timeout=1.0) if m.error() is None]
        assert extra == [], f"{len(extra)} messages more than the {want} expected"
    finally:
        consumer.close()
    return got


def test_kafka_partitioner_reference():
    # Kafka's UtilsTest vectors and a key checked against kafka-clients 4.1.1.
    assert murmur2(b"21") == -973932308
    assert murmur2(b"a-little-bit-long-string") == -985981536
    assert kafka_partition("JPM", 3) == 2


def test_replay_batches_equal_pandas_grouping(kernel):
    symbols = ["AAPL", "JPM", "KO"]
    cell = kernel.ok(
        f"let wide = sp500()?.select([\"Date\", {', '.join(json.dumps(s) for s in symbols)}])?.head(Some(120));\n"
        "let mut sizes = Vec::new();\n"
        "let mut sums = Vec::new();\n"
        "let mut starts = Vec::new();\n"
        "for batch in Stream::replay(&wide).partitions(3).batches(Trigger::event_time(\"1w\"))? {\n"
        "    let batch = batch?;\n"
        "    sizes.push(batch.height() as f64);\n"
        "    sums.push(batch.column(\"price\")?.f64()?.sum().unwrap_or(0.0));\n"
        "    let ts = batch.column(\"ts\")?.to_physical_repr();\n"
        "    starts.push(ts.i64()?.min().unwrap_or(0) as f64);\n"
        "}\n"
        'println!("sizes\\t{:?}", sizes);\n'
        'println!("sums\\t{:?}", sums);\n'
        'println!("starts\\t{:?}", starts);'
    )
    got = parse_values(cell.stream())
    quotes = sp500_long(symbols, 120)
    week = quotes["ts"] // (7 * DAY_MS)  # windows aligned to 1970-01-01, as Trigger::event_time
    grouped = quotes.groupby(week, sort=True)
    assert got["sizes"] == grouped.size().astype(float).tolist()
    np.testing.assert_allclose(got["sums"], grouped["price"].sum().to_numpy(), rtol=1e-12)
    assert got["starts"] == grouped["ts"].min().astype(float).tolist()


def test_quotes_from_confluent_kafka_arrive_exactly(kernel, kafka_broker):
    topic = fresh_topic(kafka_broker, "from-python", 3)
    rng = np.random.default_rng(11)
    symbols = ["AAPL", "MSFT", "JPM", "KO", "XOM"]
    n = 3000
    sent = []
    producer = Producer({"bootstrap.servers": kafka_broker.bootstrap, "acks": "all", "enable.idempotence": True})
    for i in range(n):
        symbol = symbols[i % len(symbols)]
        ts = 1_650_000_000_000 + 17 * i
        price = float(np.round(rng.uniform(1, 1000), int(rng.integers(0, 8))))
        producer.produce(topic, key=symbol, value=json.dumps({"symbol": symbol, "ts": ts, "price": price}))
        producer.poll(0)
        sent.append((symbol, ts, price))
    assert producer.flush(30) == 0

    cell = kernel.ok(
        f"let mut batches = Stream::kafka({json.dumps(kafka_broker.bootstrap)}, {json.dumps(topic)}, \"nb-{uuid.uuid4().hex}\").batches(\"200ms\")?;\n"
        "let mut all = DataFrame::empty();\n"
        "let t0 = std::time::Instant::now();\n"
        f"while all.height() < {n} && t0.elapsed().as_secs() < 60 {{\n"
        "    let b = batches.next().unwrap()?;\n"
        "    if all.width() == 0 { all = b; } else { all.vstack_mut(&b)?; }\n"
        "}\n"
        "let all = all.sort([\"symbol\", \"ts\"], Default::default())?;\n"
        "let ts = all.column(\"ts\")?.to_physical_repr();\n"
        'println!("ts\\t{:?}", ts.i64()?.into_no_null_iter().map(|t| t as f64).collect::<Vec<_>>());\n'
        'println!("price\\t{:?}", all.column("price")?.f64()?.into_no_null_iter().collect::<Vec<_>>());\n'
        'println!("symbols {}", { let s = all.column("symbol")?.str()?; (0..s.len()).filter_map(|i| s.get(i)).collect::<Vec<_>>().join(",") });\n'
        'println!("dead\\t{}", batches.stats().dead_lettered);',
        timeout=120,
    )
    got = parse_values(cell.stream())
    got_symbols = next(line for line in cell.stream().splitlines() if line.startswith("symbols "))[8:].split(",")
    want = sorted(sent, key=lambda q: (q[0], q[1]))
    assert len(got["price"]) == n
    assert got_symbols == [q[0] for q in want]
    assert got["ts"] == [float(q[1]) for q in want]
    assert got["price"] == [q[2] for q in want], "prices must come back exactly"
    assert got["dead"] == 0


def test_quotes_from_a_cell_arrive_in_confluent_kafka_exactly(kernel, kafka_broker):
    topic = fresh_topic(kafka_broker, "to-python", 3)
    symbols = ["AAPL", "BAC", "JPM", "KO", "XOM"]
    cell = kernel.ok(
        f"let wide = sp500()?.select([\"Date\", {', '.join(json.dumps(s) for s in symbols)}])?.head(Some(400));\n"
        f"let sent = replay_to_kafka({json.dumps(kafka_broker.bootstrap)}, {json.dumps(topic)}, &wide, Speed::Max)?;\n"
        'println!("messages\\t{}", sent.messages);'
    )
    want = sp500_long(symbols, 400)
    assert parse_values(cell.stream())["messages"] == len(want)
    got = consume_all(kafka_broker, topic, len(want))
    rows = []
    for m in got:
        q = json.loads(m.value())
        assert m.key().decode() == q["symbol"]
        assert m.partition() == kafka_partition(q["symbol"], 3), "Kafka's default partitioner for the key"
        rows.append((m.partition(), m.offset(), q["symbol"], q["ts"], q["price"]))
    # Per partition, offsets in the order the quotes were sent (ts, then symbol).
    for p in range(3):
        part = sorted(r for r in rows if r[0] == p)
        assert [r[1] for r in part] == list(range(len(part)))
        expected = want[want["symbol"].map(lambda s: kafka_partition(s, 3)) == p]
        assert [(r[2], r[3], r[4]) for r in part] == list(expected.itertuples(index=False, name=None))


MALFORMED = [
    (None, "not_json"),
    (b"", "not_json"),
    (b"not json at all", "not_json"),
    (b"[1, 2, 3]", "not_json"),
    (b"\xff\xfe\x00", "not_json"),
    (b'{"symbol": "A", "price": 1.5}', "missing_field"),
    (b'{"ts": 1600000000000, "price": 1.5}', "missing_field"),
    (b'{"symbol": "A", "ts": 1600000000000}', "missing_field"),
    (b'{"symbol": "A", "ts": 1600000000000, "price": "1.5"}', "wrong_type"),
    (b'{"symbol": 42, "ts": 1600000000000, "price": 1.5}', "wrong_type"),
    (b'{"symbol": "A", "ts": true, "price": 1.5}', "wrong_type"),
    (json.dumps({"symbol": "A", "ts": 1600000000000, "price": float("nan")}).encode(), "invalid_price"),
    (b'{"symbol": "A", "ts": 1600000000000, "price": -3.5}', "invalid_price"),
    (b'{"symbol": "A", "ts": "yesterday", "price": 1.5}', "invalid_ts"),
    (b'{"symbol": "A", "ts": "2999-01-01T00:00:00Z", "price": 1.5}', "future_ts"),
]


def test_malformed_messages_are_dead_lettered_with_reasons(kernel, kafka_broker):
    topic = fresh_topic(kafka_broker, "malformed", 1)
    producer = Producer({"bootstrap.servers": kafka_broker.bootstrap, "acks": "all", "enable.idempotence": True})
    offsets = {}

    def remember(err, msg):
        assert err is None, err
        offsets[msg.offset()] = msg

    expected_code = {}
    for i, (value, code) in enumerate(MALFORMED):
        producer.produce(topic, key=b"V", value=json.dumps({"symbol": "V", "ts": 1_600_000_000_000 + i, "price": 10.0 + i}),
                         on_delivery=remember)
        producer.produce(topic, key=b"M", value=value, on_delivery=remember)
        producer.flush(10)
        expected_code[max(offsets)] = code
    valid = len(MALFORMED)

    cell = kernel.ok(
        f"let mut batches = Stream::kafka({json.dumps(kafka_broker.bootstrap)}, {json.dumps(topic)}, \"nb-{uuid.uuid4().hex}\").batches(\"200ms\")?;\n"
        "let mut valid = 0;\n"
        "let t0 = std::time::Instant::now();\n"
        f"while (valid < {valid} || batches.stats().dead_lettered < {len(MALFORMED)}) && t0.elapsed().as_secs() < 60 {{\n"
        "    valid += batches.next().unwrap()?.height();\n"
        "}\n"
        "batches.commit()?;\n"
        "let stats = batches.stats();\n"
        'println!("valid\\t{}", valid);\n'
        'println!("dead_lettered\\t{}", stats.dead_lettered);\n'
        'for (code, n) in &stats.dead_letter_codes { println!("code_{code}\\t{n}"); }\n'
        "stats",
        timeout=120,
    )
    got = parse_values(cell.stream())
    assert (got["valid"], got["dead_lettered"]) == (valid, len(MALFORMED))
    for code, n in Counter(c for _, c in MALFORMED).items():
        assert got[f"code_{code}"] == n, code
    shown = cell.result("text/html") or ""
    assert "dead-lettered" in shown, "the stats show as a table"

    letters = consume_all(kafka_broker, f"{topic}.dlq", len(MALFORMED))
    for m in letters:
        headers = {k: v.decode() for k, v in m.headers()}
        assert headers["source.topic"] == topic
        offset = int(headers["source.offset"])
        assert headers["error"] == expected_code[offset], headers
        assert len(headers["reason"]) > 5, headers
        assert m.value() == offsets[offset].value(), "the payload goes to the dead-letter topic unchanged"


def test_a_running_stream_updates_one_live_output(kernel, kafka_broker):
    topic = fresh_topic(kafka_broker, "live", 2)
    stop = threading.Event()

    def produce():
        producer = Producer({"bootstrap.servers": kafka_broker.bootstrap})
        i = 0
        while not stop.is_set():
            for symbol in ("AAPL", "MSFT", "KO"):
                ts = int(time.time() * 1000)
                producer.produce(topic, key=symbol, value=json.dumps({"symbol": symbol, "ts": ts, "price": 100.0 + i % 7}))
            i += 1
            producer.poll(0)
            time.sleep(0.02)
        producer.flush(10)

    feeder = threading.Thread(target=produce, daemon=True)
    feeder.start()
    try:
        cell = kernel.ok(
            f"let job = Stream::kafka({json.dumps(kafka_broker.bootstrap)}, {json.dumps(topic)}, \"nb-{uuid.uuid4().hex}\").start(\"500ms\")?;\n"
            "let view = job.show();"
        )
        shown = [m for m in cell.outputs if m.msg_type == "display_data"]
        assert len(shown) == 1, cell.describe()
        display_id = shown[0].content["transient"]["display_id"]
        updates = []
        deadline = time.monotonic() + 30
        while len(updates) < 3 or "<svg" not in updates[-1].content["data"].get("text/html", ""):
            m = kernel.next_iopub(deadline)
            if m.msg_type == "update_display_data":
                assert m.content["transient"]["display_id"] == display_id
                updates.append(m)
        html = updates[-1].content["data"]["text/html"]
        assert "latest prices" in html and "messages/s" in html and "lag" in html, html[:2000]
        assert updates[-1].t > cell.t_idle, "updates keep coming after the cell finished"
        done = kernel.ok('let stats = job.stop()?;\nprintln!("messages\\t{}", stats.messages);\n'
                         'println!("stopped\\t{}", (stats.state == StreamState::Stopped) as i32);')
        got = parse_values(done.stream())
        assert got["messages"] > 0 and got["stopped"] == 1
    finally:
        stop.set()
        feeder.join(10)


def test_windows_and_state_on_kafka_equal_pandas(kernel, kafka_broker):
    topic = fresh_topic(kafka_broker, "windows", 2)
    symbols = ["JPM", "KO", "XOM"]
    days = 60
    quotes = sp500_long(symbols, days)
    # Windows of 5 days sliding by 1, ending at every calendar day from the first day + 1 to
    # the last + 1, holding the quotes with end - 5 days <= ts < end; empty ones skipped.
    means, counts = [], []
    first, last = quotes["ts"].min(), quotes["ts"].max()
    for end in range(first + DAY_MS, last + 2 * DAY_MS, DAY_MS):
        window = quotes[(quotes["ts"] >= end - 5 * DAY_MS) & (quotes["ts"] < end)]
        if len(window):
            g = window.groupby("symbol", sort=True)["price"]
            means += g.mean().tolist()
            counts += g.size().astype(float).tolist()
    n_windows = sum(1 for end in range(first + DAY_MS, last + 2 * DAY_MS, DAY_MS)
                    if ((quotes["ts"] >= end - 5 * DAY_MS) & (quotes["ts"] < end)).any())
    # Running state after the last day: count, sum and last price per symbol.
    state = quotes.groupby("symbol", sort=True)["price"].agg(["count", "sum", "last"])

    cell = kernel.ok(
        f"let wide = sp500()?.select([\"Date\", {', '.join(json.dumps(s) for s in symbols)}])?.head(Some({days}));\n"
        f"replay_to_kafka({json.dumps(kafka_broker.bootstrap)}, {json.dumps(topic)}, &wide, Speed::Max)?;\n"
        f"let windows = Stream::kafka({json.dumps(kafka_broker.bootstrap)}, {json.dumps(topic)}, \"nb-w-{uuid.uuid4().hex}\")\n"
        "    .window(\"5d\", \"1d\")\n"
        "    .reduce_by_key(\"symbol\", [col(\"price\").mean().alias(\"mean\"), len().alias(\"n\")])\n"
        f"    .batches(Trigger::event_time(\"1d\"))?.take({n_windows});\n"
        "let (mut means, mut counts) = (Vec::new(), Vec::new());\n"
        "for w in windows {\n"
        "    let w = w?;\n"
        "    means.extend(w.column(\"mean\")?.f64()?.into_no_null_iter());\n"
        "    counts.extend(w.column(\"n\")?.cast(&DataType::Float64)?.f64()?.into_no_null_iter());\n"
        "}\n"
        'println!("means\\t{:?}", means);\n'
        'println!("counts\\t{:?}", counts);\n'
        f"let state = Stream::kafka({json.dumps(kafka_broker.bootstrap)}, {json.dumps(topic)}, \"nb-s-{uuid.uuid4().hex}\")\n"
        "    .update_state_by_key(\"symbol\", |_symbol, rows, state| {\n"
        "        if rows.height() > 0 {\n"
        "            let price = rows.column(\"price\")?.f64()?;\n"
        "            state.add(\"count\", rows.height() as f64);\n"
        "            state.add(\"sum\", price.sum().unwrap_or(0.0));\n"
        "            state.set(\"last\", price.get(rows.height() - 1).unwrap_or(f64::NAN));\n"
        "        }\n"
        "        Ok(())\n"
        "    })\n"
        f"    .batches(Trigger::event_time(\"1d\"))?.take({days}).last().unwrap()?;\n"
        'println!("count\\t{:?}", state.column("count")?.f64()?.into_no_null_iter().collect::<Vec<_>>());\n'
        'println!("sum\\t{:?}", state.column("sum")?.f64()?.into_no_null_iter().collect::<Vec<_>>());\n'
        'println!("last\\t{:?}", state.column("last")?.f64()?.into_no_null_iter().collect::<Vec<_>>());',
        timeout=180,
    )
    got = parse_values(cell.stream())
    assert got["counts"] == counts
    np.testing.assert_allclose(got["means"], means, rtol=1e-12)
    assert got["count"] == state["count"].astype(float).tolist()
    np.testing.assert_allclose(got["sum"], state["sum"].to_numpy(), rtol=1e-12)
    assert got["last"] == state["last"].tolist()


def test_an_unreachable_broker_fails_the_cell_within_10_s(kernel):
    cell = kernel.ok(
        "let t0 = std::time::Instant::now();\n"
        'let err = Stream::kafka("127.0.0.1:1", "quotes", "notebook").batches("1s").unwrap_err();\n'
        'println!("secs\\t{}", t0.elapsed().as_secs_f64());\n'
        'println!("message {err}");'
    )
    assert parse_values(cell.stream())["secs"] < 10
    message = next(line for line in cell.stream().splitlines() if line.startswith("message "))
    assert "cannot reach the Kafka broker at 127.0.0.1:1" in message, message
    assert "services/kafka.sh start" in message, message
    # With `?`, the cell ends with that error.
    failed = kernel.execute('Stream::kafka("127.0.0.1:1", "quotes", "notebook").batches("1s")?;')
    assert failed.status == "error", failed.describe()
    assert "services/kafka.sh start" in failed.error_text(), failed.error_text()
