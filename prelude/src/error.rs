//! The one error type of the prelude, [`Error`], with a variant per category.

use std::path::PathBuf;

use polars::prelude::PolarsError;

/// `Result<T, eddy::Error>`, the return type of every fallible prelude call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in a prelude call.
///
/// Messages are lowercase and name the operation, the offending value and a hint:
///
/// ```
/// let df = eddy::sp500()?;
/// let err = eddy::plot::line(&df, "Date", &["APPL"]).unwrap_err();
/// assert!(matches!(err, eddy::Error::ColumnNotFound { .. }));
/// assert!(err.to_string().starts_with("line: column `APPL` not found"));
/// assert!(err.to_string().contains("AAPL"));
/// # Ok::<(), eddy::Error>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The user interrupted the cell (Jupyter's stop button) while a prelude call ran.
    #[error("interrupted: the cell was stopped by the user; variables defined before it are kept")]
    Interrupted,
    /// A file could not be opened or read.
    #[error("{operation}: cannot read {path}: {source} (hint: paths are relative to the notebook's directory)", path = path.display())]
    Io {
        /// The call that failed, e.g. `read_prices`.
        operation: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// A CSV file does not have the expected layout.
    #[error("{operation}: {source_name} is not a price table: {problem} (hint: {hint})")]
    Csv {
        /// The call that failed.
        operation: &'static str,
        /// The file name, or `<bundled sp500>`.
        source_name: String,
        /// What is wrong, naming the offending value.
        problem: String,
        /// What to do about it.
        hint: &'static str,
    },

    /// A column name that the frame does not have.
    #[error("{operation}: column `{column}` not found; available columns: {} (hint: names are case-sensitive)", available.join(", "))]
    ColumnNotFound {
        /// The call that failed.
        operation: &'static str,
        /// The name asked for.
        column: String,
        /// The names the frame has.
        available: Vec<String>,
    },

    /// A column whose data type the operation cannot use.
    #[error(
        "{operation}: column `{column}` has dtype {dtype}, but {operation} needs {expected} (hint: cast it with `col(\"{column}\").cast(...)`)"
    )]
    InvalidDtype {
        /// The call that failed.
        operation: &'static str,
        /// The column.
        column: String,
        /// Its data type, as polars prints it.
        dtype: String,
        /// What the operation accepts, e.g. `a numeric column`.
        expected: &'static str,
    },

    /// A parameter outside its allowed range.
    #[error("{operation}: {name} should be {rule}, but is {value}")]
    InvalidParameter {
        /// The call that failed.
        operation: &'static str,
        /// The parameter.
        name: &'static str,
        /// Its value, formatted.
        value: String,
        /// The rule it broke, e.g. `at least 1`.
        rule: &'static str,
    },

    /// Nothing to compute or draw: every value of a column is null or not finite.
    #[error(
        "{operation}: column `{column}` has no finite, non-null values (hint: check `df.null_count()` or filter the frame first)"
    )]
    NoData {
        /// The call that failed.
        operation: &'static str,
        /// The column.
        column: String,
    },

    /// A stream could not connect, read, dead-letter, commit or produce (Kafka), or a stream
    /// was set up wrongly; `hint` says what to do, e.g. `start it with services/kafka.sh start`.
    #[error("{operation}: {message} (hint: {hint})")]
    Stream {
        /// The call that failed, e.g. `Stream::kafka`.
        operation: &'static str,
        /// What went wrong, naming the broker, topic or value.
        message: String,
        /// What to do about it.
        hint: String,
    },

    /// A store could not do an operation: a Cassandra cluster that cannot be reached, refuses
    /// the login, has too few replicas alive for the consistency level or times out; or the
    /// embedded SQLite file that cannot be opened or written. `kind` tells which.
    ///
    /// ```
    /// use eddy::prelude::*;
    /// use eddy::store::StoreErrorKind;
    ///
    /// // Nothing listens on port 1: the error names the address and how to start a node.
    /// let err = Store::cassandra(&["127.0.0.1:1"], "course").unwrap_err();
    /// assert!(matches!(err, eddy::Error::Store { kind: StoreErrorKind::Connect, .. }));
    /// assert!(err.to_string().contains("services/cassandra.sh start"));
    /// ```
    #[error("{operation}: {backend} at {target}: {message} (hint: {hint})")]
    Store {
        /// The call that failed, e.g. `write`.
        operation: &'static str,
        /// `cassandra` or `sqlite`.
        backend: &'static str,
        /// The contact points and keyspace, or the file.
        target: String,
        /// What went wrong, with the server's or the library's own message.
        message: String,
        /// What to do about it.
        hint: String,
        /// The category, to match on.
        kind: crate::store::StoreErrorKind,
    },

    /// Nulls, NaNs or infinities in a column a model needs complete.
    #[error(
        "{operation}: column `{column}` has {count} null or non-finite value(s), the first at row {first_row}; models need complete rows (hint: drop them with `fill_nulls(&df, NullPolicy::DropRows)?.df`, or fill them)"
    )]
    MissingValues {
        /// The call that failed.
        operation: &'static str,
        /// The column.
        column: String,
        /// How many values are null, NaN or infinite.
        count: usize,
        /// The row of the first one.
        first_row: usize,
    },

    /// A model's fitting routine (linfa's) failed on data that passed the prelude's checks.
    #[error("{operation}: the model could not be fitted: {reason}")]
    Model {
        /// The call that failed.
        operation: &'static str,
        /// The fitting library's message.
        reason: String,
    },

    /// A Spark Connect call failed: the server is unreachable, or Spark reported an error
    /// (its error class, e.g. `UNRESOLVED_COLUMN.WITH_SUGGESTION`, and message).
    #[error("{operation}: {message} (hint: {hint})")]
    Spark {
        /// The prelude call that failed, e.g. `SparkFrame::collect`.
        operation: &'static str,
        /// Spark's error class, when the server gave one.
        class: Option<String>,
        /// What went wrong, with Spark's own message.
        message: String,
        /// What to do about it.
        hint: String,
    },

    /// An error from polars, passed through.
    #[error("polars: {0}")]
    Polars(#[from] PolarsError),

    /// A chart or other rich output could not be drawn or encoded.
    #[error("{operation}: cannot render {format}: {reason}")]
    Display {
        /// The call that failed, e.g. `Chart::png`.
        operation: &'static str,
        /// The output format, e.g. `svg`.
        format: &'static str,
        /// The drawing backend's message.
        reason: String,
    },
}

impl Error {
    /// A [`Error::ColumnNotFound`] for `column`, listing the columns of `df`.
    pub(crate) fn column_not_found(
        operation: &'static str,
        column: &str,
        df: &polars::prelude::DataFrame,
    ) -> Self {
        Error::ColumnNotFound {
            operation,
            column: column.to_string(),
            available: df
                .get_column_names()
                .iter()
                .map(|name| name.to_string())
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_lowercase_and_name_the_value() {
        let err = Error::InvalidParameter {
            operation: "hist",
            name: "bins",
            value: "0".into(),
            rule: "at least 1",
        };
        assert_eq!(err.to_string(), "hist: bins should be at least 1, but is 0");

        let err = Error::Io {
            operation: "read_prices",
            path: "nope.csv".into(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        };
        let msg = err.to_string();
        assert!(
            msg.starts_with("read_prices: cannot read nope.csv: "),
            "{msg}"
        );
        assert!(msg.contains("hint:"), "{msg}");
    }

    #[test]
    fn polars_errors_convert() {
        let err: Error = PolarsError::ComputeError("boom".into()).into();
        assert!(matches!(err, Error::Polars(_)));
        assert!(err.to_string().contains("boom"));
    }
}
