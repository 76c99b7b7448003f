/*
 * thread.c — what every thread that runs host or plugin code owns: its
 * database connection, its Lua state and its arena (STYLE.md, "three
 * kinds of state"), and the stacks of the threads the host starts.
 *
 * One struct and one begin/end pair for every kind of thread: civetweb's
 * request workers make theirs on their first request and keep it until
 * civetweb ends the thread (thread_worker); the job thread and its
 * parallel helpers, the delivery workers and lanes, and the command line
 * bracket their work with thread_begin and thread_end. thread_db and
 * thread_lua answer for whichever is current (the host table's
 * thread_db and rule_call).
 *
 * Layering: this file sits just above db.c and lua.c and calls nothing
 * of the request, organisation or plugin code; they all call down here.
 */
#include "host.h"
#include "luaenv.h"

#include <stdlib.h>
#include <string.h>

static pthread_key_t thread_key;
static pthread_once_t thread_once = PTHREAD_ONCE_INIT;

static void
thread_free(struct thread *t)
{
	arena_free(&t->arena);
	if (t->identity_cache_free != NULL)
		t->identity_cache_free(t->identity_cache);
	if (t->lua != NULL)
		luaenv_free(t->lua);
	if (t->owns_db)
		db_close(t->db);
	free(t);
}

/* civetweb ends its workers without telling the host: the key's
 * destructor frees the set a worker still holds. */
static void
thread_destroy(void *p)
{
	thread_free(p);
}

static void
thread_key_create(void)
{
	pthread_key_create(&thread_key, thread_destroy);
}

void
thread_lua_opts(struct luaenv_opts *lo)
{
	memset(lo, 0, sizeof(*lo));
	lo->scripts_dir = app.scripts_dir;
	lo->templates_dir = app.templates_dir;
	lo->plugin_templates = app.plugin_templates;
	lo->nplugin_templates = app.nplugin_templates;
	lo->now = jx_now;
	lo->instructions = config_int(&app.cfg, "lua.instructions", 10000000);
	lo->memory_bytes =
	    (size_t)config_int(&app.cfg, "lua.memory_mb", 32) * 1024 * 1024;
}

struct thread *
thread_current(void)
{
	pthread_once(&thread_once, thread_key_create);
	return pthread_getspecific(thread_key);
}

jx_db *
thread_db(void)
{
	struct thread *t = thread_current();

	return t != NULL ? t->db : NULL;
}

struct luaenv *
thread_lua(void)
{
	struct thread *t = thread_current();

	return t != NULL ? t->lua : NULL;
}

struct thread *
thread_begin(jx_db *db, unsigned flags)
{
	struct thread *t;

	pthread_once(&thread_once, thread_key_create);
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	arena_init(&t->arena, 32768);
	t->owns_db = db == NULL;
	t->db = db != NULL ? db : db_open(app.db_path);
	if (flags & THREAD_LUA) {
		struct luaenv_opts lo;

		thread_lua_opts(&lo);
		t->lua = luaenv_new(&lo);
		if (t->lua == NULL)
			jx_log(JX_LOG_ERROR, "lua",
			       "cannot create the Lua state");
	}
	t->prev = pthread_getspecific(thread_key);
	pthread_setspecific(thread_key, t);
	return t;
}

void
thread_end(struct thread *t)
{
	if (t == NULL)
		return;
	if (pthread_getspecific(thread_key) == t)
		pthread_setspecific(thread_key, t->prev);
	thread_free(t);
}

/* A worker with less stack than the host's limits were chosen for
 * (JX_WORKER_STACK) is worth a line in the log: a libcivetweb built with
 * another CIVETWEB_THREAD_STACK_SIZE. */
static void
thread_stack_check(void)
{
	pthread_attr_t attr;
	size_t size = 0;

	if (pthread_getattr_np(pthread_self(), &attr) != 0)
		return;
	pthread_attr_getstacksize(&attr, &size);
	pthread_attr_destroy(&attr);
	if (size < JX_WORKER_STACK)
		jx_log(JX_LOG_WARN, "http",
		       "worker stack is %zu bytes, less than the %d "
		       "the host's limits assume",
		       size, JX_WORKER_STACK);
}

struct thread *
thread_worker(void)
{
	struct thread *t = thread_current();

	if (t != NULL)
		return t;
	thread_stack_check();
	t = thread_begin(NULL, THREAD_LUA);
	if (t != NULL && t->db == NULL) {
		thread_end(t);
		return NULL;
	}
	return t;
}

int
thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	int rc;

	if (pthread_attr_init(&attr) != 0)
		return -1;
	rc = pthread_attr_setstacksize(&attr, JX_THREAD_STACK) == 0 &&
	             pthread_create(t, &attr, fn, arg) == 0
	         ? 0
	         : -1;
	pthread_attr_destroy(&attr);
	return rc;
}

struct thread_big_call {
	void (*fn)(void *);
	void *arg;
};

static void *
thread_big_main(void *p)
{
	struct thread_big_call *c = p;

	c->fn(c->arg);
	return NULL;
}

int
thread_on_big_stack(void (*fn)(void *), void *arg)
{
	struct thread_big_call c = {fn, arg};
	pthread_attr_t attr;
	size_t size = 0;
	pthread_t t;

	if (pthread_getattr_np(pthread_self(), &attr) == 0) {
		pthread_attr_getstacksize(&attr, &size);
		pthread_attr_destroy(&attr);
	}
	if (size >= JX_THREAD_STACK / 2) {
		fn(arg);
		return 0;
	}
	if (thread_start(&t, thread_big_main, &c) != 0)
		return -1;
	pthread_join(t, NULL);
	return 0;
}
