//! The `kernel_info_reply`: who we are and which language we speak. Built from constants plus
//! the rustc version, which is probed once in the background so the reply never waits.

use std::process::{Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use jupyter_protocol::{CodeMirrorMode, HelpLink, KernelInfoReply, LanguageInfo, ReplyStatus};

/// The Rust version reported until the probe answers (the workspace's minimum).
pub const FALLBACK_RUST_VERSION: &str = "1.95";

/// The rustc version, filled in by [`probe_rustc_version`] when it is known.
pub type RustVersion = Arc<OnceLock<String>>;

/// Runs `rustc --version` (or `$RUSTC`) on a background thread and stores the version number.
pub fn probe_rustc_version() -> RustVersion {
    let slot: RustVersion = Arc::new(OnceLock::new());
    let fill = Arc::clone(&slot);
    let _ = std::thread::Builder::new()
        .name("eddy-rustc-version".into())
        .spawn(move || {
            if let Some(v) = rustc_version(Duration::from_secs(10)) {
                let _ = fill.set(v);
            }
        });
    slot
}

fn rustc_version(timeout: Duration) -> Option<String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let mut child = Command::new(rustc)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let end = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < end => std::thread::sleep(Duration::from_millis(10)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
    let out = child.wait_with_output().ok()?;
    parse_rustc_version(&String::from_utf8_lossy(&out.stdout))
}

/// `rustc 1.95.0 (59807616e 2026-04-14)` → `1.95.0`.
pub fn parse_rustc_version(text: &str) -> Option<String> {
    let v = text.split_whitespace().nth(1)?;
    v.chars().next()?.is_ascii_digit().then(|| v.to_string())
}

/// The reply, with `rust_version` as language version.
pub fn kernel_info_reply(rust_version: &str) -> KernelInfoReply {
    let version = env!("CARGO_PKG_VERSION");
    KernelInfoReply {
        status: ReplyStatus::Ok,
        protocol_version: "5.3".to_string(),
        implementation: "eddy".to_string(),
        implementation_version: version.to_string(),
        language_info: LanguageInfo {
            name: "rust".to_string(),
            version: rust_version.to_string(),
            mimetype: Some("text/rust".to_string()),
            file_extension: Some(".rs".to_string()),
            pygments_lexer: Some("rust".to_string()),
            codemirror_mode: Some(CodeMirrorMode::Simple("rust".to_string())),
            nbconvert_exporter: None,
        },
        banner: format!(
            "eddy {version}: Rust for data science (rustc {rust_version}).\n\
             `use eddy::prelude::*;` is in scope in every cell."
        ),
        help_links: vec![
            HelpLink {
                text: "Rust standard library".to_string(),
                url: "https://doc.rust-lang.org/stable/std/".to_string(),
            },
            HelpLink {
                text: "The Rust Programming Language".to_string(),
                url: "https://doc.rust-lang.org/book/".to_string(),
            },
            HelpLink {
                text: "Polars (Rust)".to_string(),
                url: "https://docs.rs/polars/latest/polars/".to_string(),
            },
        ],
        debugger: false,
        error: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn parses_rustc_version() {
        assert_eq!(
            parse_rustc_version("rustc 1.95.0 (59807616e 2026-04-14)\n"),
            Some("1.95.0".into())
        );
        assert_eq!(
            parse_rustc_version("rustc 1.96.0-nightly (abc 2026-05-01)"),
            Some("1.96.0-nightly".into())
        );
        assert_eq!(parse_rustc_version("error: no such command"), None);
        assert_eq!(parse_rustc_version(""), None);
    }

    #[test]
    fn reply_has_the_language_info_jupyter_needs() {
        let v: Value = serde_json::to_value(kernel_info_reply("1.95.0")).expect("serializes");
        assert_eq!(v["status"], "ok");
        assert_eq!(v["protocol_version"], "5.3");
        assert_eq!(v["implementation"], "eddy");
        let li = &v["language_info"];
        assert_eq!(li["name"], "rust");
        assert_eq!(li["version"], "1.95.0");
        assert_eq!(li["mimetype"], "text/rust");
        assert_eq!(li["file_extension"], ".rs");
        assert_eq!(li["pygments_lexer"], "rust");
        assert_eq!(li["codemirror_mode"], "rust");
        assert!(v["help_links"].as_array().is_some_and(|l| !l.is_empty()));
        assert!(v["banner"].as_str().is_some_and(|b| b.contains("eddy")));
    }
}
