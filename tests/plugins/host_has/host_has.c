/*
 * host_has.c — a test plugin that uses a host function only when the
 * running host has it (JX_HOST_HAS): with problem_count it counts the
 * errors of a request, on an older host (a smaller table) it keeps its
 * own count. Its service tells which way it went, for the unit test
 * that hands init a smaller table. It also answers the host's
 * "rules-check" hook (`jiaxiao rules check`) when host_has.rules_check
 * is set (keyinfo, which answers it too, must then be left out):
 * the host reaches whichever plugin registered it, by no name.
 */
#include <stdio.h>

#include <jx/plugin.h>

JX_HOST_DECLARE;

static int host_has_count; /* 1: jx_host->problem_count is there */

static int
host_has_mode(void)
{
	return host_has_count;
}

static const struct host_has_v1 {
	size_t size;
	int (*mode)(void);
} host_has_service = {sizeof(struct host_has_v1), host_has_mode};

static int
host_has_get(jx_req *req, void *ud)
{
	cJSON *o = cJSON_CreateObject();
	int n = 1;

	jx_host->problem_error(req, 0, "x", "counted");
	if (host_has_count)
		n = jx_host->problem_count(req);
	cJSON_AddBoolToObject(o, "problem_count", host_has_count);
	cJSON_AddNumberToObject(o, "pending", n);
	return jx_host->reply_json(req, 200, o);
}

static int
host_has_rules_check(jx_db *db, int argc, char **argv, void *ud)
{
	printf("{\"hook\":\"host_has\",\"district\":%s,\"source\":%s}\n",
	       argv[1], argc > 2 ? "true" : "false");
	return 0;
}

static int
host_has_init(const struct jx_host *h, struct jx_registrar *reg)
{
	JX_HOST_INIT(h);
	host_has_count = JX_HOST_HAS(h, problem_count);
	/* only when asked: keyinfo answers the hook otherwise */
	if (reg->cli_command != NULL &&
	    jx_host->config_string("host_has.rules_check") != NULL &&
	    reg->cli_command(reg, "rules-check", host_has_rules_check, NULL) !=
	        0)
		return -1;
	return reg->service(reg, "host_has.v1", &host_has_service);
}

static const struct jx_route host_has_routes[] = {
    {"GET", "/api/v1/test/host_has", host_has_get, NULL, JX_ROUTE_PUBLIC},
    {NULL, NULL, NULL, NULL, 0},
};

static const struct jx_plugin host_has_plugin = {
    .size = sizeof(struct jx_plugin),
    .abi_major = JX_ABI_MAJOR,
    .abi_minor = 0,
    .name = "host_has",
    .version = "1.0.0",
    .init = host_has_init,
    .routes = host_has_routes,
};

JX_EXPORT const struct jx_plugin *
jx_plugin_entry(void)
{
	return &host_has_plugin;
}
