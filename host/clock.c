/*
 * clock.c — the host's one clock. Everything that needs the time asks
 * jx_now(); the test build lets testing.clock_offset_seconds move it so
 * system tests can pass deadlines without sleeping.
 */
#include "host.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static _Atomic int64_t clock_offset;
static char clock_tz[64] = "Asia/Shanghai";

int64_t
jx_now(void)
{
	return (int64_t)time(NULL) + atomic_load(&clock_offset);
}

void
clock_set_offset(int64_t seconds)
{
#ifdef JX_TESTING
	atomic_store(&clock_offset, seconds);
#else
	(void)seconds;
#endif
}

void
clock_set_timezone(const char *tz)
{
	if (tz == NULL || *tz == '\0')
		return;
	snprintf(clock_tz, sizeof(clock_tz), "%s", tz);
	/* The zone is set once at start-up, before any thread runs, so
	 * localtime_r afterwards is safe. */
	setenv("TZ", clock_tz, 1);
	tzset();
}

void
clock_format_iso(int64_t t, char *out, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;
	long off;
	size_t k;

	localtime_r(&tt, &tm);
	k = strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
	off = tm.tm_gmtoff;
	snprintf(out + k, n - k, "%c%02ld:%02ld", off < 0 ? '-' : '+',
	         labs(off) / 3600, (labs(off) % 3600) / 60);
}

void
clock_after_ms(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}
