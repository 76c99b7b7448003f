/*
 * roster_slips.c — account slips: for each in-school student of a class
 * (or of the whole school) the login and the initial password while it
 * is unused, as JSON (GET /api/v1/schools/{sid}/slips; ?class_id=, or
 * ?student_id= for one slip reprinted after a reset) and as a page
 * that prints ten slips to an A4 sheet with cut lines and a QR code to
 * the parent binding page (GET /schools/{sid}/slips).
 *
 * Where a district has no SMS gateway, adults get random initial
 * passwords too (API.md, "Logins"): each student's slip carries a line
 * per parent, and teachers get slips of their own
 * (/schools/{sid}/teacher-slips). An adult's password is printed only
 * when every active identity of the account is of this school: a school
 * never hands out the password of someone who also acts elsewhere.
 *
 * Slips reveal initial passwords, so only those who may hand them out
 * see them (the school's admins, a head teacher for their class), and
 * every view is audit-logged.
 */
#include "roster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jxplug_qr.h"

/* Accounts wholly of school: each active identity a teacher of it, or a
 * parent or student of one of its students (the ? is the school). */
#define SLIPS_OWN_ACCOUNT                                                      \
	"NOT EXISTS (SELECT 1 FROM identities i LEFT JOIN students s2 ON "     \
	"s2.person_id = i.student_id WHERE i.account_id = a.id AND i.status "  \
	"= 'active' AND (i.role NOT IN ('teacher','parent','student') OR "     \
	"COALESCE(CASE WHEN i.role IN ('parent','student') THEN s2.school_id " \
	"ELSE i.school_id END, 0) <> ?))"

/* The initial password of an adult's account for a slip: the password,
 * or null with state "changed", "sms" (activation by code) or
 * "elsewhere" (the account acts outside this school). */
static void
slips_adult_password(jx_db *db, int64_t school, int64_t account, cJSON *o)
{
	char *pw = NULL;
	int own = account > 0 &&
	          jxp_one(jx_host, db,
	                  "SELECT 1 FROM host_accounts a WHERE a.id = ? "
	                  "AND " SLIPS_OWN_ACCOUNT,
	                  "ii", account, school) == 1;
	int changed =
	    account > 0 && jxp_one(jx_host, db,
	                           "SELECT 1 FROM host_accounts WHERE id "
	                           "= ? AND password_set",
	                           "i", account) == 1;

	if (own)
		pw = roster_org->initial_password(db, account);
	if (pw != NULL) {
		cJSON_AddStringToObject(o, "initial_password", pw);
		cJSON_AddStringToObject(o, "password_state", "initial");
		free(pw);
		return;
	}
	cJSON_AddNullToObject(o, "initial_password");
	cJSON_AddStringToObject(
	    o, "password_state",
	    !own      ? "elsewhere"
	    : changed ? "changed"
	    : jxp_one(jx_host, db,
	              "SELECT 1 FROM host_accounts WHERE id = ? "
	              "AND NOT initial_set",
	              "i", account) == 1
	        ? "sms"
	        : "expired");
}

/* Each adult of arr (objects holding "account_id") gets its password
 * fields, and loses the account id. After the list's query is finished:
 * the org service queries the same connection. */
static void
slips_adults_passwords(jx_db *db, int64_t school, cJSON *arr)
{
	cJSON *o;

	cJSON_ArrayForEach(o, arr)
	{
		slips_adult_password(db, school,
		                     (int64_t)cJSON_GetNumberValue(
		                         cJSON_GetObjectItem(o, "account_id")),
		                     o);
		cJSON_DeleteItemFromObject(o, "account_id");
	}
}

/* A slips page's data: its title, the school's id and name. */
static cJSON *
slips_page_data(jx_req *req, jx_db *db, int64_t sid, const char *title_key)
{
	cJSON *d = cJSON_CreateObject();
	jx_stmt *st;

	cJSON_AddStringToObject(d, "title", jx_host->t(req, title_key));
	cJSON_AddNumberToObject(d, "school_id", (double)sid);
	st = jx_host->db_query(db, "SELECT name FROM schools WHERE id = ?", "i",
	                       sid);
	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW)
		cJSON_AddStringToObject(d, "school_name",
		                        jx_host->db_text(st, 0));
	jx_host->db_finish(st);
	return d;
}

/* One line per parent of the student: {"name","login",
 * "initial_password","password_state"}. */
static cJSON *
slips_parents(jx_db *db, int64_t school, int64_t student)
{
	jx_stmt *st =
	    jx_host->db_query(db,
	                      "SELECT COALESCE(g.display_name, p.name), "
	                      "a.login, a.id FROM guardians "
	                      "g JOIN persons p ON p.id = g.parent_id JOIN "
	                      "host_accounts a ON a.person_id = g.parent_id "
	                      "WHERE g.student_id = ? ORDER BY g.created_at, "
	                      "g.parent_id",
	                      "i", student);
	cJSON *arr = cJSON_CreateArray(), *o;

	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", jx_host->db_text(st, 0));
		cJSON_AddStringToObject(o, "login", jx_host->db_text(st, 1));
		cJSON_AddNumberToObject(o, "account_id",
		                        (double)jx_host->db_int(st, 2));
		cJSON_AddItemToArray(arr, o);
	}
	jx_host->db_finish(st);
	slips_adults_passwords(db, school, arr);
	return arr;
}

/*
 * The slips of the school's in-school students (of class klass unless
 * it is 0), by class then name. Each has the API's fields and, for the
 * page, password_state: "initial", "changed" or "expired".
 */
static cJSON *
slips_list(jx_db *db, int64_t school, int64_t klass, int64_t student)
{
	jx_stmt *st = jx_host->db_query(
	    db,
	    "SELECT s.person_id, p.name, c.grade, c.name, a.id, a.login, "
	    "a.password_set FROM students s JOIN persons p ON "
	    "p.id = s.person_id LEFT JOIN classes c ON c.id = s.class_id "
	    "LEFT JOIN host_accounts a ON a.person_id = s.person_id WHERE "
	    "s.school_id = ? AND s.status = 'in_school' AND (? = 0 OR "
	    "s.class_id = ?) AND (? = 0 OR s.person_id = ?) ORDER BY "
	    "COALESCE(c.grade, 99), LENGTH(c.name), c.name, p.name, "
	    "s.person_id",
	    "iiiii", school, klass, klass, student, student);
	cJSON *arr = cJSON_CreateArray(), *s;

	if (st == NULL) {
		cJSON_Delete(arr);
		return NULL;
	}
	while (jx_host->db_step(st) == JX_DB_ROW) {
		s = cJSON_CreateObject();
		cJSON_AddNumberToObject(s, "student_id",
		                        (double)jx_host->db_int(st, 0));
		cJSON_AddStringToObject(s, "name", jx_host->db_text(st, 1));
		if (jx_host->db_is_null(st, 3)) {
			cJSON_AddNullToObject(s, "class_name");
		} else {
			char full[128];

			snprintf(full, sizeof(full), "%s%s",
			         roster_org->grade_label(
			             (int)jx_host->db_int(st, 2)),
			         jx_host->db_text(st, 3));
			cJSON_AddStringToObject(s, "class_name", full);
		}
		if (jx_host->db_is_null(st, 5))
			cJSON_AddNullToObject(s, "login");
		else
			cJSON_AddStringToObject(s, "login",
			                        jx_host->db_text(st, 5));
		/* the account, for the password pass below */
		cJSON_AddNumberToObject(s, "account_id",
		                        (double)(jx_host->db_is_null(st, 4)
		                                     ? 0
		                                     : jx_host->db_int(st, 4)));
		cJSON_AddBoolToObject(s, "changed",
		                      jx_host->db_int(st, 6) != 0);
		cJSON_AddItemToArray(arr, s);
	}
	jx_host->db_finish(st);
	/* The passwords after the list: the org service queries the same
	 * connection. */
	cJSON_ArrayForEach(s, arr)
	{
		int64_t account = (int64_t)cJSON_GetNumberValue(
		    cJSON_GetObjectItem(s, "account_id"));
		int changed = cJSON_IsTrue(cJSON_GetObjectItem(s, "changed"));
		char *pw = account > 0
		               ? roster_org->initial_password(db, account)
		               : NULL;

		if (pw != NULL) {
			cJSON_AddStringToObject(s, "initial_password", pw);
			cJSON_AddStringToObject(s, "password_state", "initial");
			free(pw);
		} else {
			cJSON_AddNullToObject(s, "initial_password");
			cJSON_AddStringToObject(s, "password_state",
			                        changed ? "changed"
			                                : "expired");
		}
		cJSON_DeleteItemFromObject(s, "account_id");
		cJSON_DeleteItemFromObject(s, "changed");
		cJSON_AddItemToObject(
		    s, "parents",
		    slips_parents(db, school,
		                  (int64_t)cJSON_GetNumberValue(
		                      cJSON_GetObjectItem(s, "student_id"))));
	}
	return arr;
}

/* The school's in-school teachers, by name: {"teacher_id","name",
 * "login","initial_password","password_state"}. */
static cJSON *
slips_teacher_list(jx_db *db, int64_t school)
{
	jx_stmt *st = jx_host->db_query(
	    db,
	    "SELECT t.person_id, COALESCE(t.display_name, p.name), a.login, "
	    "a.id FROM teachers t JOIN "
	    "persons p ON p.id = t.person_id JOIN host_accounts a ON "
	    "a.person_id = "
	    "t.person_id WHERE t.school_id = ? AND t.status = 'in_school' "
	    "ORDER BY 2, t.person_id",
	    "i", school);
	cJSON *arr = cJSON_CreateArray(), *o;

	if (st == NULL) {
		cJSON_Delete(arr);
		return NULL;
	}
	while (jx_host->db_step(st) == JX_DB_ROW) {
		o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "teacher_id",
		                        (double)jx_host->db_int(st, 0));
		cJSON_AddStringToObject(o, "name", jx_host->db_text(st, 1));
		cJSON_AddStringToObject(o, "login", jx_host->db_text(st, 2));
		cJSON_AddNumberToObject(o, "account_id",
		                        (double)jx_host->db_int(st, 3));
		cJSON_AddItemToArray(arr, o);
	}
	jx_host->db_finish(st);
	slips_adults_passwords(db, school, arr);
	return arr;
}

/* GET /api/v1/schools/{sid}/teacher-slips and the page: the school's
 * admins print their teachers' initial passwords. */
int
slips_teachers_get(jx_req *req, void *ud)
{
	int64_t sid = jx_host->req_param_id(req, "sid");
	int page = !jx_host->req_is_api(req);
	jx_db *db = jx_host->req_db(req);
	cJSON *slips, *d, *detail, *s;
	const char *url;
	char *base;

	(void)ud;
	if (sid < 0 || !jx_host->may(req, JX_SEE_SCHOOL, sid))
		return roster_not_found(req);
	if (!jx_host->may(req, JX_MANAGE_SCHOOL, sid))
		return roster_forbidden(req);
	slips = slips_teacher_list(db, sid);
	if (slips == NULL)
		return roster_storage_error(req);
	detail = cJSON_CreateObject();
	cJSON_AddNumberToObject(detail, "school_id", (double)sid);
	cJSON_AddNumberToObject(detail, "teacher_slips",
	                        (double)cJSON_GetArraySize(slips));
	if (jx_host->audit(req, "roster.slips_viewed",
	                   jx_host->sprintf(req, "school:%lld", (long long)sid),
	                   detail) != 0) {
		cJSON_Delete(detail);
		cJSON_Delete(slips);
		return roster_storage_error(req);
	}
	cJSON_Delete(detail);
	if (!page) {
		cJSON_ArrayForEach(s, slips)
		    cJSON_DeleteItemFromObject(s, "password_state");
		return jx_host->reply_json(req, 200, slips);
	}
	d = slips_page_data(req, db, sid, "roster.teacher_slips.title");
	cJSON_AddItemToObject(d, "slips", slips);
	url = jx_host->config_string("public_url");
	base = jx_host->strdup(req, url ? url : "");
	for (size_t n = strlen(base); n > 0 && base[n - 1] == '/'; n--)
		base[n - 1] = '\0';
	cJSON_AddStringToObject(d, "login_url",
	                        jx_host->sprintf(req, "%s/login", base));
	return jx_host->reply_view(req, 200, "roster/teacher_slips", d);
}

/* The classes whose slips the caller may print, for the page's
 * selector: all of the school's for its admins, a head teacher's own. */
static cJSON *
slips_classes(jx_req *req, jx_db *db, int64_t school, int all)
{
	jx_stmt *st =
	    jx_host->db_query(db,
	                      "SELECT id, grade, name FROM classes WHERE "
	                      "school_id = ? ORDER BY grade, LENGTH(name), "
	                      "name",
	                      "i", school);
	cJSON *arr = cJSON_CreateArray();

	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		int64_t id = jx_host->db_int(st, 0);
		cJSON *c;

		if (!all && !jx_host->may(req, JX_MANAGE_CLASS, id))
			continue;
		c = cJSON_CreateObject();
		cJSON_AddNumberToObject(c, "id", (double)id);
		cJSON_AddStringToObject(
		    c, "name",
		    jx_host->sprintf(
		        req, "%s%s",
		        roster_org->grade_label((int)jx_host->db_int(st, 1)),
		        jx_host->db_text(st, 2)));
		cJSON_AddItemToArray(arr, c);
	}
	jx_host->db_finish(st);
	return arr;
}

int
slips_get(jx_req *req, void *ud)
{
	int64_t sid = jx_host->req_param_id(req, "sid"), klass = 0, student = 0;
	const char *cq = jx_host->req_query(req, "class_id");
	const char *sq = jx_host->req_query(req, "student_id");
	int page = !jx_host->req_is_api(req), all, size = 0;
	jx_db *db = jx_host->req_db(req);
	cJSON *slips, *d, *detail, *classes = NULL;
	const char *url;
	char *qr, *base;

	if (sid < 0 || !jx_host->may(req, JX_SEE_SCHOOL, sid))
		return roster_not_found(req);
	all = jx_host->may(req, JX_MANAGE_SCHOOL, sid);
	/* One student's slip (reprinted after a reset): the check is that of
	 * the student's class. */
	if (sq != NULL && *sq != '\0') {
		student = atoll(sq);
		klass = student > 0
		            ? jxp_one(jx_host, db,
		                      "SELECT COALESCE(class_id, 0) FROM "
		                      "students WHERE person_id = ? AND "
		                      "school_id = ? AND status = "
		                      "'in_school'",
		                      "ii", student, sid)
		            : -1;
		if (klass < 0 || (klass == 0 && !all) ||
		    !jx_host->may(req, JX_SEE_STUDENT, student))
			return roster_not_found(req);
		if (!all && !jx_host->may(req, JX_MANAGE_CLASS, klass))
			return roster_forbidden(req);
	} else if (cq != NULL && *cq != '\0') {
		klass = atoll(cq);
		if (klass <= 0 ||
		    jxp_one(jx_host, db,
		            "SELECT 1 FROM classes WHERE id = ? AND "
		            "school_id = ?",
		            "ii", klass, sid) != 1 ||
		    !jx_host->may(req, JX_SEE_CLASS, klass))
			return roster_not_found(req);
		if (!jx_host->may(req, JX_MANAGE_CLASS, klass))
			return roster_forbidden(req);
	} else if (!all) {
		/* A head teacher's page opens on their first class. */
		if (page) {
			classes = slips_classes(req, db, sid, 0);
			klass =
			    (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(
			        cJSON_GetArrayItem(classes, 0), "id"));
		}
		if (klass <= 0) {
			cJSON_Delete(classes);
			return roster_forbidden(req);
		}
	}
	slips = slips_list(db, sid, student > 0 ? 0 : klass, student);
	if (slips == NULL) {
		cJSON_Delete(classes);
		return roster_storage_error(req);
	}
	detail = cJSON_CreateObject();
	cJSON_AddNumberToObject(detail, "school_id", (double)sid);
	if (klass > 0)
		cJSON_AddNumberToObject(detail, "class_id", (double)klass);
	if (student > 0)
		cJSON_AddNumberToObject(detail, "student_id", (double)student);
	cJSON_AddNumberToObject(detail, "slips",
	                        (double)cJSON_GetArraySize(slips));
	if (jx_host->audit(req, "roster.slips_viewed",
	                   jx_host->sprintf(req, "school:%lld", (long long)sid),
	                   detail) != 0) {
		cJSON_Delete(detail);
		cJSON_Delete(slips);
		cJSON_Delete(classes);
		return roster_storage_error(req);
	}
	cJSON_Delete(detail);
	if (!page) {
		cJSON *s;

		/* The API's fields only. */
		cJSON_ArrayForEach(s, slips)
		{
			cJSON *g;

			cJSON_DeleteItemFromObject(s, "password_state");
			cJSON_ArrayForEach(g, cJSON_GetObjectItem(s, "parents"))
			    cJSON_DeleteItemFromObject(g, "password_state");
		}
		return jx_host->reply_json(req, 200, slips);
	}
	d = slips_page_data(req, db, sid, "roster.slips.title");
	if (klass > 0)
		cJSON_AddNumberToObject(d, "class_id", (double)klass);
	if (student > 0)
		cJSON_AddNumberToObject(d, "student_id", (double)student);
	cJSON_AddBoolToObject(d, "whole_school", all);
	if (classes == NULL)
		classes = slips_classes(req, db, sid, all);
	cJSON_AddItemToObject(d, "classes", classes);
	cJSON_AddItemToObject(d, "slips", slips);
	/* public_url + "/bind", whether or not the URL ends with '/' */
	url = jx_host->config_string("public_url");
	base = jx_host->strdup(req, url ? url : "");
	for (size_t n = strlen(base); n > 0 && base[n - 1] == '/'; n--)
		base[n - 1] = '\0';
	url = jx_host->sprintf(req, "%s/bind", base);
	cJSON_AddStringToObject(d, "bind_url", url);
	qr = jxp_qr_path(jx_host, req, url, &size);
	if (qr != NULL) {
		cJSON_AddStringToObject(d, "qr_path", qr);
		cJSON_AddNumberToObject(d, "qr_size", size);
	}
	return jx_host->reply_view(req, 200, "roster/slips", d);
}
