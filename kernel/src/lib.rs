//! eddy's kernel: the `eddy` binary's commands (Jupyter kernel, installer, REPL) over one
//! evaluation engine that compiles cells against the precompiled prelude.
//!
//! The crate never links polars or any data crate: it only points rustc at the prelude
//! template that `eddy install` wrote (see `ARCHITECTURE.md`).

pub mod cli;
pub mod completeness;
pub mod engine;
pub mod install;
pub mod jupyter;
pub mod paths;
pub mod repl;
pub mod session;
pub mod template;
