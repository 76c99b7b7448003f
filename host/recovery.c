/*
 * recovery.c — one-time codes by SMS (API.md, "Session and identity"):
 * password recovery (POST /api/v1/password-recovery sends a six-digit
 * code to an account's phone through the sms channel; .../verify sets a
 * new password with it), activation of an adult's account that has no
 * password yet (POST /api/v1/activation, .../verify, which also logs
 * in), and the code a login with a predictable initial password needs
 * (account.c). Each code is bound to its purpose.
 *
 * Neither endpoint tells whether a phone has an account: a request for
 * a code always answers 202 with the same body, and a wrong, expired,
 * used or unknown code always gets the same 422. Codes are stored only
 * as keyed hashes, live ten minutes and die after five wrong tries.
 * Sending is limited per phone (one a minute, five an hour), and every
 * wrong guess counts in the login throttle under "recovery:<phone>", so
 * asking for a new code does not buy more guesses.
 */
#include "account.h"
#include "org.h"
#include "crypto.h"
#include "host.h"
#include "throttle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RECOVERY_DIGITS 6
#define RECOVERY_VALID_SECONDS 600
#define RECOVERY_MAX_TRIES 5
#define RECOVERY_PER_MINUTE 1
#define RECOVERY_PER_HOUR 5

/* 1 when an active plugin delivers the "sms" channel. */
static int
recovery_channel_ready(void)
{
	for (int i = 0; i < app.nchannels; i++)
		if (strcmp(app.channels[i].name, "sms") == 0 &&
		    app.plugins[app.channels[i].plugin].state == PLUGIN_ACTIVE)
			return 1;
	return 0;
}

/* The account whose login is phone: its id, 0 when none, -1 on error. */
static int64_t
recovery_account(jx_db *db, const char *phone)
{
	jx_stmt *st =
	    db_query(db, "SELECT id FROM accounts WHERE login = ?", "s", phone);
	int64_t id = -1;
	int rc;

	if (st == NULL)
		return -1;
	rc = db_step(st);
	if (rc == JX_DB_ROW)
		id = db_int(st, 0);
	else if (rc == JX_DB_DONE)
		id = 0;
	db_finish(st);
	return id;
}

/*
 * A code is stored as a keyed hash bound to its account: six digits are
 * a million guesses away from a plain digest, but without the key file
 * a copy of the database reveals nothing.
 */
static void
recovery_hash(int64_t account, const char *purpose, const char *code,
              char out[CRYPTO_DIGEST_HEX])
{
	char s[128];

	snprintf(s, sizeof(s), "%s:%lld:%s", purpose, (long long)account, code);
	crypto_lookup_hash(s, out);
}

/* The SMS template of a code's purpose. */
static const char *
recovery_template(const char *purpose)
{
	if (strcmp(purpose, "activation") == 0)
		return "account_activation";
	if (strcmp(purpose, "login") == 0)
		return "login_code";
	return "password_recovery";
}

/*
 * Sends a new code to the account's phone unless the phone had one for
 * the purpose in the last minute or five in the last hour (per purpose:
 * login attempts by a stranger must not hold up the holder's recovery). Earlier
 * codes of the purpose die; the code and its message are written in one
 * transaction, so the message goes out exactly when the code exists.
 * Failures are logged only: the reply must not differ from that for a
 * phone without an account.
 */
void
recovery_code_send(jx_req *req, int64_t account, const char *phone,
                   const char *purpose)
{
	jx_db *db = req->worker->db;
	char code[RECOVERY_DIGITS + 1], hash[CRYPTO_DIGEST_HEX];
	cJSON *params = NULL;
	int64_t minute = -1, hour = -1, now = jx_now();
	jx_stmt *st;

	if (db_begin(db) != 0)
		goto fail;
	st = db_query(db,
	              "SELECT COUNT(CASE WHEN created_at > ? THEN 1 END), "
	              "COUNT(*) FROM recovery_codes WHERE account_id = ? "
	              "AND created_at > ? AND purpose = ?",
	              "iiis", now - 60, account, now - 3600, purpose);
	if (st != NULL && db_step(st) == JX_DB_ROW) {
		minute = db_int(st, 0);
		hour = db_int(st, 1);
	}
	db_finish(st);
	if (minute < 0)
		goto fail;
	if (minute >= RECOVERY_PER_MINUTE || hour >= RECOVERY_PER_HOUR) {
		db_rollback(db);
		audit_append(db, account, 0, "auth.recovery_limited", phone,
		             NULL, req->client_ip);
		return;
	}
	crypto_random_string(code, RECOVERY_DIGITS, "0123456789");
	recovery_hash(account, purpose, code, hash);
	params = cJSON_CreateObject();
	cJSON_AddStringToObject(params, "code", code);
	cJSON_AddNumberToObject(params, "minutes", RECOVERY_VALID_SECONDS / 60);
	if (db_exec(db,
	            "UPDATE recovery_codes SET used = 1 WHERE account_id = ? "
	            "AND used = 0 AND purpose = ?",
	            "is", account, purpose) < 0 ||
	    db_exec(db,
	            "INSERT INTO recovery_codes(account_id, code_hash, "
	            "expires_at, created_at, purpose) VALUES (?, ?, ?, ?, ?)",
	            "isiis", account, hash, now + RECOVERY_VALID_SECONDS, now,
	            purpose) != 1 ||
	    notify_send(db, "sms", phone, recovery_template(purpose), params) !=
	        0 ||
	    audit_append(
	        db, account, 0,
	        strcmp(purpose, "recovery") == 0
	            ? "auth.recovery_sent"
	            : arena_sprintf(req->arena, "auth.%s_code_sent", purpose),
	        phone, NULL, req->client_ip) != 0 ||
	    db_commit(db) != 0)
		goto fail;
	cJSON_Delete(params);
	return;
fail:
	jx_log(JX_LOG_ERROR, "recovery", "cannot send a recovery code: %s",
	       db_errmsg(db));
	db_rollback(db);
	cJSON_Delete(params);
}

static int recovery_request(jx_req *req, const char *purpose);

static int
route_recovery_request(jx_req *req, void *ud)
{
	return recovery_request(req, "recovery");
}

/*
 * Checks code against the account's newest live code of purpose, under
 * the write lock so that parallel guesses cannot share one try. Returns
 * the code's id when it matches (nothing is written), 0 when it does not
 * (a wrong guess costs the code a try), -1 on a database error.
 */
int64_t
recovery_code_check(jx_db *db, int64_t account, const char *purpose,
                    const char *code, int64_t now)
{
	char stored[CRYPTO_DIGEST_HEX] = "", given[CRYPTO_DIGEST_HEX];
	int64_t id = 0, tries = 0;
	jx_stmt *st;
	int rc;

	if (db_begin(db) != 0)
		return -1;
	st = db_query(db,
	              "SELECT id, code_hash, tries FROM recovery_codes "
	              "WHERE account_id = ? AND used = 0 AND expires_at > ? "
	              "AND purpose = ? ORDER BY id DESC LIMIT 1",
	              "iis", account, now, purpose);
	rc = st ? db_step(st) : JX_DB_ERROR;
	if (rc == JX_DB_ROW) {
		id = db_int(st, 0);
		snprintf(stored, sizeof(stored), "%s", db_text(st, 1));
		tries = db_int(st, 2);
	}
	db_finish(st);
	if (rc == JX_DB_ERROR)
		goto fail;
	if (id == 0 || tries >= RECOVERY_MAX_TRIES) {
		db_rollback(db);
		return 0;
	}
	/* Anything but six characters is simply wrong, and costs a try. */
	if (strlen(code) == RECOVERY_DIGITS) {
		recovery_hash(account, purpose, code, given);
		if (crypto_equal(stored, given)) {
			db_rollback(db);
			return id;
		}
	}
	if (db_exec(db,
	            "UPDATE recovery_codes SET tries = tries + 1 WHERE id = ?",
	            "i", id) != 1 ||
	    db_commit(db) != 0)
		goto fail;
	return 0;
fail:
	db_rollback(db);
	return -1;
}

/* A wrong code: counted by the throttle, audited, answered alike. */
static int
recovery_wrong(jx_req *req, const char *key, int64_t account, const char *phone,
               int64_t now)
{
	int64_t delay = throttle_fail(
	    key, req->client_ip, now,
	    (int)config_int(&app.cfg, "auth.spray_failures_per_minute", 100));

	audit_append(req->worker->db, account > 0 ? account : 0, 0,
	             "auth.recovery_failed", phone, NULL, req->client_ip);
	if (delay > 0) {
		struct timespec ts = {delay / 1000, (delay % 1000) * 1000000L};

		nanosleep(&ts, NULL);
	}
	/* One message for every kind of bad code: wrong, expired, used
	 * up, superseded, or a phone without an account. */
	return account_invalid(req, "code",
	                       http_tr(req, "验证码错误或已失效",
	                               "the code is wrong or no longer valid"));
}

/* The account's initial password while it has one (malloc'ed), or
 * NULL: the new password must differ from it. */
static char *
recovery_initial(jx_db *db, int64_t account)
{
	jx_stmt *st = db_query(db,
	                       "SELECT initial_password FROM accounts "
	                       "WHERE id = ?",
	                       "i", account);
	char *initial = NULL;

	if (st != NULL && db_step(st) == JX_DB_ROW && !db_is_null(st, 0))
		initial = crypto_open(db_text(st, 0));
	db_finish(st);
	return initial;
}

int
recovery_code_use(jx_db *db, int64_t code_id, int64_t now)
{
	return (int)db_exec(db,
	                    "UPDATE recovery_codes SET used = 1 WHERE id = ? "
	                    "AND used = 0 AND expires_at > ? AND tries < ?",
	                    "iii", code_id, now, (int64_t)RECOVERY_MAX_TRIES);
}

/* Sets the new password, ends every session, uses up the code: all or
 * nothing. 1 done, 0 the code was used meanwhile, -1 error. */
static int
recovery_apply(jx_req *req, int64_t account, int64_t code_id, const char *phone,
               const char *hash, int64_t now, const char *action)
{
	jx_db *db = req->worker->db;
	int64_t n, first = 0;

	if (db_begin(db) != 0)
		return -1;
	n = recovery_code_use(db, code_id, now);
	if (n == 0) {
		db_rollback(db);
		return 0;
	}
	if (n != 1 || (first = account_unactivated(db, account)) < 0 ||
	    db_exec(db,
	            "UPDATE accounts SET password_hash = ?, initial_password = "
	            "NULL, initial_expires_at = NULL, must_change_password = "
	            "0, password_changed_at = ? WHERE id = ?",
	            "sii", hash, now, account) != 1 ||
	    db_exec(db, "DELETE FROM sessions WHERE account_id = ?", "i",
	            account) < 0 ||
	    audit_append(db, account, 0, action, phone, NULL, req->client_ip) !=
	        0 ||
	    (first && account_activated_event(db, account) != 0) ||
	    db_commit(db) != 0) {
		db_rollback(db);
		return -1;
	}
	return 1;
}

/* The account a code of purpose may be sent to or checked for: any
 * account for recovery; for activation one without a password whose
 * district can send SMS. Its id, 0 when none, -1 on error. */
static int64_t
recovery_account_for(jx_db *db, const char *phone, const char *purpose)
{
	int64_t account = recovery_account(db, phone);

	if (account <= 0 || strcmp(purpose, "activation") != 0)
		return account;
	if (db_one(db,
	           "SELECT 1 FROM accounts WHERE id = ? AND password_hash IS "
	           "NULL",
	           "i", account) != 1 ||
	    !org_sms_gateway(db, rules_account_district(db, account)))
		return 0;
	return account;
}

/* .../verify of recovery and activation with the body's fields;
 * *done receives the account on success (0), else the status replied. */
static int
recovery_verify(jx_req *req, const char *purpose, const char *phone,
                const char *code, const char *new_pw, int64_t *done)
{
	const char *reason, *key;
	jx_db *db = req->worker->db;
	char hash[CRYPTO_HASH_MAX], *initial;
	int64_t now = jx_now(), wait, account, code_id;
	int rc;

	if (!org_phone_valid(phone))
		return account_invalid(
		    req, "phone",
		    http_tr(req, "手机号必须是以 1 开头的 11 位数字",
		            "phone must be 11 digits starting with 1"));
	/* Any code string is checked (an over-long one is simply wrong);
	 * only a missing one is a different error. */
	if (code == NULL || *code == '\0')
		return account_invalid(req, "code", "code is required");
	if (new_pw == NULL)
		return account_invalid(req, "new_password",
		                       "new_password is required (at most "
		                       "256 characters)");
	key = arena_sprintf(req->arena, "%s:%s", purpose, phone);
	wait = throttle_check(key, req->client_ip, now);
	if (wait > 0) {
		http_add_header(
		    req, "Retry-After",
		    arena_sprintf(req->arena, "%lld", (long long)wait));
		return http_reply_problem(req, 429, "too-many-attempts",
		                          "Too many failed attempts",
		                          "Wait before trying again.");
	}
	account = recovery_account_for(db, phone, purpose);
	if (account < 0)
		goto fail;
	code_id = account > 0
	              ? recovery_code_check(db, account, purpose, code, now)
	              : 0;
	if (code_id < 0)
		goto fail;
	if (code_id == 0)
		return recovery_wrong(req, key, account, phone, now);
	/* The code is right; a password the policy refuses leaves it
	 * valid for the next attempt. */
	initial = recovery_initial(db, account);
	reason = account_policy(req, new_pw, phone,
	                        rules_account_district(db, account));
	if (reason == NULL && initial != NULL && strcmp(initial, new_pw) == 0)
		reason = http_tr(req, "新密码不能与初始密码相同",
		                 "the new password must differ from the "
		                 "initial one");
	free(initial);
	if (reason != NULL)
		return account_invalid(req, "new_password", reason);
	if (crypto_password_hash(new_pw, hash) != 0)
		return account_busy(req);
	rc = recovery_apply(req, account, code_id, phone, hash, now,
	                    strcmp(purpose, "activation") == 0
	                        ? "auth.activated"
	                        : "auth.password_recovered");
	if (rc < 0)
		goto fail;
	if (rc == 0) /* a parallel request used the code first */
		return recovery_wrong(req, key, account, phone, now);
	throttle_success(key);
	/* Whoever proved they hold the phone may log in at once. */
	throttle_success(phone);
	*done = account;
	return 0;
fail:
	jx_log(JX_LOG_ERROR, "recovery", "storage error: %s", db_errmsg(db));
	return http_reply_problem(req, 500, "storage", "Storage error", NULL);
}

/* The JSON body's fields of a verify: 0, or the status replied. */
static int
recovery_verify_json(jx_req *req, const char *purpose, int64_t *done)
{
	cJSON *body = http_json(req);

	if (body == NULL)
		return req->status;
	return recovery_verify(
	    req, purpose, account_json_string(body, "phone", 32),
	    account_json_string(body, "code", 65536),
	    account_json_string(body, "new_password", 256), done);
}

static int
route_recovery_verify(jx_req *req, void *ud)
{
	int64_t account = 0;
	int rc = recovery_verify_json(req, "recovery", &account);

	if (rc != 0)
		return rc;
	return http_reply_json(req, 204, NULL);
}

/* A code of purpose for phone, whatever the phone: 0 (a code went out
 * if the phone may have one), or the status replied. */
static int
recovery_request_code(jx_req *req, const char *purpose, const char *phone)
{
	int64_t account;

	if (!org_phone_valid(phone))
		return account_invalid(
		    req, "phone",
		    http_tr(req, "手机号必须是以 1 开头的 11 位数字",
		            "phone must be 11 digits starting with 1"));
	/* Asked before the account is looked up: the same answer for
	 * every phone. */
	if (!recovery_channel_ready())
		return http_reply_problem(req, 503, "sms-unavailable",
		                          "SMS unavailable",
		                          "Codes by SMS are not available "
		                          "here.");
	account = recovery_account_for(req->worker->db, phone, purpose);
	if (account < 0)
		jx_log(JX_LOG_ERROR, "recovery", "account lookup: %s",
		       db_errmsg(req->worker->db));
	else if (account > 0)
		recovery_code_send(req, account, phone, purpose);
	return 0;
}

/* POST {"phone"} of recovery and activation: 202 whatever the phone. */
static int
recovery_request(jx_req *req, const char *purpose)
{
	cJSON *body = http_json(req), *o;
	int rc;

	if (body == NULL)
		return req->status;
	rc = recovery_request_code(req, purpose,
	                           account_json_string(body, "phone", 32));
	if (rc != 0)
		return rc;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "status", "accepted");
	return http_reply_json(req, 202, o);
}

int
recovery_activation_request(jx_req *req, const char *phone)
{
	return recovery_request_code(req, "activation", phone);
}

/* A verify that logs in: whoever proved they hold the phone is logged
 * in at once. 0 (req acts as the new session), or the status replied. */
static int
recovery_verify_login(jx_req *req, const char *purpose, const char *phone,
                      const char *code, const char *new_pw)
{
	int64_t account = 0;
	int rc = recovery_verify(req, purpose, phone, code, new_pw, &account);

	if (rc != 0)
		return rc;
	rc = account_session_open(req, account, phone);
	return rc == 200 ? 0 : rc;
}

int
recovery_activation_verify(jx_req *req, const char *phone, const char *code,
                           const char *new_pw)
{
	return recovery_verify_login(req, "activation", phone, code, new_pw);
}

int
recovery_password_request(jx_req *req, const char *phone)
{
	return recovery_request_code(req, "recovery", phone);
}

/* The recovery page's verify (the API's verify answers 204 and leaves
 * the login to the client). */
int
recovery_password_verify(jx_req *req, const char *phone, const char *code,
                         const char *new_pw)
{
	return recovery_verify_login(req, "recovery", phone, code, new_pw);
}

/* Activation (API.md, "Logins"): an adult without a password proves
 * they hold the phone with a code and sets one. */
static int
route_activation_request(jx_req *req, void *ud)
{
	return recovery_request(req, "activation");
}

static int
route_activation_verify(jx_req *req, void *ud)
{
	cJSON *body = http_json(req);
	int rc;

	if (body == NULL)
		return req->status;
	rc = recovery_activation_verify(
	    req, account_json_string(body, "phone", 32),
	    account_json_string(body, "code", 65536),
	    account_json_string(body, "new_password", 256));
	if (rc != 0)
		return rc;
	return http_reply_json(req, 200, identity_session_json(req));
}

/* Routes of the host's built-in module (host_route_tables). */
const struct jx_route recovery_routes[] = {
    {"POST", "/api/v1/password-recovery", route_recovery_request, NULL,
     JX_ROUTE_PUBLIC | JX_ROUTE_NO_CSRF},
    {"POST", "/api/v1/password-recovery/verify", route_recovery_verify, NULL,
     JX_ROUTE_PUBLIC | JX_ROUTE_NO_CSRF},
    {"POST", "/api/v1/activation", route_activation_request, NULL,
     JX_ROUTE_PUBLIC | JX_ROUTE_NO_CSRF},
    {"POST", "/api/v1/activation/verify", route_activation_verify, NULL,
     JX_ROUTE_PUBLIC | JX_ROUTE_NO_CSRF},
    {NULL, NULL, NULL, NULL, 0},
};
