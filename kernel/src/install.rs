//! The Jupyter kernelspec: `<jupyter data dir>/kernels/eddy/` with `kernel.json` and two logos.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde_json::json;

/// The kernelspec's directory name (`jupyter kernelspec list` shows it).
pub const KERNEL_NAME: &str = "eddy";
/// What notebook UIs show in the kernel picker.
pub const DISPLAY_NAME: &str = "Rust (eddy)";

const LOGO_32: &[u8] = include_bytes!("../assets/logo-32x32.png");
const LOGO_64: &[u8] = include_bytes!("../assets/logo-64x64.png");

/// The `kernel.json` for the binary at `eddy_binary` (made absolute).
pub fn kernel_json(eddy_binary: &Path) -> anyhow::Result<serde_json::Value> {
    let exe = std::path::absolute(eddy_binary)
        .with_context(|| format!("resolving {}", eddy_binary.display()))?;
    let exe = exe
        .to_str()
        .with_context(|| format!("the eddy path is not UTF-8: {}", exe.display()))?;
    Ok(json!({
        "argv": [exe, "kernel", "--connection-file", "{connection_file}"],
        "display_name": DISPLAY_NAME,
        "language": "rust",
        "interrupt_mode": "signal",
        "metadata": { "debugger": false },
    }))
}

/// Writes `<dir>/kernels/eddy/{kernel.json, logo-32x32.png, logo-64x64.png}`, replacing an
/// older spec. `dir` is a Jupyter data dir (e.g. `~/.local/share/jupyter` or
/// `<venv>/share/jupyter`). Returns the kernelspec dir.
pub fn install_kernelspec(dir: &Path, eddy_binary: &Path) -> anyhow::Result<PathBuf> {
    let spec_dir = dir.join("kernels").join(KERNEL_NAME);
    std::fs::create_dir_all(&spec_dir)
        .with_context(|| format!("creating {}", spec_dir.display()))?;
    let text = serde_json::to_string_pretty(&kernel_json(eddy_binary)?)?;
    write(&spec_dir.join("kernel.json"), text.as_bytes())?;
    write(&spec_dir.join("logo-32x32.png"), LOGO_32)?;
    write(&spec_dir.join("logo-64x64.png"), LOGO_64)?;
    Ok(spec_dir)
}

/// Removes `<dir>/kernels/eddy`. Returns whether there was one.
pub fn uninstall_kernelspec(dir: &Path) -> anyhow::Result<bool> {
    let spec_dir = dir.join("kernels").join(KERNEL_NAME);
    if !spec_dir.exists() {
        return Ok(false);
    }
    std::fs::remove_dir_all(&spec_dir)
        .with_context(|| format!("removing {}", spec_dir.display()))?;
    Ok(true)
}

fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installs_and_uninstalls_a_kernelspec() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let exe = tmp.path().join("bin/eddy");
        let spec = install_kernelspec(tmp.path(), &exe).expect("installs");
        assert_eq!(spec, tmp.path().join("kernels/eddy"));
        let text = std::fs::read_to_string(spec.join("kernel.json")).expect("kernel.json");
        let v: serde_json::Value = serde_json::from_str(&text).expect("valid json");
        assert_eq!(
            v["argv"],
            json!([
                exe.to_str().expect("utf-8"),
                "kernel",
                "--connection-file",
                "{connection_file}"
            ])
        );
        assert_eq!(v["display_name"], "Rust (eddy)");
        assert_eq!(v["language"], "rust");
        assert_eq!(v["interrupt_mode"], "signal");
        for logo in ["logo-32x32.png", "logo-64x64.png"] {
            let bytes = std::fs::read(spec.join(logo)).expect("logo");
            assert!(
                bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
                "{logo} is not a PNG"
            );
        }
        // Installing again replaces it.
        install_kernelspec(tmp.path(), &exe).expect("reinstalls");
        assert!(uninstall_kernelspec(tmp.path()).expect("uninstalls"));
        assert!(!spec.exists());
        assert!(!uninstall_kernelspec(tmp.path()).expect("idempotent"));
    }

    #[test]
    fn relative_binary_paths_become_absolute() {
        let v = kernel_json(Path::new("target/release/eddy")).expect("json");
        let exe = v["argv"][0].as_str().expect("string");
        assert!(Path::new(exe).is_absolute(), "{exe}");
        assert!(exe.ends_with("target/release/eddy"));
    }

    #[test]
    fn logos_have_the_right_sizes() {
        // PNG IHDR: width and height are the big-endian u32s at bytes 16..24.
        let size = |png: &[u8]| {
            let w = u32::from_be_bytes([png[16], png[17], png[18], png[19]]);
            let h = u32::from_be_bytes([png[20], png[21], png[22], png[23]]);
            (w, h)
        };
        assert_eq!(size(LOGO_32), (32, 32));
        assert_eq!(size(LOGO_64), (64, 64));
    }
}
