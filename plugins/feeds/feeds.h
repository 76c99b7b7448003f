/*
 * feeds.h — what the files of the feeds plugin share.
 */
#ifndef FEEDS_H
#define FEEDS_H

#include <stdint.h>

#include <jx/org.h>
#include <jx/plugin.h>
#include <jx/spaces.h>
#include <jxplug.h>

JX_HOST_EXTERN;

/* feeds_schema.c */
extern const char *const feeds_migrations[];

#endif
