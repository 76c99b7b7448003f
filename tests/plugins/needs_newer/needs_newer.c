/* needs_newer.c — a test plugin needing a minor this host does not have:
 * refused with a reason, never initialised. */
#include <jx/plugin.h>

static int
needs_newer_init(const struct jx_host *h, struct jx_registrar *reg)
{
	return 0;
}

static const struct jx_plugin needs_newer_plugin = {
    .size = sizeof(struct jx_plugin),
    .abi_major = JX_ABI_MAJOR,
    .abi_minor = JX_ABI_MINOR + 1,
    .name = "needs_newer",
    .version = "1.0.0",
    .init = needs_newer_init,
};

JX_EXPORT const struct jx_plugin *
jx_plugin_entry(void)
{
	return &needs_newer_plugin;
}
