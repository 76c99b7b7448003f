/*
 * feeds_activities.c — campus activities (校园活动; the seed's publish,
 * review, manage): a teacher or a student of a school proposes one
 * (title, times, place, description, up to 9 photos of the file service
 * attached to "activity:<id>"); the school admin reviews it: approved,
 * it is published to the school feed as a post (visibility school,
 * activity_id set), rejected, the proposer sees the comment; the school
 * admin then edits, closes or removes published ones. The proposer is
 * told of the review in the app. Both faces: /activities... pages and
 * /api/v1/activities... (API-extensions.md).
 *
 * Who sees an activity: its proposer, the school's admins, and once
 * published (or closed) whoever sees the school.
 */
#include "feeds_spaces.h"

#include <stdio.h>
#include <string.h>

enum { PHOTOS_MAX = 9 };

static const char act_cols[] =
    "SELECT a.id, a.school_id, a.title, a.starts_at, a.ends_at, a.place, "
    "a.description, a.status, a.review_comment, a.reviewed_at, a.post_id, "
    "a.created_at, a.proposer_person_id, p.name AS proposer_name, "
    "a.proposer_role FROM feeds_activities a JOIN persons p ON p.id = "
    "a.proposer_person_id ";

static void
time_field(cJSON *o, const char *name)
{
	cJSON *t = cJSON_GetObjectItem(o, name);

	if (t != NULL && cJSON_IsNumber(t))
		cJSON_ReplaceItemInObject(
		    o, name, jxp_time(jx_host, (int64_t)t->valuedouble));
}

static void
act_shape(jx_req *req, cJSON *rows)
{
	cJSON *a;

	cJSON_ArrayForEach(a, rows)
	{
		cJSON *p = cJSON_CreateObject();

		cJSON_AddItemToObject(
		    p, "person_id",
		    cJSON_DetachItemFromObject(a, "proposer_person_id"));
		cJSON_AddItemToObject(
		    p, "name", cJSON_DetachItemFromObject(a, "proposer_name"));
		cJSON_AddItemToObject(
		    p, "role", cJSON_DetachItemFromObject(a, "proposer_role"));
		cJSON_AddItemToObject(a, "proposer", p);
		time_field(a, "starts_at");
		time_field(a, "ends_at");
		time_field(a, "reviewed_at");
		time_field(a, "created_at");
		cJSON_AddStringToObject(
		    a, "status_label",
		    jx_host->t(req,
		               jx_host->sprintf(
		                   req, "feeds.activity.status.%s",
		                   cJSON_GetStringValue(
		                       cJSON_GetObjectItem(a, "status")))));
	}
}

/* The activity's row as the API shows it (with its photos), or NULL. */
static cJSON *
act_get(jx_req *req, int64_t id)
{
	jx_db *db = jx_host->req_db(req);
	cJSON *rows = jx_host->db_rows(
	    db, jx_host->sprintf(req, "%sWHERE a.id = ?", act_cols), "i", id);
	cJSON *a = cJSON_DetachItemFromArray(rows, 0);
	cJSON *files, *f, *ids;

	cJSON_Delete(rows);
	if (a == NULL)
		return NULL;
	{
		cJSON *one = cJSON_CreateArray();

		cJSON_AddItemToArray(one, a);
		act_shape(req, one);
		a = cJSON_DetachItemFromArray(one, 0);
		cJSON_Delete(one);
	}
	files = jx_host->db_rows(db,
	                         "SELECT file_id FROM feeds_files WHERE owner "
	                         "= 'activity' AND owner_id = ? ORDER BY "
	                         "position",
	                         "i", id);
	ids = cJSON_AddArrayToObject(a, "file_ids");
	cJSON_ArrayForEach(f, files)
	{
		cJSON_AddItemToArray(ids,
		                     cJSON_CreateNumber(cJSON_GetNumberValue(
		                         cJSON_GetObjectItem(f, "file_id"))));
	}
	cJSON_Delete(files);
	return a;
}

/* School, proposer and status of activity id; 0 or -1 (no such). */
static int
act_facts(jx_req *req, int64_t id, int64_t *school, int64_t *proposer,
          char *status, size_t statuslen)
{
	jx_stmt *st = jx_host->db_query(jx_host->req_db(req),
	                                "SELECT school_id, proposer_person_id, "
	                                "status FROM feeds_activities WHERE "
	                                "id = ?",
	                                "i", id);
	int rc = -1;

	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		*school = jx_host->db_int(st, 0);
		*proposer = jx_host->db_int(st, 1);
		snprintf(status, statuslen, "%s", jx_host->db_text(st, 2));
		rc = 0;
	}
	jx_host->db_finish(st);
	return rc;
}

/* 2: the reader manages it (school admin), 1: sees it, 0: not. */
static int
act_access(jx_req *req, int64_t id, int64_t *school, char *status,
           size_t statuslen)
{
	const struct jx_identity *i = jx_host->identity(req);
	int64_t proposer;

	if (i == NULL ||
	    act_facts(req, id, school, &proposer, status, statuslen) != 0 ||
	    strcmp(status, "removed") == 0)
		return 0;
	if (jx_host->may(req, JX_MANAGE_SCHOOL, *school))
		return 2;
	if (proposer == i->person_id)
		return 1;
	return (strcmp(status, "published") == 0 ||
	        strcmp(status, "closed") == 0) &&
	       jx_host->may(req, JX_SEE_SCHOOL, *school);
}

int
feeds_activity_visible(jx_req *req, int64_t id)
{
	int64_t school;
	char status[16];

	return act_access(req, id, &school, status, sizeof(status)) > 0;
}

cJSON *
feeds_activities_published(jx_req *req, int64_t school, int limit)
{
	cJSON *rows = jx_host->db_rows(
	    jx_host->req_db(req),
	    jx_host->sprintf(req,
	                     "%sWHERE a.school_id = ? AND a.status = "
	                     "'published' ORDER BY a.starts_at DESC, a.id "
	                     "DESC LIMIT ?",
	                     act_cols),
	    "ii", school, (int64_t)limit);

	if (rows == NULL)
		return cJSON_CreateArray();
	act_shape(req, rows);
	return rows;
}

int
feeds_activities_list(jx_req *req, void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);
	const char *status = jx_host->req_query(req, "status");
	const char *mine = jx_host->req_query(req, "mine");
	int64_t limit, before, admin;
	cJSON *rows, *d;

	(void)ud;
	if (i->school_id <= 0)
		return jxp_forbidden(jx_host, req);
	jxp_page(jx_host, req, &limit, &before);
	if (before <= 0)
		before = INT64_MAX;
	admin = jx_host->may(req, JX_MANAGE_SCHOOL, i->school_id);
	rows = jx_host->db_rows(
	    jx_host->req_db(req),
	    jx_host->sprintf(
	        req,
	        "%sWHERE a.school_id = ? AND a.status <> 'removed' AND "
	        "(a.status IN ('published', 'closed') OR "
	        "a.proposer_person_id = ? OR ? = 1) AND (? = '' OR a.status "
	        "= ?) AND (? = 0 OR a.proposer_person_id = ?) AND a.id < ? "
	        "ORDER BY a.id DESC LIMIT ?",
	        act_cols),
	    "iiissiiii", i->school_id, i->person_id, admin,
	    status ? status : "", status ? status : "",
	    (int64_t)(mine != NULL && strcmp(mine, "1") == 0), i->person_id,
	    before, limit + 1);
	if (rows == NULL)
		return jxp_storage_error(jx_host, req);
	act_shape(req, rows);
	d = jxp_items(rows, limit, "id");
	if (jx_host->req_is_api(req))
		return jx_host->reply_json(req, 200, d);
	cJSON_AddStringToObject(d, "title",
	                        jx_host->t(req, "feeds.activities.title"));
	cJSON_AddBoolToObject(d, "can_review", admin != 0);
	cJSON_AddBoolToObject(d, "can_propose",
	                      jxp_role(jx_host, req, "teacher,student"));
	cJSON_AddStringToObject(d, "status_filter", status ? status : "");
	return jx_host->reply_view(req, 200, "feeds/activities", d);
}

int
feeds_activities_new(jx_req *req, void *ud)
{
	cJSON *d;

	(void)ud;
	if (!jxp_role(jx_host, req, "teacher,student"))
		return jxp_forbidden(jx_host, req);
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "title",
	                        jx_host->t(req, "feeds.activities.new"));
	cJSON_AddStringToObject(d, "back", "/activities");
	return jx_host->reply_view(req, 200, "feeds/activity_new", d);
}

static const struct jx_field act_spec[] = {
    {"title", JX_FIELD_STRING, 1, 1, 60},
    {"starts_at", JX_FIELD_STRING, 1, 1, 40},
    {"ends_at", JX_FIELD_STRING, 0, 0, 40},
    {"place", JX_FIELD_STRING, 0, 0, 100},
    {"description", JX_FIELD_TEXT, 0, 0, 5000},
    {"file_ids", JX_FIELD_INT_ARRAY, 0, 0, PHOTOS_MAX},
    {NULL, 0, 0, 0, 0},
};

/* The times of a body: 0, or 422 replied (its status). *ends 0: none. */
static int
act_times(jx_req *req, const cJSON *b, int64_t *starts, int64_t *ends)
{
	const char *s =
	    cJSON_GetStringValue(cJSON_GetObjectItem(b, "starts_at"));
	const char *e = cJSON_GetStringValue(cJSON_GetObjectItem(b, "ends_at"));

	*starts = jxp_parse_time(s);
	*ends = e != NULL ? jxp_parse_time(e) : 0;
	if (*starts < 0)
		jx_host->problem_error(
		    req, 0, "starts_at",
		    jx_host->t(req, "feeds.activity.bad_time"));
	if (*ends < 0 || (*ends > 0 && *starts >= 0 && *ends < *starts))
		jx_host->problem_error(
		    req, 0, "ends_at",
		    jx_host->t(req, "feeds.activity.bad_end"));
	if (jx_host->problem_count(req) > 0)
		return jxp_invalid(jx_host, req, "Check the activity's times.");
	return 0;
}

static const char *
str_or(const cJSON *b, const char *name, const char *def)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(b, name));

	return s != NULL ? s : def;
}

/* The privacy rule on the texts that become the activity's post (the
 * feeds' post_privacy: no ID or mobile numbers): one problem per field
 * refused; 0 when all pass. */
static int
act_privacy(jx_req *req, const cJSON *b)
{
	static const char *const fields[] = {"title", "place", "description",
	                                     NULL};
	int bad = 0;

	for (int k = 0; fields[k] != NULL; k++) {
		const char *v =
		    cJSON_GetStringValue(cJSON_GetObjectItem(b, fields[k]));
		const char *reason;

		if (v != NULL && feeds_privacy(req, v, &reason) != 0) {
			jx_host->problem_error(req, 0, fields[k], reason);
			bad = 1;
		}
	}
	return bad;
}

int
feeds_activities_create(jx_req *req, void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);
	jx_db *db = jx_host->req_db(req);
	cJSON *b, *o;
	const cJSON *ids, *f;
	int64_t starts, ends, id, now = jx_host->now();
	int rc, pos = 0;
	const char *ref;

	(void)ud;
	if (!jxp_role(jx_host, req, "teacher,student") || i->school_id <= 0)
		return jx_host->reply_problem(
		    req, 403, "forbidden", "Forbidden",
		    "Teachers and students propose activities.");
	b = jx_host->req_fields(req, act_spec);
	if (b == NULL)
		return jx_host->problem_count(req) > 0
		           ? jxp_invalid(jx_host, req, "Check the activity.")
		           : jx_host->req_status(req);
	rc = act_times(req, b, &starts, &ends);
	if (rc != 0)
		return rc;
	if (act_privacy(req, b))
		return jxp_invalid(jx_host, req, "No ID or phone numbers.");
	if (jx_host->db_begin(db) != 0)
		return jxp_storage_error(jx_host, req);
	id = jx_host->db_insert(
	    db,
	    "INSERT INTO feeds_activities(district_id, school_id, "
	    "proposer_person_id, proposer_identity_id, proposer_role, title, "
	    "starts_at, ends_at, place, description, status, created_at, "
	    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, CASE WHEN ? > 0 THEN ? "
	    "END, ?, ?, 'proposed', ?, ?)",
	    "iiiissiiissii", i->district_id, i->school_id, i->person_id, i->id,
	    i->role, str_or(b, "title", ""), starts, ends, ends,
	    str_or(b, "place", ""), str_or(b, "description", ""), now, now);
	if (id <= 0)
		goto fail;
	ref = jx_host->sprintf(req, "activity:%lld", (long long)id);
	ids = cJSON_GetObjectItem(b, "file_ids");
	cJSON_ArrayForEach(f, ids)
	{
		int64_t fid = (int64_t)f->valuedouble;
		int a = jx_host->file_attach(req, fid, ref);

		if (a == -1) {
			jx_host->db_rollback(db);
			return jxp_not_found(jx_host, req);
		}
		if (a != 0 || jx_host->db_exec(
		                  db,
		                  "INSERT INTO feeds_files(owner, owner_id, "
		                  "file_id, position) VALUES ('activity', ?, "
		                  "?, ?) ON CONFLICT DO NOTHING",
		                  "iii", id, fid, (int64_t)pos++) < 0)
			goto fail;
	}
	if (jx_host->db_commit(db) != 0)
		return jxp_storage_error(jx_host, req);
	if (!jx_host->req_is_api(req))
		return jx_host->reply_redirect(
		    req,
		    jx_host->sprintf(req, "/activities/%lld", (long long)id));
	o = act_get(req, id);
	return jx_host->reply_json(req, 201, o);
fail:
	jx_host->db_rollback(db);
	return jxp_storage_error(jx_host, req);
}

int
feeds_activity_get(jx_req *req, void *ud)
{
	int64_t id = jx_host->req_param_id(req, "id"), school;
	char status[16];
	int access = act_access(req, id, &school, status, sizeof(status));
	cJSON *a;

	(void)ud;
	if (access == 0 || (a = act_get(req, id)) == NULL)
		return jxp_not_found(jx_host, req);
	cJSON_AddBoolToObject(a, "can_review",
	                      access == 2 && strcmp(status, "proposed") == 0);
	cJSON_AddBoolToObject(a, "can_manage",
	                      access == 2 && strcmp(status, "published") == 0);
	if (jx_host->req_is_api(req))
		return jx_host->reply_json(req, 200, a);
	cJSON_AddStringToObject(a, "back", "/activities");
	return jx_host->reply_view(req, 200, "feeds/activity", a);
}

/* The text of the activity's post in the school feed. */
static const char *
act_post_text(jx_req *req, int64_t id)
{
	jx_stmt *st = jx_host->db_query(jx_host->req_db(req),
	                                "SELECT title, starts_at, place, "
	                                "description FROM feeds_activities "
	                                "WHERE id = ?",
	                                "i", id);
	const char *text = NULL;

	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		char when[32];
		const char *place = jx_host->db_text(st, 2);

		jx_host->format_time(jx_host->db_int(st, 1), when,
		                     sizeof(when));
		when[16] = '\0';
		if (when[10] == 'T')
			when[10] = ' ';
		text = jx_host->sprintf(
		    req, "【%s】%s%s%s\n%s", jx_host->db_text(st, 0), when,
		    place && place[0] ? " · " : "", place ? place : "",
		    jx_host->db_text(st, 3));
	}
	jx_host->db_finish(st);
	return text;
}

/* Tells the proposer how the review went (in the app). */
static int
act_notify(jx_req *req, int64_t id, const char *decision, const char *comment)
{
	jx_db *db = jx_host->req_db(req);
	int64_t proposer;
	jx_stmt *st;
	cJSON *params = cJSON_CreateObject();
	struct jx_message m;
	int64_t rc;

	st = jx_host->db_query(db,
	                       "SELECT proposer_person_id, title FROM "
	                       "feeds_activities WHERE id = ?",
	                       "i", id);
	if (st == NULL || jx_host->db_step(st) != JX_DB_ROW) {
		jx_host->db_finish(st);
		cJSON_Delete(params);
		return -1;
	}
	proposer = jx_host->db_int(st, 0);
	cJSON_AddStringToObject(params, "title", jx_host->db_text(st, 1));
	jx_host->db_finish(st);
	cJSON_AddNumberToObject(params, "activity_id", (double)id);
	cJSON_AddStringToObject(params, "decision", decision);
	if (comment != NULL)
		cJSON_AddStringToObject(params, "comment", comment);
	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.channel = "inapp";
	m.to = jx_host->sprintf(req, "%lld", (long long)proposer);
	m.template_name = "feeds_activity_reviewed";
	m.params = params;
	m.ref = jx_host->sprintf(req, "activity:%lld", (long long)id);
	rc = jx_host->send(db, &m);
	cJSON_Delete(params);
	return rc < 0 ? -1 : 0;
}

static int
act_redirect(jx_req *req, int64_t id)
{
	return jx_host->reply_redirect(
	    req, jx_host->sprintf(req, "/activities/%lld", (long long)id));
}

static int
act_done(jx_req *req, int64_t id)
{
	if (!jx_host->req_is_api(req))
		return act_redirect(req, id);
	return jx_host->reply_json(req, 200, act_get(req, id));
}

/* The common gate of the school admin's actions: 404 unseen, 403 not
 * the school's admin, 409 not in state `want`. 0 when allowed. */
static int
act_gate(jx_req *req, int64_t id, const char *want)
{
	int64_t school;
	char status[16];
	int access = act_access(req, id, &school, status, sizeof(status));

	if (access == 0)
		return jxp_not_found(jx_host, req);
	if (access != 2)
		return jx_host->reply_problem(
		    req, 403, "forbidden", "Forbidden",
		    "Only the school's administrators do this.");
	if (want != NULL && strstr(want, status) == NULL)
		return jxp_conflict(
		    jx_host, req,
		    jx_host->sprintf(req, "The activity is %s.", status));
	return 0;
}

/* The activity's photos on its post too (attached to "post:<id>", in
 * the same order), so that the feed shows them. 0 or -1. */
static int
act_post_photos(jx_req *req, int64_t id, int64_t post)
{
	jx_db *db = jx_host->req_db(req);
	cJSON *files = jx_host->db_rows(db,
	                                "SELECT file_id, position FROM "
	                                "feeds_files WHERE owner = 'activity' "
	                                "AND owner_id = ? ORDER BY position",
	                                "i", id);
	const char *ref = jx_host->sprintf(req, "post:%lld", (long long)post);
	cJSON *f;
	int rc = files == NULL ? -1 : 0;

	cJSON_ArrayForEach(f, files)
	{
		int64_t fid = (int64_t)cJSON_GetNumberValue(
		    cJSON_GetObjectItem(f, "file_id"));

		if (rc == 0 &&
		    (jx_host->file_attach(req, fid, ref) != 0 ||
		     jx_host->db_exec(
		         db,
		         "INSERT INTO feeds_files(owner, owner_id, file_id, "
		         "position) VALUES ('post', ?, ?, ?) ON CONFLICT DO "
		         "NOTHING",
		         "iii", post, fid,
		         (int64_t)cJSON_GetNumberValue(
		             cJSON_GetObjectItem(f, "position"))) < 0))
			rc = -1;
	}
	cJSON_Delete(files);
	if (rc == 0 &&
	    jx_host->db_exec(db,
	                     "UPDATE feeds_posts SET nfiles = (SELECT COUNT(*) "
	                     "FROM feeds_files WHERE owner = 'post' AND "
	                     "owner_id = ?) WHERE id = ?",
	                     "ii", post, post) < 0)
		rc = -1;
	return rc;
}

/* feeds.post_created for the activity's post, as the feeds part
 * publishes it for every post (docs/events.md). 0 or -1. */
static int
act_post_event(jx_req *req, int64_t id, int64_t post)
{
	cJSON *rows = jx_host->db_rows(
	    jx_host->req_db(req),
	    "SELECT proposer_person_id AS author_person_id, proposer_role AS "
	    "author_role, district_id, school_id FROM feeds_activities WHERE "
	    "id = ?",
	    "i", id);
	cJSON *payload = cJSON_DetachItemFromArray(rows, 0);
	int rc;

	cJSON_Delete(rows);
	if (payload == NULL)
		return -1;
	cJSON_AddNumberToObject(payload, "id", (double)post);
	cJSON_AddNumberToObject(payload, "class_id", 0);
	cJSON_AddStringToObject(payload, "kind", "info");
	cJSON_AddStringToObject(payload, "visibility", "school");
	cJSON_AddNumberToObject(payload, "activity_id", (double)id);
	rc = jx_host->publish(jx_host->req_db(req), "feeds.post_created",
	                      payload);
	cJSON_Delete(payload);
	return rc != 0 ? -1 : 0;
}

static const struct jx_field review_spec[] = {
    {"decision", JX_FIELD_STRING, 1, 1, 10},
    {"comment", JX_FIELD_TEXT, 0, 0, 500},
    {NULL, 0, 0, 0, 0},
};

int
feeds_activity_review(jx_req *req, void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);
	int64_t id = jx_host->req_param_id(req, "id"), post = 0;
	jx_db *db = jx_host->req_db(req);
	const char *decision, *comment, *text;
	int approve, rc = act_gate(req, id, "proposed");
	cJSON *b;

	(void)ud;
	if (rc != 0)
		return rc;
	b = jx_host->req_fields(req, review_spec);
	if (b == NULL)
		return jx_host->problem_count(req) > 0
		           ? jxp_invalid(jx_host, req, "Check the review.")
		           : jx_host->req_status(req);
	decision = str_or(b, "decision", "");
	comment = str_or(b, "comment", NULL);
	approve = strcmp(decision, "approve") == 0;
	if (!approve && strcmp(decision, "reject") != 0) {
		jx_host->problem_error(req, 0, "decision",
		                       "decision is approve or reject");
		return jxp_invalid(jx_host, req,
		                   "decision is approve or reject");
	}
	if (!approve && comment == NULL) {
		jx_host->problem_error(
		    req, 0, "comment",
		    jx_host->t(req, "feeds.activity.reject_needs_comment"));
		return jxp_invalid(jx_host, req, "Say why it is rejected.");
	}
	if (jx_host->db_begin(db) != 0)
		return jxp_storage_error(jx_host, req);
	if (approve) {
		/* TODO(feeds): fold into the feeds part's post creation once
		 * it exports one; the row is the one it writes. */
		text = act_post_text(req, id);
		post =
		    text == NULL
		        ? -1
		        : jx_host->db_insert(
		              db,
		              "INSERT INTO feeds_posts(author_person_id, "
		              "author_identity_id, author_role, district_id, "
		              "school_id, kind, visibility, text, "
		              "activity_id, created_at) SELECT "
		              "proposer_person_id, proposer_identity_id, "
		              "proposer_role, district_id, school_id, 'info', "
		              "'school', ?, id, ? FROM feeds_activities WHERE "
		              "id = ?",
		              "sii", text, jx_host->now(), id);
		if (post <= 0 || act_post_photos(req, id, post) != 0 ||
		    act_post_event(req, id, post) != 0)
			goto fail;
	}
	if (jx_host->db_exec(db,
	                     "UPDATE feeds_activities SET status = ?, "
	                     "review_comment = ?, reviewed_by = ?, reviewed_at "
	                     "= ?, post_id = CASE WHEN ? > 0 THEN ? END, "
	                     "updated_at = ? WHERE id = ? AND status = "
	                     "'proposed'",
	                     "ssiiiiii", approve ? "published" : "rejected",
	                     comment, i->person_id, jx_host->now(), post, post,
	                     jx_host->now(), id) != 1 ||
	    act_notify(req, id, approve ? "approved" : "rejected", comment) !=
	        0 ||
	    jx_host->audit(
	        req, "feeds.activity_reviewed",
	        jx_host->sprintf(req, "activity:%lld", (long long)id),
	        NULL) != 0 ||
	    jx_host->db_commit(db) != 0)
		goto fail;
	return act_done(req, id);
fail:
	jx_host->db_rollback(db);
	return jxp_storage_error(jx_host, req);
}

int
feeds_activity_patch(jx_req *req, void *ud)
{
	int64_t id = jx_host->req_param_id(req, "id"), starts = 0, ends = 0;
	jx_db *db = jx_host->req_db(req);
	static const struct jx_field spec[] = {
	    {"title", JX_FIELD_STRING, 0, 1, 60},
	    {"starts_at", JX_FIELD_STRING, 0, 1, 40},
	    {"ends_at", JX_FIELD_STRING, 0, 0, 40},
	    {"place", JX_FIELD_STRING, 0, 0, 100},
	    {"description", JX_FIELD_TEXT, 0, 0, 5000},
	    {NULL, 0, 0, 0, 0},
	};
	cJSON *b;
	const char *text;
	int rc = act_gate(req, id, "proposed,published,closed");

	(void)ud;
	if (rc != 0)
		return rc;
	b = jx_host->req_fields(req, spec);
	if (b == NULL)
		return jx_host->problem_count(req) > 0
		           ? jxp_invalid(jx_host, req, "Check the activity.")
		           : jx_host->req_status(req);
	if (cJSON_GetObjectItem(b, "starts_at") != NULL) {
		rc = act_times(req, b, &starts, &ends);
		if (rc != 0)
			return rc;
	} else if (cJSON_GetObjectItem(b, "ends_at") != NULL) {
		ends = jxp_parse_time(str_or(b, "ends_at", ""));
		if (ends < 0) {
			jx_host->problem_error(
			    req, 0, "ends_at",
			    jx_host->t(req, "feeds.activity.bad_end"));
			return jxp_invalid(jx_host, req, "Check ends_at.");
		}
	}
	if (act_privacy(req, b))
		return jxp_invalid(jx_host, req, "No ID or phone numbers.");
	if (jx_host->db_begin(db) != 0 ||
	    jx_host->db_exec(
	        db,
	        "UPDATE feeds_activities SET title = COALESCE(?, title), "
	        "starts_at = CASE WHEN ? > 0 THEN ? ELSE starts_at END, "
	        "ends_at = CASE WHEN ? > 0 THEN ? ELSE ends_at END, place = "
	        "COALESCE(?, place), description = COALESCE(?, description), "
	        "updated_at = ? WHERE id = ?",
	        "siiiissii", str_or(b, "title", NULL), starts, starts, ends,
	        ends, str_or(b, "place", NULL), str_or(b, "description", NULL),
	        jx_host->now(), id) != 1)
		goto fail;
	/* the published post says the same */
	text = act_post_text(req, id);
	if (text == NULL ||
	    jx_host->db_exec(db,
	                     "UPDATE feeds_posts SET text = ? WHERE id = "
	                     "(SELECT post_id FROM feeds_activities WHERE id = "
	                     "?)",
	                     "si", text, id) < 0 ||
	    jx_host->audit(
	        req, "feeds.activity_edited",
	        jx_host->sprintf(req, "activity:%lld", (long long)id),
	        NULL) != 0 ||
	    jx_host->db_commit(db) != 0)
		goto fail;
	return act_done(req, id);
fail:
	jx_host->db_rollback(db);
	return jxp_storage_error(jx_host, req);
}

int
feeds_activity_close(jx_req *req, void *ud)
{
	int64_t id = jx_host->req_param_id(req, "id");
	jx_db *db = jx_host->req_db(req);
	int rc = act_gate(req, id, "published");

	(void)ud;
	if (rc != 0)
		return rc;
	if (jx_host->db_begin(db) != 0 ||
	    jx_host->db_exec(db,
	                     "UPDATE feeds_activities SET status = 'closed', "
	                     "updated_at = ? WHERE id = ? AND status = "
	                     "'published'",
	                     "ii", jx_host->now(), id) != 1 ||
	    jx_host->audit(
	        req, "feeds.activity_closed",
	        jx_host->sprintf(req, "activity:%lld", (long long)id),
	        NULL) != 0 ||
	    jx_host->db_commit(db) != 0) {
		jx_host->db_rollback(db);
		return jxp_storage_error(jx_host, req);
	}
	return act_done(req, id);
}

/* Removes the activity and its post (the post as removed by the admin,
 * with the reason its author sees). */
int
feeds_activity_remove(jx_req *req, void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);
	int64_t id = jx_host->req_param_id(req, "id");
	jx_db *db = jx_host->req_db(req);
	const char *reason = NULL;
	int rc = act_gate(req, id, "proposed,published,closed,rejected");

	(void)ud;
	if (rc != 0)
		return rc;
	if (strcmp(jx_host->req_method(req), "DELETE") != 0) {
		static const struct jx_field spec[] = {
		    {"reason", JX_FIELD_TEXT, 0, 0, 500},
		    {NULL, 0, 0, 0, 0},
		};
		cJSON *b = jx_host->req_fields(req, spec);

		if (b == NULL)
			return jx_host->problem_count(req) > 0
			           ? jxp_invalid(jx_host, req,
			                         "Check the reason.")
			           : jx_host->req_status(req);
		reason = str_or(b, "reason", NULL);
	}
	if (jx_host->db_begin(db) != 0 ||
	    jx_host->db_exec(db,
	                     "UPDATE feeds_posts SET status = 'removed', "
	                     "removed_reason = ?, removed_by = ?, removed_at = "
	                     "? WHERE id = (SELECT post_id FROM "
	                     "feeds_activities WHERE id = ?) AND status = "
	                     "'live'",
	                     "siii", reason ? reason : "", i->person_id,
	                     jx_host->now(), id) < 0 ||
	    jx_host->db_exec(db,
	                     "UPDATE feeds_activities SET status = 'removed', "
	                     "review_comment = COALESCE(?, review_comment), "
	                     "updated_at = ? WHERE id = ?",
	                     "sii", reason, jx_host->now(), id) != 1 ||
	    jx_host->audit(
	        req, "feeds.activity_removed",
	        jx_host->sprintf(req, "activity:%lld", (long long)id),
	        NULL) != 0 ||
	    jx_host->db_commit(db) != 0) {
		jx_host->db_rollback(db);
		return jxp_storage_error(jx_host, req);
	}
	if (!jx_host->req_is_api(req))
		return jx_host->reply_redirect(req, "/activities");
	return jx_host->reply_json(req, 204, NULL);
}
