/*
 * jsonin.c — a JSON request body from bytes to a checked cJSON object.
 *
 * cJSON's parser (and cJSON_Delete) recurse once per level of nesting,
 * and civetweb's worker threads have 100 KiB stacks (Debian builds
 * libcivetweb with CIVETWEB_THREAD_STACK_SIZE=102400): about 900 levels of
 * "[[[[" used to overflow a worker and end the process. So the body is
 * scanned first, without recursion, and refused when it nests deeper
 * than JSONIN_MAX_DEPTH; only then does cJSON see it. The scan also finds
 * \u0000 escapes, which cJSON decodes into a C string that ends there
 * ("ab\u0000cd" would be stored as "ab").
 *
 * After the parse, the tree is walked (its depth now bounded) for what
 * no field of the API accepts: control characters (single-line fields
 * also refuse TAB, LF and CR; the multi-line ones in jsonin_multiline
 * keep them) and ids or grades that are not integers ("class_id": 1.5
 * would be read as 1).
 */
#include "host.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* A frame of the scan: an object (with the member being read) or an
 * array (with the element's index). */
struct jsonin_frame {
	char kind; /* '{' or '[' */
	char in_key;
	long index;
	char key[48];
	size_t keylen;
};

int
jsonin_utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t k;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			k = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			k = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			k = 3;
			cp = c & 0x07;
		} else
			return 0;
		for (size_t j = 1; j <= k; j++) {
			if (i + j >= n || (s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + j] & 0x3f);
		}
		if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) ||
		    (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k + 1;
	}
	return 1;
}

static void
jsonin_fail(struct jsonin_error *err, int status, const char *field,
            const char *message)
{
	size_t n;

	err->status = status;
	snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
	snprintf(err->message, sizeof(err->message), "%s", message);
	/* A long path is cut: never inside a character, as the reply is
	 * UTF-8. */
	n = strlen(err->field);
	while (n > 0 &&
	       !jsonin_utf8_valid((const unsigned char *)err->field, n))
		err->field[--n] = '\0';
}

/* "audience.class_ids[2]": the member the scan is in. */
static void
jsonin_scan_path(const struct jsonin_frame *f, int n, char *out, size_t cap)
{
	size_t len = 0;

	out[0] = '\0';
	for (int i = 0; i < n && len < cap; i++) {
		int w;

		if (f[i].kind == '[')
			w = snprintf(out + len, cap - len, "[%ld]", f[i].index);
		else
			w = snprintf(out + len, cap - len, "%s%.*s",
			             len > 0 ? "." : "", (int)f[i].keylen,
			             f[i].key);
		if (w < 0)
			break;
		len += (size_t)w;
	}
}

/*
 * The scan. Brackets outside strings are counted; a string runs from a
 * quote to the next quote not escaped, as cJSON reads it, so the count
 * is the depth cJSON would reach on the same bytes (malformed input is
 * cJSON's to refuse; the count only has to bound its recursion).
 */
static int
jsonin_scan(const char *s, size_t len, struct jsonin_error *err)
{
	struct jsonin_frame f[JSONIN_MAX_DEPTH];
	int depth = 0, in_str = 0;
	char path[sizeof(err->field)];

	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		struct jsonin_frame *top = depth > 0 ? &f[depth - 1] : NULL;

		if (in_str) {
			if (c == '"') {
				in_str = 0;
				if (top != NULL && top->in_key)
					top->in_key = 0;
				continue;
			}
			if (c == '\\' && i + 1 < len) {
				if (s[i + 1] == 'u' && i + 5 < len &&
				    memcmp(s + i + 2, "0000", 4) == 0) {
					jsonin_scan_path(f, depth, path,
					                 sizeof(path));
					jsonin_fail(err, 422, path,
					            "must not contain the NUL "
					            "character (\\u0000)");
					return -1;
				}
				if (top != NULL && top->in_key &&
				    top->keylen < sizeof(top->key))
					top->key[top->keylen++] = c;
				c = s[++i];
			}
			if (top != NULL && top->in_key &&
			    top->keylen < sizeof(top->key))
				top->key[top->keylen++] = c;
			continue;
		}
		switch (c) {
		case '"':
			in_str = 1;
			if (top != NULL && top->kind == '{' &&
			    top->in_key == 2) {
				top->in_key = 1;
				top->keylen = 0;
			}
			break;
		case '{':
		case '[':
			if (depth == JSONIN_MAX_DEPTH) {
				jsonin_fail(err, 400, NULL,
				            "The body nests arrays and objects "
				            "deeper than " JSONIN_MAX_DEPTH_TEXT
				            " levels.");
				return -1;
			}
			top = &f[depth++];
			top->kind = c;
			top->in_key =
			    c == '{' ? 2 : 0; /* 2: a key comes next */
			top->index = 0;
			top->keylen = 0;
			break;
		case ']':
		case '}':
			if (depth > 0)
				depth--;
			break;
		case ',':
			if (top != NULL && top->kind == '{')
				top->in_key = 2;
			else if (top != NULL)
				top->index++;
			break;
		default: break;
		}
	}
	return 0;
}

/* Members whose text may run over several lines (a notice's body, a rule
 * chunk's source, the reason of a leave or a review). Every other string
 * is one line. */
static int
jsonin_multiline(const char *key)
{
	static const char *const keys[] = {"body",    "source",      "reason",
	                                   "comment", "description", "text",
	                                   "content", "note"};

	for (size_t i = 0; key != NULL && i < sizeof(keys) / sizeof(*keys); i++)
		if (strcmp(key, keys[i]) == 0)
			return 1;
	return 0;
}

/* Ids (API.md: "Ids are integers") and grades: a number there must be
 * a whole number a double holds exactly. */
static int
jsonin_integral_key(const char *key)
{
	size_t n = key ? strlen(key) : 0;

	return (n == 2 && strcmp(key, "id") == 0) ||
	       (n > 3 && strcmp(key + n - 3, "_id") == 0) ||
	       (n > 4 && strcmp(key + n - 4, "_ids") == 0) ||
	       strcmp(key ? key : "", "grade") == 0 ||
	       strcmp(key ? key : "", "grades") == 0 ||
	       strcmp(key ? key : "", "version") == 0;
}

/* Why a string may not stand under key, or NULL. C0 controls but TAB,
 * LF and CR, DEL, and C1 controls (U+0080..U+009F) are never text;
 * TAB, LF and CR only where the member is multi-line. */
static const char *
jsonin_text_problem(const char *s, const char *key)
{
	int multi = jsonin_multiline(key);

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\t' || *p == '\n' || *p == '\r') {
			if (!multi)
				return "must be a single line (no tab, line "
				       "feed or carriage return)";
			continue;
		}
		if (*p < 0x20 || *p == 0x7f ||
		    (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
			return "must not contain control characters";
	}
	return NULL;
}

static int
jsonin_walk(const cJSON *v, const char *key, char *path, size_t len, size_t cap,
            struct jsonin_error *err)
{
	const cJSON *c;
	long i = 0;

	if (cJSON_IsString(v)) {
		const char *why = jsonin_text_problem(v->valuestring, key);

		if (why != NULL) {
			jsonin_fail(err, 422, path, why);
			return -1;
		}
		return 0;
	}
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;

		if (jsonin_integral_key(key) &&
		    (d != floor(d) || fabs(d) > 9007199254740991.0)) {
			jsonin_fail(err, 422, path, "must be an integer");
			return -1;
		}
		return 0;
	}
	if (!cJSON_IsArray(v) && !cJSON_IsObject(v))
		return 0;
	cJSON_ArrayForEach(c, v)
	{
		int w;

		if (cJSON_IsArray(v))
			w = snprintf(path + len, cap - len, "[%ld]", i++);
		else
			w = snprintf(path + len, cap - len, "%s%s",
			             len > 0 ? "." : "",
			             c->string ? c->string : "");
		if (w < 0 || (size_t)w >= cap - len)
			w = (int)(cap - len - 1);
		/* An array's elements answer to the array's member name. */
		if (jsonin_walk(c, cJSON_IsArray(v) ? key : c->string, path,
		                len + (size_t)w, cap, err) != 0)
			return -1;
		path[len] = '\0';
	}
	return 0;
}

cJSON *
jsonin_parse(const char *data, size_t len, struct jsonin_error *err)
{
	const char *end = NULL;
	char path[sizeof(err->field)];
	cJSON *v;

	memset(err, 0, sizeof(*err));
	if (!jsonin_utf8_valid((const unsigned char *)data, len)) {
		jsonin_fail(err, 400, NULL, "The body is not valid UTF-8.");
		return NULL;
	}
	/* cJSON wants the terminating NUL inside the length it is given;
	 * a NUL inside the body is malformed. */
	if (memchr(data, '\0', len) != NULL) {
		jsonin_fail(err, 400, NULL, "The body contains a NUL byte.");
		return NULL;
	}
	if (jsonin_scan(data, len, err) != 0)
		return NULL;
	v = cJSON_ParseWithLengthOpts(data, len + 1, &end, 1);
	if (v == NULL || !cJSON_IsObject(v)) {
		cJSON_Delete(v);
		jsonin_fail(err, 400, NULL, "The body is not a JSON object.");
		return NULL;
	}
	path[0] = '\0';
	if (jsonin_walk(v, NULL, path, 0, sizeof(path), err) != 0) {
		cJSON_Delete(v);
		return NULL;
	}
	return v;
}
