/*
 * resources.c — the resources plugin (issue 17): teaching resources and
 * the learning resource library. This file holds the descriptor, the
 * schema, who sees what, and the subjects and grades.
 *
 * Two libraries: teaching (staff read and add) and learning (students
 * and parents read; teachers and school admins add for their school, or
 * propose for the district, which a district admin accepts; district
 * admins curate: featured, removal). A resource is a link (http/https,
 * checked: resources_link.c) or a file of the host's file service
 * attached to "resource:<id>" (previews: resources_preview.c). Visibility
 * school (the author's school) or district. Search through a bigram
 * posting table (resources_index.c).
 *
 * Tables: resources_items, resources_terms (term, resource: the posting
 * list), resources_favourites (person, resource), resources_previews
 * (the rendered first page of a PDF, base64: the portable SQL subset has
 * no blob binding).
 */
#include "resources.h"

#include <jx/spaces.h>

#include <stdio.h>
#include <string.h>

JX_HOST_DECLARE;
const struct jx_org_v1 *resources_org;

int
resources_who(jx_req *req, struct resources_who *w)
{
	const struct jx_identity *i = jx_host->identity(req);

	memset(w, 0, sizeof(*w));
	if (i == NULL)
		return -1;
	w->id = i;
	w->district = i->district_id;
	w->school = i->school_id;
	w->person = i->person_id;
	w->all = strcmp(i->role, "city_admin") == 0;
	w->dadmin = strcmp(i->role, "district_admin") == 0;
	w->curator = w->all || w->dadmin;
	w->staff = w->curator || strcmp(i->role, "school_admin") == 0 ||
	           strcmp(i->role, "teacher") == 0;
	/* parents and students see their school's and district's learning
	 * items; a role without a school (base admin) sees no school item */
	if (!w->staff && strcmp(i->role, "student") != 0 &&
	    strcmp(i->role, "parent") != 0)
		w->district = -1;
	return 0;
}

int
resources_visible(jx_req *req, jx_db *db, int64_t id)
{
	struct resources_who w;

	if (resources_who(req, &w) != 0)
		return 0;
	return (int)jxp_one(jx_host, db,
	                    "SELECT 1 FROM resources_items r WHERE r.id = ? "
	                    "AND " RESOURCES_SEEN_SQL,
	                    "i" RESOURCES_SEEN_TYPES, id,
	                    RESOURCES_SEEN_ARGS(w));
}

int
resources_file_visible(jx_req *req, const char *ref, void *ud)
{
	long long id = 0;
	int used = 0;

	(void)ud;
	if (ref == NULL || sscanf(ref, "resource:%lld%n", &id, &used) != 1 ||
	    ref[used] != '\0' || id <= 0)
		return 0;
	return resources_visible(req, jx_host->req_db(req), (int64_t)id) == 1;
}

static const char *const resources_subject_list[] = {
    "语文", "数学",       "英语", "道德与法治", "历史",     "地理",
    "物理", "化学",       "生物", "科学",       "信息科技", "音乐",
    "美术", "体育与健康", "劳动", "综合实践",   NULL,
};

const char *const *
resources_subjects(void)
{
	return resources_subject_list;
}

int
resources_subject_ok(const char *s)
{
	for (int k = 0; s != NULL && resources_subject_list[k] != NULL; k++)
		if (strcmp(s, resources_subject_list[k]) == 0)
			return 1;
	return 0;
}

const char *
resources_grade_label(jx_req *req, int grade)
{
	static const char *const zh[] = {
	    "一年级", "二年级", "三年级", "四年级", "五年级", "六年级",
	    "七年级", "八年级", "九年级", "高一",   "高二",   "高三",
	};

	if (grade < 1 || grade > 12)
		return "";
	if (strcmp(jx_host->req_lang(req), "zh-CN") == 0)
		return zh[grade - 1];
	return jx_host->sprintf(req, "Grade %d", grade);
}

static int
resources_init(const struct jx_host *h, struct jx_registrar *reg)
{
	JX_HOST_INIT(h);
	resources_org = h->service(JX_ORG_SERVICE);
	if (reg->file_visible(reg, resources_file_visible, NULL) != 0 ||
	    resources_link_init(reg) != 0)
		return -1;
	reg->menu(reg, "district_admin,school_admin,teacher",
	          "nav.resources.teaching", "/resources?library=teaching", 60);
	reg->menu(reg, "district_admin,school_admin,teacher,student,parent",
	          "nav.resources.learning", "/resources?library=learning", 61);
	resources_space_init();
	return 0;
}

static const char *const resources_migrations[] = {
    /* 1: resources, the posting list, favourites, previews */
    "CREATE TABLE resources_items ("
    "  id INTEGER PRIMARY KEY,"
    "  library TEXT NOT NULL CHECK (library IN ('teaching','learning')),"
    "  kind TEXT NOT NULL CHECK (kind IN ('link','file')),"
    "  title TEXT NOT NULL,"
    "  description TEXT NOT NULL DEFAULT '',"
    "  subject TEXT NOT NULL,"
    "  grade INTEGER NOT NULL,"
    "  unit TEXT NOT NULL DEFAULT '',"
    "  url TEXT,"
    "  file_id INTEGER REFERENCES files(id),"
    "  mime TEXT,"
    "  visibility TEXT NOT NULL CHECK (visibility IN ('school',"
    "    'district')),"
    "  district_id INTEGER NOT NULL REFERENCES districts(id),"
    /* 0 for a district admin's item */
    "  school_id INTEGER NOT NULL DEFAULT 0,"
    "  author_person_id INTEGER NOT NULL REFERENCES persons(id),"
    "  author_identity_id INTEGER NOT NULL,"
    /* proposed: a learning item for the district awaiting its admin */
    "  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ("
    "    'active','proposed','removed')),"
    "  featured INTEGER NOT NULL DEFAULT 0,"
    "  downloads INTEGER NOT NULL DEFAULT 0,"
    /* links: NULL never checked, 'ok', 'broken' (link_error says why) */
    "  link_state TEXT,"
    "  link_error TEXT,"
    "  link_checked_at INTEGER,"
    "  removed_reason TEXT,"
    "  removed_by INTEGER,"
    "  removed_at INTEGER,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL);"
    "CREATE INDEX resources_items_district ON resources_items("
    "  district_id, library, status, id);"
    "CREATE INDEX resources_items_school ON resources_items("
    "  school_id, library, status, id);"
    "CREATE INDEX resources_items_author ON resources_items("
    "  author_person_id, id);"
    "CREATE TABLE resources_terms ("
    "  term TEXT NOT NULL,"
    "  resource_id INTEGER NOT NULL REFERENCES resources_items(id),"
    "  PRIMARY KEY (term, resource_id));"
    "CREATE INDEX resources_terms_resource ON resources_terms("
    "  resource_id);"
    "CREATE TABLE resources_favourites ("
    "  person_id INTEGER NOT NULL REFERENCES persons(id),"
    "  resource_id INTEGER NOT NULL REFERENCES resources_items(id),"
    "  created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (person_id, resource_id));"
    "CREATE INDEX resources_favourites_resource ON resources_favourites("
    "  resource_id);"
    "CREATE TABLE resources_previews ("
    "  resource_id INTEGER PRIMARY KEY REFERENCES resources_items(id),"
    "  mime TEXT NOT NULL,"
    "  width INTEGER NOT NULL,"
    "  height INTEGER NOT NULL,"
    "  data TEXT NOT NULL);"
    /* the plugin's own clock marks: linkcheck_next (epoch) */
    "CREATE TABLE resources_state ("
    "  name TEXT PRIMARY KEY,"
    "  value INTEGER NOT NULL);",
    NULL};

/* JX_ROUTE_BOTH: the page and "/api/v1" + the pattern, one handler. */
static const struct jx_route resources_routes[] = {
    {"GET", "/resources", resources_list, NULL, JX_ROUTE_BOTH},
    {"POST", "/resources", resources_create, NULL, JX_ROUTE_BOTH},
    {"GET", "/resources/new", resources_page_new, NULL, JX_ROUTE_PAGE},
    {"POST", "/api/v1/resources/linkcheck", resources_linkcheck_post, NULL, 0},
    {"GET", "/resources/{id}", resources_get, NULL, JX_ROUTE_BOTH},
    {"PATCH", "/api/v1/resources/{id}", resources_patch, NULL, 0},
    {"DELETE", "/api/v1/resources/{id}", resources_delete, NULL, 0},
    {"GET", "/resources/{id}/download", resources_download, NULL,
     JX_ROUTE_BOTH},
    {"GET", "/resources/{id}/preview", resources_preview_get, NULL,
     JX_ROUTE_BOTH},
    {"PUT", "/api/v1/resources/{id}/favourite", resources_fav_put, NULL, 0},
    {"DELETE", "/api/v1/resources/{id}/favourite", resources_fav_delete, NULL,
     0},
    {"POST", "/resources/{id}/delete", resources_form_delete, NULL,
     JX_ROUTE_PAGE},
    {"POST", "/resources/{id}/favourite", resources_form_fav, NULL,
     JX_ROUTE_PAGE},
    {"POST", "/resources/{id}/curate", resources_form_curate, NULL,
     JX_ROUTE_PAGE},
    {NULL, NULL, NULL, NULL, 0},
};

static const char *const resources_depends[] = {"?feeds", NULL};

static const struct jx_plugin resources_plugin = {
    .size = sizeof(struct jx_plugin),
    .abi_major = JX_ABI_MAJOR,
    /* "?feeds" (2.2); file_open (2.3) is tested with JX_HOST_HAS: on an
     * older host PDFs get no preview */
    .abi_minor = 2,
    .name = "resources",
    .version = "1.0.0",
    .depends = resources_depends,
    .migrations = resources_migrations,
    .init = resources_init,
    .routes = resources_routes,
};

JX_EXPORT const struct jx_plugin *
jx_plugin_entry(void)
{
	return &resources_plugin;
}
