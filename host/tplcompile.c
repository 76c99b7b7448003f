/*
 * tplcompile.c — the template compiler: template text in, the source of
 * one Lua chunk out, whose line numbers are the template's. The syntax is
 * documented at the top of render.c (and in templates/README.md); render.c
 * loads, caches and runs what this produces.
 */
#include "render_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

struct render_cc {
	const char *name; /* "templates/x.html", for messages */
	const char *text, *end;
	const char *lpos; /* where line was counted up to */
	int line;
	struct buf *src, *code;
	char *msg;
	size_t msglen;
};

static int
cc_fail(struct render_cc *cc, int line, const char *what)
{
	snprintf(cc->msg, cc->msglen, "%s:%d: %s", cc->name, line, what);
	return -1;
}

static int
cc_line_at(struct render_cc *cc, const char *p)
{
	for (; cc->lpos < p; cc->lpos++)
		cc->line += *cc->lpos == '\n';
	return cc->line;
}

/* Emits text as _o("..."), its newlines kept as escaped newlines of the
 * chunk so that chunk lines stay template lines. */
static void
cc_text(struct render_cc *cc, const char *a, const char *b)
{
	char esc[8];

	if (a == b)
		return;
	buf_puts(cc->src, "_o(\"");
	while (a < b) {
		const char *run = a;

		while (a < b && (unsigned char)*a >= 0x20 && *a != 0x7f &&
		       *a != '"' && *a != '\\')
			a++;
		buf_append(cc->src, run, (size_t)(a - run));
		if (a == b)
			break;
		if (*a == '\n')
			buf_puts(cc->src, "\\\n");
		else if (*a == '"' || *a == '\\')
			buf_append(cc->src, (const char[]){'\\', *a}, 2);
		else {
			snprintf(esc, sizeof(esc), "\\%03d", (unsigned char)*a);
			buf_puts(cc->src, esc);
		}
		a++;
	}
	buf_puts(cc->src, "\");");
}

/* The level of a Lua long bracket opening at p ("[[", "[==["), or -1. */
static int
cc_long_open(const char *p, const char *e)
{
	int level = 0;

	for (p++; p < e && *p == '='; p++)
		level++;
	return p < e && *p == '[' ? level : -1;
}

/* The end of the long bracket of level opening at p, or NULL. */
static const char *
cc_long_close(const char *p, const char *e, int level)
{
	for (p += level + 2; p < e; p++) {
		const char *q = p + 1;
		int n = 0;

		if (*p != ']')
			continue;
		while (q < e && *q == '=' && n < level)
			q++, n++;
		if (n == level && q < e && *q == ']')
			return q + 1;
	}
	return NULL;
}

/*
 * Copies a tag's Lua code, from p up to its closing delimiter (close
 * then '}', outside strings, comments and braces) into cc->code; comments
 * are dropped but their newlines kept. Returns the position after the
 * delimiter, or NULL when the tag is not closed.
 */
static const char *
cc_code(struct render_cc *cc, const char *p, char close)
{
	const char *e = cc->end, *q;
	int depth = 0, level;

	buf_reset(cc->code);
	while (p < e) {
		char c = *p;

		if (depth == 0 && c == close && p + 1 < e && p[1] == '}')
			return p + 2;
		if (c == '"' || c == '\'') {
			/* An unfinished string stops at its line: Lua
			 * reports it there. */
			for (q = p + 1; q < e && *q != c && *q != '\n'; q++)
				if (*q == '\\' && q + 1 < e)
					q++;
			if (q >= e)
				return NULL;
			q += *q == c;
			buf_append(cc->code, p, (size_t)(q - p));
			p = q;
			continue;
		}
		if (c == '[' && (level = cc_long_open(p, e)) >= 0) {
			if ((q = cc_long_close(p, e, level)) == NULL)
				return NULL;
			buf_append(cc->code, p, (size_t)(q - p));
			p = q;
			continue;
		}
		if (c == '-' && p + 1 < e && p[1] == '-') {
			p += 2;
			if (p < e && *p == '[' &&
			    (level = cc_long_open(p, e)) >= 0) {
				if ((q = cc_long_close(p, e, level)) == NULL)
					return NULL;
				for (; p < q; p++)
					if (*p == '\n')
						buf_puts(cc->code, "\n");
				continue;
			}
			while (p < e && *p != '\n' &&
			       !(*p == close && p + 1 < e && p[1] == '}'))
				p++;
			continue;
		}
		if (c == '{')
			depth++;
		else if (c == '}' && depth > 0)
			depth--;
		buf_append(cc->code, &c, 1);
		p++;
	}
	return NULL;
}

static void
cc_newlines(struct render_cc *cc, const char *a, const char *b)
{
	for (; a < b; a++)
		if (*a == '\n')
			buf_puts(cc->src, "\n");
}

/* The closing quote of the quoted string opening at q, or b when the
 * string does not close before b. */
static const char *
cc_string_end(const char *q, const char *b)
{
	char c = *q;

	for (q++; q < b && *q != c; q++)
		if (*q == '\\')
			q++;
	return q < b ? q : b;
}

/* Whether the '(' at a is closed by the ')' at b - 1. */
static int
cc_wrapped(const char *a, const char *b)
{
	const char *q;
	int depth = 0;

	for (q = a; q < b; q++) {
		if (*q == '"' || *q == '\'') {
			q = cc_string_end(q, b);
			continue;
		}
		if (*q == '(')
			depth++;
		else if (*q == ')' && --depth == 0)
			return q == b - 1;
	}
	return 0;
}

/* Whether a..b is `name, { ... }`: a second argument that is a table
 * constructor ending the call, so a table no other code can hold. */
static int
cc_fresh_table(const char *a, const char *b)
{
	const char *q;
	int depth = 0;

	for (q = a; q < b; q++) {
		if (*q == '"' || *q == '\'') {
			if ((q = cc_string_end(q, b)) >= b)
				return 0;
			continue;
		}
		if (*q == '[' && q + 1 < b && (q[1] == '[' || q[1] == '='))
			return 0; /* long strings: not worth parsing here */
		if (*q == '(' || *q == '{' || *q == '[')
			depth++;
		else if (*q == ')' || *q == '}' || *q == ']')
			depth--;
		else if (*q == ',' && depth == 0)
			break;
	}
	if (q >= b)
		return 0;
	for (q++; q < b && isspace((unsigned char)*q); q++)
		;
	if (q >= b || *q != '{')
		return 0;
	/* the constructor must close at b - 1 */
	for (depth = 0; q < b; q++) {
		if (*q == '"' || *q == '\'') {
			if ((q = cc_string_end(q, b)) >= b)
				return 0;
			continue;
		}
		if (*q == '[' && q + 1 < b && (q[1] == '[' || q[1] == '='))
			return 0;
		if (*q == '(' || *q == '{' || *q == '[')
			depth++;
		else if ((*q == ')' || *q == '}' || *q == ']') && --depth == 0)
			return q == b - 1 && *q == '}';
	}
	return 0;
}

/* A statement tag: include becomes _inc(_ENV, ...), the rest is Lua;
 * an include whose extra variables are a table constructor passes true
 * after it, so that _inc may take that table as it is instead of a
 * copy. */
static void
cc_statement(struct render_cc *cc)
{
	const char *c = cc->code->len ? cc->code->data : "";
	const char *e = c + cc->code->len, *a = c, *b;

	while (a < e && isspace((unsigned char)*a))
		a++;
	if (e - a > 7 && memcmp(a, "include", 7) == 0 &&
	    strchr(" \t\n(\"'", a[7]) != NULL) {
		a += 7;
		b = e;
		while (a < b && isspace((unsigned char)*a))
			a++;
		while (b > a && isspace((unsigned char)b[-1]))
			b--;
		if (b - a >= 2 && *a == '(' && cc_wrapped(a, b))
			a++, b--;
		buf_puts(cc->src, "_inc(_ENV, ");
		buf_append(cc->src, a, (size_t)(b - a));
		buf_puts(cc->src, cc_fresh_table(a, b) ? ", true);" : ");");
		cc_newlines(cc, c, e);
		return;
	}
	buf_append(cc->src, c, cc->code->len);
	buf_puts(cc->src, " ;");
}

static const char *
cc_find_tag(const char *p, const char *e)
{
	while (p < e && (p = memchr(p, '{', (size_t)(e - p))) != NULL) {
		if (p + 1 < e && (p[1] == '{' || p[1] == '%'))
			return p;
		p++;
	}
	return NULL;
}

int
render_compile(struct buf *src, struct buf *code, const char *name,
               const char *text, size_t len, char *msg, size_t msglen)
{
	struct render_cc cc = {name, text, text + len, text,  1,
	                       src,  code, msg,        msglen};
	const char *p = text, *t = text;

	buf_reset(src);
	buf_puts(src, "local _ENV, _o, _e, _r, _inc = ...; ");
	for (;;) {
		const char *tag = cc_find_tag(p, cc.end), *open, *after;
		const char *text_end, *next, *ls, *q;
		int line, comment, raw, eat = 0;
		char kind;

		if (tag == NULL) {
			cc_text(&cc, t, cc.end);
			return 0;
		}
		line = cc_line_at(&cc, tag);
		kind = tag[1];
		open = tag + 2;
		comment = kind == '{' && open < cc.end && *open == '#';
		raw = kind == '{' && open < cc.end && *open == '=';
		if (comment) {
			q = memmem(open, (size_t)(cc.end - open), "}}", 2);
			if (q == NULL)
				return cc_fail(&cc, line, "unclosed '{{#'");
			after = q + 2;
		} else {
			after =
			    cc_code(&cc, open + raw, kind == '{' ? '}' : '%');
			if (after == NULL)
				return cc_fail(&cc, line,
				               kind == '{' ? "unclosed '{{'"
				                           : "unclosed '{%'");
		}
		/* A statement or comment alone on its line takes the line. */
		text_end = tag;
		next = after;
		if (kind == '%' || comment) {
			for (ls = tag;
			     ls > t && (ls[-1] == ' ' || ls[-1] == '\t');)
				ls--;
			for (q = after;
			     q < cc.end && (*q == ' ' || *q == '\t');)
				q++;
			if ((ls == text || ls[-1] == '\n') &&
			    (q == cc.end || *q == '\n' ||
			     (*q == '\r' && q + 1 < cc.end && q[1] == '\n'))) {
				text_end = ls;
				eat = q < cc.end;
				next =
				    q + (q < cc.end ? (*q == '\r' ? 2 : 1) : 0);
			}
		}
		cc_text(&cc, t, text_end);
		if (comment) {
			cc_newlines(&cc, open, after);
		} else if (kind == '%') {
			cc_statement(&cc);
		} else {
			size_t i;

			for (i = 0; i < code->len; i++)
				if (!isspace((unsigned char)code->data[i]))
					break;
			if (i == code->len)
				return cc_fail(&cc, line, "empty '{{ }}'");
			buf_puts(src, raw ? "_r(" : "_e(");
			buf_append(src, code->data, code->len);
			buf_puts(src, ");");
		}
		if (eat)
			buf_puts(src, "\n");
		p = t = next;
	}
}
