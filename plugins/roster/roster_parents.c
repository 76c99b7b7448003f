/*
 * roster_parents.c — the school's parents (GET /schools/{sid}/parents,
 * page and API): each adult bound to a child in school here, with the
 * children, whether each binding is live, whether the account is
 * activated and whether WeChat reaches them. Also the adult's state
 * (activation, WeChat) that the head teacher's class page shows
 * (roster_myclass.c).
 *
 * Nothing here writes: removing a binding is roster_guardians.c, a new
 * phone and a password reset are the host's (host/account_phone.c).
 */
#include "roster_people.h"

#include <jx/wechat.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A parent's children in school here, with the binding's state. */
#define PARENTS_CHILDREN                                                       \
	"SELECT s.person_id, c.name, k.grade, k.name, g.relation, EXISTS "     \
	"(SELECT 1 FROM identities i JOIN host_accounts a ON a.id = "          \
	"i.account_id WHERE a.person_id = g.parent_id AND i.role = 'parent' "  \
	"AND i.student_id = g.student_id AND i.status = 'active') FROM "       \
	"guardians g JOIN students s ON s.person_id = g.student_id JOIN "      \
	"persons c ON c.id = s.person_id LEFT JOIN classes k ON k.id = "       \
	"s.class_id WHERE g.parent_id = ? AND s.school_id = ? AND s.status = " \
	"'in_school' ORDER BY k.grade, k.name, c.name"

/* The school's parents, a page of them (keyset on the person id): the
 * school's own name for one who belongs elsewhere too (display_name). */
#define PARENTS_PAGE                                                           \
	"SELECT p.id, COALESCE((SELECT g2.display_name FROM guardians g2 "     \
	"JOIN students s2 ON s2.person_id = g2.student_id WHERE g2.parent_id " \
	"= p.id AND s2.school_id = ?1 AND g2.display_name IS NOT NULL LIMIT "  \
	"1), p.name), p.phone, a.id, a.login FROM persons p LEFT JOIN "        \
	"host_accounts a ON a.person_id = p.id WHERE p.id IN (SELECT "         \
	"g.parent_id FROM guardians g JOIN students s ON s.person_id = "       \
	"g.student_id WHERE s.school_id = ?1 AND s.status = 'in_school' AND "  \
	"(?2 = 0 OR s.class_id = ?2)) AND p.id > ?5 AND (?3 = '' OR p.name "   \
	"LIKE ?4 ESCAPE "                                                      \
	"'\\' OR p.phone LIKE ?6 ESCAPE '\\' OR p.id IN (SELECT g.parent_id "  \
	"FROM guardians g JOIN students s ON s.person_id = g.student_id JOIN " \
	"persons c ON c.id = s.person_id WHERE s.school_id = ?1 AND "          \
	"s.status = 'in_school' AND (c.name LIKE ?4 ESCAPE '\\' OR "           \
	"g.display_name LIKE ?4 ESCAPE '\\'))) ORDER BY p.id LIMIT ?7"

/* 1 when the host's org service has issue 14's activation and
 * sms_gateway (an older host: the columns and buttons are left out). */
static int
roster_org_has_activation(void)
{
	return roster_org->size >= offsetof(struct jx_org_v1, sms_gateway) +
	                               sizeof(roster_org->sms_gateway);
}

/* An adult account's "activation" ("active", "pending", "expired"), or
 * NULL: the org service's, shared by the teachers and parents pages. */
const char *
roster_activation(jx_db *db, int64_t account)
{
	return account > 0 && roster_org_has_activation()
	           ? roster_org->activation(db, account)
	           : NULL;
}

/* Whether the school's district can send activation texts. */
int
roster_sms_gateway(jx_db *db, int64_t school)
{
	return roster_org_has_activation() &&
	       roster_org->sms_gateway(db, roster_school_district(db, school));
}

void
roster_adult_state(jx_db *db, int64_t person, int64_t account, cJSON *o)
{
	const struct jx_wechat_v1 *wx = jx_host->service("wechat.v1");
	const char *activation =
	    account > 0 ? roster_activation(db, account) : NULL;

	if (activation != NULL)
		cJSON_AddStringToObject(o, "activation", activation);
	/* Without the wechat plugin the state is unknown: left out. */
	if (wx != NULL && wx->size > offsetof(struct jx_wechat_v1, followed) &&
	    wx->followed != NULL) {
		int f = wx->followed(db, person);

		cJSON_AddStringToObject(o, "wechat",
		                        f == 1   ? "followed"
		                        : f == 0 ? "unfollowed"
		                                 : "unbound");
	}
}

/* "一年级1班" (arena), or NULL when the student has no class. */
static const char *
parents_class_name(jx_req *req, jx_stmt *st, int grade_col)
{
	if (jx_host->db_is_null(st, grade_col))
		return NULL;
	return jx_host->sprintf(
	    req, "%s%s",
	    roster_org->grade_label((int)jx_host->db_int(st, grade_col)),
	    jx_host->db_text(st, grade_col + 1));
}

/* The parent's children in school (an array, owned by the caller). */
static cJSON *
parents_children(jx_req *req, jx_db *db, int64_t parent, int64_t school)
{
	jx_stmt *st =
	    jx_host->db_query(db, PARENTS_CHILDREN, "ii", parent, school);
	cJSON *arr = cJSON_CreateArray();

	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		cJSON *c = cJSON_CreateObject();

		cJSON_AddNumberToObject(c, "student_id",
		                        (double)jx_host->db_int(st, 0));
		cJSON_AddStringToObject(c, "name", jx_host->db_text(st, 1));
		people_add_text(c, "class_name",
		                parents_class_name(req, st, 2));
		people_add_text(c, "relation", jx_host->db_text(st, 4));
		cJSON_AddBoolToObject(c, "bound", jx_host->db_int(st, 5) != 0);
		cJSON_AddItemToArray(arr, c);
	}
	jx_host->db_finish(st);
	return arr;
}

/* A page of the school's parents: limit + 1 items, NULL on error. */
static cJSON *
parents_query(jx_req *req, jx_db *db, const struct people_filter *f)
{
	jx_stmt *st =
	    jx_host->db_query(db, PARENTS_PAGE, "iissisi", f->school, f->klass,
	                      f->q, f->contains, f->after, f->prefix, f->limit);
	cJSON *items = cJSON_CreateArray();

	if (st == NULL) {
		cJSON_Delete(items);
		return NULL;
	}
	while (jx_host->db_step(st) == JX_DB_ROW) {
		cJSON *o = cJSON_CreateObject(), *a;
		int64_t id = jx_host->db_int(st, 0);
		int64_t account = jx_host->db_int(st, 3);

		cJSON_AddNumberToObject(o, "person_id", (double)id);
		cJSON_AddStringToObject(o, "name", jx_host->db_text(st, 1));
		people_add_text(o, "phone", jx_host->db_text(st, 2));
		if (jx_host->db_is_null(st, 3)) {
			cJSON_AddNullToObject(o, "account");
			account = 0;
		} else {
			a = cJSON_AddObjectToObject(o, "account");
			cJSON_AddNumberToObject(a, "id", (double)account);
			cJSON_AddStringToObject(a, "login",
			                        jx_host->db_text(st, 4));
		}
		cJSON_AddItemToArray(items, o);
	}
	jx_host->db_finish(st);
	/* The children and states after the page's statement is done: the
	 * wechat service and the org service run their own queries. */
	for (cJSON *o = items->child; o != NULL; o = o->next) {
		int64_t id = people_number(o, "person_id");
		const cJSON *a = cJSON_GetObjectItem(o, "account");

		roster_adult_state(
		    db, id, cJSON_IsObject(a) ? people_number(a, "id") : 0, o);
		cJSON_AddItemToObject(o, "children",
		                      parents_children(req, db, id, f->school));
	}
	return items;
}

int
parents_list(jx_req *req, void *ud)
{
	int64_t sid = jx_host->req_param_id(req, "sid"), limit;
	jx_db *db = jx_host->req_db(req);
	int page = !people_is_api(req);
	struct people_filter f;
	cJSON *items, *out, *filter;
	int denied;

	(void)ud;
	if ((denied = roster_manage(req, sid)) != 0)
		return denied;
	if (people_filter_parse(req, &f, 0) != 0)
		return roster_invalid(req, NULL);
	f.school = sid;
	limit = f.limit;
	f.limit = limit + 1;
	if (f.klass > 0 && jxp_one(jx_host, db,
	                           "SELECT COUNT(*) FROM classes WHERE id = ? "
	                           "AND school_id = ?",
	                           "ii", f.klass, sid) != 1) {
		jx_host->problem_error(
		    req, 0, "class_id",
		    roster_tr(req, "没有这个班级",
		              "no such class in the school"));
		return roster_invalid(req, NULL);
	}
	items = parents_query(req, db, &f);
	if (items == NULL)
		return roster_storage_error(req);
	out = jxp_items(items, limit, "person_id");
	if (!page)
		return jx_host->reply_json(req, 200, out);
	cJSON_AddStringToObject(out, "title",
	                        jx_host->t(req, "roster.parents.title"));
	cJSON_AddNumberToObject(out, "school_id", (double)sid);
	cJSON_AddStringToObject(out, "school_name",
	                        people_school_name(req, db, sid));
	cJSON_AddBoolToObject(out, "wechat_known",
	                      jx_host->service("wechat.v1") != NULL);
	cJSON_AddBoolToObject(out, "sms_gateway", roster_sms_gateway(db, sid));
	cJSON_AddItemToObject(out, "classes", people_class_options(db, sid, 0));
	filter = cJSON_AddObjectToObject(out, "filter");
	cJSON_AddStringToObject(filter, "q", f.q);
	cJSON_AddNumberToObject(filter, "class_id", (double)f.klass);
	cJSON_AddStringToObject(
	    out, "back_here",
	    jx_host->sprintf(req, "/schools/%lld/parents", (long long)sid));
	people_page_links(
	    req, out,
	    jx_host->sprintf(req, "/schools/%lld/parents", (long long)sid), &f);
	return jx_host->reply_view(req, 200, "roster/parents", out);
}
