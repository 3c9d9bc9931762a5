//! The engine: one thread's worth of state around evcxr's `CommandContext`, with the prelude
//! preloaded. Both front ends (the Jupyter server and the REPL) talk to it through this API only.

use crate::template::{CRATE_NAME, Template};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use crate::completeness::is_complete as completeness_of;

/// The `use` lines every session starts with.
pub const PRELUDE_USE: &str = "use eddy::prelude::*;";

/// Lines the runtime child printed, without their trailing newline, in order.
pub struct Streams {
    /// The cell's standard output.
    pub stdout: crossbeam_channel::Receiver<String>,
    /// The cell's standard error, and the engine's notes.
    pub stderr: crossbeam_channel::Receiver<String>,
}

/// What a successful cell produced besides its streams.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The cell's result as a MIME bundle (`text/plain`, `text/html`, `image/svg+xml`, …);
    /// empty when the cell ends in a statement or `()`.
    pub data: BTreeMap<String, String>,
    /// Wall time of the cell, when `:timing` is on.
    pub timing: Option<Duration>,
}

/// A cell that failed: compile errors, a panic, a runtime error from `?`, or a lost runtime.
#[derive(Debug, Clone)]
pub struct CellError {
    /// A short name: `CompileError`, `Panic`, `Error`, `Interrupted`, `KernelRestarted`.
    pub ename: String,
    /// One line that says what went wrong.
    pub evalue: String,
    /// The full report, one entry per line (may contain ANSI colours).
    pub traceback: Vec<String>,
}

impl CellError {
    fn new(ename: &str, evalue: impl Into<String>, traceback: Vec<String>) -> CellError {
        let evalue = evalue.into();
        let traceback = if traceback.is_empty() {
            evalue.lines().map(str::to_owned).collect()
        } else {
            traceback
        };
        CellError {
            ename: ename.to_owned(),
            evalue,
            traceback,
        }
    }
}

/// Whether a piece of code is ready to run (Jupyter's `is_complete_request`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Completeness {
    /// Ready to run.
    Complete,
    /// Needs more lines; `indent` is a hint for the next one.
    Incomplete {
        /// Whitespace to start the next line with.
        indent: String,
    },
    /// Cannot become valid by adding lines.
    Invalid,
}

/// Completion candidates for the text at a cursor.
#[derive(Debug, Default, Clone)]
pub struct Completions {
    /// Candidate texts.
    pub matches: Vec<String>,
    /// Character offsets into the code of the text the matches replace.
    pub cursor_start: usize,
    /// End of the replaced text (character offset).
    pub cursor_end: usize,
}

/// How to start an engine.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// The prelude template (checked at start; a bad one makes `start` fail with the fix).
    pub template_dir: PathBuf,
    /// The cell crate's dir, private to this kernel.
    pub crate_dir: PathBuf,
    /// Where the runtime child sends rich displays (`EDDY_DISPLAY_SOCKET`); `None` in a
    /// terminal, where `display` prints text instead.
    pub display_socket: Option<PathBuf>,
}

/// A handle that interrupts the running cell from another thread. Cheap to clone.
#[derive(Clone)]
pub struct Interrupter {
    shared: Arc<Shared>,
}

struct Shared {
    /// The runtime child; replaced when evcxr restarts it.
    child: Mutex<Option<Arc<Mutex<std::process::Child>>>>,
    /// Serial number of the running cell, 0 when idle.
    running: AtomicU64,
    /// Set when an interrupt was sent to the running cell.
    interrupted: AtomicBool,
}

/// How long a cell gets to stop on SIGINT before the runtime is killed.
const INTERRUPT_GRACE: Duration = Duration::from_millis(1500);

impl Interrupter {
    /// Asks the running cell to stop: SIGINT to the runtime child, then, if the cell is still
    /// running after a grace period, SIGKILL (the runtime restarts and the variables are lost;
    /// `execute` says so). Does nothing when no cell runs.
    pub fn interrupt(&self) {
        let serial = self.shared.running.load(Ordering::SeqCst);
        if serial == 0 {
            return;
        }
        self.shared.interrupted.store(true, Ordering::SeqCst);
        let Some(pid) = self.child_pid() else {
            return;
        };
        // SAFETY: sending a signal to a process id we own; no memory is touched.
        unsafe { libc::kill(pid, libc::SIGINT) };
        let shared = Arc::clone(&self.shared);
        std::thread::spawn(move || {
            std::thread::sleep(INTERRUPT_GRACE);
            if shared.running.load(Ordering::SeqCst) == serial {
                // SAFETY: as above.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        });
    }

    fn child_pid(&self) -> Option<i32> {
        let child = self.shared.child.lock().ok()?.clone()?;
        let pid = child.lock().ok()?.id();
        i32::try_from(pid).ok()
    }
}

/// The evaluation engine.
pub struct Engine {
    context: evcxr::CommandContext,
    shared: Arc<Shared>,
    serial: u64,
    _template: Template,
}

impl Engine {
    /// Starts the runtime child, warms the compiler and brings the prelude into scope.
    /// Slow (about a second): call it on the engine thread.
    pub fn start(opts: EngineOptions) -> anyhow::Result<(Engine, Streams)> {
        let template = Template::open(&opts.template_dir)?;
        let exe = std::env::current_exe()?;
        let mut child = std::process::Command::new(exe);
        // The runtime child gets its own process group, so a SIGINT that Jupyter sends to the
        // kernel's group does not kill it; the Interrupter decides what reaches it.
        std::os::unix::process::CommandExt::process_group(&mut child, 0);
        // evcxr asks for backtraces in the child; a notebook user wants the panic message,
        // which the error reply carries. EDDY_BACKTRACE=1 brings them back.
        let backtrace = if std::env::var_os("EDDY_BACKTRACE").is_some_and(|v| v == "1") {
            "1"
        } else {
            "0"
        };
        let mut child_env = vec![("RUST_BACKTRACE".to_owned(), backtrace.to_owned())];
        if let Some(socket) = &opts.display_socket {
            child_env.push((
                "EDDY_DISPLAY_SOCKET".to_owned(),
                socket.to_string_lossy().into_owned(),
            ));
        }
        let options = evcxr::EvalOptions {
            prelude: Some(evcxr::Prelude {
                crate_name: CRATE_NAME.to_owned(),
                dylib: template.dylib.clone(),
                deps_dir: template.deps_dir.clone(),
            }),
            tmpdir: Some(opts.crate_dir.clone()),
            child_env,
        };
        let (eval_context, outputs) = evcxr::EvalContext::with_options(child, options)
            .map_err(|e| anyhow::anyhow!("starting the evaluation engine failed: {e}"))?;
        let mut context = evcxr::CommandContext::with_eval_context(eval_context);
        context.execute(PRELUDE_USE).map_err(|e| {
            anyhow::anyhow!("loading the prelude failed ({e}): run ./install.sh again")
        })?;
        let shared = Arc::new(Shared {
            child: Mutex::new(Some(context.process_handle())),
            running: AtomicU64::new(0),
            interrupted: AtomicBool::new(false),
        });
        let engine = Engine {
            context,
            shared,
            serial: 0,
            _template: template,
        };
        let streams = Streams {
            stdout: outputs.stdout,
            stderr: outputs.stderr,
        };
        Ok((engine, streams))
    }

    /// Runs a cell. Blocks until it finishes; its output lines arrive on [`Streams`] while it
    /// runs. Variables defined before a failing cell are kept, except when the runtime had to
    /// be restarted (a crash, or an interrupt the cell did not honour), which the error says.
    pub fn execute(&mut self, code: &str) -> Result<Outcome, CellError> {
        let vars_before: Vec<String> = self.variable_names();
        self.serial += 1;
        self.shared.interrupted.store(false, Ordering::SeqCst);
        self.shared.running.store(self.serial, Ordering::SeqCst);
        let result = self.context.execute(code);
        self.shared.running.store(0, Ordering::SeqCst);
        let interrupted = self.shared.interrupted.swap(false, Ordering::SeqCst);
        if let Ok(mut child) = self.shared.child.lock() {
            *child = Some(self.context.process_handle());
        }
        match result {
            Ok(outputs) => match outputs.failure {
                Some(evcxr::CellFailure::Panic(message)) if interrupted => {
                    let _ = message;
                    let evalue = "the cell was interrupted; variables defined before it are kept";
                    Err(CellError::new("Interrupted", evalue, Vec::new()))
                }
                Some(evcxr::CellFailure::Error(message)) if interrupted => {
                    Err(CellError::new("Interrupted", message, Vec::new()))
                }
                Some(evcxr::CellFailure::Panic(message)) => {
                    let message = if message.is_empty() {
                        "the cell panicked".to_owned()
                    } else {
                        message
                    };
                    let traceback = vec![format!("\x1b[1;31mpanicked\x1b[0m: {message}")];
                    Err(CellError::new("Panic", message, traceback))
                }
                Some(evcxr::CellFailure::Error(message)) => {
                    let traceback = vec![format!("\x1b[1;31mError\x1b[0m: {message}")];
                    Err(CellError::new("Error", message, traceback))
                }
                None => Ok(Outcome {
                    data: outputs.content_by_mime_type.into_iter().collect(),
                    timing: outputs.timing,
                }),
            },
            Err(evcxr::Error::CompilationErrors(errors)) => Err(compile_error(&errors, code)),
            Err(evcxr::Error::SubprocessTerminated(message)) => {
                let restored = self.context.execute(PRELUDE_USE).is_ok();
                let lost = if vars_before.is_empty() {
                    "no variables were defined".to_owned()
                } else {
                    format!("variables lost: {}", vars_before.join(", "))
                };
                let (ename, evalue) = if interrupted {
                    (
                        "Interrupted",
                        format!(
                            "the cell did not stop on interrupt, so its runtime was restarted; {lost}"
                        ),
                    )
                } else {
                    (
                        "KernelRestarted",
                        format!("the cell's runtime stopped ({message}) and was restarted; {lost}"),
                    )
                };
                let mut evalue = evalue;
                if !restored {
                    evalue.push_str(". Reloading the prelude failed: restart the kernel");
                }
                Err(CellError::new(ename, evalue, Vec::new()))
            }
            Err(error) => Err(CellError::new("Error", error.to_string(), Vec::new())),
        }
    }

    /// Classifies code for `is_complete_request`; needs no engine.
    pub fn is_complete(code: &str) -> Completeness {
        completeness_of(code)
    }

    /// Completion candidates at `cursor_pos` (in characters).
    ///
    /// A plain identifier is completed at once from the session's variables and items.
    /// Paths and methods (`df.`, `std::`) go to rust-analyzer, which evcxr starts on first
    /// use (about 3 s, once per kernel).
    pub fn complete(&mut self, code: &str, cursor_pos: usize) -> Completions {
        let byte_pos = char_to_byte(code, cursor_pos);
        if let Some(local) = self.complete_locally(code, byte_pos) {
            return local;
        }
        match self.context.completions(code, byte_pos) {
            Ok(found) => Completions {
                matches: found.completions.into_iter().map(|c| c.code).collect(),
                cursor_start: byte_to_char(code, found.start_offset),
                cursor_end: byte_to_char(code, found.end_offset),
            },
            Err(_) => Completions {
                matches: Vec::new(),
                cursor_start: cursor_pos,
                cursor_end: cursor_pos,
            },
        }
    }

    /// Completes a plain identifier from the session's own names, or `None` when the word
    /// is a path or method segment, or nothing local matches.
    fn complete_locally(&self, code: &str, byte_pos: usize) -> Option<Completions> {
        let before = &code[..byte_pos];
        let start = before
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map(|i| i + 1)
            .unwrap_or(0);
        let prefix = &before[start..];
        let preceded_by_path = before[..start].ends_with('.') || before[..start].ends_with("::");
        if prefix.is_empty() || preceded_by_path {
            return None;
        }
        let mut matches: Vec<String> = self
            .context
            .variables_and_types()
            .map(|(name, _)| name)
            .chain(self.context.defined_item_names())
            .filter(|name| name.starts_with(prefix) && *name != prefix)
            .map(str::to_owned)
            .collect();
        if matches.is_empty() {
            return None;
        }
        matches.sort();
        matches.dedup();
        Some(Completions {
            matches,
            cursor_start: byte_to_char(code, start),
            cursor_end: byte_to_char(code, byte_pos),
        })
    }

    /// Documentation for the item at `cursor_pos`, as a MIME bundle, if any.
    pub fn inspect(
        &mut self,
        code: &str,
        cursor_pos: usize,
        _detail_level: u8,
    ) -> Option<BTreeMap<String, String>> {
        let byte_pos = char_to_byte(code, cursor_pos);
        // Hover wants the cursor at the end of an identifier.
        let end = code[byte_pos..]
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map(|i| byte_pos + i)
            .unwrap_or(code.len());
        let (plain, html) = self.context.hover_at(code, end).ok()?;
        if plain.trim().is_empty() {
            return None;
        }
        let mut bundle = BTreeMap::new();
        bundle.insert("text/plain".to_owned(), plain);
        if !html.trim().is_empty() {
            bundle.insert("text/html".to_owned(), html);
        }
        Some(bundle)
    }

    /// A handle to interrupt the running cell from another thread.
    pub fn interrupter(&self) -> Interrupter {
        Interrupter {
            shared: Arc::clone(&self.shared),
        }
    }

    /// The session's variables and their types, as the engine will name them in later cells.
    pub fn variables(&self) -> Vec<(String, String)> {
        let mut vars: Vec<(String, String)> = self
            .context
            .variables_and_types()
            .map(|(n, t)| (n.to_owned(), t.to_owned()))
            .collect();
        vars.sort();
        vars
    }

    fn variable_names(&self) -> Vec<String> {
        self.variables().into_iter().map(|(n, _)| n).collect()
    }
}

/// Renders compile errors the way rustc does, with lines and columns of the cell itself.
fn compile_error(errors: &[evcxr::CompilationError], code: &str) -> CellError {
    let lines: Vec<&str> = code.lines().collect();
    let mut traceback = Vec::new();
    let mut first = None;
    for error in errors {
        let head = match error.code() {
            Some(code) => format!("\x1b[1;31merror[{code}]\x1b[0m: {}", error.message()),
            None => format!("\x1b[1;31merror\x1b[0m: {}", error.message()),
        };
        traceback.push(head);
        let mut located = false;
        for spanned in error.spanned_messages() {
            let Some(span) = &spanned.span else { continue };
            located = true;
            if first.is_none() {
                first = Some(format!(
                    "{} (line {}, column {})",
                    error.message(),
                    span.start_line,
                    span.start_column
                ));
            }
            traceback.push(format!(
                " \x1b[1;34m-->\x1b[0m cell:{}:{}",
                span.start_line, span.start_column
            ));
            let width = span.end_line.to_string().len();
            for line_no in span.start_line..=span.end_line {
                let text = lines.get(line_no.wrapping_sub(1)).copied().unwrap_or("");
                traceback.push(format!("\x1b[1;34m{line_no:>width$} |\x1b[0m {text}"));
            }
            let (start, end) = if span.start_line == span.end_line {
                (
                    span.start_column,
                    span.end_column.max(span.start_column + 1),
                )
            } else {
                (span.start_column, span.start_column + 1)
            };
            traceback.push(format!(
                "{:>width$} \x1b[1;34m|\x1b[0m {}\x1b[1;31m{}\x1b[0m {}",
                "",
                " ".repeat(start.saturating_sub(1)),
                "^".repeat(end - start),
                spanned.label
            ));
        }
        if !located {
            // An error outside the user's code (in generated code): show rustc's own text.
            for line in error.rendered().lines() {
                traceback.push(line.to_owned());
            }
        }
        for help in error.help() {
            traceback.push(format!("\x1b[1mhelp\x1b[0m: {help}"));
        }
        traceback.push(String::new());
    }
    let evalue = first
        .or_else(|| errors.first().map(|e| e.message()))
        .unwrap_or_else(|| "the cell does not compile".to_owned());
    CellError::new("CompileError", evalue, traceback)
}

fn char_to_byte(code: &str, chars: usize) -> usize {
    code.char_indices()
        .nth(chars)
        .map(|(i, _)| i)
        .unwrap_or(code.len())
}

fn byte_to_char(code: &str, byte: usize) -> usize {
    code[..byte.min(code.len())].chars().count()
}
