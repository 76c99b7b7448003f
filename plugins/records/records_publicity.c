/*
 * records_publicity.c — 公示: a school admin or the head teacher
 * publishes a class's approved records of a term for the number of days
 * the district's rule sets (records_publicity_days); the class's
 * students and their parents, its teachers and the school's admins see
 * them without private fields; logged-in readers object to a record
 * (the school admin's list); closing the 公示 (by hand, or when its days
 * are over) archives the term's approved records of the class, which
 * stay in the portfolio.
 *
 * The end is a timer: an outbox row on the plugin's own channel
 * "records_publicity" due at ends_at; when the host settles it, the
 * plugin's notify.result subscriber closes the 公示 in that transaction
 * (the host's clock, so tests shift it rather than wait). A 公示 past
 * its end is also closed when it is next read.
 */
#include "records.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REC_TIMER_CHANNEL "records_publicity"

struct rec_pub {
	int64_t id, school, klass, district, starts_at, ends_at;
	char term[16], status[8];
};

static int
rec_pub_load(jx_db *db, int64_t id, struct rec_pub *p)
{
	jx_stmt *st = jx_host->db_query(
	    db,
	    "SELECT id, school_id, class_id, district_id, starts_at, ends_at, "
	    "term, status FROM records_publicity WHERE id = ?",
	    "i", id);
	int rc;

	memset(p, 0, sizeof(*p));
	if (st == NULL)
		return -1;
	rc = jx_host->db_step(st);
	if (rc == JX_DB_ROW) {
		p->id = jx_host->db_int(st, 0);
		p->school = jx_host->db_int(st, 1);
		p->klass = jx_host->db_int(st, 2);
		p->district = jx_host->db_int(st, 3);
		p->starts_at = jx_host->db_int(st, 4);
		p->ends_at = jx_host->db_int(st, 5);
		snprintf(p->term, sizeof(p->term), "%s",
		         jx_host->db_text(st, 6));
		snprintf(p->status, sizeof(p->status), "%s",
		         jx_host->db_text(st, 7));
	}
	jx_host->db_finish(st);
	return rc == JX_DB_ROW ? 1 : rc == JX_DB_DONE ? 0 : -1;
}

/* Closes 公示 p in the open transaction: archives the class's approved
 * records of the term. 0 or -1. */
static int
rec_pub_close(jx_db *db, const struct rec_pub *p)
{
	int64_t now = jx_host->now();

	if (jx_host->db_exec(db,
	                     "UPDATE records_publicity SET status = 'closed', "
	                     "closed_at = ? WHERE id = ? AND status = 'open'",
	                     "ii", now, p->id) < 0 ||
	    jx_host->db_exec(db,
	                     "UPDATE records_records SET status = 'archived', "
	                     "updated_at = ? WHERE class_id = ? AND term = ? "
	                     "AND status = 'approved'",
	                     "iis", now, p->klass, p->term) < 0)
		return -1;
	return 0;
}

/* Closes the class's 公示 whose days are over (a missed timer). */
static int
rec_pub_expire(jx_db *db, int64_t klass)
{
	int64_t ids[16];
	int n = 0, rc = 0;
	jx_stmt *st = jx_host->db_query(
	    db,
	    "SELECT id FROM records_publicity WHERE class_id = ? AND status = "
	    "'open' AND ends_at <= ? LIMIT 16",
	    "ii", klass, jx_host->now());

	while (st != NULL && n < 16 && jx_host->db_step(st) == JX_DB_ROW)
		ids[n++] = jx_host->db_int(st, 0);
	jx_host->db_finish(st);
	if (st == NULL)
		return -1;
	if (n == 0)
		return 0;
	if (jx_host->db_begin(db) != 0)
		return -1;
	for (int k = 0; k < n && rc == 0; k++) {
		struct rec_pub p;

		if (rec_pub_load(db, ids[k], &p) == 1)
			rc = rec_pub_close(db, &p);
	}
	if (rc != 0) {
		jx_host->db_rollback(db);
		return -1;
	}
	return jx_host->db_commit(db);
}

/* 1 when the acting identity publishes for class klass of school. */
static int
rec_may_publish(jx_req *req, int64_t school, int64_t klass)
{
	const struct jx_identity *i = jx_host->identity(req);

	if (i == NULL)
		return 0;
	if (strcmp(i->role, "school_admin") == 0)
		return i->school_id == school &&
		       jx_host->may(req, JX_MANAGE_SCHOOL, school);
	if (strcmp(i->role, "teacher") == 0 && i->school_id == school)
		for (int k = 0; k < i->nhead_of_class_ids; k++)
			if (i->head_of_class_ids[k] == klass)
				return 1;
	return 0;
}

int
rec_publicity_reader(jx_req *req, jx_db *db, int64_t record)
{
	int64_t klass = jxp_one(
	    jx_host, db,
	    "SELECT p.class_id FROM records_publicity_items i JOIN "
	    "records_publicity p ON p.id = i.publicity_id WHERE i.record_id = "
	    "? AND p.status = 'open' AND p.ends_at > ? LIMIT 1",
	    "ii", record, jx_host->now());

	return klass > 0 && jx_host->identity(req) != NULL &&
	       jx_host->may(req, JX_SEE_CLASS, klass);
}

static cJSON *
rec_pub_json(jx_req *req, jx_db *db, const struct rec_pub *p, int records)
{
	cJSON *o = cJSON_CreateObject();
	int64_t now = jx_host->now();

	cJSON_AddNumberToObject(o, "id", (double)p->id);
	cJSON_AddNumberToObject(o, "school_id", (double)p->school);
	cJSON_AddNumberToObject(o, "class_id", (double)p->klass);
	cJSON_AddStringToObject(o, "term", p->term);
	cJSON_AddStringToObject(o, "status", p->status);
	cJSON_AddItemToObject(o, "starts_at", jxp_time(jx_host, p->starts_at));
	cJSON_AddItemToObject(o, "ends_at", jxp_time(jx_host, p->ends_at));
	cJSON_AddNumberToObject(
	    o, "days_left",
	    strcmp(p->status, "open") == 0 && p->ends_at > now
	        ? (double)((p->ends_at - now + 86399) / 86400)
	        : 0);
	if (records) {
		cJSON *list = cJSON_AddArrayToObject(o, "records");
		int64_t ids[1000];
		int n = 0;
		jx_stmt *st = jx_host->db_query(
		    db,
		    "SELECT record_id FROM records_publicity_items WHERE "
		    "publicity_id = ? ORDER BY record_id LIMIT 1000",
		    "i", p->id);

		while (st != NULL && n < 1000 &&
		       jx_host->db_step(st) == JX_DB_ROW)
			ids[n++] = jx_host->db_int(st, 0);
		jx_host->db_finish(st);
		for (int k = 0; k < n; k++) {
			struct rec_row r;

			if (rec_load(req, db, ids[k], &r) == 1)
				cJSON_AddItemToArray(list,
				                     rec_json(req, db, &r, 1));
		}
	}
	return o;
}

/* POST /api/v1/classes/{cid}/publicity {"term","record_ids"?} */
int
route_publicity_create(jx_req *req, void *ud)
{
	int64_t klass = jx_host->req_param_id(req, "cid");
	jx_db *db = jx_host->req_db(req);
	const struct jx_identity *i = jx_host->identity(req);
	int64_t school, district, now = jx_host->now(), id;
	const cJSON *ids, *e;
	const char *term;
	cJSON *body;
	struct rec_pub p;
	int days, n = 0, rc = 0;
	char to[24], ref[40];
	int en = strcmp(jx_host->req_lang(req), "en") == 0;

	(void)ud;
	if (klass <= 0 || !jx_host->may(req, JX_SEE_CLASS, klass))
		return jxp_not_found(jx_host, req);
	school =
	    jxp_one(jx_host, db, "SELECT school_id FROM classes WHERE id = ?",
	            "i", klass);
	district =
	    jxp_one(jx_host, db, "SELECT district_id FROM schools WHERE id = ?",
	            "i", school);
	if (school <= 0 || district <= 0)
		return jxp_not_found(jx_host, req);
	if (!rec_may_publish(req, school, klass))
		return jxp_forbidden(jx_host, req);
	body = jx_host->req_json(req);
	if (body == NULL)
		return jx_host->req_status(req);
	term = cJSON_GetStringValue(cJSON_GetObjectItem(body, "term"));
	if (!rec_term_valid(term)) {
		jx_host->problem_error(req, 0, "term",
		                       en ? "must be a term like 2026-2027-1"
		                          : "学期格式应为 2026-2027-1");
		return jxp_invalid(jx_host, req, NULL);
	}
	ids = cJSON_GetObjectItem(body, "record_ids");
	if (ids != NULL && !cJSON_IsNull(ids) &&
	    (!cJSON_IsArray(ids) || cJSON_GetArraySize(ids) > 1000)) {
		jx_host->problem_error(req, 0, "record_ids",
		                       "a list of up to 1000 record ids");
		return jxp_invalid(jx_host, req, NULL);
	}
	if (rec_pub_expire(db, klass) != 0)
		return jxp_storage_error(jx_host, req);
	days = rec_publicity_days(db, district);
	if (jx_host->db_begin(db) != 0)
		return jxp_storage_error(jx_host, req);
	if (jxp_one(jx_host, db,
	            "SELECT COUNT(*) FROM records_publicity WHERE class_id = ? "
	            "AND term = ? AND status = 'open'",
	            "is", klass, term) != 0) {
		jx_host->db_rollback(db);
		return jxp_conflict(
		    jx_host, req,
		    en ? "This class's 公示 of the term is open."
		       : "本班这个学期的公示尚未结束。");
	}
	id = jx_host->db_insert(
	    db,
	    "INSERT INTO records_publicity(school_id, class_id, district_id, "
	    "term, status, starts_at, ends_at, created_by) VALUES (?, ?, ?, ?, "
	    "'open', ?, ?, ?)",
	    "iiisiii", school, klass, district, term, now,
	    now + (int64_t)days * 86400, i->person_id);
	if (id <= 0)
		rc = 500;
	if (rc == 0 && (ids == NULL || cJSON_IsNull(ids))) {
		int64_t k = jx_host->db_exec(
		    db,
		    "INSERT INTO records_publicity_items(publicity_id, "
		    "record_id) SELECT ?, id FROM records_records WHERE "
		    "class_id = ? AND term = ? AND status = 'approved'",
		    "iis", id, klass, term);

		if (k < 0)
			rc = 500;
		n = (int)k;
	} else if (rc == 0)
		cJSON_ArrayForEach(e, ids)
		{
			int64_t rid = rec_id_of(e);
			int64_t ok = jxp_one(
			    jx_host, db,
			    "SELECT COUNT(*) FROM records_records WHERE id = ? "
			    "AND class_id = ? AND term = ? AND status = "
			    "'approved'",
			    "iis", rid, klass, term);

			if (ok != 1) {
				jx_host->problem_error(
				    req, 0, "record_ids",
				    jx_host->sprintf(
				        req,
				        en ? "record %lld is not an approved "
				             "record of the class and term"
				           : "记录 %lld "
				             "不是本班本学期已通过的记录",
				        (long long)rid));
				rc = ok < 0 ? 500 : 422;
				break;
			}
			if (jx_host->db_exec(
			        db,
			        "INSERT INTO records_publicity_items("
			        "publicity_id, record_id) VALUES (?, ?) ON "
			        "CONFLICT DO NOTHING",
			        "ii", id, rid) < 0) {
				rc = 500;
				break;
			}
			n++;
		}
	if (rc == 0 && n == 0) {
		jx_host->problem_error(req, 0, "record_ids",
		                       en ? "no approved records to publish"
		                          : "没有可公示的已通过记录");
		rc = 422;
	}
	if (rc == 0) {
		struct jx_message m = {
		    .size = sizeof(m),
		    .channel = REC_TIMER_CHANNEL,
		    .to = to,
		    .template_name = "records_publicity_end",
		    .not_before = now + (int64_t)days * 86400,
		    .ref = ref,
		};

		snprintf(to, sizeof(to), "%lld", (long long)id);
		snprintf(ref, sizeof(ref), "publicity:%lld", (long long)id);
		if (jx_host->send(db, &m) <= 0)
			rc = 500;
	}
	if (rc != 0) {
		jx_host->db_rollback(db);
		return rc == 422 ? jxp_invalid(jx_host, req, NULL)
		                 : jxp_storage_error(jx_host, req);
	}
	if (jx_host->db_commit(db) != 0 || rec_pub_load(db, id, &p) != 1)
		return jxp_storage_error(jx_host, req);
	return jx_host->reply_json(req, 201, rec_pub_json(req, db, &p, 1));
}

/* GET /api/v1/classes/{cid}/publicity: the class's 公示, newest first
 * (the open ones with their records, without private fields). */
int
route_publicity_get(jx_req *req, void *ud)
{
	int64_t klass = jx_host->req_param_id(req, "cid");
	jx_db *db = jx_host->req_db(req);
	cJSON *items;
	int64_t ids[20];
	int n = 0;
	jx_stmt *st;

	(void)ud;
	if (klass <= 0 || !jx_host->may(req, JX_SEE_CLASS, klass))
		return jxp_not_found(jx_host, req);
	if (rec_pub_expire(db, klass) != 0)
		return jxp_storage_error(jx_host, req);
	st =
	    jx_host->db_query(db,
	                      "SELECT id FROM records_publicity WHERE class_id "
	                      "= ? ORDER BY id DESC LIMIT 20",
	                      "i", klass);
	while (st != NULL && n < 20 && jx_host->db_step(st) == JX_DB_ROW)
		ids[n++] = jx_host->db_int(st, 0);
	jx_host->db_finish(st);
	if (st == NULL)
		return jxp_storage_error(jx_host, req);
	items = cJSON_CreateArray();
	for (int k = 0; k < n; k++) {
		struct rec_pub p;

		if (rec_pub_load(db, ids[k], &p) == 1)
			cJSON_AddItemToArray(
			    items, rec_pub_json(req, db, &p,
			                        strcmp(p.status, "open") == 0));
	}
	return jx_host->reply_json(req, 200, jxp_items(items, 1000, "id"));
}

/* Tells the school's admins of objection oid, in the app. 0 or -1. */
static int
rec_objection_notify(jx_db *db, const struct rec_pub *p, int64_t oid,
                     int64_t rid)
{
	cJSON *params = cJSON_CreateObject();
	char ref[40];
	jx_stmt *st;
	int rc;

	cJSON_AddNumberToObject(params, "objection_id", (double)oid);
	cJSON_AddNumberToObject(params, "publicity_id", (double)p->id);
	cJSON_AddNumberToObject(params, "record_id", (double)rid);
	cJSON_AddNumberToObject(params, "class_id", (double)p->klass);
	snprintf(ref, sizeof(ref), "publicity:%lld", (long long)p->id);
	st = jx_host->db_query(
	    db,
	    "SELECT DISTINCT a.person_id FROM identities i JOIN "
	    "host_accounts a ON a.id = i.account_id WHERE i.role = "
	    "'school_admin' AND i.school_id = ? AND i.status = 'active'",
	    "i", p->school);
	rc = rec_send_inapp(db, st, "record_objection", params, ref);
	cJSON_Delete(params);
	return rc;
}

/* POST /api/v1/publicity/{id}/objections {"record_id","text"} */
int
route_objection(jx_req *req, void *ud)
{
	int64_t id = jx_host->req_param_id(req, "id"), oid, rid;
	jx_db *db = jx_host->req_db(req);
	const struct jx_identity *i = jx_host->identity(req);
	struct rec_pub p;
	cJSON *body, *out;
	const cJSON *text, *rec;
	int en = strcmp(jx_host->req_lang(req), "en") == 0;

	(void)ud;
	if (id <= 0 || rec_pub_load(db, id, &p) != 1 ||
	    !jx_host->may(req, JX_SEE_CLASS, p.klass))
		return jxp_not_found(jx_host, req);
	body = jx_host->req_json(req);
	if (body == NULL)
		return jx_host->req_status(req);
	if (strcmp(p.status, "open") != 0 || p.ends_at <= jx_host->now())
		return jxp_conflict(
		    jx_host, req, en ? "The 公示 is closed." : "公示已结束。");
	rec = cJSON_GetObjectItem(body, "record_id");
	rid = rec_id_of(rec);
	if (rid <= 0 ||
	    jxp_one(jx_host, db,
	            "SELECT COUNT(*) FROM records_publicity_items WHERE "
	            "publicity_id = ? AND record_id = ?",
	            "ii", id, rid) != 1)
		jx_host->problem_error(req, 0, "record_id",
		                       en ? "not a record of this 公示"
		                          : "不是本次公示的记录");
	text = cJSON_GetObjectItem(body, "text");
	if (!cJSON_IsString(text) || text->valuestring[0] == '\0' ||
	    jxp_chars(text->valuestring) > 500)
		jx_host->problem_error(req, 0, "text",
		                       en ? "1 to 500 characters"
		                          : "应为 1 到 500 个字");
	if (jx_host->problem_count(req) > 0)
		return jxp_invalid(jx_host, req, NULL);
	oid = jx_host->db_insert(
	    db,
	    "INSERT INTO records_objections(publicity_id, record_id, "
	    "school_id, person_id, role, text, created_at) VALUES (?, ?, ?, ?, "
	    "?, ?, ?)",
	    "iiiissi", id, rid, p.school, i->person_id, i->role,
	    text->valuestring, jx_host->now());
	if (oid <= 0 || rec_objection_notify(db, &p, oid, rid) != 0)
		return jxp_storage_error(jx_host, req);
	out = cJSON_CreateObject();
	cJSON_AddNumberToObject(out, "id", (double)oid);
	cJSON_AddNumberToObject(out, "publicity_id", (double)id);
	cJSON_AddNumberToObject(out, "record_id", (double)rid);
	return jx_host->reply_json(req, 201, out);
}

/* GET /api/v1/schools/{sid}/records/objections (school admin) */
int
route_objections(jx_req *req, void *ud)
{
	int64_t school = jx_host->req_param_id(req, "sid"), limit, after;
	cJSON *rows;

	(void)ud;
	if (school <= 0 || !jx_host->may(req, JX_SEE_SCHOOL, school))
		return jxp_not_found(jx_host, req);
	if (!jxp_role(jx_host, req, "school_admin") ||
	    !jx_host->may(req, JX_MANAGE_SCHOOL, school))
		return jxp_forbidden(jx_host, req);
	jxp_page(jx_host, req, &limit, &after);
	rows = jx_host->db_rows(
	    jx_host->req_db(req),
	    "SELECT o.id, o.publicity_id, o.record_id, r.title AS "
	    "record_title, r.student_id, s.name AS student_name, p.class_id, "
	    "c.name AS class_name, p.term, o.person_id, pe.name AS "
	    "person_name, o.role, o.text, o.created_at FROM "
	    "records_objections o JOIN records_records r ON r.id = "
	    "o.record_id JOIN records_publicity p ON p.id = o.publicity_id "
	    "JOIN persons s ON s.id = r.student_id JOIN persons pe ON pe.id "
	    "= o.person_id LEFT JOIN classes c ON c.id = p.class_id WHERE "
	    "o.school_id = ? AND (? = 0 OR o.id < ?) ORDER BY o.id DESC "
	    "LIMIT ?",
	    "iiii", school, after, after, limit + 1);
	if (rows == NULL)
		return jxp_storage_error(jx_host, req);
	{
		cJSON *row;

		cJSON_ArrayForEach(row, rows)
		{
			cJSON *at = cJSON_GetObjectItem(row, "created_at");

			cJSON_ReplaceItemInObject(
			    row, "created_at",
			    jxp_time(jx_host, (int64_t)at->valuedouble));
		}
	}
	return jx_host->reply_json(req, 200, jxp_items(rows, limit, "id"));
}

/* POST /api/v1/publicity/{id}/close */
int
route_publicity_close(jx_req *req, void *ud)
{
	int64_t id = jx_host->req_param_id(req, "id");
	jx_db *db = jx_host->req_db(req);
	struct rec_pub p;

	(void)ud;
	if (id <= 0 || rec_pub_load(db, id, &p) != 1 ||
	    !jx_host->may(req, JX_SEE_CLASS, p.klass))
		return jxp_not_found(jx_host, req);
	if (!rec_may_publish(req, p.school, p.klass))
		return jxp_forbidden(jx_host, req);
	if (strcmp(p.status, "open") != 0)
		return jxp_conflict(jx_host, req,
		                    "The 公示 is already closed.");
	if (jx_host->db_begin(db) != 0)
		return jxp_storage_error(jx_host, req);
	if (rec_pub_close(db, &p) != 0) {
		jx_host->db_rollback(db);
		return jxp_storage_error(jx_host, req);
	}
	if (jx_host->db_commit(db) != 0 || rec_pub_load(db, id, &p) != 1)
		return jxp_storage_error(jx_host, req);
	return jx_host->reply_json(req, 200, rec_pub_json(req, db, &p, 0));
}

/* ---- the timer -------------------------------------------------------- */

static int
rec_timer(const char *to, const char *template_name, const cJSON *params,
          const char *key, char *err, size_t errlen, void *ud)
{
	(void)to;
	(void)template_name;
	(void)params;
	(void)key;
	(void)err;
	(void)errlen;
	(void)ud;
	return 0;
}

/* notify.result of the timer's row: the 公示's days are over. */
static int
rec_timer_result(jx_db *db, const char *event, const cJSON *payload, void *ud)
{
	const char *channel =
	    cJSON_GetStringValue(cJSON_GetObjectItem(payload, "channel"));
	const char *to =
	    cJSON_GetStringValue(cJSON_GetObjectItem(payload, "to"));
	struct rec_pub p;

	(void)event;
	(void)ud;
	if (channel == NULL || to == NULL ||
	    strcmp(channel, REC_TIMER_CHANNEL) != 0)
		return 0;
	if (rec_pub_load(db, atoll(to), &p) != 1 ||
	    strcmp(p.status, "open") != 0 || p.ends_at > jx_host->now())
		return 0;
	return rec_pub_close(db, &p);
}

int
rec_publicity_init(struct jx_registrar *reg)
{
	if (reg->channel(reg, REC_TIMER_CHANNEL, rec_timer, NULL) != 0 ||
	    reg->subscribe(reg, "notify.result", rec_timer_result, NULL) != 0)
		return -1;
	return 0;
}
