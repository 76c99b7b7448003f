/*
 * init_fails.c — a test plugin whose init fails after registering a
 * route: the route must not exist afterwards.
 */
#include <jx/plugin.h>

static const struct jx_host *host;

static int
init_fails_hello(jx_req *req, void *ud)
{
	return host->reply_json(req, 200, cJSON_CreateObject());
}

static int
init_fails_init(const struct jx_host *h, struct jx_registrar *reg)
{
	host = h;
	reg->route(reg, "GET", "/api/v1/test/init_fails/hello",
	           init_fails_hello, NULL, JX_ROUTE_PUBLIC);
	return -5;
}

static const struct jx_plugin init_fails_plugin = {
    .abi_major = JX_ABI_MAJOR,
    .abi_minor = JX_ABI_MINOR,
    .name = "init_fails",
    .version = "1.0.0",
    .init = init_fails_init,
};

JX_EXPORT const struct jx_plugin *
jx_plugin_entry(void)
{
	return &init_fails_plugin;
}
