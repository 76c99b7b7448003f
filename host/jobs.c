/*
 * jobs.c — durable background jobs. A job is a row in `jobs`; one job
 * thread with its own connection runs queued jobs in order. Progress of
 * the running job is kept in memory behind a mutex (the runner may hold
 * the write transaction for the whole job, so progress cannot go through
 * the database) and stored with the result. A job found "running" at
 * start-up was interrupted by a crash and is marked failed.
 *
 * Layering: a service; the job thread and the parallel helpers get their
 * stacks, connections and Lua states from thread.c, and nothing here
 * calls request or organisation code.
 */
#include "files.h"
#include "host.h"
#include "luaenv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct jx_job {
	int64_t id;
	const char *kind;
	cJSON *params;
	cJSON *result;
	jx_db *db;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	int running;
	int stop;
	int64_t current;     /* id of the running job, 0 when idle */
	int64_t done, total; /* its progress */
} jobs = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

int
jobs_recover(jx_db *db)
{
	int64_t n = db_exec(
	    db,
	    "UPDATE jobs SET state = 'failed', finished_at = ?, result = ? "
	    "WHERE state = 'running'",
	    "is", jx_now(),
	    "{\"created\":0,\"updated\":0,\"unchanged\":0,\"warnings\":[],"
	    "\"errors\":[{\"message\":\"interrupted by a server restart; "
	    "nothing was written, please run it again\"}]}");

	if (n > 0)
		jx_log(JX_LOG_WARN, "jobs",
		       "%lld interrupted job(s) marked failed", (long long)n);
	return n < 0 ? -1 : 0;
}

int64_t
jobs_submit(jx_db *db, const char *kind, cJSON *params, int64_t owner)
{
	char *p = params ? cJSON_PrintUnformatted(params) : NULL;
	jx_stmt *st;
	int64_t id = -1;

	cJSON_Delete(params);
	st = db_query(db,
	              "INSERT INTO jobs(kind, params, owner_account_id, "
	              "created_at) VALUES (?, ?, ?, ?) RETURNING id",
	              "ssii", kind, p ? p : "{}", owner, jx_now());
	free(p);
	if (st == NULL)
		return -1;
	if (db_step(st) == JX_DB_ROW)
		id = db_int(st, 0);
	db_finish(st);
	pthread_mutex_lock(&jobs.mu);
	pthread_cond_signal(&jobs.cv);
	pthread_mutex_unlock(&jobs.mu);
	return id;
}

cJSON *
jobs_get_json(jx_db *db, int64_t id, int64_t *owner)
{
	jx_stmt *st = db_query(db,
	                       "SELECT id, kind, state, progress_done, "
	                       "progress_total, result, owner_account_id "
	                       "FROM jobs WHERE id = ?",
	                       "i", id);
	cJSON *j = NULL, *prog;
	int64_t done, total;

	if (st == NULL)
		return NULL;
	if (db_step(st) != JX_DB_ROW)
		goto done;
	j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "id", (double)db_int(st, 0));
	cJSON_AddStringToObject(j, "kind", db_text(st, 1));
	cJSON_AddStringToObject(j, "state", db_text(st, 2));
	done = db_int(st, 3);
	total = db_int(st, 4);
	pthread_mutex_lock(&jobs.mu);
	if (jobs.current == id) {
		done = jobs.done;
		total = jobs.total;
	}
	pthread_mutex_unlock(&jobs.mu);
	prog = cJSON_AddObjectToObject(j, "progress");
	cJSON_AddNumberToObject(prog, "done", (double)done);
	cJSON_AddNumberToObject(prog, "total", (double)total);
	if (!db_is_null(st, 5)) {
		cJSON *r = cJSON_Parse(db_text(st, 5));

		cJSON_AddItemToObject(j, "result", r ? r : cJSON_CreateNull());
	} else
		cJSON_AddNullToObject(j, "result");
	if (owner != NULL)
		*owner = db_int(st, 6);
done:
	db_finish(st);
	return j;
}

/* Each item of list: "message" becomes the one of lang, and
 * "message_en" goes. */
static void
jobs_localize_list(cJSON *list, const char *lang)
{
	int en = lang != NULL && strcmp(lang, "en") == 0;
	cJSON *e;

	cJSON_ArrayForEach(e, list)
	{
		cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "message_en");

		if (!cJSON_IsString(m))
			continue;
		if (en && m->valuestring[0] != '\0')
			cJSON_ReplaceItemInObjectCaseSensitive(
			    e, "message", cJSON_CreateString(m->valuestring));
		cJSON_DeleteItemFromObjectCaseSensitive(e, "message_en");
	}
}

void
jobs_localize(cJSON *job, const char *lang)
{
	cJSON *r = cJSON_GetObjectItemCaseSensitive(job, "result");

	if (!cJSON_IsObject(r))
		return;
	jobs_localize_list(cJSON_GetObjectItemCaseSensitive(r, "errors"), lang);
	jobs_localize_list(cJSON_GetObjectItemCaseSensitive(r, "warnings"),
	                   lang);
}

const cJSON *
jobs_params(jx_job *job)
{
	return job->params;
}

jx_db *
jobs_db(jx_job *job)
{
	return job->db;
}

void
jobs_progress(jx_job *job, int64_t done, int64_t total)
{
	pthread_mutex_lock(&jobs.mu);
	if (jobs.current == job->id) {
		jobs.done = done;
		jobs.total = total;
	}
	pthread_mutex_unlock(&jobs.mu);
}

void
jobs_set_result(jx_job *job, cJSON *result)
{
	cJSON_Delete(job->result);
	job->result = result;
}

int64_t
jobs_id(jx_job *job)
{
	return job->id;
}

static const struct job_kind *
jobs_kind(const char *kind)
{
	for (int i = 0; i < app.njob_kinds; i++)
		if (strcmp(app.job_kinds[i].kind, kind) == 0 &&
		    app.plugins[app.job_kinds[i].plugin].state == PLUGIN_ACTIVE)
			return &app.job_kinds[i];
	return NULL;
}

/* Claims and runs the oldest queued job. 1 ran one, 0 none, -1 error. */
static int
jobs_run_one(jx_db *db)
{
	jx_stmt *st;
	struct jx_job job;
	const struct job_kind *k;
	char *res;
	int rc;

	memset(&job, 0, sizeof(job));
	st = db_query(db,
	              "UPDATE jobs SET state = 'running', started_at = ? "
	              "WHERE id = (SELECT id FROM jobs WHERE state = 'queued' "
	              "ORDER BY id LIMIT 1) RETURNING id, kind, params",
	              "i", jx_now());
	if (st == NULL)
		return -1;
	rc = db_step(st);
	if (rc != JX_DB_ROW) {
		db_finish(st);
		return rc == JX_DB_DONE ? 0 : -1;
	}
	job.id = db_int(st, 0);
	job.kind = strdup(db_text(st, 1));
	job.params = cJSON_Parse(db_text(st, 2));
	job.db = db;
	db_finish(st);
	pthread_mutex_lock(&jobs.mu);
	jobs.current = job.id;
	jobs.done = jobs.total = 0;
	pthread_mutex_unlock(&jobs.mu);

	k = jobs_kind(job.kind);
	if (k == NULL) {
		job.result = cJSON_CreateObject();
		cJSON *errs = cJSON_AddArrayToObject(job.result, "errors");
		cJSON *e = cJSON_CreateObject();

		cJSON_AddStringToObject(e, "message",
		                        "没有启用的插件执行此类任务");
		cJSON_AddStringToObject(
		    e, "message_en", "no active plugin runs this kind of job");
		cJSON_AddItemToArray(errs, e);
		rc = 1;
	} else {
		int prev = plugin_enter();

		rc = k->fn(&job, k->ud);
		plugin_leave(prev);
	}
	db_reset_all(db);
	res = job.result ? cJSON_PrintUnformatted(job.result) : NULL;
	pthread_mutex_lock(&jobs.mu);
	if (db_exec(db,
	            "UPDATE jobs SET state = ?, result = ?, finished_at = ?, "
	            "progress_done = ?, progress_total = ? WHERE id = ?",
	            "ssiiii", rc == 0 ? "succeeded" : "failed", res, jx_now(),
	            jobs.done, jobs.total, job.id) < 0)
		jx_log(JX_LOG_ERROR, "jobs",
		       "job %lld: cannot store result: %s", (long long)job.id,
		       db_errmsg(db));
	jobs.current = 0;
	pthread_mutex_unlock(&jobs.mu);
	jx_log(JX_LOG_INFO, "jobs", "job %lld (%s) %s", (long long)job.id,
	       job.kind, rc == 0 ? "succeeded" : "failed");
	free(res);
	free((char *)job.kind);
	cJSON_Delete(job.params);
	cJSON_Delete(job.result);
	return 1;
}

int
jobs_run_pending(jx_db *db)
{
	int n = 0, rc;

	while ((rc = jobs_run_one(db)) == 1)
		n++;
	return rc < 0 ? -1 : n;
}

/* ---- parallel work -------------------------------------------------- */

struct jobs_helper {
	void (*fn)(void *arg, int i);
	void *arg;
	int i;
	int plugin; /* the caller's db_in_plugin, taken on */
	pthread_t thread;
	int started;
};

static void *
jobs_helper_main(void *p)
{
	struct jobs_helper *h = p;
	struct thread *t = thread_begin(NULL, THREAD_LUA);

	/* Without a connection or a Lua state the helper still runs fn:
	 * its calls fail as they would on any thread without them. */
	int prev = h->plugin ? plugin_enter() : host_enter();

	h->fn(h->arg, h->i);
	host_leave(prev);
	thread_end(t);
	return NULL;
}

int
jobs_stopping(jx_job *job)
{
	(void)job;
	return __atomic_load_n(&jobs.stop, __ATOMIC_RELAXED);
}

int
jobs_parallel(void (*fn)(void *arg, int i), void *arg, int n)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int64_t cap =
	    config_int(&app.cfg, "jobs.parallel", cores > 0 ? cores : 1);
	struct jobs_helper *h;
	int k;

	if (cap < 1)
		cap = 1;
	if (cap > 64)
		cap = 64;
	k = n < 1 ? 1 : n > cap ? (int)cap : n;
	h = calloc((size_t)k, sizeof(*h));
	if (h == NULL)
		k = 1;
	for (int i = 1; i < k; i++) {
		h[i] = (struct jobs_helper){
		    .fn = fn, .arg = arg, .i = i, .plugin = db_in_plugin()};
		h[i].started =
		    thread_start(&h[i].thread, jobs_helper_main, &h[i]) == 0;
		if (!h[i].started) /* do its share here instead */
			fn(arg, i);
	}
	fn(arg, 0);
	for (int i = 1; i < k; i++)
		if (h[i].started)
			pthread_join(h[i].thread, NULL);
	free(h);
	return k;
}

static void *
jobs_main(void *arg)
{
	/* Jobs apply rules too (initial passwords in imports). */
	struct thread *t = thread_begin(NULL, THREAD_LUA);
	jx_db *db = t != NULL ? t->db : NULL;
	struct luaenv *lua = t != NULL ? t->lua : NULL;

	(void)arg;
	if (db == NULL) {
		jx_log(JX_LOG_ERROR, "jobs", "job thread has no database");
		thread_end(t);
		return NULL;
	}
	pthread_mutex_lock(&jobs.mu);
	while (!jobs.stop) {
		struct timespec ts;

		pthread_mutex_unlock(&jobs.mu);
		if (lua != NULL)
			luaenv_refresh(lua);
		jobs_run_pending(db);
		files_sweep_due(db);
		pthread_mutex_lock(&jobs.mu);
		if (jobs.stop)
			break;
		/* Submitters signal; the timeout also catches jobs whose
		 * submitting transaction committed after the signal. */
		clock_after_ms(&ts, 500);
		pthread_cond_timedwait(&jobs.cv, &jobs.mu, &ts);
	}
	pthread_mutex_unlock(&jobs.mu);
	thread_end(t);
	return NULL;
}

int
jobs_start(void)
{
	jobs.stop = 0;
	if (thread_start(&jobs.thread, jobs_main, NULL) != 0)
		return -1;
	jobs.running = 1;
	return 0;
}

void
jobs_stop(void)
{
	if (!jobs.running)
		return;
	pthread_mutex_lock(&jobs.mu);
	__atomic_store_n(&jobs.stop, 1, __ATOMIC_RELAXED);
	pthread_cond_signal(&jobs.cv);
	pthread_mutex_unlock(&jobs.mu);
	pthread_join(jobs.thread, NULL);
	jobs.running = 0;
}
