//! The `eddy` command line: `kernel`, `install`, `uninstall`, `repl`, `info`.

use crate::engine::EngineOptions;
use crate::paths::Paths;
use crate::session::Session;
use crate::template::Template;
use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// eddy: a Jupyter kernel for data science in Rust, with a precompiled prelude.
#[derive(Debug, Parser)]
#[command(name = "eddy", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run as a Jupyter kernel (started by Jupyter through the kernelspec).
    Kernel {
        /// The connection file Jupyter wrote.
        #[arg(long = "connection-file", short = 'f')]
        connection_file: PathBuf,
    },
    /// Install the prelude template and the `eddy` kernelspec.
    Install {
        /// Cargo's release dir holding `libeddy.so` and `deps/` (from the prelude's dylib build).
        #[arg(long)]
        prelude_from: Option<PathBuf>,
        /// Jupyter data dirs to write the kernelspec into (`<dir>/kernels/eddy`); repeatable.
        #[arg(long)]
        jupyter_dir: Vec<PathBuf>,
        /// Also install the kernelspec for the current user (`~/.local/share/jupyter`).
        #[arg(long)]
        user: bool,
    },
    /// Remove the kernelspecs and the prelude template that `install` wrote.
    Uninstall {
        /// Jupyter data dirs to remove the kernelspec from; repeatable.
        #[arg(long)]
        jupyter_dir: Vec<PathBuf>,
        /// Also remove the user's kernelspec.
        #[arg(long)]
        user: bool,
    },
    /// An interactive Rust session in the terminal, with the prelude in scope.
    Repl,
    /// Print where eddy keeps its files and whether the prelude template is usable.
    Info,
}

/// Runs the command line and returns the process exit code.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("eddy: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(command: Command) -> anyhow::Result<()> {
    let paths = Paths::from_env()?;
    match command {
        Command::Kernel { connection_file } => {
            let session = Session::create(&paths.sessions_dir())?;
            let opts = EngineOptions {
                template_dir: paths.template_dir(),
                crate_dir: session.crate_dir(),
                display_socket: Some(session.display_socket()),
            };
            crate::jupyter::run_kernel(&connection_file, opts)
        }
        Command::Install {
            prelude_from,
            jupyter_dir,
            user,
        } => {
            if let Some(release_dir) = prelude_from {
                let template = Template::install(&release_dir, &paths.template_dir())?;
                println!("prelude template: {}", template.dir.display());
            }
            let exe = std::env::current_exe().context("locating the eddy binary")?;
            for dir in kernelspec_dirs(jupyter_dir, user)? {
                let spec = crate::install::install_kernelspec(&dir, &exe)?;
                println!("kernelspec: {}", spec.display());
            }
            Ok(())
        }
        Command::Uninstall { jupyter_dir, user } => {
            for dir in kernelspec_dirs(jupyter_dir, user)? {
                crate::install::uninstall_kernelspec(&dir)?;
            }
            let template = paths.template_dir();
            if template.exists() {
                std::fs::remove_dir_all(&template)
                    .with_context(|| format!("removing {}", template.display()))?;
            }
            Ok(())
        }
        Command::Repl => {
            let session = Session::create(&paths.sessions_dir())?;
            let opts = EngineOptions {
                template_dir: paths.template_dir(),
                crate_dir: session.crate_dir(),
                display_socket: None,
            };
            crate::repl::run(opts)
        }
        Command::Info => {
            println!("state dir:        {}", paths.home.display());
            println!("prelude template: {}", paths.template_dir().display());
            match Template::open(&paths.template_dir()) {
                Ok(t) => println!("template:         ok (built by {})", t.manifest.rustc),
                Err(e) => println!("template:         {e:#}"),
            }
            println!("sessions:         {}", paths.sessions_dir().display());
            Ok(())
        }
    }
}

fn kernelspec_dirs(mut dirs: Vec<PathBuf>, user: bool) -> anyhow::Result<Vec<PathBuf>> {
    if user {
        let data = std::env::var_os("JUPYTER_DATA_DIR")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share/jupyter"))
            })
            .context("cannot find the user's Jupyter data dir: set HOME or JUPYTER_DATA_DIR")?;
        dirs.push(data);
    }
    Ok(dirs)
}
