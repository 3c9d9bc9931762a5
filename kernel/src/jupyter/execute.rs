//! `execute_request`s, one at a time in arrival order: execution count, `execute_input`,
//! streamed output, `execute_result` / `error`, the reply, and `stop_on_error` aborts. Requests
//! that arrive while the engine starts simply wait in the queue.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use jupyter_protocol::{
    DisplayData, ErrorOutput, ExecuteInput, ExecuteReply, ExecuteRequest, ExecuteResult,
    ExecutionCount, JupyterMessage, JupyterMessageContent, Media, MediaType, ReplyError,
    ReplyStatus, Status, Transient,
};
use tokio::sync::mpsc;

use super::display::Displays;
use super::engine_thread::EngineHandle;
use super::history::History;
use super::log;
use super::media;
use super::outbox::Outbox;
use super::output::OutputPump;
use crate::engine::{CellError, Outcome};

/// After a failed cell, requests arriving this soon are treated as queued behind it.
const ABORT_WINDOW: Duration = Duration::from_millis(30);

/// What the executor needs.
#[derive(Clone)]
pub struct ExecuteCtx {
    pub iopub: Outbox,
    pub shell: Outbox,
    pub engine: EngineHandle,
    pub pump: OutputPump,
    pub displays: Displays,
    pub history: Arc<Mutex<History>>,
}

/// The queue of execute requests. Cheap to clone.
#[derive(Clone)]
pub struct Executor {
    tx: mpsc::UnboundedSender<JupyterMessage>,
}

impl Executor {
    /// Starts the task that runs queued requests.
    pub fn spawn(ctx: ExecuteCtx) -> Executor {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(ctx, rx));
        Executor { tx }
    }

    /// Queues an `execute_request`.
    pub fn submit(&self, msg: JupyterMessage) {
        if self.tx.send(msg).is_err() {
            log("executor is gone; execute_request dropped");
        }
    }
}

async fn run(ctx: ExecuteCtx, mut rx: mpsc::UnboundedReceiver<JupyterMessage>) {
    let mut count = 0usize;
    while let Some(msg) = rx.recv().await {
        let JupyterMessageContent::ExecuteRequest(req) = &msg.content else {
            continue;
        };
        let req = req.clone();
        let reply = execute_one(&ctx, &msg, &req, &mut count).await;
        // stop_on_error: the requests queued behind a failed cell are aborted. They are
        // collected before its reply goes out, so a client that sends its next cell after
        // seeing the reply (nbclient, papermill) is never aborted.
        let mut aborted = Vec::new();
        if reply.status == ReplyStatus::Error && req.stop_on_error {
            // Requests sent together with the failed one (Run All) may still be in flight
            // between the socket and this queue: let them land.
            tokio::time::sleep(ABORT_WINDOW).await;
            while let Ok(queued) = rx.try_recv() {
                aborted.push(queued);
            }
        }
        ctx.shell.reply(&msg, reply);
        ctx.iopub.status(&msg, Status::idle());
        for queued in &aborted {
            abort(&ctx, queued, count);
        }
    }
}

/// Runs one request and publishes its outputs; returns the reply, to be sent before `idle`.
async fn execute_one(
    ctx: &ExecuteCtx,
    msg: &JupyterMessage,
    req: &ExecuteRequest,
    count: &mut usize,
) -> ExecuteReply {
    ctx.iopub.status(msg, Status::busy());
    let silent = req.silent;
    if req.store_history && !silent {
        *count += 1;
        if let Ok(mut h) = ctx.history.lock() {
            h.record_input(*count, &req.code);
        }
    }
    let n = ExecutionCount::new(*count);
    if !silent {
        ctx.iopub.reply(
            msg,
            ExecuteInput {
                code: req.code.clone(),
                execution_count: n,
            },
        );
    }
    let result = match ctx.engine.wait_started().await {
        Err(start_error) => Err(start_failed(start_error)),
        Ok(()) => {
            let parent = (!silent).then(|| msg.header.clone());
            ctx.displays.begin(parent.clone());
            ctx.pump.begin(parent);
            let result = ctx.engine.execute(req.code.clone()).await;
            ctx.displays.sync(Duration::from_secs(2)).await;
            ctx.pump.finish(Duration::from_secs(5)).await;
            ctx.displays.end();
            result
        }
    };
    match result {
        Ok(outcome) => {
            if !silent {
                publish_outcome(ctx, msg, &outcome, n, req.store_history);
            }
            ok_reply(n)
        }
        Err(error) => {
            if !silent {
                ctx.iopub.reply(msg, error_output(&error));
            }
            error_reply(n, error)
        }
    }
}

fn publish_outcome(
    ctx: &ExecuteCtx,
    msg: &JupyterMessage,
    outcome: &Outcome,
    n: ExecutionCount,
    store_history: bool,
) {
    if !outcome.data.is_empty() {
        ctx.iopub.reply(msg, execute_result(outcome, n));
        if store_history
            && let (Some(text), Ok(mut h)) = (media::plain_text(&outcome.data), ctx.history.lock())
        {
            h.record_output(n.0, text);
        }
    }
    if let Some(took) = outcome.timing {
        ctx.iopub.reply(msg, timing_display(took));
    }
}

/// Replies `aborted` to a request queued behind a failed cell (with `stop_on_error`).
fn abort(ctx: &ExecuteCtx, msg: &JupyterMessage, count: usize) {
    if !matches!(msg.content, JupyterMessageContent::ExecuteRequest(_)) {
        return;
    }
    ctx.iopub.status(msg, Status::busy());
    ctx.shell.reply(
        msg,
        ExecuteReply {
            status: ReplyStatus::Aborted,
            execution_count: ExecutionCount::new(count),
            payload: Vec::new(),
            user_expressions: Some(Default::default()),
            error: None,
        },
    );
    ctx.iopub.status(msg, Status::idle());
}

/// The error every cell gets when the engine could not start.
pub fn start_failed(start_error: String) -> CellError {
    CellError {
        ename: "EngineStartError".to_string(),
        traceback: start_error.lines().map(str::to_string).collect(),
        evalue: start_error,
    }
}

/// `execute_result` for a successful cell with a value.
pub fn execute_result(outcome: &Outcome, n: ExecutionCount) -> ExecuteResult {
    ExecuteResult {
        execution_count: n,
        data: media::from_text_map(&outcome.data),
        metadata: Default::default(),
        transient: Some(Transient::default()),
    }
}

/// The `Took …ms` display shown when `:timing` is on.
pub fn timing_display(took: Duration) -> DisplayData {
    let ms = took.as_millis();
    DisplayData::new(Media::new(vec![
        MediaType::Plain(format!("Took {ms}ms")),
        MediaType::Html(format!(
            "<span style=\"color: rgba(0,0,0,0.4);\">Took {ms}ms</span>"
        )),
    ]))
}

/// The iopub `error` for a failed cell.
pub fn error_output(error: &CellError) -> ErrorOutput {
    ErrorOutput {
        ename: error.ename.clone(),
        evalue: error.evalue.clone(),
        traceback: error.traceback.clone(),
    }
}

/// `execute_reply` with status ok.
pub fn ok_reply(n: ExecutionCount) -> ExecuteReply {
    ExecuteReply {
        status: ReplyStatus::Ok,
        execution_count: n,
        payload: Vec::new(),
        user_expressions: Some(Default::default()),
        error: None,
    }
}

/// `execute_reply` with status error.
pub fn error_reply(n: ExecutionCount, error: CellError) -> ExecuteReply {
    ExecuteReply {
        status: ReplyStatus::Error,
        execution_count: n,
        payload: Vec::new(),
        user_expressions: Some(Default::default()),
        error: Some(Box::new(ReplyError {
            ename: error.ename,
            evalue: error.evalue,
            traceback: error.traceback,
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn replies_serialize_as_the_spec_wants() {
        let ok: Value = serde_json::to_value(ok_reply(ExecutionCount::new(3))).expect("json");
        assert_eq!(ok["status"], "ok");
        assert_eq!(ok["execution_count"], 3);
        assert_eq!(ok["user_expressions"], json!({}));
        assert_eq!(ok["payload"], json!([]));
        let err = CellError {
            ename: "CompileError".into(),
            evalue: "cannot find value `x`".into(),
            traceback: vec!["error[E0425]: cannot find value `x`".into()],
        };
        let e: Value =
            serde_json::to_value(error_reply(ExecutionCount::new(4), err)).expect("json");
        assert_eq!(e["status"], "error");
        assert_eq!(e["ename"], "CompileError");
        assert_eq!(e["evalue"], "cannot find value `x`");
        assert_eq!(e["traceback"][0], "error[E0425]: cannot find value `x`");
    }

    #[test]
    fn execute_result_carries_count_and_bundle() {
        let mut outcome = Outcome::default();
        outcome.data.insert("text/plain".into(), "2".into());
        let v: Value =
            serde_json::to_value(execute_result(&outcome, ExecutionCount::new(7))).expect("json");
        assert_eq!(v["execution_count"], 7);
        assert_eq!(v["data"]["text/plain"], "2");
        assert_eq!(v["metadata"], json!({}));
    }

    #[test]
    fn start_failure_names_the_cause() {
        let e = start_failed("prelude template missing\nrun install.sh".into());
        assert_eq!(e.ename, "EngineStartError");
        assert!(e.evalue.contains("install.sh"));
        assert_eq!(e.traceback.len(), 2);
    }

    #[test]
    fn timing_display_has_plain_text() {
        let v: Value =
            serde_json::to_value(timing_display(Duration::from_millis(1234))).expect("json");
        assert_eq!(v["data"]["text/plain"], "Took 1234ms");
    }
}
