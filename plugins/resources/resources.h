/*
 * resources.h — what the files of the resources plugin share (issue 17:
 * teaching resources and the learning resource library).
 */
#ifndef RESOURCES_H
#define RESOURCES_H

#include <stdint.h>

#include <jx/org.h>
#include <jx/plugin.h>

#include "jxplug.h"

JX_HOST_EXTERN;
extern const struct jx_org_v1 *resources_org;

/* The acting identity's reach, as the queries bind it (resources.c). */
struct resources_who {
	const struct jx_identity *id;
	int64_t district, school, person;
	int all;     /* city admin: every district */
	int dadmin;  /* district admin: all of the district */
	int staff;   /* admins and teachers: the teaching library too */
	int curator; /* district and city admins: proposals, featured */
};

/* The reach of req's acting identity; 0, or -1 when anonymous. */
int resources_who(jx_req *req, struct resources_who *w);

/* The WHERE clause (after "WHERE ") that keeps the rows r the identity
 * may see, and the types of its parameters; bind them with
 * RESOURCES_SEEN_ARGS(w). */
#define RESOURCES_SEEN_SQL                                                     \
	"r.status <> 'removed' AND (? = 1 OR (r.district_id = ? AND (? = 1 "   \
	"OR r.visibility = 'district' OR r.school_id = ?))) AND "              \
	"(r.library = 'learning' OR ? = 1) AND (r.status = 'active' OR "       \
	"r.author_person_id = ? OR ? = 1)"
#define RESOURCES_SEEN_TYPES "iiiiiii"
#define RESOURCES_SEEN_ARGS(w)                                                 \
	(int64_t)(w).all, (w).district, (int64_t)(w).dadmin, (w).school,       \
	    (int64_t)(w).staff, (w).person, (int64_t)(w).curator

/* 1 when the identity may see resource id, 0 when not (or no such),
 * -1 on error. */
int resources_visible(jx_req *req, jx_db *db, int64_t id);
/* The file service's callback for "resource:<id>". */
int resources_file_visible(jx_req *req, const char *ref, void *ud);

/* The subjects (the national curriculum list) and grades. */
int resources_subject_ok(const char *s);
const char *const *resources_subjects(void);
/* "一年级" .. "高三" (zh-CN) or "Grade 1" .. "Grade 12". */
const char *resources_grade_label(jx_req *req, int grade);

/* The index (resources_index.c): replaces the terms of a resource in
 * the caller's transaction. 0 or -1. */
int resources_index_put(jx_db *db, int64_t id, const char *title,
                        const char *description, const char *unit);
int resources_index_drop(jx_db *db, int64_t id);
/* Up to RESOURCES_QUERY_TERMS terms of query q into terms[] (arena);
 * the number found. */
#define RESOURCES_QUERY_TERMS 8
int resources_index_query(jx_req *req, const char *q, const char **terms);

/* Links (resources_link.c). */
/* 0 when url may be stored and followed: http or https, a host that
 * resolves only to public addresses (or to ones resources.linkcheck_allow
 * lists); else -1 with why. */
int resources_url_check(const char *url, char *why, size_t whylen);
int resources_link_init(struct jx_registrar *reg);
int resources_linkcheck_post(jx_req *req, void *ud);
/* Queues the day's link check when it is due (one indexed read). */
void resources_link_daily(jx_req *req);

/* Previews (resources_preview.c). */
/* Renders the first page of the PDF file_id (the acting identity's
 * upload) into a JPEG, base64 in *data (arena), its size in *w, *h:
 * 0, or -1 when no preview can be made (logged). Outside any
 * transaction: it takes a while. */
int resources_preview_render(jx_req *req, int64_t file_id, const char **data,
                             int *w, int *h);
/* Stores a rendered preview of resource id, in the caller's
 * transaction. 0 or -1. */
int resources_preview_store(jx_db *db, int64_t id, const char *data, int w,
                            int h);
int resources_preview_get(jx_req *req, void *ud);

/* The API and pages (resources_api.c, resources_pages.c). */
int resources_create(jx_req *req, void *ud);
int resources_list(jx_req *req, void *ud);
int resources_get(jx_req *req, void *ud);
int resources_patch(jx_req *req, void *ud);
int resources_delete(jx_req *req, void *ud);
int resources_download(jx_req *req, void *ud);
int resources_fav_put(jx_req *req, void *ud);
int resources_fav_delete(jx_req *req, void *ud);
int resources_page_new(jx_req *req, void *ud);
int resources_form_post(jx_req *req, void *ud);
int resources_form_delete(jx_req *req, void *ud);
int resources_form_fav(jx_req *req, void *ud);
int resources_form_curate(jx_req *req, void *ud);

/* One resource as the API shows it, or NULL (not visible). */
cJSON *resources_json(jx_req *req, jx_db *db, int64_t id);

/* The learning space's section (resources_space.c). */
void resources_space_init(void);

#endif
