//! Charts on plotters: [`line`], [`hist`], [`scatter`] and the others below make a [`Chart`],
//! which shows itself as SVG in the notebook and saves as SVG or PNG.
//!
//! | chart | call | as in |
//! |---|---|---|
//! | lines over dates | [`line`] | `df.plot(x, y=[...])` |
//! | histogram | [`hist`] | `df[col].plot.hist(bins)` |
//! | histogram as a density, with the KDE | [`hist_kde`] | seaborn `histplot(stat="density", kde=True)` |
//! | points | [`scatter`] | `df.plot.scatter(x, y)` |
//! | points with the least-squares line | [`scatter_fit`] | seaborn `regplot` |
//! | correlation matrix | [`heatmap`] | seaborn `heatmap(annot=True)` |
//! | residuals vs fitted | [`residplot`] | seaborn `residplot` |
//! | normal Q-Q | [`qqplot`] | statsmodels `qqplot(line="s")` |
//! | predictions over time | [`predicted_vs_actual`] | `df.plot(x, y=[actual, predicted])` |
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
#[cfg(test)]
mod gallery;
mod heatmap;
mod hist;
mod line;
mod palette;
#[doc(hidden)]
pub mod png;
mod qqplot;
mod residplot;
mod scatter;

pub use chart::Chart;
pub use heatmap::heatmap;
pub use hist::{hist, hist_kde};
pub use line::{line, predicted_vs_actual};
pub use png::Png;
pub use qqplot::qqplot;
pub use residplot::residplot;
pub use scatter::{scatter, scatter_fit};
