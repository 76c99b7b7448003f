/*
 * notices_home.c — the notices plugin's part of the home page and the
 * tab bar (ABI 2.1): the acting identity's unread notices (also the red
 * badge of the 消息 tab), and for an account with children each child's
 * latest notice and unread count, whichever identity is acting, so that
 * a parent of two (or a teacher who is a parent) sees both at once.
 */
#include "notices.h"

#include <string.h>

/* Unread notices addressed to person in that role (via student) in
 * school: the inbox's rows, counted through notices_via_person. */
static int64_t
home_unread(jx_db *db, int64_t person, const char *role, int64_t student,
            int64_t school)
{
	return jxp_one(jx_host, db,
	               "SELECT COUNT(*) FROM notices_via v JOIN "
	               "notices_recipients r ON r.notice_id = v.notice_id AND "
	               "r.person_id = v.person_id JOIN notices_notices n ON "
	               "n.id = v.notice_id WHERE v.person_id = ? AND v.role = "
	               "? AND v.student_id = ? AND n.school_id = ? AND "
	               "r.read_at IS NULL",
	               "isii", person, role, student, school);
}

/* The role and child the acting identity reads its inbox as; 0 when it
 * has no inbox. */
static int
home_via(const struct jx_identity *i, const char **role, int64_t *student)
{
	if (i == NULL)
		return 0;
	if (strcmp(i->role, "parent") == 0) {
		*role = "parent";
		*student = i->student_id;
	} else if (strcmp(i->role, "student") == 0) {
		*role = "student";
		*student = i->person_id;
	} else if (strcmp(i->role, "teacher") == 0) {
		*role = "teacher";
		*student = 0;
	} else
		return 0;
	return 1;
}

static int64_t
home_count(jx_req *req, void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);
	const char *role;
	int64_t student;

	(void)ud;
	if (!home_via(i, &role, &student))
		return -1;
	return home_unread(jx_host->req_db(req), i->person_id, role, student,
	                   i->school_id);
}

/* One cell: the unread count and the latest notice's title, in one
 * statement (the home page is the most opened page). */
static void
home_row(jx_req *req, cJSON *rows, const char *title, int64_t person,
         const char *role, int64_t student, int64_t school, int64_t identity_id)
{
	jx_stmt *st = jx_host->db_query(
	    jx_host->req_db(req),
	    "SELECT (SELECT COUNT(*) FROM notices_via v JOIN "
	    "notices_recipients r ON r.notice_id = v.notice_id AND "
	    "r.person_id = v.person_id JOIN notices_notices n ON n.id = "
	    "v.notice_id WHERE v.person_id = ? AND v.role = ? AND "
	    "v.student_id = ? AND n.school_id = ? AND r.read_at IS NULL), "
	    "(SELECT n.title FROM notices_via v JOIN notices_notices n ON "
	    "n.id = v.notice_id WHERE v.person_id = ? AND v.role = ? AND "
	    "v.student_id = ? AND n.school_id = ? ORDER BY v.notice_id "
	    "DESC LIMIT 1)",
	    "isiiisii", person, role, student, school, person, role, student,
	    school);
	cJSON *o;

	if (st == NULL || jx_host->db_step(st) != JX_DB_ROW) {
		jx_host->db_finish(st);
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "title", title);
	if (!jx_host->db_is_null(st, 1)) {
		char cut[121];

		notices_cut(jx_host->db_text(st, 1), 30, cut, sizeof(cut));
		cJSON_AddStringToObject(o, "detail", cut);
	} else
		cJSON_AddStringToObject(
		    o, "detail", jx_host->t(req, "home.notices.child_none"));
	cJSON_AddNumberToObject(o, "count", (double)jx_host->db_int(st, 0));
	jx_host->db_finish(st);
	cJSON_AddStringToObject(o, "href", "/inbox");
	if (identity_id > 0)
		cJSON_AddNumberToObject(o, "identity_id", (double)identity_id);
	cJSON_AddItemToArray(rows, o);
}

/*
 * The acting identity's inbox first (a teacher's or a student's own, a
 * parent's child's), then the account's other children's: each one tap
 * away (the cell switches to that identity). Rows of this account only.
 */
static cJSON *
home_rows(jx_req *req, void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);
	cJSON *rows = cJSON_CreateArray();
	const char *role;
	int64_t student;
	jx_stmt *st;

	(void)ud;
	if (i == NULL)
		return rows;
	if (home_via(i, &role, &student) && strcmp(role, "parent") != 0)
		home_row(req, rows, jx_host->t(req, "home.notices.unread"),
		         i->person_id, role, student, i->school_id, 0);
	st = jx_host->db_query(
	    jx_host->req_db(req),
	    "SELECT i.id, i.student_id, s.school_id, p.name FROM identities i "
	    "JOIN students s ON s.person_id = i.student_id JOIN persons p ON "
	    "p.id = i.student_id WHERE i.account_id = ? AND i.role = 'parent' "
	    "AND i.status = 'active' ORDER BY i.id != ?, i.id",
	    "ii", i->account_id, i->id);
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		int64_t id = jx_host->db_int(st, 0);
		const char *title = jxp_fill(
		    jx_host, req, jx_host->t(req, "home.notices.child"), "name",
		    jx_host->db_text(st, 3));

		/* home_row's statement is another cached one: this one
		 * stays open meanwhile */
		home_row(req, rows, title, i->person_id, "parent",
		         jx_host->db_int(st, 1), jx_host->db_int(st, 2),
		         id == i->id ? 0 : id);
	}
	jx_host->db_finish(st);
	return rows;
}

int
notices_home_init(struct jx_registrar *reg)
{
	static const struct jx_home_item item = {
	    .size = sizeof(struct jx_home_item),
	    .roles = "*",
	    .label_key = "home.notices.unread",
	    .href = "/inbox",
	    .order = 10,
	    .flags = JX_HOME_TAB_BADGE,
	    .count = home_count,
	    .rows = home_rows,
	};

	/* an older host has no home page: the plugin works without it */
	if (!JX_REG_HAS(reg, home_item) || !JX_REG_HAS(reg, menu_tab))
		return 0;
	if (reg->home_item(reg, &item) != 0 ||
	    reg->menu_tab(reg, "parent,student,teacher", "tab.inbox", "/inbox",
	                  31, "inbox") != 0)
		return -1;
	return 0;
}
