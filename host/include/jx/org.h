/*
 * jx/org.h — the host's organisation service for plugins, fetched with
 * host->service(JX_ORG_SERVICE). The host owns the org tables (districts,
 * schools, classes, persons, accounts, identities, students, guardians,
 * teachers, teaching); plugins that create people (roster) go through
 * these functions so that one phone is one person and one account, and
 * initial passwords follow the district's rules.
 *
 * Every function runs in the caller's transaction on the given
 * connection and returns an id (> 0), or -1 with a reason in err.
 * Append-only, like struct jx_host.
 */
#ifndef JX_ORG_SERVICE_H
#define JX_ORG_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include <jx/plugin.h>

#define JX_ORG_SERVICE "org.v1"

struct jx_org_v1 {
	size_t size;
	/* 1 for an 11-digit mainland mobile number starting with 1. */
	int (*phone_valid)(const char *phone);
	/* "一年级" ... "九年级", "高一" ... "高三". */
	const char *(*grade_label)(int grade);
	/* The adult with this phone, created if new. */
	int64_t (*adult)(jx_db *db, const char *name, const char *phone,
	                 const char *gender, char *err, size_t errlen);
	/* The person's account, created if missing with login and an
	 * initial password by the district's rules for role. initial (may be
	 * NULL) receives the new initial password, "" when the account existed.
	 */
	int64_t (*account)(jx_db *db, int64_t district, int64_t person,
	                   const char *login, const char *role,
	                   const char *phone, char *initial, size_t initial_len,
	                   char *err, size_t errlen);
	/* An identity, reactivated if it had ended. */
	int64_t (*identity)(jx_db *db, int64_t account, const char *role,
	                    int64_t district, int64_t school, int64_t student,
	                    char *err, size_t errlen);
	/* A new unique student account number (8 digits). 0 or -1. */
	int (*student_login)(jx_db *db, char out[16]);
	/* A fresh initial password for account (reset). 0 or -1. */
	int (*reset_password)(jx_db *db, int64_t account, char *out,
	                      size_t outlen, char *err, size_t errlen);
	/* The account's unused, unexpired initial password (malloc'ed, the
	 * caller frees), or NULL once changed or expired. */
	char *(*initial_password)(jx_db *db, int64_t account);
	/* ID numbers: sealed (malloc'ed, caller frees), its keyed lookup
	 * hash (65 bytes) and the masked form (430***********123X). */
	int (*id_seal)(const char *id, char **sealed, char hash[65],
	               char *masked, size_t masked_len);
	/* The clear ID number (malloc'ed) from id_seal's output, or NULL. */
	char *(*id_open)(const char *sealed);
	/* The keyed lookup hash of an ID number or any value (65 bytes). */
	void (*lookup_hash)(const char *value, char hash[65]);
	/* 430***********123X: the first three and last four characters. */
	void (*id_mask)(const char *id, char *out, size_t outlen);
	/* Checks a district's rule chunk (source) as activation does:
	 * initial passwords shorter than 6 characters, the same for two
	 * people, or predictable without an SMS gateway are refused. 0, or
	 * -1 with the reason in err. On a request thread only. */
	int (*rules_check)(jx_db *db, int64_t district, const char *source,
	                   char *err, size_t errlen);
	/* 1 when every tie of person (identities, teacher posts, children)
	 * is within school: only then may that school change the person's
	 * name or gender. */
	int (*person_within)(jx_db *db, int64_t person, int64_t school);
	/* Tells the holder of person's account that a role at school was
	 * added to it (in the app, and by SMS where their district can
	 * send), audit-logged. 0 or -1. */
	int (*identity_linked)(jx_db *db, int64_t person, const char *role,
	                       int64_t school, int64_t district);

	/* ---- 全国学籍号 that embed an ID number ----------------------------
	 * Stored as students.national_no (clear, only a form without an ID
	 * number), national_no_enc (sealed, a form with one),
	 * national_no_hash (every form: lookup and uniqueness) and
	 * national_no_masked (every form, as shown without a reveal). */
	/* value as stored and looked up: full-width forms made ASCII,
	 * spaces dropped, letters upper-case. 0, or -1 when it does not fit
	 * out (outlen bytes). */
	int (*national_norm)(const char *value, char *out, size_t outlen);
	/* 1 when a normalised 全国学籍号 embeds an ID number: G followed by
	 * at least 14 digits (G + the 18-character ID number, also a broken
	 * one), or no form letter and at least 14 digits (an ID number
	 * entered as the 全国学籍号). J and L numbers hold none. */
	int (*national_embeds_id)(const char *no);
	/* The form shown without a reveal: when no embeds an ID number, its
	 * letter and the ID number's mask (G430***********123X), else no. */
	void (*national_mask)(const char *no, char *out, size_t outlen);
	/* The stored columns of a normalised 全国学籍号: *sealed (malloc'ed,
	 * the caller frees; NULL when it embeds no ID number), its keyed
	 * lookup hash and the shown (masked) form. 0, or -1. */
	int (*national_seal)(const char *no, char **sealed, char hash[65],
	                     char *shown, size_t shown_len);
};

#endif
