//! eddy's prelude: the library every eddy notebook cell has in scope.
//!
//! # Brief overview
//!
//! Each cell is compiled with `use eddy::prelude::*;`, which brings in polars' prelude and
//! the functions below. A cell's last expression shows itself: a `DataFrame` as an HTML
//! table, a [`Chart`](plot::Chart) as SVG, anything `Debug` as text.
//!
//! - [`data`]: [`sp500`] (a bundled sample of daily prices) and [`read_prices`] (your own CSVs).
//! - [`display`]: the [`Render`](display::Render) trait, [`display()`](display::display) with
//!   in-place updates through a [`DisplayHandle`](display::DisplayHandle), and
//!   [`progress`](display::progress) bars.
//! - [`plot`]: [`line`](plot::line), [`hist`](plot::hist), [`scatter`](plot::scatter) and the
//!   model diagnostics ([`residplot`](plot::residplot), [`qqplot`](plot::qqplot), …).
//! - [`stream`]: [`Stream`](stream::Stream)s of quotes from Kafka or an embedded replay, in
//!   micro-batches, with a live view.
//! - [`store`]: a [`Store`](store::Store) of quotes on Cassandra or in an embedded SQLite
//!   file: `write` a frame, read a `range` or `scan` back.
//! - [`spark`]: a [`SparkFrame`](spark::SparkFrame) on a Spark cluster through Spark Connect;
//!   `describe`, `corr` and `ols` accept it as they accept a `DataFrame` ([`Dataset`]).
//! - [`error`]: one [`Error`] type; every fallible call returns [`Result`].
//!
//! ```
//! use eddy::prelude::*;
//!
//! let df = sp500()?;                                   // 8313 rows × 21 columns
//! let recent = df.lazy().filter(col("Date").gt_eq(lit(NaiveDate::from_ymd_opt(2020, 1, 1).unwrap()))).collect()?;
//! let chart = line(&recent, "Date", &["AAPL", "MSFT"])?.title("Since 2020");
//! assert!(recent.height() > 700);
//! assert!(chart.mime_bundle().get("image/svg+xml").is_some());
//! # Ok::<(), eddy::Error>(())
//! ```
//!
//! The library knows nothing about Jupyter: its one output contract is evcxr's
//! `EVCXR_BEGIN_CONTENT` markers on stdout, plus JSON lines to the socket in
//! `EDDY_DISPLAY_SOCKET` for [`display()`](display::display) (see `ARCHITECTURE.md`).

#![deny(missing_docs)]

#[doc(hidden)]
#[path = "runtime.rs"]
pub mod __runtime;
pub mod data;
mod dataset;
pub mod display;
pub mod error;
pub mod interrupt;
#[allow(dead_code)] // used by the stream and store modules as they land
mod io_runtime;
pub mod model;
pub mod plot;
pub mod prelude;
pub mod spark;
pub mod stats;
pub mod store;
pub mod stream;

#[doc(hidden)]
#[path = "deps.rs"]
pub mod __deps;

#[doc(no_inline)]
pub use data::{read_prices, sp500};
#[doc(no_inline)]
pub use dataset::Dataset;
#[doc(no_inline)]
pub use error::{Error, Result};
