/*
 * test_thread.c — a thread's working set (thread.c): thread_begin makes
 * a set current with its own connection (closed by thread_end) or a lent
 * one (left open), sets nest, a thread started by thread_start has
 * JX_THREAD_STACK and its own set, a civetweb-style worker's set is
 * made once and freed when the thread exits, and thread_on_big_stack
 * runs a function where the stack is big enough.
 */
#include "check.h"
#include "host.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct probe {
	jx_db *db;
	int64_t rows;
	size_t stack;
	struct thread *first, *again;
};

static size_t
stack_size(void)
{
	pthread_attr_t attr;
	size_t size = 0;

	if (pthread_getattr_np(pthread_self(), &attr) == 0) {
		pthread_attr_getstacksize(&attr, &size);
		pthread_attr_destroy(&attr);
	}
	return size;
}

/* A host-started thread: its own connection between begin and end. */
static void *
probe_main(void *arg)
{
	struct probe *p = arg;
	struct thread *t = thread_begin(NULL, 0);

	p->db = thread_db();
	p->rows =
	    p->db ? db_one(p->db, "SELECT COUNT(*) FROM host_meta", "") : -1;
	p->stack = stack_size();
	thread_end(t);
	if (thread_current() != NULL)
		p->rows = -2;
	return NULL;
}

/* A request worker: one set for all its requests, freed at exit (the
 * sanitizer build reports a leak if it were not). */
static void *
worker_main(void *arg)
{
	struct probe *p = arg;

	p->first = thread_worker();
	p->again = thread_worker();
	p->db = p->first ? p->first->db : NULL;
	return NULL;
}

static void
big_fn(void *arg)
{
	*(size_t *)arg = stack_size();
}

static void *
small_main(void *arg)
{
	if (thread_on_big_stack(big_fn, arg) != 0)
		*(size_t *)arg = 0;
	return NULL;
}

int
main(void)
{
	char dir[] = "/tmp/jxthreadXXXXXX", path[256], err[256];
	struct thread *outer, *inner;
	struct probe p;
	pthread_t tid;
	size_t big = 0;
	jx_db *db;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/t.db", dir);
	db = db_open(path);
	CHECK(migrate_apply(db, "host", host_migrations, err, sizeof(err)) ==
	      0);
	app.db_path = path;

	/* No set yet on this thread. */
	CHECK(thread_current() == NULL);
	CHECK(thread_db() == NULL && thread_lua() == NULL);

	/* A lent connection, then a nested set with its own. */
	outer = thread_begin(db, 0);
	CHECK(outer != NULL && thread_current() == outer);
	CHECK(thread_db() == db && outer->owns_db == 0);
	inner = thread_begin(NULL, 0);
	CHECK(inner != NULL && thread_current() == inner);
	CHECK(inner->db != NULL && inner->db != db && inner->owns_db);
	CHECK(db_one(thread_db(), "SELECT COUNT(*) FROM host_meta", "") >= 0);
	thread_end(inner);
	CHECK(thread_current() == outer && thread_db() == db);
	thread_end(outer);
	CHECK(thread_current() == NULL);
	/* The lent connection is still open. */
	CHECK(db_one(db, "SELECT COUNT(*) FROM host_meta", "") >= 0);
	thread_end(NULL);

	/* A started thread: the host's stack, a connection of its own. */
	memset(&p, 0, sizeof(p));
	CHECK(thread_start(&tid, probe_main, &p) == 0);
	pthread_join(tid, NULL);
	CHECK(p.db != NULL && p.db != db);
	CHECK(p.rows >= 0);
	CHECK(p.stack >= JX_THREAD_STACK);

	/* A worker keeps one set across requests. */
	memset(&p, 0, sizeof(p));
	CHECK(pthread_create(&tid, NULL, worker_main, &p) == 0);
	pthread_join(tid, NULL);
	CHECK(p.first != NULL && p.first == p.again && p.db != NULL);

	/* A worker whose database cannot be opened gets no set. */
	app.db_path = "/nonexistent/dir/t.db";
	memset(&p, 0, sizeof(p));
	CHECK(pthread_create(&tid, NULL, worker_main, &p) == 0);
	pthread_join(tid, NULL);
	CHECK(p.first == NULL && p.again == NULL);
	app.db_path = path;

	/* The main thread's stack is big enough: fn runs right here. */
	CHECK(thread_on_big_stack(big_fn, &big) == 0);
	CHECK(big == stack_size());
	/* From a worker's small stack fn moves to a thread of
	 * JX_THREAD_STACK. */
	{
		pthread_attr_t attr;

		big = 0;
		CHECK(pthread_attr_init(&attr) == 0);
		CHECK(pthread_attr_setstacksize(&attr, JX_WORKER_STACK) == 0);
		CHECK(pthread_create(&tid, &attr, small_main, &big) == 0);
		pthread_join(tid, NULL);
		pthread_attr_destroy(&attr);
		CHECK(big >= JX_THREAD_STACK);
	}

	app.db_path = NULL;
	db_close(db);
	snprintf(err, sizeof(err), "rm -rf %s", dir);
	CHECK(system(err) == 0);
	return check_done();
}
