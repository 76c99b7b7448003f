/*
 * resources_terms.c — the terms of a text for the bigram index (see
 * resources_terms.h).
 */
#include "resources_terms.h"

#include <string.h>

/* The length of the valid UTF-8 sequence at s, 0 when invalid. */
static size_t
terms_utf8_len(const unsigned char *s)
{
	size_t k;

	if (s[0] < 0x80)
		return 1;
	k = s[0] >= 0xf0 && s[0] < 0xf5   ? 4
	    : s[0] >= 0xe0 && s[0] < 0xf0 ? 3
	    : s[0] >= 0xc2 && s[0] < 0xe0 ? 2
	                                  : 0;
	for (size_t i = 1; i < k; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return k;
}

/* 1 for a character that separates: ASCII non-alphanumerics, and the
 * CJK and full-width punctuation and spaces (U+3000-U+303F, U+FF00-
 * U+FF0F and the other ASCII-like punctuation of the full-width block,
 * U+2000-U+206F general punctuation, U+00A0-U+00BF Latin-1 signs). */
static int
terms_is_separator(const unsigned char *s, size_t len)
{
	unsigned cp;

	if (len == 1)
		return 0; /* ASCII handled by the caller */
	if (len == 2)
		cp = ((s[0] & 0x1fu) << 6) | (s[1] & 0x3fu);
	else if (len == 3)
		cp = ((s[0] & 0x0fu) << 12) | ((s[1] & 0x3fu) << 6) |
		     (s[2] & 0x3fu);
	else
		return 0;
	return (cp >= 0x00a0 && cp <= 0x00bf) || cp == 0x00d7 || cp == 0x00f7 ||
	       (cp >= 0x2000 && cp <= 0x206f) ||
	       (cp >= 0x3000 && cp <= 0x303f) ||
	       (cp >= 0xff00 && cp <= 0xff0f) ||
	       (cp >= 0xff1a && cp <= 0xff20) ||
	       (cp >= 0xff3b && cp <= 0xff40) || (cp >= 0xff5b && cp <= 0xff65);
}

static int
terms_is_word(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

static int
terms_walk(const char *text, int query, resources_term_fn fn, void *arg)
{
	const unsigned char *s = (const unsigned char *)text;
	/* the previous CJK character of the current run */
	const unsigned char *prev = NULL;
	size_t prevlen = 0, runlen = 0;
	char term[RESOURCES_TERM_MAX];
	int rc;

	if (s == NULL)
		return 0;
	while (*s != '\0') {
		size_t len = terms_utf8_len(s);

		if (len == 1 && terms_is_word(*s)) {
			size_t n = 0;

			/* a word ends a CJK run: a one-character run of a
			 * query is emitted now */
			if (query && runlen == 1) {
				memcpy(term, prev, prevlen);
				term[prevlen] = '\0';
				if ((rc = fn(term, arg)) != 0)
					return rc;
			}
			prev = NULL;
			runlen = 0;
			while (terms_is_word(*s)) {
				if (n < RESOURCES_TERM_MAX - 1)
					term[n++] =
					    (char)((*s >= 'A' && *s <= 'Z')
					               ? *s + 32
					               : *s);
				s++;
			}
			term[n] = '\0';
			if ((rc = fn(term, arg)) != 0)
				return rc;
			continue;
		}
		if (len <= 1 || terms_is_separator(s, len)) {
			if (query && runlen == 1) {
				memcpy(term, prev, prevlen);
				term[prevlen] = '\0';
				if ((rc = fn(term, arg)) != 0)
					return rc;
			}
			prev = NULL;
			runlen = 0;
			s += len == 0 ? 1 : len;
			continue;
		}
		/* a CJK (or other non-ASCII letter) character */
		if (!query) {
			memcpy(term, s, len);
			term[len] = '\0';
			if ((rc = fn(term, arg)) != 0)
				return rc;
		}
		if (prev != NULL) {
			memcpy(term, prev, prevlen);
			memcpy(term + prevlen, s, len);
			term[prevlen + len] = '\0';
			if ((rc = fn(term, arg)) != 0)
				return rc;
		}
		prev = s;
		prevlen = len;
		runlen++;
		s += len;
	}
	if (query && runlen == 1) {
		memcpy(term, prev, prevlen);
		term[prevlen] = '\0';
		return fn(term, arg);
	}
	return 0;
}

int
resources_terms_index(const char *text, resources_term_fn fn, void *arg)
{
	return terms_walk(text, 0, fn, arg);
}

int
resources_terms_query(const char *text, resources_term_fn fn, void *arg)
{
	return terms_walk(text, 1, fn, arg);
}
