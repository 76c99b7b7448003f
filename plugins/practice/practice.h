/*
 * practice.h — what the files of the practice plugin share (issue 18:
 * social practice — bases and their staff, activities, registrations
 * with capacity and a waitlist).
 */
#ifndef PRACTICE_H
#define PRACTICE_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <jx/org.h>
#include <jx/plugin.h>

#include "jxplug.h"

JX_HOST_EXTERN;
extern const struct jx_org_v1 *practice_org;
extern const char *const practice_migrations[];

/* The acting identity's reach (practice.c). */
struct practice_who {
	const struct jx_identity *id;
	int64_t district; /* the identity's district (0: city admin) */
	int64_t person;
	int city;        /* city admin: every district */
	int dadmin;      /* district admin of district */
	int badmin;      /* base admin: the bases of practice_base_admins */
	int family;      /* parent or student: acts for student */
	int64_t student; /* parent: the child; student: self */
};

/* The reach of req's acting identity: 0, or -1 when anonymous. */
int practice_who(jx_req *req, struct practice_who *w);

/* 1 when w manages base (city admin, the district's admin, a base
 * admin of the base), 0 when it does not, -1 on error. */
int practice_base_manages(jx_db *db, const struct practice_who *w,
                          int64_t base);
/* 1 when w may see base: a manager, or anyone of the base's district
 * (families and staff of schools see bases of their district). */
int practice_base_visible(jx_db *db, const struct practice_who *w,
                          int64_t base);
/* The district of base, 0 when there is no such base, -1 on error. */
int64_t practice_base_district(jx_db *db, int64_t base);

/* "1.5" from tenths as a JSON number. */
double practice_hours(int64_t tenths);

/* A string member of o, or NULL. */
const char *practice_str(const cJSON *o, const char *k);
/* Adds a problem error naming field, with the message of i18n key
 * ("practice.err.capacity") in the request's language. */
void practice_bad(jx_req *req, const char *field, const char *key);
/* 422 with the errors added so far. */
int practice_invalid(jx_req *req);
/* 409 (or another status) with the message of key as its detail. */
int practice_refuse(jx_req *req, int status, const char *type, const char *key);
/* A string of 1..max characters (leading and trailing spaces dropped,
 * no control characters; text allows newlines) at o.k, into *out
 * (arena); required: missing is an error. 0, or -1 after practice_bad.
 */
int practice_text(jx_req *req, const cJSON *o, const char *k, int required,
                  size_t max, int multiline, const char **out);

/* Handlers (practice_bases.c). */
int practice_bases_create(jx_req *req, void *ud);
int practice_bases_list(jx_req *req, void *ud);
int practice_bases_get(jx_req *req, void *ud);
int practice_bases_patch(jx_req *req, void *ud);
int practice_base_admins_create(jx_req *req, void *ud);
int practice_base_admins_list(jx_req *req, void *ud);
int practice_base_admins_delete(jx_req *req, void *ud);

/* Handlers (practice_activities.c). */
int practice_activities_create(jx_req *req, void *ud);
int practice_activities_list(jx_req *req, void *ud);
int practice_activities_get(jx_req *req, void *ud);
int practice_activities_patch(jx_req *req, void *ud);
int practice_activities_close(jx_req *req, void *ud);
int practice_activities_cancel(jx_req *req, void *ud);

/* Activities: 1 when w manages the activity (through its base), 0 when
 * it does not (or no such activity), -1 on error. */
int practice_activity_manages(jx_db *db, const struct practice_who *w,
                              int64_t activity);
/* 1 when w may see the activity: a manager; a family of its district
 * whose child's grade it is for; staff of a school of its district. 0
 * otherwise (or no such activity), -1 on error. */
int practice_activity_visible(jx_db *db, const struct practice_who *w,
                              int64_t activity);
/* The activity as the API shows it (caller owns), or NULL when there is
 * no such activity. */
cJSON *practice_activity_json(jx_req *req, jx_db *db, int64_t activity);

/* Confirms waitlisted registrations, first registered first, while
 * seats are free, telling each family; in the caller's transaction. The
 * number confirmed, or -1. */
int64_t practice_promote(jx_db *db, int64_t activity);

/* A registration as the API shows it, with its activity's title, times,
 * hours and base (caller owns), NULL when there is none. */
cJSON *practice_registration_json(jx_db *db, int64_t id);
/* Who w is to registration id: 2 staff (manages the activity), 1 the
 * family (the acting parent's child, the student), 0 neither (or no
 * such registration), -1 on error; *activity and *student are set. */
int practice_registration_reach(jx_db *db, const struct practice_who *w,
                                int64_t id, int64_t *activity,
                                int64_t *student);

/* Handlers (practice_registrations.c). */
int practice_reg_create(jx_req *req, void *ud);
int practice_reg_mine(jx_req *req, void *ud);
int practice_reg_of_activity(jx_req *req, void *ud);
int practice_reg_get(jx_req *req, void *ud);
int practice_reg_delete(jx_req *req, void *ud);

/*
 * Tells the family of student (the guardians, in the app and by WeChat
 * where the wechat plugin is active, else by SMS where the district can
 * send; the student in the app) about an activity: template is
 * "practice_confirmed", "practice_cancelled" or
 * "practice_activity_cancelled". In the caller's transaction. 0 or -1.
 */
int practice_tell_family(jx_db *db, int64_t student, int64_t activity,
                         const char *template_name, int64_t registration);
/* notify.result: a WeChat message about a registration that failed is
 * sent by SMS where the district can (practice_notify.c). */
int practice_notify_result(jx_db *db, const char *event, const cJSON *payload,
                           void *ud);

#endif
