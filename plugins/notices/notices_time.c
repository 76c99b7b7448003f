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

int64_t
notices_parse_time(const char *s)
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
