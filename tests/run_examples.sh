#!/bin/sh
# run_examples.sh BUILD - the shipped examples through the moderctl binary.
#
# tests/test_examples.c checks the same expectations through the library;
# this script checks what a user sees: `moderctl rules check` and
# `moderctl rules test` on examples/, their output shape and exit status,
# the verdict of every example event against its .expect file (with and
# without the prefilter), the error report of a broken rule directory
# against a golden file, and the {"line":N,"error":...} report of a bad
# input line.  Runs from the repository root; needs only POSIX sh, grep,
# sed and awk.  Prints "examples: N passed, M failed"; exits 1 on failure.
set -u

build=${1:?usage: tests/run_examples.sh BUILD}
ctl=$build/moderctl
rules=examples/rules
pass=0
fail=0

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
# Keep Hyperscan database caches out of the user's home.
XDG_CACHE_HOME=$tmp/cache
mkdir "$XDG_CACHE_HOME"
export XDG_CACHE_HOME

ok() {
	pass=$((pass + 1))
}

bad() {
	fail=$((fail + 1))
	echo "FAIL: $*" >&2
}

# check DESCRIPTION COMMAND...: the command must succeed.
check() {
	desc=$1
	shift
	if "$@"; then ok; else bad "$desc"; fi
}

if [ ! -x "$ctl" ]; then
	echo "run_examples.sh: $ctl not built" >&2
	exit 1
fi

# --- rules check -----------------------------------------------------------
"$ctl" rules check "$rules" >"$tmp/check.out" 2>"$tmp/check.err"
rc=$?
check "rules check $rules exits 0 (got $rc): $(cat "$tmp/check.err")" \
	test "$rc" -eq 0
check "rules check prints a one-line summary" \
	grep -q "^$rules: [0-9][0-9]* rules OK" "$tmp/check.out"
check "rules check prints exactly one line" \
	test "$(wc -l <"$tmp/check.out")" -eq 1
check "rules check prints nothing on stderr" test ! -s "$tmp/check.err"
check "rules check cached the compiled prefilter" \
	test -n "$(find "$XDG_CACHE_HOME" -name 'hs-*.db' 2>/dev/null)"
# Second load: the Hyperscan databases now come from the cache.
"$ctl" rules check "$rules" >"$tmp/check2.out" 2>"$tmp/check2.err"
check "rules check with a warm cache gives the same summary" \
	cmp -s "$tmp/check.out" "$tmp/check2.out"

# --- rules test over every example event --------------------------------------
set -- examples/events/*.json
nev=$#
"$ctl" rules test "$rules" "$@" >"$tmp/test.out" 2>"$tmp/test.err"
rc=$?
check "rules test exits 0 (got $rc): $(head -3 "$tmp/test.err")" \
	test "$rc" -eq 0
check "rules test prints one line per event ($nev)" \
	test "$(wc -l <"$tmp/test.out")" -eq "$nev"
check "every line is a verdict" \
	test "$(grep -c '^{"event":"[a-z.]*","object_id":"[0-9]*","score":' \
		"$tmp/test.out")" -eq "$nev"
check "no line is an error" test "$(grep -c '"error"' "$tmp/test.out")" -eq 0
"$ctl" rules test --naive "$rules" "$@" >"$tmp/naive.out" 2>"$tmp/naive.err"
check "verdicts are identical without the prefilter (--naive)" \
	cmp -s "$tmp/test.out" "$tmp/naive.out"

# The same events as JSON Lines on stdin (one compact document per line).
for f in "$@"; do tr -d '\n' <"$f"; echo; done >"$tmp/all.jsonl"
"$ctl" rules test "$rules" <"$tmp/all.jsonl" >"$tmp/stdin.out" 2>"$tmp/stdin.err"
rc=$?
check "JSON Lines on stdin give the same verdicts (rc $rc)" \
	cmp -s "$tmp/test.out" "$tmp/stdin.out"

# --- each event against its .expect -----------------------------------------
# verdict_score LINE: the top-level score of a verdict line.
verdict_score() {
	printf '%s\n' "$1" |
	    sed -n 's/^{"event":"[^"]*","object_id":"[^"]*","score":\([-0-9.eE+]*\),.*/\1/p'
}

# check_expect JSON EXPECT LINE: every assertion of EXPECT against LINE.
check_expect() {
	name=$1
	line=$3
	while read -r kw arg rest; do
		case $kw in
		'' | '#'*) continue ;;
		esac
		what="$name: $kw $arg"
		if [ -n "$rest" ]; then
			bad "$what: malformed line"
			continue
		fi
		case $kw in
		hit)
			case $line in
			*'"hits":['*'{"rule":"'"$arg"'"'*'],"unevaluated"'*) ok ;;
			*) bad "$what: not among the hits" ;;
			esac ;;
		miss)
			case $line in
			*'"hits":['*'{"rule":"'"$arg"'"'*'],"unevaluated"'*)
				bad "$what: it hit" ;;
			*) ok ;;
			esac ;;
		uneval)
			case $line in
			*'"unevaluated":['*'{"rule":"'"$arg"'"'*) ok ;;
			*) bad "$what: not unevaluated" ;;
			esac ;;
		action)
			case $line in
			*',"action":"'"$arg"'","hits":'*) ok ;;
			*) bad "$what: got $(printf '%s' "$line" |
				sed 's/.*,"action":"\([a-z]*\)","hits":.*/\1/')" ;;
			esac ;;
		score)
			got=$(verdict_score "$line")
			if awk -v a="$arg" -v b="$got" 'BEGIN {
			    d = a - b; if (b == "" || d > 1e-9 || d < -1e-9)
			    exit 1 }'; then ok; else bad "$what: got $got"; fi ;;
		*)
			bad "$what: unknown assertion" ;;
		esac
	done <"$2"
}

for dir in examples/events tests/corpus/events; do
	for f in "$dir"/*.json; do
		exp=${f%.json}.expect
		if [ ! -f "$exp" ]; then
			[ "$dir" = examples/events ] && bad "$f: no .expect"
			continue
		fi
		line=$("$ctl" rules test "$rules" "$f" 2>"$tmp/one.err")
		rc=$?
		if [ "$rc" -ne 0 ] || [ -z "$line" ]; then
			bad "$f: rules test exit $rc: $(head -1 "$tmp/one.err")"
			continue
		fi
		check_expect "$f" "$exp" "$line"
	done
done

# --- --table ------------------------------------------------------------------
"$ctl" rules test --table "$rules" examples/events/*.json \
	>"$tmp/table.out" 2>&1
rc=$?
check "rules test --table exits 0 (got $rc)" test "$rc" -eq 0
check "--table prints a header" grep -q '^EVENT ' "$tmp/table.out"
check "--table mentions a hit rule" \
	grep -q 'CRYPTO_GIVEAWAY' "$tmp/table.out"

# --- -f CONF: thresholds from a configuration file ---------------------------
cat >"$tmp/strict.conf" <<EOF
rules_cache_dir "$tmp/conf-cache"
thresholds {
	flag	8
	silence	12
}
EOF
# action_of FILE: the proposed action for one example event under strict.conf
action_of() {
	"$ctl" rules test -f "$tmp/strict.conf" "$rules" "examples/events/$1" \
	    2>/dev/null | sed -n 's/.*,"action":"\([a-z]*\)","hits":.*/\1/p'
}
check "-f: score 7 is below a flag threshold of 8" \
	test "$(action_of 02-status-created-crypto-giveaway.json)" = none
check "-f: score 11 reaches flag 8 but not silence 12" \
	test "$(action_of 03-status-created-lookalike-spam.json)" = flag
check "-f: score 13 reaches silence 12" \
	test "$(action_of 09-report-created-legal.json)" = silence
if [ -f examples/moderd.conf ]; then
	"$ctl" rules check --no-cache -f examples/moderd.conf "$rules" \
		>/dev/null 2>"$tmp/conf.err"
	rc=$?
	check "rules check -f examples/moderd.conf exits 0 (got $rc)" \
		test "$rc" -eq 0
fi
printf 'thresholds {\n\tflag\t20\n\tsilence\t10\n}\n' >"$tmp/bad.conf"
"$ctl" rules test -f "$tmp/bad.conf" "$rules" examples/events/01-*.json \
	>"$tmp/badconf.out" 2>"$tmp/badconf.err"
rc=$?
check "a bad configuration fails with exit 1 (got $rc)" test "$rc" -eq 1
check "a bad configuration is reported as FILE:LINE:COL: message" \
	grep -q "^$tmp/bad.conf:[0-9]*:[0-9]*: " "$tmp/badconf.err"
check "a bad configuration gives no verdicts" test ! -s "$tmp/badconf.out"

# --- errors: a broken rule directory --------------------------------------
# tests/rules/bad and its golden stderr tests/rules/bad.err come with the
# rule parser; skipped until they exist.
if [ -d tests/rules/bad ] && [ -f tests/rules/bad.err ]; then
	"$ctl" rules check tests/rules/bad >"$tmp/bad.out" 2>"$tmp/bad.err"
	rc=$?
	check "rules check tests/rules/bad exits 1 (got $rc)" test "$rc" -eq 1
	if cmp -s tests/rules/bad.err "$tmp/bad.err"; then
		ok
	else
		bad "rules check tests/rules/bad: stderr differs from golden"
		diff -u tests/rules/bad.err "$tmp/bad.err" >&2
	fi
	check "rules check tests/rules/bad prints nothing on stdout" \
		test ! -s "$tmp/bad.out"
else
	echo "run_examples.sh: tests/rules/bad.err not present yet, golden check skipped" >&2
fi

# A failing expect line names the rule and the example.
mkdir "$tmp/failing"
cat >"$tmp/failing/x.rules" <<'EOF'
rule FREE_BTC {
	desc	"x"
	match	text /free btc/
	score	1
	expect	miss "ϜＲЕЕ ВТС"
}
EOF
"$ctl" rules check "$tmp/failing" >/dev/null 2>"$tmp/failing.err"
rc=$?
check "a failing expect fails the load (exit 1, got $rc)" test "$rc" -eq 1
check "a failing expect is reported as FILE:LINE:COL: rule NAME: ..." \
	grep -q "^$tmp/failing/x.rules:5:2: rule FREE_BTC: expect miss failed" \
	"$tmp/failing.err"

# --- errors: bad input lines ------------------------------------------------
{
	tr -d '\n' <examples/events/02-status-created-crypto-giveaway.json
	echo
	echo 'this is not json'
	echo '{"event":"status.deleted","created_at":"2026-02-20T10:00:00Z","object":{"id":"1"}}'
	tr -d '\n' <examples/events/01-status-created-ham.json
	echo
} >"$tmp/mixed.jsonl"
"$ctl" rules test "$rules" <"$tmp/mixed.jsonl" >"$tmp/mixed.out" 2>"$tmp/mixed.err"
rc=$?
check "a bad input line makes the exit status 1 (got $rc)" test "$rc" -eq 1
check "four input lines give four output lines" \
	test "$(wc -l <"$tmp/mixed.out")" -eq 4
check "line 1 is a verdict" \
	test "$(sed -n 1p "$tmp/mixed.out" | cut -c1-10)" = '{"event":"'
check 'line 2 is {"line":2,"error":...}' \
	grep -q '^{"line":2,"error":"..*"}$' "$tmp/mixed.out"
check 'an unknown event name is {"line":3,"error":...}' \
	grep -q '^{"line":3,"error":"..*"}$' "$tmp/mixed.out"
check "processing continues after bad lines (line 4 is a verdict)" \
	test "$(sed -n 4p "$tmp/mixed.out" | cut -c1-10)" = '{"event":"'

# --- feeds merge: the example subscriptions against golden output -----------
# examples/feeds/merge.out is the provenance listing, merge.err the parse
# errors, merge.csv the merged list as a Mastodon import file.
# golden NAME FILE OUT: OUT must equal the golden FILE.
golden() {
	if cmp -s "$2" "$3"; then
		ok
	else
		bad "$1: differs from golden $2"
		diff -u "$2" "$3" >&2
	fi
}
fconf=examples/feeds/feeds.conf
"$ctl" feeds merge -f "$fconf" >"$tmp/merge.out" 2>"$tmp/merge.err"
rc=$?
check "feeds merge -f $fconf exits 0 (got $rc)" test "$rc" -eq 0
golden "feeds merge (table)" examples/feeds/merge.out "$tmp/merge.out"
golden "feeds merge (errors)" examples/feeds/merge.err "$tmp/merge.err"
"$ctl" feeds merge -f "$fconf" --format mastodon-csv \
	>"$tmp/merge.csv" 2>/dev/null
golden "feeds merge --format mastodon-csv" examples/feeds/merge.csv \
	"$tmp/merge.csv"
# The merged list reads back through our own parser.
"$ctl" feeds parse "$tmp/merge.csv" >/dev/null 2>"$tmp/reparse.err"
check "the merged CSV parses back ($(tail -1 "$tmp/reparse.err"))" \
	grep -q '^5 entries, 0 errors' "$tmp/reparse.err"
# An empty feed is a failure, never "no blocks".
: >"$tmp/empty.txt"
printf 'feed empty {\n\tpath "%s"\n}\nfeed ok {\n\tpath "%s"\n}\n' \
	"$tmp/empty.txt" examples/feeds/d.txt >"$tmp/empty.conf"
"$ctl" feeds merge -f "$tmp/empty.conf" >"$tmp/empty.out" 2>"$tmp/empty.err"
rc=$?
check "a feed with no entries makes feeds merge exit 1 (got $rc)" \
	test "$rc" -eq 1
check "the empty feed is named on stderr" \
	grep -q '^moderctl: feed empty: no usable entries$' "$tmp/empty.err"
check "the failed feed is marked FAILED in the listing" \
	grep -q '^feed empty: .*: FAILED$' "$tmp/empty.out"
printf 'feed x {\n\ttrust 1\n}\n' >"$tmp/nosrc.conf"
"$ctl" feeds merge -f "$tmp/nosrc.conf" >/dev/null 2>"$tmp/nosrc.err"
rc=$?
check "a feed without url or path is a config error (exit $rc)" \
	grep -q "^$tmp/nosrc.conf:1:1: feed.x: one of url and path is required" \
	"$tmp/nosrc.err"

echo "examples: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
