//! Reading chart data out of a `DataFrame`: one column as `f64`s, dates as days since the epoch.

use polars::prelude::*;

use super::axis::Scale;
use crate::error::{Error, Result};

/// The column `name` of `df`, or [`Error::ColumnNotFound`] listing the others.
fn column<'a>(df: &'a DataFrame, name: &str, operation: &'static str) -> Result<&'a Column> {
    df.column(name)
        .map_err(|_| Error::column_not_found(operation, name, df))
}

/// A numeric column as `f64`s (nulls as `None`).
pub(crate) fn numbers(
    df: &DataFrame,
    name: &str,
    operation: &'static str,
) -> Result<Vec<Option<f64>>> {
    let column = column(df, name, operation)?;
    if !column.dtype().is_primitive_numeric() {
        return Err(Error::InvalidDtype {
            operation,
            column: name.to_string(),
            dtype: column.dtype().to_string(),
            expected: "a numeric column",
        });
    }
    as_f64(column)
}

/// An x column: numbers as they are, `Date`/`Datetime` as (fractional) days since 1970-01-01.
pub(crate) fn x_values(
    df: &DataFrame,
    name: &str,
    operation: &'static str,
) -> Result<(Scale, Vec<Option<f64>>)> {
    let column = column(df, name, operation)?;
    match column.dtype() {
        DataType::Date => Ok((Scale::Days, as_f64(&column.to_physical_repr())?)),
        DataType::Datetime(unit, _) => {
            let per_day = match unit {
                TimeUnit::Nanoseconds => 86_400e9,
                TimeUnit::Microseconds => 86_400e6,
                TimeUnit::Milliseconds => 86_400e3,
            };
            let values = as_f64(&column.to_physical_repr())?
                .into_iter()
                .map(|v| v.map(|v| v / per_day))
                .collect();
            Ok((Scale::Days, values))
        }
        dtype if dtype.is_primitive_numeric() => Ok((Scale::Number, as_f64(column)?)),
        dtype => Err(Error::InvalidDtype {
            operation,
            column: name.to_string(),
            dtype: dtype.to_string(),
            expected: "a numeric, date or datetime column for x",
        }),
    }
}

/// Casts a (physical, numeric) column to `f64` values.
fn as_f64(column: &Column) -> Result<Vec<Option<f64>>> {
    let cast = column.cast(&DataType::Float64)?;
    Ok(cast.f64()?.iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_become_days_since_the_epoch() {
        let df = crate::data::sp500().unwrap();
        let (scale, x) = x_values(&df, "Date", "test").unwrap();
        assert_eq!(scale, Scale::Days);
        // 1990-01-02 is 7306 days after 1970-01-01.
        assert_eq!(x[0], Some(7306.0));
    }

    #[test]
    fn text_columns_are_rejected_with_their_dtype() {
        let df = df!("s" => ["a"], "n" => [1i32]).unwrap();
        let err = numbers(&df, "s", "line").unwrap_err();
        assert!(
            err.to_string().contains("column `s` has dtype str"),
            "{err}"
        );
        assert_eq!(numbers(&df, "n", "line").unwrap(), [Some(1.0)]);
        let err = x_values(&df, "nope", "line").unwrap_err();
        assert!(matches!(err, Error::ColumnNotFound { .. }));
    }
}
