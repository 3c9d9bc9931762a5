//! The numeric columns of a frame as `f64` values, for the statistics of this module.

use polars::prelude::*;
use rayon::prelude::*;

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

/// The names and values (nulls as NaN, see [`Values`]) of the numeric columns of `df`, with
/// the errors of [`numeric_columns`].
pub(crate) fn numeric_values(
    df: &DataFrame,
    operation: &'static str,
) -> Result<(Vec<String>, Vec<Values>)> {
    let numeric: Vec<&Column> = df
        .columns()
        .iter()
        .filter(|c| c.dtype().is_primitive_numeric())
        .collect();
    let names: Vec<String> = numeric.iter().map(|c| c.name().to_string()).collect();
    // In parallel: making a chunked column contiguous is a copy of the whole column.
    let values = numeric
        .par_iter()
        .map(|c| Values::of(c))
        .collect::<Result<Vec<_>>>()?;
    if names.is_empty() {
        // The same errors as numeric_columns gives for a frame without numbers.
        numeric_columns(df, operation)?;
    }
    Ok((names, values))
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

/// A numeric column's values as one contiguous `f64` slice, nulls as NaN: borrowed from
/// polars when the column is already a single null-free `f64` chunk (no copy), else one copy.
/// The statistics on millions of rows read columns through this, not through `Option`s.
pub(crate) struct Values(ValuesInner);

enum ValuesInner {
    Polars(Float64Chunked),
    Owned(Vec<f64>),
}

impl Values {
    /// The values of `column` (which must be numeric: check the dtype first).
    pub(crate) fn of(column: &Column) -> Result<Values> {
        let cast = column.cast(&DataType::Float64)?;
        let ca = cast.f64()?.rechunk().into_owned();
        if ca.cont_slice().is_ok() {
            return Ok(Values(ValuesInner::Polars(ca)));
        }
        Ok(Values(ValuesInner::Owned(
            ca.iter().map(|v| v.unwrap_or(f64::NAN)).collect(),
        )))
    }

    /// The values, nulls as NaN.
    pub(crate) fn as_slice(&self) -> &[f64] {
        match &self.0 {
            ValuesInner::Polars(ca) => ca.cont_slice().unwrap_or(&[]),
            ValuesInner::Owned(v) => v,
        }
    }
}

/// A numeric column's values left in polars' chunks and copied out a range of rows at a time,
/// nulls as NaN.
///
/// A 10M-row column read from Parquet comes in many chunks. Computations that go over the
/// rows in blocks (the QR of [`ols`](crate::model::ols())) read them through this rather than
/// through [`Values`], whose contiguous copy of every column costs more than the fit itself.
pub(crate) struct ChunkedValues {
    ca: Float64Chunked,
    /// The first row of each chunk, then the number of rows.
    starts: Vec<usize>,
}

impl ChunkedValues {
    /// The values of `column` (which must be numeric: check the dtype first).
    pub(crate) fn of(column: &Column) -> Result<ChunkedValues> {
        let ca = column.cast(&DataType::Float64)?.f64()?.clone();
        let mut starts = Vec::with_capacity(ca.chunks().len() + 1);
        starts.push(0);
        for array in ca.downcast_iter() {
            starts.push(starts[starts.len() - 1] + array.len());
        }
        Ok(ChunkedValues { ca, starts })
    }

    /// Whether any value is null or NaN.
    pub(crate) fn has_missing(&self) -> bool {
        self.ca.null_count() > 0
            || self
                .ca
                .downcast_iter()
                .any(|array| array.values().iter().any(|v| v.is_nan()))
    }

    /// Copies rows `from..from + out.len()` into `out`, nulls as NaN.
    ///
    /// # Panics
    ///
    /// If the rows are not all in the column (a bug of the caller, not bad input).
    pub(crate) fn copy_rows(&self, from: usize, out: &mut [f64]) {
        let mut row = from;
        let mut filled = 0;
        // The chunk holding `row`: the last one starting at or before it.
        let mut chunk = self.starts.partition_point(|&s| s <= row) - 1;
        while filled < out.len() {
            let array = self
                .ca
                .downcast_get(chunk)
                .expect("copy_rows: rows past the end of the column");
            let offset = row - self.starts[chunk];
            let take = (array.len() - offset).min(out.len() - filled);
            let target = &mut out[filled..filled + take];
            target.copy_from_slice(&array.values()[offset..offset + take]);
            if let Some(validity) = array.validity() {
                for (i, v) in target.iter_mut().enumerate() {
                    if !validity.get_bit(offset + i) {
                        *v = f64::NAN;
                    }
                }
            }
            filled += take;
            row += take;
            chunk += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_values_copy_across_chunks_with_nulls_as_nan() -> Result<()> {
        let mut a = Series::new("a".into(), [Some(1.0), None, Some(3.0)]);
        a.append(&Series::new("a".into(), [4.0, 5.0]))?;
        a.append(&Series::new("a".into(), [Some(6.0), Some(f64::NAN)]))?;
        let values = ChunkedValues::of(&a.into_column())?;
        assert!(values.has_missing());
        let mut out = vec![0.0; 5];
        values.copy_rows(1, &mut out);
        assert!(out[0].is_nan());
        assert_eq!(&out[1..], &[3.0, 4.0, 5.0, 6.0]);
        let mut one = [0.0];
        values.copy_rows(4, &mut one);
        assert_eq!(one, [5.0]);
        let ints = ChunkedValues::of(&Column::new("i".into(), [1i64, 2]))?;
        assert!(!ints.has_missing());
        Ok(())
    }
}
