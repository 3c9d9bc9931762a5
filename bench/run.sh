#!/usr/bin/env bash
# bench/run.sh: the kernel benchmark, eddy vs vanilla evcxr_jupyter vs IPython, in one run.
#
# Installs what the comparison needs, outside the repo:
#   - evcxr_jupyter 0.22.0 (cargo install --locked) into ~/.cache/eddy/bench-tools, its
#     kernelspec `rust` into the user's Jupyter dir;
#   - pandas into eddy's venv (for the IPython baseline).
# Then runs bench/kernel_bench.py and prints the Markdown table for docs/benchmarks.md.
# Run ./install.sh first. Takes ~20 min the first time (evcxr build, and evcxr compiling the
# prelude's crates through :dep at opt level 0 for its warm scratch dir), ~3 min after.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
EDDY_HOME=${EDDY_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/eddy}
TOOLS=$HOME/.cache/eddy/bench-tools
PY=$EDDY_HOME/venv/bin/python
[ -x "$PY" ] || { echo "bench/run.sh: run ./install.sh first ($PY missing)" >&2; exit 1; }
export EDDY_HOME
if [ ! -x "$TOOLS/bin/evcxr_jupyter" ]; then
  echo "--> cargo install evcxr_jupyter 0.22.0 (the baseline)"
  env -u CI cargo install evcxr_jupyter --version 0.22.0 --locked --root "$TOOLS"
fi
"$TOOLS/bin/evcxr_jupyter" --install >/dev/null
"$PY" -c "import pandas" 2>/dev/null || "$PY" -m pip install -q "pandas==2.3.3"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $(rustc -V); evcxr_jupyter 0.22.0; $("$PY" -c 'import pandas, sys; print("python", sys.version.split()[0], "pandas", pandas.__version__)')"
exec "$PY" "$REPO/bench/kernel_bench.py" "$@"
