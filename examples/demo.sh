#!/bin/sh
# demo.sh BUILD - what moderd would propose for the example events.
#
# Until the daemon exists this is offline: the example rule set is checked
# (its expect lines run at load), then every example event - real-shaped
# Mastodon webhook payloads and streaming statuses - goes through it, and
# the verdicts are printed as a table.  Run from the repository root
# (`make demo` does).
set -eu

build=${1:-build}
ctl=$build/moderctl
cd "$(dirname "$0")/.."
if [ ! -x "$ctl" ]; then
	echo "demo.sh: $ctl not built; run 'make demo'" >&2
	exit 1
fi

cat <<'BANNER'
moderd demo - rules over Mastodon events, offline

  rules:  examples/rules/*.rules   (spam, scams, harassment, accounts, reports)
  events: examples/events/*.json   (webhook payloads and streaming statuses)

Nothing is sent anywhere: each verdict is what moderd would queue for a
moderator to approve or reject.

$ moderctl rules check examples/rules
BANNER
"$ctl" rules check examples/rules
echo
echo '$ moderctl rules test --table examples/rules examples/events/*.json'
"$ctl" rules test --table examples/rules examples/events/*.json
cat <<'TAIL'

Score is the sum of the hit rules' scores; with the default thresholds 3
proposes flag and 10 proposes silence (a rule may also name an action).
One event as JSON:  moderctl rules test examples/rules examples/events/03-status-created-lookalike-spam.json
Rule language:      man -l doc/moderd.rules.5
TAIL
