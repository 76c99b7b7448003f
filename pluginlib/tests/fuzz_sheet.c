/*
 * fuzz_sheet.c — the spreadsheet readers on arbitrary bytes, with tight
 * limits. Each input is read twice: as the uploaded file itself, and as
 * the XML parts of an xlsx put together here (shared strings, then the
 * worksheet, split at the first "\n--\n"), since a mutated zip rarely gets
 * past its CRCs to the XML handlers. A read must return 0 or -1 with a
 * message and hand over only well-formed rows.
 */
#include "sheet.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

struct fuzz_state {
	size_t rows;
	size_t bytes;
};

static int
fuzz_row(void *ud, const struct sheet_row *row)
{
	struct fuzz_state *st = ud;
	int i;

	if (row->number < 1 || row->ncells < 1 || row->cells == NULL)
		abort();
	for (i = 0; i < row->ncells; i++)
		if (row->cells[i] != NULL)
			st->bytes += strlen(row->cells[i]);
	st->rows++;
	return 0;
}

static void
fuzz_read(const void *data, size_t size)
{
	struct sheet_limits lim = {
	    .max_uncompressed = 1 << 20,
	    .max_entries = 64,
	    .max_ratio = 100,
	    .max_rows = 2000,
	    .max_cell_bytes = 4096,
	};
	struct fuzz_state st = {0, 0};
	char err[512];
	int rc;

	rc = sheet_read(data, size, NULL, NULL, &lim, fuzz_row, &st, err,
	                sizeof(err));
	if (rc != 0 && rc != -1)
		abort();
	if (rc == -1 && err[0] == '\0')
		abort();
	if (st.rows > lim.max_rows)
		abort();
}

static int
fuzz_add(zip_t *za, const char *name, const void *data, size_t len)
{
	zip_source_t *src = zip_source_buffer(za, data, len, 0);
	zip_int64_t i;

	if (src == NULL)
		return -1;
	i = zip_file_add(za, name, src, 0);
	if (i < 0) {
		zip_source_free(src);
		return -1;
	}
	/* stored: nothing to gain from fuzzing deflate */
	return zip_set_file_compression(za, (zip_uint64_t)i, ZIP_CM_STORE, 0);
}

/* Builds an xlsx around the input's XML and reads it. */
static void
fuzz_xlsx_parts(const uint8_t *data, size_t size)
{
	static const char workbook[] =
	    "<workbook xmlns:r=\"urn:r\"><sheets><sheet name=\"a\" "
	    "r:id=\"rId1\"/></sheets></workbook>";
	static const char rels[] =
	    "<Relationships><Relationship Id=\"rId1\" Type=\"x/worksheet\" "
	    "Target=\"worksheets/sheet1.xml\"/><Relationship Id=\"rId2\" "
	    "Type=\"x/sharedStrings\" Target=\"sharedStrings.xml\"/>"
	    "</Relationships>";
	const uint8_t *sep = NULL;
	size_t sstlen = 0, i;
	zip_error_t zerr;
	zip_source_t *src;
	zip_stat_t st;
	zip_t *za;
	char *zip = NULL;

	for (i = 0; i + 4 <= size; i++)
		if (memcmp(data + i, "\n--\n", 4) == 0) {
			sep = data + i;
			sstlen = i;
			break;
		}
	zip_error_init(&zerr);
	src = zip_source_buffer_create(NULL, 0, 0, &zerr);
	if (src == NULL)
		return;
	za = zip_open_from_source(src, ZIP_TRUNCATE, &zerr);
	if (za == NULL) {
		zip_source_free(src);
		return;
	}
	zip_source_keep(src);
	if (fuzz_add(za, "xl/workbook.xml", workbook, strlen(workbook)) != 0 ||
	    fuzz_add(za, "xl/_rels/workbook.xml.rels", rels, strlen(rels)) !=
	        0 ||
	    (sep != NULL &&
	     fuzz_add(za, "xl/sharedStrings.xml", data, sstlen) != 0) ||
	    fuzz_add(za, "xl/worksheets/sheet1.xml", sep ? sep + 4 : data,
	             sep ? size - sstlen - 4 : size) != 0 ||
	    zip_close(za) != 0) {
		zip_discard(za);
		goto out;
	}
	if (zip_source_stat(src, &st) != 0 || zip_source_open(src) != 0)
		goto out;
	zip = malloc(st.size + 1);
	if (zip != NULL &&
	    zip_source_read(src, zip, st.size) == (zip_int64_t)st.size)
		fuzz_read(zip, st.size);
	zip_source_close(src);
out:
	free(zip);
	zip_source_free(src);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int skip_xls = -1;
	char *copy, *out;

	/* The .xls path forks a child per input, and libfreexl's own crashes
	 * in that child leave crash files behind: FUZZ_SHEET_SKIP_XLS=1
	 * spends a session on the code of ours instead. */
	if (skip_xls < 0)
		skip_xls = getenv("FUZZ_SHEET_SKIP_XLS") != NULL;
	if (!skip_xls || size < 4 || memcmp(data, "\xd0\xcf\x11\xe0", 4) != 0)
		fuzz_read(data, size);
	if (size < 65536)
		fuzz_xlsx_parts(data, size);

	/* sheet_normalize on the bytes as a string, in place too */
	copy = malloc(size + 1);
	out = malloc(size + 1);
	if (copy != NULL && out != NULL) {
		memcpy(copy, data, size);
		copy[size] = '\0';
		sheet_normalize(copy, out, size + 1);
		if (strlen(out) > strlen(copy))
			abort();
		sheet_normalize(copy, copy, size + 1);
		if (strcmp(copy, out) != 0)
			abort();
	}
	free(copy);
	free(out);
	return 0;
}
