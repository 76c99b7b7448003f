/*
 * practice.c — the practice plugin (issue 18): social practice. This
 * file holds the descriptor, who reaches what, and init.
 *
 * A district admin keeps the district's practice bases and names their
 * staff (base_admin identities, made through the host's org service);
 * district admins and base admins publish activities; parents register
 * their child and students themselves, confirmed up to the capacity and
 * waitlisted after it; a cancellation promotes the first waitlisted.
 * Tables: practice_schema.c.
 */
#include "practice.h"
#include "practice_pages.h"
#include "practice_checkin.h"

#include <string.h>

JX_HOST_DECLARE;
const struct jx_org_v1 *practice_org;

int
practice_who(jx_req *req, struct practice_who *w)
{
	const struct jx_identity *i = jx_host->identity(req);

	memset(w, 0, sizeof(*w));
	if (i == NULL)
		return -1;
	w->id = i;
	w->district = i->district_id;
	w->person = i->person_id;
	w->city = strcmp(i->role, "city_admin") == 0;
	w->dadmin = strcmp(i->role, "district_admin") == 0;
	w->badmin = strcmp(i->role, "base_admin") == 0;
	w->family =
	    strcmp(i->role, "parent") == 0 || strcmp(i->role, "student") == 0;
	if (w->family)
		w->student = i->student_id;
	return 0;
}

int64_t
practice_base_district(jx_db *db, int64_t base)
{
	return jxp_one(jx_host, db,
	               "SELECT district_id FROM practice_bases WHERE id = ?",
	               "i", base);
}

int
practice_base_manages(jx_db *db, const struct practice_who *w, int64_t base)
{
	int64_t district = practice_base_district(db, base);

	if (district <= 0)
		return district < 0 ? -1 : 0;
	if (w->city)
		return 1;
	if (w->dadmin)
		return district == w->district;
	if (w->badmin)
		return (int)jxp_one(jx_host, db,
		                    "SELECT 1 FROM practice_base_admins WHERE "
		                    "base_id = ? AND identity_id = ?",
		                    "ii", base, w->id->id);
	return 0;
}

int
practice_base_visible(jx_db *db, const struct practice_who *w, int64_t base)
{
	int64_t district;
	int m = practice_base_manages(db, w, base);

	if (m != 0)
		return m;
	/* a base admin sees only its own bases; everyone else of a school
	 * or family of the district sees the district's bases */
	if (w->badmin)
		return 0;
	district = practice_base_district(db, base);
	return district > 0 && district == w->district;
}

double
practice_hours(int64_t tenths)
{
	return (double)tenths / 10.0;
}

const char *
practice_str(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

void
practice_bad(jx_req *req, const char *field, const char *key)
{
	jx_host->problem_error(req, 0, field, jx_host->t(req, key));
}

int
practice_invalid(jx_req *req)
{
	return jxp_invalid(jx_host, req, jx_host->t(req, "practice.err.check"));
}

int
practice_refuse(jx_req *req, int status, const char *type, const char *key)
{
	return jx_host->reply_problem(req, status, type,
	                              status == 409   ? "Conflict"
	                              : status == 403 ? "Forbidden"
	                                              : "Not allowed",
	                              jx_host->t(req, key));
}

int
practice_text(jx_req *req, const cJSON *o, const char *k, int required,
              size_t max, int multiline, const char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	const char *s, *e;
	char *copy;

	*out = NULL;
	if (v == NULL || cJSON_IsNull(v)) {
		if (!required)
			return 0;
		practice_bad(req, k, "practice.err.required");
		return -1;
	}
	if (!cJSON_IsString(v)) {
		practice_bad(req, k, "practice.err.text");
		return -1;
	}
	s = v->valuestring;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
	                 e[-1] == '\r'))
		e--;
	copy = jx_host->alloc(req, (size_t)(e - s) + 1);
	memcpy(copy, s, (size_t)(e - s));
	copy[e - s] = '\0';
	for (const unsigned char *p = (const unsigned char *)copy; *p; p++)
		if ((*p < 0x20 && !(multiline && (*p == '\n' || *p == '\t' ||
		                                  *p == '\r'))) ||
		    *p == 0x7f) {
			practice_bad(req, k, "practice.err.text");
			return -1;
		}
	if (*copy == '\0') {
		if (!required) {
			*out = copy;
			return 0;
		}
		practice_bad(req, k, "practice.err.required");
		return -1;
	}
	if (jxp_chars(copy) > max) {
		practice_bad(req, k, "practice.err.too_long");
		return -1;
	}
	*out = copy;
	return 0;
}

static int
practice_init(const struct jx_host *h, struct jx_registrar *reg)
{
	JX_HOST_INIT(h);
	practice_org = h->service(JX_ORG_SERVICE);
	if (practice_org == NULL ||
	    reg->subscribe(reg, "notify.result", practice_notify_result,
	                   NULL) != 0)
		return -1;
	/* check-in: the record type, the space's section, reminders */
	if (practice_checkin_init(reg) != 0)
		return -1;
	/* the pages' menu entries and home cells (practice_pages.c) */
	if (practice_pages_init(reg) != 0)
		return -1;
	return 0;
}

/* The API; the check-in's pages, and the other pages (practpages). */
static const struct jx_route practice_routes[] = {
    {"GET", "/api/v1/practice/bases", practice_bases_list, NULL, 0},
    {"POST", "/api/v1/practice/bases", practice_bases_create, NULL, 0},
    {"GET", "/api/v1/practice/bases/{id}", practice_bases_get, NULL, 0},
    {"PATCH", "/api/v1/practice/bases/{id}", practice_bases_patch, NULL, 0},
    {"GET", "/api/v1/practice/bases/{id}/admins", practice_base_admins_list,
     NULL, 0},
    {"POST", "/api/v1/practice/bases/{id}/admins", practice_base_admins_create,
     NULL, 0},
    {"DELETE", "/api/v1/practice/bases/{id}/admins/{person}",
     practice_base_admins_delete, NULL, 0},
    {"GET", "/api/v1/practice/activities", practice_activities_list, NULL, 0},
    {"POST", "/api/v1/practice/activities", practice_activities_create, NULL,
     0},
    {"GET", "/api/v1/practice/activities/{id}", practice_activities_get, NULL,
     0},
    {"PATCH", "/api/v1/practice/activities/{id}", practice_activities_patch,
     NULL, 0},
    {"POST", "/api/v1/practice/activities/{id}/close",
     practice_activities_close, NULL, 0},
    {"POST", "/api/v1/practice/activities/{id}/cancel",
     practice_activities_cancel, NULL, 0},
    {"GET", "/api/v1/practice/activities/{id}/registrations",
     practice_reg_of_activity, NULL, 0},
    {"POST", "/api/v1/practice/activities/{id}/registrations",
     practice_reg_create, NULL, 0},
    {"GET", "/api/v1/practice/registrations", practice_reg_mine, NULL, 0},
    {"GET", "/api/v1/practice/registrations/{id}", practice_reg_get, NULL, 0},
    {"DELETE", "/api/v1/practice/registrations/{id}", practice_reg_delete, NULL,
     0},
    /* check-in (practice_checkin*.c, practice_export.c,
     * practice_remind.c) */
    {"POST", "/api/v1/practice/registrations/{id}/check-in",
     practice_checkin_post, NULL, 0},
    {"GET", "/api/v1/practice/registrations/{id}/qr", practice_qr_get, NULL, 0},
    {"GET", "/practice/checkin", practice_scan_get, NULL, JX_ROUTE_PAGE},
    {"POST", "/practice/checkin", practice_scan_post, NULL, JX_ROUTE_PAGE},
    {"GET", "/practice/activities/{id}/checkin", practice_list_get, NULL,
     JX_ROUTE_BOTH},
    {"POST", "/practice/activities/{id}/checkin", practice_list_post, NULL,
     JX_ROUTE_BOTH},
    {"GET", "/api/v1/practice/activities/{id}/attendance.xlsx",
     practice_attendance_xlsx, NULL, 0},
    {"POST", "/api/v1/practice/reminders/run", practice_remind_run, NULL, 0},
    /* pages (practice_pages.c, practice_pages_manage.c); the list of
     * /practice/manage is also /api/v1/practice/manage, which the page
     * polls for live counts */
    {"GET", "/practice", practice_page_list, NULL, JX_ROUTE_PAGE},
    {"GET", "/practice/mine", practice_page_mine, NULL, JX_ROUTE_PAGE},
    {"GET", "/practice/activities/{id}", practice_page_activity, NULL,
     JX_ROUTE_PAGE},
    {"GET", "/practice/manage", practice_page_manage, NULL, JX_ROUTE_BOTH},
    {"GET", "/practice/manage/new", practice_page_form_new, NULL,
     JX_ROUTE_PAGE},
    {"GET", "/practice/manage/bases", practice_page_bases, NULL, JX_ROUTE_PAGE},
    {"GET", "/practice/manage/bases/{id}", practice_page_base, NULL,
     JX_ROUTE_PAGE},
    {"GET", "/practice/manage/{id}", practice_page_manage_one, NULL,
     JX_ROUTE_PAGE},
    {"GET", "/practice/manage/{id}/edit", practice_page_form_edit, NULL,
     JX_ROUTE_PAGE},
    {NULL, NULL, NULL, NULL, 0},
};

static const char *const practice_depends[] = {"records", "?feeds", NULL};

static const struct jx_plugin practice_plugin = {
    .size = sizeof(struct jx_plugin),
    .abi_major = JX_ABI_MAJOR,
    /* "?feeds" (2.2), jx_host->mac for the check-in codes (2.4) */
    .abi_minor = 4,
    .name = "practice",
    .version = "1.0.0",
    .depends = practice_depends,
    .migrations = practice_migrations,
    .init = practice_init,
    .routes = practice_routes,
};

JX_EXPORT const struct jx_plugin *
jx_plugin_entry(void)
{
	return &practice_plugin;
}
