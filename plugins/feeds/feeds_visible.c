/*
 * feeds_visible.c — the one place that decides which posts the acting
 * identity sees (API.md, "Feeds and spaces"; issue 15):
 *
 *   public  = everyone logged in within the author's district;
 *   school  = the author's school: its students, parents acting for a
 *             child of it, its teachers and its administrators;
 *   class   = class_id's students, their parents (the acting identity's
 *             child in it) and its teachers (teaching it or heading it);
 *   private = the author only.
 *
 * A school administrator sees every non-private post of the school,
 * never a private one. Only live posts are seen, except that the author
 * sees their own removed posts (with the reason). Deleted posts are
 * seen by nobody.
 *
 * The decision is SQL (FEEDS_VISIBLE_SQL, binds from feeds_viewer), so
 * that lists filter with the schema's indexes instead of filtering rows
 * in C; the school and class feeds use their own fixed queries on
 * feeds_posts_school and feeds_posts_class after checking that the
 * reader belongs there (feeds_school_reader, feeds_class_reader).
 */
#include "feeds.h"

#include <stdio.h>
#include <string.h>

static int
feeds_role_is(const struct jx_identity *i, const char *role)
{
	return i != NULL && i->role != NULL && strcmp(i->role, role) == 0;
}

struct feeds_viewer
feeds_viewer(jx_req *req)
{
	const struct jx_identity *i = jx_host->identity(req);
	struct feeds_viewer v;

	memset(&v, 0, sizeof(v));
	if (i == NULL)
		return v;
	v.person = i->person_id;
	v.district = i->district_id;
	/* a district admin has no school of its own: it sees public posts
	 * of its district only */
	if (!feeds_role_is(i, "district_admin") &&
	    !feeds_role_is(i, "city_admin") && !feeds_role_is(i, "base_admin"))
		v.school = i->school_id;
	if (feeds_role_is(i, "school_admin"))
		v.admin_school = i->school_id;
	if (feeds_role_is(i, "student") || feeds_role_is(i, "parent"))
		v.class_id = i->class_id;
	if (feeds_role_is(i, "teacher"))
		v.teacher = i->person_id;
	return v;
}

int
feeds_post_visible(jx_req *req, int64_t post_id)
{
	struct feeds_viewer v = feeds_viewer(req);
	int64_t n;

	if (v.person <= 0 || post_id <= 0)
		return 0;
	n = jx_host->db_one(jx_host->req_db(req),
	                    "SELECT 1 FROM feeds_posts p WHERE p.id = ? AND "
	                    "" FEEDS_VISIBLE_SQL,
	                    "i" FEEDS_VISIBLE_TYPES, post_id,
	                    FEEDS_VISIBLE_ARGS(v));
	return n == 1;
}

int
feeds_school_reader(jx_req *req, int64_t school_id)
{
	struct feeds_viewer v = feeds_viewer(req);

	return school_id > 0 && v.school == school_id;
}

int
feeds_class_reader(jx_req *req, int64_t class_id)
{
	const struct jx_identity *i = jx_host->identity(req);
	struct feeds_viewer v = feeds_viewer(req);

	if (i == NULL || class_id <= 0)
		return 0;
	if (v.class_id == class_id)
		return 1; /* a student of it, a parent of a child in it */
	if (feeds_role_is(i, "teacher")) {
		for (int k = 0; k < i->nclass_ids; k++)
			if (i->class_ids[k] == class_id)
				return 1;
		for (int k = 0; k < i->nhead_of_class_ids; k++)
			if (i->head_of_class_ids[k] == class_id)
				return 1;
		return 0;
	}
	if (v.admin_school > 0)
		return jx_host->db_one(jx_host->req_db(req),
		                       "SELECT school_id FROM classes WHERE "
		                       "id = ?",
		                       "i", class_id) == v.admin_school;
	return 0;
}

/* The plugin's one file_visible: "post:<id>" by the post's visibility,
 * "activity:<id>" by the activity's (feeds_activity_visible). */
int
feeds_file_visible(jx_req *req, const char *ref, void *ud)
{
	long long id = 0;
	int used = 0;

	(void)ud;
	if (ref == NULL)
		return 0;
	if (sscanf(ref, "post:%lld%n", &id, &used) == 1 && ref[used] == '\0' &&
	    id > 0)
		return feeds_post_visible(req, (int64_t)id);
	used = 0;
	if (sscanf(ref, "activity:%lld%n", &id, &used) == 1 &&
	    ref[used] == '\0' && id > 0)
		return feeds_activity_visible(req, (int64_t)id);
	return 0;
}
