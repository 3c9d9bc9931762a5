//! Binary logistic regression, [`logistic`], fitted by linfa-logistic (L-BFGS) and reported
//! as scikit-learn's `LogisticRegression` / Spark MLlib's `LogisticRegression` do.
//!
//! The objective is scikit-learn's: the log-loss summed over the rows plus ‖w‖² / 2C (the
//! intercept is not penalised); `C = ∞` (the default here, as statsmodels' `Logit` and
//! MLlib's `regParam = 0`) is the unpenalised maximum-likelihood fit. linfa's `alpha` is 1/C.
//!
//! **The positive class is explicit.** linfa-logistic 0.8.1 does not order the two classes
//! as its documentation says: its "positive" class is the more frequent one in the training
//! data (linfa issue #393, fixed upstream after 0.8.1 by PR #432). Here the positive class is
//! the larger label in sort order (`true`, `1`, the later string), as scikit-learn's
//! `classes_[1]`, or the one named with [`LogisticParams::positive`]; the coefficients
//! returned by linfa are flipped when linfa picked the other class, so the results do not
//! depend on which class is more frequent, nor on the linfa version.
//!
//! **Conditioning.** Before calling linfa, the regressors are centred (which only moves the
//! intercept) and, for the unpenalised fit, divided by their standard deviation (which only
//! rescales the coefficients; a penalised fit is not scale-invariant and is left unscaled).
//! Coefficients are reported on the original scale. The gradient of the objective at the
//! solution is checked after the fit, and a fit that did not reach the tolerance (perfectly
//! separated classes, too few iterations) says so in [`Logistic::converged`] and its summary.

use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2, Axis};
use polars::prelude::*;

use super::classify::Classes;
use super::matrix::{borrowed, check_names, features, owned};
use super::report;
use crate::display::{MimeBundle, Render};
use crate::error::{Error, Result};

/// The settings of a logistic regression, made by [`Logistic::params`]; [`fit`](Self::fit)
/// runs it.
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticParams {
    c: f64,
    positive: Option<String>,
    max_iter: u64,
    tol: f64,
}

/// A fitted binary logistic regression. Made by [`logistic`] or [`Logistic::params`]; shows
/// as its summary and coefficient table.
#[derive(Debug, Clone)]
pub struct Logistic {
    y: String,
    x: Vec<String>,
    classes: Classes,
    positive: usize,
    c: f64,
    intercept: f64,
    coef: Vec<f64>,
    nobs: usize,
    counts: Vec<usize>,
    gradient: f64,
    tol: f64,
    llf: f64,
    llnull: f64,
    accuracy: f64,
    separated: bool,
}

/// Unpenalised logistic regression of the two-class label column `y` on the columns `x`
/// (with an intercept): the probability of the positive class (the larger label: `true`,
/// `1`, or the later string) is `1 / (1 + exp(−(b + x·w)))`.
///
/// As `LogisticRegression(C=np.inf).fit(X, y)` in scikit-learn, `Logit(y, add_constant(X))`
/// in statsmodels. See [`Logistic::params`] for a penalty, another positive class, and the
/// solver's limits.
///
/// # Errors
///
/// [`Error::ColumnNotFound`] for an unknown column; [`Error::InvalidDtype`] if a regressor is
/// not numeric or `y` is not a boolean, integer or string column; [`Error::MissingValues`]
/// for a null or non-finite value; [`Error::InvalidParameter`] for an empty frame or list, a
/// label with one class or more than two, or `y` among the regressors.
///
/// ```
/// use eddy::prelude::*;
///
/// let r = returns(&sp500()?, ReturnKind::Simple)?;
/// let df = r.lazy().with_column(col("JPM").gt(lit(0.0)).alias("up")).collect()?;
/// let fit = logistic(&df, "up", &["BAC", "AAPL", "KO"])?;
/// assert_eq!(fit.positive_class(), "true");
/// assert!(fit.coef()[0] > 0.0);                         // JPM rises with BAC
/// assert!(fit.score(&df)? > 0.7);                       // accuracy
/// let p = fit.predict_proba(&df)?;                      // columns "false" and "true"
/// assert_eq!(p.get_column_names(), ["false", "true"]);
/// # Ok::<(), eddy::Error>(())
/// ```
pub fn logistic(df: &DataFrame, y: &str, x: &[&str]) -> Result<Logistic> {
    Logistic::params().fit(df, y, x)
}

impl Default for LogisticParams {
    fn default() -> Self {
        LogisticParams {
            c: f64::INFINITY,
            positive: None,
            max_iter: 1000,
            tol: 1e-8,
        }
    }
}

impl LogisticParams {
    /// The inverse penalty strength, scikit-learn's `C` (> 0): the objective is the summed
    /// log-loss plus ‖w‖² / 2C. The default, `f64::INFINITY`, is no penalty.
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let df = df!("x" => [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "y" => [0, 0, 1, 0, 1, 1])?;
    /// let loose = Logistic::params().fit(&df, "y", &["x"])?;
    /// let tight = Logistic::params().c(0.01).fit(&df, "y", &["x"])?;
    /// assert!(tight.coef()[0].abs() < loose.coef()[0].abs());
    /// # Ok::<(), eddy::Error>(())
    /// ```
    pub fn c(mut self, c: f64) -> Self {
        self.c = c;
        self
    }

    /// The class whose probability the model gives, written as the label prints (`"true"`,
    /// `"1"`, `"up"`). Default: the larger of the two labels in sort order.
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let df = df!("x" => [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
    ///              "move" => ["up", "down", "up", "down", "down", "down"])?;
    /// let up = Logistic::params().positive("up").fit(&df, "move", &["x"])?;
    /// let down = logistic(&df, "move", &["x"])?;               // "up" > "down"
    /// assert_eq!(down.positive_class(), "up");
    /// assert!((up.coef()[0] - down.coef()[0]).abs() < 1e-6);
    /// let down = Logistic::params().positive("down").fit(&df, "move", &["x"])?;
    /// assert!((up.coef()[0] + down.coef()[0]).abs() < 1e-6);   // the mirror image
    /// # Ok::<(), eddy::Error>(())
    /// ```
    pub fn positive(mut self, class: &str) -> Self {
        self.positive = Some(class.to_string());
        self
    }

    /// The most L-BFGS iterations (default 1000).
    pub fn max_iter(mut self, max_iter: u64) -> Self {
        self.max_iter = max_iter;
        self
    }

    /// The stopping tolerance on the gradient of the objective, per row (default 1e-8).
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }

    /// Fits the model of `y` on `x` in `df`.
    ///
    /// # Errors
    ///
    /// As [`logistic`]; [`Error::InvalidParameter`] for `C ≤ 0`, `tol ≤ 0`, `max_iter = 0`,
    /// or a positive class that is not a label; [`Error::Model`] if linfa fails.
    pub fn fit(&self, df: &DataFrame, y: &str, x: &[&str]) -> Result<Logistic> {
        const OP: &str = "logistic";
        self.check(OP)?;
        check_names(x, "x", OP)?;
        if x.contains(&y) {
            return Err(label_among_features(OP, y));
        }
        let (classes, codes) = Classes::fit(df, y, OP)?;
        if classes.len() != 2 {
            return Err(Error::InvalidParameter {
                operation: OP,
                name: "y",
                value: format!("column `{y}` with {} classes", classes.len()),
                rule: "a label with two classes (for more, use gaussian_nb, decision_tree or \
                       random_forest, or make the label boolean)",
            });
        }
        let positive = match &self.positive {
            None => 1,
            Some(name) => classes.find(name).ok_or_else(|| Error::InvalidParameter {
                operation: OP,
                name: "positive",
                value: format!("`{name}`"),
                rule: "one of the label's classes (written as they print, e.g. `true`)",
            })?,
        };
        let mut z = features(df, x, OP)?;
        let n = z.nrows();
        let penalised = self.c.is_finite();
        let (means, scales) = standardize(&mut z, !penalised);
        let target: Array1<bool> = codes.iter().map(|&c| c == positive).collect();
        let alpha = if penalised { 1.0 / self.c } else { 0.0 };
        let dataset = DatasetBase::new(z, target);
        let fitted = LogisticRegression::<f64>::default()
            .alpha(alpha)
            .max_iterations(self.max_iter)
            .gradient_tolerance(self.tol * n as f64)
            .fit(&dataset)
            .map_err(|e| Error::Model {
                operation: OP,
                reason: e.to_string(),
            })?;
        // linfa issue #393: its "positive" label may be our negative class; flip if so.
        let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
        let w: Vec<f64> = fitted.params().iter().map(|v| sign * v).collect();
        let b = sign * fitted.intercept();

        let (z, target) = (dataset.records(), dataset.targets());
        let eta = z.dot(&Array1::from(w.clone())) + b;
        let (gradient, llf) = gradient_and_llf(z, target, &eta, &w, alpha);
        let share = target.iter().filter(|t| **t).count() as f64 / n as f64;
        let llnull = if share > 0.0 && share < 1.0 {
            n as f64 * (share * share.ln() + (1.0 - share) * (1.0 - share).ln())
        } else {
            0.0
        };
        let hits = eta
            .iter()
            .zip(target)
            .filter(|(e, t)| (**e > 0.0) == **t)
            .count();
        let coef: Vec<f64> = w.iter().zip(&scales).map(|(w, s)| w / s).collect();
        let intercept = b - coef.iter().zip(&means).map(|(c, m)| c * m).sum::<f64>();
        let mut counts = vec![0; 2];
        for &c in &codes {
            counts[c] += 1;
        }
        Ok(Logistic {
            y: y.to_string(),
            x: owned(x),
            classes,
            positive,
            c: self.c,
            intercept,
            coef,
            nobs: n,
            counts,
            gradient,
            tol: self.tol,
            llf,
            llnull,
            accuracy: hits as f64 / n as f64,
            // Every row on its side of the hyperplane: without a penalty the likelihood
            // keeps rising as the coefficients grow, so there is no maximum to report.
            separated: !penalised && hits == n,
        })
    }

    fn check(&self, op: &'static str) -> Result<()> {
        let bad = |name, value: String, rule| {
            Err(Error::InvalidParameter {
                operation: op,
                name,
                value,
                rule,
            })
        };
        if !(self.c > 0.0) {
            return bad(
                "C",
                self.c.to_string(),
                "positive (f64::INFINITY: no penalty)",
            );
        }
        if !(self.tol > 0.0 && self.tol.is_finite()) {
            return bad("tol", self.tol.to_string(), "positive and finite");
        }
        if self.max_iter == 0 {
            return bad("max_iter", "0".into(), "at least 1");
        }
        Ok(())
    }
}

/// The error for a label column listed among the features.
pub(crate) fn label_among_features(op: &'static str, y: &str) -> Error {
    Error::InvalidParameter {
        operation: op,
        name: "x",
        value: format!("a list holding the label column `{y}`"),
        rule: "regressors other than the label",
    }
}

/// Centres the columns of `z` in place and, if `scale`, divides them by their population
/// standard deviation (a constant column is left at 0, divided by 1). Returns the means and
/// the divisors.
fn standardize(z: &mut Array2<f64>, scale: bool) -> (Vec<f64>, Vec<f64>) {
    let n = z.nrows() as f64;
    let mut means = Vec::with_capacity(z.ncols());
    let mut scales = Vec::with_capacity(z.ncols());
    for mut column in z.axis_iter_mut(Axis(1)) {
        let mean = column.sum() / n;
        column.mapv_inplace(|v| v - mean);
        let s = if scale {
            let sd = (column.iter().map(|v| v * v).sum::<f64>() / n).sqrt();
            if sd > 0.0 { sd } else { 1.0 }
        } else {
            1.0
        };
        if s != 1.0 {
            column.mapv_inplace(|v| v / s);
        }
        means.push(mean);
        scales.push(s);
    }
    (means, scales)
}

/// The Euclidean norm of the objective's gradient per row, and the log-likelihood.
fn gradient_and_llf(
    z: &Array2<f64>,
    target: &Array1<bool>,
    eta: &Array1<f64>,
    w: &[f64],
    alpha: f64,
) -> (f64, f64) {
    let n = z.nrows() as f64;
    let resid: Array1<f64> = eta
        .iter()
        .zip(target)
        .map(|(&e, &t)| sigmoid(e) - if t { 1.0 } else { 0.0 })
        .collect();
    let gw = z.t().dot(&resid);
    let gb = resid.sum();
    let norm2 = gb * gb
        + gw.iter()
            .zip(w)
            .map(|(g, w)| (g + alpha * w).powi(2))
            .sum::<f64>();
    let llf = eta
        .iter()
        .zip(target)
        .map(|(&e, &t)| log_sigmoid(if t { e } else { -e }))
        .sum();
    (norm2.sqrt() / n, llf)
}

/// 1 / (1 + e^(−x)), without overflow.
pub(crate) fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// ln σ(x), accurate for large |x|.
fn log_sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        -(-x).exp().ln_1p()
    } else {
        x - x.exp().ln_1p()
    }
}

impl Logistic {
    /// The settings, for a penalty, the positive class or the solver's limits.
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let df = df!("x" => [1.0, 2.0, 3.0, 4.0], "y" => [false, true, false, true])?;
    /// let fit = Logistic::params().c(1.0).max_iter(200).fit(&df, "y", &["x"])?;
    /// assert!(fit.converged());
    /// # Ok::<(), eddy::Error>(())
    /// ```
    pub fn params() -> LogisticParams {
        LogisticParams::default()
    }

    /// The intercept, on the log-odds scale of the positive class.
    pub fn intercept(&self) -> f64 {
        self.intercept
    }

    /// The coefficients of the regressors, in their order (log-odds per unit).
    pub fn coef(&self) -> &[f64] {
        &self.coef
    }

    /// The regressors' names.
    pub fn exog_names(&self) -> &[String] {
        &self.x
    }

    /// The two classes, sorted, with the label column's dtype (scikit-learn's `classes_`).
    pub fn classes(&self) -> &Series {
        self.classes.values()
    }

    /// The class whose probability the model gives, as it prints (`"true"`, `"1"`, `"up"`).
    pub fn positive_class(&self) -> &str {
        &self.classes.names()[self.positive]
    }

    /// The number of rows fitted on.
    pub fn nobs(&self) -> usize {
        self.nobs
    }

    /// Whether the fit is a maximum: the gradient of the objective, per row, is at most `tol`
    /// and, without a penalty, the classes are not perfectly separated (every training row on
    /// its side of the boundary: the likelihood then has no maximum, as statsmodels'
    /// `PerfectSeparationWarning` says; set a penalty with `C`).
    pub fn converged(&self) -> bool {
        self.gradient <= self.tol && !self.separated
    }

    /// The log-likelihood at the fit.
    pub fn llf(&self) -> f64 {
        self.llf
    }

    /// McFadden's pseudo R², 1 − llf / llnull, as statsmodels' `Logit(...).fit().prsquared`.
    pub fn prsquared(&self) -> f64 {
        1.0 - self.llf / self.llnull
    }

    /// `term`, `coef` and `odds_ratio` (e^coef), the intercept first as `const`.
    ///
    /// # Errors
    ///
    /// [`Error::Polars`] only if the frame cannot be built.
    pub fn coef_table(&self) -> Result<DataFrame> {
        let mut terms = vec!["const".to_string()];
        terms.extend(self.x.iter().cloned());
        let mut coef = vec![self.intercept];
        coef.extend(&self.coef);
        let odds: Vec<f64> = coef.iter().map(|c| c.exp()).collect();
        Ok(DataFrame::new(
            terms.len(),
            vec![
                Column::new("term".into(), terms),
                Column::new("coef".into(), coef),
                Column::new("odds_ratio".into(), odds),
            ],
        )?)
    }

    /// The log-odds of the positive class for each row of `df`, named `decision_function`.
    ///
    /// # Errors
    ///
    /// As [`logistic`] for the regressor columns of `df`.
    pub fn decision_function(&self, df: &DataFrame) -> Result<Series> {
        let eta = self.eta(df, "Logistic::decision_function")?;
        Ok(Series::new("decision_function".into(), eta.to_vec()))
    }

    /// The predicted class of each row of `df` (the positive class where its probability is
    /// above 1/2), named `predicted`, with the label column's dtype.
    ///
    /// # Errors
    ///
    /// As [`logistic`] for the regressor columns of `df`.
    pub fn predict(&self, df: &DataFrame) -> Result<Series> {
        let codes = self.predict_codes(df, "Logistic::predict")?;
        self.classes.decode(&codes, "predicted")
    }

    /// The probability of each class for each row of `df`: one column per class, named by
    /// the class, sorted as [`classes`](Self::classes) (scikit-learn's `predict_proba`).
    ///
    /// # Errors
    ///
    /// As [`logistic`] for the regressor columns of `df`.
    pub fn predict_proba(&self, df: &DataFrame) -> Result<DataFrame> {
        let eta = self.eta(df, "Logistic::predict_proba")?;
        let mut proba = Array2::zeros((eta.len(), 2));
        for (i, &e) in eta.iter().enumerate() {
            proba[(i, self.positive)] = sigmoid(e);
            proba[(i, 1 - self.positive)] = sigmoid(-e);
        }
        self.classes.proba_frame(&proba)
    }

    /// The accuracy on `df`: the share of rows whose label in the fitted `y` column is the
    /// predicted one (scikit-learn's `score`).
    ///
    /// # Errors
    ///
    /// As [`logistic`] for the columns of `df`.
    pub fn score(&self, df: &DataFrame) -> Result<f64> {
        const OP: &str = "Logistic::score";
        let codes = self.predict_codes(df, OP)?;
        self.classes.accuracy(df, &self.y, &codes, OP)
    }

    fn eta(&self, df: &DataFrame, op: &'static str) -> Result<Array1<f64>> {
        let x = features(df, &borrowed(&self.x), op)?;
        Ok(x.dot(&Array1::from(self.coef.clone())) + self.intercept)
    }

    fn predict_codes(&self, df: &DataFrame, op: &'static str) -> Result<Vec<usize>> {
        let eta = self.eta(df, op)?;
        Ok(eta
            .iter()
            .map(|&e| {
                if e > 0.0 {
                    self.positive
                } else {
                    1 - self.positive
                }
            })
            .collect())
    }

    fn head(&self) -> Vec<String> {
        let penalty = if self.c.is_finite() {
            format!("C = {}", self.c)
        } else {
            "no penalty".into()
        };
        let mut lines = vec![
            format!(
                "Logistic regression of {} on {} regressors ({penalty}), P({} = {}) modelled",
                self.y,
                self.x.len(),
                self.y,
                self.positive_class()
            ),
            format!(
                "{} ({}); log-likelihood {:.4}, pseudo R² {:.4}, training accuracy {:.4}",
                report::rows(self.nobs),
                self.classes
                    .names()
                    .iter()
                    .zip(&self.counts)
                    .map(|(n, c)| format!("{n}: {c}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                self.llf,
                self.prsquared(),
                self.accuracy
            ),
        ];
        if self.separated {
            lines.push(
                "Warning: the classes are perfectly separated, so the unpenalised maximum \
                 likelihood does not exist and the coefficients are arbitrary; set a penalty \
                 with Logistic::params().c(1.0)"
                    .into(),
            );
        } else if !self.converged() {
            lines.push(format!(
                "Warning: not converged (gradient {:.3e} per row > tol {:.1e}): the classes may \
                 be perfectly separated; set a penalty with Logistic::params().c(...) or raise \
                 max_iter",
                self.gradient, self.tol
            ));
        }
        lines
    }
}

impl std::fmt::Display for Logistic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.mime_bundle().text())
    }
}

/// Shows as its header (classes, fit statistics, convergence) and coefficient table.
///
/// ```
/// use eddy::prelude::*;
///
/// let df = df!("x" => [1.0, 2.0, 3.0, 4.0], "y" => [false, true, false, true])?;
/// let html = logistic(&df, "y", &["x"])?.mime_bundle().get("text/html").unwrap().to_string();
/// assert!(html.contains("odds_ratio"));
/// # Ok::<(), eddy::Error>(())
/// ```
impl Render for Logistic {
    fn mime_bundle(&self) -> MimeBundle {
        report::bundle(&self.head(), self.coef_table())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Labels where the positive class ("up", the later string) is the rarer one and comes
    /// first: linfa 0.8.1 calls the more frequent class positive (issue #393).
    fn skewed() -> DataFrame {
        let x = [
            0.5, -1.2, 0.3, 2.0, -0.7, 1.1, -2.2, 0.9, -0.1, 1.7, -1.5, 0.2,
        ];
        let y = [
            "up", "down", "down", "up", "down", "down", "down", "up", "down", "up", "down", "down",
        ];
        df!("x" => x, "move" => y).unwrap()
    }

    #[test]
    fn positive_class_is_explicit_whatever_the_class_counts() {
        let df = skewed();
        // statsmodels: Logit((y == "up").astype(float), add_constant(x)).fit(method="newton", tol=1e-14)
        //   params = [-2.2397615175809134, 2.915224882233805]
        // (the same numbers from scikit-learn's LogisticRegression(C=np.inf, tol=1e-12)).
        let up = logistic(&df, "move", &["x"]).unwrap();
        assert_eq!(up.positive_class(), "up");
        assert!(up.converged());
        assert!(
            (up.intercept() - -2.2397615175809134).abs() < 1e-6,
            "{}",
            up.intercept()
        );
        assert!(
            (up.coef()[0] - 2.915224882233805).abs() < 1e-6,
            "{:?}",
            up.coef()
        );
        let down = Logistic::params()
            .positive("down")
            .fit(&df, "move", &["x"])
            .unwrap();
        assert!((down.coef()[0] + up.coef()[0]).abs() < 1e-8);
        assert!((down.intercept() + up.intercept()).abs() < 1e-8);
        // Probabilities are per class, whatever the positive one.
        let a = up.predict_proba(&df).unwrap();
        let b = down.predict_proba(&df).unwrap();
        assert_eq!(a.get_column_names(), ["down", "up"]);
        for name in ["down", "up"] {
            let (a, b) = (
                a.column(name).unwrap().f64().unwrap(),
                b.column(name).unwrap().f64().unwrap(),
            );
            for (p, q) in a.into_no_null_iter().zip(b.into_no_null_iter()) {
                assert!((p - q).abs() < 1e-8);
            }
        }
        assert_eq!(up.predict(&df).unwrap(), down.predict(&df).unwrap());
        assert_eq!(up.predict(&df).unwrap().dtype(), &DataType::String);
    }

    #[test]
    fn penalised_fit_matches_scikit_learn() {
        // scikit-learn: LogisticRegression(C=0.5, tol=1e-12).fit(x, y == "up")
        //   coef_ = [[0.9066377591707158]], intercept_ = [-0.9701999769875683]
        let fit = Logistic::params()
            .c(0.5)
            .fit(&skewed(), "move", &["x"])
            .unwrap();
        assert!(
            (fit.coef()[0] - 0.9066377591707158).abs() < 1e-6,
            "{:?}",
            fit.coef()
        );
        assert!(
            (fit.intercept() - -0.9701999769875683).abs() < 1e-6,
            "{}",
            fit.intercept()
        );
    }

    #[test]
    fn separated_classes_are_flagged_and_bad_input_is_an_error() {
        let df =
            df!("x" => [1.0, 2.0, 3.0, 4.0], "y" => [0, 0, 1, 1], "c" => [0, 1, 2, 0]).unwrap();
        let fit = logistic(&df, "y", &["x"]).unwrap();
        assert!(!fit.converged());
        assert!(fit.to_string().contains("perfectly separated"), "{fit}");
        assert!(
            Logistic::params()
                .c(1.0)
                .fit(&df, "y", &["x"])
                .unwrap()
                .converged()
        );
        assert!(
            logistic(&df, "c", &["x"])
                .unwrap_err()
                .to_string()
                .contains("3 classes")
        );
        assert!(logistic(&df, "y", &["y"]).is_err());
        assert!(Logistic::params().c(0.0).fit(&df, "y", &["x"]).is_err());
        assert!(
            Logistic::params()
                .positive("7")
                .fit(&df, "y", &["x"])
                .is_err()
        );
        assert!(
            logistic(&df.slice(0, 2), "y", &["x"])
                .unwrap_err()
                .to_string()
                .contains("one class")
        );
    }
}
