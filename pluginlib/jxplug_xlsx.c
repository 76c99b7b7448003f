/*
 * jxplug_xlsx.c — workbooks as replies (see jxplug_xlsx.h).
 */
#include "jxplug_xlsx.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * A new private file (0600) in the host's temporary area <data_dir>/tmp
 * for a workbook (jx_host->tmp_open from ABI 2.1: emptied at start and
 * swept daily), and that directory for libxlsxwriter's own temporary
 * files. 0 or -1.
 */
static int
jxp_tmpfile(const struct jx_host *jx_host, char *path, size_t pathlen,
            char *dir, size_t dirlen)
{
	int fd;

	snprintf(dir, dirlen, "%s/tmp", jx_host->data_dir());
	if (JX_HOST_HAS(jx_host, tmp_open))
		fd = jx_host->tmp_open(path, pathlen, ".xlsx");
	else if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -1;
	else {
		snprintf(path, pathlen, "%s/roster-xlsx-XXXXXX", dir);
		fd = mkstemp(path);
	}
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/*
 * Closes the workbook (which writes the file), replies with the file as
 * an attachment named file_zh (RFC 5987) with an ASCII fallback, and
 * removes the file either way.
 */
int
jxp_workbook_send(const struct jx_host *jx_host, jx_req *req, lxw_workbook *wb,
                  const char *path, const char *file_zh, const char *file_ascii)
{
	struct stat st;
	char *data = NULL, *enc, *headers;
	size_t n = 0, k = 0;
	ssize_t got;
	int fd = -1, rc;
	lxw_error err = workbook_close(wb);

	if (err != LXW_NO_ERROR) {
		jx_host->log(JX_LOG_ERROR, "xlsx",
		             "cannot write a workbook: %s", lxw_strerror(err));
		goto fail;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0 || st.st_size <= 0)
		goto fail;
	data = malloc((size_t)st.st_size);
	if (data == NULL)
		goto fail;
	while (n < (size_t)st.st_size) {
		got = read(fd, data + n, (size_t)st.st_size - n);
		if (got <= 0)
			goto fail;
		n += (size_t)got;
	}
	close(fd);
	fd = -1;
	unlink(path);
	/* filename*=UTF-8''<percent-encoded> for the Chinese name */
	enc = jx_host->alloc(req, strlen(file_zh) * 3 + 1);
	for (const unsigned char *p = (const unsigned char *)file_zh; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' ||
		    *p == '_')
			enc[k++] = (char)*p;
		else
			k += (size_t)sprintf(enc + k, "%%%02X", *p);
	}
	enc[k] = '\0';
	headers = jx_host->sprintf(req,
	                           "Content-Disposition: attachment; "
	                           "filename=\"%s\"; filename*=UTF-8''%s\r\n",
	                           file_ascii, enc);
	rc = jx_host->reply_raw(req, 200, JXP_XLSX_TYPE, data, n, headers);
	free(data);
	return rc;
fail:
	if (fd >= 0)
		close(fd);
	free(data);
	unlink(path);
	return jxp_storage_error(jx_host, req);
}

/* A new workbook on a fresh temporary file; NULL after replying. */
lxw_workbook *
jxp_workbook(const struct jx_host *jx_host, jx_req *req, char *path,
             size_t pathlen, int constant_memory)
{
	char *dir = jx_host->alloc(req, 4096);
	lxw_workbook_options opt = {0};
	lxw_workbook *wb;

	if (jxp_tmpfile(jx_host, path, pathlen, dir, 4096) != 0) {
		jx_host->log(JX_LOG_ERROR, "xlsx",
		             "cannot create a file in %s: %s", dir,
		             strerror(errno));
		return NULL;
	}
	opt.constant_memory = constant_memory ? LXW_TRUE : LXW_FALSE;
	opt.tmpdir = dir;
	wb = workbook_new_opt(path, &opt);
	if (wb == NULL)
		unlink(path);
	return wb;
}
