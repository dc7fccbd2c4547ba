#!/bin/sh
# e2e_basic.sh - moderd on its embedded database with the example rules.
#
# The example events go in over pull (nngcat --push) and rep (nngcat
# --req); the queue must then hold exactly one proposal per event whose
# .expect names an action, plus every report, with the target the action
# implies (flag: the status; silence: its account; account and report
# events: themselves).  Sending everything again changes nothing; a real
# edit (a new edited_at) merges into its proposal.  Also: moderd -n,
# a config error as FILE:LINE:COL, /healthz, /metrics, `moderd queue`,
# `moderd user add`, and a clean SIGTERM that stops the cluster.
set -u
. tests/e2e/lib.subr
e2e_init basic

free_ports 3
set -- $PORTS
HTTP=$1 PULL=$2 REP=$3
STATE=$T/state
CONF=$T/moderd.conf
LOG=$T/moderd.log
DSN=$(embedded_dsn "$STATE")
write_conf "$CONF" "$STATE" "$SRC/examples/rules" "$HTTP"
intake_block "$CONF" events pull "$PULL"
intake_block "$CONF" requests rep "$REP" 4

# ---- configuration checks ----------------------------------------------------
out=$("$MODERD" -n -f "$CONF" 2>"$T/n.err")
rc=$?
check_eq "moderd -n exit status" 0 "$rc"
check_eq "moderd -n output" "configuration OK" "$out"
check "moderd -n prints nothing on stderr" test ! -s "$T/n.err"

cp "$CONF" "$T/bad.conf"
printf 'pipeline_workers 2\n  no_such_key 1\n' >>"$T/bad.conf"
line=$(($(wc -l <"$T/bad.conf")))
out=$("$MODERD" -n -f "$T/bad.conf" 2>"$T/bad.err")
rc=$?
check_eq "moderd -n with an unknown key: exit status" 1 "$rc"
check "moderd -n with an unknown key: no 'configuration OK'" \
	test -z "$out"
check_grep "an unknown key is reported as FILE:LINE:COL: message" \
	"^$T/bad.conf:$line:3: .*no_such_key" "$T/bad.err"
"$MODERD" -d -f "$T/bad.conf" >"$T/bad-run.out" 2>&1
check_eq "moderd refuses to run with a bad config" 1 "$?"
check "a refused config started no cluster" test ! -d "$STATE/pg"

# ---- the expected queue, from the .expect files -----------------------------
# One line per expected proposal: TARGET_TYPE TARGET_ID ACTION.
expected_rows() {
	for f in "$SRC"/examples/events/*.json; do
		act=$(awk '$1 == "action" { print $2 }' "${f%.json}.expect")
		kind=$(sed -n 's/^  "event": "\([^"]*\)".*/\1/p' "$f")
		id1=$(grep -o '"id": "[^"]*"' "$f" | sed -n '1s/.*: "\(.*\)"/\1/p')
		id2=$(grep -o '"id": "[^"]*"' "$f" | sed -n '2s/.*: "\(.*\)"/\1/p')
		case $kind:$act in
		report.*) echo "report $id1 $act" ;;
		*:none) ;;
		account.*) echo "account $id1 $act" ;;
		*:silence | *:suspend) echo "account $id2 $act" ;;
		*) echo "status $id1 $act" ;;
		esac
	done | LC_ALL=C sort
}
expected_rows >"$T/expected"
nexp=$(wc -l <"$T/expected")
check_eq "the example .expect files give 16 queue items" 16 "$nexp"

# ---- start -------------------------------------------------------------------
moderd_start "$CONF" "$LOG" || fatal "moderd did not start"
code=$(http_get "http://127.0.0.1:$HTTP/healthz" "$T/healthz.out")
check_eq "/healthz status" 200 "$code"
check_eq "/healthz body" '{"ok":true}' "$(cat "$T/healthz.out")"
check_grep "the embedded cluster was created" \
	"creating the embedded cluster" "$LOG"
check "the cluster has no TCP socket (listen_addresses='')" \
	test "$(q "$DSN" "SHOW listen_addresses")" = ""

# send_all ROUND: odd-numbered events over pull, even-numbered over rep;
# rep replies go to $T/replies.ROUND as "FILE REPLY".
send_all() {
	: >"$T/replies.$1"
	n=0
	for f in "$SRC"/examples/events/*.json; do
		n=$((n + 1))
		if [ $((n % 2)) -eq 1 ]; then
			push "$PULL" "$f" || bad "round $1: push of $f failed"
		else
			printf '%s %s\n' "${f##*/}" "$(req "$REP" "$f")" \
			    >>"$T/replies.$1"
		fi
	done
}

# wait_sql SQL WANT TENTHS: until the query returns WANT.
wait_sql() {
	_i=0
	while [ $_i -lt "$3" ]; do
		[ "$(q "$DSN" "$1" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

# wait_metric SAMPLE WANT TENTHS
wait_metric() {
	_i=0
	while [ $_i -lt "$3" ]; do
		[ "$(metric "$HTTP" "$1")" = "$2" ] && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

nev=$(ls "$SRC"/examples/events/*.json | wc -l)
npull=$(((nev + 1) / 2))
nrep=$((nev / 2))
send_all 1

# Each rep reply: stored for an event that makes a queue item, else no_action.
n=0
for f in "$SRC"/examples/events/*.json; do
	n=$((n + 1))
	[ $((n % 2)) -eq 0 ] || continue
	b=${f##*/}
	act=$(awk '$1 == "action" { print $2 }' "${f%.json}.expect")
	want=no_action
	case $act:$b in
	none:*report*) want=stored ;;
	none:*) ;;
	*) want=stored ;;
	esac
	check_eq "rep reply to $b" "$b {\"ok\":true,\"status\":\"$want\"}" \
		"$(grep "^$b " "$T/replies.1")"
done

wait_sql "SELECT count(*) FROM deliveries" "$nexp" 300 ||
	bad "deliveries never reached $nexp: $(q "$DSN" "SELECT count(*) FROM deliveries")"
wait_metric 'moderd_events_in_total{source="pull"}' "$npull" 100 ||
	bad "events_in_total{pull} is not $npull"
check_eq "events_in_total{rep}" "$nrep" \
	"$(metric "$HTTP" 'moderd_events_in_total{source="rep"}')"
# The writer counts right after its commit: allow it a moment.
wait_metric 'moderd_proposals_total{outcome="new"}' "$nexp" 50 ||
	bad "proposals_total{new} is not $nexp"
check_eq "proposals_total{merged}" 0 \
	"$(metric "$HTTP" 'moderd_proposals_total{outcome="merged"}')"
# Every other event was judged to need nothing, and is counted as such.
wait_metric 'moderd_proposals_total{outcome="no_action"}' \
	$((npull + nrep - nexp)) 50 ||
	bad "proposals_total{no_action} is not $((npull + nrep - nexp))"

ROWS="SELECT target_type || ' ' || target_id || ' ' || action
	FROM proposals ORDER BY 1"
q "$DSN" "$ROWS" | LC_ALL=C sort >"$T/got"
if cmp -s "$T/expected" "$T/got"; then ok; else
	bad "the queue differs from the .expect files"
	diff "$T/expected" "$T/got" >&2
fi
check_eq "every proposal is pending with count 1" "$nexp|$nexp|pending" \
	"$(q "$DSN" "SELECT count(*), sum(count), min(state) FROM proposals
		WHERE state = 'pending' AND count = 1")"
check_eq "every proposal has one evidence snapshot" "$nexp" \
	"$(q "$DSN" "SELECT count(*) FROM proposals AS p
		WHERE (SELECT count(*) FROM evidence AS e WHERE e.proposal_id = p.id
		AND e.snapshot->>'dedup_key' IS NOT NULL) = 1")"
check_eq "one audit row per new proposal" "$nexp" \
	"$(q "$DSN" "SELECT count(*) FROM audit WHERE action = 'propose'")"
check_eq "no dead letters" 0 "$(q "$DSN" "SELECT count(*) FROM dead_letters")"
check_eq "the report on 8502 (legal) has its category" "legal" \
	"$(q "$DSN" "SELECT report_category FROM proposals
		WHERE target_type = 'report' AND target_id = '8502'")"

# ---- moderd queue (the daemon is running: the cluster is shared) -------------
"$MODERD" -f "$CONF" queue >"$T/queue.out" 2>"$T/queue.err"
check_eq "moderd queue exit status" 0 "$?"
check_grep "moderd queue counts the items" "^$nexp pending items$" \
	"$T/queue.out"
check_eq "moderd queue prints one row per item" "$nexp" \
	"$(grep -cE '^[0-9]+ +[0-9]+ ' "$T/queue.out")"
while read -r tt tid act; do
	check_grep "moderd queue lists $tt $tid $act" \
		"^[0-9]+ +[0-9]+ $tt +$tid +.* $act " "$T/queue.out"
done <"$T/expected"
check_grep "moderd queue adopted the running cluster" \
	"adopted running cluster" "$T/queue.err"
check "moderd queue left the daemon's cluster running" \
	test "$(http_get "http://127.0.0.1:$HTTP/healthz" /dev/null)" = 200

# ---- the same deliveries again: nothing changes ------------------------------
snap() {
	q "$DSN" "SELECT (SELECT count(*) FROM proposals),
		(SELECT sum(count) FROM proposals),
		(SELECT count(*) FROM deliveries),
		(SELECT count(*) FROM audit),
		(SELECT max(updated_at) FROM proposals)"
}
before=$(snap)
send_all 2
# Stored events come back as duplicates, the others still need nothing.
for b in $(awk '{ print $1 }' "$T/replies.1"); do
	want=$(grep "^$b " "$T/replies.1" | sed 's/"stored"/"duplicate"/')
	check_eq "rep reply to $b, sent again" "$want" \
		"$(grep "^$b " "$T/replies.2")"
done
wait_metric 'moderd_events_in_total{source="pull"}' $((2 * npull)) 100 ||
	bad "events_in_total{pull} is not $((2 * npull))"
wait_metric 'moderd_proposals_total{outcome="duplicate"}' "$nexp" 300 ||
	bad "proposals_total{duplicate} never reached $nexp"
check_eq "a re-sent delivery changes nothing" "$before" "$(snap)"
check_eq "proposals_total{new} unchanged" "$nexp" \
	"$(metric "$HTTP" 'moderd_proposals_total{outcome="new"}')"

# ---- a real edit is a distinct delivery: it merges ---------------------------
sed 's/"edited_at": "2026-02-17T07:45:12.000Z"/"edited_at": "2026-02-17T09:00:00.000Z"/' \
	"$SRC/examples/events/05-status-updated-casino.json" >"$T/edit.json"
check "the edit differs from the original" eval \
	'! cmp -s "$T/edit.json" "$SRC/examples/events/05-status-updated-casino.json"'
check_eq "an edit over rep is stored" '{"ok":true,"status":"stored"}' \
	"$(req "$REP" "$T/edit.json")"
check_eq "the edit merged into the status's proposal (count 2, 2 snapshots)" \
	"2|2|1" "$(q "$DSN" "SELECT count,
		(SELECT count(*) FROM evidence AS e WHERE e.proposal_id = p.id),
		(SELECT count(*) FROM proposals WHERE target_id = '113995000111220005')
		FROM proposals AS p WHERE target_id = '113995000111220005'")"
check_eq "proposals after the edit" "$nexp|$((nexp + 1))|$((nexp + 1))" \
	"$(q "$DSN" "SELECT (SELECT count(*) FROM proposals),
		(SELECT sum(count) FROM proposals),
		(SELECT count(*) FROM deliveries)")"
check_eq "the merge wrote an audit row" 1 \
	"$(q "$DSN" "SELECT count(*) FROM audit WHERE action = 'merge'")"
check_eq "the edit sent again is a duplicate" \
	'{"ok":true,"status":"duplicate"}' "$(req "$REP" "$T/edit.json")"
check_eq "proposals_total{merged}" 1 \
	"$(metric "$HTTP" 'moderd_proposals_total{outcome="merged"}')"

# ---- /metrics -----------------------------------------------------------------
code=$(http_get "http://127.0.0.1:$HTTP/metrics" "$T/metrics.txt")
check_eq "/metrics status" 200 "$code"
check_grep "/metrics has events_in_total" \
	'^moderd_events_in_total\{source="pull"\} [0-9]+$' "$T/metrics.txt"
check_grep "/metrics counts rule hits" \
	'^moderd_rule_hits_total\{rule="CRYPTO_GIVEAWAY"\} [1-9][0-9]*$' \
	"$T/metrics.txt"
check_grep "/metrics has the latency histogram" \
	'^moderd_event_latency_seconds_bucket\{le="\+Inf"\} [1-9]' \
	"$T/metrics.txt"

# ---- users ---------------------------------------------------------------------
"$MODERD" -f "$CONF" user add alice --role moderator >"$T/user.out" \
	2>"$T/user.err"
check_eq "user add alice: exit status" 0 "$?"
token=$(grep -E '^[0-9a-f]{64}$' "$T/user.out")
check_eq "user add prints one 64-hex token" 1 \
	"$(grep -cE '^[0-9a-f]{64}$' "$T/user.out")"
check_eq "alice is a moderator" "moderator" \
	"$(q "$DSN" "SELECT role FROM users WHERE name = 'alice'")"
hash=$(printf '%s' "$token" | sha256sum | cut -d' ' -f1)
check_eq "the token is stored only as its SHA-256" "1|0" \
	"$(q "$DSN" "SELECT count(*) FILTER (WHERE token_sha256 = '$hash'),
		count(*) FILTER (WHERE token_sha256 = '$token') FROM tokens")"
"$MODERD" -f "$CONF" user add alice --role admin >"$T/user2.out" \
	2>"$T/user2.err"
check_eq "a second user add alice fails" 1 "$?"
check "the second add prints no token" \
	test "$(grep -cE '^[0-9a-f]{64}$' "$T/user2.out")" -eq 0
check_grep "the second add says why" "alice" "$T/user2.err"
check_eq "alice is still one moderator" "1|moderator" \
	"$(q "$DSN" "SELECT count(*), min(role) FROM users WHERE name = 'alice'")"
"$MODERD" -f "$CONF" user add bob --role janitor >/dev/null 2>&1
check_eq "an unknown role is refused" 1 "$?"

# ---- SIGTERM: clean exit, cluster stopped ---------------------------------------
pm=$(head -n 1 "$STATE/pg/postmaster.pid")
moderd_stop "$MPID"
check_eq "moderd exit status after SIGTERM" 0 "$MRC"
check_grep "moderd logged its stop" "moderd stopped" "$LOG"
check "the embedded postmaster ($pm) is gone" eval '! alive "$pm"'
check "postmaster.pid is removed" test ! -f "$STATE/pg/postmaster.pid"
e2e_done
