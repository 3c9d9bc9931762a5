//! The one tokio runtime behind the prelude's network clients (Kafka streams, Cassandra
//! stores), created on first use and shared by every cell of a kernel.
//!
//! Cells are plain synchronous Rust: a prelude call that talks to a server blocks on this
//! runtime with [`block_on`]; background work (a running stream) is spawned on it, so it
//! keeps going between cells.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::{Builder, Runtime};

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// The shared runtime: two worker threads (the machines eddy targets have 2 cores; network
/// clients wait far more than they compute), timers and I/O enabled.
///
/// # Panics
///
/// If the operating system refuses to start the worker threads (out of threads or memory),
/// on first use.
pub(crate) fn runtime() -> &'static Runtime {
    RUNTIME.get_or_init(|| {
        Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("eddy-io")
            .enable_all()
            .build()
            .expect("eddy: cannot start the tokio runtime for network clients")
    })
}

/// Runs `future` to completion on the shared runtime, from synchronous code (a cell, or a
/// prelude call made from one). Must not be called from inside the runtime's own tasks.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    runtime().block_on(future)
}
