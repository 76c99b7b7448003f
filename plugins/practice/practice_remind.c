/*
 * practice_remind.c — reminders the day before (issue 18): every
 * confirmed registration's family is told once, through the notify
 * service (practice_tell_family, template "practice_reminder"), that the
 * activity is tomorrow; reminded_at marks the registration (and the
 * activity) so that no run tells anyone twice.
 *
 * The run is the job "practice.remind": it takes the confirmed,
 * unreminded registrations of activities (not cancelled) that start
 * between now and the end of tomorrow, local time, in batches, each
 * batch one transaction, each registration claimed by a conditional
 * UPDATE (reminded_at IS NULL) before its message is queued in the same
 * transaction — several runs at once still remind each family once.
 *
 * Daily: a timer, as records closes 公示 — an outbox row on the plugin's
 * own channel "practice_remind" due at the next practice.remind_hour
 * (config, default 18, local); when the host settles it, the
 * notify.result subscriber queues the job and the next day's timer in
 * that transaction. The first timer is armed by the first registration
 * (the event practice.registered) or the first run by hand; a row
 * waiting on the channel means the chain is alive. On demand:
 * POST /api/v1/practice/reminders/run (a district admin: the district;
 * the city admin: all) → 202 {"job_id"}.
 */
#include "practice_checkin.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define REMIND_CHANNEL "practice_remind"
#define REMIND_JOB "practice.remind"
#define REMIND_BATCH 200

/* Local midnight days days after t's day. */
static int64_t
remind_midnight(int64_t t, int days)
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	tm.tm_mday += days;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}

/* The next remind_hour:00, local, after now. */
static int64_t
remind_next(int64_t now)
{
	int64_t hour = jx_host->config_int("practice.remind_hour", 18);
	time_t tt = (time_t)now, due;
	struct tm tm;

	if (hour < 0 || hour > 23)
		hour = 18;
	localtime_r(&tt, &tm);
	tm.tm_hour = (int)hour;
	tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	due = mktime(&tm);
	if ((int64_t)due <= now) {
		tm.tm_mday++;
		tm.tm_isdst = -1;
		due = mktime(&tm);
	}
	return (int64_t)due;
}

/* Queues the next daily timer row in db's open transaction. 0 or -1. */
static int
remind_timer(jx_db *db)
{
	struct jx_message m;

	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.channel = REMIND_CHANNEL;
	m.to = "daily";
	m.template_name = "practice_remind_timer";
	m.not_before = remind_next(jx_host->now());
	m.ref = "practice:remind";
	return jx_host->send(db, &m) > 0 ? 0 : -1;
}

/* Arms the daily timer unless one is waiting, in db's open transaction
 * (one indexed read, by the row's ref). 0 or -1. */
static int
remind_arm(jx_db *db)
{
	int64_t n = jxp_one(jx_host, db,
	                    "SELECT COUNT(*) FROM host_outbox WHERE ref = "
	                    "'practice:remind' AND channel = '" REMIND_CHANNEL
	                    "' AND state IN ('pending', 'sending')",
	                    "");

	if (n != 0)
		return n < 0 ? -1 : 0;
	return remind_timer(db);
}

/* The timer channel: accepting is all it does; the subscriber below
 * acts when the host settles the row. */
static int
remind_channel(const char *to, const char *template_name, const cJSON *params,
               const char *key, char *err, size_t errlen, void *ud)
{
	(void)to, (void)template_name, (void)params, (void)key;
	(void)err, (void)errlen, (void)ud;
	return 0;
}

static int
remind_fired(jx_db *db, const char *event, const cJSON *payload, void *ud)
{
	const char *channel =
	    cJSON_GetStringValue(cJSON_GetObjectItem(payload, "channel"));

	(void)event, (void)ud;
	if (channel == NULL || strcmp(channel, REMIND_CHANNEL) != 0)
		return 0;
	if (jx_host->job_submit(db, REMIND_JOB, cJSON_CreateObject(), 0) < 0)
		return -1;
	return remind_timer(db);
}

/* practice.registered: the first registration arms the daily timer. */
static int
remind_on_registered(jx_db *db, const char *event, const cJSON *payload,
                     void *ud)
{
	(void)event, (void)payload, (void)ud;
	return remind_arm(db);
}

/* One batch: claims and tells up to REMIND_BATCH registrations. The
 * number reminded, or -1. */
static int
remind_batch(jx_db *db, int64_t district, int64_t now, int64_t until, int *seen)
{
	int64_t ids[REMIND_BATCH][3];
	int n = 0, told = 0;
	jx_stmt *st = jx_host->db_query(
	    db,
	    "SELECT r.id, r.student_id, r.activity_id FROM "
	    "practice_registrations r JOIN practice_activities a ON a.id = "
	    "r.activity_id WHERE r.status = 'confirmed' AND r.reminded_at IS "
	    "NULL AND a.status <> 'cancelled' AND a.starts_at > ? AND "
	    "a.starts_at < ? AND (? = 0 OR a.district_id = ?) ORDER BY r.id "
	    "LIMIT ?",
	    "iiiii", now, until, district, district, (int64_t)REMIND_BATCH);

	if (st == NULL)
		return -1;
	while (n < REMIND_BATCH && jx_host->db_step(st) == JX_DB_ROW) {
		ids[n][0] = jx_host->db_int(st, 0);
		ids[n][1] = jx_host->db_int(st, 1);
		ids[n][2] = jx_host->db_int(st, 2);
		n++;
	}
	jx_host->db_finish(st);
	*seen = n;
	if (n == 0)
		return 0;
	if (jx_host->db_begin(db) != 0)
		return -1;
	for (int k = 0; k < n; k++) {
		int64_t c = jx_host->db_exec(
		    db,
		    "UPDATE practice_registrations SET reminded_at = ? WHERE "
		    "id "
		    "= ? AND reminded_at IS NULL AND status = 'confirmed'",
		    "ii", now, ids[k][0]);

		if (c < 0)
			goto fail;
		if (c == 0) /* another run had it */
			continue;
		if (practice_tell_family(db, ids[k][1], ids[k][2],
		                         "practice_reminder", ids[k][0]) != 0 ||
		    jx_host->db_exec(
		        db,
		        "UPDATE practice_activities SET reminded_at "
		        "= ? WHERE id = ? AND reminded_at IS NULL",
		        "ii", now, ids[k][2]) < 0)
			goto fail;
		told++;
	}
	if (jx_host->db_commit(db) != 0)
		return -1;
	return told;
fail:
	jx_host->db_rollback(db);
	return -1;
}

static int
remind_job(jx_job *job, void *ud)
{
	jx_db *db = jx_host->job_db(job);
	const cJSON *params = jx_host->job_params(job);
	const cJSON *d = cJSON_GetObjectItem(params, "district_id");
	int64_t district = cJSON_IsNumber(d) ? (int64_t)d->valuedouble : 0;
	int64_t now = jx_host->now();
	int64_t until = remind_midnight(now, 2); /* the end of tomorrow */
	int total = 0, seen, told;
	cJSON *result;

	(void)ud;
	do {
		told = remind_batch(db, district, now, until, &seen);
		if (told < 0) {
			jx_host->log(JX_LOG_ERROR, "practice",
			             "reminders stopped after %d: %s", total,
			             jx_host->db_errmsg(db));
			break;
		}
		total += told;
		jx_host->job_progress(job, total, total);
	} while (seen == REMIND_BATCH && !jx_host->job_stopping(job));
	result = cJSON_CreateObject();
	cJSON_AddNumberToObject(result, "reminded", total);
	jx_host->job_set_result(job, result);
	return told < 0 ? -1 : 0;
}

/* POST /api/v1/practice/reminders/run: 202 {"job_id","status_url"}. */
int
practice_remind_run(jx_req *req, void *ud)
{
	struct practice_who w;
	jx_db *db = jx_host->req_db(req);
	cJSON *params, *o;
	int64_t job;

	(void)ud;
	if (practice_who(req, &w) != 0 || (!w.city && !w.dadmin))
		return jxp_forbidden(jx_host, req);
	params = cJSON_CreateObject();
	if (!w.city)
		cJSON_AddNumberToObject(params, "district_id",
		                        (double)w.district);
	if (jx_host->db_begin(db) != 0) {
		cJSON_Delete(params);
		return jxp_storage_error(jx_host, req);
	}
	job = jx_host->job_submit(db, REMIND_JOB, params, w.id->account_id);
	if (job < 0 || remind_arm(db) != 0) {
		jx_host->db_rollback(db);
		return jxp_storage_error(jx_host, req);
	}
	if (jx_host->db_commit(db) != 0)
		return jxp_storage_error(jx_host, req);
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "job_id", (double)job);
	cJSON_AddStringToObject(
	    o, "status_url",
	    jx_host->sprintf(req, "/api/v1/jobs/%lld", (long long)job));
	return jx_host->reply_json(req, 202, o);
}

int
practice_remind_init(struct jx_registrar *reg)
{
	if (reg->job_kind(reg, REMIND_JOB, remind_job, NULL) != 0 ||
	    reg->channel(reg, REMIND_CHANNEL, remind_channel, NULL) != 0 ||
	    reg->subscribe(reg, "notify.result", remind_fired, NULL) != 0 ||
	    reg->subscribe(reg, "practice.registered", remind_on_registered,
	                   NULL) != 0)
		return -1;
	return 0;
}
