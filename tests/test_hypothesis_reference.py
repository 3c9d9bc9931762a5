"""eddy's hypothesis tests (t-tests, pearsonr, jarque_bera, chisquare, chi2_contingency)
against scipy.stats, computed in the same run.

One seeded random frame is written as CSV; an eddy kernel reads it with `read_prices`, runs
each test and prints statistic, p-value and df with full precision; scipy computes the same
tests from the same values. eddy drops nulls and NaNs (scipy's `nan_policy='omit'`); the
reference is given the same values with NaNs removed (pairwise for paired tests). Values must
agree within RTOL; a failure prints expected vs got and the reference versions.
"""

from __future__ import annotations

import json
import math
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


def random_frame() -> "pd.DataFrame":
    rng = np.random.default_rng(20261126)
    n = 300
    df = pd.DataFrame(
        {
            "normal": rng.normal(0.1, 1.0, n),
            "shifted": rng.normal(0.3, 2.5, n),
            "heavy": rng.standard_t(3.0, n),
            "counts": rng.poisson(20.0, n).astype(float),
            "weights": rng.uniform(10.0, 30.0, n),
        }
    )
    df["paired"] = df["normal"] + rng.normal(0.05, 0.3, n)
    df["weights"] = df["weights"] / df["weights"].sum() * df["counts"].sum()
    df.loc[rng.choice(n, 5, replace=False), "heavy"] = np.nan  # nulls in the CSV
    return df


def write_csv(df: "pd.DataFrame", tmp_path: Path) -> Path:
    csv = tmp_path / "hypothesis.csv"
    dates = pd.date_range("2000-01-03", periods=len(df), freq="D").strftime("%Y-%m-%d")
    df.assign(**{"Date": dates})[["Date", *df.columns]].to_csv(csv, index=False)
    return csv


TABLE_3X3 = [[12, 30, 7], [25, 18, 11], [9, 14, 22]]  # rows; each inner list is one row
TABLE_2X2 = [[30, 12], [17, 25]]


def table_literal(rows: list[list[int]]) -> str:
    cols = ", ".join(f'"c{j}" => [{", ".join(f"{r[j]}.0" for r in rows)}]' for j in range(len(rows[0])))
    return f"df!({cols})?"


CALLS = {
    "ttest_1samp": 'ttest_1samp(s("normal"), 0.2, Alternative::TwoSided)',
    "ttest_1samp_less": 'ttest_1samp(s("heavy"), 0.0, Alternative::Less)',
    "ttest_ind_student": 'ttest_ind(s("normal"), s("shifted"), true, Alternative::TwoSided)',
    "ttest_ind_welch": 'ttest_ind(s("normal"), s("shifted"), false, Alternative::TwoSided)',
    "ttest_ind_welch_greater": 'ttest_ind(s("heavy"), s("shifted"), false, Alternative::Greater)',
    "ttest_rel": 'ttest_rel(s("normal"), s("paired"), Alternative::TwoSided)',
    "ttest_rel_nan": 'ttest_rel(s("heavy"), s("normal"), Alternative::Less)',
    "pearsonr": 'pearsonr(s("normal"), s("paired"))',
    "pearsonr_weak": 'pearsonr(s("normal"), s("heavy"))',
    "jarque_bera_normal": 'jarque_bera(s("normal"))',
    "jarque_bera_heavy": 'jarque_bera(s("heavy"))',
    "chisquare": 'chisquare(s("counts"), None)',
    "chisquare_expected": 'chisquare(s("counts"), Some(s("weights")))',
    "chi2_contingency_3x3": f"chi2_contingency(&{table_literal(TABLE_3X3)})",
    "chi2_contingency_2x2": f"chi2_contingency(&{table_literal(TABLE_2X2)})",
}


def expected_results(df: "pd.DataFrame") -> dict[str, tuple[float, float, float | None]]:
    col = {c: df[c].to_numpy() for c in df.columns}
    drop = lambda x: x[~np.isnan(x)]  # noqa: E731

    def pair(x, y):
        keep = ~(np.isnan(x) | np.isnan(y))
        return x[keep], y[keep]

    def t(res):
        return (float(res.statistic), float(res.pvalue), float(res.df))

    def plain(res, df=None):
        return (float(res[0]), float(res[1]), df)

    n = len(df)
    chi3 = stats.chi2_contingency(np.array(TABLE_3X3))
    chi2 = stats.chi2_contingency(np.array(TABLE_2X2))  # correction=True, scipy's default
    return {
        "ttest_1samp": t(stats.ttest_1samp(col["normal"], 0.2)),
        "ttest_1samp_less": t(stats.ttest_1samp(drop(col["heavy"]), 0.0, alternative="less")),
        "ttest_ind_student": t(stats.ttest_ind(col["normal"], col["shifted"], equal_var=True)),
        "ttest_ind_welch": t(stats.ttest_ind(col["normal"], col["shifted"], equal_var=False)),
        "ttest_ind_welch_greater": t(
            stats.ttest_ind(drop(col["heavy"]), col["shifted"], equal_var=False, alternative="greater")
        ),
        "ttest_rel": t(stats.ttest_rel(col["normal"], col["paired"])),
        "ttest_rel_nan": t(stats.ttest_rel(*pair(col["heavy"], col["normal"]), alternative="less")),
        "pearsonr": plain(stats.pearsonr(col["normal"], col["paired"])),
        "pearsonr_weak": plain(stats.pearsonr(*pair(col["normal"], col["heavy"]))),
        "jarque_bera_normal": plain(stats.jarque_bera(col["normal"])),
        "jarque_bera_heavy": plain(stats.jarque_bera(drop(col["heavy"]))),
        "chisquare": plain(stats.chisquare(col["counts"]), float(n - 1)),
        "chisquare_expected": plain(stats.chisquare(col["counts"], col["weights"]), float(n - 1)),
        "chi2_contingency_3x3": plain(chi3, float(chi3[2])),
        "chi2_contingency_2x2": plain(chi2, float(chi2[2])),
    }


def eddy_results(kernel, csv: Path) -> dict[str, list[float | None]]:
    kernel.ok(f"let df = read_prices({json.dumps(str(csv))})?;")
    helpers = (
        "fn s(df: &DataFrame, name: &str) -> Series {\n"
        "    df.column(name).unwrap().as_materialized_series().clone()\n"
        "}\n"
        "fn dump(tag: &str, r: &TestResult) {\n"
        '    let df = r.df.map_or("None".to_string(), |d| format!("{d:?}"));\n'
        '    println!("{tag}\\t{:?}\\t{:?}\\t{df}", r.statistic, r.pvalue);\n'
        "}\n"
    )
    # `s(name)` in CALLS becomes `&s(&df, name)`: the calls take `&Series`.
    body = "\n".join(
        f'dump("{tag}", &{expr.replace("s(", "&s(&df, ")}?);' for tag, expr in CALLS.items()
    )
    cell = kernel.ok(helpers + body)
    got = {}
    for line in cell.stream().splitlines():
        tag, statistic, pvalue, df = line.split("\t")
        got[tag] = [float(statistic), float(pvalue), None if df == "None" else float(df)]
    for tag in CALLS:
        assert tag in got, f"expected output tagged {tag!r} from the kernel, got:\n{cell.describe()}"
    return got


def assert_close(what: str, got: float, expected: float, versions: str) -> None:
    ok = (math.isnan(got) and math.isnan(expected)) or math.isclose(got, expected, rel_tol=RTOL, abs_tol=ATOL)
    assert ok, f"{what}: expected {expected!r} ({versions}), got {got!r} from eddy (rtol {RTOL})"


def test_hypothesis_tests_match_scipy(kernel, reference, tmp_path):
    frame = random_frame()
    csv = write_csv(frame, tmp_path)
    numbers = pd.read_csv(csv).drop(columns="Date")  # the values eddy sees, CSV round trip included
    assert numbers["heavy"].isna().sum() == 5, "the reference frame should have 5 missing values"
    expected = expected_results(numbers)
    got = eddy_results(kernel, csv)
    for tag, (statistic, pvalue, df) in expected.items():
        g_stat, g_p, g_df = got[tag]
        assert_close(f"{tag}.statistic", g_stat, statistic, reference)
        assert_close(f"{tag}.pvalue", g_p, pvalue, reference)
        if df is None:
            assert g_df is None, f"{tag}.df: expected no df ({reference}), got {g_df!r} from eddy"
        else:
            assert g_df is not None, f"{tag}.df: expected {df!r} ({reference}), got None from eddy"
            assert_close(f"{tag}.df", g_df, df, reference)
