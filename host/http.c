/*
 * http.c — civetweb set-up and the one dispatcher that answers every
 * request: the request's set-up (path, language, client address), its
 * input (headers, query, body, forms, uploads, JSON), static files, the
 * route table, the session, Origin and CSRF checks, per-district module
 * switches, sending the reply and the access log. civetweb's
 * document_root, directory redirects and form parser are never reached
 * (DESIGN.md section 7).
 *
 * Layering: the dispatcher is the top of the host. The reply is made
 * by reply.c, the caller found by auth.c, the thread's connection and
 * Lua state come from thread.c; handlers are reached only through the
 * route table, so nothing here calls organisation, account or plugin
 * code by name. Handlers call the input functions (http_header ...
 * http_param_id), which call only down (reply.c, to refuse a body).
 */
#include "host.h"
#include "luaenv.h"
#include "multipart.h"
#include "auth.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <civetweb.h>

static int http_crowded(const jx_req *req);

/* Connections open now, each holding a worker thread from civetweb's
 * init_connection to its connection_close callback, and the count from
 * which replies close their connection (set once at start-up);
 * keep_alive is the Keep-Alive header's value ("timeout=<s>"), empty
 * when idle connections close within a second. */
static struct {
	atomic_int open;
	int crowd;
	char keep_alive[32];
} http_conns;

static int64_t
http_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- input ---------------------------------------------------------- */

const char *
http_header(jx_req *req, const char *name)
{
	return mg_get_header(req->conn, name);
}

const char *
http_query(jx_req *req, const char *name)
{
	char *buf;
	int n;
	size_t cap;

	if (req->query == NULL)
		return NULL;
	cap = strlen(req->query) + 1;
	buf = arena_alloc(req->arena, cap);
	n = mg_get_var(req->query, strlen(req->query), name, buf, cap);
	/* A %00 would end the value early ("8%00x" read as "8"): such a
	 * value is no value. */
	return n >= 0 && strlen(buf) == (size_t)n ? buf : NULL;
}

const char *
http_param(jx_req *req, const char *name)
{
	for (int i = 0; i < req->match.nparams; i++)
		if (strcmp(req->match.names[i], name) == 0)
			return req->match.values[i];
	return NULL;
}

int64_t
http_param_id(jx_req *req, const char *name)
{
	const char *v = http_param(req, name);
	int64_t n = 0;

	if (v == NULL || *v == '\0' || strlen(v) > 18)
		return -1;
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		n = n * 10 + (*p - '0');
	}
	return n > 0 ? n : -1;
}

int
http_body(jx_req *req, size_t limit, const char **data, size_t *len)
{
	const struct mg_request_info *ri = mg_get_request_info(req->conn);
	struct buf b;
	char chunk[16384];
	int n;

	if (limit == 0)
		limit = app.body_limit;
	/* The body is read once; later calls get the same bytes. */
	if (req->body_read) {
		if (req->body_data == NULL || req->body_len > limit)
			return http_reply_problem(req, 413, "payload-too-large",
			                          "Request body too large",
			                          NULL);
		*data = req->body_data;
		*len = req->body_len;
		return 0;
	}
	req->body_read = 1;
	if (ri->content_length > 0 && (size_t)ri->content_length > limit)
		goto too_large;
	buf_init(&b);
	while ((n = mg_read(req->conn, chunk, sizeof(chunk))) > 0) {
		if (b.len + (size_t)n > limit) {
			buf_free(&b);
			goto too_large;
		}
		buf_append(&b, chunk, (size_t)n);
	}
	*len = b.len;
	*data = b.data ? arena_strndup(req->arena, b.data, b.len)
	               : arena_strdup(req->arena, "");
	buf_free(&b);
	req->body_data = *data;
	req->body_len = *len;
	return 0;
too_large:
	/* The rest of the body is not read: close instead of keeping a
	 * connection whose stream is mid-body. */
	http_add_header(req, "Connection", "close");
	return http_reply_problem(
	    req, 413, "payload-too-large", "Request body too large",
	    arena_sprintf(req->arena, "The limit is %zu bytes.", limit));
}

int
http_upload(jx_req *req, const char *field, const char **data, size_t *len,
            const char **filename, const char **ctype)
{
	const char *ct = http_header(req, "Content-Type");
	struct multipart_part *parts;
	const char *body;
	size_t blen;
	char err[256];
	int n, rc;

	rc = http_body(req, app.upload_limit, &body, &blen);
	if (rc != 0)
		return rc;
	if (ct == NULL || strncasecmp(ct, "multipart/form-data", 19) != 0) {
		*data = body;
		*len = blen;
		*filename = NULL;
		*ctype = ct ? arena_strdup(req->arena, ct)
		            : "application/octet-stream";
		return 0;
	}
	n = multipart_parse(req->arena, ct, body, blen, NULL, &parts, err,
	                    sizeof(err));
	if (n == MULTIPART_E_LIMIT)
		return http_reply_problem(req, 413, "payload-too-large",
		                          "Upload too large", err);
	if (n < 0)
		return http_reply_problem(req, 400, "malformed-body",
		                          "Malformed upload", err);
	for (int i = 0; i < n; i++)
		if (parts[i].name != NULL &&
		    strcmp(parts[i].name, field) == 0) {
			*data = parts[i].data;
			*len = parts[i].len;
			*filename = parts[i].filename;
			*ctype = parts[i].content_type
			             ? parts[i].content_type
			             : "application/octet-stream";
			return 0;
		}
	problem_add_error(&req->errors, 0, field,
	                  arena_sprintf(req->arena,
	                                "the upload has no part "
	                                "named %s",
	                                field));
	return http_reply_problem(req, 422, "validation-failed", "No file",
	                          "Send the file in the form field.");
}

static int
http_is_form(jx_req *req)
{
	const char *ct = http_header(req, "Content-Type");

	return ct != NULL &&
	       strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0;
}

const char *
http_form(jx_req *req, const char *name)
{
	const char *data;
	size_t len;
	char *buf;
	int n;

	if (!http_is_form(req) || http_body(req, 0, &data, &len) != 0)
		return NULL;
	buf = arena_alloc(req->arena, len + 1);
	n = mg_get_var(data, len, name, buf, len + 1);
	/* As in http_query: a field cut short by a %00 is no field (a login
	 * "13800000002%00" is refused, not matched). */
	if (n < 0 || strlen(buf) != (size_t)n)
		return NULL;
	return buf;
}

static void
http_json_free(void *p)
{
	cJSON_Delete(p);
}

cJSON *
http_json(jx_req *req)
{
	const char *ctype = http_header(req, "Content-Type");
	struct jsonin_error err;
	const char *data;
	size_t len;
	cJSON *v;

	if (ctype != NULL && strncasecmp(ctype, "application/json", 16) != 0 &&
	    strncasecmp(ctype, "text/plain", 10) != 0) {
		http_reply_problem(req, 415, "unsupported-media-type",
		                   "Unsupported media type",
		                   "Send application/json.");
		return NULL;
	}
	if (http_body(req, 0, &data, &len) != 0)
		return NULL;
	v = jsonin_parse(data, len, &err);
	if (v == NULL && err.status == 422) {
		problem_add_error(&req->errors, 0, err.field, err.message);
		http_reply_problem(
		    req, 422, "validation-failed", "Invalid field",
		    arena_sprintf(req->arena, "%s %s", err.field, err.message));
		return NULL;
	}
	if (v == NULL) {
		http_reply_problem(req, 400, "malformed-body",
		                   "Malformed request body", err.message);
		return NULL;
	}
	arena_defer(req->arena, http_json_free, v);
	return v;
}

/* ---- dispatch ------------------------------------------------------- */

static const char *
http_lang(jx_req *req)
{
	const char *q = http_query(req, "lang");
	const char *al;
	char cookie[16];

	if (q != NULL && strcmp(q, "en") == 0)
		return "en";
	if (q != NULL && strcmp(q, "zh-CN") == 0)
		return "zh-CN";
	if (mg_get_cookie(http_header(req, "Cookie"), "jx_lang", cookie,
	                  sizeof(cookie)) > 0)
		return strcmp(cookie, "en") == 0 ? "en" : "zh-CN";
	al = http_header(req, "Accept-Language");
	/* Chinese first: English only when the browser's first choice is. */
	if (al != NULL) {
		while (*al == ' ')
			al++;
		if (strncasecmp(al, "en", 2) == 0)
			return "en";
	}
	return "zh-CN";
}

/* The logged-in user's saved language wins over the browser's. */
static void
http_account_lang(jx_req *req)
{
	if (req->account_lang != NULL)
		req->lang =
		    strcmp(req->account_lang, "en") == 0 ? "en" : "zh-CN";
}

static int
http_ip_trusted(const char *ip)
{
	const cJSON *list = config_get(&app.cfg, "trusted_proxies");
	const cJSON *e;

	cJSON_ArrayForEach(e,
	                   list) if (cJSON_IsString(e) &&
	                             strcmp(e->valuestring, ip) == 0) return 1;
	return 0;
}

/* The socket peer, or the rightmost untrusted X-Forwarded-For hop when
 * the peer is a trusted proxy. */
static const char *
http_client_ip(jx_req *req, const char *peer)
{
	const char *xff;
	char *copy, *tok, *save = NULL, *hops[32];
	int n = 0;

	if (!http_ip_trusted(peer))
		return peer;
	xff = http_header(req, "X-Forwarded-For");
	if (xff == NULL)
		return peer;
	copy = arena_strdup(req->arena, xff);
	for (tok = strtok_r(copy, ",", &save); tok != NULL && n < 32;
	     tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		char *e = tok + strlen(tok);

		while (e > tok && e[-1] == ' ')
			*--e = '\0';
		hops[n++] = tok;
	}
	for (int i = n - 1; i >= 0; i--) {
		unsigned char tmp[16];

		if (inet_pton(AF_INET, hops[i], tmp) != 1 &&
		    inet_pton(AF_INET6, hops[i], tmp) != 1)
			return peer;
		if (!http_ip_trusted(hops[i]))
			return hops[i];
	}
	return peer;
}

static int
http_unsafe(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
	       strcmp(method, "OPTIONS") != 0;
}

/* 1 when there is no Origin header (not a browser, or a same-origin
 * GET) or it names this host or the configured public_url. */
static int
http_same_origin(jx_req *req)
{
	const char *origin = http_header(req, "Origin");
	const char *host = http_header(req, "Host");
	const char *pub = config_string(&app.cfg, "public_url");
	const char *o;
	size_t n;

	if (origin == NULL)
		return 1;
	if (pub != NULL) {
		n = strlen(pub);
		while (n > 0 && pub[n - 1] == '/')
			n--;
		if (strlen(origin) == n && strncasecmp(origin, pub, n) == 0)
			return 1;
	}
	o = strstr(origin, "://");
	if (o == NULL || host == NULL)
		return 0;
	return strcasecmp(o + 3, host) == 0;
}

/* The password-change gate: 0 to go on, or the status of the reply made
 * (a redirect to the form, or 403) while the account must change its
 * initial password first. */
static int
http_gate(jx_req *req)
{
	static const char *const allowed[] = {
	    "GET /api/v1/me",
	    "PUT /api/v1/me/password",
	    "DELETE /api/v1/session",
	    "POST /api/v1/session",
	    "POST /api/v1/password-recovery",
	    "POST /api/v1/password-recovery/verify",
	    "GET /me/password",
	    "POST /me/password",
	    "POST /logout",
	    "GET /login",
	    "POST /login",
	    "GET /healthz",
	    NULL};
	const struct route *rt = req->match.route;

	if (!req->must_change)
		return 0;
	for (int i = 0; allowed[i] != NULL; i++) {
		size_t n = strlen(rt->method);

		if (strncmp(allowed[i], rt->method, n) == 0 &&
		    allowed[i][n] == ' ' &&
		    strcmp(allowed[i] + n + 1, rt->pattern) == 0)
			return 0;
	}
	if (!req->is_api && strcmp(req->method, "GET") == 0) {
		/* The page asked for comes after the change (a parent who
		 * arrived from WeChat on a notice lands on it). */
		char next[1024], enc[3 * sizeof(next)];
		int n = snprintf(next, sizeof(next), "%s%s%s", req->path,
		                 req->query && *req->query ? "?" : "",
		                 req->query ? req->query : "");

		if (n <= 0 || (size_t)n >= sizeof(next) ||
		    strcmp(req->path, "/") == 0 ||
		    strcmp(req->path, "/me") == 0 ||
		    mg_url_encode(next, enc, sizeof(enc)) < 0)
			return http_reply_redirect(req, "/me/password");
		return http_reply_redirect(
		    req,
		    arena_sprintf(req->arena, "/me/password?next=%s", enc));
	}
	return http_reply_problem(req, 403, "password-change-required",
	                          "Password change required",
	                          "Change the initial password first "
	                          "(PUT /api/v1/me/password).");
}

/* A page asked for without a login: the login, then back to the page
 * with its query (a scanned check-in link is nothing without it), the
 * whole encoded as one value of next. */
static int
http_login_redirect(jx_req *req)
{
	char next[2048], enc[3 * sizeof(next)];
	int n = snprintf(next, sizeof(next), "%s%s%s", req->path,
	                 req->query && *req->query ? "?" : "",
	                 req->query ? req->query : "");

	if (n <= 0 || (size_t)n >= sizeof(next) ||
	    mg_url_encode(next, enc, sizeof(enc)) < 0)
		return http_reply_redirect(
		    req,
		    arena_sprintf(req->arena, "/login?next=%s", req->path));
	return http_reply_redirect(
	    req, arena_sprintf(req->arena, "/login?next=%s", enc));
}

static int
http_route(jx_req *req)
{
	int m = router_match(app.router, req->method, req->path, req->arena,
	                     &req->match);
	const struct route *rt;

	if (m == 0)
		return http_reply_problem(req, 404, "not-found", "Not found",
		                          "No such resource.");
	if (m == -2) {
		req->match.route = NULL;
		return http_reply_problem(req, 405, "method-not-allowed",
		                          "Method not allowed", NULL);
	}
	rt = req->match.route;
	/* A plugin switched off for the caller's district does not exist
	 * there. */
	if (rt->plugin >= 0 && !auth_plugin_enabled(req, rt->plugin))
		return http_reply_problem(req, 404, "not-found", "Not found",
		                          "No such resource.");
	if (!(rt->flags & JX_ROUTE_PUBLIC) && req->account_id == 0) {
		if (!req->is_api && !http_unsafe(req->method))
			return http_login_redirect(req);
		return http_reply_problem(req, 401, "unauthenticated",
		                          "Login required",
		                          "Log in to use this resource.");
	}
	/* A browser names the page a request comes from: an unsafe request
	 * from another site is refused outright (login CSRF included). */
	if (http_unsafe(req->method) && !http_same_origin(req))
		return http_reply_problem(
		    req, 403, "cross-origin", "Cross-site request refused",
		    "The request came from another site.");
	if (http_unsafe(req->method) && !(rt->flags & JX_ROUTE_NO_CSRF) &&
	    req->session_id != 0 && http_header(req, "X-CSRF-Token") == NULL &&
	    http_is_form(req)) {
		req->form_csrf = http_form(req, "csrf_token");
		if (req->status != 0)
			return req->status; /* body too large */
	}
	if (http_unsafe(req->method) && !(rt->flags & JX_ROUTE_NO_CSRF) &&
	    req->session_id != 0 && !auth_csrf_ok(req))
		return http_reply_problem(req, 403, "csrf",
		                          "Missing or wrong CSRF token",
		                          "Send the session's X-CSRF-Token.");
	/* The password-change gate holds for every route once logged in,
	 * public ones included (they would show the logged-in page). */
	if (req->account_id != 0) {
		int rc = http_gate(req);

		if (rc != 0)
			return rc;
	}
	if (rt->plugin < 0)
		return rt->handler(req, rt->ud);
	{
		int prev = plugin_enter(), rc = rt->handler(req, rt->ud);

		plugin_leave(prev);
		return rc;
	}
}

/* Streams a file reply in pieces: a 20 MB video is never in memory. A
 * client that goes away ends the loop (mg_write fails). */
static void
http_send_fd(jx_req *req)
{
	char chunk[16384]; /* a civetweb worker has 100 KiB of stack */
	int64_t off = req->send_off, left = req->send_len;

	while (!req->is_head && left > 0) {
		size_t want = left < (int64_t)sizeof(chunk) ? (size_t)left
		                                            : sizeof(chunk);
		ssize_t got = pread(req->send_fd, chunk, want, (off_t)off);

		if (got <= 0 || mg_write(req->conn, chunk, (size_t)got) <= 0)
			break;
		off += got;
		left -= got;
	}
	close(req->send_fd);
	req->send_file = 0;
}

static void
http_send(jx_req *req)
{
	struct mg_connection *conn = req->conn;
	char len[32];

	if (req->status == 0)
		http_reply_problem(req, 500, "internal", "No reply",
		                   "The handler made no reply.");
	mg_response_header_start(conn, req->status);
	if (req->content_type != NULL)
		mg_response_header_add(conn, "Content-Type", req->content_type,
		                       -1);
	if (req->send_file)
		snprintf(len, sizeof(len), "%lld", (long long)req->send_len);
	else
		snprintf(len, sizeof(len), "%zu", req->body.len);
	mg_response_header_add(conn, "Content-Length", len, -1);
	mg_response_header_add(
	    conn, "Content-Security-Policy",
	    "default-src 'self'; img-src 'self' data:; "
	    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
	    -1);
	mg_response_header_add(conn, "X-Content-Type-Options", "nosniff", -1);
	mg_response_header_add(conn, "X-Frame-Options", "DENY", -1);
	mg_response_header_add(conn, "Referrer-Policy", "same-origin", -1);
	/* Pages as well as the API: every page carries the session's CSRF
	 * token, and some show initial passwords (slips, a reset's result),
	 * which must not stay in a browser's or a proxy's cache. */
	if (req->cache_control != NULL)
		mg_response_header_add(conn, "Cache-Control",
		                       req->cache_control, -1);
	else if (!req->is_static)
		mg_response_header_add(conn, "Cache-Control", "no-store", -1);
	if (req->headers.len > 0)
		mg_response_header_add_lines(conn, req->headers.data);
	mg_response_header_send(conn);
	if (req->send_file) {
		http_send_fd(req);
		return;
	}
	if (!req->is_head && req->body.len > 0)
		mg_write(conn, req->body.data, req->body.len);
}

static int
http_hex(int c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	                              : -1;
}

/*
 * The request's path, percent-decoded here rather than by civetweb
 * (decode_url=no): civetweb decodes in place and a %00 ends the string,
 * so "/api/v1/students/8%00" reached the router as ".../8" and
 * "/static/app.css%00.html" as the stylesheet. NULL (refused with 400)
 * when the path holds a control character, raw or encoded, or a "." or
 * ".." segment that only appears once decoded (civetweb removed the
 * literal ones before).
 */
static const char *
http_path(jx_req *req, const char *raw)
{
	size_t n = strlen(raw), j = 0;
	char *out = arena_alloc(req->arena, n + 1);
	const char *seg;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)raw[i], hi, lo;

		if (c == '%' && i + 2 < n && (hi = http_hex(raw[i + 1])) >= 0 &&
		    (lo = http_hex(raw[i + 2])) >= 0) {
			c = hi * 16 + lo;
			i += 2;
		}
		if (c < 0x20 || c == 0x7f)
			return NULL;
		out[j++] = (char)c;
	}
	out[j] = '\0';
	for (seg = out; (seg = strchr(seg, '/')) != NULL; seg++)
		if (seg[1] == '.' &&
		    (seg[2] == '/' || seg[2] == '\0' ||
		     (seg[2] == '.' && (seg[3] == '/' || seg[3] == '\0'))))
			return NULL;
	return out;
}

static int
http_dispatch(struct mg_connection *conn)
{
	const struct mg_request_info *ri = mg_get_request_info(conn);
	struct thread *w = thread_worker();
	jx_req req;
	int64_t dur;

	if (w == NULL) {
		mg_send_http_error(conn, 503, "%s", "Service unavailable");
		return 503;
	}
	memset(&req, 0, sizeof(req));
	req.conn = conn;
	req.worker = w;
	req.arena = &w->arena;
	req.start_us = http_now_us();
	req.method = ri->request_method;
	req.path = http_path(&req, ri->local_uri ? ri->local_uri : "/");
	req.query = ri->query_string;
	req.is_head = strcmp(req.method, "HEAD") == 0;
	req.is_api = req.path == NULL
	                 ? ri->local_uri != NULL &&
	                       strncmp(ri->local_uri, "/api/", 5) == 0
	                 : strncmp(req.path, "/api/", 5) == 0;
	buf_init(&req.body);
	buf_init(&req.headers);
	req.client_ip = http_client_ip(&req, ri->remote_addr);
	req.lang = http_lang(&req);
	if (w->lua != NULL)
		luaenv_refresh(w->lua);

	if (req.path == NULL) {
		req.path = "(refused)";
		http_reply_problem(&req, 400, "bad-path", "Malformed path",
		                   "The path holds a control character or an "
		                   "encoded dot segment.");
	} else if (strncmp(req.path, "/static/", 8) == 0) {
		req.is_static = 1;
		static_serve(&req, req.path + 8);
	} else {
		auth_resolve(&req);
		if (req.account_id != 0 && http_query(&req, "lang") == NULL)
			http_account_lang(&req);
		http_route(&req);
	}
	if (http_crowded(&req))
		http_add_header(&req, "Connection", "close");
	else if (http_conns.keep_alive[0] != '\0' &&
	         (req.headers.data == NULL ||
	          strstr(req.headers.data, "Connection:") == NULL))
		/* How long an idle connection stays open, so that a client
		 * stops reusing it before the server closes it: else a request
		 * sent as the server closes is lost ("fetch failed"). */
		http_add_header(&req, "Keep-Alive", http_conns.keep_alive);
	http_send(&req);
	dur = http_now_us() - req.start_us;
	jx_log(JX_LOG_INFO, "http", "%s %s %d %zu %.1fms %s", req.method,
	       req.path, req.status, req.body.len, (double)dur / 1000.0,
	       req.client_ip);
	buf_free(&req.body);
	buf_free(&req.headers);
	if (req.errors != NULL)
		cJSON_Delete(req.errors);
	if (req.last_problem != NULL)
		cJSON_Delete(req.last_problem);
	db_reset_all(w->db);
	arena_reset(&w->arena);
	return req.status;
}

static int
http_conn_open(const struct mg_connection *conn, void **conn_data)
{
	(void)conn;
	(void)conn_data;
	atomic_fetch_add(&http_conns.open, 1);
	return 0;
}

static void
http_conn_close(const struct mg_connection *conn)
{
	(void)conn;
	atomic_fetch_sub(&http_conns.open, 1);
}

/* Once three quarters of the threads hold a connection, every reply says
 * Connection: close: a kept-alive client then queues again behind the new
 * ones instead of keeping its thread, so that more clients than threads
 * take turns rather than some waiting until others leave. */
static int
http_crowded(const jx_req *req)
{
	if (atomic_load(&http_conns.open) < http_conns.crowd)
		return 0;
	/* A reply that already closes (413 mid-body) says so once. */
	return req->headers.data == NULL ||
	       strstr(req->headers.data, "Connection:") == NULL;
}

static int
http_log_message(const struct mg_connection *conn, const char *message)
{
	(void)conn;
	jx_log(JX_LOG_WARN, "civetweb", "%s", message);
	return 1;
}

/* Every worker thread keeps a socket and, once it has served a request,
 * its database connection (the database, its WAL and shared-memory
 * files): four descriptors. A soft limit below that (1024 under
 * systemd) would fail accept() or sqlite3_open() under load, so it is
 * raised up to the hard limit. */
static void
http_raise_nofile(int64_t threads)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)threads * 4 + 256;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need
	                  ? need
	                  : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < need)
		jx_log(JX_LOG_WARN, "http",
		       "%lld threads need %llu file descriptors; the limit is "
		       "%llu (raise LimitNOFILE)",
		       (long long)threads, (unsigned long long)need,
		       (unsigned long long)rl.rlim_cur);
}

int
http_start(void)
{
	struct mg_callbacks cb;
	const char *listen = config_string(&app.cfg, "listen");
	int64_t nthreads = config_int(&app.cfg, "threads", 512);
	char threads[24], port[128], header_ms[24], keep_alive_ms[24];
	const char *opts[32];
	int n = 0;

	if (nthreads < 1)
		nthreads = 1;
	http_conns.crowd = (int)(nthreads - nthreads / 4);
	http_raise_nofile(nthreads);
	snprintf(threads, sizeof(threads), "%lld", (long long)nthreads);
	snprintf(
	    header_ms, sizeof(header_ms), "%lld",
	    (long long)config_int(&app.cfg, "http.header_timeout_ms", 10000));
	snprintf(keep_alive_ms, sizeof(keep_alive_ms), "%lld",
	         (long long)config_int(&app.cfg, "http.keep_alive_ms", 2000));
	if (config_int(&app.cfg, "http.keep_alive_ms", 2000) >= 1000)
		snprintf(http_conns.keep_alive, sizeof(http_conns.keep_alive),
		         "timeout=%lld",
		         (long long)(config_int(&app.cfg, "http.keep_alive_ms",
		                                2000) /
		                     1000));
	snprintf(port, sizeof(port), "%s", listen ? listen : "127.0.0.1:8080");
	opts[n++] = "listening_ports";
	opts[n++] = port;
	/* civetweb gives each open connection a thread of its own until the
	 * connection closes; a new client waits in the listen backlog while
	 * none is free. Threads are cheap (a 100 KiB stack, a database
	 * connection and a Lua state once used: docs/BENCHMARKS.md). */
	opts[n++] = "num_threads";
	opts[n++] = threads;
	/* Without TCP_NODELAY every keep-alive reply waits ~40 ms on
	 * Nagle's algorithm. */
	opts[n++] = "tcp_nodelay";
	opts[n++] = "1";
	opts[n++] = "enable_keep_alive";
	opts[n++] = "yes";
	/* The whole of the next request's headers, idle time included, must
	 * arrive within this on a kept-alive connection (civetweb 1.15 counts
	 * from the end of the previous request), so an idle or trickling
	 * keep-alive client gives its thread back quickly. */
	opts[n++] = "keep_alive_timeout_ms";
	opts[n++] = keep_alive_ms;
	/* A total deadline for a new connection's request line and headers
	 * (a slowloris client holds a thread at most this long), and the
	 * longest a 16 KiB body read or a reply write may stall. */
	opts[n++] = "request_timeout_ms";
	opts[n++] = header_ms;
	opts[n++] = "max_request_size";
	opts[n++] = "16384";
	opts[n++] = "enable_directory_listing";
	opts[n++] = "no";
	opts[n++] = "listen_backlog";
	opts[n++] = "1024";
	/* The path is decoded by http_path, which refuses %00 and other
	 * controls; civetweb's own decoding stops at a %00. */
	opts[n++] = "decode_url";
	opts[n++] = "no";
	opts[n] = NULL;

	memset(&cb, 0, sizeof(cb));
	cb.begin_request = http_dispatch;
	cb.log_message = http_log_message;
	cb.init_connection = http_conn_open;
	cb.connection_close = http_conn_close;
	mg_init_library(0);
	app.mg = mg_start(&cb, NULL, opts);
	if (app.mg == NULL) {
		jx_log(JX_LOG_ERROR, "http", "cannot listen on %s", port);
		return -1;
	}
	jx_log(JX_LOG_INFO, "http", "listening on http://%s", port);
	return 0;
}

void
http_stop(void)
{
	if (app.mg != NULL)
		mg_stop(app.mg);
	app.mg = NULL;
	mg_exit_library();
}
