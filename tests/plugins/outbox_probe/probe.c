/*
 * probe.c — a test-only plugin for the outbox and the wechat plugin
 * (tests/system/wechat.test.mjs, notify_crash.test.mjs,
 * bench/notify.mjs). Built only into build/test-plugins. Every route is
 * for the city administrator:
 *
 *   POST /api/v1/test/wechat-people {"n","prefix"}  n persons with an
 *        account and a followed openid "<prefix><i>" → {"person_ids"}
 *   POST /api/v1/test/send {"channel","to":[..],"template","params"?,
 *        "ref"?,"not_before"?}  queues every message in one transaction
 *        through jx_host->send → 201 {"ids"}
 *   GET  /api/v1/test/outbox?ref=R   the outbox rows of a reference
 *   GET  /api/v1/test/results?ref=R  the notify.result events seen for it
 *   GET  /api/v1/test/followed/{pid} → {"followed"} (service wechat.v1)
 *   GET  /api/v1/test/person?login=L → {"person_id"} of an account
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <jx/org.h>
#include <jx/plugin.h>
#include <jx/wechat.h>

JX_HOST_DECLARE;

static int
probe_admin(jx_req *req)
{
	const struct jx_identity *i = jx_host->identity(req);

	return i != NULL && strcmp(i->role, "city_admin") == 0;
}

static int
probe_forbidden(jx_req *req)
{
	return jx_host->reply_problem(req, 403, "forbidden", "Forbidden",
	                              "City administrator only.");
}

static int
probe_storage(jx_req *req, jx_db *db)
{
	jx_host->log(JX_LOG_ERROR, "outbox_probe", "%s",
	             jx_host->db_errmsg(db));
	jx_host->db_rollback(db);
	return jx_host->reply_problem(req, 500, "storage", "Storage error",
	                              NULL);
}

static int
probe_people(jx_req *req, void *ud)
{
	cJSON *in = jx_host->req_json(req), *ids, *o;
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(in, "n");
	const cJSON *prefix = cJSON_GetObjectItemCaseSensitive(in, "prefix");
	jx_db *db = jx_host->req_db(req);
	const struct jx_org_v1 *org = jx_host->service(JX_ORG_SERVICE);
	int64_t now = jx_host->now(), base, district;

	(void)ud;
	if (in == NULL)
		return jx_host->req_status(req);
	if (!probe_admin(req))
		return probe_forbidden(req);
	if (!cJSON_IsNumber(n) || n->valueint < 1 || n->valueint > 100000 ||
	    !cJSON_IsString(prefix))
		return jx_host->reply_problem(req, 422, "validation-failed",
		                              "n and prefix", NULL);
	ids = cJSON_CreateArray();
	if (org == NULL || jx_host->db_begin(db) != 0) {
		cJSON_Delete(ids);
		return probe_storage(req, db);
	}
	/* People and accounts are the host's: made through org.v1, each
	 * with a phone of its own (1999 and the row's number). */
	base = jx_host->db_one(db, "SELECT COUNT(*) FROM persons", "");
	district = jx_host->db_one(db, "SELECT MIN(id) FROM districts", "");
	for (int i = 0; i < n->valueint; i++) {
		char *tag =
		    jx_host->sprintf(req, "%s%d", prefix->valuestring, i);
		char phone[16], err[256];
		int64_t person, account;

		snprintf(phone, sizeof(phone), "1999%07lld",
		         (long long)((base + i) % 10000000));
		person = org->adult(db, tag, phone, NULL, err, sizeof(err));
		account = person <= 0 ? -1
		                      : org->account(db, district, person, tag,
		                                     "student", NULL, NULL, 0,
		                                     err, sizeof(err));
		if (account <= 0 ||
		    jx_host->db_exec(
		        db,
		        "INSERT INTO wechat_bindings(account_id, openid, "
		        "followed, invalid, created_at, updated_at) "
		        "VALUES (?, ?, 1, 0, ?, ?)",
		        "isii", account, tag, now, now) != 1) {
			cJSON_Delete(ids);
			return probe_storage(req, db);
		}
		cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)person));
	}
	if (jx_host->db_commit(db) != 0) {
		cJSON_Delete(ids);
		return probe_storage(req, db);
	}
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "person_ids", ids);
	return jx_host->reply_json(req, 201, o);
}

static const char *
probe_str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int
probe_send(jx_req *req, void *ud)
{
	cJSON *in = jx_host->req_json(req), *ids, *o;
	const cJSON *to = cJSON_GetObjectItemCaseSensitive(in, "to"), *t;
	const cJSON *nb = cJSON_GetObjectItemCaseSensitive(in, "not_before");
	jx_db *db = jx_host->req_db(req);
	struct jx_message m;

	(void)ud;
	if (in == NULL)
		return jx_host->req_status(req);
	if (!probe_admin(req))
		return probe_forbidden(req);
	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.channel = probe_str(in, "channel");
	m.template_name = probe_str(in, "template");
	m.params = cJSON_GetObjectItemCaseSensitive(in, "params");
	m.ref = probe_str(in, "ref");
	m.not_before = cJSON_IsNumber(nb) ? (int64_t)nb->valuedouble : 0;
	if (m.channel == NULL || m.template_name == NULL || !cJSON_IsArray(to))
		return jx_host->reply_problem(req, 422, "validation-failed",
		                              "channel, template and to", NULL);
	ids = cJSON_CreateArray();
	if (jx_host->db_begin(db) != 0) {
		cJSON_Delete(ids);
		return probe_storage(req, db);
	}
	cJSON_ArrayForEach(t, to)
	{
		char num[32];
		int64_t id;

		if (cJSON_IsNumber(t)) {
			snprintf(num, sizeof(num), "%.0f", t->valuedouble);
			m.to = num;
		} else {
			m.to = cJSON_IsString(t) ? t->valuestring : "";
		}
		id = jx_host->send(db, &m);
		if (id <= 0) {
			cJSON_Delete(ids);
			jx_host->db_rollback(db);
			return jx_host->reply_problem(
			    req, 422, "not-queued", "send refused the message",
			    NULL);
		}
		cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)id));
	}
	if (jx_host->db_commit(db) != 0) {
		cJSON_Delete(ids);
		return probe_storage(req, db);
	}
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "ids", ids);
	return jx_host->reply_json(req, 201, o);
}

static int
probe_outbox(jx_req *req, void *ud)
{
	const char *ref = jx_host->req_query(req, "ref");
	cJSON *rows, *o;

	(void)ud;
	if (!probe_admin(req))
		return probe_forbidden(req);
	rows = jx_host->db_rows(
	    jx_host->req_db(req),
	    "SELECT id, channel, recipient, template, state, "
	    "attempts, next_at, sent_at, last_error, ref, "
	    "created_at FROM host_outbox WHERE ref = ? ORDER BY id",
	    "s", ref ? ref : "");
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "items", rows ? rows : cJSON_CreateArray());
	cJSON_AddNumberToObject(o, "now", (double)jx_host->now());
	return jx_host->reply_json(req, 200, o);
}

static int
probe_results(jx_req *req, void *ud)
{
	const char *ref = jx_host->req_query(req, "ref");
	cJSON *rows, *o;

	(void)ud;
	if (!probe_admin(req))
		return probe_forbidden(req);
	rows = jx_host->db_rows(
	    jx_host->req_db(req),
	    "SELECT payload FROM outbox_probe_results WHERE ref "
	    "= ? ORDER BY id",
	    "s", ref ? ref : "");
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "items", rows ? rows : cJSON_CreateArray());
	return jx_host->reply_json(req, 200, o);
}

static int
probe_followed(jx_req *req, void *ud)
{
	const struct jx_wechat_v1 *wx = jx_host->service("wechat.v1");
	int64_t pid = jx_host->req_param_id(req, "pid");
	cJSON *o;

	(void)ud;
	if (!probe_admin(req))
		return probe_forbidden(req);
	if (wx == NULL)
		return jx_host->reply_problem(req, 404, "not-found",
		                              "No wechat.v1", NULL);
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "followed",
	                        wx->followed(jx_host->req_db(req), pid));
	return jx_host->reply_json(req, 200, o);
}

static int
probe_person(jx_req *req, void *ud)
{
	const char *login = jx_host->req_query(req, "login");
	cJSON *o;

	(void)ud;
	if (!probe_admin(req))
		return probe_forbidden(req);
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(
	    o, "person_id",
	    (double)jx_host->db_one(
	        jx_host->req_db(req),
	        "SELECT person_id FROM host_accounts WHERE login = ?", "s",
	        login ? login : ""));
	return jx_host->reply_json(req, 200, o);
}

/* Every settled row's event, kept in the settling transaction. */
static int
probe_on_result(jx_db *db, const char *event, const cJSON *payload, void *ud)
{
	char *p = cJSON_PrintUnformatted(payload);
	const cJSON *ref = cJSON_GetObjectItemCaseSensitive(payload, "ref");
	int64_t n;

	(void)event;
	(void)ud;
	if (p == NULL)
		return -1;
	n = jx_host->db_exec(
	    db,
	    "INSERT INTO outbox_probe_results(ref, payload) VALUES "
	    "(?, ?)",
	    "ss", cJSON_IsString(ref) ? ref->valuestring : NULL, p);
	cJSON_free(p);
	return n == 1 ? 0 : -1;
}

static int
probe_init(const struct jx_host *h, struct jx_registrar *reg)
{
	JX_HOST_INIT(h);
	if (reg->subscribe(reg, "notify.result", probe_on_result, NULL) != 0)
		return -1;
	return 0;
}

static const struct jx_route probe_routes[] = {
    {"POST", "/api/v1/test/wechat-people", probe_people, NULL, 0},
    {"POST", "/api/v1/test/send", probe_send, NULL, 0},
    {"GET", "/api/v1/test/outbox", probe_outbox, NULL, 0},
    {"GET", "/api/v1/test/results", probe_results, NULL, 0},
    {"GET", "/api/v1/test/followed/{pid}", probe_followed, NULL, 0},
    {"GET", "/api/v1/test/person", probe_person, NULL, 0},
    {NULL, NULL, NULL, NULL, 0},
};

static const char *const probe_depends[] = {"wechat", NULL};
static const char *const probe_migrations[] = {
    "CREATE TABLE outbox_probe_results ("
    "  id INTEGER PRIMARY KEY,"
    "  ref TEXT,"
    "  payload TEXT NOT NULL);"
    "CREATE INDEX outbox_probe_results_ref ON outbox_probe_results(ref);",
    NULL};

static const struct jx_plugin probe_plugin = {
    .size = sizeof(struct jx_plugin),
    .abi_major = JX_ABI_MAJOR,
    .abi_minor = 0,
    .name = "outbox_probe",
    .version = "1.0.0",
    .depends = probe_depends,
    .migrations = probe_migrations,
    .init = probe_init,
    .routes = probe_routes,
};

JX_EXPORT const struct jx_plugin *
jx_plugin_entry(void)
{
	return &probe_plugin;
}
