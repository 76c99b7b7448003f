/* needs_missing.c — a test plugin that depends on a plugin not loaded. */
#include <jx/plugin.h>

static const char *const needs_missing_depends[] = {"nonexistent", NULL};

static const struct jx_plugin needs_missing_plugin = {
    .size = sizeof(struct jx_plugin),
    .abi_major = JX_ABI_MAJOR,
    .abi_minor = 0,
    .name = "needs_missing",
    .version = "1.0.0",
    .depends = needs_missing_depends,
};

JX_EXPORT const struct jx_plugin *
jx_plugin_entry(void)
{
	return &needs_missing_plugin;
}
