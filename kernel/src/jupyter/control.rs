//! Interrupting and stopping the kernel: `interrupt_request` (on control, or shell), SIGINT
//! (the kernelspec's default `interrupt_mode: signal`), `shutdown_request` and SIGTERM.

use std::sync::Arc;

use jupyter_protocol::{InterruptReply, JupyterMessage, ShutdownReply, ShutdownRequest};
use tokio::signal::unix::{Signal, SignalKind, signal};

use super::engine_thread::EngineHandle;
use super::log;
use super::outbox::Outbox;
use super::shell::Ctx;

/// Interrupts the running cell and replies ok (also when nothing was running).
pub fn interrupt(ctx: &Arc<Ctx>, msg: &JupyterMessage, reply: &Outbox) {
    // Only a running cell is interrupted: an interrupt must never hit the next cell.
    if ctx.engine.is_executing() && !ctx.engine.interrupt() {
        log("interrupt_request before the engine started: nothing to interrupt");
    }
    reply.reply(msg, InterruptReply::new());
}

/// Replies to a shutdown request; [`finish_shutdown`] then stops the kernel.
pub fn shutdown_reply(msg: &JupyterMessage, req: &ShutdownRequest, reply: &Outbox) {
    // With `restart: true` we exit too: Jupyter starts a new process.
    reply.reply(
        msg,
        ShutdownReply {
            restart: req.restart,
            ..ShutdownReply::default()
        },
    );
}

/// Waits until the shutdown reply and the last iopub messages are out, then stops the kernel.
pub async fn finish_shutdown(ctx: &Arc<Ctx>, reply: &Outbox) {
    reply.flush().await;
    ctx.iopub.flush().await;
    let _ = ctx.shutdown.send(true);
}

/// Makes SIGTERM a clean shutdown (the engine's runtime child is stopped, scratch files go),
/// as `jupyter_client` sends it when a shutdown request was not answered in time.
pub fn shutdown_on_sigterm(ctx: Arc<Ctx>) -> anyhow::Result<()> {
    let mut sigterm = signal(SignalKind::terminate())
        .map_err(|e| anyhow::anyhow!("cannot install the SIGTERM handler: {e}"))?;
    tokio::spawn(async move {
        if sigterm.recv().await.is_some() {
            log("SIGTERM: shutting down");
            let _ = ctx.shutdown.send(true);
        }
    });
    Ok(())
}

/// Takes over SIGINT (call it first thing, so no early signal kills the kernel).
pub fn catch_sigint() -> anyhow::Result<Signal> {
    signal(SignalKind::interrupt())
        .map_err(|e| anyhow::anyhow!("cannot install the SIGINT handler: {e}"))
}

/// Makes SIGINT interrupt the running cell instead of killing the kernel.
pub fn interrupt_on_sigint(mut sigint: Signal, engine: EngineHandle) {
    tokio::spawn(async move {
        while sigint.recv().await.is_some() {
            if engine.is_executing() {
                engine.interrupt();
            }
        }
    });
}
