//! Tests of [`Store`]: one suite of cases run on the embedded backend (always) and on a real
//! Cassandra (`#[ignore]`d: they need the servers that `services/cassandra.sh` starts).
//!
//! The Cassandra tests read their cluster from the environment, and fail (never skip) when
//! it is not set or not running:
//!
//! | variable | example | used by |
//! |---|---|---|
//! | `EDDY_CASSANDRA` | `127.0.0.1:9042` | the suite, cross-backend, Python cross-check, write modes |
//! | `EDDY_CASSANDRA3` | `127.0.3.1,127.0.3.2,127.0.3.3` | the killed-node test (it kills and restarts node 3 with `EDDY_CASSANDRA_SH`) |
//! | `EDDY_CASSANDRA_AUTH` | `127.0.0.1:9042` | the PasswordAuthenticator test (a node started with `--auth`) |
//! | `EDDY_CASSANDRA_SH` | `/path/to/services/cassandra.sh` | defaults to the repo's `services/cassandra.sh` |
//! | `EDDY_PYTHON` | the venv's python | the cross-check with the Python cassandra-driver |
//!
//! ```text
//! EDDY_CASSANDRA=127.0.0.1:9042 cargo test --release --locked -p eddy-prelude --lib -- --ignored store::
//! ```

use std::time::{Duration, Instant};

use polars::prelude::*;

use super::*;
use crate::data::{sp500, to_long};
use crate::error::Error;

// ---------------------------------------------------------------------------- helpers

fn ymd(y: i32, m: u32, d: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A quote frame from rows (symbol, ms, price).
fn frame(rows: &[(&str, i64, Option<f64>)]) -> DataFrame {
    let runs: Vec<(&str, usize)> = rows.iter().map(|r| (r.0, 1)).collect();
    quotes::frame(
        &runs,
        rows.iter().map(|r| r.1).collect(),
        rows.iter().map(|r| r.2).collect(),
    )
    .unwrap()
}

/// The rows of a quote frame, prices as bits so that equality is exact (and -0.0 ≠ 0.0).
fn rows(df: &DataFrame) -> Vec<(String, i64, Option<u64>)> {
    assert_eq!(df.get_column_names(), ["symbol", "ts", "price"]);
    assert_eq!(
        df.dtypes(),
        [
            DataType::String,
            DataType::Datetime(TimeUnit::Milliseconds, None),
            DataType::Float64
        ]
    );
    let s = df.column("symbol").unwrap().str().unwrap().clone();
    let t = df.column("ts").unwrap().to_physical_repr();
    let t = t.i64().unwrap();
    let p = df.column("price").unwrap().f64().unwrap().clone();
    (0..df.height())
        .map(|i| {
            (
                s.get(i).unwrap().to_string(),
                t.get(i).unwrap(),
                p.get(i).map(f64::to_bits),
            )
        })
        .collect()
}

/// Compares row lists, showing the first difference rather than thousands of rows.
#[track_caller]
fn assert_rows_eq(got: &[(String, i64, Option<u64>)], want: &[(String, i64, Option<u64>)]) {
    if let Some(i) = (0..got.len().min(want.len())).find(|&i| got[i] != want[i]) {
        let show = |r: &(String, i64, Option<u64>)| {
            format!("{:?} {} {:?}", r.0, r.1, r.2.map(f64::from_bits))
        };
        panic!(
            "row {i} differs: got {} ({:?}), want {} ({:?})",
            show(&got[i]),
            got[i].2,
            show(&want[i]),
            want[i].2
        );
    }
    assert_eq!(got.len(), want.len(), "row counts differ");
}

/// The long sp500 quotes for a few symbols (`ts` a `Date`), and the same as the store
/// returns them (`ts` in milliseconds, sorted by symbol then time).
fn sp500_quotes(symbols: &[&str]) -> (DataFrame, DataFrame) {
    let mut columns = vec!["Date"];
    columns.extend_from_slice(symbols);
    let long = to_long(&sp500().unwrap().select(columns).unwrap(), "Date").unwrap();
    let expected = long
        .clone()
        .lazy()
        .with_column(col("ts").cast(DataType::Datetime(TimeUnit::Milliseconds, None)))
        .sort(["symbol", "ts"], Default::default())
        .collect()
        .unwrap();
    (long, expected)
}

/// Doubles that catch any conversion on the way: signed zeros, subnormals, extremes,
/// infinities, values that are not short decimals.
const HARD_DOUBLES: [f64; 12] = [
    0.0,
    -0.0,
    f64::MIN_POSITIVE,
    5e-324, // the smallest subnormal
    -2.2250738585072009e-308,
    f64::MAX,
    f64::MIN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    0.1 + 0.2,
    9_007_199_254_740_993.0, // 2^53 + 1, not representable: rounds to 2^53
    1.0 / 3.0,
];

// ---------------------------------------------------------------------------- the suite

/// Every double in [`HARD_DOUBLES`] and a few thousand pseudo-random bit patterns come back
/// bit for bit; times come back to the millisecond, before and after the epoch.
fn round_trip_is_exact(store: &Store) {
    let mut data: Vec<(String, i64, Option<f64>)> = Vec::new();
    for (i, &p) in HARD_DOUBLES.iter().enumerate() {
        data.push(("HARD".into(), i as i64 * 1_001 - 5_000, Some(p)));
    }
    data.push(("HARD".into(), 1_704_187_800_123, None));
    // xorshift bit patterns, NaNs skipped (refused by write)
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut k = 0;
    while data.len() < 3_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let p = f64::from_bits(x);
        if p.is_nan() {
            continue;
        }
        // ms from 1900 to 2100, odd milliseconds included
        let ts = -2_208_988_800_000 + (x % 6_311_390_400_000) as i64;
        data.push((format!("R{}", k % 7), ts, Some(p)));
        k += 1;
    }
    let refs: Vec<(&str, i64, Option<f64>)> =
        data.iter().map(|(s, t, p)| (s.as_str(), *t, *p)).collect();
    let df = frame(&refs);
    assert_eq!(store.write(&df).unwrap(), df.height());
    let got = rows(&store.scan().unwrap());
    let mut want = rows(&df);
    want.sort();
    want.dedup_by(|a, b| (&a.0, a.1) == (&b.0, b.1)); // xorshift may repeat a (symbol, ts)
    assert_rows_eq(&got, &want);
    // range of one symbol, everything
    let hard = rows(&store.range("HARD", ..).unwrap());
    let want_hard: Vec<_> = want.iter().filter(|r| r.0 == "HARD").cloned().collect();
    assert_rows_eq(&hard, &want_hard);
    assert_eq!(
        hard.iter().find(|r| r.1 == -3_999).unwrap().2,
        Some((-0.0f64).to_bits())
    );
}

/// `from..to` keeps `from <= ts < to`, for every kind of bound.
fn range_bounds(store: &Store) {
    let base = Timestamp::from(ymd(2024, 1, 2)).millis();
    let data: Vec<(&str, i64, Option<f64>)> = (0..10)
        .map(|i| ("RB", base + i * 86_400_000, Some(i as f64)))
        .chain([("RA", base, Some(-1.0)), ("RC", base, Some(-2.0))])
        .collect();
    store.write(&frame(&data)).unwrap();
    let ts = |df: DataFrame| -> Vec<i64> { rows(&df).into_iter().map(|r| r.1).collect() };
    let day = |i: i64| base + i * 86_400_000;
    assert_eq!(
        ts(store.range("RB", ymd(2024, 1, 3)..ymd(2024, 1, 6)).unwrap()),
        [day(1), day(2), day(3)]
    );
    assert_eq!(
        ts(store.range("RB", ymd(2024, 1, 9)..).unwrap()),
        [day(7), day(8), day(9)]
    );
    assert_eq!(
        ts(store.range("RB", ..ymd(2024, 1, 4)).unwrap()),
        [day(0), day(1)]
    );
    assert_eq!(ts(store.range("RB", ..).unwrap()).len(), 10);
    // the last millisecond before a day is in the range that ends at that day, not in the next
    let t = Timestamp::from_millis;
    assert_eq!(
        ts(store.range("RB", t(day(1))..t(day(1) + 1)).unwrap()),
        [day(1)]
    );
    assert!(
        store
            .range("RB", t(day(1) - 1)..t(day(1)))
            .unwrap()
            .height()
            == 0
    );
    // a fraction of a millisecond rounds up, keeping the range half-open
    let just_after = ymd(2024, 1, 3).and_hms_micro_opt(0, 0, 0, 1).unwrap();
    assert_eq!(
        ts(store
            .range(
                "RB",
                just_after..ymd(2024, 1, 5).and_hms_opt(0, 0, 0).unwrap()
            )
            .unwrap()),
        [day(2)]
    );
    // empty and inverted ranges, unknown symbols
    assert_eq!(
        store
            .range("RB", ymd(2024, 1, 5)..ymd(2024, 1, 5))
            .unwrap()
            .height(),
        0
    );
    assert_eq!(
        store
            .range("RB", ymd(2024, 1, 5)..ymd(2024, 1, 3))
            .unwrap()
            .height(),
        0
    );
    let none = store.range("NOPE", ..).unwrap();
    assert_eq!(none.height(), 0);
    rows(&none); // still the canonical schema
}

/// Writing the same frame again changes nothing; a new price for a stored key replaces it;
/// of two rows with one key in a frame, the last wins.
fn upsert_is_idempotent(store: &Store) {
    let first = frame(&[("UP", 1, Some(1.0)), ("UP", 2, Some(2.0)), ("UQ", 1, None)]);
    store.write(&first).unwrap();
    let once = rows(&store.scan().unwrap());
    store.write(&first).unwrap();
    store.write(&first).unwrap();
    assert_eq!(rows(&store.scan().unwrap()), once);
    store
        .write(&frame(&[("UP", 2, Some(20.0)), ("UQ", 1, Some(5.0))]))
        .unwrap();
    let up = rows(&store.range("UP", ..).unwrap());
    assert_eq!(up[1].2, Some(20.0f64.to_bits()));
    assert_eq!(
        rows(&store.range("UQ", ..).unwrap())[0].2,
        Some(5.0f64.to_bits())
    );
    // duplicates within one frame, out of order: the last row of each key wins
    let dup = frame(&[
        ("UP", 3, Some(1.0)),
        ("UP", 1, Some(10.0)),
        ("UP", 3, Some(3.0)),
        ("UP", 1, Some(11.0)),
    ]);
    assert_eq!(store.write(&dup).unwrap(), 4);
    let up: Vec<(i64, Option<u64>)> = rows(&store.range("UP", ..).unwrap())
        .into_iter()
        .map(|r| (r.1, r.2))
        .collect();
    assert_eq!(
        up,
        [
            (1, Some(11.0f64.to_bits())),
            (2, Some(20.0f64.to_bits())),
            (3, Some(3.0f64.to_bits()))
        ]
    );
    // a null price overwrites a number (the row is kept, its price is missing)
    store.write(&frame(&[("UP", 2, None)])).unwrap();
    assert_eq!(
        rows(&store.range("UP", ..).unwrap())[1],
        ("UP".into(), 2, None)
    );
}

/// Symbols that look like CQL or SQL, or carry quotes and non-ASCII text, are stored and
/// found as the text they are.
fn hostile_symbols_are_literal(store: &Store) {
    let symbols = [
        "'); DROP TABLE quotes; --",
        "x' OR '1'='1",
        "\"; DROP KEYSPACE system; --",
        "Robert'); DELETE FROM quotes WHERE symbol = 'AAPL",
        "ünïcødé 株式 📈",
        "semi;colon\nnewline\ttab",
        "?",
        "%",
    ];
    let data: Vec<(&str, i64, Option<f64>)> = symbols
        .iter()
        .enumerate()
        .map(|(i, s)| (*s, i as i64, Some(i as f64)))
        .collect();
    store.write(&frame(&data)).unwrap();
    for (i, s) in symbols.iter().enumerate() {
        let got = rows(&store.range(s, ..).unwrap());
        assert_eq!(
            got,
            [(s.to_string(), i as i64, Some((i as f64).to_bits()))],
            "{s:?}"
        );
    }
    let stored = store.symbols().unwrap();
    for s in symbols {
        assert!(stored.iter().any(|x| x == s), "{s:?} not in {stored:?}");
    }
    // the table is still there
    assert!(store.count().unwrap() >= symbols.len());
}

/// The long sp500 table (`ts` a `Date`) written and scanned back whole; `symbols` and
/// `count` agree with it.
fn sp500_round_trip(store: &Store) {
    let (long, expected) = sp500_quotes(&["AAPL", "KO", "MSFT", "XOM"]);
    store.write(&long).unwrap();
    assert_eq!(store.symbols().unwrap(), ["AAPL", "KO", "MSFT", "XOM"]);
    assert_eq!(store.count().unwrap(), long.height());
    let scanned = store.scan().unwrap();
    assert!(
        scanned.equals_missing(&expected),
        "{scanned:?}\n{expected:?}"
    );
    let jan = store.range("KO", ymd(2020, 1, 1)..ymd(2020, 2, 1)).unwrap();
    assert_eq!(jan.height(), 21);
}

/// Runs the cases that need an empty store, each on a fresh one from `fresh`.
fn suite(fresh: &mut dyn FnMut() -> Store) {
    let empty = fresh();
    assert_eq!(empty.count().unwrap(), 0);
    assert!(empty.symbols().unwrap().is_empty());
    assert_eq!(rows(&empty.scan().unwrap()), []);
    round_trip_is_exact(&fresh());
    range_bounds(&fresh());
    upsert_is_idempotent(&fresh());
    hostile_symbols_are_literal(&fresh());
    sp500_round_trip(&fresh());
}

// ---------------------------------------------------------------------------- embedded

#[test]
fn embedded_in_memory_suite() {
    suite(&mut || Store::embedded_in_memory().unwrap());
}

/// A scratch directory removed at the end of the test.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "eddy-store-{name}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn embedded_file_suite_and_reopen() {
    let dir = TempDir::new("suite");
    let mut i = 0;
    suite(&mut || {
        i += 1;
        Store::embedded(dir.0.join(format!("nested/{i}.db"))).unwrap()
    });
    // what was written is there after reopening
    let path = dir.0.join("nested/6.db"); // sp500_round_trip's store
    let reopened = Store::embedded(&path).unwrap();
    assert_eq!(reopened.symbols().unwrap(), ["AAPL", "KO", "MSFT", "XOM"]);
    assert!(reopened.to_string().contains("6.db"));
}

#[test]
fn embedded_refuses_a_file_that_is_not_a_database() {
    let dir = TempDir::new("garbage");
    std::fs::create_dir_all(&dir.0).unwrap();
    let path = dir.0.join("not.db");
    std::fs::write(&path, vec![b'x'; 4096]).unwrap();
    let err = Store::embedded(&path).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Store {
                kind: StoreErrorKind::File,
                ..
            }
        ),
        "{err}"
    );
    let msg = err.to_string();
    assert!(msg.starts_with("Store::embedded: sqlite at "), "{msg}");
    assert!(msg.contains("hint:"), "{msg}");
}

#[test]
fn invalid_frames_write_nothing() {
    let store = Store::embedded_in_memory().unwrap();
    let mut bad = frame(&[("A", 1, Some(1.0)), ("B", 2, Some(f64::NAN))]);
    assert!(store.write(&bad).is_err());
    assert_eq!(store.count().unwrap(), 0);
    bad = bad.drop("price").unwrap();
    assert!(matches!(
        store.write(&bad).unwrap_err(),
        Error::ColumnNotFound { .. }
    ));
    let empty_symbol = frame(&[("", 1, Some(1.0))]);
    let err = store.write(&empty_symbol).unwrap_err().to_string();
    assert!(
        err.contains("symbol should be from 1 to 65535 bytes"),
        "{err}"
    );
    assert_eq!(store.count().unwrap(), 0);
    // an empty frame is a no-op
    assert_eq!(store.write(&frame(&[])).unwrap(), 0);
}

#[test]
fn timestamps_of_any_unit_are_stored_to_the_millisecond() {
    let store = Store::embedded_in_memory().unwrap();
    let base = frame(&[("A", 1_704_187_800_123, Some(1.0)), ("A", -1, Some(2.0))]);
    for unit in [TimeUnit::Microseconds, TimeUnit::Nanoseconds] {
        let df = base
            .clone()
            .lazy()
            .with_column(col("ts").cast(DataType::Datetime(unit, None)))
            .collect()
            .unwrap();
        store.write(&df).unwrap();
        assert_eq!(rows(&store.scan().unwrap()), {
            let mut r = rows(&base);
            r.sort();
            r
        });
    }
    // a time-zone aware column is stored as its UTC instant
    let tz = base
        .clone()
        .lazy()
        .with_column(col("ts").cast(DataType::Datetime(
            TimeUnit::Milliseconds,
            Some(unsafe { TimeZone::from_static("Europe/Paris") }),
        )))
        .collect()
        .unwrap();
    let other = Store::embedded_in_memory().unwrap();
    other.write(&tz).unwrap();
    assert_eq!(rows(&other.scan().unwrap()), rows(&store.scan().unwrap()));
}

#[test]
fn a_store_goes_to_other_threads() {
    fn assert_send_sync<T: Clone + Send + Sync + 'static>() {}
    assert_send_sync::<Store>();
    let store = Store::embedded_in_memory().unwrap();
    let handles: Vec<_> = (0..4)
        .map(|k| {
            let s = store.clone();
            std::thread::spawn(move || {
                let sym = format!("T{k}");
                let data: Vec<(&str, i64, Option<f64>)> = (0..500)
                    .map(|i| (sym.as_str(), i, Some(i as f64)))
                    .collect();
                s.write(&frame(&data)).unwrap()
            })
        })
        .collect();
    let written: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(written, 2_000);
    assert_eq!(store.count().unwrap(), 2_000);
}

// ---------------------------------------------------------------------------- Cassandra

/// `EDDY_CASSANDRA` and friends: a comma-separated list of contact points. Fails, never
/// skips, when unset.
fn nodes_from_env(var: &str) -> Vec<String> {
    let value = std::env::var(var).unwrap_or_else(|_| {
        panic!(
            "{var} is not set: start Cassandra with services/cassandra.sh start (see \
             store/tests.rs) and set {var}, e.g. {var}=127.0.0.1:9042"
        )
    });
    value.split(',').map(|s| s.trim().to_string()).collect()
}

fn unique_keyspace(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("eddy_{prefix}_{}_{nanos}", std::process::id())
}

/// Drops the keyspace when the test ends, passed or failed.
struct Keyspace(Store);

impl Drop for Keyspace {
    fn drop(&mut self) {
        if let Backend::Cassandra(c) = &self.0.backend {
            let _ = run(c.drop_keyspace());
        }
    }
}

fn cassandra_store(
    var: &str,
    prefix: &str,
    configure: impl Fn(CassandraBuilder) -> CassandraBuilder,
) -> Keyspace {
    let nodes = nodes_from_env(var);
    let nodes: Vec<&str> = nodes.iter().map(String::as_str).collect();
    // Small pages, so that the tests' reads cross page boundaries.
    let builder =
        configure(Store::cassandra_builder(&nodes, &unique_keyspace(prefix)).page_rows(1_000));
    Keyspace(builder.build().unwrap_or_else(|e| panic!("{e}")))
}

#[test]
#[ignore = "needs Cassandra: EDDY_CASSANDRA=127.0.0.1:9042 (services/cassandra.sh start)"]
fn cassandra_suite() {
    let mut keyspaces = Vec::new();
    suite(&mut || {
        let ks = cassandra_store("EDDY_CASSANDRA", "suite", |b| b);
        let store = ks.0.clone();
        keyspaces.push(ks);
        store
    });
}

#[test]
#[ignore = "needs Cassandra: EDDY_CASSANDRA=127.0.0.1:9042 (services/cassandra.sh start)"]
fn cassandra_and_embedded_give_identical_frames() {
    let ks = cassandra_store("EDDY_CASSANDRA", "same", |b| b);
    let cassandra = &ks.0;
    let embedded = Store::embedded_in_memory().unwrap();
    let (long, _) = sp500_quotes(&["AAPL", "KO", "MSFT", "XOM", "JNJ"]);
    let hostile = frame(&[
        ("'); DROP TABLE quotes; --", 5, Some(-0.0)),
        ("'); DROP TABLE quotes; --", -5, None),
        ("KO", 0, Some(f64::MIN_POSITIVE)),
    ]);
    for store in [cassandra, &embedded] {
        store.write(&long).unwrap();
        store.write(&hostile).unwrap();
    }
    let (a, b) = (cassandra.scan().unwrap(), embedded.scan().unwrap());
    assert_rows_eq(&rows(&a), &rows(&b));
    assert!(a.equals_missing(&b));
    for symbol in ["KO", "'); DROP TABLE quotes; --", "NOPE"] {
        let bounds = ymd(1990, 1, 1)..ymd(2021, 6, 30);
        let (a, b) = (
            cassandra.range(symbol, bounds.clone()).unwrap(),
            embedded.range(symbol, bounds).unwrap(),
        );
        assert_rows_eq(&rows(&a), &rows(&b));
    }
    assert_eq!(cassandra.symbols().unwrap(), embedded.symbols().unwrap());
    assert_eq!(cassandra.count().unwrap(), embedded.count().unwrap());
}

#[test]
#[ignore = "needs Cassandra: EDDY_CASSANDRA=127.0.0.1:9042 (services/cassandra.sh start)"]
fn cassandra_write_modes_and_levels_agree() {
    let (long, expected) = sp500_quotes(&["AAPL", "KO", "MSFT"]);
    // single inserts, odd batches, the default, batches larger than a partition
    for (batch_rows, concurrency) in [(1, 64), (7, 3), (100, 32), (10_000, 1)] {
        let ks = cassandra_store("EDDY_CASSANDRA", "modes", |b| {
            b.batch_rows(batch_rows).concurrency(concurrency)
        });
        assert_eq!(ks.0.write(&long).unwrap(), long.height());
        let scanned = ks.0.scan().unwrap();
        assert!(scanned.equals_missing(&expected), "batch_rows {batch_rows}");
    }
    // every level works on one node (RF 1: each needs the one replica)
    let ks = cassandra_store("EDDY_CASSANDRA", "levels", |b| {
        b.consistency(Consistency::One)
    });
    for level in [Consistency::One, Consistency::Quorum, Consistency::All] {
        let store = ks.0.with_consistency(level);
        assert_eq!(store.consistency(), level);
        store.write(&long).unwrap();
        assert_eq!(store.count().unwrap(), long.height());
        assert!(store.scan().unwrap().equals_missing(&expected));
        assert!(store.to_string().contains(&level.to_string()));
    }
}

#[test]
#[ignore = "needs Cassandra: EDDY_CASSANDRA=127.0.0.1:9042 (services/cassandra.sh start)"]
fn cassandra_unreachable_fails_clearly_within_10_s() {
    // Refused at once (nothing on port 1); a black-holed address (TEST-NET-1, RFC 5737;
    // refused at once too where the network rejects it); and a port that accepts the TCP
    // connection but never answers the CQL handshake, the slowest case.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent = silent.local_addr().unwrap().to_string();
    for node in ["127.0.0.1:1", "192.0.2.1:9042", silent.as_str()] {
        let t0 = Instant::now();
        let err = Store::cassandra(&[node], "course").unwrap_err();
        let elapsed = t0.elapsed();
        assert!(elapsed < Duration::from_secs(10), "{node}: {elapsed:?}");
        assert!(
            matches!(
                err,
                Error::Store {
                    kind: StoreErrorKind::Connect,
                    ..
                }
            ),
            "{node}: {err}"
        );
        let msg = err.to_string();
        assert!(
            msg.contains(node) && msg.contains("services/cassandra.sh start"),
            "{msg}"
        );
        eprintln!("{node}: {elapsed:?}: {msg}");
    }
}

/// The venv's python (`EDDY_PYTHON`, default `$EDDY_HOME/venv/bin/python`).
fn python() -> String {
    std::env::var("EDDY_PYTHON").unwrap_or_else(|_| {
        let home = std::env::var("EDDY_HOME").unwrap_or_else(|_| {
            format!(
                "{}/.local/share/eddy",
                std::env::var("HOME").unwrap_or_default()
            )
        });
        format!("{home}/venv/bin/python")
    })
}

/// Reads the table with the Python cassandra-driver and prints every row as JSON, price
/// as the hex of its 8 bytes; then writes `PY_ROWS` under the symbol `py'; --`.
const PYTHON_CROSS_CHECK: &str = r#"
import json, struct, sys
from datetime import datetime, timedelta
from cassandra.cluster import Cluster
host, port = sys.argv[1].rsplit(":", 1)
keyspace = sys.argv[2]
cluster = Cluster([host], port=int(port))
session = cluster.connect(keyspace)
epoch = datetime(1970, 1, 1)
rows = []
for r in session.execute("SELECT symbol, ts, price FROM quotes"):
    ms = (r.ts - epoch) // timedelta(milliseconds=1)
    bits = None if r.price is None else struct.pack(">d", r.price).hex()
    rows.append([r.symbol, ms, bits])
insert = session.prepare("INSERT INTO quotes (symbol, ts, price) VALUES (?, ?, ?)")
for ms, price in [(-86_400_000, -0.0), (0, 1e-310), (1_704_187_800_123, 0.1 + 0.2), (5, None)]:
    session.execute(insert, ("py'; --", epoch + timedelta(milliseconds=ms), price))
print(json.dumps(rows))
cluster.shutdown()
"#;

#[test]
#[ignore = "needs Cassandra: EDDY_CASSANDRA=127.0.0.1:9042 (services/cassandra.sh start) and the venv's cassandra-driver"]
fn cassandra_agrees_with_the_python_driver() {
    let ks = cassandra_store("EDDY_CASSANDRA", "python", |b| b);
    let Backend::Cassandra(c) = &ks.0.backend else {
        unreachable!()
    };
    let df = frame(&[
        ("'); DROP TABLE quotes; --", -1, Some(-0.0)),
        ("'); DROP TABLE quotes; --", 1_704_187_800_123, Some(5e-324)),
        ("KO", 0, Some(f64::MAX)),
        ("KO", 1, None),
        ("KO", 2, Some(0.1 + 0.2)),
        ("KO", -2_208_988_800_001, Some(-1.0 / 3.0)),
    ]);
    ks.0.write(&df).unwrap();
    let node = nodes_from_env("EDDY_CASSANDRA").remove(0);
    let node = if node.contains(':') {
        node
    } else {
        format!("{node}:9042")
    };
    let out = std::process::Command::new(python())
        .args(["-c", PYTHON_CROSS_CHECK, &node, &c.keyspace])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e} (set EDDY_PYTHON)", python()));
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // What Python read is what Rust wrote, bit for bit.
    let read: Vec<(String, i64, Option<String>)> = serde_json::from_slice(&out.stdout).unwrap();
    let mut read: Vec<(String, i64, Option<u64>)> = read
        .into_iter()
        .map(|(s, t, p)| (s, t, p.map(|h| u64::from_str_radix(&h, 16).unwrap())))
        .collect();
    read.sort();
    let mut want = rows(&df);
    want.sort();
    assert_rows_eq(&read, &want);
    // What Python wrote, Rust reads bit for bit.
    let got = rows(&ks.0.range("py'; --", ..).unwrap());
    let py = |t: i64, p: Option<f64>| ("py'; --".to_string(), t, p.map(f64::to_bits));
    assert_rows_eq(
        &got,
        &[
            py(-86_400_000, Some(-0.0)),
            py(0, Some(1e-310)),
            py(5, None),
            py(1_704_187_800_123, Some(0.1 + 0.2)),
        ],
    );
}

/// `services/cassandra.sh`: `EDDY_CASSANDRA_SH`, or the repo's.
fn cassandra_sh(args: &[&str]) {
    let script = std::env::var("EDDY_CASSANDRA_SH")
        .unwrap_or_else(|_| format!("{}/../services/cassandra.sh", env!("CARGO_MANIFEST_DIR")));
    let out = std::process::Command::new(&script)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {script}: {e} (set EDDY_CASSANDRA_SH)"));
    assert!(
        out.status.success(),
        "{script} {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Restarts node 3 when the test ends, passed or failed.
struct Restart;

impl Drop for Restart {
    fn drop(&mut self) {
        cassandra_sh(&["start-node", "--nodes", "3", "3"]);
    }
}

#[test]
#[ignore = "needs the three-node cluster: EDDY_CASSANDRA3=127.0.3.1,127.0.3.2,127.0.3.3 (services/cassandra.sh start --nodes 3); kills node 3"]
fn cassandra_rf3_quorum_survives_a_killed_node_and_all_fails() {
    let ks = cassandra_store("EDDY_CASSANDRA3", "rf3", |b| {
        b.replication_factor(3).consistency(Consistency::Quorum)
    });
    let store = &ks.0;
    assert!(
        store.to_string().contains("replication factor 3"),
        "{store}"
    );
    let (before, _) = sp500_quotes(&["AAPL", "KO"]);
    let (after, _) = sp500_quotes(&["MSFT", "XOM"]);
    let (_, expected) = sp500_quotes(&["AAPL", "KO", "MSFT", "XOM"]);
    store.write(&before).unwrap();

    cassandra_sh(&["kill", "--nodes", "3", "3"]);
    let _restart = Restart;
    let t_kill = Instant::now();
    // QUORUM (2 of 3) at once, before the peers have noticed: nothing lost.
    store.write(&after).unwrap();
    let scanned = store.scan().unwrap();
    assert!(scanned.equals_missing(&expected), "{scanned:?}");
    assert_eq!(store.count().unwrap(), expected.height());
    let msft = rows(&store.range("MSFT", ..).unwrap());
    let want_msft: Vec<_> = rows(&expected)
        .into_iter()
        .filter(|r| r.0 == "MSFT")
        .collect();
    assert_rows_eq(&msft, &want_msft);
    eprintln!(
        "QUORUM write and reads fine {:?} after the kill",
        t_kill.elapsed()
    );

    // ALL needs the dead replica: a timeout until the peers mark it down (~20 s), then
    // Unavailable at once. Either way a clear error, never a silent success.
    let all = store.with_consistency(Consistency::All);
    let t0 = Instant::now();
    let unavailable = loop {
        let err = all.write(&before).unwrap_err();
        let Error::Store { kind, .. } = &err else {
            panic!("not a store error: {err}")
        };
        eprintln!("ALL write after {:?}: {kind:?}: {err}", t_kill.elapsed());
        assert!(
            matches!(kind, StoreErrorKind::Unavailable | StoreErrorKind::Timeout),
            "{err}"
        );
        if *kind == StoreErrorKind::Unavailable {
            break err;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(90),
            "never Unavailable: {err}"
        );
        std::thread::sleep(Duration::from_secs(2));
    };
    let msg = unavailable.to_string();
    assert!(
        msg.starts_with("write: cassandra at 127.0.3.1:9042"),
        "{msg}"
    );
    assert!(
        msg.contains("consistency ALL") && msg.contains("start-node"),
        "{msg}"
    );
    let t1 = Instant::now();
    let err = all.scan().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Store {
                kind: StoreErrorKind::Unavailable,
                ..
            }
        ),
        "{err}"
    );
    assert!(t1.elapsed() < Duration::from_secs(10), "{:?}", t1.elapsed());
    let err = all.range("KO", ..).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Store {
                kind: StoreErrorKind::Unavailable,
                ..
            }
        ),
        "{err}"
    );
    // ONE and QUORUM still read everything.
    for level in [Consistency::One, Consistency::Quorum] {
        let scanned = store.with_consistency(level).scan().unwrap();
        assert!(scanned.equals_missing(&expected), "{level}");
    }

    // The node comes back; ALL succeeds again and sees every row.
    drop(_restart);
    let t2 = Instant::now();
    loop {
        match all.scan() {
            Ok(scanned) => {
                assert!(scanned.equals_missing(&expected));
                break;
            }
            Err(e) => {
                assert!(t2.elapsed() < Duration::from_secs(60), "{e}");
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    }
    all.write(&after).unwrap();
    eprintln!("ALL works again {:?} after the restart", t2.elapsed());
}

#[test]
#[ignore = "needs a node with PasswordAuthenticator: EDDY_CASSANDRA_AUTH=127.0.0.1:9042 (services/cassandra.sh start --auth)"]
fn cassandra_password_authenticator() {
    let nodes = nodes_from_env("EDDY_CASSANDRA_AUTH");
    let nodes: Vec<&str> = nodes.iter().map(String::as_str).collect();
    let keyspace = unique_keyspace("auth");
    // Without credentials, and with a wrong password: refused, saying how to log in.
    for builder in [
        Store::cassandra_builder(&nodes, &keyspace),
        Store::cassandra_builder(&nodes, &keyspace).credentials("cassandra", "wrong"),
    ] {
        let t0 = Instant::now();
        let err = builder.build().unwrap_err();
        assert!(
            matches!(
                err,
                Error::Store {
                    kind: StoreErrorKind::Auth,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("credentials("), "{err}");
        assert!(t0.elapsed() < Duration::from_secs(10));
        eprintln!("{err}");
    }
    // The superuser logs in, creates the keyspace, writes and reads.
    let ks = Keyspace(
        Store::cassandra_builder(&nodes, &keyspace)
            .credentials("cassandra", "cassandra")
            .build()
            .unwrap_or_else(|e| panic!("{e}")),
    );
    let (long, expected) = sp500_quotes(&["KO"]);
    ks.0.write(&long).unwrap();
    assert!(ks.0.scan().unwrap().equals_missing(&expected));
    assert!(!format!("{:?}", ks.0).contains("cassandra\""), "{:?}", ks.0);
}

#[test]
fn store_calls_work_from_inside_a_runtime() {
    // A stream's callback may run on a tokio runtime: the store must not panic there.
    let store = Store::embedded_in_memory().unwrap();
    let df = frame(&[("A", 1, Some(1.0))]);
    crate::io_runtime::runtime().block_on(async {
        let s = store.clone();
        let d = df.clone();
        tokio::spawn(async move { s.write(&d).unwrap() })
            .await
            .unwrap();
    });
    let current = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    current.block_on(async { assert_eq!(store.count().unwrap(), 1) });
    // and the Cassandra path's `run` itself, from both kinds of runtime
    let answer = || run(async { 42 });
    assert_eq!(current.block_on(async { answer() }), 42);
    assert_eq!(
        crate::io_runtime::runtime()
            .block_on(async { tokio::spawn(async move { answer() }).await.unwrap() }),
        42
    );
}
