/*
 * sms.c — the "sms" notification channel: the adapter for an HTTP SMS
 * gateway (API.md, notices). Each message is one
 *   POST {sms.api_base}/send  {"phone","template","params"}
 * answered by 200 {"ok":true,"id"} or {"ok":false,"code","message"}.
 * The plugin tells the host's delivery thread whether the gateway took
 * the message (0), whether to try again later (> 0: the network, a
 * timeout, 5xx, rate limiting) or whether to give up (< 0: the gateway
 * refused the message itself, or the channel is not configured).
 *
 * Parameters carry secrets (recovery codes): they are never logged, and
 * neither is a full phone number.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jx/plugin.h>

#define SMS_CONNECT_TIMEOUT_MS 5000L
#define SMS_TIMEOUT_MS 10000L
#define SMS_REPLY_MAX 65536 /* bytes of the gateway's reply we keep */

JX_HOST_DECLARE;
/* {api_base}/send, malloc'ed at init and freed at shutdown; NULL when
 * the gateway is not configured (every send then fails permanently). */
static char *sms_url;
static int sms_curl_ready;

/* Refusal codes that mean "not now" rather than "never": the message is
 * retried. Every other code is the gateway refusing the message itself
 * (a bad number, an unknown template, a blocked recipient). */
static const char *const sms_temporary_codes[] = {
    "rate_limited", "throttled", "busy",      "unavailable", "timeout",
    "internal",     "temporary", "try_again", NULL};

struct sms_reply {
	char data[SMS_REPLY_MAX + 1];
	size_t len;
};

/* Keeps the first SMS_REPLY_MAX bytes of the reply and drops the rest:
 * a verdict is a few dozen bytes. */
static size_t
sms_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct sms_reply *r = ud;
	size_t n = size * nmemb, room = SMS_REPLY_MAX - r->len;

	if (n < room)
		room = n;
	memcpy(r->data + r->len, ptr, room);
	r->len += room;
	r->data[r->len] = '\0';
	return n;
}

/* "13800138000" → "138****8000" for log lines. */
static void
sms_mask_phone(const char *phone, char *out, size_t n)
{
	size_t len = strlen(phone);

	if (len < 8)
		snprintf(out, n, "***");
	else
		snprintf(out, n, "%.3s****%s", phone, phone + len - 4);
}

/* Copies a gateway string for an error message, printable ASCII only
 * (it ends up in a log line and in outbox.last_error). */
static void
sms_clean(const char *s, char *out, size_t n)
{
	size_t k = 0;

	for (; s != NULL && *s != '\0' && k + 1 < n; s++)
		out[k++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	out[k] = '\0';
}

static int
sms_code_temporary(const cJSON *code)
{
	if (cJSON_IsNumber(code))
		return code->valueint == 429 || code->valueint >= 500;
	if (!cJSON_IsString(code))
		return 0;
	for (int i = 0; sms_temporary_codes[i] != NULL; i++)
		if (strcmp(code->valuestring, sms_temporary_codes[i]) == 0)
			return 1;
	return 0;
}

/* The verdict on a reply with HTTP status `status` and body `body`. */
static int
sms_verdict(long status, const char *body, char *err, size_t errlen, char *id,
            size_t idlen)
{
	cJSON *j = cJSON_Parse(body);
	const cJSON *ok = cJSON_GetObjectItemCaseSensitive(j, "ok");
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(j, "code");
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(j, "message");
	const cJSON *mid = cJSON_GetObjectItemCaseSensitive(j, "id");
	int success = status >= 200 && status < 300;
	int busy = status == 408 || status == 429 || status >= 500;
	char c[64], m[200];
	int rc;

	if (success && cJSON_IsTrue(ok)) {
		if (cJSON_IsString(mid))
			sms_clean(mid->valuestring, id, idlen);
		else if (cJSON_IsNumber(mid))
			snprintf(id, idlen, "%.0f", mid->valuedouble);
		rc = 0;
	} else if (cJSON_IsFalse(ok)) {
		if (cJSON_IsNumber(code))
			snprintf(c, sizeof(c), "%d", code->valueint);
		else
			sms_clean(cJSON_IsString(code) ? code->valuestring
			                               : "no code",
			          c, sizeof(c));
		sms_clean(cJSON_IsString(msg) ? msg->valuestring : "", m,
		          sizeof(m));
		rc = busy || sms_code_temporary(code) ? 1 : -1;
		snprintf(err, errlen, "gateway refused (HTTP %ld, %s): %s",
		         status, c, m);
	} else if (busy || success) {
		/* A 2xx without a verdict may or may not have gone out: try
		 * again under the same idempotency key. */
		rc = 1;
		snprintf(err, errlen,
		         "gateway answered HTTP %ld without a "
		         "verdict",
		         status);
	} else {
		rc = -1;
		snprintf(err, errlen, "gateway answered HTTP %ld", status);
	}
	cJSON_Delete(j);
	return rc;
}

/* Only an opaque token goes into a header line (no CR/LF injection). */
static int
sms_key_ok(const char *key)
{
	if (key == NULL || *key == '\0' || strlen(key) > 128)
		return 0;
	for (; *key != '\0'; key++)
		if (!((*key >= '0' && *key <= '9') ||
		      (*key >= 'a' && *key <= 'z') ||
		      (*key >= 'A' && *key <= 'Z') || *key == '-' ||
		      *key == '_'))
			return 0;
	return 1;
}

/* The channel function; runs on the host's one delivery thread. */
static int
sms_send(const char *to, const char *template_name, const cJSON *params,
         const char *key, char *err, size_t errlen, void *ud)
{
	struct sms_reply *reply = NULL;
	struct curl_slist *hdr = NULL, *h;
	cJSON *msg = NULL;
	char *body = NULL, keyhdr[160], masked[32], id[64] = "";
	CURL *c = NULL;
	CURLcode cc;
	long status = 0;
	int rc = 1;

	(void)ud;
	if (sms_url == NULL) {
		snprintf(err, errlen, "sms.api_base is not configured");
		return -1;
	}
	msg = cJSON_CreateObject();
	if (msg == NULL || cJSON_AddStringToObject(msg, "phone", to) == NULL ||
	    cJSON_AddStringToObject(msg, "template", template_name) == NULL ||
	    !cJSON_AddItemToObject(msg, "params",
	                           params ? cJSON_Duplicate(params, 1)
	                                  : cJSON_CreateObject()))
		goto nomem;
	body = cJSON_PrintUnformatted(msg);
	reply = calloc(1, sizeof(*reply));
	c = curl_easy_init();
	if (body == NULL || reply == NULL || c == NULL)
		goto nomem;
	h = curl_slist_append(hdr, "Content-Type: application/json");
	if (h != NULL)
		hdr = h;
	h = curl_slist_append(hdr, "Accept: application/json");
	if (h != NULL)
		hdr = h;
	/* No "Expect: 100-continue" round trip for a small body. */
	h = curl_slist_append(hdr, "Expect:");
	if (h != NULL)
		hdr = h;
	if (sms_key_ok(key)) {
		snprintf(keyhdr, sizeof(keyhdr), "Idempotency-Key: %s", key);
		h = curl_slist_append(hdr, keyhdr);
		if (h != NULL)
			hdr = h;
	}
	if (hdr == NULL)
		goto nomem;
	curl_easy_setopt(c, CURLOPT_URL, sms_url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	/* Timeouts without signals: we are one thread of many. */
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, SMS_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, SMS_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sms_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, reply);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "jiaxiao-sms/1.0");
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		/* A URL curl cannot use will not get better by waiting. */
		rc = cc == CURLE_UNSUPPORTED_PROTOCOL ||
		             cc == CURLE_URL_MALFORMAT
		         ? -1
		         : 1;
		snprintf(err, errlen, "gateway unreachable: %s",
		         curl_easy_strerror(cc));
		goto done;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	rc = sms_verdict(status, reply->data, err, errlen, id, sizeof(id));
	if (rc == 0) {
		sms_mask_phone(to, masked, sizeof(masked));
		jx_host->log(JX_LOG_DEBUG, "sms", "%s to %s accepted (id %s)",
		             template_name, masked, id[0] ? id : "none");
	}
	goto done;
nomem:
	snprintf(err, errlen, "out of memory");
	rc = 1;
done:
	curl_easy_cleanup(c);
	curl_slist_free_all(hdr);
	cJSON_free(body);
	cJSON_Delete(msg);
	free(reply);
	return rc;
}

static void
sms_shutdown(void)
{
	free(sms_url);
	sms_url = NULL;
	if (sms_curl_ready)
		curl_global_cleanup();
	sms_curl_ready = 0;
}

static int
sms_init(const struct jx_host *h, struct jx_registrar *reg)
{
	const char *base;
	size_t n;

	JX_HOST_INIT(h);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		jx_host->log(JX_LOG_ERROR, "sms",
		             "libcurl failed to initialise");
		return -1;
	}
	sms_curl_ready = 1;
	base = jx_host->config_string("sms.api_base");
	n = base ? strlen(base) : 0;
	while (n > 0 && base[n - 1] == '/')
		n--;
	if (n == 0) {
		jx_host->log(JX_LOG_WARN, "sms",
		             "sms.api_base is not set: every SMS will fail "
		             "(set it in the config or with --set "
		             "sms.api_base=URL)");
	} else if (strncmp(base, "http://", 7) != 0 &&
	           strncmp(base, "https://", 8) != 0) {
		jx_host->log(JX_LOG_WARN, "sms",
		             "sms.api_base is not an http:// or https:// URL: "
		             "every SMS will fail");
	} else {
		sms_url = malloc(n + sizeof("/send"));
		if (sms_url == NULL)
			goto fail;
		memcpy(sms_url, base, n);
		memcpy(sms_url + n, "/send", sizeof("/send"));
	}
	if (reg->channel(reg, "sms", sms_send, NULL) != 0)
		goto fail;
	return 0;
fail:
	/* The host calls no shutdown after a failed init. */
	sms_shutdown();
	return -1;
}

static const struct jx_plugin sms_plugin = {
    .size = sizeof(struct jx_plugin),
    .abi_major = JX_ABI_MAJOR,
    .abi_minor = 0,
    .name = "sms",
    .version = "1.0.0",
    .init = sms_init,
    .shutdown = sms_shutdown,
};

JX_EXPORT const struct jx_plugin *
jx_plugin_entry(void)
{
	return &sms_plugin;
}
