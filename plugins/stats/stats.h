/*
 * stats.h — what the files of the stats plugin share.
 */
#ifndef STATS_H
#define STATS_H

#include <stdint.h>

#include <jx/plugin.h>
#include <jxplug.h>

JX_HOST_EXTERN;

/* stats_schema.c */
extern const char *const stats_migrations[];

/* ---- stats_days.c: local days and ISO weeks ---------------------------
 * A day is YYYYMMDD in the configured time zone; a week is its Monday's
 * day. */
int64_t stats_day_of(int64_t t);          /* the local day of epoch t */
int64_t stats_day_add(int64_t day, int n); /* day + n days */
int stats_day_valid(int64_t day);          /* 1 for a real date */
int stats_weekday(int64_t day);            /* 0 Monday ... 6 Sunday */
int64_t stats_week_of(int64_t day);        /* the Monday of day's week */
int stats_day_span(int64_t from, int64_t to); /* days from..to, inclusive */
int64_t stats_parse_day(const char *s);    /* "2026-12-07": 20261207; 0 */

/* ---- stats_events.c: the subscribers -------------------------------- */
int stats_events_init(struct jx_registrar *reg);

/* ---- stats_state.c: the state snapshots and the refresh job ---------- */
int stats_state_init(struct jx_registrar *reg);
/* Recomputes the state rows of one school (0: every school of district;
 * both 0: everything) on db, in the caller's transaction. 0 or -1. */
int stats_refresh_school(jx_db *db, int64_t school);
/* Queues the nightly refresh when it is due (first request of a day). */
void stats_daily(jx_req *req);

/* ---- stats_api.c: the endpoints --------------------------------------- */
int stats_school_usage(jx_req *req, void *ud);
int stats_school_usage_xlsx(jx_req *req, void *ud);
int stats_district_usage(jx_req *req, void *ud);
int stats_district_usage_xlsx(jx_req *req, void *ud);
int stats_school_weekly(jx_req *req, void *ud);
int stats_district_weekly(jx_req *req, void *ud);
int stats_school_refresh(jx_req *req, void *ud);
int stats_district_refresh(jx_req *req, void *ud);
int stats_class_unreached(jx_req *req, void *ud);

#endif
