#!/usr/bin/env bash
# Regenerates requirements-lock.txt: installs requirements.txt alone into a throwaway venv
# and records every package it pulled in, pinned. Run it after changing requirements.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install --disable-pip-version-check --no-input -q -r requirements.txt
{
  echo "# Every package the venv ends up with, pinned: install.sh passes this file to pip as"
  echo "# constraints (-c), so a new release of a dependency cannot change CI under us."
  echo "# Regenerate after changing requirements.txt: scripts/lock-requirements.sh"
  "$tmp/venv/bin/python" -m pip freeze --disable-pip-version-check
} >requirements-lock.txt
echo "wrote requirements-lock.txt ($(grep -vc '^#' requirements-lock.txt) packages)"
