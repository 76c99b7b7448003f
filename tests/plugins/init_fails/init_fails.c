/*
 * init_fails.c — a test plugin whose init fails after registering a
 * route: the route must not exist afterwards.
 */
#include <jx/plugin.h>

JX_HOST_DECLARE;

static int
init_fails_hello(jx_req *req, void *ud)
{
	return jx_host->reply_json(req, 200, cJSON_CreateObject());
}

static int
init_fails_init(const struct jx_host *h, struct jx_registrar *reg)
{
	JX_HOST_INIT(h);
	return -5;
}

/* Never routed: init fails. */
static const struct jx_route init_fails_routes[] = {
    {"GET", "/api/v1/test/init_fails/hello", init_fails_hello, NULL,
     JX_ROUTE_PUBLIC},
    {NULL, NULL, NULL, NULL, 0},
};

static const struct jx_plugin init_fails_plugin = {
    .size = sizeof(struct jx_plugin),
    .abi_major = JX_ABI_MAJOR,
    .abi_minor = 0,
    .name = "init_fails",
    .version = "1.0.0",
    .init = init_fails_init,
    .routes = init_fails_routes,
};

JX_EXPORT const struct jx_plugin *
jx_plugin_entry(void)
{
	return &init_fails_plugin;
}
