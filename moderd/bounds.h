/*
 * bounds.h - every size, count and time limit of moderd in one place.
 *
 * The unit is in the name.  A "+ 1" for a terminating NUL is written out at
 * the use site.  Config keys may lower (never raise) the run-time ones.
 */
#ifndef MODERD_BOUNDS_H
#define MODERD_BOUNDS_H

/* errors */
#define MOD_MAX_ERR_BYTES 512 /* one error message */
#define MOD_LOG_FLOOD_BURST_COUNT 20 /* lines of one flood class at once */
#define MOD_LOG_FLOOD_PER_S 5 /* then lines a second (log_flood) */
#define MOD_MAX_ERRORS_COUNT 1000 /* errors kept per errlist */

/* events */
#define MOD_MAX_EVENT_BYTES (1024 * 1024) /* one JSON event document */
#define MOD_MAX_JSON_DEPTH 32 /* nesting of an event document */
#define MOD_MAX_FIELD_BYTES (64 * 1024) /* one string field of an event */
#define MOD_MAX_ID_BYTES 64 /* Mastodon ids, kinds, enums */
#define MOD_MAX_ARRAY_COUNT 64 /* mentions, tags, media, statuses */
#define MOD_MAX_REPORT_STATUSES_COUNT 64 /* statuses attached to a report */
#define MOD_MAX_VIEW_BYTES                                                    \
	(8 * 1024 * 1024) /* all strings of one event view */
#define MOD_MAX_VIEW_VALUES_COUNT 256 /* strings in one target of a view */

/* text normalisation */
#define MOD_MAX_TEXT_BYTES (16 * 1024) /* subject cap for one rule target */
#define MOD_MAX_HTML_BYTES (128 * 1024) /* HTML accepted for conversion */
#define MOD_MAX_HTML_DEPTH 64 /* open-element nesting tracked */
#define MOD_MAX_FOLD_INPUT_BYTES (4 * MOD_MAX_TEXT_BYTES) /* text_fold in */
#define MOD_MAX_LINKS_COUNT 64 /* links extracted from one text */
#define MOD_MAX_URL_BYTES 2048 /* one extracted link */
#define MOD_MAX_EXCERPT_BYTES 160 /* evidence excerpt of one hit */

/* rules */
#define MOD_MAX_RULE_FILE_BYTES (4 * 1024 * 1024) /* one *.rules file */
#define MOD_MAX_RULE_FILES_COUNT 1024 /* files in a rule dir */
#define MOD_MAX_RULES_COUNT 20000 /* rules in a ruleset */
#define MOD_MAX_RULE_TESTS_COUNT 32 /* match/when/unless lines */
#define MOD_MAX_RULE_EXPECTS_COUNT 32 /* expect lines per rule */
#define MOD_MAX_RULE_NAME_BYTES 64 /* UPPER_SNAKE name */
#define MOD_MAX_REGEX_BYTES 4096 /* one pattern */
#define MOD_MAX_STRING_BYTES 4096 /* one "string" literal */
#define MOD_MAX_TOKEN_BYTES 4096 /* one lexer token */
#define MOD_DEFAULT_RE_MATCH_LIMIT 100000 /* pcre2 match limit */
#define MOD_DEFAULT_RE_DEPTH_LIMIT 10000 /* pcre2 depth limit */
#define MOD_DEFAULT_RE_HEAP_LIMIT_KIB 20480 /* pcre2 heap limit */
#define MOD_MAX_UNEVALUATED_COUNT 256 /* per verdict */
#define MOD_MAX_HITS_COUNT 1024 /* per verdict */

/* config */
#define MOD_MAX_CONF_FILE_BYTES (1024 * 1024)
#define MOD_MAX_PATH_BYTES 4096 /* a path, with its NUL */
#define MOD_MAX_CONF_KEYS_COUNT 64 /* keys in one table of conf.c */
#define MOD_MAX_CONF_BLOCKS_COUNT 64 /* repeated blocks of one kind */
#define MOD_MAX_CONF_NAME_BYTES 64 /* name of a repeated block */
#define MOD_MAX_CONF_STRING_BYTES 1024 /* a string value, by default */
#define MOD_MAX_CONF_QUOTE_BYTES 64 /* input quoted back in a message */

/* database (store, queue, audit) */
#define MOD_STORE_RETRY_MIN_MS 100 /* first reconnect delay */
#define MOD_STORE_RETRY_MAX_MS 10000 /* reconnect delay ceiling */
#define MOD_STORE_CONNECT_TIMEOUT_S 10 /* libpq connect_timeout */
#define MOD_MAX_QUEUE_BATCH_COUNT 10000 /* records in one transaction */
#define MOD_MAX_STORE_PIPE_COUNT                                              \
	(4 * MOD_MAX_QUEUE_BATCH_COUNT) /* statements in one pipeline */
#define MOD_MAX_STORE_PREPARED_COUNT 32 /* prepared statements a session */
#define MOD_MAX_EVIDENCE_COUNT 50 /* evidence snapshots per proposal */
#define MOD_MAX_SNAPSHOT_HITS_COUNT 64 /* hits kept in one snapshot */
#define MOD_MAX_SNAPSHOT_TEXTS_COUNT 8 /* named texts in one snapshot */
#define MOD_MAX_SNAPSHOT_TEXT_BYTES (16 * 1024) /* one text, as it was */
#define MOD_MAX_SNAPSHOT_BYTES (256 * 1024) /* one evidence snapshot */
#define MOD_MAX_DEAD_LETTER_BYTES (64 * 1024) /* payload kept */
#define MOD_MAX_AUDIT_TEXT_BYTES 4096 /* one text field of an audit row */
#define MOD_AUDIT_VERIFY_PAGE_COUNT 1000 /* rows fetched at a time */
#define MOD_MAX_AUDIT_LIST_COUNT 200 /* rows in one GET /v1/audit page */
#define MOD_MAX_AUDIT_EXPORT_BYTES                                            \
	(64 * 1024 * 1024) /* one audit export: narrow the range beyond */
#define MOD_MAX_AUDIT_PAGE_BYTES                                              \
	(4 * 1024 * 1024) /* one page of a paged export (?after=) */
#define MOD_MAX_USERS_JSON_BYTES (1024 * 1024) /* GET /v1/users answer */
#define MOD_MAX_STATS_JSON_BYTES                                              \
	(4 * 1024 * 1024) /* one GET /v1/stats/... answer */
#define MOD_MAX_QUEUE_LIST_COUNT 1000 /* items in one queue_list() */
#define MOD_MAX_USER_NAME_BYTES 64 /* `moderd user add NAME` */
#define MOD_MAX_KEY_BYTES 256 /* a dedup key, object or target id */
#define MOD_MAX_ACCT_BYTES 512 /* user@domain of a target */
#define MOD_MAX_QUEUE_RULES_BYTES 256 /* rule list of a listed item */

/* moderctl online mode (the API client) */
#define MOD_MAX_CTL_REPLY_BYTES (16 * 1024 * 1024) /* one API answer */
#define MOD_CTL_CONNECT_TIMEOUT_MS 10000 /* TCP (and TLS) set-up */
#define MOD_CTL_TIMEOUT_MS 60000 /* one whole API call */
#define MOD_CTL_EXPORT_TIMEOUT_MS 600000 /* an audit export */
#define MOD_MAX_CTL_URL_BYTES 2048 /* base URL plus path and query */
#define MOD_CTL_TEXT_COLUMN_BYTES 48 /* long text cut in tables */

/* Mastodon streaming client (SSE) */
#define MOD_MAX_SSE_FIELD_BYTES 16 /* SSE field name kept for matching */
#define MOD_MAX_SSE_TYPE_BYTES 64 /* value of an SSE event: field */
#define MOD_MAX_SSE_LINE_BYTES                                                \
	(MOD_MAX_EVENT_BYTES + 64) /* one SSE line: field name and a value */
#define MOD_STREAM_STALL_MS 60000 /* no bytes this long: reconnect */
#define MOD_STREAM_HEALTHY_MS 30000 /* data this long: backoff resets */
#define MOD_STREAM_CONNECT_TIMEOUT_MS 30000 /* TCP and TLS set-up */

/* nng intake, HTTP server, metrics */
/* nng recv-size-max: anything larger is dropped by nng unseen, so this is
 * well above MOD_MAX_EVENT_BYTES: a 10 MB message still reaches moderd,
 * to be refused, counted and answered (too_large). */
#define MOD_MAX_INTAKE_RECV_BYTES (16 * 1024 * 1024)
#define MOD_INTAKE_STACK_BYTES (256 * 1024) /* one intake thread's stack */
#define MOD_INTAKE_REPLY_TIMEOUT_MS 10000 /* to hand a rep reply to nng */
#define MOD_MAX_HTTP_PATH_BYTES 1024 /* request path, without the query */
#define MOD_MAX_HTTP_PARAMS_COUNT 4 /* {name} segments in one route */
#define MOD_MAX_HTTP_PARAM_BYTES 128 /* one {name} value */
#define MOD_MAX_HTTP_QUERY_BYTES 4096 /* query string of a request */
#define MOD_MAX_HTTP_QUERY_PARAMS_COUNT 32 /* query parameters seen */
/* idle API database connections kept: one per HTTP worker, so that none
 * is closed and opened again (a new backend each time) under load */
#define MOD_API_POOL_COUNT MOD_HTTP_WORKERS_COUNT
#define MOD_MAX_API_JSON_DEPTH 16 /* nesting of an API request body */
#define MOD_API_LIMIT_DEFAULT_COUNT 50 /* a list page, by default */
#define MOD_API_LIMIT_MAX_COUNT 200 /* a list page, at most */
#define MOD_MAX_API_TEXT_BYTES 4096 /* a comment or reason in the API */
#define MOD_MAX_API_NAME_BYTES 64 /* a name in the API */
#define MOD_MAX_API_HISTORY_COUNT 500 /* audit rows shown with an item */
#define MOD_MAX_API_ACCOUNT_HISTORY_COUNT 20 /* other items of an account */
#define MOD_MAX_API_COMMENTS_COUNT 500 /* comments shown with an item */
#define MOD_MAX_API_BULK_COUNT 200 /* ids in one bulk call */
#define MOD_MAX_HTTP_QUEUE_COUNT 256 /* requests waiting for a worker */
#define MOD_HTTP_WORKERS_COUNT 8 /* threads for blocking routes */
#define MOD_MAX_APPROVE_GROUP_COUNT 64 /* approvals in one commit */
#define MOD_HTTP_BODY_TIMEOUT_MS 10000 /* to receive a request body */
#define MOD_MAX_CONSOLE_FILE_BYTES (512 * 1024) /* one console file */
#define MOD_MAX_CONSOLE_FILES_COUNT 64 /* files embedded in the console */
#define MOD_MAX_CONSOLE_NAME_BYTES 64 /* a console file name */
#define MOD_MAX_METRICS_BYTES (8 * 1024 * 1024) /* one /metrics page */
#define MOD_METRICS_LATENCY_BUCKETS_COUNT 13 /* histogram, without +Inf */

/* dispatch of decided items to Mastodon (dispatch.c, queue_dispatch.c) */
#define MOD_MAX_DISPATCH_WORKERS_COUNT 16 /* dispatch_workers */
#define MOD_MAX_DISPATCH_RESPONSE_BYTES (64 * 1024) /* one API answer */
#define MOD_MAX_DISPATCH_FORM_BYTES (32 * 1024) /* one request body */
#define MOD_MAX_DISPATCH_ERROR_BYTES 512 /* error text of a dispatch */
#define MOD_MAX_DISPATCH_URL_BYTES 2048 /* mastodon_url + API path */
#define MOD_DISPATCH_POLL_MS 1000 /* due rows are looked for this often */
#define MOD_DISPATCH_PLAN_BATCH_COUNT 1000 /* items planned per statement */
#define MOD_DISPATCH_BACKOFF_MIN_MS 1000 /* first retry delay */
#define MOD_DISPATCH_LEASE_SLACK_MS 30000 /* lease beyond the timeouts */
#define MOD_DISPATCH_CONNECT_TIMEOUT_MS 10000 /* TCP and TLS set-up */
#define MOD_DISPATCH_LOOKUP_PAGES_COUNT 100 /* domain block list pages */

/* blocklist feeds: parsing (feeds/feed_parse.c and the format parsers) */
#define MOD_MAX_FEED_BYTES (64 * 1024 * 1024) /* one feed document */
#define MOD_MAX_FEED_ENTRIES_COUNT 1000000 /* entries in one feed */
#define MOD_MAX_FEED_LINE_BYTES (64 * 1024) /* one CSV or text line */
#define MOD_MAX_FEED_COLUMNS_COUNT 64 /* CSV fields read per line */
#define MOD_MAX_FEED_COMMENT_BYTES (64 * 1024) /* one comment, cut beyond */
#define MOD_MAX_FEED_JSON_VALUES_COUNT 4000000 /* JSON values in a feed */
#define MOD_MAX_FEED_QUOTE_BYTES 64 /* input quoted back in a message */
#define MOD_MAX_DOMAIN_BYTES 253 /* a normalised domain name */
#define MOD_MAX_DOMAIN_LABEL_BYTES 63 /* one label of it */
#define MOD_MAX_DOMAIN_INPUT_BYTES 1024 /* a name as written, before IDNA */

/* blocklist feeds: merging, diffing, publishing (feed_merge.c, ...) */
#define MOD_MAX_FEED_SOURCES_COUNT 64 /* feeds merged together */
#define MOD_MAX_FEED_EXCLUDES_COUNT 100000 /* excluded domains */
#define MOD_MAX_FEED_PUBLISH_BYTES                                            \
	(64 * 1024 * 1024) /* one published list                              \
	                    */
#define MOD_MAX_FEED_CHANGES_PAGE_COUNT                                       \
	10000 /* change feed records per page */

/* blocklist feeds: fetching (feeds/feed_fetch.c, moderd/ctl_feeds.c) */
#define MOD_FEED_FETCH_MAX_REDIRECTS_COUNT 5 /* hops followed */
#define MOD_FEED_FETCH_TIMEOUT_MS 30000 /* whole fetch, by default */
#define MOD_FEED_FETCH_MAX_TIMEOUT_MS 600000 /* whole fetch, at most */
#define MOD_FEED_FETCH_CONNECT_TIMEOUT_MS 10000 /* TCP and TLS set-up */
#define MOD_MAX_FEED_URL_BYTES 2048 /* a feed or redirect URL */
#define MOD_MAX_FEED_SIG_BYTES 1024 /* a detached .sig document */
#define MOD_MAX_FEED_HEADER_BYTES 1024 /* an ETag or Last-Modified kept */
#define MOD_MAX_FEED_DOMAINS_FILE_BYTES                                       \
	(64 * 1024 * 1024) /* an excludes or known-domains file */
#define MOD_MAX_FEED_KNOWN_DOMAINS_COUNT 2000000 /* names in that file */

/* blocklist feeds in the daemon (moderd/feedsync.c, api_publish.c) */
#define MOD_FEED_JITTER_PCT 10 /* +- jitter of a feed's refresh interval */
#define MOD_FEED_BACKOFF_MAX_MS (6 * 3600 * 1000) /* delay after failures */
#define MOD_FEED_SCHED_IDLE_MS 60000 /* scheduler re-reads the config */
#define MOD_MAX_PRUNE_BATCH_COUNT 5000 /* rows one prune statement deletes */
#define MOD_MAX_PRUNE_RUN_COUNT 200000 /* rows per table per housekeeping */
#define MOD_FEED_START_DELAY_MS 2000 /* first run after start-up */
#define MOD_MAX_PUBLISH_KEY_BYTES 4096 /* the publish_key file */
#define MOD_PUBLISH_MAX_AGE_S 180 /* Cache-Control of published lists */

#endif /* MODERD_BOUNDS_H */
