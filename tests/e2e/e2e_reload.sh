#!/bin/sh
# e2e_reload.sh - SIGHUP and SIGTERM.
#
# A reload with a broken rule file (a syntax error, then a failing expect
# line) or a broken config keeps the old rules: the log says why, the
# daemon still answers, and events are still judged by the old rules.  A
# reload with a new valid rule applies it: an event that only the new rule
# matches, which was "no_action" before, now makes a proposal.  SIGTERM
# then stops moderd with exit status 0 and stops its embedded cluster.
set -u
. tests/e2e/lib.subr
e2e_init reload

free_ports 2
set -- $PORTS
HTTP=$1 REP=$2
STATE=$T/state
CONF=$T/moderd.conf
LOG=$T/moderd.log
DSN=$(embedded_dsn "$STATE")
RULES=$T/rules
mkdir "$RULES"
cp "$SRC"/examples/rules/*.rules "$RULES/"
nrules=$(cat "$RULES"/*.rules | grep -c '^rule ')
write_conf "$CONF" "$STATE" "$RULES" "$HTTP"
intake_block "$CONF" requests rep "$REP" 4
cp "$CONF" "$T/good.conf"

# A harmless post, then the same with a phrase only the new rule knows.
HAM=$SRC/examples/events/01-status-created-ham.json
sed 's/The community garden is open again/The zebra quokka club meets again/' \
	"$HAM" >"$T/zebra.json"
check "the zebra event differs from the ham one" eval \
	'! cmp -s "$HAM" "$T/zebra.json"'
ZEBRA_ID=113999000111220001

# hup TEXT: SIGHUP, then wait for TEXT in this reload's log lines.
hup() {
	_from=$(wc -l <"$LOG")
	kill -HUP "$MPID"
	wait_log "$LOG" "$1" 100 "$MPID" "$_from"
}

moderd_start "$CONF" "$LOG" || fatal "moderd did not start"
check_eq "the ham event needs nothing" '{"ok":true,"status":"no_action"}' \
	"$(req "$REP" "$HAM")"
check_eq "the zebra event needs nothing (no rule knows it)" \
	'{"ok":true,"status":"no_action"}' "$(req "$REP" "$T/zebra.json")"

# ---- broken rule file: a syntax error ------------------------------------------------
cat >"$RULES/zz-e2e.rules" <<'EOF'
rule E2E_ZEBRA {
	desc	"zebra quokka"
	match	text /\bzebra (quokka/
	score	5
}
EOF
check "SIGHUP with a rule syntax error: reload refused" \
	hup "reload failed, keeping previous configuration"
check_grep "the log names the file and position" \
	"reload failed, keeping previous configuration: $RULES/zz-e2e.rules:3:[0-9]+: " \
	"$LOG"
check "moderd still runs" alive "$MPID"
check_eq "/healthz after the failed reload" 200 \
	"$(http_get "http://127.0.0.1:$HTTP/healthz" /dev/null)"
check_eq "old rules still apply: spam is stored" \
	'{"ok":true,"status":"stored"}' \
	"$(req "$REP" "$SRC/examples/events/02-status-created-crypto-giveaway.json")"
check_eq "the zebra event still needs nothing" \
	'{"ok":true,"status":"no_action"}' "$(req "$REP" "$T/zebra.json")"

# ---- broken rule file: an expect line that fails -------------------------------------
cat >"$RULES/zz-e2e.rules" <<'EOF'
rule E2E_ZEBRA {
	desc	"zebra quokka"
	match	text /\bzebra quokka\b/
	score	5
	expect	hit "a quokka and a zebra"
}
EOF
check "SIGHUP with a failing expect: reload refused" \
	hup "reload failed, keeping previous configuration"
check_grep "the log says which expect failed" \
	"$RULES/zz-e2e.rules:5:[0-9]+: rule E2E_ZEBRA: expect hit failed" "$LOG"
check_eq "the zebra event still needs nothing" \
	'{"ok":true,"status":"no_action"}' "$(req "$REP" "$T/zebra.json")"

# ---- broken config -----------------------------------------------------------------
echo "frobnicate yes" >>"$CONF"
check "SIGHUP with an unknown config key: reload refused" \
	hup "reload failed, keeping previous configuration: $CONF:"
cp "$T/good.conf" "$CONF"
check_eq "rules in /metrics are still the old set" 0 \
	"$(http_get "http://127.0.0.1:$HTTP/metrics" "$T/m1.txt" >/dev/null
	   grep -c 'rule="E2E_ZEBRA"' "$T/m1.txt")"

# ---- a valid new rule ----------------------------------------------------------------
cat >"$RULES/zz-e2e.rules" <<'EOF'
rule E2E_ZEBRA {
	desc	"zebra quokka"
	group	e2e
	match	text /\bzebra quokka\b/
	score	5
	expect	hit  "the zebra quokka club"
	expect	miss "a quokka and a zebra"
}
EOF
check "SIGHUP with a valid new rule: reloaded" \
	hup "reload: $((nrules + 1)) rules loaded"
check_eq "the zebra event is now stored" '{"ok":true,"status":"stored"}' \
	"$(req "$REP" "$T/zebra.json")"
check_eq "its proposal names the new rule" "status|flag|{E2E_ZEBRA}|1" \
	"$(q "$DSN" "SELECT target_type, action, rules, count FROM proposals
		WHERE target_id = '$ZEBRA_ID'")"
check_eq "the ham event still needs nothing" \
	'{"ok":true,"status":"no_action"}' "$(req "$REP" "$HAM")"
check_eq 'rule_hits_total{rule="E2E_ZEBRA"}' 1 \
	"$(metric "$HTTP" 'moderd_rule_hits_total{rule="E2E_ZEBRA"}')"
check_eq "two proposals in all" 2 "$(q "$DSN" "SELECT count(*) FROM proposals")"

# ---- removing the rule again ------------------------------------------------------------
rm "$RULES/zz-e2e.rules"
check "SIGHUP without the rule: reloaded" hup "reload: $nrules rules loaded"
sed 's/"id": "113999000111220001"/"id": "113999000111220002"/' \
	"$T/zebra.json" >"$T/zebra2.json"
check_eq "a new zebra event needs nothing again" \
	'{"ok":true,"status":"no_action"}' "$(req "$REP" "$T/zebra2.json")"

# ---- SIGTERM ------------------------------------------------------------------------------
pm=$(head -n 1 "$STATE/pg/postmaster.pid")
check "the embedded postmaster runs" alive "$pm"
moderd_stop "$MPID"
check_eq "moderd exit status after SIGTERM" 0 "$MRC"
check_grep "moderd logged SIGTERM" "got SIGTERM, shutting down" "$LOG"
check_grep "moderd logged its stop" "moderd stopped" "$LOG"
check "the embedded postmaster is stopped" eval '! alive "$pm"'
check "postmaster.pid is gone" test ! -f "$STATE/pg/postmaster.pid"
check "no server socket is left" test ! -S "$STATE/run/.s.PGSQL.5432"
e2e_done
