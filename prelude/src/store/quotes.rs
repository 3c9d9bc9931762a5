//! The canonical quote frame both backends write and return: `symbol` (str), `ts`
//! (`Datetime(ms)`, no time zone) and `price` (`f64`); [`Quotes`], its validated row form.

use std::collections::HashMap;

use polars::prelude::*;

use crate::error::{Error, Result};

/// The three columns of a quote frame, in order.
pub(crate) const COLUMNS: [&str; 3] = ["symbol", "ts", "price"];

const MS_PER_DAY: i64 = 86_400_000;

/// Cassandra's limit on a partition key.
const MAX_SYMBOL_BYTES: usize = 65_535;

/// A quote frame's rows, checked and converted for writing: symbols as codes into a small
/// dictionary (a frame has few distinct symbols), `ts` as milliseconds, `price` as `f64`.
#[derive(Debug, Clone)]
pub(crate) struct Quotes {
    /// The distinct symbols, in order of first appearance.
    pub symbols: Vec<String>,
    /// Each row's index into `symbols`.
    pub code: Vec<u32>,
    /// Milliseconds since the Unix epoch.
    pub ts: Vec<i64>,
    /// The price; `None` is a null (a missing price, stored as null).
    pub price: Vec<Option<f64>>,
}

impl Quotes {
    /// Checks `df` and converts it: exactly the columns `symbol`, `ts`, `price` in any order;
    /// `symbol` a string (or categorical) without nulls; `ts` a `Date` or a `Datetime` of
    /// any unit (a time zone's instant is kept as UTC) without nulls and in whole
    /// milliseconds; `price` numeric, nulls allowed, NaN not.
    pub fn from_frame(operation: &'static str, df: &DataFrame) -> Result<Quotes> {
        for column in COLUMNS {
            if df.column(column).is_err() {
                return Err(Error::column_not_found(operation, column, df));
            }
        }
        let extra: Vec<String> = df
            .get_column_names()
            .iter()
            .filter(|name| !COLUMNS.contains(&name.as_str()))
            .map(|name| format!("`{name}`"))
            .collect();
        if !extra.is_empty() {
            return Err(Error::InvalidParameter {
                operation,
                name: "the frame's columns",
                value: format!("symbol, ts, price and {}", extra.join(", ")),
                rule: "exactly symbol, ts and price, which is all a quote holds \
                       (hint: `df.select([\"symbol\", \"ts\", \"price\"])?` to store them)",
            });
        }
        let (symbols, code) = symbol_codes(operation, df.column("symbol")?)?;
        let ts = millis(operation, df.column("ts")?)?;
        let price = prices(operation, df.column("price")?)?;
        Ok(Quotes {
            symbols,
            code,
            ts,
            price,
        })
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.ts.len()
    }

    /// The symbol of row `i`.
    pub fn symbol(&self, i: usize) -> &str {
        &self.symbols[self.code[i] as usize]
    }

    /// The rows grouped by partition (symbol), each group in `ts` order with one row per
    /// `ts`: of rows with the same symbol and `ts` the last one wins, as in a sequence of
    /// upserts. Returns the row order and each partition's `start..end` in it.
    pub fn partitions(&self) -> (Vec<u32>, Vec<(usize, usize)>) {
        let n = self.len();
        let key = |i: usize| (self.symbol(i), self.ts[i]);
        let sorted = (1..n).all(|i| key(i - 1) < key(i));
        let order: Vec<u32> = if sorted {
            (0..n as u32).collect()
        } else {
            let mut order: Vec<u32> = (0..n as u32).collect();
            // Stable: equal keys keep their frame order, so the last of them is the last row.
            order.sort_by(|&a, &b| key(a as usize).cmp(&key(b as usize)));
            let mut kept: Vec<u32> = Vec::with_capacity(n);
            for i in order {
                match kept.last_mut() {
                    Some(last) if key(*last as usize) == key(i as usize) => *last = i,
                    _ => kept.push(i),
                }
            }
            kept
        };
        let mut bounds = Vec::new();
        let mut start = 0;
        for k in 1..=order.len() {
            if k == order.len() || self.code[order[k] as usize] != self.code[order[start] as usize]
            {
                bounds.push((start, k));
                start = k;
            }
        }
        (order, bounds)
    }
}

fn symbol_codes(operation: &'static str, column: &Column) -> Result<(Vec<String>, Vec<u32>)> {
    let column = match column.dtype() {
        DataType::String => column.clone(),
        dtype if dtype.is_categorical() || dtype.is_enum() => column.cast(&DataType::String)?,
        dtype => {
            return Err(Error::InvalidDtype {
                operation,
                column: "symbol".into(),
                dtype: dtype.to_string(),
                expected: "a string column",
            });
        }
    };
    let ca = column.str()?;
    let mut symbols: Vec<String> = Vec::new();
    let mut index: HashMap<String, u32> = HashMap::new();
    let mut code = Vec::with_capacity(ca.len());
    let mut previous: Option<(&str, u32)> = None;
    for (row, value) in ca.iter().enumerate() {
        let Some(symbol) = value else {
            return Err(null_key(operation, "symbol", row));
        };
        if symbol.is_empty() || symbol.len() > MAX_SYMBOL_BYTES {
            return Err(Error::InvalidParameter {
                operation,
                name: "symbol",
                value: format!("{} bytes long at row {row}", symbol.len()),
                rule: "from 1 to 65535 bytes long, as a Cassandra partition key must be",
            });
        }
        // Frames usually come sorted by symbol: skip the hash for a run of the same one.
        let c = match previous {
            Some((prev, c)) if prev == symbol => c,
            _ => *index.entry(symbol.to_string()).or_insert_with(|| {
                symbols.push(symbol.to_string());
                (symbols.len() - 1) as u32
            }),
        };
        previous = Some((symbol, c));
        code.push(c);
    }
    Ok((symbols, code))
}

fn null_key(operation: &'static str, column: &'static str, row: usize) -> Error {
    Error::InvalidParameter {
        operation,
        name: column,
        value: format!("null at row {row}"),
        rule: "non-null, as part of the primary key (symbol, ts) \
               (hint: drop those rows with `df.drop_nulls(None)?` or fill them first)",
    }
}

/// `ts` as milliseconds since the epoch, converted exactly.
fn millis(operation: &'static str, column: &Column) -> Result<Vec<i64>> {
    let per_ms: i64 = match column.dtype() {
        DataType::Date => 0,
        DataType::Datetime(TimeUnit::Milliseconds, _) => 1,
        DataType::Datetime(TimeUnit::Microseconds, _) => 1_000,
        DataType::Datetime(TimeUnit::Nanoseconds, _) => 1_000_000,
        dtype => {
            return Err(Error::InvalidDtype {
                operation,
                column: "ts".into(),
                dtype: dtype.to_string(),
                expected: "a Date or Datetime column",
            });
        }
    };
    let physical = column.to_physical_repr().cast(&DataType::Int64)?;
    let ca = physical.i64()?;
    let mut out = Vec::with_capacity(ca.len());
    for (row, value) in ca.iter().enumerate() {
        let Some(v) = value else {
            return Err(null_key(operation, "ts", row));
        };
        let ms = match per_ms {
            0 => v * MS_PER_DAY, // i32 days: cannot overflow
            1 => v,
            d if v % d == 0 => v / d,
            _ => {
                return Err(Error::InvalidParameter {
                    operation,
                    name: "ts",
                    value: format!("{} at row {row}", column.get(row)?),
                    rule: "in whole milliseconds, the store's (and Cassandra's) unit \
                           (hint: `col(\"ts\").dt().truncate(lit(\"1ms\"))` drops the rest)",
                });
            }
        };
        out.push(ms);
    }
    Ok(out)
}

fn prices(operation: &'static str, column: &Column) -> Result<Vec<Option<f64>>> {
    if !column.dtype().is_primitive_numeric() {
        return Err(Error::InvalidDtype {
            operation,
            column: "price".into(),
            dtype: column.dtype().to_string(),
            expected: "a numeric column",
        });
    }
    let column = column.strict_cast(&DataType::Float64)?;
    let ca = column.f64()?;
    let mut out = Vec::with_capacity(ca.len());
    for (row, value) in ca.iter().enumerate() {
        if value.is_some_and(f64::is_nan) {
            return Err(Error::InvalidParameter {
                operation,
                name: "price",
                value: format!("NaN at row {row}"),
                rule: "a number or null (a missing price); NaN is neither \
                       (hint: `fill_nan(None)` turns NaN into null)",
            });
        }
        out.push(value);
    }
    Ok(out)
}

/// Builds a quote frame from runs of symbols (each repeated `n` times, in row order) and the
/// rows' milliseconds and prices.
pub(crate) fn frame(
    runs: &[(&str, usize)],
    ts: Vec<i64>,
    price: Vec<Option<f64>>,
) -> Result<DataFrame> {
    let n = ts.len();
    debug_assert_eq!(runs.iter().map(|r| r.1).sum::<usize>(), n);
    let symbol: StringChunked = runs
        .iter()
        .flat_map(|&(s, k)| std::iter::repeat_n(s, k))
        .map(Some)
        .collect();
    let symbol = symbol.with_name("symbol".into()).into_column();
    let ts = Int64Chunked::from_vec("ts".into(), ts)
        .into_datetime(TimeUnit::Milliseconds, None)
        .into_column();
    let price = if price.iter().all(Option::is_some) {
        Float64Chunked::from_vec("price".into(), price.into_iter().flatten().collect())
    } else {
        Float64Chunked::from_iter_options("price".into(), price.into_iter())
    }
    .into_column();
    Ok(DataFrame::new(n, vec![symbol, ts, price])?)
}

/// An empty quote frame.
pub(crate) fn empty() -> Result<DataFrame> {
    frame(&[], Vec::new(), Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quotes(df: &DataFrame) -> Quotes {
        Quotes::from_frame("write", df).unwrap()
    }

    #[test]
    fn dates_and_datetimes_convert_exactly() {
        let day = 19_724; // 2024-01-02
        let df = df!("symbol" => ["A", "B"], "ts" => [day, day + 1], "price" => [1.0, 2.0])
            .unwrap()
            .lazy()
            .with_column(col("ts").cast(DataType::Date))
            .collect()
            .unwrap();
        assert_eq!(quotes(&df).ts, vec![1_704_153_600_000, 1_704_240_000_000]);

        for (unit, scale) in [
            (TimeUnit::Milliseconds, 1),
            (TimeUnit::Microseconds, 1_000),
            (TimeUnit::Nanoseconds, 1_000_000),
        ] {
            let ms = [1_704_187_800_123i64, -1];
            let df = DataFrame::new(
                2,
                vec![
                    Column::new("symbol".into(), ["A", "A"]),
                    Int64Chunked::from_vec("ts".into(), ms.iter().map(|m| m * scale).collect())
                        .into_datetime(unit, None)
                        .into_column(),
                    Column::new("price".into(), [1i32, 2]),
                ],
            )
            .unwrap();
            let q = quotes(&df);
            assert_eq!(q.ts, ms.to_vec(), "{unit:?}");
            assert_eq!(q.price, vec![Some(1.0), Some(2.0)]);
        }
    }

    #[test]
    fn sub_millisecond_times_are_refused_not_rounded() {
        let df = DataFrame::new(
            1,
            vec![
                Column::new("symbol".into(), ["A"]),
                Int64Chunked::from_vec("ts".into(), vec![1_500])
                    .into_datetime(TimeUnit::Microseconds, None)
                    .into_column(),
                Column::new("price".into(), [1.0]),
            ],
        )
        .unwrap();
        let err = Quotes::from_frame("write", &df).unwrap_err().to_string();
        assert!(
            err.starts_with("write: ts should be in whole milliseconds"),
            "{err}"
        );
        assert!(err.contains("at row 0"), "{err}");
    }

    #[test]
    fn bad_frames_say_what_is_wrong() {
        let missing = df!("symbol" => ["A"], "price" => [1.0]).unwrap();
        let err = Quotes::from_frame("write", &missing).unwrap_err();
        assert!(matches!(err, Error::ColumnNotFound { .. }), "{err}");

        let extra = df!("symbol" => ["A"], "ts" => [1i64], "price" => [1.0], "volume" => [3])
            .unwrap()
            .lazy()
            .with_column(col("ts").cast(DataType::Datetime(TimeUnit::Milliseconds, None)))
            .collect()
            .unwrap();
        let err = Quotes::from_frame("write", &extra).unwrap_err().to_string();
        assert!(err.contains("`volume`") && err.contains("select"), "{err}");

        let int_ts = df!("symbol" => ["A"], "ts" => [1i64], "price" => [1.0]).unwrap();
        let err = Quotes::from_frame("write", &int_ts).unwrap_err();
        assert!(matches!(err, Error::InvalidDtype { .. }), "{err}");

        let null_symbol =
            df!("symbol" => [Some("A"), None], "ts" => [0i32, 1], "price" => [1.0, 2.0])
                .unwrap()
                .lazy()
                .with_column(col("ts").cast(DataType::Date))
                .collect()
                .unwrap();
        let err = Quotes::from_frame("write", &null_symbol)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("symbol should be non-null") && err.contains("row 1"),
            "{err}"
        );

        let nan = df!("symbol" => ["A"], "ts" => [0i32], "price" => [f64::NAN])
            .unwrap()
            .lazy()
            .with_column(col("ts").cast(DataType::Date))
            .collect()
            .unwrap();
        let err = Quotes::from_frame("write", &nan).unwrap_err().to_string();
        assert!(err.contains("NaN at row 0"), "{err}");
    }

    #[test]
    fn partitions_sort_and_keep_the_last_duplicate() {
        let df = df!(
            "symbol" => ["B", "A", "B", "A", "B"],
            "ts" => [2i64, 1, 1, 1, 2],
            "price" => [1.0, 2.0, 3.0, 4.0, 5.0]
        )
        .unwrap()
        .lazy()
        .with_column(col("ts").cast(DataType::Datetime(TimeUnit::Milliseconds, None)))
        .collect()
        .unwrap();
        let q = quotes(&df);
        assert_eq!(q.symbols, vec!["B", "A"]);
        let (order, bounds) = q.partitions();
        // A@1 (last: row 3), B@1 (row 2), B@2 (last: row 4)
        assert_eq!(order, vec![3, 2, 4]);
        assert_eq!(bounds, vec![(0, 1), (1, 3)]);

        let sorted =
            df!("symbol" => ["A", "A", "B"], "ts" => [1i64, 2, 1], "price" => [1.0, 2.0, 3.0])
                .unwrap()
                .lazy()
                .with_column(col("ts").cast(DataType::Datetime(TimeUnit::Milliseconds, None)))
                .collect()
                .unwrap();
        let (order, bounds) = quotes(&sorted).partitions();
        assert_eq!(order, vec![0, 1, 2]);
        assert_eq!(bounds, vec![(0, 2), (2, 3)]);
    }

    #[test]
    fn frames_have_the_canonical_schema() {
        let df = frame(
            &[("A", 2), ("B", 1)],
            vec![1, 2, 3],
            vec![Some(1.0), None, Some(3.0)],
        )
        .unwrap();
        assert_eq!(
            df.dtypes(),
            vec![
                DataType::String,
                DataType::Datetime(TimeUnit::Milliseconds, None),
                DataType::Float64
            ]
        );
        assert_eq!(df.column("price").unwrap().null_count(), 1);
        assert_eq!(empty().unwrap().height(), 0);
    }
}
