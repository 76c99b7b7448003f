/*
 * audit.c — the append-only, hash-chained audit log of sensitive actions
 * (logins, password changes and resets, identity switches, reveals, rule
 * changes, imports). Each row's hash is an HMAC, under the audit sub-key
 * of the key file, of its fields and the previous row's hash, so editing
 * or deleting a row breaks the chain from there on and nobody without
 * the key can write a new chain; triggers refuse UPDATE and DELETE in
 * the first place. Deleting the newest rows leaves a shorter chain that
 * still holds, so after every commit that appends, the count and head
 * hash also go to a checkpoint file beside the database
 * (<db>.audit-checkpoint, 0600, itself MACed): `audit verify` reports a
 * log shorter than its checkpoint, or one whose entry at the
 * checkpoint's count has another hash. The file is written after the
 * commit, so it may lag the log (a crash in between), never lead it.
 *
 * Databases from before the key: host migration 10 records in host_meta
 * `audit_keyed_from` the first id of the keyed chain; the rows before it
 * keep their plain SHA-256 chain (verified as such, as before) and the
 * first keyed row chains onto the last plain hash. Re-keying the old rows
 * would have rewritten hashes that may have been copied elsewhere, and
 * laundered any tampering done before the upgrade.
 */
#include "crypto.h"
#include "host.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define AUDIT_CHECKPOINT_MAGIC "jiaxiao audit checkpoint 1"
/* The host migration that records audit_keyed_from (migrate.c). */
#define AUDIT_KEYED_STEP 10

/* The newest checkpoint this process wrote, so that two workers
 * committing at once never move the file backwards. */
static struct {
	pthread_mutex_t mu;
	int64_t count;
	char path[4096];
} ckp = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void
audit_hash(int keyed, const char *prev, int64_t at, int64_t account,
           int64_t identity, const char *action, const char *target,
           const char *detail, const char *ip, char out[CRYPTO_DIGEST_HEX])
{
	struct buf b;

	/* Fields are length-prefixed so that no two rows hash alike by
	 * moving text from one field into the next. */
	buf_init(&b);
	buf_printf(&b, "%s|%lld|%lld|%lld|%zu:%s|%zu:%s|%zu:%s|%zu:%s", prev,
	           (long long)at, (long long)account, (long long)identity,
	           strlen(action), action, strlen(target ? target : ""),
	           target ? target : "", strlen(detail ? detail : ""),
	           detail ? detail : "", strlen(ip ? ip : ""), ip ? ip : "");
	if (keyed)
		crypto_audit_mac(b.data, out);
	else
		crypto_digest(b.data, out);
	buf_free(&b);
}

int
audit_append(jx_db *db, int64_t account, int64_t identity, const char *action,
             const char *target, const char *detail, const char *ip)
{
	char prev[CRYPTO_DIGEST_HEX] = "genesis", hash[CRYPTO_DIGEST_HEX];
	int own = !db_in_transaction(db);
	int64_t at = jx_now();
	jx_stmt *st;

	/* The previous hash must be read under the write lock, or two
	 * writers could chain onto the same row. Every new row is keyed:
	 * the keyed chain began at or before it. */
	if (own && db_begin(db) != 0)
		return -1;
	st = db_query(db, "SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1",
	              "");
	if (st == NULL)
		goto fail;
	if (db_step(st) == JX_DB_ROW)
		snprintf(prev, sizeof(prev), "%s", db_text(st, 0));
	db_finish(st);
	audit_hash(1, prev, at, account, identity, action, target, detail, ip,
	           hash);
	if (db_exec(
	        db,
	        "INSERT INTO audit_log(at, account_id, identity_id, action, "
	        "target, detail, ip, prev_hash, hash) "
	        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
	        "iiissssss", at, account, identity, action, target, detail, ip,
	        prev, hash) != 1)
		goto fail;
	db_audit_added(db);
	if (own && db_commit(db) != 0)
		return -1;
	return 0;
fail:
	if (own)
		db_rollback(db);
	return -1;
}

int
audit_req(jx_req *req, const char *action, const char *target,
          const cJSON *detail)
{
	char *d = detail ? cJSON_PrintUnformatted(detail) : NULL;
	int rc = audit_append(req->worker->db, req->account_id,
	                      req->identity ? req->identity->id : 0, action,
	                      target, d, req->client_ip);

	cJSON_free(d);
	if (rc != 0)
		jx_log(JX_LOG_ERROR, "audit", "cannot record %s", action);
	return rc;
}

/* The first id of the keyed chain (1 when the whole log is keyed). */
static int64_t
audit_keyed_from(jx_db *db)
{
	jx_stmt *st = db_query(
	    db, "SELECT value FROM host_meta WHERE key = 'audit_keyed_from'",
	    "");
	int64_t from = 1;

	if (st == NULL)
		return -1;
	if (db_step(st) == JX_DB_ROW)
		from = strtoll(db_text(st, 0), NULL, 10);
	else if (migrate_version(db, "host") < AUDIT_KEYED_STEP)
		from = INT64_MAX; /* not upgraded yet: all plain */
	db_finish(st);
	return from > 0 ? from : 1;
}

/* Walks the chain; *bad_id the first broken entry. With want > 0, the
 * hash of the entry at position `want` (1-based) goes to want_hash. */
static int64_t
audit_walk(jx_db *db, int64_t *bad_id, int64_t want,
           char want_hash[CRYPTO_DIGEST_HEX])
{
	char prev[CRYPTO_DIGEST_HEX] = "genesis", hash[CRYPTO_DIGEST_HEX];
	int64_t n = 0, from = audit_keyed_from(db);
	jx_stmt *st;

	*bad_id = 0;
	if (from < 0)
		return -1;
	st = db_query(db,
	              "SELECT id, at, account_id, identity_id, action, "
	              "target, detail, ip, prev_hash, hash "
	              "FROM audit_log ORDER BY id",
	              "");
	if (st == NULL)
		return -1;
	while (db_step(st) == JX_DB_ROW) {
		audit_hash(db_int(st, 0) >= from, prev, db_int(st, 1),
		           db_int(st, 2), db_int(st, 3), db_text(st, 4),
		           db_text(st, 5), db_text(st, 6), db_text(st, 7),
		           hash);
		if (strcmp(db_text(st, 8), prev) != 0 ||
		    strcmp(db_text(st, 9), hash) != 0) {
			*bad_id = db_int(st, 0);
			break;
		}
		snprintf(prev, sizeof(prev), "%s", hash);
		if (++n == want)
			snprintf(want_hash, CRYPTO_DIGEST_HEX, "%s", hash);
	}
	db_finish(st);
	return n;
}

int64_t
audit_verify(jx_db *db, int64_t *bad_id)
{
	return audit_walk(db, bad_id, 0, NULL);
}

static void
audit_checkpoint_mac(int64_t count, const char *hash,
                     char out[CRYPTO_DIGEST_HEX])
{
	char text[160];

	/* Its own prefix: no chain input starts like this. */
	snprintf(text, sizeof(text), AUDIT_CHECKPOINT_MAGIC "|%lld|%s",
	         (long long)count, hash);
	crypto_audit_mac(text, out);
}

static int
audit_checkpoint_write(const char *path, int64_t count, const char *hash)
{
	char tmp[4200], mac[CRYPTO_DIGEST_HEX], text[256];
	int fd, len;

	audit_checkpoint_mac(count, hash, mac);
	len = snprintf(text, sizeof(text),
	               AUDIT_CHECKPOINT_MAGIC "\ncount %lld\nhash %s\nmac %s\n",
	               (long long)count, hash, mac);
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	/* mkstemp creates the file 0600; write, sync, then rename over the
	 * old one: a reader sees the old checkpoint or the new, whole. */
	fd = mkstemp(tmp);
	if (fd < 0)
		return -1;
	if (write(fd, text, (size_t)len) != len || fsync(fd) != 0) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

void
audit_checkpoint(jx_db *db)
{
	const char *file = db_path(db);
	char path[4096], hash[CRYPTO_DIGEST_HEX] = "";
	int64_t count = 0;
	jx_stmt *st;

	if (file == NULL || *file == '\0')
		return; /* an in-memory database */
	snprintf(path, sizeof(path), "%s" AUDIT_CHECKPOINT_SUFFIX, file);
	pthread_mutex_lock(&ckp.mu);
	if (strcmp(ckp.path, path) != 0) {
		snprintf(ckp.path, sizeof(ckp.path), "%s", path);
		ckp.count = 0;
	}
	/* Ids are dense (rows are never deleted, and a rolled-back insert
	 * gives its rowid back), so the head's id is the entry count. Read
	 * under the mutex, the heads come in commit order. */
	st = db_query(
	    db, "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1", "");
	if (st != NULL && db_step(st) == JX_DB_ROW) {
		count = db_int(st, 0);
		snprintf(hash, sizeof(hash), "%s", db_text(st, 1));
	}
	db_finish(st);
	if (count > ckp.count) {
		if (audit_checkpoint_write(path, count, hash) == 0)
			ckp.count = count;
		else
			/* It lags until the next commit writes it: never a
			 * false alarm, only a shorter guarantee. */
			jx_log(JX_LOG_ERROR, "audit",
			       "cannot write the checkpoint %s: %s", path,
			       strerror(errno));
	}
	pthread_mutex_unlock(&ckp.mu);
}

/* Reads and authenticates a checkpoint: 0 read, 1 missing, -1 not a
 * valid checkpoint (edited, or written without the key). */
static int
audit_checkpoint_read(const char *path, int64_t *count,
                      char hash[CRYPTO_DIGEST_HEX])
{
	char text[512], mac[CRYPTO_DIGEST_HEX], want[CRYPTO_DIGEST_HEX];
	long long n;
	FILE *f = fopen(path, "re");
	size_t len;

	if (f == NULL)
		return errno == ENOENT ? 1 : -1;
	len = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[len] = '\0';
	if (sscanf(text,
	           AUDIT_CHECKPOINT_MAGIC "\ncount %lld\nhash %64s\nmac "
	                                  "%64s\n",
	           &n, hash, mac) != 3 ||
	    n <= 0)
		return -1;
	audit_checkpoint_mac(n, hash, want);
	if (!crypto_equal(mac, want))
		return -1;
	*count = n;
	return 0;
}

int
audit_check(jx_db *db, char *msg, size_t msglen)
{
	const char *file = db_path(db);
	char path[4096], hash[CRYPTO_DIGEST_HEX], at[CRYPTO_DIGEST_HEX] = "";
	int64_t count = 0, n, bad;
	int rc;

	snprintf(path, sizeof(path), "%s" AUDIT_CHECKPOINT_SUFFIX,
	         file ? file : "");
	rc = audit_checkpoint_read(path, &count, hash);
	n = audit_walk(db, &bad, rc == 0 ? count : 0, at);
	if (n < 0) {
		snprintf(msg, msglen, "cannot read the audit log");
		return -1;
	}
	if (bad != 0) {
		snprintf(msg, msglen,
		         "audit log BROKEN at entry %lld (%lld entries before "
		         "it verified)",
		         (long long)bad, (long long)n);
		return 1;
	}
	if (rc < 0) {
		snprintf(msg, msglen,
		         "audit log BROKEN: the checkpoint %s is not valid "
		         "(edited, or not written with this key)",
		         path);
		return 1;
	}
	if (rc == 0 && n < count) {
		snprintf(msg, msglen,
		         "audit log BROKEN: %lld entries, but the checkpoint "
		         "counted %lld: the newest entries were removed",
		         (long long)n, (long long)count);
		return 1;
	}
	if (rc == 0 && strcmp(at, hash) != 0) {
		snprintf(msg, msglen,
		         "audit log BROKEN: entry %lld is not the one the "
		         "checkpoint recorded",
		         (long long)count);
		return 1;
	}
	if (rc == 1 && n > 0 && n >= audit_keyed_from(db)) {
		/* A keyed entry was committed but no checkpoint exists: it
		 * was deleted (or the process died before its first write). */
		snprintf(msg, msglen,
		         "audit log UNVERIFIED: %lld entries chain, but the "
		         "checkpoint %s is missing, so removed newest entries "
		         "would not show",
		         (long long)n, path);
		return 1;
	}
	snprintf(msg, msglen,
	         "audit log intact: %lld entries verified (checkpoint: %lld)",
	         (long long)n, (long long)count);
	return 0;
}
