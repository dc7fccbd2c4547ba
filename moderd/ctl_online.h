/*
 * ctl_online.h - moderctl's online commands: they speak only the
 * daemon's HTTP API (doc/api.md), never the database.
 */
#ifndef MODERD_CTL_ONLINE_H
#define MODERD_CTL_ONLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "moderd.h"

/*
 * ctl_online_main: run the online command argv[0..argc) (argv[0] is its
 * first word: "queue", "show", "audit", ...).  The server is --url or
 * MODERD_URL, the token --token or MODERD_TOKEN; --json prints the API's
 * JSON instead of tables.  Returns the exit status (0, 1 on any error
 * with the API's message on stderr, 2 for a usage error), or -1 when
 * argv[0] names no online command (nothing is printed then).
 */
int ctl_online_main(int argc, char **argv);

/* ctl_online_usage: the online commands' usage lines, for moderctl's. */
void ctl_online_usage(FILE *fp);

/*
 * ctl_online_last_id: the id of the last row of a page of an audit
 * export (JSON lines, or CSV when csv; header: the page begins with the
 * CSV header line, as the first page, after=0, does).  Returns 0 with
 * *id, MOD_ENOENT when the page has no rows (empty, or a header alone),
 * or MOD_EINVAL when the last line has no readable id.
 */
int ctl_online_last_id(
    const char *data, size_t len, bool csv, bool header, int64_t *id);

/*
 * ctl_online_verify: walk an audit export in JSON lines (data[0..len),
 * oldest first, from the first row) through the hash chain exactly as
 * the daemon's audit_verify() does.  Returns 0 with *rows the rows
 * checked; MOD_EINVAL with *bad_id the first row that does not verify
 * (0 if it has no readable id) and *why (static text) the reason; or
 * MOD_EINTERNAL (libsodium).
 */
int ctl_online_verify(const char *data, size_t len, int64_t *rows,
    int64_t *bad_id, const char **why) MOD_MUSTCHECK;

#endif /* MODERD_CTL_ONLINE_H */
