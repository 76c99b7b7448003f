/*
 * resources_space.c — the favourites section of a student's learning
 * space (学习空间), through the feeds plugin's spaces.v1
 * (jx/spaces.h): the resources the student marked, as the reader may
 * see them. Added only when feeds is there ("?feeds").
 */
#include "resources.h"

#include <jx/spaces.h>

#include <string.h>

static cJSON *
space_items(jx_req *req, int kind, int64_t owner, int limit, int64_t *total,
            void *ud)
{
	struct resources_who w;
	jx_db *db = jx_host->req_db(req);
	cJSON *out;
	jx_stmt *st;

	(void)ud;
	if (total != NULL)
		*total = -1;
	if (kind != JX_SPACE_LEARNING || owner <= 0 ||
	    resources_who(req, &w) != 0)
		return NULL;
	/* whose favourites a reader sees: the student's own, or their
	 * child's for a parent, or a student's for staff with scope */
	if (owner != w.person && !jx_host->may(req, JX_SEE_STUDENT, owner))
		return NULL;
	if (limit < 1 || limit > 50)
		limit = 10;
	if (total != NULL)
		*total = jxp_one(jx_host, db,
		                 "SELECT COUNT(*) FROM resources_favourites f "
		                 "JOIN resources_items r ON r.id = "
		                 "f.resource_id WHERE f.person_id = ? AND "
		                 "r.status = 'active'",
		                 "i", owner);
	out = cJSON_CreateArray();
	st = jx_host->db_query(db,
	                       "SELECT r.id, r.title, r.subject, r.grade, "
	                       "f.created_at FROM resources_favourites f JOIN "
	                       "resources_items r ON r.id = f.resource_id "
	                       "WHERE f.person_id = ? AND " RESOURCES_SEEN_SQL
	                       " ORDER BY f.created_at DESC, r.id DESC LIMIT ?",
	                       "i" RESOURCES_SEEN_TYPES "i", owner,
	                       RESOURCES_SEEN_ARGS(w), (int64_t)limit);
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		cJSON *o = cJSON_CreateObject();
		char t[32];

		cJSON_AddStringToObject(o, "title", jx_host->db_text(st, 1));
		cJSON_AddStringToObject(
		    o, "detail",
		    jx_host->sprintf(req, "%s · %s", jx_host->db_text(st, 2),
		                     resources_grade_label(
		                         req, (int)jx_host->db_int(st, 3))));
		cJSON_AddStringToObject(
		    o, "href",
		    jx_host->sprintf(req, "/resources/%lld",
		                     (long long)jx_host->db_int(st, 0)));
		jx_host->format_time(jx_host->db_int(st, 4), t, sizeof(t));
		cJSON_AddStringToObject(o, "time", t);
		cJSON_AddItemToArray(out, o);
	}
	jx_host->db_finish(st);
	return out;
}

void
resources_space_init(void)
{
	static const struct jx_space_section section = {
	    .size = sizeof(struct jx_space_section),
	    .code = "favourites",
	    .plugin = "resources",
	    .title_key = "resources.space.favourites",
	    .kinds = JX_SPACE_BIT(JX_SPACE_LEARNING),
	    .roles = "*",
	    .order = 30,
	    .items = space_items,
	};
	const struct jx_spaces_v1 *sp = jx_host->service(JX_SPACES_SERVICE);

	if (sp != NULL && sp->section(&section) != 0)
		jx_host->log(JX_LOG_WARN, "resources",
		             "the learning space took no favourites section");
}
