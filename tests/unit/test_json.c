/*
 * test_json.c — json_print writes what cJSON_PrintUnformatted writes
 * (the reference) for every kind of value: nested objects and arrays,
 * strings with quotes, backslashes, control characters and UTF-8,
 * integers (negative, large, zero), fractions, huge and tiny numbers,
 * NaN/infinity as null, raw values.
 */
#include "check.h"
#include "host.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void
same(cJSON *v)
{
	char *want = cJSON_PrintUnformatted(v);
	size_t n = 0;
	char *got = json_print(v, &n);

	CHECK_STR(got, want);
	CHECK(n == strlen(want));
	free(got);
	cJSON_free(want);
	cJSON_Delete(v);
}

int
main(void)
{
	static const double numbers[] = {0,
	                                 1,
	                                 -1,
	                                 7,
	                                 42,
	                                 -273,
	                                 1e14,
	                                 999999999999999.0,
	                                 -999999999999999.0,
	                                 1e15,
	                                 1e16,
	                                 12345678901234567.0,
	                                 0.5,
	                                 -0.25,
	                                 3.14159,
	                                 1.0 / 3,
	                                 2.5e-8,
	                                 6.02214076e23,
	                                 1e300,
	                                 -1e-300,
	                                 2147483647,
	                                 2147483648.0,
	                                 -2147483649.0,
	                                 4294967296.0,
	                                 0.1 + 0.2,
	                                 100.5,
	                                 -0.0};
	cJSON *o, *a;

	for (size_t i = 0; i < sizeof(numbers) / sizeof(*numbers); i++)
		same(cJSON_CreateNumber(numbers[i]));
	same(cJSON_CreateNumber(NAN));
	same(cJSON_CreateNumber(INFINITY));
	same(cJSON_CreateString(""));
	same(cJSON_CreateString("plain"));
	same(cJSON_CreateString("quote \" backslash \\ slash /"));
	same(cJSON_CreateString("tab\tnewline\nreturn\rbell\afeed\fback\b"
	                        "\x01\x1f end"));
	same(cJSON_CreateString("岳麓区第一实验小学 · 张一鸣 😀"));
	same(cJSON_CreateTrue());
	same(cJSON_CreateFalse());
	same(cJSON_CreateNull());
	same(cJSON_CreateArray());
	same(cJSON_CreateObject());
	same(cJSON_CreateRaw("{\"pre\":\"made\"}"));

	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "total", 1000000);
	cJSON_AddStringToObject(o, "name\n\"key\"", "值");
	a = cJSON_AddArrayToObject(o, "schools");
	for (int i = 0; i < 5; i++) {
		cJSON *s = cJSON_CreateObject();

		cJSON_AddNumberToObject(s, "school_id", i);
		cJSON_AddNumberToObject(s, "percent", i * 12.5);
		cJSON_AddNullToObject(s, "nothing");
		cJSON_AddBoolToObject(s, "ok", i % 2);
		cJSON_AddItemToArray(a, s);
	}
	cJSON_AddItemToObject(o, "empty", cJSON_CreateArray());
	same(o);
	return check_done();
}
