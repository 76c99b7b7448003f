/*
 * practice_notify.c — telling a family about its registration, through
 * the host's durable outbox (jx_host->send, ref
 * "practice_registration:<id>"), in the caller's transaction: every
 * guardian in the app, and by WeChat where the wechat plugin is active,
 * else by SMS where the district can send; the student in the app. As
 * for notices, a WeChat message that fails (a parent WeChat cannot
 * reach) is followed by an SMS where the district can send
 * (practice_notify_result, on the delivery thread's notify.result).
 */
#include "practice.h"

#include <stdio.h>
#include <string.h>

static int
notify_one(jx_db *db, const char *channel, const char *to,
           const char *template_name, const cJSON *params, const char *ref)
{
	struct jx_message m = {
	    .size = sizeof(m),
	    .channel = channel,
	    .to = to,
	    .template_name = template_name,
	    .params = params,
	    .ref = ref,
	};

	return jx_host->send(db, &m) > 0 ? 0 : -1;
}

/* The SMS parameters of a message about activity: its title cut to 20
 * characters (SMS templates take short fields) and its start; and the
 * activity's district in *district. Caller owns the object. */
static cJSON *
notify_sms_params(jx_db *db, int64_t activity, int64_t *district)
{
	cJSON *sms = cJSON_CreateObject();
	char when[40] = "", title[96] = "";
	jx_stmt *st = jx_host->db_query(db,
	                                "SELECT title, starts_at, district_id "
	                                "FROM practice_activities WHERE id = ?",
	                                "i", activity);

	*district = 0;
	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		const char *t = jx_host->db_text(st, 0);
		size_t n = 0, chars = 0;

		while (t[n] && chars < 20 && n + 4 < sizeof(title)) {
			n++;
			while (((unsigned char)t[n] & 0xc0) == 0x80)
				n++;
			chars++;
		}
		snprintf(title, sizeof(title), "%.*s", (int)n, t);
		jx_host->format_time(jx_host->db_int(st, 1), when,
		                     sizeof(when));
		*district = jx_host->db_int(st, 2);
	}
	jx_host->db_finish(st);
	cJSON_AddStringToObject(sms, "activity", title);
	cJSON_AddStringToObject(sms, "starts_at", when);
	return sms;
}

static int
notify_gateway(jx_db *db, int64_t district)
{
	return practice_org != NULL &&
	       practice_org->size > offsetof(struct jx_org_v1, sms_gateway) &&
	       practice_org->sms_gateway(db, district);
}

int
practice_tell_family(jx_db *db, int64_t student, int64_t activity,
                     const char *template_name, int64_t registration)
{
	cJSON *params = cJSON_CreateObject(), *sms;
	const char *base = jx_host->config_string("public_url");
	size_t len = base ? strlen(base) : 0;
	char ref[48], to[24], when[40] = "", url[512];
	int64_t district = 0;
	int wechat = jx_host->service("wechat.v1") != NULL, gateway, rc = -1;
	jx_stmt *st;

	while (len > 0 && base[len - 1] == '/')
		len--;
	snprintf(ref, sizeof(ref), "practice_registration:%lld",
	         (long long)registration);
	snprintf(url, sizeof(url), "%.*s/practice/activities/%lld", (int)len,
	         base ? base : "", (long long)activity);
	st =
	    jx_host->db_query(db,
	                      "SELECT a.title, a.starts_at, p.name FROM "
	                      "practice_activities a, persons p WHERE a.id = ? "
	                      "AND p.id = ?",
	                      "ii", activity, student);
	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		cJSON_AddStringToObject(params, "activity",
		                        jx_host->db_text(st, 0));
		jx_host->format_time(jx_host->db_int(st, 1), when,
		                     sizeof(when));
		cJSON_AddStringToObject(params, "student",
		                        jx_host->db_text(st, 2));
	}
	jx_host->db_finish(st);
	cJSON_AddStringToObject(params, "starts_at", when);
	cJSON_AddStringToObject(params, "url", url);
	sms = notify_sms_params(db, activity, &district);
	gateway = notify_gateway(db, district);

	snprintf(to, sizeof(to), "%lld", (long long)student);
	if (notify_one(db, "inapp", to, template_name, params, ref) != 0)
		goto done;
	st = jx_host->db_query(db,
	                       "SELECT g.parent_id, p.phone FROM guardians g "
	                       "JOIN persons p ON p.id = g.parent_id WHERE "
	                       "g.student_id = ? ORDER BY g.parent_id",
	                       "i", student);
	if (st == NULL)
		goto done;
	while (jx_host->db_step(st) == JX_DB_ROW) {
		snprintf(to, sizeof(to), "%lld",
		         (long long)jx_host->db_int(st, 0));
		if (notify_one(db, "inapp", to, template_name, params, ref) !=
		        0 ||
		    (wechat && notify_one(db, "wechat", to, template_name,
		                          params, ref) != 0) ||
		    (!wechat && gateway && !jx_host->db_is_null(st, 1) &&
		     notify_one(db, "sms", jx_host->db_text(st, 1),
		                template_name, sms, ref) != 0)) {
			jx_host->db_finish(st);
			goto done;
		}
	}
	jx_host->db_finish(st);
	rc = 0;
done:
	cJSON_Delete(params);
	cJSON_Delete(sms);
	return rc;
}

int
practice_notify_result(jx_db *db, const char *event, const cJSON *payload,
                       void *ud)
{
	const char *ref = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(payload, "ref"));
	const char *channel = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(payload, "channel"));
	const char *state = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(payload, "state"));
	const char *to = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(payload, "to"));
	const char *tmpl = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(payload, "template"));
	long long reg = 0;
	int used = 0, rc = 0;
	int64_t activity, district, person;
	char phone[32] = "";
	jx_stmt *st;
	cJSON *sms;

	(void)event;
	(void)ud;
	if (ref == NULL || channel == NULL || state == NULL || to == NULL ||
	    tmpl == NULL || strcmp(channel, "wechat") != 0 ||
	    strcmp(state, "failed") != 0 ||
	    sscanf(ref, "practice_registration:%lld%n", &reg, &used) != 1 ||
	    ref[used] != '\0' || reg <= 0)
		return 0;
	person = atoll(to);
	activity = jxp_one(jx_host, db,
	                   "SELECT activity_id FROM practice_registrations "
	                   "WHERE id = ?",
	                   "i", (int64_t)reg);
	if (activity <= 0 || person <= 0)
		return 0;
	st = jx_host->db_query(db,
	                       "SELECT phone FROM persons WHERE id = ? AND "
	                       "phone IS NOT NULL",
	                       "i", person);
	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW)
		snprintf(phone, sizeof(phone), "%s", jx_host->db_text(st, 0));
	jx_host->db_finish(st);
	sms = notify_sms_params(db, activity, &district);
	if (phone[0] != '\0' && notify_gateway(db, district))
		rc = notify_one(db, "sms", phone, tmpl, sms, ref);
	cJSON_Delete(sms);
	return rc;
}
