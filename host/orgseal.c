/*
 * orgseal.c — ID numbers and the 全国学籍号 that embed one, as stored:
 * sealed, found by a keyed hash, shown masked; and the sealing of the
 * 全国学籍号 stored in clear before host migration 11. Called by the
 * service table (orgsvc.c) and by the lifecycle writes (orglife.c), so
 * that neither calls the other.
 */
#include "crypto.h"
#include "host.h"
#include "org.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int
org_id_seal(const char *id, char **sealed, char hash[65], char *masked,
            size_t masked_len)
{
	*sealed = crypto_seal(id);
	if (*sealed == NULL)
		return -1;
	crypto_lookup_hash(id, hash);
	org_id_mask(id, masked, masked_len);
	return 0;
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

int
org_national_seal(const char *no, char **sealed, char hash[65], char *shown,
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
			    org_national_seal(norm, &sealed, hash, shown,
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
