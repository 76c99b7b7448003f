/*
 * fuzz_wechat_xml.c — fuzzes the reader of WeChat's callback XML
 * (plugins/wechat/wechat_xml.c, compiled in) on a thread with a civetweb
 * worker's stack.
 *
 * Promises checked: every field it returns is NUL-terminated within
 * WX_XML_FIELD; a refusal leaves every field empty; a body it accepts is
 * accepted again with the same fields (no state leaks between parses).
 */
#include "fuzz_stack.h"
#include "wechat_xml.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void
fuzz_wechat_xml(const unsigned char *data, size_t size)
{
	struct wx_event *e = malloc(sizeof(*e)), *f = malloc(sizeof(*f));
	int rc;

	if (e == NULL || f == NULL)
		abort();
	memset(e, 'x', sizeof(*e));
	rc = wx_xml_parse((const char *)data, size, e);
	for (int i = 0; i < WX_NFIELDS; i++) {
		if (memchr(e->v[i], '\0', WX_XML_FIELD) == NULL)
			abort();
		if (rc != 0 && e->v[i][0] != '\0')
			abort();
	}
	if (rc == 0) {
		if (wx_xml_parse((const char *)data, size, f) != 0 ||
		    memcmp(e, f, sizeof(*e)) != 0)
			abort();
	}
	free(f);
	free(e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_on_worker_stack(fuzz_wechat_xml, data, size);
	return 0;
}
