//! [`to_long`] and [`to_wide`]: between a wide price table and `(symbol, ts, price)` quotes.

use std::collections::{BTreeMap, HashMap};

use polars::prelude::*;

use crate::error::{Error, Result};

/// A wide table (an index column such as `Date`, then one numeric column per symbol) as long
/// quotes: columns `symbol` (str), `ts` (the index column's values and dtype) and `price`
/// (`f64`), sorted by symbol then `ts`, as pandas' `melt(id_vars=[index])`.
///
/// A null price is a missing quote: its row is left out (the long form has no placeholders).
/// Non-numeric columns other than `index` are an error rather than silently dropped.
///
/// # Errors
///
/// [`Error::ColumnNotFound`] if `index` is missing; [`Error::InvalidDtype`] naming a column
/// that is neither `index` nor numeric.
///
/// ```
/// use eddy::prelude::*;
///
/// let wide = df!("Date" => ["2024-01-02", "2024-01-03"], "A" => [1.0, 2.0], "B" => [Some(3.0), None])?;
/// let long = to_long(&wide, "Date")?;
/// assert_eq!(long.height(), 3);                         // B's null is not a quote
/// assert_eq!(long.column("symbol")?.str()?.get(2), Some("B"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn to_long(df: &DataFrame, index: &str) -> Result<DataFrame> {
    const OP: &str = "to_long";
    let ts = df
        .column(index)
        .map_err(|_| Error::column_not_found(OP, index, df))?;
    let mut parts = Vec::new();
    for column in df.columns() {
        if column.name().as_str() == index {
            continue;
        }
        if !column.dtype().is_primitive_numeric() {
            return Err(Error::InvalidDtype {
                operation: OP,
                column: column.name().to_string(),
                dtype: column.dtype().to_string(),
                expected: "a numeric price column (every column but the index)",
            });
        }
        let price = column.cast(&DataType::Float64)?;
        let keep = price.is_not_null();
        let n = keep.sum().unwrap_or(0) as usize;
        let part = DataFrame::new(
            df.height(),
            vec![
                Column::new("symbol".into(), vec![column.name().as_str(); df.height()]),
                ts.clone().with_name("ts".into()),
                price.with_name("price".into()),
            ],
        )?
        .filter(&keep)?;
        debug_assert_eq!(part.height(), n);
        parts.push(part);
    }
    let mut long = match parts.split_first() {
        Some((first, rest)) => {
            let mut acc = first.clone();
            for p in rest {
                acc.vstack_mut(p)?;
            }
            acc
        }
        None => DataFrame::new(
            0,
            vec![
                Column::new_empty("symbol".into(), &DataType::String),
                ts.clear().with_name("ts".into()),
                Column::new_empty("price".into(), &DataType::Float64),
            ],
        )?,
    };
    long.rechunk_mut();
    Ok(long.sort(
        ["symbol", "ts"],
        SortMultipleOptions::default().with_maintain_order(true),
    )?)
}

/// Long quotes `(symbol, ts, price)` as a wide table: `ts` renamed back to `Date` if it is a
/// date, one `f64` column per symbol in alphabetical order, one row per distinct `ts` in
/// order; a symbol without a quote at some `ts` gets a null there.
///
/// # Errors
///
/// [`Error::ColumnNotFound`] if `symbol`, `ts` or `price` is missing;
/// [`Error::InvalidParameter`] if a `(symbol, ts)` pair appears twice — aggregate first
/// (e.g. the last price per day), nothing is silently dropped or averaged.
///
/// ```
/// use eddy::prelude::*;
///
/// let long = df!("symbol" => ["B", "A", "A"], "ts" => [1i64, 1, 2], "price" => [9.0, 1.0, 2.0])?;
/// let wide = to_wide(&long)?;
/// assert_eq!(wide.get_column_names(), ["ts", "A", "B"]);
/// assert_eq!(wide.column("B")?.f64()?.get(1), None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn to_wide(long: &DataFrame) -> Result<DataFrame> {
    const OP: &str = "to_wide";
    let get = |name: &str| {
        long.column(name)
            .map_err(|_| Error::column_not_found(OP, name, long))
    };
    let (symbol, ts, price) = (get("symbol")?, get("ts")?, get("price")?);
    let symbol = symbol.cast(&DataType::String)?;
    let symbol = symbol.str()?;
    let ts_dtype = ts.dtype().clone();
    let ts_physical = ts.to_physical_repr().cast(&DataType::Int64)?;
    let ts_values = ts_physical.i64()?;
    let price = price.cast(&DataType::Float64)?;
    let price = price.f64()?;
    let mut table: BTreeMap<&str, HashMap<i64, Option<f64>>> = BTreeMap::new();
    let mut stamps = std::collections::BTreeSet::new();
    for i in 0..long.height() {
        let (Some(s), Some(t)) = (symbol.get(i), ts_values.get(i)) else {
            return Err(Error::InvalidParameter {
                operation: OP,
                name: "row",
                value: format!("{i}, with a null symbol or ts"),
                rule: "a row with both a symbol and a ts",
            });
        };
        stamps.insert(t);
        if table
            .entry(s)
            .or_default()
            .insert(t, price.get(i))
            .is_some()
        {
            return Err(Error::InvalidParameter {
                operation: OP,
                name: "(symbol, ts)",
                value: format!(
                    "({s}, {}) at row {i}, seen before",
                    ts.get(i).map(|v| v.to_string()).unwrap_or_default()
                ),
                rule: "unique: one price per symbol and ts (aggregate duplicates first)",
            });
        }
    }
    let stamps: Vec<i64> = stamps.into_iter().collect();
    let ts_name = if ts_dtype == DataType::Date {
        "Date"
    } else {
        "ts"
    };
    let mut columns = vec![Column::new(ts_name.into(), stamps.clone()).cast(&ts_dtype)?];
    for (s, prices) in &table {
        let values: Vec<Option<f64>> = stamps
            .iter()
            .map(|t| prices.get(t).copied().flatten())
            .collect();
        columns.push(Column::new((*s).into(), values));
    }
    Ok(DataFrame::new(stamps.len(), columns)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_on_the_bundled_data() {
        let wide = crate::sp500().unwrap();
        let long = to_long(&wide, "Date").unwrap();
        assert_eq!(long.height(), 8313 * 20);
        assert_eq!(long.column("ts").unwrap().dtype(), &DataType::Date);
        let back = to_wide(&long).unwrap();
        let mut names: Vec<String> = wide
            .get_column_names()
            .iter()
            .map(|s| s.to_string())
            .collect();
        names[1..].sort();
        let expected = wide.select(names).unwrap();
        assert!(back.equals_missing(&expected));
    }

    #[test]
    fn duplicates_and_bad_columns_are_errors() {
        let long = df!("symbol" => ["A", "A"], "ts" => [1i64, 1], "price" => [1.0, 2.0]).unwrap();
        let err = to_wide(&long).unwrap_err();
        assert!(err.to_string().contains("(A, 1) at row 1"), "{err}");
        let wide = df!("d" => [1, 2], "name" => ["x", "y"]).unwrap();
        assert!(matches!(
            to_long(&wide, "d"),
            Err(Error::InvalidDtype { .. })
        ));
        assert!(matches!(
            to_long(&wide, "Date"),
            Err(Error::ColumnNotFound { .. })
        ));
        let only_index = df!("d" => [1, 2]).unwrap();
        assert_eq!(to_long(&only_index, "d").unwrap().height(), 0);
    }
}
