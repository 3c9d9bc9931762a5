//! Student's t-tests: [`ttest_1samp`], [`ttest_ind`] (Student or Welch) and [`ttest_rel`].

use polars::prelude::*;

use super::result::t_pvalue;
use super::{Alternative, TestResult, mean, paired_values, require_len, values, var};
use crate::error::Result;

const NAME: &str = "TtestResult";

/// The one-sample t-test of `H0: mean(a) = popmean`, as `scipy.stats.ttest_1samp`, nulls and
/// NaNs dropped. `df` is n − 1.
///
/// # Errors
///
/// [`Error::InvalidDtype`](crate::Error::InvalidDtype) if `a` is not numeric,
/// [`Error::InvalidParameter`](crate::Error::InvalidParameter) if fewer than 2 values are left.
///
/// ```
/// use eddy::prelude::*;
///
/// let a = Series::new("a".into(), [2.1, 1.9, 2.4, 2.2, 2.0]);
/// let res = ttest_1samp(&a, 2.0, Alternative::TwoSided)?;
/// assert_eq!(res.df, Some(4.0));
/// assert!(res.statistic > 0.0 && res.pvalue > 0.05);
/// # Ok::<(), eddy::Error>(())
/// ```
pub fn ttest_1samp(a: &Series, popmean: f64, alternative: Alternative) -> Result<TestResult> {
    let x = values(a, "ttest_1samp")?;
    one_sample(&x, popmean, alternative, "ttest_1samp")
}

fn one_sample(
    x: &[f64],
    popmean: f64,
    alternative: Alternative,
    operation: &'static str,
) -> Result<TestResult> {
    require_len(x.len(), 2, operation, "at least 2")?;
    let n = x.len() as f64;
    let df = n - 1.0;
    let t = (mean(x) - popmean) / (var(x) / n).sqrt();
    Ok(TestResult {
        statistic: t,
        pvalue: t_pvalue(t, df, alternative),
        df: Some(df),
        name: NAME,
    })
}

/// The two-sample t-test of `H0: mean(a) = mean(b)`, as `scipy.stats.ttest_ind`: Student's
/// pooled-variance test if `equal_var`, else Welch's with Welch–Satterthwaite degrees of
/// freedom. Nulls and NaNs are dropped from each sample separately.
///
/// # Errors
///
/// [`Error::InvalidDtype`](crate::Error::InvalidDtype) if a series is not numeric,
/// [`Error::InvalidParameter`](crate::Error::InvalidParameter) if a sample has fewer than 2
/// values left.
///
/// ```
/// use eddy::prelude::*;
///
/// let a = Series::new("a".into(), [1.0, 2.0, 3.0, 4.0]);
/// let b = Series::new("b".into(), [2.0, 4.0, 6.0, 8.0, 10.0]);
/// let student = ttest_ind(&a, &b, true, Alternative::Less)?;
/// let welch = ttest_ind(&a, &b, false, Alternative::Less)?;
/// assert_eq!(student.df, Some(7.0));
/// assert!(welch.df.unwrap() < 7.0 && welch.pvalue < 0.05);
/// # Ok::<(), eddy::Error>(())
/// ```
pub fn ttest_ind(
    a: &Series,
    b: &Series,
    equal_var: bool,
    alternative: Alternative,
) -> Result<TestResult> {
    let (xa, xb) = (values(a, "ttest_ind")?, values(b, "ttest_ind")?);
    require_len(xa.len(), 2, "ttest_ind", "at least 2 in each sample")?;
    require_len(xb.len(), 2, "ttest_ind", "at least 2 in each sample")?;
    let (na, nb) = (xa.len() as f64, xb.len() as f64);
    let (va, vb) = (var(&xa), var(&xb));
    let (df, denom) = if equal_var {
        let df = na + nb - 2.0;
        let pooled = ((na - 1.0) * va + (nb - 1.0) * vb) / df;
        (df, (pooled * (1.0 / na + 1.0 / nb)).sqrt())
    } else {
        let (vna, vnb) = (va / na, vb / nb);
        let df = (vna + vnb).powi(2) / (vna * vna / (na - 1.0) + vnb * vnb / (nb - 1.0));
        (df, (vna + vnb).sqrt())
    };
    let t = (mean(&xa) - mean(&xb)) / denom;
    Ok(TestResult {
        statistic: t,
        pvalue: t_pvalue(t, df, alternative),
        df: Some(df),
        name: NAME,
    })
}

/// The paired t-test of `H0: mean(a − b) = 0`, as `scipy.stats.ttest_rel`: a one-sample test
/// of the differences. A pair is dropped if either value is null or NaN.
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
/// let before = Series::new("before".into(), [140.0, 152.0, 138.0, 147.0]);
/// let after = Series::new("after".into(), [135.0, 149.0, 137.0, 140.0]);
/// let res = ttest_rel(&before, &after, Alternative::Greater)?;
/// assert!(res.statistic > 0.0 && res.pvalue < 0.05);
/// # Ok::<(), eddy::Error>(())
/// ```
pub fn ttest_rel(a: &Series, b: &Series, alternative: Alternative) -> Result<TestResult> {
    let (xa, xb) = paired_values(a, b, "ttest_rel")?;
    let d: Vec<f64> = xa.iter().zip(&xb).map(|(x, y)| x - y).collect();
    one_sample(&d, 0.0, alternative, "ttest_rel")
}
