#!/bin/sh
# run_e2e.sh BUILD - the end-to-end and fault tests (tests/e2e/*.sh).
#
# Each test starts the real moderd from BUILD with real PostgreSQL
# clusters and real sockets in its own temporary directory, and cleans up
# after itself; this runner adds an overall time limit per test (so a
# wedged test fails instead of hanging `make check`) and prints
# "e2e: N passed, M failed"; exits 1 on any failure.  Run from the
# repository root (`make e2e` does).  E2E_ONLY=NAME runs one test.
set -u

build=${1:?usage: tests/run_e2e.sh BUILD}
limit=${E2E_TIMEOUT:-240}
pass=0
fail=0
failed=""
BUILD=$build
export BUILD

for t in tests/e2e/*.sh; do
	name=${t##*/}
	name=${name%.sh}
	[ -n "${E2E_ONLY:-}" ] && [ "$name" != "$E2E_ONLY" ] && continue
	start=$(date +%s)
	if timeout -k 15 "$limit" sh "$t"; then
		pass=$((pass + 1))
		status=ok
	else
		rc=$?
		fail=$((fail + 1))
		failed="$failed $name"
		status="FAILED (exit $rc$([ $rc -eq 124 ] && echo ", timed out after ${limit}s"))"
	fi
	echo "e2e: $name $status in $(($(date +%s) - start))s"
done
[ -n "$failed" ] && echo "e2e: failed:$failed"
echo "e2e: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
