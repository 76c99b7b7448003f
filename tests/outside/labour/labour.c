/* labour.c — a district's 劳动教育 record type, built outside the tree:
 * records does the rest (form, checks, review, 公示, portfolio). */
#include <jx/plugin.h>
#include <jx/records.h>

static const char *const kinds[] = {"日常生活劳动", "生产劳动", "服务性劳动",
                                    NULL};
static const char *const kinds_en[] = {"Everyday chores", "Productive work",
                                       "Service work", NULL};

static const struct jx_record_field labour_fields[] = {
    {.name = "task",
     .label_zh = "劳动项目",
     .label_en = "Task",
     .type = JX_RF_TEXT,
     .required = 1,
     .max = 100},
    {.name = "kind",
     .label_zh = "劳动类别",
     .label_en = "Kind of work",
     .type = JX_RF_CHOICE,
     .required = 1,
     .choices = kinds,
     .choices_en = kinds_en},
    {.name = "date",
     .label_zh = "日期",
     .label_en = "Date",
     .type = JX_RF_DATE,
     .required = 1},
    {.name = "hours",
     .label_zh = "时长（小时）",
     .label_en = "Hours",
     .type = JX_RF_NUMBER,
     .required = 1,
     .min = 0.5,
     .max = 12},
    {.name = "photos",
     .label_zh = "劳动照片",
     .label_en = "Photos",
     .type = JX_RF_FILES,
     .required = 1,
     .min = 1,
     .max = 6},
};

static const struct jx_record_type labour_type = {
    .size = sizeof(struct jx_record_type),
    .code = "labour",
    .name_zh = "劳动教育",
    .name_en = "Labour education",
    .plugin = "labour",
    .creators = "student,parent,teacher,head_teacher,school_admin",
    .fields = labour_fields,
    .nfields = sizeof(labour_fields) / sizeof(labour_fields[0]),
};

static int
labour_init(const struct jx_host *h, struct jx_registrar *reg)
{
	const struct jx_records_v1 *rec = h->service(JX_RECORDS_SERVICE);

	(void)reg;
	return rec != NULL && rec->type(&labour_type) == 0 ? 0 : -1;
}

static const struct jx_plugin labour_plugin = {
    .size = sizeof(struct jx_plugin),
    .abi_major = JX_ABI_MAJOR,
    .name = "labour",
    .version = "1.0.0",
    .depends = (const char *const[]){"records", NULL},
    .init = labour_init,
};

JX_EXPORT const struct jx_plugin *
jx_plugin_entry(void)
{
	return &labour_plugin;
}
