#!/bin/sh
# run_browser.sh BUILD - the console's browser tests (tests/browser/*.mjs).
#
# Starts the real moderd from BUILD on its embedded PostgreSQL (through
# tests/e2e/lib.subr, so every process is stopped and the directory
# removed at exit), creates five users with `moderd user add` (alice and
# bob moderators, carol and dave admins, tom triage), seeds the queue with the
# example events and the XSS events of tests/browser/events over nngcat,
# subscribes the daemon to a local blocklist feed (refresh 0: synced from
# the console), and runs each tests/browser/*.mjs under node with
# playwright-core driving Debian's /usr/bin/chromium, headless.
#
# playwright-core is installed at test time into BUILD/browser from the
# exact version pinned in tests/browser/package-lock.json (npm ci; the
# npm registry must be reachable the first time, later runs reuse it).
# Screenshots go to tests/out/screenshots/ (ignored by git, not committed).  Prints
# "browser: N passed, M failed"; exits 1 on any failure.  Run from the
# repository root (`make browser` does).  BROWSER_ONLY=NAME runs one test.
set -u
BUILD=${1:?usage: tests/run_browser.sh BUILD}
export BUILD
. tests/e2e/lib.subr
e2e_init browser

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
for p in node npm "$CHROMIUM"; do
	command -v "$p" >/dev/null 2>&1 || fatal "$p not found (make deps)"
done

# ---- playwright-core, pinned -------------------------------------------------
NPMDIR=$SRC/$BUILD/browser
mkdir -p "$NPMDIR"
if ! cmp -s tests/browser/package-lock.json "$NPMDIR/package-lock.json" ||
	[ ! -f "$NPMDIR/node_modules/playwright-core/package.json" ]; then
	cp tests/browser/package.json tests/browser/package-lock.json "$NPMDIR/"
	(cd "$NPMDIR" && timeout 300 npm ci --no-audit --no-fund \
		--loglevel=error) >"$T/npm.log" 2>&1 ||
		fatal "npm ci failed: $(tail -n 5 "$T/npm.log")"
fi
SHOTS=$SRC/tests/out/screenshots
rm -rf "$SHOTS"
mkdir -p "$SHOTS"

# ---- moderd ------------------------------------------------------------------
free_ports 2
set -- $PORTS
HTTP=$1 PULL=$2
STATE=$T/state
CONF=$T/moderd.conf
LOG=$T/moderd.log
DSN=$(embedded_dsn "$STATE")
write_conf "$CONF" "$STATE" "$SRC/examples/rules" "$HTTP"
intake_block "$CONF" events pull "$PULL"
# A local blocklist: the first sync adds every domain, more than
# feeds_max_share of our (no) blocks, so it is held as a change set.
cat >"$T/feed.csv" <<EOF
#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate
spam-farm.example,suspend,true,true,crypto spam farm,false
harass.example,silence,false,false,harassment campaign,false
scrapers.example,suspend,false,false,AI scrapers,false
EOF
cat >>"$CONF" <<EOF
feed localfeed {
	path	"$T/feed.csv"
	format	mastodon-csv
	trust	1.0
	max_severity	suspend
	refresh	0
}
feeds_max_share 0.2
EOF
if ! "$MODERD" -n -f "$CONF" >"$T/n.out" 2>&1; then
	# The daemon may not know feeds yet: run without them.
	echo "browser: feeds not configurable: $(head -n 2 "$T/n.out")" >&2
	sed -i '/^feed localfeed {/,/^}/d;/^feeds_max_share/d' "$CONF"
	FEEDS=0
else
	FEEDS=1
fi
moderd_start "$CONF" "$LOG" || fatal "moderd did not start"

token() {
	"$MODERD" -f "$CONF" user add "$1" --role "$2" 2>>"$T/users.err" |
	    grep -E '^[0-9a-f]{64}$'
}
TOK_ALICE=$(token alice moderator) || fatal "user add alice"
TOK_BOB=$(token bob moderator) || fatal "user add bob"
TOK_CAROL=$(token carol admin) || fatal "user add carol"
TOK_DAVE=$(token dave admin) || fatal "user add dave"
TOK_TOM=$(token tom triage) || fatal "user add tom"

# ---- the queue -------------------------------------------------------------------
n=0
for f in "$SRC"/examples/events/*.json "$SRC"/tests/browser/events/*.json; do
	push "$PULL" "$f" || bad "push of $f failed"
	n=$((n + 1))
done
want=$(($(grep -l '^action \(flag\|silence\|suspend\|delete\|sensitive\)' \
	"$SRC"/examples/events/*.expect | wc -l) + \
	$(grep -l '^action none' "$SRC"/examples/events/*report*.expect | wc -l) + \
	$(ls "$SRC"/tests/browser/events/*.json | wc -l)))
i=0
while [ "$(q "$DSN" "SELECT count(*) FROM proposals" 2>/dev/null)" != "$want" ]; do
	i=$((i + 1))
	[ $i -gt 300 ] && fatal "the queue never reached $want items: $(q "$DSN" "SELECT count(*) FROM proposals")"
	sleep 0.1
done
ok

# ---- the tests ---------------------------------------------------------------------
export MODERD_URL="http://127.0.0.1:$HTTP" TOK_ALICE TOK_BOB TOK_CAROL TOK_DAVE TOK_TOM
export SHOTS CHROMIUM FEEDS
export NODE_PATH="$NPMDIR/node_modules"
for t in tests/browser/*.mjs; do
	name=${t##*/}
	name=${name%.mjs}
	[ -n "${BROWSER_ONLY:-}" ] && [ "$name" != "$BROWSER_ONLY" ] && continue
	# ES modules ignore NODE_PATH: run from a copy beside node_modules.
	cp "$t" "$NPMDIR/$name.mjs"
	if timeout -k 10 300 node "$NPMDIR/$name.mjs" >"$T/$name.log" 2>&1; then
		ok
		echo "browser: $name ok ($(grep -c '^ok ' "$T/$name.log") checks)"
	else
		bad "$name failed"
		cat "$T/$name.log" >&2
	fi
done
check "moderd is still running" alive "$MPID"
moderd_stop "$MPID"
check_eq "moderd exit status after SIGTERM" 0 "$MRC"
echo "browser: screenshots in $SHOTS: $(ls "$SHOTS" | tr '\n' ' ')"
e2e_done
