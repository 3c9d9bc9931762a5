#!/usr/bin/env bash
# services/cassandra.sh: real Apache Cassandra 5.0 nodes on loopback, from Maven Central.
#
#   services/cassandra.sh fetch                  copy Cassandra's jars into the state dir (Maven;
#                                                nothing to do when they are there)
#   services/cassandra.sh start [--nodes 1|3] [--auth] [--tls]
#                                                start the one-node or the three-node cluster
#                                                (fetches first if needed); waits until CQL
#                                                answers on every node, all are UN in nodetool,
#                                                and with --auth until cassandra/cassandra can
#                                                log in (PasswordAuthenticator, CassandraAuthorizer);
#                                                --tls: CQL only over TLS (client_encryption_options),
#                                                clients verify against the CA in tls/ca.pem
#   services/cassandra.sh stop [--nodes 1|3] [NODE]
#                                                SIGTERM (SIGKILL after 60 s): every node, or one
#   services/cassandra.sh kill [--nodes 1|3] NODE    SIGKILL one node (failure tests)
#   services/cassandra.sh start-node [--nodes 1|3] NODE
#                                                start one node of a cluster again and wait
#                                                until it is UN
#   services/cassandra.sh status [--nodes 1|3]   one line a node; exit 0 when every node of a
#                                                running cluster answers CQL, 1 when some do not,
#                                                3 when nothing runs
#   services/cassandra.sh nodetool [--nodes 1|3] [--node NODE] ARGS...
#                                                run nodetool against a node (JMX)
#   services/cassandra.sh wipe [--nodes 1|3]     stop, then delete the data (keeps the jars)
#
# The two clusters are independent and can run at the same time:
#   --nodes 1 (the default): one node on 127.0.0.1, CQL 9042, JMX 7199, cluster "eddy"
#   --nodes 3: 127.0.3.1, 127.0.3.2, 127.0.3.3 (NODE 1, 2, 3), CQL 9042 on each,
#              JMX 7201, 7202, 7203, cluster "eddy-3"
# status and wipe without --nodes cover both. State in $EDDY_HOME/services/cassandra
# (EDDY_HOME defaults to ${XDG_DATA_HOME:-~/.local/share}/eddy): lib/ (jars), then
# single/node1/ and cluster3/node{1,2,3}/, each with its data, logs/ and cassandra.pid; tls/
# (made by the first start --tls): ca.pem, the CA that signed the nodes' certificate.
# CASSANDRA_START_TIMEOUT (seconds a node, default 120) bounds the waits; CASSANDRA_JVM_OPTS
# adds JVM options (split on spaces). See services/README.md.
set -euo pipefail

PROG=cassandra.sh
# shellcheck source=services/lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HERE=$SERVICES_DIR/cassandra
STATE=$SERVICES_STATE/cassandra
LIB=$STATE/lib
CQL_PORT=9042
STORAGE_PORT=7000
START_TIMEOUT=${CASSANDRA_START_TIMEOUT:-120}
STOP_TIMEOUT=60
SUPERUSER=cassandra
# --tls: one CA and one node certificate for every address of both clusters, made once
TLS_DIR=$STATE/tls
TLS_CA=$TLS_DIR/ca.pem
TLS_KEYSTORE=$TLS_DIR/keystore.p12
TLS_PASSWORD_FILE=$TLS_DIR/keystore.password
TLS_SAN=IP:127.0.0.1,DNS:localhost,IP:127.0.3.1,IP:127.0.3.2,IP:127.0.3.3
TLS_DAYS=3650
# Java 17 needs these for the server and for nodetool (found one error at a time); the rest of
# Cassandra's jvm17-server.options is not needed here.
JAVA17_FLAGS=(
  --add-opens java.base/sun.nio.ch=ALL-UNNAMED
  --add-exports java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens java.base/java.io=ALL-UNNAMED
  --add-exports java.rmi/sun.rmi.registry=ALL-UNNAMED
)

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }

# ---------------------------------------------------------------------------- layout

# use_cluster N: CLUSTER_DIR, CLUSTER_NAME, ADDRS[], JMX_PORTS[] (index 1..N), RING_DELAY_MS,
# JIT_FLAGS[].
use_cluster() {
  NODES=$1
  case $NODES in
  1)
    CLUSTER_DIR=$STATE/single CLUSTER_NAME=eddy
    ADDRS=('' 127.0.0.1)
    JMX_PORTS=('' 7199)
    RING_DELAY_MS=1000 # no peers to hear from
    JIT_FLAGS=()
    ;;
  3)
    CLUSTER_DIR=$STATE/cluster3 CLUSTER_NAME=eddy-3
    ADDRS=('' 127.0.3.1 127.0.3.2 127.0.3.3)
    JMX_PORTS=('' 7201 7202 7203)
    RING_DELAY_MS=5000
    # C1 only: half the CPU to start (11 s instead of 20 s a node here), for three JVMs that
    # share two cores and serve failure tests, not benchmarks
    JIT_FLAGS=(-XX:TieredStopAtLevel=1)
    ;;
  *) die "--nodes must be 1 or 3, not '$NODES'" ;;
  esac
  SEEDS=${ADDRS[1]}:$STORAGE_PORT
}

node_dir() { echo "$CLUSTER_DIR/node$1"; }
pidfile() { echo "$CLUSTER_DIR/node$1/cassandra.pid"; }
# Marks the JVM as ours (and this node dir's): stop and kill signal only a process that has it.
marker() { echo "-Deddy.service=cassandra:$CLUSTER_DIR/node$1"; }
node_pid() { pid_from "$(pidfile "$1")" "$(marker "$1")"; }
node_name() { echo "node $1 (${ADDRS[$1]})"; }

check_node() {
  if ! [[ $1 =~ ^[0-9]+$ ]] || (($1 < 1 || $1 > NODES)); then
    die "NODE must be a number from 1 to $NODES for the $NODES-node cluster, not '$1'"
  fi
}

log_tail() {
  local dir
  dir=$(node_dir "$1")
  echo "---- last lines of $dir/logs/system.log and stdout.log:" >&2
  tail -n 25 "$dir/logs/system.log" 2>/dev/null >&2 || true
  tail -n 10 "$dir/logs/stdout.log" 2>/dev/null >&2 || true
}

# ---------------------------------------------------------------------------- nodetool

# run_nodetool NODE ARGS...: nodetool against NODE's JMX port. It writes its history under
# user.home, so that points into the state dir.
run_nodetool() {
  local node=$1
  shift
  java -Xmx256m -XX:TieredStopAtLevel=1 -Duser.home="$STATE" "${JAVA17_FLAGS[@]}" \
    -Dlogback.configurationFile="$HERE/logback-tools.xml" \
    -cp "$LIB/*" org.apache.cassandra.tools.NodeTool -h 127.0.0.1 -p "${JMX_PORTS[$node]}" "$@"
}

# up_normal NODE: the addresses NODE's nodetool status shows as UN, one a line.
up_normal() {
  run_nodetool "$1" status 2>/dev/null | awk '$1 == "UN" { sub(/:[0-9]+$/, "", $2); print $2 }'
}

# wait_un VIEWER NODE...: wait until VIEWER's nodetool status shows every NODE as UN.
wait_un() {
  local viewer=$1 t0 un node missing
  shift
  t0=$(now_ms)
  while :; do
    un=$(up_normal "$viewer" || true)
    missing=()
    for node in "$@"; do
      grep -qxF "${ADDRS[$node]}" <<<"$un" || missing+=("${ADDRS[$node]}")
    done
    ((${#missing[@]} == 0)) && return 0
    if (($(now_ms) - t0 > START_TIMEOUT * 1000)); then
      run_nodetool "$viewer" status >&2 || true
      die "not UN in node $viewer's view after $START_TIMEOUT s: ${missing[*]}"
    fi
    sleep 1
  done
}

# ---------------------------------------------------------------------------- start

# initial_tokens NODE: NODE's 16 tokens, a comma-separated list. The tokens of a cluster are
# evenly spaced over the Murmur3 range and dealt round-robin, so the ring is balanced and two
# nodes that join at the same time cannot pick the same tokens (the token allocator would:
# it is deterministic, and a collision kills the second node).
initial_tokens() {
  local node=$1 total=$((16 * NODES)) step k tokens=()
  # shellcheck disable=SC2017 # 2^64 / total, in the order that does not overflow
  step=$((2 ** 62 / total * 4))
  for ((k = node - 1; k < total; k += NODES)); do
    tokens+=($(((k - total / 2) * step + step / 2))) # never the minimum token, -2^63
  done
  local IFS=,
  echo "${tokens[*]}"
}

# render_yaml NODE AUTH TLS: NODE's cassandra.yaml from the template.
render_yaml() {
  local node=$1 auth=$2 tls=$3 dir authenticator=AllowAllAuthenticator authorizer=AllowAllAuthorizer
  local client_tls=false password=''
  dir=$(node_dir "$node")
  if ((auth)); then
    authenticator=PasswordAuthenticator authorizer=CassandraAuthorizer
  fi
  if ((tls)); then
    client_tls=true
    password=$(<"$TLS_PASSWORD_FILE")
  fi
  sed -e "s|@CLUSTER@|$CLUSTER_NAME|g" -e "s|@SEEDS@|$SEEDS|g" -e "s|@ADDR@|${ADDRS[$node]}|g" \
    -e "s|@NODE_DIR@|$dir|g" -e "s|@AUTHENTICATOR@|$authenticator|g" \
    -e "s|@AUTHORIZER@|$authorizer|g" -e "s|@INITIAL_TOKEN@|$(initial_tokens "$node")|g" \
    -e "s|@CLIENT_TLS@|$client_tls|g" -e "s|@KEYSTORE@|$TLS_KEYSTORE|g" \
    -e "s|@KEYSTORE_PASSWORD@|$password|g" \
    "$HERE/cassandra.yaml" >"$dir/cassandra.yaml"
  chmod 600 "$dir/cassandra.yaml" # it may hold the keystore's password
}

# launch_node NODE AUTH TLS: start NODE's JVM (returns at once).
launch_node() {
  local node=$1 auth=$2 tls=$3 dir addr
  dir=$(node_dir "$node")
  addr=${ADDRS[$node]}
  local -a EXTRA_OPTS
  read -ra EXTRA_OPTS <<<"${CASSANDRA_JVM_OPTS:-}"
  need_free_port "$addr" "$CQL_PORT" "CQL of $(node_name "$node")"
  need_free_port "$addr" "$STORAGE_PORT" "storage of $(node_name "$node")"
  need_free_port 127.0.0.1 "${JMX_PORTS[$node]}" "JMX of $(node_name "$node")"
  mkdir -p "$dir"/{data,commitlog,saved_caches,hints,cdc_raw,logs}
  render_yaml "$node" "$auth" "$tls"
  echo "---- $(date -Is) start" >>"$dir/logs/stdout.log"
  # The two gossip flags let a node join in seconds instead of after a fixed 30 s ring delay;
  # the superuser flag lets `--auth` log in without the default 10 s delay; consistent
  # range movement off lets nodes 2 and 3 of a new cluster bootstrap at the same time.
  launch "$(pidfile "$node")" "$dir/logs/stdout.log" "$dir" \
    java -Xms1G -Xmx1G -XX:+UseG1GC "${JIT_FLAGS[@]}" "${JAVA17_FLAGS[@]}" \
    -Djava.net.preferIPv4Stack=true -Djava.awt.headless=true \
    "$(marker "$node")" \
    -Dcassandra.config="file://$dir/cassandra.yaml" \
    -Dcassandra-foreground=yes \
    -Dcassandra.storagedir="$dir" \
    -Dcassandra.logdir="$dir/logs" \
    -Dlogback.configurationFile="$HERE/logback.xml" \
    -Dcassandra.jmx.local.port="${JMX_PORTS[$node]}" \
    -Dcassandra.ring_delay_ms="$RING_DELAY_MS" \
    -Dcassandra.skip_wait_for_gossip_to_settle=0 \
    -Dcassandra.superuser_setup_delay_ms=0 \
    -Dcassandra.consistent.rangemovement=false \
    "${EXTRA_OPTS[@]}" \
    -cp "$LIB/*" org.apache.cassandra.service.CassandraDaemon
}

# ---------------------------------------------------------------------------- TLS

require_openssl() {
  command -v openssl >/dev/null ||
    die "openssl not found: --tls needs it to make the certificates and to check the nodes (Debian: apt-get install openssl)"
}

tls_complete() { [[ -s $TLS_CA && -s $TLS_KEYSTORE && -s $TLS_PASSWORD_FILE ]]; }

# make_tls: once, TLS_DIR with a self-signed CA (ca.pem, ca.key) and the nodes' certificate
# signed by it (node.pem; with its key and the CA in keystore.p12, for the nodes). The
# certificate names every node address and localhost (TLS_SAN), so clients can verify the
# host name. Made in a temporary dir and renamed: a concurrent start for the other cluster
# keeps whichever rename wins.
make_tls() {
  local tmp t0
  tls_complete && return 0
  require_openssl
  t0=$(now_ms)
  mkdir -p "$STATE"
  tmp=$(mktemp -d "$STATE/tls.making.XXXXXX")
  # (chained with &&: set -e has no effect inside an `if` condition)
  if ! (
    cd "$tmp" && umask 077 &&
      openssl rand -hex 16 >keystore.password &&
      openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days "$TLS_DAYS" \
        -keyout ca.key -out ca.pem -subj "/O=eddy/CN=eddy test CA" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
        -addext subjectKeyIdentifier=hash &&
      openssl req -new -newkey rsa:2048 -nodes -sha256 -keyout node.key -out node.csr \
        -subj "/O=eddy/CN=localhost" &&
      printf '%s\n' "subjectAltName=$TLS_SAN" basicConstraints=critical,CA:FALSE \
        keyUsage=critical,digitalSignature,keyEncipherment extendedKeyUsage=serverAuth \
        subjectKeyIdentifier=hash authorityKeyIdentifier=keyid >node.ext &&
      openssl x509 -req -sha256 -days "$TLS_DAYS" -in node.csr -CA ca.pem -CAkey ca.key \
        -set_serial "0x$(openssl rand -hex 16)" -extfile node.ext -out node.pem &&
      openssl verify -CAfile ca.pem node.pem &&
      openssl pkcs12 -export -name node -in node.pem -inkey node.key -certfile ca.pem \
        -out keystore.p12 -passout "file:keystore.password" &&
      rm -f node.csr node.ext &&
      chmod 644 ca.pem node.pem
  ) >"$tmp.log" 2>&1; then
    cat "$tmp.log" >&2
    rm -rf "$tmp" "$tmp.log"
    die "could not make the TLS certificates with openssl (output above)"
  fi
  rm -f "$tmp.log"
  chmod 755 "$tmp"
  if mv -T "$tmp" "$TLS_DIR" 2>/dev/null; then
    say "made a CA and the nodes' certificate ($TLS_SAN) in $TLS_DIR in $(secs_since "$t0") s"
  else
    rm -rf "$tmp"
    tls_complete || die "$TLS_DIR is incomplete (no ca.pem, keystore.p12 or keystore.password): delete it, with the --tls nodes stopped, and start again"
  fi
}

# node_tls NODE: 1 if NODE's cassandra.yaml turns client_encryption_options on, else 0. The
# yaml is rendered only when its node is launched, so for a running node it tells how that
# JVM was configured, whichever version of this script started it (no state file to go stale).
node_tls() {
  awk '/^client_encryption_options:/ { blk = 1; next }
    blk && /^[^ #]/ { exit }
    blk && $1 == "enabled:" { on = ($2 == "true"); exit }
    END { print on ? 1 : 0 }' "$(node_dir "$1")/cassandra.yaml" 2>/dev/null || echo 0
}

# cluster_tls: the cluster's mode: that of its first running node, else node 1's last start.
cluster_tls() {
  local node
  for node in $(seq 1 "$NODES"); do
    if node_pid "$node" >/dev/null; then
      node_tls "$node"
      return
    fi
  done
  node_tls 1
}

# mode_name AUTH TLS: "--auth --tls", "--auth", "--tls" or "neither --auth nor --tls"
mode_name() {
  local words=()
  (($1)) && words+=(--auth)
  (($2)) && words+=(--tls)
  ((${#words[@]})) || words=("neither --auth nor --tls")
  echo "${words[*]}"
}

# probe NODE [USER PASSWORD]: cql_probe, over TLS when the node was started with --tls.
probe() {
  local node=$1
  shift
  if (($(node_tls "$node"))); then
    cql_probe --tls "$TLS_CA" "${ADDRS[$node]}" "$CQL_PORT" "$@"
  else
    cql_probe "${ADDRS[$node]}" "$CQL_PORT" "$@"
  fi
}

# wait_cql NODE [USER PASSWORD]: wait until NODE accepts CQL sessions (or this login).
wait_cql() {
  local node=$1 pid t0
  shift
  t0=$(now_ms)
  pid=$(<"$(pidfile "$node")")
  until probe "$node" "$@"; do
    if ! alive "$pid"; then
      rm -f "$(pidfile "$node")"
      log_tail "$node"
      die "$(node_name "$node") exited during startup"
    fi
    if (($(now_ms) - t0 > START_TIMEOUT * 1000)); then
      log_tail "$node"
      if (($#)); then
        die "$(node_name "$node"): login as $1 refused for $START_TIMEOUT s"
      fi
      (($(node_tls "$node"))) && die "$(node_name "$node") did not accept CQL over TLS on ${ADDRS[$node]}:$CQL_PORT within $START_TIMEOUT s (the handshake must verify against $TLS_CA: try openssl s_client -connect ${ADDRS[$node]}:$CQL_PORT -CAfile $TLS_CA -verify_ip ${ADDRS[$node]})"
      die "$(node_name "$node") did not accept CQL on ${ADDRS[$node]}:$CQL_PORT within $START_TIMEOUT s (raise CASSANDRA_START_TIMEOUT on a slow machine)"
    fi
    sleep 0.5
  done
}

auth_file() { echo "$CLUSTER_DIR/auth"; }
recorded_auth() { cat "$(auth_file)" 2>/dev/null || echo 0; }

# start_nodes AUTH TLS NODE...: start these nodes and wait until each accepts CQL. A new node
# bootstraps from the seed (node 1), so a new seed goes first and the others follow together;
# nodes that have joined before all start at once. Until the caller clears it (trap - EXIT),
# an EXIT trap stops what this call started if anything fails.
start_nodes() {
  local auth=$1 tls=$2 node t0 started=() batch
  shift 2
  require_java
  if ! jars_complete "$HERE/pom.xml" "$LIB"; then
    fetch_jars "$HERE/pom.xml" "$LIB"
  fi
  if ((tls)); then
    require_openssl
    make_tls
  fi
  mkdir -p "$CLUSTER_DIR"
  echo "$auth" >"$(auth_file)"
  local batches=()
  if [[ $1 == 1 && ! -d $(node_dir 1)/data/system ]]; then
    batches+=(1)
    shift
  fi
  (($# == 0)) || batches+=("$*")
  for batch in "${batches[@]}"; do
    t0=$(now_ms)
    for node in $batch; do
      launch_node "$node" "$auth" "$tls"
      started+=("$node")
      # shellcheck disable=SC2064 # expanded now, on purpose
      trap "stop_nodes_quietly ${started[*]}" EXIT
      say "starting $(node_name "$node") (pid $(<"$(pidfile "$node")"))"
    done
    for node in $batch; do
      wait_cql "$node"
      say "$(node_name "$node") accepts CQL after $(secs_since "$t0") s"
    done
  done
}

stop_nodes_quietly() {
  local node pid
  echo "$PROG: stopping the nodes this start launched" >&2
  for node in "$@"; do
    if pid=$(node_pid "$node"); then
      stop_pid "$pid" "$(node_name "$node")" "$STOP_TIMEOUT"
      rm -f "$(pidfile "$node")"
    fi
  done
}

# wait_ready NODE...: the cluster-wide checks once the nodes accept CQL.
wait_ready() {
  local t0 node viewer=
  t0=$(now_ms)
  if ((NODES > 1)); then
    for node in $(seq 1 "$NODES"); do
      node_pid "$node" >/dev/null && viewer=$node && break
    done
    wait_un "$viewer" "$@"
    say "UN in nodetool status: $(for n in "$@"; do echo -n "${ADDRS[$n]} "; done)($(secs_since "$t0") s)"
  fi
  if (($(recorded_auth))); then
    for node in "$@"; do
      wait_cql "$node" "$SUPERUSER" "$SUPERUSER"
    done
    say "login as $SUPERUSER/$SUPERUSER works ($(secs_since "$t0") s)"
  fi
}

# say_tls: where a client finds the CA (after a start with --tls).
say_tls() {
  say "TLS: CQL only over TLS; verify the nodes against the CA $TLS_CA (the certificate names $TLS_SAN)"
}

cmd_start() {
  local auth=$1 tls=$2 node todo=() t0 pid
  t0=$(now_ms)
  for node in $(seq 1 "$NODES"); do
    if pid=$(node_pid "$node"); then
      if (($(recorded_auth) != auth || $(node_tls "$node") != tls)); then
        die "the $NODES-node cluster was started with $(mode_name "$(recorded_auth)" "$(node_tls "$node")"), this start asks for $(mode_name "$auth" "$tls"): stop it first (services/cassandra.sh stop --nodes $NODES)"
      fi
    else
      todo+=("$node")
    fi
  done
  if ((${#todo[@]} == 0)); then
    for node in $(seq 1 "$NODES"); do
      wait_cql "$node"
    done
    say "already running: the $NODES-node cluster $CLUSTER_NAME (${ADDRS[*]:1})"
    ((tls)) && say_tls
    return
  fi
  start_nodes "$auth" "$tls" "${todo[@]}"
  wait_ready $(seq 1 "$NODES")
  trap - EXIT
  say "up: the $NODES-node cluster $CLUSTER_NAME, CQL on ${ADDRS[*]:1} port $CQL_PORT, in $(secs_since "$t0") s"
  ((tls)) && say_tls
  return 0
}

cmd_start_node() {
  local node=$1 pid viewer=''
  check_node "$node"
  if pid=$(node_pid "$node"); then
    wait_cql "$node"
    say "$(node_name "$node") is already running (pid $pid)"
    return
  fi
  start_nodes "$(recorded_auth)" "$(cluster_tls)" "$node"
  if ((NODES > 1)); then
    # as its peers see it: the first other node that runs
    for viewer in $(seq 1 "$NODES"); do
      ((viewer != node)) && node_pid "$viewer" >/dev/null && break
      viewer=''
    done
    [[ -n $viewer ]] || viewer=$node
    wait_un "$viewer" "$node"
    say "$(node_name "$node") is UN in node $viewer's view"
  fi
  trap - EXIT
}

# ---------------------------------------------------------------------------- stop

# stop_nodes NODE...: SIGTERM to all of them at once, then wait; SIGKILL after the timeout.
stop_nodes() {
  local node pid pids=() names=() t0 i
  t0=$(now_ms)
  for node in "$@"; do
    if pid=$(node_pid "$node"); then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
      names+=("$node")
    fi
  done
  if ((${#pids[@]} == 0)); then
    if (($# == 1)); then
      say "the $NODES-node cluster: node $1 is not running"
    else
      say "the $NODES-node cluster: not running"
    fi
    return
  fi
  for i in "${!pids[@]}"; do
    stop_pid "${pids[$i]}" "$(node_name "${names[$i]}")" "$STOP_TIMEOUT" # SIGTERM again is harmless
    rm -f "$(pidfile "${names[$i]}")"
  done
  say "stopped node(s) ${names[*]} of the $NODES-node cluster in $(secs_since "$t0") s"
}

cmd_kill() {
  local node=$1 pid
  check_node "$node"
  pid=$(node_pid "$node") || die "$(node_name "$node") is not running"
  kill_pid "$pid"
  rm -f "$(pidfile "$node")"
  say "killed $(node_name "$node") (pid $pid) with SIGKILL"
}

# ---------------------------------------------------------------------------- status, wipe

# status_cluster: one line a node; returns 0 all up, 1 some down, 3 none running.
status_cluster() {
  local node pid up=0 running=0 over
  for node in $(seq 1 "$NODES"); do
    if pid=$(node_pid "$node"); then
      running=$((running + 1))
      over=''
      (($(node_tls "$node"))) && over=' over TLS'
      if [[ -n $over ]] && ! command -v openssl >/dev/null; then
        say "$CLUSTER_NAME $(node_name "$node"): running with --tls, CQL not checked: openssl not found (Debian: apt-get install openssl) (pid $pid)"
      elif probe "$node"; then
        up=$((up + 1))
        say "$CLUSTER_NAME $(node_name "$node"): running, CQL answers$over (pid $pid, RSS $(rss_mb "$pid") MB, up $(uptime_s "$pid") s)"
      else
        say "$CLUSTER_NAME $(node_name "$node"): running, CQL does not answer$over (pid $pid)"
      fi
    else
      say "$CLUSTER_NAME $(node_name "$node"): stopped"
    fi
  done
  ((running > 0)) || return 3
  ((up == NODES)) || return 1
}

cmd_status() {
  local n rc worst=3 rcs=()
  if [[ -n $1 ]]; then
    use_cluster "$1"
    status_cluster
    return
  fi
  for n in 1 3; do
    use_cluster "$n"
    rc=0
    status_cluster || rc=$?
    rcs+=("$rc")
  done
  # both stopped: 3; otherwise 1 if a running cluster is not all up, else 0
  for rc in "${rcs[@]}"; do
    case $rc in
    0) ((worst == 3)) && worst=0 ;;
    1) worst=1 ;;
    esac
  done
  return "$worst"
}

cmd_wipe() {
  local n
  for n in ${1:-1 3}; do
    use_cluster "$n"
    lock "$CLUSTER_DIR.lock"
    stop_nodes $(seq 1 "$NODES")
    rm -rf "$CLUSTER_DIR"
    say "wiped $CLUSTER_DIR"
  done
  say "the jars in $LIB stay, and so does $TLS_DIR (the CA of --tls)"
}

# ---------------------------------------------------------------------------- main

main() {
  local cmd=${1:-} nodes='' auth=0 tls=0 node='' args=()
  (($# > 0)) && shift
  case $cmd in
  -h | --help | help)
    usage
    return
    ;;
  "")
    usage >&2
    exit 64
    ;;
  esac
  while (($#)); do
    case $1 in
    --nodes) (($# >= 2)) || die "--nodes needs a value (1 or 3)"; nodes=$2; shift ;;
    --nodes=*) nodes=${1#--nodes=} ;;
    --auth) [[ $cmd == start ]] || die "--auth goes with start only"; auth=1 ;;
    --tls) [[ $cmd == start ]] || die "--tls goes with start only"; tls=1 ;;
    --node) [[ $cmd == nodetool ]] || die "--node goes with nodetool only"; (($# >= 2)) || die "--node needs a value"; node=$2; shift ;;
    -h | --help) usage; return ;;
    *) args+=("$1") ;;
    esac
    shift
    [[ $cmd == nodetool && ${#args[@]} -gt 0 ]] && args+=("$@") && break
  done
  [[ -z $nodes ]] || use_cluster "$nodes"
  [[ -n $nodes || $cmd == status || $cmd == wipe ]] || use_cluster 1
  case $cmd in
  fetch | start | status | wipe)
    ((${#args[@]} == 0)) || die "$cmd takes no NODE (see services/cassandra.sh --help)"
    ;;
  kill | start-node)
    ((${#args[@]} == 1)) || die "usage: services/cassandra.sh $cmd [--nodes 1|3] NODE"
    ;;
  stop)
    ((${#args[@]} <= 1)) || die "usage: services/cassandra.sh stop [--nodes 1|3] [NODE]"
    ;;
  esac
  case $cmd in
  fetch) lock "$STATE/fetch.lock" ;;
  start | stop | kill | start-node) lock "$CLUSTER_DIR.lock" ;;
  esac
  case $cmd in
  fetch) fetch_jars "$HERE/pom.xml" "$LIB" ;;
  start) cmd_start "$auth" "$tls" ;;
  stop)
    if ((${#args[@]})); then
      check_node "${args[0]}"
      stop_nodes "${args[0]}"
    else
      stop_nodes $(seq 1 "$NODES")
    fi
    ;;
  kill) cmd_kill "${args[0]}" ;;
  start-node) cmd_start_node "${args[0]}" ;;
  status) cmd_status "$nodes" ;;
  wipe) cmd_wipe "$nodes" ;;
  nodetool)
    need_jars "$HERE/pom.xml" "$LIB" cassandra
    node=${node:-1}
    check_node "$node"
    node_pid "$node" >/dev/null || die "$(node_name "$node") of the $NODES-node cluster is not running"
    run_nodetool "$node" "${args[@]}"
    ;;
  *) die "unknown command '$cmd' (see services/cassandra.sh --help)" ;;
  esac
}

main "$@"
