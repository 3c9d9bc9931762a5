# shellcheck shell=bash disable=SC2034 # PROG and SERVICES_STATE are for the scripts that source this
# services/lib.sh: helpers shared by kafka.sh, cassandra.sh and spark.sh (sourced, never run).
#
# The caller sets PROG (its name in messages) before sourcing. Everything here is plain bash
# plus coreutils, `ss` (iproute2, optional) and `timeout`: the health probes speak the Kafka
# and CQL wire protocols over bash's /dev/tcp, so a probe costs no JVM start (CQL over TLS
# goes through `openssl s_client` instead).

SERVICES_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
EDDY_HOME=${EDDY_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/eddy}
SERVICES_STATE=$EDDY_HOME/services

die() {
  echo "$PROG: error: $*" >&2
  exit 1
}
say() { echo "$PROG: $*"; }
warn() { echo "$PROG: warning: $*" >&2; }

now_ms() { echo $((${EPOCHREALTIME//[.,]/} / 1000)); }
# secs_since T0_MS: "3.2" (seconds, one decimal)
secs_since() {
  local ds=$((($(now_ms) - $1) / 100))
  echo "$((ds / 10)).$((ds % 10))"
}

# ---------------------------------------------------------------------------- tools

require_java() {
  command -v java >/dev/null ||
    die "java not found: install a Java 17 runtime (Debian: apt-get install openjdk-17-jdk-headless)"
  local version major
  version=$(java -version 2>&1 | awk -F'"' '/version/ {print $2; exit}')
  major=${version%%.*}
  [[ $major == 1 ]] && major=$(echo "$version" | cut -d. -f2) # 1.8.0 style
  [[ $major =~ ^[0-9]+$ ]] || die "cannot tell the version of $(command -v java) (java -version said: $version)"
  ((major >= 17)) || die "java is version $version: Kafka 4, Cassandra 5 and Spark 4 here need Java 17 (put its bin/ first in PATH)"
}

require_mvn() {
  command -v mvn >/dev/null || die "mvn not found: install Maven 3 (Debian: apt-get install maven)"
}

# ---------------------------------------------------------------------------- jars

# jars_complete POM LIB: LIB holds every jar a fetch from this POM put there.
# LIB/.eddy-fetched: first line the POM's sha256, then one jar name a line.
jars_complete() {
  local pom=$1 lib=$2 stamp=$2/.eddy-fetched want jar first=1
  [[ -f $stamp ]] || return 1
  want=$(sha256sum "$pom" | cut -d' ' -f1)
  while IFS= read -r jar; do
    if ((first)); then
      [[ $jar == "$want" ]] || return 1
      first=0
    else
      [[ -s $lib/$jar ]] || return 1
    fi
  done <"$stamp"
  ((first == 0))
}

# fetch_jars POM LIB: copy POM's runtime dependencies into LIB with Maven (~/.m2 as the local
# repository); nothing to do when LIB is already complete. Atomic: a failed or interrupted
# fetch leaves no half-filled LIB behind.
fetch_jars() {
  local pom=$1 lib=$2 tmp log t0 n
  if jars_complete "$pom" "$lib"; then
    say "jars present: $lib ($(($(wc -l <"$lib/.eddy-fetched") - 1)) jars)"
    return
  fi
  require_java
  require_mvn
  tmp=$lib.fetching
  log=$(dirname "$lib")/fetch.log
  mkdir -p "$(dirname "$lib")"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  say "fetching $(basename "$(dirname "$pom")") jars from Maven Central into $lib"
  t0=$(now_ms)
  if ! (cd "$tmp" && mvn -B -q -f "$pom" dependency:copy-dependencies \
    -DoutputDirectory="$tmp" -DincludeScope=runtime) >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    rm -rf "$tmp"
    die "Maven could not fetch the jars (is Maven Central reachable? proxy settings go in ~/.m2/settings.xml); full log: $log"
  fi
  n=$(find "$tmp" -maxdepth 1 -name '*.jar' | wc -l)
  ((n > 0)) || die "Maven put no jars into $tmp (log: $log)"
  {
    sha256sum "$pom" | cut -d' ' -f1
    (cd "$tmp" && ls -1 -- *.jar)
  } >"$tmp/.eddy-fetched"
  rm -rf "$lib"
  mv "$tmp" "$lib"
  say "fetched $n jars, $(du -sm "$lib" | cut -f1) MB, in $(secs_since "$t0") s"
}

# need_jars POM LIB NAME: die unless LIB is complete.
need_jars() {
  jars_complete "$1" "$2" || die "the $3 jars are not in $2: run services/$3.sh fetch first"
}

# ---------------------------------------------------------------------------- processes

# alive PID: the process exists and is not a zombie. A JVM's main thread can exit before the
# others (its state then reads Z), and those still hold the ports: count the threads too.
alive() {
  local stat threads
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]] && return 0
  threads=$(awk '/^Threads:/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 1
  ((${threads:-0} > 1))
}

# ours PID MARKER: PID is alive and MARKER is one of its command-line arguments (pid files can
# go stale and pids get reused: never signal a process on the strength of a pid file alone).
ours() {
  local arg
  alive "$1" || return 1
  while IFS= read -r -d '' arg; do
    [[ $arg == "$2" ]] && return 0
  done 2>/dev/null <"/proc/$1/cmdline" # (it may have exited meanwhile)
  return 1
}

# find_marked MARKER: the pid of the process that has MARKER among its arguments, if any (a
# running service whose pid file was deleted is still found, so it can still be stopped).
find_marked() {
  local file pid
  # grep -z: arguments are NUL-separated, so -x matches one whole argument. The marker goes
  # in through -f, not as an argument: grep scans its own /proc/PID/cmdline too (the subshell
  # that expands the glob becomes grep), and would find itself, still alive, as the service.
  while IFS= read -r file; do
    pid=${file#/proc/}
    pid=${pid%/cmdline}
    if ours "$pid" "$1"; then
      echo "$pid"
      return 0
    fi
  done < <(grep -lzxF -f <(printf '%s\n' "$1") /proc/[0-9]*/cmdline 2>/dev/null)
  return 1
}

# pid_from FILE MARKER: print the pid of the running process marked MARKER, from FILE or else
# from /proc (then FILE is written again); with none, remove a stale FILE and fail.
pid_from() {
  local pid=''
  [[ -f $1 ]] && pid=$(<"$1")
  if [[ $pid =~ ^[0-9]+$ ]] && ours "$pid" "$2"; then
    echo "$pid"
    return 0
  fi
  if pid=$(find_marked "$2"); then
    echo "$pid" >"$1"
    echo "$pid"
    return 0
  fi
  rm -f "$1"
  return 1
}

# lock FILE: hold an exclusive lock on FILE (fd 9) until the script exits, so that two starts
# or a start and a stop do not interleave. Waits up to 10 minutes for the holder.
lock() {
  command -v flock >/dev/null || return 0
  mkdir -p "$(dirname "$1")"
  exec 9>"$1"
  flock -n 9 && return 0
  say "waiting for another $PROG (lock $1)"
  flock -w 600 9 || die "another $PROG held $1 for 10 minutes"
}

# launch PIDFILE OUTFILE DIR COMMAND...: start COMMAND in DIR, in its own session (a Ctrl-C
# in the caller's terminal does not reach it), stdin from /dev/null, stdout and stderr
# appended to OUTFILE. The process writes its own pid to PIDFILE before it execs COMMAND, so
# PIDFILE holds the JVM's pid, never a wrapper's.
launch() {
  local pidfile=$1 out=$2 dir=$3 i
  shift 3
  rm -f "$pidfile"
  # shellcheck disable=SC2016 # expanded by the inner bash
  setsid bash -c 'echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && cd "$1" && shift && exec "$@"' \
    "$pidfile" "$dir" "$@" </dev/null >>"$out" 2>&1 9>&- &
  for ((i = 0; i < 100; i++)); do
    [[ -s $pidfile ]] && return 0
    sleep 0.05
  done
  die "the process did not start (no pid file $pidfile after 5 s); see $out"
}

# stop_pid PID WHAT TIMEOUT_S: SIGTERM, wait up to TIMEOUT_S, then SIGKILL.
stop_pid() {
  local pid=$1 what=$2 timeout=$3 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < timeout * 10; i++)); do
    alive "$pid" || return 0
    sleep 0.1
  done
  warn "$what (pid $pid) did not stop within ${timeout} s of SIGTERM: sending SIGKILL"
  kill_pid "$pid"
}

# kill_pid PID: SIGKILL and wait until it is gone.
kill_pid() {
  local pid=$1 i
  kill -KILL "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do
    alive "$pid" || return 0
    sleep 0.1
  done
  die "pid $pid survived SIGKILL for 10 s"
}

rss_mb() { awk '/^VmRSS:/ {print int($2 / 1024); exit}' "/proc/$1/status" 2>/dev/null || echo '?'; }
uptime_s() { ps -o etimes= -p "$1" 2>/dev/null | tr -d ' ' || echo '?'; }

# ---------------------------------------------------------------------------- ports

# port_owner ADDR PORT: if something listens on ADDR:PORT (or on every address), print who
# ("java (pid 123)") and succeed; fail when the port is free.
port_owner() {
  local addr=$1 port=$2 owner
  if command -v ss >/dev/null; then
    owner=$(ss -Hltnp "sport = :$port" 2>/dev/null | awk -v want="$addr" '
      {
        local = $4; sub(/:[0-9]+$/, "", local); gsub(/[][]/, "", local); sub(/^::ffff:/, "", local)
        sub(/%.*/, "", local)
        if (local == want || local == "0.0.0.0" || local == "*" || local == "::") {
          users = $0; name = "an unknown process"; pid = ""
          if (match(users, /"[^"]+"/)) name = substr(users, RSTART + 1, RLENGTH - 2)
          if (match(users, /pid=[0-9]+/)) pid = " (pid " substr(users, RSTART + 4, RLENGTH - 4) ")"
          print name pid; exit
        }
      }')
    [[ -n $owner ]] || return 1
    echo "$owner"
    return 0
  fi
  # without ss: can we connect?
  (exec 3<>"/dev/tcp/$addr/$port") 2>/dev/null || return 1
  echo "another process"
}

# need_free_port ADDR PORT WHAT: die with who holds ADDR:PORT if it is taken.
need_free_port() {
  local owner
  if owner=$(port_owner "$1" "$2"); then
    die "port $2 on $1 ($3) is taken by $owner: stop that process first (if it is a leftover of ours, kill it by that pid)"
  fi
}

# ---------------------------------------------------------------------------- probes

# be32 N: N as 4 big-endian bytes in printf escape form
be32() { printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255)); }

# read_bytes N: N bytes from fd 3 as decimal numbers, one read per byte (dd bs=1 never reads
# past what it is asked for, so the next frame stays in the socket).
read_bytes() { dd bs=1 count="$1" <&3 2>/dev/null | od -An -v -tu1; }

# kafka_metadata_probe ADDR PORT: one Metadata v4 request (all topics, no auto-creation) over
# /dev/tcp; succeeds when the broker answers with at least one live broker in the cluster.
kafka_metadata_probe() {
  # shellcheck disable=SC2016 # expanded by the inner bash
  timeout 5 bash -c '
    source "$0"
    exec 3<>"/dev/tcp/$1/$2" || exit 1
    # size 19 | api_key 3 (Metadata) | version 4 | correlation id 42 | client id "eddy" |
    # topics: null (= all) | allow_auto_topic_creation: false
    printf "\x00\x00\x00\x13\x00\x03\x00\x04\x00\x00\x00\x2a\x00\x04eddy\xff\xff\xff\xff\x00" >&3
    # response: size | correlation id | throttle_time_ms | number of brokers
    b=($(read_bytes 16))
    ((${#b[@]} == 16)) || exit 1
    corr=$(( b[4] << 24 | b[5] << 16 | b[6] << 8 | b[7] ))
    brokers=$(( b[12] << 24 | b[13] << 16 | b[14] << 8 | b[15] ))
    ((corr == 42 && brokers > 0))
  ' "$SERVICES_DIR/lib.sh" "$1" "$2" 2>/dev/null
}

# cql_probe [--tls CAFILE] ADDR PORT [USER PASSWORD]: open a CQL (native protocol v4) session.
# Without USER: succeeds when the server answers STARTUP with READY or AUTHENTICATE (it
# accepts clients). With USER: also logs in (PasswordAuthenticator) and succeeds only on
# AUTH_SUCCESS. The frames go over bash's /dev/tcp, or with --tls through `openssl s_client`
# (a coprocess), which completes the handshake first and fails unless the node's certificate
# is signed by CAFILE and names ADDR (an IP address SAN, or a DNS name).
cql_probe() {
  local ca='' limit=5
  if [[ ${1:-} == --tls ]]; then
    ca=$2 limit=10 # a handshake costs the JVM more; the first one after a start, a lot more
    shift 2
  fi
  # shellcheck disable=SC2016 # expanded by the inner bash
  timeout "$limit" bash -c '
    source "$0"
    ca=$1 addr=$2 port=$3 user=${4:-} pass=${5:-}
    # read_frame: prints the opcode of the next frame and consumes its body
    read_frame() {
      local h len
      h=($(read_bytes 9))
      ((${#h[@]} == 9)) || return 1
      len=$(( h[5] << 24 | h[6] << 16 | h[7] << 8 | h[8] ))
      ((len == 0)) || read_bytes "$len" >/dev/null
      echo "${h[4]}"
    }
    # fd 3 reads the server, fd 4 writes to it
    if [[ -n $ca ]]; then
      if [[ $addr =~ ^[0-9.]+$ ]]; then name=(-verify_ip "$addr"); else name=(-verify_hostname "$addr"); fi
      # -quiet: nothing but the data on stdout, and no command letters; the handshake fails
      # (s_client exits, fd 3 reads EOF) unless the certificate verifies against $ca
      coproc TLS { exec openssl s_client -connect "$addr:$port" -CAfile "$ca" -no-CApath \
        -verify_return_error "${name[@]}" -quiet -nocommands 2>/dev/null; }
      trap "kill $TLS_PID 2>/dev/null" EXIT  # it would outlive us: stdin EOF does not end it
      exec 3<&"${TLS[0]}" 4>&"${TLS[1]}"
    else
      exec 3<>"/dev/tcp/$addr/$port" 4>&3 || exit 1
    fi
    # v4 request, stream 1, opcode STARTUP, body {"CQL_VERSION": "3.0.0"} (22 bytes)
    printf "\x04\x00\x00\x01\x01\x00\x00\x00\x16\x00\x01\x00\x0bCQL_VERSION\x00\x053.0.0" >&4
    op=$(read_frame) || exit 1
    case $op in
    2) [[ -z $user ]]; exit ;;  # READY: no authentication (fails if a login was wanted)
    3) [[ -n $user ]] || exit 0 ;;  # AUTHENTICATE
    *) exit 1 ;;
    esac
    # AUTH_RESPONSE (opcode 0x0f): [bytes] "\0user\0password"
    tlen=$(( ${#user} + ${#pass} + 2 ))
    printf "\x04\x00\x00\x02\x0f$(be32 $((tlen + 4)))$(be32 $tlen)" >&4
    printf "\0%s\0%s" "$user" "$pass" >&4
    op=$(read_frame) || exit 1
    ((op == 16))  # AUTH_SUCCESS
  ' "$SERVICES_DIR/lib.sh" "$ca" "$@" 2>/dev/null
}
