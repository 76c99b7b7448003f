/* arena.h — per-request bump allocator and a growable byte buffer. */
#ifndef JX_ARENA_H
#define JX_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena_block;
struct arena_cleanup;

/* A bump allocator: memory is released all at once by arena_reset. */
struct arena {
	struct arena_block *head;
	struct arena_cleanup *cleanups;
	size_t block_size;
};

void arena_init(struct arena *a, size_t block_size);
/* Runs the cleanups (last first) and frees all blocks but the first. */
void arena_reset(struct arena *a);
/* Runs the cleanups and frees everything. */
void arena_free(struct arena *a);
/* Never returns NULL (aborts when memory is exhausted). 16-aligned. */
void *arena_alloc(struct arena *a, size_t n);
void *arena_calloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_sprintf(struct arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
char *arena_vsprintf(struct arena *a, const char *fmt, va_list ap);
/* Registers fn(arg) to run at reset, last registered first. */
void arena_defer(struct arena *a, void (*fn)(void *), void *arg);

/* A growable, malloc'ed byte buffer, always NUL-terminated. */
struct buf {
	char *data;
	size_t len, cap;
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
/* Appends; aborts when memory is exhausted. */
void buf_append(struct buf *b, const void *data, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends s with & < > " ' escaped for HTML. */
void buf_html_escape(struct buf *b, const char *s, size_t n);

#endif
