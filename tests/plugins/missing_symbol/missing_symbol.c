/*
 * missing_symbol.c — a test plugin that calls a function nobody defines,
 * so dlopen(RTLD_NOW) must refuse it.
 */
#include <jx/plugin.h>

int jx_function_that_does_not_exist(void);

static int
missing_symbol_init(const struct jx_host *h, struct jx_registrar *reg)
{
	return jx_function_that_does_not_exist();
}

static const struct jx_plugin missing_symbol_plugin = {
    .size = sizeof(struct jx_plugin),
    .abi_major = JX_ABI_MAJOR,
    .abi_minor = 0,
    .name = "missing_symbol",
    .version = "1.0.0",
    .init = missing_symbol_init,
};

JX_EXPORT const struct jx_plugin *
jx_plugin_entry(void)
{
	return &missing_symbol_plugin;
}
