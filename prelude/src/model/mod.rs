//! Models, the fitting stage: [`ols()`], ordinary least squares as statsmodels' `OLS(y, X).fit()`.
//!
//! Names and numbers follow statsmodels: an intercept named `const` (as `add_constant`),
//! `params`, `bse`, `tvalues`, `pvalues`, `conf_int(alpha)`, `rsquared`, `fvalue`, `llf`,
//! `aic`, `bic`… and a [`Summary`] laid out as `results.summary()`. Coefficient tables are
//! labelled `DataFrame`s, so they show as tables.
//!
//! ```
//! use eddy::prelude::*;
//!
//! let fit = ols(&sp500()?, "JPM", &["BAC", "KO"])?;
//! assert_eq!(fit.exog_names(), ["const", "BAC", "KO"]);
//! assert!(fit.rsquared() > 0.0 && fit.rsquared() < 1.0);
//! assert!(fit.summary().to_string().contains("Durbin-Watson"));
//! # Ok::<(), eddy::Error>(())
//! ```

#[doc(hidden)]
pub mod accumulator;
#[doc(hidden)]
pub mod ols;
#[doc(hidden)]
pub mod penalized;
mod summary;

pub use accumulator::OlsAccumulator;
pub use ols::{Ols, ols};
pub use penalized::{
    CvPath, Folds, Penalized, Penalty, cross_validate, elastic_net, lasso, logspace, ridge,
    train_test_split,
};
pub use summary::Summary;
