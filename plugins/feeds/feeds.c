/*
 * feeds.c — the feeds plugin: its descriptor, init and routes (API.md,
 * "Feeds and spaces"). Posts and the feeds are in feeds_posts*.c,
 * spaces and spaces.v1 in feeds_spaces*.c, campus activities in
 * feeds_activities.c, content management in feeds_manage.c; the schema
 * is feeds_schema.c.
 */
#include "feeds.h"

JX_HOST_DECLARE;

static int
feeds_init(const struct jx_host *h, struct jx_registrar *reg)
{
	JX_HOST_INIT(h);
	if (reg->file_visible(reg, feeds_file_visible, NULL) != 0)
		return -1;
	return 0;
}

static const struct jx_route feeds_routes[] = {
    /* posts, feeds, comments, likes, reports */
    /* spaces, class space management, activities, content management */
    {NULL, NULL, NULL, NULL, 0},
};

static const struct jx_plugin feeds_plugin = {
    .size = sizeof(struct jx_plugin),
    .abi_major = JX_ABI_MAJOR,
    .abi_minor = 1, /* file_attach, file_visible, home items, tabs */
    .name = "feeds",
    .version = "1.0.0",
    .migrations = feeds_migrations,
    .init = feeds_init,
    .routes = feeds_routes,
};

JX_EXPORT const struct jx_plugin *
jx_plugin_entry(void)
{
	return &feeds_plugin;
}
