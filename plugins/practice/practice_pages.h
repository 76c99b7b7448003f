/*
 * practice_pages.h — what the practice plugin's page files share
 * (practice_pages.c: families' pages and the helpers;
 * practice_pages_manage.c: the district's and the bases' management).
 *
 * The pages read the plugin's tables with the same reach as the API
 * (struct practice_who, practice_base_manages); every change goes
 * through the JSON API (static/practice.js posts the forms with the
 * page's CSRF token and shows a 422 under its field), so the rules live
 * in one place.
 */
#ifndef PRACTICE_PAGES_H
#define PRACTICE_PAGES_H

#include "practice.h"

/* Where the check-in helper serves the QR code and the staff list. */
#define PRACTICE_QR_PATH "/api/v1/practice/registrations/%lld/qr"
#define PRACTICE_CHECKIN_PATH "/practice/activities/%lld/checkin"
#define PRACTICE_XLSX_PATH "/api/v1/practice/activities/%lld/attendance.xlsx"

/* A time for a page: "12-20 08:00" (short) or "2026年12月20日 08:00"
 * (long; "2026-12-20 08:00" in English), in the configured timezone. */
const char *pp_when(jx_req *req, int64_t t, int lng);
/* From start to end: "12-20 08:00–11:30", or both ends in full when the
 * days differ. */
const char *pp_span(jx_req *req, int64_t from, int64_t to, int lng);
/* Hours from tenths: "1.5", "3". */
const char *pp_hours(jx_req *req, int64_t tenths);
/* A grade's name (roster's catalog): 一年级 .. 高三. */
const char *pp_grade(jx_req *req, int64_t grade);
/* The activity's grades as one text: "一年级、二年级". */
const char *pp_grades_text(jx_req *req, int64_t activity);
/* Adds the page's display fields to activity rows of db_rows (columns
 * id, starts_at, ends_at, signup_deadline, hours_tenths, capacity,
 * confirmed): when, when_long, deadline, hours, seats_left, full,
 * deadline_passed. */
void pp_shape_activities(jx_req *req, cJSON *rows);
/* The text of a query's first column (arena), or NULL. */
const char *pp_text(jx_req *req, const char *sql, int64_t id);

/* Page handlers (practice_pages.c). */
int practice_page_list(jx_req *req, void *ud);
int practice_page_activity(jx_req *req, void *ud);
int practice_page_mine(jx_req *req, void *ud);

/* Page handlers (practice_pages_manage.c). */
int practice_page_manage(jx_req *req, void *ud);
int practice_page_manage_one(jx_req *req, void *ud);
int practice_page_form_new(jx_req *req, void *ud);
int practice_page_form_edit(jx_req *req, void *ud);
int practice_page_bases(jx_req *req, void *ud);
int practice_page_base(jx_req *req, void *ud);

/* Menu entries and home items of the pages; called from init. */
int practice_pages_init(struct jx_registrar *reg);

#endif
