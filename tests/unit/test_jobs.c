/*
 * test_jobs.c — durable jobs: a queued job runs with progress and a
 * stored result, a failing runner ends "failed" with its result, a job
 * of an unknown kind fails with a reason, and a job left "running" by a
 * crash is marked failed at start-up (never left running). parallel()
 * runs its share 0 on the caller and the others on threads of their own,
 * each with its own connection to the same database.
 */
#include "check.h"
#include "host.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct par {
	int seen[64];
	int64_t rows[64];
	pthread_t tid[64];
};

static void
par_fn(void *arg, int i)
{
	struct par *p = arg;
	jx_db *db = thread_db();

	p->seen[i]++;
	p->tid[i] = pthread_self();
	p->rows[i] = db ? db_one(db, "SELECT COUNT(*) FROM jobs", "") : -1;
}

static int
count_job(jx_job *job, void *ud)
{
	const cJSON *n = cJSON_GetObjectItem(jobs_params(job), "n");
	cJSON *res = cJSON_CreateObject();

	for (int i = 1; i <= n->valueint; i++)
		jobs_progress(job, i, n->valueint);
	cJSON_AddNumberToObject(res, "created", n->valueint);
	jobs_set_result(job, res);
	return n->valueint < 0 ? 1 : 0;
}

static const char *
job_state(jx_db *db, int64_t id, cJSON **out)
{
	static char state[32];
	cJSON *j = jobs_get_json(db, id, NULL);

	snprintf(state, sizeof(state), "%s",
	         j ? cJSON_GetObjectItem(j, "state")->valuestring : "none");
	if (out != NULL)
		*out = j;
	else
		cJSON_Delete(j);
	return state;
}

int
main(void)
{
	char dir[] = "/tmp/jxjobsXXXXXX", path[256], err[256];
	struct plugin plugin = {.name = "t", .state = PLUGIN_ACTIVE};
	struct job_kind kind = {
	    .kind = "t.count", .fn = count_job, .plugin = 0};
	jx_db *db;
	int64_t ok, bad, unknown, stale;
	cJSON *j;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/j.db", dir);
	db = db_open(path);
	CHECK(migrate_apply(db, "host", host_migrations, err, sizeof(err)) ==
	      0);
	app.plugins = &plugin;
	app.nplugins = 1;
	app.job_kinds = &kind;
	app.njob_kinds = 1;

	ok = jobs_submit(db, "t.count", cJSON_Parse("{\"n\":3}"), 7);
	bad = jobs_submit(db, "t.count", cJSON_Parse("{\"n\":-1}"), 7);
	unknown = jobs_submit(db, "nobody.runs.this", NULL, 7);
	CHECK(ok > 0 && bad > ok && unknown > bad);
	CHECK_STR(job_state(db, ok, NULL), "queued");
	CHECK(jobs_run_pending(db) == 3);

	CHECK_STR(job_state(db, ok, &j), "succeeded");
	CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "progress"), "done")
	          ->valueint == 3);
	CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "result"), "created")
	          ->valueint == 3);
	cJSON_Delete(j);
	CHECK_STR(job_state(db, bad, NULL), "failed");
	CHECK_STR(job_state(db, unknown, &j), "failed");
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(
	          cJSON_GetObjectItem(j, "result"), "errors")) == 1);
	cJSON_Delete(j);

	/* A job the last process left running is failed, not resumed. */
	stale = jobs_submit(db, "t.count", cJSON_Parse("{\"n\":1}"), 7);
	CHECK(db_exec(db, "UPDATE jobs SET state = 'running' WHERE id = ?", "i",
	              stale) == 1);
	CHECK(jobs_recover(db) == 0);
	CHECK_STR(job_state(db, stale, &j), "failed");
	{
		char *text =
		    cJSON_PrintUnformatted(cJSON_GetObjectItem(j, "result"));

		CHECK(strstr(text, "restart") != NULL);
		free(text);
	}
	cJSON_Delete(j);
	CHECK(jobs_run_pending(db) == 0);
	/* the owner is reported for the visibility check */
	{
		int64_t owner = 0;

		j = jobs_get_json(db, ok, &owner);
		CHECK(owner == 7);
		cJSON_Delete(j);
	}
	CHECK(jobs_get_json(db, 999999, NULL) == NULL);

	/* parallel: k = n capped by the cores, share 0 on this thread */
	{
		struct par p = {0};
		long cores = sysconf(_SC_NPROCESSORS_ONLN);
		int want = cores >= 4 ? 4 : (int)cores, k;
		int64_t jobs = db_one(db, "SELECT COUNT(*) FROM jobs", "");
		struct thread *t;

		app.db_path = path;
		t = thread_begin(db, 0);
		k = jobs_parallel(par_fn, &p, 4);
		CHECK(k == want);
		for (int i = 0; i < 64; i++)
			CHECK(p.seen[i] == (i < k));
		CHECK(pthread_equal(p.tid[0], pthread_self()));
		for (int i = 0; i < k; i++)
			CHECK(p.rows[i] == jobs);
		for (int i = 1; i < k; i++)
			CHECK(!pthread_equal(p.tid[i], pthread_self()));
		memset(&p, 0, sizeof(p));
		CHECK(jobs_parallel(par_fn, &p, 0) == 1);
		CHECK(p.seen[0] == 1 && p.seen[1] == 0);
		thread_end(t);
		app.db_path = NULL;
	}

	db_close(db);
	snprintf(err, sizeof(err), "rm -rf %s", dir);
	CHECK(system(err) == 0);
	return check_done();
}
