#!/bin/sh
# e2e_bad_input.sh - malformed, mistyped, unknown, oversized and unsigned
# input over pull, rep and the webhook.
#
# Every bad event is rejected with a clear answer (rep: {"ok":false,
# "error":"invalid_event"|"too_large",...}; webhook: 400, 401 or 413),
# counted in events_rejected_total{reason=...}, kept as a dead letter when
# it reached the pipeline, logged without its content, and nothing else is
# affected: no proposal, the daemon keeps running, and good events sent
# afterwards over each path are stored.
set -u
. tests/e2e/lib.subr
e2e_init bad_input

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

# ---- the bad inputs: FILE NAME is NN-REASON.json ----------------------------
SPAM=$SRC/examples/events/02-status-created-crypto-giveaway.json
B=$T/bad
mkdir "$B"
compact "$SPAM" | head -c 400 >"$B/01-malformed.json"
printf '{"event":"status.created","created_at":"2026-02-17T09:12:44Z","object":"x"}' \
	>"$B/02-wrong_type.json"
compact "$SPAM" | sed 's/"sensitive": false/"sensitive": "no"/' \
	>"$B/03-wrong_type.json"
compact "$SPAM" | sed 's/"id": "113999000111222333"/"id": 113999000111222333/' \
	>"$B/04-wrong_type.json"
printf '[1,2,3]' >"$B/05-wrong_type.json"
compact "$SPAM" | sed 's/"event": "status.created"/"event": "status.exploded"/' \
	>"$B/06-unknown_event.json"
compact "$SPAM" | sed "s/FREE BTC/FREE $(printf '\377\376') BTC/" \
	>"$B/07-invalid_utf8.json"
printf '{"event":"status.created","event":"status.created"}' \
	>"$B/08-malformed.json"
printf 'null' >"$B/09-malformed.json"
: >"$B/10-malformed.json"
nbad=$(ls "$B" | wc -l)
for f in "$B"/*.json; do
	check "bad input ${f##*/} differs from the good event" eval \
		'! cmp -s "$f" "$SPAM"'
done

# Oversized: 1.5 MB (over the 1 MiB event cap, under nng's wire cap) and
# 10 MB, both JSON-shaped.
big() {
	{
		printf '{"event":"status.created","object":{"content":"'
		head -c "$1" /dev/zero | tr '\0' 'a'
		printf '"}}'
	} >"$2"
}
big 1572864 "$T/big1.json"
big 10485760 "$T/big10.json"

# count REASON: how many bad inputs have that reason.
count() {
	ls "$B" | grep -c -- "-$1\.json$"
}

moderd_start "$CONF" "$LOG" || fatal "moderd did not start"

# ---- over rep: each refused with a reason ------------------------------------
for f in "$B"/*.json; do
	r=$(req "$REP" "$f")
	case $r in
	'{"ok":false,"error":"invalid_event","message":"'?*'"}') ok ;;
	*) bad "rep reply to ${f##*/}: $r" ;;
	esac
done
r=$(req "$REP" "$T/big1.json")
case $r in
'{"ok":false,"error":"too_large",'*) ok ;;
*) bad "rep reply to a 1.5 MB event: $r" ;;
esac

# ---- over pull ----------------------------------------------------------------
for f in "$B"/*.json "$T/big1.json"; do
	push "$PULL" "$f" || bad "push ${f##*/} failed"
done
# 10 MB is under nng's wire cap (MOD_MAX_INTAKE_RECV_BYTES, 16 MiB), so
# moderd sees it, refuses it as too_large and counts it.
push "$PULL" "$T/big10.json" || bad "push big10.json failed"

# ---- over the webhook ---------------------------------------------------------
for f in "$B"/*.json; do
	check_eq "webhook status for ${f##*/}" 400 "$(webhook "$HTTP" "$f")"
	check_grep "webhook body for ${f##*/}" \
		'^\{"error":"invalid_event","message":".+"\}$' "$T/webhook.out"
done
check_eq "webhook: a 10 MB body (Expect: 100-continue)" 413 \
	"$(timeout 40 "$TOOL" http -e -d "$T/big10.json" -s e2e-secret \
		-o "$T/webhook.out" "http://127.0.0.1:$HTTP/v1/webhooks/mastodon")"
check_grep "webhook: 413 says too_large" '"error":"too_large"' \
	"$T/webhook.out"
check_eq "webhook: a 1.5 MB body" 413 "$(webhook "$HTTP" "$T/big1.json")"
GOOD=$SRC/examples/events/04-status-created-mention-flood.json
check_eq "webhook: wrong secret" 401 "$(webhook "$HTTP" "$GOOD" wrong)"
check_grep "webhook: 401 body" '"error":"unauthorized"' "$T/webhook.out"
check_eq "webhook: no signature" 401 \
	"$(timeout 40 "$TOOL" http -d "$GOOD" \
		"http://127.0.0.1:$HTTP/v1/webhooks/mastodon")"
check_eq "webhook: signature not hex" 401 \
	"$(timeout 40 "$TOOL" http -d "$GOOD" -S 'X-Hub-Signature: sha256=zz' \
		"http://127.0.0.1:$HTTP/v1/webhooks/mastodon")"
check_eq "webhook: a well-formed signature that does not match" 401 \
	"$(timeout 40 "$TOOL" http -d "$GOOD" \
		-S "X-Hub-Signature: sha256=$(printf '%064d' 0)" \
		"http://127.0.0.1:$HTTP/v1/webhooks/mastodon")"
nsig=4

# ---- counted ---------------------------------------------------------------------
# Three paths each saw every bad input; too_large: rep 1.5 MB, pull 1.5 MB
# and 10 MB, webhook 10 MB and 1.5 MB.
wait_i=0
want_mal=$((3 * $(count malformed)))
while [ "$(metric "$HTTP" 'moderd_events_rejected_total{reason="malformed"}')" != \
	"$want_mal" ] && [ $wait_i -lt 100 ]; do
	sleep 0.1
	wait_i=$((wait_i + 1))
done
for reason in malformed wrong_type unknown_event invalid_utf8; do
	check_eq "events_rejected_total{reason=\"$reason\"}" \
		$((3 * $(count $reason))) \
		"$(metric "$HTTP" "moderd_events_rejected_total{reason=\"$reason\"}")"
done
check_eq 'events_rejected_total{reason="too_large"}' 5 \
	"$(metric "$HTTP" 'moderd_events_rejected_total{reason="too_large"}')"
check_eq 'events_rejected_total{reason="bad_signature"}' "$nsig" \
	"$(metric "$HTTP" 'moderd_events_rejected_total{reason="bad_signature"}')"
check_eq 'events_rejected_total{reason="other"}' 0 \
	"$(metric "$HTTP" 'moderd_events_rejected_total{reason="other"}')"
check_eq 'events_in_total{source="rep"}' $((nbad + 1)) \
	"$(metric "$HTTP" 'moderd_events_in_total{source="rep"}')"
check_eq 'events_in_total{source="pull"} (the 10 MB message counted too)' \
	$((nbad + 2)) "$(metric "$HTTP" 'moderd_events_in_total{source="pull"}')"

# ---- dead letters: what reached the pipeline, with reason and payload ------------
wait_for 100 q_is "$DSN" "SELECT count(*) FROM dead_letters" $((3 * nbad)) || :
check_eq "dead letters: one per bad input and path" $((3 * nbad)) \
	"$(q "$DSN" "SELECT count(*) FROM dead_letters")"
check_eq "dead letters keep the payload" \
	"$(wc -c <"$B/07-invalid_utf8.json")" \
	"$(q "$DSN" "SELECT min(payload_bytes) FROM dead_letters
		WHERE reason LIKE '%UTF-8%'")"
check_eq "dead letters for invalid UTF-8 (3 paths, byte-exact payload)" 3 \
	"$(q "$DSN" "SELECT count(*) FROM dead_letters
		WHERE encode(payload, 'hex') = '$(od -An -v -tx1 "$B/07-invalid_utf8.json" | tr -d ' \n')'")"
check_eq "each dead letter has a reason" 0 \
	"$(q "$DSN" "SELECT count(*) FROM dead_letters WHERE reason = ''")"
check_eq "dead letters per path" "3" \
	"$(q "$DSN" "SELECT count(DISTINCT source) FROM dead_letters")"
check_eq "nothing was proposed" "0|0" \
	"$(q "$DSN" "SELECT (SELECT count(*) FROM proposals),
		(SELECT count(*) FROM deliveries)")"

# ---- logged by id and reason, never the content ----------------------------------
check_grep "rejections are logged with their reason" \
	"rejected event \(unknown_event\)" "$LOG"
check "the log holds no post content" \
	test "$(grep -c 'BTC\|win\.example\|wallets' "$LOG")" -eq 0

# ---- still running: good events over every path are stored ---------------------------
check "moderd is still running" alive "$MPID"
check_eq "/healthz after the bad input" 200 \
	"$(http_get "http://127.0.0.1:$HTTP/healthz" /dev/null)"
push "$PULL" "$SPAM"
check_eq "a good event over rep" '{"ok":true,"status":"stored"}' \
	"$(req "$REP" "$SRC/examples/events/03-status-created-lookalike-spam.json")"
check_eq "a good event over the webhook" 200 "$(webhook "$HTTP" "$GOOD")"
check_grep "webhook 200 body" '^\{"ok":true,"status":"stored"\}$' \
	"$T/webhook.out"
wait_for 100 q_is "$DSN" "SELECT count(*) FROM deliveries" 3 || :
check_eq "the three good events are stored" \
	"113999000111222333 114004000111220042 114008000111220004" \
	"$(q "$DSN" "SELECT string_agg(object_id, ' ' ORDER BY object_id)
		FROM deliveries")"
check_eq "three proposals" 3 "$(q "$DSN" "SELECT count(*) FROM proposals")"

# ---- retention: after a reload to 1 s, dead letters and dedup keys go ---------------
printf 'dead_letter_retention 1s\ndedup_retention 1s\nhousekeeping_interval 1s\n' \
	>>"$CONF"
sleep 2 # every row is older than the new retention
kill -HUP "$MPID"
wait_for 100 q_is "$DSN" "SELECT count(*) FROM dead_letters" 0 || :
wait_for 100 q_is "$DSN" "SELECT count(*) FROM deliveries" 0 || :
check_eq "pruned: dead letters and dedup keys, not proposals" "0|0|3" \
	"$(q "$DSN" "SELECT (SELECT count(*) FROM dead_letters),
		(SELECT count(*) FROM deliveries), (SELECT count(*) FROM proposals)")"
check_eq "moderd_pruned_dead_letters_total" $((3 * nbad)) \
	"$(metric "$HTTP" moderd_pruned_dead_letters_total)"
check_eq "moderd_pruned_dedup_keys_total" 3 \
	"$(metric "$HTTP" moderd_pruned_dedup_keys_total)"
check_grep "housekeeping logs what it pruned" \
	"housekeeping: pruned [0-9]* dead letters, [0-9]* dedup keys" "$LOG"

moderd_stop "$MPID"
check_eq "moderd exit status after SIGTERM" 0 "$MRC"
e2e_done
