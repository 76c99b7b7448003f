/*
 * stats_spaces.c — space statistics and search (空间统计/查询, issue 19):
 * visits, posts and records of the person, class and school spaces the
 * viewer may see, over a range of whole days, found by name.
 *
 * GET /api/v1/stats/spaces?kind=person|class|school&q=&from=&to=&limit=
 * and the page /stats/spaces (one handler). Numbers come from
 * stats_space_days (kept by stats_events.c from feeds.space_visited,
 * feeds.post_created and records.created); names from the host's org
 * tables, read only.
 *
 * Scope, as the usage endpoints: a district admin the district's schools,
 * classes and people (people only when searching by name: a district has
 * millions); a school admin the school, its classes, its students, their
 * parents and its teachers; a teacher the classes taught, their students
 * and those students' parents, and the teacher's own space. Everyone
 * else 403. Spaces without activity in the range show with zeros, so a
 * search finds every space the viewer may see.
 *
 * Each scope is a subquery of the candidate ids with exactly two
 * parameters (x, y), so that one statement text per kind and role stays
 * in the statement cache; "? > -1" only consumes a parameter a scope
 * does not need.
 */
#include "stats_pages.h"

#include <stdlib.h>
#include <string.h>

enum spaces_role { SPACES_DISTRICT, SPACES_SCHOOL, SPACES_TEACHER };

/* people of the scope: students, their parents, teachers (x, y thrice) */
static const char *const spaces_people[] = {
    /* district: x district */
    "SELECT st.person_id FROM students st JOIN schools s ON s.id ="
    " st.school_id WHERE st.status = 'in_school' AND s.district_id = ?"
    " AND ? > -1 "
    "UNION SELECT g.parent_id FROM guardians g JOIN students st ON"
    " st.person_id = g.student_id JOIN schools s ON s.id = st.school_id"
    " WHERE st.status = 'in_school' AND s.district_id = ? AND ? > -1 "
    "UNION SELECT t.person_id FROM teachers t JOIN schools s ON s.id ="
    " t.school_id WHERE t.status = 'in_school' AND s.district_id = ?"
    " AND ? > -1",
    /* school: x school */
    "SELECT st.person_id FROM students st WHERE st.status = 'in_school'"
    " AND st.school_id = ? AND ? > -1 "
    "UNION SELECT g.parent_id FROM guardians g JOIN students st ON"
    " st.person_id = g.student_id WHERE st.status = 'in_school' AND"
    " st.school_id = ? AND ? > -1 "
    "UNION SELECT t.person_id FROM teachers t WHERE t.status ="
    " 'in_school' AND t.school_id = ? AND ? > -1",
    /* teacher: x the teacher's person, y the school */
    "SELECT st.person_id FROM students st WHERE st.status = 'in_school'"
    " AND st.class_id IN (SELECT class_id FROM teaching WHERE"
    " teacher_id = ?) AND st.school_id = ? "
    "UNION SELECT g.parent_id FROM guardians g JOIN students st ON"
    " st.person_id = g.student_id WHERE st.status = 'in_school' AND"
    " st.class_id IN (SELECT class_id FROM teaching WHERE teacher_id = ?)"
    " AND st.school_id = ? "
    "UNION SELECT t.person_id FROM teachers t WHERE t.status ="
    " 'in_school' AND t.person_id = ? AND t.school_id = ?",
};

static const char *const spaces_classes[] = {
    "SELECT c.id FROM classes c JOIN schools s ON s.id = c.school_id"
    " WHERE s.district_id = ? AND ? > -1",
    "SELECT c.id FROM classes c WHERE c.school_id = ? AND ? > -1",
    "SELECT t.class_id FROM teaching t JOIN classes c ON c.id ="
    " t.class_id WHERE t.teacher_id = ? AND c.school_id = ?",
};

static const char *const spaces_schools[] = {
    "SELECT s.id FROM schools s WHERE s.district_id = ? AND ? > -1",
    "SELECT s.id FROM schools s WHERE s.id = ? AND ? > -1",
    /* a teacher's statistics are the classes taught */
    "SELECT s.id FROM schools s WHERE s.id = ? AND s.id = ? AND 1 = 0",
};

/* A person's figures are their personal space's and their learning
 * space's (学习空间: a student's growth records count there). */
#define SPACES_PERSON "d.kind IN ('person', 'learning')"

/* The three sums of one space over the range: from, to bound twice. */
#define SPACES_SUMS(kind)                                                      \
	"(SELECT COALESCE(SUM(d.visits), 0) FROM stats_space_days d WHERE"     \
	" " kind " AND d.space_id = x.id AND d.day >= ? AND"                   \
	" d.day <= ?) AS visits, "                                             \
	"(SELECT COALESCE(SUM(d.posts), 0) FROM stats_space_days d WHERE"      \
	" " kind " AND d.space_id = x.id AND d.day >= ? AND"                   \
	" d.day <= ?) AS posts, "                                              \
	"(SELECT COALESCE(SUM(d.records), 0) FROM stats_space_days d WHERE"    \
	" " kind " AND d.space_id = x.id AND d.day >= ? AND"                   \
	" d.day <= ?) AS records "

/* "%q%" for LIKE ... ESCAPE '\', with q's own %, _ and \ escaped. */
static const char *
spaces_like(jx_req *req, const char *q)
{
	size_t n = strlen(q);
	char *out = jx_host->alloc(req, 2 * n + 3), *o = out;

	*o++ = '%';
	for (size_t i = 0; i < n; i++) {
		if (q[i] == '%' || q[i] == '_' || q[i] == '\\')
			*o++ = '\\';
		*o++ = q[i];
	}
	*o++ = '%';
	*o = '\0';
	return out;
}

int
stats_spaces(jx_req *req, void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);
	jx_db *db = jx_host->req_db(req);
	const char *kind = jx_host->req_query(req, "kind");
	const char *q = jx_host->req_query(req, "q");
	const char *lim = jx_host->req_query(req, "limit");
	const char *cand, *sql, *like;
	enum spaces_role role;
	int64_t x, y, from, to, limit = 50;
	cJSON *data, *rows, *items, *totals, *row;
	int more = 0;

	(void)ud;
	if (i == NULL)
		return jxp_forbidden(jx_host, req);
	if (strcmp(i->role, "district_admin") == 0) {
		role = SPACES_DISTRICT;
		x = i->district_id;
		y = 0;
	} else if (strcmp(i->role, "school_admin") == 0) {
		role = SPACES_SCHOOL;
		x = i->school_id;
		y = 0;
	} else if (strcmp(i->role, "teacher") == 0) {
		role = SPACES_TEACHER;
		x = i->person_id;
		y = i->school_id;
	} else {
		return jxp_forbidden(jx_host, req);
	}
	if (kind == NULL || *kind == '\0')
		kind = role == SPACES_DISTRICT ? "school" : "class";
	if (strcmp(kind, "person") != 0 && strcmp(kind, "class") != 0 &&
	    strcmp(kind, "school") != 0) {
		jx_host->problem_error(req, 0, "kind",
		                       jx_host->t(req, "stats.error.kind"));
		return jxp_invalid(jx_host, req, "kind");
	}
	if (q == NULL)
		q = "";
	if (jxp_chars(q) > 50) {
		jx_host->problem_error(req, 0, "q",
		                       jx_host->t(req, "stats.error.q"));
		return jxp_invalid(jx_host, req, "q");
	}
	if (lim != NULL && *lim != '\0') {
		char *end;

		limit = strtoll(lim, &end, 10);
		if (*end != '\0' || limit < 1 || limit > 500) {
			jx_host->problem_error(
			    req, 0, "limit",
			    jx_host->t(req, "stats.error.limit"));
			return jxp_invalid(jx_host, req, "limit");
		}
	}
	if (stats_view_range(req, &from, &to) != 0)
		return jx_host->req_status(req);
	like = spaces_like(req, q);

	data = cJSON_CreateObject();
	cJSON_AddStringToObject(data, "kind", kind);
	cJSON_AddStringToObject(data, "q", q);
	cJSON_AddStringToObject(data, "from", stats_view_day(req, from));
	cJSON_AddStringToObject(data, "to", stats_view_day(req, to));
	cJSON_AddStringToObject(data, "role", i->role);

	/* a district's people are found by name, never listed whole */
	if (strcmp(kind, "person") == 0 && role == SPACES_DISTRICT &&
	    *q == '\0') {
		cJSON_AddBoolToObject(data, "need_q", 1);
		cJSON_AddItemToObject(data, "items", cJSON_CreateArray());
		goto reply;
	}

	if (strcmp(kind, "person") == 0) {
		cand = spaces_people[role];
		sql = jx_host->sprintf(
		    req,
		    "SELECT x.id AS id, x.name AS name, "
		    "(SELECT c.name FROM students st JOIN classes c ON c.id ="
		    " st.class_id WHERE st.person_id = x.id) AS class_name, "
		    "(SELECT COUNT(*) FROM students st WHERE st.person_id ="
		    " x.id) AS student, "
		    "(SELECT COUNT(*) FROM teachers t WHERE t.person_id = x.id"
		    " AND t.status = 'in_school') AS teacher, " SPACES_SUMS(
		        SPACES_PERSON) "FROM persons x WHERE x.id IN (%s) AND"
		                       " x.name LIKE ? ESCAPE '\\' "
		                       "ORDER BY visits DESC, posts DESC, "
		                       "records "
		                       "DESC,"
		                       " x.id LIMIT ?",
		    cand);
		rows = jx_host->db_rows(db, sql, "iiiiiiiiiiiisi", from, to,
		                        from, to, from, to, x, y, x, y, x, y,
		                        like, limit + 1);
	} else if (strcmp(kind, "class") == 0) {
		cand = spaces_classes[role];
		sql = jx_host->sprintf(
		    req,
		    "SELECT x.id AS id, x.name AS name, s.name AS school_name,"
		    " " SPACES_SUMS(
		        "d.kind = 'class'") "FROM classes x JOIN schools s ON "
		                            "s.id ="
		                            " x.school_id WHERE x.id IN (%s) "
		                            "AND x.name"
		                            " LIKE ? ESCAPE '\\' "
		                            "ORDER BY visits DESC, posts DESC, "
		                            "records "
		                            "DESC,"
		                            " x.grade, x.name, x.id LIMIT ?",
		    cand);
		rows = jx_host->db_rows(db, sql, "iiiiiiiisi", from, to, from,
		                        to, from, to, x, y, like, limit + 1);
	} else {
		cand = spaces_schools[role];
		sql = jx_host->sprintf(
		    req,
		    "SELECT x.id AS id, x.name AS name, " SPACES_SUMS(
		        "d.kind = 'school'") "FROM schools x WHERE x.id IN "
		                             "(%s) AND"
		                             " x.name LIKE ? ESCAPE '\\' "
		                             "ORDER BY visits DESC, posts "
		                             "DESC, records "
		                             "DESC,"
		                             " x.name, x.id LIMIT ?",
		    cand);
		rows = jx_host->db_rows(db, sql, "iiiiiiiisi", from, to, from,
		                        to, from, to, x, y, like, limit + 1);
	}
	if (rows == NULL)
		goto fail;
	items = cJSON_CreateArray();
	cJSON_ArrayForEach(row, rows)
	{
		cJSON *it;
		const char *detail = "", *who = NULL;
		int64_t id = (int64_t)cJSON_GetNumberValue(
		    cJSON_GetObjectItemCaseSensitive(row, "id"));

		if (cJSON_GetArraySize(items) == limit) {
			more = 1;
			break;
		}
		it = cJSON_CreateObject();
		cJSON_AddStringToObject(it, "kind", kind);
		cJSON_AddNumberToObject(it, "id", (double)id);
		cJSON_AddStringToObject(
		    it, "name",
		    cJSON_GetStringValue(
		        cJSON_GetObjectItemCaseSensitive(row, "name")));
		if (strcmp(kind, "person") == 0) {
			const char *cn = cJSON_GetStringValue(
			    cJSON_GetObjectItemCaseSensitive(row,
			                                     "class_name"));

			if (cJSON_GetNumberValue(
			        cJSON_GetObjectItemCaseSensitive(
			            row, "student")) > 0) {
				who = "student";
				detail = cn ? cn : "";
			} else if (cJSON_GetNumberValue(
			               cJSON_GetObjectItemCaseSensitive(
			                   row, "teacher")) > 0) {
				who = "teacher";
			} else {
				who = "parent";
			}
			cJSON_AddStringToObject(it, "person_role", who);
		} else if (strcmp(kind, "class") == 0) {
			const char *sn = cJSON_GetStringValue(
			    cJSON_GetObjectItemCaseSensitive(row,
			                                     "school_name"));

			detail = sn ? sn : "";
		}
		cJSON_AddStringToObject(it, "detail", detail);
		cJSON_AddNumberToObject(
		    it, "visits",
		    cJSON_GetNumberValue(
		        cJSON_GetObjectItemCaseSensitive(row, "visits")));
		cJSON_AddNumberToObject(
		    it, "posts",
		    cJSON_GetNumberValue(
		        cJSON_GetObjectItemCaseSensitive(row, "posts")));
		cJSON_AddNumberToObject(
		    it, "records",
		    cJSON_GetNumberValue(
		        cJSON_GetObjectItemCaseSensitive(row, "records")));
		cJSON_AddStringToObject(it, "href",
		                        jx_host->sprintf(req, "/spaces/%s/%lld",
		                                         kind, (long long)id));
		cJSON_AddItemToArray(items, it);
	}
	cJSON_Delete(rows);
	cJSON_AddItemToObject(data, "items", items);

	/* the scope's totals, whatever the name filter */
	totals = jx_host->db_rows(
	    db,
	    jx_host->sprintf(
	        req,
	        "SELECT COALESCE(SUM(d.visits), 0) AS visits,"
	        " COALESCE(SUM(d.posts), 0) AS posts,"
	        " COALESCE(SUM(d.records), 0) AS records"
	        " FROM stats_space_days d WHERE (d.kind = ? OR (d.kind ="
	        " 'learning' AND ? = 'person')) AND d.day >= ?"
	        " AND d.day <= ? AND d.space_id IN (%s)",
	        strcmp(kind, "person") == 0  ? spaces_people[role]
	        : strcmp(kind, "class") == 0 ? spaces_classes[role]
	                                     : spaces_schools[role]),
	    strcmp(kind, "person") == 0 ? "ssiiiiiiii" : "ssiiii", kind, kind,
	    from, to, x, y, x, y, x, y);
	if (totals == NULL)
		goto fail;
	cJSON_AddItemToObject(data, "totals",
	                      cJSON_DetachItemFromArray(totals, 0));
	cJSON_Delete(totals);
reply:
	cJSON_AddBoolToObject(data, "more", more);
	if (!jx_host->req_is_api(req)) {
		cJSON_AddStringToObject(data, "back", "/stats");
		cJSON_AddStringToObject(data, "title",
		                        jx_host->t(req, "stats.spaces.title"));
	}
	return jx_host->reply_view(req, 200, "stats/spaces", data);
fail:
	cJSON_Delete(data);
	return jxp_storage_error(jx_host, req);
}
