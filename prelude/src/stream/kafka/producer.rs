//! [`replay_to_kafka`]: quotes (the bundled prices, a CSV, a [`Market`]'s output) sent to a
//! topic as JSON messages keyed by symbol, at a multiple of real time or as fast as possible.
//!
//! [`Market`]: crate::stream::Market

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::error::KafkaError;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::types::RDKafkaErrorCode;

use super::dead_letter::{DeliveryContext, DeliveryLog};
use super::{base_config, config_error, stream_error, topic_partitions};
use crate::display::{MimeBundle, Render};
use crate::error::{Error, Result};
use crate::stream::frame::IntoQuotes;
use crate::stream::quote::{partition_for, write_json};

const OP: &str = "replay_to_kafka";

/// How fast [`replay_to_kafka`] sends.
///
/// ```
/// use eddy::stream::Speed;
///
/// let one_day_a_second = Speed::Times(86_400.0);
/// assert_ne!(one_day_a_second, Speed::Max);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Speed {
    /// As fast as the producer can.
    Max,
    /// `x` times real time: quotes `Δ` apart in event time are sent `Δ / x` apart.
    Times(f64),
}

/// What [`replay_to_kafka`] sent: every message was acknowledged by the broker (`acks=all`).
#[derive(Debug, Clone, PartialEq)]
pub struct Produced {
    /// The topic.
    pub topic: String,
    /// Messages sent and acknowledged.
    pub messages: u64,
    /// Messages per partition, index = partition.
    pub per_partition: Vec<u64>,
    /// Wall time from the first send to the last acknowledgement.
    pub elapsed: Duration,
}

impl fmt::Display for Produced {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.elapsed.as_secs_f64();
        write!(
            f,
            "{} quotes to `{}` in {:.2} s ({:.0}/s), per partition {:?}",
            self.messages,
            self.topic,
            secs,
            if secs > 0.0 {
                self.messages as f64 / secs
            } else {
                0.0
            },
            self.per_partition
        )
    }
}

impl Render for Produced {
    fn mime_bundle(&self) -> MimeBundle {
        MimeBundle::new(self.to_string())
    }
}

/// Sends `quotes` to `topic` as JSON messages `{"symbol", "ts" (ms since the epoch),
/// "price"}` keyed by symbol, in `ts` order, and waits until the broker acknowledged every
/// one (`acks=all`, idempotent producer).
///
/// `quotes` is anything [`IntoQuotes`] takes: the bundled [`sp500`](crate::sp500) (wide), a
/// long frame such as a [`Market`](crate::stream::Market)'s
/// [`quotes`](crate::stream::Market::quotes), or the path of a price CSV. A symbol's
/// partition is Kafka's default for its key (murmur2, as the Java client and librdkafka's
/// `murmur2_random`), so an embedded [`Stream::replay`](crate::stream::Stream::replay) with
/// the same number of partitions sees the same partitions and offsets on a fresh topic.
/// The Kafka message timestamp is the send time (so retention does not delete old quotes at
/// once); the event time is the payload's `ts`.
///
/// # Errors
///
/// [`Error::Stream`] if the broker does not answer within 5 s, the topic does not exist, or
/// messages were not acknowledged (none is silently lost); [`Error::Interrupted`] if the cell
/// is stopped (what was sent stays sent); errors of [`IntoQuotes`].
///
/// With the broker of `services/kafka.sh start`:
///
/// ```text
/// create_topic("127.0.0.1:9092", "quotes", 3)?;
/// let sent = replay_to_kafka("127.0.0.1:9092", "quotes", &sp500()?, Speed::Times(86_400.0))?;
/// assert_eq!(sent.messages, 8313 * 20);          // a trading day per second
/// ```
///
/// Without a broker, it fails at once (within about 5 s) and says so:
///
/// ```
/// use eddy::prelude::*;
///
/// let err = replay_to_kafka("127.0.0.1:1", "quotes", &sp500()?, Speed::Max).unwrap_err();
/// assert!(err.to_string().contains("services/kafka.sh start"));
/// # Ok::<(), eddy::Error>(())
/// ```
pub fn replay_to_kafka(
    brokers: &str,
    topic: &str,
    quotes: impl IntoQuotes,
    speed: Speed,
) -> Result<Produced> {
    // Generic code is compiled into the calling cell, and a cell cannot link librdkafka's C
    // symbols (the prelude's dylib exports only Rust ones): convert here, produce below.
    let quotes = quotes.into_quotes();
    produce_quotes(brokers, topic, quotes, speed)
}

/// The body of [`replay_to_kafka`], not generic so that it is compiled into the prelude.
#[inline(never)]
fn produce_quotes(
    brokers: &str,
    topic: &str,
    quotes: Result<polars::prelude::DataFrame>,
    speed: Speed,
) -> Result<Produced> {
    if let Speed::Times(x) = speed
        && !(x.is_finite() && x > 0.0)
    {
        return Err(Error::InvalidParameter {
            operation: OP,
            name: "speed",
            value: format!("Speed::Times({x})"),
            rule: "positive and finite (Speed::Max sends as fast as possible)",
        });
    }
    let quotes = quotes?;
    let log = Arc::new(DeliveryLog::default());
    let producer: BaseProducer<DeliveryContext> = base_config(brokers)
        .set("acks", "all")
        .set("enable.idempotence", "true")
        .set("linger.ms", "5")
        .set("batch.num.messages", "10000")
        .set("queue.buffering.max.messages", "1000000")
        .set("message.timeout.ms", "30000")
        .create_with_context(DeliveryContext(log.clone()))
        .map_err(|err| config_error(OP, err))?;
    let partitions = topic_partitions(producer.client(), OP, brokers, topic)?;

    let symbol = quotes.column("symbol")?.str()?.clone();
    let ts = quotes.column("ts")?.to_physical_repr();
    let ts = ts.i64()?.clone();
    let price = quotes.column("price")?.f64()?.clone();
    let mut partition_of: HashMap<String, i32> = HashMap::new();
    let mut per_partition = vec![0u64; partitions as usize];
    let mut payload = Vec::with_capacity(128);
    let started = Instant::now();
    let origin = ts.get(0).unwrap_or(0);
    for (i, ((s, t), p)) in symbol.iter().zip(ts.iter()).zip(price.iter()).enumerate() {
        // `into_quotes` leaves no null price; a null symbol or ts would not be a quote.
        let (Some(s), Some(t)) = (s, t) else {
            continue;
        };
        let p = p.unwrap_or(f64::NAN);
        if i % 1024 == 0 {
            crate::interrupt::check()?;
        }
        if let Speed::Times(x) = speed {
            let due =
                started + Duration::from_secs_f64(((t - origin) as f64 / x / 1000.0).max(0.0));
            loop {
                let now = Instant::now();
                if now >= due {
                    break;
                }
                producer.poll((due - now).min(Duration::from_millis(50)));
                crate::interrupt::check()?;
            }
        }
        let partition = match partition_of.get(s) {
            Some(&p) => p,
            None => {
                let p = partition_for(s.as_bytes(), partitions);
                partition_of.insert(s.to_string(), p);
                p
            }
        };
        payload.clear();
        write_json(&mut payload, s, t, p);
        let mut record = BaseRecord::to(topic)
            .key(s)
            .payload(payload.as_slice())
            .partition(partition);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                    record = r;
                    producer.poll(Duration::from_millis(20));
                }
                Err((err, _)) => {
                    return Err(stream_error(
                        OP,
                        format!("cannot send to `{topic}` on {brokers}: {err}"),
                        "check that the broker is up (services/kafka.sh status)",
                    ));
                }
            }
        }
        per_partition[partition as usize] += 1;
        producer.poll(Duration::ZERO);
    }
    let flushed = producer.flush(Duration::from_secs(60));
    let failures = log_failures(&log);
    let messages: u64 = per_partition.iter().sum();
    if let Err(err) = flushed {
        return Err(stream_error(
            OP,
            format!(
                "{} of {messages} quotes to `{topic}` on {brokers} were not acknowledged within 60 s: {err}",
                producer.in_flight_count()
            ),
            "check that the broker is up (services/kafka.sh status), then send again",
        ));
    }
    if !failures.is_empty() {
        return Err(stream_error(
            OP,
            format!(
                "quotes to `{topic}` on {brokers} were not delivered: {}",
                failures.join("; ")
            ),
            "check that the broker is up (services/kafka.sh status), then send again",
        ));
    }
    Ok(Produced {
        topic: topic.to_string(),
        messages,
        per_partition,
        elapsed: started.elapsed(),
    })
}

fn log_failures(log: &DeliveryLog) -> Vec<String> {
    log.take_failures()
}
