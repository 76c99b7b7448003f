/*
 * mkdb.c — the shared part of the benchmarks' data writers (mkdb.h).
 */
#include "mkdb.h"

#include <stdio.h>
#include <unistd.h>

const char *mkdb_prog = "mkdb";

uint64_t
mkdb_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

void
mkdb_name(uint64_t seed, const char *const *surnames, size_t nsurnames,
          const char *const *given, size_t ngiven, char *out, size_t outlen)
{
	uint64_t r = mkdb_mix(seed);
	const char *s = surnames[r % nsurnames];
	const char *a = given[(r >> 16) % ngiven];
	const char *b = given[(r >> 32) % ngiven];

	if ((r >> 48) % 4 == 0) /* a one-character given name */
		snprintf(out, outlen, "%s%s", s, a);
	else
		snprintf(out, outlen, "%s%s%s", s, a, b);
}

int
mkdb_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", mkdb_prog,
		        msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int
mkdb_step(sqlite3 *db, sqlite3_stmt *st, int64_t *id)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "%s: %s\n", mkdb_prog, sqlite3_errmsg(db));
		return -1;
	}
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(db);
	return 0;
}

int
mkdb_open(const char *dir, sqlite3 **db, const char *const *sql,
          sqlite3_stmt **st, int n, const char *hint)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/jiaxiao.db", dir);
	if (access(path, R_OK | W_OK) != 0 ||
	    sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE, NULL) !=
	        SQLITE_OK) {
		fprintf(stderr, "%s: cannot open %s\n", mkdb_prog, path);
		return -1;
	}
	sqlite3_busy_timeout(*db, 10000);
	if (mkdb_exec(
	        *db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
	             "PRAGMA foreign_keys=ON; PRAGMA cache_size=-262144;") != 0)
		return -1;
	for (int i = 0; i < n; i++)
		if (sqlite3_prepare_v3(*db, sql[i], -1,
		                       SQLITE_PREPARE_PERSISTENT, &st[i],
		                       NULL) != SQLITE_OK) {
			fprintf(stderr, "%s: %s%s\n", mkdb_prog,
			        sqlite3_errmsg(*db), hint ? hint : "");
			return -1;
		}
	return 0;
}
