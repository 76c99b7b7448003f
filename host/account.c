/*
 * account.c — logging in and out, the caller's identities, switching
 * the acting identity, and changing the password (API.md, "Session and
 * identity"), for the JSON API and the HTML forms alike; password resets
 * by those in charge, the activation text an adult is sent again, and
 * the school pages' forms for both (issue 14); binding a child.
 */
#include "account.h"
#include "crypto.h"
#include "host.h"
#include "luaenv.h"
#include "org.h"
#include "throttle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* 0 when pw is the account's password; *initial is 1 when it matched
 * the unused initial password. */
static int
account_verify(jx_db *db, int64_t account_id, const char *pw, int *initial)
{
	jx_stmt *st = db_query(db,
	                       "SELECT password_hash, initial_password, "
	                       "initial_expires_at FROM accounts WHERE id = ?",
	                       "i", account_id);
	char *hash = NULL, *sealed = NULL, *clear;
	int64_t expires = 0;
	int ok = -1;

	*initial = 0;
	if (st == NULL)
		return -1;
	if (db_step(st) == JX_DB_ROW) {
		if (!db_is_null(st, 0))
			hash = strdup(db_text(st, 0));
		if (!db_is_null(st, 1))
			sealed = strdup(db_text(st, 1));
		expires = db_int(st, 2);
	}
	db_finish(st);
	if (hash != NULL) {
		ok = crypto_password_verify(hash, pw);
	} else if (crypto_password_dummy(pw) != 0) {
		ok = CRYPTO_BUSY;
	} else {
		/* An initial password is compared in constant time, after a
		 * dummy hash so that it costs what a real check costs. */
		if (sealed != NULL && (expires == 0 || expires > jx_now())) {
			clear = crypto_open(sealed);
			if (clear != NULL && crypto_equal(clear, pw)) {
				ok = 0;
				*initial = 1;
			}
			free(clear);
		}
	}
	free(hash);
	free(sealed);
	return ok;
}

int
account_busy(jx_req *req)
{
	int64_t wait_ms = config_int(&app.cfg, "auth.queue_wait_ms", 10000);

	/* By then the logins queued now have had their turn. */
	http_add_header(
	    req, "Retry-After",
	    arena_sprintf(
	        req->arena, "%lld",
	        (long long)(wait_ms < 1000 ? 1 : (wait_ms + 999) / 1000)));
	return http_reply_problem(req, 503, "busy", "Server busy",
	                          "Too many password checks are waiting; "
	                          "try again shortly.");
}

int
account_check_password(jx_db *db, int64_t account_id, const char *pw)
{
	int initial = 0;

	return account_verify(db, account_id, pw, &initial);
}

/* Same reply for an unknown login and a wrong password. */
static int
account_unauthorized(jx_req *req)
{
	return http_reply_problem(req, 401, "invalid-credentials",
	                          "Login failed",
	                          "The login or the password is wrong.");
}

/* A failed attempt: counted, audited, and slowed down when failures
 * across all accounts spike. */
static void
account_failed(jx_req *req, int64_t account, const char *login, int64_t now)
{
	int64_t delay = throttle_fail(
	    login, req->client_ip, now,
	    (int)config_int(&app.cfg, "auth.spray_failures_per_minute", 100));

	audit_append(req->worker->db, account, 0, "auth.login_failed", login,
	             NULL, req->client_ip);
	if (delay > 0) {
		struct timespec ts = {delay / 1000, (delay % 1000) * 1000000L};

		nanosleep(&ts, NULL);
	}
}

/*
 * A predictable initial password (API.md, "Logins") is only half of a
 * login: the other half is a code sent to the phone. Without code one
 * is sent (within the sending limits) and the client is told to ask
 * for it; a wrong code counts as a failed login. 0 when code is right
 * (and now used up), else the status replied.
 */
static int
account_login_code(jx_req *req, int64_t account, const char *login,
                   const char *code, int64_t now)
{
	jx_db *db = req->worker->db;
	int64_t id;

	if (code == NULL || *code == '\0') {
		if (!org_sms_gateway(db, rules_account_district(db, account)))
			return http_reply_problem(
			    req, 401, "sms-code-required", "SMS code required",
			    "This initial password needs a code sent to the "
			    "phone, and no SMS can be sent here: ask the "
			    "school for a new password.");
		recovery_code_send(req, account, login, "login");
		return http_reply_problem(
		    req, 401, "sms-code-required", "SMS code required",
		    "A code was sent to the phone: log in again with it "
		    "(\"code\").");
	}
	id = recovery_code_check(db, account, "login", code, now);
	if (id > 0) {
		if (db_begin(db) != 0)
			return http_reply_problem(req, 500, "storage",
			                          "Storage error", NULL);
		if (recovery_code_use(db, id, now) == 1 && db_commit(db) == 0)
			return 0;
		db_rollback(db);
		id = 0;
	}
	if (id < 0)
		return http_reply_problem(req, 500, "storage", "Storage error",
		                          NULL);
	account_failed(req, account, login, now);
	problem_add_error(&req->errors, 0, "code",
	                  http_tr(req, "验证码错误或已失效",
	                          "the code is wrong or no longer valid"));
	return http_reply_problem(req, 401, "sms-code-required",
	                          "SMS code required",
	                          "The code is wrong or no longer valid.");
}

int
account_login(jx_req *req, const char *login, const char *password,
              const char *code)
{
	jx_db *db = req->worker->db;
	int64_t now = jx_now(), wait, account = 0;
	int initial = 0, rc;
	jx_stmt *st;

	wait = throttle_check(login, req->client_ip, now);
	if (wait > 0) {
		http_add_header(
		    req, "Retry-After",
		    arena_sprintf(req->arena, "%lld", (long long)wait));
		audit_append(db, 0, 0, "auth.login_throttled", login, NULL,
		             req->client_ip);
		return http_reply_problem(req, 429, "too-many-attempts",
		                          "Too many failed attempts",
		                          "Wait before trying again.");
	}
	st =
	    db_query(db, "SELECT id FROM accounts WHERE login = ?", "s", login);
	if (st != NULL && db_step(st) == JX_DB_ROW)
		account = db_int(st, 0);
	db_finish(st);
	/* A login refused for want of a hash slot is no failed attempt. */
	rc = account == 0 ? crypto_password_dummy(password)
	                  : account_verify(db, account, password, &initial);
	if (rc == CRYPTO_BUSY)
		return account_busy(req);
	if (account != 0 && rc == 0)
		goto ok;
	account_failed(req, account, login, now);
	return account_unauthorized(req);
ok:
	if (initial &&
	    org_initial_needs_code(db, req->worker->lua, account, password) &&
	    (rc = account_login_code(req, account, login, code, now)) != 0)
		return rc;
	throttle_success(login);
	return account_session_open(req, account, login);
}

/* Publishes "auth.login" (docs/events.md) in the login's transaction:
 * who logged in and as which identity (idt NULL: none). */
static int
account_login_event(jx_db *db, int64_t account, const struct jx_identity *idt,
                    const char *via, int64_t now)
{
	cJSON *ev = cJSON_CreateObject();
	int64_t person = idt != NULL ? idt->person_id
	                             : db_one(db,
	                                      "SELECT person_id FROM "
	                                      "accounts WHERE id = ?",
	                                      "i", account);
	int rc;

	cJSON_AddNumberToObject(ev, "account_id", (double)account);
	cJSON_AddNumberToObject(ev, "person_id", (double)person);
	cJSON_AddNumberToObject(ev, "identity_id", idt ? (double)idt->id : 0);
	cJSON_AddStringToObject(ev, "role", idt ? idt->role : "");
	cJSON_AddNumberToObject(ev, "district_id",
	                        idt ? (double)idt->district_id : 0);
	cJSON_AddNumberToObject(ev, "school_id",
	                        idt ? (double)idt->school_id : 0);
	cJSON_AddNumberToObject(ev, "class_id",
	                        idt ? (double)idt->class_id : 0);
	cJSON_AddNumberToObject(ev, "student_id",
	                        idt ? (double)idt->student_id : 0);
	cJSON_AddStringToObject(ev, "via", via != NULL ? via : "password");
	cJSON_AddNumberToObject(ev, "at", (double)now);
	rc = events_publish(db, "auth.login", ev);
	cJSON_Delete(ev);
	return rc;
}

int
account_session_open(jx_req *req, int64_t account, const char *login)
{
	return account_session_open_via(req, account, login, NULL);
}

int
account_session_open_via(jx_req *req, int64_t account, const char *login,
                         const char *via)
{
	jx_db *db = req->worker->db;
	char *detail = NULL;
	char token[65], csrf[65];
	int64_t now = jx_now(), identity;
	struct jx_identity *idt = NULL;

	identity = identity_default(db, account);
	if (identity > 0) {
		idt = arena_alloc(req->arena, sizeof(*idt));
		if (identity_load(db, req->arena, identity, idt) != 0)
			idt = NULL;
	}
	if (via != NULL) {
		cJSON *d = cJSON_CreateObject();

		cJSON_AddStringToObject(d, "via", via);
		detail = cJSON_PrintUnformatted(d);
		cJSON_Delete(d);
	}
	if (db_begin(db) != 0 ||
	    session_create(db, account, identity, token, csrf) != 0 ||
	    db_exec(db,
	            "UPDATE accounts SET last_login_at = ?, last_identity_id = "
	            "COALESCE(NULLIF(?, 0), last_identity_id) WHERE id = ?",
	            "iii", now, identity, account) != 1 ||
	    audit_append(db, account, identity, "auth.login", login, detail,
	                 req->client_ip) != 0 ||
	    account_login_event(db, account, idt, via, now) != 0 ||
	    db_commit(db) != 0) {
		db_rollback(db);
		free(detail);
		return http_reply_problem(req, 500, "storage", "Storage error",
		                          "The session could not be stored.");
	}
	free(detail);
	http_add_header(req, "Set-Cookie", session_cookie(req, token));
	/* The rest of this request acts as the new session. */
	req->account_id = account;
	req->session_id = 1;
	req->csrf_token = arena_strdup(req->arena, csrf);
	req->identity = idt;
	req->role = idt != NULL ? idt->role : NULL;
	return 200;
}

const char *
account_json_string(const cJSON *body, const char *name, size_t max)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, name);

	if (!cJSON_IsString(v) || strlen(v->valuestring) > max)
		return NULL;
	return v->valuestring;
}

int
account_invalid(jx_req *req, const char *field, const char *msg)
{
	problem_add_error(&req->errors, 0, field, msg);
	return http_reply_problem(req, 422, "validation-failed",
	                          "Invalid input", msg);
}

static int
route_session_create(jx_req *req, void *ud)
{
	cJSON *body = http_json(req);
	const char *login, *password, *code;
	int rc;

	if (body == NULL)
		return req->status;
	login = account_json_string(body, "login", 64);
	password = account_json_string(body, "password", 256);
	code = account_json_string(body, "code", 64);
	if (login == NULL || *login == '\0')
		return account_invalid(req, "login", "login is required");
	if (password == NULL || *password == '\0')
		return account_invalid(req, "password", "password is required");
	/* A stale cookie is ignored: this request makes a new session. */
	req->account_id = 0;
	req->session_id = 0;
	rc = account_login(req, login, password, code);
	if (rc != 200)
		return rc;
	return http_reply_json(req, 200, identity_session_json(req));
}

static int
route_session_delete(jx_req *req, void *ud)
{
	db_exec(req->worker->db, "DELETE FROM sessions WHERE id = ?", "i",
	        req->session_id);
	audit_req(req, "auth.logout", NULL, NULL);
	http_add_header(req, "Set-Cookie", session_cookie(req, NULL));
	return http_reply_json(req, 204, NULL);
}

static int
route_me(jx_req *req, void *ud)
{
	return http_reply_json(req, 200, identity_session_json(req));
}

int
account_switch_identity(jx_req *req, int64_t identity_id)
{
	jx_db *db = req->worker->db;
	jx_stmt *st = db_query(db,
	                       "SELECT 1 FROM identities WHERE id = ? AND "
	                       "account_id = ? AND status = 'active'",
	                       "ii", identity_id, req->account_id);
	int mine = st != NULL && db_step(st) == JX_DB_ROW;

	db_finish(st);
	if (!mine)
		return http_reply_problem(req, 403, "forbidden",
		                          "Not your identity",
		                          "That identity is not yours.");
	if (db_begin(db) != 0 ||
	    db_exec(db, "UPDATE sessions SET identity_id = ? WHERE id = ?",
	            "ii", identity_id, req->session_id) != 1 ||
	    db_exec(db, "UPDATE accounts SET last_identity_id = ? WHERE id = ?",
	            "ii", identity_id, req->account_id) != 1 ||
	    audit_append(db, req->account_id, identity_id,
	                 "auth.switch_identity", NULL, NULL,
	                 req->client_ip) != 0 ||
	    db_commit(db) != 0) {
		db_rollback(db);
		return http_reply_problem(req, 500, "storage", "Storage error",
		                          NULL);
	}
	return 0;
}

static int
route_me_identity(jx_req *req, void *ud)
{
	cJSON *body = http_json(req), *o;
	const cJSON *id;
	int rc;

	if (body == NULL)
		return req->status;
	id = cJSON_GetObjectItemCaseSensitive(body, "identity_id");
	/* A whole number in range: 1.5 is no id, and converting 1e300 to
	 * an integer is undefined behaviour. */
	if (!cJSON_IsNumber(id) || id->valuedouble < 1 ||
	    id->valuedouble > 9007199254740991.0 ||
	    (double)(int64_t)id->valuedouble != id->valuedouble)
		return account_invalid(req, "identity_id",
		                       "identity_id must be an identity's id");
	rc = account_switch_identity(req, (int64_t)id->valuedouble);
	if (rc != 0)
		return rc;
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "acting_identity_id", id->valuedouble);
	return http_reply_json(req, 200, o);
}

const char *
account_policy(jx_req *req, const char *pw, const char *login, int64_t district)
{
	cJSON *args = cJSON_CreateArray(), *ctx = cJSON_CreateObject(), *res;
	char err[512];
	const char *reason = NULL;

	cJSON_AddItemToArray(args, cJSON_CreateString(pw));
	cJSON_AddStringToObject(ctx, "login", login ? login : "");
	cJSON_AddStringToObject(ctx, "lang", req->lang);
	cJSON_AddItemToArray(args, ctx);
	if (req->worker->lua == NULL ||
	    rules_call(req->worker->db, req->worker->lua, district,
	               "password_policy", args, &res, err, sizeof(err)) != 0) {
		jx_log(JX_LOG_ERROR, "rules", "password_policy: %s",
		       req->worker->lua ? err : "no Lua state");
		cJSON_Delete(args);
		return http_tr(req, "密码规则无法执行，请联系管理员",
		               "the password rule failed: tell the "
		               "administrator");
	}
	cJSON_Delete(args);
	if (cJSON_IsString(res))
		reason = arena_strdup(req->arena, res->valuestring);
	cJSON_Delete(res);
	return reason;
}

int64_t
account_unactivated(jx_db *db, int64_t account)
{
	return db_one(db,
	              "SELECT password_hash IS NULL FROM accounts WHERE id = ?",
	              "i", account);
}

int
account_activated_event(jx_db *db, int64_t account)
{
	cJSON *ev = cJSON_CreateObject();
	int rc;

	cJSON_AddNumberToObject(ev, "account_id", (double)account);
	cJSON_AddNumberToObject(ev, "person_id",
	                        (double)db_one(db,
	                                       "SELECT person_id FROM accounts "
	                                       "WHERE id = ?",
	                                       "i", account));
	cJSON_AddNumberToObject(ev, "at", (double)jx_now());
	rc = events_publish(db, "auth.activated", ev);
	cJSON_Delete(ev);
	return rc;
}

int
account_change_password(jx_req *req, const char *old_pw, const char *new_pw)
{
	jx_db *db = req->worker->db;
	char hash[CRYPTO_HASH_MAX], *initial = NULL, *login = NULL;
	const char *reason;
	jx_stmt *st;
	int64_t first = 0;
	int rc;

	rc = account_check_password(db, req->account_id, old_pw);
	if (rc == CRYPTO_BUSY)
		return account_busy(req);
	if (rc != 0)
		return account_invalid(
		    req, "old_password",
		    http_tr(req, "旧密码不正确", "the old password is wrong"));
	st = db_query(db,
	              "SELECT initial_password, login FROM accounts WHERE id "
	              "= ?",
	              "i", req->account_id);
	if (st != NULL && db_step(st) == JX_DB_ROW) {
		if (!db_is_null(st, 0))
			initial = crypto_open(db_text(st, 0));
		login = arena_strdup(req->arena, db_text(st, 1));
	}
	db_finish(st);
	reason = account_policy(req, new_pw, login,
	                        rules_account_district(db, req->account_id));
	if (reason == NULL && initial != NULL && strcmp(initial, new_pw) == 0)
		reason = http_tr(req, "新密码不能与初始密码相同",
		                 "the new password must differ from the "
		                 "initial one");
	if (reason == NULL && strcmp(old_pw, new_pw) == 0)
		reason = http_tr(req, "新密码不能与旧密码相同",
		                 "the new password must differ from the old "
		                 "one");
	free(initial);
	if (reason != NULL)
		return account_invalid(req, "new_password", reason);
	if (crypto_password_hash(new_pw, hash) != 0)
		return account_busy(req);
	/* Other sessions of the account end: whoever knew the old password
	 * is logged out. */
	if (db_begin(db) != 0 ||
	    (first = account_unactivated(db, req->account_id)) < 0 ||
	    db_exec(db,
	            "UPDATE accounts SET password_hash = ?, initial_password = "
	            "NULL, initial_expires_at = NULL, must_change_password = "
	            "0, password_changed_at = ? WHERE id = ?",
	            "sii", hash, jx_now(), req->account_id) != 1 ||
	    db_exec(db, "DELETE FROM sessions WHERE account_id = ? AND id <> ?",
	            "ii", req->account_id, req->session_id) < 0 ||
	    audit_append(
	        db, req->account_id, req->identity ? req->identity->id : 0,
	        "auth.password_change", login, NULL, req->client_ip) != 0 ||
	    (first && account_activated_event(db, req->account_id) != 0) ||
	    db_commit(db) != 0) {
		db_rollback(db);
		return http_reply_problem(req, 500, "storage", "Storage error",
		                          NULL);
	}
	req->must_change = 0;
	return 0;
}

static int
route_me_password(jx_req *req, void *ud)
{
	cJSON *body = http_json(req);
	const char *old_pw, *new_pw;
	int rc;

	if (body == NULL)
		return req->status;
	old_pw = account_json_string(body, "old_password", 256);
	new_pw = account_json_string(body, "new_password", 256);
	if (old_pw == NULL)
		return account_invalid(req, "old_password",
		                       "old_password is required");
	if (new_pw == NULL)
		return account_invalid(req, "new_password",
		                       "new_password is required (at most 256 "
		                       "characters)");
	rc = account_change_password(req, old_pw, new_pw);
	if (rc != 0)
		return rc;
	return http_reply_json(req, 204, NULL);
}

/* Routes of the host's built-in module (host_route_tables). */
const struct jx_route account_routes[] = {
    {"POST", "/api/v1/session", route_session_create, NULL,
     JX_ROUTE_PUBLIC | JX_ROUTE_NO_CSRF},
    {"DELETE", "/api/v1/session", route_session_delete, NULL, 0},
    {"GET", "/api/v1/me", route_me, NULL, 0},
    {"PUT", "/api/v1/me/identity", route_me_identity, NULL, 0},
    {"PUT", "/api/v1/me/password", route_me_password, NULL, 0},
    {NULL, NULL, NULL, NULL, 0},
};

/* ---- password resets and child binding ------------------------------ */

enum { RESET_HIDDEN, RESET_VISIBLE, RESET_ALLOWED };

/* What the acting identity may do to account's password (API.md,
 * "password-reset"): hidden (404), visible (403) or allowed. */
static int
account_reset_scope(jx_req *req, int64_t account)
{
	const struct jx_identity *me = req->identity;
	jx_db *db = req->worker->db;
	int seen = 0, all_school_members = 1, any = 0, admin_in = 0;
	int all_in_district = 1;
	int64_t person = 0;
	jx_stmt *st;

	if (me == NULL)
		return RESET_HIDDEN;
	st = db_query(db, "SELECT person_id FROM accounts WHERE id = ?", "i",
	              account);
	if (st == NULL || db_step(st) != JX_DB_ROW) {
		db_finish(st);
		return RESET_HIDDEN;
	}
	person = db_int(st, 0);
	db_finish(st);
	/* Each active identity of the account with its effective school
	 * (a parent's or student's is the child's) and district. */
	st = db_query(db,
	              "SELECT i.role, sc.id, COALESCE(sc.district_id, "
	              "i.district_id), s.class_id FROM identities i "
	              "LEFT JOIN students s ON s.person_id = i.student_id "
	              "LEFT JOIN schools sc ON sc.id = CASE WHEN i.role IN "
	              "('parent','student') THEN s.school_id ELSE i.school_id "
	              "END WHERE i.account_id = ? AND i.status = 'active'",
	              "i", account);
	while (st != NULL && db_step(st) == JX_DB_ROW) {
		const char *role = db_text(st, 0);
		int64_t school = db_int(st, 1), district = db_int(st, 2);
		int64_t klass = db_int(st, 3);
		int member = strcmp(role, "teacher") == 0 ||
		             strcmp(role, "student") == 0 ||
		             strcmp(role, "parent") == 0;

		any = 1;
		if (strcmp(me->role, "city_admin") == 0) {
			seen = 1;
			admin_in |= strcmp(role, "district_admin") == 0;
		} else if (strcmp(me->role, "district_admin") == 0) {
			seen |= district == me->district_id;
			admin_in |= strcmp(role, "school_admin") == 0 &&
			            district == me->district_id;
			/* Like a school admin's, a district admin's reach ends
			 * at accounts wholly in the district: not one that
			 * also runs a district or has a role elsewhere. */
			if (district != me->district_id ||
			    strcmp(role, "district_admin") == 0 ||
			    strcmp(role, "city_admin") == 0 ||
			    strcmp(role, "base_admin") == 0)
				all_in_district = 0;
		} else if (strcmp(me->role, "school_admin") == 0) {
			seen |= school == me->school_id;
			if (!member || school != me->school_id)
				all_school_members = 0;
		} else if (strcmp(me->role, "teacher") == 0) {
			for (int k = 0; k < me->nclass_ids; k++)
				seen |= strcmp(role, "student") == 0 &&
				        klass == me->class_ids[k];
		}
	}
	db_finish(st);
	if (strcmp(me->role, "parent") == 0)
		return person == me->student_id ? RESET_ALLOWED : RESET_HIDDEN;
	if (strcmp(me->role, "student") == 0)
		return person == me->person_id ? RESET_VISIBLE : RESET_HIDDEN;
	if (!seen && strcmp(me->role, "city_admin") != 0)
		return RESET_HIDDEN;
	if (strcmp(me->role, "school_admin") == 0)
		return any && all_school_members ? RESET_ALLOWED
		                                 : RESET_VISIBLE;
	if (strcmp(me->role, "district_admin") == 0)
		return admin_in && all_in_district ? RESET_ALLOWED
		                                   : RESET_VISIBLE;
	if (strcmp(me->role, "city_admin") == 0)
		return admin_in ? RESET_ALLOWED : RESET_VISIBLE;
	return RESET_VISIBLE;
}

/* 404 or 403 for a scope that does not allow; 0 when allowed. */
static int
account_scope_reply(jx_req *req, int64_t account, const char *what)
{
	int scope =
	    account > 0 ? account_reset_scope(req, account) : RESET_HIDDEN;

	if (scope == RESET_HIDDEN)
		return http_reply_problem(req, 404, "not-found", "Not found",
		                          "No such account.");
	if (scope == RESET_VISIBLE)
		return http_reply_problem(
		    req, 403, "forbidden", "Forbidden",
		    arena_sprintf(req->arena, "You may not %s this account.",
		                  what));
	return 0;
}

/* What a reset or an activation text needs of an account: its login,
 * the person's phone ("" when none: a student) and whether a password
 * of the holder's own choosing is set. 0, or -1 when there is none. */
static int
account_holder(jx_req *req, int64_t account, const char **login,
               const char **phone, int *activated)
{
	jx_stmt *st = db_query(req->worker->db,
	                       "SELECT a.login, CASE WHEN a.login = p.phone "
	                       "THEN p.phone END, a.password_hash IS NOT NULL "
	                       "FROM accounts a LEFT JOIN persons p ON p.id = "
	                       "a.person_id WHERE a.id = ?",
	                       "i", account);
	int rc = -1;

	if (st != NULL && db_step(st) == JX_DB_ROW) {
		*login = arena_strdup(req->arena, db_text(st, 0));
		*phone = arena_strdup(req->arena,
		                      db_is_null(st, 1) ? "" : db_text(st, 1));
		*activated = db_int(st, 2) != 0;
		rc = 0;
	}
	db_finish(st);
	return rc;
}

/*
 * The text that asks the holder of phone to activate their account at
 * public_url/activate (template "account_reset" after a reset,
 * "account_activation_invite" when the school sends it again), with the
 * caller's school or district as the sender. It carries no secret: the
 * code comes only when the holder asks for it on the activation page.
 * In the caller's transaction; 0 or -1.
 */
static int
account_invite(jx_req *req, int64_t account, const char *phone,
               const char *template_name)
{
	const char *url = config_string(&app.cfg, "public_url");
	const struct jx_identity *me = req->identity;
	char *base = arena_strdup(req->arena, url ? url : "");
	jx_stmt *st;
	cJSON *params = cJSON_CreateObject();
	int rc;

	for (size_t n = strlen(base); n > 0 && base[n - 1] == '/'; n--)
		base[n - 1] = '\0';
	cJSON_AddStringToObject(params, "url",
	                        arena_sprintf(req->arena, "%s/activate", base));
	st = db_query(req->worker->db,
	              "SELECT COALESCE((SELECT name FROM schools WHERE id = "
	              "?), (SELECT name FROM districts WHERE id = ?), '')",
	              "ii", me ? me->school_id : 0, me ? me->district_id : 0);
	cJSON_AddStringToObject(
	    params, "place",
	    st != NULL && db_step(st) == JX_DB_ROW ? db_text(st, 0) : "");
	db_finish(st);
	{
		/* The outbox's indexed ref lets the next resend find it. */
		struct jx_message m = {
		    .size = sizeof(m),
		    .channel = "sms",
		    .to = phone,
		    .template_name = template_name,
		    .params = params,
		    .ref = arena_sprintf(req->arena, "account:%lld",
		                         (long long)account),
		};

		rc = notify_message(req->worker->db, &m) < 0 ? -1 : 0;
	}
	cJSON_Delete(params);
	return rc;
}

int
account_reset(jx_req *req, int64_t account, cJSON **out)
{
	jx_db *db = req->worker->db;
	char initial[64], err[256];
	const char *login = "", *phone = "";
	cJSON *detail = NULL;
	int activated = 0, sms = 0, rc;

	*out = NULL;
	if ((rc = account_scope_reply(req, account, "reset the password of")) !=
	    0)
		return rc;
	if (account_holder(req, account, &login, &phone, &activated) != 0)
		return http_reply_problem(req, 404, "not-found", "Not found",
		                          "No such account.");
	if (db_begin(db) != 0 ||
	    org_reset_password(db, req->worker->lua, account, initial,
	                       sizeof(initial), err, sizeof(err)) != 0)
		goto fail;
	/* No initial password: the district activates adults by SMS, so
	 * the holder is told to activate again (issue 14). */
	sms = initial[0] == '\0' && phone[0] != '\0';
	if (sms) {
		detail = cJSON_CreateObject();
		cJSON_AddBoolToObject(detail, "sms_sent", 1);
		if (account_invite(req, account, phone, "account_reset") != 0)
			goto fail;
	}
	/* The target is the login; neither password nor code is logged. */
	if (audit_req(req, "auth.password_reset", login, detail) != 0 ||
	    db_commit(db) != 0)
		goto fail;
	cJSON_Delete(detail);
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "login", login);
	/* null: the holder activates again by SMS code */
	if (initial[0] != '\0')
		cJSON_AddStringToObject(*out, "initial_password", initial);
	else
		cJSON_AddNullToObject(*out, "initial_password");
	cJSON_AddBoolToObject(*out, "sms_sent", sms);
	return 0;
fail:
	db_rollback(db);
	cJSON_Delete(detail);
	return http_reply_problem(req, 500, "storage", "Storage error", NULL);
}

int
account_activation_resend(jx_req *req, int64_t account, cJSON **out)
{
	jx_db *db = req->worker->db;
	const char *login = "", *phone = "";
	int64_t now = jx_now();
	int activated = 0, rc;

	*out = NULL;
	if ((rc = account_scope_reply(req, account, "send an activation to")) !=
	    0)
		return rc;
	if (account_holder(req, account, &login, &phone, &activated) != 0)
		return http_reply_problem(req, 404, "not-found", "Not found",
		                          "No such account.");
	if (phone[0] == '\0')
		return http_reply_problem(
		    req, 422, "no-phone", "No phone",
		    http_tr(req, "该账号没有手机号，不能用短信激活",
		            "The account has no phone to activate by SMS."));
	if (activated)
		return http_reply_problem(
		    req, 409, "already-activated", "Already activated",
		    http_tr(req, "该账号已激活，如忘记密码请重置密码",
		            "The account is activated already: reset its "
		            "password instead."));
	if (!org_sms_gateway(db, rules_account_district(db, account)))
		return http_reply_problem(
		    req, 422, "no-sms-gateway", "No SMS gateway",
		    http_tr(req, "本区没有短信网关，请重置密码并打印账号条",
		            "The district cannot send SMS: reset the "
		            "password and print a slip instead."));
	/* One text a minute per account: a double tap or a script must not
	 * flood a phone (or the district's SMS bill). */
	if (db_one(
	        db,
	        "SELECT COUNT(*) FROM outbox WHERE ref = ? AND template = "
	        "'account_activation_invite' AND created_at > ?",
	        "si",
	        arena_sprintf(req->arena, "account:%lld", (long long)account),
	        now - 60) > 0) {
		http_add_header(req, "Retry-After", "60");
		return http_reply_problem(
		    req, 429, "too-many-attempts", "Sent a moment ago",
		    http_tr(req, "刚刚已发送，请一分钟后再试",
		            "A text went out a moment ago: try again in a "
		            "minute."));
	}
	/* Re-armed: an initial password left on record (expired, or from
	 * before the district had a gateway) goes; the holder activates by
	 * a code to the phone, as a new adult of the district does. */
	if (db_begin(db) != 0 ||
	    db_exec(db,
	            "UPDATE accounts SET initial_password = NULL, "
	            "initial_expires_at = NULL, initial_needs_code = 0, "
	            "must_change_password = 1 WHERE id = ? AND password_hash "
	            "IS NULL",
	            "i", account) != 1 ||
	    account_invite(req, account, phone, "account_activation_invite") !=
	        0 ||
	    audit_req(req, "auth.activation_resent", login, NULL) != 0 ||
	    db_commit(db) != 0) {
		db_rollback(db);
		return http_reply_problem(req, 500, "storage", "Storage error",
		                          NULL);
	}
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "login", login);
	cJSON_AddBoolToObject(*out, "sms_sent", 1);
	return 0;
}

static int
route_password_reset(jx_req *req, void *ud)
{
	cJSON *o;
	int rc = account_reset(req, http_param_id(req, "aid"), &o);

	if (rc != 0)
		return rc;
	return http_reply_json(req, 200, o);
}

static int
route_activation_resend(jx_req *req, void *ud)
{
	cJSON *o;
	int rc = account_activation_resend(req, http_param_id(req, "aid"), &o);

	if (rc != 0)
		return rc;
	return http_reply_json(req, 202, o);
}

/* An adult binds a child with the slip's login and password (the seed's
 * binding flow): a new parent identity. */
int
account_bind_child(jx_req *req, const char *login, const char *password,
                   const char *relation, cJSON **out)
{
	jx_db *db = req->worker->db;
	int64_t student = 0, student_account = 0, me_person = 0, identity, wait,
	        school = 0, district = 0;
	char key[96], err[256];
	jx_stmt *st;
	int rc;

	*out = NULL;
	if (login == NULL || *login == '\0' || strlen(login) > 16)
		return account_invalid(req, "student_login",
		                       "student_login is required");
	if (password == NULL || *password == '\0' || strlen(password) > 256)
		return account_invalid(req, "student_password",
		                       "student_password is required");
	if (relation != NULL && strlen(relation) > 60)
		return account_invalid(req, "relation",
		                       "relation is at most 20 characters");
	snprintf(key, sizeof(key), "bind:%s", login);
	wait = throttle_check(key, req->client_ip, jx_now());
	if (wait > 0) {
		http_add_header(
		    req, "Retry-After",
		    arena_sprintf(req->arena, "%lld", (long long)wait));
		return http_reply_problem(req, 429, "too-many-attempts",
		                          "Too many failed attempts",
		                          "Wait before trying again.");
	}
	st = db_query(db,
	              "SELECT a.id, a.person_id, s.school_id, sc.district_id "
	              "FROM accounts a JOIN students s ON s.person_id = "
	              "a.person_id AND s.status = 'in_school' JOIN schools sc "
	              "ON sc.id = s.school_id WHERE a.login = ?",
	              "s", login);
	if (st != NULL && db_step(st) == JX_DB_ROW) {
		student_account = db_int(st, 0);
		student = db_int(st, 1);
		school = db_int(st, 2);
		district = db_int(st, 3);
	}
	db_finish(st);
	rc = student_account == 0
	         ? crypto_password_dummy(password)
	         : account_check_password(db, student_account, password);
	if (rc == CRYPTO_BUSY)
		return account_busy(req);
	if (student_account == 0 || rc != 0) {
		throttle_fail(key, req->client_ip, jx_now(), 0);
		return account_invalid(
		    req, "student_password",
		    http_tr(req, "学生账号或密码不正确",
		            "the student's login or password is wrong"));
	}
	st = db_query(db, "SELECT person_id FROM accounts WHERE id = ?", "i",
	              req->account_id);
	if (st != NULL && db_step(st) == JX_DB_ROW)
		me_person = db_int(st, 0);
	db_finish(st);
	if (me_person == student)
		return account_invalid(req, "student_login",
		                       "a student cannot be their own parent");
	/* Only adults bind children: an adult's account is their phone. */
	st = db_query(db,
	              "SELECT 1 FROM accounts a JOIN persons p ON p.id = "
	              "a.person_id WHERE a.id = ? AND p.phone IS NOT NULL AND "
	              "a.login = p.phone",
	              "i", req->account_id);
	if (st == NULL || db_step(st) != JX_DB_ROW) {
		db_finish(st);
		return http_reply_problem(
		    req, 403, "forbidden", "Forbidden",
		    "Only a parent's own account (a phone "
		    "number) can bind a child.");
	}
	db_finish(st);
	st = db_query(db,
	              "SELECT 1 FROM identities WHERE account_id = ? AND role "
	              "= 'parent' AND student_id = ? AND status = 'active'",
	              "ii", req->account_id, student);
	if (st != NULL && db_step(st) == JX_DB_ROW) {
		db_finish(st);
		return http_reply_problem(req, 409, "conflict", "Already bound",
		                          "This child is already bound to your "
		                          "account.");
	}
	db_finish(st);
	if (db_begin(db) != 0)
		goto fail;
	if (db_exec(db,
	            "INSERT INTO guardians(parent_id, student_id, relation, "
	            "created_at) VALUES (?, ?, ?, ?) ON CONFLICT(parent_id, "
	            "student_id) DO UPDATE SET relation = "
	            "COALESCE(excluded.relation, guardians.relation)",
	            "iisi", me_person, student, relation, jx_now()) < 0)
		goto rollback;
	identity = org_identity(db, req->account_id, "parent", district, school,
	                        student, err, sizeof(err));
	if (identity <= 0 ||
	    audit_req(req, "auth.child_bound", login, NULL) != 0 ||
	    db_commit(db) != 0)
		goto rollback;
	{
		struct jx_identity idt;

		if (identity_load(db, req->arena, identity, &idt) != 0)
			goto fail;
		*out = identity_json(db, req->arena, &idt);
	}
	return 0;
rollback:
	db_rollback(db);
fail:
	return http_reply_problem(req, 500, "storage", "Storage error", NULL);
}

static int
route_bind_child(jx_req *req, void *ud)
{
	cJSON *body = http_json(req), *o;
	int rc;

	if (body == NULL)
		return req->status;
	/* A relation that cannot be kept is refused, never dropped. */
	{
		const cJSON *rel =
		    cJSON_GetObjectItemCaseSensitive(body, "relation");
		size_t chars = 0;

		if (rel != NULL && !cJSON_IsNull(rel) && !cJSON_IsString(rel))
			return account_invalid(req, "relation",
			                       "relation must be text such as "
			                       "父亲");
		if (cJSON_IsString(rel))
			for (const char *p = rel->valuestring; *p; p++)
				chars += ((unsigned char)*p & 0xc0) != 0x80;
		if (chars > 20)
			return account_invalid(
			    req, "relation",
			    "relation is at most 20 characters");
	}
	rc = account_bind_child(
	    req, account_json_string(body, "student_login", 16),
	    account_json_string(body, "student_password", 256),
	    account_json_string(body, "relation", 60), &o);
	if (rc != 0)
		return rc;
	return http_reply_json(req, 201, o);
}

/* ---- the pages' face of resets and activation texts ------------------ */

/* A local path to return to, never an open redirect (as pages.c's). */
static const char *
account_next(const char *next)
{
	if (next == NULL || next[0] != '/' || next[1] == '/' ||
	    strchr(next, '\\') != NULL)
		return "/";
	for (const char *p = next; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return "/";
	return next;
}

/* Where a reset's new initial password prints, for the caller's
 * school: a student's own slip, a parent's line on their child's slip,
 * a teacher's slip; NULL when none applies (arena). */
static const char *
account_slip_url(jx_req *req, int64_t account)
{
	jx_db *db = req->worker->db;
	int64_t school = req->identity ? req->identity->school_id : 0;
	int64_t person =
	            db_one(db, "SELECT person_id FROM accounts WHERE id = ?",
	                   "i", account),
	        child;

	if (school <= 0 || person <= 0)
		return NULL;
	if (db_one(db,
	           "SELECT 1 FROM students WHERE person_id = ? AND school_id "
	           "= ? AND status = 'in_school'",
	           "ii", person, school) == 1)
		return arena_sprintf(req->arena,
		                     "/schools/%lld/slips?student_id=%lld",
		                     (long long)school, (long long)person);
	if (db_one(db,
	           "SELECT 1 FROM teachers WHERE person_id = ? AND school_id "
	           "= ? AND status = 'in_school'",
	           "ii", person, school) == 1)
		return arena_sprintf(req->arena, "/schools/%lld/teacher-slips",
		                     (long long)school);
	child = db_one(db,
	               "SELECT g.student_id FROM guardians g JOIN students s "
	               "ON s.person_id = g.student_id WHERE g.parent_id = ? "
	               "AND s.school_id = ? AND s.status = 'in_school' ORDER "
	               "BY g.student_id LIMIT 1",
	               "ii", person, school);
	if (child > 0)
		return arena_sprintf(req->arena,
		                     "/schools/%lld/slips?student_id=%lld",
		                     (long long)school, (long long)child);
	return NULL;
}

/* POST /accounts/{aid}/password-reset from a school's pages (the button
 * asks first): the new initial password shown once with a link to
 * reprint the slip, or word that an activation text went out. */
static int
route_reset_page(jx_req *req, void *ud)
{
	int64_t aid = http_param_id(req, "aid");
	const char *slip;
	jx_stmt *st;
	cJSON *o = NULL;
	int rc = account_reset(req, aid, &o);

	if (rc != 0)
		return rc;
	cJSON_AddStringToObject(o, "title", http_t(req, "account.reset.title"));
	st = db_query(req->worker->db,
	              "SELECT p.name FROM accounts a JOIN persons p ON p.id = "
	              "a.person_id WHERE a.id = ?",
	              "i", aid);
	if (st != NULL && db_step(st) == JX_DB_ROW)
		cJSON_AddStringToObject(o, "name", db_text(st, 0));
	db_finish(st);
	cJSON_AddStringToObject(o, "back",
	                        account_next(http_form(req, "next")));
	if (cJSON_IsString(cJSON_GetObjectItem(o, "initial_password")) &&
	    (slip = account_slip_url(req, aid)) != NULL)
		cJSON_AddStringToObject(o, "slip_url", slip);
	return http_reply_view(req, 200, "account/admin_reset_done", o);
}

/* POST /accounts/{aid}/activation from the teachers and parents pages:
 * back to the page with a toast. */
static int
route_activation_page(jx_req *req, void *ud)
{
	cJSON *o = NULL;
	int rc = account_activation_resend(req, http_param_id(req, "aid"), &o);

	if (rc != 0)
		return rc;
	cJSON_Delete(o);
	http_flash(req, "flash.activation_sent");
	return http_reply_redirect(req, account_next(http_form(req, "next")));
}

/* Routes of the host's built-in module (host_route_tables). */
const struct jx_route account_more_routes[] = {
    {"POST", "/accounts/{aid}/password-reset", route_reset_page, NULL,
     JX_ROUTE_PAGE},
    {"POST", "/accounts/{aid}/activation", route_activation_page, NULL,
     JX_ROUTE_PAGE},
    {"POST", "/api/v1/accounts/{aid}/password-reset", route_password_reset,
     NULL, 0},
    {"POST", "/api/v1/accounts/{aid}/activation", route_activation_resend, NULL,
     0},
    {"POST", "/api/v1/me/children", route_bind_child, NULL, 0},
    {NULL, NULL, NULL, NULL, 0},
};

/* The password-reset rule (account_reset_scope) for the host's other
 * account changes (account_phone.c): 0 allowed, 403, or 404. */
int
account_reset_rule(jx_req *req, int64_t account)
{
	switch (account > 0 ? account_reset_scope(req, account)
	                    : RESET_HIDDEN) {
	case RESET_ALLOWED: return 0;
	case RESET_VISIBLE: return 403;
	default: return 404;
	}
}
