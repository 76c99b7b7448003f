/*
 * test_audit.c — the tamper-evident audit log (append, verify, the
 * append-only triggers, detection of an edited, shifted or deleted
 * row), the cryptography under it and under sessions (argon2id, tokens,
 * digests, keyed lookup hashes, sealed fields, constant-time comparison,
 * the key file) and the masking of ID numbers.
 */
#include "check.h"
#include "crypto.h"
#include "host.h"
#include "org.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int64_t
count(jx_db *db, const char *sql)
{
	jx_stmt *st = db_query(db, sql, "");
	int64_t n = -1;

	if (st != NULL && db_step(st) == JX_DB_ROW)
		n = db_int(st, 0);
	db_finish(st);
	return n;
}

static int
is_hex(const char *s, size_t n)
{
	return strlen(s) == n && strspn(s, "0123456789abcdef") == n;
}

/* 1 when s is well-formed UTF-8 (no stray or truncated sequences). */
static int
utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int k = *p < 0x80             ? 0
		        : (*p & 0xe0) == 0xc0 ? 1
		        : (*p & 0xf0) == 0xe0 ? 2
		        : (*p & 0xf8) == 0xf0 ? 3
		                              : -1;

		if (k < 0)
			return 0;
		p++;
		for (; k > 0; k--, p++)
			if ((*p & 0xc0) != 0x80)
				return 0;
	}
	return 1;
}

static void
test_passwords(void)
{
	char a[CRYPTO_HASH_MAX], b[CRYPTO_HASH_MAX];

	CHECK(crypto_password_hash("Secret2026", a) == 0);
	CHECK(strncmp(a, "$argon2id$", 10) == 0);
	CHECK(strstr(a, "Secret2026") == NULL);
	CHECK(crypto_password_verify(a, "Secret2026") == 0);
	CHECK(crypto_password_verify(a, "secret2026") == -1);
	CHECK(crypto_password_verify(a, "Secret2026 ") == -1);
	CHECK(crypto_password_verify(a, "") == -1);
	/* a fresh salt every time */
	CHECK(crypto_password_hash("Secret2026", b) == 0);
	CHECK(strcmp(a, b) != 0);
	CHECK(crypto_password_verify(b, "Secret2026") == 0);
	/* no hash at all never matches */
	CHECK(crypto_password_verify(NULL, "Secret2026") == -1);
	CHECK(crypto_password_verify("", "") == -1);
	CHECK(crypto_password_verify("$argon2id$garbage", "x") == -1);
	/* non-ASCII passwords */
	CHECK(crypto_password_hash("家校密码2026", a) == 0);
	CHECK(crypto_password_verify(a, "家校密码2026") == 0);
	CHECK(crypto_password_verify(a, "家校密码2027") == -1);
	crypto_password_dummy("anything"); /* must not crash */
}

static void
test_tokens(void)
{
	char t1[65], t2[65], d1[CRYPTO_DIGEST_HEX], d2[CRYPTO_DIGEST_HEX];
	char l1[CRYPTO_DIGEST_HEX], l2[CRYPTO_DIGEST_HEX], s[33];
	int seen[256] = {0}, distinct = 0;

	crypto_token(t1, 32);
	crypto_token(t2, 32);
	CHECK(is_hex(t1, 64));
	CHECK(is_hex(t2, 64));
	CHECK(strcmp(t1, t2) != 0);
	/* 32 random bytes use (nearly) all 16 hex digits */
	for (const char *p = t1; *p; p++)
		if (!seen[(unsigned char)*p]++)
			distinct++;
	CHECK(distinct >= 8);

	crypto_digest(t1, d1);
	crypto_digest(t1, d2);
	CHECK(is_hex(d1, 64));
	CHECK_STR(d1, d2);
	crypto_digest(t2, d2);
	CHECK(strcmp(d1, d2) != 0);
	/* SHA-256("abc"), the FIPS 180-2 test vector */
	crypto_digest("abc", d1);
	CHECK_STR(d1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff6"
	              "1f20015ad");

	crypto_lookup_hash("430104201905010011", l1);
	crypto_lookup_hash("430104201905010011", l2);
	CHECK(is_hex(l1, 64));
	CHECK_STR(l1, l2);
	crypto_lookup_hash("430104201905010012", l2);
	CHECK(strcmp(l1, l2) != 0);
	/* keyed: not the plain digest */
	crypto_digest("430104201905010011", d1);
	CHECK(strcmp(l1, d1) != 0);

	crypto_random_string(s, 32, "ab9");
	CHECK(strlen(s) == 32);
	CHECK(strspn(s, "ab9") == 32);
	for (int i = 0; i < 1000; i++)
		CHECK(crypto_uniform(7) < 7);
}

static void
test_seal(void)
{
	const char *texts[] = {"", "x", "430104201905010011", "张三 · 岳麓区",
	                       "a longer value with spaces and \"quotes\""};
	char *a, *b, *o;

	for (size_t i = 0; i < sizeof(texts) / sizeof(*texts); i++) {
		a = crypto_seal(texts[i]);
		b = crypto_seal(texts[i]);
		CHECK(a != NULL && b != NULL);
		if (a == NULL || b == NULL) {
			free(a);
			free(b);
			continue;
		}
		/* a random nonce each time; the text is not visible */
		CHECK(strcmp(a, b) != 0);
		CHECK(strlen(texts[i]) < 8 || strstr(a, texts[i]) == NULL);
		o = crypto_open(a);
		CHECK_STR(o, texts[i]);
		free(o);
		o = crypto_open(b);
		CHECK_STR(o, texts[i]);
		free(o);
		/* any flipped character breaks the seal */
		for (size_t k = 0; a[k]; k++) {
			char saved = a[k];

			a[k] = saved == 'A' ? 'B' : 'A';
			o = crypto_open(a);
			CHECK(o == NULL);
			free(o);
			a[k] = saved;
		}
		/* truncated or extended */
		a[strlen(a) - 1] = '\0';
		o = crypto_open(a);
		CHECK(o == NULL);
		free(o);
		free(a);
		a = malloc(strlen(b) + 3);
		if (a != NULL) {
			sprintf(a, "%sAA", b);
			o = crypto_open(a);
			CHECK(o == NULL);
			free(o);
			free(a);
		}
		free(b);
	}
	o = crypto_open("");
	CHECK(o == NULL);
	free(o);
	o = crypto_open("not base64 !!!");
	CHECK(o == NULL);
	free(o);
	o = crypto_open("AAAA");
	CHECK(o == NULL);
	free(o);
}

static void
test_equal(void)
{
	CHECK(crypto_equal("", "") == 1);
	CHECK(crypto_equal("abc", "abc") == 1);
	CHECK(crypto_equal("abc", "abd") == 0);
	CHECK(crypto_equal("abc", "ab") == 0);
	CHECK(crypto_equal("ab", "abc") == 0);
	CHECK(crypto_equal("", "a") == 0);
	CHECK(crypto_equal("密码", "密码") == 1);
	CHECK(crypto_equal("密码", "密玛") == 0);
}

/* The key file: created 0600, reused, and the values it protects bound
 * to it. */
static void
test_key_file(const char *dir, const char *dir2)
{
	char path[512], err[256], l1[CRYPTO_DIGEST_HEX], l2[CRYPTO_DIGEST_HEX];
	struct stat sb;
	char *sealed, *o;

	snprintf(path, sizeof(path), "%s/secret.key", dir);
	CHECK(stat(path, &sb) == 0);
	CHECK((sb.st_mode & 0777) == 0600);
	CHECK(sb.st_size == 32);

	sealed = crypto_seal("身份证 430104201905010011");
	crypto_lookup_hash("430104201905010011", l1);
	crypto_teardown();
	/* a sealed value does not open without the key */
	o = sealed ? crypto_open(sealed) : NULL;
	CHECK(o == NULL);
	free(o);
	/* the same key again from the file */
	CHECK(crypto_setup(dir, 0, 1, err, sizeof(err)) == 0);
	o = sealed ? crypto_open(sealed) : NULL;
	CHECK_STR(o, "身份证 430104201905010011");
	free(o);
	crypto_lookup_hash("430104201905010011", l2);
	CHECK_STR(l1, l2);

	/* another data directory: another key */
	crypto_teardown();
	CHECK(crypto_setup(dir2, 0, 1, err, sizeof(err)) == -1);
	CHECK(err[0] != '\0');
	CHECK(crypto_setup(dir2, 1, 1, err, sizeof(err)) == 0);
	o = sealed ? crypto_open(sealed) : NULL;
	CHECK(o == NULL);
	free(o);
	crypto_lookup_hash("430104201905010011", l2);
	CHECK(strcmp(l1, l2) != 0);
	crypto_teardown();
	CHECK(crypto_setup(dir, 1, 1, err, sizeof(err)) == 0); /* kept */
	o = sealed ? crypto_open(sealed) : NULL;
	CHECK_STR(o, "身份证 430104201905010011");
	free(o);
	free(sealed);
	/* a file that is not a key is refused */
	snprintf(path, sizeof(path), "%s/secret.key", dir2);
	CHECK(truncate(path, 5) == 0);
	crypto_teardown();
	CHECK(crypto_setup(dir2, 0, 1, err, sizeof(err)) == -1);
	CHECK(crypto_setup(dir, 0, 1, err, sizeof(err)) == 0);
}

/* The first broken entry, 0 when intact; *n the good ones. */
static int64_t
verify(jx_db *db, int64_t *n)
{
	int64_t bad = -1;

	*n = audit_verify(db, &bad);
	return bad;
}

static void
test_audit(jx_db *db)
{
	char err[512];
	int64_t n, bad;

	CHECK(migrate_apply(db, "host", host_migrations, err, sizeof(err)) ==
	      0);
	/* an empty log is intact */
	CHECK(verify(db, &n) == 0);
	CHECK(n == 0);

	CHECK(audit_append(db, 1, 1, "auth.login", "admin", NULL,
	                   "127.0.0.1") == 0);
	CHECK(audit_append(db, 2, 3, "auth.login_failed", "13800000001", NULL,
	                   "10.0.0.1") == 0);
	CHECK(audit_append(db, 1, 1, "auth.password_reset", "ab",
	                   "{\"k\":\"c\"}", "127.0.0.1") == 0);
	CHECK(audit_append(db, 0, 0, "demo.created", NULL, NULL, NULL) == 0);
	CHECK(audit_append(db, 4, 5, "reveal.id_number", "张一鸣",
	                   "{\"reason\":\"转学手续\"}", "::1") == 0);
	CHECK(count(db, "SELECT COUNT(*) FROM audit_log") == 5);
	CHECK(verify(db, &n) == 0);
	CHECK(n == 5);
	/* each entry chains onto the one before */
	CHECK(count(db, "SELECT COUNT(*) FROM audit_log a JOIN audit_log b "
	                "ON b.id = a.id - 1 WHERE a.prev_hash = b.hash") == 4);
	CHECK(count(db, "SELECT COUNT(*) FROM audit_log WHERE id = 1 AND "
	                "prev_hash = 'genesis'") == 1);

	/* inside a transaction that rolls back, nothing stays */
	CHECK(db_begin(db) == 0);
	CHECK(audit_append(db, 9, 9, "auth.login", "x", NULL, NULL) == 0);
	CHECK(db_rollback(db) == 0);
	CHECK(count(db, "SELECT COUNT(*) FROM audit_log") == 5);
	CHECK(verify(db, &n) == 0);
	CHECK(n == 5);

	/* append-only: the triggers refuse UPDATE and DELETE */
	CHECK(db_exec(db, "UPDATE audit_log SET detail = 'x' WHERE id = 3",
	              "") < 0);
	CHECK(db_exec(db, "DELETE FROM audit_log WHERE id = 4", "") < 0);
	CHECK(count(db, "SELECT COUNT(*) FROM audit_log") == 5);
	CHECK(count(db, "SELECT COUNT(*) FROM audit_log WHERE id = 3 AND "
	                "detail = '{\"k\":\"c\"}'") == 1);
	CHECK(verify(db, &n) == 0);

	/* with the trigger gone, an edited row breaks the chain there */
	CHECK(db_exec_script(db, "DROP TRIGGER audit_log_no_update") == 0);
	CHECK(db_exec(db,
	              "UPDATE audit_log SET detail = '{\"k\":\"d\"}' WHERE id "
	              "= 3",
	              "") == 1);
	bad = verify(db, &n);
	CHECK(bad == 3);
	CHECK(n == 2);
	/* put back, the chain holds again */
	CHECK(db_exec(db,
	              "UPDATE audit_log SET detail = '{\"k\":\"c\"}' WHERE id "
	              "= 3",
	              "") == 1);
	CHECK(verify(db, &n) == 0);
	CHECK(n == 5);
	/* text moved from one field to the next is an edit too */
	CHECK(db_exec(db,
	              "UPDATE audit_log SET target = 'a', detail = "
	              "'b{\"k\":\"c\"}' WHERE id = 3",
	              "") == 1);
	CHECK(verify(db, &n) == 3);
	CHECK(db_exec(db,
	              "UPDATE audit_log SET target = 'ab', detail = "
	              "'{\"k\":\"c\"}' WHERE id = 3",
	              "") == 1);
	CHECK(verify(db, &n) == 0);
	/* each field counts: time, account, identity, action, ip */
	static const char *const edits[][2] = {
	    {"UPDATE audit_log SET at = at + 1 WHERE id = 2",
	     "UPDATE audit_log SET at = at - 1 WHERE id = 2"},
	    {"UPDATE audit_log SET account_id = 1 WHERE id = 2",
	     "UPDATE audit_log SET account_id = 2 WHERE id = 2"},
	    {"UPDATE audit_log SET identity_id = 1 WHERE id = 2",
	     "UPDATE audit_log SET identity_id = 3 WHERE id = 2"},
	    {"UPDATE audit_log SET action = 'auth.login' WHERE id = 2",
	     "UPDATE audit_log SET action = 'auth.login_failed' WHERE id = 2"},
	    {"UPDATE audit_log SET ip = '10.0.0.2' WHERE id = 2",
	     "UPDATE audit_log SET ip = '10.0.0.1' WHERE id = 2"},
	};
	for (size_t i = 0; i < sizeof(edits) / sizeof(*edits); i++) {
		CHECK(db_exec(db, edits[i][0], "") == 1);
		CHECK(verify(db, &n) == 2);
		CHECK(n == 1);
		CHECK(db_exec(db, edits[i][1], "") == 1);
		CHECK(verify(db, &n) == 0);
	}
	/* a rewritten hash (recomputed by a forger without the chain) is
	 * caught at the next row */
	/* (the first character flipped, never replaced by one it may
	 * already be) */
	CHECK(db_exec(db,
	              "UPDATE audit_log SET hash = (CASE substr(hash, 1, 1) "
	              "WHEN 'f' THEN 'e' ELSE 'f' END) || substr(hash, 2) "
	              "WHERE id = 4",
	              "") == 1);
	CHECK(count(db, "SELECT COUNT(*) FROM audit_log a JOIN audit_log b "
	                "ON b.id = a.id + 1 WHERE a.id = 4 AND "
	                "a.hash <> b.prev_hash") == 1);
	CHECK(verify(db, &n) == 4);
	CHECK(db_exec(db,
	              "UPDATE audit_log SET hash = (SELECT prev_hash FROM "
	              "audit_log WHERE id = 5) WHERE id = 4",
	              "") == 1);
	CHECK(verify(db, &n) == 0);

	/* a deleted row breaks the chain at the row after it */
	CHECK(db_exec_script(db, "DROP TRIGGER audit_log_no_delete") == 0);
	CHECK(db_exec(db, "DELETE FROM audit_log WHERE id = 4", "") == 1);
	CHECK(verify(db, &n) == 5);
	CHECK(n == 3);
	/* appending after damage does not repair it */
	CHECK(audit_append(db, 1, 1, "auth.logout", NULL, NULL, NULL) == 0);
	CHECK(verify(db, &n) == 5);
}

/* The hash of an entry as the chain before the key computed it (plain
 * SHA-256 of the same length-prefixed fields). */
static void
plain_hash(const char *prev, int64_t at, const char *action,
           char out[CRYPTO_DIGEST_HEX])
{
	char text[512];

	snprintf(text, sizeof(text), "%s|%lld|0|0|%zu:%s|0:|0:|0:", prev,
	         (long long)at, strlen(action), action);
	crypto_digest(text, out);
}

static int
check_log(jx_db *db, char *msg, size_t len)
{
	int rc = audit_check(db, msg, len);

	printf("# %s\n", msg);
	return rc;
}

static int
copy_file(const char *from, const char *to)
{
	char buf[1024];
	FILE *in = fopen(from, "rb"), *out;
	size_t n;

	if (in == NULL)
		return -1;
	out = fopen(to, "wb");
	if (out == NULL) {
		fclose(in);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	fclose(in);
	return fclose(out);
}

/* The chain is keyed: a forger without the key cannot write a chain
 * that holds, even one that is internally consistent. */
static void
test_keyed(const char *dir)
{
	char path[512], err[512], h[CRYPTO_DIGEST_HEX], prev[CRYPTO_DIGEST_HEX];
	int64_t n, bad;
	jx_db *db;
	jx_stmt *st;

	snprintf(path, sizeof(path), "%s/keyed.db", dir);
	db = db_open(path);
	CHECK(db != NULL);
	if (db == NULL)
		return;
	CHECK(migrate_apply(db, "host", host_migrations, err, sizeof(err)) ==
	      0);
	for (int i = 0; i < 3; i++)
		CHECK(audit_append(db, 0, 0, "demo.created", NULL, NULL,
		                   NULL) == 0);
	CHECK(audit_verify(db, &bad) == 3 && bad == 0);
	/* row 3 replaced by one hashed the way the unkeyed chain did */
	st = db_query(db, "SELECT prev_hash, at FROM audit_log WHERE id = 3",
	              "");
	CHECK(st != NULL && db_step(st) == JX_DB_ROW);
	snprintf(prev, sizeof(prev), "%s", st ? db_text(st, 0) : "");
	plain_hash(prev, st ? db_int(st, 1) : 0, "demo.created", h);
	db_finish(st);
	CHECK(db_exec_script(db, "DROP TRIGGER audit_log_no_update") == 0);
	CHECK(db_exec(db, "UPDATE audit_log SET hash = ? WHERE id = 3", "s",
	              h) == 1);
	n = audit_verify(db, &bad);
	CHECK(bad == 3);
	CHECK(n == 2);
	db_close(db);
}

/* The checkpoint beside the database: written after each commit that
 * appends, MACed; truncation of the newest entries and a forged or
 * missing checkpoint are reported, a lagging one is not. */
static void
test_checkpoint(const char *dir)
{
	char path[512], ckpt[600], old[600], err[512], msg[1024];
	struct stat sb;
	jx_db *db;
	FILE *f;

	snprintf(path, sizeof(path), "%s/ckpt.db", dir);
	snprintf(ckpt, sizeof(ckpt), "%s" AUDIT_CHECKPOINT_SUFFIX, path);
	snprintf(old, sizeof(old), "%s/old-checkpoint", dir);
	db = db_open(path);
	CHECK(db != NULL);
	if (db == NULL)
		return;
	CHECK(migrate_apply(db, "host", host_migrations, err, sizeof(err)) ==
	      0);
	/* nothing appended yet: nothing to vouch for, nothing missing */
	CHECK(check_log(db, msg, sizeof(msg)) == 0);
	CHECK(access(ckpt, F_OK) != 0);

	for (int i = 0; i < 5; i++)
		CHECK(audit_append(db, 1, 1, "auth.login", "admin", NULL,
		                   "127.0.0.1") == 0);
	CHECK(stat(ckpt, &sb) == 0);
	CHECK((sb.st_mode & 0777) == 0600);
	CHECK(check_log(db, msg, sizeof(msg)) == 0);
	CHECK(strstr(msg, "checkpoint: 5") != NULL);
	CHECK(copy_file(ckpt, old) == 0);

	/* an append in a transaction that rolls back writes no checkpoint;
	 * the one that commits does, after the commit */
	CHECK(db_begin(db) == 0);
	CHECK(audit_append(db, 1, 1, "auth.logout", NULL, NULL, NULL) == 0);
	CHECK(db_rollback(db) == 0);
	CHECK(db_begin(db) == 0);
	CHECK(audit_append(db, 1, 1, "auth.logout", NULL, NULL, NULL) == 0);
	CHECK(audit_append(db, 1, 1, "auth.login", NULL, NULL, NULL) == 0);
	CHECK(db_commit(db) == 0);
	for (int i = 0; i < 3; i++)
		CHECK(audit_append(db, 1, 1, "auth.login", "admin", NULL,
		                   NULL) == 0);
	CHECK(check_log(db, msg, sizeof(msg)) == 0);
	CHECK(strstr(msg, "10 entries") != NULL);
	CHECK(strstr(msg, "checkpoint: 10") != NULL);

	/* a checkpoint that lags (a crash between commit and checkpoint,
	 * an older file restored) is not tampering */
	CHECK(copy_file(old, ckpt) == 0);
	CHECK(check_log(db, msg, sizeof(msg)) == 0);
	CHECK(strstr(msg, "checkpoint: 5") != NULL);

	/* the next commit brings it up to date */
	CHECK(audit_append(db, 1, 1, "auth.login", NULL, NULL, NULL) == 0);
	CHECK(check_log(db, msg, sizeof(msg)) == 0);
	CHECK(strstr(msg, "checkpoint: 11") != NULL);

	/* the newest entries deleted (the chain that is left still holds) */
	CHECK(db_exec_script(db, "DROP TRIGGER audit_log_no_delete") == 0);
	CHECK(db_exec(db, "DELETE FROM audit_log WHERE id > 8", "") == 3);
	{
		int64_t bad;

		CHECK(audit_verify(db, &bad) == 8 && bad == 0);
	}
	CHECK(check_log(db, msg, sizeof(msg)) == 1);
	CHECK(strstr(msg, "BROKEN") != NULL);
	CHECK(strstr(msg, "removed") != NULL);

	/* a checkpoint edited to the shorter count does not authenticate */
	f = fopen(ckpt, "r+");
	CHECK(f != NULL);
	if (f != NULL) {
		char text[512];
		size_t len = fread(text, 1, sizeof(text) - 1, f);
		char *p;

		text[len] = '\0';
		p = strstr(text, "count 11");
		CHECK(p != NULL);
		if (p != NULL)
			p[7] = '0'; /* count 10 */
		rewind(f);
		fwrite(text, 1, len, f);
		fclose(f);
	}
	CHECK(check_log(db, msg, sizeof(msg)) == 1);
	CHECK(strstr(msg, "not valid") != NULL);

	/* no checkpoint at all: the truncation could not show */
	CHECK(unlink(ckpt) == 0);
	CHECK(check_log(db, msg, sizeof(msg)) == 1);
	CHECK(strstr(msg, "missing") != NULL);
	db_close(db);
}

/* A database from before the key: its entries keep their plain chain,
 * the keyed chain goes on from the last of them (host migration 10). */
static void
test_legacy(const char *dir)
{
	const char *steps[16] = {NULL};
	char path[512], err[512], msg[1024],
	    prev[CRYPTO_DIGEST_HEX] = "genesis";
	char h[CRYPTO_DIGEST_HEX];
	int64_t n, bad;
	jx_db *db;
	int k = 0;

	while (host_migrations[k] != NULL && k < 8) {
		steps[k] = host_migrations[k];
		k++;
	}
	snprintf(path, sizeof(path), "%s/legacy.db", dir);
	db = db_open(path);
	CHECK(db != NULL);
	if (db == NULL)
		return;
	CHECK(migrate_apply(db, "host", steps, err, sizeof(err)) == 0);
	for (int i = 1; i <= 3; i++) {
		plain_hash(prev, 1700000000 + i, "old.entry", h);
		CHECK(db_exec(db,
		              "INSERT INTO audit_log(at, action, prev_hash, "
		              "hash) VALUES (?, 'old.entry', ?, ?)",
		              "iss", (int64_t)(1700000000 + i), prev, h) == 1);
		snprintf(prev, sizeof(prev), "%s", h);
	}
	/* before the upgrade, verify reads the old chain as it is */
	CHECK(audit_verify(db, &bad) == 3 && bad == 0);
	CHECK(migrate_apply(db, "host", host_migrations, err, sizeof(err)) ==
	      0);
	CHECK(count(db, "SELECT value FROM host_meta WHERE key = "
	                "'audit_keyed_from'") == 4);
	CHECK(check_log(db, msg, sizeof(msg)) == 0);
	CHECK(audit_append(db, 1, 1, "auth.login", NULL, NULL, NULL) == 0);
	CHECK(audit_append(db, 1, 1, "auth.login", NULL, NULL, NULL) == 0);
	n = audit_verify(db, &bad);
	CHECK(n == 5 && bad == 0);
	CHECK(count(db, "SELECT COUNT(*) FROM audit_log WHERE id = 4 AND "
	                "prev_hash = (SELECT hash FROM audit_log WHERE id = "
	                "3)") == 1);
	CHECK(check_log(db, msg, sizeof(msg)) == 0);
	/* moving the boundary past the end does not pass the keyed rows
	 * off as plain ones */
	CHECK(db_exec(db,
	              "UPDATE host_meta SET value = '99' WHERE key = "
	              "'audit_keyed_from'",
	              "") == 1);
	CHECK(check_log(db, msg, sizeof(msg)) == 1);
	db_close(db);
}

static void
test_mask(void)
{
	char out[64];

	org_id_mask("43010419900101123X", out, sizeof(out));
	CHECK_STR(out, "430***********123X");
	org_id_mask("430104199001011234", out, sizeof(out));
	CHECK_STR(out, "430***********1234");
	/* 15-digit numbers (the old format) */
	org_id_mask("430104900101123", out, sizeof(out));
	CHECK_STR(out, "430********1123");
	/* too short to keep anything: all stars, never the value */
	org_id_mask("1234567", out, sizeof(out));
	CHECK(strspn(out, "*") == strlen(out));
	CHECK(strpbrk(out, "1234567") == NULL);
	org_id_mask("12", out, sizeof(out));
	CHECK(strpbrk(out, "12") == NULL);
	org_id_mask("", out, sizeof(out));
	CHECK_STR(out, "");
	org_id_mask(NULL, out, sizeof(out));
	CHECK_STR(out, "");
	/* a small buffer: cut, terminated, nothing past the first three
	 * characters shown */
	memset(out, 'Z', sizeof(out));
	org_id_mask("43010419900101123X", out, 6);
	CHECK(out[5] == '\0');
	CHECK(strlen(out) == 5);
	CHECK(strncmp(out, "430**", 5) == 0);
	CHECK(out[6] == 'Z');
	out[0] = 'Z';
	org_id_mask("43010419900101123X", out, 0);
	CHECK(out[0] == 'Z');
	/* non-ASCII input: characters, not bytes; the output stays UTF-8
	 * and hides the middle */
	org_id_mask("４３０１０４１９９００１０１１２３Ｘ", out, sizeof(out));
	CHECK(utf8_ok(out));
	CHECK_STR(out, "４３０***********１２３Ｘ");
	org_id_mask("4301041990010112３Ｘ", out, sizeof(out));
	CHECK(utf8_ok(out));
	CHECK(strstr(out, "1990") == NULL);
	org_id_mask("张三丰", out, sizeof(out));
	CHECK(utf8_ok(out));
	CHECK(strstr(out, "张") == NULL && strstr(out, "丰") == NULL);
	org_id_mask("\xff\xfe\x80"
	            "430104199001011234",
	            out, sizeof(out));
	CHECK(strstr(out, "19900101") == NULL);
}

int
main(void)
{
	char dir[] = "/tmp/jxauditXXXXXX", dir2[] = "/tmp/jxaudit2XXXXXX";
	char path[256], err[256];
	jx_db *db;

	CHECK(mkdtemp(dir) != NULL);
	CHECK(mkdtemp(dir2) != NULL);
	CHECK(crypto_setup(dir, 1, 1, err, sizeof(err)) == 0);

	test_passwords();
	test_tokens();
	test_seal();
	test_equal();
	test_key_file(dir, dir2);
	test_mask();

	snprintf(path, sizeof(path), "%s/jiaxiao.db", dir);
	db = db_open(path);
	CHECK(db != NULL);
	if (db != NULL) {
		test_audit(db);
		db_close(db);
	}
	test_keyed(dir);
	test_checkpoint(dir);
	test_legacy(dir);
	crypto_teardown();

	snprintf(path, sizeof(path), "rm -rf '%s' '%s'", dir, dir2);
	CHECK(system(path) == 0);
	return check_done();
}
