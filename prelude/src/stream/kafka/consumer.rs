//! The Kafka source: a group consumer that commits a batch's offsets only after the batch's
//! output is done (at-least-once), dead-letters malformed messages, and drops what it read
//! from partitions taken away by a rebalance (their new owner reads them again from the
//! committed offsets).
//!
//! librdkafka settings: `enable.auto.commit=false`, `enable.auto.offset.store=false` (offsets
//! are stored and committed synchronously after each output), `auto.offset.reset=earliest`
//! (a new group reads the topic from the start), `enable.partition.eof=true` (event-time
//! batches need to know a partition is read to its end), the classic group protocol with a
//! 6 s session timeout (a crashed consumer's partitions move in about 6 s) and statistics
//! every second (for the lag), `fetch.queue.backoff.ms=10` (a full local queue is fetched
//! again after 10 ms, not librdkafka's 1 s). Any of them can be changed with `Stream::config`.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use polars::prelude::*;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::{Offset, TopicPartitionList};

use super::context::StreamContext;
use super::dead_letter::DeadLetters;
use super::{base_config, config_error, stream_error, topic_partitions};
use crate::error::Result;
use crate::stream::frame::{FrameBuilder, concat, sort_canonical, without_partitions};
use crate::stream::quote::{now_ms, parse_wire};
use crate::stream::source::{Control, RawBatch, Source, floor_to};
use crate::stream::stats::Metrics;
use crate::stream::trigger::Trigger;

/// librdkafka's `fetch.queue.backoff.ms` for stream consumers (its default is 1000).
pub(crate) const FETCH_QUEUE_BACKOFF_MS: &str = "10";

const OP: &str = "Stream::kafka";

/// The most quotes one batch holds; a batch is cut early when it has them.
const MAX_BATCH_ROWS: usize = 2_000_000;

/// What `Stream::kafka` was given.
#[derive(Debug, Clone)]
pub(crate) struct KafkaOptions {
    pub brokers: String,
    pub topic: String,
    pub group: String,
    pub dead_letter_topic: Option<String>,
    pub config: Vec<(String, String)>,
    pub max_future_ms: i64,
}

/// Per partition: where reading is, and its event-time progress.
#[derive(Debug, Default, Clone, Copy)]
struct Part {
    /// The offset after the last message read.
    next: i64,
    /// The largest event time read.
    max_ts: Option<i64>,
    /// Read to the end (librdkafka's partition EOF) and nothing since.
    eof: bool,
}

/// Rows read and not returned yet, and per-partition progress.
#[derive(Default)]
struct Reading {
    parts: HashMap<i32, Part>,
    builder: FrameBuilder,
    /// Rows read earlier (event-time batches wait here for their window).
    held: Option<DataFrame>,
    /// The smallest `ts` among held and builder rows.
    min_ts: Option<i64>,
}

impl Reading {
    fn all_rows(&mut self) -> Result<DataFrame> {
        let fresh = self.builder.take()?;
        let frames = self.held.take().into_iter().chain(std::iter::once(fresh));
        Ok(concat(frames)?.unwrap_or_else(crate::stream::frame::empty_batch))
    }

    /// Forgets the partitions in `gone`: their rows and progress.
    fn drop_partitions(&mut self, gone: &HashSet<i32>) -> Result<()> {
        for p in gone {
            self.parts.remove(p);
        }
        let rows = self.all_rows()?;
        let kept = without_partitions(&rows, gone)?;
        self.min_ts = min_ts(&kept)?;
        self.held = (kept.height() > 0).then_some(kept);
        Ok(())
    }

    /// The smallest offset not returned yet per partition.
    fn first_unreturned(&self) -> Result<HashMap<i32, i64>> {
        let mut first: HashMap<i32, i64> = HashMap::new();
        let mut note = |p: i32, o: i64| {
            first.entry(p).and_modify(|x| *x = (*x).min(o)).or_insert(o);
        };
        for (p, o) in self.builder.positions() {
            note(p, o);
        }
        if let Some(held) = &self.held {
            let ps = held.column("partition")?.i32()?;
            let os = held.column("offset")?.i64()?;
            for (p, o) in ps.iter().zip(os.iter()) {
                if let (Some(p), Some(o)) = (p, o) {
                    note(p, o);
                }
            }
        }
        Ok(first)
    }
}

fn min_ts(frame: &DataFrame) -> Result<Option<i64>> {
    if frame.height() == 0 {
        return Ok(None);
    }
    let ts = frame.column("ts")?.to_physical_repr();
    Ok(ts.i64()?.min())
}

/// The Kafka source.
pub(crate) struct KafkaSource {
    consumer: BaseConsumer<StreamContext>,
    dead_letters: DeadLetters,
    options: KafkaOptions,
    trigger: Trigger,
    step: i64,
    metrics: Arc<Metrics>,
    reading: Reading,
    /// The partitions owned now (a copy of the context's, refreshed after a rebalance).
    assigned: BTreeSet<i32>,
    batch_index: i64,
    last_end: Option<i64>,
    stopped: bool,
}

impl KafkaSource {
    /// Connects and subscribes, or says within about 5 s why it cannot.
    pub fn connect(
        options: KafkaOptions,
        trigger: Trigger,
        metrics: Arc<Metrics>,
    ) -> Result<KafkaSource> {
        let step = trigger.millis("Stream::batches")?;
        let mut config = base_config(&options.brokers);
        config
            .set("group.id", &options.group)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("enable.partition.eof", "true")
            .set("session.timeout.ms", "6000")
            .set("heartbeat.interval.ms", "1500")
            .set("statistics.interval.ms", "1000")
            // librdkafka stops fetching a partition whose local queue is full and, by default,
            // waits 1 s before fetching it again: a consumer that parses slower than the
            // fetcher idled most of that second (measured: 196k quotes/s on 0.85 s of CPU in
            // 2.9 s; docs/benchmarks.md). Fetch again after 10 ms.
            .set("fetch.queue.backoff.ms", FETCH_QUEUE_BACKOFF_MS);
        for (k, v) in &options.config {
            config.set(k, v);
        }
        let context = StreamContext::new(options.topic.clone(), metrics.clone());
        let consumer: BaseConsumer<StreamContext> = config
            .create_with_context(context)
            .map_err(|err| config_error(OP, err))?;
        topic_partitions(consumer.client(), OP, &options.brokers, &options.topic)?;
        let dlq_topic = options
            .dead_letter_topic
            .clone()
            .unwrap_or_else(|| format!("{}.dlq", options.topic));
        let dead_letters = DeadLetters::connect(&options.brokers, &dlq_topic)?;
        consumer.subscribe(&[&options.topic]).map_err(|err| {
            stream_error(
                OP,
                format!("cannot subscribe to `{}`: {err}", options.topic),
                "check the topic name",
            )
        })?;
        Ok(KafkaSource {
            consumer,
            dead_letters,
            options,
            trigger,
            step,
            metrics,
            reading: Reading::default(),
            assigned: BTreeSet::new(),
            batch_index: 0,
            last_end: None,
            stopped: false,
        })
    }

    /// Polls once (up to `timeout`) and handles what came; then drains what is ready.
    fn poll(&mut self, timeout: Duration) -> Result<()> {
        let mut timeout = timeout;
        // The clock for the "not in the future" rule, read once per call rather than once a
        // message (where it cost 8 % of the consumer's time) and set ahead by the longest
        // wait below: lenient by at most `timeout` (≤ 100 ms) against a limit of hours.
        let now = now_ms() + timeout.as_millis() as i64;
        // Up to 10,000 events per call, so stop requests and deadlines are looked at.
        for _ in 0..10_000 {
            let Some(event) = self.consumer.poll(timeout) else {
                break;
            };
            timeout = Duration::ZERO;
            // A rebalance callback runs inside `poll`: look at the new assignment before the
            // message that poll returned.
            if self.consumer.context().changed.load(Ordering::SeqCst) {
                refresh_assignment(
                    self.consumer.context(),
                    &mut self.assigned,
                    &mut self.reading,
                )?;
            }
            match event {
                Ok(message) => handle(
                    &message,
                    now,
                    &mut self.reading,
                    &mut self.dead_letters,
                    &self.options,
                    &self.metrics,
                    &self.assigned,
                )?,
                Err(KafkaError::PartitionEOF(p)) => {
                    self.reading.parts.entry(p).or_default().eof = true;
                }
                Err(err) => {
                    if let Some((code, reason)) = self.consumer.client().fatal_error() {
                        return Err(stream_error(
                            OP,
                            format!("the consumer failed: {code}: {reason}"),
                            "start the stream again",
                        ));
                    }
                    self.metrics.warn(err.to_string());
                }
            }
            if self.reading.builder.len() >= MAX_BATCH_ROWS {
                break;
            }
        }
        if self.consumer.context().changed.load(Ordering::SeqCst) {
            refresh_assignment(
                self.consumer.context(),
                &mut self.assigned,
                &mut self.reading,
            )?;
        }
        Ok(())
    }

    /// The event time every assigned partition has read past (`i64::MAX` when all are at
    /// their end); `None` if some partition has not said yet.
    fn watermark(&self) -> Option<i64> {
        if self.assigned.is_empty() {
            return None;
        }
        let mut mark = i64::MAX;
        for p in &self.assigned {
            let part = self.reading.parts.get(p)?;
            if !part.eof {
                mark = mark.min(part.max_ts?);
            }
        }
        Some(mark)
    }

    /// The next event-time window, if every partition has read past its end.
    fn try_emit(&mut self) -> Result<Option<RawBatch>> {
        let Some(min_ts) = self.reading.min_ts else {
            return Ok(None);
        };
        let start = floor_to(min_ts, self.step).max(self.last_end.unwrap_or(i64::MIN));
        let end = start.saturating_add(self.step);
        match self.watermark() {
            Some(mark) if mark >= end => {}
            _ => return Ok(None),
        }
        let rows = self.reading.all_rows()?;
        let ts = rows.column("ts")?.to_physical_repr();
        let ts = ts.i64()?;
        let before: BooleanChunked = ts
            .iter()
            .map(|t| Some(t.is_some_and(|t| t < end)))
            .collect();
        if let Some(last) = self.last_end {
            let late = ts.iter().filter(|t| t.is_some_and(|t| t < last)).count();
            self.metrics.on_late(late as u64);
        }
        let batch = rows.filter(&before)?;
        let rest = rows.filter(&!&before)?;
        self.reading.min_ts = min_ts_of(&rest)?;
        self.reading.held = (rest.height() > 0).then_some(rest);
        self.last_end = Some(end);
        Ok(Some(RawBatch {
            frame: sort_canonical(batch)?,
            end,
        }))
    }

    fn next_processing_time(&mut self, control: &Control) -> Result<Option<RawBatch>> {
        let interval = Duration::from_millis(self.step as u64);
        let deadline = Instant::now() + interval;
        loop {
            if control.stop_requested()? {
                self.stopped = true;
                break;
            }
            let now = Instant::now();
            if now >= deadline || self.reading.builder.len() >= MAX_BATCH_ROWS {
                break;
            }
            self.poll((deadline - now).min(Duration::from_millis(100)))?;
        }
        let frame = self.reading.all_rows()?;
        self.reading.min_ts = None;
        self.batch_index += 1;
        Ok(Some(RawBatch {
            frame,
            end: self.step * self.batch_index,
        }))
    }

    fn next_event_time(&mut self, control: &Control) -> Result<Option<RawBatch>> {
        loop {
            if let Some(batch) = self.try_emit()? {
                return Ok(Some(batch));
            }
            if control.stop_requested()? {
                // Windows not complete yet stay uncommitted: read again after a restart.
                self.stopped = true;
                return Ok(None);
            }
            self.poll(Duration::from_millis(100))?;
        }
    }
}

fn min_ts_of(frame: &DataFrame) -> Result<Option<i64>> {
    min_ts(frame)
}

/// Takes the new assignment from the context and drops what was read from revoked
/// partitions.
fn refresh_assignment(
    context: &StreamContext,
    assigned: &mut BTreeSet<i32>,
    reading: &mut Reading,
) -> Result<()> {
    if !context.changed.swap(false, Ordering::SeqCst) {
        return Ok(());
    }
    let revoked: HashSet<i32> = {
        let mut state = context.state();
        assigned.clone_from(&state.assigned);
        state.revoked.drain(..).collect()
    };
    if !revoked.is_empty() {
        reading.drop_partitions(&revoked)?;
    }
    Ok(())
}

/// Reads one message into the batch or the dead-letter topic.
fn handle(
    message: &BorrowedMessage<'_>,
    now: i64,
    reading: &mut Reading,
    dead_letters: &mut DeadLetters,
    options: &KafkaOptions,
    metrics: &Metrics,
    assigned: &BTreeSet<i32>,
) -> Result<()> {
    let (p, o) = (message.partition(), message.offset());
    if !assigned.contains(&p) {
        // Left over from a partition revoked meanwhile: its new owner reads it.
        return Ok(());
    }
    let part = reading.parts.entry(p).or_default();
    part.next = o + 1;
    part.eof = false;
    match parse_wire(
        message.payload().unwrap_or_default(),
        now,
        options.max_future_ms,
    ) {
        Ok(q) => {
            part.max_ts = Some(part.max_ts.map_or(q.ts, |m| m.max(q.ts)));
            reading.min_ts = Some(reading.min_ts.map_or(q.ts, |m| m.min(q.ts)));
            reading.builder.push(&q.symbol, q.ts, q.price, p, o);
        }
        Err(malformed) => {
            dead_letters.send(
                message.key(),
                message.payload(),
                &malformed,
                (&options.topic, p, o),
            )?;
            metrics.on_dead_letter(&malformed, p, o);
        }
    }
    Ok(())
}

impl Source for KafkaSource {
    fn next_batch(&mut self, control: &Control) -> Result<Option<RawBatch>> {
        if self.stopped {
            return Ok(None);
        }
        if self.trigger.is_event_time() {
            self.next_event_time(control)
        } else {
            self.next_processing_time(control)
        }
    }

    fn commit(&mut self) -> Result<()> {
        self.dead_letters.flush()?;
        let first = self.reading.first_unreturned()?;
        let context = self.consumer.context();
        let mut tpl = TopicPartitionList::new();
        let mut offsets = Vec::new();
        {
            let mut state = context.state();
            let assigned: Vec<i32> = state.assigned.iter().copied().collect();
            for p in assigned {
                let Some(part) = self.reading.parts.get(&p) else {
                    continue;
                };
                let offset = first.get(&p).copied().unwrap_or(part.next).min(part.next);
                state.committable.insert(p, offset);
                if state.committed.get(&p) == Some(&offset) {
                    continue;
                }
                tpl.add_partition_offset(&self.options.topic, p, Offset::Offset(offset))
                    .map_err(|err| stream_error("commit", err.to_string(), "report this"))?;
                offsets.push((p, offset));
            }
        }
        if offsets.is_empty() {
            return Ok(());
        }
        // Stored too, so librdkafka's own view (lag statistics) matches.
        let _ = self.consumer.store_offsets(&tpl);
        match self.consumer.commit(&tpl, CommitMode::Sync) {
            Ok(()) => {
                let mut state = context.state();
                for (p, o) in offsets {
                    if state.assigned.contains(&p) {
                        state.committed.insert(p, o);
                    }
                }
                self.metrics.on_commit(true);
            }
            Err(err) => {
                // Not fatal: the next commit covers these offsets; if the partition moved,
                // its new owner reads the batch again (at-least-once).
                self.metrics.on_commit(false);
                self.metrics
                    .warn(format!("commit of {} failed: {err}", self.options.topic));
            }
        }
        Ok(())
    }
}
