/*
 * resources_link.c — links: the check of a URL before it is stored or
 * followed, and the background job that marks links that no longer
 * answer (job kind "resources.linkcheck": daily, and on demand through
 * POST /api/v1/resources/linkcheck).
 *
 * A link must not reach into the school's or the server's own network
 * (SSRF): http and https only, and every address its host resolves to
 * is public: not loopback, RFC 1918, CGNAT (100.64/10), link-local,
 * multicast, 0.0.0.0/8, broadcast, IPv6 loopback, ULA (fc00::/7),
 * link-local (fe80::/10), multicast or v4-mapped private, unless
 * resources.linkcheck_allow lists the address ("127.0.0.1, 10.1.0.0/16").
 * The job fetches with libcurl, whose CURLOPT_OPENSOCKETFUNCTION sees
 * the address of every connection it makes, redirects included, after
 * its own resolution: a refused address is never connected to.
 */
#include "resources.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

#define LINK_TIMEOUT_MS 10000
#define LINK_CONNECT_TIMEOUT_MS 5000
#define LINK_MAX_REDIRS 5
#define LINK_DAY 86400

/* 1 when addr (v4, in network order) is in net/bits. */
static int
link_in4(uint32_t addr, const char *net, int bits)
{
	struct in_addr n;
	uint32_t mask = bits == 0 ? 0 : htonl(~0u << (32 - bits));

	inet_pton(AF_INET, net, &n);
	return (addr & mask) == (n.s_addr & mask);
}

/* 1 when the configured allow-list names the address (text form). */
static int
link_allowed(int family, const void *addr)
{
	const char *list = jx_host->config_string("resources.linkcheck_allow");
	char buf[512], *save = NULL, *tok;

	if (list == NULL || *list == '\0')
		return 0;
	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ", \t", &save); tok != NULL;
	     tok = strtok_r(NULL, ", \t", &save)) {
		char *slash = strchr(tok, '/');
		int bits = -1;
		unsigned char want[16];

		if (slash != NULL) {
			*slash = '\0';
			bits = atoi(slash + 1);
		}
		if (family == AF_INET && inet_pton(AF_INET, tok, want) == 1) {
			if (bits < 0 || bits > 32)
				bits = 32;
			if (link_in4(((const struct in_addr *)addr)->s_addr,
			             tok, bits))
				return 1;
		} else if (family == AF_INET6 &&
		           inet_pton(AF_INET6, tok, want) == 1 &&
		           memcmp(want, addr, 16) == 0)
			return 1;
	}
	return 0;
}

/* 1 when a v4 address (network order) is not public. */
static int
link_private4(uint32_t a)
{
	static const struct {
		const char *net;
		int bits;
	} nets[] = {
	    {"0.0.0.0", 8},     {"10.0.0.0", 8},      {"100.64.0.0", 10},
	    {"127.0.0.0", 8},   {"169.254.0.0", 16},  {"172.16.0.0", 12},
	    {"192.0.0.0", 24},  {"192.0.2.0", 24},    {"192.168.0.0", 16},
	    {"198.18.0.0", 15}, {"198.51.100.0", 24}, {"203.0.113.0", 24},
	    {"224.0.0.0", 4},   {"240.0.0.0", 4},
	};

	for (size_t k = 0; k < sizeof(nets) / sizeof(nets[0]); k++)
		if (link_in4(a, nets[k].net, nets[k].bits))
			return 1;
	return 0;
}

/* 0 when the socket address may be connected to, else -1 with why. */
static int
link_addr_ok(const struct sockaddr *sa, char *why, size_t whylen)
{
	char text[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET) {
		const struct in_addr *a =
		    &((const struct sockaddr_in *)sa)->sin_addr;

		if (!link_private4(a->s_addr) || link_allowed(AF_INET, a))
			return 0;
		inet_ntop(AF_INET, a, text, sizeof(text));
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a =
		    &((const struct sockaddr_in6 *)sa)->sin6_addr;
		const unsigned char *b = a->s6_addr;
		int bad =
		    IN6_IS_ADDR_LOOPBACK(a) || IN6_IS_ADDR_UNSPECIFIED(a) ||
		    IN6_IS_ADDR_LINKLOCAL(a) || IN6_IS_ADDR_SITELOCAL(a) ||
		    IN6_IS_ADDR_MULTICAST(a) || (b[0] & 0xfe) == 0xfc;

		/* v4-mapped and v4-compatible: the v4 rules */
		if (IN6_IS_ADDR_V4MAPPED(a) || IN6_IS_ADDR_V4COMPAT(a)) {
			uint32_t v4;

			memcpy(&v4, b + 12, 4);
			bad = link_private4(v4);
			if (bad && link_allowed(AF_INET, &v4))
				return 0;
		}
		/* NAT64 (64:ff9b::/96) and 6to4 (2002::/16) embed v4 */
		if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff &&
		    b[3] == 0x9b) {
			uint32_t v4;

			memcpy(&v4, b + 12, 4);
			bad = bad || link_private4(v4);
		}
		if (b[0] == 0x20 && b[1] == 0x02) {
			uint32_t v4;

			memcpy(&v4, b + 2, 4);
			bad = bad || link_private4(v4);
		}
		if (!bad || link_allowed(AF_INET6, a))
			return 0;
		inet_ntop(AF_INET6, a, text, sizeof(text));
	} else {
		snprintf(why, whylen, "not an internet address");
		return -1;
	}
	snprintf(why, whylen,
	         "the link leads to %s, a private or local address", text);
	return -1;
}

int
resources_url_check(const char *url, char *why, size_t whylen)
{
	CURLU *u = NULL;
	char *scheme = NULL, *host = NULL;
	struct addrinfo hints, *res = NULL, *ai;
	int rc = -1;

	if (url == NULL || strlen(url) > 2000) {
		snprintf(why, whylen, "a link is at most 2000 characters");
		return -1;
	}
	for (const unsigned char *p = (const unsigned char *)url; *p; p++)
		if (*p <= 0x20 || *p == 0x7f) {
			snprintf(why, whylen,
			         "a link has no spaces or control characters");
			return -1;
		}
	u = curl_url();
	if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
		snprintf(why, whylen, "a link starts with http:// or https://");
		goto done;
	}
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    *host == '\0') {
		snprintf(why, whylen, "the link has no host");
		goto done;
	}
	/* [::1] comes back with its brackets */
	if (host[0] == '[') {
		size_t len = strlen(host);

		memmove(host, host + 1, len - 1);
		host[len - 2] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0 || res == NULL) {
		snprintf(why, whylen, "the link's host %.80s is not found",
		         host);
		goto done;
	}
	rc = 0;
	for (ai = res; ai != NULL && rc == 0; ai = ai->ai_next)
		rc = link_addr_ok(ai->ai_addr, why, whylen);
done:
	if (res != NULL)
		freeaddrinfo(res);
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

/* ---- the job --------------------------------------------------------- */

struct link_probe {
	char why[160]; /* the refused address, when one was */
	jx_job *job;   /* stop when the host shuts down */
};

/* libcurl calls this often, during connects too: a shutdown aborts the
 * transfer at once instead of waiting out its timeouts. */
static int
link_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
              curl_off_t ultotal, curl_off_t ulnow)
{
	struct link_probe *p = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return p->job != NULL && jx_host->job_stopping(p->job);
}

static curl_socket_t
link_open(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct link_probe *p = arg;

	if (purpose != CURLSOCKTYPE_IPCXN ||
	    link_addr_ok(&a->addr, p->why, sizeof(p->why)) != 0) {
		if (p->why[0] == '\0')
			snprintf(p->why, sizeof(p->why), "refused");
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype, a->protocol);
}

static size_t
link_discard(char *data, size_t size, size_t n, void *arg)
{
	(void)data;
	(void)arg;
	(void)size;
	(void)n;
	/* the status is all we want: stop at the first bytes of a body */
	return 0;
}

/* Checks one link: 1 answers, 0 broken (why says), -1 cannot try (or
 * stopped: the link keeps its state). */
static int
link_probe_url(jx_job *job, const char *url, char *why, size_t whylen)
{
	struct link_probe p = {{0}, job};
	long code = 0;
	CURLcode cc = CURLE_OK;
	CURL *c;

	if (resources_url_check(url, why, whylen) != 0)
		return 0;
	for (int head = 1; head >= 0; head--) {
		c = curl_easy_init();
		if (c == NULL)
			return -1;
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(c, CURLOPT_MAXREDIRS, (long)LINK_MAX_REDIRS);
		/* no proxy from the environment: the socket check must see
		 * the real peer */
		curl_easy_setopt(c, CURLOPT_PROXY, "");
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
		                 (long)LINK_CONNECT_TIMEOUT_MS);
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)LINK_TIMEOUT_MS);
		curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, link_open);
		curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &p);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, link_discard);
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, link_progress);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, &p);
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(c, CURLOPT_USERAGENT, "jiaxiao-linkcheck/1.0");
		if (head)
			curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
		cc = curl_easy_perform(c);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		curl_easy_cleanup(c);
		if (cc == CURLE_ABORTED_BY_CALLBACK)
			return -1;
		if (p.why[0] != '\0') {
			snprintf(why, whylen, "%s", p.why);
			return 0;
		}
		/* a body cut short on purpose still has its status */
		if ((cc == CURLE_OK || cc == CURLE_WRITE_ERROR) &&
		    code >= 200 && code < 400)
			return 1;
		/* some servers refuse HEAD: ask once more with GET */
		if (!head || (cc == CURLE_OK && code != 405 && code != 403 &&
		              code != 501 && code != 400))
			break;
	}
	if (cc != CURLE_OK && cc != CURLE_WRITE_ERROR)
		snprintf(why, whylen, "%s", curl_easy_strerror(cc));
	else
		snprintf(why, whylen, "HTTP %ld", code);
	return 0;
}

static int
link_job(jx_job *job, void *ud)
{
	jx_db *db = jx_host->job_db(job);
	const cJSON *params = jx_host->job_params(job);
	const cJSON *d =
	    cJSON_GetObjectItemCaseSensitive(params, "district_id");
	const cJSON *r =
	    cJSON_GetObjectItemCaseSensitive(params, "resource_id");
	int64_t district = cJSON_IsNumber(d) ? (int64_t)d->valuedouble : 0;
	int64_t one = cJSON_IsNumber(r) ? (int64_t)r->valuedouble : 0;
	int64_t after = 0, done = 0, broken = 0, total;
	cJSON *result;

	(void)ud;
	total = jxp_one(jx_host, db,
	                "SELECT COUNT(*) FROM resources_items WHERE kind = "
	                "'link' AND status <> 'removed' AND (? <= 0 OR "
	                "district_id = ?) AND (? <= 0 OR id = ?)",
	                "iiii", district, district, one, one);
	for (;;) {
		char url[2048] = "", why[160] = "";
		int64_t id = 0;
		int ok;
		jx_stmt *st;

		if (jx_host->job_stopping(job))
			break;
		st = jx_host->db_query(
		    db,
		    "SELECT id, url FROM resources_items WHERE "
		    "kind = 'link' AND status <> 'removed' "
		    "AND id > ? AND (? <= 0 OR district_id = "
		    "?) AND (? <= 0 OR id = ?) ORDER BY id "
		    "LIMIT 1",
		    "iiiii", after, district, district, one, one);
		if (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
			id = jx_host->db_int(st, 0);
			snprintf(url, sizeof(url), "%s",
			         jx_host->db_text(st, 1)
			             ? jx_host->db_text(st, 1)
			             : "");
		}
		jx_host->db_finish(st);
		if (id == 0)
			break;
		after = id;
		ok = link_probe_url(job, url, why, sizeof(why));
		if (ok < 0)
			continue;
		broken += ok == 0;
		if (jx_host->db_begin(db) != 0 ||
		    jx_host->db_exec(
		        db,
		        "UPDATE resources_items SET link_state = ?, "
		        "link_error = ?, link_checked_at = ? WHERE "
		        "id = ?",
		        "ssii", ok ? "ok" : "broken", ok ? NULL : why,
		        jx_host->now(), id) < 0 ||
		    jx_host->db_commit(db) != 0) {
			jx_host->db_rollback(db);
			return -1;
		}
		jx_host->job_progress(job, ++done, total);
	}
	result = cJSON_CreateObject();
	cJSON_AddNumberToObject(result, "checked", (double)done);
	cJSON_AddNumberToObject(result, "broken", (double)broken);
	jx_host->job_set_result(job, result);
	return 0;
}

int
resources_link_init(struct jx_registrar *reg)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return reg->job_kind(reg, "resources.linkcheck", link_job, NULL);
}

/* The daily run: the first list request of a day queues it (one UPDATE
 * wins the day: several workers or processes never queue it twice). */
void
resources_link_daily(jx_req *req)
{
	jx_db *db = jx_host->req_db(req);
	int64_t now = jx_host->now(), next;
	cJSON *params;

	next = jxp_one(jx_host, db,
	               "SELECT value FROM resources_state WHERE name = "
	               "'linkcheck_next'",
	               "");
	if (next < 0 || next > now)
		return;
	if (jx_host->db_begin(db) != 0)
		return;
	if (jx_host->db_exec(db,
	                     "INSERT INTO resources_state(name, value) VALUES "
	                     "('linkcheck_next', 0) ON CONFLICT DO NOTHING",
	                     "") < 0 ||
	    jx_host->db_exec(db,
	                     "UPDATE resources_state SET value = ? WHERE name "
	                     "= 'linkcheck_next' AND value <= ?",
	                     "ii", now + LINK_DAY, now) != 1) {
		jx_host->db_rollback(db);
		return;
	}
	params = cJSON_CreateObject();
	if (jx_host->job_submit(db, "resources.linkcheck", params, 0) < 0) {
		jx_host->db_rollback(db);
		return;
	}
	jx_host->db_commit(db);
}

int
resources_linkcheck_post(jx_req *req, void *ud)
{
	struct resources_who w;
	jx_db *db = jx_host->req_db(req);
	const char *one = jx_host->req_query(req, "resource_id");
	int64_t job, rid = one ? atoll(one) : 0;
	cJSON *params, *o;

	(void)ud;
	if (resources_who(req, &w) != 0 ||
	    (!w.curator && strcmp(w.id->role, "school_admin") != 0))
		return jx_host->reply_problem(
		    req, 403, "forbidden", "Forbidden",
		    "School and district administrators check links.");
	if (rid > 0 && resources_visible(req, db, rid) != 1)
		return jxp_not_found(jx_host, req);
	params = cJSON_CreateObject();
	if (!w.all)
		cJSON_AddNumberToObject(params, "district_id",
		                        (double)w.district);
	if (rid > 0)
		cJSON_AddNumberToObject(params, "resource_id", (double)rid);
	if (jx_host->db_begin(db) != 0) {
		cJSON_Delete(params);
		return jxp_storage_error(jx_host, req);
	}
	job = jx_host->job_submit(db, "resources.linkcheck", params,
	                          w.id->account_id);
	if (job < 0 || jx_host->db_commit(db) != 0) {
		jx_host->db_rollback(db);
		return jxp_storage_error(jx_host, req);
	}
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "job_id", (double)job);
	cJSON_AddStringToObject(
	    o, "status_url",
	    jx_host->sprintf(req, "/api/v1/jobs/%lld", (long long)job));
	return jx_host->reply_json(req, 202, o);
}
