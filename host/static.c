/*
 * static.c — static assets (CSS, JS, images) from templates/static only.
 * The path is checked segment by segment (no "..", no hidden files, a
 * small character set), then resolved and required to stay under the
 * root, so neither encoded tricks nor symlinks reach outside it.
 */
#include "host.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *
static_type(const char *path)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
	    {".css", "text/css; charset=utf-8"},
	    {".js", "text/javascript; charset=utf-8"},
	    {".svg", "image/svg+xml"},
	    {".png", "image/png"},
	    {".jpg", "image/jpeg"},
	    {".ico", "image/x-icon"},
	    {".woff2", "font/woff2"},
	    {".txt", "text/plain; charset=utf-8"},
	    {".json", "application/json"},
	};
	const char *dot = strrchr(path, '.');

	for (size_t i = 0; dot != NULL && i < sizeof(types) / sizeof(*types);
	     i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return NULL;
}

static int
static_path_ok(const char *rel)
{
	const char *seg = rel;

	if (*rel == '\0' || strlen(rel) > 200)
		return 0;
	for (const char *p = rel;; p++) {
		if (*p == '/' || *p == '\0') {
			size_t n = (size_t)(p - seg);

			/* empty, ".", ".." and hidden segments are refused */
			if (n == 0 || seg[0] == '.')
				return 0;
			if (*p == '\0')
				return 1;
			seg = p + 1;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		      *p == '.'))
			return 0;
	}
}

static int
static_not_found(jx_req *req)
{
	return http_reply_raw(req, 404, "text/plain; charset=utf-8",
	                      "not found\n", 10, NULL);
}

int
static_serve(jx_req *req, const char *rel)
{
	char path[PATH_MAX], real[PATH_MAX], root[PATH_MAX], etag[64], lm[64];
	const char *type = static_type(rel), *inm, *ims;
	struct stat st;
	struct tm tm;
	size_t rl;
	char *data;
	int fd = -1, status;
	ssize_t got;

	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0)
		return http_reply_raw(req, 405, "text/plain; charset=utf-8",
		                      "method not allowed\n", 19, NULL);
	if (!static_path_ok(rel) || type == NULL)
		return static_not_found(req);
	snprintf(path, sizeof(path), "%s/static/%s", app.templates_dir, rel);
	if (realpath(path, real) == NULL ||
	    realpath(app.templates_dir, root) == NULL)
		return static_not_found(req);
	rl = strlen(root);
	if (strncmp(real, root, rl) != 0 || strncmp(real + rl, "/static/", 8))
		return static_not_found(req);
	fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > 8 * 1024 * 1024) {
		if (fd >= 0)
			close(fd);
		return static_not_found(req);
	}
	snprintf(etag, sizeof(etag), "\"%llx-%llx\"",
	         (unsigned long long)st.st_mtime,
	         (unsigned long long)st.st_size);
	gmtime_r(&st.st_mtime, &tm);
	strftime(lm, sizeof(lm), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	http_add_header(req, "ETag", etag);
	http_add_header(req, "Last-Modified", lm);
	http_add_header(req, "Cache-Control", "public, max-age=3600");
	inm = http_header(req, "If-None-Match");
	ims = http_header(req, "If-Modified-Since");
	if ((inm != NULL && strcmp(inm, etag) == 0) ||
	    (inm == NULL && ims != NULL && strcmp(ims, lm) == 0)) {
		close(fd);
		return http_reply_raw(req, 304, type, NULL, 0, NULL);
	}
	data = arena_alloc(req->arena, (size_t)st.st_size + 1);
	got = read(fd, data, (size_t)st.st_size);
	close(fd);
	if (got != st.st_size)
		return static_not_found(req);
	status = http_reply_raw(req, 200, type, data, (size_t)got, NULL);
	return status;
}
