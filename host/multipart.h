/*
 * multipart.h — the host's own streaming multipart/form-data parser
 * (RFC 7578 over RFC 2046), used instead of mg_handle_form_request.
 *
 * The parser is fed the request body in chunks of any size and calls back
 * once per part with its parsed headers, then with its data in pieces,
 * then at its end. It never buffers more than one part's header block
 * (bounded by a limit) plus the boundary, whatever the input, and works in
 * time linear in the input.
 */
#ifndef JX_MULTIPART_H
#define JX_MULTIPART_H

#include <stddef.h>

struct arena;

/* Errors, all negative. */
#define MULTIPART_E_SYNTAX -1 /* malformed body: answer 400 */
#define MULTIPART_E_LIMIT -2  /* a limit was passed: answer 413 */
#define MULTIPART_E_ABORT -3  /* a callback returned non-zero */
#define MULTIPART_E_TYPE -4   /* not multipart/form-data, or bad boundary */

/* Used for a limit left at 0 (or when no limits are given). */
#define MULTIPART_DEFAULT_MAX_PARTS 1000
#define MULTIPART_DEFAULT_MAX_PART_HEADER_BYTES 8192
#define MULTIPART_DEFAULT_MAX_BODY_BYTES (20 * 1024 * 1024 + 64 * 1024)
#define MULTIPART_DEFAULT_MAX_PART_BYTES (20 * 1024 * 1024)

/* A field left at 0 takes its MULTIPART_DEFAULT_*. */
struct multipart_limits {
	size_t max_parts;             /* parts in the body */
	size_t max_part_header_bytes; /* one part's header block, with CRLFs */
	size_t max_body_bytes;        /* every byte fed, epilogue included */
	size_t max_part_bytes;        /* one part's data */
};

/*
 * Any callback may be NULL. The strings passed to part_begin live only
 * until it returns (copy what you keep); data passed to part_data lives
 * only until it returns. name and filename are the bytes the client sent
 * (quoted-string unescaped, not checked to be UTF-8, never to be used as
 * a path); a filename*= / name*= of charset UTF-8 (RFC 5987) is decoded
 * and wins over filename= / name=. content_type is the part's
 * Content-Type value, trimmed. After an error no more callbacks come:
 * the caller releases whatever it holds for a part that did not end.
 */
struct multipart_callbacks {
	/* A part starts: its headers are parsed. name/filename/content_type
	 * may be NULL. Return non-zero to abort. */
	int (*part_begin)(void *ud, const char *name, const char *filename,
	                  const char *content_type);
	/* The next piece of the part's data; len > 0; any number of calls. */
	int (*part_data)(void *ud, const char *data, size_t len);
	/* The part's closing boundary was seen. */
	int (*part_end)(void *ud);
};

struct multipart;

/*
 * Returns a parser, or NULL with err filled when content_type (the
 * request's Content-Type value) is not multipart/form-data or has no
 * usable boundary (RFC 2046: 1-70 characters, quoted or not, not ending
 * in a space), or when memory runs out. lim may be NULL for the defaults.
 * cb is copied; ud is passed to every callback.
 */
struct multipart *multipart_new(const char *content_type,
                                const struct multipart_limits *lim,
                                const struct multipart_callbacks *cb, void *ud,
                                char *err, size_t errlen);

/*
 * Feeds the next len bytes of the body. Returns 0, or a negative
 * MULTIPART_E_* (LIMIT, SYNTAX or ABORT); once it has failed it keeps
 * returning the same error. The outcome does not depend on how the body
 * is cut into chunks.
 */
int multipart_feed(struct multipart *mp, const char *data, size_t len);

/* Call at the end of the body: 0, or MULTIPART_E_SYNTAX when the closing
 * boundary was not seen, or the error the parser already had. */
int multipart_finish(struct multipart *mp);

/* A sentence saying what went wrong, or "" when nothing did. */
const char *multipart_error(const struct multipart *mp);

void multipart_free(struct multipart *mp);

/* One part of a body parsed whole by multipart_parse. */
struct multipart_part {
	const char *name, *filename, *content_type; /* arena; may be NULL */
	const char *data; /* points into the body given (not copied, not
	                     NUL-terminated) */
	size_t len;
};

/*
 * Parses a complete in-memory body. Returns the number of parts (>= 0)
 * and sets *parts to an array of them in arena memory (NULL when there
 * are none), or a negative MULTIPART_E_* (TYPE, SYNTAX or LIMIT) with err
 * filled. lim may be NULL for the defaults.
 */
int multipart_parse(struct arena *a, const char *content_type, const char *body,
                    size_t len, const struct multipart_limits *lim,
                    struct multipart_part **parts, char *err, size_t errlen);

#endif
