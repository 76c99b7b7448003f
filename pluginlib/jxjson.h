/*
 * jxjson.h — JSON written straight into a growing buffer, for replies
 * made of many rows (a feed page), where building a cJSON tree, printing
 * and freeing it cost more than the query (docs/BENCHMARKS.md, "Feeds").
 * Strings are escaped as the host's printer escapes them (", \ and the
 * control characters; UTF-8 passes through), so a reply written here is
 * byte for byte what the tree would have printed.
 *
 * And local times as API.md writes them, cheaply for rows of few days.
 */
#ifndef JXJSON_H
#define JXJSON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jx/plugin.h>

/* A buffer; zero it to start. failed is set when memory ran out (the
 * text is then incomplete: reply 500). */
struct jxp_json {
	char *p;
	size_t len, cap;
	int failed;
};

/* Appends n bytes (grows the buffer; sets failed when it cannot). */
void jxp_json_grow(struct jxp_json *j, const char *s, size_t n);
static inline void
jxp_json_raw(struct jxp_json *j, const char *s, size_t n)
{
	if (j->len + n < j->cap) {
		memcpy(j->p + j->len, s, n);
		j->len += n;
		j->p[j->len] = '\0';
	} else
		jxp_json_grow(j, s, n);
}
#define jxp_json_lit(j, s) jxp_json_raw((j), (s), sizeof(s) - 1)
/* A quoted, escaped string; null for NULL. */
void jxp_json_str(struct jxp_json *j, const char *s);
void jxp_json_int(struct jxp_json *j, int64_t v);
void jxp_json_free(struct jxp_json *j);

/* format_time's text of t (ISO 8601 with the offset), remembering the
 * last local day seen: a time of that day is written without asking the
 * C library (localtime_r takes glibc's lock). A day whose offset changes
 * (summer time) is never remembered. Zero it to start. */
struct jxp_timecache {
	int64_t day_start; /* local midnight of the day remembered */
	int valid;
	char date[11];   /* YYYY-MM-DD */
	char offset[16]; /* +08:00 */
};

void jxp_format_time(const struct jx_host *jx_host, struct jxp_timecache *c,
                     int64_t t, char *out, size_t outlen);

#endif
