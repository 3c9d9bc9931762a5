//! The numeric columns of a frame as `f64` values, for the statistics of this module.

use polars::prelude::*;

use crate::error::{Error, Result};

/// The numeric (float or integer) columns of `df`, in order, as names and `f64` values
/// (nulls as `None`).
///
/// # Errors
///
/// [`Error::InvalidDtype`] naming the first column if none is numeric,
/// [`Error::InvalidParameter`] if `df` has no column at all.
pub(crate) fn numeric_columns(
    df: &DataFrame,
    operation: &'static str,
) -> Result<Vec<(String, Vec<Option<f64>>)>> {
    let mut out = Vec::new();
    for column in df.columns() {
        if column.dtype().is_primitive_numeric() {
            let cast = column.cast(&DataType::Float64)?;
            let values: Vec<Option<f64>> = cast.f64()?.iter().collect();
            out.push((column.name().to_string(), values));
        }
    }
    if out.is_empty() {
        return Err(match df.columns().first() {
            Some(first) => Error::InvalidDtype {
                operation,
                column: first.name().to_string(),
                dtype: first.dtype().to_string(),
                expected: "a frame with at least one numeric (float or integer) column",
            },
            None => Error::InvalidParameter {
                operation,
                name: "df",
                value: "a frame with no columns".into(),
                rule: "a frame with at least one numeric (float or integer) column",
            },
        });
    }
    Ok(out)
}

/// A frame with a first `str` column `label_name` holding `labels`, then one `f64` column per
/// entry of `columns`.
pub(crate) fn labelled_frame(
    label_name: &str,
    labels: Vec<String>,
    columns: Vec<(String, Vec<f64>)>,
) -> Result<DataFrame> {
    let height = labels.len();
    let mut all = Vec::with_capacity(columns.len() + 1);
    all.push(Column::new(label_name.into(), labels));
    for (name, values) in columns {
        all.push(Column::new(name.as_str().into(), values));
    }
    Ok(DataFrame::new(height, all)?)
}
