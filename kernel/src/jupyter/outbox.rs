//! Outgoing message queues: one writer task owns each socket's send half, everyone else holds a
//! cheap [`Outbox`] handle, so shell replies, iopub output and control replies never contend for
//! a socket and each queue keeps its order.

use jupyter_protocol::{Header, JupyterMessage, JupyterMessageContent, Status};
use jupyter_zmq_client::Connection;
use tokio::sync::{mpsc, oneshot};

use super::log;

enum Item {
    Message(Box<JupyterMessage>),
    /// Answered once everything queued before it has been handed to the socket.
    Flush(oneshot::Sender<()>),
}

/// A handle to one socket's outgoing queue. Cloning is cheap; sending never blocks.
#[derive(Clone)]
pub struct Outbox {
    name: &'static str,
    /// iopub is a PUB socket: the ZeroMQ identities of the request must not become topics.
    strip_identities: bool,
    tx: mpsc::UnboundedSender<Item>,
}

impl Outbox {
    /// Queues a message. Errors (the writer is gone at shutdown) are logged, never raised.
    pub fn send(&self, mut msg: JupyterMessage) {
        if self.strip_identities {
            msg.zmq_identities.clear();
        }
        if self.tx.send(Item::Message(Box::new(msg))).is_err() {
            log(format_args!("{} queue closed; message dropped", self.name));
        }
    }

    /// Queues `content` as a child of the request `parent` (a reply or an output).
    pub fn reply(&self, parent: &JupyterMessage, content: impl Into<JupyterMessageContent>) {
        self.send(JupyterMessage::new(content, Some(parent)));
    }

    /// Queues `content` with `parent` as parent header (iopub output of a past request), or with
    /// no parent at all.
    pub fn child_of(&self, parent: Option<&Header>, content: impl Into<JupyterMessageContent>) {
        self.send(child_of_header(content, parent));
    }

    /// Publishes the kernel's `status` (`busy`, `idle`, …) for a request.
    pub fn status(&self, parent: &JupyterMessage, status: Status) {
        self.reply(parent, status);
    }

    /// Waits until every message queued so far has been written to the socket (or the writer
    /// is gone).
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Item::Flush(done)).is_ok() {
            let _ = wait.await;
        }
    }
}

/// Builds a message whose parent header is `parent` (when there is one).
pub fn child_of_header(
    content: impl Into<JupyterMessageContent>,
    parent: Option<&Header>,
) -> JupyterMessage {
    let mut msg = JupyterMessage::new(content, None);
    if let Some(parent) = parent {
        msg.header.session.clone_from(&parent.session);
        msg.parent_header = Some(parent.clone());
    }
    msg
}

/// Starts the task that writes everything queued on the returned [`Outbox`] to `conn`.
pub fn spawn_writer<S>(
    name: &'static str,
    mut conn: Connection<S>,
    strip_identities: bool,
) -> Outbox
where
    S: zeromq::SocketSend + Send + 'static,
{
    let (tx, mut rx) = mpsc::unbounded_channel::<Item>();
    tokio::spawn(async move {
        while let Some(item) = rx.recv().await {
            match item {
                Item::Message(msg) => {
                    let msg_type = msg.header.msg_type.clone();
                    if let Err(e) = conn.send(*msg).await {
                        log(format_args!("{name}: could not send {msg_type}: {e}"));
                    }
                }
                Item::Flush(done) => {
                    let _ = done.send(());
                }
            }
        }
    });
    Outbox {
        name,
        strip_identities,
        tx,
    }
}
