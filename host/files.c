/*
 * files.c — the file service's endpoints and access (issue 12):
 *
 *   POST /api/v1/files        an upload (multipart field "file", or the
 *                             raw body named by X-File-Name) → 201
 *   GET  /api/v1/files/{id}   the bytes (?variant=thumb|display|original),
 *                             with ranges, to those who may see it
 *
 * and the host table's file_attach, file_detach, file_info. Who may see
 * a file: whoever uploaded it while no row uses it, and then whoever the
 * visibility callback of a plugin using it lets see one of its rows;
 * everyone else gets 404, the same as for a file that does not exist.
 */
#include "files.h"

#include "auth.h"
#include "image.h"
#include "multipart.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <civetweb.h>

#define FILES_NAME_MAX 200 /* bytes of a stored file name */
#define FILES_REF_MAX 200

/* ---- names --------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if none. */
static size_t
files_utf8_len(const unsigned char *s, size_t n)
{
	size_t k;

	if (s[0] < 0x80)
		return 1;
	k = s[0] >= 0xf0 && s[0] < 0xf5   ? 4
	    : s[0] >= 0xe0 && s[0] < 0xf0 ? 3
	    : s[0] >= 0xc2 && s[0] < 0xe0 ? 2
	                                  : 0;
	if (k == 0 || k > n)
		return 0;
	for (size_t i = 1; i < k; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return k;
}

/*
 * A file name to store and show: the last path segment of what the
 * client sent, valid UTF-8 only, without control characters, quotes or
 * backslashes, at most FILES_NAME_MAX bytes on a character boundary;
 * "file" when nothing is left. It is only ever shown (JSON and
 * Content-Disposition): no name reaches the file system.
 */
static char *
files_clean_name(jx_req *req, const char *raw)
{
	const unsigned char *s;
	char *out = arena_alloc(req->arena, FILES_NAME_MAX + 1);
	size_t j = 0, n;

	if (raw != NULL) {
		const char *slash = strrchr(raw, '/'), *bs = strrchr(raw, '\\');

		if (slash != NULL)
			raw = slash + 1;
		if (bs != NULL && bs + 1 > raw)
			raw = bs + 1;
	}
	s = (const unsigned char *)(raw ? raw : "");
	n = strlen((const char *)s);
	for (size_t i = 0; i < n;) {
		size_t k = files_utf8_len(s + i, n - i);

		if (k == 0) {
			i++;
			continue;
		}
		if (k == 1 && (s[i] < 0x20 || s[i] == 0x7f || s[i] == '"' ||
		               s[i] == '\\')) {
			i++;
			continue;
		}
		if (j + k > FILES_NAME_MAX)
			break;
		memcpy(out + j, s + i, k);
		j += k;
		i += k;
	}
	out[j] = '\0';
	/* a leading dot would make a hidden file of a download */
	while (out[0] == '.' || out[0] == ' ')
		memmove(out, out + 1, strlen(out));
	return out[0] ? out : arena_strdup(req->arena, "file");
}

/* Percent-decodes s (X-File-Name: percent-encoded UTF-8). */
static char *
files_pct_decode(jx_req *req, const char *s)
{
	size_t n = strlen(s), j = 0;
	char *out = arena_alloc(req->arena, n + 1);

	for (size_t i = 0; i < n; i++) {
		unsigned hi, lo;

		if (s[i] == '%' && i + 2 < n + 0 &&
		    sscanf(s + i + 1, "%1x%1x", &hi, &lo) == 2) {
			out[j++] = (char)(hi * 16 + lo);
			i += 2;
		} else
			out[j++] = s[i];
	}
	out[j] = '\0';
	return out;
}

/* ---- rows ---------------------------------------------------------------- */

struct files_row {
	int64_t id, size, account_id, school_id;
	const char *name, *mime, *sha256;
	int attached; /* a row of some plugin uses it */
};

static int
files_load(jx_req *req, int64_t id, struct files_row *f)
{
	jx_db *db = req->worker->db;
	jx_stmt *st = db_query(db,
	                       "SELECT id, name, mime, size, sha256, "
	                       "account_id, COALESCE(school_id, 0), EXISTS "
	                       "(SELECT 1 FROM file_uses u WHERE u.file_id = "
	                       "files.id) FROM files WHERE id = ?",
	                       "i", id);
	int rc = -1;

	if (st != NULL && db_step(st) == JX_DB_ROW) {
		f->id = db_int(st, 0);
		f->name = arena_strdup(req->arena, db_text(st, 1));
		f->mime = arena_strdup(req->arena, db_text(st, 2));
		f->size = db_int(st, 3);
		f->sha256 = arena_strdup(req->arena, db_text(st, 4));
		f->account_id = db_int(st, 5);
		f->school_id = db_int(st, 6);
		f->attached = (int)db_int(st, 7);
		rc = 0;
	}
	db_finish(st);
	return rc;
}

/* The plugin index of an active plugin named name, or -1. */
static int
files_plugin(const char *name)
{
	for (int i = 0; i < app.nplugins; i++)
		if (app.plugins[i].state == PLUGIN_ACTIVE &&
		    strcmp(app.plugins[i].name, name) == 0)
			return i;
	return -1;
}

/* 1 when the acting identity may see f: it uploaded f and no row uses
 * it yet, or a plugin using f lets it see one of its rows. */
static int
files_visible(jx_req *req, const struct files_row *f)
{
	jx_db *db = req->worker->db;
	cJSON *uses, *u;
	int ok = 0;

	if (req->account_id == 0)
		return 0;
	if (!f->attached)
		return f->account_id == req->account_id;
	uses = db_rows(db,
	               "SELECT plugin, ref FROM file_uses WHERE file_id = ? "
	               "ORDER BY plugin, ref LIMIT 1000",
	               "i", f->id);
	cJSON_ArrayForEach(u, uses)
	{
		const char *pn = cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(u, "plugin"));
		const char *ref = cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(u, "ref"));
		int p = pn ? files_plugin(pn) : -1, prev;

		/* a plugin switched off for the caller's district shows
		 * nothing, its files included */
		if (p < 0 || ref == NULL ||
		    app.plugins[p].file_visible == NULL ||
		    !auth_plugin_enabled(req, p))
			continue;
		prev = plugin_enter();
		ok = app.plugins[p].file_visible(
		         req, ref, app.plugins[p].file_visible_ud) == 1;
		plugin_leave(prev);
		if (ok)
			break;
	}
	cJSON_Delete(uses);
	return ok;
}

/* The file's JSON as POST replies it. */
static cJSON *
files_json(jx_db *db, const struct files_row *f)
{
	cJSON *o = cJSON_CreateObject(), *v = NULL, *rows, *r;

	cJSON_AddNumberToObject(o, "id", (double)f->id);
	cJSON_AddStringToObject(o, "name", f->name);
	cJSON_AddNumberToObject(o, "size", (double)f->size);
	cJSON_AddStringToObject(o, "mime", f->mime);
	cJSON_AddStringToObject(o, "sha256", f->sha256);
	{
		char url[64];

		snprintf(url, sizeof(url), "/api/v1/files/%lld",
		         (long long)f->id);
		cJSON_AddStringToObject(o, "url", url);
	}
	rows = db_rows(db,
	               "SELECT variant FROM file_variants WHERE file_id = ? "
	               "AND variant <> 'original' ORDER BY variant",
	               "i", f->id);
	cJSON_ArrayForEach(r, rows)
	{
		const char *name = cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(r, "variant"));
		char url[96];

		if (name == NULL)
			continue;
		if (v == NULL)
			v = cJSON_AddObjectToObject(o, "variants");
		snprintf(url, sizeof(url), "/api/v1/files/%lld?variant=%s",
		         (long long)f->id, name);
		cJSON_AddStringToObject(v, name, url);
	}
	cJSON_Delete(rows);
	return o;
}

/* ---- the host table ------------------------------------------------------ */

static int
files_caller(jx_req *req)
{
	return req != NULL && req->match.route != NULL
	           ? req->match.route->plugin
	           : -1;
}

/* Publishes "files.attached" (docs/events.md) for a new use of f, on
 * the request's connection (in the attaching plugin's transaction when
 * one is open). 0, or a subscriber's refusal. */
static int
files_attached_event(jx_req *req, const struct files_row *f, const char *plugin,
                     const char *ref)
{
	jx_db *db = req->worker->db;
	cJSON *ev = cJSON_CreateObject();
	int64_t person;
	int rc, prev = host_enter();

	person = db_one(db, "SELECT person_id FROM accounts WHERE id = ?", "i",
	                f->account_id);
	host_leave(prev);
	cJSON_AddNumberToObject(ev, "file_id", (double)f->id);
	cJSON_AddStringToObject(ev, "plugin", plugin);
	cJSON_AddStringToObject(ev, "ref", ref);
	cJSON_AddNumberToObject(ev, "uploader_account_id",
	                        (double)f->account_id);
	cJSON_AddNumberToObject(ev, "uploader_person_id",
	                        (double)(person > 0 ? person : 0));
	cJSON_AddNumberToObject(ev, "school_id", (double)f->school_id);
	cJSON_AddStringToObject(ev, "mime", f->mime ? f->mime : "");
	cJSON_AddNumberToObject(ev, "at", (double)jx_now());
	rc = events_publish(db, "files.attached", ev);
	cJSON_Delete(ev);
	return rc;
}

int
files_attach(jx_req *req, int64_t file_id, const char *ref)
{
	struct files_row f;
	int plugin = files_caller(req), prev;
	int64_t rc;

	if (plugin < 0 || ref == NULL || *ref == '\0' ||
	    strlen(ref) > FILES_REF_MAX || file_id <= 0)
		return -1;
	prev = host_enter();
	if (files_load(req, file_id, &f) != 0) {
		host_leave(prev);
		return -1;
	}
	host_leave(prev);
	/* uploaded by the caller, or already visible to it */
	if (f.account_id != req->account_id && !files_visible(req, &f))
		return -1;
	prev = host_enter();
	rc = db_exec(req->worker->db,
	             "INSERT INTO file_uses(file_id, plugin, ref, created_at) "
	             "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
	             "issi", file_id, app.plugins[plugin].name, ref, jx_now());
	host_leave(prev);
	if (rc == 1 &&
	    files_attached_event(req, &f, app.plugins[plugin].name, ref) != 0)
		return -2;
	return rc < 0 ? -2 : 0;
}

int64_t
files_detach(jx_req *req, int64_t file_id, const char *ref)
{
	int plugin = files_caller(req), prev;
	int64_t rc;

	if (plugin < 0 || ref == NULL)
		return -1;
	prev = host_enter();
	rc = db_exec(req->worker->db,
	             "DELETE FROM file_uses WHERE plugin = ? AND ref = ? AND "
	             "(file_id = ? OR ? = 0)",
	             "ssii", app.plugins[plugin].name, ref, file_id, file_id);
	host_leave(prev);
	return rc;
}

static void
files_json_free(void *o)
{
	cJSON_Delete(o);
}

const cJSON *
files_info(jx_req *req, int64_t file_id)
{
	struct files_row f;
	cJSON *o;

	if (files_load(req, file_id, &f) != 0 || !files_visible(req, &f))
		return NULL;
	o = files_json(req->worker->db, &f);
	arena_defer(req->arena, files_json_free, o); /* with the request */
	return o;
}

int
files_open(jx_req *req, int64_t file_id, const char **mime)
{
	struct files_row f;
	jx_stmt *q;
	char *blob = NULL;
	int fd = -1, prev;

	if (req == NULL || file_id <= 0)
		return -1;
	prev = host_enter();
	if (files_load(req, file_id, &f) != 0) {
		host_leave(prev);
		return -1;
	}
	host_leave(prev);
	if (!files_visible(req, &f))
		return -1;
	prev = host_enter();
	q = db_query(req->worker->db,
	             "SELECT blob, mime FROM file_variants WHERE file_id = ? "
	             "AND variant IN ('original', 'display') ORDER BY variant "
	             "DESC LIMIT 1",
	             "i", file_id);
	if (q != NULL && db_step(q) == JX_DB_ROW) {
		blob = arena_strdup(req->arena, db_text(q, 0));
		if (mime != NULL)
			*mime = arena_strdup(req->arena, db_text(q, 1));
	}
	db_finish(q);
	if (blob != NULL)
		fd = filestore_open(blob);
	host_leave(prev);
	return fd;
}

/* ---- upload -------------------------------------------------------------- */

/* The quota of a school in bytes (0: none): files.schools[id], else
 * files.school_quota_bytes. (A Lua table keyed 1..n reads as an array.) */
static int64_t
files_quota(int64_t school)
{
	const cJSON *s = config_get(&app.cfg, "files.schools"), *v;
	char key[24];

	snprintf(key, sizeof(key), "%lld", (long long)school);
	v = cJSON_IsArray(s) ? cJSON_GetArrayItem(s, (int)school - 1)
	                     : cJSON_GetObjectItemCaseSensitive(s, key);
	if (cJSON_IsNumber(v) && v->valuedouble >= 0)
		return (int64_t)v->valuedouble;
	return config_int(&app.cfg, "files.school_quota_bytes", 0);
}

struct files_out {
	const char *variant;
	char path[PATH_MAX];
	char hex[65];
	char mime[128];
	int64_t size;
	int fd;
};

static void
files_out_discard(struct files_out *o, int n)
{
	for (int i = 0; i < n; i++) {
		if (o[i].fd >= 0)
			close(o[i].fd);
		if (o[i].path[0])
			unlink(o[i].path);
	}
}

/* Hashes, sniffs and fsyncs a variant libvips wrote. */
static int
files_out_finish(struct files_out *o)
{
	o->fd = open(o->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (o->fd < 0 || fsync(o->fd) != 0 ||
	    filestore_hash_fd(o->fd, o->hex, &o->size) != 0 ||
	    filestore_mime_path(o->path, o->mime, sizeof(o->mime)) != 0)
		return -1;
	return 0;
}

/*
 * An image's variants from the upload in out[0]: out[] becomes display,
 * thumb and (keep) a clean original, each hashed and sniffed; the upload
 * itself is removed, never stored (its EXIF may hold where the family
 * lives). 0, 415 when libvips cannot read it (err), -1 on error; out[]
 * and *nout say what to discard either way.
 */
static int
files_variants(jx_req *req, struct files_out *out, int *nout, const char *mime,
               int keep, char *err, size_t errlen)
{
	static const char *const names[] = {"display", "thumb", "original"};
	const char *sfx =
	    strcmp(mime, "image/png") == 0 || strcmp(mime, "image/gif") == 0
	        ? ".png"
	        : ".jpg";
	struct files_out *src = arena_alloc(req->arena, sizeof(*src));
	int rc = -1;

	*src = out[0];
	memset(out, 0, 3 * sizeof(*out));
	*nout = 0;
	for (int i = 0; i < (keep ? 3 : 2); i++) {
		int fd;

		out[i].variant = names[i];
		out[i].fd = -1;
		fd = files_tmp_open(out[i].path, sizeof(out[i].path), sfx);
		if (fd < 0)
			goto done;
		close(fd);
		*nout = i + 1;
	}
	if (image_variants(src->path, out[0].path, out[1].path,
	                   keep ? out[2].path : NULL, err, errlen) != 0) {
		rc = 415;
		goto done;
	}
	for (int i = 0; i < *nout; i++)
		if (files_out_finish(&out[i]) != 0)
			goto done;
	rc = 0;
done:
	files_out_discard(src, 1);
	return rc;
}

/* ---- receiving: the body straight into a work file --------------------- */

struct files_recv {
	jx_req *req;
	int fd;
	size_t len;     /* bytes of the file written */
	int in_file;    /* inside the part named "file" */
	int got;        /* that part ended */
	int too_big;    /* over limits.upload_bytes */
	int io;         /* a write failed (errno kept) */
	char *filename; /* arena */
};

static int
files_recv_write(struct files_recv *r, const char *data, size_t len)
{
	if (r->len + len > app.upload_limit) {
		r->too_big = 1;
		return -1;
	}
	while (len > 0) {
		ssize_t n = write(r->fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r->io = 1;
			return -1;
		}
		data += n;
		len -= (size_t)n;
		r->len += (size_t)n;
	}
	return 0;
}

static int
files_part_begin(void *ud, const char *name, const char *filename,
                 const char *content_type)
{
	struct files_recv *r = ud;

	(void)content_type;
	r->in_file = !r->got && name != NULL && strcmp(name, "file") == 0;
	if (r->in_file && filename != NULL)
		r->filename = arena_strdup(r->req->arena, filename);
	return 0;
}

static int
files_part_data(void *ud, const char *data, size_t len)
{
	struct files_recv *r = ud;

	return r->in_file ? files_recv_write(r, data, len) : 0;
}

static int
files_part_end(void *ud)
{
	struct files_recv *r = ud;

	if (r->in_file)
		r->got = 1;
	r->in_file = 0;
	return 0;
}

/*
 * Reads the upload (the multipart part "file", or the whole body) into
 * the open work file r->fd as it arrives, never holding more than a
 * chunk of it in memory: a 20 MB video costs the worker 16 KiB. 0, or
 * the status replied (413 over limits.upload_bytes, 400 malformed, 422
 * no part "file", 500/507 when the work file cannot be written).
 */
static int
files_receive(jx_req *req, struct files_recv *r, const char **raw_name)
{
	const struct mg_request_info *ri = mg_get_request_info(req->conn);
	const char *ct = http_header(req, "Content-Type");
	struct multipart_limits lim = {
	    .max_body_bytes = app.upload_limit + 64 * 1024,
	    .max_part_bytes = app.upload_limit,
	};
	struct multipart_callbacks cb = {files_part_begin, files_part_data,
	                                 files_part_end};
	struct multipart *mp = NULL;
	char chunk[16384], err[256];
	int multi, n, rc = 0;

	req->body_read = 1; /* read here, by no one else */
	multi = ct != NULL && strncasecmp(ct, "multipart/form-data", 19) == 0;
	if (ri->content_length > 0 &&
	    (size_t)ri->content_length > lim.max_body_bytes)
		goto too_big;
	if (multi) {
		mp = multipart_new(ct, &lim, &cb, r, err, sizeof(err));
		if (mp == NULL)
			return http_reply_problem(req, 400, "malformed-body",
			                          "Malformed upload", err);
	}
	while ((n = mg_read(req->conn, chunk, sizeof(chunk))) > 0) {
		rc = mp ? multipart_feed(mp, chunk, (size_t)n)
		        : files_recv_write(r, chunk, (size_t)n);
		if (rc != 0)
			break;
	}
	if (rc == 0 && mp != NULL)
		rc = multipart_finish(mp);
	if (r->too_big || rc == MULTIPART_E_LIMIT) {
		multipart_free(mp);
		goto too_big;
	}
	if (r->io) {
		multipart_free(mp);
		return -1;
	}
	if (rc != 0) {
		snprintf(err, sizeof(err), "%s",
		         mp ? multipart_error(mp) : "cannot read");
		multipart_free(mp);
		return http_reply_problem(req, 400, "malformed-body",
		                          "Malformed upload", err);
	}
	multipart_free(mp);
	if (multi && !r->got) {
		problem_add_error(&req->errors, 0, "file",
		                  "the upload has no part named file");
		return http_reply_problem(
		    req, 422, "validation-failed", "No file",
		    http_tr(req, "请在表单的文件字段中上传文件",
		            "Send the file in the form field."));
	}
	if (multi)
		*raw_name = r->filename;
	else {
		const char *h = http_header(req, "X-File-Name");

		*raw_name = h ? files_pct_decode(req, h) : NULL;
	}
	return 0;
too_big:
	/* the rest of the body is not read: close the connection */
	http_add_header(req, "Connection", "close");
	return http_reply_problem(
	    req, 413, "payload-too-large", "Upload too large",
	    arena_sprintf(req->arena,
	                  http_tr(req, "上传的文件太大，最大 %zu 字节",
	                          "the file is too large: the limit is %zu "
	                          "bytes"),
	                  app.upload_limit));
}

static int
files_upload(jx_req *req, void *ud)
{
	const struct jx_identity *me = req->identity;
	const char *raw_name = NULL, *mime;
	char found[160], err[256];
	struct files_recv r;
	void *map;
	/* in the arena: 13 KiB of paths are too much for a civetweb
	 * worker's 100 KiB stack under a sanitizer */
	struct files_out *out;
	int nout = 0, image, keep, rc;
	int64_t school, quota, used, id;
	size_t len;
	struct files_row f;
	jx_db *db = req->worker->db;
	char *name;

	(void)ud;
	if (me == NULL)
		return http_reply_problem(
		    req, 403, "forbidden", "No identity",
		    http_tr(req, "请先选择身份", "Choose an identity first."));
	out = arena_calloc(req->arena, 3 * sizeof(*out));
	for (int i = 0; i < 3; i++)
		out[i].fd = -1;
	errno = 0; /* a failure below says ENOSPC (507) or something else */
	/* the upload itself: out[0], written as it arrives */
	out[0].variant = "original";
	out[0].fd = files_tmp_open(out[0].path, sizeof(out[0].path), NULL);
	nout = 1;
	if (out[0].fd < 0)
		goto fail;
	r = (struct files_recv){.req = req, .fd = out[0].fd};
	rc = files_receive(req, &r, &raw_name);
	if (rc < 0 || (rc == 0 && fsync(out[0].fd) != 0))
		goto fail;
	if (rc > 0) {
		files_out_discard(out, nout);
		return rc;
	}
	len = r.len;
	if (len == 0) {
		/* an empty upload is a mistake of the form, not a file type */
		files_out_discard(out, nout);
		problem_add_error(
		    &req->errors, 0, "file",
		    http_tr(req, "文件是空的", "The file is empty."));
		return http_reply_problem(
		    req, 422, "validation-failed", "Empty file",
		    http_tr(
		        req, "上传的文件是空的，请重新选择文件",
		        "The uploaded file is empty: choose the file again."));
	}
	name = files_clean_name(req, raw_name);
	/* The sniffers read the file through a mapping: only the pages
	 * they touch (libmagic's first MiB, a zip's directory, an OLE
	 * file's directory slots) are read in. */
	map = len > 0 ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, out[0].fd, 0)
	              : NULL;
	if (len > 0 && map == MAP_FAILED)
		goto fail;
	rc = files_sniff(map ? map : "", len, &mime, &image, found,
	                 sizeof(found));
	if (map != NULL)
		munmap(map, len);
	if (rc != 0) {
		files_out_discard(out, nout);
		return http_reply_problem(
		    req, 415, "unsupported-media-type", "File type not allowed",
		    arena_sprintf(
		        req->arena,
		        http_tr(req,
		                "不支持此类文件：只能上传照片、PDF、不含宏的 "
		                "Word/Excel/PowerPoint、MP3/M4A 音频和 MP4 "
		                "视频%.0s",
		                "the file is %s: allowed are photos (JPEG, "
		                "PNG, GIF, WebP, HEIC), PDF, Word, Excel and "
		                "PowerPoint without macros, MP3/M4A and MP4"),
		        found));
	}
	school = me->school_id;
	quota = school > 0 ? files_quota(school) : 0;
	if (quota > 0) {
		used = db_one(
		    db, "SELECT bytes FROM file_usage WHERE school_id = ?", "i",
		    school);
		if (used < 0)
			goto fail;
		if (used + (int64_t)len > quota) {
			files_out_discard(out, nout);
			return http_reply_problem(
			    req, 507, "quota-full",
			    "The school's storage is full",
			    arena_sprintf(
			        req->arena,
			        http_tr(
			            req,
			            "学校的存储空间已满（已用 %lld 字节，共 "
			            "%lld 字节，此文件需要 %zu 字节），请联系"
			            "管理员",
			            "the school uses %lld of its %lld bytes; "
			            "this file needs %zu more"),
			        (long long)used, (long long)quota, len));
		}
	}
	keep = image && http_query(req, "keep_original") != NULL &&
	       strcmp(http_query(req, "keep_original"), "1") == 0;

	if (filestore_hash_fd(out[0].fd, out[0].hex, &out[0].size) != 0)
		goto fail;
	snprintf(out[0].mime, sizeof(out[0].mime), "%s", mime);
	f.sha256 = arena_strdup(req->arena, out[0].hex);
	if (image) {
		rc = files_variants(req, out, &nout, mime, keep, err,
		                    sizeof(err));
		if (rc == 415) {
			files_out_discard(out, nout);
			jx_log(JX_LOG_INFO, "files",
			       "not an image libvips reads: %s", err);
			return http_reply_problem(
			    req, 415, "unsupported-media-type",
			    "File type not allowed",
			    arena_sprintf(
			        req->arena,
			        http_tr(req, "图片无法读取%.0s",
			                "the file is %s, but it cannot be read "
			                "as a picture"),
			        mime));
		}
		if (rc != 0)
			goto fail;
	}

	/* Blobs placed and rows written in one write transaction (see
	 * filestore.c): a crash before the commit leaves blobs no row
	 * names, which the sweep removes. The quota is checked again
	 * here, where two uploads of one school cannot interleave. */
	if (db_begin(db) != 0)
		goto fail;
	if (quota > 0 &&
	    db_one(db, "SELECT bytes FROM file_usage WHERE school_id = ?", "i",
	           school) +
	            (int64_t)len >
	        quota) {
		db_rollback(db);
		files_out_discard(out, nout);
		return http_reply_problem(
		    req, 507, "quota-full", "The school's storage is full",
		    http_tr(req,
		            "学校的存储空间已满：另一个上传用掉了剩余的空间",
		            "another upload took the space left"));
	}
	for (int i = 0; i < nout; i++) {
		if (filestore_place(out[i].path, out[i].hex) != 0)
			goto rollback;
		out[i].path[0] = '\0';
	}
#ifdef JX_TESTING
	/* the crash test's window: blobs in place, no row yet */
	if (config_int(&app.cfg, "testing.files_pause_ms", 0) > 0)
		usleep((useconds_t)config_int(&app.cfg,
		                              "testing.files_pause_ms", 0) *
		       1000);
#endif
	if (school > 0)
		id =
		    db_insert(db,
		              "INSERT INTO files(name, mime, size, sha256, "
		              "account_id, identity_id, school_id, created_at) "
		              "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		              "ssisiiii", name, mime, (int64_t)len, f.sha256,
		              req->account_id, me->id, school, jx_now());
	else
		id =
		    db_insert(db,
		              "INSERT INTO files(name, mime, size, sha256, "
		              "account_id, identity_id, created_at) VALUES (?, "
		              "?, ?, ?, ?, ?, ?)",
		              "ssisiii", name, mime, (int64_t)len, f.sha256,
		              req->account_id, me->id, jx_now());
	if (id < 0)
		goto rollback;
	for (int i = 0; i < nout; i++)
		if (db_exec(db,
		            "INSERT INTO file_variants(file_id, variant, blob, "
		            "mime, size) VALUES (?, ?, ?, ?, ?)",
		            "isssi", id, out[i].variant, out[i].hex,
		            i == 0 && !image ? mime : out[i].mime,
		            out[i].size) < 0)
			goto rollback;
	if (school > 0 &&
	    db_exec(db,
	            "INSERT INTO file_usage(school_id, bytes) VALUES (?, ?) ON "
	            "CONFLICT(school_id) DO UPDATE SET bytes = bytes + "
	            "excluded.bytes",
	            "ii", school, (int64_t)len) < 0)
		goto rollback;
	if (db_commit(db) != 0)
		goto fail;
	files_out_discard(out, nout);
	f.id = id;
	f.name = name;
	f.mime = mime;
	f.size = (int64_t)len;
	return http_reply_json(req, 201, files_json(db, &f));
rollback:
	db_rollback(db);
fail:
	files_out_discard(out, nout);
	if (errno == ENOSPC || errno == EDQUOT) {
		http_add_header(req, "Retry-After", "3600");
		return http_reply_problem(
		    req, 507, "storage-full", "Storage full",
		    http_tr(req, "服务器磁盘已满",
		            "The server's disk is full."));
	}
	jx_log(JX_LOG_ERROR, "files", "upload failed: %s",
	       errno ? strerror(errno) : db_errmsg(db));
	return http_reply_problem(req, 500, "internal", "Upload failed", NULL);
}

/* ---- download ------------------------------------------------------------ */

/* The extension a variant's type is shown with when it differs from the
 * upload's ("IMG_0001.HEIC" → display "IMG_0001.jpg"). */
static const char *
files_ext(const char *mime)
{
	return strcmp(mime, "image/jpeg") == 0   ? ".jpg"
	       : strcmp(mime, "image/png") == 0  ? ".png"
	       : strcmp(mime, "image/webp") == 0 ? ".webp"
	                                         : "";
}

/*
 * Content-Disposition (RFC 6266): an ASCII fallback (non-ASCII bytes
 * become '_') in filename, the UTF-8 name in filename* (RFC 5987). The
 * name was cleaned at upload (no quotes, backslashes, controls).
 */
static const char *
files_disposition(jx_req *req, const char *kind, const char *name)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(name);
	char *ascii = arena_alloc(req->arena, n + 1);
	char *pct = arena_alloc(req->arena, 3 * n + 1);
	size_t j = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		ascii[i] = c < 0x80 ? (char)c : '_';
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("!#$&+-.^_`|~", c)) {
			pct[j++] = (char)c;
		} else {
			pct[j++] = '%';
			pct[j++] = hex[c >> 4];
			pct[j++] = hex[c & 15];
		}
	}
	ascii[n] = '\0';
	pct[j] = '\0';
	return arena_sprintf(req->arena,
	                     "%s; filename=\"%s\"; filename*=UTF-8''%s", kind,
	                     ascii, pct);
}

/*
 * One byte range (RFC 9110 14.1.2) of a size-byte body: 1 with *from and
 * *len set, 0 when the header is absent, malformed or asks for several
 * ranges (the whole body is sent), -1 when unsatisfiable (416).
 */
static int
files_range(const char *h, int64_t size, int64_t *from, int64_t *len)
{
	long long a = -1, b = -1;
	const char *p;
	char *end;

	if (h == NULL || strncmp(h, "bytes=", 6) != 0 || strchr(h, ',') != NULL)
		return 0;
	p = h + 6;
	while (*p == ' ')
		p++;
	if (*p == '-') {
		b = strtoll(p + 1, &end, 10);
		if (end == p + 1 || *end != '\0' || b < 0)
			return 0;
		if (b == 0 || size == 0)
			return -1;
		*from = b >= size ? 0 : size - b;
		*len = size - *from;
		return 1;
	}
	if (*p < '0' || *p > '9')
		return 0;
	a = strtoll(p, &end, 10);
	if (*end != '-')
		return 0;
	p = end + 1;
	if (*p != '\0') {
		b = strtoll(p, &end, 10);
		if (end == p || *end != '\0' || b < a)
			return 0;
	}
	if (a >= size)
		return -1;
	if (b < 0 || b >= size)
		b = size - 1;
	*from = a;
	*len = b - a + 1;
	return 1;
}

static int
files_get(jx_req *req, void *ud)
{
	const char *want = http_query(req, "variant"), *variant, *vmime, *blob,
	           *inm, *name, *kind;
	char etag[80], *stem, *dot;
	struct files_row f;
	int64_t id = http_param_id(req, "id"), from = 0, len, vsize;
	jx_db *db = req->worker->db;
	struct stat st;
	jx_stmt *q;
	int fd, r;

	(void)ud;
	if (want != NULL && strcmp(want, "thumb") != 0 &&
	    strcmp(want, "display") != 0 && strcmp(want, "original") != 0)
		return http_reply_problem(
		    req, 400, "bad-variant", "No such variant",
		    http_tr(req,
		            "variant 应为 thumb、display 或 "
		            "original",
		            "variant is thumb, display or "
		            "original."));
	if (id <= 0 || files_load(req, id, &f) != 0 || !files_visible(req, &f))
		return http_reply_problem(
		    req, 404, "not-found", "Not found",
		    http_tr(req, "没有这个文件", "No such file."));
	/* no variant: the original when one is kept, else the display copy
	 * (an image's upload itself is never kept) */
	q = db_query(db,
	             "SELECT variant, blob, mime, size FROM file_variants "
	             "WHERE file_id = ? AND (variant = ? OR (? IS NULL AND "
	             "variant IN ('original', 'display'))) ORDER BY variant "
	             "DESC LIMIT 1",
	             "iss", id, want, want);
	if (q == NULL || db_step(q) != JX_DB_ROW) {
		db_finish(q);
		return http_reply_problem(
		    req, 404, "not-found", "Not found",
		    http_tr(req, "该文件没有这个版本",
		            "The file has no such variant."));
	}
	variant = arena_strdup(req->arena, db_text(q, 0));
	blob = arena_strdup(req->arena, db_text(q, 1));
	vmime = arena_strdup(req->arena, db_text(q, 2));
	vsize = db_int(q, 3);
	db_finish(q);

	snprintf(etag, sizeof(etag), "\"%s\"", blob);
	req->cache_control = "private, no-cache";
	http_add_header(req, "ETag", etag);
	http_add_header(req, "Accept-Ranges", "bytes");
	inm = http_header(req, "If-None-Match");
	if (inm != NULL && (strstr(inm, etag) != NULL || strcmp(inm, "*") == 0))
		return http_reply_raw(req, 304, vmime, NULL, 0, NULL);

	fd = filestore_open(blob);
	if (fd < 0 || fstat(fd, &st) != 0 || st.st_size != vsize) {
		if (fd >= 0)
			close(fd);
		jx_log(JX_LOG_ERROR, "files",
		       "file %lld: blob %s missing or "
		       "changed",
		       (long long)id, blob);
		return http_reply_problem(req, 500, "internal", "File missing",
		                          NULL);
	}
	name = f.name;
	if (strcmp(vmime, f.mime) != 0) {
		stem = arena_strdup(req->arena, f.name);
		dot = strrchr(stem, '.');
		if (dot != NULL && dot != stem)
			*dot = '\0';
		name =
		    arena_sprintf(req->arena, "%s%s", stem, files_ext(vmime));
	}
	/* Media and PDF open in the browser (WeChat, Safari play or show
	 * them); Office documents download; ?download=1 always downloads. */
	kind = http_query(req, "download") == NULL &&
	               (strncmp(vmime, "image/", 6) == 0 ||
	                strncmp(vmime, "audio/", 6) == 0 ||
	                strncmp(vmime, "video/", 6) == 0 ||
	                strcmp(vmime, "application/pdf") == 0)
	           ? "inline"
	           : "attachment";
	http_add_header(req, "Content-Disposition",
	                files_disposition(req, kind, name));
	(void)variant;
	len = vsize;
	r = files_range(http_header(req, "Range"), vsize, &from, &len);
	if (r < 0) {
		close(fd);
		http_add_header(req, "Content-Range",
		                arena_sprintf(req->arena, "bytes */%lld",
		                              (long long)vsize));
		return http_reply_problem(req, 416, "range-not-satisfiable",
		                          "Range not satisfiable", NULL);
	}
	if (r > 0) {
		/* If-Range: a range only of the same bytes */
		const char *ir = http_header(req, "If-Range");

		if (ir != NULL && strcmp(ir, etag) != 0) {
			from = 0;
			len = vsize;
			r = 0;
		}
	}
	if (r > 0)
		http_add_header(
		    req, "Content-Range",
		    arena_sprintf(req->arena, "bytes %lld-%lld/%lld",
		                  (long long)from, (long long)(from + len - 1),
		                  (long long)vsize));
	http_reply_raw(req, r > 0 ? 206 : 200, vmime, NULL, 0, NULL);
	req->send_file = 1;
	req->send_fd = fd;
	req->send_off = from;
	req->send_len = len;
	return req->status;
}

const struct jx_route files_routes[] = {
    {"POST", "/api/v1/files", files_upload, NULL, 0},
    {"GET", "/api/v1/files/{id}", files_get, NULL, 0},
    {NULL, NULL, NULL, NULL, 0},
};
