"""Storage benchmark: eddy's Store vs the bare scylla driver vs the Python cassandra-driver,
same data, same Cassandra node, same run; the embedded (SQLite) backend beside them.

Data: `--rows` quotes over `--symbols` symbols (S000…, one quote a second, price
100 + i + j/100), the same formula on both sides. Measured, each the median of `--repeat`:

- writes, rows/s: eddy's `store.write(&df)` (a DataFrame in) and the bare scylla driver
  (prepared statements, concurrent, rows from a Vec: the limit), each with the same
  batchings (the API's default of single-partition batches of 100 rows with 32 in flight,
  single rows with 256 in flight, batches of 500 with 8 in flight); Python's
  `execute_concurrent_with_args` (prepared single rows, `--py-concurrency` in flight);
- reads into a frame, rows/s: `store.scan()` (token ranges in parallel) and
  `store.range(symbol, ..)` per symbol into DataFrames; the bare driver into a Vec of rows;
  Python's paged `SELECT` into a pandas DataFrame (whole table, and per symbol).

The Rust side is the `#[ignore]`d test `store::bench::bench_store` (prelude/src/store/bench.rs),
built in release by cargo (the prelude as the kernel loads it). The node is the one
services/cassandra.sh runs (started here if needed, and stopped again), or `--node host:port`.

Usage: $EDDY_HOME/venv/bin/python bench/store_bench.py [--rows 200000] [--repeat 3]
Prints a Markdown table for docs/benchmarks.md and writes bench/results/<date>-store.csv.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
CASSANDRA_SH = REPO / "services" / "cassandra.sh"


def rust_bench(node: str, rows: int, symbols: int, repeat: int) -> list[tuple[str, int, float, float]]:
    env = dict(os.environ, EDDY_CASSANDRA=node, EDDY_BENCH_ROWS=str(rows),
               EDDY_BENCH_SYMBOLS=str(symbols), EDDY_BENCH_REPEAT=str(repeat))
    env.pop("CI", None)
    env.setdefault("CARGO_TARGET_DIR", str(pathlib.Path.home() / ".cache" / "eddy" / "target"))
    cmd = ["cargo", "test", "--release", "--locked", "-p", "eddy-prelude", "--lib", "store::bench",
           "--", "--ignored", "--nocapture", "--test-threads", "1"]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"store_bench: {' '.join(cmd)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    out = []
    for line in proc.stdout.splitlines():
        if "BENCH," in line:
            name, n, seconds, rate = line[line.index("BENCH,") + 6:].rsplit(",", 3)
            out.append((name, int(n), float(seconds), float(rate)))
    return out


def python_bench(node: str, rows: int, symbols: int, repeat: int, concurrency: int) -> list[tuple[str, int, float, float]]:
    import pandas as pd
    from cassandra import ConsistencyLevel
    from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
    from cassandra.concurrent import execute_concurrent_with_args
    from cassandra.query import SimpleStatement, tuple_factory

    host, _, port = node.partition(":")
    profile = ExecutionProfile(consistency_level=ConsistencyLevel.QUORUM, row_factory=tuple_factory,
                               request_timeout=60)
    cluster = Cluster([host], port=int(port or 9042), execution_profiles={EXEC_PROFILE_DEFAULT: profile})
    session = cluster.connect()
    ks = f"eddy_bench_py_{os.getpid()}"
    session.execute(f"CREATE KEYSPACE {ks} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}")
    session.execute(f"CREATE TABLE {ks}.quotes (symbol text, ts timestamp, price double, "
                    "PRIMARY KEY ((symbol), ts)) WITH CLUSTERING ORDER BY (ts ASC)")
    per = rows // symbols
    epoch = dt.datetime(1970, 1, 1)
    data = [(f"S{i:03}", epoch + dt.timedelta(milliseconds=1_700_000_000_000 + j * 1000), 100.0 + i + j * 0.01)
            for i in range(symbols) for j in range(per)]
    n = len(data)
    insert = session.prepare(f"INSERT INTO {ks}.quotes (symbol, ts, price) VALUES (?, ?, ?)")
    insert.is_idempotent = True

    def write() -> None:
        results = execute_concurrent_with_args(session, insert, data, concurrency=concurrency,
                                               raise_on_first_error=True)
        assert all(ok for ok, _ in results)

    def scan() -> None:
        statement = SimpleStatement(f"SELECT symbol, ts, price FROM {ks}.quotes", fetch_size=5000)
        df = pd.DataFrame(list(session.execute(statement)), columns=["symbol", "ts", "price"])
        assert len(df) == n

    select = session.prepare(f"SELECT ts, price FROM {ks}.quotes WHERE symbol = ?")
    select.fetch_size = 5000

    def ranges() -> None:
        frames = [pd.DataFrame(list(session.execute(select, (f"S{i:03}",))), columns=["ts", "price"])
                  .assign(symbol=f"S{i:03}") for i in range(symbols)]
        assert sum(len(f) for f in frames) == n

    write()  # warm-up, as the Rust side has
    scan()
    out = []
    for name, f in [(f"python write, execute_concurrent_with_args ({concurrency} in flight)", write),
                    ("python scan into pandas", scan), ("python range per symbol into pandas", ranges)]:
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            f()
            times.append(time.perf_counter() - t0)
        seconds = statistics.median(times)
        out.append((name, n, seconds, n / seconds))
    session.execute(f"DROP KEYSPACE {ks}")
    cluster.shutdown()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--symbols", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--py-concurrency", type=int, default=100)
    ap.add_argument("--py-rows", type=int, default=50_000,
                    help="rows for the Python side (its writes run at a few thousand rows/s)")
    ap.add_argument("--node", default=os.environ.get("EDDY_CASSANDRA"))
    args = ap.parse_args()

    started = False
    node = args.node
    if not node:
        node = "127.0.0.1:9042"
        if not CASSANDRA_SH.exists():
            sys.exit(f"store_bench: {CASSANDRA_SH} is missing: give --node host:port")
        if subprocess.run([CASSANDRA_SH, "status", "--nodes", "1"], capture_output=True).returncode != 0:
            subprocess.run([CASSANDRA_SH, "start"], check=True)
            started = True
    try:
        results = rust_bench(node, args.rows, args.symbols, args.repeat)
        results += python_bench(node, args.py_rows, args.symbols, args.repeat, args.py_concurrency)
    finally:
        if started:
            subprocess.run([CASSANDRA_SH, "stop"], check=False)

    import cassandra
    import pandas
    rate = {name: r for name, _, _, r in results}
    py_write = next(r for name, r in rate.items() if name.startswith("python write"))
    print(f"machine: {os.cpu_count()} cores, {platform.platform()}; "
          f"{subprocess.run(['rustc', '-V'], capture_output=True, text=True).stdout.strip()}; "
          f"python {platform.python_version()}, cassandra-driver {cassandra.__version__}, pandas {pandas.__version__}; "
          f"Cassandra 5.0.6 (one node, services/cassandra.sh); {args.rows} rows ({args.py_rows} for Python), "
          f"{args.symbols} symbols, median of {args.repeat}\n")
    print("| measurement | rows/s | vs bare driver | vs Python |")
    print("|---|---:|---:|---:|")
    for name, n, seconds, r in results:
        if name.startswith("api write"):
            base = rate.get(name.replace("api write", "bare write"))
        elif name == "api scan":
            base = rate["bare scan into Vec"]
        elif name == "api range per symbol":
            base = rate["bare range per symbol into Vec"]
        else:
            base = None
        if "write" in name:
            py = py_write
        elif "scan" in name:
            py = rate["python scan into pandas"]
        else:
            py = rate["python range per symbol into pandas"]
        vs_bare = f"{r / base:.0%}" if base else ""
        print(f"| {name} | {r:,.0f} | {vs_bare} | {r / py:.1f}× |")
    default = next(name for name, *_ in results if name.startswith("api write"))  # listed first
    best_bare = max(r for name, r in rate.items() if name.startswith("bare write"))
    print(f"\nwrite, the API's default ({default[len('api write '):]}): "
          f"{rate[default] / rate[default.replace('api write', 'bare write')]:.0%} of the bare loop with the same "
          f"batching, {rate[default] / best_bare:.0%} of the fastest bare loop, {rate[default] / py_write:.0f}× Python")

    results_dir = HERE / "results"
    results_dir.mkdir(exist_ok=True)
    path = results_dir / f"{dt.date.today().isoformat()}-store.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["measurement", "rows", "seconds", "rows_per_s"])
        w.writerows(results)
    print(f"\n(raw: {path.relative_to(REPO)})")


if __name__ == "__main__":
    main()
