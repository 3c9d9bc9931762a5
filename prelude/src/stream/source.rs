//! What every source (Kafka, the embedded replay) offers the driver: raw batches, then a
//! commit once the batches' output is done.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use polars::prelude::DataFrame;

use crate::error::Result;

/// One micro-batch as read, before the stream's operators.
pub(crate) struct RawBatch {
    /// The quotes, in the batch schema (see `frame.rs`).
    pub frame: DataFrame,
    /// When the batch ends, in ms: processing time since the stream started (a multiple of
    /// the interval), or the event-time window's end since the epoch. Windows align on it.
    pub end: i64,
}

/// How a running read is told to stop.
#[derive(Clone)]
pub(crate) struct Control {
    /// Set by `RunningStream::stop`: cut the current batch and end.
    pub stop: Arc<AtomicBool>,
    /// Whether the read runs in the cell's thread, so the cell's interrupt stops it.
    pub interruptible: bool,
}

impl Control {
    /// `Ok(true)` if a stop was asked for.
    ///
    /// # Errors
    ///
    /// [`Error::Interrupted`](crate::Error::Interrupted) when the cell running the read was
    /// interrupted.
    pub fn stop_requested(&self) -> Result<bool> {
        if self.interruptible {
            crate::interrupt::check()?;
        }
        Ok(self.stop.load(Ordering::SeqCst))
    }

    /// Sleeps until `until`, in short steps; `Ok(true)` if a stop was asked for meanwhile.
    pub fn sleep_until(&self, until: Instant) -> Result<bool> {
        loop {
            if self.stop_requested()? {
                return Ok(true);
            }
            let now = Instant::now();
            if now >= until {
                return Ok(false);
            }
            std::thread::sleep((until - now).min(Duration::from_millis(50)));
        }
    }
}

/// A source of raw batches.
pub(crate) trait Source: Send {
    /// The next batch; `None` at the end of a finite input, or after a stop.
    fn next_batch(&mut self, control: &Control) -> Result<Option<RawBatch>>;

    /// Marks every quote of the batches returned so far as done: Kafka flushes its dead
    /// letters and commits the offsets. Quotes read but not returned yet are not covered.
    fn commit(&mut self) -> Result<()>;
}

/// `floor(a / b) * b` for any sign of `a` (`b > 0`).
pub(crate) fn floor_to(a: i64, b: i64) -> i64 {
    a.div_euclid(b) * b
}
