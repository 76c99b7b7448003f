/*
 * feeds_comments.c — comments on posts (issue 15): seen by whoever sees
 * the post (feeds_post_visible), written through the privacy rule like
 * posts, deleted by their author, the post's author or the school admin
 * of the post's school.
 */
#include "feeds.h"

#include <string.h>

/* The comments of post_id, oldest first after the cursor: the items
 * array (up to limit + 1 rows). */
cJSON *
feeds_comment_rows(jx_req *req, int64_t post_id, int64_t after, int64_t limit)
{
	const struct jx_identity *i = jx_host->identity(req);
	int64_t post_author = jx_host->db_one(
	    jx_host->req_db(req),
	    "SELECT author_person_id FROM feeds_posts WHERE id = ?", "i",
	    post_id);
	int moderator = feeds_may_moderate(req, post_id);
	cJSON *items = cJSON_CreateArray();
	jx_stmt *st;

	st = jx_host->db_query(
	    jx_host->req_db(req),
	    "SELECT c.id, c.text, c.author_person_id, a.name, c.author_role, "
	    "c.created_at FROM feeds_comments c JOIN persons a ON a.id = "
	    "c.author_person_id WHERE c.post_id = ? AND c.status = 'live' AND "
	    "c.id > ? ORDER BY c.id LIMIT ?",
	    "iii", post_id, after, limit + 1);
	if (st == NULL)
		return items;
	while (jx_host->db_step(st) == JX_DB_ROW) {
		cJSON *o = cJSON_CreateObject(), *a;
		int64_t author = jx_host->db_int(st, 2);
		char when[32];

		cJSON_AddNumberToObject(o, "id",
		                        (double)jx_host->db_int(st, 0));
		cJSON_AddNumberToObject(o, "post_id", (double)post_id);
		cJSON_AddStringToObject(o, "text", jx_host->db_text(st, 1));
		a = cJSON_AddObjectToObject(o, "author");
		cJSON_AddNumberToObject(a, "id", (double)author);
		cJSON_AddStringToObject(a, "name", jx_host->db_text(st, 3));
		cJSON_AddStringToObject(a, "role", jx_host->db_text(st, 4));
		jx_host->format_time(jx_host->db_int(st, 5), when,
		                     sizeof(when));
		cJSON_AddStringToObject(o, "created_at", when);
		cJSON_AddBoolToObject(
		    o, "can_delete",
		    i != NULL && (i->person_id == author ||
		                  i->person_id == post_author || moderator));
		cJSON_AddItemToArray(items, o);
	}
	jx_host->db_finish(st);
	return items;
}

/* GET /api/v1/posts/{id}/comments */
int
feeds_comments_get(jx_req *req, void *ud)
{
	int64_t id = jx_host->req_param_id(req, "id"), limit, after;

	(void)ud;
	if (!feeds_post_visible(req, id))
		return jxp_not_found(jx_host, req);
	jxp_page(jx_host, req, &limit, &after);
	return jx_host->reply_json(
	    req, 200,
	    jxp_items(feeds_comment_rows(req, id, after, limit), limit, "id"));
}

static const struct jx_field feeds_comment_fields[] = {
    {"text", JX_FIELD_TEXT, 0, 0, 0},
    {NULL, 0, 0, 0, 0},
};

/* POST /posts/{id}/comments (page and API) {"text"} */
int
feeds_comment_post(jx_req *req, void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);
	jx_db *db = jx_host->req_db(req);
	int64_t post = jx_host->req_param_id(req, "id"), id, school;
	const char *text, *message = NULL;
	cJSON *body, *o;

	(void)ud;
	if (i == NULL || !feeds_post_visible(req, post) ||
	    jx_host->db_one(db,
	                    "SELECT COUNT(*) FROM feeds_posts WHERE id = ? AND "
	                    "status = 'live'",
	                    "i", post) != 1)
		return jxp_not_found(jx_host, req);
	body = jx_host->req_fields(req, feeds_comment_fields);
	if (body == NULL)
		return jx_host->problem_count(req) > 0
		           ? jxp_invalid(jx_host, req, NULL)
		           : jx_host->req_status(req);
	text = cJSON_GetStringValue(cJSON_GetObjectItem(body, "text"));
	if (text == NULL || text[0] == '\0')
		message = jx_host->t(req, "feeds.error.comment");
	else if (jxp_chars(text) > 500)
		message = jx_host->t(req, "feeds.error.comment_long");
	else if (feeds_privacy(req, text, &message) == 0)
		message = NULL;
	if (message != NULL) {
		if (!jx_host->req_is_api(req))
			return feeds_post_page(req, post, 422, text, message);
		jx_host->problem_error(req, 0, "text", message);
		return jxp_invalid(jx_host, req, NULL);
	}
	school =
	    jx_host->db_one(db,
	                    "SELECT COALESCE(school_id, 0) FROM feeds_posts "
	                    "WHERE id = ?",
	                    "i", post);
	if (jx_host->db_begin(db) != 0)
		return jxp_storage_error(jx_host, req);
	id = school > 0
	         ? jx_host->db_insert(db,
	                              "INSERT INTO feeds_comments(post_id, "
	                              "author_person_id, author_identity_id, "
	                              "author_role, school_id, text, "
	                              "created_at) VALUES (?,?,?,?,?,?,?)",
	                              "iiisisi", post, i->person_id, i->id,
	                              i->role, school, text, jx_host->now())
	         : jx_host->db_insert(db,
	                              "INSERT INTO feeds_comments(post_id, "
	                              "author_person_id, author_identity_id, "
	                              "author_role, text, created_at) VALUES "
	                              "(?,?,?,?,?,?)",
	                              "iiissi", post, i->person_id, i->id,
	                              i->role, text, jx_host->now());
	if (id <= 0 || jx_host->db_exec(db,
	                                "UPDATE feeds_posts SET ncomments = "
	                                "ncomments + 1 WHERE id = ?",
	                                "i", post) != 1) {
		jx_host->db_rollback(db);
		return jxp_storage_error(jx_host, req);
	}
	if (jx_host->db_commit(db) != 0)
		return jxp_storage_error(jx_host, req);
	if (!jx_host->req_is_api(req))
		return jx_host->reply_redirect(
		    req, jx_host->sprintf(req, "/posts/%lld#comment-%lld",
		                          (long long)post, (long long)id));
	o = feeds_comment_rows(req, post, id - 1, 1);
	{
		cJSON *c = cJSON_DetachItemFromArray(o, 0);

		cJSON_Delete(o);
		return jx_host->reply_json(req, 201, c);
	}
}

/* DELETE /api/v1/comments/{id}, POST /comments/{id}/delete (page): the
 * comment's author, the post's author, the school admin. */
int
feeds_comment_delete(jx_req *req, void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);
	jx_db *db = jx_host->req_db(req);
	int64_t id = jx_host->req_param_id(req, "id"), post = 0, author = 0,
	        post_author = 0;
	jx_stmt *st;

	(void)ud;
	if (i == NULL || id <= 0)
		return jxp_not_found(jx_host, req);
	st = jx_host->db_query(db,
	                       "SELECT c.post_id, c.author_person_id, "
	                       "p.author_person_id FROM feeds_comments c JOIN "
	                       "feeds_posts p ON p.id = c.post_id WHERE c.id = "
	                       "? AND c.status = 'live'",
	                       "i", id);
	if (st == NULL)
		return jxp_storage_error(jx_host, req);
	if (jx_host->db_step(st) == JX_DB_ROW) {
		post = jx_host->db_int(st, 0);
		author = jx_host->db_int(st, 1);
		post_author = jx_host->db_int(st, 2);
	}
	jx_host->db_finish(st);
	if (post <= 0 || !feeds_post_visible(req, post))
		return jxp_not_found(jx_host, req);
	if (i->person_id != author && i->person_id != post_author &&
	    !feeds_may_moderate(req, post))
		return jxp_forbidden(jx_host, req);
	if (jx_host->db_begin(db) != 0)
		return jxp_storage_error(jx_host, req);
	if (jx_host->db_exec(db,
	                     "UPDATE feeds_comments SET status = ?, removed_by "
	                     "= ? WHERE id = ? AND status = 'live'",
	                     "sii",
	                     i->person_id == author ? "deleted" : "removed",
	                     i->person_id, id) != 1 ||
	    jx_host->db_exec(db,
	                     "UPDATE feeds_posts SET ncomments = ncomments - 1 "
	                     "WHERE id = ? AND ncomments > 0",
	                     "i", post) < 0) {
		jx_host->db_rollback(db);
		return jxp_storage_error(jx_host, req);
	}
	if (jx_host->db_commit(db) != 0)
		return jxp_storage_error(jx_host, req);
	if (!jx_host->req_is_api(req))
		return jx_host->reply_redirect(
		    req, jx_host->sprintf(req, "/posts/%lld", (long long)post));
	return jx_host->reply_json(req, 204, NULL);
}
