/*
 * test_jxjson.c — pluginlib's JSON writer (jxjson.c) writes strings and
 * integers byte for byte as the host's printer (json_print) does: quotes,
 * backslashes, every control character, UTF-8, NULL as null, the integer
 * limits; a buffer grows past its first size. jxp_format_time writes what
 * format_time writes for every second tried, in a zone without summer
 * time and in one with it (the days the offset changes are not cached).
 */
#include "check.h"
#include "host.h"
#include "jxjson.h"

#include <stdlib.h>
#include <string.h>

static void
same_str(const char *s)
{
	struct jxp_json j = {0};
	cJSON *v = cJSON_CreateString(s);
	char *want = json_print(v, NULL);

	jxp_json_str(&j, s);
	CHECK_STR(j.p, want);
	free(want);
	cJSON_Delete(v);
	jxp_json_free(&j);
}

static void
same_int(int64_t n)
{
	struct jxp_json j = {0};
	char want[32];

	snprintf(want, sizeof(want), "%lld", (long long)n);
	jxp_json_int(&j, n);
	CHECK_STR(j.p, want);
	jxp_json_free(&j);
}

static struct jx_host host;

static void
same_times(const char *tz, int64_t from, int64_t to, int64_t step)
{
	struct jxp_timecache c = {0};
	int bad = 0;

	setenv("TZ", tz, 1);
	tzset();
	for (int64_t t = from; step > 0 ? t < to : t > to; t += step) {
		char want[40], got[40];

		clock_format_iso(t, want, sizeof(want));
		jxp_format_time(&host, &c, t, got, sizeof(got));
		if (strcmp(want, got) != 0 && bad++ < 5)
			fprintf(stderr, "%s %lld: %s != %s\n", tz, (long long)t,
			        got, want);
	}
	CHECK(bad == 0);
	CHECK(c.valid);
}

int
main(void)
{
	char all[33];
	struct jxp_json j = {0};

	same_str("");
	same_str("plain");
	same_str("<script>alert(1)</script>");
	same_str("say \"hi\" \\ back/slash");
	same_str("家校 动态 😀 ünï");
	same_str("tab\there\nline\r\b\f");
	for (int k = 1; k < 33; k++)
		all[k - 1] = (char)k;
	all[32] = '\0';
	same_str(all);
	same_str("\x7f\xff\xfe"); /* bytes above 0x1f pass as they are */
	jxp_json_str(&j, NULL);
	CHECK_STR(j.p, "null");
	jxp_json_free(&j);

	same_int(0);
	same_int(7);
	same_int(-7);
	same_int(1234567890123LL);
	same_int(INT64_MAX);
	same_int(INT64_MIN);

	/* growth past the first 4096 bytes keeps every byte */
	for (int k = 0; k < 3000; k++)
		jxp_json_lit(&j, "ab\"");
	CHECK(j.len == 9000 && !j.failed);
	CHECK(memcmp(j.p + 8997, "ab\"", 3) == 0 && j.p[9000] == '\0');
	jxp_json_free(&j);

	host.format_time = clock_format_iso;
	/* 2026: a second-by-minute walk over a few days, random-ish steps */
	same_times("Asia/Shanghai", 1796000000, 1796000000 + 3 * 86400, 61);
	same_times("Asia/Shanghai", 1796000000 + 3 * 86400,
	           1796000000 - 40 * 86400, -3607);
	/* New York's changes of 2026 (8 March, 1 November) inside the walk */
	same_times("America/New_York", 1772600000, 1773500000, 599);
	same_times("America/New_York", 1793300000, 1794200000, 599);
	same_times("UTC", 0, 3 * 86400, 1);
	return check_done();
}
