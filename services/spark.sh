#!/usr/bin/env bash
# services/spark.sh: a real Apache Spark 4.3 standalone cluster and a Spark Connect server on
# 127.0.0.1, from PyPI's pyspark (a full Spark distribution).
#
#   services/spark.sh fetch          make sure pyspark 4.3.0 is in the venv (installs the pins
#                                    of requirements.txt if it is not)
#   services/spark.sh start          the cluster: master spark://127.0.0.1:7077 (web UI 8080),
#                                    two workers of 1 core and 2 GB (web UIs 8081, 8082), and
#                                    Spark Connect sc://127.0.0.1:15002 as an application of
#                                    the master (2 executors of 1 core, driver UI 4040); waits
#                                    until both workers are alive, Connect answers and both
#                                    executors have registered
#   services/spark.sh start --local  only Spark Connect on sc://127.0.0.1:15002, one JVM with
#                                    master local[2] (the light option)
#   services/spark.sh stop           SIGTERM (Connect first), SIGKILL after 30 s
#   services/spark.sh status         one line a process; exit 0 running and answering, 1
#                                    running but not (all) answering, 3 stopped
#   services/spark.sh wipe           stop, then delete logs, work dirs and scratch space
#
# SPARK_HOME is the pyspark package folder in $EDDY_HOME/venv, which ./install.sh creates
# (EDDY_HOME defaults to ${XDG_DATA_HOME:-~/.local/share}/eddy). State in
# $EDDY_HOME/services/spark: logs/ (one file a process), *.pid, worker1/ and worker2/ (work
# dirs: executor logs), connect/ (the driver's directory), local/ (scratch). See
# services/README.md. SPARK_START_TIMEOUT (seconds, default 300) bounds the wait in `start`,
# SPARK_STOP_TIMEOUT (default 30) the wait after SIGTERM. SPARK_APP_JVM_OPTS adds JVM options
# to the Connect driver and the executors (-XX:TieredStopAtLevel=1 halves an executor's CPU
# to start, and slows long queries).
set -euo pipefail

PROG=spark.sh
# shellcheck source=services/lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HERE=$SERVICES_DIR/spark
REPO=$(dirname "$SERVICES_DIR")
STATE=$SERVICES_STATE/spark
LOGS=$STATE/logs
VENV=$EDDY_HOME/venv
PYTHON=$VENV/bin/python
SPARK_VERSION=4.3.0
# What `fetch` installs when the venv lacks it: these lines of requirements.txt, with the lock.
SPARK_REQUIREMENTS='^(pyspark|grpcio|grpcio-status|googleapis-common-protos|zstandard)=='
ADDR=127.0.0.1
MASTER_PORT=7077
MASTER_UI_PORT=8080
WORKER_UI_PORTS=('' 8081 8082) # worker N (1-based)
WORKERS=2
CONNECT_PORT=15002
DRIVER_UI_PORT=4040
MASTER_URL=spark://$ADDR:$MASTER_PORT
MASTER_UI=http://$ADDR:$MASTER_UI_PORT
DRIVER_UI=http://$ADDR:$DRIVER_UI_PORT
CONNECT_URL=sc://$ADDR:$CONNECT_PORT
START_TIMEOUT=${SPARK_START_TIMEOUT:-300}
STOP_TIMEOUT=${SPARK_STOP_TIMEOUT:-30}
APP_JVM_OPTS=${SPARK_APP_JVM_OPTS:-}

# The processes, by name: master, worker1, worker2, connect (the Connect server of the
# cluster) and local (the Connect server in local mode). Each JVM carries its marker.
pidfile() { echo "$STATE/$1.pid"; }
marker() { echo "-Deddy.service=spark-$1:$STATE"; }
# Spark's launcher splits *_OPTS on spaces but honours double quotes (a state dir with spaces)
quoted_marker() { echo "\"$(marker "$1")\""; }
proc_pid() { pid_from "$(pidfile "$1")" "$(marker "$1")"; }
CLUSTER_PROCS=(master worker1 worker2 connect)
ALL_PROCS=("${CLUSTER_PROCS[@]}" local)

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }

# ---------------------------------------------------------------------------- pyspark

# spark_home: print the pyspark folder of the venv, if pyspark $SPARK_VERSION is there.
spark_home() {
  local dir
  [[ -x $PYTHON ]] || return 1
  # find_spec finds the package without importing it (no py4j, no pandas: milliseconds)
  dir=$("$PYTHON" -c 'import importlib.util as u; s = u.find_spec("pyspark"); print(s.submodule_search_locations[0] if s else "")' 2>/dev/null) || return 1
  [[ -n $dir && -f $dir/version.py && -x $dir/bin/spark-class ]] || return 1
  grep -Eq "^__version__.*['\"]${SPARK_VERSION}['\"]" "$dir/version.py" || return 1
  compgen -G "$dir/jars/spark-connect_*-$SPARK_VERSION.jar" >/dev/null || return 1
  echo "$dir"
}

cmd_fetch() {
  local home t0
  if home=$(spark_home); then
    say "pyspark $SPARK_VERSION present: SPARK_HOME=$home"
    return
  fi
  [[ -x $PYTHON ]] ||
    die "no Python venv at $VENV: run ./install.sh first (it installs pyspark with requirements.txt)"
  grep -Eq "$SPARK_REQUIREMENTS" "$REPO/requirements.txt" ||
    die "requirements.txt pins no pyspark (looked for $SPARK_REQUIREMENTS)"
  say "installing pyspark $SPARK_VERSION and its Connect client into $VENV (pip; a 455 MB download the first time)"
  t0=$(now_ms)
  "$PYTHON" -m pip install --disable-pip-version-check --no-input -q \
    -r <(grep -E "$SPARK_REQUIREMENTS" "$REPO/requirements.txt") -c "$REPO/requirements-lock.txt" ||
    die "pip could not install pyspark $SPARK_VERSION into $VENV (is PyPI reachable?)"
  home=$(spark_home) || die "pip installed pyspark, but $VENV has no pyspark $SPARK_VERSION with bin/ and jars/"
  say "installed pyspark $SPARK_VERSION in $(secs_since "$t0") s: SPARK_HOME=$home"
}

need_python() {
  [[ -x $PYTHON ]] ||
    die "no Python venv at $VENV (the probes need its grpcio): run ./install.sh first"
}

probe() { PROBE_TIMEOUT=5 timeout 20 "$PYTHON" "$HERE/probe.py" "$@"; }
connect_probe() { probe connect "$ADDR:$CONNECT_PORT"; }

# ---------------------------------------------------------------------------- start

# spark_env: the environment of every Spark JVM started here.
spark_env() {
  SPARK_HOME=$(spark_home) || {
    cmd_fetch
    SPARK_HOME=$(spark_home)
  }
  export SPARK_HOME
  export SPARK_SCALA_VERSION=2.13 # what bin/load-spark-env.sh sets for the launcher
  export SPARK_LOCAL_IP=$ADDR
  # log4j2.properties, and no spark-env.sh or spark-defaults.conf from elsewhere
  export SPARK_CONF_DIR=$HERE
  export SPARK_LOCAL_DIRS=$STATE/local
  export SPARK_DAEMON_MEMORY=512m # master and workers: heap for bookkeeping only
  # ... and C1 only: the master then answers after 4.5 s of CPU instead of 12 (C2 compiles
  # for 7 s); the daemons run no user code that C2 would speed up
  export SPARK_DAEMON_JAVA_OPTS=-XX:TieredStopAtLevel=1
  unset SPARK_MASTER_OPTS SPARK_WORKER_OPTS SPARK_SUBMIT_OPTS MASTER
  mkdir -p "$LOGS" "$SPARK_LOCAL_DIRS"
}

log_tail() {
  local name
  for name in "$@"; do
    echo "---- last lines of $LOGS/$name.log:" >&2
    grep -v '^\s*at ' "$LOGS/$name.log" 2>/dev/null | tail -n 15 >&2 || true
  done
}

# spark_java CLASS ARGS...: set JAVA_CMD to the java command line that Spark's launcher builds
# for CLASS (what bin/spark-class would exec after running the launcher), so that `launch`
# starts that JVM directly: then the pid file holds the JVM from the first moment, and the
# marker is among its arguments (through spark-class, the process is a bash without the marker
# for the seconds the launcher takes, and looks stopped). Output of the launcher: messages,
# "\0\n", then the arguments, each ended by NUL.
spark_java() {
  local out rc
  mapfile -d '' out < <(java -Xmx128m -XX:TieredStopAtLevel=1 -cp "$SPARK_HOME/jars/*" org.apache.spark.launcher.Main "$@"
    printf '%d\0' "$?")
  rc=${out[-1]}
  ((rc == 0 && ${#out[@]} > 2)) || die "Spark's launcher could not build the command of $1 (exit $rc)"
  [[ -z ${out[0]} ]] || echo "${out[0]}" >&2
  JAVA_CMD=("${out[@]:1:${#out[@]}-2}")
  JAVA_CMD[0]=${JAVA_CMD[0]#$'\n'}
}

start_log() { echo "---- $(date -Is) start" >>"$LOGS/$1.log"; }

# need_ports NAME...: die, naming the holder, if a fixed port of one of these processes is taken
# (before anything starts: a start that fails on a port launches nothing).
need_ports() {
  local name
  for name in "$@"; do
    case $name in
    master)
      need_free_port "$ADDR" "$MASTER_PORT" "Spark master"
      need_free_port "$ADDR" "$MASTER_UI_PORT" "Spark master web UI"
      ;;
    worker*) need_free_port "$ADDR" "${WORKER_UI_PORTS[${name#worker}]}" "web UI of Spark $name" ;;
    connect | local)
      need_free_port "$ADDR" "$CONNECT_PORT" "Spark Connect"
      need_free_port "$ADDR" "$DRIVER_UI_PORT" "Spark driver web UI"
      ;;
    esac
  done
}

launch_master() {
  start_log master
  # no REST submission server (it would open port 6066)
  SPARK_MASTER_OPTS="$(quoted_marker master) -Dspark.master.rest.enabled=false" \
    spark_java org.apache.spark.deploy.master.Master \
    --host "$ADDR" --port "$MASTER_PORT" --webui-port "$MASTER_UI_PORT"
  launch "$(pidfile master)" "$LOGS/master.log" "$STATE" "${JAVA_CMD[@]}"
}

launch_worker() {
  local n=$1 dir=$STATE/worker$1
  mkdir -p "$dir"
  start_log "worker$n"
  # each application leaves a dir of executor logs in the work dir: a day is kept
  SPARK_WORKER_OPTS="$(quoted_marker "worker$n") -Dspark.worker.cleanup.enabled=true -Dspark.worker.cleanup.appDataTtl=86400" \
    spark_java org.apache.spark.deploy.worker.Worker "$MASTER_URL" \
    --host "$ADDR" --cores 1 --memory 2g --webui-port "${WORKER_UI_PORTS[$n]}" --work-dir "$dir"
  launch "$(pidfile "worker$n")" "$LOGS/worker$n.log" "$dir" "${JAVA_CMD[@]}"
}

# launch_connect NAME: the Connect server, an application of the master (connect) or with
# master local[2] (local). Heaps for 2 cores and 24 GB: a 4 GB driver and two 1 GB
# executors, or one 4 GB JVM that is driver and executors in one. The driver holds what a
# collect() brings back: with 1 GB, the 165 MB task result of a 1M × 20 collect ran it out
# of heap while deserialising, and Spark then left the job waiting forever. So the driver
# also exits on an OutOfMemoryError (the client then says the server is gone and how to
# start it) rather than hanging.
launch_connect() {
  local name=$1 dir=$STATE/connect args
  # Spark's launcher gives the Connect server the *daemon* heap and JVM options (as it does
  # the Thrift server), not --driver-memory: without these two lines the driver ran with
  # the master's 512 MB and C1 only.
  local SPARK_DAEMON_MEMORY=4g SPARK_DAEMON_JAVA_OPTS=
  export SPARK_DAEMON_MEMORY SPARK_DAEMON_JAVA_OPTS
  if [[ $name == local ]]; then
    args=(--master 'local[2]' --driver-memory "$SPARK_DAEMON_MEMORY")
  else
    args=(--master "$MASTER_URL" --driver-memory "$SPARK_DAEMON_MEMORY"
      --conf spark.executor.memory=1g --conf spark.executor.cores=1 --conf spark.cores.max=2)
  fi
  mkdir -p "$dir"
  start_log "$name"
  spark_java org.apache.spark.deploy.SparkSubmit \
    --class org.apache.spark.sql.connect.service.SparkConnectServer \
    --name "eddy Spark Connect ($name)" "${args[@]}" \
    --driver-java-options "$(quoted_marker "$name") -XX:+ExitOnOutOfMemoryError $APP_JVM_OPTS" \
    --conf spark.executor.extraJavaOptions="$APP_JVM_OPTS" \
    --conf spark.connect.grpc.binding.address="$ADDR" \
    --conf spark.connect.grpc.binding.port="$CONNECT_PORT" \
    --conf spark.driver.host="$ADDR" \
    --conf spark.ui.port="$DRIVER_UI_PORT" \
    --conf spark.sql.warehouse.dir="$dir/warehouse" \
    --conf spark.sql.shuffle.partitions=8 \
    --conf spark.sql.artifact.copyFromLocalToFs.allowDestLocal=true \
    --conf spark.ui.showConsoleProgress=false \
    spark-internal
  launch "$(pidfile "$name")" "$LOGS/$name.log" "$dir" "${JAVA_CMD[@]}"
}

# STARTED: names this start launched; an EXIT trap stops them if the start fails.
STARTED=()
stop_started() {
  ((${#STARTED[@]})) || return 0
  echo "$PROG: stopping what this start launched: ${STARTED[*]}" >&2
  stop_procs "${STARTED[@]}" >/dev/null
}
started() {
  STARTED+=("$1")
  say "started $1 (pid $(<"$(pidfile "$1")"))"
}

# wait_for WHAT T0 NAMES -- COMMAND...: run COMMAND every second until it succeeds (then say
# WHAT and the time since T0); fail (with the logs of NAMES) when one of NAMES exits or
# START_TIMEOUT passes since T0.
wait_for() {
  local what=$1 t0=$2 names=() name out
  shift 2
  while [[ $1 != -- ]]; do
    names+=("$1")
    shift
  done
  shift
  while :; do
    if out=$("$@" 2>&1); then
      say "$what after $(secs_since "$t0") s"
      return 0
    fi
    for name in "${names[@]}"; do
      if ! proc_pid "$name" >/dev/null; then
        log_tail "$name"
        die "$name exited during startup (waiting for $what); log: $LOGS/$name.log"
      fi
    done
    if (($(now_ms) - t0 > START_TIMEOUT * 1000)); then
      echo "$out" >&2
      log_tail "${names[@]}"
      die "no $what within $START_TIMEOUT s (raise SPARK_START_TIMEOUT on a slow machine); logs in $LOGS"
    fi
    sleep 1
  done
}

cmd_start() {
  local local_mode=$1 name t0 todo=()
  need_python
  t0=$(now_ms)
  if ((local_mode)); then
    for name in "${CLUSTER_PROCS[@]}"; do
      ! proc_pid "$name" >/dev/null ||
        die "the standalone cluster runs ($name): stop it first (services/spark.sh stop)"
    done
    if proc_pid local >/dev/null; then
      wait_for "answer from Spark Connect on $CONNECT_URL" "$t0" local -- connect_probe
      say "already running: Spark Connect (local[2]) on $CONNECT_URL"
      return
    fi
    require_java
    need_ports local
    spark_env
    trap stop_started EXIT
    launch_connect local
    started local
    wait_for "answer from Spark Connect on $CONNECT_URL" "$t0" local -- connect_probe
    trap - EXIT
    say "up in $(secs_since "$t0") s: Spark Connect (local[2]) on $CONNECT_URL, driver UI $DRIVER_UI; logs in $LOGS"
    return
  fi

  ! proc_pid local >/dev/null ||
    die "Spark Connect runs in local mode: stop it first (services/spark.sh stop)"
  for name in "${CLUSTER_PROCS[@]}"; do
    proc_pid "$name" >/dev/null || todo+=("$name")
  done
  if ((${#todo[@]})); then
    require_java
    need_ports "${todo[@]}"
    spark_env
    trap stop_started EXIT
  fi
  # The master first: a worker that finds no master retries only after 5-15 s, and an
  # application after 20 s.
  if [[ " ${todo[*]} " == *" master "* ]]; then
    launch_master
    started master
  fi
  wait_for "answer from the master on $MASTER_UI" "$t0" master -- probe master "$MASTER_UI"
  for name in "${todo[@]}"; do
    case $name in
    worker*)
      launch_worker "${name#worker}"
      started "$name"
      ;;
    connect)
      launch_connect connect
      started connect
      ;;
    esac
  done
  wait_for "$WORKERS alive workers at the master" "$t0" master worker1 worker2 -- \
    probe master "$MASTER_UI" "$WORKERS"
  wait_for "answer from Spark Connect on $CONNECT_URL" "$t0" connect -- connect_probe
  wait_for "$WORKERS executors registered with the driver" "$t0" master worker1 worker2 connect -- \
    probe executors "$DRIVER_UI" "$WORKERS"
  trap - EXIT
  if ((${#todo[@]})); then
    say "up in $(secs_since "$t0") s: Spark Connect on $CONNECT_URL, master $MASTER_URL (UI $MASTER_UI), $WORKERS workers, driver UI $DRIVER_UI; logs in $LOGS"
  else
    say "already running: Spark Connect on $CONNECT_URL, master $MASTER_URL, $WORKERS workers"
  fi
}

# ---------------------------------------------------------------------------- stop

# executor_pids: the executor JVMs our workers launched (their children).
executor_pids() {
  local name pid
  for name in worker1 worker2; do
    pid=$(proc_pid "$name") || continue
    pgrep -P "$pid" -f CoarseGrainedExecutorBackend || true
  done
}

# stop_procs NAME...: SIGTERM to the Connect servers first (their application ends cleanly),
# then to the rest at once; SIGKILL after STOP_TIMEOUT. Executors of the workers go with them.
stop_procs() {
  local name pid group pids names stopped=() executors i
  executors=$(executor_pids)
  for group in "connect local" "worker1 worker2 master"; do
    pids=() names=()
    for name in $group; do
      [[ " $* " == *" $name "* ]] || continue
      if pid=$(proc_pid "$name"); then
        kill -TERM "$pid" 2>/dev/null || true
        pids+=("$pid")
        names+=("$name")
      fi
    done
    for i in "${!pids[@]}"; do
      stop_pid "${pids[$i]}" "${names[$i]}" "$STOP_TIMEOUT"
      rm -f "$(pidfile "${names[$i]}")"
      stopped+=("${names[$i]}")
    done
  done
  # a worker kills its executors when it stops; one that was SIGKILLed cannot
  for pid in $executors; do
    if alive "$pid" && grep -qzF CoarseGrainedExecutorBackend "/proc/$pid/cmdline" 2>/dev/null; then
      stop_pid "$pid" "an executor" "$STOP_TIMEOUT"
    fi
  done
  echo "${stopped[*]}"
}

cmd_stop() {
  local t0 stopped
  t0=$(now_ms)
  stopped=$(stop_procs "${ALL_PROCS[@]}")
  if [[ -z $stopped ]]; then
    say "not running"
  else
    say "stopped $stopped in $(secs_since "$t0") s"
  fi
}

# ---------------------------------------------------------------------------- status, wipe

# proc_line NAME PID: "pid 123, RSS 240 MB, up 10 s"
proc_line() { echo "pid $2, RSS $(rss_mb "$2") MB, up $(uptime_s "$2") s"; }

cmd_status() {
  local name pid cluster=0 running=0 answering=0 view='' line exe n
  need_python
  if pid=$(proc_pid local); then
    running=1
    if connect_probe >/dev/null 2>&1; then
      answering=1
      say "connect (local[2]): running, answers on $CONNECT_URL ($(proc_line local "$pid"))"
    else
      say "connect (local[2]): running, does not answer on $CONNECT_URL (pid $pid)"
    fi
  fi
  for name in "${CLUSTER_PROCS[@]}"; do
    proc_pid "$name" >/dev/null && cluster=$((cluster + 1))
  done
  if ((running + cluster == 0)); then
    say "stopped"
    return 3
  fi
  # The cluster: a line for each of its processes, unless only the local server runs.
  if ((cluster > 0 || running == 0)); then
    running=$((running + ${#CLUSTER_PROCS[@]}))
    view=$(probe master "$MASTER_UI" 2>/dev/null || true)
    if pid=$(proc_pid master); then
      if [[ $view == "master $MASTER_URL ALIVE"* ]]; then
        answering=$((answering + 1))
        say "master: running, ALIVE on $MASTER_URL, UI $MASTER_UI ($(proc_line master "$pid"))"
      else
        say "master: running, its UI does not answer on $MASTER_UI (pid $pid)"
      fi
    else
      say "master: stopped"
    fi
    for n in $(seq 1 "$WORKERS"); do
      if pid=$(proc_pid "worker$n"); then
        line=$(grep -F "worker http://$ADDR:${WORKER_UI_PORTS[$n]} " <<<"$view" || true)
        exe=$(pgrep -P "$pid" -f CoarseGrainedExecutorBackend | head -n 1 || true)
        exe=${exe:+, executor pid $exe RSS $(rss_mb "$exe") MB}
        if [[ $line == *" ALIVE "* ]]; then
          answering=$((answering + 1))
          say "worker$n: running, ALIVE at the master, ${line#* ALIVE } ($(proc_line "worker$n" "$pid")$exe)"
        else
          say "worker$n: running, not registered with the master (pid $pid$exe)"
        fi
      else
        say "worker$n: stopped"
      fi
    done
    if pid=$(proc_pid connect); then
      if connect_probe >/dev/null 2>&1; then
        answering=$((answering + 1))
        say "connect: running, answers on $CONNECT_URL, driver UI $DRIVER_UI ($(proc_line connect "$pid"))"
      else
        say "connect: running, does not answer on $CONNECT_URL (pid $pid)"
      fi
    else
      say "connect: stopped"
    fi
  fi
  # running counts what should run: the local server, or all four of the cluster
  ((answering == running)) || return 1
}

cmd_wipe() {
  cmd_stop
  rm -rf "$LOGS" "$STATE"/worker[0-9]* "$STATE/connect" "$STATE/local"
  say "wiped $STATE (pyspark stays in $VENV)"
}

main() {
  local cmd=${1:-} local_mode=0
  (($# > 0)) && shift
  case $cmd in
  start)
    if (($# == 1)) && [[ $1 == --local ]]; then
      local_mode=1
    elif (($# > 0)); then
      die "start takes only --local (see services/spark.sh --help)"
    fi
    ;;
  fetch | stop | status | wipe)
    (($# == 0)) || die "$cmd takes no arguments (see services/spark.sh --help)"
    ;;
  esac
  case $cmd in
  fetch | start | stop | wipe) lock "$STATE.lock" ;;
  esac
  case $cmd in
  fetch) cmd_fetch ;;
  start) cmd_start "$local_mode" ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  wipe) cmd_wipe ;;
  -h | --help | help) usage ;;
  "") usage >&2 && exit 64 ;;
  *) die "unknown command '$cmd' (see services/spark.sh --help)" ;;
  esac
}

main "$@"
