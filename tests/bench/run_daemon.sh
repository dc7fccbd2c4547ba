#!/bin/sh
# run_daemon.sh BUILD [PIPELINE_EVENTS_PER_S] - the daemon benchmark.
#
# Starts BUILD/moderd in the foreground on its embedded PostgreSQL, in a
# fresh state directory, with the 1000-rule set of BUILD/benchdata (made
# by run.sh), one pull and one rep intake and the HTTP server on loopback,
# and runs BUILD/bench/bench_daemon against it twice:
#
#   1. saturated, BENCH_DAEMON_SECONDS: events pushed as fast as moderd
#      takes them while 32 rep requests are timed -> `bench daemon ...`,
#      the figure of issue 3, with -latency, -rss and -detail lines;
#   2. paced, BENCH_DAEMON_PACED_SECONDS, at half PIPELINE_EVENTS_PER_S
#      (the offline `bench pipeline` rate of the same run, the issue's
#      target) on fresh ids in the same database -> `bench daemon-paced`,
#      the latency at the target load rather than at saturation.
#
# Each run also prints a -cpu line: the machine's CPU split between
# moderd, its PostgreSQL, the load generator and other processes; other
# work on the machine (other_pct over 20, also warned about) makes the
# figures unreliable.
#
# PIPELINE_EVENTS_PER_S also gives ratio_vs_pipeline; without it the
# ratio is "na" and the paced run is skipped.  moderd is stopped with
# SIGTERM and its state removed afterwards.
#
# The daemon runs with its default config except pipeline_queue_count,
# 256 instead of 4096: the cap on events inside moderd bounds how long a
# saturated queue makes each event wait (4096 gave p99 in seconds for no
# more throughput).
#
# Environment:
#   BENCH_DAEMON_SECONDS  saturated window (default 60; 300 gives the
#                         5-minute RSS-flatness figure of issue 3;
#                         BENCH_QUICK=1 makes it 10 and the paced 5)
#   BENCH_DAEMON_PACED_SECONDS  paced window (default 20; 0 skips it)
#   BENCH_DAEMON_CONTEXTS rep requests in flight (default 32)
#   BENCH_DAEMON_PORT     first of three loopback TCP ports (default: from
#                         the shell's pid, in 20000-31999)
#   BENCH_DAEMON_WORKERS, BENCH_DAEMON_QUEUE, BENCH_DAEMON_BATCH_COUNT,
#   BENCH_DAEMON_BATCH_MS pipeline_workers (2), pipeline_queue_count
#                         (256), db_batch_count (256), db_batch_ms (5)
#   BENCH_DAEMON_PERF=1   also `perf record -g` moderd throughout
#                         (BUILD/benchdata/perf.data)
#
# moderd's log and its PostgreSQL's are kept after the run in
# BUILD/benchdata/daemon-moderd.log and daemon-postgres.log.
set -eu

BUILD=${1:-build-bench}
RATE=${2:-}
DATA=$BUILD/benchdata
MODERD=$BUILD/moderd
LOAD=$BUILD/bench/bench_daemon
SECS=${BENCH_DAEMON_SECONDS:-60}
PACED_SECS=${BENCH_DAEMON_PACED_SECONDS:-20}
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	SECS=${BENCH_DAEMON_SECONDS:-10}
	PACED_SECS=${BENCH_DAEMON_PACED_SECONDS:-5}
fi
CONTEXTS=${BENCH_DAEMON_CONTEXTS:-32}
PORT=${BENCH_DAEMON_PORT:-$((20000 + ($$ % 4000) * 3))}
WORKERS=${BENCH_DAEMON_WORKERS:-2}
QUEUE=${BENCH_DAEMON_QUEUE:-256}
BATCH_COUNT=${BENCH_DAEMON_BATCH_COUNT:-256}
BATCH_MS=${BENCH_DAEMON_BATCH_MS:-5}

for f in "$MODERD" "$LOAD" "$DATA/events.jsonl" "$DATA/rules1000"; do
	if [ ! -e "$f" ]; then
		echo "run_daemon.sh: $f missing; run make bench" >&2
		exit 1
	fi
done
data=$(cd "$DATA" && pwd)
dir=$(mktemp -d "${TMPDIR:-/tmp}/moderd-bench.XXXXXX")
# The embedded cluster's owner (pg_user when run as root) must get in.
chmod 711 "$dir"
pid=
perf_pid=

stop() {
	if [ -n "$perf_pid" ]; then
		kill -INT "$perf_pid" 2>/dev/null || true
		wait "$perf_pid" 2>/dev/null || true
		perf_pid=
	fi
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		pid=
	fi
}
cleanup() {
	stop
	cp "$dir/moderd.log" "$data/daemon-moderd.log" 2>/dev/null || true
	cp "$dir/state/postgres.log" "$data/daemon-postgres.log" \
	    2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

cat >"$dir/moderd.conf" <<EOF
# written by tests/bench/run_daemon.sh
state_dir "$dir/state"
rules_dir "$data/rules1000"
rules_cache_dir "$data/xdg-cache/moderd"
http_listen "http://127.0.0.1:$PORT"
pipeline_workers $WORKERS
pipeline_queue_count $QUEUE
db_batch_count $BATCH_COUNT
db_batch_ms ${BATCH_MS}ms
intake push {
	type pull
	url "tcp://127.0.0.1:$((PORT + 1))"
}
intake req {
	type rep
	url "tcp://127.0.0.1:$((PORT + 2))"
	contexts $CONTEXTS
}
EOF

echo "bench daemon-config rules=1000 seconds=$SECS pipeline_workers=$WORKERS" \
    "pipeline_queue_count=$QUEUE db_batch_count=$BATCH_COUNT" \
    "db_batch_ms=$BATCH_MS rep_contexts=$CONTEXTS db=embedded"
"$MODERD" -d -f "$dir/moderd.conf" 2>"$dir/moderd.log" &
pid=$!
if [ "${BENCH_DAEMON_PERF:-0}" = 1 ]; then
	perf record -g -o "$data/perf.data" -p "$pid" >/dev/null 2>&1 &
	perf_pid=$!
fi

# load SECONDS [ARGS...]: one bench_daemon run against this moderd.
load() {
	secs=$1
	shift
	"$LOAD" --events "$DATA/events.jsonl" --pid "$pid" --seconds "$secs" \
	    --contexts "$CONTEXTS" --rules 1000 \
	    ${RATE:+--pipeline-rate "$RATE"} \
	    --push "tcp://127.0.0.1:$((PORT + 1))" \
	    --req "tcp://127.0.0.1:$((PORT + 2))" \
	    --http "http://127.0.0.1:$PORT" "$@"
}

rc=0
load "$SECS" || rc=$?
# Then latency at the target load, half the offline pipeline rate, on
# fresh ids (--phase 1) in the same database.
if [ "$rc" -eq 0 ] && [ -n "$RATE" ] && [ "$PACED_SECS" -gt 0 ]; then
	target=$(awk -v r="$RATE" 'BEGIN { printf "%.0f", r / 2 }')
	load "$PACED_SECS" --rate "$target" --phase 1 || rc=$?
fi
stop
if [ "$rc" -ne 0 ] || grep -q 'warn\|error\|fatal' "$dir/moderd.log"; then
	echo "run_daemon.sh: moderd's log:" >&2
	tail -n 20 "$dir/moderd.log" >&2
fi
exit "$rc"
