/*
 * wechat.c — the "wechat" notification channel: template messages of a
 * WeChat official account, through libcurl against wechat.api_base.
 *
 *   POST /cgi-bin/stable_token  {"grant_type":"client_credential",
 *                                "appid","secret"[,"force_refresh"]}
 *     → {"access_token","expires_in"}
 *   POST /cgi-bin/message/template/send?access_token=T
 *        {"touser","template_id","url","data":{k:{"value"}},
 *         "client_msg_id"}
 *     → {"errcode":0,"errmsg":"ok","msgid"}
 *
 * A message's recipient is a person id: it goes to every openid bound to
 * the person's account that is not known to have unfollowed. It is
 * delivered (0) when any of them accepted it; unreachable (< 0, err
 * "unreachable: ...") when there is none, or every one was refused with
 * 43004 (not following) or 40003 (invalid openid), which marks that
 * openid; retried (> 0) on the network, 45009 (quota) and other errors.
 *
 * The access token is cached process-wide under a mutex, refreshed five
 * minutes before it expires and at once when WeChat calls it invalid
 * (40001, 42001, 40014), after which the send is tried once more.
 *
 * Channel calls run on several delivery threads at once: curl handles
 * come from a small pool so connections to the API are reused. The msgid
 * WeChat returns is kept in memory until the host settles the outbox row
 * (event notify.result), then written in that same transaction to
 * wechat_messages, where TEMPLATESENDJOBFINISH events find it.
 *
 * Never logged: the secret, tokens, openids in full, message contents.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jx/plugin.h>
#include <jx/wechat.h>

#include "wechat_int.h"

#define WX_CONNECT_TIMEOUT_MS 5000L
#define WX_TIMEOUT_MS 10000L
#define WX_REPLY_MAX 65536
#define WX_POOL 32
#define WX_FIELD_CHARS 20     /* WeChat's limit for a template value */
#define WX_TOKEN_EARLY 300    /* refresh this many seconds before expiry */
#define WX_PENDING_MAX 100000 /* msgids awaiting their outbox row */

JX_HOST_DECLARE;
struct wx_config wx_cfg;
static int wx_curl_ready;

/* ---- HTTP ---------------------------------------------------------- */

static struct {
	pthread_mutex_t mu;
	CURL *idle[WX_POOL];
	int n;
} wx_pool = {.mu = PTHREAD_MUTEX_INITIALIZER};

static CURL *
wx_handle_get(void)
{
	CURL *c = NULL;

	pthread_mutex_lock(&wx_pool.mu);
	if (wx_pool.n > 0)
		c = wx_pool.idle[--wx_pool.n];
	pthread_mutex_unlock(&wx_pool.mu);
	if (c != NULL) {
		/* Keeps the handle's live connections. */
		curl_easy_reset(c);
		return c;
	}
	return curl_easy_init();
}

static void
wx_handle_put(CURL *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&wx_pool.mu);
	if (wx_pool.n < WX_POOL) {
		wx_pool.idle[wx_pool.n++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&wx_pool.mu);
	if (c != NULL)
		curl_easy_cleanup(c);
}

struct wx_buf {
	char *data;
	size_t len;
};

static size_t
wx_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct wx_buf *b = ud;
	size_t n = size * nmemb, room = WX_REPLY_MAX - b->len;
	char *p;

	if (n < room)
		room = n;
	if (room == 0)
		return n;
	p = realloc(b->data, b->len + room + 1);
	if (p == NULL)
		return 0;
	b->data = p;
	memcpy(b->data + b->len, ptr, room);
	b->len += room;
	b->data[b->len] = '\0';
	return n;
}

cJSON *
wx_json_parse(const char *text)
{
	int depth = 0, in_str = 0;

	if (text == NULL)
		return NULL;
	for (const char *p = text; *p != '\0'; p++) {
		if (in_str) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '"')
				in_str = 0;
		} else if (*p == '"') {
			in_str = 1;
		} else if (*p == '[' || *p == '{') {
			if (++depth > WX_JSON_DEPTH)
				return NULL;
		} else if (*p == ']' || *p == '}') {
			depth--;
		}
	}
	return cJSON_Parse(text);
}

char *
wx_escape(const char *s)
{
	CURL *c = curl_easy_init();
	char *e, *out;

	if (c == NULL)
		return NULL;
	e = curl_easy_escape(c, s, 0);
	out = e ? strdup(e) : NULL;
	curl_free(e);
	curl_easy_cleanup(c);
	return out;
}

int
wx_http(const char *path, const char *body, long *status, char **reply,
        char *err, size_t errlen)
{
	struct wx_buf b = {0};
	struct curl_slist *hdr = NULL, *h;
	size_t n = strlen(wx_cfg.api_base) + strlen(path) + 1;
	char *url = malloc(n);
	CURL *c = NULL;
	CURLcode cc;
	int rc = 1;

	*status = 0;
	*reply = NULL;
	if (url == NULL)
		goto nomem;
	snprintf(url, n, "%s%s", wx_cfg.api_base, path);
	c = wx_handle_get();
	if (c == NULL)
		goto nomem;
	if (body != NULL) {
		h = curl_slist_append(hdr, "Content-Type: application/json");
		if (h == NULL)
			goto nomem;
		hdr = h;
		/* No "Expect: 100-continue" round trip. */
		h = curl_slist_append(hdr, "Expect:");
		if (h == NULL)
			goto nomem;
		hdr = h;
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, WX_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, WX_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, wx_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "jiaxiao-wechat/1.0");
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		snprintf(err, errlen, "wechat api unreachable: %s",
		         curl_easy_strerror(cc));
		goto done;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	*reply = b.data ? b.data : strdup("");
	b.data = NULL;
	rc = *reply ? 0 : 1;
	if (rc != 0)
		snprintf(err, errlen, "out of memory");
	goto done;
nomem:
	snprintf(err, errlen, "out of memory");
done:
	wx_handle_put(c);
	curl_slist_free_all(hdr);
	free(b.data);
	free(url);
	return rc;
}

/* The errcode of a WeChat reply (0 when it has none), and its errmsg
 * cleaned to printable ASCII. */
static long
wx_errcode(const cJSON *j, char *msg, size_t n)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "errcode");
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "errmsg");
	size_t k = 0;

	if (n > 0) {
		for (const char *s = cJSON_IsString(m) ? m->valuestring : "";
		     *s != '\0' && k + 1 < n; s++)
			msg[k++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
		msg[k] = '\0';
	}
	return cJSON_IsNumber(c) ? (long)c->valuedouble : 0;
}

/* ---- access token --------------------------------------------------- */

static struct {
	pthread_mutex_t mu;
	char token[600];
	int64_t expires_at;
} wx_tok = {.mu = PTHREAD_MUTEX_INITIALIZER};

/*
 * Copies a valid access token to out. stale names a token WeChat just
 * refused: unless another thread has replaced it already, a new one is
 * forced. 0, or 1 with err (the token endpoint failed: try later).
 */
static int
wx_token(const char *stale, char *out, size_t n, char *err, size_t errlen)
{
	cJSON *req = NULL, *j = NULL;
	char *body = NULL, *reply = NULL, msg[128];
	const cJSON *t, *e;
	long status, code;
	int rc = 1;

	pthread_mutex_lock(&wx_tok.mu);
	if (wx_tok.token[0] != '\0' &&
	    jx_host->now() < wx_tok.expires_at - WX_TOKEN_EARLY &&
	    (stale == NULL || strcmp(stale, wx_tok.token) != 0)) {
		snprintf(out, n, "%s", wx_tok.token);
		pthread_mutex_unlock(&wx_tok.mu);
		return 0;
	}
	req = cJSON_CreateObject();
	if (req == NULL ||
	    !cJSON_AddStringToObject(req, "grant_type", "client_credential") ||
	    !cJSON_AddStringToObject(req, "appid", wx_cfg.appid) ||
	    !cJSON_AddStringToObject(req, "secret", wx_cfg.secret) ||
	    (stale != NULL && !cJSON_AddTrueToObject(req, "force_refresh")) ||
	    (body = cJSON_PrintUnformatted(req)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	if (wx_http("/cgi-bin/stable_token", body, &status, &reply, err,
	            errlen) != 0)
		goto done;
	j = wx_json_parse(reply);
	t = cJSON_GetObjectItemCaseSensitive(j, "access_token");
	e = cJSON_GetObjectItemCaseSensitive(j, "expires_in");
	code = wx_errcode(j, msg, sizeof(msg));
	if (status != 200 || code != 0 || !cJSON_IsString(t) ||
	    strlen(t->valuestring) >= sizeof(wx_tok.token) ||
	    strlen(t->valuestring) >= n) {
		snprintf(err, errlen,
		         "access token refused (HTTP %ld, %ld): %s", status,
		         code, msg);
		jx_host->log(JX_LOG_WARN, "wechat", "%s", err);
		goto done;
	}
	snprintf(wx_tok.token, sizeof(wx_tok.token), "%s", t->valuestring);
	wx_tok.expires_at =
	    jx_host->now() + (cJSON_IsNumber(e) ? (int64_t)e->valuedouble : 0);
	snprintf(out, n, "%s", wx_tok.token);
	jx_host->log(JX_LOG_INFO, "wechat",
	             "access token obtained (expires in %llds)",
	             (long long)(wx_tok.expires_at - jx_host->now()));
	rc = 0;
done:
	pthread_mutex_unlock(&wx_tok.mu);
	cJSON_Delete(j);
	cJSON_Delete(req);
	cJSON_free(body);
	free(reply);
	return rc;
}

/* ---- msgids awaiting their outbox row -------------------------------- */

struct wx_pending {
	char key[48];
	char msgid[32];
	char openid[64];
};

static struct {
	pthread_mutex_t mu;
	struct wx_pending *v;
	size_t n, cap;
} wx_pend = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void
wx_pending_add(const char *key, const char *msgid, const char *openid)
{
	struct wx_pending *p;

	pthread_mutex_lock(&wx_pend.mu);
	if (wx_pend.n == wx_pend.cap) {
		size_t cap = wx_pend.cap ? wx_pend.cap * 2 : 256;

		if (cap > WX_PENDING_MAX ||
		    (p = realloc(wx_pend.v, cap * sizeof(*p))) == NULL) {
			/* Rows whose result never came (a refused publish):
			 * forget the oldest half. */
			size_t half = wx_pend.n / 2;

			memmove(wx_pend.v, wx_pend.v + half,
			        (wx_pend.n - half) * sizeof(*p));
			wx_pend.n -= half;
		} else {
			wx_pend.v = p;
			wx_pend.cap = cap;
		}
	}
	p = &wx_pend.v[wx_pend.n++];
	snprintf(p->key, sizeof(p->key), "%s", key);
	snprintf(p->msgid, sizeof(p->msgid), "%s", msgid);
	snprintf(p->openid, sizeof(p->openid), "%s", openid);
	pthread_mutex_unlock(&wx_pend.mu);
}

/* The subscriber of notify.result: writes the msgids of a settled wechat
 * row in the settling transaction. */
static int
wx_on_result(jx_db *db, const char *event, const cJSON *payload, void *ud)
{
	const cJSON *ch = cJSON_GetObjectItemCaseSensitive(payload, "channel");
	const cJSON *key = cJSON_GetObjectItemCaseSensitive(payload, "key");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(payload, "id");
	struct wx_pending mine[16];
	int nmine = 0, rc = 0;

	(void)event;
	(void)ud;
	if (!cJSON_IsString(ch) || strcmp(ch->valuestring, "wechat") != 0 ||
	    !cJSON_IsString(key) || !cJSON_IsNumber(id))
		return 0;
	pthread_mutex_lock(&wx_pend.mu);
	for (size_t i = 0; i < wx_pend.n;) {
		if (strcmp(wx_pend.v[i].key, key->valuestring) != 0) {
			i++;
			continue;
		}
		if (nmine < (int)(sizeof(mine) / sizeof(mine[0])))
			mine[nmine++] = wx_pend.v[i];
		wx_pend.v[i] = wx_pend.v[--wx_pend.n];
	}
	pthread_mutex_unlock(&wx_pend.mu);
	for (int i = 0; i < nmine && rc == 0; i++)
		if (jx_host->db_exec(
		        db,
		        "INSERT INTO wechat_messages(msgid, outbox_id, openid, "
		        "status, created_at) VALUES (?, ?, ?, 'accepted', ?) "
		        "ON CONFLICT(msgid) DO NOTHING",
		        "sisi", mine[i].msgid, (int64_t)id->valuedouble,
		        mine[i].openid, jx_host->now()) < 0)
			rc = -1;
	return rc;
}

/* ---- template messages ------------------------------------------------ */

/* Copies at most max UTF-8 characters of s; a longer value ends in "…"
 * within the limit. */
static void
wx_cut(const char *s, int max, char *out, size_t n)
{
	const char *p = s;
	int chars = 0;
	size_t k;

	while (*p != '\0' && chars < max) {
		unsigned char c = (unsigned char)*p;
		int len = c < 0x80             ? 1
		          : (c & 0xe0) == 0xc0 ? 2
		          : (c & 0xf0) == 0xe0 ? 3
		          : (c & 0xf8) == 0xf0 ? 4
		                               : 1;
		for (int i = 1; i < len; i++)
			if (p[i] == '\0')
				len = i;
		p += len;
		chars++;
	}
	if (*p == '\0') {
		snprintf(out, n, "%s", s);
		return;
	}
	/* Too long: max - 1 characters and the ellipsis. */
	p = s;
	for (chars = 0; chars < max - 1; chars++) {
		unsigned char c = (unsigned char)*p;
		int len = c < 0x80             ? 1
		          : (c & 0xe0) == 0xc0 ? 2
		          : (c & 0xf0) == 0xe0 ? 3
		          : (c & 0xf8) == 0xf0 ? 4
		                               : 1;
		p += len;
	}
	k = (size_t)(p - s);
	if (k + 4 > n)
		k = n > 4 ? n - 4 : 0;
	memcpy(out, s, k);
	memcpy(out + k, "\xe2\x80\xa6", 4); /* "…" and NUL */
}

/* The template id for a message template: wechat.templates.<name>, else
 * wechat.template_id. */
static const char *
wx_template_id(const char *template_name)
{
	char path[160];
	const char *v;

	snprintf(path, sizeof(path), "wechat.templates.%s", template_name);
	v = jx_host->config_string(path);
	return v != NULL && *v != '\0' ? v : wx_cfg.template_id;
}

/* The template's data: every parameter but "url", under the data key
 * wechat.fields.<param> (default: the parameter's name), cut to
 * WeChat's 20 characters. */
static cJSON *
wx_data(const cJSON *params)
{
	cJSON *data = cJSON_CreateObject();
	const cJSON *p;

	if (data == NULL)
		return NULL;
	cJSON_ArrayForEach(p, params)
	{
		char path[160], num[32], v[WX_FIELD_CHARS * 4 + 4];
		const char *key, *val;
		cJSON *item;

		if (p->string == NULL || strcmp(p->string, "url") == 0)
			continue;
		if (cJSON_IsString(p))
			val = p->valuestring;
		else if (cJSON_IsNumber(p))
			snprintf(num, sizeof(num), "%.15g", p->valuedouble),
			    val = num;
		else
			continue;
		snprintf(path, sizeof(path), "wechat.fields.%s", p->string);
		key = jx_host->config_string(path);
		if (key == NULL || *key == '\0')
			key = p->string;
		wx_cut(val, WX_FIELD_CHARS, v, sizeof(v));
		item = cJSON_CreateObject();
		if (item == NULL ||
		    !cJSON_AddStringToObject(item, "value", v) ||
		    !cJSON_AddItemToObject(data, key, item)) {
			cJSON_Delete(item);
			cJSON_Delete(data);
			return NULL;
		}
	}
	return data;
}

/* Outcomes of one openid. */
enum wx_outcome { WX_ACCEPTED, WX_UNFOLLOWED, WX_INVALID, WX_RETRY };

/* Sends one template message to one openid; err set unless accepted. */
static enum wx_outcome
wx_send_one(const char *openid, int64_t binding, const char *tmpl_id,
            const char *url, const cJSON *data, const char *key, char *err,
            size_t errlen)
{
	char token[600], msgidbuf[32], msg[128], *body = NULL, *reply = NULL,
	                                         path[800], cmid[80];
	cJSON *m = cJSON_CreateObject(), *j = NULL;
	enum wx_outcome out = WX_RETRY;
	long status, code;

	/* One id per message and openid: a resend after a crash repeats
	 * it, so WeChat can drop the duplicate. */
	snprintf(cmid, sizeof(cmid), "%s-%lld", key ? key : "",
	         (long long)binding);
	if (m == NULL || !cJSON_AddStringToObject(m, "touser", openid) ||
	    !cJSON_AddStringToObject(m, "template_id", tmpl_id) ||
	    (url != NULL && !cJSON_AddStringToObject(m, "url", url)) ||
	    !cJSON_AddItemToObject(m, "data", cJSON_Duplicate(data, 1)) ||
	    !cJSON_AddStringToObject(m, "client_msg_id", cmid) ||
	    (body = cJSON_PrintUnformatted(m)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		if (wx_token(attempt ? token : NULL, token, sizeof(token), err,
		             errlen) != 0)
			goto done;
		snprintf(path, sizeof(path),
		         "/cgi-bin/message/template/send?access_token=%s",
		         token);
		free(reply);
		reply = NULL;
		if (wx_http(path, body, &status, &reply, err, errlen) != 0)
			goto done;
		cJSON_Delete(j);
		j = wx_json_parse(reply);
		code = wx_errcode(j, msg, sizeof(msg));
		if (status == 200 && j != NULL && code == 0) {
			const cJSON *id =
			    cJSON_GetObjectItemCaseSensitive(j, "msgid");

			msgidbuf[0] = '\0';
			if (cJSON_IsNumber(id))
				snprintf(msgidbuf, sizeof(msgidbuf), "%.0f",
				         id->valuedouble);
			else if (cJSON_IsString(id))
				snprintf(msgidbuf, sizeof(msgidbuf), "%s",
				         id->valuestring);
			if (msgidbuf[0] != '\0' && key != NULL)
				wx_pending_add(key, msgidbuf, openid);
			out = WX_ACCEPTED;
			goto done;
		}
		/* A token WeChat no longer takes: a new one, once. */
		if ((code == 40001 || code == 42001 || code == 40014) &&
		    attempt == 0)
			continue;
		break;
	}
	if (j == NULL) {
		snprintf(err, errlen,
		         "wechat api answered HTTP %ld without "
		         "a verdict",
		         status);
	} else if (code == 43004) {
		snprintf(err, errlen, "unreachable: 43004 %s", msg);
		out = WX_UNFOLLOWED;
	} else if (code == 40003) {
		snprintf(err, errlen, "unreachable: 40003 %s", msg);
		out = WX_INVALID;
	} else if (code == 45009) {
		snprintf(err, errlen, "quota: 45009 %s", msg);
	} else {
		snprintf(err, errlen, "wechat refused (HTTP %ld, %ld): %s",
		         status, code, msg);
	}
done:
	cJSON_Delete(j);
	cJSON_Delete(m);
	cJSON_free(body);
	free(reply);
	return out;
}

int64_t
wx_follow_state(jx_db *db, const char *openid)
{
	/* the account when openid is bound and followed, else 0 */
	return jx_host->db_one(db,
	                       "SELECT coalesce(account_id, 0) FROM "
	                       "wechat_bindings WHERE openid = ? AND followed "
	                       "= 1",
	                       "s", openid);
}

int
wx_follow_changed(jx_db *db, const char *openid, int64_t before)
{
	int64_t after = wx_follow_state(db, openid), account;
	cJSON *ev;
	int rc;

	if (before < 0 || after < 0)
		return -1;
	if (before == after)
		return 0;
	/* a binding that moved between accounts: one unfollows, one
	 * follows */
	if (before > 0 && after > 0 && wx_follow_changed(db, openid, 0) != 0)
		return -1;
	account = after > 0 ? after : before;
	ev = cJSON_CreateObject();
	cJSON_AddNumberToObject(ev, "account_id", (double)account);
	cJSON_AddNumberToObject(
	    ev, "person_id",
	    (double)jx_host->db_one(db,
	                            "SELECT person_id FROM host_accounts "
	                            "WHERE id = ?",
	                            "i", account));
	cJSON_AddNumberToObject(ev, "at", (double)jx_host->now());
	rc = jx_host->publish(
	    db, after > 0 ? "wechat.followed" : "wechat.unfollowed", ev);
	cJSON_Delete(ev);
	return rc;
}

int
wx_set_followed(jx_db *db, const char *openid, int followed)
{
	int64_t now = jx_host->now(), before = wx_follow_state(db, openid);

	if (before < 0 ||
	    jx_host->db_exec(
	        db,
	        "INSERT INTO wechat_bindings(account_id, openid, followed, "
	        "created_at, updated_at) VALUES (NULL, ?, ?, ?, ?) "
	        "ON CONFLICT(openid) DO UPDATE SET followed = "
	        "excluded.followed, updated_at = excluded.updated_at",
	        "siii", openid, (int64_t)followed, now, now) < 0)
		return -1;
	return wx_follow_changed(db, openid, before);
}

/*
 * The link a template message carries: a page of this site (under
 * public_url) goes through the OAuth entry, so that a parent tapping it
 * in WeChat arrives logged in (or at the binding page) and then on that
 * page: "<public_url>/notices/12" → "<public_url>/wx/enter?next=
 * %2Fnotices%2F12". Other links stay as they are. malloc'ed; NULL when
 * out of memory.
 */
char *
wx_entry_url(const char *url)
{
	const char *base = jx_host->config_string("public_url");
	size_t n = base ? strlen(base) : 0, len;
	char *next, *out;

	while (n > 0 && base[n - 1] == '/')
		n--;
	if (n == 0 || strncmp(url, base, n) != 0 || url[n] != '/' ||
	    url[n + 1] == '/' || strncmp(url + n, "/wx/", 4) == 0)
		return strdup(url);
	next = wx_escape(url + n);
	if (next == NULL)
		return NULL;
	len = n + strlen(next) + 32;
	out = malloc(len);
	if (out != NULL)
		snprintf(out, len, "%.*s/wx/enter?next=%s", (int)n, base, next);
	free(next);
	return out;
}

struct wx_target {
	int64_t binding;
	char openid[64];
};

/* The channel function; runs on the host's delivery threads. */
static int
wx_channel(const char *to, const char *template_name, const cJSON *params,
           const char *key, char *err, size_t errlen, void *ud)
{
	jx_db *db = jx_host->thread_db();
	struct wx_target t[8];
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(params, "url");
	const char *url = NULL, *tmpl_id;
	char *entry = NULL;
	cJSON *data = NULL;
	jx_stmt *st;
	char *end, e1[256] = "";
	long long person;
	int n = 0, bound = 0, accepted = 0, retry = 0, rc;

	(void)ud;
	person = strtoll(to, &end, 10);
	if (*to == '\0' || *end != '\0' || person <= 0) {
		snprintf(err, errlen, "recipient %s is not a person id", to);
		return -1;
	}
	tmpl_id = wx_template_id(template_name);
	if (wx_cfg.api_base[0] == '\0' || wx_cfg.appid[0] == '\0' ||
	    tmpl_id[0] == '\0') {
		snprintf(err, errlen, "wechat is not configured");
		return -1;
	}
	if (db == NULL) {
		snprintf(err, errlen, "no database on this thread");
		return 1;
	}
	bound = (int)jx_host->db_one(db,
	                             "SELECT count(*) FROM wechat_bindings b "
	                             "JOIN host_accounts a ON a.id = "
	                             "b.account_id WHERE a.person_id = ?",
	                             "i", (int64_t)person);
	st = jx_host->db_query(
	    db,
	    "SELECT b.id, b.openid FROM wechat_bindings b JOIN host_accounts a "
	    "ON "
	    "a.id = b.account_id WHERE a.person_id = ? AND b.followed = 1 AND "
	    "b.invalid = 0 ORDER BY b.id",
	    "i", (int64_t)person);
	if (bound < 0 || st == NULL) {
		jx_host->db_finish(st);
		snprintf(err, errlen, "database: %s", jx_host->db_errmsg(db));
		return 1;
	}
	while (n < (int)(sizeof(t) / sizeof(t[0])) &&
	       jx_host->db_step(st) == JX_DB_ROW) {
		t[n].binding = jx_host->db_int(st, 0);
		snprintf(t[n].openid, sizeof(t[n].openid), "%s",
		         jx_host->db_text(st, 1));
		n++;
	}
	jx_host->db_finish(st);
	if (n == 0) {
		snprintf(err, errlen, "unreachable: %s",
		         bound > 0 ? "every bound openid has unfollowed"
		                   : "no bound openid");
		return -1;
	}
	if (cJSON_IsString(u) &&
	    (strncmp(u->valuestring, "http://", 7) == 0 ||
	     strncmp(u->valuestring, "https://", 8) == 0)) {
		url = entry = wx_entry_url(u->valuestring);
		if (entry == NULL) {
			snprintf(err, errlen, "out of memory");
			return 1;
		}
	}
	data = wx_data(params);
	if (data == NULL) {
		free(entry);
		snprintf(err, errlen, "out of memory");
		return 1;
	}
	for (int i = 0; i < n; i++) {
		char e[256];

		switch (wx_send_one(t[i].openid, t[i].binding, tmpl_id, url,
		                    data, key, e, sizeof(e))) {
		case WX_ACCEPTED: accepted++; continue;
		case WX_UNFOLLOWED: wx_set_followed(db, t[i].openid, 0); break;
		case WX_INVALID:
			jx_host->db_exec(
			    db,
			    "UPDATE wechat_bindings SET invalid = 1, "
			    "updated_at = ? WHERE id = ?",
			    "ii", jx_host->now(), t[i].binding);
			break;
		case WX_RETRY: retry++; break;
		}
		/* The most telling error: a retryable one wins. */
		if (e1[0] == '\0' || strncmp(e1, "unreachable:", 12) == 0)
			snprintf(e1, sizeof(e1), "%s", e);
	}
	cJSON_Delete(data);
	free(entry);
	if (accepted > 0)
		return 0;
	rc = retry > 0 ? 1 : -1;
	snprintf(err, errlen, "%s", e1);
	return rc;
}

/* ---- service wechat.v1 ----------------------------------------------- */

static int
wx_followed(jx_db *db, int64_t person_id)
{
	jx_stmt *st = jx_host->db_query(
	    db,
	    "SELECT count(*), coalesce(sum(b.followed = 1 AND b.invalid = 0), "
	    "0) FROM wechat_bindings b JOIN host_accounts a ON a.id = "
	    "b.account_id "
	    "WHERE a.person_id = ?",
	    "i", person_id);
	int rc = -1;

	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW)
		rc = jx_host->db_int(st, 0) == 0  ? -1
		     : jx_host->db_int(st, 1) > 0 ? 1
		                                  : 0;
	jx_host->db_finish(st);
	return rc;
}

static const struct jx_wechat_v1 wx_service = {
    .size = sizeof(struct jx_wechat_v1),
    .followed = wx_followed,
};

/* ---- plugin ---------------------------------------------------------- */

static const char *const wx_migrations[] = {
    /* 1: openids (bound to an account once OAuth tells whose), follow
     * state; template messages WeChat accepted, by msgid */
    "CREATE TABLE wechat_bindings ("
    "  id INTEGER PRIMARY KEY,"
    "  account_id INTEGER REFERENCES accounts(id),"
    "  openid TEXT NOT NULL UNIQUE,"
    "  followed INTEGER NOT NULL DEFAULT 1,"
    "  invalid INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL);"
    "CREATE INDEX wechat_bindings_account ON wechat_bindings(account_id);"
    "CREATE TABLE wechat_messages ("
    "  msgid TEXT PRIMARY KEY,"
    "  outbox_id INTEGER NOT NULL,"
    "  openid TEXT NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'accepted',"
    "  created_at INTEGER NOT NULL,"
    "  finished_at INTEGER);"
    "CREATE INDEX wechat_messages_outbox ON wechat_messages(outbox_id);",
    /* 2: openids that arrived by OAuth before their account was known
     * (the binding page finishes them); the token's SHA-256 only */
    "CREATE TABLE wechat_arrivals ("
    "  token_hash TEXT PRIMARY KEY,"
    "  openid TEXT NOT NULL,"
    "  next TEXT NOT NULL,"
    "  expires_at INTEGER NOT NULL);",
    NULL};

static void
wx_conf(const char *key, char *out, size_t n)
{
	char path[64];
	const char *v;

	snprintf(path, sizeof(path), "wechat.%s", key);
	v = jx_host->config_string(path);
	snprintf(out, n, "%s", v ? v : "");
}

static void
wx_shutdown(void)
{
	pthread_mutex_lock(&wx_pool.mu);
	for (int i = 0; i < wx_pool.n; i++)
		curl_easy_cleanup(wx_pool.idle[i]);
	wx_pool.n = 0;
	pthread_mutex_unlock(&wx_pool.mu);
	pthread_mutex_lock(&wx_pend.mu);
	free(wx_pend.v);
	wx_pend.v = NULL;
	wx_pend.n = wx_pend.cap = 0;
	pthread_mutex_unlock(&wx_pend.mu);
	if (wx_curl_ready)
		curl_global_cleanup();
	wx_curl_ready = 0;
}

static int
wx_init(const struct jx_host *h, struct jx_registrar *reg)
{
	size_t n;

	JX_HOST_INIT(h);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		h->log(JX_LOG_ERROR, "wechat", "libcurl failed to initialise");
		return -1;
	}
	wx_curl_ready = 1;
	wx_conf("api_base", wx_cfg.api_base, sizeof(wx_cfg.api_base));
	wx_conf("appid", wx_cfg.appid, sizeof(wx_cfg.appid));
	wx_conf("secret", wx_cfg.secret, sizeof(wx_cfg.secret));
	wx_conf("token", wx_cfg.token, sizeof(wx_cfg.token));
	wx_conf("template_id", wx_cfg.template_id, sizeof(wx_cfg.template_id));
	n = strlen(wx_cfg.api_base);
	while (n > 0 && wx_cfg.api_base[n - 1] == '/')
		wx_cfg.api_base[--n] = '\0';
	if (n > 0 && strncmp(wx_cfg.api_base, "http://", 7) != 0 &&
	    strncmp(wx_cfg.api_base, "https://", 8) != 0) {
		h->log(JX_LOG_WARN, "wechat",
		       "wechat.api_base is not an http(s) URL: WeChat is off");
		wx_cfg.api_base[0] = '\0';
	}
	if (wx_cfg.api_base[0] == '\0' || wx_cfg.appid[0] == '\0' ||
	    wx_cfg.secret[0] == '\0')
		h->log(JX_LOG_WARN, "wechat",
		       "wechat.api_base, appid or secret is not set: template "
		       "messages and binding will fail");
	if (wx_cfg.token[0] == '\0')
		h->log(JX_LOG_WARN, "wechat",
		       "wechat.token is not set: the callback refuses every "
		       "request");
	if (reg->channel(reg, "wechat", wx_channel, NULL) != 0 ||
	    reg->subscribe(reg, "notify.result", wx_on_result, NULL) != 0 ||
	    reg->service(reg, "wechat.v1", &wx_service) != 0) {
		wx_shutdown();
		return -1;
	}
	return 0;
}

static const struct jx_plugin wx_plugin = {
    .size = sizeof(struct jx_plugin),
    .abi_major = JX_ABI_MAJOR,
    .abi_minor = 1, /* session_open */
    .routes = wx_routes,
    .name = "wechat",
    .version = "1.0.0",
    .migrations = wx_migrations,
    .init = wx_init,
    .shutdown = wx_shutdown,
};

JX_EXPORT const struct jx_plugin *
jx_plugin_entry(void)
{
	return &wx_plugin;
}
