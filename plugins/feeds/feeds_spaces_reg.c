/*
 * feeds_spaces_reg.c — the service spaces.v1 (jx/spaces.h): the
 * sections other plugins add to the spaces, copied at their init (the
 * host inits plugins one at a time, so no lock), and the sections a
 * reader sees in one space: of that kind, for the reader's role, of a
 * plugin enabled in the space's district, each asked for its items.
 */
#include "feeds_spaces.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SECTIONS_MAX = 32, SECTION_ITEMS = 20 };

static struct jx_space_section sections[SECTIONS_MAX];
static int nsections;

static int
section_add(const struct jx_space_section *s)
{
	struct jx_space_section copy;
	int k;

	if (s == NULL ||
	    s->size < offsetof(struct jx_space_section, ud) + sizeof(s->ud) ||
	    s->code == NULL || s->code[0] == '\0' || s->title_key == NULL ||
	    s->items == NULL || s->plugin == NULL || s->roles == NULL ||
	    nsections == SECTIONS_MAX)
		return -1;
	for (k = 0; k < nsections; k++)
		if (strcmp(sections[k].code, s->code) == 0)
			return -1;
	memset(&copy, 0, sizeof(copy));
	memcpy(&copy, s, s->size < sizeof(copy) ? s->size : sizeof(copy));
	copy.size = sizeof(copy);
	/* sorted by order, then by arrival: insertion keeps it stable */
	for (k = nsections; k > 0 && sections[k - 1].order > copy.order; k--)
		sections[k] = sections[k - 1];
	sections[k] = copy;
	nsections++;
	return 0;
}

static const struct jx_spaces_v1 spaces_v1 = {
    .size = sizeof(struct jx_spaces_v1),
    .section = section_add,
};

int
feeds_spaces_init(struct jx_registrar *reg)
{
	nsections = 0;
	return reg->service(reg, JX_SPACES_SERVICE, &spaces_v1);
}

int
feeds_district_has(jx_req *req, int64_t district, const char *plugin)
{
	jx_stmt *st;
	char code[64] = "", path[160];
	const char *first, *v;
	int k;

	st = jx_host->db_query(jx_host->req_db(req),
	                       "SELECT code FROM districts WHERE id = ?", "i",
	                       district);
	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW &&
	    jx_host->db_text(st, 0) != NULL)
		snprintf(code, sizeof(code), "%s", jx_host->db_text(st, 0));
	jx_host->db_finish(st);
	if (code[0] == '\0' || strchr(code, '.') != NULL)
		return 1;
	snprintf(path, sizeof(path), "districts.%s.modules.0", code);
	first = jx_host->config_string(path);
	/* no list: every plugin (an empty one switches feeds off too) */
	if (first == NULL)
		return 1;
	for (k = 0;; k++) {
		snprintf(path, sizeof(path), "districts.%s.modules.%d", code,
		         k);
		v = jx_host->config_string(path);
		if (v == NULL)
			return 0;
		if (strcmp(v, plugin) == 0)
			return 1;
	}
}

static int
section_role(jx_req *req, const char *roles)
{
	return strcmp(roles, "*") == 0 ? jx_host->identity(req) != NULL
	                               : jxp_role(jx_host, req, roles);
}

cJSON *
feeds_spaces_sections(jx_req *req, int kind, int64_t owner, int64_t district)
{
	cJSON *out = cJSON_CreateArray();

	for (int k = 0; k < nsections; k++) {
		const struct jx_space_section *s = &sections[k];
		int64_t total = -1;
		cJSON *items, *o;

		if (!(s->kinds & JX_SPACE_BIT(kind)) ||
		    !section_role(req, s->roles) ||
		    !feeds_district_has(req, district, s->plugin))
			continue;
		items =
		    s->items(req, kind, owner, SECTION_ITEMS, &total, s->ud);
		if (items == NULL)
			continue;
		if (!cJSON_IsArray(items)) {
			cJSON_Delete(items);
			continue;
		}
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "code", s->code);
		cJSON_AddStringToObject(o, "title",
		                        jx_host->t(req, s->title_key));
		cJSON_AddItemToObject(o, "items", items);
		if (total >= 0)
			cJSON_AddNumberToObject(o, "total", (double)total);
		else
			cJSON_AddNullToObject(o, "total");
		cJSON_AddItemToArray(out, o);
	}
	return out;
}
