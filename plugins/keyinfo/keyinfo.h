/*
 * keyinfo.h — the pieces of the keyinfo plugin (API.md, "Key
 * information"): stored rule results (keyinfo_results.c), a student's
 * key information and its changes (keyinfo_student.c), progress, the
 * incomplete list and reconciliation (keyinfo_progress.c), dry runs and
 * recomputation after rule changes (keyinfo_rules.c).
 */
#ifndef KEYINFO_H
#define KEYINFO_H

#include <stddef.h>
#include <stdint.h>

#include <jx/org.h>
#include <jx/plugin.h>

#include "jxplug.h"

JX_HOST_EXTERN;
extern const struct jx_org_v1 *ki_org;

/* The three fields, in the order pages show them. */
#define KI_NFIELDS 3
extern const char *const ki_fields[KI_NFIELDS];
/* "全国学籍号" ... for a field name; the name itself if unknown. */
const char *ki_field_label(const char *field);

/* ---- keyinfo_results.c: the rules over students ---------------------- */

/* A student as the rules see it. Strings are malloc'd (ki_student_free). */
struct ki_student {
	int64_t id, school, klass, district;
	int grade;
	char *name, *national_no, *city_no, *id_number;
	/* after ki_check_batch: */
	cJSON *problems; /* array of {field, level, code, message,
	                    message_en?} */
	int errors;      /* problems of level error */
	int missing;     /* fields without a value */
	int64_t version; /* the rules version they were checked with */
};
void ki_student_free(struct ki_student *s);
/* A problem's message in the request's language: the rules give message
 * (Chinese) and message_en (English, optional); NULL req: Chinese. */
const char *ki_problem_message(jx_req *req, const cJSON *p);
/* Leaves one message per problem, in the request's language (what the
 * API and pages show; stored results keep both). */
void ki_problems_localize(jx_req *req, cJSON *problems);
/* A student's 全国学籍号 from its columns: the clear one (a form
 * without an ID number) or the sealed one opened (malloc'ed; NULL when
 * there is none). */
char *ki_national_open(const char *clear, const char *sealed);
/* The student's fields, ID number opened; 0, or -1 (no such student in
 * school). */
int ki_student_load(jx_db *db, int64_t id, struct ki_student *s);
/* The rules' input table of a student. */
cJSON *ki_student_json(const struct ki_student *s);
/* Runs the district's rules (source NULL: the active chunk) over n
 * students, setting problems/errors/missing; *version the rules version
 * used (-1 for a tried source). 0, or -1 with err when the chunk fails
 * (a student whose own check fails is given a "rules" error instead when
 * fallback is set). */
int ki_check_batch(jx_db *db, int64_t district, const char *source,
                   struct ki_student *s, int n, int fallback, int64_t *version,
                   char *err, size_t errlen);
/* Recomputes the stored results of a school: its students whose results
 * are missing, stale or of another rules version (all of them with
 * all set), drops results of students no longer there and recounts its
 * classes. In the caller's transaction. The number recomputed, or -1. */
int64_t ki_refresh_school(jx_db *db, int64_t school, int all);
/* Marks a student's stored result stale and its schools dirty (in the
 * caller's transaction); a background refresh is queued. 0 or -1. */
int ki_mark_stale(jx_db *db, int64_t student);
/* Queues the background refresh unless one is already queued. */
int ki_queue_refresh(jx_db *db, int64_t district, int all);
int ki_results_init(struct jx_registrar *reg);

/* Handlers of the route table (keyinfo.c). */
int route_school_progress(jx_req *req, void *ud);
int route_district_progress(jx_req *req, void *ud);
int page_progress(jx_req *req, void *ud);
int route_incomplete(jx_req *req, void *ud);
int route_reconcile(jx_req *req, void *ud);
int page_reconcile(jx_req *req, void *ud);
int route_keyinfo_get(jx_req *req, void *ud);
int route_keyinfo_put(jx_req *req, void *ud);
int route_changes(jx_req *req, void *ud);
int page_changes(jx_req *req, void *ud);
int route_review(jx_req *req, void *ud);
int page_mine(jx_req *req, void *ud);
int route_dry_run(jx_req *req, void *ud);
int page_rules(jx_req *req, void *ud);

/* ---- keyinfo_student.c ---------------------------------------------- */
/* 0 when the acting identity manages the school; else the status
 * replied: 404 when it is not visible (or does not exist), 403 when only
 * visible. */
int ki_manage_school(jx_req *req, int64_t school);
/* A value for display: the ID number and a 全国学籍号 that embeds one
 * masked, others as they are (arena). */
const char *ki_display(jx_req *req, const char *field, const char *value);

/* ---- keyinfo_progress.c ---------------------------------------------- */
/* Brings the school's stored results up to date unless it is far
 * behind: 0 or -1; *stale: the students whose results still wait. */
int ki_fresh(jx_db *db, int64_t school, int64_t *stale);
/* The service's class_status (jx/keyinfo.h). */
int ki_class_status(jx_db *db, int64_t klass, cJSON **out);
/* keyinfo.v1's complete_counts (jx/keyinfo.h). */
int ki_complete_counts(jx_db *db, int64_t school, int64_t district,
                       cJSON **out);

/* ---- keyinfo_home.c: home items, a class's incomplete students ------ */
int ki_home_init(struct jx_registrar *reg);
int page_class_incomplete(jx_req *req, void *ud);

/* ---- keyinfo_rules.c ------------------------------------------------- */
int ki_dry_run(jx_db *db, int64_t district, const char *source, cJSON **out,
               char *err, size_t errlen);

#endif
