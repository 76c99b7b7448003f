/*
 * feeds_spaces.h — what the spaces part of the feeds plugin shares:
 * spaces.v1 (feeds_spaces_reg.c), the spaces (feeds_spaces.c), class
 * space management (feeds_spaces_manage.c), campus activities
 * (feeds_activities.c) and content management (feeds_manage.c).
 */
#ifndef FEEDS_SPACES_H
#define FEEDS_SPACES_H

#include "feeds.h"

/* feeds_spaces_reg.c: the registry of sections (spaces.v1). */
int feeds_spaces_init(struct jx_registrar *reg);
/* The sections of the space of kind and owner (in district) the acting
 * identity of req sees: [{"code","title","items":[...],"total"}]. */
cJSON *feeds_spaces_sections(jx_req *req, int kind, int64_t owner,
                             int64_t district);
/* 1 when plugin is enabled in the district (districts[code].modules). */
int feeds_district_has(jx_req *req, int64_t district, const char *plugin);

/* feeds_spaces.c: the spaces and their visits. */
int feeds_space_person(jx_req *req, void *ud);
int feeds_space_class(jx_req *req, void *ud);
int feeds_space_school(jx_req *req, void *ud);
int feeds_space_learning(jx_req *req, void *ud);
int feeds_space_me(jx_req *req, void *ud);
/* Posts of a space: filter is a condition on p with one integer
 * argument; newest first before the cursor, at most limit + 1 (for
 * jxp_items). */
cJSON *feeds_space_posts(jx_req *req, const char *filter, int64_t arg,
                         int64_t limit, int64_t before);
/* "YYYYMMDD" of t in the configured time zone, as a number. */
int64_t feeds_local_day(int64_t t);

/* feeds_spaces_manage.c: class space management. */
int feeds_class_admin_put(jx_req *req, void *ud);
int feeds_class_admin_delete(jx_req *req, void *ud);
int feeds_class_space_patch(jx_req *req, void *ud);
int feeds_class_space_form(jx_req *req, void *ud);
/* 1 when the acting identity may edit class cid's space (the head
 * teacher, a class administrator acting in the class, school admins),
 * 0 when it may only see it, -1 when it may not see it. */
int feeds_class_manager(jx_req *req, int64_t cid);

/* feeds_activities.c: campus activities (校园活动). */
int feeds_activity_visible(jx_req *req, int64_t id);
int feeds_activities_list(jx_req *req, void *ud);
int feeds_activities_new(jx_req *req, void *ud);
int feeds_activities_create(jx_req *req, void *ud);
int feeds_activity_get(jx_req *req, void *ud);
int feeds_activity_review(jx_req *req, void *ud);
int feeds_activity_patch(jx_req *req, void *ud);
int feeds_activity_close(jx_req *req, void *ud);
int feeds_activity_remove(jx_req *req, void *ud);
/* Published activities of school (newest first, at most limit) as the
 * school space shows them. */
cJSON *feeds_activities_published(jx_req *req, int64_t school, int limit);

/* feeds_manage.c: content management (内容管理) and the 举报 queue. */
int feeds_manage_init(struct jx_registrar *reg);
int feeds_manage_content(jx_req *req, void *ud);
int feeds_manage_remove(jx_req *req, void *ud);
int feeds_manage_reports(jx_req *req, void *ud);
int feeds_report_resolution(jx_req *req, void *ud);

#endif
