/*
 * org.c — the organisation: districts, schools and their administrators
 * (API.md, "Organisation"), and the service every creator of people uses
 * (org.h): one person per phone, one account per person, one identity
 * per role and scope. A phone that already has an account gets one more
 * identity, never a second account.
 */
#include "org.h"
#include "crypto.h"
#include "luaenv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ORG_ALNUM "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

const char *
org_grade_label(int grade)
{
	static const char *const labels[] = {
	    "一年级", "二年级", "三年级", "四年级", "五年级", "六年级",
	    "七年级", "八年级", "九年级", "高一",   "高二",   "高三"};

	return grade >= 1 && grade <= 12 ? labels[grade - 1] : "";
}

int
org_phone_valid(const char *phone)
{
	if (phone == NULL || strlen(phone) != 11 || phone[0] != '1')
		return 0;
	for (const char *p = phone; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return 1;
}

int64_t
org_adult(jx_db *db, const char *name, const char *phone, const char *gender,
          char *err, size_t errlen)
{
	int64_t id =
	    db_one(db, "SELECT id FROM persons WHERE phone = ?", "s", phone);

	if (id != 0)
		return id;
	id = db_insert(db,
	               "INSERT INTO persons(name, gender, phone, created_at) "
	               "VALUES (?, ?, ?, ?)",
	               "sssi", name, gender, phone, jx_now());
	if (id <= 0) {
		snprintf(err, errlen, "cannot create the person: %s",
		         db_errmsg(db));
		return -1;
	}
	return id;
}

/* The rules' initial password for role, or random letters and digits
 * when the rule gives none. */
static int
org_initial(jx_db *db, struct luaenv *L, int64_t district, const char *role,
            const char *phone, char *out, size_t outlen, int64_t *valid_days)
{
	cJSON *args = cJSON_CreateArray(), *p = cJSON_CreateObject();
	cJSON *res = NULL;
	char err[256];

	*valid_days = 30;
	cJSON_AddStringToObject(p, "role", role);
	if (phone != NULL)
		cJSON_AddStringToObject(p, "phone", phone);
	cJSON_AddItemToArray(args, p);
	out[0] = '\0';
	/* The district's rule where it has one, else the default rule. */
	if (L != NULL && rules_call(db, L, district, "initial_password", args,
	                            &res, err, sizeof(err)) == 0) {
		if (cJSON_IsString(res) && strlen(res->valuestring) >= 6 &&
		    strlen(res->valuestring) < outlen)
			snprintf(out, outlen, "%s", res->valuestring);
	} else if (L != NULL) {
		jx_log(JX_LOG_ERROR, "rules", "initial_password: %s", err);
	}
	cJSON_Delete(res);
	cJSON_Delete(args);
	res = NULL;
	if (L != NULL &&
	    rules_call(db, L, district, "initial_valid_days", NULL, &res, err,
	               sizeof(err)) == 0 &&
	    cJSON_IsNumber(res) && res->valuedouble >= 1)
		*valid_days = (int64_t)res->valuedouble;
	cJSON_Delete(res);
	if (out[0] == '\0')
		crypto_random_string(out, 8, ORG_ALNUM);
	return 0;
}

int
org_student_login(jx_db *db, char out[16])
{
	for (int tries = 0; tries < 50; tries++) {
		/* 8 digits, first not 0: never mistaken for a phone. */
		snprintf(out, 16, "%u%07u", 1 + crypto_uniform(9),
		         crypto_uniform(10000000));
		if (db_one(db, "SELECT 1 FROM accounts WHERE login = ?", "s",
		           out) == 0)
			return 0;
	}
	return -1;
}

int64_t
org_account(jx_db *db, struct luaenv *L, int64_t district, int64_t person,
            const char *login, const char *role, const char *phone,
            char *initial_out, size_t initial_len, char *err, size_t errlen)
{
	char initial[64], *sealed;
	int64_t id, days;

	if (initial_out != NULL && initial_len > 0)
		initial_out[0] = '\0';
	id = db_one(db, "SELECT id FROM accounts WHERE person_id = ?", "i",
	            person);
	if (id != 0)
		return id;
	org_initial(db, L, district, role, phone, initial, sizeof(initial),
	            &days);
	sealed = crypto_seal(initial);
	if (sealed == NULL) {
		snprintf(err, errlen, "cannot seal the initial password");
		return -1;
	}
	id = db_insert(
	    db,
	    "INSERT INTO accounts(person_id, login, initial_password, "
	    "initial_expires_at, must_change_password, created_at) "
	    "VALUES (?, ?, ?, ?, 1, ?)",
	    "issii", person, login, sealed, jx_now() + days * 86400, jx_now());
	free(sealed);
	if (id <= 0) {
		snprintf(err, errlen, "login %s is taken", login);
		return -1;
	}
	if (initial_out != NULL)
		snprintf(initial_out, initial_len, "%s", initial);
	return id;
}

int
org_reset_password(jx_db *db, struct luaenv *L, int64_t account, char *out,
                   size_t outlen, char *err, size_t errlen)
{
	jx_stmt *st = db_query(db,
	                       "SELECT p.phone, (SELECT role FROM identities i "
	                       "WHERE i.account_id = a.id AND i.status = "
	                       "'active' ORDER BY i.id LIMIT 1) FROM accounts "
	                       "a LEFT JOIN persons p ON p.id = a.person_id "
	                       "WHERE a.id = ?",
	                       "i", account);
	char phone[32] = "", role[32] = "student", *sealed;
	int64_t days;

	if (st == NULL || db_step(st) != JX_DB_ROW) {
		db_finish(st);
		snprintf(err, errlen, "no such account");
		return -1;
	}
	if (!db_is_null(st, 0))
		snprintf(phone, sizeof(phone), "%s", db_text(st, 0));
	if (!db_is_null(st, 1))
		snprintf(role, sizeof(role), "%s", db_text(st, 1));
	db_finish(st);
	org_initial(db, L, rules_account_district(db, account), role,
	            phone[0] ? phone : NULL, out, outlen, &days);
	sealed = crypto_seal(out);
	if (sealed == NULL ||
	    db_exec(db,
	            "UPDATE accounts SET password_hash = NULL, "
	            "initial_password = ?, initial_expires_at = ?, "
	            "must_change_password = 1 WHERE id = ?",
	            "sii", sealed, jx_now() + days * 86400, account) != 1 ||
	    db_exec(db, "DELETE FROM sessions WHERE account_id = ?", "i",
	            account) < 0) {
		free(sealed);
		snprintf(err, errlen, "cannot reset: %s", db_errmsg(db));
		return -1;
	}
	free(sealed);
	return 0;
}

int64_t
org_identity(jx_db *db, int64_t account, const char *role, int64_t district,
             int64_t school, int64_t student, char *err, size_t errlen)
{
	int64_t id = db_one(db,
	                    "SELECT id FROM identities WHERE account_id = ? "
	                    "AND role = ? AND COALESCE(district_id, 0) = ? "
	                    "AND COALESCE(school_id, 0) = ? AND "
	                    "COALESCE(student_id, 0) = ?",
	                    "isiii", account, role, district, school, student);

	if (id > 0) {
		db_exec(
		    db,
		    "UPDATE identities SET status = 'active', ended_at = NULL "
		    "WHERE id = ?",
		    "i", id);
		return id;
	}
	id = db_insert(db,
	               "INSERT INTO identities(account_id, role, district_id, "
	               "school_id, student_id, created_at) VALUES (?, ?, "
	               "NULLIF(?, 0), NULLIF(?, 0), NULLIF(?, 0), ?)",
	               "isiiii", account, role, district, school, student,
	               jx_now());
	if (id <= 0) {
		snprintf(err, errlen, "cannot create the identity: %s",
		         db_errmsg(db));
		return -1;
	}
	return id;
}

/* ---- endpoints ------------------------------------------------------ */

static int
org_role(jx_req *req, const char *role)
{
	return req->identity != NULL && strcmp(req->identity->role, role) == 0;
}

static int
org_forbidden(jx_req *req)
{
	return http_reply_problem(req, 403, "forbidden", "Forbidden",
	                          "Your identity may not do this.");
}

static int
org_not_found(jx_req *req)
{
	return http_reply_problem(req, 404, "not-found", "Not found",
	                          "No such resource.");
}

/* A required string member of at most max characters (UTF-8). */
static const char *
org_string(jx_req *req, const cJSON *body, const char *name, size_t max,
           int *bad)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, name);
	const char *s;
	size_t chars = 0;

	if (!cJSON_IsString(v)) {
		problem_add_error(
		    &req->errors, 0, name,
		    arena_sprintf(req->arena, "%s is required", name));
		*bad = 1;
		return NULL;
	}
	s = v->valuestring;
	while (*s == ' ')
		s++;
	for (const char *p = s; *p; p++)
		chars += ((unsigned char)*p & 0xc0) != 0x80;
	if (chars == 0 || chars > max) {
		problem_add_error(
		    &req->errors, 0, name,
		    arena_sprintf(req->arena,
		                  "%s must have 1 to %zu characters", name,
		                  max));
		*bad = 1;
		return NULL;
	}
	return s;
}

static int
org_validation_reply(jx_req *req)
{
	return http_reply_problem(req, 422, "validation-failed",
	                          "Invalid input",
	                          "Some fields are missing or invalid.");
}

static int
route_district_create(jx_req *req, void *ud)
{
	cJSON *body, *o;
	const char *code, *name;
	jx_db *db = req->worker->db;
	int bad = 0;
	int64_t id;

	if (!org_role(req, "city_admin"))
		return org_forbidden(req);
	body = http_json(req);
	if (body == NULL)
		return req->status;
	code = org_string(req, body, "code", 12, &bad);
	name = org_string(req, body, "name", 50, &bad);
	if (!bad && (strlen(code) != 6 || strspn(code, "0123456789") != 6)) {
		problem_add_error(&req->errors, 0, "code",
		                  "code must be the 6-digit administrative "
		                  "division code, e.g. 430102");
		bad = 1;
	}
	if (bad)
		return org_validation_reply(req);
	if (db_one(db, "SELECT id FROM districts WHERE code = ?", "s", code) >
	    0)
		return http_reply_problem(req, 409, "conflict",
		                          "District exists",
		                          "A district with this code exists.");
	if (db_begin(db) != 0)
		goto fail;
	id = db_one(db,
	            "INSERT INTO districts(code, name, created_at) VALUES (?, "
	            "?, ?) RETURNING id",
	            "ssi", code, name, jx_now());
	/* The district's own rules, when the deployment ships a chunk named
	 * after its code (the code is six digits: no path tricks). */
	if (id <= 0 || rules_seed(db, id, code) < 0 ||
	    audit_req(req, "org.district_created", code, NULL) != 0)
		goto rollback;
	if (events_publish(db, "org.district_created", body) != 0)
		goto rollback;
	if (db_commit(db) != 0)
		goto fail;
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)id);
	cJSON_AddStringToObject(o, "code", code);
	cJSON_AddStringToObject(o, "name", name);
	return http_reply_json(req, 201, o);
rollback:
	db_rollback(db);
fail:
	return http_reply_problem(req, 500, "storage", "Storage error", NULL);
}

static int
route_districts(jx_req *req, void *ud)
{
	jx_db *db = req->worker->db;
	cJSON *rows;

	if (org_role(req, "city_admin"))
		rows = db_rows(db,
		               "SELECT id, code, name FROM districts ORDER "
		               "BY code",
		               "");
	else
		rows = db_rows(
		    db, "SELECT id, code, name FROM districts WHERE id = ?",
		    "i", req->identity ? req->identity->district_id : 0);
	if (rows == NULL)
		return http_reply_problem(req, 500, "storage", "Storage error",
		                          NULL);
	return http_reply_json(req, 200, rows);
}

static int
route_schools(jx_req *req, void *ud)
{
	int64_t did = jx_host_table.req_param_id(req, "did");
	cJSON *rows;

	/* The city admin sees every district, but only existing ones. */
	if (did < 0 ||
	    !access_may(req->worker->db, req->identity, JX_SEE_DISTRICT, did) ||
	    db_one(req->worker->db, "SELECT id FROM districts WHERE id = ?",
	           "i", did) <= 0)
		return org_not_found(req);
	rows = db_rows(req->worker->db,
	               "SELECT id, code, name, stage FROM schools WHERE "
	               "district_id = ? ORDER BY code",
	               "i", did);
	if (rows == NULL)
		return http_reply_problem(req, 500, "storage", "Storage error",
		                          NULL);
	return http_reply_json(req, 200, rows);
}

static int
route_school_create(jx_req *req, void *ud)
{
	static const char *const stages[] = {
	    "primary", "junior", "senior", "nine_year", "twelve_year", NULL};
	int64_t did = jx_host_table.req_param_id(req, "did"), id;
	jx_db *db = req->worker->db;
	const char *code, *name, *stage;
	cJSON *body, *o;
	int bad = 0, ok = 0;

	if (did < 0 || !access_may(db, req->identity, JX_SEE_DISTRICT, did) ||
	    db_one(db, "SELECT id FROM districts WHERE id = ?", "i", did) <= 0)
		return org_not_found(req);
	if (!org_role(req, "city_admin") && !org_role(req, "district_admin"))
		return org_forbidden(req);
	body = http_json(req);
	if (body == NULL)
		return req->status;
	code = org_string(req, body, "code", 20, &bad);
	name = org_string(req, body, "name", 60, &bad);
	stage = org_string(req, body, "stage", 20, &bad);
	for (int i = 0; stage != NULL && stages[i]; i++)
		ok |= strcmp(stage, stages[i]) == 0;
	if (stage != NULL && !ok) {
		problem_add_error(&req->errors, 0, "stage",
		                  "stage must be primary, junior, senior, "
		                  "nine_year or twelve_year");
		bad = 1;
	}
	if (bad)
		return org_validation_reply(req);
	if (db_one(db, "SELECT id FROM schools WHERE code = ?", "s", code) > 0)
		return http_reply_problem(req, 409, "conflict", "School exists",
		                          "A school with this code exists.");
	if (db_begin(db) != 0)
		goto fail;
	id = db_one(db,
	            "INSERT INTO schools(district_id, code, name, stage, "
	            "created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
	            "isssi", did, code, name, stage, jx_now());
	if (id <= 0 || audit_req(req, "org.school_created", code, NULL) != 0 ||
	    db_commit(db) != 0) {
		db_rollback(db);
		goto fail;
	}
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)id);
	cJSON_AddStringToObject(o, "code", code);
	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddStringToObject(o, "stage", stage);
	return http_reply_json(req, 201, o);
fail:
	return http_reply_problem(req, 500, "storage", "Storage error", NULL);
}

/* Creates (or finds) the adult and gives them an admin identity. */
static int
org_admin_create(jx_req *req, const char *role, int64_t district,
                 int64_t school)
{
	jx_db *db = req->worker->db;
	char err[256], initial[64];
	const char *name, *phone;
	int64_t person, account, identity;
	cJSON *body, *o;
	int bad = 0;

	body = http_json(req);
	if (body == NULL)
		return req->status;
	name = org_string(req, body, "name", 50, &bad);
	phone = org_string(req, body, "phone", 11, &bad);
	if (phone != NULL && !org_phone_valid(phone)) {
		problem_add_error(&req->errors, 0, "phone",
		                  "phone must be 11 digits starting with 1");
		bad = 1;
	}
	if (bad)
		return org_validation_reply(req);
	if (db_begin(db) != 0)
		goto fail;
	person = org_adult(db, name, phone, NULL, err, sizeof(err));
	account = person > 0 ? org_account(db, req->worker->lua, district,
	                                   person, phone, role, phone, initial,
	                                   sizeof(initial), err, sizeof(err))
	                     : -1;
	identity = account > 0 ? org_identity(db, account, role, district,
	                                      school, 0, err, sizeof(err))
	                       : -1;
	if (identity <= 0 ||
	    audit_req(req, "org.admin_created", phone, NULL) != 0 ||
	    db_commit(db) != 0) {
		db_rollback(db);
		jx_log(JX_LOG_ERROR, "org", "admin: %s", err);
		goto fail;
	}
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "person_id", (double)person);
	cJSON_AddNumberToObject(o, "account_id", (double)account);
	cJSON_AddStringToObject(o, "login", phone);
	cJSON_AddNumberToObject(o, "identity_id", (double)identity);
	return http_reply_json(req, 201, o);
fail:
	return http_reply_problem(req, 500, "storage", "Storage error", NULL);
}

static int
route_district_admin(jx_req *req, void *ud)
{
	int64_t did = jx_host_table.req_param_id(req, "did");

	if (!org_role(req, "city_admin"))
		return did > 0 && access_may(req->worker->db, req->identity,
		                             JX_SEE_DISTRICT, did)
		           ? org_forbidden(req)
		           : org_not_found(req);
	if (did < 0 ||
	    db_one(req->worker->db, "SELECT id FROM districts WHERE id = ?",
	           "i", did) <= 0)
		return org_not_found(req);
	return org_admin_create(req, "district_admin", did, 0);
}

static int
route_school_admin(jx_req *req, void *ud)
{
	int64_t sid = jx_host_table.req_param_id(req, "sid"), did;
	jx_db *db = req->worker->db;

	if (sid < 0)
		return org_not_found(req);
	did = db_one(db, "SELECT district_id FROM schools WHERE id = ?", "i",
	             sid);
	if (did <= 0 || !access_may(db, req->identity, JX_SEE_SCHOOL, sid))
		return org_not_found(req);
	if (!org_role(req, "city_admin") && !org_role(req, "district_admin"))
		return org_forbidden(req);
	return org_admin_create(req, "school_admin", did, sid);
}

int
org_routes_register(void)
{
	static const struct route routes[] = {
	    {"POST", "/api/v1/districts", route_district_create, NULL, 0, -1},
	    {"GET", "/api/v1/districts", route_districts, NULL, 0, -1},
	    {"GET", "/api/v1/districts/{did}/schools", route_schools, NULL, 0,
	     -1},
	    {"POST", "/api/v1/districts/{did}/schools", route_school_create,
	     NULL, 0, -1},
	    {"POST", "/api/v1/districts/{did}/admins", route_district_admin,
	     NULL, 0, -1},
	    {"POST", "/api/v1/schools/{sid}/admins", route_school_admin, NULL,
	     0, -1},
	};

	return router_add_all(app.router, routes,
	                      sizeof(routes) / sizeof(*routes));
}
