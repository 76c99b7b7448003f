/*
 * notices_pages.c — the notices pages: the sent list with read bars
 * (/notices), the compose form (/notices/new, posted to /notices; the
 * live recipient count comes from /static/notices-compose.js), one
 * notice (/notices/{id}: the link WeChat messages carry; a recipient's
 * visit marks it read), its receipts with the remind button
 * (/notices/{id}/receipts), the head teacher's call list
 * (/notices/calls) and the inbox (/inbox, made for phones).
 * Each page shows the same data its API twin returns.
 */
#include "notices.h"

#include <stdio.h>
#include <string.h>

#define H notices_host

static int
page_list(jx_req *req, void *ud)
{
	cJSON *d;

	(void)ud;
	if (!jxp_role(notices_host, req, "school_admin,teacher"))
		return notices_forbidden(req, NULL);
	d = notices_list_json(req, H->req_db(req));
	cJSON_AddStringToObject(d, "title", H->t(req, "notices.list.title"));
	return H->reply_view(req, 200, "notices/list", d);
}

static int
page_new(jx_req *req, void *ud)
{
	cJSON *d;

	(void)ud;
	if (!jxp_role(notices_host, req, "school_admin,teacher"))
		return notices_forbidden(req, NULL);
	d = notices_compose_options(req, H->req_db(req));
	cJSON_AddStringToObject(d, "title", H->t(req, "notices.new.title"));
	cJSON_AddItemToObject(d, "values", cJSON_CreateObject());
	cJSON_AddItemToObject(d, "errors", cJSON_CreateArray());
	return H->reply_view(req, 200, "notices/new", d);
}

static int
page_notice(jx_req *req, void *ud)
{
	int64_t id = H->req_param_id(req, "id");
	jx_db *db = H->req_db(req);
	int may = notices_access(req, db, id);
	cJSON *d;

	(void)ud;
	if (may == 0)
		return notices_not_found(req);
	/* Opening the page is reading the notice (the WeChat link). */
	if (may == 1 && notices_mark_read(req, db, id) != 0)
		return jxp_storage_error(notices_host, req);
	d = notices_get_json(req, db, id, may);
	if (d == NULL)
		return notices_not_found(req);
	cJSON_AddBoolToObject(d, "is_sender", may == 2);
	return H->reply_view(req, 200, "notices/notice", d);
}

static int
page_receipts(jx_req *req, void *ud)
{
	int64_t id = H->req_param_id(req, "id");
	jx_db *db = H->req_db(req);
	cJSON *d;

	(void)ud;
	if (notices_access(req, db, id) != 2)
		return notices_not_found(req);
	d = notices_receipts_json(req, db, id);
	cJSON_AddItemToObject(d, "notice", notices_get_json(req, db, id, 2));
	cJSON_AddStringToObject(d, "title",
	                        H->t(req, "notices.receipts.title"));
	{
		const char *r = H->req_query(req, "reminded");

		if (r != NULL)
			cJSON_AddStringToObject(d, "reminded", r);
	}
	return H->reply_view(req, 200, "notices/receipts", d);
}

static int
page_remind(jx_req *req, void *ud)
{
	int64_t id = H->req_param_id(req, "id"), n;
	jx_db *db = H->req_db(req);

	(void)ud;
	if (notices_access(req, db, id) != 2)
		return notices_not_found(req);
	n = notices_remind(req, db, id);
	if (n < 0)
		return jxp_storage_error(notices_host, req);
	return H->reply_redirect(
	    req, H->sprintf(req, "/notices/%lld/receipts?reminded=%lld",
	                    (long long)id, (long long)n));
}

static int
page_inbox(jx_req *req, void *ud)
{
	cJSON *d;

	(void)ud;
	d = notices_inbox_json(req, H->req_db(req));
	cJSON_AddStringToObject(d, "title", H->t(req, "notices.inbox.title"));
	return H->reply_view(req, 200, "notices/inbox", d);
}

static int
page_calls(jx_req *req, void *ud)
{
	cJSON *d;

	(void)ud;
	if (!jxp_role(notices_host, req, "teacher"))
		return notices_forbidden(req, NULL);
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "title", H->t(req, "notices.calls.title"));
	cJSON_AddItemToObject(d, "items",
	                      notices_calls_json(req, H->req_db(req)));
	return H->reply_view(req, 200, "notices/calls", d);
}

int
notices_pages_init(struct jx_registrar *reg)
{
	static const struct {
		const char *method, *pattern;
		jx_handler h;
	} routes[] = {
	    {"GET", "/notices", page_list},
	    {"GET", "/notices/new", page_new},
	    {"GET", "/notices/calls", page_calls},
	    {"POST", "/notices", notices_compose_form},
	    {"GET", "/notices/{id}", page_notice},
	    {"GET", "/notices/{id}/receipts", page_receipts},
	    {"POST", "/notices/{id}/remind", page_remind},
	    {"GET", "/inbox", page_inbox},
	};

	for (size_t k = 0; k < sizeof(routes) / sizeof(routes[0]); k++)
		if (reg->route(reg, routes[k].method, routes[k].pattern,
		               routes[k].h, NULL, JX_ROUTE_PAGE) != 0)
			return -1;
	return 0;
}
