/*
 * notices_read.c — reading notices: the sender's list, one notice with
 * its read counts and deliveries per channel, receipts (read, unread with
 * WeChat follow status, the call list), the reminder to the unread, the
 * inbox of the acting identity and marking a notice read.
 *
 * Scope: the sender (and the admins of its school) see a notice's counts
 * and receipts; a recipient sees the notice only through the identity it
 * was addressed through (a parent: through that child); anyone else gets
 * 404.
 */
#include "notices.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How an identity is addressed: role and student id of notices_via; 0
 * for identities that receive no notices (admins, none). */
int
notices_inbox_of(const struct jx_identity *i, const char **role,
                 int64_t *student)
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

/* The acting identity's inbox (notices_inbox_of). */
static int
read_via(jx_req *req, const char **role, int64_t *student)
{
	return notices_inbox_of(jx_host->identity(req), role, student);
}

/* 1 when notice id is addressed to the acting identity. */
static int
read_is_recipient(jx_req *req, jx_db *db, int64_t id)
{
	const struct jx_identity *i = jx_host->identity(req);
	const char *role;
	int64_t student;

	if (!read_via(req, &role, &student))
		return 0;
	return jxp_one(jx_host, db,
	               "SELECT 1 FROM notices_via v JOIN notices_notices n "
	               "ON n.id = v.notice_id WHERE v.notice_id = ? AND "
	               "v.person_id = ? AND v.role = ? AND v.student_id = "
	               "? AND n.school_id = ?",
	               "iisii", id, i->person_id, role, student,
	               i->school_id) == 1;
}

int
notices_access(jx_req *req, jx_db *db, int64_t id)
{
	const struct jx_identity *i = jx_host->identity(req);
	jx_stmt *st;
	int64_t school = 0, sender = 0;

	if (i == NULL || id <= 0)
		return 0;
	st = jx_host->db_query(db,
	                       "SELECT school_id, sender_person_id FROM "
	                       "notices_notices WHERE id = ?",
	                       "i", id);
	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		school = jx_host->db_int(st, 0);
		sender = jx_host->db_int(st, 1);
	}
	jx_host->db_finish(st);
	if (school == 0)
		return 0;
	if ((sender == i->person_id && school == i->school_id &&
	     jxp_role(jx_host, req, "school_admin,teacher")) ||
	    (jxp_role(jx_host, req, "school_admin,district_admin,city_admin") &&
	     jx_host->may(req, JX_MANAGE_SCHOOL, school)))
		return 2;
	return read_is_recipient(req, db, id) ? 1 : 0;
}

static void
read_add_time(cJSON *o, const char *name, int64_t t)
{
	char when[40];

	if (t <= 0) {
		cJSON_AddNullToObject(o, name);
		return;
	}
	jx_host->format_time(t, when, sizeof(when));
	cJSON_AddStringToObject(o, name, when);
}

/* {"inapp"|"wechat"|"sms": {"pending","sent","failed","unreachable"}}
 * from the outbox rows of the notice ("sending" counts as pending); in-app
 * also counts the first delivery to every recipient, which is their
 * recipient row (notices_deliver.c). A row the channel settled as
 * "unreachable: ..." (WeChat: no bound openid, unfollowed, 43004, an
 * invalid openid, a user block) is a family WeChat cannot reach, who got
 * an SMS instead where the district has a gateway: counted apart from
 * failures, which are outages and refusals (issue 14). */
static cJSON *
read_deliveries(jx_db *db, int64_t id, int64_t recipients)
{
	static const char *const channels[] = {"inapp", "wechat", "sms"};
	cJSON *d = cJSON_CreateObject();
	char ref[48];
	jx_stmt *st;

	for (size_t k = 0; k < 3; k++) {
		cJSON *c = cJSON_AddObjectToObject(d, channels[k]);

		cJSON_AddNumberToObject(c, "pending", 0);
		cJSON_AddNumberToObject(c, "sent", 0);
		cJSON_AddNumberToObject(c, "failed", 0);
		cJSON_AddNumberToObject(c, "unreachable", 0);
	}
	snprintf(ref, sizeof(ref), "notice:%lld", (long long)id);
	st = jx_host->db_query(
	    db,
	    "SELECT channel, CASE WHEN state = 'failed' AND last_error LIKE "
	    "'unreachable:%' THEN 'unreachable' ELSE state END AS st, "
	    "COUNT(*) FROM host_outbox WHERE ref = ? GROUP BY channel, st",
	    "s", ref);
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		const char *state = jx_host->db_text(st, 1);
		cJSON *c = cJSON_GetObjectItemCaseSensitive(
		    d, jx_host->db_text(st, 0));
		cJSON *n;

		if (c == NULL) {
			c = cJSON_AddObjectToObject(d, jx_host->db_text(st, 0));
			cJSON_AddNumberToObject(c, "pending", 0);
			cJSON_AddNumberToObject(c, "sent", 0);
			cJSON_AddNumberToObject(c, "failed", 0);
			cJSON_AddNumberToObject(c, "unreachable", 0);
		}
		n = cJSON_GetObjectItemCaseSensitive(
		    c, strcmp(state, "sending") == 0 ? "pending" : state);
		if (n != NULL)
			cJSON_SetNumberValue(
			    n, n->valuedouble + (double)jx_host->db_int(st, 2));
	}
	jx_host->db_finish(st);
	{
		cJSON *sent = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(d, "inapp"), "sent");

		cJSON_SetNumberValue(sent,
		                     sent->valuedouble + (double)recipients);
	}
	return d;
}

cJSON *
notices_get_json(jx_req *req, jx_db *db, int64_t id, int may)
{
	const struct jx_identity *i = jx_host->identity(req);
	jx_stmt *st = jx_host->db_query(
	    db,
	    "SELECT n.kind, n.title, n.body, n.urgent, n.deadline, n.audience, "
	    "n.created_at, p.name, s.name, n.recipients, n.not_before, "
	    "n.escalation, (SELECT COUNT(*) FROM notices_recipients r WHERE "
	    "r.notice_id = n.id AND r.read_at IS NOT NULL), (SELECT read_at "
	    "FROM notices_recipients r WHERE r.notice_id = n.id AND "
	    "r.person_id = ?), n.requires_confirmation, (SELECT COUNT(*) "
	    "FROM notices_recipients r WHERE r.notice_id = n.id AND "
	    "r.confirmed_at IS NOT NULL), (SELECT confirmed_at FROM "
	    "notices_recipients r WHERE r.notice_id = n.id AND r.person_id = "
	    "?) FROM notices_notices n JOIN persons p ON p.id = "
	    "n.sender_person_id JOIN schools s ON s.id = n.school_id WHERE "
	    "n.id = ?",
	    "iii", i->person_id, i->person_id, id);
	cJSON *o = NULL, *steps, *s;
	int64_t recipients;

	if (st == NULL || jx_host->db_step(st) != JX_DB_ROW)
		goto done;
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)id);
	cJSON_AddStringToObject(o, "kind", jx_host->db_text(st, 0));
	cJSON_AddStringToObject(o, "title", jx_host->db_text(st, 1));
	cJSON_AddStringToObject(o, "body", jx_host->db_text(st, 2));
	cJSON_AddBoolToObject(o, "urgent", jx_host->db_int(st, 3) != 0);
	read_add_time(o, "deadline", jx_host->db_int(st, 4));
	read_add_time(o, "sent_at", jx_host->db_int(st, 6));
	cJSON_AddStringToObject(o, "sender_name", jx_host->db_text(st, 7));
	cJSON_AddStringToObject(o, "school_name", jx_host->db_text(st, 8));
	cJSON_AddStringToObject(o, "from",
	                        strcmp(jx_host->db_text(st, 0), "school") == 0
	                            ? jx_host->db_text(st, 8)
	                            : jx_host->db_text(st, 7));
	cJSON_AddBoolToObject(o, "requires_confirmation",
	                      jx_host->db_int(st, 14) != 0);
	cJSON_AddItemToObject(o, "attachments",
	                      notices_files_json(req, db, id));
	if (may < 2) {
		read_add_time(o, "read_at", jx_host->db_int(st, 13));
		read_add_time(o, "confirmed_at", jx_host->db_int(st, 16));
		goto done;
	}
	cJSON_AddItemToObject(o, "audience",
	                      cJSON_Parse(jx_host->db_text(st, 5)));
	cJSON_AddNumberToObject(o, "recipients",
	                        (double)jx_host->db_int(st, 9));
	read_add_time(o, "not_before", jx_host->db_int(st, 10));
	cJSON_AddNumberToObject(o, "read_count",
	                        (double)jx_host->db_int(st, 12));
	cJSON_AddNumberToObject(
	    o, "unread_count",
	    (double)(jx_host->db_int(st, 9) - jx_host->db_int(st, 12)));
	cJSON_AddNumberToObject(o, "confirmed_count",
	                        (double)jx_host->db_int(st, 15));
	recipients = jx_host->db_int(st, 9);
	steps = cJSON_Parse(jx_host->db_text(st, 11));
	cJSON_ArrayForEach(s, steps)
	{
		cJSON *at = cJSON_GetObjectItemCaseSensitive(s, "at");
		char when[40];

		jx_host->format_time((int64_t)at->valuedouble, when,
		                     sizeof(when));
		cJSON_ReplaceItemInObject(s, "at", cJSON_CreateString(when));
	}
	cJSON_AddItemToObject(o, "escalation",
	                      steps ? steps : cJSON_CreateArray());
	jx_host->db_finish(st);
	st = NULL;
	cJSON_AddItemToObject(o, "deliveries",
	                      read_deliveries(db, id, recipients));
	/* Parents WeChat could not reach for the first delivery (persons,
	 * not rows: reminders add rows), and those texted instead. */
	cJSON_AddNumberToObject(
	    o, "wechat_unreachable_parents",
	    (double)jxp_one(
	        jx_host, db,
	        "SELECT COUNT(DISTINCT recipient) FROM "
	        "host_outbox WHERE ref = ? AND channel = "
	        "'wechat' AND state = 'failed' AND last_error "
	        "LIKE 'unreachable:%'",
	        "s", jx_host->sprintf(req, "notice:%lld", (long long)id)));
	cJSON_AddNumberToObject(
	    o, "sms_sent_parents",
	    (double)jxp_one(
	        jx_host, db,
	        "SELECT COUNT(DISTINCT recipient) FROM "
	        "host_outbox WHERE ref = ? AND channel = 'sms' "
	        "AND state = 'sent'",
	        "s", jx_host->sprintf(req, "notice:%lld", (long long)id)));
done:
	jx_host->db_finish(st);
	return o;
}

/* "一年级1班" of class id, or NULL. */
static const char *
read_class_name(jx_req *req, jx_db *db, int64_t klass)
{
	jx_stmt *st;
	const char *name = NULL;

	if (klass <= 0)
		return NULL;
	st = jx_host->db_query(
	    db, "SELECT grade, name FROM classes WHERE id = ?", "i", klass);
	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW)
		name = jx_host->sprintf(
		    req, "%s%s",
		    notices_org->grade_label((int)jx_host->db_int(st, 0)),
		    jx_host->db_text(st, 1));
	jx_host->db_finish(st);
	return name;
}

/* The rows of st (person_id, name, read_at, confirmed_at) as receipt
 * items into arr, each named as the family does (names), then finishes
 * st. */
static void
receipts_readers(jx_stmt *st, struct notices_names *names, cJSON *arr)
{
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		cJSON *r = cJSON_CreateObject();
		int64_t person = jx_host->db_int(st, 0);
		const char *own = jx_host->db_text(st, 1);

		cJSON_AddNumberToObject(r, "person_id", (double)person);
		cJSON_AddStringToObject(r, "name",
		                        notices_names_get(names, person, own));
		cJSON_AddStringToObject(r, "person_name", own);
		read_add_time(r, "read_at", jx_host->db_int(st, 2));
		read_add_time(r, "confirmed_at", jx_host->db_int(st, 3));
		cJSON_AddItemToArray(arr, r);
	}
	jx_host->db_finish(st);
}

cJSON *
notices_receipts_json(jx_req *req, jx_db *db, int64_t id)
{
	const struct jx_wechat_v1 *wx = jx_host->service("wechat.v1");
	cJSON *o = cJSON_CreateObject();
	cJSON *read = cJSON_AddArrayToObject(o, "read");
	cJSON *unread = cJSON_AddArrayToObject(o, "unread");
	cJSON *confirmed = cJSON_AddArrayToObject(o, "confirmed");
	cJSON *calls = cJSON_AddArrayToObject(o, "call_list");
	jx_stmt *st;
	struct notices_names *names = notices_names_load(req, db, id);

	/* Read (confirming is reading too), and the confirmed among them:
	 * every reader is in read, with confirmed_at null until they
	 * confirm; confirmed lists those who did, in the order they did. */
	st = jx_host->db_query(
	    db,
	    "SELECT r.person_id, p.name, r.read_at, r.confirmed_at FROM "
	    "notices_recipients r JOIN persons p ON p.id = "
	    "r.person_id WHERE r.notice_id = ? AND r.read_at IS "
	    "NOT NULL ORDER BY r.read_at, r.person_id",
	    "i", id);
	receipts_readers(st, names, read);
	st = jx_host->db_query(
	    db,
	    "SELECT r.person_id, p.name, r.read_at, r.confirmed_at FROM "
	    "notices_recipients r JOIN persons p ON p.id = r.person_id WHERE "
	    "r.notice_id = ? AND r.confirmed_at IS NOT NULL ORDER BY "
	    "r.confirmed_at, r.person_id",
	    "i", id);
	receipts_readers(st, names, confirmed);
	/* Unread, by class: a parent under their child's class. */
	st = jx_host->db_query(
	    db,
	    "SELECT r.person_id, p.name, r.is_parent, (SELECT "
	    "MIN(v.class_id) FROM notices_via v WHERE v.notice_id = "
	    "r.notice_id AND v.person_id = r.person_id) AS klass, (SELECT "
	    "MIN(sp.name) FROM notices_via v JOIN persons sp ON sp.id = "
	    "v.student_id WHERE v.notice_id = r.notice_id AND v.person_id = "
	    "r.person_id AND v.role = 'parent') FROM notices_recipients r "
	    "JOIN persons p ON p.id = r.person_id WHERE r.notice_id = ? AND "
	    "r.read_at IS NULL ORDER BY klass, p.name, r.person_id",
	    "i", id);
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		cJSON *r = cJSON_CreateObject();
		int64_t person = jx_host->db_int(st, 0);
		const char *cn =
		    jx_host->db_is_null(st, 3)
		        ? NULL
		        : read_class_name(req, db, jx_host->db_int(st, 3));
		int f = wx != NULL ? wx->followed(db, person) : -1;

		cJSON_AddNumberToObject(r, "person_id", (double)person);
		cJSON_AddStringToObject(
		    r, "name",
		    notices_names_get(names, person, jx_host->db_text(st, 1)));
		cJSON_AddStringToObject(r, "person_name",
		                        jx_host->db_text(st, 1));
		cJSON_AddBoolToObject(r, "parent", jx_host->db_int(st, 2) != 0);
		if (jx_host->db_is_null(st, 4))
			cJSON_AddNullToObject(r, "student_name");
		else
			cJSON_AddStringToObject(r, "student_name",
			                        jx_host->db_text(st, 4));
		if (cn != NULL)
			cJSON_AddStringToObject(r, "class_name", cn);
		else
			cJSON_AddNullToObject(r, "class_name");
		/* followed: a bound openid that follows; bound: any
		 * binding at all (unbound parents are reached by SMS). */
		cJSON_AddBoolToObject(r, "wechat_followed", f == 1);
		cJSON_AddBoolToObject(r, "wechat_bound", f >= 0);
		cJSON_AddItemToArray(unread, r);
	}
	jx_host->db_finish(st);
	st = jx_host->db_query(
	    db,
	    "SELECT c.person_id, p.name, p.phone, c.class_id, "
	    "c.created_at FROM notices_calls c JOIN "
	    "notices_recipients r ON r.notice_id = c.notice_id "
	    "AND r.person_id = c.person_id JOIN persons p ON "
	    "p.id = c.person_id WHERE c.notice_id = ? AND "
	    "r.read_at IS NULL ORDER BY c.class_id, p.name",
	    "i", id);
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		cJSON *r = cJSON_CreateObject();
		const char *cn =
		    jx_host->db_is_null(st, 3)
		        ? NULL
		        : read_class_name(req, db, jx_host->db_int(st, 3));

		cJSON_AddNumberToObject(r, "person_id",
		                        (double)jx_host->db_int(st, 0));
		cJSON_AddStringToObject(r, "name", jx_host->db_text(st, 1));
		if (jx_host->db_is_null(st, 2))
			cJSON_AddNullToObject(r, "phone");
		else
			cJSON_AddStringToObject(r, "phone",
			                        jx_host->db_text(st, 2));
		if (cn != NULL)
			cJSON_AddStringToObject(r, "class_name", cn);
		else
			cJSON_AddNullToObject(r, "class_name");
		read_add_time(r, "listed_at", jx_host->db_int(st, 4));
		cJSON_AddItemToArray(calls, r);
	}
	jx_host->db_finish(st);
	return o;
}

/* The first read of notice id by the acting identity's person, and
 * "notices.read" (docs/events.md) in the same transaction. */
int
notices_mark_read(jx_req *req, jx_db *db, int64_t id)
{
	const struct jx_identity *i = jx_host->identity(req);
	int64_t n;
	cJSON *ev;
	int rc;

	if (jx_host->db_begin(db) != 0)
		return -1;
	n = jx_host->db_exec(db,
	                     "UPDATE notices_recipients SET read_at = ? WHERE "
	                     "notice_id = ? AND person_id = ? AND read_at IS "
	                     "NULL",
	                     "iii", jx_host->now(), id, i->person_id);
	if (n < 0) {
		jx_host->db_rollback(db);
		return -1;
	}
	if (n > 0) {
		ev = cJSON_CreateObject();
		cJSON_AddNumberToObject(ev, "notice_id", (double)id);
		cJSON_AddNumberToObject(ev, "person_id", (double)i->person_id);
		cJSON_AddStringToObject(ev, "role", i->role);
		cJSON_AddNumberToObject(
		    ev, "school_id",
		    (double)jxp_one(jx_host, db,
		                    "SELECT school_id FROM notices_notices "
		                    "WHERE id = ?",
		                    "i", id));
		cJSON_AddNumberToObject(ev, "reader_school_id",
		                        (double)i->school_id);
		cJSON_AddNumberToObject(ev, "reader_class_id",
		                        (double)i->class_id);
		cJSON_AddNumberToObject(ev, "at", (double)jx_host->now());
		rc = jx_host->publish(db, "notices.read", ev);
		cJSON_Delete(ev);
		if (rc != 0) {
			jx_host->db_rollback(db);
			return -1;
		}
	}
	return jx_host->db_commit(db) == 0 ? 0 : -1;
}

int
notices_mark_confirmed(jx_req *req, jx_db *db, int64_t id)
{
	const struct jx_identity *i = jx_host->identity(req);
	int64_t now = jx_host->now();

	/* Confirming is reading: both times kept from the first time (the
	 * first read publishes notices.read). */
	if (notices_mark_read(req, db, id) != 0)
		return -1;
	return jx_host->db_exec(
	           db,
	           "UPDATE notices_recipients SET read_at = COALESCE(read_at, "
	           "?), confirmed_at = COALESCE(confirmed_at, ?) WHERE "
	           "notice_id = ? AND person_id = ?",
	           "iiii", now, now, id, i->person_id) < 0
	           ? -1
	           : 0;
}

int
notices_requires_confirmation(jx_db *db, int64_t id)
{
	jx_stmt *st = jx_host->db_query(db,
	                                "SELECT requires_confirmation FROM "
	                                "notices_notices WHERE id = ?",
	                                "i", id);
	int rc = -1;

	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW)
		rc = jx_host->db_int(st, 0) != 0;
	jx_host->db_finish(st);
	return rc;
}

int64_t
notices_remind(jx_req *req, jx_db *db, int64_t id, int unconfirmed)
{
	int64_t n;
	cJSON *detail;

	if (jx_host->db_begin(db) != 0)
		return -1;
	n = notices_deliver_remind(db, id, "wechat", unconfirmed);
	if (n < 0)
		goto fail;
	detail = cJSON_CreateObject();
	cJSON_AddNumberToObject(detail, "reminded", (double)n);
	cJSON_AddStringToObject(detail, "target",
	                        unconfirmed ? "unconfirmed" : "unread");
	if (jx_host->audit(req, "notices.remind",
	                   jx_host->sprintf(req, "notice:%lld", (long long)id),
	                   detail) != 0) {
		cJSON_Delete(detail);
		goto fail;
	}
	cJSON_Delete(detail);
	if (jx_host->db_commit(db) != 0)
		return -1;
	return n;
fail:
	jx_host->db_rollback(db);
	return -1;
}

cJSON *
notices_list_json(jx_req *req, jx_db *db)
{
	const struct jx_identity *i = jx_host->identity(req);
	cJSON *items = cJSON_CreateArray();
	int64_t limit, before;
	jx_stmt *st;

	notices_page(req, &limit, &before);
	st = jx_host->db_query(
	    db,
	    "SELECT n.id, n.kind, n.title, n.urgent, n.deadline, "
	    "n.created_at, n.recipients, (SELECT COUNT(*) FROM "
	    "notices_recipients r WHERE r.notice_id = n.id AND r.read_at IS "
	    "NOT NULL), n.requires_confirmation, (SELECT COUNT(*) FROM "
	    "notices_recipients r WHERE r.notice_id = n.id AND "
	    "r.confirmed_at IS NOT NULL) FROM notices_notices n WHERE "
	    "n.sender_person_id = ? "
	    "AND n.school_id = ? AND n.id < ? ORDER BY n.id DESC LIMIT ?",
	    "iiii", i ? i->person_id : 0, i ? i->school_id : 0, before,
	    limit + 1);
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		cJSON *o = cJSON_CreateObject();
		int64_t total = jx_host->db_int(st, 6),
		        read = jx_host->db_int(st, 7);

		cJSON_AddNumberToObject(o, "id",
		                        (double)jx_host->db_int(st, 0));
		cJSON_AddStringToObject(o, "kind", jx_host->db_text(st, 1));
		cJSON_AddStringToObject(o, "title", jx_host->db_text(st, 2));
		cJSON_AddBoolToObject(o, "urgent", jx_host->db_int(st, 3) != 0);
		read_add_time(o, "deadline", jx_host->db_int(st, 4));
		read_add_time(o, "sent_at", jx_host->db_int(st, 5));
		cJSON_AddNumberToObject(o, "recipients", (double)total);
		cJSON_AddNumberToObject(o, "read_count", (double)read);
		cJSON_AddNumberToObject(o, "unread_count",
		                        (double)(total - read));
		/* Whole percent read, for the page's bars. */
		cJSON_AddNumberToObject(
		    o, "read_percent",
		    total > 0 ? (double)((read * 100) / total) : 0);
		cJSON_AddBoolToObject(o, "requires_confirmation",
		                      jx_host->db_int(st, 8) != 0);
		cJSON_AddNumberToObject(o, "confirmed_count",
		                        (double)jx_host->db_int(st, 9));
		cJSON_AddItemToArray(items, o);
	}
	jx_host->db_finish(st);
	return jxp_items(items, limit, "id");
}

cJSON *
notices_inbox_json(jx_req *req, jx_db *db)
{
	const struct jx_identity *i = jx_host->identity(req);
	cJSON *items = cJSON_CreateArray();
	int64_t limit, before, student = 0;
	const char *role = NULL;
	jx_stmt *st;

	notices_page(req, &limit, &before);
	if (!read_via(req, &role, &student))
		return jxp_items(items, limit, "notice_id");
	st = jx_host->db_query(
	    db,
	    "SELECT n.id, n.kind, n.title, p.name, s.name, n.created_at, "
	    "r.read_at, n.urgent, n.deadline, n.requires_confirmation, "
	    "r.confirmed_at FROM notices_via v JOIN "
	    "notices_notices n ON n.id = v.notice_id JOIN notices_recipients "
	    "r ON r.notice_id = v.notice_id AND r.person_id = v.person_id "
	    "JOIN persons p ON p.id = n.sender_person_id JOIN schools s ON "
	    "s.id = n.school_id WHERE v.person_id = ? AND v.role = ? AND "
	    "v.student_id = ? AND n.school_id = ? AND v.notice_id < ? ORDER "
	    "BY v.notice_id DESC LIMIT ?",
	    "isiiii", i->person_id, role, student, i->school_id, before,
	    limit + 1);
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		cJSON *o = cJSON_CreateObject();
		int school = strcmp(jx_host->db_text(st, 1), "school") == 0;

		cJSON_AddNumberToObject(o, "notice_id",
		                        (double)jx_host->db_int(st, 0));
		cJSON_AddStringToObject(o, "kind", jx_host->db_text(st, 1));
		cJSON_AddStringToObject(o, "title", jx_host->db_text(st, 2));
		cJSON_AddStringToObject(o, "from",
		                        school ? jx_host->db_text(st, 4)
		                               : jx_host->db_text(st, 3));
		read_add_time(o, "sent_at", jx_host->db_int(st, 5));
		read_add_time(o, "read_at", jx_host->db_int(st, 6));
		cJSON_AddBoolToObject(o, "urgent", jx_host->db_int(st, 7) != 0);
		read_add_time(o, "deadline", jx_host->db_int(st, 8));
		cJSON_AddBoolToObject(o, "requires_confirmation",
		                      jx_host->db_int(st, 9) != 0);
		read_add_time(o, "confirmed_at", jx_host->db_int(st, 10));
		cJSON_AddItemToArray(items, o);
	}
	jx_host->db_finish(st);
	return jxp_items(items, limit, "notice_id");
}

cJSON *
notices_calls_json(jx_req *req, jx_db *db)
{
	const struct jx_identity *i = jx_host->identity(req);
	cJSON *items = cJSON_CreateArray();

	/* A head teacher's list: the unread of their classes the escalation
	 * put there, one class at a time (a teacher heads few). */
	for (int k = 0; i != NULL && k < i->nhead_of_class_ids; k++) {
		int64_t klass = i->head_of_class_ids[k];
		const char *cn = read_class_name(req, db, klass);
		jx_stmt *st = jx_host->db_query(
		    db,
		    "SELECT c.notice_id, n.title, n.deadline, c.person_id, "
		    "p.name, p.phone, c.created_at, (SELECT MIN(sp.name) FROM "
		    "notices_via v JOIN persons sp ON sp.id = v.student_id "
		    "WHERE v.notice_id = c.notice_id AND v.person_id = "
		    "c.person_id AND v.role = 'parent') FROM notices_calls c "
		    "JOIN notices_notices n ON n.id = c.notice_id JOIN "
		    "notices_recipients r ON r.notice_id = c.notice_id AND "
		    "r.person_id = c.person_id JOIN persons p ON p.id = "
		    "c.person_id WHERE c.class_id = ? AND n.school_id = ? AND "
		    "r.read_at IS NULL ORDER BY c.notice_id DESC, p.name",
		    "ii", klass, i->school_id);

		while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddNumberToObject(o, "notice_id",
			                        (double)jx_host->db_int(st, 0));
			cJSON_AddStringToObject(o, "title",
			                        jx_host->db_text(st, 1));
			read_add_time(o, "deadline", jx_host->db_int(st, 2));
			cJSON_AddNumberToObject(o, "person_id",
			                        (double)jx_host->db_int(st, 3));
			cJSON_AddStringToObject(o, "name",
			                        jx_host->db_text(st, 4));
			if (jx_host->db_is_null(st, 5))
				cJSON_AddNullToObject(o, "phone");
			else
				cJSON_AddStringToObject(
				    o, "phone", jx_host->db_text(st, 5));
			read_add_time(o, "listed_at", jx_host->db_int(st, 6));
			if (jx_host->db_is_null(st, 7))
				cJSON_AddNullToObject(o, "student_name");
			else
				cJSON_AddStringToObject(
				    o, "student_name", jx_host->db_text(st, 7));
			cJSON_AddNumberToObject(o, "class_id", (double)klass);
			if (cn != NULL)
				cJSON_AddStringToObject(o, "class_name", cn);
			else
				cJSON_AddNullToObject(o, "class_name");
			cJSON_AddItemToArray(items, o);
		}
		jx_host->db_finish(st);
	}
	return items;
}

/* ---- the API handlers ---------------------------------------------- */

int
api_get(jx_req *req, void *ud)
{
	int64_t id = jx_host->req_param_id(req, "id");
	jx_db *db = jx_host->req_db(req);
	int may = notices_access(req, db, id);
	cJSON *o;

	(void)ud;
	if (may == 0 || (o = notices_get_json(req, db, id, may)) == NULL)
		return notices_not_found(req);
	return jx_host->reply_json(req, 200, o);
}

/* The receipts, both faces (JX_ROUTE_BOTH): 404 for a notice the caller
 * cannot see, 403 for a recipient (the receipts are the sender's), on the
 * page as in the API. */
int
notices_receipts_get(jx_req *req, void *ud)
{
	int64_t id = jx_host->req_param_id(req, "id");
	jx_db *db = jx_host->req_db(req);
	int may = notices_access(req, db, id);
	const char *r;
	cJSON *d;

	(void)ud;
	if (may == 0)
		return notices_not_found(req);
	if (may < 2)
		return notices_forbidden(req, "Receipts are the sender's.");
	d = notices_receipts_json(req, db, id);
	if (jx_host->req_is_api(req))
		return jx_host->reply_json(req, 200, d);
	cJSON_AddItemToObject(d, "notice", notices_get_json(req, db, id, 2));
	cJSON_AddStringToObject(d, "title",
	                        jx_host->t(req, "notices.receipts.title"));
	r = jx_host->req_query(req, "reminded");
	if (r != NULL)
		cJSON_AddStringToObject(d, "reminded", r);
	return jx_host->reply_view(req, 200, "notices/receipts", d);
}

/* The remind target of the request: {"target"} in a JSON body (none:
 * "unread", as before issue 14), the form's field target on the page.
 * 0 unread, 1 unconfirmed, or the status replied. */
static int
remind_target(jx_req *req, jx_db *db, int64_t id, int *unconfirmed)
{
	const char *target = NULL;

	*unconfirmed = 0;
	if (jx_host->req_is_api(req)) {
		const char *data = NULL;
		size_t len = 0;
		int rc = jx_host->req_body(req, 0, &data, &len);
		const cJSON *body, *t;

		if (rc != 0)
			return rc;
		if (len > 0) {
			body = jx_host->req_json(req);
			if (body == NULL)
				return jx_host->req_status(req);
			t = cJSON_GetObjectItemCaseSensitive(body, "target");
			if (t != NULL && !cJSON_IsNull(t)) {
				if (!cJSON_IsString(t))
					target = "";
				else
					target = t->valuestring;
			}
		}
	} else
		target = jx_host->req_form(req, "target");
	if (target == NULL || strcmp(target, "unread") == 0)
		return 0;
	if (strcmp(target, "unconfirmed") != 0) {
		jx_host->problem_error(req, 0, "target",
		                       "target is unread or unconfirmed");
		return jxp_invalid(jx_host, req, NULL);
	}
	if (notices_requires_confirmation(db, id) != 1) {
		jx_host->problem_error(req, 0, "target",
		                       "this notice asks for no confirmation");
		return jxp_invalid(jx_host, req, NULL);
	}
	*unconfirmed = 1;
	return 0;
}

/* Reminds the unread (or the unconfirmed), both faces: the page goes
 * back to the receipts. */
int
notices_remind_post(jx_req *req, void *ud)
{
	int64_t id = jx_host->req_param_id(req, "id"), n;
	jx_db *db = jx_host->req_db(req);
	int may = notices_access(req, db, id), unconfirmed, rc;
	cJSON *o;

	(void)ud;
	if (may == 0)
		return notices_not_found(req);
	if (may < 2)
		return notices_forbidden(req, "Only the sender reminds.");
	rc = remind_target(req, db, id, &unconfirmed);
	if (rc != 0)
		return rc;
	n = notices_remind(req, db, id, unconfirmed);
	if (n < 0)
		return jxp_storage_error(jx_host, req);
	if (!jx_host->req_is_api(req))
		return jx_host->reply_redirect(
		    req, jx_host->sprintf(
		             req, "/notices/%lld/receipts?reminded=%lld",
		             (long long)id, (long long)n));
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "reminded", (double)n);
	return jx_host->reply_json(req, 200, o);
}

int
api_read(jx_req *req, void *ud)
{
	int64_t id = jx_host->req_param_id(req, "notice_id");
	jx_db *db = jx_host->req_db(req);

	(void)ud;
	if (id <= 0 || !read_is_recipient(req, db, id))
		return notices_not_found(req);
	if (notices_mark_read(req, db, id) != 0)
		return jxp_storage_error(jx_host, req);
	return jx_host->reply_json(req, 204, NULL);
}

/* Records the acting identity's confirmation of notice id: 0, or the
 * status replied: 404 for a notice not addressed to it; 409 for one that
 * asks for no confirmation (nothing is recorded: a confirmation the
 * sender did not ask for would show nowhere). Again: 0, the first time
 * kept. */
static int
confirm_record(jx_req *req, jx_db *db, int64_t id)
{
	if (id <= 0 || !read_is_recipient(req, db, id))
		return notices_not_found(req);
	if (notices_requires_confirmation(db, id) != 1)
		return jx_host->reply_problem(
		    req, 409, "confirmation-not-requested",
		    jx_host->t(req, "notices.confirm.not_asked"),
		    "This notice does not ask its recipients to confirm.");
	if (notices_mark_confirmed(req, db, id) != 0)
		return jxp_storage_error(jx_host, req);
	return 0;
}

/* POST /api/v1/inbox/{notice_id}/confirm: 204 (and read). */
int
api_confirm(jx_req *req, void *ud)
{
	int rc = confirm_record(req, jx_host->req_db(req),
	                        jx_host->req_param_id(req, "notice_id"));

	(void)ud;
	return rc != 0 ? rc : jx_host->reply_json(req, 204, NULL);
}

/* The notice page's 确认收到 button (a form): back to the notice, which
 * then shows when it was confirmed. */
int
page_confirm(jx_req *req, void *ud)
{
	int64_t id = jx_host->req_param_id(req, "id");
	int rc = confirm_record(req, jx_host->req_db(req), id);

	(void)ud;
	if (rc != 0)
		return rc;
	return jx_host->reply_redirect(
	    req,
	    jx_host->sprintf(req, "/notices/%lld?confirmed=1", (long long)id));
}
