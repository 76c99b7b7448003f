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
/* No hash slot within the wait queue's bounds (crypto_set_queue): the
 * caller answers 503 with Retry-After. */
#define CRYPTO_BUSY (-2)

/* Loads <data_dir>/secret.key, or with create creates it (mode 0600).
 * concurrency bounds simultaneous argon2id computations. */
int crypto_setup(const char *data_dir, int create, int concurrency, char *err,
                 size_t errlen);
void crypto_teardown(void);
/* Bounds the wait for a hash slot (the server calls this; the CLI never
 * waits on anyone): while every slot is in use at most queue_length
 * callers wait, each at most wait_ms; the others get CRYPTO_BUSY at
 * once. A waiting login holds its worker thread, hence the bounds. */
void crypto_set_queue(int queue_length, int wait_ms);
/* Takes n slots for good, as if n hashes never ended: lets the test
 * build (testing.argon2_slots_held) make the queue's refusals
 * deterministic. */
void crypto_hold_slots(int n);
/* argon2id, once one of the `concurrency` slots is free. 0, -1 or
 * CRYPTO_BUSY. */
int crypto_password_hash(const char *pw, char out[CRYPTO_HASH_MAX]);
/* 0 when pw matches hash, -1 otherwise, CRYPTO_BUSY without a slot.
 * Same cost either way. */
int crypto_password_verify(const char *hash, const char *pw);
/* Spends the time of a verification: for unknown logins. 0 or
 * CRYPTO_BUSY. */
int crypto_password_dummy(const char *pw);
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
/* HMAC-SHA-256 of msg under a key derived from the key file for
 * purpose (any string: "practice.checkin"), as hex. Two purposes never
 * share a key, and none is the audit key. 0, or -1 (not set up). */
int crypto_purpose_mac(const char *purpose, const char *msg,
                       char out[CRYPTO_DIGEST_HEX]);
/* Encrypts s; returns a malloc'ed base64 string (nonce and box), or
 * NULL. */
char *crypto_seal(const char *s);
/* Decrypts crypto_seal's output; malloc'ed plain text or NULL when the
 * value was tampered with. */
char *crypto_open(const char *sealed);
/* Constant-time string comparison: 1 when equal. */
int crypto_equal(const char *a, const char *b);

#endif
