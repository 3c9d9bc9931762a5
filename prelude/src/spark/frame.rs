//! [`SparkFrame`]: a lazy Spark DataFrame whose results come back as polars DataFrames.

use std::io::Cursor;

use polars::prelude::*;
use spark_connect::DataFrame as Remote;
use spark_connect::functions::expr;
use spark_connect::plan::JoinType;

use super::session::Spark;
use crate::display::{MimeBundle, Render, escape_html, frame_html};
use crate::error::{Error, Result};

/// A Spark DataFrame, lazy as in PySpark: `select`, `filter`, `with_column`, `group_by` +
/// `agg`, `join`, `sort` and `limit` build a plan; [`collect`](SparkFrame::collect) (or
/// [`count`](SparkFrame::count), [`head`](SparkFrame::head)) runs it on the cluster and
/// brings the answer back as a polars [`DataFrame`] (Arrow batches, no per-row conversion).
///
/// Expressions are Spark SQL text (`"price > 100"`, `"avg(price) AS mean"`), so what works in
/// `spark.sql` works here. [`describe`](crate::stats::describe), [`corr`](crate::stats::corr)
/// and [`ols`](crate::model::ols) accept a `SparkFrame` as they accept a `DataFrame`.
///
/// In a notebook a `SparkFrame` shows its schema, the steps of its plan and its first rows.
///
/// ```no_run
/// use eddy::prelude::*;
///
/// let spark = spark_default()?;
/// let q = spark.read_parquet("/data/quotes")?
///     .filter("symbol IN ('JPM', 'BAC')")
///     .with_column("year", "year(ts)")
///     .group_by(&["symbol", "year"])
///     .agg(&["avg(price) AS mean", "count(*) AS days"])
///     .sort(&["symbol", "year"]);
/// let table: DataFrame = q.collect()?;
/// # Ok::<(), eddy::Error>(())
/// ```
#[derive(Clone)]
pub struct SparkFrame {
    spark: Spark,
    remote: Remote,
    steps: Vec<String>,
}

/// A [`SparkFrame`] grouped by key columns, waiting for its aggregations.
pub struct SparkGroupBy {
    frame: SparkFrame,
    keys: Vec<String>,
}

/// How [`SparkFrame::join`] matches rows, as Spark's join types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinHow {
    /// Rows with a match on both sides.
    Inner,
    /// Every left row, with nulls where the right has no match.
    Left,
    /// Every right row, with nulls where the left has no match.
    Right,
    /// Every row of both sides.
    Full,
    /// Left rows that have a match (left columns only).
    Semi,
    /// Left rows that have no match (left columns only).
    Anti,
}

impl SparkFrame {
    pub(crate) fn new(spark: Spark, remote: Remote, step: String) -> SparkFrame {
        SparkFrame {
            spark,
            remote,
            steps: vec![step],
        }
    }

    fn then(&self, remote: Remote, step: String) -> SparkFrame {
        let mut steps = self.steps.clone();
        steps.push(step);
        SparkFrame {
            spark: self.spark.clone(),
            remote,
            steps,
        }
    }

    /// The session this frame runs on.
    pub fn spark(&self) -> &Spark {
        &self.spark
    }

    /// Columns or SQL expressions (`"price * 2 AS double"`), as PySpark's `selectExpr`.
    pub fn select(&self, columns: &[&str]) -> SparkFrame {
        let remote = self.remote.select_expr(columns.to_vec());
        self.then(remote, format!("select {}", columns.join(", ")))
    }

    /// Rows where the SQL `condition` holds.
    pub fn filter(&self, condition: &str) -> SparkFrame {
        let remote = self.remote.filter(expr(condition));
        self.then(remote, format!("filter {condition}"))
    }

    /// Adds (or replaces) column `name` computed by the SQL expression `expression`.
    pub fn with_column(&self, name: &str, expression: &str) -> SparkFrame {
        let remote = self.remote.with_column(name, expr(expression));
        self.then(remote, format!("with_column {name} = {expression}"))
    }

    /// Groups by the `keys` columns; aggregate with [`SparkGroupBy::agg`].
    pub fn group_by(&self, keys: &[&str]) -> SparkGroupBy {
        SparkGroupBy {
            frame: self.clone(),
            keys: keys.iter().map(|k| k.to_string()).collect(),
        }
    }

    /// Joins `other` on equal values of the `on` columns (which appear once in the result).
    pub fn join(&self, other: &SparkFrame, on: &[&str], how: JoinHow) -> SparkFrame {
        let kind = match how {
            JoinHow::Inner => JoinType::Inner,
            JoinHow::Left => JoinType::LeftOuter,
            JoinHow::Right => JoinType::RightOuter,
            JoinHow::Full => JoinType::FullOuter,
            JoinHow::Semi => JoinType::LeftSemi,
            JoinHow::Anti => JoinType::LeftAnti,
        };
        let remote = self
            .remote
            .join_using(&other.remote, on.iter().map(|c| c.to_string()), kind);
        self.with_other(
            remote,
            format!("{how:?} join on {} with:", on.join(", ")),
            other,
        )
    }

    /// Every row of `self` with every row of `other` (a Cartesian product, as Spark's
    /// `crossJoin`): `frame.cross_join(&spark.range(1000)?)` repeats each row 1000 times.
    pub fn cross_join(&self, other: &SparkFrame) -> SparkFrame {
        let remote = self.remote.cross_join(&other.remote);
        self.with_other(remote, "cross join with:".into(), other)
    }

    /// `remote` combining this frame with `other`: the plan lists `other`'s steps, indented.
    fn with_other(&self, remote: Remote, step: String, other: &SparkFrame) -> SparkFrame {
        let mut next = self.then(remote, step);
        next.steps
            .extend(other.steps.iter().map(|s| format!("    {s}")));
        next
    }

    /// Sorts by the columns, ascending.
    pub fn sort(&self, by: &[&str]) -> SparkFrame {
        self.sorted(by, false)
    }

    /// Sorts by the columns, descending.
    pub fn sort_desc(&self, by: &[&str]) -> SparkFrame {
        self.sorted(by, true)
    }

    fn sorted(&self, by: &[&str], descending: bool) -> SparkFrame {
        let order = by
            .iter()
            .map(|c| {
                let column = spark_connect::col(c);
                let column = if descending {
                    column.desc()
                } else {
                    column.asc()
                };
                column.expression().clone()
            })
            .collect();
        let remote = self.remote.sort(order);
        let direction = if descending { " descending" } else { "" };
        self.then(remote, format!("sort by {}{direction}", by.join(", ")))
    }

    /// The first `n` rows (still lazy).
    pub fn limit(&self, n: usize) -> SparkFrame {
        let n = i32::try_from(n).unwrap_or(i32::MAX);
        self.then(self.remote.limit(n), format!("limit {n}"))
    }

    /// The number of rows (runs the plan).
    pub fn count(&self) -> Result<usize> {
        let remote = self.remote.clone();
        let n = self
            .spark
            .run("SparkFrame::count", None, move |_| remote.count())?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// The column names (asks the server to analyse the plan).
    pub fn columns(&self) -> Result<Vec<String>> {
        let remote = self.remote.clone();
        self.spark
            .run("SparkFrame::columns", None, move |_| remote.columns())
    }

    /// The columns' Spark types, e.g. `("price", "double")`.
    pub fn dtypes(&self) -> Result<Vec<(String, String)>> {
        let remote = self.remote.clone();
        self.spark
            .run("SparkFrame::dtypes", None, move |_| remote.dtypes())
    }

    /// The schema as Spark prints it (`root |-- price: double (nullable = true)`).
    pub fn schema(&self) -> Result<String> {
        let remote = self.remote.clone();
        self.spark.run("SparkFrame::schema", None, move |_| {
            remote.schema()?.tree_string()
        })
    }

    /// The steps that built this frame, one a line (the server's physical plan:
    /// [`explain`](SparkFrame::explain)).
    pub fn plan(&self) -> String {
        self.steps.join("\n")
    }

    /// Prints Spark's physical plan (as PySpark's `explain()`).
    pub fn explain(&self) -> Result<()> {
        let remote = self.remote.clone();
        self.spark
            .run("SparkFrame::explain", None, move |_| remote.explain())
    }

    /// Runs the plan and brings the result into the kernel as a polars DataFrame, if it has
    /// at most [`Spark::max_rows`] rows (1,000,000 unless raised).
    ///
    /// # Errors
    ///
    /// [`Error::Spark`] if the result is larger than the limit (nothing past the limit is
    /// transferred; the error says how to raise it or what to do instead), or with Spark's
    /// error class and message if the query fails. [`Error::Interrupted`] on ■: the query is
    /// cancelled on the server.
    pub fn collect(&self) -> Result<DataFrame> {
        const OP: &str = "SparkFrame::collect";
        let max = self.spark.max_rows();
        let probe = i32::try_from(max.saturating_add(1)).unwrap_or(i32::MAX);
        let df = self.fetch(OP, self.remote.limit(probe))?;
        if df.height() > max {
            return Err(Error::Spark {
                operation: OP,
                class: None,
                message: format!(
                    "the result has more than {max} rows, the limit of rows brought into the kernel"
                ),
                hint: format!(
                    "aggregate on the cluster first (group_by/agg, describe, ols), take `.limit(n)`, \
                     or raise the limit with `spark.set_max_rows({})`",
                    max.saturating_mul(10)
                ),
            });
        }
        Ok(df)
    }

    /// [`collect`](SparkFrame::collect), named as polars users expect.
    pub fn to_polars(&self) -> Result<DataFrame> {
        self.collect()
    }

    /// The first `n` rows as a polars DataFrame.
    pub fn head(&self, n: usize) -> Result<DataFrame> {
        let n = i32::try_from(n).unwrap_or(i32::MAX);
        self.fetch("SparkFrame::head", self.remote.limit(n))
    }

    /// Runs `remote` and reads its Arrow result into polars.
    pub(crate) fn fetch(&self, operation: &'static str, remote: Remote) -> Result<DataFrame> {
        let bytes = self
            .spark
            .run(operation, None, move |_| remote.to_arrow())?;
        arrow_to_polars(&bytes)
    }

    /// The frame as the client's DataFrame, for the statistics module.
    pub(crate) fn remote(&self) -> &Remote {
        &self.remote
    }

    pub(crate) fn derived(&self, remote: Remote, step: String) -> SparkFrame {
        self.then(remote, step)
    }
}

/// The client's Arrow IPC bytes (the *file* format: `DataFrame::to_arrow` re-encodes the
/// batches Spark Connect streamed) → polars, column buffers read as they are.
pub(crate) fn arrow_to_polars(bytes: &[u8]) -> Result<DataFrame> {
    if bytes.is_empty() {
        return Ok(DataFrame::empty());
    }
    Ok(IpcReader::new(Cursor::new(bytes)).finish()?)
}

impl SparkGroupBy {
    /// One row per group: the keys, then each SQL aggregate (`"avg(price) AS mean"`).
    pub fn agg(&self, aggregates: &[&str]) -> SparkFrame {
        let exprs = aggregates
            .iter()
            .map(|a| expr(a).expression().clone())
            .collect();
        let keys: Vec<spark_connect::Column> =
            self.keys.iter().map(|k| spark_connect::col(k)).collect();
        let remote = self.frame.remote.group_by(keys).agg(exprs);
        self.frame.then(
            remote,
            format!(
                "group_by {} agg {}",
                self.keys.join(", "),
                aggregates.join(", ")
            ),
        )
    }
}

impl std::fmt::Debug for SparkFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SparkFrame on {}:\n{}", self.spark.url(), self.plan())
    }
}

/// Schema, plan and the first 10 rows (two small queries when shown).
impl Render for SparkFrame {
    fn mime_bundle(&self) -> MimeBundle {
        let schema = self
            .schema()
            .unwrap_or_else(|e| format!("(schema unavailable: {e})"));
        let plan = self.plan();
        let (rows_text, rows_html) = match self.head(10) {
            Ok(df) => {
                let html = frame_html(&df, "first rows");
                (format!("{df}"), html)
            }
            Err(e) => {
                let text = format!("(rows unavailable: {e})");
                (text.clone(), format!("<p>{}</p>", escape_html(&text)))
            }
        };
        let text = format!(
            "SparkFrame on {}\n{schema}\nplan:\n{plan}\n{rows_text}",
            self.spark.url()
        );
        let html = format!(
            "<div class=\"eddy-spark\"><p><b>SparkFrame</b> on <code>{}</code> (lazy; \
             <code>.collect()</code> brings it into the kernel)</p>\
             <details><summary>schema</summary><pre>{}</pre></details>\
             <details open><summary>plan</summary><pre>{}</pre></details>{}</div>",
            escape_html(self.spark.url()),
            escape_html(&schema),
            escape_html(&plan),
            rows_html
        );
        MimeBundle::new(text).with("text/html", html)
    }
}
