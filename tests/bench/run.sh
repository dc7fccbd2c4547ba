#!/bin/sh
# run.sh BUILD - the rule-engine benchmark (make bench).
#
# Generates the corpus (100000 status.created events) and rule sets of 10,
# 100 and 1000 rules with fixed seeds into BUILD/benchdata, unless they are
# already there from the same bench_gen binary, checks that every rule set
# loads, and runs bench_rules, which prints one `bench ...` line per figure;
# then run_daemon.sh measures moderd itself (`bench daemon ...` lines).
#
# Environment: BENCH_EVENTS (default 100000) and BENCH_QUICK=1 (a short run
# on a corpus prefix) for trying things out; the published figures use the
# defaults.
set -eu

BUILD=${1:-build-bench}
DATA=$BUILD/benchdata
GEN=$BUILD/bench/bench_gen
BENCH=$BUILD/bench/bench_rules
MODERCTL=$BUILD/moderctl
EVENTS=${BENCH_EVENTS:-100000}
EVENT_SEED=20250301
RULE_SEED=4242

for f in "$GEN" "$BENCH" "$MODERCTL"; do
	if [ ! -x "$f" ]; then
		echo "run.sh: $f missing; run make bench" >&2
		exit 1
	fi
done

# The data depends only on the generator and its arguments.
stamp="$(sha256sum "$GEN" | cut -d' ' -f1) $EVENTS $EVENT_SEED $RULE_SEED"
if [ "$(cat "$DATA/stamp" 2>/dev/null || true)" != "$stamp" ]; then
	echo "bench: generating $EVENTS events and rule sets in $DATA" >&2
	rm -rf "$DATA"
	mkdir -p "$DATA"
	"$GEN" events "$EVENTS" "$EVENT_SEED" >"$DATA/events.jsonl.tmp"
	mv "$DATA/events.jsonl.tmp" "$DATA/events.jsonl"
	for n in 10 100 1000; do
		"$GEN" rules "$n" "$RULE_SEED" "$DATA/rules$n"
	done
	echo "$stamp" >"$DATA/stamp"
fi

# moderctl keeps compiled prefilters in $XDG_CACHE_HOME/moderd: warm it
# here, so the memory figure is that of a restart, not of a compile
# (bench_rules measures the compile separately as memory-compile).
XDG_CACHE_HOME=$DATA/xdg-cache
export XDG_CACHE_HOME
mkdir -p "$XDG_CACHE_HOME"
for n in 10 100 1000; do
	"$MODERCTL" rules check "$DATA/rules$n" >&2
done

quick=
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	quick=--quick
fi
rc=0
rm -f "$DATA/bench_rules.out" "$DATA/bench_rules.rc"
{
	"$BENCH" "$DATA/events.jsonl" "$DATA/rules10" "$DATA/rules100" \
	    "$DATA/rules1000" --moderctl "$MODERCTL" $quick ||
		echo $? >"$DATA/bench_rules.rc"
} | tee "$DATA/bench_rules.out"
[ ! -e "$DATA/bench_rules.rc" ] || rc=1

# The daemon figure (run_daemon.sh), against the offline pipeline rate of
# this same run.  BENCH_DAEMON=0 skips it.
if [ "${BENCH_DAEMON:-1}" != 0 ]; then
	rate=$(awk '$1 == "bench" && $2 == "pipeline" {
		for (i = 3; i <= NF; i++)
			if (sub(/^events_per_s=/, "", $i)) print $i }' \
	    "$DATA/bench_rules.out")
	sh "$(dirname "$0")/run_daemon.sh" "$BUILD" "$rate" || rc=1
fi

# The blocklist-feed figure (bench_feeds.c: ten feeds of 100000 entries
# parsed, merged and diffed against 100000 blocks; it generates its data
# once into BUILD/benchdata/feeds).  BENCH_FEEDS=0 skips it.
if [ "${BENCH_FEEDS:-1}" != 0 ]; then
	"$BUILD/bench/bench_feeds" "$BUILD/benchdata/feeds" || rc=1
fi

# The queue API figure (bench_api.c: 100000 pending items in an embedded
# cluster under BUILD/benchdata/api, list pages and approvals over
# loopback HTTP).  BENCH_API=0 skips it.
if [ "${BENCH_API:-1}" != 0 ]; then
	"$BUILD/bench/bench_api" "$BUILD/benchdata/api" $quick || rc=1
fi
exit "$rc"
