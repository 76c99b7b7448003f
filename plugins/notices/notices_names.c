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

const char *
notices_person_name(jx_req *req, jx_db *db, int64_t id, int64_t person,
                    const char *own)
{
	const char *out = NULL;
	jx_stmt *st;

	st = jx_host->db_query(
	    db,
	    "SELECT v.role, sp.name, g.relation, COALESCE(t.display_name, "
	    "p.name) FROM notices_via v JOIN notices_notices n ON n.id = "
	    "v.notice_id JOIN persons p ON p.id = v.person_id LEFT JOIN "
	    "persons sp ON v.role = 'parent' AND sp.id = v.student_id LEFT "
	    "JOIN guardians g ON v.role = 'parent' AND g.parent_id = "
	    "v.person_id AND g.student_id = v.student_id LEFT JOIN teachers "
	    "t ON v.role = 'teacher' AND t.person_id = v.person_id AND "
	    "t.school_id = n.school_id WHERE v.notice_id = ? AND v.person_id "
	    "= ? ORDER BY v.role = 'parent' DESC, sp.name, v.student_id",
	    "ii", id, person);
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		const char *role = jx_host->db_text(st, 0);

		if (strcmp(role, "parent") != 0) {
			/* addressed as a teacher or student too: a parent
			 * row came first when there was one */
			if (out == NULL)
				out = jx_host->sprintf(req, "%s",
				                       jx_host->db_text(st, 3));
			break;
		}
		{
			const char *one =
			    names_family(req, jx_host->db_text(st, 1),
			                 jx_host->db_is_null(st, 2)
			                     ? NULL
			                     : jx_host->db_text(st, 2));

			out = out == NULL
			          ? one
			          : jx_host->sprintf(
			                req, "%s%s%s", out,
			                jx_host->t(req, "notices.family.and"),
			                one);
		}
	}
	jx_host->db_finish(st);
	return out != NULL ? out : own;
}
