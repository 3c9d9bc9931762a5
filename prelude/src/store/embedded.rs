//! The embedded backend: one SQLite file (through rusqlite, SQLite compiled in), no server.
//!
//! The table is clustered like Cassandra's: `quotes(symbol TEXT, ts INTEGER, price,
//! PRIMARY KEY (symbol, ts)) STRICT, WITHOUT ROWID`, so a symbol's quotes sit together in
//! `ts` order and a range read is one B-tree seek and a sequential walk. `ts` is
//! milliseconds since the epoch; `price` holds 8-byte reals (or null) exactly as given (see
//! [`SCHEMA`] for why it is not declared `REAL`). The file runs in WAL mode (readers do not block the writer) with
//! `synchronous=NORMAL` (a power cut may lose the last transactions, never corrupt the file),
//! and each [`write`](Embedded::write) is one transaction: all of a frame's rows, or none.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use polars::prelude::DataFrame;
use rusqlite::{Connection, params};

use super::errors::from_sqlite;
use super::quotes::{self, Quotes};
use crate::error::{Error, Result};

/// `price` is `ANY` with a check that it is a real or null, not `REAL`: SQLite writes a
/// whole-number value of a `REAL` column as an integer on disk, which turns -0.0 into 0.0,
/// while a `STRICT` table's `ANY` column keeps the 8 bytes it is given.
const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS quotes (
    symbol TEXT NOT NULL,
    ts INTEGER NOT NULL,
    price ANY CHECK (typeof(price) IN ('real', 'null')),
    PRIMARY KEY (symbol, ts)
) STRICT, WITHOUT ROWID";

const UPSERT: &str = "INSERT INTO quotes (symbol, ts, price) VALUES (?1, ?2, ?3)
    ON CONFLICT (symbol, ts) DO UPDATE SET price = excluded.price";

/// Rows between two checks of the interrupt flag.
const CHECK_EVERY: usize = 16_384;

/// An open SQLite store, shared by the clones of a [`Store`](super::Store).
#[derive(Clone)]
pub(crate) struct Embedded {
    conn: Arc<Mutex<Connection>>,
    /// The file, or `:memory:`.
    pub path: String,
}

impl Embedded {
    /// Opens (creating if needed) the store in the file `path`, creating its directory too.
    pub fn open(path: &Path) -> Result<Embedded> {
        const OP: &str = "Store::embedded";
        let shown = path.display().to_string();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| Error::Io {
                operation: OP,
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let conn = Connection::open(path).map_err(|e| from_sqlite(OP, &shown, e))?;
        Embedded::init(conn, shown)
    }

    /// A store in memory, gone when its last clone is dropped.
    pub fn in_memory() -> Result<Embedded> {
        let conn = Connection::open_in_memory()
            .map_err(|e| from_sqlite("Store::embedded_in_memory", ":memory:", e))?;
        Embedded::init(conn, ":memory:".to_string())
    }

    fn init(conn: Connection, path: String) -> Result<Embedded> {
        const OP: &str = "Store::embedded";
        let setup = || -> rusqlite::Result<()> {
            conn.busy_timeout(Duration::from_secs(5))?;
            // `journal_mode` answers with the mode it set (`memory` for an in-memory database).
            conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
            conn.execute_batch("PRAGMA synchronous = NORMAL")?;
            conn.execute_batch(SCHEMA)
        };
        setup().map_err(|e| from_sqlite(OP, &path, e))?;
        Ok(Embedded {
            conn: Arc::new(Mutex::new(conn)),
            path,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite itself consistent (the transaction
        // rolls back when dropped), so a poisoned lock is still usable.
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Upserts the rows in one transaction; returns how many rows the frame had.
    pub fn write(&self, quotes: &Quotes) -> Result<usize> {
        const OP: &str = "write";
        let fail = |e| from_sqlite(OP, &self.path, e);
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(fail)?;
        {
            let mut insert = tx.prepare_cached(UPSERT).map_err(fail)?;
            for i in 0..quotes.len() {
                if i % CHECK_EVERY == 0 {
                    // Dropping `tx` rolls the transaction back: nothing of this frame is kept.
                    crate::interrupt::check()?;
                }
                insert
                    .execute(params![quotes.symbol(i), quotes.ts[i], quotes.price[i]])
                    .map_err(fail)?;
            }
        }
        tx.commit().map_err(fail)?;
        Ok(quotes.len())
    }

    /// The quotes of `symbol` with `first <= ts <= last`, in `ts` order.
    pub fn range(&self, symbol: &str, first: i64, last: i64) -> Result<DataFrame> {
        self.select(
            "range",
            "SELECT symbol, ts, price FROM quotes WHERE symbol = ?1 AND ts >= ?2 AND ts <= ?3
             ORDER BY ts",
            params![symbol, first, last],
        )
    }

    /// Every quote, by symbol then `ts`.
    pub fn scan(&self) -> Result<DataFrame> {
        self.select(
            "scan",
            "SELECT symbol, ts, price FROM quotes ORDER BY symbol, ts",
            params![],
        )
    }

    fn select(
        &self,
        operation: &'static str,
        sql: &str,
        params: &[&dyn rusqlite::ToSql],
    ) -> Result<DataFrame> {
        let fail = |e| from_sqlite(operation, &self.path, e);
        let conn = self.lock();
        let mut statement = conn.prepare_cached(sql).map_err(fail)?;
        let mut rows = statement.query(params).map_err(fail)?;
        let mut runs: Vec<(String, usize)> = Vec::new();
        let (mut ts, mut price) = (Vec::new(), Vec::new());
        while let Some(row) = rows.next().map_err(fail)? {
            if ts.len() % CHECK_EVERY == 0 {
                crate::interrupt::check()?;
            }
            let symbol = row
                .get_ref(0)
                .map_err(fail)?
                .as_str()
                .map_err(|e| fail(e.into()))?;
            match runs.last_mut() {
                Some((s, n)) if s == symbol => *n += 1,
                _ => runs.push((symbol.to_string(), 1)),
            }
            ts.push(row.get::<_, i64>(1).map_err(fail)?);
            price.push(row.get::<_, Option<f64>>(2).map_err(fail)?);
        }
        let runs: Vec<(&str, usize)> = runs.iter().map(|(s, n)| (s.as_str(), *n)).collect();
        quotes::frame(&runs, ts, price)
    }

    /// The distinct symbols, sorted.
    pub fn symbols(&self) -> Result<Vec<String>> {
        let fail = |e| from_sqlite("symbols", &self.path, e);
        let conn = self.lock();
        // A loose index scan: one B-tree seek per symbol instead of a walk over every row.
        let mut statement = conn
            .prepare_cached(
                "WITH RECURSIVE s(symbol) AS (
                    SELECT min(symbol) FROM quotes
                    UNION ALL
                    SELECT (SELECT min(symbol) FROM quotes WHERE symbol > s.symbol)
                    FROM s WHERE s.symbol IS NOT NULL
                 )
                 SELECT symbol FROM s WHERE symbol IS NOT NULL",
            )
            .map_err(fail)?;
        let symbols = statement
            .query_map([], |row| row.get::<_, String>(0))
            .map_err(fail)?
            .collect::<rusqlite::Result<Vec<String>>>()
            .map_err(fail)?;
        Ok(symbols)
    }

    /// The number of rows.
    pub fn count(&self) -> Result<usize> {
        let conn = self.lock();
        let n: i64 = conn
            .query_row("SELECT count(*) FROM quotes", [], |row| row.get(0))
            .map_err(|e| from_sqlite("count", &self.path, e))?;
        Ok(n as usize)
    }
}
