//! Pearson's χ² tests: goodness of fit ([`chisquare`]) and independence in a contingency
//! table ([`chi2_contingency`]).

use polars::prelude::*;
use statrs::distribution::{ChiSquared, ContinuousCDF};

use super::{TestResult, optional_values, require_len, values};
use crate::error::{Error, Result};
use crate::stats::columns::numeric_columns;

/// The survival function of χ² with `df` degrees of freedom at `x`.
fn chi2_sf(x: f64, df: f64) -> f64 {
    match ChiSquared::new(df) {
        Ok(dist) if !x.is_nan() => dist.sf(x),
        _ => f64::NAN,
    }
}

/// Pearson's χ² goodness-of-fit test of the counts `observed` against `expected` (equal
/// frequencies if `None`), as `scipy.stats.chisquare`: Σ (o − e)² / e against χ² with k − 1
/// degrees of freedom (reported as `df`). Nulls and NaNs are dropped (pairwise with
/// `expected`).
///
/// # Errors
///
/// [`Error::InvalidDtype`](crate::Error::InvalidDtype) if a series is not numeric;
/// [`Error::InvalidParameter`](crate::Error::InvalidParameter) if fewer than 2 categories
/// are left, the lengths differ, or the sums of observed and expected differ by more than a
/// relative 1e-8 (as scipy).
///
/// ```
/// use eddy::prelude::*;
///
/// let observed = Series::new("rolls".into(), [16i64, 18, 16, 14, 12, 12]);
/// let res = chisquare(&observed, None)?;
/// assert!((res.statistic - 2.0).abs() < 1e-12);
/// assert_eq!(res.df, Some(5.0));
/// assert!(res.pvalue > 0.8);
/// # Ok::<(), eddy::Error>(())
/// ```
pub fn chisquare(observed: &Series, expected: Option<&Series>) -> Result<TestResult> {
    const OP: &str = "chisquare";
    let (obs, exp) = match expected {
        None => {
            let obs = values(observed, OP)?;
            let total: f64 = obs.iter().sum();
            let e = vec![total / obs.len() as f64; obs.len()];
            (obs, e)
        }
        Some(expected) => {
            let (o, e) = (
                optional_values(observed, OP)?,
                optional_values(expected, OP)?,
            );
            if o.len() != e.len() {
                return Err(Error::InvalidParameter {
                    operation: OP,
                    name: "the length of expected",
                    value: format!("{} (observed has {})", e.len(), o.len()),
                    rule: "equal to the length of observed",
                });
            }
            o.into_iter()
                .zip(e)
                .filter_map(|(a, b)| Some((a?, b?)))
                .unzip()
        }
    };
    require_len(obs.len(), 2, OP, "at least 2 (categories)")?;
    if expected.is_some() {
        let (so, se): (f64, f64) = (obs.iter().sum(), exp.iter().sum());
        if (so - se).abs() > 1e-8 * so.abs().max(se.abs()) {
            return Err(Error::InvalidParameter {
                operation: OP,
                name: "the sum of expected",
                value: format!("{se} (observed sums to {so})"),
                rule: "equal to the sum of observed within a relative 1e-8 (hint: rescale expected)",
            });
        }
    }
    let statistic: f64 = obs
        .iter()
        .zip(&exp)
        .map(|(o, e)| (o - e) * (o - e) / e)
        .sum();
    let df = obs.len() as f64 - 1.0;
    Ok(TestResult {
        statistic,
        pvalue: chi2_sf(statistic, df),
        df: Some(df),
        name: "Power_divergenceResult",
    })
}

/// Pearson's χ² test of independence of the rows and columns of a contingency table, as
/// `scipy.stats.chi2_contingency` with its default `correction=True`: the numeric columns of
/// `table` are the table's columns, its rows the rows. Expected counts are row total × column
/// total / grand total; `df` is (rows − 1)(columns − 1). With one degree of freedom (a 2×2
/// table) Yates' continuity correction moves each count up to 0.5 toward its expected value.
///
/// # Errors
///
/// [`Error::InvalidDtype`](crate::Error::InvalidDtype) if `table` has no numeric column;
/// [`Error::InvalidParameter`](crate::Error::InvalidParameter) if a count is missing or
/// negative, or an expected count is 0 (a row or column of zeros).
///
/// ```
/// use eddy::prelude::*;
///
/// let table = df!("smoker" => [30i64, 10], "non_smoker" => [20i64, 40])?;
/// let res = chi2_contingency(&table)?;
/// assert_eq!(res.df, Some(1.0));
/// assert!(res.pvalue < 0.01);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn chi2_contingency(table: &DataFrame) -> Result<TestResult> {
    const OP: &str = "chi2_contingency";
    let columns = numeric_columns(table, OP)?;
    let rows = table.height();
    if rows == 0 {
        return Err(Error::InvalidParameter {
            operation: OP,
            name: "the number of rows",
            value: "0".into(),
            rule: "at least 1",
        });
    }
    let mut counts: Vec<Vec<f64>> = Vec::with_capacity(columns.len());
    for (name, column) in &columns {
        let mut values = Vec::with_capacity(rows);
        for v in column {
            match v {
                Some(v) if *v >= 0.0 => values.push(*v),
                other => {
                    return Err(Error::InvalidParameter {
                        operation: OP,
                        name: "every count",
                        value: format!("{other:?} in column `{name}`"),
                        rule: "a non-negative number (no nulls or NaNs)",
                    });
                }
            }
        }
        counts.push(values);
    }
    let ncols = counts.len();
    let row_sums: Vec<f64> = (0..rows)
        .map(|i| counts.iter().map(|c| c[i]).sum())
        .collect();
    let col_sums: Vec<f64> = counts.iter().map(|c| c.iter().sum()).collect();
    let total: f64 = col_sums.iter().sum();
    let mut expected = vec![vec![0.0; rows]; ncols];
    for (j, col) in expected.iter_mut().enumerate() {
        for (i, e) in col.iter_mut().enumerate() {
            *e = row_sums[i] * col_sums[j] / total;
            if e.is_nan() || *e <= 0.0 {
                return Err(Error::InvalidParameter {
                    operation: OP,
                    name: "every expected count",
                    value: format!("{e} in row {i}, column `{}`", columns[j].0),
                    rule: "positive (hint: drop rows and columns that are all zero)",
                });
            }
        }
    }
    let dof = rows.saturating_sub(1) * ncols.saturating_sub(1);
    if dof == 0 {
        return Ok(TestResult {
            statistic: 0.0,
            pvalue: 1.0,
            df: Some(0.0),
            name: "Chi2ContingencyResult",
        });
    }
    let mut statistic = 0.0;
    for (obs, exp) in counts.iter().zip(&expected) {
        for (&o, &e) in obs.iter().zip(exp) {
            let o = if dof == 1 {
                // Yates: move the count toward its expectation by at most 0.5.
                let diff = e - o;
                o + diff.abs().min(0.5) * diff.signum() * f64::from(diff != 0.0)
            } else {
                o
            };
            statistic += (o - e) * (o - e) / e;
        }
    }
    Ok(TestResult {
        statistic,
        pvalue: chi2_sf(statistic, dof as f64),
        df: Some(dof as f64),
        name: "Chi2ContingencyResult",
    })
}
