//! What the server needs from an engine, as a trait: implemented by [`crate::engine::Engine`]
//! and, in tests, by small stand-ins, so the protocol layer is tested without a compiler.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::engine::{
    CellError, Completeness, Completions, Engine, EngineOptions, Outcome, Streams,
};

/// A function that interrupts the running cell from any thread.
pub type InterruptFn = Arc<dyn Fn() + Send + Sync>;

/// The engine API the server drives. Everything but `is_complete` runs on the engine thread.
pub trait Backend: Sized + 'static {
    /// What `start` needs; moved onto the engine thread.
    type Options: Send + 'static;

    /// Starts the engine (slow). Its output lines arrive on the returned [`Streams`].
    fn start(opts: Self::Options) -> anyhow::Result<(Self, Streams)>;
    /// Runs one cell, blocking until it is done.
    fn execute(&mut self, code: &str) -> Result<Outcome, CellError>;
    /// Completions at `cursor_pos` (in characters).
    fn complete(&mut self, code: &str, cursor_pos: usize) -> Completions;
    /// Documentation for the item at `cursor_pos`, as a MIME bundle.
    fn inspect(
        &mut self,
        code: &str,
        cursor_pos: usize,
        detail_level: u8,
    ) -> Option<BTreeMap<String, String>>;
    /// A handle that interrupts the running cell.
    fn interrupter(&self) -> InterruptFn;
    /// Whether `code` is ready to run; cheap, needs no started engine.
    fn is_complete(code: &str) -> Completeness;
}

impl Backend for Engine {
    type Options = EngineOptions;

    fn start(opts: EngineOptions) -> anyhow::Result<(Self, Streams)> {
        Engine::start(opts)
    }

    fn execute(&mut self, code: &str) -> Result<Outcome, CellError> {
        Engine::execute(self, code)
    }

    fn complete(&mut self, code: &str, cursor_pos: usize) -> Completions {
        Engine::complete(self, code, cursor_pos)
    }

    fn inspect(
        &mut self,
        code: &str,
        cursor_pos: usize,
        detail_level: u8,
    ) -> Option<BTreeMap<String, String>> {
        Engine::inspect(self, code, cursor_pos, detail_level)
    }

    fn interrupter(&self) -> InterruptFn {
        let interrupter = Engine::interrupter(self);
        Arc::new(move || interrupter.interrupt())
    }

    fn is_complete(code: &str) -> Completeness {
        Engine::is_complete(code)
    }
}
