/*
 * hostapi.c — the function table handed to plugins (struct jx_host).
 * Thin adapters over the host modules; the table only grows at its end.
 */
#include "account.h"
#include "crypto.h"
#include "host.h"
#include "files.h"
#include "org.h"
#include "render.h"

#include <jx/org.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char *
api_config_string(const char *path)
{
	return config_string(&app.cfg, path);
}

static int64_t
api_config_int(const char *path, int64_t def)
{
	return config_int(&app.cfg, path, def);
}

static const char *
api_req_method(jx_req *req)
{
	return req->method;
}

static const char *
api_req_path(jx_req *req)
{
	return req->path;
}

static const char *
api_req_client_ip(jx_req *req)
{
	return req->client_ip;
}

static int
api_req_status(jx_req *req)
{
	return req->status;
}

static const char *
api_req_lang(jx_req *req)
{
	return req->lang;
}

static void *
api_alloc(jx_req *req, size_t n)
{
	return arena_alloc(req->arena, n);
}

static char *
api_strdup(jx_req *req, const char *s)
{
	return arena_strdup(req->arena, s);
}

static char *
api_sprintf(jx_req *req, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = arena_vsprintf(req->arena, fmt, ap);
	va_end(ap);
	return s;
}

static void
api_defer(jx_req *req, void (*fn)(void *), void *arg)
{
	arena_defer(req->arena, fn, arg);
}

static void
api_problem_error(jx_req *req, int row, const char *field, const char *message)
{
	problem_add_error(&req->errors, row, field, message);
}

static jx_db *
api_req_db(jx_req *req)
{
	return req->worker->db;
}

static const void *
api_service(const char *name)
{
	/* The host's own services first. */
	if (strcmp(name, JX_ORG_SERVICE) == 0)
		return &orgsvc_table;
	for (int i = 0; i < app.nservices; i++)
		if (strcmp(app.services[i].name, name) == 0 &&
		    app.plugins[app.services[i].plugin].state == PLUGIN_ACTIVE)
			return app.services[i].table;
	return NULL;
}

static const struct jx_identity *
api_identity(jx_req *req)
{
	return req->identity;
}

static int
api_may(jx_req *req, enum jx_scope scope, int64_t target)
{
	return access_may(req->worker->db, req->identity, scope, target);
}

static jx_db *
api_thread_db(void)
{
	return thread_db();
}

static int
api_rule_call(jx_db *db, int64_t district, const char *source, const char *name,
              const cJSON *args, cJSON **result, int64_t *version, char *err,
              size_t errlen)
{
	return rules_call_ex(db, thread_lua(), district, source, name, args,
	                     result, version, err, errlen);
}

/* ---- host services that write host tables: run as the host ---------- */

static int64_t
api_job_submit(jx_db *db, const char *kind, cJSON *params, int64_t owner)
{
	int h = host_enter();
	int64_t id = jobs_submit(db, kind, params, owner);

	host_leave(h);
	return id;
}

static void
api_job_progress(jx_job *job, int64_t done, int64_t total)
{
	int h = host_enter();

	jobs_progress(job, done, total);
	host_leave(h);
}

static int
api_audit(jx_req *req, const char *action, const char *target,
          const cJSON *detail)
{
	int h = host_enter(), rc = audit_req(req, action, target, detail);

	host_leave(h);
	return rc;
}

static int
api_notify(jx_db *db, const char *channel, const char *to,
           const char *template_name, const cJSON *params)
{
	int h = host_enter(),
	    rc = notify_send(db, channel, to, template_name, params);

	host_leave(h);
	return rc;
}

static int64_t
api_send(jx_db *db, const struct jx_message *m)
{
	int h = host_enter();
	int64_t id = notify_message(db, m);

	host_leave(h);
	return id;
}

static int
api_rule_call_host(jx_db *db, int64_t district, const char *source,
                   const char *name, const cJSON *args, cJSON **result,
                   int64_t *version, char *err, size_t errlen)
{
	int h = host_enter(),
	    rc = api_rule_call(db, district, source, name, args, result,
	                       version, err, errlen);

	host_leave(h);
	return rc;
}

static int64_t
api_rules_version(jx_db *db, int64_t district)
{
	int h = host_enter();
	int64_t v = rules_version(db, district);

	host_leave(h);
	return v;
}

static int
api_outbox_report(jx_db *db, const char *key, int ok, const char *err)
{
	int h = host_enter(), rc = notify_report(db, key, ok, err);

	host_leave(h);
	return rc;
}

static const char *
api_data_dir(void)
{
	return app.data_dir;
}

static int
api_req_is_api(jx_req *req)
{
	return req->is_api;
}

static int
api_problem_count(jx_req *req)
{
	return cJSON_GetArraySize(req->errors);
}

/* Logs an account in on this request, as a login does (wechat's OAuth
 * arrival): 0, or -1 with nothing replied when there is no such
 * account or the session could not be stored. */
static int
api_session_open(jx_req *req, int64_t account_id, const char *via)
{
	int h = host_enter(), rc = -1;
	jx_stmt *st =
	    db_query(req->worker->db, "SELECT login FROM accounts WHERE id = ?",
	             "i", account_id);
	char *login = NULL;

	if (st != NULL && db_step(st) == JX_DB_ROW)
		login = arena_strdup(req->arena, db_text(st, 0));
	db_finish(st);
	if (login != NULL &&
	    account_session_open_via(req, account_id, login, via) == 200)
		rc = 0;
	else if (login != NULL)
		req->status = 0; /* the plugin replies, not the host */
	host_leave(h);
	return rc;
}

const struct jx_host jx_host_table = {
    .size = sizeof(struct jx_host),
    .abi_major = JX_ABI_MAJOR,
    .abi_minor = JX_ABI_MINOR,
    .log = jx_log,
    .config_string = api_config_string,
    .config_int = api_config_int,
    .now = jx_now,
    .req_method = api_req_method,
    .req_path = api_req_path,
    .req_param = http_param,
    .req_param_id = http_param_id,
    .req_query = http_query,
    .req_header = http_header,
    .req_client_ip = api_req_client_ip,
    .req_body = http_body,
    .req_json = http_json,
    .req_status = api_req_status,
    .req_lang = api_req_lang,
    .alloc = api_alloc,
    .strdup = api_strdup,
    .sprintf = api_sprintf,
    .defer = api_defer,
    .reply_json = http_reply_json,
    .reply_problem = http_reply_problem,
    .problem_error = api_problem_error,
    .reply_view = http_reply_view,
    .reply_raw = http_reply_raw,
    .reply_redirect = http_reply_redirect,
    .req_db = api_req_db,
    .db_query = db_query,
    .db_step = db_step,
    .db_int = db_int,
    .db_double = db_double,
    .db_text = db_text,
    .db_is_null = db_is_null,
    .db_finish = db_finish,
    .db_exec = db_exec,
    .db_begin = db_begin,
    .db_commit = db_commit,
    .db_rollback = db_rollback,
    .db_errmsg = db_errmsg,
    .db_rows = db_rows,
    .publish = events_publish,
    .job_submit = api_job_submit,
    .job_params = jobs_params,
    .job_db = jobs_db,
    .job_progress = api_job_progress,
    .job_set_result = jobs_set_result,
    .job_id = jobs_id,
    .service = api_service,
    .render = http_render,
    .t = http_t,
    .identity = api_identity,
    .may = api_may,
    .audit = api_audit,
    .notify = api_notify,
    .req_form = http_form,
    .db_vquery = db_vquery,
    .db_one = db_one,
    .thread_db = api_thread_db,
    .req_upload = http_upload,
    .data_dir = api_data_dir,
    .db_insert = db_insert,
    .rule_call = api_rule_call_host,
    .rules_version = api_rules_version,
    .format_time = clock_format_iso,
    .send = api_send,
    .parallel = jobs_parallel,
    .job_stopping = jobs_stopping,
    .req_is_api = api_req_is_api,
    .req_fields = fields_read,
    .problem_count = api_problem_count,
    .outbox_report = api_outbox_report,
    /* files (ABI 2.1) */
    .file_attach = files_attach,
    .file_detach = files_detach,
    .file_info = files_info,
    .tmp_open = files_tmp_open,
    /* WeChat arrival (ABI 2.1) */
    .session_open = api_session_open,
    /* ABI 2.3 */
    .file_open = files_open,
    /* ABI 2.4 */
    .mac = crypto_purpose_mac,
    /* ABI 2.5 */
    .reply_view_data = render_reply_view_data,
    .pd_open = render_data_open,
    .pd_close = render_data_close,
    .pd_str = render_data_str,
    .pd_int = render_data_int,
    .pd_bool = render_data_bool,
    .fragment_get = render_cache_get,
    .fragment_render = render_cache_render,
    .pd_html = render_data_html,
};
