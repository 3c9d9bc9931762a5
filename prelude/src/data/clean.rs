//! [`fill_nulls`]: a null policy applied to a frame, with a report of what it changed.

use polars::prelude::*;

use crate::display::{MimeBundle, Render, escape_html};
use crate::error::{Error, Result};

/// What [`fill_nulls`] does with a null (or NaN) in a numeric column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NullPolicy {
    /// Remove every row with a null in any numeric column (pandas' `dropna()`).
    DropRows,
    /// Carry the last value forward (`ffill()`); leading nulls stay null and are reported.
    ForwardFill,
    /// Linear interpolation by row position between the neighbours
    /// (`interpolate(limit_area='inside')`); leading and trailing nulls stay null.
    Interpolate,
    /// Change nothing; fail if there is any null, naming the columns.
    Fail,
}

/// The cleaned frame and the report of what changed. Shows as the report.
#[derive(Debug, Clone)]
pub struct Cleaned {
    /// The frame after the policy.
    pub df: DataFrame,
    /// One row per numeric column: `column`, `nulls` before, `filled`, `left` (still null).
    pub report: DataFrame,
    /// Rows removed ([`NullPolicy::DropRows`]), 0 otherwise.
    pub rows_dropped: usize,
}

/// Applies `policy` to the nulls and NaNs of every numeric column of `df`, and says what it
/// changed (nothing happens silently: [`Cleaned::report`] counts per column).
///
/// # Errors
///
/// [`Error::InvalidParameter`] with [`NullPolicy::Fail`] if a null is found, listing the
/// columns and their counts.
///
/// ```
/// use eddy::prelude::*;
///
/// let df = df!("A" => [Some(1.0), None, Some(3.0)], "B" => [Some(1.0), Some(2.0), None])?;
/// let cleaned = fill_nulls(&df, NullPolicy::Interpolate)?;
/// assert_eq!(cleaned.df.column("A")?.f64()?.get(1), Some(2.0));
/// assert_eq!(cleaned.df.column("B")?.f64()?.get(2), None);     // trailing: left as is
/// assert_eq!(fill_nulls(&df, NullPolicy::DropRows)?.rows_dropped, 2);
/// assert!(fill_nulls(&df, NullPolicy::Fail).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn fill_nulls(df: &DataFrame, policy: NullPolicy) -> Result<Cleaned> {
    const OP: &str = "fill_nulls";
    let mut names = Vec::new();
    let mut before = Vec::new();
    let mut after_columns = Vec::with_capacity(df.width());
    let mut missing_rows = vec![false; df.height()];
    for column in df.columns() {
        if !column.dtype().is_primitive_numeric() {
            after_columns.push(column.clone());
            continue;
        }
        let cast = column.cast(&DataType::Float64)?;
        let values: Vec<Option<f64>> = cast
            .f64()?
            .iter()
            .map(|v| v.filter(|x| !x.is_nan()))
            .collect();
        for (flag, v) in missing_rows.iter_mut().zip(&values) {
            *flag |= v.is_none();
        }
        let missing = values.iter().filter(|v| v.is_none()).count() as u64;
        names.push(column.name().to_string());
        before.push(missing);
        if missing == 0 {
            // Untouched, dtype included.
            after_columns.push(column.clone());
            continue;
        }
        let filled = match policy {
            NullPolicy::ForwardFill => forward_fill(&values),
            NullPolicy::Interpolate => interpolate(&values),
            NullPolicy::DropRows | NullPolicy::Fail => values,
        };
        after_columns.push(Column::new(column.name().clone(), filled));
    }
    if policy == NullPolicy::Fail && before.iter().any(|n| *n > 0) {
        let found: Vec<String> = names
            .iter()
            .zip(&before)
            .filter(|(_, n)| **n > 0)
            .map(|(c, n)| format!("{c} ({n})"))
            .collect();
        return Err(Error::InvalidParameter {
            operation: OP,
            name: "the frame",
            value: format!("nulls in {}", found.join(", ")),
            rule: "free of nulls with NullPolicy::Fail (choose DropRows, ForwardFill or Interpolate)",
        });
    }
    let mut out = DataFrame::new(df.height(), after_columns)?;
    let mut rows_dropped = 0;
    if policy == NullPolicy::DropRows {
        let keep: BooleanChunked = missing_rows.iter().map(|m| !m).collect();
        rows_dropped = missing_rows.iter().filter(|m| **m).count();
        out = out.filter(&keep)?;
    }
    let left: Vec<u64> = names
        .iter()
        .map(|n| out.column(n).map(|c| c.null_count() as u64))
        .collect::<PolarsResult<_>>()?;
    let filled: Vec<u64> = match policy {
        NullPolicy::DropRows | NullPolicy::Fail => vec![0; names.len()],
        _ => before.iter().zip(&left).map(|(b, l)| b - l).collect(),
    };
    let report = DataFrame::new(
        names.len(),
        vec![
            Column::new("column".into(), names),
            Column::new("nulls".into(), before),
            Column::new("filled".into(), filled),
            Column::new("left".into(), left),
        ],
    )?;
    Ok(Cleaned {
        df: out,
        report,
        rows_dropped,
    })
}

fn forward_fill(values: &[Option<f64>]) -> Vec<Option<f64>> {
    let mut last = None;
    values
        .iter()
        .map(|v| {
            if v.is_some() {
                last = *v;
            }
            last
        })
        .collect()
}

fn interpolate(values: &[Option<f64>]) -> Vec<Option<f64>> {
    let mut out = values.to_vec();
    let mut previous: Option<usize> = None;
    for i in 0..values.len() {
        if let Some(v) = values[i] {
            if let Some(p) = previous {
                let start = values[p].unwrap_or(v);
                for (j, slot) in out.iter_mut().enumerate().take(i).skip(p + 1) {
                    *slot = Some(start + (v - start) * (j - p) as f64 / (i - p) as f64);
                }
            }
            previous = Some(i);
        }
    }
    out
}

/// The report as a table, with a line saying how many rows were dropped.
impl Render for Cleaned {
    fn mime_bundle(&self) -> MimeBundle {
        let head = format!(
            "{} rows × {} columns after cleaning; {} rows dropped",
            self.df.height(),
            self.df.width(),
            self.rows_dropped
        );
        let report = self.report.mime_bundle();
        MimeBundle::new(format!("{head}\n{}", report.text())).with(
            "text/html",
            format!(
                "<p>{}</p>{}",
                escape_html(&head),
                report.get("text/html").unwrap_or_default()
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_report_what_they_changed() {
        let df = df!(
            "d" => [1, 2, 3, 4, 5],
            "A" => [None, Some(1.0), None, None, Some(4.0)],
            "B" => [Some(1.0), Some(f64::NAN), Some(3.0), Some(4.0), Some(5.0)],
        )
        .unwrap();
        let ff = fill_nulls(&df, NullPolicy::ForwardFill).unwrap();
        let a: Vec<Option<f64>> = ff.df.column("A").unwrap().f64().unwrap().iter().collect();
        assert_eq!(a, [None, Some(1.0), Some(1.0), Some(1.0), Some(4.0)]);
        let report = |c: &Cleaned, col: &str| {
            c.report
                .column(col)
                .unwrap()
                .u64()
                .unwrap()
                .iter()
                .flatten()
                .collect::<Vec<u64>>()
        };
        assert_eq!(report(&ff, "nulls"), [0, 3, 1]);
        assert_eq!(report(&ff, "filled"), [0, 2, 1]);
        assert_eq!(report(&ff, "left"), [0, 1, 0]);
        assert_eq!(
            ff.df.column("d").unwrap().dtype(),
            &DataType::Int32,
            "a column without nulls is untouched"
        );
        let lin = fill_nulls(&df, NullPolicy::Interpolate).unwrap();
        let a: Vec<Option<f64>> = lin.df.column("A").unwrap().f64().unwrap().iter().collect();
        assert_eq!(a, [None, Some(1.0), Some(2.0), Some(3.0), Some(4.0)]);
        let dropped = fill_nulls(&df, NullPolicy::DropRows).unwrap();
        assert_eq!((dropped.df.height(), dropped.rows_dropped), (1, 4));
        let err = fill_nulls(&df, NullPolicy::Fail).unwrap_err();
        assert!(err.to_string().contains("A (3), B (1)"), "{err}");
    }
}
