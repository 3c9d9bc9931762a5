//! [`Dataset`]: what [`describe`](crate::stats::describe), [`corr`](crate::stats::corr) and
//! [`ols`](crate::model::ols) accept — a polars `DataFrame` in the kernel or a
//! [`SparkFrame`](crate::spark::SparkFrame) on a cluster — so one call works on both.

use polars::prelude::DataFrame;

use crate::error::Result;
use crate::model::Ols;
use crate::spark::SparkFrame;
use crate::stats::CorrMethod;

/// Data the statistics run on, wherever it lives. Implemented for polars' `DataFrame`
/// (computed here) and [`SparkFrame`] (computed by the cluster, answers brought back as
/// polars frames and fits). Call the free functions: `describe(&df)`, `corr(&df, method)`,
/// `ols(&df, "JPM", &["BAC"])`.
///
/// ```
/// use eddy::prelude::*;
///
/// let df = sp500()?.select(["JPM", "BAC"])?;
/// let local = describe(&df)?;                       // a DataFrame: computed in the kernel
/// assert_eq!(local.height(), 10);
/// # Ok::<(), eddy::Error>(())
/// ```
pub trait Dataset {
    /// pandas' `describe()` with skew and kurtosis; see [`describe`](crate::stats::describe).
    fn describe(&self) -> Result<DataFrame>;
    /// The correlation matrix; see [`corr`](crate::stats::corr).
    fn corr(&self, method: CorrMethod) -> Result<DataFrame>;
    /// Least squares with statsmodels' inference; see [`ols`](crate::model::ols).
    fn ols(&self, y: &str, x: &[&str]) -> Result<Ols>;
}

impl Dataset for DataFrame {
    fn describe(&self) -> Result<DataFrame> {
        crate::stats::describe_frame(self)
    }
    fn corr(&self, method: CorrMethod) -> Result<DataFrame> {
        crate::stats::corr::corr_frame(self, method)
    }
    fn ols(&self, y: &str, x: &[&str]) -> Result<Ols> {
        crate::model::ols::ols_frame(self, y, x)
    }
}

impl Dataset for SparkFrame {
    fn describe(&self) -> Result<DataFrame> {
        crate::spark::stats::describe(self)
    }
    fn corr(&self, method: CorrMethod) -> Result<DataFrame> {
        crate::spark::stats::corr(self, method)
    }
    fn ols(&self, y: &str, x: &[&str]) -> Result<Ols> {
        crate::spark::stats::ols(self, y, x)
    }
}
