/*
 * stats.c — the stats plugin (issue 19; API.md, "Statistics"): its
 * descriptor, init and routes. Events from the host and plugins become
 * aggregates in the publishers' transactions (stats_events.c); the
 * numbers that are state, not events, are snapshots a job computes
 * (stats_state.c); the endpoints read aggregates (stats_api.c). The
 * definitions are docs/stats.md; the schema is stats_schema.c.
 */
#include "stats.h"

JX_HOST_DECLARE;

static int
stats_init(const struct jx_host *h, struct jx_registrar *reg)
{
	JX_HOST_INIT(h);
	if (stats_events_init(reg) != 0 || stats_state_init(reg) != 0)
		return -1;
	return 0;
}

static const struct jx_route stats_routes[] = {
    {"GET", "/api/v1/schools/{sid}/stats/usage", stats_school_usage, NULL, 0},
    {"GET", "/api/v1/schools/{sid}/stats/usage.xlsx", stats_school_usage_xlsx,
     NULL, 0},
    {"GET", "/api/v1/schools/{sid}/stats/weekly", stats_school_weekly, NULL, 0},
    {"POST", "/api/v1/schools/{sid}/stats/refresh", stats_school_refresh, NULL,
     0},
    {"GET", "/api/v1/classes/{cid}/stats/unreached", stats_class_unreached,
     NULL, 0},
    {"GET", "/api/v1/districts/{did}/stats/usage", stats_district_usage, NULL,
     0},
    {"GET", "/api/v1/districts/{did}/stats/usage.xlsx",
     stats_district_usage_xlsx, NULL, 0},
    {"GET", "/api/v1/districts/{did}/stats/weekly", stats_district_weekly, NULL,
     0},
    {"POST", "/api/v1/districts/{did}/stats/refresh", stats_district_refresh,
     NULL, 0},
    {NULL, NULL, NULL, NULL, 0},
};

/* optional event sources and keyinfo.v1: initialised first when loaded */
static const char *const stats_depends[] = {
    "?feeds",   "?records",   "?wechat", "?notices",
    "?keyinfo", "?resources", NULL};

static const struct jx_plugin stats_plugin = {
    .size = sizeof(struct jx_plugin),
    .abi_major = JX_ABI_MAJOR,
    .abi_minor = 2, /* "?name" dependencies */
    .name = "stats",
    .version = "1.0.0",
    .depends = stats_depends,
    .migrations = stats_migrations,
    .init = stats_init,
    .routes = stats_routes,
};

JX_EXPORT const struct jx_plugin *
jx_plugin_entry(void)
{
	return &stats_plugin;
}
