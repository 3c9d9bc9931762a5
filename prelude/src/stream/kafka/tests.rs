//! Tests against the real broker started by `services/kafka.sh start`. They are `#[ignore]`d
//! (they need the broker and Python's confluent-kafka, the reference client):
//!
//! ```text
//! services/kafka.sh start
//! EDDY_KAFKA=127.0.0.1:9092 cargo test --release --locked -p eddy-prelude --lib stream::kafka -- --ignored
//! ```
//!
//! `EDDY_KAFKA` (default `127.0.0.1:9092`) names the broker, `EDDY_PYTHON` the Python with
//! confluent-kafka (default: the project's venv). Each test uses its own topics and groups.
//! The crash and rebalance tests run consumers as child processes: this same test binary,
//! running only [`child_consumer`], killed with SIGKILL.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use polars::prelude::*;

use crate::stream::quote::partition_for;
use crate::stream::tests::{
    DAY, aggs, assert_frames_close, expected_states, expected_windows, running_state, sample,
};
use crate::stream::*;

fn brokers() -> String {
    std::env::var("EDDY_KAFKA").unwrap_or_else(|_| "127.0.0.1:9092".into())
}

fn unique(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("eddy-test-{name}-{}-{nanos:x}", std::process::id())
}

/// A new topic with `partitions` partitions.
fn fresh_topic(name: &str, partitions: i32) -> String {
    let topic = unique(name);
    create_topic(&brokers(), &topic, partitions).unwrap_or_else(|e| {
        panic!("{e}\n(the Kafka tests need the broker: services/kafka.sh start, or EDDY_KAFKA)")
    });
    topic
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(unique(name));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The Python that has confluent-kafka.
fn python() -> PathBuf {
    if let Ok(p) = std::env::var("EDDY_PYTHON") {
        return p.into();
    }
    let home = std::env::var("EDDY_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            let data = std::env::var("XDG_DATA_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|_| {
                    PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".local/share")
                });
            data.join("eddy")
        });
    let p = home.join("venv/bin/python");
    assert!(
        p.exists(),
        "{} not found: the Kafka tests use confluent-kafka from the project's venv (./install.sh), or set EDDY_PYTHON",
        p.display()
    );
    p
}

/// Runs a Python script with arguments; panics with its output if it fails.
fn run_python(script: &str, args: &[&str]) -> String {
    let out = Command::new(python())
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "python failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `(symbol, ts, price)` rows of a frame, sorted.
fn rows(frame: &DataFrame) -> Vec<(String, i64, f64)> {
    let s = frame.column("symbol").unwrap().str().unwrap().clone();
    let t = frame.column("ts").unwrap().to_physical_repr();
    let t = t.i64().unwrap().clone();
    let p = frame.column("price").unwrap().f64().unwrap().clone();
    let mut out: Vec<(String, i64, f64)> = (0..frame.height())
        .map(|i| {
            (
                s.get(i).unwrap().to_string(),
                t.get(i).unwrap(),
                p.get(i).unwrap(),
            )
        })
        .collect();
    out.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    out
}

/// Compares row lists, reporting the sizes and the first difference (not the lists).
fn assert_same_rows(got: &[(String, i64, f64)], want: &[(String, i64, f64)], what: &str) {
    let first = got.iter().zip(want).position(|(g, w)| g != w);
    assert!(
        got.len() == want.len() && first.is_none(),
        "{what}: {} rows vs {} expected; first difference at {first:?}: {:?} vs {:?}",
        got.len(),
        want.len(),
        first.map(|i| &got[i]),
        first.map(|i| &want[i]),
    );
}

/// Reads a processing-time stream until `n` quotes came, then one more second to see that
/// no more come; returns them all.
fn consume(stream: Stream, n: usize, timeout: Duration) -> (DataFrame, StreamStats) {
    let mut batches = stream.batches(Duration::from_millis(200)).unwrap();
    let mut frames = Vec::new();
    let mut got = 0;
    let t0 = Instant::now();
    while got < n {
        assert!(
            t0.elapsed() < timeout,
            "only {got} of {n} quotes after {timeout:?}"
        );
        let b = batches.next().unwrap().unwrap();
        got += b.height();
        frames.push(b);
    }
    for _ in 0..5 {
        let b = batches.next().unwrap().unwrap();
        assert_eq!(b.height(), 0, "more quotes than the {n} sent: {b}");
    }
    batches.commit().unwrap();
    let stats = batches.stats();
    (
        crate::stream::frame::concat(frames).unwrap().unwrap(),
        stats,
    )
}

#[test]
#[ignore = "needs the Kafka broker (services/kafka.sh start)"]
fn kafka_gives_the_same_batches_as_the_embedded_replay() {
    let (b, topic) = (brokers(), fresh_topic("same-batches", 3));
    let wide = sample(&["AAPL", "JPM", "KO", "XOM", "GE"], 150);
    let sent = replay_to_kafka(&b, &topic, &wide, Speed::Max).unwrap();
    assert_eq!(sent.messages, 750);
    let want: Vec<DataFrame> = Stream::replay(&wide)
        .partitions(3)
        .batches(Trigger::event_time(DAY))
        .unwrap()
        .collect::<crate::Result<_>>()
        .unwrap();
    assert_eq!(want.len(), 150);
    let got: Vec<DataFrame> = Stream::kafka(&b, &topic, &unique("g"))
        .batches(Trigger::event_time(DAY))
        .unwrap()
        .take(want.len())
        .collect::<crate::Result<_>>()
        .unwrap();
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert!(g.equals(w), "batch {i}: kafka\n{g}\nreplay\n{w}");
    }
    // Partitions really are Kafka's: 5 symbols spread over the 3 partitions.
    let all = crate::stream::frame::concat(got).unwrap().unwrap();
    let parts = all.column("partition").unwrap().i32().unwrap().clone();
    let syms = all.column("symbol").unwrap().str().unwrap().clone();
    for (p, s) in parts.iter().zip(syms.iter()) {
        assert_eq!(p.unwrap(), partition_for(s.unwrap().as_bytes(), 3));
    }
}

#[test]
#[ignore = "needs the Kafka broker (services/kafka.sh start)"]
fn kafka_windows_and_state_equal_a_batch_computation() {
    let (b, topic) = (brokers(), fresh_topic("windows", 2));
    let wide = sample(&["JPM", "KO", "XOM"], 60);
    let quotes = (&wide).into_quotes().unwrap();
    replay_to_kafka(&b, &topic, &wide, Speed::Max).unwrap();

    let want = expected_windows(&quotes, 5);
    let got: Vec<DataFrame> = Stream::kafka(&b, &topic, &unique("w"))
        .window(DAY * 5, DAY)
        .reduce_by_key("symbol", aggs())
        .batches(Trigger::event_time(DAY))
        .unwrap()
        .take(want.len())
        .collect::<crate::Result<_>>()
        .unwrap();
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_frames_close(g, w, &format!("window {i}"));
    }

    let want = expected_states(&quotes);
    let got: Vec<DataFrame> = running_state(Stream::kafka(&b, &topic, &unique("s")))
        .batches(Trigger::event_time(DAY))
        .unwrap()
        .take(want.len())
        .collect::<crate::Result<_>>()
        .unwrap();
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_frames_close(g, w, &format!("state {i}"));
    }
}

const PY_PRODUCE: &str = r#"
import json, random, sys
from datetime import datetime, timezone
from confluent_kafka import Producer
brokers, topic, n, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
rng = random.Random(7)
symbols = ["AAPL", "MSFT", "JPM", "KO", "XOM", "PEP", "GE"]
producer = Producer({"bootstrap.servers": brokers, "acks": "all", "enable.idempotence": True, "linger.ms": 5})
errors, expected = [], []
def on_delivery(err, msg):
    if err is not None:
        errors.append(str(err))
for i in range(n):
    symbol = symbols[i % len(symbols)]
    ts = 1_600_000_000_000 + i * 37
    price = round(rng.uniform(1, 500), rng.randint(0, 6))
    # Every tenth ts as an ISO 8601 string, the rest as milliseconds.
    ts_field = ts if i % 10 else datetime.fromtimestamp(ts / 1000, tz=timezone.utc).isoformat(timespec="milliseconds")
    producer.produce(topic, key=symbol, value=json.dumps({"symbol": symbol, "ts": ts_field, "price": price}), on_delivery=on_delivery)
    producer.poll(0)
    expected.append([symbol, ts, repr(price)])  # repr: the exact float, read back by Rust's parse
assert producer.flush(30) == 0 and not errors, errors
json.dump(expected, open(out, "w"))
"#;

#[test]
#[ignore = "needs the Kafka broker (services/kafka.sh start) and confluent-kafka"]
fn quotes_from_python_confluent_kafka_arrive_exactly() {
    let (b, topic) = (brokers(), fresh_topic("from-python", 3));
    let dir = scratch("from-python");
    let expected_path = dir.join("expected.json");
    let n = 5_000;
    run_python(
        PY_PRODUCE,
        &[&b, &topic, &n.to_string(), expected_path.to_str().unwrap()],
    );
    // Prices as Python's repr, parsed here with Rust's correctly rounded parse (serde_json's
    // float reading may be one unit in the last place off).
    let expected: Vec<(String, i64, String)> =
        serde_json::from_slice(&std::fs::read(&expected_path).unwrap()).unwrap();
    let mut expected: Vec<(String, i64, f64)> = expected
        .into_iter()
        .map(|(s, t, p)| (s, t, p.parse().unwrap()))
        .collect();
    expected.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    let (frame, stats) = consume(
        Stream::kafka(&b, &topic, &unique("g")),
        n,
        Duration::from_secs(60),
    );
    assert_eq!(frame.height(), n);
    assert_same_rows(&rows(&frame), &expected, "python to rust"); // exact prices and times
    assert_eq!((stats.messages, stats.dead_lettered), (n as u64, 0));
    assert!(stats.commits >= 1);
    std::fs::remove_dir_all(dir).unwrap();
}

const PY_CONSUME: &str = r#"
import json, sys, time, uuid
from confluent_kafka import Consumer
brokers, topic, n, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
consumer = Consumer({"bootstrap.servers": brokers, "group.id": f"py-{uuid.uuid4()}",
                     "auto.offset.reset": "earliest", "enable.auto.commit": False})
consumer.subscribe([topic])
got, deadline = [], time.monotonic() + 60
while len(got) < n and time.monotonic() < deadline:
    for m in consumer.consume(num_messages=1000, timeout=0.5):
        if m.error() is not None:
            raise SystemExit(str(m.error()))
        v = json.loads(m.value())
        got.append([m.partition(), m.offset(), m.key().decode(), v["symbol"], v["ts"], repr(v["price"])])
extra = [m for m in consumer.consume(num_messages=10, timeout=1.0) if m.error() is None]
consumer.close()
json.dump({"got": got, "extra": len(extra)}, open(out, "w"))
"#;

#[test]
#[ignore = "needs the Kafka broker (services/kafka.sh start) and confluent-kafka"]
fn quotes_to_python_confluent_kafka_arrive_exactly() {
    let (b, topic) = (brokers(), fresh_topic("to-python", 3));
    let market = Market::from_prices(&crate::sp500().unwrap())
        .unwrap()
        .symbols(&["AAPL", "MSFT", "JPM", "KO", "XOM"])
        .unwrap()
        .seed(3)
        .start(1_650_000_000_000);
    let n = 5_000;
    let quotes = market.quotes(n).unwrap();
    let sent = replay_to_kafka(&b, &topic, &quotes, Speed::Max).unwrap();
    assert_eq!(sent.messages, n as u64);
    let dir = scratch("to-python");
    let out = dir.join("got.json");
    run_python(
        PY_CONSUME,
        &[&b, &topic, &n.to_string(), out.to_str().unwrap()],
    );
    #[derive(serde::Deserialize)]
    struct Got {
        got: Vec<(i32, i64, String, String, i64, String)>,
        extra: usize,
    }
    let got: Got = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!((got.got.len(), got.extra), (n, 0));
    // Per partition: offsets 0, 1, 2… in the order sent, keyed and partitioned by symbol.
    let mut by_partition: BTreeMap<i32, Vec<(i64, String, i64, f64)>> = BTreeMap::new();
    for (p, o, key, symbol, ts, price) in got.got {
        assert_eq!(key, symbol);
        assert_eq!(p, partition_for(symbol.as_bytes(), 3));
        let price: f64 = price.parse().unwrap();
        by_partition
            .entry(p)
            .or_default()
            .push((o, symbol, ts, price));
    }
    let want = rows_in_order(&quotes);
    for (p, mut msgs) in by_partition {
        msgs.sort_by_key(|m| m.0);
        let offsets: Vec<i64> = msgs.iter().map(|m| m.0).collect();
        assert_eq!(offsets, (0..msgs.len() as i64).collect::<Vec<_>>());
        let sent: Vec<(String, i64, f64)> = want
            .iter()
            .filter(|q| partition_for(q.0.as_bytes(), 3) == p)
            .cloned()
            .collect();
        let read: Vec<(String, i64, f64)> = msgs.into_iter().map(|m| (m.1, m.2, m.3)).collect();
        assert_same_rows(&read, &sent, &format!("partition {p}"));
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// `(symbol, ts, price)` rows in frame order.
fn rows_in_order(frame: &DataFrame) -> Vec<(String, i64, f64)> {
    let s = frame.column("symbol").unwrap().str().unwrap().clone();
    let t = frame.column("ts").unwrap().to_physical_repr();
    let t = t.i64().unwrap().clone();
    let p = frame.column("price").unwrap().f64().unwrap().clone();
    (0..frame.height())
        .map(|i| {
            (
                s.get(i).unwrap().to_string(),
                t.get(i).unwrap(),
                p.get(i).unwrap(),
            )
        })
        .collect()
}

const PY_MALFORMED: &str = r#"
import json, sys, time
from confluent_kafka import Producer
brokers, topic, out = sys.argv[1], sys.argv[2], sys.argv[3]
now = int(time.time() * 1000)
corpus = [
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
    (b'{"symbol": "A", "ts": 1600000000000, "price": null}', "wrong_type"),
    (json.dumps({"symbol": "A", "ts": 1600000000000, "price": float("nan")}).encode(), "invalid_price"),
    (json.dumps({"symbol": "A", "ts": 1600000000000, "price": float("inf")}).encode(), "invalid_price"),
    (b'{"symbol": "A", "ts": 1600000000000, "price": -3.5}', "invalid_price"),
    (b'{"symbol": "A", "ts": 1600000000000, "price": 0}', "invalid_price"),
    (b'{"symbol": "A", "ts": "yesterday", "price": 1.5}', "invalid_ts"),
    (json.dumps({"symbol": "A", "ts": now + 10 * 365 * 86400000, "price": 1.5}).encode(), "future_ts"),
    (b'{"symbol": "A", "ts": "2999-01-01T00:00:00Z", "price": 1.5}', "future_ts"),
]
producer = Producer({"bootstrap.servers": brokers, "acks": "all", "enable.idempotence": True})
offsets, errors = {}, []
def on_delivery(err, msg):
    if err is not None:
        errors.append(str(err))
    else:
        offsets[msg.offset()] = msg.value()
bad, valid = {}, 0
for i, (value, code) in enumerate(corpus):
    # A valid quote before each malformed one: the stream goes on.
    producer.produce(topic, key=b"V", value=json.dumps({"symbol": "V", "ts": 1600000000000 + i, "price": 10.0 + i}).encode(), partition=0, on_delivery=on_delivery)
    valid += 1
    producer.produce(topic, key=b"M", value=value, partition=0, on_delivery=on_delivery)
    producer.flush(10)
    bad[max(offsets)] = {"code": code, "value": None if value is None else value.hex()}
assert producer.flush(30) == 0 and not errors, errors
json.dump({"valid": valid, "bad": bad}, open(out, "w"))
"#;

const PY_READ_DLQ: &str = r#"
import json, sys, time, uuid
from confluent_kafka import Consumer
brokers, topic, n, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
consumer = Consumer({"bootstrap.servers": brokers, "group.id": f"py-{uuid.uuid4()}",
                     "auto.offset.reset": "earliest", "enable.auto.commit": False})
consumer.subscribe([topic])
got, deadline = [], time.monotonic() + 60
while len(got) < n and time.monotonic() < deadline:
    for m in consumer.consume(num_messages=100, timeout=0.5):
        if m.error() is not None:
            raise SystemExit(str(m.error()))
        got.append({"headers": {k: v.decode() for k, v in (m.headers() or [])},
                    "key": None if m.key() is None else m.key().hex(),
                    "value": None if m.value() is None else m.value().hex()})
extra = [m for m in consumer.consume(num_messages=10, timeout=1.0) if m.error() is None]
consumer.close()
json.dump({"got": got, "extra": len(extra)}, open(out, "w"))
"#;

#[test]
#[ignore = "needs the Kafka broker (services/kafka.sh start) and confluent-kafka"]
fn a_malformed_corpus_is_fully_dead_lettered_with_reasons() {
    let (b, topic) = (brokers(), fresh_topic("malformed", 1));
    let dir = scratch("malformed");
    let corpus_path = dir.join("corpus.json");
    run_python(PY_MALFORMED, &[&b, &topic, corpus_path.to_str().unwrap()]);
    #[derive(serde::Deserialize)]
    struct Bad {
        code: String,
        value: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct Corpus {
        valid: usize,
        bad: BTreeMap<String, Bad>,
    }
    let corpus: Corpus = serde_json::from_slice(&std::fs::read(&corpus_path).unwrap()).unwrap();
    let n_bad = corpus.bad.len();
    assert_eq!(n_bad, 19);

    let mut batches = Stream::kafka(&b, &topic, &unique("g"))
        .batches(Duration::from_millis(200))
        .unwrap();
    let t0 = Instant::now();
    let mut valid = 0;
    while valid < corpus.valid || batches.stats().dead_lettered < n_bad as u64 {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "{}",
            batches.stats()
        );
        valid += batches.next().unwrap().unwrap().height();
    }
    batches.commit().unwrap();
    let stats = batches.stats();
    assert_eq!((valid, stats.dead_lettered), (corpus.valid, n_bad as u64));
    let mut want_codes: BTreeMap<String, u64> = BTreeMap::new();
    for bad in corpus.bad.values() {
        *want_codes.entry(bad.code.clone()).or_default() += 1;
    }
    assert_eq!(stats.dead_letter_codes, want_codes);
    assert_eq!(stats.last_dead_letters.len(), 5);
    drop(batches);

    let out = dir.join("dlq.json");
    let dlq = format!("{topic}.dlq");
    run_python(
        PY_READ_DLQ,
        &[&b, &dlq, &n_bad.to_string(), out.to_str().unwrap()],
    );
    #[derive(serde::Deserialize)]
    struct Letter {
        headers: BTreeMap<String, String>,
        key: Option<String>,
        value: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct Letters {
        got: Vec<Letter>,
        extra: usize,
    }
    let letters: Letters = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!((letters.got.len(), letters.extra), (n_bad, 0));
    for letter in &letters.got {
        let h = &letter.headers;
        assert_eq!(h["source.topic"], topic);
        assert_eq!(h["source.partition"], "0");
        let bad = &corpus.bad[&h["source.offset"]];
        assert_eq!(h["error"], bad.code, "{:?}", h);
        assert!(h["reason"].len() > 5, "{:?}", h);
        assert_eq!(letter.key.as_deref(), Some("4d")); // b"M": the original key
        assert_eq!(letter.value, bad.value, "the payload goes unchanged");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
#[ignore = "needs the Kafka broker (services/kafka.sh start)"]
fn a_stopped_stream_resumes_from_its_committed_offsets() {
    let (b, topic) = (brokers(), fresh_topic("resume", 3));
    let group = unique("g");
    let market = Market::from_prices(&crate::sp500().unwrap())
        .unwrap()
        .symbols(&["KO", "PEP", "XOM", "GE"])
        .unwrap()
        .start(1_650_000_000_000);
    let quotes = market.quotes(3_000).unwrap();
    replay_to_kafka(&b, &topic, quotes.slice(0, 2_000), Speed::Max).unwrap();
    let seen = Arc::new(Mutex::new(Vec::<DataFrame>::new()));
    let sink = |seen: &Arc<Mutex<Vec<DataFrame>>>| {
        let seen = seen.clone();
        move |df: &DataFrame| {
            seen.lock().unwrap().push(df.clone());
            Ok(())
        }
    };
    let count = |seen: &Arc<Mutex<Vec<DataFrame>>>| {
        seen.lock()
            .unwrap()
            .iter()
            .map(|d| d.height())
            .sum::<usize>()
    };
    let job = Stream::kafka(&b, &topic, &group)
        .foreach_batch(sink(&seen))
        .start(Duration::from_millis(200))
        .unwrap();
    let t0 = Instant::now();
    while count(&seen) < 2_000 {
        assert!(t0.elapsed() < Duration::from_secs(30), "{}", job.stats());
        std::thread::sleep(Duration::from_millis(50));
    }
    let stats = job.stop().unwrap();
    assert_eq!(
        (stats.messages, stats.state.clone()),
        (2_000, StreamState::Stopped)
    );
    drop(job);

    replay_to_kafka(&b, &topic, quotes.slice(2_000, 1_000), Speed::Max).unwrap();
    let job = Stream::kafka(&b, &topic, &group)
        .foreach_batch(sink(&seen))
        .start(Duration::from_millis(200))
        .unwrap();
    let t0 = Instant::now();
    while count(&seen) < 3_000 {
        assert!(t0.elapsed() < Duration::from_secs(30), "{}", job.stats());
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(1_500)); // nothing more comes
    let second = job.stop().unwrap();
    // A clean stop commits: the second run reads only the new quotes, once each.
    assert_eq!(second.messages, 1_000, "{second}");
    let all = crate::stream::frame::concat(seen.lock().unwrap().clone())
        .unwrap()
        .unwrap();
    assert_same_rows(&rows(&all), &rows(&quotes), "resumed stream");
    assert_eq!(second.lag, Some(0), "{second}");
}

/// Environment of a child consumer process.
const CHILD_ENV: &str = "EDDY_STREAM_CHILD";

/// A consumer process for the crash and rebalance tests: reads `EDDY_STREAM_CHILD` =
/// `brokers|topic|group|sqlite path|name|until|slow ms`, upserts every batch into the SQLite
/// sink by `(symbol, ts)`, logs each delivery, and stops cleanly once the sink holds
/// `until` quotes. Does nothing without the variable.
#[test]
#[ignore = "run by the crash and rebalance tests as a child process"]
fn child_consumer() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let parts: Vec<&str> = spec.split('|').collect();
    let [brokers, topic, group, db, name, until, slow] = parts[..] else {
        panic!("bad {CHILD_ENV}: {spec}");
    };
    let until: i64 = until.parse().unwrap();
    let slow = Duration::from_millis(slow.parse().unwrap());
    let sink = open_sink(Path::new(db));
    let name = name.to_string();
    let mut conn = sink;
    let job = Stream::kafka(brokers, topic, group)
        .foreach_batch(move |df| {
            upsert(&mut conn, df, &name);
            std::thread::sleep(slow); // a slow sink: a kill lands between output and commit
            Ok(())
        })
        .start(Duration::from_millis(100))
        .unwrap();
    let check = open_sink(Path::new(db));
    loop {
        std::thread::sleep(Duration::from_millis(100));
        let n: i64 = check
            .query_row("SELECT COUNT(*) FROM quotes", [], |r| r.get(0))
            .unwrap();
        if n >= until || !job.is_active() {
            break;
        }
    }
    let stats = job.stop().unwrap();
    println!("child {spec}: {stats}");
}

fn open_sink(path: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.busy_timeout(Duration::from_secs(30)).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode=WAL;
         CREATE TABLE IF NOT EXISTS quotes(symbol TEXT NOT NULL, ts INTEGER NOT NULL,
             price REAL NOT NULL, partition INTEGER, offset INTEGER, consumer TEXT,
             PRIMARY KEY (symbol, ts));
         CREATE TABLE IF NOT EXISTS deliveries(consumer TEXT, rows INTEGER);",
    )
    .unwrap();
    conn
}

/// The idempotent sink: an upsert by `(symbol, ts)`, plus a log of raw deliveries.
fn upsert(conn: &mut rusqlite::Connection, df: &DataFrame, consumer: &str) {
    let s = df.column("symbol").unwrap().str().unwrap().clone();
    let t = df.column("ts").unwrap().to_physical_repr();
    let t = t.i64().unwrap().clone();
    let p = df.column("price").unwrap().f64().unwrap().clone();
    let part = df.column("partition").unwrap().i32().unwrap().clone();
    let off = df.column("offset").unwrap().i64().unwrap().clone();
    let tx = conn.transaction().unwrap();
    {
        let mut stmt = tx
            .prepare(
                "INSERT INTO quotes VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(symbol, ts) DO UPDATE SET price = excluded.price,
                 partition = excluded.partition, offset = excluded.offset, consumer = excluded.consumer",
            )
            .unwrap();
        for i in 0..df.height() {
            stmt.execute(rusqlite::params![
                s.get(i).unwrap(),
                t.get(i).unwrap(),
                p.get(i).unwrap(),
                part.get(i).unwrap(),
                off.get(i).unwrap(),
                consumer
            ])
            .unwrap();
        }
        tx.execute(
            "INSERT INTO deliveries VALUES (?1, ?2)",
            rusqlite::params![consumer, df.height() as i64],
        )
        .unwrap();
    }
    tx.commit().unwrap();
}

/// Starts a child consumer process.
fn spawn_child(
    topic: &str,
    group: &str,
    db: &Path,
    name: &str,
    until: usize,
    slow_ms: u64,
) -> Child {
    let log = std::fs::File::create(db.with_extension(format!("{name}.log"))).unwrap();
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "stream::kafka::tests::child_consumer",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(
            CHILD_ENV,
            format!(
                "{}|{topic}|{group}|{}|{name}|{until}|{slow_ms}",
                brokers(),
                db.display()
            ),
        )
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .stdin(Stdio::null())
        .spawn()
        .unwrap()
}

fn sink_count(db: &Path, consumer: Option<&str>) -> i64 {
    let conn = open_sink(db);
    match consumer {
        Some(c) => conn
            .query_row(
                "SELECT COUNT(*) FROM quotes WHERE consumer = ?1",
                [c],
                |r| r.get(0),
            )
            .unwrap(),
        None => conn
            .query_row("SELECT COUNT(*) FROM quotes", [], |r| r.get(0))
            .unwrap(),
    }
}

fn deliveries(db: &Path) -> i64 {
    open_sink(db)
        .query_row("SELECT COALESCE(SUM(rows), 0) FROM deliveries", [], |r| {
            r.get(0)
        })
        .unwrap()
}

fn sink_rows(db: &Path) -> Vec<(String, i64, f64)> {
    let conn = open_sink(db);
    let mut stmt = conn
        .prepare("SELECT symbol, ts, price FROM quotes ORDER BY symbol, ts")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !done() {
        assert!(
            t0.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn wait_exit(child: &mut Child, timeout: Duration, db: &Path, name: &str) {
    let t0 = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let log = std::fs::read_to_string(db.with_extension(format!("{name}.log")))
                .unwrap_or_default();
            assert!(status.success(), "child {name} failed: {status}\n{log}");
            println!("{log}");
            return;
        }
        assert!(
            t0.elapsed() < timeout,
            "child {name} did not finish in {timeout:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Quotes produced in the background at `rate` per second.
fn produce_paced(
    topic: &str,
    symbols: &[&str],
    n: usize,
    rate: f64,
) -> (DataFrame, std::thread::JoinHandle<()>) {
    let market = Market::from_prices(&crate::sp500().unwrap())
        .unwrap()
        .symbols(symbols)
        .unwrap()
        .rate(rate)
        .seed(9)
        .start(1_650_000_000_000);
    let quotes = market.quotes(n).unwrap();
    let (b, t, q) = (brokers(), topic.to_string(), quotes.clone());
    let producer = std::thread::spawn(move || {
        let sent = replay_to_kafka(&b, &t, &q, Speed::Times(1.0)).unwrap();
        assert_eq!(sent.messages as usize, q.height());
    });
    (quotes, producer)
}

#[test]
#[ignore = "needs the Kafka broker (services/kafka.sh start)"]
fn kill_9_and_restart_loses_and_duplicates_nothing() {
    let topic = fresh_topic("crash", 3);
    let group = unique("g");
    let dir = scratch("crash");
    let db = dir.join("sink.sqlite");
    open_sink(&db);
    let n = 4_000;
    let (quotes, producer) = produce_paced(&topic, &["AAPL", "MSFT", "JPM", "KO"], n, 400.0);

    let mut first = spawn_child(&topic, &group, &db, "first", n, 300);
    wait_for("the first consumer's rows", Duration::from_secs(40), || {
        sink_count(&db, None) >= 1_000
    });
    first.kill().unwrap(); // SIGKILL, mid-stream
    first.wait().unwrap();
    let at_kill = sink_count(&db, None);
    let mut second = spawn_child(&topic, &group, &db, "second", n, 0);
    producer.join().unwrap();
    wait_exit(&mut second, Duration::from_secs(90), &db, "second");

    let got = sink_rows(&db);
    let delivered = deliveries(&db);
    println!(
        "crash test: {at_kill} rows at the kill, {delivered} deliveries for {n} quotes ({} redelivered)",
        delivered - n as i64
    );
    assert_same_rows(&got, &rows(&quotes), "sink after the crash");
    assert!(delivered >= n as i64);
    assert!(sink_count(&db, Some("second")) > 0);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
#[ignore = "needs the Kafka broker (services/kafka.sh start)"]
fn two_consumers_share_the_partitions_and_a_rebalance_loses_nothing() {
    let topic = fresh_topic("rebalance", 4);
    let group = unique("g");
    let dir = scratch("rebalance");
    let db = dir.join("sink.sqlite");
    open_sink(&db);
    let n = 4_500;
    let symbols = ["AAPL", "MSFT", "JPM", "KO", "XOM", "PEP", "GE", "HD"];
    let (quotes, producer) = produce_paced(&topic, &symbols, n, 300.0);

    let mut a = spawn_child(&topic, &group, &db, "a", n, 50);
    wait_for("a's rows", Duration::from_secs(40), || {
        sink_count(&db, None) >= 600
    });
    // b joins: the group rebalances and the partitions are shared.
    let mut b = spawn_child(&topic, &group, &db, "b", n, 50);
    wait_for("b's rows", Duration::from_secs(40), || {
        sink_count(&db, Some("b")) >= 300
    });
    let a_rows = sink_count(&db, Some("a"));
    // a dies: after its session times out, b owns every partition.
    a.kill().unwrap();
    a.wait().unwrap();
    producer.join().unwrap();
    wait_exit(&mut b, Duration::from_secs(90), &db, "b");

    let got = sink_rows(&db);
    println!(
        "rebalance test: a wrote {a_rows} rows before its kill, b {}, {} deliveries for {n} quotes",
        sink_count(&db, Some("b")),
        deliveries(&db)
    );
    assert!(a_rows > 0);
    assert_same_rows(&got, &rows(&quotes), "sink after the rebalances");
    std::fs::remove_dir_all(dir).unwrap();
}
