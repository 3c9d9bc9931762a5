//! The engine thread: the engine is created on, and only touched from, one dedicated thread
//! (it need not be `Send`). The async server talks to it through [`EngineHandle`]: jobs over a
//! channel, answers over oneshots, the start outcome over a watch.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use tokio::sync::{oneshot, watch};

use super::backend::{Backend, InterruptFn};
use super::log;
use super::output::OutputPump;
use crate::engine::{CellError, Completeness, Completions, Outcome};

/// Where the engine is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineState {
    Starting,
    Ready,
    /// `start` failed (or the engine thread died); the message is shown to the user.
    Failed(String),
}

type Bundle = BTreeMap<String, String>;

enum Job {
    Execute {
        code: String,
        reply: oneshot::Sender<Result<Outcome, CellError>>,
    },
    Complete {
        code: String,
        cursor_pos: usize,
        deadline: Instant,
        reply: oneshot::Sender<Completions>,
    },
    Inspect {
        code: String,
        cursor_pos: usize,
        detail_level: u8,
        deadline: Instant,
        reply: oneshot::Sender<Option<Bundle>>,
    },
    Stop,
}

/// The server's handle to the engine thread. Cheap to clone.
#[derive(Clone)]
pub struct EngineHandle {
    jobs: crossbeam_channel::Sender<Job>,
    state: watch::Receiver<EngineState>,
    interrupter: Arc<OnceLock<InterruptFn>>,
    executing: Arc<AtomicBool>,
    is_complete: fn(&str) -> Completeness,
    thread: Arc<Mutex<Option<std::thread::JoinHandle<()>>>>,
}

/// Starts the engine thread, which starts the engine and hands its streams to `pump`.
pub fn spawn<B: Backend>(opts: B::Options, pump: OutputPump) -> anyhow::Result<EngineHandle> {
    let (jobs, job_rx) = crossbeam_channel::unbounded::<Job>();
    let (state_tx, state) = watch::channel(EngineState::Starting);
    let interrupter: Arc<OnceLock<InterruptFn>> = Arc::new(OnceLock::new());
    let slot = Arc::clone(&interrupter);
    let thread = std::thread::Builder::new()
        .name("eddy-engine".into())
        .spawn(move || engine_main::<B>(opts, job_rx, state_tx, slot, pump))
        .map_err(|e| anyhow::anyhow!("cannot start the engine thread: {e}"))?;
    Ok(EngineHandle {
        jobs,
        state,
        interrupter,
        executing: Arc::new(AtomicBool::new(false)),
        is_complete: B::is_complete,
        thread: Arc::new(Mutex::new(Some(thread))),
    })
}

fn engine_main<B: Backend>(
    opts: B::Options,
    jobs: crossbeam_channel::Receiver<Job>,
    state: watch::Sender<EngineState>,
    interrupter: Arc<OnceLock<InterruptFn>>,
    pump: OutputPump,
) {
    let mut engine = match catch_unwind(AssertUnwindSafe(|| B::start(opts))) {
        Ok(Ok((engine, streams))) => {
            pump.attach(streams);
            let _ = interrupter.set(engine.interrupter());
            state.send_replace(EngineState::Ready);
            engine
        }
        Ok(Err(e)) => {
            let msg = format!("{e:#}");
            log(format_args!("the engine failed to start: {msg}"));
            state.send_replace(EngineState::Failed(msg));
            return;
        }
        Err(panic) => {
            let msg = format!(
                "the engine panicked while starting: {}",
                panic_text(&*panic)
            );
            log(&msg);
            state.send_replace(EngineState::Failed(msg));
            return;
        }
    };
    for job in jobs.iter() {
        match job {
            Job::Execute { code, reply } => {
                let result = catch_unwind(AssertUnwindSafe(|| engine.execute(&code)))
                    .unwrap_or_else(|panic| {
                        Err(engine_error(format!(
                            "the engine panicked: {}",
                            panic_text(&*panic)
                        )))
                    });
                let _ = reply.send(result);
            }
            Job::Complete {
                code,
                cursor_pos,
                deadline,
                reply,
            } => {
                if Instant::now() < deadline
                    && !reply.is_closed()
                    && let Ok(c) =
                        catch_unwind(AssertUnwindSafe(|| engine.complete(&code, cursor_pos)))
                {
                    let _ = reply.send(c);
                }
            }
            Job::Inspect {
                code,
                cursor_pos,
                detail_level,
                deadline,
                reply,
            } => {
                if Instant::now() < deadline
                    && !reply.is_closed()
                    && let Ok(found) = catch_unwind(AssertUnwindSafe(|| {
                        engine.inspect(&code, cursor_pos, detail_level)
                    }))
                {
                    let _ = reply.send(found);
                }
            }
            Job::Stop => break,
        }
    }
    // Dropping the engine stops its runtime child and cleans its scratch files.
    drop(engine);
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

/// A cell error for failures of the kernel itself rather than of the cell.
fn engine_error(evalue: String) -> CellError {
    CellError {
        ename: "KernelError".into(),
        traceback: vec![evalue.clone()],
        evalue,
    }
}

impl EngineHandle {
    /// The current state.
    pub fn state(&self) -> EngineState {
        self.state.borrow().clone()
    }

    /// Waits until the engine has started; `Err` carries the start error.
    pub async fn wait_started(&self) -> Result<(), String> {
        let mut rx = self.state.clone();
        loop {
            let now = rx.borrow_and_update().clone();
            match now {
                EngineState::Ready => return Ok(()),
                EngineState::Failed(msg) => return Err(msg),
                EngineState::Starting => {}
            }
            if rx.changed().await.is_err() {
                return Err("the engine thread stopped while starting".into());
            }
        }
    }

    /// Whether a cell is running right now.
    pub fn is_executing(&self) -> bool {
        self.executing.load(Ordering::SeqCst)
    }

    /// Runs a cell on the engine thread (the engine must have started).
    pub async fn execute(&self, code: String) -> Result<Outcome, CellError> {
        let (reply, answer) = oneshot::channel();
        self.executing.store(true, Ordering::SeqCst);
        let result = if self.jobs.send(Job::Execute { code, reply }).is_err() {
            Err(engine_error("the engine thread has stopped".into()))
        } else {
            answer
                .await
                .unwrap_or_else(|_| Err(engine_error("the engine thread has stopped".into())))
        };
        self.executing.store(false, Ordering::SeqCst);
        result
    }

    /// Completions, or `None` when the engine is busy, failed, or (with its start) slower
    /// than `timeout`.
    pub async fn complete(
        &self,
        code: String,
        cursor_pos: usize,
        timeout: Duration,
    ) -> Option<Completions> {
        let deadline = Instant::now() + timeout;
        self.ready_by(deadline).await?;
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job::Complete {
                code,
                cursor_pos,
                deadline,
                reply,
            })
            .ok()?;
        tokio::time::timeout_at(deadline.into(), answer)
            .await
            .ok()?
            .ok()
    }

    /// Inspection data, or `None` when not found, busy, failed or too slow.
    pub async fn inspect(
        &self,
        code: String,
        cursor_pos: usize,
        detail_level: u8,
        timeout: Duration,
    ) -> Option<Bundle> {
        let deadline = Instant::now() + timeout;
        self.ready_by(deadline).await?;
        let (reply, answer) = oneshot::channel();
        let job = Job::Inspect {
            code,
            cursor_pos,
            detail_level,
            deadline,
            reply,
        };
        self.jobs.send(job).ok()?;
        tokio::time::timeout_at(deadline.into(), answer)
            .await
            .ok()?
            .ok()?
    }

    /// `Some` when the engine can take a query now: started (waiting for that until
    /// `deadline`) and not running a cell (which would make the query wait for the cell).
    async fn ready_by(&self, deadline: Instant) -> Option<()> {
        if self.state() == EngineState::Starting {
            tokio::time::timeout_at(deadline.into(), self.wait_started())
                .await
                .ok()?
                .ok()?;
        }
        (self.state() == EngineState::Ready && !self.is_executing()).then_some(())
    }

    /// Whether `code` is ready to run (no engine needed).
    pub fn is_complete(&self, code: &str) -> Completeness {
        (self.is_complete)(code)
    }

    /// Interrupts the running cell. Returns false when the engine has not started yet.
    pub fn interrupt(&self) -> bool {
        match self.interrupter.get() {
            Some(interrupt) => {
                interrupt();
                true
            }
            None => false,
        }
    }

    /// Asks the engine thread to drop the engine, waiting at most `timeout` for it.
    pub async fn stop(&self, timeout: Duration) {
        if self.is_executing() {
            self.interrupt();
        }
        let _ = self.jobs.send(Job::Stop);
        let end = Instant::now() + timeout;
        loop {
            let finished = match self.thread.lock() {
                Ok(guard) => guard.as_ref().is_none_or(|t| t.is_finished()),
                Err(_) => true,
            };
            if finished {
                if let Ok(mut guard) = self.thread.lock()
                    && let Some(t) = guard.take()
                {
                    let _ = t.join();
                }
                return;
            }
            if Instant::now() >= end {
                log("the engine did not stop in time; exiting anyway");
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
