/*
 * orgsvc.c — the organisation service table handed to plugins (jx/org.h)
 * and ID-number sealing. Rules need a Lua state: the calling thread's
 * (a request worker's, or the job thread's).
 */
#include "crypto.h"
#include "host.h"
#include "luaenv.h"
#include "org.h"

#include <jx/org.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local struct luaenv *orgsvc_lua;
static _Thread_local jx_db *orgsvc_db;

void
orgsvc_set_lua(struct luaenv *L)
{
	orgsvc_lua = L;
}

void
orgsvc_set_db(jx_db *db)
{
	orgsvc_db = db;
}

jx_db *
orgsvc_get_db(void)
{
	return orgsvc_db;
}

struct luaenv *
orgsvc_get_lua(void)
{
	return orgsvc_lua;
}

struct luaenv *
orgsvc_thread_begin(jx_db *db)
{
	struct luaenv_opts lo;

	http_lua_opts(&lo);
	orgsvc_lua = luaenv_new(&lo);
	orgsvc_db = db;
	return orgsvc_lua;
}

void
orgsvc_thread_end(struct luaenv *lua, jx_db *db)
{
	orgsvc_lua = NULL;
	orgsvc_db = NULL;
	if (lua != NULL)
		luaenv_free(lua);
	db_close(db);
}

/* Bytes in the UTF-8 character at s; 1 for a stray or broken byte. */
static size_t
org_char_len(const char *s)
{
	unsigned char c = (unsigned char)*s;
	size_t k = c < 0x80             ? 1
	           : (c & 0xe0) == 0xc0 ? 2
	           : (c & 0xf0) == 0xe0 ? 3
	           : (c & 0xf8) == 0xf0 ? 4
	                                : 1;

	for (size_t i = 1; i < k; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			return 1;
	return k;
}

void
org_id_mask(const char *id, char *out, size_t outlen)
{
	size_t n = 0, k = 0, i = 0, len, clen;
	const char *p, *c;

	if (outlen == 0)
		return;
	if (id == NULL)
		id = "";
	/* Characters, not bytes: a full-width digit is one character. */
	for (p = id; *p; p += org_char_len(p))
		n++;
	for (p = id; *p; p += len, i++) {
		len = org_char_len(p);
		c = p;
		clen = len;
		/* Too short to keep anything: all stars, never the value;
		 * a stray byte is never copied. */
		if (n < 8 || (i >= 3 && i < n - 4) ||
		    (len == 1 && (unsigned char)*p >= 0x80)) {
			c = "*";
			clen = 1;
		}
		if (k + clen >= outlen)
			break;
		memcpy(out + k, c, clen);
		k += clen;
	}
	out[k] = '\0';
}

static int
orgsvc_id_seal(const char *id, char **sealed, char hash[65], char *masked,
               size_t masked_len)
{
	*sealed = crypto_seal(id);
	if (*sealed == NULL)
		return -1;
	crypto_lookup_hash(id, hash);
	org_id_mask(id, masked, masked_len);
	return 0;
}

static char *
orgsvc_id_open(const char *sealed)
{
	return sealed ? crypto_open(sealed) : NULL;
}

static void
orgsvc_lookup_hash(const char *value, char hash[65])
{
	crypto_lookup_hash(value, hash);
}

static int64_t
orgsvc_account(jx_db *db, int64_t district, int64_t person, const char *login,
               const char *role, const char *phone, char *initial,
               size_t initial_len, char *err, size_t errlen)
{
	return org_account(db, orgsvc_lua, district, person, login, role, phone,
	                   initial, initial_len, err, errlen);
}

static int
orgsvc_reset(jx_db *db, int64_t account, char *out, size_t outlen, char *err,
             size_t errlen)
{
	return org_reset_password(db, orgsvc_lua, account, out, outlen, err,
	                          errlen);
}

static int
orgsvc_rules_check(jx_db *db, int64_t district, const char *source, char *err,
                   size_t errlen)
{
	return org_rules_check(db, orgsvc_lua, district, source, err, errlen);
}

char *
org_initial_password(jx_db *db, int64_t account)
{
	jx_stmt *st = db_query(db,
	                       "SELECT initial_password FROM accounts WHERE id "
	                       "= ? AND password_hash IS NULL AND "
	                       "(initial_expires_at IS NULL OR "
	                       "initial_expires_at > ?)",
	                       "ii", account, jx_now());
	char *out = NULL;

	if (st != NULL && db_step(st) == JX_DB_ROW && !db_is_null(st, 0))
		out = crypto_open(db_text(st, 0));
	db_finish(st);
	return out;
}

const struct jx_org_v1 orgsvc_table = {
    .size = sizeof(struct jx_org_v1),
    .phone_valid = org_phone_valid,
    .grade_label = org_grade_label,
    .adult = org_adult,
    .account = orgsvc_account,
    .identity = org_identity,
    .student_login = org_student_login,
    .reset_password = orgsvc_reset,
    .initial_password = org_initial_password,
    .id_seal = orgsvc_id_seal,
    .id_open = orgsvc_id_open,
    .lookup_hash = orgsvc_lookup_hash,
    .id_mask = org_id_mask,
    .rules_check = orgsvc_rules_check,
    .person_within = org_person_within,
    .identity_linked = org_identity_linked,
};
