//! The Jupyter server (messaging protocol 5.3): binds the five ZeroMQ sockets named by a
//! connection file, runs the engine on its own thread, and wires shell, control, iopub, stdin,
//! heartbeat and the display socket together.
//!
//! Threads: a small tokio runtime (sockets, request handling), the engine thread (owns the
//! engine), the output thread (drains stdout/stderr into `stream` messages).
//!
//! stdin: the socket is bound but `input_request` is not supported yet (`allow_stdin` is
//! ignored); a cell reading standard input gets end-of-file from the runtime.

mod backend;
mod control;
mod display;
mod engine_thread;
mod execute;
mod history;
mod kernel_info;
mod media;
mod outbox;
mod output;
mod shell;
mod wire;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use jupyter_protocol::{ConnectionInfo, Status};
use jupyter_zmq_client::{
    KernelHeartbeatConnection, create_kernel_control_connection,
    create_kernel_heartbeat_connection, create_kernel_iopub_connection,
    create_kernel_shell_connection, create_kernel_stdin_connection,
};
use tokio::sync::watch;
use zeromq::{SocketRecv as _, SocketSend as _};

pub use backend::{Backend, InterruptFn};

use crate::engine::{Engine, EngineOptions};
use display::Displays;
use execute::{ExecuteCtx, Executor};
use history::History;
use output::OutputPump;
use shell::{Channel, Ctx};

/// Serves the kernel described by `connection_file` until a `shutdown_request`.
///
/// Returns once the shutdown reply is sent and the engine is stopped (or did not stop within a
/// few seconds). Errors only for a broken setup: unreadable connection file, ports in use.
pub fn run_kernel(connection_file: &Path, opts: EngineOptions) -> anyhow::Result<()> {
    let display_socket = opts.display_socket.clone();
    serve::<Engine>(connection_file, opts, display_socket.as_deref())
}

/// [`run_kernel`] for any [`Backend`]. `display_socket` is where the runtime child connects;
/// without one, rich displays are disabled.
pub fn serve<B: Backend>(
    connection_file: &Path,
    opts: B::Options,
    display_socket: Option<&Path>,
) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(connection_file)
        .with_context(|| format!("reading connection file {}", connection_file.display()))?;
    let info: ConnectionInfo = serde_json::from_str(&text)
        .with_context(|| format!("parsing connection file {}", connection_file.display()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("eddy-server")
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    let result = runtime.block_on(serve_async::<B>(
        info,
        opts,
        display_socket.map(Path::to_path_buf),
    ));
    runtime.shutdown_timeout(Duration::from_millis(500));
    if let Some(socket) = display_socket {
        let _ = std::fs::remove_file(socket);
    }
    result
}

async fn serve_async<B: Backend>(
    info: ConnectionInfo,
    opts: B::Options,
    display_socket: Option<PathBuf>,
) -> anyhow::Result<()> {
    let sigint = control::catch_sigint()?;
    let rust_version = kernel_info::probe_rustc_version();
    let session = uuid::Uuid::new_v4().to_string();
    let bind_err = |what: &str| {
        format!(
            "binding the {what} socket ({}:{})",
            info.ip,
            port_of(&info, what)
        )
    };
    let shell = create_kernel_shell_connection(&info, &session)
        .await
        .with_context(|| bind_err("shell"))?;
    let control = create_kernel_control_connection(&info, &session)
        .await
        .with_context(|| bind_err("control"))?;
    let iopub = create_kernel_iopub_connection(&info, &session)
        .await
        .with_context(|| bind_err("iopub"))?;
    // Bound so clients can connect; input_request is not implemented (see the module docs).
    let _stdin = create_kernel_stdin_connection(&info, &session)
        .await
        .with_context(|| bind_err("stdin"))?;
    let heartbeat = create_kernel_heartbeat_connection(&info)
        .await
        .with_context(|| bind_err("hb"))?;

    let iopub = outbox::spawn_writer("iopub", iopub, true);
    iopub.send(outbox::child_of_header(Status::starting(), None));
    let pump = OutputPump::spawn(iopub.clone())?;
    let displays = Displays::new(pump.clone());
    // Before the engine starts: its runtime child connects at once.
    match &display_socket {
        Some(path) => {
            if let Err(e) = displays.listen(path) {
                log(format_args!("rich displays are disabled: {e:#}"));
            }
        }
        None => log("no display socket: rich displays are disabled"),
    }
    let engine = engine_thread::spawn::<B>(opts, pump.clone())?;
    control::interrupt_on_sigint(sigint, engine.clone());
    tokio::spawn(echo_heartbeats(heartbeat));

    let (shell_send, shell_recv) = shell.split();
    let (control_send, control_recv) = control.split();
    let shell_out = outbox::spawn_writer("shell", shell_send, false);
    let control_out = outbox::spawn_writer("control", control_send, false);
    let history = Arc::new(Mutex::new(History::default()));
    let executor = Executor::spawn(ExecuteCtx {
        iopub: iopub.clone(),
        shell: shell_out.clone(),
        engine: engine.clone(),
        pump,
        displays,
        history: Arc::clone(&history),
    });
    let (shutdown, mut stopped) = watch::channel(false);
    let ctx = Arc::new(Ctx {
        iopub: iopub.clone(),
        engine: engine.clone(),
        executor,
        history,
        rust_version,
        shutdown,
    });
    tokio::spawn(shell::serve(
        Channel::Shell,
        shell_recv,
        shell_out,
        Arc::clone(&ctx),
    ));
    tokio::spawn(shell::serve(
        Channel::Control,
        control_recv,
        control_out,
        Arc::clone(&ctx),
    ));
    watch_parent(Arc::clone(&ctx));
    control::shutdown_on_sigterm(Arc::clone(&ctx))?;

    while !*stopped.borrow_and_update() {
        if stopped.changed().await.is_err() {
            break;
        }
    }
    engine.stop(Duration::from_secs(3)).await;
    iopub.flush().await;
    // zeromq hands messages to its own writer tasks: give them a moment to reach the wire.
    tokio::time::sleep(Duration::from_millis(100)).await;
    Ok(())
}

fn port_of(info: &ConnectionInfo, what: &str) -> u16 {
    match what {
        "shell" => info.shell_port,
        "control" => info.control_port,
        "iopub" => info.iopub_port,
        "stdin" => info.stdin_port,
        _ => info.hb_port,
    }
}

/// Stops the kernel when the process that started it dies (as ipykernel does): nobody could
/// shut it down any more.
fn watch_parent(ctx: Arc<Ctx>) {
    let parent = std::os::unix::process::parent_id();
    if parent <= 1 {
        return;
    }
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            if std::os::unix::process::parent_id() != parent {
                log("the process that started the kernel is gone; shutting down");
                let _ = ctx.shutdown.send(true);
                return;
            }
        }
    });
}

/// Echoes every heartbeat back unchanged.
async fn echo_heartbeats(mut hb: KernelHeartbeatConnection) {
    loop {
        match hb.socket.recv().await {
            Ok(ping) => {
                if let Err(e) = hb.socket.send(ping).await {
                    log(format_args!("heartbeat send failed: {e}"));
                }
            }
            Err(e) => {
                log(format_args!("heartbeat receive failed: {e}"));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Writes a diagnostic line to the kernel's stderr (Jupyter's server log).
pub(crate) fn log(msg: impl std::fmt::Display) {
    eprintln!("[eddy] {msg}");
}

#[cfg(test)]
mod tests;
