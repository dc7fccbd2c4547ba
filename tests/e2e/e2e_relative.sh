#!/bin/sh
# e2e_relative.sh - a relative state_dir.  moderd started from another
# directory with `state_dir "state"` must create and serve its embedded
# cluster there: postgres reads a relative socket directory from its data
# directory, so moderd has to hand it absolute paths (the bug this test
# was written for: the cluster could not create its lock file and moderd
# never started).  Then /healthz answers, an event is stored, and
# `moderd user add` from the same directory reaches the same cluster.
set -u
. tests/e2e/lib.subr
e2e_init relative

free_ports 2
set -- $PORTS
HTTP=$1 PULL=$2
CONF=$T/moderd.conf
LOG=$T/moderd.log
write_conf "$CONF" "$T/state" "$SRC/examples/rules" "$HTTP"
sed -i 's|^state_dir .*|state_dir "state"|
s|^rules_cache_dir .*|rules_cache_dir "state/cache"|' "$CONF"
intake_block "$CONF" events pull "$PULL"

(cd "$T" && exec "$SRC/$MODERD" -d -f moderd.conf >>"$LOG" 2>&1) &
MPID=$!
E2E_PIDS="$E2E_PIDS $MPID"
wait_log "$LOG" "moderd ready" 600 "$MPID" 0 ||
	fatal "moderd did not start: $(tail -n 3 "$LOG")"
check "the socket directory is under the relative state_dir" \
	test -S "$T/state/run/.s.PGSQL.5432"
check_eq "/healthz" 200 \
	"$(http_get "http://127.0.0.1:$HTTP/healthz" "$T/healthz.out")"
check "an event goes in over pull" \
	push "$PULL" "$SRC/examples/events/02-status-created-crypto-giveaway.json"
DSN=$(embedded_dsn "$T/state")
wait_for 100 q_is "$DSN" "SELECT count(*) FROM proposals" 1 || :
check_eq "it is stored as a proposal" 1 \
	"$(q "$DSN" "SELECT count(*) FROM proposals")"
check "moderd user add from the same directory" \
	sh -c "cd '$T' && '$SRC/$MODERD' -f moderd.conf user add ada \
	    --role moderator >'$T/user.out' 2>&1"
check_eq "the user is in the cluster" 1 \
	"$(q "$DSN" "SELECT count(*) FROM users WHERE name = 'ada'")"
moderd_stop "$MPID"
check_eq "SIGTERM: exit 0" 0 "$MRC"
e2e_done
