"""eddy's Kolmogorov-Smirnov tests (`kstest`, `ks_2samp`) against scipy.stats, computed in the
same run.

One seeded random frame is written as CSV: columns of different lengths (7 to 12000 values,
the rest of each column empty), normal, uniform, exponential and Student-t samples, one
rounded to produce ties and one with missing values in the middle. An eddy kernel reads it
with `read_prices`, runs `kstest` against each column's distribution and `ks_2samp` on pairs
of columns, for all three alternatives, and prints statistic and p-value with full precision;
scipy computes the same tests from the same values (`stats.ks_1samp(x, dist.cdf)`, whose
default is the exact p-value, and `stats.ks_2samp(a, b)` with its default `method='auto'`).

The sizes reach every method scipy uses: for `kstest` the exact distribution of D_n below and
above n = 140 (Durbin's matrix, Pomeranz, Pelz-Good, 2*smirnov) and `smirnov` one-sided; for
`ks_2samp` the exact equal-size and unequal-size counts, the one-sided exact count that
overflows and falls back to the asymptotic formula (1000 vs 1500), and the asymptotic test
above 10000 values.

Tolerance: RTOL = 1e-9 relative for statistics and p-values. The port follows scipy's
algorithms operation by operation, so most values agree to the last bit; the remaining
differences come from summation order (scipy's BLAS matrix products and numpy's convolution,
~1e-12 at worst) and, for Student's t only, from the t CDF (statrs' incomplete beta vs scipy's
Boost, ~1e-11). eddy drops nulls and NaNs; the reference is given the same values with NaNs
removed. A failure prints expected vs got and the reference versions.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import pytest

RTOL = 1e-9
ATOL = 1e-300  # p-values far in the tail are compared relatively too

try:
    import numpy as np
    import pandas as pd
    import scipy
    from scipy import stats
except ImportError as e:  # never skip: say how to get the references
    np = pd = scipy = stats = None
    _IMPORT_ERROR = e
else:
    _IMPORT_ERROR = None


@pytest.fixture(scope="module")
def reference():
    if _IMPORT_ERROR is not None:
        pytest.fail(
            f"numpy, pandas and scipy are needed as the reference ({_IMPORT_ERROR}): "
            "install them with `$EDDY_HOME/venv/bin/pip install pandas scipy` and run pytest "
            "with $EDDY_HOME/venv/bin/python",
            pytrace=False,
        )
    return f"scipy {scipy.__version__}, numpy {np.__version__}"


ROWS = 12000


def random_frame() -> "pd.DataFrame":
    rng = np.random.default_rng(20260502)
    gappy = rng.normal(0.0, 1.0, 300)
    gappy[rng.choice(300, 7, replace=False)] = np.nan  # nulls in the middle of a column
    columns = {
        "n7": rng.normal(0.0, 1.0, 7),
        "n13": rng.normal(0.6, 1.0, 13),
        "n50": rng.normal(0.0, 1.0, 50),
        "n100a": rng.normal(0.0, 1.0, 100),
        "n100b": rng.normal(0.3, 1.2, 100),
        "n141": rng.normal(0.1, 1.0, 141),
        "u300": rng.uniform(0.0, 1.0, 300) ** 1.1,
        "e400": rng.exponential(1.3, 400),
        "t500": 0.2 + 1.3 * rng.standard_t(4.5, 500),
        "r80": np.round(rng.normal(0.0, 1.0, 80), 1),  # ties
        "r120": np.round(rng.normal(0.2, 1.0, 120), 1),
        "n1000": rng.normal(0.0, 1.0, 1000),
        "n1500": rng.normal(0.08, 1.0, 1500),
        "n8000a": rng.normal(0.0, 1.0, 8000),
        "n8000b": rng.normal(0.03, 1.0, 8000),
        "n9000": rng.normal(0.0, 1.0, 9000),
        "n12000": rng.normal(0.02, 1.0, 12000),
        "gappy": gappy,
    }
    padded = {k: np.concatenate([v, np.full(ROWS - len(v), np.nan)]) for k, v in columns.items()}
    return pd.DataFrame(padded)


def write_csv(df: "pd.DataFrame", tmp_path: Path) -> Path:
    csv = tmp_path / "ks.csv"
    dates = pd.date_range("1990-01-01", periods=len(df), freq="D").strftime("%Y-%m-%d")
    df.assign(**{"Date": dates})[["Date", *df.columns]].to_csv(csv, index=False)
    return csv


# (column, eddy's Cdf, the scipy distribution's parameters)
KSTEST = [
    ("n7", "Cdf::Norm { loc: 0.0, scale: 1.0 }", ("norm", (0.0, 1.0))),
    ("n13", "Cdf::Norm { loc: 0.0, scale: 1.0 }", ("norm", (0.0, 1.0))),  # shifted: small p
    ("n50", "Cdf::Norm { loc: 0.1, scale: 1.2 }", ("norm", (0.1, 1.2))),
    ("n141", "Cdf::Norm { loc: 0.0, scale: 1.0 }", ("norm", (0.0, 1.0))),
    ("u300", "Cdf::Uniform { loc: 0.0, scale: 1.0 }", ("uniform", (0.0, 1.0))),
    ("e400", "Cdf::Expon { loc: 0.0, scale: 1.3 }", ("expon", (0.0, 1.3))),
    ("t500", "Cdf::StudentsT { df: 4.5, loc: 0.2, scale: 1.3 }", ("t", (4.5, 0.2, 1.3))),
    ("n1000", "Cdf::Norm { loc: 0.0, scale: 1.0 }", ("norm", (0.0, 1.0))),
    ("n12000", "Cdf::Norm { loc: 0.0, scale: 1.0 }", ("norm", (0.0, 1.0))),
    ("gappy", "Cdf::Norm { loc: 0.0, scale: 1.0 }", ("norm", (0.0, 1.0))),
]

KS_2SAMP = [
    ("n7", "n13"),  # exact, unequal sizes
    ("n13", "n7"),
    ("n100a", "n100b"),  # exact, equal sizes
    ("r80", "r120"),  # ties
    ("n1000", "n1500"),  # one-sided exact count overflows: asymptotic fallback
    ("n8000a", "n8000b"),
    ("gappy", "n141"),
    ("n12000", "n9000"),  # asymptotic: more than 10000 values
    ("n50", "n12000"),
]

ALTERNATIVES = {"two-sided": "TwoSided", "less": "Less", "greater": "Greater"}


def calls() -> dict[str, str]:
    """Tag -> the Rust expression computing it (`s(name)` is the column as `&Series`)."""
    out = {}
    for column, cdf, _ in KSTEST:
        for alt, rust_alt in ALTERNATIVES.items():
            out[f"kstest {column} {alt}"] = f's("{column}"), {cdf}, Alternative::{rust_alt}'
    for a, b in KS_2SAMP:
        for alt, rust_alt in ALTERNATIVES.items():
            out[f"ks_2samp {a} {b} {alt}"] = f's("{a}"), s("{b}"), Alternative::{rust_alt}'
    return out


def expected_results(df: "pd.DataFrame") -> dict[str, tuple[float, float]]:
    col = {c: df[c].to_numpy() for c in df.columns}
    drop = lambda x: x[~np.isnan(x)]  # noqa: E731
    out = {}
    for column, _, (name, params) in KSTEST:
        dist = getattr(stats, name)(*params)
        for alt in ALTERNATIVES:
            res = stats.ks_1samp(drop(col[column]), dist.cdf, alternative=alt)
            out[f"kstest {column} {alt}"] = (float(res.statistic), float(res.pvalue))
    for a, b in KS_2SAMP:
        for alt in ALTERNATIVES:
            with warnings.catch_warnings():  # "Exact calculation unsuccessful": expected for 1000/1500
                warnings.simplefilter("ignore", RuntimeWarning)
                res = stats.ks_2samp(drop(col[a]), drop(col[b]), alternative=alt)
            out[f"ks_2samp {a} {b} {alt}"] = (float(res.statistic), float(res.pvalue))
    return out


def eddy_results(kernel, csv: Path) -> dict[str, list[float]]:
    kernel.ok(f"let df = read_prices({json.dumps(str(csv))})?;")
    helpers = (
        "fn s(df: &DataFrame, name: &str) -> Series {\n"
        "    df.column(name).unwrap().as_materialized_series().clone()\n"
        "}\n"
        "fn dump(tag: &str, r: &TestResult) {\n"
        '    println!("{tag}\\t{:?}\\t{:?}", r.statistic, r.pvalue);\n'
        "}\n"
    )
    # `s(name)` in calls() becomes `&s(&df, name)`: the tests take `&Series`.
    lines = []
    for tag, args in calls().items():
        function = tag.split()[0]
        lines.append(f'dump("{tag}", &{function}({args.replace("s(", "&s(&df, ")})?);')
    cell = kernel.ok(helpers + "\n".join(lines))
    got = {}
    for line in cell.stream().splitlines():
        tag, statistic, pvalue = line.split("\t")
        got[tag] = [float(statistic), float(pvalue)]
    for tag in calls():
        assert tag in got, f"expected output tagged {tag!r} from the kernel, got:\n{cell.describe()}"
    return got


def assert_close(what: str, got: float, expected: float, versions: str) -> None:
    ok = (math.isnan(got) and math.isnan(expected)) or math.isclose(got, expected, rel_tol=RTOL, abs_tol=ATOL)
    assert ok, f"{what}: expected {expected!r} ({versions}), got {got!r} from eddy (rtol {RTOL})"


def test_ks_tests_match_scipy(kernel, reference, tmp_path):
    frame = random_frame()
    csv = write_csv(frame, tmp_path)
    # The values eddy sees, CSV round trip included. pandas' default float parser is off by an
    # ulp for some values; "round_trip" parses exactly as polars does (to the original floats).
    numbers = pd.read_csv(csv, float_precision="round_trip").drop(columns="Date")
    assert numbers["gappy"].notna().sum() == 293, "the reference frame should have 7 missing values in gappy"
    expected = expected_results(numbers)
    got = eddy_results(kernel, csv)
    for tag, (statistic, pvalue) in expected.items():
        g_stat, g_p = got[tag]
        assert_close(f"{tag}: statistic", g_stat, statistic, reference)
        assert_close(f"{tag}: pvalue", g_p, pvalue, reference)
