/*
 * stats_view.c — what the statistics pages share: the range of days a
 * page asks for, and days written for people.
 */
#include "stats_pages.h"

#include <stdio.h>

const char *
stats_view_day(jx_req *req, int64_t day)
{
	return jx_host->sprintf(
	    req, "%04lld-%02lld-%02lld", (long long)(day / 10000),
	    (long long)(day / 100 % 100), (long long)(day % 100));
}

/* One end of the range: absent or empty is def; else a real date. */
static int
view_day(jx_req *req, const char *name, int64_t def, int64_t *out)
{
	const char *s = jx_host->req_query(req, name);

	if (s == NULL || *s == '\0') {
		*out = def;
		return 0;
	}
	*out = stats_parse_day(s);
	if (*out == 0 || !stats_day_valid(*out)) {
		jx_host->problem_error(req, 0, name,
		                       jx_host->t(req, "stats.error.day"));
		return -1;
	}
	return 0;
}

int
stats_view_range(jx_req *req, int64_t *from, int64_t *to)
{
	int64_t today = stats_day_of(jx_host->now());

	if (view_day(req, "from", stats_week_of(today), from) != 0 ||
	    view_day(req, "to", today, to) != 0) {
		jxp_invalid(jx_host, req, "from/to");
		return -1;
	}
	if (*to < *from) {
		jx_host->problem_error(req, 0, "to",
		                       jx_host->t(req, "stats.error.order"));
		jxp_invalid(jx_host, req, "to");
		return -1;
	}
	/* at most 366 days, as the usage endpoints (stats_api.c) */
	if (stats_day_span(*from, *to) > 366) {
		jx_host->problem_error(req, 0, "from",
		                       jx_host->t(req, "stats.error.span"));
		jxp_invalid(jx_host, req, "from");
		return -1;
	}
	return 0;
}
