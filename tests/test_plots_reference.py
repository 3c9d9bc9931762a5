"""eddy's charts in the kernel: each shows as SVG, with the numbers it writes (fitted line and
R², KDE bandwidth, Q-Q reference line, correlation cells) checked against numpy, pandas,
scipy and statsmodels computed in the same run.

Charts write numbers rounded for reading (4 significant digits in legends, 2 decimals in
heatmap cells), so the tolerances are those of the rounding: 5e-4 relative for legends,
0.005 absolute (half a unit of the last decimal, plus float noise) for heatmap cells.
"""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
import pytest
from references import SP500, assert_close, versions

NUMBER = r"−?[0-9.]+(?:e−?[0-9]+)?"


@pytest.fixture(scope="module")
def context() -> str:
    return versions()


@pytest.fixture(scope="module")
def prices() -> pd.DataFrame:
    return pd.read_csv(SP500, index_col="Date")


@pytest.fixture(scope="module")
def log_returns(prices) -> pd.DataFrame:
    # eddy's `returns(&df, ReturnKind::Log)`: ln(p_t / p_{t-1}), first row dropped.
    return np.log(prices / prices.shift(1)).iloc[1:]


def svg_texts(svg: str) -> list[str]:
    """The text elements of a plotters SVG (each on its own line), unescaped."""
    return [html.unescape(t) for t in re.findall(r">\n(.*?)\n</text>", svg)]


def number(text: str) -> float:
    return float(text.replace("−", "-"))


def chart_svg(kernel, code: str) -> str:
    cell = kernel.ok(code)
    svg = cell.result("image/svg+xml")
    assert svg and svg.startswith("<svg"), f"no SVG output:\n{cell.describe()}"
    return svg


def test_scatter_fit_legend_matches_statsmodels_ols(kernel, context, prices):
    import statsmodels.api as sm

    svg = chart_svg(kernel, 'scatter_fit(&sp500()?, "BAC", "JPM")?')
    texts = svg_texts(svg)
    assert "JPM vs BAC" in texts and "BAC" in texts and "JPM" in texts, texts
    legend = next(t for t in texts if t.startswith("JPM = "))
    m = re.fullmatch(rf"JPM = ({NUMBER}) ([+−]) ({NUMBER})·BAC, R² = ({NUMBER})", legend)
    assert m, legend
    intercept, sign, slope, r2 = m.groups()
    slope = number(slope) * (-1 if sign == "−" else 1)
    data = prices[["BAC", "JPM"]].dropna()
    fit = sm.OLS(data["JPM"], sm.add_constant(data["BAC"])).fit()
    assert_close("intercept", number(intercept), fit.params["const"], 5e-4, 0.0, context)
    assert_close("slope", slope, fit.params["BAC"], 5e-4, 0.0, context)
    assert_close("R²", number(r2), fit.rsquared, 5e-4, 0.0, context)
    assert f"JPM (n = {len(data)})" in texts, texts


def test_hist_kde_bandwidth_matches_scipy(kernel, context, log_returns):
    from scipy.stats import gaussian_kde

    svg = chart_svg(kernel, 'hist_kde(&returns(&sp500()?, ReturnKind::Log)?, "JPM", 100)?')
    texts = svg_texts(svg)
    x = log_returns["JPM"].dropna().to_numpy()
    assert "Distribution of JPM" in texts and "density" in texts, texts
    assert f"histogram (n = {len(x)}, 100 bins)" in texts, texts
    legend = next(t for t in texts if t.startswith("Gaussian KDE"))
    m = re.fullmatch(rf"Gaussian KDE \(Scott, bandwidth ({NUMBER})\)", legend)
    assert m, legend
    kde = gaussian_kde(x)
    assert_close("bandwidth", number(m.group(1)), float(np.sqrt(kde.covariance[0, 0])), 5e-4, 0.0, context)


def test_heatmap_cells_match_pandas_corr(kernel, context, log_returns):
    svg = chart_svg(kernel, "heatmap(&corr(&returns(&sp500()?, ReturnKind::Log)?, CorrMethod::Pearson)?)?")
    texts = svg_texts(svg)
    # eddy's corr drops rows with a null in any column first, hence dropna().
    expected = log_returns.dropna().corr()
    cells = [number(t) for t in texts if re.fullmatch(r"−?[0-9]\.[0-9]{2}", t)]
    assert len(cells) == expected.size, f"{len(cells)} cells: {texts}"
    for got, want in zip(cells, expected.to_numpy().ravel()):
        assert abs(got - want) <= 0.005 + 1e-9, f"cell {got} vs pandas {want} ({context})"
    for name in expected.columns:
        assert texts.count(name) == 2, f"{name} should label a row and a column: {texts}"
    assert "Correlation matrix" in texts


def test_qqplot_line_matches_statsmodels_line_s(kernel, context, log_returns):
    svg = chart_svg(kernel, 'qqplot(returns(&sp500()?, ReturnKind::Log)?.column("JPM")?.as_materialized_series())?')
    texts = svg_texts(svg)
    assert "Normal Q-Q plot of JPM" in texts, texts
    legend = next(t for t in texts if t.startswith('normal line "s"'))
    m = re.fullmatch(rf'normal line "s": ({NUMBER}) \+ ({NUMBER})·z', legend)
    assert m, legend
    x = log_returns["JPM"].dropna().to_numpy()
    # statsmodels' qqline(line="s"): slope np.std(y) (ddof 0), intercept np.mean(y).
    assert_close("std", number(m.group(2)), float(np.std(x)), 5e-4, 0.0, context)
    # The mean is written with the decimals of the std's 4 significant digits: half a unit there.
    half_unit = 0.5 * 10.0 ** (np.floor(np.log10(np.std(x))) - 3)
    assert_close("mean", number(m.group(1)), float(np.mean(x)), 0.0, half_unit * (1 + 1e-9), context)


def test_residplot_and_predicted_vs_actual(kernel):
    kernel.ok('let df = sp500()?;\nlet fit = ols(&df, "JPM", &["BAC", "WMT"])?;')
    texts = svg_texts(chart_svg(kernel, "residplot(&fit)?"))
    assert "Residuals vs fitted: JPM ~ BAC + WMT" in texts and "fitted values" in texts, texts
    texts = svg_texts(chart_svg(kernel, 'predicted_vs_actual(&df, "Date", "JPM", &fit.predict(&df)?)?'))
    assert "JPM: actual and predicted" in texts and "predicted" in texts and "2020" in texts, texts


def test_bad_columns_are_clear_errors(kernel):
    cell = kernel.ok(
        'match scatter(&sp500()?, "BAC", "C") { Err(e) => println!("{e}"), Ok(_) => println!("drawn") }\n'
        'match heatmap(&sp500()?) { Err(e) => println!("{e}"), Ok(_) => println!("drawn") }'
    )
    lines = cell.stream().splitlines()
    assert lines[0].startswith("scatter: column `C` not found; available columns: Date, AAPL"), lines
    assert lines[1].startswith("heatmap: column `Date` has dtype date"), lines
