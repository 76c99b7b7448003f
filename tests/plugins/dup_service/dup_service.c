/* dup_service.c — a test plugin exporting a service name the good test
 * plugin exports first: it fails, and its reason says which name. */
#include <jx/plugin.h>

static const struct {
	size_t size;
} dup_service_table = {sizeof(dup_service_table)};

static int
dup_service_init(const struct jx_host *h, struct jx_registrar *reg)
{
	return reg->service(reg, "good.v1", &dup_service_table);
}

static const char *const dup_service_depends[] = {"good", NULL};

static const struct jx_plugin dup_service_plugin = {
    .size = sizeof(struct jx_plugin),
    .abi_major = JX_ABI_MAJOR,
    .abi_minor = 0,
    .name = "dup_service",
    .version = "1.0.0",
    .depends = dup_service_depends,
    .init = dup_service_init,
};

JX_EXPORT const struct jx_plugin *
jx_plugin_entry(void)
{
	return &dup_service_plugin;
}
