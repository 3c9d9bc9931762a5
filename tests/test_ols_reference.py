"""eddy's `ols` against statsmodels' `OLS(y, add_constant(X)).fit()`, computed in the same run.

Two fits: (a) a seeded synthetic frame (n = 300, three regressors with known coefficients,
t-distributed noise) written as CSV and read in the kernel with `read_prices`; (b) the
bundled sp500 data, JPM on BAC, KO, XOM and MSFT, which statsmodels reads from
data/sp500_dataset.csv.gz. The kernel prints every result with full precision (`{:?}`);
values must agree within RTOL (p-values within P_RTOL, or P_ATOL when tiny); a failure prints
expected vs got and the reference versions.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from kernel_helpers import Kernel

RTOL = 1e-8
P_RTOL = 1e-6
P_ATOL = 1e-12  # p-values that are tiny (or exactly 0) in the reference
SP500 = Path(__file__).resolve().parent.parent / "data" / "sp500_dataset.csv.gz"

try:
    import numpy as np
    import pandas as pd
    import scipy
    import statsmodels
    import statsmodels.api as sm
except ImportError as e:  # never skip: say how to get the references
    np = pd = scipy = statsmodels = sm = None
    _IMPORT_ERROR = e
else:
    _IMPORT_ERROR = None


@pytest.fixture(scope="module")
def reference():
    if _IMPORT_ERROR is not None:
        pytest.fail(
            f"statsmodels, pandas, numpy and scipy are needed as the reference ({_IMPORT_ERROR}): "
            "install them with `$EDDY_HOME/venv/bin/pip install statsmodels` and run pytest "
            "with $EDDY_HOME/venv/bin/python",
            pytrace=False,
        )
    return f"statsmodels {statsmodels.__version__}, numpy {np.__version__}, scipy {scipy.__version__}"


def synthetic_frame() -> "pd.DataFrame":
    rng = np.random.default_rng(20261125)
    n = 300
    df = pd.DataFrame({"x1": rng.normal(0.0, 1.0, n), "x2": rng.uniform(-2.0, 2.0, n), "x3": rng.normal(5.0, 3.0, n)})
    df["x3"] = df["x3"] + 0.5 * df["x1"]  # mildly correlated regressors
    df["y"] = 1.5 + 2.0 * df["x1"] - 0.7 * df["x2"] + 0.3 * df["x3"] + rng.standard_t(4.0, n)
    return df


def write_csv(df: "pd.DataFrame", tmp_path: Path) -> Path:
    """Writes `df` as a price table (a `Date` column first), floats at full precision."""
    csv = tmp_path / "ols.csv"
    dates = pd.date_range("2000-01-03", periods=len(df), freq="D").strftime("%Y-%m-%d")
    df.assign(**{"Date": dates})[["Date", *df.columns]].to_csv(csv, index=False)
    return csv


VECTORS = ["params", "bse", "tvalues", "pvalues"]
SCALARS = [
    "nobs", "df_model", "df_resid", "rsquared", "rsquared_adj", "fvalue", "f_pvalue",
    "llf", "aic", "bic", "durbin_watson", "condition_number",
]


def eddy_fit(kernel: Kernel, frame_expr: str, y: str, x: list[str]) -> tuple[dict, str]:
    """Fits in the kernel; returns {name: value or list} and the summary's text."""
    lines = [f"let df = {frame_expr};", f"let fit = ols(&df, {json.dumps(y)}, &{json.dumps(x)})?;"]
    lines += [f'println!("{v}\\t{{:?}}", fit.{v}());' for v in VECTORS + ["exog_names"] + SCALARS]
    lines += [
        'println!("jarque_bera\\t{:?}", fit.jarque_bera());',
        'println!("omnibus\\t{:?}", fit.omnibus());',
        "let ci = fit.conf_int(0.05)?;",
        'println!("lower\\t{:?}", ci.column("lower")?.f64()?.into_no_null_iter().collect::<Vec<_>>());',
        'println!("upper\\t{:?}", ci.column("upper")?.f64()?.into_no_null_iter().collect::<Vec<_>>());',
        'println!("SUMMARY\\n{}", fit.summary());',
    ]
    cell = kernel.ok("\n".join(lines))
    out = cell.stream()
    head, sep, summary = out.partition("SUMMARY\n")
    assert sep, f"expected a summary on stdout, got:\n{cell.describe()}"
    got = {}
    for line in head.splitlines():
        name, value = line.split("\t")
        value = value.strip()
        if value.startswith("["):
            got[name] = json.loads(value) if name == "exog_names" else [float(v) for v in value[1:-1].split(", ")]
        elif value.startswith("("):
            got[name] = [float(v) for v in value[1:-1].split(", ")]
        else:
            got[name] = float(value)
    return got, summary


def assert_close(what: str, got: float, expected: float, versions: str, p_value: bool = False) -> None:
    rtol, atol = (P_RTOL, P_ATOL) if p_value else (RTOL, 0.0)
    ok = (math.isnan(got) and math.isnan(expected)) or math.isclose(got, expected, rel_tol=rtol, abs_tol=atol)
    assert ok, f"{what}: expected {expected!r} ({versions}), got {got!r} from eddy (rtol {rtol}, atol {atol})"


def compare(got: dict, res, names: list[str], versions: str) -> None:
    assert got["exog_names"] == names, f"expected terms {names}, got {got['exog_names']}"
    for v in VECTORS:
        expected = list(getattr(res, v))
        assert len(got[v]) == len(expected), f"{v}: expected {expected}, got {got[v]}"
        for name, g, e in zip(names, got[v], expected):
            assert_close(f"{v}[{name}]", g, float(e), versions, p_value=(v == "pvalues"))
    ci = np.asarray(res.conf_int(0.05))
    for i, name in enumerate(names):
        assert_close(f"conf_int[{name}, lower]", got["lower"][i], float(ci[i, 0]), versions)
        assert_close(f"conf_int[{name}, upper]", got["upper"][i], float(ci[i, 1]), versions)
    for s in SCALARS:
        # Durbin-Watson is a function of the residuals in statsmodels, not a results attribute.
        expected = sm.stats.stattools.durbin_watson(res.resid) if s == "durbin_watson" else getattr(res, s)
        assert_close(s, got[s], float(expected), versions, p_value=(s == "f_pvalue"))
    jb, jb_p, skew, kurtosis = sm.stats.stattools.jarque_bera(res.resid)
    for what, g, e, p in zip(
        ["jb", "jb_p", "skew", "kurtosis"], got["jarque_bera"], [jb, jb_p, skew, kurtosis], [False, True, False, False]
    ):
        assert_close(f"jarque_bera.{what}", g, float(e), versions, p_value=p)
    omni, omni_p = scipy.stats.normaltest(res.resid)
    assert_close("omnibus.statistic", got["omnibus"][0], float(omni), versions)
    assert_close("omnibus.pvalue", got["omnibus"][1], float(omni_p), versions, p_value=True)


def check_summary(summary: str, names: list[str]) -> None:
    for needle in [*names, "Durbin-Watson", "R-squared:", "Notes:"]:
        assert needle in summary, f"expected {needle!r} in the summary, got:\n{summary}"


def test_ols_synthetic_matches_statsmodels(kernel, reference, tmp_path):
    df = synthetic_frame()
    csv = write_csv(df, tmp_path)
    data = pd.read_csv(csv)
    x = ["x1", "x2", "x3"]
    res = sm.OLS(data["y"], sm.add_constant(data[x])).fit()
    got, summary = eddy_fit(kernel, f"read_prices({json.dumps(str(csv))})?", "y", x)
    compare(got, res, ["const", *x], reference)
    check_summary(summary, ["const", *x])


def test_ols_sp500_matches_statsmodels(kernel, reference):
    data = pd.read_csv(SP500)
    x = ["BAC", "KO", "XOM", "MSFT"]
    res = sm.OLS(data["JPM"], sm.add_constant(data[x]), missing="drop").fit()
    got, summary = eddy_fit(kernel, "sp500()?", "JPM", x)
    compare(got, res, ["const", *x], reference)
    check_summary(summary, ["const", *x])
