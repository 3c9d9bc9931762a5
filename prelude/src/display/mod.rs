//! Rich output: how values show themselves in the notebook.
//!
//! - [`Render`] gives a value a [`MimeBundle`] (`text/plain` plus HTML, SVG, PNG…). polars'
//!   `DataFrame`, `Series`, `Column` and `LazyFrame`, charts, [`Html`] and [`Progress`]
//!   implement it.
//! - A cell's last expression shows itself through the probe in [`__probe`], which prints
//!   evcxr's `EVCXR_BEGIN_CONTENT` markers on stdout; [`EvcxrDisplay::evcxr_display`] does the
//!   same on request.
//! - [`display`] shows a value at any time and returns a [`DisplayHandle`] whose
//!   [`update`](DisplayHandle::update) replaces that output in place, from any thread.
//!   Inside the kernel these go as JSON lines to the socket named by `EDDY_DISPLAY_SOCKET`;
//!   elsewhere `text/plain` is printed on stdout.
//! - [`progress`] draws a [`Progress`] bar, in place.
//!
//! This module knows nothing of Jupyter messages beyond that socket's line format; the kernel
//! does the rest.

// Modules that define public types are public but hidden: `type_name` reports paths such as
// `eddy::display::handle::DisplayHandle`, which the kernel writes back in later cells.
#[doc(hidden)]
#[path = "probe.rs"]
pub mod __probe;
mod evcxr;
mod frame;
#[doc(hidden)]
pub mod handle;
mod html;
#[doc(hidden)]
pub mod mime;
#[doc(hidden)]
pub mod progress;
mod socket;

pub use evcxr::{EvcxrDisplay, write_evcxr_markers};
pub(crate) use frame::frame_html;
pub use handle::{DisplayHandle, display};
pub use html::escape_html;
pub use mime::{Html, MimeBundle, Render, TEXT_PLAIN};
pub use progress::{Progress, progress};
pub use socket::DISPLAY_SOCKET_ENV;

/// Prints `message` on stderr the first time any display IO error happens in this process.
///
/// Output problems must never panic a cell, and a broken socket must not flood stderr.
fn report_once(message: &str) {
    use std::sync::atomic::{AtomicBool, Ordering};
    static REPORTED: AtomicBool = AtomicBool::new(false);
    if !REPORTED.swap(true, Ordering::Relaxed) {
        eprintln!("eddy: {message} (further display errors are not reported)");
    }
}
