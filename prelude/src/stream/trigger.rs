//! [`Trigger`]: when a micro-batch ends — after an interval of processing time, as Spark
//! Streaming's batch interval, or at an event-time boundary, which makes batches
//! deterministic.

use std::time::Duration;

use crate::error::{Error, Result};

/// When a micro-batch ends.
///
/// - [`Trigger::ProcessingTime`]`(interval)`, what a plain `Duration` converts to: a batch holds
///   what arrived during `interval`, as Spark Streaming's batch interval (0.5–60 s in the
///   course). Every interval yields a batch, empty ones included. On a replay, the replay's
///   clock decides: a batch holds `interval × speed` of event time.
/// - [`Trigger::EventTime`]`(span)`: a batch holds the quotes whose `ts` falls in one
///   `[k·span, (k+1)·span)` window of event time (aligned to 1970-01-01 UTC). A window is
///   emitted once every partition has read past its end (or reached the end of the
///   partition), so the batches do not depend on when messages arrive: a Kafka topic and an
///   embedded replay of the same quotes give the same batches. Windows without quotes are
///   skipped; a quote older than a window already emitted goes into the next batch and is
///   counted as `late` (nothing is dropped).
///
/// ```
/// use std::time::Duration;
/// use eddy::stream::Trigger;
///
/// let t: Trigger = Duration::from_secs(1).into();
/// assert_eq!(t, Trigger::ProcessingTime(Duration::from_secs(1)));
/// let daily = Trigger::EventTime(Duration::from_secs(86_400));
/// assert_ne!(t, daily);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trigger {
    /// A batch every `interval` of wall-clock (or replay) time.
    ProcessingTime(Duration),
    /// A batch per `span` of event time, aligned to the epoch.
    EventTime(Duration),
}

impl From<Duration> for Trigger {
    fn from(interval: Duration) -> Trigger {
        Trigger::ProcessingTime(interval)
    }
}

impl Trigger {
    /// The interval or span in whole milliseconds.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] below 1 ms or above 10 years.
    pub(crate) fn millis(&self, operation: &'static str) -> Result<i64> {
        let (name, d) = match self {
            Trigger::ProcessingTime(d) => ("the batch interval", d),
            Trigger::EventTime(d) => ("the event-time span", d),
        };
        let ms = d.as_millis();
        if ms < 1 || ms > 10 * 366 * 86_400_000 || d.subsec_nanos() % 1_000_000 != 0 {
            return Err(Error::InvalidParameter {
                operation,
                name,
                value: format!("{d:?}"),
                rule: "a whole number of milliseconds between 1 ms and 10 years",
            });
        }
        Ok(ms as i64)
    }

    /// True for [`Trigger::EventTime`].
    pub(crate) fn is_event_time(&self) -> bool {
        matches!(self, Trigger::EventTime(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_are_checked() {
        assert_eq!(
            Trigger::from(Duration::from_millis(500))
                .millis("t")
                .unwrap(),
            500
        );
        for bad in [Duration::ZERO, Duration::from_micros(1500)] {
            let err = Trigger::EventTime(bad).millis("batches").unwrap_err();
            assert!(
                err.to_string()
                    .starts_with("batches: the event-time span should be"),
                "{err}"
            );
        }
    }
}
