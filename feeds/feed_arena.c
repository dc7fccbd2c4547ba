/*
 * feed_arena.c - the string pools of feeds/: a parsed list's names and
 * comments, and a merge result's.
 *
 * A feed of 100k entries used to cost three malloc() calls per entry and
 * as many free() calls; an arena makes each string a pointer bump in a
 * chunk and the whole list one walk down a short chain to free.  Chunks
 * start small (a ten-line feed stays small) and double up to
 * FEED_ARENA_MAX_CHUNK_BYTES; a string longer than that gets a chunk of
 * its own.  Strings are byte-aligned: nothing else lives here.
 *
 * Interning (feed_intern) keeps one copy per distinct string in an
 * arena: feeds repeat a handful of reasons thousands of times.  Its table
 * is only needed while strings are added and can be freed before the
 * arena.
 *
 * Not thread-safe; each arena belongs to one list or one merge.  Nothing
 * in an arena is freed before the arena itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "feeds.h"
#include "feed_impl.h"
#include "util.h"

#define FEED_ARENA_MIN_CHUNK_BYTES (4 * 1024)
#define FEED_ARENA_MAX_CHUNK_BYTES (1024 * 1024)
#define FEED_INTERN_HINT 64 /* distinct strings a table starts with */

struct feed_arena_chunk {
	struct feed_arena_chunk *next;
	size_t                   len, cap;
	char                     data[];
};

char *
feed_arena_alloc(struct feed_arena *a, size_t n)
{
	struct feed_arena_chunk *c = a->chunks;
	size_t                   cap;

	if (c == NULL || c->cap - c->len < n) {
		cap = c == NULL ? FEED_ARENA_MIN_CHUNK_BYTES : c->cap * 2;
		if (cap > FEED_ARENA_MAX_CHUNK_BYTES)
			cap = FEED_ARENA_MAX_CHUNK_BYTES;
		if (cap < n)
			cap = n;
		c = xmalloc(sizeof(*c) + cap);
		c->len = 0;
		c->cap = cap;
		c->next = a->chunks;
		a->chunks = c;
	}
	c->len += n;
	return c->data + c->len - n;
}

char *
feed_arena_strndup(struct feed_arena *a, const char *s, size_t n)
{
	char *p = feed_arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void
feed_arena_free(struct feed_arena *a)
{
	struct feed_arena_chunk *c, *next;

	if (a == NULL)
		return;
	for (c = a->chunks; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	a->chunks = NULL;
}

void
feed_intern_init(struct feed_intern *in, struct feed_arena *arena)
{
	memset(in, 0, sizeof(*in));
	in->arena = arena;
	in->tab = feed_domtab_new(FEED_INTERN_HINT);
}

char *
feed_intern(struct feed_intern *in, const char *s)
{
	uint32_t i;
	char    *copy;

	if (feed_domtab_get(in->tab, s, &i))
		return in->v[i];
	if (in->n == in->cap) {
		in->cap = in->cap ? in->cap * 2 : FEED_INTERN_HINT;
		in->v = xreallocarray(in->v, in->cap, sizeof(*in->v));
	}
	copy = feed_arena_strndup(in->arena, s, strlen(s));
	in->v[in->n] = copy;
	(void) feed_domtab_put(in->tab, copy, (uint32_t) in->n++, NULL);
	return copy;
}

void
feed_intern_free(struct feed_intern *in)
{
	feed_domtab_free(in->tab);
	free(in->v);
	memset(in, 0, sizeof(*in));
}
