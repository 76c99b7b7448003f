/*
 * notices_time.c — quiet hours and ISO 8601 times for the notices plugin
 * (see notices_time.h). Local time is the process time zone.
 */
#include "notices_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int
notices_minutes(const char *hhmm)
{
	int h, m, used = 0;

	if (hhmm == NULL || sscanf(hhmm, "%2d:%2d%n", &h, &m, &used) != 2 ||
	    hhmm[used] != '\0' || h < 0 || h > 24 || m < 0 || m > 59 ||
	    (h == 24 && m != 0))
		return -1;
	return h * 60 + m;
}

int64_t
notices_quiet_end(int64_t now, int from, int to)
{
	time_t t = (time_t)now;
	struct tm tm;
	int m;
	int64_t end;

	if (from < 0 || to < 0 || from == to)
		return 0;
	localtime_r(&t, &tm);
	m = tm.tm_hour * 60 + tm.tm_min;
	if (from < to ? (m < from || m >= to) : (m < from && m >= to))
		return 0;
	/* The next `to` o'clock: today's, or tomorrow's when it passed.
	 * mktime normalises the day and finds the offset (DST) itself. */
	tm.tm_hour = to / 60;
	tm.tm_min = to % 60;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	end = (int64_t)mktime(&tm);
	if (end <= now) {
		localtime_r(&t, &tm);
		tm.tm_mday += 1;
		tm.tm_hour = to / 60;
		tm.tm_min = to % 60;
		tm.tm_sec = 0;
		tm.tm_isdst = -1;
		end = (int64_t)mktime(&tm);
	}
	return end;
}
