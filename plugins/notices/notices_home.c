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

/* A teacher's or a student's own unread notices (the cell and the 消息
 * tab's badge). */
static int64_t
home_count(jx_req *req, void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);
	const char *role;
	int64_t student;

	(void)ud;
	if (!notices_inbox_of(i, &role, &student) ||
	    strcmp(role, "parent") == 0)
		return -1;
	return home_unread(jx_host->req_db(req), i->person_id, role, student,
	                   i->school_id);
}

/* A parent's unread notices of the acting child (the 消息 tab's badge;
 * the cell is the first of home_rows). */
static int64_t
home_parent_count(jx_req *req, void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);

	(void)ud;
	if (i == NULL || strcmp(i->role, "parent") != 0)
		return -1;
	return home_unread(jx_host->req_db(req), i->person_id, "parent",
	                   i->student_id, i->school_id);
}

/*
 * The account's children's inboxes, the acting parent identity's child
 * first, the others each one tap away (the cell switches to that
 * identity); whatever the acting identity, so that a teacher who is a
 * parent sees them too. One statement for all (the home page is the
 * most opened page): each child's unread count and latest notice, in the
 * child's school. Rows of this account only.
 */
static cJSON *
home_rows(jx_req *req, void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);
	cJSON *rows = cJSON_CreateArray();
	const char *title, *none = NULL;
	jx_stmt *st;

	(void)ud;
	if (i == NULL)
		return rows;
	st = jx_host->db_query(
	    jx_host->req_db(req),
	    "SELECT i.id, p.name, (SELECT COUNT(*) FROM notices_via v JOIN "
	    "notices_recipients r ON r.notice_id = v.notice_id AND "
	    "r.person_id = v.person_id JOIN notices_notices n ON n.id = "
	    "v.notice_id WHERE v.person_id = a.person_id AND v.role = "
	    "'parent' AND v.student_id = i.student_id AND n.school_id = "
	    "s.school_id AND r.read_at IS NULL), (SELECT n.title FROM "
	    "notices_via v JOIN notices_notices n ON n.id = v.notice_id WHERE "
	    "v.person_id = a.person_id AND v.role = 'parent' AND v.student_id "
	    "= i.student_id AND n.school_id = s.school_id ORDER BY "
	    "v.notice_id DESC LIMIT 1) FROM identities i JOIN accounts a ON "
	    "a.id = i.account_id JOIN students s ON s.person_id = "
	    "i.student_id JOIN persons p ON p.id = i.student_id WHERE "
	    "i.account_id = ? AND i.role = 'parent' AND i.status = 'active' "
	    "ORDER BY i.id != ?, i.id",
	    "ii", i->account_id, i->id);
	title = jx_host->t(req, "home.notices.child");
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		int64_t id = jx_host->db_int(st, 0);
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "title",
		                        jxp_fill(jx_host, req, title, "name",
		                                 jx_host->db_text(st, 1)));
		if (!jx_host->db_is_null(st, 3)) {
			char cut[121];

			notices_cut(jx_host->db_text(st, 3), 30, cut,
			            sizeof(cut));
			cJSON_AddStringToObject(o, "detail", cut);
		} else {
			if (none == NULL)
				none =
				    jx_host->t(req, "home.notices.child_none");
			cJSON_AddStringToObject(o, "detail", none);
		}
		cJSON_AddNumberToObject(o, "count",
		                        (double)jx_host->db_int(st, 2));
		cJSON_AddStringToObject(o, "href", "/inbox");
		if (id != i->id)
			cJSON_AddNumberToObject(o, "identity_id", (double)id);
		cJSON_AddItemToArray(rows, o);
	}
	jx_host->db_finish(st);
	return rows;
}

int
notices_home_init(struct jx_registrar *reg)
{
	/* teachers and students: their own inbox */
	static const struct jx_home_item own = {
	    .size = sizeof(struct jx_home_item),
	    .roles = "teacher,student",
	    .label_key = "home.notices.unread",
	    .href = "/inbox",
	    .order = 10,
	    .flags = JX_HOME_TAB_BADGE,
	    .count = home_count,
	};
	/* every account with children: each child's inbox */
	static const struct jx_home_item children = {
	    .size = sizeof(struct jx_home_item),
	    .roles = "*",
	    .href = "/inbox",
	    .order = 11,
	    .flags = JX_HOME_TAB_BADGE,
	    .count = home_parent_count,
	    .rows = home_rows,
	};

	/* an older host has no home page: the plugin works without it */
	if (!JX_REG_HAS(reg, home_item) || !JX_REG_HAS(reg, menu_tab))
		return 0;
	if (reg->home_item(reg, &own) != 0 ||
	    reg->home_item(reg, &children) != 0 ||
	    reg->menu_tab(reg, "parent,student,teacher", "tab.inbox", "/inbox",
	                  31, "inbox") != 0)
		return -1;
	return 0;
}
