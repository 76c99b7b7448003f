/*
 * jxjson.c — JSON into a growing buffer, and cached local times (see
 * jxjson.h).
 */
#include "jxjson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
jxp_json_grow(struct jxp_json *j, const char *s, size_t n)
{
	if (j->failed)
		return;
	if (j->len + n + 1 > j->cap) {
		size_t cap = j->cap ? j->cap : 4096;
		char *p;

		while (cap < j->len + n + 1)
			cap *= 2;
		p = realloc(j->p, cap);
		if (p == NULL) {
			j->failed = 1;
			return;
		}
		j->p = p;
		j->cap = cap;
	}
	memcpy(j->p + j->len, s, n);
	j->len += n;
	j->p[j->len] = '\0';
}

void
jxp_json_str(struct jxp_json *j, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run;

	if (s == NULL) {
		jxp_json_lit(j, "null");
		return;
	}
	jxp_json_lit(j, "\"");
	for (run = s; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[6];
		size_t k = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		jxp_json_raw(j, run, (size_t)(s - run));
		run = s + 1;
		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			k = 6;
		}
		jxp_json_raw(j, esc, k);
	}
	jxp_json_raw(j, run, (size_t)(s - run));
	jxp_json_lit(j, "\"");
}

void
jxp_json_int(struct jxp_json *j, int64_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);
	uint64_t u = v < 0 ? 0ULL - (uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	jxp_json_raw(j, p, (size_t)(tmp + sizeof(tmp) - p));
}

void
jxp_json_free(struct jxp_json *j)
{
	free(j->p);
	memset(j, 0, sizeof(*j));
}

/* Seconds since local midnight of format_time's text
 * "YYYY-MM-DDTHH:MM:SS+hh:mm", or -1 when it is not that. */
static int
jxp_time_of_day(const char *s)
{
	if (strlen(s) < 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':')
		return -1;
	return ((s[11] - '0') * 10 + (s[12] - '0')) * 3600 +
	       ((s[14] - '0') * 10 + (s[15] - '0')) * 60 + (s[17] - '0') * 10 +
	       (s[18] - '0');
}

void
jxp_format_time(const struct jx_host *jx_host, struct jxp_timecache *c,
                int64_t t, char *out, size_t outlen)
{
	char end[40];
	int sec;

	if (c->valid && t >= c->day_start && t < c->day_start + 86400) {
		int d = (int)(t - c->day_start), h = d / 3600, m = d / 60 % 60,
		    s = d % 60;
		size_t k = strlen(c->offset);

		if (20 + k <= outlen) {
			memcpy(out, c->date, 10);
			out[10] = 'T';
			out[11] = (char)('0' + h / 10);
			out[12] = (char)('0' + h % 10);
			out[13] = ':';
			out[14] = (char)('0' + m / 10);
			out[15] = (char)('0' + m % 10);
			out[16] = ':';
			out[17] = (char)('0' + s / 10);
			out[18] = (char)('0' + s % 10);
			memcpy(out + 19, c->offset, k + 1);
			return;
		}
	}
	jx_host->format_time(t, out, outlen);
	sec = jxp_time_of_day(out);
	if (sec < 0)
		return;
	/* remember the day only when its last second is 23:59:59 of the
	 * same date with the same offset: no change of offset inside it */
	jx_host->format_time(t - sec + 86399, end, sizeof(end));
	if (strncmp(end, out, 10) != 0 || strcmp(end + 19, out + 19) != 0 ||
	    strncmp(end + 11, "23:59:59", 8) != 0 ||
	    strlen(out + 19) >= sizeof(c->offset))
		return;
	c->day_start = t - sec;
	memcpy(c->date, out, 10);
	c->date[10] = '\0';
	snprintf(c->offset, sizeof(c->offset), "%s", out + 19);
	c->valid = 1;
}
