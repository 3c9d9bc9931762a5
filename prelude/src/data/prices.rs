//! Price tables: reading wide CSV files of daily prices, and the bundled S&P 500 sample.
//!
//! A price table has a `Date` column first and one `f64` column per symbol, one row per
//! trading day. [`read_prices`] reads such a file (plain or gzip-compressed); [`sp500`]
//! returns the sample that ships inside the prelude, so notebooks run offline.

use std::io::{Cursor, Read};
use std::path::Path;
use std::sync::OnceLock;

use polars::prelude::*;

use crate::error::{Error, Result};

/// The bundled sample, `data/sp500_dataset.csv.gz` of the eddy repository (426 kB).
static SP500_CSV_GZ: &[u8] = include_bytes!("../../../data/sp500_dataset.csv.gz");

/// The parsed sample, parsed once per process (cloning a `DataFrame` is cheap).
static SP500: OnceLock<DataFrame> = OnceLock::new();

/// Reads a wide CSV of daily prices into a `DataFrame`.
///
/// The file must have a header, a `Date` column first (ISO dates such as `2022-12-28`),
/// and one numeric column per symbol. `Date` comes back with polars' `Date` dtype, every
/// other column as `f64` (integers are widened; empty cells are null). A name ending in
/// `.gz`, or gzip content, is decompressed first.
///
/// # Errors
///
/// [`Error::Io`] if the file cannot be read, [`Error::Csv`] if it is not a price table
/// (no `Date` column first, dates that do not parse, a column that is not numeric).
///
/// # Example
///
/// ```
/// use eddy::prelude::*;
///
/// let path = std::env::temp_dir().join("eddy-doc-read-prices.csv");
/// std::fs::write(&path, "Date,AAPL,MSFT\n2022-12-27,130.0,236.9\n2022-12-28,126.0,234.5\n")?;
/// let df = read_prices(&path)?;
/// assert_eq!(df.shape(), (2, 3));
/// assert_eq!(df.column("Date")?.dtype(), &DataType::Date);
/// assert_eq!(df.column("MSFT")?.dtype(), &DataType::Float64);
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_prices(path: impl AsRef<Path>) -> Result<DataFrame> {
    read_prices_at(path.as_ref())
}

/// The non-generic body of [`read_prices`].
fn read_prices_at(path: &Path) -> Result<DataFrame> {
    const OP: &str = "read_prices";
    let io_error = |source| Error::Io {
        operation: OP,
        path: path.to_path_buf(),
        source,
    };
    let bytes = std::fs::read(path).map_err(io_error)?;
    let gz_name = path
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("gz"));
    let bytes = if gz_name || is_gzip(&bytes) {
        gunzip(&bytes).map_err(io_error)?
    } else {
        bytes
    };
    parse_prices(bytes, OP, &path.display().to_string())
}

/// Daily adjusted closing prices of 20 S&P 500 constituents, 1990-01-02 to 2022-12-28.
///
/// 8,313 rows × 21 columns: `Date` (polars `Date`) and one `f64` column per symbol
/// (AAPL AMD BAC BBY CVX GE HD JNJ JPM KO LLY MRK MSFT PEP PFE PG RRC UNH WMT XOM), no
/// missing values. The file is embedded in the prelude, so this works offline and from any
/// directory; it is parsed once per process.
///
/// Provenance: `skfolio/datasets/data/sp500_dataset.csv.gz` from the Python package
/// skfolio 1.12.2 (BSD 3-Clause License), which calls it stale data for testing and
/// examples, not for investment use; see `data/README.md` in the eddy repository.
///
/// # Example
///
/// ```
/// use eddy::prelude::*;
///
/// let df = sp500()?;
/// assert_eq!(df.shape(), (8313, 21));
/// assert_eq!(df.column("Date")?.dtype(), &DataType::Date);
/// assert_eq!(df.column("AAPL")?.f64()?.get(0), Some(0.264));
/// # Ok::<(), eddy::Error>(())
/// ```
pub fn sp500() -> Result<DataFrame> {
    if let Some(df) = SP500.get() {
        return Ok(df.clone());
    }
    const OP: &str = "sp500";
    let bytes = gunzip(SP500_CSV_GZ).map_err(|source| Error::Io {
        operation: OP,
        path: "<bundled sp500_dataset.csv.gz>".into(),
        source,
    })?;
    let df = parse_prices(bytes, OP, "<bundled sp500_dataset.csv.gz>")?;
    Ok(SP500.get_or_init(|| df).clone())
}

/// True if `bytes` start with the gzip magic number.
fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// Decompresses a whole gzip stream (members concatenated, as `gzip` writes them).
fn gunzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() * 4);
    flate2::read::MultiGzDecoder::new(bytes).read_to_end(&mut out)?;
    Ok(out)
}

/// Parses CSV text into a price table: `Date` as `Date`, every other column as `f64`.
fn parse_prices(csv: Vec<u8>, operation: &'static str, source_name: &str) -> Result<DataFrame> {
    let csv_error = |problem: String, hint: &'static str| Error::Csv {
        operation,
        source_name: source_name.to_string(),
        problem,
        hint,
    };
    let df = CsvReadOptions::default()
        .with_has_header(true)
        .map_parse_options(|options| options.with_try_parse_dates(true))
        .into_reader_with_file_handle(Cursor::new(csv))
        .finish()
        .map_err(|err| {
            csv_error(
                err.to_string(),
                "a price table is comma-separated with a header line",
            )
        })?;

    let Some(first) = df.columns().first() else {
        return Err(csv_error(
            "it has no columns".into(),
            "the first line must name the columns, `Date` first",
        ));
    };
    if first.name().as_str() != "Date" {
        return Err(csv_error(
            format!("the first column is `{}`, not `Date`", first.name()),
            "the first line must name the columns, `Date` first",
        ));
    }

    let mut columns = Vec::with_capacity(df.width());
    for column in df.columns() {
        let dtype = column.dtype();
        let converted = if column.name().as_str() == "Date" {
            match dtype {
                DataType::Date => column.clone(),
                DataType::Datetime(_, _) => column.cast(&DataType::Date)?,
                _ => {
                    let example = column
                        .get(0)
                        .map(|v| v.to_string())
                        .unwrap_or_else(|_| "nothing".into());
                    return Err(csv_error(
                        format!("`Date` holds {example}, which is not a date"),
                        "write dates as ISO 8601, e.g. 2022-12-28",
                    ));
                }
            }
        } else if dtype.is_primitive_numeric() {
            column.cast(&DataType::Float64)?
        } else if dtype == &DataType::Null {
            // A column with only empty cells: keep it, as nulls of the right type.
            column.cast(&DataType::Float64)?
        } else {
            return Err(csv_error(
                format!("column `{}` has dtype {dtype}, not numbers", column.name()),
                "every column after `Date` must hold prices; empty cells are read as null",
            ));
        };
        columns.push(converted);
    }
    Ok(DataFrame::new(df.height(), columns)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_file(name: &str, contents: &[u8]) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("eddy-test-{}-{name}", std::process::id()));
        std::fs::write(&path, contents).expect("write temp file");
        path
    }

    #[test]
    fn sp500_has_dates_and_prices() {
        let df = sp500().unwrap();
        assert_eq!(df.shape(), (8313, 21));
        let names: Vec<String> = df
            .get_column_names()
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(names[0], "Date");
        assert_eq!(names[1], "AAPL");
        assert_eq!(names[20], "XOM");
        let dates = df.column("Date").unwrap();
        assert_eq!(dates.dtype(), &DataType::Date);
        assert_eq!(dates.get(0).unwrap().to_string(), "1990-01-02");
        assert_eq!(dates.get(8312).unwrap().to_string(), "2022-12-28");
        for column in &df.columns()[1..] {
            assert_eq!(column.dtype(), &DataType::Float64, "{}", column.name());
            assert_eq!(column.null_count(), 0, "{}", column.name());
        }
        // The second call comes from the cache and is equal.
        assert!(sp500().unwrap().equals(&df));
    }

    #[test]
    fn reads_plain_and_gzip_files() {
        let csv = b"Date,A,B\n2020-01-02,1,2.5\n2020-01-03,,3.5\n";
        let plain = temp_file("prices.csv", csv);
        let df = read_prices(&plain).unwrap();
        assert_eq!(df.shape(), (2, 3));
        assert_eq!(df.column("A").unwrap().dtype(), &DataType::Float64);
        assert_eq!(df.column("A").unwrap().null_count(), 1);

        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, csv).unwrap();
        let gz_path = temp_file("prices.csv.gz", &gz.finish().unwrap());
        let df_gz = read_prices(&gz_path).unwrap();
        assert!(df_gz.equals_missing(&df));

        std::fs::remove_file(plain).unwrap();
        std::fs::remove_file(gz_path).unwrap();
    }

    #[test]
    fn missing_file_is_an_io_error_naming_the_path() {
        let err = read_prices("/nonexistent/eddy/prices.csv").unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err:?}");
        assert!(
            err.to_string().contains("/nonexistent/eddy/prices.csv"),
            "{err}"
        );
    }

    #[test]
    fn rejects_tables_that_are_not_prices() {
        let no_date = temp_file("nodate.csv", b"Day,A\n2020-01-02,1\n");
        let err = read_prices(&no_date).unwrap_err();
        assert!(
            err.to_string()
                .contains("the first column is `Day`, not `Date`"),
            "{err}"
        );

        let bad_date = temp_file("baddate.csv", b"Date,A\nyesterday,1\n");
        let err = read_prices(&bad_date).unwrap_err();
        assert!(err.to_string().contains("not a date"), "{err}");

        let text = temp_file("text.csv", b"Date,A\n2020-01-02,abc\n");
        let err = read_prices(&text).unwrap_err();
        assert!(
            err.to_string().contains("column `A` has dtype str"),
            "{err}"
        );

        for path in [no_date, bad_date, text] {
            std::fs::remove_file(path).unwrap();
        }
    }
}
