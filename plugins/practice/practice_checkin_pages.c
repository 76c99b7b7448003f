/*
 * practice_checkin_pages.c — the two check-in pages (issue 18), phone
 * first:
 *
 *   /practice/checkin?r=&e=&s=   where the scanned QR code lands (WeChat's
 *       scanner opens it in its browser; not logged in: the host sends
 *       the visitor to the login and back). The signature is checked
 *       before anything is read; a base admin of the activity's base or
 *       a teacher of the student's class sees the student and the
 *       activity and checks in with one button (a POST form with the CSRF
 *       token: opening a link never checks anyone in). A forged, changed
 *       or expired code, another person, or a code already used gets a
 *       page saying so, and nothing is checked in.
 *   /practice/activities/{id}/checkin   the staff's list: the confirmed
 *       registrations with name and class, a box each, one submit; all
 *       or nothing (one bad id: nothing checked in, the page names it).
 *       The same handlers answer /api/v1/... with JSON.
 */
#include "practice_checkin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the scan landing page ----------------------------------------- */

static const char *const scan_states[] = {
    [PRACTICE_CI_READY] = "ready",
    [PRACTICE_CI_DONE] = "used",
    [PRACTICE_CI_NOT_CONFIRMED] = "not_confirmed",
    [PRACTICE_CI_CANCELLED] = "cancelled",
    [PRACTICE_CI_EARLY] = "early",
    [PRACTICE_CI_LATE] = "late",
};

/* The page in state (a word of the template) with message key's text. */
static int
scan_reply(jx_req *req, int status, cJSON *d, const char *state,
           const char *message)
{
	cJSON_AddStringToObject(d, "state", state);
	cJSON_AddStringToObject(d, "message", message);
	return jx_host->reply_view(req, status, "practice/checkin", d);
}

static void
scan_describe(jx_req *req, cJSON *d, const struct practice_checkin_row *c)
{
	cJSON *s = cJSON_AddObjectToObject(d, "student");
	cJSON *a = cJSON_AddObjectToObject(d, "activity");

	cJSON_AddStringToObject(s, "name", c->student_name);
	cJSON_AddStringToObject(s, "school_name", c->school_name);
	cJSON_AddStringToObject(s, "class_name", c->class_name);
	cJSON_AddNumberToObject(a, "id", (double)c->activity);
	cJSON_AddStringToObject(a, "title", c->title);
	cJSON_AddStringToObject(a, "base_name", c->base_name);
	cJSON_AddStringToObject(a, "starts",
	                        practice_local_time(req, c->starts_at));
	cJSON_AddStringToObject(a, "ends",
	                        practice_local_time(req, c->ends_at));
	cJSON_AddNumberToObject(a, "hours", c->hours);
	if (c->checked_in_at > 0)
		cJSON_AddStringToObject(
		    d, "checked_in_at",
		    practice_local_time(req, c->checked_in_at));
}

/* GET (post 0) and POST (post 1) of /practice/checkin. */
static int
scan_page(jx_req *req, const char *r, const char *e, const char *s, int post)
{
	jx_db *db = jx_host->req_db(req);
	cJSON *d = cJSON_CreateObject();
	struct practice_checkin_row c;
	int64_t reg, expiry, now = jx_host->now();
	int rc, state, open = 0;
	const char *done = jx_host->req_query(req, "done");

	cJSON_AddStringToObject(d, "title",
	                        jx_host->t(req, "practice.checkin.title"));
	if (!practice_checkin_verify(r, e, s, &reg, &expiry))
		return scan_reply(req, 400, d, "invalid",
		                  jx_host->t(req, "practice.checkin.invalid"));
	if (expiry <= now)
		return scan_reply(req, 410, d, "expired",
		                  jx_host->t(req, "practice.checkin.expired"));
	if (post) {
		if (jx_host->db_begin(db) != 0)
			goto storage;
		open = 1;
	}
	rc = practice_checkin_load(req, db, reg, &c);
	if (rc < 0)
		goto storage;
	if (rc == 0) {
		if (open)
			jx_host->db_rollback(db);
		return scan_reply(req, 404, d, "invalid",
		                  jx_host->t(req, "practice.checkin.invalid"));
	}
	if (!practice_checkin_may(req, db, &c)) {
		if (open)
			jx_host->db_rollback(db);
		return scan_reply(
		    req, 403, d, "forbidden",
		    jx_host->t(req, "practice.checkin.not_staff"));
	}
	state = practice_checkin_state(&c, now);
	if (post && state == PRACTICE_CI_READY) {
		rc = practice_checkin_apply(req, db, &c);
		if (rc < 0)
			goto storage;
		if (rc == 0) {
			cJSON_Delete(d);
			if (jx_host->db_commit(db) != 0)
				return jxp_storage_error(jx_host, req);
			return jx_host->reply_redirect(
			    req, jx_host->sprintf(
			             req,
			             "/practice/checkin?r=%lld&e=%lld&s=%s"
			             "&done=1",
			             (long long)reg, (long long)expiry, s));
		}
		state = rc;
	}
	if (open)
		jx_host->db_rollback(db);
	scan_describe(req, d, &c);
	if (state == PRACTICE_CI_READY) {
		cJSON_AddStringToObject(d, "r", r);
		cJSON_AddStringToObject(d, "e", e);
		cJSON_AddStringToObject(d, "s", s);
	}
	/* back from this page's own POST: the check-in the reader made */
	if (state == PRACTICE_CI_DONE && done != NULL && !post &&
	    jx_host->identity(req) != NULL &&
	    c.checked_in_by == jx_host->identity(req)->person_id)
		return scan_reply(req, 200, d, "done",
		                  jx_host->t(req, "practice.checkin.done"));
	return scan_reply(req, state == PRACTICE_CI_READY ? 200 : 409, d,
	                  scan_states[state],
	                  jx_host->t(req, practice_checkin_state_key(state)));
storage:
	cJSON_Delete(d);
	if (open)
		jx_host->db_rollback(db);
	return jxp_storage_error(jx_host, req);
}

int
practice_scan_get(jx_req *req, void *ud)
{
	(void)ud;
	return scan_page(req, jx_host->req_query(req, "r"),
	                 jx_host->req_query(req, "e"),
	                 jx_host->req_query(req, "s"), 0);
}

int
practice_scan_post(jx_req *req, void *ud)
{
	(void)ud;
	return scan_page(req, jx_host->req_form(req, "r"),
	                 jx_host->req_form(req, "e"),
	                 jx_host->req_form(req, "s"), 1);
}

/* ---- the staff's list ---------------------------------------------- */

/* The list page's data (the API's reply too). error: the message of a
 * refused submit, or NULL. */
static cJSON *
list_data(jx_req *req, jx_db *db, const struct practice_activity_head *a,
          const char *error)
{
	cJSON *d = cJSON_CreateObject(), *o, *items;
	int64_t now = jx_host->now();
	int confirmed = 0, checked = 0, boxes = 0;
	const cJSON *it;
	const char *done = jx_host->req_query(req, "done");

	cJSON_AddStringToObject(d, "title",
	                        jx_host->t(req, "practice.checkin_list.title"));
	cJSON_AddStringToObject(d, "back",
	                        jx_host->sprintf(req,
	                                         "/practice/activities/%lld",
	                                         (long long)a->id));
	o = cJSON_AddObjectToObject(d, "activity");
	cJSON_AddNumberToObject(o, "id", (double)a->id);
	cJSON_AddStringToObject(o, "title", a->title);
	cJSON_AddStringToObject(o, "base_name", a->base_name);
	cJSON_AddStringToObject(o, "status", a->status);
	cJSON_AddItemToObject(o, "starts_at", jxp_time(jx_host, a->starts_at));
	cJSON_AddItemToObject(o, "ends_at", jxp_time(jx_host, a->ends_at));
	cJSON_AddStringToObject(o, "starts",
	                        practice_local_time(req, a->starts_at));
	cJSON_AddNumberToObject(o, "hours", a->hours);
	items = practice_attendance(req, db, a);
	if (items == NULL)
		items = cJSON_CreateArray();
	cJSON_ArrayForEach(it, items)
	{
		const char *st =
		    cJSON_GetStringValue(cJSON_GetObjectItem(it, "status"));

		if (st != NULL && strcmp(st, "checked_in") == 0)
			checked++;
		else
			confirmed++;
		if (cJSON_IsTrue(cJSON_GetObjectItem(it, "can_check_in")))
			boxes++;
	}
	cJSON_AddItemToObject(d, "items", items);
	cJSON_AddNumberToObject(d, "confirmed", confirmed);
	cJSON_AddNumberToObject(d, "checked_in", checked);
	cJSON_AddBoolToObject(d, "can_check_in", boxes > 0);
	cJSON_AddBoolToObject(d, "xlsx", a->manager);
	if (now < a->starts_at - PRACTICE_CHECKIN_EARLY)
		cJSON_AddStringToObject(
		    d, "window",
		    jx_host->t(req, "practice.checkin.state.early"));
	else if (now > a->ends_at + PRACTICE_CHECKIN_LATE)
		cJSON_AddStringToObject(
		    d, "window",
		    jx_host->t(req, "practice.checkin.state.late"));
	if (error != NULL)
		cJSON_AddStringToObject(d, "error", error);
	if (done != NULL && atoi(done) > 0 && error == NULL)
		cJSON_AddStringToObject(
		    d, "done",
		    jxp_fill(jx_host, req,
		             jx_host->t(req, "practice.checkin_list.done"), "n",
		             done));
	return d;
}

/* GET /practice/activities/{id}/checkin and its API face. */
int
practice_list_get(jx_req *req, void *ud)
{
	int64_t id = jx_host->req_param_id(req, "id");
	jx_db *db = jx_host->req_db(req);
	struct practice_activity_head a;
	int rc;

	(void)ud;
	rc = practice_activity_head(req, db, id, &a);
	if (rc < 0)
		return jxp_storage_error(jx_host, req);
	if (rc == 0)
		return jxp_not_found(jx_host, req);
	return jx_host->reply_view(req, 200, "practice/checkin_list",
	                           list_data(req, db, &a, NULL));
}

static const struct jx_field list_fields[] = {
    {"registration_ids", JX_FIELD_INT_ARRAY, 0, 0, 500},
    {NULL, 0, 0, 0, 0},
};

/* Refuses the whole submit, naming the registration at fault: 422, the
 * page with the message, or problem+json with field registration_ids. */
static int
list_refuse(jx_req *req, jx_db *db, const struct practice_activity_head *a,
            const char *message)
{
	jx_host->db_rollback(db);
	if (!jx_host->req_is_api(req))
		return jx_host->reply_view(req, 422, "practice/checkin_list",
		                           list_data(req, db, a, message));
	jx_host->problem_error(req, 0, "registration_ids", message);
	return jxp_invalid(jx_host, req, message);
}

/*
 * POST /practice/activities/{id}/checkin (a form: registration_ids
 * repeated) and POST /api/v1/practice/activities/{id}/checkin
 * ({"registration_ids":[...]}): checks them all in, or none. The API
 * answers 200 {"checked_in": n, "items": [registration...]}; the page
 * goes back to the list with ?done=n.
 */
int
practice_list_post(jx_req *req, void *ud)
{
	int64_t id = jx_host->req_param_id(req, "id");
	jx_db *db = jx_host->req_db(req);
	struct practice_activity_head a;
	const cJSON *ids, *v;
	cJSON *in, *done;
	int rc, n = 0;

	(void)ud;
	rc = practice_activity_head(req, db, id, &a);
	if (rc < 0)
		return jxp_storage_error(jx_host, req);
	if (rc == 0)
		return jxp_not_found(jx_host, req);
	if (!a.badmin && !a.teacher)
		return jx_host->reply_problem(
		    req, 403, "forbidden", jx_host->t(req, "error.403"),
		    jx_host->t(req, "practice.checkin.not_staff"));
	in = jx_host->req_fields(req, list_fields);
	if (in == NULL)
		return jx_host->req_status(req)
		           ? jx_host->req_status(req)
		           : jxp_invalid(jx_host, req, NULL);
	ids = cJSON_GetObjectItem(in, "registration_ids");
	if (cJSON_GetArraySize(ids) == 0) {
		if (!jx_host->req_is_api(req))
			return jx_host->reply_view(
			    req, 422, "practice/checkin_list",
			    list_data(
			        req, db, &a,
			        jx_host->t(req, "practice.checkin_list.none")));
		jx_host->problem_error(
		    req, 0, "registration_ids",
		    jx_host->t(req, "practice.checkin_list.none"));
		return jxp_invalid(jx_host, req, NULL);
	}
	if (jx_host->db_begin(db) != 0)
		return jxp_storage_error(jx_host, req);
	done = cJSON_CreateArray();
	cJSON_ArrayForEach(v, ids)
	{
		struct practice_checkin_row c;
		int64_t rid = (int64_t)v->valuedouble;
		const char *why = NULL;
		int twice = 0;

		/* a box sent twice is one check-in (at most 500 ids) */
		for (const cJSON *u = ids->child; u != v && !twice; u = u->next)
			twice = (int64_t)u->valuedouble == rid;
		if (twice)
			continue;
		rc = practice_checkin_load(req, db, rid, &c);
		if (rc < 0)
			goto storage;
		if (rc == 0 || c.activity != a.id ||
		    !practice_checkin_sees(req, db, &c))
			why = jx_host->t(req, "practice.checkin_list.unknown");
		else if (!practice_checkin_may(req, db, &c))
			why = jx_host->t(req, "practice.checkin.not_staff");
		else if ((rc = practice_checkin_apply(req, db, &c)) < 0)
			goto storage;
		else if (rc > 0)
			why = jx_host->t(req, practice_checkin_state_key(rc));
		if (why != NULL) {
			const char *who =
			    rc == 0 || c.activity != a.id
			        ? jx_host->sprintf(req, "%lld", (long long)rid)
			        : jx_host->sprintf(req, "%s（%lld）",
			                           c.student_name,
			                           (long long)rid);

			cJSON_Delete(done);
			return list_refuse(
			    req, db, &a,
			    jxp_fill(
			        jx_host, req,
			        jxp_fill(
			            jx_host, req,
			            jx_host->t(req,
			                       "practice.checkin_list.refused"),
			            "who", who),
			        "why", why));
		}
		cJSON_AddItemToArray(done, practice_checkin_json(req, &c));
		n++;
	}
	if (jx_host->db_commit(db) != 0) {
		cJSON_Delete(done);
		return jxp_storage_error(jx_host, req);
	}
	if (!jx_host->req_is_api(req)) {
		cJSON_Delete(done);
		return jx_host->reply_redirect(
		    req, jx_host->sprintf(
		             req, "/practice/activities/%lld/checkin?done=%d",
		             (long long)a.id, n));
	}
	in = cJSON_CreateObject();
	cJSON_AddNumberToObject(in, "checked_in", n);
	cJSON_AddItemToObject(in, "items", done);
	return jx_host->reply_json(req, 200, in);
storage:
	cJSON_Delete(done);
	jx_host->db_rollback(db);
	return jxp_storage_error(jx_host, req);
}
