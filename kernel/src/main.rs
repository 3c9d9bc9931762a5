//! The `eddy` binary.

fn main() -> std::process::ExitCode {
    // The same binary is the runtime child that loads and runs compiled cells.
    evcxr::runtime_hook();
    eddy_kernel::cli::run()
}
