/*
 * records_review.c — review: the acting reviewer's queue (a head
 * teacher: the submitted records of the classes they head; a school
 * admin: the school's), approve or reject with a comment, the batch
 * approval (all or nothing), the family's notifications, and the home
 * page's count for reviewers.
 */
#include "records.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
rec_may_review(jx_req *req, const struct rec_row *r)
{
	const struct jx_identity *i = jx_host->identity(req);

	if (i == NULL)
		return 0;
	if (strcmp(i->role, "school_admin") == 0)
		return i->school_id == r->school &&
		       jx_host->may(req, JX_MANAGE_SCHOOL, r->school);
	if (strcmp(i->role, "teacher") == 0 && i->school_id == r->school)
		for (int k = 0; k < i->nhead_of_class_ids; k++)
			if (i->head_of_class_ids[k] == r->klass && r->klass > 0)
				return 1;
	return 0;
}

/* The queue's condition for the acting identity at school: SQL over
 * records_records with the class list inlined (ids are integers). NULL
 * when the identity reviews nothing there. */
static const char *
rec_queue_where(jx_req *req, int64_t school)
{
	const struct jx_identity *i = jx_host->identity(req);
	char *list;
	size_t len = 0, cap;

	if (i == NULL || i->school_id != school)
		return NULL;
	if (strcmp(i->role, "school_admin") == 0)
		return "1 = 1";
	if (strcmp(i->role, "teacher") != 0 || i->nhead_of_class_ids == 0)
		return NULL;
	cap = (size_t)i->nhead_of_class_ids * 24 + 32;
	list = jx_host->alloc(req, cap);
	len += (size_t)snprintf(list + len, cap - len, "class_id IN (");
	for (int k = 0; k < i->nhead_of_class_ids; k++)
		len += (size_t)snprintf(list + len, cap - len, "%s%lld",
		                        k ? "," : "",
		                        (long long)i->head_of_class_ids[k]);
	snprintf(list + len, cap - len, ")");
	return list;
}

int64_t
rec_pending_count(jx_req *req, void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);
	const char *where;

	(void)ud;
	if (i == NULL)
		return -1;
	where = rec_queue_where(req, i->school_id);
	if (where == NULL)
		return -1;
	return jxp_one(
	    jx_host, jx_host->req_db(req),
	    jx_host->sprintf(req,
	                     "SELECT COUNT(*) FROM records_records WHERE "
	                     "school_id = ? AND status = 'submitted' AND %s",
	                     where),
	    "i", i->school_id);
}

/*
 * roster.student_changed (a move to another class, a transfer to
 * another school, a return): the student's records still on their way
 * (draft, submitted, rejected) follow the student, so that the new
 * class's head teacher reviews them and the old one's queue lets them
 * go; approved and archived records keep the class and school they were
 * approved in. Runs in the roster's transaction: a failure rolls the
 * move back.
 */
int
rec_on_student_changed(jx_db *db, const char *event, const cJSON *payload,
                       void *ud)
{
	int64_t student = (int64_t)cJSON_GetNumberValue(
	    cJSON_GetObjectItemCaseSensitive(payload, "student_id"));
	jx_stmt *st;
	int64_t school = 0, klass = 0, district = 0;
	int in_school = 0;

	(void)event;
	(void)ud;
	if (student <= 0)
		return 0;
	st = jx_host->db_query(
	    db,
	    "SELECT s.school_id, coalesce(s.class_id, 0), s.status = "
	    "'in_school', sc.district_id FROM students s JOIN schools sc ON "
	    "sc.id = s.school_id WHERE s.person_id = ?",
	    "i", student);
	if (st == NULL)
		return -1;
	if (jx_host->db_step(st) == JX_DB_ROW) {
		school = jx_host->db_int(st, 0);
		klass = jx_host->db_int(st, 1);
		in_school = jx_host->db_int(st, 2) != 0;
		district = jx_host->db_int(st, 3);
	}
	jx_host->db_finish(st);
	if (!in_school || klass <= 0)
		return 0;
	return jx_host->db_exec(
	           db,
	           "UPDATE records_records SET school_id = ?, class_id = ?, "
	           "district_id = ? WHERE student_id = ? AND status IN "
	           "('draft', 'submitted', 'rejected') AND (school_id <> ? OR "
	           "class_id <> ?)",
	           "iiiiii", school, klass, district, student, school,
	           klass) < 0
	           ? -1
	           : 0;
}

int
route_pending(jx_req *req, void *ud)
{
	int64_t school = jx_host->req_param_id(req, "sid"), limit, after;
	jx_db *db = jx_host->req_db(req);
	const char *where, *klass = jx_host->req_query(req, "class_id");
	int64_t cid = klass ? atoll(klass) : 0;
	cJSON *items;
	jx_stmt *st;
	int64_t ids[501];
	int n = 0;

	(void)ud;
	if (school <= 0 || !jx_host->may(req, JX_SEE_SCHOOL, school))
		return jxp_not_found(jx_host, req);
	where = rec_queue_where(req, school);
	if (where == NULL)
		return jxp_forbidden(jx_host, req);
	jxp_page(jx_host, req, &limit, &after);
	/* oldest first: the queue is worked from its head */
	st = jx_host->db_query(
	    db,
	    jx_host->sprintf(req,
	                     "SELECT id FROM records_records WHERE school_id "
	                     "= ? AND status = 'submitted' AND %s AND id > ? "
	                     "AND (? = 0 OR class_id = ?) ORDER BY id LIMIT ?",
	                     where),
	    "iiiii", school, after, cid, cid, limit + 1);
	if (st == NULL)
		return jxp_storage_error(jx_host, req);
	while (n < 501 && jx_host->db_step(st) == JX_DB_ROW)
		ids[n++] = jx_host->db_int(st, 0);
	jx_host->db_finish(st);
	items = cJSON_CreateArray();
	for (int k = 0; k < n; k++) {
		struct rec_row r;
		cJSON *o;
		jx_stmt *c;

		if (rec_load(req, db, ids[k], &r) != 1)
			continue;
		o = rec_json(req, db, &r, 0);
		c = jx_host->db_query(
		    db, "SELECT name FROM classes WHERE id = ?", "i", r.klass);
		if (c != NULL && jx_host->db_step(c) == JX_DB_ROW)
			cJSON_AddStringToObject(o, "class_name",
			                        jx_host->db_text(c, 0));
		jx_host->db_finish(c);
		cJSON_AddItemToArray(items, o);
	}
	return jx_host->reply_json(req, 200, jxp_items(items, limit, "id"));
}

/*
 * Applies decision to record id in the open transaction: 0, or the
 * status to reply after adding the problem (404, 403, 409, 422 with
 * field "ids" naming the record when batch).
 */
static int
rec_decide(jx_req *req, jx_db *db, int64_t id, int approve, const char *comment,
           int batch)
{
	struct rec_row r;
	int rc = rec_load(req, db, id, &r), open;
	const char *field = batch ? "ids" : NULL;
	int en = strcmp(jx_host->req_lang(req), "en") == 0;

	if (rc < 0)
		return 500;
	if (rc == 0 || !jx_host->may(req, JX_SEE_STUDENT, r.student) ||
	    strcmp(r.status, "draft") == 0) {
		if (batch) {
			jx_host->problem_error(
			    req, 0, field,
			    jx_host->sprintf(req,
			                     en ? "record %lld: not found"
			                        : "记录 %lld 不存在",
			                     (long long)id));
			return 422;
		}
		return 404;
	}
	if (!rec_may_review(req, &r)) {
		if (batch) {
			jx_host->problem_error(
			    req, 0, field,
			    jx_host->sprintf(
			        req,
			        en ? "record %lld: not yours to review"
			           : "记录 %lld 不由您审核",
			        (long long)id));
			return 422;
		}
		return 403;
	}
	if (strcmp(r.status, "submitted") != 0) {
		jx_host->problem_error(
		    req, 0, field ? field : "status",
		    jx_host->sprintf(req,
		                     en ? "record %lld is %s, not submitted"
		                        : "记录 %lld 的状态是 %s，不是待审核",
		                     (long long)id, r.status));
		return batch ? 422 : 409;
	}
	open = rec_term_open(db, r.district, r.school, r.term);
	if (open < 0)
		return 500;
	if (!open) {
		jx_host->problem_error(
		    req, 0, batch ? field : "term",
		    jx_host->sprintf(req,
		                     en ? "record %lld: term %s is closed"
		                        : "记录 %lld：%s 学期已关闭",
		                     (long long)id, r.term));
		return 422;
	}
	if (jx_host->db_exec(db,
	                     "UPDATE records_records SET status = ?, "
	                     "review_comment = ?, reviewed_by = ?, "
	                     "reviewed_at = ?, updated_at = ? WHERE id = ? "
	                     "AND status = 'submitted'",
	                     "ssiiii", approve ? "approved" : "rejected",
	                     comment, jx_host->identity(req)->person_id,
	                     jx_host->now(), jx_host->now(), id) != 1)
		return 500;
	r.status = approve ? "approved" : "rejected";
	if (rec_notify_family(db, &r,
	                      approve ? "record_approved" : "record_rejected",
	                      comment) != 0)
		return 500;
	return 0;
}

static int
rec_reply_decide(jx_req *req, int rc)
{
	switch (rc) {
	case 404: return jxp_not_found(jx_host, req);
	case 403: return jxp_forbidden(jx_host, req);
	case 409:
		return jxp_conflict(jx_host, req,
		                    "The record is not waiting for review.");
	case 422: return jxp_invalid(jx_host, req, NULL);
	}
	return jxp_storage_error(jx_host, req);
}

/* {"decision","comment"?}: 1 approve, 0 reject, -1 after adding the
 * problem. */
static int
rec_decision(jx_req *req, const cJSON *body, const char **comment)
{
	const char *d =
	    cJSON_GetStringValue(cJSON_GetObjectItem(body, "decision"));
	const cJSON *c = cJSON_GetObjectItem(body, "comment");
	int en = strcmp(jx_host->req_lang(req), "en") == 0;

	*comment =
	    cJSON_IsString(c) && c->valuestring[0] ? c->valuestring : NULL;
	if (*comment != NULL && jxp_chars(*comment) > 500) {
		jx_host->problem_error(req, 0, "comment",
		                       en ? "at most 500 characters"
		                          : "最多 500 个字");
		return -1;
	}
	if (d != NULL && strcmp(d, "approve") == 0)
		return 1;
	if (d != NULL && strcmp(d, "reject") == 0) {
		if (*comment == NULL) {
			jx_host->problem_error(
			    req, 0, "comment",
			    en ? "a rejection needs a comment"
			       : "退回时必须填写意见");
			return -1;
		}
		return 0;
	}
	jx_host->problem_error(req, 0, "decision",
	                       en ? "must be approve or reject"
	                          : "应为 approve 或 reject");
	return -1;
}

int
route_review(jx_req *req, void *ud)
{
	int64_t id = jx_host->req_param_id(req, "id");
	jx_db *db = jx_host->req_db(req);
	const char *comment;
	cJSON *body;
	struct rec_row r;
	int approve, rc;

	(void)ud;
	if (id <= 0)
		return jxp_not_found(jx_host, req);
	body = jx_host->req_json(req);
	if (body == NULL)
		return jx_host->req_status(req);
	approve = rec_decision(req, body, &comment);
	if (approve < 0)
		return jxp_invalid(jx_host, req, NULL);
	if (jx_host->db_begin(db) != 0)
		return jxp_storage_error(jx_host, req);
	rc = rec_decide(req, db, id, approve, comment, 0);
	if (rc != 0) {
		jx_host->db_rollback(db);
		return rec_reply_decide(req, rc);
	}
	if (jx_host->db_commit(db) != 0)
		return jxp_storage_error(jx_host, req);
	if (rec_load(req, db, id, &r) != 1)
		return jxp_storage_error(jx_host, req);
	return jx_host->reply_json(req, 200, rec_json(req, db, &r, 0));
}

int
route_review_batch(jx_req *req, void *ud)
{
	jx_db *db = jx_host->req_db(req);
	const char *comment;
	const cJSON *ids, *e;
	cJSON *body, *out;
	int approve, rc = 0, n;

	(void)ud;
	body = jx_host->req_json(req);
	if (body == NULL)
		return jx_host->req_status(req);
	approve = rec_decision(req, body, &comment);
	ids = cJSON_GetObjectItem(body, "ids");
	n = cJSON_GetArraySize(ids);
	if (!cJSON_IsArray(ids) || n < 1 || n > REC_BATCH_MAX) {
		jx_host->problem_error(req, 0, "ids",
		                       "1 to 200 record ids are needed");
		return jxp_invalid(jx_host, req, NULL);
	}
	if (approve < 0)
		return jxp_invalid(jx_host, req, NULL);
	cJSON_ArrayForEach(e, ids)
	{
		if (rec_id_of(e) == 0) {
			jx_host->problem_error(
			    req, 0, "ids", "record ids are positive integers");
			return jxp_invalid(jx_host, req, NULL);
		}
	}
	if (jx_host->db_begin(db) != 0)
		return jxp_storage_error(jx_host, req);
	n = 0;
	cJSON_ArrayForEach(e, ids)
	{
		const cJSON *prev;
		int twice = 0;

		/* an id listed twice is decided once */
		for (prev = ids->child; prev != e; prev = prev->next)
			if (rec_id_of(prev) == rec_id_of(e))
				twice = 1;
		if (twice)
			continue;
		n++;
		rc = rec_decide(req, db, rec_id_of(e), approve, comment, 1);
		if (rc != 0)
			break;
	}
	if (rc != 0) {
		jx_host->db_rollback(db);
		return rec_reply_decide(req, rc);
	}
	if (jx_host->db_commit(db) != 0)
		return jxp_storage_error(jx_host, req);
	out = cJSON_CreateObject();
	cJSON_AddNumberToObject(out, "reviewed", n);
	cJSON_AddStringToObject(out, "decision",
	                        approve ? "approve" : "reject");
	return jx_host->reply_json(req, 200, out);
}
