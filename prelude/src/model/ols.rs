//! [`ols()`]: ordinary least squares with an intercept, solved by QR, with statsmodels' results.

use nalgebra::DMatrix;
use polars::prelude::*;
use rayon::prelude::*;
use statrs::distribution::{ChiSquared, ContinuousCDF, StudentsT};
use statrs::function::beta::beta_reg;

use super::summary::Summary;
use crate::dataset::Dataset;
use crate::display::{MimeBundle, Render};
use crate::error::{Error, Result};
use crate::stats::columns::ChunkedValues;

/// Rows per block of the parallel QR: a block of [1 x y] stays in the L2 cache.
const QR_BLOCK: usize = 4096;

/// The name of the intercept term, as statsmodels' `add_constant`.
const CONST: &str = "const";

/// A fitted ordinary least squares model, as statsmodels' `OLS(y, X).fit()`: the estimates,
/// their inference, goodness of fit and residual diagnostics.
///
/// Made by [`ols()`]. Terms are in the order `const`, then the regressors as given; vectors
/// ([`params`](Ols::params), [`bse`](Ols::bse)…) follow that order, and
/// [`coef_table`](Ols::coef_table) labels them. It shows as its [`summary`](Ols::summary).
///
/// ```
/// use eddy::prelude::*;
///
/// let fit = ols(&sp500()?, "JPM", &["BAC", "XOM"])?;
/// let table = fit.coef_table()?;
/// assert_eq!(table.shape(), (3, 7));
/// assert!(fit.nobs() > 8000.0);                       // rows with nulls are dropped
/// assert_eq!((fit.df_model(), fit.df_resid()), (2.0, fit.nobs() - 3.0));
/// # Ok::<(), eddy::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Ols {
    pub(super) endog_name: String,
    pub(super) exog_names: Vec<String>,
    pub(super) params: Vec<f64>,
    pub(super) bse: Vec<f64>,
    pub(super) tvalues: Vec<f64>,
    pub(super) pvalues: Vec<f64>,
    pub(super) nobs: f64,
    pub(super) dropped: usize,
    /// False for fits from sufficient statistics ([`OlsAccumulator`](super::OlsAccumulator)):
    /// no residuals, so no residual diagnostics.
    pub(super) has_residuals: bool,
    pub(super) ssr: f64,
    pub(super) centered_tss: f64,
    pub(super) resid: Vec<f64>,
    pub(super) fittedvalues: Vec<f64>,
    pub(super) condition_number: f64,
}

/// Fits `y ~ const + x[0] + x[1] + …` by ordinary least squares on the columns of `df`, as
/// statsmodels' `OLS(df[y], add_constant(df[x])).fit()`.
///
/// The least-squares problem is solved through a QR decomposition of the design matrix (not
/// the normal equations). Rows with a null or NaN in `y` or any column of `x` are dropped
/// first; [`summary`](Ols::summary) reports how many. Integer columns are cast to `f64`.
///
/// # Errors
///
/// [`Error::ColumnNotFound`] if `y` or a name in `x` is not a column of `df` (the message
/// lists the columns); [`Error::InvalidDtype`] if one is not numeric;
/// [`Error::InvalidParameter`] if `x` is empty, if fewer rows than parameters + 1 are left
/// after dropping nulls, or if the regressors are collinear (the design matrix does not have
/// full column rank).
///
/// # Example
///
/// ```
/// use eddy::prelude::*;
///
/// let df = df!("x" => [1.0, 2.0, 3.0, 4.0], "y" => [3.0, 5.0, 7.0, 9.0])?;
/// let fit = ols(&df, "y", &["x"])?;                 // y = 1 + 2 x exactly
/// assert!((fit.params()[0] - 1.0).abs() < 1e-12);
/// assert!((fit.params()[1] - 2.0).abs() < 1e-12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// On a [`SparkFrame`](crate::spark::SparkFrame) the sufficient statistics (n, means,
/// centred cross-products) are one aggregation on the cluster and the fit is
/// [`OlsAccumulator::fit`](super::OlsAccumulator::fit) here: the same estimates and
/// inference, without residuals.
pub fn ols<D: Dataset + ?Sized>(data: &D, y: &str, x: &[&str]) -> Result<Ols> {
    data.ols(y, x)
}

/// [`ols`] of a polars frame, computed here.
pub(crate) fn ols_frame(df: &DataFrame, y: &str, x: &[&str]) -> Result<Ols> {
    const OP: &str = "ols";
    let endog = checked_values(df, y, OP)?;
    // The design's columns after `const`: the regressors, then y (left in polars' chunks).
    let mut columns = x
        .iter()
        .map(|name| checked_values(df, name, OP))
        .collect::<Result<Vec<_>>>()?;
    columns.push(endog);
    if x.is_empty() {
        return Err(Error::InvalidParameter {
            operation: OP,
            name: "x",
            value: "an empty list".into(),
            rule: "at least one regressor column (the intercept `const` is added)",
        });
    }
    // Rows used: all of them unless a value is missing (null or NaN).
    let any_missing = columns.par_iter().any(ChunkedValues::has_missing);
    let height = df.height();
    let blocks: Vec<(usize, usize)> = (0..height.div_ceil(QR_BLOCK))
        .map(|b| (b * QR_BLOCK, ((b + 1) * QR_BLOCK).min(height)))
        .collect();
    let k = x.len() + 1;
    let width = k + 1;

    // Householder QR of [1 x y], by blocks of rows in parallel, then of the stacked R factors
    // (TSQR): as accurate as one QR of the whole design, without forming it or Q. With y as
    // the last column, R's last column holds Qᵀy and its corner |R[k,k]| = ‖resid‖.
    let factors: Vec<(DMatrix<f64>, usize)> = blocks
        .par_iter()
        .map(|&(lo, hi)| {
            let a = design_block(&columns, lo, hi, any_missing);
            let kept = a.nrows();
            let r = if kept == 0 { a } else { a.qr().r() };
            (r, kept)
        })
        .collect();
    let kept: Vec<usize> = factors.iter().map(|(_, kept)| *kept).collect();
    let n: usize = kept.iter().sum();
    if n <= k {
        return Err(Error::InvalidParameter {
            operation: OP,
            name: "df",
            value: format!("{n} complete rows for {k} parameters"),
            rule: "more rows without nulls than parameters (regressors + const)",
        });
    }
    let r = if factors.len() == 1 {
        factors
            .into_iter()
            .next()
            .map_or_else(|| DMatrix::zeros(width, width), |(r, _)| r)
    } else {
        let rows: usize = factors.iter().map(|(r, _)| r.nrows()).sum();
        let mut stacked = DMatrix::zeros(rows, width);
        let mut at = 0;
        for (block, _) in &factors {
            stacked.rows_mut(at, block.nrows()).copy_from(block);
            at += block.nrows();
        }
        stacked.qr().r()
    };
    let rxx = r.view((0, 0), (k, k)).into_owned();
    let qty = r.view((0, k), (k, 1)).into_owned();
    let ssr = r[(k, k)] * r[(k, k)];
    // Q's first column is the constant 1/√n, so (Qᵀy)₀² = n ȳ² and the rest of R's last
    // column holds the centred total sum of squares, without a pass over y or cancellation.
    let centered_tss: f64 = (1..=k).map(|i| r[(i, k)] * r[(i, k)]).sum();
    let singular = || Error::InvalidParameter {
        operation: OP,
        name: "x",
        value: format!("[{}]", x.join(", ")),
        rule: "regressors that are not collinear (with each other or with const)",
    };
    let largest = rxx.diagonal().iter().fold(0.0_f64, |m, d| m.max(d.abs()));
    if rxx
        .diagonal()
        .iter()
        .any(|d| d.abs() <= largest * n as f64 * f64::EPSILON)
    {
        return Err(singular());
    }
    let beta = rxx.solve_upper_triangular(&qty).ok_or_else(singular)?;
    let r_inv = rxx
        .solve_upper_triangular(&DMatrix::identity(k, k))
        .ok_or_else(singular)?;
    // (XᵀX)⁻¹ = R⁻¹ R⁻ᵀ; only its diagonal is needed: the squared row norms of R⁻¹.
    let cov_diag: Vec<f64> = (0..k).map(|i| r_inv.row(i).norm_squared()).collect();

    // Fitted values and residuals, block by block again, each block's into its own slices.
    let beta_v: Vec<f64> = beta.iter().copied().collect();
    let mut resid = vec![0.0; n];
    let mut fitted = vec![0.0; n];
    let mut outputs = Vec::with_capacity(blocks.len());
    let (mut resid_rest, mut fitted_rest) = (resid.as_mut_slice(), fitted.as_mut_slice());
    for &rows in &kept {
        let (r, r_rest) = resid_rest.split_at_mut(rows);
        let (f, f_rest) = fitted_rest.split_at_mut(rows);
        outputs.push((r, f));
        (resid_rest, fitted_rest) = (r_rest, f_rest);
    }
    blocks
        .par_iter()
        .zip(outputs)
        .for_each(|(&(lo, hi), (resid, fitted))| {
            let a = design_block(&columns, lo, hi, any_missing);
            let rows = a.nrows();
            let data = a.as_slice();
            // Column by column (contiguous, vectorised) rather than row by row.
            fitted.fill(beta_v[0]);
            for (j, b) in beta_v.iter().enumerate().skip(1) {
                for (f, v) in fitted.iter_mut().zip(&data[j * rows..(j + 1) * rows]) {
                    *f += b * v;
                }
            }
            for ((e, f), y) in resid.iter_mut().zip(fitted.iter()).zip(&data[k * rows..]) {
                *e = y - f;
            }
        });
    // The singular values of the design are those of R (Q has orthonormal columns).
    let singular_values = rxx.singular_values();
    let (smax, smin) = singular_values
        .iter()
        .fold((0.0_f64, f64::INFINITY), |(hi, lo), s| {
            (hi.max(*s), lo.min(*s))
        });
    let mut exog_names = vec![CONST.to_string()];
    exog_names.extend(x.iter().map(|s| s.to_string()));
    Ok(Ols::assemble(
        Parts {
            endog_name: y.to_string(),
            exog_names,
            params: beta.iter().copied().collect(),
            cov_unscaled_diag: cov_diag,
            nobs: n as f64,
            dropped: df.height() - n,
            ssr,
            centered_tss,
            condition_number: smax / smin,
        },
        Some((resid, fitted)),
    ))
}

/// What a least-squares solver hands to [`Ols::assemble`], which derives the inference.
pub(super) struct Parts {
    pub(super) endog_name: String,
    pub(super) exog_names: Vec<String>,
    pub(super) params: Vec<f64>,
    /// diag((XᵀX)⁻¹): the coefficients' variances divided by σ̂².
    pub(super) cov_unscaled_diag: Vec<f64>,
    pub(super) nobs: f64,
    pub(super) dropped: usize,
    pub(super) ssr: f64,
    pub(super) centered_tss: f64,
    pub(super) condition_number: f64,
}

impl Ols {
    /// The fit from a solver's estimates: standard errors, t statistics and p-values from
    /// σ̂² = SSR / df_resid. `residuals` are (resid, fittedvalues) when the solver has them.
    pub(super) fn assemble(parts: Parts, residuals: Option<(Vec<f64>, Vec<f64>)>) -> Ols {
        let df_resid = parts.nobs - parts.params.len() as f64;
        let scale = parts.ssr / df_resid;
        let bse: Vec<f64> = parts
            .cov_unscaled_diag
            .iter()
            .map(|c| (c * scale).sqrt())
            .collect();
        let tvalues: Vec<f64> = parts.params.iter().zip(&bse).map(|(p, s)| p / s).collect();
        let pvalues = tvalues
            .iter()
            .map(|t| 2.0 * t_sf(t.abs(), df_resid))
            .collect();
        let has_residuals = residuals.is_some();
        let (resid, fittedvalues) = residuals.unwrap_or_default();
        Ols {
            endog_name: parts.endog_name,
            exog_names: parts.exog_names,
            params: parts.params,
            bse,
            tvalues,
            pvalues,
            nobs: parts.nobs,
            dropped: parts.dropped,
            has_residuals,
            ssr: parts.ssr,
            centered_tss: parts.centered_tss,
            resid,
            fittedvalues,
            condition_number: parts.condition_number,
        }
    }
}

impl Ols {
    /// The name of the dependent variable (`y`).
    pub fn endog_name(&self) -> &str {
        &self.endog_name
    }

    /// The names of the terms: `const`, then the regressors in the order given.
    pub fn exog_names(&self) -> &[String] {
        &self.exog_names
    }

    /// The estimated coefficients, one per term of [`exog_names`](Ols::exog_names).
    pub fn params(&self) -> &[f64] {
        &self.params
    }

    /// The standard errors of the coefficients: √(σ̂² · diag((XᵀX)⁻¹)), σ̂² = SSR / df_resid.
    pub fn bse(&self) -> &[f64] {
        &self.bse
    }

    /// The t statistics, `params / bse`.
    pub fn tvalues(&self) -> &[f64] {
        &self.tvalues
    }

    /// The two-sided p-values of the t statistics, with `df_resid` degrees of freedom.
    pub fn pvalues(&self) -> &[f64] {
        &self.pvalues
    }

    /// The `1 − alpha` confidence intervals of the coefficients (t quantiles with
    /// `df_resid` degrees of freedom), as a frame with columns `term`, `lower`, `upper`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] unless `0 < alpha < 1`.
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let fit = ols(&sp500()?, "JPM", &["BAC"])?;
    /// let ci = fit.conf_int(0.05)?;
    /// assert_eq!(ci.get_column_names(), ["term", "lower", "upper"]);
    /// assert!(fit.conf_int(1.5).is_err());
    /// # Ok::<(), eddy::Error>(())
    /// ```
    pub fn conf_int(&self, alpha: f64) -> Result<DataFrame> {
        let (lower, upper) = self.bounds(alpha)?;
        labelled(
            self,
            vec![("lower".to_string(), lower), ("upper".to_string(), upper)],
        )
    }

    /// The lower and upper `1 − alpha` confidence bounds.
    pub(super) fn bounds(&self, alpha: f64) -> Result<(Vec<f64>, Vec<f64>)> {
        if !(alpha > 0.0 && alpha < 1.0) {
            return Err(Error::InvalidParameter {
                operation: "Ols::conf_int",
                name: "alpha",
                value: alpha.to_string(),
                rule: "in (0, 1)",
            });
        }
        let q = t_quantile(1.0 - alpha / 2.0, self.df_resid());
        let lower = self.params.iter().zip(&self.bse).map(|(p, s)| p - q * s);
        let upper = self.params.iter().zip(&self.bse).map(|(p, s)| p + q * s);
        Ok((lower.collect(), upper.collect()))
    }

    /// The coefficient table of the summary as a frame: `term`, `coef`, `std err`, `t`,
    /// `P>|t|`, `[0.025`, `0.975]`.
    ///
    /// # Errors
    ///
    /// [`Error::Polars`] only if the frame cannot be built.
    pub fn coef_table(&self) -> Result<DataFrame> {
        let (lower, upper) = self.bounds(0.05)?;
        labelled(
            self,
            vec![
                ("coef".to_string(), self.params.clone()),
                ("std err".to_string(), self.bse.clone()),
                ("t".to_string(), self.tvalues.clone()),
                ("P>|t|".to_string(), self.pvalues.clone()),
                ("[0.025".to_string(), lower),
                ("0.975]".to_string(), upper),
            ],
        )
    }

    /// The number of observations used (rows without nulls).
    pub fn nobs(&self) -> f64 {
        self.nobs
    }

    /// The number of rows dropped because `y` or a regressor was null or NaN.
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    /// The model degrees of freedom: the number of regressors, without `const`.
    pub fn df_model(&self) -> f64 {
        (self.params.len() - 1) as f64
    }

    /// The residual degrees of freedom: `nobs − number of params`.
    pub fn df_resid(&self) -> f64 {
        self.nobs - self.params.len() as f64
    }

    /// Whether the fit has its residuals: false for a fit from sufficient statistics
    /// ([`OlsAccumulator::fit`](super::OlsAccumulator::fit)), whose `resid` and
    /// `fittedvalues` are empty and whose residual diagnostics (Durbin-Watson, Jarque-Bera,
    /// omnibus) are NaN.
    pub fn has_residuals(&self) -> bool {
        self.has_residuals
    }

    /// The sum of squared residuals.
    pub fn ssr(&self) -> f64 {
        self.ssr
    }

    /// R² = 1 − SSR / Σ(y − ȳ)².
    pub fn rsquared(&self) -> f64 {
        1.0 - self.ssr / self.centered_tss
    }

    /// The adjusted R²: 1 − (nobs − 1) / df_resid · (1 − R²).
    pub fn rsquared_adj(&self) -> f64 {
        1.0 - (self.nobs() - 1.0) / self.df_resid() * (1.0 - self.rsquared())
    }

    /// The F statistic of the hypothesis that every coefficient but `const` is zero.
    pub fn fvalue(&self) -> f64 {
        let mse_model = (self.centered_tss - self.ssr) / self.df_model();
        mse_model / (self.ssr / self.df_resid())
    }

    /// The p-value of [`fvalue`](Ols::fvalue) (F distribution, df_model and df_resid).
    pub fn f_pvalue(&self) -> f64 {
        let (d1, d2, f) = (self.df_model(), self.df_resid(), self.fvalue());
        if f.is_nan() {
            return f64::NAN;
        }
        // P(F > f) = I_{d2 / (d2 + d1 f)}(d2/2, d1/2), without the cancellation of 1 − cdf.
        beta_reg(d2 / 2.0, d1 / 2.0, d2 / (d2 + d1 * f))
    }

    /// The log-likelihood: −n/2 · (ln(2π) + ln(SSR / n) + 1).
    pub fn llf(&self) -> f64 {
        let n = self.nobs();
        -n / 2.0 * ((2.0 * std::f64::consts::PI).ln() + (self.ssr / n).ln() + 1.0)
    }

    /// Akaike's information criterion: −2 llf + 2 k, k the number of params (with `const`).
    pub fn aic(&self) -> f64 {
        -2.0 * self.llf() + 2.0 * self.params.len() as f64
    }

    /// The Bayesian information criterion: −2 llf + ln(nobs) · k.
    pub fn bic(&self) -> f64 {
        -2.0 * self.llf() + self.nobs().ln() * self.params.len() as f64
    }

    /// The Durbin-Watson statistic of the residuals: Σ(eₜ − eₜ₋₁)² / Σeₜ².
    pub fn durbin_watson(&self) -> f64 {
        if !self.has_residuals {
            return f64::NAN;
        }
        let num: f64 = self.resid.windows(2).map(|w| (w[1] - w[0]).powi(2)).sum();
        num / self.ssr
    }

    /// The Jarque-Bera test of the residuals' normality, as statsmodels' `jarque_bera`:
    /// `(statistic, p-value, skew, kurtosis)`, skew and (not excess) kurtosis without bias
    /// correction; the p-value from χ² with 2 degrees of freedom.
    pub fn jarque_bera(&self) -> (f64, f64, f64, f64) {
        if !self.has_residuals {
            return (f64::NAN, f64::NAN, f64::NAN, f64::NAN);
        }
        let (skew, kurtosis) = skew_kurtosis(&self.resid);
        let n = self.nobs();
        let jb = n / 6.0 * (skew * skew + (kurtosis - 3.0).powi(2) / 4.0);
        (jb, chi2_sf(jb, 2.0), skew, kurtosis)
    }

    /// D'Agostino and Pearson's omnibus test of the residuals' normality, as
    /// `scipy.stats.normaltest`: `(statistic K², p-value)`. NaN with fewer than 8 residuals.
    pub fn omnibus(&self) -> (f64, f64) {
        let n = self.nobs();
        if n < 8.0 || !self.has_residuals {
            return (f64::NAN, f64::NAN);
        }
        let (b1, b2) = skew_kurtosis(&self.resid);
        // scipy.stats.skewtest
        let y = b1 * ((n + 1.0) * (n + 3.0) / (6.0 * (n - 2.0))).sqrt();
        let beta2 = 3.0 * (n * n + 27.0 * n - 70.0) * (n + 1.0) * (n + 3.0)
            / ((n - 2.0) * (n + 5.0) * (n + 7.0) * (n + 9.0));
        let w2 = -1.0 + (2.0 * (beta2 - 1.0)).sqrt();
        let delta = 1.0 / (0.5 * w2.ln()).sqrt();
        let alpha = (2.0 / (w2 - 1.0)).sqrt();
        let y = if y == 0.0 { 1.0 } else { y };
        let zs = delta * (y / alpha + ((y / alpha).powi(2) + 1.0).sqrt()).ln();
        // scipy.stats.kurtosistest
        let e = 3.0 * (n - 1.0) / (n + 1.0);
        let varb2 = 24.0 * n * (n - 2.0) * (n - 3.0) / ((n + 1.0).powi(2) * (n + 3.0) * (n + 5.0));
        let x = (b2 - e) / varb2.sqrt();
        let sqrtbeta1 = 6.0 * (n * n - 5.0 * n + 2.0) / ((n + 7.0) * (n + 9.0))
            * (6.0 * (n + 3.0) * (n + 5.0) / (n * (n - 2.0) * (n - 3.0))).sqrt();
        let a = 6.0
            + 8.0 / sqrtbeta1 * (2.0 / sqrtbeta1 + (1.0 + 4.0 / (sqrtbeta1 * sqrtbeta1)).sqrt());
        let term1 = 1.0 - 2.0 / (9.0 * a);
        let denom = 1.0 + x * (2.0 / (a - 4.0)).sqrt();
        let term2 = if denom == 0.0 {
            f64::NAN
        } else {
            denom.signum() * ((1.0 - 2.0 / a) / denom.abs()).powf(1.0 / 3.0)
        };
        let zk = (term1 - term2) / (2.0 / (9.0 * a)).sqrt();
        let k2 = zs * zs + zk * zk;
        (k2, chi2_sf(k2, 2.0))
    }

    /// The condition number of the design matrix (with `const`): the ratio of its largest
    /// to its smallest singular value, as `np.linalg.cond(exog)` and statsmodels'
    /// `condition_number`.
    pub fn condition_number(&self) -> f64 {
        self.condition_number
    }

    /// The residuals `y − ŷ` of the rows used, as a series named `resid`.
    pub fn resid(&self) -> Series {
        Series::new("resid".into(), self.resid.clone())
    }

    /// The fitted values `ŷ` of the rows used, as a series named `fittedvalues`.
    pub fn fittedvalues(&self) -> Series {
        Series::new("fittedvalues".into(), self.fittedvalues.clone())
    }

    /// Predictions `const + Σ params · x` for every row of `df`, which needs the regressor
    /// columns (not `y`); a row with a null or NaN regressor predicts null. The series is
    /// named `predicted`.
    ///
    /// # Errors
    ///
    /// [`Error::ColumnNotFound`] if a regressor is not a column of `df`;
    /// [`Error::InvalidDtype`] if one is not numeric.
    ///
    /// ```
    /// use eddy::prelude::*;
    ///
    /// let df = sp500()?;
    /// let fit = ols(&df, "JPM", &["BAC", "KO"])?;
    /// let predicted = fit.predict(&df.head(Some(5)))?;
    /// assert_eq!(predicted.len(), 5);
    /// # Ok::<(), eddy::Error>(())
    /// ```
    pub fn predict(&self, df: &DataFrame) -> Result<Series> {
        let columns = self.exog_names[1..]
            .iter()
            .map(|name| numeric_column(df, name, "Ols::predict"))
            .collect::<Result<Vec<_>>>()?;
        let values: Vec<Option<f64>> = (0..df.height())
            .map(|i| {
                columns
                    .iter()
                    .zip(&self.params[1..])
                    .try_fold(self.params[0], |acc, (c, p)| {
                        c[i].filter(|v| !v.is_nan()).map(|v| acc + p * v)
                    })
            })
            .collect();
        Ok(Series::new("predicted".into(), values))
    }

    /// statsmodels' summary: the header block, the coefficient table, the residual
    /// diagnostics and the notes. Shows as text and as HTML.
    pub fn summary(&self) -> Summary {
        Summary::new(self)
    }
}

impl std::fmt::Display for Ols {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.summary())
    }
}

/// Shows as its [`summary`](Ols::summary).
///
/// ```
/// use eddy::prelude::*;
///
/// let fit = ols(&sp500()?, "JPM", &["BAC"])?;
/// assert!(fit.mime_bundle().get("text/html").unwrap().contains("BAC"));
/// # Ok::<(), eddy::Error>(())
/// ```
impl Render for Ols {
    fn mime_bundle(&self) -> MimeBundle {
        self.summary().mime_bundle()
    }
}

/// `name`'s values as `f64` (nulls as `None`), or the error naming the missing column or
/// its dtype.
pub(super) fn numeric_column(
    df: &DataFrame,
    name: &str,
    operation: &'static str,
) -> Result<Vec<Option<f64>>> {
    let column = df
        .column(name)
        .map_err(|_| Error::column_not_found(operation, name, df))?;
    if !column.dtype().is_primitive_numeric() {
        return Err(Error::InvalidDtype {
            operation,
            column: name.to_string(),
            dtype: column.dtype().to_string(),
            expected: "a numeric (float or integer) column",
        });
    }
    let cast = column.cast(&DataType::Float64)?;
    Ok(cast.f64()?.iter().collect())
}

/// `name`'s values (nulls as NaN), or the error naming the missing column or its dtype.
fn checked_values(df: &DataFrame, name: &str, operation: &'static str) -> Result<ChunkedValues> {
    let column = df
        .column(name)
        .map_err(|_| Error::column_not_found(operation, name, df))?;
    if !column.dtype().is_primitive_numeric() {
        return Err(Error::InvalidDtype {
            operation,
            column: name.to_string(),
            dtype: column.dtype().to_string(),
            expected: "a numeric (float or integer) column",
        });
    }
    ChunkedValues::of(column)
}

/// Rows `lo..hi` of the design [1 x… y] (`columns` are x… y), without the rows holding a
/// missing value when there are any.
fn design_block(
    columns: &[ChunkedValues],
    lo: usize,
    hi: usize,
    any_missing: bool,
) -> DMatrix<f64> {
    let rows = hi - lo;
    let mut data = vec![0.0; rows * (columns.len() + 1)];
    let (ones, rest) = data.split_at_mut(rows);
    ones.fill(1.0);
    for (column, out) in columns.iter().zip(rest.chunks_mut(rows)) {
        column.copy_rows(lo, out);
    }
    let a = DMatrix::from_vec(rows, columns.len() + 1, data);
    if !any_missing {
        return a;
    }
    let complete: Vec<usize> = (0..rows)
        .filter(|&r| a.row(r).iter().all(|v| !v.is_nan()))
        .collect();
    if complete.len() == rows {
        a
    } else {
        a.select_rows(&complete)
    }
}

/// A frame with a `term` column of `fit`'s term names, then `columns`.
fn labelled(fit: &Ols, columns: Vec<(String, Vec<f64>)>) -> Result<DataFrame> {
    let height = fit.exog_names.len();
    let mut all = Vec::with_capacity(columns.len() + 1);
    all.push(Column::new("term".into(), fit.exog_names.clone()));
    for (name, values) in columns {
        all.push(Column::new(name.as_str().into(), values));
    }
    Ok(DataFrame::new(height, all)?)
}

/// P(T > t) for Student's t with `df` degrees of freedom.
fn t_sf(t: f64, df: f64) -> f64 {
    StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |d| d.sf(t))
}

/// The `p` quantile of Student's t with `df` degrees of freedom.
fn t_quantile(p: f64, df: f64) -> f64 {
    StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |d| d.inverse_cdf(p))
}

/// P(X > x) for χ² with `df` degrees of freedom.
fn chi2_sf(x: f64, df: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    ChiSquared::new(df).map_or(f64::NAN, |d| d.sf(x))
}

/// The skewness and (not excess) kurtosis of `values`, without bias correction, as
/// `scipy.stats.skew` and `scipy.stats.kurtosis(fisher=False)`.
fn skew_kurtosis(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let m = |p: i32| values.iter().map(|v| (v - mean).powi(p)).sum::<f64>() / n;
    let (m2, m3, m4) = (m(2), m(3), m(4));
    (m3 / m2.powf(1.5), m4 / (m2 * m2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(got: f64, expected: f64, tol: f64) -> bool {
        (got - expected).abs() <= tol * expected.abs().max(1.0)
    }

    #[test]
    fn noiseless_data_is_fitted_exactly() {
        let x1: Vec<f64> = (0..20).map(|i| i as f64).collect();
        let x2: Vec<f64> = (0..20).map(|i| ((i * 7) % 5) as f64 - 2.0).collect();
        let y: Vec<f64> = x1
            .iter()
            .zip(&x2)
            .map(|(a, b)| 1.5 - 2.0 * a + 0.25 * b)
            .collect();
        let df = df!("y" => y, "x1" => x1, "x2" => x2).unwrap();
        let fit = ols(&df, "y", &["x1", "x2"]).unwrap();
        for (got, expected) in fit.params().iter().zip([1.5, -2.0, 0.25]) {
            assert!(
                close(*got, expected, 1e-12),
                "expected {expected}, got {got}"
            );
        }
        assert!(close(fit.rsquared(), 1.0, 1e-12), "{}", fit.rsquared());
        assert!(fit.ssr() < 1e-20, "{}", fit.ssr());
        assert_eq!(
            (fit.nobs(), fit.df_model(), fit.df_resid()),
            (20.0, 2.0, 17.0)
        );
        let table = fit.coef_table().unwrap();
        assert_eq!(
            table.get_column_names(),
            ["term", "coef", "std err", "t", "P>|t|", "[0.025", "0.975]"]
        );
        let predicted = fit.predict(&df).unwrap();
        let predicted: Vec<f64> = predicted.f64().unwrap().into_no_null_iter().collect();
        let y: Vec<f64> = df
            .column("y")
            .unwrap()
            .f64()
            .unwrap()
            .into_no_null_iter()
            .collect();
        for (p, y) in predicted.iter().zip(&y) {
            assert!(close(*p, *y, 1e-12), "expected {y}, got {p}");
        }
    }

    #[test]
    fn nulls_are_dropped_and_counted() {
        let df = df!(
            "y" => [Some(1.0), Some(2.9), None, Some(7.2), Some(8.8), Some(11.1)],
            "x" => [Some(0i32), Some(1), Some(2), None, Some(4), Some(5)],
        )
        .unwrap();
        let fit = ols(&df, "y", &["x"]).unwrap();
        assert_eq!((fit.nobs(), fit.dropped()), (4.0, 2));
        assert_eq!(fit.resid().len(), 4);
        let text = fit.summary().to_string();
        assert!(text.contains("2 rows with a null or NaN"), "{text}");
        let predicted = fit.predict(&df).unwrap();
        assert_eq!(predicted.null_count(), 1);
    }

    #[test]
    fn many_chunks_and_blocks_with_missing_rows_fit_as_the_complete_rows() {
        // Three chunks that do not line up with the QR blocks, nulls and NaNs in all columns.
        let part = |from: usize, to: usize| {
            let value = |i: usize, salt: f64| ((i as f64) * 0.37 + salt).sin() * 10.0;
            let gap = |i: usize, every: usize, v: f64| (i % every != 3).then_some(v);
            df!(
                "y" => (from..to).map(|i| gap(i, 97, 1.5 + 2.0 * value(i, 0.1) - value(i, 0.7) + value(i, 2.3) * 0.1)).collect::<Vec<_>>(),
                "a" => (from..to).map(|i| gap(i, 101, value(i, 0.1))).collect::<Vec<_>>(),
                "b" => (from..to).map(|i| if i % 89 == 5 { f64::NAN } else { value(i, 0.7) }).collect::<Vec<_>>(),
            )
            .unwrap()
        };
        let mut df = part(0, 3000);
        df.vstack_mut(&part(3000, 7001)).unwrap();
        df.vstack_mut(&part(7001, 10_000)).unwrap();
        assert_eq!(df.first_col_n_chunks(), 3);
        let fit = ols(&df, "y", &["a", "b"]).unwrap();
        let complete = df
            .lazy()
            .filter(col("b").is_not_nan())
            .collect()
            .unwrap()
            .drop_nulls::<String>(None)
            .unwrap();
        let reference = ols(&complete, "y", &["a", "b"]).unwrap();
        assert_eq!(fit.nobs(), complete.height() as f64);
        assert_eq!(fit.dropped(), 10_000 - complete.height());
        assert_eq!(fit.resid().len(), complete.height());
        for (got, expected) in fit.params().iter().zip(reference.params()) {
            assert!(close(*got, *expected, 1e-12), "{got} vs {expected}");
        }
        assert!(close(fit.rsquared(), reference.rsquared(), 1e-12));
        let resid = fit.resid();
        let expected = reference.resid();
        let (resid, expected) = (resid.f64().unwrap(), expected.f64().unwrap());
        for (got, want) in resid.into_no_null_iter().zip(expected.into_no_null_iter()) {
            assert!((got - want).abs() < 1e-9, "{got} vs {want}");
        }
    }

    #[test]
    fn bad_inputs_are_errors() {
        let df =
            df!("y" => [1.0, 2.0, 3.0], "x" => [1.0, 2.0, 4.0], "s" => ["a", "b", "c"]).unwrap();
        let err = ols(&df, "y", &["z"]).unwrap_err();
        assert!(matches!(err, Error::ColumnNotFound { .. }), "{err}");
        assert!(
            err.to_string().starts_with("ols: column `z` not found"),
            "{err}"
        );
        assert!(err.to_string().contains("y, x, s"), "{err}");
        let err = ols(&df, "s", &["x"]).unwrap_err();
        assert!(matches!(err, Error::InvalidDtype { .. }), "{err}");
        let err = ols(&df.head(Some(2)), "y", &["x"]).unwrap_err();
        assert!(matches!(err, Error::InvalidParameter { .. }), "{err}");
        assert!(
            err.to_string().contains("2 complete rows for 2 parameters"),
            "{err}"
        );
        let err = ols(&df, "y", &[]).unwrap_err();
        assert!(matches!(err, Error::InvalidParameter { .. }), "{err}");
        let collinear = df!("y" => [1.0, 2.0, 3.5, 4.0], "a" => [1.0, 2.0, 3.0, 4.0], "b" => [2.0, 4.0, 6.0, 8.0]).unwrap();
        let err = ols(&collinear, "y", &["a", "b"]).unwrap_err();
        assert!(err.to_string().contains("collinear"), "{err}");
        let fit = ols(&df, "y", &["x"]).unwrap();
        assert!(fit.conf_int(0.0).is_err());
        assert!(fit.predict(&df.drop("x").unwrap()).is_err());
    }

    #[test]
    fn skew_and_kurtosis_are_the_biased_moments() {
        // scipy.stats.skew([1, 2, 3, 10]) and scipy.stats.kurtosis(..., fisher=False)
        let (s, k) = skew_kurtosis(&[1.0, 2.0, 3.0, 10.0]);
        assert!(close(s, 1.0182337649086284, 1e-12), "{s}");
        assert!(close(k, 2.2304, 1e-12), "{k}");
    }
}
