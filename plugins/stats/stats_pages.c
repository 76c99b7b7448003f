/*
 * stats_pages.c — the statistics pages (issue 19): the school dashboard
 * (/schools/{sid}/stats; a teacher sees the classes taught there), the
 * district dashboard (/districts/{did}/stats), the class drill-down
 * (/classes/{cid}/stats) and /stats, which sends each role to its own.
 *
 * The numbers are the API's (stats_api.c through stats_pages_data.c:
 * the same rows, scope and definitions as /api/v1/.../stats/usage), so
 * a page and its .xlsx cannot disagree. This file adds what a page
 * needs on top: the range presets, the measure links, the two charts
 * (stats_svg.c) and the weekly table. Templates: templates/stats/.
 */
#include "stats_pages.h"
#include "stats_svg.h"

#include <jx/org.h>

#include <stdlib.h>
#include <string.h>

/* The measures of a usage row, in the order of the tables. */
static const char *const pages_measures[] = {
    "accounts",        "activated", "logins",           "login_days",
    "wechat_followed", "uploads",   "keyinfo_complete", NULL,
};

static const char *
pages_measure(jx_req *req)
{
	const char *m = jx_host->req_query(req, "measure");

	for (int k = 0; m != NULL && pages_measures[k] != NULL; k++)
		if (strcmp(m, pages_measures[k]) == 0)
			return pages_measures[k];
	return "logins";
}

static int64_t
pages_num(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

/* path?from=&to=[&measure=] (arena) */
static const char *
pages_href(jx_req *req, const char *path, int64_t from, int64_t to,
           const char *measure)
{
	return jx_host->sprintf(
	    req, "%s%cfrom=%s&to=%s%s%s", path, strchr(path, '?') ? '&' : '?',
	    stats_view_day(req, from), stats_view_day(req, to),
	    measure ? "&measure=" : "", measure ? measure : "");
}

/* The range form's data: action, from, to, measure, presets. */
static void
pages_range(jx_req *req, cJSON *data, const char *path, int64_t from,
            int64_t to, const char *measure)
{
	int64_t today = stats_day_of(jx_host->now());
	int64_t monday = stats_week_of(today);
	struct {
		const char *key;
		int64_t from, to;
	} p[] = {
	    {"this_week", monday, today},
	    {"last_week", stats_day_add(monday, -7), stats_day_add(monday, -1)},
	    {"last_30", stats_day_add(today, -29), today},
	};
	cJSON *presets = cJSON_AddArrayToObject(data, "presets");

	for (size_t k = 0; k < sizeof(p) / sizeof(p[0]); k++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "key", p[k].key);
		cJSON_AddStringToObject(
		    o, "href",
		    pages_href(req, path, p[k].from, p[k].to, measure));
		if (p[k].from == from && p[k].to == to)
			cJSON_AddBoolToObject(o, "current", 1);
		cJSON_AddItemToArray(presets, o);
	}
	cJSON_AddStringToObject(
	    data, "action",
	    jx_host->sprintf(req, "%.*s", (int)strcspn(path, "?"), path));
	cJSON_AddStringToObject(data, "from", stats_view_day(req, from));
	cJSON_AddStringToObject(data, "to", stats_view_day(req, to));
	cJSON_AddStringToObject(data, "measure", measure);
	{
		cJSON *ms = cJSON_AddArrayToObject(data, "measures");

		for (int k = 0; pages_measures[k] != NULL; k++) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "key", pages_measures[k]);
			cJSON_AddStringToObject(
			    o, "href",
			    pages_href(req, path, from, to, pages_measures[k]));
			if (strcmp(pages_measures[k], measure) == 0)
				cJSON_AddBoolToObject(o, "current", 1);
			cJSON_AddItemToArray(ms, o);
		}
	}
}

/* A malloc'ed SVG into the arena (out of memory: no chart). */
static const char *
pages_keep(jx_req *req, char *svg)
{
	const char *s = svg ? jx_host->strdup(req, svg) : "";

	free(svg);
	return s;
}

/* The bar chart of rows[measure], labelled by name; its title names the
 * measure and what a bar is (rowname: class, school, student). */
static void
pages_bars(jx_req *req, cJSON *data, const cJSON *rows, const char *rowname,
           const char *measure, int64_t from, int64_t to)
{
	int n = cJSON_GetArraySize(rows), k = 0;
	struct stats_svg_bar *bars =
	    jx_host->alloc(req, sizeof(*bars) * (size_t)(n > 0 ? n : 1));
	struct stats_svg_chart c = {0};
	const cJSON *r;
	int64_t max = 0;
	const char *title, *desc;

	cJSON_ArrayForEach(r, rows)
	{
		bars[k].label = cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(r, "name"));
		bars[k].value = pages_num(r, measure);
		if (bars[k].value > max)
			max = bars[k].value;
		k++;
	}
	title = jxp_fill(
	    jx_host, req,
	    jx_host->t(req,
	               jx_host->sprintf(req, "stats.chart.bars.%s", rowname)),
	    "measure",
	    jx_host->t(req,
	               jx_host->sprintf(req, "stats.measure.%s", measure)));
	desc = jx_host->t(req, "stats.chart.bars.desc");
	desc = jxp_fill(jx_host, req, desc, "from", stats_view_day(req, from));
	desc = jxp_fill(jx_host, req, desc, "to", stats_view_day(req, to));
	desc =
	    jxp_fill(jx_host, req, desc, "n", jx_host->sprintf(req, "%d", n));
	desc = jxp_fill(jx_host, req, desc, "max",
	                jx_host->sprintf(req, "%lld", (long long)max));
	c.id = "stats-bars";
	c.title = title;
	c.desc = desc;
	c.empty = jx_host->t(req, "stats.chart.empty");
	c.bars = bars;
	c.nbars = (size_t)n;
	cJSON_AddStringToObject(data, "chart_bars",
	                        pages_keep(req, stats_svg_bars(&c)));
}

/* The weekly line (logins and uploads per ISO week) and its table, from
 * the API's weekly series {weeks: [{week, logins, uploads}]}. */
static void
pages_weekly(jx_req *req, cJSON *data, const cJSON *series)
{
	const cJSON *weeks = cJSON_GetObjectItemCaseSensitive(series, "weeks");
	int n = cJSON_GetArraySize(weeks), k = 0;
	int64_t *logins =
	    jx_host->alloc(req, sizeof(int64_t) * (size_t)(n + 1));
	int64_t *uploads =
	    jx_host->alloc(req, sizeof(int64_t) * (size_t)(n + 1));
	const char **labels =
	    jx_host->alloc(req, sizeof(char *) * (size_t)(n + 1));
	struct stats_svg_series s[2];
	struct stats_svg_chart c = {0};
	cJSON *table = cJSON_AddArrayToObject(data, "weeks");
	const cJSON *w;
	const char *desc, *first = "", *last = "";

	cJSON_ArrayForEach(w, weeks)
	{
		const char *day = cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(w, "week"));
		cJSON *o = cJSON_CreateObject();

		day = day ? day : "";
		/* "2026-11-30" drawn as "11-30" */
		labels[k] = strlen(day) == 10 ? day + 5 : day;
		logins[k] = pages_num(w, "logins");
		uploads[k] = pages_num(w, "uploads");
		if (k == 0)
			first = day;
		last = day;
		cJSON_AddStringToObject(o, "label", labels[k]);
		cJSON_AddStringToObject(o, "week", day);
		cJSON_AddNumberToObject(o, "logins", (double)logins[k]);
		cJSON_AddNumberToObject(o, "uploads", (double)uploads[k]);
		cJSON_AddItemToArray(table, o);
		k++;
	}
	s[0].name = jx_host->t(req, "stats.measure.logins");
	s[0].values = logins;
	s[1].name = jx_host->t(req, "stats.measure.uploads");
	s[1].values = uploads;
	desc = jx_host->t(req, "stats.chart.weekly.desc");
	desc = jxp_fill(jx_host, req, desc, "from", first);
	desc = jxp_fill(jx_host, req, desc, "to", last);
	desc =
	    jxp_fill(jx_host, req, desc, "n", jx_host->sprintf(req, "%d", n));
	c.id = "stats-weekly";
	c.title = jx_host->t(req, "stats.chart.weekly");
	c.desc = desc;
	c.empty = jx_host->t(req, "stats.chart.empty");
	c.xlabels = labels;
	c.npoints = (size_t)n;
	c.series = s;
	c.nseries = 2;
	cJSON_AddStringToObject(data, "chart_weekly",
	                        pages_keep(req, stats_svg_line(&c)));
}

/* The usage reply's rows moved into data.rows with a drill-down href
 * (fmt with the row's id, or NULL), its total into data.totals. */
static void
pages_rows(jx_req *req, cJSON *data, cJSON *usage, const char *fmt,
           int64_t from, int64_t to, const char *measure)
{
	cJSON *rows = cJSON_DetachItemFromObjectCaseSensitive(usage, "items");
	cJSON *total = cJSON_DetachItemFromObjectCaseSensitive(usage, "total");
	cJSON *r;

	if (rows == NULL)
		rows = cJSON_CreateArray();
	cJSON_ArrayForEach(r, rows)
	{
		if (fmt != NULL)
			cJSON_AddStringToObject(
			    r, "href",
			    pages_href(
			        req,
			        jx_host->sprintf(req, fmt,
			                         (long long)pages_num(r, "id")),
			        from, to, measure));
	}
	cJSON_AddItemToObject(data, "rows", rows);
	if (total != NULL)
		cJSON_AddItemToObject(data, "totals", total);
}

/* GET /stats: each role to its dashboard. */
int
stats_page_home(jx_req *req, void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);

	(void)ud;
	if (i == NULL)
		return jxp_forbidden(jx_host, req);
	if (strcmp(i->role, "district_admin") == 0)
		return jx_host->reply_redirect(
		    req, jx_host->sprintf(req, "/districts/%lld/stats",
		                          (long long)i->district_id));
	if ((strcmp(i->role, "school_admin") == 0 ||
	     strcmp(i->role, "teacher") == 0) &&
	    i->school_id > 0)
		return jx_host->reply_redirect(
		    req, jx_host->sprintf(req, "/schools/%lld/stats",
		                          (long long)i->school_id));
	return jxp_forbidden(jx_host, req);
}

/* The usage reply's range as days. */
static void
pages_days(const cJSON *usage, int64_t *from, int64_t *to)
{
	*from = stats_parse_day(cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(usage, "from")));
	*to = stats_parse_day(cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(usage, "to")));
}

/* The weekly line of kind (school, district, class) id: the weeks of
 * the range, and at least the eight weeks up to its end. */
static int
pages_weekly_of(jx_req *req, cJSON *data, const char *kind, int64_t id,
                int64_t from, int64_t to)
{
	int64_t first = stats_day_add(stats_week_of(to), -7 * 7);
	cJSON *weeks, *series;

	weeks =
	    stats_weekly_json(req, kind, id, from < first ? from : first, to);
	if (weeks == NULL)
		return -1;
	series = cJSON_CreateObject();
	cJSON_AddItemToObject(series, "weeks", weeks);
	pages_weekly(req, data, series);
	cJSON_Delete(series);
	return 0;
}

/* A phone as a list shows it: 139****0001. */
static const char *
pages_phone(jx_req *req, const char *phone)
{
	size_t n = phone ? strlen(phone) : 0;

	if (n < 7)
		return NULL;
	return jx_host->sprintf(req, "%.3s****%s", phone, phone + n - 4);
}

/* The class's students none of whose parents was ever reached (the
 * definition of docs/stats.md, STATS_UNREACHED_SQL), each with the
 * parents to call: name, relation, masked phone. The caller checked the
 * scope (stats_school_usage_json answered for this class). */
static cJSON *
pages_unreached(jx_req *req, int64_t klass)
{
	jx_db *db = jx_host->req_db(req);
	cJSON *out = cJSON_CreateArray();
	jx_stmt *st;

	st = jx_host->db_query(
	    db,
	    "SELECT s.person_id, p.name FROM students s JOIN "
	    "persons p ON p.id = s.person_id WHERE "
	    "s.class_id = ? AND s.status = 'in_school' "
	    "AND " STATS_UNREACHED_SQL " ORDER BY p.name, s.person_id",
	    "i", klass);
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		cJSON *o = cJSON_CreateObject(), *parents, *pr;

		cJSON_AddNumberToObject(o, "id",
		                        (double)jx_host->db_int(st, 0));
		cJSON_AddStringToObject(o, "name", jx_host->db_text(st, 1));
		parents = jx_host->db_rows(
		    db,
		    "SELECT p.name AS name, g.relation AS relation, p.phone AS "
		    "phone FROM guardians g JOIN persons p ON p.id = "
		    "g.parent_id WHERE g.student_id = ? ORDER BY g.parent_id",
		    "i", jx_host->db_int(st, 0));
		if (parents == NULL)
			parents = cJSON_CreateArray();
		/* never the whole number on a page */
		cJSON_ArrayForEach(pr, parents)
		{
			const char *m = pages_phone(
			    req,
			    cJSON_GetStringValue(
			        cJSON_GetObjectItemCaseSensitive(pr, "phone")));

			cJSON_DeleteItemFromObjectCaseSensitive(pr, "phone");
			if (m != NULL)
				cJSON_AddStringToObject(pr, "phone", m);
		}
		cJSON_AddItemToObject(o, "parents", parents);
		cJSON_AddItemToArray(out, o);
	}
	jx_host->db_finish(st);
	if (st == NULL) {
		cJSON_Delete(out);
		return NULL;
	}
	return out;
}

static const char *
pages_name(jx_req *req, const char *sql, int64_t id)
{
	jx_stmt *st = jx_host->db_query(jx_host->req_db(req), sql, "i", id);
	const char *n = "";

	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW)
		n = jx_host->strdup(req, jx_host->db_text(st, 0));
	jx_host->db_finish(st);
	return n ? n : "";
}

/* by=student&class_id=: the class page from the school's usage reply. */
static int
pages_class(jx_req *req, int64_t sid, cJSON *usage, const char *measure)
{
	int64_t cid = (int64_t)cJSON_GetNumberValue(
	    cJSON_GetObjectItemCaseSensitive(usage, "class_id"));
	const char *path =
	    jx_host->sprintf(req, "/schools/%lld/stats", (long long)sid);
	const struct jx_org_v1 *org = jx_host->service(JX_ORG_SERVICE);
	int64_t from, to, grade;
	cJSON *data = cJSON_CreateObject(), *unreached;
	const char *cname;

	pages_days(usage, &from, &to);
	grade = jxp_one(jx_host, jx_host->req_db(req),
	                "SELECT grade FROM classes WHERE id = ?", "i", cid);
	cname = pages_name(req, "SELECT name FROM classes WHERE id = ?", cid);
	if (org != NULL && grade > 0)
		cname = jx_host->sprintf(req, "%s%s",
		                         org->grade_label((int)grade), cname);
	cJSON_AddStringToObject(data, "class_name", cname);
	cJSON_AddStringToObject(
	    data, "school_name",
	    pages_name(req, "SELECT name FROM schools WHERE id = ?", sid));
	/* the class's range form and links keep by and class_id */
	pages_range(req, data,
	            jx_host->sprintf(req, "%s?by=student&class_id=%lld", path,
	                             (long long)cid),
	            from, to, measure);
	cJSON_AddStringToObject(data, "class_id",
	                        jx_host->sprintf(req, "%lld", (long long)cid));
	pages_rows(req, data, usage, NULL, from, to, measure);
	pages_bars(req, data, cJSON_GetObjectItemCaseSensitive(data, "rows"),
	           "student", measure, from, to);
	unreached = pages_unreached(req, cid);
	if (unreached == NULL ||
	    pages_weekly_of(req, data, "class", cid, from, to) != 0) {
		cJSON_Delete(unreached);
		cJSON_Delete(data);
		return jxp_storage_error(jx_host, req);
	}
	cJSON_AddItemToObject(data, "unreached", unreached);
	cJSON_AddStringToObject(
	    data, "xlsx",
	    jx_host->sprintf(
	        req, "%s&by=student&class_id=%lld",
	        pages_href(req,
	                   jx_host->sprintf(req,
	                                    "/api/v1/schools/%lld/stats/"
	                                    "usage.xlsx",
	                                    (long long)sid),
	                   from, to, NULL),
	        (long long)cid));
	cJSON_AddStringToObject(data, "back",
	                        pages_href(req, path, from, to, measure));
	cJSON_AddStringToObject(data, "title", jx_host->t(req, "nav.stats"));
	return jx_host->reply_view(req, 200, "stats/class", data);
}

/* GET /schools/{sid}/stats: per class (a teacher: the classes taught);
 * with by=student&class_id= a class's students (the drill-down). The
 * query is the API's (from, to, by, class_id) and so are the scope and
 * the errors: stats_school_usage_json reads it. */
int
stats_page_school(jx_req *req, void *ud)
{
	int64_t sid = jx_host->req_param_id(req, "sid"), from, to;
	const char *measure = pages_measure(req);
	const char *path =
	    jx_host->sprintf(req, "/schools/%lld/stats", (long long)sid);
	const char *by = jx_host->req_query(req, "by");
	int teacher = jxp_role(jx_host, req, "teacher"), status, rc;
	cJSON *usage, *data;

	(void)ud;
	if (by != NULL && strcmp(by, "student") != 0 &&
	    strcmp(by, "class") != 0)
		by = "class";
	usage = stats_school_usage_json(req, &status);
	if (usage == NULL)
		return status;
	if (by != NULL && strcmp(by, "student") == 0) {
		rc = pages_class(req, sid, usage, measure);
		cJSON_Delete(usage);
		return rc;
	}
	pages_days(usage, &from, &to);
	data = cJSON_CreateObject();
	cJSON_AddStringToObject(data, "level", teacher ? "teacher" : "school");
	cJSON_AddStringToObject(
	    data, "scope_name",
	    pages_name(req, "SELECT name FROM schools WHERE id = ?", sid));
	pages_range(req, data, path, from, to, measure);
	pages_rows(req, data, usage,
	           jx_host->sprintf(req, "%s?by=student&class_id=%%lld", path),
	           from, to, measure);
	cJSON_Delete(usage);
	pages_bars(req, data, cJSON_GetObjectItemCaseSensitive(data, "rows"),
	           "class", measure, from, to);
	/* a teacher's classes have each their own line (the class page) */
	if (!teacher &&
	    pages_weekly_of(req, data, "school", sid, from, to) != 0) {
		cJSON_Delete(data);
		return jxp_storage_error(jx_host, req);
	}
	cJSON_AddStringToObject(
	    data, "xlsx",
	    pages_href(req,
	               jx_host->sprintf(req,
	                                "/api/v1/schools/%lld/stats/"
	                                "usage.xlsx",
	                                (long long)sid),
	               from, to, NULL));
	cJSON_AddStringToObject(data, "spaces_href", "/stats/spaces");
	cJSON_AddStringToObject(data, "title", jx_host->t(req, "nav.stats"));
	return jx_host->reply_view(req, 200, "stats/usage", data);
}

/* GET /districts/{did}/stats: per school. */
int
stats_page_district(jx_req *req, void *ud)
{
	int64_t did = jx_host->req_param_id(req, "did"), from, to;
	const char *measure = pages_measure(req);
	const char *path =
	    jx_host->sprintf(req, "/districts/%lld/stats", (long long)did);
	cJSON *usage, *data;
	int status;

	(void)ud;
	usage = stats_district_usage_json(req, &status);
	if (usage == NULL)
		return status;
	pages_days(usage, &from, &to);
	data = cJSON_CreateObject();
	cJSON_AddStringToObject(data, "level", "district");
	cJSON_AddStringToObject(
	    data, "scope_name",
	    pages_name(req, "SELECT name FROM districts WHERE id = ?", did));
	pages_range(req, data, path, from, to, measure);
	pages_rows(req, data, usage, "/schools/%lld/stats", from, to, measure);
	cJSON_Delete(usage);
	pages_bars(req, data, cJSON_GetObjectItemCaseSensitive(data, "rows"),
	           "school", measure, from, to);
	if (pages_weekly_of(req, data, "district", did, from, to) != 0) {
		cJSON_Delete(data);
		return jxp_storage_error(jx_host, req);
	}
	cJSON_AddStringToObject(
	    data, "xlsx",
	    pages_href(req,
	               jx_host->sprintf(req,
	                                "/api/v1/districts/%lld/stats/"
	                                "usage.xlsx",
	                                (long long)did),
	               from, to, NULL));
	cJSON_AddStringToObject(data, "spaces_href", "/stats/spaces");
	cJSON_AddStringToObject(data, "title", jx_host->t(req, "nav.stats"));
	return jx_host->reply_view(req, 200, "stats/usage", data);
}

/* The home page's cell: 使用统计, with this week's logins of the school
 * or district (the week rows, one indexed read); a teacher's cell just
 * leads to the classes taught. */
static cJSON *
pages_home_rows(jx_req *req, void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);
	int64_t week = stats_week_of(stats_day_of(jx_host->now())), n = -1;
	const char *detail;
	cJSON *rows, *o;

	(void)ud;
	if (i == NULL)
		return NULL;
	if (strcmp(i->role, "school_admin") == 0 && i->school_id > 0)
		n = jxp_one(
		    jx_host, jx_host->req_db(req),
		    "SELECT COALESCE(SUM(logins), 0) FROM "
		    "stats_school_weeks WHERE school_id = ? AND week = ?",
		    "ii", i->school_id, week);
	else if (strcmp(i->role, "district_admin") == 0 && i->district_id > 0)
		n = jxp_one(
		    jx_host, jx_host->req_db(req),
		    "SELECT COALESCE(SUM(logins), 0) FROM "
		    "stats_school_weeks WHERE district_id = ? AND week = ?",
		    "ii", i->district_id, week);
	else if (strcmp(i->role, "teacher") != 0)
		return NULL;
	detail =
	    n >= 0 ? jxp_fill(jx_host, req, jx_host->t(req, "home.stats.week"),
	                      "n", jx_host->sprintf(req, "%lld", (long long)n))
	           : jx_host->t(req, "home.stats.classes");
	rows = cJSON_CreateArray();
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "title", jx_host->t(req, "home.stats"));
	cJSON_AddStringToObject(o, "detail", detail);
	cJSON_AddNumberToObject(o, "count", 0);
	cJSON_AddStringToObject(o, "href", "/stats");
	cJSON_AddItemToArray(rows, o);
	return rows;
}

/* The menu entries of the pages and the home page's cell. */
int
stats_pages_init(struct jx_registrar *reg)
{
	static const struct jx_home_item home = {
	    .size = sizeof(struct jx_home_item),
	    .roles = "district_admin,school_admin,teacher",
	    .order = 70,
	    .rows = pages_home_rows,
	};

	/* one entry: the dashboards link to the space statistics (a
	 * school admin's menu is long enough) */
	if (reg->menu(reg, "district_admin,school_admin,teacher", "nav.stats",
	              "/stats", 70) != 0)
		return -1;
	if (JX_REG_HAS(reg, home_item) && reg->home_item(reg, &home) != 0)
		return -1;
	return 0;
}
