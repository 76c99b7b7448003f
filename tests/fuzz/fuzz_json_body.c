/*
 * fuzz_json_body.c — fuzzes the host's JSON request body reader
 * (jsonin_parse, what http_json and every plugin's req_json use) on a
 * thread with a civetweb worker's stack.
 *
 * The input is the body. Promises checked: a refusal says why with a
 * status of 400 or 422; an accepted body is an
 * object that json_print writes back as text jsonin_parse accepts again
 * and prints identically (nothing refused slipped through: a control
 * character or a NUL would come back escaped and be refused).
 */
#include "fuzz_stack.h"
#include "host.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
fuzz_json_body(const unsigned char *data, size_t size)
{
	struct jsonin_error err;
	char *body = malloc(size + 1), *text, *again;
	cJSON *v, *w;
	size_t n, m;

	if (body == NULL)
		abort();
	memcpy(body, data, size);
	body[size] = '\0';
	v = jsonin_parse(body, size, &err);
	if (v == NULL) {
		/* (field may be "": a member may be named "".) */
		if ((err.status != 400 && err.status != 422) ||
		    err.message[0] == '\0')
			abort();
		free(body);
		return;
	}
	if (!cJSON_IsObject(v))
		abort();
	text = json_print(v, &n);
	w = jsonin_parse(text, n, &err);
	if (w == NULL) {
		fprintf(stderr, "printed body refused: %s %s\n", err.field,
		        err.message);
		abort();
	}
	again = json_print(w, &m);
	if (m != n || memcmp(text, again, n) != 0)
		abort();
	free(again);
	free(text);
	cJSON_Delete(w);
	cJSON_Delete(v);
	free(body);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_on_worker_stack(fuzz_json_body, data, size);
	return 0;
}
