"""Executes notebooks on a Jupyter kernel with papermill and exports each to HTML.

Called by scripts/run-notebooks.sh with the venv's python. For each notebook it prints one
progress line, writes OUT/<name>.ipynb (executed, outputs included, also when a cell failed)
and OUT/<name>.html, and at the end a `notebooks: N passed, N failed` line. A failing cell is
shown with its number, its source and the kernel's error; the exit code is then 1.

`-p NAME VALUE` (repeatable) sets a parameter as `papermill -p` does (the value read as an
int, float, True/False/None or else a string). Each notebook gets the parameters its cell
tagged `parameters` declares (Rust notebooks: python/eddy_papermill), so
`-p backend kafka notebooks/01-stream.ipynb` runs one notebook on Kafka; a parameter that
no selected notebook declares is an error (a typo would otherwise be ignored).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import nbformat
import papermill
from nbconvert import HTMLExporter
from papermill.exceptions import PapermillExecutionError

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
CELL_TIMEOUT_S = 1800  # one cell; the whole run is bounded by CI's own limit


def indent(text: str, prefix: str = "    | ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def export_html(executed: Path) -> Path:
    html, _ = HTMLExporter().from_notebook_node(nbformat.read(executed, as_version=4))
    target = executed.with_suffix(".html")
    target.write_text(html, encoding="utf-8")
    return target


def resolve_value(value: str):
    """A `-p` value as papermill's CLI reads it (papermill.cli._resolve_type)."""
    if value in ("True", "False"):
        return value == "True"
    if value == "None":
        return None
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def declared_parameters(notebook: Path) -> set[str]:
    """The names the notebook's `parameters` cell declares (empty if it has none)."""
    return set(papermill.inspect_notebook(str(notebook)))


def skip_note(notebook: Path, parameters: dict) -> str | None:
    """Why a notebook that needs a server is not run, or None to run it.

    A notebook whose metadata says `"eddy": {"requires": "spark"}` runs only when the Spark
    Connect URL is given (`-p spark_url sc://…`): the main command's embedded default has no
    cluster, so it says what to start instead of failing.
    """
    meta = nbformat.read(notebook, as_version=4).metadata.get("eddy", {})
    if meta.get("requires") == "spark" and "spark_url" not in parameters:
        return meta.get("skip_note", "needs the Spark cluster (services/spark.sh start; -p spark_url sc://127.0.0.1:15002)")
    return None


def run_one(notebook: Path, out_dir: Path, kernel: str, parameters: dict | None = None) -> str | None:
    """Runs one notebook; returns None on success, else a report of what failed."""
    executed = out_dir / notebook.name
    try:
        papermill.execute_notebook(
            str(notebook),
            str(executed),
            parameters=parameters or None,
            kernel_name=kernel,
            cwd=str(notebook.parent),
            progress_bar=False,
            log_output=False,
            start_timeout=120,
            execution_timeout=CELL_TIMEOUT_S,
        )
    except PapermillExecutionError as e:
        traceback = ANSI.sub("", "\n".join(e.traceback)) or f"{e.ename}: {e.evalue}"
        return (
            f"cell {e.cell_index + 1} (In [{e.exec_count}]) raised {e.ename}: {e.evalue}\n"
            f"  source:\n{indent(e.source)}\n"
            f"  error:\n{indent(traceback)}"
        )
    except Exception as e:  # a kernel that died or never started, a timeout, a bad file
        return f"{type(e).__name__}: {e}"
    finally:
        if executed.exists():
            export_html(executed)
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kernel", default="eddy", help="kernelspec name (default: eddy)")
    parser.add_argument("--out", required=True, type=Path, help="output directory")
    parser.add_argument("--notebooks-dir", type=Path,
                        help="run every *.ipynb here when no notebook is named")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[],
                        metavar=("NAME", "VALUE"), help="a notebook parameter, as papermill -p")
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args()
    if not args.notebooks and args.notebooks_dir:
        args.notebooks = sorted(args.notebooks_dir.glob("*.ipynb"))
    if not args.notebooks:
        parser.error(f"no notebooks to run (none named, none in {args.notebooks_dir})")
    parameters = {name: resolve_value(value) for name, value in args.parameter}
    declared = {nb: declared_parameters(nb) for nb in args.notebooks} if parameters else {}
    unknown = set(parameters) - set().union(*declared.values()) if parameters else set()
    if unknown:
        parser.error(f"parameter(s) {', '.join(sorted(unknown))} declared by none of "
                     f"{', '.join(nb.name for nb in args.notebooks)} (see docs/notebooks.md)")
    args.out.mkdir(parents=True, exist_ok=True)

    failures, skipped = [], []
    for i, notebook in enumerate(args.notebooks, 1):
        label = f"[{i}/{len(args.notebooks)}] {notebook.name}"
        mine = {k: v for k, v in parameters.items() if k in declared.get(notebook, ())}
        note = skip_note(notebook, mine)
        if note:
            skipped.append(notebook.name)
            print(f"==> {label} skipped: {note}", flush=True)
            continue
        given = "".join(f" -p {k} {v!r}" for k, v in mine.items())
        print(f"--> {label} on kernel {args.kernel}{given}", flush=True)
        t0 = time.monotonic()
        failure = run_one(notebook.resolve(), args.out, args.kernel, mine)
        took = f"{time.monotonic() - t0:.1f}s"
        if failure is None:
            print(f"==> {label} ok ({took}): {args.out / notebook.stem}.html", flush=True)
        else:
            failures.append(notebook.name)
            print(f"==> {label} FAILED ({took}): {failure}", flush=True)
    passed = len(args.notebooks) - len(failures) - len(skipped)
    print(f"notebooks: {passed} passed, {len(failures)} failed, {len(skipped)} skipped")
    if failures:
        print(f"failed notebooks: {', '.join(failures)} (outputs in {args.out})", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
