/*
 * db.c — the host's database API over SQLite: one connection per worker
 * thread, WAL with synchronous=FULL (committed means durable), foreign
 * keys, a busy timeout, a per-connection prepared-statement cache, and
 * write transactions that always start with BEGIN IMMEDIATE (so WAL never
 * answers SQLITE_BUSY_SNAPSHOT half-way through a transaction).
 *
 * Plugins reach this only through struct jx_host, in the portable SQL
 * subset of DESIGN.md, so that a PostgreSQL driver can sit behind the
 * same calls later.
 */
#include "host.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include <sqlite3.h>

#define DB_CACHE_SLOTS 256 /* power of two */

struct jx_stmt {
	sqlite3_stmt *st;
	struct jx_db *db;
	struct jx_stmt *next_same; /* other instances of the same SQL */
	struct jx_stmt *next_all;
	unsigned hash;
	int busy;   /* handed out and not yet finished */
	int plugin; /* prepared while plugin code ran (db_in_plugin) */
};

struct jx_db {
	sqlite3 *conn;
	struct jx_stmt *slots[DB_CACHE_SLOTS];
	/* The statement last prepared from a given text pointer (SQL is
	 * mostly a string literal): found again without hashing the text,
	 * still compared in full. */
	struct {
		const char *sql;
		struct jx_stmt *st;
	} recent[DB_CACHE_SLOTS];
	struct jx_stmt *all;
	int depth;       /* open transaction levels */
	int audit_added; /* the open transaction appended to the audit log */
	int full;        /* the last storage error was a full disk */
	char err[512];
};

/* ---- host tables and who may write them ------------------------------ */

/* The tables host_migrations create (test_db checks that they match). */
const char *const db_host_tables[] = {
    "jobs",      "districts",       "schools",        "persons",
    "classes",   "accounts",        "identities",     "teachers",
    "teaching",  "students",        "guardians",      "sessions",
    "audit_log", "recovery_codes",  "outbox",         "rule_versions",
    "host_meta", "schema_versions", "files",          "file_variants",
    "file_uses", "file_usage",      "host_revisions", NULL};

/* 1: plugin code runs on this thread outside any host service. */
static _Thread_local int db_plugin_running;

int
host_enter(void)
{
	int prev = db_plugin_running;

	db_plugin_running = 0;
	return prev;
}

void
host_leave(int prev)
{
	db_plugin_running = prev;
}

int
plugin_enter(void)
{
	int prev = db_plugin_running;

	db_plugin_running = 1;
	return prev;
}

void
plugin_leave(int prev)
{
	db_plugin_running = prev;
}

int
db_in_plugin(void)
{
	return db_plugin_running;
}

#ifdef JX_TESTING
static int
db_host_table(const char *name)
{
	if (name == NULL)
		return 0;
	for (int i = 0; db_host_tables[i] != NULL; i++)
		if (strcmp(db_host_tables[i], name) == 0)
			return 1;
	return 0;
}

/* What plugin code may not read (docs/host-schema.md): sessions and
 * recovery codes not at all, the secrets of accounts and the outbox's
 * parameters (recovery codes) never; host_accounts and host_outbox are
 * the views without them. Other columns stay readable in the tables so
 * that a plugin's foreign key to accounts(id) can be checked. */
static int
db_read_refused(const char *table, const char *column, const char *view)
{
	static const char *const secret[] = {"accounts", "password_hash",
	                                     "accounts", "initial_password",
	                                     "accounts", "initial_expires_at",
	                                     "accounts", "initial_needs_code",
	                                     "outbox",   "params",
	                                     NULL};

	if (table == NULL)
		return 0;
	/* The host's views read them to say whether a password is set. */
	if (view != NULL && (strcmp(view, "host_accounts") == 0 ||
	                     strcmp(view, "host_outbox") == 0))
		return 0;
	if (strcmp(table, "sessions") == 0 ||
	    strcmp(table, "recovery_codes") == 0)
		return 1;
	for (int i = 0; secret[i] != NULL; i += 2)
		if (column != NULL && strcmp(secret[i], table) == 0 &&
		    strcmp(secret[i + 1], column) == 0)
			return 1;
	return 0;
}

/* SQLite asks this while preparing a statement: a write or DDL on a host
 * table, or a read db_read_refused names, prepared while plugin code runs
 * is refused (the prepare fails with SQLITE_AUTH). The statement cache keeps
 * the mode a statement was prepared in (db_prepare), so a host service's
 * statement is never handed to a plugin. Only in test builds: it proves that
 * plugins write host tables through host functions alone (docs/host-schema.md).
 */
static int
db_authorize(void *ud, int action, const char *a, const char *b,
             const char *dbname, const char *trigger)
{
	const char *table = NULL;

	(void)ud;
	(void)dbname;
	if (!db_plugin_running)
		return SQLITE_OK;
	if (action == SQLITE_READ && db_read_refused(a, b, trigger)) {
		jx_log(JX_LOG_ERROR, "db",
		       "refused: plugin code reads %s.%s (read what "
		       "docs/host-schema.md allows)",
		       a, b ? b : "");
		return SQLITE_DENY;
	}
	switch (action) {
	case SQLITE_INSERT:
	case SQLITE_UPDATE:
	case SQLITE_DELETE:
	case SQLITE_CREATE_TABLE:
	case SQLITE_DROP_TABLE:
	case SQLITE_CREATE_TEMP_TABLE:
	case SQLITE_DROP_TEMP_TABLE: table = a; break;
	case SQLITE_ALTER_TABLE:
	case SQLITE_CREATE_INDEX:
	case SQLITE_DROP_INDEX:
	case SQLITE_CREATE_TRIGGER:
	case SQLITE_DROP_TRIGGER: table = b; break;
	default: return SQLITE_OK;
	}
	if (!db_host_table(table))
		return SQLITE_OK;
	jx_log(JX_LOG_ERROR, "db",
	       "refused: plugin code writes the host table %s (use the host's "
	       "functions, docs/host-schema.md)",
	       table);
	return SQLITE_DENY;
}
#endif

static unsigned
db_hash(const char *s)
{
	unsigned h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static void
db_set_error(jx_db *db, const char *what)
{
	int code = sqlite3_extended_errcode(db->conn);

	snprintf(db->err, sizeof(db->err), "%s: %s (%d)", what,
	         sqlite3_errmsg(db->conn), code);
	/* SQLite answers SQLITE_FULL for ENOSPC on its own writes; an
	 * I/O error whose cause was ENOSPC or EDQUOT (the WAL index, a
	 * sync) is the same full disk. */
	if ((code & 0xff) == SQLITE_FULL ||
	    ((code & 0xff) == SQLITE_IOERR &&
	     (sqlite3_system_errno(db->conn) == ENOSPC ||
	      sqlite3_system_errno(db->conn) == EDQUOT)))
		db->full = 1;
	/* Storage failures are never silent. */
	switch (code & 0xff) {
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_CANTOPEN: jx_log(JX_LOG_ERROR, "db", "%s", db->err); break;
	default: break;
	}
}

/* The database and its -wal and -shm files are the owner's only (mode
 * 0600). The process's umask (077, set in main) makes new ones so; a
 * file an older version left readable by others is narrowed here. */
static void
db_private(const char *path)
{
	static const char *const suffix[] = {"", "-wal", "-shm"};
	char name[4096];
	struct stat st;

	for (size_t i = 0; i < sizeof(suffix) / sizeof(*suffix); i++) {
		snprintf(name, sizeof(name), "%s%s", path, suffix[i]);
		if (stat(name, &st) == 0 && (st.st_mode & 077) != 0 &&
		    chmod(name, st.st_mode & 0700) != 0)
			jx_log(JX_LOG_WARN, "db", "cannot make %s private",
			       name);
	}
}

jx_db *
db_open(const char *path)
{
	static const char pragmas[] = "PRAGMA journal_mode=WAL;"
	                              "PRAGMA synchronous=FULL;"
	                              "PRAGMA foreign_keys=ON;"
	                              "PRAGMA temp_store=MEMORY;";
	jx_db *db = calloc(1, sizeof(*db));
	char *msg = NULL;

	if (db == NULL)
		return NULL;
	if (sqlite3_open_v2(path, &db->conn,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                        SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK) {
		jx_log(JX_LOG_ERROR, "db", "cannot open %s: %s", path,
		       db->conn ? sqlite3_errmsg(db->conn) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(db->conn, 1);
	sqlite3_busy_timeout(db->conn, 10000);
#ifdef JX_TESTING
	sqlite3_set_authorizer(db->conn, db_authorize, NULL);
#endif
	if (sqlite3_exec(db->conn, pragmas, NULL, NULL, &msg) != SQLITE_OK) {
		jx_log(JX_LOG_ERROR, "db", "cannot configure %s: %s", path,
		       msg ? msg : "?");
		sqlite3_free(msg);
		goto fail;
	}
	db_private(path);
	return db;
fail:
	sqlite3_close(db->conn);
	free(db);
	return NULL;
}

void
db_close(jx_db *db)
{
	struct jx_stmt *s, *next;

	if (db == NULL)
		return;
	for (s = db->all; s != NULL; s = next) {
		next = s->next_all;
		sqlite3_finalize(s->st);
		free(s);
	}
	if (db->depth > 0)
		sqlite3_exec(db->conn, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db->conn);
	free(db);
}

int
db_version(jx_db *db, unsigned *data_version, int64_t *changes)
{
	*data_version = 0;
	*changes = 0;
	if (db == NULL || db->depth > 0 || !sqlite3_get_autocommit(db->conn))
		return 0;
	if (sqlite3_file_control(db->conn, "main", SQLITE_FCNTL_DATA_VERSION,
	                         data_version) != SQLITE_OK)
		return 0;
	*changes = (int64_t)sqlite3_total_changes64(db->conn);
	return 1;
}

struct sqlite3 *
db_handle(jx_db *db)
{
	return db->conn;
}

void
db_reset_all(jx_db *db)
{
	for (struct jx_stmt *s = db->all; s != NULL; s = s->next_all)
		if (s->busy)
			db_finish(s);
	/* A handler that returned inside a transaction loses it: nothing
	 * half-done is ever committed by accident. */
	if (db->depth > 0) {
		jx_log(JX_LOG_WARN, "db", "transaction left open; rolled back");
		sqlite3_exec(db->conn, "ROLLBACK", NULL, NULL, NULL);
		db->depth = 0;
	}
	db->audit_added = 0;
	db->full = 0;
}

int
db_storage_full(jx_db *db)
{
	return db->full;
}

const char *
db_path(jx_db *db)
{
	return sqlite3_db_filename(db->conn, "main");
}

void
db_audit_added(jx_db *db)
{
	db->audit_added = 1;
}

static struct jx_stmt *
db_prepare(jx_db *db, const char *sql)
{
	size_t r = ((uintptr_t)sql >> 3) & (DB_CACHE_SLOTS - 1);
	unsigned h;
	struct jx_stmt **slot, *s = db->recent[r].st;

	if (db->recent[r].sql == sql && s != NULL && !s->busy &&
	    s->plugin == db_plugin_running &&
	    strcmp(sqlite3_sql(s->st), sql) == 0)
		goto found;
	h = db_hash(sql);
	slot = &db->slots[h & (DB_CACHE_SLOTS - 1)];
	for (s = *slot; s != NULL; s = s->next_same)
		if (!s->busy && s->hash == h &&
		    s->plugin == db_plugin_running &&
		    strcmp(sqlite3_sql(s->st), sql) == 0)
			goto found;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	if (sqlite3_prepare_v3(db->conn, sql, -1, SQLITE_PREPARE_PERSISTENT,
	                       &s->st, NULL) != SQLITE_OK) {
		db_set_error(db, "prepare");
		jx_log(JX_LOG_ERROR, "db", "%s in: %.200s", db->err, sql);
		free(s);
		return NULL;
	}
	s->db = db;
	s->hash = h;
	s->plugin = db_plugin_running;
	s->next_same = *slot;
	*slot = s;
	s->next_all = db->all;
	db->all = s;
found:
	db->recent[r].sql = sql;
	db->recent[r].st = s;
	s->busy = 1;
	return s;
}

static int
db_bind(struct jx_stmt *s, const char *types, va_list ap)
{
	int n = sqlite3_bind_parameter_count(s->st);
	int i = 0, rc = SQLITE_OK;

	for (; types != NULL && types[i] != '\0' && rc == SQLITE_OK; i++) {
		switch (types[i]) {
		case 'i':
			rc = sqlite3_bind_int64(s->st, i + 1,
			                        va_arg(ap, int64_t));
			break;
		case 's': {
			const char *v = va_arg(ap, const char *);

			rc = v ? sqlite3_bind_text(s->st, i + 1, v, -1,
			                           SQLITE_TRANSIENT)
			       : sqlite3_bind_null(s->st, i + 1);
			break;
		}
		case 'f':
			rc = sqlite3_bind_double(s->st, i + 1,
			                         va_arg(ap, double));
			break;
		case 'n': rc = sqlite3_bind_null(s->st, i + 1); break;
		default:
			snprintf(s->db->err, sizeof(s->db->err),
			         "bad bind type '%c'", types[i]);
			return -1;
		}
	}
	if (rc != SQLITE_OK) {
		db_set_error(s->db, "bind");
		return -1;
	}
	if (i != n) {
		snprintf(s->db->err, sizeof(s->db->err),
		         "statement takes %d parameters, %d given: %.200s", n,
		         i, sqlite3_sql(s->st));
		return -1;
	}
	return 0;
}

jx_stmt *
db_vquery(jx_db *db, const char *sql, const char *types, va_list ap)
{
	struct jx_stmt *s = db_prepare(db, sql);

	if (s == NULL)
		return NULL;
	if (db_bind(s, types, ap) != 0) {
		jx_log(JX_LOG_ERROR, "db", "%s", db->err);
		db_finish(s);
		return NULL;
	}
	return s;
}

jx_stmt *
db_query(jx_db *db, const char *sql, const char *types, ...)
{
	va_list ap;
	jx_stmt *s;

	va_start(ap, types);
	s = db_vquery(db, sql, types, ap);
	va_end(ap);
	return s;
}

int
db_step(jx_stmt *st)
{
	int rc = sqlite3_step(st->st);

	if (rc == SQLITE_ROW)
		return JX_DB_ROW;
	if (rc == SQLITE_DONE)
		return JX_DB_DONE;
	db_set_error(st->db, "step");
	return JX_DB_ERROR;
}

int64_t
db_int(jx_stmt *st, int col)
{
	return sqlite3_column_int64(st->st, col);
}

double
db_double(jx_stmt *st, int col)
{
	return sqlite3_column_double(st->st, col);
}

const char *
db_text(jx_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(st->st, col);
}

int
db_is_null(jx_stmt *st, int col)
{
	return sqlite3_column_type(st->st, col) == SQLITE_NULL;
}

void
db_finish(jx_stmt *st)
{
	if (st == NULL)
		return;
	sqlite3_reset(st->st);
	sqlite3_clear_bindings(st->st);
	st->busy = 0;
}

int64_t
db_vexec(jx_db *db, const char *sql, const char *types, va_list ap)
{
	jx_stmt *st = db_vquery(db, sql, types, ap);
	int rc;

	if (st == NULL)
		return -1;
	while ((rc = db_step(st)) == JX_DB_ROW)
		;
	db_finish(st);
	if (rc != JX_DB_DONE)
		return -1;
	return sqlite3_changes64(db->conn);
}

int64_t
db_insert(jx_db *db, const char *sql, const char *types, ...)
{
	va_list ap;
	int64_t n;

	va_start(ap, types);
	n = db_vexec(db, sql, types, ap);
	va_end(ap);
	/* SQLite's RETURNING opens a temporary table for every row: on the
	 * import's hot path the rowid of the insert is much cheaper. A
	 * PostgreSQL driver appends RETURNING id instead. */
	return n == 1 ? sqlite3_last_insert_rowid(db->conn) : -1;
}

int64_t
db_one(jx_db *db, const char *sql, const char *types, ...)
{
	va_list ap;
	jx_stmt *st;
	int64_t v = 0;

	va_start(ap, types);
	st = db_vquery(db, sql, types, ap);
	va_end(ap);
	if (st == NULL)
		return -1;
	switch (db_step(st)) {
	case JX_DB_ROW: v = db_int(st, 0); break;
	case JX_DB_DONE: v = 0; break;
	default: v = -1; break;
	}
	db_finish(st);
	return v;
}

int64_t
db_exec(jx_db *db, const char *sql, const char *types, ...)
{
	va_list ap;
	int64_t n;

	va_start(ap, types);
	n = db_vexec(db, sql, types, ap);
	va_end(ap);
	return n;
}

int
db_exec_script(jx_db *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db->conn, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(db->err, sizeof(db->err), "%s", msg ? msg : "error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int
db_simple(jx_db *db, const char *sql)
{
	if (sqlite3_exec(db->conn, sql, NULL, NULL, NULL) != SQLITE_OK) {
		db_set_error(db, sql);
		return -1;
	}
	return 0;
}

int
db_begin(jx_db *db)
{
	if (db_simple(db,
	              db->depth == 0 ? "BEGIN IMMEDIATE" : "SAVEPOINT jx") != 0)
		return -1;
	db->depth++;
	return 0;
}

int
db_commit(jx_db *db)
{
	if (db->depth == 0) {
		snprintf(db->err, sizeof(db->err), "commit without begin");
		return -1;
	}
	if (db->depth > 1) {
		if (db_simple(db, "RELEASE jx") != 0)
			return -1;
		db->depth--;
		return 0;
	}
	if (db_simple(db, "COMMIT") != 0) {
		/* The data is not durable: undo everything, and say so. */
		sqlite3_exec(db->conn, "ROLLBACK", NULL, NULL, NULL);
		db->depth = 0;
		db->audit_added = 0;
		return -1;
	}
	db->depth = 0;
	/* Only now are the entries durable: the checkpoint outside the
	 * database may lag the log, never lead it. */
	if (db->audit_added) {
		db->audit_added = 0;
		audit_checkpoint(db);
	}
	return 0;
}

int
db_rollback(jx_db *db)
{
	if (db->depth == 0)
		return 0;
	if (db->depth > 1) {
		db->depth--;
		return db_simple(db, "ROLLBACK TO jx; RELEASE jx");
	}
	db->depth = 0;
	db->audit_added = 0;
	return db_simple(db, "ROLLBACK");
}

int
db_in_transaction(jx_db *db)
{
	return db->depth > 0;
}

const char *
db_errmsg(jx_db *db)
{
	return db->err;
}

cJSON *
db_vrows(jx_db *db, const char *sql, const char *types, va_list ap)
{
	jx_stmt *st = db_vquery(db, sql, types, ap);
	cJSON *rows;
	int rc, n;

	if (st == NULL)
		return NULL;
	rows = cJSON_CreateArray();
	n = sqlite3_column_count(st->st);
	while ((rc = db_step(st)) == JX_DB_ROW) {
		cJSON *row = cJSON_CreateObject();

		for (int i = 0; i < n; i++) {
			const char *name = sqlite3_column_name(st->st, i);

			switch (sqlite3_column_type(st->st, i)) {
			case SQLITE_INTEGER:
				cJSON_AddNumberToObject(
				    row, name,
				    (double)sqlite3_column_int64(st->st, i));
				break;
			case SQLITE_FLOAT:
				cJSON_AddNumberToObject(
				    row, name,
				    sqlite3_column_double(st->st, i));
				break;
			case SQLITE_NULL:
				cJSON_AddNullToObject(row, name);
				break;
			default:
				cJSON_AddStringToObject(row, name,
				                        db_text(st, i));
				break;
			}
		}
		cJSON_AddItemToArray(rows, row);
	}
	db_finish(st);
	if (rc != JX_DB_DONE) {
		cJSON_Delete(rows);
		return NULL;
	}
	return rows;
}

cJSON *
db_rows(jx_db *db, const char *sql, const char *types, ...)
{
	va_list ap;
	cJSON *rows;

	va_start(ap, types);
	rows = db_vrows(db, sql, types, ap);
	va_end(ap);
	return rows;
}

int
db_backup(jx_db *db, const char *out, char *err, size_t errlen)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	int rc;

	if (sqlite3_open(out, &dst) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", out,
		         dst ? sqlite3_errmsg(dst) : "out of memory");
		sqlite3_close(dst);
		return -1;
	}
	/* A backup holds everything the database does: 0600 whatever the
	 * umask of the process that makes it. */
	if (chmod(out, S_IRUSR | S_IWUSR) != 0) {
		snprintf(err, errlen, "cannot make %s private", out);
		sqlite3_close(dst);
		return -1;
	}
	b = sqlite3_backup_init(dst, "main", db->conn, "main");
	if (b == NULL) {
		snprintf(err, errlen, "backup: %s", sqlite3_errmsg(dst));
		sqlite3_close(dst);
		return -1;
	}
	/* Copy in steps so writers are not blocked for the whole copy; a
	 * write in between restarts the copy, which stays consistent. */
	do {
		rc = sqlite3_backup_step(b, 256);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(20);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "backup: %s", sqlite3_errstr(rc));
		sqlite3_close(dst);
		return -1;
	}
	rc = sqlite3_close(dst);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "backup: %s", sqlite3_errstr(rc));
		return -1;
	}
	return 0;
}
