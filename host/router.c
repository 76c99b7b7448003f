/*
 * router.c — routes "METHOD /path/{param}" to handlers through a tree of
 * path segments. Literal segments win over parameters; a path that
 * exists for another method is reported so the caller can answer 405.
 * A parameter position is one node whatever the name: each route keeps
 * its own names, so "/students/{id}" and "/students/{student}/awards"
 * coexist. The tree is built at start-up and read-only afterwards, so
 * lookups need no lock.
 */
#include "host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rnode {
	char *seg;          /* literal segment; NULL for a parameter */
	struct rnode *kids; /* literal children */
	struct rnode *next; /* sibling */
	struct rnode *any;  /* the parameter child */
	struct route *routes;
	int nroutes;
};

struct router {
	struct rnode root;
};

struct router *
router_new(void)
{
	return calloc(1, sizeof(struct router));
}

static void
rnode_free(struct rnode *n)
{
	struct rnode *k, *next;

	for (k = n->kids; k != NULL; k = next) {
		next = k->next;
		rnode_free(k);
		free(k);
	}
	if (n->any != NULL) {
		rnode_free(n->any);
		free(n->any);
	}
	for (int i = 0; i < n->nroutes; i++) {
		free((char *)n->routes[i].method);
		free((char *)n->routes[i].pattern);
		for (int k = 0; k < n->routes[i].nparams; k++)
			free(n->routes[i].params[k]);
	}
	free(n->routes);
	free(n->seg);
}

void
router_free(struct router *r)
{
	if (r == NULL)
		return;
	rnode_free(&r->root);
	free(r);
}

/* Next segment of path at *p: sets start and length, advances *p. */
static int
router_segment(const char **p, const char **start, size_t *len)
{
	const char *s = *p;

	while (*s == '/')
		s++;
	if (*s == '\0')
		return 0;
	*start = s;
	while (*s != '\0' && *s != '/')
		s++;
	*len = (size_t)(s - *start);
	*p = s;
	return 1;
}

static int
router_param_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

int
router_pattern_ok(const char *pattern, char *err, size_t errlen)
{
	const char *p = pattern, *seg;
	size_t len;
	int nparams = 0;

	if (pattern == NULL || pattern[0] != '/') {
		snprintf(err, errlen, "does not start with /");
		return 0;
	}
	if (strstr(pattern, "//") != NULL) {
		snprintf(err, errlen, "has an empty segment");
		return 0;
	}
	while (router_segment(&p, &seg, &len)) {
		if (memchr(seg, '{', len) == NULL &&
		    memchr(seg, '}', len) == NULL)
			continue;
		if (seg[0] != '{' || seg[len - 1] != '}' || len < 3) {
			snprintf(err, errlen,
			         "a parameter must be a whole segment {name}");
			return 0;
		}
		for (size_t i = 1; i + 1 < len; i++)
			if (!router_param_char((unsigned char)seg[i])) {
				snprintf(err, errlen,
				         "a parameter name is a-z, 0-9, _");
				return 0;
			}
		if (++nparams > 8) {
			snprintf(err, errlen, "has more than 8 parameters");
			return 0;
		}
	}
	return 1;
}

char *
router_pattern_key(const char *pattern)
{
	const char *p = pattern, *seg;
	size_t len;
	struct buf b;

	buf_init(&b);
	while (router_segment(&p, &seg, &len)) {
		buf_append(&b, "/", 1);
		if (seg[0] == '{')
			buf_append(&b, "{}", 2);
		else
			buf_append(&b, seg, len);
	}
	if (b.len == 0)
		buf_append(&b, "/", 1);
	buf_append(&b, "", 1);
	return b.data;
}

int
router_add(struct router *r, const struct route *rt)
{
	struct rnode *n = &r->root;
	const char *p = rt->pattern, *seg;
	size_t len;
	char err[80];
	struct route add = *rt;

	if (!router_pattern_ok(p, err, sizeof(err)))
		return -1;
	add.nparams = 0;
	while (router_segment(&p, &seg, &len)) {
		if (seg[0] == '{') {
			if (n->any == NULL) {
				n->any = calloc(1, sizeof(*n->any));
				if (n->any == NULL)
					goto fail;
			}
			add.params[add.nparams++] = strndup(seg + 1, len - 2);
			n = n->any;
			continue;
		}
		struct rnode *k;

		for (k = n->kids; k != NULL; k = k->next)
			if (strlen(k->seg) == len &&
			    memcmp(k->seg, seg, len) == 0)
				break;
		if (k == NULL) {
			k = calloc(1, sizeof(*k));
			if (k == NULL)
				goto fail;
			k->seg = strndup(seg, len);
			k->next = n->kids;
			n->kids = k;
		}
		n = k;
	}
	for (int i = 0; i < n->nroutes; i++)
		if (strcmp(n->routes[i].method, rt->method) == 0)
			goto fail;
	struct route *grown =
	    realloc(n->routes, (size_t)(n->nroutes + 1) * sizeof(*grown));

	if (grown == NULL)
		goto fail;
	n->routes = grown;
	add.method = strdup(rt->method);
	add.pattern = strdup(rt->pattern);
	n->routes[n->nroutes++] = add;
	return 0;
fail:
	for (int k = 0; k < add.nparams; k++)
		free(add.params[k]);
	return -1;
}

/* Depth-first: literal children first, then the parameter child. */
static const struct rnode *
router_walk(const struct rnode *n, const char *p, struct arena *a,
            struct route_match *m)
{
	const char *seg;
	size_t len;
	const struct rnode *found;

	if (!router_segment(&p, &seg, &len))
		return n->nroutes > 0 ? n : NULL;
	for (const struct rnode *k = n->kids; k != NULL; k = k->next)
		if (strlen(k->seg) == len && memcmp(k->seg, seg, len) == 0) {
			found = router_walk(k, p, a, m);
			if (found != NULL)
				return found;
			break;
		}
	if (n->any != NULL && m->nparams < 8) {
		int i = m->nparams++;

		/* the names are the matched route's, set at the end */
		m->values[i] = arena_strndup(a, seg, len);
		found = router_walk(n->any, p, a, m);
		if (found != NULL)
			return found;
		m->nparams--;
	}
	return NULL;
}

int
router_match(const struct router *r, const char *method, const char *path,
             struct arena *a, struct route_match *m)
{
	const struct rnode *n;

	memset(m, 0, sizeof(*m));
	n = router_walk(&r->root, path, a, m);
	if (n == NULL)
		return 0;
	for (int i = 0; i < n->nroutes; i++)
		if (strcmp(n->routes[i].method, method) == 0 ||
		    (strcmp(method, "HEAD") == 0 &&
		     strcmp(n->routes[i].method, "GET") == 0)) {
			m->route = &n->routes[i];
			for (int k = 0; k < m->nparams; k++)
				m->names[k] = k < m->route->nparams
				                  ? m->route->params[k]
				                  : "";
			return 1;
		}
	return -2;
}

int
router_add_all(struct router *r, const struct route *routes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (router_add(r, &routes[i]) != 0) {
			jx_log(JX_LOG_ERROR, "host", "cannot route %s %s",
			       routes[i].method, routes[i].pattern);
			return -1;
		}
	return 0;
}
