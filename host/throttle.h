/* throttle.h — login throttling counters (see throttle.c). */
#ifndef JX_THROTTLE_H
#define JX_THROTTLE_H

#include <stdint.h>

#define THROTTLE_MAX_EVENTS 32

/* Seconds the caller must wait before trying (0: may try now). Call
 * before any password hashing. */
int64_t throttle_check(const char *login, const char *ip, int64_t now);
/* Records a failure; returns milliseconds to delay the reply (spray). */
int64_t throttle_fail(const char *login, const char *ip, int64_t now,
                      int spray_limit);
/* A successful login clears the login's failures. */
void throttle_success(const char *login);
/* Forgets everything (tests). */
void throttle_reset(void);

#endif
