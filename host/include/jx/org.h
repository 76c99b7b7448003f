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

/*
 * A student's row for org->student_create and student_update (ABI 2.0).
 * The numbers are given as stored: id_* from id_seal, national_* from
 * national_norm and national_seal (national_no is the clear value only
 * when national_enc is NULL). NULL (0 for ids) means none on create and
 * "keep" on update.
 */
struct jx_org_student {
	size_t size; /* sizeof(struct jx_org_student) of the plugin */
	const char *name, *gender;
	int64_t school, klass;
	const char *city_no;
	const char *id_enc, *id_hash, *id_masked;
	const char *national_no, *national_enc, *national_hash,
	    *national_masked;
};

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
	 * -1 with the reason in err: in Chinese, then after its NUL in
	 * English where errlen leaves room (a reply shows the one of its
	 * language). On a request thread only. */
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

	/* ---- ABI 2.0: the writes to the org tables ------------------------
	 * The host owns these tables (docs/host-schema.md): plugins read
	 * them, and change them only through the functions below. Each runs
	 * in the caller's transaction; the plugin checks scope and input
	 * first (host->may), the host keeps the rows consistent (leaving ends
	 * the identities and their sessions). 0 / an id on success, -1 on
	 * failure (host->db_errmsg tells). */
	/* The person's name and gender; NULL keeps a value. The number of
	 * rows changed (0: both were already so), -1 on error. */
	int64_t (*person_update)(jx_db *db, int64_t person, const char *name,
	                         const char *gender);
	/* A new student (person and student row) in s->school and
	 * s->klass: the person id, or -1. The account and identity follow
	 * with account and identity. */
	int64_t (*student_create)(jx_db *db, const struct jx_org_student *s);
	/* Changes a student: every non-NULL (non-zero) field of s; the
	 * 全国学籍号's columns together when s->national_hash is set. Moves
	 * classes (s->klass); a move to another school is student_readmit.
	 * 0, or -1 (no such student). */
	int (*student_update)(jx_db *db, int64_t student,
	                      const struct jx_org_student *s);
	/* Sets one number of a student from its clear value: field is
	 * "id_number", "national_no" (normalised) or "city_no"; NULL or ""
	 * clears it. The host seals and hashes. 0 or -1. */
	int (*student_number)(jx_db *db, int64_t student, const char *field,
	                      const char *value);
	/* The student leaves school (reason kept): the student's and the
	 * parents' identities for this child end and their sessions are
	 * deleted; the records stay. 0, or -1 when not in school. */
	int (*student_leave)(jx_db *db, int64_t student, const char *reason);
	/* A student comes back or transfers in: in school at school, in
	 * klass (0: none yet), the student's identity there and the
	 * identities of the parents still linked active again. 0, or -1
	 * with the reason in err. */
	int (*student_readmit)(jx_db *db, int64_t student, int64_t school,
	                       int64_t klass, char *err, size_t errlen);
	/* A teacher's post at school, created or back in school; subject
	 * NULL keeps it; display_name is the school's name for a teacher
	 * whose own record it may not change (NULL: none). 0 or -1. */
	int (*teacher_post)(jx_db *db, int64_t teacher, int64_t school,
	                    const char *subject, const char *display_name);
	/* The teacher leaves school: the teacher identity there ends, its
	 * sessions are deleted, the classes taught and headed there are
	 * let go. 0, or -1 when not in school there. */
	int (*teacher_leave)(jx_db *db, int64_t teacher, int64_t school);
	/* The classes the teacher teaches at school become exactly
	 * classes[0..n) (ids of other schools are ignored). 0 or -1. */
	int (*teaching_set)(jx_db *db, int64_t teacher, int64_t school,
	                    const int64_t *classes, int n);
	/* A class of school: its id, or -1 (also when grade and name are
	 * taken). head is a teacher's person id or 0. */
	int64_t (*class_create)(jx_db *db, int64_t school, int grade,
	                        const char *name, int64_t head);
	/* Renames, regrades and sets the head teacher (0: none). 0 or -1. */
	int (*class_update)(jx_db *db, int64_t klass, int grade,
	                    const char *name, int64_t head);
	/* Makes teacher the head of klass if klass is of school: 1 changed,
	 * 0 already so (or not of school), -1 on error. */
	int64_t (*class_head)(jx_db *db, int64_t klass, int64_t school,
	                      int64_t teacher);
	/* Deletes a class without students in school: the students who
	 * left lose their link to it, its teaching posts go. 0 or -1. */
	int (*class_delete)(jx_db *db, int64_t klass);
	/* Links parent to student (relation NULL keeps the stored one;
	 * display_name as for teacher_post). 0 or -1. */
	int (*guardian_bind)(jx_db *db, int64_t parent, int64_t student,
	                     const char *relation, const char *display_name);
	/* Removes the link: the parent's identity for the child ends and
	 * its sessions are deleted; the account and other children stay.
	 * 0, or -1 when there was no link. */
	int (*guardian_unbind)(jx_db *db, int64_t parent, int64_t student);

	/* ---- issue 14: adults' activation (test with size) ----------------
	 */
	/* Where an account stands (API.md, teachers and parents):
	 * "active" (a password of the holder's own is set), "expired" (only
	 * an initial password on record, past its validity), "pending"
	 * (neither yet: an initial password to use, or activation by SMS
	 * code); NULL when there is no such account. Static strings. */
	const char *(*activation)(jx_db *db, int64_t account);
	/* 1 when the district can send SMS (the sms plugin active and
	 * enabled there, sms.api_base set): adults then activate by code and
	 * can be sent an activation text. */
	int (*sms_gateway)(jx_db *db, int64_t district);
};

#endif
