#!/bin/sh
# demo.sh BUILD - moderd doing its main job, end to end, on this machine.
#
# 1. checks the example rule set (its expect lines run at load);
# 2. starts moderd in the foreground on its embedded default database (a
#    private PostgreSQL cluster under a fresh state directory, Unix socket
#    only), with a pull and a rep intake on loopback;
# 3. publishes the example Mastodon events with nngcat, an independent
#    nng client: most over pull, the reports over rep (each answered only
#    once stored), and one delivered twice to show it is not queued twice;
#    meanwhile moderd syncs two blocklist subscriptions (examples/feeds/
#    demo-*.csv) and proposes the domains both list (quorum 2);
# 4. prints the resulting queue, highest priority first, and the metrics
#    that matter; then stops moderd, which stops its database.
# Run from the repository root (`make demo` does).
set -eu

build=${1:-build}
cd "$(dirname "$0")/.."
moderd=$build/moderd
for f in "$moderd" "$build/moderctl"; do
	[ -x "$f" ] || { echo "demo.sh: $f not built; run 'make demo'" >&2; exit 1; }
done
command -v nngcat >/dev/null || { echo "demo.sh: nngcat missing (nng-utils)" >&2; exit 1; }

state=$(mktemp -d /tmp/moderd-demo.XXXXXX)
chmod 755 "$state"
port=$((20000 + $$ % 20000))
conf=$state/moderd.conf
cat >"$conf" <<CONF
# demo configuration: see examples/moderd.conf for every key
state_dir "$state/state"
rules_dir "$PWD/examples/rules"
http_listen "http://127.0.0.1:$port"
intake events {
	type	pull
	url	"tcp://127.0.0.1:$((port + 1))"
}
intake acked {
	type	rep
	url	"tcp://127.0.0.1:$((port + 2))"
}
feeds_quorum 2.0
feeds_max_share 0	# the first sync would otherwise be one held change set
feed community {
	path	"$PWD/examples/feeds/demo-community.csv"
	refresh	1h
}
feed peers {
	path	"$PWD/examples/feeds/demo-peers.csv"
	format	fbh-csv
	refresh	1h
}
CONF

pid=
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$state"
}
trap cleanup EXIT INT TERM

echo "== 1. the rules"
echo "\$ moderd -n -f moderd.conf"
"$moderd" -n -f "$conf"
"$build/moderctl" rules check examples/rules

echo
echo "== 2. moderd starts on its embedded database"
"$moderd" -d -f "$conf" 2>"$state/moderd.log" &
pid=$!
i=0
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 600 ] || ! kill -0 "$pid" 2>/dev/null; then
		echo "demo.sh: moderd did not start:" >&2
		cat "$state/moderd.log" >&2
		exit 1
	fi
	sleep 0.1
done
sed 's/^/   moderd: /' "$state/moderd.log"

echo
echo "== 3. events arrive over nng (nngcat)"
for f in examples/events/*.json; do
	case $f in
	*report*)
		printf '   rep  %-48s -> ' "${f##*/}"
		# This nngcat exits 1 after --count replies: send once, read
		# the answer instead of the exit status.
		nngcat --req --dial "tcp://127.0.0.1:$((port + 2))" --file "$f" \
		    --raw 2>/dev/null || true
		echo ;;
	*)
		printf '   pull %s\n' "${f##*/}"
		nngcat --push --dial "tcp://127.0.0.1:$((port + 1))" --file "$f" \
		    --count 1 ;;
	esac
done
dup=examples/events/02-status-created-crypto-giveaway.json
printf '   rep  %-48s -> ' "${dup##*/} (again)"
nngcat --req --dial "tcp://127.0.0.1:$((port + 2))" --file "$dup" --raw \
    2>/dev/null || true
echo

# Wait until everything sent has been handled.
i=0
while :; do
	q=$(curl -s "http://127.0.0.1:$port/metrics" |
	    sed -n 's/^moderd_pipeline_queue \([0-9]*\).*/\1/p')
	[ "${q:-1}" = 0 ] && break
	i=$((i + 1))
	[ $i -gt 100 ] && break
	sleep 0.1
done
sleep 0.3

# The feeds are synced a moment after start-up: wait for their proposals.
i=0
until "$moderd" -f "$conf" queue 2>/dev/null | grep -q ' domain '; do
	i=$((i + 1))
	[ $i -gt 20 ] && break
	sleep 0.5
done

echo
echo "== 4. the queue a moderator sees (moderd queue)"
echo "   (domain items: blocks proposed by the feed subscriptions)"
"$moderd" -f "$conf" queue 2>/dev/null
echo
curl -s "http://127.0.0.1:$port/metrics" |
    grep -E '^moderd_(events_in_total|proposals_total|events_rejected_total)' |
    grep -v ' 0$' | sed 's/^/   /'
echo
echo "== 5. moderators at work (moderctl over the HTTP API; the web console"
echo "   is at http://127.0.0.1:$port/ with the same tokens)"
alice=$("$moderd" -f "$conf" user add alice --role moderator 2>/dev/null | tail -n 1)
bob=$("$moderd" -f "$conf" user add bob --role moderator 2>/dev/null | tail -n 1)
ctl() {
	who=$1
	shift
	printf '   $ moderctl'
	for a in "$@"; do
		case $a in
		*" "*) printf ' "%s"' "$a" ;;
		*) printf ' %s' "$a" ;;
		esac
	done
	printf '   (as %s)\n' "$who"
	MODERD_URL="http://127.0.0.1:$port" MODERD_TOKEN=$(eval echo "\$$who") \
	    "$build/moderctl" "$@" 2>&1 | sed 's/^/     /'
}
first=$(MODERD_URL="http://127.0.0.1:$port" MODERD_TOKEN=$alice \
    "$build/moderctl" queue --json --action silence --target-type account --limit 1 2>/dev/null |
    sed -n 's/.*"items":\[{"id":\([0-9]*\).*/\1/p')
dom=$(MODERD_URL="http://127.0.0.1:$port" MODERD_TOKEN=$alice \
    "$build/moderctl" queue --json --action suspend --limit 1 2>/dev/null |
    sed -n 's/.*"items":\[{"id":\([0-9]*\).*/\1/p')
if [ -n "$first" ] && [ -n "$dom" ]; then
	ctl alice approve "$first" --comment "giveaway spam, confirmed"
	ctl alice approve "$dom"
	ctl alice approve "$dom"
	ctl bob approve "$dom" --comment "second approval"
fi
ctl bob audit verify
echo
ctl alice queue --limit 5

echo
echo "== 6. moderd stops (SIGTERM: drain, stop the database)"
kill -TERM "$pid"
wait "$pid" || true
pid=
tail -2 "$state/moderd.log" | sed 's/^/   moderd: /'
