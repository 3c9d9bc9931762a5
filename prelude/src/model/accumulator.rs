//! [`OlsAccumulator`]: least squares from sufficient statistics, built per partition or
//! micro-batch, merged, and fitted with the same inference as [`ols()`](super::ols).

use nalgebra::{DMatrix, DVector, SymmetricEigen};
use polars::prelude::*;

use super::ols::{Ols, Parts, numeric_column};
use crate::error::{Error, Result};

/// The sufficient statistics of `y ~ const + x`: the count, the means and the centred
/// cross-products of (x, y), mergeable across partitions and micro-batches.
///
/// The deck's point that a stream needs different functions than a batch holds for least
/// squares too: a model cannot keep every row, but the fit only needs n, the means and
/// Σ(v − v̄)(w − w̄) over the columns. Those are kept *centred* (merged with Chan, Golub and
/// LeVeque's pairwise formula) rather than as raw XᵀX, Xᵀy, yᵀy: raw sums of prices lose
/// about as many digits as the square of the design's condition number, centred ones keep
/// the fit within 1e-9 of [`ols()`](super::ols) on the full data. The raw sums are still
/// available ([`xtx`](OlsAccumulator::xtx)…) for engines that aggregate them.
///
/// [`with_decay`](OlsAccumulator::with_decay) forgets old batches geometrically, as MLlib's
/// `StreamingLinearRegressionWithSGD` with a decay factor (but solved exactly, not by SGD).
///
/// ```
/// use eddy::prelude::*;
///
/// let df = sp500()?;
/// let mut acc = OlsAccumulator::new("JPM", &["BAC", "KO"]);
/// for offset in (0..df.height()).step_by(1000) {
///     acc.update(&df.slice(offset as i64, 1000))?;     // one micro-batch at a time
/// }
/// let streamed = acc.fit()?;
/// let full = ols(&df, "JPM", &["BAC", "KO"])?;
/// for (a, b) in streamed.params().iter().zip(full.params()) {
///     assert!((a - b).abs() <= 1e-9 * b.abs());
/// }
/// # Ok::<(), eddy::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct OlsAccumulator {
    y: String,
    x: Vec<String>,
    /// The (possibly decayed) number of rows.
    n: f64,
    /// The means of x[0], …, x[k−1], y.
    mean: Vec<f64>,
    /// Centred cross-products Σ(vᵢ − v̄ᵢ)(vⱼ − v̄ⱼ) of (x, y), row-major (k+1)×(k+1).
    comoment: Vec<f64>,
    dropped: usize,
    decay: f64,
}

impl OlsAccumulator {
    /// An empty accumulator for `y ~ const + x[0] + …`.
    pub fn new(y: &str, x: &[&str]) -> Self {
        let m = x.len() + 1;
        OlsAccumulator {
            y: y.to_string(),
            x: x.iter().map(|s| s.to_string()).collect(),
            n: 0.0,
            mean: vec![0.0; m],
            comoment: vec![0.0; m * m],
            dropped: 0,
            decay: 1.0,
        }
    }

    /// An accumulator holding statistics computed elsewhere (by a cluster's aggregation):
    /// `n` complete rows, the `mean`s of x[0], …, x[k−1], y and their centred
    /// cross-products Σ(vᵢ − v̄ᵢ)(vⱼ − v̄ⱼ), row-major (k+1)×(k+1); `dropped` incomplete rows.
    pub(crate) fn from_moments(
        y: &str,
        x: &[&str],
        n: f64,
        mean: Vec<f64>,
        comoment: Vec<f64>,
        dropped: usize,
    ) -> Self {
        let mut acc = OlsAccumulator::new(y, x);
        debug_assert_eq!(mean.len(), x.len() + 1);
        debug_assert_eq!(comoment.len(), (x.len() + 1) * (x.len() + 1));
        acc.n = n;
        acc.mean = mean;
        acc.comoment = comoment;
        acc.dropped = dropped;
        acc
    }

    /// Forgets the past geometrically: before each [`update`](OlsAccumulator::update), the
    /// statistics so far are weighted by `factor` (1 keeps everything, 0 only the last batch).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] unless `0 ≤ factor ≤ 1`.
    pub fn with_decay(mut self, factor: f64) -> Result<Self> {
        if !(0.0..=1.0).contains(&factor) {
            return Err(Error::InvalidParameter {
                operation: "OlsAccumulator::with_decay",
                name: "factor",
                value: factor.to_string(),
                rule: "between 0 and 1",
            });
        }
        self.decay = factor;
        Ok(self)
    }

    /// The number of rows accumulated (decayed, if [`with_decay`](OlsAccumulator::with_decay)).
    pub fn nobs(&self) -> f64 {
        self.n
    }

    /// Adds the rows of `batch` (rows with a null or NaN in `y` or a regressor are dropped and
    /// counted, as in [`ols()`](super::ols)). A batch without complete rows changes nothing
    /// but the dropped count (no decay either).
    ///
    /// # Errors
    ///
    /// [`Error::ColumnNotFound`] or [`Error::InvalidDtype`] as [`ols()`](super::ols); the
    /// accumulator is unchanged then.
    pub fn update(&mut self, batch: &DataFrame) -> Result<()> {
        const OP: &str = "OlsAccumulator::update";
        let mut columns = self
            .x
            .iter()
            .map(|name| numeric_column(batch, name, OP))
            .collect::<Result<Vec<_>>>()?;
        columns.push(numeric_column(batch, &self.y, OP)?);
        let rows: Vec<usize> = (0..batch.height())
            .filter(|&i| columns.iter().all(|c| c[i].is_some_and(|v| !v.is_nan())))
            .collect();
        if rows.is_empty() {
            self.dropped += batch.height();
            return Ok(());
        }
        let m = columns.len();
        let mut part = OlsAccumulator {
            n: rows.len() as f64,
            ..OlsAccumulator::new(&self.y, &[])
        };
        part.x = self.x.clone();
        part.dropped = batch.height() - rows.len();
        let values: Vec<Vec<f64>> = columns
            .iter()
            .map(|c| rows.iter().map(|&i| c[i].unwrap_or(f64::NAN)).collect())
            .collect();
        part.mean = values
            .iter()
            .map(|v| v.iter().sum::<f64>() / v.len().max(1) as f64)
            .collect();
        part.comoment = vec![0.0; m * m];
        for a in 0..m {
            for b in a..m {
                let (ma, mb) = (part.mean[a], part.mean[b]);
                let s: f64 = values[a]
                    .iter()
                    .zip(&values[b])
                    .map(|(u, v)| (u - ma) * (v - mb))
                    .sum();
                part.comoment[a * m + b] = s;
                part.comoment[b * m + a] = s;
            }
        }
        self.n *= self.decay;
        self.comoment.iter_mut().for_each(|c| *c *= self.decay);
        self.merge(&part)
    }

    /// Adds another accumulator's rows, as if its batches had been given to this one.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] if the two are for different models (`y` or `x` differ).
    pub fn merge(&mut self, other: &OlsAccumulator) -> Result<()> {
        if self.y != other.y || self.x != other.x {
            return Err(Error::InvalidParameter {
                operation: "OlsAccumulator::merge",
                name: "other",
                value: format!("a model of {} on [{}]", other.y, other.x.join(", ")),
                rule: "a model of the same y on the same regressors",
            });
        }
        self.dropped += other.dropped;
        if other.n == 0.0 {
            return Ok(());
        }
        let n = self.n + other.n;
        let m = self.mean.len();
        let delta: Vec<f64> = other
            .mean
            .iter()
            .zip(&self.mean)
            .map(|(b, a)| b - a)
            .collect();
        let w = self.n * other.n / n;
        for a in 0..m {
            for b in 0..m {
                self.comoment[a * m + b] += other.comoment[a * m + b] + delta[a] * delta[b] * w;
            }
        }
        for (mean, d) in self.mean.iter_mut().zip(&delta) {
            *mean += d * other.n / n;
        }
        self.n = n;
        Ok(())
    }

    /// Σ xxᵀ over the rows with a leading 1 (the design's XᵀX), row-major (k+1)×(k+1).
    pub fn xtx(&self) -> Vec<f64> {
        let k = self.x.len();
        let mut out = vec![0.0; (k + 1) * (k + 1)];
        let m = k + 1;
        let raw =
            |a: usize, b: usize| self.comoment[a * m + b] + self.n * self.mean[a] * self.mean[b];
        out[0] = self.n;
        for a in 0..k {
            out[a + 1] = self.n * self.mean[a];
            out[(a + 1) * m] = self.n * self.mean[a];
            for b in 0..k {
                out[(a + 1) * m + b + 1] = raw(a, b);
            }
        }
        out
    }

    /// Fits the model from the statistics: the same estimates and inference as
    /// [`ols()`](super::ols) on all the rows (within 1e-9 relative), without residuals, so
    /// without residual diagnostics ([`Ols::has_residuals`] is false).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] if no more rows than parameters were accumulated, or if
    /// the regressors are collinear.
    pub fn fit(&self) -> Result<Ols> {
        const OP: &str = "OlsAccumulator::fit";
        let k = self.x.len();
        let m = k + 1;
        if k == 0 {
            return Err(Error::InvalidParameter {
                operation: OP,
                name: "x",
                value: "an empty list".into(),
                rule: "at least one regressor column (the intercept `const` is added)",
            });
        }
        if self.n <= m as f64 {
            return Err(Error::InvalidParameter {
                operation: OP,
                name: "the accumulated rows",
                value: format!("{} complete rows for {m} parameters", self.n),
                rule: "more rows without nulls than parameters (regressors + const)",
            });
        }
        let collinear = || Error::InvalidParameter {
            operation: OP,
            name: "x",
            value: format!("[{}]", self.x.join(", ")),
            rule: "regressors that are not collinear (with each other or with const)",
        };
        let sxx = DMatrix::from_fn(k, k, |a, b| self.comoment[a * m + b]);
        let sxy = DVector::from_fn(k, |a, _| self.comoment[a * m + k]);
        let syy = self.comoment[k * m + k];
        // Scale to a correlation matrix before solving: its condition number is the one that
        // matters, not the columns' units.
        let d: Vec<f64> = (0..k).map(|a| sxx[(a, a)].sqrt()).collect();
        if d.iter().any(|v| !(*v > 0.0)) {
            return Err(collinear());
        }
        let corr = DMatrix::from_fn(k, k, |a, b| sxx[(a, b)] / (d[a] * d[b]));
        let eigen = SymmetricEigen::new(corr.clone());
        let (lo, hi) = eigen
            .eigenvalues
            .iter()
            .fold((f64::INFINITY, 0.0_f64), |(lo, hi), e| {
                (lo.min(*e), hi.max(*e))
            });
        if lo <= hi * 1e-14 {
            return Err(collinear());
        }
        let chol = corr.cholesky().ok_or_else(collinear)?;
        let rhs = DVector::from_fn(k, |a, _| sxy[a] / d[a]);
        let gamma = chol.solve(&rhs);
        let slopes: Vec<f64> = (0..k).map(|a| gamma[a] / d[a]).collect();
        let corr_inv = chol.inverse();
        // (Sxx)⁻¹ = D⁻¹ C⁻¹ D⁻¹
        let sxx_inv = DMatrix::from_fn(k, k, |a, b| corr_inv[(a, b)] / (d[a] * d[b]));
        let xbar = DVector::from_fn(k, |a, _| self.mean[a]);
        let intercept = self.mean[k]
            - slopes
                .iter()
                .zip(xbar.iter())
                .map(|(b, x)| b * x)
                .sum::<f64>();
        let ssr = (syy
            - slopes
                .iter()
                .zip(sxy.iter())
                .map(|(b, s)| b * s)
                .sum::<f64>())
        .max(0.0);
        let mut cov_diag = vec![1.0 / self.n + (xbar.transpose() * &sxx_inv * &xbar)[(0, 0)]];
        cov_diag.extend((0..k).map(|a| sxx_inv[(a, a)]));
        let mut params = vec![intercept];
        params.extend(slopes);
        // cond(X) = √cond(XᵀX), XᵀX rebuilt from the statistics.
        let xtx = DMatrix::from_row_slice(m, m, &self.xtx());
        let ev = SymmetricEigen::new(xtx).eigenvalues;
        let (emin, emax) = ev.iter().fold((f64::INFINITY, 0.0_f64), |(lo, hi), e| {
            (lo.min(*e), hi.max(*e))
        });
        let mut exog_names = vec!["const".to_string()];
        exog_names.extend(self.x.iter().cloned());
        Ok(Ols::assemble(
            Parts {
                endog_name: self.y.clone(),
                exog_names,
                params,
                cov_unscaled_diag: cov_diag,
                nobs: self.n,
                dropped: self.dropped,
                ssr,
                centered_tss: syy,
                condition_number: (emax / emin).sqrt(),
            },
            None,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ols;

    fn data() -> DataFrame {
        let n = 500;
        let x1: Vec<f64> = (0..n)
            .map(|i| 100.0 + (i as f64 * 0.1).sin() * 10.0 + i as f64 * 0.01)
            .collect();
        let x2: Vec<f64> = (0..n)
            .map(|i| 50.0 + (i as f64 * 0.37).cos() * 5.0)
            .collect();
        let y: Vec<Option<f64>> = (0..n)
            .map(|i| {
                if i == 7 {
                    None
                } else {
                    Some(3.0 + 0.5 * x1[i] - 1.2 * x2[i] + ((i * 7919) % 13) as f64 * 0.1)
                }
            })
            .collect();
        df!("y" => y, "x1" => x1, "x2" => x2).unwrap()
    }

    #[test]
    fn merged_batches_equal_the_full_fit() {
        let df = data();
        let full = ols(&df, "y", &["x1", "x2"]).unwrap();
        let mut parts = Vec::new();
        for (offset, len) in [(0, 1), (1, 120), (121, 0), (121, 279), (400, 100)] {
            let mut acc = OlsAccumulator::new("y", &["x1", "x2"]);
            acc.update(&df.slice(offset, len)).unwrap();
            parts.push(acc);
        }
        let mut total = OlsAccumulator::new("y", &["x1", "x2"]);
        for p in &parts {
            total.merge(p).unwrap();
        }
        let fit = total.fit().unwrap();
        assert_eq!(fit.nobs(), full.nobs());
        assert_eq!(fit.dropped(), 1);
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1e-300);
        for (a, b) in fit.params().iter().zip(full.params()) {
            assert!(close(*a, *b), "{a} vs {b}");
        }
        for (a, b) in fit.bse().iter().zip(full.bse()) {
            assert!(close(*a, *b), "{a} vs {b}");
        }
        for (a, b) in [
            (fit.rsquared(), full.rsquared()),
            (fit.fvalue(), full.fvalue()),
            (fit.llf(), full.llf()),
            (fit.aic(), full.aic()),
        ] {
            assert!(close(a, b), "{a} vs {b}");
        }
        assert!((fit.condition_number() / full.condition_number() - 1.0).abs() < 1e-6);
        assert!(!fit.has_residuals() && fit.durbin_watson().is_nan());
        assert!(fit.summary().to_string().contains("sufficient statistics"));
    }

    #[test]
    fn decay_zero_keeps_only_the_last_batch() {
        let df = data();
        let mut acc = OlsAccumulator::new("y", &["x1", "x2"])
            .with_decay(0.0)
            .unwrap();
        acc.update(&df.slice(0, 250)).unwrap();
        acc.update(&df.slice(250, 250)).unwrap();
        let last = ols(&df.slice(250, 250), "y", &["x1", "x2"]).unwrap();
        let fit = acc.fit().unwrap();
        for (a, b) in fit.params().iter().zip(last.params()) {
            assert!((a - b).abs() <= 1e-9 * b.abs(), "{a} vs {b}");
        }
        assert!(OlsAccumulator::new("y", &["x1"]).with_decay(1.5).is_err());
    }

    #[test]
    fn errors_leave_the_accumulator_usable() {
        let df = data();
        let mut acc = OlsAccumulator::new("y", &["x1", "x2"]);
        assert!(acc.fit().is_err());
        assert!(acc.update(&df.select(["y", "x1"]).unwrap()).is_err());
        assert_eq!(acc.nobs(), 0.0);
        acc.update(&df).unwrap();
        assert!(acc.merge(&OlsAccumulator::new("y", &["x1"])).is_err());
        assert!(acc.fit().is_ok());
        let mut collinear = OlsAccumulator::new("a", &["b", "c"]);
        collinear
            .update(&df!("a" => [1.0, 2.0, 3.0, 5.0, 4.0], "b" => [1.0, 2.0, 3.0, 4.0, 5.0], "c" => [2.0, 4.0, 6.0, 8.0, 10.0]).unwrap())
            .unwrap();
        assert!(
            collinear
                .fit()
                .unwrap_err()
                .to_string()
                .contains("collinear")
        );
    }
}
