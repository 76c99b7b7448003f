/*
 * stats_api.c — the endpoints of API.md's "Statistics": usage rows by
 * class, teacher or student of a school and by school of a district,
 * their xlsx, weekly series for the charts, the class's families never
 * reached, the on-demand refresh. Definitions: docs/stats.md.
 *
 * Who sees what: a school admin (and the district's admins) the whole
 * school; a teacher of the school only the classes taught or headed
 * (by=class rows, by=student of those classes, by=teacher their own
 * row); a district admin the district. Anyone else: 404.
 *
 * A school's by=class rows (and its total) over one day or one ISO
 * week read the class and school day and week rows (O(classes) rows:
 * the dashboard's default); other rows and ranges read the
 * person-level tables (stats_person_weeks, stats_person_days) of the
 * rows' people now, so any range of whole days is exact; the state
 * numbers are computed live for the school (stats_state.c). A
 * district's rows read the per-school day and week counts and the
 * stored state (refreshed nightly and on demand): a range of one day
 * or one ISO week reads O(schools) rows; any other range counts
 * `logins` by scanning the person weeks of the district's people (the
 * costly case, docs/stats.md). Rows are looked up by id in a hash
 * table (struct accmap), so a reply is linear in its rows.
 */
#include "jxjson.h"
#include "stats.h"
#include "stats_pages.h"

#include <jx/keyinfo.h>
#include <jx/org.h>
#include <jxplug_xlsx.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPAN_MAX 366 /* days in one range */

/* ---- ranges ----------------------------------------------------------- */

struct range {
	int64_t from, to;     /* days, inclusive */
	int64_t fw, lw;       /* their weeks */
	int64_t mf, ml;       /* day masks of the first and last week */
	int one_day, aligned; /* one day; one ISO week (to today at most) */
};

/* from/to of the query (defaults: this week's Monday, today). 0, or the
 * 422 replied naming the field. */
static int
range_of(jx_req *req, struct range *r, int default_weeks)
{
	const char *f = jx_host->req_query(req, "from");
	const char *t = jx_host->req_query(req, "to");
	int64_t today = stats_day_of(jx_host->now());

	memset(r, 0, sizeof(*r));
	r->to = t != NULL && *t ? stats_parse_day(t) : today;
	r->from = f != NULL && *f ? stats_parse_day(f)
	                          : stats_day_add(stats_week_of(today),
	                                          -7 * (default_weeks - 1));
	if (r->from == 0)
		jx_host->problem_error(
		    req, 0, "from",
		    "a date YYYY-MM-DD / 日期，格式 YYYY-MM-DD");
	if (r->to == 0)
		jx_host->problem_error(
		    req, 0, "to", "a date YYYY-MM-DD / 日期，格式 YYYY-MM-DD");
	if (r->from != 0 && r->to != 0 && r->to < r->from)
		jx_host->problem_error(req, 0, "to",
		                       "not before from / 不能早于开始日期");
	else if (r->from != 0 && r->to != 0 &&
	         stats_day_span(r->from, r->to) > SPAN_MAX)
		jx_host->problem_error(req, 0, "from",
		                       "at most 366 days / 最多 366 天");
	if (jx_host->problem_count(req) > 0)
		return jxp_invalid(jx_host, req,
		                   "from/to: a range of whole days");
	r->fw = stats_week_of(r->from);
	r->lw = stats_week_of(r->to);
	r->mf = (127 << stats_weekday(r->from)) & 127;
	r->ml = (2 << stats_weekday(r->to)) - 1;
	if (r->fw == r->lw)
		r->mf = r->ml = r->mf & r->ml;
	r->one_day = r->from == r->to;
	/* a whole ISO week, or its start up to today (later days hold
	 * nothing yet) */
	r->aligned = r->fw == r->lw && r->from == r->fw &&
	             (r->to == stats_day_add(r->fw, 6) || r->to >= today);
	return 0;
}

static void
add_day(cJSON *o, const char *name, int64_t day)
{
	char s[64];

	snprintf(s, sizeof(s), "%04lld-%02lld-%02lld", (long long)(day / 10000),
	         (long long)(day / 100 % 100), (long long)(day % 100));
	cJSON_AddStringToObject(o, name, s);
}

/* ---- activity of groups of people ------------------------------------ */

/*
 * For a CTE "g(gid, person_id)" binding id k times (k 1, 2 or 4): per
 * gid, logins (distinct persons with a login day in r), login_days
 * (their days), uploads, records, files (of r's days), into acc keyed
 * by gid. 0 or -1.
 */
#define POPCOUNT7(x)                                                           \
	"((" x ") & 1) + ((" x ") >> 1 & 1) + ((" x ") >> 2 & 1) + ((" x       \
	") >> 3 & 1) + ((" x ") >> 4 & 1) + ((" x ") >> 5 & 1) + ((" x         \
	") >> 6 & 1)"

/* A number member of o; 0 when o or the member is missing. */
static int64_t
num_of(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

/*
 * The activity of groups by gid: an open-addressing hash table (a
 * district's 1,000 schools are looked up in O(1) each, not by a linear
 * search of a cJSON object's members).
 */
enum { A_LOGINS, A_LOGIN_DAYS, A_UPLOADS, A_RECORDS, A_FILES, A_N };

struct acc {
	int64_t gid;
	int used;
	int64_t v[A_N];
};

struct accmap {
	struct acc *a;
	size_t cap, n; /* cap a power of two */
	int oom;
};

static size_t
acc_hash(int64_t gid, size_t cap)
{
	uint64_t h = (uint64_t)gid * UINT64_C(0x9E3779B97F4A7C15);

	return (size_t)(h >> 32) & (cap - 1);
}

static struct acc *
acc_find(const struct accmap *m, int64_t gid)
{
	if (m == NULL || m->cap == 0)
		return NULL;
	for (size_t k = acc_hash(gid, m->cap);; k = (k + 1) & (m->cap - 1)) {
		if (!m->a[k].used)
			return NULL;
		if (m->a[k].gid == gid)
			return &m->a[k];
	}
}

/* The row of gid, made (zeros) when missing; NULL when out of memory. */
static struct acc *
acc_row(struct accmap *m, int64_t gid)
{
	struct acc *o = acc_find(m, gid);
	size_t k;

	if (o != NULL)
		return o;
	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct acc *a = calloc(cap, sizeof(*a));

		if (a == NULL) {
			m->oom = 1;
			return NULL;
		}
		for (size_t j = 0; j < m->cap; j++) {
			if (!m->a[j].used)
				continue;
			for (k = acc_hash(m->a[j].gid, cap); a[k].used;
			     k = (k + 1) & (cap - 1))
				;
			a[k] = m->a[j];
		}
		free(m->a);
		m->a = a;
		m->cap = cap;
	}
	for (k = acc_hash(gid, m->cap); m->a[k].used;
	     k = (k + 1) & (m->cap - 1))
		;
	m->a[k].used = 1;
	m->a[k].gid = gid;
	m->n++;
	return &m->a[k];
}

static void
acc_set(struct accmap *m, int64_t gid, int f, int64_t v)
{
	struct acc *o = acc_row(m, gid);

	if (o != NULL)
		o->v[f] = v;
}

static int64_t
acc_get(const struct accmap *m, int64_t gid, int f)
{
	const struct acc *o = acc_find(m, gid);

	return o != NULL ? o->v[f] : 0;
}

static void
acc_free(struct accmap *m)
{
	free(m->a);
	memset(m, 0, sizeof(*m));
}

static jx_stmt *
query_k(jx_db *db, const char *sql, int k, int64_t id, const int64_t *b, int nb)
{
	char types[16];
	int64_t a[12];
	int n = 0;

	for (int j = 0; j < k; j++)
		a[n++] = id;
	for (int j = 0; j < nb; j++)
		a[n++] = b[j];
	memset(types, 'i', (size_t)n);
	types[n] = '\0';
	switch (n) {
	case 3: return jx_host->db_query(db, sql, types, a[0], a[1], a[2]);
	case 4:
		return jx_host->db_query(db, sql, types, a[0], a[1], a[2],
		                         a[3]);
	case 6:
		return jx_host->db_query(db, sql, types, a[0], a[1], a[2], a[3],
		                         a[4], a[5]);
	case 7:
		return jx_host->db_query(db, sql, types, a[0], a[1], a[2], a[3],
		                         a[4], a[5], a[6]);
	case 8:
		return jx_host->db_query(db, sql, types, a[0], a[1], a[2], a[3],
		                         a[4], a[5], a[6], a[7]);
	case 10:
		return jx_host->db_query(db, sql, types, a[0], a[1], a[2], a[3],
		                         a[4], a[5], a[6], a[7], a[8], a[9]);
	default: return NULL;
	}
}

static int
activity(jx_req *req, const char *cte, int k, int64_t id, const struct range *r,
         struct accmap *acc)
{
	jx_db *db = jx_host->req_db(req);
	const int64_t wb[6] = {r->fw, r->mf, r->lw, r->ml, r->fw, r->lw};
	const int64_t db2[2] = {r->from, r->to};
	jx_stmt *st;

	st = query_k(
	    db,
	    jx_host->sprintf(
	        req,
	        "WITH g(gid, person_id) AS (%s), pw AS (SELECT g.gid AS gid, "
	        "g.person_id AS person_id, (w.activity & CASE WHEN w.week = ? "
	        "THEN ? WHEN w.week = ? THEN ? ELSE 127 END) AS m FROM g JOIN "
	        "stats_person_weeks w ON w.person_id = g.person_id AND w.week "
	        "BETWEEN ? AND ?) SELECT gid, COUNT(DISTINCT CASE WHEN m <> 0 "
	        "THEN person_id END), SUM(" POPCOUNT7("m") ") FROM pw GROUP "
	                                                   "BY gid",
	        cte),
	    k, id, wb, 6);
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		int64_t gid = jx_host->db_int(st, 0);

		acc_set(acc, gid, A_LOGINS, jx_host->db_int(st, 1));
		acc_set(acc, gid, A_LOGIN_DAYS, jx_host->db_int(st, 2));
	}
	jx_host->db_finish(st);
	if (st == NULL)
		return -1;
	st = query_k(db,
	             jx_host->sprintf(
	                 req,
	                 "WITH g(gid, person_id) AS (%s) SELECT g.gid, "
	                 "SUM(d.uploads), SUM(d.records), SUM(d.files) FROM g "
	                 "JOIN stats_person_days d ON d.person_id = "
	                 "g.person_id AND d.day BETWEEN ? AND ? GROUP BY g.gid",
	                 cte),
	             k, id, db2, 2);
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		int64_t gid = jx_host->db_int(st, 0);

		acc_set(acc, gid, A_UPLOADS, jx_host->db_int(st, 1));
		acc_set(acc, gid, A_RECORDS, jx_host->db_int(st, 2));
		acc_set(acc, gid, A_FILES, jx_host->db_int(st, 3));
	}
	jx_host->db_finish(st);
	return st == NULL || acc->oom ? -1 : 0;
}

/*
 * One day or one ISO week (r->one_day || r->aligned) of a school's
 * classes (kind "class": gid the class) or of the school itself (kind
 * "school": gid 0) from the rows kept at the event: the day rows summed
 * (login_days, uploads, records, files; logins of one day) and the week
 * row (logins of the week). O(classes × days) rows instead of the
 * person weeks of the school's people; the attribution is the event's
 * (docs/stats.md). 0 or -1.
 */
static int
stored_activity(jx_req *req, const char *kind, int64_t sid,
                const struct range *r, struct accmap *acc)
{
	jx_db *db = jx_host->req_db(req);
	int cls = strcmp(kind, "class") == 0;
	jx_stmt *st;

	st = jx_host->db_query(
	    db,
	    cls ? "SELECT class_id, SUM(logins), SUM(uploads), SUM(records), "
	          "SUM(files) FROM stats_class_days WHERE school_id = ? AND "
	          "day BETWEEN ? AND ? GROUP BY class_id"
	        : "SELECT 0, SUM(logins), SUM(uploads), SUM(records), "
	          "SUM(files) FROM stats_school_days WHERE school_id = ? AND "
	          "day BETWEEN ? AND ?",
	    "iii", sid, r->from, r->to);
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		int64_t gid = jx_host->db_int(st, 0);

		if (r->one_day)
			acc_set(acc, gid, A_LOGINS, jx_host->db_int(st, 1));
		acc_set(acc, gid, A_LOGIN_DAYS, jx_host->db_int(st, 1));
		acc_set(acc, gid, A_UPLOADS, jx_host->db_int(st, 2));
		acc_set(acc, gid, A_RECORDS, jx_host->db_int(st, 3));
		acc_set(acc, gid, A_FILES, jx_host->db_int(st, 4));
	}
	jx_host->db_finish(st);
	if (st == NULL)
		return -1;
	if (!r->one_day) {
		st = jx_host->db_query(
		    db,
		    cls ? "SELECT class_id, logins FROM stats_class_weeks "
		          "WHERE school_id = ? AND week = ?"
		        : "SELECT 0, logins FROM stats_school_weeks WHERE "
		          "school_id = ? AND week = ?",
		    "ii", sid, r->fw);
		while (st != NULL && jx_host->db_step(st) == JX_DB_ROW)
			acc_set(acc, jx_host->db_int(st, 0), A_LOGINS,
			        jx_host->db_int(st, 1));
		jx_host->db_finish(st);
		if (st == NULL)
			return -1;
	}
	return acc->oom ? -1 : 0;
}

/* The groups' CTEs: (gid, person_id). */
#define CTE_CLASSES                                                            \
	"SELECT s.class_id, s.person_id FROM students s WHERE s.school_id = "  \
	"? AND s.status = 'in_school' AND s.class_id IS NOT NULL UNION "       \
	"SELECT s.class_id, g.parent_id FROM guardians g JOIN students s ON "  \
	"s.person_id = g.student_id WHERE s.school_id = ? AND s.status = "     \
	"'in_school' AND s.class_id IS NOT NULL"
#define CTE_TEACHERS                                                           \
	"SELECT t.person_id, t.person_id FROM teachers t WHERE t.school_id = " \
	"? AND t.status = 'in_school'"
#define CTE_STUDENTS                                                           \
	"SELECT s.person_id, s.person_id FROM students s WHERE s.class_id = "  \
	"? AND s.status = 'in_school' UNION SELECT s.person_id, g.parent_id "  \
	"FROM guardians g JOIN students s ON s.person_id = g.student_id "      \
	"WHERE s.class_id = ? AND s.status = 'in_school'"
#define CTE_SCHOOL "SELECT 0, p.person_id FROM (" STATS_SCHOOL_PEOPLE_SQL ") p"
#define CTE_DISTRICT_SCHOOLS                                                   \
	"SELECT s.school_id, s.person_id FROM students s JOIN schools sc ON "  \
	"sc.id = s.school_id WHERE sc.district_id = ? AND s.status = "         \
	"'in_school' UNION SELECT s.school_id, g.parent_id FROM guardians g "  \
	"JOIN students s ON s.person_id = g.student_id JOIN schools sc ON "    \
	"sc.id = s.school_id WHERE sc.district_id = ? AND s.status = "         \
	"'in_school' UNION SELECT t.school_id, t.person_id FROM teachers t "   \
	"JOIN schools sc ON sc.id = t.school_id WHERE sc.district_id = ? AND " \
	"t.status = 'in_school' UNION SELECT i.school_id, a.person_id FROM "   \
	"identities i JOIN host_accounts a ON a.id = i.account_id JOIN "       \
	"schools sc ON sc.id = i.school_id WHERE sc.district_id = ? AND "      \
	"i.role = 'school_admin' AND i.status = 'active'"

/* ---- scope ------------------------------------------------------------ */

/* Who may read school sid's statistics: 2 the whole school (its admins,
 * the district's), 1 a teacher of it (their classes), or the 404
 * replied as a negative number. */
static int
school_scope(jx_req *req, int64_t sid)
{
	const struct jx_identity *i = jx_host->identity(req);

	if (i == NULL || sid <= 0)
		return -jxp_not_found(jx_host, req);
	if (strcmp(i->role, "teacher") != 0 &&
	    jx_host->may(req, JX_MANAGE_SCHOOL, sid))
		return 2;
	if (strcmp(i->role, "teacher") == 0 && i->school_id == sid)
		return 1;
	return -jxp_not_found(jx_host, req);
}

static int
teaches(const struct jx_identity *i, int64_t klass)
{
	for (int k = 0; k < i->nclass_ids; k++)
		if (i->class_ids[k] == klass)
			return 1;
	for (int k = 0; k < i->nhead_of_class_ids; k++)
		if (i->head_of_class_ids[k] == klass)
			return 1;
	return 0;
}

static int
district_scope(jx_req *req, int64_t did)
{
	const struct jx_identity *i = jx_host->identity(req);

	if (i == NULL || did <= 0 ||
	    (strcmp(i->role, "district_admin") != 0 &&
	     strcmp(i->role, "city_admin") != 0) ||
	    !jx_host->may(req, JX_SEE_DISTRICT, did))
		return -jxp_not_found(jx_host, req);
	return 0;
}

/* ---- rows ------------------------------------------------------------- */

static const char *
class_name(jx_req *req, int grade, const char *name)
{
	const struct jx_org_v1 *org = jx_host->service(JX_ORG_SERVICE);

	if (org == NULL || grade <= 0)
		return name;
	return jx_host->sprintf(req, "%s%s", org->grade_label(grade), name);
}

static const cJSON *
by_id(const cJSON *o, int64_t id)
{
	char key[24];

	snprintf(key, sizeof(key), "%lld", (long long)id);
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

static const char *
school_name(jx_req *req, int64_t sid)
{
	jx_stmt *st = jx_host->db_query(jx_host->req_db(req),
	                                "SELECT name FROM schools WHERE id = ?",
	                                "i", sid);
	const char *n = "";

	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW)
		n = jx_host->strdup(req, jx_host->db_text(st, 0));
	jx_host->db_finish(st);
	return n;
}

/* One usage row: id, name, the state numbers of state (may be NULL:
 * zeros), the activity of acc[gid]. */
static cJSON *
usage_row(int64_t id, const char *name, const cJSON *state,
          const struct accmap *acc, int64_t gid)
{
	static const char *const sf[] = {"accounts", "activated",
	                                 "wechat_followed", "keyinfo_complete",
	                                 NULL};
	static const char *const extra[] = {"students", "parents", "teachers",
	                                    "unreached", NULL};
	static const char *const af[] = {"logins",  "login_days", "uploads",
	                                 "records", "files",      NULL};
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "id", (double)id);
	cJSON_AddStringToObject(o, "name", name ? name : "");
	for (int k = 0; sf[k] != NULL; k++)
		cJSON_AddNumberToObject(o, sf[k], (double)num_of(state, sf[k]));
	for (int k = 0; af[k] != NULL; k++)
		cJSON_AddNumberToObject(o, af[k], (double)acc_get(acc, gid, k));
	for (int k = 0; extra[k] != NULL; k++)
		if (cJSON_GetObjectItemCaseSensitive(state, extra[k]) != NULL)
			cJSON_AddNumberToObject(
			    o, extra[k], (double)num_of(state, extra[k]));
	return o;
}

/* The reply object shared by the usage endpoints. */
static cJSON *
usage_reply(const char *by, const struct range *r)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "by", by);
	add_day(o, "from", r->from);
	add_day(o, "to", r->to);
	return o;
}

/* by=class: the school's classes (a teacher's only), and the school's
 * total for its admins. */
static int
rows_by_class(jx_req *req, int64_t sid, int scope, const struct range *r,
              cJSON *out)
{
	const struct jx_identity *i = jx_host->identity(req);
	jx_db *db = jx_host->req_db(req);
	cJSON *state = NULL, *sstate = NULL;
	struct accmap acc_m = {0}, *acc = &acc_m;
	cJSON *items = cJSON_AddArrayToObject(out, "items");
	jx_stmt *st;
	int rc = -1;

	if (stats_state_compute(db, sid, &state, &sstate) != 0 ||
	    (r->one_day || r->aligned
	         ? stored_activity(req, "class", sid, r, acc)
	         : activity(req, CTE_CLASSES, 2, sid, r, acc)) != 0)
		goto done;
	st = jx_host->db_query(db,
	                       "SELECT id, grade, name FROM classes WHERE "
	                       "school_id = ? ORDER BY grade, name, id",
	                       "i", sid);
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		int64_t c = jx_host->db_int(st, 0);
		cJSON *row;

		if (scope == 1 && !teaches(i, c))
			continue;
		row = usage_row(c,
		                class_name(req, (int)jx_host->db_int(st, 1),
		                           jx_host->db_text(st, 2)),
		                by_id(state, c), acc, c);
		cJSON_AddNumberToObject(row, "grade",
		                        (double)jx_host->db_int(st, 1));
		cJSON_AddItemToArray(items, row);
	}
	jx_host->db_finish(st);
	if (st == NULL)
		goto done;
	if (scope == 2) {
		struct accmap tacc = {0};

		if ((r->one_day || r->aligned
		         ? stored_activity(req, "school", sid, r, &tacc)
		         : activity(req, CTE_SCHOOL, 4, sid, r, &tacc)) != 0) {
			acc_free(&tacc);
			goto done;
		}
		cJSON_AddItemToObject(
		    out, "total",
		    usage_row(sid, jx_host->strdup(req, school_name(req, sid)),
		              sstate, &tacc, 0));
		acc_free(&tacc);
	}
	rc = 0;
done:
	cJSON_Delete(state);
	cJSON_Delete(sstate);
	acc_free(acc);
	return rc;
}

/* by=teacher: the school's teachers in school (a teacher: their own
 * row). keyinfo_complete: of the classes the teacher heads. */
static int
rows_by_teacher(jx_req *req, int64_t sid, int scope, const struct range *r,
                cJSON *out)
{
	const struct jx_identity *i = jx_host->identity(req);
	jx_db *db = jx_host->req_db(req);
	cJSON *state = NULL, *sstate = NULL;
	struct accmap acc_m = {0}, *acc = &acc_m;
	cJSON *items = cJSON_AddArrayToObject(out, "items");
	jx_stmt *st;
	int rc = -1;

	if (stats_state_compute(db, sid, &state, &sstate) != 0 ||
	    activity(req, CTE_TEACHERS, 1, sid, r, acc) != 0)
		goto done;
	st = jx_host->db_query(
	    db,
	    "SELECT t.person_id, COALESCE(t.display_name, p.name), (SELECT "
	    "COUNT(*) FROM host_accounts a WHERE a.person_id = t.person_id), "
	    "(SELECT COUNT(*) FROM host_accounts a WHERE a.person_id = "
	    "t.person_id AND a.password_set = 1), COALESCE((SELECT ps.wechat "
	    "FROM stats_person_state ps WHERE ps.person_id = t.person_id), 0) "
	    "FROM teachers t JOIN persons p ON p.id = t.person_id WHERE "
	    "t.school_id = ? AND t.status = 'in_school' ORDER BY p.name, "
	    "t.person_id",
	    "i", sid);
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		int64_t t = jx_host->db_int(st, 0), ki = 0;
		cJSON *s = cJSON_CreateObject(), *heads;
		const cJSON *h;

		if (scope == 1 && t != i->person_id) {
			cJSON_Delete(s);
			continue;
		}
		heads =
		    jx_host->db_rows(db,
		                     "SELECT id FROM classes WHERE "
		                     "school_id = ? AND head_teacher_id = ?",
		                     "ii", sid, t);
		cJSON_ArrayForEach(h, heads)
		{
			ki += num_of(
			    by_id(state, (int64_t)cJSON_GetNumberValue(
			                     cJSON_GetObjectItem(h, "id"))),
			    "keyinfo_complete");
		}
		cJSON_Delete(heads);
		cJSON_AddNumberToObject(s, "accounts",
		                        (double)jx_host->db_int(st, 2));
		cJSON_AddNumberToObject(s, "activated",
		                        (double)jx_host->db_int(st, 3));
		cJSON_AddNumberToObject(s, "wechat_followed",
		                        jx_host->db_int(st, 4) > 0 ? 1 : 0);
		cJSON_AddNumberToObject(s, "keyinfo_complete", (double)ki);
		cJSON_AddItemToArray(
		    items, usage_row(t, jx_host->db_text(st, 1), s, acc, t));
		cJSON_Delete(s);
	}
	jx_host->db_finish(st);
	rc = st == NULL ? -1 : 0;
done:
	cJSON_Delete(state);
	cJSON_Delete(sstate);
	acc_free(acc);
	return rc;
}

/* by=student of class klass: the student and their parents. */
static int
rows_by_student(jx_req *req, int64_t klass, const struct range *r, cJSON *out)
{
	const struct jx_keyinfo_v1 *ki = jx_host->service(JX_KEYINFO_SERVICE);
	jx_db *db = jx_host->req_db(req);
	struct accmap acc_m = {0}, *acc = &acc_m;
	cJSON *kst = NULL, *state;
	cJSON *items = cJSON_AddArrayToObject(out, "items");
	jx_stmt *st;
	int rc = -1;

	if (ki != NULL && ki->class_status(db, klass, &kst) != 0)
		kst = NULL;
	if (activity(req, CTE_STUDENTS, 2, klass, r, acc) != 0)
		goto done;
	state = cJSON_CreateObject();
	st = jx_host->db_query(
	    db,
	    "WITH g(gid, person_id, parent) AS (SELECT s.person_id, "
	    "s.person_id, 0 FROM students s WHERE s.class_id = ? AND s.status "
	    "= 'in_school' UNION SELECT s.person_id, g.parent_id, 1 FROM "
	    "guardians g JOIN students s ON s.person_id = g.student_id WHERE "
	    "s.class_id = ? AND s.status = 'in_school') SELECT g.gid, "
	    "COUNT(a.id), COALESCE(SUM(a.password_set), 0), SUM(CASE WHEN "
	    "g.parent = 1 AND ps.wechat > 0 THEN 1 ELSE 0 END), SUM(g.parent), "
	    "SUM(CASE WHEN g.parent = 1 AND (a.password_set = 1 OR ps.wechat > "
	    "0) THEN 1 ELSE 0 END) FROM g LEFT JOIN host_accounts a ON "
	    "a.person_id = g.person_id LEFT JOIN stats_person_state ps ON "
	    "ps.person_id = g.person_id GROUP BY g.gid",
	    "ii", klass, klass);
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		char key[24];
		cJSON *o;

		snprintf(key, sizeof(key), "%lld",
		         (long long)jx_host->db_int(st, 0));
		o = cJSON_AddObjectToObject(state, key);
		cJSON_AddNumberToObject(o, "accounts",
		                        (double)jx_host->db_int(st, 1));
		cJSON_AddNumberToObject(o, "activated",
		                        (double)jx_host->db_int(st, 2));
		cJSON_AddNumberToObject(o, "wechat_followed",
		                        (double)jx_host->db_int(st, 3));
		cJSON_AddNumberToObject(o, "parents",
		                        (double)jx_host->db_int(st, 4));
		cJSON_AddNumberToObject(o, "unreached",
		                        jx_host->db_int(st, 5) == 0 ? 1 : 0);
	}
	jx_host->db_finish(st);
	if (st == NULL) {
		cJSON_Delete(state);
		goto done;
	}
	st =
	    jx_host->db_query(db,
	                      "SELECT s.person_id, p.name FROM students s JOIN "
	                      "persons p ON p.id = s.person_id WHERE "
	                      "s.class_id = ? AND s.status = 'in_school' "
	                      "ORDER BY p.name, s.person_id",
	                      "i", klass);
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		int64_t sp = jx_host->db_int(st, 0);
		cJSON *o = cJSON_Duplicate(by_id(state, sp), 1), *row;
		const cJSON *k = by_id(kst, sp);

		if (o == NULL)
			o = cJSON_CreateObject();
		cJSON_AddNumberToObject(
		    o, "keyinfo_complete",
		    cJSON_IsString(k) &&
		        strcmp(k->valuestring, "complete") == 0);
		row = usage_row(sp, jx_host->db_text(st, 1), o, acc, sp);
		cJSON_Delete(o);
		cJSON_AddItemToArray(items, row);
	}
	jx_host->db_finish(st);
	cJSON_Delete(state);
	rc = st == NULL ? -1 : 0;
done:
	cJSON_Delete(kst);
	acc_free(acc);
	return rc;
}

/* The school's usage as JSON (the API and the xlsx), or NULL after a
 * reply (*status). */
static cJSON *
school_usage(jx_req *req, int *status)
{
	const struct jx_identity *i = jx_host->identity(req);
	int64_t sid = jx_host->req_param_id(req, "sid"), klass = 0;
	const char *by = jx_host->req_query(req, "by");
	const char *cq = jx_host->req_query(req, "class_id");
	struct range r;
	cJSON *out;
	int scope = school_scope(req, sid), rc;

	*status = 0;
	if (scope < 0) {
		*status = -scope;
		return NULL;
	}
	if (by == NULL || *by == '\0')
		by = "class";
	if (strcmp(by, "class") != 0 && strcmp(by, "teacher") != 0 &&
	    strcmp(by, "student") != 0) {
		jx_host->problem_error(req, 0, "by",
		                       "class, teacher or student");
		*status =
		    jxp_invalid(jx_host, req, "by: class|teacher|student");
		return NULL;
	}
	if (strcmp(by, "student") == 0) {
		klass = cq != NULL ? atoll(cq) : 0;
		if (klass <= 0) {
			jx_host->problem_error(req, 0, "class_id",
			                       "required with by=student / "
			                       "按学生统计时必填");
			*status = jxp_invalid(
			    jx_host, req, "class_id: required with by=student");
			return NULL;
		}
		if (jxp_one(jx_host, jx_host->req_db(req),
		            "SELECT COUNT(*) FROM classes WHERE id = ? AND "
		            "school_id = ?",
		            "ii", klass, sid) != 1 ||
		    (scope == 1 && !teaches(i, klass))) {
			*status = jxp_not_found(jx_host, req);
			return NULL;
		}
	}
	if ((rc = range_of(req, &r, 1)) != 0) {
		*status = rc;
		return NULL;
	}
	stats_daily(req);
	out = usage_reply(by, &r);
	cJSON_AddNumberToObject(out, "school_id", (double)sid);
	if (klass > 0)
		cJSON_AddNumberToObject(out, "class_id", (double)klass);
	rc = strcmp(by, "class") == 0 ? rows_by_class(req, sid, scope, &r, out)
	     : strcmp(by, "teacher") == 0
	         ? rows_by_teacher(req, sid, scope, &r, out)
	         : rows_by_student(req, klass, &r, out);
	if (rc != 0) {
		cJSON_Delete(out);
		*status = jxp_storage_error(jx_host, req);
		return NULL;
	}
	return out;
}

int
stats_school_usage(jx_req *req, void *ud)
{
	int status;
	cJSON *out = school_usage(req, &status);

	(void)ud;
	return out != NULL ? jx_host->reply_json(req, 200, out) : status;
}

/* ---- the district ----------------------------------------------------- */

/* The district's reply as JSON text: the same members in the same
 * order as the tree below, written in one pass (no tree of ~17,000
 * nodes to build, print and free). */
static void
text_row(struct jxp_json *j, struct jxp_timecache *tc, jx_stmt *st,
         const struct accmap *acc, const struct accmap *kmap, int first)
{
	static const char *const sf[] = {
	    ",\"accounts\":", ",\"activated\":", ",\"wechat_followed\":",
	    ",\"keyinfo_complete\":"};
	static const char *const af[] = {
	    ",\"logins\":", ",\"login_days\":", ",\"uploads\":",
	    ",\"records\":", ",\"files\":"};
	static const char *const xf[] = {",\"students\":", ",\"parents\":",
	                                 ",\"teachers\":", ",\"unreached\":"};
	int64_t sid = jx_host->db_int(st, 0), t = jx_host->db_int(st, 10);
	const struct acc *a = acc_find(acc, sid);
	const struct acc *k = acc_find(kmap, sid);
	const char *name = jx_host->db_text(st, 1);

	jxp_json_raw(j, first ? "{\"id\":" : ",{\"id\":", first ? 6 : 7);
	jxp_json_int(j, sid);
	jxp_json_lit(j, ",\"name\":");
	jxp_json_str(j, name ? name : "");
	for (int f = 0; f < 4; f++) {
		jxp_json_raw(j, sf[f], strlen(sf[f]));
		jxp_json_int(j, f == 3 && k != NULL
		                    ? k->v[0]
		                    : jx_host->db_int(st, 2 + f));
	}
	for (int f = 0; f < A_N; f++) {
		jxp_json_raw(j, af[f], strlen(af[f]));
		jxp_json_int(j, a != NULL ? a->v[f] : 0);
	}
	for (int f = 0; f < 4; f++) {
		jxp_json_raw(j, xf[f], strlen(xf[f]));
		jxp_json_int(j, jx_host->db_int(st, 6 + f));
	}
	jxp_json_lit(j, ",\"state_as_of\":");
	if (t > 0) {
		char at[40];

		jxp_format_time(jx_host, tc, t, at, sizeof(at));
		jxp_json_str(j, at);
	} else
		jxp_json_lit(j, "null");
	jxp_json_lit(j, "}");
}

/* The district's usage as a tree (the xlsx, the pages), or, with text,
 * written into text (the JSON endpoint; returns NULL, *status 0). NULL
 * after a reply (*status). */
static cJSON *
district_usage(jx_req *req, int *status, struct jxp_json *text)
{
	const struct jx_keyinfo_v1 *ki = jx_host->service(JX_KEYINFO_SERVICE);
	int64_t did = jx_host->req_param_id(req, "did");
	const char *by = jx_host->req_query(req, "by");
	jx_db *db = jx_host->req_db(req);
	cJSON *out, *items, *kc = NULL;
	struct accmap acc_m = {0}, *acc = &acc_m, kmap = {0};
	const cJSON *e;
	struct range r;
	jx_stmt *st;
	int rc;

	*status = 0;
	if ((rc = district_scope(req, did)) != 0) {
		*status = -rc;
		return NULL;
	}
	if (by != NULL && *by != '\0' && strcmp(by, "school") != 0) {
		jx_host->problem_error(req, 0, "by", "school");
		*status = jxp_invalid(jx_host, req, "by: school");
		return NULL;
	}
	if ((rc = range_of(req, &r, 1)) != 0) {
		*status = rc;
		return NULL;
	}
	stats_daily(req);
	/* login days and uploads add up over days */
	st =
	    jx_host->db_query(db,
	                      "SELECT school_id, SUM(logins), SUM(uploads), "
	                      "SUM(records), SUM(files) FROM stats_school_days "
	                      "WHERE district_id = ? AND day BETWEEN ? AND ? "
	                      "GROUP BY school_id",
	                      "iii", did, r.from, r.to);
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		int64_t gid = jx_host->db_int(st, 0);

		if (r.one_day)
			acc_set(acc, gid, A_LOGINS, jx_host->db_int(st, 1));
		acc_set(acc, gid, A_LOGIN_DAYS, jx_host->db_int(st, 1));
		acc_set(acc, gid, A_UPLOADS, jx_host->db_int(st, 2));
		acc_set(acc, gid, A_RECORDS, jx_host->db_int(st, 3));
		acc_set(acc, gid, A_FILES, jx_host->db_int(st, 4));
	}
	jx_host->db_finish(st);
	if (st == NULL)
		goto fail;
	/* distinct persons: one day (above), one ISO week (its row), or the
	 * scan of the district's person weeks (costly) */
	if (!r.one_day && r.aligned) {
		st = jx_host->db_query(
		    db,
		    "SELECT school_id, logins FROM "
		    "stats_school_weeks WHERE district_id = ? "
		    "AND week = ?",
		    "ii", did, r.fw);
		while (st != NULL && jx_host->db_step(st) == JX_DB_ROW)
			acc_set(acc, jx_host->db_int(st, 0), A_LOGINS,
			        jx_host->db_int(st, 1));
		jx_host->db_finish(st);
		if (st == NULL)
			goto fail;
	} else if (!r.one_day) {
		struct accmap scan = {0};

		if (activity(req, CTE_DISTRICT_SCHOOLS, 4, did, &r, &scan) !=
		    0) {
			acc_free(&scan);
			goto fail;
		}
		for (size_t j = 0; j < scan.cap; j++)
			if (scan.a[j].used)
				acc_set(acc, scan.a[j].gid, A_LOGINS,
				        scan.a[j].v[A_LOGINS]);
		acc_free(&scan);
	}
	if (ki != NULL &&
	    ki->size > offsetof(struct jx_keyinfo_v1, complete_counts) &&
	    ki->complete_counts(db, 0, did, &kc) != 0)
		kc = NULL;
	/* keyinfo's counts by school id, looked up in O(1) a row */
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(kc, "schools"))
	{
		if (e->string != NULL && cJSON_IsNumber(e))
			acc_set(&kmap, strtoll(e->string, NULL, 10), 0,
			        (int64_t)e->valuedouble);
	}
	cJSON_Delete(kc);
	kc = NULL;
	if (acc->oom || kmap.oom)
		goto fail;
	st = jx_host->db_query(
	    db,
	    "SELECT sc.id, sc.name, COALESCE(s.accounts, 0), "
	    "COALESCE(s.activated, 0), COALESCE(s.wechat_followed, 0), "
	    "COALESCE(s.keyinfo_complete, 0), COALESCE(s.students, 0), "
	    "COALESCE(s.parents, 0), COALESCE(s.teachers, 0), "
	    "COALESCE(s.unreached, 0), COALESCE(s.computed_at, 0) FROM "
	    "schools sc LEFT JOIN stats_school_state s ON s.school_id = sc.id "
	    "WHERE sc.district_id = ? ORDER BY sc.code, sc.id",
	    "i", did);
	if (text != NULL) {
		struct jxp_timecache tc;
		char day[64];
		int first = 1;

		memset(&tc, 0, sizeof(tc));
		jxp_json_lit(text, "{\"by\":\"school\",\"from\":\"");
		snprintf(day, sizeof(day), "%04lld-%02lld-%02lld",
		         (long long)(r.from / 10000),
		         (long long)(r.from / 100 % 100),
		         (long long)(r.from % 100));
		jxp_json_raw(text, day, strlen(day));
		jxp_json_lit(text, "\",\"to\":\"");
		snprintf(day, sizeof(day), "%04lld-%02lld-%02lld",
		         (long long)(r.to / 10000),
		         (long long)(r.to / 100 % 100),
		         (long long)(r.to % 100));
		jxp_json_raw(text, day, strlen(day));
		jxp_json_lit(text, "\",\"district_id\":");
		jxp_json_int(text, did);
		jxp_json_lit(text, ",\"items\":[");
		while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
			text_row(text, &tc, st, acc, &kmap, first);
			first = 0;
		}
		jxp_json_lit(text, "]}");
		jx_host->db_finish(st);
		acc_free(acc);
		acc_free(&kmap);
		*status = st == NULL || text->failed
		              ? jxp_storage_error(jx_host, req)
		              : 0;
		return NULL;
	}
	out = usage_reply("school", &r);
	cJSON_AddNumberToObject(out, "district_id", (double)did);
	items = cJSON_AddArrayToObject(out, "items");
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		static const char *const f[] = {
		    "accounts",         "activated", "wechat_followed",
		    "keyinfo_complete", "students",  "parents",
		    "teachers",         "unreached"};
		int64_t sid = jx_host->db_int(st, 0);
		cJSON *s = cJSON_CreateObject(), *row;
		const struct acc *k = acc_find(&kmap, sid);

		for (int j = 0; j < 8; j++)
			cJSON_AddNumberToObject(
			    s, f[j], (double)jx_host->db_int(st, 2 + j));
		if (k != NULL)
			cJSON_SetNumberValue(
			    cJSON_GetObjectItem(s, "keyinfo_complete"),
			    (double)k->v[0]);
		row = usage_row(sid, jx_host->db_text(st, 1), s, acc, sid);
		if (jx_host->db_int(st, 10) > 0)
			cJSON_AddItemToObject(
			    row, "state_as_of",
			    jxp_time(jx_host, jx_host->db_int(st, 10)));
		else
			cJSON_AddNullToObject(row, "state_as_of");
		cJSON_Delete(s);
		cJSON_AddItemToArray(items, row);
	}
	jx_host->db_finish(st);
	acc_free(acc);
	acc_free(&kmap);
	if (st == NULL) {
		cJSON_Delete(out);
		*status = jxp_storage_error(jx_host, req);
		return NULL;
	}
	return out;
fail:
	acc_free(acc);
	acc_free(&kmap);
	*status = jxp_storage_error(jx_host, req);
	return NULL;
}

int
stats_district_usage(jx_req *req, void *ud)
{
	struct jxp_json text = {0};
	int status, rc;

	(void)ud;
	district_usage(req, &status, &text);
	if (status != 0) {
		jxp_json_free(&text);
		return status;
	}
	rc = jx_host->reply_raw(req, 200, "application/json; charset=utf-8",
	                        text.p, text.len, NULL);
	jxp_json_free(&text);
	return rc;
}

/* ---- xlsx --------------------------------------------------------------- */

static int
usage_xlsx(jx_req *req, cJSON *out, const char *sheet, const char *file_zh,
           const char *file_ascii)
{
	static const char *const heads[] = {
	    "名称",       "账号数", "已激活",   "登录人数", "登录人天",
	    "关注公众号", "上传数", "成长记录", "附件",     "关键信息完整"};
	static const char *const keys[] = {
	    "name",       "accounts",        "activated", "logins",
	    "login_days", "wechat_followed", "uploads",   "records",
	    "files",      "keyinfo_complete"};
	char path[4096];
	lxw_workbook *wb = jxp_workbook(jx_host, req, path, sizeof(path), 0);
	lxw_worksheet *ws;
	lxw_format *head;
	const cJSON *row;
	lxw_row_t n = 1;

	if (wb == NULL) {
		cJSON_Delete(out);
		return jxp_storage_error(jx_host, req);
	}
	ws = workbook_add_worksheet(wb, sheet);
	head = workbook_add_format(wb);
	format_set_bold(head);
	worksheet_set_column(ws, 0, 0, 24, NULL);
	worksheet_set_column(ws, 1, 9, 12, NULL);
	for (int k = 0; k < 10; k++)
		worksheet_write_string(ws, 0, (lxw_col_t)k, heads[k], head);
	cJSON_ArrayForEach(row, cJSON_GetObjectItem(out, "items"))
	{
		worksheet_write_string(
		    ws, n, 0,
		    cJSON_GetStringValue(cJSON_GetObjectItem(row, "name")),
		    NULL);
		for (int k = 1; k < 10; k++)
			worksheet_write_number(
			    ws, n, (lxw_col_t)k,
			    cJSON_GetNumberValue(
			        cJSON_GetObjectItem(row, keys[k])),
			    NULL);
		n++;
	}
	cJSON_Delete(out);
	return jxp_workbook_send(jx_host, req, wb, path, file_zh, file_ascii);
}

int
stats_school_usage_xlsx(jx_req *req, void *ud)
{
	int status;
	cJSON *out = school_usage(req, &status);

	(void)ud;
	return out != NULL ? usage_xlsx(req, out, "使用统计", "使用统计.xlsx",
	                                "usage.xlsx")
	                   : status;
}

int
stats_district_usage_xlsx(jx_req *req, void *ud)
{
	int status;
	cJSON *out = district_usage(req, &status, NULL);

	(void)ud;
	return out != NULL
	           ? usage_xlsx(req, out, "各校使用统计", "各校使用统计.xlsx",
	                        "district-usage.xlsx")
	           : status;
}

/* ---- weekly series ------------------------------------------------------ */

static const char *const week_cols[] = {
    "login_days",   "uploads",     "records", "files",     "posts",
    "notice_reads", "activations", "follows", "unfollows", NULL};

/* Weeks fw..lw of one class (kind "class"), school or district: logins
 * from the week rows (distinct persons that week; a district's: the sum
 * of its schools'), the rest summed from the day rows. */
static cJSON *
weekly(jx_req *req, const char *kind, int64_t id, const struct range *r)
{
	jx_db *db = jx_host->req_db(req);
	const char *wt, *dt, *col;
	cJSON *weeks = cJSON_CreateArray(), *o;
	jx_stmt *st;
	int nweeks = stats_day_span(r->fw, r->lw) / 7 + 1;

	if (strcmp(kind, "class") == 0)
		wt = "stats_class_weeks", dt = "stats_class_days",
		col = "class_id";
	else if (strcmp(kind, "school") == 0)
		wt = "stats_school_weeks", dt = "stats_school_days",
		col = "school_id";
	else
		wt = "stats_school_weeks", dt = "stats_school_days",
		col = "district_id";
	for (int k = 0; k < nweeks; k++) {
		o = cJSON_CreateObject();
		add_day(o, "week", stats_day_add(r->fw, 7 * k));
		cJSON_AddNumberToObject(o, "logins", 0);
		for (int j = 0; week_cols[j] != NULL; j++)
			cJSON_AddNumberToObject(o, week_cols[j], 0);
		cJSON_AddItemToArray(weeks, o);
	}
	st = jx_host->db_query(
	    db,
	    jx_host->sprintf(req,
	                     "SELECT week, SUM(logins) FROM %s WHERE %s = ? "
	                     "AND week BETWEEN ? AND ? GROUP BY week",
	                     wt, col),
	    "iii", id, r->fw, r->lw);
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		int k = stats_day_span(r->fw, jx_host->db_int(st, 0)) / 7;

		if (k >= 0 && k < nweeks)
			cJSON_SetNumberValue(
			    cJSON_GetObjectItem(cJSON_GetArrayItem(weeks, k),
			                        "logins"),
			    (double)jx_host->db_int(st, 1));
	}
	jx_host->db_finish(st);
	if (st == NULL)
		goto fail;
	st = jx_host->db_query(
	    db,
	    jx_host->sprintf(req,
	                     "SELECT day, SUM(logins), SUM(uploads), "
	                     "SUM(records), SUM(files), SUM(posts), "
	                     "SUM(notice_reads), SUM(activations), "
	                     "SUM(follows), SUM(unfollows) FROM %s WHERE %s = "
	                     "? AND day BETWEEN ? AND ? GROUP BY day",
	                     dt, col),
	    "iii", id, r->fw, stats_day_add(r->lw, 6));
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		int k = stats_day_span(r->fw, jx_host->db_int(st, 0)) / 7;

		if (k < 0 || k >= nweeks)
			continue;
		o = cJSON_GetArrayItem(weeks, k);
		for (int j = 0; week_cols[j] != NULL; j++) {
			cJSON *v = cJSON_GetObjectItem(o, week_cols[j]);

			cJSON_SetNumberValue(
			    v, v->valuedouble +
			           (double)jx_host->db_int(st, j + 1));
		}
	}
	jx_host->db_finish(st);
	if (st == NULL)
		goto fail;
	return weeks;
fail:
	cJSON_Delete(weeks);
	return NULL;
}

static int
weekly_reply(jx_req *req, const char *kind, int64_t id, const struct range *r)
{
	cJSON *weeks = weekly(req, kind, id, r), *out;

	if (weeks == NULL)
		return jxp_storage_error(jx_host, req);
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "scope", kind);
	cJSON_AddNumberToObject(out, "id", (double)id);
	add_day(out, "from", r->fw);
	add_day(out, "to", stats_day_add(r->lw, 6));
	cJSON_AddItemToObject(out, "weeks", weeks);
	return jx_host->reply_json(req, 200, out);
}

int
stats_school_weekly(jx_req *req, void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);
	int64_t sid = jx_host->req_param_id(req, "sid"), klass = 0;
	const char *cq = jx_host->req_query(req, "class_id");
	int scope = school_scope(req, sid), rc;
	struct range r;

	(void)ud;
	if (scope < 0)
		return -scope;
	if (cq != NULL && *cq != '\0') {
		klass = atoll(cq);
		if (klass <= 0 ||
		    jxp_one(jx_host, jx_host->req_db(req),
		            "SELECT COUNT(*) FROM classes WHERE id = ? AND "
		            "school_id = ?",
		            "ii", klass, sid) != 1 ||
		    (scope == 1 && !teaches(i, klass)))
			return jxp_not_found(jx_host, req);
	} else if (scope == 1) {
		jx_host->problem_error(
		    req, 0, "class_id",
		    "required for a teacher / 教师须指定班级");
		return jxp_invalid(jx_host, req, "class_id: required");
	}
	if ((rc = range_of(req, &r, 12)) != 0)
		return rc;
	return klass > 0 ? weekly_reply(req, "class", klass, &r)
	                 : weekly_reply(req, "school", sid, &r);
}

int
stats_district_weekly(jx_req *req, void *ud)
{
	int64_t did = jx_host->req_param_id(req, "did");
	struct range r;
	int rc;

	(void)ud;
	if ((rc = district_scope(req, did)) != 0)
		return -rc;
	if ((rc = range_of(req, &r, 12)) != 0)
		return rc;
	return weekly_reply(req, "district", did, &r);
}

/* ---- the class's families never reached -------------------------------- */

int
stats_class_unreached(jx_req *req, void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);
	int64_t klass = jx_host->req_param_id(req, "cid"), sid;
	jx_db *db = jx_host->req_db(req);
	cJSON *out, *items, *parents;
	jx_stmt *st;
	int scope;

	(void)ud;
	sid = klass > 0 ? jxp_one(jx_host, db,
	                          "SELECT school_id FROM classes WHERE id = ?",
	                          "i", klass)
	                : 0;
	if (sid <= 0)
		return jxp_not_found(jx_host, req);
	scope = school_scope(req, sid);
	if (scope < 0)
		return -scope;
	if (scope == 1 && !teaches(i, klass))
		return jxp_not_found(jx_host, req);
	out = cJSON_CreateObject();
	cJSON_AddNumberToObject(out, "class_id", (double)klass);
	items = cJSON_AddArrayToObject(out, "items");
	st = jx_host->db_query(
	    db,
	    "SELECT s.person_id, p.name FROM students s JOIN "
	    "persons p ON p.id = s.person_id WHERE "
	    "s.class_id = ? AND s.status = 'in_school' AND " STATS_UNREACHED_SQL
	    " ORDER BY p.name, s.person_id",
	    "i", klass);
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		cJSON *o = cJSON_CreateObject();
		int64_t sp = jx_host->db_int(st, 0);

		cJSON_AddNumberToObject(o, "id", (double)sp);
		cJSON_AddStringToObject(o, "name", jx_host->db_text(st, 1));
		/* who could be reached: each parent, with or without an
		 * account (activated and WeChat are false by definition) */
		parents = jx_host->db_rows(
		    db,
		    "SELECT g.parent_id AS person_id, p.name AS name, "
		    "g.relation AS relation, (SELECT COUNT(*) FROM "
		    "host_accounts a WHERE a.person_id = g.parent_id) AS "
		    "accounts FROM guardians g JOIN persons p ON p.id = "
		    "g.parent_id WHERE g.student_id = ? ORDER BY g.parent_id",
		    "i", sp);
		cJSON_AddItemToObject(o, "parents",
		                      parents ? parents : cJSON_CreateArray());
		cJSON_AddItemToArray(items, o);
	}
	jx_host->db_finish(st);
	if (st == NULL) {
		cJSON_Delete(out);
		return jxp_storage_error(jx_host, req);
	}
	return jx_host->reply_json(req, 200, out);
}

/* ---- refresh ------------------------------------------------------------ */

int
stats_school_refresh(jx_req *req, void *ud)
{
	int64_t sid = jx_host->req_param_id(req, "sid");
	jx_db *db = jx_host->req_db(req);
	int scope = school_scope(req, sid);
	cJSON *out;

	(void)ud;
	if (scope < 0)
		return -scope;
	if (scope != 2)
		return jxp_not_found(jx_host, req);
	if (stats_state_store(db, sid, 1) != 0)
		return jxp_storage_error(jx_host, req);
	out = cJSON_CreateObject();
	cJSON_AddNumberToObject(out, "school_id", (double)sid);
	cJSON_AddNumberToObject(
	    out, "classes",
	    (double)jxp_one(jx_host, db,
	                    "SELECT COUNT(*) FROM stats_class_state WHERE "
	                    "school_id = ?",
	                    "i", sid));
	cJSON_AddItemToObject(out, "refreshed_at",
	                      jxp_time(jx_host, jx_host->now()));
	return jx_host->reply_json(req, 200, out);
}

int
stats_district_refresh(jx_req *req, void *ud)
{
	int64_t did = jx_host->req_param_id(req, "did"), job;
	const struct jx_identity *i = jx_host->identity(req);
	jx_db *db = jx_host->req_db(req);
	cJSON *params, *out;
	int rc;

	(void)ud;
	if ((rc = district_scope(req, did)) != 0)
		return -rc;
	params = cJSON_CreateObject();
	cJSON_AddNumberToObject(params, "district_id", (double)did);
	if (jx_host->db_begin(db) != 0) {
		cJSON_Delete(params);
		return jxp_storage_error(jx_host, req);
	}
	job = jx_host->job_submit(db, "stats.refresh", params, i->account_id);
	if (job <= 0 || jx_host->db_commit(db) != 0) {
		jx_host->db_rollback(db);
		return jxp_storage_error(jx_host, req);
	}
	out = cJSON_CreateObject();
	cJSON_AddNumberToObject(out, "job_id", (double)job);
	return jx_host->reply_json(req, 202, out);
}

/* ---- for the pages (stats_pages.c, stats_pages.h) ----------------------- */

cJSON *
stats_school_usage_json(jx_req *req, int *status)
{
	return school_usage(req, status);
}

cJSON *
stats_district_usage_json(jx_req *req, int *status)
{
	return district_usage(req, status, NULL);
}

cJSON *
stats_weekly_json(jx_req *req, const char *kind, int64_t id, int64_t from,
                  int64_t to)
{
	struct range r;

	memset(&r, 0, sizeof(r));
	r.from = from;
	r.to = to;
	r.fw = stats_week_of(from);
	r.lw = stats_week_of(to);
	return weekly(req, kind, id, &r);
}
