//! A kernel's scratch dir: its own cell crate, build outputs and display socket, so two
//! kernels started in the same second never share files (evcxr issue #302).

use anyhow::Context;
use std::path::{Path, PathBuf};

/// A scratch dir under `<state>/sessions/`, removed when dropped.
#[derive(Debug)]
pub struct Session {
    dir: PathBuf,
}

impl Session {
    /// Creates a fresh scratch dir named after this process and a random suffix, and removes
    /// the dirs of sessions whose process is gone.
    pub fn create(sessions_dir: &Path) -> anyhow::Result<Session> {
        std::fs::create_dir_all(sessions_dir)
            .with_context(|| format!("creating {}", sessions_dir.display()))?;
        remove_stale(sessions_dir);
        let dir = tempfile::Builder::new()
            .prefix(&format!("{}-", std::process::id()))
            .tempdir_in(sessions_dir)
            .with_context(|| format!("creating a session dir in {}", sessions_dir.display()))?
            .keep();
        Ok(Session { dir })
    }

    /// The scratch dir.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The Unix socket the runtime child sends rich displays to.
    pub fn display_socket(&self) -> PathBuf {
        self.dir.join("display.sock")
    }

    /// The cell crate's dir.
    pub fn crate_dir(&self) -> PathBuf {
        self.dir.join("cell")
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Removes session dirs whose owning process (the number before the dash) no longer runs.
fn remove_stale(sessions_dir: &Path) {
    let Ok(entries) = std::fs::read_dir(sessions_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}
