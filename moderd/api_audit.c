/*
 * api_audit.c - the audit trail over HTTP (doc/api.md, "Audit"): list
 * rows newest first with filters and a keyset cursor, verify the chain
 * on the server, and export a range oldest first as JSON lines or CSV.
 * Any role may read the trail: it is what makes decisions provable.
 *
 * An export is built in memory under MOD_MAX_AUDIT_EXPORT_BYTES
 * (audit_export() reads it in pages); a range that does not fit is a 413
 * asking for a narrower one, never a silently cut file.  A client that
 * wants everything, however large, pages it: ?after=ID answers the rows
 * after ID that fit in MOD_MAX_AUDIT_PAGE_BYTES (whole rows only; the CSV
 * header only on the first page, after=0), and the next page starts
 * after the last id received; an empty page is the end.  The rows'
 * "at" keeps microseconds: it is part of what each hash covers, and
 * `moderctl audit verify` recomputes the chain from an export.
 */
#include <stdint.h>
#include <string.h>

#include "api.h"
#include "audit.h"
#include "buf.h"

#define API_AUDIT_MIB(n) ((n) / (1024 * 1024))

/* api_audit_range: since and until; 0 or MOD_EINVAL (answered). */
static int
api_audit_range(struct api_ctx *c, int64_t *since, int64_t *until)
{
	*since = *until = INT64_MIN;
	if (api_query_time(c, "since", since) != 0
	    || api_query_time(c, "until", until) != 0)
		return MOD_EINVAL;
	return 0;
}

/* api_audit_filter: the list's query parameters; 0 or MOD_EINVAL. */
static int
api_audit_filter(struct api_ctx *c, struct audit_filter *f)
{
	size_t limit = 0;
	bool   found;

	memset(f, 0, sizeof(*f));
	if (api_audit_range(c, &f->since_ms, &f->until_ms) != 0
	    || api_query_str(c, "actor", MOD_MAX_API_NAME_BYTES, &f->actor)
	        != 0
	    || api_query_str(c, "action", MOD_MAX_API_NAME_BYTES, &f->action)
	        != 0
	    || api_query_str(c, "q", MOD_MAX_API_TEXT_BYTES, &f->q) != 0
	    || api_query_int(c, "proposal", 1, INT64_MAX, &f->proposal_id) != 0
	    || api_query_limit(c, &limit) != 0
	    || api_query_cursor(c, &f->before_id, 1, &found) != 0)
		return MOD_EINVAL;
	f->limit = (int) limit;
	return 0;
}

static void
api_audit_list(struct api_ctx *c)
{
	struct audit_filter f;
	json_t             *rows = NULL;
	int64_t             next = 0;
	int                 rv;

	if (api_audit_filter(c, &f) != 0)
		return;
	if ((rv = audit_list(c->db, &f, &rows, &next)) != 0) {
		api_error_rv(c, rv, "could not read the audit trail");
		return;
	}
	api_reply(c, 200,
	    json_pack("{s:o, s:o}", "rows", rows, "next_cursor",
	        api_json_cursor(next != 0, &next, 1)));
}

static void
api_audit_verify(struct api_ctx *c)
{
	int64_t bad = 0, rows = 0;
	int     rv = audit_verify(c->db, &bad, &rows);

	if (rv == 0)
		api_reply(
		    c, 200, json_pack("{s:b, s:I}", "ok", 1, "rows", rows));
	else if (rv == MOD_EINVAL)
		api_reply(c, 200,
		    json_pack("{s:b, s:I, s:I}", "ok", 0, "rows", rows,
		        "first_bad_id", bad));
	else
		api_error_rv(c, rv, "could not verify the audit trail");
}

/* api_audit_export_req: the export's query parameters; 0 or MOD_EINVAL
 * (answered).  ?after=ID asks for one page of the rows after ID. */
static int
api_audit_export_req(struct api_ctx *c, struct audit_export_req *rq)
{
	const char *format = "jsonl";
	int64_t     after = -1;

	memset(rq, 0, sizeof(*rq));
	if (api_audit_range(c, &rq->since_ms, &rq->until_ms) != 0
	    || api_query_str(c, "format", 8, &format) != 0
	    || api_query_int(c, "after", 0, INT64_MAX, &after) != 0)
		return MOD_EINVAL;
	if (strcmp(format, "csv") != 0 && strcmp(format, "jsonl") != 0) {
		api_error(c, 400, "bad_request",
		    "query parameter format: jsonl or csv");
		return MOD_EINVAL;
	}
	rq->fmt = strcmp(format, "csv") == 0 ? AUDIT_FMT_CSV : AUDIT_FMT_JSONL;
	rq->page = after >= 0;
	rq->after_id = rq->page ? after : 0;
	return 0;
}

static void
api_audit_export(struct api_ctx *c)
{
	struct audit_export_req rq;
	struct buf              b;
	int                     rv;

	if (api_audit_export_req(c, &rq) != 0)
		return;
	buf_init(&b,
	    rq.page ? MOD_MAX_AUDIT_PAGE_BYTES : MOD_MAX_AUDIT_EXPORT_BYTES);
	rv = audit_export(c->db, &rq, &b);
	if (rv == MOD_ETOOBIG)
		api_error(c, 413, "too_large",
		    "the export is over %d MiB: narrow it with since and "
		    "until, or page it with after",
		    API_AUDIT_MIB(MOD_MAX_AUDIT_EXPORT_BYTES));
	else if (rv != 0)
		api_error_rv(c, rv, "could not export the audit trail");
	else
		api_reply_raw(c, 200,
		    rq.fmt == AUDIT_FMT_CSV ? "text/csv; charset=utf-8"
		                            : "application/x-ndjson",
		    b.data != NULL ? b.data : "", b.len);
	buf_free(&b);
}

const struct api_route api_audit_routes[] = {
	{ "GET", "/v1/audit", API_ROLE_TRIAGE, 0, NULL, api_audit_list },
	{ "GET", "/v1/audit/verify", API_ROLE_TRIAGE, 0, NULL,
	    api_audit_verify },
	{ "GET", "/v1/audit/export", API_ROLE_TRIAGE, 0, NULL,
	    api_audit_export },
};
const size_t api_audit_nroutes = nitems(api_audit_routes);
