/*
 * sheet.c — the readers' front door: format detection by magic bytes,
 * dispatch to the xlsx, xls and CSV readers, and what they share (the row
 * builder, error messages, number formatting, UTF-8 checks, cell
 * normalisation).
 */
#include "sheet.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SHEET_DEFAULT_UNCOMPRESSED ((size_t)200 << 20)
#define SHEET_DEFAULT_ENTRIES 10000
#define SHEET_DEFAULT_RATIO 200.0
#define SHEET_DEFAULT_ROWS 200000
#define SHEET_DEFAULT_CELL_BYTES 32767
/* How much of the data sheet_detect looks at to decide "text". */
#define SHEET_SNIFF_BYTES 8192

/* Drops a UTF-8 character cut short at the end of s. */
static void
sheet_utf8_trim(char *s)
{
	size_t len = strlen(s), lead = len, need;
	unsigned char c;

	while (lead > 0 && ((unsigned char)s[lead - 1] & 0xc0) == 0x80)
		lead--;
	if (lead == 0)
		return;
	c = (unsigned char)s[lead - 1];
	if (c < 0xc0)
		return;
	need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
	if (len - (lead - 1) < need)
		s[lead - 1] = '\0';
}

int
sheet_fail(struct sheet_ctx *ctx, const char *zh, const char *en, ...)
{
	va_list ap;

	if (ctx->failed || ctx->stopped)
		return -1;
	ctx->failed = 1;
	if (ctx->err != NULL && ctx->errlen > 0) {
		size_t used;
		int n;

		va_start(ap, en);
		n = vsnprintf(ctx->err, ctx->errlen, zh, ap);
		va_end(ap);
		/* cut short: no partial character at the end */
		if (n >= 0 && (size_t)n >= ctx->errlen)
			sheet_utf8_trim(ctx->err);
		/* the English after the Chinese's NUL, where it fits */
		used = strlen(ctx->err) + 1;
		if (used + 1 < ctx->errlen) {
			char *out = ctx->err + used;
			size_t room = ctx->errlen - used;

			va_start(ap, en);
			n = vsnprintf(out, room, en, ap);
			va_end(ap);
			if (n >= 0 && (size_t)n >= room)
				sheet_utf8_trim(out);
		}
	}
	return -1;
}

const char *
sheet_err_en(const char *err, size_t errlen)
{
	size_t zh = strnlen(err, errlen);

	if (zh + 2 > errlen || err[zh + 1] == '\0')
		return err;
	return err + zh + 1;
}

int
sheet_row_set(struct sheet_ctx *ctx, int col, const char *s, size_t n)
{
	if (col < 0 || col >= 16384)
		return sheet_fail(ctx, "表格列数超出 Excel 的范围",
		                  "column outside Excel's range");
	if (n > ctx->lim.max_cell_bytes)
		return sheet_fail(ctx, "第 %d 行有单元格超过 %zu 字节",
		                  "a cell in row %d is longer than %zu bytes",
		                  ctx->number, ctx->lim.max_cell_bytes);
	if (col >= ctx->cellcap) {
		int cap = ctx->cellcap ? ctx->cellcap : 16;
		size_t *off;
		const char **cells;

		while (cap <= col)
			cap *= 2;
		off = realloc(ctx->off, (size_t)cap * sizeof(*off));
		if (off == NULL)
			goto nomem;
		ctx->off = off;
		cells = realloc(ctx->cells, (size_t)cap * sizeof(*cells));
		if (cells == NULL)
			goto nomem;
		ctx->cells = cells;
		ctx->cellcap = cap;
	}
	while (ctx->ncells <= col)
		ctx->off[ctx->ncells++] = SIZE_MAX;
	if (ctx->textlen + n + 1 > ctx->textcap) {
		size_t cap = ctx->textcap ? ctx->textcap : 256;
		char *text;

		while (cap < ctx->textlen + n + 1)
			cap *= 2;
		text = realloc(ctx->text, cap);
		if (text == NULL)
			goto nomem;
		ctx->text = text;
		ctx->textcap = cap;
	}
	/* A cell set twice (a malformed sheet) keeps the later value; the
	 * earlier text stays in the buffer until the row ends. */
	ctx->off[col] = ctx->textlen;
	memcpy(ctx->text + ctx->textlen, s, n);
	ctx->textlen += n;
	ctx->text[ctx->textlen++] = '\0';
	return 0;
nomem:
	return sheet_fail(ctx, "内存不足", "out of memory");
}

/* Whether s is empty once sheet_normalize's trimming is done. */
static int
sheet_blank(const char *s)
{
	char tmp[8];
	const char *p = s;

	/* Trimming an all-space string leaves nothing; a string with any
	 * other character has it as its first non-space character, which
	 * sheet_normalize copies into tmp. */
	sheet_normalize(p, tmp, sizeof(tmp));
	return tmp[0] == '\0';
}

int
sheet_row_emit(struct sheet_ctx *ctx, int number)
{
	struct sheet_row row;
	int i, last = -1, rc;

	for (i = 0; i < ctx->ncells; i++) {
		if (ctx->off[i] == SIZE_MAX) {
			ctx->cells[i] = "";
			continue;
		}
		ctx->cells[i] = ctx->text + ctx->off[i];
		if (!sheet_blank(ctx->cells[i]))
			last = i;
	}
	ctx->textlen = 0;
	ctx->ncells = 0;
	if (last < 0)
		return 0;
	if (ctx->rows >= ctx->lim.max_rows)
		return sheet_fail(ctx, "表格超过 %zu 行，请分批导入",
		                  "more than %zu rows; import in parts",
		                  ctx->lim.max_rows);
	ctx->rows++;
	row.number = number;
	row.ncells = last + 1;
	row.cells = ctx->cells;
	rc = ctx->fn(ctx->ud, &row);
	if (rc != 0) {
		ctx->stopped = 1;
		ctx->stop_value = rc;
		return -1;
	}
	return 0;
}

void
sheet_format_number(double v, char *out, size_t outlen)
{
	if (v == 0) {
		/* no "-0" */
		snprintf(out, outlen, "0");
		return;
	}
	/* Excel keeps 15 significant digits: integers below 10^15 are
	 * exact, anything else is shown rounded to 15 digits, with an
	 * upper-case E like Excel's "4.30102201203151E+17". */
	if (fabs(v) < 1e15 && v == floor(v)) {
		snprintf(out, outlen, "%.0f", v);
		return;
	}
	snprintf(out, outlen, "%.15G", v);
}

int
sheet_utf8_valid(const unsigned char *s, size_t len, int partial)
{
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i];
		size_t n, k;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		for (k = 1; k <= n; k++) {
			if (i + k >= len)
				return partial;
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
			/* Reject overlong forms and surrogates as soon as
			 * the second byte decides them. */
			if (k == 1 && n == 2 &&
			    (cp < 0x20 || (cp >= 0x360 && cp <= 0x37f)))
				return 0;
			if (k == 1 && n == 3 && (cp < 0x10 || cp > 0x10f))
				return 0;
		}
		i += n + 1;
	}
	return 1;
}

/* Whether the bytes are plausible GB18030 (GBK is its two-byte part):
 * lead 81-FE with a trail 40-7E or 80-FE, or four bytes 81-FE 30-39
 * 81-FE 30-39. */
static int
sheet_gb18030_plausible(const unsigned char *s, size_t len, int partial)
{
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i];

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c == 0x80 || c == 0xff)
			return 0;
		if (i + 1 >= len)
			return partial;
		if ((s[i + 1] >= 0x40 && s[i + 1] <= 0x7e) ||
		    (s[i + 1] >= 0x80 && s[i + 1] <= 0xfe)) {
			i += 2;
			continue;
		}
		if (s[i + 1] < 0x30 || s[i + 1] > 0x39)
			return 0;
		if (i + 3 >= len)
			return partial;
		if (s[i + 2] < 0x81 || s[i + 2] > 0xfe || s[i + 3] < 0x30 ||
		    s[i + 3] > 0x39)
			return 0;
		i += 4;
	}
	return 1;
}

/* Text: a UTF-16 BOM, or no NUL and no control character other than
 * tab, CR, LF, form feed and DOS's end-of-file mark, in UTF-8 or GB18030. */
static int
sheet_looks_text(const unsigned char *s, size_t len)
{
	size_t n = len < SHEET_SNIFF_BYTES ? len : SHEET_SNIFF_BYTES;
	size_t i;

	if (len >= 2 &&
	    ((s[0] == 0xff && s[1] == 0xfe) || (s[0] == 0xfe && s[1] == 0xff)))
		return 1;
	if (len == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < 0x20 && s[i] != '\t' && s[i] != '\r' &&
		    s[i] != '\n' && s[i] != '\f' && s[i] != 0x1a)
			return 0;
	return sheet_utf8_valid(s, n, n < len) ||
	       sheet_gb18030_plausible(s, n, n < len);
}

/* Markup where a sheet was expected: an HTML table or an XML Spreadsheet
 * 2003 file, both often saved with an .xls name by older systems. */
static int
sheet_looks_markup(const unsigned char *s, size_t len)
{
	size_t i = 0;

	if (len >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf)
		i = 3;
	while (i < len &&
	       (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
		i++;
	return i < len && s[i] == '<';
}

static int
sheet_hint_has(const char *hint, const char *word)
{
	size_t n = strlen(word), i;

	for (i = 0; hint[i] != '\0'; i++)
		if (strncasecmp(hint + i, word, n) == 0)
			return 1;
	return 0;
}

enum sheet_format
sheet_detect(const void *data, size_t len, const char *content_type)
{
	static const unsigned char zip[] = {'P', 'K', 3, 4};
	static const unsigned char cfbf[] = {0xd0, 0xcf, 0x11, 0xe0,
	                                     0xa1, 0xb1, 0x1a, 0xe1};
	const unsigned char *s = data;

	if (len >= sizeof(zip) && memcmp(s, zip, sizeof(zip)) == 0)
		return SHEET_XLSX;
	if (len >= sizeof(cfbf) && memcmp(s, cfbf, sizeof(cfbf)) == 0)
		return SHEET_XLS;
	if (len == 0 || sheet_looks_markup(s, len))
		return SHEET_UNKNOWN;
	if (sheet_looks_text(s, len))
		return SHEET_CSV;
	/* Browsers on Windows send application/vnd.ms-excel for .csv, so a
	 * hint never overrides the bytes; it only lets text that failed the
	 * sniff through to the CSV reader, which says what is wrong with its
	 * encoding. */
	if (content_type != NULL && memchr(s, 0, len) == NULL &&
	    (sheet_hint_has(content_type, "csv") ||
	     sheet_hint_has(content_type, "text/")))
		return SHEET_CSV;
	return SHEET_UNKNOWN;
}

int
sheet_read(const void *data, size_t len, const char *content_type,
           const char *tmp_dir, const struct sheet_limits *lim, sheet_row_fn fn,
           void *ud, char *err, size_t errlen)
{
	struct sheet_ctx ctx;
	int rc;

	memset(&ctx, 0, sizeof(ctx));
	if (lim != NULL)
		ctx.lim = *lim;
	if (ctx.lim.max_uncompressed == 0)
		ctx.lim.max_uncompressed = SHEET_DEFAULT_UNCOMPRESSED;
	if (ctx.lim.max_entries == 0)
		ctx.lim.max_entries = SHEET_DEFAULT_ENTRIES;
	if (!(ctx.lim.max_ratio > 0))
		ctx.lim.max_ratio = SHEET_DEFAULT_RATIO;
	if (ctx.lim.max_rows == 0)
		ctx.lim.max_rows = SHEET_DEFAULT_ROWS;
	if (ctx.lim.max_cell_bytes == 0)
		ctx.lim.max_cell_bytes = SHEET_DEFAULT_CELL_BYTES;
	ctx.fn = fn;
	ctx.ud = ud;
	ctx.err = err;
	ctx.errlen = errlen;
	if (err != NULL && errlen > 0)
		memset(err, 0, errlen > 2 ? 2 : errlen);
	if (data == NULL)
		len = 0;

	if (fn == NULL) {
		rc = sheet_fail(&ctx, "内部错误",
		                "sheet_read without a row callback");
		goto out;
	}
	switch (sheet_detect(data, len, content_type)) {
	case SHEET_XLSX: rc = sheet_xlsx_read(&ctx, data, len); break;
	case SHEET_XLS: rc = sheet_xls_read(&ctx, data, len, tmp_dir); break;
	case SHEET_CSV: rc = sheet_csv_read(&ctx, data, len); break;
	default:
		if (len == 0)
			rc =
			    sheet_fail(&ctx, "文件是空的", "the file is empty");
		else if (sheet_looks_markup(data, len))
			rc = sheet_fail(
			    &ctx,
			    "这是网页（HTML/XML）格式的文件，不是真正的 Excel "
			    "表格：请用 Excel 打开后另存为 .xlsx",
			    "a web page or XML file, not a real spreadsheet: "
			    "open it in Excel and save it as .xlsx");
		else
			rc = sheet_fail(&ctx,
			                "文件不是有效的 Excel 表格或 CSV "
			                "文件，请上传 .xlsx、.xls 或 .csv",
			                "not a valid spreadsheet: upload "
			                ".xlsx, .xls or .csv");
		break;
	}
out:
	free(ctx.text);
	free(ctx.off);
	free(ctx.cells);
	if (ctx.stopped)
		return ctx.stop_value;
	if (rc != 0 || ctx.failed) {
		if (!ctx.failed)
			sheet_fail(&ctx, "文件不是有效的 Excel 表格",
			           "not a valid spreadsheet");
		return -1;
	}
	return 0;
}

/* Decodes one UTF-8 character at s (valid or not: a bad byte counts as a
 * one-byte character); returns its length and sets *cp. */
static size_t
sheet_utf8_next(const unsigned char *s, uint32_t *cp)
{
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0 && (s[1] & 0xc0) == 0x80) {
		*cp = ((uint32_t)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
		return 2;
	}
	if ((s[0] & 0xf0) == 0xe0 && (s[1] & 0xc0) == 0x80 &&
	    (s[2] & 0xc0) == 0x80) {
		*cp = ((uint32_t)(s[0] & 0x0f) << 12) |
		      ((uint32_t)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
		return 3;
	}
	if ((s[0] & 0xf8) == 0xf0 && (s[1] & 0xc0) == 0x80 &&
	    (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80) {
		*cp = ((uint32_t)(s[0] & 0x07) << 18) |
		      ((uint32_t)(s[1] & 0x3f) << 12) |
		      ((uint32_t)(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
		return 4;
	}
	*cp = 0xfffd;
	return 1;
}

static int
sheet_is_space(uint32_t cp)
{
	return cp == ' ' || cp == '\t' || cp == '\r' || cp == '\n' ||
	       cp == '\v' || cp == '\f' || cp == 0xa0 || cp == 0x3000 ||
	       cp == 0x200b || cp == 0xfeff;
}

char *
sheet_normalize(const char *in, char *out, size_t outlen)
{
	const unsigned char *s = (const unsigned char *)in;
	const unsigned char *end, *p;
	size_t o = 0, n;
	uint32_t cp;

	if (outlen == 0)
		return out;
	if (in == NULL) {
		out[0] = '\0';
		return out;
	}
	/* Leading spaces. */
	while (*s != '\0') {
		n = sheet_utf8_next(s, &cp);
		if (!sheet_is_space(cp))
			break;
		s += n;
	}
	/* End of the text without trailing spaces. */
	end = s;
	for (p = s; *p != '\0'; p += n) {
		n = sheet_utf8_next(p, &cp);
		if (!sheet_is_space(cp))
			end = p + n;
	}
	/* Copy, folding full-width forms; the output is never longer than
	 * the input, so in == out works front to back. */
	for (p = s; p < end; p += n) {
		char ch = 0;

		n = sheet_utf8_next(p, &cp);
		if (cp >= 0xff10 && cp <= 0xff19)
			ch = (char)('0' + (cp - 0xff10));
		else if (cp >= 0xff21 && cp <= 0xff3a)
			ch = (char)('A' + (cp - 0xff21));
		else if (cp >= 0xff41 && cp <= 0xff5a)
			ch = (char)('a' + (cp - 0xff41));
		else if (cp == 0xff08)
			ch = '(';
		else if (cp == 0xff09)
			ch = ')';
		if (ch != 0) {
			if (o + 1 >= outlen)
				break;
			out[o++] = ch;
		} else {
			if (o + n >= outlen)
				break;
			memmove(out + o, p, n);
			o += n;
		}
	}
	out[o] = '\0';
	return out;
}
