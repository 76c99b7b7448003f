/*
 * notify.c — send(channel, to, template, params) over a durable outbox.
 * A message is a row written in the sender's transaction; a delivery
 * thread hands due rows to their channel (a plugin: sms, wechat) and
 * records the outcome, retrying temporary failures with backoff. A row
 * is marked "sending" (committed) before the channel is called, so after
 * a crash only the messages in flight at that instant can go out twice;
 * each carries an idempotency key the channel passes on where it can.
 * The in-app channel is built in: its rows are delivered when written.
 */
#include "crypto.h"
#include "host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NOTIFY_MAX_ATTEMPTS 8
#define NOTIFY_BATCH 20

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	int running, stop;
} nt = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static const struct channel_entry *
notify_channel(const char *name)
{
	for (int i = 0; i < app.nchannels; i++)
		if (strcmp(app.channels[i].name, name) == 0 &&
		    app.plugins[app.channels[i].plugin].state == PLUGIN_ACTIVE)
			return &app.channels[i];
	return NULL;
}

int
notify_send(jx_db *db, const char *channel, const char *to,
            const char *template_name, const cJSON *params)
{
	char key[33], *p;
	int inapp = strcmp(channel, "inapp") == 0;
	int64_t now = jx_now(), n;

	if (to == NULL || *to == '\0' || template_name == NULL)
		return -1;
	if (!inapp && notify_channel(channel) == NULL) {
		jx_log(JX_LOG_WARN, "notify", "no active channel %s", channel);
		return -1;
	}
	crypto_token(key, 16);
	p = params ? cJSON_PrintUnformatted(params) : NULL;
	n = db_exec(db,
	            "INSERT INTO outbox(channel, recipient, template, params, "
	            "idem_key, state, next_at, created_at, sent_at) "
	            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
	            "ssssssiii", channel, to, template_name, p ? p : "{}", key,
	            inapp ? "sent" : "pending", now, now, inapp ? now : 0);
	cJSON_free(p);
	if (n != 1)
		return -1;
	pthread_mutex_lock(&nt.mu);
	pthread_cond_signal(&nt.cv);
	pthread_mutex_unlock(&nt.mu);
	return 0;
}

/* Rows left "sending" by a crash were in flight: send them again. */
int
notify_recover(jx_db *db)
{
	int64_t n = db_exec(db,
	                    "UPDATE outbox SET state = 'pending' WHERE state = "
	                    "'sending'",
	                    "");

	if (n > 0)
		jx_log(JX_LOG_WARN, "notify",
		       "%lld message(s) in flight at the last stop will be "
		       "sent again",
		       (long long)n);
	return n < 0 ? -1 : 0;
}

struct notify_row {
	int64_t id;
	int attempts;
	char *channel, *to, *tmpl, *params, *key;
};

/* The first retry's delay in seconds; test builds may shorten it
 * (testing.notify_backoff_seconds) so retries can be tested quickly. */
static int64_t
notify_backoff_base(void)
{
#ifdef JX_TESTING
	int64_t s = config_int(&app.cfg, "testing.notify_backoff_seconds", 30);

	return s > 0 ? s : 30;
#else
	return 30;
#endif
}

static void
notify_deliver(jx_db *db, struct notify_row *r)
{
	const struct channel_entry *ch = notify_channel(r->channel);
	char err[512] = "";
	cJSON *params = cJSON_Parse(r->params);
	int rc;

	if (ch == NULL) {
		rc = 1;
		snprintf(err, sizeof(err), "channel %s is not active",
		         r->channel);
	} else {
		rc = ch->fn(r->to, r->tmpl, params, r->key, err, sizeof(err),
		            ch->ud);
	}
	cJSON_Delete(params);
	if (rc == 0) {
		/* Parameters may hold secrets (recovery codes): a delivered
		 * message keeps none. */
		db_exec(db,
		        "UPDATE outbox SET state = 'sent', sent_at = ?, "
		        "attempts = attempts + 1, last_error = NULL, params = "
		        "'{}' WHERE id = ?",
		        "ii", jx_now(), r->id);
		return;
	}
	if (rc < 0 || r->attempts + 1 >= NOTIFY_MAX_ATTEMPTS) {
		db_exec(
		    db,
		    "UPDATE outbox SET state = 'failed', attempts = attempts "
		    "+ 1, last_error = ? WHERE id = ?",
		    "si", err, r->id);
		jx_log(JX_LOG_WARN, "notify", "message %lld via %s failed: %s",
		       (long long)r->id, r->channel, err);
		return;
	}
	/* 30 s, 1 min, 2 min ... up to an hour. */
	int64_t backoff = notify_backoff_base()
	                  << (r->attempts < 7 ? r->attempts : 7);

	if (backoff > 3600)
		backoff = 3600;
	db_exec(db,
	        "UPDATE outbox SET state = 'pending', attempts = attempts + 1, "
	        "next_at = ?, last_error = ? WHERE id = ?",
	        "isi", jx_now() + backoff, err, r->id);
}

/* Delivers due messages; the number handled, or -1. */
int
notify_run_due(jx_db *db)
{
	struct notify_row rows[NOTIFY_BATCH];
	int n = 0;
	jx_stmt *st;

	if (db_begin(db) != 0)
		return -1;
	st = db_query(db,
	              "SELECT id, attempts, channel, recipient, template, "
	              "params, idem_key FROM outbox WHERE state = 'pending' "
	              "AND next_at <= ? ORDER BY next_at, id LIMIT ?",
	              "ii", jx_now(), (int64_t)NOTIFY_BATCH);
	while (st != NULL && db_step(st) == JX_DB_ROW && n < NOTIFY_BATCH) {
		struct notify_row *r = &rows[n++];

		r->id = db_int(st, 0);
		r->attempts = (int)db_int(st, 1);
		r->channel = strdup(db_text(st, 2));
		r->to = strdup(db_text(st, 3));
		r->tmpl = strdup(db_text(st, 4));
		r->params = strdup(db_text(st, 5));
		r->key = strdup(db_text(st, 6));
	}
	db_finish(st);
	for (int i = 0; i < n; i++)
		db_exec(db, "UPDATE outbox SET state = 'sending' WHERE id = ?",
		        "i", rows[i].id);
	if (db_commit(db) != 0) {
		n = -1;
		goto done;
	}
	for (int i = 0; i < n && !nt.stop; i++)
		notify_deliver(db, &rows[i]);
done:
	for (int i = 0; i < (n < 0 ? 0 : n); i++) {
		free(rows[i].channel);
		free(rows[i].to);
		free(rows[i].tmpl);
		free(rows[i].params);
		free(rows[i].key);
	}
	return n;
}

static void *
notify_main(void *arg)
{
	jx_db *db = db_open(app.db_path);

	(void)arg;
	if (db == NULL)
		return NULL;
	pthread_mutex_lock(&nt.mu);
	while (!nt.stop) {
		struct timespec ts;
		int n;

		pthread_mutex_unlock(&nt.mu);
		n = notify_run_due(db);
		pthread_mutex_lock(&nt.mu);
		if (nt.stop)
			break;
		if (n == NOTIFY_BATCH)
			continue; /* more are due */
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&nt.cv, &nt.mu, &ts);
	}
	pthread_mutex_unlock(&nt.mu);
	db_close(db);
	return NULL;
}

int
notify_start(void)
{
	nt.stop = 0;
	if (pthread_create(&nt.thread, NULL, notify_main, NULL) != 0)
		return -1;
	nt.running = 1;
	return 0;
}

void
notify_stop(void)
{
	if (!nt.running)
		return;
	pthread_mutex_lock(&nt.mu);
	nt.stop = 1;
	pthread_cond_signal(&nt.cv);
	pthread_mutex_unlock(&nt.mu);
	pthread_join(nt.thread, NULL);
	nt.running = 0;
}
