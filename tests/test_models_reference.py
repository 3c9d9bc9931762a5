"""eddy's regularised models, cross-validation, merged OLS fits, KDE and data helpers against
scikit-learn, statsmodels, scipy and pandas, computed in the same run.

Data: a seeded synthetic frame (n = 400, five correlated regressors, one of them nearly
constant, t-distributed noise) written as a price CSV that the kernel reads with
`read_prices`, and the bundled sp500 data. Tolerances are stated per check: 1e-9 relative
for closed forms (ridge, merged OLS, KDE, returns), 1e-6 for coordinate descent (both
solvers converge to 1e-12; the residual gap is in the stopping rules).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from references import SP500, assert_all_close, assert_close, parse_values, rust_vec, versions, write_price_csv

X = ["x1", "x2", "x3", "x4", "x5"]


@pytest.fixture(scope="module")
def context() -> str:
    return versions()


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> tuple[pd.DataFrame, str]:
    rng = np.random.default_rng(20261125)
    n = 400
    df = pd.DataFrame({"x1": rng.normal(0.0, 1.0, n), "x2": rng.uniform(-2.0, 2.0, n)})
    df["x3"] = 0.8 * df["x1"] + rng.normal(0.0, 0.5, n)
    df["x4"] = rng.normal(100.0, 15.0, n)
    df["x5"] = 7.0 + rng.normal(0.0, 1e-3, n)
    df["y"] = 1.5 + 2.0 * df["x1"] - 0.7 * df["x2"] + 0.3 * df["x3"] + 0.01 * df["x4"] + rng.standard_t(4.0, n)
    path = write_price_csv(df, tmp_path_factory.mktemp("models") / "synthetic.csv")
    return pd.read_csv(path), f"read_prices({json.dumps(str(path))})?"


def sklearn_pipeline(model):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), model)


@pytest.mark.parametrize(
    "call, model",
    [
        ("ridge(&df, \"y\", &X, 25.0)?", "Ridge(alpha=25.0)"),
        ("lasso(&df, \"y\", &X, 0.05)?", "Lasso(alpha=0.05, tol=1e-14, max_iter=1_000_000)"),
        ("elastic_net(&df, \"y\", &X, 0.1, 0.3)?", "ElasticNet(alpha=0.1, l1_ratio=0.3, tol=1e-14, max_iter=1_000_000)"),
    ],
)
def test_penalized_matches_scikit_learn(kernel, context, synthetic, call, model):
    import sklearn.linear_model as lm

    data, frame = synthetic
    pipe = sklearn_pipeline(eval(model, vars(lm))).fit(data[X], data["y"])
    cell = kernel.ok(
        f"let df = {frame};\nlet X = {json.dumps(X)};\nlet fit = {call};\n"
        'println!("coef_std\\t{:?}", fit.coef_standardized());\n'
        'println!("coef\\t{:?}", fit.coef());\n'
        'println!("intercept\\t{:?}", fit.intercept());\n'
        'println!("predicted\\t{:?}", fit.predict(&df)?.f64()?.into_no_null_iter().collect::<Vec<_>>());\n'
        'println!("score\\t{:?}", fit.score(&df)?);'
    )
    got = parse_values(cell.stream())
    rtol = 1e-9 if model.startswith("Ridge") else 1e-6
    est, scaler = pipe[-1], pipe[0]
    assert_all_close("coef_std", got["coef_std"], est.coef_, rtol, 1e-10, context)
    assert_all_close("coef", got["coef"], est.coef_ / scaler.scale_, rtol, 1e-10, context)
    intercept = est.intercept_ - float(np.sum(est.coef_ * scaler.mean_ / scaler.scale_))
    assert_close("intercept", got["intercept"], intercept, rtol, 1e-10, context)
    assert_all_close("predicted", got["predicted"], pipe.predict(data[X]), 1e-9, 1e-9, context)
    assert_close("score", got["score"], pipe.score(data[X], data["y"]), 1e-9, 0.0, context)


@pytest.mark.parametrize("folds", ["KFold(5)", "TimeSeries(4)"])
@pytest.mark.parametrize("penalty", ["Lasso", "Ridge"])
def test_cross_validation_matches_grid_search(kernel, context, synthetic, folds, penalty):
    from sklearn.linear_model import Lasso, Ridge
    from sklearn.model_selection import GridSearchCV, KFold, TimeSeriesSplit

    data, frame = synthetic
    alphas = list(np.logspace(-3, 0, 7)) if penalty == "Lasso" else list(np.logspace(-1, 3, 7))
    model = Lasso(tol=1e-14, max_iter=1_000_000) if penalty == "Lasso" else Ridge()
    cv = KFold(5) if folds.startswith("KFold") else TimeSeriesSplit(4)
    name = type(model).__name__.lower()
    search = GridSearchCV(
        sklearn_pipeline(model), {f"{name}__alpha": alphas}, cv=cv, scoring="neg_mean_squared_error"
    ).fit(data[X], data["y"])
    cell = kernel.ok(
        f"let df = {frame};\n"
        f'let cv = cross_validate(&df, "y", &{json.dumps(X)}, Penalty::{penalty}, {rust_vec(alphas)}, Folds::{folds})?;\n'
        'println!("mse_mean\\t{:?}", cv.curve().column("mse_mean")?.f64()?.into_no_null_iter().collect::<Vec<_>>());\n'
        'println!("mse_std\\t{:?}", cv.curve().column("mse_std")?.f64()?.into_no_null_iter().collect::<Vec<_>>());\n'
        'println!("best\\t{:?}", cv.best_alpha());'
    )
    got = parse_values(cell.stream())
    rtol = 1e-6 if penalty == "Lasso" else 1e-9
    assert_all_close("mse_mean", got["mse_mean"], -search.cv_results_["mean_test_score"], rtol, 0.0, context)
    assert_all_close("mse_std", got["mse_std"], search.cv_results_["std_test_score"], 1e-5, 1e-12, context)
    assert got["best"] == search.best_params_[f"{name}__alpha"], f"best alpha {got['best']} vs {search.best_params_}"


def test_merged_partial_fits_equal_statsmodels(kernel, context):
    import statsmodels.api as sm

    data = pd.read_csv(SP500)
    x = ["BAC", "KO", "XOM", "MSFT"]
    res = sm.OLS(data["JPM"], sm.add_constant(data[x])).fit()
    cell = kernel.ok(
        "let df = sp500()?;\n"
        f'let x = {json.dumps(x)};\n'
        "// four partitions of uneven size, each accumulated on its own, then merged\n"
        "let mut parts = Vec::new();\n"
        "for (offset, len) in [(0, 1000), (1000, 3), (1003, 5000), (6003, 5000)] {\n"
        '    let mut acc = OlsAccumulator::new("JPM", &x);\n'
        "    acc.update(&df.slice(offset, len))?;\n"
        "    parts.push(acc);\n"
        "}\n"
        'let mut total = OlsAccumulator::new("JPM", &x);\n'
        "for p in &parts { total.merge(p)?; }\n"
        "let fit = total.fit()?;\n"
        'println!("params\\t{:?}", fit.params());\nprintln!("bse\\t{:?}", fit.bse());\n'
        'println!("pvalues\\t{:?}", fit.pvalues());\nprintln!("rsquared\\t{:?}", fit.rsquared());\n'
        'println!("fvalue\\t{:?}", fit.fvalue());\nprintln!("llf\\t{:?}", fit.llf());\n'
        'println!("aic\\t{:?}", fit.aic());\nprintln!("nobs\\t{:?}", fit.nobs());\n'
        'println!("condition_number\\t{:?}", fit.condition_number());'
    )
    got = parse_values(cell.stream())
    for v in ["params", "bse"]:
        assert_all_close(v, got[v], getattr(res, v), 1e-9, 0.0, context)
    assert_all_close("pvalues", got["pvalues"], res.pvalues, 1e-6, 1e-12, context)
    for s in ["rsquared", "fvalue", "llf", "aic", "nobs"]:
        assert_close(s, got[s], float(getattr(res, s)), 1e-9, 0.0, context)
    assert_close("condition_number", got["condition_number"], float(res.condition_number), 1e-6, 0.0, context)


@pytest.mark.parametrize("bw", ["Scott", "Silverman"])
def test_kde_matches_scipy(kernel, context, bw):
    from scipy.stats import gaussian_kde

    prices = pd.read_csv(SP500)
    r = np.log(prices["JPM"]).diff().dropna().to_numpy()
    kde = gaussian_kde(r, bw_method=bw.lower())
    cell = kernel.ok(
        "let r = returns(&sp500()?.select([\"Date\", \"JPM\"])?, ReturnKind::Log)?;\n"
        f'let kde = gaussian_kde(r.column("JPM")?.as_materialized_series(), Bandwidth::{bw})?;\n'
        "let grid = kde.grid(512)?;\nlet binned = kde.grid_binned(512)?;\n"
        'println!("factor\\t{:?}", kde.factor());\n'
        'println!("x\\t{:?}", grid.column("JPM")?.f64()?.into_no_null_iter().collect::<Vec<_>>());\n'
        'println!("density\\t{:?}", grid.column("density")?.f64()?.into_no_null_iter().collect::<Vec<_>>());\n'
        'println!("binned\\t{:?}", binned.column("density")?.f64()?.into_no_null_iter().collect::<Vec<_>>());'
    )
    got = parse_values(cell.stream())
    assert_close("factor", got["factor"], kde.factor, 1e-12, 0.0, context)
    expected = kde.evaluate(np.array(got["x"]))
    assert_all_close("density", got["density"], expected, 1e-9, 1e-300, context)
    peak = float(expected.max())
    worst = float(np.max(np.abs(np.array(got["binned"]) - expected)))
    assert worst < 1e-2 * peak, f"binned KDE: largest error {worst:.3g} vs peak {peak:.3g}"


def test_returns_and_reshaping_match_pandas(kernel, context):
    prices = pd.read_csv(SP500, parse_dates=["Date"])
    cell = kernel.ok(
        'let wide = sp500()?.select(["Date", "AAPL", "KO"])?;\n'
        "let simple = returns(&wide, ReturnKind::Simple)?;\nlet log = returns(&wide, ReturnKind::Log)?;\n"
        'println!("simple\\t{:?}", simple.column("AAPL")?.f64()?.into_no_null_iter().collect::<Vec<_>>());\n'
        'println!("log\\t{:?}", log.column("KO")?.f64()?.into_no_null_iter().collect::<Vec<_>>());\n'
        'let long = to_long(&wide, "Date")?;\n'
        'println!("long_price\\t{:?}", long.column("price")?.f64()?.into_no_null_iter().collect::<Vec<_>>());\n'
        'println!("roundtrip\\t{:?}", to_wide(&long)?.equals(&wide));'
    )
    out = cell.stream()
    assert "roundtrip\ttrue" in out, out[-400:]
    got = parse_values("\n".join(line for line in out.splitlines() if not line.startswith("roundtrip")))
    assert_all_close("simple", got["simple"], prices["AAPL"].pct_change().iloc[1:], 1e-12, 1e-15, context)
    assert_all_close("log", got["log"], np.log(prices["KO"]).diff().iloc[1:], 1e-9, 1e-15, context)
    melted = prices[["Date", "AAPL", "KO"]].melt(id_vars="Date", var_name="symbol", value_name="price")
    melted = melted.sort_values(["symbol", "Date"], kind="stable")
    assert_all_close("long price", got["long_price"], melted["price"], 0.0, 0.0, context)
