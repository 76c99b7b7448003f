/*
 * practice_space.c — the social practice section of a student's
 * learning space (学习空间), through the feeds plugin's spaces.v1
 * (jx/spaces.h): first the hours the student has (checked-in
 * activities), then the registrations, newest first, each with its
 * status. Readers as for the space's other sections: the student, the
 * parents acting for the child, and staff whom the host lets see the
 * student (jx_host->may JX_SEE_STUDENT). Added only when feeds is there
 * ("?feeds").
 */
#include "practice_checkin.h"

#include <jx/spaces.h>

#include <stdio.h>
#include <string.h>

static cJSON *
space_items(jx_req *req, int kind, int64_t owner, int limit, int64_t *total,
            void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);
	jx_db *db = jx_host->req_db(req);
	int64_t done = 0, tenths = 0, count;
	cJSON *out, *o;
	jx_stmt *st;
	char num[32];

	(void)ud;
	if (total != NULL)
		*total = -1;
	if (kind != JX_SPACE_LEARNING || owner <= 0 || i == NULL)
		return NULL;
	if (i->student_id != owner && !jx_host->may(req, JX_SEE_STUDENT, owner))
		return NULL;
	if (limit < 1 || limit > 50)
		limit = 10;
	count = jxp_one(jx_host, db,
	                "SELECT COUNT(*) FROM practice_registrations WHERE "
	                "student_id = ? AND status <> 'cancelled'",
	                "i", owner);
	if (count <= 0) /* nothing yet (or an error): no section */
		return NULL;
	st = jx_host->db_query(db,
	                       "SELECT COUNT(*), SUM(a.hours_tenths) FROM "
	                       "practice_registrations r JOIN "
	                       "practice_activities a ON a.id = r.activity_id "
	                       "WHERE r.student_id = ? AND r.status = "
	                       "'checked_in'",
	                       "i", owner);
	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		done = jx_host->db_int(st, 0);
		tenths = jx_host->db_int(st, 1);
	}
	jx_host->db_finish(st);
	if (total != NULL)
		*total = count;
	out = cJSON_CreateArray();
	/* the total first: what the school counts for the evaluation */
	snprintf(num, sizeof(num), "%g", practice_hours(tenths));
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(
	    o, "title",
	    jxp_fill(jx_host, req, jx_host->t(req, "practice.space.hours"),
	             "hours", num));
	snprintf(num, sizeof(num), "%lld", (long long)done);
	cJSON_AddStringToObject(o, "detail",
	                        jxp_fill(jx_host, req,
	                                 jx_host->t(req, "practice.space.done"),
	                                 "n", num));
	cJSON_AddItemToArray(out, o);
	st = jx_host->db_query(
	    db,
	    "SELECT r.id, a.id, a.title, b.name, a.starts_at, a.hours_tenths, "
	    "r.status FROM practice_registrations r JOIN practice_activities a "
	    "ON a.id = r.activity_id JOIN practice_bases b ON b.id = a.base_id "
	    "WHERE r.student_id = ? AND r.status <> 'cancelled' ORDER BY "
	    "a.starts_at DESC, r.id DESC LIMIT ?",
	    "ii", owner, (int64_t)limit);
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		char t[32];

		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "title", jx_host->db_text(st, 2));
		cJSON_AddStringToObject(
		    o, "detail",
		    jx_host->sprintf(
		        req, "%s · %s · %s", jx_host->db_text(st, 3),
		        jx_host->t(req, jx_host->sprintf(
		                            req, "practice.checkin.status.%s",
		                            jx_host->db_text(st, 6))),
		        jxp_fill(
		            jx_host, req,
		            jx_host->t(req, "practice.space.activity_hours"),
		            "hours",
		            jx_host->sprintf(
		                req, "%g",
		                practice_hours(jx_host->db_int(st, 5))))));
		cJSON_AddStringToObject(
		    o, "href",
		    jx_host->sprintf(req, "/practice/activities/%lld",
		                     (long long)jx_host->db_int(st, 1)));
		jx_host->format_time(jx_host->db_int(st, 4), t, sizeof(t));
		cJSON_AddStringToObject(o, "time", t);
		cJSON_AddItemToArray(out, o);
	}
	jx_host->db_finish(st);
	return out;
}

void
practice_space_init(void)
{
	static const struct jx_space_section section = {
	    .size = sizeof(struct jx_space_section),
	    .code = "practice",
	    .plugin = "practice",
	    .title_key = "practice.space.title",
	    .kinds = JX_SPACE_BIT(JX_SPACE_LEARNING),
	    .roles = "*",
	    .order = 25,
	    .items = space_items,
	};
	const struct jx_spaces_v1 *sp = jx_host->service(JX_SPACES_SERVICE);

	if (sp != NULL && sp->section(&section) != 0)
		jx_host->log(JX_LOG_WARN, "practice",
		             "the learning space took no practice section");
}
