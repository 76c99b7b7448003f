/*
 * records_terms.c — terms and locking: the term of a date, which terms
 * are open for writing, and who may create a type, from the district's
 * rules (scripts/rules/default.lua: records_term_of, records_term_open,
 * records_creators, records_publicity_days); a school admin's reopening
 * of a closed term for the school (records_reopened, audit-logged).
 */
#include "records.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
rec_term_valid(const char *term)
{
	int y1, y2, n, used = 0;

	if (term == NULL || strlen(term) != 11 ||
	    sscanf(term, "%4d-%4d-%1d%n", &y1, &y2, &n, &used) != 3 ||
	    used != 11)
		return 0;
	for (int k = 0; k < 11; k++)
		if (k != 4 && k != 9 && (term[k] < '0' || term[k] > '9'))
			return 0;
	return y1 >= 1990 && y1 < 2200 && y2 == y1 + 1 && (n == 1 || n == 2);
}

/* Today's date in the configured timezone: "YYYY-MM-DD". */
static void
rec_date_of(int64_t t, char out[11])
{
	char when[40];

	jx_host->format_time(t, when, sizeof(when));
	memcpy(out, when, 10);
	out[10] = '\0';
}

int
rec_term_of(jx_db *db, int64_t district, int64_t t, char *out, size_t outlen)
{
	char date[11], err[256];
	cJSON *args = cJSON_CreateArray(), *r = NULL;
	int64_t version;
	int rc = -1;

	rec_date_of(t, date);
	cJSON_AddItemToArray(args, cJSON_CreateString(date));
	if (jx_host->rule_call(db, district, NULL, "records_term_of", args, &r,
	                       &version, err, sizeof(err)) != 0)
		jx_host->log(JX_LOG_WARN, "records",
		             "district %lld: records_term_of: %s",
		             (long long)district, err);
	else if (cJSON_IsString(r) && rec_term_valid(r->valuestring)) {
		snprintf(out, outlen, "%s", r->valuestring);
		rc = 0;
	} else
		jx_host->log(JX_LOG_WARN, "records",
		             "district %lld: records_term_of gave no term",
		             (long long)district);
	cJSON_Delete(args);
	cJSON_Delete(r);
	return rc;
}

int
rec_term_open(jx_db *db, int64_t district, int64_t school, const char *term)
{
	char date[11], err[256];
	cJSON *args, *r = NULL;
	int64_t version, reopened;
	int rc;

	reopened = jxp_one(jx_host, db,
	                   "SELECT COUNT(*) FROM records_reopened WHERE "
	                   "school_id = ? AND term = ?",
	                   "is", school, term);
	if (reopened != 0)
		return reopened > 0 ? 1 : -1;
	rec_date_of(jx_host->now(), date);
	args = cJSON_CreateArray();
	cJSON_AddItemToArray(args, cJSON_CreateString(term));
	cJSON_AddItemToArray(args, cJSON_CreateString(date));
	if (jx_host->rule_call(db, district, NULL, "records_term_open", args,
	                       &r, &version, err, sizeof(err)) != 0) {
		jx_host->log(JX_LOG_WARN, "records",
		             "district %lld: records_term_open: %s (closed)",
		             (long long)district, err);
		rc = 0;
	} else
		rc = cJSON_IsTrue(r);
	cJSON_Delete(args);
	cJSON_Delete(r);
	return rc;
}

char *
rec_creators(jx_req *req, jx_db *db, int64_t district, const struct rec_type *t)
{
	char err[256], out[128] = "";
	cJSON *args = cJSON_CreateArray(), *list = cJSON_CreateArray(),
	      *r = NULL;
	const char *p = t->t.creators;
	int64_t version;

	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		char role[32];

		snprintf(role, sizeof(role), "%.*s", (int)n, p);
		cJSON_AddItemToArray(list, cJSON_CreateString(role));
		p += n;
		if (*p == ',')
			p++;
	}
	cJSON_AddItemToArray(args, cJSON_CreateString(t->t.code));
	cJSON_AddItemToArray(args, list);
	if (jx_host->rule_call(db, district, NULL, "records_creators", args, &r,
	                       &version, err, sizeof(err)) != 0) {
		jx_host->log(JX_LOG_WARN, "records",
		             "district %lld: records_creators: %s (the type's "
		             "own list)",
		             (long long)district, err);
		snprintf(out, sizeof(out), "%s", t->t.creators);
	} else {
		/* the intersection, in the type's order: never wider */
		const cJSON *mine;

		cJSON_ArrayForEach(mine, list)
		{
			const cJSON *theirs;
			int keep = 0;

			cJSON_ArrayForEach(theirs,
			                   (cJSON_IsArray(r) ? r : NULL))
			{
				if (cJSON_IsString(theirs) &&
				    strcmp(theirs->valuestring,
				           mine->valuestring) == 0)
					keep = 1;
			}
			if (keep) {
				size_t len = strlen(out);

				snprintf(out + len, sizeof(out) - len, "%s%s",
				         len ? "," : "", mine->valuestring);
			}
		}
	}
	cJSON_Delete(args);
	cJSON_Delete(r);
	return req ? jx_host->strdup(req, out) : strdup(out);
}

int
rec_publicity_days(jx_db *db, int64_t district)
{
	char err[256];
	cJSON *r = NULL;
	int64_t version;
	int days = 5;

	if (jx_host->rule_call(db, district, NULL, "records_publicity_days",
	                       NULL, &r, &version, err, sizeof(err)) != 0)
		jx_host->log(JX_LOG_WARN, "records",
		             "district %lld: records_publicity_days: %s (5)",
		             (long long)district, err);
	else if (cJSON_IsNumber(r) && r->valuedouble >= 1 &&
	         r->valuedouble <= 90)
		days = (int)r->valuedouble;
	cJSON_Delete(r);
	return days;
}

int
rec_term_closed(jx_req *req, const char *term)
{
	int en = strcmp(jx_host->req_lang(req), "en") == 0;

	jx_host->problem_error(
	    req, 0, "term",
	    jx_host->sprintf(req,
	                     en ? "term %s is closed for records"
	                        : "%s 学期的记录已关闭",
	                     term));
	return jx_host->reply_problem(
	    req, 422, "term-closed", en ? "Term closed" : "学期已关闭",
	    en ? "Records of this term can no longer be changed; a school "
	         "administrator may reopen the term."
	       : "这个学期的记录已不能修改，学校管理员可以重新开放。");
}

/* The school's district, or 0. */
static int64_t
rec_school_district(jx_db *db, int64_t school)
{
	return jxp_one(jx_host, db,
	               "SELECT district_id FROM schools WHERE id = ?", "i",
	               school);
}

/* POST /api/v1/schools/{sid}/terms/{term}/reopen (school admin). */
int
route_term_reopen(jx_req *req, void *ud)
{
	int64_t school = jx_host->req_param_id(req, "sid");
	const char *term = jx_host->req_param(req, "term");
	const struct jx_identity *i = jx_host->identity(req);
	jx_db *db = jx_host->req_db(req);
	cJSON *detail, *out;
	int64_t n;

	(void)ud;
	if (school <= 0 || !jx_host->may(req, JX_SEE_SCHOOL, school))
		return jxp_not_found(jx_host, req);
	if (!jxp_role(jx_host, req, "school_admin") ||
	    !jx_host->may(req, JX_MANAGE_SCHOOL, school))
		return jxp_forbidden(jx_host, req);
	if (!rec_term_valid(term)) {
		jx_host->problem_error(req, 0, "term",
		                       "must be a term like 2026-2027-1");
		return jxp_invalid(jx_host, req, NULL);
	}
	if (jx_host->db_begin(db) != 0)
		return jxp_storage_error(jx_host, req);
	n = jx_host->db_exec(db,
	                     "INSERT INTO records_reopened(school_id, term, "
	                     "reopened_by, reopened_at) VALUES (?, ?, ?, ?) "
	                     "ON CONFLICT DO NOTHING",
	                     "isii", school, term, i->person_id,
	                     jx_host->now());
	detail = cJSON_CreateObject();
	cJSON_AddNumberToObject(detail, "school_id", (double)school);
	cJSON_AddStringToObject(detail, "term", term);
	if (n < 0 || jx_host->audit(req, "records.term_reopen",
	                            jx_host->sprintf(req, "school:%lld",
	                                             (long long)school),
	                            detail) != 0) {
		cJSON_Delete(detail);
		jx_host->db_rollback(db);
		return jxp_storage_error(jx_host, req);
	}
	cJSON_Delete(detail);
	if (jx_host->db_commit(db) != 0)
		return jxp_storage_error(jx_host, req);
	out = cJSON_CreateObject();
	cJSON_AddNumberToObject(out, "school_id", (double)school);
	cJSON_AddStringToObject(out, "term", term);
	cJSON_AddBoolToObject(out, "open", 1);
	cJSON_AddBoolToObject(out, "reopened", 1);
	return jx_host->reply_json(req, 200, out);
}

/* The term before term ("2026-2027-1" → "2025-2026-2"). */
static void
rec_term_prev(const char *term, char *out, size_t outlen)
{
	int y1 = atoi(term), n = term[10] - '0';

	if (n == 2)
		snprintf(out, outlen, "%d-%d-1", y1, y1 + 1);
	else
		snprintf(out, outlen, "%d-%d-2", y1 - 1, y1);
}

/* GET /api/v1/schools/{sid}/record-terms: the current term and the
 * three before it, each open or not (for the pages' term pickers). */
int
route_terms(jx_req *req, void *ud)
{
	int64_t school = jx_host->req_param_id(req, "sid");
	jx_db *db = jx_host->req_db(req);
	int64_t district;
	char term[16];
	cJSON *out, *list;

	(void)ud;
	if (school <= 0 || !jx_host->may(req, JX_SEE_SCHOOL, school))
		return jxp_not_found(jx_host, req);
	district = rec_school_district(db, school);
	if (district <= 0 ||
	    rec_term_of(db, district, jx_host->now(), term, sizeof(term)) != 0)
		return jxp_storage_error(jx_host, req);
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "current", term);
	list = cJSON_AddArrayToObject(out, "terms");
	for (int k = 0; k < 4; k++) {
		cJSON *o = cJSON_CreateObject();
		int open = rec_term_open(db, district, school, term);
		int64_t reopened =
		    jxp_one(jx_host, db,
		            "SELECT COUNT(*) FROM records_reopened WHERE "
		            "school_id = ? AND term = ?",
		            "is", school, term);

		cJSON_AddStringToObject(o, "term", term);
		cJSON_AddBoolToObject(o, "open", open > 0);
		cJSON_AddBoolToObject(o, "reopened", reopened > 0);
		cJSON_AddItemToArray(list, o);
		rec_term_prev(term, term, sizeof(term));
	}
	return jx_host->reply_json(req, 200, out);
}
