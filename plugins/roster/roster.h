/*
 * roster.h — shared pieces of the roster plugin: the host and org
 * service tables, input helpers, grade and class names, and the
 * functions each roster file exports to the others.
 */
#ifndef ROSTER_H
#define ROSTER_H

#include <stddef.h>
#include <stdint.h>

#include <jx/org.h>
#include <jx/plugin.h>

#include "jxplug.h"

JX_HOST_EXTERN;
extern const struct jx_org_v1 *roster_org;

#define ROSTER_MAX_NAME 50

/* ---- handlers of the route table (roster.c) --------------------------- */
int classes_get(jx_req *req, void *ud);
int classes_create(jx_req *req, void *ud);
int classes_batch(jx_req *req, void *ud);
int classes_patch(jx_req *req, void *ud);
int classes_delete(jx_req *req, void *ud);
int students_list(jx_req *req, void *ud);
int students_create(jx_req *req, void *ud);
int student_get(jx_req *req, void *ud);
int student_patch(jx_req *req, void *ud);
int student_leave(jx_req *req, void *ud);
int student_reinstate(jx_req *req, void *ud);
int pages_class_update(jx_req *req, void *ud);
int pages_class_delete(jx_req *req, void *ud);
int teachers_list(jx_req *req, void *ud);
int teachers_create(jx_req *req, void *ud);
int teacher_leave(jx_req *req, void *ud);
int teacher_patch(jx_req *req, void *ud);
int teacher_edit_page(jx_req *req, void *ud);
int pages_roster(jx_req *req, void *ud);
int pages_new(jx_req *req, void *ud);
int pages_class_create(jx_req *req, void *ud);
int guardians_remove(jx_req *req, void *ud);
int sheets_template(jx_req *req, void *ud);
int sheets_export(jx_req *req, void *ud);
int sheets_import_page(jx_req *req, void *ud);
int import_post(jx_req *req, void *ud);
int slips_get(jx_req *req, void *ud);
int slips_teachers_get(jx_req *req, void *ud);
int parents_list(jx_req *req, void *ud);
int myclass_get(jx_req *req, void *ud);
int myclass_menu(jx_req *req, void *ud);

/* ---- roster.c: helpers ---------------------------------------------- */

/* 404 in the API's words: no such thing, or not visible to you. */
int roster_not_found(jx_req *req);
int roster_forbidden(jx_req *req);
int roster_storage_error(jx_req *req);
/* 422 with the errors added so far (jx_host->problem_error). */
int roster_invalid(jx_req *req, const char *detail);
/* A string member, trimmed into arena memory: NULL when absent or
 * null; sets *bad and adds an error when required and empty or longer
 * than max characters. */
const char *roster_string(jx_req *req, const cJSON *body, const char *name,
                          size_t max, int required, int *bad);
/* Grade from 1-12, 一年级..九年级, 初一..初三, 高一..高三; 0 when not. */
int roster_parse_grade(const char *s);
/* "七年级1班", "初一(2)班", "7年级3班" → grade and class name ("1班");
 * 0 or -1. */
int roster_parse_grade_class(const char *s, int *grade, char *name,
                             size_t namelen);
/* 男/女 from 男, 女, male, female, m, f (any case); NULL otherwise. */
const char *roster_gender(const char *s);
/* An ID number normalised (upper-case X) into out; 0 when it has the
 * 18-character shape (17 digits and a digit or X), -1 otherwise. */
int roster_id_number(const char *s, char *out, size_t outlen);
/* 1 when an 18-character ID number's MOD 11-2 check digit holds. */
int roster_id_checksum_ok(const char *id);
/* 0 when the caller manages the school; else the status replied: 404
 * when it is not visible (or does not exist), 403 when only visible. */
int roster_manage(jx_req *req, int64_t school);
/* The school's district id, or 0 when there is no such school. */
int64_t roster_school_district(jx_db *db, int64_t school);
/* Tells subscribers (keyinfo) that a student was added, edited, moved or
 * left: event roster.student_changed {"student_id"}, in the caller's
 * transaction. 0 or non-zero (roll back). */
int roster_student_changed(jx_db *db, int64_t student);
/* The same for many students of a school at once (an import):
 * roster.school_changed {"school_id"}. */
int roster_school_changed(jx_db *db, int64_t school);
/* ---- roster_classes.c ------------------------------------------------ */
/* The school's classes as the API lists them (only > 0: that one). */
cJSON *roster_classes_list(jx_db *db, int64_t school, int64_t only);
/* The class id of grade + name in the school, 0 when none. */
int64_t roster_class_find(jx_db *db, int64_t school, int grade,
                          const char *name);
/* The grades the school's stage has (primary 1-6, junior 7-9, senior
 * 10-12, nine_year 1-9, twelve_year and unknown 1-12). */
void roster_school_grades(jx_db *db, int64_t school, int *lo, int *hi);
struct roster_error;
/* 0 when the school has the grade, else -1 with err filled (field
 * "grade", the reason in Chinese and in English). */
int roster_grade_check(jx_db *db, int64_t school, int grade,
                       struct roster_error *err);
/* zh or en, whichever is the request's language (zh for no request): a
 * page in zh-CN shows Chinese only (issue 13). */
const char *roster_tr(jx_req *req, const char *zh, const char *en);
/* The classes page (taking extra, the page's data so far, or NULL):
 * the classes, and for its managers the teachers to choose a head
 * teacher from. */
int roster_classes_page(jx_req *req, jx_db *db, int64_t school, int status,
                        cJSON *extra);
/* Adds grade_min and grade_max (the school's grades) to page data. */
void roster_grades_add(jx_db *db, int64_t school, cJSON *d);

/* ---- roster_people.c, roster_students.c, roster_teachers.c ---------- */
/* The student API object (ID number masked). NULL when none. */
cJSON *roster_student_json(jx_db *db, int64_t student);

/* ---- roster_apply.c: one row of any source (API, import) ------------- */

enum roster_outcome {
	ROSTER_CREATED = 1,
	ROSTER_UPDATED = 2,
	ROSTER_UNCHANGED = 3,
};

/* NULL members mean "not given: keep what is stored". A value that
 * contains '*' (a masked export) also keeps what is stored. */
struct roster_guardian_in {
	const char *name, *phone, *relation;
};
struct roster_student_in {
	const char *name;
	const char *gender; /* 男 / 女 */
	int grade;          /* with class_name, or class_id */
	const char *class_name;
	int64_t class_id;
	int create_classes;    /* a missing class is created */
	const char *id_number; /* normalised: 17 digits + digit or X */
	const char *national_no;
	/* 学生账号 (an export's): matches the school's student first */
	const char *login;
	const char *city_no;
	struct roster_guardian_in guardians[2];
	int nguardians;
	/* Set by a caller that knows no in-school student of the row's
	 * class has this name (an import keeps the class rosters' names):
	 * the 姓名+年级+班级 match, which scans the class, is skipped. */
	int no_name_match;
	/* Set by a caller (the import) that announces the whole school once
	 * (roster_school_changed) instead of each student. */
	int quiet;
};
struct roster_teacher_in {
	const char *name, *phone, *gender, *subject;
	const int64_t *class_ids; /* NULL: keep; else replace this school's */
	int nclass_ids;
	const int64_t *head_of_class_ids; /* NULL: keep */
	int nhead_of_class_ids;
};
struct roster_parent_in {
	const char *student_login; /* or one of the two numbers */
	const char *student_national_no, *student_id_number;
	const char *name, *phone, *relation;
};

/* A 全国学籍号 as stored (jx/org.h): normalised, its keyed hash, the
 * form shown without a reveal, and sealed when it embeds an ID number. */
struct roster_national {
	char norm[64]; /* "" when not given (or masked: keep what is stored) */
	char hash[65];
	char shown[64];
	char *sealed; /* malloc'ed, or NULL */
};
/* Prepares n from a given value (NULL, "" or a masked one leave it
 * empty). 0, or -1 when the value is too long or cannot be sealed. */
int roster_national_prepare(const char *value, struct roster_national *n);
void roster_national_free(struct roster_national *n);
/* Writes a prepared (non-empty) n to the student. 0 or -1. */
int roster_national_write(jx_db *db, int64_t student,
                          const struct roster_national *n);

/* An error of one row: the column at fault and its message in both
 * languages (an import stores both; a request shows its own). */
struct roster_error {
	const char *field;    /* API name: "national_no", "class" ... */
	char message[256];    /* zh-CN */
	char message_en[256]; /* en */
};

/*
 * Each writes one row on the caller's transaction (the caller wraps the
 * row in a savepoint, so a failed row leaves nothing) and returns a
 * roster_outcome, or -1 with err filled. student/teacher ids are
 * person ids. A student still in school elsewhere is an error that
 * names nothing of the other school; one who left elsewhere comes back
 * (a transfer) with their records.
 */
int roster_student_apply(jx_db *db, int64_t school,
                         const struct roster_student_in *in, int64_t *student,
                         struct roster_error *err);
int roster_teacher_apply(jx_db *db, int64_t school,
                         const struct roster_teacher_in *in, int64_t *teacher,
                         struct roster_error *err);
int roster_parent_apply(jx_db *db, int64_t school,
                        const struct roster_parent_in *in, int64_t *parent,
                        struct roster_error *err);
/* A student or teacher leaves school: status left, identities ended
 * (a student's parents' identities for that child too), data kept. */
int roster_student_leave(jx_db *db, int64_t student, const char *reason);
int roster_teacher_leave(jx_db *db, int64_t school, int64_t teacher);

/* ---- roster_departures.c --------------------------------------------- */
/* Records that a student has just left their school (after
 * org->student_leave): name, class, time and reason as they were. 0 or
 * -1. */
int roster_departure_open(jx_db *db, int64_t student);
/* Completes the student's open departures with the school that takes
 * them in (their old school's, on reinstatement), before
 * org->student_readmit; writes the departure first for a student who
 * left before departures were kept. 0 or -1. */
int roster_departure_close(jx_db *db, int64_t student, int64_t school,
                           int64_t now);

/* ---- roster_import.c ------------------------------------------------- */
int roster_import_init(struct jx_registrar *reg);

/* A sheet column: the Chinese header, the English alias, the API field
 * the row functions name in errors, required or not. Lists end with a
 * NULL header. */
struct roster_column {
	const char *header, *alias;
	int required;
	const char *note; /* for the template's notes row */
	const char *example;
};
extern const struct roster_column roster_student_columns[];
extern const struct roster_column roster_teacher_columns[];
extern const struct roster_column roster_parent_columns[];
/* 1 for the columns that exports add after the template's: 学生账号. */
int roster_column_export_only(const struct roster_column *col);
/* The columns of kind ("students", "teachers", "parents") or NULL. */
const struct roster_column *roster_columns(const char *kind);

/* ---- roster_sheets.c (templates, export) ----------------------------- */

/* ---- roster_guardians.c ----------------------------------------------- */

/* ---- roster_slips.c -------------------------------------------------- */

/* ---- roster_parents.c, roster_myclass.c ------------------------------ */
/* An adult's account state: "active" (a password of their own),
 * "pending" (an initial password still usable, or SMS activation
 * awaited) or "expired" (the initial password ran out unused); NULL
 * when there is no such account. */
const char *roster_activation(jx_db *db, int64_t account);
int roster_sms_gateway(jx_db *db, int64_t school);
/* Adds "activation" (when account > 0) and "wechat" ("followed",
 * "unfollowed", "unbound"; left out without the wechat plugin) to o. */
void roster_adult_state(jx_db *db, int64_t person, int64_t account, cJSON *o);
/* The head teacher's menu entry and home cells. 0 or -1. */
int roster_myclass_init(struct jx_registrar *reg);

#endif
