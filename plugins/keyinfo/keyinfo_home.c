/*
 * keyinfo_home.c — the keyinfo plugin's part of the home page (ABI 2.1)
 * and the page of a class's incomplete students.
 *
 * Home items: a school admin's changes waiting for review and the
 * school's completion; a head teacher's completion per class headed,
 * each linking to /keyinfo/classes/{id}/incomplete. They read the
 * stored counts (one indexed row each): the page itself refreshes the
 * school first, as progress does.
 *
 * GET /keyinfo/classes/{id}/incomplete (page and API): the class's
 * students whose key information is missing or wrong, with what is
 * wrong and a link to their key information; for the class's head
 * teacher and the administrators over its school (JX_MANAGE_CLASS).
 */
#include "keyinfo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "三年级2班" (arena), or NULL when the class is not in the database. */
static const char *
ki_class_name(jx_req *req, jx_db *db, int64_t klass, int64_t *school)
{
	jx_stmt *st = jx_host->db_query(
	    db, "SELECT grade, name, school_id FROM classes WHERE id = ?", "i",
	    klass);
	const char *name = NULL;

	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		name = jx_host->sprintf(
		    req, "%s%s",
		    ki_org->grade_label((int)jx_host->db_int(st, 0)),
		    jx_host->db_text(st, 1));
		if (school != NULL)
			*school = jx_host->db_int(st, 2);
	}
	jx_host->db_finish(st);
	return name;
}

static const char *
ki_progress_text(jx_req *req, int64_t complete, int64_t total)
{
	char c[24], t[24];

	snprintf(c, sizeof(c), "%lld", (long long)complete);
	snprintf(t, sizeof(t), "%lld", (long long)total);
	return jxp_fill(jx_host, req,
	                jxp_fill(jx_host, req,
	                         jx_host->t(req, "home.keyinfo.progress"),
	                         "complete", c),
	                "total", t);
}

static void
ki_home_row(cJSON *rows, const char *title, const char *detail, int64_t count,
            const char *href)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "title", title);
	cJSON_AddStringToObject(o, "detail", detail);
	cJSON_AddNumberToObject(o, "count", (double)count);
	cJSON_AddStringToObject(o, "href", href);
	cJSON_AddItemToArray(rows, o);
}

/* A school admin's queue: changes submitted and not yet reviewed. */
static int64_t
ki_home_pending(jx_req *req, void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);

	(void)ud;
	if (i == NULL || strcmp(i->role, "school_admin") != 0)
		return -1;
	return jxp_one(jx_host, jx_host->req_db(req),
	               "SELECT COUNT(*) FROM keyinfo_changes WHERE school_id = "
	               "? AND status = 'pending'",
	               "i", i->school_id);
}

/* Completion: a school admin's school, a head teacher's classes. The
 * count is the students still incomplete. */
static cJSON *
ki_home_completion(jx_req *req, void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);
	jx_db *db = jx_host->req_db(req);
	cJSON *rows = cJSON_CreateArray();
	jx_stmt *st;

	(void)ud;
	if (i == NULL)
		return rows;
	if (strcmp(i->role, "school_admin") == 0) {
		st = jx_host->db_query(
		    db,
		    "SELECT total, complete FROM "
		    "keyinfo_school_counts WHERE school_id = ?",
		    "i", i->school_id);
		if (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
			int64_t total = jx_host->db_int(st, 0);
			int64_t complete = jx_host->db_int(st, 1);

			ki_home_row(rows,
			            jx_host->t(req, "home.keyinfo.school"),
			            ki_progress_text(req, complete, total),
			            total - complete, "/keyinfo");
		}
		jx_host->db_finish(st);
		return rows;
	}
	if (strcmp(i->role, "teacher") != 0)
		return rows;
	for (int k = 0; k < i->nhead_of_class_ids; k++) {
		int64_t klass = i->head_of_class_ids[k], total, complete;
		const char *name;

		/* the class and its stored counts in one read */
		st = jx_host->db_query(
		    db,
		    "SELECT c.grade, c.name, COALESCE(k.total, 0), "
		    "COALESCE(k.complete, 0) FROM classes c LEFT JOIN "
		    "keyinfo_counts k ON k.school_id = c.school_id AND "
		    "k.class_id = c.id WHERE c.id = ? AND c.school_id = ?",
		    "ii", klass, i->school_id);
		if (st == NULL || jx_host->db_step(st) != JX_DB_ROW) {
			jx_host->db_finish(st);
			continue;
		}
		name = jx_host->sprintf(
		    req, "%s%s",
		    ki_org->grade_label((int)jx_host->db_int(st, 0)),
		    jx_host->db_text(st, 1));
		total = jx_host->db_int(st, 2);
		complete = jx_host->db_int(st, 3);
		jx_host->db_finish(st);
		ki_home_row(
		    rows,
		    jxp_fill(jx_host, req,
		             jx_host->t(req, "home.keyinfo.class"), "class",
		             name),
		    ki_progress_text(req, complete, total), total - complete,
		    jx_host->sprintf(req, "/keyinfo/classes/%lld/incomplete",
		                     (long long)klass));
	}
	return rows;
}

int
ki_home_init(struct jx_registrar *reg)
{
	static const struct jx_home_item pending = {
	    .size = sizeof(struct jx_home_item),
	    .roles = "school_admin",
	    .label_key = "home.keyinfo.pending",
	    .href = "/keyinfo/changes",
	    .order = 20,
	    .count = ki_home_pending,
	};
	static const struct jx_home_item completion = {
	    .size = sizeof(struct jx_home_item),
	    .roles = "school_admin,teacher",
	    .order = 30,
	    .rows = ki_home_completion,
	};

	/* an older host has no home page: the plugin works without it */
	if (!JX_REG_HAS(reg, home_item))
		return 0;
	/* a parent's 孩子 tab: the child's page this plugin has */
	if (reg->home_item(reg, &pending) != 0 ||
	    reg->home_item(reg, &completion) != 0 ||
	    (JX_REG_HAS(reg, menu_tab) &&
	     reg->menu_tab(reg, "parent", "tab.child", "/keyinfo/mine", 40,
	                   "child") != 0))
		return -1;
	return 0;
}

/* ---- a class's incomplete students ----------------------------------- */

/* What is wrong with one student: missing fields first, then the rules'
 * errors, as [{field, label, message}]. */
static cJSON *
ki_student_problems(jx_req *req, jx_stmt *st)
{
	cJSON *out = cJSON_CreateArray(), *problems, *p;

	for (int k = 0; k < KI_NFIELDS; k++) {
		cJSON *o;

		if (!jx_host->db_int(st, 2 + k))
			continue;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "field", ki_fields[k]);
		cJSON_AddStringToObject(o, "label",
		                        ki_field_label(ki_fields[k]));
		cJSON_AddStringToObject(
		    o, "message",
		    jx_host->t(req, "keyinfo.incomplete.missing"));
		cJSON_AddItemToArray(out, o);
	}
	problems = cJSON_Parse(jx_host->db_text(st, 5));
	cJSON_ArrayForEach(p, problems)
	{
		const char *level =
		    cJSON_GetStringValue(cJSON_GetObjectItem(p, "level"));
		const char *field =
		    cJSON_GetStringValue(cJSON_GetObjectItem(p, "field"));
		const char *msg =
		    cJSON_GetStringValue(cJSON_GetObjectItem(p, "message"));
		cJSON *o;

		if (level == NULL || strcmp(level, "error") != 0 ||
		    field == NULL || msg == NULL)
			continue;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "field", field);
		cJSON_AddStringToObject(o, "label", ki_field_label(field));
		cJSON_AddStringToObject(o, "message", msg);
		cJSON_AddItemToArray(out, o);
	}
	cJSON_Delete(problems);
	return out;
}

int
page_class_incomplete(jx_req *req, void *ud)
{
	jx_db *db = jx_host->req_db(req);
	int64_t klass = jx_host->req_param_id(req, "id"), school = 0, stale = 0;
	int64_t total = 0, complete = 0;
	const char *name;
	cJSON *out, *students;
	jx_stmt *st;

	(void)ud;
	/* the class's head teacher, the admins over its school */
	if (klass <= 0 || !jx_host->may(req, JX_MANAGE_CLASS, klass) ||
	    (name = ki_class_name(req, db, klass, &school)) == NULL)
		return jxp_not_found(jx_host, req);
	if (ki_fresh(db, school, &stale) != 0)
		return jxp_storage_error(jx_host, req);
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "title",
	                        jx_host->t(req, "keyinfo.incomplete.title"));
	cJSON_AddNumberToObject(out, "class_id", (double)klass);
	cJSON_AddStringToObject(out, "class_name", name);
	cJSON_AddNumberToObject(out, "stale", (double)stale);
	st = jx_host->db_query(
	    db,
	    "SELECT total, complete FROM keyinfo_counts WHERE "
	    "school_id = ? AND class_id = ?",
	    "ii", school, klass);
	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		total = jx_host->db_int(st, 0);
		complete = jx_host->db_int(st, 1);
	}
	jx_host->db_finish(st);
	cJSON_AddNumberToObject(out, "total", (double)total);
	cJSON_AddNumberToObject(out, "complete", (double)complete);
	cJSON_AddNumberToObject(out, "incomplete", (double)(total - complete));
	students = cJSON_AddArrayToObject(out, "students");
	st = jx_host->db_query(
	    db,
	    "SELECT r.student_id, p.name, s.national_no_hash IS NULL, "
	    "s.city_no IS NULL, s.id_number_enc IS NULL, r.problems FROM "
	    "keyinfo_results r JOIN students s ON s.person_id = r.student_id "
	    "JOIN persons p ON p.id = r.student_id WHERE r.school_id = ? AND "
	    "r.class_id = ? AND r.complete = 0 AND s.status = 'in_school' "
	    "ORDER BY p.name, r.student_id",
	    "ii", school, klass);
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		int64_t id = jx_host->db_int(st, 0);
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "student_id", (double)id);
		cJSON_AddStringToObject(o, "name", jx_host->db_text(st, 1));
		cJSON_AddStringToObject(
		    o, "href",
		    jx_host->sprintf(req, "/students/%lld/keyinfo",
		                     (long long)id));
		cJSON_AddItemToObject(o, "problems",
		                      ki_student_problems(req, st));
		cJSON_AddItemToArray(students, o);
	}
	jx_host->db_finish(st);
	return jx_host->reply_view(req, 200, "keyinfo/incomplete", out);
}
