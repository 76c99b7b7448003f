/*
 * keyinfo_rules.c — a district's rules tried on its real data before they
 * are activated: the dry run (POST /api/v1/districts/{did}/rules/dry-run,
 * `jiaxiao rules check`), and the rule editor page.
 *
 * "Before" is the stored result where it is current, else the active
 * rules run now; "after" is the tried chunk. A chunk that fails in any
 * way (syntax, runtime, budget) fails the whole dry run: an administrator
 * must see the error, not a partial count.
 */
#include "keyinfo.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#define KI_DRY_BATCH 200
#define KI_DRY_LIST 500

struct ki_dry {
	struct ki_student s[KI_DRY_BATCH];
	int before_known[KI_DRY_BATCH], before_fail[KI_DRY_BATCH];
	char *school[KI_DRY_BATCH], *klass[KI_DRY_BATCH];
	int n;
};

static cJSON *
ki_dry_item(const struct ki_dry *d, int i)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "student_id", (double)d->s[i].id);
	cJSON_AddStringToObject(o, "name", d->s[i].name ? d->s[i].name : "");
	cJSON_AddStringToObject(o, "school", d->school[i] ? d->school[i] : "");
	cJSON_AddStringToObject(o, "class_name",
	                        d->klass[i] ? d->klass[i] : "");
	cJSON_AddItemToObject(o, "problems",
	                      cJSON_Duplicate(d->s[i].problems, 1));
	return o;
}

/* Checks one batch both ways and adds to the counts and lists. */
static int
ki_dry_batch(jx_db *db, int64_t district, const char *source, struct ki_dry *d,
             cJSON *out, char *err, size_t errlen)
{
	struct ki_student tmp[KI_DRY_BATCH];
	int nlive = 0, rc = 0;
	int64_t version;
	cJSON *nf = cJSON_GetObjectItem(out, "newly_failing");
	cJSON *np = cJSON_GetObjectItem(out, "newly_passing");

	/* Before, for those without a current stored result: the active
	 * rules, run now on copies. */
	memset(tmp, 0, sizeof(tmp));
	for (int i = 0; i < d->n; i++) {
		if (d->before_known[i])
			continue;
		tmp[nlive].national_no = d->s[i].national_no;
		tmp[nlive].city_no = d->s[i].city_no;
		tmp[nlive].id_number = d->s[i].id_number;
		tmp[nlive].name = d->s[i].name;
		tmp[nlive++].grade = d->s[i].grade;
	}
	if (nlive > 0) {
		ki_check_batch(db, district, NULL, tmp, nlive, 1, &version, err,
		               errlen);
		for (int k = 0, i = 0; i < d->n; i++) {
			if (d->before_known[i])
				continue;
			d->before_fail[i] = tmp[k].errors > 0;
			cJSON_Delete(tmp[k].problems);
			k++;
		}
	}
	if (ki_check_batch(db, district, source, d->s, d->n, 0, &version, err,
	                   errlen) != 0)
		return -1;
	for (int i = 0; i < d->n; i++) {
		int after = d->s[i].errors > 0;

		cJSON_SetNumberValue(
		    cJSON_GetObjectItem(out, "failing_before"),
		    cJSON_GetObjectItem(out, "failing_before")->valuedouble +
		        d->before_fail[i]);
		cJSON_SetNumberValue(
		    cJSON_GetObjectItem(out, "failing_after"),
		    cJSON_GetObjectItem(out, "failing_after")->valuedouble +
		        after);
		if (after && !d->before_fail[i]) {
			cJSON *c =
			    cJSON_GetObjectItem(out, "newly_failing_count");
			cJSON_SetNumberValue(c, c->valuedouble + 1);
			if (cJSON_GetArraySize(nf) < KI_DRY_LIST)
				cJSON_AddItemToArray(nf, ki_dry_item(d, i));
		} else if (!after && d->before_fail[i]) {
			cJSON *c =
			    cJSON_GetObjectItem(out, "newly_passing_count");
			cJSON_SetNumberValue(c, c->valuedouble + 1);
			if (cJSON_GetArraySize(np) < KI_DRY_LIST)
				cJSON_AddItemToArray(np, ki_dry_item(d, i));
		}
	}
	return rc;
}

static void
ki_dry_clear(struct ki_dry *d)
{
	for (int i = 0; i < d->n; i++) {
		ki_student_free(&d->s[i]);
		free(d->school[i]);
		free(d->klass[i]);
		d->school[i] = d->klass[i] = NULL;
	}
	d->n = 0;
}

int
ki_dry_run(jx_db *db, int64_t district, const char *source, cJSON **out,
           char *err, size_t errlen)
{
	struct ki_dry *d = calloc(1, sizeof(*d));
	cJSON *o, *empty, *res = NULL;
	int64_t version, checked = 0;
	jx_stmt *st;
	int rc = 0;

	*out = NULL;
	if (d == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* The chunk runs once even in a district without students, so a
	 * syntax error is always seen. */
	empty = cJSON_CreateArray();
	cJSON_AddItemToArray(empty, cJSON_CreateArray());
	rc = jx_host->rule_call(db, district, source, "keyinfo_check_all",
	                        empty, &res, &version, err, errlen);
	cJSON_Delete(empty);
	cJSON_Delete(res);
	if (rc != 0) {
		free(d);
		return -1;
	}
	version = jx_host->rules_version(db, district);
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "district_id", (double)district);
	cJSON_AddNumberToObject(o, "rules_version", (double)version);
	cJSON_AddNumberToObject(o, "checked", 0);
	cJSON_AddNumberToObject(o, "failing_before", 0);
	cJSON_AddNumberToObject(o, "failing_after", 0);
	cJSON_AddNumberToObject(o, "newly_failing_count", 0);
	cJSON_AddNumberToObject(o, "newly_passing_count", 0);
	cJSON_AddArrayToObject(o, "newly_failing");
	cJSON_AddArrayToObject(o, "newly_passing");
	st = jx_host->db_query(
	    db,
	    "SELECT s.person_id, s.school_id, COALESCE(s.class_id, 0), "
	    "COALESCE(c.grade, 0), p.name, s.national_no, s.city_no, "
	    "s.id_number_enc, sc.name, r.errors, r.rules_version = ? AND "
	    "r.stale = 0, c.name, s.national_no_enc FROM students s JOIN "
	    "persons p ON p.id = "
	    "s.person_id "
	    "JOIN schools sc ON sc.id = s.school_id LEFT JOIN classes c ON "
	    "c.id = s.class_id LEFT JOIN keyinfo_results r ON r.student_id = "
	    "s.person_id WHERE sc.district_id = ? AND s.status = 'in_school' "
	    "ORDER BY s.person_id",
	    "ii", version, district);
	if (st == NULL) {
		snprintf(err, errlen, "storage: %s", jx_host->db_errmsg(db));
		rc = -1;
	}
	while (rc == 0 && jx_host->db_step(st) == JX_DB_ROW) {
		struct ki_student *s = &d->s[d->n];

		memset(s, 0, sizeof(*s));
		s->id = jx_host->db_int(st, 0);
		s->school = jx_host->db_int(st, 1);
		s->klass = jx_host->db_int(st, 2);
		s->grade = (int)jx_host->db_int(st, 3);
		s->name = strdup(jx_host->db_text(st, 4));
		s->national_no = ki_national_open(jx_host->db_text(st, 5),
		                                  jx_host->db_text(st, 12));
		s->city_no = jx_host->db_is_null(st, 6)
		                 ? NULL
		                 : strdup(jx_host->db_text(st, 6));
		s->id_number = jx_host->db_is_null(st, 7)
		                   ? NULL
		                   : ki_org->id_open(jx_host->db_text(st, 7));
		s->district = district;
		d->school[d->n] = strdup(jx_host->db_text(st, 8));
		if (s->grade > 0) {
			size_t kn = strlen(jx_host->db_text(st, 11)) + 32;

			d->klass[d->n] = malloc(kn);
			if (d->klass[d->n] != NULL)
				snprintf(d->klass[d->n], kn, "%s%s",
				         ki_org->grade_label(s->grade),
				         jx_host->db_text(st, 11));
		}
		d->before_known[d->n] =
		    !jx_host->db_is_null(st, 9) && jx_host->db_int(st, 10) == 1;
		d->before_fail[d->n] =
		    d->before_known[d->n] && jx_host->db_int(st, 9) > 0;
		if (++d->n == KI_DRY_BATCH) {
			rc = ki_dry_batch(db, district, source, d, o, err,
			                  errlen);
			checked += d->n;
			ki_dry_clear(d);
		}
	}
	jx_host->db_finish(st);
	if (rc == 0 && d->n > 0) {
		rc = ki_dry_batch(db, district, source, d, o, err, errlen);
		checked += d->n;
	}
	ki_dry_clear(d);
	free(d);
	if (rc != 0) {
		cJSON_Delete(o);
		return -1;
	}
	cJSON_SetNumberValue(cJSON_GetObjectItem(o, "checked"),
	                     (double)checked);
	*out = o;
	return 0;
}

/* The line named in a Lua error ("chunk:12: message"), or 0. */
static int
ki_error_line(const char *err)
{
	for (const char *p = strchr(err, ':'); p != NULL;
	     p = strchr(p + 1, ':'))
		if (isdigit((unsigned char)p[1])) {
			char *end;
			long n = strtol(p + 1, &end, 10);

			if (*end == ':' && n > 0 && n < 1000000)
				return (int)n;
		}
	return 0;
}

/* District admins of the district, the city admin: 0, or the status
 * replied. */
static int
ki_rules_scope(jx_req *req, int64_t district)
{
	if (district <= 0 || !jx_host->may(req, JX_SEE_DISTRICT, district) ||
	    jxp_one(jx_host, jx_host->req_db(req),
	            "SELECT COUNT(*) FROM districts WHERE id = ?", "i",
	            district) != 1)
		return jxp_not_found(jx_host, req);
	if (!jxp_role(jx_host, req, "district_admin,city_admin"))
		return jxp_forbidden(jx_host, req);
	return 0;
}

int
route_dry_run(jx_req *req, void *ud)
{
	int64_t district = jx_host->req_param_id(req, "did");
	const cJSON *src;
	char err[1024];
	cJSON *body, *out;
	int rc, line;

	(void)ud;
	if ((rc = ki_rules_scope(req, district)) != 0)
		return rc;
	body = jx_host->req_json(req);
	if (body == NULL)
		return jx_host->req_status(req);
	src = cJSON_GetObjectItem(body, "source");
	if (!cJSON_IsString(src) || strlen(src->valuestring) > 256 * 1024) {
		jx_host->problem_error(
		    req, 0, "source",
		    "source must be a Lua chunk (at most 256 KiB)");
		return jxp_invalid(jx_host, req, NULL);
	}
	if (ki_dry_run(jx_host->req_db(req), district, src->valuestring, &out,
	               err, sizeof(err)) != 0) {
		line = ki_error_line(err);
		jx_host->problem_error(req, line, "source", err);
		return jx_host->reply_problem(req, 422, "rules-invalid",
		                              "The rules do not run", err);
	}
	/* One language per problem, the request's. */
	for (const char *const *k =
	         (const char *const[]){"newly_failing", "newly_passing", NULL};
	     *k != NULL; k++) {
		cJSON *item;

		cJSON_ArrayForEach(item, cJSON_GetObjectItem(out, *k))
		    ki_problems_localize(req,
		                         cJSON_GetObjectItem(item, "problems"));
	}
	/* The same refusals as activation: initial passwords a stranger
	 * could compute (jx/org.h rules_check). */
	memset(err, 0, sizeof(err));
	if (ki_org->size > offsetof(struct jx_org_v1, rules_check) &&
	    ki_org->rules_check(jx_host->req_db(req), district,
	                        src->valuestring, err, sizeof(err)) != 0) {
		/* Chinese, then the English after its NUL (jx/org.h) */
		const char *en = err + strnlen(err, sizeof(err) - 1) + 1;
		const char *why =
		    strcmp(jx_host->req_lang(req), "en") == 0 && *en ? en : err;

		cJSON_Delete(out);
		jx_host->problem_error(req, 0, "source", why);
		return jx_host->reply_problem(req, 422, "rules-invalid",
		                              "The rules are not acceptable",
		                              why);
	}
	return jx_host->reply_json(req, 200, out);
}

/* /keyinfo/rules: the rule editor (the page calls the API). */
int
page_rules(jx_req *req, void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);
	const char *q = jx_host->req_query(req, "district_id");
	int64_t district = i ? i->district_id : 0;
	jx_db *db = jx_host->req_db(req);
	cJSON *o;
	int rc;

	(void)ud;
	if (q != NULL && *q != '\0')
		district = atoll(q);
	if (district <= 0 && i != NULL && strcmp(i->role, "city_admin") == 0)
		district =
		    jxp_one(jx_host, db, "SELECT MIN(id) FROM districts", "");
	if ((rc = ki_rules_scope(req, district)) != 0)
		return rc;
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "district_id", (double)district);
	cJSON_AddItemToObject(
	    o, "districts",
	    jx_host->db_rows(
	        db,
	        "SELECT id, code, name, rules_version FROM districts "
	        "WHERE id = ? OR ? ORDER BY code",
	        "ii", district, (int64_t)jxp_role(jx_host, req, "city_admin")));
	cJSON_AddItemToObject(
	    o, "versions",
	    jx_host->db_rows(
	        db,
	        "SELECT v.version, v.activated_at, v.version = "
	        "d.rules_version AS active FROM rule_versions v JOIN "
	        "districts d ON d.id = v.district_id WHERE "
	        "v.district_id = ? ORDER BY v.version DESC",
	        "i", district));
	{
		jx_stmt *st = jx_host->db_query(
		    db,
		    "SELECT v.source, d.rules_version FROM districts d LEFT "
		    "JOIN rule_versions v ON v.district_id = d.id AND "
		    "v.version = d.rules_version WHERE d.id = ?",
		    "i", district);

		if (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
			cJSON_AddStringToObject(o, "source",
			                        jx_host->db_is_null(st, 0)
			                            ? ""
			                            : jx_host->db_text(st, 0));
			cJSON_AddNumberToObject(o, "version",
			                        (double)jx_host->db_int(st, 1));
		}
		jx_host->db_finish(st);
	}
	return jx_host->reply_view(req, 200, "keyinfo/rules", o);
}
