#!/usr/bin/env bash
# The main job: executes every notebooks/*.ipynb on the installed `eddy` kernel with
# papermill, into $EDDY_HOME/out/ (executed .ipynb plus an HTML export), one line of progress
# per notebook. Exits non-zero, showing the failing cell and its error, if any cell fails.
# Usually called by `./install.sh --run`. Notebooks named as arguments replace the list;
# `-p NAME VALUE` sets a parameter as papermill's -p (each notebook gets those its cell tagged
# `parameters` declares), e.g. `scripts/run-notebooks.sh -p backend kafka notebooks/01-stream.ipynb`.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
EDDY_HOME=${EDDY_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/eddy}
PYTHON=$EDDY_HOME/venv/bin/python
[[ -x $PYTHON ]] || { echo "run-notebooks.sh: no venv at $EDDY_HOME/venv: run ./install.sh" >&2; exit 1; }
exec "$PYTHON" "$REPO/scripts/run_notebooks.py" --kernel "${EDDY_KERNEL:-eddy}" \
  --out "$EDDY_HOME/out" --notebooks-dir "$REPO/notebooks" "$@"
