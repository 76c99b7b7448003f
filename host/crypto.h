/*
 * crypto.h — every cryptographic operation of jiaxiao, on libsodium:
 * argon2id password hashes (with a bound on concurrent hashes), random
 * tokens, token digests, keyed lookup hashes and field encryption
 * (XChaCha20-Poly1305) under a key file kept in the data directory.
 */
#ifndef JX_CRYPTO_H
#define JX_CRYPTO_H

#include <stddef.h>

#define CRYPTO_HASH_MAX 128  /* an argon2id hash string, NUL included */
#define CRYPTO_DIGEST_HEX 65 /* 32 bytes as hex, NUL included */

/* Loads <data_dir>/secret.key, or with create creates it (mode 0600).
 * concurrency bounds simultaneous argon2id computations. */
int crypto_setup(const char *data_dir, int create, int concurrency, char *err,
                 size_t errlen);
void crypto_teardown(void);
/* argon2id; blocks while `concurrency` other hashes run. 0 or -1. */
int crypto_password_hash(const char *pw, char out[CRYPTO_HASH_MAX]);
/* 0 when pw matches hash, -1 otherwise. Same cost either way. */
int crypto_password_verify(const char *hash, const char *pw);
/* Spends the time of a verification: for unknown logins. */
void crypto_password_dummy(const char *pw);
/* nbytes random bytes as lowercase hex into out (2*nbytes+1). */
void crypto_token(char *out, size_t nbytes);
/* Random string of n characters from alphabet. */
void crypto_random_string(char *out, size_t n, const char *alphabet);
/* Uniform random integer in [0, bound). */
unsigned crypto_uniform(unsigned bound);
/* SHA-256 of s as hex (for high-entropy tokens). */
void crypto_digest(const char *s, char out[CRYPTO_DIGEST_HEX]);
/* Keyed BLAKE2b of s under the lookup key, as hex: uniqueness and
 * lookup of encrypted values without decrypting them. */
void crypto_lookup_hash(const char *s, char out[CRYPTO_DIGEST_HEX]);
/* HMAC-SHA-256 of s under the audit key (its own sub-key of the key
 * file), as hex: the audit log's chain and its checkpoint. */
void crypto_audit_mac(const char *s, char out[CRYPTO_DIGEST_HEX]);
/* Encrypts s; returns a malloc'ed base64 string (nonce and box), or
 * NULL. */
char *crypto_seal(const char *s);
/* Decrypts crypto_seal's output; malloc'ed plain text or NULL when the
 * value was tampered with. */
char *crypto_open(const char *sealed);
/* Constant-time string comparison: 1 when equal. */
int crypto_equal(const char *a, const char *b);

#endif
