/*
 * rectest — a test plugin of the records tests (tests/system/records*):
 * two record types registered through records.v1 (one of every field
 * type, a private field, a validate and a summary hook; a head teacher's
 * once-per-term type), and POST /api/v1/rectest/create, which drives
 * records.v1 create (with a ref) the way practice's check-ins will.
 */
#include <stdio.h>
#include <string.h>

#include <jx/plugin.h>
#include <jx/records.h>

JX_HOST_DECLARE;
static const struct jx_records_v1 *rec;

static const char *const levels[] = {"校级", "区级", "市级", NULL};
static const char *const levels_en[] = {"School", "District", "City", NULL};

static const struct jx_record_field fields[] = {
    {"place", "地点", "Place", JX_RF_TEXT, 1, 0, 20, NULL, NULL, 0},
    {"hours", "时长", "Hours", JX_RF_NUMBER, 1, 0.5, 8, NULL, NULL, 0},
    {"day", "日期", "Date", JX_RF_DATE, 0, 0, 0, NULL, NULL, 0},
    {"level", "级别", "Level", JX_RF_CHOICE, 1, 0, 0, levels, levels_en, 0},
    {"story", "经过", "Story", JX_RF_LONGTEXT, 0, 0, 0, NULL, NULL, 0},
    {"witness", "证明人电话", "Witness", JX_RF_TEXT, 0, 0, 0, NULL, NULL, 1},
    {"photos", "照片", "Photos", JX_RF_FILES, 0, 0, 3, NULL, NULL, 0},
    {"proof", "证明", "Proof", JX_RF_FILES, 0, 0, 1, NULL, NULL, 1},
};

static int
validate(jx_req *req, jx_db *db, int64_t student, const cJSON *f, char *field,
         size_t fieldlen, char *message, size_t messagelen, void *ud)
{
	const cJSON *h = cJSON_GetObjectItem(f, "hours");
	const cJSON *l = cJSON_GetObjectItem(f, "level");

	(void)req, (void)db, (void)student, (void)ud;
	if (cJSON_IsNumber(h) && h->valuedouble > 6 && cJSON_IsString(l) &&
	    strcmp(l->valuestring, "校级") == 0) {
		snprintf(field, fieldlen, "hours");
		snprintf(message, messagelen, "校级活动最多 6 小时");
		return -1;
	}
	return 0;
}

static void
summary(const cJSON *f, char *out, size_t outlen, void *ud)
{
	(void)ud;
	snprintf(out, outlen, "%s · %g 小时",
	         cJSON_GetStringValue(cJSON_GetObjectItem(f, "level")),
	         cJSON_GetNumberValue(cJSON_GetObjectItem(f, "hours")));
}

static const struct jx_record_type service_type = {
    .size = sizeof(struct jx_record_type),
    .code = "rectest",
    .name_zh = "测试活动",
    .name_en = "Test activity",
    .plugin = "rectest",
    .creators = "student,parent,teacher,school_admin",
    .fields = fields,
    .nfields = 8,
    .validate = validate,
    .summary = summary,
};

static const struct jx_record_field comment_fields[] = {
    {"text", "评语", "Comment", JX_RF_LONGTEXT, 1, 0, 300, NULL, NULL, 0},
};

static const struct jx_record_type comment_type = {
    .size = sizeof(struct jx_record_type),
    .code = "rectest_comment",
    .name_zh = "测试评语",
    .name_en = "Test comment",
    .plugin = "rectest",
    .creators = "head_teacher",
    .once_per_term = 1,
    .fields = comment_fields,
    .nfields = 1,
};

/* POST /api/v1/rectest/create {"student","ref","hours"?}: records.v1
 * create, approved, by the caller (test only). */
static int
route_create(jx_req *req, void *ud)
{
	cJSON *b = jx_host->req_json(req), *fields, *out;
	char err[256] = "";
	int64_t id;

	(void)ud;
	if (b == NULL)
		return jx_host->req_status(req);
	fields = cJSON_CreateObject();
	cJSON_AddStringToObject(fields, "place", "基地");
	cJSON_AddNumberToObject(
	    fields, "hours",
	    cJSON_IsNumber(cJSON_GetObjectItem(b, "hours"))
	        ? cJSON_GetObjectItem(b, "hours")->valuedouble
	        : 2);
	cJSON_AddStringToObject(fields, "level", "区级");
	struct jx_record_new n = {
	    .size = sizeof(n),
	    .student = (int64_t)cJSON_GetNumberValue(
	        cJSON_GetObjectItem(b, "student")),
	    .type = "rectest",
	    .date = jx_host->now(),
	    .title = "社会实践打卡",
	    .fields = fields,
	    .approved = 1,
	    .by_person = jx_host->identity(req)->person_id,
	    .ref = cJSON_GetStringValue(cJSON_GetObjectItem(b, "ref")),
	};
	jx_db *db = jx_host->req_db(req);
	jx_host->db_begin(db);
	id = rec->create(db, &n, err, sizeof(err));
	cJSON_Delete(fields);
	if (id < 0) {
		jx_host->db_rollback(db);
		return jx_host->reply_problem(req, 422, "validation-failed",
		                              "Invalid", err);
	}
	jx_host->db_commit(db);
	out = cJSON_CreateObject();
	cJSON_AddNumberToObject(out, "id", (double)id);
	return jx_host->reply_json(req, 201, out);
}

static int
init(const struct jx_host *h, struct jx_registrar *reg)
{
	(void)reg;
	JX_HOST_INIT(h);
	rec = h->service(JX_RECORDS_SERVICE);
	if (rec == NULL || rec->type(&service_type) != 0 ||
	    rec->type(&comment_type) != 0)
		return -1;
	return 0;
}

static const char *const deps[] = {"records", NULL};

static const struct jx_route routes[] = {
    {"POST", "/api/v1/rectest/create", route_create, NULL, 0},
    {NULL, NULL, NULL, NULL, 0},
};

static const struct jx_plugin plugin = {
    .size = sizeof(struct jx_plugin),
    .abi_major = JX_ABI_MAJOR,
    .abi_minor = 0,
    .name = "rectest",
    .version = "1.0.0",
    .depends = deps,
    .init = init,
    .routes = routes,
};

JX_EXPORT const struct jx_plugin *
jx_plugin_entry(void)
{
	return &plugin;
}
