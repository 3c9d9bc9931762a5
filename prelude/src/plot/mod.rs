//! Charts on plotters: [`line`] and [`hist`] make a [`Chart`], which shows itself as SVG in
//! the notebook and saves as SVG or PNG.
//!
//! Charts take a `DataFrame` and column names, like pandas' `df.plot`; styling is a chain of
//! builder calls (`.title(...)`, `.xlabel(...)`, `.size(w, h)`). Text is laid out with DejaVu
//! Sans, bundled, so PNGs have their labels on machines without fonts.
//!
//! ```
//! use eddy::prelude::*;
//!
//! let df = sp500()?;
//! let chart = line(&df, "Date", &["AAPL", "MSFT"])?.title("Two tech stocks");
//! chart.save(std::env::temp_dir().join("eddy-doc-plot.png"))?;
//! # Ok::<(), eddy::Error>(())
//! ```

mod axis;
// Public but hidden: `type_name` reports `eddy::plot::chart::Chart`, which the kernel writes
// back as a path in later cells.
#[doc(hidden)]
pub mod chart;
mod columns;
mod font;
mod hist;
mod line;
mod palette;
#[doc(hidden)]
pub mod png;

pub use chart::Chart;
pub use hist::hist;
pub use line::line;
pub use png::Png;
