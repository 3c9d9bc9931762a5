//! Data, the preparation stage: price tables ([`read_prices`], the bundled [`sp500`]),
//! reshaping between wide and long ([`to_long`], [`to_wide`]), [`returns`], and cleaning
//! that says what it changed ([`fill_nulls`], [`outliers`]).
//!
//! A *wide* table has a date column and one price column per symbol, as the course's CSV; a
//! *long* table has one row per quote, `(symbol, ts, price)`, as the stream and the store
//! carry them.
//!
//! ```
//! use eddy::prelude::*;
//!
//! let wide = sp500()?.select(["Date", "BAC", "JPM"])?;  // symbols in alphabetical order
//! let long = to_long(&wide, "Date")?;                  // 2 × 8313 quotes
//! assert_eq!(long.get_column_names(), ["symbol", "ts", "price"]);
//! assert!(to_wide(&long)?.equals(&wide));             // and back
//! let r = returns(&wide, ReturnKind::Log)?;
//! assert_eq!(r.height(), wide.height() - 1);
//! # Ok::<(), eddy::Error>(())
//! ```

#[doc(hidden)]
pub mod clean;
#[doc(hidden)]
pub mod outliers;
#[doc(hidden)]
pub mod prices;
#[doc(hidden)]
pub mod reshape;
#[doc(hidden)]
pub mod returns;

pub use clean::{Cleaned, NullPolicy, fill_nulls};
pub use outliers::{OutlierRule, outliers};
pub use prices::{read_prices, sp500};
pub use reshape::{to_long, to_wide};
pub use returns::{ReturnKind, returns};
