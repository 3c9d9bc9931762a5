//! Kafka through librdkafka (rdkafka): the consumer behind [`Stream::kafka`], the
//! dead-letter producer, [`replay_to_kafka`] and [`create_topic`].
//!
//! [`Stream::kafka`]: crate::stream::Stream::kafka

mod consumer;
#[cfg(test)]
pub(crate) use consumer::FETCH_QUEUE_BACKOFF_MS;
mod context;
mod dead_letter;
#[doc(hidden)]
pub mod producer;

use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::{Client, ClientContext, DefaultClientContext};
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;

pub(crate) use consumer::{KafkaOptions, KafkaSource};
pub use producer::{Produced, Speed, replay_to_kafka};

use crate::error::{Error, Result};

/// How long a call waits for the broker's first answer before it says it cannot reach it.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The hint for a broker that does not answer.
pub(crate) const START_HINT: &str = "start the broker with services/kafka.sh start (it listens on 127.0.0.1:9092), or check the address (EDDY_KAFKA)";

/// An [`Error::Stream`].
pub(crate) fn stream_error(
    operation: &'static str,
    message: impl Into<String>,
    hint: impl Into<String>,
) -> Error {
    Error::Stream {
        operation,
        message: message.into(),
        hint: hint.into(),
    }
}

/// A client config with the brokers and eddy's client id.
pub(crate) fn base_config(brokers: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", brokers)
        .set("client.id", "eddy")
        // Fail fast on an address nobody answers at, instead of retrying for minutes.
        .set("socket.connection.setup.timeout.ms", "5000");
    config
}

/// The error for a client that cannot be created (a bad configuration key or value).
pub(crate) fn config_error(operation: &'static str, err: KafkaError) -> Error {
    stream_error(
        operation,
        format!("cannot create the Kafka client: {err}"),
        "check the keys and values given with .config(); librdkafka lists them in its CONFIGURATION.md",
    )
}

/// The number of partitions of `topic`, asking the broker within [`CONNECT_TIMEOUT`].
///
/// # Errors
///
/// [`Error::Stream`] if the broker does not answer, or if the topic does not exist (with the
/// command that creates it).
pub(crate) fn topic_partitions<C: ClientContext>(
    client: &Client<C>,
    operation: &'static str,
    brokers: &str,
    topic: &str,
) -> Result<i32> {
    match partitions_if_exists(client, operation, brokers, topic)? {
        Some(n) => Ok(n),
        None => Err(stream_error(
            operation,
            format!("topic `{topic}` does not exist on {brokers}"),
            format!(
                "create it: services/kafka.sh create-topic {topic} 3, or eddy::stream::create_topic(\"{brokers}\", \"{topic}\", 3)"
            ),
        )),
    }
}

/// The number of partitions of `topic`, or `None` if it does not exist.
pub(crate) fn partitions_if_exists<C: ClientContext>(
    client: &Client<C>,
    operation: &'static str,
    brokers: &str,
    topic: &str,
) -> Result<Option<i32>> {
    let metadata = client
        .fetch_metadata(Some(topic), CONNECT_TIMEOUT)
        .map_err(|err| unreachable(operation, brokers, err))?;
    let Some(t) = metadata.topics().iter().find(|t| t.name() == topic) else {
        return Ok(None);
    };
    match t.error().map(RDKafkaErrorCode::from) {
        None if !t.partitions().is_empty() => Ok(Some(t.partitions().len() as i32)),
        None | Some(RDKafkaErrorCode::UnknownTopicOrPartition) => Ok(None),
        Some(code) => Err(stream_error(
            operation,
            format!("the broker at {brokers} reports topic `{topic}` as unusable: {code}"),
            "check the broker's log (services/kafka.sh status names it)",
        )),
    }
}

/// The error for a broker that did not answer.
pub(crate) fn unreachable(operation: &'static str, brokers: &str, err: KafkaError) -> Error {
    stream_error(
        operation,
        format!(
            "cannot reach the Kafka broker at {brokers} within {} s ({})",
            CONNECT_TIMEOUT.as_secs(),
            err.rdkafka_error_code()
                .map_or_else(|| err.to_string(), |c| c.to_string())
        ),
        START_HINT,
    )
}

/// Creates `topic` with `partitions` partitions (replication as the broker's default), and
/// waits until the broker serves it. Nothing to do if it exists with that many partitions.
///
/// Auto-creation is off on the project's broker (`services/kafka.sh`), so streams and
/// producers need their topics made first, by this or by `services/kafka.sh create-topic`.
///
/// # Errors
///
/// [`Error::Stream`] if the broker does not answer within 5 s, if the topic exists with
/// another number of partitions, or if the broker refuses it; [`Error::InvalidParameter`] for
/// fewer than 1 partition.
///
/// With the broker up, `create_topic("127.0.0.1:9092", "quotes", 3)?` makes the course's
/// topic. Without one, the error says what to do, within about 5 s:
///
/// ```
/// let err = eddy::stream::create_topic("127.0.0.1:1", "quotes", 3).unwrap_err();
/// assert!(err.to_string().starts_with("create_topic: cannot reach the Kafka broker at 127.0.0.1:1"));
/// assert!(err.to_string().contains("services/kafka.sh start"));
/// ```
pub fn create_topic(brokers: &str, topic: &str, partitions: i32) -> Result<()> {
    const OP: &str = "create_topic";
    if partitions < 1 {
        return Err(Error::InvalidParameter {
            operation: OP,
            name: "partitions",
            value: partitions.to_string(),
            rule: "at least 1",
        });
    }
    let admin: AdminClient<DefaultClientContext> = base_config(brokers)
        .create()
        .map_err(|err| config_error(OP, err))?;
    let exists = |admin: &AdminClient<DefaultClientContext>| {
        partitions_if_exists(admin.inner(), OP, brokers, topic)
    };
    let mismatch = |n: i32| {
        stream_error(
            OP,
            format!("topic `{topic}` exists on {brokers} with {n} partitions, not {partitions}"),
            "use the existing topic as it is, or pick another name",
        )
    };
    match exists(&admin)? {
        Some(n) if n == partitions => return Ok(()),
        Some(n) => return Err(mismatch(n)),
        None => {}
    }
    let new = NewTopic::new(topic, partitions, TopicReplication::Fixed(-1));
    let options = AdminOptions::new()
        .request_timeout(Some(Duration::from_secs(10)))
        .operation_timeout(Some(Duration::from_secs(10)));
    let results = crate::io_runtime::block_on(admin.create_topics([&new], &options))
        .map_err(|err| unreachable(OP, brokers, err))?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, code)) => {
                return Err(stream_error(
                    OP,
                    format!("the broker at {brokers} refused to create topic `{name}`: {code}"),
                    "check the name (letters, digits, '.', '_', '-') and the broker's log",
                ));
            }
        }
    }
    // Metadata reaches every broker a moment after the controller created the topic.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match exists(&admin)? {
            Some(n) if n == partitions => return Ok(()),
            Some(n) => return Err(mismatch(n)),
            None if Instant::now() > deadline => {
                return Err(stream_error(
                    OP,
                    format!(
                        "topic `{topic}` was created but {brokers} does not serve it after 10 s"
                    ),
                    "check the broker's log",
                ));
            }
            None => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
