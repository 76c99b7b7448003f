/*
 * feeds_pages.c — one post (page and API) with its comments, and the
 * composer /posts/new (issue 15). The feeds' pages are feeds_posts.c's
 * handlers (one handler, both faces); templates in templates/feeds/.
 */
#include "feeds.h"

#include <stdlib.h>
#include <string.h>

/* The post page: the post, its comments, what the reader may do; a
 * failed comment comes back with its text and the reason. */
int
feeds_post_page(jx_req *req, int64_t id, int status, const char *text,
                const char *error)
{
	cJSON *post = feeds_post_json(req, id), *comments;

	if (post == NULL)
		return jxp_not_found(jx_host, req);
	comments = feeds_comment_rows(req, id, 0, 200);
	cJSON_AddItemToObject(post, "comment_items", comments);
	cJSON_AddBoolToObject(post, "may_remove", feeds_may_moderate(req, id));
	if (text != NULL)
		cJSON_AddStringToObject(post, "comment_text", text);
	if (error != NULL)
		cJSON_AddStringToObject(post, "comment_error", error);
	if (jx_host->req_query(req, "reported") != NULL)
		cJSON_AddBoolToObject(post, "reported", 1);
	cJSON_AddStringToObject(post, "back", "/feeds/school");
	cJSON_AddStringToObject(post, "title",
	                        jx_host->t(req, "feeds.post.title"));
	return jx_host->reply_view(req, status, "feeds/post", post);
}

/* GET /posts/{id} (page and API) */
int
feeds_post_get(jx_req *req, void *ud)
{
	int64_t id = jx_host->req_param_id(req, "id");
	cJSON *post;

	(void)ud;
	if (!jx_host->req_is_api(req))
		return feeds_post_page(req, id, 200, NULL, NULL);
	post = feeds_post_json(req, id);
	if (post == NULL)
		return jxp_not_found(jx_host, req);
	return jx_host->reply_json(req, 200, post);
}

/* The composer, empty or with what was entered (values) and errors
 * [{field, message}]; takes both. */
int
feeds_composer(jx_req *req, int status, cJSON *values, cJSON *errors)
{
	const struct jx_identity *i = jx_host->identity(req);
	cJSON *data = cJSON_CreateObject();
	const char *v = jx_host->req_query(req, "visibility");

	cJSON_AddItemToObject(data, "classes", feeds_reader_classes(req));
	cJSON_AddBoolToObject(data, "has_school",
	                      i != NULL && i->school_id > 0 &&
	                          feeds_school_reader(req, i->school_id));
	cJSON_AddBoolToObject(data, "teacher",
	                      jxp_role(jx_host, req, "teacher"));
	cJSON_AddNumberToObject(
	    data, "upload_bytes",
	    (double)jx_host->config_int("limits.upload_bytes", 20 << 20));
	if (values == NULL) {
		values = cJSON_CreateObject();
		/* from the class feed: a class post to that class */
		if (v != NULL && strcmp(v, "class") == 0)
			cJSON_AddStringToObject(values, "visibility", "class");
		if (jx_host->req_query(req, "class_id") != NULL)
			cJSON_AddNumberToObject(
			    values, "class_id",
			    (double)atoll(jx_host->req_query(req, "class_id")));
	}
	cJSON_AddItemToObject(data, "values", values);
	cJSON_AddItemToObject(data, "errors",
	                      errors ? errors : cJSON_CreateArray());
	cJSON_AddStringToObject(data, "back", "/feeds/school");
	cJSON_AddStringToObject(data, "title",
	                        jx_host->t(req, "feeds.new.title"));
	return jx_host->reply_view(req, status, "feeds/new", data);
}

/* GET /posts/new */
int
feeds_new_get(jx_req *req, void *ud)
{
	(void)ud;
	if (!jxp_role(jx_host, req,
	              "district_admin,school_admin,teacher,student,parent"))
		return jxp_forbidden(jx_host, req);
	return feeds_composer(req, 200, NULL, NULL);
}
