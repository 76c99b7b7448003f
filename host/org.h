/*
 * org.h — the organisation service: districts, schools, persons,
 * accounts and identities, created the same way by the API, imports
 * (roster) and the demo. Every function runs in the caller's
 * transaction and returns an id, or -1 with a reason in err.
 */
#ifndef JX_ORG_H
#define JX_ORG_H

#include "host.h"

struct luaenv;

/* 1 for an 11-digit mainland mobile number starting with 1. */
int org_phone_valid(const char *phone);
/* The adult with this phone, created (with name and gender) if new. */
int64_t org_adult(jx_db *db, const char *name, const char *phone,
                  const char *gender, char *err, size_t errlen);
/*
 * The person's account, created if missing with login and an initial
 * password from the rules (role decides: adults the phone's last six
 * digits by default, students 8 random letters and digits). If
 * initial_out is not NULL it receives the new initial password (or ""
 * when the account existed).
 */
int64_t org_account(jx_db *db, struct luaenv *L, int64_t district,
                    int64_t person, const char *login, const char *role,
                    const char *phone, char *initial_out, size_t initial_len,
                    char *err, size_t errlen);
/* An identity (reactivated if it existed and had ended). */
int64_t org_identity(jx_db *db, int64_t account, const char *role,
                     int64_t district, int64_t school, int64_t student,
                     char *err, size_t errlen);
/* A new student account number: 8 digits, unique, never 11 digits. */
int org_student_login(jx_db *db, char out[16]);
/* Sets a fresh initial password (reset); writes it to out. */
int org_reset_password(jx_db *db, struct luaenv *L, int64_t account, char *out,
                       size_t outlen, char *err, size_t errlen);
int org_routes_register(void);
/* 430***********123X: the first three and last four characters kept. */
void org_id_mask(const char *id, char *out, size_t outlen);
/* 全国学籍号 that embed an ID number (jx/org.h has the contracts). */
int org_national_norm(const char *value, char *out, size_t outlen);
int org_national_embeds_id(const char *no);
void org_national_mask(const char *no, char *out, size_t outlen);
/* Seals the 全国学籍号 stored in clear before host migration 9 (needs
 * crypto_setup). 0, or -1. */
int org_national_seal_existing(jx_db *db);
/* The account's unused initial password (malloc'ed) or NULL. */
char *org_initial_password(jx_db *db, int64_t account);
/* The thread's Lua state for rules (workers and the job thread). */
void orgsvc_set_lua(struct luaenv *L);
/* The thread's connection (workers and the job thread). */
void orgsvc_set_db(jx_db *db);
jx_db *orgsvc_get_db(void);
struct luaenv *orgsvc_get_lua(void);
/* A background thread's working set: its own Lua state (for district
 * rules) bound with db as the thread's (thread_db, rule_call). Returns the
 * state (NULL when it could not be made: rule calls then fail). */
struct luaenv *orgsvc_thread_begin(jx_db *db);
/* Unbinds and frees both (either may be NULL). */
void orgsvc_thread_end(struct luaenv *lua, jx_db *db);
struct jx_org_v1;
extern const struct jx_org_v1 orgsvc_table;

#endif
