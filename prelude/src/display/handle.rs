//! [`display`] and [`DisplayHandle`]: show a value now, and replace it in place later.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::mime::{MimeBundle, Render};
use super::socket;

/// Shows `value` as a new output of the running cell and returns a handle to update it.
///
/// In the kernel this sends a Jupyter `display_data` message with a fresh `display_id`
/// (through the socket in `EDDY_DISPLAY_SOCKET`); elsewhere (the REPL, a plain program) it
/// prints the value's `text/plain` on stdout. It never panics: IO errors are reported once on
/// stderr.
///
/// ```
/// use eddy::prelude::*;
///
/// let df = df!("step" => [1], "loss" => [0.9])?;
/// let handle = display(&df);
/// let df = df!("step" => [2], "loss" => [0.5])?;
/// handle.update(&df); // the same output now shows step 2
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn display(value: &dyn Render) -> DisplayHandle {
    let handle = DisplayHandle::detached();
    handle.send("display_data", &value.mime_bundle());
    handle
}

/// A shown output that can be replaced in place, from any thread, even after its cell ended.
///
/// Cheap to clone; `Send + Sync`. The kernel routes updates to the output of the cell that
/// created the handle.
///
/// ```
/// use eddy::prelude::*;
///
/// let handle = display(&Html::new("<i>starting…</i>"));
/// let worker = {
///     let handle = handle.clone();
///     std::thread::spawn(move || handle.update(&Html::new("<b>done</b>")))
/// };
/// worker.join().unwrap();
/// assert!(handle.display_id().starts_with("eddy-"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DisplayHandle {
    id: Arc<str>,
}

impl DisplayHandle {
    /// A handle with a fresh id and nothing shown yet.
    pub(crate) fn detached() -> Self {
        DisplayHandle {
            id: fresh_display_id().into(),
        }
    }

    /// The Jupyter `display_id` of this output.
    pub fn display_id(&self) -> &str {
        &self.id
    }

    /// Replaces the output with `value` (Jupyter `update_display_data`).
    ///
    /// Outside the kernel, prints the new `text/plain` on stdout.
    pub fn update(&self, value: &dyn Render) {
        self.send("update_display_data", &value.mime_bundle());
    }

    /// Sends one message, or prints the text when there is no kernel.
    pub(crate) fn send(&self, msg_type: &str, bundle: &MimeBundle) {
        self.send_to(socket::socket_path().as_deref(), msg_type, bundle);
    }

    /// [`send`](Self::send) with the socket path given (`None`: print on stdout).
    fn send_to(&self, socket_path: Option<&std::path::Path>, msg_type: &str, bundle: &MimeBundle) {
        match socket_path {
            Some(path) => {
                // What the cell printed so far goes first.
                let _ = std::io::stdout().flush();
                let line = socket::message_line(msg_type, bundle.to_json(), &self.id);
                if let Err(err) = socket::send_line(path, &line) {
                    super::report_once(&format!(
                        "display: cannot send {msg_type} to the kernel at {}: {err} (hint: outputs now go nowhere; restart the kernel)",
                        path.display()
                    ));
                }
            }
            None => {
                let stdout = std::io::stdout();
                let mut out = stdout.lock();
                let text = bundle.text();
                let result = if text.ends_with('\n') {
                    out.write_all(text.as_bytes())
                } else {
                    writeln!(out, "{text}")
                };
                if let Err(err) = result.and_then(|()| out.flush()) {
                    super::report_once(&format!("display: cannot write to stdout: {err}"));
                }
            }
        }
    }
}

/// A process-unique display id: `eddy-<pid>-<start nanos>-<counter>`.
fn fresh_display_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    static START: std::sync::OnceLock<u128> = std::sync::OnceLock::new();
    let start = START.get_or_init(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    });
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("eddy-{}-{start:x}-{n}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_fresh() {
        let a = DisplayHandle::detached();
        let b = DisplayHandle::detached();
        assert_ne!(a.display_id(), b.display_id());
        assert_eq!(a.clone(), a);
    }

    #[test]
    fn display_and_update_reach_the_socket_with_one_id() {
        use std::io::BufRead;
        let dir = std::env::temp_dir().join(format!("eddy-handle-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("display.sock");
        let _ = std::fs::remove_file(&path);
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();

        let handle = DisplayHandle::detached();
        let first = crate::display::Html::new("<b>1</b>").mime_bundle();
        handle.send_to(Some(&path), "display_data", &first);
        // An update from another thread, after the "cell" (this scope) moved on.
        let (h, p) = (handle.clone(), path.clone());
        std::thread::spawn(move || {
            let second = crate::display::Html::new("<b>2</b>").mime_bundle();
            h.send_to(Some(&p), "update_display_data", &second);
        })
        .join()
        .unwrap();

        // Other tests may use the shared connection in between: read every connection.
        listener.set_nonblocking(true).unwrap();
        let mut messages = Vec::new();
        while let Ok((conn, _)) = listener.accept() {
            conn.set_nonblocking(false).unwrap();
            conn.set_read_timeout(Some(std::time::Duration::from_millis(200)))
                .unwrap();
            for line in std::io::BufReader::new(conn).lines() {
                let Ok(line) = line else { break };
                messages.push(serde_json::from_str::<serde_json::Value>(&line).unwrap());
            }
        }
        let ours: Vec<_> = messages
            .iter()
            .filter(|m| m["transient"]["display_id"] == handle.display_id())
            .collect();
        assert_eq!(ours.len(), 2, "{messages:?}");
        assert_eq!(ours[0]["msg_type"], "display_data");
        assert_eq!(ours[0]["data"]["text/html"], "<b>1</b>");
        assert_eq!(ours[1]["msg_type"], "update_display_data");
        assert_eq!(ours[1]["data"]["text/plain"], "2");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn handles_are_send_sync_and_static() {
        fn check<T: Send + Sync + Clone + 'static>() {}
        check::<DisplayHandle>();
    }
}
