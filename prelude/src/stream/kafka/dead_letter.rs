//! The dead-letter topic: malformed messages go there unchanged (key and payload), with
//! headers saying why and where they came from:
//!
//! | header | value |
//! |---|---|
//! | `error` | the [`Malformed::code`], e.g. `invalid_price` |
//! | `reason` | the [`Malformed::reason`], e.g. `price should be positive and finite, but is -3` |
//! | `source.topic`, `source.partition`, `source.offset` | where the message was read |
//!
//! The producer is idempotent with `acks=all`; a batch's offsets are committed only after its
//! dead letters were acknowledged (see [`DeadLetters::flush`]).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::client::ClientContext;
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::types::RDKafkaErrorCode;

use super::{base_config, config_error, create_topic, partitions_if_exists, stream_error};
use crate::error::Result;
use crate::stream::quote::Malformed;

const OP: &str = "dead letters";

/// Delivery failures, kept by the producer's callback.
#[derive(Default)]
pub(crate) struct DeliveryLog {
    failures: Mutex<Vec<String>>,
}

impl DeliveryLog {
    /// The failures recorded since the last call.
    pub fn take_failures(&self) -> Vec<String> {
        std::mem::take(&mut *self.failures.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// The producer's context: records failed deliveries.
pub(crate) struct DeliveryContext(pub Arc<DeliveryLog>);

impl ClientContext for DeliveryContext {
    fn log(&self, _level: rdkafka::config::RDKafkaLogLevel, _fac: &str, _message: &str) {}
}

impl ProducerContext for DeliveryContext {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if let Err((err, _)) = result {
            let mut failures = self.0.failures.lock().unwrap_or_else(|e| e.into_inner());
            if failures.len() < 5 {
                failures.push(err.to_string());
            } else if failures.len() == 5 {
                failures.push("…".into());
            }
        }
    }
}

/// The dead-letter producer of one stream.
pub(crate) struct DeadLetters {
    producer: BaseProducer<DeliveryContext>,
    log: Arc<DeliveryLog>,
    topic: String,
    brokers: String,
    unflushed: u64,
}

impl DeadLetters {
    /// Connects, creating the topic (one partition) if it does not exist.
    pub fn connect(brokers: &str, topic: &str) -> Result<DeadLetters> {
        let log = Arc::new(DeliveryLog::default());
        let producer: BaseProducer<DeliveryContext> = base_config(brokers)
            .set("acks", "all")
            .set("enable.idempotence", "true")
            .set("linger.ms", "10")
            .set("message.timeout.ms", "30000")
            .create_with_context(DeliveryContext(log.clone()))
            .map_err(|err| config_error(OP, err))?;
        if partitions_if_exists(producer.client(), OP, brokers, topic)?.is_none() {
            create_topic(brokers, topic, 1)?;
        }
        Ok(DeadLetters {
            producer,
            log,
            topic: topic.to_string(),
            brokers: brokers.to_string(),
            unflushed: 0,
        })
    }

    /// Sends one malformed message (waiting while librdkafka's queue is full).
    pub fn send(
        &mut self,
        key: Option<&[u8]>,
        payload: Option<&[u8]>,
        malformed: &Malformed,
        source: (&str, i32, i64),
    ) -> Result<()> {
        let (topic, partition, offset) = source;
        let (partition, offset) = (partition.to_string(), offset.to_string());
        let headers = OwnedHeaders::new_with_capacity(5)
            .insert(Header {
                key: "error",
                value: Some(malformed.code()),
            })
            .insert(Header {
                key: "reason",
                value: Some(malformed.reason()),
            })
            .insert(Header {
                key: "source.topic",
                value: Some(topic),
            })
            .insert(Header {
                key: "source.partition",
                value: Some(partition.as_str()),
            })
            .insert(Header {
                key: "source.offset",
                value: Some(offset.as_str()),
            });
        let mut record: BaseRecord<'_, [u8], [u8]> = BaseRecord::to(&self.topic).headers(headers);
        if let Some(k) = key {
            record = record.key(k);
        }
        if let Some(p) = payload {
            record = record.payload(p);
        }
        loop {
            match self.producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                    record = r;
                    self.producer.poll(Duration::from_millis(50));
                }
                Err((err, _)) => {
                    return Err(stream_error(
                        OP,
                        format!(
                            "cannot send a malformed message to `{}` on {}: {err}",
                            self.topic, self.brokers
                        ),
                        "check that the broker is up (services/kafka.sh status)",
                    ));
                }
            }
        }
        self.unflushed += 1;
        self.producer.poll(Duration::ZERO);
        Ok(())
    }

    /// Waits until every dead letter sent so far is acknowledged.
    ///
    /// # Errors
    ///
    /// [`Error::Stream`](crate::Error::Stream) if some were not delivered within 30 s:
    /// the batch's offsets must then not be committed.
    pub fn flush(&mut self) -> Result<()> {
        if self.unflushed == 0 {
            return Ok(());
        }
        let flushed = self.producer.flush(Duration::from_secs(30));
        let failures = self.log.take_failures();
        if let Err(err) = flushed {
            return Err(stream_error(
                OP,
                format!(
                    "{} dead letters to `{}` on {} were not acknowledged within 30 s: {err}",
                    self.producer.in_flight_count(),
                    self.topic,
                    self.brokers
                ),
                "check that the broker is up (services/kafka.sh status); the batch will be read again",
            ));
        }
        if !failures.is_empty() {
            return Err(stream_error(
                OP,
                format!(
                    "dead letters to `{}` on {} failed: {}",
                    self.topic,
                    self.brokers,
                    failures.join("; ")
                ),
                "check that the broker is up (services/kafka.sh status); the batch will be read again",
            ));
        }
        self.unflushed = 0;
        Ok(())
    }
}
