/*
 * test_multipart.c — the streaming multipart/form-data parser: content
 * types and boundaries, part headers, data with boundary lookalikes,
 * line endings, limits and errors. Every body is also fed cut at every
 * split point, byte by byte and in random chunks, and parsed whole by
 * multipart_parse: all must give the same parts and the same outcome.
 */
#include "arena.h"
#include "check.h"
#include "multipart.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CT "multipart/form-data; boundary=XyZ"

/* What the callbacks saw, written as text so tests compare strings. */
struct log {
	struct buf out;  /* finished parts, then "rc=N err" */
	struct buf data; /* the current part's data */
	char head[512];  /* the current part's headers */
	int in_part;
	/* The begin or end call (counted from 1) that returns non-zero; -1
	 * for every data call; 0 for none. */
	int abort_at;
	int calls;
};

static void
log_escape(struct buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r')
			buf_puts(b, "\\r");
		else if (c == '\n')
			buf_puts(b, "\\n");
		else if (c == '\\')
			buf_puts(b, "\\\\");
		else if (c < 0x20 || c == 0x7f)
			buf_printf(b, "\\x%02x", c);
		else
			buf_append(b, &s[i], 1);
	}
}

static void
log_part(struct buf *b, const char *name, const char *filename,
         const char *type, const char *data, size_t len)
{
	buf_printf(b, "[%s|%s|%s] ", name ? name : "(null)",
	           filename ? filename : "(null)", type ? type : "(null)");
	log_escape(b, data, len);
	buf_puts(b, "\n");
}

static int
log_begin(void *ud, const char *name, const char *filename, const char *type)
{
	struct log *l = ud;

	CHECK(!l->in_part);
	l->in_part = 1;
	snprintf(l->head, sizeof(l->head), "[%s|%s|%s] ",
	         name ? name : "(null)", filename ? filename : "(null)",
	         type ? type : "(null)");
	buf_reset(&l->data);
	return ++l->calls == l->abort_at;
}

static int
log_data(void *ud, const char *data, size_t len)
{
	struct log *l = ud;

	CHECK(l->in_part);
	CHECK(len > 0);
	buf_append(&l->data, data, len);
	/* How data is cut depends on the chunks: never counted. */
	return l->abort_at < 0;
}

static int
log_end(void *ud)
{
	struct log *l = ud;

	CHECK(l->in_part);
	l->in_part = 0;
	buf_puts(&l->out, l->head);
	log_escape(&l->out, l->data.data, l->data.len);
	buf_puts(&l->out, "\n");
	return ++l->calls == l->abort_at;
}

static const struct multipart_callbacks log_cb = {
    .part_begin = log_begin,
    .part_data = log_data,
    .part_end = log_end,
};

/*
 * Feeds body in chunks: cuts[] are the chunk sizes in turn (the last one
 * repeats; 0 means the rest). Returns the malloc'ed log.
 */
static char *
run(const char *ct, const char *body, size_t len,
    const struct multipart_limits *lim, const size_t *cuts, size_t ncuts,
    int abort_at)
{
	struct log l = {.abort_at = abort_at};
	struct multipart *mp;
	char err[200];
	size_t off = 0, i = 0;
	int rc = 0;

	buf_init(&l.out);
	buf_init(&l.data);
	mp = multipart_new(ct, lim, &log_cb, &l, err, sizeof(err));
	if (mp == NULL) {
		buf_printf(&l.out, "new: %s", err);
		goto done;
	}
	while (off < len && rc == 0) {
		size_t n = cuts[i < ncuts ? i : ncuts - 1];

		if (n == 0 || n > len - off)
			n = len - off;
		rc = multipart_feed(mp, body + off, n);
		off += n;
		i++;
	}
	if (rc == 0)
		rc = multipart_finish(mp);
	/* The error stays: feeding more or finishing again repeats it. */
	if (rc < 0) {
		CHECK(multipart_feed(mp, "x", 1) == rc);
		CHECK(multipart_finish(mp) == rc);
	} else {
		CHECK(strcmp(multipart_error(mp), "") == 0);
	}
	buf_printf(&l.out, "rc=%d %s", rc, multipart_error(mp));
	multipart_free(mp);
done:
	buf_free(&l.data);
	return l.out.data;
}

/* The same, with multipart_parse over the whole body. */
static char *
run_whole(const char *ct, const char *body, size_t len,
          const struct multipart_limits *lim)
{
	struct arena a;
	struct multipart_part *parts;
	struct buf b;
	char err[200];
	int n, i;

	arena_init(&a, 0);
	buf_init(&b);
	n = multipart_parse(&a, ct, body, len, lim, &parts, err, sizeof(err));
	if (n == MULTIPART_E_TYPE) {
		buf_printf(&b, "new: %s", err);
	} else if (n < 0) {
		CHECK(parts == NULL);
		buf_printf(&b, "rc=%d %s", n, err);
	} else {
		for (i = 0; i < n; i++) {
			/* The data is a run of the body itself. */
			CHECK(parts[i].data >= body &&
			      parts[i].data + parts[i].len <= body + len);
			log_part(&b, parts[i].name, parts[i].filename,
			         parts[i].content_type, parts[i].data,
			         parts[i].len);
		}
		buf_printf(&b, "rc=0 ");
	}
	arena_free(&a);
	return b.data;
}

/* Strips the finished parts off a log that ends in an error. */
static const char *
log_outcome(const char *log)
{
	const char *rc = strstr(log, "rc=");

	return rc != NULL && strncmp(rc, "rc=0", 4) != 0 ? rc : log;
}

/*
 * Checks body against the expected log, fed whole, at every split point,
 * byte by byte, in random chunks, and through multipart_parse. Returns
 * the number of mismatches (each also counts as a failed CHECK).
 */
static void
expect_n(int line, const char *ct, const char *body, size_t len,
         const struct multipart_limits *lim, const char *want)
{
	size_t whole = 0, one = 1, cut[2], i, r;
	char *got, *got2;
	int bad = 0;

	got = run(ct, body, len, lim, &whole, 1, 0);
	check_count++;
	if (strcmp(got, want) != 0) {
		check_failures++;
		fprintf(stderr,
		        "line %d: whole body:\n  got:  %s\n  want: %s\n", line,
		        got, want);
	}
	for (i = 0; i <= len; i++) {
		cut[0] = i;
		cut[1] = 0;
		got2 = run(ct, body, len, lim, cut, 2, 0);
		if (i > 0 && strcmp(got2, got) != 0 && bad++ == 0)
			fprintf(stderr, "line %d: split at %zu:\n  got:  %s\n",
			        line, i, got2);
		free(got2);
	}
	got2 = run(ct, body, len, lim, &one, 1, 0);
	if (strcmp(got2, got) != 0 && bad++ == 0)
		fprintf(stderr, "line %d: byte by byte:\n  got:  %s\n", line,
		        got2);
	free(got2);
	srand(line);
	for (r = 0; r < 20; r++) {
		size_t cuts[64];

		for (i = 0; i < 64; i++)
			cuts[i] = 1 + (size_t)rand() % 17;
		got2 = run(ct, body, len, lim, cuts, 64, 0);
		if (strcmp(got2, got) != 0 && bad++ == 0)
			fprintf(stderr, "line %d: random chunks:\n  got:  %s\n",
			        line, got2);
		free(got2);
	}
	check_count++;
	if (bad)
		check_failures++;

	/* multipart_parse: the same parts, or the same error. */
	got2 = run_whole(ct, body, len, lim);
	check_count++;
	if (strcmp(got2, log_outcome(got)) != 0) {
		check_failures++;
		fprintf(stderr, "line %d: multipart_parse:\n  got:  %s\n", line,
		        got2);
	}
	free(got2);
	free(got);
}

#define EXPECT(body, want)                                                     \
	expect_n(__LINE__, CT, body, strlen(body), NULL, want)
#define EXPECT_CT(ct, body, want)                                              \
	expect_n(__LINE__, ct, body, strlen(body), NULL, want)
#define EXPECT_LIM(lim, body, want)                                            \
	expect_n(__LINE__, CT, body, strlen(body), lim, want)

static void
test_content_types(void)
{
	static const char body[] = "--a:b\r\n"
	                           "Content-Disposition: form-data; name=x\r\n"
	                           "\r\n"
	                           "1\r\n--a:b--\r\n";
	char b70[71], b71[72], ct[128];

	EXPECT_CT("Multipart/Form-Data; charset=utf-8; boundary=\"a:b\"", body,
	          "[x|(null)|(null)] 1\nrc=0 ");
	EXPECT_CT("multipart/form-data;boundary=a:b", body,
	          "[x|(null)|(null)] 1\nrc=0 ");
	EXPECT_CT("multipart/form-data ; BOUNDARY = a:b ; x=\"y;z\"", body,
	          "[x|(null)|(null)] 1\nrc=0 ");
	/* A quoted boundary may hold what a token may not (RFC 2046). */
	EXPECT_CT("multipart/form-data; boundary=\"gc0p4Jq0M:2Yt08jU534c0p "
	          "(x)\"",
	          "--gc0p4Jq0M:2Yt08jU534c0p (x)\r\n\r\nv\r\n"
	          "--gc0p4Jq0M:2Yt08jU534c0p (x)--",
	          "[(null)|(null)|(null)] v\nrc=0 ");

	EXPECT_CT("text/plain; boundary=a:b", body,
	          "new: Content-Type is not multipart/form-data");
	EXPECT_CT("multipart/mixed; boundary=a:b", body,
	          "new: Content-Type is not multipart/form-data");
	EXPECT_CT("multipart/form-data", body,
	          "new: Content-Type has no boundary");
	EXPECT_CT("multipart/form-data; charset=utf-8", body,
	          "new: Content-Type has no boundary");
	EXPECT_CT("multipart/form-data; boundary=a; boundary=b", body,
	          "new: Content-Type has two boundaries");
	EXPECT_CT("multipart/form-data; boundary=\"a:b", body,
	          "new: Content-Type parameters are malformed");
	EXPECT_CT("multipart/form-data; boundary", body,
	          "new: Content-Type parameters are malformed");
	EXPECT_CT("", body, "new: Content-Type is not multipart/form-data");
	EXPECT_CT(NULL, body, "new: no Content-Type");

	memset(b70, 'b', 70);
	b70[70] = '\0';
	memset(b71, 'b', 71);
	b71[71] = '\0';
	snprintf(ct, sizeof(ct), "multipart/form-data; boundary=%s", b70);
	{
		char big[256];

		snprintf(big, sizeof(big), "--%s\r\n\r\nok\r\n--%s--", b70,
		         b70);
		EXPECT_CT(ct, big, "[(null)|(null)|(null)] ok\nrc=0 ");
	}
	snprintf(ct, sizeof(ct), "multipart/form-data; boundary=%s", b71);
	EXPECT_CT(ct, body,
	          "new: multipart boundary must be 1-70 printable ASCII "
	          "characters not ending in a space");
	EXPECT_CT("multipart/form-data; boundary=\"\"", body,
	          "new: multipart boundary must be 1-70 printable ASCII "
	          "characters not ending in a space");
	EXPECT_CT("multipart/form-data; boundary=\"ab \"", body,
	          "new: multipart boundary must be 1-70 printable ASCII "
	          "characters not ending in a space");
	EXPECT_CT("multipart/form-data; boundary=\"a\xe5\xad\xa6\"", body,
	          "new: multipart boundary must be 1-70 printable ASCII "
	          "characters not ending in a space");
}

static void
test_basic(void)
{
	/* What a browser sends for a text field and a file. */
	EXPECT("--XyZ\r\n"
	       "Content-Disposition: form-data; name=\"title\"\r\n"
	       "\r\n"
	       "Hello, 家校\r\n"
	       "--XyZ\r\n"
	       "Content-Disposition: form-data; name=\"file\"; "
	       "filename=\"a.csv\"\r\n"
	       "Content-Type: text/csv\r\n"
	       "\r\n"
	       "id,name\r\n1,张三\r\n"
	       "\r\n--XyZ--\r\n",
	       "[title|(null)|(null)] Hello, 家校\n"
	       "[file|a.csv|text/csv] id,name\\r\\n1,张三\\r\\n\n"
	       "rc=0 ");
	/* Three parts, one of them empty, one with no headers at all. */
	EXPECT("--XyZ\r\n"
	       "Content-Disposition: form-data; name=a\r\n\r\n"
	       "\r\n--XyZ\r\n"
	       "\r\n"
	       "anonymous\r\n--XyZ\r\n"
	       "Content-Disposition: form-data; name=\"\"\r\n\r\n"
	       "z\r\n--XyZ--",
	       "[a|(null)|(null)] \n"
	       "[(null)|(null)|(null)] anonymous\n"
	       "[|(null)|(null)] z\n"
	       "rc=0 ");
	/* Many parts (multipart_parse grows its array). */
	EXPECT("--XyZ\r\n\r\n0\r\n--XyZ\r\n\r\n1\r\n--XyZ\r\n\r\n2\r\n"
	       "--XyZ\r\n\r\n3\r\n--XyZ\r\n\r\n4\r\n--XyZ\r\n\r\n5\r\n"
	       "--XyZ\r\n\r\n6\r\n--XyZ\r\n\r\n7\r\n--XyZ\r\n\r\n8\r\n"
	       "--XyZ\r\n\r\n9\r\n--XyZ--",
	       "[(null)|(null)|(null)] 0\n[(null)|(null)|(null)] 1\n"
	       "[(null)|(null)|(null)] 2\n[(null)|(null)|(null)] 3\n"
	       "[(null)|(null)|(null)] 4\n[(null)|(null)|(null)] 5\n"
	       "[(null)|(null)|(null)] 6\n[(null)|(null)|(null)] 7\n"
	       "[(null)|(null)|(null)] 8\n[(null)|(null)|(null)] 9\n"
	       "rc=0 ");
	/* A part with a Content-Disposition but no name. */
	EXPECT("--XyZ\r\nContent-Disposition: form-data\r\n\r\nq\r\n--XyZ--",
	       "[(null)|(null)|(null)] q\nrc=0 ");
	/* No parts at all. */
	EXPECT("--XyZ--\r\n", "rc=0 ");
	/* Transport padding after a boundary. */
	EXPECT("--XyZ \t\r\n\r\nv\r\n--XyZ\t\n\r\nw\r\n--XyZ--  \r\n",
	       "[(null)|(null)|(null)] v\n[(null)|(null)|(null)] w\nrc=0 ");
}

static void
test_preamble_epilogue(void)
{
	EXPECT("This is the preamble. --XyZ is not at a line start.\r\n"
	       "--Xy is not the boundary either\r\n"
	       "--XyZ\r\n\r\nbody\r\n--XyZ--\r\n"
	       "This is the epilogue. \r\n--XyZ\r\nignored\r\n",
	       "[(null)|(null)|(null)] body\nrc=0 ");
	/* A preamble line that starts like the delimiter, then is not. */
	EXPECT("\r\n--Xy\r\n--XyZ\r\n\r\nb\r\n--XyZ--",
	       "[(null)|(null)|(null)] b\nrc=0 ");
	EXPECT("--XyZ--garbage after the close delimiter", "rc=0 ");
}

static void
test_line_endings(void)
{
	/* Bare LF everywhere. */
	EXPECT("--XyZ\n"
	       "Content-Disposition: form-data; name=a\n"
	       "\n"
	       "one\ntwo\n"
	       "--XyZ\n"
	       "Content-Disposition: form-data; name=b\n"
	       "\n"
	       "\n"
	       "--XyZ--\n",
	       "[a|(null)|(null)] one\\ntwo\n[b|(null)|(null)] \nrc=0 ");
	/* Mixed: the CR before a delimiter belongs to it, the others are
	 * data. */
	EXPECT("--XyZ\r\n"
	       "Content-Disposition: form-data; name=a\n"
	       "\r\n"
	       "\r\r\n\r"
	       "\n--XyZ--",
	       "[a|(null)|(null)] \\r\\r\\n\nrc=0 ");
	EXPECT("--XyZ\r\n\r\n\r\r\r\n--XyZ--",
	       "[(null)|(null)|(null)] \\r\\r\nrc=0 ");
}

static void
test_disposition(void)
{
	/* Quoted parameters holding ';', '=' and escaped quotes. */
	EXPECT("--XyZ\r\n"
	       "Content-Disposition: form-data; name=\"a;b=c\"; "
	       "filename=\"say \\\"hi\\\"; ok.txt\"\r\n"
	       "\r\nx\r\n--XyZ--",
	       "[a;b=c|say \"hi\"; ok.txt|(null)] x\nrc=0 ");
	/* A Windows path with bare backslashes stays as sent. */
	EXPECT("--XyZ\r\n"
	       "Content-Disposition: form-data; name=f; "
	       "filename=\"C:\\Users\\li\\a\\\\b.txt\"\r\n"
	       "\r\nx\r\n--XyZ--",
	       "[f|C:\\Users\\li\\a\\b.txt|(null)] x\nrc=0 ");
	/* A Chinese file name in raw UTF-8, as browsers send it. */
	EXPECT("--XyZ\r\n"
	       "Content-Disposition: form-data; name=\"file\"; "
	       "filename=\"学生名单.xlsx\"\r\n"
	       "Content-Type: application/vnd.openxmlformats-officedocument."
	       "spreadsheetml.sheet\r\n"
	       "\r\nPK\x03\x04\r\n--XyZ--",
	       "[file|学生名单.xlsx|application/vnd.openxmlformats-"
	       "officedocument.spreadsheetml.sheet] PK\\x03\\x04\nrc=0 ");
	/* RFC 5987: filename* is decoded and wins over filename. */
	EXPECT("--XyZ\r\n"
	       "Content-Disposition: form-data; name=\"file\"; "
	       "filename=\"fallback.xlsx\"; "
	       "filename*=UTF-8''%E5%AD%A6%E7%94%9F%E5%90%8D%E5%8D%95.xlsx\r\n"
	       "\r\nx\r\n--XyZ--",
	       "[file|学生名单.xlsx|(null)] x\nrc=0 ");
	EXPECT("--XyZ\r\n"
	       "Content-Disposition: form-data; "
	       "filename*=utf-8'zh-CN'%e5%ad%a6.txt; name*=UTF-8''n%41me\r\n"
	       "\r\nx\r\n--XyZ--",
	       "[nAme|学.txt|(null)] x\nrc=0 ");
	/* A broken or foreign filename* falls back to filename. */
	EXPECT("--XyZ\r\n"
	       "Content-Disposition: form-data; name=f; filename=plain.txt; "
	       "filename*=UTF-8''bad%zz\r\n\r\nx\r\n--XyZ--",
	       "[f|plain.txt|(null)] x\nrc=0 ");
	EXPECT("--XyZ\r\n"
	       "Content-Disposition: form-data; name=f; filename=plain.txt; "
	       "filename*=ISO-8859-1''caf%E9\r\n\r\nx\r\n--XyZ--",
	       "[f|plain.txt|(null)] x\nrc=0 ");
	EXPECT("--XyZ\r\n"
	       "Content-Disposition: form-data; name=f; "
	       "filename*=UTF-8''a%00b\r\n\r\nx\r\n--XyZ--",
	       "[f|(null)|(null)] x\nrc=0 ");
	EXPECT("--XyZ\r\n"
	       "Content-Disposition: form-data; name=f; filename*=nothing\r\n"
	       "\r\nx\r\n--XyZ--",
	       "[f|(null)|(null)] x\nrc=0 ");
	/* An unquoted value runs to the ';', trimmed. */
	EXPECT("--XyZ\r\n"
	       "Content-Disposition: form-data;name=f ; filename= my file.txt"
	       " \r\n\r\nx\r\n--XyZ--",
	       "[f|my file.txt|(null)] x\nrc=0 ");
	/* Empty and unknown parameters are skipped. */
	EXPECT("--XyZ\r\n"
	       "Content-Disposition: form-data;; name=a; ; size=10; "
	       "creation-date=\"Wed, 12 Feb 1997 16:29:51 -0500\";\r\n"
	       "\r\nx\r\n--XyZ--",
	       "[a|(null)|(null)] x\nrc=0 ");
	/* Header names are case-insensitive; unknown headers ignored. */
	EXPECT("--XyZ\r\n"
	       "CONTENT-DISPOSITION: FORM-DATA; NAME=\"n\"; FileName=\"f\"\r\n"
	       "content-type:   text/plain; charset=utf-8  \r\n"
	       "X-Other: whatever: really\r\n"
	       "content-transfer-encoding: binary\r\n"
	       "\r\nx\r\n--XyZ--",
	       "[n|f|text/plain; charset=utf-8] x\nrc=0 ");
	/* Folded header lines are joined. */
	EXPECT("--XyZ\r\n"
	       "Content-Disposition: form-data;\r\n"
	       " name=\"folded\";\r\n"
	       "\t filename=\"f.txt\"\r\n"
	       "Content-Type:\r\n text/plain\r\n"
	       "\r\nx\r\n--XyZ--",
	       "[folded|f.txt|text/plain] x\nrc=0 ");

	/* Ambiguous or broken headers are refused. */
	EXPECT("--XyZ\r\n"
	       "Content-Disposition: form-data; name=a; name=b\r\n"
	       "\r\nx\r\n--XyZ--",
	       "rc=-1 part header has two name parameters");
	EXPECT("--XyZ\r\n"
	       "Content-Disposition: form-data; name=a\r\n"
	       "Content-Disposition: form-data; name=b\r\n"
	       "\r\nx\r\n--XyZ--",
	       "rc=-1 part has two Content-Disposition headers");
	EXPECT("--XyZ\r\n"
	       "Content-Type: a\r\nContent-Type: b\r\n\r\nx\r\n--XyZ--",
	       "rc=-1 part has two Content-Type headers");
	EXPECT("--XyZ\r\n"
	       "Content-Disposition: form-data; name=\"open\r\n"
	       "\r\nx\r\n--XyZ--",
	       "rc=-1 part Content-Disposition is malformed");
	EXPECT("--XyZ\r\n"
	       "Content-Disposition: form-data; name=\"a\"b\r\n"
	       "\r\nx\r\n--XyZ--",
	       "rc=-1 part Content-Disposition is malformed");
	EXPECT("--XyZ\r\n"
	       "Content-Disposition: form-data; name\r\n"
	       "\r\nx\r\n--XyZ--",
	       "rc=-1 part Content-Disposition is malformed");
	EXPECT("--XyZ\r\n"
	       "Content-Disposition: form-data; =x\r\n"
	       "\r\nx\r\n--XyZ--",
	       "rc=-1 part Content-Disposition is malformed");
	EXPECT("--XyZ\r\n"
	       "no colon here\r\n\r\nx\r\n--XyZ--",
	       "rc=-1 part header line is not \"Name: value\"");
	EXPECT("--XyZ\r\n"
	       "Bad Name: x\r\n\r\nx\r\n--XyZ--",
	       "rc=-1 part header line is not \"Name: value\"");
	EXPECT("--XyZ\r\n"
	       " folded: first\r\n\r\nx\r\n--XyZ--",
	       "rc=-1 part headers start with a folded line");
	expect_n(__LINE__, CT,
	         "--XyZ\r\nContent-Type: a\0b\r\n\r\nx\r\n--XyZ--", 38, NULL,
	         "rc=-1 part header holds a NUL byte");
}

static void
test_lookalikes(void)
{
	static const char bin[] = "--XyZ\r\n"
	                          "Content-Disposition: form-data; name=bin\r\n"
	                          "\r\n"
	                          "--\r\n--\r\n-X\r\n--X\r\n--Xy\r\n"
	                          "\0\r\n\0--XyZ\n-\r-\r\n\r\n-"
	                          "\r\n--XyZ--";

	/* Data full of "--" and of the delimiter's beginnings. */
	expect_n(__LINE__, CT, bin, sizeof(bin) - 1, NULL,
	         "[bin|(null)|(null)] --\\r\\n--\\r\\n-X\\r\\n--X\\r\\n--Xy"
	         "\\r\\n\\x00\\r\\n\\x00--XyZ\\n-\\r-\\r\\n\\r\\n-\n"
	         "rc=0 ");
	/* The delimiter inside a longer line is not a delimiter... */
	EXPECT("--XyZ\r\n\r\na--XyZ\r\n--XyZ--",
	       "[(null)|(null)|(null)] a--XyZ\nrc=0 ");
	/* ...but at a line start the boundary need not fill the line
	 * (RFC 2046), and must then be followed by "--", spaces or the line
	 * end: anything else is an error, not data. */
	EXPECT("--XyZ\r\n\r\na\r\n--XyZa\r\n--XyZ--",
	       "[(null)|(null)|(null)] a\n"
	       "rc=-1 multipart boundary is followed by other characters");
	EXPECT("--XyZ\r\n\r\na\r\n--XyZ-x\r\n--XyZ--",
	       "[(null)|(null)|(null)] a\n"
	       "rc=-1 multipart boundary is followed by other characters");
	EXPECT("--XyZ\r\n\r\na\r\n--XyZ \rx\r\n--XyZ--",
	       "[(null)|(null)|(null)] a\n"
	       "rc=-1 multipart boundary is followed by other characters");
	EXPECT("--XyZx\r\n",
	       "rc=-1 multipart boundary is followed by other characters");
	/* A boundary that is a run of dashes, as some clients use. */
	EXPECT_CT("multipart/form-data; boundary=------",
	          "--------\r\n\r\n-----\r\n-------\n-------x\r\n"
	          "----------",
	          "[(null)|(null)|(null)] -----\\r\\n-------\\n-------x\n"
	          "rc=0 ");
	EXPECT_CT("multipart/form-data; boundary=------",
	          "--------\r\n\r\n-\r\n---------x",
	          "[(null)|(null)|(null)] -\n"
	          "rc=-1 multipart boundary is followed by other characters");
}

static void
test_truncated(void)
{
	EXPECT("", "rc=-1 multipart body has no boundary");
	EXPECT("just text", "rc=-1 multipart body has no boundary");
	EXPECT("--XyZ",
	       "rc=-1 multipart body ends before its closing boundary");
	EXPECT("--XyZ\r\nContent-Disposition: form-data; name=a\r\n",
	       "rc=-1 multipart body ends before its closing boundary");
	/* The part ended, but the body ends before "--". */
	EXPECT("--XyZ\r\n\r\ndata\r\n--XyZ\r\n",
	       "[(null)|(null)|(null)] data\n"
	       "rc=-1 multipart body ends before its closing boundary");
	EXPECT("--XyZ\r\n\r\ndata\r\n--XyZ-",
	       "[(null)|(null)|(null)] data\n"
	       "rc=-1 multipart body ends before its closing boundary");
	EXPECT("--XyZ\r\n\r\ndata\r\n--Xy",
	       "rc=-1 multipart body ends before its closing boundary");
	EXPECT("--XyZ\r\n\r\ndata",
	       "rc=-1 multipart body ends before its closing boundary");
}

static void
test_limits(void)
{
	struct multipart_limits lim = {0};
	static const char three[] = "--XyZ\r\n\r\na\r\n"
	                            "--XyZ\r\n\r\nbb\r\n"
	                            "--XyZ\r\n\r\nccc\r\n--XyZ--";

	lim.max_parts = 3;
	EXPECT_LIM(&lim, three,
	           "[(null)|(null)|(null)] a\n[(null)|(null)|(null)] bb\n"
	           "[(null)|(null)|(null)] ccc\nrc=0 ");
	lim.max_parts = 2;
	EXPECT_LIM(&lim, three,
	           "[(null)|(null)|(null)] a\n[(null)|(null)|(null)] bb\n"
	           "rc=-2 more than 2 parts");

	/* A part's data: 3 bytes fit, 2 do not. */
	lim.max_parts = 0;
	lim.max_part_bytes = 3;
	EXPECT_LIM(&lim, three,
	           "[(null)|(null)|(null)] a\n[(null)|(null)|(null)] bb\n"
	           "[(null)|(null)|(null)] ccc\nrc=0 ");
	lim.max_part_bytes = 2;
	EXPECT_LIM(&lim, three,
	           "[(null)|(null)|(null)] a\n[(null)|(null)|(null)] bb\n"
	           "rc=-2 a part is larger than 2 bytes");

	/* The whole body, epilogue included. */
	lim.max_part_bytes = 0;
	lim.max_body_bytes = sizeof(three) - 1;
	EXPECT_LIM(&lim, three,
	           "[(null)|(null)|(null)] a\n[(null)|(null)|(null)] bb\n"
	           "[(null)|(null)|(null)] ccc\nrc=0 ");
	lim.max_body_bytes = sizeof(three) - 2;
	EXPECT_LIM(&lim, three,
	           "[(null)|(null)|(null)] a\n[(null)|(null)|(null)] bb\n"
	           "[(null)|(null)|(null)] ccc\n"
	           "rc=-2 multipart body is larger than 45 bytes");
	lim.max_body_bytes = 20;
	EXPECT_LIM(&lim, three,
	           "[(null)|(null)|(null)] a\n"
	           "rc=-2 multipart body is larger than 20 bytes");

	/* A part's header block, CRLFs included: 40 + 2 bytes here. */
	lim.max_body_bytes = 0;
	lim.max_part_header_bytes = 42;
	EXPECT_LIM(&lim,
	           "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n"
	           "x\r\n--XyZ--",
	           "[a|(null)|(null)] x\nrc=0 ");
	lim.max_part_header_bytes = 41;
	EXPECT_LIM(&lim,
	           "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n"
	           "x\r\n--XyZ--",
	           "rc=-2 a part's headers are larger than 41 bytes");
}

static void
test_default_limits(void)
{
	struct multipart *mp;
	char err[200], line[64];
	int rc = 0;
	size_t i;

	/* An endless header line stops at the default header limit. */
	mp = multipart_new(CT, NULL, NULL, NULL, err, sizeof(err));
	CHECK(mp != NULL);
	CHECK(multipart_feed(mp, "--XyZ\r\nX-Long: ", 15) == 0);
	memset(line, 'a', sizeof(line));
	for (i = 0; i < 1000 && rc == 0; i++)
		rc = multipart_feed(mp, line, sizeof(line));
	CHECK(rc == MULTIPART_E_LIMIT);
	/* "X-Long: " and 127 lines of 64 fit in 8192 bytes, not 128. */
	CHECK(i == 128);
	CHECK_STR(multipart_error(mp),
	          "a part's headers are larger than 8192 bytes");
	multipart_free(mp);

	/* Endless empty parts stop at the default part count. */
	mp = multipart_new(CT, NULL, NULL, NULL, err, sizeof(err));
	CHECK(mp != NULL);
	rc = 0;
	for (i = 0; i < 2000 && rc == 0; i++)
		rc = multipart_feed(mp, "--XyZ\r\n\r\n\r\n", 11);
	CHECK(rc == MULTIPART_E_LIMIT);
	/* Feed N opens part N: the 1001st fails. */
	CHECK(i == MULTIPART_DEFAULT_MAX_PARTS + 1);
	CHECK_STR(multipart_error(mp), "more than 1000 parts");
	multipart_free(mp);
}

static void
test_abort(void)
{
	static const char body[] = "--XyZ\r\n\r\nab\r\n--XyZ\r\n\r\ncd"
	                           "\r\n--XyZ--";
	static const char *const want[] = {
	    "rc=-3 multipart upload aborted",
	    "[(null)|(null)|(null)] ab\nrc=-3 multipart upload aborted",
	    "[(null)|(null)|(null)] ab\nrc=-3 multipart upload aborted",
	    ("[(null)|(null)|(null)] ab\n[(null)|(null)|(null)] cd\n"
	     "rc=-3 multipart upload aborted"),
	    "[(null)|(null)|(null)] ab\n[(null)|(null)|(null)] cd\nrc=0 ",
	};
	size_t whole = 0, one = 1;
	char *got, *got1;
	int at;

	/* Each callback in turn aborts: the parse stops right there,
	 * however the body is cut. */
	for (at = 1; at <= 5; at++) {
		got = run(CT, body, sizeof(body) - 1, NULL, &whole, 1, at);
		got1 = run(CT, body, sizeof(body) - 1, NULL, &one, 1, at);
		CHECK_STR(got, want[at - 1]);
		CHECK_STR(got1, want[at - 1]);
		free(got);
		free(got1);
	}
	got = run(CT, body, sizeof(body) - 1, NULL, &one, 1, -1);
	CHECK_STR(got, "rc=-3 multipart upload aborted");
	free(got);
}

struct count {
	size_t parts, bytes;
};

static int
count_data(void *ud, const char *data, size_t len)
{
	((struct count *)ud)->bytes += len;
	return 0;
}

static int
count_end(void *ud)
{
	((struct count *)ud)->parts++;
	return 0;
}

/* Feeds a generated part in chunks of n bytes: data repeats pat. */
static int
feed_pattern(const char *pat, size_t patlen, size_t total, size_t chunk,
             struct count *c)
{
	static const struct multipart_callbacks cb = {
	    .part_data = count_data,
	    .part_end = count_end,
	};
	struct multipart_limits lim = {.max_body_bytes = total + 100,
	                               .max_part_bytes = total};
	struct multipart *mp;
	char *buf, err[200];
	size_t off;
	int rc;

	mp = multipart_new(CT, &lim, &cb, c, err, sizeof(err));
	buf = malloc(chunk);
	for (off = 0; off < chunk; off++)
		buf[off] = pat[off % patlen];
	rc = multipart_feed(mp, "--XyZ\r\n\r\n", 9);
	for (off = 0; off < total && rc == 0; off += chunk)
		rc = multipart_feed(mp, buf, chunk);
	if (rc == 0)
		rc = multipart_feed(mp, "\r\n--XyZ--", 9);
	if (rc == 0)
		rc = multipart_finish(mp);
	free(buf);
	multipart_free(mp);
	return rc;
}

static void
test_adversarial(void)
{
	struct count c;
	clock_t t0 = clock();
	/* Each pattern keeps the parser holding back and giving back; the
	 * chunk sizes (multiples of every pattern length) keep the data
	 * whole. */
	static const char *const pats[] = {"\r\n-", "\r\n--XyY", "\r\n--Xy",
	                                   "\r",    "\n",        "-"};
	size_t i, total = 8 * 3 * 5 * 7 * 1024; /* 840 KiB */

	for (i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
		memset(&c, 0, sizeof(c));
		CHECK(feed_pattern(pats[i], strlen(pats[i]), total * 8, total,
		                   &c) == 0);
		CHECK(c.parts == 1);
		CHECK(c.bytes == total * 8);
	}
	/* About 40 MiB through the parser: linear time is well under
	 * this bound even with sanitizers; quadratic would never end. */
	CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 20.0);

	/* A 20 MiB upload fits the default limits; one byte more does
	 * not. */
	memset(&c, 0, sizeof(c));
	CHECK(feed_pattern("0123456789abcdef", 16,
	                   MULTIPART_DEFAULT_MAX_PART_BYTES, 65536, &c) == 0);
	CHECK(c.bytes == MULTIPART_DEFAULT_MAX_PART_BYTES);
}

static void
test_parse_points_into_body(void)
{
	static const char body[] = "--XyZ\r\n"
	                           "Content-Disposition: form-data; name=a\r\n"
	                           "\r\nvalue\r\n--XyZ\r\n"
	                           "Content-Disposition: form-data; name=b\r\n"
	                           "\r\n\r\n--XyZ--";
	struct arena a;
	struct multipart_part *parts;
	char err[200];
	int n;

	arena_init(&a, 0);
	n = multipart_parse(&a, CT, body, sizeof(body) - 1, NULL, &parts, err,
	                    sizeof(err));
	CHECK(n == 2);
	if (n == 2) {
		CHECK_STR(parts[0].name, "a");
		CHECK(parts[0].filename == NULL);
		CHECK(parts[0].content_type == NULL);
		CHECK(parts[0].data == strstr(body, "value"));
		CHECK(parts[0].len == 5 &&
		      memcmp(parts[0].data, "value", 5) == 0);
		CHECK_STR(parts[1].name, "b");
		CHECK(parts[1].len == 0);
	}
	n = multipart_parse(&a, "text/plain", body, sizeof(body) - 1, NULL,
	                    &parts, err, sizeof(err));
	CHECK(n == MULTIPART_E_TYPE);
	CHECK(parts == NULL);
	CHECK_STR(err, "Content-Type is not multipart/form-data");
	n = multipart_parse(&a, CT, body, 30, NULL, &parts, err, sizeof(err));
	CHECK(n == MULTIPART_E_SYNTAX);
	CHECK_STR(err, "multipart body ends before its closing boundary");
	arena_free(&a);
	multipart_free(NULL);
}

int
main(void)
{
	test_content_types();
	test_basic();
	test_preamble_epilogue();
	test_line_endings();
	test_disposition();
	test_lookalikes();
	test_truncated();
	test_limits();
	test_default_limits();
	test_abort();
	test_adversarial();
	test_parse_points_into_body();
	return check_done();
}
