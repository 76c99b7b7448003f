/*
 * stats_svg.h — server-side SVG charts of the statistics pages: bars per
 * row (class, school, student) and a weekly line of one or more series.
 * Pure C over plain arrays: no host, no database, no chart library; the
 * pages embed the markup and put every number in a table beside it.
 */
#ifndef STATS_SVG_H
#define STATS_SVG_H

#include <stddef.h>
#include <stdint.h>

/* One bar: label is user input (a class or school name), escaped. */
struct stats_svg_bar {
	const char *label;
	int64_t value;
};

/* One line of a line chart: values[i] is the point above xlabels[i]. */
struct stats_svg_series {
	const char *name;
	const int64_t *values;
};

/*
 * What a chart shows. id prefixes the ids of the title and description
 * (unique on the page; anything outside [A-Za-z0-9_-] is dropped). title
 * and desc become <title> and <desc>, the accessible name and
 * description; empty is the sentence drawn when there is nothing to
 * show. Every string is escaped; invalid UTF-8 becomes U+FFFD.
 */
struct stats_svg_chart {
	const char *id;
	const char *title;
	const char *desc;
	const char *empty;
	/* bars */
	const struct stats_svg_bar *bars;
	size_t nbars;
	/* line: npoints x labels, nseries series of npoints values */
	const char *const *xlabels;
	size_t npoints;
	const struct stats_svg_series *series;
	size_t nseries;
};

/* Longest label drawn, in characters; a longer one ends in "…" and keeps
 * its full text in the bar's <title> (and the page's table). */
#define STATS_SVG_LABEL_MAX 24
/* At most this many series in a line chart (each has its own colour,
 * marker and dash, so none is told apart by colour alone). */
#define STATS_SVG_SERIES_MAX 4

/*
 * The bar chart as one <svg> element: a bar per row, its label above it
 * and its value at its end, scaled to the largest value. Returns a
 * malloc'ed string the caller frees, or NULL when out of memory.
 */
char *stats_svg_bars(const struct stats_svg_chart *c);

/*
 * The line chart as one <svg> element: a y axis with round ticks, the x
 * labels (thinned when crowded), one polyline with markers per series and
 * a legend. Returns a malloc'ed string the caller frees, or NULL when out
 * of memory.
 */
char *stats_svg_line(const struct stats_svg_chart *c);

/* The "nice" top of an axis for a largest value: 1, 2 or 5 times a power
 * of ten, at least max (0 for max <= 0). Exposed for the tests. */
double stats_svg_nice(double max);

#endif
