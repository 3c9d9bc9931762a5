//! Where eddy keeps what it writes at run time: one state dir, never inside the source tree.

use std::path::PathBuf;

/// The directories eddy uses, resolved once from the environment.
///
/// | what | default | override |
/// |---|---|---|
/// | state dir | `$XDG_DATA_HOME/eddy` or `~/.local/share/eddy` | `EDDY_HOME` |
/// | prelude template | `<state>/prelude` | `EDDY_PRELUDE` |
#[derive(Debug, Clone)]
pub struct Paths {
    /// The state dir.
    pub home: PathBuf,
}

impl Paths {
    /// Resolves the paths from `EDDY_HOME`, `XDG_DATA_HOME` and `HOME`.
    pub fn from_env() -> anyhow::Result<Paths> {
        if let Some(home) = std::env::var_os("EDDY_HOME").filter(|v| !v.is_empty()) {
            return Ok(Paths { home: home.into() });
        }
        // An installed binary lives in `<state>/bin/eddy`: a kernel that JupyterLab starts
        // without EDDY_HOME in its environment still finds the state dir it was installed to.
        if let Some(home) = std::env::current_exe()
            .ok()
            .and_then(|exe| Some(exe.parent()?.parent()?.to_owned()))
            .filter(|home| home.join("prelude").join("manifest.json").is_file())
        {
            return Ok(Paths { home });
        }
        let data = std::env::var_os("XDG_DATA_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
            .ok_or_else(|| anyhow::anyhow!("cannot find a state dir: set EDDY_HOME or HOME"))?;
        Ok(Paths {
            home: data.join("eddy"),
        })
    }

    /// The prelude template cells compile against.
    pub fn template_dir(&self) -> PathBuf {
        std::env::var_os("EDDY_PRELUDE")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| self.home.join("prelude"))
    }

    /// Per-kernel scratch dirs live below this one.
    pub fn sessions_dir(&self) -> PathBuf {
        self.home.join("sessions")
    }
}
