//! Hypothesis tests named as in `scipy.stats`: t-tests, [`pearsonr`], [`jarque_bera`],
//! [`chisquare`] and [`chi2_contingency`], each returning a [`TestResult`].
//!
//! Statistics and p-values follow scipy's defaults, with one deliberate difference: nulls and
//! NaNs are dropped first (scipy's `nan_policy='omit'`; scipy's default `propagate` would
//! return NaN). Paired inputs (`ttest_rel`, `pearsonr`, `chisquare` with `expected`) drop a
//! pair if either value is missing. Distributions come from `statrs`.
//!
//! ```
//! use eddy::prelude::*;
//!
//! let a = Series::new("a".into(), [5.1, 4.9, 5.6, 5.8, 6.0, 5.5]);
//! let b = Series::new("b".into(), [4.2, 4.8, 4.4, 5.0, 4.6, 4.7]);
//! let res = ttest_ind(&a, &b, false, Alternative::TwoSided)?;
//! assert!(res.statistic > 0.0 && res.pvalue < 0.01);
//! assert!(res.to_string().starts_with("TtestResult(statistic="));
//! # Ok::<(), eddy::Error>(())
//! ```

mod chisquare;
mod ks;
mod result;
mod ttest;
mod univariate;

pub use chisquare::{chi2_contingency, chisquare};
pub use ks::{Cdf, ks_2samp, kstest};
pub use result::{Alternative, TestResult};
pub use ttest::{ttest_1samp, ttest_ind, ttest_rel};
pub use univariate::{jarque_bera, pearsonr};

use polars::prelude::*;

use crate::error::{Error, Result};

/// The `f64` values of a numeric series, nulls kept as `None` (NaN as `None` too).
fn optional_values(series: &Series, operation: &'static str) -> Result<Vec<Option<f64>>> {
    if !series.dtype().is_primitive_numeric() {
        return Err(Error::InvalidDtype {
            operation,
            column: series.name().to_string(),
            dtype: series.dtype().to_string(),
            expected: "a numeric (float or integer) series",
        });
    }
    let cast = series.cast(&DataType::Float64)?;
    Ok(cast
        .f64()?
        .iter()
        .map(|x| x.filter(|v| !v.is_nan()))
        .collect())
}

/// The non-null, non-NaN `f64` values of a numeric series.
fn values(series: &Series, operation: &'static str) -> Result<Vec<f64>> {
    Ok(optional_values(series, operation)?
        .into_iter()
        .flatten()
        .collect())
}

/// The pairs of `a` and `b` where both are present; `a` and `b` must be equally long.
fn paired_values(a: &Series, b: &Series, operation: &'static str) -> Result<(Vec<f64>, Vec<f64>)> {
    let (xa, xb) = (
        optional_values(a, operation)?,
        optional_values(b, operation)?,
    );
    if xa.len() != xb.len() {
        return Err(Error::InvalidParameter {
            operation,
            name: "the length of the second series",
            value: format!("{} (the first has {})", xb.len(), xa.len()),
            rule: "equal to the length of the first (the values are paired)",
        });
    }
    Ok(xa
        .into_iter()
        .zip(xb)
        .filter_map(|(x, y)| Some((x?, y?)))
        .unzip())
}

/// Fails unless `n`, the number of values left after dropping missing ones, is at least `min`.
fn require_len(n: usize, min: usize, operation: &'static str, rule: &'static str) -> Result<()> {
    if n < min {
        return Err(Error::InvalidParameter {
            operation,
            name: "the number of non-null values",
            value: n.to_string(),
            rule,
        });
    }
    Ok(())
}

/// The mean of `x` (NaN if empty).
fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// The sample variance of `x`, divided by n − 1, two-pass as numpy.
fn var(x: &[f64]) -> f64 {
    let m = mean(x);
    x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() as f64 - 1.0)
}

#[cfg(test)]
mod tests;
