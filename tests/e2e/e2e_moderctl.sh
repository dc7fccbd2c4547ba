#!/bin/sh
# e2e_moderctl.sh - moderators triage the example queue with moderctl.
#
# moderd runs on its embedded database with the example rules; the
# example events go in over pull.  An admin made with `moderd user add`
# adds two moderators and a triager with `moderctl users add`; they list
# the queue, show an item, approve, reject, edit, and take a manual
# suspend through the two-person rule (the same moderator twice is
# refused; a second one approves).  A triager may not approve and a
# moderator may not manage users.  Then `moderctl audit verify` says the
# chain is OK, `audit export` gives CSV with the exact header and as many
# JSON lines as the trail has rows; a row rewritten by the superuser
# (trigger disabled) makes `audit verify` exit 1 naming that row.
set -u
. tests/e2e/lib.subr
e2e_init moderctl

CTL=$BUILD/moderctl
[ -x "$CTL" ] || fatal "$CTL not built"
free_ports 2
set -- $PORTS
HTTP=$1 PULL=$2
STATE=$T/state
CONF=$T/moderd.conf
LOG=$T/moderd.log
DSN=$(embedded_dsn "$STATE")
write_conf "$CONF" "$STATE" "$SRC/examples/rules" "$HTTP"
intake_block "$CONF" events pull "$PULL"
MODERD_URL=http://127.0.0.1:$HTTP
export MODERD_URL
unset MODERD_TOKEN

# ctl TOKEN ARGS...: moderctl as the owner of TOKEN; stdout in $T/out,
# stderr in $T/err; returns its exit status.
ctl() {
	_tok=$1
	shift
	MODERD_TOKEN=$_tok timeout 60 "$CTL" "$@" >"$T/out" 2>"$T/err"
}

# ctl_ok DESCRIPTION TOKEN ARGS...: it must exit 0.
ctl_ok() {
	_d=$1
	shift
	if ctl "$@"; then ok; else bad "$_d: exit $?: $(cat "$T/err")"; fi
}

moderd_start "$CONF" "$LOG" || fatal "moderd did not start"

# ---- users -------------------------------------------------------------------
"$MODERD" -f "$CONF" user add root --role admin >"$T/root.out" 2>&1 ||
	fatal "moderd user add root failed: $(cat "$T/root.out")"
ROOT=$(tail -n 1 "$T/root.out")
for u in mia:moderator max:moderator tom:triage; do
	ctl_ok "users add ${u%%:*}" "$ROOT" users add "${u%%:*}" \
	    --role "${u#*:}"
	check_grep "users add ${u%%:*} prints its token last" \
	    '^[0-9a-f]{64}$' "$T/out"
	eval "TOK_${u%%:*}=\$(tail -n 1 \"\$T/out\")"
done
ctl_ok "users (list)" "$ROOT" users
check_grep "users lists mia as an active moderator" \
	'^mia +moderator +active' "$T/out"
ctl "$TOK_mia" users
check_eq "a moderator may not list users: exit status" 1 "$?"
check_grep "a moderator may not list users: the API's message" \
	"role moderator may not manage users" "$T/err"
ctl "" queue
check_eq "no token: exit status" 1 "$?"

# ---- the queue ---------------------------------------------------------------
for f in "$SRC"/examples/events/*.json; do
	push "$PULL" "$f" || bad "push of $f failed"
done
# Items: every example with an action, and every report.
NITEMS=$(($(grep -l '^action \(flag\|silence\|suspend\|delete\|sensitive\)' \
	"$SRC"/examples/events/*.expect | wc -l) + \
	$(grep -l '^action none' "$SRC"/examples/events/*report*.expect | wc -l)))
wait_for 300 q_atleast "$DSN" "SELECT count(*) FROM proposals" "$NITEMS" || :
check_eq "$NITEMS proposals from the examples" "$NITEMS" \
	"$(q "$DSN" "SELECT count(*) FROM proposals")"
ctl_ok "queue" "$TOK_tom" queue --limit 200
check_grep "queue prints a header" '^ID +STATE +ACTION +TARGET' "$T/out"
check_eq "queue prints one row per pending item" "$NITEMS" \
	"$(grep -Ec '^[0-9]+ +pending ' "$T/out")"
check_grep "queue prints the counts" "^pending $NITEMS, approved 0" "$T/out"
ctl_ok "queue --json" "$TOK_tom" --json queue --state pending
check_grep "--json prints the API's JSON" '^\{"items":\[' "$T/out"

FLAG1=$(q "$DSN" "SELECT id FROM proposals WHERE action = 'flag'
    ORDER BY id LIMIT 1")
FLAG2=$(q "$DSN" "SELECT id FROM proposals WHERE action = 'flag'
    ORDER BY id OFFSET 1 LIMIT 1")
OTHER=$(q "$DSN" "SELECT id FROM proposals WHERE action <> 'flag'
    AND target_type <> 'report' ORDER BY id LIMIT 1")
[ -n "$FLAG1" ] && [ -n "$FLAG2" ] && [ -n "$OTHER" ] ||
	fatal "the example queue lacks two flags and another action"

ctl_ok "show" "$TOK_tom" show "$FLAG1"
check_grep "show prints the item" "^item $FLAG1\$" "$T/out"
check_grep "show prints its state" '^state: +pending' "$T/out"
check_grep "show prints the evidence" '^evidence:' "$T/out"

ctl "$TOK_tom" approve "$FLAG1"
check_eq "a triager may not approve: exit status" 1 "$?"
check_grep "a triager may not approve: the API's message" \
	"role triage may not" "$T/err"
ctl_ok "approve" "$TOK_mia" approve "$FLAG1" --comment "spam, clearly"
check_grep "approve prints the new state" "^item $FLAG1: approved" "$T/out"
check "the item is approved" test "$(q "$DSN" "SELECT state IN
    ('approved', 'applied') FROM proposals WHERE id = $FLAG1")" = t

ctl "$TOK_mia" reject "$FLAG2"
check_eq "reject without --reason: usage, exit 2" 2 "$?"
ctl_ok "reject" "$TOK_mia" reject "$FLAG2" --reason "a joke, not spam"
check_eq "the item is rejected with its reason" "rejected|a joke, not spam" \
	"$(q "$DSN" "SELECT state, reject_reason FROM proposals
	    WHERE id = $FLAG2")"

ctl_ok "edit" "$TOK_max" edit "$OTHER" --action sensitive \
	--private-comment "softer"
check_eq "the edit changed the action and the comment" "sensitive|softer" \
	"$(q "$DSN" "SELECT action, private_comment FROM proposals
	    WHERE id = $OTHER")"
ctl_ok "assign --me" "$TOK_max" assign "$OTHER" --me
check_grep "assign prints the assignee" "assigned to max" "$T/out"
ctl_ok "comment" "$TOK_tom" comment "$OTHER" "looks like a bot"
check_eq "the comment is stored" "tom|looks like a bot" \
	"$(q "$DSN" "SELECT user_name, body FROM comments
	    WHERE proposal_id = $OTHER")"

# ---- two-person approval of a suspend ----------------------------------------
ctl_ok "propose" "$ROOT" --json propose --target-type account \
	--target-id 4242 --target-acct "bot@bad.example" --action suspend \
	--reason "ban evasion"
SUSP=$(sed -n 's/^{"id":\([0-9]*\),.*/\1/p' "$T/out")
[ -n "$SUSP" ] || fatal "propose printed no id: $(cat "$T/out")"
check_grep "a suspend needs two approvals" '"approvals_needed":2' "$T/out"
ctl_ok "first approval" "$TOK_mia" approve "$SUSP"
check_grep "one approval leaves it pending" \
	"^item $SUSP: pending suspend, approvals 1/2" "$T/out"
ctl "$TOK_mia" approve "$SUSP"
check_eq "the same moderator again: exit status" 1 "$?"
check_grep "the same moderator again: the API's message" \
	"a second moderator must approve" "$T/err"
ctl_ok "second approval" "$TOK_max" approve "$SUSP"
check_grep "the second approval decides" "^item $SUSP: approved" "$T/out"

# ---- statistics and the audit trail ------------------------------------------
ctl_ok "stats rules" "$TOK_tom" stats rules --since 7d
check_grep "stats rules prints a header" \
	'^NAME +PROPOSALS +APPROVED +REJECTED +PENDING +PRECISION' "$T/out"
# Over 5 MB of rows: more than one page (4 MiB) of an export, which
# moderctl pages with ?after= (one page in memory, no row twice).
q "$DSN" "SELECT count(audit_append_row('bulk', 'test.bulk', 'account',
    'acct-' || g, NULL, repeat('r', 4000), NULL, NULL, 4096))
    FROM generate_series(1, 1300) g" >/dev/null ||
	fatal "could not add bulk audit rows"
ctl_ok "audit verify" "$TOK_tom" audit verify
rows=$(q "$DSN" "SELECT count(*) FROM audit")
check_eq "audit verify: chain OK" "audit chain OK: $rows rows" \
	"$(cat "$T/out")"
ctl_ok "audit export csv" "$TOK_tom" audit export --format csv
check_eq "CSV header" \
	"id,at,actor,action,target_type,target_id,proposal_id,reason,evidence_ref,revision,prev_hash,hash" \
	"$(head -n 1 "$T/out")"
check_eq "CSV: the header once, then every row once" "$((rows + 1))" \
	"$(wc -l <"$T/out")"
check_eq "CSV: no id twice" "$rows" "$(cut -d, -f1 "$T/out" | sort -u | grep -c '^[0-9]')"
ctl_ok "audit export jsonl" "$TOK_tom" audit export --since 1h
check_eq "one JSON line per audit row" "$rows" "$(wc -l <"$T/out")"
ctl_ok "audit list" "$TOK_tom" audit list --actor mia
check_grep "audit list shows mia's approval" '^[0-9]+ .* mia ' "$T/out"

q "$DSN" "ALTER TABLE audit DISABLE TRIGGER audit_append_only;
    UPDATE audit SET reason = 'nothing to see' WHERE id = 3;
    ALTER TABLE audit ENABLE TRIGGER audit_append_only" >/dev/null ||
	fatal "could not tamper with the audit trail"
ctl "$TOK_tom" audit verify
check_eq "audit verify after tampering: exit status" 1 "$?"
check_grep "audit verify names the tampered row" \
	'^audit chain BROKEN at row 3: ' "$T/out"

moderd_stop "$MPID"
check_eq "moderd exits cleanly" 0 "$MRC"
e2e_done
