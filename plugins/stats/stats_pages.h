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

/* ---- stats_api.c, for the pages: the endpoints' data ----------------
 * The usage replies of API.md read from the request as the endpoints do
 * (path sid or did; query from, to, by, class_id), with their scope:
 * the JSON (owned by the caller), or NULL with *status the error
 * already replied. */
cJSON *stats_school_usage_json(jx_req *req, int *status);
cJSON *stats_district_usage_json(jx_req *req, int *status);
/* The weekly series of kind ("class", "school", "district") id for the
 * ISO weeks of from..to: [{week, logins, uploads, ...}] (owned by the
 * caller), NULL on a storage error. The caller checked the scope. */
cJSON *stats_weekly_json(jx_req *req, const char *kind, int64_t id,
                         int64_t from, int64_t to);

/* ---- stats_pages.c ---------------------------------------------------- */
int stats_pages_init(struct jx_registrar *reg);
int stats_page_home(jx_req *req, void *ud);
int stats_page_school(jx_req *req, void *ud);
int stats_page_district(jx_req *req, void *ud);

/* GET /stats/spaces and /api/v1/stats/spaces (空间统计/查询) */
int stats_spaces(jx_req *req, void *ud);

#endif
