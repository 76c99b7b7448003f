/*
 * practice_checkin.c — checking a student in at an activity (issue 18;
 * API.md, "Social practice"): who may, when (practice_checkin.h: the
 * window), what it does (the registration becomes checked_in, the
 * approved social_practice growth record is created through records.v1
 * in the same transaction, the family hears of it), the API
 * (POST /api/v1/practice/registrations/{id}/check-in), and the signed QR
 * code the family shows (GET /api/v1/practice/registrations/{id}/qr: an
 * SVG of <public_url>/practice/checkin?r=<id>&e=<expiry>&s=<mac>, or the
 * link as JSON with ?format=json).
 *
 * A second check-in of the same registration answers 409 and writes
 * nothing: the conditional UPDATE (status = 'confirmed') decides inside
 * the write transaction, and the record's ref "practice:<id>" is unique
 * in the records plugin besides.
 */
#include "practice_checkin.h"

#include "jxplug_qr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- small helpers ------------------------------------------------- */

char *
practice_cut(const char *s, size_t max)
{
	size_t n = 0, chars = 0;
	char *out;

	if (s == NULL)
		return NULL;
	while (s[n] != '\0') {
		if (((unsigned char)s[n] & 0xc0) != 0x80) {
			if (chars == max)
				break;
			chars++;
		}
		n++;
	}
	out = malloc(n + 1);
	if (out != NULL) {
		memcpy(out, s, n);
		out[n] = '\0';
	}
	return out;
}

const char *
practice_local_time(jx_req *req, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || localtime_r(&tt, &tm) == NULL)
		return "";
	if (strcmp(jx_host->req_lang(req), "en") == 0)
		return jx_host->sprintf(req, "%04d-%02d-%02d %02d:%02d",
		                        tm.tm_year + 1900, tm.tm_mon + 1,
		                        tm.tm_mday, tm.tm_hour, tm.tm_min);
	return jx_host->sprintf(req, "%d年%d月%d日 %02d:%02d",
	                        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	                        tm.tm_hour, tm.tm_min);
}

static const char *
ci_text(jx_req *req, jx_stmt *st, int col)
{
	const char *v = jx_host->db_text(st, col);

	return jx_host->strdup(req, v != NULL ? v : "");
}

const char *
practice_class_name(jx_req *req, int64_t grade, const char *name)
{
	if (name == NULL || *name == '\0')
		return "";
	return jx_host->sprintf(
	    req, "%s%s",
	    jx_host->t(req, jx_host->sprintf(req, "roster.grade.%lld",
	                                     (long long)grade)),
	    name);
}

/* ---- loading and deciding ------------------------------------------ */

int
practice_checkin_load(jx_req *req, jx_db *db, int64_t id,
                      struct practice_checkin_row *c)
{
	jx_stmt *st;
	int rc;

	memset(c, 0, sizeof(*c));
	if (id <= 0)
		return 0;
	st = jx_host->db_query(
	    db,
	    "SELECT r.id, r.activity_id, r.student_id, r.status, "
	    "r.checked_in_at, r.checked_in_by, r.record_id, a.base_id, "
	    "a.district_id, a.starts_at, a.ends_at, a.hours_tenths, a.title, "
	    "a.description, a.status, b.name, p.name, s.school_id, s.class_id, "
	    "k.grade, k.name, sc.name FROM practice_registrations r "
	    "JOIN practice_activities a ON a.id = r.activity_id "
	    "JOIN practice_bases b ON b.id = a.base_id "
	    "JOIN persons p ON p.id = r.student_id "
	    "LEFT JOIN students s ON s.person_id = r.student_id AND s.status "
	    "= 'in_school' LEFT JOIN classes k ON k.id = s.class_id "
	    "LEFT JOIN schools sc ON sc.id = s.school_id WHERE r.id = ?",
	    "i", id);
	if (st == NULL)
		return -1;
	rc = jx_host->db_step(st);
	if (rc == JX_DB_ROW) {
		c->id = jx_host->db_int(st, 0);
		c->activity = jx_host->db_int(st, 1);
		c->student = jx_host->db_int(st, 2);
		snprintf(c->status, sizeof(c->status), "%s",
		         jx_host->db_text(st, 3));
		c->checked_in_at = jx_host->db_int(st, 4);
		c->checked_in_by = jx_host->db_int(st, 5);
		c->record_id = jx_host->db_int(st, 6);
		c->base = jx_host->db_int(st, 7);
		c->district = jx_host->db_int(st, 8);
		c->starts_at = jx_host->db_int(st, 9);
		c->ends_at = jx_host->db_int(st, 10);
		c->hours = practice_hours(jx_host->db_int(st, 11));
		c->title = ci_text(req, st, 12);
		c->description = ci_text(req, st, 13);
		snprintf(c->activity_status, sizeof(c->activity_status), "%s",
		         jx_host->db_text(st, 14));
		c->base_name = ci_text(req, st, 15);
		c->student_name = ci_text(req, st, 16);
		c->school = jx_host->db_int(st, 17);
		c->klass = jx_host->db_int(st, 18);
		c->class_name = practice_class_name(
		    req, jx_host->db_int(st, 19), jx_host->db_text(st, 20));
		c->school_name = ci_text(req, st, 21);
	}
	jx_host->db_finish(st);
	return rc == JX_DB_ROW ? 1 : rc == JX_DB_DONE ? 0 : -1;
}

int
practice_checkin_state(const struct practice_checkin_row *c, int64_t now)
{
	if (strcmp(c->status, "checked_in") == 0)
		return PRACTICE_CI_DONE;
	if (strcmp(c->activity_status, "cancelled") == 0)
		return PRACTICE_CI_CANCELLED;
	if (strcmp(c->status, "confirmed") != 0 || c->school <= 0)
		return PRACTICE_CI_NOT_CONFIRMED;
	if (now < c->starts_at - PRACTICE_CHECKIN_EARLY)
		return PRACTICE_CI_EARLY;
	if (now > c->ends_at + PRACTICE_CHECKIN_LATE)
		return PRACTICE_CI_LATE;
	return PRACTICE_CI_READY;
}

const char *
practice_checkin_state_key(int state)
{
	switch (state) {
	case PRACTICE_CI_READY: return "practice.checkin.state.ready";
	case PRACTICE_CI_DONE: return "practice.checkin.state.done";
	case PRACTICE_CI_NOT_CONFIRMED:
		return "practice.checkin.state.not_confirmed";
	case PRACTICE_CI_CANCELLED: return "practice.checkin.state.cancelled";
	case PRACTICE_CI_EARLY: return "practice.checkin.state.early";
	default: return "practice.checkin.state.late";
	}
}

/* The problem type of a blocking state (API). */
static const char *
ci_state_type(int state)
{
	switch (state) {
	case PRACTICE_CI_DONE: return "already-checked-in";
	case PRACTICE_CI_CANCELLED: return "activity-cancelled";
	case PRACTICE_CI_EARLY: return "checkin-not-open";
	case PRACTICE_CI_LATE: return "checkin-closed";
	default: return "not-confirmed";
	}
}

int64_t
practice_checkin_expiry(const struct practice_checkin_row *c)
{
	return c->ends_at + PRACTICE_CHECKIN_LATE;
}

int
practice_teaches(const struct jx_identity *i, int64_t school, int64_t klass)
{
	if (i == NULL || strcmp(i->role, "teacher") != 0 || klass <= 0 ||
	    i->school_id != school)
		return 0;
	for (int k = 0; k < i->nclass_ids; k++)
		if (i->class_ids[k] == klass)
			return 1;
	return 0;
}

int
practice_checkin_may(jx_req *req, jx_db *db,
                     const struct practice_checkin_row *c)
{
	struct practice_who w;

	if (practice_who(req, &w) != 0)
		return 0;
	if (w.badmin)
		return practice_base_manages(db, &w, c->base) == 1;
	return practice_teaches(w.id, c->school, c->klass);
}

int
practice_checkin_sees(jx_req *req, jx_db *db,
                      const struct practice_checkin_row *c)
{
	struct practice_who w;

	if (practice_who(req, &w) != 0)
		return 0;
	if (w.family)
		return w.student == c->student;
	if (practice_base_manages(db, &w, c->base) == 1)
		return 1;
	return practice_teaches(w.id, c->school, c->klass);
}

/* ---- the check-in -------------------------------------------------- */

static int
ci_publish(jx_db *db, const struct practice_checkin_row *c)
{
	cJSON *p = cJSON_CreateObject();
	int rc;

	cJSON_AddNumberToObject(p, "registration_id", (double)c->id);
	cJSON_AddNumberToObject(p, "activity_id", (double)c->activity);
	cJSON_AddNumberToObject(p, "base_id", (double)c->base);
	cJSON_AddNumberToObject(p, "district_id", (double)c->district);
	cJSON_AddNumberToObject(p, "student_id", (double)c->student);
	cJSON_AddNumberToObject(p, "school_id", (double)c->school);
	cJSON_AddNumberToObject(p, "class_id", (double)c->klass);
	cJSON_AddNumberToObject(p, "hours", c->hours);
	cJSON_AddNumberToObject(p, "checked_in_by", (double)c->checked_in_by);
	cJSON_AddNumberToObject(p, "record_id", (double)c->record_id);
	rc = jx_host->publish(db, "practice.checked_in", p);
	cJSON_Delete(p);
	return rc;
}

/* The audit entry: a check-in makes an approved growth record, as a
 * review does. */
static int
ci_audit(jx_req *req, const struct practice_checkin_row *c)
{
	cJSON *d = cJSON_CreateObject();
	int rc;

	cJSON_AddNumberToObject(d, "activity_id", (double)c->activity);
	cJSON_AddNumberToObject(d, "student_id", (double)c->student);
	cJSON_AddNumberToObject(d, "record_id", (double)c->record_id);
	rc = jx_host->audit(req, "practice.checked_in",
	                    jx_host->sprintf(req, "practice_registration:%lld",
	                                     (long long)c->id),
	                    d);
	cJSON_Delete(d);
	return rc;
}

int
practice_checkin_apply(jx_req *req, jx_db *db, struct practice_checkin_row *c)
{
	const struct jx_identity *i = jx_host->identity(req);
	int64_t now = jx_host->now(), rec, n;
	int state = practice_checkin_state(c, now);
	char err[200];

	if (state != PRACTICE_CI_READY)
		return state;
	if (i == NULL)
		return -1;
	n = jx_host->db_exec(db,
	                     "UPDATE practice_registrations SET status = "
	                     "'checked_in', checked_in_at = ?, checked_in_by "
	                     "= ?, updated_at = ? WHERE id = ? AND status = "
	                     "'confirmed'",
	                     "iiii", now, i->person_id, now, c->id);
	if (n < 0)
		return -1;
	if (n == 0) /* loaded outside this transaction; someone was faster */
		return PRACTICE_CI_DONE;
	c->checked_in_at = now;
	c->checked_in_by = i->person_id;
	rec = practice_record_create(db, c, i->person_id, err, sizeof(err));
	if (rec <= 0) {
		jx_host->log(JX_LOG_ERROR, "practice",
		             "registration %lld: no growth record: %s",
		             (long long)c->id, err);
		return -1;
	}
	c->record_id = rec;
	snprintf(c->status, sizeof(c->status), "checked_in");
	if (jx_host->db_exec(db,
	                     "UPDATE practice_registrations SET record_id = ? "
	                     "WHERE id = ?",
	                     "ii", rec, c->id) != 1 ||
	    practice_tell_family(db, c->student, c->activity,
	                         "practice_checked_in", c->id) != 0 ||
	    ci_publish(db, c) != 0 || ci_audit(req, c) != 0)
		return -1;
	return 0;
}

cJSON *
practice_checkin_json(jx_req *req, const struct practice_checkin_row *c)
{
	cJSON *o = cJSON_CreateObject();

	(void)req;
	cJSON_AddNumberToObject(o, "id", (double)c->id);
	cJSON_AddNumberToObject(o, "activity_id", (double)c->activity);
	cJSON_AddNumberToObject(o, "student_id", (double)c->student);
	cJSON_AddStringToObject(o, "student_name", c->student_name);
	cJSON_AddStringToObject(o, "status", c->status);
	cJSON_AddItemToObject(o, "checked_in_at",
	                      jxp_time(jx_host, c->checked_in_at));
	if (c->checked_in_by > 0)
		cJSON_AddNumberToObject(o, "checked_in_by",
		                        (double)c->checked_in_by);
	else
		cJSON_AddNullToObject(o, "checked_in_by");
	if (c->record_id > 0)
		cJSON_AddNumberToObject(o, "record_id", (double)c->record_id);
	else
		cJSON_AddNullToObject(o, "record_id");
	cJSON_AddNumberToObject(o, "hours", c->hours);
	return o;
}

/* 409 for a blocking state, with the reason in the reader's words. */
static int
ci_reply_state(jx_req *req, int state)
{
	return jx_host->reply_problem(
	    req, 409, ci_state_type(state),
	    jx_host->t(req, "practice.checkin.refused"),
	    jx_host->t(req, practice_checkin_state_key(state)));
}

/* POST /api/v1/practice/registrations/{id}/check-in: 200 with the
 * registration; 404 not visible, 403 seen but not the caller's to check
 * in, 409 not confirmed / already / outside the window. */
int
practice_checkin_post(jx_req *req, void *ud)
{
	int64_t id = jx_host->req_param_id(req, "id");
	jx_db *db = jx_host->req_db(req);
	struct practice_checkin_row c;
	int rc;

	(void)ud;
	if (jx_host->db_begin(db) != 0)
		return jxp_storage_error(jx_host, req);
	/* read inside the write transaction: what it decides on is current */
	rc = practice_checkin_load(req, db, id, &c);
	if (rc != 1 || !practice_checkin_sees(req, db, &c)) {
		jx_host->db_rollback(db);
		return rc < 0 ? jxp_storage_error(jx_host, req)
		              : jxp_not_found(jx_host, req);
	}
	if (!practice_checkin_may(req, db, &c)) {
		jx_host->db_rollback(db);
		return jx_host->reply_problem(
		    req, 403, "forbidden", jx_host->t(req, "error.403"),
		    jx_host->t(req, "practice.checkin.not_staff"));
	}
	rc = practice_checkin_apply(req, db, &c);
	if (rc != 0) {
		jx_host->db_rollback(db);
		return rc < 0 ? jxp_storage_error(jx_host, req)
		              : ci_reply_state(req, rc);
	}
	if (jx_host->db_commit(db) != 0)
		return jxp_storage_error(jx_host, req);
	return jx_host->reply_json(req, 200, practice_checkin_json(req, &c));
}

/* ---- the signed link ----------------------------------------------- */

/* Digits only, no leading zero, at most max of them: the value, or -1. */
static int64_t
ci_digits(const char *s, size_t max)
{
	size_t n = s != NULL ? strlen(s) : 0;
	int64_t v = 0;

	if (n == 0 || n > max || s[0] == '0')
		return -1;
	for (size_t k = 0; k < n; k++) {
		if (s[k] < '0' || s[k] > '9')
			return -1;
		v = v * 10 + (s[k] - '0');
	}
	return v;
}

/* The MAC of a link for registration reg expiring at expiry. 0 or -1. */
static int
ci_mac(int64_t reg, int64_t expiry, char out[65])
{
	char msg[64];

	if (!JX_HOST_HAS(jx_host, mac))
		return -1;
	snprintf(msg, sizeof(msg), "%lld.%lld", (long long)reg,
	         (long long)expiry);
	return jx_host->mac(PRACTICE_CHECKIN_PURPOSE, msg, out);
}

int
practice_checkin_verify(const char *r, const char *e, const char *s,
                        int64_t *reg, int64_t *expiry)
{
	char want[65];
	unsigned char diff = 0;

	*reg = ci_digits(r, 18);
	*expiry = ci_digits(e, 12);
	if (*reg <= 0 || *expiry <= 0 || s == NULL || strlen(s) != 64 ||
	    ci_mac(*reg, *expiry, want) != 0)
		return 0;
	/* every byte compared whatever the first difference: the time
	 * taken tells nothing of how much of a forged s was right */
	for (int k = 0; k < 64; k++)
		diff |= (unsigned char)(want[k] ^ s[k]);
	return diff == 0;
}

/* The link a code of c holds (arena), or NULL. */
static const char *
ci_link(jx_req *req, const struct practice_checkin_row *c, int64_t *expiry)
{
	const char *base = jx_host->config_string("public_url");
	char mac[65], *b;
	size_t n;

	*expiry = practice_checkin_expiry(c);
	if (ci_mac(c->id, *expiry, mac) != 0)
		return NULL;
	b = jx_host->strdup(req, base != NULL ? base : "");
	for (n = strlen(b); n > 0 && b[n - 1] == '/'; n--)
		b[n - 1] = '\0';
	return jx_host->sprintf(req, "%s/practice/checkin?r=%lld&e=%lld&s=%s",
	                        b, (long long)c->id, (long long)*expiry, mac);
}

/*
 * GET /api/v1/practice/registrations/{id}/qr: to the family of the
 * registration only (the parent acting for the child, the student): the
 * SVG of the signed link, or with ?format=json {"registration_id","url",
 * "expires_at"}. 404 for anyone else; 409 when there is nothing to check
 * in (waitlisted, cancelled, already checked in, the window over).
 */
int
practice_qr_get(jx_req *req, void *ud)
{
	int64_t id = jx_host->req_param_id(req, "id"), expiry;
	jx_db *db = jx_host->req_db(req);
	const char *format = jx_host->req_query(req, "format"), *url, *svg;
	struct practice_checkin_row c;
	struct practice_who w;
	int rc, state;

	(void)ud;
	rc = practice_checkin_load(req, db, id, &c);
	if (rc < 0)
		return jxp_storage_error(jx_host, req);
	if (rc == 0 || practice_who(req, &w) != 0 || !w.family ||
	    w.student != c.student)
		return jxp_not_found(jx_host, req);
	state = practice_checkin_state(&c, jx_host->now());
	if (state != PRACTICE_CI_READY && state != PRACTICE_CI_EARLY)
		return ci_reply_state(req, state);
	url = ci_link(req, &c, &expiry);
	if (url == NULL)
		return jxp_storage_error(jx_host, req);
	if (format != NULL && strcmp(format, "json") == 0) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "registration_id", (double)c.id);
		cJSON_AddStringToObject(o, "url", url);
		cJSON_AddItemToObject(o, "expires_at",
		                      jxp_time(jx_host, expiry));
		return jx_host->reply_json(req, 200, o);
	}
	svg = jxp_qr_svg(jx_host, req, url,
	                 jxp_fill(jx_host, req,
	                          jx_host->t(req, "practice.qr.label"), "name",
	                          c.student_name));
	if (svg == NULL)
		return jxp_storage_error(jx_host, req);
	/* the code is a key to the check-in: kept by no shared cache */
	return jx_host->reply_raw(req, 200, "image/svg+xml", svg, strlen(svg),
	                          "Cache-Control: private, no-store\r\n");
}

int
practice_checkin_init(struct jx_registrar *reg)
{
	if (practice_record_init() != 0 || practice_remind_init(reg) != 0)
		return -1;
	practice_space_init();
	return 0;
}
