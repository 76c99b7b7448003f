/*
 * test_terms.c — the search terms of resources (resources_terms.c):
 * characters and bigrams of Chinese runs, Latin words lowercased,
 * separators, a query's terms, invalid UTF-8 and overlong words.
 */
#include "check.h"
#include "resources_terms.h"

#include <stdio.h>
#include <string.h>

struct terms_out {
	char buf[2048];
	int n;
};

static int
terms_collect(const char *term, void *arg)
{
	struct terms_out *o = arg;
	size_t len = strlen(o->buf);

	snprintf(o->buf + len, sizeof(o->buf) - len, "%s%s", o->n++ ? "|" : "",
	         term);
	return 0;
}

static const char *
terms_index(const char *text)
{
	static struct terms_out o;

	memset(&o, 0, sizeof(o));
	resources_terms_index(text, terms_collect, &o);
	return o.buf;
}

static const char *
terms_query(const char *text)
{
	static struct terms_out o;

	memset(&o, 0, sizeof(o));
	resources_terms_query(text, terms_collect, &o);
	return o.buf;
}

static int
terms_stop(const char *term, void *arg)
{
	(void)term;
	return ++*(int *)arg == 2 ? 7 : 0;
}

int
main(void)
{
	char longword[200];
	int calls = 0;

	/* characters and bigrams of a run */
	CHECK_STR(terms_index("分数"), "分|数|分数");
	CHECK_STR(terms_index("三角形"), "三|角|三角|形|角形");
	/* punctuation, full-width too, separates runs: no bigram across */
	CHECK_STR(terms_index("语文,数学"), "语|文|语文|数|学|数学");
	CHECK_STR(terms_index("语文，数学"), "语|文|语文|数|学|数学");
	CHECK_STR(terms_index("语文　数学"), "语|文|语文|数|学|数学");
	CHECK_STR(terms_index("《春》"), "春");
	/* Latin words and digits, lowercased, between Chinese */
	CHECK_STR(terms_index("Unit 3 英语PPT"), "unit|3|英|语|英语|ppt");
	CHECK_STR(terms_index("HELLO-World_x"), "hello|world|x");
	CHECK_STR(terms_index(""), "");
	CHECK_STR(terms_index(NULL), "");
	/* invalid UTF-8 separates and is skipped, never read past */
	CHECK_STR(terms_index("数\xff学"), "数|学");
	CHECK_STR(terms_index("数\xe5"), "数");
	CHECK_STR(terms_index("\xe5\x88"), "");
	/* a word cut at the maximum */
	memset(longword, 'A', sizeof(longword) - 1);
	longword[sizeof(longword) - 1] = '\0';
	CHECK(strlen(terms_index(longword)) == RESOURCES_TERM_MAX - 1);

	/* queries: a two-character query is its bigram; one character
	 * itself; longer runs their bigrams; words as indexed */
	CHECK_STR(terms_query("分数"), "分数");
	CHECK_STR(terms_query("春"), "春");
	CHECK_STR(terms_query("三角形"), "三角|角形");
	CHECK_STR(terms_query("数学 PPT"), "数学|ppt");
	CHECK_STR(terms_query("春 ppt 秋"), "春|ppt|秋");
	CHECK_STR(terms_query("春ppt"), "春|ppt");
	CHECK_STR(terms_query("  ，"), "");
	/* every query term is an index term of the same text */
	CHECK(strstr(terms_index("勾股定理"), terms_query("股定")) != NULL);

	/* the callback's non-zero return stops the walk */
	CHECK(resources_terms_index("一二三", terms_stop, &calls) == 7);
	CHECK(calls == 2);
	return check_done();
}
