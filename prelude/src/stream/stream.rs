//! [`Stream`]: a source (Kafka or the embedded replay), the operators applied to each batch,
//! and the sinks; read as an iterator with [`batches`](Stream::batches) or in the background
//! with [`start`](Stream::start).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use polars::prelude::{DataFrame, Expr};

use super::batches::{Batches, Sink};
use super::frame::IntoQuotes;
use super::kafka::{KafkaOptions, KafkaSource};
use super::market::Market;
use super::ops::{Filter, Map, ReduceByKey, Stage, State, UpdateStateByKey, Window};
use super::quote::DEFAULT_MAX_FUTURE_MS;
use super::replay::{Feed, FrameFeed, ReplayOptions, ReplaySource};
use super::running::RunningStream;
use super::source::{Control, Source};
use super::stats::Metrics;
use super::trigger::{Span, Trigger};
use crate::error::{Error, Result};

/// Where a stream reads.
enum Origin {
    Kafka(KafkaOptions),
    Replay {
        quotes: Box<Result<DataFrame>>,
        description: String,
        options: ReplayOptions,
    },
    Market {
        market: Box<Market>,
        options: ReplayOptions,
    },
}

/// A stream of quotes in micro-batches, Spark Streaming style: a source, operators on each
/// batch (`map`, `filter`, `window`, `reduce_by_key`, `update_state_by_key`), output
/// closures (`foreach_batch`), then [`batches`](Stream::batches) to iterate in a cell or
/// [`start`](Stream::start) to run in the background with a live view.
///
/// Two sources, one behaviour:
///
/// - [`Stream::kafka`]`(brokers, topic, group)`: a consumer group on a real broker,
///   at-least-once (offsets committed only after a batch's output succeeded), malformed
///   messages to `<topic>.dlq`.
/// - [`Stream::replay`]`(quotes)`: embedded, no server, deterministic: the bundled prices, a
///   frame, a CSV; [`Stream::synthetic`] for an endless [`Market`].
///
/// Every batch has the columns `symbol`, `ts` (`Datetime(ms)`, UTC), `price`, `partition`
/// and `offset` (see [`IntoQuotes`] and the [module docs](crate::stream)). Setup mistakes
/// (an option for the other source, a window that is not a multiple of the interval) are
/// reported by `batches` and `start`.
///
/// ```
/// use eddy::prelude::*;
///
/// let wide = sp500()?.select(["Date", "JPM", "KO"])?.head(Some(30));
/// let windows = Stream::replay(&wide)
///     .filter(col("symbol").eq(lit("JPM")))
///     .window("3d", "1d")                                    // the last 3 days, every day
///     .reduce_by_key("symbol", [col("price").mean().alias("mean3"), len().alias("n")])
///     .foreach_batch(|df| { assert_eq!(df.height(), 1); Ok(()) })   // one row: JPM
///     .batches(Trigger::event_time("1d"))?;
/// let n = windows
///     .map(|w| Ok(w?.column("n")?.u32()?.get(0).unwrap_or(0)))
///     .collect::<eddy::Result<Vec<u32>>>()?;
/// assert_eq!(n.len(), 42);                  // one batch per calendar day, weekends included
/// assert_eq!(n.iter().max(), Some(&3));     // 3 calendar days hold at most 3 trading days
/// # Ok::<(), eddy::Error>(())
/// ```
pub struct Stream {
    origin: Origin,
    stages: Vec<(String, Box<dyn Stage>)>,
    sinks: Vec<Sink>,
    max_future_ms: i64,
    misuse: Option<Error>,
}

impl fmt::Debug for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stages: Vec<&str> = self.stages.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Stream")
            .field("source", &self.description())
            .field("operators", &stages)
            .field("sinks", &self.sinks.len())
            .finish()
    }
}

const DEFAULT_REPLAY: ReplayOptions = ReplayOptions {
    partitions: 1,
    speed: 1.0,
    paced: false,
    max_future_ms: DEFAULT_MAX_FUTURE_MS,
};

impl Stream {
    /// Reads `topic` on `brokers` (e.g. `"127.0.0.1:9092"`) as a member of consumer `group`.
    ///
    /// A new group starts at the beginning of the topic; a known group resumes from its
    /// committed offsets. Consumers of one group share the partitions: a second process with
    /// the same group takes half of them, and a rebalance loses nothing (rows read from a
    /// partition that moves away are dropped before output and read again by its new owner).
    /// Malformed messages go to `<topic>.dlq` (created with one partition if missing) with
    /// the reason in the headers `error` and `reason`.
    ///
    /// Nothing connects until [`batches`](Self::batches) or [`start`](Self::start), which fail
    /// within about 5 s, naming the fix, if the broker does not answer or the topic does not
    /// exist:
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let t0 = std::time::Instant::now();
    /// let err = Stream::kafka("127.0.0.1:1", "quotes", "notebook").batches("1s").unwrap_err();
    /// assert!(t0.elapsed().as_secs() < 10);
    /// assert!(err.to_string().contains("cannot reach the Kafka broker at 127.0.0.1:1"));
    /// assert!(err.to_string().contains("services/kafka.sh start"));
    /// ```
    pub fn kafka(brokers: &str, topic: &str, group: &str) -> Stream {
        let mut stream = Stream::new(Origin::Kafka(KafkaOptions {
            brokers: brokers.to_string(),
            topic: topic.to_string(),
            group: group.to_string(),
            dead_letter_topic: None,
            config: Vec::new(),
            max_future_ms: DEFAULT_MAX_FUTURE_MS,
        }));
        for (name, value) in [("brokers", brokers), ("topic", topic), ("group", group)] {
            if value.trim().is_empty() {
                stream.misuse(Error::InvalidParameter {
                    operation: "Stream::kafka",
                    name,
                    value: format!("{value:?}"),
                    rule: "not empty",
                });
            }
        }
        stream
    }

    /// Replays `quotes` without a server: the bundled [`sp500`](crate::sp500) (wide), any
    /// wide or long frame, or the path of a price CSV (see [`IntoQuotes`]).
    ///
    /// The replay is deterministic and gives what a Kafka topic filled by
    /// [`replay_to_kafka`](crate::stream::replay_to_kafka) with the same quotes gives: the
    /// same partitions (Kafka's partitioner; set their number with
    /// [`partitions`](Self::partitions)), offsets, dead letters and, with
    /// [`Trigger::EventTime`], the same batches. With [`Trigger::ProcessingTime`], the replay
    /// clock runs at [`speed`](Self::speed) × event time and a batch of `interval` holds
    /// `interval × speed` of event time; [`paced`](Self::paced) makes it wait as a live
    /// replay would.
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let wide = sp500()?.select(["Date", "AAPL"])?.head(Some(10)); // 10 trading days
    /// // One second of replay per week of quotes: 1 s batches of 7 days.
    /// let weeks: Vec<DataFrame> = Stream::replay(&wide)
    ///     .speed(7.0 * 86_400.0)
    ///     .batches("1s")?
    ///     .collect::<Result<_, _>>()?;
    /// assert_eq!(weeks.len(), 2);
    /// assert_eq!(weeks[0].height() + weeks[1].height(), 10);
    /// # Ok::<(), eddy::Error>(())
    /// ```
    pub fn replay(quotes: impl IntoQuotes) -> Stream {
        let quotes = quotes.into_quotes();
        let description = match &quotes {
            Ok(q) => format!("replay of {} quotes", q.height()),
            Err(_) => "replay".to_string(),
        };
        Stream::new(Origin::Replay {
            quotes: Box::new(quotes),
            description,
            options: DEFAULT_REPLAY,
        })
    }

    /// An endless embedded stream of a [`Market`]'s quotes (the first ones are
    /// `market.quotes(n)`); at [`speed`](Self::speed) 1 and [`paced`](Self::paced), they come
    /// at the market's rate.
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let market = Market::from_prices(&sp500()?)?.symbols(&["KO", "PEP"])?.rate(100.0).start(0);
    /// let mut batches = Stream::synthetic(&market).batches("1s")?;
    /// let first = batches.next().unwrap()?;                  // one second: 100 quotes
    /// assert_eq!(first.height(), 100);
    /// # Ok::<(), eddy::Error>(())
    /// ```
    pub fn synthetic(market: &Market) -> Stream {
        Stream::new(Origin::Market {
            market: Box::new(market.clone()),
            options: DEFAULT_REPLAY,
        })
    }

    fn new(origin: Origin) -> Stream {
        Stream {
            origin,
            stages: Vec::new(),
            sinks: Vec::new(),
            max_future_ms: DEFAULT_MAX_FUTURE_MS,
            misuse: None,
        }
    }

    fn misuse(&mut self, err: Error) {
        if self.misuse.is_none() {
            self.misuse = Some(err);
        }
    }

    fn description(&self) -> String {
        match &self.origin {
            Origin::Kafka(k) => {
                format!("kafka {} topic {} (group {})", k.brokers, k.topic, k.group)
            }
            Origin::Replay { description, .. } => description.clone(),
            Origin::Market { market, .. } => {
                format!("synthetic market of {}", market.symbol_names().join(", "))
            }
        }
    }

    fn replay_options(&mut self, operation: &'static str) -> Option<&mut ReplayOptions> {
        if matches!(self.origin, Origin::Kafka(_)) {
            self.misuse(Error::InvalidParameter {
                operation,
                name: "stream",
                value: "a Kafka stream".into(),
                rule: "a replay (Stream::replay or Stream::synthetic): Kafka's topic has its own partitions and pace",
            });
        }
        match &mut self.origin {
            Origin::Replay { options, .. } | Origin::Market { options, .. } => Some(options),
            Origin::Kafka(_) => None,
        }
    }

    fn kafka_options(&mut self, operation: &'static str) -> Option<&mut KafkaOptions> {
        if !matches!(self.origin, Origin::Kafka(_)) {
            self.misuse(Error::InvalidParameter {
                operation,
                name: "stream",
                value: "a replay".into(),
                rule: "a Kafka stream (Stream::kafka)",
            });
        }
        match &mut self.origin {
            Origin::Kafka(k) => Some(k),
            _ => None,
        }
    }

    /// Replay: the number of partitions the quotes are spread over (default 1), as a topic
    /// with that many partitions would.
    pub fn partitions(mut self, partitions: i32) -> Stream {
        if partitions < 1 {
            self.misuse(Error::InvalidParameter {
                operation: "Stream::partitions",
                name: "partitions",
                value: partitions.to_string(),
                rule: "at least 1",
            });
        } else if let Some(o) = self.replay_options("Stream::partitions") {
            o.partitions = partitions;
        }
        self
    }

    /// Replay: how many seconds of event time one second of replay covers (default 1, real
    /// time; `86_400.0` replays a day per second).
    pub fn speed(mut self, speed: f64) -> Stream {
        if !(speed.is_finite() && speed > 0.0) {
            self.misuse(Error::InvalidParameter {
                operation: "Stream::speed",
                name: "speed",
                value: speed.to_string(),
                rule: "positive and finite",
            });
        } else if let Some(o) = self.replay_options("Stream::speed") {
            o.speed = speed;
        }
        self
    }

    /// Replay: wait for the replay clock (`true`), as a live source would, or yield batches
    /// as fast as they are asked for (`false`, the default). The batches are the same.
    pub fn paced(mut self, paced: bool) -> Stream {
        if let Some(o) = self.replay_options("Stream::paced") {
            o.paced = paced;
        }
        self
    }

    /// Kafka: sets a librdkafka consumer property (`key` as in librdkafka's
    /// CONFIGURATION.md), over eddy's defaults, e.g. `("group.protocol", "consumer")` for
    /// KIP-848 rebalances or `("auto.offset.reset", "latest")`.
    pub fn config(mut self, key: &str, value: &str) -> Stream {
        if let Some(k) = self.kafka_options("Stream::config") {
            k.config.push((key.to_string(), value.to_string()));
        }
        self
    }

    /// Kafka: the dead-letter topic (default `<topic>.dlq`).
    pub fn dead_letter_topic(mut self, topic: &str) -> Stream {
        if let Some(k) = self.kafka_options("Stream::dead_letter_topic") {
            k.dead_letter_topic = Some(topic.to_string());
        }
        self
    }

    /// How far ahead of the clock an event time may be (default `"1d"`); later quotes are
    /// dead-lettered as `future_ts`.
    pub fn max_future(mut self, limit: impl Into<Span>) -> Stream {
        match limit.into().checked_millis("Stream::max_future", "limit") {
            Ok(ms) => self.max_future_ms = ms,
            Err(err) => self.misuse(err),
        }
        self
    }

    fn stage(mut self, name: String, stage: Box<dyn Stage>) -> Stream {
        self.stages.push((name, stage));
        self
    }

    /// Applies `f` to each batch (DStream's `transform`): any frame in, any frame out.
    pub fn map<F>(self, f: F) -> Stream
    where
        F: FnMut(DataFrame) -> Result<DataFrame> + Send + 'static,
    {
        self.stage("map".into(), Box::new(Map(f)))
    }

    /// Keeps the rows of each batch where `predicate` holds, e.g.
    /// `col("price").gt(lit(100.0))`.
    pub fn filter(self, predicate: Expr) -> Stream {
        self.stage(format!("filter({predicate})"), Box::new(Filter(predicate)))
    }

    /// Every `slide`, the batches of the last `length`, stacked into one frame, as DStream's
    /// `window(windowLength, slideInterval)`. Both must be multiples of the batch interval
    /// (or of the event-time span; of the slide of a window before this one). A window
    /// ending at `t` holds the batches ending in `(t − length, t]`; the first windows hold
    /// fewer batches. With event-time batches, windows whose batches are all empty are skipped.
    ///
    /// A window's output commits the offsets of every batch read so far; after a restart the
    /// first windows only hold batches read since (as Spark without checkpoints).
    pub fn window(mut self, length: impl Into<Span>, slide: impl Into<Span>) -> Stream {
        const OP: &str = "Stream::window";
        let (length, slide) = (length.into(), slide.into());
        let checked = |s: &Span, name| s.checked_millis(OP, name);
        let (l, s) = match (checked(&length, "length"), checked(&slide, "slide")) {
            (Ok(l), Ok(s)) => (l, s),
            (Err(err), _) | (_, Err(err)) => {
                self.misuse(err);
                (1, 1)
            }
        };
        if l < s {
            self.misuse(Error::InvalidParameter {
                operation: OP,
                name: "length",
                value: format!("{length} (slide {slide})"),
                rule: "at least the slide (otherwise some batches are in no window)",
            });
        }
        self.stage(
            format!("window({length}, {slide})"),
            Box::new(Window::new(l, s)),
        )
    }

    /// Groups each batch (or window) by `key` and aggregates with `aggs`, sorted by key: the
    /// DataFrame form of DStream's `reduceByKey`, e.g.
    /// `reduce_by_key("symbol", [col("price").mean(), len().alias("n")])`.
    pub fn reduce_by_key<E>(self, key: &str, aggs: E) -> Stream
    where
        E: IntoIterator<Item = Expr>,
    {
        let aggs: Vec<Expr> = aggs.into_iter().collect();
        self.stage(
            format!("reduce_by_key({key})"),
            Box::new(ReduceByKey {
                key: key.to_string(),
                aggs,
            }),
        )
    }

    /// Keeps a [`State`] per `key` across batches, as DStream's `updateStateByKey`: after
    /// each batch, `update(key, rows, state)` runs for every key seen so far (`rows` are the
    /// batch's rows of that key, empty if none), keys in order; a state left empty drops its
    /// key. Each output is the whole state: `key`, then one `f64` column per name, sorted by
    /// key.
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let wide = sp500()?.select(["Date", "JPM", "KO"])?.head(Some(20));
    /// let running = Stream::replay(&wide)
    ///     .update_state_by_key("symbol", |_symbol, rows, state| {
    ///         if rows.height() > 0 {
    ///             state.add("count", rows.height() as f64);
    ///             state.add("sum", rows.column("price")?.f64()?.sum().unwrap_or(0.0));
    ///             let last = rows.column("price")?.f64()?.get(rows.height() - 1);
    ///             state.set("last", last.unwrap_or(f64::NAN));
    ///         }
    ///         Ok(())
    ///     })
    ///     .batches(Trigger::event_time("1d"))?
    ///     .last()
    ///     .unwrap()?;
    /// assert_eq!(running.column("count")?.f64()?.get(0), Some(20.0));
    /// # Ok::<(), eddy::Error>(())
    /// ```
    pub fn update_state_by_key<F>(self, key: &str, update: F) -> Stream
    where
        F: FnMut(&str, &DataFrame, &mut State) -> Result<()> + Send + 'static,
    {
        self.stage(
            format!("update_state_by_key({key})"),
            Box::new(UpdateStateByKey {
                key: key.to_string(),
                update,
                states: BTreeMap::new(),
            }),
        )
    }

    /// Runs `f` on each output (after the operators), as Spark's `foreachBatch`: the place
    /// for a sink such as an upsert into a store. A batch's offsets are committed only after
    /// every `foreach_batch` closure returned `Ok`; an `Err` ends the stream with that error
    /// and nothing of the batch is committed, so it is read again after a restart (make the
    /// sink idempotent, e.g. an upsert by key, and a redelivery leaves no duplicate).
    pub fn foreach_batch<F>(mut self, f: F) -> Stream
    where
        F: FnMut(&DataFrame) -> Result<()> + Send + 'static,
    {
        self.sinks.push(Box::new(f));
        self
    }

    /// Connects (Kafka) and checks the setup; returns the source, operators, sinks and
    /// counters.
    fn build(
        self,
        trigger: Trigger,
        interruptible: bool,
        stop: Arc<AtomicBool>,
    ) -> Result<Batches> {
        const OP: &str = "Stream::batches";
        if let Some(err) = self.misuse {
            return Err(err);
        }
        let step = trigger.millis(OP)?;
        let mut period = step;
        for (_, stage) in &self.stages {
            period = stage.period(period)?;
        }
        let description = self.description();
        let metrics = Arc::new(Metrics::new(description));
        let max_future_ms = self.max_future_ms;
        let source: Box<dyn Source> = match self.origin {
            Origin::Kafka(mut options) => {
                options.max_future_ms = max_future_ms;
                Box::new(KafkaSource::connect(options, trigger, metrics.clone())?)
            }
            Origin::Replay {
                quotes,
                mut options,
                ..
            } => {
                options.max_future_ms = max_future_ms;
                let feed: Box<dyn Feed> = Box::new(FrameFeed::new((*quotes)?));
                Box::new(ReplaySource::new(feed, options, trigger, metrics.clone())?)
            }
            Origin::Market {
                market,
                mut options,
            } => {
                options.max_future_ms = max_future_ms;
                let feed: Box<dyn Feed> = Box::new(market.feed());
                Box::new(ReplaySource::new(feed, options, trigger, metrics.clone())?)
            }
        };
        let stages = self.stages.into_iter().map(|(_, s)| s).collect();
        let control = Control {
            stop,
            interruptible,
        };
        Ok(Batches::new(source, stages, self.sinks, control, metrics))
    }

    /// The stream's micro-batches as an iterator read in this thread (see [`Batches`]).
    /// `trigger` is a `Duration` (processing-time batches, Spark's batch interval) or a
    /// [`Trigger`].
    ///
    /// # Errors
    ///
    /// [`Error::Stream`] if Kafka's broker does not answer within 5 s or the topic does not
    /// exist; [`Error::InvalidParameter`] for a setup mistake (an interval below 1 ms, a
    /// window not a multiple of the interval, a replay option on a Kafka stream…); the
    /// replay's input errors.
    pub fn batches(self, trigger: impl Into<Trigger>) -> Result<Batches> {
        self.build(trigger.into(), true, Arc::new(AtomicBool::new(false)))
    }

    /// Runs the stream in a background thread and returns its handle at once: the notebook
    /// stays usable, [`RunningStream::show`] displays one live output (a chart of the latest
    /// prices, counts, messages/s, lag), [`RunningStream::stop`] ends it cleanly.
    ///
    /// # Errors
    ///
    /// As [`batches`](Self::batches): connection and setup errors come here, at once.
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let wide = sp500()?.select(["Date", "JPM", "KO"])?.head(Some(100));
    /// let job = Stream::replay(&wide).start(Trigger::event_time("1d"))?;
    /// let stats = job.await_termination()?;             // a replay ends by itself
    /// assert_eq!((stats.batches, stats.messages), (100, 200));
    /// # Ok::<(), eddy::Error>(())
    /// ```
    pub fn start(self, trigger: impl Into<Trigger>) -> Result<RunningStream> {
        let stop = Arc::new(AtomicBool::new(false));
        let batches = self.build(trigger.into(), false, stop.clone())?;
        RunningStream::spawn(batches, stop)
    }
}
