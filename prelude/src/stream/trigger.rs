//! [`Trigger`]: when a micro-batch ends — after an interval of processing time, as Spark
//! Streaming's batch interval, or at an event-time boundary, which makes batches
//! deterministic — and [`Span`], the lengths streams take (`"500ms"`, `"1s"`, `"5d"`, or a
//! `std::time::Duration`).

use std::fmt;
use std::time::Duration;

use crate::error::{Error, Result};

/// A length of time for a stream: a batch interval, an event-time span, a window.
///
/// Made from a string in polars' duration syntax (`"500ms"`, `"1s"`, `"2m"`, `"1h"`, `"1d"`,
/// `"1w"`, combined as `"1h30m"`; calendar months are refused, they have no fixed length),
/// from a `std::time::Duration`, or from polars' `Duration` (which is the `Duration` a cell
/// has in scope). A string that does not parse is reported by
/// [`Stream::batches`](crate::stream::Stream::batches) and [`Stream::start`](crate::stream::Stream::start).
///
/// ```
/// use eddy::stream::Span;
///
/// assert_eq!(Span::from("1d").millis(), Some(86_400_000));
/// assert_eq!(Span::from("1m30s").millis(), Some(90_000));
/// assert_eq!(Span::from(std::time::Duration::from_millis(250)).millis(), Some(250));
/// assert_eq!(Span::from("soon").millis(), None);
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Span {
    /// Milliseconds, or the text that did not parse and why.
    ms: std::result::Result<i64, String>,
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.ms {
            Ok(ms) => write!(f, "{}", format_ms(*ms)),
            Err(e) => write!(f, "<invalid: {e}>"),
        }
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// `1d`, `5s`, `250ms`… for messages.
fn format_ms(ms: i64) -> String {
    for (unit, size) in [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
    ] {
        if ms != 0 && ms % size == 0 {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{ms}ms")
}

impl Span {
    /// The length in whole milliseconds, `None` if it did not parse or is not whole.
    pub fn millis(&self) -> Option<i64> {
        self.ms.as_ref().ok().copied()
    }

    /// The length, checked: at least 1 ms and at most 10 years.
    pub(crate) fn checked_millis(
        &self,
        operation: &'static str,
        name: &'static str,
    ) -> Result<i64> {
        match &self.ms {
            Ok(ms) if (1..=10 * 366 * 86_400_000).contains(ms) => Ok(*ms),
            Ok(ms) => Err(Error::InvalidParameter {
                operation,
                name,
                value: format_ms(*ms),
                rule: "between 1 ms and 10 years",
            }),
            Err(why) => Err(Error::InvalidParameter {
                operation,
                name,
                value: why.clone(),
                rule: "a length such as \"500ms\", \"1s\", \"5m\", \"1d\" (whole milliseconds)",
            }),
        }
    }
}

impl From<Duration> for Span {
    fn from(d: Duration) -> Span {
        let ms = if d.subsec_nanos() % 1_000_000 != 0 {
            Err(format!("{d:?} (not whole milliseconds)"))
        } else {
            i64::try_from(d.as_millis()).map_err(|_| format!("{d:?}"))
        };
        Span { ms }
    }
}

impl From<polars::prelude::Duration> for Span {
    fn from(d: polars::prelude::Duration) -> Span {
        let ms = if d.months() != 0 {
            Err(format!("{d} (months have no fixed length)"))
        } else if d.negative() {
            Err(format!("{d} (negative)"))
        } else if d.duration_ns() % 1_000_000 != 0 {
            Err(format!("{d} (not whole milliseconds)"))
        } else {
            Ok(d.duration_ms())
        };
        Span { ms }
    }
}

impl From<&str> for Span {
    fn from(text: &str) -> Span {
        match polars::prelude::Duration::try_parse(text.trim()) {
            Ok(d) => Span::from(d),
            Err(_) => Span {
                ms: Err(format!("{text:?}")),
            },
        }
    }
}

impl From<String> for Span {
    fn from(text: String) -> Span {
        Span::from(text.as_str())
    }
}

impl From<&String> for Span {
    fn from(text: &String) -> Span {
        Span::from(text.as_str())
    }
}

/// When a micro-batch ends.
///
/// - [`Trigger::ProcessingTime`]: a batch holds what arrived during the interval, as Spark
///   Streaming's batch interval (0.5–60 s in the course). Every interval yields a batch,
///   empty ones included. On a replay, the replay's clock decides: a batch holds
///   `interval × speed` of event time. A plain `"1s"` or `Duration` converts to this.
/// - [`Trigger::EventTime`]: a batch holds the quotes whose `ts` falls in one
///   `[k·span, (k+1)·span)` window of event time (aligned to 1970-01-01 UTC). A window is
///   emitted once every partition has read past its end (or reached the end of the
///   partition), so the batches do not depend on when messages arrive: a Kafka topic and an
///   embedded replay of the same quotes give the same batches. Windows without quotes are
///   skipped; a quote older than a window already emitted goes into the next batch and is
///   counted as `late` (nothing is dropped).
///
/// ```
/// use eddy::stream::Trigger;
///
/// let t: Trigger = "1s".into();
/// assert_eq!(t, Trigger::processing_time("1000ms"));
/// let daily = Trigger::event_time("1d");
/// assert_ne!(t, daily);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Trigger {
    /// A batch every interval of wall-clock (or replay) time.
    ProcessingTime(Span),
    /// A batch per span of event time, aligned to the epoch.
    EventTime(Span),
}

impl Trigger {
    /// A batch every `interval` of processing time, e.g. `Trigger::processing_time("500ms")`.
    pub fn processing_time(interval: impl Into<Span>) -> Trigger {
        Trigger::ProcessingTime(interval.into())
    }

    /// A batch per `span` of event time, e.g. `Trigger::event_time("1d")`.
    pub fn event_time(span: impl Into<Span>) -> Trigger {
        Trigger::EventTime(span.into())
    }

    /// The interval or span in whole milliseconds.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] below 1 ms, above 10 years, or for a text that is not a
    /// length.
    pub(crate) fn millis(&self, operation: &'static str) -> Result<i64> {
        match self {
            Trigger::ProcessingTime(s) => s.checked_millis(operation, "the batch interval"),
            Trigger::EventTime(s) => s.checked_millis(operation, "the event-time span"),
        }
    }

    /// True for [`Trigger::EventTime`].
    pub(crate) fn is_event_time(&self) -> bool {
        matches!(self, Trigger::EventTime(_))
    }
}

impl From<Duration> for Trigger {
    fn from(interval: Duration) -> Trigger {
        Trigger::ProcessingTime(interval.into())
    }
}

impl From<polars::prelude::Duration> for Trigger {
    fn from(interval: polars::prelude::Duration) -> Trigger {
        Trigger::ProcessingTime(interval.into())
    }
}

impl From<&str> for Trigger {
    fn from(interval: &str) -> Trigger {
        Trigger::ProcessingTime(interval.into())
    }
}

impl From<Span> for Trigger {
    fn from(interval: Span) -> Trigger {
        Trigger::ProcessingTime(interval)
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
        assert_eq!(Trigger::from("2h").millis("t").unwrap(), 7_200_000);
        assert_eq!(
            Trigger::from(polars::prelude::Duration::parse("1w"))
                .millis("t")
                .unwrap(),
            7 * 86_400_000
        );
        for bad in [
            Trigger::event_time(Duration::ZERO),
            Trigger::event_time(Duration::from_micros(1500)),
            Trigger::event_time("1mo"),
            Trigger::event_time("soon"),
            Trigger::event_time("1us"),
        ] {
            let err = bad.millis("batches").unwrap_err();
            assert!(
                err.to_string()
                    .starts_with("batches: the event-time span should be"),
                "{err}"
            );
        }
        assert_eq!(format!("{:?}", Span::from("90s")), "90s");
    }
}
