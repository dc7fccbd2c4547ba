#!/bin/sh
# e2e_pg_restart.sh - PostgreSQL goes away mid-stream: nothing is lost,
# nothing is duplicated.
#
# moderd runs against an external throwaway cluster with a small pipeline
# (pipeline_queue_count 16).  One push socket streams NPULL distinct spam
# statuses (each its own flag proposal on the status) and NACCT distinct
# lookalike-spam statuses by one account (silence proposals on that
# account, which must merge into ONE proposal), while a rep sender sends
# NREP more distinct statuses and retries each until it hears
# {"ok":true,...}.  Mid-stream the cluster is restarted (pg_ctl restart -m
# fast), later stopped for two seconds: moderd must report the outage on
# /healthz, hold pull senders back once 16 events are in flight (never
# more, none dropped), reconnect, and end with exactly one delivery per
# event and exactly the proposals expected.
set -u
. tests/e2e/lib.subr
e2e_init pg_restart

NPULL=300 NACCT=40 NREP=100 CAP=16
free_ports 3
set -- $PORTS
HTTP=$1 PULL=$2 REP=$3
PGDIR=$T/pg
CONF=$T/moderd.conf
LOG=$T/moderd.log
pg_external "$PGDIR"
DSN=$PGDSN
write_conf "$CONF" "$T/state" "$SRC/examples/rules" "$HTTP" "$DSN"
intake_block "$CONF" events pull "$PULL"
intake_block "$CONF" requests rep "$REP" 8
echo "pipeline_queue_count $CAP" >>"$CONF"

SPAM=$SRC/examples/events/02-status-created-crypto-giveaway.json
ACCT=$SRC/examples/events/03-status-created-lookalike-spam.json
ACCT_ID=113990000000000011
T02=2026-02-17T09:12:44.000Z	# created_at of the two statuses
T03=2026-02-18T14:03:10.000Z
gen_events "$SPAM" 113999000111222333 71000000000 1 $NPULL >"$T/spam.jsonl"
gen_events "$ACCT" 114004000111220042 73000000000 1 $NACCT >"$T/acct.jsonl"
gen_events "$SPAM" 113999000111222333 72000000000 1 $NREP >"$T/rep.jsonl"
# One account event after every 7 spam events.
awk 'NR == FNR { a[NR] = $0; na = NR; next }
	{ print; if (FNR % 7 == 0 && j < na) print a[++j] }
	END { while (j < na) print a[++j] }' \
	"$T/acct.jsonl" "$T/spam.jsonl" >"$T/pull.jsonl"
check_eq "pull stream size" $((NPULL + NACCT)) "$(wc -l <"$T/pull.jsonl")"
check_eq "distinct events generated" $((NPULL + NACCT + NREP)) \
	"$(cat "$T/pull.jsonl" "$T/rep.jsonl" |
		grep -o '"id": "7[123]0000000000[0-9]*"' | sort -u | wc -l)"

moderd_start "$CONF" "$LOG" || fatal "moderd did not start"

# deliveries: of this test's events (all of them: nothing else is sent).
deliveries() {
	q "$DSN" "SELECT count(*) FROM deliveries" 2>/dev/null
}

# wait_deliveries N TENTHS: until at least N are stored.
wait_deliveries() {
	_i=0
	while [ $_i -lt "$2" ]; do
		_c=$(deliveries)
		[ -n "$_c" ] && [ "$_c" -ge "$1" ] && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

# ---- the senders ---------------------------------------------------------------
timeout 120 "$TOOL" push -i 15 -l 1500 "$T/pull.jsonl" \
	"tcp://127.0.0.1:$PULL" >"$T/push.out" 2>&1 &
PUSHER=$!
bg "$PUSHER"

# rep: each event until ok:true; logs "TRIES REPLY" per event.
: >"$T/rep.errors"
(
	while IFS= read -r ev; do
		n=0
		while [ $n -lt 150 ]; do
			n=$((n + 1))
			r=$(timeout 10 nngcat --req --dial "tcp://127.0.0.1:$REP" \
			    --data "$ev" --ascii 2>/dev/null)
			case $r in '{"ok":true'*) break ;; esac
			echo "retry $r" >>"$T/rep.errors"
			sleep 0.2
		done
		echo "$n $r"
		sleep 0.02
	done <"$T/rep.jsonl" >"$T/rep.out"
) &
REPPER=$!
bg "$REPPER"

# ---- fault 1: restart mid-stream ----------------------------------------------
wait_deliveries 60 300 || bad "the stream did not start"
before=$(deliveries)
as_pg 60 "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w -t 45 restart \
	-o "-k $PGDIR -c listen_addresses=" >>"$T/pg_ctl.out" 2>&1
check_eq "pg_ctl restart -m fast" 0 "$?"
check "the restart came mid-stream ($before of $((NPULL + NACCT + NREP)) stored)" \
	test "$before" -lt $((NPULL + NACCT))

# ---- fault 2: two seconds without a database ------------------------------------
wait_deliveries $((before + 60)) 300 || bad "no progress after the restart"
mid=$(deliveries)
as_pg 60 "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w -t 45 stop \
	>>"$T/pg_ctl.out" 2>&1
check_eq "pg_ctl stop -m fast" 0 "$?"
maxq=0
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	v=$(metric "$HTTP" 'moderd_pipeline_queue')
	[ -n "$v" ] && [ "$v" -gt "$maxq" ] && maxq=$v
	[ $i -eq 10 ] && in10=$(metric "$HTTP" 'moderd_events_in_total{source="pull"}')
	sleep 0.1
done
in20=$(metric "$HTTP" 'moderd_events_in_total{source="pull"}')
hz=$(http_get "http://127.0.0.1:$HTTP/healthz" /dev/null)
pg_external_start "$PGDIR"
check_eq "/healthz during the outage" 503 "$hz"
check "the outage came mid-stream ($mid stored)" \
	test "$mid" -lt $((NPULL + NACCT))
check_eq "back-pressure: the pipeline filled up to its cap" "$CAP" "$maxq"
check_eq "back-pressure: pull intake held back (no receive for a second)" \
	"$in10" "$in20"

# ---- the end -----------------------------------------------------------------------
i=0
while { alive "$PUSHER" || alive "$REPPER"; } && [ $i -lt 900 ]; do
	sleep 0.1
	i=$((i + 1))
done
wait "$PUSHER"
check_eq "the pull sender finished" 0 "$?"
check_eq "the pull sender sent everything" "sent $((NPULL + NACCT))" \
	"$(cat "$T/push.out")"
wait "$REPPER"
check_eq "every rep event was acknowledged" "$NREP" \
	"$(grep -c '^[0-9]* {"ok":true,"status":"\(stored\|duplicate\)"}$' "$T/rep.out")"
echo "pg_restart: while pull events were held, rep senders retried" \
	"$(wc -l <"$T/rep.errors") times"

TOTAL=$((NPULL + NACCT + NREP))
wait_deliveries $TOTAL 600 || bad "only $(deliveries) of $TOTAL deliveries"
sleep 0.5
{
	dedup_keys status.created 71000000000 1 $NPULL $T02
	dedup_keys status.created 72000000000 1 $NREP $T02
	dedup_keys status.created 73000000000 1 $NACCT $T03
} | LC_ALL=C sort >"$T/keys.want"
q "$DSN" "SELECT dedup_key FROM deliveries" | LC_ALL=C sort >"$T/keys.got"
check_eq "want one dedup key per event" "$TOTAL" "$(wc -l <"$T/keys.want")"
if cmp -s "$T/keys.want" "$T/keys.got"; then ok; else
	bad "deliveries are not exactly the events sent (none lost, none twice):" \
		"$(LC_ALL=C comm -23 "$T/keys.want" "$T/keys.got" | wc -l) missing," \
		"$(LC_ALL=C comm -13 "$T/keys.want" "$T/keys.got" | wc -l) unexpected"
fi
check_eq "deliveries by intake" "events:$((NPULL + NACCT)) requests:$NREP" \
	"$(q "$DSN" "SELECT string_agg(intake || ':' || n, ' ' ORDER BY intake)
		FROM (SELECT intake, count(*) AS n FROM deliveries GROUP BY 1) x")"
check_eq "one flag proposal per spam status, count 1" \
	"$((NPULL + NREP))|$((NPULL + NREP))|$((NPULL + NREP))" \
	"$(q "$DSN" "SELECT count(*), count(DISTINCT target_id), sum(count)
		FROM proposals WHERE target_type = 'status' AND action = 'flag'
		AND (target_id LIKE '71%' OR target_id LIKE '72%')")"
check_eq "the account's statuses merged into one proposal" \
	"1|$NACCT|silence" \
	"$(q "$DSN" "SELECT count(*), sum(count), min(action) FROM proposals
		WHERE target_type = 'account' AND target_id = '$ACCT_ID'")"
check_eq "the merged proposal kept a bounded evidence list" "t" \
	"$(q "$DSN" "SELECT (SELECT count(*) FROM evidence AS e
		WHERE e.proposal_id = p.id) BETWEEN 1 AND $NACCT
		FROM proposals AS p WHERE target_id = '$ACCT_ID'")"
check_eq "no other proposals" $((NPULL + NREP + 1)) \
	"$(q "$DSN" "SELECT count(*) FROM proposals")"
check_eq "audit: one propose per proposal, one merge per merged event" \
	"$((NPULL + NREP + 1))|$((NACCT - 1))" \
	"$(q "$DSN" "SELECT count(*) FILTER (WHERE action = 'propose'),
		count(*) FILTER (WHERE action = 'merge') FROM audit")"
check_eq "no dead letters" 0 "$(q "$DSN" "SELECT count(*) FROM dead_letters")"

check_eq 'events_in_total{source="pull"}: every message received once' \
	$((NPULL + NACCT)) \
	"$(metric "$HTTP" 'moderd_events_in_total{source="pull"}')"
check_eq 'nothing dropped for a full pipeline' 0 \
	"$(metric "$HTTP" 'moderd_events_rejected_total{reason="dropped_full"}')"
check "db_errors_total counts the outage" \
	test "$(metric "$HTTP" 'moderd_db_errors_total')" -ge 1
check_grep "moderd logged the lost connection" \
	"connection to the database lost|could not connect" "$LOG"
check_grep "moderd logged the reconnect" "reconnected to the database" "$LOG"
check_eq "/healthz after the outage" 200 \
	"$(http_get "http://127.0.0.1:$HTTP/healthz" /dev/null)"

# ---- fault 3: rep and webhook alone while the database is down ------------------
# With no pull events held for a retry, a rep or webhook event reaches the
# writer at once and must be answered with an error (not held): rep with
# {"ok":false,"error":"unavailable",...}, the webhook with 503, so that
# the sender (Mastodon) retries.
NREP3=10 NHOOK3=5
gen_events "$SPAM" 113999000111222333 74000000000 1 $NREP3 >"$T/rep3.jsonl"
gen_events "$SPAM" 113999000111222333 75000000000 1 $NHOOK3 >"$T/hook3.jsonl"
as_pg 60 "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w -t 45 stop \
	>>"$T/pg_ctl.out" 2>&1
: >"$T/rep3.errors"
(
	while IFS= read -r ev; do
		n=0
		while [ $n -lt 150 ]; do
			n=$((n + 1))
			r=$(timeout 10 nngcat --req --dial "tcp://127.0.0.1:$REP" \
			    --data "$ev" --ascii 2>/dev/null)
			case $r in '{"ok":true'*) break ;; esac
			echo "$r" >>"$T/rep3.errors"
			sleep 0.2
		done
		echo "$n $r"
	done <"$T/rep3.jsonl" >"$T/rep3.out"
) &
REPPER=$!
bg "$REPPER"
(
	while IFS= read -r ev; do
		printf '%s' "$ev" >"$T/hook3.body"
		n=0
		while [ $n -lt 150 ]; do
			n=$((n + 1))
			c=$(webhook "$HTTP" "$T/hook3.body")
			echo "$c $(cat "$T/webhook.out")" >>"$T/hook3.codes"
			[ "$c" = 200 ] && break
			sleep 0.2
		done
	done <"$T/hook3.jsonl"
) &
HOOKER=$!
bg "$HOOKER"
sleep 1.5
pg_external_start "$PGDIR"
i=0
while { alive "$REPPER" || alive "$HOOKER"; } && [ $i -lt 600 ]; do
	sleep 0.1
	i=$((i + 1))
done
wait "$REPPER"
wait "$HOOKER"
check_eq "webhook during an outage: every event answered 200 in the end" \
	"$NHOOK3" "$(grep -c '^200 {"ok":true,"status":"stored"}$' "$T/hook3.codes")"
check "webhook during an outage: 503 first ($(grep -c '^503 ' "$T/hook3.codes"))" \
	test "$(grep -c '^503 {"error":"unavailable","message":"database unavailable, retry later"}$' \
		"$T/hook3.codes")" -ge 1
check_eq "webhook during an outage: no other answers" 0 \
	"$(grep -vc '^\(200\|503\) ' "$T/hook3.codes")"
check_eq "rep during an outage: every event acknowledged in the end" \
	"$NREP3" "$(grep -c '^[0-9]* {"ok":true,"status":"\(stored\|duplicate\)"}$' \
		"$T/rep3.out")"
check "rep during an outage: the sender saw errors first ($(wc -l <"$T/rep3.errors"))" \
	test "$(grep -c '^{"ok":false,"error":"unavailable","message":"database unavailable, retry later"}$' \
		"$T/rep3.errors")" -ge 1
check_eq "rep during an outage: only such errors" 0 \
	"$(grep -vc '^{"ok":false,"error":"unavailable",' "$T/rep3.errors")"
check_eq "rep during an outage: stored once each" "$NREP3|$NREP3" \
	"$(q "$DSN" "SELECT count(*), sum(p.count) FROM deliveries d
		JOIN proposals p ON p.target_id = d.object_id
		WHERE d.object_id LIKE '74%'")"
check_eq "webhook during an outage: stored once each" "$NHOOK3|$NHOOK3" \
	"$(q "$DSN" "SELECT count(*), sum(p.count) FROM deliveries d
		JOIN proposals p ON p.target_id = d.object_id
		WHERE d.object_id LIKE '75%'")"
check_eq "all deliveries" $((TOTAL + NREP3 + NHOOK3)) \
	"$(q "$DSN" "SELECT count(*) FROM deliveries")"

moderd_stop "$MPID"
check_eq "moderd exit status after SIGTERM" 0 "$MRC"
check "the external cluster is still running (moderd only stops its own)" \
	test -f "$PGDIR/data/postmaster.pid"
e2e_done
