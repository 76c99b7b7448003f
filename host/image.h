/*
 * image.h — the file service's pictures (image.c): the display copy and
 * the thumbnail of an uploaded photo, and a location-free copy of the
 * original, made with libvips.
 *
 * What is written. Every output is upright (the EXIF orientation is
 * applied and then dropped), in sRGB (an embedded ICC profile, such as
 * an iPhone's Display P3, is converted), and carries no metadata at all:
 * no EXIF (so no GPS position), XMP, IPTC, ICC profile or comment.
 *  - display: longest side at most IMAGE_DISPLAY_PX, never enlarged;
 *    JPEG (quality 80), or PNG when the picture has transparency.
 *  - thumb: the same at IMAGE_THUMB_PX (JPEG quality 75, or PNG).
 *  - clean original: full size; JPEG (quality 90) for JPEG, PNG for
 *    PNG, GIF (every frame) for GIF; HEIC (which browsers cannot show)
 *    and WebP (which libvips 8.14 cannot write without EXIF) become
 *    JPEG, or PNG when they have transparency.
 * The caller learns a written file's type by sniffing it (libmagic), as
 * for uploads. Each file is written at the given path, mode 0600, and
 * fsync'ed; on
 * failure none of the three is left behind. The caller gives paths of
 * its own temporary area and renames them into place.
 *
 * What is read. Only JPEG, PNG, GIF (first frame), WebP and HEIC/AVIF,
 * whatever else libvips could read (no PDF, SVG or ImageMagick loaders:
 * libvips' untrusted loaders are blocked), and at most IMAGE_MAX_PIXELS
 * pixels by the header (an animated GIF's frames all count when its
 * original is kept), checked before any pixel is decoded, so that a
 * small file declaring a huge picture (a decompression bomb) fails
 * quickly. A file libvips finds damaged fails as well.
 *
 * Threads. Any thread may call: the work runs on a thread of
 * JX_THREAD_STACK (thread_on_big_stack). Measured on the calling thread
 * of a job (release build, libvips 8.14): the sideways JPEG and a HEIC
 * need between 40 and 48 KiB of stack (they crash at 40 KiB, pass at
 * 48), about half of a civetweb worker's 100 KiB before the request's
 * own frames and with none of a sanitizer build's margin. At most one
 * job per processor runs at once (the others wait) so that many uploads
 * at once neither thrash two cores nor multiply libvips' memory.
 */
#ifndef JX_IMAGE_H
#define JX_IMAGE_H

#include <stddef.h>

#define IMAGE_DISPLAY_PX 1600
#define IMAGE_THUMB_PX 320
#define IMAGE_MAX_PIXELS (100 * 1000 * 1000)

/* Makes the variants of an image already stored at src (a path).
 * Writes display (JPEG/PNG, longest side <= 1600, upright, no
 * metadata) and thumb (<= 320) to the given paths, and, when
 * clean_original is non-NULL, a location-free, upright copy of the
 * original. Returns 0, or -1 with err set (not an image libvips reads
 * → the caller answers 415). Safe on any thread (libvips is
 * thread-safe after vips_init, which the host calls once at start). */
int image_variants(const char *src, const char *display, const char *thumb,
                   const char *clean_original, char *err, size_t errlen);

/* vips_init once, with the host's settings (a small operation cache,
 * one libvips worker per job, untrusted loaders blocked, libvips'
 * warnings into the host's log); 0 or -1. Later calls return the first
 * one's result; image_variants calls it too, so a host that forgets
 * still works. */
int image_init(void);

#endif
