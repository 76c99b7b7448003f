/*
 * feeds.c — the feeds plugin: its descriptor, init and routes (API.md,
 * "Feeds and spaces"). Posts and the feeds are in feeds_posts*.c,
 * spaces and spaces.v1 in feeds_spaces*.c, campus activities in
 * feeds_activities.c, content management in feeds_manage.c; the schema
 * is feeds_schema.c.
 */
#include "feeds.h"
#include "feeds_spaces.h"

JX_HOST_DECLARE;

static int
feeds_init(const struct jx_host *h, struct jx_registrar *reg)
{
	JX_HOST_INIT(h);
	if (reg->file_visible(reg, feeds_file_visible, NULL) != 0)
		return -1;
	if (feeds_spaces_init(reg) != 0 || feeds_manage_init(reg) != 0)
		return -1;
	return 0;
}

static const struct jx_route feeds_routes[] = {
    /* posts, feeds, comments, likes, reports */
    /* spaces, class space management, activities, content management */
    {"GET", "/spaces/me", feeds_space_me, NULL, JX_ROUTE_PAGE},
    {"GET", "/spaces/person/{pid}", feeds_space_person, NULL, JX_ROUTE_BOTH},
    {"GET", "/spaces/class/{cid}", feeds_space_class, NULL, JX_ROUTE_BOTH},
    {"GET", "/spaces/school/{sid}", feeds_space_school, NULL, JX_ROUTE_BOTH},
    {"GET", "/spaces/learning/{pid}", feeds_space_learning, NULL,
     JX_ROUTE_BOTH},
    {"PATCH", "/api/v1/spaces/class/{cid}", feeds_class_space_patch, NULL, 0},
    {"POST", "/spaces/class/{cid}", feeds_class_space_form, NULL,
     JX_ROUTE_PAGE},
    {"PUT", "/api/v1/classes/{cid}/space/admins/{pid}",
     feeds_class_admin_put, NULL, 0},
    {"DELETE", "/api/v1/classes/{cid}/space/admins/{pid}",
     feeds_class_admin_delete, NULL, 0},
    {"GET", "/activities", feeds_activities_list, NULL, JX_ROUTE_BOTH},
    {"POST", "/activities", feeds_activities_create, NULL, JX_ROUTE_BOTH},
    {"GET", "/activities/new", feeds_activities_new, NULL, JX_ROUTE_PAGE},
    {"GET", "/activities/{id}", feeds_activity_get, NULL, JX_ROUTE_BOTH},
    {"PATCH", "/api/v1/activities/{id}", feeds_activity_patch, NULL, 0},
    {"DELETE", "/api/v1/activities/{id}", feeds_activity_remove, NULL, 0},
    {"POST", "/activities/{id}/review", feeds_activity_review, NULL,
     JX_ROUTE_BOTH},
    {"POST", "/activities/{id}/close", feeds_activity_close, NULL,
     JX_ROUTE_BOTH},
    {"POST", "/activities/{id}/removal", feeds_activity_remove, NULL,
     JX_ROUTE_BOTH},
    {"GET", "/manage/content", feeds_manage_content, NULL, JX_ROUTE_BOTH},
    {"POST", "/manage/content/{kind}/{id}/removal", feeds_manage_remove, NULL,
     JX_ROUTE_BOTH},
    {"GET", "/manage/reports", feeds_manage_reports, NULL, JX_ROUTE_BOTH},
    {"POST", "/reports/{id}/resolution", feeds_report_resolution, NULL,
     JX_ROUTE_BOTH},
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
