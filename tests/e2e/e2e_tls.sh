#!/bin/sh
# e2e_tls.sh - feed fetches verify TLS.  A local HTTPS server
# (`openssl s_server -WWW`) with a self-signed certificate for 127.0.0.1
# serves a valid Mastodon CSV; `moderctl feeds merge` subscribed to it
# must refuse the feed with a certificate error (exit 1, nothing merged),
# never fall back to an unverified connection.  The same file as a path
# feed merges, so the refusal is the certificate's doing.
set -u
. tests/e2e/lib.subr
e2e_init tls

CTL=$BUILD/moderctl
free_ports 1
PORT=$(echo $PORTS | tr -d ' ')
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$T/key.pem" \
    -out "$T/cert.pem" >"$T/openssl.out" 2>&1 ||
	fatal "openssl req failed: $(tail -n 2 "$T/openssl.out")"
printf '%s\n%s\n' \
    '#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate' \
    'spam-farm.example,suspend,false,false,spam,false' >"$T/blocks.csv"
(cd "$T" && exec openssl s_server -accept "$PORT" -cert cert.pem \
    -key key.pem -WWW >"$T/s_server.out" 2>&1) &
bg $!
wait_log "$T/s_server.out" "ACCEPT" 50 || sleep 1

# conf LINE: a configuration with one feed whose source is LINE.
conf() {
	printf 'feeds_quorum 1\nfeed tls {\n\t%s\n\tformat mastodon-csv\n\ttimeout 10s\n}\n' \
	    "$1" >"$T/feeds.conf"
}

# merge: moderctl feeds merge of that configuration; its exit status.
merge() {
	timeout 30 "$CTL" feeds merge -f "$T/feeds.conf" --format text \
	    >"$T/merge.out" 2>"$T/merge.err"
	echo $?
}

conf "url \"https://127.0.0.1:$PORT/blocks.csv\""
check_eq "a self-signed HTTPS feed is refused (exit 1)" 1 "$(merge)"
check_grep "with a certificate error" "[Cc]ertificate" "$T/merge.err"
check_eq "and nothing is merged" "" "$(cat "$T/merge.out")"
conf "path \"$T/blocks.csv\""
check_eq "the same file as a path feed merges" "0 spam-farm.example" \
	"$(merge) $(cat "$T/merge.out")"
e2e_done
