/*
 * fuzz_stack.h — runs a fuzz input on a thread whose stack is as small
 * as a civetweb worker's (JX_WORKER_STACK), so that a parser recursing
 * too deep overflows it here as it would in the server, instead of
 * getting away with the main thread's 8 MiB.
 */
#ifndef FUZZ_STACK_H
#define FUZZ_STACK_H

#include "host.h"

#include <pthread.h>
#include <stdlib.h>

struct fuzz_call {
	void (*fn)(const unsigned char *data, size_t size);
	const unsigned char *data;
	size_t size;
};

static void *
fuzz_stack_main(void *arg)
{
	struct fuzz_call *c = arg;

	c->fn(c->data, c->size);
	return NULL;
}

static inline void
fuzz_on_worker_stack(void (*fn)(const unsigned char *, size_t),
                     const unsigned char *data, size_t size)
{
	struct fuzz_call c = {fn, data, size};
	pthread_attr_t attr;
	pthread_t t;

	if (pthread_attr_init(&attr) != 0 ||
	    pthread_attr_setstacksize(&attr, JX_WORKER_STACK) != 0 ||
	    pthread_create(&t, &attr, fuzz_stack_main, &c) != 0)
		abort();
	pthread_join(t, NULL);
	pthread_attr_destroy(&attr);
}

#endif
