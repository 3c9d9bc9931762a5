//! Regularised least squares on standardised features: [`ridge`], [`lasso`], [`elastic_net`],
//! the penalty chosen by [`cross_validate`] (k-fold or forward-chaining time-series folds),
//! and a chronological [`train_test_split`].
//!
//! Penalties follow scikit-learn's conventions, so an `alpha` means the same in both:
//! ridge minimises ‖y − b − Zw‖² + α‖w‖² (`Ridge`), lasso and elastic net minimise
//! ‖y − b − Zw‖² / 2n + α·ρ‖w‖₁ + α(1 − ρ)/2 ‖w‖² (`Lasso`, `ElasticNet(l1_ratio=ρ)`), where Z
//! is X standardised as `StandardScaler` does (mean 0, population std 1; a constant column is
//! left at 0). The coefficients are reported on Z's scale and on X's.
//!
//! Why not linfa-elasticnet: it centres y but not X (issue #4's point), and it has no warm
//! starts along a penalty path, which cross-validation over many alphas needs. The solver here
//! is scikit-learn's coordinate descent in its Gram-matrix form ("precompute"): each update
//! costs O(p), not O(n), once ZᵀZ is known.

use nalgebra::{DMatrix, DVector};
use polars::prelude::*;

use super::ols::numeric_column;
use crate::display::{MimeBundle, Render, escape_html};
use crate::error::{Error, Result};

/// The penalty of a regularised fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Penalty {
    /// Squared L2 norm (scikit-learn's `Ridge`; closed form).
    Ridge,
    /// L1 norm (scikit-learn's `Lasso`; coordinate descent).
    Lasso,
    /// A mix, `l1_ratio` of L1 (scikit-learn's `ElasticNet`; coordinate descent).
    ElasticNet {
        /// The share of the L1 penalty, in [0, 1].
        l1_ratio: f64,
    },
}

impl std::fmt::Display for Penalty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Penalty::Ridge => write!(f, "Ridge"),
            Penalty::Lasso => write!(f, "Lasso"),
            Penalty::ElasticNet { l1_ratio } => write!(f, "ElasticNet(l1_ratio={l1_ratio})"),
        }
    }
}

/// A fitted ridge, lasso or elastic net model. Made by [`ridge`], [`lasso`], [`elastic_net`]
/// or [`cross_validate`]; shows as its coefficient table.
#[derive(Debug, Clone)]
pub struct Penalized {
    y: String,
    x: Vec<String>,
    penalty: Penalty,
    alpha: f64,
    scales: Vec<f64>,
    coef_std: Vec<f64>,
    intercept: f64,
    nobs: usize,
    dropped: usize,
    n_iter: usize,
    converged: bool,
}

/// Ridge regression of `y` on the standardised `x`, as scikit-learn's
/// `make_pipeline(StandardScaler(), Ridge(alpha))`.
///
/// # Errors
///
/// As [`ols()`](super::ols) for columns and rows; [`Error::InvalidParameter`] if `alpha < 0`,
/// or if `alpha == 0` and the regressors are collinear.
///
/// ```
/// use eddy::prelude::*;
///
/// let fit = ridge(&sp500()?, "JPM", &["BAC", "GE", "HD"], 10.0)?;
/// assert_eq!(fit.coef().len(), 3);
/// assert!(fit.score(&sp500()?)? > 0.5);
/// # Ok::<(), eddy::Error>(())
/// ```
pub fn ridge(df: &DataFrame, y: &str, x: &[&str], alpha: f64) -> Result<Penalized> {
    fit(df, y, x, Penalty::Ridge, alpha, "ridge")
}

/// Lasso regression of `y` on the standardised `x`, as scikit-learn's
/// `make_pipeline(StandardScaler(), Lasso(alpha))`.
///
/// # Errors
///
/// As [`ridge`]; `alpha` must be ≥ 0.
///
/// ```
/// use eddy::prelude::*;
///
/// let fit = lasso(&sp500()?, "JPM", &["BAC", "GE", "HD", "KO"], 1.0)?;
/// assert!(fit.coef().iter().any(|c| *c == 0.0));      // the L1 penalty zeroes some out
/// # Ok::<(), eddy::Error>(())
/// ```
pub fn lasso(df: &DataFrame, y: &str, x: &[&str], alpha: f64) -> Result<Penalized> {
    fit(df, y, x, Penalty::Lasso, alpha, "lasso")
}

/// Elastic net regression of `y` on the standardised `x`, as scikit-learn's
/// `make_pipeline(StandardScaler(), ElasticNet(alpha, l1_ratio))`.
///
/// # Errors
///
/// As [`ridge`]; `l1_ratio` must be in [0, 1].
pub fn elastic_net(
    df: &DataFrame,
    y: &str,
    x: &[&str],
    alpha: f64,
    l1_ratio: f64,
) -> Result<Penalized> {
    fit(
        df,
        y,
        x,
        Penalty::ElasticNet { l1_ratio },
        alpha,
        "elastic_net",
    )
}

fn fit(
    df: &DataFrame,
    y: &str,
    x: &[&str],
    penalty: Penalty,
    alpha: f64,
    op: &'static str,
) -> Result<Penalized> {
    check_penalty(penalty, alpha, op)?;
    let data = Design::from_frame(df, y, x, op)?;
    let rows: Vec<usize> = (0..data.y.len()).collect();
    let scaled = Scaled::new(&data, &rows);
    let (w, n_iter, converged) = scaled.solve(penalty, alpha, None, op)?;
    Ok(scaled.into_model(&data, penalty, alpha, w, n_iter, converged))
}

fn check_penalty(penalty: Penalty, alpha: f64, op: &'static str) -> Result<()> {
    if !(alpha >= 0.0 && alpha.is_finite()) {
        return Err(Error::InvalidParameter {
            operation: op,
            name: "alpha",
            value: alpha.to_string(),
            rule: "finite and ≥ 0",
        });
    }
    if let Penalty::ElasticNet { l1_ratio } = penalty {
        if !(0.0..=1.0).contains(&l1_ratio) {
            return Err(Error::InvalidParameter {
                operation: op,
                name: "l1_ratio",
                value: l1_ratio.to_string(),
                rule: "between 0 and 1",
            });
        }
    }
    Ok(())
}

/// The complete rows of y and x.
struct Design {
    y_name: String,
    x_names: Vec<String>,
    /// Columns of x, complete rows only.
    x: Vec<Vec<f64>>,
    y: Vec<f64>,
    dropped: usize,
}

impl Design {
    fn from_frame(df: &DataFrame, y: &str, x: &[&str], op: &'static str) -> Result<Design> {
        if x.is_empty() {
            return Err(Error::InvalidParameter {
                operation: op,
                name: "x",
                value: "an empty list".into(),
                rule: "at least one regressor column",
            });
        }
        let endog = numeric_column(df, y, op)?;
        let exog = x
            .iter()
            .map(|name| numeric_column(df, name, op))
            .collect::<Result<Vec<_>>>()?;
        let keep: Vec<usize> = (0..df.height())
            .filter(|&i| {
                std::iter::once(&endog)
                    .chain(&exog)
                    .all(|c| c[i].is_some_and(|v| !v.is_nan()))
            })
            .collect();
        if keep.len() < 2 {
            return Err(Error::InvalidParameter {
                operation: op,
                name: "df",
                value: format!("{} complete rows", keep.len()),
                rule: "at least 2 rows without nulls in y and x",
            });
        }
        let pick = |c: &Vec<Option<f64>>| {
            keep.iter()
                .map(|&i| c[i].unwrap_or(f64::NAN))
                .collect::<Vec<f64>>()
        };
        Ok(Design {
            y_name: y.to_string(),
            x_names: x.iter().map(|s| s.to_string()).collect(),
            x: exog.iter().map(pick).collect(),
            y: pick(&endog),
            dropped: df.height() - keep.len(),
        })
    }
}

/// Standardised rows of a design, as sufficient statistics for the solvers: ZᵀZ, Zᵀ(y − ȳ).
struct Scaled {
    means: Vec<f64>,
    scales: Vec<f64>,
    y_mean: f64,
    n: usize,
    gram: Vec<f64>,
    zty: Vec<f64>,
}

impl Scaled {
    fn new(data: &Design, rows: &[usize]) -> Scaled {
        let n = rows.len();
        let p = data.x.len();
        let mean = |c: &Vec<f64>| rows.iter().map(|&i| c[i]).sum::<f64>() / n as f64;
        let means: Vec<f64> = data.x.iter().map(mean).collect();
        let y_mean = mean(&data.y);
        let scales: Vec<f64> = data
            .x
            .iter()
            .zip(&means)
            .map(|(c, m)| {
                let var = rows.iter().map(|&i| (c[i] - m).powi(2)).sum::<f64>() / n as f64;
                // StandardScaler leaves a constant column unscaled (its std is 0).
                if var > 0.0 { var.sqrt() } else { 1.0 }
            })
            .collect();
        let z: Vec<Vec<f64>> = (0..p)
            .map(|j| {
                rows.iter()
                    .map(|&i| (data.x[j][i] - means[j]) / scales[j])
                    .collect()
            })
            .collect();
        let yc: Vec<f64> = rows.iter().map(|&i| data.y[i] - y_mean).collect();
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(u, v)| u * v).sum::<f64>();
        let mut gram = vec![0.0; p * p];
        for a in 0..p {
            for b in a..p {
                let g = dot(&z[a], &z[b]);
                gram[a * p + b] = g;
                gram[b * p + a] = g;
            }
        }
        let zty = z.iter().map(|c| dot(c, &yc)).collect();
        Scaled {
            means,
            scales,
            y_mean,
            n,
            gram,
            zty,
        }
    }

    /// The coefficients on the standardised scale, the number of sweeps and whether the
    /// coordinate descent converged.
    fn solve(
        &self,
        penalty: Penalty,
        alpha: f64,
        warm: Option<&[f64]>,
        op: &'static str,
    ) -> Result<(Vec<f64>, usize, bool)> {
        let p = self.zty.len();
        let rho = match penalty {
            Penalty::Ridge => {
                let a = DMatrix::from_fn(p, p, |i, j| {
                    self.gram[i * p + j] + if i == j { alpha } else { 0.0 }
                });
                let chol = a.cholesky().ok_or_else(|| Error::InvalidParameter {
                    operation: op,
                    name: "alpha",
                    value: alpha.to_string(),
                    rule: "positive when the regressors are collinear (ZᵀZ + αI must be invertible)",
                })?;
                let w = chol.solve(&DVector::from_column_slice(&self.zty));
                return Ok((w.iter().copied().collect(), 0, true));
            }
            Penalty::Lasso => 1.0,
            Penalty::ElasticNet { l1_ratio } => l1_ratio,
        };
        let n = self.n as f64;
        let (l1, l2) = (alpha * rho * n, alpha * (1.0 - rho) * n);
        let mut w = warm.map_or_else(|| vec![0.0; p], <[f64]>::to_vec);
        // gw = ZᵀZ w, kept up to date as coordinates change.
        let mut gw: Vec<f64> = (0..p)
            .map(|i| (0..p).map(|j| self.gram[i * p + j] * w[j]).sum())
            .collect();
        for sweep in 1..=MAX_SWEEPS {
            let (mut max_dw, mut max_w) = (0.0_f64, 0.0_f64);
            for j in 0..p {
                let gjj = self.gram[j * p + j];
                if gjj == 0.0 {
                    continue;
                }
                let old = w[j];
                let q = self.zty[j] - gw[j] + gjj * old;
                let new = soft_threshold(q, l1) / (gjj + l2);
                if new != old {
                    let d = new - old;
                    for (i, g) in gw.iter_mut().enumerate() {
                        *g += self.gram[i * p + j] * d;
                    }
                    w[j] = new;
                }
                max_dw = max_dw.max((new - old).abs());
                max_w = max_w.max(new.abs());
            }
            if max_w == 0.0 || max_dw <= TOLERANCE * max_w {
                return Ok((w, sweep, true));
            }
        }
        Ok((w, MAX_SWEEPS, false))
    }

    fn into_model(
        self,
        data: &Design,
        penalty: Penalty,
        alpha: f64,
        coef_std: Vec<f64>,
        n_iter: usize,
        converged: bool,
    ) -> Penalized {
        let intercept = self.y_mean
            - coef_std
                .iter()
                .zip(&self.means)
                .zip(&self.scales)
                .map(|((w, m), s)| w / s * m)
                .sum::<f64>();
        Penalized {
            y: data.y_name.clone(),
            x: data.x_names.clone(),
            penalty,
            alpha,
            scales: self.scales,
            coef_std,
            intercept,
            nobs: self.n,
            dropped: data.dropped,
            n_iter,
            converged,
        }
    }

    /// Predictions for rows of the design, with this scaler and the standardised coefficients.
    fn predict_rows(&self, data: &Design, rows: &[usize], w: &[f64]) -> Vec<f64> {
        rows.iter()
            .map(|&i| {
                self.y_mean
                    + (0..w.len())
                        .map(|j| w[j] * (data.x[j][i] - self.means[j]) / self.scales[j])
                        .sum::<f64>()
            })
            .collect()
    }
}

/// Coordinate descent stops when no coefficient moved by more than this, relative to the
/// largest (scikit-learn stops on a duality gap of `tol = 1e-4`, far looser by default).
const TOLERANCE: f64 = 1e-12;
const MAX_SWEEPS: usize = 1_000_000;

fn soft_threshold(x: f64, t: f64) -> f64 {
    if x > t {
        x - t
    } else if x < -t {
        x + t
    } else {
        0.0
    }
}

impl Penalized {
    /// The penalty and its strength.
    pub fn penalty(&self) -> (Penalty, f64) {
        (self.penalty, self.alpha)
    }

    /// The intercept on the original scale of `x`.
    pub fn intercept(&self) -> f64 {
        self.intercept
    }

    /// The coefficients on the original scale of `x` (per unit of each regressor).
    pub fn coef(&self) -> Vec<f64> {
        self.coef_std
            .iter()
            .zip(&self.scales)
            .map(|(w, s)| w / s)
            .collect()
    }

    /// The coefficients on the standardised scale (per standard deviation of each regressor),
    /// as scikit-learn's `pipeline[-1].coef_`.
    pub fn coef_standardized(&self) -> &[f64] {
        &self.coef_std
    }

    /// The regressors' names.
    pub fn exog_names(&self) -> &[String] {
        &self.x
    }

    /// The number of rows fitted on, and the number dropped for nulls.
    pub fn nobs(&self) -> (usize, usize) {
        (self.nobs, self.dropped)
    }

    /// Whether coordinate descent converged (always true for ridge), and its sweeps.
    pub fn converged(&self) -> (bool, usize) {
        (self.converged, self.n_iter)
    }

    /// `term`, `coef` (original scale) and `coef_std` (standardised), with the intercept first.
    ///
    /// # Errors
    ///
    /// [`Error::Polars`] only if the frame cannot be built.
    pub fn coef_table(&self) -> Result<DataFrame> {
        let mut terms = vec!["const".to_string()];
        terms.extend(self.x.iter().cloned());
        let mut coef = vec![self.intercept];
        coef.extend(self.coef());
        let mut std = vec![f64::NAN];
        std.extend(self.coef_std.iter().copied());
        Ok(DataFrame::new(
            terms.len(),
            vec![
                Column::new("term".into(), terms),
                Column::new("coef".into(), coef),
                Column::new("coef_std".into(), std),
            ],
        )?)
    }

    /// Predictions for every row of `df` (null where a regressor is null), named `predicted`.
    ///
    /// # Errors
    ///
    /// [`Error::ColumnNotFound`] or [`Error::InvalidDtype`] for a regressor.
    pub fn predict(&self, df: &DataFrame) -> Result<Series> {
        let columns = self
            .x
            .iter()
            .map(|name| numeric_column(df, name, "Penalized::predict"))
            .collect::<Result<Vec<_>>>()?;
        let coef = self.coef();
        let values: Vec<Option<f64>> = (0..df.height())
            .map(|i| {
                columns
                    .iter()
                    .zip(&coef)
                    .try_fold(self.intercept, |acc, (c, b)| {
                        c[i].filter(|v| !v.is_nan()).map(|v| acc + b * v)
                    })
            })
            .collect();
        Ok(Series::new("predicted".into(), values))
    }

    /// R² of the predictions on `df` (rows with a null in `y` or a regressor skipped), as
    /// scikit-learn's `score`.
    ///
    /// # Errors
    ///
    /// As [`predict`](Penalized::predict), and for `y`; [`Error::InvalidParameter`] if fewer
    /// than 2 complete rows.
    pub fn score(&self, df: &DataFrame) -> Result<f64> {
        let predicted = self.predict(df)?;
        let y = numeric_column(df, &self.y, "Penalized::score")?;
        let pairs: Vec<(f64, f64)> = y
            .iter()
            .zip(predicted.f64()?.iter())
            .filter_map(|(a, b)| Some((a.filter(|v| !v.is_nan())?, b?)))
            .collect();
        if pairs.len() < 2 {
            return Err(Error::InvalidParameter {
                operation: "Penalized::score",
                name: "df",
                value: format!("{} complete rows", pairs.len()),
                rule: "at least 2",
            });
        }
        let mean = pairs.iter().map(|p| p.0).sum::<f64>() / pairs.len() as f64;
        let ssr: f64 = pairs.iter().map(|(a, b)| (a - b).powi(2)).sum();
        let tss: f64 = pairs.iter().map(|(a, _)| (a - mean).powi(2)).sum();
        Ok(1.0 - ssr / tss)
    }
}

impl Render for Penalized {
    fn mime_bundle(&self) -> MimeBundle {
        let head = format!(
            "{} of {} on {} regressors, alpha = {}: {} rows{}{}",
            self.penalty,
            self.y,
            self.x.len(),
            self.alpha,
            self.nobs,
            if self.dropped > 0 {
                format!(" ({} with nulls dropped)", self.dropped)
            } else {
                String::new()
            },
            if self.converged {
                String::new()
            } else {
                format!("; NOT converged after {} sweeps", self.n_iter)
            },
        );
        match self.coef_table() {
            Ok(table) => {
                let inner = table.mime_bundle();
                let html = format!(
                    "<p>{}</p>{}",
                    escape_html(&head),
                    inner.get("text/html").unwrap_or_default()
                );
                MimeBundle::new(format!("{head}\n{}", inner.text())).with("text/html", html)
            }
            Err(_) => MimeBundle::new(head),
        }
    }
}

/// How [`cross_validate`] splits the rows, in their order (no shuffling).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Folds {
    /// scikit-learn's `KFold(k)`: k contiguous test blocks, training on the rest.
    KFold(usize),
    /// scikit-learn's `TimeSeriesSplit(k)`: forward chaining, each test block after all of
    /// its training rows, so the future never predicts the past.
    TimeSeries(usize),
}

impl Folds {
    /// (train rows, test rows) of each split of `n` rows.
    fn splits(self, n: usize) -> Result<Vec<(Vec<usize>, Vec<usize>)>> {
        let bad = |k: usize, rule| Error::InvalidParameter {
            operation: "cross_validate",
            name: "folds",
            value: format!("{self:?} for {n} rows"),
            rule: if k < 2 { "at least 2 folds" } else { rule },
        };
        match self {
            Folds::KFold(k) => {
                if k < 2 || k > n {
                    return Err(bad(k, "at most one fold per row"));
                }
                let mut start = 0;
                Ok((0..k)
                    .map(|f| {
                        let size = n / k + usize::from(f < n % k);
                        let test: Vec<usize> = (start..start + size).collect();
                        let train = (0..start).chain(start + size..n).collect();
                        start += size;
                        (train, test)
                    })
                    .collect())
            }
            Folds::TimeSeries(k) => {
                let size = n / (k + 1);
                if k < 2 || size == 0 {
                    return Err(bad(
                        k,
                        "fewer folds than rows (each test block needs a row)",
                    ));
                }
                Ok((0..k)
                    .map(|f| {
                        let start = n - k * size + f * size;
                        ((0..start).collect(), (start..start + size).collect())
                    })
                    .collect())
            }
        }
    }
}

/// The cross-validation curve of a penalty over `alphas`, and the model refitted on all rows
/// with the best one. Made by [`cross_validate`]; shows as the curve's chart and the model.
#[derive(Debug, Clone)]
pub struct CvPath {
    curve: DataFrame,
    best_alpha: f64,
    best: Penalized,
}

impl CvPath {
    /// One row per alpha (in the order given): `alpha`, `mse_mean`, `mse_std` (over the folds,
    /// population std as scikit-learn's `std_test_score`), then `mse_fold0`, `mse_fold1`…
    pub fn curve(&self) -> &DataFrame {
        &self.curve
    }

    /// The alpha with the lowest mean test MSE (the first of ties, as `GridSearchCV`).
    pub fn best_alpha(&self) -> f64 {
        self.best_alpha
    }

    /// The model refitted on every row with [`best_alpha`](CvPath::best_alpha).
    pub fn best(&self) -> &Penalized {
        &self.best
    }
}

impl Render for CvPath {
    fn mime_bundle(&self) -> MimeBundle {
        let model = self.best.mime_bundle();
        let chart = self
            .curve
            .clone()
            .lazy()
            .with_column(col("alpha").log(lit(10.0)).alias("log10(alpha)"))
            .collect()
            .map_err(Error::from)
            .and_then(|df| crate::plot::line(&df, "log10(alpha)", &["mse_mean"]))
            .map(|c| {
                c.title(&format!(
                    "Cross-validated MSE, best alpha = {}",
                    self.best_alpha
                ))
                .ylabel("mean test MSE")
            });
        match chart {
            Ok(chart) => {
                let svg = chart.mime_bundle();
                let html = format!(
                    "{}{}",
                    svg.get("image/svg+xml").unwrap_or_default(),
                    model.get("text/html").unwrap_or_default()
                );
                MimeBundle::new(format!(
                    "best alpha = {}\n{}",
                    self.best_alpha,
                    model.text()
                ))
                .with("text/html", html)
            }
            Err(_) => model,
        }
    }
}

/// Chooses `alpha` for `penalty` by cross-validation: for each split of `folds`, the scaler and
/// the model are fitted on the training rows (as a scikit-learn `Pipeline` in `GridSearchCV`),
/// and the mean squared error is measured on the test rows; the best alpha (lowest mean MSE) is
/// refitted on every row. Along the path each fit starts from the previous one's coefficients.
///
/// # Errors
///
/// As [`ridge`] for the data; [`Error::InvalidParameter`] if `alphas` is empty or holds a
/// negative value, or if `folds` does not fit the number of rows.
///
/// ```
/// use eddy::prelude::*;
///
/// let df = sp500()?;
/// let cv = cross_validate(&df, "JPM", &["BAC", "GE", "HD"], Penalty::Lasso,
///                         &logspace(-3.0, 1.0, 9), Folds::TimeSeries(5))?;
/// assert_eq!(cv.curve().height(), 9);
/// assert!(cv.best().score(&df)? > 0.5);
/// # Ok::<(), eddy::Error>(())
/// ```
pub fn cross_validate(
    df: &DataFrame,
    y: &str,
    x: &[&str],
    penalty: Penalty,
    alphas: &[f64],
    folds: Folds,
) -> Result<CvPath> {
    const OP: &str = "cross_validate";
    if alphas.is_empty() {
        return Err(Error::InvalidParameter {
            operation: OP,
            name: "alphas",
            value: "an empty list".into(),
            rule: "at least one value (see `logspace`)",
        });
    }
    for &a in alphas {
        check_penalty(penalty, a, OP)?;
    }
    let data = Design::from_frame(df, y, x, OP)?;
    let splits = folds.splits(data.y.len())?;
    // Largest alpha first: the sparsest solution, the best warm start for the next.
    let mut order: Vec<usize> = (0..alphas.len()).collect();
    order.sort_by(|&a, &b| alphas[b].total_cmp(&alphas[a]));
    let mut mse = vec![vec![f64::NAN; splits.len()]; alphas.len()];
    for (f, (train, test)) in splits.iter().enumerate() {
        crate::interrupt::check()?;
        let scaled = Scaled::new(&data, train);
        let mut warm: Option<Vec<f64>> = None;
        for &a in &order {
            let (w, _, _) = scaled.solve(penalty, alphas[a], warm.as_deref(), OP)?;
            let predicted = scaled.predict_rows(&data, test, &w);
            mse[a][f] = test
                .iter()
                .zip(&predicted)
                .map(|(&i, p)| (data.y[i] - p).powi(2))
                .sum::<f64>()
                / test.len() as f64;
            warm = Some(w);
        }
    }
    let means: Vec<f64> = mse
        .iter()
        .map(|m| m.iter().sum::<f64>() / m.len() as f64)
        .collect();
    let stds: Vec<f64> = mse
        .iter()
        .zip(&means)
        .map(|(m, mean)| {
            (m.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / m.len() as f64).sqrt()
        })
        .collect();
    let best = (0..alphas.len()).fold(0, |b, i| if means[i] < means[b] { i } else { b });
    let mut columns = vec![
        Column::new("alpha".into(), alphas.to_vec()),
        Column::new("mse_mean".into(), means),
        Column::new("mse_std".into(), stds),
    ];
    for f in 0..splits.len() {
        columns.push(Column::new(
            format!("mse_fold{f}").into(),
            mse.iter().map(|m| m[f]).collect::<Vec<f64>>(),
        ));
    }
    let curve = DataFrame::new(alphas.len(), columns)?;
    let all: Vec<usize> = (0..data.y.len()).collect();
    let scaled = Scaled::new(&data, &all);
    let (w, n_iter, converged) = scaled.solve(penalty, alphas[best], None, OP)?;
    let model = scaled.into_model(&data, penalty, alphas[best], w, n_iter, converged);
    Ok(CvPath {
        curve,
        best_alpha: alphas[best],
        best: model,
    })
}

/// `num` values evenly spaced on a log scale from 10^`start` to 10^`stop`, as numpy's
/// `logspace`: the usual grid of penalties.
///
/// ```
/// assert_eq!(eddy::model::logspace(-1.0, 1.0, 3), [0.1, 1.0, 10.0]);
/// ```
pub fn logspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    match num {
        0 => vec![],
        1 => vec![10f64.powf(start)],
        _ => (0..num)
            .map(|i| 10f64.powf(start + (stop - start) * i as f64 / (num - 1) as f64))
            .collect(),
    }
}

/// Splits `df` into its first rows (train) and its last `test_size` share (test), in order:
/// for time series the model is evaluated on a later period than it was fitted on, as
/// scikit-learn's `train_test_split(df, test_size=…, shuffle=False)` (the test part has
/// ⌈test_size · n⌉ rows).
///
/// # Errors
///
/// [`Error::InvalidParameter`] unless `0 < test_size < 1` and both parts get a row.
///
/// ```
/// use eddy::prelude::*;
///
/// let (train, test) = train_test_split(&sp500()?, 0.2)?;
/// assert_eq!((train.height(), test.height()), (6650, 1663));
/// # Ok::<(), eddy::Error>(())
/// ```
pub fn train_test_split(df: &DataFrame, test_size: f64) -> Result<(DataFrame, DataFrame)> {
    let n = df.height();
    let n_test = (test_size * n as f64).ceil() as usize;
    if !(test_size > 0.0 && test_size < 1.0) || n_test == 0 || n_test >= n {
        return Err(Error::InvalidParameter {
            operation: "train_test_split",
            name: "test_size",
            value: format!("{test_size} of {n} rows"),
            rule: "in (0, 1), leaving at least one row in each part",
        });
    }
    let n_train = n - n_test;
    Ok((df.slice(0, n_train), df.slice(n_train as i64, n_test)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> DataFrame {
        let n = 200;
        let a: Vec<f64> = (0..n)
            .map(|i| (i as f64 * 0.3).sin() * 3.0 + 10.0)
            .collect();
        let b: Vec<f64> = (0..n)
            .map(|i| (i as f64 * 0.11).cos() + a[i] * 0.5)
            .collect();
        let c: Vec<f64> = (0..n).map(|i| ((i * 37) % 11) as f64).collect();
        let y: Vec<f64> = (0..n)
            .map(|i| 2.0 + 1.5 * a[i] - 0.7 * b[i] + ((i * 13) % 7) as f64 * 0.2)
            .collect();
        df!("y" => y, "a" => a, "b" => b, "c" => c, "k" => vec![4.0; n]).unwrap()
    }

    #[test]
    fn zero_penalty_is_least_squares() {
        let df = data();
        let o = crate::model::ols(&df, "y", &["a", "b", "c"]).unwrap();
        for fit in [
            ridge(&df, "y", &["a", "b", "c"], 0.0).unwrap(),
            lasso(&df, "y", &["a", "b", "c"], 0.0).unwrap(),
        ] {
            assert!(
                (fit.intercept() - o.params()[0]).abs() < 1e-8,
                "{}",
                fit.intercept()
            );
            for (a, b) in fit.coef().iter().zip(&o.params()[1..]) {
                assert!((a - b).abs() < 1e-8, "{a} vs {b}");
            }
        }
    }

    #[test]
    fn lasso_solution_satisfies_the_kkt_conditions() {
        let df = data();
        let fit = elastic_net(&df, "y", &["a", "b", "c", "k"], 0.05, 0.7).unwrap();
        assert!(fit.converged().0);
        assert_eq!(
            fit.coef_standardized()[3],
            0.0,
            "a constant column gets no weight"
        );
        // Subgradient optimality on the standardised scale.
        let design = Design::from_frame(&df, "y", &["a", "b", "c", "k"], "t").unwrap();
        let rows: Vec<usize> = (0..200).collect();
        let s = Scaled::new(&design, &rows);
        let w = fit.coef_standardized();
        let n = 200.0;
        for j in 0..3 {
            let grad = (s.zty[j] - (0..4).map(|k| s.gram[j * 4 + k] * w[k]).sum::<f64>()) / n
                - 0.05 * 0.3 * w[j];
            if w[j] != 0.0 {
                assert!(
                    (grad - 0.05 * 0.7 * w[j].signum()).abs() < 1e-9,
                    "{j}: {grad}"
                );
            } else {
                assert!(grad.abs() <= 0.05 * 0.7 + 1e-9);
            }
        }
    }

    #[test]
    fn folds_match_scikit_learn() {
        let k = Folds::KFold(3).splits(10).unwrap();
        assert_eq!(
            k.iter().map(|(_, t)| t.clone()).collect::<Vec<_>>(),
            [vec![0, 1, 2, 3], vec![4, 5, 6], vec![7, 8, 9]]
        );
        let t = Folds::TimeSeries(3).splits(10).unwrap();
        // TimeSeriesSplit(3) on 10 rows: test size 2, tests [4,5], [6,7], [8,9].
        assert_eq!(
            t.iter()
                .map(|(tr, te)| (tr.len(), te.clone()))
                .collect::<Vec<_>>(),
            [(4, vec![4, 5]), (6, vec![6, 7]), (8, vec![8, 9])]
        );
        assert!(Folds::KFold(1).splits(10).is_err());
        assert!(Folds::TimeSeries(10).splits(10).is_err());
    }

    #[test]
    fn bad_inputs_are_errors() {
        let df = data();
        assert!(ridge(&df, "y", &["a"], -1.0).is_err());
        assert!(elastic_net(&df, "y", &["a"], 1.0, 1.5).is_err());
        assert!(
            lasso(&df, "y", &["nope"], 1.0)
                .unwrap_err()
                .to_string()
                .contains("available columns")
        );
        assert!(cross_validate(&df, "y", &["a"], Penalty::Ridge, &[], Folds::KFold(5)).is_err());
        assert!(train_test_split(&df, 1.0).is_err());
        let collinear = df!("y" => [1.0, 2.0, 3.0, 5.0], "a" => [1.0, 2.0, 3.0, 4.0], "b" => [2.0, 4.0, 6.0, 8.0]).unwrap();
        assert!(ridge(&collinear, "y", &["a", "b"], 0.0).is_err());
        assert!(ridge(&collinear, "y", &["a", "b"], 1.0).is_ok());
    }
}
