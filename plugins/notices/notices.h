/*
 * notices.h — shared pieces of the notices plugin: the host table, the
 * reply helpers, who may see a notice, and what each file exports.
 */
#ifndef NOTICES_H
#define NOTICES_H

#include <stddef.h>
#include <stdint.h>

#include <jx/org.h>
#include <jx/plugin.h>

#include "jxplug.h"
#include <jx/wechat.h>

#include "notices_time.h"

JX_HOST_EXTERN;
extern const struct jx_org_v1 *notices_org;

#define NOTICES_TITLE_MAX 60     /* characters */
#define NOTICES_BODY_MAX 5000    /* characters */
#define NOTICES_SMS_PARAM_MAX 20 /* characters of one SMS template value */
#define NOTICES_FILES_MAX 20     /* attachments of one notice */
/* The timer channel that fires escalation steps (notices_deliver.c). */
#define NOTICES_TIMER_CHANNEL "notices_escalation"

/* ---- notices.c: replies and helpers ---------------------------------- */
int notices_not_found(jx_req *req);
int notices_forbidden(jx_req *req, const char *detail);
/* ?limit= (default 50, max 500) and ?cursor= (an id: items below it). */
void notices_page(jx_req *req, int64_t *limit, int64_t *before);
/* 1 when the request is for the JSON API. */
int notices_is_api(jx_req *req);
/* Copies at most max characters (UTF-8) of s into out. */
void notices_cut(const char *s, size_t max, char *out, size_t outlen);

/* ---- notices_compose.c ------------------------------------------------ */
/* The page form's POST /notices (notices_pages.c calls it). */
int notices_compose_form(jx_req *req, void *ud);
/* The compose page's data: the school's classes and grades. */
cJSON *notices_compose_options(jx_req *req, jx_db *db);

/* ---- notices_read.c --------------------------------------------------- */
/*
 * What the acting identity may do with notice id: 2 the sender (or an
 * admin of its school), 1 a recipient through the acting identity, 0
 * neither (answer 404).
 */
int notices_access(jx_req *req, jx_db *db, int64_t id);
/* The notice as the API shows it, counts only for senders (may == 2). */
cJSON *notices_get_json(jx_req *req, jx_db *db, int64_t id, int may);
cJSON *notices_receipts_json(jx_req *req, jx_db *db, int64_t id);
/* Marks the notice read for the acting person; 0 or -1. */
int notices_mark_read(jx_req *req, jx_db *db, int64_t id);
/* Marks the notice confirmed (and read) for the acting person; 0 or
 * -1. */
int notices_mark_confirmed(jx_req *req, jx_db *db, int64_t id);
/* Whether notice id asks its recipients to confirm: 1, 0, -1 none. */
int notices_requires_confirmation(jx_db *db, int64_t id);
/* Reminds the unread (unconfirmed: those who have not confirmed) of a
 * notice; the number reminded, or -1. */
int64_t notices_remind(jx_req *req, jx_db *db, int64_t id, int unconfirmed);
cJSON *notices_list_json(jx_req *req, jx_db *db);
cJSON *notices_inbox_json(jx_req *req, jx_db *db);
/* A head teacher's call list: the unread of the classes they head that
 * the escalation listed (a plain array). */
cJSON *notices_calls_json(jx_req *req, jx_db *db);
/* The inbox an identity reads as: role ("parent", "student",
 * "teacher") and student id (a parent's child, a student's self, 0);
 * 0 for identities without one (notices_read.c). */
int notices_inbox_of(const struct jx_identity *i, const char **role,
                     int64_t *student);

/* ---- notices_files.c: attachments ------------------------------------ */
/* The registrar's file_visible callback: ref "notice:<id>". */
int notices_file_visible(jx_req *req, const char *ref, void *ud);
/* The attachments of notice id: [{"id","name","mime","size","url",
 * "thumb"?}], in the order they were attached. */
cJSON *notices_files_json(jx_req *req, jx_db *db, int64_t id);
/*
 * Attaches the file ids of list (a checked JSON array of ids) to notice
 * id, inside the caller's transaction. 0; 422 with *message (for the
 * field "attachments": no such file of the caller's, not an image, PDF
 * or Office document); 500 on a database error.
 */
int notices_files_attach(jx_req *req, jx_db *db, int64_t id, const cJSON *list,
                         const char **message);
/* The compose form's file_ids (one per hidden input of jx-upload.js)
 * as a JSON array of numbers (strings kept for the error message). */
cJSON *notices_files_form(jx_req *req);

/* ---- notices_names.c: people as the school calls them ----------------- */
/*
 * The names receipts show for the recipients of notice id, loaded in
 * one query (arena memory): a parent as the family does ("张一鸣爸爸",
 * "张一鸣家长"; of two children in the audience, both: "张一鸣爸爸、张小雨
 * 爸爸"), a teacher by the name the school gave them, a student by their
 * own name. notices_names_get answers own for a person not found.
 */
struct notices_names;
struct notices_names *notices_names_load(jx_req *req, jx_db *db, int64_t id);
const char *notices_names_get(const struct notices_names *nm, int64_t person,
                              const char *own);
/* The family word of a relation as entered: 父亲/爸爸 → 爸爸 ... in the
 * request's language; NULL for "家长" (unknown). */
const char *notices_relation_word(jx_req *req, const char *relation);

/* ---- notices_deliver.c ------------------------------------------------ */
int notices_deliver_init(struct jx_registrar *reg);
/* The home item and the 消息 tab (notices_home.c). */
int notices_home_init(struct jx_registrar *reg);

/* Handlers of the route table (notices.c). */
int api_get(jx_req *req, void *ud);
int api_read(jx_req *req, void *ud);
int api_confirm(jx_req *req, void *ud);
int page_confirm(jx_req *req, void *ud);
int notices_receipts_get(jx_req *req, void *ud);
int notices_remind_post(jx_req *req, void *ud);
int page_list(jx_req *req, void *ud);
int page_new(jx_req *req, void *ud);
int page_notice(jx_req *req, void *ud);
int page_inbox(jx_req *req, void *ud);
int page_calls(jx_req *req, void *ud);
int compose_create(jx_req *req, void *ud);
int compose_preview(jx_req *req, void *ud);
/*
 * Queues the first delivery of notice id to its recipients (in-app for
 * all, WeChat for parents) and the escalation timers; in the caller's
 * transaction. 0 or -1.
 */
int notices_deliver_new(jx_db *db, int64_t id);
/*
 * Reminds the unread of notice id through channel ("wechat": in-app and
 * WeChat; "sms": SMS to their phones; "call_list": the head teachers'
 * call list); with unconfirmed, those who have not confirmed it instead
 * (read or not). The number of persons reminded, or -1.
 */
int64_t notices_deliver_remind(jx_db *db, int64_t id, const char *channel,
                               int unconfirmed);
/* The time WeChat and SMS of notice id may go out (quiet hours), 0 now. */
int64_t notices_not_before(jx_db *db, int64_t id);

/* ---- notices_pages.c -------------------------------------------------- */

#endif
