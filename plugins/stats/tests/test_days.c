/*
 * test_days.c — stats' local days and ISO weeks (stats_days.c): the
 * weekday of known dates, the Monday of a week across a month, a year
 * and a leap day, day arithmetic, spans, and the strict YYYY-MM-DD
 * reader (no 2026-02-30, no 2026-2-3).
 */
#include "check.h"
#include "stats.h"

#include <stdio.h>
#include <time.h>

/* stats_day_of asks the host for the local date: a stand-in at UTC+8 */
static void
fake_format_time(int64_t t, char *out, size_t outlen)
{
	time_t s = (time_t)(t + 8 * 3600);
	struct tm tm;

	gmtime_r(&s, &tm);
	strftime(out, outlen, "%Y-%m-%dT%H:%M:%S+08:00", &tm);
}

static struct jx_host fake = {.format_time = fake_format_time};
const struct jx_host *jx_host = &fake;

int
main(void)
{
	/* 2026-12-07 is a Monday, 2026-12-13 a Sunday */
	CHECK(stats_weekday(20261207) == 0);
	CHECK(stats_weekday(20261213) == 6);
	CHECK(stats_weekday(19700101) == 3);
	CHECK(stats_week_of(20261213) == 20261207);
	CHECK(stats_week_of(20261207) == 20261207);
	/* across a month, a year, a leap day */
	CHECK(stats_week_of(20261202) == 20261130);
	CHECK(stats_week_of(20270101) == 20261228);
	CHECK(stats_week_of(20240301) == 20240226);
	CHECK(stats_day_add(20240228, 1) == 20240229);
	CHECK(stats_day_add(20250228, 1) == 20250301);
	CHECK(stats_day_add(20261231, 1) == 20270101);
	CHECK(stats_day_add(20270101, -1) == 20261231);
	CHECK(stats_day_span(20261207, 20261207) == 1);
	CHECK(stats_day_span(20261207, 20261214) == 8);
	CHECK(stats_day_span(20250101, 20251231) == 365);
	/* the reader */
	CHECK(stats_parse_day("2026-12-07") == 20261207);
	CHECK(stats_parse_day("2024-02-29") == 20240229);
	CHECK(stats_parse_day("2026-02-29") == 0);
	CHECK(stats_parse_day("2026-02-30") == 0);
	CHECK(stats_parse_day("2026-13-01") == 0);
	CHECK(stats_parse_day("2026-2-3") == 0);
	CHECK(stats_parse_day("2026-12-07x") == 0);
	CHECK(stats_parse_day("") == 0);
	CHECK(stats_parse_day(NULL) == 0);
	CHECK(stats_day_valid(20261207));
	CHECK(!stats_day_valid(20261232));
	/* the local day: 2026-12-06T16:00:00Z is 00:00 on the 7th at +08 */
	CHECK(stats_day_of(1796572800) == 20261207);
	CHECK(stats_day_of(1796572799) == 20261206);
	return check_done();
}
