/*
 * orgsvc.c — the organisation service table handed to plugins (jx/org.h)
 * and ID-number sealing. Rules need a Lua state: the calling thread's
 * (thread_lua: a request worker's, the job thread's, a delivery
 * worker's).
 *
 * Layering: a thin table over org.c, identity.c (grade labels),
 * crypto.c and thread.c; only hostapi.c (the host table's service) and
 * the command line call it, so no request or thread code depends on it.
 */
#include "crypto.h"
#include "host.h"
#include "luaenv.h"
#include "org.h"

#include <jx/org.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* plugin.c lends the loader's connection to a plugin's init as the
 * thread's (thread_db): kept for the loader until it calls thread_begin
 * and thread_end itself. */
void
orgsvc_set_db(jx_db *db)
{
	static _Thread_local struct thread *lent;

	if (db != NULL) {
		lent = thread_begin(db, 0);
	} else {
		thread_end(lent);
		lent = NULL;
	}
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

int
org_national_norm(const char *value, char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)(value ? value : "");
	size_t k = 0;

	if (outlen == 0)
		return -1;
	while (*p) {
		unsigned c = *p;

		if (c == ' ' || c == '\t') {
			p++;
			continue;
		}
		if (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80) {
			p += 3; /* U+3000, the ideographic space */
			continue;
		}
		/* U+FF01..U+FF5E, full-width ASCII */
		if (p[0] == 0xef && (p[1] == 0xbc || p[1] == 0xbd) &&
		    p[2] >= 0x80 && p[2] <= 0xbf) {
			unsigned cp = 0xff00u + ((p[1] & 0x3fu) << 6) +
			              (p[2] & 0x3fu) - 0xf00u;

			if (cp >= 0xff01 && cp <= 0xff5e) {
				c = cp - 0xfee0u;
				p += 2;
			}
		}
		if (c >= 'a' && c <= 'z')
			c -= 'a' - 'A';
		if (k + 1 >= outlen) {
			out[0] = '\0';
			return -1;
		}
		out[k++] = (char)c;
		p++;
	}
	out[k] = '\0';
	return 0;
}

int
org_national_embeds_id(const char *no)
{
	int digits = 0;

	if (no == NULL || *no == '\0')
		return 0;
	for (const char *p = no; *p; p++)
		digits += *p >= '0' && *p <= '9';
	return digits >= 14 && (no[0] == 'G' || (no[0] >= '0' && no[0] <= '9'));
}

void
org_national_mask(const char *no, char *out, size_t outlen)
{
	if (outlen == 0)
		return;
	if (!org_national_embeds_id(no)) {
		snprintf(out, outlen, "%s", no ? no : "");
		return;
	}
	if (no[0] >= '0' && no[0] <= '9') {
		org_id_mask(no, out, outlen);
		return;
	}
	/* The letter, then the embedded ID number masked as the ID number
	 * itself is: the two never show more together than one does. */
	if (outlen < 2) {
		out[0] = '\0';
		return;
	}
	out[0] = no[0];
	org_id_mask(no + 1, out + 1, outlen - 1);
}

static int
orgsvc_national_seal(const char *no, char **sealed, char hash[65], char *shown,
                     size_t shown_len)
{
	*sealed = NULL;
	if (org_national_embeds_id(no) && (*sealed = crypto_seal(no)) == NULL)
		return -1;
	crypto_lookup_hash(no, hash);
	org_national_mask(no, shown, shown_len);
	return 0;
}

/*
 * Seals the 全国学籍号 stored in clear before host migration 11: for each
 * student with a value and no hash yet, the normalised value's hash and
 * shown form, and for one that embeds an ID number its sealed copy in
 * place of the clear one. Batches of 2,000 rows, each a transaction, so
 * a crash resumes where it stopped. The caller turns secure_delete on
 * (the replaced cells, the table's and the old unique index's, are
 * zeroed) and checkpoints afterwards, so that no clear copy stays on
 * disk. Clears the flag when done. 0, or -1.
 */
int
org_national_seal_existing(jx_db *db)
{
	int64_t done = 0, skipped = 0, last = 0;
	int pending, rc = -1;

	pending = (int)db_one(db,
	                      "SELECT COUNT(*) FROM host_meta WHERE key = "
	                      "'national_no_sealing'",
	                      "");
	if (pending <= 0)
		return pending < 0 ? -1 : 0;
	for (;;) {
		static const int batch = 2000;
		int64_t ids[2000];
		char *values[2000];
		int n = 0, bad = 0;
		jx_stmt *st =
		    db_query(db,
		             "SELECT person_id, national_no FROM "
		             "students WHERE national_no_hash IS NULL "
		             "AND national_no IS NOT NULL AND "
		             "person_id > ? ORDER BY person_id LIMIT "
		             "2000",
		             "i", last);

		if (st == NULL)
			goto out;
		while (n < batch && db_step(st) == JX_DB_ROW) {
			ids[n] = db_int(st, 0);
			values[n] = strdup(db_text(st, 1));
			if (values[n] == NULL)
				break;
			n++;
		}
		db_finish(st);
		if (n == 0)
			break;
		bad = db_begin(db) != 0;
		for (int i = 0; i < n && !bad; i++) {
			char norm[128], hash[65], shown[128], *sealed = NULL;

			last = ids[i];
			if (org_national_norm(values[i], norm, sizeof(norm)) !=
			        0 ||
			    orgsvc_national_seal(norm, &sealed, hash, shown,
			                         sizeof(shown)) != 0) {
				bad = 1;
				break;
			}
			/* The same number twice (once in another case), or
			 * nothing but spaces: the later row is sealed all the
			 * same, without its hash, and reported to be fixed. */
			if (norm[0] == '\0' ||
			    db_one(db,
			           "SELECT COUNT(*) FROM students WHERE "
			           "national_no_hash = ?",
			           "s", hash) != 0) {
				jx_log(
				    JX_LOG_WARN, "host",
				    "student %lld: the 全国学籍号 is empty or "
				    "another student's too: sealed without its "
				    "lookup hash",
				    (long long)ids[i]);
				hash[0] = '\0';
				skipped++;
			}
			if (db_exec(
			        db,
			        "UPDATE students SET national_no = ?, "
			        "national_no_enc = ?, national_no_hash = ?, "
			        "national_no_masked = ? WHERE person_id = ?",
			        "ssssi", sealed || !norm[0] ? NULL : norm,
			        sealed, hash[0] ? hash : NULL,
			        norm[0] ? shown : NULL, ids[i]) != 1)
				bad = 1;
			else
				done++;
			free(sealed);
			memset(norm, 0, sizeof(norm));
		}
		for (int i = 0; i < n; i++) {
			memset(values[i], 0, strlen(values[i]));
			free(values[i]);
		}
		if (bad) {
			db_rollback(db);
			goto out;
		}
		if (db_commit(db) != 0)
			goto out;
	}
	if (db_exec(db,
	            "DELETE FROM host_meta WHERE key = "
	            "'national_no_sealing'",
	            "") < 0)
		goto out;
	if (done > 0 || skipped > 0)
		jx_log(JX_LOG_INFO, "host",
		       "sealed %lld stored 全国学籍号 (%lld without a hash)",
		       (long long)done, (long long)skipped);
	rc = 0;
out:
	if (rc != 0)
		jx_log(JX_LOG_ERROR, "host",
		       "sealing the stored 全国学籍号 failed: %s",
		       db_errmsg(db));
	return rc;
}

/* The service's functions that write host tables run as the host
 * (host_enter): plugin code calls them. */
static int64_t
orgsvc_adult(jx_db *db, const char *name, const char *phone, const char *gender,
             char *err, size_t errlen)
{
	int h = host_enter();
	int64_t id = org_adult(db, name, phone, gender, err, errlen);

	host_leave(h);
	return id;
}

static int64_t
orgsvc_account(jx_db *db, int64_t district, int64_t person, const char *login,
               const char *role, const char *phone, char *initial,
               size_t initial_len, char *err, size_t errlen)
{
	int h = host_enter();
	int64_t id =
	    org_account(db, thread_lua(), district, person, login, role, phone,
	                initial, initial_len, err, errlen);

	host_leave(h);
	return id;
}

static int64_t
orgsvc_identity(jx_db *db, int64_t account, const char *role, int64_t district,
                int64_t school, int64_t student, char *err, size_t errlen)
{
	int h = host_enter();
	int64_t id = org_identity(db, account, role, district, school, student,
	                          err, errlen);

	host_leave(h);
	return id;
}

static int
orgsvc_student_login(jx_db *db, char out[16])
{
	int h = host_enter(), rc = org_student_login(db, out);

	host_leave(h);
	return rc;
}

static int
orgsvc_reset(jx_db *db, int64_t account, char *out, size_t outlen, char *err,
             size_t errlen)
{
	int h = host_enter(), rc = org_reset_password(db, thread_lua(), account,
	                                              out, outlen, err, errlen);

	host_leave(h);
	return rc;
}

static int
orgsvc_rules_check(jx_db *db, int64_t district, const char *source, char *err,
                   size_t errlen)
{
	int h = host_enter(), rc = org_rules_check(db, thread_lua(), district,
	                                           source, err, errlen);

	host_leave(h);
	return rc;
}

/* Reads the sealed initial password, which plugin code may not. */
static char *
orgsvc_initial_password(jx_db *db, int64_t account)
{
	int h = host_enter();
	char *pw = org_initial_password(db, account);

	host_leave(h);
	return pw;
}

static int
orgsvc_identity_linked(jx_db *db, int64_t person, const char *role,
                       int64_t school, int64_t district)
{
	int h = host_enter(),
	    rc = org_identity_linked(db, person, role, school, district);

	host_leave(h);
	return rc;
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
    .grade_label = identity_grade_label,
    .adult = orgsvc_adult,
    .account = orgsvc_account,
    .identity = orgsvc_identity,
    .student_login = orgsvc_student_login,
    .reset_password = orgsvc_reset,
    .initial_password = orgsvc_initial_password,
    .id_seal = orgsvc_id_seal,
    .id_open = orgsvc_id_open,
    .lookup_hash = orgsvc_lookup_hash,
    .id_mask = org_id_mask,
    .rules_check = orgsvc_rules_check,
    .person_within = org_person_within,
    .identity_linked = orgsvc_identity_linked,
    .national_norm = org_national_norm,
    .national_embeds_id = org_national_embeds_id,
    .national_mask = org_national_mask,
    .national_seal = orgsvc_national_seal,
    .person_update = orglife_person_update,
    .student_create = orglife_student_create,
    .student_update = orglife_student_update,
    .student_number = orglife_student_number,
    .student_leave = orglife_student_leave,
    .student_readmit = orglife_student_readmit,
    .teacher_post = orglife_teacher_post,
    .teacher_leave = orglife_teacher_leave,
    .teaching_set = orglife_teaching_set,
    .class_create = orglife_class_create,
    .class_update = orglife_class_update,
    .class_head = orglife_class_head,
    .class_delete = orglife_class_delete,
    .guardian_bind = orglife_guardian_bind,
    .guardian_unbind = orglife_guardian_unbind,
};
