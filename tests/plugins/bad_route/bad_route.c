/* bad_route.c — a test plugin whose route table has a malformed pattern:
 * refused before any init runs (its init would say so). */
#include <jx/plugin.h>

static int
bad_route_get(jx_req *req, void *ud)
{
	return 500;
}

static int
bad_route_init(const struct jx_host *h, struct jx_registrar *reg)
{
	h->log(JX_LOG_ERROR, "bad_route", "bad_route init ran");
	return -7;
}

static const struct jx_route bad_route_routes[] = {
    {"GET", "/api/v1/test/bad_route/x{id}", bad_route_get, NULL, 0},
    {NULL, NULL, NULL, NULL, 0},
};

static const struct jx_plugin bad_route_plugin = {
    .size = sizeof(struct jx_plugin),
    .abi_major = JX_ABI_MAJOR,
    .abi_minor = 0,
    .name = "bad_route",
    .version = "1.0.0",
    .init = bad_route_init,
    .routes = bad_route_routes,
};

JX_EXPORT const struct jx_plugin *
jx_plugin_entry(void)
{
	return &bad_route_plugin;
}
