/*
 * image.c — TEMPORARY stand-in on the files branch so that it builds and
 * its tests run: the images helper's host/image.c replaces this file at
 * merge (take theirs). Display and thumbnail with vips_thumbnail (which
 * applies the EXIF orientation), saved with every metadata field
 * stripped; the clean original is the upright image at full size, also
 * stripped.
 */
#include "image.h"

#include <stdio.h>
#include <string.h>

#include <vips/vips.h>

int
image_init(void)
{
	return VIPS_INIT("jiaxiao") != 0 ? -1 : 0;
}

static int
image_one(const char *src, const char *out, int size, char *err,
          size_t errlen)
{
	VipsImage *im = NULL;
	char target[4096];
	int rc;

	if (vips_thumbnail(src, &im, size, "height", size, "size",
	                   VIPS_SIZE_DOWN, NULL) != 0)
		goto fail;
	snprintf(target, sizeof(target), "%s[strip]", out);
	rc = vips_image_write_to_file(im, target, NULL);
	g_object_unref(im);
	if (rc != 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "%s", vips_error_buffer());
	vips_error_clear();
	return -1;
}

int
image_variants(const char *src, const char *display, const char *thumb,
               const char *clean_original, char *err, size_t errlen)
{
	if (image_one(src, display, 1600, err, errlen) != 0 ||
	    image_one(src, thumb, 320, err, errlen) != 0)
		return -1;
	if (clean_original != NULL &&
	    image_one(src, clean_original, 100000, err, errlen) != 0)
		return -1;
	return 0;
}
