/*
 * ctl_feeds.h - `moderctl feeds merge`: the subscriptions of a
 * configuration fetched, parsed and merged offline, with provenance.
 *
 * No daemon and no database: every feed is fetched (or read) afresh,
 * without conditional state.  The helpers below are also what a caller
 * needs to turn a struct conf into feed_fetch() and feed_merge() inputs.
 */
#ifndef MODERD_CTL_FEEDS_H
#define MODERD_CTL_FEEDS_H

#include <stddef.h>

#include "conf.h"
#include "feeds.h"

/*
 * ctl_feeds_merge: `moderctl feeds merge -f CONF [--format F]`, argv
 * being what follows the two words.  F is table (the default: the merged
 * list with provenance, the unresolved masked entries and the domains
 * below the quorum or excluded), or a feed_publish() format by any name
 * feed_format_from_name() knows (mastodon-csv, fbh-csv or
 * fediblockhole-csv, json or mastodon-json, text), which prints only the
 * merged blocks and puts the summary on stderr.  Parse errors go to
 * stderr as FILE:LINE: message and the feed is still used.  Returns the
 * exit status: 0; 1 if the configuration is invalid, a domain file is
 * unreadable, or any feed failed entirely (fetch error, or no usable
 * entry: an empty feed is an error, never "no blocks"); 2 for usage.
 */
int ctl_feeds_merge(int argc, char **argv);

/*
 * ctl_feeds_fetch_opts: *o for an unconditional fetch of f (strings
 * borrowed from f; the caller may then set etag, last_modified and
 * prev_sha256).
 */
void ctl_feeds_fetch_opts(
    const struct conf_feed *f, struct feed_fetch_opts *o);

/*
 * ctl_feeds_read_domains: the domains of a list file at path, one per
 * line; # starts a comment, blank lines are skipped; each is normalised
 * with feed_domain_normalise() (masked names are refused).  A bad line is
 * reported to errs (which may be NULL) as "PATH:LINE: message" and
 * skipped.  *v (caller frees with ctl_feeds_domains_free()) gets the
 * names, *n their count.  Returns 0 (also when lines were skipped), or
 * MOD_ENOENT, MOD_EIO or MOD_ETOOBIG (over MOD_MAX_FEED_DOMAINS_FILE_BYTES
 * or MOD_MAX_FEED_KNOWN_DOMAINS_COUNT names) with one message in errs and
 * *v NULL.  An empty path is an empty list.
 */
int ctl_feeds_read_domains(const char *path, char ***v, size_t *n,
    struct mod_errlist *errs) MOD_MUSTCHECK;

/* ctl_feeds_domains_free: free what ctl_feeds_read_domains() gave. */
void ctl_feeds_domains_free(char **v, size_t n);

#endif /* MODERD_CTL_FEEDS_H */
