/*
 * fields.c — host->req_fields: a JSON body or an HTML form (urlencoded,
 * or the fields of a multipart body) read into one JSON object and
 * checked against a plugin's small field spec, so that no plugin reads
 * forms and bodies its own way. One problem error per bad field; the
 * caller replies 422 with them.
 */
#include "host.h"
#include "multipart.h"

#include <civetweb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Where the values come from. */
struct fields_src {
	const cJSON *json;            /* a JSON body, or NULL */
	const char *form;             /* an urlencoded body, or NULL */
	size_t form_len;              /* its length */
	struct multipart_part *parts; /* a multipart body's parts */
	int nparts;                   /* how many */
};

static void
fields_json_free(void *p)
{
	cJSON_Delete(p);
}

static void
fields_err(jx_req *req, const char *name, const char *fmt, const char *a,
           long long x, long long y)
{
	char msg[200];

	snprintf(msg, sizeof(msg), fmt, a, x, y);
	problem_add_error(&req->errors, 0, name, msg);
}

/* The k-th form value of name (arena), or NULL when there is none. */
static const char *
fields_form_value(jx_req *req, const struct fields_src *src, const char *name,
                  int k)
{
	if (src->form != NULL) {
		char *buf = arena_alloc(req->arena, src->form_len + 1);
		int n = mg_get_var2(src->form, src->form_len, name, buf,
		                    src->form_len + 1, (size_t)k);

		/* a value cut short by a %00 is no value (as http_form) */
		return n < 0 || strlen(buf) != (size_t)n ? NULL : buf;
	}
	for (int i = 0; i < src->nparts; i++) {
		const struct multipart_part *p = &src->parts[i];

		if (p->name == NULL || p->filename != NULL ||
		    strcmp(p->name, name) != 0 || k-- > 0)
			continue;
		if (memchr(p->data, '\0', p->len) != NULL)
			return NULL;
		return arena_strndup(req->arena, p->data, p->len);
	}
	return NULL;
}

static size_t
fields_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* A string field: trimmed, UTF-8, no control characters (a TEXT field
 * may hold lines and tabs), its length within the bounds. */
static cJSON *
fields_string(jx_req *req, const struct jx_field *f, const char *s)
{
	const char *end;
	char *out;
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	out = arena_strndup(req->arena, s, (size_t)(end - s));
	if (!jsonin_utf8_valid((const unsigned char *)out, strlen(out))) {
		fields_err(req, f->name, "%s must be UTF-8 text", f->name, 0,
		           0);
		return NULL;
	}
	for (const unsigned char *p = (const unsigned char *)out; *p; p++)
		if ((*p < 0x20 || *p == 0x7f) &&
		    !(f->type == JX_FIELD_TEXT &&
		      (*p == '\n' || *p == '\r' || *p == '\t'))) {
			fields_err(req, f->name,
			           "%s must not contain control characters",
			           f->name, 0, 0);
			return NULL;
		}
	n = fields_chars(out);
	if ((f->min > 0 && (long long)n < f->min) ||
	    (f->max > 0 && (long long)n > f->max)) {
		fields_err(req, f->name, "%s must have %lld to %lld characters",
		           f->name, f->min, f->max > 0 ? f->max : (long long)n);
		return NULL;
	}
	return cJSON_CreateString(out);
}

static int
fields_in_range(const struct jx_field *f, long long v)
{
	return (f->min == 0 && f->max == 0) || (v >= f->min && v <= f->max);
}

/* An integer from JSON (a whole number) or from a form's decimal text;
 * 0 with *ok = 0 when it is neither. */
static long long
fields_int(const cJSON *j, const char *text, int *ok)
{
	char *end;
	long long v;

	*ok = 0;
	if (j != NULL) {
		if (!cJSON_IsNumber(j) ||
		    j->valuedouble != (double)(long long)j->valuedouble ||
		    j->valuedouble > 9007199254740992.0 ||
		    j->valuedouble < -9007199254740992.0)
			return 0;
		*ok = 1;
		return (long long)j->valuedouble;
	}
	if (text == NULL || *text == '\0')
		return 0;
	v = strtoll(text, &end, 10);
	*ok = *end == '\0';
	return v;
}

/* One field of the spec into out; 0, or -1 after its error. */
static int
fields_one(jx_req *req, const struct jx_field *f, const struct fields_src *src,
           cJSON *out)
{
	const cJSON *j = NULL;
	const char *text = NULL;
	int missing, ok;
	long long v;

	if (src->json != NULL) {
		j = cJSON_GetObjectItemCaseSensitive(src->json, f->name);
		missing =
		    j == NULL || cJSON_IsNull(j) ||
		    (cJSON_IsString(j) &&
		     j->valuestring[strspn(j->valuestring, " \t")] == '\0');
	} else {
		text = fields_form_value(req, src, f->name, 0);
		missing = text == NULL || text[strspn(text, " \t")] == '\0';
	}
	/* an unticked box is a form's false */
	if (missing && f->type == JX_FIELD_BOOL && src->json == NULL) {
		cJSON_AddFalseToObject(out, f->name);
		return 0;
	}
	if (missing) {
		if (!f->required)
			return 0;
		fields_err(req, f->name, "%s is required", f->name, 0, 0);
		return -1;
	}
	switch (f->type) {
	case JX_FIELD_STRING:
	case JX_FIELD_TEXT: {
		cJSON *s;

		if (j != NULL && !cJSON_IsString(j)) {
			fields_err(req, f->name, "%s must be a string", f->name,
			           0, 0);
			return -1;
		}
		s = fields_string(req, f, j ? j->valuestring : text);
		if (s == NULL)
			return -1;
		cJSON_AddItemToObject(out, f->name, s);
		return 0;
	}
	case JX_FIELD_INT:
		v = fields_int(j, text, &ok);
		if (!ok || !fields_in_range(f, v)) {
			if (f->min == 0 && f->max == 0)
				fields_err(req, f->name,
				           "%s must be an integer", f->name, 0,
				           0);
			else
				fields_err(req, f->name,
				           "%s must be an integer from %lld "
				           "to %lld",
				           f->name, f->min, f->max);
			return -1;
		}
		cJSON_AddNumberToObject(out, f->name, (double)v);
		return 0;
	case JX_FIELD_BOOL:
		if (j != NULL ? !cJSON_IsBool(j)
		              : strcasecmp(text, "1") != 0 &&
		                    strcasecmp(text, "on") != 0 &&
		                    strcasecmp(text, "true") != 0 &&
		                    strcasecmp(text, "0") != 0 &&
		                    strcasecmp(text, "off") != 0 &&
		                    strcasecmp(text, "false") != 0) {
			fields_err(req, f->name, "%s must be true or false",
			           f->name, 0, 0);
			return -1;
		}
		cJSON_AddBoolToObject(out, f->name,
		                      j != NULL
		                          ? cJSON_IsTrue(j)
		                          : strcasecmp(text, "1") == 0 ||
		                                strcasecmp(text, "on") == 0 ||
		                                strcasecmp(text, "true") == 0);
		return 0;
	case JX_FIELD_INT_ARRAY: {
		cJSON *arr = cJSON_CreateArray();
		const cJSON *e;
		int bad = 0;

		if (j != NULL) {
			if (!cJSON_IsArray(j))
				bad = 1;
			cJSON_ArrayForEach(e, j)
			{
				v = fields_int(e, NULL, &ok);
				if (!ok || bad) {
					bad = 1;
					break;
				}
				cJSON_AddItemToArray(
				    arr, cJSON_CreateNumber((double)v));
			}
		} else {
			/* repeated fields, each may list several: "1,2" */
			for (int k = 0; !bad; k++) {
				const char *t =
				    k == 0 ? text
				           : fields_form_value(req, src,
				                               f->name, k);
				char *copy, *tok, *save = NULL;

				if (t == NULL)
					break;
				copy = arena_strdup(req->arena, t);
				for (tok = strtok_r(copy, ", ", &save);
				     tok != NULL;
				     tok = strtok_r(NULL, ", ", &save)) {
					v = fields_int(NULL, tok, &ok);
					if (!ok) {
						bad = 1;
						break;
					}
					cJSON_AddItemToArray(
					    arr, cJSON_CreateNumber((double)v));
				}
			}
		}
		if (bad || !fields_in_range(f, cJSON_GetArraySize(arr))) {
			cJSON_Delete(arr);
			fields_err(req, f->name,
			           (f->min || f->max)
			               ? "%s must be a list of %lld to %lld "
			                 "integers"
			               : "%s must be a list of integers",
			           f->name, f->min, f->max);
			return -1;
		}
		cJSON_AddItemToObject(out, f->name, arr);
		return 0;
	}
	default:
		fields_err(req, f->name, "%s has an unknown field type",
		           f->name, 0, 0);
		return -1;
	}
}

cJSON *
fields_read(jx_req *req, const struct jx_field *spec)
{
	const char *ct = http_header(req, "Content-Type");
	struct fields_src src = {0};
	cJSON *out;
	int bad = 0;

	if (ct != NULL &&
	    strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0) {
		if (http_body(req, 0, &src.form, &src.form_len) != 0)
			return NULL;
	} else if (ct != NULL &&
	           strncasecmp(ct, "multipart/form-data", 19) == 0) {
		const char *body;
		size_t len;
		char err[256];
		int n;

		if (http_body(req, 0, &body, &len) != 0)
			return NULL;
		n = multipart_parse(req->arena, ct, body, len, NULL, &src.parts,
		                    err, sizeof(err));
		if (n < 0) {
			http_reply_problem(
			    req, n == MULTIPART_E_LIMIT ? 413 : 400,
			    n == MULTIPART_E_LIMIT ? "payload-too-large"
			                           : "malformed-body",
			    "Malformed form", err);
			return NULL;
		}
		src.nparts = n;
	} else {
		src.json = http_json(req);
		if (src.json == NULL)
			return NULL;
	}
	out = cJSON_CreateObject();
	arena_defer(req->arena, fields_json_free, out);
	for (const struct jx_field *f = spec; f != NULL && f->name != NULL; f++)
		if (fields_one(req, f, &src, out) != 0)
			bad = 1;
	return bad ? NULL : out;
}
