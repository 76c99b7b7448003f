/* check.h — the tiny assertion kit of the C unit tests. */
#ifndef JX_CHECK_H
#define JX_CHECK_H

#include <stdio.h>
#include <string.h>

extern int check_failures;
extern int check_count;

#define CHECK(cond)                                                            \
	do {                                                                   \
		check_count++;                                                 \
		if (!(cond)) {                                                 \
			check_failures++;                                      \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, \
			        __LINE__, #cond);                              \
		}                                                              \
	} while (0)

#define CHECK_STR(a, b)                                                        \
	do {                                                                   \
		const char *a_ = (a), *b_ = (b);                               \
		check_count++;                                                 \
		if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0) {         \
			check_failures++;                                      \
			fprintf(stderr, "%s:%d: \"%s\" != \"%s\"\n", __FILE__, \
			        __LINE__, a_ ? a_ : "(null)",                  \
			        b_ ? b_ : "(null)");                           \
		}                                                              \
	} while (0)

/* Prints the "N passed, N failed" line and returns the exit status. */
int check_done(void);

#endif
