/* needs_failed.c — a test plugin that depends on one whose init fails. */
#include <jx/plugin.h>

static const char *const needs_failed_depends[] = {"init_fails", "good>=1.0",
                                                   NULL};

static const struct jx_plugin needs_failed_plugin = {
    .size = sizeof(struct jx_plugin),
    .abi_major = JX_ABI_MAJOR,
    .abi_minor = 0,
    .name = "needs_failed",
    .version = "1.0.0",
    .depends = needs_failed_depends,
};

JX_EXPORT const struct jx_plugin *
jx_plugin_entry(void)
{
	return &needs_failed_plugin;
}
