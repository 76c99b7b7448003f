/*
 * orgsvc.c — the organisation service table handed to plugins (jx/org.h). Rules
 * need a Lua state: the calling thread's (thread_lua: a request worker's, the
 * job thread's, a delivery worker's).
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
	                                           source, NULL, err, errlen);

	/* the English reason after the Chinese one's NUL, where it fits */
	if (rc != 0 && err != NULL && strlen(err) + 2 < errlen) {
		size_t used = strlen(err) + 1;

		org_rules_check(db, thread_lua(), district, source, "en",
		                err + used, errlen - used);
	}
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

/* Reads accounts' secret columns (whether a password is set, when the
 * initial one expires), which plugin code may not. */
static const char *
orgsvc_activation(jx_db *db, int64_t account)
{
	int h = host_enter();
	jx_stmt *st = db_query(db,
	                       "SELECT password_hash IS NOT NULL, "
	                       "initial_password IS NOT NULL AND "
	                       "initial_expires_at IS NOT NULL AND "
	                       "initial_expires_at <= ? FROM accounts WHERE "
	                       "id = ?",
	                       "ii", jx_now(), account);
	const char *state = NULL;

	if (st != NULL && db_step(st) == JX_DB_ROW)
		state = db_int(st, 0)   ? "active"
		        : db_int(st, 1) ? "expired"
		                        : "pending";
	db_finish(st);
	host_leave(h);
	return state;
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
    .id_seal = org_id_seal,
    .id_open = orgsvc_id_open,
    .lookup_hash = orgsvc_lookup_hash,
    .id_mask = org_id_mask,
    .rules_check = orgsvc_rules_check,
    .person_within = org_person_within,
    .identity_linked = orgsvc_identity_linked,
    .national_norm = org_national_norm,
    .national_embeds_id = org_national_embeds_id,
    .national_mask = org_national_mask,
    .national_seal = org_national_seal,
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
    .activation = orgsvc_activation,
    .sms_gateway = org_sms_gateway,
};
