/*
 * feeds_write.c — writing posts: create (with photos and the privacy
 * rule), delete, removal by the school admin, likes and reports 举报
 * (API.md, "Feeds and spaces"; issue 15). Comments are
 * feeds_comments.c.
 *
 * Every write checks who may see the post first (feeds_post_visible):
 * a post the reader cannot see answers 404, like one that does not
 * exist. A post publishes "feeds.post_created" in its transaction, for
 * statistics (issue 19) to count without reading feeds' tables.
 */
#include "feeds.h"

#include <stdio.h>
#include <string.h>

static const char *const feeds_kinds[] = {"mood", "quote", "info", NULL};
static const char *const feeds_visibilities[] = {"public", "school", "class",
                                                 "private", NULL};

static int
feeds_one_of(const char *s, const char *const *set)
{
	for (int k = 0; s != NULL && set[k] != NULL; k++)
		if (strcmp(s, set[k]) == 0)
			return 1;
	return 0;
}

/* An error of a form: {field, message} added to errors. */
static void
feeds_error(cJSON *errors, const char *field, const char *message)
{
	cJSON *e = cJSON_CreateObject();

	cJSON_AddStringToObject(e, "field", field);
	cJSON_AddStringToObject(e, "message", message);
	cJSON_AddItemToArray(errors, e);
}

int
feeds_privacy(jx_req *req, const char *text, const char **reason)
{
	const struct jx_identity *i = jx_host->identity(req);
	cJSON *args = cJSON_CreateArray(), *ctx = cJSON_CreateObject(),
	      *r = NULL;
	int64_t version = 0;
	char err[256];
	int rc;

	*reason = NULL;
	cJSON_AddItemToArray(args, cJSON_CreateString(text ? text : ""));
	cJSON_AddStringToObject(ctx, "lang", jx_host->req_lang(req));
	cJSON_AddItemToArray(args, ctx);
	rc = jx_host->rule_call(jx_host->req_db(req), i ? i->district_id : 0,
	                        NULL, "post_privacy", args, &r, &version, err,
	                        sizeof(err));
	cJSON_Delete(args);
	if (rc != 0) {
		/* fail closed: a broken rule must not let numbers through */
		jx_host->log(JX_LOG_ERROR, "feeds", "post_privacy: %s", err);
		*reason = jx_host->t(req, "feeds.error.rules");
		return -1;
	}
	if (cJSON_IsString(r) && r->valuestring[0] != '\0')
		*reason = jx_host->strdup(req, r->valuestring);
	cJSON_Delete(r);
	return *reason != NULL ? 1 : 0;
}

/* 1 when class_id is one the acting identity may post to: a class it
 * teaches or heads, or its (child's) class. */
static int
feeds_may_post_class(const struct jx_identity *i, int64_t class_id)
{
	if (class_id <= 0)
		return 0;
	if (strcmp(i->role, "teacher") == 0) {
		for (int k = 0; k < i->nclass_ids; k++)
			if (i->class_ids[k] == class_id)
				return 1;
		for (int k = 0; k < i->nhead_of_class_ids; k++)
			if (i->head_of_class_ids[k] == class_id)
				return 1;
		return 0;
	}
	return (strcmp(i->role, "student") == 0 ||
	        strcmp(i->role, "parent") == 0) &&
	       i->class_id == class_id;
}

/*
 * Creates a post from body (kind, text, visibility, file_ids, class_id):
 * its id, or 0 with errors filled ({field, message}; status 422), or -1
 * (status set: 500).
 */
#define FEEDS_INSERT_POST                                                      \
	"INSERT INTO feeds_posts(author_person_id, author_identity_id, "       \
	"author_role, district_id, school_id, class_id, kind, visibility, "    \
	"text, nfiles, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)"

static int64_t
feeds_create(jx_req *req, const cJSON *body, cJSON *errors, int *status)
{
	const struct jx_identity *i = jx_host->identity(req);
	jx_db *db = jx_host->req_db(req);
	const char *kind =
	    cJSON_GetStringValue(cJSON_GetObjectItem(body, "kind"));
	const char *text =
	    cJSON_GetStringValue(cJSON_GetObjectItem(body, "text"));
	const char *vis =
	    cJSON_GetStringValue(cJSON_GetObjectItem(body, "visibility"));
	const cJSON *files = cJSON_GetObjectItem(body, "file_ids");
	const cJSON *cj = cJSON_GetObjectItem(body, "class_id");
	int64_t class_id = cJSON_IsNumber(cj) ? (int64_t)cj->valuedouble : 0;
	const char *reason = NULL, *ref;
	int64_t id, position = 0;
	cJSON *payload, *f;

	*status = 422;
	if (!feeds_one_of(kind, feeds_kinds))
		feeds_error(errors, "kind",
		            jx_host->t(req, "feeds.error.kind"));
	if (text == NULL || text[0] == '\0')
		feeds_error(errors, "text",
		            jx_host->t(req, "feeds.error.text"));
	else if (jxp_chars(text) > 2000)
		feeds_error(errors, "text",
		            jx_host->t(req, "feeds.error.text_long"));
	if (!feeds_one_of(vis, feeds_visibilities))
		feeds_error(errors, "visibility",
		            jx_host->t(req, "feeds.error.visibility"));
	else if (strcmp(vis, "class") != 0)
		class_id =
		    0; /* only a class post has a class (the composer
		          sends its class choice whatever the visibility) */
	else if (strcmp(vis, "class") == 0 && class_id <= 0 &&
	         jxp_role(jx_host, req, "student,parent"))
		class_id = i->class_id;
	if (vis != NULL && strcmp(vis, "school") == 0 &&
	    !feeds_school_reader(req, i->school_id))
		feeds_error(errors, "visibility",
		            jx_host->t(req, "feeds.error.no_school"));
	if (vis != NULL && strcmp(vis, "class") == 0 && class_id <= 0)
		feeds_error(errors, "class_id",
		            jx_host->t(req, "feeds.error.class_missing"));
	else if (class_id > 0 && !feeds_may_post_class(i, class_id))
		feeds_error(errors, "class_id",
		            jx_host->t(req, "feeds.error.class"));
	if (cJSON_GetArraySize(files) > 9)
		feeds_error(errors, "file_ids",
		            jx_host->t(req, "feeds.error.files_many"));
	if (cJSON_GetArraySize(errors) > 0)
		return 0;
	if (feeds_privacy(req, text, &reason) != 0) {
		feeds_error(errors, "text", reason);
		return 0;
	}
	if (i->school_id <= 0)
		class_id =
		    0; /* never without a school (see feeds_may_post_class) */
	if (jx_host->db_begin(db) != 0)
		goto fail;
	/* school_id and class_id NULL when they do not apply ('n') */
	{
		char types[16];

		snprintf(types, sizeof(types), "iisi%c%csssii",
		         i->school_id > 0 ? 'i' : 'n',
		         class_id > 0 ? 'i' : 'n');
		if (i->school_id > 0 && class_id > 0)
			id = jx_host->db_insert(
			    db, FEEDS_INSERT_POST, types, i->person_id, i->id,
			    i->role, i->district_id, i->school_id, class_id,
			    kind, vis, text, (int64_t)cJSON_GetArraySize(files),
			    jx_host->now());
		else if (i->school_id > 0)
			id = jx_host->db_insert(
			    db, FEEDS_INSERT_POST, types, i->person_id, i->id,
			    i->role, i->district_id, i->school_id, kind, vis,
			    text, (int64_t)cJSON_GetArraySize(files),
			    jx_host->now());
		else
			id = jx_host->db_insert(
			    db, FEEDS_INSERT_POST, types, i->person_id, i->id,
			    i->role, i->district_id, kind, vis, text,
			    (int64_t)cJSON_GetArraySize(files), jx_host->now());
	}
	if (id <= 0)
		goto rollback;
	ref = jx_host->sprintf(req, "post:%lld", (long long)id);
	cJSON_ArrayForEach(f, files)
	{
		int64_t fid = (int64_t)f->valuedouble;
		int rc = jx_host->file_attach(req, fid, ref);
		int64_t image;

		if (rc == -2)
			goto rollback;
		image = rc == 0
		            ? jx_host->db_one(db,
		                              "SELECT 1 FROM files WHERE id = "
		                              "? AND mime LIKE 'image/%'",
		                              "i", fid)
		            : 0;
		if (image != 1) {
			jx_host->db_rollback(db);
			feeds_error(
			    errors, "file_ids",
			    jxp_fill(
			        jx_host, req,
			        jx_host->t(req, "feeds.error.file"), "id",
			        jx_host->sprintf(req, "%lld", (long long)fid)));
			*status = 422;
			return 0;
		}
		if (jx_host->db_exec(db,
		                     "INSERT INTO feeds_files(owner, owner_id, "
		                     "file_id, position) VALUES ('post',?,?,?) "
		                     "ON CONFLICT DO NOTHING",
		                     "iii", id, fid, position++) < 0)
			goto rollback;
	}
	/* the count of distinct photos (a file given twice is once) */
	if (jx_host->db_exec(db,
	                     "UPDATE feeds_posts SET nfiles = (SELECT COUNT(*) "
	                     "FROM feeds_files WHERE owner = 'post' AND "
	                     "owner_id = ?) WHERE id = ?",
	                     "ii", id, id) < 0)
		goto rollback;
	payload = cJSON_CreateObject();
	cJSON_AddNumberToObject(payload, "id", (double)id);
	cJSON_AddNumberToObject(payload, "author_person_id",
	                        (double)i->person_id);
	cJSON_AddStringToObject(payload, "author_role", i->role);
	cJSON_AddNumberToObject(payload, "district_id", (double)i->district_id);
	cJSON_AddNumberToObject(payload, "school_id", (double)i->school_id);
	cJSON_AddNumberToObject(payload, "class_id", (double)class_id);
	cJSON_AddStringToObject(payload, "kind", kind);
	cJSON_AddStringToObject(payload, "visibility", vis);
	if (jx_host->publish(db, "feeds.post_created", payload) != 0) {
		cJSON_Delete(payload);
		goto rollback;
	}
	cJSON_Delete(payload);
	if (jx_host->db_commit(db) != 0)
		goto fail;
	return id;
rollback:
	jx_host->db_rollback(db);
fail:
	*status = 500;
	return -1;
}

/* The body of a create, from JSON or a form: a form's file_ids come
 * as repeated or comma-separated values. */
static const struct jx_field feeds_post_fields[] = {
    {"kind", JX_FIELD_STRING, 0, 0, 0},
    {"text", JX_FIELD_TEXT, 0, 0, 0},
    {"visibility", JX_FIELD_STRING, 0, 0, 0},
    {"file_ids", JX_FIELD_INT_ARRAY, 0, 0, 0},
    {"class_id", JX_FIELD_INT, 0, 0, 0},
    {NULL, 0, 0, 0, 0},
};

/* POST /posts (the composer's form) and POST /api/v1/posts */
int
feeds_post_create(jx_req *req, void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);
	cJSON *body, *errors, *e;
	int64_t id;
	int status = 0;

	(void)ud;
	if (i == NULL || i->district_id <= 0 ||
	    !jxp_role(jx_host, req,
	              "district_admin,school_admin,teacher,student,parent"))
		return jxp_forbidden(jx_host, req);
	body = jx_host->req_fields(req, feeds_post_fields);
	if (body == NULL)
		return jx_host->problem_count(req) > 0
		           ? jxp_invalid(jx_host, req, NULL)
		           : jx_host->req_status(req);
	errors = cJSON_CreateArray();
	id = feeds_create(req, body, errors, &status);
	if (id > 0) {
		cJSON_Delete(errors);
		if (!jx_host->req_is_api(req))
			return jx_host->reply_redirect(
			    req, jx_host->sprintf(req, "/posts/%lld",
			                          (long long)id));
		return jx_host->reply_json(req, 201, feeds_post_json(req, id));
	}
	if (id < 0) {
		cJSON_Delete(errors);
		return jxp_storage_error(jx_host, req);
	}
	if (jx_host->req_is_api(req)) {
		cJSON_ArrayForEach(e, errors) jx_host->problem_error(
		    req, 0,
		    cJSON_GetStringValue(cJSON_GetObjectItem(e, "field")),
		    cJSON_GetStringValue(cJSON_GetObjectItem(e, "message")));
		cJSON_Delete(errors);
		return jxp_invalid(jx_host, req, NULL);
	}
	/* the composer again, with what was entered and why it failed */
	return feeds_composer(req, 422, cJSON_Duplicate(body, 1), errors);
}

/* The post's row as the writes need it; 0 when the reader does not see
 * it (404). */
struct feeds_post_row {
	int64_t id, author, school;
	char visibility[16], status[16];
};

static int
feeds_post_load(jx_req *req, int64_t id, struct feeds_post_row *p)
{
	jx_stmt *st;
	int found = 0;

	memset(p, 0, sizeof(*p));
	if (!feeds_post_visible(req, id))
		return 0;
	st = jx_host->db_query(jx_host->req_db(req),
	                       "SELECT id, author_person_id, "
	                       "COALESCE(school_id, 0), visibility, status "
	                       "FROM feeds_posts WHERE id = ?",
	                       "i", id);
	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		p->id = jx_host->db_int(st, 0);
		p->author = jx_host->db_int(st, 1);
		p->school = jx_host->db_int(st, 2);
		snprintf(p->visibility, sizeof(p->visibility), "%s",
		         jx_host->db_text(st, 3));
		snprintf(p->status, sizeof(p->status), "%s",
		         jx_host->db_text(st, 4));
		found = 1;
	}
	if (st != NULL)
		jx_host->db_finish(st);
	return found;
}

/* 1 when the acting identity is the school admin of the post's school
 * and the post is not private. */
static int
feeds_admin_of(jx_req *req, const struct feeds_post_row *p)
{
	struct feeds_viewer v = feeds_viewer(req);

	return v.admin_school > 0 && v.admin_school == p->school &&
	       strcmp(p->visibility, "private") != 0;
}

int
feeds_may_moderate(jx_req *req, int64_t post_id)
{
	struct feeds_post_row p;

	return feeds_post_load(req, post_id, &p) && feeds_admin_of(req, &p);
}

/* DELETE /api/v1/posts/{id}, POST /posts/{id}/delete (page): the author,
 * or a school admin of the author's school. */
int
feeds_post_delete(jx_req *req, void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);
	jx_db *db = jx_host->req_db(req);
	struct feeds_post_row p;
	int admin;

	(void)ud;
	if (i == NULL ||
	    !feeds_post_load(req, jx_host->req_param_id(req, "id"), &p))
		return jxp_not_found(jx_host, req);
	admin = feeds_admin_of(req, &p);
	if (p.author != i->person_id && !admin)
		return jxp_forbidden(jx_host, req);
	if (jx_host->db_begin(db) != 0)
		return jxp_storage_error(jx_host, req);
	if (jx_host->db_exec(db,
	                     "UPDATE feeds_posts SET status = 'deleted' WHERE "
	                     "id = ?",
	                     "i", p.id) != 1 ||
	    jx_host->file_detach(
	        req, 0, jx_host->sprintf(req, "post:%lld", (long long)p.id)) <
	        0 ||
	    (p.author != i->person_id &&
	     jx_host->audit(req, "feeds.post_deleted",
	                    jx_host->sprintf(req, "post:%lld", (long long)p.id),
	                    NULL) != 0)) {
		jx_host->db_rollback(db);
		return jxp_storage_error(jx_host, req);
	}
	if (jx_host->db_commit(db) != 0)
		return jxp_storage_error(jx_host, req);
	if (!jx_host->req_is_api(req))
		return jx_host->reply_redirect(req, "/feeds/school");
	return jx_host->reply_json(req, 204, NULL);
}

static const struct jx_field feeds_reason_fields[] = {
    {"reason", JX_FIELD_TEXT, 1, 1, 500},
    {NULL, 0, 0, 0, 0},
};

/* The author hears of a removal in-app (template "feeds_removed",
 * {"post_id","reason"}, ref "post:<id>"), in the removal's
 * transaction. 0 or -1. */
static int
feeds_tell_removed(jx_req *req, jx_db *db, const struct feeds_post_row *p,
                   const char *reason)
{
	cJSON *params = cJSON_CreateObject();
	struct jx_message m;
	int64_t id;

	memset(&m, 0, sizeof(m));
	cJSON_AddNumberToObject(params, "post_id", (double)p->id);
	cJSON_AddStringToObject(params, "reason", reason);
	m.size = sizeof(m);
	m.channel = "inapp";
	m.to = jx_host->sprintf(req, "%lld", (long long)p->author);
	m.template_name = "feeds_removed";
	m.params = params;
	m.ref = jx_host->sprintf(req, "post:%lld", (long long)p->id);
	id = jx_host->send(db, &m);
	cJSON_Delete(params);
	return id > 0 ? 0 : -1;
}

/* POST /posts/{id}/removal {"reason"} (page and API): the school admin
 * removes a non-private post of the school; the author sees the
 * reason. Open reports of the post are settled as removed. */
int
feeds_post_removal(jx_req *req, void *ud)
{
	jx_db *db = jx_host->req_db(req);
	struct feeds_post_row p;
	const char *reason;
	cJSON *body, *detail;
	int64_t id = jx_host->req_param_id(req, "id");

	(void)ud;
	if (!feeds_post_load(req, id, &p))
		return jxp_not_found(jx_host, req);
	if (!feeds_admin_of(req, &p))
		return jxp_forbidden(jx_host, req);
	body = jx_host->req_fields(req, feeds_reason_fields);
	if (body == NULL)
		return jx_host->problem_count(req) > 0
		           ? jxp_invalid(jx_host, req, NULL)
		           : jx_host->req_status(req);
	reason = cJSON_GetStringValue(cJSON_GetObjectItem(body, "reason"));
	if (strcmp(p.status, "live") != 0)
		return jxp_conflict(jx_host, req, "The post is not live.");
	detail = cJSON_CreateObject();
	cJSON_AddStringToObject(detail, "reason", reason);
	if (jx_host->db_begin(db) != 0) {
		cJSON_Delete(detail);
		return jxp_storage_error(jx_host, req);
	}
	if (jx_host->db_exec(db,
	                     "UPDATE feeds_posts SET status = 'removed', "
	                     "removed_reason = ?, removed_by = ?, removed_at = "
	                     "? WHERE id = ? AND status = 'live'",
	                     "siii", reason, jx_host->identity(req)->person_id,
	                     jx_host->now(), p.id) != 1 ||
	    jx_host->db_exec(db,
	                     "UPDATE feeds_reports SET resolved_at = ?, "
	                     "resolved_by = ?, outcome = 'removed' WHERE "
	                     "post_id = ? AND resolved_at IS NULL",
	                     "iii", jx_host->now(),
	                     jx_host->identity(req)->person_id, p.id) < 0 ||
	    jx_host->audit(req, "feeds.post_removed",
	                   jx_host->sprintf(req, "post:%lld", (long long)p.id),
	                   detail) != 0 ||
	    feeds_tell_removed(req, db, &p, reason) != 0) {
		cJSON_Delete(detail);
		jx_host->db_rollback(db);
		return jxp_storage_error(jx_host, req);
	}
	cJSON_Delete(detail);
	if (jx_host->db_commit(db) != 0)
		return jxp_storage_error(jx_host, req);
	if (!jx_host->req_is_api(req))
		return jx_host->reply_redirect(req, "/feeds/school");
	detail = cJSON_CreateObject();
	cJSON_AddNumberToObject(detail, "id", (double)p.id);
	cJSON_AddStringToObject(detail, "status", "removed");
	cJSON_AddStringToObject(detail, "removed_reason", reason);
	return jx_host->reply_json(req, 200, detail);
}

/* POST /posts/{id}/likes (page and API), DELETE /api/v1/posts/{id}/likes,
 * POST /posts/{id}/unlike (page). */
static int
feeds_like(jx_req *req, int on)
{
	const struct jx_identity *i = jx_host->identity(req);
	jx_db *db = jx_host->req_db(req);
	struct feeds_post_row p;
	int64_t changed;
	cJSON *o;

	if (i == NULL ||
	    !feeds_post_load(req, jx_host->req_param_id(req, "id"), &p) ||
	    strcmp(p.status, "live") != 0)
		return jxp_not_found(jx_host, req);
	if (jx_host->db_begin(db) != 0)
		return jxp_storage_error(jx_host, req);
	changed =
	    on ? jx_host->db_exec(db,
	                          "INSERT INTO feeds_likes(post_id, "
	                          "person_id, created_at) VALUES "
	                          "(?,?,?) ON CONFLICT DO NOTHING",
	                          "iii", p.id, i->person_id, jx_host->now())
	       : jx_host->db_exec(db,
	                          "DELETE FROM feeds_likes WHERE "
	                          "post_id = ? AND person_id = ?",
	                          "ii", p.id, i->person_id);
	if (changed < 0 ||
	    (changed > 0 &&
	     jx_host->db_exec(db,
	                      "UPDATE feeds_posts SET nlikes = nlikes + ? "
	                      "WHERE id = ?",
	                      "ii", (int64_t)(on ? 1 : -1), p.id) != 1)) {
		jx_host->db_rollback(db);
		return jxp_storage_error(jx_host, req);
	}
	if (jx_host->db_commit(db) != 0)
		return jxp_storage_error(jx_host, req);
	if (!jx_host->req_is_api(req))
		return jx_host->reply_redirect(
		    req, jx_host->sprintf(req, "/posts/%lld", (long long)p.id));
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(
	    o, "likes",
	    (double)jx_host->db_one(
	        db, "SELECT nlikes FROM feeds_posts WHERE id = ?", "i", p.id));
	cJSON_AddBoolToObject(o, "liked_by_me", on);
	return jx_host->reply_json(req, 200, o);
}

int
feeds_like_post(jx_req *req, void *ud)
{
	(void)ud;
	return feeds_like(req, 1);
}

int
feeds_like_delete(jx_req *req, void *ud)
{
	(void)ud;
	return feeds_like(req, 0);
}

/* POST /posts/{id}/reports {"reason"} (page and API): 举报, one per
 * reader per post, queued for the school admin. */
int
feeds_report_post(jx_req *req, void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);
	jx_db *db = jx_host->req_db(req);
	struct feeds_post_row p;
	const char *reason;
	cJSON *body, *o;
	int64_t id;

	(void)ud;
	if (i == NULL ||
	    !feeds_post_load(req, jx_host->req_param_id(req, "id"), &p) ||
	    strcmp(p.status, "live") != 0)
		return jxp_not_found(jx_host, req);
	body = jx_host->req_fields(req, feeds_reason_fields);
	if (body == NULL)
		return jx_host->problem_count(req) > 0
		           ? jxp_invalid(jx_host, req, NULL)
		           : jx_host->req_status(req);
	reason = cJSON_GetStringValue(cJSON_GetObjectItem(body, "reason"));
	if (jx_host->db_one(db,
	                    "SELECT COUNT(*) FROM feeds_reports WHERE post_id "
	                    "= ? AND reporter_person_id = ? AND comment_id IS "
	                    "NULL",
	                    "ii", p.id, i->person_id) > 0)
		return jxp_conflict(jx_host, req,
		                    jx_host->t(req, "feeds.error.reported"));
	/* a post without a school (a district admin's) queues nowhere */
	id = p.school > 0
	         ? jx_host->db_insert(db,
	                              "INSERT INTO feeds_reports(post_id, "
	                              "school_id, reporter_person_id, reason, "
	                              "created_at) VALUES (?,?,?,?,?)",
	                              "iiisi", p.id, p.school, i->person_id,
	                              reason, jx_host->now())
	         : jx_host->db_insert(db,
	                              "INSERT INTO feeds_reports(post_id, "
	                              "reporter_person_id, reason, created_at) "
	                              "VALUES (?,?,?,?)",
	                              "iisi", p.id, i->person_id, reason,
	                              jx_host->now());
	if (id <= 0)
		return jxp_conflict(jx_host, req,
		                    jx_host->t(req, "feeds.error.reported"));
	if (!jx_host->req_is_api(req))
		return jx_host->reply_redirect(
		    req, jx_host->sprintf(req, "/posts/%lld?reported=1",
		                          (long long)p.id));
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)id);
	cJSON_AddNumberToObject(o, "post_id", (double)p.id);
	return jx_host->reply_json(req, 201, o);
}
