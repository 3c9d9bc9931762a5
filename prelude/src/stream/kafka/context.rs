//! The consumer's callbacks: rebalances (record the assignment, commit what is done for the
//! partitions going away), statistics (consumer lag) and client errors (warnings).

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaError;
use rdkafka::statistics::Statistics;
use rdkafka::{Offset, TopicPartitionList};

use crate::stream::stats::Metrics;

/// What the rebalance callback and the reading thread share.
#[derive(Default)]
pub(crate) struct Assignment {
    /// Partitions of the topic this consumer owns now.
    pub assigned: BTreeSet<i32>,
    /// Partitions revoked since the reader last looked (it drops their unreturned rows).
    pub revoked: Vec<i32>,
    /// The offsets that may be committed (everything before them was output).
    pub committable: HashMap<i32, i64>,
    /// The offsets committed.
    pub committed: HashMap<i32, i64>,
}

/// The consumer's context.
pub(crate) struct StreamContext {
    pub topic: String,
    pub metrics: Arc<Metrics>,
    state: Mutex<Assignment>,
    /// Set when `state.assigned` or `state.revoked` changed.
    pub changed: AtomicBool,
}

impl StreamContext {
    pub fn new(topic: String, metrics: Arc<Metrics>) -> StreamContext {
        StreamContext {
            topic,
            metrics,
            state: Mutex::new(Assignment::default()),
            changed: AtomicBool::new(false),
        }
    }

    pub fn state(&self) -> MutexGuard<'_, Assignment> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl ClientContext for StreamContext {
    fn stats(&self, statistics: Statistics) {
        let Some(topic) = statistics.topics.get(&self.topic) else {
            return;
        };
        let assigned = self.state().assigned.clone();
        let lags: Vec<i64> = topic
            .partitions
            .values()
            .filter(|p| assigned.contains(&p.partition) && p.consumer_lag >= 0)
            .map(|p| p.consumer_lag)
            .collect();
        self.metrics
            .set_lag((!lags.is_empty()).then(|| lags.iter().sum()));
    }

    fn error(&self, error: KafkaError, reason: &str) {
        if matches!(
            error.rdkafka_error_code(),
            Some(rdkafka::types::RDKafkaErrorCode::PartitionEOF)
        ) {
            return; // the end of a partition, not a problem
        }
        self.metrics.warn(format!("{error}: {reason}"));
    }

    fn log(&self, _level: rdkafka::config::RDKafkaLogLevel, _fac: &str, _message: &str) {
        // librdkafka retries connections itself; its log would flood a notebook. Errors
        // reach `error` above and show in the stream's stats.
    }
}

impl ConsumerContext for StreamContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(tpl) => {
                let mut state = self.state();
                for e in tpl.elements_for_topic(&self.topic) {
                    state.assigned.insert(e.partition());
                }
                drop(state);
                self.metrics.on_rebalance();
                self.changed.store(true, Ordering::SeqCst);
            }
            Rebalance::Revoke(tpl) => {
                let partitions: Vec<i32> = tpl
                    .elements_for_topic(&self.topic)
                    .iter()
                    .map(|e| e.partition())
                    .collect();
                // Commit on revoke: offsets of output that is done but whose commit failed.
                let mut pending = TopicPartitionList::new();
                {
                    let state = self.state();
                    for p in &partitions {
                        if let Some(&o) = state.committable.get(p)
                            && state.committed.get(p) != Some(&o)
                        {
                            let _ =
                                pending.add_partition_offset(&self.topic, *p, Offset::Offset(o));
                        }
                    }
                }
                if pending.count() > 0 {
                    let ok = consumer.commit(&pending, CommitMode::Sync).is_ok();
                    self.metrics.on_commit(ok);
                }
                let mut state = self.state();
                for p in partitions {
                    state.assigned.remove(&p);
                    state.committable.remove(&p);
                    state.committed.remove(&p);
                    state.revoked.push(p);
                }
                drop(state);
                self.metrics.on_rebalance();
                self.changed.store(true, Ordering::SeqCst);
            }
            Rebalance::Error(err) => self.metrics.warn(format!("rebalance failed: {err}")),
        }
    }
}
