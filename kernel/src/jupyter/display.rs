//! The display channel: a Unix socket on which the runtime child writes JSON lines
//! (`display_data` / `update_display_data`). Each line is forwarded to iopub, parented to the
//! execute request that created its `display_id`, so updates land on the right output even after
//! that cell has finished.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use jupyter_protocol::{DisplayData, Header, JupyterMessage, Transient, UpdateDisplayData};
use serde::Deserialize;
use serde_json::{Map, Value};
use tokio::io::AsyncReadExt;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, oneshot};

use super::log;
use super::media;
use super::outbox::child_of_header;
use super::output::OutputPump;

/// Longest display line accepted (a big plot as base64 PNG fits many times).
const MAX_LINE: usize = 256 * 1024 * 1024;
/// Display ids remembered; past this the table is cleared (old handles then update the
/// current cell's output instead).
const MAX_DISPLAY_IDS: usize = 100_000;

/// One line of the display protocol.
#[derive(Debug, Deserialize)]
struct DisplayLine {
    msg_type: String,
    #[serde(default)]
    data: Option<Map<String, Value>>,
    #[serde(default)]
    metadata: Option<Map<String, Value>>,
    #[serde(default)]
    transient: Option<TransientIn>,
}

#[derive(Debug, Deserialize)]
struct TransientIn {
    #[serde(default)]
    display_id: Option<String>,
}

/// Decides the parent of each display message. Pure logic, no I/O.
#[derive(Debug, Default)]
pub struct DisplayRouter {
    /// The running (non-silent) execute request.
    current: Option<Header>,
    /// The last non-silent execute request.
    last: Option<Header>,
    /// A silent cell is running: its new displays are dropped.
    silent: bool,
    owners: HashMap<String, Header>,
}

impl DisplayRouter {
    /// A cell starts; `None` for a silent cell.
    pub fn begin(&mut self, parent: Option<Header>) {
        match parent {
            Some(h) => {
                self.current = Some(h.clone());
                self.last = Some(h);
                self.silent = false;
            }
            None => {
                self.current = None;
                self.silent = true;
            }
        }
    }

    /// The cell ended.
    pub fn end(&mut self) {
        self.current = None;
        self.silent = false;
    }

    /// Turns one display line into the iopub message to send (`Ok(None)`: dropped on purpose).
    pub fn route(&mut self, line: &[u8]) -> Result<Option<JupyterMessage>, String> {
        let line: DisplayLine =
            serde_json::from_slice(line).map_err(|e| format!("not a display message: {e}"))?;
        let data = media::from_json_map(&line.data.unwrap_or_default());
        let metadata = line.metadata.unwrap_or_default();
        let display_id = line
            .transient
            .and_then(|t| t.display_id)
            .filter(|id| !id.is_empty());
        let fallback = self.current.clone().or_else(|| self.last.clone());
        match line.msg_type.as_str() {
            "display_data" => {
                if self.silent {
                    return Ok(None);
                }
                if let (Some(id), Some(parent)) = (&display_id, &fallback) {
                    if self.owners.len() >= MAX_DISPLAY_IDS {
                        self.owners.clear();
                    }
                    self.owners.insert(id.clone(), parent.clone());
                }
                let content = DisplayData {
                    data,
                    metadata,
                    transient: display_id.map(|id| Transient {
                        display_id: Some(id),
                    }),
                };
                Ok(Some(child_of_header(content, fallback.as_ref())))
            }
            "update_display_data" => {
                let id = display_id.ok_or("update_display_data without transient.display_id")?;
                let parent = self.owners.get(&id).cloned().or(fallback);
                let content = UpdateDisplayData {
                    data,
                    metadata,
                    transient: Transient {
                        display_id: Some(id),
                    },
                };
                Ok(Some(child_of_header(content, parent.as_ref())))
            }
            other => Err(format!("unknown display msg_type {other:?}")),
        }
    }
}

/// Splits a byte stream into lines, dropping any line longer than [`MAX_LINE`].
#[derive(Debug, Default)]
pub struct LineBuffer {
    buf: Vec<u8>,
    scanned: usize,
    discarding: bool,
}

impl LineBuffer {
    /// Adds bytes; returns the complete lines they finish (without `\n`).
    pub fn push(&mut self, data: &[u8]) -> Vec<Vec<u8>> {
        self.buf.extend_from_slice(data);
        let mut lines = Vec::new();
        let mut start = 0;
        let mut from = self.scanned;
        while let Some(pos) = self.buf[from..].iter().position(|&b| b == b'\n') {
            let end = from + pos;
            if self.discarding {
                self.discarding = false;
            } else {
                lines.push(self.buf[start..end].to_vec());
            }
            start = end + 1;
            from = start;
        }
        self.buf.drain(..start);
        self.scanned = self.buf.len();
        if self.buf.len() > MAX_LINE {
            log(format_args!(
                "display line longer than {MAX_LINE} bytes dropped"
            ));
            self.buf.clear();
            self.scanned = 0;
            self.discarding = true;
        }
        lines
    }

    /// Whether a line has started but not ended.
    pub fn has_partial(&self) -> bool {
        !self.buf.is_empty()
    }

    /// The unfinished last line, at end of input.
    pub fn take_rest(&mut self) -> Option<Vec<u8>> {
        let rest = std::mem::take(&mut self.buf);
        self.scanned = 0;
        (!rest.is_empty() && !std::mem::take(&mut self.discarding)).then_some(rest)
    }
}

type SyncRequest = oneshot::Sender<()>;

/// The display channel: router state and the accept loop. Cheap to clone.
#[derive(Clone)]
pub struct Displays {
    router: Arc<Mutex<DisplayRouter>>,
    /// Sync requests to the accept loop, once listening.
    syncs: Arc<OnceLock<mpsc::UnboundedSender<SyncRequest>>>,
    pump: OutputPump,
}

impl Displays {
    /// Display messages will go to iopub through `pump`, after the text printed before them.
    pub fn new(pump: OutputPump) -> Self {
        Displays {
            router: Arc::new(Mutex::new(DisplayRouter::default())),
            syncs: Arc::new(OnceLock::new()),
            pump,
        }
    }

    /// Binds the socket at `path` (replacing a stale one) and accepts connections forever.
    /// Must be called inside the tokio runtime.
    pub fn listen(&self, path: &Path) -> anyhow::Result<()> {
        use anyhow::Context as _;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        if path.exists() {
            std::fs::remove_file(path)
                .with_context(|| format!("removing stale socket {}", path.display()))?;
        }
        let listener = UnixListener::bind(path)
            .with_context(|| format!("binding the display socket {}", path.display()))?;
        {
            use std::os::unix::fs::PermissionsExt as _;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
        let (sync_tx, sync_rx) = mpsc::unbounded_channel();
        if self.syncs.set(sync_tx).is_err() {
            anyhow::bail!("the display socket is already listening");
        }
        tokio::spawn(self.clone().accept_loop(listener, sync_rx));
        Ok(())
    }

    /// Accepts connections; on a sync request, first takes the connections already waiting
    /// (a runtime that connects just before its first display), then syncs every connection.
    async fn accept_loop(
        self,
        listener: UnixListener,
        mut syncs: mpsc::UnboundedReceiver<SyncRequest>,
    ) {
        let mut conns: Vec<mpsc::UnboundedSender<SyncRequest>> = Vec::new();
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => self.add_connection(stream, &mut conns),
                    Err(e) => {
                        log(format_args!("display socket accept failed: {e}"));
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                },
                Some(done) = syncs.recv() => {
                    // A zero timeout still polls accept once: it takes what is pending.
                    while let Ok(Ok((stream, _))) =
                        tokio::time::timeout(Duration::ZERO, listener.accept()).await
                    {
                        self.add_connection(stream, &mut conns);
                    }
                    conns.retain(|c| !c.is_closed());
                    let mut waits = Vec::new();
                    for conn in &conns {
                        let (conn_done, wait) = oneshot::channel();
                        if conn.send(conn_done).is_ok() {
                            waits.push(wait);
                        }
                    }
                    tokio::spawn(async move {
                        for wait in waits {
                            let _ = wait.await;
                        }
                        let _ = done.send(());
                    });
                }
            }
        }
    }

    fn add_connection(
        &self,
        stream: UnixStream,
        conns: &mut Vec<mpsc::UnboundedSender<SyncRequest>>,
    ) {
        let (tx, rx) = mpsc::unbounded_channel();
        conns.retain(|c| !c.is_closed());
        conns.push(tx);
        tokio::spawn(self.clone().serve(stream, rx));
    }

    /// A cell starts; `None` for a silent one.
    pub fn begin(&self, parent: Option<Header>) {
        if let Ok(mut r) = self.router.lock() {
            r.begin(parent);
        }
    }

    /// The cell ended.
    pub fn end(&self) {
        if let Ok(mut r) = self.router.lock() {
            r.end();
        }
    }

    /// Waits (at most `timeout`) until every connection has forwarded the lines already
    /// written to it, so a cell's displays precede its reply.
    pub async fn sync(&self, timeout: Duration) {
        let Some(syncs) = self.syncs.get() else {
            return;
        };
        let (done, wait) = oneshot::channel();
        if syncs.send(done).is_err() {
            return;
        }
        if tokio::time::timeout(timeout, wait).await.is_err() {
            log("display channel did not settle in time");
        }
    }

    /// Routes one line and forwards the result; bad lines are logged.
    pub fn handle_line(&self, line: &[u8]) {
        if line.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        let routed = match self.router.lock() {
            Ok(mut r) => r.route(line),
            Err(_) => Err("display router poisoned".into()),
        };
        match routed {
            Ok(Some(msg)) => self.pump.forward(msg),
            Ok(None) => {}
            Err(e) => {
                let shown: String = String::from_utf8_lossy(line).chars().take(200).collect();
                log(format_args!("bad display line ({e}): {shown}"));
            }
        }
    }

    async fn serve(self, mut stream: UnixStream, mut syncs: mpsc::UnboundedReceiver<SyncRequest>) {
        let mut lines = LineBuffer::default();
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            tokio::select! {
                read = stream.read(&mut chunk) => match read {
                    Ok(0) => break,
                    Ok(n) => self.take(&mut lines, &chunk[..n]),
                    Err(e) => {
                        log(format_args!("display connection failed: {e}"));
                        break;
                    }
                },
                Some(done) = syncs.recv() => {
                    let open = self.catch_up(&mut stream, &mut lines, &mut chunk).await;
                    let _ = done.send(());
                    if !open {
                        break;
                    }
                }
            }
        }
        if let Some(rest) = lines.take_rest() {
            self.handle_line(&rest);
        }
        // Answer syncs that raced with the close.
        syncs.close();
        while let Ok(done) = syncs.try_recv() {
            let _ = done.send(());
        }
    }

    fn take(&self, lines: &mut LineBuffer, data: &[u8]) {
        for line in lines.push(data) {
            self.handle_line(&line);
        }
    }

    /// Reads what is already buffered in the socket, and the end of a started line. Returns
    /// false at end of stream.
    async fn catch_up(
        &self,
        stream: &mut UnixStream,
        lines: &mut LineBuffer,
        chunk: &mut [u8],
    ) -> bool {
        loop {
            match stream.try_read(chunk) {
                Ok(0) => return false,
                Ok(n) => self.take(lines, &chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(_) => return false,
            }
        }
        let end = tokio::time::Instant::now() + Duration::from_secs(2);
        while lines.has_partial() {
            match tokio::time::timeout_at(end, stream.read(chunk)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return false,
                Ok(Ok(n)) => self.take(lines, &chunk[..n]),
                Err(_) => break,
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jupyter_protocol::{ExecuteRequest, JupyterMessageContent};
    use serde_json::json;

    fn header(id: &str) -> Header {
        let mut msg: JupyterMessage = ExecuteRequest::new("x".into()).into();
        msg.header.msg_id = id.to_string();
        msg.header
    }

    fn parent_id(msg: &JupyterMessage) -> Option<String> {
        msg.parent_header.as_ref().map(|h| h.msg_id.clone())
    }

    fn line(v: Value) -> Vec<u8> {
        v.to_string().into_bytes()
    }

    #[test]
    fn display_goes_to_running_cell_and_update_to_its_owner() {
        let mut r = DisplayRouter::default();
        r.begin(Some(header("cell1")));
        let shown = r
            .route(&line(
                json!({"msg_type": "display_data", "data": {"text/plain": "0%"},
                "metadata": {}, "transient": {"display_id": "bar"}}),
            ))
            .expect("routes")
            .expect("sent");
        assert_eq!(parent_id(&shown), Some("cell1".into()));
        match &shown.content {
            JupyterMessageContent::DisplayData(d) => {
                assert_eq!(
                    d.transient.as_ref().and_then(|t| t.display_id.clone()),
                    Some("bar".into())
                )
            }
            other => panic!("unexpected {other:?}"),
        }
        r.end();
        r.begin(Some(header("cell2")));
        let update = r
            .route(&line(
                json!({"msg_type": "update_display_data", "data": {"text/plain": "50%"},
                "metadata": {}, "transient": {"display_id": "bar"}}),
            ))
            .expect("routes")
            .expect("sent");
        assert_eq!(update.message_type(), "update_display_data");
        assert_eq!(parent_id(&update), Some("cell1".into()));
        // A new display in cell 2 belongs to cell 2.
        let other = r
            .route(&line(
                json!({"msg_type": "display_data", "data": {"text/plain": "x"}}),
            ))
            .expect("routes")
            .expect("sent");
        assert_eq!(parent_id(&other), Some("cell2".into()));
    }

    #[test]
    fn after_the_cell_displays_go_to_the_last_one() {
        let mut r = DisplayRouter::default();
        r.begin(Some(header("cell1")));
        r.end();
        let late = r
            .route(&line(
                json!({"msg_type": "display_data", "data": {"text/plain": "late"}}),
            ))
            .expect("routes")
            .expect("sent");
        assert_eq!(parent_id(&late), Some("cell1".into()));
        // Unknown display id: falls back to the last cell too.
        let upd = r
            .route(&line(json!({"msg_type": "update_display_data", "data": {},
                "transient": {"display_id": "never-seen"}})))
            .expect("routes")
            .expect("sent");
        assert_eq!(parent_id(&upd), Some("cell1".into()));
    }

    #[test]
    fn silent_cells_drop_new_displays() {
        let mut r = DisplayRouter::default();
        r.begin(Some(header("cell1")));
        r.end();
        r.begin(None);
        let dropped = r
            .route(&line(
                json!({"msg_type": "display_data", "data": {"text/plain": "x"}}),
            ))
            .expect("routes");
        assert!(dropped.is_none());
        r.end();
        let after = r
            .route(&line(
                json!({"msg_type": "display_data", "data": {"text/plain": "x"}}),
            ))
            .expect("routes")
            .expect("sent");
        assert_eq!(parent_id(&after), Some("cell1".into()));
    }

    #[test]
    fn malformed_lines_are_errors() {
        let mut r = DisplayRouter::default();
        assert!(r.route(b"{not json").is_err());
        assert!(r.route(&line(json!({"msg_type": "clear_output"}))).is_err());
        assert!(
            r.route(&line(
                json!({"msg_type": "update_display_data", "data": {}})
            ))
            .is_err()
        );
        assert!(r.route(&line(json!([1, 2]))).is_err());
        // null metadata and missing data are tolerated
        assert!(
            r.route(&line(json!({"msg_type": "display_data", "metadata": null})))
                .is_ok()
        );
    }

    #[test]
    fn line_buffer_splits_and_keeps_partials() {
        let mut b = LineBuffer::default();
        assert!(b.push(b"{\"a\"").is_empty());
        assert!(b.has_partial());
        let lines = b.push(b":1}\n{\"b\":2}\n{\"c\"");
        assert_eq!(lines, vec![b"{\"a\":1}".to_vec(), b"{\"b\":2}".to_vec()]);
        assert_eq!(b.push(b":3}\n"), vec![b"{\"c\":3}".to_vec()]);
        assert!(!b.has_partial());
        assert_eq!(b.take_rest(), None);
        b.push(b"tail");
        assert_eq!(b.take_rest(), Some(b"tail".to_vec()));
    }
}
