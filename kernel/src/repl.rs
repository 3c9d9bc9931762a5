//! `eddy repl`: the same engine and prelude in a terminal, with evcxr's `:commands`.

use crate::engine::{Completeness, Engine, EngineOptions};
use rustyline::error::ReadlineError;
use std::io::Write;

/// Runs the REPL until end of input (Ctrl-D) or `:quit`.
pub fn run(opts: EngineOptions) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let (mut engine, streams) = Engine::start(opts)?;
    // Print the cell's output as it arrives, from threads of their own.
    std::thread::spawn(move || {
        for line in streams.stdout {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
        }
    });
    std::thread::spawn(move || {
        for line in streams.stderr {
            eprintln!("{line}");
        }
    });
    println!(
        "eddy {} — Rust with `use eddy::prelude::*;` in scope (ready in {:.1} s). \
         :help for commands, Ctrl-D to quit.",
        env!("CARGO_PKG_VERSION"),
        started.elapsed().as_secs_f64()
    );
    let mut editor = rustyline::DefaultEditor::new()?;
    let mut buffer = String::new();
    loop {
        let prompt = if buffer.is_empty() { ">> " } else { ".. " };
        match editor.readline(prompt) {
            Ok(line) => {
                if buffer.is_empty() && matches!(line.trim(), ":quit" | ":q" | ":exit") {
                    break;
                }
                buffer.push_str(&line);
                buffer.push('\n');
                if let Completeness::Incomplete { .. } = Engine::is_complete(&buffer) {
                    continue;
                }
                let code = std::mem::take(&mut buffer);
                if code.trim().is_empty() {
                    continue;
                }
                let _ = editor.add_history_entry(code.trim_end());
                run_cell(&mut engine, &code);
            }
            Err(ReadlineError::Interrupted) => {
                buffer.clear();
                println!("^C");
            }
            Err(ReadlineError::Eof) => break,
            Err(error) => return Err(error.into()),
        }
    }
    Ok(())
}

fn run_cell(engine: &mut Engine, code: &str) {
    let result = engine.execute(code);
    // Let the stream threads print what the cell wrote before its result.
    std::thread::sleep(std::time::Duration::from_millis(5));
    match result {
        Ok(outcome) => {
            if let Some(text) = outcome.data.get("text/plain") {
                println!("{text}");
            } else if !outcome.data.is_empty() {
                let kinds: Vec<&str> = outcome.data.keys().map(String::as_str).collect();
                println!("[{} output: view it in Jupyter]", kinds.join(", "));
            }
            if let Some(timing) = outcome.timing {
                println!("Took {}ms", timing.as_millis());
            }
        }
        Err(error) => {
            for line in &error.traceback {
                eprintln!("{line}");
            }
            if !error.traceback.iter().any(|l| l.contains(&error.evalue)) {
                eprintln!("{}: {}", error.ename, error.evalue);
            }
        }
    }
}
