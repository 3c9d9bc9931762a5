//! The output pump: one thread drains the runtime's stdout/stderr lines as they come, coalesces
//! lines that arrive within a few milliseconds into one `stream` message, caps each cell's stream
//! text at [`MAX_CELL_OUTPUT`] bytes, and forwards display messages in order with the text.

use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Select, Sender};
use jupyter_protocol::{Header, JupyterMessage, Stdio, StreamContent};
use tokio::sync::oneshot;

use super::log;
use super::outbox::Outbox;
use crate::engine::Streams;

/// Stream text one cell may send; further lines are dropped and counted.
pub const MAX_CELL_OUTPUT: usize = 2 * 1024 * 1024;
/// Lines arriving within this window of the first buffered one go out in one message.
pub const COALESCE: Duration = Duration::from_millis(5);
/// Largest text buffered before a message is sent regardless of the window.
pub const MAX_CHUNK: usize = 64 * 1024;
/// How long the end of a cell may spend draining lines already produced.
const FINAL_DRAIN: Duration = Duration::from_millis(250);

/// Which of the runtime's output streams a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Stdout,
    Stderr,
}

impl Which {
    fn stdio(self) -> Stdio {
        match self {
            Which::Stdout => Stdio::Stdout,
            Which::Stderr => Stdio::Stderr,
        }
    }
}

/// Text ready to be sent as one `stream` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub which: Which,
    pub text: String,
}

#[derive(Debug)]
struct Pending {
    which: Which,
    text: String,
    since: Instant,
}

/// One cell's stream text: the byte budget and the coalescing buffer. Pure logic, no I/O.
#[derive(Debug)]
pub struct CellOutput {
    limit: usize,
    used: usize,
    dropped: usize,
    pending: Option<Pending>,
}

impl CellOutput {
    /// An empty budget of `limit` bytes.
    pub fn new(limit: usize) -> Self {
        CellOutput {
            limit,
            used: 0,
            dropped: 0,
            pending: None,
        }
    }

    /// Adds a line (without its newline, which is re-added). Returns a chunk that must be sent
    /// now: the buffer of the other stream, a full buffer, or a buffer past its window.
    pub fn push(&mut self, which: Which, line: &str, now: Instant) -> Option<Chunk> {
        let bytes = line.len() + 1;
        if self.dropped > 0 || self.used + bytes > self.limit {
            self.dropped += bytes;
            return None;
        }
        self.used += bytes;
        let mut ready = None;
        if let Some(p) = &self.pending
            && (p.which != which || p.text.len() + bytes > MAX_CHUNK)
        {
            ready = self.flush();
        }
        match &mut self.pending {
            Some(p) => {
                p.text.push_str(line);
                p.text.push('\n');
            }
            None => {
                let mut text = String::with_capacity(bytes.max(256));
                text.push_str(line);
                text.push('\n');
                self.pending = Some(Pending {
                    which,
                    text,
                    since: now,
                });
            }
        }
        if ready.is_none() && self.deadline().is_some_and(|d| d <= now) {
            ready = self.flush();
        }
        ready
    }

    /// When the buffered text must be sent at the latest.
    pub fn deadline(&self) -> Option<Instant> {
        self.pending.as_ref().map(|p| p.since + COALESCE)
    }

    /// Takes the buffered text.
    pub fn flush(&mut self) -> Option<Chunk> {
        self.pending.take().map(|p| Chunk {
            which: p.which,
            text: p.text,
        })
    }

    /// Bytes dropped since the last notice.
    #[cfg(test)]
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    /// The line telling the user how much was dropped, once (then the count restarts).
    pub fn take_dropped_notice(&mut self) -> Option<Chunk> {
        if self.dropped == 0 {
            return None;
        }
        let text = format!(
            "[eddy] output limit reached ({} MB per cell): {} more bytes were dropped\n",
            self.limit / (1024 * 1024),
            self.dropped
        );
        self.dropped = 0;
        // The budget stays spent: later lines of the same cell are dropped too.
        self.used = self.limit;
        Some(Chunk {
            which: Which::Stderr,
            text,
        })
    }

    /// A new cell: a fresh budget. Flush first.
    pub fn reset(&mut self) {
        self.used = 0;
        self.dropped = 0;
        self.pending = None;
    }
}

enum Cmd {
    Attach(Streams),
    Begin(Option<Header>),
    Finish(oneshot::Sender<()>),
    Forward(Box<JupyterMessage>),
}

/// Handle to the output pump thread. Cheap to clone; all methods return at once.
#[derive(Clone)]
pub struct OutputPump {
    tx: Sender<Cmd>,
}

impl OutputPump {
    /// Starts the pump thread; it sends everything to `iopub`.
    pub fn spawn(iopub: Outbox) -> anyhow::Result<OutputPump> {
        let (tx, rx) = crossbeam_channel::unbounded();
        let pump = Pump {
            iopub,
            out: CellOutput::new(MAX_CELL_OUTPUT),
            parent: None,
            last_visible: None,
            silent: false,
            stdout: None,
            stderr: None,
        };
        std::thread::Builder::new()
            .name("eddy-output".into())
            .spawn(move || pump.run(rx))
            .map_err(|e| anyhow::anyhow!("cannot start the output thread: {e}"))?;
        Ok(OutputPump { tx })
    }

    /// Starts draining the engine's streams (once the engine has started).
    pub fn attach(&self, streams: Streams) {
        self.cmd(Cmd::Attach(streams));
    }

    /// A cell starts: its output goes to `parent`; `None` (a silent cell) drops it.
    pub fn begin(&self, parent: Option<Header>) {
        self.cmd(Cmd::Begin(parent));
    }

    /// A cell ended: waits (at most `timeout`) until the lines it printed have been sent.
    pub async fn finish(&self, timeout: Duration) {
        let (done, wait) = oneshot::channel();
        self.cmd(Cmd::Finish(done));
        if tokio::time::timeout(timeout, wait).await.is_err() {
            log("output pump did not finish in time");
        }
    }

    /// Sends `msg` to iopub after the text printed before it.
    pub fn forward(&self, msg: JupyterMessage) {
        self.cmd(Cmd::Forward(Box::new(msg)));
    }

    fn cmd(&self, cmd: Cmd) {
        if self.tx.send(cmd).is_err() {
            log("output pump is gone");
        }
    }
}

enum Event {
    Cmd(Cmd),
    Quit,
    Line(Which, String),
    Closed(Which),
    Tick,
}

struct Pump {
    iopub: Outbox,
    out: CellOutput,
    /// Where stream text goes now: the running cell, or the last one after it ended.
    parent: Option<Header>,
    last_visible: Option<Header>,
    silent: bool,
    stdout: Option<Receiver<String>>,
    stderr: Option<Receiver<String>>,
}

impl Pump {
    fn run(mut self, cmds: Receiver<Cmd>) {
        loop {
            match self.next_event(&cmds) {
                Event::Quit => {
                    self.flush();
                    return;
                }
                Event::Tick => self.flush(),
                Event::Line(which, line) => {
                    self.line(which, &line, Instant::now());
                    self.burst(which);
                }
                Event::Closed(Which::Stdout) => self.stdout = None,
                Event::Closed(Which::Stderr) => self.stderr = None,
                Event::Cmd(Cmd::Attach(streams)) => {
                    self.stdout = Some(streams.stdout);
                    self.stderr = Some(streams.stderr);
                }
                Event::Cmd(Cmd::Begin(parent)) => {
                    self.flush();
                    self.notice();
                    self.out.reset();
                    match parent {
                        Some(h) => {
                            self.parent = Some(h.clone());
                            self.last_visible = Some(h);
                            self.silent = false;
                        }
                        None => self.silent = true,
                    }
                }
                Event::Cmd(Cmd::Finish(done)) => {
                    self.drain(FINAL_DRAIN);
                    self.flush();
                    self.notice();
                    self.silent = false;
                    self.parent = self.last_visible.clone();
                    let _ = done.send(());
                }
                Event::Cmd(Cmd::Forward(msg)) => {
                    self.drain(Duration::from_millis(20));
                    self.flush();
                    self.iopub.send(*msg);
                }
            }
        }
    }

    fn next_event(&self, cmds: &Receiver<Cmd>) -> Event {
        let mut sel = Select::new();
        let cmd_i = sel.recv(cmds);
        let out_i = self.stdout.as_ref().map(|r| sel.recv(r));
        let err_i = self.stderr.as_ref().map(|r| sel.recv(r));
        let op = match self.out.deadline() {
            Some(deadline) => match sel.select_deadline(deadline) {
                Ok(op) => op,
                Err(_) => return Event::Tick,
            },
            None => sel.select(),
        };
        let i = op.index();
        if i == cmd_i {
            return op.recv(cmds).map_or(Event::Quit, Event::Cmd);
        }
        let (which, rx) = if Some(i) == out_i {
            (Which::Stdout, self.stdout.as_ref())
        } else if Some(i) == err_i {
            (Which::Stderr, self.stderr.as_ref())
        } else {
            (Which::Stdout, None)
        };
        match rx {
            Some(rx) => match op.recv(rx) {
                Ok(line) => Event::Line(which, line),
                Err(_) => Event::Closed(which),
            },
            // Unreachable: every index belongs to a receiver. Complete the operation anyway.
            None => op.recv(cmds).map_or(Event::Quit, Event::Cmd),
        }
    }

    fn line(&mut self, which: Which, line: &str, now: Instant) {
        if self.silent {
            return;
        }
        if let Some(chunk) = self.out.push(which, line, now) {
            self.emit(chunk);
        }
    }

    /// Takes more lines of the same stream without going through `select` (a flood of output
    /// is read at channel speed).
    fn burst(&mut self, which: Which) {
        for _ in 0..1024 {
            let rx = match which {
                Which::Stdout => self.stdout.as_ref(),
                Which::Stderr => self.stderr.as_ref(),
            };
            match rx.map(Receiver::try_recv) {
                Some(Ok(line)) => self.line(which, &line, Instant::now()),
                _ => return,
            }
        }
    }

    /// Takes the lines already waiting in the channels, for at most `budget`.
    fn drain(&mut self, budget: Duration) {
        let end = Instant::now() + budget;
        let mut n = 0u32;
        loop {
            let mut got = false;
            for which in [Which::Stdout, Which::Stderr] {
                let rx = match which {
                    Which::Stdout => self.stdout.as_ref(),
                    Which::Stderr => self.stderr.as_ref(),
                };
                if let Some(Ok(line)) = rx.map(Receiver::try_recv) {
                    got = true;
                    self.line(which, &line, Instant::now());
                }
            }
            n += 1;
            if !got || (n.is_multiple_of(256) && Instant::now() >= end) {
                return;
            }
        }
    }

    fn flush(&mut self) {
        if let Some(chunk) = self.out.flush() {
            self.emit(chunk);
        }
    }

    fn notice(&mut self) {
        if let Some(chunk) = self.out.take_dropped_notice() {
            self.emit(chunk);
        }
    }

    fn emit(&self, chunk: Chunk) {
        if self.silent {
            return;
        }
        let content = StreamContent {
            name: chunk.which.stdio(),
            text: chunk.text,
        };
        self.iopub.child_of(self.parent.as_ref(), content);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_coalesce_within_the_window() {
        let t0 = Instant::now();
        let mut out = CellOutput::new(MAX_CELL_OUTPUT);
        assert_eq!(out.push(Which::Stdout, "a", t0), None);
        assert_eq!(
            out.push(Which::Stdout, "b", t0 + Duration::from_millis(1)),
            None
        );
        assert_eq!(out.deadline(), Some(t0 + COALESCE));
        let chunk = out.push(Which::Stdout, "c", t0 + COALESCE);
        assert_eq!(
            chunk,
            Some(Chunk {
                which: Which::Stdout,
                text: "a\nb\nc\n".into()
            })
        );
        assert_eq!(out.flush(), None);
    }

    #[test]
    fn switching_streams_flushes_in_order() {
        let t0 = Instant::now();
        let mut out = CellOutput::new(MAX_CELL_OUTPUT);
        out.push(Which::Stdout, "out", t0);
        let chunk = out.push(Which::Stderr, "err", t0);
        assert_eq!(
            chunk,
            Some(Chunk {
                which: Which::Stdout,
                text: "out\n".into()
            })
        );
        assert_eq!(
            out.flush(),
            Some(Chunk {
                which: Which::Stderr,
                text: "err\n".into()
            })
        );
    }

    #[test]
    fn big_buffers_are_split() {
        let t0 = Instant::now();
        let mut out = CellOutput::new(MAX_CELL_OUTPUT);
        let line = "x".repeat(1000);
        let mut sent = 0;
        for _ in 0..200 {
            if let Some(c) = out.push(Which::Stdout, &line, t0) {
                assert!(c.text.len() <= MAX_CHUNK);
                sent += c.text.len();
            }
        }
        sent += out.flush().map_or(0, |c| c.text.len());
        assert_eq!(sent, 200 * 1001);
    }

    #[test]
    fn output_is_capped_and_the_drop_is_reported_once() {
        let t0 = Instant::now();
        let mut out = CellOutput::new(100);
        let mut kept = String::new();
        for i in 0..50 {
            // 10 bytes per line with its newline
            if let Some(c) = out.push(Which::Stdout, &format!("line {i:04}"), t0) {
                kept.push_str(&c.text);
            }
        }
        if let Some(c) = out.flush() {
            kept.push_str(&c.text);
        }
        assert_eq!(kept.len(), 100);
        assert_eq!(out.dropped(), 400);
        let notice = out.take_dropped_notice().expect("a notice");
        assert_eq!(notice.which, Which::Stderr);
        assert!(notice.text.contains("400 more bytes"), "{}", notice.text);
        assert!(notice.text.ends_with('\n'));
        assert_eq!(out.take_dropped_notice(), None);
        // Still capped for the rest of the cell, counted afresh.
        assert_eq!(out.push(Which::Stdout, "late", t0), None);
        assert_eq!(out.dropped(), 5);
        out.reset();
        assert_eq!(out.push(Which::Stdout, "new cell", t0), None);
        assert_eq!(out.flush().map(|c| c.text), Some("new cell\n".into()));
    }

    #[test]
    fn a_line_that_does_not_fit_starts_the_drop() {
        let t0 = Instant::now();
        let mut out = CellOutput::new(10);
        out.push(Which::Stdout, "12345", t0); // 6 bytes
        out.push(Which::Stdout, "12345", t0); // would make 12: dropped
        out.push(Which::Stdout, "1", t0); // would fit, but output is already cut
        assert_eq!(out.flush().map(|c| c.text), Some("12345\n".into()));
        assert_eq!(out.dropped(), 8);
    }
}
