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

/* GET /stats/spaces and /api/v1/stats/spaces (空间统计/查询) */
int stats_spaces(jx_req *req, void *ud);

#endif
