#!/bin/sh
# e2e_feeds.sh - a blocklist feed over HTTP becomes proposals, a block in
# Mastodon and our published list.
#
# `e2e_tool mastodon -c blocks.csv` serves a Mastodon CSV export at
# /blocks.csv with an ETag and Last-Modified (304 to a matching
# If-None-Match) and stands in for Mastodon's admin API on the same port.
# moderd subscribes to it (a feed block, manual syncs only, quorum 1, no
# hold) and signs its published lists with a key from `moderctl feeds
# keygen`.  An admin's POST /v1/feeds/sync must fetch it once and turn
# each entry into a domain proposal naming the feed; GET /v1/feeds shows
# its validators, digest and entries; a second sync sends If-None-Match
# and If-Modified-Since, gets 304 and changes nothing; an entry dropped
# from the file withdraws its pending proposal.  Approving one proposal
# sends the block to Mastodon (whose id is kept) and publishes it: GET
# /v1/blocklist/mastodon.csv, without a token, has Mastodon's exact
# header and the block, and its .sig verifies with `moderctl feeds
# verify`.
set -u
. tests/e2e/lib.subr
. tests/e2e/api.subr
e2e_init feeds

CTL=$BUILD/moderctl
[ -x "$CTL" ] || fatal "$CTL not built"
free_ports 2
set -- $PORTS
HTTP=$1 SRV=$2
STATE=$T/state
CONF=$T/moderd.conf
LOG=$T/moderd.log
REQS=$T/feedserver.log
CSV=$T/blocks.csv
DSN=$(embedded_dsn "$STATE")
API=http://127.0.0.1:$HTTP
HEADER='#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate'
"$CTL" feeds keygen "$T/publish" >/dev/null 2>&1 || fatal "feeds keygen failed"
write_conf "$CONF" "$STATE" "$SRC/examples/rules" "$HTTP"
cat >>"$CONF" <<EOF
feed community {
	url		"http://127.0.0.1:$SRV/blocks.csv"
	format		mastodon-csv
	trust		1.0
	refresh		0
}
feeds_quorum 1
feeds_max_share 0
publish_key "$T/publish.key"
mastodon_url "http://127.0.0.1:$SRV"
mastodon_token "e2e-mastodon-admin-token"
EOF
cat >"$CSV" <<EOF
$HEADER
spam-farm.example,suspend,false,false,spam,false
crypto-scam.example,silence,true,false,"crypto scams, phishing",false
noisy.example,noop,true,false,,false
EOF

# feed_req N FIELD: FIELD of the Nth request for /blocks.csv.
feed_req() {
	grep '"path":"/blocks.csv"' "$REQS" | sed -n "${1}p" |
		"$TOOL" json "$2" 2>/dev/null
}

# nfetch: requests for the feed so far.
nfetch() {
	grep -c '"path":"/blocks.csv"' "$REQS"
}

# domain_item DOMAIN: GET /v1/queue?state=all&target_type=domain&target=
# DOMAIN as the moderator; the answer in $T/ans, the first item's id out.
domain_item() {
	api "$MOD" GET \
	    "/v1/queue?state=all&target_type=domain&target=$1" >/dev/null
	jget items.0.id
}

# feed_row FIELD: FIELD of feed community in GET /v1/feeds.
feed_row() {
	api "$MOD" GET /v1/feeds >/dev/null
	jget "feeds.0.$1"
}

# audit_rows: the number of rows GET /v1/audit/verify checked.
audit_rows() {
	api "$MOD" GET /v1/audit/verify >/dev/null
	jget rows
}

standin_start "$SRV" "$REQS" -c "$CSV"
moderd_start "$CONF" "$LOG" || fatal "moderd did not start"
user_add MOD mia moderator
user_add ADMIN root admin

# ---- before any sync ----------------------------------------------------------
check_eq "GET /v1/feeds" 200 "$(api "$MOD" GET /v1/feeds)"
check_eq "one feed is configured" "1 community" \
	"$(jget feeds.#) $(jget feeds.0.name)"
check_eq "its url" "http://127.0.0.1:$SRV/blocks.csv" "$(jget feeds.0.url)"
check_eq "never fetched: no etag, no entries" "null 0" \
	"$(jget feeds.0.etag) $(jget feeds.0.entries)"
check_eq "refresh 0: nothing fetched at start" 0 "$(nfetch)"

# ---- the first sync ---------------------------------------------------------------
code=$(api_body "$MOD" POST /v1/feeds/sync '{}')
check_eq "a moderator may not sync feeds" 403 "$code"
check_eq "the refused sync fetched nothing" 0 "$(nfetch)"
code=$(api_body "$ADMIN" POST /v1/feeds/sync '{}')
check_eq "POST /v1/feeds/sync (admin)" 200 "$code"
check_eq "sync: the feed was updated" "community updated null" \
	"$(jget feeds.0.name) $(jget feeds.0.status) $(jget feeds.0.error)"
check_eq "sync: 3 added, nothing else, not held" "3 0 0 false" \
	"$(jget added) $(jget changed) $(jget retracted) $(jget held)"
check_eq "the sync fetched the feed once" 1 "$(nfetch)"
check_eq "the first fetch is unconditional" "null null 200" \
	"$(feed_req 1 if_none_match) $(feed_req 1 if_modified_since) $(feed_req 1 status)"

check_eq "GET /v1/queue?target_type=domain" 200 \
	"$(api "$MOD" GET "/v1/queue?target_type=domain")"
check_eq "three pending domain proposals" "3 3" \
	"$(jget items.#) $(jget counts.pending)"
for row in "spam-farm.example suspend false spam" \
    "crypto-scam.example silence true crypto scams, phishing" \
    "noisy.example noop true null"; do
	set -- $row
	id=$(domain_item "$1")
	check "a proposal for $1" test -n "$id"
	check_eq "$1: the feed's proposal" \
		"$row|feed|pending|1 community" \
		"$(jget items.0.target_id) $(jget items.0.action) $(jget items.0.reject_media) $(jget items.0.public_comment)|$(jget items.0.source)|$(jget items.0.state)|$(jget items.0.feeds.#) $(jget items.0.feeds.0)"
done
check_eq "GET /v1/queue?feed=community lists them" 3 \
	"$(api "$MOD" GET "/v1/queue?feed=community" >/dev/null; jget items.#)"

check_eq "GET /v1/feeds after the sync" 200 "$(api "$MOD" GET /v1/feeds)"
ETAG=$(jget feeds.0.etag)
LASTMOD=$(jget feeds.0.last_modified)
REV=$(jget feeds.0.revision)
check "the feed's ETag is kept" eval \
	'echo "$ETAG" | grep -Eq "^\"[0-9a-f]{16}\"$"'
check "its Last-Modified is kept" eval \
	'echo "$LASTMOD" | grep -Eq "^[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT$"'
check_eq "the feed's entries" 3 "$(jget feeds.0.entries)"
check_eq "the feed's digest is the file's SHA-256" \
	"$(sha256sum "$CSV" | cut -d' ' -f1)" "$(jget feeds.0.content_sha256)"
check_eq "no error, a success time" "null yes" \
	"$(jget feeds.0.last_error) $(jget feeds.0.last_success_at |
		grep -qE '^[0-9]{4}-' && echo yes)"
check "the feed has a revision" test -n "$REV"

# ---- a second sync: 304, nothing changes -------------------------------------------
queue_before=$(api "$MOD" GET "/v1/queue?state=all&target_type=domain" \
	>/dev/null; cat "$T/ans")
audit_before=$(audit_rows)
code=$(api_body "$ADMIN" POST /v1/feeds/sync '{"name":"community"}')
check_eq "the second sync" 200 "$code"
# added/changed/retracted are the diff against our blocks, which is the
# same three adds; what must not change is the queue.
check_eq "the second sync: not modified, the same diff" \
	"not_modified 3 0 0" \
	"$(jget feeds.0.status) $(jget added) $(jget changed) $(jget retracted)"
check_eq "the second sync fetched once more" 2 "$(nfetch)"
check_eq "it sent If-None-Match with the ETag" "$ETAG" \
	"$(feed_req 2 if_none_match)"
check_eq "it sent If-Modified-Since with Last-Modified" "$LASTMOD" \
	"$(feed_req 2 if_modified_since)"
check_eq "the feed server answered 304" 304 "$(feed_req 2 status)"
check_eq "the domain proposals are unchanged" "$queue_before" \
	"$(api "$MOD" GET "/v1/queue?state=all&target_type=domain" \
		>/dev/null; cat "$T/ans")"
check_eq "the audit trail is unchanged" "$audit_before" "$(audit_rows)"
check_eq "the feed's validators and revision are unchanged" \
	"$ETAG|$LASTMOD|$REV|3" \
	"$(feed_row etag)|$(jget feeds.0.last_modified)|$(jget feeds.0.revision)|$(jget feeds.0.entries)"

# ---- approve one: Mastodon gets the block, the list publishes it --------------------
C=$(domain_item crypto-scam.example)
code=$(api_body "$MOD" POST "/v1/queue/$C/approve" '{}')
check_eq "approve crypto-scam.example ($C; silence: one approval)" 200 "$code"
wait_for 100 item_is "$MOD" "$C" state applied ||
	bad "item $C never became applied: $(cat "$T/ans")"
check_grep "Mastodon got the block as approved" \
	'"method":"POST","path":"/api/v1/admin/domain_blocks".*"body":"domain=crypto-scam.example&severity=silence&reject_media=true&reject_reports=false&private_comment=&public_comment=crypto%20scams%2C%20phishing&obfuscate=false","status":200' \
	"$REQS"
check_eq "Mastodon's id of the block is kept" 77 \
	"$(q "$DSN" "SELECT mastodon_id FROM blocks
		WHERE domain = 'crypto-scam.example'")"

code=$(api "" GET /v1/blocklist/mastodon.csv)
check_eq "GET /v1/blocklist/mastodon.csv without a token" 200 "$code"
cp "$T/ans" "$T/published.csv"
check_eq "the published list has Mastodon's header" "$HEADER" \
	"$(head -n 1 "$T/published.csv")"
check_eq "it lists the approved block (and nothing pending)" \
	'crypto-scam.example,silence,true,false,"crypto scams, phishing",false' \
	"$(tail -n +2 "$T/published.csv")"
code=$(api "" GET /v1/blocklist/mastodon.csv.sig)
check_eq "GET /v1/blocklist/mastodon.csv.sig" 200 "$code"
cp "$T/ans" "$T/published.sig"
check_eq "the signature verifies with the public key" "signature OK" \
	"$("$CTL" feeds verify "$T/published.csv" "$T/published.sig" \
		"$T/publish.pub" 2>&1)"

# ---- the feed drops an entry: its pending proposal is withdrawn --------------------
grep -v '^noisy\.example,' "$CSV" >"$CSV.new" && mv "$CSV.new" "$CSV"
code=$(api_body "$ADMIN" POST /v1/feeds/sync '{}')
check_eq "the third sync" 200 "$code"
# The diff: spam-farm.example is still to add; crypto-scam.example is
# blocked now, and noisy.example is gone from the feed.
check_eq "the third sync: updated, one add left, nothing retracted" \
	"updated 1 0 0" \
	"$(jget feeds.0.status) $(jget added) $(jget changed) $(jget retracted)"
check_eq "it sent the old ETag and got the new file" "$ETAG 200" \
	"$(feed_req 3 if_none_match) $(feed_req 3 status)"
domain_item noisy.example >/dev/null
check_eq "noisy.example's proposal is withdrawn" \
	"rejected|withdrawn: sources changed" \
	"$(jget items.0.state)|$(jget items.0.reject_reason)"
check_eq "spam-farm.example is still pending" pending \
	"$(domain_item spam-farm.example >/dev/null; jget items.0.state)"
check_eq "the feed now has 2 entries and a new ETag" "2 yes" \
	"$(feed_row entries) $([ "$(jget feeds.0.etag)" != "$ETAG" ] && echo yes)"
check_eq "the audit chain verifies" "200 true" \
	"$(api "$MOD" GET /v1/audit/verify) $(jget ok)"
check_eq "the feed server saw 3 fetches and 1 block in all" 4 "$(nlines "$REQS")"

# ---- a big change is held: one change set, signed off with moderctl ------------
# With feeds_max_share 0.5 (SIGHUP) and one block, five new suspends are
# more than half the list: the sync holds them, with the add still
# pending from before, as one change set of six.  Domain
# suspends need two signers, so one admin's sign-off leaves it held, the
# same admin again is refused, and a second admin's approves it.
sed -i 's/^feeds_max_share 0$/feeds_max_share 0.5/' "$CONF"
MFROM=$(wc -l <"$LOG")
kill -HUP "$MPID"
wait_log "$LOG" "rules loaded" 100 "$MPID" "$MFROM" ||
	fatal "the reload was not applied: $(tail -n 3 "$LOG")"
for i in 1 2 3 4 5; do
	echo "held$i.example,suspend,false,false,wave $i,false" >>"$CSV"
done
user_add ADMIN2 ada admin
ctl() {
	_tok=$1
	shift
	MODERD_URL=$API MODERD_TOKEN=$_tok timeout 30 "$CTL" "$@" \
	    >"$T/ctl.out" 2>&1
}
check "moderctl feeds sync (admin)" ctl "$ADMIN" feeds sync community
check_grep "the sync is held as a change set" "held as change set [0-9]+" \
	"$T/ctl.out"
CS=$(sed -n 's/.*held as change set \([0-9]*\).*/\1/p' "$T/ctl.out")
check "moderctl changesets --state held" ctl "$MOD" changesets --state held
check_grep "it lists the held set with 6 additions" "^$CS +held +6 " \
	"$T/ctl.out"
check "moderctl changeset show" ctl "$MOD" changeset show "$CS"
check_grep "it shows the set's items" "held3\\.example" "$T/ctl.out"
check "a moderator may not sign off" test "$(ctl "$MOD" changeset approve \
	"$CS"; echo $?)" = 1
check "moderctl changeset approve (first admin)" ctl "$ADMIN" changeset \
	approve "$CS" --comment "first look"
check_grep "one sign-off leaves the suspends held" "change set $CS: held" \
	"$T/ctl.out"
check "the same admin again is refused" test "$(ctl "$ADMIN" changeset \
	approve "$CS"; echo $?)" = 1
check_grep "with the two-person message" "already signed off" "$T/ctl.out"
check "moderctl changeset approve (second admin)" ctl "$ADMIN2" changeset \
	approve "$CS"
check_grep "the second sign-off approves the set" "change set $CS: approved" \
	"$T/ctl.out"
check_eq "its six proposals are approved, each by two admins" "6" \
	"$(q "$DSN" "SELECT count(*) FROM proposals p WHERE changeset_id = $CS
		AND state IN ('approved', 'applied') AND (SELECT count(*)
		FROM approvals a WHERE a.proposal_id = p.id) = 2")"
check_eq "the audit chain verifies" "200 true" \
	"$(api "$MOD" GET /v1/audit/verify) $(jget ok)"
e2e_done
