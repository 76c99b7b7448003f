/*
 * sheet_xlsx.c — the .xlsx reader: libzip over the uploaded bytes, expat
 * over the parts. The workbook is found through _rels/.rels, its first
 * visible worksheet through the workbook's relationships (never by file
 * name); shared strings are loaded into one buffer, the worksheet itself is
 * streamed in chunks and handed on row by row. Every byte decompressed
 * counts against the limits, whatever the zip's headers declare.
 */
#include "sheet.h"

#include <errno.h>
#include <expat.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#define XLSX_CHUNK 65536
/* The ratio limit applies to entries beyond this size only: small parts
 * such as styles or an empty sheet's XML are legitimately compressed far
 * more than a bomb's threshold, and do no harm. */
#define XLSX_RATIO_FLOOR ((zip_uint64_t)1 << 20)
#define XLSX_MAX_ROW 1048576
#define XLSX_MAX_RELS 10000
/* 200,000 rows of 40 distinct strings: far beyond a school's sheet, and a
 * bound on the offsets array a crafted file of empty <si/> could grow. */
#define XLSX_MAX_STRINGS ((size_t)8 << 20)
/* expat's namespace separator: names arrive as "uri|local". */
#define XLSX_NS_SEP '|'

#define XLSX_DAMAGED                                                           \
	"表格文件已损坏或不完整", "the spreadsheet is damaged or incomplete"
#define XLSX_BOMB                                                              \
	"文件解压后过大，已拒绝",                                              \
	    "the file expands beyond the allowed size; refused as a possible " \
	    "zip bomb"

struct xlsx_rel {
	char *id;
	char *type;   /* the last segment of the Type URI, e.g. "worksheet" */
	char *target; /* a zip entry name, resolved */
};

struct xlsx {
	struct sheet_ctx *ctx;
	zip_t *za;
	size_t used; /* uncompressed bytes read so far, all entries */
	const char *part;
	XML_Parser parser;
	int done; /* the handler stopped the parser with nothing left to do */

	/* relationships of the part being resolved */
	const char *rels_base; /* the folder targets are relative to */
	struct xlsx_rel *rels;
	size_t nrels;

	/* the workbook's choice */
	int in_root, not_workbook;
	char *sheet_target;
	int sheet_visible;

	/* shared strings: text back to back, NUL-terminated */
	char *sst;
	size_t sstlen, sstcap;
	size_t *sst_off;
	size_t nsst, sstoffcap;
	int in_si, in_t, rph;

	/* the worksheet */
	int in_data, row_open, row_number, next_col;
	int cell_open, cell_col, in_v, in_is;
	char cell_type[16];
	char *val;
	size_t vallen, valcap;
};

static const char *
xlsx_local(const char *name)
{
	const char *p = strrchr(name, XLSX_NS_SEP);

	return p != NULL ? p + 1 : name;
}

static const char *
xlsx_attr(const char **atts, const char *local, int namespaced)
{
	for (; atts[0] != NULL; atts += 2) {
		int ns = strchr(atts[0], XLSX_NS_SEP) != NULL;

		if (ns == namespaced && strcmp(xlsx_local(atts[0]), local) == 0)
			return atts[1];
	}
	return NULL;
}

static void
xlsx_stop(struct xlsx *x)
{
	XML_StopParser(x->parser, XML_FALSE);
}

/* Resolves a relationship target against base (a folder with a trailing
 * slash, or ""), folding "." and ".." segments. A leading slash means the
 * root of the package. */
static char *
xlsx_resolve(const char *base, const char *target)
{
	size_t bl = strlen(base), tl = strlen(target), o = 0;
	char *buf, *out, *seg, *save = NULL;

	if (target[0] == '/')
		bl = 0;
	buf = malloc(bl + tl + 1);
	out = malloc(bl + tl + 2);
	if (buf == NULL || out == NULL) {
		free(buf);
		free(out);
		return NULL;
	}
	memcpy(buf, base, bl);
	memcpy(buf + bl, target, tl + 1);
	for (seg = strtok_r(buf, "/", &save); seg != NULL;
	     seg = strtok_r(NULL, "/", &save)) {
		if (strcmp(seg, ".") == 0)
			continue;
		if (strcmp(seg, "..") == 0) {
			/* back to the previous slash, or the root */
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			while (o > 0 && out[o - 1] != '/')
				o--;
			continue;
		}
		memcpy(out + o, seg, strlen(seg));
		o += strlen(seg);
		out[o++] = '/';
	}
	if (o > 0)
		o--;
	out[o] = '\0';
	free(buf);
	return out;
}

/* The folder of a part name, with its trailing slash ("" at the root). */
static char *
xlsx_dirname(const char *part)
{
	const char *slash = strrchr(part, '/');
	size_t n = slash != NULL ? (size_t)(slash - part) + 1 : 0;
	char *d = malloc(n + 1);

	if (d != NULL) {
		memcpy(d, part, n);
		d[n] = '\0';
	}
	return d;
}

static void
xlsx_rels_free(struct xlsx *x)
{
	size_t i;

	for (i = 0; i < x->nrels; i++) {
		free(x->rels[i].id);
		free(x->rels[i].type);
		free(x->rels[i].target);
	}
	free(x->rels);
	x->rels = NULL;
	x->nrels = 0;
}

static void XMLCALL
xlsx_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
             const XML_Char *pubid, int has_internal_subset)
{
	struct xlsx *x = ud;

	/* OOXML parts never carry a DTD; refusing one shuts out entity
	 * expansion attacks altogether. */
	sheet_fail(x->ctx, XLSX_DAMAGED);
	xlsx_stop(x);
}

/* Feeds one zip entry to the parser, counting every byte decompressed.
 * Returns 0, 1 when the entry does not exist, or -1 (failed or stopped). */
static int
xlsx_part_parse(struct xlsx *x, const char *name, XML_Parser p)
{
	struct sheet_ctx *ctx = x->ctx;
	zip_int64_t idx;
	zip_stat_t st;
	zip_file_t *zf = NULL;
	zip_uint64_t entry = 0;
	char *buf = NULL;
	int rc = -1;

	idx = zip_name_locate(x->za, name, ZIP_FL_NOCASE);
	if (idx < 0)
		return 1;
	x->part = name;
	x->parser = p;
	x->done = 0;
	XML_SetUserData(p, x);
	XML_SetStartDoctypeDeclHandler(p, xlsx_doctype);
	zip_stat_init(&st);
	if (zip_stat_index(x->za, (zip_uint64_t)idx, 0, &st) != 0) {
		sheet_fail(ctx, XLSX_DAMAGED);
		goto out;
	}
	if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) &&
	    st.encryption_method != ZIP_EM_NONE) {
		sheet_fail(ctx, "文件已加密，请先取消密码保护再上传",
		           "the file is encrypted; remove the password first");
		goto out;
	}
	/* The declared sizes first, so an honest bomb is refused before a
	 * byte is inflated; the counts below catch a dishonest one. */
	if ((st.valid & ZIP_STAT_SIZE) &&
	    st.size > ctx->lim.max_uncompressed - x->used) {
		sheet_fail(ctx, XLSX_BOMB);
		goto out;
	}
	if ((st.valid & ZIP_STAT_SIZE) && (st.valid & ZIP_STAT_COMP_SIZE) &&
	    st.size > XLSX_RATIO_FLOOR &&
	    (double)st.size > ctx->lim.max_ratio * (double)st.comp_size) {
		sheet_fail(ctx, XLSX_BOMB);
		goto out;
	}
	zf = zip_fopen_index(x->za, (zip_uint64_t)idx, 0);
	if (zf == NULL) {
		if (zip_error_code_zip(zip_get_error(x->za)) == ZIP_ER_NOPASSWD)
			sheet_fail(
			    ctx, "文件已加密，请先取消密码保护再上传",
			    "the file is encrypted; remove the password first");
		else
			sheet_fail(ctx, XLSX_DAMAGED);
		goto out;
	}
	buf = malloc(XLSX_CHUNK);
	if (buf == NULL) {
		sheet_fail(ctx, "内存不足", "out of memory");
		goto out;
	}
	for (;;) {
		zip_int64_t n = zip_fread(zf, buf, XLSX_CHUNK);

		if (n < 0) {
			sheet_fail(ctx, XLSX_DAMAGED);
			goto out;
		}
		if (n == 0)
			break;
		x->used += (size_t)n;
		entry += (zip_uint64_t)n;
		if (x->used > ctx->lim.max_uncompressed ||
		    (entry > XLSX_RATIO_FLOOR &&
		     (double)entry >
		         ctx->lim.max_ratio * (double)st.comp_size)) {
			sheet_fail(ctx, XLSX_BOMB);
			goto out;
		}
		if (XML_Parse(p, buf, (int)n, 0) != XML_STATUS_OK)
			goto xmlerr;
		if (x->done)
			break;
	}
	if (!x->done && XML_Parse(p, NULL, 0, 1) != XML_STATUS_OK)
		goto xmlerr;
	rc = 0;
	goto out;
xmlerr:
	if (x->done && !ctx->failed && !ctx->stopped) {
		rc = 0;
		goto out;
	}
	if (!ctx->failed && !ctx->stopped)
		sheet_fail(ctx, "表格文件已损坏：%s 第 %lu 行%.0s",
		           "the spreadsheet is damaged: %s line %lu: %s", name,
		           (unsigned long)XML_GetCurrentLineNumber(p),
		           XML_ErrorString(XML_GetErrorCode(p)));
out:
	free(buf);
	if (zf != NULL)
		zip_fclose(zf);
	return rc;
}

/* Runs a fresh namespace-aware parser with the given handlers over one
 * part. Same returns as xlsx_part_parse. */
static int
xlsx_parse(struct xlsx *x, const char *name, XML_StartElementHandler start,
           XML_EndElementHandler end, XML_CharacterDataHandler text)
{
	XML_Parser p = XML_ParserCreateNS(NULL, XLSX_NS_SEP);
	int rc;

	if (p == NULL)
		return sheet_fail(x->ctx, "内存不足", "out of memory");
	XML_SetElementHandler(p, start, end);
	if (text != NULL)
		XML_SetCharacterDataHandler(p, text);
	rc = xlsx_part_parse(x, name, p);
	XML_ParserFree(p);
	x->parser = NULL;
	return rc;
}

/* ---- relationships ---- */

static void XMLCALL
xlsx_rels_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct xlsx *x = ud;
	const char *id, *type, *target, *mode, *slash;
	struct xlsx_rel *r;

	if (strcmp(xlsx_local(name), "Relationship") != 0)
		return;
	id = xlsx_attr(atts, "Id", 0);
	type = xlsx_attr(atts, "Type", 0);
	target = xlsx_attr(atts, "Target", 0);
	mode = xlsx_attr(atts, "TargetMode", 0);
	if (id == NULL || type == NULL || target == NULL ||
	    (mode != NULL && strcmp(mode, "External") == 0))
		return;
	if (x->nrels >= XLSX_MAX_RELS) {
		sheet_fail(x->ctx, XLSX_DAMAGED);
		xlsx_stop(x);
		return;
	}
	r = realloc(x->rels, (x->nrels + 1) * sizeof(*r));
	if (r == NULL)
		goto nomem;
	x->rels = r;
	r = &x->rels[x->nrels];
	slash = strrchr(type, '/');
	r->id = strdup(id);
	r->type = strdup(slash != NULL ? slash + 1 : type);
	r->target = xlsx_resolve(x->rels_base, target);
	x->nrels++;
	if (r->id == NULL || r->type == NULL || r->target == NULL)
		goto nomem;
	return;
nomem:
	sheet_fail(x->ctx, "内存不足", "out of memory");
	xlsx_stop(x);
}

static void XMLCALL
xlsx_ignore_end(void *ud, const XML_Char *name)
{
}

/* Loads the relationships of `part` (its .rels file) into x->rels. */
static int
xlsx_rels_load(struct xlsx *x, const char *part)
{
	char *dir = xlsx_dirname(part), *relsname;
	const char *base = strrchr(part, '/');
	int rc;

	base = base != NULL ? base + 1 : part;
	relsname = malloc(strlen(part) + 16);
	if (dir == NULL || relsname == NULL) {
		free(dir);
		free(relsname);
		return sheet_fail(x->ctx, "内存不足", "out of memory");
	}
	sprintf(relsname, "%s_rels/%s.rels", dir, base);
	xlsx_rels_free(x);
	x->rels_base = dir;
	rc = xlsx_parse(x, relsname, xlsx_rels_start, xlsx_ignore_end, NULL);
	x->rels_base = NULL;
	free(dir);
	free(relsname);
	return rc;
}

static const struct xlsx_rel *
xlsx_rel_find(const struct xlsx *x, const char *id, const char *type)
{
	size_t i;

	for (i = 0; i < x->nrels; i++)
		if ((id == NULL || strcmp(x->rels[i].id, id) == 0) &&
		    (type == NULL || strcmp(x->rels[i].type, type) == 0))
			return &x->rels[i];
	return NULL;
}

/* ---- the workbook: which sheet ---- */

static void XMLCALL
xlsx_workbook_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct xlsx *x = ud;
	const struct xlsx_rel *r;
	const char *id, *state;
	int visible;

	if (!x->in_root) {
		/* The package's main part may be a Word document. */
		x->in_root = 1;
		if (strcmp(xlsx_local(name), "workbook") != 0) {
			x->not_workbook = 1;
			x->done = 1;
			xlsx_stop(x);
		}
		return;
	}
	if (strcmp(xlsx_local(name), "sheet") != 0)
		return;
	id = xlsx_attr(atts, "id", 1);
	state = xlsx_attr(atts, "state", 0);
	if (id == NULL)
		return;
	/* A chartsheet or a dialog sheet holds no cells. */
	r = xlsx_rel_find(x, id, "worksheet");
	if (r == NULL)
		return;
	visible = state == NULL || strcmp(state, "visible") == 0;
	if (x->sheet_target != NULL && (x->sheet_visible || !visible))
		return;
	free(x->sheet_target);
	x->sheet_target = strdup(r->target);
	x->sheet_visible = visible;
	if (x->sheet_target == NULL) {
		sheet_fail(x->ctx, "内存不足", "out of memory");
		xlsx_stop(x);
	} else if (visible) {
		x->done = 1;
		xlsx_stop(x);
	}
}

/* ---- strings ---- */

static int
xlsx_hex4(const char *s, unsigned *v)
{
	int i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		char c = s[i];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

/* Decodes OOXML's _xHHHH_ escapes (how Excel stores control characters,
 * and _x005F_ for a literal underscore) in place; returns the new length.
 * The UTF-8 form is never longer than the 7-byte escape. */
static size_t
xlsx_unescape(char *s, size_t n)
{
	size_t i = 0, o = 0;

	while (i < n) {
		unsigned cp;

		if (s[i] == '_' && i + 7 <= n && s[i + 1] == 'x' &&
		    s[i + 6] == '_' && xlsx_hex4(s + i + 2, &cp) == 0) {
			i += 7;
			if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
				continue;
			if (cp < 0x80) {
				s[o++] = (char)cp;
			} else if (cp < 0x800) {
				s[o++] = (char)(0xc0 | (cp >> 6));
				s[o++] = (char)(0x80 | (cp & 0x3f));
			} else {
				s[o++] = (char)(0xe0 | (cp >> 12));
				s[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
				s[o++] = (char)(0x80 | (cp & 0x3f));
			}
			continue;
		}
		s[o++] = s[i++];
	}
	return o;
}

static void XMLCALL
xlsx_sst_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct xlsx *x = ud;
	const char *l = xlsx_local(name);

	if (strcmp(l, "si") == 0) {
		size_t *off;

		if (x->nsst >= XLSX_MAX_STRINGS) {
			sheet_fail(x->ctx, "表格包含的文字太多",
			           "too many strings in the workbook");
			xlsx_stop(x);
			return;
		}
		if (x->nsst == x->sstoffcap) {
			size_t cap = x->sstoffcap ? x->sstoffcap * 2 : 256;

			off = realloc(x->sst_off, cap * sizeof(*off));
			if (off == NULL) {
				sheet_fail(x->ctx, "内存不足", "out of memory");
				xlsx_stop(x);
				return;
			}
			x->sst_off = off;
			x->sstoffcap = cap;
		}
		x->sst_off[x->nsst] = x->sstlen;
		x->in_si = 1;
		x->rph = 0;
	} else if (strcmp(l, "rPh") == 0) {
		/* phonetic (furigana) runs are not part of the text */
		x->rph++;
	} else if (strcmp(l, "t") == 0 && x->in_si) {
		x->in_t = 1;
	}
}

static int
xlsx_sst_append(struct xlsx *x, const char *s, size_t n)
{
	if (x->sstlen + n + 1 > x->sstcap) {
		size_t cap = x->sstcap ? x->sstcap : 4096;
		char *p;

		while (cap < x->sstlen + n + 1)
			cap *= 2;
		p = realloc(x->sst, cap);
		if (p == NULL)
			return sheet_fail(x->ctx, "内存不足", "out of memory");
		x->sst = p;
		x->sstcap = cap;
	}
	memcpy(x->sst + x->sstlen, s, n);
	x->sstlen += n;
	return 0;
}

/* The most raw text one string or cell may collect: a cell's limit, with
 * room for _xHHHH_ escapes (7 bytes each) still to be decoded. */
static size_t
xlsx_text_max(const struct xlsx *x)
{
	size_t max = x->ctx->lim.max_cell_bytes;

	return max > SIZE_MAX / 8 ? SIZE_MAX / 8 : max * 7;
}

static void XMLCALL
xlsx_sst_text(void *ud, const XML_Char *s, int len)
{
	struct xlsx *x = ud;

	if (!x->in_si || !x->in_t || x->rph > 0)
		return;
	if (x->sstlen - x->sst_off[x->nsst] + (size_t)len > xlsx_text_max(x)) {
		sheet_fail(x->ctx, XLSX_DAMAGED);
		xlsx_stop(x);
		return;
	}
	if (xlsx_sst_append(x, s, (size_t)len) != 0)
		xlsx_stop(x);
}

static void XMLCALL
xlsx_sst_end(void *ud, const XML_Char *name)
{
	struct xlsx *x = ud;
	const char *l = xlsx_local(name);

	if (strcmp(l, "si") == 0 && x->in_si) {
		size_t start = x->sst_off[x->nsst];

		/* x->sst is still NULL when every string so far is empty */
		if (x->sstlen > start)
			x->sstlen = start + xlsx_unescape(x->sst + start,
			                                  x->sstlen - start);
		if (xlsx_sst_append(x, "", 1) != 0) {
			xlsx_stop(x);
			return;
		}
		x->nsst++;
		x->in_si = 0;
		x->in_t = 0;
	} else if (strcmp(l, "rPh") == 0 && x->rph > 0) {
		x->rph--;
	} else if (strcmp(l, "t") == 0) {
		x->in_t = 0;
	}
}

/* ---- the worksheet ---- */

/* The column of a reference like "AB12" (0-based), or -1. */
static int
xlsx_ref_col(const char *r)
{
	int col = 0, n = 0;

	for (; *r >= 'A' && *r <= 'Z'; r++, n++) {
		col = col * 26 + (*r - 'A' + 1);
		if (col > 16384)
			return -1;
	}
	if (n == 0 || *r < '0' || *r > '9')
		return -1;
	return col - 1;
}

static void XMLCALL
xlsx_sheet_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct xlsx *x = ud;
	const char *l = xlsx_local(name), *r, *t;

	if (!x->in_data) {
		if (strcmp(l, "sheetData") == 0)
			x->in_data = 1;
		return;
	}
	if (strcmp(l, "row") == 0) {
		long n = x->row_number + 1;

		r = xlsx_attr(atts, "r", 0);
		if (r != NULL) {
			char *end;

			errno = 0;
			n = strtol(r, &end, 10);
			if (errno != 0 || end == r || *end != '\0')
				n = x->row_number + 1;
		}
		if (n < 1 || n > XLSX_MAX_ROW) {
			sheet_fail(x->ctx, XLSX_DAMAGED);
			xlsx_stop(x);
			return;
		}
		x->row_number = (int)n;
		x->ctx->number = (int)n;
		x->row_open = 1;
		x->next_col = 0;
	} else if (strcmp(l, "c") == 0 && x->row_open) {
		int col = -1;

		r = xlsx_attr(atts, "r", 0);
		if (r != NULL)
			col = xlsx_ref_col(r);
		if (col < 0)
			col = x->next_col;
		t = xlsx_attr(atts, "t", 0);
		snprintf(x->cell_type, sizeof(x->cell_type), "%s",
		         t != NULL ? t : "n");
		x->cell_open = 1;
		x->cell_col = col;
		x->next_col = col + 1;
		x->vallen = 0;
		x->rph = 0;
	} else if (x->cell_open) {
		if (strcmp(l, "v") == 0)
			x->in_v = 1;
		else if (strcmp(l, "is") == 0)
			x->in_is = 1;
		else if (strcmp(l, "rPh") == 0)
			x->rph++;
		else if (strcmp(l, "t") == 0 && x->in_is)
			x->in_t = 1;
	}
}

static void XMLCALL
xlsx_sheet_text(void *ud, const XML_Char *s, int len)
{
	struct xlsx *x = ud;

	if (!x->cell_open)
		return;
	if (!x->in_v && !(x->in_is && x->in_t && x->rph == 0))
		return;
	if (x->vallen + (size_t)len > xlsx_text_max(x)) {
		sheet_fail(x->ctx, "第 %d 行有单元格超过 %zu 字节",
		           "a cell in row %d is longer than %zu bytes",
		           x->row_number, x->ctx->lim.max_cell_bytes);
		xlsx_stop(x);
		return;
	}
	if (x->vallen + (size_t)len + 1 > x->valcap) {
		size_t cap = x->valcap ? x->valcap : 256;
		char *p;

		while (cap < x->vallen + (size_t)len + 1)
			cap *= 2;
		p = realloc(x->val, cap);
		if (p == NULL) {
			sheet_fail(x->ctx, "内存不足", "out of memory");
			xlsx_stop(x);
			return;
		}
		x->val = p;
		x->valcap = cap;
	}
	memcpy(x->val + x->vallen, s, (size_t)len);
	x->vallen += (size_t)len;
}

/* Turns the collected value of the cell just closed into its text. */
static int
xlsx_cell_end(struct xlsx *x)
{
	const char *t = x->cell_type;
	char num[64];
	const char *s;
	size_t n;

	if (x->val == NULL || x->vallen == 0)
		return 0;
	x->val[x->vallen] = '\0';
	if (strcmp(t, "s") == 0) {
		char *end;
		unsigned long i;

		errno = 0;
		i = strtoul(x->val, &end, 10);
		if (errno != 0 || end == x->val || i >= x->nsst)
			return sheet_fail(x->ctx, XLSX_DAMAGED);
		s = x->sst + x->sst_off[i];
		n = strlen(s);
	} else if (strcmp(t, "inlineStr") == 0 || strcmp(t, "str") == 0) {
		x->vallen = xlsx_unescape(x->val, x->vallen);
		s = x->val;
		n = x->vallen;
	} else if (strcmp(t, "b") == 0) {
		s = strcmp(x->val, "0") == 0 ? "FALSE" : "TRUE";
		n = strlen(s);
	} else if (strcmp(t, "n") == 0) {
		char *end;
		double v = strtod(x->val, &end);

		while (*end == ' ' || *end == '\t' || *end == '\r' ||
		       *end == '\n')
			end++;
		s = x->val;
		n = x->vallen;
		if (end != x->val && *end == '\0' && isfinite(v)) {
			sheet_format_number(v, num, sizeof(num));
			s = num;
			n = strlen(num);
		}
	} else {
		/* "e" (#N/A and friends), "d" (an ISO 8601 date) */
		s = x->val;
		n = x->vallen;
	}
	return sheet_row_set(x->ctx, x->cell_col, s, n);
}

static void XMLCALL
xlsx_sheet_end(void *ud, const XML_Char *name)
{
	struct xlsx *x = ud;
	const char *l = xlsx_local(name);

	if (!x->in_data)
		return;
	if (strcmp(l, "sheetData") == 0) {
		/* merged cells, filters and the like follow: not needed */
		x->done = 1;
		xlsx_stop(x);
	} else if (strcmp(l, "row") == 0 && x->row_open) {
		x->row_open = 0;
		if (sheet_row_emit(x->ctx, x->row_number) != 0)
			xlsx_stop(x);
	} else if (strcmp(l, "c") == 0 && x->cell_open) {
		x->cell_open = x->in_v = x->in_is = x->in_t = 0;
		if (xlsx_cell_end(x) != 0)
			xlsx_stop(x);
	} else if (strcmp(l, "v") == 0) {
		x->in_v = 0;
	} else if (strcmp(l, "is") == 0) {
		x->in_is = 0;
	} else if (strcmp(l, "t") == 0) {
		x->in_t = 0;
	} else if (strcmp(l, "rPh") == 0 && x->rph > 0) {
		x->rph--;
	}
}

/* ---- putting it together ---- */

/* Says what a zip that holds no workbook is instead. */
static int
xlsx_not_workbook(struct xlsx *x)
{
	if (zip_name_locate(x->za, "word/document.xml", ZIP_FL_NOCASE) >= 0)
		return sheet_fail(x->ctx, "这是 Word 文档，不是 Excel 表格",
		                  "a Word document, not a spreadsheet");
	if (zip_name_locate(x->za, "xl/workbook.bin", ZIP_FL_NOCASE) >= 0)
		return sheet_fail(
		    x->ctx,
		    "不支持 Excel 二进制工作簿（.xlsb），请另存为 "
		    ".xlsx",
		    ".xlsb is not supported; save as .xlsx");
	if (zip_name_locate(x->za, "content.xml", 0) >= 0)
		return sheet_fail(x->ctx,
		                  "不支持 OpenDocument 表格（.ods），请另存为 "
		                  ".xlsx",
		                  ".ods is not supported; save as .xlsx");
	return sheet_fail(
	    x->ctx, "文件不是有效的 Excel 表格：压缩包里没有工作簿",
	    "not a valid spreadsheet: a zip archive without a workbook");
}

int
sheet_xlsx_read(struct sheet_ctx *ctx, const void *data, size_t len)
{
	struct xlsx x;
	zip_error_t zerr;
	zip_source_t *src;
	const struct xlsx_rel *r;
	char *workbook = NULL;
	int rc = -1;

	memset(&x, 0, sizeof(x));
	x.ctx = ctx;
	zip_error_init(&zerr);
	src = zip_source_buffer_create(data, len, 0, &zerr);
	if (src == NULL) {
		sheet_fail(ctx, "内存不足", "out of memory");
		goto out;
	}
	/* No ZIP_CHECKCONS: it refuses files that Excel and WPS open; damage
	 * shows up anyway as a CRC or inflate error while reading. */
	x.za = zip_open_from_source(src, ZIP_RDONLY, &zerr);
	if (x.za == NULL) {
		zip_source_free(src);
		sheet_fail(ctx, XLSX_DAMAGED);
		goto out;
	}
	if ((zip_uint64_t)zip_get_num_entries(x.za, 0) > ctx->lim.max_entries) {
		sheet_fail(ctx, "压缩包里的文件太多，已拒绝",
		           "too many entries in the archive; refused");
		goto out;
	}

	/* The package's own relationships name the workbook part. */
	if (xlsx_rels_load(&x, "") < 0)
		goto out;
	r = xlsx_rel_find(&x, NULL, "officeDocument");
	workbook = strdup(r != NULL ? r->target : "xl/workbook.xml");
	if (workbook == NULL) {
		sheet_fail(ctx, "内存不足", "out of memory");
		goto out;
	}
	if (zip_name_locate(x.za, workbook, ZIP_FL_NOCASE) < 0) {
		xlsx_not_workbook(&x);
		goto out;
	}
	if (xlsx_rels_load(&x, workbook) < 0)
		goto out;
	if (xlsx_parse(&x, workbook, xlsx_workbook_start, xlsx_ignore_end,
	               NULL) < 0)
		goto out;
	if (x.not_workbook) {
		xlsx_not_workbook(&x);
		goto out;
	}
	if (x.sheet_target == NULL) {
		sheet_fail(ctx, "工作簿里没有工作表",
		           "the workbook has no worksheet");
		goto out;
	}

	r = xlsx_rel_find(&x, NULL, "sharedStrings");
	if (xlsx_parse(&x, r != NULL ? r->target : "xl/sharedStrings.xml",
	               xlsx_sst_start, xlsx_sst_end, xlsx_sst_text) < 0)
		goto out;
	x.rph = x.in_t = 0;

	switch (xlsx_parse(&x, x.sheet_target, xlsx_sheet_start, xlsx_sheet_end,
	                   xlsx_sheet_text)) {
	case 0: rc = 0; break;
	case 1: sheet_fail(ctx, XLSX_DAMAGED); break;
	default: break;
	}
out:
	if (x.za != NULL)
		zip_discard(x.za);
	xlsx_rels_free(&x);
	free(workbook);
	free(x.sheet_target);
	free(x.sst);
	free(x.sst_off);
	free(x.val);
	return rc;
}
