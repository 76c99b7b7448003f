/*
 * practice_pages.c — the families' social-practice pages (issue 18),
 * phone first (parents register inside WeChat): the open activities
 * for the child's grade (/practice), one activity with its register
 * button (/practice/activities/{id}; a full one says it joins the
 * waitlist), and "my registrations" (/practice/mine: status, waitlist
 * position, the check-in QR code of a confirmed one, cancel). Also the
 * time and hours helpers every practice page uses, and the menu and
 * home items.
 *
 * Reads scope by the acting identity as the API does: a parent sees its
 * child's activities (the district's, for the child's grade) and
 * registrations, a student its own. Registering and cancelling go to
 * the JSON API through static/practice.js.
 */
#include "practice_pages.h"

#include <stdio.h>
#include <string.h>

/* ---- helpers ----------------------------------------------------------- */

static int
pp_en(jx_req *req)
{
	return strcmp(jx_host->req_lang(req), "en") == 0;
}

const char *
pp_when(jx_req *req, int64_t t, int lng)
{
	char iso[40];
	int y = 0, mo = 0, d = 0, h = 0, mi = 0;

	if (t <= 0)
		return "";
	jx_host->format_time(t, iso, sizeof(iso));
	if (sscanf(iso, "%d-%d-%dT%d:%d", &y, &mo, &d, &h, &mi) != 5)
		return jx_host->strdup(req, iso);
	if (!lng)
		return jx_host->sprintf(req, "%02d-%02d %02d:%02d", mo, d, h,
		                        mi);
	if (pp_en(req))
		return jx_host->sprintf(req, "%04d-%02d-%02d %02d:%02d", y, mo,
		                        d, h, mi);
	return jx_host->sprintf(req, "%d年%d月%d日 %02d:%02d", y, mo, d, h, mi);
}

const char *
pp_span(jx_req *req, int64_t from, int64_t to, int lng)
{
	const char *a = pp_when(req, from, lng), *b = pp_when(req, to, lng);
	size_t n = strlen(a), m = strlen(b);

	/* the same day: the end's time alone ("08:00–11:30") */
	if (n > 5 && m > 5 && n == m && strncmp(a, b, n - 5) == 0)
		return jx_host->sprintf(req, "%s–%s", a, b + m - 5);
	return jx_host->sprintf(req, "%s – %s", a, b);
}

const char *
pp_hours(jx_req *req, int64_t tenths)
{
	if (tenths % 10 == 0)
		return jx_host->sprintf(req, "%lld", (long long)(tenths / 10));
	return jx_host->sprintf(req, "%lld.%lld", (long long)(tenths / 10),
	                        (long long)(tenths % 10));
}

const char *
pp_grade(jx_req *req, int64_t grade)
{
	return jx_host->t(
	    req, jx_host->sprintf(req, "roster.grade.%lld", (long long)grade));
}

const char *
pp_grades_text(jx_req *req, int64_t activity)
{
	jx_stmt *st = jx_host->db_query(
	    jx_host->req_db(req),
	    "SELECT grade FROM practice_activity_grades WHERE activity_id = ? "
	    "ORDER BY grade",
	    "i", activity);
	const char *out = "", *sep = pp_en(req) ? ", " : "、";

	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW)
		out = jx_host->sprintf(req, "%s%s%s", out, *out ? sep : "",
		                       pp_grade(req, jx_host->db_int(st, 0)));
	jx_host->db_finish(st);
	return out;
}

const char *
pp_text(jx_req *req, const char *sql, int64_t id)
{
	jx_stmt *st = jx_host->db_query(jx_host->req_db(req), sql, "i", id);
	const char *v = NULL;

	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW &&
	    jx_host->db_text(st, 0) != NULL)
		v = jx_host->strdup(req, jx_host->db_text(st, 0));
	jx_host->db_finish(st);
	return v;
}

static int64_t
pp_int(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

void
pp_shape_activities(jx_req *req, cJSON *rows)
{
	cJSON *a;
	int64_t now = jx_host->now();

	cJSON_ArrayForEach(a, rows)
	{
		int64_t from = pp_int(a, "starts_at"),
		        to = pp_int(a, "ends_at");
		int64_t dl = pp_int(a, "signup_deadline");
		int64_t cap = pp_int(a, "capacity"),
		        conf = pp_int(a, "confirmed");
		int64_t left = cap > conf ? cap - conf : 0;

		cJSON_AddStringToObject(a, "when", pp_span(req, from, to, 0));
		cJSON_AddStringToObject(a, "when_long",
		                        pp_span(req, from, to, 1));
		cJSON_AddStringToObject(a, "deadline", pp_when(req, dl, 0));
		cJSON_AddStringToObject(a, "deadline_long",
		                        pp_when(req, dl, 1));
		cJSON_AddBoolToObject(a, "deadline_passed", dl <= now);
		cJSON_AddBoolToObject(a, "ended", to <= now);
		if (cJSON_GetObjectItemCaseSensitive(a, "hours_tenths"))
			cJSON_AddStringToObject(
			    a, "hours",
			    pp_hours(req, pp_int(a, "hours_tenths")));
		if (cJSON_GetObjectItemCaseSensitive(a, "capacity")) {
			cJSON_AddNumberToObject(a, "seats_left", (double)left);
			cJSON_AddBoolToObject(a, "full", left == 0);
		}
	}
}

/* The family's reach: 0 with the student and its grade and district, or
 * the status replied (403 for anyone but a parent or student). */
static int
pp_family(jx_req *req, struct practice_who *w, int64_t *grade)
{
	if (practice_who(req, w) != 0)
		return jxp_forbidden(jx_host, req);
	if (!w->family || w->student <= 0)
		return jxp_forbidden(jx_host, req);
	*grade = w->id->class_id > 0
	             ? jxp_one(jx_host, jx_host->req_db(req),
	                       "SELECT grade FROM classes WHERE id = ?", "i",
	                       w->id->class_id)
	             : 0;
	return 0;
}

static const char *
pp_student_name(jx_req *req, int64_t student)
{
	return pp_text(req, "SELECT name FROM persons WHERE id = ?", student);
}

/* ---- the list -------------------------------------------------------- */

int
practice_page_list(jx_req *req, void *ud)
{
	struct practice_who w;
	int64_t grade = 0;
	jx_db *db = jx_host->req_db(req);
	cJSON *rows, *d;
	int rc;

	(void)ud;
	if (practice_who(req, &w) == 0 && !w.family &&
	    (w.city || w.dadmin || w.badmin))
		return jx_host->reply_redirect(req, "/practice/manage");
	if ((rc = pp_family(req, &w, &grade)) != 0)
		return rc;
	/* open activities of the child's district for its grade whose
	 * sign-up is still open; the child's live registration with each */
	rows = jx_host->db_rows(
	    db,
	    "SELECT a.id, a.title, b.name AS base_name, a.starts_at, "
	    "a.ends_at, a.signup_deadline, a.capacity, a.confirmed, "
	    "a.waitlisted, a.hours_tenths, (SELECT r.status FROM "
	    "practice_registrations r WHERE r.activity_id = a.id AND "
	    "r.student_id = ? AND r.status <> 'cancelled') AS my_status "
	    "FROM practice_activities a JOIN practice_bases b ON b.id = "
	    "a.base_id JOIN practice_activity_grades g ON g.activity_id = "
	    "a.id AND g.grade = ? WHERE a.district_id = ? AND a.status = "
	    "'open' AND a.signup_deadline > ? ORDER BY a.starts_at, a.id "
	    "LIMIT 200",
	    "iiii", w.student, grade, w.district, jx_host->now());
	if (rows == NULL)
		return jxp_storage_error(jx_host, req);
	pp_shape_activities(req, rows);
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "title", jx_host->t(req, "practice.title"));
	cJSON_AddStringToObject(d, "back", "/");
	if (pp_student_name(req, w.student) != NULL)
		cJSON_AddStringToObject(d, "student_name",
		                        pp_student_name(req, w.student));
	cJSON_AddNumberToObject(
	    d, "mine",
	    (double)jxp_one(jx_host, db,
	                    "SELECT COUNT(*) FROM practice_registrations "
	                    "WHERE student_id = ? AND status IN "
	                    "('confirmed','waitlisted')",
	                    "i", w.student));
	cJSON_AddItemToObject(d, "items", rows);
	return jx_host->reply_view(req, 200, "practice/list", d);
}

/* ---- one activity ---------------------------------------------------- */

/* The activity's row for its page, shaped, or NULL. */
static cJSON *
pp_activity_row(jx_req *req, int64_t id)
{
	cJSON *rows = jx_host->db_rows(
	    jx_host->req_db(req),
	    "SELECT a.id, a.title, a.description, a.base_id, b.name AS "
	    "base_name, b.address AS base_address, a.district_id, "
	    "a.starts_at, a.ends_at, a.signup_deadline, a.capacity, "
	    "a.confirmed, a.waitlisted, a.hours_tenths, a.status, "
	    "a.cancel_reason FROM practice_activities a JOIN practice_bases b "
	    "ON b.id = a.base_id WHERE a.id = ?",
	    "i", id);
	cJSON *a;

	if (rows == NULL)
		return NULL;
	pp_shape_activities(req, rows);
	a = cJSON_DetachItemFromArray(rows, 0);
	cJSON_Delete(rows);
	if (a != NULL)
		cJSON_AddStringToObject(a, "grades_text",
		                        pp_grades_text(req, id));
	return a;
}

/* The student's live registration of the activity, as {id, status,
 * position?}, or NULL. */
static cJSON *
pp_my_registration(jx_req *req, int64_t activity, int64_t student)
{
	cJSON *rows = jx_host->db_rows(
	    jx_host->req_db(req),
	    "SELECT r.id, r.status, CASE WHEN r.status = 'waitlisted' THEN "
	    "(SELECT COUNT(*) FROM practice_registrations q WHERE "
	    "q.activity_id = r.activity_id AND q.status = 'waitlisted' AND "
	    "q.id <= r.id) END AS position FROM practice_registrations r "
	    "WHERE r.activity_id = ? AND r.student_id = ? AND r.status <> "
	    "'cancelled'",
	    "ii", activity, student);
	cJSON *r = rows ? cJSON_DetachItemFromArray(rows, 0) : NULL;

	cJSON_Delete(rows);
	return r;
}

int
practice_page_activity(jx_req *req, void *ud)
{
	struct practice_who w;
	jx_db *db = jx_host->req_db(req);
	int64_t id = jx_host->req_param_id(req, "id"), grade = 0;
	int manages = 0, grade_ok = 0;
	cJSON *a, *mine = NULL;

	(void)ud;
	if (id <= 0 || practice_who(req, &w) != 0)
		return jxp_not_found(jx_host, req);
	a = pp_activity_row(req, id);
	if (a == NULL)
		return jxp_not_found(jx_host, req);
	if (w.family && w.student > 0) {
		grade = w.id->class_id > 0
		            ? jxp_one(jx_host, db,
		                      "SELECT grade FROM classes WHERE id = ?",
		                      "i", w.id->class_id)
		            : 0;
		grade_ok = jxp_one(jx_host, db,
		                   "SELECT 1 FROM practice_activity_grades "
		                   "WHERE activity_id = ? AND grade = ?",
		                   "ii", id, grade) == 1;
		mine = pp_my_registration(req, id, w.student);
		/* a family sees its district's activities for the child's
		 * grade, and any it registered for */
		if (pp_int(a, "district_id") != w.district ||
		    (!grade_ok && mine == NULL)) {
			cJSON_Delete(a);
			return jxp_not_found(jx_host, req);
		}
	} else {
		manages = practice_activity_manages(db, &w, id) == 1;
		if (!manages) {
			cJSON_Delete(a);
			return jxp_not_found(jx_host, req);
		}
	}
	cJSON_AddStringToObject(
	    a, "back",
	    mine ? "/practice/mine"
	         : (manages ? "/practice/manage" : "/practice"));
	cJSON_AddBoolToObject(a, "manages", manages);
	cJSON_AddBoolToObject(a, "family", w.family && w.student > 0);
	cJSON_AddBoolToObject(a, "grade_ok", grade_ok);
	cJSON_AddNumberToObject(a, "student_id", (double)w.student);
	if (mine != NULL)
		cJSON_AddItemToObject(a, "mine", mine);
	/* the family may register: open, before the deadline, the right
	 * grade, not yet registered (the API decides again) */
	cJSON_AddBoolToObject(
	    a, "can_register",
	    w.family && grade_ok && mine == NULL &&
	        strcmp(
	            cJSON_GetObjectItemCaseSensitive(a, "status")->valuestring,
	            "open") == 0 &&
	        !cJSON_IsTrue(
	            cJSON_GetObjectItemCaseSensitive(a, "deadline_passed")));
	return jx_host->reply_view(req, 200, "practice/activity", a);
}

/* ---- my registrations ------------------------------------------------ */

int
practice_page_mine(jx_req *req, void *ud)
{
	struct practice_who w;
	int64_t grade = 0;
	cJSON *rows, *r, *d;
	int rc;

	(void)ud;
	if ((rc = pp_family(req, &w, &grade)) != 0)
		return rc;
	/* the coming ones first, the soonest on top; then the cancelled and
	 * the past, the latest on top */
	rows = jx_host->db_rows(
	    jx_host->req_db(req),
	    "SELECT r.id, r.status, r.created_at, r.checked_in_at, "
	    "r.activity_id, a.title, b.name AS base_name, b.address AS "
	    "base_address, a.starts_at, a.ends_at, a.signup_deadline, "
	    "a.hours_tenths, a.status AS activity_status, CASE WHEN "
	    "r.status = 'waitlisted' THEN (SELECT COUNT(*) FROM "
	    "practice_registrations q WHERE q.activity_id = r.activity_id "
	    "AND q.status = 'waitlisted' AND q.id <= r.id) END AS position "
	    "FROM practice_registrations r JOIN practice_activities a ON "
	    "a.id = r.activity_id JOIN practice_bases b ON b.id = a.base_id "
	    "WHERE r.student_id = ? ORDER BY CASE WHEN r.status = "
	    "'cancelled' OR a.ends_at <= ? THEN 1 ELSE 0 END, CASE WHEN "
	    "r.status = 'cancelled' OR a.ends_at <= ? THEN -a.starts_at ELSE "
	    "a.starts_at END, r.id DESC LIMIT 200",
	    "iii", w.student, jx_host->now(), jx_host->now());
	if (rows == NULL)
		return jxp_storage_error(jx_host, req);
	pp_shape_activities(req, rows);
	cJSON_ArrayForEach(r, rows)
	{
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(r, "status");
		long long id = (long long)pp_int(r, "id");

		if (cJSON_IsString(s) &&
		    strcmp(s->valuestring, "confirmed") == 0)
			cJSON_AddStringToObject(
			    r, "qr_src",
			    jx_host->sprintf(req, PRACTICE_QR_PATH, id));
		if (pp_int(r, "checked_in_at") > 0)
			cJSON_AddStringToObject(
			    r, "checked_in",
			    pp_when(req, pp_int(r, "checked_in_at"), 0));
	}
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "title",
	                        jx_host->t(req, "practice.mine.title"));
	cJSON_AddStringToObject(d, "back", "/practice");
	if (pp_student_name(req, w.student) != NULL)
		cJSON_AddStringToObject(d, "student_name",
		                        pp_student_name(req, w.student));
	cJSON_AddItemToObject(d, "items", rows);
	return jx_host->reply_view(req, 200, "practice/mine", d);
}

/* ---- menu and home --------------------------------------------------- */

/* A home item's one row: the title's text, detail and href. */
static cJSON *
pp_home_rows(jx_req *req, const char *title_key, const char *detail,
             const char *href)
{
	cJSON *rows = cJSON_CreateArray(), *row = cJSON_CreateObject();

	cJSON_AddStringToObject(row, "title", jx_host->t(req, title_key));
	cJSON_AddStringToObject(row, "detail", detail);
	cJSON_AddNumberToObject(row, "count", 0);
	cJSON_AddStringToObject(row, "href", href);
	cJSON_AddItemToArray(rows, row);
	return rows;
}

/* The families' home cell: what is open for the child and what it has
 * registered for (one cell, so the parent's five tabs stay five). */
static cJSON *
pp_home_family(jx_req *req, void *ud)
{
	struct practice_who w;
	int64_t grade = 0, open, mine;
	jx_db *db = jx_host->req_db(req);

	(void)ud;
	if (practice_who(req, &w) != 0 || !w.family || w.student <= 0)
		return NULL;
	grade =
	    w.id->class_id > 0
	        ? jxp_one(jx_host, db, "SELECT grade FROM classes WHERE id = ?",
	                  "i", w.id->class_id)
	        : 0;
	open = jxp_one(
	    jx_host, db,
	    "SELECT COUNT(*) FROM practice_activities a JOIN "
	    "practice_activity_grades g ON g.activity_id = a.id AND g.grade "
	    "= ? WHERE a.district_id = ? AND a.status = 'open' AND "
	    "a.signup_deadline > ? AND NOT EXISTS (SELECT 1 FROM "
	    "practice_registrations r WHERE r.activity_id = a.id AND "
	    "r.student_id = ? AND r.status <> 'cancelled')",
	    "iiii", grade, w.district, jx_host->now(), w.student);
	mine =
	    jxp_one(jx_host, db,
	            "SELECT COUNT(*) FROM practice_registrations WHERE "
	            "student_id = ? AND status IN ('confirmed','waitlisted')",
	            "i", w.student);
	if (open < 0 || mine < 0)
		return NULL;
	return pp_home_rows(
	    req, "practice.home.title",
	    jxp_fill(jx_host, req,
	             jxp_fill(jx_host, req,
	                      jx_host->t(req, "practice.home.detail"), "open",
	                      jx_host->sprintf(req, "%lld", (long long)open)),
	             "mine", jx_host->sprintf(req, "%lld", (long long)mine)),
	    "/practice");
}

/* The staff's home cell: the activities they run that are still open. */
static cJSON *
pp_home_staff(jx_req *req, void *ud)
{
	struct practice_who w;
	int64_t n;

	(void)ud;
	if (practice_who(req, &w) != 0 || !(w.dadmin || w.badmin))
		return NULL;
	n = jxp_one(
	    jx_host, jx_host->req_db(req),
	    "SELECT COUNT(*) FROM practice_activities a WHERE "
	    "a.status = 'open' AND a.ends_at > ? AND ((? = 1 AND "
	    "a.district_id = ?) OR (? = 1 AND a.base_id IN (SELECT "
	    "base_id FROM practice_base_admins WHERE identity_id = ?)))",
	    "iiiii", jx_host->now(), (int64_t)w.dadmin, w.district,
	    (int64_t)w.badmin, w.id->id);
	if (n < 0)
		return NULL;
	return pp_home_rows(
	    req, "practice.home.staff",
	    jxp_fill(jx_host, req,
	             jx_host->t(req, "practice.home.staff_detail"), "n",
	             jx_host->sprintf(req, "%lld", (long long)n)),
	    "/practice/manage");
}

static const struct jx_home_item pp_home_family_item = {
    .size = sizeof(struct jx_home_item),
    .roles = "parent,student",
    .label_key = "practice.home.title",
    .order = 60,
    .rows = pp_home_family,
};

static const struct jx_home_item pp_home_staff_item = {
    .size = sizeof(struct jx_home_item),
    .roles = "district_admin,base_admin",
    .label_key = "practice.home.staff",
    .order = 60,
    .rows = pp_home_staff,
};

int
practice_pages_init(struct jx_registrar *reg)
{
	reg->menu(reg, "parent,student", "nav.practice", "/practice", 70);
	reg->menu(reg, "district_admin,base_admin", "nav.practice.manage",
	          "/practice/manage", 70);
	reg->menu(reg, "district_admin,base_admin", "nav.practice.bases",
	          "/practice/manage/bases", 71);
	if (JX_REG_HAS(reg, home_item) &&
	    (reg->home_item(reg, &pp_home_family_item) != 0 ||
	     reg->home_item(reg, &pp_home_staff_item) != 0))
		return -1;
	return 0;
}
