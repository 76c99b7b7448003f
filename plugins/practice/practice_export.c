/*
 * practice_export.c — an activity's attendance (issue 18): who is
 * expected (confirmed) and who came (checked in), as the staff's
 * check-in list shows it and as a sheet,
 * GET /api/v1/practice/activities/{id}/attendance.xlsx (the staff of the
 * activity's base and the district's admins): student, school, class,
 * status, check-in time, hours, under a title row and a header row in
 * Chinese. Waitlisted and cancelled registrations had no seat and are
 * not on it.
 */
#include "practice_checkin.h"

#include "jxplug_xlsx.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int
practice_activity_head(jx_req *req, jx_db *db, int64_t id,
                       struct practice_activity_head *a)
{
	struct practice_who w;
	jx_stmt *st;
	int rc;

	memset(a, 0, sizeof(*a));
	if (id <= 0 || practice_who(req, &w) != 0 || w.family)
		return 0;
	st = jx_host->db_query(
	    db,
	    "SELECT a.id, a.base_id, a.district_id, a.starts_at, a.ends_at, "
	    "a.hours_tenths, a.status, a.title, b.name FROM "
	    "practice_activities a JOIN practice_bases b ON b.id = a.base_id "
	    "WHERE a.id = ?",
	    "i", id);
	if (st == NULL)
		return -1;
	rc = jx_host->db_step(st);
	if (rc == JX_DB_ROW) {
		a->id = jx_host->db_int(st, 0);
		a->base = jx_host->db_int(st, 1);
		a->district = jx_host->db_int(st, 2);
		a->starts_at = jx_host->db_int(st, 3);
		a->ends_at = jx_host->db_int(st, 4);
		a->hours = practice_hours(jx_host->db_int(st, 5));
		snprintf(a->status, sizeof(a->status), "%s",
		         jx_host->db_text(st, 6));
		a->title = jx_host->strdup(req, jx_host->db_text(st, 7));
		a->base_name = jx_host->strdup(req, jx_host->db_text(st, 8));
	}
	jx_host->db_finish(st);
	if (rc != JX_DB_ROW)
		return rc == JX_DB_DONE ? 0 : -1;
	rc = practice_base_manages(db, &w, a->base);
	if (rc < 0)
		return -1;
	a->manager = rc == 1;
	a->badmin = a->manager && w.badmin;
	/* a teacher of the district: the students of the classes taught */
	a->teacher = strcmp(w.id->role, "teacher") == 0 &&
	             w.id->district_id == a->district;
	return a->manager || a->teacher;
}

cJSON *
practice_attendance(jx_req *req, jx_db *db,
                    const struct practice_activity_head *a)
{
	const struct jx_identity *i = jx_host->identity(req);
	int64_t now = jx_host->now();
	int window = strcmp(a->status, "cancelled") != 0 &&
	             now >= a->starts_at - PRACTICE_CHECKIN_EARLY &&
	             now <= a->ends_at + PRACTICE_CHECKIN_LATE;
	cJSON *items;
	jx_stmt *st;

	if (i == NULL)
		return NULL;
	st = jx_host->db_query(
	    db,
	    "SELECT r.id, r.student_id, p.name, sc.name, k.grade, k.name, "
	    "r.status, r.checked_in_at, s.school_id, s.class_id FROM "
	    "practice_registrations r JOIN persons p ON p.id = r.student_id "
	    "LEFT JOIN students s ON s.person_id = r.student_id AND s.status "
	    "= 'in_school' LEFT JOIN classes k ON k.id = s.class_id "
	    "LEFT JOIN schools sc ON sc.id = s.school_id WHERE r.activity_id "
	    "= ? AND r.status IN ('confirmed', 'checked_in') ORDER BY "
	    "sc.name, k.grade, k.name, p.name, r.id",
	    "i", a->id);
	if (st == NULL)
		return NULL;
	items = cJSON_CreateArray();
	while (jx_host->db_step(st) == JX_DB_ROW) {
		int64_t school = jx_host->db_int(st, 8);
		int64_t klass = jx_host->db_int(st, 9);
		const char *status = jx_host->db_text(st, 6);
		int mine = practice_teaches(i, school, klass);
		int checked = strcmp(status, "checked_in") == 0;
		const char *cname = jx_host->db_text(st, 5);
		cJSON *o;

		if (!a->manager && !mine)
			continue;
		o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "id",
		                        (double)jx_host->db_int(st, 0));
		cJSON_AddNumberToObject(o, "student_id",
		                        (double)jx_host->db_int(st, 1));
		cJSON_AddStringToObject(o, "name", jx_host->db_text(st, 2));
		cJSON_AddStringToObject(
		    o, "school_name",
		    jx_host->db_text(st, 3) ? jx_host->db_text(st, 3) : "");
		cJSON_AddStringToObject(
		    o, "class_name",
		    practice_class_name(req, jx_host->db_int(st, 4), cname));
		cJSON_AddStringToObject(o, "status", status);
		cJSON_AddItemToObject(
		    o, "checked_in_at",
		    jxp_time(jx_host, checked ? jx_host->db_int(st, 7) : 0));
		if (checked)
			cJSON_AddStringToObject(
			    o, "checked_in",
			    practice_local_time(req, jx_host->db_int(st, 7)));
		cJSON_AddNumberToObject(o, "hours", checked ? a->hours : 0);
		cJSON_AddBoolToObject(o, "can_check_in",
		                      !checked && window && school > 0 &&
		                          (a->badmin || mine));
		cJSON_AddItemToArray(items, o);
	}
	jx_host->db_finish(st);
	return items;
}

/* GET /api/v1/practice/activities/{id}/attendance.xlsx */
int
practice_attendance_xlsx(jx_req *req, void *ud)
{
	static const char *const cols[] = {
	    "学生", "学校", "班级", "状态", "签到时间", "实践学时", NULL};
	int64_t id = jx_host->req_param_id(req, "id");
	jx_db *db = jx_host->req_db(req);
	struct practice_activity_head a;
	lxw_workbook *wb;
	lxw_worksheet *ws;
	lxw_format *head, *title;
	char path[300];
	const cJSON *it;
	cJSON *items;
	lxw_row_t row = 2;
	int rc;

	(void)ud;
	rc = practice_activity_head(req, db, id, &a);
	if (rc < 0)
		return jxp_storage_error(jx_host, req);
	if (rc == 0)
		return jxp_not_found(jx_host, req);
	if (!a.manager) /* a teacher sees a part of the list, not the sheet */
		return jxp_forbidden(jx_host, req);
	items = practice_attendance(req, db, &a);
	if (items == NULL)
		return jxp_storage_error(jx_host, req);
	wb = jxp_workbook(jx_host, req, path, sizeof(path), 0);
	if (wb == NULL) {
		cJSON_Delete(items);
		return jxp_storage_error(jx_host, req);
	}
	ws = workbook_add_worksheet(wb, "签到表");
	head = workbook_add_format(wb);
	title = workbook_add_format(wb);
	format_set_bold(head);
	format_set_bold(title);
	format_set_font_size(title, 14);
	worksheet_set_column(ws, 0, 0, 12, NULL);
	worksheet_set_column(ws, 1, 1, 24, NULL);
	worksheet_set_column(ws, 2, 3, 12, NULL);
	worksheet_set_column(ws, 4, 4, 20, NULL);
	worksheet_set_column(ws, 5, 5, 10, NULL);
	worksheet_write_string(
	    ws, 0, 0,
	    jx_host->sprintf(req, "%s · %s · %s 签到表", a.title, a.base_name,
	                     practice_local_time(req, a.starts_at)),
	    title);
	for (int k = 0; cols[k] != NULL; k++)
		worksheet_write_string(ws, 1, (lxw_col_t)k, cols[k], head);
	cJSON_ArrayForEach(it, items)
	{
		const char *status =
		    cJSON_GetStringValue(cJSON_GetObjectItem(it, "status"));
		const char *when =
		    cJSON_GetStringValue(cJSON_GetObjectItem(it, "checked_in"));
		int checked =
		    status != NULL && strcmp(status, "checked_in") == 0;

		/* string cells are never evaluated by a spreadsheet: names stay
		 * as they are (DESIGN.md 7) */
		worksheet_write_string(
		    ws, row, 0,
		    cJSON_GetStringValue(cJSON_GetObjectItem(it, "name")),
		    NULL);
		worksheet_write_string(ws, row, 1,
		                       cJSON_GetStringValue(cJSON_GetObjectItem(
		                           it, "school_name")),
		                       NULL);
		worksheet_write_string(
		    ws, row, 2,
		    cJSON_GetStringValue(cJSON_GetObjectItem(it, "class_name")),
		    NULL);
		worksheet_write_string(ws, row, 3,
		                       checked ? "已签到" : "未签到", NULL);
		worksheet_write_string(ws, row, 4, when ? when : "", NULL);
		worksheet_write_number(
		    ws, row, 5, cJSON_GetObjectItem(it, "hours")->valuedouble,
		    NULL);
		row++;
	}
	cJSON_Delete(items);
	return jxp_workbook_send(
	    jx_host, req, wb, path,
	    jx_host->sprintf(req, "签到表-%s.xlsx", a.title),
	    jx_host->sprintf(req, "attendance-%lld.xlsx", (long long)a.id));
}
