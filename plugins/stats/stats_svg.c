/*
 * stats_svg.c — the statistics charts as SVG markup (stats_svg.h).
 *
 * Written for people first: the chart is an image with a title and a
 * description (role="img", aria-labelledby), every bar carries its value
 * as text, series differ in colour, marker and dash, and all colours
 * keep at least 4.5:1 against white. Names are user input: every string
 * goes through svg_text, which escapes XML's five characters, drops what
 * XML 1.0 forbids and replaces invalid UTF-8 with U+FFFD, so the output
 * always parses as XML (tests/test_svg.c parses it with expat).
 */
#include "stats_svg.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SVG_W 400
#define SVG_PAD 8
#define SVG_ROW 48
#define SVG_LINE_H 240
#define SVG_INK "#1b1f24"
#define SVG_MUTED "#4a5360"
#define SVG_GRID "#d9d9d9"
#define SVG_BAR "#0b4f8a"
#define SVG_FONT                                                               \
	"-apple-system, 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK "     \
	"SC', sans-serif"

struct svg_buf {
	char *p;
	size_t len;
	size_t cap;
	int oom;
};

static void
svg_put(struct svg_buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		char *p;

		while (b->len + n + 1 > cap)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
svg_puts(struct svg_buf *b, const char *s)
{
	svg_put(b, s, strlen(s));
}

static void svg_printf(struct svg_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
svg_printf(struct svg_buf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = 1;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		svg_put(b, small, (size_t)n);
		return;
	}
	/* longer than any number we print; formats here are short */
	svg_put(b, small, sizeof(small) - 1);
}

static char *
svg_done(struct svg_buf *b)
{
	if (b->oom || b->p == NULL) {
		free(b->p);
		return NULL;
	}
	return b->p;
}

/*
 * The next code point of s (at most n bytes), its length in *len; -1 for
 * a byte that starts no valid UTF-8 sequence (overlong, surrogate, above
 * U+10FFFF, cut short), which then counts as one byte.
 */
static long
svg_utf8(const unsigned char *s, size_t n, size_t *len)
{
	long cp;
	size_t need;

	*len = 1;
	if (s[0] < 0x80)
		return s[0];
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 1;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 2;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 3;
		cp = s[0] & 0x07;
	} else {
		return -1;
	}
	if (need >= n)
		return -1;
	for (size_t k = 1; k <= need; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[k] & 0x3f);
	}
	if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*len = need + 1;
	return cp;
}

/*
 * s as XML character data and attribute text, at most max characters
 * (0: all); a longer text ends in "…". Returns the characters written.
 */
static size_t
svg_text(struct svg_buf *b, const char *s, size_t max)
{
	const unsigned char *u = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)u), chars = 0, len;

	for (size_t i = 0; i < n; i += len) {
		long cp = svg_utf8(u + i, n - i, &len);

		if (max > 0 && chars == max - 1 && i + len < n) {
			svg_puts(b, "…");
			return chars + 1;
		}
		chars++;
		if (cp == '&')
			svg_puts(b, "&amp;");
		else if (cp == '<')
			svg_puts(b, "&lt;");
		else if (cp == '>')
			svg_puts(b, "&gt;");
		else if (cp == '"')
			svg_puts(b, "&quot;");
		else if (cp == '\'')
			svg_puts(b, "&#39;");
		else if (cp == '\t' || cp == '\n' || cp == '\r')
			svg_puts(b, " ");
		else if (cp < 0x20 || cp == 0xfffe || cp == 0xffff)
			svg_puts(b, "\xef\xbf\xbd"); /* U+FFFD */
		else
			svg_put(b, (const char *)u + i, len);
	}
	return chars;
}

/* The drawn width of a text, roughly: CJK characters are square, Latin
 * letters and digits about half as wide, at font-size px. */
static double
svg_width(const char *s, double px)
{
	const unsigned char *u = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)u), len;
	double w = 0;

	for (size_t i = 0; i < n; i += len)
		w += svg_utf8(u + i, n - i, &len) < 0x2e80 ? px * 0.6 : px;
	return w;
}

static void
svg_open(struct svg_buf *b, const struct stats_svg_chart *c, int h)
{
	char id[48];
	size_t k = 0;

	for (const char *s = c->id ? c->id : ""; *s && k + 1 < sizeof(id); s++)
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_')
			id[k++] = *s;
	id[k] = '\0';
	if (k == 0)
		snprintf(id, sizeof(id), "chart");
	svg_printf(b,
	           "<svg xmlns=\"http://www.w3.org/2000/svg\" "
	           "class=\"stats-chart\" role=\"img\" viewBox=\"0 0 %d %d\" "
	           "width=\"%d\" height=\"%d\" aria-labelledby=\"%s-t %s-d\" ",
	           SVG_W, h, SVG_W, h, id, id);
	svg_puts(b, "font-family=\"" SVG_FONT
	            "\" font-size=\"14\" fill=\"" SVG_INK "\">");
	svg_printf(b, "<title id=\"%s-t\">", id);
	svg_text(b, c->title, 0);
	svg_printf(b, "</title><desc id=\"%s-d\">", id);
	svg_text(b, c->desc, 0);
	svg_puts(b, "</desc>");
}

static char *
svg_empty(struct svg_buf *b, const struct stats_svg_chart *c)
{
	svg_open(b, c, 60);
	svg_printf(b, "<text x=\"%d\" y=\"34\" text-anchor=\"middle\">",
	           SVG_W / 2);
	svg_text(b, c->empty, 0);
	svg_puts(b, "</text></svg>");
	return svg_done(b);
}

double
stats_svg_nice(double max)
{
	double e = 1, f;

	/* the power of ten at or below max, by steps: no libm in the .so */
	if (!(max > 0) || max > 1e300)
		return max > 0 ? max : 0;
	while (e * 10 <= max)
		e *= 10;
	while (e > max)
		e /= 10;
	f = max / e;
	if (f <= 1)
		return e;
	if (f <= 2)
		return 2 * e;
	if (f <= 5)
		return 5 * e;
	return 10 * e;
}

char *
stats_svg_bars(const struct stats_svg_chart *c)
{
	struct svg_buf b = {0};
	int64_t max = 0;
	double reserve = 0, area;
	char num[32];

	if (c->nbars == 0 || c->bars == NULL)
		return svg_empty(&b, c);
	for (size_t i = 0; i < c->nbars; i++) {
		double w;

		if (c->bars[i].value > max)
			max = c->bars[i].value;
		snprintf(num, sizeof(num), "%" PRId64, c->bars[i].value);
		w = svg_width(num, 14) + 6;
		if (w > reserve)
			reserve = w;
	}
	area = SVG_W - 2 * SVG_PAD - reserve;
	if (area < 40)
		area = 40;
	svg_open(&b, c, (int)(2 * SVG_PAD + c->nbars * SVG_ROW));
	for (size_t i = 0; i < c->nbars; i++) {
		const struct stats_svg_bar *r = &c->bars[i];
		double y = SVG_PAD + (double)i * SVG_ROW;
		double len = max > 0 && r->value > 0
		                 ? (double)r->value / (double)max * area
		                 : 0;

		if (r->value > 0 && len < 1)
			len = 1;
		snprintf(num, sizeof(num), "%" PRId64, r->value);
		svg_puts(&b, "<g><title>");
		svg_text(&b, r->label, 0);
		svg_printf(&b, ": %s</title>", num);
		svg_printf(&b, "<text x=\"%d\" y=\"%.1f\" font-size=\"15\">",
		           SVG_PAD, y + 16);
		svg_text(&b, r->label, STATS_SVG_LABEL_MAX);
		svg_puts(&b, "</text>");
		if (len > 0)
			svg_printf(&b,
			           "<rect x=\"%d\" y=\"%.1f\" width=\"%.1f\" "
			           "height=\"15\" rx=\"2\" fill=\"" SVG_BAR
			           "\"/>",
			           SVG_PAD, y + 22, len);
		svg_printf(&b,
		           "<text class=\"stats-chart-value\" x=\"%.1f\" "
		           "y=\"%.1f\">%s</text></g>",
		           SVG_PAD + len + 6, y + 34.5, num);
	}
	svg_puts(&b, "</svg>");
	return svg_done(&b);
}

static const char *const svg_colours[STATS_SVG_SERIES_MAX] = {
    "#0b4f8a", "#a34a00", "#2b6e3a", "#7b3d8f"};
static const char *const svg_dashes[STATS_SVG_SERIES_MAX] = {
    "", " stroke-dasharray=\"6 3\"", " stroke-dasharray=\"2 3\"",
    " stroke-dasharray=\"8 3 2 3\""};

/* Series k's marker at (x, y): circle, square, triangle, diamond. */
static void
svg_marker(struct svg_buf *b, size_t k, double x, double y)
{
	const char *col = svg_colours[k];

	switch (k) {
	case 0:
		svg_printf(b,
		           "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" "
		           "fill=\"%s\"/>",
		           x, y, col);
		break;
	case 1:
		svg_printf(b,
		           "<rect x=\"%.1f\" y=\"%.1f\" width=\"7\" "
		           "height=\"7\" fill=\"%s\"/>",
		           x - 3.5, y - 3.5, col);
		break;
	case 2:
		svg_printf(b, "<path d=\"M%.1f %.1fl4 7h-8z\" fill=\"%s\"/>", x,
		           y - 4.5, col);
		break;
	default:
		svg_printf(b,
		           "<path d=\"M%.1f %.1fl4 4.5l-4 4.5l-4 -4.5z\" "
		           "fill=\"%s\"/>",
		           x, y - 4.5, col);
	}
}

/* An axis tick: exact below 10^15, three figures above. */
static void
svg_tick(char *out, size_t n, double v)
{
	if (v < 1e15)
		snprintf(out, n, "%.0f", v);
	else
		snprintf(out, n, "%.3g", v);
}

char *
stats_svg_line(const struct stats_svg_chart *c)
{
	struct svg_buf b = {0};
	size_t ns = c->nseries > STATS_SVG_SERIES_MAX ? STATS_SVG_SERIES_MAX
	                                              : c->nseries;
	double max = 0, step, top, left, right = SVG_W - 12, y0 = 40;
	double bottom, lx = SVG_PAD, tickw = 0;
	size_t nticks, every;
	/* values are drawn when few; the second series' go under their
	 * points, so the x labels move down to make room */
	int values = c->npoints * ns <= 16;
	double below = values && ns > 1 ? 14 : 0;
	char num[48];

	if (c->npoints == 0 || ns == 0 || c->series == NULL)
		return svg_empty(&b, c);
	for (size_t k = 0; k < ns; k++)
		for (size_t i = 0; c->series[k].values && i < c->npoints; i++)
			if ((double)c->series[k].values[i] > max)
				max = (double)c->series[k].values[i];
	step = stats_svg_nice(max / 4);
	if (step < 1)
		step = 1;
	nticks = (size_t)(max / step);
	if ((double)nticks * step < max)
		nticks++;
	if (nticks < 1)
		nticks = 1;
	top = step * (double)nticks;
	for (size_t t = 0; t <= nticks; t++) {
		svg_tick(num, sizeof(num), step * (double)t);
		if (svg_width(num, 13) > tickw)
			tickw = svg_width(num, 13);
	}
	left = SVG_PAD + tickw + 8;
	bottom = SVG_LINE_H - 34 - below;
	svg_open(&b, c, SVG_LINE_H);

	/* legend: marker, a stretch of the line, the name */
	for (size_t k = 0; k < ns; k++) {
		svg_printf(&b,
		           "<line x1=\"%.1f\" y1=\"14\" x2=\"%.1f\" y2=\"14\" "
		           "stroke=\"%s\" stroke-width=\"2\"%s/>",
		           lx, lx + 22, svg_colours[k], svg_dashes[k]);
		svg_marker(&b, k, lx + 11, 14);
		svg_printf(&b, "<text x=\"%.1f\" y=\"18.5\">", lx + 28);
		svg_text(&b, c->series[k].name, STATS_SVG_LABEL_MAX);
		svg_puts(&b, "</text>");
		lx += 28 + svg_width(c->series[k].name, 14) + 18;
	}

	/* y axis: gridlines and ticks */
	for (size_t t = 0; t <= nticks; t++) {
		double y = bottom - (bottom - y0) * (double)t / (double)nticks;

		svg_tick(num, sizeof(num), step * (double)t);
		svg_printf(&b,
		           "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		           "y2=\"%.1f\" stroke=\"%s\"/>",
		           left, y, right, y, t == 0 ? SVG_MUTED : SVG_GRID);
		svg_printf(&b,
		           "<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\" "
		           "text-anchor=\"end\" fill=\"" SVG_MUTED
		           "\">%s</text>",
		           left - 6, y + 4, num);
	}

	/* x labels, every nth when crowded (the table has them all) */
	every = (size_t)((double)c->npoints * 48 / (right - left)) + 1;
	if (every < 1)
		every = 1;
	for (size_t i = 0; i < c->npoints; i++) {
		double x = c->npoints == 1
		               ? (left + right) / 2
		               : left + (right - left) * (double)i /
		                            (double)(c->npoints - 1);

		if (i % every != 0 || c->xlabels == NULL)
			continue;
		svg_printf(&b,
		           "<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\" "
		           "text-anchor=\"middle\" fill=\"" SVG_MUTED "\">",
		           x, bottom + 18 + below);
		svg_text(&b, c->xlabels[i], 8);
		svg_puts(&b, "</text>");
	}

	/* the series: a polyline, then the markers, then (when few
	 * enough to read) each value above its point */
	for (size_t k = 0; k < ns; k++) {
		const int64_t *v = c->series[k].values;

		if (v == NULL)
			continue;
		svg_printf(&b,
		           "<g><polyline fill=\"none\" stroke=\"%s\" "
		           "stroke-width=\"2\"%s points=\"",
		           svg_colours[k], svg_dashes[k]);
		for (size_t i = 0; i < c->npoints; i++) {
			double x = c->npoints == 1
			               ? (left + right) / 2
			               : left + (right - left) * (double)i /
			                            (double)(c->npoints - 1);
			double val = v[i] > 0 ? (double)v[i] : 0;

			svg_printf(&b, "%s%.1f,%.1f", i ? " " : "", x,
			           bottom - (bottom - y0) * val / top);
		}
		svg_puts(&b, "\"/>");
		for (size_t i = 0; i < c->npoints; i++) {
			double x = c->npoints == 1
			               ? (left + right) / 2
			               : left + (right - left) * (double)i /
			                            (double)(c->npoints - 1);
			double val = v[i] > 0 ? (double)v[i] : 0;
			double y = bottom - (bottom - y0) * val / top;

			svg_marker(&b, k, x, y);
			/* a zero is the axis itself: its label would only
			 * crowd the others (the table has it) */
			if (values && v[i] != 0)
				svg_printf(
				    &b,
				    "<text class=\"stats-chart-value\" "
				    "x=\"%.1f\" y=\"%.1f\" font-size=\"12\" "
				    "text-anchor=\"middle\">%" PRId64 "</text>",
				    x, k % 2 ? y + 15 : y - 7, v[i]);
		}
		svg_puts(&b, "</g>");
	}
	svg_puts(&b, "</svg>");
	return svg_done(&b);
}
