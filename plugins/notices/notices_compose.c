/*
 * notices_compose.c — POST /api/v1/notices (and the compose page's form,
 * and the live recipient count of POST /api/v1/notices/preview):
 * checks the draft, resolves the audience to persons and queues the
 * first delivery, all in one transaction.
 *
 * Audience (API.md): the sender's school is the acting identity's;
 * class_ids and grades together are their union, neither is the whole
 * school; roles filter: parents are the guardians of the in-school
 * students of those classes, students those students, teachers those
 * who teach those classes (the whole school: every teacher of it).
 * Recipients are distinct persons.
 *
 * Who sends: school admins send both kinds to any audience of their
 * school; teachers send homework to classes they teach only, and no
 * school notices (a school notice speaks for the school: its admins send
 * it). Everyone else gets 403.
 */
#include "notices.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NOTICES_MAX_CLASSES 500

enum { ROLE_PARENT = 1, ROLE_TEACHER = 2, ROLE_STUDENT = 4 };

/* A checked draft. Strings are arena memory or the request's body. */
struct draft {
	const char *kind, *title, *body;
	int urgent;
	int confirm;        /* requires_confirmation */
	const cJSON *files; /* attachments: checked ids, or NULL */
	int64_t deadline;   /* 0: none */
	int roles;
	int whole_school;
	int64_t classes[NOTICES_MAX_CLASSES];
	int nclasses;
	cJSON *audience; /* normalised, owned */
	/* the outcome: 0, or the status with detail and errors */
	int status;
	const char *detail;
	cJSON *errors; /* [{field, message}], owned */
};

static void
draft_error(struct draft *d, const char *field, const char *message)
{
	cJSON *e = cJSON_CreateObject();

	if (d->errors == NULL)
		d->errors = cJSON_CreateArray();
	cJSON_AddStringToObject(e, "field", field);
	cJSON_AddStringToObject(e, "message", message);
	cJSON_AddItemToArray(d->errors, e);
	if (d->status == 0)
		d->status = 422;
}

static size_t
draft_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* A trimmed string member of 1..max characters, or NULL (error added). */
static const char *
draft_string(jx_req *req, struct draft *d, const cJSON *body, const char *name,
             size_t max)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, name);
	const char *s, *e;
	char *out;

	if (!cJSON_IsString(v)) {
		draft_error(
		    d, name,
		    jx_host->sprintf(req, "%s is required (text)", name));
		return NULL;
	}
	for (s = v->valuestring;
	     *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'; s++)
		;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
	                 e[-1] == '\r'))
		e--;
	out = jx_host->alloc(req, (size_t)(e - s) + 1);
	memcpy(out, s, (size_t)(e - s));
	out[e - s] = '\0';
	if (*out == '\0' || draft_chars(out) > max) {
		draft_error(d, name,
		            jx_host->sprintf(req,
		                             "%s must have 1 to %zu characters",
		                             name, max));
		return NULL;
	}
	return out;
}

static int
draft_has_class(const struct draft *d, int64_t id)
{
	for (int i = 0; i < d->nclasses; i++)
		if (d->classes[i] == id)
			return 1;
	return 0;
}

static void
draft_add_class(struct draft *d, int64_t id)
{
	if (!draft_has_class(d, id) && d->nclasses < NOTICES_MAX_CLASSES)
		d->classes[d->nclasses++] = id;
}

/* audience: class_ids, grades, roles → d (classes of the school only). */
static void
draft_audience(jx_req *req, jx_db *db, struct draft *d, int64_t school,
               const cJSON *a)
{
	const cJSON *ids = cJSON_GetObjectItemCaseSensitive(a, "class_ids");
	const cJSON *grades = cJSON_GetObjectItemCaseSensitive(a, "grades");
	const cJSON *roles = cJSON_GetObjectItemCaseSensitive(a, "roles");
	cJSON *nids, *ngrades, *nroles;
	const cJSON *v;

	if (!cJSON_IsObject(a)) {
		draft_error(d, "audience",
		            "audience is required: {class_ids?, grades?, "
		            "roles}");
		return;
	}
	d->audience = cJSON_CreateObject();
	nids = cJSON_AddArrayToObject(d->audience, "class_ids");
	ngrades = cJSON_AddArrayToObject(d->audience, "grades");
	nroles = cJSON_AddArrayToObject(d->audience, "roles");
	if (ids != NULL && !cJSON_IsNull(ids) && !cJSON_IsArray(ids))
		draft_error(d, "audience.class_ids",
		            "class_ids must be a list of class ids");
	cJSON_ArrayForEach(v, (cJSON_IsArray(ids) ? ids : NULL))
	{
		int64_t id = cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;

		if (id <= 0 || jxp_one(jx_host, db,
		                       "SELECT 1 FROM classes WHERE id = "
		                       "? AND school_id = ?",
		                       "ii", id, school) != 1) {
			draft_error(d, "audience.class_ids",
			            jx_host->sprintf(
			                req, "no class %s in your school",
			                cJSON_IsNumber(v)
			                    ? jx_host->sprintf(req, "%.0f",
			                                       v->valuedouble)
			                    : "(not an id)"));
			continue;
		}
		if (!draft_has_class(d, id))
			cJSON_AddItemToArray(nids,
			                     cJSON_CreateNumber((double)id));
		draft_add_class(d, id);
	}
	if (grades != NULL && !cJSON_IsNull(grades) && !cJSON_IsArray(grades))
		draft_error(d, "audience.grades",
		            "grades must be a list of grades 1 to 12");
	cJSON_ArrayForEach(v, (cJSON_IsArray(grades) ? grades : NULL))
	{
		int g = cJSON_IsNumber(v) ? v->valueint : 0;
		jx_stmt *st;

		if (g < 1 || g > 12) {
			draft_error(d, "audience.grades",
			            "grades must be 1 to 12");
			continue;
		}
		cJSON_AddItemToArray(ngrades, cJSON_CreateNumber(g));
		st = jx_host->db_query(
		    db,
		    "SELECT id FROM classes WHERE school_id = ? "
		    "AND grade = ? ORDER BY id",
		    "ii", school, (int64_t)g);
		while (st != NULL && jx_host->db_step(st) == JX_DB_ROW)
			draft_add_class(d, jx_host->db_int(st, 0));
		jx_host->db_finish(st);
	}
	d->whole_school =
	    cJSON_GetArraySize(nids) == 0 && cJSON_GetArraySize(ngrades) == 0;
	if (!cJSON_IsArray(roles) || cJSON_GetArraySize(roles) == 0) {
		draft_error(d, "audience.roles",
		            "roles is required: one or more of parent, "
		            "teacher, student");
		return;
	}
	cJSON_ArrayForEach(v, roles)
	{
		const char *r = cJSON_IsString(v) ? v->valuestring : "";
		int bit = strcmp(r, "parent") == 0    ? ROLE_PARENT
		          : strcmp(r, "teacher") == 0 ? ROLE_TEACHER
		          : strcmp(r, "student") == 0 ? ROLE_STUDENT
		                                      : 0;

		if (bit == 0) {
			draft_error(d, "audience.roles",
			            "roles are parent, teacher and student");
			continue;
		}
		if (!(d->roles & bit))
			cJSON_AddItemToArray(nroles, cJSON_CreateString(r));
		d->roles |= bit;
	}
}

/* attachments: a list of at most NOTICES_FILES_MAX file ids (POST
 * /api/v1/files gave them); whose they are is checked when they are
 * attached (compose_store). */
static void
draft_files(jx_req *req, struct draft *d, const cJSON *files)
{
	const cJSON *v;

	if (files == NULL || cJSON_IsNull(files))
		return;
	if (!cJSON_IsArray(files)) {
		draft_error(d, "attachments",
		            "attachments is a list of file ids");
		return;
	}
	if (cJSON_GetArraySize(files) > NOTICES_FILES_MAX) {
		draft_error(d, "attachments",
		            jx_host->sprintf(req,
		                             "a notice carries at most %d "
		                             "attachments",
		                             NOTICES_FILES_MAX));
		return;
	}
	cJSON_ArrayForEach(v, files)
	{
		if (!cJSON_IsNumber(v) || v->valuedouble < 1 ||
		    v->valuedouble > 9007199254740991.0 ||
		    v->valuedouble != (double)(int64_t)v->valuedouble) {
			draft_error(d, "attachments",
			            "attachments is a list of file ids "
			            "(from POST /api/v1/files)");
			return;
		}
	}
	d->files = files;
}

/* Checks a draft for the acting identity. preview: only what the count
 * needs (kind and audience). Sets d->status (0 when good). */
static void
draft_check(jx_req *req, jx_db *db, struct draft *d, const cJSON *body,
            int preview)
{
	const struct jx_identity *i = jx_host->identity(req);
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(body, "kind");
	const cJSON *urgent = cJSON_GetObjectItemCaseSensitive(body, "urgent");
	const cJSON *deadline =
	    cJSON_GetObjectItemCaseSensitive(body, "deadline");
	const cJSON *confirm =
	    cJSON_GetObjectItemCaseSensitive(body, "requires_confirmation");
	const cJSON *files =
	    cJSON_GetObjectItemCaseSensitive(body, "attachments");
	int teacher = jxp_role(jx_host, req, "teacher");

	if (i == NULL || i->school_id <= 0 ||
	    !jxp_role(jx_host, req, "school_admin,teacher")) {
		d->status = 403;
		d->detail = "Only a school's administrators and teachers "
		            "send notices.";
		return;
	}
	if (cJSON_IsString(kind) &&
	    (strcmp(kind->valuestring, "school") == 0 ||
	     strcmp(kind->valuestring, "homework") == 0))
		d->kind = kind->valuestring;
	else if (preview && kind == NULL)
		d->kind = teacher ? "homework" : "school";
	else
		draft_error(d, "kind", "kind is school or homework");
	if (!preview) {
		d->title =
		    draft_string(req, d, body, "title", NOTICES_TITLE_MAX);
		d->body = draft_string(req, d, body, "body", NOTICES_BODY_MAX);
		if (urgent != NULL && !cJSON_IsNull(urgent) &&
		    !cJSON_IsBool(urgent))
			draft_error(d, "urgent", "urgent is true or false");
		d->urgent = cJSON_IsTrue(urgent);
		if (confirm != NULL && !cJSON_IsNull(confirm) &&
		    !cJSON_IsBool(confirm))
			draft_error(d, "requires_confirmation",
			            "requires_confirmation is true or false");
		d->confirm = cJSON_IsTrue(confirm);
		draft_files(req, d, files);
		if (deadline != NULL && !cJSON_IsNull(deadline) &&
		    !(cJSON_IsString(deadline) &&
		      deadline->valuestring[0] == '\0')) {
			d->deadline =
			    cJSON_IsString(deadline)
			        ? jxp_parse_time(deadline->valuestring)
			        : -1;
			if (d->deadline < 0) {
				d->deadline = 0;
				draft_error(d, "deadline",
				            "deadline is a time like "
				            "2026-12-01T18:00:00+08:00");
			} else if (d->deadline <= jx_host->now()) {
				d->deadline = 0;
				draft_error(d, "deadline",
				            "deadline must be in the future");
			}
		}
	}
	draft_audience(req, db, d, i->school_id,
	               cJSON_GetObjectItemCaseSensitive(body, "audience"));
	if (d->status != 0 || !teacher)
		return;
	/* Teachers: homework, to classes they teach. */
	if (strcmp(d->kind, "homework") != 0) {
		d->status = 403;
		d->detail = "Teachers send homework notices; school notices "
		            "come from the school's administrators.";
		return;
	}
	if (d->whole_school || d->nclasses == 0) {
		d->status = 403;
		d->detail = "Teachers send homework to the classes they teach: "
		            "choose them.";
		return;
	}
	for (int k = 0; k < d->nclasses; k++) {
		int taught = 0;

		for (int j = 0; j < i->nclass_ids; j++)
			taught |= i->class_ids[j] == d->classes[k];
		if (!taught) {
			d->status = 403;
			d->detail = "You may send homework only to the classes "
			            "you teach.";
			return;
		}
	}
}

/* The via rows of one class (0: the whole school) for the roles. */
static int
compose_via_class(jx_db *db, int64_t id, int64_t school, int64_t klass,
                  int roles)
{
	if ((roles & ROLE_PARENT) &&
	    jx_host->db_exec(
	        db,
	        "INSERT INTO notices_via(notice_id, person_id, role, "
	        "student_id, class_id) SELECT ?, g.parent_id, "
	        "'parent', g.student_id, s.class_id FROM students s "
	        "JOIN guardians g ON g.student_id = s.person_id WHERE "
	        "s.school_id = ? AND s.status = 'in_school' AND (? = 0 "
	        "OR s.class_id = ?) ON CONFLICT DO NOTHING",
	        "iiii", id, school, klass, klass) < 0)
		return -1;
	if ((roles & ROLE_STUDENT) &&
	    jx_host->db_exec(
	        db,
	        "INSERT INTO notices_via(notice_id, person_id, role, "
	        "student_id, class_id) SELECT ?, s.person_id, "
	        "'student', s.person_id, s.class_id FROM students s "
	        "WHERE s.school_id = ? AND s.status = 'in_school' AND "
	        "(? = 0 OR s.class_id = ?) ON CONFLICT DO NOTHING",
	        "iiii", id, school, klass, klass) < 0)
		return -1;
	if (!(roles & ROLE_TEACHER))
		return 0;
	if (klass == 0)
		return jx_host->db_exec(
		           db,
		           "INSERT INTO notices_via(notice_id, "
		           "person_id, role, student_id) SELECT ?, "
		           "t.person_id, 'teacher', 0 FROM teachers t "
		           "WHERE t.school_id = ? AND t.status = "
		           "'in_school' ON CONFLICT DO NOTHING",
		           "ii", id, school) < 0
		           ? -1
		           : 0;
	return jx_host->db_exec(
	           db,
	           "INSERT INTO notices_via(notice_id, person_id, role, "
	           "student_id, class_id) SELECT ?, t.teacher_id, "
	           "'teacher', 0, t.class_id FROM teaching t JOIN "
	           "teachers te ON te.person_id = t.teacher_id AND "
	           "te.school_id = ? AND te.status = 'in_school' WHERE "
	           "t.class_id = ? ON CONFLICT DO NOTHING",
	           "iii", id, school, klass) < 0
	           ? -1
	           : 0;
}

/* Resolves the audience into notices_via and notices_recipients; the
 * number of distinct persons, or -1. */
static int64_t
compose_resolve(jx_db *db, int64_t id, int64_t school, const struct draft *d)
{
	if (d->whole_school) {
		if (compose_via_class(db, id, school, 0, d->roles) != 0)
			return -1;
	} else {
		for (int k = 0; k < d->nclasses; k++)
			if (compose_via_class(db, id, school, d->classes[k],
			                      d->roles) != 0)
				return -1;
	}
	return jx_host->db_exec(
	    db,
	    "INSERT INTO notices_recipients(notice_id, "
	    "person_id, is_parent) SELECT notice_id, person_id, "
	    "MAX(CASE WHEN role = 'parent' THEN 1 ELSE 0 END) "
	    "FROM notices_via WHERE notice_id = ? GROUP BY "
	    "notice_id, person_id",
	    "i", id);
}

/* The district's quiet hours (rule notice_quiet_hours) into from/to
 * minutes; -1/-1 for none. */
static void
compose_quiet_hours(jx_db *db, int64_t district, int *from, int *to)
{
	cJSON *r = NULL;
	char err[256];
	int64_t version;

	*from = *to = -1;
	if (jx_host->rule_call(db, district, NULL, "notice_quiet_hours", NULL,
	                       &r, &version, err, sizeof(err)) != 0) {
		jx_host->log(JX_LOG_WARN, "notices",
		             "district %lld: notice_quiet_hours: %s (no quiet "
		             "hours used)",
		             (long long)district, err);
		return;
	}
	if (cJSON_IsObject(r)) {
		const cJSON *f = cJSON_GetObjectItemCaseSensitive(r, "from");
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(r, "to");

		*from =
		    notices_minutes(cJSON_IsString(f) ? f->valuestring : NULL);
		*to =
		    notices_minutes(cJSON_IsString(t) ? t->valuestring : NULL);
		if (*from < 0 || *to < 0) {
			jx_host->log(
			    JX_LOG_WARN, "notices",
			    "district %lld: quiet_hours must be {from = "
			    "\"HH:MM\", to = \"HH:MM\"} (ignored)",
			    (long long)district);
			*from = *to = -1;
		}
	}
	cJSON_Delete(r);
}

/* The escalation steps of the rule notice_escalation as [{"at",
 * "channel"}], only those still ahead; NULL without a deadline. */
static cJSON *
compose_escalation(jx_db *db, int64_t district, const struct draft *d,
                   int64_t now)
{
	cJSON *args, *n, *r = NULL, *out = cJSON_CreateArray();
	const cJSON *step;
	char err[256], when[40];
	int64_t version;

	if (d->deadline <= 0)
		return out;
	args = cJSON_CreateArray();
	n = cJSON_CreateObject();
	cJSON_AddStringToObject(n, "kind", d->kind);
	cJSON_AddBoolToObject(n, "urgent", d->urgent);
	jx_host->format_time(d->deadline, when, sizeof(when));
	cJSON_AddStringToObject(n, "deadline", when);
	cJSON_AddNumberToObject(n, "hours_left",
	                        (double)(d->deadline - now) / 3600.0);
	cJSON_AddItemToArray(args, n);
	if (jx_host->rule_call(db, district, NULL, "notice_escalation", args,
	                       &r, &version, err, sizeof(err)) != 0)
		jx_host->log(
		    JX_LOG_WARN, "notices",
		    "district %lld: notice_escalation: %s (no escalation)",
		    (long long)district, err);
	cJSON_Delete(args);
	cJSON_ArrayForEach(step, (cJSON_IsArray(r) ? r : NULL))
	{
		const cJSON *h = cJSON_GetObjectItemCaseSensitive(
		    step, "before_deadline_hours");
		const cJSON *c =
		    cJSON_GetObjectItemCaseSensitive(step, "channel");
		int64_t at;
		cJSON *s;

		if (!cJSON_IsNumber(h) || h->valuedouble < 0 ||
		    !cJSON_IsString(c) ||
		    (strcmp(c->valuestring, "wechat") != 0 &&
		     strcmp(c->valuestring, "sms") != 0 &&
		     strcmp(c->valuestring, "call_list") != 0)) {
			jx_host->log(
			    JX_LOG_WARN, "notices",
			    "district %lld: notice_escalation: a step "
			    "needs before_deadline_hours >= 0 and channel "
			    "wechat, sms or call_list (skipped)",
			    (long long)district);
			continue;
		}
		at = d->deadline - (int64_t)(h->valuedouble * 3600.0);
		if (at <= now)
			continue; /* past already: the notice just went out */
		s = cJSON_CreateObject();
		cJSON_AddNumberToObject(s, "at", (double)at);
		cJSON_AddStringToObject(s, "channel", c->valuestring);
		cJSON_AddItemToArray(out, s);
	}
	cJSON_Delete(r);
	return out;
}

/*
 * Composes (or, preview, only counts) a checked draft in one
 * transaction. 0 with *id and *count, or the status (d->detail set).
 */
static int
compose_store(jx_req *req, jx_db *db, struct draft *d, int preview, int64_t *id,
              int64_t *count)
{
	const struct jx_identity *i = jx_host->identity(req);
	int64_t now = jx_host->now(), nb = 0;
	int qfrom, qto;
	char *aud = NULL, *esc = NULL;
	cJSON *steps = NULL, *detail;
	struct timespec t0, t1, c0, c1;

	*id = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
	if (jx_host->db_begin(db) != 0)
		return 500;
	compose_quiet_hours(db, i->district_id, &qfrom, &qto);
	if (!d->urgent)
		nb = notices_quiet_end(now, qfrom, qto);
	steps = preview ? cJSON_CreateArray()
	                : compose_escalation(db, i->district_id, d, now);
	aud = cJSON_PrintUnformatted(d->audience);
	esc = cJSON_PrintUnformatted(steps);
	*id = jx_host->db_insert(
	    db,
	    "INSERT INTO notices_notices(school_id, district_id, "
	    "sender_identity_id, sender_person_id, sender_account_id, "
	    "sender_role, kind, title, body, urgent, deadline, audience, "
	    "not_before, quiet_from, quiet_to, escalation, created_at, "
	    "requires_confirmation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
	    "NULLIF(?, 0), ?, ?, NULLIF(?, -1), NULLIF(?, -1), ?, ?, ?)",
	    "iiiiissssiisiiisii", i->school_id, i->district_id, i->id,
	    i->person_id, i->account_id, i->role, d->kind,
	    d->title ? d->title : "", d->body ? d->body : "",
	    (int64_t)d->urgent, d->deadline, aud, nb, (int64_t)qfrom,
	    (int64_t)qto, esc, now, (int64_t)d->confirm);
	if (*id <= 0)
		goto fail;
	if (!preview && d->files != NULL) {
		const char *why = NULL;
		int rc = notices_files_attach(req, db, *id, d->files, &why);

		if (rc == 500)
			goto fail;
		if (rc != 0) {
			jx_host->db_rollback(db);
			draft_error(d, "attachments", why);
			goto done;
		}
	}
	*count = compose_resolve(db, *id, i->school_id, d);
	if (*count < 0)
		goto fail;
	if (preview) {
		jx_host->db_rollback(db);
		goto done;
	}
	if (*count == 0) {
		jx_host->db_rollback(db);
		draft_error(d, "audience", "nobody is in this audience");
		goto done;
	}
	if (jx_host->db_exec(
	        db, "UPDATE notices_notices SET recipients = ? WHERE id = ?",
	        "ii", *count, *id) != 1 ||
	    notices_deliver_new(db, *id) != 0)
		goto fail;
	detail = cJSON_CreateObject();
	cJSON_AddStringToObject(detail, "kind", d->kind);
	cJSON_AddNumberToObject(detail, "recipients", (double)*count);
	cJSON_AddBoolToObject(detail, "urgent", d->urgent);
	cJSON_AddBoolToObject(detail, "requires_confirmation", d->confirm);
	cJSON_AddNumberToObject(detail, "attachments",
	                        (double)cJSON_GetArraySize(d->files));
	if (jx_host->audit(req, "notices.send",
	                   jx_host->sprintf(req, "notice:%lld", (long long)*id),
	                   detail) != 0 ||
	    (d->urgent && jx_host->audit(req, "notices.urgent",
	                                 jx_host->sprintf(req, "notice:%lld",
	                                                  (long long)*id),
	                                 detail) != 0)) {
		cJSON_Delete(detail);
		goto fail;
	}
	cJSON_Delete(detail);
	if (jx_host->db_commit(db) != 0)
		goto fail_committed;
	/* The enqueue time (audience, rows, outbox, commit) and this
	 * thread's CPU time for it: what bench/notices.sh reports. */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
	jx_host->log(
	    JX_LOG_INFO, "notices",
	    "notice %lld: %lld recipients queued in %.1f ms (%.1f ms CPU)",
	    (long long)*id, (long long)*count,
	    (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	        (double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
	    (double)(c1.tv_sec - c0.tv_sec) * 1e3 +
	        (double)(c1.tv_nsec - c0.tv_nsec) / 1e6);
done:
	cJSON_free(aud);
	cJSON_free(esc);
	cJSON_Delete(steps);
	return d->status;
fail:
	jx_host->log(JX_LOG_ERROR, "notices", "compose: %s",
	             jx_host->db_errmsg(db));
	jx_host->db_rollback(db);
fail_committed:
	cJSON_free(aud);
	cJSON_free(esc);
	cJSON_Delete(steps);
	d->detail = "Nothing was sent.";
	return 500;
}

static void
draft_free(struct draft *d)
{
	cJSON_Delete(d->audience);
	cJSON_Delete(d->errors);
}

/* The reply for a failed draft (API). */
static int
compose_problem(jx_req *req, struct draft *d, int status)
{
	const cJSON *e;

	if (status == 403)
		return notices_forbidden(req, d->detail);
	if (status == 500)
		return jxp_storage_error(jx_host, req);
	cJSON_ArrayForEach(e, d->errors) jx_host->problem_error(
	    req, 0, cJSON_GetObjectItemCaseSensitive(e, "field")->valuestring,
	    cJSON_GetObjectItemCaseSensitive(e, "message")->valuestring);
	return jxp_invalid(jx_host, req, NULL);
}

/* Checks and stores body; the status (201 / 200 preview) after
 * replying. */
static int
compose_json(jx_req *req, const cJSON *body, int preview)
{
	jx_db *db = jx_host->req_db(req);
	struct draft *d = jx_host->alloc(req, sizeof(*d));
	int64_t id = 0, count = 0;
	cJSON *out;
	int status;

	memset(d, 0, sizeof(*d));
	draft_check(req, db, d, body, preview);
	status = d->status ? d->status
	                   : compose_store(req, db, d, preview, &id, &count);
	if (status != 0) {
		status = compose_problem(req, d, status);
		draft_free(d);
		return status;
	}
	out = cJSON_CreateObject();
	if (!preview)
		cJSON_AddNumberToObject(out, "id", (double)id);
	cJSON_AddNumberToObject(out, "recipients", (double)count);
	if (!preview) {
		int64_t nb = notices_not_before(db, id);
		char when[40];

		if (nb > 0) {
			jx_host->format_time(nb, when, sizeof(when));
			cJSON_AddStringToObject(out, "not_before", when);
		} else
			cJSON_AddNullToObject(out, "not_before");
	}
	draft_free(d);
	return jx_host->reply_json(req, preview ? 200 : 201, out);
}

int
compose_create(jx_req *req, void *ud)
{
	cJSON *body = jx_host->req_json(req);

	(void)ud;
	if (body == NULL)
		return jx_host->req_status(req);
	return compose_json(req, body, 0);
}

int
compose_preview(jx_req *req, void *ud)
{
	cJSON *body = jx_host->req_json(req);

	(void)ud;
	if (body == NULL)
		return jx_host->req_status(req);
	return compose_json(req, body, 1);
}

cJSON *
notices_compose_options(jx_req *req, jx_db *db)
{
	const struct jx_identity *i = jx_host->identity(req);
	int teacher = jxp_role(jx_host, req, "teacher");
	cJSON *o = cJSON_CreateObject();
	cJSON *classes = cJSON_AddArrayToObject(o, "classes");
	cJSON *grades = cJSON_AddArrayToObject(o, "grades");
	int seen[13] = {0};
	jx_stmt *st;

	cJSON_AddBoolToObject(o, "teacher", teacher);
	cJSON_AddNumberToObject(
	    o, "upload_bytes",
	    (double)jx_host->config_int("limits.upload_bytes", 20 << 20));
	st = jx_host->db_query(db,
	                       "SELECT id, grade, name FROM classes WHERE "
	                       "school_id = ? ORDER BY grade, name",
	                       "i", i ? i->school_id : 0);
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		int64_t id = jx_host->db_int(st, 0);
		int g = (int)jx_host->db_int(st, 1), taught = 0;
		cJSON *c;

		for (int j = 0; teacher && j < i->nclass_ids; j++)
			taught |= i->class_ids[j] == id;
		if (teacher && !taught)
			continue;
		c = cJSON_CreateObject();
		cJSON_AddNumberToObject(c, "id", (double)id);
		cJSON_AddStringToObject(
		    c, "name",
		    jx_host->sprintf(req, "%s%s", notices_org->grade_label(g),
		                     jx_host->db_text(st, 2)));
		cJSON_AddItemToArray(classes, c);
		if (g >= 1 && g <= 12 && !seen[g] && !teacher) {
			cJSON *gr = cJSON_CreateObject();

			seen[g] = 1;
			cJSON_AddNumberToObject(gr, "grade", g);
			cJSON_AddStringToObject(gr, "name",
			                        notices_org->grade_label(g));
			cJSON_AddItemToArray(grades, gr);
		}
	}
	jx_host->db_finish(st);
	return o;
}

/* The compose form's fields as the API's body: checkboxes are named
 * class_<id>, grade_<n> and role_<name> (one value per name). */
static cJSON *
compose_form_body(jx_req *req, const cJSON *options)
{
	cJSON *b = cJSON_CreateObject(), *a, *ids, *grades, *roles;
	const char *v;
	const cJSON *c;
	static const char *const role_names[] = {"parent", "teacher",
	                                         "student"};

	if ((v = jx_host->req_form(req, "kind")) != NULL)
		cJSON_AddStringToObject(b, "kind", v);
	if ((v = jx_host->req_form(req, "title")) != NULL)
		cJSON_AddStringToObject(b, "title", v);
	if ((v = jx_host->req_form(req, "body")) != NULL)
		cJSON_AddStringToObject(b, "body", v);
	if ((v = jx_host->req_form(req, "deadline")) != NULL && *v != '\0')
		cJSON_AddStringToObject(b, "deadline", v);
	cJSON_AddBoolToObject(b, "urgent",
	                      jx_host->req_form(req, "urgent") != NULL);
	cJSON_AddBoolToObject(b, "requires_confirmation",
	                      jx_host->req_form(req, "requires_confirmation") !=
	                          NULL);
	cJSON_AddItemToObject(b, "attachments", notices_files_form(req));
	a = cJSON_AddObjectToObject(b, "audience");
	ids = cJSON_AddArrayToObject(a, "class_ids");
	grades = cJSON_AddArrayToObject(a, "grades");
	roles = cJSON_AddArrayToObject(a, "roles");
	cJSON_ArrayForEach(c,
	                   cJSON_GetObjectItemCaseSensitive(options, "classes"))
	{
		double id =
		    cJSON_GetObjectItemCaseSensitive(c, "id")->valuedouble;

		if (jx_host->req_form(
		        req, jx_host->sprintf(req, "class_%.0f", id)) != NULL)
			cJSON_AddItemToArray(ids, cJSON_CreateNumber(id));
	}
	for (int g = 1; g <= 12; g++)
		if (jx_host->req_form(
		        req, jx_host->sprintf(req, "grade_%d", g)) != NULL)
			cJSON_AddItemToArray(grades, cJSON_CreateNumber(g));
	for (size_t k = 0; k < 3; k++)
		if (jx_host->req_form(
		        req, jx_host->sprintf(req, "role_%s", role_names[k])) !=
		    NULL)
			cJSON_AddItemToArray(roles,
			                     cJSON_CreateString(role_names[k]));
	return b;
}

int
notices_compose_form(jx_req *req, void *ud)
{
	jx_db *db = jx_host->req_db(req);
	struct draft *d = jx_host->alloc(req, sizeof(*d));
	cJSON *options, *body, *page;
	int64_t id = 0, count = 0;
	int status;

	(void)ud;
	memset(d, 0, sizeof(*d));
	if (!jxp_role(jx_host, req, "school_admin,teacher"))
		return notices_forbidden(req, NULL);
	options = notices_compose_options(req, db);
	body = compose_form_body(req, options);
	draft_check(req, db, d, body, 0);
	status =
	    d->status ? d->status : compose_store(req, db, d, 0, &id, &count);
	if (status == 0) {
		cJSON_Delete(options);
		cJSON_Delete(body);
		draft_free(d);
		return jx_host->reply_redirect(
		    req, jx_host->sprintf(req, "/notices/%lld/receipts",
		                          (long long)id));
	}
	if (status != 422) {
		cJSON_Delete(options);
		cJSON_Delete(body);
		status = status == 403 ? notices_forbidden(req, d->detail)
		                       : jxp_storage_error(jx_host, req);
		draft_free(d);
		return status;
	}
	/* The form again, with what was entered and why it failed. */
	page = options;
	cJSON_AddStringToObject(page, "title",
	                        jx_host->t(req, "notices.new.title"));
	cJSON_AddItemToObject(page, "values", body);
	cJSON_AddItemToObject(page, "errors", d->errors);
	d->errors = NULL;
	draft_free(d);
	return jx_host->reply_view(req, 422, "notices/new", page);
}
