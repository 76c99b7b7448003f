/*
 * sheet.h — the spreadsheet readers plugins share (roster's imports,
 * keyinfo's registry sheets): .xlsx (libzip and expat, streamed), legacy
 * .xls (libfreexl) and CSV (UTF-8, GB18030/GBK, UTF-16 through iconv), all
 * delivering the same rows of UTF-8 text.
 *
 * Built as the static library jxplug_sheet of pluginlib, which the plugins
 * and the tests link. Nothing here keeps state between calls; every call may
 * run on any worker thread.
 */
#ifndef JXPLUG_SHEET_H
#define JXPLUG_SHEET_H

#include <stdarg.h>
#include <stddef.h>

struct sheet_row {
	/* xlsx/xls: the row number Excel shows (1-based, title and blank
	 * rows count); csv: the 1-based record number */
	int number;
	/* cells[0..ncells-1]; trailing empty cells may be omitted */
	int ncells;
	/* UTF-8, NUL-terminated; NULL or "" for an empty cell; valid only
	 * during the callback (this implementation always gives "") */
	const char *const *cells;
};

/* Called per non-empty row in order (a row whose cells are all empty or
 * only spaces is skipped, but still counts in the numbering). Return 0 to
 * go on, non-zero to stop (sheet_read then returns that value; use a
 * positive value, since -1 is sheet_read's own failure). */
typedef int (*sheet_row_fn)(void *ud, const struct sheet_row *row);

/* A zero field (or lim == NULL) takes the default given in brackets. */
struct sheet_limits {
	/* total uncompressed bytes of the entries read (config
	 * limits.sheet_uncompressed_bytes) [200 MiB]; for CSV, the size of
	 * the text once converted to UTF-8 */
	size_t max_uncompressed;
	size_t max_entries;    /* zip entries [10000] */
	double max_ratio;      /* max compression ratio per entry [200] */
	size_t max_rows;       /* non-empty rows delivered [200000] */
	size_t max_cell_bytes; /* bytes of one cell [32767, Excel's own] */
};

enum sheet_format { SHEET_UNKNOWN, SHEET_XLSX, SHEET_XLS, SHEET_CSV };

/* By magic bytes (PK\3\4 = xlsx, D0 CF 11 E0 = xls) falling back to the
 * content type / name hint, else CSV when it looks like text. content_type
 * may be a MIME type or a file name, or NULL. Markup (an HTML table saved
 * as .xls) and binary data are SHEET_UNKNOWN. */
enum sheet_format sheet_detect(const void *data, size_t len,
                               const char *content_type);

/* Reads the first worksheet (xlsx: the first visible one by the workbook's
 * relationships, not by file name; xls: the first sheet) or the CSV. tmp_dir
 * is where xls goes to a temporary file (mkstemp, 0600, removed before
 * sheet_read returns; NULL means $TMPDIR or /tmp); xls is parsed in a
 * forked child process with a time limit, since libfreexl is not safe on
 * hostile files. 0 on success, the callback's non-zero value if it stopped,
 * -1 with a clear message in err for anything unreadable: the Chinese
 * one, then after its NUL the English one (sheet_err_en; 512 bytes hold
 * both of any of them), so that a reader gets one language. fn is
 * called on the calling thread, never from the child.
 *
 * Cell text is what Excel shows in General format: shared, inline and
 * formula strings as they are; booleans TRUE/FALSE; errors as #N/A etc.;
 * integers below 1e15 in full ("13812345678"); other numbers with up to 15
 * significant digits, large ones in E notation as Excel writes them, so an
 * 18-digit ID number stored as a number comes back as
 * "4.30102200801011E+17" (not an error here: the importer flags it). Dates
 * are numbers in xlsx; libfreexl gives xls dates as "YYYY-MM-DD". */
int sheet_read(const void *data, size_t len, const char *content_type,
               const char *tmp_dir, const struct sheet_limits *lim,
               sheet_row_fn fn, void *ud, char *err, size_t errlen);
/* The English message of a failed sheet_read's err (errlen as given to
 * it); err itself is the Chinese one. The Chinese one when the English
 * did not fit. */
const char *sheet_err_en(const char *err, size_t errlen);

/* Normalises a cell value into out (in == out is allowed): trims ASCII
 * whitespace, full-width spaces (U+3000), NBSP, and zero-width spaces and
 * BOMs (U+200B, U+FEFF) at both ends, converts full-width digits, letters
 * and parentheses (０-９ Ａ-Ｚ ａ-ｚ （）) to ASCII, changes nothing else (a
 * lower-case x stays). Truncates at a character boundary when out is too
 * small. Returns out. */
char *sheet_normalize(const char *in, char *out, size_t outlen);

/* ---- internal to sheet*.c: the row builder every reader feeds ---- */

struct sheet_ctx {
	struct sheet_limits lim; /* with the defaults filled in */
	sheet_row_fn fn;
	void *ud;
	char *err;
	size_t errlen;
	int failed;  /* err holds a message */
	int stopped; /* the callback returned stop_value */
	int stop_value;
	size_t rows; /* rows delivered */
	int number;  /* the row being built, for messages */
	char *text;  /* the current row's cell texts, NUL-terminated */
	size_t textlen, textcap;
	size_t *off; /* cell i starts at text + off[i]; SIZE_MAX: empty */
	const char **cells;
	int ncells, cellcap;
};

/* Formats the Chinese message, a NUL, and the English one (both formats
 * take the same arguments) into ctx->err and marks the read failed; keeps
 * the first message when several failures cascade. Returns -1. */
int sheet_fail(struct sheet_ctx *ctx, const char *zh, const char *en, ...)
    __attribute__((format(printf, 2, 4), format(printf, 3, 4)));
/* Sets cell col (0-based) of the current row to s[0..n-1]; 0 or -1. */
int sheet_row_set(struct sheet_ctx *ctx, int col, const char *s, size_t n);
/* Hands the current row to the callback as row `number` unless it is
 * empty, then clears it. 0 to go on, -1 to stop (failed or stopped). */
int sheet_row_emit(struct sheet_ctx *ctx, int number);
/* Formats a number cell as Excel's General format shows it. */
void sheet_format_number(double v, char *out, size_t outlen);
/* Whether data[0..len-1] is valid UTF-8; a sequence cut by the end of the
 * data counts as valid when `partial` is set. */
int sheet_utf8_valid(const unsigned char *data, size_t len, int partial);

int sheet_xlsx_read(struct sheet_ctx *ctx, const void *data, size_t len);
int sheet_xls_read(struct sheet_ctx *ctx, const void *data, size_t len,
                   const char *tmp_dir);
int sheet_csv_read(struct sheet_ctx *ctx, const void *data, size_t len);

#endif
