/*
 * fuzz_multipart.c — fuzzes the multipart/form-data parser.
 *
 * The input's first line is the request's Content-Type when it mentions
 * "boundary" (the rest is the body); otherwise the whole input is a body
 * under a fixed boundary. The body is parsed three ways: fed whole, fed
 * in chunks of sizes drawn from the input's hash, and by multipart_parse.
 * The two feeds must see the same finished parts and the same outcome
 * (that is the parser's promise: chunking changes nothing), and
 * multipart_parse must return those parts or that error.
 */
#include "arena.h"
#include "multipart.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CT "multipart/form-data; boundary=fuzzbound"

/* The finished parts, flattened, and what the current one holds so far. */
struct fuzz_log {
	struct buf parts;
	struct buf cur;
	int in_part;
};

static void
fuzz_str(struct buf *b, const char *s)
{
	/* '\1' marks NULL, '\2' a string, which then runs to its NUL. */
	buf_append(b, s == NULL ? "\1" : "\2", 1);
	if (s != NULL)
		buf_append(b, s, strlen(s) + 1);
}

static void
fuzz_part(struct buf *b, const char *name, const char *filename,
          const char *type, const char *data, size_t len)
{
	fuzz_str(b, name);
	fuzz_str(b, filename);
	fuzz_str(b, type);
	buf_append(b, &len, sizeof(len));
	buf_append(b, data, len);
}

static int
fuzz_begin(void *ud, const char *name, const char *filename, const char *type)
{
	struct fuzz_log *l = ud;

	if (l->in_part)
		abort(); /* a part began inside another */
	l->in_part = 1;
	buf_reset(&l->cur);
	fuzz_str(&l->cur, name);
	fuzz_str(&l->cur, filename);
	fuzz_str(&l->cur, type);
	/* The length comes at part_end: keep a slot. */
	buf_append(&l->cur, &(size_t){0}, sizeof(size_t));
	return 0;
}

static int
fuzz_data(void *ud, const char *data, size_t len)
{
	struct fuzz_log *l = ud;

	if (!l->in_part || len == 0)
		abort();
	buf_append(&l->cur, data, len);
	return 0;
}

static int
fuzz_end(void *ud)
{
	struct fuzz_log *l = ud;
	size_t hdr, len;

	if (!l->in_part)
		abort();
	l->in_part = 0;
	/* Three marked strings, then the length slot. */
	hdr = 0;
	for (int i = 0; i < 3; i++)
		hdr += l->cur.data[hdr] == '\1'
		           ? 1
		           : 2 + strlen(l->cur.data + hdr + 1);
	len = l->cur.len - hdr - sizeof(size_t);
	memcpy(l->cur.data + hdr, &len, sizeof(len));
	buf_append(&l->parts, l->cur.data, l->cur.len);
	return 0;
}

static const struct multipart_callbacks fuzz_cb = {
    .part_begin = fuzz_begin,
    .part_data = fuzz_data,
    .part_end = fuzz_end,
};

static int
fuzz_same(const struct buf *x, const struct buf *y)
{
	return x->len == y->len &&
	       (x->len == 0 || memcmp(x->data, y->data, x->len) == 0);
}

static uint64_t
fuzz_rand(uint64_t *s)
{
	/* xorshift64: chunk sizes that are a function of the input. */
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Feeds body in chunks (all of it at once when seed is NULL). */
static int
fuzz_feed(const char *ct, const struct multipart_limits *lim, const char *body,
          size_t len, uint64_t *seed, struct fuzz_log *l, char *err,
          size_t errlen)
{
	struct multipart *mp;
	size_t off = 0;
	int rc = 0;

	buf_init(&l->parts);
	buf_init(&l->cur);
	l->in_part = 0;
	mp = multipart_new(ct, lim, &fuzz_cb, l, err, errlen);
	if (mp == NULL)
		return MULTIPART_E_TYPE;
	while (off < len && rc == 0) {
		size_t n = len - off;

		if (seed != NULL) {
			uint64_t r = fuzz_rand(seed);

			n = (r & 7) ? 1 + (r >> 8) % 16 : 1 + (r >> 8) % 700;
			if (n > len - off)
				n = len - off;
		}
		rc = multipart_feed(mp, body + off, n);
		off += n;
	}
	if (rc == 0)
		rc = multipart_finish(mp);
	snprintf(err, errlen, "%s", multipart_error(mp));
	if ((rc < 0) != (err[0] != '\0'))
		abort(); /* an error without a message, or the reverse */
	multipart_free(mp);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data, *body = in, *nl;
	char ct[300], err1[200], err2[200], err3[200];
	struct multipart_limits lim = {0}, *limp = NULL;
	struct fuzz_log whole, chunked;
	struct multipart_part *parts;
	struct arena a;
	struct buf flat;
	uint64_t h = 1469598103934665603ULL, seed;
	size_t len = size, i;
	int rc1, rc2, rc3;

	snprintf(ct, sizeof(ct), "%s", FUZZ_CT);
	nl = memchr(in, '\n', size < 256 ? size : 256);
	if (nl != NULL && memmem(in, (size_t)(nl - in), "boundary", 8)) {
		size_t n = (size_t)(nl - in);

		if (n > 0 && in[n - 1] == '\r')
			n--;
		memcpy(ct, in, n);
		ct[n] = '\0'; /* a NUL inside just cuts it shorter */
		body = nl + 1;
		len = size - (size_t)(body - in);
	}

	for (i = 0; i < size; i++)
		h = (h ^ data[i]) * 1099511628211ULL;
	seed = h | 1;
	/* Small limits a quarter of the time, each one on its own. */
	if ((h >> 62) == 0) {
		if (h & 1)
			lim.max_parts = 1 + (h >> 1) % 4;
		if (h & 8)
			lim.max_part_header_bytes = 1 + (h >> 4) % 128;
		if (h & 0x100)
			lim.max_body_bytes = 1 + (h >> 12) % (len + 8);
		if (h & 0x200000)
			lim.max_part_bytes = 1 + (h >> 22) % 64;
		limp = &lim;
	}

	rc1 = fuzz_feed(ct, limp, body, len, NULL, &whole, err1, sizeof(err1));
	rc2 =
	    fuzz_feed(ct, limp, body, len, &seed, &chunked, err2, sizeof(err2));
	if (rc1 != rc2 || strcmp(err1, err2) != 0 ||
	    !fuzz_same(&whole.parts, &chunked.parts)) {
		fprintf(stderr, "whole: %d %s; chunked: %d %s\n", rc1, err1,
		        rc2, err2);
		abort();
	}

	arena_init(&a, 0);
	buf_init(&flat);
	rc3 = multipart_parse(&a, ct, body, len, limp, &parts, err3,
	                      sizeof(err3));
	if (rc3 >= 0) {
		for (i = 0; i < (size_t)rc3; i++) {
			if (parts[i].len > 0 &&
			    (parts[i].data < body ||
			     parts[i].data + parts[i].len > body + len))
				abort(); /* the data must be a run of the body
				          */
			fuzz_part(&flat, parts[i].name, parts[i].filename,
			          parts[i].content_type, parts[i].data,
			          parts[i].len);
		}
		rc3 = 0;
	} else if (parts != NULL) {
		abort();
	}
	if (rc3 != rc1 || strcmp(err3, rc1 < 0 ? err1 : "") != 0 ||
	    (rc1 == 0 && !fuzz_same(&flat, &whole.parts))) {
		fprintf(stderr, "parse: %d %s; feed: %d %s\n", rc3, err3, rc1,
		        err1);
		abort();
	}

	buf_free(&flat);
	arena_free(&a);
	buf_free(&whole.parts);
	buf_free(&whole.cur);
	buf_free(&chunked.parts);
	buf_free(&chunked.cur);
	return 0;
}
