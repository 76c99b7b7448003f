/*
 * org.c — the organisation: districts, schools and their administrators
 * (API.md, "Organisation"), and the service every creator of people uses
 * (org.h): one person per phone, one account per person, one identity
 * per role and scope. A phone that already has an account gets one more
 * identity, never a second account.
 *
 * Layering: the service calls down (db, rules, events, notify, audit,
 * access); the endpoints at the end also call the reply toolkit
 * (reply.c) and the request's input (http.c). Nothing below calls back
 * in: the dispatcher reaches the endpoints only through the route table.
 */
#include "org.h"
#include "crypto.h"
#include "luaenv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Initial passwords: lower-case letters and digits a six-year-old or a
 * grandparent can read off a slip and type: no i, l, o, 0 or 1, no capitals
 * (no shift key on a child's first try). 31^8 is about 2^39.6, against a login
 * throttled to 5 tries per 15 minutes and a password that expires. */
#define ORG_ALNUM "abcdefghjkmnpqrstuvwxyz23456789"

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

int
org_sms_gateway(jx_db *db, int64_t district)
{
	const char *base = config_string(&app.cfg, "sms.api_base");
	jx_stmt *st;
	int active = 0, on = 0;

	for (int i = 0; i < app.nplugins; i++)
		active |= strcmp(app.plugins[i].name, "sms") == 0 &&
		          app.plugins[i].state == PLUGIN_ACTIVE;
	if (!active || base == NULL || *base == '\0')
		return 0;
	st = db_query(db, "SELECT code FROM districts WHERE id = ?", "i",
	              district);
	if (st != NULL && db_step(st) == JX_DB_ROW)
		on = access_district_has(db_text(st, 0), "sms");
	db_finish(st);
	return on;
}

static int
org_is_adult(const char *role)
{
	return strcmp(role, "student") != 0;
}

/* The rule's initial password for person (a JSON object), copied to
 * out: 1 when it gave one that is usable, 0 when it gave none. */
static int
org_rule_password(jx_db *db, struct luaenv *L, int64_t district,
                  const char *source, const cJSON *person, char *out,
                  size_t outlen, char *err, size_t errlen)
{
	cJSON *args = cJSON_CreateArray(), *res = NULL;
	int rc;

	cJSON_AddItemToArray(args, cJSON_Duplicate(person, 1));
	out[0] = '\0';
	rc = rules_call_ex(db, L, district, source, "initial_password", args,
	                   &res, NULL, err, errlen);
	cJSON_Delete(args);
	if (rc != 0)
		return -1;
	rc = 0;
	if (cJSON_IsString(res) && strlen(res->valuestring) < outlen) {
		snprintf(out, outlen, "%s", res->valuestring);
		rc = 1;
	}
	cJSON_Delete(res);
	return rc;
}

static size_t
org_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/*
 * The initial password of a new or reset account (API.md, "Logins").
 * A district's rule may give one; the host calls it twice for the
 * person, and equal outputs mean anyone who knows the inputs (a phone
 * number, a birthday) can compute it: such a password is kept only for
 * an adult whose district can send an SMS code, and then needs that
 * code at first login (*needs_code). Otherwise, or when the rule gives
 * none: adults with an SMS gateway activate by code (ORG_INITIAL_SMS,
 * out is ""), everyone else gets 8 random characters without
 * look-alikes.
 */
static int
org_initial(jx_db *db, struct luaenv *L, int64_t district, const char *role,
            const char *phone, char *out, size_t outlen, int64_t *valid_days,
            int *needs_code)
{
	cJSON *p = cJSON_CreateObject(), *res = NULL;
	int adult = org_is_adult(role), gateway, mode = ORG_INITIAL_RANDOM;
	char err[256], again[64];

	*valid_days = 30;
	*needs_code = 0;
	gateway = adult && phone != NULL && org_sms_gateway(db, district);
	cJSON_AddStringToObject(p, "role", role);
	if (phone != NULL)
		cJSON_AddStringToObject(p, "phone", phone);
	out[0] = '\0';
	/* The district's rule where it has one, else the default rule. */
	if (L != NULL) {
		int rc = org_rule_password(db, L, district, NULL, p, out,
		                           outlen, err, sizeof(err));

		if (rc < 0)
			jx_log(JX_LOG_ERROR, "rules", "initial_password: %s",
			       err);
		if (rc == 1 && org_chars(out) >= 6) {
			mode = ORG_INITIAL_RULE;
			if (org_rule_password(db, L, district, NULL, p, again,
			                      sizeof(again), err,
			                      sizeof(err)) == 1 &&
			    strcmp(again, out) == 0) {
				*needs_code = 1;
				/* Guessable and no phone to send a code to:
				 * never issued. */
				if (!gateway) {
					jx_log(JX_LOG_WARN, "rules",
					       "district %lld: a predictable "
					       "initial password without an "
					       "SMS gateway is not used",
					       (long long)district);
					mode = ORG_INITIAL_RANDOM;
					*needs_code = 0;
				}
			}
		}
		if (mode == ORG_INITIAL_RANDOM)
			out[0] = '\0';
	}
	cJSON_Delete(p);
	if (L != NULL &&
	    rules_call(db, L, district, "initial_valid_days", NULL, &res, err,
	               sizeof(err)) == 0 &&
	    cJSON_IsNumber(res) && res->valuedouble >= 1)
		*valid_days = (int64_t)res->valuedouble;
	cJSON_Delete(res);
	if (mode == ORG_INITIAL_RULE)
		return mode;
	if (gateway) {
		out[0] = '\0';
		return ORG_INITIAL_SMS;
	}
	crypto_random_string(out, 8, ORG_ALNUM);
	return ORG_INITIAL_RANDOM;
}

int
org_initial_needs_code(jx_db *db, struct luaenv *L, int64_t account,
                       const char *pw)
{
	jx_stmt *st = db_query(db,
	                       "SELECT a.initial_needs_code, p.phone, "
	                       "a.login = p.phone, (SELECT role FROM "
	                       "identities i WHERE i.account_id = a.id AND "
	                       "i.status = 'active' ORDER BY i.id LIMIT 1) "
	                       "FROM accounts a LEFT JOIN persons p ON p.id = "
	                       "a.person_id WHERE a.id = ?",
	                       "i", account);
	char phone[32] = "", role[32] = "parent", a[64], b[64], err[256];
	int flag = -1, adult = 0;
	cJSON *person;

	if (st != NULL && db_step(st) == JX_DB_ROW) {
		if (!db_is_null(st, 0))
			flag = (int)db_int(st, 0);
		if (!db_is_null(st, 1))
			snprintf(phone, sizeof(phone), "%s", db_text(st, 1));
		adult = !db_is_null(st, 2) && db_int(st, 2) == 1;
		if (!db_is_null(st, 3))
			snprintf(role, sizeof(role), "%s", db_text(st, 3));
	}
	db_finish(st);
	if (flag >= 0)
		return flag;
	/* Issued before the host told rules apart: an adult's password
	 * that holds the phone's last six digits, or that the district's
	 * rule gives the same twice, is guessable. */
	if (!adult || strlen(phone) != 11)
		return 0;
	if (strstr(pw, phone + 5) != NULL)
		return 1;
	if (L == NULL)
		return 1;
	person = cJSON_CreateObject();
	cJSON_AddStringToObject(person, "role", role);
	cJSON_AddStringToObject(person, "phone", phone);
	flag =
	    org_rule_password(db, L, rules_account_district(db, account), NULL,
	                      person, a, sizeof(a), err, sizeof(err)) == 1 &&
	    org_rule_password(db, L, rules_account_district(db, account), NULL,
	                      person, b, sizeof(b), err, sizeof(err)) == 1 &&
	    strcmp(a, b) == 0 && strcmp(a, pw) == 0;
	cJSON_Delete(person);
	return flag;
}

/* A test person the rule checks are run on. */
static cJSON *
org_test_person(const char *role, const char *phone, const char *name,
                const char *birthday, const char *login)
{
	cJSON *p = cJSON_CreateObject();

	cJSON_AddStringToObject(p, "role", role);
	if (phone != NULL)
		cJSON_AddStringToObject(p, "phone", phone);
	cJSON_AddStringToObject(p, "name", name);
	cJSON_AddStringToObject(p, "birthday", birthday);
	cJSON_AddStringToObject(p, "login", login);
	return p;
}

int
org_rules_check(jx_db *db, struct luaenv *L, int64_t district,
                const char *source, const char *lang, char *err, size_t errlen)
{
	int en = lang != NULL && strcmp(lang, "en") == 0;

	static const char *const roles[] = {"parent",       "teacher",
	                                    "school_admin", "district_admin",
	                                    "student",      NULL};
	int rc = 0;

	for (int i = 0; roles[i] != NULL && rc == 0; i++) {
		int student = strcmp(roles[i], "student") == 0;
		cJSON *x =
		    org_test_person(roles[i], student ? NULL : "13912345678",
		                    "测试甲", "2014-03-01", "31234567");
		cJSON *y =
		    org_test_person(roles[i], student ? NULL : "13787654321",
		                    "测试乙", "2015-09-12", "42345678");
		char a[256], again[256], b[256], e[256];
		int ra = org_rule_password(db, L, district, source, x, a,
		                           sizeof(a), e, sizeof(e));

		if (ra < 0) {
			snprintf(err, errlen, "%s", e);
			rc = -1;
		} else if (ra == 1 && org_chars(a) < 6) {
			if (en)
				snprintf(err, errlen,
				         "initial_password: the initial "
				         "password of a %s is shorter than 6 "
				         "characters",
				         roles[i]);
			else
				snprintf(err, errlen,
				         "initial_password: 初始密码至少 6 "
				         "个字符");
			rc = -1;
		} else if (ra == 1 &&
		           org_rule_password(db, L, district, source, y, b,
		                             sizeof(b), e, sizeof(e)) == 1 &&
		           strcmp(a, b) == 0) {
			if (en)
				snprintf(err, errlen,
				         "initial_password: the initial "
				         "password of a %s is the same for two "
				         "different people",
				         roles[i]);
			else
				snprintf(err, errlen,
				         "initial_password: "
				         "两个不同的人得到相同的初始密码");
			rc = -1;
		} else if (ra == 1 &&
		           org_rule_password(db, L, district, source, x, again,
		                             sizeof(again), e,
		                             sizeof(e)) == 1 &&
		           strcmp(a, again) == 0 &&
		           (student || !org_sms_gateway(db, district))) {
			/* Computable from what others know: allowed only
			 * where a code to the phone guards the first login. */
			if (en)
				snprintf(err, errlen,
				         "initial_password: the initial "
				         "password of a %s is predictable, and "
				         "%s",
				         roles[i],
				         student ? "students have no phone for "
				                   "an SMS code"
				                 : "the district has no SMS "
				                   "gateway for the code its "
				                   "first login needs");
			else
				snprintf(err, errlen, "initial_password: %s",
				         student
				             ? "学生的初始密码可由他人推算，"
				               "学生没有手机接收验证码"
				             : "初始密码可由他人推算，本区"
				               "没有短信网关，无法在首次登录"
				               "时发送验证码");
			rc = -1;
		}
		cJSON_Delete(x);
		cJSON_Delete(y);
	}
	return rc;
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
	char initial[64], *sealed = NULL;
	int64_t id, days;
	int needs_code, mode;

	if (initial_out != NULL && initial_len > 0)
		initial_out[0] = '\0';
	id = db_one(db, "SELECT id FROM accounts WHERE person_id = ?", "i",
	            person);
	if (id != 0)
		return id;
	mode = org_initial(db, L, district, role, phone, initial,
	                   sizeof(initial), &days, &needs_code);
	if (mode != ORG_INITIAL_SMS &&
	    (sealed = crypto_seal(initial)) == NULL) {
		snprintf(err, errlen, "cannot seal the initial password");
		return -1;
	}
	/* Activation by SMS: no initial password exists at all. */
	id = db_insert(db,
	               "INSERT INTO accounts(person_id, login, "
	               "initial_password, initial_expires_at, "
	               "initial_needs_code, must_change_password, created_at) "
	               "VALUES (?, ?, ?, CASE WHEN ? IS NULL THEN NULL ELSE ? "
	               "END, ?, 1, ?)",
	               "isssiii", person, login, sealed, sealed,
	               jx_now() + days * 86400, (int64_t)needs_code, jx_now());
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
	char phone[32] = "", role[32] = "student", *sealed = NULL;
	int64_t days;
	int needs_code, mode;

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
	/* The same rule as a new account's, never a fallback to the phone:
	 * with an SMS gateway the password is cleared and the holder
	 * activates again by code. */
	mode = org_initial(db, L, rules_account_district(db, account), role,
	                   phone[0] ? phone : NULL, out, outlen, &days,
	                   &needs_code);
	if (mode != ORG_INITIAL_SMS && (sealed = crypto_seal(out)) == NULL) {
		snprintf(err, errlen, "cannot seal the initial password");
		return -1;
	}
	if (db_exec(db,
	            "UPDATE accounts SET password_hash = NULL, "
	            "initial_password = ?, initial_expires_at = CASE WHEN ? "
	            "IS NULL THEN NULL ELSE ? END, initial_needs_code = ?, "
	            "must_change_password = 1 WHERE id = ?",
	            "ssiii", sealed, sealed, jx_now() + days * 86400,
	            (int64_t)needs_code, account) != 1 ||
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

int
org_person_within(jx_db *db, int64_t person, int64_t school)
{
	/* Ties outside school: an identity that is not a teacher of it or
	 * a parent or student of one of its students, a teacher post or a
	 * child elsewhere. */
	return db_one(db,
	              "SELECT (SELECT COUNT(*) FROM identities i JOIN "
	              "accounts a ON a.id = i.account_id LEFT JOIN students "
	              "s ON s.person_id = i.student_id WHERE a.person_id = ? "
	              "AND i.status = 'active' AND (i.role NOT IN "
	              "('teacher','parent','student') OR COALESCE(CASE WHEN "
	              "i.role IN ('parent','student') THEN s.school_id ELSE "
	              "i.school_id END, 0) <> ?)) + (SELECT COUNT(*) FROM "
	              "teachers t WHERE t.person_id = ? AND t.school_id <> ? "
	              "AND t.status = 'in_school') + (SELECT COUNT(*) FROM "
	              "guardians g JOIN students s ON s.person_id = "
	              "g.student_id WHERE g.parent_id = ? AND s.school_id <> "
	              "?) + (SELECT COUNT(*) FROM students s WHERE "
	              "s.person_id = ? AND s.school_id <> ?)",
	              "iiiiiiii", person, school, person, school, person,
	              school, person, school) == 0;
}

int
org_identity_linked(jx_db *db, int64_t person, const char *role, int64_t school,
                    int64_t district)
{
	cJSON *params = cJSON_CreateObject(), *detail = cJSON_CreateObject();
	char to[24], *d = NULL, *phone = NULL, *place = NULL;
	jx_stmt *st;
	int rc = -1;

	st = db_query(db,
	              "SELECT p.phone, COALESCE((SELECT name FROM schools "
	              "WHERE id = ?), (SELECT name FROM districts WHERE id = "
	              "?), '') FROM persons p WHERE p.id = ?",
	              "iii", school, district, person);
	if (st != NULL && db_step(st) == JX_DB_ROW) {
		if (!db_is_null(st, 0))
			phone = strdup(db_text(st, 0));
		place = strdup(db_text(st, 1));
	}
	db_finish(st);
	snprintf(to, sizeof(to), "%lld", (long long)person);
	cJSON_AddStringToObject(params, "role", role);
	cJSON_AddStringToObject(params, "place", place ? place : "");
	cJSON_AddNumberToObject(detail, "person_id", (double)person);
	cJSON_AddStringToObject(detail, "role", role);
	cJSON_AddNumberToObject(detail, "school_id", (double)school);
	cJSON_AddNumberToObject(detail, "district_id", (double)district);
	d = cJSON_PrintUnformatted(detail);
	/* The holder hears of it in the app and, where their own district
	 * can send SMS, on their phone (not a secret: no code, no data). */
	if (notify_send(db, "inapp", to, "identity_linked", params) != 0 ||
	    audit_append(db, 0, 0, "org.identity_linked", to, d, NULL) != 0)
		goto out;
	if (phone != NULL) {
		int64_t account =
		    db_one(db, "SELECT id FROM accounts WHERE person_id = ?",
		           "i", person);

		if (account > 0 &&
		    org_sms_gateway(db, rules_account_district(db, account)) &&
		    notify_send(db, "sms", phone, "identity_linked", params) !=
		        0)
			goto out;
	}
	rc = 0;
out:
	cJSON_Delete(params);
	cJSON_Delete(detail);
	cJSON_free(d);
	free(phone);
	free(place);
	return rc;
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
	int64_t did = http_param_id(req, "did");
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
	int64_t did = http_param_id(req, "did"), id;
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
	int bad = 0, existed;

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
	existed = db_one(db, "SELECT id FROM persons WHERE phone = ?", "s",
	                 phone) > 0;
	person = org_adult(db, name, phone, NULL, err, sizeof(err));
	/* An existing person keeps their record (org_adult never renames)
	 * and hears of the new identity. */
	if (person > 0 && existed &&
	    org_identity_linked(db, person, role, school, district) != 0)
		person = -1;
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
	/* null: activation by SMS, or the account existed already */
	if (initial[0] != '\0')
		cJSON_AddStringToObject(o, "initial_password", initial);
	else
		cJSON_AddNullToObject(o, "initial_password");
	return http_reply_json(req, 201, o);
fail:
	return http_reply_problem(req, 500, "storage", "Storage error", NULL);
}

static int
route_district_admin(jx_req *req, void *ud)
{
	int64_t did = http_param_id(req, "did");

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
	int64_t sid = http_param_id(req, "sid"), did;
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

/* Routes of the host's built-in module (host_route_tables). */
const struct jx_route org_routes[] = {
    {"POST", "/api/v1/districts", route_district_create, NULL, 0},
    {"GET", "/api/v1/districts", route_districts, NULL, 0},
    {"GET", "/api/v1/districts/{did}/schools", route_schools, NULL, 0},
    {"POST", "/api/v1/districts/{did}/schools", route_school_create, NULL, 0},
    {"POST", "/api/v1/districts/{did}/admins", route_district_admin, NULL, 0},
    {"POST", "/api/v1/schools/{sid}/admins", route_school_admin, NULL, 0},
    {NULL, NULL, NULL, NULL, 0},
};
