/*
 * practice_checkin.h — check-in and what hangs on it (issue 18), shared
 * by practice_checkin.c (the check-in itself, the API and the signed QR
 * code), practice_checkin_pages.c (the scan landing page and the staff's
 * list), practice_record.c (the record type social_practice),
 * practice_space.c (the learning space's section), practice_remind.c
 * (reminders the day before) and practice_export.c (the attendance
 * sheet).
 *
 * When a registration may be checked in: it is confirmed, the activity
 * is not cancelled, and the host's clock is inside the check-in window,
 * from PRACTICE_CHECKIN_EARLY before the activity's start to
 * PRACTICE_CHECKIN_LATE after its end. The signed QR link expires at
 * the window's end too, so a code is good for exactly as long as a
 * check-in is possible.
 *
 * SQL: the portable subset only (DESIGN.md 6; no SQLite-only form in
 * these files): decisions are conditional UPDATEs (status =
 * 'confirmed', reminded_at IS NULL) inside the write transaction, local
 * days are computed in C.
 */
#ifndef PRACTICE_CHECKIN_H
#define PRACTICE_CHECKIN_H

#include "practice.h"

#define PRACTICE_CHECKIN_EARLY (6 * 3600)
#define PRACTICE_CHECKIN_LATE (12 * 3600)
/* The purpose the QR links are signed for (jx_host->mac). */
#define PRACTICE_CHECKIN_PURPOSE "practice.checkin"
#define PRACTICE_RECORD_TYPE "social_practice"
/* A record's hours: at most this many (the bound activities have). */
#define PRACTICE_RECORD_HOURS_MAX (24 * 366)

/* A registration with what a check-in needs of its activity, base and
 * student (strings in the request's arena, or malloc'ed when loaded
 * without a request: practice_checkin_free). */
struct practice_checkin_row {
	int64_t id, activity, student, base, district;
	int64_t school, klass; /* the student's now (0: left school) */
	int64_t starts_at, ends_at, checked_in_at, checked_in_by, record_id;
	double hours;
	char status[16];          /* the registration's */
	char activity_status[16]; /* open, closed, cancelled */
	const char *title, *description, *base_name, *student_name;
	const char *class_name, *school_name;
};

/* Why a check-in cannot happen (practice_checkin_state). */
enum practice_checkin_state {
	PRACTICE_CI_READY = 0,
	PRACTICE_CI_DONE,          /* already checked in */
	PRACTICE_CI_NOT_CONFIRMED, /* waitlisted or cancelled */
	PRACTICE_CI_CANCELLED,     /* the activity was cancelled */
	PRACTICE_CI_EARLY,         /* the window is not open yet */
	PRACTICE_CI_LATE,          /* the window has closed */
};

/* Loads registration id: 1, 0 (no such registration), -1 on error. */
int practice_checkin_load(jx_req *req, jx_db *db, int64_t id,
                          struct practice_checkin_row *c);
/* What stands in the way of checking c in now (enum above). */
int practice_checkin_state(const struct practice_checkin_row *c, int64_t now);
/* The i18n key saying state to a person ("practice.checkin.state.*"). */
const char *practice_checkin_state_key(int state);
/* 1 when the acting identity may check c in: a base admin of the
 * activity's base, or a teacher who teaches the student's class. */
int practice_checkin_may(jx_req *req, jx_db *db,
                         const struct practice_checkin_row *c);
/* 1 when the acting identity may see c at all (the family, the staff
 * of the activity, the student's teachers): who gets 403 rather than
 * 404. */
int practice_checkin_sees(jx_req *req, jx_db *db,
                          const struct practice_checkin_row *c);
/*
 * Checks c in, in the caller's open transaction, by the acting identity
 * (whose rights the caller checked): the registration becomes
 * checked_in, the approved social_practice record is created, the
 * family told, practice.checked_in published. 0; or the blocking state
 * (> 0, nothing written); or -1 on a storage error (roll back).
 */
int practice_checkin_apply(jx_req *req, jx_db *db,
                           struct practice_checkin_row *c);
/* The registration after a check-in, as the API shows it (caller owns). */
cJSON *practice_checkin_json(jx_req *req, const struct practice_checkin_row *c);
/* 1 when identity i is a teacher who teaches class klass of school. */
int practice_teaches(const struct jx_identity *i, int64_t school,
                     int64_t klass);
/* A class as the school calls it, 一年级1班 (roster's grade names; ""
 * without a name), in the arena. */
const char *practice_class_name(jx_req *req, int64_t grade, const char *name);
/* Local time as "12月8日 08:00" (zh-CN) or "12-08 08:00" (arena). */
const char *practice_local_time(jx_req *req, int64_t t);
/* The first max characters of UTF-8 text s (malloc'ed), or NULL. */
char *practice_cut(const char *s, size_t max);
/* The QR link's expiry for c: the end of its check-in window. */
int64_t practice_checkin_expiry(const struct practice_checkin_row *c);
/* Checks a signed link's r, e and s (the query or form of the scan
 * page): 1 when s is the MAC of "r.e" (constant-time compare), with *reg
 * and *expiry set; 0 when malformed or forged. */
int practice_checkin_verify(const char *r, const char *e, const char *s,
                            int64_t *reg, int64_t *expiry);

/* The staff's list for an activity, in class order: confirmed and
 * checked-in registrations as the acting identity may see them (the
 * base's staff and the district's admins: all; a teacher: their
 * classes' students). A JSON array (caller owns) of {"id","student_id",
 * "name","school_name","class_name","status","checked_in_at","hours",
 * "can_check_in"}, or NULL when the activity is not visible to the
 * caller (404); *a is loaded from the activity. */
struct practice_activity_head {
	int64_t id, base, district, starts_at, ends_at;
	double hours;
	char status[16];
	const char *title, *base_name;
	int manager; /* manages the base (district admin, base admin) */
	int badmin;  /* a base admin of it: checks in anyone */
	int teacher; /* a teacher: checks in their own students */
};
int practice_activity_head(jx_req *req, jx_db *db, int64_t id,
                           struct practice_activity_head *a);
cJSON *practice_attendance(jx_req *req, jx_db *db,
                           const struct practice_activity_head *a);

/* Routes (practice_checkin.c). */
int practice_checkin_post(jx_req *req, void *ud);
int practice_qr_get(jx_req *req, void *ud);
/* Routes (practice_checkin_pages.c). */
int practice_scan_get(jx_req *req, void *ud);
int practice_scan_post(jx_req *req, void *ud);
int practice_list_get(jx_req *req, void *ud);
int practice_list_post(jx_req *req, void *ud);
/* Routes (practice_export.c, practice_remind.c). */
int practice_attendance_xlsx(jx_req *req, void *ud);
int practice_remind_run(jx_req *req, void *ud);

/* At init: the record type (-1: refused, the plugin fails), the
 * learning space's section, the reminders' timer and job. 0 or -1. */
int practice_checkin_init(struct jx_registrar *reg);
int practice_record_init(void);
void practice_space_init(void);
int practice_remind_init(struct jx_registrar *reg);
/* The approved social_practice record for c, by records.v1 create in
 * db's open transaction: its id, or -1 with err. */
int64_t practice_record_create(jx_db *db, const struct practice_checkin_row *c,
                               int64_t by_person, char *err, size_t errlen);

#endif
