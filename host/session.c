/*
 * session.c — login sessions. The cookie carries 256 random bits; the
 * database keeps only their SHA-256, so a copy of the database does not
 * hold usable sessions. Every login gets a fresh token (no fixation).
 */
#include "crypto.h"
#include "host.h"

#include <stdio.h>

int
session_create(jx_db *db, int64_t account_id, int64_t identity_id,
               char token[65], char csrf[65])
{
	char digest[CRYPTO_DIGEST_HEX];
	int64_t now = jx_now();

	crypto_token(token, 32);
	crypto_token(csrf, 32);
	crypto_digest(token, digest);
	/* Expired sessions of this account go with each login. */
	db_exec(db,
	        "DELETE FROM sessions WHERE account_id = ? AND "
	        "(last_seen_at < ? OR created_at < ?)",
	        "iii", account_id,
	        now - config_int(&app.cfg, "session.idle_minutes", 30) * 60,
	        now -
	            config_int(&app.cfg, "session.absolute_hours", 12) * 3600);
	if (db_exec(db,
	            "INSERT INTO sessions(token_hash, account_id, identity_id, "
	            "csrf_token, created_at, last_seen_at) "
	            "VALUES (?, ?, NULLIF(?, 0), ?, ?, ?)",
	            "siisii", digest, account_id, identity_id, csrf, now,
	            now) != 1)
		return -1;
	return 0;
}

const char *
session_cookie(jx_req *req, const char *token)
{
	const char *secure = config_bool(&app.cfg, "tls", 0) ? "; Secure" : "";

	if (token == NULL)
		return arena_sprintf(req->arena,
		                     "jx_session=; Path=/; HttpOnly; "
		                     "SameSite=Lax; Max-Age=0%s",
		                     secure);
	return arena_sprintf(req->arena,
	                     "jx_session=%s; Path=/; HttpOnly; SameSite=Lax%s",
	                     token, secure);
}
