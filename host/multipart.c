/*
 * multipart.c — the streaming multipart/form-data parser: the request's
 * Content-Type and boundary, the delimiter scan, part headers
 * (Content-Disposition with quoted and RFC 5987 parameters), limits, and
 * multipart_parse over a whole body.
 *
 * The body is scanned for the delimiter "\n--boundary" (a CR before it
 * belongs to it as well, so CRLF and bare LF both work). Bytes that might
 * start a delimiter are not copied: since a boundary holds no CR or LF,
 * they are always "an optional CR, then the first `match` bytes of the
 * delimiter", and are given back from the delimiter string itself when
 * they turn out to be data. Nothing but a part's header block is ever
 * buffered, and every input byte is looked at a bounded number of times.
 */
#include "multipart.h"

#include "arena.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MULTIPART_BOUNDARY_MAX 70

enum multipart_state {
	MP_PREAMBLE, /* before the first delimiter: bytes are dropped */
	MP_BODY,     /* a part's data */
	MP_DELIM,    /* just after "--boundary" */
	MP_DASH,     /* after "--boundary-": the second '-' must follow */
	MP_PAD,      /* transport padding (spaces, tabs) after the boundary */
	MP_CR,       /* a CR ended the boundary line: LF must follow */
	MP_HEADERS,  /* a part's header block */
	MP_EPILOGUE, /* after the close delimiter: bytes are dropped */
	MP_ERROR,
};

struct multipart {
	enum multipart_state state;
	int error;
	struct multipart_limits lim;
	struct multipart_callbacks cb;
	void *ud;

	/* "\n--" boundary; delim_len is at most 3 + 70. */
	char delim[3 + MULTIPART_BOUNDARY_MAX + 1];
	size_t delim_len;
	/* Held back: a CR (cr) and then delim[0..match). */
	int cr;
	size_t match;

	/* The current part's header block, up to lim.max_part_header_bytes. */
	char *hdr;
	size_t hdr_len, hdr_cap, line_start;

	size_t fed;        /* bytes fed so far, for the body limit */
	size_t parts;      /* parts begun */
	size_t part_bytes; /* data bytes of the current part */
	/* Offset in the body of the current part's first data byte, for
	 * multipart_parse (whose parts point into the body). */
	size_t part_offset;

	char err[160];
};

static void multipart_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
multipart_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Puts the parser in the error state; the first error is the one kept. */
static int multipart_fail(struct multipart *mp, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
multipart_fail(struct multipart *mp, int code, const char *fmt, ...)
{
	va_list ap;

	if (mp->state == MP_ERROR)
		return mp->error;
	va_start(ap, fmt);
	vsnprintf(mp->err, sizeof(mp->err), fmt, ap);
	va_end(ap);
	mp->state = MP_ERROR;
	mp->error = code;
	return code;
}

/* ---- header values: types and parameters ---------------------------- */

static int
multipart_is_ws(char c)
{
	return c == ' ' || c == '\t';
}

static char *
multipart_skip_ws(char *s)
{
	while (multipart_is_ws(*s))
		s++;
	return s;
}

/* RFC 7230 tchar: the characters of header names and parameter names. */
static int
multipart_is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/*
 * Cuts the leading type ("multipart/form-data", "form-data") off a header
 * value, in place: NUL-terminates it, trimmed, and leaves *sp at the
 * parameters.
 */
static char *
multipart_type_cut(char **sp)
{
	char *s = multipart_skip_ws(*sp), *e = s, *t;

	while (*e != '\0' && *e != ';')
		e++;
	*sp = e;
	if (*e == ';')
		*sp = e + 1;
	t = e;
	while (t > s && multipart_is_ws(t[-1]))
		t--;
	*t = '\0';
	return s;
}

/*
 * Parses the next "; key=value" parameter at *sp in place: the value is
 * a token (up to ';', trimmed) or a quoted-string, unescaped. A backslash
 * escapes only '"' and '\\': old browsers sent Windows paths with bare
 * backslashes, which must stay. Returns 1 with *key and *val set, 0 at the
 * end, or -1 on a syntax error.
 */
static int
multipart_param_next(char **sp, char **key, char **val)
{
	char *s = *sp, *r, *w;

	for (;;) {
		s = multipart_skip_ws(s);
		if (*s != ';')
			break;
		s++; /* empty parameters (";;") are skipped */
	}
	if (*s == '\0') {
		*sp = s;
		return 0;
	}
	*key = s;
	while (multipart_is_tchar((unsigned char)*s))
		s++;
	if (s == *key)
		return -1;
	r = multipart_skip_ws(s);
	if (*r != '=')
		return -1;
	*s = '\0';
	r = multipart_skip_ws(r + 1);
	if (*r == '"') {
		w = *val = ++r;
		for (;; r++) {
			if (*r == '\0')
				return -1; /* no closing quote */
			if (*r == '"')
				break;
			if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
				r++;
			*w++ = *r;
		}
		r = multipart_skip_ws(r + 1);
		if (*r == ';')
			r++;
		else if (*r != '\0')
			return -1; /* junk after the closing quote */
		*w = '\0';
		*sp = r;
		return 1;
	}
	*val = r;
	while (*r != '\0' && *r != ';')
		r++;
	*sp = *r == ';' ? r + 1 : r;
	while (r > *val && multipart_is_ws(r[-1]))
		r--;
	*r = '\0';
	return 1;
}

static int
multipart_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decodes an RFC 5987 ext-value (charset'language'pct-encoded) in place.
 * Returns the decoded string, or NULL when the charset is not UTF-8 or
 * the encoding is broken (the plain parameter is used then).
 */
static char *
multipart_ext_decode(char *v)
{
	char *q1 = strchr(v, '\''), *q2, *r, *w;

	if (q1 == NULL || (q2 = strchr(q1 + 1, '\'')) == NULL)
		return NULL;
	*q1 = '\0';
	if (strcasecmp(v, "UTF-8") != 0)
		return NULL;
	for (r = w = q2 + 1; *r != '\0'; r++) {
		if (*r == '%') {
			int hi = multipart_hex(r[1]), lo;

			if (hi < 0 || (lo = multipart_hex(r[2])) < 0)
				return NULL;
			if (hi == 0 && lo == 0)
				return NULL; /* would cut the C string */
			*w++ = (char)(hi << 4 | lo);
			r += 2;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	return q2 + 1;
}

/* ---- the request's Content-Type --------------------------------------- */

/* Checks a boundary: 1-70 printable ASCII characters, no trailing space. */
static int
multipart_boundary_ok(const char *b)
{
	size_t n = strlen(b), i;

	if (n == 0 || n > MULTIPART_BOUNDARY_MAX || b[n - 1] == ' ')
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)b[i] < 0x20 || (unsigned char)b[i] > 0x7e)
			return 0;
	return 1;
}

/* Fills delim from the Content-Type value; 0 or -1 with err filled. */
static int
multipart_content_type(const char *content_type, char *delim, size_t *delim_len,
                       char *err, size_t errlen)
{
	char *copy, *s, *type, *key, *val, *boundary = NULL;
	int rc;

	if (content_type == NULL) {
		multipart_seterr(err, errlen, "no Content-Type");
		return -1;
	}
	copy = strdup(content_type);
	if (copy == NULL) {
		multipart_seterr(err, errlen, "out of memory");
		return -1;
	}
	s = copy;
	type = multipart_type_cut(&s);
	if (strcasecmp(type, "multipart/form-data") != 0) {
		multipart_seterr(err, errlen,
		                 "Content-Type is not multipart/form-data");
		goto fail;
	}
	while ((rc = multipart_param_next(&s, &key, &val)) == 1) {
		if (strcasecmp(key, "boundary") != 0)
			continue;
		if (boundary != NULL) {
			multipart_seterr(err, errlen,
			                 "Content-Type has two boundaries");
			goto fail;
		}
		boundary = val;
	}
	if (rc < 0) {
		multipart_seterr(err, errlen,
		                 "Content-Type parameters are malformed");
		goto fail;
	}
	if (boundary == NULL) {
		multipart_seterr(err, errlen, "Content-Type has no boundary");
		goto fail;
	}
	if (!multipart_boundary_ok(boundary)) {
		multipart_seterr(err, errlen,
		                 "multipart boundary must be 1-%d printable "
		                 "ASCII characters not ending in a space",
		                 MULTIPART_BOUNDARY_MAX);
		goto fail;
	}
	*delim_len = 3 + strlen(boundary);
	memcpy(delim, "\n--", 3);
	memcpy(delim + 3, boundary, *delim_len - 3 + 1);
	free(copy);
	return 0;
fail:
	free(copy);
	return -1;
}

struct multipart *
multipart_new(const char *content_type, const struct multipart_limits *lim,
              const struct multipart_callbacks *cb, void *ud, char *err,
              size_t errlen)
{
	struct multipart *mp;

	multipart_seterr(err, errlen, "%s", "");
	mp = calloc(1, sizeof(*mp));
	if (mp == NULL) {
		multipart_seterr(err, errlen, "out of memory");
		return NULL;
	}
	if (multipart_content_type(content_type, mp->delim, &mp->delim_len, err,
	                           errlen) < 0) {
		free(mp);
		return NULL;
	}
	if (lim != NULL)
		mp->lim = *lim;
	if (mp->lim.max_parts == 0)
		mp->lim.max_parts = MULTIPART_DEFAULT_MAX_PARTS;
	if (mp->lim.max_part_header_bytes == 0)
		mp->lim.max_part_header_bytes =
		    MULTIPART_DEFAULT_MAX_PART_HEADER_BYTES;
	if (mp->lim.max_body_bytes == 0)
		mp->lim.max_body_bytes = MULTIPART_DEFAULT_MAX_BODY_BYTES;
	if (mp->lim.max_part_bytes == 0)
		mp->lim.max_part_bytes = MULTIPART_DEFAULT_MAX_PART_BYTES;
	if (cb != NULL)
		mp->cb = *cb;
	mp->ud = ud;
	mp->state = MP_PREAMBLE;
	/* The first delimiter may open the body without a line break
	 * before it: start as if one had just been seen. */
	mp->match = 1;
	return mp;
}

void
multipart_free(struct multipart *mp)
{
	if (mp == NULL)
		return;
	free(mp->hdr);
	free(mp);
}

const char *
multipart_error(const struct multipart *mp)
{
	return mp->state == MP_ERROR ? mp->err : "";
}

/* ---- part headers ----------------------------------------------------- */

/* Reads one Content-Disposition value into *name and *filename. */
static int
multipart_disposition(struct multipart *mp, char *s, char **name,
                      char **filename)
{
	char *key, *val, *plain_name = NULL, *plain_file = NULL;
	char *ext_name = NULL, *ext_file = NULL, **slot;
	int rc;

	/* The type ("form-data") is not checked: only the parameters say
	 * anything a handler can use. */
	multipart_type_cut(&s);
	while ((rc = multipart_param_next(&s, &key, &val)) == 1) {
		if (strcasecmp(key, "name") == 0)
			slot = &plain_name;
		else if (strcasecmp(key, "filename") == 0)
			slot = &plain_file;
		else if (strcasecmp(key, "name*") == 0)
			slot = &ext_name;
		else if (strcasecmp(key, "filename*") == 0)
			slot = &ext_file;
		else
			continue;
		/* Two names would let two readers disagree on the part. */
		if (*slot != NULL)
			return multipart_fail(mp, MULTIPART_E_SYNTAX,
			                      "part header has two %s "
			                      "parameters",
			                      key);
		*slot = val;
	}
	if (rc < 0)
		return multipart_fail(mp, MULTIPART_E_SYNTAX,
		                      "part Content-Disposition is malformed");
	if (ext_name != NULL)
		ext_name = multipart_ext_decode(ext_name);
	if (ext_file != NULL)
		ext_file = multipart_ext_decode(ext_file);
	*name = ext_name != NULL ? ext_name : plain_name;
	*filename = ext_file != NULL ? ext_file : plain_file;
	return 0;
}

/*
 * Parses the header block in mp->hdr (ending with its empty line) and
 * starts the part. Folded lines (starting with a space or a tab) are
 * joined to the previous one with a space, in place, so that every
 * logical header ends up NUL-terminated in the buffer.
 */
static int
multipart_headers_done(struct multipart *mp)
{
	char *r = mp->hdr, *end = mp->hdr + mp->hdr_len, *w = mp->hdr;
	char *name = NULL, *filename = NULL, *ctype = NULL;
	char *s, *next, *colon, *v;
	int have_line = 0, have_disp = 0;

	if (memchr(mp->hdr, '\0', mp->hdr_len) != NULL)
		return multipart_fail(mp, MULTIPART_E_SYNTAX,
		                      "part header holds a NUL byte");
	for (;;) {
		/* Every line ends with LF: the block ends with an empty one. */
		char *nl = memchr(r, '\n', (size_t)(end - r));
		char *le = nl;

		if (le > r && le[-1] == '\r')
			le--;
		if (le == r)
			break;
		if (multipart_is_ws(*r)) {
			if (!have_line)
				return multipart_fail(
				    mp, MULTIPART_E_SYNTAX,
				    "part headers start with a folded line");
			while (multipart_is_ws(*r))
				r++;
			*w++ = ' ';
		} else {
			if (have_line)
				*w++ = '\0';
			have_line = 1;
		}
		memmove(w, r, (size_t)(le - r));
		w += le - r;
		r = nl + 1;
	}
	if (have_line)
		*w++ = '\0';

	for (s = mp->hdr; s < w; s = next) {
		/* Parsing writes NULs into the line: find the next one first.
		 */
		next = s + strlen(s) + 1;
		colon = s;
		while (multipart_is_tchar((unsigned char)*colon))
			colon++;
		if (colon == s || *colon != ':')
			return multipart_fail(mp, MULTIPART_E_SYNTAX,
			                      "part header line is not "
			                      "\"Name: value\"");
		*colon = '\0';
		v = multipart_skip_ws(colon + 1);
		if (strcasecmp(s, "Content-Disposition") == 0) {
			if (have_disp)
				return multipart_fail(
				    mp, MULTIPART_E_SYNTAX,
				    "part has two Content-Disposition headers");
			have_disp = 1;
			if (multipart_disposition(mp, v, &name, &filename) < 0)
				return mp->error;
		} else if (strcasecmp(s, "Content-Type") == 0) {
			char *t = v + strlen(v);

			if (ctype != NULL)
				return multipart_fail(
				    mp, MULTIPART_E_SYNTAX,
				    "part has two Content-Type headers");
			while (t > v && multipart_is_ws(t[-1]))
				t--;
			*t = '\0';
			ctype = v;
		}
	}

	if (++mp->parts > mp->lim.max_parts)
		return multipart_fail(mp, MULTIPART_E_LIMIT,
		                      "more than %zu parts", mp->lim.max_parts);
	mp->state = MP_BODY;
	mp->cr = 0;
	mp->match = 0;
	mp->part_bytes = 0;
	if (mp->cb.part_begin != NULL &&
	    mp->cb.part_begin(mp->ud, name, filename, ctype) != 0)
		return multipart_fail(mp, MULTIPART_E_ABORT,
		                      "multipart upload aborted");
	return 0;
}

/* ---- the body --------------------------------------------------------- */

/* Gives data of the current part to the callback (dropped outside one). */
static int
multipart_emit(struct multipart *mp, const char *data, size_t len)
{
	if (mp->state != MP_BODY || len == 0)
		return 0;
	if (len > mp->lim.max_part_bytes - mp->part_bytes)
		return multipart_fail(mp, MULTIPART_E_LIMIT,
		                      "a part is larger than %zu bytes",
		                      mp->lim.max_part_bytes);
	mp->part_bytes += len;
	if (mp->cb.part_data != NULL &&
	    mp->cb.part_data(mp->ud, data, len) != 0)
		return multipart_fail(mp, MULTIPART_E_ABORT,
		                      "multipart upload aborted");
	return 0;
}

/* The bytes held back turned out to be data. */
static int
multipart_emit_held(struct multipart *mp)
{
	size_t match = mp->match;

	mp->match = 0;
	if (mp->cr) {
		mp->cr = 0;
		if (multipart_emit(mp, "\r", 1) < 0)
			return -1;
	}
	return multipart_emit(mp, mp->delim, match);
}

/* A delimiter was seen: the part (if any) ends. */
static int
multipart_delimiter(struct multipart *mp)
{
	int in_part = mp->state == MP_BODY;

	mp->cr = 0;
	mp->match = 0;
	mp->state = MP_DELIM;
	if (in_part && mp->cb.part_end != NULL && mp->cb.part_end(mp->ud) != 0)
		return multipart_fail(mp, MULTIPART_E_ABORT,
		                      "multipart upload aborted");
	return 0;
}

/*
 * Scans preamble or part data for the delimiter. Returns the number of
 * bytes consumed (the scan stops right after a delimiter), or -1.
 */
static long
multipart_scan(struct multipart *mp, const char *p, size_t len)
{
	const char *start = p, *end = p + len, *nl, *s, *q;

	while (p < end) {
		if (mp->match > 0) {
			size_t want = mp->delim_len - mp->match, k = 0;
			size_t avail = (size_t)(end - p);

			if (avail > want)
				avail = want;
			while (k < avail && p[k] == mp->delim[mp->match + k])
				k++;
			if (k == avail) {
				mp->match += k;
				p += k;
				if (mp->match == mp->delim_len) {
					if (multipart_delimiter(mp) < 0)
						return -1;
					return p - start;
				}
				continue;
			}
			/* A mismatch: what was held, and the k bytes that
			 * matched after it, are data. None of them can start
			 * another delimiter, for a boundary holds no LF. */
			if (multipart_emit_held(mp) < 0 ||
			    multipart_emit(mp, p, k) < 0)
				return -1;
			p += k;
			continue;
		}
		if (mp->cr) {
			if (*p == '\n') {
				mp->match = 1;
				p++;
			} else if (multipart_emit_held(mp) < 0) {
				return -1;
			}
			continue;
		}
		/* Nothing held: look for a line break, and check what follows
		 * it within this chunk, so that data with many lines still
		 * goes out in one piece per chunk. */
		for (q = p;; q = nl + 1) {
			size_t avail, k = 0;

			nl = memchr(q, '\n', (size_t)(end - q));
			if (nl == NULL)
				break;
			avail = (size_t)(end - nl);
			if (avail > mp->delim_len)
				avail = mp->delim_len;
			while (k < avail && nl[k] == mp->delim[k])
				k++;
			if (k == avail)
				break; /* a delimiter, or one cut by the chunk
				        */
		}
		s = nl != NULL ? nl : end;
		/* A CR before the line break (or at the end, where a line
		 * break may follow) belongs to the delimiter. */
		if (s > p && s[-1] == '\r') {
			s--;
			mp->cr = 1;
		}
		if (multipart_emit(mp, p, (size_t)(s - p)) < 0)
			return -1;
		if (nl == NULL)
			return (long)len;
		mp->match = 1;
		p = nl + 1;
	}
	return p - start;
}

/* Collects a part's header block; returns bytes consumed or -1. */
static long
multipart_headers(struct multipart *mp, const char *p, size_t len,
                  size_t offset)
{
	const char *nl = memchr(p, '\n', len);
	size_t take = nl != NULL ? (size_t)(nl - p) + 1 : len, line;

	if (take > mp->lim.max_part_header_bytes - mp->hdr_len)
		return multipart_fail(mp, MULTIPART_E_LIMIT,
		                      "a part's headers are larger than %zu "
		                      "bytes",
		                      mp->lim.max_part_header_bytes);
	if (mp->hdr_len + take > mp->hdr_cap) {
		/* Grown on demand so that a generous limit costs nothing
		 * until a client uses it. */
		size_t cap = mp->hdr_cap ? mp->hdr_cap : 256;
		char *n;

		while (cap < mp->hdr_len + take)
			cap *= 2;
		if (cap > mp->lim.max_part_header_bytes)
			cap = mp->lim.max_part_header_bytes;
		n = realloc(mp->hdr, cap);
		if (n == NULL)
			return multipart_fail(mp, MULTIPART_E_LIMIT,
			                      "out of memory for part headers");
		mp->hdr = n;
		mp->hdr_cap = cap;
	}
	memcpy(mp->hdr + mp->hdr_len, p, take);
	mp->hdr_len += take;
	if (nl == NULL)
		return (long)take;
	line = mp->hdr_len - mp->line_start;
	if (line == 1 || (line == 2 && mp->hdr[mp->line_start] == '\r')) {
		mp->part_offset = offset + take;
		if (multipart_headers_done(mp) < 0)
			return -1;
	}
	mp->line_start = mp->hdr_len;
	return (long)take;
}

/* Runs the state machine over bytes known to be within the body limit. */
static int
multipart_run(struct multipart *mp, const char *data, size_t len)
{
	const char *p = data, *end = data + len;
	long n;

	while (p < end) {
		switch (mp->state) {
		case MP_PREAMBLE:
		case MP_BODY:
			n = multipart_scan(mp, p, (size_t)(end - p));
			if (n < 0)
				return mp->error;
			p += n;
			break;
		case MP_HEADERS:
			n = multipart_headers(mp, p, (size_t)(end - p),
			                      mp->fed + (size_t)(p - data));
			if (n < 0)
				return mp->error;
			p += n;
			break;
		case MP_DELIM:
		case MP_DASH:
		case MP_PAD:
		case MP_CR:
			if (mp->state == MP_DELIM && *p == '-') {
				mp->state = MP_DASH;
			} else if (mp->state == MP_DASH) {
				if (*p != '-')
					goto junk;
				mp->state = MP_EPILOGUE;
			} else if (mp->state != MP_CR && multipart_is_ws(*p)) {
				mp->state = MP_PAD;
			} else if (mp->state != MP_CR && *p == '\r') {
				mp->state = MP_CR;
			} else if (*p == '\n') {
				mp->state = MP_HEADERS;
				mp->hdr_len = 0;
				mp->line_start = 0;
			} else {
				goto junk;
			}
			p++;
			break;
		case MP_EPILOGUE:
			/* Whatever follows the close delimiter is ignored. */
			p = end;
			break;
		case MP_ERROR: return mp->error;
		}
	}
	return 0;
junk:
	return multipart_fail(mp, MULTIPART_E_SYNTAX,
	                      "multipart boundary is followed by other "
	                      "characters");
}

int
multipart_feed(struct multipart *mp, const char *data, size_t len)
{
	size_t room;
	int rc;

	if (mp->state == MP_ERROR)
		return mp->error;
	/* Bytes up to the limit are parsed first, so that the error is the
	 * same however the body is cut into chunks. */
	room = mp->lim.max_body_bytes - mp->fed;
	rc = multipart_run(mp, data, len < room ? len : room);
	mp->fed += len < room ? len : room;
	if (rc < 0)
		return rc;
	if (len > room)
		return multipart_fail(mp, MULTIPART_E_LIMIT,
		                      "multipart body is larger than %zu bytes",
		                      mp->lim.max_body_bytes);
	return 0;
}

int
multipart_finish(struct multipart *mp)
{
	switch (mp->state) {
	case MP_EPILOGUE: return 0;
	case MP_ERROR: return mp->error;
	case MP_PREAMBLE:
		return multipart_fail(mp, MULTIPART_E_SYNTAX,
		                      "multipart body has no boundary");
	default:
		return multipart_fail(mp, MULTIPART_E_SYNTAX,
		                      "multipart body ends before its closing "
		                      "boundary");
	}
}

/* ---- a whole body in memory -------------------------------------------- */

struct multipart_collect {
	struct arena *a;
	struct multipart *mp;
	const char *body;
	struct multipart_part *parts;
	size_t n, cap;
};

static char *
multipart_dup(struct arena *a, const char *s)
{
	return s != NULL ? arena_strdup(a, s) : NULL;
}

static int
multipart_collect_begin(void *ud, const char *name, const char *filename,
                        const char *content_type)
{
	struct multipart_collect *c = ud;
	struct multipart_part *p;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		struct multipart_part *n = arena_alloc(c->a, cap * sizeof(*n));

		if (c->n > 0)
			memcpy(n, c->parts, c->n * sizeof(*n));
		c->parts = n;
		c->cap = cap;
	}
	p = &c->parts[c->n++];
	p->name = multipart_dup(c->a, name);
	p->filename = multipart_dup(c->a, filename);
	p->content_type = multipart_dup(c->a, content_type);
	/* The data is one run of the body: point at it, copy nothing. */
	p->data = c->body + c->mp->part_offset;
	p->len = 0;
	return 0;
}

static int
multipart_collect_data(void *ud, const char *data, size_t len)
{
	struct multipart_collect *c = ud;

	c->parts[c->n - 1].len += len;
	return 0;
}

int
multipart_parse(struct arena *a, const char *content_type, const char *body,
                size_t len, const struct multipart_limits *lim,
                struct multipart_part **parts, char *err, size_t errlen)
{
	static const struct multipart_callbacks cb = {
	    .part_begin = multipart_collect_begin,
	    .part_data = multipart_collect_data,
	};
	struct multipart_collect c = {.a = a, .body = body};
	int rc;

	*parts = NULL;
	c.mp = multipart_new(content_type, lim, &cb, &c, err, errlen);
	if (c.mp == NULL)
		return MULTIPART_E_TYPE;
	rc = multipart_feed(c.mp, body, len);
	if (rc == 0)
		rc = multipart_finish(c.mp);
	if (rc < 0) {
		multipart_seterr(err, errlen, "%s", multipart_error(c.mp));
		goto fail;
	}
	if (c.n > INT_MAX) {
		multipart_seterr(err, errlen, "more than %d parts", INT_MAX);
		rc = MULTIPART_E_LIMIT;
		goto fail;
	}
	*parts = c.parts;
	multipart_free(c.mp);
	return (int)c.n;
fail:
	multipart_free(c.mp);
	return rc;
}
