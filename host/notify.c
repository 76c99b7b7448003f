/*
 * notify.c — send(message) over a durable outbox. A message is a row
 * written in the sender's transaction; delivery threads hand due rows to
 * their channel (a plugin: sms, wechat) and record the outcome, retrying
 * temporary failures with backoff.
 *
 * A delivery thread (notify.workers of them) claims up to notify.batch
 * due rows by marking them "sending" in one commit; a pool of lanes
 * (notify.lanes threads, each with its own connection) hands them to
 * their channels, so that slow API round trips overlap: the rate is about
 * lanes / round trip. Each call is settled as it finishes: a finished
 * call joins a list, and one delivery thread at a time takes the whole
 * list and commits it (sent, retry later, failed) in one transaction,
 * publishing "notify.result" for every row it settles for good. A lane
 * makes its next call only once its last result has been taken into a
 * commit, so it calls on while that commit is written.
 *
 * The rows still "sending" are handed out again after a crash
 * (notify_recover), each under the same idempotency key, which the
 * channel passes on where the API takes one. Most of them were never
 * called; a message can reach its recipient twice only if its call was
 * under way or finished and not yet taken (together at most one per
 * lane), or in the one commit being written (at most one per lane): a
 * crash repeats at most 2 x notify.lanes messages. Without lanes the
 * delivery threads call and commit each message by itself (at most
 * notify.workers repeats, and a commit per message).
 *
 * The in-app channel is built in: its rows are delivered when written.
 *
 * Layering: a service; delivery workers and lanes get their stacks,
 * connections and Lua states from thread.c.
 */
#include "crypto.h"
#include "host.h"
#include "luaenv.h"

#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NOTIFY_MAX_ATTEMPTS 8
#define NOTIFY_WORKERS_MAX 16
#define NOTIFY_LANES_MAX 256
#define NOTIFY_BATCH_MAX 500

struct notify_row;

/* A claimed batch whose rows the lanes deliver and its worker settles. */
struct notify_batch {
	struct notify_row *rows;
	int n;
	int next;    /* the next row to hand out */
	int done;    /* rows delivered */
	int settled; /* rows whose outcome is committed (or given up) */
	int queued;  /* on the lanes' list */
	struct notify_batch *link;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t threads[NOTIFY_WORKERS_MAX];
	int nthreads, batch;
	volatile int stop;
	unsigned long wakeups; /* bumped by every send: no lost wake-up */
	/* The lanes: threads that call channels for the workers' batches. */
	pthread_mutex_t lmu;
	pthread_cond_t lwork, ldone;
	pthread_t *lanes;
	int *lane_untaken; /* per lane: finished calls not yet taken */
	int nlanes;
	struct notify_row *fin;      /* finished calls not yet taken */
	int settling;                /* a delivery thread is committing */
	struct notify_batch *lqueue; /* batches with rows not handed out */
} nt = {.mu = PTHREAD_MUTEX_INITIALIZER,
        .cv = PTHREAD_COND_INITIALIZER,
        .lmu = PTHREAD_MUTEX_INITIALIZER,
        .lwork = PTHREAD_COND_INITIALIZER,
        .ldone = PTHREAD_COND_INITIALIZER};

static const struct channel_entry *
notify_channel(const char *name)
{
	for (int i = 0; i < app.nchannels; i++)
		if (strcmp(app.channels[i].name, name) == 0 &&
		    app.plugins[app.channels[i].plugin].state == PLUGIN_ACTIVE)
			return &app.channels[i];
	return NULL;
}

static void
notify_wake(void)
{
	pthread_mutex_lock(&nt.mu);
	nt.wakeups++;
	pthread_cond_broadcast(&nt.cv);
	pthread_mutex_unlock(&nt.mu);
}

/*
 * A message's idempotency key: 16 hex digits drawn at random once per
 * process, then a counter. Unique like a random key (a new process draws
 * a new prefix), but the keys of one notice are consecutive, so the
 * outbox's unique index on them grows at its end instead of at 10,000
 * random places (measured: most of a large notice's insert time).
 */
static char notify_prefix[17];

static void
notify_key_init(void)
{
	crypto_token(notify_prefix, 8);
}

static void
notify_key(char key[33])
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	static unsigned long long counter;
	unsigned long long n;

	pthread_once(&once, notify_key_init);
	n = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
	snprintf(key, 33, "%.16s%016llx", notify_prefix, n);
}

int64_t
notify_message(jx_db *db, const struct jx_message *msg)
{
	char key[33], *p;
	int inapp;
	int64_t now = jx_now(), next, id;
	struct jx_message copy = {0}, *m = &copy;

	/* The caller's struct may be older (smaller) than ours: fields past
	 * its size read as 0. */
	if (msg == NULL ||
	    msg->size < offsetof(struct jx_message, ref) + sizeof(msg->ref))
		return -1;
	memcpy(&copy, msg, msg->size < sizeof(copy) ? msg->size : sizeof(copy));
	if (m->channel == NULL || m->to == NULL || *m->to == '\0' ||
	    m->template_name == NULL || *m->template_name == '\0')
		return -1;
	inapp = strcmp(m->channel, "inapp") == 0;
	if (!inapp && notify_channel(m->channel) == NULL) {
		jx_log(JX_LOG_WARN, "notify", "no active channel %s",
		       m->channel);
		return -1;
	}
	next = m->not_before > now ? m->not_before : now;
	notify_key(key);
	p = m->params ? json_print(m->params, NULL) : NULL;
	/* In-app messages are delivered by being written; their start time
	 * only matters to channels that reach a phone. */
	id = db_insert(db,
	               "INSERT INTO outbox(channel, recipient, template, "
	               "params, idem_key, state, next_at, created_at, "
	               "sent_at, ref) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	               "ssssssiiis", m->channel, m->to, m->template_name,
	               p ? p : "{}", key, inapp ? "sent" : "pending",
	               inapp ? now : next, now, inapp ? now : 0, m->ref);
	free(p);
	if (id <= 0)
		return -1;
	if (!inapp)
		notify_wake();
	return id;
}

int
notify_send(jx_db *db, const char *channel, const char *to,
            const char *template_name, const cJSON *params)
{
	struct jx_message m = {.size = sizeof(m),
	                       .channel = channel,
	                       .to = to,
	                       .template_name = template_name,
	                       .params = params};

	return notify_message(db, &m) < 0 ? -1 : 0;
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
	char *channel, *to, *tmpl, *params, *key, *ref;
	int tried, rc;
	/* The lanes' lock guards the rest. */
	int lane;                   /* the lane that called, -1 for none */
	struct notify_batch *batch; /* its batch, while handed out */
	struct notify_row *fin;     /* the next on nt.fin */
	char err[512];
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

static int
notify_batch_size(void)
{
	int64_t b = config_int(&app.cfg, "notify.batch", 64);

	return b < 1 ? 1 : b > NOTIFY_BATCH_MAX ? NOTIFY_BATCH_MAX : (int)b;
}

static void
notify_deliver(struct notify_row *r)
{
	const struct channel_entry *ch = notify_channel(r->channel);
	cJSON *params = cJSON_Parse(r->params);

	r->err[0] = '\0';
	if (ch == NULL) {
		r->rc = 1;
		snprintf(r->err, sizeof(r->err), "channel %s is not active",
		         r->channel);
	} else {
		int prev = plugin_enter();

		r->rc = ch->fn(r->to, r->tmpl, params, r->key, r->err,
		               sizeof(r->err), ch->ud);
		plugin_leave(prev);
	}
	r->tried = 1;
	cJSON_Delete(params);
}

/* The failure code of an error: the word before ':' ("unreachable"), or
 * "failed" when the error does not start with one. */
static void
notify_code(const char *err, char *code, size_t n)
{
	size_t k = 0;

	while (err[k] != '\0' && k + 1 < n &&
	       ((err[k] >= 'a' && err[k] <= 'z') || err[k] == '_' ||
	        (err[k] >= '0' && err[k] <= '9')))
		k++;
	if (k == 0 || err[k] != ':') {
		snprintf(code, n, "failed");
		return;
	}
	memcpy(code, err, k);
	code[k] = '\0';
}

static int
notify_publish(jx_db *db, const struct notify_row *r, int sent)
{
	cJSON *p = cJSON_CreateObject();
	char code[40];
	int rc;

	if (p == NULL)
		return -1;
	cJSON_AddNumberToObject(p, "id", (double)r->id);
	cJSON_AddStringToObject(p, "channel", r->channel);
	cJSON_AddStringToObject(p, "to", r->to);
	if (r->ref != NULL)
		cJSON_AddStringToObject(p, "ref", r->ref);
	else
		cJSON_AddNullToObject(p, "ref");
	cJSON_AddStringToObject(p, "template", r->tmpl);
	cJSON_AddStringToObject(p, "state", sent ? "sent" : "failed");
	if (sent) {
		cJSON_AddNullToObject(p, "code");
	} else {
		notify_code(r->err, code, sizeof(code));
		cJSON_AddStringToObject(p, "code", code);
	}
	cJSON_AddStringToObject(p, "key", r->key);
	rc = events_publish(db, "notify.result", p);
	cJSON_Delete(p);
	return rc;
}

/* Writes one row's outcome; with publish, also tells the subscribers of
 * a final one. -1 on a database error. */
static int
notify_settle_row(jx_db *db, const struct notify_row *r, int publish)
{
	int64_t n;

	if (!r->tried) /* stopped before its turn: it waits for the next
	                  start, not counted as an attempt */
		return db_exec(
		           db,
		           "UPDATE outbox SET state = 'pending' WHERE id = ?",
		           "i", r->id) < 0
		           ? -1
		           : 0;
	if (r->rc == 0) {
		/* Parameters may hold secrets (recovery codes): a delivered
		 * message keeps none. */
		n = db_exec(db,
		            "UPDATE outbox SET state = 'sent', sent_at = ?, "
		            "attempts = attempts + 1, last_error = NULL, "
		            "params = '{}' WHERE id = ?",
		            "ii", jx_now(), r->id);
		if (n < 0 || (publish && notify_publish(db, r, 1) != 0))
			return -1;
		return 0;
	}
	if (r->rc < 0 || r->attempts + 1 >= NOTIFY_MAX_ATTEMPTS) {
		n = db_exec(db,
		            "UPDATE outbox SET state = 'failed', attempts = "
		            "attempts + 1, last_error = ? WHERE id = ?",
		            "si", r->err, r->id);
		if (n < 0 || (publish && notify_publish(db, r, 0) != 0))
			return -1;
		return 0;
	}
	/* 30 s, 1 min, 2 min ... up to an hour. */
	int64_t backoff = notify_backoff_base()
	                  << (r->attempts < 7 ? r->attempts : 7);

	if (backoff > 3600)
		backoff = 3600;
	return db_exec(db,
	               "UPDATE outbox SET state = 'pending', attempts = "
	               "attempts + 1, next_at = ?, last_error = ? WHERE id = ?",
	               "isi", jx_now() + backoff, r->err, r->id) < 0
	           ? -1
	           : 0;
}

static char *notify_dup(const char *s);

int
notify_report(jx_db *db, const char *key, int ok, const char *err)
{
	struct notify_row r;
	jx_stmt *st;
	int64_t n;
	int rc = -1;

	if (ok)
		return 0; /* accepted earlier and delivered: already sent */
	memset(&r, 0, sizeof(r));
	st = db_query(db,
	              "SELECT id, channel, recipient, template, ref, idem_key "
	              "FROM outbox WHERE idem_key = ? AND state = 'sent'",
	              "s", key ? key : "");
	if (st == NULL)
		return -1;
	if (db_step(st) != JX_DB_ROW) {
		db_finish(st);
		return 0;
	}
	r.id = db_int(st, 0);
	r.channel = notify_dup(db_text(st, 1));
	r.to = notify_dup(db_text(st, 2));
	r.tmpl = notify_dup(db_text(st, 3));
	r.ref = db_is_null(st, 4) ? NULL : notify_dup(db_text(st, 4));
	r.key = notify_dup(db_text(st, 5));
	db_finish(st);
	snprintf(r.err, sizeof(r.err), "%s", err ? err : "failed");
	if (r.channel == NULL || r.to == NULL || r.tmpl == NULL ||
	    r.key == NULL)
		goto out;
	n = db_exec(db,
	            "UPDATE outbox SET state = 'failed', last_error = ? WHERE "
	            "id = ? AND state = 'sent'",
	            "si", r.err, r.id);
	if (n < 0)
		goto out;
	rc = n == 0 ? 0 : notify_publish(db, &r, 0) != 0 ? -1 : 1;
out:
	free(r.channel);
	free(r.to);
	free(r.tmpl);
	free(r.ref);
	free(r.key);
	return rc;
}

/* Settles finished calls in one transaction. A subscriber that refuses
 * a result loses only its own share: that row is settled again without
 * the event. */
static int
notify_settle(jx_db *db, struct notify_row **rows, int n)
{
	if (db_begin(db) != 0)
		return -1;
	for (int i = 0; i < n; i++) {
		const struct notify_row *r = rows[i];

		if (r->tried && r->rc < 0)
			jx_log(JX_LOG_WARN, "notify",
			       "message %lld via %s failed: %s",
			       (long long)r->id, r->channel, r->err);
		if (db_begin(db) != 0)
			goto fail;
		if (notify_settle_row(db, r, 1) == 0) {
			if (db_commit(db) != 0)
				goto fail;
			continue;
		}
		db_rollback(db);
		jx_log(JX_LOG_WARN, "notify",
		       "result of message %lld not published: %s",
		       (long long)r->id, db_errmsg(db));
		if (notify_settle_row(db, r, 0) != 0)
			goto fail;
	}
	if (db_commit(db) != 0)
		return -1; /* the rows stay in flight: resent after restart */
	return 0;
fail:
	jx_log(JX_LOG_ERROR, "notify", "settling %d message(s) failed: %s", n,
	       db_errmsg(db));
	db_rollback(db);
	return -1;
}

static void
notify_free_rows(struct notify_row *rows, int n)
{
	for (int i = 0; i < n; i++) {
		free(rows[i].channel);
		free(rows[i].to);
		free(rows[i].tmpl);
		free(rows[i].params);
		free(rows[i].key);
		free(rows[i].ref);
	}
}

static char *
notify_dup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Claims up to max due rows for this thread: marks them "sending" and
 * commits. The number claimed, or -1. */
static int
notify_claim(jx_db *db, struct notify_row *rows, int max)
{
	int n = 0;
	jx_stmt *st;

	if (db_begin(db) != 0)
		return -1;
	st = db_query(db,
	              "SELECT id, attempts, channel, recipient, template, "
	              "params, idem_key, ref FROM outbox WHERE state = "
	              "'pending' AND next_at <= ? ORDER BY next_at, id LIMIT ?",
	              "ii", jx_now(), (int64_t)max);
	while (st != NULL && n < max && db_step(st) == JX_DB_ROW) {
		struct notify_row *r = &rows[n++];

		memset(r, 0, sizeof(*r));
		r->id = db_int(st, 0);
		r->attempts = (int)db_int(st, 1);
		r->channel = notify_dup(db_text(st, 2));
		r->to = notify_dup(db_text(st, 3));
		r->tmpl = notify_dup(db_text(st, 4));
		r->params = notify_dup(db_text(st, 5));
		r->key = notify_dup(db_text(st, 6));
		r->ref = notify_dup(db_text(st, 7));
		r->lane = -1;
	}
	db_finish(st);
	for (int i = 0; i < n; i++)
		if (db_exec(db,
		            "UPDATE outbox SET state = 'sending' WHERE id = ?",
		            "i", rows[i].id) != 1)
			goto fail;
	if (db_commit(db) != 0) {
		notify_free_rows(rows, n);
		return -1;
	}
	return n;
fail:
	db_rollback(db);
	notify_free_rows(rows, n);
	return -1;
}

/* Takes the next row of the first queued batch; the lanes' lock held.
 * NULL when no row waits. */
static struct notify_row *
notify_take(struct notify_batch **from)
{
	struct notify_batch *b = nt.lqueue;

	if (b == NULL)
		return NULL;
	*from = b;
	if (b->next + 1 >= b->n) { /* its last row: off the list */
		nt.lqueue = b->link;
		b->queued = 0;
	}
	return &b->rows[b->next++];
}

/* Takes the finished calls for one commit, if no other thread is
 * committing; the lanes' lock held. Their lanes may call again. The
 * number taken into group (at most one per lane). */
static int
notify_take_finished(struct notify_row **group)
{
	struct notify_row *r;
	int k = 0;

	if (nt.settling)
		return 0;
	for (r = nt.fin; r != NULL && k < nt.nlanes; r = r->fin) {
		group[k++] = r;
		nt.lane_untaken[r->lane]--;
	}
	nt.fin = r; /* (none left: one per lane at most) */
	if (k > 0) {
		nt.settling = 1;
		pthread_cond_broadcast(&nt.ldone);
	}
	return k;
}

/* Delivers and settles the rows of a claimed batch: the lanes make the
 * calls, and this thread (or another delivery thread) commits the calls
 * that finished while the last commit was written. Returns when every
 * row handed out is settled; at stop, the rows not yet handed out go back
 * to "pending" untried. */
static void
notify_deliver_batch(jx_db *db, struct notify_row *rows, int n)
{
	struct notify_batch b = {.rows = rows, .n = n};
	struct notify_batch **tail;
	struct notify_row **group;
	int k, cap = nt.nlanes > n ? nt.nlanes : n;

	group = calloc((size_t)cap, sizeof(*group));
	if (group == NULL)
		return; /* the rows stay "sending": sent after a restart */
	if (nt.nlanes == 0) {
		/* No lanes: this thread calls, and settles each call at
		 * once. */
		for (k = 0; k < n; k++) {
			if (!nt.stop)
				notify_deliver(&rows[k]);
			group[0] = &rows[k];
			notify_settle(db, group, 1);
		}
		free(group);
		return;
	}
	for (k = 0; k < n; k++)
		rows[k].batch = &b;
	pthread_mutex_lock(&nt.lmu);
	for (tail = &nt.lqueue; *tail != NULL; tail = &(*tail)->link)
		;
	*tail = &b;
	b.queued = 1;
	pthread_cond_broadcast(&nt.lwork);
	for (;;) {
		k = notify_take_finished(group);
		if (k > 0) {
			pthread_mutex_unlock(&nt.lmu);
			/* Committed or not, they are done with: a failed
			 * commit leaves them "sending", sent again after a
			 * restart. */
			notify_settle(db, group, k);
			pthread_mutex_lock(&nt.lmu);
			for (int i = 0; i < k; i++)
				group[i]->batch->settled++;
			nt.settling = 0;
			pthread_cond_broadcast(&nt.ldone);
			continue;
		}
		if (nt.stop && b.queued) {
			/* Nobody takes the rest: unlink it; it waits for the
			 * next start untried. */
			for (tail = &nt.lqueue; *tail != &b;
			     tail = &(*tail)->link)
				;
			*tail = b.link;
			b.queued = 0;
		}
		if (!b.queued && b.settled >= b.next)
			break;
		pthread_cond_wait(&nt.ldone, &nt.lmu);
	}
	k = b.next;
	pthread_mutex_unlock(&nt.lmu);
	/* The rows never handed out (stop): back to pending, untried. */
	for (int i = k; i < n; i++)
		group[i - k] = &rows[i];
	if (n > k)
		notify_settle(db, group, n - k);
	free(group);
}

static void *
notify_lane(void *arg)
{
	/* A channel reads with host->thread_db: this lane's connection. */
	struct thread *t = thread_begin(NULL, 0);
	int lane = (int)(intptr_t)arg;
	pthread_mutex_lock(&nt.lmu);
	while (!nt.stop) {
		struct notify_batch *from;
		struct notify_row *r;

		/* Its last result must be in a commit before the next call:
		 * that is what bounds the repeats after a crash. */
		if (nt.lane_untaken[lane] > 0) {
			pthread_cond_wait(&nt.ldone, &nt.lmu);
			continue;
		}
		r = notify_take(&from);
		if (r == NULL) {
			pthread_cond_wait(&nt.lwork, &nt.lmu);
			continue;
		}
		pthread_mutex_unlock(&nt.lmu);
		notify_deliver(r);
		pthread_mutex_lock(&nt.lmu);
		r->lane = lane;
		r->fin = nt.fin;
		nt.fin = r;
		nt.lane_untaken[lane]++;
		from->done++;
		pthread_cond_broadcast(&nt.ldone);
	}
	pthread_mutex_unlock(&nt.lmu);
	thread_end(t);
	return NULL;
}

/* Claims, delivers and settles one batch of due messages; the number
 * claimed, or -1. */
static int
notify_run_batch(jx_db *db, int max)
{
	struct notify_row *rows = calloc((size_t)max, sizeof(*rows));
	int n;

	if (rows == NULL)
		return -1;
	n = notify_claim(db, rows, max);
	if (n > 0) {
		notify_deliver_batch(db, rows, n);
		notify_free_rows(rows, n);
	}
	free(rows);
	return n;
}

/* Delivers one batch of due messages on the calling thread; the number
 * handled, or -1. */
int
notify_run_due(jx_db *db)
{
	return notify_run_batch(db, notify_batch_size());
}

static void *
notify_main(void *arg)
{
	/* Channels and the subscribers of notify.result run here: they get
	 * this thread's connection and a Lua state for district rules. */
	struct thread *t = thread_begin(NULL, THREAD_LUA);
	jx_db *db = t != NULL ? t->db : NULL;
	struct luaenv *lua = t != NULL ? t->lua : NULL;
	int batch = nt.batch;

	(void)arg;
	if (db == NULL) {
		jx_log(JX_LOG_ERROR, "notify",
		       "delivery thread has no database");
		thread_end(t);
		return NULL;
	}
	pthread_mutex_lock(&nt.mu);
	while (!nt.stop) {
		struct timespec ts;
		unsigned long seen = nt.wakeups;
		int n;

		pthread_mutex_unlock(&nt.mu);
		if (lua != NULL)
			luaenv_refresh(lua);
		n = notify_run_batch(db, batch);
		pthread_mutex_lock(&nt.mu);
		if (nt.stop)
			break;
		if (n == batch || nt.wakeups != seen)
			continue; /* more may be due */
		/* Senders signal; the timeout also catches rows whose
		 * sending transaction committed after the signal, and rows
		 * whose time came. */
		clock_after_ms(&ts, 250);
		pthread_cond_timedwait(&nt.cv, &nt.mu, &ts);
	}
	pthread_mutex_unlock(&nt.mu);
	thread_end(t);
	return NULL;
}

int
notify_start(void)
{
	int64_t w = config_int(&app.cfg, "notify.workers", 2);
	int64_t l = config_int(&app.cfg, "notify.lanes", 32);

	if (w < 1)
		w = 1;
	if (w > NOTIFY_WORKERS_MAX)
		w = NOTIFY_WORKERS_MAX;
	if (l < 0)
		l = 0;
	if (l > NOTIFY_LANES_MAX)
		l = NOTIFY_LANES_MAX;
	nt.stop = 0;
	nt.batch = notify_batch_size();
	nt.nthreads = 0;
	nt.nlanes = 0;
	nt.lanes = l > 0 ? calloc((size_t)l, sizeof(*nt.lanes)) : NULL;
	nt.lane_untaken = l > 0 ? calloc((size_t)l, sizeof(int)) : NULL;
	if (l > 0 && (nt.lanes == NULL || nt.lane_untaken == NULL)) {
		free(nt.lanes);
		free(nt.lane_untaken);
		nt.lanes = NULL;
		nt.lane_untaken = NULL;
		return -1;
	}
	for (int i = 0; nt.lanes != NULL && i < l; i++) {
		if (thread_start(&nt.lanes[i], notify_lane,
		                 (void *)(intptr_t)i) != 0) {
			notify_stop();
			return -1;
		}
		nt.nlanes++;
	}
	for (int i = 0; i < w; i++) {
		if (thread_start(&nt.threads[i], notify_main, NULL) != 0) {
			notify_stop();
			return -1;
		}
		nt.nthreads++;
	}
	return 0;
}

void
notify_stop(void)
{
	if (nt.nthreads == 0 && nt.nlanes == 0)
		return;
	pthread_mutex_lock(&nt.mu);
	nt.stop = 1;
	pthread_cond_broadcast(&nt.cv);
	pthread_mutex_unlock(&nt.mu);
	pthread_mutex_lock(&nt.lmu);
	pthread_cond_broadcast(&nt.lwork);
	pthread_cond_broadcast(&nt.ldone);
	pthread_mutex_unlock(&nt.lmu);
	/* Workers first: they wait for the rows their lanes are still
	 * delivering, then settle. */
	for (int i = 0; i < nt.nthreads; i++)
		pthread_join(nt.threads[i], NULL);
	nt.nthreads = 0;
	for (int i = 0; i < nt.nlanes; i++)
		pthread_join(nt.lanes[i], NULL);
	nt.nlanes = 0;
	free(nt.lanes);
	nt.lanes = NULL;
	free(nt.lane_untaken);
	nt.lane_untaken = NULL;
}
