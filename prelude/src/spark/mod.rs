//! Scale out: the prelude's calls on an Apache Spark cluster through Spark Connect.
//!
//! [`spark`] connects to a Spark Connect server (`services/spark.sh start` runs one on
//! `sc://127.0.0.1:15002` against a standalone master with two workers). A [`SparkFrame`] is
//! a lazy Spark DataFrame built with Spark SQL text; its answers come back as polars
//! `DataFrame`s (Arrow IPC, no per-row conversion), behind a row limit that stops a
//! `collect` of a huge table with an error instead of filling the kernel's memory.
//!
//! [`describe`](crate::stats::describe), [`corr`](crate::stats::corr) and
//! [`ols`](crate::model::ols) accept a `SparkFrame` as they accept a `DataFrame` (the
//! [`Dataset`](crate::Dataset) trait): each runs as one aggregation on the cluster and the
//! local code finishes the job, so `ols(&frame, "JPM", &others)?.summary()` reads as the
//! local one.
//!
//! What is exact at scale and what is not:
//!
//! | statistic | on Spark |
//! |---|---|
//! | count, mean, std, min, max, skew, kurt | exact up to floating-point summation order (Spark's moment aggregates merge partitions pairwise) |
//! | 25/50/75 % | **approximate**: `percentile_approx` with accuracy 10,000, so the value's rank is within n/10,000 of the exact rank (an exact quantile needs a global sort) |
//! | Pearson | exact up to summation order (`corr`, pairwise-merged co-moments) |
//! | Spearman | exact: average ranks by a window over the whole frame (a global sort per column: slow on big data) |
//! | Kendall | not offered (all pairs of rows) |
//! | OLS | exact up to summation order: n, means and centred cross-products (`covar_pop`) in one aggregation, the fit here; no residuals, so no Durbin–Watson, omnibus or Jarque–Bera |
//!
//! Calls block the cell and stop on Jupyter's ■: the query is cancelled on the server
//! (Spark Connect's interrupt by operation tag) and the kernel's variables are kept. A server
//! that is not running gives an error naming `services/spark.sh start` within 10 s; Spark's
//! own errors keep their error class (`[UNRESOLVED_COLUMN.WITH_SUGGESTION] …`).
//!
//! ```no_run
//! use eddy::prelude::*;
//!
//! let spark = spark_default()?;                               // sc://127.0.0.1:15002
//! let prices = spark.from_polars(&sp500()?)?;                 // upload, then lazy
//! let fit = ols(&prices, "JPM", &["BAC", "KO"])?;             // one aggregation on the cluster
//! println!("{}", fit.summary());
//! let big = spark.range(100_000_000)?.with_column("x", "rand(1)").with_column("y", "2 * x + randn(2)");
//! let fit = ols(&big, "y", &["x"])?;                          // never collected
//! # Ok::<(), eddy::Error>(())
//! ```
//!
//! The client is the Apache Spark project's `apache-spark-connect` crate.

mod call;
// Modules that define public types are public but hidden: `type_name` reports paths such as
// `eddy::spark::frame::SparkFrame`, which the kernel writes back in later cells.
#[doc(hidden)]
pub mod frame;
#[doc(hidden)]
pub mod session;
#[doc(hidden)]
pub mod stats;

pub use frame::{JoinHow, SparkFrame, SparkGroupBy};
pub use session::{
    DEFAULT_MAX_ROWS, DEFAULT_SPARK_URL, DEFAULT_UPLOAD_DIR, Spark, spark, spark_default,
};
pub use stats::QUANTILE_ACCURACY;
