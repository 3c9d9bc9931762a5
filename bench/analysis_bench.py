"""Analysis benchmark: eddy's prelude vs pandas / statsmodels / scipy, same data, same run.

Small data: the bundled 8,313 × 20 price table — describe, Pearson and Spearman correlation,
OLS of JPM on the 19 others with its summary, a Gaussian KDE of JPM's 8,312 log returns on
512 grid points. Large data: 10M × 20 synthetic doubles (written once as Parquet, read by
both sides) — describe, Pearson correlation, OLS of c0 on c1..c19 — with peak memory.

eddy runs in its Jupyter kernel, as a user would; each operation is timed inside the cell
with `Instant` (median of --repeat), so the kernel's own cell overhead (~0.3 s, see the
kernel benchmark) is not counted for either side. Python runs in this process (small data)
or a fresh subprocess per operation (large data, so that ru_maxrss is that operation's peak).
The large-data runs of eddy use a fresh kernel per operation and read VmHWM before and after.

Usage (after ./install.sh): $EDDY_HOME/venv/bin/python bench/analysis_bench.py [--repeat 5] [--rows 10000000]
Prints a Markdown table for docs/benchmarks.md and writes bench/results/<date>-analysis.csv.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import pathlib
import statistics
import subprocess
import sys
import textwrap
import time

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests"))
from kernel_helpers import Kernel  # noqa: E402

SP500 = REPO / "data" / "sp500_dataset.csv.gz"

# Each eddy operation: a Rust expression evaluated inside a timing loop.
EDDY_SMALL = {
    "describe": "describe(&df)?",
    "corr pearson": "corr(&df, CorrMethod::Pearson)?",
    "corr spearman": "corr(&df, CorrMethod::Spearman)?",
    "ols + summary": 'ols(&df, "JPM", &others)?.summary().to_string()',
    "kde 8k × 512": 'gaussian_kde(r.column("JPM")?.as_materialized_series(), Bandwidth::Scott)?.grid(512)?',
}

PY_SMALL = {
    "describe": "num.describe(); num.skew(); num.kurt()",
    "corr pearson": "num.corr()",
    "corr spearman": "num.corr(method='spearman')",
    "ols + summary": "str(sm.OLS(num['JPM'], sm.add_constant(num[others])).fit().summary())",
    "kde 8k × 512": "kde = gaussian_kde(r); kde(np.linspace(r.min() - 3 * kde.factor * r.std(ddof=1), r.max() + 3 * kde.factor * r.std(ddof=1), 512))",
}

EDDY_LARGE = {
    "describe": "describe(&df)?",
    "corr pearson": "corr(&df, CorrMethod::Pearson)?",
    "ols": 'ols(&df, "c0", &others)?',
}

PY_LARGE = {
    "describe": "df.describe(); df.skew(); df.kurt()",
    "corr pearson": "df.corr()",
    "ols": "sm.OLS(df['c0'], sm.add_constant(df[others])).fit()",
}


def eddy_time(kernel: Kernel, setup: str, expr: str, repeat: int) -> list[float]:
    code = setup + textwrap.dedent(f"""
        let mut times = Vec::new();
        for _ in 0..{repeat} {{
            let t = std::time::Instant::now();
            let out = {{ {expr} }};
            times.push(t.elapsed().as_secs_f64());
            std::hint::black_box(&out);
        }}
        println!("TIMES {{:?}}", times);
    """)
    out = kernel.ok(code, timeout=3600).stream()
    line = next(l for l in out.splitlines() if l.startswith("TIMES "))
    return json.loads(line[6:])


def vm_hwm_mb() -> str:
    return 'std::fs::read_to_string("/proc/self/status")?.lines().find(|l| l.starts_with("VmHWM")).map(|l| l.split_whitespace().nth(1).unwrap_or("0").parse::<f64>().unwrap_or(0.0) / 1024.0).unwrap_or(0.0)'


def py_time(stmt: str, env: dict, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        exec(stmt, env)
        times.append(time.perf_counter() - t)
    return times


def make_large(path: pathlib.Path, rows: int) -> None:
    import numpy as np
    import pandas as pd

    if path.exists():
        return
    rng = np.random.default_rng(7)
    cols = {f"c{i}": rng.normal(0.0, 1.0, rows) for i in range(1, 20)}
    beta = np.linspace(-1.0, 1.0, 19)
    cols["c0"] = 0.5 + sum(b * cols[f"c{i + 1}"] for i, b in enumerate(beta)) + rng.normal(0.0, 1.0, rows)
    df = pd.DataFrame({f"c{i}": cols[f"c{i}"] for i in range(20)})
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_parquet(path, index=False)


PY_LARGE_RUNNER = """
import json, resource, sys, time
import pandas as pd, statsmodels.api as sm
df = pd.read_parquet(sys.argv[1]); others = [f"c{i}" for i in range(1, 20)]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
times = []
for _ in range(int(sys.argv[3])):
    t = time.perf_counter(); out = eval(compile(sys.argv[2], "op", "exec"), globals()); times.append(time.perf_counter() - t)
res = sm.OLS(df['c0'], sm.add_constant(df[others])).fit().params.tolist() if "OLS" in sys.argv[2] else None
print(json.dumps({"times": times, "peak_extra_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before, "params": res}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--skip-large", action="store_true")
    args = ap.parse_args()

    import numpy as np
    import pandas as pd
    import scipy
    import statsmodels
    import statsmodels.api as sm
    from scipy.stats import gaussian_kde

    rows = []
    num = pd.read_csv(SP500, parse_dates=["Date"]).drop(columns=["Date"])
    others = [c for c in num.columns if c != "JPM"]
    r = np.log(num["JPM"]).diff().dropna().to_numpy()
    env = {"num": num, "others": others, "r": r, "sm": sm, "np": np, "gaussian_kde": gaussian_kde}
    kernel = Kernel.start()
    try:
        setup = (
            'let df = sp500()?.drop("Date")?;\n'
            f"let others = {json.dumps(others)};\n"
            'let r = returns(&sp500()?.select(["Date", "JPM"])?, ReturnKind::Log)?;\n'
        )
        for op in EDDY_SMALL:
            e = statistics.median(eddy_time(kernel, setup, EDDY_SMALL[op], args.repeat))
            p = statistics.median(py_time(PY_SMALL[op], env, args.repeat))
            rows.append({"data": "8,313 × 20", "op": op, "eddy_s": e, "python_s": p, "eddy_peak_mb": "", "python_peak_mb": ""})
            print(f"small {op}: eddy {e:.5f} s, python {p:.5f} s", file=sys.stderr)
    finally:
        kernel.shutdown()

    if not args.skip_large:
        path = pathlib.Path(os.environ.get("EDDY_BENCH_DATA", "/tmp/eddy-bench")) / f"synthetic-{args.rows}.parquet"
        make_large(path, args.rows)
        large_others = [f"c{i}" for i in range(1, 20)]
        for op in EDDY_LARGE:
            kernel = Kernel.start()
            try:
                setup = (
                    f"let df = LazyFrame::scan_parquet({json.dumps(str(path))}.into(), Default::default())?.collect()?;\n"
                    f"let others = {json.dumps(large_others)};\n"
                    f"let before_mb = {vm_hwm_mb()};\n"
                )
                code_tail = f'\nprintln!("PEAK {{}}", {vm_hwm_mb()} - before_mb);'
                out = kernel.ok(setup + textwrap.dedent(f"""
                    let mut times = Vec::new();
                    for _ in 0..{max(1, args.repeat // 2)} {{
                        let t = std::time::Instant::now();
                        let out = {{ {EDDY_LARGE[op]} }};
                        times.push(t.elapsed().as_secs_f64());
                        std::hint::black_box(&out);
                    }}
                    println!("TIMES {{:?}}", times);
                """) + code_tail, timeout=3600).stream()
                times = json.loads(next(l for l in out.splitlines() if l.startswith("TIMES "))[6:])
                peak = float(next(l for l in out.splitlines() if l.startswith("PEAK "))[5:])
            finally:
                kernel.shutdown()
            res = subprocess.run(
                [sys.executable, "-c", PY_LARGE_RUNNER, str(path), PY_LARGE[op], str(max(1, args.repeat // 2))],
                capture_output=True, text=True, check=True,
            )
            py = json.loads(res.stdout)
            rows.append({
                "data": f"{args.rows:,} × 20", "op": op,
                "eddy_s": statistics.median(times), "python_s": statistics.median(py["times"]),
                "eddy_peak_mb": round(peak), "python_peak_mb": round(py["peak_extra_mb"]),
            })
            print(f"large {op}: eddy {statistics.median(times):.3f} s, python {statistics.median(py['times']):.3f} s", file=sys.stderr)

    out_dir = HERE / "results"
    out_dir.mkdir(exist_ok=True)
    out_csv = out_dir / f"{dt.date.today()}-analysis.csv"
    with out_csv.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print(f"machine: {os.cpu_count()} cores; pandas {pd.__version__}, statsmodels {statsmodels.__version__}, scipy {scipy.__version__}, numpy {np.__version__}")
    print("| data | operation | eddy (s) | pandas / statsmodels / scipy (s) | speed-up | eddy peak extra (MB) | Python peak extra (MB) |")
    print("|---|---|---|---|---|---|---|")
    for r_ in rows:
        print(f"| {r_['data']} | {r_['op']} | {r_['eddy_s']:.4f} | {r_['python_s']:.4f} | {r_['python_s'] / r_['eddy_s']:.1f}× | {r_['eddy_peak_mb']} | {r_['python_peak_mb']} |")
    print(f"\nraw: {out_csv.relative_to(REPO)}")


if __name__ == "__main__":
    main()
