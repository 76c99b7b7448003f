/*
 * test_jsonin.c — the JSON request body reader (jsonin.c): the nesting
 * bound holds before cJSON runs (and counts no bracket inside a string),
 * \u0000, control characters and non-integral ids are refused with the
 * member's path, multi-line members keep their lines, and the reader runs
 * on a thread with a civetweb worker's stack (100 KiB).
 */
#include "check.h"
#include "host.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* jsonin_parse on s; the status (0 when accepted) and the error. */
static int
parse(const char *s, struct jsonin_error *err)
{
	cJSON *v = jsonin_parse(s, strlen(s), err);

	if (v != NULL) {
		cJSON_Delete(v);
		return 0;
	}
	return err->status;
}

static char *
nested(int levels, const char *open, const char *close)
{
	size_t no = strlen(open), nc = strlen(close);
	char *s = malloc((size_t)levels * (no + nc) + 16), *p = s;

	p += sprintf(p, "{\"a\":");
	for (int i = 0; i < levels; i++, p += no)
		memcpy(p, open, no);
	*p++ = '1';
	for (int i = 0; i < levels; i++, p += nc)
		memcpy(p, close, nc);
	strcpy(p, "}");
	return s;
}

static void *
run(void *arg)
{
	struct jsonin_error err;
	char *s;

	(void)arg;
	/* The body itself is one level: 63 more are 64 in all. */
	s = nested(JSONIN_MAX_DEPTH - 1, "[", "]");
	CHECK(parse(s, &err) == 0);
	free(s);
	s = nested(JSONIN_MAX_DEPTH, "{\"b\":", "}");
	CHECK(parse(s, &err) == 400);
	CHECK(strstr(err.message, "64") != NULL);
	free(s);
	s = nested(100000, "[", "]");
	CHECK(parse(s, &err) == 400);
	free(s);
	CHECK(parse("]]]]}}}}[[[[", &err) == 400);
	CHECK(parse("{\"s\":\"[[[[[[[[\\\"[[[[\"}", &err) == 0);

	CHECK(parse("{\"name\":\"ab\\u0000cd\"}", &err) == 422);
	CHECK_STR(err.field, "name");
	CHECK(parse("{\"a\":{\"roles\":[\"x\",\"y\\u0000\"]}}", &err) == 422);
	CHECK_STR(err.field, "a.roles[1]");
	CHECK(parse("{\"name\":\"ab\\\\u0000cd\"}", &err) == 0);

	CHECK(parse("{\"name\":\"a\\u001bb\"}", &err) == 422);
	CHECK_STR(err.field, "name");
	CHECK(parse("{\"name\":\"a\\nb\"}", &err) == 422);
	CHECK(parse("{\"name\":\"a\\u0085b\"}", &err) == 422);
	CHECK(parse("{\"name\":\"a\\u007fb\"}", &err) == 422);
	CHECK(parse("{\"body\":\"a\\r\\n\\tb\"}", &err) == 0);
	CHECK(parse("{\"body\":\"a\\u001bb\"}", &err) == 422);
	CHECK_STR(err.field, "body");
	CHECK(parse("{\"name\":\"张三 O'Brien\"}", &err) == 0);

	CHECK(parse("{\"class_id\":1.5}", &err) == 422);
	CHECK_STR(err.field, "class_id");
	CHECK(parse("{\"x\":[{\"grade\":2.5}]}", &err) == 422);
	CHECK_STR(err.field, "x[0].grade");
	CHECK(parse("{\"class_ids\":[1,2,1e300]}", &err) == 422);
	CHECK_STR(err.field, "class_ids[2]");
	CHECK(parse("{\"class_id\":3.0,\"hours\":1.5}", &err) == 0);

	/* A path cut to fit is cut between characters. */
	s = malloc(400);
	strcpy(s, "{\"x");
	for (int i = 0; i < 60; i++)
		strcat(s, "名");
	strcat(s, "\":\"\\u0000\"}");
	CHECK(parse(s, &err) == 422);
	CHECK(jsonin_utf8_valid((const unsigned char *)err.field,
	                        strlen(err.field)));
	free(s);
	s = malloc(600);
	strcpy(s, "{\"a\":{\"");
	for (int i = 0; i < 50; i++)
		strcat(s, "名");
	strcat(s, "\":{\"b\":\"\\u001b\"}}}");
	CHECK(parse(s, &err) == 422);
	CHECK(strlen(err.field) < sizeof(err.field));
	CHECK(jsonin_utf8_valid((const unsigned char *)err.field,
	                        strlen(err.field)));
	free(s);

	CHECK(parse("[1]", &err) == 400);
	CHECK(parse("{\"a\":\"\xc3\x28\"}", &err) == 400);
	return NULL;
}

int
main(void)
{
	pthread_attr_t attr;
	pthread_t t;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, JX_WORKER_STACK);
	CHECK(pthread_create(&t, &attr, run, NULL) == 0);
	pthread_join(t, NULL);
	pthread_attr_destroy(&attr);
	return check_done();
}
