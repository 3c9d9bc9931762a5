//! Statistics, the analysis stage: [`describe`], [`corr()`], [`cov()`], mergeable [`Moments`]
//! and scipy's hypothesis tests ([`ttest_ind`], [`pearsonr`], [`chi2_contingency`]…).
//!
//! Names and numbers follow pandas: `describe` has pandas' rows plus `skew` and `kurt`
//! (bias-corrected, as `DataFrame.skew()` and `DataFrame.kurt()`), `std` and `cov` divide by
//! n − 1, quantiles interpolate linearly as numpy does, and `corr`'s Kendall is tau-b as in
//! scipy. Results are labelled `DataFrame`s, so they show as tables.
//!
//! ```
//! use eddy::prelude::*;
//!
//! let df = sp500()?.select(["AAPL", "MSFT"])?;
//! let stats = describe(&df)?;
//! assert_eq!(stats.height(), 10);
//! let matrix = corr(&df, CorrMethod::Pearson)?;
//! assert_eq!(matrix.shape(), (2, 3));
//! # Ok::<(), eddy::Error>(())
//! ```

pub(crate) mod columns;
#[doc(hidden)]
pub mod corr;
mod describe;
#[doc(hidden)]
pub mod hypothesis;
#[doc(hidden)]
pub mod kde;
#[doc(hidden)]
pub mod moments;

pub use corr::{CorrMethod, corr, cov};
pub use describe::describe;
pub(crate) use describe::{ROWS as DESCRIBE_ROWS, describe_frame};
pub use hypothesis::{
    Alternative, Cdf, TestResult, chi2_contingency, chisquare, jarque_bera, ks_2samp, kstest,
    pearsonr, ttest_1samp, ttest_ind, ttest_rel,
};
pub use kde::{Bandwidth, Kde, gaussian_kde};
pub use moments::Moments;
