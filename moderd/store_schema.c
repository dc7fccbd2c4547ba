/*
 * store_schema.c - the database schema as numbered migrations.
 *
 * schema_migrations[i] lists the statements that take the schema from
 * version i to i + 1; the versions applied are rows of schema_version.
 * store_schema_apply() runs every missing migration in ONE transaction
 * that first takes a transaction-level advisory lock, so two moderd
 * processes starting together serialise and each migration runs once; a
 * failure leaves the database as it was.  A database whose version is
 * newer than this binary's is refused untouched.
 *
 * Version 1 holds the queue: proposals (with the partial unique index the
 * merge relies on and the index the priority listing reads), deliveries
 * (dedup keys), dead_letters, the append-only hash-chained audit trail
 * (audit, its single-row audit_head, and a trigger refusing UPDATE,
 * DELETE and TRUNCATE), users and tokens, and the SQL functions the
 * statements in queue.c and audit.c call (priority, audit row hash).
 *
 * Rules for migrations: never edit a released one, only append; one
 * statement per string (statements go through PQexecParams, which takes
 * exactly one); the audit hash's canonical text (audit_row_hash) is part
 * of the trail's format and must never change meaning - a new format gets
 * a new version tag inside the text.
 */
#include <stdint.h>
#include <stdio.h>

#include "log.h"
#include "store.h"
#include "util.h"

static const char SQL_SET_LOCAL_TIMEOUT[]
    = "SELECT set_config('statement_timeout', '0', true)";
static const char SQL_LOCK_SCHEMA[]
    = "SELECT pg_advisory_xact_lock($1::bigint)";
static const char SQL_CREATE_SCHEMA_VERSION[]
    = "CREATE TABLE IF NOT EXISTS schema_version ("
      " version integer PRIMARY KEY,"
      " applied_at timestamptz NOT NULL DEFAULT now())";
static const char SQL_SELECT_SCHEMA_TABLE[]
    = "SELECT to_regclass('schema_version') IS NOT NULL";
static const char SQL_SELECT_SCHEMA_VERSION[]
    = "SELECT coalesce(max(version), 0) FROM schema_version";
static const char SQL_INSERT_SCHEMA_VERSION[]
    = "INSERT INTO schema_version (version) VALUES ($1::integer)";

/* Advisory lock key: "moderd" in ASCII, as a bigint. */
#define SCHEMA_LOCK_KEY "111542701630052"

static const char *const schema_v1[] = {
	/* Proposals: one row per (target, action) while pending. */
	"CREATE TABLE proposals ("
	" id bigserial PRIMARY KEY,"
	" state text NOT NULL DEFAULT 'pending' CHECK (state IN"
	"  ('pending', 'approved', 'rejected', 'applied', 'failed')),"
	" target_type text NOT NULL CHECK (target_type IN"
	"  ('status', 'account', 'report', 'domain')),"
	" target_id text NOT NULL,"
	" target_account_id text,"
	" target_acct text,"
	" action text NOT NULL CHECK (action IN"
	"  ('none', 'flag', 'sensitive', 'delete', 'silence', 'suspend')),"
	" score double precision NOT NULL DEFAULT 0,"
	" priority integer NOT NULL DEFAULT 0,"
	" count integer NOT NULL DEFAULT 1 CHECK (count >= 1),"
	" rules text[] NOT NULL DEFAULT '{}',"
	" groups text[] NOT NULL DEFAULT '{}',"
	" evidence jsonb NOT NULL DEFAULT '[]'"
	"  CHECK (jsonb_typeof(evidence) = 'array'),"
	" report_category text,"
	" source text NOT NULL DEFAULT 'rules'"
	"  CHECK (source IN ('rules', 'feed', 'manual')),"
	" created_at timestamptz NOT NULL DEFAULT now(),"
	" updated_at timestamptz NOT NULL DEFAULT now(),"
	" decided_at timestamptz,"
	" decided_by text,"
	" applied_at timestamptz,"
	" error text)",
	"CREATE UNIQUE INDEX proposals_pending_target"
	" ON proposals (target_type, target_id, action)"
	" WHERE state = 'pending'",
	"CREATE INDEX proposals_pending_priority"
	" ON proposals (priority DESC, created_at, id)"
	" WHERE state = 'pending'",
	"CREATE INDEX proposals_pending_report_account"
	" ON proposals (target_account_id)"
	" WHERE state = 'pending' AND target_type = 'report'",
	"CREATE INDEX proposals_state ON proposals (state)",
	/* Deliveries already handled, by dedup key. */
	"CREATE TABLE deliveries ("
	" dedup_key text PRIMARY KEY,"
	" event_kind text NOT NULL,"
	" object_id text NOT NULL,"
	" intake text,"
	" received_at timestamptz NOT NULL DEFAULT now())",
	"CREATE INDEX deliveries_received_at ON deliveries (received_at)",
	/* Rejected events, payload capped by the writer. */
	"CREATE TABLE dead_letters ("
	" id bigserial PRIMARY KEY,"
	" at timestamptz NOT NULL DEFAULT now(),"
	" source text NOT NULL,"
	" reason text NOT NULL,"
	" payload bytea NOT NULL,"
	" payload_bytes bigint NOT NULL)",
	/* Priority of a queue item (see queue.h). */
	"CREATE FUNCTION queue_priority(target_type text, action text,"
	" category text, score double precision, n integer, others bigint)"
	" RETURNS integer LANGUAGE sql IMMUTABLE AS $$"
	" SELECT CASE WHEN target_type = 'report' THEN"
	"  (CASE category WHEN 'legal' THEN 40 WHEN 'violation' THEN 30"
	"   WHEN 'spam' THEN 20 ELSE 10 END)"
	"  + least(50, 10 * others)::integer"
	" ELSE"
	"  (CASE action WHEN 'suspend' THEN 40 WHEN 'silence' THEN 30"
	"   WHEN 'delete' THEN 30 WHEN 'sensitive' THEN 20"
	"   WHEN 'flag' THEN 10 ELSE 0 END)"
	"  + least(50, 10 * (n - 1))"
	" END"
	" + greatest(0, least(50, round((score * 5)::numeric)))::integer $$",
	/* The audit trail: append-only, each row chained to the previous. */
	"CREATE TABLE audit ("
	" id bigserial PRIMARY KEY,"
	" at timestamptz NOT NULL,"
	" actor text NOT NULL,"
	" action text NOT NULL,"
	" target_type text,"
	" target_id text,"
	" proposal_id bigint,"
	" reason text,"
	" evidence_ref text,"
	" revision text,"
	" prev_hash text NOT NULL,"
	" hash text NOT NULL)",
	"CREATE INDEX audit_proposal ON audit (proposal_id)"
	" WHERE proposal_id IS NOT NULL",
	"CREATE INDEX audit_at ON audit (at)",
	"CREATE TABLE audit_head ("
	" one boolean PRIMARY KEY DEFAULT true CHECK (one),"
	" last_id bigint NOT NULL DEFAULT 0,"
	" hash text NOT NULL)",
	"INSERT INTO audit_head (one, last_id, hash)"
	" VALUES (true, 0, repeat('0', 64))",
	/* Canonical text of one field: ~ for NULL, else BYTES:VALUE. */
	"CREATE FUNCTION audit_field(v text) RETURNS text"
	" LANGUAGE sql STABLE AS $$"
	" SELECT CASE WHEN v IS NULL THEN '~'"
	"  ELSE octet_length(convert_to(v, 'UTF8'))::text || ':' || v END $$",
	/* hash = sha256(prev_hash "|moderd-audit-1|" id "|" at "|" ...). */
	"CREATE FUNCTION audit_row_hash(p_prev text, p_id bigint,"
	" p_at timestamptz, p_actor text, p_action text, p_target_type text,"
	" p_target_id text, p_proposal_id bigint, p_reason text,"
	" p_evidence_ref text, p_revision text)"
	" RETURNS text LANGUAGE sql STABLE AS $$"
	" SELECT encode(sha256(convert_to(p_prev || '|moderd-audit-1|'"
	"  || p_id::text || '|'"
	"  || to_char(p_at AT TIME ZONE 'UTC',"
	"   'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') || '|'"
	"  || audit_field(p_actor) || '|' || audit_field(p_action) || '|'"
	"  || audit_field(p_target_type) || '|' || audit_field(p_target_id)"
	"  || '|' || coalesce(p_proposal_id::text, '~') || '|'"
	"  || audit_field(p_reason) || '|' || audit_field(p_evidence_ref)"
	"  || '|' || audit_field(p_revision), 'UTF8')), 'hex') $$",
	"CREATE FUNCTION audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$"
	" BEGIN"
	"  RAISE EXCEPTION 'the audit trail is append-only: % on % refused',"
	"   TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';"
	" END $$",
	"CREATE TRIGGER audit_append_only"
	" BEFORE UPDATE OR DELETE OR TRUNCATE ON audit"
	" FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse()",
	"CREATE TRIGGER audit_head_kept"
	" BEFORE DELETE OR TRUNCATE ON audit_head"
	" FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse()",
	/* Users of the API and their tokens (SHA-256 hex only). */
	"CREATE TABLE users ("
	" id bigserial PRIMARY KEY,"
	" name text NOT NULL UNIQUE,"
	" role text NOT NULL CHECK (role IN ('admin', 'moderator', 'triage')),"
	" created_at timestamptz NOT NULL DEFAULT now(),"
	" disabled_at timestamptz)",
	"CREATE TABLE tokens ("
	" id bigserial PRIMARY KEY,"
	" user_id bigint NOT NULL REFERENCES users (id),"
	" token_sha256 text NOT NULL UNIQUE"
	"  CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),"
	" created_at timestamptz NOT NULL DEFAULT now(),"
	" expires_at timestamptz,"
	" revoked_at timestamptz,"
	" last_used_at timestamptz)",
	NULL
};

/*
 * Version 2: moderators at work and blocklist feeds.
 * - proposals gain the fields a moderator edits (domain block flags and
 *   comments), assignment, the proposer of a manual proposal, the number
 *   of approvals needed, feed provenance and the reason of a rejection;
 *   actions gain noop (a domain block with only reject flags) and
 *   unblock (retract a domain block);
 * - evidence: one row per frozen snapshot (append-only; the writer no
 *   longer rewrites a jsonb array per merge);
 * - approvals and comments of queue items;
 * - dispatches: one external effect of a decided item (a Mastodon admin
 *   API call), claimed with FOR UPDATE SKIP LOCKED under a lease;
 * - blocks: the server's domain blocks as moderd knows them, and
 *   block_changes, the change feed we publish (cursor = id);
 * - feeds: state per subscribed feed (fetch validators, last good body);
 *   feed_rejections: rejected feed changes, not proposed again until
 *   their sources change; changesets: held feed change sets;
 *   known_domains: peers, for resolving obfuscated entries by digest.
 */
static const char *const schema_v2[] = {
	"ALTER TABLE proposals DROP CONSTRAINT proposals_action_check",
	"ALTER TABLE proposals ADD CONSTRAINT proposals_action_check"
	" CHECK (action IN ('none', 'flag', 'sensitive', 'delete', 'silence',"
	"  'suspend', 'noop', 'unblock'))",
	"ALTER TABLE proposals"
	" ADD COLUMN reject_media boolean NOT NULL DEFAULT false,"
	" ADD COLUMN reject_reports boolean NOT NULL DEFAULT false,"
	" ADD COLUMN obfuscate boolean NOT NULL DEFAULT false,"
	" ADD COLUMN public_comment text,"
	" ADD COLUMN private_comment text,"
	" ADD COLUMN assignee text,"
	" ADD COLUMN proposer text,"
	" ADD COLUMN approvals_needed integer NOT NULL DEFAULT 1"
	"  CHECK (approvals_needed BETWEEN 1 AND 2),"
	" ADD COLUMN feeds text[] NOT NULL DEFAULT '{}',"
	" ADD COLUMN changeset_id bigint,"
	" ADD COLUMN fingerprint text,"
	" ADD COLUMN reject_reason text",
	"CREATE INDEX proposals_state_priority"
	" ON proposals (state, priority DESC, id)",
	"CREATE INDEX proposals_account ON proposals (target_account_id)"
	" WHERE target_account_id IS NOT NULL",
	"CREATE INDEX proposals_rules ON proposals USING gin (rules)",
	"CREATE INDEX proposals_feeds ON proposals USING gin (feeds)",
	"CREATE TABLE evidence ("
	" id bigserial PRIMARY KEY,"
	" proposal_id bigint NOT NULL REFERENCES proposals (id),"
	" at timestamptz NOT NULL DEFAULT now(),"
	" snapshot jsonb NOT NULL CHECK (jsonb_typeof(snapshot) = 'object'))",
	"CREATE INDEX evidence_proposal ON evidence (proposal_id, id)",
	"INSERT INTO evidence (proposal_id, at, snapshot)"
	" SELECT p.id, p.updated_at, e.v FROM proposals p,"
	" jsonb_array_elements(p.evidence) AS e(v)"
	" WHERE jsonb_typeof(e.v) = 'object'",
	"CREATE TABLE approvals ("
	" proposal_id bigint NOT NULL REFERENCES proposals (id),"
	" user_name text NOT NULL,"
	" at timestamptz NOT NULL DEFAULT now(),"
	" comment text,"
	" PRIMARY KEY (proposal_id, user_name))",
	"CREATE TABLE comments ("
	" id bigserial PRIMARY KEY,"
	" proposal_id bigint NOT NULL REFERENCES proposals (id),"
	" user_name text NOT NULL,"
	" at timestamptz NOT NULL DEFAULT now(),"
	" body text NOT NULL)",
	"CREATE INDEX comments_proposal ON comments (proposal_id, id)",
	"CREATE TABLE dispatches ("
	" id bigserial PRIMARY KEY,"
	" proposal_id bigint NOT NULL REFERENCES proposals (id),"
	" kind text NOT NULL,"
	" request jsonb NOT NULL,"
	" state text NOT NULL DEFAULT 'queued' CHECK (state IN"
	"  ('queued', 'running', 'applied', 'failed')),"
	" attempts integer NOT NULL DEFAULT 0,"
	" next_at timestamptz NOT NULL DEFAULT now(),"
	" claimed_by text,"
	" lease_until timestamptz,"
	" result text,"
	" error text,"
	" created_at timestamptz NOT NULL DEFAULT now(),"
	" done_at timestamptz,"
	" UNIQUE (proposal_id, kind))",
	"CREATE INDEX dispatches_due ON dispatches (next_at, id)"
	" WHERE state IN ('queued', 'running')",
	"CREATE TABLE blocks ("
	" domain text PRIMARY KEY,"
	" severity text NOT NULL CHECK (severity IN"
	"  ('noop', 'silence', 'suspend')),"
	" reject_media boolean NOT NULL DEFAULT false,"
	" reject_reports boolean NOT NULL DEFAULT false,"
	" public_comment text,"
	" private_comment text,"
	" obfuscate boolean NOT NULL DEFAULT false,"
	" created_by_moderd boolean NOT NULL DEFAULT true,"
	" feeds text,"
	" proposal_id bigint,"
	" mastodon_id text,"
	" created_at timestamptz NOT NULL DEFAULT now(),"
	" updated_at timestamptz NOT NULL DEFAULT now())",
	"CREATE TABLE block_changes ("
	" id bigserial PRIMARY KEY,"
	" at timestamptz NOT NULL DEFAULT now(),"
	" kind text NOT NULL CHECK (kind IN ('add', 'change', 'retract')),"
	" domain text NOT NULL,"
	" severity text NOT NULL,"
	" reject_media boolean NOT NULL DEFAULT false,"
	" reject_reports boolean NOT NULL DEFAULT false,"
	" public_comment text,"
	" obfuscate boolean NOT NULL DEFAULT false,"
	" proposal_id bigint)",
	"CREATE TABLE feeds ("
	" name text PRIMARY KEY,"
	" url text NOT NULL,"
	" last_attempt_at timestamptz,"
	" last_success_at timestamptz,"
	" last_error text,"
	" etag text,"
	" last_modified text,"
	" content_sha256 text,"
	" revision text,"
	" entries integer NOT NULL DEFAULT 0,"
	" body bytea)",
	"CREATE TABLE feed_rejections ("
	" domain text NOT NULL,"
	" kind text NOT NULL,"
	" fingerprint text NOT NULL,"
	" at timestamptz NOT NULL DEFAULT now(),"
	" PRIMARY KEY (domain, kind, fingerprint))",
	"CREATE TABLE changesets ("
	" id bigserial PRIMARY KEY,"
	" state text NOT NULL DEFAULT 'held' CHECK (state IN"
	"  ('held', 'approved', 'rejected')),"
	" created_at timestamptz NOT NULL DEFAULT now(),"
	" nadd integer NOT NULL DEFAULT 0,"
	" nchange integer NOT NULL DEFAULT 0,"
	" nretract integer NOT NULL DEFAULT 0,"
	" revision text,"
	" reason text,"
	" decided_by text,"
	" decided_at timestamptz)",
	"CREATE TABLE known_domains ("
	" domain text PRIMARY KEY,"
	" added_at timestamptz NOT NULL DEFAULT now())",
	NULL
};

/*
 * Version 3: a cheap queue listing and a one-statement approval.
 * - proposal_counts: proposals per state, kept by triggers on proposals
 *   (insert, delete, a change of state, truncate), so the listing's
 *   unfiltered counts read five rows instead of counting the queue.
 *   Every writer of proposals holds the audit lock (audit.h), so the
 *   five hot rows add no contention and no lock-order cycle;
 * - proposals_changeset: the items of a change set, to leave out those
 *   of held ones from the counts;
 * - audit_cut and audit_append_row: appending one audit row (hash, head
 *   update, text cut), the one definition audit_append() and
 *   queue_approve() call (the intake writer inlines the same steps in its
 *   per-record statement, queue.c, to stay one planned statement);
 * - queue_approve: lock, check and record one approval (queue_decide.c
 *   says what it checks); it changes nothing unless the approval is
 *   given, so a refusal needs no rollback.
 */
static const char *const schema_v3[] = {
	/* One row per state: the counts of an unfiltered queue listing. */
	"CREATE TABLE proposal_counts ("
	" state text PRIMARY KEY,"
	" n bigint NOT NULL DEFAULT 0)",
	"INSERT INTO proposal_counts (state, n)"
	" SELECT s, (SELECT count(*) FROM proposals p WHERE p.state = s)"
	" FROM unnest(ARRAY['pending', 'approved', 'rejected', 'applied',"
	"  'failed']) AS s",
	"CREATE FUNCTION proposal_counts_row() RETURNS trigger"
	" LANGUAGE plpgsql AS $$"
	" BEGIN"
	"  IF TG_OP <> 'INSERT' THEN"
	"   UPDATE proposal_counts SET n = n - 1 WHERE state = OLD.state;"
	"  END IF;"
	"  IF TG_OP <> 'DELETE' THEN"
	"   UPDATE proposal_counts SET n = n + 1 WHERE state = NEW.state;"
	"  END IF;"
	"  RETURN NULL;"
	" END $$",
	"CREATE FUNCTION proposal_counts_truncate() RETURNS trigger"
	" LANGUAGE plpgsql AS $$"
	" BEGIN UPDATE proposal_counts SET n = 0; RETURN NULL; END $$",
	"CREATE TRIGGER proposals_counted AFTER INSERT OR DELETE ON proposals"
	" FOR EACH ROW EXECUTE FUNCTION proposal_counts_row()",
	"CREATE TRIGGER proposals_counted_state"
	" AFTER UPDATE OF state ON proposals FOR EACH ROW"
	" WHEN (OLD.state IS DISTINCT FROM NEW.state)"
	" EXECUTE FUNCTION proposal_counts_row()",
	"CREATE TRIGGER proposals_counted_truncate AFTER TRUNCATE ON proposals"
	" FOR EACH STATEMENT EXECUTE FUNCTION proposal_counts_truncate()",
	"CREATE INDEX proposals_changeset ON proposals (changeset_id)"
	" WHERE changeset_id IS NOT NULL",
	/* s cut to at most max bytes on a character boundary. */
	"CREATE FUNCTION audit_cut(s text, max integer) RETURNS text"
	" LANGUAGE plpgsql IMMUTABLE AS $$"
	" BEGIN"
	"  IF s IS NULL OR octet_length(s) <= max THEN RETURN s; END IF;"
	"  s := left(s, max);"
	"  WHILE octet_length(s) > max LOOP"
	"   s := left(s, -greatest(1, (octet_length(s) - max) / 4));"
	"  END LOOP;"
	"  RETURN s;"
	" END $$",
	"CREATE FUNCTION audit_append_row(p_actor text, p_action text,"
	" p_target_type text, p_target_id text, p_proposal_id bigint,"
	" p_reason text, p_evidence_ref text, p_revision text, p_max integer)"
	" RETURNS bigint LANGUAGE sql AS $$"
	" WITH h AS (SELECT hash FROM audit_head WHERE one FOR UPDATE),"
	" v AS (SELECT audit_cut(p_actor, p_max) AS actor,"
	"  audit_cut(p_action, p_max) AS action,"
	"  audit_cut(p_target_type, p_max) AS target_type,"
	"  audit_cut(p_target_id, p_max) AS target_id,"
	"  audit_cut(p_reason, p_max) AS reason,"
	"  audit_cut(p_evidence_ref, p_max) AS evidence_ref,"
	"  audit_cut(p_revision, p_max) AS revision),"
	" r AS (SELECT nextval('audit_id_seq') AS id,"
	"  clock_timestamp() AS at, h.hash AS prev FROM h),"
	" ins AS (INSERT INTO audit (id, at, actor, action, target_type,"
	"  target_id, proposal_id, reason, evidence_ref, revision,"
	"  prev_hash, hash)"
	"  SELECT r.id, r.at, v.actor, v.action, v.target_type, v.target_id,"
	"   p_proposal_id, v.reason, v.evidence_ref, v.revision, r.prev,"
	"   audit_row_hash(r.prev, r.id, r.at, v.actor, v.action,"
	"    v.target_type, v.target_id, p_proposal_id, v.reason,"
	"    v.evidence_ref, v.revision)"
	"  FROM r, v RETURNING id, hash)"
	" UPDATE audit_head SET last_id = ins.id, hash = ins.hash FROM ins"
	" WHERE audit_head.one RETURNING ins.id $$",
	/* One approval of item p_id by p_actor; p_two: the actions that
	 * need two.  'ok' (approved), 'partial', or a refusal: 'enoent',
	 * 'state:STATE', 'proposer', 'again'. */
	"CREATE FUNCTION queue_approve(p_id bigint, p_actor text,"
	" p_comment text, p_two text[], p_max integer)"
	" RETURNS text LANGUAGE plpgsql AS $$"
	" DECLARE"
	"  r record;"
	"  v_n bigint;"
	"  v_need integer;"
	" BEGIN"
	"  PERFORM 1 FROM audit_head WHERE one FOR UPDATE;"
	"  SELECT p.state, p.action, p.target_type, p.target_id, p.proposer"
	"   INTO r FROM proposals p WHERE p.id = p_id FOR UPDATE;"
	"  IF NOT FOUND THEN RETURN 'enoent'; END IF;"
	"  IF r.state <> 'pending' THEN RETURN 'state:' || r.state; END IF;"
	"  IF r.proposer = p_actor THEN RETURN 'proposer'; END IF;"
	"  IF EXISTS (SELECT 1 FROM approvals a WHERE a.proposal_id = p_id"
	"   AND a.user_name = p_actor) THEN RETURN 'again'; END IF;"
	"  v_need := CASE WHEN r.action = ANY (p_two) THEN 2 ELSE 1 END;"
	"  INSERT INTO approvals (proposal_id, user_name, comment)"
	"   VALUES (p_id, p_actor, p_comment);"
	"  SELECT count(*) INTO v_n FROM approvals a"
	"   WHERE a.proposal_id = p_id;"
	"  IF v_n < v_need THEN"
	"   UPDATE proposals SET approvals_needed = v_need,"
	"    updated_at = now() WHERE id = p_id;"
	"   PERFORM audit_append_row(p_actor, 'approve.partial',"
	"    r.target_type, r.target_id, p_id, v_n || ' of ' || v_need"
	"    || coalesce(': ' || p_comment, ''), NULL, NULL, p_max);"
	"   RETURN 'partial';"
	"  END IF;"
	"  UPDATE proposals SET state = 'approved', approvals_needed = v_need,"
	"   decided_at = now(), decided_by = p_actor, updated_at = now()"
	"   WHERE id = p_id;"
	"  PERFORM pg_notify('moderd_dispatch', p_id::text);"
	"  PERFORM audit_append_row(p_actor, 'approve', r.target_type,"
	"   r.target_id, p_id, p_comment, NULL, NULL, p_max);"
	"  RETURN 'ok';"
	" END $$",
	NULL
};

/*
 * Version 4: a cheaper audit append.
 * - audit_append_row becomes PL/pgSQL with the same signature and the
 *   same row: a SQL function whose body holds a data-modifying CTE is
 *   never inlined, so PostgreSQL parsed and planned it on every call,
 *   and audit_field() under it (its argument an audit_cut() call, too
 *   costly to inline) once per field; that was most of an approval's
 *   server time.  Here every statement's plan is cached per session,
 *   and audit_row_hash() - unchanged, the trail's format - is called on
 *   plain variables, so it is inlined with its audit_field() calls.
 *   As before it locks the head, takes the next id and clock_timestamp(),
 *   hashes, inserts and moves the head; NULL if there is no head row.
 */
static const char *const schema_v4[]
    = { "CREATE OR REPLACE FUNCTION audit_append_row(p_actor text,"
	" p_action text, p_target_type text, p_target_id text,"
	" p_proposal_id bigint, p_reason text, p_evidence_ref text,"
	" p_revision text, p_max integer)"
	" RETURNS bigint LANGUAGE plpgsql AS $$"
	" DECLARE"
	"  v_prev text;"
	"  v_id bigint;"
	"  v_at timestamptz;"
	"  v_hash text;"
	"  v_actor text := audit_cut(p_actor, p_max);"
	"  v_action text := audit_cut(p_action, p_max);"
	"  v_target_type text := audit_cut(p_target_type, p_max);"
	"  v_target_id text := audit_cut(p_target_id, p_max);"
	"  v_reason text := audit_cut(p_reason, p_max);"
	"  v_evidence_ref text := audit_cut(p_evidence_ref, p_max);"
	"  v_revision text := audit_cut(p_revision, p_max);"
	" BEGIN"
	"  SELECT h.hash INTO v_prev FROM audit_head h WHERE h.one FOR UPDATE;"
	"  IF NOT FOUND THEN RETURN NULL; END IF;"
	"  v_id := nextval('audit_id_seq');"
	"  v_at := clock_timestamp();"
	"  v_hash := audit_row_hash(v_prev, v_id, v_at, v_actor, v_action,"
	"   v_target_type, v_target_id, p_proposal_id, v_reason,"
	"   v_evidence_ref, v_revision);"
	"  INSERT INTO audit (id, at, actor, action, target_type, target_id,"
	"   proposal_id, reason, evidence_ref, revision, prev_hash, hash)"
	"   VALUES (v_id, v_at, v_actor, v_action, v_target_type, v_target_id,"
	"   p_proposal_id, v_reason, v_evidence_ref, v_revision, v_prev,"
	"   v_hash);"
	"  UPDATE audit_head SET last_id = v_id, hash = v_hash WHERE one;"
	"  RETURN v_id;"
	" END $$",
	      NULL };

/*
 * Version 5: proposals are updated in place.  Every merge of an event
 * into a pending proposal updates its row; once the priority stops
 * moving (its count term saturates at 6 merges) nothing indexed changes,
 * and with room left on the page PostgreSQL updates the row in place
 * (HOT: no new entries in the table's nine indexes, dead versions pruned
 * on the page).  With the default fill factor pages are full and every
 * merge wrote nine index entries, a cost that grew with the table.
 * Autovacuum visits the proposals table after 2% of it changed rather
 * than 20%.
 */
static const char *const schema_v5[]
    = { "ALTER TABLE proposals SET (fillfactor = 70,"
	" autovacuum_vacuum_scale_factor = 0.02,"
	" autovacuum_analyze_scale_factor = 0.02)",
	      NULL };

/* Retention (queue_prune.c) deletes the oldest dead letters: by an index
 * on `at`, not a scan of every newer row, which after a wave of bad
 * input could outlast the statement timeout every time. */
static const char *const schema_v6[]
    = { "CREATE INDEX dead_letters_at ON dead_letters (at)", NULL };

static const char *const *const schema_migrations[]
    = { schema_v1, schema_v2, schema_v3, schema_v4, schema_v5, schema_v6 };

int
store_schema_latest(void)
{
	return (int) nitems(schema_migrations);
}

/* store_schema_read: version inside the migration transaction. */
static int
store_schema_read(struct store *db, int *version)
{
	char    val[32];
	int64_t v;
	int     rv;

	*version = 0;
	rv = store_query_value(db, "store: schema version",
	    SQL_SELECT_SCHEMA_VERSION, 0, NULL, val, sizeof(val));
	if (rv != 0)
		return MOD_EDB;
	if (mod_strtonum(val, 0, INT32_MAX, &v) != 0)
		return MOD_EDB;
	*version = (int) v;
	return 0;
}

int
store_schema_version(struct store *db, int *version)
{
	char val[16];
	int  rv;

	*version = 0;
	rv = store_query_value(db, "store: schema version",
	    SQL_SELECT_SCHEMA_TABLE, 0, NULL, val, sizeof(val));
	if (rv != 0)
		return MOD_EDB;
	if (val[0] != 't')
		return 0;
	return store_schema_read(db, version);
}

/* store_schema_step: run migration to version `to` and record it. */
static int
store_schema_step(struct store *db, int to)
{
	const char *const *stmt = schema_migrations[to - 1];
	char               v[16];
	const char        *params[1] = { v };

	for (; *stmt != NULL; stmt++)
		if (store_exec(db, "store: migration", *stmt, 0, NULL) != 0)
			return MOD_EDB;
	snprintf(v, sizeof(v), "%d", to);
	return store_exec(
	    db, "store: migration", SQL_INSERT_SCHEMA_VERSION, 1, params);
}

/* store_schema_prepare: lock, make sure schema_version exists, read it. */
static int
store_schema_prepare(struct store *db, int *version)
{
	const char *key[1] = { SCHEMA_LOCK_KEY };
	char        val[8];

	/* Migrations may wait for another process and may be slow: no
	 * statement_timeout inside this one transaction. */
	if (store_query_value(db, "store: schema timeout",
	        SQL_SET_LOCAL_TIMEOUT, 0, NULL, val, sizeof(val))
	    != 0)
		return MOD_EDB;
	if (store_query_value(db, "store: schema lock", SQL_LOCK_SCHEMA, 1,
	        key, val, sizeof(val))
	    == MOD_EDB)
		return MOD_EDB;
	if (store_exec(db, "store: schema version table",
	        SQL_CREATE_SCHEMA_VERSION, 0, NULL)
	    != 0)
		return MOD_EDB;
	return store_schema_read(db, version);
}

int
store_schema_apply(struct store *db, struct mod_err *err)
{
	int cur = 0, latest = store_schema_latest(), v, rv;

	if ((rv = store_begin(db)) != 0)
		goto out;
	if ((rv = store_schema_prepare(db, &cur)) != 0)
		goto out;
	if (cur > latest) {
		rv = mod_errf(err, MOD_EINVAL,
		    "database schema version %d is newer than this moderd "
		    "(version %d); upgrade moderd or use another database",
		    cur, latest);
		goto out;
	}
	for (v = cur + 1; v <= latest; v++)
		if ((rv = store_schema_step(db, v)) != 0)
			goto out;
	if ((rv = store_commit(db)) != 0)
		goto out;
	if (cur < latest)
		log_info("store: schema migrated from version %d to %d", cur,
		    latest);
out:
	if (rv != 0) {
		store_rollback(db);
		if (rv == MOD_EDB)
			mod_errf(err, rv, "could not apply schema migrations");
	}
	return rv;
}
