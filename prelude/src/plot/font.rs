//! The font plotters lays out and draws text with: DejaVu Sans, from the `dejavu` crate.
//!
//! plotters' `ab_glyph` text backend only knows fonts registered at run time; both the SVG
//! (for text widths) and PNG (for glyphs) outputs need one. DejaVu Sans is matplotlib's
//! default font; the SVG names the family `sans-serif`, so browsers use their own.

use std::sync::OnceLock;

use plotters::style::{FontStyle, register_font};

use crate::error::{Error, Result};

/// The family name charts use.
pub(crate) const FAMILY: &str = "sans-serif";

/// Registers DejaVu Sans (regular and bold) as [`FAMILY`], once per process.
pub(crate) fn ensure_registered(operation: &'static str) -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        register_font(FAMILY, FontStyle::Normal, dejavu::sans::regular()).is_ok()
            && register_font(FAMILY, FontStyle::Bold, dejavu::sans::bold()).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(Error::Display {
            operation,
            format: "text",
            reason: "the bundled DejaVu Sans font did not load".into(),
        })
    }
}
