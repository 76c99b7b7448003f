/*
 * notices_files.c — a notice's attachments (issue 14), through the
 * host's file service: the compose page uploads each file to POST
 * /api/v1/files (jx-upload.js) and posts the ids; the notice attaches
 * them to its ref "notice:<id>" (jx_host->file_attach, in the compose
 * transaction; notices_files keeps their order), and GET /api/v1/files/{id}
 * asks notices_file_visible who may fetch them: whoever may see the notice (its
 * sender, the admins of its school, a recipient through the acting identity).
 *
 * Attachments are images, PDF and Office documents; the host sniffs the
 * type at upload, so the stored mime is the one checked here.
 */
#include "notices.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
notices_file_visible(jx_req *req, const char *ref, void *ud)
{
	long long id = 0;
	int used = 0;

	(void)ud;
	if (ref == NULL || sscanf(ref, "notice:%lld%n", &id, &used) != 1 ||
	    ref[used] != '\0' || id <= 0)
		return 0;
	return notices_access(req, jx_host->req_db(req), (int64_t)id) > 0;
}

/* 1 for the types a notice carries: images, PDF, Office documents. */
static int
files_type_ok(const char *mime)
{
	static const char *const office[] = {
	    "application/msword",
	    "application/vnd.ms-excel",
	    "application/vnd.ms-powerpoint",
	    "application/vnd.openxmlformats-officedocument."
	    "wordprocessingml.document",
	    "application/vnd.openxmlformats-officedocument."
	    "spreadsheetml.sheet",
	    "application/vnd.openxmlformats-officedocument."
	    "presentationml.presentation",
	    NULL,
	};

	if (mime == NULL)
		return 0;
	if (strncmp(mime, "image/", 6) == 0 ||
	    strcmp(mime, "application/pdf") == 0)
		return 1;
	for (int k = 0; office[k] != NULL; k++)
		if (strcmp(mime, office[k]) == 0)
			return 1;
	return 0;
}

int
notices_files_attach(jx_req *req, jx_db *db, int64_t id, const cJSON *list,
                     const char **message)
{
	const char *ref = jx_host->sprintf(req, "notice:%lld", (long long)id);
	const cJSON *v;
	int64_t position = 0;

	cJSON_ArrayForEach(v, list)
	{
		int64_t fid = (int64_t)v->valuedouble;
		const char *mime = NULL;
		jx_stmt *st;
		int rc = jx_host->file_attach(req, fid, ref);

		if (rc == -2)
			return 500;
		if (rc != 0) {
			*message = jx_host->sprintf(
			    req, "no file %lld of yours: upload it first",
			    (long long)fid);
			return 422;
		}
		st = jx_host->db_query(
		    db, "SELECT mime FROM files WHERE id = ?", "i", fid);
		if (st != NULL && jx_host->db_step(st) == JX_DB_ROW)
			mime = jx_host->sprintf(req, "%s",
			                        jx_host->db_text(st, 0));
		jx_host->db_finish(st);
		if (!files_type_ok(mime)) {
			*message = jx_host->sprintf(
			    req,
			    "file %lld is %s: a notice carries images, PDF "
			    "and Office documents",
			    (long long)fid, mime ? mime : "unknown");
			return 422;
		}
		/* a file listed twice is attached once, where it came first */
		if (jx_host->db_exec(db,
		                     "INSERT INTO notices_files(notice_id, "
		                     "file_id, position) VALUES (?, ?, ?) ON "
		                     "CONFLICT DO NOTHING",
		                     "iii", id, fid, position++) < 0)
			return 500;
	}
	return 0;
}

cJSON *
notices_files_json(jx_req *req, jx_db *db, int64_t id)
{
	cJSON *out = cJSON_CreateArray();
	jx_stmt *st = jx_host->db_query(
	    db,
	    "SELECT f.id, f.name, f.mime, f.size, EXISTS (SELECT 1 FROM "
	    "file_variants v WHERE v.file_id = f.id AND v.variant = "
	    "'thumb') FROM notices_files n JOIN files f ON f.id = n.file_id "
	    "WHERE n.notice_id = ? ORDER BY n.position",
	    "i", id);

	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		cJSON *o = cJSON_CreateObject();
		int64_t fid = jx_host->db_int(st, 0);
		const char *mime = jx_host->db_text(st, 2);

		cJSON_AddNumberToObject(o, "id", (double)fid);
		cJSON_AddStringToObject(o, "name", jx_host->db_text(st, 1));
		cJSON_AddStringToObject(o, "mime", mime);
		cJSON_AddNumberToObject(o, "size",
		                        (double)jx_host->db_int(st, 3));
		cJSON_AddStringToObject(o, "url",
		                        jx_host->sprintf(req,
		                                         "/api/v1/files/%lld",
		                                         (long long)fid));
		if (jx_host->db_int(st, 4))
			cJSON_AddStringToObject(
			    o, "thumb",
			    jx_host->sprintf(req,
			                     "/api/v1/files/%lld?variant=thumb",
			                     (long long)fid));
		/* what the page shows: an icon by type, a readable size */
		cJSON_AddStringToObject(
		    o, "kind",
		    strncmp(mime, "image/", 6) == 0        ? "image"
		    : strcmp(mime, "application/pdf") == 0 ? "pdf"
		    : strstr(mime, "word") != NULL         ? "word"
		    : strstr(mime, "excel") != NULL ||
		            strstr(mime, "sheet") != NULL
		        ? "excel"
		    : strstr(mime, "powerpoint") != NULL ||
		            strstr(mime, "presentation")
		        ? "ppt"
		        : "file");
		cJSON_AddItemToArray(out, o);
	}
	jx_host->db_finish(st);
	return out;
}

cJSON *
notices_files_form(jx_req *req)
{
	cJSON *out = cJSON_CreateArray();
	const char *data = NULL, *p, *end;
	size_t len = 0;
	const char *ct = jx_host->req_header(req, "Content-Type");

	/* jx_host->req_form answers one value per name; the upload widget
	 * adds one hidden file_ids input per file, so the urlencoded body
	 * is read for every one of them. */
	if (ct == NULL ||
	    strncmp(ct, "application/x-www-form-urlencoded", 33) != 0 ||
	    jx_host->req_body(req, 0, &data, &len) != 0 || data == NULL)
		return out;
	for (p = data, end = data + len; p < end;) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;

		if ((size_t)(stop - p) > 9 && memcmp(p, "file_ids=", 9) == 0) {
			char num[24];
			size_t n = (size_t)(stop - p) - 9;
			char *e;
			long long v;

			if (n < sizeof(num)) {
				memcpy(num, p + 9, n);
				num[n] = '\0';
				v = strtoll(num, &e, 10);
				if (*e == '\0' && v > 0)
					cJSON_AddItemToArray(
					    out, cJSON_CreateNumber((double)v));
				else
					cJSON_AddItemToArray(
					    out, cJSON_CreateString(num));
			} else
				cJSON_AddItemToArray(out,
				                     cJSON_CreateString("?"));
		}
		p = stop + 1;
	}
	return out;
}
