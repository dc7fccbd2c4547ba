#!/bin/sh
# Run every cmocka runner given and print "units: N passed, M failed",
# counting individual cmocka tests.  Usage: run_units.sh BUILD TEST...
build=$1
shift
pass=0
fail=0
failed=""
for t in "$@"; do
	if MODERD_SRCDIR=. "$t" >"$t.log" 2>&1; then :; else
		failed="$failed ${t##*/}"
		cat "$t.log"
	fi
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$t.log")
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$t.log")
	pass=$((pass + ${p:-0}))
	fail=$((fail + ${f:-0}))
	# A runner that crashed before its summary still counts as failed.
	[ -z "$p$f" ] && fail=$((fail + 1))
done
echo "runners in $build:$( [ -n "$failed" ] && echo " FAILED:$failed" || echo " all ok")"
echo "units: $pass passed, $fail failed"
[ -z "$failed" ] && [ "$fail" -eq 0 ]
