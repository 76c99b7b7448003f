/*
 * render_int.h — what render.c and tplcompile.c share, and nobody else
 * includes: the compiler's entry point. Everything public is in render.h.
 */
#ifndef JX_RENDER_INT_H
#define JX_RENDER_INT_H

#include <stddef.h>

#include "arena.h"

/*
 * Compiles template text into src, the source of a Lua chunk taking
 * (_ENV, _o, _e, _r, _inc); code is the compiler's scratch buffer for one
 * tag. name ("templates/x.html") is used in messages. Returns 0, or -1
 * with "name:line: message" in msg on a template error (Lua syntax errors
 * are found by the Lua loader after).
 */
int render_compile(struct buf *src, struct buf *code, const char *name,
                   const char *text, size_t len, char *msg, size_t msglen);

#endif
