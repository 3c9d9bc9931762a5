//! The batch frame every source yields, its builder, and [`IntoQuotes`]: what a replay or a
//! producer accepts as input (a wide or long `DataFrame`, or a price CSV).
//!
//! A batch has five columns, in this order:
//!
//! | column | dtype | what |
//! |---|---|---|
//! | `symbol` | `String` | the instrument (the message key) |
//! | `ts` | `Datetime(Milliseconds)`, no time zone (UTC) | event time |
//! | `price` | `Float64` | the price |
//! | `partition` | `Int32` | the Kafka partition (the replay computes Kafka's own partitioner) |
//! | `offset` | `Int64` | the offset in that partition (the replay counts per partition from 0) |

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::error::{Error, Result};

/// The event-time dtype of every batch: milliseconds, no time zone.
pub(crate) const TS_DTYPE: DataType = DataType::Datetime(TimeUnit::Milliseconds, None);

/// Columns of a batch being read, appended row by row.
pub(crate) struct FrameBuilder {
    symbol: StringChunkedBuilder,
    ts: Vec<i64>,
    price: Vec<f64>,
    partition: Vec<i32>,
    offset: Vec<i64>,
}

impl Default for FrameBuilder {
    fn default() -> Self {
        FrameBuilder::with_capacity(1024)
    }
}

impl FrameBuilder {
    pub fn with_capacity(capacity: usize) -> FrameBuilder {
        FrameBuilder {
            symbol: StringChunkedBuilder::new("symbol".into(), capacity),
            ts: Vec::with_capacity(capacity),
            price: Vec::with_capacity(capacity),
            partition: Vec::with_capacity(capacity),
            offset: Vec::with_capacity(capacity),
        }
    }

    #[inline]
    pub fn push(&mut self, symbol: &str, ts: i64, price: f64, partition: i32, offset: i64) {
        self.symbol.append_value(symbol);
        self.ts.push(ts);
        self.price.push(price);
        self.partition.push(partition);
        self.offset.push(offset);
    }

    pub fn len(&self) -> usize {
        self.ts.len()
    }

    /// `(partition, offset)` of every row so far.
    pub fn positions(&self) -> impl Iterator<Item = (i32, i64)> + '_ {
        self.partition
            .iter()
            .copied()
            .zip(self.offset.iter().copied())
    }

    /// The rows so far as a batch frame; the builder is empty afterwards.
    pub fn take(&mut self) -> Result<DataFrame> {
        let old = std::mem::take(self);
        let n = old.ts.len();
        let ts = Int64Chunked::from_vec("ts".into(), old.ts)
            .into_datetime(TimeUnit::Milliseconds, None)
            .into_column();
        Ok(DataFrame::new(
            n,
            vec![
                old.symbol.finish().into_column(),
                ts,
                Float64Chunked::from_vec("price".into(), old.price).into_column(),
                Int32Chunked::from_vec("partition".into(), old.partition).into_column(),
                Int64Chunked::from_vec("offset".into(), old.offset).into_column(),
            ],
        )?)
    }
}

/// An empty batch frame, with the five columns and their dtypes.
pub(crate) fn empty_batch() -> DataFrame {
    FrameBuilder::with_capacity(0)
        .take()
        .unwrap_or_else(|_| DataFrame::empty())
}

/// `frame` without the rows of `partitions`.
pub(crate) fn without_partitions(
    frame: &DataFrame,
    partitions: &HashSet<i32>,
) -> Result<DataFrame> {
    if partitions.is_empty() || frame.height() == 0 {
        return Ok(frame.clone());
    }
    let keep: BooleanChunked = frame
        .column("partition")?
        .i32()?
        .iter()
        .map(|p| Some(!p.is_some_and(|p| partitions.contains(&p))))
        .collect();
    Ok(frame.filter(&keep)?)
}

/// Sorts a batch by `ts`, then `partition`, then `offset`: the canonical order of event-time
/// batches, the same whatever order the partitions were read in.
pub(crate) fn sort_canonical(frame: DataFrame) -> Result<DataFrame> {
    if frame.height() < 2 {
        return Ok(frame);
    }
    Ok(frame.sort(
        ["ts", "partition", "offset"],
        SortMultipleOptions::default().with_maintain_order(true),
    )?)
}

/// Stacks frames of the same schema; `None` if there is none.
pub(crate) fn concat(frames: impl IntoIterator<Item = DataFrame>) -> Result<Option<DataFrame>> {
    let mut acc: Option<DataFrame> = None;
    for frame in frames {
        match acc.as_mut() {
            None => acc = Some(frame),
            Some(a) => {
                a.vstack_mut_owned(frame)?;
            }
        }
    }
    if let Some(a) = acc.as_mut() {
        a.rechunk_mut();
    }
    Ok(acc)
}

/// What a replay, a producer or a market generator accepts as quotes: a `DataFrame`, wide
/// (an index column such as `Date` first, then one price column per symbol, as [`sp500`])
/// or long (`symbol`, `ts`, `price`), or the path of a wide price CSV (read with
/// [`read_prices`]).
///
/// The quotes come out long, with `ts` as `Datetime(Milliseconds)` (a `Date` is midnight UTC;
/// an integer is milliseconds since the epoch; a time zone is converted to UTC) and sorted by
/// `ts` (stable: equal times keep the input's order, symbols in alphabetical order for a wide
/// table). Null prices are not quotes and are left out, as in [`to_long`].
///
/// [`sp500`]: crate::sp500
/// [`read_prices`]: crate::read_prices
/// [`to_long`]: crate::data::to_long
///
/// ```
/// use eddy::prelude::*;
/// use eddy::stream::IntoQuotes;
///
/// let wide = sp500()?.select(["Date", "JPM", "KO"])?.head(Some(2));
/// let quotes = (&wide).into_quotes()?;
/// assert_eq!(quotes.get_column_names(), ["symbol", "ts", "price"]);
/// assert_eq!(quotes.height(), 4);
/// assert_eq!(quotes.column("symbol")?.str()?.get(1), Some("KO")); // same day, then next day
/// # Ok::<(), eddy::Error>(())
/// ```
pub trait IntoQuotes {
    /// The quotes as a long frame `symbol`, `ts`, `price`, sorted by `ts`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidDtype`] for a `ts` or price column of another type;
    /// [`Error::Io`]/[`Error::Csv`] for a file that cannot be read as prices.
    fn into_quotes(self) -> Result<DataFrame>;
}

impl IntoQuotes for &DataFrame {
    fn into_quotes(self) -> Result<DataFrame> {
        quotes_from_frame(self)
    }
}

impl IntoQuotes for DataFrame {
    fn into_quotes(self) -> Result<DataFrame> {
        quotes_from_frame(&self)
    }
}

impl IntoQuotes for &Path {
    fn into_quotes(self) -> Result<DataFrame> {
        quotes_from_frame(&crate::data::read_prices(self)?)
    }
}

impl IntoQuotes for PathBuf {
    fn into_quotes(self) -> Result<DataFrame> {
        self.as_path().into_quotes()
    }
}

impl IntoQuotes for &PathBuf {
    fn into_quotes(self) -> Result<DataFrame> {
        self.as_path().into_quotes()
    }
}

impl IntoQuotes for &str {
    fn into_quotes(self) -> Result<DataFrame> {
        Path::new(self).into_quotes()
    }
}

impl IntoQuotes for String {
    fn into_quotes(self) -> Result<DataFrame> {
        Path::new(&self).into_quotes()
    }
}

/// The long, sorted quotes of a wide or long frame.
fn quotes_from_frame(df: &DataFrame) -> Result<DataFrame> {
    const OP: &str = "quotes";
    let names: Vec<&str> = df.get_column_names().iter().map(|n| n.as_str()).collect();
    let is_long = ["symbol", "ts", "price"].iter().all(|c| names.contains(c));
    let long = if is_long {
        let symbol = df.column("symbol")?;
        if !matches!(symbol.dtype(), DataType::String | DataType::Categorical(..)) {
            return Err(Error::InvalidDtype {
                operation: OP,
                column: "symbol".into(),
                dtype: symbol.dtype().to_string(),
                expected: "a string column",
            });
        }
        let price = df.column("price")?;
        if !price.dtype().is_primitive_numeric() {
            return Err(Error::InvalidDtype {
                operation: OP,
                column: "price".into(),
                dtype: price.dtype().to_string(),
                expected: "a numeric column",
            });
        }
        let keep = price.is_not_null();
        DataFrame::new(
            df.height(),
            vec![
                symbol.cast(&DataType::String)?,
                df.column("ts")?.clone(),
                price.cast(&DataType::Float64)?,
            ],
        )?
        .filter(&keep)?
    } else {
        let Some(index) = names.first() else {
            return Err(Error::InvalidParameter {
                operation: OP,
                name: "frame",
                value: "a frame without columns".into(),
                rule: "wide (a date column, then one price column per symbol) or long (symbol, ts, price)",
            });
        };
        crate::data::to_long(df, index)?
    };
    let ts = long.column("ts")?;
    let ts = ts_as_millis(ts, OP)?;
    let mut long = long;
    long.with_column(ts)?;
    Ok(long.sort(
        ["ts"],
        SortMultipleOptions::default().with_maintain_order(true),
    )?)
}

/// A time column as `Datetime(Milliseconds)` without a time zone (UTC).
fn ts_as_millis(ts: &Column, operation: &'static str) -> Result<Column> {
    let name = ts.name().clone();
    let out = match ts.dtype() {
        DataType::Date => ts.cast(&TS_DTYPE)?,
        DataType::Datetime(_, tz) => {
            // The physical values of a zoned datetime are UTC instants already.
            let ms = ts.cast(&DataType::Datetime(TimeUnit::Milliseconds, tz.clone()))?;
            ms.to_physical_repr().cast(&TS_DTYPE)?
        }
        dt if dt.is_integer() => ts.cast(&DataType::Int64)?.cast(&TS_DTYPE)?,
        other => {
            return Err(Error::InvalidDtype {
                operation,
                column: name.to_string(),
                dtype: other.to_string(),
                expected: "a Date, a Datetime or integer milliseconds since 1970",
            });
        }
    };
    Ok(out.with_name(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_makes_the_batch_schema() {
        let mut b = FrameBuilder::default();
        b.push("JPM", 1_000, 10.5, 2, 7);
        b.push("KO", 2_000, 60.0, 0, 3);
        assert_eq!(b.len(), 2);
        let df = b.take().unwrap();
        assert_eq!(b.len(), 0);
        assert_eq!(
            df.get_column_names(),
            ["symbol", "ts", "price", "partition", "offset"]
        );
        assert_eq!(df.column("ts").unwrap().dtype(), &TS_DTYPE);
        assert_eq!(df.column("partition").unwrap().dtype(), &DataType::Int32);
        assert_eq!(df.column("offset").unwrap().i64().unwrap().get(1), Some(3));
        assert_eq!(empty_batch().schema(), df.schema());
        let dropped = without_partitions(&df, &HashSet::from([2])).unwrap();
        assert_eq!(dropped.height(), 1);
        assert_eq!(
            dropped.column("symbol").unwrap().str().unwrap().get(0),
            Some("KO")
        );
    }

    #[test]
    fn wide_long_dates_and_zones_become_the_same_quotes() {
        let wide = crate::sp500()
            .unwrap()
            .select(["Date", "KO", "JPM"])
            .unwrap()
            .head(Some(3));
        let q = (&wide).into_quotes().unwrap();
        assert_eq!(q.height(), 6);
        assert_eq!(q.column("ts").unwrap().dtype(), &TS_DTYPE);
        let symbols: Vec<_> = q
            .column("symbol")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|s| s.unwrap())
            .collect();
        assert_eq!(symbols, ["JPM", "KO", "JPM", "KO", "JPM", "KO"]);
        // 1990-01-02 midnight UTC.
        let ts = q.column("ts").unwrap().to_physical_repr();
        assert_eq!(ts.i64().unwrap().get(0), Some(631_238_400_000));

        let long = df!("symbol" => ["B", "A"], "ts" => [2_000i64, 1_000], "price" => [Some(2.0), Some(1.0)])
            .unwrap();
        let q = long.into_quotes().unwrap();
        assert_eq!(q.column("symbol").unwrap().str().unwrap().get(0), Some("A"));

        // A zoned time is converted to UTC: the instant 1 s after the epoch, in Paris.
        let paris = TimeZone::opt_try_new(Some("Europe/Paris")).unwrap();
        let zoned = df!("symbol" => ["A"], "ts" => [1_000_000i64], "price" => [1.0]).unwrap();
        let mut zoned = zoned;
        let ts = zoned
            .column("ts")
            .unwrap()
            .cast(&DataType::Datetime(TimeUnit::Microseconds, paris))
            .unwrap();
        zoned.with_column(ts).unwrap();
        let q = zoned.into_quotes().unwrap();
        assert_eq!(q.column("ts").unwrap().dtype(), &TS_DTYPE);
        let ts = q.column("ts").unwrap().to_physical_repr();
        assert_eq!(ts.i64().unwrap().get(0), Some(1_000));

        let bad = df!("symbol" => ["A"], "ts" => ["x"], "price" => [1.0]).unwrap();
        assert!(matches!(bad.into_quotes(), Err(Error::InvalidDtype { .. })));
    }
}
