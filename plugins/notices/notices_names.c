/*
 * notices_names.c — people in receipts as the school calls them (issue
 * 14, UI.md "people as the school calls them"): a parent by the child's
 * name and the relation entered ("张一鸣爸爸", "张一鸣家长" when the
 * relation says nothing more), a teacher by the name the school gave
 * them, a student by their own name. Names stay as entered; the family
 * word follows the page's language ("张一鸣's father").
 *
 * A parent of two children in the audience is one recipient (read and
 * confirmation are per person), so the name carries both children:
 * "张一鸣爸爸、张小雨妈妈", children ordered by name.
 */
#include "notices.h"

#include <string.h>

/* Relation as entered → the catalog key of its family word. */
static const struct {
	const char *relation, *key;
} names_relations[] = {
    {"父亲", "notices.family.father"},
    {"爸爸", "notices.family.father"},
    {"父", "notices.family.father"},
    {"母亲", "notices.family.mother"},
    {"妈妈", "notices.family.mother"},
    {"母", "notices.family.mother"},
    {"祖父", "notices.family.grandpa"},
    {"爷爷", "notices.family.grandpa"},
    {"祖母", "notices.family.grandma"},
    {"奶奶", "notices.family.grandma"},
    {"外祖父", "notices.family.grandpa_m"},
    {"外公", "notices.family.grandpa_m"},
    {"外祖母", "notices.family.grandma_m"},
    {"外婆", "notices.family.grandma_m"},
    {NULL, NULL},
};

const char *
notices_relation_word(jx_req *req, const char *relation)
{
	for (int k = 0; relation != NULL && names_relations[k].relation; k++)
		if (strcmp(relation, names_relations[k].relation) == 0)
			return jx_host->t(req, names_relations[k].key);
	return NULL;
}

/* "张一鸣爸爸" / "张一鸣家长" in the request's language. */
static const char *
names_family(jx_req *req, const char *child, const char *relation)
{
	const char *word = notices_relation_word(req, relation);

	return jxp_fill(
	    jx_host, req,
	    jxp_fill(jx_host, req, jx_host->t(req, "notices.family.name"),
	             "name", child),
	    "who", word ? word : jx_host->t(req, "notices.family.parent"));
}

/* The names of one notice's recipients, sorted by person id. */
struct notices_names {
	int64_t *ids;
	const char **names;
	int n;
};

struct notices_names *
notices_names_load(jx_req *req, jx_db *db, int64_t id)
{
	struct notices_names *nm = jx_host->alloc(req, sizeof(*nm));
	int64_t max = jxp_one(jx_host, db,
	                      "SELECT COUNT(DISTINCT person_id) FROM "
	                      "notices_via WHERE notice_id = ?",
	                      "i", id);
	int64_t last = 0;
	int done = 0; /* the current person's name is complete */
	jx_stmt *st;

	nm->n = 0;
	if (max < 1)
		max = 1;
	nm->ids = jx_host->alloc(req, (size_t)max * sizeof(*nm->ids));
	nm->names = jx_host->alloc(req, (size_t)max * sizeof(*nm->names));
	/* One pass over how each person was addressed: a parent's rows
	 * (one per child) first, by the child's name; a teacher's or a
	 * student's own name when there is no parent row. */
	st = jx_host->db_query(
	    db,
	    "SELECT v.person_id, v.role, sp.name, g.relation, "
	    "COALESCE(t.display_name, p.name) FROM notices_via v JOIN "
	    "notices_notices n ON n.id = v.notice_id JOIN persons p ON p.id = "
	    "v.person_id LEFT JOIN persons sp ON v.role = 'parent' AND sp.id "
	    "= v.student_id LEFT JOIN guardians g ON v.role = 'parent' AND "
	    "g.parent_id = v.person_id AND g.student_id = v.student_id LEFT "
	    "JOIN teachers t ON v.role = 'teacher' AND t.person_id = "
	    "v.person_id AND t.school_id = n.school_id WHERE v.notice_id = ? "
	    "ORDER BY v.person_id, v.role = 'parent' DESC, sp.name, "
	    "v.student_id",
	    "i", id);
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		int64_t person = jx_host->db_int(st, 0);
		int parent = strcmp(jx_host->db_text(st, 1), "parent") == 0;
		const char *one;

		if (person != last) {
			if (nm->n == max)
				break; /* rows added since the count: not here
				        */
			last = person;
			done = 0;
			nm->ids[nm->n] = person;
			nm->names[nm->n] = NULL;
			nm->n++;
		}
		if (done)
			continue;
		if (!parent) {
			/* addressed as a teacher or a student: own name,
			 * unless a parent row came first */
			if (nm->names[nm->n - 1] == NULL)
				nm->names[nm->n - 1] = jx_host->sprintf(
				    req, "%s", jx_host->db_text(st, 4));
			done = 1;
			continue;
		}
		one = names_family(req, jx_host->db_text(st, 2),
		                   jx_host->db_is_null(st, 3)
		                       ? NULL
		                       : jx_host->db_text(st, 3));
		nm->names[nm->n - 1] =
		    nm->names[nm->n - 1] == NULL
		        ? one
		        : jx_host->sprintf(
		              req, "%s%s%s", nm->names[nm->n - 1],
		              jx_host->t(req, "notices.family.and"), one);
	}
	jx_host->db_finish(st);
	return nm;
}

const char *
notices_names_get(const struct notices_names *nm, int64_t person,
                  const char *own)
{
	int lo = 0, hi = nm != NULL ? nm->n : 0;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (nm->ids[mid] == person)
			return nm->names[mid] != NULL ? nm->names[mid] : own;
		if (nm->ids[mid] < person)
			lo = mid + 1;
		else
			hi = mid;
	}
	return own;
}
