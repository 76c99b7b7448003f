/*
 * feeds_manage.c — content management (内容管理) for the school admin:
 * the school's recent posts, comments and activities with filters (kind,
 * author role, class, date range, flagged only), their removal with a
 * reason the author sees (on their removed post, and in the app), and
 * the 举报 queue: open reports grouped by what they report, resolved as
 * removed or kept. A home item counts the open reports. Private posts
 * are never shown to the admin (API.md).
 */
#include "feeds_spaces.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t
manage_school(jx_req *req)
{
	const struct jx_identity *i = jx_host->identity(req);

	if (i == NULL || strcmp(i->role, "school_admin") != 0)
		return 0;
	return i->school_id;
}

static int
manage_forbidden(jx_req *req)
{
	return jx_host->reply_problem(req, 403, "forbidden", "Forbidden",
	                              "Content management is the school "
	                              "administrator's.");
}

/* A local date "YYYY-MM-DD" to the epoch of its midnight, or -1. */
static int64_t
day_start(jx_req *req, const char *s)
{
	if (s == NULL || strlen(s) != 10)
		return -1;
	return jxp_parse_time(jx_host->sprintf(req, "%sT00:00", s));
}

static void
author_shape(cJSON *rows, const char *time_key)
{
	cJSON *o;

	cJSON_ArrayForEach(o, rows)
	{
		cJSON *a = cJSON_CreateObject();
		cJSON *t = cJSON_GetObjectItem(o, time_key);

		cJSON_AddItemToObject(
		    a, "person_id",
		    cJSON_DetachItemFromObject(o, "author_person_id"));
		cJSON_AddItemToObject(
		    a, "name", cJSON_DetachItemFromObject(o, "author_name"));
		cJSON_AddItemToObject(
		    a, "role", cJSON_DetachItemFromObject(o, "author_role"));
		cJSON_AddItemToObject(o, "author", a);
		if (cJSON_IsNumber(t))
			cJSON_ReplaceItemInObject(
			    o, time_key,
			    jxp_time(jx_host, (int64_t)t->valuedouble));
	}
}

int
feeds_manage_content(jx_req *req, void *ud)
{
	int64_t school = manage_school(req), limit, before, from, to, cls;
	const char *kind = jx_host->req_query(req, "kind");
	const char *role = jx_host->req_query(req, "author_role");
	const char *f = jx_host->req_query(req, "from");
	const char *t = jx_host->req_query(req, "to");
	const char *c = jx_host->req_query(req, "class_id");
	const char *fl = jx_host->req_query(req, "flagged");
	int flagged =
	    fl != NULL && (strcmp(fl, "1") == 0 || strcmp(fl, "true") == 0);
	jx_db *db = jx_host->req_db(req);
	cJSON *rows, *d, *filters;

	(void)ud;
	if (school <= 0)
		return manage_forbidden(req);
	if (kind == NULL || kind[0] == '\0')
		kind = "post";
	if (role == NULL)
		role = "";
	cls = c != NULL ? atoll(c) : 0;
	from = f != NULL && f[0] ? day_start(req, f) : 0;
	to = t != NULL && t[0] ? day_start(req, t) : 0;
	if (strcmp(kind, "post") != 0 && strcmp(kind, "comment") != 0 &&
	    strcmp(kind, "activity") != 0)
		jx_host->problem_error(req, 0, "kind",
		                       "kind is post, comment or activity");
	if (from < 0)
		jx_host->problem_error(req, 0, "from", "a date YYYY-MM-DD");
	if (to < 0)
		jx_host->problem_error(req, 0, "to", "a date YYYY-MM-DD");
	if (jx_host->problem_count(req) > 0)
		return jxp_invalid(jx_host, req, "Check the filters.");
	to = to > 0 ? to + 86400 : INT64_MAX;
	jxp_page(jx_host, req, &limit, &before);
	if (before <= 0)
		before = INT64_MAX;
	if (strcmp(kind, "post") == 0)
		rows = jx_host->db_rows(
		    db,
		    "SELECT p.id, p.kind, p.text, p.visibility, p.class_id, "
		    "p.activity_id, p.status, p.removed_reason, "
		    "p.author_person_id, a.name AS author_name, p.author_role, "
		    "p.created_at, (SELECT COUNT(*) FROM feeds_reports r WHERE "
		    "r.post_id = p.id AND r.comment_id IS NULL AND "
		    "r.resolved_at IS NULL) AS open_reports FROM feeds_posts p "
		    "JOIN persons a ON a.id = p.author_person_id WHERE "
		    "p.school_id = ? AND p.visibility <> 'private' AND "
		    "p.status <> 'deleted' AND (? = '' OR p.author_role = ?) "
		    "AND (? = 0 OR p.class_id = ?) AND p.created_at >= ? AND "
		    "p.created_at < ? AND (? = 0 OR EXISTS (SELECT 1 FROM "
		    "feeds_reports r WHERE r.post_id = p.id AND r.comment_id "
		    "IS "
		    "NULL AND r.resolved_at IS NULL)) AND p.id < ? ORDER BY "
		    "p.id DESC LIMIT ?",
		    "issiiiiiii", school, role, role, cls, cls, from, to,
		    (int64_t)flagged, before, limit + 1);
	else if (strcmp(kind, "comment") == 0)
		rows = jx_host->db_rows(
		    db,
		    "SELECT c.id, c.post_id, c.text, c.status, "
		    "c.removed_reason, "
		    "p.class_id, c.author_person_id, a.name AS author_name, "
		    "c.author_role, c.created_at, (SELECT COUNT(*) FROM "
		    "feeds_reports r WHERE r.comment_id = c.id AND "
		    "r.resolved_at IS NULL) AS open_reports FROM "
		    "feeds_comments "
		    "c JOIN feeds_posts p ON p.id = c.post_id JOIN persons a "
		    "ON "
		    "a.id = c.author_person_id WHERE p.school_id = ? AND "
		    "p.visibility <> 'private' AND p.status <> 'deleted' AND "
		    "c.status <> 'deleted' AND (? = '' OR c.author_role = ?) "
		    "AND (? = 0 OR p.class_id = ?) AND c.created_at >= ? AND "
		    "c.created_at < ? AND (? = 0 OR EXISTS (SELECT 1 FROM "
		    "feeds_reports r WHERE r.comment_id = c.id AND "
		    "r.resolved_at IS NULL)) AND c.id < ? ORDER BY c.id DESC "
		    "LIMIT ?",
		    "issiiiiiii", school, role, role, cls, cls, from, to,
		    (int64_t)flagged, before, limit + 1);
	else
		/* activities are reported nowhere, and belong to no class */
		rows = jx_host->db_rows(
		    db,
		    "SELECT a.id, a.title AS text, a.status, a.starts_at, "
		    "a.proposer_person_id AS author_person_id, p.name AS "
		    "author_name, a.proposer_role AS author_role, "
		    "a.created_at, "
		    "0 AS open_reports FROM feeds_activities a JOIN persons p "
		    "ON "
		    "p.id = a.proposer_person_id WHERE a.school_id = ? AND "
		    "a.status <> 'removed' AND (? = '' OR a.proposer_role = ?) "
		    "AND ? = 0 AND a.created_at >= ? AND a.created_at < ? AND "
		    "? = 0 AND a.id < ? ORDER BY a.id DESC LIMIT ?",
		    "issiiiiii", school, role, role, cls, from, to,
		    (int64_t)flagged, before, limit + 1);
	if (rows == NULL)
		return jxp_storage_error(jx_host, req);
	author_shape(rows, "created_at");
	d = jxp_items(rows, limit, "id");
	if (jx_host->req_is_api(req))
		return jx_host->reply_json(req, 200, d);
	cJSON_AddStringToObject(d, "title",
	                        jx_host->t(req, "feeds.manage.page_title"));
	filters = cJSON_AddObjectToObject(d, "filters");
	cJSON_AddStringToObject(filters, "kind", kind);
	cJSON_AddStringToObject(filters, "author_role", role);
	cJSON_AddStringToObject(filters, "from", f ? f : "");
	cJSON_AddStringToObject(filters, "to", t ? t : "");
	cJSON_AddNumberToObject(filters, "class_id", (double)cls);
	cJSON_AddBoolToObject(filters, "flagged", flagged);
	cJSON_AddItemToObject(
	    d, "classes",
	    jx_host->db_rows(db,
	                     "SELECT id, grade, name FROM classes WHERE "
	                     "school_id = ? ORDER BY grade, name",
	                     "i", school));
	cJSON_AddNumberToObject(
	    d, "open_reports",
	    (double)jx_host->db_one(db,
	                            "SELECT COUNT(*) FROM feeds_reports r JOIN "
	                            "feeds_posts p ON p.id = r.post_id WHERE "
	                            "p.school_id = ? AND r.resolved_at IS NULL",
	                            "i", school));
	return jx_host->reply_view(req, 200, "feeds/manage", d);
}

/* Tells the author their post or comment was removed, and why. */
static int
removed_notify(jx_req *req, int64_t author, const char *kind, int64_t id,
               const char *reason)
{
	cJSON *params = cJSON_CreateObject();
	struct jx_message m;
	int64_t rc;

	cJSON_AddStringToObject(params, "kind", kind);
	cJSON_AddNumberToObject(params, "id", (double)id);
	cJSON_AddStringToObject(params, "reason", reason);
	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.channel = "inapp";
	m.to = jx_host->sprintf(req, "%lld", (long long)author);
	m.template_name = "feeds_removed";
	m.params = params;
	m.ref = jx_host->sprintf(req, "%s:%lld", kind, (long long)id);
	rc = jx_host->send(jx_host->req_db(req), &m);
	cJSON_Delete(params);
	return rc < 0 ? -1 : 0;
}

/*
 * Removes a post or a comment of school with reason, inside the caller's
 * transaction, and resolves its open reports as removed. 1 removed, 0
 * nothing to remove (not the school's, private, not live), -1 error.
 */
static int
remove_target(jx_req *req, int64_t school, int64_t post, int64_t comment,
              const char *reason)
{
	const struct jx_identity *i = jx_host->identity(req);
	jx_db *db = jx_host->req_db(req);
	int64_t now = jx_host->now(), author, n;

	if (comment > 0) {
		author = jx_host->db_one(
		    db,
		    "SELECT c.author_person_id FROM feeds_comments c JOIN "
		    "feeds_posts p ON p.id = c.post_id WHERE c.id = ? AND "
		    "c.status = 'live' AND p.school_id = ? AND p.visibility <> "
		    "'private'",
		    "ii", comment, school);
		if (author <= 0)
			return author < 0 ? -1 : 0;
		n = jx_host->db_exec(
		    db,
		    "UPDATE feeds_comments SET status = "
		    "'removed', removed_reason = ?, removed_by = "
		    "? WHERE id = ? AND status = 'live'",
		    "sii", reason, i->person_id, comment);
		if (n != 1 ||
		    jx_host->db_exec(db,
		                     "UPDATE feeds_posts SET ncomments = "
		                     "ncomments - 1 WHERE id = (SELECT post_id "
		                     "FROM feeds_comments WHERE id = ?) AND "
		                     "ncomments > 0",
		                     "i", comment) < 0 ||
		    jx_host->db_exec(
		        db,
		        "UPDATE feeds_reports SET resolved_at = ?, "
		        "resolved_by = ?, outcome = 'removed' WHERE "
		        "comment_id = ? AND resolved_at IS NULL",
		        "iii", now, i->person_id, comment) < 0 ||
		    removed_notify(req, author, "comment", comment, reason) !=
		        0)
			return -1;
		return 1;
	}
	author = jx_host->db_one(db,
	                         "SELECT author_person_id FROM feeds_posts "
	                         "WHERE id = ? AND status = 'live' AND "
	                         "school_id = ? AND visibility <> 'private'",
	                         "ii", post, school);
	if (author <= 0)
		return author < 0 ? -1 : 0;
	if (jx_host->db_exec(db,
	                     "UPDATE feeds_posts SET status = 'removed', "
	                     "removed_reason = ?, removed_by = ?, removed_at = "
	                     "? WHERE id = ? AND status = 'live'",
	                     "siii", reason, i->person_id, now, post) != 1 ||
	    jx_host->db_exec(db,
	                     "UPDATE feeds_reports SET resolved_at = ?, "
	                     "resolved_by = ?, outcome = 'removed' WHERE "
	                     "post_id = ? AND comment_id IS NULL AND "
	                     "resolved_at IS NULL",
	                     "iii", now, i->person_id, post) < 0 ||
	    jx_host->db_exec(db,
	                     "UPDATE feeds_class_spaces SET pinned_post_id = "
	                     "NULL WHERE pinned_post_id = ?",
	                     "i", post) < 0 ||
	    removed_notify(req, author, "post", post, reason) != 0)
		return -1;
	return 1;
}

static const struct jx_field reason_spec[] = {
    {"reason", JX_FIELD_TEXT, 1, 1, 500},
    {NULL, 0, 0, 0, 0},
};

/* POST /manage/content/{kind}/{id}/removal {"reason"}: both faces. */
int
feeds_manage_remove(jx_req *req, void *ud)
{
	int64_t school = manage_school(req);
	int64_t id = jx_host->req_param_id(req, "id");
	const char *kind = jx_host->req_param(req, "kind");
	jx_db *db = jx_host->req_db(req);
	const char *reason;
	cJSON *b, *o;
	int rc;

	if (school <= 0)
		return manage_forbidden(req);
	if (kind != NULL && strcmp(kind, "activity") == 0)
		return feeds_activity_remove(req, ud);
	if (kind == NULL ||
	    (strcmp(kind, "post") != 0 && strcmp(kind, "comment") != 0))
		return jxp_not_found(jx_host, req);
	b = jx_host->req_fields(req, reason_spec);
	if (b == NULL)
		return jx_host->problem_count(req) > 0
		           ? jxp_invalid(jx_host, req, "Give the reason.")
		           : jx_host->req_status(req);
	reason = cJSON_GetStringValue(cJSON_GetObjectItem(b, "reason"));
	if (jx_host->db_begin(db) != 0)
		return jxp_storage_error(jx_host, req);
	rc = strcmp(kind, "post") == 0
	         ? remove_target(req, school, id, 0, reason)
	         : remove_target(req, school, 0, id, reason);
	if (rc == 1 && jx_host->audit(req, "feeds.content_removed",
	                              jx_host->sprintf(req, "%s:%lld", kind,
	                                               (long long)id),
	                              NULL) != 0)
		rc = -1;
	if (rc != 1) {
		jx_host->db_rollback(db);
		return rc == 0 ? jxp_not_found(jx_host, req)
		               : jxp_storage_error(jx_host, req);
	}
	if (jx_host->db_commit(db) != 0)
		return jxp_storage_error(jx_host, req);
	if (!jx_host->req_is_api(req))
		return jx_host->reply_redirect(req, "/manage/content");
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "kind", kind);
	cJSON_AddNumberToObject(o, "id", (double)id);
	cJSON_AddStringToObject(o, "status", "removed");
	cJSON_AddStringToObject(o, "removed_reason", reason);
	return jx_host->reply_json(req, 200, o);
}

int
feeds_manage_reports(jx_req *req, void *ud)
{
	int64_t school = manage_school(req);
	cJSON *rows, *d;

	(void)ud;
	if (school <= 0)
		return manage_forbidden(req);
	/* one row per reported thing: its open reports' count, the first
	 * report's id (what the resolution names) and the latest reason */
	rows = jx_host->db_rows(
	    jx_host->req_db(req),
	    "SELECT g.id, g.post_id, g.comment_id, g.reports, g.latest_at, "
	    "COALESCE(c.text, p.text) AS text, COALESCE(c.author_person_id, "
	    "p.author_person_id) AS author_person_id, a.name AS author_name, "
	    "COALESCE(c.author_role, p.author_role) AS author_role, (SELECT "
	    "x.reason FROM feeds_reports x WHERE x.id = g.last_id) AS reason "
	    "FROM (SELECT MIN(r.id) AS id, MAX(r.id) AS last_id, r.post_id, "
	    "r.comment_id, COUNT(*) AS reports, MAX(r.created_at) AS "
	    "latest_at FROM feeds_reports r JOIN feeds_posts q ON q.id = "
	    "r.post_id WHERE q.school_id = ? AND r.resolved_at IS NULL GROUP "
	    "BY r.post_id, r.comment_id) g JOIN feeds_posts p ON p.id = "
	    "g.post_id LEFT JOIN feeds_comments c ON c.id = g.comment_id JOIN "
	    "persons a ON a.id = COALESCE(c.author_person_id, "
	    "p.author_person_id) ORDER BY g.reports DESC, g.last_id DESC "
	    "LIMIT 200",
	    "i", school);
	if (rows == NULL)
		return jxp_storage_error(jx_host, req);
	author_shape(rows, "latest_at");
	d = cJSON_CreateObject();
	cJSON_AddItemToObject(d, "items", rows);
	if (jx_host->req_is_api(req))
		return jx_host->reply_json(req, 200, d);
	cJSON_AddStringToObject(d, "title",
	                        jx_host->t(req, "feeds.reports.title"));
	cJSON_AddStringToObject(d, "back", "/manage/content");
	return jx_host->reply_view(req, 200, "feeds/reports", d);
}

static const struct jx_field resolution_spec[] = {
    {"outcome", JX_FIELD_STRING, 1, 1, 10},
    {"reason", JX_FIELD_TEXT, 0, 0, 500},
    {NULL, 0, 0, 0, 0},
};

/* POST /reports/{id}/resolution {"outcome":"removed"|"kept","reason"?}:
 * resolves every open report of the same post or comment. */
int
feeds_report_resolution(jx_req *req, void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);
	int64_t school = manage_school(req), id, post = 0, comment = 0, n;
	jx_db *db = jx_host->req_db(req);
	const char *outcome, *reason;
	char first[512] = "";
	int resolved = 0, rc;
	jx_stmt *st;
	cJSON *b, *o;

	(void)ud;
	id = jx_host->req_param_id(req, "id");
	if (school <= 0)
		return jx_host->identity(req) == NULL
		           ? jxp_not_found(jx_host, req)
		           : manage_forbidden(req);
	st = jx_host->db_query(db,
	                       "SELECT r.post_id, COALESCE(r.comment_id, 0), "
	                       "r.resolved_at IS NOT NULL, r.reason FROM "
	                       "feeds_reports r JOIN feeds_posts p ON p.id = "
	                       "r.post_id WHERE r.id = ? AND p.school_id = ?",
	                       "ii", id, school);
	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		post = jx_host->db_int(st, 0);
		comment = jx_host->db_int(st, 1);
		resolved = (int)jx_host->db_int(st, 2);
		snprintf(first, sizeof(first), "%s", jx_host->db_text(st, 3));
	}
	jx_host->db_finish(st);
	if (post <= 0)
		return jxp_not_found(jx_host, req);
	if (resolved)
		return jxp_conflict(jx_host, req, "The report is resolved.");
	b = jx_host->req_fields(req, resolution_spec);
	if (b == NULL)
		return jx_host->problem_count(req) > 0
		           ? jxp_invalid(jx_host, req, "Check the resolution.")
		           : jx_host->req_status(req);
	outcome = cJSON_GetStringValue(cJSON_GetObjectItem(b, "outcome"));
	reason = cJSON_GetStringValue(cJSON_GetObjectItem(b, "reason"));
	if (strcmp(outcome, "removed") != 0 && strcmp(outcome, "kept") != 0) {
		jx_host->problem_error(req, 0, "outcome",
		                       "outcome is removed or kept");
		return jxp_invalid(jx_host, req, "outcome is removed or kept");
	}
	if (reason == NULL)
		reason = first;
	if (jx_host->db_begin(db) != 0)
		return jxp_storage_error(jx_host, req);
	n = jx_host->db_one(db,
	                    "SELECT COUNT(*) FROM feeds_reports WHERE post_id "
	                    "= ? AND COALESCE(comment_id, 0) = ? AND "
	                    "resolved_at IS NULL",
	                    "ii", post, comment);
	if (strcmp(outcome, "removed") == 0) {
		rc = remove_target(req, school, comment > 0 ? 0 : post, comment,
		                   reason);
		/* already gone (removed, deleted): the reports just close */
		if (rc < 0)
			goto fail;
	}
	if (jx_host->db_exec(db,
	                     "UPDATE feeds_reports SET resolved_at = ?, "
	                     "resolved_by = ?, outcome = ? WHERE post_id = ? "
	                     "AND COALESCE(comment_id, 0) = ? AND resolved_at "
	                     "IS NULL",
	                     "iisii", jx_host->now(), i->person_id, outcome,
	                     post, comment) < 0 ||
	    jx_host->audit(req, "feeds.report_resolved",
	                   jx_host->sprintf(req, "report:%lld", (long long)id),
	                   NULL) != 0 ||
	    jx_host->db_commit(db) != 0)
		goto fail;
	if (!jx_host->req_is_api(req))
		return jx_host->reply_redirect(req, "/manage/reports");
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)id);
	cJSON_AddStringToObject(o, "outcome", outcome);
	cJSON_AddNumberToObject(o, "resolved", (double)n);
	return jx_host->reply_json(req, 200, o);
fail:
	jx_host->db_rollback(db);
	return jxp_storage_error(jx_host, req);
}

/* The school admin's open reports (the home item). */
static int64_t
reports_count(jx_req *req, void *ud)
{
	int64_t school = manage_school(req);

	(void)ud;
	if (school <= 0)
		return -1;
	return jx_host->db_one(jx_host->req_db(req),
	                       "SELECT COUNT(*) FROM feeds_reports r JOIN "
	                       "feeds_posts p ON p.id = r.post_id WHERE "
	                       "p.school_id = ? AND r.resolved_at IS NULL",
	                       "i", school);
}

int
feeds_manage_init(struct jx_registrar *reg)
{
	static const struct jx_home_item reports = {
	    .size = sizeof(struct jx_home_item),
	    .roles = "school_admin",
	    .label_key = "home.feeds.reports",
	    .href = "/manage/reports",
	    .order = 40,
	    .count = reports_count,
	};

	reg->menu(reg, "school_admin", "nav.feeds.manage", "/manage/content",
	          45);
	reg->menu(reg, "school_admin,teacher,student,parent",
	          "nav.feeds.activities", "/activities", 44);
	reg->menu(reg, "*", "nav.feeds.space", "/spaces/me", 43);
	return reg->home_item(reg, &reports);
}
