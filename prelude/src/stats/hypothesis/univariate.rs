//! [`pearsonr`] (correlation with its t-test) and [`jarque_bera`] (normality from skew and kurtosis).

use polars::prelude::*;

use super::result::t_pvalue;
use super::{Alternative, TestResult, mean, paired_values, require_len, values};
use crate::error::Result;

/// Pearson's r of `x` and `y` with the two-sided p-value of `H0: r = 0`, as
/// `scipy.stats.pearsonr` (from Student's t with n − 2 degrees of freedom). A pair is dropped
/// if either value is null or NaN. With 2 pairs r is ±1 and the p-value 1; with a constant
/// input both are NaN.
///
/// # Errors
///
/// [`Error::InvalidDtype`](crate::Error::InvalidDtype) if a series is not numeric,
/// [`Error::InvalidParameter`](crate::Error::InvalidParameter) if the series differ in length
/// or fewer than 2 complete pairs are left.
///
/// ```
/// use eddy::prelude::*;
///
/// let x = Series::new("x".into(), [1.0, 2.0, 3.0, 4.0, 5.0]);
/// let y = Series::new("y".into(), [2.0, 4.1, 5.9, 8.2, 9.9]);
/// let res = pearsonr(&x, &y)?;
/// assert!(res.statistic > 0.99 && res.pvalue < 0.001);
/// assert_eq!(res.name, "PearsonRResult");
/// # Ok::<(), eddy::Error>(())
/// ```
pub fn pearsonr(x: &Series, y: &Series) -> Result<TestResult> {
    let (x, y) = paired_values(x, y, "pearsonr")?;
    require_len(x.len(), 2, "pearsonr", "at least 2 (complete pairs)")?;
    if x.len() == 2 {
        // As scipy: two points are exactly on a line (r = ±1, or NaN if one is constant).
        let r = (x[1] - x[0]).signum() * (y[1] - y[0]).signum();
        let r = if x[1] == x[0] || y[1] == y[0] {
            f64::NAN
        } else {
            r
        };
        return Ok(TestResult {
            statistic: r,
            pvalue: if r.is_nan() { f64::NAN } else { 1.0 },
            df: None,
            name: "PearsonRResult",
        });
    }
    let (mx, my) = (mean(&x), mean(&y));
    let norm = |v: &[f64], m: f64| v.iter().map(|a| (a - m) * (a - m)).sum::<f64>().sqrt();
    let (nx, ny) = (norm(x.as_slice(), mx), norm(y.as_slice(), my));
    let r = x
        .iter()
        .zip(&y)
        .map(|(a, b)| ((a - mx) / nx) * ((b - my) / ny))
        .sum::<f64>()
        .clamp(-1.0, 1.0);
    let n = x.len() as f64;
    let pvalue = if r.is_nan() {
        f64::NAN
    } else if x.len() == 2 || r.abs() == 1.0 {
        if x.len() == 2 { 1.0 } else { 0.0 }
    } else {
        let t = r * ((n - 2.0) / (1.0 - r * r)).sqrt();
        t_pvalue(t, n - 2.0, Alternative::TwoSided)
    };
    Ok(TestResult {
        statistic: r,
        pvalue,
        df: None,
        name: "PearsonRResult",
    })
}

/// The Jarque–Bera test of normality, as `scipy.stats.jarque_bera`: n/6 · (S² + K²/4) with
/// the biased sample skewness S and excess kurtosis K, against χ² with 2 degrees of freedom.
/// Nulls and NaNs are dropped.
///
/// # Errors
///
/// [`Error::InvalidDtype`](crate::Error::InvalidDtype) if `x` is not numeric,
/// [`Error::InvalidParameter`](crate::Error::InvalidParameter) if fewer than 2 values are left.
///
/// ```
/// use eddy::prelude::*;
///
/// let x = Series::new("x".into(), [1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 10.0]);
/// let res = jarque_bera(&x)?;
/// assert!(res.statistic > 2.0);
/// assert!((res.pvalue - (-res.statistic / 2.0).exp()).abs() < 1e-15);
/// # Ok::<(), eddy::Error>(())
/// ```
pub fn jarque_bera(x: &Series) -> Result<TestResult> {
    let x = values(x, "jarque_bera")?;
    require_len(x.len(), 2, "jarque_bera", "at least 2")?;
    let n = x.len() as f64;
    let m = mean(&x);
    let moment = |k: i32| x.iter().map(|v| (v - m).powi(k)).sum::<f64>() / n;
    let (m2, m3, m4) = (moment(2), moment(3), moment(4));
    let skew = m3 / m2.powf(1.5);
    let kurt = m4 / (m2 * m2) - 3.0;
    let statistic = n / 6.0 * (skew * skew + kurt * kurt / 4.0);
    Ok(TestResult {
        statistic,
        // The survival function of χ² with 2 degrees of freedom is exp(−x/2).
        pvalue: (-statistic / 2.0).exp(),
        df: None,
        name: "SignificanceResult",
    })
}
