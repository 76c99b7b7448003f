/*
 * throttle.c — login throttling, in one host structure behind a mutex:
 * failures per login (5 in 15 minutes), per client address (30 in one
 * minute), and across all accounts (a password spray, which earns failed
 * attempts a bounded delay but never refuses a correct password).
 * Counters live in memory: a restart forgets them, which costs an
 * attacker a restart they cannot cause.
 */
#include "host.h"
#include "throttle.h"

#include <stdlib.h>
#include <string.h>

#define THROTTLE_BUCKETS 4096
#define THROTTLE_MAX_KEYS 100000

struct tentry {
	struct tentry *next;
	int64_t times[THROTTLE_MAX_EVENTS]; /* ring of failure times */
	int n, head;
	char key[];
};

struct tkind {
	struct tentry *b[THROTTLE_BUCKETS];
	int limit;
	int64_t window;
	int count;
};

static struct {
	pthread_mutex_t mu;
	struct tkind login, ip;
	int64_t spray[1024]; /* ring of recent failure times, all accounts */
	int spray_head;
} th = {
    .mu = PTHREAD_MUTEX_INITIALIZER,
    .login = {.limit = 5, .window = 15 * 60},
    .ip = {.limit = 30, .window = 60},
};

static unsigned
throttle_hash(const char *s)
{
	unsigned h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h % THROTTLE_BUCKETS;
}

/* Drops every entry whose failures are all outside the window. */
static void
throttle_purge(struct tkind *k, int64_t now)
{
	for (int i = 0; i < THROTTLE_BUCKETS; i++) {
		struct tentry **pp = &k->b[i];

		while (*pp != NULL) {
			struct tentry *e = *pp;
			int newest = (e->head + THROTTLE_MAX_EVENTS - 1) %
			             THROTTLE_MAX_EVENTS;

			if (e->n == 0 || e->times[newest] <= now - k->window) {
				*pp = e->next;
				free(e);
				k->count--;
			} else
				pp = &e->next;
		}
	}
}

static struct tentry *
throttle_find(struct tkind *k, const char *key, int create, int64_t now)
{
	unsigned h = throttle_hash(key);
	struct tentry *e;
	size_t n;

	for (e = k->b[h]; e != NULL; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	if (!create)
		return NULL;
	if (k->count >= THROTTLE_MAX_KEYS)
		throttle_purge(k, now);
	n = strlen(key);
	e = calloc(1, sizeof(*e) + n + 1);
	if (e == NULL)
		return NULL;
	memcpy(e->key, key, n + 1);
	e->next = k->b[h];
	k->b[h] = e;
	k->count++;
	return e;
}

/* Seconds until key may try again, 0 when it may now. */
static int64_t
throttle_wait(struct tkind *k, const char *key, int64_t now)
{
	struct tentry *e = throttle_find(k, key, 0, now);
	int64_t oldest_relevant;
	int in_window = 0;

	if (e == NULL)
		return 0;
	for (int i = 0; i < e->n; i++)
		if (e->times[i] > now - k->window)
			in_window++;
	if (in_window < k->limit)
		return 0;
	/* The limit-th most recent failure decides when one slot frees. */
	oldest_relevant = e->times[(e->head + THROTTLE_MAX_EVENTS - k->limit) %
	                           THROTTLE_MAX_EVENTS];
	return oldest_relevant + k->window - now > 0
	           ? oldest_relevant + k->window - now
	           : 1;
}

static void
throttle_add(struct tkind *k, const char *key, int64_t now)
{
	struct tentry *e = throttle_find(k, key, 1, now);

	if (e == NULL)
		return;
	e->times[e->head] = now;
	e->head = (e->head + 1) % THROTTLE_MAX_EVENTS;
	if (e->n < THROTTLE_MAX_EVENTS)
		e->n++;
}

int64_t
throttle_check(const char *login, const char *ip, int64_t now)
{
	int64_t a, b;

	pthread_mutex_lock(&th.mu);
	a = throttle_wait(&th.login, login, now);
	b = throttle_wait(&th.ip, ip, now);
	pthread_mutex_unlock(&th.mu);
	return a > b ? a : b;
}

int64_t
throttle_fail(const char *login, const char *ip, int64_t now, int spray_limit)
{
	int recent = 0;

	pthread_mutex_lock(&th.mu);
	throttle_add(&th.login, login, now);
	throttle_add(&th.ip, ip, now);
	th.spray[th.spray_head] = now;
	th.spray_head = (th.spray_head + 1) % 1024;
	for (int i = 0; i < 1024; i++)
		if (th.spray[i] > now - 60)
			recent++;
	pthread_mutex_unlock(&th.mu);
	if (spray_limit <= 0 || recent <= spray_limit)
		return 0;
	/* Above the spray threshold every failure waits a little longer,
	 * up to two seconds: a spray slows to a crawl, users barely
	 * notice. */
	int64_t ms = (int64_t)(recent - spray_limit) * 20;

	return ms > 2000 ? 2000 : ms;
}

void
throttle_success(const char *login)
{
	pthread_mutex_lock(&th.mu);
	struct tentry *e = throttle_find(&th.login, login, 0, 0);

	if (e != NULL) {
		e->n = 0;
		e->head = 0;
	}
	pthread_mutex_unlock(&th.mu);
}

void
throttle_reset(void)
{
	pthread_mutex_lock(&th.mu);
	throttle_purge(&th.login, INT64_MAX / 2);
	throttle_purge(&th.ip, INT64_MAX / 2);
	memset(th.spray, 0, sizeof(th.spray));
	pthread_mutex_unlock(&th.mu);
}
