//! End-to-end tests of the server over real ZeroMQ sockets, driven by jupyter-zmq-client's
//! client side, against a stand-in engine (no compiler involved).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;
use jupyter_protocol::{
    CompleteRequest, ConnectionInfo, ExecuteRequest, HistoryEntry, HistoryRequest,
    InterruptRequest, IsCompleteRequest, JupyterMessage, JupyterMessageContent, KernelInfoRequest,
    ReplyStatus, ShutdownRequest, Transport,
};
use jupyter_zmq_client::{
    ClientControlConnection, ClientIoPubConnection, ClientShellConnection,
    create_client_control_connection, create_client_iopub_connection,
    create_client_shell_connection_with_identity, peek_ports, peer_identity_for_session,
};
use serde_json::json;

use super::backend::{Backend, InterruptFn};
use crate::engine::{CellError, Completeness, Completions, Outcome, Streams};

// ---------------------------------------------------------------------------------------------
// A stand-in engine. Cells are tiny commands:
//   print:<n>:<text>      n lines of text on stdout      err:<text>      one line on stderr
//   flood:<bytes>         that many bytes of stdout      sleep:<ms>      interruptible sleep
//   fail                  a CellError                    display:<id>:<text> / update:<id>:<text>
//   anything else         returns its code as text/plain (empty code returns nothing)
// ---------------------------------------------------------------------------------------------

struct FakeOptions {
    start_delay: Duration,
    start_error: Option<String>,
    display_socket: PathBuf,
}

struct Fake {
    out: Sender<String>,
    err: Sender<String>,
    interrupted: Arc<AtomicBool>,
    display_socket: PathBuf,
    display: Option<UnixStream>,
}

impl Fake {
    fn send_display(&mut self, msg_type: &str, id: &str, text: &str) {
        if self.display.is_none() {
            self.display = UnixStream::connect(&self.display_socket).ok();
        }
        let line = json!({"msg_type": msg_type, "data": {"text/plain": text}, "metadata": {},
            "transient": {"display_id": id}});
        if let Some(s) = self.display.as_mut() {
            let _ = writeln!(s, "{line}");
        }
    }
}

impl Backend for Fake {
    type Options = FakeOptions;

    fn start(opts: FakeOptions) -> anyhow::Result<(Self, Streams)> {
        std::thread::sleep(opts.start_delay);
        if let Some(e) = opts.start_error {
            anyhow::bail!(e);
        }
        let (out, stdout) = crossbeam_channel::unbounded();
        let (err, stderr) = crossbeam_channel::unbounded();
        let fake = Fake {
            out,
            err,
            interrupted: Arc::new(AtomicBool::new(false)),
            display_socket: opts.display_socket,
            display: None,
        };
        Ok((fake, Streams { stdout, stderr }))
    }

    fn execute(&mut self, code: &str) -> Result<Outcome, CellError> {
        self.interrupted.store(false, Ordering::SeqCst);
        let parts: Vec<&str> = code.splitn(3, ':').collect();
        let mut outcome = Outcome::default();
        match parts.as_slice() {
            ["print", n, text] => {
                for _ in 0..n.parse::<usize>().unwrap_or(0) {
                    let _ = self.out.send(text.to_string());
                }
            }
            ["err", text] => {
                let _ = self.err.send(text.to_string());
            }
            ["flood", bytes] => {
                let line = "y".repeat(999);
                for _ in 0..bytes.parse::<usize>().unwrap_or(0) / 1000 {
                    let _ = self.out.send(line.clone());
                }
            }
            ["sleep", ms] => {
                let end = Instant::now() + Duration::from_millis(ms.parse().unwrap_or(0));
                while Instant::now() < end {
                    if self.interrupted.load(Ordering::SeqCst) {
                        return Err(CellError {
                            ename: "Interrupted".into(),
                            evalue: "the cell was interrupted".into(),
                            traceback: vec![],
                        });
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
            ["fail"] => {
                return Err(CellError {
                    ename: "Panic".into(),
                    evalue: "boom".into(),
                    traceback: vec!["thread panicked: boom".into()],
                });
            }
            ["display", id, text] => self.send_display("display_data", id, text),
            ["update", id, text] => self.send_display("update_display_data", id, text),
            _ if code.is_empty() => {}
            _ => {
                outcome.data.insert("text/plain".into(), code.to_string());
            }
        }
        Ok(outcome)
    }

    fn complete(&mut self, code: &str, cursor_pos: usize) -> Completions {
        Completions {
            matches: vec![format!("{code}_done")],
            cursor_start: 0,
            cursor_end: cursor_pos,
        }
    }

    fn inspect(&mut self, code: &str, _: usize, _: u8) -> Option<BTreeMap<String, String>> {
        (code == "len").then(|| BTreeMap::from([("text/plain".into(), "fn len()".into())]))
    }

    fn interrupter(&self) -> InterruptFn {
        let flag = Arc::clone(&self.interrupted);
        Arc::new(move || flag.store(true, Ordering::SeqCst))
    }

    fn is_complete(code: &str) -> Completeness {
        if code.ends_with('{') {
            Completeness::Incomplete {
                indent: "    ".into(),
            }
        } else {
            Completeness::Complete
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A client over real sockets.
// ---------------------------------------------------------------------------------------------

const WAIT: Duration = Duration::from_secs(10);

struct Client {
    shell: ClientShellConnection,
    control: ClientControlConnection,
    iopub: ClientIoPubConnection,
    kernel: std::thread::JoinHandle<anyhow::Result<()>>,
    _dir: tempfile::TempDir,
}

fn parent_id(msg: &JupyterMessage) -> String {
    msg.parent_header
        .as_ref()
        .map(|h| h.msg_id.clone())
        .unwrap_or_default()
}

impl Client {
    async fn start(start_delay: Duration, start_error: Option<&str>) -> Client {
        let dir = tempfile::tempdir().expect("tempdir");
        let ip = std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
        let ports = peek_ports(ip, 5).await.expect("ports");
        let info = ConnectionInfo {
            ip: ip.to_string(),
            transport: Transport::TCP,
            shell_port: ports[0],
            iopub_port: ports[1],
            stdin_port: ports[2],
            control_port: ports[3],
            hb_port: ports[4],
            key: "secret".into(),
            signature_scheme: "hmac-sha256".into(),
            kernel_name: Some("eddy".into()),
        };
        let conn_file = dir.path().join("connection.json");
        std::fs::write(&conn_file, serde_json::to_string(&info).expect("json")).expect("write");
        let display_socket = dir.path().join("display.sock");
        let opts = FakeOptions {
            start_delay,
            start_error: start_error.map(str::to_string),
            display_socket: display_socket.clone(),
        };
        let kernel = std::thread::spawn(move || {
            super::serve::<Fake>(&conn_file, opts, Some(&display_socket))
        });
        let session = uuid::Uuid::new_v4().to_string();
        let identity = peer_identity_for_session(&session).expect("identity");
        let mut shell = None;
        for _ in 0..100 {
            match create_client_shell_connection_with_identity(&info, &session, identity.clone())
                .await
            {
                Ok(c) => {
                    shell = Some(c);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
        let shell = shell.expect("shell connects");
        let control = create_client_control_connection(&info, &session)
            .await
            .expect("control");
        let iopub = create_client_iopub_connection(&info, "", &session)
            .await
            .expect("iopub");
        let mut client = Client {
            shell,
            control,
            iopub,
            kernel,
            _dir: dir,
        };
        client.wait_for_iopub().await;
        client
    }

    /// Sends kernel_info requests until iopub delivers their status: the subscription is live.
    async fn wait_for_iopub(&mut self) {
        let end = Instant::now() + WAIT;
        while Instant::now() < end {
            let req = self.send_shell(KernelInfoRequest {}).await;
            let _ = self.shell_reply(&req).await;
            if let Ok(Ok(_)) =
                tokio::time::timeout(Duration::from_millis(200), self.iopub.read()).await
            {
                // Drain whatever else is queued.
                while let Ok(Ok(_)) =
                    tokio::time::timeout(Duration::from_millis(100), self.iopub.read()).await
                {
                }
                return;
            }
        }
        panic!("iopub never delivered");
    }

    async fn send_shell(&mut self, content: impl Into<JupyterMessageContent>) -> JupyterMessage {
        let msg = JupyterMessage::new(content.into(), None);
        self.shell.send(msg.clone()).await.expect("send");
        msg
    }

    async fn send_control(&mut self, content: impl Into<JupyterMessageContent>) -> JupyterMessage {
        let msg = JupyterMessage::new(content.into(), None);
        self.control.send(msg.clone()).await.expect("send");
        msg
    }

    async fn shell_reply(&mut self, req: &JupyterMessage) -> JupyterMessage {
        loop {
            let msg = tokio::time::timeout(WAIT, self.shell.read())
                .await
                .expect("shell reply in time")
                .expect("shell read");
            if parent_id(&msg) == req.header.msg_id {
                return msg;
            }
        }
    }

    async fn control_reply(&mut self, req: &JupyterMessage) -> JupyterMessage {
        loop {
            let msg = tokio::time::timeout(WAIT, self.control.read())
                .await
                .expect("control reply in time")
                .expect("control read");
            if parent_id(&msg) == req.header.msg_id {
                return msg;
            }
        }
    }

    /// iopub messages of `req`, from its busy to its idle (both included).
    async fn iopub_for(&mut self, req: &JupyterMessage) -> Vec<JupyterMessage> {
        let mut got = Vec::new();
        loop {
            let msg = tokio::time::timeout(WAIT, self.iopub.read())
                .await
                .expect("iopub in time")
                .expect("iopub read");
            if parent_id(&msg) != req.header.msg_id {
                continue;
            }
            let idle = matches!(&msg.content, JupyterMessageContent::Status(s)
                if s.execution_state == jupyter_protocol::ExecutionState::Idle);
            got.push(msg);
            if idle {
                return got;
            }
        }
    }

    async fn execute(&mut self, code: &str) -> (JupyterMessage, Vec<JupyterMessage>) {
        let req = self.send_shell(ExecuteRequest::new(code.into())).await;
        let reply = self.shell_reply(&req).await;
        let outputs = self.iopub_for(&req).await;
        (reply, outputs)
    }

    async fn shutdown(mut self) {
        let req = self.send_control(ShutdownRequest { restart: false }).await;
        let reply = self.control_reply(&req).await;
        assert_eq!(reply.message_type(), "shutdown_reply");
        let end = Instant::now() + WAIT;
        while !self.kernel.is_finished() {
            assert!(Instant::now() < end, "kernel did not exit after shutdown");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.kernel
            .join()
            .expect("kernel thread")
            .expect("kernel result");
    }
}

fn types(msgs: &[JupyterMessage]) -> Vec<String> {
    msgs.iter().map(|m| m.message_type().to_string()).collect()
}

fn stream_text(msgs: &[JupyterMessage]) -> String {
    msgs.iter()
        .filter_map(|m| match &m.content {
            JupyterMessageContent::StreamContent(s) => Some(s.text.clone()),
            _ => None,
        })
        .collect()
}

fn reply_status(reply: &JupyterMessage) -> ReplyStatus {
    match &reply.content {
        JupyterMessageContent::ExecuteReply(r) => r.status.clone(),
        other => panic!("not an execute_reply: {other:?}"),
    }
}

fn reply_count(reply: &JupyterMessage) -> usize {
    match &reply.content {
        JupyterMessageContent::ExecuteReply(r) => r.execution_count.0,
        other => panic!("not an execute_reply: {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kernel_info_is_answered_while_the_engine_starts() {
    let mut c = Client::start(Duration::from_secs(3), None).await;
    let t0 = Instant::now();
    let req = c.send_shell(KernelInfoRequest {}).await;
    let reply = c.shell_reply(&req).await;
    assert!(
        t0.elapsed() < Duration::from_millis(1500),
        "took {:?}",
        t0.elapsed()
    );
    match &reply.content {
        JupyterMessageContent::KernelInfoReply(info) => {
            assert_eq!(info.language_info.name, "rust");
            assert_eq!(info.implementation, "eddy");
        }
        other => panic!("unexpected {other:?}"),
    }
    let statuses = types(&c.iopub_for(&req).await);
    assert_eq!(statuses, vec!["status", "status"]);
    // Control answers too, and an execute queued during start-up waits for the engine.
    let req = c.send_control(KernelInfoRequest {}).await;
    assert_eq!(
        c.control_reply(&req).await.message_type(),
        "kernel_info_reply"
    );
    let (reply, outputs) = c.execute("40 + 2").await;
    assert_eq!(reply_status(&reply), ReplyStatus::Ok);
    assert!(types(&outputs).contains(&"execute_result".to_string()));
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn execute_flow_counts_streams_and_results() {
    let mut c = Client::start(Duration::ZERO, None).await;
    let (reply, outputs) = c.execute("print:3:hello").await;
    assert_eq!(reply_status(&reply), ReplyStatus::Ok);
    assert_eq!(reply_count(&reply), 1);
    let t = types(&outputs);
    assert_eq!(t.first().map(String::as_str), Some("status"));
    assert_eq!(t.get(1).map(String::as_str), Some("execute_input"));
    assert_eq!(stream_text(&outputs), "hello\nhello\nhello\n");

    let (reply, outputs) = c.execute("x + 1").await;
    assert_eq!(reply_count(&reply), 2);
    let result = outputs
        .iter()
        .find_map(|m| match &m.content {
            JupyterMessageContent::ExecuteResult(r) => Some(r.clone()),
            _ => None,
        })
        .expect("an execute_result");
    assert_eq!(result.execution_count.0, 2);
    assert_eq!(
        serde_json::to_value(&result.data).expect("json")["text/plain"],
        "x + 1"
    );

    // Silent: no count, no execute_input, no output.
    let mut silent = ExecuteRequest::new("print:1:hidden".into());
    silent.silent = true;
    silent.store_history = false;
    let req = c.send_shell(silent).await;
    let reply = c.shell_reply(&req).await;
    assert_eq!(reply_count(&reply), 2);
    let outputs = c.iopub_for(&req).await;
    assert_eq!(types(&outputs), vec!["status", "status"]);

    // store_history=false: runs visibly but keeps the count.
    let mut unstored = ExecuteRequest::new("print:1:seen".into());
    unstored.store_history = false;
    let req = c.send_shell(unstored).await;
    assert_eq!(reply_count(&c.shell_reply(&req).await), 2);
    assert_eq!(stream_text(&c.iopub_for(&req).await), "seen\n");

    // stderr is its own stream.
    let (_, outputs) = c.execute("err:oops").await;
    let err = outputs.iter().find_map(|m| match &m.content {
        JupyterMessageContent::StreamContent(s) => Some(s.clone()),
        _ => None,
    });
    assert!(
        matches!(err, Some(s) if matches!(s.name, jupyter_protocol::Stdio::Stderr) && s.text == "oops\n")
    );

    // History has the stored inputs, numbered by count.
    let req = c
        .send_shell(HistoryRequest::Tail {
            n: 10,
            output: false,
            raw: true,
        })
        .await;
    match c.shell_reply(&req).await.content {
        JupyterMessageContent::HistoryReply(h) => {
            let lines: Vec<(usize, String)> = h
                .history
                .iter()
                .map(|e| match e {
                    HistoryEntry::Input(_, n, s) => (*n, s.clone()),
                    HistoryEntry::InputOutput(_, n, (s, _)) => (*n, s.clone()),
                })
                .collect();
            assert_eq!(
                lines,
                vec![
                    (1, "print:3:hello".into()),
                    (2, "x + 1".into()),
                    (3, "err:oops".into())
                ]
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_reply_error_and_abort_the_queue() {
    let mut c = Client::start(Duration::ZERO, None).await;
    let first = c.send_shell(ExecuteRequest::new("fail".into())).await;
    let second = c
        .send_shell(ExecuteRequest::new("print:1:never".into()))
        .await;
    let reply = c.shell_reply(&first).await;
    match &reply.content {
        JupyterMessageContent::ExecuteReply(r) => {
            assert_eq!(r.status, ReplyStatus::Error);
            let e = r.error.as_ref().expect("error fields");
            assert_eq!((e.ename.as_str(), e.evalue.as_str()), ("Panic", "boom"));
        }
        other => panic!("unexpected {other:?}"),
    }
    let outputs = c.iopub_for(&first).await;
    assert!(types(&outputs).contains(&"error".to_string()));
    assert_eq!(
        reply_status(&c.shell_reply(&second).await),
        ReplyStatus::Aborted
    );
    assert_eq!(types(&c.iopub_for(&second).await), vec!["status", "status"]);

    // Without stop_on_error the next cell runs.
    let mut lenient = ExecuteRequest::new("fail".into());
    lenient.stop_on_error = false;
    let first = c.send_shell(lenient).await;
    let second = c
        .send_shell(ExecuteRequest::new("print:1:runs".into()))
        .await;
    assert_eq!(
        reply_status(&c.shell_reply(&first).await),
        ReplyStatus::Error
    );
    assert_eq!(reply_status(&c.shell_reply(&second).await), ReplyStatus::Ok);
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_start_is_every_cells_error() {
    let mut c = Client::start(
        Duration::ZERO,
        Some("prelude template missing: run install.sh"),
    )
    .await;
    for _ in 0..2 {
        let (reply, outputs) = c.execute("1").await;
        match &reply.content {
            JupyterMessageContent::ExecuteReply(r) => {
                assert_eq!(r.status, ReplyStatus::Error);
                let e = r.error.as_ref().expect("error fields");
                assert!(e.evalue.contains("install.sh"), "{}", e.evalue);
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(types(&outputs).contains(&"error".to_string()));
    }
    // Completion does not hang either.
    let req = c
        .send_shell(CompleteRequest {
            code: "ab".into(),
            cursor_pos: 2,
        })
        .await;
    match c.shell_reply(&req).await.content {
        JupyterMessageContent::CompleteReply(r) => assert!(r.matches.is_empty()),
        other => panic!("unexpected {other:?}"),
    }
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_is_capped_and_the_kernel_stays_responsive() {
    let mut c = Client::start(Duration::ZERO, None).await;
    let req = c
        .send_shell(ExecuteRequest::new("flood:30000000".into()))
        .await;
    // While it floods, control and shell still answer.
    let info = c.send_control(KernelInfoRequest {}).await;
    let t0 = Instant::now();
    c.control_reply(&info).await;
    assert!(
        t0.elapsed() < Duration::from_secs(2),
        "took {:?}",
        t0.elapsed()
    );
    let ic = c
        .send_shell(IsCompleteRequest {
            code: "fn f() {".into(),
        })
        .await;
    match c.shell_reply(&ic).await.content {
        JupyterMessageContent::IsCompleteReply(r) => assert_eq!(r.indent, "    "),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(reply_status(&c.shell_reply(&req).await), ReplyStatus::Ok);
    let outputs = c.iopub_for(&req).await;
    let text = stream_text(&outputs);
    assert!(
        text.len() <= super::output::MAX_CELL_OUTPUT + 200,
        "{} bytes",
        text.len()
    );
    assert!(
        text.len() >= super::output::MAX_CELL_OUTPUT - 1000,
        "{} bytes",
        text.len()
    );
    assert!(text.contains("more bytes were dropped"), "no notice");
    let streams = outputs
        .iter()
        .filter(|m| m.message_type() == "stream")
        .count();
    assert!(streams < 200, "{streams} stream messages: not coalesced");
    // The next cell has a fresh budget.
    let (_, outputs) = c.execute("print:2:after").await;
    assert_eq!(stream_text(&outputs), "after\nafter\n");
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn displays_are_routed_to_their_cells() {
    let mut c = Client::start(Duration::ZERO, None).await;
    let (first, outputs) = c.execute("display:bar:0%").await;
    let shown = outputs
        .iter()
        .find(|m| m.message_type() == "display_data")
        .expect("display_data");
    let first_id = parent_id(shown);
    assert_eq!(parent_id(&first), first_id);
    // Displays precede the idle of their cell.
    assert_eq!(
        outputs.last().map(|m| m.message_type().to_string()),
        Some("status".into())
    );

    let req = c
        .send_shell(ExecuteRequest::new("update:bar:100%".into()))
        .await;
    c.shell_reply(&req).await;
    // The update is parented to the first cell, not to this one.
    let end = Instant::now() + WAIT;
    loop {
        assert!(Instant::now() < end, "no update_display_data");
        let msg = tokio::time::timeout(WAIT, c.iopub.read())
            .await
            .expect("iopub")
            .expect("read");
        if msg.message_type() == "update_display_data" {
            assert_eq!(parent_id(&msg), first_id);
            let v = serde_json::to_value(&msg.content).expect("json");
            assert_eq!(v["transient"]["display_id"], "bar");
            assert_eq!(v["data"]["text/plain"], "100%");
            break;
        }
    }
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupt_request_and_engine_queries() {
    let mut c = Client::start(Duration::ZERO, None).await;
    let req = c
        .send_shell(ExecuteRequest::new("sleep:20000".into()))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Busy engine: completion answers empty without waiting.
    let t0 = Instant::now();
    let comp = c
        .send_shell(CompleteRequest {
            code: "ab".into(),
            cursor_pos: 2,
        })
        .await;
    match c.shell_reply(&comp).await.content {
        JupyterMessageContent::CompleteReply(r) => {
            assert!(r.matches.is_empty());
            assert_eq!((r.cursor_start, r.cursor_end), (2, 2));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(t0.elapsed() < Duration::from_secs(1));
    let int = c.send_control(InterruptRequest {}).await;
    assert_eq!(
        c.control_reply(&int).await.message_type(),
        "interrupt_reply"
    );
    let reply = c.shell_reply(&req).await;
    match &reply.content {
        JupyterMessageContent::ExecuteReply(r) => {
            assert_eq!(
                r.error.as_ref().map(|e| e.ename.clone()),
                Some("Interrupted".into())
            )
        }
        other => panic!("unexpected {other:?}"),
    }
    // Idle engine: completion goes through.
    let comp = c
        .send_shell(CompleteRequest {
            code: "ab".into(),
            cursor_pos: 2,
        })
        .await;
    match c.shell_reply(&comp).await.content {
        JupyterMessageContent::CompleteReply(r) => {
            assert_eq!(r.matches, vec!["ab_done".to_string()])
        }
        other => panic!("unexpected {other:?}"),
    }
    let insp = c
        .send_shell(jupyter_protocol::InspectRequest {
            code: "len".into(),
            cursor_pos: 3,
            detail_level: Some(0),
        })
        .await;
    match c.shell_reply(&insp).await.content {
        JupyterMessageContent::InspectReply(r) => assert!(r.found),
        other => panic!("unexpected {other:?}"),
    }
    c.shutdown().await;
}
