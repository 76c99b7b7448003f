/*
 * mkdb.h — what the benchmarks' data writers (mkdistrict.c, mkfeeds.c)
 * share: a deterministic mixer and made-up Chinese names, and SQLite's
 * bulk writing into a data directory's database (open, prepare, exec,
 * step), with errors said on stderr under the program's name.
 */
#ifndef MKDB_H
#define MKDB_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#define MKDB_COUNT(a) (sizeof(a) / sizeof(*(a)))

/* The program's name in messages; main sets it before anything else. */
extern const char *mkdb_prog;

/* splitmix64's finaliser: the same x gives the same number. */
uint64_t mkdb_mix(uint64_t x);

/* A name for seed into out: a surname and one (a quarter of them) or two
 * given-name characters of the lists. */
void mkdb_name(uint64_t seed, const char *const *surnames, size_t nsurnames,
               const char *const *given, size_t ngiven, char *out,
               size_t outlen);

/* sqlite3_exec; 0 or -1. */
int mkdb_exec(sqlite3 *db, const char *sql);

/* Steps an INSERT, resets it and clears its bindings; the new row's id
 * into id when not NULL. 0 or -1. */
int mkdb_step(sqlite3 *db, sqlite3_stmt *st, int64_t *id);

/* Opens DIR/jiaxiao.db for bulk writing (WAL, NORMAL sync, foreign
 * keys, a 256 MiB cache, a 10 s busy timeout) into *db and prepares the
 * n statements of sql into st (hint, when not NULL, is added to a
 * prepare error). 0 or -1; the caller closes *db and finalizes st
 * either way. */
int mkdb_open(const char *dir, sqlite3 **db, const char *const *sql,
              sqlite3_stmt **st, int n, const char *hint);

#endif
