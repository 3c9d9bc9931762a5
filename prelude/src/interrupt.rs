//! Cooperative interruption: Jupyter's stop button for long-running prelude calls.
//!
//! The kernel answers an interrupt by sending SIGINT to the process that runs the cells, and
//! kills that process (losing the session's variables) only if the cell has not stopped a
//! moment later. Code that calls [`check`] or [`interrupted`] in its loop, as the prelude's
//! own long-running calls do, stops at once and keeps every variable.
//!
//! ```
//! use eddy::interrupt;
//!
//! let mut total = 0u64;
//! for i in 0..1_000 {
//!     interrupt::check()?; // stops here when the user presses ■
//!     total += i;
//! }
//! assert_eq!(total, 499_500);
//! # Ok::<(), eddy::Error>(())
//! ```

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Whether the user asked the running cell to stop.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Returns [`Error::Interrupted`](crate::Error::Interrupted) when the user asked the running
/// cell to stop, so `?` ends the cell with the variables defined before it intact.
pub fn check() -> crate::Result<()> {
    if interrupted() {
        return Err(crate::Error::Interrupted);
    }
    Ok(())
}

/// Marks the start of a cell: an interrupt of the previous cell no longer counts.
pub(crate) fn reset() {
    INTERRUPTED.store(false, Ordering::SeqCst);
}

extern "C" fn on_sigint(_signal: libc::c_int) {
    // Only an atomic store: async-signal-safe.
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Installs the SIGINT handler in the process that runs the cells.
pub(crate) fn install_handler() {
    let handler: extern "C" fn(libc::c_int) = on_sigint;
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, handler as libc::sighandler_t);
    }
}
