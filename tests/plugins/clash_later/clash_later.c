/* clash_later.c — a test plugin declaring the route of the clash test
 * plugin: with both shipped, the one loaded later (this one) fails, its
 * reason naming clash and the pattern. */
#include <jx/plugin.h>

static int
clash_later_hello(jx_req *req, void *ud)
{
	return 500;
}

static const struct jx_route clash_later_routes[] = {
    {"GET", "/api/v1/test/clash/hello", clash_later_hello, NULL,
     JX_ROUTE_PUBLIC},
    {NULL, NULL, NULL, NULL, 0},
};

static const struct jx_plugin clash_later_plugin = {
    .size = sizeof(struct jx_plugin),
    .abi_major = JX_ABI_MAJOR,
    .abi_minor = 0,
    .name = "clash_later",
    .version = "1.0.0",
    .routes = clash_later_routes,
};

JX_EXPORT const struct jx_plugin *
jx_plugin_entry(void)
{
	return &clash_later_plugin;
}
