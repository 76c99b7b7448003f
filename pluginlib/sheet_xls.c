/*
 * sheet_xls.c — the legacy .xls reader (BIFF5/BIFF8, as older Excel and WPS
 * save), through libfreexl.
 *
 * libfreexl opens files by path only, so the bytes go to a private temporary
 * file (mkstemp, mode 0600) in the directory the caller names, removed as
 * soon as libfreexl has opened it and on every error path.
 *
 * libfreexl 1.0.6 is not safe on hostile input: a fuzzer finds an
 * out-of-bounds read in its directory parsing within a hundred runs, and a
 * crafted date makes it loop for seconds per cell. So it runs in a forked
 * child with a time limit, which sends the first worksheet's cells back as
 * text over a pipe; the parent builds the rows and applies the limits. A
 * child that crashes or hangs costs an error message, not the server.
 */
#include "sheet.h"

#include <errno.h>
#include <fcntl.h>
#include <freexl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Wall-clock seconds the child gets; libfreexl reads a full 65,536-row
 * sheet in well under one. */
#define XLS_TIMEOUT 60
#define XLS_CHILD_BUF 65536

/* Child to parent: a header, then `len` bytes of cell text for a CELL. One
 * OPEN first, CELLs in row order, END last; anything else is a crash. */
enum xls_kind { XLS_OPEN = 1, XLS_CELL, XLS_END };
enum xls_status { XLS_OK, XLS_BAD, XLS_ENCRYPTED, XLS_NO_SHEET };

struct xls_msg {
	uint32_t row; /* CELL: 0-based row; OPEN: an xls_status */
	uint32_t len;
	uint16_t col;
	uint16_t kind;
};

/* What the CFBF container holds, found by the UTF-16LE names of its
 * streams, for a useful message when libfreexl finds no workbook. */
static int
xls_has_stream(const void *data, size_t len, const char *ascii)
{
	unsigned char pat[64];
	size_t n = strlen(ascii), i;

	if (n * 2 > sizeof(pat) || len < n * 2)
		return 0;
	for (i = 0; i < n; i++) {
		pat[2 * i] = (unsigned char)ascii[i];
		pat[2 * i + 1] = 0;
	}
	return memmem(data, len, pat, n * 2) != NULL;
}

static int
xls_open_failed(struct sheet_ctx *ctx, const void *data, size_t len)
{
	if (xls_has_stream(data, len, "EncryptedPackage"))
		return sheet_fail(
		    ctx, "文件已加密，请先取消密码保护再上传",
		    "the file is encrypted; remove the password first");
	if (xls_has_stream(data, len, "WordDocument"))
		return sheet_fail(ctx, "这是 Word 文档，不是 Excel 表格",
		                  "a Word document, not a spreadsheet");
	if (xls_has_stream(data, len, "PowerPoint Document"))
		return sheet_fail(ctx, "这是 PowerPoint 文件，不是 Excel 表格",
		                  "a PowerPoint file, not a spreadsheet");
	return sheet_fail(ctx,
	                  "xls 文件已损坏、已加密或格式太旧，请用 Excel 另存为 "
	                  ".xlsx 后再上传",
	                  "the .xls file is damaged, encrypted or too old: "
	                  "save it as .xlsx in Excel");
}

/* Writes the bytes to a new private file under dir; returns its path
 * (malloc'ed, the file closed) or NULL with the error set. */
static char *
xls_tmpfile(struct sheet_ctx *ctx, const char *dir, const void *data,
            size_t len)
{
	const char *p = data;
	size_t left = len;
	char *path;
	int fd;

	path = malloc(strlen(dir) + sizeof("/.sheet-XXXXXX"));
	if (path == NULL) {
		sheet_fail(ctx, "内存不足", "out of memory");
		return NULL;
	}
	sprintf(path, "%s/.sheet-XXXXXX", dir);
	/* mkstemp creates the file O_EXCL with mode 0600 */
	fd = mkstemp(path);
	if (fd < 0) {
		sheet_fail(ctx, "无法创建临时文件%.0s%.0s",
		           "cannot create a temporary file in %s: %s", dir,
		           strerror(errno));
		free(path);
		return NULL;
	}
	while (left > 0) {
		ssize_t n = write(fd, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			sheet_fail(ctx, "无法写入临时文件%.0s%.0s",
			           "cannot write a temporary file in %s: %s",
			           dir,
			           n < 0 ? strerror(errno) : "short write");
			close(fd);
			unlink(path);
			free(path);
			return NULL;
		}
		p += n;
		left -= (size_t)n;
	}
	if (close(fd) != 0) {
		sheet_fail(ctx, "无法写入临时文件%.0s%.0s",
		           "cannot write a temporary file in %s: %s", dir,
		           strerror(errno));
		unlink(path);
		free(path);
		return NULL;
	}
	return path;
}

/* ---- the child ---- */

struct xls_out {
	int fd;
	char buf[XLS_CHILD_BUF];
	size_t len;
};

static void
xls_flush(struct xls_out *o)
{
	size_t done = 0;

	while (done < o->len) {
		ssize_t n = write(o->fd, o->buf + done, o->len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(1);
		done += (size_t)n;
	}
	o->len = 0;
}

static void
xls_send(struct xls_out *o, uint16_t kind, uint32_t row, uint16_t col,
         const char *s, uint32_t len)
{
	struct xls_msg m = {row, len, col, kind};

	if (o->len + sizeof(m) > sizeof(o->buf))
		xls_flush(o);
	memcpy(o->buf + o->len, &m, sizeof(m));
	o->len += sizeof(m);
	while (len > 0) {
		size_t n = sizeof(o->buf) - o->len;

		if (n == 0) {
			xls_flush(o);
			continue;
		}
		if (n > len)
			n = len;
		memcpy(o->buf + o->len, s, n);
		o->len += n;
		s += n;
		len -= (uint32_t)n;
	}
}

/* The cell's text as Excel shows it, in num when it is a number. */
static const char *
xls_text(const FreeXL_CellValue *v, char *num, size_t numlen)
{
	switch (v->type) {
	case FREEXL_CELL_INT:
		snprintf(num, numlen, "%d", v->value.int_value);
		return num;
	case FREEXL_CELL_DOUBLE:
		sheet_format_number(v->value.double_value, num, numlen);
		return num;
	case FREEXL_CELL_TEXT:
	case FREEXL_CELL_SST_TEXT:
	case FREEXL_CELL_DATE:
	case FREEXL_CELL_DATETIME:
	case FREEXL_CELL_TIME: return v->value.text_value;
	default: return NULL;
	}
}

static void
xls_child(const char *path, int fd)
{
	struct xls_out *o = malloc(sizeof(*o));
	const void *h = NULL;
	unsigned int rows, r, info;
	unsigned short cols, c;

	/* The server may ignore or catch these; the child must die of
	 * them. */
	signal(SIGALRM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	alarm(XLS_TIMEOUT);
	if (o == NULL)
		_exit(1);
	o->fd = fd;
	o->len = 0;
	if (freexl_open(path, &h) != FREEXL_OK) {
		xls_send(o, XLS_OPEN, XLS_BAD, 0, NULL, 0);
		goto end;
	}
	if (freexl_get_info(h, FREEXL_BIFF_PASSWORD, &info) == FREEXL_OK &&
	    info == FREEXL_BIFF_OBFUSCATED) {
		xls_send(o, XLS_OPEN, XLS_ENCRYPTED, 0, NULL, 0);
		goto end;
	}
	if (freexl_get_info(h, FREEXL_BIFF_SHEET_COUNT, &info) != FREEXL_OK ||
	    info == 0 || freexl_select_active_worksheet(h, 0) != FREEXL_OK) {
		xls_send(o, XLS_OPEN, XLS_NO_SHEET, 0, NULL, 0);
		goto end;
	}
	if (freexl_worksheet_dimensions(h, &rows, &cols) != FREEXL_OK) {
		xls_send(o, XLS_OPEN, XLS_BAD, 0, NULL, 0);
		goto end;
	}
	xls_send(o, XLS_OPEN, XLS_OK, 0, NULL, 0);
	/* BIFF8 holds 65,536 rows of 256 columns at most. */
	if (rows > 65536)
		rows = 65536;
	for (r = 0; r < rows; r++) {
		for (c = 0; c < cols; c++) {
			FreeXL_CellValue v;
			char num[64];
			const char *s;

			if (freexl_get_cell_value(h, r, c, &v) != FREEXL_OK)
				continue;
			s = xls_text(&v, num, sizeof(num));
			if (s != NULL && s[0] != '\0')
				xls_send(o, XLS_CELL, r, c, s,
				         (uint32_t)strnlen(s, UINT32_MAX));
		}
	}
	xls_send(o, XLS_END, 0, 0, NULL, 0);
end:
	xls_flush(o);
	/* no freexl_close, no atexit handlers, no stdio flush: the process
	 * ends here */
	_exit(0);
}

/* ---- the parent ---- */

/* Reads exactly n bytes: 1, 0 at a clean end of file, -1 otherwise. */
static int
xls_read_full(int fd, void *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t k = read(fd, (char *)buf + done, n - done);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0)
			return done == 0 ? 0 : -1;
		done += (size_t)k;
	}
	return 1;
}

/* Turns the child's messages into rows. *ended is set once the child has
 * said all it will say (END, or its end of the pipe closed). */
static int
xls_receive(struct sheet_ctx *ctx, int fd, const char *path, const void *data,
            size_t len, int *ended)
{
	struct xls_msg m;
	char *text = NULL;
	long row = -1;
	int rc = -1;

	*ended = 1;
	if (xls_read_full(fd, &m, sizeof(m)) != 1 || m.kind != XLS_OPEN) {
		unlink(path);
		xls_open_failed(ctx, data, len);
		return -1;
	}
	unlink(path);
	switch (m.row) {
	case XLS_OK: break;
	case XLS_ENCRYPTED:
		return sheet_fail(
		    ctx, "文件已加密，请先取消密码保护再上传",
		    "the file is encrypted; remove the password first");
	case XLS_NO_SHEET:
		return sheet_fail(ctx, "工作簿里没有工作表",
		                  "the workbook has no worksheet");
	default: return xls_open_failed(ctx, data, len);
	}
	text = malloc(ctx->lim.max_cell_bytes + 1);
	if (text == NULL)
		return sheet_fail(ctx, "内存不足", "out of memory");
	*ended = 0;
	for (;;) {
		int got = xls_read_full(fd, &m, sizeof(m));

		if (got != 1 || m.kind == XLS_END)
			*ended = 1;
		if (got != 1 || (m.kind != XLS_CELL && m.kind != XLS_END) ||
		    (m.kind == XLS_CELL && (long)m.row < row)) {
			xls_open_failed(ctx, data, len);
			goto out;
		}
		if (m.kind == XLS_END)
			break;
		if ((long)m.row != row) {
			if (row >= 0 && sheet_row_emit(ctx, (int)row + 1) != 0)
				goto out;
			row = (long)m.row;
			ctx->number = (int)row + 1;
		}
		if (m.len > ctx->lim.max_cell_bytes) {
			sheet_fail(ctx, "第 %ld 行有单元格超过 %zu 字节",
			           "a cell in row %ld is longer than %zu bytes",
			           row + 1, ctx->lim.max_cell_bytes);
			goto out;
		}
		if (xls_read_full(fd, text, m.len) != 1) {
			*ended = 1;
			xls_open_failed(ctx, data, len);
			goto out;
		}
		if (sheet_row_set(ctx, m.col, text, m.len) != 0)
			goto out;
	}
	if (row >= 0 && sheet_row_emit(ctx, (int)row + 1) != 0)
		goto out;
	rc = 0;
out:
	free(text);
	return rc;
}

int
sheet_xls_read(struct sheet_ctx *ctx, const void *data, size_t len,
               const char *tmp_dir)
{
	char *path;
	int fds[2] = {-1, -1}, rc = -1, status, ended;
	pid_t pid;

	if (tmp_dir == NULL || tmp_dir[0] == '\0')
		tmp_dir = getenv("TMPDIR");
	if (tmp_dir == NULL || tmp_dir[0] == '\0')
		tmp_dir = "/tmp";
	path = xls_tmpfile(ctx, tmp_dir, data, len);
	if (path == NULL)
		return -1;
	if (pipe2(fds, O_CLOEXEC) != 0) {
		sheet_fail(ctx, "系统资源不足%.0s", "cannot create a pipe: %s",
		           strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		sheet_fail(ctx, "系统资源不足%.0s", "cannot fork: %s",
		           strerror(errno));
		goto out;
	}
	if (pid == 0) {
		/* Keep none of the server's descriptors (sockets, the
		 * database) in the child: only the pipe's write end. */
		if (fds[1] > 3)
			close_range(3, (unsigned)fds[1] - 1, 0);
		close_range((unsigned)fds[1] + 1, ~0U, 0);
		xls_child(path, fds[1]);
	}
	close(fds[1]);
	fds[1] = -1;
	rc = xls_receive(ctx, fds[0], path, data, len, &ended);
	close(fds[0]);
	fds[0] = -1;
	/* Stopped early (the callback, a limit): the child is still
	 * writing, and it is ours to end. Otherwise it has exited or is
	 * about to. */
	if (!ended)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
out:
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	unlink(path);
	free(path);
	return rc;
}
