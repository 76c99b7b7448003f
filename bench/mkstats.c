/*
 * mkstats.c — the statistics benchmark's district (bench/stats.sh, issue
 * 19, "Performance"): writes one district of N students in S nine-year
 * schools (grades 1-9, classes of about 40) straight into the SQLite
 * database of a data directory that `jiaxiao init` made and `jiaxiao
 * serve` opened once (so the host's and the plugins' migrations ran):
 * persons, accounts and identities for every student, two parents per
 * student bound as guardians, a head teacher per class and subject
 * teachers with their teaching, a school admin per school and the
 * district admin; WeChat bindings (followed or not) for the adults who
 * bound one; key-information counts per class and school; and a year of
 * daily activity (the DAYS local days before today in Asia/Shanghai,
 * the default `timezone`: UTC+8 all year) written straight into the
 * stats plugin's aggregate tables as its subscribers and its refresh
 * would leave them (ms_person_stats: person weeks with the day bitmap,
 * upload days; ms_daily_stats: class and school days and weeks, state,
 * space days), with stats_person_state for the WeChat followers and the
 * nightly refresh due a day later (stats_meta).
 *
 * Activity (deterministic in the person's index and the day):
 *   - who activated (did the first login): students 88%, parents 78%,
 *     teachers 97%, admins all; 70% of those before the year began, the
 *     rest on a day of the year (more at the start of the autumn term);
 *     nobody is active before that day;
 *   - each activated person has a propensity (heavy and light users);
 *     the chance of a login on a day is the propensity times the day's
 *     factor for the role: school days high for students and teachers,
 *     weekends low, the winter and summer holidays and public holidays
 *     lower still; parents look in on weekends more than students;
 *   - 1-3 logins on an active day;
 *   - uploads (growth records created, files attached to posts and
 *     records) by students, parents and teachers on their active days;
 *   - WeChat: 72% of the activated parents and 60% of the activated
 *     teachers have a bound openid that is followed, 5% more one they
 *     unfollowed.
 *
 * Nobody has a password except the logins the benchmark uses (-w): the
 * district admin, the school admin, a head teacher and a parent of the
 * school the benchmark reads (the middle one), whose argon2id hashes are
 * written as the host writes a changed password. The other activated
 * accounts hold a placeholder that no password matches (activation is
 * "a password of the holder's own is set", org->activation), the others
 * none. Everything is deterministic in the sizes and today's date.
 *
 * Speed: the load runs with the journal off (a crash leaves a broken
 * database: run it again on a fresh `jiaxiao init`), in one transaction
 * per school batch, with prepared statements, rows in the order of each
 * table's key, and the stats tables' secondary indexes dropped before
 * and made again after the load (their CREATE INDEX read back from
 * sqlite_master). The journal is WAL again at the end. (SQLite only:
 * the PRAGMAs and sqlite_master; a PostgreSQL benchmark, issue 20,
 * would load with COPY instead. The INSERTs are portable.)
 *
 * Prints "key value..." lines for bench/stats.sh: "district ID",
 * "schools N", "classes N", "students N", "teachers N", "parents N",
 * "wechat_followed N", "days FROM TO" (YYYYMMDD), "district_admin
 * LOGIN", "school ID", "school_admin LOGIN", "teacher LOGIN", "parent
 * LOGIN", "range7 FROM TO", "range30 FROM TO", "rangeall FROM TO", and
 * the figures the generator decided for each class of the benchmark's
 * school ("class ID ...") and for the school itself ("school_row ID
 * ..."), as docs/stats.md defines them: accounts activated
 * wechat_followed keyinfo_complete unreached, then logins (distinct
 * persons) login_days uploads over range7, range30 and rangeall.
 *
 * usage: mkstats [-n STUDENTS] [-s SCHOOLS] [-d DAYS] [-w PASSWORD]
 *                DATA_DIR
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "crypto.h"
#include "host.h"
#include "mkdb.h"

#define MS_PER_CLASS 40
#define MS_GRADES 9
#define MS_MAXDAYS 800
/* Schools written in one transaction. */
#define MS_BATCH 50
/* What an activated account holds instead of a hash: no password
 * matches it (crypto_password_verify fails on it), and it is not NULL,
 * so the account counts as activated. */
#define MS_NO_PASSWORD "!bench: activated, no password"

enum {
	MS_PERSON,
	MS_ADULT,
	MS_ACCOUNT,
	MS_IDENTITY,
	MS_CLASS,
	MS_HEAD,
	MS_STUDENT,
	MS_TEACHER,
	MS_TEACHING,
	MS_GUARDIAN,
	MS_SCHOOL,
	MS_WECHAT,
	MS_KI_CLASS,
	MS_KI_SCHOOL,
	MS_PWEEK,
	MS_PDAY,
	MS_CDAY,
	MS_CWEEK,
	MS_SDAY,
	MS_SWEEK,
	MS_CSTATE,
	MS_SSTATE,
	MS_SPACE,
	MS_NSTMT
};

static const char *const ms_sql[MS_NSTMT] = {
    "INSERT INTO persons(name, gender, created_at) VALUES (?, ?, ?)",
    "INSERT INTO persons(name, gender, phone, created_at) VALUES (?, ?, ?, "
    "?)",
    "INSERT INTO accounts(person_id, login, password_hash, "
    "must_change_password, created_at, password_changed_at, "
    "last_login_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    "INSERT INTO identities(account_id, role, district_id, school_id, "
    "student_id, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    "INSERT INTO classes(school_id, grade, name, created_at) VALUES (?, ?, "
    "?, ?)",
    "UPDATE classes SET head_teacher_id = ? WHERE id = ?",
    "INSERT INTO students(person_id, school_id, class_id, created_at) "
    "VALUES (?, ?, ?, ?)",
    "INSERT INTO teachers(person_id, school_id, subject, created_at) VALUES "
    "(?, ?, ?, ?)",
    "INSERT INTO teaching(teacher_id, class_id) VALUES (?, ?)",
    "INSERT INTO guardians(parent_id, student_id, relation, created_at) "
    "VALUES (?, ?, ?, ?)",
    "INSERT INTO schools(district_id, code, name, stage, created_at) VALUES "
    "(?, ?, ?, 'nine_year', ?)",
    "INSERT INTO wechat_bindings(account_id, openid, followed, created_at, "
    "updated_at) VALUES (?, ?, ?, ?, ?)",
    "INSERT INTO keyinfo_counts(school_id, class_id, district_id, total, "
    "complete, stale, rules_version) VALUES (?, ?, ?, ?, ?, 0, ?)",
    "INSERT INTO keyinfo_school_counts(school_id, district_id, total, "
    "complete, rules_version) VALUES (?, ?, ?, ?, ?)",
    "INSERT INTO stats_person_weeks(person_id, week, activity, logins) "
    "VALUES (?, ?, ?, ?)",
    "INSERT INTO stats_person_days(person_id, day, uploads, records, files) "
    "VALUES (?, ?, ?, ?, ?)",
    "INSERT INTO stats_class_days(class_id, day, school_id, logins, "
    "uploads, records, files, posts, notice_reads, activations, follows, "
    "unfollows) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "INSERT INTO stats_class_weeks(class_id, week, school_id, logins) "
    "VALUES (?, ?, ?, ?)",
    "INSERT INTO stats_school_days(school_id, day, district_id, logins, "
    "uploads, records, files, posts, notice_reads, activations, follows, "
    "unfollows) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "INSERT INTO stats_school_weeks(school_id, week, district_id, logins) "
    "VALUES (?, ?, ?, ?)",
    "INSERT INTO stats_class_state(class_id, school_id, students, parents, "
    "accounts, activated, wechat_followed, keyinfo_complete, unreached, "
    "computed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "INSERT INTO stats_school_state(school_id, district_id, students, "
    "parents, teachers, accounts, activated, wechat_followed, "
    "keyinfo_complete, unreached, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?, "
    "?, ?, ?, ?)",
    "INSERT INTO stats_space_days(kind, space_id, day, school_id, visits, "
    "posts, records) VALUES (?, ?, ?, ?, ?, ?, ?)",
};

static const char *const ms_surnames[] = {
    "王", "李", "张", "刘", "陈", "杨", "黄",   "赵",  "吴", "周", "徐",
    "孙", "马", "朱", "胡", "郭", "何", "高",   "林",  "罗", "郑", "梁",
    "谢", "宋", "唐", "许", "韩", "冯", "邓",   "曹",  "彭", "曾", "肖",
    "田", "董", "袁", "潘", "于", "蒋", "蔡",   "余",  "杜", "叶", "程",
    "苏", "魏", "吕", "丁", "任", "沈", "欧阳", "司马"};
static const char *const ms_given[] = {
    "子", "轩", "浩", "宇", "梓", "涵", "欣", "怡", "雨", "泽",
    "思", "博", "一", "诺", "铭", "佳", "琪", "俊", "杰", "晨",
    "睿", "嘉", "明", "瑶", "悦", "可", "馨", "昊", "天", "文",
    "雅", "静", "安", "乐", "辰", "逸", "锦", "萱", "皓", "然"};
static const char *const ms_subjects[] = {"语文", "数学", "英语", "科学",
                                          "体育", "音乐", "美术", "道德与法治"};
static const char *const ms_places[] = {"岳麓", "梅溪", "枫林", "麓山",
                                        "洋湖", "含浦", "望城", "坪塘"};

/* Roles of the activity model. */
enum { MS_STU, MS_PAR, MS_TEA, MS_ADM, MS_NROLES };

/* The kind of a day. */
enum { MS_SCHOOLDAY, MS_WEEKEND, MS_HOLIDAY };

/* The chance of a login (per mille of the propensity) on each kind of
 * day, by role; the share activated (per mille); propensity range. */
static const int ms_day_factor[MS_NROLES][3] = {
    {1000, 250, 100}, /* students */
    {1000, 700, 350}, /* parents */
    {1000, 150, 80},  /* teachers */
    {1000, 100, 50},  /* school admins */
};
static const int ms_activated[MS_NROLES] = {880, 780, 970, 1000};
static const int ms_prop_min[MS_NROLES] = {20, 10, 450, 600};
static const int ms_prop_span[MS_NROLES] = {300, 180, 450, 350};
/* Per mille of a person's active days with an upload (a growth record or
 * photos), with a post, with notices read (school days). */
static const int ms_upload_rate[MS_NROLES] = {80, 60, 150, 30};
static const int ms_post_rate[MS_NROLES] = {40, 30, 80, 60};
static const int ms_read_rate[MS_NROLES] = {100, 500, 300, 200};

struct ms_day {
	int ymd;       /* YYYYMMDD, local */
	int kind;      /* MS_SCHOOLDAY ... */
	int monday;    /* the ISO week as its Monday's YYYYMMDD */
	int week;      /* index of that week among the days' weeks */
	int isoday;    /* 1 Monday .. 7 Sunday */
	int64_t start; /* 00:00 local, epoch seconds */
};

#define MS_MAXWEEKS (MS_MAXDAYS / 7 + 2)

/* One person's activity over the days, as the generator decided it. */
struct ms_act {
	int activated; /* first login done at all */
	int first_day; /* index of the day of the first login; -1 before */
	int64_t activated_at;
	int wechat;       /* 0 none, 1 followed, 2 unfollowed */
	int follow_day;   /* index of the day of the follow; -1 before */
	int unfollow_day; /* index of the day of the unfollow; -1 none */
	unsigned char logins[MS_MAXDAYS];  /* logins on the day (0: none) */
	unsigned char records[MS_MAXDAYS]; /* growth records created */
	unsigned char files[MS_MAXDAYS];   /* files attached */
	unsigned char posts[MS_MAXDAYS];
	unsigned char reads[MS_MAXDAYS]; /* notices read */
};

/* Counters per day of a class (its students and their parents) or of a
 * school (and its teachers and admins), by role. */
enum {
	MS_C_ACTIVE, /* distinct persons with a login */
	MS_C_LOGINS,
	MS_C_RECORDS,
	MS_C_FILES,
	MS_C_POSTS,
	MS_C_READS,
	MS_C_ACTIVATIONS,
	MS_C_FOLLOWS,
	MS_C_UNFOLLOWS,
	MS_NCOUNTERS
};

struct ms_tally {
	uint32_t day[MS_NCOUNTERS][MS_NROLES][MS_MAXDAYS];
	uint32_t week[MS_NROLES][MS_MAXWEEKS]; /* distinct persons */
	uint32_t accounts[MS_NROLES], activated[MS_NROLES], wechat[MS_NROLES];
	uint32_t unreached, keyinfo_complete;
	/* distinct persons with a login and their login days and uploads
	 * over the last 7 and 30 days and all of them (the checks) */
	uint32_t distinct[MS_NROLES][3], days[MS_NROLES][3], up[MS_NROLES][3];
};

static const int ms_ranges[3] = {7, 30, MS_MAXDAYS};

struct ms_ctx {
	sqlite3 *db;
	sqlite3_stmt *st[MS_NSTMT];
	int64_t now, district;
	const char *hash; /* the benchmark logins' password hash */
	struct ms_day day[MS_MAXDAYS];
	int ndays, nweeks;
	int week_monday[MS_MAXWEEKS];
	uint64_t seq[MS_NROLES]; /* persons of each role so far */
	struct ms_act act;
	int64_t rules_version;
	/* stats_person_state (migration step 2 of stats), when there */
	sqlite3_stmt *person_state;
};

/* ---- calendar ---- */

static int
ms_ymd_in(int md, int from, int to)
{
	return md >= from && md <= to;
}

/* Holidays of a Chinese school year, by month*100+day (the lunar ones
 * approximate): New Year, the winter holiday (Spring Festival), Qingming,
 * Labour Day, the Dragon Boat festival, the summer holiday, Mid-Autumn
 * and National Day. */
static int
ms_holiday(int md)
{
	return md == 101 || ms_ymd_in(md, 120, 220) ||
	       ms_ymd_in(md, 404, 406) || ms_ymd_in(md, 501, 505) ||
	       ms_ymd_in(md, 619, 621) || ms_ymd_in(md, 705, 831) ||
	       ms_ymd_in(md, 925, 927) || ms_ymd_in(md, 1001, 1007);
}

static int
ms_ymd(int64_t dn)
{
	time_t t = (time_t)(dn * 86400);
	struct tm tm;

	gmtime_r(&t, &tm);
	return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

/* The DAYS local days (Asia/Shanghai, UTC+8 all year) before today. */
static void
ms_calendar(struct ms_ctx *c, int days)
{
	int64_t today = (c->now + 8 * 3600) / 86400; /* local day number */

	c->ndays = days;
	c->nweeks = 0;
	for (int i = 0; i < days; i++) {
		int64_t dn = today - days + i;
		/* 0 Monday: 1970-01-01 was a Thursday */
		int wday = (int)((dn + 3) % 7);
		int md;

		c->day[i].ymd = ms_ymd(dn);
		md = c->day[i].ymd % 10000;
		c->day[i].isoday = wday + 1;
		c->day[i].monday = ms_ymd(dn - wday);
		if (i == 0 || c->day[i].monday != c->day[i - 1].monday)
			c->week_monday[c->nweeks++] = c->day[i].monday;
		c->day[i].week = c->nweeks - 1;
		c->day[i].kind = ms_holiday(md)          ? MS_HOLIDAY
		                 : c->day[i].isoday >= 6 ? MS_WEEKEND
		                                         : MS_SCHOOLDAY;
		c->day[i].start = dn * 86400 - 8 * 3600;
	}
}

/* ---- the activity model ---- */

/* Decides the activity of person `who` (a role and the index among its
 * role) into c->act. */
static void
ms_decide(struct ms_ctx *c, int role, uint64_t who)
{
	struct ms_act *a = &c->act;
	uint64_t key = ((uint64_t)role << 56) ^ (who * 0x9e3779b97f4a7c15ULL);
	uint64_t r = mkdb_mix(key);
	size_t nd = (size_t)c->ndays;
	int prop, from;

	memset(a->logins, 0, nd);
	memset(a->records, 0, nd);
	memset(a->files, 0, nd);
	memset(a->posts, 0, nd);
	memset(a->reads, 0, nd);
	a->wechat = 0;
	a->follow_day = a->unfollow_day = -1;
	a->activated = (int)(r % 1000) < ms_activated[role];
	a->first_day = -1;
	a->activated_at = 0;
	if (!a->activated)
		return;
	/* 70% before the year; the rest on a day of it, more in the
	 * first third of the days (twice as often) */
	if ((r >> 10) % 10 >= 7) {
		uint64_t pick = (r >> 20) % (nd + nd / 3);

		a->first_day = pick < nd ? (int)pick : (int)(pick - nd);
		a->activated_at = c->day[a->first_day].start + 8 * 3600 +
		                  (int64_t)((r >> 40) % 36000);
	} else {
		a->activated_at =
		    c->day[0].start - 86400 * (int64_t)(1 + (r >> 40) % 700);
	}
	/* heavy and light users: half uniform, half skewed light */
	{
		int q = (int)((r >> 30) % 1000);

		if ((r >> 50) % 2 == 0)
			q = q * q / 1000;
		prop = ms_prop_min[role] + q * ms_prop_span[role] / 1000;
	}
	from = a->first_day < 0 ? 0 : a->first_day;
	for (int d = from; d < c->ndays; d++) {
		uint64_t x = mkdb_mix(key ^ ((uint64_t)d << 32) ^ 0x5eedULL);
		int chance = prop * ms_day_factor[role][c->day[d].kind] / 1000;

		if (d != a->first_day && (int)(x % 1000) >= chance)
			continue;
		/* 1 login most days, 2 on some, 3 on few */
		a->logins[d] = (unsigned char)(1 + ((x >> 10) % 8 >= 5) +
		                               ((x >> 13) % 16 == 0));
		if ((int)((x >> 17) % 1000) < ms_upload_rate[role]) {
			/* a growth record, or 1-3 photos on a post */
			if ((x >> 29) % 2 == 0)
				a->records[d] = 1;
			else
				a->files[d] =
				    (unsigned char)(1 + (x >> 27) % 3);
		}
		if ((int)((x >> 31) % 1000) < ms_post_rate[role])
			a->posts[d] = 1;
		if (c->day[d].kind == MS_SCHOOLDAY &&
		    (int)((x >> 41) % 1000) < ms_read_rate[role])
			a->reads[d] = (unsigned char)(1 + (x >> 51) % 2);
	}
	if (role == MS_PAR || role == MS_TEA) {
		int f = (int)((r >> 52) % 100);

		a->wechat = f < (role == MS_PAR ? 72 : 60)   ? 1
		            : f < (role == MS_PAR ? 77 : 65) ? 2
		                                             : 0;
		/* followed when activated; unfollowed some weeks later */
		if (a->wechat != 0)
			a->follow_day = a->first_day;
		if (a->wechat == 2) {
			int later = from + 7 + (int)((r >> 8) % 120);

			if (later < c->ndays)
				a->unfollow_day = later;
			else if (a->first_day >= 0)
				a->wechat = 1; /* not yet: still followed */
		}
	}
}

/* Adds c->act of a person of `role` into the tallies t (a class's, or
 * NULL) and s (the school's). */
static void
ms_tally(const struct ms_ctx *c, int role, struct ms_tally *t,
         struct ms_tally *s)
{
	const struct ms_act *a = &c->act;
	struct ms_tally *ts[2] = {t, s};

	for (int k = 0; k < 2; k++) {
		struct ms_tally *x = ts[k];
		int lastweek = -1;

		if (x == NULL)
			continue;
		x->accounts[role]++;
		x->activated[role] += (uint32_t)a->activated;
		x->wechat[role] += a->wechat == 1;
		if (!a->activated)
			continue;
		if (a->first_day >= 0)
			x->day[MS_C_ACTIVATIONS][role][a->first_day]++;
		if (a->follow_day >= 0)
			x->day[MS_C_FOLLOWS][role][a->follow_day]++;
		if (a->unfollow_day >= 0)
			x->day[MS_C_UNFOLLOWS][role][a->unfollow_day]++;
		for (int d = 0; d < c->ndays; d++) {
			if (a->logins[d] == 0)
				continue;
			x->day[MS_C_ACTIVE][role][d]++;
			x->day[MS_C_LOGINS][role][d] += a->logins[d];
			x->day[MS_C_RECORDS][role][d] += a->records[d];
			x->day[MS_C_FILES][role][d] += a->files[d];
			x->day[MS_C_POSTS][role][d] += a->posts[d];
			x->day[MS_C_READS][role][d] += a->reads[d];
			if (c->day[d].week != lastweek) {
				lastweek = c->day[d].week;
				x->week[role][lastweek]++;
			}
		}
		for (int r = 0; r < 3; r++) {
			int from = c->ndays - ms_ranges[r], seen = 0;

			for (int d = from < 0 ? 0 : from; d < c->ndays; d++) {
				seen |= a->logins[d] > 0;
				x->days[role][r] += a->logins[d] > 0;
				x->up[role][r] +=
				    (uint32_t)a->records[d] + a->files[d];
			}
			x->distinct[role][r] += (uint32_t)seen;
		}
	}
}

/* ---- rows ---- */

/* Binds the values of types ("i" int64, "s" text, "n" NULL) and steps. */
static int
ms_run(struct ms_ctx *c, int which, int64_t *id, const char *types, ...)
{
	sqlite3_stmt *st = c->st[which];
	va_list ap;

	va_start(ap, types);
	for (int i = 0; types[i] != '\0'; i++) {
		if (types[i] == 'i') {
			sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
		} else if (types[i] == 's') {
			const char *s = va_arg(ap, const char *);

			if (s != NULL)
				sqlite3_bind_text(st, i + 1, s, -1,
				                  SQLITE_TRANSIENT);
		}
	}
	va_end(ap);
	return mkdb_step(c->db, st, id);
}

/* An account for person (the benchmark's password hash when `known`,
 * the placeholder when activated, none otherwise) and one identity. */
static int
ms_account(struct ms_ctx *c, int64_t person, const char *login, int known,
           int64_t *account)
{
	sqlite3_stmt *st = c->st[MS_ACCOUNT];
	const struct ms_act *a = &c->act;

	sqlite3_bind_int64(st, 1, person);
	sqlite3_bind_text(st, 2, login, -1, SQLITE_TRANSIENT);
	if (known || a->activated) {
		sqlite3_bind_text(st, 3, known ? c->hash : MS_NO_PASSWORD, -1,
		                  SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, a->activated_at);
	}
	sqlite3_bind_int64(st, 4, known || a->activated ? 0 : 1);
	sqlite3_bind_int64(st, 5, c->day[0].start - 86400 * 800);
	if (a->activated) {
		int64_t last = a->activated_at;

		for (int d = c->ndays - 1; d >= 0; d--)
			if (a->logins[d] > 0) {
				last = c->day[d].start + 8 * 3600;
				break;
			}
		sqlite3_bind_int64(st, 7, last);
	}
	return mkdb_step(c->db, st, account);
}

static int
ms_identity(struct ms_ctx *c, int64_t account, const char *role, int64_t school,
            int64_t student, int64_t *id)
{
	sqlite3_stmt *st = c->st[MS_IDENTITY];

	sqlite3_bind_int64(st, 1, account);
	sqlite3_bind_text(st, 2, role, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, c->district);
	if (school > 0)
		sqlite3_bind_int64(st, 4, school);
	if (student > 0)
		sqlite3_bind_int64(st, 5, student);
	sqlite3_bind_int64(st, 6, c->day[0].start - 86400 * 800);
	return mkdb_step(c->db, st, id);
}

/* An adult with a phone login: person and account (c->act decided). */
static int
ms_adult(struct ms_ctx *c, uint64_t seed, const char *phone, int known,
         int64_t *person, int64_t *account)
{
	char name[64];

	mkdb_name(seed, ms_surnames, MKDB_COUNT(ms_surnames), ms_given,
	          MKDB_COUNT(ms_given), name, sizeof(name));
	if (ms_run(c, MS_ADULT, person, "sssi", name,
	           mkdb_mix(seed ^ 0xad17ULL) & 1 ? "女" : "男", phone,
	           c->day[0].start - 86400 * 800) != 0)
		return -1;
	return ms_account(c, *person, phone, known, account);
}

/* The WeChat binding of c->act's adult, if any: an openid (made up, in
 * the order of the accounts) followed or unfollowed. */
static int
ms_wechat(struct ms_ctx *c, int64_t person, int64_t account)
{
	char openid[40];

	if (c->act.wechat == 0)
		return 0;
	snprintf(openid, sizeof(openid), "oBench%022lld", (long long)account);
	if (ms_run(c, MS_WECHAT, NULL, "isiii", account, openid,
	           (int64_t)(c->act.wechat == 1), c->act.activated_at,
	           c->act.activated_at) != 0)
		return -1;
	/* the stats plugin's copy: followed openids of the person */
	if (c->act.wechat != 1 || c->person_state == NULL)
		return 0;
	sqlite3_bind_int64(c->person_state, 1, person);
	return mkdb_step(c->db, c->person_state, NULL);
}

/* ---- the stats plugin's aggregates ---- */

/* Binds n int64 values to st from v and steps. */
static int
ms_ints(struct ms_ctx *c, int which, const int64_t *v, int n)
{
	sqlite3_stmt *st = c->st[which];

	for (int i = 0; i < n; i++)
		sqlite3_bind_int64(st, i + 1, v[i]);
	return mkdb_step(c->db, st, NULL);
}

/* The rows of one person's activity (c->act) in the stats tables: a
 * row per ISO week with a login (the day bitmap, the logins) and a row
 * per day with an upload. */
static int
ms_person_stats(struct ms_ctx *c, int64_t person)
{
	const struct ms_act *a = &c->act;
	int64_t bits = 0, logins = 0;
	int week = -1;

	if (!a->activated)
		return 0;
	for (int d = a->first_day < 0 ? 0 : a->first_day; d <= c->ndays; d++) {
		if (d == c->ndays || c->day[d].week != week) {
			if (bits != 0) {
				int64_t v[4] = {person, c->week_monday[week],
				                bits, logins};

				if (ms_ints(c, MS_PWEEK, v, 4) != 0)
					return -1;
			}
			if (d == c->ndays)
				break;
			week = c->day[d].week;
			bits = logins = 0;
		}
		if (a->logins[d] == 0)
			continue;
		bits |= (int64_t)1 << (c->day[d].isoday - 1);
		logins += a->logins[d];
		if (a->records[d] + a->files[d] > 0) {
			int64_t v[5] = {person, c->day[d].ymd,
			                (int64_t)a->records[d] + a->files[d],
			                a->records[d], a->files[d]};

			if (ms_ints(c, MS_PDAY, v, 5) != 0)
				return -1;
		}
	}
	return 0;
}

/* The sum of counter k of tally t on day d over the roles from..to. */
static int64_t
ms_sum(const struct ms_tally *t, int k, int d, int from, int to)
{
	int64_t n = 0;

	for (int r = from; r <= to; r++)
		n += t->day[k][r][d];
	return n;
}

/* The daily and weekly rows and the state of a class (klass > 0: its
 * students and their parents) or of the school (klass 0: everyone),
 * and its space's days. */
static int
ms_daily_stats(struct ms_ctx *c, int64_t school, int64_t klass,
               const struct ms_tally *t)
{
	int top = klass > 0 ? MS_PAR : MS_ADM;
	int64_t id = klass > 0 ? klass : school;
	int64_t parent = klass > 0 ? school : c->district;

	for (int d = 0; d < c->ndays; d++) {
		int64_t v[12] = {id,
		                 c->day[d].ymd,
		                 parent,
		                 ms_sum(t, MS_C_ACTIVE, d, 0, top),
		                 ms_sum(t, MS_C_RECORDS, d, 0, top) +
		                     ms_sum(t, MS_C_FILES, d, 0, top),
		                 ms_sum(t, MS_C_RECORDS, d, 0, top),
		                 ms_sum(t, MS_C_FILES, d, 0, top),
		                 ms_sum(t, MS_C_POSTS, d, 0, top),
		                 ms_sum(t, MS_C_READS, d, 0, top),
		                 ms_sum(t, MS_C_ACTIVATIONS, d, 0, top),
		                 ms_sum(t, MS_C_FOLLOWS, d, 0, top),
		                 ms_sum(t, MS_C_UNFOLLOWS, d, 0, top)};
		int any = 0;

		for (int i = 3; i < 12; i++)
			any |= v[i] != 0;
		if (any &&
		    ms_ints(c, klass > 0 ? MS_CDAY : MS_SDAY, v, 12) != 0)
			return -1;
		/* the space (a class's on days with posts or records, the
		 * school's on every day with a login): visits by some of the
		 * day's active people, its posts and records */
		if (klass > 0 ? v[5] + v[7] > 0 : v[3] > 0) {
			sqlite3_stmt *st = c->st[MS_SPACE];
			uint64_t x =
			    mkdb_mix((uint64_t)id * 1000 + (uint64_t)d);

			sqlite3_bind_text(st, 1, klass > 0 ? "class" : "school",
			                  -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, id);
			sqlite3_bind_int64(st, 3, c->day[d].ymd);
			sqlite3_bind_int64(st, 4, school);
			sqlite3_bind_int64(
			    st, 5, 1 + v[3] * (int64_t)(20 + x % 50) / 100);
			sqlite3_bind_int64(st, 6, klass > 0 ? v[7] : v[7] / 4);
			sqlite3_bind_int64(st, 7, klass > 0 ? v[5] : 0);
			if (mkdb_step(c->db, st, NULL) != 0)
				return -1;
		}
	}
	for (int w = 0; w < c->nweeks; w++) {
		int64_t v[4] = {id, c->week_monday[w], parent, 0};

		for (int r = 0; r <= top; r++)
			v[3] += t->week[r][w];
		if (v[3] > 0 &&
		    ms_ints(c, klass > 0 ? MS_CWEEK : MS_SWEEK, v, 4) != 0)
			return -1;
	}
	if (klass > 0) {
		int64_t v[10] = {
		    klass,
		    school,
		    t->accounts[MS_STU],
		    t->accounts[MS_PAR],
		    (int64_t)t->accounts[MS_STU] + t->accounts[MS_PAR],
		    (int64_t)t->activated[MS_STU] + t->activated[MS_PAR],
		    t->wechat[MS_PAR],
		    t->keyinfo_complete,
		    t->unreached,
		    c->now};

		return ms_ints(c, MS_CSTATE, v, 10);
	} else {
		int64_t accounts = 0, activated = 0;

		for (int r = 0; r < MS_NROLES; r++) {
			accounts += t->accounts[r];
			activated += t->activated[r];
		}
		{
			int64_t v[11] = {school,
			                 c->district,
			                 t->accounts[MS_STU],
			                 t->accounts[MS_PAR],
			                 (int64_t)t->accounts[MS_TEA] +
			                     t->accounts[MS_ADM],
			                 accounts,
			                 activated,
			                 t->wechat[MS_PAR],
			                 t->keyinfo_complete,
			                 t->unreached,
			                 c->now};

			return ms_ints(c, MS_SSTATE, v, 11);
		}
	}
}

/* ---- one school ---- */

/* What the benchmark's school reports. */
struct ms_bench {
	int64_t school;
	char admin[16], teacher[16], parent[16];
	int64_t *classes;
	struct ms_tally *tally, *total; /* per class; the school's */
	uint64_t nclasses;
};

struct ms_sizes {
	uint64_t classes, students, teachers, parents, admins, wechat;
};

/* School si of the district with n students; the benchmark's one when
 * b is not NULL (its logins get the password, its tallies are kept). */
static int
ms_school(struct ms_ctx *c, uint64_t si, uint64_t n, struct ms_bench *b,
          struct ms_sizes *z)
{
	char code[16], name[96], login[16];
	int64_t school, *classes = NULL, *kids = NULL;
	uint32_t *kid_class = NULL;
	struct ms_tally *tally = NULL;
	uint64_t ncl = 0, nkids = 0, slot = n / MS_PER_CLASS + 2 * MS_GRADES;
	int rc = -1;

	snprintf(code, sizeof(code), "43018%05llu", (unsigned long long)si + 1);
	snprintf(name, sizeof(name), "统计基准区%s第%llu学校",
	         ms_places[si % MKDB_COUNT(ms_places)],
	         (unsigned long long)si + 1);
	if (ms_run(c, MS_SCHOOL, &school, "issi", c->district, code, name,
	           c->day[0].start - 86400 * 800) != 0)
		return -1;
	/* classes: grade g has ceil(share / 40) of them */
	classes = calloc(n / MS_PER_CLASS + 2 * MS_GRADES, sizeof(*classes));
	tally = calloc(n / MS_PER_CLASS + 2 * MS_GRADES + 1, sizeof(*tally));
	kids = calloc(n + 1, sizeof(*kids));
	kid_class = calloc(n + 1, sizeof(*kid_class));
	if (classes == NULL || tally == NULL || kids == NULL ||
	    kid_class == NULL)
		goto done;
	for (int g = 1; g <= MS_GRADES; g++) {
		uint64_t in_grade =
		    n / MS_GRADES + ((uint64_t)g <= n % MS_GRADES);
		uint64_t per = (in_grade + MS_PER_CLASS - 1) / MS_PER_CLASS;
		uint64_t cur = UINT64_MAX;

		for (uint64_t s = 0; s < in_grade; s++) {
			uint64_t ci = s * per / in_grade,
			         who = c->seq[MS_STU]++;
			int64_t person, account;
			char pname[64];

			if (ci != cur) {
				char cname[24];

				cur = ci;
				snprintf(cname, sizeof(cname), "%llu班",
				         (unsigned long long)ci + 1);
				if (ms_run(c, MS_CLASS, &classes[ncl++], "iisi",
				           school, (int64_t)g, cname,
				           c->day[0].start - 86400 * 800) != 0)
					goto done;
			}
			ms_decide(c, MS_STU, who);
			mkdb_name(who * 3 + 7, ms_surnames,
			          MKDB_COUNT(ms_surnames), ms_given,
			          MKDB_COUNT(ms_given), pname, sizeof(pname));
			snprintf(login, sizeof(login), "%08llu",
			         30000000ULL + (unsigned long long)who);
			if (ms_run(c, MS_PERSON, &person, "ssi", pname,
			           mkdb_mix(who) & 1 ? "女" : "男",
			           c->day[0].start - 86400 * 800) != 0 ||
			    ms_run(c, MS_STUDENT, NULL, "iiii", person, school,
			           classes[ncl - 1],
			           c->day[0].start - 86400 * 800) != 0 ||
			    ms_account(c, person, login, 0, &account) != 0 ||
			    ms_identity(c, account, "student", school, person,
			                NULL) != 0 ||
			    ms_person_stats(c, person) != 0)
				goto done;
			ms_tally(c, MS_STU, &tally[ncl - 1], &tally[slot]);
			kids[nkids] = person;
			kid_class[nkids++] = (uint32_t)(ncl - 1);
		}
	}
	/* two parents for each student */
	for (uint64_t k = 0; k < nkids; k++) {
		int reached = 0;

		for (int p = 0; p < 2; p++) {
			uint64_t who = c->seq[MS_PAR]++;
			int known = b != NULL && k == 0 && p == 0;
			int64_t person, account;
			char phone[16];

			ms_decide(c, MS_PAR, who);
			snprintf(phone, sizeof(phone), "15%09llu",
			         (unsigned long long)who + 1);
			if (ms_adult(c, 5000000 + who, phone, known, &person,
			             &account) != 0 ||
			    ms_run(c, MS_GUARDIAN, NULL, "iisi", person,
			           kids[k], p == 0 ? "母亲" : "父亲",
			           c->day[0].start - 86400 * 800) != 0 ||
			    ms_identity(c, account, "parent", school, kids[k],
			                NULL) != 0 ||
			    ms_wechat(c, person, account) != 0 ||
			    ms_person_stats(c, person) != 0)
				goto done;
			ms_tally(c, MS_PAR, &tally[kid_class[k]], &tally[slot]);
			z->parents++;
			z->wechat += c->act.wechat == 1;
			reached |= c->act.activated || c->act.wechat == 1;
			if (known)
				snprintf(b->parent, sizeof(b->parent), "%s",
				         phone);
		}
		if (!reached) {
			tally[kid_class[k]].unreached++;
			tally[slot].unreached++;
		}
	}
	/* teachers: the head teacher of each class (who teaches it and
	 * the next class), and 0.6 subject teachers a class, each teaching
	 * four consecutive classes */
	for (uint64_t t = 0; t < ncl + ncl * 3 / 5 + 1; t++) {
		uint64_t who = c->seq[MS_TEA]++;
		uint64_t first = t < ncl ? t : (t - ncl) * 4 % ncl;
		uint64_t span = t < ncl ? 2 : 4;
		int known = b != NULL && t == 0;
		int64_t person, account;
		char phone[16];

		ms_decide(c, MS_TEA, who);
		snprintf(phone, sizeof(phone), "137%08llu",
		         (unsigned long long)who + 1);
		if (ms_adult(c, 9000000 + who, phone, known, &person,
		             &account) != 0 ||
		    ms_identity(c, account, "teacher", school, 0, NULL) != 0 ||
		    ms_run(c, MS_TEACHER, NULL, "iisi", person, school,
		           ms_subjects[t < ncl ? t % 2
		                               : t % MKDB_COUNT(ms_subjects)],
		           c->day[0].start - 86400 * 800) != 0 ||
		    ms_wechat(c, person, account) != 0 ||
		    ms_person_stats(c, person) != 0)
			goto done;
		for (uint64_t j = 0; j < span && j < ncl; j++)
			if (ms_run(c, MS_TEACHING, NULL, "ii", person,
			           classes[(first + j) % ncl]) != 0)
				goto done;
		if (t < ncl &&
		    ms_run(c, MS_HEAD, NULL, "ii", person, classes[t]) != 0)
			goto done;
		ms_tally(c, MS_TEA, NULL, &tally[slot]);
		z->teachers++;
		z->wechat += c->act.wechat == 1;
		if (known)
			snprintf(b->teacher, sizeof(b->teacher), "%s", phone);
	}
	/* the school admin */
	{
		uint64_t who = c->seq[MS_ADM]++;
		int64_t person, account;
		char phone[16];

		ms_decide(c, MS_ADM, who);
		snprintf(phone, sizeof(phone), "136%08llu",
		         (unsigned long long)who + 1);
		if (ms_adult(c, 8000000 + who, phone, b != NULL, &person,
		             &account) != 0 ||
		    ms_identity(c, account, "school_admin", school, 0, NULL) !=
		        0 ||
		    ms_person_stats(c, person) != 0)
			goto done;
		ms_tally(c, MS_ADM, NULL, &tally[slot]);
		z->admins++;
		if (b != NULL)
			snprintf(b->admin, sizeof(b->admin), "%s", phone);
	}
	/* key information: complete for 80-95% of a class */
	{
		int64_t total = 0, complete = 0;

		for (uint64_t k = 0; k < ncl; k++) {
			int64_t ct = tally[k].accounts[MS_STU];
			int64_t cc =
			    ct * (80 + (int64_t)(mkdb_mix(classes[k]) % 16)) /
			    100;

			if (ms_run(c, MS_KI_CLASS, NULL, "iiiiii", school,
			           classes[k], c->district, ct, cc,
			           c->rules_version) != 0)
				goto done;
			tally[k].keyinfo_complete = (uint32_t)cc;
			tally[slot].keyinfo_complete += (uint32_t)cc;
			total += ct;
			complete += cc;
		}
		if (ms_run(c, MS_KI_SCHOOL, NULL, "iiiii", school, c->district,
		           total, complete, c->rules_version) != 0)
			goto done;
	}
	/* the daily rows, per class and the school's */
	for (uint64_t k = 0; k < ncl; k++)
		if (ms_daily_stats(c, school, classes[k], &tally[k]) != 0)
			goto done;
	if (ms_daily_stats(c, school, 0, &tally[slot]) != 0)
		goto done;
	z->classes += ncl;
	z->students += nkids;
	if (b != NULL) {
		b->school = school;
		b->classes = classes;
		b->tally = tally;
		b->total = &tally[slot];
		b->nclasses = ncl;
		classes = NULL;
		tally = NULL;
	}
	rc = 0;
done:
	free(classes);
	free(tally);
	free(kids);
	free(kid_class);
	return rc;
}

/* ---- secondary indexes off during the load ---- */

/* The CREATE INDEX statements of the tables named like `like` (their
 * explicit indexes; a UNIQUE constraint's automatic one stays), kept in
 * *saved (one string, statements separated by ';') and dropped. */
static int
ms_drop_indexes(sqlite3 *db, const char *like, char **saved)
{
	sqlite3_stmt *st = NULL;
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *names = NULL;
	size_t nlen = 0, ncap = 1024;
	int rc = -1;

	names = malloc(ncap);
	if (buf == NULL || names == NULL)
		goto done;
	buf[0] = names[0] = '\0';
	if (sqlite3_prepare_v2(db,
	                       "SELECT name, sql FROM sqlite_master WHERE type "
	                       "= 'index' AND sql IS NOT NULL AND tbl_name "
	                       "LIKE ? ORDER BY name",
	                       -1, &st, NULL) != SQLITE_OK)
		goto done;
	sqlite3_bind_text(st, 1, like, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const char *sql = (const char *)sqlite3_column_text(st, 1);
		size_t need = strlen(sql) + 2, nneed = strlen(name) + 24;

		while (len + need + 1 > cap) {
			char *nb = realloc(buf, cap *= 2);

			if (nb == NULL)
				goto done;
			buf = nb;
		}
		while (nlen + nneed + 1 > ncap) {
			char *nb = realloc(names, ncap *= 2);

			if (nb == NULL)
				goto done;
			names = nb;
		}
		len += (size_t)snprintf(buf + len, cap - len, "%s;", sql);
		nlen += (size_t)snprintf(names + nlen, ncap - nlen,
		                         "DROP INDEX \"%s\";", name);
	}
	sqlite3_finalize(st);
	st = NULL;
	if (nlen > 0 && mkdb_exec(db, names) != 0)
		goto done;
	*saved = buf;
	buf = NULL;
	rc = 0;
done:
	sqlite3_finalize(st);
	free(buf);
	free(names);
	return rc;
}

int
main(int argc, char **argv)
{
	unsigned long long n = 1000000, nschools = 1000, days = 365;
	const char *password = "Bench2026stats";
	static struct ms_ctx c;
	struct ms_bench b = {0};
	struct ms_sizes z = {0};
	char err[256], hash[CRYPTO_HASH_MAX], *end, *indexes = NULL;
	int ch, rc = 1;
	uint64_t bench_school;
	struct timespec t0, t1;

	mkdb_prog = "mkstats";
	while ((ch = getopt(argc, argv, "n:s:d:w:")) != -1) {
		if (ch == 'n' || ch == 's' || ch == 'd') {
			unsigned long long v = strtoull(optarg, &end, 10);

			if (*end != '\0' || v == 0 || v > 10000000)
				goto usage;
			*(ch == 'n' ? &n : ch == 's' ? &nschools : &days) = v;
		} else if (ch == 'w') {
			password = optarg;
		} else {
			goto usage;
		}
	}
	if (optind != argc - 1 || strlen(password) < 8 || nschools > 99999 ||
	    n < nschools * MS_GRADES || days < 7 || days > MS_MAXDAYS)
		goto usage;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* one thread: no mutexes, no memory statistics */
	sqlite3_config(SQLITE_CONFIG_SINGLETHREAD);
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	log_set_level(JX_LOG_WARN);
	if (crypto_setup(argv[optind], 0, 1, err, sizeof(err)) != 0) {
		fprintf(stderr, "mkstats: %s (run jiaxiao init first)\n", err);
		return 1;
	}
	if (crypto_password_hash(password, hash) != 0) {
		fprintf(stderr, "mkstats: cannot hash the password\n");
		goto done;
	}
	c.hash = hash;
	c.now = (int64_t)time(NULL);
	ms_calendar(&c, (int)days);
	if (mkdb_open(argv[optind], &c.db, ms_sql, c.st, MS_NSTMT,
	              " (serve the data directory once so that the plugins' "
	              "migrations run)") != 0)
		goto done;
	if (sqlite3_prepare_v2(c.db,
	                       "INSERT INTO stats_person_state(person_id, "
	                       "wechat) VALUES (?, 1)",
	                       -1, &c.person_state, NULL) != SQLITE_OK) {
		fprintf(stderr,
		        "mkstats: no stats_person_state (%s): WeChat "
		        "follows only in wechat_bindings\n",
		        sqlite3_errmsg(c.db));
		c.person_state = NULL;
	}
	/* Bulk load: no journal (a crash means a fresh init), no sync. */
	if (mkdb_exec(c.db, "PRAGMA journal_mode=DELETE; PRAGMA "
	                    "journal_mode=OFF; PRAGMA synchronous=OFF; "
	                    "PRAGMA foreign_keys=OFF") != 0 ||
	    ms_drop_indexes(c.db, "stats\\_%", &indexes) != 0 ||
	    mkdb_exec(c.db, "BEGIN IMMEDIATE") != 0)
		goto done;
	/* The district and its admin. */
	{
		sqlite3_stmt *d = NULL;
		int64_t person, account;

		if (sqlite3_prepare_v2(c.db,
		                       "INSERT INTO districts(code, name, "
		                       "created_at) VALUES ('430188', "
		                       "'统计基准区', ?)",
		                       -1, &d, NULL) != SQLITE_OK ||
		    (sqlite3_bind_int64(d, 1, c.day[0].start - 86400 * 800),
		     mkdb_step(c.db, d, &c.district)) != 0) {
			fprintf(stderr, "mkstats: %s\n", sqlite3_errmsg(c.db));
			sqlite3_finalize(d);
			goto done;
		}
		sqlite3_finalize(d);
		if (sqlite3_prepare_v2(c.db,
		                       "SELECT rules_version FROM districts "
		                       "WHERE id = ?",
		                       -1, &d, NULL) != SQLITE_OK) {
			fprintf(stderr, "mkstats: %s\n", sqlite3_errmsg(c.db));
			goto done;
		}
		sqlite3_bind_int64(d, 1, c.district);
		if (sqlite3_step(d) == SQLITE_ROW)
			c.rules_version = sqlite3_column_int64(d, 0);
		sqlite3_finalize(d);
		ms_decide(&c, MS_ADM, 99999999);
		if (ms_adult(&c, 1, "13500000001", 1, &person, &account) != 0 ||
		    ms_identity(&c, account, "district_admin", 0, 0, NULL) != 0)
			goto done;
	}
	/* The schools, MS_BATCH to a transaction. */
	bench_school = nschools / 2;
	for (uint64_t si = 0; si < nschools; si++) {
		uint64_t share = n / nschools + (si < n % nschools);

		if (ms_school(&c, si, share, si == bench_school ? &b : NULL,
		              &z) != 0)
			goto done;
		if ((si + 1) % MS_BATCH == 0 &&
		    mkdb_exec(c.db, "COMMIT; BEGIN IMMEDIATE") != 0)
			goto done;
	}
	/* The state is fresh: the nightly refresh (stats_daily) is due a
	 * day from now, not during the benchmark. */
	{
		char sql[256];

		snprintf(sql, sizeof(sql),
		         "INSERT INTO stats_meta(name, value) VALUES "
		         "('refresh_next', %lld), ('refreshed_at', %lld) ON "
		         "CONFLICT(name) DO UPDATE SET value = excluded.value",
		         (long long)c.now + 86400, (long long)c.now);
		if (mkdb_exec(c.db, sql) != 0)
			goto done;
	}
	if (mkdb_exec(c.db, "COMMIT") != 0)
		goto done;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "mkstats: rows written in %.1f s; indexes next\n",
	        (double)(t1.tv_sec - t0.tv_sec) +
	            (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if ((indexes[0] != '\0' && mkdb_exec(c.db, indexes) != 0) ||
	    mkdb_exec(c.db, "ANALYZE; PRAGMA journal_mode=WAL") != 0)
		goto done;

	printf("district %lld\n", (long long)c.district);
	printf("schools %llu\n", nschools);
	printf("classes %llu\n", (unsigned long long)z.classes);
	printf("students %llu\n", (unsigned long long)z.students);
	printf("teachers %llu\n", (unsigned long long)z.teachers);
	printf("parents %llu\n", (unsigned long long)z.parents);
	printf("wechat_followed %llu\n", (unsigned long long)z.wechat);
	printf("days %d %d\n", c.day[0].ymd, c.day[c.ndays - 1].ymd);
	printf("district_admin 13500000001\n");
	printf("school %lld\n", (long long)b.school);
	printf("school_admin %s\n", b.admin);
	printf("teacher %s\n", b.teacher);
	printf("parent %s\n", b.parent);
	printf("range7 %d %d\nrange30 %d %d\nrangeall %d %d\n",
	       c.day[c.ndays - 7].ymd, c.day[c.ndays - 1].ymd,
	       c.day[c.ndays > 30 ? c.ndays - 30 : 0].ymd,
	       c.day[c.ndays - 1].ymd, c.day[0].ymd, c.day[c.ndays - 1].ymd);
	for (uint64_t k = 0; k <= b.nclasses; k++) {
		const struct ms_tally *t =
		    k < b.nclasses ? &b.tally[k] : b.total;
		/* a class: its students and their parents; the school:
		 * everyone; WeChat: parents */
		int top = k < b.nclasses ? MS_PAR : MS_ADM;
		unsigned acc = 0, act = 0;

		for (int r = 0; r <= top; r++) {
			acc += t->accounts[r];
			act += t->activated[r];
		}
		printf("%s %lld %u %u %u %u %u",
		       k < b.nclasses ? "class" : "school_row",
		       k < b.nclasses ? (long long)b.classes[k]
		                      : (long long)b.school,
		       acc, act, t->wechat[MS_PAR], t->keyinfo_complete,
		       t->unreached);
		for (int i = 0; i < 3; i++) {
			unsigned l = 0, d = 0, u = 0;

			for (int r = 0; r <= top; r++) {
				l += t->distinct[r][i];
				d += t->days[r][i];
				u += t->up[r][i];
			}
			printf(" %u %u %u", l, d, u);
		}
		printf("\n");
	}
	rc = 0;
done:
	free(indexes);
	free(b.classes);
	free(b.tally);
	for (int i = 0; i < MS_NSTMT; i++)
		sqlite3_finalize(c.st[i]);
	sqlite3_finalize(c.person_state);
	sqlite3_close(c.db);
	crypto_teardown();
	return rc;
usage:
	fprintf(stderr, "usage: mkstats [-n STUDENTS] [-s SCHOOLS] [-d DAYS] "
	                "[-w PASSWORD (8+ characters)] DATA_DIR\n");
	return 2;
}
