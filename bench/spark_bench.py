"""Scale-out benchmark (issue 9): the same statistics by the local prelude, by Spark through
eddy's client, by PySpark over Spark Connect and by classic PySpark `local[2]`, same machine,
same run.

Data: the 10M × 20 synthetic Parquet file of bench/analysis_bench.py (normal doubles, c0 a
linear function of c1..c19 plus noise; written once to $EDDY_BENCH_DATA or /tmp/eddy-bench).
eddy runs in its kernel, each call timed inside the cell with `Instant` (median of --repeat);
PySpark runs in this process. Spark is the cluster of services/spark.sh (a standalone master,
two workers with one core each, a Connect server), started here if it is not running.

Measured:
- describe / corr (Pearson) / OLS of the 10M × 20 file: eddy local (polars in the kernel),
  eddy on Spark (one aggregation each), PySpark Connect running the same aggregation,
  PySpark's own calls (`summary()`, `pyspark.ml` LinearRegression), classic PySpark local[2];
- OLS of 100M rows generated inside Spark (never collected) by eddy and by pyspark.ml;
- client overhead: `SELECT 1` round trips, eddy vs PySpark Connect;
- upload (polars → Spark, pandas → Spark) and collect (Spark → polars, Spark → pandas) of a
  1M × 20 frame.

Usage (after ./install.sh): $EDDY_HOME/venv/bin/python bench/spark_bench.py [--repeat 3]
[--rows N] [--big N] [--part all|same|classic] (same: just eddy on Spark and PySpark
Connect sending the same queries, the client-overhead comparison; classic: just classic
PySpark local[2]).
Prints a Markdown table for docs/benchmarks.md and writes bench/results/<date>-spark.csv.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import textwrap
import time

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(HERE))
from analysis_bench import eddy_time as eddy_times  # noqa: E402  (the same in-cell timing loop)
from kernel_helpers import Kernel  # noqa: E402

SPARK_SH = REPO / "services" / "spark.sh"
URL = os.environ.get("EDDY_SPARK", "sc://127.0.0.1:15002")
OTHERS = [f"c{i}" for i in range(1, 20)]
COLS = ["c0", *OTHERS]


def py_times(f, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return times


BUCKETS = 256  # eddy's bucketed sums (prelude/src/spark/stats.rs: bucketed_sums)


def bucketed(df, F, sums):
    """eddy's `bucketed_sums`: the sums per bucket of rows, added up on the client."""
    parts = (df.withColumn("__bucket", F.pmod(F.monotonically_increasing_id(), F.lit(BUCKETS)))
             .groupBy("__bucket").agg(*sums).collect())
    return [sum(p[i + 1] for p in parts) for i in range(len(sums))]


def same_describe(df, F, cols) -> None:
    """What eddy sends for describe, written with PySpark: count, mean, min, quartiles
    (percentile_approx) and max, then the bucketed sums of the deviations' powers."""
    def v(c):
        return F.nanvl(F.col(c).cast("double"), F.lit(None).cast("double"))
    first = []
    for c in cols:
        first += [F.count(v(c)), F.avg(v(c)), F.min(v(c)),
                  F.percentile_approx(v(c), [0.25, 0.5, 0.75], 10_000), F.max(v(c))]
    row = df.agg(*first).collect()[0]
    sums = []
    for i, c in enumerate(cols):
        d = v(c) - F.lit(row[5 * i + 1])
        sums += [F.sum(d), F.sum(d * d), F.sum(d * d * d), F.sum(d * d * d * d)]
    bucketed(df, F, sums)


def same_moments(df, F, cols, count_all: bool) -> None:
    """What eddy sends for corr (count_all=False) and ols (count_all=True), written with
    PySpark: the complete rows, their n and means, then the bucketed sums of centred
    products."""
    complete = df.filter(" AND ".join(
        f"nanvl(CAST(`{c}` AS DOUBLE), CAST(NULL AS DOUBLE)) IS NOT NULL" for c in cols))
    if count_all:
        df.count()
    row = complete.agg(F.count(F.lit(1)), *[F.avg(F.col(c).cast("double")) for c in cols]).collect()[0]
    d = {c: F.col(c).cast("double") - F.lit(row[i + 1]) for i, c in enumerate(cols)}
    bucketed(complete, F, [F.sum(d[c]) for c in cols]
             + [F.sum(d[a] * d[b]) for i, a in enumerate(cols) for b in cols[:i + 1]])


def same_queries(df, F) -> list:
    """The PySpark replicas of eddy's describe / corr / ols queries (client overhead)."""
    return [
        ("describe (same aggregation)", lambda: same_describe(df, F, COLS)),
        ("corr Pearson (same aggregations)", lambda: same_moments(df, F, COLS, count_all=False)),
        ("ols (same aggregations)", lambda: same_moments(df, F, COLS, count_all=True)),
    ]


def pyspark_suite(spark, path: str, repeat: int, label: str) -> list[dict]:
    from pyspark.ml.feature import VectorAssembler
    from pyspark.ml.regression import LinearRegression
    from pyspark.sql import functions as F

    # The session setting eddy's client makes (whole-stage code generation for wide aggregations).
    spark.conf.set("spark.sql.codegen.maxFields", "2000")
    df = spark.read.parquet(path)
    rows = []
    for op, f in [
        *same_queries(df, F),
        ("describe: summary()", lambda: df.summary().collect()),
        ("ols: pyspark.ml LinearRegression(normal)", lambda: LinearRegression(
            featuresCol="f", labelCol="c0", solver="normal").fit(
            VectorAssembler(inputCols=OTHERS, outputCol="f").transform(df))),
    ]:
        t = py_times(f, repeat)
        rows.append({"who": label, "op": op, "seconds": statistics.median(t)})
        print(f"  {label}: {op}: {statistics.median(t):.2f} s", flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--big", type=int, default=100_000_000, help="rows generated inside Spark")
    ap.add_argument("--part", choices=["all", "same", "classic"], default="all",
                    help="same: only eddy on Spark and PySpark Connect sending the same queries "
                         "(client overhead); classic: only classic PySpark local[2]")
    args = ap.parse_args()
    same_only = args.part == "same"

    from analysis_bench import make_large

    data = pathlib.Path(os.environ.get("EDDY_BENCH_DATA", "/tmp/eddy-bench")) / f"synthetic-{args.rows}.parquet"
    make_large(data, args.rows)
    results: list[dict] = []
    if args.part != "classic":
        results = connect_suites(args, data, same_only)
    if args.part in ("all", "classic"):
        results += classic_suite(data, args.repeat)
    write_results(results, args, data)


def connect_suites(args, data: pathlib.Path, same_only: bool) -> list[dict]:
    """eddy (local and on Spark) in its kernel, then PySpark over Spark Connect."""
    started = False
    if subprocess.run([SPARK_SH, "status"], capture_output=True).returncode != 0:
        subprocess.run([SPARK_SH, "start"], check=True)
        started = True
    results: list[dict] = []
    try:
        kernel = Kernel.start()
        try:
            setup = (f'let spark = spark("{URL}")?;\n'
                     f'let others: Vec<&str> = vec![{", ".join(json.dumps(c) for c in OTHERS)}];\n'
                     f'let remote = spark.read_parquet({json.dumps(str(data))})?;\n')
            kernel.ok(setup + 'let local = LazyFrame::scan_parquet('
                      f'{json.dumps(str(data))}.into(), Default::default())?.collect()?;', timeout=600)
            for op, expr in [("describe", "describe(&{d})?"), ("corr Pearson", "corr(&{d}, CorrMethod::Pearson)?"),
                             ("ols", 'ols(&{d}, "c0", &others)?')]:
                for who, d in [("eddy local (polars in the kernel)", "local"), ("eddy on Spark", "remote")][same_only:]:
                    t = eddy_times(kernel, "", expr.format(d=d), args.repeat)
                    results.append({"who": who, "op": op, "seconds": statistics.median(t)})
                    print(f"  {who}: {op}: {statistics.median(t):.2f} s", flush=True)
            if not same_only:
                # 100M rows generated in Spark, never collected
                gen = (f'let big = spark.sql("SELECT x1, x2, x3, 1.0 + 2.0 * x1 - x2 + 0.5 * x3 + randn(7) AS y '
                       f'FROM (SELECT rand(1) AS x1, rand(2) AS x2, rand(3) AS x3 FROM range(0, {args.big}, 1, 16))")?;\n')
                t = eddy_times(kernel, gen, 'ols(&big, "y", &["x1", "x2", "x3"])?', 1)
                results.append({"who": "eddy on Spark", "op": f"ols of {args.big:,} rows generated in Spark",
                                "seconds": t[0]})
                # round trips, upload, collect
                t = eddy_times(kernel, "", 'spark.sql("SELECT 1")?.collect()?', 20)
                results.append({"who": "eddy on Spark", "op": "SELECT 1 round trip (median of 20)",
                                "seconds": statistics.median(t)})
                kernel.ok("let million = local.head(Some(1_000_000));")
                t = eddy_times(kernel, "", "spark.from_polars(&million)?.count()?", args.repeat)
                results.append({"who": "eddy on Spark", "op": "upload 1M × 20 (+ count)", "seconds": statistics.median(t)})
                t = eddy_times(kernel, "", "remote.limit(1_000_000).collect()?", args.repeat)
                results.append({"who": "eddy on Spark", "op": "collect 1M × 20", "seconds": statistics.median(t)})
        finally:
            kernel.shutdown()

        from pyspark.sql import SparkSession
        import pandas as pd

        connect = SparkSession.builder.remote(URL).getOrCreate()
        try:
            if same_only:
                from pyspark.sql import functions as F
                connect.conf.set("spark.sql.codegen.maxFields", "2000")
                for op, f in same_queries(connect.read.parquet(str(data)), F):
                    t = statistics.median(py_times(f, args.repeat))
                    results.append({"who": "PySpark Connect", "op": op, "seconds": t})
                    print(f"  PySpark Connect: {op}: {t:.2f} s", flush=True)
            else:
                results += pyspark_suite(connect, str(data), args.repeat, "PySpark Connect")
                from pyspark.ml.feature import VectorAssembler
                from pyspark.ml.regression import LinearRegression
                big = connect.sql("SELECT x1, x2, x3, 1.0 + 2.0 * x1 - x2 + 0.5 * x3 + randn(7) AS y FROM "
                                  f"(SELECT rand(1) AS x1, rand(2) AS x2, rand(3) AS x3 FROM range(0, {args.big}, 1, 16))")
                t = py_times(lambda: LinearRegression(featuresCol="f", labelCol="y", solver="normal").fit(
                    VectorAssembler(inputCols=["x1", "x2", "x3"], outputCol="f").transform(big)), 1)
                results.append({"who": "PySpark Connect", "op": f"ols of {args.big:,} rows generated in Spark (pyspark.ml)",
                                "seconds": t[0]})
                t = py_times(lambda: connect.sql("SELECT 1").collect(), 20)
                results.append({"who": "PySpark Connect", "op": "SELECT 1 round trip (median of 20)",
                                "seconds": statistics.median(t)})
                million = pd.read_parquet(data).head(1_000_000)
                t = py_times(lambda: connect.createDataFrame(million).count(), args.repeat)
                results.append({"who": "PySpark Connect", "op": "upload 1M × 20 (+ count)", "seconds": statistics.median(t)})
                remote = connect.read.parquet(str(data))
                t = py_times(lambda: remote.limit(1_000_000).toPandas(), args.repeat)
                results.append({"who": "PySpark Connect", "op": "collect 1M × 20", "seconds": statistics.median(t)})
        finally:
            connect.stop()
    finally:
        if started:
            subprocess.run([SPARK_SH, "stop"], check=False)
    return results


def classic_suite(data: pathlib.Path, repeat: int) -> list[dict]:
    """Classic PySpark in its own process (a Connect session and a classic one cannot share
    one); without spark.api.mode, which made pyspark 4.3 ask for a Connect URL."""
    code = textwrap.dedent(f"""
        import json, sys
        sys.path.insert(0, {str(HERE)!r})
        from spark_bench import pyspark_suite
        from pyspark.sql import SparkSession
        s = (SparkSession.builder.master("local[2]").config("spark.driver.memory", "6g")
             .config("spark.ui.enabled", "false").getOrCreate())
        print("RESULTS " + json.dumps(pyspark_suite(s, {str(data)!r}, {repeat}, "classic PySpark local[2]")))
    """)
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"}
    env.pop("SPARK_REMOTE", None)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULTS ")), None)
    if line is None:
        print(proc.stdout[-3000:], proc.stderr[-3000:], file=sys.stderr)
        return []
    return json.loads(line[8:])


def write_results(results: list[dict], args, data: pathlib.Path) -> None:
    results_dir = HERE / "results"
    results_dir.mkdir(exist_ok=True)
    suffix = "" if args.part == "all" else f"-{args.part}"
    out = results_dir / f"{dt.date.today()}-spark{suffix}.csv"
    with out.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["who", "op", "seconds"])
        w.writeheader()
        w.writerows(results)
    import pyspark

    print(f"\nmachine: {os.cpu_count()} cores, {platform.platform()}; pyspark {pyspark.__version__}; "
          f"{args.rows:,} × 20 rows; median of {args.repeat}\n")
    print("| who | operation | seconds |")
    print("|---|---|---:|")
    for r in results:
        print(f"| {r['who']} | {r['op']} | {r['seconds']:.3f} |")
    print(f"\nraw: {out}")

if __name__ == "__main__":
    main()
