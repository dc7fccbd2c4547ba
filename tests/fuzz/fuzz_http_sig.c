/*
 * fuzz_http_sig.c - http_webhook_verify() on arbitrary secrets, headers
 * and bodies.  The input is split at its first two NUL bytes into
 * secret, X-Hub-Signature value and body.  Besides not crashing, two
 * properties are checked: the correct signature of the body always
 * verifies (with lowercase and uppercase hex), and whatever verifies
 * must be exactly that signature.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "http.h"

#define FUZZ_SIG_PREFIX "sha256="

/* The header value that signs body with secret: "sha256=" + hex. */
static void
fuzz_sign(const char *secret, const uint8_t *body, size_t len, char *out)
{
	crypto_auth_hmacsha256_state st;
	unsigned char                mac[crypto_auth_hmacsha256_BYTES];

	crypto_auth_hmacsha256_init(
	    &st, (const unsigned char *) secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	memcpy(out, FUZZ_SIG_PREFIX, strlen(FUZZ_SIG_PREFIX));
	sodium_bin2hex(out + strlen(FUZZ_SIG_PREFIX), 2 * sizeof(mac) + 1, mac,
	    sizeof(mac));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char  *copy, *secret, *header, *end, *body;
	char   good[sizeof(FUZZ_SIG_PREFIX) + 64];
	size_t blen, i;
	int    rv;

	if (sodium_init() < 0)
		abort();
	copy = malloc(size + 1);
	memcpy(copy, data, size);
	copy[size] = '\0';
	secret = copy;
	end = copy + size;
	header = memchr(secret, '\0', size);
	header = header != NULL && header < end ? header + 1 : end;
	body = memchr(header, '\0', (size_t) (end - header));
	body = body != NULL && body < end ? body + 1 : end;
	blen = (size_t) (end - body);

	rv = http_webhook_verify(secret, header, body, blen);
	fuzz_sign(secret, (const uint8_t *) body, blen, good);
	if (rv == 0 && (secret[0] == '\0' || strcasecmp(header, good) != 0))
		abort(); /* accepted something that is not the signature */
	if (secret[0] != '\0') {
		if (http_webhook_verify(secret, good, body, blen) != 0)
			abort();
		for (i = strlen(FUZZ_SIG_PREFIX); good[i] != '\0'; i++)
			good[i] = (char) toupper((unsigned char) good[i]);
		if (http_webhook_verify(secret, good, body, blen) != 0)
			abort();
	}
	free(copy);
	return 0;
}
