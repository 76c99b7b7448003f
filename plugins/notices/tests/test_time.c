/* test_time.c — quiet hours and ISO 8601 times of the notices plugin. */
#include "check.h"
#include "notices_time.h"

#include <jxplug.h>

#include <stdlib.h>
#include <time.h>

int
main(void)
{
	int64_t t;

	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	CHECK(notices_minutes("21:30") == 1290);
	CHECK(notices_minutes("07:00") == 420);
	CHECK(notices_minutes("7:5") == 425);
	CHECK(notices_minutes("25:00") == -1);
	CHECK(notices_minutes("21:30x") == -1);
	CHECK(notices_minutes(NULL) == -1);

	/* 2026-12-01T22:00+08:00 is inside 21:30-07:00: ends 07:00 next
	 * morning. */
	t = jxp_parse_time("2026-12-01T22:00:00+08:00");
	CHECK(t == 1796133600);
	CHECK(notices_quiet_end(t, 1290, 420) ==
	      jxp_parse_time("2026-12-02T07:00:00+08:00"));
	/* 03:00 is inside too: ends at 07:00 the same day. */
	t = jxp_parse_time("2026-12-02T03:00+08:00");
	CHECK(notices_quiet_end(t, 1290, 420) ==
	      jxp_parse_time("2026-12-02T07:00+08:00"));
	/* 07:00 sharp and 12:00 are outside. */
	CHECK(notices_quiet_end(jxp_parse_time("2026-12-02T07:00+08:00"), 1290,
	                        420) == 0);
	CHECK(notices_quiet_end(jxp_parse_time("2026-12-02T12:00+08:00"), 1290,
	                        420) == 0);
	/* Quiet hours within a day (12:00-14:00) and none. */
	CHECK(notices_quiet_end(jxp_parse_time("2026-12-02T13:00+08:00"), 720,
	                        840) ==
	      jxp_parse_time("2026-12-02T14:00+08:00"));
	CHECK(notices_quiet_end(t, -1, -1) == 0);
	CHECK(notices_quiet_end(t, 600, 600) == 0);

	/* Offsets, Z, no offset (local), fractions, bad input. */
	CHECK(jxp_parse_time("2026-12-01T14:00:00Z") == 1796133600);
	CHECK(jxp_parse_time("2026-12-01T22:00") == 1796133600);
	CHECK(jxp_parse_time("2026-12-01 22:00:00.250+0800") == 1796133600);
	CHECK(jxp_parse_time("2026-12-01T09:00-05:00") == 1796133600);
	CHECK(jxp_parse_time("2026-13-01T22:00") == -1);
	CHECK(jxp_parse_time("tomorrow") == -1);
	CHECK(jxp_parse_time("2026-12-01T22:00+08:00junk") == -1);
	return check_done();
}
