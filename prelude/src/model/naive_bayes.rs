//! Gaussian naive Bayes, [`gaussian_nb`], fitted by linfa-bayes and reported as scikit-learn's
//! `GaussianNB`.
//!
//! Each class has a prior (its share of the training rows) and, per feature, a normal
//! distribution with the class's mean and population variance, plus `var_smoothing` times the
//! largest variance of any feature (scikit-learn's `epsilon_`, the same default 1e-9).
//!
//! Where this differs from calling linfa-bayes 0.8.1 directly: linfa normalises the joint
//! log-likelihoods with `ln Σ exp(·)` taken as is, which underflows to `−∞` (and gives NaN
//! probabilities) for rows far from every class; and its `predict` takes the arg-max over a
//! `HashMap`, so ties go to whichever class the map yields first. Here linfa's fitted model
//! gives the joint log-likelihoods, and the probabilities are normalised with the max-shifted
//! log-sum-exp and the prediction is the first class of the largest, as scikit-learn does.
//! The class means and variances shown by [`GaussianNb::theta`] and [`GaussianNb::var`] are
//! computed here from the same rows (linfa keeps them private).

use linfa::prelude::*;
use linfa_bayes::NaiveBayes;
use ndarray::{Array1, Array2, Axis};
use polars::prelude::*;

use super::classify::{Classes, argmax_rows};
use super::logistic::label_among_features;
use super::matrix::{borrowed, check_names, features, owned};
use super::report;
use crate::display::{MimeBundle, Render};
use crate::error::{Error, Result};

/// The settings of a Gaussian naive Bayes classifier, made by [`GaussianNb::params`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GaussianNbParams {
    var_smoothing: f64,
}

/// A fitted Gaussian naive Bayes classifier. Made by [`gaussian_nb`]; shows as its classes'
/// priors and means.
#[derive(Debug, Clone)]
pub struct GaussianNb {
    y: String,
    x: Vec<String>,
    classes: Classes,
    model: linfa_bayes::GaussianNb<f64, usize>,
    counts: Vec<usize>,
    theta: Array2<f64>,
    var: Array2<f64>,
    epsilon: f64,
}

/// Gaussian naive Bayes classifier of the label column `y` (boolean, integer or string, any
/// number of classes) on the numeric columns `x`, as scikit-learn's `GaussianNB().fit(X, y)`.
///
/// # Errors
///
/// [`Error::ColumnNotFound`], [`Error::InvalidDtype`], [`Error::MissingValues`] for the
/// columns; [`Error::InvalidParameter`] for an empty frame or list, a label with one class,
/// `y` among the features, or features that are all constant.
///
/// ```
/// use eddy::prelude::*;
///
/// let r = returns(&sp500()?, ReturnKind::Simple)?;
/// let df = r.lazy().with_column(col("JPM").gt(lit(0.0)).alias("up")).collect()?;
/// let nb = gaussian_nb(&df, "up", &["BAC", "AAPL", "KO"])?;
/// assert!(nb.score(&df)? > 0.6);
/// let p = nb.predict_proba(&df)?;
/// assert_eq!(p.get_column_names(), ["false", "true"]);
/// # Ok::<(), eddy::Error>(())
/// ```
pub fn gaussian_nb(df: &DataFrame, y: &str, x: &[&str]) -> Result<GaussianNb> {
    GaussianNb::params().fit(df, y, x)
}

impl Default for GaussianNbParams {
    fn default() -> Self {
        GaussianNbParams {
            var_smoothing: 1e-9,
        }
    }
}

impl GaussianNbParams {
    /// The share of the largest feature variance added to every variance (default 1e-9,
    /// scikit-learn's `var_smoothing`).
    pub fn var_smoothing(mut self, var_smoothing: f64) -> Self {
        self.var_smoothing = var_smoothing;
        self
    }

    /// Fits the classifier of `y` on `x` in `df`.
    ///
    /// # Errors
    ///
    /// As [`gaussian_nb`]; [`Error::InvalidParameter`] for a negative `var_smoothing`;
    /// [`Error::Model`] if linfa fails.
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let df = df!("x" => [1.0, 1.2, 0.8, 3.0, 3.1, 2.9], "c" => ["a", "a", "a", "b", "b", "b"])?;
    /// let nb = GaussianNb::params().var_smoothing(1e-3).fit(&df, "c", &["x"])?;
    /// assert_eq!(nb.predict(&df)?.str()?.get(4), Some("b"));
    /// # Ok::<(), eddy::Error>(())
    /// ```
    pub fn fit(&self, df: &DataFrame, y: &str, x: &[&str]) -> Result<GaussianNb> {
        const OP: &str = "gaussian_nb";
        if !(self.var_smoothing >= 0.0 && self.var_smoothing.is_finite()) {
            return Err(Error::InvalidParameter {
                operation: OP,
                name: "var_smoothing",
                value: self.var_smoothing.to_string(),
                rule: "finite and ≥ 0",
            });
        }
        check_names(x, "x", OP)?;
        if x.contains(&y) {
            return Err(label_among_features(OP, y));
        }
        let (classes, codes) = Classes::fit(df, y, OP)?;
        let data = features(df, x, OP)?;
        let max_var = data
            .var_axis(Axis(0), 0.0)
            .iter()
            .fold(0.0_f64, |m, &v| m.max(v));
        if max_var <= 0.0 {
            return Err(Error::InvalidParameter {
                operation: OP,
                name: "x",
                value: "columns that are all constant".into(),
                rule: "at least one feature that varies",
            });
        }
        let epsilon = self.var_smoothing * max_var;
        let k = classes.len();
        let p = x.len();
        let mut counts = vec![0usize; k];
        let mut theta = Array2::zeros((k, p));
        for (row, &c) in data.rows().into_iter().zip(&codes) {
            counts[c] += 1;
            let mut t = theta.row_mut(c);
            t += &row;
        }
        for (mut t, &n) in theta.rows_mut().into_iter().zip(&counts) {
            t /= n as f64;
        }
        let mut var = Array2::zeros((k, p));
        for (row, &c) in data.rows().into_iter().zip(&codes) {
            let d = &row - &theta.row(c);
            let mut v = var.row_mut(c);
            v += &(&d * &d);
        }
        for (mut v, &n) in var.rows_mut().into_iter().zip(&counts) {
            v.mapv_inplace(|s| s / n as f64 + epsilon);
        }
        let targets: Array1<usize> = codes.into_iter().collect();
        let model = linfa_bayes::GaussianNb::params()
            .var_smoothing(self.var_smoothing)
            .fit(&DatasetBase::new(data, targets))
            .map_err(|e| Error::Model {
                operation: OP,
                reason: e.to_string(),
            })?;
        Ok(GaussianNb {
            y: y.to_string(),
            x: owned(x),
            classes,
            model,
            counts,
            theta,
            var,
            epsilon,
        })
    }
}

impl GaussianNb {
    /// The settings (`var_smoothing`).
    ///
    /// ```
    /// let params = eddy::model::GaussianNb::params().var_smoothing(1e-6);
    /// # let _ = params;
    /// ```
    pub fn params() -> GaussianNbParams {
        GaussianNbParams::default()
    }

    /// The classes, sorted, with the label column's dtype (scikit-learn's `classes_`).
    pub fn classes(&self) -> &Series {
        self.classes.values()
    }

    /// The number of training rows of each class, in class order (`class_count_`).
    pub fn class_count(&self) -> &[usize] {
        &self.counts
    }

    /// Each class's share of the training rows (`class_prior_`).
    pub fn class_prior(&self) -> Vec<f64> {
        let n: usize = self.counts.iter().sum();
        self.counts.iter().map(|&c| c as f64 / n as f64).collect()
    }

    /// The variance added to every class variance (`epsilon_`).
    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }

    /// The mean of each feature per class (`theta_`): a `class` column, then one per feature.
    ///
    /// # Errors
    ///
    /// [`Error::Polars`] only if the frame cannot be built.
    pub fn theta(&self) -> Result<DataFrame> {
        self.per_class(&self.theta)
    }

    /// The variance of each feature per class, smoothing included (`var_`).
    ///
    /// # Errors
    ///
    /// [`Error::Polars`] only if the frame cannot be built.
    pub fn var(&self) -> Result<DataFrame> {
        self.per_class(&self.var)
    }

    fn per_class(&self, values: &Array2<f64>) -> Result<DataFrame> {
        let mut table = super::matrix::frame_from_columns(&self.x, values)?;
        table.insert_column(
            0,
            Column::new("class".into(), self.classes.names().to_vec()),
        )?;
        Ok(table)
    }

    /// The probability of each class for each row of `df`: one column per class, named by
    /// the class, sorted as [`classes`](Self::classes) (scikit-learn's `predict_proba`).
    ///
    /// # Errors
    ///
    /// As [`gaussian_nb`] for the feature columns of `df`.
    pub fn predict_proba(&self, df: &DataFrame) -> Result<DataFrame> {
        let log = self.log_proba(df, "GaussianNb::predict_proba")?;
        self.classes.proba_frame(&log.mapv(f64::exp))
    }

    /// The log of [`predict_proba`](Self::predict_proba), accurate where the probabilities
    /// underflow (scikit-learn's `predict_log_proba`).
    ///
    /// # Errors
    ///
    /// As [`gaussian_nb`] for the feature columns of `df`.
    pub fn predict_log_proba(&self, df: &DataFrame) -> Result<DataFrame> {
        let log = self.log_proba(df, "GaussianNb::predict_log_proba")?;
        self.classes.proba_frame(&log)
    }

    /// The most probable class of each row of `df`, named `predicted`, with the label
    /// column's dtype.
    ///
    /// # Errors
    ///
    /// As [`gaussian_nb`] for the feature columns of `df`.
    pub fn predict(&self, df: &DataFrame) -> Result<Series> {
        let jll = self.jll(df, "GaussianNb::predict")?;
        self.classes.decode(&argmax_rows(&jll), "predicted")
    }

    /// The accuracy on `df` (scikit-learn's `score`).
    ///
    /// # Errors
    ///
    /// As [`gaussian_nb`] for the columns of `df`.
    pub fn score(&self, df: &DataFrame) -> Result<f64> {
        const OP: &str = "GaussianNb::score";
        let jll = self.jll(df, OP)?;
        self.classes.accuracy(df, &self.y, &argmax_rows(&jll), OP)
    }

    /// The joint log-likelihood of each row and class (n × classes), from linfa's model.
    fn jll(&self, df: &DataFrame, op: &'static str) -> Result<Array2<f64>> {
        let x = features(df, &borrowed(&self.x), op)?;
        let by_class = self.model.joint_log_likelihood(x.view());
        let mut jll = Array2::zeros((x.nrows(), self.classes.len()));
        for (&&class, values) in &by_class {
            jll.column_mut(class).assign(values);
        }
        Ok(jll)
    }

    /// Log-probabilities: the joint log-likelihoods minus their log-sum-exp per row.
    fn log_proba(&self, df: &DataFrame, op: &'static str) -> Result<Array2<f64>> {
        let mut jll = self.jll(df, op)?;
        for mut row in jll.rows_mut() {
            let max = row.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v));
            let lse = max + row.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
            row.mapv_inplace(|v| v - lse);
        }
        Ok(jll)
    }
}

impl std::fmt::Display for GaussianNb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.mime_bundle().text())
    }
}

/// Shows as a header and a table of each class's count, prior and feature means.
impl Render for GaussianNb {
    fn mime_bundle(&self) -> MimeBundle {
        let head = vec![format!(
            "Gaussian naive Bayes of {} on {} features: {} classes, {}, var_smoothing epsilon \
             {:.3e}; class means:",
            self.y,
            self.x.len(),
            self.classes.len(),
            report::rows(self.counts.iter().sum()),
            self.epsilon
        )];
        let table = self.theta().and_then(|mut t| {
            t.insert_column(
                1,
                Column::new(
                    "count".into(),
                    self.counts.iter().map(|&c| c as u64).collect::<Vec<_>>(),
                ),
            )?;
            t.insert_column(2, Column::new("prior".into(), self.class_prior()))?;
            Ok(t)
        });
        report::bundle(&head, table)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> DataFrame {
        df!(
            "a" => [1.0, 2.0, 1.5, 3.0, 3.5, 2.5, 0.2, 4.0, 5.0, 4.5],
            "b" => [0.3, -0.2, 0.1, 1.0, 1.2, 0.8, 0.0, 2.2, 2.0, 1.9],
            "c" => [0, 0, 0, 1, 1, 1, 0, 2, 2, 2]
        )
        .unwrap()
    }

    #[test]
    fn matches_scikit_learn() {
        let nb = gaussian_nb(&data(), "c", &["a", "b"]).unwrap();
        let p = nb.predict_proba(&data()).unwrap();
        let p1: Vec<f64> = p
            .column("1")
            .unwrap()
            .f64()
            .unwrap()
            .into_no_null_iter()
            .collect();
        let expected_p1 = [P1_0, P1_3, P1_7];
        for (got, want) in [p1[0], p1[3], p1[7]].iter().zip(expected_p1) {
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
        assert!((nb.epsilon() - EPSILON).abs() < 1e-24);
        assert_eq!(nb.class_count(), [4, 3, 3]);
        assert_eq!(nb.score(&data()).unwrap(), 1.0);
        // Far from every class: linfa's plain log-sum-exp would give NaN here.
        let far = df!("a" => [1e6], "b" => [-1e6]).unwrap();
        let p = nb.predict_proba(&far).unwrap();
        let total: f64 = p
            .columns()
            .iter()
            .map(|c| c.f64().unwrap().get(0).unwrap())
            .sum();
        assert!((total - 1.0).abs() < 1e-12, "{p}");
    }

    #[test]
    fn bad_input_is_an_error() {
        let df = data();
        assert!(gaussian_nb(&df, "c", &["c"]).is_err());
        assert!(gaussian_nb(&df, "a", &["b"]).is_err()); // float label
        let constant = df!("x" => [1.0, 1.0, 1.0], "y" => [0, 1, 1]).unwrap();
        assert!(gaussian_nb(&constant, "y", &["x"]).is_err());
        assert!(
            GaussianNb::params()
                .var_smoothing(-1.0)
                .fit(&df, "c", &["a"])
                .is_err()
        );
    }

    // scikit-learn 1.8: GaussianNB().fit(X, c).predict_proba(X)[[0, 3, 7], 1] and epsilon_.
    const P1_0: f64 = 2.2949361365824108e-09;
    const P1_3: f64 = 0.9999999840227819;
    const P1_7: f64 = 3.69495090449397e-13;
    const EPSILON: f64 = 2.2056000000000003e-09;
}
