/*
 * jxplug.h — helpers shared by plugins: list paging as API.md describes
 * it, role tests, one-value queries. Every function takes
 * the host table the plugin was handed at init.
 */
#ifndef JXPLUG_H
#define JXPLUG_H

#include <stddef.h>
#include <stdint.h>

#include <jx/plugin.h>

/* Limit and cursor of a list request (API.md: default 50, max 500; the
 * cursor is the last id of the previous page, 0 for the first). */
void jxp_page(const struct jx_host *jx_host, jx_req *req, int64_t *limit,
              int64_t *after);
/* {"items": items, "next_cursor": ...}: items holds up to limit + 1
 * rows; the extra one says a next page exists and is dropped. Takes
 * items. */
cJSON *jxp_items(cJSON *items, int64_t limit, const char *id_key);
/* The acting identity's role is one of the comma-separated roles. */
int jxp_role(const struct jx_host *jx_host, jx_req *req, const char *roles);
/* One integer from a query: 0 when no row, -1 on error. */
int64_t jxp_one(const struct jx_host *jx_host, jx_db *db, const char *sql,
                const char *types, ...);
/* A time as a JSON string (API.md's ISO 8601 with offset); null for 0. */
cJSON *jxp_time(const struct jx_host *jx_host, int64_t t);
/* A time API.md accepts: "YYYY-MM-DDTHH:MM[:SS[.fff]]" with "Z", an
 * offset ("+08:00", "+0800") or none (the configured local time), a
 * space allowed for the T. Unix time, or -1 when malformed. */
int64_t jxp_parse_time(const char *s);
/* Characters (not bytes) of UTF-8 text. */
size_t jxp_chars(const char *s);
/* text with every "{name}" replaced by value, as the templates' t()
 * fills a message (arena): jxp_fill(h, req, h->t(req, "k"), "name", v). */
const char *jxp_fill(const struct jx_host *jx_host, jx_req *req,
                     const char *text, const char *name, const char *value);

/* The usual problems: 404 (no such thing, or not visible to you), 403,
 * 409, 422 with the errors added so far, 500 (nothing was changed). */
int jxp_not_found(const struct jx_host *jx_host, jx_req *req);
int jxp_forbidden(const struct jx_host *jx_host, jx_req *req);
int jxp_conflict(const struct jx_host *jx_host, jx_req *req,
                 const char *detail);
int jxp_invalid(const struct jx_host *jx_host, jx_req *req, const char *detail);
int jxp_storage_error(const struct jx_host *jx_host, jx_req *req);

#endif
