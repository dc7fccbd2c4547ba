#!/bin/sh
# Short libFuzzer run of every fuzz target.  Usage: run_fuzz.sh BUILD SECONDS
# Seeds come from tests/fuzz/corpus_NAME/ (read-only); new inputs go to a
# scratch directory so the tree stays clean.
build=$1
secs=$2
pass=0
fail=0
for f in "$build"/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	name=${f##*/}
	seeds=tests/fuzz/corpus_${name#fuzz_}
	work=$(mktemp -d)
	[ -d "$seeds" ] || seeds=""
	if "$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -max_len=65536 -print_final_stats=0 "$work" $seeds \
	    >"$work.log" 2>&1; then
		pass=$((pass + 1))
		echo "fuzz $name: ok ($(grep -o 'Done [0-9]* runs' "$work.log"))"
	else
		fail=$((fail + 1))
		echo "fuzz $name: FAILED"
		tail -40 "$work.log"
		mkdir -p "$build/fuzz-crashes"
		mv crash-* leak-* timeout-* oom-* "$build/fuzz-crashes/" 2>/dev/null
	fi
	rm -rf "$work" "$work.log"
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
