/*
 * after_optional.c — a test plugin with optional dependencies (ABI 2.2):
 * "?good", loaded after it in the configured list, must be initialised
 * first (its service good.v1 is there when this init runs), and
 * "?nonexistent" must not disable it.
 */
#include <jx/plugin.h>

static const char *const after_optional_depends[] = {"?nonexistent", "?good",
                                                     NULL};

static int
after_optional_init(const struct jx_host *h, struct jx_registrar *reg)
{
	if (h->service("good.v1") == NULL) {
		h->log(JX_LOG_ERROR, "after_optional",
		       "good.v1 is missing: initialised before good");
		return -1;
	}
	return 0;
}

static const struct jx_plugin after_optional_plugin = {
    .size = sizeof(struct jx_plugin),
    .abi_major = JX_ABI_MAJOR,
    .abi_minor = 2, /* "?name" dependencies */
    .name = "after_optional",
    .version = "1.0.0",
    .depends = after_optional_depends,
    .init = after_optional_init,
};

JX_EXPORT const struct jx_plugin *
jx_plugin_entry(void)
{
	return &after_optional_plugin;
}
