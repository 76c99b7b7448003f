/*
 * image.c — the file service's pictures: display copy, thumbnail and a
 * location-free original of an uploaded photo, made with libvips
 * (image.h says what is read and what is written).
 *
 * One job: check the header (an allowed loader, at most
 * IMAGE_MAX_PIXELS), make the display copy with vips_thumbnail (shrink
 * on load, EXIF orientation applied) into memory, the thumbnail from
 * it, then the clean original if asked; every save strips all
 * metadata. A job runs on a big stack (thread_on_big_stack), at most
 * one per processor at once, and frees libvips' per-thread buffers when
 * it ends (the thread it ran on may be gone the next moment).
 *
 * Layering: calls thread.c (stacks) and log.c only.
 */
#include "image.h"
#include "host.h"

#include <fcntl.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <vips/vips.h>

/* A job that takes longer is stopped (a picture built to be slow). */
#define IMAGE_DEADLINE_SEC 60

enum image_kind { IMAGE_JPEG, IMAGE_PNG, IMAGE_GIF, IMAGE_WEBP, IMAGE_HEIF };

/* The loaders a photo from a phone or a screenshot needs, and nothing
 * else libvips could read (PDF, SVG, ImageMagick's hundred formats). */
static const struct {
	const char *loader;
	enum image_kind kind;
} image_loaders[] = {
    {"VipsForeignLoadJpegFile", IMAGE_JPEG},
    {"VipsForeignLoadPngFile", IMAGE_PNG},
    {"VipsForeignLoadNsgifFile", IMAGE_GIF},
    {"VipsForeignLoadGifFile", IMAGE_GIF},
    {"VipsForeignLoadWebpFile", IMAGE_WEBP},
    {"VipsForeignLoadHeifFile", IMAGE_HEIF},
};

struct image_job {
	const char *src, *display, *thumb, *clean;
	char *err;
	size_t errlen;
	int rc;
	time_t deadline;
};

static pthread_once_t image_once = PTHREAD_ONCE_INIT;
static int image_ready = -1;
static sem_t image_slots; /* one job per processor at once */

static void
image_log(const char *domain, GLogLevelFlags level, const char *msg, void *data)
{
	/* Warnings are about the upload (a damaged JPEG), not the server. */
	jx_log((level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
	           ? JX_LOG_ERROR
	           : JX_LOG_INFO,
	       "image", "%s: %s", domain != NULL ? domain : "vips", msg);
}

static void
image_init_once(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (VIPS_INIT("jiaxiao") != 0) {
		jx_log(JX_LOG_ERROR, "image", "vips_init failed");
		return;
	}
	/* No operation cache: every source is processed once, and a
	 * cached load keyed by path could answer for a temporary path
	 * that now holds another upload. */
	vips_cache_set_max(0);
	vips_cache_set_max_mem(0);
	vips_cache_set_max_files(0);
	/* Jobs run side by side on their own threads (image_slots): one
	 * libvips worker each keeps two cores busy without oversubscribing
	 * them. */
	vips_concurrency_set(1);
	/* ImageMagick, PDF, SVG and the like: never on uploaded bytes. */
	vips_block_untrusted_set(TRUE);
	g_log_set_handler("VIPS",
	                  G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL |
	                      G_LOG_LEVEL_WARNING,
	                  image_log, NULL);
	if (n < 1)
		n = 1;
	if (n > 8)
		n = 8;
	if (sem_init(&image_slots, 0, (unsigned)n) != 0)
		return;
	image_ready = 0;
}

/* vips_init loads libvips' modules (dlopen, their constructors): on a
 * 2 MiB thread, not the 100 KiB worker that meets the first picture. */
static void
image_init_run(void *arg)
{
	(void)arg;
	image_init_once();
}

static void
image_init_big(void)
{
	if (thread_on_big_stack(image_init_run, NULL) != 0)
		jx_log(JX_LOG_ERROR, "image", "no thread to start libvips");
}

/* Started by the first picture, not at start: a server that is never
 * sent a picture never loads libvips' modules (and valgrind, which
 * bench/dispatch_ir.sh runs the server under, cannot run the rdtscp of
 * libhwy's constructor). */
int
image_init(void)
{
	pthread_once(&image_once, image_init_big);
	return image_ready;
}

/* err = what + libvips' reason (its first line), and libvips' error
 * buffer emptied. */
static void
image_fail(struct image_job *job, const char *what)
{
	char *why = vips_error_buffer_copy();
	size_t n = why != NULL ? strcspn(why, "\n") : 0;

	if (job->rc == 0)
		snprintf(job->err, job->errlen, "%s%s%.*s", what,
		         n > 0 ? ": " : "", (int)n, why != NULL ? why : "");
	g_free(why);
	job->rc = -1;
}

/* Stops the evaluation of a picture that takes too long. */
static void
image_eval(VipsImage *img, VipsProgress *progress, void *data)
{
	const struct image_job *job = data;

	if (time(NULL) > job->deadline)
		vips_image_set_kill(img, TRUE);
}

static void
image_watch(VipsImage *img, struct image_job *job)
{
	vips_image_set_progress(img, TRUE);
	g_signal_connect(img, "eval", G_CALLBACK(image_eval), job);
}

/* The file is the owner's only, as every file the host writes (libvips
 * creates with 0666 less the umask), and on disk before the caller
 * renames it into place. */
static int
image_sync(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	int rc;

	if (fd < 0)
		return -1;
	rc = fchmod(fd, S_IRUSR | S_IWUSR) == 0 && fsync(fd) == 0 ? 0 : -1;
	close(fd);
	return rc;
}

/* The metadata no output keeps, removed before saving as well as
 * "strip": a saver that forgets "strip" (libvips 8.14's webpsave does,
 * see image_make_clean) then has nothing to write but what it makes. */
static const char *const image_meta_prefixes[] = {
    "exif-",      "xmp-",         "iptc-",       "icc-",    "orientation",
    "photoshop-", "png-comment-", "gif-comment", "comment",
};

static int
image_meta_drop(const char *name)
{
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(image_meta_prefixes); i++)
		if (strncmp(name, image_meta_prefixes[i],
		            strlen(image_meta_prefixes[i])) == 0)
			return 1;
	return 0;
}

/* A copy of img (the same pixels) without metadata; NULL on error. */
static VipsImage *
image_scrub(VipsImage *img)
{
	VipsImage *out = NULL;
	char **fields;
	int i;

	if (vips_copy(img, &out, NULL) != 0)
		return NULL;
	fields = vips_image_get_fields(out);
	for (i = 0; fields[i] != NULL; i++)
		if (image_meta_drop(fields[i]))
			vips_image_remove(out, fields[i]);
	g_strfreev(fields);
	return out;
}

/* save(img) on a scrubbed copy of img, with "strip" as well. */
static int
image_save(VipsImage *img, const char *path, const char *how, int q,
           int progressive)
{
	VipsImage *out = image_scrub(img);
	int rc = -1;

	if (out == NULL)
		return -1;
	if (strcmp(how, "jpeg") == 0)
		rc = vips_jpegsave(out, path, "Q", q, "strip", TRUE,
		                   "optimize_coding", TRUE, "interlace",
		                   progressive, NULL);
	else if (strcmp(how, "png") == 0)
		rc = vips_pngsave(out, path, "strip", TRUE, "compression", 6,
		                  NULL);
	else if (strcmp(how, "gif") == 0)
		rc = vips_gifsave(out, path, "strip", TRUE, NULL);
	g_object_unref(out);
	return rc;
}

/* A variant: PNG while it has transparency, else JPEG. */
static int
image_save_variant(struct image_job *job, VipsImage *img, const char *path,
                   int q, int progressive)
{
	int rc = vips_image_hasalpha(img)
	             ? image_save(img, path, "png", 0, 0)
	             : image_save(img, path, "jpeg", q, progressive);

	if (rc != 0 || image_sync(path) != 0) {
		image_fail(job, "cannot write a variant");
		return -1;
	}
	return 0;
}

/* An alpha band that is opaque everywhere (most screenshots) is dropped
 * so that the variants are JPEG. *out is img, referenced, or a new
 * image without the band. */
static int
image_drop_opaque_alpha(VipsImage *img, VipsImage **out)
{
	VipsImage *alpha = NULL;
	double min = 0;
	int rc = -1;

	if (!vips_image_hasalpha(img) || (img->BandFmt != VIPS_FORMAT_UCHAR &&
	                                  img->BandFmt != VIPS_FORMAT_USHORT)) {
		g_object_ref(img);
		*out = img;
		return 0;
	}
	if (vips_extract_band(img, &alpha, img->Bands - 1, NULL) != 0 ||
	    vips_min(alpha, &min, NULL) != 0)
		goto done;
	if (min < (img->BandFmt == VIPS_FORMAT_USHORT ? 65535 : 255)) {
		g_object_ref(img);
		*out = img;
	} else if (vips_extract_band(img, out, 0, "n", img->Bands - 1, NULL) !=
	           0)
		goto done;
	rc = 0;
done:
	if (alpha != NULL)
		g_object_unref(alpha);
	return rc;
}

/* The header: an allowed loader and a bounded size, before any pixel
 * is decoded. */
static int
image_check(struct image_job *job, enum image_kind *kind, int *icc, int *alpha,
            int *rotate)
{
	const char *loader;
	VipsImage *hdr;
	size_t i;
	int64_t px;

	if (strchr(job->src, '[') != NULL) {
		/* libvips would read "[...]" as load options. */
		snprintf(job->err, job->errlen, "unusable path");
		return -1;
	}
	loader = vips_foreign_find_load(job->src);
	for (i = 0; loader != NULL && i < G_N_ELEMENTS(image_loaders); i++)
		if (strcmp(loader, image_loaders[i].loader) == 0)
			break;
	if (loader == NULL || i == G_N_ELEMENTS(image_loaders)) {
		vips_error_clear();
		snprintf(job->err, job->errlen, "not a picture");
		return -1;
	}
	*kind = image_loaders[i].kind;
	hdr =
	    vips_image_new_from_file(job->src, "access", VIPS_ACCESS_SEQUENTIAL,
	                             "fail_on", VIPS_FAIL_ON_ERROR, NULL);
	if (hdr == NULL) {
		image_fail(job, "not a readable picture");
		return -1;
	}
	px = (int64_t)vips_image_get_width(hdr) * vips_image_get_height(hdr);
	/* An animation's original keeps every frame: all of them count. */
	if (*kind == IMAGE_GIF && job->clean != NULL && px > 0)
		px *= vips_image_get_n_pages(hdr);
	*icc = vips_image_get_typeof(hdr, VIPS_META_ICC_NAME) != 0;
	*alpha = vips_image_hasalpha(hdr);
	*rotate = vips_image_get_orientation(hdr) > 1;
	g_object_unref(hdr);
	if (px <= 0 || px > IMAGE_MAX_PIXELS) {
		snprintf(job->err, job->errlen,
		         "picture of %lld pixels (at most %d)", (long long)px,
		         IMAGE_MAX_PIXELS);
		return -1;
	}
	return 0;
}

/* The display copy in memory (decoded once; the thumbnail is made from
 * it), then both variants written. */
static int
image_make_variants(struct image_job *job, int icc)
{
	VipsImage *disp = NULL, *mem = NULL, *flat = NULL, *thumb = NULL;
	int rc = -1;

	if (icc ? vips_thumbnail(job->src, &disp, IMAGE_DISPLAY_PX, "height",
	                         IMAGE_DISPLAY_PX, "size", VIPS_SIZE_DOWN,
	                         "fail_on", VIPS_FAIL_ON_ERROR,
	                         "export_profile", "srgb", NULL)
	        : vips_thumbnail(job->src, &disp, IMAGE_DISPLAY_PX, "height",
	                         IMAGE_DISPLAY_PX, "size", VIPS_SIZE_DOWN,
	                         "fail_on", VIPS_FAIL_ON_ERROR, NULL)) {
		image_fail(job, "not a readable picture");
		goto done;
	}
	image_watch(disp, job);
	mem = vips_image_copy_memory(disp);
	if (mem == NULL || image_drop_opaque_alpha(mem, &flat) != 0) {
		image_fail(job, "cannot decode the picture");
		goto done;
	}
	if (image_save_variant(job, flat, job->display, 80, 1) != 0)
		goto done;
	if (vips_thumbnail_image(flat, &thumb, IMAGE_THUMB_PX, "height",
	                         IMAGE_THUMB_PX, "size", VIPS_SIZE_DOWN,
	                         NULL) != 0) {
		image_fail(job, "cannot make the thumbnail");
		goto done;
	}
	if (image_save_variant(job, thumb, job->thumb, 75, 0) != 0)
		goto done;
	rc = 0;
done:
	if (thumb != NULL)
		g_object_unref(thumb);
	if (flat != NULL)
		g_object_unref(flat);
	if (mem != NULL)
		g_object_unref(mem);
	if (disp != NULL)
		g_object_unref(disp);
	return rc;
}

/* The original at full size, upright, in sRGB, without metadata: the
 * whole picture is decoded (random access) only when it must turn. */
static int
image_make_clean(struct image_job *job, enum image_kind kind, int icc,
                 int alpha, int rotate)
{
	VipsImage *img = NULL, *up = NULL, *out = NULL;
	int rc = -1, saved;

	if (kind == IMAGE_GIF)
		img = vips_image_new_from_file(
		    job->src, "n", -1, "access", VIPS_ACCESS_SEQUENTIAL,
		    "fail_on", VIPS_FAIL_ON_ERROR, NULL);
	else if (rotate)
		img = vips_image_new_from_file(job->src, "fail_on",
		                               VIPS_FAIL_ON_ERROR, NULL);
	else
		img = vips_image_new_from_file(
		    job->src, "access", VIPS_ACCESS_SEQUENTIAL, "fail_on",
		    VIPS_FAIL_ON_ERROR, NULL);
	if (img == NULL) {
		image_fail(job, "not a readable picture");
		goto done;
	}
	if (rotate ? vips_autorot(img, &up, NULL) != 0
	           : vips_copy(img, &up, NULL) != 0)
		goto fail;
	if (icc) {
		if (vips_icc_transform(up, &out, "srgb", "embedded", TRUE,
		                       NULL) != 0)
			goto fail;
	} else if (up->Type == VIPS_INTERPRETATION_CMYK) {
		/* CMYK without a profile: libvips' own CMYK profile. */
		if (vips_colourspace(up, &out, VIPS_INTERPRETATION_sRGB,
		                     NULL) != 0)
			goto fail;
	} else if (vips_copy(up, &out, NULL) != 0)
		goto fail;
	image_watch(out, job);
	switch (kind) {
	case IMAGE_GIF: saved = image_save(out, job->clean, "gif", 0, 0); break;
	case IMAGE_PNG: saved = image_save(out, job->clean, "png", 0, 0); break;
	case IMAGE_JPEG:
		saved = image_save(out, job->clean, "jpeg", 90, 0);
		break;
	default:
		/* HEIC, which browsers cannot show, and WebP, which libvips
		 * 8.14 cannot write without an EXIF block (its webpsave
		 * ignores "strip") and older iPhones' WeChat cannot show. */
		saved = alpha ? image_save(out, job->clean, "png", 0, 0)
		              : image_save(out, job->clean, "jpeg", 90, 0);
		break;
	}
	if (saved != 0 || image_sync(job->clean) != 0)
		goto fail;
	rc = 0;
	goto done;
fail:
	image_fail(job, "cannot write the original");
done:
	if (out != NULL)
		g_object_unref(out);
	if (up != NULL)
		g_object_unref(up);
	if (img != NULL)
		g_object_unref(img);
	return rc;
}

static void
image_job_run(void *p)
{
	struct image_job *job = p;
	enum image_kind kind = IMAGE_JPEG;
	int icc = 0, alpha = 0, rotate = 0;

	job->rc = 0;
	if (image_check(job, &kind, &icc, &alpha, &rotate) != 0)
		job->rc = -1;
	else if (image_make_variants(job, icc) != 0)
		job->rc = -1;
	else if (job->clean != NULL &&
	         image_make_clean(job, kind, icc, alpha, rotate) != 0)
		job->rc = -1;
	vips_error_clear();
	/* This thread may end before libvips runs again on it. */
	vips_thread_shutdown();
}

int
image_variants(const char *src, const char *display, const char *thumb,
               const char *clean_original, char *err, size_t errlen)
{
	struct image_job job = {src, display, thumb, clean_original,
	                        err, errlen,  -1,    0};

	if (errlen > 0)
		err[0] = '\0';
	if (image_init() != 0) {
		snprintf(err, errlen, "libvips did not start");
		return -1;
	}
	while (sem_wait(&image_slots) != 0)
		;
	job.deadline = time(NULL) + IMAGE_DEADLINE_SEC;
	if (thread_on_big_stack(image_job_run, &job) != 0) {
		snprintf(err, errlen, "no thread for the picture");
		job.rc = -1;
	}
	sem_post(&image_slots);
	if (job.rc != 0) {
		unlink(display);
		unlink(thumb);
		if (clean_original != NULL)
			unlink(clean_original);
		if (err[0] == '\0')
			snprintf(err, errlen, "not a picture");
	}
	return job.rc;
}
