//! The streaming benchmark's Rust sides, as `#[ignore]`d tests run one by one by
//! `bench/stream/run.sh` (pinned to one core with `taskset`): fill a topic, consume it with
//! this API, consume it with a bare rdkafka + serde_json loop, and measure end-to-end latency.
//! Each prints one CSV line `BENCH,<name>,<quotes>,<seconds>,<quotes per second>[,...]`.
//!
//! Parameters come from the environment: `EDDY_KAFKA` (brokers), `EDDY_BENCH_TOPIC`,
//! `EDDY_BENCH_N` (quotes), `EDDY_BENCH_RATE` (quotes/s for the latency run).

use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;

use crate::stream::kafka::FETCH_QUEUE_BACKOFF_MS;
use crate::stream::quote::now_ms;
use crate::stream::*;

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn brokers() -> String {
    env("EDDY_KAFKA").unwrap_or_else(|| "127.0.0.1:9092".into())
}

fn params() -> Option<(String, usize)> {
    let topic = env("EDDY_BENCH_TOPIC")?;
    let n = env("EDDY_BENCH_N")?.parse().ok()?;
    Some((topic, n))
}

fn market(symbols: usize) -> Market {
    let all = crate::sp500().unwrap();
    let names: Vec<String> = all.get_column_names()[1..]
        .iter()
        .take(symbols)
        .map(|s| s.to_string())
        .collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    Market::from_prices(&all).unwrap().symbols(&refs).unwrap()
}

fn group() -> String {
    format!("eddy-bench-{}-{}", std::process::id(), now_ms())
}

#[test]
#[ignore = "benchmark: run by bench/stream/run.sh"]
fn bench_fill_topic() {
    let Some((topic, n)) = params() else { return };
    create_topic(&brokers(), &topic, 3).unwrap();
    let quotes = market(20)
        .rate(1_000_000.0)
        .start(now_ms())
        .quotes(n)
        .unwrap();
    let sent = replay_to_kafka(&brokers(), &topic, &quotes, Speed::Max).unwrap();
    let secs = sent.elapsed.as_secs_f64();
    println!(
        "BENCH,produce,{},{secs:.3},{:.0}",
        sent.messages,
        sent.messages as f64 / secs
    );
}

#[test]
#[ignore = "benchmark: run by bench/stream/run.sh"]
fn bench_consume_eddy() {
    let Some((topic, n)) = params() else { return };
    // The batch interval (EDDY_BENCH_INTERVAL_MS, default 200): eddy's clock includes up to
    // one interval at each end (the bare loop's none), so shorter intervals measure closer.
    let interval: u64 = env("EDDY_BENCH_INTERVAL_MS")
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let mut batches = Stream::kafka(&brokers(), &topic, &group())
        .batches(Duration::from_millis(interval))
        .unwrap();
    let mut got = 0;
    let mut t0 = None;
    while got < n {
        let b = batches.next().unwrap().unwrap();
        if b.height() > 0 && t0.is_none() {
            // The clock starts with the first batch that has quotes: the group join is not
            // counted (each contender's clock starts the same way).
            t0 = Some(Instant::now() - Duration::from_millis(interval));
        }
        got += b.height();
    }
    let secs = t0.map_or(0.0, |t| t.elapsed().as_secs_f64());
    println!(
        "BENCH,eddy Stream::kafka batches of {interval} ms,{got},{secs:.3},{:.0}",
        got as f64 / secs
    );
}

/// A plain librdkafka consumer of `topic` in a fresh group, from the start, with the same
/// fetch pacing as eddy's consumer (librdkafka's default waits 1 s).
fn bare_consumer(topic: &str) -> BaseConsumer {
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .set("group.id", group())
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("fetch.queue.backoff.ms", FETCH_QUEUE_BACKOFF_MS)
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    consumer
}

/// The limit: librdkafka's poll and serde_json into columns, nothing else.
#[test]
#[ignore = "benchmark: run by bench/stream/run.sh"]
fn bench_consume_bare_rdkafka() {
    #[derive(serde::Deserialize)]
    struct Q<'a> {
        #[serde(borrow)]
        symbol: std::borrow::Cow<'a, str>,
        ts: i64,
        price: f64,
    }
    let Some((topic, n)) = params() else { return };
    let consumer = bare_consumer(&topic);
    let (mut symbols, mut ts, mut prices) = (Vec::new(), Vec::new(), Vec::new());
    let mut t0 = None;
    while symbols.len() < n {
        let Some(m) = consumer.poll(Duration::from_millis(100)) else {
            continue;
        };
        let m = m.unwrap();
        t0.get_or_insert_with(Instant::now);
        let q: Q<'_> = serde_json::from_slice(m.payload().unwrap_or_default()).unwrap();
        symbols.push(q.symbol.into_owned());
        ts.push(q.ts);
        prices.push(q.price);
    }
    let secs = t0.map_or(0.0, |t| t.elapsed().as_secs_f64());
    let got = symbols.len();
    println!(
        "BENCH,bare rdkafka + serde_json,{got},{secs:.3},{:.0}",
        got as f64 / secs
    );
}

/// The floor under every consumer built on librdkafka: messages polled one by one and
/// dropped, only their payload bytes counted (no JSON, no columns).
#[test]
#[ignore = "benchmark: run by bench/stream/run.sh"]
fn bench_consume_poll_only() {
    let Some((topic, n)) = params() else { return };
    let consumer = bare_consumer(&topic);
    let (mut got, mut bytes) = (0, 0);
    let mut t0 = None;
    while got < n {
        let Some(m) = consumer.poll(Duration::from_millis(100)) else {
            continue;
        };
        let m = m.unwrap();
        t0.get_or_insert_with(Instant::now);
        bytes += m.payload().map_or(0, <[u8]>::len);
        got += 1;
    }
    let secs = t0.map_or(0.0, |t| t.elapsed().as_secs_f64());
    std::hint::black_box(bytes);
    println!(
        "BENCH,rdkafka poll only (no parsing),{got},{secs:.3},{:.0}",
        got as f64 / secs
    );
}

/// End to end: quotes produced at `EDDY_BENCH_RATE` per second with `ts` = their send time,
/// consumed in 1 s batches; latency = when the batch is available − `ts`.
#[test]
#[ignore = "benchmark: run by bench/stream/run.sh"]
fn bench_latency_eddy() {
    let Some((topic, n)) = params() else { return };
    let rate: f64 = env("EDDY_BENCH_RATE")
        .and_then(|r| r.parse().ok())
        .unwrap_or(10_000.0);
    create_topic(&brokers(), &topic, 3).unwrap();
    let mut batches = Stream::kafka(&brokers(), &topic, &group())
        .batches(Duration::from_secs(1))
        .unwrap();
    // Join the group before producing: the first batches are empty.
    for _ in 0..3 {
        batches.next().unwrap().unwrap();
    }
    let (b, t) = (brokers(), topic.clone());
    let producer = std::thread::spawn(move || produce_now(&b, &t, n, rate));
    let mut latencies: Vec<i64> = Vec::with_capacity(n);
    while latencies.len() < n {
        let batch = batches.next().unwrap().unwrap();
        let now = now_ms();
        let ts = batch.column("ts").unwrap().to_physical_repr();
        latencies.extend(ts.i64().unwrap().iter().map(|t| now - t.unwrap()));
    }
    producer.join().unwrap();
    latencies.sort_unstable();
    let q = |p: f64| latencies[((latencies.len() - 1) as f64 * p).round() as usize];
    println!(
        "BENCH,eddy latency at 1 s batches,{},{rate},p50 {} ms,p99 {} ms,max {} ms",
        latencies.len(),
        q(0.5),
        q(0.99),
        latencies.last().copied().unwrap_or(0)
    );
}

/// Sends `n` quotes at `rate` per second, each with `ts` = its send time.
fn produce_now(brokers: &str, topic: &str, n: usize, rate: f64) {
    use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
    let producer: BaseProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("acks", "all")
        .set("linger.ms", "5")
        .create()
        .unwrap();
    let symbols = ["AAPL", "MSFT", "JPM", "KO", "XOM", "PEP", "GE", "HD"];
    let started = Instant::now();
    let mut payload = Vec::new();
    for i in 0..n {
        let due = started + Duration::from_secs_f64(i as f64 / rate);
        while Instant::now() < due {
            producer.poll(due - Instant::now());
        }
        let symbol = symbols[i % symbols.len()];
        payload.clear();
        crate::stream::quote::write_json(&mut payload, symbol, now_ms(), 100.0 + i as f64 * 1e-3);
        let mut record = BaseRecord::to(topic)
            .key(symbol)
            .payload(payload.as_slice());
        while let Err((_, r)) = producer.send(record) {
            record = r;
            producer.poll(Duration::from_millis(10));
        }
        producer.poll(Duration::ZERO);
    }
    producer.flush(Duration::from_secs(30)).unwrap();
}
