/*
 * account_phone.c — a school changes an adult's phone number
 * (PUT /api/v1/persons/{pid}/phone, and the form at /persons/{pid}/phone).
 *
 * An adult's phone is their login, so persons.phone and accounts.login
 * change together, in one transaction. Who may: a school administrator,
 * for an account whose every active identity is a teacher, student or
 * parent of that school: the password-reset rule (account_reset_rule), so
 * a school cannot take over the login of someone who also teaches or
 * runs something elsewhere.
 *
 * What stays: the account's sessions. A new number is what a family asks
 * for when they changed phones; logging them out of WeChat for it would
 * only make them call the school again. What protects the account is the
 * password, which does not change, and the holder hears of the change on
 * the old phone (SMS, where the district has a gateway) and in the app,
 * so a change they did not ask for does not go unnoticed. What goes: any
 * unused SMS code (recovery, activation, login) of the account, because
 * it was sent to the old phone and would otherwise work with the new
 * login.
 */
#include "account.h"
#include "host.h"
#include "org.h"

#include <stdio.h>
#include <string.h>

/* "13800000001" → "138****0001" (a number in an SMS, an audit entry). */
static void
phone_mask(const char *phone, char *out, size_t outlen)
{
	size_t len = phone != NULL ? strlen(phone) : 0;

	if (len < 8)
		snprintf(out, outlen, "***");
	else
		snprintf(out, outlen, "%.3s****%s", phone, phone + len - 4);
}

/* The person's account within the caller's reach: 0 and *account set,
 * else the status replied (404 not visible, 403 not allowed). */
static int
phone_scope(jx_req *req, int64_t person, int64_t *account)
{
	jx_db *db = req->worker->db;
	int rule;

	*account = person > 0 ? db_one(db,
	                               "SELECT id FROM accounts WHERE "
	                               "person_id = ?",
	                               "i", person)
	                      : 0;
	if (*account <= 0 || req->identity == NULL)
		return http_reply_problem(req, 404, "not-found", "Not found",
		                          "No such person.");
	rule = account_reset_rule(req, *account);
	if (rule == 404)
		return http_reply_problem(req, 404, "not-found", "Not found",
		                          "No such person.");
	if (strcmp(req->identity->role, "school_admin") != 0)
		return http_reply_problem(
		    req, 403, "forbidden", "Forbidden",
		    http_tr(req, "只有学校管理员可以修改手机号",
		            "Only a school administrator may change a phone "
		            "number."));
	if (rule != 0)
		return http_reply_problem(
		    req, 403, "forbidden", "Forbidden",
		    http_tr(req,
		            "此人的账号不只属于本校（例如在别的学校任教），"
		            "不能在本校修改手机号",
		            "This account belongs to more than this school: "
		            "the school may not change its phone number."));
	/* A student's login is an account number, not a phone. */
	if (db_one(db, "SELECT COUNT(*) FROM students WHERE person_id = ?", "i",
	           person) != 0)
		return http_reply_problem(
		    req, 403, "forbidden", "Forbidden",
		    http_tr(req, "学生账号不是手机号",
		            "A student's login is not a phone number."));
	return 0;
}

/* The person's name and phone for the form (arena), or NULL. */
static const char *
phone_person(jx_req *req, int64_t person, const char **phone)
{
	jx_stmt *st = db_query(req->worker->db,
	                       "SELECT name, phone FROM persons WHERE id = ?",
	                       "i", person);
	const char *name = NULL;

	*phone = NULL;
	if (st != NULL && db_step(st) == JX_DB_ROW) {
		name = arena_strdup(req->arena, db_text(st, 0));
		if (!db_is_null(st, 1))
			*phone = arena_strdup(req->arena, db_text(st, 1));
	}
	db_finish(st);
	return name;
}

static int
phone_taken(jx_req *req)
{
	problem_add_error(&req->errors, 0, "phone",
	                  http_tr(req, "该手机号已被其他账号使用",
	                          "this number belongs to another account"));
	return http_reply_problem(req, 409, "conflict", "Phone taken",
	                          "The new number belongs to another "
	                          "account or person.");
}

/* Tells the holder: in the app, and on the old phone where the
 * account's district can send SMS. No secret in either. */
static int
phone_tell(jx_db *db, int64_t person, int64_t account, const char *old_phone,
           const char *new_masked)
{
	cJSON *params = cJSON_CreateObject();
	char to[24];
	int rc = -1;

	cJSON_AddStringToObject(params, "new_phone", new_masked);
	snprintf(to, sizeof(to), "%lld", (long long)person);
	if (notify_send(db, "inapp", to, "phone_changed", params) != 0)
		goto out;
	if (old_phone != NULL && org_phone_valid(old_phone) &&
	    org_sms_gateway(db, rules_account_district(db, account)) &&
	    notify_send(db, "sms", old_phone, "phone_changed", params) != 0)
		goto out;
	rc = 0;
out:
	cJSON_Delete(params);
	return rc;
}

int
account_phone_change(jx_req *req, int64_t person, const char *phone,
                     cJSON **out)
{
	jx_db *db = req->worker->db;
	const char *old_phone, *login = NULL;
	char old_masked[24], new_masked[24], target[32];
	cJSON *detail = NULL;
	int64_t account;
	jx_stmt *st;
	int rc;

	*out = NULL;
	if ((rc = phone_scope(req, person, &account)) != 0)
		return rc;
	if (phone == NULL || !org_phone_valid(phone)) {
		problem_add_error(&req->errors, 0, "phone",
		                  http_tr(req, "请输入11位手机号",
		                          "phone must be an 11-digit mobile "
		                          "number"));
		return http_reply_problem(req, 422, "validation-failed",
		                          "Invalid input",
		                          "The phone number is invalid.");
	}
	if (phone_person(req, person, &old_phone) == NULL)
		return http_reply_problem(req, 404, "not-found", "Not found",
		                          "No such person.");
	if (old_phone != NULL && strcmp(old_phone, phone) == 0)
		goto reply; /* nothing changes: no message, no entry */
	if (db_one(db,
	           "SELECT (SELECT COUNT(*) FROM accounts WHERE login = ? "
	           "AND id <> ?) + (SELECT COUNT(*) FROM persons WHERE "
	           "phone = ? AND id <> ?)",
	           "sisi", phone, account, phone, person) != 0)
		return phone_taken(req);
	phone_mask(old_phone, old_masked, sizeof(old_masked));
	phone_mask(phone, new_masked, sizeof(new_masked));
	snprintf(target, sizeof(target), "person:%lld", (long long)person);
	detail = cJSON_CreateObject();
	cJSON_AddNumberToObject(detail, "person_id", (double)person);
	cJSON_AddNumberToObject(detail, "account_id", (double)account);
	cJSON_AddStringToObject(detail, "old", old_masked);
	cJSON_AddStringToObject(detail, "new", new_masked);
	if (db_begin(db) != 0)
		goto fail;
	if (db_exec(db, "UPDATE persons SET phone = ? WHERE id = ?", "si",
	            phone, person) != 1 ||
	    db_exec(db, "UPDATE accounts SET login = ? WHERE id = ?", "si",
	            phone, account) != 1 ||
	    db_exec(db,
	            "UPDATE recovery_codes SET used = 1 WHERE account_id = ? "
	            "AND used = 0",
	            "i", account) < 0 ||
	    phone_tell(db, person, account, old_phone, new_masked) != 0 ||
	    audit_req(req, "person.phone_changed", target, detail) != 0)
		goto rollback;
	if (db_commit(db) != 0)
		goto fail;
	cJSON_Delete(detail);
reply:
	st = db_query(db, "SELECT login FROM accounts WHERE id = ?", "i",
	              account);
	if (st != NULL && db_step(st) == JX_DB_ROW)
		login = arena_strdup(req->arena, db_text(st, 0));
	db_finish(st);
	*out = cJSON_CreateObject();
	cJSON_AddNumberToObject(*out, "person_id", (double)person);
	cJSON_AddStringToObject(*out, "phone", phone);
	cJSON_AddStringToObject(*out, "login", login ? login : "");
	return 0;
rollback:
	/* Another request may have taken the number meanwhile. */
	rc = strstr(db_errmsg(db), "UNIQUE") != NULL;
	db_rollback(db);
	if (rc) {
		cJSON_Delete(detail);
		return phone_taken(req);
	}
fail:
	cJSON_Delete(detail);
	return http_reply_problem(req, 500, "storage", "Storage error", NULL);
}

static int
route_phone_put(jx_req *req, void *ud)
{
	const cJSON *body, *v;
	cJSON *o;
	int rc;

	(void)ud;
	body = http_json(req);
	if (body == NULL)
		return req->status;
	v = cJSON_GetObjectItemCaseSensitive(body, "phone");
	rc =
	    account_phone_change(req, http_param_id(req, "pid"),
	                         cJSON_IsString(v) ? v->valuestring : NULL, &o);
	if (rc != 0)
		return rc;
	return http_reply_json(req, 200, o);
}

/* Where the form goes back to: a local path, else the home page. */
static const char *
phone_back(const char *back)
{
	if (back == NULL || back[0] != '/' || back[1] == '/' ||
	    strchr(back, '\\') != NULL)
		return "/";
	for (const char *p = back; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return "/";
	return back;
}

static int
phone_form(jx_req *req, int status, int64_t person, const char *value,
           const char *error)
{
	const char *phone, *name = phone_person(req, person, &phone);
	const char *back = phone_back(http_query(req, "back") != NULL
	                                  ? http_query(req, "back")
	                                  : http_form(req, "back"));
	cJSON *d = cJSON_CreateObject();

	cJSON_AddStringToObject(d, "title", http_t(req, "phone.title"));
	cJSON_AddNumberToObject(d, "person_id", (double)person);
	cJSON_AddStringToObject(d, "name", name ? name : "");
	cJSON_AddStringToObject(d, "phone", phone ? phone : "");
	cJSON_AddStringToObject(d, "value", value ? value : "");
	cJSON_AddStringToObject(d, "back", back);
	if (error != NULL)
		cJSON_AddStringToObject(d, "error", error);
	return http_reply_view(req, status, "account/phone", d);
}

static int
route_phone_page(jx_req *req, void *ud)
{
	int64_t person = http_param_id(req, "pid"), account;
	int rc;

	(void)ud;
	if ((rc = phone_scope(req, person, &account)) != 0)
		return rc;
	return phone_form(req, 200, person, NULL, NULL);
}

static int
route_phone_post(jx_req *req, void *ud)
{
	int64_t person = http_param_id(req, "pid");
	const char *phone = http_form(req, "phone");
	cJSON *o = NULL;
	int rc;

	(void)ud;
	if (req->status != 0)
		return req->status;
	rc = account_phone_change(req, person, phone, &o);
	if (rc == 422 || rc == 409) {
		const char *msg = http_problem_message(req);

		buf_reset(&req->body);
		return phone_form(req, rc, person, phone, msg);
	}
	if (rc != 0)
		return rc;
	cJSON_Delete(o);
	http_flash(req, "flash.phone_changed");
	return http_reply_redirect(req, phone_back(http_form(req, "back")));
}

/* Routes of the host's built-in module (host_route_tables). */
const struct jx_route account_phone_routes[] = {
    {"PUT", "/api/v1/persons/{pid}/phone", route_phone_put, NULL, 0},
    {"GET", "/persons/{pid}/phone", route_phone_page, NULL, JX_ROUTE_PAGE},
    {"POST", "/persons/{pid}/phone", route_phone_post, NULL, JX_ROUTE_PAGE},
    {NULL, NULL, NULL, NULL, 0},
};
