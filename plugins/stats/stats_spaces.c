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

#include <jx/org.h>

#include <stdlib.h>
#include <string.h>

enum spaces_role { SPACES_DISTRICT, SPACES_SCHOOL, SPACES_TEACHER };

/* A teacher's classes at school y: taught or headed, as the usage
 * endpoints see them (x the teacher's person; CAST so that PostgreSQL
 * knows the parameters' type). */
#define SPACES_TAUGHT                                                          \
	"SELECT c.id FROM classes c JOIN (SELECT CAST(? AS BIGINT) AS p,"      \
	" CAST(? AS BIGINT) AS s) k ON c.school_id = k.s WHERE"                \
	" c.head_teacher_id = k.p OR c.id IN (SELECT tt.class_id FROM"         \
	" teaching tt WHERE tt.teacher_id = k.p)"

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
    " AND st.class_id IN (" SPACES_TAUGHT ") "
    "UNION SELECT g.parent_id FROM guardians g JOIN students st ON"
    " st.person_id = g.student_id WHERE st.status = 'in_school' AND"
    " st.class_id IN (" SPACES_TAUGHT ") "
    "UNION SELECT t.person_id FROM teachers t WHERE t.status ="
    " 'in_school' AND t.person_id = ? AND t.school_id = ?",
};

static const char *const spaces_classes[] = {
    "SELECT c.id FROM classes c JOIN schools s ON s.id = c.school_id"
    " WHERE s.district_id = ? AND ? > -1",
    "SELECT c.id FROM classes c WHERE c.school_id = ? AND ? > -1",
    SPACES_TAUGHT,
};

static const char *const spaces_schools[] = {
    "SELECT s.id FROM schools s WHERE s.district_id = ? AND ? > -1",
    "SELECT s.id FROM schools s WHERE s.id = ? AND ? > -1",
    /* a teacher's statistics are the classes taught */
    "SELECT s.id FROM schools s WHERE s.id = ? AND s.id = ? AND 1 = 0",
};

/* The three sums of one space x.id over the range (from, to bound
 * three times); kinds is the condition on d.kind. A person's figures
 * are their personal space's and their learning space's (学习空间: a
 * student's growth records count there). */
static const char *
spaces_sums(jx_req *req, const char *kinds)
{
	static const char *const cols[] = {"visits", "posts", "records"};
	const char *out = "";

	for (int k = 0; k < 3; k++)
		out = jx_host->sprintf(
		    req,
		    "%s(SELECT COALESCE(SUM(d.%s), 0) FROM stats_space_days d"
		    " WHERE %s AND d.space_id = x.id AND d.day >= ? AND"
		    " d.day <= ?) AS %s%s",
		    out, cols[k], kinds, cols[k], k < 2 ? ", " : " ");
	return out;
}

/* A class as the school calls it: 一年级1班. */
static const char *
spaces_class_name(jx_req *req, int grade, const char *name)
{
	const struct jx_org_v1 *org = jx_host->service(JX_ORG_SERVICE);

	if (name == NULL)
		return "";
	if (org == NULL || grade <= 0)
		return name;
	return jx_host->sprintf(req, "%s%s", org->grade_label(grade), name);
}

static int64_t
spaces_num(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

static const char *
spaces_str(const cJSON *o, const char *name)
{
	const char *s =
	    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));

	return s ? s : "";
}

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
	const char *sql, *like;
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

	/* people and schools are filtered by name in SQL; classes by the
	 * name the school uses (一年级1班), which is grade and name, here */
	if (strcmp(kind, "person") == 0) {
		sql = jx_host->sprintf(
		    req,
		    "SELECT x.id AS id, x.name AS name, (SELECT c.grade FROM"
		    " students st JOIN classes c ON c.id = st.class_id WHERE"
		    " st.person_id = x.id) AS grade, (SELECT c.name FROM"
		    " students st JOIN classes c ON c.id = st.class_id WHERE"
		    " st.person_id = x.id) AS class_name, (SELECT COUNT(*) FROM"
		    " students st WHERE st.person_id = x.id) AS student,"
		    " (SELECT COUNT(*) FROM teachers t WHERE t.person_id = x.id"
		    " AND t.status = 'in_school') AS teacher, %s"
		    "FROM persons x WHERE x.id IN (%s) AND x.name LIKE ? ESCAPE"
		    " '\\' ORDER BY visits DESC, posts DESC, records DESC, x.id"
		    " LIMIT ?",
		    spaces_sums(req, "d.kind IN ('person', 'learning')"),
		    spaces_people[role]);
		rows = jx_host->db_rows(db, sql, "iiiiiiiiiiiisi", from, to,
		                        from, to, from, to, x, y, x, y, x, y,
		                        like, limit + 1);
	} else if (strcmp(kind, "class") == 0) {
		sql = jx_host->sprintf(
		    req,
		    "SELECT x.id AS id, x.grade AS grade, x.name AS name, "
		    "s.name"
		    " AS school_name, %sFROM classes x JOIN schools s ON s.id ="
		    " x.school_id WHERE x.id IN (%s) ORDER BY visits DESC,"
		    " posts DESC, records DESC, s.name, x.grade, x.name, x.id",
		    spaces_sums(req, "d.kind = 'class'"), spaces_classes[role]);
		rows = jx_host->db_rows(db, sql, "iiiiiiii", from, to, from, to,
		                        from, to, x, y);
	} else {
		sql = jx_host->sprintf(
		    req,
		    "SELECT x.id AS id, x.name AS name, %sFROM schools x WHERE"
		    " x.id IN (%s) AND x.name LIKE ? ESCAPE '\\' ORDER BY"
		    " visits DESC, posts DESC, records DESC, x.name, x.id"
		    " LIMIT ?",
		    spaces_sums(req, "d.kind = 'school'"),
		    spaces_schools[role]);
		rows = jx_host->db_rows(db, sql, "iiiiiiiisi", from, to, from,
		                        to, from, to, x, y, like, limit + 1);
	}
	if (rows == NULL)
		goto fail;
	items = cJSON_CreateArray();
	cJSON_ArrayForEach(row, rows)
	{
		cJSON *it;
		const char *name = spaces_str(row, "name"), *detail = "";
		int64_t id = spaces_num(row, "id");

		if (strcmp(kind, "class") == 0) {
			name = spaces_class_name(
			    req, (int)spaces_num(row, "grade"), name);
			if (*q != '\0' && strstr(name, q) == NULL)
				continue;
			detail = spaces_str(row, "school_name");
		}
		if (cJSON_GetArraySize(items) == limit) {
			more = 1;
			break;
		}
		it = cJSON_CreateObject();
		cJSON_AddStringToObject(it, "kind", kind);
		cJSON_AddNumberToObject(it, "id", (double)id);
		cJSON_AddStringToObject(it, "name", name);
		if (strcmp(kind, "person") == 0) {
			const char *who = "parent";

			if (spaces_num(row, "student") > 0) {
				who = "student";
				detail = spaces_class_name(
				    req, (int)spaces_num(row, "grade"),
				    cJSON_GetStringValue(
				        cJSON_GetObjectItemCaseSensitive(
				            row, "class_name")));
			} else if (spaces_num(row, "teacher") > 0) {
				who = "teacher";
			}
			cJSON_AddStringToObject(it, "person_role", who);
		}
		cJSON_AddStringToObject(it, "detail", detail);
		cJSON_AddNumberToObject(it, "visits",
		                        (double)spaces_num(row, "visits"));
		cJSON_AddNumberToObject(it, "posts",
		                        (double)spaces_num(row, "posts"));
		cJSON_AddNumberToObject(it, "records",
		                        (double)spaces_num(row, "records"));
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
