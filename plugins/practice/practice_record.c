/*
 * practice_record.c — the growth-record type social_practice (社会实践),
 * registered with the records plugin through records.v1 at init, and the
 * record a check-in creates (records.v1 create, approved, ref
 * "practice:<registration id>" so that a second create is the first).
 *
 * Who writes them: check-ins (the system, on behalf of the staff member
 * who checked the student in). By hand only a school admin, for practice
 * done where the platform was not used (a paper sheet from a base): the
 * records plugin needs at least one creator, and staff-only keeps
 * families from claiming hours nobody saw. A district's rule may narrow
 * that further (records_creators), never widen it.
 */
#include "practice_checkin.h"

#include <jx/records.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct jx_record_field pr_fields[] = {
    {.name = "activity",
     .label_zh = "实践活动",
     .label_en = "Activity",
     .type = JX_RF_TEXT,
     .required = 1,
     .max = 100},
    {.name = "base",
     .label_zh = "实践基地",
     .label_en = "Practice base",
     .type = JX_RF_TEXT,
     .required = 1,
     .max = 100},
    {.name = "date",
     .label_zh = "日期",
     .label_en = "Date",
     .type = JX_RF_DATE,
     .required = 1},
    {.name = "hours",
     .label_zh = "实践学时",
     .label_en = "Hours",
     .type = JX_RF_NUMBER,
     .required = 1,
     .max = PRACTICE_RECORD_HOURS_MAX},
    {.name = "description",
     .label_zh = "活动简介",
     .label_en = "Description",
     .type = JX_RF_LONGTEXT,
     .max = 500},
};

/* A number given as a number or as text ("2.5"). */
static int
pr_number(const cJSON *fields, const char *name, double *out)
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

/* Hours above 0 (the list bounds them by 0..PRACTICE_RECORD_HOURS_MAX; 0
 * itself is no practice). */
static int
pr_validate(jx_req *req, jx_db *db, int64_t student, const cJSON *fields,
            char *field, size_t fieldlen, char *message, size_t messagelen,
            void *ud)
{
	double hours;

	(void)db, (void)student, (void)ud;
	if (pr_number(fields, "hours", &hours) == 0 && hours > 0)
		return 0;
	snprintf(field, fieldlen, "hours");
	snprintf(message, messagelen, "%s",
	         req != NULL ? jx_host->t(req, "practice.record.hours")
	                     : "hours above 0");
	return -1;
}

/* 橘子洲实践基地 · 4学时 */
static void
pr_summary(const cJSON *fields, char *out, size_t outlen, void *ud)
{
	double hours = 0;
	const char *base =
	    cJSON_GetStringValue(cJSON_GetObjectItem(fields, "base"));

	(void)ud;
	pr_number(fields, "hours", &hours);
	snprintf(out, outlen, "%s · %g学时", base ? base : "", hours);
}

static const struct jx_record_type pr_type = {
    .size = sizeof(struct jx_record_type),
    .code = PRACTICE_RECORD_TYPE,
    .name_zh = "社会实践",
    .name_en = "Social practice",
    .plugin = "practice",
    .creators = "school_admin",
    .fields = pr_fields,
    .nfields = (int)(sizeof(pr_fields) / sizeof(pr_fields[0])),
    .validate = pr_validate,
    .summary = pr_summary,
};

int
practice_record_init(void)
{
	const struct jx_records_v1 *rec = jx_host->service(JX_RECORDS_SERVICE);

	if (rec == NULL || rec->type(&pr_type) != 0) {
		jx_host->log(JX_LOG_ERROR, "practice",
		             "the record type social_practice was refused");
		return -1;
	}
	return 0;
}

int64_t
practice_record_create(jx_db *db, const struct practice_checkin_row *c,
                       int64_t by_person, char *err, size_t errlen)
{
	const struct jx_records_v1 *rec = jx_host->service(JX_RECORDS_SERVICE);
	struct jx_record_new n;
	char ref[40], date[16];
	time_t t = (time_t)c->starts_at;
	struct tm tm;
	cJSON *fields;
	int64_t id;

	if (rec == NULL || rec->size < offsetof(struct jx_records_v1, create) +
	                                   sizeof(rec->create)) {
		snprintf(err, errlen, "records.v1 create is not there");
		return -1;
	}
	/* The activity's local day (the host set TZ to the configured
	 * zone at start). */
	localtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	fields = cJSON_CreateObject();
	cJSON_AddStringToObject(fields, "activity", c->title);
	cJSON_AddStringToObject(fields, "base", c->base_name);
	cJSON_AddStringToObject(fields, "date", date);
	cJSON_AddNumberToObject(fields, "hours", c->hours);
	if (c->description != NULL && *c->description != '\0') {
		/* the record keeps a short description: the activity's first
		 * 500 characters */
		char *d = practice_cut(c->description, 500);

		cJSON_AddStringToObject(fields, "description", d ? d : "");
		free(d);
	}
	snprintf(ref, sizeof(ref), "practice:%lld", (long long)c->id);
	memset(&n, 0, sizeof(n));
	n.size = sizeof(n);
	n.student = c->student;
	n.type = PRACTICE_RECORD_TYPE;
	n.term = NULL; /* the term that holds the activity's day */
	n.date = c->starts_at;
	n.title = c->title;
	n.fields = fields;
	n.approved = 1;
	n.by_person = by_person;
	n.ref = ref;
	id = rec->create(db, &n, err, errlen);
	cJSON_Delete(fields);
	return id;
}
