/*
 * audit.c — the append-only, hash-chained audit log of sensitive actions
 * (logins, password changes and resets, identity switches, reveals, rule
 * changes, imports). Each row's hash covers its fields and the previous
 * row's hash, so editing or deleting a row breaks the chain from there
 * on; triggers refuse UPDATE and DELETE in the first place.
 */
#include "crypto.h"
#include "host.h"

#include <stdio.h>
#include <string.h>

static void
audit_hash(const char *prev, int64_t at, int64_t account, int64_t identity,
           const char *action, const char *target, const char *detail,
           const char *ip, char out[CRYPTO_DIGEST_HEX])
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
	 * writers could chain onto the same row. */
	if (own && db_begin(db) != 0)
		return -1;
	st = db_query(db, "SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1",
	              "");
	if (st == NULL)
		goto fail;
	if (db_step(st) == JX_DB_ROW)
		snprintf(prev, sizeof(prev), "%s", db_text(st, 0));
	db_finish(st);
	audit_hash(prev, at, account, identity, action, target, detail, ip,
	           hash);
	if (db_exec(
	        db,
	        "INSERT INTO audit_log(at, account_id, identity_id, action, "
	        "target, detail, ip, prev_hash, hash) "
	        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
	        "iiissssss", at, account, identity, action, target, detail, ip,
	        prev, hash) != 1)
		goto fail;
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

int64_t
audit_verify(jx_db *db, int64_t *bad_id)
{
	char prev[CRYPTO_DIGEST_HEX] = "genesis", hash[CRYPTO_DIGEST_HEX];
	jx_stmt *st =
	    db_query(db,
	             "SELECT id, at, account_id, identity_id, action, "
	             "target, detail, ip, prev_hash, hash "
	             "FROM audit_log ORDER BY id",
	             "");
	int64_t n = 0;

	*bad_id = 0;
	if (st == NULL)
		return -1;
	while (db_step(st) == JX_DB_ROW) {
		audit_hash(prev, db_int(st, 1), db_int(st, 2), db_int(st, 3),
		           db_text(st, 4), db_text(st, 5), db_text(st, 6),
		           db_text(st, 7), hash);
		if (strcmp(db_text(st, 8), prev) != 0 ||
		    strcmp(db_text(st, 9), hash) != 0) {
			*bad_id = db_int(st, 0);
			break;
		}
		snprintf(prev, sizeof(prev), "%s", hash);
		n++;
	}
	db_finish(st);
	return n;
}
