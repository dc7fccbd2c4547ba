#!/bin/sh
# e2e_dispatch.sh - approved items reach a Mastodon stand-in, exactly once.
#
# moderd runs on its embedded database with the example rules, with
# mastodon_url pointing at `e2e_tool mastodon` on 127.0.0.1 (which logs
# every request and answers the first one 500), actions_pub on an ipc
# socket that `nngcat --sub` listens to, and the HTTP API.  A moderator
# and an admin made with `moderd user add` decide over the API: an
# account suspend (edited from silence, with a public comment to escape,
# two approvals), a report's silence, a rejected report and a manual
# domain block.  Each must reach the stand-in as doc/api.md, "Dispatch",
# documents it - method, path, Authorization: Bearer, the form's
# Content-Type and the exact form body - and end applied (the rejected
# report stays rejected); the 500 is retried once and then applied; the
# subscriber gets one action message per applied dispatch; the audit
# chain verifies.  After a restart a new approval is dispatched and
# nothing old is sent again.
set -u
. tests/e2e/lib.subr
. tests/e2e/api.subr
e2e_init dispatch

free_ports 3
set -- $PORTS
HTTP=$1 PULL=$2 MAST=$3
STATE=$T/state
CONF=$T/moderd.conf
LOG=$T/moderd.log
REQS=$T/mastodon.log
DSN=$(embedded_dsn "$STATE")
API=http://127.0.0.1:$HTTP
MTOKEN=e2e-mastodon-admin-token
ACTIONS=ipc://$T/actions.ipc
FORM=application/x-www-form-urlencoded
write_conf "$CONF" "$STATE" "$SRC/examples/rules" "$HTTP"
intake_block "$CONF" events pull "$PULL"
cat >>"$CONF" <<EOF
mastodon_url "http://127.0.0.1:$MAST"
mastodon_token "$MTOKEN"
actions_pub "$ACTIONS"
dispatch_backoff_max 2s
dispatch_timeout 10s
EOF

# The accounts and reports of the example events used here.
ACCT_03=113990000000000011	# 03: lucky_drops, local (status silence)
ACCT_16=114012000000001616	# 16: mastodon_security, local
REPORT_09=8502			# 09: legal report on bad_actor@bad.example
ACCT_09=113500000000000909
REPORT_10=8495			# 10: threats report (flag)

# first_item QUERY: the id of the first queue item GET /v1/queue?QUERY
# lists (as the moderator), or empty.
first_item() {
	[ "$(api "$MOD" GET "/v1/queue?$1")" = 200 ] && jget items.0.id
}

# request N FIELD: FIELD of the stand-in's Nth request.
request() {
	jline "$1" "$2" "$REQS"
}

# check_request N DESCRIPTION METHOD PATH BODY STATUS: the stand-in's
# Nth request had exactly this shape and was answered STATUS.
check_request() {
	check_eq "$2: method" "$3" "$(request "$1" method)"
	check_eq "$2: path" "$4" "$(request "$1" path)"
	check_eq "$2: Authorization" "Bearer $MTOKEN" \
		"$(request "$1" authorization)"
	check_eq "$2: form body" "$5" "$(request "$1" body)"
	check_eq "$2: answered" "$6" "$(request "$1" status)"
	[ -n "$5" ] && check_eq "$2: Content-Type" "$FORM" \
		"$(request "$1" content_type)"
}

# ipc_peers: connections to the actions socket (the listener included).
ipc_peers() {
	grep -c " ${ACTIONS#ipc://}\$" /proc/net/unix
}

# ---- start ---------------------------------------------------------------------
standin_start "$MAST" "$REQS" -f 1
moderd_start "$CONF" "$LOG" || fatal "moderd did not start"
check_grep "the dispatcher opened the actions socket" \
	"dispatch: 1 worker, actions socket open" "$LOG"
user_add MOD mia moderator
user_add ADMIN root admin

# --quoted: one C string a line (--ascii puts no newline between messages).
timeout 200 nngcat --sub --subscribe "" --dial "$ACTIONS" --quoted \
	>"$T/actions.quoted" 2>"$T/nngcat.err" &
SUB=$!
bg $SUB
wait_for 100 eval '[ "$(ipc_peers)" -ge 2 ]' ||
	fatal "nngcat --sub did not connect to $ACTIONS"

for e in 03-status-created-lookalike-spam 09-report-created-legal \
    10-report-updated-threats; do
	push "$PULL" "$SRC/examples/events/$e.json" || bad "push of $e failed"
done
pending3() {
	[ "$(api "$MOD" GET /v1/queue)" = 200 ] &&
		[ "$(jget counts.pending)" = 3 ]
}
wait_for 300 pending3 || fatal "the queue never held 3 pending items"
A=$(first_item "target_type=account&target=$ACCT_03")
B=$(first_item "target_type=report&target=$REPORT_09")
C=$(first_item "target_type=report&target=$REPORT_10")
[ -n "$A" ] && [ -n "$B" ] && [ -n "$C" ] ||
	fatal "items not found: account '$A', reports '$B' '$C'"
check_eq "item $A (status 03's account) proposes silence" silence \
	"$(api "$MOD" GET "/v1/queue/$A" >/dev/null; jget action)"
check_eq "nothing was sent before any decision" 0 "$(nlines "$REQS")"

# ---- A: suspend, two approvals, a 500 first ------------------------------------
code=$(api_body "$MOD" POST "/v1/queue/$A/edit" \
	'{"action":"suspend","public_comment":"Spam & scams: see https://x.example/?a=1"}')
check_eq "edit $A to suspend" 200 "$code"
check_eq "a suspend needs two approvals" 2 "$(jget approvals_needed)"
code=$(api_body "$MOD" POST "/v1/queue/$A/approve" '{}')
check_eq "first approval of $A" 200 "$code"
check_eq "after one approval $A is still pending" pending "$(jget state)"
code=$(api_body "$MOD" POST "/v1/queue/$A/approve" '{}')
check_eq "the same moderator cannot approve twice" 409 "$code"
check_eq "nothing was sent on one approval" 0 "$(nlines "$REQS")"
code=$(api_body "$ADMIN" POST "/v1/queue/$A/approve" '{"comment":"agreed"}')
check_eq "second approval of $A (admin)" 200 "$code"
check_eq "after two approvals $A is approved" approved "$(jget state)"
wait_for 200 item_is "$MOD" "$A" state applied ||
	bad "item $A never became applied: $(cat "$T/ans")"
check_eq "$A's dispatch is applied" applied "$(jget dispatch.state)"
check_eq "$A's dispatch took two attempts (500, then 200)" 2 \
	"$(jget dispatch.attempts)"
check_eq "the stand-in saw two requests for $A" 2 "$(nlines "$REQS")"
BODY_A="type=suspend&text=Spam%20%26%20scams%3A%20see%20https%3A%2F%2Fx.example%2F%3Fa%3D1&send_email_notification=false"
check_request 1 "suspend $A (1st attempt)" POST \
	"/api/v1/admin/accounts/$ACCT_03/action" "$BODY_A" 500
check_request 2 "suspend $A (retry)" POST \
	"/api/v1/admin/accounts/$ACCT_03/action" "$BODY_A" 200

# ---- B: a report's silence; C: a rejected report; D: a domain block ------------
code=$(api_body "$MOD" POST "/v1/queue/$B/approve" '{}')
check_eq "approve report item $B (silence: one approval)" 200 "$code"
check_eq "$B is approved" approved "$(jget state)"
wait_for 100 item_is "$MOD" "$B" state applied ||
	bad "item $B never became applied: $(cat "$T/ans")"
check_request 3 "silence for report $B" POST \
	"/api/v1/admin/accounts/$ACCT_09/action" \
	"type=silence&report_id=$REPORT_09&text=&send_email_notification=false" 200

code=$(api_body "$MOD" POST "/v1/queue/$C/reject" '{"reason":"not actionable"}')
check_eq "reject report item $C" 200 "$code"
wait_for 100 item_is "$MOD" "$C" dispatch.state applied ||
	bad "the resolve of $C was never applied: $(cat "$T/ans")"
check_eq "a rejected report stays rejected" rejected "$(jget state)"
check_request 4 "resolve report $C" POST \
	"/api/v1/admin/reports/$REPORT_10/resolve" "" 200

code=$(api_body "$MOD" POST /v1/proposals '{"target_type":"domain","target_id":"spam.example","action":"silence","reject_media":true,"public_comment":"spam","private_comment":"seen 2026-02","reason":"spam wave"}')
check_eq "a manual domain proposal" 201 "$code"
D=$(jget id)
code=$(api_body "$MOD" POST "/v1/queue/$D/approve" '{}')
check_eq "the proposer may not approve their own proposal" 403 "$code"
code=$(api_body "$ADMIN" POST "/v1/queue/$D/approve" '{}')
check_eq "the admin approves domain item $D" 200 "$code"
wait_for 100 item_is "$MOD" "$D" state applied ||
	bad "item $D never became applied: $(cat "$T/ans")"
check_request 5 "block spam.example ($D)" POST /api/v1/admin/domain_blocks \
	"domain=spam.example&severity=silence&reject_media=true&reject_reports=false&private_comment=seen%202026-02&public_comment=spam&obfuscate=false" \
	200
check_eq "Mastodon's id of the block is kept" 77 \
	"$(q "$DSN" "SELECT mastodon_id FROM blocks WHERE domain = 'spam.example'")"
check_eq "the stand-in saw 5 requests in all" 5 "$(nlines "$REQS")"
check_eq "no request was refused by the stand-in as unknown" 0 \
	"$(grep -c '"status":404' "$REQS")"

# ---- the actions socket ----------------------------------------------------------
# actions: the messages nngcat received, one JSON document a line.
actions() {
	sed -e 's/^"//' -e 's/"$//' -e 's/\\"/"/g' -e 's/\\\\/\\/g' \
		"$T/actions.quoted" >"$T/actions.out"
	nlines "$T/actions.out"
}
# action_msg N: the fields of message N, space-separated.
action_msg() {
	for _k in proposal_id kind target_type target_id action result; do
		jline "$1" $_k "$T/actions.out"
	done | tr '\n' ' ' | sed 's/ $//'
}
wait_for 50 eval '[ "$(actions)" -ge 4 ]' ||
	bad "nngcat got $(actions) action messages, want 4"
check_eq "one action message per applied dispatch" 4 "$(actions)"
n=0
for want in "$A account_action account $ACCT_03 suspend applied" \
    "$B account_action report $REPORT_09 silence applied" \
    "$C report_resolve report $REPORT_10 flag applied" \
    "$D domain_block domain spam.example silence applied"; do
	n=$((n + 1))
	check_eq "action message $n" "$want" "$(action_msg $n)"
done
check_eq "every action message has its time in ISO 8601 UTC" 4 \
	"$(grep -cE '"at":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}Z"' \
		"$T/actions.out")"

# ---- audit ------------------------------------------------------------------------
code=$(api "$MOD" GET "/v1/audit?proposal=$A&limit=200")
check_eq "GET /v1/audit?proposal=$A" 200 "$code"
check_grep "the retry of $A is audited (dispatch.retry)" \
	'"actor":"dispatch","action":"dispatch.retry"' "$T/ans"
check_grep "the dispatch of $A is audited (dispatch.applied)" \
	'"actor":"dispatch","action":"dispatch.applied"' "$T/ans"
code=$(api "$MOD" GET /v1/audit/verify)
check_eq "GET /v1/audit/verify" 200 "$code"
check_eq "the audit chain verifies" true "$(jget ok)"
rows=$(jget rows)

# ---- restart: nothing is sent twice ------------------------------------------------
moderd_stop "$MPID"
check_eq "moderd exit status after SIGTERM" 0 "$MRC"
before=$(nlines "$REQS")
moderd_start "$CONF" "$LOG" || fatal "moderd did not restart"
# pub/sub is best effort: the subscriber must have redialled first.
wait_for 100 eval '[ "$(ipc_peers)" -ge 2 ]' ||
	bad "nngcat --sub did not reconnect to $ACTIONS"
push "$PULL" "$SRC/examples/events/16-status-created-phishing-dm.json" ||
	bad "push of event 16 failed"
E=
find_e() {
	E=$(first_item "target_type=account&target=$ACCT_16")
	[ -n "$E" ]
}
wait_for 300 find_e || fatal "event 16 made no account item"
code=$(api_body "$MOD" POST "/v1/queue/$E/approve" '{}')
check_eq "approve $E after the restart" 200 "$code"
# One worker claims the oldest due row first: once E is applied, any old
# row that was due again would have been sent before it.
wait_for 100 item_is "$MOD" "$E" state applied ||
	bad "item $E never became applied: $(cat "$T/ans")"
check_eq "after the restart only $E's request was sent" $((before + 1)) \
	"$(nlines "$REQS")"
check_request $((before + 1)) "silence $E after the restart" POST \
	"/api/v1/admin/accounts/$ACCT_16/action" \
	"type=silence&text=&send_email_notification=false" 200
wait_for 50 eval '[ "$(actions)" -ge 5 ]' ||
	bad "no action message for $E after the restart"
check_eq "the subscriber got $E's action after the restart (and only it)" \
	"5|$E account_action account $ACCT_16 silence applied" \
	"$(actions)|$(action_msg 5)"
want=$(printf '%s\n' "$A:2" "$B:1" "$C:1" "$D:1" "$E:1" | sort -t: -k1,1n |
	tr '\n' ' ')
check_eq "every dispatch is applied, attempts as before" "$want" \
	"$(q "$DSN" "SELECT proposal_id || ':' || attempts FROM dispatches
		WHERE state = 'applied' ORDER BY proposal_id" | tr '\n' ' ')"
check_eq "no dispatch in any other state" 0 \
	"$(q "$DSN" "SELECT count(*) FROM dispatches WHERE state <> 'applied'")"
code=$(api "$MOD" GET /v1/audit/verify)
check_eq "the audit chain still verifies after the restart" \
	"200 true" "$code $(jget ok)"
check "the audit trail grew" test "$(jget rows)" -gt "$rows"
kill "$SUB" 2>/dev/null
e2e_done
