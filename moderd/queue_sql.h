/*
 * queue_sql.h - SQL fragments and helpers shared by queue_read.c and
 * queue_decide.c (internal: nothing else includes it).
 */
#ifndef MODERD_QUEUE_SQL_H
#define MODERD_QUEUE_SQL_H

#include <stddef.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "store.h"

/* A timestamptz column as "2026-11-22T10:00:00.000Z" (NULL stays NULL). */
#define QR_TIME(col)                                                          \
	"to_char(" col " AT TIME ZONE 'UTC',"                                 \
	" 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* Severity rank of p.action (queue_two_person_rank() in SQL). */
#define QR_RANK                                                               \
	"(CASE p.action WHEN 'sensitive' THEN 1 WHEN 'delete' THEN 2"         \
	" WHEN 'silence' THEN 2 WHEN 'suspend' THEN 3 ELSE 0 END)"

/* doc/api.md's ITEM of proposal p, as jsonb; th is the parameter holding
 * queue_read_threshold().  (QR_TIME(x) is written out as QR_T_x so that
 * the fragment stays a plain concatenation of strings.) */
#define QR_T_A_AT QR_TIME("a.at")
#define QR_T_CREATED QR_TIME("p.created_at")
#define QR_T_UPDATED QR_TIME("p.updated_at")
#define QR_T_DECIDED QR_TIME("p.decided_at")
#define QR_ITEM_APPROVALS                                                     \
	"(SELECT coalesce(jsonb_agg(jsonb_build_object('user', a.user_name,"  \
	" 'at', " QR_T_A_AT ") ORDER BY a.at), '[]')"                         \
	" FROM approvals a WHERE a.proposal_id = p.id)"
#define QR_ITEM_EXCERPT                                                       \
	"(SELECT e.snapshot #>> '{hits,0,excerpt}' FROM evidence e"           \
	" WHERE e.proposal_id = p.id ORDER BY e.id DESC LIMIT 1)"
#define QR_ITEM_DISPATCH                                                      \
	"(SELECT jsonb_build_object('state', d.state, 'attempts', "           \
	"d.attempts,"                                                         \
	" 'error', d.error, 'result', d.result) FROM dispatches d"            \
	" WHERE d.proposal_id = p.id ORDER BY d.id DESC LIMIT 1)"
#define QR_ITEM(th)                                                           \
	"jsonb_build_object('id', p.id, 'state', p.state,"                    \
	" 'target_type', p.target_type, 'target_id', p.target_id,"            \
	" 'target_account_id', p.target_account_id,"                          \
	" 'target_acct', p.target_acct, 'action', p.action,"                  \
	" 'reject_media', p.reject_media,"                                    \
	" 'reject_reports', p.reject_reports, 'obfuscate', p.obfuscate,"      \
	" 'public_comment', p.public_comment,"                                \
	" 'private_comment', p.private_comment, 'score', p.score,"            \
	" 'priority', p.priority, 'count', p.count,"                          \
	" 'evidence_count', (SELECT count(*) FROM evidence e"                 \
	"  WHERE e.proposal_id = p.id),"                                      \
	" 'rules', to_jsonb(p.rules), 'groups', to_jsonb(p.groups),"          \
	" 'feeds', to_jsonb(p.feeds), 'source', p.source,"                    \
	" 'report_category', p.report_category, 'assignee', p.assignee,"      \
	" 'proposer', p.proposer,"                                            \
	" 'approvals_needed', CASE WHEN p.state = 'pending' THEN"             \
	"  CASE WHEN " QR_RANK " >= " th "::integer THEN 2 ELSE 1 END"        \
	"  ELSE p.approvals_needed END,"                                      \
	" 'approvals', " QR_ITEM_APPROVALS ","                                \
	" 'created_at', " QR_T_CREATED ", 'updated_at', " QR_T_UPDATED ","    \
	" 'decided_at', " QR_T_DECIDED ", 'decided_by', p.decided_by,"        \
	" 'reject_reason', p.reject_reason, 'changeset_id', p.changeset_id,"  \
	" 'excerpt', " QR_ITEM_EXCERPT ","                                    \
	" 'dispatch', " QR_ITEM_DISPATCH ")::text"

/* The ITEM of proposal $1 ($2: queue_read_threshold()), one row or none;
 * prepared per connection (queue_read.c reads with it, queue_approve.c
 * sends it after an approval, in the same transaction). */
extern const struct store_stmt queue_read_item_stmt;

/* queue_read_threshold: the QR_ITEM parameter for two_person. */
void queue_read_threshold(int two_person, char *out, size_t outsz);

/* queue_read_json: row r, column col of res parsed (NULL: logged). */
json_t *queue_read_json(const PGresult *res, int r, int col);

/* queue_read_value: *out (caller frees) from the first column of the
 * first row of res (NULL-safe).  0, MOD_ENOENT (no row, or NULL) or
 * MOD_EDB (not JSON: logged). */
int queue_read_value(const PGresult *res, json_t **out) MOD_MUSTCHECK;

#endif /* MODERD_QUEUE_SQL_H */
