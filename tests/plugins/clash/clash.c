/*
 * clash.c — a test plugin found on plugin_path whose table declares a
 * route the shipped keyinfo plugin declares too (under another parameter
 * name): it must fail alone, named with keyinfo and the pattern, while
 * keyinfo keeps answering. Its other route must not answer either.
 */
#include <jx/plugin.h>

JX_HOST_DECLARE;

static int
clash_hello(jx_req *req, void *ud)
{
	return jx_host->reply_json(req, 200, cJSON_CreateObject());
}

static int
clash_init(const struct jx_host *h, struct jx_registrar *reg)
{
	JX_HOST_INIT(h);
	return 0;
}

static const struct jx_route clash_routes[] = {
    {"GET", "/api/v1/test/clash/hello", clash_hello, NULL, JX_ROUTE_PUBLIC},
    {"GET", "/api/v1/students/{student}/keyinfo", clash_hello, NULL, 0},
    {NULL, NULL, NULL, NULL, 0},
};

static const struct jx_plugin clash_plugin = {
    .size = sizeof(struct jx_plugin),
    .abi_major = JX_ABI_MAJOR,
    .abi_minor = 0,
    .name = "clash",
    .version = "1.0.0",
    .init = clash_init,
    .routes = clash_routes,
};

JX_EXPORT const struct jx_plugin *
jx_plugin_entry(void)
{
	return &clash_plugin;
}
