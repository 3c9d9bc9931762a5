"""eddy's machine-learning models (issue 4, item 9) against scikit-learn and statsmodels,
computed in the same run.

Data: the bundled prices as the course's "classify up/down days" task (the label is whether
JPM's simple return is positive, the features the other 19 stocks' returns of the same day;
the last 20 % of the days held out, in order, as `train_test_split(&df, 0.2)`), the bundled
prices and log returns for the scalers and PCA, scikit-learn's iris data, and seeded
synthetic blobs (written as a price CSV the kernel reads with `read_prices`).

Tolerances, per check:
- logistic regression, unpenalised: coefficients within 1e-4 of scikit-learn's
  `LogisticRegression(C=np.inf)` and 1e-5 of statsmodels' Newton `Logit`, relative to the
  largest coefficient (scikit-learn's own lbfgs is ~2e-6 from Newton on this data),
  probabilities within 1e-6, the log-likelihood within 1e-9; penalised (C = 1) coefficients
  within 1e-4 of scikit-learn's.
  The positive class is checked with string labels whose positive class is the rarer one
  (linfa-logistic issue #393).
- Gaussian naive Bayes: identical predictions, probabilities within 1e-9.
- k-means: from the same initial centres, inertia within 1e-9 relative and identical labels
  on well-separated blobs; with each library's own seeding (best of 10), eddy's inertia at
  most 2 % above scikit-learn's on the returns.
- PCA: explained variance ratio within 1e-9, components and scores within 1e-9 up to sign
  (eddy uses scikit-learn's sign rule, so the signs also agree).
- scalers: fitted statistics and transformed values within 1e-12.
- decision tree and random forest: held-out accuracy within a stated margin of
  scikit-learn's, averaged over its seeds (the tree splits differ in tie-breaking and in the
  random feature order; the forest's random draws differ): 0.03 for a tree and 0.02 for a
  forest of 100 trees on the up/down days, 0.05 on iris (45 test rows).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from references import SP500, assert_all_close, assert_close, parse_values, versions, write_price_csv

STOCKS = [
    "AAPL", "AMD", "BAC", "BBY", "CVX", "GE", "HD", "JNJ", "JPM", "KO",
    "LLY", "MRK", "MSFT", "PEP", "PFE", "PG", "RRC", "UNH", "WMT", "XOM",
]
X = [s for s in STOCKS if s != "JPM"]

# The up/down days, as a cell builds them.
UPDOWN = (
    "let r = returns(&sp500()?, ReturnKind::Simple)?;\n"
    'let df = r.lazy().with_column(col("JPM").gt(lit(0.0)).alias("up"))\n'
    '    .with_column(when(col("JPM").gt(lit(0.0))).then(lit("up")).otherwise(lit("down")).alias("move"))\n'
    "    .collect()?;\n"
    f"let x = {json.dumps(X)};\n"
)


def vec(name: str, expr: str) -> str:
    """A cell line printing `name<TAB>[values]` from a Rust iterator of f64 (or bool/u32)."""
    return f'println!("{name}\\t{{:?}}", {expr}.map(|v| v as f64).collect::<Vec<f64>>());\n'


def col_f64(frame: str, column: str) -> str:
    return f'{frame}.column("{column}")?.f64()?.into_no_null_iter()'


def flat(frame: str, columns: list[str]) -> str:
    """All values of `columns` of a frame, row by row (nulls as NaN)."""
    cols = ", ".join(f'f.column("{c}")?.f64()?.clone()' for c in columns)
    return (
        f"{{ let f = {frame}; let cs = [{cols}]; (0..f.height()).flat_map(move |i| "
        "cs.iter().map(move |c| c.get(i).unwrap_or(f64::NAN)).collect::<Vec<_>>()) }"
    )


@pytest.fixture(scope="module")
def context() -> str:
    return versions()


def updown() -> pd.DataFrame:
    prices = pd.read_csv(SP500)
    r = prices[STOCKS].pct_change().iloc[1:].reset_index(drop=True)
    r["up"] = r["JPM"] > 0
    r["move"] = np.where(r["up"], "up", "down")
    return r


def chronological(df: pd.DataFrame, test_size: float = 0.2) -> tuple[pd.DataFrame, pd.DataFrame]:
    n_test = int(np.ceil(test_size * len(df)))
    return df.iloc[: len(df) - n_test], df.iloc[len(df) - n_test :]


@pytest.fixture(scope="module")
def blobs(tmp_path_factory) -> tuple[pd.DataFrame, str]:
    """Four well-separated blobs in three dimensions (n = 600) and a label per blob."""
    rng = np.random.default_rng(20261126)
    centers = np.array([[0.0, 0.0, 0.0], [6.0, 1.0, -2.0], [1.0, 7.0, 3.0], [-5.0, 4.0, 8.0]])
    parts = [c + rng.normal(0.0, [1.0, 1.5, 0.7], (150, 3)) for c in centers]
    df = pd.DataFrame(np.vstack(parts), columns=["a", "b", "c"])
    df["d"] = 0.5 * df["a"] - 0.2 * df["c"] + rng.normal(0.0, 0.3, len(df))
    df["cls"] = np.repeat(np.arange(4), 150).astype(float)
    df = df.sample(frac=1.0, random_state=1).reset_index(drop=True)
    path = write_price_csv(df, tmp_path_factory.mktemp("ml") / "blobs.csv")
    frame = f'read_prices({json.dumps(str(path))})?.lazy().with_column(col("cls").cast(DataType::Int64)).collect()?'
    return pd.read_csv(path), frame


@pytest.fixture(scope="module")
def iris(tmp_path_factory) -> tuple[pd.DataFrame, str]:
    from sklearn.datasets import load_iris

    data = load_iris(as_frame=True).frame
    data.columns = ["sepal_length", "sepal_width", "petal_length", "petal_width", "species"]
    data = data.sample(frac=1.0, random_state=0).reset_index(drop=True)
    data["species"] = data["species"].astype(float)
    path = write_price_csv(data, tmp_path_factory.mktemp("ml") / "iris.csv")
    frame = f'read_prices({json.dumps(str(path))})?.lazy().with_column(col("species").cast(DataType::Int64)).collect()?'
    return pd.read_csv(path), frame


# -- logistic regression


def test_logistic_matches_scikit_learn_and_statsmodels(kernel, context):
    import statsmodels.api as sm
    from sklearn.linear_model import LogisticRegression

    data = updown()
    cell = kernel.ok(
        UPDOWN
        + 'let fit = logistic(&df, "up", &x)?;\n'
        + vec("coef", "fit.coef().iter().copied()")
        + 'println!("intercept\\t{:?}", fit.intercept());\n'
        + 'println!("llf\\t{:?}", fit.llf());\n'
        + 'println!("score\\t{:?}", fit.score(&df)?);\n'
        + 'println!("converged\\t{:?}", f64::from(u8::from(fit.converged())));\n'
        + vec("proba", col_f64("fit.predict_proba(&df)?", "true"))
        + vec("predicted", 'fit.predict(&df)?.bool()?.iter().map(|b| u8::from(b == Some(true)))')
        + 'let pen = Logistic::params().c(1.0).fit(&df, "up", &x)?;\n'
        + vec("pen_coef", "pen.coef().iter().copied()")
        + 'println!("pen_intercept\\t{:?}", pen.intercept());\n'
    )
    got = parse_values(cell.stream())
    sk = LogisticRegression(C=np.inf, tol=1e-12, max_iter=100_000).fit(data[X], data["up"])
    newton = sm.Logit(data["up"].astype(float), sm.add_constant(data[X])).fit(
        method="newton", tol=1e-14, maxiter=100, disp=0
    )
    assert got["converged"] == 1.0
    # Tolerances relative to the largest coefficient (~80 here): the small ones (~0.1) carry
    # the solvers' absolute error.
    big = float(np.abs(newton.params).max())
    assert_all_close("coef vs scikit-learn", got["coef"], sk.coef_[0], 1e-4, 1e-4 * big, context)
    assert_close("intercept vs scikit-learn", got["intercept"], sk.intercept_[0], 1e-4, 1e-4 * big, context)
    assert_all_close("coef vs statsmodels", got["coef"], newton.params.iloc[1:], 1e-5, 1e-5 * big, context)
    assert_close("intercept vs statsmodels", got["intercept"], newton.params.iloc[0], 1e-5, 1e-5 * big, context)
    assert_close("llf", got["llf"], newton.llf, 1e-9, 0.0, context)
    assert_all_close("P(up)", got["proba"], newton.predict(), 0.0, 1e-6, context)
    predicted = np.array(got["predicted"]) == 1.0
    assert np.sum(predicted != sk.predict(data[X])) <= 2, "predictions differ beyond the boundary rows"
    assert abs(got["score"] - sk.score(data[X], data["up"])) <= 2 / len(data)
    pen = LogisticRegression(C=1.0, tol=1e-12, max_iter=100_000).fit(data[X], data["up"])
    small = float(np.abs(pen.coef_).max())
    assert_all_close("C=1 coef", got["pen_coef"], pen.coef_[0], 1e-4, 1e-4 * small, context)
    assert_close("C=1 intercept", got["pen_intercept"], pen.intercept_[0], 1e-4, 1e-4 * small, context)


def test_logistic_positive_class_is_explicit(kernel, context):
    """String labels: "up" sorts last (the positive class) but is the rarer one, the case
    linfa-logistic 0.8.1 gets backwards (issue #393)."""
    from sklearn.linear_model import LogisticRegression

    data = updown()
    assert (data["move"] == "up").mean() < 0.5, "the test needs 'up' to be the rarer class"
    cell = kernel.ok(
        UPDOWN
        + 'let up = logistic(&df, "move", &x)?;\n'
        + 'let down = Logistic::params().positive("down").fit(&df, "move", &x)?;\n'
        + 'println!("positive\\t{:?}", if up.positive_class() == "up" { 1.0 } else { 0.0 });\n'
        + vec("up_coef", "up.coef().iter().copied()")
        + vec("down_coef", "down.coef().iter().copied()")
        + vec("p_up", col_f64("up.predict_proba(&df)?", "up"))
        + vec("p_up_from_down", col_f64("down.predict_proba(&df)?", "up"))
    )
    got = parse_values(cell.stream())
    sk = LogisticRegression(C=np.inf, tol=1e-12, max_iter=100_000).fit(data[X], data["move"])
    assert list(sk.classes_) == ["down", "up"]
    assert got["positive"] == 1.0
    big = float(np.abs(sk.coef_).max())
    assert_all_close("coef of P(up)", got["up_coef"], sk.coef_[0], 1e-4, 1e-4 * big, context)
    assert_all_close("coef of P(down)", got["down_coef"], -sk.coef_[0], 1e-4, 1e-4 * big, context)
    expected = sk.predict_proba(data[X])[:, 1]
    assert_all_close("P(up)", got["p_up"], expected, 0.0, 1e-5, context)
    assert_all_close("P(up) from the model of down", got["p_up_from_down"], expected, 0.0, 1e-5, context)


# -- Gaussian naive Bayes


def test_gaussian_nb_matches_scikit_learn(kernel, context, blobs):
    from sklearn.naive_bayes import GaussianNB

    data = updown()
    points, frame = blobs
    cell = kernel.ok(
        UPDOWN
        + 'let nb = gaussian_nb(&df, "up", &x)?;\n'
        + vec("proba", col_f64("nb.predict_proba(&df)?", "true"))
        + vec("predicted", 'nb.predict(&df)?.bool()?.iter().map(|b| u8::from(b == Some(true)))')
        + 'println!("epsilon\\t{:?}", nb.epsilon());\n'
        + f"let blobs = {frame};\n"
        + 'let nb4 = gaussian_nb(&blobs, "cls", &["a", "b", "c", "d"])?;\n'
        + 'let p4 = nb4.predict_proba(&blobs)?;\n'
        + vec("proba4", flat("p4", ["0", "1", "2", "3"]))
        + vec("predicted4", 'nb4.predict(&blobs)?.i64()?.into_no_null_iter()')
        + vec("theta4", flat("nb4.theta()?", ["a", "b", "c", "d"]))
        + vec("var4", flat("nb4.var()?", ["a", "b", "c", "d"]))
    )
    got = parse_values(cell.stream())
    sk = GaussianNB().fit(data[X], data["up"])
    assert_all_close("P(up)", got["proba"], sk.predict_proba(data[X])[:, 1], 0.0, 1e-9, context)
    assert got["predicted"] == list(sk.predict(data[X]).astype(float)), "predictions differ"
    assert_close("epsilon_", got["epsilon"], sk.epsilon_, 1e-9, 0.0, context)
    features = ["a", "b", "c", "d"]
    sk4 = GaussianNB().fit(points[features], points["cls"].astype(int))
    assert_all_close("4 classes: proba", got["proba4"], sk4.predict_proba(points[features]).ravel(), 0.0, 1e-9, context)
    assert got["predicted4"] == list(sk4.predict(points[features]).astype(float))
    assert_all_close("theta_", got["theta4"], sk4.theta_.ravel(), 1e-9, 1e-12, context)
    assert_all_close("var_", got["var4"], sk4.var_.ravel(), 1e-9, 0.0, context)


# -- k-means


def test_kmeans_from_the_same_centres_matches_scikit_learn(kernel, context, blobs):
    from sklearn.cluster import KMeans

    points, frame = blobs
    features = ["a", "b", "c"]
    cell = kernel.ok(
        f"let df = {frame};\n"
        + 'let km = KMeans::params(4).seed(7).tol(1e-12).max_iter(1000).fit(&df, &["a", "b", "c"])?;\n'
        + vec("init", flat("km.init_centers()?", features))
        + vec("centers", flat("km.cluster_centers()?", features))
        + vec("labels", "km.labels().u32()?.into_no_null_iter()")
        + 'println!("inertia\\t{:?}", km.inertia());\n'
    )
    got = parse_values(cell.stream())
    init = np.array(got["init"]).reshape(4, 3)
    sk = KMeans(4, init=init, n_init=1, tol=1e-12, max_iter=1000).fit(points[features])
    assert_close("inertia", got["inertia"], sk.inertia_, 1e-9, 0.0, context)
    assert got["labels"] == list(sk.labels_.astype(float)), "labels differ"
    assert_all_close("centres", got["centers"], sk.cluster_centers_.ravel(), 0.0, 1e-9, context)
    # Four blobs, four clusters: each blob is mostly one cluster, a different one each.
    table = pd.crosstab(points["cls"], np.array(got["labels"]))
    assert len(set(table.idxmax(axis=1))) == 4 and (table.max(axis=1) >= 0.95 * 150).all(), f"\n{table}"


def test_kmeans_seeded_inertia_is_close_to_scikit_learn(kernel, context):
    from sklearn.cluster import KMeans

    r = updown()
    cell = kernel.ok(
        "let r = returns(&sp500()?, ReturnKind::Simple)?;\n"
        + f"let km = kmeans(&r, &{json.dumps(STOCKS)}, 3, 0)?;\n"
        + 'println!("inertia\\t{:?}", km.inertia());\n'
        + 'let again = kmeans(&r, &["AAPL", "KO"], 3, 0)?;\n'
        + 'println!("same_seed\\t{:?}", f64::from(u8::from(again.labels().equals(&kmeans(&r, &["AAPL", "KO"], 3, 0)?.labels()))));\n'
    )
    got = parse_values(cell.stream())
    sk = KMeans(3, n_init=10, random_state=0).fit(r[STOCKS])
    assert got["inertia"] <= 1.02 * sk.inertia_, (
        f"eddy's k-means inertia {got['inertia']} is more than 2 % above scikit-learn's {sk.inertia_} ({context})"
    )
    assert got["same_seed"] == 1.0, "the same seed should give the same clusters"


# -- PCA


def test_pca_matches_scikit_learn(kernel, context, blobs):
    from sklearn.decomposition import PCA

    prices = pd.read_csv(SP500)
    log_returns = np.log(prices[STOCKS]).diff().iloc[1:]
    points, frame = blobs
    cell = kernel.ok(
        "let r = returns(&sp500()?, ReturnKind::Log)?;\n"
        + f"let fit = pca(&r, &{json.dumps(STOCKS)}, 5)?;\n"
        + vec("ratio", "fit.explained_variance_ratio().iter().copied()")
        + vec("variance", "fit.explained_variance().iter().copied()")
        + vec("singular", "fit.singular_values().iter().copied()")
        + vec("components", flat("fit.components()?", STOCKS))
        + vec("scores", flat("fit.transformed()", ["PC1", "PC2", "PC3", "PC4", "PC5"]))
        + f"let blobs = {frame};\n"
        + 'let small = pca(&blobs, &["a", "b", "c", "d"], 2)?;\n'
        + vec("blob_ratio", "small.explained_variance_ratio().iter().copied()")
        + vec("blob_components", flat("small.components()?", ["a", "b", "c", "d"]))
        + 'println!("noise\\t{:?}", small.noise_variance());\n'
    )
    got = parse_values(cell.stream())
    sk = PCA(5, svd_solver="full").fit(log_returns)
    assert_all_close("explained_variance_ratio_", got["ratio"], sk.explained_variance_ratio_, 1e-9, 1e-12, context)
    assert_all_close("explained_variance_", got["variance"], sk.explained_variance_, 1e-9, 0.0, context)
    assert_all_close("singular_values_", got["singular"], sk.singular_values_, 1e-9, 0.0, context)
    components = np.array(got["components"]).reshape(5, len(STOCKS))
    signs = np.sign(np.sum(components * sk.components_, axis=1))
    assert_all_close("components_ (up to sign)", (components * signs[:, None]).ravel(), sk.components_.ravel(), 0.0, 1e-9, context)
    assert list(signs) == [1.0] * 5, f"component signs differ from scikit-learn's rule: {signs}"
    scores = np.array(got["scores"]).reshape(-1, 5)
    expected = sk.transform(log_returns)
    scale = float(np.abs(expected).max())
    assert_all_close("transformed (up to sign)", (scores * signs).ravel(), expected.ravel(), 0.0, 1e-9 * scale, context)
    features = ["a", "b", "c", "d"]
    small = PCA(2, svd_solver="full").fit(points[features])
    assert_all_close("blobs: ratio", got["blob_ratio"], small.explained_variance_ratio_, 1e-9, 1e-12, context)
    blob_components = np.array(got["blob_components"]).reshape(2, 4)
    s = np.sign(np.sum(blob_components * small.components_, axis=1))
    assert_all_close("blobs: components", (blob_components * s[:, None]).ravel(), small.components_.ravel(), 0.0, 1e-9, context)
    assert_close("noise_variance_", got["noise"], small.noise_variance_, 1e-9, 1e-12, context)


# -- scalers


def test_scalers_match_scikit_learn(kernel, context, tmp_path):
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    prices = pd.read_csv(SP500)
    columns = ["AAPL", "KO", "XOM"]
    rng = np.random.default_rng(7)
    holes = prices[columns].copy()
    for c, count in zip(columns, [10, 25, 40]):
        holes.loc[rng.choice(len(holes), count, replace=False), c] = np.nan
    path = write_price_csv(holes, tmp_path / "holes.csv")
    holes = pd.read_csv(path)
    cell = kernel.ok(
        "let df = sp500()?;\n"
        + f"let s = StandardScaler::fit(&df, &{json.dumps(STOCKS)})?;\n"
        + vec("mean", "s.mean().iter().copied()")
        + vec("var", "s.var().iter().copied()")
        + vec("scale", "s.scale().iter().copied()")
        + vec("z", flat("s.transform(&df)?", columns))
        + 'let m = MinMaxScaler::fit_range(&df, &["AAPL", "KO", "XOM"], (-1.0, 1.0))?;\n'
        + vec("mm", flat("m.transform(&df)?", columns))
        + vec("mm_scale", "m.scale().iter().copied()")
        + f"let holes = read_prices({json.dumps(str(path))})?;\n"
        + 'let h = StandardScaler::fit(&holes, &["AAPL", "KO", "XOM"])?;\n'
        + vec("seen", "h.n_samples_seen().iter().copied()")
        + vec("hz", flat("h.transform(&holes)?", columns))
        + vec("back", flat("h.inverse_transform(&h.transform(&holes)?)?", columns))
    )
    got = parse_values(cell.stream())
    sk = StandardScaler().fit(prices[STOCKS])
    assert_all_close("mean_", got["mean"], sk.mean_, 1e-12, 0.0, context)
    assert_all_close("var_", got["var"], sk.var_, 1e-12, 0.0, context)
    assert_all_close("scale_", got["scale"], sk.scale_, 1e-12, 0.0, context)
    z = StandardScaler().fit(prices[columns]).transform(prices[columns])
    assert_all_close("standardised", got["z"], z.ravel(), 1e-12, 1e-12, context)
    mm = MinMaxScaler(feature_range=(-1, 1)).fit(prices[columns])
    assert_all_close("min-max", got["mm"], mm.transform(prices[columns]).ravel(), 1e-12, 1e-12, context)
    assert_all_close("min-max scale_", got["mm_scale"], mm.scale_, 1e-12, 0.0, context)
    hs = StandardScaler().fit(holes[columns])
    seen = np.broadcast_to(hs.n_samples_seen_, len(columns))  # a scalar when all are equal
    assert_all_close("n_samples_seen_", got["seen"], seen, 0.0, 0.0, context)
    assert_all_close("with NaN", got["hz"], hs.transform(holes[columns]).ravel(), 1e-12, 1e-12, context)
    assert_all_close("round trip", got["back"], holes[columns].to_numpy().ravel(), 1e-12, 1e-12, context)


# -- trees


@pytest.mark.timeout(300)  # 100-tree forests in both libraries on a loaded 2-core machine
def test_tree_and_forest_accuracy_is_close_to_scikit_learn(kernel, context):
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.tree import DecisionTreeClassifier

    train, test = chronological(updown())
    cell = kernel.ok(
        UPDOWN
        + "let (train, test) = train_test_split(&df, 0.2)?;\n"
        + 'let tree = decision_tree(&train, "up", &x)?;\n'
        + 'println!("tree_train\\t{:?}", tree.score(&train)?);\n'
        + 'println!("tree_test\\t{:?}", tree.score(&test)?);\n'
        + 'let forest = random_forest(&train, "up", &x, 100, 0)?;\n'
        + 'println!("forest_test\\t{:?}", forest.score(&test)?);\n'
        + 'println!("forest_oob\\t{:?}", forest.oob_score().unwrap_or(f64::NAN));\n'
        + vec("importances", col_f64("forest.feature_importances()?", "importance")),
        timeout=300,
    )
    got = parse_values(cell.stream())
    trees = [DecisionTreeClassifier(random_state=s).fit(train[X], train["up"]) for s in range(5)]
    tree_test = float(np.mean([t.score(test[X], test["up"]) for t in trees]))
    forests = [
        RandomForestClassifier(100, random_state=s, oob_score=True, n_jobs=-1).fit(train[X], train["up"])
        for s in range(3)
    ]
    forest_test = float(np.mean([f.score(test[X], test["up"]) for f in forests]))
    forest_oob = float(np.mean([f.oob_score_ for f in forests]))
    assert got["tree_train"] == 1.0, "a full-depth tree fits its training rows"
    assert abs(got["tree_test"] - tree_test) <= 0.03, (
        f"tree: held-out accuracy {got['tree_test']:.4f} vs scikit-learn's {tree_test:.4f} ({context})"
    )
    assert abs(got["forest_test"] - forest_test) <= 0.02, (
        f"forest: held-out accuracy {got['forest_test']:.4f} vs scikit-learn's {forest_test:.4f} ({context})"
    )
    assert abs(got["forest_oob"] - forest_oob) <= 0.02, (
        f"forest: out-of-bag accuracy {got['forest_oob']:.4f} vs scikit-learn's {forest_oob:.4f} ({context})"
    )
    assert got["forest_test"] > got["tree_test"], "the forest should beat a single tree"
    # The same three features matter most (BAC, the other bank, leads), in both.
    sk_importances = np.mean([f.feature_importances_ for f in forests], axis=0)
    top = lambda v: set(np.argsort(v)[::-1][:3])  # noqa: E731
    assert top(got["importances"]) == top(sk_importances), (
        f"top features differ: eddy {got['importances']}, scikit-learn {list(sk_importances)}"
    )


def test_tree_and_forest_on_iris(kernel, context, iris):
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.tree import DecisionTreeClassifier

    data, frame = iris
    features = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    n_test = int(np.ceil(0.3 * len(data)))
    train, test = data.iloc[: len(data) - n_test], data.iloc[len(data) - n_test :]
    cell = kernel.ok(
        f"let df = {frame};\n"
        + "let (train, test) = train_test_split(&df, 0.3)?;\n"
        + f"let x = {json.dumps(features)};\n"
        + 'let tree = decision_tree(&train, "species", &x)?;\n'
        + 'println!("tree_train\\t{:?}", tree.score(&train)?);\n'
        + 'println!("tree_test\\t{:?}", tree.score(&test)?);\n'
        + 'let forest = random_forest(&train, "species", &x, 100, 1)?;\n'
        + 'println!("forest_test\\t{:?}", forest.score(&test)?);\n'
        + vec("proba", flat("forest.predict_proba(&test)?", ["0", "1", "2"]))
    )
    got = parse_values(cell.stream())
    y = data["species"].astype(int)
    ytrain, ytest = y.iloc[: len(data) - n_test], y.iloc[len(data) - n_test :]
    trees = [DecisionTreeClassifier(random_state=s).fit(train[features], ytrain) for s in range(5)]
    forests = [RandomForestClassifier(100, random_state=s).fit(train[features], ytrain) for s in range(3)]
    assert got["tree_train"] == 1.0
    tree_test = float(np.mean([t.score(test[features], ytest) for t in trees]))
    forest_test = float(np.mean([f.score(test[features], ytest) for f in forests]))
    assert abs(got["tree_test"] - tree_test) <= 0.05, f"tree: {got['tree_test']:.4f} vs {tree_test:.4f} ({context})"
    assert abs(got["forest_test"] - forest_test) <= 0.05, f"forest: {got['forest_test']:.4f} vs {forest_test:.4f}"
    proba = np.array(got["proba"]).reshape(-1, 3)
    assert np.allclose(proba.sum(axis=1), 1.0, atol=1e-12), "class probabilities sum to 1"


# -- bad input


def test_bad_input_is_a_clear_error(kernel):
    cell = kernel.ok(
        UPDOWN
        + 'println!("unknown: {}", logistic(&df, "up", &["APPL"]).unwrap_err());\n'
        + 'println!("label: {}", gaussian_nb(&df, "JPM", &["BAC"]).unwrap_err());\n'
        + 'let one = df.clone().lazy().filter(col("up")).collect()?;\n'
        + 'println!("one class: {}", decision_tree(&one, "up", &["BAC"]).unwrap_err());\n'
        + 'println!("empty: {}", kmeans(&df.slice(0, 0), &["BAC"], 2, 0).unwrap_err());\n'
        + 'let holes = df!("a" => [Some(1.0), None, Some(3.0)], "y" => [true, false, true])?;\n'
        + 'println!("nulls: {}", logistic(&holes, "y", &["a"]).unwrap_err());\n'
        + 'println!("text: {}", pca(&df, &["move"], 1).unwrap_err());\n'
    )
    out = cell.stream()
    for expected in [
        "unknown: logistic: column `APPL` not found; available columns: ",
        "AAPL",
        "label: gaussian_nb: column `JPM` has dtype f64",
        "one class: decision_tree: y should be a label column with at least two classes",
        "empty: kmeans: df should be a frame with at least one row",
        "nulls: logistic: column `a` has 1 null or non-finite value(s), the first at row 1",
        "fill_nulls",
        "text: pca: column `move` has dtype str",
    ]:
        assert expected in out, f"expected {expected!r} in:\n{out}"
