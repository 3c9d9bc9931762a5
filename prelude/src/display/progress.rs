//! [`Progress`]: a progress bar, drawn in place in the notebook or on the terminal.

use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::handle::DisplayHandle;
use super::html::escape_html;
use super::mime::{MimeBundle, Render};
use super::socket;

/// At most this many redraws per second.
const MIN_REDRAW_INTERVAL: Duration = Duration::from_millis(100);
/// Characters in the text bar.
const BAR_WIDTH: usize = 25;

/// Starts a progress bar counting to `total` (0 if unknown), labelled `label`.
///
/// In the notebook it is an HTML bar updated in place (at most 10 times a second); in a
/// terminal a text bar on stderr, redrawn with `\r`. Counting is thread-safe through `&self`.
///
/// ```
/// use eddy::prelude::*;
///
/// let bar = progress(1_000, "simulating");
/// for _ in 0..1_000 {
///     bar.inc(1);
/// }
/// bar.finish();
/// assert_eq!(bar.position(), 1_000);
/// ```
pub fn progress(total: u64, label: &str) -> Progress {
    let target = if socket::in_kernel() {
        Target::Notebook(None)
    } else {
        Target::Terminal
    };
    let bar = Progress {
        label: label.to_string(),
        total,
        position: AtomicU64::new(0),
        started: Instant::now(),
        state: Mutex::new(State {
            target,
            last_draw: None,
            finished: false,
            draws: 0,
        }),
    };
    bar.draw(true, false);
    bar
}

/// A progress bar; see [`progress`].
///
/// Dropping an unfinished bar leaves it drawn where it stopped.
pub struct Progress {
    label: String,
    total: u64,
    position: AtomicU64,
    started: Instant,
    state: Mutex<State>,
}

/// Where the bar is drawn, and when it last was.
struct State {
    target: Target,
    last_draw: Option<Instant>,
    finished: bool,
    draws: u64,
}

/// Where a bar is drawn.
enum Target {
    /// In the notebook: the handle, once displayed.
    Notebook(Option<DisplayHandle>),
    /// On stderr, with `\r`.
    Terminal,
    /// Nowhere (tests).
    #[cfg(test)]
    Discard,
}

impl Progress {
    /// Adds `n` to the count (redrawn at most 10 times a second).
    ///
    /// Also where a loop notices the user's interrupt: when the cell was interrupted, `inc`
    /// and `set` stop it (with a panic saying `interrupted`, which the kernel reports; the
    /// session's variables are kept).
    pub fn inc(&self, n: u64) {
        self.position.fetch_add(n, Ordering::Relaxed);
        self.draw(false, false);
        stop_if_interrupted();
    }

    /// Sets the count to `n`.
    pub fn set(&self, n: u64) {
        self.position.store(n, Ordering::Relaxed);
        self.draw(false, false);
        stop_if_interrupted();
    }

    /// The current count.
    pub fn position(&self) -> u64 {
        self.position.load(Ordering::Relaxed)
    }

    /// Completes the bar: sets the count to the total (if known) and draws it a last time.
    pub fn finish(&self) {
        if self.total > 0 {
            self.position.fetch_max(self.total, Ordering::Relaxed);
        }
        self.draw(true, true);
    }

    /// The bar as one line of text, e.g. `load  42% |██████████▌ | 42/100 [00:01<00:01, 35.2/s]`.
    pub fn text(&self) -> String {
        let pos = self.position();
        let elapsed = self.started.elapsed();
        let rate = rate(pos, elapsed);
        let label = if self.label.is_empty() {
            String::new()
        } else {
            format!("{} ", self.label)
        };
        if self.total == 0 {
            return format!("{label}{pos} [{}, {}]", clock(elapsed), rate_text(rate));
        }
        let fraction = (pos as f64 / self.total as f64).clamp(0.0, 1.0);
        format!(
            "{label}{:3.0}% |{}| {pos}/{} [{}<{}, {}]",
            fraction * 100.0,
            text_bar(fraction),
            self.total,
            clock(elapsed),
            eta(pos, self.total, rate),
            rate_text(rate),
        )
    }

    /// The bar as HTML: a `<progress>` element and the same counts as [`text`](Self::text).
    pub fn html(&self) -> String {
        let pos = self.position();
        let elapsed = self.started.elapsed();
        let rate = rate(pos, elapsed);
        let label = escape_html(&self.label);
        if self.total == 0 {
            return format!(
                "<div><span>{label}</span> <progress style=\"width:30ex\"></progress> {pos} [{}, {}]</div>",
                clock(elapsed),
                rate_text(rate)
            );
        }
        let percent = (pos as f64 / self.total as f64).clamp(0.0, 1.0) * 100.0;
        format!(
            "<div><span>{label}</span> <progress value=\"{}\" max=\"{}\" style=\"width:30ex\"></progress> {percent:.0}% {pos}/{} [{}&lt;{}, {}]</div>",
            pos.min(self.total),
            self.total,
            self.total,
            clock(elapsed),
            eta(pos, self.total, rate),
            rate_text(rate),
        )
    }

    /// Redraws if `force`, or if the last draw is old enough; `last` ends the bar.
    fn draw(&self, force: bool, last: bool) {
        // A busy lock means another thread is drawing right now: skip, unless this matters.
        let mut state = match self.state.try_lock() {
            Ok(state) => state,
            Err(std::sync::TryLockError::WouldBlock) if !force => return,
            Err(_) => self
                .state
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        };
        if state.finished {
            return;
        }
        let now = Instant::now();
        let due = state
            .last_draw
            .is_none_or(|at| now.duration_since(at) >= MIN_REDRAW_INTERVAL);
        if !force && !due {
            return;
        }
        state.last_draw = Some(now);
        state.finished = last;
        state.draws += 1;
        let bundle = self.mime_bundle();
        match &mut state.target {
            Target::Notebook(handle) => match handle {
                Some(handle) => handle.update(&bundle),
                None => *handle = Some(super::handle::display(&bundle)),
            },
            Target::Terminal => {
                let stderr = std::io::stderr();
                let mut err = stderr.lock();
                let end = if last { "\n" } else { "" };
                // Pad so a shorter line fully covers a longer previous one.
                let _ = write!(err, "\r{:<80}{end}", bundle.text());
                let _ = err.flush();
            }
            #[cfg(test)]
            Target::Discard => {}
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.draw(true, true);
    }
}

impl Render for Progress {
    fn mime_bundle(&self) -> MimeBundle {
        MimeBundle::new(self.text()).with("text/html", self.html())
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text())
    }
}

/// Items per second so far.
fn rate(pos: u64, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 { pos as f64 / secs } else { 0.0 }
}

/// `35.2/s`, or `?/s` before anything happened.
fn rate_text(rate: f64) -> String {
    if rate > 0.0 {
        format!("{rate:.1}/s")
    } else {
        "?/s".to_string()
    }
}

/// Time left at the current rate, as a clock; `?` when unknown.
fn eta(pos: u64, total: u64, rate: f64) -> String {
    if rate > 0.0 {
        clock(Duration::from_secs_f64(
            total.saturating_sub(pos) as f64 / rate,
        ))
    } else {
        "?".to_string()
    }
}

/// `mm:ss`, or `h:mm:ss` past an hour.
fn clock(duration: Duration) -> String {
    let secs = duration.as_secs();
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

/// A bar of `BAR_WIDTH` characters, with eighth-blocks for the partial cell.
fn text_bar(fraction: f64) -> String {
    const PARTIAL: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
    let eighths = (fraction * (BAR_WIDTH * 8) as f64).round() as usize;
    let full = eighths / 8;
    let mut bar = "█".repeat(full.min(BAR_WIDTH));
    if full < BAR_WIDTH {
        bar.push(PARTIAL[eighths % 8]);
        bar.push_str(&" ".repeat(BAR_WIDTH - full - 1));
    }
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quiet_bar(total: u64, label: &str) -> Progress {
        Progress {
            label: label.to_string(),
            total,
            position: AtomicU64::new(0),
            started: Instant::now(),
            state: Mutex::new(State {
                target: Target::Discard,
                last_draw: None,
                finished: false,
                draws: 0,
            }),
        }
    }

    fn draws(bar: &Progress) -> u64 {
        bar.state.lock().unwrap().draws
    }

    #[test]
    fn text_shows_percent_bar_and_counts() {
        let bar = quiet_bar(200, "load");
        bar.set(50);
        let text = bar.text();
        assert!(text.starts_with("load  25% |"), "{text}");
        assert!(text.contains("| 50/200 ["), "{text}");
        assert_eq!(text_bar(0.25).chars().count(), BAR_WIDTH);
        assert_eq!(text_bar(1.0), "█".repeat(BAR_WIDTH));
        assert_eq!(text_bar(0.0).trim(), "");
    }

    #[test]
    fn html_has_a_progress_element() {
        let bar = quiet_bar(10, "a<b");
        bar.inc(3);
        let html = bar.html();
        assert!(html.contains("<progress value=\"3\" max=\"10\""), "{html}");
        assert!(html.contains("a&lt;b") && html.contains("30%"), "{html}");
    }

    #[test]
    fn unknown_total_counts_only() {
        let bar = quiet_bar(0, "");
        bar.inc(7);
        assert!(bar.text().starts_with("7 ["), "{}", bar.text());
    }

    #[test]
    fn finish_completes_and_is_thread_safe() {
        let bar = std::sync::Arc::new(quiet_bar(400, "x"));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let bar = bar.clone();
                std::thread::spawn(move || (0..50).for_each(|_| bar.inc(1)))
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(bar.position(), 200);
        bar.finish();
        assert_eq!(bar.position(), 400);
    }

    #[test]
    fn redraws_are_throttled_and_finish_draws_once() {
        let bar = quiet_bar(1_000_000, "x");
        for _ in 0..100_000 {
            bar.inc(1);
        }
        // A tight loop takes well under a second here: one draw, maybe two.
        assert!(draws(&bar) <= 3, "{} draws", draws(&bar));
        std::thread::sleep(MIN_REDRAW_INTERVAL);
        let before = draws(&bar);
        bar.inc(1);
        assert_eq!(draws(&bar), before + 1);
        bar.finish();
        bar.finish();
        assert_eq!(draws(&bar), before + 2);
    }

    #[test]
    fn clock_formats() {
        assert_eq!(clock(Duration::from_secs(65)), "01:05");
        assert_eq!(clock(Duration::from_secs(3725)), "1:02:05");
    }
}

/// Ends the cell when the user interrupted it (see [`crate::interrupt`]).
fn stop_if_interrupted() {
    if crate::interrupt::interrupted() {
        panic!("interrupted");
    }
}
