/*
 * resources_index.c — the search index: resources_terms holds one row
 * per (term, resource) for the characters, bigrams and Latin words of a
 * resource's title, description and unit (resources_terms.c), written
 * in the resource's own transaction. Plain tables and equality lookups:
 * the same on SQLite and PostgreSQL (DESIGN.md 6), no FTS.
 */
#include "resources.h"
#include "resources_terms.h"

#include <string.h>

struct index_put {
	jx_db *db;
	int64_t id;
};

static int
index_put_term(const char *term, void *arg)
{
	struct index_put *p = arg;

	return jx_host->db_exec(p->db,
	                        "INSERT INTO resources_terms(term, "
	                        "resource_id) VALUES (?, ?) ON CONFLICT DO "
	                        "NOTHING",
	                        "si", term, p->id) < 0
	           ? -1
	           : 0;
}

int
resources_index_drop(jx_db *db, int64_t id)
{
	return jx_host->db_exec(db,
	                        "DELETE FROM resources_terms WHERE "
	                        "resource_id = ?",
	                        "i", id) < 0
	           ? -1
	           : 0;
}

int
resources_index_put(jx_db *db, int64_t id, const char *title,
                    const char *description, const char *unit)
{
	struct index_put p = {db, id};

	if (resources_index_drop(db, id) != 0 ||
	    resources_terms_index(title, index_put_term, &p) != 0 ||
	    resources_terms_index(description, index_put_term, &p) != 0 ||
	    resources_terms_index(unit, index_put_term, &p) != 0)
		return -1;
	return 0;
}

struct index_query {
	jx_req *req;
	const char **terms;
	int n;
};

static int
index_query_term(const char *term, void *arg)
{
	struct index_query *q = arg;

	for (int k = 0; k < q->n; k++)
		if (strcmp(q->terms[k], term) == 0)
			return 0;
	/* the first terms narrow enough; the phrase check on the text
	 * confirms the rest */
	if (q->n == RESOURCES_QUERY_TERMS)
		return 1;
	q->terms[q->n++] = jx_host->strdup(q->req, term);
	return 0;
}

int
resources_index_query(jx_req *req, const char *q, const char **terms)
{
	struct index_query iq = {req, terms, 0};

	resources_terms_query(q, index_query_term, &iq);
	return iq.n;
}
