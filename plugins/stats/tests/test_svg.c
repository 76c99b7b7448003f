/*
 * test_svg.c — the statistics charts (stats_svg.c), every output parsed
 * with expat: well-formed XML with 0, 1 and many rows, huge and negative
 * values, hostile, long and broken names; the accessible name and
 * description; every coordinate inside the view box; values as text.
 */
#include "check.h"
#include "stats_svg.h"

#include <expat.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parsed {
	int ok;
	int depth;
	int svg, rect, text, title, desc, polyline, circle, g;
	double w, h;
	int outside; /* coordinates outside the view box */
	int in_title;
	char titles[8][512]; /* text of the first <title> elements */
	int ntitles;
	char texts[4096]; /* all <text> content, "|" separated */
	int in_text;
	char role[32];
	char labelledby[64];
	char ids[256];
};

static void
parsed_coord(struct parsed *p, const char *name, const char *v, int vertical)
{
	double d;
	char *end;

	(void)name;
	d = strtod(v, &end);
	if (*end != '\0' || !isfinite(d) || d < 0 ||
	    d > (vertical ? p->h : p->w))
		p->outside++;
}

static void XMLCALL
parsed_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct parsed *p = ud;

	p->depth++;
	if (strcmp(name, "svg") == 0) {
		p->svg++;
		for (int i = 0; atts[i]; i += 2) {
			if (strcmp(atts[i], "viewBox") == 0)
				sscanf(atts[i + 1], "0 0 %lf %lf", &p->w,
				       &p->h);
			if (strcmp(atts[i], "role") == 0)
				snprintf(p->role, sizeof(p->role), "%s",
				         atts[i + 1]);
			if (strcmp(atts[i], "aria-labelledby") == 0)
				snprintf(p->labelledby, sizeof(p->labelledby),
				         "%s", atts[i + 1]);
		}
		return;
	}
	for (int i = 0; atts[i]; i += 2) {
		const char *a = atts[i];

		if (strcmp(a, "id") == 0) {
			size_t l = strlen(p->ids);
			snprintf(p->ids + l, sizeof(p->ids) - l, "%s%s",
			         l ? " " : "", atts[i + 1]);
		}
		if (strcmp(a, "x") == 0 || strcmp(a, "cx") == 0 ||
		    strcmp(a, "x1") == 0 || strcmp(a, "x2") == 0)
			parsed_coord(p, a, atts[i + 1], 0);
		if (strcmp(a, "y") == 0 || strcmp(a, "cy") == 0 ||
		    strcmp(a, "y1") == 0 || strcmp(a, "y2") == 0)
			parsed_coord(p, a, atts[i + 1], 1);
		if (strcmp(a, "width") == 0) {
			double x = 0, w = strtod(atts[i + 1], NULL);
			for (int j = 0; atts[j]; j += 2)
				if (strcmp(atts[j], "x") == 0)
					x = strtod(atts[j + 1], NULL);
			if (!(w >= 0) || x + w > p->w)
				p->outside++;
		}
		if (strcmp(a, "points") == 0) {
			const char *s = atts[i + 1];
			char *end;
			while (*s) {
				double x = strtod(s, &end);
				double y;
				if (end == s || *end != ',') {
					p->outside++;
					break;
				}
				y = strtod(end + 1, &end);
				if (x < 0 || x > p->w || y < 0 || y > p->h)
					p->outside++;
				s = end;
				while (*s == ' ')
					s++;
			}
		}
	}
	if (strcmp(name, "rect") == 0)
		p->rect++;
	else if (strcmp(name, "g") == 0)
		p->g++;
	else if (strcmp(name, "circle") == 0)
		p->circle++;
	else if (strcmp(name, "polyline") == 0)
		p->polyline++;
	else if (strcmp(name, "desc") == 0)
		p->desc++;
	else if (strcmp(name, "title") == 0) {
		p->title++;
		p->in_title = 1;
	} else if (strcmp(name, "text") == 0) {
		size_t l = strlen(p->texts);
		p->text++;
		p->in_text = 1;
		if (l + 2 < sizeof(p->texts))
			strcat(p->texts, "|");
	}
}

static void XMLCALL
parsed_end(void *ud, const XML_Char *name)
{
	struct parsed *p = ud;

	p->depth--;
	if (strcmp(name, "title") == 0) {
		p->in_title = 0;
		if (p->ntitles < 8)
			p->ntitles++;
	}
	if (strcmp(name, "text") == 0)
		p->in_text = 0;
}

static void XMLCALL
parsed_chars(void *ud, const XML_Char *s, int len)
{
	struct parsed *p = ud;

	if (p->in_title && p->ntitles < 8) {
		char *t = p->titles[p->ntitles];
		size_t l = strlen(t);
		if (l + (size_t)len < sizeof(p->titles[0]))
			memcpy(t + l, s, (size_t)len), t[l + (size_t)len] = 0;
	}
	if (p->in_text) {
		size_t l = strlen(p->texts);
		if (l + (size_t)len < sizeof(p->texts))
			memcpy(p->texts + l, s, (size_t)len),
			    p->texts[l + (size_t)len] = 0;
	}
}

/* Parses svg (and frees it); p->ok when expat accepted it whole. */
static void
parse(char *svg, struct parsed *p)
{
	XML_Parser x = XML_ParserCreate("UTF-8");

	memset(p, 0, sizeof(*p));
	p->w = p->h = 1e9; /* until the root's viewBox says */
	XML_SetUserData(x, p);
	XML_SetElementHandler(x, parsed_start, parsed_end);
	XML_SetCharacterDataHandler(x, parsed_chars);
	p->ok = svg != NULL &&
	        XML_Parse(x, svg, (int)strlen(svg), 1) == XML_STATUS_OK;
	if (!p->ok && svg != NULL)
		fprintf(stderr, "expat: %s at %lu in:\n%s\n",
		        XML_ErrorString(XML_GetErrorCode(x)),
		        (unsigned long)XML_GetCurrentByteIndex(x), svg);
	XML_ParserFree(x);
	free(svg);
}

static void
test_nice(void)
{
	CHECK(stats_svg_nice(0) == 0);
	CHECK(stats_svg_nice(-5) == 0);
	CHECK(stats_svg_nice(1) == 1);
	CHECK(stats_svg_nice(3) == 5);
	CHECK(stats_svg_nice(7) == 10);
	CHECK(stats_svg_nice(1234) == 2000);
	CHECK(stats_svg_nice(0.3) == 0.5);
	CHECK(stats_svg_nice((double)INT64_MAX) >= (double)INT64_MAX);
}

static void
test_bars_empty(void)
{
	struct stats_svg_chart c = {.id = "c1",
	                            .title = "各班登录",
	                            .desc = "没有班级",
	                            .empty = "暂无数据"};
	struct parsed p;

	parse(stats_svg_bars(&c), &p);
	CHECK(p.ok);
	CHECK(p.svg == 1 && p.rect == 0);
	CHECK_STR(p.role, "img");
	CHECK_STR(p.labelledby, "c1-t c1-d");
	CHECK_STR(p.ids, "c1-t c1-d");
	CHECK_STR(p.titles[0], "各班登录");
	CHECK(strstr(p.texts, "暂无数据") != NULL);
	CHECK(p.outside == 0);
}

static void
test_bars_one(void)
{
	struct stats_svg_bar rows[] = {{"一年级1班", 7}};
	struct stats_svg_chart c = {.id = "x\"><script>",
	                            .title = "t",
	                            .desc = "d",
	                            .bars = rows,
	                            .nbars = 1};
	struct parsed p;

	parse(stats_svg_bars(&c), &p);
	CHECK(p.ok);
	CHECK(p.rect == 1);
	/* the id keeps only its safe characters */
	CHECK_STR(p.labelledby, "xscript-t xscript-d");
	CHECK_STR(p.titles[1], "一年级1班: 7");
	CHECK(strcmp(p.texts, "|一年级1班|7") == 0);
	CHECK(p.outside == 0);
}

static void
test_bars_zero(void)
{
	struct stats_svg_bar rows[] = {{"a", 0}, {"b", 0}};
	struct stats_svg_chart c = {.bars = rows, .nbars = 2};
	struct parsed p;

	parse(stats_svg_bars(&c), &p);
	CHECK(p.ok);
	CHECK(p.rect == 0); /* no bar for 0, but its value as text */
	CHECK(strcmp(p.texts, "|a|0|b|0") == 0);
	CHECK_STR(p.labelledby, "chart-t chart-d");
}

static void
test_bars_many_huge(void)
{
	enum { N = 300 };
	struct stats_svg_bar *rows = calloc(N, sizeof(*rows));
	char(*names)[16] = calloc(N, 16);
	struct stats_svg_chart c = {.title = "t", .desc = "d"};
	struct parsed p;
	char want[64];

	for (int i = 0; i < N; i++) {
		snprintf(names[i], 16, "班%d", i);
		rows[i].label = names[i];
		rows[i].value = i == 0 ? INT64_MAX : i;
	}
	rows[N - 1].value = -3; /* nonsense, but drawn as 0 and printed */
	c.bars = rows;
	c.nbars = N;
	parse(stats_svg_bars(&c), &p);
	CHECK(p.ok);
	CHECK(p.rect == N - 1); /* every positive value has a bar */
	CHECK(p.g == N);
	CHECK(p.outside == 0);
	CHECK(p.h == 16 + N * 48);
	snprintf(want, sizeof(want), "|%" PRId64 "|", INT64_MAX);
	CHECK(strstr(p.texts, want) != NULL);
	CHECK(strstr(p.texts, "|-3") != NULL);
	free(rows);
	free(names);
}

static void
test_bars_hostile(void)
{
	char longname[400] = "";
	struct stats_svg_bar rows[] = {
	    {"<script>alert(1)</script>&amp;\"'", 5},
	    {"bad \xff\xfe utf8 \xc0\xaf over \xed\xa0\x80 sur", 4},
	    {"ctl\x01\x1f tab\there\nnl", 3},
	    {longname, 2},
	    {NULL, 1},
	    {"\xe4\xb8", 1}, /* cut short */
	};
	struct stats_svg_chart c = {.id = "h",
	                            .title = "]]></title><x>",
	                            .desc = "<!-- -->",
	                            .bars = rows,
	                            .nbars = 6};
	struct parsed p;
	char *svg;

	for (int i = 0; i < 20; i++)
		strcat(longname, "张三李四王");
	svg = stats_svg_bars(&c);
	CHECK(svg != NULL && strstr(svg, "<script") == NULL);
	CHECK(svg != NULL && strstr(svg, "<x>") == NULL);
	parse(svg, &p);
	CHECK(p.ok);
	CHECK_STR(p.titles[0], "]]></title><x>");
	CHECK_STR(p.titles[1], "<script>alert(1)</script>&amp;\"': 5");
	CHECK_STR(p.titles[2], "bad \xef\xbf\xbd\xef\xbf\xbd utf8 "
	                       "\xef\xbf\xbd\xef\xbf\xbd over "
	                       "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd sur: 4");
	CHECK_STR(p.titles[3], "ctl\xef\xbf\xbd\xef\xbf\xbd tab here nl: 3");
	/* the long name: whole in the title, cut to 24 characters drawn */
	CHECK(strncmp(p.titles[4], longname, strlen(longname)) == 0);
	CHECK(strstr(p.texts,
	             "|张三李四王张三李四王张三李四王张三李四王张三李…|") !=
	      NULL);
	CHECK(strstr(p.texts, "\xef\xbf\xbd") != NULL);
	CHECK(p.outside == 0);
}

static void
test_line(void)
{
	int64_t logins[52], uploads[52];
	char labels[52][8];
	const char *xl[52];
	struct stats_svg_series s[] = {{"登录", logins}, {"上传", uploads}};
	struct stats_svg_chart c = {.id = "w",
	                            .title = "每周活跃",
	                            .desc = "登录与上传",
	                            .empty = "暂无数据",
	                            .xlabels = xl,
	                            .series = s,
	                            .nseries = 2};
	struct parsed p;

	for (int i = 0; i < 52; i++) {
		snprintf(labels[i], sizeof(labels[i]), "W%02d", i + 1);
		xl[i] = labels[i];
		logins[i] = i * 10;
		uploads[i] = 520 - i * 10;
	}
	/* nothing to draw */
	parse(stats_svg_line(&c), &p);
	CHECK(p.ok && p.polyline == 0);
	CHECK(strstr(p.texts, "暂无数据") != NULL);

	/* one week: the point in the middle, its value as text */
	c.npoints = 1;
	logins[0] = 1;
	uploads[0] = 0;
	parse(stats_svg_line(&c), &p);
	CHECK(p.ok && p.polyline == 2);
	CHECK(p.circle == 2); /* the legend's and the point's */
	CHECK(strstr(p.texts, "|W01|") != NULL);
	CHECK(strstr(p.texts, "|登录|") != NULL);
	CHECK(strstr(p.texts, "|上传|") != NULL);
	CHECK(p.outside == 0);
	CHECK_STR(p.labelledby, "w-t w-d");

	/* a year: thinned labels, everything inside the box */
	c.npoints = 52;
	parse(stats_svg_line(&c), &p);
	CHECK(p.ok && p.polyline == 2);
	CHECK(p.circle == 53);
	CHECK(p.outside == 0);
	CHECK(strstr(p.texts, "|W01|") != NULL);
	CHECK(strstr(p.texts, "|W02|") == NULL);
	/* ticks: 0 to 600 in steps of 200 */
	CHECK(strstr(p.texts, "|600|") != NULL);

	/* huge and all-zero values */
	logins[3] = INT64_MAX;
	parse(stats_svg_line(&c), &p);
	CHECK(p.ok && p.outside == 0);
	for (int i = 0; i < 52; i++)
		logins[i] = uploads[i] = 0;
	parse(stats_svg_line(&c), &p);
	CHECK(p.ok && p.outside == 0);
	CHECK(strstr(p.texts, "|0|") != NULL);
}

int
main(void)
{
	test_nice();
	test_bars_empty();
	test_bars_one();
	test_bars_zero();
	test_bars_many_huge();
	test_bars_hostile();
	test_line();
	return check_done();
}
