/*
 * keyinfo_student.c — one student's key information: read it (ID number
 * masked, an audited reveal), edit it (school admins and head teachers:
 * checked and applied; students and parents: a pending change), the
 * review queue and the review (API.md, "Key information").
 *
 * A change row keeps the old and new value as shown (the ID number
 * masked); the new ID number itself is kept sealed until reviewed.
 */
#include "keyinfo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KI_MAX_VALUE 40

const char *
ki_display(jx_req *req, const char *field, const char *value)
{
	char masked[64];

	if (value == NULL)
		return "";
	if (strcmp(field, "national_no") == 0) {
		char norm[64];

		if (ki_org->national_norm(value, norm, sizeof(norm)) != 0)
			return "";
		ki_org->national_mask(norm, masked, sizeof(masked));
		return jx_host->strdup(req, masked);
	}
	if (strcmp(field, "id_number") != 0)
		return jx_host->strdup(req, value);
	ki_org->id_mask(value, masked, sizeof(masked));
	return jx_host->strdup(req, masked);
}

/* A field kept sealed, and so revealed only through the audited reveal:
 * the ID number, and a 全国学籍号 that embeds one. */
static int
ki_sealed_field(const char *field, const char *value)
{
	char norm[64];

	if (strcmp(field, "id_number") == 0)
		return 1;
	return strcmp(field, "national_no") == 0 && value != NULL &&
	       ki_org->national_norm(value, norm, sizeof(norm)) == 0 &&
	       ki_org->national_embeds_id(norm);
}

static const char *
ki_value(const struct ki_student *s, const char *field)
{
	if (strcmp(field, "national_no") == 0)
		return s->national_no;
	if (strcmp(field, "city_no") == 0)
		return s->city_no;
	return s->id_number;
}

static char **
ki_slot(struct ki_student *s, const char *field)
{
	if (strcmp(field, "national_no") == 0)
		return &s->national_no;
	if (strcmp(field, "city_no") == 0)
		return &s->city_no;
	return &s->id_number;
}

static const char *
ki_class_name(jx_req *req, jx_db *db, int64_t klass)
{
	jx_stmt *st;
	const char *out = "";

	if (klass <= 0)
		return out;
	st = jx_host->db_query(
	    db, "SELECT grade, name FROM classes WHERE id = ?", "i", klass);
	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW)
		out = jx_host->sprintf(
		    req, "%s%s",
		    ki_org->grade_label((int)jx_host->db_int(st, 0)),
		    jx_host->db_text(st, 1));
	jx_host->db_finish(st);
	return out;
}

/* The acting identity submits for review: the student, or a parent
 * acting for this child. */
static int
ki_is_family(jx_req *req, int64_t student)
{
	const struct jx_identity *i = jx_host->identity(req);

	return i != NULL && i->student_id == student &&
	       (strcmp(i->role, "student") == 0 ||
	        strcmp(i->role, "parent") == 0);
}

/* Reveal of the ID number: as for students (roster), school admins of
 * the school and district admins of the district. */
static int
ki_may_reveal(jx_req *req, int64_t school)
{
	return jxp_role(jx_host, req, "school_admin,district_admin") &&
	       jx_host->may(req, JX_MANAGE_SCHOOL, school);
}

/* The reply of GET (and of PUT by a manager). reveal: the field shown
 * in clear ("id_number", "national_no") or NULL. */
static cJSON *
ki_card(jx_req *req, jx_db *db, struct ki_student *s, const char *reveal)
{
	cJSON *o = cJSON_CreateObject(), *fields, *f;
	int64_t version = 0;
	char err[512];
	jx_stmt *st;

	cJSON_AddNumberToObject(o, "student_id", (double)s->id);
	cJSON_AddStringToObject(o, "name", s->name ? s->name : "");
	cJSON_AddNumberToObject(o, "school_id", (double)s->school);
	cJSON_AddStringToObject(o, "class_name",
	                        ki_class_name(req, db, s->klass));
	/* Checked now, with the rules this request sees (unless the edit
	 * just checked the values shown). */
	if (s->problems == NULL)
		ki_check_batch(db, s->district, NULL, s, 1, 1, &version, err,
		               sizeof(err));
	cJSON_AddNumberToObject(o, "rules_version", (double)s->version);
	fields = cJSON_AddObjectToObject(o, "fields");
	for (int k = 0; k < KI_NFIELDS; k++) {
		const char *v = ki_value(s, ki_fields[k]);

		f = cJSON_AddObjectToObject(fields, ki_fields[k]);
		if (v == NULL)
			cJSON_AddNullToObject(f, "value");
		else if (reveal && strcmp(ki_fields[k], reveal) == 0)
			cJSON_AddStringToObject(f, "value", v);
		else
			cJSON_AddStringToObject(
			    f, "value", ki_display(req, ki_fields[k], v));
		/* a masked value: the edit form starts empty (kept) */
		cJSON_AddBoolToObject(
		    f, "masked",
		    v != NULL &&
		        !(reveal && strcmp(ki_fields[k], reveal) == 0) &&
		        ki_sealed_field(ki_fields[k], v));
		cJSON_AddStringToObject(f, "label",
		                        ki_field_label(ki_fields[k]));
		cJSON_AddStringToObject(f, "status",
		                        v != NULL ? "approved" : "missing");
	}
	/* The latest decided change per field: a rejection's reason is
	 * shown; a missing field whose submission was rejected is
	 * "rejected". Then the pending ones, which win. */
	st = jx_host->db_query(
	    db,
	    "SELECT field, status, reason FROM keyinfo_changes "
	    "WHERE student_id = ? AND status IN ('approved', "
	    "'rejected') ORDER BY id",
	    "i", s->id);
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		f = cJSON_GetObjectItem(fields, jx_host->db_text(st, 0));
		if (f == NULL)
			continue;
		cJSON_DeleteItemFromObject(f, "rejected_reason");
		if (strcmp(jx_host->db_text(st, 1), "rejected") == 0) {
			cJSON_AddStringToObject(f, "rejected_reason",
			                        jx_host->db_text(st, 2)
			                            ? jx_host->db_text(st, 2)
			                            : "");
			if (cJSON_IsNull(cJSON_GetObjectItem(f, "value")))
				cJSON_ReplaceItemInObject(
				    f, "status",
				    cJSON_CreateString("rejected"));
		} else if (!cJSON_IsNull(cJSON_GetObjectItem(f, "value"))) {
			cJSON_ReplaceItemInObject(
			    f, "status", cJSON_CreateString("approved"));
		}
	}
	jx_host->db_finish(st);
	st = jx_host->db_query(
	    db,
	    "SELECT field, new_value, id FROM keyinfo_changes "
	    "WHERE student_id = ? AND status = 'pending' ORDER "
	    "BY id",
	    "i", s->id);
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		f = cJSON_GetObjectItem(fields, jx_host->db_text(st, 0));
		if (f == NULL)
			continue;
		cJSON_ReplaceItemInObject(f, "status",
		                          cJSON_CreateString("pending"));
		cJSON_DeleteItemFromObject(f, "pending_value");
		cJSON_DeleteItemFromObject(f, "change_id");
		cJSON_AddStringToObject(f, "pending_value",
		                        jx_host->db_text(st, 1));
		cJSON_AddNumberToObject(f, "change_id",
		                        (double)jx_host->db_int(st, 2));
	}
	jx_host->db_finish(st);
	ki_problems_localize(req, s->problems);
	cJSON_AddItemToObject(o, "problems", s->problems);
	s->problems = NULL;
	cJSON_AddBoolToObject(o, "can_edit",
	                      jx_host->may(req, JX_MANAGE_STUDENT, s->id));
	cJSON_AddBoolToObject(o, "can_submit", ki_is_family(req, s->id));
	cJSON_AddBoolToObject(o, "can_reveal", ki_may_reveal(req, s->school));
	cJSON_AddBoolToObject(o, "id_number_revealed",
	                      reveal && strcmp(reveal, "id_number") == 0);
	cJSON_AddBoolToObject(o, "national_no_revealed",
	                      reveal && strcmp(reveal, "national_no") == 0);
	cJSON_AddBoolToObject(
	    o, "national_no_sealed",
	    s->national_no != NULL &&
	        ki_sealed_field("national_no", s->national_no));
	return o;
}

/* The student of {id} if the identity may see them: 0, or the status
 * replied (404). */
static int
ki_student_of(jx_req *req, jx_db *db, struct ki_student *s)
{
	int64_t id = jx_host->req_param_id(req, "id");

	memset(s, 0, sizeof(*s));
	if (id <= 0 || !jx_host->may(req, JX_SEE_STUDENT, id) ||
	    ki_student_load(db, id, s) != 0)
		return jxp_not_found(jx_host, req);
	return 0;
}

int
route_keyinfo_get(jx_req *req, void *ud)
{
	jx_db *db = jx_host->req_db(req);
	const char *reveal = jx_host->req_query(req, "reveal");
	struct ki_student s;
	const char *revealed = NULL;
	cJSON *out;
	int rc;

	(void)ud;
	if ((rc = ki_student_of(req, db, &s)) != 0)
		return rc;
	if (reveal != NULL && *reveal != '\0') {
		const char *reason = jx_host->req_query(req, "reason");
		cJSON *detail;
		size_t n;

		if (strcmp(reveal, "id_number") != 0 &&
		    strcmp(reveal, "national_no") != 0) {
			ki_student_free(&s);
			jx_host->problem_error(
			    req, 0, "reveal",
			    "reveal is id_number or national_no");
			return jxp_invalid(jx_host, req, NULL);
		}
		if (!ki_may_reveal(req, s.school)) {
			ki_student_free(&s);
			return jxp_forbidden(jx_host, req);
		}
		while (reason != NULL && *reason == ' ')
			reason++;
		n = reason ? jxp_chars(reason) : 0;
		if (n < 2 || n > 200) {
			ki_student_free(&s);
			jx_host->problem_error(
			    req, 0, "reason",
			    jx_host->t(req, "keyinfo.reason_required"));
			return jxp_invalid(jx_host, req, NULL);
		}
		detail = cJSON_CreateObject();
		cJSON_AddStringToObject(detail, "reason", reason);
		rc = jx_host->audit(
		    req,
		    strcmp(reveal, "national_no") == 0
		        ? "keyinfo.national_no_revealed"
		        : "keyinfo.id_number_revealed",
		    jx_host->sprintf(req, "student:%lld", (long long)s.id),
		    detail);
		cJSON_Delete(detail);
		if (rc != 0) {
			ki_student_free(&s);
			return jxp_storage_error(jx_host, req);
		}
		revealed = strcmp(reveal, "national_no") == 0 ? "national_no"
		                                              : "id_number";
	}
	out = ki_card(req, db, &s, revealed);
	ki_student_free(&s);
	return jx_host->reply_view(req, 200, "keyinfo/card", out);
}

/* The submitted values: 0, or -1 after adding errors. new[k] is NULL
 * when field k was not given, "" to clear it. */
static int
ki_read_values(jx_req *req, const cJSON *body, const char *nv[KI_NFIELDS],
               int *given)
{
	int bad = 0;

	*given = 0;
	for (int k = 0; k < KI_NFIELDS; k++) {
		const cJSON *v = cJSON_GetObjectItem(body, ki_fields[k]);
		char *out, *o;
		const char *p, *e;

		nv[k] = NULL;
		if (v == NULL)
			continue;
		(*given)++;
		if (cJSON_IsNull(v)) {
			nv[k] = "";
			continue;
		}
		if (!cJSON_IsString(v)) {
			jx_host->problem_error(
			    req, 0, ki_fields[k],
			    jx_host->t(req, "keyinfo.must_be_text"));
			bad = 1;
			continue;
		}
		for (p = v->valuestring; *p == ' ' || *p == '\t'; p++)
			;
		for (e = p + strlen(p);
		     e > p && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		out = o = jx_host->alloc(req, (size_t)(e - p) + 1);
		for (; p < e; p++)
			*o++ = strcmp(ki_fields[k], "id_number") == 0
			           ? (*p == 'x' ? 'X' : *p)
			           : *p;
		*o = '\0';
		if (jxp_chars(out) > KI_MAX_VALUE) {
			jx_host->problem_error(
			    req, 0, ki_fields[k],
			    jx_host->t(req, "keyinfo.too_long"));
			bad = 1;
			continue;
		}
		/* a masked value as shown: keep what is stored */
		if (strcmp(ki_fields[k], "city_no") != 0 &&
		    strchr(out, '*') != NULL) {
			(*given)--;
			continue;
		}
		/* a 全国学籍号 as stored (and found by its hash) */
		if (strcmp(ki_fields[k], "national_no") == 0) {
			char *norm = jx_host->alloc(req, strlen(out) + 1);

			if (ki_org->national_norm(out, norm, strlen(out) + 1) ==
			    0)
				out = norm;
		}
		nv[k] = out;
	}
	if (*given == 0) {
		jx_host->problem_error(req, 0, NULL,
		                       jx_host->t(req, "keyinfo.no_field"));
		bad = 1;
	}
	return bad ? -1 : 0;
}

/* Checks s (with the new values in place) by the rules: 0, or -1 after
 * adding an error per error-level problem of a field in only (NULL:
 * any). */
static int
ki_rules_accept(jx_req *req, jx_db *db, struct ki_student *s,
                const int only[KI_NFIELDS])
{
	int64_t version;
	char err[512];
	const cJSON *p;
	int bad = 0;

	ki_check_batch(db, s->district, NULL, s, 1, 1, &version, err,
	               sizeof(err));
	cJSON_ArrayForEach(p, s->problems)
	{
		const char *field =
		    cJSON_GetObjectItem(p, "field")->valuestring;
		int counts = strcmp(field, "rules") == 0;

		if (strcmp(cJSON_GetObjectItem(p, "level")->valuestring,
		           "error") != 0)
			continue;
		for (int k = 0; k < KI_NFIELDS; k++)
			if (strcmp(field, ki_fields[k]) == 0 && only[k])
				counts = 1;
		if (counts) {
			jx_host->problem_error(req, 0, field,
			                       ki_problem_message(req, p));
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

/* Another student holds this national_no or ID number: 1, else 0. */
static int
ki_taken(jx_db *db, int64_t student, const char *field, const char *value)
{
	char hash[65];

	if (value == NULL || *value == '\0')
		return 0;
	if (strcmp(field, "national_no") == 0) {
		ki_org->lookup_hash(value, hash);
		return jxp_one(jx_host, db,
		               "SELECT COUNT(*) FROM students WHERE "
		               "national_no_hash = ? AND person_id != ?",
		               "si", hash, student) != 0;
	}
	if (strcmp(field, "id_number") != 0)
		return 0;
	ki_org->lookup_hash(value, hash);
	return jxp_one(jx_host, db,
	               "SELECT COUNT(*) FROM students WHERE id_number_hash = "
	               "? AND person_id != ?",
	               "si", hash, student) != 0;
}

/* Writes one field of a student (the clear value; "" clears): the host
 * seals and hashes it (org.v1 student_number). */
static int
ki_write_field(jx_db *db, int64_t student, const char *field, const char *value)
{
	return ki_org->student_number(db, student, field, value);
}

static cJSON *
ki_change_detail(jx_req *req, const char *field, const char *old_shown,
                 const char *new_shown, const char *reason)
{
	const struct jx_identity *i = jx_host->identity(req);
	cJSON *d = cJSON_CreateObject();

	cJSON_AddStringToObject(d, "field", field);
	cJSON_AddStringToObject(d, "old", old_shown);
	cJSON_AddStringToObject(d, "new", new_shown);
	cJSON_AddNumberToObject(d, "identity_id", i ? (double)i->id : 0);
	cJSON_AddStringToObject(d, "role", i ? i->role : "");
	if (reason != NULL && *reason != '\0')
		cJSON_AddStringToObject(d, "reason", reason);
	return d;
}

/* After a student's fields changed: their result and their school's
 * counts now (the event tells other plugins). */
static int
ki_changed(jx_db *db, const struct ki_student *s)
{
	cJSON *ev = cJSON_CreateObject();
	int rc;

	cJSON_AddNumberToObject(ev, "student_id", (double)s->id);
	rc = jx_host->publish(db, "roster.student_changed", ev);
	cJSON_Delete(ev);
	if (rc != 0 || ki_refresh_school(db, s->school, 0) < 0)
		return -1;
	return 0;
}

int
route_keyinfo_put(jx_req *req, void *ud)
{
	jx_db *db = jx_host->req_db(req);
	const char *nv[KI_NFIELDS], *reason;
	int changed[KI_NFIELDS] = {0}, given, manager, nchanged = 0, rc;
	struct ki_student s, orig;
	const cJSON *r;
	cJSON *body, *ids, *out;

	(void)ud;
	if ((rc = ki_student_of(req, db, &s)) != 0)
		return rc;
	manager = jx_host->may(req, JX_MANAGE_STUDENT, s.id);
	if (!manager && !ki_is_family(req, s.id)) {
		ki_student_free(&s);
		return jxp_forbidden(jx_host, req);
	}
	body = jx_host->req_json(req);
	if (body == NULL) {
		ki_student_free(&s);
		return jx_host->req_status(req);
	}
	r = cJSON_GetObjectItem(body, "reason");
	reason = cJSON_IsString(r) ? r->valuestring : NULL;
	if (ki_read_values(req, body, nv, &given) != 0) {
		ki_student_free(&s);
		return jxp_invalid(jx_host, req, NULL);
	}
	/* orig keeps the values as they were, for the log and the queue */
	memset(&orig, 0, sizeof(orig));
	for (int k = 0; k < KI_NFIELDS; k++) {
		const char *old = ki_value(&s, ki_fields[k]);
		char **slot;

		if (old != NULL)
			*ki_slot(&orig, ki_fields[k]) = strdup(old);
		if (nv[k] == NULL || strcmp(old ? old : "", nv[k]) == 0)
			continue;
		changed[k] = 1;
		nchanged++;
		slot = ki_slot(&s, ki_fields[k]);
		if (*slot != NULL)
			memset(*slot, 0, strlen(*slot));
		free(*slot);
		*slot = *nv[k] ? strdup(nv[k]) : NULL;
	}
	if (ki_rules_accept(req, db, &s, changed) != 0) {
		rc = jx_host->reply_problem(
		    req, 422, "validation-failed", "Invalid input",
		    jx_host->t(req, "keyinfo.rules_refused"));
		goto out;
	}
	if (manager) {
		for (int k = 0; k < KI_NFIELDS; k++)
			if (changed[k] &&
			    ki_taken(db, s.id, ki_fields[k], nv[k])) {
				jx_host->problem_error(
				    req, 0, ki_fields[k],
				    jx_host->t(req, "keyinfo.taken"));
				rc = jxp_conflict(
				    jx_host, req,
				    jx_host->t(req, "keyinfo.taken"));
				goto out;
			}
		if (jx_host->db_begin(db) != 0)
			goto fail;
		for (int k = 0; k < KI_NFIELDS; k++) {
			cJSON *d;

			if (!changed[k])
				continue;
			d = ki_change_detail(
			    req, ki_fields[k],
			    ki_display(req, ki_fields[k],
			               ki_value(&orig, ki_fields[k])),
			    ki_display(req, ki_fields[k], nv[k]), reason);
			rc =
			    ki_write_field(db, s.id, ki_fields[k], nv[k]) ||
			    jx_host->audit(req, "keyinfo.updated",
			                   jx_host->sprintf(req, "student:%lld",
			                                    (long long)s.id),
			                   d);
			cJSON_Delete(d);
			if (rc != 0) {
				jx_host->db_rollback(db);
				goto fail;
			}
		}
		if ((nchanged > 0 && ki_changed(db, &s) != 0) ||
		    jx_host->db_commit(db) != 0) {
			jx_host->db_rollback(db);
			goto fail;
		}
		out = ki_card(req, db, &s, NULL);
		rc = jx_host->reply_json(req, 200, out);
		goto out;
	}
	if (nchanged == 0) {
		jx_host->problem_error(req, 0, NULL,
		                       jx_host->t(req, "keyinfo.no_change"));
		rc = jxp_invalid(jx_host, req,
		                 jx_host->t(req, "keyinfo.no_change"));
		goto out;
	}
	/* A student or parent: pending changes, one per field. */
	out = cJSON_CreateObject();
	ids = cJSON_CreateArray();
	if (jx_host->db_begin(db) != 0) {
		cJSON_Delete(out);
		cJSON_Delete(ids);
		goto fail;
	}
	for (int k = 0; k < KI_NFIELDS; k++) {
		const struct jx_identity *i = jx_host->identity(req);
		const char *old_shown, *new_shown;
		char *sealed = NULL, hash[65], masked[64];
		int64_t id;
		cJSON *d;

		if (!changed[k])
			continue;
		old_shown = ki_display(req, ki_fields[k],
		                       ki_value(&orig, ki_fields[k]));
		new_shown = ki_display(req, ki_fields[k], nv[k]);
		/* the new value waits sealed when it is shown masked */
		if (*nv[k] && ki_sealed_field(ki_fields[k], nv[k]) &&
		    ki_org->id_seal(nv[k], &sealed, hash, masked,
		                    sizeof(masked)) != 0)
			goto fail_tx;
		d = ki_change_detail(req, ki_fields[k], old_shown, new_shown,
		                     reason);
		id = -1;
		if (jx_host->db_exec(
		        db,
		        "UPDATE keyinfo_changes SET status = "
		        "'superseded' WHERE student_id = ? AND field = ? "
		        "AND status = 'pending'",
		        "is", s.id, ki_fields[k]) >= 0)
			id = jx_host->db_insert(
			    db,
			    "INSERT INTO keyinfo_changes(student_id, "
			    "school_id, "
			    "district_id, field, old_value, new_value, "
			    "new_sealed, reason, submitted_by, "
			    "submitted_identity, submitted_name, submitted_at) "
			    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT "
			    "name "
			    "FROM persons WHERE id = ?), ?)",
			    "iiisssssiiii", s.id, s.school, s.district,
			    ki_fields[k], old_shown, new_shown, sealed, reason,
			    i->account_id, i->id, i->person_id, jx_host->now());
		free(sealed);
		if (id > 0)
			cJSON_AddItemToObject(d, "change_id",
			                      cJSON_CreateNumber((double)id));
		if (id <= 0 ||
		    jx_host->audit(
		        req, "keyinfo.submitted",
		        jx_host->sprintf(req, "student:%lld", (long long)s.id),
		        d) != 0) {
			cJSON_Delete(d);
			goto fail_tx;
		}
		cJSON_Delete(d);
		cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)id));
	}
	if (jx_host->db_commit(db) != 0)
		goto fail_tx;
	cJSON_AddItemToObject(out, "change_id",
	                      cJSON_Duplicate(cJSON_GetArrayItem(ids, 0), 1));
	cJSON_AddItemToObject(out, "change_ids", ids);
	cJSON_AddStringToObject(out, "status", "pending");
	rc = jx_host->reply_json(req, 202, out);
	goto out;
fail_tx:
	jx_host->db_rollback(db);
	cJSON_Delete(out);
	cJSON_Delete(ids);
fail:
	rc = jxp_storage_error(jx_host, req);
out:
	ki_student_free(&orig);
	ki_student_free(&s);
	return rc;
}

/* ---- the review queue ------------------------------------------------ */

#define KI_CHANGE_COLUMNS                                                      \
	"k.id, k.student_id, p.name, COALESCE(c.grade, 0), c.name, k.field, "  \
	"k.old_value, k.new_value, k.status, k.reason, k.submitted_name, "     \
	"k.submitted_at, k.reviewed_at, k.school_id "
#define KI_CHANGE_FROM                                                         \
	"FROM keyinfo_changes k JOIN persons p ON p.id = k.student_id "        \
	"JOIN students s ON s.person_id = k.student_id LEFT JOIN classes c "   \
	"ON c.id = s.class_id "

static cJSON *
ki_change_item(jx_req *req, jx_stmt *st)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "id", (double)jx_host->db_int(st, 0));
	cJSON_AddNumberToObject(o, "student_id",
	                        (double)jx_host->db_int(st, 1));
	cJSON_AddStringToObject(o, "student_name", jx_host->db_text(st, 2));
	cJSON_AddStringToObject(
	    o, "class_name",
	    jx_host->db_is_null(st, 4)
	        ? ""
	        : jx_host->sprintf(
	              req, "%s%s",
	              ki_org->grade_label((int)jx_host->db_int(st, 3)),
	              jx_host->db_text(st, 4)));
	cJSON_AddStringToObject(o, "field", jx_host->db_text(st, 5));
	cJSON_AddStringToObject(o, "field_label",
	                        ki_field_label(jx_host->db_text(st, 5)));
	cJSON_AddStringToObject(o, "old_value", jx_host->db_text(st, 6));
	cJSON_AddStringToObject(o, "new_value", jx_host->db_text(st, 7));
	cJSON_AddStringToObject(o, "status", jx_host->db_text(st, 8));
	if (jx_host->db_is_null(st, 9))
		cJSON_AddNullToObject(o, "reason");
	else
		cJSON_AddStringToObject(o, "reason", jx_host->db_text(st, 9));
	cJSON_AddStringToObject(o, "submitted_by", jx_host->db_text(st, 10));
	cJSON_AddItemToObject(o, "submitted_at",
	                      jxp_time(jx_host, jx_host->db_int(st, 11)));
	cJSON_AddItemToObject(o, "reviewed_at",
	                      jxp_time(jx_host, jx_host->db_int(st, 12)));
	cJSON_AddNumberToObject(o, "school_id",
	                        (double)jx_host->db_int(st, 13));
	return o;
}

int
ki_manage_school(jx_req *req, int64_t school)
{
	if (school <= 0 || !jx_host->may(req, JX_SEE_SCHOOL, school))
		return jxp_not_found(jx_host, req);
	if (!jx_host->may(req, JX_MANAGE_SCHOOL, school))
		return jxp_forbidden(jx_host, req);
	return 0;
}

static int
ki_changes_reply(jx_req *req, int64_t school)
{
	jx_db *db = jx_host->req_db(req);
	const char *status = jx_host->req_query(req, "status");
	int64_t limit, after;
	cJSON *items, *out;
	jx_stmt *st;
	int rc;

	if ((rc = ki_manage_school(req, school)) != 0)
		return rc;
	if (status == NULL || *status == '\0')
		status = "pending";
	if (strcmp(status, "pending") != 0 && strcmp(status, "approved") != 0 &&
	    strcmp(status, "rejected") != 0 && strcmp(status, "all") != 0) {
		jx_host->problem_error(
		    req, 0, "status",
		    "status must be pending, approved, rejected "
		    "or all");
		return jxp_invalid(jx_host, req, NULL);
	}
	jxp_page(jx_host, req, &limit, &after);
	st = jx_host->db_query(
	    db,
	    "SELECT " KI_CHANGE_COLUMNS KI_CHANGE_FROM
	    "WHERE k.school_id = ? AND (? = 'all' AND k.status "
	    "!= 'superseded' OR k.status = ?) AND (? = 0 OR "
	    "k.id < ?) ORDER BY k.id DESC LIMIT ?",
	    "issiii", school, status, status, after, after, limit + 1);
	if (st == NULL)
		return jxp_storage_error(jx_host, req);
	items = cJSON_CreateArray();
	while (jx_host->db_step(st) == JX_DB_ROW)
		cJSON_AddItemToArray(items, ki_change_item(req, st));
	jx_host->db_finish(st);
	out = jxp_items(items, limit, "id");
	cJSON_AddNumberToObject(out, "school_id", (double)school);
	cJSON_AddStringToObject(out, "status", status);
	return jx_host->reply_view(req, 200, "keyinfo/changes", out);
}

int
route_changes(jx_req *req, void *ud)
{
	(void)ud;
	return ki_changes_reply(req, jx_host->req_param_id(req, "sid"));
}

/* The page: the acting school admin's school. */
int
page_changes(jx_req *req, void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);

	(void)ud;
	return ki_changes_reply(req, i ? i->school_id : 0);
}

/* A change by id, as an item; NULL when there is none. */
static cJSON *
ki_change_get(jx_req *req, jx_db *db, int64_t id)
{
	jx_stmt *st = jx_host->db_query(
	    db, "SELECT " KI_CHANGE_COLUMNS KI_CHANGE_FROM "WHERE k.id = ?",
	    "i", id);
	cJSON *o = NULL;

	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW)
		o = ki_change_item(req, st);
	jx_host->db_finish(st);
	return o;
}

static int
ki_review_approve(jx_req *req, jx_db *db, int64_t change, const char *field,
                  int64_t student, const char *reason)
{
	struct ki_student s;
	int only[KI_NFIELDS] = {0};
	char *value = NULL, **slot;
	jx_stmt *st;
	cJSON *d;
	int rc;

	if (ki_student_load(db, student, &s) != 0)
		return jxp_not_found(jx_host, req);
	st = jx_host->db_query(
	    db,
	    "SELECT new_value, new_sealed FROM keyinfo_changes "
	    "WHERE id = ?",
	    "i", change);
	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW)
		value = jx_host->db_is_null(st, 1)
		            ? strdup(jx_host->db_text(st, 0))
		            : ki_org->id_open(jx_host->db_text(st, 1));
	jx_host->db_finish(st);
	if (value == NULL) {
		ki_student_free(&s);
		return jxp_storage_error(jx_host, req);
	}
	d = ki_change_detail(req, field,
	                     ki_display(req, field, ki_value(&s, field)),
	                     ki_display(req, field, value), reason);
	cJSON_AddNumberToObject(d, "change_id", (double)change);
	slot = ki_slot(&s, field);
	free(*slot);
	*slot = *value ? strdup(value) : NULL;
	for (int k = 0; k < KI_NFIELDS; k++)
		only[k] = strcmp(ki_fields[k], field) == 0;
	if (ki_rules_accept(req, db, &s, only) != 0) {
		rc = jx_host->reply_problem(
		    req, 422, "validation-failed", "Invalid input",
		    jx_host->t(req, "keyinfo.rules_refused"));
		goto out;
	}
	if (ki_taken(db, s.id, field, value)) {
		jx_host->problem_error(req, 0, field,
		                       jx_host->t(req, "keyinfo.taken"));
		rc = jxp_conflict(jx_host, req,
		                  jx_host->t(req, "keyinfo.taken"));
		goto out;
	}
	if (jx_host->db_begin(db) != 0 ||
	    ki_write_field(db, s.id, field, value) ||
	    jx_host->db_exec(
	        db,
	        "UPDATE keyinfo_changes SET status = 'approved', "
	        "reviewed_by = ?, reviewed_at = ?, new_sealed = NULL "
	        "WHERE id = ? AND status = 'pending'",
	        "iii", jx_host->identity(req)->account_id, jx_host->now(),
	        change) != 1 ||
	    jx_host->audit(
	        req, "keyinfo.approved",
	        jx_host->sprintf(req, "student:%lld", (long long)s.id),
	        d) != 0 ||
	    ki_changed(db, &s) != 0 || jx_host->db_commit(db) != 0) {
		jx_host->db_rollback(db);
		rc = jxp_storage_error(jx_host, req);
		goto out;
	}
	rc = 0;
out:
	if (value != NULL)
		memset(value, 0, strlen(value));
	free(value);
	cJSON_Delete(d);
	ki_student_free(&s);
	return rc;
}

int
route_review(jx_req *req, void *ud)
{
	jx_db *db = jx_host->req_db(req);
	int64_t id = jx_host->req_param_id(req, "id");
	const cJSON *dec, *rea;
	cJSON *change, *body, *d;
	const char *decision, *reason = NULL, *field, *status;
	int64_t student;
	int rc, bad = 0;

	(void)ud;
	change = id > 0 ? ki_change_get(req, db, id) : NULL;
	if (change == NULL)
		return jxp_not_found(jx_host, req);
	rc = ki_manage_school(
	    req,
	    (int64_t)cJSON_GetObjectItem(change, "school_id")->valuedouble);
	if (rc != 0) {
		cJSON_Delete(change);
		return rc;
	}
	body = jx_host->req_json(req);
	if (body == NULL) {
		cJSON_Delete(change);
		return jx_host->req_status(req);
	}
	dec = cJSON_GetObjectItem(body, "decision");
	rea = cJSON_GetObjectItem(body, "reason");
	decision = cJSON_IsString(dec) ? dec->valuestring : "";
	if (cJSON_IsString(rea)) {
		reason = rea->valuestring;
		while (*reason == ' ')
			reason++;
	}
	if (strcmp(decision, "approve") != 0 &&
	    strcmp(decision, "reject") != 0) {
		jx_host->problem_error(req, 0, "decision",
		                       "decision must be approve or reject");
		bad = 1;
	} else if (strcmp(decision, "reject") == 0 &&
	           (reason == NULL || jxp_chars(reason) < 2)) {
		jx_host->problem_error(
		    req, 0, "reason",
		    jx_host->t(req, "keyinfo.reject_reason_required"));
		bad = 1;
	}
	if (reason != NULL && jxp_chars(reason) > 200) {
		jx_host->problem_error(req, 0, "reason",
		                       jx_host->t(req, "keyinfo.too_long"));
		bad = 1;
	}
	if (bad) {
		cJSON_Delete(change);
		return jxp_invalid(jx_host, req, NULL);
	}
	status = cJSON_GetObjectItem(change, "status")->valuestring;
	if (strcmp(status, "pending") != 0) {
		cJSON_Delete(change);
		return jxp_conflict(jx_host, req,
		                    jx_host->t(req, "keyinfo.not_pending"));
	}
	field = jx_host->strdup(
	    req, cJSON_GetObjectItem(change, "field")->valuestring);
	student =
	    (int64_t)cJSON_GetObjectItem(change, "student_id")->valuedouble;
	if (strcmp(decision, "approve") == 0) {
		cJSON_Delete(change);
		rc = ki_review_approve(req, db, id, field, student, reason);
		if (rc != 0)
			return rc;
	} else {
		d = ki_change_detail(
		    req, field,
		    cJSON_GetObjectItem(change, "old_value")->valuestring,
		    cJSON_GetObjectItem(change, "new_value")->valuestring,
		    reason);
		cJSON_AddNumberToObject(d, "change_id", (double)id);
		cJSON_Delete(change);
		if (jx_host->db_begin(db) != 0 ||
		    jx_host->db_exec(
		        db,
		        "UPDATE keyinfo_changes SET status = 'rejected', "
		        "reason = ?, reviewed_by = ?, reviewed_at = ?, "
		        "new_sealed = NULL WHERE id = ? AND status = "
		        "'pending'",
		        "siii", reason, jx_host->identity(req)->account_id,
		        jx_host->now(), id) != 1 ||
		    jx_host->audit(req, "keyinfo.rejected",
		                   jx_host->sprintf(req, "student:%lld",
		                                    (long long)student),
		                   d) != 0 ||
		    jx_host->db_commit(db) != 0) {
			jx_host->db_rollback(db);
			cJSON_Delete(d);
			return jxp_storage_error(jx_host, req);
		}
		cJSON_Delete(d);
	}
	change = ki_change_get(req, db, id);
	return jx_host->reply_json(req, 200, change);
}

/* /keyinfo/mine: a student's or parent's own card. */
int
page_mine(jx_req *req, void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);

	(void)ud;
	if (i == NULL || i->student_id <= 0)
		return jxp_not_found(jx_host, req);
	return jx_host->reply_redirect(
	    req, jx_host->sprintf(req, "/students/%lld/keyinfo",
	                          (long long)i->student_id));
}
