/*
 * roster.c — the roster plugin: classes, teachers, students and parents,
 * their Excel imports and exports, and account slips (API.md, "Roster").
 * This file holds the descriptor and the helpers the other files share.
 */
#include "roster.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <strings.h>

JX_HOST_DECLARE;
const struct jx_org_v1 *roster_org;

int
roster_not_found(jx_req *req)
{
	return jxp_not_found(jx_host, req);
}

int
roster_forbidden(jx_req *req)
{
	return jxp_forbidden(jx_host, req);
}

int
roster_storage_error(jx_req *req)
{
	return jxp_storage_error(jx_host, req);
}

int
roster_invalid(jx_req *req, const char *detail)
{
	return jxp_invalid(jx_host, req, detail);
}

const char *
roster_string(jx_req *req, const cJSON *body, const char *name, size_t max,
              int required, int *bad)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, name);
	const char *s, *e;
	char *out;

	if (v == NULL || cJSON_IsNull(v)) {
		if (required) {
			jx_host->problem_error(
			    req, 0, name,
			    jx_host->sprintf(req, "%s is required", name));
			*bad = 1;
		}
		return NULL;
	}
	if (!cJSON_IsString(v)) {
		jx_host->problem_error(
		    req, 0, name,
		    jx_host->sprintf(req, "%s must be a string", name));
		*bad = 1;
		return NULL;
	}
	s = v->valuestring;
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	out = jx_host->alloc(req, (size_t)(e - s) + 1);
	memcpy(out, s, (size_t)(e - s));
	out[e - s] = '\0';
	if ((required && *out == '\0') || jxp_chars(out) > max) {
		jx_host->problem_error(
		    req, 0, name,
		    jx_host->sprintf(req, "%s must have 1 to %zu characters",
		                     name, max));
		*bad = 1;
		return NULL;
	}
	return out;
}

int
roster_manage(jx_req *req, int64_t school)
{
	if (school <= 0 || !jx_host->may(req, JX_SEE_SCHOOL, school))
		return roster_not_found(req);
	if (!jx_host->may(req, JX_MANAGE_SCHOOL, school))
		return roster_forbidden(req);
	return 0;
}

int64_t
roster_school_district(jx_db *db, int64_t school)
{
	int64_t d =
	    jxp_one(jx_host, db, "SELECT district_id FROM schools WHERE id = ?",
	            "i", school);

	return d > 0 ? d : 0;
}

int
roster_student_changed(jx_db *db, int64_t student)
{
	cJSON *ev = cJSON_CreateObject();
	int rc;

	cJSON_AddNumberToObject(ev, "student_id", (double)student);
	rc = jx_host->publish(db, "roster.student_changed", ev);
	cJSON_Delete(ev);
	return rc;
}

int
roster_school_changed(jx_db *db, int64_t school)
{
	cJSON *ev = cJSON_CreateObject();
	int rc;

	cJSON_AddNumberToObject(ev, "school_id", (double)school);
	rc = jx_host->publish(db, "roster.school_changed", ev);
	cJSON_Delete(ev);
	return rc;
}

/* A school admin's imports still queued or running (home page). */
static int64_t
roster_home_jobs(jx_req *req, void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);

	(void)ud;
	if (i == NULL || strcmp(i->role, "school_admin") != 0)
		return -1;
	return jxp_one(jx_host, jx_host->req_db(req),
	               "SELECT COUNT(*) FROM roster_imports r JOIN jobs j ON "
	               "j.id = r.job_id WHERE r.school_id = ? AND j.state IN "
	               "('queued','running')",
	               "i", i->school_id);
}

static int
roster_init(const struct jx_host *h, struct jx_registrar *reg)
{
	JX_HOST_INIT(h);
	roster_org = h->service(JX_ORG_SERVICE);
	if (roster_org == NULL) {
		h->log(JX_LOG_ERROR, "roster", "the host has no %s service",
		       JX_ORG_SERVICE);
		return -1;
	}
	if (roster_import_init(reg) != 0)
		return -1;
	reg->menu(reg, "school_admin,district_admin", "nav.roster.classes",
	          "/roster/classes", 20);
	reg->menu(reg, "school_admin", "nav.roster.students",
	          "/roster/students", 21);
	reg->menu(reg, "school_admin", "nav.roster.teachers",
	          "/roster/teachers", 22);
	reg->menu(reg, "school_admin", "nav.roster.parents", "/roster/parents",
	          22);
	reg->menu(reg, "school_admin", "nav.roster.import", "/roster/import",
	          23);
	if (roster_myclass_init(reg) != 0)
		return -1;
	if (JX_REG_HAS(reg, home_item)) {
		static const struct jx_home_item jobs = {
		    .size = sizeof(struct jx_home_item),
		    .roles = "school_admin",
		    .label_key = "home.roster.jobs",
		    .href = "/roster/import",
		    .order = 40,
		    .flags = JX_HOME_HIDE_ZERO,
		    .count = roster_home_jobs,
		};

		if (reg->home_item(reg, &jobs) != 0)
			return -1;
	}
	return 0;
}

static const char *const roster_migrations[] = {
    /* 1: import bookkeeping (the uploaded sheet lives only for the
     * job; a row per import for the history page) */
    "CREATE TABLE roster_imports ("
    "  id INTEGER PRIMARY KEY,"
    "  school_id INTEGER NOT NULL REFERENCES schools(id),"
    "  job_id INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  mode TEXT NOT NULL,"
    "  file_name TEXT,"
    "  sheet BLOB,"
    "  created_by INTEGER,"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX roster_imports_school ON roster_imports(school_id);",
    /* 2: departures. A school keeps what it knew of a student who
     * left (name, class, date, reason) and, once another school takes
     * them in, that school: its left list shows them without anything
     * the new school adds. Students who left before are written now. */
    "CREATE TABLE roster_departures ("
    "  id INTEGER PRIMARY KEY,"
    "  student_id INTEGER NOT NULL REFERENCES persons(id),"
    "  school_id INTEGER NOT NULL REFERENCES schools(id),"
    "  name TEXT NOT NULL,"
    "  gender TEXT,"
    "  grade INTEGER,"
    "  class_name TEXT,"
    "  class_id INTEGER,"
    "  left_at INTEGER NOT NULL,"
    "  reason TEXT,"
    "  destination_school_id INTEGER REFERENCES schools(id),"
    "  readmitted_at INTEGER);"
    "CREATE INDEX roster_departures_school ON "
    "  roster_departures(school_id, student_id);"
    "CREATE INDEX roster_departures_student ON "
    "  roster_departures(student_id);"
    "INSERT INTO roster_departures(student_id, school_id, name, gender, "
    "  grade, class_name, class_id, left_at, reason) "
    "SELECT s.person_id, s.school_id, p.name, p.gender, c.grade, c.name, "
    "  s.class_id, COALESCE(s.left_at, 0), s.left_reason FROM students s "
    "  JOIN persons p ON p.id = s.person_id LEFT JOIN classes c ON c.id = "
    "  s.class_id WHERE s.status = 'left';",
    NULL};

/* Every route; a JX_ROUTE_BOTH handler answers the page and the API. */
static const struct jx_route roster_routes[] = {
    {"GET", "/schools/{sid}/classes", classes_get, NULL, JX_ROUTE_BOTH},
    {"POST", "/api/v1/schools/{sid}/classes", classes_create, NULL, 0},
    {"POST", "/api/v1/schools/{sid}/classes/batch", classes_batch, NULL, 0},
    {"PATCH", "/api/v1/classes/{id}", classes_patch, NULL, 0},
    {"DELETE", "/api/v1/classes/{id}", classes_delete, NULL, 0},
    {"GET", "/schools/{sid}/students", students_list, NULL, JX_ROUTE_BOTH},
    {"POST", "/schools/{sid}/students", students_create, NULL, JX_ROUTE_BOTH},
    {"GET", "/students/{id}", student_get, NULL, JX_ROUTE_BOTH},
    {"PATCH", "/api/v1/students/{id}", student_patch, NULL, 0},
    {"POST", "/students/{id}", student_patch, NULL, JX_ROUTE_PAGE},
    {"POST", "/students/{id}/leave", student_leave, NULL, JX_ROUTE_BOTH},
    {"POST", "/students/{id}/reinstate", student_reinstate, NULL,
     JX_ROUTE_BOTH},
    {"GET", "/schools/{sid}/teachers", teachers_list, NULL, JX_ROUTE_BOTH},
    {"POST", "/schools/{sid}/teachers", teachers_create, NULL, JX_ROUTE_BOTH},
    {"POST", "/teachers/{id}/leave", teacher_leave, NULL, JX_ROUTE_BOTH},
    {"PATCH", "/api/v1/teachers/{id}", teacher_patch, NULL, 0},
    {"POST", "/teachers/{id}", teacher_patch, NULL, JX_ROUTE_PAGE},
    {"GET", "/teachers/{id}/edit", teacher_edit_page, NULL, JX_ROUTE_PAGE},
    {"GET", "/roster/classes", pages_roster, (void *)"classes", JX_ROUTE_PAGE},
    {"GET", "/roster/students", pages_roster, (void *)"students",
     JX_ROUTE_PAGE},
    {"GET", "/roster/teachers", pages_roster, (void *)"teachers",
     JX_ROUTE_PAGE},
    {"GET", "/schools/{sid}/students/new", pages_new, (void *)"students",
     JX_ROUTE_PAGE},
    {"GET", "/schools/{sid}/teachers/new", pages_new, (void *)"teachers",
     JX_ROUTE_PAGE},
    {"POST", "/schools/{sid}/classes", pages_class_create, NULL, JX_ROUTE_PAGE},
    {"POST", "/classes/{id}", pages_class_update, NULL, JX_ROUTE_PAGE},
    {"POST", "/classes/{id}/delete", pages_class_delete, NULL, JX_ROUTE_PAGE},
    {"DELETE", "/api/v1/students/{id}/guardians/{pid}", guardians_remove, NULL,
     0},
    {"POST", "/students/{id}/guardians/{pid}/remove", guardians_remove, NULL,
     JX_ROUTE_PAGE},
    {"GET", "/api/v1/imports/templates/{file}", sheets_template, NULL, 0},
    {"GET", "/api/v1/schools/{sid}/students.xlsx", sheets_export, NULL, 0},
    {"GET", "/roster/import", sheets_import_page, NULL, JX_ROUTE_PAGE},
    {"POST", "/api/v1/schools/{sid}/imports", import_post, NULL, 0},
    {"GET", "/schools/{sid}/slips", slips_get, NULL, JX_ROUTE_BOTH},
    {"GET", "/schools/{sid}/teacher-slips", slips_teachers_get, NULL,
     JX_ROUTE_BOTH},
    {"GET", "/schools/{sid}/parents", parents_list, NULL, JX_ROUTE_BOTH},
    {"GET", "/roster/parents", pages_roster, (void *)"parents", JX_ROUTE_PAGE},
    {"GET", "/classes/{id}", myclass_get, NULL, JX_ROUTE_BOTH},
    {"GET", "/roster/myclass", myclass_menu, NULL, JX_ROUTE_PAGE},
    {NULL, NULL, NULL, NULL, 0},
};

static const struct jx_plugin roster_plugin = {
    .size = sizeof(struct jx_plugin),
    .abi_major = JX_ABI_MAJOR,
    .abi_minor = 1, /* jx_host->tmp_open (imports) */
    .routes = roster_routes,
    .name = "roster",
    .version = "1.0.0",
    .migrations = roster_migrations,
    .init = roster_init,
};

JX_EXPORT const struct jx_plugin *
jx_plugin_entry(void)
{
	return &roster_plugin;
}
