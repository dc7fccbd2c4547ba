#!/bin/sh
# make lint: formatting and the module dependency rules of style.md.
set -u
rc=0
files=$(git ls-files '*.c' '*.h')
for f in $files; do
	if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
		echo "lint: $f is not clang-formatted (run make format)"
		rc=1
	fi
done
# rules/ and feeds/ see only their own headers and the foundation.
allowed='moderd.h|bounds.h|log.h|util.h|buf.h|lex.h|rules.h|rule_impl.h|feeds.h|feed_impl.h'
for f in $(git ls-files 'rules/*.[ch]' 'feeds/*.[ch]'); do
	grep -n '^#include "' "$f" | grep -Ev "\"($allowed)\"" |
	    sed "s|^|lint: $f: forbidden include: |" | grep . && rc=1
done
# pcre2.h only in rule_regex.c, hs.h only in rule_hs.c, libpq only in the
# store/queue/audit files (shell patterns).
check_only() {
	hdr=$1
	shift
	for f in $(git grep -l "#include <$hdr>" -- '*.c' '*.h'); do
		ok=0
		for a in "$@"; do
			# shellcheck disable=SC2254
			case $f in $a) ok=1 ;; esac
		done
		[ $ok = 1 ] || { echo "lint: $f must not include <$hdr>"; rc=1; }
	done
}
check_only pcre2.h rules/rule_regex.c
check_only hs/hs.h rules/rule_hs.c
# (Tests may talk to their throwaway cluster directly.)
check_only libpq-fe.h 'moderd/store.c' 'moderd/store_*.c' 'moderd/queue.c' \
    'moderd/queue_*.[ch]' 'moderd/audit.c' 'moderd/audit_*.c' 'tests/*.c'
[ $rc = 0 ] && echo "lint: ok"
exit $rc
