/*
 * feed_text.c - plain-text blocklists: one domain per line.
 *
 * The format of gardenfence.txt, GoToSocial's text/plain lists and
 * RapidBlock's CSV (which is the same thing with CRLF line ends).  A '#'
 * starts a comment, on a line of its own or after a domain (no domain
 * contains '#'); blank lines are skipped; "\r\n" and "\n" both end a
 * line.  Every entry is a suspension without flags or comments: the
 * format has no way to say anything else.  A line that is not a domain
 * (two words, host:port, a URL) is reported and skipped, as is a line
 * over MOD_MAX_FEED_LINE_BYTES.
 *
 * Nothing is allocated here; feed_parser_add() copies what it keeps.
 */
#include <stdbool.h>
#include <string.h>

#include "feeds.h"
#include "feed_impl.h"

static bool
feed_text_space(char c)
{
	return c == ' ' || c == '\t' || c == '\f' || c == '\v' || c == '\r';
}

int
feed_text_parse(struct feed_parser *p, const char *buf, size_t len)
{
	struct feed_raw r;
	const char     *line, *hash;
	size_t          pos = 0, n;
	int             lineno = 0, rv;

	while (feed_next_line(buf, len, &pos, &line, &n)) {
		lineno++;
		if (n > MOD_MAX_FEED_LINE_BYTES) {
			feed_parser_error(p, lineno,
			    "line longer than %d bytes",
			    MOD_MAX_FEED_LINE_BYTES);
			continue;
		}
		if ((hash = memchr(line, '#', n)) != NULL)
			n = (size_t) (hash - line);
		while (n > 0 && feed_text_space(line[0]))
			line++, n--;
		while (n > 0 && feed_text_space(line[n - 1]))
			n--;
		if (n == 0)
			continue;
		memset(&r, 0, sizeof(r));
		r.domain = line;
		r.domain_len = n;
		r.severity = FEED_SEV_SUSPEND;
		r.line = lineno;
		if ((rv = feed_parser_add(p, &r)) != 0)
			return rv;
	}
	return 0;
}
