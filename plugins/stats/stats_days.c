/*
 * stats_days.c — local days (YYYYMMDD in the configured time zone) and
 * ISO weeks (a week is its Monday's day). Date arithmetic goes through
 * a day count since 1970-01-01 (H. Hinnant's civil-day formulas), so it
 * needs no time zone: only the local day of an instant asks the host.
 */
#include "stats.h"

#include <stdlib.h>
#include <string.h>

static int64_t
days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int64_t
civil_from_days(int64_t z)
{
	int64_t era, doe, yoe, y, doy, mp, d, m;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp + (mp < 10 ? 3 : -9);
	return (y + (m <= 2)) * 10000 + m * 100 + d;
}

static int64_t
serial(int64_t day)
{
	return days_from_civil(day / 10000, day / 100 % 100, day % 100);
}

int64_t
stats_day_of(int64_t t)
{
	char iso[32];

	/* the configured time zone's date: "2026-09-01T08:00:00+08:00" */
	jx_host->format_time(t, iso, sizeof(iso));
	if (strlen(iso) < 10)
		return 0;
	return atoll(iso) * 10000 + atoll(iso + 5) * 100 + atoll(iso + 8);
}

int
stats_day_valid(int64_t day)
{
	int64_t y = day / 10000, m = day / 100 % 100, d = day % 100;

	if (y < 2000 || y > 2999 || m < 1 || m > 12 || d < 1 || d > 31)
		return 0;
	return civil_from_days(days_from_civil(y, m, d)) == day;
}

int64_t
stats_day_add(int64_t day, int n)
{
	return civil_from_days(serial(day) + n);
}

int
stats_weekday(int64_t day)
{
	/* 1970-01-01 was a Thursday (3 counting from Monday = 0) */
	int64_t s = serial(day) + 3;

	return (int)(((s % 7) + 7) % 7);
}

int64_t
stats_week_of(int64_t day)
{
	return stats_day_add(day, -stats_weekday(day));
}

int
stats_day_span(int64_t from, int64_t to)
{
	return (int)(serial(to) - serial(from)) + 1;
}

int64_t
stats_parse_day(const char *s)
{
	int64_t day;

	/* exactly YYYY-MM-DD */
	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int k = 0; k < 10; k++)
		if (k != 4 && k != 7 && (s[k] < '0' || s[k] > '9'))
			return 0;
	day = atoll(s) * 10000 + atoll(s + 5) * 100 + atoll(s + 8);
	return stats_day_valid(day) ? day : 0;
}
