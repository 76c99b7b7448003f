/*
 * stats_pages.h — what the statistics pages and the space statistics
 * (stats_pages.c, stats_spaces.c, stats_view.c) share. The endpoints and
 * aggregates are stats.h's; these files only read them.
 */
#ifndef STATS_PAGES_H
#define STATS_PAGES_H

#include "stats.h"

/* A range of whole local days from the query's from= and to=
 * ("2026-12-07"), by default this ISO week up to today. 0, or -1 after
 * replying 422 naming the field. */
int stats_view_range(jx_req *req, int64_t *from, int64_t *to);
/* "2026-12-07" for 20261207 (arena). */
const char *stats_view_day(jx_req *req, int64_t day);

/* ---- stats_pages_data.c: the API's data for the pages ---------------
 * Each returns what the endpoint of API.md answers (owned by the caller)
 * with the endpoint's scope, or NULL after replying the endpoint's
 * error (404 out of scope, 422, 500). */
/* usage of school id (by "class", or "student" of class klass) or of
 * district id (by "school") over from..to: {by, from, to, items, total?} */
cJSON *stats_pages_usage(jx_req *req, const char *level, int64_t id,
                         const char *by, int64_t klass, int64_t from,
                         int64_t to);
/* the weekly series of school or district id for the weeks of from..to
 * (at least the last eight): {weeks: [{week, logins, uploads}]} */
cJSON *stats_pages_weekly(jx_req *req, const char *level, int64_t id,
                          int64_t from, int64_t to);
/* the class's students none of whose parents was ever reached:
 * {items: [{id, name, parents: [{name, relation, phone}]}]} */
cJSON *stats_pages_unreached(jx_req *req, int64_t klass);
/* The name of a school, district or class (arena; "" when none). */
const char *stats_pages_name(jx_req *req, const char *level, int64_t id);

/* ---- stats_pages.c ---------------------------------------------------- */
int stats_pages_init(struct jx_registrar *reg);
int stats_page_home(jx_req *req, void *ud);
int stats_page_school(jx_req *req, void *ud);
int stats_page_district(jx_req *req, void *ud);
int stats_page_class(jx_req *req, void *ud);

/* GET /stats/spaces and /api/v1/stats/spaces (空间统计/查询) */
int stats_spaces(jx_req *req, void *ud);

#endif
