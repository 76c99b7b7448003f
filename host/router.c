/*
 * router.c — routes "METHOD /path/{param}" to handlers through a tree of
 * path segments. Literal segments win over parameters; a path that
 * exists for another method is reported so the caller can answer 405.
 * The tree is built at start-up and read-only afterwards, so lookups
 * need no lock.
 */
#include "host.h"

#include <stdlib.h>
#include <string.h>

struct rnode {
	char *seg;          /* literal segment; NULL for a parameter */
	char *param;        /* parameter name when seg is NULL */
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
	}
	free(n->routes);
	free(n->seg);
	free(n->param);
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

int
router_add(struct router *r, const struct route *rt)
{
	struct rnode *n = &r->root;
	const char *p = rt->pattern, *seg;
	size_t len;
	int nparams = 0;

	if (p == NULL || p[0] != '/')
		return -1;
	while (router_segment(&p, &seg, &len)) {
		if (seg[0] == '{') {
			if (len < 3 || seg[len - 1] != '}' || ++nparams > 8)
				return -1;
			if (n->any == NULL) {
				n->any = calloc(1, sizeof(*n->any));
				if (n->any == NULL)
					return -1;
				n->any->param = strndup(seg + 1, len - 2);
			} else if (strncmp(n->any->param, seg + 1, len - 2) !=
			               0 ||
			           n->any->param[len - 2] != '\0') {
				/* One name per position keeps lookups simple.
				 */
				return -1;
			}
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
				return -1;
			k->seg = strndup(seg, len);
			k->next = n->kids;
			n->kids = k;
		}
		n = k;
	}
	for (int i = 0; i < n->nroutes; i++)
		if (strcmp(n->routes[i].method, rt->method) == 0)
			return -1;
	struct route *grown =
	    realloc(n->routes, (size_t)(n->nroutes + 1) * sizeof(*grown));

	if (grown == NULL)
		return -1;
	n->routes = grown;
	n->routes[n->nroutes] = *rt;
	n->routes[n->nroutes].method = strdup(rt->method);
	n->routes[n->nroutes].pattern = strdup(rt->pattern);
	n->nroutes++;
	return 0;
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

		m->names[i] = n->any->param;
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
