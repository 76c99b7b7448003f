/*
 * files.h — the host's file service (files.c, issue 12): uploads checked
 * by their bytes, a content-addressed store under <data_dir>/files, the
 * rows that use a file and who may see it, downloads with ranges, the
 * orphan sweep, per-school quotas and the temporary work area.
 */
#ifndef JX_FILES_H
#define JX_FILES_H

#include "host.h"

/* At start, before any request or job: creates <data_dir>/files and
 * <data_dir>/tmp, empties tmp, loads libmagic's database and starts
 * libvips. 0 or -1 (logged). */
int files_start(void);
void files_stop(void);

/* The host table's file functions (see jx/plugin.h, ABI 2.1). */
int files_attach(jx_req *req, int64_t file_id, const char *ref);
int64_t files_detach(jx_req *req, int64_t file_id, const char *ref);
const cJSON *files_info(jx_req *req, int64_t file_id);
int files_tmp_open(char *path, size_t pathlen, const char *suffix);
/* ABI 2.3: the bytes of a file the caller may see (jx/plugin.h). */
int files_open(jx_req *req, int64_t file_id, const char **mime);

/* Removes files no row uses once older than files.orphan_grace_seconds
 * (default a day), then stored blobs no file uses, then work files older
 * than a day. Returns the number of files removed, or -1. */
int64_t files_sweep(jx_db *db);
/* Runs files_sweep when a day has passed since the last run of this
 * process (the first call runs it): the job thread calls it on every
 * turn. */
void files_sweep_due(jx_db *db);

/*
 * What the bytes of an upload are, by libmagic and a look inside Office
 * containers: 0 allowed with *mime set (a static string), *image 1 for
 * types libvips makes variants of; -1 not allowed, with the type found
 * (or why: "Word document with macros") in found. Never looks at a
 * name or a declared type.
 */
int files_sniff(const void *data, size_t len, const char **mime, int *image,
                char *found, size_t foundlen);

/* ---- filestore.c: the store itself --------------------------------- */
/* The SHA-256 (hex) and size of the open file fd, read from its start. */
int filestore_hash_fd(int fd, char hex[65], int64_t *size);
/* The type of a stored work file's bytes (libmagic), into out. */
int filestore_mime_path(const char *path, char *out, size_t outlen);
/* Moves the work file tmp (already fsync'ed, in <data_dir>/tmp: the same
 * file system) to the blob of that hash and makes the rename durable
 * (the directory fsync'ed). Call inside the write transaction that
 * records the blob, so that the sweep, which unlinks blobs inside its
 * own, never removes a blob between its placing and its row. 0 or -1. */
int filestore_place(const char *tmp, const char *hex);
/* Opens the blob of a hash for reading: the descriptor, or -1. */
int filestore_open(const char *hex);

#endif
