/*
 * json.c — writing a cJSON tree as compact JSON text, as
 * cJSON_PrintUnformatted does, but fast for the numbers replies are made
 * of. Debian's cJSON (1.7.15) prints every number with "%1.15g" and reads
 * it back with sscanf to check the round trip; a district's progress (500
 * schools, 3,500 integers) spent a third of its time there. Integers are
 * written digit by digit here; other numbers as cJSON writes them.
 */
#include "host.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
json_number(struct buf *b, double d)
{
	char tmp[32];
	int n;

	if (!isfinite(d)) {
		buf_append(b, "null", 4);
		return;
	}
	if (d == trunc(d) && fabs(d) < 1e15 && !(d == 0 && signbit(d))) {
		long long v = (long long)d;
		unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v
		                             : (unsigned long long)v;
		char *p = tmp + sizeof(tmp);

		do {
			*--p = (char)('0' + u % 10);
			u /= 10;
		} while (u != 0);
		if (v < 0)
			*--p = '-';
		buf_append(b, p, (size_t)(tmp + sizeof(tmp) - p));
		return;
	}
	/* As cJSON: 15 significant digits when they give the number back
	 * (within an epsilon, as cJSON compares), else 17. */
	n = snprintf(tmp, sizeof(tmp), "%1.15g", d);
	{
		double back = strtod(tmp, NULL);
		double big = fabs(back) > fabs(d) ? fabs(back) : fabs(d);

		if (!(fabs(back - d) <= big * DBL_EPSILON))
			n = snprintf(tmp, sizeof(tmp), "%1.17g", d);
	}
	buf_append(b, tmp, (size_t)n);
}

static void
json_string(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;

	buf_append(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[6];
		size_t k = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		buf_append(b, run, (size_t)(s - run));
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
		buf_append(b, esc, k);
	}
	buf_append(b, run, (size_t)(s - run));
	buf_append(b, "\"", 1);
}

static void
json_value(struct buf *b, const cJSON *v)
{
	const cJSON *c;
	int first = 1;

	switch (v->type & 0xff) {
	case cJSON_False: buf_append(b, "false", 5); return;
	case cJSON_True: buf_append(b, "true", 4); return;
	case cJSON_Number: json_number(b, v->valuedouble); return;
	case cJSON_String:
		json_string(b, v->valuestring ? v->valuestring : "");
		return;
	case cJSON_Raw:
		if (v->valuestring != NULL) {
			buf_puts(b, v->valuestring);
			return;
		}
		break;
	case cJSON_Array:
		buf_append(b, "[", 1);
		for (c = v->child; c != NULL; c = c->next, first = 0) {
			if (!first)
				buf_append(b, ",", 1);
			json_value(b, c);
		}
		buf_append(b, "]", 1);
		return;
	case cJSON_Object:
		buf_append(b, "{", 1);
		for (c = v->child; c != NULL; c = c->next, first = 0) {
			if (!first)
				buf_append(b, ",", 1);
			json_string(b, c->string ? c->string : "");
			buf_append(b, ":", 1);
			json_value(b, c);
		}
		buf_append(b, "}", 1);
		return;
	default: break;
	}
	buf_append(b, "null", 4);
}

char *
json_print(const cJSON *v, size_t *len)
{
	struct buf b;

	buf_init(&b);
	json_value(&b, v);
	if (len != NULL)
		*len = b.len;
	return b.data;
}
