/*
 * practice_pages_manage.c — the district's and the bases' social-practice
 * pages (issue 18), a desktop console that also works on a phone:
 *
 *   /practice/manage              the activities one runs, with live
 *                                 registration counts (the same handler
 *                                 answers /api/v1/practice/manage, which
 *                                 static/practice.js polls every 10 s)
 *   /practice/manage/new          the activity form (every field)
 *   /practice/manage/{id}         one activity: counts, registrations,
 *                                 the check-in list, the xlsx, close
 *   /practice/manage/{id}/edit    the form again, filled
 *   /practice/manage/bases        the bases, and a new base (district)
 *   /practice/manage/bases/{id}   a base: its staff, a new base admin
 *                                 (name and phone; the initial password
 *                                 shown once), its activities
 *
 * Reach as the API's: a city admin everything, a district admin the
 * district's bases and activities, a base admin the bases it runs
 * (practice_base_admins). Every change is a JSON API call made by
 * static/practice.js.
 */
#include "practice_pages.h"

#include <stdio.h>
#include <string.h>

/* The staff's reach: 0, or the status replied (403). */
static int
pm_staff(jx_req *req, struct practice_who *w)
{
	if (practice_who(req, w) != 0 || !(w->city || w->dadmin || w->badmin))
		return jxp_forbidden(jx_host, req);
	return 0;
}

/* The WHERE part that keeps the activities (alias a) or bases (alias
 * b's id through col) of the staff member; bind with PM_ARGS. */
#define PM_SCOPE(col)                                                          \
	"(? = 1 OR (? = 1 AND " col "district_id = ?) OR (? = 1 AND "          \
	"" col "base_id IN (SELECT base_id FROM practice_base_admins WHERE "   \
	"identity_id = ?)))"
#define PM_TYPES "iiiii"
#define PM_ARGS(w)                                                             \
	(int64_t)(w).city, (int64_t)(w).dadmin, (w).district,                  \
	    (int64_t)(w).badmin, (w).id->id

/* ---- the activities --------------------------------------------------- */

int
practice_page_manage(jx_req *req, void *ud)
{
	struct practice_who w;
	cJSON *rows, *d;
	int rc;

	(void)ud;
	if ((rc = pm_staff(req, &w)) != 0)
		return rc;
	/* open ones first (soonest on top), then the closed and cancelled */
	rows = jx_host->db_rows(
	    jx_host->req_db(req),
	    "SELECT a.id, a.title, a.base_id, b.name AS base_name, "
	    "a.starts_at, a.ends_at, a.signup_deadline, a.capacity, "
	    "a.confirmed, a.waitlisted, a.hours_tenths, a.status FROM "
	    "practice_activities a JOIN practice_bases b ON b.id = a.base_id "
	    "WHERE " PM_SCOPE("a.") " ORDER BY CASE WHEN a.status = 'open' "
	                            "THEN 0 ELSE 1 END, a.starts_at, a.id "
	                            "LIMIT 500",
	    PM_TYPES, PM_ARGS(w));
	if (rows == NULL)
		return jxp_storage_error(jx_host, req);
	pp_shape_activities(req, rows);
	d = cJSON_CreateObject();
	cJSON_AddItemToObject(d, "items", rows);
	if (jx_host->req_is_api(req))
		return jx_host->reply_json(req, 200, d);
	cJSON_AddStringToObject(d, "title",
	                        jx_host->t(req, "practice.manage.title"));
	cJSON_AddBoolToObject(d, "can_create", w.dadmin || w.badmin);
	cJSON_AddBoolToObject(d, "dadmin", w.dadmin);
	return jx_host->reply_view(req, 200, "practice/manage", d);
}

/* The activity's registrations for its staff: name, school, class,
 * status, the waitlist position. */
static cJSON *
pm_registrations(jx_req *req, int64_t activity)
{
	cJSON *rows = jx_host->db_rows(
	    jx_host->req_db(req),
	    "SELECT r.id, r.status, r.created_at, r.checked_in_at, "
	    "p.name AS student_name, s.name AS school_name, c.grade AS "
	    "class_grade, c.name AS class_name, CASE WHEN r.status = "
	    "'waitlisted' THEN (SELECT COUNT(*) FROM practice_registrations "
	    "q WHERE q.activity_id = r.activity_id AND q.status = "
	    "'waitlisted' AND q.id <= r.id) END AS position FROM "
	    "practice_registrations r JOIN persons p ON p.id = r.student_id "
	    "LEFT JOIN schools s ON s.id = r.school_id LEFT JOIN classes c "
	    "ON c.id = r.class_id WHERE r.activity_id = ? ORDER BY CASE "
	    "r.status WHEN 'checked_in' THEN 0 WHEN 'confirmed' THEN 0 WHEN "
	    "'waitlisted' THEN 1 ELSE 2 END, r.id LIMIT 2000",
	    "i", activity);
	cJSON *r;

	cJSON_ArrayForEach(r, rows)
	{
		const cJSON *g =
		    cJSON_GetObjectItemCaseSensitive(r, "class_grade");
		const cJSON *n =
		    cJSON_GetObjectItemCaseSensitive(r, "class_name");
		const cJSON *at =
		    cJSON_GetObjectItemCaseSensitive(r, "checked_in_at");
		const cJSON *cr =
		    cJSON_GetObjectItemCaseSensitive(r, "created_at");

		if (cJSON_IsNumber(g) && cJSON_IsString(n))
			cJSON_AddStringToObject(
			    r, "class_label",
			    jx_host->sprintf(
			        req, "%s%s",
			        pp_grade(req, (int64_t)g->valuedouble),
			        n->valuestring));
		if (cJSON_IsNumber(at))
			cJSON_AddStringToObject(
			    r, "checked_in",
			    pp_when(req, (int64_t)at->valuedouble, 0));
		if (cJSON_IsNumber(cr))
			cJSON_AddStringToObject(
			    r, "registered",
			    pp_when(req, (int64_t)cr->valuedouble, 0));
	}
	return rows;
}

/* The activity's shaped row when the acting identity manages it, else
 * NULL after replying (404, 403). */
static cJSON *
pm_activity(jx_req *req, struct practice_who *w, int *status)
{
	int64_t id = jx_host->req_param_id(req, "id");
	cJSON *rows, *a;

	*status = 0;
	if ((*status = pm_staff(req, w)) != 0)
		return NULL;
	if (id <= 0 ||
	    practice_activity_manages(jx_host->req_db(req), w, id) != 1) {
		*status = jxp_not_found(jx_host, req);
		return NULL;
	}
	rows = jx_host->db_rows(
	    jx_host->req_db(req),
	    "SELECT a.id, a.title, a.description, a.base_id, b.name AS "
	    "base_name, b.address AS base_address, a.starts_at, a.ends_at, "
	    "a.signup_deadline, a.capacity, a.confirmed, a.waitlisted, "
	    "a.hours_tenths, a.status, a.cancel_reason FROM "
	    "practice_activities a JOIN practice_bases b ON b.id = a.base_id "
	    "WHERE a.id = ?",
	    "i", id);
	if (rows == NULL) {
		*status = jxp_storage_error(jx_host, req);
		return NULL;
	}
	pp_shape_activities(req, rows);
	a = cJSON_DetachItemFromArray(rows, 0);
	cJSON_Delete(rows);
	if (a == NULL) {
		*status = jxp_not_found(jx_host, req);
		return NULL;
	}
	cJSON_AddStringToObject(a, "grades_text", pp_grades_text(req, id));
	return a;
}

int
practice_page_manage_one(jx_req *req, void *ud)
{
	struct practice_who w;
	cJSON *a, *regs;
	int status;
	long long id;

	(void)ud;
	if ((a = pm_activity(req, &w, &status)) == NULL)
		return status;
	id = (long long)cJSON_GetObjectItemCaseSensitive(a, "id")->valuedouble;
	regs = pm_registrations(req, id);
	if (regs == NULL) {
		cJSON_Delete(a);
		return jxp_storage_error(jx_host, req);
	}
	cJSON_AddItemToObject(a, "registrations", regs);
	cJSON_AddStringToObject(a, "back", "/practice/manage");
	cJSON_AddStringToObject(
	    a, "checkin_href",
	    jx_host->sprintf(req, PRACTICE_CHECKIN_PATH, id));
	cJSON_AddStringToObject(a, "xlsx_href",
	                        jx_host->sprintf(req, PRACTICE_XLSX_PATH, id));
	return jx_host->reply_view(req, 200, "practice/manage_one", a);
}

/* ---- the activity form ------------------------------------------------ */

/* "2026-12-20T08:00" for a datetime-local control, in local time. */
static const char *
pm_local(jx_req *req, int64_t t)
{
	char iso[40];

	if (t <= 0)
		return "";
	jx_host->format_time(t, iso, sizeof(iso));
	iso[16] = '\0';
	return jx_host->strdup(req, iso);
}

/* The form's data: the bases the identity may publish at, the grades
 * (checked from checked[1..12]), values (an activity's, or empty). */
static int
pm_form(jx_req *req, const struct practice_who *w, cJSON *values,
        const int *checked)
{
	cJSON *d = cJSON_CreateObject(), *grades, *bases;

	bases = jx_host->db_rows(
	    jx_host->req_db(req),
	    "SELECT b.id, b.name FROM practice_bases b WHERE b.status = "
	    "'active' AND (? = 1 OR (? = 1 AND b.district_id = ?) OR (? = 1 "
	    "AND b.id IN (SELECT base_id FROM practice_base_admins WHERE "
	    "identity_id = ?))) ORDER BY b.name, b.id",
	    PM_TYPES, PM_ARGS(*w));
	if (bases == NULL) {
		cJSON_Delete(d);
		cJSON_Delete(values);
		return jxp_storage_error(jx_host, req);
	}
	cJSON_AddItemToObject(d, "bases", bases);
	grades = cJSON_AddArrayToObject(d, "grades");
	for (int g = 1; g <= 12; g++) {
		cJSON *x = cJSON_CreateObject();

		cJSON_AddNumberToObject(x, "value", g);
		cJSON_AddStringToObject(x, "label", pp_grade(req, g));
		cJSON_AddBoolToObject(x, "checked", checked && checked[g]);
		cJSON_AddItemToArray(grades, x);
	}
	if (values == NULL) {
		values = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "title",
		                        jx_host->t(req, "practice.form.new"));
		cJSON_AddStringToObject(d, "back", "/practice/manage");
	} else {
		cJSON_AddStringToObject(d, "title",
		                        jx_host->t(req, "practice.form.edit"));
		cJSON_AddStringToObject(
		    d, "back",
		    jx_host->sprintf(
		        req, "/practice/manage/%lld",
		        (long long)cJSON_GetObjectItemCaseSensitive(values,
		                                                    "id")
		            ->valuedouble));
	}
	cJSON_AddItemToObject(d, "values", values);
	return jx_host->reply_view(req, 200, "practice/form", d);
}

int
practice_page_form_new(jx_req *req, void *ud)
{
	struct practice_who w;
	int rc;

	(void)ud;
	if ((rc = pm_staff(req, &w)) != 0)
		return rc;
	if (!(w.dadmin || w.badmin))
		return jxp_forbidden(jx_host, req);
	return pm_form(req, &w, NULL, NULL);
}

int
practice_page_form_edit(jx_req *req, void *ud)
{
	struct practice_who w;
	cJSON *a;
	int status, checked[13] = {0};
	jx_stmt *st;

	(void)ud;
	if ((a = pm_activity(req, &w, &status)) == NULL)
		return status;
	st = jx_host->db_query(
	    jx_host->req_db(req),
	    "SELECT grade FROM practice_activity_grades WHERE activity_id = ?",
	    "i",
	    (int64_t)cJSON_GetObjectItemCaseSensitive(a, "id")->valuedouble);
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		int64_t g = jx_host->db_int(st, 0);

		if (g >= 1 && g <= 12)
			checked[g] = 1;
	}
	jx_host->db_finish(st);
	cJSON_AddStringToObject(
	    a, "starts_local",
	    pm_local(req,
	             (int64_t)cJSON_GetObjectItemCaseSensitive(a, "starts_at")
	                 ->valuedouble));
	cJSON_AddStringToObject(
	    a, "ends_local",
	    pm_local(req,
	             (int64_t)cJSON_GetObjectItemCaseSensitive(a, "ends_at")
	                 ->valuedouble));
	cJSON_AddStringToObject(
	    a, "deadline_local",
	    pm_local(req, (int64_t)cJSON_GetObjectItemCaseSensitive(
	                      a, "signup_deadline")
	                      ->valuedouble));
	return pm_form(req, &w, a, checked);
}

/* ---- bases ------------------------------------------------------------ */

int
practice_page_bases(jx_req *req, void *ud)
{
	struct practice_who w;
	cJSON *rows, *d;
	int rc;

	(void)ud;
	if ((rc = pm_staff(req, &w)) != 0)
		return rc;
	rows = jx_host->db_rows(
	    jx_host->req_db(req),
	    "SELECT b.id, b.name, b.address, b.status, (SELECT COUNT(*) FROM "
	    "practice_base_admins x WHERE x.base_id = b.id) AS admins, "
	    "(SELECT COUNT(*) FROM practice_activities a WHERE a.base_id = "
	    "b.id AND a.status = 'open') AS open_activities FROM "
	    "practice_bases b WHERE (? = 1 OR (? = 1 AND b.district_id = ?) "
	    "OR (? = 1 AND b.id IN (SELECT base_id FROM practice_base_admins "
	    "WHERE identity_id = ?))) ORDER BY CASE WHEN b.status = 'active' "
	    "THEN 0 ELSE 1 END, b.name, b.id LIMIT 500",
	    PM_TYPES, PM_ARGS(w));
	if (rows == NULL)
		return jxp_storage_error(jx_host, req);
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "title",
	                        jx_host->t(req, "practice.bases.title"));
	cJSON_AddStringToObject(d, "back", "/practice/manage");
	cJSON_AddBoolToObject(d, "can_create", w.dadmin);
	cJSON_AddItemToObject(d, "items", rows);
	return jx_host->reply_view(req, 200, "practice/bases", d);
}

/* "138****0001": enough for staff to tell two admins apart. */
static const char *
pm_mask_phone(jx_req *req, const char *phone)
{
	size_t n = phone ? strlen(phone) : 0;

	if (n < 7)
		return phone ? phone : "";
	return jx_host->sprintf(req, "%.3s****%s", phone, phone + n - 4);
}

int
practice_page_base(jx_req *req, void *ud)
{
	struct practice_who w;
	jx_db *db = jx_host->req_db(req);
	int64_t id = jx_host->req_param_id(req, "id");
	cJSON *rows, *b, *admins, *acts, *x;
	int rc;

	(void)ud;
	if ((rc = pm_staff(req, &w)) != 0)
		return rc;
	if (id <= 0 || practice_base_manages(db, &w, id) != 1)
		return jxp_not_found(jx_host, req);
	rows = jx_host->db_rows(db,
	                        "SELECT id, name, address, description, status "
	                        "FROM practice_bases WHERE id = ?",
	                        "i", id);
	b = rows ? cJSON_DetachItemFromArray(rows, 0) : NULL;
	cJSON_Delete(rows);
	if (b == NULL)
		return jxp_not_found(jx_host, req);
	admins = jx_host->db_rows(
	    db,
	    "SELECT x.person_id, p.name, p.phone FROM practice_base_admins x "
	    "JOIN persons p ON p.id = x.person_id WHERE x.base_id = ? ORDER "
	    "BY x.created_at, x.person_id",
	    "i", id);
	acts = jx_host->db_rows(
	    db,
	    "SELECT a.id, a.title, a.starts_at, a.ends_at, a.signup_deadline, "
	    "a.capacity, a.confirmed, a.waitlisted, a.status FROM "
	    "practice_activities a WHERE a.base_id = ? ORDER BY CASE WHEN "
	    "a.status = 'open' THEN 0 ELSE 1 END, a.starts_at DESC, a.id "
	    "LIMIT 200",
	    "i", id);
	if (admins == NULL || acts == NULL) {
		cJSON_Delete(admins);
		cJSON_Delete(acts);
		cJSON_Delete(b);
		return jxp_storage_error(jx_host, req);
	}
	cJSON_ArrayForEach(x, admins)
	{
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(x, "phone");

		cJSON_ReplaceItemInObjectCaseSensitive(
		    x, "phone",
		    cJSON_CreateString(pm_mask_phone(
		        req, cJSON_IsString(p) ? p->valuestring : NULL)));
	}
	pp_shape_activities(req, acts);
	cJSON_AddItemToObject(b, "admins", admins);
	cJSON_AddItemToObject(b, "activities", acts);
	cJSON_AddBoolToObject(b, "dadmin", w.dadmin || w.city);
	cJSON_AddStringToObject(b, "back", "/practice/manage/bases");
	return jx_host->reply_view(req, 200, "practice/base", b);
}
