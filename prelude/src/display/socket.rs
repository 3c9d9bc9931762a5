//! The display socket: JSON lines to the Unix socket named by `EDDY_DISPLAY_SOCKET`.
//!
//! The kernel sets the variable for the runtime process and forwards each line to iopub as a
//! `display_data` or `update_display_data` message. One connection per process, opened on
//! first use and reopened once after a write error.

use std::io::{self, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

/// The environment variable naming the socket.
pub const DISPLAY_SOCKET_ENV: &str = "EDDY_DISPLAY_SOCKET";

/// A write that takes longer than this means the kernel stopped reading.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// The open connection and the path it goes to, if any.
static CONNECTION: Mutex<Option<(PathBuf, UnixStream)>> = Mutex::new(None);

/// The socket path, when running inside the kernel.
pub(crate) fn socket_path() -> Option<PathBuf> {
    std::env::var_os(DISPLAY_SOCKET_ENV)
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
}

/// True when display messages go to the kernel rather than stdout.
pub(crate) fn in_kernel() -> bool {
    socket_path().is_some()
}

/// The JSON line for one message.
pub(crate) fn message_line(msg_type: &str, data: serde_json::Value, display_id: &str) -> String {
    let message = serde_json::json!({
        "msg_type": msg_type,
        "data": data,
        "metadata": {},
        "transient": {"display_id": display_id},
    });
    // serde_json escapes newlines inside strings, so this is one line.
    let mut line = message.to_string();
    line.push('\n');
    line
}

/// Writes `line` to the socket at `path`, connecting if needed and retrying once on a
/// fresh connection after an error.
pub(crate) fn send_line(path: &std::path::Path, line: &str) -> io::Result<()> {
    let mut connection = CONNECTION
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if connection.as_ref().is_some_and(|(open, _)| open != path) {
        *connection = None;
    }
    for attempt in 0..2 {
        if connection.is_none() {
            let stream = UnixStream::connect(path)?;
            stream.set_write_timeout(Some(WRITE_TIMEOUT))?;
            *connection = Some((path.to_path_buf(), stream));
        }
        if let Some((_, stream)) = connection.as_mut() {
            match stream
                .write_all(line.as_bytes())
                .and_then(|()| stream.flush())
            {
                Ok(()) => return Ok(()),
                Err(err) => {
                    *connection = None;
                    if attempt == 1 {
                        return Err(err);
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufRead;
    use std::os::unix::net::UnixListener;

    #[test]
    fn message_is_one_json_line() {
        let line = message_line(
            "display_data",
            serde_json::json!({"text/plain": "a\nb"}),
            "id-1",
        );
        assert!(line.ends_with('\n') && line.matches('\n').count() == 1);
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(
            value,
            serde_json::json!({
                "msg_type": "display_data",
                "data": {"text/plain": "a\nb"},
                "metadata": {},
                "transient": {"display_id": "id-1"},
            })
        );
    }

    #[test]
    fn reconnects_after_the_listener_goes_away() {
        let dir = std::env::temp_dir().join(format!("eddy-sock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("display.sock");
        let _ = std::fs::remove_file(&path);

        let listener = UnixListener::bind(&path).unwrap();
        send_line(&path, "first\n").unwrap();
        let (conn, _) = listener.accept().unwrap();
        let mut lines = io::BufReader::new(conn).lines();
        assert_eq!(lines.next().unwrap().unwrap(), "first");

        // The kernel side closes; a new listener takes the same path.
        drop(lines);
        drop(listener);
        std::fs::remove_file(&path).unwrap();
        let listener = UnixListener::bind(&path).unwrap();
        // The first write may still succeed into the dead socket's buffer or fail with EPIPE;
        // either way, a later write reaches the new listener.
        let mut delivered = false;
        for _ in 0..3 {
            let _ = send_line(&path, "second\n");
            listener.set_nonblocking(true).unwrap();
            if let Ok((conn, _)) = listener.accept() {
                conn.set_nonblocking(false).unwrap();
                let mut lines = io::BufReader::new(conn).lines();
                assert_eq!(lines.next().unwrap().unwrap(), "second");
                delivered = true;
                break;
            }
        }
        assert!(delivered);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
