"""eddy's `describe`, `corr` and `cov` against pandas and scipy, computed in the same run.

One seeded random frame (500 rows, four float columns, one heavy-tailed, a few missing
values) is written as CSV; an eddy kernel reads it with `read_prices` and prints its results
with full precision; pandas computes the same statistics from the same file. Values must
agree within RTOL; a failure prints expected vs got and the reference versions.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from kernel_helpers import Kernel

RTOL = 1e-9
ATOL = 1e-12  # only for reference values that are exactly 0 or tiny

try:
    import numpy as np
    import pandas as pd
    import scipy
except ImportError as e:  # never skip: say how to get the references
    np = pd = scipy = None
    _IMPORT_ERROR = e
else:
    _IMPORT_ERROR = None


@pytest.fixture(scope="module")
def reference():
    if _IMPORT_ERROR is not None:
        pytest.fail(
            f"pandas, numpy and scipy are needed as the reference ({_IMPORT_ERROR}): "
            "install them with `$EDDY_HOME/venv/bin/pip install pandas scipy` and run pytest "
            "with $EDDY_HOME/venv/bin/python",
            pytrace=False,
        )
    return f"pandas {pd.__version__}, numpy {np.__version__}, scipy {scipy.__version__}"


def random_frame() -> "pd.DataFrame":
    rng = np.random.default_rng(20261125)
    n = 500
    df = pd.DataFrame(
        {
            "normal": rng.normal(3.0, 2.0, n),
            "heavy": rng.standard_t(2.5, n) * 10.0,  # heavy tails
            "skewed": rng.lognormal(0.0, 0.8, n),
            "mixed": rng.normal(0.0, 1.0, n),
        }
    )
    df["mixed"] = 0.6 * df["normal"] + df["mixed"]  # correlated with `normal`
    df["skewed"] = df["skewed"].round(1)  # ties, for the rank correlations
    df.loc[rng.choice(n, 7, replace=False), "heavy"] = np.nan  # nulls in the CSV
    return df


def write_csv(df: "pd.DataFrame", tmp_path: Path) -> Path:
    """Writes `df` as a price table (a `Date` column first), floats at full precision."""
    csv = tmp_path / "random.csv"
    dates = pd.date_range("2000-01-03", periods=len(df), freq="D").strftime("%Y-%m-%d")
    df.assign(**{"Date": dates})[["Date", *df.columns]].to_csv(csv, index=False)
    return csv


# Prints `tag <TAB> column <TAB> value…` per column of a labelled eddy frame; `{:?}` gives
# the shortest decimal that round-trips, so no precision is lost on the way.
DUMP = """
fn dump(tag: &str, t: &DataFrame) {
    let labels: Vec<String> = t.columns()[0].str().unwrap().iter().map(|s| s.unwrap_or("").to_string()).collect();
    println!("{tag}\\tlabel\\t{}", labels.join("\\t"));
    for c in &t.columns()[1..] {
        let v: Vec<String> = c.f64().unwrap().iter().map(|x| format!("{:?}", x.unwrap_or(f64::NAN))).collect();
        println!("{tag}\\t{}\\t{}", c.name(), v.join("\\t"));
    }
}
"""


def eddy_tables(kernel: Kernel, csv: Path, calls: dict[str, str]) -> dict[str, "pd.DataFrame"]:
    """Runs each `tag: expression` in the kernel on the CSV; returns each as a DataFrame."""
    kernel.ok(f"let df = read_prices({json.dumps(str(csv))})?;")  # a JSON string is a Rust literal here
    code = DUMP + "\n".join(f'dump("{tag}", &{expr}?);' for tag, expr in calls.items())
    cell = kernel.ok(code)
    rows: dict[str, dict[str, list[str]]] = {}
    for line in cell.stream().splitlines():
        assert line.count("\t") >= 2, f"expected only dumped rows on stdout, got {line!r} in:\n{cell.describe()}"
        tag, name, *values = line.split("\t")
        rows.setdefault(tag, {})[name] = values
    tables = {}
    for tag in calls:
        assert tag in rows, f"expected output tagged {tag!r} from the kernel, got:\n{cell.describe()}"
        cols = rows[tag]
        labels = cols.pop("label")
        tables[tag] = pd.DataFrame({name: [float(v) for v in vals] for name, vals in cols.items()}, index=labels)
    return tables


def assert_close(what: str, got: float, expected: float, versions: str) -> None:
    ok = (math.isnan(got) and math.isnan(expected)) or math.isclose(got, expected, rel_tol=RTOL, abs_tol=ATOL)
    assert ok, f"{what}: expected {expected!r} ({versions}), got {got!r} from eddy (rtol {RTOL})"


def assert_frames_close(what: str, got: "pd.DataFrame", expected: "pd.DataFrame", versions: str) -> None:
    assert list(got.columns) == list(expected.columns), (
        f"{what}: expected columns {list(expected.columns)}, got {list(got.columns)}"
    )
    assert list(got.index) == [str(i) for i in expected.index], (
        f"{what}: expected rows {list(expected.index)}, got {list(got.index)}"
    )
    for col in expected.columns:
        for row_label, row_got in zip(expected.index, got.index):
            assert_close(f"{what}[{row_label}, {col}]", float(got.at[row_got, col]), float(expected.at[row_label, col]), versions)


def test_describe_matches_pandas(kernel, reference, tmp_path):
    csv = write_csv(random_frame(), tmp_path)
    numbers = pd.read_csv(csv).drop(columns="Date")
    expected = pd.concat([numbers.describe(), numbers.skew().to_frame("skew").T, numbers.kurt().to_frame("kurt").T])
    got = eddy_tables(kernel, csv, {"describe": "describe(&df)"})["describe"]
    assert expected.loc["count", "heavy"] == 493, "the reference frame should have 7 missing values"
    assert_frames_close("describe", got, expected, reference)


def test_corr_and_cov_match_pandas(kernel, reference, tmp_path):
    csv = write_csv(random_frame(), tmp_path)
    # eddy drops every row with a missing value before computing; so does the reference.
    numbers = pd.read_csv(csv).drop(columns="Date").dropna()
    calls = {
        "pearson": "corr(&df, CorrMethod::Pearson)",
        "spearman": "corr(&df, CorrMethod::Spearman)",
        "kendall": "corr(&df, CorrMethod::Kendall)",
        "cov": "cov(&df)",
    }
    got = eddy_tables(kernel, csv, calls)
    for method in ("pearson", "spearman", "kendall"):
        assert_frames_close(f"corr({method})", got[method], numbers.corr(method=method), reference)
    assert_frames_close("cov", got["cov"], numbers.cov(), reference)
