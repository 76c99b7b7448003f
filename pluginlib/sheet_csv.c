/*
 * sheet_csv.c — the CSV reader: the encoding (UTF-8 with or without BOM,
 * else GB18030, which covers the GBK that Chinese Excel saves, or UTF-16
 * with a BOM as Excel's "Unicode text"), converted to UTF-8 with iconv; the
 * separator (comma, or tab when the first lines have more tabs than
 * commas); and RFC 4180 records, numbered from 1 as they come, a quoted
 * field spanning lines being one record.
 */
#include "sheet.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

/* How many lines decide between comma and tab. */
#define CSV_SNIFF_LINES 20

#define CSV_ENCODING                                                                                 \
	"无法识别文件的文字编码（第 %d 行附近）：请在 Excel 中另存为“CSV " \
	"UTF-8”或 .xlsx",                                                                            \
	    "unrecognised text encoding near line %d: save the file as CSV "                         \
	    "UTF-8 or .xlsx"

/* The line (1-based) that in[0..at-1] ends on, for messages: a newline
 * is one byte, or a 16-bit unit in UTF-16. */
static int
csv_line_at(const char *from, const char *in, size_t at)
{
	size_t k;
	int line = 1;

	if (strcmp(from, "UTF-16LE") == 0 || strcmp(from, "UTF-16BE") == 0) {
		int le = from[6] == 'L';

		for (k = 0; k + 1 < at; k += 2)
			line += in[k + !le] == '\n' && in[k + le] == 0;
		return line;
	}
	for (k = 0; k < at; k++)
		line += in[k] == '\n';
	return line;
}

/* Converts in[0..len-1] from `from` to UTF-8 into a malloc'ed buffer,
 * refusing output beyond max_uncompressed. */
static char *
csv_iconv(struct sheet_ctx *ctx, const char *from, const char *in, size_t len,
          size_t *outlen)
{
	size_t max = ctx->lim.max_uncompressed + 16;
	iconv_t cd;
	char *out = NULL, *inp = (char *)in, *op;
	size_t cap, inleft = len, outleft, done = 0;

	cd = iconv_open("UTF-8", from);
	if (cd == (iconv_t)-1) {
		sheet_fail(ctx, "系统缺少 %s 编码转换", "no %s converter",
		           from);
		return NULL;
	}
	/* UTF-8 takes at most 3 bytes for 2 of GB18030 or UTF-16. */
	cap = len + len / 2 + 16;
	if (cap > max)
		cap = max;
	for (;;) {
		char *p = realloc(out, cap);

		if (p == NULL) {
			sheet_fail(ctx, "内存不足", "out of memory");
			goto fail;
		}
		out = p;
		op = out + done;
		outleft = cap - 1 - done;
		if (iconv(cd, &inp, &inleft, &op, &outleft) != (size_t)-1 &&
		    iconv(cd, NULL, NULL, &op, &outleft) != (size_t)-1) {
			done = (size_t)(op - out);
			break;
		}
		done = (size_t)(op - out);
		if (errno != E2BIG) {
			/* EILSEQ, or EINVAL for a sequence cut short */
			int line = csv_line_at(from, in, (size_t)(inp - in));

			sheet_fail(ctx, CSV_ENCODING, line);
			goto fail;
		}
		if (cap >= max) {
			sheet_fail(ctx, "文件太大", "the file is too large");
			goto fail;
		}
		cap = cap * 2 > max ? max : cap * 2;
	}
	iconv_close(cd);
	out[done] = '\0';
	*outlen = done;
	return out;
fail:
	iconv_close(cd);
	free(out);
	return NULL;
}

static char
csv_separator(const char *s, size_t n)
{
	size_t i, commas = 0, tabs = 0;
	int lines = 0;

	for (i = 0; i < n && lines < CSV_SNIFF_LINES; i++) {
		if (s[i] == ',')
			commas++;
		else if (s[i] == '\t')
			tabs++;
		else if (s[i] == '\n')
			lines++;
	}
	return tabs > commas ? '\t' : ',';
}

struct csv_field {
	char *buf;
	size_t len, cap;
};

static int
csv_append(struct sheet_ctx *ctx, struct csv_field *f, const char *s, size_t n)
{
	if (f->len + n + 1 > f->cap) {
		size_t cap = f->cap ? f->cap : 256;
		char *p;

		while (cap < f->len + n + 1)
			cap *= 2;
		p = realloc(f->buf, cap);
		if (p == NULL)
			return sheet_fail(ctx, "内存不足", "out of memory");
		f->buf = p;
		f->cap = cap;
	}
	memcpy(f->buf + f->len, s, n);
	f->len += n;
	return 0;
}

static int
csv_cell(struct sheet_ctx *ctx, int record, int col, const char *s, size_t n)
{
	if (n > ctx->lim.max_cell_bytes)
		return sheet_fail(
		    ctx, "第 %d 行有单元格超过 %zu 字节，可能是引号没有配对",
		    "a cell in record %d is longer than %zu bytes; an "
		    "unbalanced quote?",
		    record, ctx->lim.max_cell_bytes);
	if (n == 0)
		return 0;
	return sheet_row_set(ctx, col, s, n);
}

/* Splits s[0..n-1] (UTF-8, no NUL) into records. */
static int
csv_parse(struct sheet_ctx *ctx, const char *s, size_t n)
{
	struct csv_field f = {NULL, 0, 0};
	char sep = csv_separator(s, n);
	size_t i = 0, j;
	int record = 1, col = 0, rc = -1;

	while (i < n) {
		ctx->number = record;
		if (s[i] == '"') {
			/* quoted: up to the closing quote, "" for one */
			f.len = 0;
			i++;
			for (;;) {
				const char *q = memchr(s + i, '"', n - i);

				if (q == NULL) {
					sheet_fail(
					    ctx, "第 %d 行的引号没有配对",
					    "unbalanced quote in record %d",
					    record);
					goto out;
				}
				j = (size_t)(q - s);
				if (csv_append(ctx, &f, s + i, j - i) != 0)
					goto out;
				i = j + 1;
				if (i < n && s[i] == '"') {
					if (csv_append(ctx, &f, "\"", 1) != 0)
						goto out;
					i++;
					continue;
				}
				break;
			}
			/* Text after the closing quote is kept, as Excel
			 * does with `"a"b`. */
			for (j = i; j < n && s[j] != sep && s[j] != '\n' &&
			            s[j] != '\r';
			     j++)
				;
			if (csv_append(ctx, &f, s + i, j - i) != 0 ||
			    csv_cell(ctx, record, col, f.buf, f.len) != 0)
				goto out;
			i = j;
		} else {
			for (j = i; j < n && s[j] != sep && s[j] != '\n' &&
			            s[j] != '\r';
			     j++)
				;
			if (csv_cell(ctx, record, col, s + i, j - i) != 0)
				goto out;
			i = j;
		}
		if (i < n && s[i] == sep) {
			col++;
			i++;
			if (i < n)
				continue;
		} else if (i < n) {
			/* LF, CRLF or a lone CR */
			if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
				i++;
			i++;
		}
		if (sheet_row_emit(ctx, record) != 0)
			goto out;
		record++;
		col = 0;
	}
	rc = 0;
out:
	free(f.buf);
	return rc;
}

int
sheet_csv_read(struct sheet_ctx *ctx, const void *data, size_t len)
{
	const unsigned char *u = data;
	const char *s = data;
	char *conv = NULL;
	size_t n = len;
	int rc = -1;

	if (len >= 2 && u[0] == 0xff && u[1] == 0xfe) {
		conv = csv_iconv(ctx, "UTF-16LE", s + 2, len - 2, &n);
		if (conv == NULL)
			goto out;
		s = conv;
	} else if (len >= 2 && u[0] == 0xfe && u[1] == 0xff) {
		conv = csv_iconv(ctx, "UTF-16BE", s + 2, len - 2, &n);
		if (conv == NULL)
			goto out;
		s = conv;
	} else if (len >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf) {
		s += 3;
		n -= 3;
		if (!sheet_utf8_valid((const unsigned char *)s, n, 0)) {
			sheet_fail(ctx, CSV_ENCODING, 1);
			goto out;
		}
	} else if (!sheet_utf8_valid(u, len, 0)) {
		conv = csv_iconv(ctx, "GB18030", s, len, &n);
		if (conv == NULL)
			goto out;
		s = conv;
	}
	/* GB18030 and UTF-16 have their own BOMs, which end up as U+FEFF. */
	if (n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
		s += 3;
		n -= 3;
	}
	if (n > ctx->lim.max_uncompressed) {
		sheet_fail(ctx, "文件太大", "the file is too large");
		goto out;
	}
	if (memchr(s, '\0', n) != NULL) {
		sheet_fail(ctx, "文件不是文本格式的 CSV",
		           "not a text CSV file");
		goto out;
	}
	rc = csv_parse(ctx, s, n);
out:
	free(conv);
	return rc;
}
