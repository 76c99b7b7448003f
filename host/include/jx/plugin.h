/*
 * jx/plugin.h — the whole plugin ABI of jiaxiao.
 *
 * A plugin is a shared object exporting exactly one symbol,
 * jx_plugin_entry(), which returns a constant descriptor. The host hands
 * the plugin its services as one versioned function table (struct
 * jx_host), the way sqlite3_api_routines does: a plugin links against no
 * host symbol, and an old plugin keeps working when the table grows.
 *
 * Rules of every table here (the host table, the descriptor, the
 * registrar, messages, service tables): `size_t size` comes first; a
 * table only grows at its end; every field after ABI 2.0 carries an
 * "ABI 2.N" marker and raises JX_ABI_MINOR; changing or removing a field
 * bumps JX_ABI_MAJOR.
 *
 * A plugin's abi_minor is the smallest minor it needs (not the one it
 * was built against): the loader refuses a plugin whose abi_minor is
 * above the host's. A field newer than that minor is optional: test it
 * with JX_HOST_HAS(jx_host, field) before use.
 *
 * The host table has one name in every plugin, jx_host, the way
 * SQLite's extensions have sqlite3_api:
 *
 *   JX_HOST_DECLARE;            (one file of the plugin)
 *   JX_HOST_EXTERN;             (its other files, or its header)
 *   static int my_init(const struct jx_host *h, struct jx_registrar *r)
 *   { JX_HOST_INIT(h); ... }
 *
 * Ownership: everything returned during a request lives in the request
 * arena and is released when the request ends; plugins never free it.
 * cJSON trees handed to a reply_* function are owned by the host from
 * then on. Statements are reset when finished or when the request ends.
 */
#ifndef JX_PLUGIN_H
#define JX_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define JX_ABI_MAJOR 2
#define JX_ABI_MINOR 5

#define JX_EXPORT __attribute__((visibility("default")))

typedef struct jx_req jx_req;   /* one HTTP request (opaque) */
typedef struct jx_db jx_db;     /* this thread's database connection */
typedef struct jx_stmt jx_stmt; /* a prepared, cached statement */
typedef struct jx_job jx_job;   /* a running background job */
/* ABI 2.5: a page's data being written (reply_view_data; opaque) */
typedef struct jx_page_data jx_page_data;

/* Log levels for jx_host->log. */
enum jx_log_level { JX_LOG_ERROR, JX_LOG_WARN, JX_LOG_INFO, JX_LOG_DEBUG };

/* Results of jx_host->db_step. Errors are negative. */
enum jx_db_result { JX_DB_DONE = 0, JX_DB_ROW = 1, JX_DB_ERROR = -1 };

/* Route flags (struct jx_route). */
enum jx_route_flags {
	JX_ROUTE_PUBLIC = 1 << 0,  /* no login needed */
	JX_ROUTE_NO_CSRF = 1 << 1, /* unsafe method without CSRF token
	                              (login, recovery, external callbacks) */
	JX_ROUTE_PAGE = 1 << 2,    /* answers HTML; errors become pages */
	/* One handler, both faces: the pattern as written is a page
	 * (JX_ROUTE_PAGE) and "/api/v1" + pattern is the API, so the two
	 * cannot disagree; the handler asks jx_host->req_is_api. */
	JX_ROUTE_BOTH = 1 << 3,
};

/*
 * A request handler. Returns the HTTP status it replied with (the value
 * returned by a reply_* call). Runs on a civetweb worker thread.
 */
typedef int (*jx_handler)(jx_req *req, void *ud);

/*
 * One route of a plugin's table (struct jx_plugin.routes; the table ends
 * with an entry whose method is NULL). method: GET, POST, PUT, PATCH or
 * DELETE (HEAD is answered by GET). pattern: "/path/{param}/...", a
 * parameter being a whole segment read with jx_host->req_param; parameter
 * names belong to the route, so "/students/{id}" and
 * "/students/{student}/awards" coexist. The loader checks every table
 * before any init runs; two routes with the same method and pattern
 * (whatever their parameter names) clash, and the plugin that loses
 * fails alone (see README, "Write a plugin").
 */
struct jx_route {
	const char *method;
	const char *pattern;
	jx_handler handler;
	void *ud;
	unsigned flags; /* enum jx_route_flags */
};

/*
 * An event subscriber: runs synchronously inside the publisher's
 * transaction on the publisher's connection. A non-zero return aborts
 * the publish, and the publisher must roll back.
 */
typedef int (*jx_event_fn)(jx_db *db, const char *event, const cJSON *payload,
                           void *ud);

/*
 * A job runner: runs on the host's job thread with its own connection.
 * Returns 0 for succeeded, non-zero for failed. The result set with
 * jx_host->job_set_result is stored either way.
 */
typedef int (*jx_job_fn)(jx_job *job, void *ud);

/*
 * A notification channel's delivery function: runs on one of the
 * host's delivery threads (several at once: it must be thread-safe;
 * jx_host->thread_db gives that thread's connection, outside any
 * transaction). Returns 0 when the channel's API accepted the message,
 * a positive value to retry later (temporary failure), a negative value
 * for a permanent failure; err says why ("unreachable: ..." when the
 * recipient cannot be reached on this channel). key is the message's
 * idempotency key, to pass on where the API takes one.
 */
typedef int (*jx_channel_fn)(const char *to, const char *template_name,
                             const cJSON *params, const char *key, char *err,
                             size_t errlen, void *ud);

/* A command of `jiaxiao` a plugin adds (registrar->cli_command): runs
 * with the data directory's database open (db) and the plugins
 * initialised; argv[0] is the command's name. Returns the exit status. */
typedef int (*jx_cli_fn)(jx_db *db, int argc, char **argv, void *ud);

/* A plugin's answer for the files it attached (ABI 2.1, registrar
 * file_visible): 1 when the acting identity of req may see the plugin's
 * row ref (the string given to jx_host->file_attach), else 0. Runs on
 * a request worker, as plugin code, inside GET /api/v1/files/{id}. */
typedef int (*jx_file_visible_fn)(jx_req *req, const char *ref, void *ud);

/* Flags of struct jx_home_item (ABI 2.1). */
enum jx_home_flags {
	/* Hidden while its count is 0 (running jobs: nothing to do is
	 * nothing to show). Without it an item at 0 stays in its place,
	 * marked done, so that the list does not jump about. */
	JX_HOME_HIDE_ZERO = 1 << 0,
	/* The count is also the red badge of the plugin's tab with the same
	 * href (menu_tab). It is then counted on every page of the roles
	 * with a tab bar: keep it one indexed query. */
	JX_HOME_TAB_BADGE = 1 << 1,
};

/*
 * One item of the home page's to-do list (ABI 2.1; registrar->home_item).
 * At least one of count and rows is set.
 *
 * count: the number of things to do for the acting identity (unread
 * notices, changes to review); < 0 when the item does not apply to
 * this identity (not a head teacher) or on error: then it is hidden.
 * Without rows, the cell shows label_key's text, the count as a badge,
 * and links to href. With rows, count only gives the tab's badge
 * (JX_HOME_TAB_BADGE).
 *
 * rows: for an item that is several cells (a head teacher's classes, a
 * parent's children) or needs its own words: a JSON array (the host
 * owns it) of objects {"title", "detail"?, "count", "href",
 * "identity_id"?}: title and detail are text in the request's language
 * (jx_host->t), count >= 0, href a local path; identity_id, when it is
 * another identity of the account (a parent's other child), makes the
 * cell switch to that identity before it opens href. NULL or empty:
 * nothing shown.
 *
 * href may hold {school_id}, {class_id}, {district_id}, {student_id}:
 * replaced from the acting identity (the item is hidden when that field
 * is 0). Both functions run in the request, on its worker thread, and
 * must scope every query by the acting identity; count is asked at most
 * once per request (the cell and the badge share it).
 */
struct jx_home_item {
	size_t size;           /* sizeof(struct jx_home_item) of the plugin */
	const char *roles;     /* as menu(): "teacher,parent", "*" */
	const char *label_key; /* the cell's title (count items) */
	const char *href;      /* count items; may be NULL for rows items */
	int order;             /* sorts the list, menu-like (10, 20, ...) */
	unsigned flags;        /* enum jx_home_flags */
	int64_t (*count)(jx_req *req, void *ud);
	cJSON *(*rows)(jx_req *req, void *ud);
	void *ud;
};

/* What a plugin registers during init. Valid only during init. Routes
 * are not registered here: they are the descriptor's table. */
struct jx_registrar {
	size_t size; /* sizeof(struct jx_registrar) of the host */

	/*
	 * Adds a menu entry for the roles listed (comma-separated role
	 * names, or "*" for every logged-in role). label_key is an i18n
	 * key; order sorts the menu.
	 */
	int (*menu)(struct jx_registrar *reg, const char *roles,
	            const char *label_key, const char *href, int order);

	/* Subscribes to an in-transaction event ("roster.student_left"). */
	int (*subscribe)(struct jx_registrar *reg, const char *event,
	                 jx_event_fn fn, void *ud);

	/* Declares a kind of background job and its runner. */
	int (*job_kind)(struct jx_registrar *reg, const char *kind,
	                jx_job_fn fn, void *ud);

	/*
	 * Exports a service table to other plugins under a versioned name
	 * ("records.v1"). The table must outlive the process.
	 */
	int (*service)(struct jx_registrar *reg, const char *name,
	               const void *table);

	/* Registers a notification channel ("sms", "wechat"). */
	int (*channel)(struct jx_registrar *reg, const char *name,
	               jx_channel_fn fn, void *ud);

	/*
	 * Answers a hook of the host's command line by name, so that the
	 * host knows no plugin: "rules-check" is `jiaxiao rules check`'s
	 * dry run (argv: "rules-check", the district id in decimal, then
	 * the file's text or nothing for the active chunk; the function
	 * prints the result). One plugin per name: -1 when taken.
	 */
	int (*cli_command)(struct jx_registrar *reg, const char *name,
	                   jx_cli_fn fn, void *ud);

	/* ---- files (ABI 2.1) ---- */
	/*
	 * The plugin's one visibility callback for the files it attaches
	 * (jx_host->file_attach): GET /api/v1/files/{id} serves a file to
	 * an identity when the callback of a plugin using it says 1 for one
	 * of its refs. A plugin that attaches files must register one. -1
	 * when the plugin already has one.
	 */
	int (*file_visible)(struct jx_registrar *reg, jx_file_visible_fn fn,
	                    void *ud);

	/* ---- home and tab bar (ABI 2.1) ---- */
	/*
	 * ABI 2.1. Adds an item to the home page's list of things to do
	 * (`/`, see struct jx_home_item; the host copies it). Shown only to
	 * the roles listed, and only while the plugin is active and enabled
	 * in the acting identity's district, like a menu entry. 0, or -1 on
	 * a bad item (no roles, label or function).
	 */
	int (*home_item)(struct jx_registrar *reg,
	                 const struct jx_home_item *item);
	/*
	 * ABI 2.1. Adds a tab to the phone's bottom tab bar (page.tabs) for
	 * the roles listed among parent, student and teacher (the only
	 * roles with a tab bar), filtered like a menu entry (role, plugin
	 * active and enabled in the district). A tab is not a menu entry:
	 * the desktop menu keeps menu()'s longer labels, so a plugin calls
	 * both. label_key's text has two characters (消息); icon is a short
	 * name the shell draws ("inbox", "class", "child"). order sorts the
	 * tabs between the host's own 首页 (`/`, first) and 我的 (`/me`,
	 * last); keep a role's tabs to five. A tab's red badge is the count
	 * of the plugin's first home item (in order) with the same href,
	 * JX_HOME_TAB_BADGE and the caller's role, when above 0.
	 */
	int (*menu_tab)(struct jx_registrar *reg, const char *roles,
	                const char *label_key, const char *href, int order,
	                const char *icon);
};

/* ---- identity ---------------------------------------------------------- */

/*
 * The acting identity of a request (API.md, "Identities"). Ids of people
 * are person ids. Fields that do not apply are 0 / NULL. Arena memory.
 */
struct jx_identity {
	int64_t id; /* the identity row */
	int64_t account_id;
	int64_t person_id; /* the account's person */
	const char *role;  /* "city_admin" ... "parent", "base_admin" */
	int64_t district_id;
	int64_t school_id;
	int64_t class_id;         /* parent/student: the child's class */
	int64_t student_id;       /* parent: the child; student: self */
	const int64_t *class_ids; /* teacher: classes taught */
	int nclass_ids;
	const int64_t *head_of_class_ids; /* teacher: classes headed */
	int nhead_of_class_ids;
};

/* Access scopes answered by jx_host->may. */
enum jx_scope {
	JX_SEE_DISTRICT = 1, /* target: district id */
	JX_SEE_SCHOOL,       /* target: school id */
	JX_MANAGE_SCHOOL,    /* target: school id (school admin and above) */
	JX_SEE_CLASS,        /* target: class id */
	JX_MANAGE_CLASS,     /* target: class id (head teacher, admins) */
	JX_SEE_STUDENT,      /* target: student person id */
	JX_MANAGE_STUDENT,   /* target: student person id (admins, head) */
};

/*
 * One message for jx_host->send: a row of the durable outbox.
 * Delivered by the host's delivery threads through the channel; when a
 * row is settled (sent, or failed for good) the host publishes the
 * event "notify.result" in the settling transaction with the payload
 * {"id","channel","to","ref","template","state":"sent"|"failed","code",
 * "key"}: code is null when sent, else the token before ':' in the
 * channel's error ("unreachable", ...); key is the idempotency key.
 */
struct jx_message {
	size_t size;               /* sizeof(struct jx_message) of the
	                              plugin; the host reads only fields
	                              that fit */
	const char *channel;       /* "inapp", "sms", "wechat" */
	const char *to;            /* inapp, wechat: a person id in decimal;
	                              sms: a phone number */
	const char *template_name; /* e.g. "notice", "notice_remind" */
	const cJSON *params;       /* template parameters (may be NULL) */
	int64_t not_before;        /* 0: now; else not handed to the channel
	                              before this time (quiet hours) */
	const char *ref;           /* the sender's reference ("notice:12"),
	                              or NULL */
};

/* Types of struct jx_field. */
enum jx_field_type {
	JX_FIELD_STRING = 1, /* one line: no control characters */
	JX_FIELD_TEXT,       /* several lines (\n, \t allowed) */
	JX_FIELD_INT,        /* an integer (a form's decimal text too) */
	JX_FIELD_BOOL,       /* true/false (a form's "1", "on", "true" or
	                        "0", "off", "false", or a missing box) */
	JX_FIELD_INT_ARRAY,  /* integers (a form's repeated or
	                        comma-separated values) */
};

/*
 * One field of jx_host->req_fields's spec. min and max bound a string's
 * length in characters, an integer's value, an array's length; both 0:
 * no bound. A string field given empty counts as missing.
 */
struct jx_field {
	const char *name;
	int type; /* enum jx_field_type */
	int required;
	long long min, max;
};

/* The host's services, one table. ABI 2.0 unless marked. */
struct jx_host {
	size_t size; /* sizeof(struct jx_host) of the running host */
	int abi_major, abi_minor;

	/* ---- logging -------------------------------------------------- */
	/* One log line, tagged with the plugin's name. Never log secrets. */
	void (*log)(int level, const char *tag, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

	/* ---- configuration (fixed after start) ------------------------- */
	/* A config value by dotted path ("wechat.api_base"); NULL if unset.
	 * A number indexes an array ("districts.430104.modules.0").
	 * Owned by the host, valid for the process. */
	const char *(*config_string)(const char *path);
	/* Integer config value, or def when unset or not a number. */
	int64_t (*config_int)(const char *path, int64_t def);

	/* ---- clock ----------------------------------------------------- */
	/* Seconds since the epoch, from the host's one clock (tests may
	 * shift it). */
	int64_t (*now)(void);

	/* ---- request: input -------------------------------------------- */
	const char *(*req_method)(jx_req *req);
	const char *(*req_path)(jx_req *req);
	/* A {param} of the matched pattern, or NULL. */
	const char *(*req_param)(jx_req *req, const char *name);
	/* A {param} as a positive integer id, or -1 when not one. */
	int64_t (*req_param_id)(jx_req *req, const char *name);
	/* A query-string value, URL-decoded, or NULL. */
	const char *(*req_query)(jx_req *req, const char *name);
	/* A request header, or NULL. */
	const char *(*req_header)(jx_req *req, const char *name);
	/* The client address (the peer, or X-Forwarded-For from a trusted
	 * proxy). */
	const char *(*req_client_ip)(jx_req *req);
	/*
	 * Reads the whole body, up to limit bytes (0: limits.body_bytes).
	 * Returns 0 and sets *data and *len (arena, NUL-terminated); on error
	 * returns the status it replied with (413, 400) and the handler
	 * should return it.
	 */
	int (*req_body)(jx_req *req, size_t limit, const char **data,
	                size_t *len);
	/*
	 * Parses the body as a JSON object. NULL on failure, after
	 * replying 400 (not UTF-8, not JSON), 413 or 415; the handler
	 * returns jx_host->req_status(req). The tree is freed with the
	 * request.
	 */
	cJSON *(*req_json)(jx_req *req);
	/* The status of the reply made so far (0 before any reply). */
	int (*req_status)(jx_req *req);
	/* The chosen UI language ("zh-CN" or "en"). */
	const char *(*req_lang)(jx_req *req);

	/* ---- request: memory ------------------------------------------- */
	/* Arena memory, freed at the end of the request; never NULL. */
	void *(*alloc)(jx_req *req, size_t n);
	char *(*strdup)(jx_req *req, const char *s);
	char *(*sprintf)(jx_req *req, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
	/* Runs fn(arg) when the request ends, last registered first. */
	void (*defer)(jx_req *req, void (*fn)(void *), void *arg);

	/* ---- request: replies (each returns the status) ---------------- */
	/* JSON reply; takes ownership of body (may be NULL for 204). */
	int (*reply_json)(jx_req *req, int status, cJSON *body);
	/*
	 * application/problem+json. type is the last part of the type URI
	 * ("validation-failed"); title and detail are human sentences.
	 * Errors added with problem_error are attached.
	 */
	int (*reply_problem)(jx_req *req, int status, const char *type,
	                     const char *title, const char *detail);
	/* Adds {"row"?,"field"?,"message"} to the next problem reply.
	 * row <= 0 and field NULL omit them. */
	void (*problem_error)(jx_req *req, int row, const char *field,
	                      const char *message);
	/*
	 * One handler, two faces: under /api/ replies data as JSON;
	 * otherwise renders templates/<tmpl>.html with data inside the
	 * layout. Takes ownership of data.
	 */
	int (*reply_view)(jx_req *req, int status, const char *tmpl,
	                  cJSON *data);
	/* Raw bytes with a content type; copies data. extra_headers is
	 * "Name: value\r\n..." or NULL. */
	int (*reply_raw)(jx_req *req, int status, const char *content_type,
	                 const void *data, size_t len,
	                 const char *extra_headers);
	/* A 303 redirect to a local path. */
	int (*reply_redirect)(jx_req *req, const char *location);

	/* ---- database (portable SQL subset, DESIGN.md 6) --------------- */
	/* This worker's connection. */
	jx_db *(*req_db)(jx_req *req);
	/*
	 * Prepares (from the per-connection cache) and binds. types has
	 * one letter per argument: 'i' int64_t, 's' const char * (NULL
	 * binds NULL), 'f' double, 'n' no argument, binds NULL. Returns
	 * NULL on error (jx_host->db_errmsg tells).
	 */
	jx_stmt *(*db_query)(jx_db *db, const char *sql, const char *types,
	                     ...);
	/* JX_DB_ROW, JX_DB_DONE or JX_DB_ERROR (also for I/O error or a
	 * full disk). */
	int (*db_step)(jx_stmt *st);
	int64_t (*db_int)(jx_stmt *st, int col);
	double (*db_double)(jx_stmt *st, int col);
	/* Text of a column, valid until the next step or finish; NULL for
	 * SQL NULL. */
	const char *(*db_text)(jx_stmt *st, int col);
	int (*db_is_null)(jx_stmt *st, int col);
	/* Resets the statement and returns it to the cache. */
	void (*db_finish)(jx_stmt *st);
	/* Runs a statement to completion. Returns the number of changed
	 * rows, or -1 on error. */
	int64_t (*db_exec)(jx_db *db, const char *sql, const char *types, ...);
	/*
	 * Write transactions: begin is BEGIN IMMEDIATE, or a savepoint
	 * when one is open. commit returns -1 when the data could not be
	 * made durable (then everything was rolled back). Return 0 / -1.
	 */
	int (*db_begin)(jx_db *db);
	int (*db_commit)(jx_db *db);
	int (*db_rollback)(jx_db *db);
	/* The last error of this connection. */
	const char *(*db_errmsg)(jx_db *db);
	/* All rows of a query as a JSON array of objects keyed by column
	 * name (integers as numbers, NULL as null). NULL on error. */
	cJSON *(*db_rows)(jx_db *db, const char *sql, const char *types, ...);

	/* ---- events ----------------------------------------------------- */
	/* Runs every subscriber of event in order; returns 0, or the first
	 * non-zero return of a subscriber. Call inside a transaction. */
	int (*publish)(jx_db *db, const char *event, const cJSON *payload);

	/* ---- jobs ------------------------------------------------------- */
	/* Queues a durable job of a declared kind; takes ownership of
	 * params. owner is an account id or 0. Returns the job id or -1. */
	int64_t (*job_submit)(jx_db *db, const char *kind, cJSON *params,
	                      int64_t owner);
	/* The job's parameters (owned by the job). */
	const cJSON *(*job_params)(jx_job *job);
	/* The job thread's connection. */
	jx_db *(*job_db)(jx_job *job);
	/* Records progress (committed at once, visible to pollers). */
	void (*job_progress)(jx_job *job, int64_t done, int64_t total);
	/* Sets the result object; takes ownership. */
	void (*job_set_result)(jx_job *job, cJSON *result);
	/* The job's id. */
	int64_t (*job_id)(jx_job *job);

	/* ---- services between plugins ---------------------------------- */
	/* A service table exported by an active plugin, or NULL. */
	const void *(*service)(const char *name);

	/* ---- rendering and i18n ---------------------------------------- */
	/* Renders templates/<tmpl>.html (no layout) to an arena string;
	 * NULL on error (logged). Does not take ownership of data. */
	char *(*render)(jx_req *req, const char *tmpl, const cJSON *data);
	/* The message for key in the request's language (the key itself
	 * when missing). */
	const char *(*t)(jx_req *req, const char *key);

	/* ---- identity, access, audit ----------------------------------- */
	/* The acting identity, or NULL for an anonymous request. */
	const struct jx_identity *(*identity)(jx_req *req);
	/* 1 when the acting identity has scope over target, else 0. Every
	 * row a plugin shows or changes goes through this (or a query
	 * built from the identity's scope), never a re-implementation. */
	int (*may)(jx_req *req, enum jx_scope scope, int64_t target);
	/* Appends to the tamper-evident audit log, in the caller's
	 * transaction when one is open. action: "roster.import";
	 * detail: a JSON object or NULL. Never pass secrets. */
	int (*audit)(jx_req *req, const char *action, const char *target,
	             const cJSON *detail);
	/* Sends a message through a channel ("inapp", "sms", "wechat") to
	 * a recipient (phone, person id, openid), by template and
	 * parameters. Returns 0 once accepted for delivery. */
	int (*notify)(jx_db *db, const char *channel, const char *to,
	              const char *template_name, const cJSON *params);
	/* A field of an application/x-www-form-urlencoded body (HTML
	 * forms), URL-decoded, or NULL. */
	const char *(*req_form)(jx_req *req, const char *name);
	/* db_query with a va_list, for plugins' own wrappers. */
	jx_stmt *(*db_vquery)(jx_db *db, const char *sql, const char *types,
	                      va_list ap);
	/* The first column of the first row as an integer: 0 when there is
	 * no row, -1 on error (use only where 0 and -1 are not values). */
	int64_t (*db_one)(jx_db *db, const char *sql, const char *types, ...);
	/* The calling thread's connection (a request worker's or the job
	 * thread's): for services called outside a request. */
	jx_db *(*thread_db)(void);
	/*
	 * An uploaded file, up to limits.upload_bytes: the part named field
	 * of a multipart/form-data body, or the raw body itself for any
	 * other content type. Sets *data and *len (arena; may hold NULs: use
	 * len), *filename (NULL for a raw body) and *content_type. Returns 0,
	 * or the status it replied with (400 malformed, 413, 422 no such
	 * field); the handler returns it.
	 */
	int (*req_upload)(jx_req *req, const char *field, const char **data,
	                  size_t *len, const char **filename,
	                  const char **content_type);
	/* The absolute data directory (fixed after start). */
	const char *(*data_dir)(void);
	/* Runs an INSERT of one row, written without RETURNING, and gives
	 * the new row's id (-1 on error): cheaper than RETURNING id on
	 * SQLite, and portable (a PostgreSQL driver adds RETURNING). */
	int64_t (*db_insert)(jx_db *db, const char *sql, const char *types,
	                     ...);

	/* ---- district rules -------------------------------------------- */
	/*
	 * Calls `name` of a district's effective rules: its chunk laid over
	 * scripts/rules/default.lua. A function is called with the items of
	 * args (a JSON array, or NULL for none) and the effective rule table
	 * last; anything else is a setting and is returned as it is (nil is
	 * an error). source NULL uses the district's active chunk; a string
	 * tries that chunk instead (a dry run; never cached). Runs on the
	 * calling thread's Lua state (a request worker's or the job
	 * thread's) under its budget. *result (free with cJSON_Delete) and
	 * *version (the active version, 0 when the district has no chunk,
	 * -1 for a tried source) are set on success. 0, or -1 with err
	 * ("chunk:line: message" for a broken chunk).
	 */
	int (*rule_call)(jx_db *db, int64_t district, const char *source,
	                 const char *name, const cJSON *args, cJSON **result,
	                 int64_t *version, char *err, size_t errlen);
	/* The district's active rules version (0: defaults only), -1 on
	 * error. Cheap: one indexed read. */
	int64_t (*rules_version)(jx_db *db, int64_t district);
	/* A time as API.md writes it: ISO 8601 in the configured timezone,
	 * with its offset ("2026-09-01T08:00:00+08:00"); 32 bytes hold it. */
	void (*format_time)(int64_t t, char *out, size_t outlen);

	/* ---- messages with a reference and a start time ---------------- */
	/*
	 * Queues one outbox row in the caller's transaction (see struct
	 * jx_message; m->size must be set): the row's id, or -1. A channel that
	 * finds the recipient unreachable on it answers negative with an err
	 * starting "unreachable:".
	 */
	int64_t (*send)(jx_db *db, const struct jx_message *m);

	/* ---- work on several cores -------------------------------------- */
	/*
	 * Runs fn(arg, i) for i = 0 .. k-1 at the same time and returns k
	 * when all have returned: i = 0 on the calling thread, the others
	 * on threads of their own, each with its own database connection
	 * and Lua state (thread_db and rule_call work there). k is n capped
	 * by the config's jobs.parallel (default: the machine's online
	 * cores), at least 1. Meant for background jobs that spend their
	 * time in Lua; writers still take SQLite's one write lock in turn.
	 */
	int (*parallel)(void (*fn)(void *arg, int i), void *arg, int n);
	/* 1 once the host is shutting down: a long job should stop at its
	 * next safe point and return (its work must be resumable: the job
	 * is not run again by itself). Any thread may ask. */
	int (*job_stopping)(jx_job *job);

	/* ---- conveniences every plugin needed -------------------------- */
	/* 1 when the request came by the API face ("/api/..."), 0 for a
	 * page: what a JX_ROUTE_BOTH handler asks. */
	int (*req_is_api)(jx_req *req);
	/*
	 * The body, a JSON object or an HTML form (urlencoded or multipart
	 * fields), read into one JSON object and checked against spec (see
	 * struct jx_field; ends with a NULL name). Fields not in spec are
	 * dropped. NULL when a field is wrong, after one problem_error per
	 * bad field: reply 422 (jxp_invalid); or NULL after the host has
	 * replied (400, 413, 415): return req_status. The object is freed
	 * with the request.
	 */
	cJSON *(*req_fields)(jx_req *req, const struct jx_field *spec);
	/* The number of problem errors added and not yet replied. */
	int (*problem_count)(jx_req *req);

	/* ---- ABI 2.0: host tables are written by the host ---------------- */
	/*
	 * Settles an outbox row from its channel's later delivery report
	 * (a status callback after the API had accepted it): key is the
	 * row's idempotency key (the one the channel function was given).
	 * ok 0 turns a sent row failed with err ("unreachable: user block")
	 * and publishes "notify.result" for it (state "failed", code the
	 * word before ':' in err) in the caller's transaction; ok 1 changes
	 * nothing (the row is already sent). Returns 1 when the row was
	 * settled, 0 when there was nothing to do (no such key, not sent, or
	 * already failed), -1 on error or when a subscriber refused (roll
	 * back). Plugins never write the outbox themselves.
	 */
	int (*outbox_report)(jx_db *db, const char *key, int ok,
	                     const char *err);

	/* ---- files (ABI 2.1) ---- */
	/*
	 * Attaches an uploaded file (POST /api/v1/files gave its id) to the
	 * calling plugin's row ref ("record:12"; at most 200 bytes), on the
	 * request's connection: inside the plugin's open transaction when
	 * there is one, so the row and its file commit together. The plugin
	 * is the one whose route is serving req. Allowed only for a file the
	 * acting identity uploaded or may already see (jx_file_visible_fn of
	 * a plugin using it): otherwise -1, and the plugin answers 404 (ids
	 * cannot be guessed into another's row). Attaching twice is 0. 0, or
	 * -1 refused (no such file, not the caller's), -2 on a database
	 * error.
	 */
	int (*file_attach)(jx_req *req, int64_t file_id, const char *ref);
	/*
	 * Detaches file_id (0: every file) from the calling plugin's row
	 * ref, e.g. when the row is deleted. A file no row uses is removed by
	 * the host's daily sweep. The number of uses removed, or -1.
	 */
	int64_t (*file_detach)(jx_req *req, int64_t file_id, const char *ref);
	/*
	 * What the API shows of a file the acting identity may see, as POST
	 * /api/v1/files replied it ({"id","name","size","mime","sha256",
	 * "variants"?}; freed with the request), or NULL (no such file, or
	 * not visible).
	 */
	const cJSON *(*file_info)(jx_req *req, int64_t file_id);
	/*
	 * A new private (0600) work file under <data_dir>/tmp, opened for
	 * reading and writing: its descriptor (the caller closes it), and
	 * its path in path (pathlen >= 256 is enough). suffix (".xlsx") may
	 * be NULL. The caller removes it when done; the host empties the
	 * area at start and its sweep removes work files older than a day.
	 * -1 on error (errno).
	 */
	int (*tmp_open)(char *path, size_t pathlen, const char *suffix);

	/* ---- WeChat arrival (ABI 2.1) ------------------------------------ */
	/*
	 * Logs account_id in on this request as a successful login does: a
	 * fresh session whose cookie goes out with the reply, the account's
	 * default identity acting, last_login_at, and an "auth.login" audit
	 * entry whose detail names via ("wechat"). The rest of the request
	 * acts as the new session. The account's forced password change
	 * still applies from its next request. Only for a plugin that has
	 * proven who the caller is by other means (WeChat's OAuth openid
	 * bound earlier by a password login). 0, or -1 (no such account,
	 * storage error) with nothing replied.
	 */
	int (*session_open)(jx_req *req, int64_t account_id, const char *via);

	/* ---- files: the bytes (ABI 2.3) ---------------------------------- */
	/*
	 * ABI 2.3. Opens the stored bytes of a file the acting identity may
	 * see (as file_info decides): the original when one is kept, else
	 * the display copy. A read-only descriptor the caller closes, or -1
	 * (no such file, not visible, storage error). For a plugin that
	 * makes something of an upload (a PDF's first page as a picture);
	 * *mime, when not NULL, gets the variant's type (arena).
	 */
	int (*file_open)(jx_req *req, int64_t file_id, const char **mime);

	/* ---- signing (ABI 2.4) ------------------------------------------- */
	/*
	 * ABI 2.4. HMAC-SHA-256 of msg under a key derived from the host's
	 * secret key for purpose ("practice.checkin"), as 64 hex characters
	 * and a NUL in out: for links a plugin signs (a check-in QR code) and
	 * checks later with the same call (compare with a constant-time
	 * comparison). Every process of a deployment shares the key, so a
	 * link signed by one verifies on another. 0, or -1.
	 */
	int (*mac)(const char *purpose, const char *msg, char out[65]);

	/* ---- page data and cached fragments (ABI 2.5) -------------------- */
	/*
	 * ABI 2.5. As reply_view, with write(req, pd, ud) adding more of the
	 * template's variables through the pd_* writer below, straight into
	 * the render's Lua tables: for a page's large data (a feed's items),
	 * which in cJSON would be built, copied into Lua and freed. For an
	 * API request the same calls add members to data, which is the
	 * reply, so one writer serves both faces. write runs once, inside
	 * the render: it may not call reply_* or render, and on the host's
	 * out-of-memory it may not return (the page becomes the error page),
	 * so it holds nothing but arena memory across writer calls. Takes
	 * data (NULL: an empty object).
	 */
	int (*reply_view_data)(
	    jx_req *req, int status, const char *tmpl, cJSON *data,
	    void (*write)(jx_req *req, jx_page_data *pd, void *ud), void *ud);
	/* ABI 2.5. The writer: key names the member inside an object and
	 * is NULL inside an array (a value with the wrong kind of key is
	 * dropped, as is a NULL string: absent, as JSON null is in a
	 * template). pd_open starts an object (array 0) or an array,
	 * pd_close ends the latest; deeper than 32 is dropped whole, and
	 * whatever is left open at the end is closed. pd_str copies len
	 * bytes of s ((size_t)-1: up to its NUL). */
	void (*pd_open)(jx_page_data *pd, const char *key, int array);
	void (*pd_close)(jx_page_data *pd);
	void (*pd_str)(jx_page_data *pd, const char *key, const char *s,
	               size_t len);
	void (*pd_int)(jx_page_data *pd, const char *key, int64_t v);
	void (*pd_bool)(jx_page_data *pd, const char *key, int v);
	/*
	 * ABI 2.5. Rendered fragments kept by the process. fragment_get
	 * returns the HTML templates/<tmpl>.html rendered under key in the
	 * request's language (an arena copy, its length in *len), or NULL;
	 * fragment_render renders tmpl with data (as render; data stays the
	 * caller's), keeps the result under key and returns it (NULL on a
	 * render error, logged). key (klen bytes, compared whole) must hold
	 * every input the fragment shows, read in this request (a post's
	 * id, text, counts, author, time...): the cache is then never stale,
	 * across processes too, and needs no invalidation; a changed row
	 * asks for another key. The template's name, the language and the
	 * templates' and catalogs' files are the host's part of the key.
	 * Nothing viewer-specific belongs in a cached fragment unless the
	 * viewer is in the key. Bounded by render.fragment_cache_bytes
	 * (config, default 8 MiB, least recently used out; 0: off, every
	 * get a miss). Print it raw ({{= html }}): it is HTML the template
	 * escaped when it rendered.
	 */
	const char *(*fragment_get)(jx_req *req, const char *tmpl,
	                            const void *key, size_t klen, size_t *len);
	const char *(*fragment_render)(jx_req *req, const char *tmpl,
	                               const void *key, size_t klen,
	                               const cJSON *data, size_t *len);
	/* ABI 2.5. As pd_str, for HTML the page prints raw ({{= v }}): the
	 * template gets a value it can only print or test, printed from s
	 * itself, which must stay valid until the reply (the arena, or
	 * what fragment_get returned); no copy into the template's memory.
	 * A cached fragment's way into the page. */
	void (*pd_html)(jx_page_data *pd, const char *key, const char *s,
	                size_t len);
};

/* Tests whether the running host's table holds field: for fields newer
 * than the plugin's abi_minor. */
#define JX_HOST_HAS(host, field)                                               \
	((host) != NULL && offsetof(struct jx_host, field) +                   \
	                           sizeof(((struct jx_host *)0)->field) <=     \
	                       (host)->size)

/* Tests whether the host's registrar holds field (ABI 2.1 and later):
 * `if (JX_REG_HAS(reg, home_item)) reg->home_item(reg, &item);` */
#define JX_REG_HAS(reg, field)                                                 \
	((reg) != NULL && offsetof(struct jx_registrar, field) +               \
	                          sizeof(((struct jx_registrar *)0)->field) <= \
	                      (reg)->size)

/* The one name of the host table in a plugin (see the top of this file). */
#define JX_HOST_DECLARE const struct jx_host *jx_host
#define JX_HOST_EXTERN extern const struct jx_host *jx_host
#define JX_HOST_INIT(h) (jx_host = (h))

/* A plugin's descriptor, returned by jx_plugin_entry(). */
struct jx_plugin {
	size_t size;         /* sizeof(struct jx_plugin) of the plugin */
	int abi_major;       /* must equal the host's JX_ABI_MAJOR */
	int abi_minor;       /* the smallest host minor the plugin needs
	                        (not the one it was built with): refused
	                        when above the host's JX_ABI_MINOR */
	const char *name;    /* folder, .so, table prefix, log tag */
	const char *version; /* "1.2.0" */
	/* NULL-terminated; "name" or "name>=1.2": needed, initialised
	 * first. "?name" (ABI 2.2): optional, initialised first when it is
	 * loaded and active (a section for another plugin's service),
	 * never a reason to disable this one. */
	const char *const *depends;
	/* NULL-terminated ordered SQL steps; step i is schema version i+1.
	 * A step may hold several statements. Never edit a shipped step. */
	const char *const *migrations;
	/* Called once, after migrations, in dependency order. Non-zero
	 * marks the plugin failed. */
	int (*init)(const struct jx_host *host, struct jx_registrar *reg);
	/* Called at shutdown, in reverse order; may be NULL. */
	void (*shutdown)(void);
	/* The plugin's routes (see struct jx_route), or NULL. */
	const struct jx_route *routes;
};

/* The one exported symbol of a plugin. */
typedef const struct jx_plugin *(*jx_plugin_entry_fn)(void);

#endif
