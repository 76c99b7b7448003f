/*
 * roster_myclass.c — a head teacher's class (GET /classes/{id}, page and
 * API): the students in school, each with their parents (binding,
 * activation, WeChat, the number to call) and their key-information
 * status from the keyinfo plugin's service when it is active. For the
 * class's head teacher and the administrators over its school
 * (JX_MANAGE_CLASS); a teacher of the school who does not head it is
 * refused (403), anyone outside the school sees nothing (404).
 *
 * Also the way there: the menu's 我的班级 (/roster/myclass: straight to
 * the one class headed, a choice for several) and a home cell per class
 * headed.
 */
#include "roster_people.h"

#include <jx/keyinfo.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MYCLASS_STUDENTS                                                       \
	"SELECT s.person_id, p.name, p.gender, a.login FROM students s JOIN "  \
	"persons p ON p.id = s.person_id LEFT JOIN host_accounts a ON "        \
	"a.person_id = s.person_id WHERE s.class_id = ? AND s.status = "       \
	"'in_school' ORDER BY p.name, s.person_id"

/* Every parent of the class's students: the school's name for one who
 * belongs elsewhere too, and whether the binding is live. */
#define MYCLASS_PARENTS                                                        \
	"SELECT g.student_id, g.parent_id, COALESCE(g.display_name, p.name), " \
	"p.phone, g.relation, a.id, EXISTS (SELECT 1 FROM identities i WHERE " \
	"i.account_id = a.id AND i.role = 'parent' AND i.student_id = "        \
	"g.student_id AND i.status = 'active') FROM guardians g JOIN "         \
	"students s ON s.person_id = g.student_id JOIN persons p ON p.id = "   \
	"g.parent_id LEFT JOIN host_accounts a ON a.person_id = g.parent_id "  \
	"WHERE s.class_id = ? AND s.status = 'in_school' ORDER BY "            \
	"g.student_id, g.created_at, g.parent_id"

/* The keyinfo service when it is active and new enough, else NULL. */
static const struct jx_keyinfo_v1 *
myclass_keyinfo(void)
{
	const struct jx_keyinfo_v1 *ki = jx_host->service(JX_KEYINFO_SERVICE);

	if (ki == NULL ||
	    ki->size < offsetof(struct jx_keyinfo_v1, class_status) +
	                   sizeof(ki->class_status) ||
	    ki->class_status == NULL)
		return NULL;
	return ki;
}

/* The class's students with their parents (owned by the caller). */
static cJSON *
myclass_students(jx_db *db, int64_t klass, const cJSON *status)
{
	cJSON *students = cJSON_CreateArray(), *s = NULL;
	jx_stmt *st = jx_host->db_query(db, MYCLASS_STUDENTS, "i", klass);

	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		cJSON *o = cJSON_CreateObject();
		char id[24];

		snprintf(id, sizeof(id), "%lld",
		         (long long)jx_host->db_int(st, 0));
		cJSON_AddNumberToObject(o, "id",
		                        (double)jx_host->db_int(st, 0));
		cJSON_AddStringToObject(o, "name", jx_host->db_text(st, 1));
		people_add_text(o, "gender", jx_host->db_text(st, 2));
		people_add_text(o, "login", jx_host->db_text(st, 3));
		if (status != NULL) {
			const cJSON *k = cJSON_GetObjectItem(status, id);

			cJSON_AddStringToObject(
			    o, "keyinfo",
			    cJSON_IsString(k) ? k->valuestring : "incomplete");
		}
		cJSON_AddArrayToObject(o, "parents");
		cJSON_AddItemToArray(students, o);
	}
	jx_host->db_finish(st);
	st = jx_host->db_query(db, MYCLASS_PARENTS, "i", klass);
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		int64_t student = jx_host->db_int(st, 0);
		cJSON *p;

		if (s == NULL || people_number(s, "id") != student)
			for (s = students->child;
			     s != NULL && people_number(s, "id") != student;
			     s = s->next)
				;
		if (s == NULL)
			continue;
		p = cJSON_CreateObject();
		cJSON_AddNumberToObject(p, "person_id",
		                        (double)jx_host->db_int(st, 1));
		cJSON_AddStringToObject(p, "name", jx_host->db_text(st, 2));
		people_add_text(p, "phone", jx_host->db_text(st, 3));
		people_add_text(p, "relation", jx_host->db_text(st, 4));
		cJSON_AddNumberToObject(p, "account_id",
		                        (double)jx_host->db_int(st, 5));
		cJSON_AddBoolToObject(p, "bound", jx_host->db_int(st, 6) != 0);
		cJSON_AddItemToArray(cJSON_GetObjectItem(s, "parents"), p);
	}
	jx_host->db_finish(st);
	/* The states after the statements are done (the services query). */
	for (s = students->child; s != NULL; s = s->next)
		for (cJSON *p = cJSON_GetObjectItem(s, "parents")->child;
		     p != NULL; p = p->next) {
			int64_t account = people_number(p, "account_id");

			cJSON_DeleteItemFromObject(p, "account_id");
			roster_adult_state(db, people_number(p, "person_id"),
			                   account, p);
		}
	return students;
}

int
myclass_get(jx_req *req, void *ud)
{
	int64_t klass = jx_host->req_param_id(req, "id"), school = 0, head = 0;
	jx_db *db = jx_host->req_db(req);
	const struct jx_keyinfo_v1 *ki = myclass_keyinfo();
	const char *name = NULL, *head_name = NULL;
	cJSON *out, *status = NULL;
	jx_stmt *st;
	int grade = 0;

	(void)ud;
	st = jx_host->db_query(
	    db,
	    "SELECT c.school_id, c.grade, c.name, c.head_teacher_id, "
	    "COALESCE(t.display_name, p.name) FROM classes c LEFT JOIN "
	    "persons p ON p.id = c.head_teacher_id LEFT JOIN teachers t ON "
	    "t.person_id = c.head_teacher_id AND t.school_id = c.school_id "
	    "WHERE c.id = ?",
	    "i", klass > 0 ? klass : 0);
	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		school = jx_host->db_int(st, 0);
		grade = (int)jx_host->db_int(st, 1);
		name = jx_host->strdup(req, jx_host->db_text(st, 2));
		head = jx_host->db_int(st, 3);
		if (!jx_host->db_is_null(st, 4))
			head_name =
			    jx_host->strdup(req, jx_host->db_text(st, 4));
	}
	jx_host->db_finish(st);
	if (school <= 0 || !jx_host->may(req, JX_SEE_SCHOOL, school))
		return roster_not_found(req);
	if (!jx_host->may(req, JX_MANAGE_CLASS, klass))
		return roster_forbidden(req);
	/* A class's status unknown (keyinfo failing) leaves the column out
	 * rather than showing every student incomplete. */
	if (ki != NULL && ki->class_status(db, klass, &status) != 0) {
		cJSON_Delete(status);
		status = NULL;
	}
	out = cJSON_CreateObject();
	cJSON_AddNumberToObject(out, "id", (double)klass);
	cJSON_AddNumberToObject(out, "school_id", (double)school);
	cJSON_AddNumberToObject(out, "grade", grade);
	cJSON_AddStringToObject(out, "name", name);
	cJSON_AddStringToObject(out, "class_name",
	                        jx_host->sprintf(req, "%s%s",
	                                         roster_org->grade_label(grade),
	                                         name));
	if (head > 0) {
		cJSON *h = cJSON_AddObjectToObject(out, "head_teacher");

		cJSON_AddNumberToObject(h, "id", (double)head);
		cJSON_AddStringToObject(h, "name", head_name ? head_name : "");
	} else {
		cJSON_AddNullToObject(out, "head_teacher");
	}
	if (status != NULL)
		cJSON_AddStringToObject(
		    out, "keyinfo_incomplete_url",
		    jx_host->sprintf(req, "/keyinfo/classes/%lld/incomplete",
		                     (long long)klass));
	cJSON_AddItemToObject(out, "students",
	                      myclass_students(db, klass, status));
	cJSON_Delete(status);
	if (jx_host->req_is_api(req))
		return jx_host->reply_json(req, 200, out);
	cJSON_AddStringToObject(
	    out, "title",
	    jx_host->sprintf(
	        req, "%s · %s", jx_host->t(req, "roster.myclass.title"),
	        cJSON_GetObjectItem(out, "class_name")->valuestring));
	cJSON_AddBoolToObject(out, "keyinfo_known", status != NULL);
	cJSON_AddBoolToObject(out, "wechat_known",
	                      jx_host->service("wechat.v1") != NULL);
	cJSON_AddBoolToObject(out, "can_manage",
	                      jx_host->may(req, JX_MANAGE_SCHOOL, school));
	return jx_host->reply_view(req, 200, "roster/myclass", out);
}

/* "一年级1班" of a class (arena), "" when none. */
static const char *
myclass_name(jx_req *req, jx_db *db, int64_t klass)
{
	jx_stmt *st = jx_host->db_query(
	    db, "SELECT grade, name FROM classes WHERE id = ?", "i", klass);
	const char *name = "";

	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW)
		name = jx_host->sprintf(
		    req, "%s%s",
		    roster_org->grade_label((int)jx_host->db_int(st, 0)),
		    jx_host->db_text(st, 1));
	jx_host->db_finish(st);
	return name;
}

/* GET /roster/myclass, the menu's 我的班级: the one class headed, a
 * choice between several, or a page saying there is none. */
int
myclass_menu(jx_req *req, void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);
	jx_db *db = jx_host->req_db(req);
	cJSON *d, *list;

	(void)ud;
	if (i == NULL || strcmp(i->role, "teacher") != 0)
		return roster_not_found(req);
	if (i->nhead_of_class_ids == 1)
		return jx_host->reply_redirect(
		    req, jx_host->sprintf(req, "/classes/%lld",
		                          (long long)i->head_of_class_ids[0]));
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "title",
	                        jx_host->t(req, "roster.myclass.title"));
	list = cJSON_AddArrayToObject(d, "choose");
	for (int k = 0; k < i->nhead_of_class_ids; k++) {
		cJSON *c = cJSON_CreateObject();

		cJSON_AddNumberToObject(c, "id",
		                        (double)i->head_of_class_ids[k]);
		cJSON_AddStringToObject(
		    c, "class_name",
		    myclass_name(req, db, i->head_of_class_ids[k]));
		cJSON_AddItemToArray(list, c);
	}
	return jx_host->reply_view(req, 200, "roster/myclass", d);
}

/* Home: a cell per class headed, its count the students no parent is
 * bound to yet (families the class cannot reach). One indexed query per
 * class: the home page is counted on every visit. */
static cJSON *
myclass_home_rows(jx_req *req, void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);
	jx_db *db = jx_host->req_db(req);
	cJSON *rows = cJSON_CreateArray();

	(void)ud;
	if (i == NULL || strcmp(i->role, "teacher") != 0)
		return rows;
	for (int k = 0; k < i->nhead_of_class_ids; k++) {
		int64_t klass = i->head_of_class_ids[k];
		jx_stmt *st = jx_host->db_query(
		    db,
		    "SELECT COUNT(*), COALESCE(SUM(NOT EXISTS (SELECT 1 FROM "
		    "identities i WHERE i.role = 'parent' AND i.student_id = "
		    "s.person_id AND i.status = 'active')), 0) FROM students s "
		    "WHERE s.class_id = ? AND s.status = 'in_school'",
		    "i", klass);
		int64_t total = 0, unbound = 0;
		char n[24], u[24];
		cJSON *o;

		if (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
			total = jx_host->db_int(st, 0);
			unbound = jx_host->db_int(st, 1);
		}
		jx_host->db_finish(st);
		snprintf(n, sizeof(n), "%lld", (long long)total);
		snprintf(u, sizeof(u), "%lld", (long long)unbound);
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(
		    o, "title",
		    jx_host->sprintf(req, "%s · %s",
		                     jx_host->t(req, "roster.myclass.title"),
		                     myclass_name(req, db, klass)));
		cJSON_AddStringToObject(
		    o, "detail",
		    jxp_fill(jx_host, req,
		             jxp_fill(jx_host, req,
		                      jx_host->t(req, "home.myclass.detail"),
		                      "students", n),
		             "unbound", u));
		cJSON_AddNumberToObject(o, "count", (double)unbound);
		cJSON_AddStringToObject(
		    o, "href",
		    jx_host->sprintf(req, "/classes/%lld", (long long)klass));
		cJSON_AddItemToArray(rows, o);
	}
	return rows;
}

int
roster_myclass_init(struct jx_registrar *reg)
{
	static const struct jx_home_item item = {
	    .size = sizeof(struct jx_home_item),
	    .roles = "teacher",
	    .label_key = "roster.myclass.title",
	    .order = 15,
	    .rows = myclass_home_rows,
	};

	if (reg->menu(reg, "teacher", "nav.roster.myclass", "/roster/myclass",
	              19) != 0)
		return -1;
	if (JX_REG_HAS(reg, home_item) && reg->home_item(reg, &item) != 0)
		return -1;
	return 0;
}
