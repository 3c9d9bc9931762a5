//! The display probe: how the kernel shows a cell's last expression, whatever its type.
//!
//! The kernel compiles `{ use eddy::display::__probe::*; (&&&Probe(&(EXPR))).eddy_show(); }`.
//! Method lookup tries the receiver with three, two, one and zero references in turn
//! (autoref specialization, after dtolnay), so the first that applies wins:
//!
//! | impl for | applies when | shows |
//! |---|---|---|
//! | `&&&Probe<T>` | `T: Silent`: `()`, a display handle, a progress bar | nothing |
//! | `&&Probe<T>` | `T: Render` | the whole MIME bundle |
//! | `&Probe<T>` | `T: Debug` | `text/plain` from `{:?}` |
//! | `Probe<T>` | always | nothing |
//!
//! This needs concrete types, which a cell's expression always has. All in one compile: no
//! failed build is needed to find out what a value supports.

use std::fmt::Debug;

use super::evcxr::print_evcxr_markers;
use super::mime::{MimeBundle, Render};

/// A borrowed value whose display method is chosen by the traits of this module.
pub struct Probe<'a, T: ?Sized>(
    /// The value to show.
    pub &'a T,
);

impl<T: ?Sized> Clone for Probe<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for Probe<'_, T> {}

/// Prints `bundle`, if any, as the cell's output.
fn show(bundle: Option<MimeBundle>) {
    if let Some(bundle) = bundle {
        print_evcxr_markers(&bundle);
    }
}

/// Values that a cell's last expression does not show: `()` and values returned by calls
/// that already showed something, like [`display`](crate::display::display).
pub trait Silent {}

impl Silent for () {}
impl Silent for super::DisplayHandle {}
impl Silent for super::Progress {}

/// Level 0: [`Silent`] values, `()` first among them, show nothing.
pub trait ShowUnit: Sized {
    /// What the value shows, if anything.
    fn eddy_bundle(self) -> Option<MimeBundle>;
    /// Prints the bundle as the cell's output.
    fn eddy_show(self) {
        show(self.eddy_bundle());
    }
}

impl<T: Silent + ?Sized> ShowUnit for &&&Probe<'_, T> {
    fn eddy_bundle(self) -> Option<MimeBundle> {
        None
    }
}

/// Level 1: a [`Render`] value shows its MIME bundle.
pub trait ShowRender: Sized {
    /// What the value shows, if anything.
    fn eddy_bundle(self) -> Option<MimeBundle>;
    /// Prints the bundle as the cell's output.
    fn eddy_show(self) {
        show(self.eddy_bundle());
    }
}

impl<T: Render + ?Sized> ShowRender for &&Probe<'_, T> {
    fn eddy_bundle(self) -> Option<MimeBundle> {
        Some(self.0.mime_bundle())
    }
}

/// Level 2: a `Debug` value shows `{:?}` as text.
pub trait ShowDebug: Sized {
    /// What the value shows, if anything.
    fn eddy_bundle(self) -> Option<MimeBundle>;
    /// Prints the bundle as the cell's output.
    fn eddy_show(self) {
        show(self.eddy_bundle());
    }
}

impl<T: Debug + ?Sized> ShowDebug for &Probe<'_, T> {
    fn eddy_bundle(self) -> Option<MimeBundle> {
        Some(MimeBundle::new(format!("{:?}", self.0)))
    }
}

/// Level 3: anything else shows nothing.
pub trait ShowNothing: Sized {
    /// What the value shows, if anything.
    fn eddy_bundle(self) -> Option<MimeBundle>;
    /// Prints the bundle as the cell's output.
    fn eddy_show(self) {
        show(self.eddy_bundle());
    }
}

impl<T: ?Sized> ShowNothing for Probe<'_, T> {
    fn eddy_bundle(self) -> Option<MimeBundle> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::display::Html;

    struct Opaque;

    #[derive(Debug)]
    struct Point {
        x: i32,
    }

    #[test]
    fn unit_and_silent_values_show_nothing() {
        assert_eq!((&&&Probe(&())).eddy_bundle(), None);
        // A handle is Debug, but a cell ending in `display(&x)` must not print it.
        let handle = crate::display::DisplayHandle::detached();
        assert_eq!((&&&Probe(&handle)).eddy_bundle(), None);
    }

    #[test]
    fn render_wins_over_debug() {
        // Html is also Debug; Render must be chosen.
        let html = Html::new("<b>x</b>");
        let bundle = (&&&Probe(&html)).eddy_bundle().unwrap();
        assert_eq!(bundle.get("text/html"), Some("<b>x</b>"));

        let df = polars::prelude::df!("a" => [1, 2]).unwrap();
        let bundle = (&&&Probe(&df)).eddy_bundle().unwrap();
        assert!(
            bundle
                .get("text/html")
                .unwrap()
                .contains("2 rows × 1 column")
        );
        // References to Render values are Render too.
        let by_ref = &df;
        assert!(
            (&&&Probe(&by_ref))
                .eddy_bundle()
                .unwrap()
                .get("text/html")
                .is_some()
        );
    }

    #[test]
    fn debug_values_show_as_text() {
        let point = Point { x: 3 };
        assert_eq!(point.x, 3);
        let bundle = (&&&Probe(&point)).eddy_bundle().unwrap();
        assert_eq!(bundle.text(), "Point { x: 3 }");
        assert_eq!(bundle.mime_types().count(), 1);
        let bundle = (&&&Probe(&"hi")).eddy_bundle().unwrap();
        assert_eq!(bundle.text(), "\"hi\"");
        let bundle = (&&&Probe(&vec![1, 2])).eddy_bundle().unwrap();
        assert_eq!(bundle.text(), "[1, 2]");
    }

    #[test]
    fn other_values_show_nothing() {
        assert_eq!((&&&Probe(&Opaque)).eddy_bundle(), None);
        let closure = |x: i32| x + 1;
        assert_eq!((&&&Probe(&closure)).eddy_bundle(), None);
    }

    #[test]
    fn eddy_show_compiles_for_every_level() {
        // The kernel's exact expression shape, for each level (unit and opaque print nothing).
        {
            (&&&Probe(&())).eddy_show();
        }
        {
            (&&&Probe(&Opaque)).eddy_show();
        }
    }
}
