/* abi_one.c — a plugin built for ABI 1.3: its descriptor starts with two
 * ints, not a size. The host must refuse it with a reason, reading
 * nothing past what the old layout holds. */
#include <jx/plugin.h>

/* struct jx_plugin as ABI 1 laid it out */
static const struct {
	int abi_major, abi_minor;
	const char *name, *version;
	const char *const *depends, *const *migrations;
	void *init, *shutdown;
} abi_one_plugin = {1, 3, "abi_one", "1.0.0", NULL, NULL, NULL, NULL};

JX_EXPORT const struct jx_plugin *
jx_plugin_entry(void)
{
	return (const struct jx_plugin *)(const void *)&abi_one_plugin;
}
