//! The embedded source: quotes from a frame, a CSV or the market generator, replayed without a
//! server, deterministically, with the partitions and offsets Kafka would give them.
//!
//! Each quote goes to the partition Kafka's default partitioner picks for its symbol
//! (murmur2, as [`replay_to_kafka`](crate::stream::replay_to_kafka) sends them) and gets the
//! next offset of that partition, in `ts` order. A quote that breaks the rules (a NaN or
//! negative price, a time too far ahead) takes its offset and is dead-lettered: counted and
//! described in the stats, as a Kafka stream does (there is no topic to send it to).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use polars::prelude::*;

use super::frame::{FrameBuilder, sort_canonical};
use super::quote::{check_values, missing, now_ms, partition_for};
use super::source::{Control, RawBatch, Source, floor_to};
use super::stats::Metrics;
use super::trigger::Trigger;
use crate::error::Result;

/// Long quotes (`symbol`, `ts` as ms datetime, `price`), chunk by chunk, in `ts` order.
pub(crate) trait Feed: Send {
    /// The next chunk; `None` at the end.
    fn next_chunk(&mut self) -> Result<Option<DataFrame>>;
    /// Quotes not yielded yet, if known.
    fn remaining(&self) -> Option<u64>;
}

/// A whole frame, in slices.
pub(crate) struct FrameFeed {
    frame: DataFrame,
    pos: usize,
}

impl FrameFeed {
    const CHUNK: usize = 65_536;

    pub fn new(frame: DataFrame) -> FrameFeed {
        FrameFeed { frame, pos: 0 }
    }
}

impl Feed for FrameFeed {
    fn next_chunk(&mut self) -> Result<Option<DataFrame>> {
        if self.pos >= self.frame.height() {
            return Ok(None);
        }
        let n = Self::CHUNK.min(self.frame.height() - self.pos);
        let chunk = self.frame.slice(self.pos as i64, n);
        self.pos += n;
        Ok(Some(chunk))
    }

    fn remaining(&self) -> Option<u64> {
        Some((self.frame.height() - self.pos) as u64)
    }
}

/// How a replay runs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReplayOptions {
    pub partitions: i32,
    /// Event time per unit of replay time.
    pub speed: f64,
    /// Sleep so that batches come at the replay clock's pace.
    pub paced: bool,
    pub max_future_ms: i64,
}

/// The embedded source.
pub(crate) struct ReplaySource {
    feed: Box<dyn Feed>,
    exhausted: bool,
    options: ReplayOptions,
    trigger: Trigger,
    /// The interval or span in ms.
    step: i64,
    metrics: Arc<Metrics>,
    /// Valid quotes not returned yet, in the batch schema, and their times.
    buffer: Option<DataFrame>,
    buffer_ts: Vec<i64>,
    /// Next offset per partition.
    next_offset: Vec<i64>,
    partition_of: HashMap<String, i32>,
    /// The first event time (the replay clock's zero).
    origin: Option<i64>,
    started: Option<Instant>,
    batch_index: i64,
    last_end: Option<i64>,
    stopped: bool,
}

impl ReplaySource {
    pub fn new(
        feed: Box<dyn Feed>,
        options: ReplayOptions,
        trigger: Trigger,
        metrics: Arc<Metrics>,
    ) -> Result<ReplaySource> {
        let step = trigger.millis("Stream::batches")?;
        Ok(ReplaySource {
            feed,
            exhausted: false,
            options,
            trigger,
            step,
            metrics,
            buffer: None,
            buffer_ts: Vec::new(),
            next_offset: vec![0; options.partitions.max(1) as usize],
            partition_of: HashMap::new(),
            origin: None,
            started: None,
            batch_index: 0,
            last_end: None,
            stopped: false,
        })
    }

    /// Reads one more chunk into the buffer; false at the end of the feed.
    fn pull(&mut self) -> Result<bool> {
        if self.exhausted {
            return Ok(false);
        }
        let Some(chunk) = self.feed.next_chunk()? else {
            self.exhausted = true;
            return Ok(false);
        };
        let symbol = chunk.column("symbol")?.str()?.clone();
        let ts = chunk.column("ts")?.to_physical_repr();
        let ts = ts.i64()?;
        let price = chunk.column("price")?.f64()?.clone();
        let now = now_ms();
        let mut builder = FrameBuilder::with_capacity(chunk.height());
        for ((s, t), p) in symbol.iter().zip(ts.iter()).zip(price.iter()) {
            let partition = match s {
                Some(s) => match self.partition_of.get(s) {
                    Some(&p) => p,
                    None => {
                        let p = partition_for(s.as_bytes(), self.options.partitions);
                        self.partition_of.insert(s.to_string(), p);
                        p
                    }
                },
                None => 0,
            };
            let slot = &mut self.next_offset[partition as usize];
            let offset = *slot;
            *slot += 1;
            let checked = match (s, t, p) {
                (None, _, _) | (Some(""), _, _) => Err(missing("symbol")),
                (_, None, _) => Err(missing("ts")),
                (_, _, None) => Err(missing("price")),
                (Some(s), Some(t), Some(p)) => {
                    check_values(t, p, now, self.options.max_future_ms).map(|()| (s, t, p))
                }
            };
            match checked {
                Ok((s, t, p)) => {
                    builder.push(s, t, p, partition, offset);
                    self.buffer_ts.push(t);
                }
                Err(m) => self.metrics.on_dead_letter(&m, partition, offset),
            }
        }
        let rows = builder.take()?;
        match self.buffer.as_mut() {
            Some(b) => {
                b.vstack_mut_owned(rows)?;
            }
            None => self.buffer = Some(rows),
        }
        Ok(true)
    }

    /// Pulls until the buffer holds a time `>= until` or the feed ends.
    fn fill_past(&mut self, until: i64) -> Result<()> {
        while self.buffer_ts.last().is_none_or(|&t| t < until) {
            if !self.pull()? {
                break;
            }
        }
        Ok(())
    }

    /// Pulls until the buffer has a quote or the feed ends; false if it stays empty.
    fn fill_one(&mut self) -> Result<bool> {
        while self.buffer_ts.is_empty() {
            if !self.pull()? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Removes and returns the buffered quotes with `ts < end`.
    fn take_before(&mut self, end: i64) -> Result<DataFrame> {
        let n = self.buffer_ts.partition_point(|&t| t < end);
        let buffer = match self.buffer.take() {
            Some(b) => b,
            None => return Ok(super::frame::empty_batch()),
        };
        let head = buffer.slice(0, n);
        let rest = buffer.slice(n as i64, buffer.height() - n);
        self.buffer_ts.drain(..n);
        self.buffer = Some(rest);
        let mut head = head;
        head.rechunk_mut();
        Ok(head)
    }

    fn update_lag(&self) {
        let lag = self
            .feed
            .remaining()
            .map(|r| (r + self.buffer_ts.len() as u64) as i64);
        self.metrics.set_lag(lag);
    }

    /// Waits for the replay clock to reach `at` ms of replay time, if paced; true on stop.
    fn pace(&self, control: &Control, at_replay_ms: f64) -> Result<bool> {
        match (self.options.paced, self.started) {
            (true, Some(started)) => {
                let at = Duration::from_secs_f64((at_replay_ms / 1000.0).max(0.0));
                control.sleep_until(started + at)
            }
            _ => control.stop_requested(),
        }
    }
}

impl Source for ReplaySource {
    fn next_batch(&mut self, control: &Control) -> Result<Option<RawBatch>> {
        if self.stopped {
            return Ok(None);
        }
        self.started.get_or_insert_with(Instant::now);
        if !self.fill_one()? {
            self.update_lag();
            return Ok(None);
        }
        let origin = *self
            .origin
            .get_or_insert_with(|| self.buffer_ts.first().copied().unwrap_or(0));
        let speed = self.options.speed;
        let (frame, end, replay_at) = if self.trigger.is_event_time() {
            let first = self.buffer_ts[0];
            let start = floor_to(first, self.step).max(self.last_end.unwrap_or(i64::MIN));
            let end = start.saturating_add(self.step);
            self.fill_past(end)?;
            let frame = sort_canonical(self.take_before(end)?)?;
            self.last_end = Some(end);
            (frame, end, (end - origin) as f64 / speed)
        } else {
            // The replay clock: batch k covers [origin + k·S, origin + (k+1)·S) of event
            // time, S = interval × speed.
            let span = ((self.step as f64) * speed).round().max(1.0) as i64;
            let k = self.batch_index;
            let hi = origin.saturating_add(span.saturating_mul(k + 1));
            self.fill_past(hi)?;
            let frame = self.take_before(hi)?;
            self.batch_index += 1;
            let end = self.step * (k + 1);
            (frame, end, end as f64)
        };
        if self.pace(control, replay_at)? {
            self.stopped = true;
        }
        self.update_lag();
        Ok(Some(RawBatch { frame, end }))
    }

    fn commit(&mut self) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    fn control() -> Control {
        Control {
            stop: Arc::new(AtomicBool::new(false)),
            interruptible: false,
        }
    }

    fn source(frame: DataFrame, trigger: Trigger, partitions: i32, speed: f64) -> ReplaySource {
        let options = ReplayOptions {
            partitions,
            speed,
            paced: false,
            max_future_ms: super::super::quote::DEFAULT_MAX_FUTURE_MS,
        };
        ReplaySource::new(
            Box::new(FrameFeed::new(frame)),
            options,
            trigger,
            Arc::new(Metrics::new("test".into())),
        )
        .unwrap()
    }

    fn quotes() -> DataFrame {
        use super::super::frame::IntoQuotes;
        df!(
            "symbol" => ["A", "B", "A", "B", "A", "C"],
            "ts" => [0i64, 0, 1_000, 1_500, 3_500, 3_600],
            "price" => [Some(1.0), Some(2.0), Some(1.1), Some(-2.0), Some(1.2), Some(9.0)],
        )
        .unwrap()
        .into_quotes()
        .unwrap()
    }

    fn drain(mut s: ReplaySource) -> Vec<(i64, Vec<(String, i64, i32, i64)>)> {
        let ctl = control();
        let mut out = Vec::new();
        while let Some(b) = s.next_batch(&ctl).unwrap() {
            let f = &b.frame;
            let sym = f.column("symbol").unwrap().str().unwrap().clone();
            let ts = f.column("ts").unwrap().to_physical_repr();
            let ts = ts.i64().unwrap().clone();
            let p = f.column("partition").unwrap().i32().unwrap().clone();
            let o = f.column("offset").unwrap().i64().unwrap().clone();
            let rows = (0..f.height())
                .map(|i| {
                    (
                        sym.get(i).unwrap().to_string(),
                        ts.get(i).unwrap(),
                        p.get(i).unwrap(),
                        o.get(i).unwrap(),
                    )
                })
                .collect();
            out.push((b.end, rows));
            assert!(out.len() < 100, "runaway replay");
        }
        out
    }

    #[test]
    fn processing_time_batches_follow_the_replay_clock() {
        // 1 s batches at 2× real time: 2 s of event time per batch, empty ones included.
        let s = source(quotes(), Duration::from_secs(1).into(), 1, 2.0);
        let metrics = s.metrics.clone();
        let batches = drain(s);
        let ends: Vec<i64> = batches.iter().map(|b| b.0).collect();
        assert_eq!(ends, [1_000, 2_000]);
        let names = |b: &Vec<(String, i64, i32, i64)>| -> Vec<String> {
            b.iter()
                .map(|r| format!("{}@{}#{}", r.0, r.1, r.3))
                .collect()
        };
        // B's negative price at 1.5 s is dead-lettered but takes offset 3.
        assert_eq!(names(&batches[0].1), ["A@0#0", "B@0#1", "A@1000#2"]);
        assert_eq!(names(&batches[1].1), ["A@3500#4", "C@3600#5"]);
        let stats = metrics.snapshot();
        assert_eq!(stats.dead_lettered, 1);
        assert_eq!(stats.dead_letter_codes["invalid_price"], 1);
        assert_eq!(stats.lag, Some(0));
    }

    #[test]
    fn event_time_batches_are_aligned_and_skip_empty_windows() {
        let s = source(
            quotes(),
            Trigger::event_time(Duration::from_secs(1)),
            3,
            1.0,
        );
        let batches = drain(s);
        let ends: Vec<i64> = batches.iter().map(|b| b.0).collect();
        assert_eq!(ends, [1_000, 2_000, 4_000]);
        assert_eq!(batches[0].1.len(), 2);
        // Partitions from Kafka's partitioner; offsets count per partition in ts order.
        let part = |s: &str| partition_for(s.as_bytes(), 3);
        for (_, rows) in &batches {
            for r in rows {
                assert_eq!(r.2, part(&r.0));
            }
        }
        let a: Vec<i64> = batches
            .iter()
            .flat_map(|b| b.1.iter())
            .filter(|r| r.0 == "A")
            .map(|r| r.3)
            .collect();
        if part("A") != part("B") {
            assert_eq!(a, [0, 1, 2]);
        }
    }

    #[test]
    fn the_bundled_prices_replay_day_by_day() {
        let wide = crate::sp500()
            .unwrap()
            .select(["Date", "JPM", "KO"])
            .unwrap();
        let long = super::super::frame::IntoQuotes::into_quotes(&wide).unwrap();
        let s = source(
            long.clone(),
            Trigger::event_time(Duration::from_secs(86_400)),
            3,
            1.0,
        );
        let ctl = control();
        let mut s = s;
        let mut n = 0;
        let mut days = 0;
        while let Some(b) = s.next_batch(&ctl).unwrap() {
            assert_eq!(b.frame.height(), 2);
            n += b.frame.height();
            days += 1;
        }
        assert_eq!((n, days), (long.height(), 8313));
    }
}
