/*
 * notices_deliver.c — how notices reach people, all through the host's
 * durable outbox (jx_host->send, ref "notice:<id>"):
 *
 *   - at compose: a WeChat row for every parent (WeChat and SMS of a
 *     non-urgent notice composed in the district's quiet hours wait
 *     until they end). The in-app delivery is the notices_recipients row
 *     itself, written in the same transaction: the inbox reads it, so an
 *     in-app outbox row per recipient would only double the writes of a
 *     notice to a whole school (bench/notices.sh); it counts as an in-app
 *     delivery sent (notices_read.c). Reminders, which have no row of
 *     their own, do queue in-app outbox rows;
 *   - fallback: when WeChat settles a row as failed (code "unreachable":
 *     no binding, unfollowed, 43004; or any other failure), the parent gets the
 *     notice by SMS instead, unless they have read it meanwhile (or, for
 *     a notice asking for confirmation, confirmed it). The receipts
 *     count these rows as deliveries.wechat.unreachable, apart from
 *     failures (notices_read.c);
 *   - escalation: each step the rule notice_escalation gave is a timer,
 *     an outbox row of this plugin's own channel "notices_escalation"
 *     due at the step's time. The outbox makes it durable and the host's
 *     clock (shifted in tests) decides when it is due; the channel just
 *     accepts it, and when the host publishes its notify.result the step
 *     runs, in that transaction: the unread are reminded through the
 *     step's channel, or put on the head teachers' call list.
 *
 * The subscriber runs on a delivery thread, which has no Lua state: the
 * quiet hours were read from the rules at compose time and stored with
 * the notice.
 */
#include "notices.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a message about a notice needs. */
struct notice_info {
	int64_t id, created_at, not_before;
	int urgent, quiet_from, quiet_to;
	char kind[16];
	char title[256];
	char from[128];
	char school[128];
	char *escalation; /* malloc'ed */
};

static int
notice_info_load(jx_db *db, int64_t id, struct notice_info *n)
{
	jx_stmt *st = jx_host->db_query(
	    db,
	    "SELECT n.kind, n.title, n.urgent, n.not_before, n.quiet_from, "
	    "n.quiet_to, n.escalation, n.created_at, p.name, s.name FROM "
	    "notices_notices n JOIN persons p ON p.id = n.sender_person_id "
	    "JOIN schools s ON s.id = n.school_id WHERE n.id = ?",
	    "i", id);
	int rc = -1;

	memset(n, 0, sizeof(*n));
	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		n->id = id;
		snprintf(n->kind, sizeof(n->kind), "%s",
		         jx_host->db_text(st, 0));
		snprintf(n->title, sizeof(n->title), "%s",
		         jx_host->db_text(st, 1));
		n->urgent = (int)jx_host->db_int(st, 2);
		n->not_before = jx_host->db_int(st, 3);
		n->quiet_from = jx_host->db_is_null(st, 4)
		                    ? -1
		                    : (int)jx_host->db_int(st, 4);
		n->quiet_to = jx_host->db_is_null(st, 5)
		                  ? -1
		                  : (int)jx_host->db_int(st, 5);
		n->escalation = strdup(jx_host->db_text(st, 6));
		n->created_at = jx_host->db_int(st, 7);
		snprintf(n->from, sizeof(n->from), "%s",
		         jx_host->db_text(st, 8));
		snprintf(n->school, sizeof(n->school), "%s",
		         jx_host->db_text(st, 9));
		rc = n->escalation ? 0 : -1;
	}
	jx_host->db_finish(st);
	return rc;
}

/* When WeChat or SMS about n may go out now: 0, or the end of the quiet
 * hours (urgent notices never wait). */
static int64_t
notice_quiet(const struct notice_info *n)
{
	return n->urgent ? 0
	                 : notices_quiet_end(jx_host->now(), n->quiet_from,
	                                     n->quiet_to);
}

/* The template parameters of the in-app and WeChat messages. */
static cJSON *
notice_params(const struct notice_info *n)
{
	cJSON *p = cJSON_CreateObject();
	const char *base = jx_host->config_string("public_url");
	size_t len = base ? strlen(base) : 0;
	char when[40], url[512];

	while (len > 0 && base[len - 1] == '/')
		len--;
	jx_host->format_time(n->created_at, when, sizeof(when));
	snprintf(url, sizeof(url), "%.*s/notices/%lld", (int)len,
	         base ? base : "", (long long)n->id);
	cJSON_AddStringToObject(p, "title", n->title);
	cJSON_AddStringToObject(
	    p, "from", strcmp(n->kind, "school") == 0 ? n->school : n->from);
	cJSON_AddStringToObject(p, "sent_at", when);
	cJSON_AddStringToObject(p, "kind",
	                        strcmp(n->kind, "school") == 0 ? "学校通知"
	                                                       : "作业通知");
	cJSON_AddStringToObject(p, "url", url);
	return p;
}

/* SMS templates take short parameters only (providers approve
 * templates with fields of limited length, never free text). */
static cJSON *
notice_sms_params(const struct notice_info *n)
{
	cJSON *p = cJSON_CreateObject();
	char school[128], title[128];

	notices_cut(n->school, NOTICES_SMS_PARAM_MAX, school, sizeof(school));
	notices_cut(n->title, NOTICES_SMS_PARAM_MAX, title, sizeof(title));
	cJSON_AddStringToObject(p, "school", school);
	cJSON_AddStringToObject(p, "title", title);
	return p;
}

static int
notice_send(jx_db *db, const char *channel, const char *to,
            const char *template_name, const cJSON *params, int64_t not_before,
            const char *ref)
{
	struct jx_message m = {
	    .size = sizeof(m),
	    .channel = channel,
	    .to = to,
	    .template_name = template_name,
	    .params = params,
	    .not_before = not_before,
	    .ref = ref,
	};

	return jx_host->send(db, &m) > 0 ? 0 : -1;
}

/* WeChat rows only when the wechat plugin is active. */
static int
notice_wechat_active(void)
{
	return jx_host->service("wechat.v1") != NULL;
}

int
notices_deliver_new(jx_db *db, int64_t id)
{
	struct notice_info n;
	cJSON *params = NULL, *steps = NULL;
	const cJSON *s;
	char ref[48], to[32];
	int64_t nb;
	int wechat = notice_wechat_active(), rc = -1;
	jx_stmt *st;

	if (notice_info_load(db, id, &n) != 0)
		return -1;
	snprintf(ref, sizeof(ref), "notice:%lld", (long long)id);
	params = notice_params(&n);
	nb = n.not_before;
	st = jx_host->db_query(
	    db,
	    "SELECT person_id, is_parent FROM notices_recipients "
	    "WHERE notice_id = ? AND is_parent = 1 ORDER BY "
	    "person_id",
	    "i", id);
	if (st == NULL)
		goto done;
	while (jx_host->db_step(st) == JX_DB_ROW) {
		snprintf(to, sizeof(to), "%lld",
		         (long long)jx_host->db_int(st, 0));
		if (wechat && jx_host->db_int(st, 1) &&
		    notice_send(db, "wechat", to, "notice", params, nb, ref) !=
		        0) {
			jx_host->db_finish(st);
			goto done;
		}
	}
	jx_host->db_finish(st);
	/* The escalation timers. */
	steps = cJSON_Parse(n.escalation);
	snprintf(ref, sizeof(ref), "notice:%lld:escalation", (long long)id);
	cJSON_ArrayForEach(s, (cJSON_IsArray(steps) ? steps : NULL))
	{
		const cJSON *at = cJSON_GetObjectItemCaseSensitive(s, "at");
		const cJSON *ch =
		    cJSON_GetObjectItemCaseSensitive(s, "channel");

		snprintf(to, sizeof(to), "%lld/%s", (long long)id,
		         ch->valuestring);
		if (notice_send(db, NOTICES_TIMER_CHANNEL, to,
		                "notice_escalation", NULL,
		                (int64_t)at->valuedouble, ref) != 0)
			goto done;
	}
	rc = 0;
done:
	cJSON_Delete(params);
	cJSON_Delete(steps);
	free(n.escalation);
	return rc;
}

int64_t
notices_not_before(jx_db *db, int64_t id)
{
	return jxp_one(jx_host, db,
	               "SELECT not_before FROM notices_notices WHERE "
	               "id = ?",
	               "i", id);
}

/* SMS about notice n to person (template), if they have a phone. */
static int
notice_sms(jx_db *db, const struct notice_info *n, int64_t person,
           const char *template_name, const cJSON *params)
{
	jx_stmt *st = jx_host->db_query(
	    db, "SELECT phone FROM persons WHERE id = ? AND phone IS NOT NULL",
	    "i", person);
	char phone[32] = "", ref[48];

	if (st == NULL)
		return -1;
	if (jx_host->db_step(st) == JX_DB_ROW)
		snprintf(phone, sizeof(phone), "%s", jx_host->db_text(st, 0));
	jx_host->db_finish(st);
	if (phone[0] == '\0')
		return 0; /* nobody to text: the call list will show them */
	snprintf(ref, sizeof(ref), "notice:%lld", (long long)n->id);
	return notice_send(db, "sms", phone, template_name, params,
	                   notice_quiet(n), ref);
}

int64_t
notices_deliver_remind(jx_db *db, int64_t id, const char *channel,
                       int unconfirmed)
{
	struct notice_info n;
	cJSON *params = NULL;
	char ref[48], to[32];
	int64_t count = 0, nb;
	int wechat = notice_wechat_active();
	jx_stmt *st;

	if (notice_info_load(db, id, &n) != 0)
		return -1;
	if (strcmp(channel, "call_list") == 0) {
		/* A parent is listed under their child's class (the head
		 * teacher calls), others under the class they were
		 * addressed through, if any. */
		count = jx_host->db_exec(
		    db,
		    "INSERT INTO notices_calls(notice_id, person_id, "
		    "class_id, created_at) SELECT r.notice_id, r.person_id, "
		    "(SELECT MIN(v.class_id) FROM notices_via v WHERE "
		    "v.notice_id = r.notice_id AND v.person_id = r.person_id), "
		    "? FROM notices_recipients r WHERE r.notice_id = ? AND "
		    "r.read_at IS NULL ON CONFLICT DO NOTHING",
		    "ii", jx_host->now(), id);
		goto done;
	}
	snprintf(ref, sizeof(ref), "notice:%lld", (long long)id);
	params = strcmp(channel, "sms") == 0 ? notice_sms_params(&n)
	                                     : notice_params(&n);
	nb = notice_quiet(&n);
	st = jx_host->db_query(
	    db,
	    unconfirmed ? "SELECT person_id, is_parent FROM notices_recipients "
	                  "WHERE notice_id = ? AND confirmed_at IS NULL ORDER "
	                  "BY person_id"
	                : "SELECT person_id, is_parent FROM notices_recipients "
	                  "WHERE notice_id = ? AND read_at IS NULL ORDER BY "
	                  "person_id",
	    "i", id);
	if (st == NULL) {
		count = -1;
		goto done;
	}
	while (jx_host->db_step(st) == JX_DB_ROW) {
		int64_t person = jx_host->db_int(st, 0);
		int rc;

		snprintf(to, sizeof(to), "%lld", (long long)person);
		if (strcmp(channel, "sms") == 0)
			rc =
			    notice_sms(db, &n, person, "notice_remind", params);
		else
			rc = notice_send(db, "inapp", to, "notice_remind",
			                 params, 0, ref) != 0 ||
			             (wechat && jx_host->db_int(st, 1) &&
			              notice_send(db, "wechat", to,
			                          "notice_remind", params, nb,
			                          ref) != 0)
			         ? -1
			         : 0;
		if (rc != 0) {
			count = -1;
			break;
		}
		count++;
	}
	jx_host->db_finish(st);
done:
	cJSON_Delete(params);
	free(n.escalation);
	return count;
}

/* The escalation timer channel: accepting is all it does; the step runs
 * when the host settles the row (notices_result). */
static int
notices_timer(const char *to, const char *template_name, const cJSON *params,
              const char *key, char *err, size_t errlen, void *ud)
{
	(void)to;
	(void)template_name;
	(void)params;
	(void)key;
	(void)err;
	(void)errlen;
	(void)ud;
	return 0;
}

static const char *
payload_string(const cJSON *p, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* notify.result: escalation steps and the WeChat → SMS fallback. */
static int
notices_result(jx_db *db, const char *event, const cJSON *payload, void *ud)
{
	const char *ref = payload_string(payload, "ref");
	const char *channel = payload_string(payload, "channel");
	const char *state = payload_string(payload, "state");
	const char *to = payload_string(payload, "to");
	const char *code = payload_string(payload, "code");
	const char *tmpl = payload_string(payload, "template");
	long long id = 0;
	int used = 0;

	(void)event;
	(void)ud;
	if (ref == NULL || channel == NULL || state == NULL || to == NULL ||
	    sscanf(ref, "notice:%lld%n", &id, &used) != 1 || id <= 0)
		return 0;
	if (strcmp(channel, NOTICES_TIMER_CHANNEL) == 0) {
		const char *step = strchr(to, '/');

		if (strcmp(state, "sent") != 0 || step == NULL)
			return 0;
		if (notices_deliver_remind(db, id, step + 1, 0) < 0) {
			jx_host->log(
			    JX_LOG_ERROR, "notices",
			    "notice %lld: escalation step %s failed: %s", id,
			    step + 1, jx_host->db_errmsg(db));
			return -1;
		}
		jx_host->log(JX_LOG_INFO, "notices",
		             "notice %lld: escalation %s", id, step + 1);
		return 0;
	}
	/* WeChat could not deliver: a family it cannot reach, or a
	 * failure (the channel gave up, WeChat reported the job failed);
	 * either way the parent is texted, where the district can. */
	if (strcmp(channel, "wechat") == 0 && strcmp(state, "failed") == 0 &&
	    code != NULL && ref[used] == '\0') {
		int64_t person = atoll(to);
		struct notice_info n;
		cJSON *params;
		int rc;

		/* Only a recipient who has not read it yet (or, for a
		 * notice that asks, not confirmed it: a reminder to the
		 * unconfirmed reaches readers too). */
		if (jxp_one(
		        jx_host, db,
		        "SELECT 1 FROM notices_recipients r JOIN "
		        "notices_notices n ON n.id = r.notice_id WHERE "
		        "r.notice_id = ? AND r.person_id = ? AND (r.read_at "
		        "IS NULL OR (n.requires_confirmation = 1 AND "
		        "r.confirmed_at IS NULL))",
		        "ii", (int64_t)id, person) != 1)
			return 0;
		if (notice_info_load(db, id, &n) != 0)
			return -1;
		params = notice_sms_params(&n);
		rc = notice_sms(db, &n, person,
		                tmpl != NULL &&
		                        strcmp(tmpl, "notice_remind") == 0
		                    ? "notice_remind"
		                    : "notice",
		                params);
		cJSON_Delete(params);
		free(n.escalation);
		return rc;
	}
	return 0;
}

int
notices_deliver_init(struct jx_registrar *reg)
{
	if (reg->channel(reg, NOTICES_TIMER_CHANNEL, notices_timer, NULL) !=
	        0 ||
	    reg->subscribe(reg, "notify.result", notices_result, NULL) != 0)
		return -1;
	return 0;
}
