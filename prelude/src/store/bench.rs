//! Throughput of the store against a real Cassandra node: this API (write a frame; `scan` and
//! per-symbol `range` into DataFrames) beside a bare scylla driver loop (prepared statements,
//! concurrent, no DataFrame: the limit), and the embedded backend. `#[ignore]`d; run by
//! `bench/store_bench.py`, which adds the Python cassandra-driver in the same run:
//!
//! ```text
//! EDDY_CASSANDRA=127.0.0.1:9042 EDDY_BENCH_ROWS=200000 cargo test --release --locked \
//!     -p eddy-prelude --lib store::bench -- --ignored --nocapture --test-threads 1
//! ```
//!
//! Prints one `BENCH,<name>,<rows>,<seconds>,<rows per second>` line per measurement (the
//! median of `EDDY_BENCH_REPEAT` runs, default 3).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use polars::prelude::*;
use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
use scylla::response::{PagingState, PagingStateResponse};
use scylla::statement::batch::{Batch, BatchStatement, BatchType};
use scylla::statement::prepared::PreparedStatement;
use scylla::value::CqlTimestamp;

use super::*;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `rows` quotes over `symbols` symbols: symbol `S000`…, one quote a second from
/// 2023-11-14 22:13:20 UTC, price `100 + i + j / 100` (the same formula as the Python side).
fn synthetic(rows: usize, symbols: usize) -> (DataFrame, Vec<(String, i64, f64)>) {
    let per = rows / symbols;
    let mut data = Vec::with_capacity(per * symbols);
    for i in 0..symbols {
        for j in 0..per {
            data.push((
                format!("S{i:03}"),
                1_700_000_000_000 + j as i64 * 1000,
                100.0 + i as f64 + j as f64 * 0.01,
            ));
        }
    }
    let runs: Vec<(&str, usize)> = (0..symbols)
        .map(|i| (data[i * per].0.as_str(), per))
        .collect();
    let df = quotes::frame(
        &runs,
        data.iter().map(|r| r.1).collect(),
        data.iter().map(|r| Some(r.2)).collect(),
    )
    .unwrap();
    (df, data)
}

/// Runs `f` `repeat` times and returns the median duration.
fn median(repeat: usize, mut f: impl FnMut() -> usize) -> (usize, f64) {
    let mut times = Vec::new();
    let mut n = 0;
    for _ in 0..repeat {
        let t0 = Instant::now();
        n = f();
        times.push(t0.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    (n, times[times.len() / 2])
}

fn report(name: &str, (rows, seconds): (usize, f64)) {
    println!(
        "BENCH,{name},{rows},{seconds:.4},{:.0}",
        rows as f64 / seconds
    );
}

fn rows_per_symbol(rows: usize, symbols: usize) -> usize {
    rows / symbols
}

fn keyspace(tag: &str) -> String {
    // The pid keeps concurrent runs apart.
    format!("eddy_bench_{tag}_{}", std::process::id())
}

/// A bare session and its prepared statements, as a user of the driver alone would write.
struct Bare {
    session: Arc<Session>,
    insert: PreparedStatement,
    scan: PreparedStatement,
}

async fn bare(node: &str, ks: &str) -> Bare {
    let session = SessionBuilder::new()
        .known_node(node)
        .build()
        .await
        .unwrap();
    let mut insert = session
        .prepare(format!(
            "INSERT INTO {ks}.quotes (symbol, ts, price) VALUES (?, ?, ?)"
        ))
        .await
        .unwrap();
    insert.set_is_idempotent(true);
    insert.set_consistency(scylla::statement::Consistency::Quorum);
    let mut scan = session
        .prepare(format!(
            "SELECT symbol, ts, price FROM {ks}.quotes WHERE token(symbol) > ? AND token(symbol) <= ?"
        ))
        .await
        .unwrap();
    scan.set_page_size(10_000);
    scan.set_consistency(scylla::statement::Consistency::Quorum);
    Bare {
        session: Arc::new(session),
        insert,
        scan,
    }
}

/// The bare write loop: `concurrency` tasks, each sending the next row (or the next batch of
/// `batch` rows of one symbol; the synthetic data has a multiple of `batch` rows per symbol,
/// or the last batches mix symbols) as soon as its previous request is answered.
async fn bare_write(
    b: &Bare,
    data: Arc<Vec<(String, i64, f64)>>,
    concurrency: usize,
    batch: usize,
) {
    let per_chunk = batch.max(1);
    let chunks = data.len().div_ceil(per_chunk);
    let next = Arc::new(AtomicUsize::new(0));
    let mut set = tokio::task::JoinSet::new();
    let full = Arc::new(Batch::new_with_statements(
        BatchType::Unlogged,
        vec![BatchStatement::PreparedStatement(b.insert.clone()); per_chunk],
    ));
    for _ in 0..concurrency {
        let (session, insert, data, next, full) = (
            Arc::clone(&b.session),
            b.insert.clone(),
            Arc::clone(&data),
            Arc::clone(&next),
            Arc::clone(&full),
        );
        set.spawn(async move {
            loop {
                let c = next.fetch_add(1, Ordering::Relaxed);
                if c >= chunks {
                    return;
                }
                if per_chunk == 1 {
                    let (s, t, p) = &data[c];
                    session
                        .execute_unpaged(&insert, (s.as_str(), CqlTimestamp(*t), *p))
                        .await
                        .unwrap();
                } else {
                    // The synthetic data has a multiple of `batch` rows per symbol.
                    let rows: Vec<_> = data[c * per_chunk..(c + 1) * per_chunk]
                        .iter()
                        .map(|(s, t, p)| (s.as_str(), CqlTimestamp(*t), *p))
                        .collect();
                    session.batch(&full, &rows).await.unwrap();
                }
            }
        });
    }
    while let Some(r) = set.join_next().await {
        r.unwrap();
    }
}

/// The bare full read: the token ranges between the ring's tokens, `concurrency` at a time,
/// paged into a `Vec` of owned rows.
async fn bare_scan(b: &Bare, concurrency: usize) -> usize {
    let mut tokens: Vec<i64> = b
        .session
        .get_cluster_state()
        .replica_locator()
        .ring()
        .iter()
        .map(|(t, _)| t.value())
        .chain([i64::MIN, i64::MAX])
        .collect();
    tokens.sort_unstable();
    tokens.dedup();
    let ranges: Arc<Vec<(i64, i64)>> = Arc::new(tokens.windows(2).map(|w| (w[0], w[1])).collect());
    let next = Arc::new(AtomicUsize::new(0));
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (session, scan, ranges, next) = (
            Arc::clone(&b.session),
            b.scan.clone(),
            Arc::clone(&ranges),
            Arc::clone(&next),
        );
        set.spawn(async move {
            let mut out: Vec<(String, i64, f64)> = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(start, end)) = ranges.get(i) else {
                    return out;
                };
                let mut paging = PagingState::start();
                loop {
                    let (res, more) = session
                        .execute_single_page(&scan, (start, end), paging)
                        .await
                        .unwrap();
                    let rows = res.into_rows_result().unwrap();
                    for row in rows.rows::<(&str, CqlTimestamp, f64)>().unwrap() {
                        let (s, t, p) = row.unwrap();
                        out.push((s.to_string(), t.0, p));
                    }
                    match more {
                        PagingStateResponse::HasMorePages { state } => paging = state,
                        PagingStateResponse::NoMorePages => break,
                    }
                }
            }
        });
    }
    let mut n = 0;
    while let Some(r) = set.join_next().await {
        n += r.unwrap().len();
    }
    n
}

/// The bare per-symbol read: one paged query per symbol, one after the other, into a `Vec`.
async fn bare_ranges(b: &Bare, range: &PreparedStatement, symbols: usize) -> usize {
    let mut out: Vec<(i64, f64)> = Vec::new();
    for i in 0..symbols {
        let symbol = format!("S{i:03}");
        let mut paging = PagingState::start();
        loop {
            let (res, more) = b
                .session
                .execute_single_page(
                    range,
                    (
                        symbol.as_str(),
                        CqlTimestamp(i64::MIN),
                        CqlTimestamp(i64::MAX),
                    ),
                    paging,
                )
                .await
                .unwrap();
            let rows = res.into_rows_result().unwrap();
            for row in rows.rows::<(CqlTimestamp, f64)>().unwrap() {
                let (t, p) = row.unwrap();
                out.push((t.0, p));
            }
            match more {
                PagingStateResponse::HasMorePages { state } => paging = state,
                PagingStateResponse::NoMorePages => break,
            }
        }
    }
    out.len()
}

#[test]
#[ignore = "benchmark: needs Cassandra (EDDY_CASSANDRA=127.0.0.1:9042); run by bench/store_bench.py"]
fn bench_store() {
    let node = std::env::var("EDDY_CASSANDRA").expect("EDDY_CASSANDRA=host:port");
    let rows = env_usize("EDDY_BENCH_ROWS", 200_000);
    let symbols = env_usize("EDDY_BENCH_SYMBOLS", 100);
    let repeat = env_usize("EDDY_BENCH_REPEAT", 3);
    let (df, data) = synthetic(rows, symbols);
    let data = Arc::new(data);
    let n = df.height();

    // Embedded: a file in the temp dir.
    let path = std::env::temp_dir().join(format!("eddy-bench-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let store = Store::embedded(&path).unwrap();
    report(
        "embedded write",
        median(repeat, || store.write(&df).unwrap()),
    );
    report(
        "embedded scan",
        median(repeat, || store.scan().unwrap().height()),
    );
    report(
        "embedded range per symbol",
        median(repeat, || {
            (0..symbols)
                .map(|i| store.range(&format!("S{i:03}"), ..).unwrap().height())
                .sum()
        }),
    );
    drop(store);
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
    }

    // Cassandra: this API's store (keyspace `api`) and the bare driver on the same table.
    let ks = keyspace("api");
    let api = Store::cassandra(&[&node], &ks).unwrap();
    let b = run(bare(&node, &ks));
    let mut range = run(b.session.prepare(format!(
        "SELECT ts, price FROM {ks}.quotes WHERE symbol = ? AND ts >= ? AND ts <= ?"
    )))
    .unwrap();
    range.set_page_size(10_000);
    range.set_consistency(scylla::statement::Consistency::Quorum);
    // Warm-up: the server's JIT and caches, both clients' connections.
    api.write(&df).unwrap();
    run(bare_write(&b, Arc::clone(&data), 256, 1));
    api.scan().unwrap();
    run(bare_scan(&b, 32));

    // Each batching (rows per batch × requests in flight) is measured through this API and
    // through the bare loop; `EDDY_BENCH_VARIANTS=100x32,500x8` replaces the list. The
    // first is this API's default.
    let variants: Vec<(usize, usize)> = match std::env::var("EDDY_BENCH_VARIANTS") {
        Ok(list) => list
            .split(',')
            .map(|v| {
                let (b, c) = v.split_once('x').expect("ROWSxINFLIGHT");
                (b.trim().parse().unwrap(), c.trim().parse().unwrap())
            })
            .collect(),
        Err(_) => vec![(100, 32), (1, 256), (500, 8)],
    };
    let label = |who: &str, (rows, in_flight): (usize, usize)| {
        if rows == 1 {
            format!("{who} write single rows, {in_flight} in flight")
        } else {
            format!("{who} write batches of {rows}, {in_flight} in flight")
        }
    };
    for (rows, _) in &variants {
        assert_eq!(
            (rows_per_symbol(n, symbols)) % rows,
            0,
            "each symbol's rows must fill whole batches of {rows} (bare batches hold one symbol)"
        );
    }
    let stores: Vec<Store> = variants
        .iter()
        .map(|(batch_rows, concurrency)| {
            Store::cassandra_builder(&[&node], &ks)
                .batch_rows(*batch_rows)
                .concurrency(*concurrency)
                .build()
                .unwrap()
        })
        .collect();
    // Rounds, in alternating order, so that every client sees the server in the same states
    // (memtable size, flushes, compactions); the median over the rounds.
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); 2 * variants.len()];
    let time = |f: &mut dyn FnMut()| {
        let t0 = Instant::now();
        f();
        t0.elapsed().as_secs_f64()
    };
    for round in 0..repeat {
        let mut jobs: Vec<usize> = (0..2 * variants.len()).collect();
        if round % 2 == 1 {
            jobs.reverse();
        }
        for k in jobs {
            let (rows, in_flight) = variants[k / 2];
            let t = if k % 2 == 0 {
                time(&mut || {
                    stores[k / 2].write(&df).unwrap();
                })
            } else {
                time(&mut || run(bare_write(&b, Arc::clone(&data), in_flight, rows)))
            };
            times[k].push(t);
        }
    }
    for (k, mut t) in times.into_iter().enumerate() {
        t.sort_by(f64::total_cmp);
        let who = if k % 2 == 0 { "api" } else { "bare" };
        report(&label(who, variants[k / 2]), (n, t[t.len() / 2]));
    }
    assert_eq!(api.count().unwrap(), n);

    let mut reads: [Vec<f64>; 4] = Default::default();
    for round in 0..repeat {
        // Alternate who goes first: the server's background work (flushes, compactions)
        // then weighs on both alike.
        let order = if round % 2 == 0 {
            [0, 1, 2, 3]
        } else {
            [1, 0, 3, 2]
        };
        for k in order {
            let t = match k {
                0 => time(&mut || assert_eq!(api.scan().unwrap().height(), n)),
                1 => time(&mut || assert_eq!(run(bare_scan(&b, 32)), n)),
                2 => time(&mut || {
                    let got: usize = (0..symbols)
                        .map(|i| api.range(&format!("S{i:03}"), ..).unwrap().height())
                        .sum();
                    assert_eq!(got, n);
                }),
                _ => time(&mut || assert_eq!(run(bare_ranges(&b, &range, symbols)), n)),
            };
            reads[k].push(t);
        }
    }
    for (name, mut t) in [
        "api scan",
        "bare scan into Vec",
        "api range per symbol",
        "bare range per symbol into Vec",
    ]
    .into_iter()
    .zip(reads)
    {
        t.sort_by(f64::total_cmp);
        report(name, (n, t[t.len() / 2]));
    }
    if let Backend::Cassandra(c) = &api.backend {
        run(c.drop_keyspace()).unwrap();
    }
}
