#!/usr/bin/env bash
# services/kafka.sh: a real single-node Apache Kafka 4 (KRaft) on 127.0.0.1, from Maven Central.
#
#   services/kafka.sh fetch                   copy the broker's jars into the state dir (Maven;
#                                             nothing to do when they are there)
#   services/kafka.sh start                   start the broker (fetches first if needed) and
#                                             wait until it answers metadata requests
#   services/kafka.sh stop                    SIGTERM (controlled shutdown), SIGKILL after 30 s
#   services/kafka.sh status                  exit 0 running, 1 running but not answering, 3 stopped
#   services/kafka.sh wipe                    stop, then delete the data and logs (keeps the jars)
#   services/kafka.sh create-topic NAME PARTITIONS
#                                             create a topic (replication factor 1); fine if it
#                                             exists with that many partitions
#   services/kafka.sh list-topics             print the topic names
#
# Broker PLAINTEXT://127.0.0.1:9092, controller 127.0.0.1:9093. Auto-creation of topics is off:
# create them with create-topic or an admin client. State in
# $EDDY_HOME/services/kafka (EDDY_HOME defaults to ${XDG_DATA_HOME:-~/.local/share}/eddy):
# lib/ (jars), data/, logs/ (server.log, stdout.log), kafka.pid. See services/README.md.
# KAFKA_START_TIMEOUT (seconds, default 60) bounds the wait in `start`.
set -euo pipefail

PROG=kafka.sh
# shellcheck source=services/lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HERE=$SERVICES_DIR/kafka
STATE=$SERVICES_STATE/kafka
LIB=$STATE/lib
DATA=$STATE/data
LOGS=$STATE/logs
PIDFILE=$STATE/kafka.pid
ADDR=127.0.0.1
PORT=9092
CONTROLLER_PORT=9093
BOOTSTRAP=$ADDR:$PORT
# Marks the JVM as ours (and this state dir's): `stop` signals only a process that has it.
MARKER=-Deddy.service=kafka:$STATE
START_TIMEOUT=${KAFKA_START_TIMEOUT:-60}
STOP_TIMEOUT=30

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }

running_pid() { pid_from "$PIDFILE" "$MARKER"; }

cmd_fetch() {
  fetch_jars "$HERE/pom.xml" "$LIB"
}

# A Kafka cluster id: 16 random bytes in URL-safe base64 without padding (what
# `kafka-storage random-uuid` prints), never starting with '-'.
random_cluster_id() {
  local id
  while :; do
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
    [[ $id == -* ]] || break
  done
  echo "$id"
}

log_tail() {
  echo "---- last lines of $LOGS/server.log and $LOGS/stdout.log:" >&2
  tail -n 25 "$LOGS/server.log" 2>/dev/null >&2 || true
  tail -n 15 "$LOGS/stdout.log" 2>/dev/null >&2 || true
}

cmd_start() {
  local pid t0 i
  if pid=$(running_pid); then
    if kafka_metadata_probe "$ADDR" "$PORT"; then
      say "already running (pid $pid) on $BOOTSTRAP"
      return
    fi
    say "running (pid $pid) but not answering yet: waiting"
  else
    require_java
    if ! jars_complete "$HERE/pom.xml" "$LIB"; then
      cmd_fetch
    fi
    need_free_port "$ADDR" "$PORT" "Kafka broker"
    need_free_port "$ADDR" "$CONTROLLER_PORT" "Kafka controller"
    mkdir -p "$DATA" "$LOGS"
    sed "s|@DATA_DIR@|$DATA|g" "$HERE/server.properties" >"$STATE/server.properties"
    if [[ ! -f $DATA/meta.properties ]]; then
      say "formatting the KRaft storage in $DATA"
      java -cp "$LIB/*" -Dlog4j2.configurationFile="$HERE/log4j2.yaml" -Dkafka.logs.dir="$LOGS" \
        kafka.tools.StorageTool format --standalone -t "$(random_cluster_id)" \
        -c "$STATE/server.properties" >>"$LOGS/stdout.log" 2>&1 ||
        {
          log_tail
          die "formatting $DATA failed (services/kafka.sh wipe starts from scratch)"
        }
    fi
    echo "---- $(date -Is) start" >>"$LOGS/stdout.log"
    launch "$PIDFILE" "$LOGS/stdout.log" "$STATE" \
      java -Xms512m -Xmx1g -XX:+UseG1GC -Djava.awt.headless=true "$MARKER" \
      -Dlog4j2.configurationFile="$HERE/log4j2.yaml" -Dkafka.logs.dir="$LOGS" \
      -cp "$LIB/*" kafka.Kafka "$STATE/server.properties"
    pid=$(<"$PIDFILE")
    say "started the broker (pid $pid), waiting for it on $BOOTSTRAP"
  fi
  t0=$(now_ms)
  for ((i = 0; ; i++)); do
    if kafka_metadata_probe "$ADDR" "$PORT"; then
      say "up on $BOOTSTRAP in $(secs_since "$t0") s (pid $pid, logs in $LOGS)"
      return
    fi
    if ! alive "$pid"; then
      rm -f "$PIDFILE"
      log_tail
      die "the broker exited during startup"
    fi
    if (($(now_ms) - t0 > START_TIMEOUT * 1000)); then
      log_tail
      stop_pid "$pid" "the broker" "$STOP_TIMEOUT"
      rm -f "$PIDFILE"
      die "the broker did not answer on $BOOTSTRAP within $START_TIMEOUT s, so it was stopped (raise KAFKA_START_TIMEOUT on a slow machine)"
    fi
    sleep 0.2
  done
}

cmd_stop() {
  local pid t0
  if ! pid=$(running_pid); then
    say "not running"
    return
  fi
  t0=$(now_ms)
  stop_pid "$pid" "the broker" "$STOP_TIMEOUT"
  rm -f "$PIDFILE"
  say "stopped (pid $pid) in $(secs_since "$t0") s"
}

cmd_status() {
  local pid
  if ! pid=$(running_pid); then
    say "stopped"
    return 3
  fi
  if kafka_metadata_probe "$ADDR" "$PORT"; then
    say "running on $BOOTSTRAP (pid $pid, RSS $(rss_mb "$pid") MB, up $(uptime_s "$pid") s)"
    return 0
  fi
  say "running (pid $pid) but not answering metadata requests on $BOOTSTRAP"
  return 1
}

cmd_wipe() {
  cmd_stop
  rm -rf "$DATA" "$LOGS" "$STATE/server.properties" "$STATE/classes"
  say "wiped $DATA and $LOGS (the jars in $LIB stay)"
}

# topics ARGS...: run Topics.java (compiled once into $STATE/classes) against the broker.
topics() {
  local classes=$STATE/classes stamp want
  running_pid >/dev/null || die "Kafka is not running: services/kafka.sh start"
  need_jars "$HERE/pom.xml" "$LIB" kafka
  want=$(cat "$HERE/Topics.java" "$LIB/.eddy-fetched" | sha256sum | cut -d' ' -f1)
  stamp=$classes/.source.sha256
  if [[ ! -f $stamp || $(<"$stamp") != "$want" ]]; then
    command -v javac >/dev/null ||
      die "javac not found: create-topic compiles a small admin tool, install a JDK (Debian: apt-get install openjdk-17-jdk-headless)"
    rm -rf "$classes"
    mkdir -p "$classes"
    javac -nowarn -d "$classes" -cp "$LIB/*" "$HERE/Topics.java"
    echo "$want" >"$stamp"
  fi
  java -Xmx256m -XX:TieredStopAtLevel=1 -Dlog4j2.level=WARN -cp "$classes:$LIB/*" Topics "$BOOTSTRAP" "$@"
}

cmd_create_topic() {
  (($# == 2)) || die "usage: services/kafka.sh create-topic NAME PARTITIONS"
  [[ $2 =~ ^[1-9][0-9]*$ ]] || die "PARTITIONS must be a positive integer, not '$2'"
  [[ $1 =~ ^[A-Za-z0-9._-]{1,249}$ ]] ||
    die "'$1' is not a valid topic name (letters, digits, '.', '_', '-'; at most 249)"
  topics create "$1" "$2"
}

main() {
  local cmd=${1:-}
  (($# > 0)) && shift
  case $cmd in
  fetch | start | stop | status | wipe | list-topics)
    (($# == 0)) || die "$cmd takes no arguments (see services/kafka.sh --help)"
    ;;
  esac
  case $cmd in
  fetch | start | stop | wipe) lock "$STATE.lock" ;;
  esac
  case $cmd in
  fetch) cmd_fetch ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  wipe) cmd_wipe ;;
  create-topic) cmd_create_topic "$@" ;;
  list-topics) topics list ;;
  -h | --help | help) usage ;;
  "") usage >&2 && exit 64 ;;
  *) die "unknown command '$cmd' (see services/kafka.sh --help)" ;;
  esac
}

main "$@"
