/* test_arena.c — the request arena, cleanups and the byte buffer. */
#include "check.h"
#include "host.h"

#include <stdint.h>

static int cleaned[3];
static int order;

static void
cleanup(void *arg)
{
	cleaned[(intptr_t)arg] = ++order;
}

int
main(void)
{
	struct arena a;
	struct buf b;
	char *s, *big;

	arena_init(&a, 64);
	s = arena_strdup(&a, "家校");
	CHECK_STR(s, "家校");
	CHECK(((uintptr_t)arena_alloc(&a, 3) & 15) == 0);
	CHECK(((uintptr_t)arena_alloc(&a, 5) & 15) == 0);
	/* larger than a block */
	big = arena_alloc(&a, 10000);
	memset(big, 'x', 10000);
	CHECK_STR(arena_sprintf(&a, "%d-%s", 42, "ok"), "42-ok");
	CHECK_STR(arena_strndup(&a, "abcdef", 3), "abc");
	CHECK(arena_strdup(&a, NULL) == NULL);
	for (int i = 0; i < 1000; i++)
		CHECK(((char *)arena_calloc(&a, 100))[99] == 0);
	arena_defer(&a, cleanup, (void *)(intptr_t)0);
	arena_defer(&a, cleanup, (void *)(intptr_t)1);
	arena_reset(&a);
	/* last registered runs first */
	CHECK(cleaned[1] == 1 && cleaned[0] == 2);
	s = arena_strdup(&a, "after reset");
	CHECK_STR(s, "after reset");
	arena_defer(&a, cleanup, (void *)(intptr_t)2);
	arena_free(&a);
	CHECK(cleaned[2] == 3);

	buf_init(&b);
	buf_puts(&b, "a");
	buf_printf(&b, "%03d", 7);
	CHECK_STR(b.data, "a007");
	buf_reset(&b);
	{
		const char *raw = "<script>\"x\" & 'y'</script>";

		buf_html_escape(&b, raw, strlen(raw));
	}
	CHECK_STR(b.data, "&lt;script&gt;&quot;x&quot; &amp; "
	                  "&#39;y&#39;&lt;/script&gt;");
	for (int i = 0; i < 10000; i++)
		buf_append(&b, "0123456789", 10);
	CHECK(b.len == 10000 * 10 + 60);
	buf_free(&b);
	return check_done();
}
