#!/usr/bin/env bash
# bench/stream/run.sh: quotes/s from a Kafka topic to parsed DataFrame batches, for eddy's
# Stream::kafka, a bare rdkafka + serde_json loop (the limit) and Python confluent-kafka +
# json + pandas, each consumer pinned to one core; then end-to-end latency at 1 s batches.
#
#   bench/stream/run.sh                 # N=1000000 quotes, core 1, the broker of services/kafka.sh
#   N=2000000 CORE=0 ROUNDS=5 EDDY_KAFKA=host:port bench/stream/run.sh
#
# Needs the broker (services/kafka.sh start), the prelude's test binary (built here with the
# release profile, as the tests are) and the venv's Python with confluent-kafka and pandas.
# Results go to stdout as CSV lines starting with BENCH; paste them into docs/benchmarks.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
export EDDY_KAFKA=${EDDY_KAFKA:-127.0.0.1:9092}
N=${N:-1000000}
CORE=${CORE:-1}
RATE=${RATE:-20000}
EDDY_HOME=${EDDY_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/eddy}
PYTHON=${EDDY_PYTHON:-$EDDY_HOME/venv/bin/python}
export CARGO_TARGET_DIR=${EDDY_TARGET_DIR:-${CARGO_TARGET_DIR:-$HOME/.cache/eddy/target}}

bin=$(cd "$REPO" && env -u CI cargo test --release --locked -p eddy-prelude --lib --no-run 2>&1 |
  sed -n 's/.*Executable unittests src\/lib.rs (\(.*\))/\1/p' | tail -1)
[[ -x $bin ]] || { echo "run.sh: cannot find the prelude's test binary" >&2; exit 1; }
# A private copy: another checkout sharing the target dir may overwrite that file meanwhile.
copy=$(mktemp -d)/eddy-prelude-tests
cp "$bin" "$copy"
bin=$copy
# (The list is read whole: `grep -q` would close the pipe early and, under pipefail, fail.)
tests=$("$bin" --list --ignored 2>/dev/null || true)
grep -q '^stream::bench::bench_consume_eddy' <<<"$tests" ||
  { echo "run.sh: $bin has no stream benchmarks (built from another checkout?); run again" >&2; exit 1; }

run_test() { # NAME [ENV...]: one benchmark test of the binary, on one core
  local name=$1
  shift
  env "$@" taskset -c "$CORE" "$bin" --ignored --exact "stream::bench::$name" --nocapture \
    --test-threads 1 2>&1 | grep -o 'BENCH,.*' || { echo "run.sh: $name failed" >&2; exit 1; }
}

topic=eddy-bench-$(date +%s)
echo "# $(date -Is) $(uname -m), $(nproc) cores, consumer pinned to core $CORE, N=$N, broker $EDDY_KAFKA"
env EDDY_BENCH_TOPIC="$topic" EDDY_BENCH_N="$N" "$bin" --ignored --exact stream::bench::bench_fill_topic \
  --nocapture --test-threads 1 2>&1 | grep -o 'BENCH,.*'
for round in $(seq "${ROUNDS:-3}"); do
  echo "# round $round"
  run_test bench_consume_eddy EDDY_BENCH_TOPIC="$topic" EDDY_BENCH_N="$N"
  run_test bench_consume_eddy EDDY_BENCH_TOPIC="$topic" EDDY_BENCH_N="$N" EDDY_BENCH_INTERVAL_MS=50
  run_test bench_consume_bare_rdkafka EDDY_BENCH_TOPIC="$topic" EDDY_BENCH_N="$N"
  taskset -c "$CORE" "$PYTHON" "$HERE/consume.py" "$EDDY_KAFKA" "$topic" "$N"
  # The floors: librdkafka's own per-message cost under each side, nothing parsed.
  run_test bench_consume_poll_only EDDY_BENCH_TOPIC="$topic" EDDY_BENCH_N="$N"
  taskset -c "$CORE" "$PYTHON" "$HERE/consume.py" "$EDDY_KAFKA" "$topic" "$N" --poll-only
done
echo "# latency: $((RATE * 20)) quotes at $RATE/s"
run_test bench_latency_eddy EDDY_BENCH_TOPIC="$topic-latency" EDDY_BENCH_N="$((RATE * 20))" EDDY_BENCH_RATE="$RATE"
