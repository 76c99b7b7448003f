/*
 * records_basic.c — the ten growth-record types of the seed, registered
 * with the records plugin through records.v1 (jx/records.h): 成长记录,
 * 自传材料, 个人作品, 荣誉记录, 读书笔记, 学习计划, 公益活动, 研究报告,
 * 爱心服务, 期终评语. The records plugin checks every field against the
 * lists here (required, lengths, choices, counts of files); the hooks
 * add what a list cannot say (hours above 0, a date not in the future)
 * and the one-line summaries of lists and notifications. No table of its
 * own: the records plugin owns every record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jx/plugin.h>
#include <jx/records.h>

JX_HOST_DECLARE;

/* Who may enter what (records.h, creators): staff and the family for
 * most; 期终评语 only the head teacher; a student's own writing only the
 * student and parents. */
#define RB_ALL "student,parent,teacher,head_teacher,school_admin"
#define RB_FAMILY "student,parent"

/* ---- fields -------------------------------------------------------- */

static const struct jx_record_field rb_growth[] = {
    {.name = "date",
     .label_zh = "日期",
     .label_en = "Date",
     .type = JX_RF_DATE,
     .required = 1},
    {.name = "content",
     .label_zh = "记录内容",
     .label_en = "What happened",
     .type = JX_RF_LONGTEXT,
     .required = 1,
     .max = 2000},
    {.name = "photos",
     .label_zh = "照片",
     .label_en = "Photos",
     .type = JX_RF_FILES,
     .max = 9},
};

static const struct jx_record_field rb_autobiography[] = {
    {.name = "content",
     .label_zh = "自述",
     .label_en = "In my own words",
     .type = JX_RF_LONGTEXT,
     .required = 1,
     .max = 5000},
    {.name = "files",
     .label_zh = "附件",
     .label_en = "Attachments",
     .type = JX_RF_FILES,
     .max = 3},
};

static const char *const rb_work_kinds[] = {"书画", "文学", "摄影", "手工",
                                            "科技", "音乐", "其他", NULL};
static const char *const rb_work_kinds_en[] = {
    "Painting and calligraphy", "Writing", "Photography", "Handicraft",
    "Science and technology",   "Music",   "Other",       NULL};

static const struct jx_record_field rb_works[] = {
    {.name = "kind",
     .label_zh = "作品类别",
     .label_en = "Kind of work",
     .type = JX_RF_CHOICE,
     .required = 1,
     .choices = rb_work_kinds,
     .choices_en = rb_work_kinds_en},
    {.name = "date",
     .label_zh = "完成日期",
     .label_en = "Finished on",
     .type = JX_RF_DATE},
    {.name = "description",
     .label_zh = "作品说明",
     .label_en = "About the work",
     .type = JX_RF_LONGTEXT,
     .max = 1000},
    {.name = "files",
     .label_zh = "作品文件",
     .label_en = "Files of the work",
     .type = JX_RF_FILES,
     .required = 1,
     .min = 1,
     .max = 9},
};

static const char *const rb_levels[] = {"校级", "区级",   "市级",
                                        "省级", "国家级", NULL};
static const char *const rb_levels_en[] = {"School",   "District", "City",
                                           "Province", "National", NULL};

static const struct jx_record_field rb_honor[] = {
    {.name = "award",
     .label_zh = "奖项名称",
     .label_en = "Award",
     .type = JX_RF_TEXT,
     .required = 1,
     .max = 100},
    {.name = "level",
     .label_zh = "级别",
     .label_en = "Level",
     .type = JX_RF_CHOICE,
     .required = 1,
     .choices = rb_levels,
     .choices_en = rb_levels_en},
    {.name = "issuer",
     .label_zh = "颁奖单位",
     .label_en = "Awarded by",
     .type = JX_RF_TEXT,
     .required = 1,
     .max = 100},
    {.name = "date",
     .label_zh = "获奖日期",
     .label_en = "Awarded on",
     .type = JX_RF_DATE,
     .required = 1},
    {.name = "certificate",
     .label_zh = "证书照片",
     .label_en = "Certificate",
     .type = JX_RF_FILES,
     .max = 3},
};

static const struct jx_record_field rb_reading[] = {
    {.name = "book",
     .label_zh = "书名",
     .label_en = "Book",
     .type = JX_RF_TEXT,
     .required = 1,
     .max = 100},
    {.name = "author",
     .label_zh = "作者",
     .label_en = "Author",
     .type = JX_RF_TEXT,
     .max = 100},
    {.name = "notes",
     .label_zh = "读书笔记",
     .label_en = "Notes",
     .type = JX_RF_LONGTEXT,
     .required = 1,
     .max = 5000},
};

static const struct jx_record_field rb_plan[] = {
    {.name = "goals",
     .label_zh = "目标",
     .label_en = "Goals",
     .type = JX_RF_LONGTEXT,
     .required = 1,
     .max = 2000},
    {.name = "steps",
     .label_zh = "措施",
     .label_en = "Steps",
     .type = JX_RF_LONGTEXT,
     .max = 2000},
};

/* 公益活动 and 爱心服务: the same facts; the witness (a neighbour's
 * name, a phone number) is never shown in 公示. Hours: the list bounds
 * them 0..24; the hook refuses 0 itself (no activity). */
static const struct jx_record_field rb_service[] = {
    {.name = "organiser",
     .label_zh = "组织单位",
     .label_en = "Organised by",
     .type = JX_RF_TEXT,
     .required = 1,
     .max = 100},
    {.name = "date",
     .label_zh = "活动日期",
     .label_en = "Date",
     .type = JX_RF_DATE,
     .required = 1},
    {.name = "hours",
     .label_zh = "时长（小时）",
     .label_en = "Hours",
     .type = JX_RF_NUMBER,
     .required = 1,
     .min = 0,
     .max = 24},
    {.name = "content",
     .label_zh = "活动内容",
     .label_en = "What was done",
     .type = JX_RF_LONGTEXT,
     .max = 2000},
    {.name = "witness",
     .label_zh = "证明人",
     .label_en = "Witness",
     .type = JX_RF_TEXT,
     .max = 50,
     .is_private = 1},
    {.name = "photos",
     .label_zh = "活动照片",
     .label_en = "Photos",
     .type = JX_RF_FILES,
     .max = 9},
};

static const struct jx_record_field rb_research[] = {
    {.name = "topic",
     .label_zh = "课题",
     .label_en = "Topic",
     .type = JX_RF_TEXT,
     .required = 1,
     .max = 100},
    {.name = "advisor",
     .label_zh = "指导老师",
     .label_en = "Advisor",
     .type = JX_RF_TEXT,
     .max = 50},
    {.name = "abstract",
     .label_zh = "摘要",
     .label_en = "Abstract",
     .type = JX_RF_LONGTEXT,
     .required = 1,
     .max = 3000},
    {.name = "files",
     .label_zh = "报告文件",
     .label_en = "Report",
     .type = JX_RF_FILES,
     .max = 5},
};

static const struct jx_record_field rb_comment[] = {
    {.name = "comment",
     .label_zh = "评语",
     .label_en = "Comment",
     .type = JX_RF_LONGTEXT,
     .required = 1,
     .max = 1000},
};

/* ---- hooks --------------------------------------------------------- */

/* A field's value as a string, a number given as text or as a number. */
static const char *
rb_str(const cJSON *fields, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(fields, name));
}

static int
rb_number(const cJSON *fields, const char *name, double *out)
{
	const cJSON *v = cJSON_GetObjectItem(fields, name);
	const char *s = cJSON_GetStringValue(v);
	char *end;

	if (cJSON_IsNumber(v)) {
		*out = v->valuedouble;
		return 0;
	}
	if (s == NULL || *s == '\0')
		return -1;
	*out = strtod(s, &end);
	return *end == '\0' ? 0 : -1;
}

/* Refuses with message key's text in the request's language. */
static int
rb_refuse(jx_req *req, const char *name, const char *key, char *field,
          size_t fieldlen, char *message, size_t messagelen)
{
	snprintf(field, fieldlen, "%s", name);
	snprintf(message, messagelen, "%s",
	         req != NULL ? jx_host->t(req, key) : key);
	return -1;
}

/* 1 when a YYYY-MM-DD date lies after tomorrow (a day's slack for the
 * time zone): nothing is recorded before it happened. */
static int
rb_future(const char *date)
{
	char today[16];
	time_t now = (time_t)jx_host->now() + 2 * 86400;
	struct tm tm;

	if (date == NULL || gmtime_r(&now, &tm) == NULL)
		return 0;
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	return strcmp(date, today) > 0;
}

static int
rb_validate_date(jx_req *req, jx_db *db, int64_t student, const cJSON *fields,
                 char *field, size_t fieldlen, char *message, size_t messagelen,
                 void *ud)
{
	(void)db, (void)student, (void)ud;
	if (rb_future(rb_str(fields, "date")))
		return rb_refuse(req, "date", "records_basic.future", field,
		                 fieldlen, message, messagelen);
	return 0;
}

/* Hours of one activity: above 0, at most a day (the list bounds 0..24;
 * 0 itself is no activity). */
static int
rb_validate_service(jx_req *req, jx_db *db, int64_t student,
                    const cJSON *fields, char *field, size_t fieldlen,
                    char *message, size_t messagelen, void *ud)
{
	double hours;

	if (rb_number(fields, "hours", &hours) != 0 || !(hours > 0) ||
	    hours > 24)
		return rb_refuse(req, "hours", "records_basic.hours", field,
		                 fieldlen, message, messagelen);
	return rb_validate_date(req, db, student, fields, field, fieldlen,
	                        message, messagelen, ud);
}

/* 区级 · 三好学生 */
static void
rb_summary_honor(const cJSON *fields, char *out, size_t outlen, void *ud)
{
	(void)ud;
	snprintf(out, outlen, "%s · %s", rb_str(fields, "level") ?: "",
	         rb_str(fields, "award") ?: "");
}

/* 社区服务中心 · 3h */
static void
rb_summary_service(const cJSON *fields, char *out, size_t outlen, void *ud)
{
	double hours = 0;

	(void)ud;
	rb_number(fields, "hours", &hours);
	snprintf(out, outlen, "%s · %gh", rb_str(fields, "organiser") ?: "",
	         hours);
}

/* 《城南旧事》 林海音 */
static void
rb_summary_reading(const cJSON *fields, char *out, size_t outlen, void *ud)
{
	const char *author = rb_str(fields, "author");

	(void)ud;
	snprintf(out, outlen, "《%s》%s%s", rb_str(fields, "book") ?: "",
	         author != NULL && *author != '\0' ? " " : "", author ?: "");
}

/* ---- the types ----------------------------------------------------- */

#define RB_N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const struct jx_record_type rb_types[] = {
    {.code = "growth",
     .name_zh = "成长记录",
     .name_en = "Growth",
     .creators = RB_ALL,
     .fields = rb_growth,
     .nfields = RB_N(rb_growth),
     .validate = rb_validate_date},
    {.code = "autobiography",
     .name_zh = "自传材料",
     .name_en = "Autobiography",
     .creators = RB_FAMILY,
     .fields = rb_autobiography,
     .nfields = RB_N(rb_autobiography)},
    {.code = "works",
     .name_zh = "个人作品",
     .name_en = "Works",
     .creators = RB_ALL,
     .fields = rb_works,
     .nfields = RB_N(rb_works),
     .validate = rb_validate_date},
    {.code = "honor",
     .name_zh = "荣誉记录",
     .name_en = "Honours",
     .creators = RB_ALL,
     .fields = rb_honor,
     .nfields = RB_N(rb_honor),
     .validate = rb_validate_date,
     .summary = rb_summary_honor},
    {.code = "reading",
     .name_zh = "读书笔记",
     .name_en = "Reading notes",
     .creators = RB_FAMILY,
     .fields = rb_reading,
     .nfields = RB_N(rb_reading),
     .summary = rb_summary_reading},
    {.code = "study_plan",
     .name_zh = "学习计划",
     .name_en = "Study plan",
     .creators = RB_FAMILY,
     .fields = rb_plan,
     .nfields = RB_N(rb_plan)},
    {.code = "welfare",
     .name_zh = "公益活动",
     .name_en = "Public welfare",
     .creators = RB_ALL,
     .fields = rb_service,
     .nfields = RB_N(rb_service),
     .validate = rb_validate_service,
     .summary = rb_summary_service},
    {.code = "research",
     .name_zh = "研究报告",
     .name_en = "Research report",
     .creators = RB_ALL,
     .fields = rb_research,
     .nfields = RB_N(rb_research)},
    {.code = "caring",
     .name_zh = "爱心服务",
     .name_en = "Caring service",
     .creators = RB_ALL,
     .fields = rb_service,
     .nfields = RB_N(rb_service),
     .validate = rb_validate_service,
     .summary = rb_summary_service},
    {.code = "term_comment",
     .name_zh = "期终评语",
     .name_en = "End-of-term comment",
     .creators = "head_teacher",
     .once_per_term = 1,
     .fields = rb_comment,
     .nfields = RB_N(rb_comment)},
};

static int
records_basic_init(const struct jx_host *h, struct jx_registrar *reg)
{
	const struct jx_records_v1 *rec;

	(void)reg;
	JX_HOST_INIT(h);
	rec = h->service(JX_RECORDS_SERVICE);
	if (rec == NULL)
		return -1;
	for (int i = 0; i < RB_N(rb_types); i++) {
		struct jx_record_type t = rb_types[i];

		t.size = sizeof(t);
		t.plugin = "records_basic";
		if (rec->type(&t) != 0)
			return -1;
	}
	return 0;
}

static const char *const records_basic_depends[] = {"records", NULL};

static const struct jx_plugin records_basic_plugin = {
    .size = sizeof(struct jx_plugin),
    .abi_major = JX_ABI_MAJOR,
    .abi_minor = 0,
    .name = "records_basic",
    .version = "1.0.0",
    .depends = records_basic_depends,
    .init = records_basic_init,
};

JX_EXPORT const struct jx_plugin *
jx_plugin_entry(void)
{
	return &records_basic_plugin;
}
