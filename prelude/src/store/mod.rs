//! Storage, the stage after the stream: a [`Store`] of quotes, on a real Apache Cassandra
//! cluster or in an embedded SQLite file, with one API over both.
//!
//! # Brief overview
//!
//! A store holds the course's table, `quotes(symbol, ts, price)` with primary key
//! `(symbol, ts)`: one partition per symbol, its quotes clustered by time. Frames go in and
//! come out in one shape, the *canonical quote frame*: `symbol` (str), `ts`
//! (`Datetime(ms)`, no time zone, UTC) and `price` (`f64`).
//!
//! - [`Store::embedded`] (a file, no server) or [`Store::cassandra`] (contact points and a
//!   keyspace; [`Store::cassandra_builder`] for replication, consistency, login, timeouts).
//! - [`write`](Store::write) a frame (an upsert: writing it twice changes nothing);
//!   [`range`](Store::range) reads one symbol between two times, [`scan`](Store::scan)
//!   everything, [`symbols`](Store::symbols) and [`count`](Store::count) say what is there.
//! - A store is `Clone + Send + Sync + 'static` and cheap to clone: hand a clone to a
//!   stream's `foreach_batch`, and its background thread writes each batch with
//!   `store.write(&batch)`.
//!
//! ```
//! use eddy::prelude::*;
//!
//! let store = Store::embedded_in_memory()?;             // or Store::cassandra(&["127.0.0.1"], "course")?
//! let quotes = to_long(&sp500()?.select(["Date", "AAPL", "MSFT"])?, "Date")?;
//! store.write(&quotes)?;
//! let jan = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
//! let feb = NaiveDate::from_ymd_opt(2020, 2, 1).unwrap();
//! let aapl = store.range("AAPL", jan..feb)?;            // [jan, feb): January's 21 trading days
//! assert_eq!(aapl.height(), 21);
//! assert_eq!(store.symbols()?, ["AAPL", "MSFT"]);
//! assert_eq!(store.count()?, quotes.height());
//! # Ok::<(), eddy::Error>(())
//! ```
//!
//! # The Cassandra backend
//!
//! [`Store::cassandra`] connects with the scylla driver (token-aware: each request goes to a
//! replica of its partition), creates the keyspace (`SimpleStrategy`, a configurable
//! replication factor) and the table if needed:
//!
//! ```text
//! CREATE TABLE quotes (symbol text, ts timestamp, price double, PRIMARY KEY ((symbol), ts))
//!     WITH CLUSTERING ORDER BY (ts ASC)
//! ```
//!
//! Writes are prepared statements with bound values (a symbol that looks like CQL is stored
//! as the text it is), marked idempotent so the driver may retry them, sent as unlogged
//! batches of one partition each with bounded concurrency. Each call runs at the store's
//! [`Consistency`] (`Quorum` unless set), or another for some calls through
//! [`Store::with_consistency`]. Reads are paged; a scan reads the token ranges between the
//! nodes' tokens in parallel. `services/cassandra.sh start` runs a node on 127.0.0.1
//! (`--nodes 3` a cluster on 127.0.3.1-3).
//!
//! **When to bucket partitions by day.** One partition per symbol is right for daily
//! quotes (250 rows a year) and for a course. Tick data is different: a liquid symbol
//! sends tens of thousands of quotes a day, and a partition should stay under about
//! 100 MB and 100,000 rows, because a partition is never split across nodes, is read and
//! compacted as a unit, and is the unit of repair. Past that, add the day to the partition
//! key, `PRIMARY KEY ((symbol, day), ts)` with `day` a `date` column: each (symbol, day) is
//! bounded, the partitions of one symbol spread over the cluster, and a range read becomes
//! one query per day in the range (run concurrently). This store keeps the course's
//! layout.
//!
//! # The embedded backend
//!
//! [`Store::embedded`] keeps the same table in a SQLite file (`WITHOUT ROWID`, so rows sit
//! in `(symbol, ts)` order as in a Cassandra partition; WAL mode). Each write is one
//! transaction. There is one copy, so the consistency level does not apply.
//!
//! # Exactness
//!
//! Prices round-trip bit for bit (`f64` in, the same `f64` out; nulls stay null; NaN is
//! refused on write, as neither a price nor a missing one); times round-trip to the
//! millisecond. `write` takes `ts` as `Date` (midnight UTC) or `Datetime` of any unit,
//! and refuses a time with a fraction of a millisecond rather than rounding it away.

// Modules that define public types are public but hidden: `type_name` reports paths such as
// `eddy::store::consistency::Consistency`, which the kernel writes back in later cells.
#[doc(hidden)]
pub mod cassandra;
#[doc(hidden)]
pub mod consistency;
mod embedded;
#[doc(hidden)]
pub mod errors;
mod quotes;
#[doc(hidden)]
pub mod timestamp;

#[cfg(test)]
mod bench;
#[cfg(test)]
mod tests;

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use polars::prelude::DataFrame;

pub use cassandra::CassandraBuilder;
pub use consistency::Consistency;
pub use errors::StoreErrorKind;
pub use timestamp::{TimeRange, Timestamp};

use crate::error::Result;
use quotes::Quotes;

/// Runs a driver future to completion from synchronous code: on the shared runtime; when
/// called from inside a multi-threaded runtime's task (a stream's callback), on that runtime
/// without blocking its other tasks; from inside a single-threaded runtime, on the shared
/// runtime from a helper thread (blocking that runtime's one thread cannot be avoided).
fn run<F>(future: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(|| handle.block_on(future))
        }
        Ok(_) => std::thread::scope(|s| {
            s.spawn(|| crate::io_runtime::block_on(future))
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        }),
        Err(_) => crate::io_runtime::block_on(future),
    }
}

/// Quotes kept on a Cassandra cluster or in an embedded SQLite file, read and written as
/// DataFrames (see the [module docs](self)).
///
/// Cheap to clone (clones share the connection); `Send + Sync + 'static`, so a clone can go to
/// another thread, such as a stream's.
///
/// ```
/// use eddy::prelude::*;
///
/// let store = Store::embedded_in_memory()?;
/// let batch = to_long(&sp500()?.select(["Date", "KO"])?, "Date")?;
/// let writer = store.clone();
/// let n = std::thread::spawn(move || writer.write(&batch)).join().unwrap()?;
/// assert_eq!(store.count()?, n);
/// # Ok::<(), eddy::Error>(())
/// ```
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    consistency: Consistency,
}

#[derive(Clone)]
enum Backend {
    Embedded(embedded::Embedded),
    Cassandra(Arc<cassandra::Cassandra>),
}

impl Store {
    /// The store in the SQLite file `path`, created (with its directory) if absent.
    ///
    /// # Errors
    ///
    /// [`Error::Store`](crate::Error::Store) (`kind` `File`) if the file cannot be opened or
    /// is not a SQLite database; [`Error::Io`](crate::Error::Io) if its directory cannot be
    /// created.
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let path = std::env::temp_dir().join(format!("eddy-doc-{}.db", std::process::id()));
    /// let store = Store::embedded(&path)?;
    /// store.write(&to_long(&sp500()?.select(["Date", "KO"])?, "Date")?)?;
    /// assert_eq!(Store::embedded(&path)?.symbols()?, ["KO"]);    // it is on disk
    /// # std::fs::remove_file(&path).ok();
    /// # Ok::<(), eddy::Error>(())
    /// ```
    pub fn embedded(path: impl AsRef<Path>) -> Result<Store> {
        Ok(Store {
            backend: Backend::Embedded(embedded::Embedded::open(path.as_ref())?),
            consistency: Consistency::default(),
        })
    }

    /// An embedded store in memory, gone with its last clone: for tests and examples.
    ///
    /// # Errors
    ///
    /// [`Error::Store`](crate::Error::Store) if SQLite cannot allocate it.
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// assert_eq!(Store::embedded_in_memory()?.count()?, 0);
    /// # Ok::<(), eddy::Error>(())
    /// ```
    pub fn embedded_in_memory() -> Result<Store> {
        Ok(Store {
            backend: Backend::Embedded(embedded::Embedded::in_memory()?),
            consistency: Consistency::default(),
        })
    }

    /// The store in `keyspace` of the Cassandra cluster reached through `nodes` (contact
    /// points, `host` or `host:port`; the driver discovers the other nodes), with the
    /// defaults of [`CassandraBuilder`].
    ///
    /// # Errors
    ///
    /// See [`CassandraBuilder::build`]: with nothing listening, an
    /// [`Error::Store`](crate::Error::Store) of kind `Connect` that names the contact points
    /// and `services/cassandra.sh start`, within the 5 s connection timeout.
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let err = Store::cassandra(&["127.0.0.1:1"], "course").unwrap_err();
    /// assert!(err.to_string().starts_with("Store::cassandra: cassandra at 127.0.0.1:1, keyspace `course`"));
    /// ```
    pub fn cassandra(nodes: &[&str], keyspace: &str) -> Result<Store> {
        CassandraBuilder::new(nodes, keyspace).build()
    }

    /// Options for a Cassandra store (replication factor, consistency, credentials,
    /// timeouts); [`build`](CassandraBuilder::build) connects.
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let builder = Store::cassandra_builder(&["127.0.3.1", "127.0.3.2", "127.0.3.3"], "course")
    ///     .replication_factor(3)
    ///     .consistency(Consistency::Quorum);
    /// assert!(format!("{builder:?}").contains("127.0.3.2:9042"));
    /// ```
    pub fn cassandra_builder(nodes: &[&str], keyspace: &str) -> CassandraBuilder {
        CassandraBuilder::new(nodes, keyspace)
    }

    /// The same store (sharing its connection) with another consistency level for its
    /// calls: `store.with_consistency(Consistency::All).write(&df)?` for one call.
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let store = Store::embedded_in_memory()?;
    /// assert_eq!(store.consistency(), Consistency::Quorum);
    /// assert_eq!(store.with_consistency(Consistency::All).consistency(), Consistency::All);
    /// # Ok::<(), eddy::Error>(())
    /// ```
    pub fn with_consistency(&self, level: Consistency) -> Store {
        Store {
            backend: self.backend.clone(),
            consistency: level,
        }
    }

    /// The consistency level of this store's calls (the embedded backend ignores it).
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// assert_eq!(Store::embedded_in_memory()?.consistency(), Consistency::Quorum);
    /// # Ok::<(), eddy::Error>(())
    /// ```
    pub fn consistency(&self) -> Consistency {
        self.consistency
    }

    /// Writes the quotes of `df` (an upsert: a row with a `(symbol, ts)` already stored
    /// replaces its price) and returns the number of rows of `df`. Of rows of `df` with the
    /// same `(symbol, ts)` the last one wins, as if they were written one after the other.
    ///
    /// `df` has exactly the columns `symbol` (str or categorical), `ts` (`Date` or
    /// `Datetime` of any unit, no fraction of a millisecond; a time zone's instant is stored
    /// as UTC) and `price` (numeric; null is stored as null); [`to_long`](crate::data::to_long)
    /// makes one from a wide price table. On the embedded backend a write is one transaction;
    /// on Cassandra each batch of one symbol's rows is atomic, and a failed write may have
    /// stored some batches (write the frame again: it is idempotent).
    ///
    /// # Errors
    ///
    /// [`Error::ColumnNotFound`](crate::Error::ColumnNotFound),
    /// [`Error::InvalidDtype`](crate::Error::InvalidDtype) or
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) (an extra column, a null
    /// key, a NaN price, a sub-millisecond time) before anything is written;
    /// [`Error::Store`](crate::Error::Store) when the cluster or file refuses, e.g. too few
    /// replicas alive for the consistency level (`kind` `Unavailable`);
    /// [`Error::Interrupted`](crate::Error::Interrupted).
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let store = Store::embedded_in_memory()?;
    /// let quotes = to_long(&sp500()?.select(["Date", "KO"])?, "Date")?; // ts is a Date
    /// store.write(&quotes)?;
    /// store.write(&quotes)?;                                     // again: nothing changes
    /// assert_eq!(store.count()?, quotes.height());
    /// # Ok::<(), eddy::Error>(())
    /// ```
    pub fn write(&self, df: &DataFrame) -> Result<usize> {
        let quotes = Quotes::from_frame("write", df)?;
        if quotes.len() == 0 {
            return Ok(0);
        }
        match &self.backend {
            Backend::Embedded(e) => e.write(&quotes),
            Backend::Cassandra(c) => run(c.write(quotes, self.consistency)),
        }
    }

    /// The quotes of `symbol` in a time range, in `ts` order, as a canonical quote frame:
    /// `from..to` keeps `from <= ts < to` (half-open, so consecutive ranges do not
    /// overlap); `from..`, `..to` and `..` work too. Bounds are `NaiveDate`s (midnight UTC),
    /// `NaiveDateTime`s (UTC) or [`Timestamp`]s. An unknown symbol gives an empty frame.
    ///
    /// # Errors
    ///
    /// [`Error::Store`](crate::Error::Store) when the cluster or file fails the read;
    /// [`Error::Interrupted`](crate::Error::Interrupted).
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let store = Store::embedded_in_memory()?;
    /// store.write(&to_long(&sp500()?.select(["Date", "KO"])?, "Date")?)?;
    /// let day = |d| NaiveDate::from_ymd_opt(2020, 3, d).unwrap();
    /// let week = store.range("KO", day(9)..day(16))?;           // Monday to Friday
    /// assert_eq!(week.height(), 5);
    /// let all = store.range("KO", ..)?;
    /// assert!(all.height() > 8000);
    /// # Ok::<(), eddy::Error>(())
    /// ```
    pub fn range(&self, symbol: &str, range: impl TimeRange) -> Result<DataFrame> {
        let (first, last) = range.inclusive_millis();
        match &self.backend {
            Backend::Embedded(e) => e.range(symbol, first, last),
            Backend::Cassandra(c) => run(c.range(symbol, first, last, self.consistency)),
        }
    }

    /// Every quote, ordered by symbol then `ts`, as a canonical quote frame. On Cassandra
    /// the token ring is read in ranges, in parallel.
    ///
    /// # Errors
    ///
    /// [`Error::Store`](crate::Error::Store) when the cluster or file fails the read;
    /// [`Error::Interrupted`](crate::Error::Interrupted).
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let store = Store::embedded_in_memory()?;
    /// let quotes = to_long(&sp500()?.select(["Date", "KO", "AAPL"])?, "Date")?;
    /// store.write(&quotes)?;
    /// assert!(store.scan()?.equals_missing(&quotes.sort(["symbol", "ts"], Default::default())?
    ///     .lazy().with_column(col("ts").cast(DataType::Datetime(TimeUnit::Milliseconds, None))).collect()?));
    /// # Ok::<(), eddy::Error>(())
    /// ```
    pub fn scan(&self) -> Result<DataFrame> {
        match &self.backend {
            Backend::Embedded(e) => e.scan(),
            Backend::Cassandra(c) => run(c.scan(self.consistency)),
        }
    }

    /// The symbols that have quotes, sorted.
    ///
    /// # Errors
    ///
    /// [`Error::Store`](crate::Error::Store) when the cluster or file fails the read.
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let store = Store::embedded_in_memory()?;
    /// store.write(&to_long(&sp500()?.select(["Date", "MSFT", "KO"])?, "Date")?)?;
    /// assert_eq!(store.symbols()?, ["KO", "MSFT"]);
    /// # Ok::<(), eddy::Error>(())
    /// ```
    pub fn symbols(&self) -> Result<Vec<String>> {
        match &self.backend {
            Backend::Embedded(e) => e.symbols(),
            Backend::Cassandra(c) => run(c.symbols(self.consistency)),
        }
    }

    /// The number of quotes stored (on Cassandra, counted per token range in parallel).
    ///
    /// # Errors
    ///
    /// [`Error::Store`](crate::Error::Store) when the cluster or file fails the read.
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let store = Store::embedded_in_memory()?;
    /// store.write(&to_long(&sp500()?.select(["Date", "KO"])?, "Date")?)?;
    /// assert_eq!(store.count()?, store.scan()?.height());
    /// # Ok::<(), eddy::Error>(())
    /// ```
    pub fn count(&self) -> Result<usize> {
        match &self.backend {
            Backend::Embedded(e) => e.count(),
            Backend::Cassandra(c) => run(c.count(self.consistency)),
        }
    }
}

impl std::fmt::Display for Store {
    /// One line: the backend, where it is, and (Cassandra) the replication and consistency.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.backend {
            Backend::Embedded(e) => write!(f, "Store(sqlite {})", e.path),
            Backend::Cassandra(c) => write!(
                f,
                "Store(cassandra {}, table `{}`, replication factor {}, consistency {})",
                c.target, c.table, c.replication_factor, self.consistency
            ),
        }
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}
