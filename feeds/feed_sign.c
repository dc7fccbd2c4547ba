/*
 * feed_sign.c - detached Ed25519 signatures for published feeds.
 *
 * A thin layer over libsodium's crypto_sign_detached: keys and
 * signatures travel as standard padded base64 (sodium's ORIGINAL
 * variant), one line each, so a subscriber can check a feed with
 * `moderctl feeds verify FILE FILE.sig KEY` or any Ed25519 tool after
 * `base64 -d`.  The signature covers the published bytes exactly; there
 * is no envelope, no timestamp and no key id: the subscriber pins one
 * public key per feed in its configuration.
 *
 * Secret keys are wiped from the stack after use.  Decoding ignores
 * white space (a trailing newline from a file) but refuses anything else
 * that is not base64 of exactly the expected length.
 */
#include <string.h>

#include <sodium.h>

#include "feeds.h"

#define SIGN_VARIANT sodium_base64_VARIANT_ORIGINAL

/* base64 text to exactly n bytes; 0 or MOD_EINVAL. */
static int
sign_decode(const char *b64, unsigned char *bin, size_t n)
{
	const char *end = NULL;
	size_t      len = 0;

	if (b64 == NULL)
		return MOD_EINVAL;
	if (sodium_base642bin(
	        bin, n, b64, strlen(b64), " \t\r\n", &len, &end, SIGN_VARIANT)
	        != 0
	    || len != n || *end != '\0')
		return MOD_EINVAL;
	return 0;
}

/* A secret key is seed || public key: refuse one whose halves disagree,
 * which would sign with a key nobody can verify. */
static int
sign_check_key(const unsigned char sk[crypto_sign_SECRETKEYBYTES])
{
	unsigned char seed[crypto_sign_SEEDBYTES];
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char sk2[crypto_sign_SECRETKEYBYTES];
	int           rv = 0;

	crypto_sign_ed25519_sk_to_seed(seed, sk);
	if (crypto_sign_seed_keypair(pk, sk2, seed) != 0
	    || sodium_memcmp(sk, sk2, sizeof(sk2)) != 0)
		rv = MOD_EINVAL;
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(sk2, sizeof(sk2));
	return rv;
}

int
feed_keygen(
    char pub_b64[FEED_PUBKEY_B64_BYTES], char sec_b64[FEED_SECKEY_B64_BYTES])
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char sk[crypto_sign_SECRETKEYBYTES];

	if (sodium_init() < 0 || crypto_sign_keypair(pk, sk) != 0)
		return MOD_EINTERNAL;
	sodium_bin2base64(
	    pub_b64, FEED_PUBKEY_B64_BYTES, pk, sizeof(pk), SIGN_VARIANT);
	sodium_bin2base64(
	    sec_b64, FEED_SECKEY_B64_BYTES, sk, sizeof(sk), SIGN_VARIANT);
	sodium_memzero(sk, sizeof(sk));
	return 0;
}

int
feed_sign(const void *msg, size_t len, const char *sec_b64,
    char sig_b64[FEED_SIG_B64_BYTES])
{
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	unsigned char sig[crypto_sign_BYTES];
	int           rv = 0;

	if (sodium_init() < 0)
		return MOD_EINTERNAL;
	if ((rv = sign_decode(sec_b64, sk, sizeof(sk))) != 0
	    || (rv = sign_check_key(sk)) != 0)
		goto out;
	if (crypto_sign_detached(sig, NULL, msg, len, sk) != 0) {
		rv = MOD_EINTERNAL;
		goto out;
	}
	sodium_bin2base64(
	    sig_b64, FEED_SIG_B64_BYTES, sig, sizeof(sig), SIGN_VARIANT);
out:
	sodium_memzero(sk, sizeof(sk));
	return rv;
}

int
feed_verify(
    const void *msg, size_t len, const char *sig_b64, const char *pub_b64)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char sig[crypto_sign_BYTES];

	if (sodium_init() < 0)
		return MOD_EINTERNAL;
	if (sign_decode(pub_b64, pk, sizeof(pk)) != 0
	    || sign_decode(sig_b64, sig, sizeof(sig)) != 0)
		return MOD_EINVAL;
	if (crypto_sign_verify_detached(sig, msg, len, pk) != 0)
		return MOD_EAUTH;
	return 0;
}
