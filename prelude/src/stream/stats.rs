//! [`StreamStats`]: what a stream has done so far (batches, quotes, dead letters, rate, lag),
//! and the shared counters the sources and the driver update while it runs.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::quote::Malformed;
use crate::display::{MimeBundle, Render, escape_html};

/// How many dead-letter reasons [`StreamStats::last_dead_letters`] keeps.
const KEEP_REASONS: usize = 5;

/// Where a stream is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamState {
    /// Reading batches.
    Running,
    /// Stopped by [`stop`](crate::stream::RunningStream::stop) (or its handle was dropped).
    Stopped,
    /// A finite source (a replay) was read to its end.
    Finished,
    /// Ended by an error (the message); nothing after the failed batch was committed.
    Failed(String),
}

impl fmt::Display for StreamState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamState::Running => f.write_str("running"),
            StreamState::Stopped => f.write_str("stopped"),
            StreamState::Finished => f.write_str("finished"),
            StreamState::Failed(msg) => write!(f, "failed: {msg}"),
        }
    }
}

/// A snapshot of a stream's counters. Shows as a table.
///
/// ```
/// use eddy::prelude::*;
///
/// let wide = sp500()?.select(["Date", "JPM", "KO"])?.head(Some(10));
/// let mut batches = Stream::replay(&wide).batches(Trigger::event_time("1d"))?;
/// let first = batches.next().unwrap()?;
/// assert_eq!(first.height(), 2);                  // one day, two symbols
/// let stats = batches.stats();
/// assert_eq!((stats.batches, stats.messages, stats.dead_lettered), (1, 2, 0));
/// assert_eq!(stats.lag, Some(18));                // quotes not replayed yet
/// # Ok::<(), eddy::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct StreamStats {
    /// What the stream reads, e.g. `kafka 127.0.0.1:9092 topic quotes (group notebook)`.
    pub source: String,
    /// Running, stopped, finished or failed.
    pub state: StreamState,
    /// Micro-batches read from the source (before windows; empty ones included).
    pub batches: u64,
    /// Quotes read into batches.
    pub messages: u64,
    /// Malformed messages sent to the dead-letter topic (a replay counts them only).
    pub dead_lettered: u64,
    /// Dead letters per [`code`](crate::stream::Malformed::code), e.g. `invalid_price`.
    pub dead_letter_codes: BTreeMap<String, u64>,
    /// The last few dead letters, as `code: reason (partition p, offset o)`.
    pub last_dead_letters: Vec<String>,
    /// Quotes that arrived after their event-time window was emitted (they went into the
    /// next batch).
    pub late: u64,
    /// Quotes per second over the last 2 s of batches; 0 once the stream has ended.
    pub messages_per_sec: f64,
    /// Quotes per second from the start to now, or to the end of a stream that ended.
    pub avg_messages_per_sec: f64,
    /// Kafka: messages in the assigned partitions not committed yet (from librdkafka's
    /// statistics, refreshed every second); a replay: quotes not replayed yet; `None` if
    /// unknown.
    pub lag: Option<i64>,
    /// Offset commits that succeeded and that failed (a failed commit is retried with the
    /// next batch; its messages may be redelivered, never lost).
    pub commits: u64,
    /// See [`commits`](Self::commits).
    pub commit_failures: u64,
    /// Partition assignments and revocations seen (consumer-group rebalances).
    pub rebalances: u64,
    /// Time since the stream started; a stream that ended keeps the time it ran.
    pub elapsed: Duration,
    /// The last problem that did not stop the stream (a broker down for a while, a failed
    /// commit), if any.
    pub warning: Option<String>,
}

impl StreamStats {
    fn rows(&self) -> Vec<(&'static str, String)> {
        let mut rows = vec![
            ("source", self.source.clone()),
            ("state", self.state.to_string()),
            ("batches", self.batches.to_string()),
            ("messages", self.messages.to_string()),
            ("messages/s", format!("{:.0}", self.messages_per_sec)),
            (
                "avg messages/s",
                format!("{:.0}", self.avg_messages_per_sec),
            ),
            (
                "lag",
                self.lag.map_or_else(|| "unknown".into(), |l| l.to_string()),
            ),
            ("dead-lettered", self.dead_lettered.to_string()),
        ];
        if !self.dead_letter_codes.is_empty() {
            let codes: Vec<String> = self
                .dead_letter_codes
                .iter()
                .map(|(c, n)| format!("{c} {n}"))
                .collect();
            rows.push(("dead letters by code", codes.join(", ")));
        }
        if let Some(last) = self.last_dead_letters.last() {
            rows.push(("last dead letter", last.clone()));
        }
        if self.late > 0 {
            rows.push(("late", self.late.to_string()));
        }
        rows.push((
            "commits",
            if self.commit_failures > 0 {
                format!("{} ({} failed)", self.commits, self.commit_failures)
            } else {
                self.commits.to_string()
            },
        ));
        if self.rebalances > 0 {
            rows.push(("rebalances", self.rebalances.to_string()));
        }
        rows.push(("elapsed", format!("{:.1} s", self.elapsed.as_secs_f64())));
        if let Some(w) = &self.warning {
            rows.push(("warning", w.clone()));
        }
        rows
    }

    /// The counters as an HTML table (no surrounding document).
    pub(crate) fn html_table(&self) -> String {
        let mut html = String::from("<table class=\"eddy-stream-stats\">");
        for (k, v) in self.rows() {
            html.push_str(&format!(
                "<tr><th style=\"text-align:left\">{}</th><td style=\"text-align:left\">{}</td></tr>",
                escape_html(k),
                escape_html(&v)
            ));
        }
        html.push_str("</table>");
        html
    }
}

impl fmt::Display for StreamStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows = self.rows();
        let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        for (i, (k, v)) in rows.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{k:<width$}  {v}")?;
        }
        Ok(())
    }
}

impl Render for StreamStats {
    fn mime_bundle(&self) -> MimeBundle {
        MimeBundle::new(self.to_string()).with("text/html", self.html_table())
    }
}

/// The counters shared by a source, the driver and the handle of a running stream.
pub(crate) struct Metrics {
    source: String,
    started: Instant,
    batches: AtomicU64,
    messages: AtomicU64,
    dead_lettered: AtomicU64,
    late: AtomicU64,
    commits: AtomicU64,
    commit_failures: AtomicU64,
    rebalances: AtomicU64,
    /// -1: unknown.
    lag: AtomicI64,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    state: Option<StreamState>,
    codes: BTreeMap<String, u64>,
    reasons: VecDeque<String>,
    warning: Option<String>,
    /// (when, messages so far) of the batches of the last [`RATE_WINDOW`].
    recent: VecDeque<(Instant, u64)>,
    /// When the stream stopped, finished or failed: `elapsed` stops there.
    ended_at: Option<Instant>,
}

/// The span `messages/s` is measured over: long enough that a batch cut short by `stop` or
/// arriving right after the previous one does not read as millions a second.
const RATE_WINDOW: std::time::Duration = std::time::Duration::from_secs(2);

impl Metrics {
    pub fn new(source: String) -> Metrics {
        Metrics {
            source,
            started: Instant::now(),
            batches: AtomicU64::new(0),
            messages: AtomicU64::new(0),
            dead_lettered: AtomicU64::new(0),
            late: AtomicU64::new(0),
            commits: AtomicU64::new(0),
            commit_failures: AtomicU64::new(0),
            rebalances: AtomicU64::new(0),
            lag: AtomicI64::new(-1),
            inner: Mutex::new(Inner::default()),
        }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A raw batch of `rows` quotes was read.
    pub fn on_batch(&self, rows: usize) {
        self.batches.fetch_add(1, Ordering::Relaxed);
        let total = self.messages.fetch_add(rows as u64, Ordering::Relaxed) + rows as u64;
        let now = Instant::now();
        let mut inner = self.inner();
        if inner.recent.is_empty() {
            inner.recent.push_back((self.started, 0));
        }
        inner.recent.push_back((now, total));
        // Keep one sample older than the window, so the window is always fully covered.
        while inner.recent.len() > 2 && now.duration_since(inner.recent[1].0) >= RATE_WINDOW {
            inner.recent.pop_front();
        }
    }

    /// A message was dead-lettered.
    pub fn on_dead_letter(&self, malformed: &Malformed, partition: i32, offset: i64) {
        self.dead_lettered.fetch_add(1, Ordering::Relaxed);
        let mut inner = self.inner();
        *inner.codes.entry(malformed.code().to_string()).or_default() += 1;
        if inner.reasons.len() == KEEP_REASONS {
            inner.reasons.pop_front();
        }
        inner.reasons.push_back(format!(
            "{}: {} (partition {partition}, offset {offset})",
            malformed.code(),
            malformed.reason()
        ));
    }

    pub fn on_late(&self, n: u64) {
        self.late.fetch_add(n, Ordering::Relaxed);
    }

    pub fn on_commit(&self, ok: bool) {
        if ok {
            self.commits.fetch_add(1, Ordering::Relaxed);
        } else {
            self.commit_failures.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn on_rebalance(&self) {
        self.rebalances.fetch_add(1, Ordering::Relaxed);
    }

    pub fn set_lag(&self, lag: Option<i64>) {
        self.lag.store(lag.unwrap_or(-1), Ordering::Relaxed);
    }

    pub fn warn(&self, warning: String) {
        self.inner().warning = Some(warning);
    }

    pub fn set_state(&self, state: StreamState) {
        let mut inner = self.inner();
        if state != StreamState::Running && inner.ended_at.is_none() {
            inner.ended_at = Some(Instant::now());
        }
        inner.state = Some(state);
    }

    pub fn state(&self) -> StreamState {
        self.inner().state.clone().unwrap_or(StreamState::Running)
    }

    pub fn snapshot(&self) -> StreamStats {
        let messages = self.messages.load(Ordering::Relaxed);
        let lag = self.lag.load(Ordering::Relaxed);
        let inner = self.inner();
        let now = inner.ended_at.unwrap_or_else(Instant::now);
        let elapsed = now.duration_since(self.started);
        // The rate over the last RATE_WINDOW (0 once the stream has ended).
        let rate = match (inner.ended_at, inner.recent.front(), inner.recent.back()) {
            (None, Some(&(t0, m0)), Some(&(_, m1))) => {
                let span = now.duration_since(t0).as_secs_f64();
                if span > 0.0 {
                    (m1 - m0) as f64 / span
                } else {
                    0.0
                }
            }
            _ => 0.0,
        };
        StreamStats {
            source: self.source.clone(),
            state: inner.state.clone().unwrap_or(StreamState::Running),
            batches: self.batches.load(Ordering::Relaxed),
            messages,
            dead_lettered: self.dead_lettered.load(Ordering::Relaxed),
            dead_letter_codes: inner.codes.clone(),
            last_dead_letters: inner.reasons.iter().cloned().collect(),
            late: self.late.load(Ordering::Relaxed),
            messages_per_sec: rate,
            avg_messages_per_sec: if elapsed.as_secs_f64() > 0.0 {
                messages as f64 / elapsed.as_secs_f64()
            } else {
                0.0
            },
            lag: (lag >= 0).then_some(lag),
            commits: self.commits.load(Ordering::Relaxed),
            commit_failures: self.commit_failures.load(Ordering::Relaxed),
            rebalances: self.rebalances.load(Ordering::Relaxed),
            elapsed,
            warning: inner.warning.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_show_as_text_and_html() {
        let m = Metrics::new("replay of 3 quotes".into());
        m.on_batch(3);
        m.on_dead_letter(&crate::stream::Quote::parse(b"nope").unwrap_err(), 0, 4);
        m.set_lag(Some(0));
        let s = m.snapshot();
        assert_eq!(
            (s.batches, s.messages, s.dead_lettered, s.lag),
            (1, 3, 1, Some(0))
        );
        assert_eq!(s.dead_letter_codes["not_json"], 1);
        assert!(s.last_dead_letters[0].ends_with("(partition 0, offset 4)"));
        let text = s.to_string();
        assert!(
            text.contains("dead-lettered") && text.contains("running"),
            "{text}"
        );
        let html = s.mime_bundle();
        assert!(
            html.get("text/html")
                .unwrap()
                .contains("<th style=\"text-align:left\">lag</th>")
        );
        m.set_state(StreamState::Failed("boom".into()));
        assert_eq!(m.snapshot().state.to_string(), "failed: boom");
    }
}
