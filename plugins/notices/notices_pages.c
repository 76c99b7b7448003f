/*
 * notices_pages.c — the notices pages: the sent list with read bars
 * (/notices), the compose form (/notices/new, posted to /notices; the
 * live recipient count comes from /static/notices-compose.js), one
 * notice (/notices/{id}: the link WeChat messages carry; a recipient's
 * visit marks it read; 确认收到 and the attachments), its receipts with
 * the remind buttons
 * (/notices/{id}/receipts), the head teacher's call list
 * (/notices/calls) and the inbox (/inbox, made for phones).
 * Each page shows the same data its API twin returns.
 */
#include "notices.h"

#include <stdio.h>
#include <string.h>

/* The sender's notices, both faces (JX_ROUTE_BOTH). */
int
page_list(jx_req *req, void *ud)
{
	cJSON *d;

	(void)ud;
	if (!jxp_role(jx_host, req, "school_admin,teacher"))
		return notices_forbidden(req,
		                         "Only senders have sent notices.");
	d = notices_list_json(req, jx_host->req_db(req));
	if (jx_host->req_is_api(req))
		return jx_host->reply_json(req, 200, d);
	cJSON_AddStringToObject(d, "title",
	                        jx_host->t(req, "notices.list.title"));
	return jx_host->reply_view(req, 200, "notices/list", d);
}

int
page_new(jx_req *req, void *ud)
{
	cJSON *d;

	(void)ud;
	if (!jxp_role(jx_host, req, "school_admin,teacher"))
		return notices_forbidden(req, NULL);
	d = notices_compose_options(req, jx_host->req_db(req));
	cJSON_AddStringToObject(d, "title",
	                        jx_host->t(req, "notices.new.title"));
	cJSON_AddItemToObject(d, "values", cJSON_CreateObject());
	cJSON_AddItemToObject(d, "errors", cJSON_CreateArray());
	return jx_host->reply_view(req, 200, "notices/new", d);
}

int
page_notice(jx_req *req, void *ud)
{
	int64_t id = jx_host->req_param_id(req, "id");
	jx_db *db = jx_host->req_db(req);
	int may = notices_access(req, db, id);
	cJSON *d;

	(void)ud;
	if (may == 0)
		return notices_not_found(req);
	/* Opening the page is reading the notice (the WeChat link). */
	if (may == 1 && notices_mark_read(req, db, id) != 0)
		return jxp_storage_error(jx_host, req);
	d = notices_get_json(req, db, id, may);
	if (d == NULL)
		return notices_not_found(req);
	cJSON_AddBoolToObject(d, "is_sender", may == 2);
	return jx_host->reply_view(req, 200, "notices/notice", d);
}

int
page_inbox(jx_req *req, void *ud)
{
	cJSON *d;

	(void)ud;
	d = notices_inbox_json(req, jx_host->req_db(req));
	if (jx_host->req_is_api(req))
		return jx_host->reply_json(req, 200, d);
	cJSON_AddStringToObject(d, "title",
	                        jx_host->t(req, "notices.inbox.title"));
	return jx_host->reply_view(req, 200, "notices/inbox", d);
}

int
page_calls(jx_req *req, void *ud)
{
	cJSON *d;

	(void)ud;
	if (!jxp_role(jx_host, req, "teacher"))
		return notices_forbidden(req, "The call list is the head "
		                              "teachers'.");
	if (jx_host->req_is_api(req))
		return jx_host->reply_json(
		    req, 200, notices_calls_json(req, jx_host->req_db(req)));
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "title",
	                        jx_host->t(req, "notices.calls.title"));
	cJSON_AddItemToObject(d, "items",
	                      notices_calls_json(req, jx_host->req_db(req)));
	return jx_host->reply_view(req, 200, "notices/calls", d);
}
