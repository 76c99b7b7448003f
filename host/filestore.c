/*
 * filestore.c — the file service's store (issue 12): what an upload's
 * bytes are (libmagic, and a look inside Office containers for macros),
 * the content-addressed blobs under <data_dir>/files/ab/cd/<sha256>, the
 * temporary work area <data_dir>/tmp, and the daily orphan sweep.
 *
 * A blob is written as a work file in <data_dir>/tmp (the same file
 * system), fsync'ed, then renamed into place and its directory fsync'ed
 * inside the write transaction that inserts the rows naming it; the
 * sweep unlinks unreferenced blobs inside a write transaction too. So a
 * row never names a blob that is missing or half written, a crash leaves
 * at worst a blob no row names (swept) or a work file (removed at
 * start), and no name a user sent ever reaches the file system.
 */
#include "files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <magic.h>
#include <sodium.h>
#include <zip.h>

#include "image.h"

/* libmagic's handle is not thread-safe: one handle behind a mutex
 * (sniffing reads at most FILES_SNIFF_BYTES, well under a millisecond). */
static struct {
	pthread_mutex_t mu;
	magic_t magic;
	int64_t last_sweep; /* jx_now() of this process's last sweep */
} filestore = {.mu = PTHREAD_MUTEX_INITIALIZER};

#define FILES_SNIFF_BYTES (1024 * 1024)
#define FILES_DAY 86400

static int
filestore_mkdir(const char *path)
{
	return mkdir(path, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

/* Removes the work files in tmp older than before (all with before 0). */
static void
filestore_tmp_clean(int64_t before)
{
	char dir[PATH_MAX], path[PATH_MAX + 256];
	struct dirent *e;
	struct stat st;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/tmp", app.data_dir);
	d = opendir(dir);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		/* hidden ones too: the sheet readers' ".sheet-XXXXXX" */
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (before == 0 || (int64_t)st.st_mtime < before)
			unlink(path);
	}
	closedir(d);
}

int
files_start(void)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/files", app.data_dir);
	if (filestore_mkdir(path) != 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/tmp", app.data_dir);
	if (filestore_mkdir(path) != 0)
		goto fail;
	/* Nothing runs yet: every work file is a dead process's. */
	filestore_tmp_clean(0);
	filestore.magic = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR);
	if (filestore.magic == NULL || magic_load(filestore.magic, NULL) != 0) {
		jx_log(JX_LOG_ERROR, "files", "libmagic: %s",
		       filestore.magic ? magic_error(filestore.magic)
		                       : "cannot open");
		return -1;
	}
	magic_setparam(filestore.magic, MAGIC_PARAM_BYTES_MAX,
	               &(size_t){FILES_SNIFF_BYTES});
	return 0;
fail:
	jx_log(JX_LOG_ERROR, "files", "cannot create %s: %s", path,
	       strerror(errno));
	return -1;
}

void
files_stop(void)
{
	if (filestore.magic != NULL)
		magic_close(filestore.magic);
	filestore.magic = NULL;
}

int
files_tmp_open(char *path, size_t pathlen, const char *suffix)
{
	unsigned char rnd[12];
	char hex[25];

	if (suffix == NULL)
		suffix = "";
	if (strlen(suffix) > 16 || strchr(suffix, '/') != NULL) {
		errno = EINVAL;
		return -1;
	}
	for (int tries = 0; tries < 8; tries++) {
		int fd, n;

		randombytes_buf(rnd, sizeof(rnd));
		sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
		n = snprintf(path, pathlen, "%s/tmp/w-%s%s", app.data_dir, hex,
		             suffix);
		if (n < 0 || (size_t)n >= pathlen) {
			errno = ENAMETOOLONG;
			return -1;
		}
		fd = open(path,
		          O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		          0600);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

/* ---- sniffing ------------------------------------------------------------ */

static const struct {
	const char *found; /* what libmagic says */
	const char *mime;  /* what is stored and served */
	int image;
} files_plain[] = {
    {"image/jpeg", "image/jpeg", 1}, {"image/png", "image/png", 1},
    {"image/gif", "image/gif", 1},   {"image/webp", "image/webp", 1},
    {"image/heic", "image/heic", 1}, {"image/heif", "image/heif", 1},
    {"image/avif", "image/avif", 1}, {"application/pdf", "application/pdf", 0},
    {"audio/mpeg", "audio/mpeg", 0}, {"audio/x-m4a", "audio/mp4", 0},
    {"audio/mp4", "audio/mp4", 0},   {"video/mp4", "video/mp4", 0},
};

static const char *const files_ooxml_types[][2] = {
    {"wordprocessingml.document.main+xml",
     "application/vnd.openxmlformats-officedocument.wordprocessingml."
     "document"},
    {"spreadsheetml.sheet.main+xml",
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    {"presentationml.presentation.main+xml",
     "application/vnd.openxmlformats-officedocument.presentationml."
     "presentation"},
};

static int
files_has_ci(const char *hay, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	for (size_t i = 0; i + k <= n; i++)
		if (strncasecmp(hay + i, needle, k) == 0)
			return 1;
	return 0;
}

/*
 * An OOXML document (a zip): refused when it holds a VBA project
 * (vbaProject.bin, vbaData.xml anywhere) or its [Content_Types].xml
 * names a macro-enabled or VBA type; its kind comes from the main part's
 * content type. Only [Content_Types].xml is inflated, and only up to
 * 1 MB: a zip bomb costs nothing here. Embedded objects are not opened
 * (an embedded macro workbook still needs its own host to run).
 */
static int
files_ooxml(const void *data, size_t len, const char **mime, char *found,
            size_t foundlen)
{
	zip_error_t ze;
	zip_source_t *src;
	zip_t *z = NULL;
	zip_file_t *zf = NULL;
	zip_stat_t zs;
	zip_int64_t n;
	char *ct = NULL;
	int rc = -1;

	*mime = NULL;
	zip_error_init(&ze);
	src = zip_source_buffer_create(data, len, 0, &ze);
	if (src == NULL)
		goto done;
	z = zip_open_from_source(src, ZIP_RDONLY, &ze);
	if (z == NULL) {
		zip_source_free(src);
		snprintf(found, foundlen, "a damaged zip archive");
		goto done;
	}
	n = zip_get_num_entries(z, 0);
	for (zip_int64_t i = 0; i < n; i++) {
		const char *name = zip_get_name(z, (zip_uint64_t)i, 0);

		if (name != NULL &&
		    (files_has_ci(name, strlen(name), "vbaProject.bin") ||
		     files_has_ci(name, strlen(name), "vbaData.xml"))) {
			snprintf(found, foundlen,
			         "an Office document with macros (%s)", name);
			goto done;
		}
	}
	if (zip_stat(z, "[Content_Types].xml", 0, &zs) != 0 ||
	    !(zs.valid & ZIP_STAT_SIZE) || zs.size > 1024 * 1024) {
		snprintf(found, foundlen, "a zip archive");
		goto done;
	}
	ct = malloc((size_t)zs.size + 1);
	zf = zip_fopen(z, "[Content_Types].xml", 0);
	if (ct == NULL || zf == NULL ||
	    zip_fread(zf, ct, zs.size) != (zip_int64_t)zs.size) {
		snprintf(found, foundlen, "a damaged zip archive");
		goto done;
	}
	if (files_has_ci(ct, (size_t)zs.size, "macroEnabled") ||
	    files_has_ci(ct, (size_t)zs.size, "vbaProject")) {
		snprintf(found, foundlen, "an Office document with macros");
		goto done;
	}
	for (size_t i = 0;
	     i < sizeof(files_ooxml_types) / sizeof(*files_ooxml_types); i++)
		if (files_has_ci(ct, (size_t)zs.size,
		                 files_ooxml_types[i][0])) {
			*mime = files_ooxml_types[i][1];
			rc = 0;
			goto done;
		}
	snprintf(found, foundlen, "a zip archive");
done:
	if (zf != NULL)
		zip_fclose(zf);
	if (z != NULL)
		zip_discard(z);
	free(ct);
	return rc;
}

/* 1 when the 128-byte OLE directory entry at e is named name (ASCII,
 * case-insensitive), by its UTF-16LE name and its length field. */
static int
files_ole_entry_is(const unsigned char *e, const char *name)
{
	size_t k = strlen(name);
	unsigned namelen = (unsigned)e[64] | (unsigned)e[65] << 8;

	if (namelen != (k + 1) * 2 || (e[66] != 1 && e[66] != 2))
		return 0;
	for (size_t i = 0; i < k; i++)
		if (e[2 * i + 1] != 0 ||
		    strncasecmp((const char *)&e[2 * i], &name[i], 1) != 0)
			return 0;
	return 1;
}

/*
 * A legacy Office file (OLE compound file): refused when a directory
 * entry names a VBA storage or stream ("Macros" in Word, "_VBA_PROJECT_CUR"
 * in Excel, "_VBA_PROJECT" and "VBA" anywhere). Directory entries are
 * 128 bytes at 128-byte boundaries of the file (sectors are 512 or 4096
 * bytes), so every boundary is read as an entry and checked by its name
 * and name length, without following the FAT: a directory sector the
 * FAT does not reach is still looked at, which can only refuse more.
 * The kind comes from the main stream ("WordDocument", "Workbook" or
 * "Book", "PowerPoint Document").
 */
static int
files_ole(const void *data, size_t len, const char **mime, char *found,
          size_t foundlen)
{
	static const unsigned char sig[8] = {0xd0, 0xcf, 0x11, 0xe0,
	                                     0xa1, 0xb1, 0x1a, 0xe1};
	static const char *const vba[] = {"Macros", "_VBA_PROJECT_CUR",
	                                  "_VBA_PROJECT", "VBA"};
	const unsigned char *b = data;
	const char *kind = NULL;

	*mime = NULL;
	if (len < 1024 || memcmp(b, sig, sizeof(sig)) != 0) {
		snprintf(found, foundlen, "a damaged Office file");
		return -1;
	}
	for (size_t off = 512; off + 128 <= len; off += 128) {
		const unsigned char *e = b + off;

		for (size_t i = 0; i < sizeof(vba) / sizeof(*vba); i++)
			if (files_ole_entry_is(e, vba[i])) {
				snprintf(found, foundlen,
				         "an Office document with macros (%s)",
				         vba[i]);
				return -1;
			}
		if (kind != NULL)
			continue;
		if (files_ole_entry_is(e, "WordDocument"))
			kind = "application/msword";
		else if (files_ole_entry_is(e, "Workbook") ||
		         files_ole_entry_is(e, "Book"))
			kind = "application/vnd.ms-excel";
		else if (files_ole_entry_is(e, "PowerPoint Document"))
			kind = "application/vnd.ms-powerpoint";
	}
	if (kind == NULL) {
		snprintf(found, foundlen, "an OLE compound file (not Office)");
		return -1;
	}
	*mime = kind;
	return 0;
}

static int
files_magic(const void *data, size_t len, char *out, size_t outlen)
{
	const char *m;
	int rc = -1;

	pthread_mutex_lock(&filestore.mu);
	if (filestore.magic != NULL) {
		m = magic_buffer(filestore.magic, data,
		                 len > FILES_SNIFF_BYTES ? FILES_SNIFF_BYTES
		                                         : len);
		if (m != NULL) {
			snprintf(out, outlen, "%s", m);
			rc = 0;
		}
	}
	pthread_mutex_unlock(&filestore.mu);
	return rc;
}

int
files_sniff(const void *data, size_t len, const char **mime, int *image,
            char *found, size_t foundlen)
{
	char m[128];

	*mime = NULL;
	*image = 0;
	if (len == 0) {
		snprintf(found, foundlen, "an empty file");
		return -1;
	}
	if (files_magic(data, len, m, sizeof(m)) != 0) {
		snprintf(found, foundlen, "unknown");
		return -1;
	}
	snprintf(found, foundlen, "%s", m);
	for (size_t i = 0; i < sizeof(files_plain) / sizeof(*files_plain); i++)
		if (strcmp(m, files_plain[i].found) == 0) {
			*mime = files_plain[i].mime;
			*image = files_plain[i].image;
			return 0;
		}
	if (strncmp(m, "application/vnd.openxmlformats-officedocument.", 46) ==
	        0 ||
	    strncmp(m, "application/vnd.ms-word.", 24) == 0 ||
	    strncmp(m, "application/vnd.ms-excel.", 25) == 0 ||
	    strncmp(m, "application/vnd.ms-powerpoint.", 30) == 0 ||
	    strcmp(m, "application/zip") == 0 ||
	    strcmp(m, "application/octet-stream") == 0) {
		/* A zip of unknown order: libmagic knows OOXML only when
		 * [Content_Types].xml comes first. Macro-enabled types
		 * (…macroEnabled.12) are refused by the look inside. */
		if (len >= 4 && memcmp(data, "PK\3\4", 4) == 0)
			return files_ooxml(data, len, mime, found, foundlen);
		if (len >= 8 && memcmp(data, "\xd0\xcf\x11\xe0", 4) == 0)
			return files_ole(data, len, mime, found, foundlen);
		return -1;
	}
	if (strcmp(m, "application/msword") == 0 ||
	    strcmp(m, "application/vnd.ms-excel") == 0 ||
	    strcmp(m, "application/vnd.ms-powerpoint") == 0 ||
	    strcmp(m, "application/vnd.ms-office") == 0 ||
	    strcmp(m, "application/x-ole-storage") == 0 ||
	    strcmp(m, "application/CDFV2") == 0)
		return files_ole(data, len, mime, found, foundlen);
	return -1;
}

/* ---- blobs --------------------------------------------------------------- */

int
filestore_hash_fd(int fd, char hex[65], int64_t *size)
{
	crypto_hash_sha256_state h;
	unsigned char buf[16384], out[crypto_hash_sha256_BYTES];
	int64_t total = 0;
	ssize_t n;

	crypto_hash_sha256_init(&h);
	while ((n = pread(fd, buf, sizeof(buf), (off_t)total)) > 0) {
		crypto_hash_sha256_update(&h, buf, (unsigned long long)n);
		total += n;
	}
	if (n < 0)
		return -1;
	crypto_hash_sha256_final(&h, out);
	sodium_bin2hex(hex, 65, out, sizeof(out));
	*size = total;
	return 0;
}

int
filestore_mime_path(const char *path, char *out, size_t outlen)
{
	const char *m = NULL;

	pthread_mutex_lock(&filestore.mu);
	if (filestore.magic != NULL)
		m = magic_file(filestore.magic, path);
	if (m != NULL)
		snprintf(out, outlen, "%s", m);
	pthread_mutex_unlock(&filestore.mu);
	return m != NULL ? 0 : -1;
}

static int
filestore_hex_ok(const char *hex)
{
	if (strlen(hex) != 64)
		return 0;
	for (const char *p = hex; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	return 1;
}

static int
filestore_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
filestore_place(const char *tmp, const char *hex)
{
	char d1[PATH_MAX], d2[PATH_MAX + 8], path[PATH_MAX + 80];
	struct stat st;
	int made1, made2;

	if (!filestore_hex_ok(hex))
		return -1;
	snprintf(d1, sizeof(d1), "%s/files/%.2s", app.data_dir, hex);
	snprintf(d2, sizeof(d2), "%s/%.2s", d1, hex + 2);
	snprintf(path, sizeof(path), "%s/%s", d2, hex);
	made1 = stat(d1, &st) != 0;
	if (made1 && filestore_mkdir(d1) != 0)
		return -1;
	made2 = stat(d2, &st) != 0;
	if (made2 && filestore_mkdir(d2) != 0)
		return -1;
	if (rename(tmp, path) != 0)
		return -1;
	/* the new entry, and the new directories' entries in theirs */
	if (filestore_fsync_dir(d2) != 0)
		return -1;
	if (made2 && filestore_fsync_dir(d1) != 0)
		return -1;
	if (made1) {
		char top[PATH_MAX];

		snprintf(top, sizeof(top), "%s/files", app.data_dir);
		if (filestore_fsync_dir(top) != 0)
			return -1;
	}
	return 0;
}

int
filestore_open(const char *hex)
{
	char path[PATH_MAX];

	if (!filestore_hex_ok(hex))
		return -1;
	snprintf(path, sizeof(path), "%s/files/%.2s/%.2s/%s", app.data_dir, hex,
	         hex + 2, hex);
	return open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
}

/* ---- the sweep ----------------------------------------------------------- */

/* Unlinks the blobs of one fan-out directory that no variant names. In
 * the caller's write transaction. The number removed. */
static int64_t
filestore_sweep_dir(jx_db *db, const char *dir)
{
	char path[PATH_MAX + 80];
	struct dirent *e;
	int64_t n = 0;
	DIR *d = opendir(dir);

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (!filestore_hex_ok(e->d_name))
			continue;
		if (db_one(db, "SELECT 1 FROM file_variants WHERE blob = ?",
		           "s", e->d_name) != 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >=
		    (int)sizeof(path))
			continue;
		if (unlink(path) == 0)
			n++;
	}
	closedir(d);
	return n;
}

/* Each of the 256 top directories in a write transaction of its own:
 * uploads wait for one directory's look-ups, not the whole store's. */
static int64_t
filestore_sweep_blobs(jx_db *db)
{
	char top[PATH_MAX], d1[PATH_MAX + 264], d2[PATH_MAX + 528];
	struct dirent *a, *b;
	DIR *da, *db2;
	int64_t n = 0;

	snprintf(top, sizeof(top), "%s/files", app.data_dir);
	da = opendir(top);
	if (da == NULL)
		return 0;
	while ((a = readdir(da)) != NULL) {
		if (strlen(a->d_name) != 2 || a->d_name[0] == '.')
			continue;
		snprintf(d1, sizeof(d1), "%s/%s", top, a->d_name);
		db2 = opendir(d1);
		if (db2 == NULL)
			continue;
		if (db_begin(db) != 0) {
			closedir(db2);
			break;
		}
		while ((b = readdir(db2)) != NULL) {
			if (strlen(b->d_name) != 2 || b->d_name[0] == '.')
				continue;
			snprintf(d2, sizeof(d2), "%s/%s", d1, b->d_name);
			n += filestore_sweep_dir(db, d2);
		}
		closedir(db2);
		if (db_commit(db) != 0)
			break;
	}
	closedir(da);
	return n;
}

int64_t
files_sweep(jx_db *db)
{
	int64_t now = jx_now(), grace, files = 0, blobs = 0;
	int prev = host_enter();

	grace = config_int(&app.cfg, "files.orphan_grace_seconds", FILES_DAY);
	if (db_begin(db) != 0)
		goto fail;
	/* the bytes of the files that go, taken off their schools' counts */
	if (db_exec(db,
	            "UPDATE file_usage SET bytes = bytes - (SELECT "
	            "COALESCE(SUM(f.size), 0) FROM files f WHERE f.school_id = "
	            "file_usage.school_id AND f.created_at < ? AND NOT EXISTS "
	            "(SELECT 1 FROM file_uses u WHERE u.file_id = f.id))",
	            "i", now - grace) < 0 ||
	    db_exec(
	        db,
	        "DELETE FROM file_variants WHERE file_id IN (SELECT f.id "
	        "FROM files f WHERE f.created_at < ? AND NOT EXISTS (SELECT "
	        "1 FROM file_uses u WHERE u.file_id = f.id))",
	        "i", now - grace) < 0 ||
	    (files = db_exec(db,
	                     "DELETE FROM files WHERE created_at < ? AND NOT "
	                     "EXISTS (SELECT 1 FROM file_uses u WHERE "
	                     "u.file_id = files.id)",
	                     "i", now - grace)) < 0)
		goto rollback;
	if (db_commit(db) != 0)
		goto fail;
	/* Inside write transactions: an upload places its blobs inside its
	 * own, so none is unlinked between its placing and its row. */
	blobs = filestore_sweep_blobs(db);
	filestore_tmp_clean(now - FILES_DAY);
	host_leave(prev);
	if (files > 0 || blobs > 0)
		jx_log(JX_LOG_INFO, "files",
		       "sweep: %lld files no row used, %lld blobs removed",
		       (long long)files, (long long)blobs);
	return files;
rollback:
	db_rollback(db);
fail:
	host_leave(prev);
	jx_log(JX_LOG_WARN, "files", "sweep failed: %s", db_errmsg(db));
	return -1;
}

void
files_sweep_due(jx_db *db)
{
	int64_t now = jx_now();

	if (filestore.last_sweep != 0 && now - filestore.last_sweep < FILES_DAY)
		return;
	filestore.last_sweep = now;
	files_sweep(db);
}
