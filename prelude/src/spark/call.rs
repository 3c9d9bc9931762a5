//! Blocking Spark Connect calls that a cell can interrupt, with errors that say what to do.
//!
//! The client's calls block the calling thread on its own tokio runtime until the server
//! answers, and an abandoned call keeps running on the server. So each call runs on a
//! helper thread, tagged with a fresh operation tag, while the cell's thread waits for it
//! and watches the interrupt flag: on ■ it sends Spark Connect's `Interrupt` RPC for that
//! tag (the server cancels the query's jobs) and returns [`Error::Interrupted`] within a
//! few seconds, whatever the helper thread is still doing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use spark_connect::{SparkError, SparkSession};

use crate::error::{Error, Result};
use crate::interrupt;

/// How long an interrupted call may take to come back before the cell moves on without it.
const INTERRUPT_GRACE: Duration = Duration::from_secs(4);

/// How often the waiting cell looks at the interrupt flag.
const POLL: Duration = Duration::from_millis(25);

static NEXT_TAG: AtomicU64 = AtomicU64::new(1);

/// The script that starts the project's cluster, named in connection errors.
pub(crate) const START_HINT: &str = "start the cluster with `services/spark.sh start` (or \
     `services/spark.sh start --local` for one process), then run the cell again";

/// Runs `f` against `session` on a helper thread; waits, interruptibly, at most `timeout`
/// (`None`: as long as the query runs).
pub(crate) fn call<T, F>(
    operation: &'static str,
    session: &SparkSession,
    timeout: Option<Duration>,
    f: F,
) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce(&SparkSession) -> spark_connect::Result<T> + Send + 'static,
{
    let tag = format!(
        "eddy-{}-{}",
        std::process::id(),
        NEXT_TAG.fetch_add(1, Ordering::Relaxed)
    );
    // Tags are shared by the session's clones: the helper's requests carry it.
    let worker = session.clone();
    worker
        .add_tag(&tag)
        .map_err(|e| spark_error(operation, e))?;
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("eddy-spark".into())
        .spawn(move || {
            let _ = tx.send(f(&worker));
        });
    if let Err(e) = spawned {
        session.remove_tag(&tag);
        return Err(Error::Spark {
            operation,
            class: None,
            message: format!("cannot start a thread for the call: {e}"),
            hint: "the process is out of threads or memory; restart the kernel".into(),
        });
    }
    let started = Instant::now();
    let outcome = loop {
        match rx.recv_timeout(POLL) {
            Ok(result) => break result.map_err(|e| spark_error(operation, e)),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                break Err(Error::Spark {
                    operation,
                    class: None,
                    message: "the Spark Connect client panicked".into(),
                    hint: "this is a bug in the client; the kernel is still usable".into(),
                });
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if interrupt::interrupted() {
            // Cancel on the server; the helper thread then gets an error back.
            let _ = session.interrupt_tag(&tag);
            let _ = rx.recv_timeout(INTERRUPT_GRACE);
            break Err(Error::Interrupted);
        }
        if let Some(limit) = timeout {
            if started.elapsed() >= limit {
                let _ = session.interrupt_tag(&tag);
                break Err(Error::Spark {
                    operation,
                    class: None,
                    message: format!(
                        "no answer from the Spark Connect server within {} s",
                        limit.as_secs()
                    ),
                    hint: START_HINT.into(),
                });
            }
        }
    };
    session.remove_tag(&tag);
    outcome
}

/// Spark's error as the prelude's: the error class when the server gave one, and a hint.
pub(crate) fn spark_error(operation: &'static str, e: SparkError) -> Error {
    let class = (!e.error_class.is_empty()).then(|| e.error_class.clone());
    let message = if e.message.is_empty() {
        e.to_string()
    } else {
        e.message.clone()
    };
    let hint = if e.grpc_code == Some(14) /* UNAVAILABLE */ || server_unreachable(&message) {
        START_HINT.to_string()
    } else if connection_broke(&message) {
        format!(
            "the Spark Connect server closed the connection in the middle of the answer: it \
             may have stopped (it exits when its driver runs out of memory, e.g. collecting a \
             result too large for it: `services/spark.sh status`, and its log). If it stopped, \
             {START_HINT}; the next call reconnects"
        )
    } else if class
        .as_deref()
        .is_some_and(|c| c.starts_with("INVALID_HANDLE"))
    {
        "the Spark Connect server restarted and forgot this session: the next call reconnects; \
         frames created before the restart must be created again"
            .to_string()
    } else if class
        .as_deref()
        .is_some_and(|c| c.starts_with("UNRESOLVED_COLUMN"))
    {
        "check the column names with `frame.columns()?`; names are case-sensitive in backticks"
            .to_string()
    } else {
        "see Spark's message above; the kernel and its variables are intact".to_string()
    };
    // Spark's messages usually start with their class already.
    let message = match &class {
        Some(c) if !message.starts_with('[') => format!("[{c}] {message}"),
        _ => message,
    };
    Error::Spark {
        operation,
        class,
        message,
        hint,
    }
}

/// Whether an error means the session must be created again (server restarted or gone).
pub(crate) fn needs_reconnect(e: &Error) -> bool {
    match e {
        Error::Spark { class, message, .. } => {
            class
                .as_deref()
                .is_some_and(|c| c.starts_with("INVALID_HANDLE"))
                || server_unreachable(message)
                || message.contains("no answer from the Spark Connect server")
                || connection_broke(message)
        }
        _ => false,
    }
}

/// Whether the client's message says the server could not be reached.
fn server_unreachable(message: &str) -> bool {
    message.contains("transport error") || message.contains("Connection refused")
}

/// Whether the client's message says the HTTP/2 connection broke mid-stream (the server
/// process went away while answering).
fn connection_broke(message: &str) -> bool {
    message.contains("h2 protocol error")
        || message.contains("error reading a body from connection")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hint(e: &Error) -> &str {
        match e {
            Error::Spark { hint, .. } => hint,
            other => panic!("not a Spark error: {other:?}"),
        }
    }

    #[test]
    fn a_connection_broken_mid_answer_says_the_server_may_have_stopped() {
        // What the client reports when the server exits while streaming a result.
        let e = spark_error(
            "SparkFrame::collect",
            SparkError::connect_msg("h2 protocol error: error reading a body from connection"),
        );
        assert!(hint(&e).contains("services/spark.sh status"), "{e}");
        assert!(needs_reconnect(&e));
    }

    #[test]
    fn an_unreachable_server_names_the_start_script() {
        let e = spark_error(
            "spark",
            SparkError::connect_msg("transport error: Connection refused"),
        );
        assert_eq!(hint(&e), START_HINT);
        assert!(needs_reconnect(&e));
    }

    #[test]
    fn a_query_error_keeps_the_kernel_and_does_not_reconnect() {
        let e = spark_error(
            "SparkFrame::collect",
            SparkError::connect_msg("division by zero"),
        );
        assert!(hint(&e).contains("variables are intact"), "{e}");
        assert!(!needs_reconnect(&e));
    }
}
