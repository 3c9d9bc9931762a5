//! Streaming, the course's first stage: quotes from a real Apache Kafka topic or an embedded
//! replay, in micro-batches as polars `DataFrame`s, with DStream-style operators, delivery
//! at least once, a dead-letter topic, and a live view in the notebook.
//!
//! # Brief overview
//!
//! - Sources: [`Stream::kafka`]`(brokers, topic, group)` and [`Stream::replay`]`(quotes)`
//!   (no server, deterministic; the bundled prices, a frame or a CSV), or
//!   [`Stream::synthetic`] for an endless [`Market`] (correlated geometric Brownian motion
//!   estimated from real prices).
//! - Batches: [`Stream::batches`]`(trigger)` iterates `DataFrame`s in a cell;
//!   [`Stream::start`] runs in a background thread ([`RunningStream`]: `show`, `stats`,
//!   `stop`). A [`Trigger`] is processing time (`"1s"`, Spark's batch interval) or event
//!   time (`Trigger::event_time("1d")`: deterministic, Kafka and the replay give the same
//!   batches). Lengths are [`Span`]s: `"500ms"`, `"5d"` (polars' syntax) or a `Duration`.
//! - Operators: `map`, `filter`, `window(length, slide)`, `reduce_by_key`,
//!   `update_state_by_key`, and `foreach_batch` for sinks: a store's upsert, or a
//!   [`ParquetSink`] (Parquet files by day, for Spark).
//! - Producers: [`replay_to_kafka`] (prices or a market's quotes, at × real time or
//!   [`Speed::Max`]) and [`create_topic`].
//!
//! # Messages and batches
//!
//! A quote on the wire is JSON, `{"symbol": "JPM", "ts": 1672185600000, "price": 141.2}`,
//! keyed by symbol; `ts` is milliseconds since the epoch (UTC) — an ISO 8601 string is read
//! too (see [`Quote`]). Every batch has the columns `symbol` (`String`), `ts`
//! (`Datetime(Milliseconds)`, no time zone: UTC), `price` (`Float64`), `partition` (`Int32`)
//! and `offset` (`Int64`); the replay computes the partition Kafka's partitioner would pick
//! and counts offsets per partition, so both sources give the same frames.
//!
//! # Delivery
//!
//! At least once: Kafka's offsets are stored and committed (synchronously) only after a
//! batch's output succeeded — every [`foreach_batch`](Stream::foreach_batch) closure
//! returned `Ok`, and, when iterating, the next batch was asked for — and after its dead
//! letters were acknowledged. A restarted consumer resumes at the committed offsets, so with
//! an idempotent sink (an upsert by key) a crash leaves neither gaps nor duplicates. Group
//! members share the partitions; on a rebalance, what was read from a partition that moves
//! away and not yet output is dropped, and its new owner reads it again.
//!
//! # Malformed messages
//!
//! Not JSON, a missing field, a wrong type, a NaN, infinite, zero or negative price, a time
//! more than a day ahead: the message goes unchanged to `<topic>.dlq` with headers `error`
//! (a code, see [`Malformed::code`]) and `reason`, is counted in [`StreamStats`] and shown in
//! the live view, and the stream goes on.
//!
//! ```
//! use eddy::prelude::*;
//!
//! let wide = sp500()?.select(["Date", "AAPL", "MSFT"])?.head(Some(60));
//! let mut rows = 0;
//! for batch in Stream::replay(&wide).partitions(3).batches(Trigger::event_time("1w"))? {
//!     let batch = batch?;                                // a week of quotes
//!     assert_eq!(batch.get_column_names(), ["symbol", "ts", "price", "partition", "offset"]);
//!     rows += batch.height();
//! }
//! assert_eq!(rows, 120);
//! # Ok::<(), eddy::Error>(())
//! ```

// Modules that define public types are public but hidden: `type_name` reports paths such as
// `eddy::stream::running::RunningStream`, which the kernel writes back in later cells.
#[doc(hidden)]
pub mod batches;
#[doc(hidden)]
pub mod frame;
mod json;
#[doc(hidden)]
pub mod kafka;
#[doc(hidden)]
pub mod market;
#[doc(hidden)]
pub mod ops;
#[doc(hidden)]
pub mod parquet;
#[doc(hidden)]
pub mod quote;
mod replay;
#[doc(hidden)]
pub mod running;
mod source;
#[doc(hidden)]
pub mod stats;
#[doc(hidden)]
#[allow(clippy::module_inception)]
pub mod stream;
#[doc(hidden)]
pub mod trigger;
mod view;

#[cfg(test)]
mod bench;
#[cfg(test)]
mod tests;

pub use batches::Batches;
pub use frame::IntoQuotes;
pub use kafka::{Produced, Speed, create_topic, replay_to_kafka};
pub use market::Market;
pub use ops::State;
pub use parquet::ParquetSink;
pub use quote::{Malformed, Quote};
pub use running::RunningStream;
pub use stats::{StreamState, StreamStats};
pub use stream::Stream;
pub use trigger::{Span, Trigger};
