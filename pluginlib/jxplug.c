/*
 * jxplug.c — helpers shared by plugins (see jxplug.h).
 */
#include "jxplug.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void
jxp_page(const struct jx_host *jx_host, jx_req *req, int64_t *limit,
         int64_t *after)
{
	const char *l = jx_host->req_query(req, "limit");
	const char *c = jx_host->req_query(req, "cursor");

	*limit = l ? atoll(l) : 50;
	if (*limit < 1)
		*limit = 50;
	if (*limit > 500)
		*limit = 500;
	*after = c ? atoll(c) : 0;
	if (*after < 0)
		*after = 0;
}

cJSON *
jxp_items(cJSON *items, int64_t limit, const char *id_key)
{
	cJSON *o = cJSON_CreateObject();
	int n = cJSON_GetArraySize(items);

	if (n > limit) {
		cJSON *last;
		char cursor[32];

		cJSON_DeleteItemFromArray(items, n - 1);
		last = cJSON_GetArrayItem(items, n - 2);
		snprintf(
		    cursor, sizeof(cursor), "%lld",
		    (long long)cJSON_GetObjectItem(last, id_key)->valuedouble);
		cJSON_AddItemToObject(o, "items", items);
		cJSON_AddStringToObject(o, "next_cursor", cursor);
		return o;
	}
	cJSON_AddItemToObject(o, "items", items);
	cJSON_AddNullToObject(o, "next_cursor");
	return o;
}

int
jxp_role(const struct jx_host *jx_host, jx_req *req, const char *roles)
{
	const struct jx_identity *i = jx_host->identity(req);
	size_t n;

	if (i == NULL)
		return 0;
	n = strlen(i->role);
	for (const char *p = roles; (p = strstr(p, i->role)) != NULL; p += n)
		if ((p == roles || p[-1] == ',') &&
		    (p[n] == '\0' || p[n] == ','))
			return 1;
	return 0;
}

int64_t
jxp_one(const struct jx_host *jx_host, jx_db *db, const char *sql,
        const char *types, ...)
{
	va_list ap;
	jx_stmt *st;
	int64_t v = 0;

	va_start(ap, types);
	st = jx_host->db_vquery(db, sql, types, ap);
	va_end(ap);
	if (st == NULL)
		return -1;
	if (jx_host->db_step(st) == JX_DB_ROW)
		v = jx_host->db_int(st, 0);
	jx_host->db_finish(st);
	return v;
}

cJSON *
jxp_time(const struct jx_host *jx_host, int64_t t)
{
	char at[40];

	if (t == 0)
		return cJSON_CreateNull();
	jx_host->format_time(t, at, sizeof(at));
	return cJSON_CreateString(at);
}

size_t
jxp_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

const char *
jxp_fill(const struct jx_host *jx_host, jx_req *req, const char *text,
         const char *name, const char *value)
{
	size_t nlen = strlen(name), vlen = strlen(value), n = 0;
	const char *p;
	char *out, *o;

	for (p = text; (p = strchr(p, '{')) != NULL; p++)
		if (strncmp(p + 1, name, nlen) == 0 && p[nlen + 1] == '}')
			n++;
	if (n == 0)
		return text;
	out = o = jx_host->alloc(req, strlen(text) + n * vlen + 1);
	for (p = text; *p != '\0';) {
		if (*p == '{' && strncmp(p + 1, name, nlen) == 0 &&
		    p[nlen + 1] == '}') {
			memcpy(o, value, vlen);
			o += vlen;
			p += nlen + 2;
		} else
			*o++ = *p++;
	}
	*o = '\0';
	return out;
}

int
jxp_not_found(const struct jx_host *jx_host, jx_req *req)
{
	return jx_host->reply_problem(req, 404, "not-found", "Not found",
	                              "No such resource.");
}

int
jxp_forbidden(const struct jx_host *jx_host, jx_req *req)
{
	return jx_host->reply_problem(req, 403, "forbidden", "Forbidden",
	                              "Your identity may not do this.");
}

int
jxp_conflict(const struct jx_host *jx_host, jx_req *req, const char *detail)
{
	return jx_host->reply_problem(req, 409, "conflict", "Conflict", detail);
}

int
jxp_invalid(const struct jx_host *jx_host, jx_req *req, const char *detail)
{
	return jx_host->reply_problem(
	    req, 422, "validation-failed", "Invalid input",
	    detail ? detail : "Some fields are missing or invalid.");
}

int
jxp_storage_error(const struct jx_host *jx_host, jx_req *req)
{
	return jx_host->reply_problem(req, 500, "storage", "Storage error",
	                              "Nothing was changed.");
}

int64_t
jxp_parse_time(const char *s)
{
	struct tm tm;
	int y, mo, d, h, mi, sec = 0, used = 0, oh, om;
	const char *p;
	int64_t t;

	if (s == NULL ||
	    sscanf(s, "%4d-%2d-%2d%*1[T ]%2d:%2d%n", &y, &mo, &d, &h, &mi,
	           &used) != 5 ||
	    used != 16)
		return -1;
	p = s + used;
	if (*p == ':') {
		if (p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9')
			return -1;
		sec = (p[1] - '0') * 10 + (p[2] - '0');
		p += 3;
		if (*p == '.')
			for (p++; *p >= '0' && *p <= '9'; p++)
				;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60 || y < 1970 || y > 9999)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if (*p == '\0') {
		tm.tm_isdst = -1;
		return (int64_t)mktime(&tm);
	}
	t = (int64_t)timegm(&tm);
	if (*p == 'Z' && p[1] == '\0')
		return t;
	if ((*p == '+' || *p == '-') &&
	    (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &used) == 2 ||
	     sscanf(p + 1, "%2d%2d%n", &oh, &om, &used) == 2) &&
	    p[1 + used] == '\0' && oh <= 14 && om <= 59)
		return *p == '+' ? t - (oh * 3600 + om * 60)
		                 : t + (oh * 3600 + om * 60);
	return -1;
}
