/*
 * render_cache.c — rendered fragments kept by the process (ABI 2.5:
 * jx_host->fragment_get, fragment_render).
 *
 * A fragment is what templates/<tmpl>.html renders from one set of
 * inputs: a feed's cell of one post. The plugin passes a key that holds
 * every input the fragment shows (for a post: its id, text, counts,
 * author, time, photos' count...), read from the rows of this request;
 * the cache adds the template's name, the request's language and the
 * files generation (luaenv_files_gen: a changed template or catalog
 * anywhere makes every older entry a miss). A hit is therefore the same
 * bytes the template would render now, never a stale copy, in this
 * process or beside others over one database (issue 20): nothing is
 * invalidated, a changed row simply asks for another key. The whole key
 * is compared byte for byte (no hash collision can serve another
 * post's cell).
 *
 * One table per process behind a mutex (a hit is a hash, a compare and
 * a copy into the request's arena), least recently used first out, at
 * most render.fragment_cache_bytes (config, default 8 MiB; 0 turns the
 * cache off) of keys and HTML together.
 */
#include "host.h"
#include "render.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define RC_BUCKETS 4096 /* a power of two */
#define RC_OVERHEAD 64  /* bytes counted per entry beside key and HTML */

struct rc_entry {
	struct rc_entry *hnext;       /* the bucket's chain */
	struct rc_entry *prev, *next; /* recency: head the newest */
	uint64_t hash;
	unsigned gen;
	size_t klen, hlen;
	char data[]; /* the key, then the HTML and a NUL */
};

static pthread_mutex_t rc_mu = PTHREAD_MUTEX_INITIALIZER;
static struct rc_entry *rc_tab[RC_BUCKETS];
static struct rc_entry *rc_head, *rc_tail;
static size_t rc_bytes, rc_limit;
static int rc_limit_read;
static uint64_t rc_hits, rc_misses;

/* The full key: tmpl NUL lang NUL key (into the arena). */
static char *
rc_full_key(jx_req *req, const char *tmpl, const void *key, size_t klen,
            size_t *out)
{
	const char *lang = req->lang != NULL ? req->lang : "zh-CN";
	size_t t = strlen(tmpl) + 1, l = strlen(lang) + 1;
	char *k = arena_alloc(req->arena, t + l + klen + 1);

	memcpy(k, tmpl, t);
	memcpy(k + t, lang, l);
	if (klen > 0)
		memcpy(k + t + l, key, klen);
	*out = t + l + klen;
	return k;
}

/* A 64-bit hash of the full key, eight bytes a step (a feed's key is a
 * post's text and fields, some hundred bytes, hashed on every cell): a
 * multiply-xorshift mix, enough for buckets; a hit compares the key. */
static uint64_t
rc_hash(const char *p, size_t n)
{
	const uint64_t m = 0x9e3779b97f4a7c15ULL;
	uint64_t h = 0x243f6a8885a308d3ULL ^ n, w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * m;
		h ^= h >> 29;
	}
	w = 0;
	memcpy(&w, p, n);
	h = (h ^ w) * m;
	h ^= h >> 32;
	return h;
}

static void
rc_unlink_recent(struct rc_entry *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		rc_head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		rc_tail = e->prev;
	e->prev = e->next = NULL;
}

static void
rc_push_recent(struct rc_entry *e)
{
	e->prev = NULL;
	e->next = rc_head;
	if (rc_head != NULL)
		rc_head->prev = e;
	rc_head = e;
	if (rc_tail == NULL)
		rc_tail = e;
}

static void
rc_remove(struct rc_entry *e)
{
	struct rc_entry **pp = &rc_tab[e->hash & (RC_BUCKETS - 1)];

	while (*pp != NULL && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp == e)
		*pp = e->hnext;
	rc_unlink_recent(e);
	rc_bytes -= RC_OVERHEAD + e->klen + e->hlen;
	free(e);
}

static size_t
rc_get_limit(void)
{
	if (!rc_limit_read) {
		int64_t v = config_int(&app.cfg, "render.fragment_cache_bytes",
		                       (int64_t)8 << 20);

		rc_limit = v > 0 ? (size_t)v : 0;
		rc_limit_read = 1;
	}
	return rc_limit;
}

/* The entry of the full key k (under rc_mu), or NULL. */
static struct rc_entry *
rc_find(const char *k, size_t n, uint64_t h)
{
	for (struct rc_entry *e = rc_tab[h & (RC_BUCKETS - 1)]; e != NULL;
	     e = e->hnext)
		if (e->hash == h && e->klen == n && memcmp(e->data, k, n) == 0)
			return e;
	return NULL;
}

const char *
render_cache_get(jx_req *req, const char *tmpl, const void *key, size_t klen,
                 size_t *len)
{
	unsigned gen = luaenv_files_generation_now();
	struct rc_entry *e;
	const char *out = NULL;
	size_t n;
	uint64_t h;
	char *k;

	if (req == NULL || tmpl == NULL || (key == NULL && klen > 0))
		return NULL;
	k = rc_full_key(req, tmpl, key, klen, &n);
	h = rc_hash(k, n);
	pthread_mutex_lock(&rc_mu);
	if (rc_get_limit() > 0 && (e = rc_find(k, n, h)) != NULL) {
		if (e->gen != gen) {
			rc_remove(e); /* rendered from older files */
		} else {
			out = arena_strndup(req->arena, e->data + e->klen,
			                    e->hlen);
			if (len != NULL)
				*len = e->hlen;
			rc_unlink_recent(e);
			rc_push_recent(e);
		}
	}
	if (out != NULL)
		rc_hits++;
	else
		rc_misses++;
	pthread_mutex_unlock(&rc_mu);
	return out;
}

/* Keeps html under the full key k, rendered by a state at files
 * generation gen; the oldest entries go while over the limit. */
static void
rc_put(const char *k, size_t n, uint64_t h, unsigned gen, const char *html,
       size_t hlen)
{
	size_t need = RC_OVERHEAD + n + hlen, limit;
	struct rc_entry *e;

	pthread_mutex_lock(&rc_mu);
	limit = rc_get_limit();
	/* one fragment never takes more than a sixteenth of the cache */
	if (limit == 0 || need > limit / 16 ||
	    gen != luaenv_files_generation_now()) {
		pthread_mutex_unlock(&rc_mu);
		return;
	}
	if ((e = rc_find(k, n, h)) != NULL)
		rc_remove(e);
	while (rc_tail != NULL && rc_bytes + need > limit)
		rc_remove(rc_tail);
	e = malloc(sizeof(*e) + n + hlen + 1);
	if (e != NULL) {
		e->hash = h;
		e->gen = gen;
		e->klen = n;
		e->hlen = hlen;
		memcpy(e->data, k, n);
		memcpy(e->data + n, html, hlen);
		e->data[n + hlen] = '\0';
		e->hnext = rc_tab[h & (RC_BUCKETS - 1)];
		rc_tab[h & (RC_BUCKETS - 1)] = e;
		rc_push_recent(e);
		rc_bytes += need;
	}
	pthread_mutex_unlock(&rc_mu);
}

const char *
render_cache_render(jx_req *req, const char *tmpl, const void *key, size_t klen,
                    const cJSON *data, size_t *len)
{
	struct luaenv *env;
	unsigned gen;
	char *html, *k;
	size_t n, hlen;

	if (req == NULL || tmpl == NULL || (key == NULL && klen > 0) ||
	    req->worker == NULL || (env = req->worker->lua) == NULL)
		return NULL;
	/* the state's generation before it renders: a change seen later
	 * makes the entry a miss, never a stale hit */
	gen = luaenv_files_gen(env);
	html = http_render(req, tmpl, data);
	if (html == NULL)
		return NULL;
	hlen = strlen(html);
	if (len != NULL)
		*len = hlen;
	k = rc_full_key(req, tmpl, key, klen, &n);
	rc_put(k, n, rc_hash(k, n), gen, html, hlen);
	return html;
}

void
render_cache_stats(uint64_t *hits, uint64_t *misses, size_t *bytes)
{
	pthread_mutex_lock(&rc_mu);
	if (hits != NULL)
		*hits = rc_hits;
	if (misses != NULL)
		*misses = rc_misses;
	if (bytes != NULL)
		*bytes = rc_bytes;
	pthread_mutex_unlock(&rc_mu);
}

void
render_cache_clear(void)
{
	pthread_mutex_lock(&rc_mu);
	while (rc_tail != NULL)
		rc_remove(rc_tail);
	rc_hits = rc_misses = 0;
	rc_limit_read = 0;
	pthread_mutex_unlock(&rc_mu);
}
