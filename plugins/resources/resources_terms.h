/*
 * resources_terms.h — the search terms of a text (pure: no host, tested
 * on its own by tests/test_terms.c).
 *
 * Chinese has no spaces between words and most queries are two
 * characters long, so a text is indexed by its characters and the
 * bigrams of each run of them; a Latin or digit word is one term,
 * lowercased. A query is split the same way and searched as a phrase:
 * every term of it present (the posting table), then the phrase itself
 * confirmed in the text.
 */
#ifndef RESOURCES_TERMS_H
#define RESOURCES_TERMS_H

#include <stddef.h>

/* Longest term in bytes: two 4-byte characters, or a word cut there. */
#define RESOURCES_TERM_MAX 32

/* Called once per term (NUL-terminated, at most RESOURCES_TERM_MAX - 1
 * bytes); a non-zero return stops the walk and is returned. */
typedef int (*resources_term_fn)(const char *term, void *arg);

/*
 * Indexing: every term of text, each distinct term once per call is not
 * promised (the caller's INSERT ... ON CONFLICT DO NOTHING dedups).
 * Emits, for a run of CJK (any non-ASCII letter) characters, each
 * character and each pair of neighbours; for a run of ASCII letters and
 * digits, the lowercased word (cut to the maximum). Everything else
 * (spaces, punctuation, invalid UTF-8) separates. Returns 0 or the
 * callback's non-zero value.
 */
int resources_terms_index(const char *text, resources_term_fn fn, void *arg);

/*
 * A query: the terms a matching text must all have. A run of one CJK
 * character gives that character; a longer run its bigrams only (the
 * phrase is then confirmed on the text). Words as for indexing.
 */
int resources_terms_query(const char *text, resources_term_fn fn, void *arg);

#endif
