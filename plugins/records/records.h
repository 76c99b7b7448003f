/*
 * records.h — the pieces of the records plugin (issue 16; API.md,
 * "Growth records"): the type registry and records.v1 (records.c),
 * records and their checks (records_api.c), review (records_review.c),
 * terms and locking (records_terms.c), 公示 (records_publicity.c), the
 * portfolio and its archive (records_portfolio.c).
 */
#ifndef RECORDS_H
#define RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include <jx/plugin.h>
#include <jx/records.h>

#include "jxplug.h"

JX_HOST_EXTERN;

/* Caps of the plugin's own, whatever a type's limits say. */
#define REC_TITLE_MAX 100
#define REC_TEXT_MAX 200
#define REC_LONGTEXT_MAX 5000
#define REC_FILES_MAX 20
#define REC_BATCH_MAX 200

/* ---- records.c: the registry ------------------------------------------ */

/* A registered type (the registrar's copy). */
struct rec_type {
	struct jx_record_type t; /* fields: our own copy */
};

const struct rec_type *rec_type_find(const char *code);
int rec_type_count(void);
const struct rec_type *rec_type_at(int i);
/* The type's name in the request's language. */
const char *rec_type_name(jx_req *req, const struct rec_type *t);

/* ---- records_api.c ---------------------------------------------------- */

/* A JSON id: a positive integer below 2^53, else 0. */
int64_t rec_id_of(const cJSON *v);

/* A record row as read (arena strings when req is given). */
struct rec_row {
	int64_t id, student, school, klass, district, created_by, reviewed_by;
	int64_t created_at, updated_at, reviewed_at, submitted_at, date;
	const char *term, *type, *title, *fields, *status, *comment,
	    *created_role, *ref;
};

/* Publishes "records.created" (docs/events.md) for the new record r
 * in the caller's transaction. 0, or a subscriber's refusal. */
int rec_created_event(jx_db *db, const struct rec_row *r);
/* Reads record id; 1 found, 0 none, -1 error. */
int rec_load(jx_req *req, jx_db *db, int64_t id, struct rec_row *r);
/* The record as the API shows it (hide_private: 公示's view). */
cJSON *rec_json(jx_req *req, jx_db *db, const struct rec_row *r,
                int hide_private);
/* The capacity in which the acting identity writes for a student at
 * school/klass: "student", "parent", "head_teacher", "teacher",
 * "school_admin", or NULL (the API's rule; the pages ask it too). */
const char *rec_capacity(jx_req *req, int64_t student, int64_t school,
                         int64_t klass);
/* 1 when the acting identity may read the student's records. */
int rec_may_read(jx_req *req, int64_t student);
/* Where a student is: school, class (0: none), district; 0 or -1. */
int rec_student_place(jx_db *db, int64_t student, int64_t *school,
                      int64_t *klass, int64_t *district);
/* Sends the in-app message of template tmpl (params, ref) to each
 * person id in column 0 of st's rows, then finishes st (NULL: -1). 0 or
 * -1. */
int rec_send_inapp(jx_db *db, jx_stmt *st, const char *tmpl,
                   const cJSON *params, const char *ref);
/* Sends the in-app message of template about r to the student and the
 * parents (the notify service). 0 or -1. */
int rec_notify_family(jx_db *db, const struct rec_row *r, const char *tmpl,
                      const char *comment);
/* The service's create (records.v1). */
int64_t rec_service_create(jx_db *db, const struct jx_record_new *n, char *err,
                           size_t errlen);
int rec_file_visible(jx_req *req, const char *ref, void *ud);

int route_types(jx_req *req, void *ud);
int route_create(jx_req *req, void *ud);
int route_list(jx_req *req, void *ud);
int route_get(jx_req *req, void *ud);
int route_patch(jx_req *req, void *ud);
int route_delete(jx_req *req, void *ud);
int route_submit(jx_req *req, void *ud);

/* ---- records_review.c ------------------------------------------------- */
int route_pending(jx_req *req, void *ud);
int route_review(jx_req *req, void *ud);
int route_review_batch(jx_req *req, void *ud);
int64_t rec_pending_count(jx_req *req, void *ud);
/* 1 when the acting identity reviews r (head teacher of its class,
 * school admin of its school). */
int rec_may_review(jx_req *req, const struct rec_row *r);

/* ---- records_terms.c -------------------------------------------------- */

/* 1 for "2026-2027-1" shaped terms (consecutive years, term 1 or 2). */
int rec_term_valid(const char *term);
/* The term holding unix time t by the district's rule, into out (16). */
int rec_term_of(jx_db *db, int64_t district, int64_t t, char *out,
                size_t outlen);
/* 1 open for writing at school, 0 closed, -1 error. */
int rec_term_open(jx_db *db, int64_t district, int64_t school,
                  const char *term);
/* The creators of t in district after the rule narrowed them (arena
 * when req, else malloc'ed: caller frees). NULL on error. */
char *rec_creators(jx_req *req, jx_db *db, int64_t district,
                   const struct rec_type *t);
/* Publicity days of the district (>= 1). */
int rec_publicity_days(jx_db *db, int64_t district);
int route_term_reopen(jx_req *req, void *ud);
int route_terms(jx_req *req, void *ud);
/* Replies the closed term's 422 (field "term"). */
int rec_term_closed(jx_req *req, const char *term);

/* ---- records_publicity.c ---------------------------------------------- */
int route_publicity_create(jx_req *req, void *ud);
int route_publicity_get(jx_req *req, void *ud);
int route_objection(jx_req *req, void *ud);
int route_objections(jx_req *req, void *ud);
int route_publicity_close(jx_req *req, void *ud);
/* The timer channel and its subscriber. 0 or -1. */
int rec_publicity_init(struct jx_registrar *reg);
/* 1 when the acting identity sees record id through an open 公示 (then
 * only its fields that are not private). */
int rec_publicity_reader(jx_req *req, jx_db *db, int64_t record);

/* ---- records_portfolio.c ---------------------------------------------- */
int route_portfolio(jx_req *req, void *ud);
int route_portfolio_zip(jx_req *req, void *ud);
cJSON *rec_space_items(jx_req *req, int kind, int64_t owner, int limit,
                       int64_t *total, void *ud);

/* ---- records_pages.c: the pages --------------------------------------- */
int page_records_mine(jx_req *req, void *ud);
int page_records_new(jx_req *req, void *ud);
int page_record(jx_req *req, void *ud);
int page_record_edit(jx_req *req, void *ud);
int page_records_review(jx_req *req, void *ud);
int page_publicity(jx_req *req, void *ud);
int page_publicity_pick(jx_req *req, void *ud);
int page_portfolio(jx_req *req, void *ud);
/* The pages' menu entries and the student's tab. 0. */
int rec_pages_init(struct jx_registrar *reg);

#endif
