/*
 * roster_people.h — what the student, teacher and page files of the
 * roster share (roster_people.c, roster_students.c, roster_teachers.c,
 * roster_pages.c). Private to them; the rest of the plugin uses
 * roster.h.
 */
#ifndef ROSTER_PEOPLE_H
#define ROSTER_PEOPLE_H

#include "roster.h"

/* ---- roster_people.c: shared helpers ----------------------------------- */

/* 1 under /api/, where replies are JSON; 0 for a page. */
int people_is_api(jx_req *req);
/* A string member, or null for SQL NULL. */
void people_add_text(cJSON *o, const char *key, const char *v);
/* A number member as an integer, 0 when absent or not a number. */
int64_t people_number(const cJSON *o, const char *key);
/* Characters (not bytes) of UTF-8 text. */
size_t people_chars(const char *s);
int people_utf8_ok(const char *s);
/* The school's name (arena), "" when none. */
const char *people_school_name(jx_req *req, jx_db *db, int64_t school);
/* The school's classes [{"id","grade","name","full_name"}] (owned by the
 * caller), only those a teacher teaches or heads when teacher (a person
 * id) is not 0. */
cJSON *people_class_options(jx_db *db, int64_t school, int64_t teacher);

/* A list request: ?limit, cursor, status, class_id, q. */
struct people_filter {
	int64_t school, after, limit, klass, teacher, only;
	const char *status;     /* "" for any */
	const char *q;          /* "" for none */
	char hash[65];          /* of q when it is shaped like an ID number */
	char national_hash[65]; /* of q as a 全国学籍号 */
	const char *contains, *prefix; /* q as LIKE patterns */
};
/* Reads the filter (a page opens on status in_school, the API on all);
 * 0, or -1 after adding errors. */
int people_filter_parse(jx_req *req, struct people_filter *f, int page);
/* Adds "next_url" and "first_url" of a list page under base. */
void people_page_links(jx_req *req, cJSON *out, const char *base,
                       const struct people_filter *f);

/*
 * The problems of one request's input: each goes to the API's problem
 * (jx_host->problem_error) and, for a page, into list, so that the form
 * can be shown again with them. list belongs to the request (deferred).
 */
struct people_errs {
	jx_req *req;
	cJSON *list; /* [{"field","message"}], NULL under /api/ */
	int bad;
};
void people_err(struct people_errs *e, const char *field, const char *msg);
/* A trimmed string member (arena); NULL when absent, null or empty. An
 * error when required and missing, not a string, not UTF-8 or longer
 * than max characters. */
const char *people_string(struct people_errs *e, const cJSON *body,
                          const char *name, size_t max, int required);
/* Frees json when the request ends; returns it. */
cJSON *people_defer_json(jx_req *req, cJSON *json);
/* The body of a write: the JSON object under /api/, else the form's
 * fields among keys (freed with the request). NULL after a 400, 413 or
 * 415 reply. */
const cJSON *people_body(jx_req *req, const char *const *keys);
/* id when it is a class of the school, else 0 after an error on field. */
int64_t people_class_of_school(struct people_errs *e, jx_db *db, int64_t school,
                               int64_t id, const char *field);

/* Shows a form again with the values sent and the errors (neither
 * taken): the add pages, or the student's card. */
typedef int (*people_show_fn)(jx_req *req, jx_db *db, int64_t target,
                              const cJSON *values, const cJSON *errors,
                              int status);
/* The reply to a failed write: 409 for a conflict, else 422; a page
 * shows its form again through show. */
int people_write_failed(jx_req *req, const struct people_errs *e, int conflict,
                        people_show_fn show, int64_t target, const cJSON *body);

/* The form fields of the add-student and add-teacher pages. */
extern const char *const people_student_keys[];
extern const char *const people_teacher_keys[];

/* ---- roster_departures.c ------------------------------------------------ */

/* The students who left f->school and are now on another school's roll
 * (transferred out), as left-list items with "transferred_to", ordered
 * by id, up to f->limit (class and name filters apply). NULL on error. */
cJSON *roster_departures_list(jx_db *db, const struct people_filter *f);
/* Two id-ordered item lists as one, at most limit long (both taken). */
cJSON *roster_departures_merge(cJSON *a, cJSON *b, int64_t limit);

/* ---- the files' routes -------------------------------------------------- */

/* ---- roster_pages.c ----------------------------------------------------- */

/* The add forms of a school, shown again after a failed post. */
int people_new_student_page(jx_req *req, jx_db *db, int64_t school,
                            const cJSON *values, const cJSON *errors,
                            int status);
int people_new_teacher_page(jx_req *req, jx_db *db, int64_t school,
                            const cJSON *values, const cJSON *errors,
                            int status);

#endif
