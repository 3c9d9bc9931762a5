//! Everything a cell has in scope: `use eddy::prelude::*;`.
//!
//! polars' prelude (`DataFrame`, `col`, `lit`, `df!`…), then eddy's functions and traits.
//! `eddy::Error` and `eddy::Result` are not re-exported here, so `Result` keeps meaning the
//! standard one in cells.
//!
//! ```
//! use eddy::prelude::*;
//!
//! let df: DataFrame = sp500()?;
//! let _chart: Chart = line(&df, "Date", &["KO"])?;
//! # Ok::<(), eddy::Error>(())
//! ```

#[doc(no_inline)]
pub use polars::prelude::*;

#[doc(no_inline)]
pub use crate::data::{read_prices, sp500};
#[doc(no_inline)]
pub use crate::display::{
    DisplayHandle, EvcxrDisplay, Html, MimeBundle, Progress, Render, display, progress,
};
#[doc(no_inline)]
pub use crate::plot::{Chart, Png, hist, line};
#[doc(no_inline)]
pub use crate::stats::{CorrMethod, Moments, corr, cov, describe};

/// Calendar dates, as in `NaiveDate::from_ymd_opt(2020, 1, 1)` to compare with a `Date` column.
#[doc(no_inline)]
pub use chrono::NaiveDate;
