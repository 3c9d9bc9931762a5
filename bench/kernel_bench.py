"""Kernel latency benchmark: eddy vs vanilla evcxr_jupyter vs IPython, in one run.

Measures, for each kernel (median over --repeat fresh kernels where it says "start"):
  - start → first result of a cell that loads the bundled S&P 500 prices into a DataFrame
  - `1 + 1` (median of 10, warm kernel)
  - a cell that builds and displays a small DataFrame (median of 5)
  - kernel memory (RSS of the kernel process and its children, after the cells)
  - disk per session (bytes written under the kernel's scratch dir)

Usage (after ./install.sh):  $EDDY_HOME/venv/bin/python bench/kernel_bench.py [--kernels eddy,evcxr,python3]
Writes a CSV to bench/results/<date>-kernel.csv and prints a Markdown table for
docs/benchmarks.md.
"""

import argparse
import csv
import datetime as dt
import os
import pathlib
import statistics
import subprocess
import sys
import time

import jupyter_client

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent

# The same work in each kernel's language. evcxr gets the prelude crate as a path :dep
# (same crates, same code), at its best settings: opt level 0, warm scratch dir, mold.
CELLS = {
    "eddy": {
        "setup": [],
        "load": "let df = sp500()?;\ndf.height()",
        "trivial": "1 + 1",
        "frame": 'df!("a" => [1, 2, 3], "b" => [0.5, 1.5, 2.5])?',
    },
    "evcxr": {
        "setup": [
            ":opt 0",
            f':dep eddy-prelude = {{ path = "{REPO / "prelude"}" }}',
            "use eddy::prelude::*;",
        ],
        "load": "let df = sp500()?;\ndf.height()",
        "trivial": "1 + 1",
        "frame": 'df!("a" => [1, 2, 3], "b" => [0.5, 1.5, 2.5])?',
    },
    "python3": {
        "setup": ["import pandas as pd"],
        "load": f'df = pd.read_csv("{REPO / "data" / "sp500_dataset.csv.gz"}", parse_dates=["Date"])\nlen(df)',
        "trivial": "1 + 1",
        "frame": 'pd.DataFrame({"a": [1, 2, 3], "b": [0.5, 1.5, 2.5]})',
    },
}


def run_cell(kc, code, timeout=1800):
    """Executes `code`, returns (seconds, reply content, outputs)."""
    t0 = time.perf_counter()
    msg_id = kc.execute(code)
    outputs = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] in ("execute_result", "display_data", "stream", "error"):
            outputs.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    reply = kc.get_shell_msg(timeout=timeout)
    elapsed = time.perf_counter() - t0
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"cell failed: {code!r}: {reply['content']} {outputs}")
    return elapsed, reply["content"], outputs


def rss_bytes(pid):
    """RSS of a process and all its descendants."""
    total = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            # Children of every thread: a kernel may spawn its runtime from another thread.
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except FileNotFoundError:
            pass
    return total


def dir_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except FileNotFoundError:
                pass
    return total


# Kernelspec names: evcxr_jupyter --install registers itself as `rust`.
KERNELSPEC = {"eddy": "eddy", "evcxr": "rust", "python3": "python3"}


def warm_up(name, env):
    """One uncounted session, so evcxr's scratch dir holds the built :dep (its best case)."""
    km = jupyter_client.KernelManager(kernel_name=KERNELSPEC[name])
    km.start_kernel(env=env)
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=600)
    for code in CELLS[name]["setup"]:
        run_cell(kc, code)
    run_cell(kc, CELLS[name]["load"])
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def bench_kernel(name, repeat, env):
    cells = CELLS[name]
    warm_up(name, env)
    starts = []
    trivial = []
    frame = []
    rss = disk = None
    for i in range(repeat):
        t0 = time.perf_counter()
        km = jupyter_client.KernelManager(kernel_name=KERNELSPEC[name])
        km.start_kernel(env=env)
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=600)
        for code in cells["setup"]:
            run_cell(kc, code)
        run_cell(kc, cells["load"])
        starts.append(time.perf_counter() - t0)
        if i == repeat - 1:
            for _ in range(10):
                trivial.append(run_cell(kc, cells["trivial"])[0])
            for _ in range(5):
                frame.append(run_cell(kc, cells["frame"])[0])
            rss = rss_bytes(km.provisioner.process.pid)
            scratch = env.get("EVCXR_TMPDIR") if name == "evcxr" else None
            if name == "eddy":
                sessions = pathlib.Path(env.get("EDDY_HOME", "")) / "sessions"
                dirs = [d for d in sessions.glob(f"{km.provisioner.process.pid}-*")]
                scratch = str(dirs[0]) if dirs else None
            disk = dir_bytes(scratch) if scratch else 0
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return {
        "kernel": name,
        "start_to_first_result_s": statistics.median(starts),
        "start_runs": ";".join(f"{s:.3f}" for s in starts),
        "trivial_median_s": statistics.median(trivial),
        "frame_median_s": statistics.median(frame),
        "rss_mb": rss / 2**20,
        "disk_mb": disk / 2**20,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernels", default="eddy,evcxr,python3")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    env = dict(os.environ)
    env.setdefault("EDDY_HOME", str(pathlib.Path.home() / ".local/share/eddy"))
    # A fixed scratch dir keeps evcxr's build warm between sessions (its best setting). It
    # must sit two levels below / like the default /tmp/.tmpXXXX: evcxr's relative rpath to
    # libstd is off by one level (evcxr #243) and only works where the extra `..` clamp at /.
    env.setdefault("EVCXR_TMPDIR", "/tmp/eddy-bench-evcxr-warm")
    results = []
    for name in args.kernels.split(","):
        print(f"== {name}", file=sys.stderr, flush=True)
        results.append(bench_kernel(name, args.repeat, env))
        print(results[-1], file=sys.stderr, flush=True)
    out = HERE / "results" / f"{dt.date.today()}-kernel.csv"
    out.parent.mkdir(exist_ok=True)
    with open(out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(results[0]))
        w.writeheader()
        w.writerows(results)
    base = {r["kernel"]: r for r in results}
    print("| kernel | start → first result (s) | `1 + 1` (s) | DataFrame cell (s) | RSS (MB) | disk/session (MB) |")
    print("|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['kernel']} | {r['start_to_first_result_s']:.2f} | {r['trivial_median_s']:.3f} | "
            f"{r['frame_median_s']:.3f} | {r['rss_mb']:.0f} | {r['disk_mb']:.1f} |"
        )
    if "eddy" in base and "evcxr" in base:
        e, v = base["eddy"], base["evcxr"]
        print()
        print(
            "eddy / evcxr ratios: start→first result "
            f"{e['start_to_first_result_s'] / v['start_to_first_result_s']:.3f}, "
            f"1+1 {e['trivial_median_s'] / v['trivial_median_s']:.3f}, "
            f"DataFrame {e['frame_median_s'] / v['frame_median_s']:.3f}"
        )
    print(f"\nraw: {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
