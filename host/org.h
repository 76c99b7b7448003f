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
/* How a new or reset account gets its first password (API.md,
 * "Logins"). */
enum { ORG_INITIAL_RANDOM, ORG_INITIAL_RULE, ORG_INITIAL_SMS };
/* 1 when the district has an SMS gateway: the sms plugin active,
 * enabled in the district's modules, and sms.api_base set. */
int org_sms_gateway(jx_db *db, int64_t district);
/*
 * The person's account, created if missing with login and a first
 * password by the rules (API.md, "Logins"): a district rule's password
 * (a predictable one only where an SMS code can guard it), else for
 * adults activation by SMS code where the district has a gateway, else
 * 8 random characters without look-alikes. If initial_out is not NULL
 * it receives the new initial password, "" when the account existed or
 * activates by SMS.
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
/* Sets a fresh initial password (reset) by the same rule as
 * org_account; writes it to out ("" when the holder activates by SMS). */
int org_reset_password(jx_db *db, struct luaenv *L, int64_t account, char *out,
                       size_t outlen, char *err, size_t errlen);
/* 1 when pw, the account's unused initial password, needs an SMS code
 * at first login: its rule was predictable (judged again for passwords
 * issued before the host recorded it). */
int org_initial_needs_code(jx_db *db, struct luaenv *L, int64_t account,
                           const char *pw);
/* Refuses a rule chunk (source; NULL: the active one) whose initial
 * passwords are shorter than 6 characters, the same for two people, or
 * predictable where no SMS code can guard them: 0, or -1 with err in
 * lang ("en" or Chinese for anything else, NULL included). */
int org_rules_check(jx_db *db, struct luaenv *L, int64_t district,
                    const char *source, const char *lang, char *err,
                    size_t errlen);
/* 1 when every tie of person (identities, teacher posts, children) is
 * within school: only then may a school change the person's record. */
int org_person_within(jx_db *db, int64_t person, int64_t school);
/* Tells the holder of person's account that an identity (role, at
 * school or district) was added to it, in the app and by SMS where
 * their district has a gateway, and audit-logs it. 0 or -1. */
int org_identity_linked(jx_db *db, int64_t person, const char *role,
                        int64_t school, int64_t district);
/* 430***********123X: the first three and last four characters kept. */
void org_id_mask(const char *id, char *out, size_t outlen);
/* 全国学籍号 that embed an ID number (jx/org.h has the contracts). */
int org_national_norm(const char *value, char *out, size_t outlen);
/* jx/org.h's id_seal and national_seal, for the host's own writers. */
int org_id_seal(const char *id, char **sealed, char hash[65], char *masked,
                size_t masked_len);
int org_national_seal(const char *no, char **sealed, char hash[65], char *shown,
                      size_t shown_len);
int org_national_embeds_id(const char *no);
void org_national_mask(const char *no, char *out, size_t outlen);
/* Seals the 全国学籍号 stored in clear before host migration 9 (needs
 * crypto_setup). 0, or -1. */
int org_national_seal_existing(jx_db *db);
/* The account's unused initial password (malloc'ed) or NULL. */
char *org_initial_password(jx_db *db, int64_t account);
struct jx_org_v1;
extern const struct jx_org_v1 orgsvc_table;

/* orglife.c: the writes plugins make to the org tables (jx/org.h has
 * the contracts, ABI 2.0). */
struct jx_org_student;
int64_t orglife_person_update(jx_db *db, int64_t person, const char *name,
                              const char *gender);
int64_t orglife_student_create(jx_db *db, const struct jx_org_student *s);
int orglife_student_update(jx_db *db, int64_t student,
                           const struct jx_org_student *s);
int orglife_student_number(jx_db *db, int64_t student, const char *field,
                           const char *value);
int orglife_student_leave(jx_db *db, int64_t student, const char *reason);
int orglife_student_readmit(jx_db *db, int64_t student, int64_t school,
                            int64_t klass, char *err, size_t errlen);
int orglife_teacher_post(jx_db *db, int64_t teacher, int64_t school,
                         const char *subject, const char *display_name);
int orglife_teacher_leave(jx_db *db, int64_t teacher, int64_t school);
int orglife_teaching_set(jx_db *db, int64_t teacher, int64_t school,
                         const int64_t *classes, int n);
int64_t orglife_class_create(jx_db *db, int64_t school, int grade,
                             const char *name, int64_t head);
int orglife_class_update(jx_db *db, int64_t klass, int grade, const char *name,
                         int64_t head);
int64_t orglife_class_head(jx_db *db, int64_t klass, int64_t school,
                           int64_t teacher);
int orglife_class_delete(jx_db *db, int64_t klass);
int orglife_guardian_bind(jx_db *db, int64_t parent, int64_t student,
                          const char *relation, const char *display_name);
int orglife_guardian_unbind(jx_db *db, int64_t parent, int64_t student);

#endif
