/*
 * crypto.c — libsodium behind the host's few cryptographic needs. The
 * master key lives in <data_dir>/secret.key (0600); purpose keys are
 * derived from it, so one file backs field encryption and lookups.
 */
#include "crypto.h"
#include "host.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

/* OWASP's argon2id minimum: 19 MiB, 2 passes. */
#define CRYPTO_OPSLIMIT 2
#define CRYPTO_MEMLIMIT (19u * 1024 * 1024)

static struct {
	unsigned char master[crypto_kdf_KEYBYTES];
	unsigned char field[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
	unsigned char lookup[crypto_generichash_KEYBYTES];
	unsigned char audit[crypto_auth_hmacsha256_KEYBYTES];
	int ready;
	/* the argon2 semaphore and its bounded wait queue */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int slots;
	int bounded, queue_length, wait_ms, waiting;
	char dummy_hash[CRYPTO_HASH_MAX];
} cr = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static int
crypto_read_key(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path,
		         strerror(errno));
		return -1;
	}
	n = read(fd, cr.master, sizeof(cr.master));
	close(fd);
	if (n != (ssize_t)sizeof(cr.master)) {
		snprintf(err, errlen, "%s is not a jiaxiao key file", path);
		return -1;
	}
	return 0;
}

static int
crypto_write_key(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0) {
		snprintf(err, errlen, "cannot create %s: %s", path,
		         strerror(errno));
		return -1;
	}
	crypto_kdf_keygen(cr.master);
	if (write(fd, cr.master, sizeof(cr.master)) !=
	        (ssize_t)sizeof(cr.master) ||
	    fsync(fd) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", path,
		         strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 0;
}

int
crypto_setup(const char *data_dir, int create, int concurrency, char *err,
             size_t errlen)
{
	char path[4096];

	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/secret.key", data_dir);
	if (create && access(path, F_OK) != 0) {
		if (crypto_write_key(path, err, errlen) != 0)
			return -1;
	} else if (crypto_read_key(path, err, errlen) != 0)
		return -1;
	crypto_kdf_derive_from_key(cr.field, sizeof(cr.field), 1, "jx_field",
	                           cr.master);
	crypto_kdf_derive_from_key(cr.lookup, sizeof(cr.lookup), 2, "jx_look_",
	                           cr.master);
	crypto_kdf_derive_from_key(cr.audit, sizeof(cr.audit), 1, "jx_audit",
	                           cr.master);
	cr.slots = concurrency > 0 ? concurrency : 1;
	cr.ready = 1;
	/* A real hash to verify against for unknown logins, so that they
	 * cost what a wrong password costs. */
	if (crypto_password_hash("jiaxiao-dummy-password", cr.dummy_hash) !=
	    0) {
		snprintf(err, errlen, "argon2id failed (out of memory?)");
		return -1;
	}
	return 0;
}

void
crypto_teardown(void)
{
	sodium_memzero(&cr.master, sizeof(cr.master));
	sodium_memzero(&cr.field, sizeof(cr.field));
	sodium_memzero(&cr.lookup, sizeof(cr.lookup));
	sodium_memzero(&cr.audit, sizeof(cr.audit));
	cr.ready = 0;
}

void
crypto_set_queue(int queue_length, int wait_ms)
{
	pthread_mutex_lock(&cr.mu);
	cr.bounded = 1;
	cr.queue_length = queue_length > 0 ? queue_length : 0;
	cr.wait_ms = wait_ms > 0 ? wait_ms : 0;
	pthread_mutex_unlock(&cr.mu);
}

void
crypto_hold_slots(int n)
{
	pthread_mutex_lock(&cr.mu);
	if (n > cr.slots)
		n = cr.slots;
	if (n > 0)
		cr.slots -= n;
	pthread_mutex_unlock(&cr.mu);
}

/* Takes a hash slot: at once when one is free, else after a bounded wait
 * in the queue (crypto_set_queue), else CRYPTO_BUSY. */
static int
crypto_acquire(void)
{
	struct timespec deadline;
	int rc = 0;

	pthread_mutex_lock(&cr.mu);
	if (cr.slots <= 0 && cr.bounded) {
		if (cr.waiting >= cr.queue_length) {
			rc = CRYPTO_BUSY;
			goto done;
		}
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += cr.wait_ms / 1000;
		deadline.tv_nsec += (long)(cr.wait_ms % 1000) * 1000000L;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
		cr.waiting++;
		while (cr.slots <= 0 && rc == 0)
			if (pthread_cond_clockwait(&cr.cv, &cr.mu,
			                           CLOCK_MONOTONIC,
			                           &deadline) == ETIMEDOUT &&
			    cr.slots <= 0)
				rc = CRYPTO_BUSY;
		cr.waiting--;
		if (rc != 0) {
			/* A release may have woken this thread just as its wait
			 * ended: pass the wake-up on. */
			if (cr.slots > 0)
				pthread_cond_signal(&cr.cv);
			goto done;
		}
	}
	while (cr.slots <= 0)
		pthread_cond_wait(&cr.cv, &cr.mu);
	cr.slots--;
done:
	pthread_mutex_unlock(&cr.mu);
	return rc;
}

static void
crypto_release(void)
{
	pthread_mutex_lock(&cr.mu);
	cr.slots++;
	pthread_cond_signal(&cr.cv);
	pthread_mutex_unlock(&cr.mu);
}

int
crypto_password_hash(const char *pw, char out[CRYPTO_HASH_MAX])
{
	int rc;

	if (crypto_acquire() != 0)
		return CRYPTO_BUSY;
	rc = crypto_pwhash_str_alg(out, pw, strlen(pw), CRYPTO_OPSLIMIT,
	                           CRYPTO_MEMLIMIT,
	                           crypto_pwhash_ALG_ARGON2ID13);
	crypto_release();
	return rc == 0 ? 0 : -1;
}

int
crypto_password_verify(const char *hash, const char *pw)
{
	int rc;

	if (hash == NULL || *hash == '\0')
		return crypto_password_dummy(pw) == 0 ? -1 : CRYPTO_BUSY;
	if (crypto_acquire() != 0)
		return CRYPTO_BUSY;
	rc = crypto_pwhash_str_verify(hash, pw, strlen(pw));
	crypto_release();
	return rc == 0 ? 0 : -1;
}

int
crypto_password_dummy(const char *pw)
{
	volatile int sink;

	if (crypto_acquire() != 0)
		return CRYPTO_BUSY;
	sink = crypto_pwhash_str_verify(cr.dummy_hash, pw, strlen(pw));
	(void)sink;
	crypto_release();
	return 0;
}

void
crypto_token(char *out, size_t nbytes)
{
	unsigned char buf[64];

	if (nbytes > sizeof(buf))
		nbytes = sizeof(buf);
	randombytes_buf(buf, nbytes);
	sodium_bin2hex(out, nbytes * 2 + 1, buf, nbytes);
	sodium_memzero(buf, sizeof(buf));
}

unsigned
crypto_uniform(unsigned bound)
{
	return randombytes_uniform(bound);
}

void
crypto_random_string(char *out, size_t n, const char *alphabet)
{
	unsigned k = (unsigned)strlen(alphabet);

	for (size_t i = 0; i < n; i++)
		out[i] = alphabet[randombytes_uniform(k)];
	out[n] = '\0';
}

void
crypto_digest(const char *s, char out[CRYPTO_DIGEST_HEX])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)s, strlen(s));
	sodium_bin2hex(out, CRYPTO_DIGEST_HEX, h, sizeof(h));
}

void
crypto_lookup_hash(const char *s, char out[CRYPTO_DIGEST_HEX])
{
	unsigned char h[32];

	crypto_generichash(h, sizeof(h), (const unsigned char *)s, strlen(s),
	                   cr.lookup, sizeof(cr.lookup));
	sodium_bin2hex(out, CRYPTO_DIGEST_HEX, h, sizeof(h));
}

void
crypto_audit_mac(const char *s, char out[CRYPTO_DIGEST_HEX])
{
	unsigned char h[crypto_auth_hmacsha256_BYTES];

	crypto_auth_hmacsha256(h, (const unsigned char *)s, strlen(s),
	                       cr.audit);
	sodium_bin2hex(out, CRYPTO_DIGEST_HEX, h, sizeof(h));
}

int
crypto_purpose_mac(const char *purpose, const char *msg,
                   char out[CRYPTO_DIGEST_HEX])
{
	unsigned char key[crypto_auth_hmacsha256_KEYBYTES];
	unsigned char h[crypto_auth_hmacsha256_BYTES];
	crypto_generichash_state st;
	static const char tag[] = "jiaxiao purpose mac v1";

	if (!cr.ready || purpose == NULL || msg == NULL)
		return -1;
	/* key = BLAKE2b(master-derived audit key; tag, NUL, purpose): one
	 * key a purpose, none equal to the audit key itself. */
	crypto_generichash_init(&st, cr.audit, sizeof(cr.audit), sizeof(key));
	crypto_generichash_update(&st, (const unsigned char *)tag, sizeof(tag));
	crypto_generichash_update(&st, (const unsigned char *)purpose,
	                          strlen(purpose));
	crypto_generichash_final(&st, key, sizeof(key));
	crypto_auth_hmacsha256(h, (const unsigned char *)msg, strlen(msg), key);
	sodium_memzero(key, sizeof(key));
	sodium_bin2hex(out, CRYPTO_DIGEST_HEX, h, sizeof(h));
	return 0;
}

char *
crypto_seal(const char *s)
{
	size_t n = strlen(s);
	size_t blen = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + n +
	              crypto_aead_xchacha20poly1305_ietf_ABYTES;
	unsigned char *box = malloc(blen);
	unsigned long long clen;
	size_t olen;
	char *out;

	if (box == NULL || !cr.ready) {
		free(box);
		return NULL;
	}
	randombytes_buf(box, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(
	    box + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &clen,
	    (const unsigned char *)s, n, NULL, 0, NULL, box, cr.field);
	olen = sodium_base64_encoded_len(
	    blen, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	out = malloc(olen);
	if (out != NULL)
		sodium_bin2base64(out, olen, box, blen,
		                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	free(box);
	return out;
}

char *
crypto_open(const char *sealed)
{
	size_t slen = strlen(sealed), blen;
	unsigned char *box = malloc(slen + 1);
	unsigned long long plen;
	char *out = NULL;

	if (box == NULL || !cr.ready)
		goto done;
	if (sodium_base642bin(box, slen, sealed, slen, NULL, &blen, NULL,
	                      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    blen < crypto_aead_xchacha20poly1305_ietf_NPUBBYTES +
	               crypto_aead_xchacha20poly1305_ietf_ABYTES)
		goto done;
	out = malloc(blen + 1);
	if (out == NULL)
		goto done;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
	        (unsigned char *)out, &plen, NULL,
	        box + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
	        blen - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, NULL, 0,
	        box, cr.field) != 0) {
		free(out);
		out = NULL;
		goto done;
	}
	out[plen] = '\0';
done:
	free(box);
	return out;
}

int
crypto_equal(const char *a, const char *b)
{
	size_t n = strlen(a);

	if (n != strlen(b))
		return 0;
	return sodium_memcmp(a, b, n) == 0;
}
