/*
 * resources_preview.c — the first page of an uploaded PDF as a picture,
 * rendered at upload with libvips (its poppler loader) because neither
 * WeChat's nor a phone browser's PDF viewer can be relied on. The JPEG
 * is stored base64 in resources_previews (the portable SQL subset binds
 * no blobs) and served by GET /api/v1/resources/{id}/preview to whoever
 * may see the resource. Images use the file service's display copy;
 * Office documents get no preview (the page says so).
 *
 * The host keeps libvips' untrusted loaders blocked for photos and picks
 * a photo's loader from an allow-list; here the PDF loader alone is let
 * through, for bytes the file service sniffed as PDF (and confirmed by
 * libvips' own sniffing), on a thread of our own with a big stack
 * (poppler recurses deeply on a crafted file), one render at a time.
 */
#include "resources.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <vips/vips.h>

#define PREVIEW_MAX_BYTES (50 * 1024 * 1024)
#define PREVIEW_WIDTH 800 /* at most, in pixels */
#define PREVIEW_HEIGHT 1200
#define PREVIEW_STACK (16 * 1024 * 1024)
#define PREVIEW_DEADLINE_SEC 20

struct preview_job {
	const void *pdf;
	size_t len;
	void *jpeg; /* g_malloc'ed by libvips */
	size_t jpeg_len;
	int w, h, rc;
	char err[200];
};

static pthread_mutex_t preview_lock = PTHREAD_MUTEX_INITIALIZER;

/* Stops a render that takes too long (a page built to be slow): libvips
 * asks between the regions it computes. */
static void
preview_eval(VipsImage *img, VipsProgress *progress, void *data)
{
	const time_t *deadline = data;

	(void)progress;
	if (time(NULL) > *deadline)
		vips_image_set_kill(img, TRUE);
}

static void *
preview_run(void *arg)
{
	struct preview_job *j = arg;
	VipsImage *head = NULL, *img = NULL, *flat = NULL;
	const char *loader;
	time_t deadline = time(NULL) + PREVIEW_DEADLINE_SEC;
	double scale;

	j->rc = -1;
	if (VIPS_INIT("jiaxiao") != 0) {
		snprintf(j->err, sizeof(j->err), "vips_init failed");
		return NULL;
	}
	vips_operation_block_set("VipsForeignLoadPdf", FALSE);
	loader = vips_foreign_find_load_buffer(j->pdf, j->len);
	if (loader == NULL || strstr(loader, "Pdf") == NULL) {
		snprintf(j->err, sizeof(j->err), "no PDF loader (%s)",
		         loader ? loader : "none");
		goto done;
	}
	/* the page's size first (the header only), then the page rendered
	 * at the scale that fits the preview: never a huge bitmap */
	if (vips_pdfload_buffer((void *)j->pdf, j->len, &head, "page", 0,
	                        NULL) != 0)
		goto fail;
	scale = (double)PREVIEW_WIDTH / vips_image_get_width(head);
	if (scale > (double)PREVIEW_HEIGHT / vips_image_get_height(head))
		scale = (double)PREVIEW_HEIGHT / vips_image_get_height(head);
	if (scale > 4.0)
		scale = 4.0;
	g_object_unref(head);
	if (vips_pdfload_buffer((void *)j->pdf, j->len, &img, "page", 0,
	                        "scale", scale, NULL) != 0)
		goto fail;
	vips_image_set_progress(img, TRUE);
	g_signal_connect(img, "eval", G_CALLBACK(preview_eval), &deadline);
	if (vips_image_hasalpha(img)) {
		VipsArrayDouble *white = vips_array_double_newv(1, 255.0);
		int rc = vips_flatten(img, &flat, "background", white, NULL);

		vips_area_unref(VIPS_AREA(white));
		if (rc != 0)
			goto fail;
		g_object_unref(img);
		img = flat;
		vips_image_set_progress(img, TRUE);
		g_signal_connect(img, "eval", G_CALLBACK(preview_eval),
		                 &deadline);
	}
	if (vips_jpegsave_buffer(img, &j->jpeg, &j->jpeg_len, "Q", 80, "strip",
	                         TRUE, NULL) != 0)
		goto fail;
	j->w = vips_image_get_width(img);
	j->h = vips_image_get_height(img);
	j->rc = 0;
	goto done;
fail:
	snprintf(j->err, sizeof(j->err), "%s",
	         time(NULL) > deadline ? "took too long" : vips_error_buffer());
	vips_error_clear();
done:
	if (img != NULL)
		g_object_unref(img);
	vips_thread_shutdown();
	return NULL;
}

/* Reads all of fd into malloc'ed memory (at most max bytes). */
static void *
preview_slurp(int fd, size_t max, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);

	while (buf != NULL) {
		ssize_t r;

		if (n == cap) {
			char *more;

			if (cap >= max)
				goto fail;
			more = realloc(buf, cap * 2);
			if (more == NULL)
				goto fail;
			buf = more;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*len = n;
	return buf;
fail:
	free(buf);
	return NULL;
}

int
resources_preview_render(jx_req *req, int64_t file_id, const char **data,
                         int *w, int *h)
{
	struct preview_job j;
	pthread_attr_t attr;
	pthread_t t;
	void *pdf;
	size_t len = 0;
	int fd, started;
	char *b64;

	if (!JX_HOST_HAS(jx_host, file_open))
		return -1; /* a host before ABI 2.3: no bytes, no preview */
	fd = jx_host->file_open(req, file_id, NULL);
	if (fd < 0)
		return -1;
	pdf = preview_slurp(fd, PREVIEW_MAX_BYTES, &len);
	close(fd);
	if (pdf == NULL)
		return -1;
	memset(&j, 0, sizeof(j));
	j.pdf = pdf;
	j.len = len;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, PREVIEW_STACK);
	pthread_mutex_lock(&preview_lock);
	started = pthread_create(&t, &attr, preview_run, &j) == 0;
	if (started)
		pthread_join(t, NULL);
	pthread_mutex_unlock(&preview_lock);
	pthread_attr_destroy(&attr);
	free(pdf);
	if (!started || j.rc != 0) {
		jx_host->log(JX_LOG_WARN, "resources",
		             "no preview for file %lld: %s", (long long)file_id,
		             started ? j.err : "no thread");
		g_free(j.jpeg);
		return -1;
	}
	b64 = g_base64_encode(j.jpeg, j.jpeg_len);
	g_free(j.jpeg);
	*data = jx_host->strdup(req, b64);
	g_free(b64);
	*w = j.w;
	*h = j.h;
	return 0;
}

int
resources_preview_store(jx_db *db, int64_t id, const char *data, int w, int h)
{
	return jx_host->db_exec(db,
	                        "INSERT INTO resources_previews(resource_id, "
	                        "mime, width, height, data) VALUES (?, "
	                        "'image/jpeg', ?, ?, ?)",
	                        "iiis", id, (int64_t)w, (int64_t)h, data) < 0
	           ? -1
	           : 0;
}

int
resources_preview_get(jx_req *req, void *ud)
{
	int64_t id = jx_host->req_param_id(req, "id");
	jx_db *db = jx_host->req_db(req);
	jx_stmt *st;
	guchar *bytes = NULL;
	gsize len = 0;
	char *mime = NULL;
	int rc;

	(void)ud;
	if (id <= 0 || resources_visible(req, db, id) != 1)
		return jxp_not_found(jx_host, req);
	st = jx_host->db_query(db,
	                       "SELECT mime, data FROM resources_previews "
	                       "WHERE resource_id = ?",
	                       "i", id);
	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		mime = jx_host->strdup(req, jx_host->db_text(st, 0));
		bytes = g_base64_decode(jx_host->db_text(st, 1), &len);
	}
	jx_host->db_finish(st);
	if (bytes == NULL)
		return jx_host->reply_problem(req, 404, "not-found",
		                              "Not found",
		                              "This resource has no preview.");
	rc = jx_host->reply_raw(req, 200, mime, bytes, len,
	                        "Cache-Control: private, max-age=3600\r\n");
	g_free(bytes);
	return rc;
}
