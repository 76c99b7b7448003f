/*
 * problem.c — application/problem+json bodies (RFC 9457): type, title,
 * status, detail, and "errors" naming the row and field at fault; and
 * the one place that turns a server error into what the client is told
 * (507 for a full disk, an error id on every 5xx).
 */
#include "crypto.h"
#include "host.h"

#include <stdio.h>

const char *
problem_status_title(int status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 507: return "Insufficient Storage";
	default: return "Error";
	}
}

cJSON *
problem_new(int status, const char *type, const char *title, const char *detail,
            cJSON *errors)
{
	cJSON *p = cJSON_CreateObject();
	char uri[160];

	snprintf(uri, sizeof(uri), "/problems/%s",
	         type && *type ? type : "error");
	cJSON_AddStringToObject(p, "type", uri);
	cJSON_AddStringToObject(p, "title",
	                        title ? title : problem_status_title(status));
	cJSON_AddNumberToObject(p, "status", status);
	cJSON_AddStringToObject(
	    p, "detail",
	    detail ? detail : (title ? title : problem_status_title(status)));
	if (errors != NULL)
		cJSON_AddItemToObject(p, "errors", errors);
	return p;
}

void
problem_add_error(cJSON **errors, int row, const char *field,
                  const char *message)
{
	cJSON *e = cJSON_CreateObject();

	if (*errors == NULL)
		*errors = cJSON_CreateArray();
	if (row > 0)
		cJSON_AddNumberToObject(e, "row", row);
	if (field != NULL)
		cJSON_AddStringToObject(e, "field", field);
	cJSON_AddStringToObject(e, "message", message ? message : "");
	cJSON_AddItemToArray(*errors, e);
}

/* Seconds a client waits before trying again after a full disk: long
 * enough for an operator's alert to be acted on, short enough that a
 * parent's retry succeeds once space is back. */
#define PROBLEM_FULL_RETRY_AFTER "120"

cJSON *
problem_for_request(jx_req *req, int *status, const char *type,
                    const char *title, const char *detail)
{
	char id[17], text[512];
	cJSON *p;

	if (*status < 500)
		return problem_new(*status, type, title, detail, req->errors);
	/* Every storage failure of the request ends up here as a 500 from
	 * its handler, whatever plugin: a full disk (the worker's
	 * connection knows) is the client's to retry, not a fault. */
	if (*status == 500 && req->worker != NULL && req->worker->db != NULL &&
	    db_storage_full(req->worker->db)) {
		*status = 507;
		type = "storage-full";
		title = problem_status_title(507);
		detail = "The server's storage is full; nothing was changed. "
		         "Try again later.";
		http_add_header(req, "Retry-After", PROBLEM_FULL_RETRY_AFTER);
	}
	/* An id the operator finds in the log beside the cause. */
	crypto_token(id, 8);
	jx_log(JX_LOG_ERROR, "http", "error %s: %d %s on %s %s: %s", id,
	       *status, type ? type : "error", req->method ? req->method : "",
	       req->path ? req->path : "",
	       req->worker && req->worker->db ? db_errmsg(req->worker->db)
	                                      : "");
	snprintf(text, sizeof(text), "%s (error id %s)",
	         detail ? detail : (title ? title : "Error"), id);
	p = problem_new(*status, type, title, text, req->errors);
	cJSON_AddStringToObject(p, "error_id", id);
	return p;
}
