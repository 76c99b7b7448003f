/*
 * space_section.c — a test plugin adding a section to the learning
 * space (and the person space) through the feeds plugin's spaces.v1,
 * with the optional dependency "?feeds" (ABI 2.2): the section is shown
 * to students and parents only, lists one item naming the space's
 * owner, and goes away where a district leaves this plugin out. It
 * also subscribes to feeds.space_visited and shows the last payload and
 * the count at GET /api/v1/test/space_section/visits, so that a system
 * test sees what statistics would receive.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <jx/plugin.h>
#include <jx/spaces.h>

JX_HOST_DECLARE;

static const char *const space_section_depends[] = {"?feeds", NULL};

/* the last feeds.space_visited payload and how many came (any worker) */
static pthread_mutex_t visits_lock = PTHREAD_MUTEX_INITIALIZER;
static char *visits_last;
static long visits_count;

static int
space_section_visited(jx_db *db, const char *event, const cJSON *payload,
                      void *ud)
{
	char *text = cJSON_PrintUnformatted(payload);

	(void)db;
	(void)event;
	(void)ud;
	pthread_mutex_lock(&visits_lock);
	free(visits_last);
	visits_last = text;
	visits_count++;
	pthread_mutex_unlock(&visits_lock);
	return 0;
}

static int
space_section_visits(jx_req *req, void *ud)
{
	cJSON *o = cJSON_CreateObject();

	(void)ud;
	pthread_mutex_lock(&visits_lock);
	cJSON_AddNumberToObject(o, "count", (double)visits_count);
	cJSON_AddItemToObject(o, "last",
	                      visits_last ? cJSON_Parse(visits_last)
	                                  : cJSON_CreateNull());
	pthread_mutex_unlock(&visits_lock);
	return jx_host->reply_json(req, 200, o);
}

static void
space_section_shutdown(void)
{
	free(visits_last);
	visits_last = NULL;
}

static const struct jx_route space_section_routes[] = {
    {"GET", "/api/v1/test/space_section/visits", space_section_visits, NULL,
     JX_ROUTE_PUBLIC},
    {NULL, NULL, NULL, NULL, 0},
};

static cJSON *
space_section_items(jx_req *req, int kind, int64_t owner, int limit,
                    int64_t *total, void *ud)
{
	cJSON *items = cJSON_CreateArray();
	cJSON *o = cJSON_CreateObject();
	char title[64];

	(void)ud;
	(void)limit;
	snprintf(title, sizeof(title), "test item %d:%lld", kind,
	         (long long)owner);
	cJSON_AddStringToObject(o, "title", title);
	cJSON_AddStringToObject(o, "detail", jx_host->req_lang(req));
	cJSON_AddStringToObject(o, "href", "/");
	cJSON_AddNumberToObject(o, "count", 3);
	cJSON_AddItemToArray(items, o);
	if (total != NULL)
		*total = 1;
	return items;
}

static int
space_section_init(const struct jx_host *h, struct jx_registrar *reg)
{
	static const struct jx_space_section section = {
	    .size = sizeof(struct jx_space_section),
	    .code = "test_section",
	    .plugin = "space_section",
	    .title_key = "nav.home",
	    .kinds =
	        JX_SPACE_BIT(JX_SPACE_LEARNING) | JX_SPACE_BIT(JX_SPACE_PERSON),
	    .roles = "student,parent",
	    .order = 10,
	    .items = space_section_items,
	};
	const struct jx_spaces_v1 *sp;

	JX_HOST_INIT(h);
	if (reg->subscribe(reg, "feeds.space_visited", space_section_visited,
	                   NULL) != 0)
		return -1;
	sp = h->service(JX_SPACES_SERVICE);
	if (sp == NULL) {
		h->log(JX_LOG_INFO, "space_section",
		       "no spaces.v1: no section");
		return 0;
	}
	if (sp->section(&section) != 0 || sp->section(&section) == 0) {
		/* the second one must be refused: its code is taken */
		h->log(JX_LOG_ERROR, "space_section", "section refused");
		return -1;
	}
	return 0;
}

static const struct jx_plugin space_section_plugin = {
    .size = sizeof(struct jx_plugin),
    .abi_major = JX_ABI_MAJOR,
    .abi_minor = 2, /* "?feeds" */
    .name = "space_section",
    .version = "1.0.0",
    .depends = space_section_depends,
    .init = space_section_init,
    .shutdown = space_section_shutdown,
    .routes = space_section_routes,
};

JX_EXPORT const struct jx_plugin *
jx_plugin_entry(void)
{
	return &space_section_plugin;
}
