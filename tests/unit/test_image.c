/*
 * test_image.c — the file service's pictures (image.c): a phone photo
 * taken sideways with GPS comes back upright with no metadata in any
 * output, and so does each of the eight EXIF orientations; the longest
 * side limits and no enlarging; Display P3 and CMYK made plain sRGB;
 * transparency kept as PNG and an opaque alpha band dropped for JPEG;
 * GIF, WebP and HEIC read (HEIC and WebP written as JPEG); a
 * non-picture, an SVG, a truncated JPEG and a picture declaring billions
 * of pixels refused quickly with nothing left behind; forty damaged
 * copies of the photo read or refused, never a crash; and all of it from
 * a thread with a civetweb worker's 100 KiB stack, several at once.
 */
#include "check.h"
#include "host.h"
#include "image.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <vips/vips.h>

static char dir[] = "/tmp/jx-test-image-XXXXXX";

static const char *
path(const char *name)
{
	static char p[8][256];
	static int n;
	char *s = p[n++ % 8];

	snprintf(s, sizeof(p[0]), "%s/%s", dir, name);
	return s;
}

static int
exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0;
}

static int
mode(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 ? (int)(st.st_mode & 0777) : -1;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
write_file(const char *p, const void *data, size_t len)
{
	FILE *f = fopen(p, "wb");
	size_t n;

	if (f == NULL)
		return -1;
	n = fwrite(data, 1, len, f);
	return fclose(f) == 0 && n == len ? 0 : -1;
}

static char *
read_file(const char *p, size_t *len)
{
	FILE *f = fopen(p, "rb");
	char *data;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	data = malloc(n > 0 ? n : 1);
	*len = fread(data, 1, n, f);
	fclose(f);
	return data;
}

static int
contains(const char *data, size_t len, const char *needle, size_t nlen)
{
	return memmem(data, len, needle, nlen) != NULL;
}

/* No metadata at all, read both ways: libvips finds no EXIF, XMP, IPTC
 * or ICC block, nor an orientation, and the bytes hold no Exif or XMP
 * header, no GPS tag names and none of PNG's metadata chunks. */
static void
check_clean(const char *p, int line)
{
	static const char *const fields[] = {
	    "exif-data",        "xmp-data",    "iptc-data",
	    VIPS_META_ICC_NAME, "orientation", "exif-ifd3-GPSLatitude"};
	VipsImage *img = vips_image_new_from_file(p, NULL);
	size_t i, len = 0;
	char *data;

	CHECK(img != NULL);
	if (img == NULL)
		return;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (vips_image_get_typeof(img, fields[i]) != 0) {
			fprintf(stderr, "line %d: %s keeps %s\n", line, p,
			        fields[i]);
			CHECK(0);
		}
	g_object_unref(img);
	data = read_file(p, &len);
	CHECK(data != NULL && len > 100);
	if (data == NULL)
		return;
	CHECK(!contains(data, len, "Exif\0", 5));
	CHECK(!contains(data, len, "http://ns.adobe.com/", 20));
	CHECK(!contains(data, len, "GPS", 3));
	CHECK(!contains(data, len, "ICC_PROFILE", 11));
	CHECK(!contains(data, len, "Xiaomi", 6));
	CHECK(!contains(data, len, "eXIf", 4));
	CHECK(!contains(data, len, "iCCP", 4));
	CHECK(!contains(data, len, "tEXt", 4));
	CHECK(!contains(data, len, "iTXt", 4));
	free(data);
}

/* The picture at p: its size and its first bytes' format. */
static int
dims(const char *p, int *w, int *h)
{
	VipsImage *img = vips_image_new_from_file(p, NULL);

	if (img == NULL)
		return -1;
	*w = vips_image_get_width(img);
	*h = vips_image_get_height(img);
	g_object_unref(img);
	return 0;
}

static int
is_jpeg(const char *p)
{
	unsigned char b[3] = {0};
	FILE *f = fopen(p, "rb");

	if (f == NULL)
		return 0;
	if (fread(b, 1, 3, f) != 3)
		b[0] = 0;
	fclose(f);
	return b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff;
}

static int
is_png(const char *p)
{
	char b[8] = {0};
	FILE *f = fopen(p, "rb");

	if (f == NULL)
		return 0;
	if (fread(b, 1, 8, f) != 8)
		b[0] = 0;
	fclose(f);
	return memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0;
}

/* The mean of band band over rows y0..y0+n of the picture at p. */
static double
rows_mean(const char *p, int band, int y0, int n)
{
	VipsImage *img = vips_image_new_from_file(p, NULL), *cut = NULL,
	          *b = NULL;
	double m = -1;

	if (img != NULL &&
	    vips_crop(img, &cut, 0, y0, vips_image_get_width(img), n, NULL) ==
	        0 &&
	    vips_extract_band(cut, &b, band, NULL) == 0)
		vips_avg(b, &m, NULL);
	if (b != NULL)
		g_object_unref(b);
	if (cut != NULL)
		g_object_unref(cut);
	if (img != NULL)
		g_object_unref(img);
	return m;
}

static void
remove_outputs(void)
{
	unlink(path("display"));
	unlink(path("thumb"));
	unlink(path("clean"));
}

/* The fixture: 1200x900 as stored, Orientation 6, GPS in EXIF and XMP,
 * the stored picture's left quarter red. */
static void
test_sideways_phone_photo(void)
{
	char src[512], err[256];
	int w = 0, h = 0;

	snprintf(src, sizeof(src), "%s/tests/fixtures/sideways-gps.jpg",
	         getenv("JX_SOURCE_DIR") ? getenv("JX_SOURCE_DIR") : ".");
	CHECK(image_variants(src, path("display"), path("thumb"), path("clean"),
	                     err, sizeof(err)) == 0);
	CHECK_STR(err, "");

	/* Upright: portrait, never enlarged past the original. */
	CHECK(dims(path("display"), &w, &h) == 0 && w == 900 && h == 1200);
	CHECK(dims(path("thumb"), &w, &h) == 0 && w == 240 && h == 320);
	CHECK(dims(path("clean"), &w, &h) == 0 && w == 900 && h == 1200);
	/* Turned the right way (clockwise): the red band is now on top. */
	CHECK(rows_mean(path("display"), 0, 0, 20) > 180);
	CHECK(rows_mean(path("display"), 1, 0, 20) < 90);
	CHECK(rows_mean(path("display"), 0, 1100, 20) < 180);
	CHECK(rows_mean(path("thumb"), 0, 0, 5) > 180);
	CHECK(rows_mean(path("clean"), 0, 0, 20) > 180);
	CHECK(rows_mean(path("clean"), 0, 1100, 20) < 180);

	CHECK(is_jpeg(path("display")) && is_jpeg(path("thumb")) &&
	      is_jpeg(path("clean")));
	/* The owner's only, whatever the umask (022 here). */
	CHECK(mode(path("display")) == 0600 && mode(path("thumb")) == 0600 &&
	      mode(path("clean")) == 0600);
	check_clean(path("display"), __LINE__);
	check_clean(path("thumb"), __LINE__);
	check_clean(path("clean"), __LINE__);

	/* Without a clean original: the two variants only. */
	remove_outputs();
	CHECK(image_variants(src, path("display"), path("thumb"), NULL, err,
	                     sizeof(err)) == 0);
	CHECK(exists(path("display")) && exists(path("thumb")) &&
	      !exists(path("clean")));
	remove_outputs();
}

/* A picture made here: w x h, bands 3 or 4 (alpha 0 on the left half
 * when transparent, else 255), saved by libvips' saver for name's
 * suffix. */
static int
make_picture(const char *p, int w, int h, int bands, int transparent)
{
	VipsImage *img = NULL;
	unsigned char *px = malloc((size_t)w * h * bands);
	int x, y, rc;

	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			unsigned char *q = px + ((size_t)y * w + x) * bands;

			q[0] = (unsigned char)(x * 255 / w);
			q[1] = (unsigned char)(y * 255 / h);
			q[2] = 128;
			if (bands == 4)
				q[3] = transparent && x < w / 2 ? 0 : 255;
		}
	img = vips_image_new_from_memory(px, (size_t)w * h * bands, w, h, bands,
	                                 VIPS_FORMAT_UCHAR);
	rc = img != NULL ? vips_image_write_to_file(img, p, NULL) : -1;
	if (img != NULL)
		g_object_unref(img);
	free(px);
	return rc;
}

/* An animated GIF of n frames of 200 x 100. */
static int
make_animation(const char *p, int n)
{
	VipsImage *frame = NULL, *strip = NULL;
	int rc = -1;

	if (vips_black(&frame, 200, 100 * n, "bands", 3, NULL) != 0)
		return -1;
	if (vips_linear1(frame, &strip, 1, 90, "uchar", TRUE, NULL) == 0) {
		vips_image_set_int(strip, VIPS_META_PAGE_HEIGHT, 100);
		rc = vips_gifsave(strip, p, NULL);
	}
	if (strip != NULL)
		g_object_unref(strip);
	g_object_unref(frame);
	return rc;
}

/* Frames in the picture at p, or -1. */
static int
pages(const char *p)
{
	VipsImage *img = vips_image_new_from_file(p, NULL);
	int n;

	if (img == NULL)
		return -1;
	n = vips_image_get_n_pages(img);
	g_object_unref(img);
	return n;
}

static void
test_sizes_and_formats(void)
{
	char src[512], err[256];
	int w = 0, h = 0;

	/* A big landscape photo: 1600 and 320 on the long side. */
	CHECK(make_picture(path("big.jpg"), 2400, 1800, 3, 0) == 0);
	CHECK(image_variants(path("big.jpg"), path("display"), path("thumb"),
	                     NULL, err, sizeof(err)) == 0);
	CHECK(dims(path("display"), &w, &h) == 0 && w == 1600 && h == 1200);
	CHECK(dims(path("thumb"), &w, &h) == 0 && w == 320 && h == 240);
	check_clean(path("display"), __LINE__);
	remove_outputs();

	/* Tall and small: never enlarged, the long side is the height. */
	CHECK(make_picture(path("tall.jpg"), 200, 3000, 3, 0) == 0);
	CHECK(image_variants(path("tall.jpg"), path("display"), path("thumb"),
	                     NULL, err, sizeof(err)) == 0);
	CHECK(dims(path("display"), &w, &h) == 0 && h == 1600 && w <= 107);
	CHECK(dims(path("thumb"), &w, &h) == 0 && h == 320 && w <= 22);
	remove_outputs();

	/* Transparency stays: PNG variants, PNG original. */
	CHECK(make_picture(path("alpha.png"), 800, 600, 4, 1) == 0);
	CHECK(image_variants(path("alpha.png"), path("display"), path("thumb"),
	                     path("clean"), err, sizeof(err)) == 0);
	CHECK(is_png(path("display")) && is_png(path("thumb")) &&
	      is_png(path("clean")));
	check_clean(path("display"), __LINE__);
	check_clean(path("clean"), __LINE__);
	remove_outputs();

	/* An alpha band opaque everywhere (a screenshot): JPEG variants. */
	CHECK(make_picture(path("opaque.png"), 800, 600, 4, 0) == 0);
	CHECK(image_variants(path("opaque.png"), path("display"), path("thumb"),
	                     NULL, err, sizeof(err)) == 0);
	CHECK(is_jpeg(path("display")) && is_jpeg(path("thumb")));
	remove_outputs();

	/* GIF (first frame) and WebP are read. */
	CHECK(make_picture(path("pic.gif"), 400, 300, 3, 0) == 0);
	CHECK(image_variants(path("pic.gif"), path("display"), path("thumb"),
	                     path("clean"), err, sizeof(err)) == 0);
	CHECK(dims(path("display"), &w, &h) == 0 && w == 400 && h == 300);
	check_clean(path("clean"), __LINE__);
	remove_outputs();

	/* An animated GIF: the variants show the first frame, the original
	 * keeps all three. */
	CHECK(make_animation(path("anim.gif"), 3) == 0);
	CHECK(image_variants(path("anim.gif"), path("display"), path("thumb"),
	                     path("clean"), err, sizeof(err)) == 0);
	CHECK(dims(path("display"), &w, &h) == 0 && w == 200 && h == 100);
	CHECK(pages(path("clean")) == 3);
	remove_outputs();
	CHECK(make_picture(path("pic.webp"), 400, 300, 3, 0) == 0);
	CHECK(image_variants(path("pic.webp"), path("display"), path("thumb"),
	                     path("clean"), err, sizeof(err)) == 0);
	CHECK(dims(path("thumb"), &w, &h) == 0 && w == 320 && h == 240);
	CHECK(is_jpeg(path("clean")));
	check_clean(path("clean"), __LINE__);
	remove_outputs();

	/* HEIC (an iPhone's photos; tests/fixtures/photo.heic, 400 x 300):
	 * JPEG out, which browsers show. */
	snprintf(src, sizeof(src), "%s/tests/fixtures/photo.heic",
	         getenv("JX_SOURCE_DIR") ? getenv("JX_SOURCE_DIR") : ".");
	CHECK(image_variants(src, path("display"), path("thumb"), path("clean"),
	                     err, sizeof(err)) == 0);
	CHECK(is_jpeg(path("display")) && is_jpeg(path("thumb")) &&
	      is_jpeg(path("clean")));
	CHECK(dims(path("clean"), &w, &h) == 0 && w == 400 && h == 300);
	check_clean(path("clean"), __LINE__);
	remove_outputs();
}

/* Bands of the picture at p, or -1. */
static int
bands(const char *p)
{
	VipsImage *img = vips_image_new_from_file(p, NULL);
	int n;

	if (img == NULL)
		return -1;
	n = img->Bands;
	g_object_unref(img);
	return n;
}

/* A grey picture converted to profile ("p3": an iPhone's Display P3,
 * "cmyk": a printer's), the profile embedded ("bare-cmyk": CMYK without
 * it), saved as JPEG. */
static int
make_profiled(const char *p, const char *profile)
{
	VipsImage *black = NULL, *grey = NULL, *out = NULL;
	int rc = -1;

	if (vips_black(&black, 300, 200, "bands", 3, NULL) == 0 &&
	    vips_linear1(black, &grey, 1, 120, "uchar", TRUE, NULL) == 0 &&
	    vips_icc_transform(grey, &out,
	                       strcmp(profile, "bare-cmyk") == 0 ? "cmyk"
	                                                         : profile,
	                       "input_profile", "srgb", NULL) == 0) {
		if (strcmp(profile, "bare-cmyk") == 0)
			vips_image_remove(out, VIPS_META_ICC_NAME);
		rc = vips_jpegsave(out, p, NULL);
	}
	if (out != NULL)
		g_object_unref(out);
	if (grey != NULL)
		g_object_unref(grey);
	if (black != NULL)
		g_object_unref(black);
	return rc;
}

/* Colour profiles: Display P3 and CMYK, with or without its profile,
 * come out as plain sRGB (three bands, no ICC block), grey still
 * grey. */
static void
test_profiles(void)
{
	static const char *const profiles[] = {"p3", "cmyk", "bare-cmyk"};
	const char *outs[] = {"display", "thumb", "clean"};
	char err[256];
	size_t i, k;

	for (i = 0; i < 3; i++) {
		CHECK(make_profiled(path("profiled.jpg"), profiles[i]) == 0);
		CHECK(image_variants(path("profiled.jpg"), path("display"),
		                     path("thumb"), path("clean"), err,
		                     sizeof(err)) == 0);
		for (k = 0; k < 3; k++) {
			double r = rows_mean(path(outs[k]), 0, 0, 10),
			       b = rows_mean(path(outs[k]), 2, 0, 10);

			CHECK(bands(path(outs[k])) == 3);
			if (r < 100 || r > 140 || b < 100 || b > 140) {
				fprintf(stderr,
				        "%s %s: grey 120 became %.0f/%.0f\n",
				        profiles[i], outs[k], r, b);
				CHECK(0);
			}
			check_clean(path(outs[k]), __LINE__);
		}
		remove_outputs();
	}
}

/* A 600 x 400 JPEG whose left quarter is red, tagged with EXIF
 * orientation o. */
static int
make_oriented(const char *p, int o)
{
	VipsImage *img;
	unsigned char *px = malloc(600 * 400 * 3);
	int x, y, rc;

	for (y = 0; y < 400; y++)
		for (x = 0; x < 600; x++) {
			unsigned char *q = px + ((size_t)y * 600 + x) * 3;

			q[0] = x < 150 ? 220 : 40;
			q[1] = x < 150 ? 40 : 120;
			q[2] = x < 150 ? 40 : 200;
		}
	img = vips_image_new_from_memory(px, 600 * 400 * 3, 600, 400, 3,
	                                 VIPS_FORMAT_UCHAR);
	if (img == NULL) {
		free(px);
		return -1;
	}
	vips_image_set_int(img, VIPS_META_ORIENTATION, o);
	rc = vips_jpegsave(img, p, "Q", 90, NULL);
	g_object_unref(img);
	free(px);
	return rc;
}

/* Red minus green over a strip along one edge ('t', 'b', 'l', 'r') of
 * the picture at p, a tenth of its size deep. */
static double
edge_red(const char *p, char edge)
{
	VipsImage *img = vips_image_new_from_file(p, NULL), *cut = NULL,
	          *r = NULL, *g = NULL;
	double mr = 0, mg = 0;
	int w, h, l, t, cw, ch;

	if (img == NULL)
		return -999;
	w = vips_image_get_width(img);
	h = vips_image_get_height(img);
	l = edge == 'r' ? w - w / 10 : 0;
	t = edge == 'b' ? h - h / 10 : 0;
	cw = edge == 'l' || edge == 'r' ? w / 10 : w;
	ch = edge == 't' || edge == 'b' ? h / 10 : h;
	if (vips_crop(img, &cut, l, t, cw, ch, NULL) != 0 ||
	    vips_extract_band(cut, &r, 0, NULL) != 0 ||
	    vips_extract_band(cut, &g, 1, NULL) != 0 ||
	    vips_avg(r, &mr, NULL) != 0 || vips_avg(g, &mg, NULL) != 0)
		mr = mg = -999;
	if (g != NULL)
		g_object_unref(g);
	if (r != NULL)
		g_object_unref(r);
	if (cut != NULL)
		g_object_unref(cut);
	g_object_unref(img);
	return mr - mg;
}

/* Every EXIF orientation, turns and mirrors: the stored left quarter
 * ends on the edge the tag says, in the variants and the original. */
static void
test_orientations(void)
{
	static const struct {
		int o, w, h;
		char red, not_red;
	} cases[] = {
	    {1, 600, 400, 'l', 'r'}, {2, 600, 400, 'r', 'l'},
	    {3, 600, 400, 'r', 'l'}, {4, 600, 400, 'l', 'r'},
	    {5, 400, 600, 't', 'b'}, {6, 400, 600, 't', 'b'},
	    {7, 400, 600, 'b', 't'}, {8, 400, 600, 'b', 't'},
	};
	const char *outs[] = {"display", "clean"};
	char err[256];
	size_t i, k;
	int w = 0, h = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK(make_oriented(path("turned.jpg"), cases[i].o) == 0);
		CHECK(image_variants(path("turned.jpg"), path("display"),
		                     path("thumb"), path("clean"), err,
		                     sizeof(err)) == 0);
		for (k = 0; k < 2; k++) {
			const char *p = path(outs[k]);

			if (dims(p, &w, &h) != 0 || w != cases[i].w ||
			    h != cases[i].h ||
			    edge_red(p, cases[i].red) < 100 ||
			    edge_red(p, cases[i].not_red) > 0) {
				fprintf(stderr,
				        "orientation %d: %s is %dx%d, red "
				        "%c %.0f, %c %.0f\n",
				        cases[i].o, outs[k], w, h, cases[i].red,
				        edge_red(p, cases[i].red),
				        cases[i].not_red,
				        edge_red(p, cases[i].not_red));
				CHECK(0);
			}
			check_clean(p, __LINE__);
		}
		remove_outputs();
	}
}

/* Damaged copies of the phone photo (bytes changed, cut short): each
 * is refused or read, never a crash, and a refusal leaves nothing. */
static void
test_damaged(void)
{
	char src[512], err[256];
	size_t len = 0, i;
	uint32_t seed = 2026;
	char *photo;

	snprintf(src, sizeof(src), "%s/tests/fixtures/sideways-gps.jpg",
	         getenv("JX_SOURCE_DIR") ? getenv("JX_SOURCE_DIR") : ".");
	photo = read_file(src, &len);
	CHECK(photo != NULL && len > 1000);
	if (photo == NULL)
		return;
	for (i = 0; i < 40; i++) {
		char *copy = malloc(len);
		size_t n = len, k;
		int rc;

		memcpy(copy, photo, len);
		for (k = 0; k < 1 + i % 8; k++) {
			seed = seed * 1664525u + 1013904223u;
			/* The headers (EXIF, tables, frame) get most hits. */
			copy[(seed >> 8) % (i % 2 ? len : 2048)] ^=
			    (char)(seed >> 24 | 1);
		}
		if (i % 5 == 4)
			n = (seed >> 4) % len;
		CHECK(write_file(path("damaged.jpg"), copy, n) == 0);
		rc = image_variants(path("damaged.jpg"), path("display"),
		                    path("thumb"), path("clean"), err,
		                    sizeof(err));
		CHECK(rc == 0 || rc == -1);
		if (rc == 0)
			CHECK(exists(path("display")) &&
			      exists(path("thumb")) && exists(path("clean")));
		else
			CHECK(!exists(path("display")) &&
			      !exists(path("thumb")) && !exists(path("clean")));
		remove_outputs();
		free(copy);
	}
	free(photo);
}

static uint32_t
crc32_of(const unsigned char *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		c ^= p[i];
		for (k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0xedb88320u : c >> 1;
	}
	return c ^ 0xffffffffu;
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* Refused: -1, a reason, and none of the outputs left behind (even
 * where the caller had left a file). */
static void
check_refused(const char *src, double max_seconds, const char *why)
{
	char err[256];
	double t = now();

	CHECK(write_file(path("display"), "old", 3) == 0);
	CHECK(image_variants(src, path("display"), path("thumb"), path("clean"),
	                     err, sizeof(err)) == -1);
	if (now() - t > max_seconds) {
		fprintf(stderr, "%s: refused after %.2f s\n", src, now() - t);
		CHECK(0);
	}
	CHECK(err[0] != '\0');
	if (why != NULL && strstr(err, why) == NULL) {
		fprintf(stderr, "%s: \"%s\" does not say %s\n", src, err, why);
		CHECK(0);
	}
	CHECK(!exists(path("display")) && !exists(path("thumb")) &&
	      !exists(path("clean")));
}

static void
test_refused(void)
{
	static const char php[] = "<?php system($_GET['c']); ?>\n";
	static const char svg[] =
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100\" "
	    "height=\"100\"><rect width=\"100\" height=\"100\"/></svg>";
	unsigned char png[8 + 25 + 20 + 12];
	size_t len = 0;
	char *jpeg, *sof;

	CHECK(write_file(path("shell.jpg"), php, sizeof(php) - 1) == 0);
	check_refused(path("shell.jpg"), 5, "not a picture");
	CHECK(write_file(path("empty.jpg"), "", 0) == 0);
	check_refused(path("empty.jpg"), 5, NULL);
	/* libvips reads SVG (librsvg): not from uploads. */
	CHECK(write_file(path("pic.svg"), svg, sizeof(svg) - 1) == 0);
	check_refused(path("pic.svg"), 5, "not a picture");
	check_refused(path("missing.jpg"), 5, NULL);

	/* A PNG declaring 60000 x 60000 pixels in 65 bytes: its one IDAT
	 * an empty zlib stream. */
	memcpy(png, "\x89PNG\r\n\x1a\n", 8);
	put32(png + 8, 13);
	memcpy(png + 12, "IHDR", 4);
	put32(png + 16, 60000);
	put32(png + 20, 60000);
	memcpy(png + 24, "\x08\x02\x00\x00\x00", 5);
	put32(png + 29, crc32_of(png + 12, 17));
	put32(png + 33, 8);
	memcpy(png + 37, "IDAT\x78\x9c\x03\x00\x00\x00\x00\x01", 12);
	put32(png + 49, crc32_of(png + 37, 12));
	put32(png + 53, 0);
	memcpy(png + 57, "IEND", 4);
	put32(png + 61, crc32_of(png + 57, 4));
	CHECK(write_file(path("bomb.png"), png, sizeof(png)) == 0);
	check_refused(path("bomb.png"), 2, "pixels");

	/* A real JPEG whose frame header is changed to 65000 x 65000. */
	CHECK(make_picture(path("small.jpg"), 64, 48, 3, 0) == 0);
	jpeg = read_file(path("small.jpg"), &len);
	sof = jpeg != NULL ? memmem(jpeg, len, "\xff\xc0", 2) : NULL;
	CHECK(sof != NULL);
	if (sof != NULL) {
		sof[5] = sof[7] = (char)0xfd;
		sof[6] = sof[8] = (char)0xe8;
		CHECK(write_file(path("bomb.jpg"), jpeg, len) == 0);
		check_refused(path("bomb.jpg"), 2, "pixels");
	}
	/* The same JPEG cut in half: damaged, refused. */
	if (jpeg != NULL) {
		CHECK(make_picture(path("whole.jpg"), 640, 480, 3, 0) == 0);
		free(jpeg);
		jpeg = read_file(path("whole.jpg"), &len);
		CHECK(jpeg != NULL &&
		      write_file(path("cut.jpg"), jpeg, len / 2) == 0);
		check_refused(path("cut.jpg"), 5, NULL);
	}
	free(jpeg);
	/* "[...]" would be read by libvips as load options. */
	check_refused(path("x.jpg[shrink=2]"), 2, NULL);
}

struct worker_job {
	char display[256], thumb[256];
	int rc;
};

static void *
worker_main(void *arg)
{
	struct worker_job *j = arg;
	char src[512], err[256];

	snprintf(src, sizeof(src), "%s/tests/fixtures/sideways-gps.jpg",
	         getenv("JX_SOURCE_DIR") ? getenv("JX_SOURCE_DIR") : ".");
	j->rc =
	    image_variants(src, j->display, j->thumb, NULL, err, sizeof(err));
	return NULL;
}

/* From threads with civetweb's 100 KiB stacks, four at once. */
static void
test_worker_threads(void)
{
	struct worker_job jobs[4];
	pthread_t t[4];
	pthread_attr_t attr;
	int i, started[4] = {0}, w = 0, h = 0;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, JX_WORKER_STACK);
	for (i = 0; i < 4; i++) {
		snprintf(jobs[i].display, sizeof(jobs[i].display),
		         "%s/display-%d", dir, i);
		snprintf(jobs[i].thumb, sizeof(jobs[i].thumb), "%s/thumb-%d",
		         dir, i);
		jobs[i].rc = -2;
		started[i] =
		    pthread_create(&t[i], &attr, worker_main, &jobs[i]) == 0;
		CHECK(started[i]);
	}
	pthread_attr_destroy(&attr);
	for (i = 0; i < 4; i++) {
		if (!started[i])
			continue;
		pthread_join(t[i], NULL);
		CHECK(jobs[i].rc == 0);
		CHECK(dims(jobs[i].display, &w, &h) == 0 && w == 900 &&
		      h == 1200);
		unlink(jobs[i].display);
		unlink(jobs[i].thumb);
	}
}

int
main(void)
{
	char cmd[300];

	CHECK(mkdtemp(dir) != NULL);
	umask(022);
	CHECK(image_init() == 0);
	CHECK(image_init() == 0);
	test_sideways_phone_photo();
	test_sizes_and_formats();
	test_orientations();
	test_profiles();
	test_refused();
	test_damaged();
	test_worker_threads();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		CHECK(0);
	return check_done();
}
