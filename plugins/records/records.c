/*
 * records.c — the records plugin (issue 16; API.md, "Growth records"):
 * its descriptor, schema and init, the registry of record types and the
 * service records.v1 (jx/records.h) through which plugins register
 * types and create records, and GET /api/v1/record-types.
 *
 * Types are registered during init only (every plugin's init runs on
 * the main thread before any request), so the registry is read without
 * a lock afterwards.
 */
#include "records.h"

#include <jx/spaces.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

JX_HOST_DECLARE;

#define REC_TYPES_MAX 64

static struct rec_type rec_types[REC_TYPES_MAX];
static int rec_ntypes;

const struct rec_type *
rec_type_find(const char *code)
{
	if (code == NULL)
		return NULL;
	for (int i = 0; i < rec_ntypes; i++)
		if (strcmp(rec_types[i].t.code, code) == 0)
			return &rec_types[i];
	return NULL;
}

int
rec_type_count(void)
{
	return rec_ntypes;
}

const struct rec_type *
rec_type_at(int i)
{
	return i >= 0 && i < rec_ntypes ? &rec_types[i] : NULL;
}

const char *
rec_type_name(jx_req *req, const struct rec_type *t)
{
	if (req != NULL && strcmp(jx_host->req_lang(req), "en") == 0 &&
	    t->t.name_en != NULL)
		return t->t.name_en;
	return t->t.name_zh;
}

/* [a-z_]+, at most 40 characters. */
static int
rec_code_ok(const char *s)
{
	size_t n = 0;

	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++, n++)
		if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
			return 0;
	return n <= 40;
}

/* Every role of the comma-separated list is one of the five. */
static int
rec_creators_ok(const char *list)
{
	static const char *const roles[] = {"student",      "parent",
	                                    "teacher",      "head_teacher",
	                                    "school_admin", NULL};
	const char *p = list;

	if (list == NULL || *list == '\0')
		return 0;
	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		int ok = 0;

		for (int k = 0; roles[k] != NULL; k++)
			if (strlen(roles[k]) == n &&
			    strncmp(roles[k], p, n) == 0)
				ok = 1;
		if (!ok)
			return 0;
		p += n;
		if (*p == ',')
			p++;
	}
	return 1;
}

static int
rec_svc_type(const struct jx_record_type *in)
{
	struct rec_type *t;
	struct jx_record_field *fields;
	size_t n;

	if (in == NULL ||
	    in->size < offsetof(struct jx_record_type, ud) + sizeof(in->ud)) {
		jx_host->log(JX_LOG_ERROR, "records",
		             "a record type from an unknown plugin is too old");
		return -1;
	}
	if (!rec_code_ok(in->code) || in->name_zh == NULL ||
	    !rec_creators_ok(in->creators) || in->nfields < 0 ||
	    in->nfields > 40 || (in->nfields > 0 && in->fields == NULL)) {
		jx_host->log(JX_LOG_ERROR, "records",
		             "record type %s of %s refused: bad code, name, "
		             "creators or fields",
		             in->code ? in->code : "?",
		             in->plugin ? in->plugin : "?");
		return -1;
	}
	if (rec_type_find(in->code) != NULL || rec_ntypes >= REC_TYPES_MAX) {
		jx_host->log(JX_LOG_ERROR, "records",
		             "record type %s of %s refused: code taken or too "
		             "many types",
		             in->code, in->plugin ? in->plugin : "?");
		return -1;
	}
	for (int i = 0; i < in->nfields; i++) {
		const struct jx_record_field *f = &in->fields[i];

		if (!rec_code_ok(f->name) || f->label_zh == NULL ||
		    f->type < JX_RF_TEXT || f->type > JX_RF_FILES ||
		    (f->type == JX_RF_CHOICE &&
		     (f->choices == NULL || f->choices[0] == NULL))) {
			jx_host->log(JX_LOG_ERROR, "records",
			             "record type %s refused: field %d is bad",
			             in->code, i);
			return -1;
		}
		for (int j = 0; j < i; j++)
			if (strcmp(in->fields[j].name, f->name) == 0) {
				jx_host->log(JX_LOG_ERROR, "records",
				             "record type %s refused: field %s "
				             "twice",
				             in->code, f->name);
				return -1;
			}
	}
	n = (size_t)in->nfields;
	fields = calloc(n > 0 ? n : 1, sizeof(*fields));
	if (fields == NULL)
		return -1;
	if (n > 0)
		memcpy(fields, in->fields, n * sizeof(*fields));
	t = &rec_types[rec_ntypes];
	memset(t, 0, sizeof(*t));
	memcpy(&t->t, in, in->size < sizeof(t->t) ? in->size : sizeof(t->t));
	t->t.size = sizeof(t->t);
	t->t.fields = fields;
	rec_ntypes++;
	jx_host->log(JX_LOG_INFO, "records", "record type %s (%s) of %s",
	             in->code, in->name_zh, in->plugin ? in->plugin : "?");
	return 0;
}

static const struct jx_records_v1 rec_service = {
    .size = sizeof(struct jx_records_v1),
    .type = rec_svc_type,
    .create = rec_service_create,
};

/* ---- GET /api/v1/record-types ------------------------------------------ */

static const char *
rec_field_type_name(int type)
{
	switch (type) {
	case JX_RF_TEXT: return "text";
	case JX_RF_LONGTEXT: return "longtext";
	case JX_RF_DATE: return "date";
	case JX_RF_NUMBER: return "number";
	case JX_RF_CHOICE: return "choice";
	case JX_RF_FILES: return "files";
	}
	return "text";
}

/* The type as the API shows it; creators: the narrowed list. */
static cJSON *
rec_type_json(jx_req *req, const struct rec_type *rt, const char *creators)
{
	const struct jx_record_type *t = &rt->t;
	int en = strcmp(jx_host->req_lang(req), "en") == 0;
	cJSON *o = cJSON_CreateObject(), *list = cJSON_CreateArray(),
	      *fields = cJSON_CreateArray();
	const char *p = creators;

	cJSON_AddStringToObject(o, "code", t->code);
	cJSON_AddStringToObject(o, "name", rec_type_name(req, rt));
	cJSON_AddStringToObject(o, "name_zh", t->name_zh);
	cJSON_AddStringToObject(o, "name_en",
	                        t->name_en ? t->name_en : t->name_zh);
	cJSON_AddStringToObject(o, "plugin", t->plugin ? t->plugin : "");
	while (p != NULL && *p != '\0') {
		size_t n = strcspn(p, ",");

		if (n > 0)
			cJSON_AddItemToArray(
			    list, cJSON_CreateString(jx_host->sprintf(
			              req, "%.*s", (int)n, p)));
		p += n;
		if (*p == ',')
			p++;
	}
	cJSON_AddItemToObject(o, "creators", list);
	cJSON_AddBoolToObject(o, "once_per_term", t->once_per_term != 0);
	for (int i = 0; i < t->nfields; i++) {
		const struct jx_record_field *f = &t->fields[i];
		cJSON *fo = cJSON_CreateObject();

		cJSON_AddStringToObject(fo, "name", f->name);
		cJSON_AddStringToObject(
		    fo, "label", en && f->label_en ? f->label_en : f->label_zh);
		cJSON_AddStringToObject(fo, "label_zh", f->label_zh);
		cJSON_AddStringToObject(
		    fo, "label_en", f->label_en ? f->label_en : f->label_zh);
		cJSON_AddStringToObject(fo, "type",
		                        rec_field_type_name(f->type));
		cJSON_AddBoolToObject(fo, "required", f->required != 0);
		if (f->min != 0 || f->max != 0) {
			cJSON_AddNumberToObject(fo, "min", f->min);
			cJSON_AddNumberToObject(fo, "max", f->max);
		}
		cJSON_AddBoolToObject(fo, "private", f->is_private != 0);
		if (f->type == JX_RF_CHOICE) {
			cJSON *ch = cJSON_CreateArray();

			for (int k = 0; f->choices[k] != NULL; k++) {
				cJSON *c = cJSON_CreateObject();
				const char *label = f->choices[k];

				if (en && f->choices_en != NULL &&
				    f->choices_en[k] != NULL)
					label = f->choices_en[k];
				cJSON_AddStringToObject(c, "value",
				                        f->choices[k]);
				cJSON_AddStringToObject(c, "label", label);
				cJSON_AddItemToArray(ch, c);
			}
			cJSON_AddItemToObject(fo, "choices", ch);
		}
		cJSON_AddItemToArray(fields, fo);
	}
	cJSON_AddItemToObject(o, "fields", fields);
	return o;
}

int
route_types(jx_req *req, void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);
	jx_db *db = jx_host->req_db(req);
	cJSON *out = cJSON_CreateArray();

	(void)ud;
	for (int k = 0; k < rec_ntypes; k++) {
		char *creators = rec_creators(req, db, i ? i->district_id : 0,
		                              &rec_types[k]);

		if (creators == NULL) {
			cJSON_Delete(out);
			return jxp_storage_error(jx_host, req);
		}
		cJSON_AddItemToArray(
		    out, rec_type_json(req, &rec_types[k], creators));
	}
	return jx_host->reply_json(req, 200, out);
}

/* ---- init, schema, routes --------------------------------------------- */

static const struct jx_home_item rec_home_pending = {
    .size = sizeof(struct jx_home_item),
    .roles = "teacher,school_admin",
    .label_key = "home.records.pending",
    .href = "/records/review",
    .order = 40,
    .count = rec_pending_count,
};

static const struct jx_space_section rec_section = {
    .size = sizeof(struct jx_space_section),
    .code = "records",
    .plugin = "records",
    .title_key = "space.records",
    .kinds = JX_SPACE_BIT(JX_SPACE_LEARNING),
    .roles = "*",
    .order = 20,
    .items = rec_space_items,
};

static int
rec_init(const struct jx_host *h, struct jx_registrar *reg)
{
	const struct jx_spaces_v1 *sp;

	JX_HOST_INIT(h);
	if (reg->service(reg, JX_RECORDS_SERVICE, &rec_service) != 0 ||
	    reg->file_visible(reg, rec_file_visible, NULL) != 0 ||
	    rec_publicity_init(reg) != 0 ||
	    reg->subscribe(reg, "roster.student_changed",
	                   rec_on_student_changed, NULL) != 0)
		return -1;
	reg->home_item(reg, &rec_home_pending);
	rec_pages_init(reg);
	sp = h->service(JX_SPACES_SERVICE);
	if (sp != NULL && sp->section(&rec_section) != 0)
		h->log(JX_LOG_WARN, "records",
		       "the learning space's section was refused");
	return 0;
}

static const char *const rec_migrations[] = {
    /* 1: records, their files, reopened terms, 公示 and objections */
    "CREATE TABLE records_records ("
    "  id INTEGER PRIMARY KEY,"
    "  student_id INTEGER NOT NULL REFERENCES persons(id),"
    "  school_id INTEGER NOT NULL,"
    "  class_id INTEGER NOT NULL DEFAULT 0,"
    "  district_id INTEGER NOT NULL,"
    "  term TEXT NOT NULL,"
    "  type TEXT NOT NULL,"
    "  title TEXT NOT NULL,"
    "  fields TEXT NOT NULL DEFAULT '{}',"
    "  status TEXT NOT NULL CHECK (status IN ('draft','submitted',"
    "    'approved','rejected','archived')),"
    "  review_comment TEXT,"
    "  reviewed_by INTEGER,"
    "  reviewed_at INTEGER,"
    "  created_by INTEGER NOT NULL DEFAULT 0,"
    "  created_role TEXT NOT NULL,"
    "  ref TEXT,"
    "  record_date INTEGER NOT NULL DEFAULT 0,"
    "  submitted_at INTEGER,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  UNIQUE (type, ref));"
    "CREATE INDEX records_student ON records_records(student_id, term, "
    "  type, id);"
    "CREATE INDEX records_queue ON records_records(school_id, status, "
    "  class_id, id);"
    "CREATE INDEX records_class_term ON records_records(class_id, term, "
    "  status);"
    "CREATE TABLE records_files ("
    "  record_id INTEGER NOT NULL REFERENCES records_records(id),"
    "  file_id INTEGER NOT NULL,"
    "  field TEXT NOT NULL,"
    "  position INTEGER NOT NULL,"
    "  PRIMARY KEY (record_id, file_id));"
    "CREATE TABLE records_reopened ("
    "  school_id INTEGER NOT NULL,"
    "  term TEXT NOT NULL,"
    "  reopened_by INTEGER NOT NULL,"
    "  reopened_at INTEGER NOT NULL,"
    "  PRIMARY KEY (school_id, term));"
    "CREATE TABLE records_publicity ("
    "  id INTEGER PRIMARY KEY,"
    "  school_id INTEGER NOT NULL,"
    "  class_id INTEGER NOT NULL,"
    "  district_id INTEGER NOT NULL,"
    "  term TEXT NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('open','closed')),"
    "  starts_at INTEGER NOT NULL,"
    "  ends_at INTEGER NOT NULL,"
    "  created_by INTEGER NOT NULL,"
    "  closed_at INTEGER);"
    "CREATE INDEX records_publicity_class ON records_publicity(class_id, "
    "  status, id);"
    "CREATE INDEX records_publicity_open ON records_publicity(status, "
    "  ends_at);"
    "CREATE TABLE records_publicity_items ("
    "  publicity_id INTEGER NOT NULL REFERENCES records_publicity(id),"
    "  record_id INTEGER NOT NULL REFERENCES records_records(id),"
    "  PRIMARY KEY (publicity_id, record_id));"
    "CREATE INDEX records_publicity_items_record ON "
    "  records_publicity_items(record_id);"
    "CREATE TABLE records_objections ("
    "  id INTEGER PRIMARY KEY,"
    "  publicity_id INTEGER NOT NULL REFERENCES records_publicity(id),"
    "  record_id INTEGER NOT NULL REFERENCES records_records(id),"
    "  school_id INTEGER NOT NULL,"
    "  person_id INTEGER NOT NULL,"
    "  role TEXT NOT NULL,"
    "  text TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX records_objections_school ON records_objections("
    "  school_id, id);",
    NULL};

static const struct jx_route rec_routes[] = {
    {"GET", "/api/v1/record-types", route_types, NULL, 0},
    {"POST", "/api/v1/students/{id}/records", route_create, NULL, 0},
    {"GET", "/api/v1/students/{id}/records", route_list, NULL, 0},
    {"GET", "/api/v1/records/{id}", route_get, NULL, 0},
    {"PATCH", "/api/v1/records/{id}", route_patch, NULL, 0},
    {"DELETE", "/api/v1/records/{id}", route_delete, NULL, 0},
    {"POST", "/api/v1/records/{id}/submit", route_submit, NULL, 0},
    {"GET", "/api/v1/schools/{sid}/records/pending", route_pending, NULL, 0},
    {"POST", "/api/v1/records/{id}/review", route_review, NULL, 0},
    {"POST", "/api/v1/records/review", route_review_batch, NULL, 0},
    {"GET", "/api/v1/schools/{sid}/record-terms", route_terms, NULL, 0},
    {"POST", "/api/v1/schools/{sid}/terms/{term}/reopen", route_term_reopen,
     NULL, 0},
    {"POST", "/api/v1/classes/{cid}/publicity", route_publicity_create, NULL,
     0},
    {"GET", "/api/v1/classes/{cid}/publicity", route_publicity_get, NULL, 0},
    {"POST", "/api/v1/publicity/{id}/objections", route_objection, NULL, 0},
    {"POST", "/api/v1/publicity/{id}/close", route_publicity_close, NULL, 0},
    {"GET", "/api/v1/schools/{sid}/records/objections", route_objections, NULL,
     0},
    {"GET", "/api/v1/students/{id}/portfolio", route_portfolio, NULL, 0},
    {"GET", "/api/v1/students/{id}/portfolio.zip", route_portfolio_zip, NULL,
     0},
    /* pages (records_pages.c) */
    {"GET", "/records", page_records_mine, NULL, JX_ROUTE_PAGE},
    {"GET", "/records/new", page_records_new, NULL, JX_ROUTE_PAGE},
    {"GET", "/records/review", page_records_review, NULL, JX_ROUTE_PAGE},
    {"GET", "/records/publicity", page_publicity_pick, NULL, JX_ROUTE_PAGE},
    {"GET", "/records/{id}", page_record, NULL, JX_ROUTE_PAGE},
    {"GET", "/records/{id}/edit", page_record_edit, NULL, JX_ROUTE_PAGE},
    {"GET", "/classes/{cid}/publicity", page_publicity, NULL, JX_ROUTE_PAGE},
    {"GET", "/students/{id}/portfolio", page_portfolio, NULL, JX_ROUTE_PAGE},
    {NULL, NULL, NULL, NULL, 0},
};

static const char *const rec_depends[] = {"?feeds", NULL};

static const struct jx_plugin rec_plugin = {
    .size = sizeof(struct jx_plugin),
    .abi_major = JX_ABI_MAJOR,
    .abi_minor = 3, /* "?feeds" (2.2); file_open for the portfolio zip (2.3) */
    .name = "records",
    .version = "1.0.0",
    .depends = rec_depends,
    .migrations = rec_migrations,
    .init = rec_init,
    .routes = rec_routes,
};

JX_EXPORT const struct jx_plugin *
jx_plugin_entry(void)
{
	return &rec_plugin;
}
