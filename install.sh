#!/usr/bin/env bash
# install.sh: everything a fresh machine needs to run eddy, and the entry point for its jobs.
#
#   ./install.sh              install (Debian packages, Python venv, release build, prelude
#                             template, kernelspecs); a second run takes seconds
#   ./install.sh --run        install, then run the main job (scripts/run-notebooks.sh)
#   ./install.sh --test       install, then what the browser test needs (Chromium, node,
#                             playwright-core), then run every test (cargo fmt, cargo test, pytest)
#   ./install.sh --uninstall  remove $EDDY_HOME and the kernelspecs this script added
#   ./install.sh --purge      --uninstall, and also the cargo target dir
#
# Paths (see ARCHITECTURE.md): EDDY_HOME (state dir, default
# ${XDG_DATA_HOME:-$HOME/.local/share}/eddy), EDDY_TARGET_DIR (cargo target dir, default
# ~/.cache/eddy/target). Nothing is written inside the source tree.
# shellcheck disable=SC2317 # the steps are functions called through `step`
set -Eeuo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$REPO"
EDDY_HOME=${EDDY_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/eddy}
TARGET=${EDDY_TARGET_DIR:-$HOME/.cache/eddy/target}
VENV=$EDDY_HOME/venv
USER_JUPYTER=${JUPYTER_DATA_DIR:-$HOME/.local/share/jupyter}
MIN_RUST=1.95
MIN_PYTHON=3.10
# Debian package → the command that shows it is there.
APT_PACKAGES=(mold:mold protobuf-compiler:protoc pkg-config:pkg-config)
# What tests/test_browser.py needs on top, installed by --test only: it drives Debian's
# Chromium through playwright-core (npm, tests/browser/package.json) under node ≥ 20.
TEST_APT_PACKAGES=(chromium:chromium nodejs:node npm:npm)
MIN_NODE=20
BROWSER_DIR=$EDDY_HOME/browser

export EDDY_HOME CARGO_TARGET_DIR=$TARGET

# Some dependencies (rust-analyzer's crates) rebuild when the CI variable changes; run every
# cargo command without it so that CI and a developer's shell share one warm target dir.
cargo() { env -u CI cargo "$@"; }

die() {
  echo "install.sh: error: $*" >&2
  exit 1
}
warn() { echo "install.sh: warning: $*" >&2; }

usage() { sed -n '2,14s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

CURRENT_STEP=
trap 'echo "install.sh: failed during step: ${CURRENT_STEP:-setup} (line $LINENO, exit $?)" >&2' ERR

now_ds() { echo $((${EPOCHREALTIME//[.,]/} / 100000)); } # tenths of a second
elapsed() {
  local ds=$(($(now_ds) - $1))
  echo "$((ds / 10)).$((ds % 10))s"
}

# step NAME COMMAND...: run one install step and print `==> NAME (Ns)` when it is done.
step() {
  local name=$1 t0
  shift
  t0=$(now_ds)
  CURRENT_STEP=$name
  echo "--> $name"
  "$@"
  echo "==> $name ($(elapsed "$t0"))"
  CURRENT_STEP=
}

# ---------------------------------------------------------------------------- install steps

# apt_install ENTRY...: install the Debian packages (package:command) whose command is missing,
# as root; otherwise say what to install.
apt_install() {
  local missing=() entry
  for entry in "$@"; do
    command -v "${entry#*:}" >/dev/null || missing+=("${entry%%:*}")
  done
  if ((${#missing[@]} == 0)); then
    echo "    all present: ${*%%:*}"
    return
  fi
  if ! command -v apt-get >/dev/null; then
    warn "not a Debian system; install these yourself: ${missing[*]}"
    return
  fi
  if ((EUID != 0)); then
    warn "not root, so apt is skipped; install them with: sudo apt-get install ${missing[*]}"
    return
  fi
  echo "    installing: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >/dev/null
}

debian_packages() {
  local entries=("${APT_PACKAGES[@]}")
  command -v cc >/dev/null || entries+=(gcc:cc) # rustc links through cc
  apt_install "${entries[@]}"
}

# version_at_least HAVE WANT
version_at_least() { printf '%s\n%s\n' "$2" "$1" | sort -V -C; }

toolchains() {
  command -v cargo >/dev/null || die "cargo not found: install Rust $MIN_RUST or newer (rustup)"
  command -v rustc >/dev/null || die "rustc not found: install Rust $MIN_RUST or newer (rustup)"
  local rust python
  rust=$(rustc --version | awk '{print $2}')
  version_at_least "$rust" "$MIN_RUST" ||
    die "rustc $rust is too old: eddy needs $MIN_RUST or newer (rustup update stable)"
  command -v python3 >/dev/null || die "python3 not found: install Python $MIN_PYTHON or newer"
  python=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  version_at_least "$python" "$MIN_PYTHON" ||
    die "python3 is $python: eddy needs $MIN_PYTHON or newer"
  python3 -c 'import venv, ensurepip' 2>/dev/null ||
    die "python3 $python cannot create venvs: install python3-venv (Debian) or use pyenv"
  echo "    rustc $rust, cargo $(cargo --version | awk '{print $2}'), python $python"
}

requirements_hash() { cat "$REPO/requirements.txt" "$REPO/requirements-lock.txt" | sha256sum | cut -d' ' -f1; }

python_venv() {
  local stamp=$VENV/.eddy-requirements.sha256 want
  want=$(requirements_hash)
  if [[ -x $VENV/bin/python ]] && ! "$VENV/bin/python" -c '' 2>/dev/null; then
    echo "    $VENV is broken (was its python removed?): recreating"
    rm -rf "$VENV"
  fi
  if [[ -f $stamp && $(<"$stamp") == "$want" ]]; then
    echo "    $VENV up to date with requirements.txt"
    return
  fi
  if [[ ! -x $VENV/bin/python ]]; then
    mkdir -p "$EDDY_HOME"
    python3 -m venv "$VENV"
  fi
  echo "    pip install -r requirements.txt -c requirements-lock.txt into $VENV"
  "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -q \
    -r "$REPO/requirements.txt" -c "$REPO/requirements-lock.txt"
  echo "$want" >"$stamp"
}

# papermill's parameters for Rust notebooks (`papermill nb.ipynb out.ipynb -p backend kafka`):
# the translator in python/eddy_papermill, installed into the venv from a copy (pip would
# build in the source tree otherwise); reinstalled only when its files change.
papermill_rust() {
  local src=$REPO/python/eddy_papermill stamp=$VENV/.eddy-papermill.sha256 want tmp
  want=$(cd "$src" && find . -type f ! -path '*/__pycache__/*' ! -path './build/*' ! -path '*.egg-info*' \
    -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
  if [[ -f $stamp && $(<"$stamp") == "$want" ]] &&
    "$VENV/bin/python" -c 'import importlib.metadata as m; m.distribution("eddy-papermill")' 2>/dev/null; then
    echo "    eddy-papermill up to date in $VENV"
    return
  fi
  tmp=$(mktemp -d)
  cp -r "$src" "$tmp/"
  echo "    pip install python/eddy_papermill into $VENV"
  "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -q --no-deps \
    --force-reinstall "$tmp/eddy_papermill"
  rm -rf "$tmp"
  # papermill finds the translator through the package's entry points: check that it does.
  "$VENV/bin/python" -c '
from papermill.translators import papermill_translators
t = papermill_translators.find_translator("eddy", "rust")
print("    papermill translator for rust:", t.__module__ + "." + t.__name__)'
  echo "$want" >"$stamp"
}

# The real Kafka, Cassandra and Spark servers of the streaming, storage and Spark tests: the
# jars of the first two, from Maven Central into $EDDY_HOME/services (services/README.md);
# nothing to do once there. Spark is pyspark, which the venv step installs from
# requirements.txt: here only a check that it is complete.
service_jars() {
  "$REPO/services/kafka.sh" fetch
  "$REPO/services/cassandra.sh" fetch
  "$REPO/services/spark.sh" fetch
}

build_kernel() {
  cargo build --release --locked -p eddy-kernel
}

# The prelude as a dylib that links std dynamically: every cell links against it.
build_prelude() {
  cargo rustc --release --locked -p eddy-prelude --lib --crate-type dylib -- -C prefer-dynamic
}

install_kernel() {
  local bin=$EDDY_HOME/bin/eddy
  mkdir -p "$EDDY_HOME/bin"
  if ! cmp -s "$TARGET/release/eddy" "$bin"; then
    # copy then rename: a running kernel keeps its old inode instead of failing with ETXTBSY
    cp "$TARGET/release/eddy" "$bin.new"
    mv -f "$bin.new" "$bin"
  fi
  "$bin" install --prelude-from "$TARGET/release" --jupyter-dir "$VENV/share/jupyter" --user
  # The tests and the notebooks find the kernel through this kernelspec: check it is there.
  "$VENV/bin/python" - <<'EOF'
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
try:
    spec = KernelSpecManager().get_kernel_spec("eddy")
except NoSuchKernel:
    raise SystemExit("install.sh: error: `eddy install` wrote no kernelspec named eddy "
                     "that the venv's Jupyter can see")
print(f"    kernelspec eddy: {spec.resource_dir} -> {' '.join(spec.argv)}")
EOF
}

browser_hash() { cat "$REPO/tests/browser/package.json" "$REPO/tests/browser/package-lock.json" | sha256sum | cut -d' ' -f1; }

# The browser test's tools (tests/test_browser.py): Debian's chromium, node and npm, then
# playwright-core, pinned by tests/browser/package-lock.json, with `npm ci` into
# $EDDY_HOME/browser. playwright-core drives the system Chromium and downloads no browser.
# Missing tools are warned about, not fatal: the browser test then fails and says why.
browser_test_tools() {
  apt_install "${TEST_APT_PACKAGES[@]}"
  local node_version stamp=$BROWSER_DIR/.eddy-npm.sha256 want
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    warn "node or npm is missing: the browser test will fail (apt-get install nodejs npm)"
    return
  fi
  node_version=$(node --version)
  version_at_least "${node_version#v}" "$MIN_NODE" ||
    warn "node is $node_version; playwright-core needs $MIN_NODE or newer: the browser test will fail"
  want=$(browser_hash)
  if [[ -f $stamp && $(<"$stamp") == "$want" && -f $BROWSER_DIR/node_modules/playwright-core/package.json ]]; then
    echo "    $BROWSER_DIR up to date with tests/browser/package-lock.json"
    return
  fi
  echo "    npm ci playwright-core (tests/browser/package-lock.json) into $BROWSER_DIR"
  mkdir -p "$BROWSER_DIR"
  cp "$REPO/tests/browser/package.json" "$REPO/tests/browser/package-lock.json" "$BROWSER_DIR/"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix "$BROWSER_DIR" --ignore-scripts --no-audit \
    --no-fund --loglevel=error
  echo "$want" >"$stamp"
}

install_all() {
  step "Debian packages" debian_packages
  step "toolchains" toolchains
  step "Python venv" python_venv
  step "papermill parameters for Rust (python/eddy_papermill)" papermill_rust
  step "Kafka and Cassandra jars (Maven), Spark (pyspark)" service_jars
  step "build kernel (cargo build --release)" build_kernel
  step "build prelude dylib (cargo rustc --release)" build_prelude
  step "install kernel, prelude template and kernelspecs" install_kernel
}

# ---------------------------------------------------------------------------- other modes

# suite NAME COMMAND...: run one test suite, remember whether it failed, go on either way.
FAILED_SUITES=()
suite() {
  local name=$1 t0 rc=0
  shift
  t0=$(now_ds)
  echo "--> $name"
  "$@" || rc=$?
  if ((rc == 0)); then
    echo "==> $name ($(elapsed "$t0"))"
  else
    echo "==> $name FAILED with exit code $rc ($(elapsed "$t0"))"
    FAILED_SUITES+=("$name")
  fi
}

pytest_suite() {
  local rc=0
  # no .pytest_cache or __pycache__ in the source tree
  PYTHONDONTWRITEBYTECODE=1 "$VENV/bin/python" -m pytest tests -p no:cacheprovider || rc=$?
  ((rc != 5)) || echo "pytest collected no tests: that is a failure" >&2
  return "$rc"
}

run_tests() {
  if cargo fmt --version >/dev/null 2>&1; then
    suite "cargo fmt --check" cargo fmt --check -p eddy-kernel -p eddy-prelude
  else
    warn "rustfmt is not installed: skipping cargo fmt --check (rustup component add rustfmt)"
  fi
  # One package at a time, in release like the install: `--workspace` would unify features
  # across kernel and prelude (serde, smallvec, tokio, ...) and so build polars a second time.
  suite "cargo test -p eddy-kernel" cargo test --release --locked -p eddy-kernel
  suite "cargo test -p eddy-prelude" cargo test --release --locked -p eddy-prelude
  # Our patches to evcxr (vendor/PATCHES.md): the type-name rewriting has unit tests.
  # Selected with the kernel so that features unify as in the kernel build (no rebuild).
  suite "cargo test -p evcxr type_names" cargo test --release --locked -p eddy-kernel -p evcxr --lib type_names
  suite "pytest tests/ (the installed kernel)" pytest_suite
  # The walkthrough notebooks, headless, on the embedded default (the main job's own runner).
  suite "notebooks (papermill, embedded)" "$REPO/scripts/run-notebooks.sh"
  if ((${#FAILED_SUITES[@]})); then
    printf 'install.sh: failed: %s\n' "${FAILED_SUITES[@]}" >&2
    exit 1
  fi
  echo "==> every test suite passed"
}

# Dies if DIR is a path no uninstall should remove (/, $HOME, system dirs).
check_removable() {
  case $(realpath -m "$1") in
  / | "$(realpath -m "$HOME")" | /usr | /usr/* | /etc | /etc/* | /bin | /lib | /var | /opt | /tmp)
    die "refusing to remove $1"
    ;;
  esac
}

remove_dir() {
  local dir=$1
  check_removable "$dir"
  if [[ -e $dir ]]; then
    rm -rf "$dir"
    echo "    removed $dir"
  fi
}

uninstall() {
  local purge=$1 kernelspec
  check_removable "$EDDY_HOME" # before removing anything
  ((purge == 0)) || check_removable "$TARGET"
  # The venv's kernelspec goes with $EDDY_HOME. The user's goes only if it is ours: another
  # EDDY_HOME may have written it (`jupyter kernelspec remove` would take whichever it finds
  # first).
  kernelspec=$USER_JUPYTER/kernels/eddy
  if [[ -f $kernelspec/kernel.json ]]; then
    if grep -qF -e "$EDDY_HOME/bin/eddy" -e "$(realpath -m "$EDDY_HOME")/bin/eddy" \
      "$kernelspec/kernel.json"; then
      remove_dir "$kernelspec"
    else
      warn "$kernelspec belongs to another eddy install (not $EDDY_HOME): left alone"
    fi
  fi
  # Only what eddy puts there, in case EDDY_HOME points at a dir that holds more.
  local entry
  for entry in venv bin prelude sessions out browser; do
    remove_dir "$EDDY_HOME/$entry"
  done
  if [[ -d $EDDY_HOME ]]; then
    if rmdir "$EDDY_HOME" 2>/dev/null; then
      echo "    removed $EDDY_HOME"
    else
      warn "left $EDDY_HOME: it holds files eddy did not put there"
    fi
  fi
  if ((purge)); then
    remove_dir "$TARGET"
  else
    echo "    kept the cargo target cache $TARGET (./install.sh --purge removes it too)"
  fi
}

# ---------------------------------------------------------------------------- main

main() {
  local mode=install purge=0 arg

  for arg in "$@"; do
    case $arg in
    --run | --test | --uninstall)
      [[ $mode == install || $mode == "${arg#--}" ]] || die "choose one of --run, --test, --uninstall"
      mode=${arg#--}
      ;;
    --purge)
      [[ $mode == install || $mode == uninstall ]] || die "--purge goes with --uninstall only"
      mode=uninstall purge=1
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) die "unknown option $arg (see ./install.sh --help)" ;;
    esac
  done

  T_START=$(now_ds)
  echo "eddy: EDDY_HOME=$EDDY_HOME, cargo target dir $TARGET"
  case $mode in
  install)
    install_all
    echo "==> installed in $(elapsed "$T_START"): start JupyterLab with $VENV/bin/jupyter lab"
    ;;
  run)
    install_all
    step "run the notebooks" "$REPO/scripts/run-notebooks.sh"
    echo "==> done in $(elapsed "$T_START")"
    ;;
  test)
    install_all
    step "browser test tools (chromium, node, playwright-core)" browser_test_tools
    run_tests
    echo "==> done in $(elapsed "$T_START")"
    ;;
  uninstall)
    step "uninstall" uninstall "$purge"
    ;;
  esac
}

# One line, read whole before it runs: editing this file (git pull) during a run is safe.
main "$@"; exit
