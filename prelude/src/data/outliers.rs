//! [`outliers`]: a report of the values a rule flags, changing nothing.

use polars::prelude::*;

use crate::error::{Error, Result};

/// How [`outliers`] flags a value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OutlierRule {
    /// |v − mean| / std > the threshold (std with n − 1, as pandas); 3 is usual.
    ZScore(f64),
    /// v outside [Q1 − k·IQR, Q3 + k·IQR] (quartiles interpolated linearly, as numpy);
    /// k = 1.5 is Tukey's fence.
    Iqr(f64),
}

/// The values of the numeric columns of `df` that `rule` flags, one row per value: `column`,
/// `row` (its position in `df`), `value`, `score` (the z-score, or for [`OutlierRule::Iqr`]
/// the distance beyond the fence in IQRs, signed), `lower` and `upper` (the bounds). Nothing
/// in `df` is changed: filter or clip with the report in hand. Nulls and NaNs are skipped.
///
/// # Errors
///
/// [`Error::InvalidParameter`] if the threshold is not positive and finite;
/// [`Error::InvalidDtype`] if `df` has no numeric column.
///
/// ```
/// use eddy::prelude::*;
///
/// let df = df!("x" => [1.0, 1.1, 0.9, 1.0, 1.05, 0.95, 9.0])?;
/// let report = outliers(&df, OutlierRule::Iqr(1.5))?;
/// assert_eq!(report.height(), 1);
/// assert_eq!(report.column("row")?.u64()?.get(0), Some(6));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn outliers(df: &DataFrame, rule: OutlierRule) -> Result<DataFrame> {
    const OP: &str = "outliers";
    let (OutlierRule::ZScore(t) | OutlierRule::Iqr(t)) = rule;
    if !(t > 0.0 && t.is_finite()) {
        return Err(Error::InvalidParameter {
            operation: OP,
            name: "the rule's threshold",
            value: t.to_string(),
            rule: "positive and finite",
        });
    }
    let columns = crate::stats::columns::numeric_columns(df, OP)?;
    let (mut names, mut rows, mut values, mut scores, mut lowers, mut uppers) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for (name, column) in &columns {
        let present: Vec<(usize, f64)> = column
            .iter()
            .enumerate()
            .filter_map(|(i, v)| Some((i, v.filter(|x| !x.is_nan())?)))
            .collect();
        if present.len() < 2 {
            continue;
        }
        let xs: Vec<f64> = present.iter().map(|p| p.1).collect();
        let (lower, upper, score): (f64, f64, Box<dyn Fn(f64) -> f64>) = match rule {
            OutlierRule::ZScore(t) => {
                let n = xs.len() as f64;
                let mean = xs.iter().sum::<f64>() / n;
                let std = (xs.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
                (
                    mean - t * std,
                    mean + t * std,
                    Box::new(move |v| (v - mean) / std),
                )
            }
            OutlierRule::Iqr(k) => {
                let mut sorted = xs.clone();
                sorted.sort_by(f64::total_cmp);
                let (q1, q3) = (quantile(&sorted, 0.25), quantile(&sorted, 0.75));
                let iqr = q3 - q1;
                let (lo, hi) = (q1 - k * iqr, q3 + k * iqr);
                (
                    lo,
                    hi,
                    Box::new(move |v| {
                        if v < lo {
                            (v - lo) / iqr
                        } else {
                            (v - hi) / iqr
                        }
                    }),
                )
            }
        };
        for (i, v) in present {
            if v < lower || v > upper {
                names.push(name.clone());
                rows.push(i as u64);
                values.push(v);
                scores.push(score(v));
                lowers.push(lower);
                uppers.push(upper);
            }
        }
    }
    let n = names.len();
    Ok(DataFrame::new(
        n,
        vec![
            Column::new("column".into(), names),
            Column::new("row".into(), rows),
            Column::new("value".into(), values),
            Column::new("score".into(), scores),
            Column::new("lower".into(), lowers),
            Column::new("upper".into(), uppers),
        ],
    )?)
}

/// The `q` quantile of sorted values, interpolated linearly (numpy's default).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, frac) = (pos.floor() as usize, pos - pos.floor());
    if lo + 1 < sorted.len() {
        sorted[lo] + (sorted[lo + 1] - sorted[lo]) * frac
    } else {
        sorted[lo]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zscore_flags_the_far_value_only() {
        let mut x: Vec<f64> = (0..100).map(|i| (i % 10) as f64).collect();
        x.push(100.0);
        let df = df!("x" => x, "label" => vec!["a"; 101]).unwrap();
        let report = outliers(&df, OutlierRule::ZScore(3.0)).unwrap();
        assert_eq!(report.height(), 1);
        assert_eq!(
            report.column("value").unwrap().f64().unwrap().get(0),
            Some(100.0)
        );
        assert!(
            report
                .column("score")
                .unwrap()
                .f64()
                .unwrap()
                .get(0)
                .unwrap()
                > 3.0
        );
        assert!(outliers(&df, OutlierRule::Iqr(0.0)).is_err());
    }
}
