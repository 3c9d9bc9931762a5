//! [`RunningStream`]: a stream read by a background thread, with its live view and a clean
//! stop.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::batches::Batches;
use super::stats::{Metrics, StreamState, StreamStats};
use super::view::{PriceHistory, StreamView};
use crate::display::{DisplayHandle, MimeBundle, Render, display};
use crate::error::{Error, Result};

/// The shortest time between two updates of the live view.
const REFRESH: Duration = Duration::from_millis(500);

/// What the thread and the handle share.
struct Shared {
    metrics: Arc<Metrics>,
    stop: Arc<AtomicBool>,
    error: Mutex<Option<Error>>,
    prices: Mutex<PriceHistory>,
    display: Mutex<Option<DisplayHandle>>,
    last_refresh: Mutex<Option<Instant>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    fn view(&self) -> StreamView {
        StreamView {
            stats: self.metrics.snapshot(),
            svg: lock(&self.prices).svg(),
        }
    }

    /// Updates the live view, at most every [`REFRESH`] unless `force`.
    fn refresh(&self, force: bool) {
        let Some(handle) = lock(&self.display).clone() else {
            return;
        };
        {
            let mut last = lock(&self.last_refresh);
            if !force && last.is_some_and(|t| t.elapsed() < REFRESH) {
                return;
            }
            *last = Some(Instant::now());
        }
        handle.update(&self.view());
    }
}

/// A stream running in a background thread, made by [`Stream::start`](crate::stream::Stream::start).
///
/// The cell that started it returns at once and the notebook stays usable. [`show`] displays
/// one output that the thread updates in place (at most twice a second): a chart of the
/// latest prices, the counts, messages/s and the consumer lag. [`stop`] ends the stream
/// cleanly: the batch being read is cut short, goes through the operators and sinks, and is
/// committed, then the consumer leaves its group. Dropping the handle stops the stream too.
/// The handle itself shows as the same view.
///
/// [`show`]: RunningStream::show
/// [`stop`]: RunningStream::stop
///
/// ```
/// use eddy::prelude::*;
///
/// let market = Market::from_prices(&sp500()?)?.symbols(&["AAPL", "MSFT"])?.rate(200.0);
/// let job = Stream::synthetic(&market)
///     .paced(true)                                  // at the market's rate: 200 quotes/s
///     .start("200ms")?;
/// let view = job.show();                            // the live output
/// std::thread::sleep(std::time::Duration::from_millis(700));
/// let stats = job.stop()?;
/// assert!(stats.messages >= 80, "{stats}");
/// assert_eq!(stats.state, StreamState::Stopped);
/// # let _ = view;
/// # Ok::<(), eddy::Error>(())
/// ```
pub struct RunningStream {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl fmt::Debug for RunningStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunningStream")
            .field("stats", &self.shared.metrics.snapshot())
            .finish()
    }
}

impl RunningStream {
    pub(crate) fn spawn(mut batches: Batches, stop: Arc<AtomicBool>) -> Result<RunningStream> {
        let metrics = batches.metrics();
        let shared = Arc::new(Shared {
            metrics,
            stop,
            error: Mutex::new(None),
            prices: Mutex::new(PriceHistory::default()),
            display: Mutex::new(None),
            last_refresh: Mutex::new(None),
        });
        let tap_shared = shared.clone();
        batches.set_tap(Box::new(move |frame| {
            lock(&tap_shared.prices).update(frame)
        }));
        let worker = shared.clone();
        let thread = std::thread::Builder::new()
            .name("eddy-stream".into())
            .spawn(move || run(batches, &worker))
            .map_err(|err| Error::Stream {
                operation: "Stream::start",
                message: format!("cannot start the stream's thread: {err}"),
                hint: "stop other streams (RunningStream::stop) or restart the kernel".into(),
            })?;
        Ok(RunningStream {
            shared,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// The counters now.
    pub fn stats(&self) -> StreamStats {
        self.shared.metrics.snapshot()
    }

    /// Shows the live view now, as a new output of the running cell, and keeps it updated
    /// in place until the stream ends (its last update shows the final state). Calling it
    /// again moves the live view to the new output.
    pub fn show(&self) -> DisplayHandle {
        let handle = display(&self.shared.view());
        *lock(&self.shared.display) = Some(handle.clone());
        handle
    }

    /// True while the thread is reading.
    pub fn is_active(&self) -> bool {
        lock(&self.thread)
            .as_ref()
            .is_some_and(|t| !t.is_finished())
    }

    /// Ends the stream: the batch being read is cut short, processed and committed, the
    /// consumer leaves its group (its partitions go to the other members at once), and the
    /// final counters come back. Calling it again returns the same counters.
    ///
    /// # Errors
    ///
    /// The error that ended the stream before, if it failed (a sink's `Err`, a broker
    /// problem); it is returned once, and the state stays `Failed` with its message.
    pub fn stop(&self) -> Result<StreamStats> {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.join()
    }

    /// Waits until the stream ends by itself (a replay read to its end, or a failure) and
    /// returns the final counters, as Spark's `awaitTermination`. The cell's interrupt
    /// button stops the wait, not the stream.
    ///
    /// # Errors
    ///
    /// [`Error::Interrupted`] if the cell was interrupted; the stream's own error if it
    /// failed (see [`stop`](Self::stop)).
    pub fn await_termination(&self) -> Result<StreamStats> {
        while self.is_active() {
            crate::interrupt::check()?;
            std::thread::sleep(Duration::from_millis(20));
        }
        self.join()
    }

    fn join(&self) -> Result<StreamStats> {
        let thread = lock(&self.thread).take();
        if let Some(thread) = thread
            && thread.join().is_err()
        {
            self.shared.metrics.set_state(StreamState::Failed(
                "the stream's thread panicked (in a map, filter or foreach_batch closure?)".into(),
            ));
            self.shared.refresh(true);
        }
        if let Some(err) = lock(&self.shared.error).take() {
            return Err(err);
        }
        Ok(self.shared.metrics.snapshot())
    }
}

impl Drop for RunningStream {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = lock(&self.thread).take() {
            let _ = thread.join();
        }
    }
}

impl Render for RunningStream {
    fn mime_bundle(&self) -> MimeBundle {
        self.shared.view().mime_bundle()
    }
}

/// The thread's loop: read, commit, refresh; record how it ended.
fn run(mut batches: Batches, shared: &Shared) {
    let outcome = loop {
        match batches.next() {
            None => break Ok(()),
            Some(Ok(_)) => {
                if let Err(err) = batches.commit() {
                    break Err(err);
                }
                shared.refresh(false);
            }
            Some(Err(err)) => break Err(err),
        }
    };
    match outcome {
        Ok(()) if shared.stop.load(Ordering::SeqCst) => {
            shared.metrics.set_state(StreamState::Stopped)
        }
        Ok(()) => shared.metrics.set_state(StreamState::Finished),
        Err(err) => {
            shared
                .metrics
                .set_state(StreamState::Failed(err.to_string()));
            *lock(&shared.error) = Some(err);
        }
    }
    // Close the consumer (leave the group) before the final view says "stopped".
    drop(batches);
    shared.refresh(true);
}
