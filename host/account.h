/* account.h — login, identity switching and password changes, shared by
 * the JSON API (account.c) and the HTML pages (pages.c). */
#ifndef JX_ACCOUNT_H
#define JX_ACCOUNT_H

#include "host.h"

/* 0 when pw is the account's password (or its unexpired initial one),
 * CRYPTO_BUSY when no hash slot came free in time. */
int account_check_password(jx_db *db, int64_t account_id, const char *pw);
/* Throttle, check, create the session, set the cookie. A predictable
 * initial password also needs code, the SMS code sent to the phone
 * (NULL when the client has none yet: one is sent, 401
 * sms-code-required). 200 on success (req then acts as the new
 * session), else the status replied. */
int account_login(jx_req *req, const char *login, const char *password,
                  const char *code);
/* Creates the account's session, sets the cookie, and makes req act as
 * it: 200, or the status replied. */
int account_session_open(jx_req *req, int64_t account, const char *login);
/* The same, with via ("wechat") in the audit entry's detail. */
int account_session_open_via(jx_req *req, int64_t account, const char *login,
                             const char *via);
/* 1 when the account has no password of its own yet (not activated),
 * 0 when it has, -1 on error. */
int64_t account_unactivated(jx_db *db, int64_t account);
/* Publishes "auth.activated" {account_id, person_id, at} in the caller's
 * transaction: the account's first password of its own was just set
 * (docs/events.md). 0, or a subscriber's refusal. */
int account_activated_event(jx_db *db, int64_t account);
/* 0, or the status replied (403 not yours). */
int account_switch_identity(jx_req *req, int64_t identity_id);
/* The district's password policy (a Lua rule) for pw as the password
 * of login: NULL when pw passes, else the reason in the request's
 * language (arena). */
const char *account_policy(jx_req *req, const char *pw, const char *login,
                           int64_t district);
/* 0, or the status replied (422 naming the field). */
int account_change_password(jx_req *req, const char *old_pw,
                            const char *new_pw);
/* An adult binds a child by the slip's login and password: a new parent
 * identity (*out: its API object). 0, or the status replied. */
int account_bind_child(jx_req *req, const char *login, const char *password,
                       const char *relation, cJSON **out);
/* A fresh initial password for account, within the caller's reset
 * scope (API.md): *out is {"login","initial_password","sms_sent"}; where
 * the district activates adults by SMS the password is null and a text
 * tells the holder to activate again (sms_sent true). 0, or the status
 * replied (404 not visible, 403 visible but not allowed). */
int account_reset(jx_req *req, int64_t account, cJSON **out);
/* Sends the account's holder an SMS asking them to activate (issue 14):
 * the account's initial password, if any, goes and they activate by a
 * code to the phone. Same scope as account_reset. *out is
 * {"login","sms_sent":true}. 0, or the status replied: 404, 403, 409
 * already activated, 422 no-phone or no-sms-gateway, 429 one was sent
 * in the last minute. */
int account_activation_resend(jx_req *req, int64_t account, cJSON **out);
/* Who may change account's password is who may change its other
 * credentials (the phone, account_phone.c): 0 allowed, 403 visible but
 * not wholly the caller's, 404 not visible. Replies nothing. */
int account_reset_rule(jx_req *req, int64_t account);
/* ---- account_phone.c ---- */
/* A school changes an adult's phone and login (PUT
 * /api/v1/persons/{pid}/phone): *out is {"person_id","phone","login"}.
 * 0, or the status replied (404, 403, 422 phone, 409 taken). */
int account_phone_change(jx_req *req, int64_t person, const char *phone,
                         cJSON **out);
/* A string member of at most max bytes, or NULL. */
const char *account_json_string(const cJSON *body, const char *name,
                                size_t max);
/* 503 with Retry-After: no password hash slot came free in time. */
int account_busy(jx_req *req);
/* 422 naming field. */
int account_invalid(jx_req *req, const char *field, const char *msg);

/* ---- recovery.c: one-time SMS codes --------------------------------- */

/* Sends a code for purpose ("recovery", "activation", "login") to the
 * account's phone, within the per-phone sending limits. Failures are
 * only logged. */
void recovery_code_send(jx_req *req, int64_t account, const char *phone,
                        const char *purpose);
/* The id of the account's live code of purpose when code is it; 0 when
 * not (a try is used up), -1 on error. */
int64_t recovery_code_check(jx_db *db, int64_t account, const char *purpose,
                            const char *code, int64_t now);
/* Activation (API.md, "Logins") for the API and the page: a code to
 * phone when it may activate (0, whatever the phone), or the status
 * replied (422 phone, 503 no SMS here). */
int recovery_activation_request(jx_req *req, const char *phone);
/* Sets the password with the code and logs in: 0 (req acts as the new
 * session), or the status replied. */
int recovery_activation_verify(jx_req *req, const char *phone, const char *code,
                               const char *new_pw);
/* The same two steps for a forgotten password (the page /recover). */
int recovery_password_request(jx_req *req, const char *phone);
int recovery_password_verify(jx_req *req, const char *phone, const char *code,
                             const char *new_pw);
/* Uses up a checked code in the caller's transaction: 1, 0 when it was
 * used meanwhile, -1 on error. */
int recovery_code_use(jx_db *db, int64_t code_id, int64_t now);

#endif
