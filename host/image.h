/*
 * image.h — image variants with libvips (issue 12). The images helper
 * owns this interface's implementation (host/image.c); files.c calls it.
 */
#ifndef JX_IMAGE_H
#define JX_IMAGE_H

#include <stddef.h>

/* Makes the variants of an image already stored at src (a path).
 * Writes display (JPEG/PNG, longest side <= 1600, upright, no
 * metadata) and thumb (<= 320) to the given paths, and, when
 * clean_original is non-NULL, a location-free, upright copy of the
 * original. Returns 0, or -1 with err set (not an image libvips reads
 * → the caller answers 415). Safe on any thread (libvips is
 * thread-safe after vips_init, which the host calls once at start). */
int image_variants(const char *src, const char *display, const char *thumb,
                   const char *clean_original, char *err, size_t errlen);
int image_init(void); /* vips_init once; 0 or -1 */

#endif
