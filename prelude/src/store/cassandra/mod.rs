//! The Cassandra backend: a scylla driver session, the prepared statements, and the
//! concurrent writes and parallel reads behind [`Store`](super::Store)'s calls.
//!
//! Writes group the rows by partition (symbol), split each partition into unlogged batches of
//! up to `batch_rows` rows (a single-partition batch is applied as one mutation on each
//! replica, and the driver routes it to a replica by its first row's token), and keep at
//! most `concurrency` requests in flight. Every statement is prepared, marked idempotent
//! (an upsert of the same values can be retried safely) and takes its values bound, never
//! spliced into the CQL text. Reads are paged; a full scan splits the token ring at the
//! nodes' tokens and reads the ranges in parallel.
//!
//! Replica timeouts below `ALL` are retried for up to [`TIMEOUT_BUDGET`]. Right after a node
//! dies, before its peers mark it down (10 to 20 s), coordinators still pick it as a replica
//! and wait for it: a range read (a scan) then fails with `ReadTimeout` (1 of the 2 replies
//! `QUORUM` needs) although two live replicas could answer, and Cassandra has no speculative
//! retry for range reads; the driver's default policy does not retry that case either. Once
//! the node is marked down the retry succeeds. Every statement is idempotent, so a retry is
//! safe. At `ALL` a retry cannot help (the dead replica is needed): the error comes at once.

#[doc(hidden)]
pub mod builder;
mod schema;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use polars::prelude::DataFrame;
use scylla::client::session::Session;
use scylla::errors::{DbError, ExecutionError, RequestAttemptError};
use scylla::response::{PagingState, PagingStateResponse};
use scylla::statement::batch::{Batch, BatchStatement, BatchType};
use scylla::statement::prepared::PreparedStatement;
use scylla::value::CqlTimestamp;
use tokio::task::JoinSet;

pub use builder::CassandraBuilder;

use super::Consistency;
use super::errors::{StoreErrorKind, cassandra as store_error, from_scylla};
use super::quotes::{self, Quotes};
use crate::error::{Error, Result};

/// How long a request below `ALL` keeps retrying replica timeouts (see the module docs).
const TIMEOUT_BUDGET: Duration = Duration::from_secs(30);

/// Whether `error` is a replica timeout that a retry may fix at `consistency`.
fn retry_timeout(error: &ExecutionError, consistency: Consistency, since: Instant) -> bool {
    let timed_out = matches!(
        error,
        ExecutionError::LastAttemptError(RequestAttemptError::DbError(
            DbError::ReadTimeout { .. } | DbError::WriteTimeout { .. },
            _
        ))
    );
    timed_out && consistency != Consistency::All && since.elapsed() < TIMEOUT_BUDGET
}

/// Runs `attempt` until it succeeds, fails otherwise than by a retryable replica timeout, or
/// the budget is spent.
async fn retrying<T, F, Fut>(consistency: Consistency, attempt: F) -> Result<T, ExecutionError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, ExecutionError>>,
{
    let since = Instant::now();
    loop {
        match attempt().await {
            Err(e) if retry_timeout(&e, consistency, since) => {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            other => return other,
        }
    }
}

/// A connected cluster with its prepared statements, shared by the clones of a store.
pub(crate) struct Cassandra {
    session: Arc<Session>,
    /// `host:port, … (keyspace `k`)`, for messages.
    pub target: String,
    #[cfg_attr(not(test), allow(dead_code))]
    pub keyspace: String,
    pub table: String,
    pub replication_factor: u32,
    batch_rows: usize,
    concurrency: usize,
    insert: PreparedStatement,
    select_range: PreparedStatement,
    select_tokens: PreparedStatement,
    count_tokens: PreparedStatement,
    select_symbols: PreparedStatement,
}

impl std::fmt::Debug for Cassandra {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cassandra")
            .field("target", &self.target)
            .field("table", &self.table)
            .field("replication_factor", &self.replication_factor)
            .finish_non_exhaustive()
    }
}

/// One statement prepared for this store's calls: idempotent, paged, with a consistency
/// level set per call.
fn with_consistency(statement: &PreparedStatement, consistency: Consistency) -> PreparedStatement {
    let mut s = statement.clone();
    s.set_consistency(consistency.to_scylla());
    s
}

impl Cassandra {
    fn fail(
        &self,
        operation: &'static str,
        consistency: Consistency,
        error: &dyn std::error::Error,
    ) -> Error {
        from_scylla(operation, &self.target, consistency, error)
    }

    /// Upserts the rows; returns how many the frame had.
    pub async fn write(&self, quotes: Quotes, consistency: Consistency) -> Result<usize> {
        let rows = quotes.len();
        let (order, partitions) = quotes.partitions();
        let mut chunks = Vec::new();
        for (start, end) in partitions {
            let mut s = start;
            while s < end {
                let e = end.min(s + self.batch_rows);
                chunks.push((s, e));
                s = e;
            }
        }
        let insert = with_consistency(&self.insert, consistency);
        let mut full = Batch::new_with_statements(
            BatchType::Unlogged,
            vec![BatchStatement::PreparedStatement(insert.clone()); self.batch_rows],
        );
        full.set_consistency(consistency.to_scylla());
        full.set_is_idempotent(true);
        let job = Arc::new(WriteJob {
            session: Arc::clone(&self.session),
            quotes,
            order,
            chunks,
            next: AtomicUsize::new(0),
            insert,
            full,
            consistency,
        });
        let workers = self.concurrency.min(job.chunks.len());
        let mut set = JoinSet::new();
        for _ in 0..workers {
            let job = Arc::clone(&job);
            set.spawn(async move { job.run().await });
        }
        self.join(set, "write", consistency).await?;
        Ok(rows)
    }

    /// Waits for every task; on the first failure stops the others and returns it.
    async fn join<T: 'static>(
        &self,
        mut set: JoinSet<std::result::Result<T, WorkerError>>,
        operation: &'static str,
        consistency: Consistency,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        while let Some(joined) = set.join_next().await {
            let result = match joined {
                Ok(result) => result,
                Err(e) => Err(WorkerError::Panic(e.to_string())),
            };
            match result {
                Ok(value) => out.push(value),
                Err(e) => {
                    set.abort_all();
                    return Err(match e {
                        WorkerError::Interrupted => Error::Interrupted,
                        WorkerError::Driver(e) => {
                            let mut err = self.fail(operation, consistency, &*e);
                            if operation == "write"
                                && let Error::Store { message, .. } = &mut err
                            {
                                message.push_str(
                                    " (some rows may be written already: writes are upserts, \
                                     so writing the frame again is safe)",
                                );
                            }
                            err
                        }
                        WorkerError::Panic(message) => store_error(
                            operation,
                            &self.target,
                            StoreErrorKind::Query,
                            message,
                            "a bug in eddy: please report it".to_string(),
                        ),
                    });
                }
            }
        }
        Ok(out)
    }

    /// The quotes of `symbol` with `first <= ts <= last`, in `ts` order, paged.
    pub async fn range(
        &self,
        symbol: &str,
        first: i64,
        last: i64,
        consistency: Consistency,
    ) -> Result<DataFrame> {
        const OP: &str = "range";
        if first > last {
            return quotes::empty();
        }
        let statement = with_consistency(&self.select_range, consistency);
        let values = (symbol, CqlTimestamp(first), CqlTimestamp(last));
        let (mut ts, mut price) = (Vec::new(), Vec::new());
        let mut paging = PagingState::start();
        loop {
            crate::interrupt::check()?;
            let (result, next) = retrying(consistency, || {
                self.session
                    .execute_single_page(&statement, &values, paging.clone())
            })
            .await
            .map_err(|e| self.fail(OP, consistency, &e))?;
            let rows = result
                .into_rows_result()
                .map_err(|e| self.fail(OP, consistency, &e))?;
            ts.reserve(rows.rows_num());
            price.reserve(rows.rows_num());
            for row in rows
                .rows::<(CqlTimestamp, Option<f64>)>()
                .map_err(|e| self.fail(OP, consistency, &e))?
            {
                let (t, p) = row.map_err(|e| self.fail(OP, consistency, &e))?;
                ts.push(t.0);
                price.push(p);
            }
            match next {
                PagingStateResponse::HasMorePages { state } => paging = state,
                PagingStateResponse::NoMorePages => break,
            }
        }
        let n = ts.len();
        quotes::frame(&[(symbol, n)], ts, price)
    }

    /// The token ranges `(start, end]` between the ring's tokens, covering the whole ring
    /// (no partition has the token `i64::MIN` under Murmur3).
    fn token_ranges(&self) -> Vec<(i64, i64)> {
        let state = self.session.get_cluster_state();
        let mut tokens: Vec<i64> = state
            .replica_locator()
            .ring()
            .iter()
            .map(|(token, _)| token.value())
            .collect();
        tokens.push(i64::MIN);
        tokens.push(i64::MAX);
        tokens.sort_unstable();
        tokens.dedup();
        tokens.windows(2).map(|w| (w[0], w[1])).collect()
    }

    /// Runs `task` on every token range, at most `concurrency` at a time, and returns the
    /// results in ring order.
    async fn per_token_range<T, F, Fut>(
        &self,
        operation: &'static str,
        consistency: Consistency,
        task: F,
    ) -> Result<Vec<T>>
    where
        T: Send + 'static,
        F: Fn(Arc<Session>, i64, i64) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<T, WorkerError>> + Send,
    {
        let ranges = Arc::new(self.token_ranges());
        let next = Arc::new(AtomicUsize::new(0));
        let task = Arc::new(task);
        let mut set = JoinSet::new();
        for _ in 0..self.concurrency.min(ranges.len()) {
            let (ranges, next, task) = (Arc::clone(&ranges), Arc::clone(&next), Arc::clone(&task));
            let session = Arc::clone(&self.session);
            set.spawn(async move {
                let mut done = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&(start, end)) = ranges.get(i) else {
                        return Ok(done);
                    };
                    done.push((i, task(Arc::clone(&session), start, end).await?));
                }
            });
        }
        let mut all: Vec<(usize, T)> = self
            .join(set, operation, consistency)
            .await?
            .into_iter()
            .flatten()
            .collect();
        all.sort_by_key(|(i, _)| *i);
        Ok(all.into_iter().map(|(_, t)| t).collect())
    }

    /// Every quote, by symbol then `ts`: the token ranges read in parallel, then the
    /// partitions put in symbol order.
    pub async fn scan(&self, consistency: Consistency) -> Result<DataFrame> {
        let statement = with_consistency(&self.select_tokens, consistency);
        let chunks = self
            .per_token_range("scan", consistency, move |session, start, end| {
                let statement = statement.clone();
                async move { read_chunk(&session, &statement, consistency, start, end).await }
            })
            .await?;
        // Each partition is one run of rows within one chunk: order the runs by symbol.
        let mut runs: Vec<(&str, &Chunk, usize, usize)> = Vec::new();
        for chunk in &chunks {
            let mut offset = 0;
            for (symbol, n) in &chunk.runs {
                runs.push((symbol.as_str(), chunk, offset, *n));
                offset += n;
            }
        }
        runs.sort_by(|a, b| a.0.cmp(b.0));
        let total: usize = runs.iter().map(|r| r.3).sum();
        let (mut ts, mut price) = (Vec::with_capacity(total), Vec::with_capacity(total));
        let mut symbols: Vec<(&str, usize)> = Vec::with_capacity(runs.len());
        for (symbol, chunk, offset, n) in runs {
            ts.extend_from_slice(&chunk.ts[offset..offset + n]);
            price.extend_from_slice(&chunk.price[offset..offset + n]);
            match symbols.last_mut() {
                // Two partitions with one symbol cannot happen; merging keeps the frame right.
                Some((s, k)) if *s == symbol => *k += n,
                _ => symbols.push((symbol, n)),
            }
        }
        quotes::frame(&symbols, ts, price)
    }

    /// The number of rows, counted per token range in parallel.
    pub async fn count(&self, consistency: Consistency) -> Result<usize> {
        let statement = with_consistency(&self.count_tokens, consistency);
        let counts = self
            .per_token_range("count", consistency, move |session, start, end| {
                let statement = statement.clone();
                async move {
                    let result = retrying(consistency, || {
                        session.execute_unpaged(&statement, (start, end))
                    })
                    .await
                    .map_err(WorkerError::driver)?;
                    let rows = result.into_rows_result().map_err(WorkerError::driver)?;
                    let (n,) = rows.single_row::<(i64,)>().map_err(WorkerError::driver)?;
                    Ok(n)
                }
            })
            .await?;
        Ok(counts.into_iter().sum::<i64>() as usize)
    }

    /// The distinct symbols (partition keys), sorted.
    pub async fn symbols(&self, consistency: Consistency) -> Result<Vec<String>> {
        const OP: &str = "symbols";
        let statement = with_consistency(&self.select_symbols, consistency);
        let mut symbols = Vec::new();
        let mut paging = PagingState::start();
        loop {
            crate::interrupt::check()?;
            let (result, next) = retrying(consistency, || {
                self.session
                    .execute_single_page(&statement, (), paging.clone())
            })
            .await
            .map_err(|e| self.fail(OP, consistency, &e))?;
            let rows = result
                .into_rows_result()
                .map_err(|e| self.fail(OP, consistency, &e))?;
            for row in rows
                .rows::<(&str,)>()
                .map_err(|e| self.fail(OP, consistency, &e))?
            {
                let (symbol,) = row.map_err(|e| self.fail(OP, consistency, &e))?;
                symbols.push(symbol.to_string());
            }
            match next {
                PagingStateResponse::HasMorePages { state } => paging = state,
                PagingStateResponse::NoMorePages => break,
            }
        }
        symbols.sort();
        Ok(symbols)
    }
}

#[cfg(test)]
impl Cassandra {
    /// Drops the keyspace (tests clean up after themselves).
    pub async fn drop_keyspace(&self) -> Result<()> {
        self.session
            .query_unpaged(format!("DROP KEYSPACE IF EXISTS {}", self.keyspace), ())
            .await
            .map_err(|e| self.fail("drop_keyspace", Consistency::All, &e))?;
        Ok(())
    }
}

/// A failure inside a spawned task, turned into an [`Error`] by [`Cassandra::join`].
enum WorkerError {
    Interrupted,
    Driver(Box<dyn std::error::Error + Send + Sync>),
    Panic(String),
}

impl WorkerError {
    fn driver(e: impl std::error::Error + Send + Sync + 'static) -> WorkerError {
        WorkerError::Driver(Box::new(e))
    }
}

/// The rows of one write and the chunks (single-partition runs of `order`) still to send.
struct WriteJob {
    session: Arc<Session>,
    quotes: Quotes,
    order: Vec<u32>,
    chunks: Vec<(usize, usize)>,
    next: AtomicUsize,
    insert: PreparedStatement,
    /// A batch of `batch_rows` inserts, for the full chunks.
    full: Batch,
    consistency: Consistency,
}

impl WriteJob {
    /// One worker: takes the next chunk until none is left.
    async fn run(&self) -> std::result::Result<(), WorkerError> {
        loop {
            if crate::interrupt::interrupted() {
                return Err(WorkerError::Interrupted);
            }
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(&(start, end)) = self.chunks.get(i) else {
                return Ok(());
            };
            let row = |k: usize| {
                let r = self.order[k] as usize;
                (
                    self.quotes.symbol(r),
                    CqlTimestamp(self.quotes.ts[r]),
                    self.quotes.price[r],
                )
            };
            if end - start == 1 {
                retrying(self.consistency, || {
                    self.session.execute_unpaged(&self.insert, row(start))
                })
                .await
                .map_err(WorkerError::driver)?;
                continue;
            }
            let values: Vec<_> = (start..end).map(row).collect();
            let partial;
            let batch = if values.len() == self.full.statements.len() {
                &self.full
            } else {
                let mut b = Batch::new_with_statements(
                    BatchType::Unlogged,
                    vec![BatchStatement::PreparedStatement(self.insert.clone()); values.len()],
                );
                b.set_consistency(self.consistency.to_scylla());
                b.set_is_idempotent(true);
                partial = b;
                &partial
            };
            retrying(self.consistency, || self.session.batch(batch, &values))
                .await
                .map_err(WorkerError::driver)?;
        }
    }
}

/// The rows of one token range: runs of (symbol, row count) in the order they came, with
/// their `ts` and prices.
struct Chunk {
    runs: Vec<(String, usize)>,
    ts: Vec<i64>,
    price: Vec<Option<f64>>,
}

async fn read_chunk(
    session: &Session,
    statement: &PreparedStatement,
    consistency: Consistency,
    start: i64,
    end: i64,
) -> std::result::Result<Chunk, WorkerError> {
    let mut chunk = Chunk {
        runs: Vec::new(),
        ts: Vec::new(),
        price: Vec::new(),
    };
    let mut paging = PagingState::start();
    loop {
        if crate::interrupt::interrupted() {
            return Err(WorkerError::Interrupted);
        }
        let (result, next) = retrying(consistency, || {
            session.execute_single_page(statement, (start, end), paging.clone())
        })
        .await
        .map_err(WorkerError::driver)?;
        let rows = result.into_rows_result().map_err(WorkerError::driver)?;
        chunk.ts.reserve(rows.rows_num());
        chunk.price.reserve(rows.rows_num());
        for row in rows
            .rows::<(&str, CqlTimestamp, Option<f64>)>()
            .map_err(WorkerError::driver)?
        {
            let (symbol, t, p) = row.map_err(WorkerError::driver)?;
            match chunk.runs.last_mut() {
                Some((s, n)) if s == symbol => *n += 1,
                _ => chunk.runs.push((symbol.to_string(), 1)),
            }
            chunk.ts.push(t.0);
            chunk.price.push(p);
        }
        match next {
            PagingStateResponse::HasMorePages { state } => paging = state,
            PagingStateResponse::NoMorePages => return Ok(chunk),
        }
    }
}
