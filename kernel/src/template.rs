//! The prelude template: the precompiled `libeddy.so` and the metadata of its dependencies,
//! copied (hard-linked) out of the cargo target dir by `eddy install` so that later builds in
//! the target dir never change what a running kernel links against.

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The name cells use for the prelude crate.
pub const CRATE_NAME: &str = "eddy";
const DYLIB: &str = "libeddy.so";
const MANIFEST: &str = "manifest.json";

/// What `eddy install` recorded about the template it wrote.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// `rustc -V` of the compiler that built the prelude; cells must use the same one.
    pub rustc: String,
    /// The cargo output dir the template was copied from.
    pub source: PathBuf,
    /// Seconds since the Unix epoch when the template was written.
    pub installed_at: u64,
}

/// A checked prelude template.
#[derive(Debug, Clone)]
pub struct Template {
    /// The template dir.
    pub dir: PathBuf,
    /// `libeddy.so`.
    pub dylib: PathBuf,
    /// The dependencies' rlibs.
    pub deps_dir: PathBuf,
    /// What install recorded.
    pub manifest: Manifest,
}

impl Template {
    /// Opens the template in `dir` and checks that it is complete and was built by the
    /// `rustc` on the PATH. Every failure names the command that fixes it.
    pub fn open(dir: &Path) -> anyhow::Result<Template> {
        let manifest_path = dir.join(MANIFEST);
        let text = std::fs::read_to_string(&manifest_path).map_err(|e| {
            anyhow::anyhow!(
                "the eddy prelude is not installed: cannot read {} ({e}). \
                 Run ./install.sh from the eddy repository (or set EDDY_PRELUDE to a template dir).",
                manifest_path.display()
            )
        })?;
        let manifest: Manifest = serde_json::from_str(&text).with_context(|| {
            format!(
                "the prelude manifest {} is damaged: run ./install.sh again",
                manifest_path.display()
            )
        })?;
        let template = Template {
            dir: dir.to_owned(),
            dylib: dir.join(DYLIB),
            deps_dir: dir.join("deps"),
            manifest,
        };
        if !template.dylib.is_file() || !template.deps_dir.is_dir() {
            bail!(
                "the prelude template in {} is incomplete (no {} or deps/): run ./install.sh again",
                dir.display(),
                DYLIB
            );
        }
        let rustc = rustc_version()?;
        if rustc != template.manifest.rustc {
            bail!(
                "the prelude template in {} was built by `{}` but `rustc` is now `{}`: cells must \
                 be compiled by the same compiler. Run ./install.sh again to rebuild it.",
                dir.display(),
                template.manifest.rustc,
                rustc
            );
        }
        Ok(template)
    }

    /// Writes a template into `dest` from a cargo release dir holding `libeddy.so` and
    /// `deps/`. Files are hard-linked where the filesystem allows, else copied. The old
    /// template is replaced atomically (written beside it, then renamed).
    pub fn install(release_dir: &Path, dest: &Path) -> anyhow::Result<Template> {
        let dylib = release_dir.join(DYLIB);
        if !dylib.is_file() {
            bail!(
                "{} not found: build the prelude first with \
                 `cargo rustc --release -p eddy-prelude --lib --crate-type dylib -- -C prefer-dynamic` \
                 (install.sh does this)",
                dylib.display()
            );
        }
        let parent = dest
            .parent()
            .with_context(|| format!("{} has no parent dir", dest.display()))?;
        std::fs::create_dir_all(parent)?;
        let staging = parent.join(format!(".prelude-staging-{}", std::process::id()));
        if staging.exists() {
            std::fs::remove_dir_all(&staging)?;
        }
        std::fs::create_dir_all(staging.join("deps"))?;
        link_or_copy(&dylib, &staging.join(DYLIB))?;
        for entry in std::fs::read_dir(release_dir.join("deps"))
            .with_context(|| format!("reading {}/deps", release_dir.display()))?
        {
            let entry = entry?;
            let name = entry.file_name();
            let keep = name
                .to_str()
                // rlibs and rmeta for the crates inside the dylib; .so for proc macros,
                // which rustc loads when a cell uses a derive or attribute macro.
                .is_some_and(|n| {
                    n.ends_with(".rlib") || n.ends_with(".rmeta") || n.ends_with(".so")
                });
            if keep {
                link_or_copy(&entry.path(), &staging.join("deps").join(&name))?;
            }
        }
        let manifest = Manifest {
            rustc: rustc_version()?,
            source: release_dir.to_owned(),
            installed_at: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
        };
        std::fs::write(
            staging.join(MANIFEST),
            serde_json::to_string_pretty(&manifest)?,
        )?;
        let old = parent.join(format!(".prelude-old-{}", std::process::id()));
        if dest.exists() {
            std::fs::rename(dest, &old)?;
        }
        std::fs::rename(&staging, dest)?;
        if old.exists() {
            std::fs::remove_dir_all(&old)?;
        }
        Template::open(dest)
    }
}

fn link_or_copy(from: &Path, to: &Path) -> anyhow::Result<()> {
    if std::fs::hard_link(from, to).is_err() {
        std::fs::copy(from, to)
            .with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
    }
    Ok(())
}

/// `rustc -V` of the compiler on the PATH.
pub fn rustc_version() -> anyhow::Result<String> {
    let output = std::process::Command::new("rustc")
        .arg("-V")
        .output()
        .context("cannot run `rustc -V`: is Rust installed and on the PATH?")?;
    if !output.status.success() {
        bail!(
            "`rustc -V` failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}
