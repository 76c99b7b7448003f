/*
 * roster_rules.c — the row rules every roster input shares: grade names
 * (1-12, 一年级…九年级, 初一…高三), classes written with their grade
 * (七年级1班, 初一(2)班), gender words, and the shape and check digit of
 * an ID number (GB 11643, MOD 11-2). Pure functions, unit-tested in
 * plugins/roster/tests/test_rules.c.
 */
#include "roster.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

int
roster_parse_grade(const char *s)
{
	static const char *const cn[] = {"一", "二", "三", "四", "五",
	                                 "六", "七", "八", "九"};
	char buf[64];
	size_t n;

	if (s == NULL)
		return 0;
	snprintf(buf, sizeof(buf), "%s", s);
	n = strlen(buf);
	/* Arabic numbers, with or without 年级 */
	if (n > 0 && buf[0] >= '0' && buf[0] <= '9') {
		int g = 0;
		size_t i = 0;

		for (; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
			g = g * 10 + (buf[i] - '0');
		if ((buf[i] == '\0' || strcmp(buf + i, "年级") == 0) &&
		    g >= 1 && g <= 12)
			return g;
		return 0;
	}
	for (int i = 0; i < 9; i++) {
		char want[32];

		snprintf(want, sizeof(want), "%s年级", cn[i]);
		if (strcmp(buf, want) == 0)
			return i + 1;
		if (i < 3) {
			snprintf(want, sizeof(want), "初%s", cn[i]);
			if (strcmp(buf, want) == 0)
				return 7 + i;
			snprintf(want, sizeof(want), "高%s", cn[i]);
			if (strcmp(buf, want) == 0)
				return 10 + i;
		}
	}
	return 0;
}

int
roster_parse_grade_class(const char *s, int *grade, char *name, size_t namelen)
{
	char buf[128], *p;
	char *cls;

	if (s == NULL || strlen(s) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", s);
	/* 初一(2)班 → 初一 + 2班 */
	p = strchr(buf, '(');
	if (p != NULL) {
		char *close = strchr(p, ')');

		if (close == NULL)
			return -1;
		*p = '\0';
		*close = '\0';
		*grade = roster_parse_grade(buf);
		if (*grade == 0)
			return -1;
		snprintf(name, namelen, "%s%s", p + 1, close + 1);
		return *name ? 0 : -1;
	}
	/* 七年级1班 / 7年级1班: the grade ends at 年级 */
	p = strstr(buf, "年级");
	if (p != NULL) {
		/* the grade is everything up to and including 年级 */
		cls = p + strlen("年级");
		snprintf(name, namelen, "%s", cls);
		*cls = '\0';
		*grade = roster_parse_grade(buf);
		return *grade && *name ? 0 : -1;
	}
	/* 初一1班, 高二3班: a two-character grade (6 bytes in UTF-8) */
	if (strlen(buf) > 6) {
		char g[8];

		memcpy(g, buf, 6);
		g[6] = '\0';
		*grade = roster_parse_grade(g);
		snprintf(name, namelen, "%s", buf + 6);
		return *grade && *name ? 0 : -1;
	}
	return -1;
}

const char *
roster_gender(const char *s)
{
	if (s == NULL)
		return NULL;
	if (strcmp(s, "男") == 0 || strcasecmp(s, "male") == 0 ||
	    strcasecmp(s, "m") == 0)
		return "男";
	if (strcmp(s, "女") == 0 || strcasecmp(s, "female") == 0 ||
	    strcasecmp(s, "f") == 0)
		return "女";
	return NULL;
}

int
roster_id_number(const char *s, char *out, size_t outlen)
{
	size_t n = s ? strlen(s) : 0;

	if (n != 18 || outlen < 19)
		return -1;
	for (size_t i = 0; i < 18; i++) {
		char c = s[i];

		if (i == 17 && (c == 'x' || c == 'X'))
			c = 'X';
		else if (c < '0' || c > '9')
			return -1;
		out[i] = c;
	}
	out[18] = '\0';
	return 0;
}

int
roster_id_checksum_ok(const char *id)
{
	static const int w[17] = {7, 9, 10, 5,  8, 4, 2, 1, 6,
	                          3, 7, 9,  10, 5, 8, 4, 2};
	static const char check[] = "10X98765432";
	int sum = 0;

	for (int i = 0; i < 17; i++)
		sum += (id[i] - '0') * w[i];
	return check[sum % 11] == id[17];
}
