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
	/* the feeds from every role's home: the desktop menu, the phone's
	 * 动态 tab (parent: 首页 消息 动态 孩子 我的, five) */
	reg->menu(reg, "school_admin,teacher,student,parent",
	          "nav.feeds.school", "/feeds/school", 20);
	reg->menu(reg, "district_admin", "nav.feeds.district", "/feeds/school",
	          20);
	if (JX_REG_HAS(reg, menu_tab) &&
	    reg->menu_tab(reg, "parent,student,teacher", "tab.feeds",
	                  "/feeds/school", 20, "class") != 0)
		return -1;
	/* spaces.v1, content management's menu and home item */
	if (feeds_spaces_init(reg) != 0 || feeds_manage_init(reg) != 0)
		return -1;
	return 0;
}

static const struct jx_route feeds_routes[] = {
    /* posts, feeds, comments, likes, reports (feeds_posts.c,
     * feeds_write.c, feeds_comments.c, feeds_pages.c); BOTH: the page
     * and "/api/v1" + the pattern */
    {"GET", "/feeds/school", feeds_school_get, NULL, JX_ROUTE_BOTH},
    {"GET", "/feeds/class/{cid}", feeds_class_get, NULL, JX_ROUTE_BOTH},
    {"GET", "/posts/new", feeds_new_get, NULL, JX_ROUTE_PAGE},
    {"POST", "/posts", feeds_post_create, NULL, JX_ROUTE_BOTH},
    {"GET", "/posts/{id}", feeds_post_get, NULL, JX_ROUTE_BOTH},
    {"DELETE", "/api/v1/posts/{id}", feeds_post_delete, NULL, 0},
    {"POST", "/posts/{id}/delete", feeds_post_delete, NULL, JX_ROUTE_PAGE},
    {"POST", "/posts/{id}/removal", feeds_post_removal, NULL, JX_ROUTE_BOTH},
    {"POST", "/posts/{id}/likes", feeds_like_post, NULL, JX_ROUTE_BOTH},
    {"DELETE", "/api/v1/posts/{id}/likes", feeds_like_delete, NULL, 0},
    {"POST", "/posts/{id}/unlike", feeds_like_delete, NULL, JX_ROUTE_PAGE},
    {"POST", "/posts/{id}/reports", feeds_report_post, NULL, JX_ROUTE_BOTH},
    {"GET", "/api/v1/posts/{id}/comments", feeds_comments_get, NULL, 0},
    {"POST", "/posts/{id}/comments", feeds_comment_post, NULL, JX_ROUTE_BOTH},
    {"DELETE", "/api/v1/comments/{id}", feeds_comment_delete, NULL, 0},
    {"POST", "/comments/{id}/delete", feeds_comment_delete, NULL,
     JX_ROUTE_PAGE},
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
    {"PUT", "/api/v1/classes/{cid}/space/admins/{pid}", feeds_class_admin_put,
     NULL, 0},
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
    .abi_minor = 5, /* file_attach, file_visible, home items, tabs;
                       reply_view_data and fragments (2.5) */
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
