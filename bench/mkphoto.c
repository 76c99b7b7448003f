/*
 * bench/mkphoto.c: writes a camera-sized JPEG of made-up but
 * photo-like pixels (smooth gradients plus sensor-like noise), the same
 * bytes for the same arguments, for bench/files.sh (a 6 MB phone photo)
 * and tests/fixtures/make-sideways.sh (the small sideways fixture).
 *
 * The picture is stored as a camera stores a photo taken sideways: its
 * left quarter is red, so that once turned upright per EXIF orientation
 * 6 (90 degrees clockwise) the red band is at the top. No metadata is
 * written: exiftool adds the camera's tags.
 *
 * OUT ending in .heic is written as HEIC (an iPhone's format), any other
 * as JPEG.
 *
 * usage: mkphoto OUT.jpg WIDTH HEIGHT [QUALITY [NOISE]]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vips/vips.h>

static unsigned char
clamp(int v)
{
	return v < 0 ? 0 : v > 255 ? 255 : (unsigned char)v;
}

int
main(int argc, char **argv)
{
	int w, h, q, noise, x, y, jpeg;
	size_t len;
	unsigned char *px;
	uint32_t seed = 12345;
	VipsImage *img;

	if (argc < 4) {
		fprintf(stderr, "usage: mkphoto OUT.jpg WIDTH HEIGHT "
		                "[QUALITY [NOISE]]\n");
		return 2;
	}
	w = atoi(argv[2]);
	h = atoi(argv[3]);
	q = argc > 4 ? atoi(argv[4]) : 92;
	noise = argc > 5 ? atoi(argv[5]) : 12;
	if (w < 8 || h < 8 || w > 20000 || h > 20000 || noise < 0) {
		fprintf(stderr, "mkphoto: bad size or noise\n");
		return 2;
	}
	len = strlen(argv[1]);
	jpeg = len < 5 || strcmp(argv[1] + len - 5, ".heic") != 0;
	if (VIPS_INIT(argv[0]) != 0)
		return 1;
	px = malloc((size_t)w * h * 3);
	if (px == NULL)
		return 1;
	for (y = 0; y < h; y++) {
		for (x = 0; x < w; x++) {
			unsigned char *p = px + ((size_t)y * w + x) * 3;
			int n = 0, r, g, b;

			if (noise > 0) {
				/* A 32-bit LCG: the same bytes every run. */
				seed = seed * 1664525u + 1013904223u;
				n = (int)(seed >> 24) % (2 * noise + 1) - noise;
			}
			if (x < w / 4) {
				r = 220;
				g = 40;
				b = 40;
			} else {
				r = 60 + 120 * y / h;
				g = 120 + 100 * x / w;
				b = 200 - 120 * y / h;
			}
			p[0] = clamp(r + n);
			p[1] = clamp(g + n);
			p[2] = clamp(b + n);
		}
	}
	img = vips_image_new_from_memory(px, (size_t)w * h * 3, w, h, 3,
	                                 VIPS_FORMAT_UCHAR);
	if (img == NULL ||
	    (jpeg ? vips_jpegsave(img, argv[1], "Q", q, "strip", TRUE, NULL)
	          : vips_heifsave(img, argv[1], "Q", q, "strip", TRUE, NULL)) !=
	        0) {
		fprintf(stderr, "mkphoto: %s", vips_error_buffer());
		return 1;
	}
	g_object_unref(img);
	free(px);
	return 0;
}
