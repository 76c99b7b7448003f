/*
 * test_sheet.c — the spreadsheet readers against real files: xlsx written
 * by libxlsxwriter, xlsx put together by hand with libzip (rich text,
 * phonetic runs, inline strings, a sheet reached only through the
 * relationships, rows without numbers), an .xls built here as a minimal
 * BIFF8 compound file, CSV in UTF-8, GBK and UTF-16, and what must fail
 * cleanly: zip bombs, truncated zips, a .docx, random bytes, an empty file.
 */
#include "check.h"
#include "sheet.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>
#include <zip.h>

static char tmpdir[64];

/* ---- collecting rows ---- */

#define MAX_ROWS 64
#define MAX_COLS 24

struct got {
	int n;
	int number[MAX_ROWS];
	int ncells[MAX_ROWS];
	char *cells[MAX_ROWS][MAX_COLS];
	int stop_at; /* stop on this row (1-based count), 0: never */
	int stop_value;
};

static int
collect(void *ud, const struct sheet_row *row)
{
	struct got *g = ud;
	int i;

	if (g->n < MAX_ROWS) {
		g->number[g->n] = row->number;
		g->ncells[g->n] = row->ncells;
		for (i = 0; i < row->ncells && i < MAX_COLS; i++)
			g->cells[g->n][i] =
			    strdup(row->cells[i] ? row->cells[i] : "");
		g->n++;
	}
	if (g->stop_at > 0 && g->n == g->stop_at)
		return g->stop_value;
	return 0;
}

static void
got_free(struct got *g)
{
	int r, c;

	for (r = 0; r < g->n && r < MAX_ROWS; r++)
		for (c = 0; c < MAX_COLS; c++)
			free(g->cells[r][c]);
	memset(g, 0, sizeof(*g));
}

/* The cell of the row numbered `number`: NULL when there is no such row,
 * "" beyond its cells. */
static const char *
cell(const struct got *g, int number, int col)
{
	int r;

	for (r = 0; r < g->n; r++) {
		if (g->number[r] != number)
			continue;
		if (col >= g->ncells[r] || col >= MAX_COLS ||
		    g->cells[r][col] == NULL)
			return "";
		return g->cells[r][col];
	}
	return NULL;
}

static int
read_into(struct got *g, const void *data, size_t len, const char *ctype,
          const struct sheet_limits *lim, char *err, size_t errlen)
{
	got_free(g);
	return sheet_read(data, len, ctype, tmpdir, lim, collect, g, err,
	                  errlen);
}

/* ---- files ---- */

static unsigned char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static int
dir_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

struct entry {
	const char *name;
	const char *data;
	size_t len; /* 0: strlen(data) */
};

/* Writes a zip of the entries with libzip and returns its bytes. */
static unsigned char *
make_zip(const char *name, const struct entry *e, size_t n, size_t *len)
{
	char path[256];
	zip_t *za;
	size_t i;
	int zerr;
	unsigned char *buf;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
	if (za == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		size_t l = e[i].len ? e[i].len : strlen(e[i].data);
		zip_source_t *src = zip_source_buffer(za, e[i].data, l, 0);

		if (src == NULL || zip_file_add(za, e[i].name, src, 0) < 0) {
			zip_source_free(src);
			zip_discard(za);
			return NULL;
		}
	}
	if (zip_close(za) != 0) {
		zip_discard(za);
		return NULL;
	}
	buf = slurp(path, len);
	unlink(path);
	return buf;
}

/* ---- xlsx written by libxlsxwriter ---- */

static unsigned char *
lxw_fixture(size_t *len, int constant_memory)
{
	char path[256];
	lxw_workbook_options opt = {.constant_memory = constant_memory,
	                            .tmpdir = tmpdir};
	lxw_workbook *wb;
	lxw_worksheet *ws, *ws2;
	lxw_format *text, *bold;
	unsigned char *buf;

	snprintf(path, sizeof(path), "%s/lxw%d.xlsx", tmpdir, constant_memory);
	wb = workbook_new_opt(path, &opt);
	if (wb == NULL)
		return NULL;
	ws = workbook_add_worksheet(wb, "学生名单");
	ws2 = workbook_add_worksheet(wb, "Sheet2");
	text = workbook_add_format(wb);
	format_set_num_format(text, "@");
	bold = workbook_add_format(wb);
	format_set_bold(bold);

	/* row 1: a merged title; row 2 blank; row 3 the header */
	worksheet_merge_range(ws, 0, 0, 0, 5, "某某学校2026级学生名单", bold);
	worksheet_write_string(ws, 2, 0, "姓名", NULL);
	worksheet_write_string(ws, 2, 1, "身份证号", NULL);
	worksheet_write_string(ws, 2, 2, "手机", NULL);
	worksheet_write_string(ws, 2, 3, "分数", NULL);
	worksheet_write_string(ws, 2, 4, "备注", NULL);
	worksheet_write_string(ws, 2, 5, "学号", NULL);
	/* row 4: the classic ID number typed as a number */
	worksheet_write_string(ws, 3, 0, "张三 ", NULL);
	worksheet_write_number(ws, 3, 1, 430102200801011234.0, NULL);
	worksheet_write_number(ws, 3, 2, 13812345678.0, NULL);
	worksheet_write_number(ws, 3, 3, 95.5, NULL);
	worksheet_write_string(ws, 3, 4, "　全角１２３　", NULL);
	worksheet_write_string(ws, 3, 5, "0012345", text);
	/* row 5: a rare character outside GB2312 */
	worksheet_write_string(ws, 4, 0, "李䶮", NULL);
	worksheet_write_string(ws, 4, 1, "43010220080101123x", text);
	worksheet_write_number(ws, 4, 3, 42, NULL);
	worksheet_write_number(ws, 4, 4, -0.25, NULL);
	/* row 6 blank, row 7 sparse with gaps */
	worksheet_write_string(ws, 6, 0, "王五", NULL);
	worksheet_write_string(ws, 6, 3, "x", NULL);
	worksheet_write_number(ws, 6, 7, 7, NULL);
	/* row 8: a boolean, a formula string, a formula number */
	worksheet_write_boolean(ws, 7, 0, 1, NULL);
	worksheet_write_boolean(ws, 7, 1, 0, NULL);
	worksheet_write_formula_str(ws, 7, 2, "=\"A\"&\"B\"", NULL, "AB");
	worksheet_write_formula_num(ws, 7, 3, "=1+2", NULL, 3);
	/* row 9: only spaces, which does not count as a row */
	worksheet_write_string(ws, 8, 0, "   ", NULL);
	worksheet_write_string(ws, 8, 1, "　", NULL);

	worksheet_write_string(ws2, 0, 0, "wrong sheet", NULL);

	if (workbook_close(wb) != LXW_NO_ERROR)
		return NULL;
	buf = slurp(path, len);
	unlink(path);
	return buf;
}

static void
test_xlsx_lxw(int constant_memory)
{
	struct got g = {0};
	char err[512];
	size_t len;
	unsigned char *x = lxw_fixture(&len, constant_memory);
	int rc;

	CHECK(x != NULL);
	if (x == NULL)
		return;
	CHECK(sheet_detect(x, len, NULL) == SHEET_XLSX);
	rc = read_into(&g, x, len, NULL, NULL, err, sizeof(err));
	CHECK(rc == 0);
	CHECK_STR(err, "");
	CHECK(g.n == 6);
	CHECK(g.number[0] == 1 && g.number[1] == 3 && g.number[2] == 4);
	CHECK(g.number[3] == 5 && g.number[4] == 7 && g.number[5] == 8);
	CHECK_STR(cell(&g, 1, 0), "某某学校2026级学生名单");
	CHECK(g.ncells[0] == 1);
	CHECK(cell(&g, 2, 0) == NULL);
	CHECK_STR(cell(&g, 3, 0), "姓名");
	CHECK_STR(cell(&g, 3, 5), "学号");
	CHECK_STR(cell(&g, 4, 0), "张三 ");
	CHECK_STR(cell(&g, 4, 1), "4.30102200801011E+17");
	CHECK_STR(cell(&g, 4, 2), "13812345678");
	CHECK_STR(cell(&g, 4, 3), "95.5");
	CHECK_STR(cell(&g, 4, 4), "　全角１２３　");
	CHECK_STR(cell(&g, 4, 5), "0012345");
	CHECK_STR(cell(&g, 5, 0), "李䶮");
	CHECK_STR(cell(&g, 5, 1), "43010220080101123x");
	CHECK_STR(cell(&g, 5, 2), "");
	CHECK_STR(cell(&g, 5, 3), "42");
	CHECK_STR(cell(&g, 5, 4), "-0.25");
	CHECK_STR(cell(&g, 7, 0), "王五");
	CHECK_STR(cell(&g, 7, 1), "");
	CHECK_STR(cell(&g, 7, 2), "");
	CHECK_STR(cell(&g, 7, 3), "x");
	CHECK_STR(cell(&g, 7, 7), "7");
	CHECK(g.ncells[4] == 8);
	CHECK_STR(cell(&g, 8, 0), "TRUE");
	CHECK_STR(cell(&g, 8, 1), "FALSE");
	CHECK_STR(cell(&g, 8, 2), "AB");
	CHECK_STR(cell(&g, 8, 3), "3");
	CHECK(cell(&g, 9, 0) == NULL);

	/* the callback stops the read with its own value */
	got_free(&g);
	g.stop_at = 2;
	g.stop_value = 7;
	rc = sheet_read(x, len, NULL, tmpdir, NULL, collect, &g, err,
	                sizeof(err));
	CHECK(rc == 7);
	CHECK(g.n == 2);

	/* max_rows */
	{
		struct sheet_limits lim = {.max_rows = 3};

		rc = read_into(&g, x, len, NULL, &lim, err, sizeof(err));
		CHECK(rc == -1);
		CHECK(strstr(sheet_err_en(err, sizeof(err)),
		             "more than 3 rows") != NULL);
		CHECK(g.n == 3);
	}
	/* a cell beyond max_cell_bytes */
	{
		struct sheet_limits lim = {.max_cell_bytes = 20};

		rc = read_into(&g, x, len, NULL, &lim, err, sizeof(err));
		CHECK(rc == -1);
		CHECK(strstr(sheet_err_en(err, sizeof(err)),
		             "row 1 is longer than 20 bytes") != NULL);
	}

	/* truncated: the first half of a real file */
	rc = read_into(&g, x, len / 2, NULL, NULL, err, sizeof(err));
	CHECK(rc == -1);
	CHECK(strstr(sheet_err_en(err, sizeof(err)), "damaged or incomplete") !=
	      NULL);
	CHECK(g.n == 0);
	/* the last bytes cut off (the end of the central directory) */
	rc = read_into(&g, x, len - 10, NULL, NULL, err, sizeof(err));
	CHECK(rc == -1);
	CHECK(strstr(sheet_err_en(err, sizeof(err)), "damaged or incomplete") !=
	      NULL);
	/* a byte flipped inside the compressed worksheet */
	{
		unsigned char *y = malloc(len);
		int found = 0;
		size_t i;

		memcpy(y, x, len);
		/* the local header of the worksheet, then into its data */
		for (i = 0; i + 30 < len; i++) {
			if (memcmp(y + i, "PK\3\4", 4) == 0 &&
			    memcmp(y + i + 30, "xl/worksheets/sheet1.xml",
			           24) == 0) {
				size_t data = i + 30 + 24 + y[i + 28] +
				              (size_t)y[i + 29] * 256;

				y[data + 40] ^= 0x55;
				y[data + 41] ^= 0x55;
				found = 1;
				break;
			}
		}
		CHECK(found);
		rc = read_into(&g, y, len, NULL, NULL, err, sizeof(err));
		CHECK(rc == -1);
		CHECK(err[0] != '\0');
		free(y);
	}
	got_free(&g);
	free(x);
}

/* The first sheet hidden: the reader takes the first visible one. */
static void
test_xlsx_hidden_first(void)
{
	char path[256];
	lxw_workbook_options opt = {.tmpdir = tmpdir};
	lxw_workbook *wb;
	lxw_worksheet *a, *b;
	struct got g = {0};
	char err[256];
	unsigned char *x;
	size_t len;

	snprintf(path, sizeof(path), "%s/hidden.xlsx", tmpdir);
	wb = workbook_new_opt(path, &opt);
	a = workbook_add_worksheet(wb, "代码表");
	b = workbook_add_worksheet(wb, "学生");
	worksheet_write_string(a, 0, 0, "hidden", NULL);
	worksheet_write_string(b, 0, 0, "visible", NULL);
	worksheet_activate(b);
	worksheet_hide(a);
	CHECK(workbook_close(wb) == LXW_NO_ERROR);
	x = slurp(path, &len);
	unlink(path);
	CHECK(x != NULL);
	if (x == NULL)
		return;
	CHECK(read_into(&g, x, len, NULL, NULL, err, sizeof(err)) == 0);
	CHECK(g.n == 1);
	CHECK_STR(cell(&g, 1, 0), "visible");
	got_free(&g);
	free(x);
}

/* ---- xlsx put together by hand ---- */

static const char CT[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/"
    "content-types\"/>";
static const char ROOT_RELS[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/"
    "relationships\">"
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/"
    "officeDocument/2006/relationships/officeDocument\" "
    "Target=\"xl/workbook.xml\"/></Relationships>";
static const char WORKBOOK[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/"
    "main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/"
    "relationships\"><sheets>"
    "<sheet name=\"名单\" sheetId=\"7\" r:id=\"rId9\"/>"
    "<sheet name=\"Sheet1\" sheetId=\"1\" r:id=\"rId1\"/>"
    "</sheets></workbook>";
static const char WORKBOOK_RELS[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/"
    "relationships\">"
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/"
    "officeDocument/2006/relationships/worksheet\" "
    "Target=\"worksheets/sheet1.xml\"/>"
    "<Relationship Id=\"rId9\" Type=\"http://schemas.openxmlformats.org/"
    "officeDocument/2006/relationships/worksheet\" "
    "Target=\"/xl/data/../roster/名单数据.xml\"/>"
    "<Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/"
    "officeDocument/2006/relationships/sharedStrings\" "
    "Target=\"strings.xml\"/>"
    "<Relationship Id=\"rId4\" Type=\"http://schemas.openxmlformats.org/"
    "officeDocument/2006/relationships/hyperlink\" "
    "Target=\"http://example.com/\" TargetMode=\"External\"/>"
    "</Relationships>";
static const char STRINGS[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
    "count=\"4\" uniqueCount=\"4\">\n"
    "  <si><t>姓名</t></si>\n"
    "  <si><r><rPr><b/></rPr><t>张</t></r><r><t xml:space=\"preserve\">三 "
    "</t></r><rPh sb=\"0\" eb=\"1\"><t>ちょう</t></rPh>"
    "<phoneticPr fontId=\"1\"/></si>\n"
    "  <si><t>a_x000D_b_x005F_x0041_ &amp; &lt;c&gt;</t></si>\n"
    "  <si><t/></si>\n"
    "</sst>";
static const char DATA_SHEET[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/"
    "main\"><dimension ref=\"A1:F6\"/><sheetData>\n"
    /* rows and cells without r: counted from 1 and from A */
    "<row><c t=\"s\"><v>0</v></c><c t=\"inlineStr\"><is><t>性别</t></is>"
    "</c></row>\n"
    "<row><c t=\"s\"><v>1</v></c><c t=\"inlineStr\"><is><r><t>男</t></r>"
    "<r><t>生</t></r><rPh><t>x</t></rPh></is></c><c t=\"b\"><v>1</v></c>"
    "<c t=\"e\"><v>#N/A</v></c><c t=\"str\"><f>A1</f><v>公式</v></c>"
    "<c t=\"s\"><v>2</v></c></row>\n"
    /* numbered rows with gaps, then an unnumbered one follows on */
    "<row r=\"5\"><c r=\"C5\"><v>1.5</v></c><c><v>2E-3</v></c>"
    "<c r=\"F5\" t=\"s\"><v>3</v></c></row>\n"
    "<row><c r=\"B6\" s=\"1\"><v>430102200801011234</v></c><c>"
    "<f>B6</f></c><c><v>12</v></c></row>\n"
    "<row r=\"7\" spans=\"1:3\"><c r=\"A7\" s=\"2\"/></row>\n"
    "</sheetData><mergeCells count=\"1\"><mergeCell ref=\"A1:B1\"/>"
    "</mergeCells></worksheet>";
static const char DECOY_SHEET[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/"
    "main\"><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is>"
    "<t>wrong sheet</t></is></c></row></sheetData></worksheet>";

static void
test_xlsx_handmade(void)
{
	const struct entry e[] = {
	    {"[Content_Types].xml", CT, 0},
	    {"_rels/.rels", ROOT_RELS, 0},
	    {"xl/workbook.xml", WORKBOOK, 0},
	    {"xl/_rels/workbook.xml.rels", WORKBOOK_RELS, 0},
	    {"xl/strings.xml", STRINGS, 0},
	    {"xl/worksheets/sheet1.xml", DECOY_SHEET, 0},
	    {"xl/roster/名单数据.xml", DATA_SHEET, 0},
	};
	struct got g = {0};
	char err[256];
	size_t len;
	unsigned char *x = make_zip("hand.xlsx", e, 7, &len);

	CHECK(x != NULL);
	if (x == NULL)
		return;
	CHECK(read_into(&g, x, len, NULL, NULL, err, sizeof(err)) == 0);
	CHECK_STR(err, "");
	CHECK(g.n == 4);
	CHECK_STR(cell(&g, 1, 0), "姓名");
	CHECK_STR(cell(&g, 1, 1), "性别");
	CHECK_STR(cell(&g, 2, 0), "张三 ");
	CHECK_STR(cell(&g, 2, 1), "男生");
	CHECK_STR(cell(&g, 2, 2), "TRUE");
	CHECK_STR(cell(&g, 2, 3), "#N/A");
	CHECK_STR(cell(&g, 2, 4), "公式");
	CHECK_STR(cell(&g, 2, 5), "a\rb_x0041_ & <c>");
	CHECK(cell(&g, 3, 0) == NULL);
	CHECK_STR(cell(&g, 5, 0), "");
	CHECK_STR(cell(&g, 5, 2), "1.5");
	CHECK_STR(cell(&g, 5, 3), "0.002");
	CHECK_STR(cell(&g, 5, 5), "");
	CHECK(g.ncells[2] == 4);
	CHECK_STR(cell(&g, 6, 1), "4.30102200801011E+17");
	CHECK_STR(cell(&g, 6, 2), "");
	CHECK_STR(cell(&g, 6, 3), "12");
	CHECK(cell(&g, 7, 0) == NULL);
	got_free(&g);
	free(x);

	/* Without _rels/.rels the workbook is looked for where Excel puts
	 * it; a DTD is refused. */
	{
		const struct entry e2[] = {
		    {"xl/workbook.xml", WORKBOOK, 0},
		    {"xl/_rels/workbook.xml.rels", WORKBOOK_RELS, 0},
		    {"xl/strings.xml", STRINGS, 0},
		    {"xl/roster/名单数据.xml",
		     "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a "
		     "\"aaaa\">]>"
		     "<worksheet><sheetData><row><c t=\"inlineStr\"><is><t>&a;"
		     "</t></is></c></row></sheetData></worksheet>",
		     0},
		};

		x = make_zip("dtd.xlsx", e2, 4, &len);
		CHECK(read_into(&g, x, len, NULL, NULL, err, sizeof(err)) ==
		      -1);
		CHECK(strstr(sheet_err_en(err, sizeof(err)), "damaged") !=
		      NULL);
		CHECK(g.n == 0);
		free(x);
	}
	/* malformed XML names the part and the line */
	{
		const struct entry e3[] = {
		    {"xl/workbook.xml", WORKBOOK, 0},
		    {"xl/_rels/workbook.xml.rels", WORKBOOK_RELS, 0},
		    {"xl/roster/名单数据.xml",
		     "<worksheet><sheetData>\n<row><c t=\"inlineStr\"><is><t>ok"
		     "</t></is></c></row>\n<row><c></row></sheetData>"
		     "</worksheet>",
		     0},
		};

		x = make_zip("bad.xlsx", e3, 3, &len);
		CHECK(read_into(&g, x, len, NULL, NULL, err, sizeof(err)) ==
		      -1);
		CHECK(strstr(sheet_err_en(err, sizeof(err)),
		             "xl/roster/名单数据.xml line 3") != NULL);
		CHECK(g.n == 1);
		free(x);
	}
	/* a shared string index out of range */
	{
		const struct entry e4[] = {
		    {"xl/workbook.xml", WORKBOOK, 0},
		    {"xl/_rels/workbook.xml.rels", WORKBOOK_RELS, 0},
		    {"xl/strings.xml", STRINGS, 0},
		    {"xl/roster/名单数据.xml",
		     "<worksheet><sheetData><row><c t=\"s\"><v>4</v></c></row>"
		     "</sheetData></worksheet>",
		     0},
		};

		x = make_zip("sst.xlsx", e4, 4, &len);
		CHECK(read_into(&g, x, len, NULL, NULL, err, sizeof(err)) ==
		      -1);
		CHECK(strstr(sheet_err_en(err, sizeof(err)), "damaged") !=
		      NULL);
		free(x);
	}
	got_free(&g);
}

static void
test_not_spreadsheets(void)
{
	const struct entry docx[] = {
	    {"[Content_Types].xml", CT, 0},
	    {"_rels/.rels",
	     "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/"
	     "2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://"
	     "schemas.openxmlformats.org/officeDocument/2006/relationships/"
	     "officeDocument\" Target=\"word/document.xml\"/></Relationships>",
	     0},
	    {"word/document.xml", "<w:document xmlns:w=\"urn:w\"/>", 0},
	};
	const struct entry plainzip[] = {{"readme.txt", "hello", 0}};
	struct got g = {0};
	char err[512];
	unsigned char rnd[4096];
	uint32_t seed = 12345;
	size_t len, i;
	unsigned char *x;

	x = make_zip("doc.docx", docx, 3, &len);
	CHECK(sheet_detect(x, len, "doc.xlsx") == SHEET_XLSX);
	CHECK(read_into(&g, x, len, NULL, NULL, err, sizeof(err)) == -1);
	CHECK(strstr(sheet_err_en(err, sizeof(err)), "Word document") != NULL);
	CHECK(strncmp(err, "这是 Word 文档", strlen("这是 Word 文档")) == 0);
	free(x);

	x = make_zip("plain.zip", plainzip, 1, &len);
	CHECK(read_into(&g, x, len, NULL, NULL, err, sizeof(err)) == -1);
	CHECK(strstr(sheet_err_en(err, sizeof(err)), "without a workbook") !=
	      NULL);
	free(x);

	for (i = 0; i < sizeof(rnd); i++) {
		seed = seed * 1103515245 + 12345;
		rnd[i] = (unsigned char)(seed >> 16);
	}
	rnd[0] = 0x17;
	CHECK(sheet_detect(rnd, sizeof(rnd), NULL) == SHEET_UNKNOWN);
	CHECK(read_into(&g, rnd, sizeof(rnd), "application/octet-stream", NULL,
	                err, sizeof(err)) == -1);
	CHECK(strstr(sheet_err_en(err, sizeof(err)),
	             "not a valid spreadsheet") != NULL);
	CHECK(strncmp(err, "文件不是有效的", strlen("文件不是有效的")) == 0);

	CHECK(read_into(&g, "", 0, "text/csv", NULL, err, sizeof(err)) == -1);
	CHECK(strstr(sheet_err_en(err, sizeof(err)), "empty") != NULL);
	CHECK(read_into(&g, NULL, 0, NULL, NULL, err, sizeof(err)) == -1);

	x = (unsigned char *)"\xef\xbb\xbf  <html><body><table><tr><td>姓名"
	                     "</td></tr></table></body></html>";
	CHECK(sheet_detect(x, strlen((char *)x), "a.xls") == SHEET_UNKNOWN);
	CHECK(read_into(&g, x, strlen((char *)x), "application/vnd.ms-excel",
	                NULL, err, sizeof(err)) == -1);
	CHECK(strstr(sheet_err_en(err, sizeof(err)), "web page") != NULL);
	/* one language each: the Chinese message, then the English one */
	CHECK(strstr(err, "网页") != NULL);
	CHECK(strstr(err, "web page") == NULL);
	CHECK(strstr(sheet_err_en(err, sizeof(err)), "网页") == NULL);

	/* a too small error buffer still gets a terminated message */
	{
		char small[8];

		CHECK(sheet_read("", 0, NULL, tmpdir, NULL, collect, &g, small,
		                 sizeof(small)) == -1);
		CHECK(strlen(small) < sizeof(small));
	}
	got_free(&g);
}

/* ---- zip bombs ---- */

/* Overwrites the uncompressed size of entry `name` in its local header
 * and its central directory record. */
static int
zip_lie_size(unsigned char *z, size_t len, const char *name, uint32_t size)
{
	size_t nl = strlen(name), i;
	int n = 0;

	for (i = 0; i + 46 + nl <= len; i++) {
		size_t at = 0;

		if (memcmp(z + i, "PK\3\4", 4) == 0 &&
		    memcmp(z + i + 30, name, nl) == 0)
			at = i + 22;
		else if (memcmp(z + i, "PK\1\2", 4) == 0 &&
		         memcmp(z + i + 46, name, nl) == 0)
			at = i + 24;
		if (at == 0)
			continue;
		z[at] = (unsigned char)size;
		z[at + 1] = (unsigned char)(size >> 8);
		z[at + 2] = (unsigned char)(size >> 16);
		z[at + 3] = (unsigned char)(size >> 24);
		n++;
	}
	return n;
}

static void
test_zip_bombs(void)
{
	size_t big = (size_t)5 << 20, len;
	char *sheet = malloc(big);
	const char *head = "<worksheet><sheetData>";
	const char *tail = "</sheetData></worksheet>";
	struct entry e[3] = {
	    {"xl/workbook.xml", WORKBOOK, 0},
	    {"xl/_rels/workbook.xml.rels", WORKBOOK_RELS, 0},
	    {"xl/roster/名单数据.xml", NULL, 0},
	};
	struct sheet_limits lim = {.max_uncompressed = (size_t)1 << 20};
	struct got g = {0};
	char err[512];
	unsigned char *x;

	/* 5 MB of spaces (zeros are not XML) between valid tags */
	memset(sheet, ' ', big);
	memcpy(sheet, head, strlen(head));
	memcpy(sheet + big - strlen(tail), tail, strlen(tail));
	e[2].data = sheet;
	e[2].len = big;
	x = make_zip("bomb.xlsx", e, 3, &len);
	CHECK(x != NULL && len < big / 100);
	if (x == NULL)
		goto out;

	/* over the total: refused on the declared size */
	CHECK(read_into(&g, x, len, NULL, &lim, err, sizeof(err)) == -1);
	CHECK(strstr(sheet_err_en(err, sizeof(err)), "zip bomb") != NULL);
	/* within the total but compressed ~1000:1 */
	lim.max_uncompressed = (size_t)100 << 20;
	lim.max_ratio = 200;
	CHECK(read_into(&g, x, len, NULL, &lim, err, sizeof(err)) == -1);
	CHECK(strstr(sheet_err_en(err, sizeof(err)), "zip bomb") != NULL);
	/* the defaults refuse it too */
	CHECK(read_into(&g, x, len, NULL, NULL, err, sizeof(err)) == -1);
	CHECK(strstr(sheet_err_en(err, sizeof(err)), "zip bomb") != NULL);
	/* allowed by generous limits, it reads (and is empty) */
	lim.max_ratio = 1e6;
	CHECK(read_into(&g, x, len, NULL, &lim, err, sizeof(err)) == 0);
	CHECK(g.n == 0);

	/* a lying header: the count of bytes actually inflated decides */
	CHECK(zip_lie_size(x, len, "xl/roster/名单数据.xml", 1000) == 2);
	lim.max_uncompressed = (size_t)1 << 20;
	lim.max_ratio = 1e6;
	CHECK(read_into(&g, x, len, NULL, &lim, err, sizeof(err)) == -1);
	CHECK(strstr(sheet_err_en(err, sizeof(err)), "zip bomb") != NULL);
	free(x);

	/* too many entries */
	{
		struct entry many[40];
		char names[40][32];
		int i;

		for (i = 0; i < 40; i++) {
			snprintf(names[i], sizeof(names[i]), "f%d.txt", i);
			many[i].name = names[i];
			many[i].data = "x";
			many[i].len = 0;
		}
		x = make_zip("many.xlsx", many, 40, &len);
		lim.max_entries = 39;
		CHECK(read_into(&g, x, len, NULL, &lim, err, sizeof(err)) ==
		      -1);
		CHECK(strstr(sheet_err_en(err, sizeof(err)),
		             "too many entries") != NULL);
		free(x);
	}
out:
	got_free(&g);
	free(sheet);
}

/* ---- csv ---- */

static void
test_csv(void)
{
	struct got g = {0};
	char err[512];
	const char *s;

	s = "姓名,性别\n张三,男\n";
	CHECK(sheet_detect(s, strlen(s), NULL) == SHEET_CSV);
	CHECK(read_into(&g, s, strlen(s), "text/csv", NULL, err, sizeof(err)) ==
	      0);
	CHECK(g.n == 2);
	CHECK_STR(cell(&g, 1, 0), "姓名");
	CHECK_STR(cell(&g, 1, 1), "性别");
	CHECK_STR(cell(&g, 2, 0), "张三");
	CHECK_STR(cell(&g, 2, 1), "男");

	/* BOM, CRLF, no newline at the end */
	s = "\xef\xbb\xbf姓名,性别\r\n张三,男";
	CHECK(read_into(&g, s, strlen(s), NULL, NULL, err, sizeof(err)) == 0);
	CHECK(g.n == 2);
	CHECK_STR(cell(&g, 1, 0), "姓名");
	CHECK_STR(cell(&g, 1, 1), "性别");
	CHECK_STR(cell(&g, 2, 1), "男");

	/* GBK as Chinese Excel saves it: 姓名,性别 / 张三,男 / 李四,女 */
	s = "\xd0\xd5\xc3\xfb,\xd0\xd4\xb1\xf0\r\n\xd5\xc5\xc8\xfd,\xc4\xd0\r\n"
	    "\xc0\xee\xcb\xc4,\xc5\xae\r\n";
	CHECK(sheet_detect(s, strlen(s), "application/vnd.ms-excel") ==
	      SHEET_CSV);
	CHECK(read_into(&g, s, strlen(s), NULL, NULL, err, sizeof(err)) == 0);
	CHECK_STR(err, "");
	CHECK(g.n == 3);
	CHECK_STR(cell(&g, 1, 0), "姓名");
	CHECK_STR(cell(&g, 1, 1), "性别");
	CHECK_STR(cell(&g, 2, 0), "张三");
	CHECK_STR(cell(&g, 2, 1), "男");
	CHECK_STR(cell(&g, 3, 0), "李四");
	CHECK_STR(cell(&g, 3, 1), "女");

	/* quoting; record numbers, a quoted newline staying in its record */
	s = "某校名单\n"
	    "\n"
	    "姓名,备注,地址\n"
	    "\"王,五\",\"他说\"\"好\"\"\",\"第一行\n第二行\"\n"
	    "赵六,,\"\"\n"
	    "\"a\"b,c\r\n";
	CHECK(read_into(&g, s, strlen(s), NULL, NULL, err, sizeof(err)) == 0);
	CHECK(g.n == 5);
	CHECK(g.number[0] == 1 && g.number[1] == 3 && g.number[2] == 4);
	CHECK(g.number[3] == 5 && g.number[4] == 6);
	CHECK_STR(cell(&g, 4, 0), "王,五");
	CHECK_STR(cell(&g, 4, 1), "他说\"好\"");
	CHECK_STR(cell(&g, 4, 2), "第一行\n第二行");
	CHECK_STR(cell(&g, 5, 0), "赵六");
	CHECK(g.ncells[3] == 1);
	CHECK_STR(cell(&g, 6, 0), "ab");
	CHECK_STR(cell(&g, 6, 1), "c");

	/* tab-separated (and a comma inside a cell stays) */
	s = "姓名\t备注\n张三\t一,二\n";
	CHECK(read_into(&g, s, strlen(s), NULL, NULL, err, sizeof(err)) == 0);
	CHECK_STR(cell(&g, 2, 0), "张三");
	CHECK_STR(cell(&g, 2, 1), "一,二");

	/* Excel's "Unicode text": UTF-16LE with a BOM, tabs */
	{
		static const unsigned char u16[] = {
		    0xff, 0xfe, 0xd3, 0x59, 0x0d, 0x54, 0x09, 0x00, 0x27, 0x60,
		    0x2b, 0x52, 0x0d, 0x00, 0x0a, 0x00, 0x20, 0x5f, 0x09, 0x4e,
		    0x09, 0x00, 0x37, 0x75, 0x0d, 0x00, 0x0a, 0x00};

		CHECK(sheet_detect(u16, sizeof(u16), NULL) == SHEET_CSV);
		CHECK(read_into(&g, u16, sizeof(u16), NULL, NULL, err,
		                sizeof(err)) == 0);
		CHECK(g.n == 2);
		CHECK_STR(cell(&g, 1, 0), "姓名");
		CHECK_STR(cell(&g, 1, 1), "性别");
		CHECK_STR(cell(&g, 2, 0), "张三");
		CHECK_STR(cell(&g, 2, 1), "男");
		/* cut in the middle of a character */
		CHECK(read_into(&g, u16, sizeof(u16) - 1, NULL, NULL, err,
		                sizeof(err)) == -1);
		CHECK(strstr(sheet_err_en(err, sizeof(err)),
		             "encoding near line 2") != NULL);
	}

	/* an unbalanced quote names its record */
	s = "a,b\nc,\"d\n";
	CHECK(read_into(&g, s, strlen(s), NULL, NULL, err, sizeof(err)) == -1);
	CHECK(strstr(sheet_err_en(err, sizeof(err)),
	             "unbalanced quote in record 2") != NULL);
	CHECK(g.n == 1);

	/* bytes that are neither UTF-8 nor GB18030, sent as CSV */
	s = "name\nab\x80\xff\n";
	CHECK(sheet_detect(s, strlen(s), NULL) == SHEET_UNKNOWN);
	CHECK(read_into(&g, s, strlen(s), "text/csv", NULL, err, sizeof(err)) ==
	      -1);
	CHECK(strstr(sheet_err_en(err, sizeof(err)), "encoding near line 2") !=
	      NULL);

	/* limits */
	{
		struct sheet_limits lim = {.max_rows = 2, .max_cell_bytes = 8};

		s = "a\nb\nc\n";
		CHECK(read_into(&g, s, strlen(s), NULL, &lim, err,
		                sizeof(err)) == -1);
		CHECK(strstr(sheet_err_en(err, sizeof(err)),
		             "more than 2 rows") != NULL);
		s = "a,\"123456789\nb\"\n";
		CHECK(read_into(&g, s, strlen(s), NULL, &lim, err,
		                sizeof(err)) == -1);
		CHECK(strstr(sheet_err_en(err, sizeof(err)),
		             "record 1 is longer than 8 bytes") != NULL);
		lim.max_uncompressed = 4;
		s = "\xd5\xc5\xc8\xfd,\xc4\xd0\n";
		CHECK(read_into(&g, s, strlen(s), NULL, &lim, err,
		                sizeof(err)) == -1);
		CHECK(strstr(sheet_err_en(err, sizeof(err)), "too large") !=
		      NULL);
	}
	/* only blank records: no rows, no error */
	s = "\r\n,,\n \n";
	CHECK(read_into(&g, s, strlen(s), NULL, NULL, err, sizeof(err)) == 0);
	CHECK(g.n == 0);
	got_free(&g);
}

/* ---- xls: a minimal BIFF8 workbook in a compound file ---- */

struct bb {
	unsigned char *p;
	size_t len, cap;
};

static void
bb_put(struct bb *b, const void *d, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void
bb_u8(struct bb *b, unsigned v)
{
	unsigned char c = (unsigned char)v;

	bb_put(b, &c, 1);
}

static void
bb_u16(struct bb *b, unsigned v)
{
	bb_u8(b, v & 0xff);
	bb_u8(b, (v >> 8) & 0xff);
}

static void
bb_u32(struct bb *b, uint32_t v)
{
	bb_u16(b, v & 0xffff);
	bb_u16(b, v >> 16);
}

static void
bb_f64(struct bb *b, double v)
{
	uint64_t u;
	int i;

	memcpy(&u, &v, 8);
	for (i = 0; i < 8; i++)
		bb_u8(b, (unsigned)(u >> (8 * i)) & 0xff);
}

static void
bb_set_u32(struct bb *b, size_t at, uint32_t v)
{
	b->p[at] = v & 0xff;
	b->p[at + 1] = (v >> 8) & 0xff;
	b->p[at + 2] = (v >> 16) & 0xff;
	b->p[at + 3] = (v >> 24) & 0xff;
}

/* A BIFF record: type, length, body. */
static void
biff(struct bb *w, unsigned type, const struct bb *body)
{
	bb_u16(w, type);
	bb_u16(w, body ? (unsigned)body->len : 0);
	if (body != NULL && body->len > 0)
		bb_put(w, body->p, body->len);
}

static void
biff_bof(struct bb *w, unsigned kind)
{
	struct bb r = {0};

	bb_u16(&r, 0x0600);
	bb_u16(&r, kind);
	bb_u16(&r, 0x0dbb);
	bb_u16(&r, 0x07cc);
	bb_u32(&r, 0);
	bb_u32(&r, 6);
	biff(w, 0x0809, &r);
	free(r.p);
}

/* A BIFF8 unicode string body: flags 1, UTF-16LE units. */
static void
biff_utf16(struct bb *r, const uint16_t *units, unsigned n, int len16)
{
	unsigned i;

	if (len16)
		bb_u16(r, n);
	else
		bb_u8(r, n);
	bb_u8(r, 1);
	for (i = 0; i < n; i++)
		bb_u16(r, units[i]);
}

static void
biff_cell_head(struct bb *r, unsigned row, unsigned col)
{
	bb_u16(r, row);
	bb_u16(r, col);
	bb_u16(r, 0); /* XF */
}

static void
biff_labelsst(struct bb *w, unsigned row, unsigned col, uint32_t i)
{
	struct bb r = {0};

	biff_cell_head(&r, row, col);
	bb_u32(&r, i);
	biff(w, 0x00fd, &r);
	free(r.p);
}

static void
biff_number(struct bb *w, unsigned row, unsigned col, double v)
{
	struct bb r = {0};

	biff_cell_head(&r, row, col);
	bb_f64(&r, v);
	biff(w, 0x0203, &r);
	free(r.p);
}

static void
biff_rk_int(struct bb *w, unsigned row, unsigned col, int v)
{
	struct bb r = {0};

	biff_cell_head(&r, row, col);
	bb_u32(&r, ((uint32_t)v << 2) | 2);
	biff(w, 0x027e, &r);
	free(r.p);
}

static void
biff_sheet(struct bb *w, unsigned rows, unsigned cols)
{
	struct bb r = {0};

	biff_bof(w, 0x0010);
	bb_u32(&r, 0);
	bb_u32(&r, rows);
	bb_u16(&r, 0);
	bb_u16(&r, cols);
	bb_u16(&r, 0);
	biff(w, 0x0200, &r);
	free(r.p);
}

/* The workbook stream: two sheets, the first one the roster. */
static void
xls_workbook(struct bb *w)
{
	static const uint16_t s_title[] = {0x5b66, 0x751f, 0x540d, 0x5355};
	static const uint16_t s_name[] = {0x59d3, 0x540d};
	static const uint16_t s_id[] = {0x8eab, 0x4efd, 0x8bc1, 0x53f7};
	static const uint16_t s_age[] = {0x5e74, 0x9f84};
	static const uint16_t s_zs[] = {0x5f20, 0x4e09};
	static const uint16_t s_other[] = {'w', 'r', 'o', 'n', 'g'};
	static const uint16_t n_sheet1[] = {0x540d, 0x5355};
	static const uint16_t n_sheet2[] = {'S', '2'};
	static const uint16_t li_yan[] = {0x674e, 0x4dae};
	struct bb r = {0};
	size_t at1, at2;

	biff_bof(w, 0x0005);
	r.len = 0;
	bb_u16(&r, 1200);
	biff(w, 0x0042, &r); /* CODEPAGE: UTF-16 */

	r.len = 0;
	bb_u32(&r, 0);
	bb_u8(&r, 0);
	bb_u8(&r, 0);
	biff_utf16(&r, n_sheet1, 2, 0);
	at1 = w->len + 4;
	biff(w, 0x0085, &r); /* BOUNDSHEET */
	r.len = 0;
	bb_u32(&r, 0);
	bb_u8(&r, 0);
	bb_u8(&r, 0);
	biff_utf16(&r, n_sheet2, 2, 0);
	at2 = w->len + 4;
	biff(w, 0x0085, &r);

	r.len = 0;
	bb_u32(&r, 6);
	bb_u32(&r, 6);
	biff_utf16(&r, s_title, 4, 1);
	biff_utf16(&r, s_name, 2, 1);
	biff_utf16(&r, s_id, 4, 1);
	biff_utf16(&r, s_age, 2, 1);
	biff_utf16(&r, s_zs, 2, 1);
	biff_utf16(&r, s_other, 5, 1);
	biff(w, 0x00fc, &r); /* SST */
	biff(w, 0x000a, NULL);

	bb_set_u32(w, at1, (uint32_t)w->len);
	biff_sheet(w, 5, 3);
	biff_labelsst(w, 0, 0, 0);
	biff_labelsst(w, 2, 0, 1);
	biff_labelsst(w, 2, 1, 2);
	biff_labelsst(w, 2, 2, 3);
	biff_labelsst(w, 3, 0, 4);
	biff_number(w, 3, 1, 430102200801011234.0);
	biff_rk_int(w, 3, 2, 12);
	r.len = 0;
	biff_cell_head(&r, 4, 0);
	biff_utf16(&r, li_yan, 2, 1);
	biff(w, 0x0204, &r); /* LABEL */
	biff_number(w, 4, 2, 9.5);
	biff(w, 0x000a, NULL);

	bb_set_u32(w, at2, (uint32_t)w->len);
	biff_sheet(w, 1, 1);
	biff_labelsst(w, 0, 0, 5);
	biff(w, 0x000a, NULL);
	free(r.p);
}

/* Wraps a stream named "Workbook" in a version 3 compound file: header,
 * one FAT sector, one directory sector, the stream in regular sectors. */
static unsigned char *
xls_fixture(size_t *len)
{
	static const unsigned char magic[] = {0xd0, 0xcf, 0x11, 0xe0,
	                                      0xa1, 0xb1, 0x1a, 0xe1};
	static const char *names[] = {"Root Entry", "Workbook"};
	struct bb w = {0}, f = {0};
	unsigned nsec, i, k;

	xls_workbook(&w);
	/* 4096 bytes at least, so a strict reader wants no mini stream */
	while (w.len < 4096)
		bb_u8(&w, 0);
	nsec = (unsigned)((w.len + 511) / 512);

	bb_put(&f, magic, 8);
	for (i = 0; i < 16; i++)
		bb_u8(&f, 0);
	bb_u16(&f, 0x003e);
	bb_u16(&f, 3);
	bb_u16(&f, 0xfffe);
	bb_u16(&f, 9);
	bb_u16(&f, 6);
	for (i = 0; i < 6; i++)
		bb_u8(&f, 0);
	bb_u32(&f, 0);          /* directory sectors (v3: 0) */
	bb_u32(&f, 1);          /* FAT sectors */
	bb_u32(&f, 1);          /* first directory sector */
	bb_u32(&f, 0);          /* transaction */
	bb_u32(&f, 4096);       /* mini stream cutoff */
	bb_u32(&f, 0xfffffffe); /* mini FAT: none */
	bb_u32(&f, 0);
	bb_u32(&f, 0xfffffffe); /* DIFAT: none */
	bb_u32(&f, 0);
	bb_u32(&f, 0); /* the FAT is sector 0 */
	for (i = 1; i < 109; i++)
		bb_u32(&f, 0xffffffff);

	/* sector 0: the FAT */
	bb_u32(&f, 0xfffffffd);
	bb_u32(&f, 0xfffffffe);
	for (i = 0; i < nsec; i++)
		bb_u32(&f, i + 1 < nsec ? 2 + i + 1 : 0xfffffffe);
	for (i = 2 + nsec; i < 128; i++)
		bb_u32(&f, 0xffffffff);

	/* sector 1: the directory */
	for (k = 0; k < 4; k++) {
		size_t start = f.len;

		if (k < 2) {
			for (i = 0; names[k][i]; i++)
				bb_u16(&f, (unsigned char)names[k][i]);
			while (f.len < start + 64)
				bb_u8(&f, 0);
			bb_u16(&f, (unsigned)(strlen(names[k]) + 1) * 2);
			bb_u8(&f, k == 0 ? 5 : 2);
			bb_u8(&f, 1);
			bb_u32(&f, 0xffffffff);
			bb_u32(&f, 0xffffffff);
			bb_u32(&f, k == 0 ? 1 : 0xffffffff);
			while (f.len < start + 116)
				bb_u8(&f, 0);
			bb_u32(&f, k == 0 ? 0xfffffffe : 2);
			bb_u32(&f, k == 0 ? 0 : (uint32_t)w.len);
			bb_u32(&f, 0);
		} else {
			while (f.len < start + 68)
				bb_u8(&f, 0);
			bb_u32(&f, 0xffffffff);
			bb_u32(&f, 0xffffffff);
			bb_u32(&f, 0xffffffff);
			while (f.len < start + 128)
				bb_u8(&f, 0);
		}
	}
	bb_put(&f, w.p, w.len);
	while (f.len % 512 != 0)
		bb_u8(&f, 0);
	free(w.p);
	*len = f.len;
	return f.p;
}

static void
test_xls(void)
{
	struct got g = {0};
	char err[512];
	size_t len;
	unsigned char *x = xls_fixture(&len);
	unsigned char junk[2048];
	size_t i;

	CHECK(sheet_detect(x, len, NULL) == SHEET_XLS);
	CHECK(read_into(&g, x, len, NULL, NULL, err, sizeof(err)) == 0);
	CHECK_STR(err, "");
	CHECK(g.n == 4);
	CHECK(g.number[0] == 1 && g.number[1] == 3 && g.number[2] == 4);
	CHECK(g.number[3] == 5);
	CHECK_STR(cell(&g, 1, 0), "学生名单");
	CHECK(cell(&g, 2, 0) == NULL);
	CHECK_STR(cell(&g, 3, 0), "姓名");
	CHECK_STR(cell(&g, 3, 1), "身份证号");
	CHECK_STR(cell(&g, 3, 2), "年龄");
	CHECK_STR(cell(&g, 4, 0), "张三");
	CHECK_STR(cell(&g, 4, 1), "4.30102200801011E+17");
	CHECK_STR(cell(&g, 4, 2), "12");
	/* row 5: LABEL with U+4DAE and a gap, only present if freexl took
	 * the row count from DIMENSIONS */
	CHECK_STR(cell(&g, 5, 0), "李䶮");
	CHECK_STR(cell(&g, 5, 1), "");
	CHECK_STR(cell(&g, 5, 2), "9.5");
	CHECK(dir_entries(tmpdir) == 0);

	/* the magic, then garbage: a clean error, no file left behind */
	memcpy(junk, x, 8);
	for (i = 8; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(i * 7);
	CHECK(sheet_detect(junk, sizeof(junk), NULL) == SHEET_XLS);
	CHECK(read_into(&g, junk, sizeof(junk), NULL, NULL, err, sizeof(err)) ==
	      -1);
	CHECK(strstr(sheet_err_en(err, sizeof(err)), ".xls file is damaged") !=
	      NULL);
	CHECK(dir_entries(tmpdir) == 0);
	/* only the magic */
	CHECK(read_into(&g, junk, 8, NULL, NULL, err, sizeof(err)) == -1);
	CHECK(dir_entries(tmpdir) == 0);
	/* a real file cut inside the workbook stream's records (the
	 * header, the FAT and the directory are the first 1536 bytes) */
	CHECK(read_into(&g, x, 1536 + 100, NULL, NULL, err, sizeof(err)) == -1);
	CHECK(err[0] != '\0');
	CHECK(dir_entries(tmpdir) == 0);
	/* an encrypted xlsx is a compound file with an EncryptedPackage */
	{
		static const char name[] = "EncryptedPackage";

		for (i = 0; name[i]; i++) {
			junk[600 + 2 * i] = (unsigned char)name[i];
			junk[601 + 2 * i] = 0;
		}
		CHECK(read_into(&g, junk, sizeof(junk), NULL, NULL, err,
		                sizeof(err)) == -1);
		CHECK(strstr(sheet_err_en(err, sizeof(err)), "encrypted") !=
		      NULL);
	}
	/* A directory entry whose name claims 65,535 bytes: libfreexl 1.0.6
	 * reads that much from a 4 KiB stack buffer (found by fuzz_sheet).
	 * The child it runs in may crash (an AddressSanitizer build reports
	 * it and aborts the child); the caller gets an answer either way and
	 * no file is left behind. */
	{
		unsigned char *y = malloc(len);
		int rc;

		memcpy(y, x, len);
		y[1024 + 64] = 0xff;
		y[1024 + 65] = 0xff;
		rc = read_into(&g, y, len, NULL, NULL, err, sizeof(err));
		CHECK(rc == 0 || (rc == -1 && err[0] != '\0'));
		CHECK(dir_entries(tmpdir) == 0);
		free(y);
	}
	/* the temporary directory must exist */
	CHECK(sheet_read(x, len, NULL, "/nonexistent/dir", NULL, collect, &g,
	                 err, sizeof(err)) == -1);
	CHECK(strstr(sheet_err_en(err, sizeof(err)),
	             "cannot create a temporary file") != NULL);
	got_free(&g);
	free(x);
}

/* ---- shared helpers ---- */

static void
test_normalize(void)
{
	char out[128], small[4];
	char inplace[] = "  ａＢ（１）\xc2\xa0";

	CHECK_STR(sheet_normalize("  ４３０１０２２００８０１０１１２３ｘ　",
	                          out, sizeof(out)),
	          "43010220080101123x");
	CHECK_STR(sheet_normalize("\xc2\xa0张三\xc2\xa0\t", out, sizeof(out)),
	          "张三");
	CHECK_STR(sheet_normalize("初一（２）班", out, sizeof(out)),
	          "初一(2)班");
	CHECK_STR(sheet_normalize("张　三", out, sizeof(out)), "张　三");
	CHECK_STR(sheet_normalize("\xe2\x80\x8b\xef\xbb\xbfx\xe2\x80\x8b", out,
	                          sizeof(out)),
	          "x");
	CHECK_STR(sheet_normalize("ＡＢＣｘｙｚ", out, sizeof(out)), "ABCxyz");
	CHECK_STR(sheet_normalize("　 　", out, sizeof(out)), "");
	CHECK_STR(sheet_normalize(NULL, out, sizeof(out)), "");
	CHECK_STR(sheet_normalize("张三", small, sizeof(small)), "张");
	CHECK_STR(sheet_normalize("１２３４５", small, sizeof(small)), "123");
	CHECK(sheet_normalize(inplace, inplace, sizeof(inplace)) == inplace);
	CHECK_STR(inplace, "aB(1)");
	/* invalid UTF-8 passes through byte by byte */
	CHECK_STR(sheet_normalize(" \xff\xfe ", out, sizeof(out)), "\xff\xfe");
}

static void
test_numbers(void)
{
	char out[64];

	sheet_format_number(0.0, out, sizeof(out));
	CHECK_STR(out, "0");
	sheet_format_number(-0.0, out, sizeof(out));
	CHECK_STR(out, "0");
	sheet_format_number(123456789012345.0, out, sizeof(out));
	CHECK_STR(out, "123456789012345");
	sheet_format_number(1e15, out, sizeof(out));
	CHECK_STR(out, "1E+15");
	sheet_format_number(0.1 + 0.2, out, sizeof(out));
	CHECK_STR(out, "0.3");
	sheet_format_number(1.5e-7, out, sizeof(out));
	CHECK_STR(out, "1.5E-07");
	sheet_format_number(-5, out, sizeof(out));
	CHECK_STR(out, "-5");
	sheet_format_number(45678.25, out, sizeof(out));
	CHECK_STR(out, "45678.25");
}

static void
test_detect(void)
{
	CHECK(sheet_detect("PK\3\4rest", 8, NULL) == SHEET_XLSX);
	CHECK(sheet_detect("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8, NULL) ==
	      SHEET_XLS);
	CHECK(sheet_detect("a,b\n", 4, NULL) == SHEET_CSV);
	CHECK(sheet_detect("a,b\n", 4, "students.xlsx") == SHEET_CSV);
	CHECK(sheet_detect("", 0, "text/csv") == SHEET_UNKNOWN);
	CHECK(sheet_detect("a\0b", 3, "text/csv") == SHEET_UNKNOWN);
	CHECK(sheet_detect("a\x01\x02", 3, NULL) == SHEET_UNKNOWN);
	CHECK(sheet_detect("<?xml version=\"1.0\"?><Workbook/>", 32, NULL) ==
	      SHEET_UNKNOWN);
	/* a UTF-8 sequence cut by the sniffing window is still text */
	{
		char *s = malloc(20000);
		size_t i;

		for (i = 0; i + 3 <= 20000; i += 3)
			memcpy(s + i, "张", 3);
		s[19998] = s[19999] = 'a';
		CHECK(sheet_detect(s, 20000, NULL) == SHEET_CSV);
		free(s);
	}
}

int
main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_sheet-XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_detect();
	test_numbers();
	test_normalize();
	test_xlsx_lxw(0);
	test_xlsx_lxw(1);
	test_xlsx_hidden_first();
	test_xlsx_handmade();
	test_not_spreadsheets();
	test_zip_bombs();
	test_csv();
	test_xls();
	CHECK(dir_entries(tmpdir) == 0);
	rmdir(tmpdir);
	return check_done();
}
