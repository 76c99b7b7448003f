/* test_crypto.c — password hashes and the bounded wait for a hash slot
 * (crypto_set_queue): CRYPTO_BUSY at once when no one may wait, after
 * the wait otherwise (a wait without bound would hang the test). */
#include "check.h"
#include "crypto.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(void)
{
	char dir[] = "/tmp/jx-crypto-XXXXXX", err[256], hash[CRYPTO_HASH_MAX];
	char key[64], m1[CRYPTO_DIGEST_HEX], m2[CRYPTO_DIGEST_HEX];
	char m3[CRYPTO_DIGEST_HEX], audit[CRYPTO_DIGEST_HEX];

	CHECK(mkdtemp(dir) != NULL);
	CHECK(crypto_purpose_mac("p", "m", m1) == -1); /* not set up */
	CHECK(crypto_setup(dir, 1, 1, err, sizeof(err)) == 0);

	/* Purpose MACs (ABI 2.4): stable, 64 hex digits, one key a purpose,
	 * none the audit key's. */
	CHECK(crypto_purpose_mac("practice.checkin", "reg=7;exp=9", m1) == 0);
	CHECK(crypto_purpose_mac("practice.checkin", "reg=7;exp=9", m2) == 0);
	CHECK(strlen(m1) == 64 && strcmp(m1, m2) == 0);
	CHECK(strspn(m1, "0123456789abcdef") == 64);
	CHECK(crypto_purpose_mac("practice.checkin", "reg=7;exp=8", m2) == 0);
	CHECK(strcmp(m1, m2) != 0);
	CHECK(crypto_purpose_mac("other", "reg=7;exp=9", m3) == 0);
	CHECK(strcmp(m1, m3) != 0);
	crypto_audit_mac("reg=7;exp=9", audit);
	CHECK(strcmp(m1, audit) != 0 && strcmp(m3, audit) != 0);
	CHECK(crypto_purpose_mac(NULL, "m", m3) == -1);

	/* A free slot: hashes and checks as ever. */
	CHECK(crypto_password_hash("Secret123", hash) == 0);
	CHECK(crypto_password_verify(hash, "Secret123") == 0);
	CHECK(crypto_password_verify(hash, "Wrong1234") == -1);
	CHECK(crypto_password_dummy("x") == 0);

	/* The only slot taken for good, no one may wait: busy at once. */
	crypto_set_queue(0, 10000);
	crypto_hold_slots(1);
	CHECK(crypto_password_hash("Secret123", hash) == CRYPTO_BUSY);
	CHECK(crypto_password_verify(hash, "Secret123") == CRYPTO_BUSY);
	CHECK(crypto_password_verify(NULL, "Secret123") == CRYPTO_BUSY);
	CHECK(crypto_password_dummy("x") == CRYPTO_BUSY);

	/* One may wait, 30 ms: the wait ends, busy. */
	crypto_set_queue(1, 30);
	CHECK(crypto_password_verify(hash, "Secret123") == CRYPTO_BUSY);
	CHECK(crypto_password_hash("Secret123", hash) == CRYPTO_BUSY);

	crypto_teardown();
	snprintf(key, sizeof(key), "%s/secret.key", dir);
	CHECK(unlink(key) == 0 && rmdir(dir) == 0);
	return check_done();
}
