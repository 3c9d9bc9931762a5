"""The notebook of a running stream, in a real browser: JupyterLab and headless Chromium.

One test, `test_notebook_in_jupyterlab`, on `notebooks/01-stream.ipynb` (env
`EDDY_BROWSER_NOTEBOOK` for another, e.g. the smaller `tests/browser/live-stream.ipynb`; no
fallback: a missing notebook fails the test). It starts JupyterLab from the venv on 127.0.0.1,
a free port, a random token, a temp root dir holding a copy of the notebook, and temp config,
settings and workspace dirs (no news toast, no state from earlier runs). Then
`tests/browser/run-notebook.mjs` (node, `playwright-core`, the system Chromium) opens the
notebook and runs its code cells one by one as a person would (click the cell's prompt,
Ctrl+Enter, wait for its prompt `[k]:`), and prints a JSON report that this test judges:

- every code cell ran, in order, on a fresh kernel, and none showed an error, on the page and in
  the notebook the driver saved (no `error` output, execution counts 1..n);
- a DataFrame rendered as an HTML table, and a chart as an image or inline SVG;
- the live view of the running stream changed while the stream ran, after its cell finished.

How the change is seen. The driver runs one cell at a time, so between the moment the cell
that shows the live view (`.eddy-stream`, state "running") has finished and the moment the next
cell (which stops the stream) is started, nothing but the stream's thread can change that
output. It samples it there: at once, the serialized `<svg>` of the chart plus a PNG clip of the
view, then from 1 s later every 250 ms until both differ, the stream is no longer running, or
30 s pass. That does not depend on Run All's timing or on a later cell sleeping long enough,
and cannot mistake the stopped stream's final refresh for a live update: the test requires
both samples to show "running", the cell's prompt to be a number (finished, not `[*]`), the
cell to have exactly one output (updated in place, not appended) and the counters to move.
01-stream's replay runs for about 8 s from its start and its cell sleeps 3 s, so the two
samples (about 1.3 s apart) come with some 4 s to spare. A notebook that calls `.stop()` must
leave the view "stopped" (or "finished", if the replay ended first), never "failed"; after the
last cell the driver shuts the kernel down (Kernel menu), which also ends a stream the notebook
left running.

Screenshots (PNG) go to `$EDDY_BROWSER_SHOTS`, else `$EDDY_HOME/out/browser`: `live-1.png` and
`live-2.png` (the live view at the two samples), `live-stream.png` (the page while the stream
runs), `final.png` (after the last cell), `failure.png` (if a step failed), and `result.json`.
`EDDY_BROWSER_README_SHOT=1` also copies `live-stream.png` to `docs/img/live-stream.png` (the
README's picture); the test never writes to the source tree otherwise.

Needs node ≥ 20, Debian's `chromium` and the npm package `playwright-core` in
`$EDDY_HOME/browser`: `./install.sh --test` installs them. Without them the test fails, with
the command that installs them; it never skips and never downloads a browser.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK = Path(os.environ.get("EDDY_BROWSER_NOTEBOOK") or REPO / "notebooks/01-stream.ipynb").resolve()
DRIVER = REPO / "tests/browser/run-notebook.mjs"
EDDY_HOME = Path(
    os.environ.get("EDDY_HOME")
    or Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local/share") / "eddy"
)
PW_DIR = EDDY_HOME / "browser"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(os.environ.get("EDDY_BROWSER_SHOTS") or EDDY_HOME / "out/browser")
README_SHOT = REPO / "docs/img/live-stream.png"
SERVER_START_S = 90
DRIVER_TIMEOUT_S = 480

INSTALL_HINT = (
    "./install.sh --test installs them; by hand, as root: apt-get install -y chromium nodejs npm, "
    f"then mkdir -p {PW_DIR} && cp tests/browser/package.json tests/browser/package-lock.json {PW_DIR}/ "
    f"&& npm ci --prefix {PW_DIR}"
)


@pytest.fixture(scope="module")
def node() -> str:
    """node ≥ 20, Chromium and playwright-core, or a failure that says how to install them."""
    node = shutil.which("node")
    if node is None:
        pytest.fail(f"the browser test needs node (≥ 20), which is not on PATH: {INSTALL_HINT}", pytrace=False)
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    major = re.match(r"v(\d+)", version)
    if major is None or int(major.group(1)) < 20:
        pytest.fail(f"node is {version}; playwright-core needs node ≥ 20: {INSTALL_HINT}", pytrace=False)
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"the browser test needs Chromium at {CHROMIUM} (Debian's chromium): {INSTALL_HINT}",
                    pytrace=False)
    if not (PW_DIR / "node_modules/playwright-core/package.json").is_file():
        pytest.fail(f"the browser test needs the npm package playwright-core in {PW_DIR}: {INSTALL_HINT}",
                    pytrace=False)
    return node


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Lab:
    port: int
    token: str
    root: Path
    log: Path

    def log_tail(self, n: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])


def wait_ready(lab: Lab, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + SERVER_START_S
    request = urllib.request.Request(f"http://127.0.0.1:{lab.port}/api/status",
                                     headers={"Authorization": f"token {lab.token}"})
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"JupyterLab exited with {proc.returncode} at start:\n{lab.log_tail()}", pytrace=False)
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    pytest.fail(f"JupyterLab did not answer on port {lab.port} within {SERVER_START_S} s:\n{lab.log_tail()}",
                pytrace=False)


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    """JupyterLab from the venv on 127.0.0.1 with the notebook under test in its root dir."""
    if not NOTEBOOK.is_file():
        pytest.fail(f"the notebook under test, {NOTEBOOK}, does not exist", pytrace=False)
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    # No news or update toasts over the outputs, no workspace or config from earlier runs.
    settings = tmp_path / "lab-settings"
    (settings / "@jupyterlab/apputils-extension").mkdir(parents=True)
    (settings / "@jupyterlab/apputils-extension/notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    env = dict(os.environ,
               JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"),
               PYTHONDONTWRITEBYTECODE="1")
    lab = Lab(port=free_port(), token=secrets.token_hex(24), root=root, log=tmp_path / "jupyterlab.log")
    argv = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={lab.port}",
            "--port-retries=0", f"--IdentityProvider.token={lab.token}", f"--ServerApp.root_dir={root}",
            "--ServerApp.terminals_enabled=False"]
    if os.geteuid() == 0:
        argv.append("--allow-root")
    with lab.log.open("wb") as log:
        proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                cwd=root, start_new_session=True)
    try:
        wait_ready(lab, proc)
        yield lab
    finally:
        # SIGTERM: the server shuts its kernels down; then whatever is left of its group.
        for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
            if proc.poll() is not None:
                break
            os.killpg(proc.pid, sig)
            try:
                proc.wait(wait)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.mark.timeout(600)
def test_notebook_in_jupyterlab(node: str, lab: Lab) -> None:
    t0 = time.monotonic()
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("*.png"):
        old.unlink()
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    argv = [node, str(DRIVER), "--port", str(lab.port), "--token", lab.token, "--notebook", NOTEBOOK.name,
            "--cells", str(len(notebook.cells)), "--shots", str(SHOTS), "--pw-dir", str(PW_DIR),
            "--chromium", CHROMIUM]
    if os.environ.get("EDDY_BROWSER_README_SHOT") == "1":
        argv += ["--readme-shot", str(README_SHOT)]
    try:
        run = subprocess.run(argv, capture_output=True, text=True, timeout=DRIVER_TIMEOUT_S, cwd=REPO)
    except subprocess.TimeoutExpired as err:
        pytest.fail(f"the browser driver did not finish in {DRIVER_TIMEOUT_S} s; its log:\n{err.stderr}\n"
                    f"JupyterLab's log:\n{lab.log_tail()}", pytrace=False)
    sys.stderr.write(run.stderr)  # the driver's progress, shown by pytest on failure
    context = f"\ndriver log:\n{run.stderr[-4000:]}\nJupyterLab's log:\n{lab.log_tail()}\nscreenshots: {SHOTS}"
    assert run.returncode == 0, f"run-notebook.mjs exited with {run.returncode}{context}"
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["ok"], f"the browser run failed: {result['error']}{context}"

    # Every code cell ran, in order, on a fresh kernel, without an error on the page.
    code_cells = [c for c in notebook.cells if c.cell_type == "code"]
    cells = result["cells"]
    assert [c["prompt"] for c in cells] == [f"[{k}]:" for k in range(1, len(code_cells) + 1)], context
    for c in cells:
        assert not c["errors"], f"cell {c['index']} showed an error: {c['errors']}{context}"
    # ... and in the notebook as JupyterLab saved it.
    assert result["saved"], context
    saved = nbformat.read(lab.root / NOTEBOOK.name, as_version=4)
    saved_code = [c for c in saved.cells if c.cell_type == "code"]
    assert [c.execution_count for c in saved_code] == list(range(1, len(code_cells) + 1))
    for c in saved_code:
        errors = [o for o in c.outputs if o.output_type == "error"]
        assert not errors, f"saved cell {c.source!r} has an error output: {errors}"

    # A DataFrame as an HTML table, a chart as an image or inline SVG.
    assert sum(c["tables"] for c in cells) >= 1, f"no DataFrame table rendered{context}"
    assert sum(c["charts"] for c in cells) >= 1, f"no chart rendered{context}"

    # The running stream's one output changed in place after its cell finished.
    live = result["live"]
    assert live is not None, (
        f"no cell showed the live view of a running stream (.eddy-stream) when it finished"
        f"{' (' + result['live_note'] + ')' if result.get('live_note') else ''}{context}")
    first, second = live["first"], live["second"]
    for sample in (first, second):
        assert re.fullmatch(r"\[\d+\]:", sample["cell_prompt"]), f"sampled before the cell finished: {sample}"
        assert sample["outputs_in_cell"] == 1, f"the live view is not one output updated in place: {sample}"
        assert "running" in sample["state"], f"the stream was not running when sampled: {sample}"
        assert sample["svg_chars"] > 1000, f"the live view shows no chart: {sample}"
    assert live["svg_changed"] and live["png_changed"], (
        f"the live chart did not change in {live['seconds_apart']} s while the stream ran "
        f"(svg changed: {live['svg_changed']}, screenshot changed: {live['png_changed']}){context}")
    assert second["counters"] != first["counters"], f"the counters did not move: {first} {second}"
    # The view's last refresh: stopped by the notebook, or a replay read to its end; never
    # failed, and not running if the notebook stops it.
    final = (result["final_state"] or "").split("—")[-1].strip()
    assert not final.startswith("failed"), f"the stream failed: {result['final_state']}{context}"
    if any(".stop()" in c.source for c in code_cells):
        assert final in ("stopped", "finished"), (
            f"the notebook stops its stream but the live view ends as {result['final_state']!r}{context}")

    for name in ("live-1", "live-2", "live-stream", "final"):
        assert Path(result["shots"][name]).stat().st_size > 5_000, f"{name}.png is (nearly) empty"
    print(f"browser test: {time.monotonic() - t0:.1f} s, live view changed within {live['seconds_apart']} s; "
          f"screenshots in {SHOTS}")
