/*
 * access.c — who may see and manage what (API.md, conventions): the city
 * administrator everything; a district administrator their district; a
 * school administrator their school; a teacher the classes they teach
 * (a head teacher also manages their class); a student themself; a
 * parent identity its one child; a practice base's admin (base_admin) no
 * district, school, class or student at all. Plugins ask host->may(); nothing
 * else decides scope. Also the per-district module switches
 * (districts[code].modules), asked by the dispatcher, the menus and the
 * organisation code alike: it calls nothing but the database.
 */
#include "host.h"

#include <string.h>

int
access_district_has(const char *code, const char *name)
{
	const cJSON *d, *mods, *e;

	if (code == NULL)
		return 1;
	d = cJSON_GetObjectItemCaseSensitive(config_get(&app.cfg, "districts"),
	                                     code);
	mods = cJSON_GetObjectItemCaseSensitive(d, "modules");
	if (!cJSON_IsArray(mods))
		return 1;
	cJSON_ArrayForEach(e, mods)
	{
		if (cJSON_IsString(e) && strcmp(e->valuestring, name) == 0)
			return 1;
	}
	return 0;
}

static int
access_role(const struct jx_identity *i, const char *role)
{
	return strcmp(i->role, role) == 0;
}

static int
access_has(const int64_t *ids, int n, int64_t id)
{
	for (int k = 0; k < n; k++)
		if (ids[k] == id)
			return 1;
	return 0;
}

/* One integer from a query with one integer parameter, or 0. */
static int64_t
access_lookup(jx_db *db, const char *sql, int64_t id)
{
	jx_stmt *st = db_query(db, sql, "i", id);
	int64_t v = 0;

	if (st != NULL && db_step(st) == JX_DB_ROW)
		v = db_int(st, 0);
	db_finish(st);
	return v;
}

static int
access_manage_school(jx_db *db, const struct jx_identity *i, int64_t school)
{
	if (school <= 0)
		return 0;
	if (access_role(i, "city_admin"))
		return access_lookup(db, "SELECT id FROM schools WHERE id = ?",
		                     school) != 0;
	if (access_role(i, "district_admin"))
		return access_lookup(db,
		                     "SELECT district_id FROM schools WHERE id "
		                     "= ?",
		                     school) == i->district_id;
	return access_role(i, "school_admin") && i->school_id == school;
}

int
access_may(jx_db *db, const struct jx_identity *i, enum jx_scope scope,
           int64_t target)
{
	int64_t school, klass;

	if (i == NULL || target <= 0)
		return 0;
	switch (scope) {
	case JX_SEE_DISTRICT:
		/* A practice base's admin belongs to a district but sees
		 * nothing of it beyond its bases (the practice plugin's own
		 * table): not its schools, rules or statistics (issue 18). */
		return access_role(i, "city_admin") ||
		       (i->district_id == target &&
		        !access_role(i, "base_admin"));
	case JX_SEE_SCHOOL:
		return access_manage_school(db, i, target) ||
		       (i->school_id == target &&
		        !access_role(i, "district_admin"));
	case JX_MANAGE_SCHOOL: return access_manage_school(db, i, target);
	case JX_SEE_CLASS:
	case JX_MANAGE_CLASS:
		school = access_lookup(
		    db, "SELECT school_id FROM classes WHERE id = ?", target);
		if (access_manage_school(db, i, school))
			return 1;
		if (access_role(i, "teacher") && i->school_id == school)
			return access_has(i->head_of_class_ids,
			                  i->nhead_of_class_ids, target) ||
			       (scope == JX_SEE_CLASS &&
			        access_has(i->class_ids, i->nclass_ids,
			                   target));
		return scope == JX_SEE_CLASS &&
		       (access_role(i, "parent") ||
		        access_role(i, "student")) &&
		       i->class_id == target;
	case JX_SEE_STUDENT:
	case JX_MANAGE_STUDENT:
		school = access_lookup(
		    db, "SELECT school_id FROM students WHERE person_id = ?",
		    target);
		if (access_manage_school(db, i, school))
			return 1;
		klass = access_lookup(
		    db,
		    "SELECT class_id FROM students WHERE person_id = ? AND "
		    "status = 'in_school'",
		    target);
		if (access_role(i, "teacher") && i->school_id == school)
			return klass > 0 &&
			       (access_has(i->head_of_class_ids,
			                   i->nhead_of_class_ids, klass) ||
			        (scope == JX_SEE_STUDENT &&
			         access_has(i->class_ids, i->nclass_ids,
			                    klass)));
		return scope == JX_SEE_STUDENT &&
		       (access_role(i, "parent") ||
		        access_role(i, "student")) &&
		       i->student_id == target;
	}
	return 0;
}
