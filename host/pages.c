/*
 * pages.c — the HTML face of login, logout, the forced password change,
 * the identity switcher and the personal centre. Forms post without
 * script; each page is built from the same data the JSON API returns.
 */
#include "account.h"
#include "host.h"

#include <stdlib.h>
#include <string.h>

/* A local path to go to after login, never an open redirect. Browsers
 * drop tabs and newlines from a URL and read a backslash as a slash, so
 * "/<TAB>/evil.example" would leave the site: no control character and
 * no backslash anywhere. */
static const char *
pages_next(jx_req *req, const char *next)
{
	if (next == NULL || next[0] != '/' || next[1] == '/' ||
	    strchr(next, '\\') != NULL || strncmp(next, "/login", 6) == 0)
		return "/";
	for (const char *p = next; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return "/";
	return next;
}

/* 1 when the last problem replied has a type ending in name. */
static int
pages_problem_is(jx_req *req, const char *name)
{
	const cJSON *t =
	    cJSON_GetObjectItemCaseSensitive(req->last_problem, "type");
	size_t n = strlen(name), len;

	if (!cJSON_IsString(t))
		return 0;
	len = strlen(t->valuestring);
	return len >= n && strcmp(t->valuestring + len - n, name) == 0;
}

static int pages_login_form_code(jx_req *req, int status, const char *login,
                                 const char *message, int code);

static int
pages_login_form(jx_req *req, int status, const char *login,
                 const char *message)
{
	return pages_login_form_code(req, status, login, message, 0);
}

/* The login form; with code, also the field for the SMS code that a
 * predictable initial password needs (API.md, "Logins"). */
static int
pages_login_form_code(jx_req *req, int status, const char *login,
                      const char *message, int code)
{
	cJSON *d = cJSON_CreateObject();

	cJSON_AddStringToObject(d, "title", http_t(req, "login.title"));
	cJSON_AddStringToObject(d, "login", login ? login : "");
	cJSON_AddBoolToObject(d, "code_needed", code);
	cJSON_AddStringToObject(d, "next",
	                        pages_next(req, http_query(req, "next") != NULL
	                                            ? http_query(req, "next")
	                                            : http_form(req, "next")));
	if (message != NULL)
		cJSON_AddStringToObject(d, "error", message);
	return http_reply_view(req, status, "account/login", d);
}

static int
route_login_page(jx_req *req, void *ud)
{
	if (req->account_id != 0)
		return http_reply_redirect(req, "/");
	return pages_login_form(req, 200, NULL, NULL);
}

static int
route_login_post(jx_req *req, void *ud)
{
	const char *login = http_form(req, "login");
	const char *password = http_form(req, "password");
	const char *next = pages_next(req, http_form(req, "next"));
	int rc;

	if (req->status != 0)
		return req->status;
	if (login == NULL || *login == '\0' || password == NULL ||
	    *password == '\0')
		return pages_login_form(req, 422, login,
		                        http_t(req, "login.missing"));
	req->account_id = 0;
	req->session_id = 0;
	rc = account_login(req, login, password, http_form(req, "code"));
	if (rc == 429) {
		buf_reset(&req->body);
		return pages_login_form(req, 429, login,
		                        http_t(req, "login.throttled"));
	}
	if (rc == 503) {
		buf_reset(&req->body);
		return pages_login_form(req, 503, login,
		                        http_t(req, "login.busy"));
	}
	if (rc == 401 && pages_problem_is(req, "sms-code-required")) {
		const char *code = http_form(req, "code");

		buf_reset(&req->body);
		return pages_login_form_code(
		    req, 401, login,
		    http_t(req, code != NULL && *code != '\0'
		                    ? "login.code_wrong"
		                    : "login.code_sent"),
		    1);
	}
	if (rc != 200) {
		buf_reset(&req->body);
		return pages_login_form(req, 401, login,
		                        http_t(req, "login.failed"));
	}
	if (jx_host_table.identity(req) == NULL)
		next = "/me";
	return http_reply_redirect(req, next);
}

static int
route_logout(jx_req *req, void *ud)
{
	db_exec(req->worker->db, "DELETE FROM sessions WHERE id = ?", "i",
	        req->session_id);
	audit_req(req, "auth.logout", NULL, NULL);
	http_add_header(req, "Set-Cookie", session_cookie(req, NULL));
	return http_reply_redirect(req, "/");
}

static int
pages_password_form(jx_req *req, int status, const char *message)
{
	cJSON *d = cJSON_CreateObject();

	cJSON_AddStringToObject(d, "title", http_t(req, "password.title"));
	cJSON_AddBoolToObject(d, "forced", req->must_change);
	/* The page the gate interrupted, to continue to after the change
	 * (pages_next's rule; "/" for none). */
	cJSON_AddStringToObject(d, "next",
	                        pages_next(req, http_query(req, "next") != NULL
	                                            ? http_query(req, "next")
	                                            : http_form(req, "next")));
	if (message != NULL)
		cJSON_AddStringToObject(d, "error", message);
	return http_reply_view(req, status, "account/password", d);
}

static int
route_password_page(jx_req *req, void *ud)
{
	return pages_password_form(req, 200, NULL);
}

static int
route_password_post(jx_req *req, void *ud)
{
	const char *old_pw = http_form(req, "old_password");
	const char *new_pw = http_form(req, "new_password");
	const char *again = http_form(req, "new_password_again");
	const char *msg;
	int rc;

	if (old_pw == NULL || new_pw == NULL || again == NULL)
		return pages_password_form(req, 422,
		                           http_t(req, "password.missing"));
	if (strcmp(new_pw, again) != 0)
		return pages_password_form(req, 422,
		                           http_t(req, "password.mismatch"));
	rc = account_change_password(req, old_pw, new_pw);
	if (rc == 0) {
		const char *next = pages_next(req, http_form(req, "next"));

		return http_reply_redirect(
		    req, strcmp(next, "/") != 0 ? next : "/me?changed=1");
	}
	/* Show the reason the API would give, on the page. */
	msg = http_problem_message(req);
	return pages_password_form(req, rc,
	                           msg ? msg : http_t(req, "password.failed"));
}

static int
route_identity_post(jx_req *req, void *ud)
{
	const char *id = http_form(req, "identity_id");
	const char *next = http_form(req, "next");
	int rc;

	if (id == NULL || atoll(id) <= 0)
		return http_reply_problem(req, 422, "validation-failed",
		                          "Invalid input",
		                          "identity_id is required.");
	rc = account_switch_identity(req, atoll(id));
	if (rc != 0)
		return rc;
	/* The sheet posts the page it was opened on: the switch stays there
	 * (a local path only, pages_next refuses the rest). A form without
	 * next goes to the personal centre, as it always did. */
	http_flash(req, "flash.identity_switched");
	if (next != NULL && *next != '\0')
		return http_reply_redirect(req, pages_next(req, next));
	return http_reply_redirect(req, "/me");
}

static int
route_me_page(jx_req *req, void *ud)
{
	cJSON *d = cJSON_CreateObject(), *acc;
	cJSON *children;
	jx_stmt *st;

	/* The session reply's account and identities, as the page shows
	 * them: the account from the session's own row (auth_resolve), the
	 * identities as the switcher's rows ({id, role, label}), which the
	 * layout shares: no second query, no class lists nobody shows. */
	acc = cJSON_AddObjectToObject(d, "account");
	cJSON_AddNumberToObject(acc, "id", (double)req->account_id);
	cJSON_AddStringToObject(acc, "login",
	                        req->account_login ? req->account_login : "");
	cJSON_AddBoolToObject(acc, "must_change_password", req->must_change);
	cJSON_AddItemToObject(d, "identities", identity_page_list(req));
	if (req->identity != NULL)
		cJSON_AddNumberToObject(d, "acting_identity_id",
		                        (double)req->identity->id);
	else
		cJSON_AddNullToObject(d, "acting_identity_id");
	cJSON_AddStringToObject(d, "title", http_t(req, "me.title"));
	cJSON_AddBoolToObject(d, "changed", http_query(req, "changed") != NULL);
	children = cJSON_AddArrayToObject(d, "children");
	/* A parent's children, with their accounts, for the reset form. */
	st = db_query(req->worker->db,
	              "SELECT i.student_id, p.name, a.id, a.login, g.relation "
	              "FROM identities i JOIN accounts me ON me.id = "
	              "i.account_id JOIN persons p ON p.id = i.student_id "
	              "JOIN accounts a ON a.person_id = i.student_id "
	              "LEFT JOIN guardians g ON g.parent_id = me.person_id AND "
	              "g.student_id = i.student_id "
	              "WHERE i.account_id = ? AND i.role = 'parent' AND "
	              "i.status = 'active' ORDER BY i.id",
	              "i", req->account_id);
	while (st != NULL && db_step(st) == JX_DB_ROW) {
		cJSON *c = cJSON_CreateObject();

		cJSON_AddNumberToObject(c, "student_id", (double)db_int(st, 0));
		cJSON_AddStringToObject(c, "name", db_text(st, 1));
		cJSON_AddNumberToObject(c, "account_id", (double)db_int(st, 2));
		cJSON_AddStringToObject(c, "login", db_text(st, 3));
		if (!db_is_null(st, 4))
			cJSON_AddStringToObject(c, "relation", db_text(st, 4));
		cJSON_AddItemToArray(children, c);
	}
	db_finish(st);
	/* Adults (an account that is its holder's phone) bind children;
	 * a student's account number cannot. */
	st = db_query(req->worker->db,
	              "SELECT 1 FROM accounts a JOIN persons p ON p.id = "
	              "a.person_id WHERE a.id = ? AND a.login = p.phone",
	              "i", req->account_id);
	cJSON_AddBoolToObject(d, "can_bind",
	                      st != NULL && db_step(st) == JX_DB_ROW);
	db_finish(st);
	return http_reply_view(req, 200, "account/me", d);
}

static int
pages_bind_form(jx_req *req, int status, const char *login,
                const char *relation, const char *message)
{
	cJSON *d = cJSON_CreateObject();

	cJSON_AddStringToObject(d, "title", http_t(req, "bind.title"));
	if (login != NULL)
		cJSON_AddStringToObject(d, "student_login", login);
	if (relation != NULL)
		cJSON_AddStringToObject(d, "relation", relation);
	if (message != NULL)
		cJSON_AddStringToObject(d, "error", message);
	return http_reply_view(req, status, "account/bind", d);
}

/* The binding page the slips' QR code leads to. */
static int
route_bind_page(jx_req *req, void *ud)
{
	return pages_bind_form(req, 200, http_query(req, "login"), NULL, NULL);
}

/* The bound child's name, for the page that follows the binding. */
static const char *
bind_child_name(jx_req *req, const cJSON *identity)
{
	const cJSON *sid =
	    cJSON_GetObjectItemCaseSensitive(identity, "student_id");
	const char *name = "";
	jx_stmt *st;

	if (!cJSON_IsNumber(sid))
		return name;
	st = db_query(req->worker->db, "SELECT name FROM persons WHERE id = ?",
	              "i", (int64_t)sid->valuedouble);
	if (st != NULL && db_step(st) == JX_DB_ROW)
		name = arena_strdup(req->arena, db_text(st, 0));
	db_finish(st);
	return name;
}

static int
route_bind_post(jx_req *req, void *ud)
{
	const char *login = http_form(req, "student_login");
	const char *password = http_form(req, "student_password");
	const char *relation = http_form(req, "relation");
	const char *msg;
	cJSON *o = NULL;
	int rc;

	rc = account_bind_child(req, login, password, relation, &o);
	if (rc == 0) {
		/* The child is bound; the acting identity stays as it was
		 * until the adult says otherwise: the page asks whether to
		 * switch to the new parent identity now. */
		cJSON *d = cJSON_CreateObject();
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
		const cJSON *label =
		    cJSON_GetObjectItemCaseSensitive(o, "label");

		cJSON_AddStringToObject(d, "title", http_t(req, "bind.title"));
		cJSON_AddNumberToObject(
		    d, "identity_id", cJSON_IsNumber(id) ? id->valuedouble : 0);
		cJSON_AddStringToObject(
		    d, "label",
		    cJSON_IsString(label) ? label->valuestring : "");
		cJSON_AddStringToObject(d, "child", bind_child_name(req, o));
		cJSON_Delete(o);
		return http_reply_view(req, 200, "account/bind_done", d);
	}
	msg = http_problem_message(req);
	return pages_bind_form(req, rc, login, relation,
	                       msg ? msg : http_t(req, "bind.failed"));
}

/* The confirmation before a reset: a mis-tap must not lock a child out.
 * Only the caller's own children are shown. */
static int
route_child_reset_confirm(jx_req *req, void *ud)
{
	int64_t aid = http_param_id(req, "aid");
	jx_stmt *st =
	    db_query(req->worker->db,
	             "SELECT a.login, p.name FROM accounts a JOIN "
	             "persons p ON p.id = a.person_id JOIN identities "
	             "i ON i.student_id = a.person_id AND i.role = "
	             "'parent' AND i.status = 'active' WHERE a.id = ? "
	             "AND i.account_id = ?",
	             "ii", aid, req->account_id);
	cJSON *d;

	if (st == NULL || db_step(st) != JX_DB_ROW) {
		db_finish(st);
		return http_reply_problem(req, 404, "not-found", "Not found",
		                          "No such child.");
	}
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "title", http_t(req, "me.child_reset"));
	cJSON_AddNumberToObject(d, "account_id", (double)aid);
	cJSON_AddStringToObject(d, "login", db_text(st, 0));
	cJSON_AddStringToObject(d, "name", db_text(st, 1));
	db_finish(st);
	return http_reply_view(req, 200, "account/reset_confirm", d);
}

/* A parent resets their child's password from the personal centre. */
static int
route_child_reset(jx_req *req, void *ud)
{
	cJSON *o = NULL;
	int rc = account_reset(req, http_param_id(req, "aid"), &o);

	if (rc != 0)
		return rc;
	cJSON_AddStringToObject(o, "title", http_t(req, "me.child_reset"));
	return http_reply_view(req, 200, "account/reset_done", o);
}

/* ---- activation and recovery: phone, then code and new password ---- */

/* The two flows differ only in their words and the host calls behind
 * them: activation (an adult without a password) and recovery (a
 * forgotten one). */
struct pages_code_flow {
	const char *purpose; /* "activate" | "recover": the page and keys */
	int (*request)(jx_req *req, const char *phone);
	int (*verify)(jx_req *req, const char *phone, const char *code,
	              const char *new_pw);
	const char *flash; /* shown on the page logged in to */
};

static const struct pages_code_flow pages_activate_flow = {
    "activate", recovery_activation_request, recovery_activation_verify, NULL};
static const struct pages_code_flow pages_recover_flow = {
    "recover", recovery_password_request, recovery_password_verify,
    "flash.password_recovered"};

static int
pages_code_form(jx_req *req, const struct pages_code_flow *flow, int status,
                const char *step, const char *phone, const char *message,
                const char *notice)
{
	cJSON *d = cJSON_CreateObject();
	char key[40];

	snprintf(key, sizeof(key), "%s.title", flow->purpose);
	cJSON_AddStringToObject(d, "title", http_t(req, key));
	cJSON_AddStringToObject(d, "purpose", flow->purpose);
	cJSON_AddStringToObject(d, "step", step);
	cJSON_AddStringToObject(d, "phone", phone ? phone : "");
	/* Where to go once logged in (a parent arriving from WeChat goes
	 * back to /wx/bind): the query's on the first page, the form's
	 * after. */
	cJSON_AddStringToObject(d, "next",
	                        pages_next(req, http_query(req, "next") != NULL
	                                            ? http_query(req, "next")
	                                            : http_form(req, "next")));
	if (message != NULL)
		cJSON_AddStringToObject(d, "error", message);
	if (notice != NULL)
		cJSON_AddStringToObject(d, "notice", notice);
	return http_reply_view(req, status, "account/activate", d);
}

static int
pages_code_page(jx_req *req, const struct pages_code_flow *flow)
{
	const char *phone = http_query(req, "phone");

	if (req->account_id != 0)
		return http_reply_redirect(req, "/");
	return pages_code_form(req, flow, 200, phone ? "code" : "phone", phone,
	                       NULL, NULL);
}

/* Without a code, send one (the same page whatever the phone); with
 * one, set the password and log in. */
static int
pages_code_post(jx_req *req, const struct pages_code_flow *flow)
{
	const char *phone = http_form(req, "phone");
	const char *code = http_form(req, "code");
	const char *new_pw = http_form(req, "new_password");
	const char *again = http_form(req, "new_password_again");
	const char *msg, *next;
	char key[40];
	int rc;

	if (req->status != 0)
		return req->status;
	if (code == NULL) {
		rc = flow->request(req, phone);
		if (rc != 0) {
			msg = http_problem_message(req);
			buf_reset(&req->body);
			snprintf(key, sizeof(key), "%s.unavailable",
			         flow->purpose);
			return pages_code_form(
			    req, flow, rc, "phone", phone,
			    rc == 503 ? http_t(req, key) : msg, NULL);
		}
		snprintf(key, sizeof(key), "%s.sent", flow->purpose);
		return pages_code_form(req, flow, 200, "code", phone, NULL,
		                       http_t(req, key));
	}
	if (new_pw == NULL || again == NULL || strcmp(new_pw, again) != 0)
		return pages_code_form(req, flow, 422, "code", phone,
		                       http_t(req, "password.mismatch"), NULL);
	req->account_id = 0;
	req->session_id = 0;
	rc = flow->verify(req, phone, code, new_pw);
	if (rc != 0) {
		msg = rc == 429 ? http_t(req, "login.throttled")
		                : http_problem_message(req);
		buf_reset(&req->body);
		return pages_code_form(req, flow, rc, "code", phone, msg, NULL);
	}
	next = pages_next(req, http_form(req, "next"));
	if (jx_host_table.identity(req) == NULL)
		next = "/me";
	if (flow->flash != NULL)
		http_flash(req, flow->flash);
	return http_reply_redirect(req, next);
}

static int
route_activate_page(jx_req *req, void *ud)
{
	return pages_code_page(req, &pages_activate_flow);
}

static int
route_activate_post(jx_req *req, void *ud)
{
	return pages_code_post(req, &pages_activate_flow);
}

/* 忘记密码 on the login page (API.md, password-recovery). */
static int
route_recover_page(jx_req *req, void *ud)
{
	return pages_code_page(req, &pages_recover_flow);
}

static int
route_recover_post(jx_req *req, void *ud)
{
	return pages_code_post(req, &pages_recover_flow);
}

/* Routes of the host's built-in module (host_route_tables). */
const struct jx_route pages_routes[] = {
    {"GET", "/login", route_login_page, NULL, JX_ROUTE_PUBLIC | JX_ROUTE_PAGE},
    {"POST", "/login", route_login_post, NULL,
     JX_ROUTE_PUBLIC | JX_ROUTE_NO_CSRF | JX_ROUTE_PAGE},
    {"POST", "/logout", route_logout, NULL, JX_ROUTE_PAGE},
    {"GET", "/activate", route_activate_page, NULL,
     JX_ROUTE_PUBLIC | JX_ROUTE_PAGE},
    {"POST", "/activate", route_activate_post, NULL,
     JX_ROUTE_PUBLIC | JX_ROUTE_NO_CSRF | JX_ROUTE_PAGE},
    {"GET", "/recover", route_recover_page, NULL,
     JX_ROUTE_PUBLIC | JX_ROUTE_PAGE},
    {"POST", "/recover", route_recover_post, NULL,
     JX_ROUTE_PUBLIC | JX_ROUTE_NO_CSRF | JX_ROUTE_PAGE},
    {"GET", "/me/password", route_password_page, NULL, JX_ROUTE_PAGE},
    {"POST", "/me/password", route_password_post, NULL, JX_ROUTE_PAGE},
    {"POST", "/me/identity", route_identity_post, NULL, JX_ROUTE_PAGE},
    {"GET", "/me", route_me_page, NULL, JX_ROUTE_PAGE},
    {"GET", "/bind", route_bind_page, NULL, JX_ROUTE_PAGE},
    {"GET", "/me/accounts/{aid}/password-reset", route_child_reset_confirm,
     NULL, JX_ROUTE_PAGE},
    {"POST", "/me/accounts/{aid}/password-reset", route_child_reset, NULL,
     JX_ROUTE_PAGE},
    {"POST", "/bind", route_bind_post, NULL, JX_ROUTE_PAGE},
    {NULL, NULL, NULL, NULL, 0},
};
