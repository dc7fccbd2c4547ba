/*
 * feed_merge.c - merge several blocklist feeds into one list, by trust.
 *
 * Every domain some feed lists becomes a candidate ("node").  Mastodon's
 * rule is that a block covers its subdomains and the longest match wins,
 * so a feed's opinion of sub.example.com is its own longest match: its
 * entry for sub.example.com if it has one, else its entry for
 * example.com.  After all feeds are read, each node therefore inherits a
 * support from every feed that lists one of its parents but not the node
 * itself (the longest such parent per feed).  Then each node is judged on
 * its supporters alone: severities capped per feed, merged with max or
 * min on noop < silence < suspend (flags OR-ed or AND-ed), trust summed
 * once per feed and compared with the quorum.  Excludes win over
 * everything, above and below them.  A blocked node whose longest blocked
 * parent is at least as strict is kept as COVERED: it stays in the result
 * with its provenance, so the diff neither adds it nor retracts a block
 * the server already has for it.
 *
 * Masked names are resolved by digest against the known domains (and the
 * excludes); the rest are grouped by digest and listed as unresolved,
 * never blocked.  Nothing is dropped without being counted in one of the
 * four output lists.
 *
 * Cost, for the 10 x 100k benchmark: memory traffic, not arithmetic.
 * Entries are hashed in batches with their table slots prefetched; each
 * entry of every feed gets one 32-bit mark (its node, or none when a
 * stricter entry of the same feed speaks for that name); inherited
 * supports are first only counted (bit masks), so every node's supports
 * can then be laid out contiguously in the final array and filled in one
 * pass over the feeds in reading order.  From there on a node's supports
 * are read sequentially, and the result points into that array: nothing
 * is copied twice.  Names and comments live in an arena (feed_arena.c),
 * comments interned, looked up by address first since the parser interned
 * them already.  The digests of the known names exist only while the
 * feeds are read.  One sort per output list, on records keyed by the
 * first eight bytes of the name; the names table then becomes the
 * result's index, re-keyed to the pool's copies.  No recursion; the only
 * bound besides memory is MOD_MAX_FEED_SOURCES_COUNT, which lets a node
 * keep its supporting feeds in a 64-bit mask.
 *
 * The domain table (feed_domtab_*) lives here too: an open-addressing
 * hash of borrowed names with a longest-suffix lookup, used by the diff.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "feeds.h"
#include "feed_impl.h"
#include "util.h"

#define MERGE_NONE UINT32_MAX
#define MERGE_RESOLVED (1u << 31) /* in merge.ent: resolved by digest */
#define MERGE_ICACHE 256 /* interned comments remembered by address */
#define MERGE_EXCL_EXACT 1u /* an exclude itself */
#define MERGE_EXCL_ANCESTOR 2u /* a parent of an exclude */
#define MERGE_TAG_SHIFT 30 /* index values: list << 30 | position */
#define MERGE_TAG_MASK ((1u << MERGE_TAG_SHIFT) - 1)

/* ---- domain tables ---- */

struct feed_domtab_slot {
	const char *key; /* NULL: empty */
	uint32_t    hash;
	uint32_t    value;
};

struct feed_domtab {
	struct feed_domtab_slot *slots;
	size_t                   mask; /* slots - 1, a power of two - 1 */
	size_t                   n;
};

/* Eight bytes at a time, multiply-xorshift mixed, then a final
 * avalanche so the low bits index well.  Not keyed: table inputs are
 * bounded (feeds are capped), and probing stays correct under any
 * collisions, only slower. */
static uint32_t
domtab_hash(const char *s)
{
	uint64_t h = UINT64_C(0x9e3779b97f4a7c15), w;
	size_t   n = strlen(s);

	h ^= n;
	for (; n >= 8; n -= 8, s += 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * UINT64_C(0xbf58476d1ce4e5b9);
		h ^= h >> 31;
	}
	w = 0;
	memcpy(&w, s, n);
	h = (h ^ w) * UINT64_C(0x94d049bb133111eb);
	h ^= h >> 29;
	h *= UINT64_C(0xbf58476d1ce4e5b9);
	h ^= h >> 32;
	return (uint32_t) h;
}

struct feed_domtab *
feed_domtab_new(size_t hint)
{
	struct feed_domtab *t = xcalloc(1, sizeof(*t));
	size_t              cap = 16;

	while (cap / 2 < hint)
		cap *= 2;
	t->slots = xcalloc(cap, sizeof(*t->slots));
	t->mask = cap - 1;
	return t;
}

static struct feed_domtab_slot *
domtab_slot(const struct feed_domtab *t, const char *key, uint32_t h)
{
	size_t i = h & t->mask;

	for (;;) {
		struct feed_domtab_slot *s = &t->slots[i];

		if (s->key == NULL
		    || (s->hash == h && strcmp(s->key, key) == 0))
			return s;
		i = (i + 1) & t->mask;
	}
}

static void
domtab_grow(struct feed_domtab *t)
{
	struct feed_domtab_slot *old = t->slots;
	size_t                   i, oldcap = t->mask + 1;

	t->slots = xcalloc(oldcap * 2, sizeof(*t->slots));
	t->mask = oldcap * 2 - 1;
	for (i = 0; i < oldcap; i++)
		if (old[i].key != NULL)
			*domtab_slot(t, old[i].key, old[i].hash) = old[i];
	free(old);
}

static void
domtab_prefetch(const struct feed_domtab *t, uint32_t h)
{
	__builtin_prefetch(&t->slots[h & t->mask]);
}

static bool
domtab_put_h(struct feed_domtab *t, const char *domain, uint32_t h,
    uint32_t value, uint32_t *old)
{
	struct feed_domtab_slot *s;

	if ((t->n + 1) * 2 > t->mask + 1)
		domtab_grow(t);
	s = domtab_slot(t, domain, h);
	if (s->key != NULL) {
		if (old != NULL)
			*old = s->value;
		return false;
	}
	s->key = domain;
	s->hash = h;
	s->value = value;
	t->n++;
	return true;
}

bool
feed_domtab_put(
    struct feed_domtab *t, const char *domain, uint32_t value, uint32_t *old)
{
	return domtab_put_h(t, domain, domtab_hash(domain), value, old);
}

bool
feed_domtab_get(
    const struct feed_domtab *t, const char *domain, uint32_t *value)
{
	const struct feed_domtab_slot *s;

	s = domtab_slot(t, domain, domtab_hash(domain));
	if (s->key == NULL)
		return false;
	if (value != NULL)
		*value = s->value;
	return true;
}

bool
feed_domtab_match(const struct feed_domtab *t, const char *domain,
    bool parents_only, uint32_t *value, const char **matched)
{
	const char *p = domain;

	if (parents_only && (p = strchr(domain, '.')) != NULL)
		p++;
	while (p != NULL && *p != '\0') {
		if (feed_domtab_get(t, p, value)) {
			if (matched != NULL)
				*matched = p;
			return true;
		}
		if ((p = strchr(p, '.')) != NULL)
			p++;
	}
	return false;
}

size_t
feed_domtab_count(const struct feed_domtab *t)
{
	return t->n;
}

void
feed_domtab_free(struct feed_domtab *t)
{
	if (t == NULL)
		return;
	free(t->slots);
	free(t);
}

bool
feed_stricter_or_equal(enum feed_severity as, bool a_media, bool a_reports,
    enum feed_severity bs, bool b_media, bool b_reports)
{
	if (as == FEED_SEV_SUSPEND)
		return true;
	if (bs == FEED_SEV_SUSPEND)
		return false;
	return as >= bs && (a_media || !b_media) && (a_reports || !b_reports);
}

/* ---- the pool: strings and supports of a result ---- */

struct feed_merge_pool {
	struct feed_arena    arena; /* names and comments */
	struct feed_support *sup; /* every support of every entry */
	struct feed_domtab  *index; /* v, below, excluded by name */
	struct feed_domtab  *excl; /* excludes and their parents */
};

static const char *
pool_strdup(struct feed_merge_pool *p, const char *s)
{
	return feed_arena_strndup(&p->arena, s, strlen(s));
}

static void
pool_free(struct feed_merge_pool *p)
{
	if (p == NULL)
		return;
	feed_arena_free(&p->arena);
	free(p->sup);
	feed_domtab_free(p->index);
	feed_domtab_free(p->excl);
	free(p);
}

/* ---- merge state ---- */

struct merge_node {
	const char *domain; /* borrowed; the masked name if unresolved */
	const char *digest; /* unresolved: borrowed; else NULL */
	const char *copy; /* in the pool */
	const char *comment; /* chosen public comment, in the pool */
	uint64_t    mask; /* feeds with a support, direct or inherited */
	uint64_t    dmask; /* feeds that list it themselves */
	double      trust;
	uint32_t    off; /* its supports: pool->sup[off..off + nfill) */
	uint32_t    ndirect, ninherit, nfill;
	uint32_t    last; /* its newest direct support (merge.ent) */
	uint32_t    outref; /* its value in the result's index */
	uint32_t    covered_by; /* node, or MERGE_NONE */
	enum feed_merge_state state;
	enum feed_severity    severity;
	bool                  reject_media, reject_reports, obfuscate;
};

struct merge_known {
	unsigned char digest[crypto_hash_sha256_BYTES];
	const char   *domain;
};

/* A sort record: the first 8 bytes big-endian, so most compares are one
 * integer compare and never touch the string. */
struct merge_rec {
	uint64_t    key;
	const char *domain;
	const char *tie; /* digest of unresolved nodes, else "" */
	uint32_t    node;
};

struct merge {
	const struct feed_source     *src;
	size_t                        nsrc;
	const struct feed_merge_opts *opts;
	struct merge_node            *nodes;
	size_t                        nnodes;
	uint32_t *ent; /* per entry of every feed: its node (| RESOLVED),
	                * or MERGE_NONE if it gives no support */
	size_t *base; /* index in ent of each feed's first entry */
	struct feed_support *sup; /* = pool->sup, grouped by node */
	size_t               nsup;
	struct feed_domtab  *tab; /* real names to nodes */
	struct feed_domtab  *utab; /* unresolved keys to nodes */
	struct merge_known  *known;
	size_t               nknown;
	uint32_t            *known_slots; /* 1 + index, or 0 */
	size_t               known_mask;
	bool                 known_ready;
	const char         **excl; /* normalised, in the pool */
	size_t               nexcl;
	struct feed_intern   intern; /* comments, in the pool */
	struct {
		const char *in, *out;
	} icache[MERGE_ICACHE]; /* the lists' comments are interned too */
	struct feed_merge_pool *pool;
};

/*
 * One pool copy per distinct comment: feeds repeat a few reasons.  A
 * parsed list's comments are interned already, so most lookups are
 * answered by the string's address alone (the lists do not change
 * during a merge).
 */
static const char *
merge_intern(struct merge *mg, const char *s)
{
	size_t k;

	if (s == NULL)
		return NULL;
	k = (size_t) (((uintptr_t) s * UINT64_C(0x9e3779b97f4a7c15)) >> 32)
	    % MERGE_ICACHE;
	if (mg->icache[k].in != s) {
		mg->icache[k].in = s;
		mg->icache[k].out = feed_intern(&mg->intern, s);
	}
	return mg->icache[k].out;
}

/* ---- checking the arguments ---- */

static int
merge_check_sources(
    const struct feed_source *src, size_t nsrc, struct mod_err *err)
{
	size_t i, j;

	if (nsrc > MOD_MAX_FEED_SOURCES_COUNT)
		return mod_errf(err, MOD_ETOOBIG, "more than %d feeds",
		    MOD_MAX_FEED_SOURCES_COUNT);
	for (i = 0; i < nsrc; i++) {
		if (src[i].name == NULL || src[i].name[0] == '\0'
		    || strchr(src[i].name, ',') != NULL)
			return mod_errf(err, MOD_EINVAL,
			    "feed %zu: name is empty or contains ','", i + 1);
		if (src[i].list == NULL)
			return mod_errf(
			    err, MOD_EINVAL, "feed %s: no list", src[i].name);
		if (!isfinite(src[i].trust) || src[i].trust < 0
		    || src[i].max_severity > FEED_SEV_SUSPEND)
			return mod_errf(err, MOD_EINVAL,
			    "feed %s: bad trust or severity cap", src[i].name);
		for (j = 0; j < i; j++)
			if (strcmp(src[i].name, src[j].name) == 0)
				return mod_errf(err, MOD_EINVAL,
				    "feed %s: listed twice", src[i].name);
	}
	return 0;
}

static int
merge_check_opts(const struct feed_merge_opts *o, struct mod_err *err)
{
	if (!isfinite(o->quorum) || o->quorum < 0)
		return mod_errf(err, MOD_EINVAL, "bad quorum");
	if (o->mode != FEED_MERGE_MAX && o->mode != FEED_MERGE_MIN)
		return mod_errf(err, MOD_EINVAL, "bad merge mode");
	if (o->nexcludes > MOD_MAX_FEED_EXCLUDES_COUNT)
		return mod_errf(err, MOD_ETOOBIG, "more than %d excludes",
		    MOD_MAX_FEED_EXCLUDES_COUNT);
	if ((o->nexcludes && o->excludes == NULL)
	    || (o->nknown && o->known_domains == NULL))
		return mod_errf(err, MOD_EINVAL, "NULL exclude or known list");
	return 0;
}

/* ---- excludes ---- */

static void
merge_excl_mark(struct feed_domtab *t, const char *name, uint32_t bit)
{
	uint32_t                 old;
	struct feed_domtab_slot *s;

	if (feed_domtab_put(t, name, bit, &old))
		return;
	s = domtab_slot(t, name, domtab_hash(name));
	s->value = old | bit;
}

/* Normalise the excludes into the pool and index them and their parents. */
static int
merge_excludes(struct merge *mg, struct mod_err *err)
{
	const struct feed_merge_opts *o = mg->opts;
	char                          buf[MOD_MAX_DOMAIN_BYTES + 1];
	const char                  **names, *p;
	struct mod_err                e = { 0 };
	bool                          masked;
	size_t                        i;
	int                           rv;

	names = xcalloc(o->nexcludes + 1, sizeof(*names));
	mg->excl = names;
	mg->pool->excl = feed_domtab_new(o->nexcludes * 3);
	for (i = 0; i < o->nexcludes; i++) {
		p = o->excludes[i] ? o->excludes[i] : "";
		rv = feed_domain_normalise(
		    p, strlen(p), buf, sizeof(buf), &masked, &e);
		if (rv == 0 && masked)
			rv = mod_errf(&e, MOD_EINVAL, "masked name");
		if (rv != 0)
			return mod_errf(
			    err, rv, "exclude %zu: %s", i + 1, e.msg);
		names[i] = pool_strdup(mg->pool, buf);
		mg->nexcl++;
		merge_excl_mark(mg->pool->excl, names[i], MERGE_EXCL_EXACT);
		for (p = strchr(names[i], '.'); p != NULL;
		     p = strchr(p + 1, '.'))
			merge_excl_mark(
			    mg->pool->excl, p + 1, MERGE_EXCL_ANCESTOR);
	}
	return 0;
}

static bool
merge_excluded(const struct feed_domtab *excl, const char *domain)
{
	const char *p;
	uint32_t    bits;

	if (excl == NULL || feed_domtab_count(excl) == 0)
		return false;
	if (feed_domtab_get(excl, domain, &bits))
		return true;
	for (p = strchr(domain, '.'); p != NULL; p = strchr(p + 1, '.'))
		if (feed_domtab_get(excl, p + 1, &bits)
		    && (bits & MERGE_EXCL_EXACT))
			return true;
	return false;
}

/* ---- digests of known names ---- */

/*
 * A hash of the digests (their first four bytes are hash enough): slots
 * hold 1 + an index into mg->known.  Built on the first masked entry.
 */
static uint32_t
merge_known_slot(const unsigned char *digest)
{
	uint32_t h;

	memcpy(&h, digest, sizeof(h));
	return h;
}

static void
merge_known_add(struct merge *mg, const char *domain)
{
	struct merge_known *k = &mg->known[mg->nknown];
	size_t              i;

	feed_sha256(domain, strlen(domain), k->digest);
	k->domain = domain;
	for (i = merge_known_slot(k->digest) & mg->known_mask;
	     mg->known_slots[i] != 0; i = (i + 1) & mg->known_mask)
		if (memcmp(mg->known[mg->known_slots[i] - 1].digest, k->digest,
		        sizeof(k->digest))
		    == 0)
			return; /* listed twice */
	mg->known_slots[i] = (uint32_t) ++mg->nknown;
}

static void
merge_known_build(struct merge *mg)
{
	const struct feed_merge_opts *o = mg->opts;
	size_t                        i, n = o->nknown + mg->nexcl, cap = 16;

	mg->known_ready = true;
	while (cap < 2 * n)
		cap *= 2;
	mg->known = xcalloc(n + 1, sizeof(*mg->known));
	mg->known_slots = xcalloc(cap, sizeof(*mg->known_slots));
	mg->known_mask = cap - 1;
	for (i = 0; i < mg->nexcl; i++)
		merge_known_add(mg, mg->excl[i]);
	for (i = 0; i < o->nknown; i++)
		if (o->known_domains[i] != NULL)
			merge_known_add(mg, o->known_domains[i]);
}

static void
merge_known_free(struct merge *mg)
{
	free(mg->known);
	free(mg->known_slots);
	mg->known = NULL;
	mg->known_slots = NULL;
}

static const char *
merge_resolve(struct merge *mg, const char *hex)
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	size_t        len, i;
	uint32_t      k;

	if (strlen(hex) != 2 * sizeof(digest)
	    || sodium_hex2bin(
	           digest, sizeof(digest), hex, strlen(hex), NULL, &len, NULL)
	        != 0
	    || len != sizeof(digest))
		return NULL;
	if (!mg->known_ready)
		merge_known_build(mg);
	for (i = merge_known_slot(digest) & mg->known_mask;
	     (k = mg->known_slots[i]) != 0; i = (i + 1) & mg->known_mask)
		if (memcmp(mg->known[k - 1].digest, digest, sizeof(digest))
		    == 0)
			return mg->known[k - 1].domain;
	return NULL;
}

/* ---- collecting direct supports ---- */

static uint32_t
merge_node_get(struct merge *mg, struct feed_domtab *tab, const char *key,
    uint32_t h, const char *domain, const char *digest)
{
	struct merge_node *nd;
	uint32_t           idx = (uint32_t) mg->nnodes, old;

	if (!domtab_put_h(tab, key, h, idx, &old))
		return old;
	nd = &mg->nodes[mg->nnodes++];
	memset(nd, 0, sizeof(*nd));
	nd->domain = domain;
	nd->digest = digest;
	nd->covered_by = MERGE_NONE;
	return idx;
}

static bool
merge_entry_stricter(const struct feed_entry *a, const struct feed_entry *b)
{
	if (a->severity != b->severity)
		return a->severity > b->severity;
	return a->reject_media + a->reject_reports
	    > b->reject_media + b->reject_reports;
}

/*
 * A direct support.  A feed naming a domain twice (once masked) keeps its
 * stricter entry; its previous support is the node's newest, since feeds
 * are read one after the other.
 */
static void
merge_add(
    struct merge *mg, uint32_t node, uint32_t source, size_t g, bool resolved)
{
	struct merge_node       *nd = &mg->nodes[node];
	const struct feed_entry *v
	    = mg->src[source].list->v - mg->base[source];
	uint64_t bit = UINT64_C(1) << source;

	mg->ent[g] = node | (resolved ? MERGE_RESOLVED : 0);
	if (nd->dmask & bit) {
		if (merge_entry_stricter(&v[g], &v[nd->last])) {
			mg->ent[nd->last] = MERGE_NONE;
			nd->last = (uint32_t) g;
		} else
			mg->ent[g] = MERGE_NONE;
		return;
	}
	nd->last = (uint32_t) g;
	nd->ndirect++;
	nd->dmask |= bit;
	nd->mask |= bit;
}

/* A masked entry: by digest to its real name, or set aside. */
static void
merge_masked(struct merge *mg, uint32_t source, size_t g)
{
	const struct feed_entry *e
	    = &mg->src[source].list->v[g - mg->base[source]];
	const char *digest = e->digest && e->digest[0] ? e->digest : NULL;
	const char *real = NULL, *key;
	uint32_t    node;

	if (digest != NULL)
		real = merge_resolve(mg, digest);
	if (real != NULL) {
		node = merge_node_get(
		    mg, mg->tab, real, domtab_hash(real), real, NULL);
		merge_add(mg, node, source, g, true);
		return;
	}
	key = digest != NULL ? digest : e->domain;
	/* A non-NULL digest ("" if none) marks the node unresolved. */
	node = merge_node_get(mg, mg->utab, key, domtab_hash(key), e->domain,
	    digest != NULL ? digest : "");
	merge_add(mg, node, source, g, false);
}

/* Prefetch what inserting the name with hash h will read: its slot's
 * key and node, if the slot (already fetched) holds the name. */
static void
merge_prefetch_node(const struct merge *mg, uint32_t h)
{
	const struct feed_domtab_slot *sl = &mg->tab->slots[h & mg->tab->mask];

	if (sl->key != NULL && sl->hash == h) {
		__builtin_prefetch(sl->key);
		__builtin_prefetch(&mg->nodes[sl->value]);
	}
}

/*
 * One feed, in batches: hash a batch and prefetch its table slots, then
 * the keys and nodes they point to, then insert, so the cache misses of
 * a batch overlap instead of queueing one after the other.
 */
#define MERGE_BATCH 16
static void
merge_feed(struct merge *mg, uint32_t source)
{
	const struct feed_list *l = mg->src[source].list;
	uint32_t                h[MERGE_BATCH], node;
	size_t                  i, j, n;

	for (i = 0; i < l->n; i += MERGE_BATCH) {
		n = l->n - i < MERGE_BATCH ? l->n - i : MERGE_BATCH;
		for (j = 0; j < n; j++) {
			h[j] = domtab_hash(l->v[i + j].domain);
			domtab_prefetch(mg->tab, h[j]);
		}
		for (j = 0; j < n; j++)
			merge_prefetch_node(mg, h[j]);
		for (j = 0; j < n; j++) {
			const struct feed_entry *e = &l->v[i + j];

			if (e->obfuscated) {
				merge_masked(
				    mg, source, mg->base[source] + i + j);
				continue;
			}
			node = merge_node_get(
			    mg, mg->tab, e->domain, h[j], e->domain, NULL);
			merge_add(
			    mg, node, source, mg->base[source] + i + j, false);
		}
	}
}

/* ---- grouping supports by node, with inherited ones ---- */

/*
 * Count the supports each node inherits: from each feed that lists a
 * parent and not the node, through the longest such parent (parents are
 * visited longest first, and a feed counts once).
 */
static void
merge_count_inherited(struct merge *mg)
{
	struct merge_node *nd;
	const char        *p;
	uint64_t           add;
	size_t             i;
	uint32_t           j;

	for (i = 0; i < mg->nnodes; i++) {
		nd = &mg->nodes[i];
		if (nd->digest != NULL)
			continue; /* unresolved: no known name */
		for (p = strchr(nd->domain, '.'); p != NULL;
		     p = strchr(p + 1, '.')) {
			if (!feed_domtab_get(mg->tab, p + 1, &j))
				continue;
			add = mg->nodes[j].dmask & ~nd->mask;
			nd->ninherit += (uint32_t) __builtin_popcountll(add);
			nd->mask |= add;
		}
	}
}

/* Lay out pool->sup: each node's supports contiguous. */
static void
merge_layout(struct merge *mg)
{
	struct merge_node *nd;
	size_t             i, off = 0;

	for (i = 0; i < mg->nnodes; i++) {
		nd = &mg->nodes[i];
		nd->off = (uint32_t) off;
		off += nd->ndirect + nd->ninherit;
		nd->copy = pool_strdup(mg->pool, nd->domain);
	}
	mg->nsup = off;
	mg->pool->sup = xcalloc(off + 1, sizeof(*mg->pool->sup));
	mg->sup = mg->pool->sup;
}

static enum feed_severity
merge_cap(const struct merge *mg, uint32_t source, enum feed_severity sev)
{
	enum feed_severity cap = mg->src[source].max_severity;

	return sev < cap ? sev : cap;
}

/* One direct support into its node's group. */
static void
merge_fill(struct merge *mg, uint32_t source, const struct feed_entry *e,
    uint32_t mark)
{
	struct merge_node   *nd = &mg->nodes[mark & ~MERGE_RESOLVED];
	struct feed_support *s = &mg->sup[nd->off + nd->nfill++];
	bool                 resolved = (mark & MERGE_RESOLVED) != 0;

	s->public_comment = merge_intern(mg, e->public_comment);
	s->private_comment = merge_intern(mg, e->private_comment);
	s->listed_as = resolved ? merge_intern(mg, e->domain) : NULL;
	s->source = source;
	s->severity = e->severity;
	s->effective = merge_cap(mg, source, e->severity);
	s->line = e->line;
	s->reject_media = e->reject_media;
	s->reject_reports = e->reject_reports;
	s->obfuscate = e->obfuscate || e->obfuscated;
	s->resolved = resolved;
}

/* The direct supports into their groups, in reading order. */
static void
merge_scatter(struct merge *mg)
{
	const struct feed_list *l;
	uint32_t                s, ahead;
	size_t                  i, g;

	for (s = 0; s < mg->nsrc; s++) {
		l = mg->src[s].list;
		for (i = 0, g = mg->base[s]; i < l->n; i++, g++) {
			/* Nodes are scattered: fetch ahead. */
			if (g + 16 < mg->base[mg->nsrc]
			    && (ahead = mg->ent[g + 16]) != MERGE_NONE)
				__builtin_prefetch(
				    &mg->nodes[ahead & ~MERGE_RESOLVED]);
			if (mg->ent[g] != MERGE_NONE)
				merge_fill(mg, s, &l->v[i], mg->ent[g]);
		}
	}
}

/* Copy parent's direct supports from feeds child has not heard from. */
static void
merge_inherit_from(struct merge *mg, struct merge_node *child, uint32_t parent,
    uint64_t *seen)
{
	const struct merge_node *pa = &mg->nodes[parent];
	struct feed_support     *s;
	uint32_t                 k;

	for (k = pa->off; k < pa->off + pa->ndirect; k++) {
		uint64_t bit = UINT64_C(1) << mg->sup[k].source;

		if (*seen & bit)
			continue;
		*seen |= bit;
		s = &mg->sup[child->off + child->nfill++];
		*s = mg->sup[k];
		s->inherited = true;
		s->listed_as = pa->copy;
	}
}

static void
merge_inherit(struct merge *mg)
{
	struct merge_node *nd;
	const char        *p;
	uint64_t           seen;
	size_t             i;
	uint32_t           j;

	for (i = 0; i < mg->nnodes; i++) {
		nd = &mg->nodes[i];
		if (nd->ninherit == 0)
			continue;
		seen = nd->dmask;
		for (p = strchr(nd->domain, '.'); p != NULL;
		     p = strchr(p + 1, '.'))
			if (feed_domtab_get(mg->tab, p + 1, &j))
				merge_inherit_from(mg, nd, j, &seen);
	}
}

/* Each group by feed: insertion sort, the groups are short and the
 * direct supports already in order. */
static void
merge_sort_groups(struct merge *mg)
{
	struct feed_support tmp, *v;
	size_t              i, j, k, n;

	for (i = 0; i < mg->nnodes; i++) {
		v = &mg->sup[mg->nodes[i].off];
		n = mg->nodes[i].nfill;
		for (j = 1; j < n; j++) {
			tmp = v[j];
			for (k = j; k > 0 && v[k - 1].source > tmp.source; k--)
				v[k] = v[k - 1];
			v[k] = tmp;
		}
	}
}

/* ---- judging each node ---- */

/* Severity, flags and trust of a node from its supports. */
static void
merge_combine(struct merge *mg, struct merge_node *nd)
{
	const struct feed_support *v = &mg->sup[nd->off];
	bool                       max = mg->opts->mode == FEED_MERGE_MAX;
	size_t                     k;

	nd->severity = v[0].effective;
	nd->reject_media = v[0].reject_media;
	nd->reject_reports = v[0].reject_reports;
	for (k = 0; k < nd->nfill; k++) {
		const struct feed_support *s = &v[k];

		nd->trust += mg->src[s->source].trust;
		nd->obfuscate |= s->obfuscate;
		if (max) {
			if (s->effective > nd->severity)
				nd->severity = s->effective;
			nd->reject_media |= s->reject_media;
			nd->reject_reports |= s->reject_reports;
		} else {
			if (s->effective < nd->severity)
				nd->severity = s->effective;
			nd->reject_media &= s->reject_media;
			nd->reject_reports &= s->reject_reports;
		}
	}
}

/* The public comment: from a supporter at the merged severity that has
 * one, the most trusted, then the first feed. */
static void
merge_pick_comment(struct merge *mg, struct merge_node *nd)
{
	const struct feed_support *v = &mg->sup[nd->off], *best = NULL;
	size_t                     k;

	for (k = 0; k < nd->nfill; k++) {
		if (v[k].effective != nd->severity
		    || v[k].public_comment == NULL)
			continue;
		if (best == NULL
		    || mg->src[v[k].source].trust
		        > mg->src[best->source].trust)
			best = &v[k];
	}
	nd->comment = best ? best->public_comment : NULL;
}

static void
merge_judge(struct merge *mg)
{
	size_t             i;
	struct merge_node *nd;

	for (i = 0; i < mg->nnodes; i++) {
		nd = &mg->nodes[i];
		merge_combine(mg, nd);
		merge_pick_comment(mg, nd);
		/* Floating sums: 0.1 + 0.2 must meet a quorum of 0.3. */
		if (nd->digest != NULL)
			nd->state = FEED_MERGED_UNRESOLVED;
		else if (merge_excluded(mg->pool->excl, nd->domain))
			nd->state = FEED_MERGED_EXCLUDED;
		else if (nd->trust + 1e-9 >= mg->opts->quorum)
			nd->state = FEED_MERGED_BLOCK;
		else
			nd->state = FEED_MERGED_BELOW;
	}
}

static bool
merge_in_result(const struct merge_node *nd)
{
	return nd->state == FEED_MERGED_BLOCK
	    || nd->state == FEED_MERGED_COVERED;
}

/* A blocked node under an at-least-as-strict blocked parent (the longest
 * one: the rule Mastodon would apply without it) is COVERED. */
static void
merge_cover(struct merge *mg)
{
	struct merge_node *nd, *pa;
	const char        *p;
	size_t             i;
	uint32_t           j;

	for (i = 0; i < mg->nnodes; i++) {
		nd = &mg->nodes[i];
		if (nd->state != FEED_MERGED_BLOCK)
			continue;
		for (p = strchr(nd->domain, '.'); p != NULL;
		     p = strchr(p + 1, '.')) {
			if (!feed_domtab_get(mg->tab, p + 1, &j)
			    || !merge_in_result(&mg->nodes[j]))
				continue;
			pa = &mg->nodes[j];
			if (feed_stricter_or_equal(pa->severity,
			        pa->reject_media, pa->reject_reports,
			        nd->severity, nd->reject_media,
			        nd->reject_reports)) {
				nd->state = FEED_MERGED_COVERED;
				nd->covered_by = j;
			}
			break;
		}
	}
}

/* ---- output ---- */

static uint64_t
merge_prefix(const char *s)
{
	uint64_t k = 0;
	int      i;

	for (i = 0; i < 8; i++) {
		k = (k << 8) | (unsigned char) *s;
		if (*s != '\0')
			s++;
	}
	return k;
}

static int
merge_rec_cmp(const void *a, const void *b)
{
	const struct merge_rec *x = a, *y = b;
	int                     c;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if ((c = strcmp(x->domain, y->domain)) != 0)
		return c;
	return strcmp(x->tie, y->tie);
}

static bool
merge_in_list(const struct merge_node *nd, enum feed_merge_state st)
{
	if (st == FEED_MERGED_BLOCK)
		return merge_in_result(nd);
	return nd->state == st;
}

/* The nodes of list st, sorted; *n is their number. */
static struct merge_rec *
merge_sorted(struct merge *mg, enum feed_merge_state st, size_t *n)
{
	struct merge_rec *r;
	size_t            i, k = 0;

	for (i = 0; i < mg->nnodes; i++)
		k += merge_in_list(&mg->nodes[i], st);
	r = xcalloc(k + 1, sizeof(*r));
	for (i = 0, k = 0; i < mg->nnodes; i++) {
		const struct merge_node *nd = &mg->nodes[i];

		if (!merge_in_list(nd, st))
			continue;
		r[k].key = merge_prefix(nd->domain);
		r[k].domain = nd->domain;
		r[k].tie = nd->digest ? nd->digest : "";
		r[k++].node = (uint32_t) i;
	}
	qsort(r, k, sizeof(*r), merge_rec_cmp);
	*n = k;
	return r;
}

static void
merge_emit(struct merge *mg, const struct merge_node *nd,
    struct feed_merged_entry *out)
{
	out->domain = nd->copy;
	out->digest = nd->digest ? pool_strdup(mg->pool, nd->digest) : NULL;
	out->public_comment = nd->comment;
	out->covered_by = nd->covered_by != MERGE_NONE
	    ? mg->nodes[nd->covered_by].copy
	    : NULL;
	out->sup = &mg->sup[nd->off];
	out->nsup = nd->nfill;
	out->trust = nd->trust;
	out->state = nd->state;
	out->severity = nd->severity;
	out->reject_media = nd->reject_media;
	out->reject_reports = nd->reject_reports;
	out->obfuscate = nd->obfuscate;
}

static struct feed_merged_entry *
merge_emit_list(
    struct merge *mg, enum feed_merge_state st, size_t *n, uint32_t tag)
{
	struct merge_rec         *r = merge_sorted(mg, st, n);
	struct feed_merged_entry *v = xcalloc(*n + 1, sizeof(*v));
	size_t                    i;

	for (i = 0; i < *n; i++) {
		merge_emit(mg, &mg->nodes[r[i].node], &v[i]);
		mg->nodes[r[i].node].outref
		    = tag << MERGE_TAG_SHIFT | (uint32_t) i;
	}
	free(r);
	return v;
}

/*
 * The names table becomes the result's index: every node in it is in v,
 * below or excluded (unresolved ones are in utab), so each slot only
 * needs its key moved to the pool's copy (same string, same hash) and
 * its value to the entry's place.
 */
static void
merge_index(struct merge *mg)
{
	struct feed_domtab_slot *sl;
	size_t                   i;

	for (i = 0; i <= mg->tab->mask; i++) {
		sl = &mg->tab->slots[i];
		if (sl->key == NULL)
			continue;
		sl->key = mg->nodes[sl->value].copy;
		sl->value = mg->nodes[sl->value].outref;
	}
	mg->pool->index = mg->tab;
	mg->tab = NULL;
}

static void
merge_output(struct merge *mg, struct feed_merged *out)
{
	out->v = merge_emit_list(mg, FEED_MERGED_BLOCK, &out->n, 0);
	out->below = merge_emit_list(mg, FEED_MERGED_BELOW, &out->nbelow, 1);
	out->excluded
	    = merge_emit_list(mg, FEED_MERGED_EXCLUDED, &out->nexcluded, 2);
	out->unresolved = merge_emit_list(
	    mg, FEED_MERGED_UNRESOLVED, &out->nunresolved, 3);
	merge_index(mg);
}

static void
merge_sources(struct merge *mg, struct feed_merged *out)
{
	size_t i;

	out->sources = xcalloc(mg->nsrc + 1, sizeof(*out->sources));
	out->nsources = mg->nsrc;
	for (i = 0; i < mg->nsrc; i++) {
		out->sources[i].name = xstrdup(mg->src[i].name);
		out->sources[i].revision = mg->src[i].revision
		    ? xstrdup(mg->src[i].revision)
		    : NULL;
		out->sources[i].trust = mg->src[i].trust;
		out->sources[i].max_severity = mg->src[i].max_severity;
		out->sources[i].entries = mg->src[i].list->n;
	}
}

static void
merge_free(struct merge *mg)
{
	free(mg->nodes);
	free(mg->ent);
	free(mg->base);
	feed_domtab_free(mg->tab);
	feed_domtab_free(mg->utab);
	feed_intern_free(&mg->intern);
	merge_known_free(mg);
	free(mg->excl);
}

static int
merge_init(struct merge *mg, const struct feed_source *src, size_t nsrc,
    const struct feed_merge_opts *opts, struct mod_err *err)
{
	size_t i, total = 0, most = 0;

	mg->src = src;
	mg->nsrc = nsrc;
	mg->opts = opts;
	mg->pool = xcalloc(1, sizeof(*mg->pool));
	mg->base = xcalloc(nsrc + 1, sizeof(*mg->base));
	for (i = 0; i < nsrc; i++) {
		mg->base[i] = total;
		total += src[i].list->n;
		most = src[i].list->n > most ? src[i].list->n : most;
	}
	mg->base[nsrc] = total;
	/* Inherited supports are at most one per feed and node. */
	if (total >= MERGE_TAG_MASK / MOD_MAX_FEED_SOURCES_COUNT)
		return mod_errf(err, MOD_ETOOBIG, "too many entries");
	/* Upper bounds; pages never touched are never mapped. */
	mg->nodes = xcalloc(total + 1, sizeof(*mg->nodes));
	mg->ent = xreallocarray(NULL, total + 1, sizeof(*mg->ent));
	/* At least the longest list's names; it grows from there. */
	mg->tab = feed_domtab_new(most);
	mg->utab = feed_domtab_new(16);
	feed_intern_init(&mg->intern, &mg->pool->arena);
	return merge_excludes(mg, err);
}

int
feed_merge(const struct feed_source *src, size_t nsrc,
    const struct feed_merge_opts *opts, struct feed_merged *out,
    struct mod_err *err)
{
	struct merge mg = { 0 };
	size_t       s;
	int          rv;

	memset(out, 0, sizeof(*out));
	if ((rv = merge_check_sources(src, nsrc, err)) != 0
	    || (rv = merge_check_opts(opts, err)) != 0)
		return rv;
	if (sodium_init() < 0)
		return mod_errf(err, MOD_EINTERNAL, "libsodium init failed");
	if ((rv = merge_init(&mg, src, nsrc, opts, err)) != 0)
		goto out;
	for (s = 0; s < nsrc; s++)
		merge_feed(&mg, (uint32_t) s);
	merge_known_free(&mg); /* digests are only needed while reading */
	merge_count_inherited(&mg);
	merge_layout(&mg);
	merge_scatter(&mg);
	free(mg.ent);
	mg.ent = NULL;
	merge_inherit(&mg);
	merge_sort_groups(&mg);
	merge_judge(&mg);
	merge_cover(&mg);
	merge_sources(&mg, out);
	merge_output(&mg, out);
	out->pool = mg.pool;
	mg.pool = NULL;
out:
	pool_free(mg.pool);
	merge_free(&mg);
	return rv;
}

/* ---- lookups on a result ---- */

static const struct feed_merged_entry *
merged_entry(const struct feed_merged *m, uint32_t value)
{
	size_t i = value & MERGE_TAG_MASK;

	switch (value >> MERGE_TAG_SHIFT) {
	case 0:
		return &m->v[i];
	case 1:
		return &m->below[i];
	default:
		return &m->excluded[i];
	}
}

const struct feed_merged_entry *
feed_merged_find(const struct feed_merged *m, const char *domain)
{
	uint32_t value;

	if (m->pool == NULL
	    || !feed_domtab_get(m->pool->index, domain, &value))
		return NULL;
	return merged_entry(m, value);
}

const struct feed_merged_entry *
feed_merged_match(const struct feed_merged *m, const char *domain)
{
	uint32_t value;

	if (m->pool == NULL
	    || !feed_domtab_match(m->pool->index, domain, false, &value, NULL))
		return NULL;
	return merged_entry(m, value);
}

bool
feed_merged_excluded(const struct feed_merged *m, const char *domain)
{
	return m->pool != NULL && merge_excluded(m->pool->excl, domain);
}

void
feed_merged_free(struct feed_merged *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nsources; i++) {
		free(m->sources[i].name);
		free(m->sources[i].revision);
	}
	free(m->sources);
	free(m->v);
	free(m->below);
	free(m->excluded);
	free(m->unresolved);
	pool_free(m->pool);
	memset(m, 0, sizeof(*m));
}
