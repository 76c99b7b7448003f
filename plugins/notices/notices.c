/*
 * notices.c — the notices plugin: school and homework notices, the
 * inbox, read receipts, reminders and the escalation of unread notices
 * with a deadline (API.md, "Notices"). This file holds the descriptor,
 * the schema and the helpers the other files share.
 *
 * Tables: notices_notices (one per notice), notices_via (how each person
 * is addressed: as a parent through which child, as a teacher, as a
 * student: the inbox of an identity reads it), notices_recipients (one
 * per distinct person: the read state), notices_calls (the head
 * teachers' call list, the escalation's last step), notices_files (a
 * notice's attachments, files of the host's file service attached to
 * the ref "notice:<id>"; notices_files.c answers who may see them).
 */
#include "notices.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

JX_HOST_DECLARE;
const struct jx_org_v1 *notices_org;

int
notices_not_found(jx_req *req)
{
	return jx_host->reply_problem(req, 404, "not-found", "Not found",
	                              "No such notice.");
}

int
notices_forbidden(jx_req *req, const char *detail)
{
	return jx_host->reply_problem(
	    req, 403, "forbidden", "Forbidden",
	    detail ? detail : "Your identity may not do this.");
}

void
notices_page(jx_req *req, int64_t *limit, int64_t *before)
{
	/* newest first: the cursor is the last id shown, none the top */
	jxp_page(jx_host, req, limit, before);
	if (*before <= 0)
		*before = INT64_MAX;
}

int
notices_is_api(jx_req *req)
{
	return jx_host->req_is_api(req);
}

void
notices_cut(const char *s, size_t max, char *out, size_t outlen)
{
	size_t k = 0, chars = 0;

	if (outlen == 0)
		return;
	while (s != NULL && s[k] != '\0') {
		size_t len = 1;

		while (((unsigned char)s[k + len] & 0xc0) == 0x80)
			len++;
		if (chars == max || k + len >= outlen)
			break;
		k += len;
		chars++;
	}
	if (s != NULL)
		memcpy(out, s, k);
	out[k] = '\0';
}

static int
notices_init(const struct jx_host *h, struct jx_registrar *reg)
{
	JX_HOST_INIT(h);
	notices_org = h->service(JX_ORG_SERVICE);
	if (notices_org == NULL) {
		h->log(JX_LOG_ERROR, "notices", "the host has no %s service",
		       JX_ORG_SERVICE);
		return -1;
	}
	if (notices_deliver_init(reg) != 0 || notices_home_init(reg) != 0 ||
	    reg->file_visible(reg, notices_file_visible, NULL) != 0)
		return -1;
	reg->menu(reg, "school_admin,teacher", "nav.notices.sent", "/notices",
	          30);
	reg->menu(reg, "parent,student,teacher", "nav.notices.inbox", "/inbox",
	          31);
	reg->menu(reg, "teacher", "nav.notices.calls", "/notices/calls", 32);
	return 0;
}

static const char *const notices_migrations[] = {
    /* 1: notices, how each person is addressed, read state, call list */
    "CREATE TABLE notices_notices ("
    "  id INTEGER PRIMARY KEY,"
    "  school_id INTEGER NOT NULL REFERENCES schools(id),"
    "  district_id INTEGER NOT NULL REFERENCES districts(id),"
    "  sender_identity_id INTEGER NOT NULL,"
    "  sender_person_id INTEGER NOT NULL REFERENCES persons(id),"
    "  sender_account_id INTEGER NOT NULL,"
    "  sender_role TEXT NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind IN ('school','homework')),"
    "  title TEXT NOT NULL,"
    "  body TEXT NOT NULL,"
    "  urgent INTEGER NOT NULL DEFAULT 0,"
    "  deadline INTEGER,"
    "  audience TEXT NOT NULL,"
    "  recipients INTEGER NOT NULL DEFAULT 0,"
    /* WeChat and SMS of the first delivery wait until then (quiet
     * hours at compose time); 0: sent at once */
    "  not_before INTEGER NOT NULL DEFAULT 0,"
    /* the district's quiet hours at compose time, minutes of the
     * local day (NULL: none), for reminders sent by the delivery
     * thread, which runs no Lua */
    "  quiet_from INTEGER,"
    "  quiet_to INTEGER,"
    /* the escalation steps the rule gave: [{"at","channel"}] */
    "  escalation TEXT NOT NULL DEFAULT '[]',"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX notices_notices_sender ON notices_notices("
    "  sender_person_id, school_id, id);"
    "CREATE TABLE notices_via ("
    "  notice_id INTEGER NOT NULL REFERENCES notices_notices(id),"
    "  person_id INTEGER NOT NULL REFERENCES persons(id),"
    "  role TEXT NOT NULL CHECK (role IN ('parent','teacher',"
    "    'student')),"
    /* parent: the child; student: self; teacher: 0 */
    "  student_id INTEGER NOT NULL,"
    "  class_id INTEGER,"
    "  PRIMARY KEY (notice_id, person_id, role, student_id));"
    "CREATE INDEX notices_via_person ON notices_via(person_id, role,"
    "  student_id, notice_id);"
    "CREATE TABLE notices_recipients ("
    "  notice_id INTEGER NOT NULL REFERENCES notices_notices(id),"
    "  person_id INTEGER NOT NULL REFERENCES persons(id),"
    "  is_parent INTEGER NOT NULL DEFAULT 0,"
    "  read_at INTEGER,"
    "  PRIMARY KEY (notice_id, person_id));"
    "CREATE TABLE notices_calls ("
    "  notice_id INTEGER NOT NULL REFERENCES notices_notices(id),"
    "  person_id INTEGER NOT NULL REFERENCES persons(id),"
    "  class_id INTEGER,"
    "  created_at INTEGER NOT NULL,"
    "  done_at INTEGER,"
    "  PRIMARY KEY (notice_id, person_id));"
    "CREATE INDEX notices_calls_class ON notices_calls(class_id);",
    /* 2 (issue 14): a notice may ask its recipients to confirm receipt
     * (确认收到); the confirmation is per person, like the read state.
     * Attachments: the files attached (jx_host->file_attach, ref
     * "notice:<id>") in the order the sender gave them. */
    "ALTER TABLE notices_notices ADD COLUMN requires_confirmation INTEGER "
    "NOT NULL DEFAULT 0;"
    "ALTER TABLE notices_recipients ADD COLUMN confirmed_at INTEGER;"
    "CREATE TABLE notices_files ("
    "  notice_id INTEGER NOT NULL REFERENCES notices_notices(id),"
    "  file_id INTEGER NOT NULL REFERENCES files(id),"
    "  position INTEGER NOT NULL,"
    "  PRIMARY KEY (notice_id, file_id));",
    NULL};

/* A JX_ROUTE_BOTH handler answers the page and the API alike. */
static const struct jx_route notices_routes[] = {
    {"POST", "/api/v1/notices", compose_create, NULL, 0},
    {"POST", "/api/v1/notices/preview", compose_preview, NULL, 0},
    {"GET", "/api/v1/notices/{id}", api_get, NULL, 0},
    {"GET", "/notices/{id}/receipts", notices_receipts_get, NULL,
     JX_ROUTE_BOTH},
    {"POST", "/notices/{id}/remind", notices_remind_post, NULL, JX_ROUTE_BOTH},
    {"POST", "/api/v1/inbox/{notice_id}/read", api_read, NULL, 0},
    {"POST", "/api/v1/inbox/{notice_id}/confirm", api_confirm, NULL, 0},
    {"POST", "/notices/{id}/confirm", page_confirm, NULL, JX_ROUTE_PAGE},
    {"GET", "/notices", page_list, NULL, JX_ROUTE_BOTH},
    {"GET", "/notices/new", page_new, NULL, JX_ROUTE_PAGE},
    {"GET", "/notices/calls", page_calls, NULL, JX_ROUTE_BOTH},
    {"POST", "/notices", notices_compose_form, NULL, JX_ROUTE_PAGE},
    {"GET", "/notices/{id}", page_notice, NULL, JX_ROUTE_PAGE},
    {"GET", "/inbox", page_inbox, NULL, JX_ROUTE_BOTH},
    {NULL, NULL, NULL, NULL, 0},
};

static const struct jx_plugin notices_plugin = {
    .size = sizeof(struct jx_plugin),
    .abi_major = JX_ABI_MAJOR,
    .abi_minor = 1, /* file_attach, file_visible (attachments) */
    .routes = notices_routes,
    .name = "notices",
    .version = "1.0.0",
    .migrations = notices_migrations,
    .init = notices_init,
};

JX_EXPORT const struct jx_plugin *
jx_plugin_entry(void)
{
	return &notices_plugin;
}
