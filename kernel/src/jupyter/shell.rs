//! The request loop of the shell and control channels and the answers to the quick requests
//! (`kernel_info`, `is_complete`, `complete`, `inspect`, `history`, `comm_info`). Every request
//! is wrapped in `status: busy` / `status: idle`; execute requests go to the executor queue so
//! that nothing else ever waits for a running cell.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use jupyter_protocol::{
    CommClose, CommInfoReply, CompleteReply, HistoryReply, InspectReply, IsCompleteReply,
    JupyterMessage, JupyterMessageContent, ReplyStatus, Status,
};
use jupyter_zmq_client::Connection;
use tokio::sync::watch;

use super::control;
use super::engine_thread::EngineHandle;
use super::execute::Executor;
use super::history::History;
use super::kernel_info::{FALLBACK_RUST_VERSION, RustVersion, kernel_info_reply};
use super::log;
use super::media;
use super::outbox::Outbox;
use super::wire::{self, WireError};
use crate::engine::Completeness;

/// How long `complete` and `inspect` wait for the engine before answering empty: the first
/// path or method completion starts rust-analyzer, which takes about 3 s.
pub const ENGINE_QUERY_TIMEOUT: Duration = Duration::from_secs(10);

/// Which channel a request came on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Shell,
    Control,
}

impl Channel {
    fn name(self) -> &'static str {
        match self {
            Channel::Shell => "shell",
            Channel::Control => "control",
        }
    }
}

/// State shared by the request handlers.
pub struct Ctx {
    pub iopub: Outbox,
    pub engine: EngineHandle,
    pub executor: Executor,
    pub history: Arc<Mutex<History>>,
    pub rust_version: RustVersion,
    /// Set to true to stop the kernel.
    pub shutdown: watch::Sender<bool>,
}

/// Reads requests from `conn` forever and answers them through `reply`.
pub async fn serve<S: zeromq::SocketRecv>(
    channel: Channel,
    mut conn: Connection<S>,
    reply: Outbox,
    ctx: Arc<Ctx>,
) {
    let mut socket_errors = 0u64;
    loop {
        match wire::recv(&mut conn).await {
            Ok(msg) => dispatch(&ctx, msg, &reply, channel).await,
            Err(WireError::Socket(e)) => {
                // Log the first of a run of failures and then every 100th, not each one.
                if socket_errors.is_multiple_of(100) {
                    log(format_args!("{}: receive failed: {e}", channel.name()));
                }
                socket_errors += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
            Err(e) => log(format_args!("{}: message ignored: {e}", channel.name())),
        }
        socket_errors = 0;
    }
}

/// Answers one request.
pub async fn dispatch(ctx: &Arc<Ctx>, msg: JupyterMessage, reply: &Outbox, channel: Channel) {
    match &msg.content {
        JupyterMessageContent::ExecuteRequest(_) if channel == Channel::Shell => {
            ctx.executor.submit(msg);
        }
        JupyterMessageContent::CompleteRequest(_) | JupyterMessageContent::InspectRequest(_) => {
            // These may wait for the engine: answer them off the read loop.
            let (ctx, reply) = (Arc::clone(ctx), reply.clone());
            tokio::spawn(async move {
                ctx.iopub.status(&msg, Status::busy());
                let content = engine_query(&ctx.engine, &msg.content).await;
                if let Some(content) = content {
                    reply.reply(&msg, content);
                }
                ctx.iopub.status(&msg, Status::idle());
            });
        }
        _ => {
            ctx.iopub.status(&msg, Status::busy());
            quick(ctx, &msg, reply, channel).await;
            ctx.iopub.status(&msg, Status::idle());
            if matches!(msg.content, JupyterMessageContent::ShutdownRequest(_)) {
                control::finish_shutdown(ctx, reply).await;
            }
        }
    }
}

async fn quick(ctx: &Arc<Ctx>, msg: &JupyterMessage, reply: &Outbox, channel: Channel) {
    match &msg.content {
        JupyterMessageContent::KernelInfoRequest(_) => {
            let version = ctx
                .rust_version
                .get()
                .map_or(FALLBACK_RUST_VERSION, String::as_str);
            reply.reply(msg, kernel_info_reply(version));
        }
        JupyterMessageContent::IsCompleteRequest(req) => {
            reply.reply(msg, is_complete_reply(ctx.engine.is_complete(&req.code)));
        }
        JupyterMessageContent::HistoryRequest(req) => {
            let history = match ctx.history.lock() {
                Ok(h) => h.answer(req),
                Err(_) => Vec::new(),
            };
            reply.reply(msg, HistoryReply::new(history));
        }
        JupyterMessageContent::CommInfoRequest(_) => {
            reply.reply(msg, CommInfoReply::default());
        }
        JupyterMessageContent::CommOpen(open) => {
            // No comm targets: the spec says to close unknown comms at once.
            let close = CommClose {
                comm_id: open.comm_id.clone(),
                data: Default::default(),
            };
            ctx.iopub.reply(msg, close);
        }
        JupyterMessageContent::CommMsg(_) | JupyterMessageContent::CommClose(_) => {}
        JupyterMessageContent::InterruptRequest(_) => control::interrupt(ctx, msg, reply),
        JupyterMessageContent::ShutdownRequest(req) => control::shutdown_reply(msg, req, reply),
        JupyterMessageContent::ExecuteRequest(_) => {
            log(format_args!(
                "execute_request on {} ignored",
                channel.name()
            ));
        }
        _ => log_unhandled_once(channel, &msg.header.msg_type),
    }
}

/// Logs a message type we do not answer, once per type (some front ends poll with them).
fn log_unhandled_once(channel: Channel, msg_type: &str) {
    static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());
    if let Ok(mut seen) = SEEN.lock() {
        if seen.iter().any(|s| s == msg_type) || seen.len() > 100 {
            return;
        }
        seen.push(msg_type.to_string());
    }
    log(format_args!(
        "{}: unhandled message type {msg_type} (ignored from now on)",
        channel.name()
    ));
}

/// The reply content for `complete_request` / `inspect_request`.
async fn engine_query(
    engine: &EngineHandle,
    content: &JupyterMessageContent,
) -> Option<JupyterMessageContent> {
    match content {
        JupyterMessageContent::CompleteRequest(req) => {
            let cursor = req.cursor_pos.min(req.code.chars().count());
            let found = engine
                .complete(req.code.clone(), cursor, ENGINE_QUERY_TIMEOUT)
                .await;
            Some(complete_reply(found, cursor).into())
        }
        JupyterMessageContent::InspectRequest(req) => {
            let cursor = req.cursor_pos.min(req.code.chars().count());
            let level = u8::try_from(req.detail_level.unwrap_or(0)).unwrap_or(u8::MAX);
            let found = engine
                .inspect(req.code.clone(), cursor, level, ENGINE_QUERY_TIMEOUT)
                .await;
            Some(inspect_reply(found).into())
        }
        _ => None,
    }
}

/// `complete_reply`; no completions (engine busy or slow) means an empty list at the cursor.
pub fn complete_reply(found: Option<crate::engine::Completions>, cursor: usize) -> CompleteReply {
    let found = found.unwrap_or_else(|| crate::engine::Completions {
        matches: Vec::new(),
        cursor_start: cursor,
        cursor_end: cursor,
    });
    CompleteReply {
        matches: found.matches,
        cursor_start: found.cursor_start,
        cursor_end: found.cursor_end,
        metadata: Default::default(),
        status: ReplyStatus::Ok,
        error: None,
    }
}

/// `inspect_reply`; `None` means not found.
pub fn inspect_reply(found: Option<std::collections::BTreeMap<String, String>>) -> InspectReply {
    match found {
        Some(data) if !data.is_empty() => InspectReply {
            found: true,
            data: media::from_text_map(&data),
            ..InspectReply::default()
        },
        _ => InspectReply::default(),
    }
}

/// `is_complete_reply` for the engine's verdict.
pub fn is_complete_reply(c: Completeness) -> IsCompleteReply {
    match c {
        Completeness::Complete => IsCompleteReply::complete(),
        Completeness::Incomplete { indent } => IsCompleteReply::incomplete(indent),
        Completeness::Invalid => IsCompleteReply::invalid(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn empty_completion_sits_at_the_cursor() {
        let v: Value = serde_json::to_value(complete_reply(None, 4)).expect("json");
        assert_eq!(v["matches"], json!([]));
        assert_eq!(v["cursor_start"], 4);
        assert_eq!(v["cursor_end"], 4);
        assert_eq!(v["status"], "ok");
    }

    #[test]
    fn inspect_found_and_not_found() {
        let v: Value = serde_json::to_value(inspect_reply(None)).expect("json");
        assert_eq!(v["found"], false);
        assert_eq!(v["status"], "ok");
        let mut data = std::collections::BTreeMap::new();
        data.insert(
            "text/plain".to_string(),
            "fn len(&self) -> usize".to_string(),
        );
        let v: Value = serde_json::to_value(inspect_reply(Some(data))).expect("json");
        assert_eq!(v["found"], true);
        assert_eq!(v["data"]["text/plain"], "fn len(&self) -> usize");
    }

    #[test]
    fn is_complete_statuses() {
        let v = |c| serde_json::to_value(is_complete_reply(c)).expect("json");
        assert_eq!(v(Completeness::Complete)["status"], "complete");
        let inc = v(Completeness::Incomplete {
            indent: "    ".into(),
        });
        assert_eq!(inc["status"], "incomplete");
        assert_eq!(inc["indent"], "    ");
        assert_eq!(v(Completeness::Invalid)["status"], "invalid");
    }
}
