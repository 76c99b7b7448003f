/*
 * host.h — the host's internal shared declarations: the application
 * (state fixed after start-up plus the few mutex-guarded structures
 * threads share), the request, and each module's entry points.
 */
#ifndef JX_HOST_H
#define JX_HOST_H

#include <pthread.h>
#include <stdio.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "arena.h"
#include "jx/plugin.h"

struct mg_connection;
struct mg_context;
struct luaenv;
struct luaenv_plugin_templates;
struct router;

/* Stacks. civetweb's workers parse requests on stacks of a size fixed
 * when libcivetweb is built (CIVETWEB_THREAD_STACK_SIZE; Debian's 1.15
 * keeps its default of 102400 bytes, whatever RLIMIT_STACK says); the
 * host logs a warning when a worker has less. Threads the host starts
 * itself get JX_THREAD_STACK: room for Lua, SQLite, curl and the sheet
 * readers with a wide margin (20 times what request parsing needs), and
 * virtual memory only: untouched pages cost nothing. */
#define JX_WORKER_STACK (100 * 1024)
#define JX_THREAD_STACK (2 * 1024 * 1024)

/* ---- log.c ------------------------------------------------------------ */
void jx_log(int level, const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void jx_vlog(int level, const char *tag, const char *fmt, va_list ap);
void log_set_level(int level);

/* ---- clock.c ---------------------------------------------------------- */
/* The host's one clock: epoch seconds, shifted in test builds. */
int64_t jx_now(void);
void clock_set_offset(int64_t seconds);
/* ISO 8601 with offset in the configured zone, into out (>= 32 bytes). */
void clock_format_iso(int64_t t, char *out, size_t n);
/* The CLOCK_REALTIME instant ms milliseconds from now, for
 * pthread_cond_timedwait. */
struct timespec;
void clock_after_ms(struct timespec *ts, long ms);
void clock_set_timezone(const char *tz);

/* ---- config.c --------------------------------------------------------- */
struct config {
	cJSON *root; /* the whole merged table; owned */
	char *path;  /* the config file */
};
/* Loads defaults, then FILE (may be NULL: defaults only), then each
 * "KEY=VALUE" of sets. Returns 0 or -1 with err. */
int config_load(struct config *cfg, const char *file, char **sets, int nsets,
                char *err, size_t errlen);
void config_free(struct config *cfg);
/* Applies one KEY=VALUE (dotted path; VALUE a Lua literal or a string). */
int config_set(struct config *cfg, const char *kv, char *err, size_t errlen);
const cJSON *config_get(const struct config *cfg, const char *path);
const char *config_string(const struct config *cfg, const char *path);
int64_t config_int(const struct config *cfg, const char *path, int64_t def);
int config_bool(const struct config *cfg, const char *path, int def);

/* ---- db.c ------------------------------------------------------------- */
/* Opens a connection to the database file with the host's pragmas.
 * NULL on error (logged). */
jx_db *db_open(const char *path);
void db_close(jx_db *db);
/* Statements finished with the request: resets those still active. */
void db_reset_all(jx_db *db);
/* The underlying sqlite3 handle (host modules only). */
struct sqlite3 *db_handle(jx_db *db);
jx_stmt *db_query(jx_db *db, const char *sql, const char *types, ...);
jx_stmt *db_vquery(jx_db *db, const char *sql, const char *types, va_list ap);
int db_step(jx_stmt *st);
int64_t db_int(jx_stmt *st, int col);
double db_double(jx_stmt *st, int col);
const char *db_text(jx_stmt *st, int col);
int db_is_null(jx_stmt *st, int col);
void db_finish(jx_stmt *st);
int64_t db_exec(jx_db *db, const char *sql, const char *types, ...);
/* Runs one INSERT of one row (no RETURNING); its new id, or -1. */
int64_t db_insert(jx_db *db, const char *sql, const char *types, ...);
/* The first column of the first row: 0 when no row, -1 on error. */
int64_t db_one(jx_db *db, const char *sql, const char *types, ...);
int64_t db_vexec(jx_db *db, const char *sql, const char *types, va_list ap);
/* Runs a script of several statements (migrations); -1 on error. */
int db_exec_script(jx_db *db, const char *sql);
int db_begin(jx_db *db);
int db_commit(jx_db *db);
int db_rollback(jx_db *db);
int db_in_transaction(jx_db *db);
/* What the database is now, as this connection sees it: the pager's data
 * version (SQLITE_FCNTL_DATA_VERSION: it moves with every commit, by any
 * connection or process, seen at this connection's next read) and the
 * rows this connection changed (sqlite3_total_changes64: also its
 * uncommitted changes). Returns 0 when a read cached under an earlier
 * version may not be used or kept: a transaction is open (its changes
 * could still roll back, which moves neither figure). */
int db_version(jx_db *db, unsigned *data_version, int64_t *changes);
const char *db_errmsg(jx_db *db);
cJSON *db_rows(jx_db *db, const char *sql, const char *types, ...);
cJSON *db_vrows(jx_db *db, const char *sql, const char *types, va_list ap);
/* Consistent online copy (sqlite3 backup API). */
int db_backup(jx_db *db, const char *out, char *err, size_t errlen);
/* 1 when the last failure on this connection since the last request was
 * a full disk (SQLITE_FULL, or an I/O error from ENOSPC/EDQUOT). */
int db_storage_full(jx_db *db);
/* The database file's path. */
const char *db_path(jx_db *db);
/* Marks the open transaction as having appended audit entries: its
 * commit then writes the audit checkpoint (audit.c). */
void db_audit_added(jx_db *db);
/*
 * Who is running on this thread: plugin code or a host service. The host
 * marks every call into a plugin (handlers, job runners, subscribers,
 * channels, init, parallel helpers) with plugin_enter and every host
 * service a plugin may call that writes a host table with host_enter;
 * each returns the previous state for the matching leave, so that calls
 * nest (a subscriber run by a host service is plugin code again). In
 * -DJX_TESTING builds an authorizer on every connection refuses writes
 * and DDL on a host table while plugin code runs outside a host service
 * (docs/host-schema.md). Cheap: a thread-local int.
 */
int host_enter(void);
void host_leave(int prev);
int plugin_enter(void);
void plugin_leave(int prev);
/* 1 while plugin code runs outside any host service. */
int db_in_plugin(void);
/* The host's tables (NULL-terminated): those host_migrations create. */
extern const char *const db_host_tables[];

/* ---- migrate.c -------------------------------------------------------- */
/* Applies the pending steps of one owner ("host" or a plugin name), each
 * in its own transaction with its version. 0 or -1 with err. */
int migrate_apply(jx_db *db, const char *owner, const char *const *steps,
                  char *err, size_t errlen);
int migrate_version(jx_db *db, const char *owner);
/* The host's own schema. */
extern const char *const host_migrations[];

/* ---- router.c --------------------------------------------------------- */
struct route {
	const char *method;
	const char *pattern;
	jx_handler handler;
	void *ud;
	unsigned flags;
	int plugin; /* index into app.plugins, -1 for the host */
	/* Filled by router_add: this route's parameter names in order
	 * (each route keeps its own, so {id} and {student} may share a
	 * position). */
	int nparams;
	char *params[8];
};
struct route_match {
	const struct route *route;
	int nparams;
	const char *names[8];
	char *values[8]; /* arena */
};
struct router *router_new(void);
void router_free(struct router *r);
/* 0, or -1 when the pattern is malformed or taken. */
int router_add(struct router *r, const struct route *rt);
/* 1 when pattern is well formed: "/" and whole segments, a parameter
 * being "{name}" (a-z, 0-9, _), at most 8; else 0 with why in err. */
int router_pattern_ok(const char *pattern, char *err, size_t errlen);
/* The pattern with its parameter names taken out ("/a/{}/b"), the key
 * two routes clash on (with the method); malloc'ed. */
char *router_pattern_key(const char *pattern);
/* Adds every route of a table (logged on failure); 0 or -1. */
int router_add_all(struct router *r, const struct route *routes, size_t n);
/* 1 found, 0 no such path, -2 path exists for another method (405). */
int router_match(const struct router *r, const char *method, const char *path,
                 struct arena *a, struct route_match *m);

/* ---- plugin.c --------------------------------------------------------- */
enum plugin_state { PLUGIN_ACTIVE, PLUGIN_DISABLED, PLUGIN_FAILED };
struct plugin {
	char *name;
	char *version;
	enum plugin_state state;
	char reason[512];
	void *dl;
	const struct jx_plugin *desc; /* &copy once opened */
	struct jx_plugin copy;        /* the descriptor, zero past its size */
	char *path;                   /* the .so */
	int shipped; /* 1 when found in plugin_dir (not plugin_path): wins a
	                route clash with one found elsewhere */
	/* registrar->file_visible (ABI 2.1): files.c asks it */
	jx_file_visible_fn file_visible;
	void *file_visible_ud;
};
struct cli_hook {
	char *name;
	jx_cli_fn fn;
	void *ud;
	int plugin;
};
struct menu_entry {
	char *roles;
	char *label_key;
	char *href;
	int order;
	int plugin;
	char *icon; /* a tab of the bottom tab bar (menu_tab), else NULL */
};
/* A home page item (registrar->home_item, ABI 2.1). */
struct home_entry {
	char *roles;
	char *label_key; /* NULL for rows items */
	char *href;      /* NULL for rows items */
	int order;
	unsigned flags;
	int64_t (*count)(jx_req *req, void *ud);
	cJSON *(*rows)(jx_req *req, void *ud);
	void *ud;
	int plugin;
};
struct subscription {
	char *event;
	jx_event_fn fn;
	void *ud;
	int plugin;
};
struct job_kind {
	char *kind;
	jx_job_fn fn;
	void *ud;
	int plugin;
};
struct channel_entry {
	char *name;
	jx_channel_fn fn;
	void *ud;
	int plugin;
};
struct service_entry {
	char *name;
	const void *table;
	int plugin;
};
/* Loads the configured plugins from plugin_dir, then plugin_path, in
 * dependency order; a name found twice loads from the first place (a
 * shipped one first) and the other is failed, naming both paths. Also
 * fills app.plugin_templates. With db non-NULL also migrates and initialises
 * them (serve); with db NULL only loads and checks (jiaxiao plugins). */
int plugins_load(jx_db *db);
void plugins_shutdown(void);
/* "active", "disabled" or "failed": the loader's log and the plugins
 * endpoint (inline, so that neither calls the other). */
static inline const char *
plugin_state_name(enum plugin_state s)
{
	switch (s) {
	case PLUGIN_ACTIVE: return "active";
	case PLUGIN_DISABLED: return "disabled";
	default: return "failed";
	}
}
/* The hook a plugin registered under name (registrar->cli_command), or
 * NULL. */
const struct cli_hook *plugin_cli_hook(const char *name);
/* Checks one route table as the loader checks a plugin's: 0, or -1 with
 * why in err. */
int plugin_routes_check(const struct jx_route *routes, char *err,
                        size_t errlen);

/* ---- hostapi.c -------------------------------------------------------- */
extern const struct jx_host jx_host_table;

/* ---- events.c --------------------------------------------------------- */
int events_publish(jx_db *db, const char *event, const cJSON *payload);

/* ---- jobs.c ----------------------------------------------------------- */
int jobs_start(void);
void jobs_stop(void);
/* Marks jobs left running by a dead process as failed. */
int jobs_recover(jx_db *db);
int64_t jobs_submit(jx_db *db, const char *kind, cJSON *params, int64_t owner);
/* The job as the API shows it, or NULL. */
cJSON *jobs_get_json(jx_db *db, int64_t id, int64_t *owner);
/* A job's result as one reader sees it: the messages of result.errors and
 * result.warnings are stored in Chinese ("message") and English
 * ("message_en"); "message" becomes the one of lang, "message_en" goes. */
void jobs_localize(cJSON *job, const char *lang);
/* Runs queued jobs until none is left (tests, and the job thread). */
int jobs_run_pending(jx_db *db);
const cJSON *jobs_params(jx_job *job);
jx_db *jobs_db(jx_job *job);
void jobs_progress(jx_job *job, int64_t done, int64_t total);
void jobs_set_result(jx_job *job, cJSON *result);
int64_t jobs_id(jx_job *job);
/* The host table's parallel (see jx/plugin.h). */
int jobs_parallel(void (*fn)(void *arg, int i), void *arg, int n);
/* The host table's job_stopping. */
int jobs_stopping(jx_job *job);

/* ---- thread.c --------------------------------------------------------- */
/* What a thread running host or plugin code owns: one for each civetweb
 * request worker, the job thread and its parallel helpers, each delivery
 * worker and lane, and a command that runs rules. */
struct thread {
	jx_db *db;          /* NULL when it could not be opened */
	struct luaenv *lua; /* NULL without THREAD_LUA, or when it failed */
	struct arena arena; /* a request worker's per-request arena */
	int owns_db;        /* 0: db was lent to thread_begin */
	/* identity.c's cache of this connection's reads (identity_cache) */
	void *identity_cache;
	void (*identity_cache_free)(void *);
	struct thread *prev; /* the set current before thread_begin */
};
/* thread_begin's flags: also make a Lua state (district rules). */
#define THREAD_LUA 1u
/* Makes the calling thread's set current until thread_end: db when not
 * NULL (lent: the caller closes it), else a new connection; a Lua state
 * with THREAD_LUA. Nests: thread_end makes the previous set current
 * again. NULL when memory is exhausted; db and lua may be NULL (calls
 * needing them then fail as on any thread without them). */
struct thread *thread_begin(jx_db *db, unsigned flags);
/* Frees what thread_begin made (t may be NULL). */
void thread_end(struct thread *t);
/* A civetweb worker's set, made on its first request (connection, Lua
 * state, arena) and freed when civetweb ends the thread; NULL when no
 * connection could be opened (answered 503, tried again next time). */
struct thread *thread_worker(void);
/* The current set, its connection and its Lua state; NULL when none. */
struct thread *thread_current(void);
jx_db *thread_db(void);
struct luaenv *thread_lua(void);
struct luaenv_opts;
/* The Lua options from the configuration. */
void thread_lua_opts(struct luaenv_opts *lo);
/* pthread_create with a stack of JX_THREAD_STACK bytes: every thread the
 * host starts (the job thread, parallel helpers, notify workers and
 * lanes) has a known stack, not whatever RLIMIT_STACK says. */
int thread_start(pthread_t *t, void *(*fn)(void *), void *arg);
/* Runs fn(arg) on a stack of at least JX_THREAD_STACK / 2: right here when
 * this thread has one, else on a thread of JX_THREAD_STACK the caller
 * waits for. A district's Lua chunk may recurse through pcall, metamethods
 * or the parser up to Lua's C-call limit (200 levels), more than a
 * civetweb worker's 100 KiB hold. 0, or -1 when no thread could start. */
int thread_on_big_stack(void (*fn)(void *), void *arg);

/* ---- http.c: the dispatcher and the request's input ------------------ */
struct header {
	const char *name, *value;
};
struct jx_req {
	struct mg_connection *conn;
	struct arena *arena;
	struct thread *worker; /* the serving thread's set (thread.c) */
	const char *method;
	const char *path;
	const char *query;
	const char *client_ip;
	const char *lang;
	struct route_match match;
	int64_t start_us;
	/* reply */
	int status;
	const char *content_type;
	struct buf body;
	struct buf headers;  /* "Name: value\r\n"... */
	cJSON *errors;       /* problem "errors" */
	cJSON *last_problem; /* a copy of the last problem replied */
	int body_read;
	const char *body_data; /* the body once read (arena) */
	size_t body_len;
	int is_api;
	int is_head;
	int is_static;
	/* identity (filled by the auth layer; zero when anonymous) */
	int64_t account_id;
	int64_t session_id;
	const char *csrf_token;
	const char *district_code;
	const char *role;
	int must_change;
	const char *account_lang, *account_login, *account_name; /* arena */
	struct jx_identity *identity; /* arena; NULL when anonymous */
	const char *identity_district_code;
	cJSON *identities; /* the account's identity list, once built */
	/* the identity switcher's rows (identity_page_rows), once built */
	const struct identity_row *page_identities;
	int npage_identities, page_identities_built;
	int64_t *home_counts;   /* home items' counts asked so far (one per
	                           app.home entry, INT64_MIN: not yet) */
	const char *set_cookie; /* a Set-Cookie value to send */
	const char *form_csrf;  /* csrf_token field of a form post */
	/* A body streamed from a file instead of body (files.c): send_len
	 * bytes of send_fd from send_off; http_send closes send_fd. */
	int send_file;
	int send_fd;
	int64_t send_off, send_len;
	const char *cache_control; /* NULL: no-store (not for static) */
};
int http_start(void);
void http_stop(void);
const char *http_header(jx_req *req, const char *name);
const char *http_query(jx_req *req, const char *name);
/* A path parameter of the matched route, or NULL (the host table's
 * req_param); as a positive id, else -1 (req_param_id). */
const char *http_param(jx_req *req, const char *name);
int64_t http_param_id(jx_req *req, const char *name);
int http_body(jx_req *req, size_t limit, const char **data, size_t *len);
cJSON *http_json(jx_req *req);
/* An uploaded file (see jx_host.req_upload). */
int http_upload(jx_req *req, const char *field, const char **data, size_t *len,
                const char **filename, const char **ctype);
/* A field of an application/x-www-form-urlencoded body, or NULL. */
const char *http_form(jx_req *req, const char *name);

/* ---- reply.c ---------------------------------------------------------- */
/* Each sets the request's reply and returns its status (jx/plugin.h
 * has the contracts of the host table's reply_* built on them). */
/* problem+json (takes req->errors): a 500 after a full disk on the
 * thread's connection becomes 507 with Retry-After; every 5xx gets an
 * "error_id", also logged with the database's error. A page route or an
 * unknown path outside /api/ shows the error page instead. */
int http_reply_problem(jx_req *req, int status, const char *type,
                       const char *title, const char *detail);
int http_reply_json(jx_req *req, int status, cJSON *body);
int http_reply_view(jx_req *req, int status, const char *tmpl, cJSON *data);
/* As http_reply_view, with add_data(L, ud) setting more of the
 * template's variables straight into its Lua table (render_page_with);
 * for a page's large data that would only be built in cJSON to be copied
 * (the home page's items). Not for the API: data alone is the reply. */
struct lua_State;
int http_reply_view_with(jx_req *req, int status, const char *tmpl, cJSON *data,
                         void (*add_data)(struct lua_State *L, void *ud),
                         void *ud);
int http_reply_raw(jx_req *req, int status, const char *ctype, const void *data,
                   size_t len, const char *extra);
int http_reply_redirect(jx_req *req, const char *location);
void http_add_header(jx_req *req, const char *name, const char *value);
/* A message shown once on the next page this browser renders (a toast):
 * key is a catalog key under "flash." (others are ignored); set it
 * before a redirect. */
void http_flash(jx_req *req, const char *key);
/* The message of the last problem replied (its first error's, else its
 * detail), for pages that show a form again; NULL when none. */
const char *http_problem_message(jx_req *req);
char *http_render(jx_req *req, const char *tmpl, const cJSON *data);
const char *http_t(jx_req *req, const char *key);
/* zh or en, whichever is the request's language: a message the host
 * writes in C (a field's error) shows in one language only. */
const char *http_tr(jx_req *req, const char *zh, const char *en);

/* ---- fields.c ---------------------------------------------------------- */
/* The host table's req_fields (see jx/plugin.h). */
cJSON *fields_read(jx_req *req, const struct jx_field *spec);

/* ---- jsonin.c ---------------------------------------------------------- */
/* How deep a request body may nest arrays and objects. cJSON recurses
 * once per level on a civetweb worker's 100 KiB stack (JX_WORKER_STACK);
 * 64 levels use a few KiB of it, and no body of the API nests past 4. */
#define JSONIN_MAX_DEPTH 64
#define JSONIN_MAX_DEPTH_TEXT "64"
/* Why a body was refused: 400 (not UTF-8, not a JSON object, nested too
 * deep) or 422 (a field's value: field names it, as "audience.grades[1]"). */
struct jsonin_error {
	int status;
	char field[128];
	char message[160];
};
/* A request body as a checked JSON object (free with cJSON_Delete), or
 * NULL with *err filled. data[len] must be '\0' (as http_body leaves it).
 * Never recurses deeper than JSONIN_MAX_DEPTH. */
cJSON *jsonin_parse(const char *data, size_t len, struct jsonin_error *err);
int jsonin_utf8_valid(const unsigned char *s, size_t n);

/* ---- problem.c -------------------------------------------------------- */
const char *problem_status_title(int status);
/* A problem+json object; takes ownership of errors (may be NULL). */
cJSON *problem_new(int status, const char *type, const char *title,
                   const char *detail, cJSON *errors);
/* Appends {"row"?,"field"?,"message"} to *errors (created if NULL). */
void problem_add_error(cJSON **errors, int row, const char *field,
                       const char *message);

/* ---- identity.c ------------------------------------------------------- */
/* "一年级" ... "九年级", "高一" ... "高三" for grades 1-12 (the org
 * service's grade_label; here because identities show class labels and
 * sit below the organisation code). */
const char *identity_grade_label(int grade);
/* Loads an active identity with its classes. 0, or -1 when there is no
 * such active identity. */
int identity_load(jx_db *db, struct arena *a, int64_t id,
                  struct jx_identity *out);
/* As identity_load, also giving the district's code (arena). */
int identity_load_code(jx_db *db, struct arena *a, int64_t id,
                       struct jx_identity *out, const char **code);
/* The account's identity list for this request (built once; a copy the
 * caller owns). */
cJSON *identity_list_req(jx_req *req);
/* identity_load_code through the worker w's cache of db's reads: the
 * same answer, read again only when the database changed since (any
 * commit, any connection or process) or inside a transaction. */
int identity_load_cached(struct thread *w, jx_db *db, struct arena *a,
                         int64_t id, struct jx_identity *out,
                         const char **code);
/* One identity of the switcher: its id, role and label (arena or the
 * request's identity list). */
struct identity_row {
	int64_t id;
	const char *role, *label;
};
/* The switcher's rows for this request, built once (one constant query,
 * or the request's identity list when a handler loaded it): the layout,
 * /me and the page object share them. Returns the count, *rows set. */
int identity_page_rows(jx_req *req, const struct identity_row **rows);
/* The page's identity switcher list: [{id, role, label}] (a tree the
 * caller owns), from identity_page_rows. */
cJSON *identity_page_list(jx_req *req);
/* The API's identity object. */
cJSON *identity_json(jx_db *db, struct arena *a, const struct jx_identity *i);
/* Every active identity of an account, in the default order. */
cJSON *identity_list(jx_db *db, struct arena *a, int64_t account_id);
/* The identity to act as after login: the last used if still active,
 * else the first of admin roles, teacher, student, parent. 0 if none. */
int64_t identity_default(jx_db *db, int64_t account_id);
/* The session reply: account, identities, acting identity, CSRF token. */
cJSON *identity_session_json(jx_req *req);

/* ---- session.c -------------------------------------------------------- */
/* Creates a session; writes the cookie token (hex) and CSRF token. */
int session_create(jx_db *db, int64_t account_id, int64_t identity_id,
                   char token[65], char csrf[65]);
/* The Set-Cookie header value for token (NULL token: expire it). */
const char *session_cookie(jx_req *req, const char *token);

/* ---- recovery.c ------------------------------------------------------- */

/* ---- access.c --------------------------------------------------------- */
/* 1 when identity i has scope over target (see enum jx_scope). */
int access_may(jx_db *db, const struct jx_identity *i, enum jx_scope scope,
               int64_t target);
/* 1 when district code may use the plugin named name
 * (districts[code].modules; no entry or no code: every plugin). */
int access_district_has(const char *code, const char *name);

/* ---- notify.c --------------------------------------------------------- */
int notify_send(jx_db *db, const char *channel, const char *to,
                const char *template_name, const cJSON *params);
/* Queues one outbox row (the host table's send); the row id, or -1. */
int64_t notify_message(jx_db *db, const struct jx_message *m);
/* A channel's later delivery report on the row with idempotency key
 * (jx_host.outbox_report): 1 settled failed and published, 0 nothing to
 * do, -1 on error. */
int notify_report(jx_db *db, const char *key, int ok, const char *err);
int notify_recover(jx_db *db);
int notify_run_due(jx_db *db);
int notify_start(void);
void notify_stop(void);

/* ---- demo.c ----------------------------------------------------------- */
#define DEMO_PASSWORD "Demo2026"
/* Creates the demo district unless districts exist; 0 or -1. */
int demo_create(jx_db *db);
/* Prints the demo logins. */
void demo_print(jx_db *db, FILE *out);

/* ---- json.c ----------------------------------------------------------- */
/* v as compact JSON text, as cJSON_PrintUnformatted writes it (integers
 * faster); malloc'ed, never NULL (aborts when memory is exhausted); *len
 * its length when len is not NULL. */
char *json_print(const cJSON *v, size_t *len);

/* ---- rules.c ---------------------------------------------------------- */
struct luaenv;
/* A rule of the district's active rules (0: the defaults alone), called
 * on the thread's Lua state L. See luaenv_call_district_rule. */
int rules_call(jx_db *db, struct luaenv *L, int64_t district, const char *name,
               const cJSON *args, cJSON **result, char *err, size_t errlen);
/* The same with a tried source (NULL: the active chunk) and the version
 * used (-1 for a tried source). The host table's rule_call. */
int rules_call_ex(jx_db *db, struct luaenv *L, int64_t district,
                  const char *source, const char *name, const cJSON *args,
                  cJSON **result, int64_t *version, char *err, size_t errlen);
/* The district's active rules version (0: none), -1 on error. */
int64_t rules_version(jx_db *db, int64_t district);
/* Seeds a new district's rules from scripts/districts/<code>.lua if the
 * file exists: 1 seeded, 0 no file, -1 error. In the caller's
 * transaction. */
int64_t rules_seed(jx_db *db, int64_t district, const char *code);
/* After the default rules were (re)loaded: when they differ from the
 * ones last seen (a digest in host_meta), publishes rules.activated with
 * district_id 0 so that stored rule results are recomputed. 1 published,
 * 0 unchanged, -1 error. */
int rules_defaults_loaded(jx_db *db);
/* The district whose rules an account's passwords follow (0: none). */
int64_t rules_account_district(jx_db *db, int64_t account);

/* ---- audit.c ---------------------------------------------------------- */
/* Appends one entry (in the caller's transaction if one is open). */
int audit_append(jx_db *db, int64_t account, int64_t identity,
                 const char *action, const char *target, const char *detail,
                 const char *ip);
/* Appends as the request's caller. */
int audit_req(jx_req *req, const char *action, const char *target,
              const cJSON *detail);
/* Checks the chain: the number of good entries; *bad_id is the first
 * broken entry, 0 when the whole chain holds. -1 on a database error. */
int64_t audit_verify(jx_db *db, int64_t *bad_id);
/* Writes the checkpoint file (<db>.audit-checkpoint) for the committed
 * head of the log; called by db_commit after a commit that appended. */
void audit_checkpoint(jx_db *db);
/* The whole check of `jiaxiao audit verify`: the keyed chain and the
 * checkpoint. 0 intact, 1 broken (why in msg), -1 cannot read. */
int audit_check(jx_db *db, char *msg, size_t msglen);
#define AUDIT_CHECKPOINT_SUFFIX ".audit-checkpoint"

/* ---- pages.c ---------------------------------------------------------- */

/* ---- static.c --------------------------------------------------------- */
/* Serves /static/<path> from templates/static; returns the status. */
int static_serve(jx_req *req, const char *rel);

/* ---- host_routes.c ---------------------------------------------------- */
/* The host's menu entry. */
int host_routes_register(void);
/* The host's own endpoints, a built-in module the loader checks and
 * routes like a plugin's table: a NULL-terminated list of tables. */
extern const struct jx_route *const host_route_tables[];
extern const struct jx_route host_routes[], account_routes[],
    account_more_routes[], recovery_routes[], org_routes[], pages_routes[],
    rules_routes[], files_routes[], account_phone_routes[];

/* ---- the application -------------------------------------------------- */
struct app {
	struct config cfg;
	char *root;        /* the working directory at start (absolute) */
	char *data_dir;    /* absolute */
	char *db_path;     /* <data_dir>/jiaxiao.db */
	char *plugin_dir;  /* absolute */
	char *scripts_dir; /* <root>/scripts */
	char *templates_dir;
	/* the active plugins' own templates folders (plugins_load) */
	struct luaenv_plugin_templates *plugin_templates;
	size_t nplugin_templates;
	struct router *router;
	struct plugin *plugins;
	int nplugins;
	struct menu_entry *menu;
	int nmenu;
	struct home_entry *home;
	int nhome;
	struct subscription *subs;
	int nsubs;
	struct job_kind *job_kinds;
	int njob_kinds;
	struct service_entry *services;
	int nservices;
	struct channel_entry *channels;
	int nchannels;
	struct cli_hook *cli_hooks;
	int ncli_hooks;
	size_t body_limit;
	size_t upload_limit;
	struct mg_context *mg;
	volatile int stopping;
};
extern struct app app;

/* Resolves the paths of app from the config. */
int app_paths(char *err, size_t errlen);

#endif
