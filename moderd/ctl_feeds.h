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

#endif /* MODERD_CTL_FEEDS_H */
