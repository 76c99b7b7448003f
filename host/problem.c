/*
 * problem.c — application/problem+json bodies (RFC 9457): type, title,
 * status, detail, and "errors" naming the row and field at fault. What
 * a server error becomes for the client (507 for a full disk, an error
 * id on every 5xx) is reply.c's, where the reply is made.
 */
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
