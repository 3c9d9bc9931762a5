//! [`returns`]: simple or log returns of every price column.

use polars::prelude::*;

use crate::error::{Error, Result};

/// Which return [`returns`] computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReturnKind {
    /// `pₜ / pₜ₋₁ − 1`, as pandas' `pct_change()`.
    Simple,
    /// `ln(pₜ / pₜ₋₁)`, which add up over time.
    Log,
}

/// The returns of every numeric column of a wide price table, row over previous row; other
/// columns (the date) are kept as they are. The first row, which has no previous price, is
/// dropped (pandas keeps it as NaN). A null price gives a null return on its row and the next
/// (no filling: see [`fill_nulls`](super::fill_nulls) to choose a policy first).
///
/// # Errors
///
/// [`Error::InvalidParameter`] if a price is zero or negative (for [`ReturnKind::Log`]; for
/// `Simple` only zero, a division by zero), naming the column and the row;
/// [`Error::InvalidParameter`] if the table has fewer than 2 rows.
///
/// ```
/// use eddy::prelude::*;
///
/// let prices = df!("Date" => [1, 2, 3], "X" => [100.0, 110.0, 99.0])?;
/// let simple = returns(&prices, ReturnKind::Simple)?;
/// let x: Vec<f64> = simple.column("X")?.f64()?.into_no_null_iter().collect();
/// assert!((x[0] - 0.10).abs() < 1e-15 && (x[1] + 0.10).abs() < 1e-15);
/// assert!(returns(&df!("X" => [1.0, 0.0, 2.0])?, ReturnKind::Log).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn returns(df: &DataFrame, kind: ReturnKind) -> Result<DataFrame> {
    const OP: &str = "returns";
    if df.height() < 2 {
        return Err(Error::InvalidParameter {
            operation: OP,
            name: "the number of rows",
            value: df.height().to_string(),
            rule: "at least 2 (a return needs a previous price)",
        });
    }
    let mut columns = Vec::with_capacity(df.width());
    for column in df.columns() {
        if !column.dtype().is_primitive_numeric() {
            columns.push(column.slice(1, df.height() - 1));
            continue;
        }
        let cast = column.cast(&DataType::Float64)?;
        let prices = cast.f64()?;
        let bad = prices.iter().enumerate().find(|(_, p)| match (kind, p) {
            (ReturnKind::Log, Some(p)) => !(*p > 0.0),
            (ReturnKind::Simple, Some(p)) => *p == 0.0,
            (_, None) => false,
        });
        if let Some((row, Some(p))) = bad {
            return Err(Error::InvalidParameter {
                operation: OP,
                name: "a price",
                value: format!("{p} in column `{}` at row {row}", column.name()),
                rule: match kind {
                    ReturnKind::Log => "positive for log returns (filter or fill it first)",
                    ReturnKind::Simple => "non-zero (a return divides by the previous price)",
                },
            });
        }
        let values: Vec<Option<f64>> = (1..prices.len())
            .map(|i| {
                let (now, before) = (prices.get(i)?, prices.get(i - 1)?);
                Some(match kind {
                    ReturnKind::Simple => now / before - 1.0,
                    ReturnKind::Log => (now / before).ln(),
                })
            })
            .collect();
        columns.push(Column::new(column.name().clone(), values));
    }
    Ok(DataFrame::new(df.height() - 1, columns)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_returns_add_up() {
        let df = crate::sp500().unwrap().select(["Date", "KO"]).unwrap();
        let r = returns(&df, ReturnKind::Log).unwrap();
        assert_eq!(r.column("Date").unwrap().dtype(), &DataType::Date);
        let total: f64 = r
            .column("KO")
            .unwrap()
            .f64()
            .unwrap()
            .into_no_null_iter()
            .sum();
        let p = df.column("KO").unwrap().f64().unwrap();
        let expected = (p.get(p.len() - 1).unwrap() / p.get(0).unwrap()).ln();
        assert!((total - expected).abs() < 1e-9, "{total} vs {expected}");
    }

    #[test]
    fn nulls_propagate_and_short_tables_fail() {
        let df = df!("X" => [Some(1.0), None, Some(2.0), Some(4.0)]).unwrap();
        let r = returns(&df, ReturnKind::Simple).unwrap();
        let x: Vec<Option<f64>> = r.column("X").unwrap().f64().unwrap().iter().collect();
        assert_eq!(x, [None, None, Some(1.0)]);
        assert!(returns(&df.head(Some(1)), ReturnKind::Simple).is_err());
    }
}
