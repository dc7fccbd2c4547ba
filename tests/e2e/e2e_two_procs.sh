#!/bin/sh
# e2e_two_procs.sh - two moderd processes on one PostgreSQL, fed by one
# push socket.
#
# Both start at the same moment against an empty external cluster (the
# schema must be migrated exactly once), each with its own pull intake.
# One push socket dials both (nng push load-balances) and sends K distinct
# spam statuses (one flag proposal each) and KA distinct statuses of one
# account (silence proposals that both processes merge into the same row
# concurrently).  Afterwards: exactly K + KA deliveries, K + 1 proposals,
# the merged one with count KA, no duplicates, and both processes handled
# a share of the load.
set -u
. tests/e2e/lib.subr
e2e_init two_procs

K=300 KA=60
free_ports 4
set -- $PORTS
HTTPA=$1 PULLA=$2 HTTPB=$3 PULLB=$4
PGDIR=$T/pg
pg_external "$PGDIR"
DSN=$PGDSN
write_conf "$T/A.conf" "$T/stateA" "$SRC/examples/rules" "$HTTPA" "$DSN"
intake_block "$T/A.conf" events pull "$PULLA"
write_conf "$T/B.conf" "$T/stateB" "$SRC/examples/rules" "$HTTPB" "$DSN"
intake_block "$T/B.conf" events pull "$PULLB"

SPAM=$SRC/examples/events/02-status-created-crypto-giveaway.json
ACCT=$SRC/examples/events/03-status-created-lookalike-spam.json
ACCT_ID=113990000000000011
gen_events "$SPAM" 113999000111222333 91000000000 1 $K >"$T/spam.jsonl"
gen_events "$ACCT" 114004000111220042 93000000000 1 $KA >"$T/acct.jsonl"
awk 'NR == FNR { a[NR] = $0; na = NR; next }
	{ print; if (FNR % 5 == 0 && j < na) print a[++j] }
	END { while (j < na) print a[++j] }' \
	"$T/acct.jsonl" "$T/spam.jsonl" >"$T/all.jsonl"

# ---- both start together ------------------------------------------------------------
moderd_spawn "$T/A.conf" "$T/A.log"
PA=$MPID FA=$MFROM
moderd_spawn "$T/B.conf" "$T/B.log"
PB=$MPID FB=$MFROM
wait_log "$T/A.log" "moderd ready" 600 "$PA" "$FA" || fatal "moderd A did not start"
wait_log "$T/B.log" "moderd ready" 600 "$PB" "$FB" || fatal "moderd B did not start"
check_eq "the schema was migrated once" 1 \
	"$(cat "$T/A.log" "$T/B.log" | grep -c 'schema migrated')"
check_eq "schema_version has one row per version" t \
	"$(q "$DSN" "SELECT count(*) = max(version) AND count(*) = count(DISTINCT version) FROM schema_version")"

# ---- one push socket, two daemons ----------------------------------------------------
timeout 120 "$TOOL" push -l 1500 "$T/all.jsonl" "tcp://127.0.0.1:$PULLA" \
	"tcp://127.0.0.1:$PULLB" >"$T/push.out" 2>&1
check_eq "the push client sent everything" "sent $((K + KA))" \
	"$(cat "$T/push.out")"

wait_for 300 q_is "$DSN" "SELECT count(*) FROM deliveries" $((K + KA)) || :
sleep 0.5
{
	dedup_keys status.created 91000000000 1 $K 2026-02-17T09:12:44.000Z
	dedup_keys status.created 93000000000 1 $KA 2026-02-18T14:03:10.000Z
} | LC_ALL=C sort >"$T/keys.want"
q "$DSN" "SELECT dedup_key FROM deliveries" | LC_ALL=C sort >"$T/keys.got"
check_eq "want one dedup key per event" $((K + KA)) "$(wc -l <"$T/keys.want")"
check "deliveries are exactly the events sent (none lost, none twice)" \
	cmp -s "$T/keys.want" "$T/keys.got"
check_eq "one flag proposal per spam status, count 1" "$K|$K|$K" \
	"$(q "$DSN" "SELECT count(*), count(DISTINCT target_id), sum(count)
		FROM proposals WHERE target_type = 'status' AND action = 'flag'")"
check_eq "the account's statuses merged into one proposal across processes" \
	"1|$KA" "$(q "$DSN" "SELECT count(*), sum(count) FROM proposals
		WHERE target_type = 'account' AND target_id = '$ACCT_ID'")"
check_eq "no other proposals" $((K + 1)) \
	"$(q "$DSN" "SELECT count(*) FROM proposals")"
check_eq "no duplicate pending targets" 0 \
	"$(q "$DSN" "SELECT count(*) FROM (SELECT 1 FROM proposals
		GROUP BY target_type, target_id, action HAVING count(*) > 1) x")"
check_eq "audit: propose per proposal, merge per merged event" \
	"$((K + 1))|$((KA - 1))" \
	"$(q "$DSN" "SELECT count(*) FILTER (WHERE action = 'propose'),
		count(*) FILTER (WHERE action = 'merge') FROM audit")"
# Both processes appended to one hash chain: every row links to the one
# before it, every hash recomputes, and the head points at the last row.
check_eq "the audit chain links every row to the previous one" 0 \
	"$(q "$DSN" "SELECT count(*) FROM (SELECT prev_hash,
		lag(hash, 1, repeat('0', 64)) OVER (ORDER BY id) AS want
		FROM audit) x WHERE prev_hash <> want")"
check_eq "every audit hash recomputes" 0 \
	"$(q "$DSN" "SELECT count(*) FROM audit WHERE hash <> audit_row_hash(
		prev_hash, id, at, actor, action, target_type, target_id,
		proposal_id, reason, evidence_ref, revision)")"
check_eq "the audit head is the last row" 1 \
	"$(q "$DSN" "SELECT count(*) FROM audit_head h JOIN audit a
		ON a.id = h.last_id AND a.hash = h.hash
		WHERE a.id = (SELECT max(id) FROM audit)")"
check_eq "no dead letters" 0 "$(q "$DSN" "SELECT count(*) FROM dead_letters")"

ina=$(metric "$HTTPA" 'moderd_events_in_total{source="pull"}')
inb=$(metric "$HTTPB" 'moderd_events_in_total{source="pull"}')
echo "two_procs: A received $ina, B received $inb"
check "moderd A handled some events ($ina)" test "${ina:-0}" -gt 0
check "moderd B handled some events ($inb)" test "${inb:-0}" -gt 0
check_eq "together they received each event once" $((K + KA)) \
	$((${ina:-0} + ${inb:-0}))
newa=$(metric "$HTTPA" 'moderd_proposals_total{outcome="new"}')
newb=$(metric "$HTTPB" 'moderd_proposals_total{outcome="new"}')
mra=$(metric "$HTTPA" 'moderd_proposals_total{outcome="merged"}')
mrb=$(metric "$HTTPB" 'moderd_proposals_total{outcome="merged"}')
check_eq "new + merged outcomes add up across the two" \
	"$((K + 1)) $((KA - 1))" "$((newa + newb)) $((mra + mrb))"

moderd_stop "$PA"
check_eq "moderd A exit status" 0 "$MRC"
moderd_stop "$PB"
check_eq "moderd B exit status" 0 "$MRC"
e2e_done
