#!/bin/sh
# e2e_kill9.sh - kill -9 of moderd mid-stream, then a restart.
#
# Two senders stream distinct spam statuses, one over rep (an event counts
# as acknowledged when the reply is {"ok":true,...}) and one over the
# webhook (acknowledged on 200).  moderd is killed with SIGKILL while both
# are busy.  The restarted moderd must adopt the embedded cluster that
# outlived it; every acknowledged event must be in the database
# (deliveries has its key, a proposal exists); then everything is sent
# again until acknowledged, and there must be exactly one delivery and one
# proposal (count 1) per distinct event: no duplicates, nothing lost.
set -u
. tests/e2e/lib.subr
e2e_init kill9

N=150
free_ports 2
set -- $PORTS
HTTP=$1 REP=$2
STATE=$T/state
CONF=$T/moderd.conf
LOG=$T/moderd.log
DSN=$(embedded_dsn "$STATE")
write_conf "$CONF" "$STATE" "$SRC/examples/rules" "$HTTP"
intake_block "$CONF" requests rep "$REP" 8
SPAM=$SRC/examples/events/02-status-created-crypto-giveaway.json
gen_events "$SPAM" 113999000111222333 81000000000 1 $N >"$T/rep.jsonl"
gen_events "$SPAM" 113999000111222333 82000000000 1 $N >"$T/hook.jsonl"

# send_rep FILE PREFIX OUT TRIES: each line over rep, up to TRIES times
# until ok:true; OUT gets "ID REPLY" per line.
send_rep() {
	_i=0
	while IFS= read -r _ev; do
		_i=$((_i + 1))
		_id=$2$(printf '%07d' $_i)
		_n=0
		while [ $_n -lt "$4" ]; do
			_n=$((_n + 1))
			_r=$(timeout 5 nngcat --req --dial "tcp://127.0.0.1:$REP" \
			    --data "$_ev" --ascii 2>/dev/null)
			case $_r in '{"ok":true'*) break ;; esac
			[ $_n -lt "$4" ] && sleep 0.2
		done
		echo "$_id ${_r:-none}"
	done <"$1" >"$3"
}

# send_hook FILE PREFIX OUT TRIES: the same over the webhook; "ID CODE".
send_hook() {
	_i=0
	while IFS= read -r _ev; do
		_i=$((_i + 1))
		_id=$2$(printf '%07d' $_i)
		printf '%s' "$_ev" >"$3.body"
		_n=0
		while [ $_n -lt "$4" ]; do
			_n=$((_n + 1))
			_c=$(timeout 20 "$TOOL" http -t 15 -d "$3.body" \
			    -s e2e-secret -o "$3.reply" \
			    "http://127.0.0.1:$HTTP/v1/webhooks/mastodon" 2>/dev/null)
			[ "$_c" = 200 ] && break
			[ $_n -lt "$4" ] && sleep 0.2
		done
		echo "$_id $_c $(cat "$3.reply" 2>/dev/null)"
	done <"$1" >"$3"
}

# wait_pids TENTHS PID...: until every PID has exited.
wait_pids() {
	_m=$1
	shift
	_i=0
	for _p in "$@"; do
		while alive "$_p" && [ $_i -lt "$_m" ]; do
			sleep 0.1
			_i=$((_i + 1))
		done
	done
}

moderd_start "$CONF" "$LOG" || fatal "moderd did not start"
FIRST=$MPID

# ---- stream, then SIGKILL mid-stream -----------------------------------------------
send_rep "$T/rep.jsonl" 81000000000 "$T/rep1.out" 1 &
S1=$!
bg "$S1"
send_hook "$T/hook.jsonl" 82000000000 "$T/hook1.out" 1 &
S2=$!
bg "$S2"
i=0
while [ "$(q "$DSN" "SELECT count(*) FROM deliveries")" -lt 60 ] &&
	[ $i -lt 300 ]; do
	sleep 0.05
	i=$((i + 1))
done
kill -9 "$FIRST"
{ wait "$FIRST"; } 2>/dev/null
check_eq "moderd died of SIGKILL" 137 "$?"
wait_pids 600 "$S1" "$S2"
wait "$S1"
wait "$S2"

pm=$(head -n 1 "$STATE/pg/postmaster.pid")
check "the embedded cluster outlived moderd" alive "$pm"
grep ' {"ok":true' "$T/rep1.out" | cut -d' ' -f1 >"$T/acked"
grep ' 200 ' "$T/hook1.out" | cut -d' ' -f1 >>"$T/acked"
nacked=$(wc -l <"$T/acked")
nrep=$(grep -c ' {"ok":true' "$T/rep1.out")
nhook=$(grep -c ' 200 ' "$T/hook1.out")
echo "kill9: acknowledged before the kill: $nrep over rep, $nhook over the webhook"
check "some rep events were acknowledged before the kill" test "$nrep" -gt 0
check "some webhook events were acknowledged before the kill" \
	test "$nhook" -gt 0
check "the kill came mid-stream (not everything acknowledged)" \
	test "$nacked" -lt $((2 * N))

# ---- restart: adopts the cluster; every acknowledged event is there ---------------
moderd_start "$CONF" "$LOG" || fatal "moderd did not restart"
check_grep "the restarted moderd adopted the running cluster (pid $pm)" \
	"adopted running cluster \(pid $pm\)" "$LOG"
q "$DSN" "SELECT object_id FROM deliveries ORDER BY 1" >"$T/delivered"
LC_ALL=C sort "$T/acked" >"$T/acked.sorted"
missing=$(LC_ALL=C comm -23 "$T/acked.sorted" "$T/delivered" | wc -l)
check_eq "every acknowledged event has its delivery" 0 "$missing"
check_eq "every acknowledged event has its proposal" "$nacked" \
	"$(q "$DSN" "SELECT count(*) FROM proposals WHERE target_id IN
		($(sed "s/.*/'&'/" "$T/acked" | paste -sd, -))")"
stored1=$(wc -l <"$T/delivered")
check "the database holds at least every acknowledged event" \
	test "$stored1" -ge "$nacked"

# ---- send everything again until acknowledged -------------------------------------
send_rep "$T/rep.jsonl" 81000000000 "$T/rep2.out" 50 &
S1=$!
bg "$S1"
send_hook "$T/hook.jsonl" 82000000000 "$T/hook2.out" 50 &
S2=$!
bg "$S2"
wait_pids 1200 "$S1" "$S2"
wait "$S1"
wait "$S2"
check_eq "re-sent over rep: all acknowledged" "$N" \
	"$(grep -c ' {"ok":true,"status":"\(stored\|duplicate\)"}$' "$T/rep2.out")"
check_eq "re-sent over the webhook: all acknowledged" "$N" \
	"$(grep -c ' 200 {"ok":true,"status":"\(stored\|duplicate\)"}$' "$T/hook2.out")"
# What was acknowledged before the kill is a duplicate now.
dup=0
for id in $(cat "$T/acked"); do
	grep -q "^$id .*\"status\":\"duplicate\"" "$T/rep2.out" "$T/hook2.out" ||
		dup=$((dup + 1))
done
check_eq "every event acknowledged before the kill is a duplicate now" 0 "$dup"
{
	dedup_keys status.created 81000000000 1 $N 2026-02-17T09:12:44.000Z
	dedup_keys status.created 82000000000 1 $N 2026-02-17T09:12:44.000Z
} | LC_ALL=C sort >"$T/keys.want"
q "$DSN" "SELECT dedup_key FROM deliveries" | LC_ALL=C sort >"$T/keys.got"
check_eq "want one dedup key per event" $((2 * N)) "$(wc -l <"$T/keys.want")"
check "deliveries are exactly one per distinct event" \
	cmp -s "$T/keys.want" "$T/keys.got"
check_eq "exactly one proposal per distinct event, count 1" \
	"$((2 * N))|$((2 * N))|$((2 * N))" \
	"$(q "$DSN" "SELECT count(*), count(DISTINCT target_id), sum(count)
		FROM proposals")"
check_eq "audit: one propose row per proposal, no merges" "$((2 * N))|0" \
	"$(q "$DSN" "SELECT count(*) FILTER (WHERE action = 'propose'),
		count(*) FILTER (WHERE action = 'merge') FROM audit")"

moderd_stop "$MPID"
check_eq "moderd exit status after SIGTERM" 0 "$MRC"
check "the adopted postmaster ($pm) is stopped with moderd" \
	eval '! alive "$pm"'
e2e_done
