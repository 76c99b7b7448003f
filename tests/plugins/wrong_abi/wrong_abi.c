/* wrong_abi.c — a test plugin built for a future ABI major. */
#include <jx/plugin.h>

static const struct jx_plugin wrong_abi_plugin = {
    .size = sizeof(struct jx_plugin),
    .abi_major = JX_ABI_MAJOR + 1,
    .abi_minor = 0,
    .name = "wrong_abi",
    .version = "9.0.0",
};

JX_EXPORT const struct jx_plugin *
jx_plugin_entry(void)
{
	return &wrong_abi_plugin;
}
