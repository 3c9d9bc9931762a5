//! [`ParquetSink`]: a stream's batches as Parquet files partitioned by date, the data dir a
//! Spark cluster reads without the quotes going through the kernel again.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use polars::prelude::*;

use crate::error::{Error, Result};

/// Spark's and Hive's directory name for rows whose partition value is null.
const NULL_PARTITION: &str = "__HIVE_DEFAULT_PARTITION__";

/// Writes the batches it is given under a directory as Parquet, one file per batch and day of
/// `ts`, in Hive-style partitions that Spark (and polars) read as one table with a `date`
/// column: `dir/date=2024-01-02/part-<sink>-<batch>.parquet`.
///
/// Use it as a stream's sink: `foreach_batch(move |batch| sink.write(batch).map(drop))`.
/// Each file is written under a temporary name and renamed when complete, so a crash leaves
/// no partial file behind. Delivery is at least once, like the stream's: after a crash the
/// batches not yet committed are read and written again (to new files), so a reader that
/// needs each quote once drops duplicates by `(symbol, ts)`, as the store's upsert does.
///
/// ```
/// use eddy::prelude::*;
///
/// let dir = std::env::temp_dir().join(format!("eddy-doc-parquet-{}", std::process::id()));
/// let mut sink = ParquetSink::new(&dir)?;
/// let prices = sp500()?.select(["Date", "JPM"])?.head(Some(10));
/// Stream::replay(&prices)
///     .foreach_batch(move |batch| sink.write(batch).map(drop))
///     .batches(Trigger::event_time("1w"))?
///     .try_for_each(|batch| batch.map(drop))?;
/// let days = std::fs::read_dir(&dir)?.count();
/// assert_eq!(days, 10); // one partition per trading day
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ParquetSink {
    dir: PathBuf,
    /// Unique to this sink: two sinks (or runs) on one directory never overwrite each other.
    name: String,
    batches: u64,
}

impl ParquetSink {
    /// A sink writing under `dir`, which is created if missing.
    ///
    /// # Errors
    ///
    /// [`Error::Stream`] if `dir` cannot be created.
    pub fn new(dir: impl AsRef<Path>) -> Result<ParquetSink> {
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(&dir).map_err(|e| cannot_write(&dir, e))?;
        let started = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        Ok(ParquetSink {
            dir,
            name: format!("{started}-{}", std::process::id()),
            batches: 0,
        })
    }

    /// The directory written to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes `batch` (which needs a `ts` column of dates or datetimes), one file per day in
    /// it, and returns the files written (none for an empty batch).
    ///
    /// # Errors
    ///
    /// [`Error::ColumnNotFound`] without a `ts` column, [`Error::InvalidDtype`] if it is not
    /// a date or datetime, [`Error::Stream`] if a file cannot be written (the batch is then
    /// not committed, and is read again after a restart).
    pub fn write(&mut self, batch: &DataFrame) -> Result<Vec<PathBuf>> {
        const OP: &str = "ParquetSink::write";
        let ts = batch
            .column("ts")
            .map_err(|_| Error::column_not_found(OP, "ts", batch))?;
        if !matches!(ts.dtype(), DataType::Date | DataType::Datetime(..)) {
            return Err(Error::InvalidDtype {
                operation: OP,
                column: "ts".into(),
                dtype: ts.dtype().to_string(),
                expected: "a date or datetime column, to partition the files by day",
            });
        }
        self.batches += 1;
        if batch.height() == 0 {
            return Ok(Vec::new());
        }
        // The rows of each day (days since the epoch; None for a null ts).
        let days = ts.cast(&DataType::Date)?.cast(&DataType::Int32)?;
        let mut rows_of: BTreeMap<Option<i32>, Vec<IdxSize>> = BTreeMap::new();
        for (row, day) in days.i32()?.iter().enumerate() {
            rows_of.entry(day).or_default().push(row as IdxSize);
        }
        let mut written = Vec::with_capacity(rows_of.len());
        for (day, rows) in rows_of {
            let mut part = batch.take(&IdxCa::from_vec("rows".into(), rows))?;
            let partition = match day {
                Some(day) => format!("date={}", date_of(day)),
                None => format!("date={NULL_PARTITION}"),
            };
            let dir = self.dir.join(partition);
            fs::create_dir_all(&dir).map_err(|e| cannot_write(&dir, e))?;
            let file = dir.join(format!("part-{}-{:06}.parquet", self.name, self.batches));
            let partial = dir.join(format!(
                ".part-{}-{:06}.parquet.tmp",
                self.name, self.batches
            ));
            let out = File::create(&partial).map_err(|e| cannot_write(&partial, e))?;
            ParquetWriter::new(out).finish(&mut part)?;
            fs::rename(&partial, &file).map_err(|e| cannot_write(&file, e))?;
            written.push(file);
        }
        Ok(written)
    }
}

/// `YYYY-MM-DD` of a day counted from 1970-01-01.
fn date_of(day: i32) -> String {
    chrono::NaiveDate::from_num_days_from_ce_opt(day + 719_163)
        .map_or_else(|| day.to_string(), |d| d.format("%Y-%m-%d").to_string())
}

fn cannot_write(path: &Path, e: std::io::Error) -> Error {
    Error::Stream {
        operation: "ParquetSink",
        message: format!("cannot write {}: {e}", path.display()),
        hint: "check that the directory is writable and the disk not full".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("eddy-parquet-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn batches_land_in_one_file_per_day_and_read_back_whole() -> Result<()> {
        let dir = temp_dir("round-trip");
        let prices = sp500()?.select(["Date", "JPM", "XOM"])?.head(Some(40));
        let mut sink = ParquetSink::new(&dir)?;
        let mut expected = Vec::new();
        for batch in Stream::replay(&prices)
            .foreach_batch(move |batch| sink.write(batch).map(drop))
            .batches(Trigger::event_time("1w"))?
        {
            expected.push(batch?);
        }
        let mut all: Option<DataFrame> = None;
        let mut days = 0;
        for entry in fs::read_dir(&dir).map_err(|e| cannot_write(&dir, e))? {
            let path = entry.map_err(|e| cannot_write(&dir, e))?.path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let day = name
                .strip_prefix("date=")
                .expect("a Hive partition directory");
            days += 1;
            for file in fs::read_dir(&path).map_err(|e| cannot_write(&path, e))? {
                let file = file.map_err(|e| cannot_write(&path, e))?.path();
                assert!(file.extension().is_some_and(|e| e == "parquet"), "{file:?}");
                let part =
                    ParquetReader::new(File::open(&file).map_err(|e| cannot_write(&file, e))?)
                        .finish()?;
                let dates = part.column("ts")?.cast(&DataType::Date)?;
                assert!(
                    dates
                        .date()?
                        .as_date_iter()
                        .all(|d| d.map(|d| d.to_string()) == Some(day.to_string()))
                );
                all = Some(match all {
                    Some(mut df) => {
                        df.vstack_mut(&part)?;
                        df
                    }
                    None => part,
                });
            }
        }
        assert_eq!(days, 40);
        let sort = |df: DataFrame| -> Result<DataFrame> {
            Ok(df.sort(["symbol", "ts"], SortMultipleOptions::default())?)
        };
        let mut batches = expected.into_iter();
        let mut want = batches.next().expect("batches");
        for b in batches {
            want.vstack_mut(&b)?;
        }
        let got = sort(all.expect("files"))?;
        assert_eq!(got.height(), 80);
        assert!(got.equals_missing(&sort(want)?));
        fs::remove_dir_all(&dir).map_err(|e| cannot_write(&dir, e))?;
        Ok(())
    }

    #[test]
    fn bad_batches_are_errors_and_empty_ones_write_nothing() -> Result<()> {
        let dir = temp_dir("bad");
        let mut sink = ParquetSink::new(&dir)?;
        let no_ts = df!("symbol" => ["A"], "price" => [1.0])?;
        let err = sink.write(&no_ts).unwrap_err().to_string();
        assert!(
            err.contains("`ts` not found") && err.contains("symbol, price"),
            "{err}"
        );
        let text_ts = df!("ts" => ["2024-01-02"])?;
        let err = sink.write(&text_ts).unwrap_err().to_string();
        assert!(err.contains("date or datetime"), "{err}");
        let empty = df!("ts" => Vec::<i32>::new())?
            .lazy()
            .select([col("ts").cast(DataType::Date)])
            .collect()?;
        assert!(sink.write(&empty)?.is_empty());
        fs::remove_dir_all(&dir).map_err(|e| cannot_write(&dir, e))?;
        Ok(())
    }
}
