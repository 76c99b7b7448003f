/*
 * feeds_spaces.c — the spaces (空间, API.md "Feeds and spaces"): a
 * person's, a class's, a school's and a student's learning space (学习空间),
 * each the owner, the posts the reader may see, counts and the sections
 * other plugins add through spaces.v1. One handler per kind answers the
 * page (/spaces/...) and the API (/api/v1/spaces/...). Every visit is
 * counted per space and local day (feeds_visits) and published as the
 * event feeds.space_visited (docs/events.md) for statistics. A space the
 * reader may not see is 404.
 */
#include "feeds_spaces.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t
feeds_local_day(int64_t t)
{
	char iso[32];

	/* the configured time zone's date: "2026-09-01T08:00:00+08:00" */
	jx_host->format_time(t, iso, sizeof(iso));
	if (strlen(iso) < 10)
		return 0;
	return atoll(iso) * 10000 + atoll(iso + 5) * 100 + atoll(iso + 8);
}

cJSON *
feeds_space_posts(jx_req *req, const char *filter, int64_t arg, int64_t limit,
                  int64_t before)
{
	struct feeds_viewer v = feeds_viewer(req);

	/* the posts as the feeds show them (feeds_posts.c) */
	return feeds_post_rows(
	    req, jx_host->db_query(
	             jx_host->req_db(req),
	             jx_host->sprintf(req,
	                              "SELECT %s FROM feeds_posts p JOIN "
	                              "persons a ON a.id = p.author_person_id "
	                              "WHERE %s AND p.id < ? AND "
	                              "" FEEDS_VISIBLE_SQL
	                              " ORDER BY p.id DESC LIMIT ?",
	                              feeds_post_cols, filter),
	             "iii" FEEDS_VISIBLE_TYPES "i", v.person, arg, before,
	             FEEDS_VISIBLE_ARGS(v), limit + 1));
}

/* Counts of the space's posts the reader sees: posts, likes, comments. */
static void
posts_counts(jx_req *req, const char *filter, int64_t arg, cJSON *counts)
{
	struct feeds_viewer v = feeds_viewer(req);
	jx_stmt *st;

	/* live posts only: the author's removed ones are not counted */
	st = jx_host->db_query(
	    jx_host->req_db(req),
	    jx_host->sprintf(req,
	                     "SELECT COUNT(*), COALESCE(SUM(p.nlikes), 0), "
	                     "COALESCE(SUM(p.ncomments), 0) FROM feeds_posts "
	                     "p WHERE %s AND p.status = 'live' AND "
	                     "" FEEDS_VISIBLE_SQL,
	                     filter),
	    "i" FEEDS_VISIBLE_TYPES, arg, FEEDS_VISIBLE_ARGS(v));
	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		cJSON_AddNumberToObject(counts, "posts",
		                        (double)jx_host->db_int(st, 0));
		cJSON_AddNumberToObject(counts, "likes",
		                        (double)jx_host->db_int(st, 1));
		cJSON_AddNumberToObject(counts, "comments",
		                        (double)jx_host->db_int(st, 2));
	}
	jx_host->db_finish(st);
}

/*
 * Counts the visit (one more for the space today) and publishes
 * feeds.space_visited {kind, space_id, day, person_id} in the same
 * transaction. Returns the space's visits in all, or -1.
 */
static int64_t
visit(jx_req *req, const char *kind, int64_t id)
{
	jx_db *db = jx_host->req_db(req);
	const struct jx_identity *i = jx_host->identity(req);
	int64_t day = feeds_local_day(jx_host->now());
	cJSON *ev;
	int rc;

	/* a HEAD (a link checker, a preview) is no visit */
	if (strcmp(jx_host->req_method(req), "HEAD") == 0)
		goto total;
	if (jx_host->db_begin(db) != 0)
		return -1;
	if (jx_host->db_exec(db,
	                     "INSERT INTO feeds_visits(space_kind, space_id, "
	                     "day, visits) VALUES (?, ?, ?, 1) ON CONFLICT "
	                     "(space_kind, space_id, day) DO UPDATE SET "
	                     "visits = visits + 1",
	                     "sii", kind, id, day) < 0) {
		jx_host->db_rollback(db);
		return -1;
	}
	ev = cJSON_CreateObject();
	cJSON_AddStringToObject(ev, "kind", kind);
	cJSON_AddNumberToObject(ev, "space_id", (double)id);
	cJSON_AddNumberToObject(ev, "day", (double)day);
	cJSON_AddNumberToObject(ev, "person_id", i ? (double)i->person_id : 0);
	rc = jx_host->publish(db, "feeds.space_visited", ev);
	cJSON_Delete(ev);
	if (rc != 0) {
		jx_host->db_rollback(db);
		return -1;
	}
	if (jx_host->db_commit(db) != 0)
		return -1;
total:
	return jx_host->db_one(db,
	                       "SELECT COALESCE(SUM(visits), 0) FROM "
	                       "feeds_visits WHERE space_kind = ? AND "
	                       "space_id = ?",
	                       "si", kind, id);
}

/* The space's reply: visits counted, posts paged, sections added, then
 * the page or the JSON. */
static int
space_reply(jx_req *req, const char *kind, int kindno, int64_t id,
            int64_t district, cJSON *d, const char *filter, int64_t limit,
            int64_t before)
{
	cJSON *counts = cJSON_GetObjectItem(d, "counts");
	cJSON *posts;
	int64_t visits = visit(req, kind, id);

	if (visits < 0) {
		cJSON_Delete(d);
		return jxp_storage_error(jx_host, req);
	}
	if (counts == NULL)
		counts = cJSON_AddObjectToObject(d, "counts");
	if (filter != NULL) {
		posts_counts(req, filter, id, counts);
		posts = feeds_space_posts(req, filter, id, limit, before);
		cJSON_AddItemToObject(d, "posts",
		                      jxp_items(posts, limit, "id"));
	}
	cJSON_AddNumberToObject(counts, "visits", (double)visits);
	cJSON_AddNumberToObject(
	    counts, "visits_today",
	    (double)jx_host->db_one(jx_host->req_db(req),
	                            "SELECT visits FROM feeds_visits WHERE "
	                            "space_kind = ? AND space_id = ? AND day "
	                            "= ?",
	                            "sii", kind, id,
	                            feeds_local_day(jx_host->now())));
	cJSON_AddStringToObject(d, "kind", kind);
	cJSON_AddItemToObject(d, "sections",
	                      feeds_spaces_sections(req, kindno, id, district));
	if (jx_host->req_is_api(req))
		return jx_host->reply_json(req, 200, d);
	return jx_host->reply_view(req, 200, "feeds/space", d);
}

static int64_t
page_before(jx_req *req, int64_t *limit)
{
	int64_t before;

	jxp_page(jx_host, req, limit, &before);
	if (jx_host->req_query(req, "limit") == NULL)
		*limit = 20;
	return before > 0 ? before : INT64_MAX;
}

/* The space's title: title_key's text with {name} the owner's name. */
static void
space_title(jx_req *req, cJSON *d, const char *title_key, const cJSON *owner)
{
	cJSON_AddStringToObject(
	    d, "title",
	    jxp_fill(jx_host, req, jx_host->t(req, title_key), "name",
	             cJSON_GetStringValue(cJSON_GetObjectItem(owner, "name"))));
}

/* A new space object with its title and "owner", the first row of sql
 * (one integer bind: id); NULL when there is no such owner. */
static cJSON *
space_start(jx_req *req, const char *title_key, const char *sql, int64_t id,
            cJSON **owner_out)
{
	cJSON *rows = jx_host->db_rows(jx_host->req_db(req), sql, "i", id);
	cJSON *owner = cJSON_DetachItemFromArray(rows, 0), *d;

	cJSON_Delete(rows);
	if (owner == NULL)
		return NULL;
	d = cJSON_CreateObject();
	space_title(req, d, title_key, owner);
	cJSON_AddItemToObject(d, "owner", owner);
	*owner_out = owner;
	return d;
}

int
feeds_space_person(jx_req *req, void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);
	int64_t pid = jx_host->req_param_id(req, "pid"), limit, before;
	jx_db *db = jx_host->req_db(req);
	cJSON *d, *owner;
	int64_t district;

	(void)ud;
	/* a person with a role in the reader's district (the city admin:
	 * any); the district of their first such role is the space's */
	district = jx_host->db_one(
	    db,
	    "SELECT i.district_id FROM identities i JOIN host_accounts a ON "
	    "a.id = i.account_id WHERE a.person_id = ? AND i.status = "
	    "'active' AND (i.district_id = ? OR ? = 1) ORDER BY i.id LIMIT 1",
	    "iii", pid, i->district_id,
	    (int64_t)(strcmp(i->role, "city_admin") == 0));
	if (pid <= 0 || district <= 0)
		return jxp_not_found(jx_host, req);
	before = page_before(req, &limit);
	d = space_start(req, "feeds.space.person",
	                "SELECT p.id, p.name, (SELECT s.name FROM "
	                "identities i JOIN host_accounts a ON a.id = "
	                "i.account_id JOIN schools s ON s.id = "
	                "i.school_id WHERE a.person_id = p.id AND "
	                "i.status = 'active' ORDER BY i.id LIMIT 1) "
	                "AS school_name FROM persons p WHERE p.id = ?",
	                pid, &owner);
	if (d == NULL)
		return jxp_not_found(jx_host, req);
	cJSON_AddBoolToObject(owner, "is_me", pid == i->person_id);
	return space_reply(req, "person", JX_SPACE_PERSON, pid, district, d,
	                   "p.author_person_id = ?", limit, before);
}

/* The class's name ("三年级1班"), school and district; 0 or -1. */
static int
class_row(jx_req *req, int64_t cid, cJSON *owner, int64_t *school,
          int64_t *district)
{
	const struct jx_org_v1 *org = jx_host->service(JX_ORG_SERVICE);
	jx_stmt *st = jx_host->db_query(
	    jx_host->req_db(req),
	    "SELECT c.grade, c.name, c.school_id, s.name, s.district_id, "
	    "c.head_teacher_id FROM classes c JOIN schools s ON s.id = "
	    "c.school_id WHERE c.id = ?",
	    "i", cid);
	int rc = -1;

	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		const char *g =
		    org ? org->grade_label((int)jx_host->db_int(st, 0)) : "";
		cJSON_AddNumberToObject(owner, "id", (double)cid);
		cJSON_AddStringToObject(
		    owner, "name",
		    jx_host->sprintf(req, "%s%s", g ? g : "",
		                     jx_host->db_text(st, 1)));
		*school = jx_host->db_int(st, 2);
		cJSON_AddNumberToObject(owner, "school_id", (double)*school);
		cJSON_AddStringToObject(owner, "school_name",
		                        jx_host->db_text(st, 3));
		*district = jx_host->db_int(st, 4);
		cJSON_AddNumberToObject(owner, "head_teacher_id",
		                        (double)jx_host->db_int(st, 5));
		rc = 0;
	}
	jx_host->db_finish(st);
	return rc;
}

int
feeds_space_class(jx_req *req, void *ud)
{
	int64_t cid = jx_host->req_param_id(req, "cid"), limit, before;
	int64_t school = 0, district = 0, pinned;
	int manage = feeds_class_manager(req, cid);
	jx_db *db = jx_host->req_db(req);
	cJSON *d, *owner, *members, *counts, *pin;
	jx_stmt *st;

	(void)ud;
	if (manage < 0)
		return jxp_not_found(jx_host, req);
	d = cJSON_CreateObject();
	owner = cJSON_AddObjectToObject(d, "owner");
	if (class_row(req, cid, owner, &school, &district) != 0) {
		cJSON_Delete(d);
		return jxp_not_found(jx_host, req);
	}
	space_title(req, d, "feeds.space.class", owner);
	st = jx_host->db_query(db,
	                       "SELECT intro, pinned_post_id FROM "
	                       "feeds_class_spaces WHERE class_id = ?",
	                       "i", cid);
	pinned = 0;
	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		cJSON_AddStringToObject(d, "intro", jx_host->db_text(st, 0));
		pinned = jx_host->db_int(st, 1);
	} else
		cJSON_AddStringToObject(d, "intro", "");
	jx_host->db_finish(st);
	pin = pinned > 0 ? feeds_post_json(req, pinned) : NULL;
	if (pin != NULL)
		cJSON_AddItemToObject(d, "pinned_post", pin);
	else
		cJSON_AddNullToObject(d, "pinned_post");
	cJSON_AddBoolToObject(d, "can_manage", manage == 1);
	cJSON_AddBoolToObject(d, "can_appoint",
	                      jx_host->may(req, JX_MANAGE_CLASS, cid) != 0);
	members = cJSON_AddObjectToObject(d, "members");
	cJSON_AddItemToObject(
	    members, "students",
	    jx_host->db_rows(db,
	                     "SELECT p.id AS person_id, p.name FROM students "
	                     "s JOIN persons p ON p.id = s.person_id WHERE "
	                     "s.class_id = ? AND s.status = 'in_school' "
	                     "ORDER BY p.name, p.id",
	                     "i", cid));
	cJSON_AddItemToObject(
	    members, "teachers",
	    jx_host->db_rows(db,
	                     "SELECT p.id AS person_id, p.name, t.subject, "
	                     "p.id = c.head_teacher_id AS head FROM classes c "
	                     "JOIN teachers t ON t.school_id = c.school_id "
	                     "AND t.status = 'in_school' JOIN persons p ON "
	                     "p.id = t.person_id WHERE c.id = ? AND (t."
	                     "person_id = c.head_teacher_id OR t.person_id IN "
	                     "(SELECT teacher_id FROM teaching WHERE "
	                     "class_id = c.id)) ORDER BY head DESC, p.id",
	                     "i", cid));
	/* parents are not listed to students (minors' privacy) */
	if (!jxp_role(jx_host, req, "student"))
		cJSON_AddItemToObject(
		    members, "parents",
		    jx_host->db_rows(
		        db,
		        "SELECT DISTINCT p.id AS person_id, p.name, "
		        "g.relation, "
		        "sp.name AS student_name FROM students s JOIN "
		        "guardians "
		        "g ON g.student_id = s.person_id JOIN persons p ON "
		        "p.id "
		        "= g.parent_id JOIN persons sp ON sp.id = s.person_id "
		        "WHERE s.class_id = ? AND s.status = 'in_school' ORDER "
		        "BY sp.name, p.id",
		        "i", cid));
	cJSON_AddItemToObject(
	    d, "admins",
	    jx_host->db_rows(db,
	                     "SELECT a.person_id, p.name, a.role FROM "
	                     "feeds_class_admins a JOIN persons p ON p.id = "
	                     "a.person_id WHERE a.class_id = ? ORDER BY "
	                     "a.created_at, a.person_id",
	                     "i", cid));
	counts = cJSON_AddObjectToObject(d, "counts");
	cJSON_AddNumberToObject(
	    counts, "students",
	    cJSON_GetArraySize(cJSON_GetObjectItem(members, "students")));
	cJSON_AddNumberToObject(
	    counts, "teachers",
	    cJSON_GetArraySize(cJSON_GetObjectItem(members, "teachers")));
	before = page_before(req, &limit);
	return space_reply(req, "class", JX_SPACE_CLASS, cid, district, d,
	                   "p.class_id = ?", limit, before);
}

int
feeds_space_school(jx_req *req, void *ud)
{
	int64_t sid = jx_host->req_param_id(req, "sid"), limit, before;
	jx_db *db = jx_host->req_db(req);
	cJSON *d, *owner, *counts;
	int64_t district;

	(void)ud;
	if (!jx_host->may(req, JX_SEE_SCHOOL, sid))
		return jxp_not_found(jx_host, req);
	d = space_start(req, "feeds.space.school",
	                "SELECT id, name, stage, district_id FROM schools "
	                "WHERE id = ?",
	                sid, &owner);
	if (d == NULL)
		return jxp_not_found(jx_host, req);
	district = (int64_t)cJSON_GetNumberValue(
	    cJSON_GetObjectItem(owner, "district_id"));
	counts = cJSON_AddObjectToObject(d, "counts");
	cJSON_AddNumberToObject(
	    counts, "students",
	    (double)jx_host->db_one(db,
	                            "SELECT COUNT(*) FROM students WHERE "
	                            "school_id = ? AND status = 'in_school'",
	                            "i", sid));
	cJSON_AddNumberToObject(
	    counts, "teachers",
	    (double)jx_host->db_one(db,
	                            "SELECT COUNT(*) FROM teachers WHERE "
	                            "school_id = ? AND status = 'in_school'",
	                            "i", sid));
	cJSON_AddNumberToObject(
	    counts, "classes",
	    (double)jx_host->db_one(db,
	                            "SELECT COUNT(*) FROM classes WHERE "
	                            "school_id = ?",
	                            "i", sid));
	cJSON_AddItemToObject(d, "activities",
	                      feeds_activities_published(req, sid, 10));
	before = page_before(req, &limit);
	/* the school's own feed: its public and school posts */
	return space_reply(req, "school", JX_SPACE_SCHOOL, sid, district, d,
	                   "p.school_id = ? AND p.visibility IN ('public', "
	                   "'school')",
	                   limit, before);
}

int
feeds_space_learning(jx_req *req, void *ud)
{
	int64_t pid = jx_host->req_param_id(req, "pid");
	cJSON *d, *owner;
	int64_t district;

	(void)ud;
	/* the student, their parents, the class's teachers, the school's
	 * admins (and the admins above) */
	if (!jx_host->may(req, JX_SEE_STUDENT, pid))
		return jxp_not_found(jx_host, req);
	d = space_start(
	    req, "feeds.space.learning",
	    "SELECT p.id, p.name, s.class_id, c.grade, c.name AS class_name, "
	    "s.school_id, sc.district_id FROM students s JOIN persons p ON "
	    "p.id = s.person_id JOIN schools sc ON sc.id = s.school_id LEFT "
	    "JOIN classes c ON c.id = s.class_id WHERE s.person_id = ?",
	    pid, &owner);
	if (d == NULL)
		return jxp_not_found(jx_host, req);
	district = (int64_t)cJSON_GetNumberValue(
	    cJSON_GetObjectItem(owner, "district_id"));
	return space_reply(req, "learning", JX_SPACE_LEARNING, pid, district, d,
	                   NULL, 0, 0);
}

/* /spaces/me: the acting identity's own space (a student's: the
 * learning space; a parent's: the child's). */
int
feeds_space_me(jx_req *req, void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);

	(void)ud;
	if (strcmp(i->role, "student") == 0 || strcmp(i->role, "parent") == 0)
		return jx_host->reply_redirect(
		    req, jx_host->sprintf(req, "/spaces/learning/%lld",
		                          (long long)i->student_id));
	return jx_host->reply_redirect(
	    req, jx_host->sprintf(req, "/spaces/person/%lld",
	                          (long long)i->person_id));
}
