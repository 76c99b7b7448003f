/*
 * feeds_spaces_manage.c — class space management: the head teacher (and
 * the school's admins) appoint and revoke class administrators (班级管理员:
 * a student or a teacher of the class); the head teacher and the class
 * administrators edit the class introduction and pin or unpin a class
 * post. Everyone else who sees the class gets 403, others 404.
 */
#include "feeds_spaces.h"

#include <stdlib.h>
#include <string.h>

enum { INTRO_MAX = 2000 };

static int
has_id(const int64_t *ids, int n, int64_t id)
{
	for (int k = 0; k < n; k++)
		if (ids[k] == id)
			return 1;
	return 0;
}

int
feeds_class_manager(jx_req *req, int64_t cid)
{
	const struct jx_identity *i = jx_host->identity(req);
	int in_class;

	if (cid <= 0 || i == NULL || !jx_host->may(req, JX_SEE_CLASS, cid))
		return -1;
	if (jx_host->may(req, JX_MANAGE_CLASS, cid))
		return 1;
	/* a class administrator, acting as the student of the class or as
	 * a teacher of it */
	in_class = (strcmp(i->role, "student") == 0 && i->class_id == cid) ||
	           (strcmp(i->role, "teacher") == 0 &&
	            has_id(i->class_ids, i->nclass_ids, cid));
	if (!in_class)
		return 0;
	return jx_host->db_one(jx_host->req_db(req),
	                       "SELECT COUNT(*) FROM feeds_class_admins WHERE "
	                       "class_id = ? AND person_id = ? AND role = ?",
	                       "iis", cid, i->person_id, i->role) > 0;
}

/* The role pid has in class cid ("student", "teacher"), or NULL. */
static const char *
member_role(jx_req *req, int64_t cid, int64_t pid)
{
	jx_db *db = jx_host->req_db(req);

	if (jx_host->db_one(db,
	                    "SELECT COUNT(*) FROM students WHERE person_id = ? "
	                    "AND class_id = ? AND status = 'in_school'",
	                    "ii", pid, cid) > 0)
		return "student";
	if (jx_host->db_one(db,
	                    "SELECT COUNT(*) FROM classes c JOIN teachers t ON "
	                    "t.school_id = c.school_id AND t.status = "
	                    "'in_school' WHERE c.id = ? AND t.person_id = ? "
	                    "AND (c.head_teacher_id = t.person_id OR EXISTS "
	                    "(SELECT 1 FROM teaching WHERE teacher_id = "
	                    "t.person_id AND class_id = c.id))",
	                    "ii", cid, pid) > 0)
		return "teacher";
	return NULL;
}

static int
appoint_check(jx_req *req, int64_t cid)
{
	if (!jx_host->may(req, JX_SEE_CLASS, cid))
		return jxp_not_found(jx_host, req);
	if (!jx_host->may(req, JX_MANAGE_CLASS, cid))
		return jx_host->reply_problem(
		    req, 403, "forbidden", "Forbidden",
		    "Only the head teacher appoints class administrators.");
	return 0;
}

int
feeds_class_admin_put(jx_req *req, void *ud)
{
	int64_t cid = jx_host->req_param_id(req, "cid");
	int64_t pid = jx_host->req_param_id(req, "pid");
	const struct jx_identity *i = jx_host->identity(req);
	jx_db *db = jx_host->req_db(req);
	const char *role;
	cJSON *o, *detail;
	int rc = appoint_check(req, cid);

	(void)ud;
	if (rc != 0)
		return rc;
	role = member_role(req, cid, pid);
	if (role == NULL) {
		jx_host->problem_error(
		    req, 0, "person_id",
		    jx_host->t(req, "feeds.admins.not_member"));
		return jxp_invalid(jx_host, req,
		                   "A class administrator is a student or a "
		                   "teacher of the class.");
	}
	detail = cJSON_CreateObject();
	cJSON_AddNumberToObject(detail, "class_id", (double)cid);
	cJSON_AddNumberToObject(detail, "person_id", (double)pid);
	if (jx_host->db_begin(db) != 0 ||
	    jx_host->db_exec(db,
	                     "INSERT INTO feeds_class_admins(class_id, "
	                     "person_id, role, appointed_by, created_at) "
	                     "VALUES (?, ?, ?, ?, ?) ON CONFLICT (class_id, "
	                     "person_id) DO NOTHING",
	                     "iisii", cid, pid, role, i->person_id,
	                     jx_host->now()) < 0 ||
	    jx_host->audit(req, "feeds.class_admin_appointed",
	                   jx_host->sprintf(req, "class:%lld", (long long)cid),
	                   detail) != 0 ||
	    jx_host->db_commit(db) != 0) {
		jx_host->db_rollback(db);
		cJSON_Delete(detail);
		return jxp_storage_error(jx_host, req);
	}
	cJSON_Delete(detail);
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "class_id", (double)cid);
	cJSON_AddNumberToObject(o, "person_id", (double)pid);
	cJSON_AddStringToObject(o, "role", role);
	return jx_host->reply_json(req, 200, o);
}

int
feeds_class_admin_delete(jx_req *req, void *ud)
{
	int64_t cid = jx_host->req_param_id(req, "cid");
	int64_t pid = jx_host->req_param_id(req, "pid");
	jx_db *db = jx_host->req_db(req);
	int64_t n;
	int rc = appoint_check(req, cid);

	(void)ud;
	if (rc != 0)
		return rc;
	if (jx_host->db_begin(db) != 0)
		return jxp_storage_error(jx_host, req);
	n = jx_host->db_exec(
	    db,
	    "DELETE FROM feeds_class_admins WHERE class_id = ? "
	    "AND person_id = ?",
	    "ii", cid, pid);
	if (n < 0 ||
	    (n > 0 &&
	     jx_host->audit(req, "feeds.class_admin_revoked",
	                    jx_host->sprintf(req, "class:%lld", (long long)cid),
	                    NULL) != 0) ||
	    jx_host->db_commit(db) != 0) {
		jx_host->db_rollback(db);
		return jxp_storage_error(jx_host, req);
	}
	if (n == 0)
		return jxp_not_found(jx_host, req);
	return jx_host->reply_json(req, 204, NULL);
}

/*
 * Stores intro (NULL: keep) and the pinned post (pin < 0: keep, 0:
 * unpin). The pinned post must be a live post of the class. Replies
 * 422 itself (returns its status); 0 when stored.
 */
static int
space_store(jx_req *req, int64_t cid, const char *intro, int64_t pin)
{
	const struct jx_identity *i = jx_host->identity(req);
	jx_db *db = jx_host->req_db(req);

	if (intro != NULL && jxp_chars(intro) > INTRO_MAX) {
		jx_host->problem_error(
		    req, 0, "intro", jx_host->t(req, "feeds.space.intro_long"));
		return jxp_invalid(jx_host, req,
		                   "The introduction is too long.");
	}
	if (pin > 0 &&
	    jx_host->db_one(db,
	                    "SELECT COUNT(*) FROM feeds_posts WHERE id = ? AND "
	                    "class_id = ? AND status = 'live' AND visibility "
	                    "<> 'private'",
	                    "ii", pin, cid) != 1) {
		jx_host->problem_error(req, 0, "pinned_post_id",
		                       jx_host->t(req, "feeds.space.pin_bad"));
		return jxp_invalid(jx_host, req,
		                   "Only a post of the class can be pinned.");
	}
	if (jx_host->db_begin(db) != 0 ||
	    jx_host->db_exec(db,
	                     "INSERT INTO feeds_class_spaces(class_id, intro, "
	                     "pinned_post_id, updated_by, updated_at) VALUES "
	                     "(?, COALESCE(?, ''), CASE WHEN ? > 0 THEN ? END, "
	                     "?, ?) ON CONFLICT (class_id) DO UPDATE SET "
	                     "intro = COALESCE(?, intro), pinned_post_id = "
	                     "CASE WHEN ? < 0 THEN pinned_post_id ELSE "
	                     "excluded.pinned_post_id END, updated_by = "
	                     "excluded.updated_by, updated_at = "
	                     "excluded.updated_at",
	                     "isiiiisi", cid, intro, pin, pin, i->person_id,
	                     jx_host->now(), intro, pin) < 0 ||
	    jx_host->db_commit(db) != 0) {
		jx_host->db_rollback(db);
		return jxp_storage_error(jx_host, req);
	}
	return 0;
}

static int
manage_check(jx_req *req, int64_t cid)
{
	int m = feeds_class_manager(req, cid);

	if (m < 0)
		return jxp_not_found(jx_host, req);
	if (m == 0)
		return jx_host->reply_problem(
		    req, 403, "forbidden", "Forbidden",
		    "Only the head teacher and the class administrators "
		    "manage the class space.");
	return 0;
}

int
feeds_class_space_patch(jx_req *req, void *ud)
{
	int64_t cid = jx_host->req_param_id(req, "cid"), pin = -1;
	const cJSON *body, *intro, *p;
	const char *text = NULL;
	cJSON *o;
	int rc = manage_check(req, cid);

	(void)ud;
	if (rc != 0)
		return rc;
	body = jx_host->req_json(req);
	if (body == NULL)
		return jx_host->req_status(req);
	intro = cJSON_GetObjectItemCaseSensitive(body, "intro");
	p = cJSON_GetObjectItemCaseSensitive(body, "pinned_post_id");
	if (intro != NULL && !cJSON_IsNull(intro)) {
		if (!cJSON_IsString(intro)) {
			jx_host->problem_error(req, 0, "intro",
			                       "intro is a string");
			return jxp_invalid(jx_host, req, "intro is a string");
		}
		text = intro->valuestring;
	}
	if (cJSON_IsNull(p))
		pin = 0;
	else if (p != NULL) {
		if (!cJSON_IsNumber(p) || p->valuedouble < 0) {
			jx_host->problem_error(req, 0, "pinned_post_id",
			                       "pinned_post_id is a post id or "
			                       "null");
			return jxp_invalid(
			    jx_host, req,
			    "pinned_post_id is a post id or null");
		}
		pin = (int64_t)p->valuedouble;
	}
	rc = space_store(req, cid, text, pin);
	if (rc != 0)
		return rc;
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "class_id", (double)cid);
	return jx_host->reply_json(req, 200, o);
}

/* The class space page's form: POST /spaces/class/{cid} with intro and
 * pinned_post_id ("" or 0 unpins; absent keeps). */
int
feeds_class_space_form(jx_req *req, void *ud)
{
	int64_t cid = jx_host->req_param_id(req, "cid"), pin = -1;
	const char *intro = jx_host->req_form(req, "intro");
	const char *p = jx_host->req_form(req, "pinned_post_id");
	int rc = manage_check(req, cid);

	(void)ud;
	if (rc != 0)
		return rc;
	if (p != NULL)
		pin = p[0] == '\0' ? 0 : atoll(p);
	if (pin < -1)
		pin = 0;
	rc = space_store(req, cid, intro, pin);
	if (rc != 0)
		return rc;
	return jx_host->reply_redirect(
	    req, jx_host->sprintf(req, "/spaces/class/%lld", (long long)cid));
}
