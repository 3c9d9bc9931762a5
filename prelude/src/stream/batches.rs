//! [`Batches`]: the iterator of micro-batches a stream yields, after its operators and sinks,
//! committing each batch once the next one is asked for.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;

use polars::prelude::DataFrame;

use super::ops::{Batch, Stage};
use super::source::{Control, Source};
use super::stats::{Metrics, StreamState, StreamStats};
use crate::error::Result;

/// A `foreach_batch` closure.
pub(crate) type Sink = Box<dyn FnMut(&DataFrame) -> Result<()> + Send>;

/// A hook that sees every raw batch (the live view's price history).
pub(crate) type Tap = Box<dyn FnMut(&DataFrame) + Send>;

/// The micro-batches of a stream, as an iterator of `Result<DataFrame>`: made by
/// [`Stream::batches`](crate::stream::Stream::batches), read in the cell's thread (the cell's
/// interrupt button stops a wait).
///
/// Each item is one output of the stream's operators (a raw batch, or a window), after the
/// [`foreach_batch`](crate::stream::Stream::foreach_batch) closures ran on it. **Delivery:** the
/// offsets of what an output covers are committed when the next output is asked for (or with
/// [`commit`](Batches::commit)), so a batch you were handed but did not finish with is read
/// again after a crash or restart, never lost. After an error the iterator ends; nothing after
/// the last committed batch is committed.
///
/// ```
/// use eddy::prelude::*;
///
/// let wide = sp500()?.select(["Date", "KO", "PEP"])?.head(Some(5));
/// let days = Stream::replay(&wide).batches(Trigger::event_time("1d"))?;
/// let sizes: Vec<usize> = days.map(|b| b.map(|df| df.height())).collect::<Result<_, _>>()?;
/// assert_eq!(sizes, [2, 2, 2, 2, 2]);
/// # Ok::<(), eddy::Error>(())
/// ```
pub struct Batches {
    source: Box<dyn Source>,
    stages: Vec<Box<dyn Stage>>,
    sinks: Vec<Sink>,
    tap: Option<Tap>,
    control: Control,
    metrics: Arc<Metrics>,
    queue: VecDeque<DataFrame>,
    uncommitted: bool,
    done: bool,
}

impl fmt::Debug for Batches {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batches")
            .field("stats", &self.metrics.snapshot())
            .finish()
    }
}

impl Batches {
    pub(crate) fn new(
        source: Box<dyn Source>,
        stages: Vec<Box<dyn Stage>>,
        sinks: Vec<Sink>,
        control: Control,
        metrics: Arc<Metrics>,
    ) -> Batches {
        Batches {
            source,
            stages,
            sinks,
            tap: None,
            control,
            metrics,
            queue: VecDeque::new(),
            uncommitted: false,
            done: false,
        }
    }

    pub(crate) fn metrics(&self) -> Arc<Metrics> {
        self.metrics.clone()
    }

    pub(crate) fn set_tap(&mut self, tap: Tap) {
        self.tap = Some(tap);
    }

    /// Commits now what the outputs handed out so far cover (Kafka: flushes the dead letters,
    /// then commits the offsets synchronously). Nothing to do if that is done already.
    ///
    /// # Errors
    ///
    /// [`Error::Stream`](crate::Error::Stream) if dead letters could not be delivered: the
    /// offsets are then not committed.
    pub fn commit(&mut self) -> Result<()> {
        if self.uncommitted && self.queue.is_empty() {
            self.source.commit()?;
            self.uncommitted = false;
        }
        Ok(())
    }

    /// The stream's counters so far.
    pub fn stats(&self) -> StreamStats {
        self.metrics.snapshot()
    }

    /// One step: the next output, reading raw batches until the operators emit one.
    fn step(&mut self) -> Result<Option<DataFrame>> {
        if let Some(frame) = self.queue.pop_front() {
            return Ok(Some(frame));
        }
        self.commit()?;
        loop {
            let Some(raw) = self.source.next_batch(&self.control)? else {
                return Ok(None);
            };
            self.metrics.on_batch(raw.frame.height());
            if let Some(tap) = self.tap.as_mut() {
                tap(&raw.frame);
            }
            let mut outputs = vec![Batch {
                frame: raw.frame,
                end: raw.end,
            }];
            for stage in &mut self.stages {
                let mut next = Vec::with_capacity(outputs.len());
                for batch in outputs {
                    next.extend(stage.push(batch)?);
                }
                outputs = next;
            }
            if outputs.is_empty() {
                continue; // e.g. a window that is not due: its batches commit with the next output
            }
            for batch in &outputs {
                for sink in &mut self.sinks {
                    sink(&batch.frame)?;
                }
            }
            self.uncommitted = true;
            let mut frames = outputs.into_iter().map(|b| b.frame);
            let first = frames.next();
            self.queue.extend(frames);
            return Ok(first);
        }
    }
}

impl Iterator for Batches {
    type Item = Result<DataFrame>;

    fn next(&mut self) -> Option<Result<DataFrame>> {
        if self.done {
            return None;
        }
        match self.step() {
            Ok(Some(frame)) => Some(Ok(frame)),
            Ok(None) => {
                self.done = true;
                if self.metrics.state() == StreamState::Running {
                    self.metrics.set_state(StreamState::Finished);
                }
                None
            }
            Err(err) => {
                self.done = true;
                self.metrics.set_state(StreamState::Failed(err.to_string()));
                Some(Err(err))
            }
        }
    }
}
