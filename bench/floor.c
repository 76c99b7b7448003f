/*
 * floor.c — the import benchmark's floor (bench/import.sh): the time SQLite
 * alone takes to insert the rows a student import of N students with two
 * parents each writes, on the host's own tables and indexes, with the
 * host's connection settings (WAL, synchronous=FULL, foreign keys), in one
 * transaction of prepared statements. An import cannot be faster than
 * this; the benchmark reports the import as a multiple of it.
 *
 * Rows: per student a person, a student, an account and an identity; per
 * parent (2N, each phone distinct) a person, an account, an identity and
 * a guardian link. Values have the shapes the import stores (sealed ID
 * numbers and initial passwords as base64 text of the same length, keyed
 * hashes as 64 hex digits in random order, logins, masks), so the
 * B-trees grow as they do in the server.
 *
 * The schema is the host's own: its migrations run first, so the floor
 * always measures the tables and indexes the server has.
 *
 * usage: floor [-n N] [DIR]   (DIR for the temporary database [$TMPDIR])
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "host.h"

enum {
	FLOOR_PERSON,
	FLOOR_STUDENT,
	FLOOR_ACCOUNT,
	FLOOR_IDENTITY,
	FLOOR_GUARDIAN,
	FLOOR_NSTMT
};

static const char *const floor_sql[FLOOR_NSTMT] = {
    "INSERT INTO persons(name, gender, phone, created_at) VALUES (?, ?, ?, "
    "?)",
    "INSERT INTO students(person_id, school_id, class_id, national_no_enc, "
    "city_no, id_number_enc, id_number_hash, id_number_masked, created_at, "
    "national_no_hash, national_no_masked) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "INSERT INTO accounts(person_id, login, initial_password, "
    "initial_expires_at, must_change_password, created_at) VALUES (?, ?, "
    "?, ?, 1, ?)",
    "INSERT INTO identities(account_id, role, district_id, school_id, "
    "student_id, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    "INSERT INTO guardians(parent_id, student_id, relation, created_at) "
    "VALUES (?, ?, ?, ?)",
};

static const char *const floor_prefixes[9] = {"135", "136", "137", "150", "152",
                                              "158", "183", "186", "188"};

static uint64_t
floor_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* n characters of pseudo-random text from seed (hex or base64url). */
static void
floor_text(uint64_t seed, const char *alphabet, char *out, size_t n)
{
	size_t k = strlen(alphabet);
	uint64_t r = 0;

	for (size_t i = 0; i < n; i++) {
		if (i % 8 == 0)
			r = floor_mix(seed * 131 + i);
		out[i] = alphabet[r % k];
		r >>= 8;
	}
	out[n] = '\0';
}

#define FLOOR_HEX "0123456789abcdef"
#define FLOOR_B64                                                              \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
/* crypto_seal: base64url(24-byte nonce + text + 16-byte tag). */
#define FLOOR_SEALED(len) (((24 + (len) + 16) * 4 + 2) / 3)

static double
floor_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds of this process (user + system). */
static double
floor_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int
floor_step(sqlite3 *db, sqlite3_stmt *st, int64_t *id)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "floor: %s\n", sqlite3_errmsg(db));
		return -1;
	}
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(db);
	return 0;
}

static int64_t
floor_account(sqlite3 *db, sqlite3_stmt **st, int64_t person, const char *login,
              uint64_t seed, int64_t now)
{
	char sealed[FLOOR_SEALED(8) + 1];
	int64_t id;

	floor_text(seed, FLOOR_B64, sealed, FLOOR_SEALED(8));
	sqlite3_bind_int64(st[FLOOR_ACCOUNT], 1, person);
	sqlite3_bind_text(st[FLOOR_ACCOUNT], 2, login, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st[FLOOR_ACCOUNT], 3, sealed, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st[FLOOR_ACCOUNT], 4, now + 30 * 86400);
	sqlite3_bind_int64(st[FLOOR_ACCOUNT], 5, now);
	return floor_step(db, st[FLOOR_ACCOUNT], &id) == 0 ? id : -1;
}

static int
floor_identity(sqlite3 *db, sqlite3_stmt **st, int64_t account,
               const char *role, int64_t student, int64_t now)
{
	sqlite3_bind_int64(st[FLOOR_IDENTITY], 1, account);
	sqlite3_bind_text(st[FLOOR_IDENTITY], 2, role, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st[FLOOR_IDENTITY], 3, 1);
	sqlite3_bind_int64(st[FLOOR_IDENTITY], 4, 1);
	sqlite3_bind_int64(st[FLOOR_IDENTITY], 5, student);
	sqlite3_bind_int64(st[FLOOR_IDENTITY], 6, now);
	return floor_step(db, st[FLOOR_IDENTITY], NULL);
}

static int64_t
floor_person(sqlite3 *db, sqlite3_stmt **st, const char *name,
             const char *gender, const char *phone, int64_t now)
{
	int64_t id;

	sqlite3_bind_text(st[FLOOR_PERSON], 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st[FLOOR_PERSON], 2, gender, -1, SQLITE_STATIC);
	if (phone != NULL)
		sqlite3_bind_text(st[FLOOR_PERSON], 3, phone, -1,
		                  SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st[FLOOR_PERSON], 3);
	sqlite3_bind_int64(st[FLOOR_PERSON], 4, now);
	return floor_step(db, st[FLOOR_PERSON], &id) == 0 ? id : -1;
}

/* One student with two parents: 4 + 2 * 4 rows. */
static int
floor_row(sqlite3 *db, sqlite3_stmt **st, uint64_t i, int64_t now)
{
	char national[FLOOR_SEALED(19) + 1], city[32],
	    enc[FLOOR_SEALED(18) + 1];
	char hash[65], nhash[65], masked[32], nmasked[32], login[24];
	int64_t student, account;

	student = floor_person(db, st, "王子轩", "男", NULL, now);
	if (student < 0)
		return -1;
	/* 全国学籍号 as the benchmark's sheet has them (G numbers: nine
	 * grades, each a rising sequence, bench/mkstudents.c), stored as
	 * the import stores them: sealed, hashed, masked. */
	floor_text(i * 4 + 5, FLOOR_B64, national, FLOOR_SEALED(19));
	floor_text(i * 4 + 6, FLOOR_HEX, nhash, 64);
	snprintf(nmasked, sizeof(nmasked), "G430***********%04llu",
	         (unsigned long long)(i / 9 % 10000));
	snprintf(city, sizeof(city), "4301%010llu", (unsigned long long)i);
	floor_text(i * 4 + 1, FLOOR_B64, enc, FLOOR_SEALED(18));
	floor_text(i * 4 + 2, FLOOR_HEX, hash, 64);
	snprintf(masked, sizeof(masked), "430***********%04llu",
	         (unsigned long long)(i % 10000));
	sqlite3_bind_int64(st[FLOOR_STUDENT], 1, student);
	sqlite3_bind_int64(st[FLOOR_STUDENT], 2, 1);
	sqlite3_bind_int64(st[FLOOR_STUDENT], 3, 1 + (int64_t)(i % 180));
	sqlite3_bind_text(st[FLOOR_STUDENT], 4, national, -1, SQLITE_STATIC);
	sqlite3_bind_text(st[FLOOR_STUDENT], 5, city, -1, SQLITE_STATIC);
	sqlite3_bind_text(st[FLOOR_STUDENT], 6, enc, -1, SQLITE_STATIC);
	sqlite3_bind_text(st[FLOOR_STUDENT], 7, hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st[FLOOR_STUDENT], 8, masked, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st[FLOOR_STUDENT], 9, now);
	sqlite3_bind_text(st[FLOOR_STUDENT], 10, nhash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st[FLOOR_STUDENT], 11, nmasked, -1, SQLITE_STATIC);
	if (floor_step(db, st[FLOOR_STUDENT], NULL) != 0)
		return -1;
	/* Student logins are 8 random digits: a bijection of i onto
	 * 10000000..99999999 (48271 is coprime to 9 * 10^7). */
	snprintf(login, sizeof(login), "%08llu",
	         (unsigned long long)(i * 48271 % 90000000ULL + 10000000ULL));
	account = floor_account(db, st, student, login, i * 4 + 3, now);
	if (account < 0 ||
	    floor_identity(db, st, account, "student", student, now) != 0)
		return -1;
	for (int p = 0; p < 2; p++) {
		uint64_t k = 2 * i + (uint64_t)p;
		char phone[12];
		int64_t parent;

		/* the sheet's phones (bench/mkstudents.c) */
		snprintf(phone, sizeof(phone), "%s%08llu",
		         floor_prefixes[k % 9],
		         (unsigned long long)((k / 9 * 7 + 31415926) %
		                              100000000ULL));
		parent =
		    floor_person(db, st, "王建国", p ? "女" : "男", phone, now);
		if (parent < 0)
			return -1;
		account =
		    floor_account(db, st, parent, phone, k + 0x7000000, now);
		if (account < 0 || floor_identity(db, st, account, "parent",
		                                  student, now) != 0)
			return -1;
		sqlite3_bind_int64(st[FLOOR_GUARDIAN], 1, parent);
		sqlite3_bind_int64(st[FLOOR_GUARDIAN], 2, student);
		sqlite3_bind_text(st[FLOOR_GUARDIAN], 3, p ? "母亲" : "父亲",
		                  -1, SQLITE_STATIC);
		sqlite3_bind_int64(st[FLOOR_GUARDIAN], 4, now);
		if (floor_step(db, st[FLOOR_GUARDIAN], NULL) != 0)
			return -1;
	}
	return 0;
}

static int
floor_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "floor: %s\n", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *dir = getenv("TMPDIR");
	unsigned long long n = 100000;
	sqlite3 *db = NULL;
	sqlite3_stmt *st[FLOOR_NSTMT] = {0};
	char path[4096], *end;
	int64_t now = (int64_t)time(NULL);
	double t0, t1, c0, c1;
	int c, rc = 1, fd;

	while ((c = getopt(argc, argv, "n:")) != -1) {
		if (c != 'n')
			goto usage;
		n = strtoull(optarg, &end, 10);
		if (*end != '\0' || n == 0 || n > 10000000)
			goto usage;
	}
	if (optind < argc - 1)
		goto usage;
	if (optind == argc - 1)
		dir = argv[optind];
	snprintf(path, sizeof(path), "%s/jx-floor-XXXXXX.db",
	         dir ? dir : "/tmp");
	fd = mkstemps(path, 3);
	if (fd < 0) {
		perror("floor: mkstemps");
		return 1;
	}
	close(fd);
	{
		char err[256];
		jx_db *h = db_open(path);

		log_set_level(JX_LOG_WARN);
		if (h == NULL || migrate_apply(h, "host", host_migrations, err,
		                               sizeof(err)) != 0) {
			fprintf(stderr, "floor: schema: %s\n",
			        h ? err : "cannot open");
			db_close(h);
			goto done;
		}
		db_close(h);
	}
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		fprintf(stderr, "floor: cannot open %s\n", path);
		goto done;
	}
	/* The host's connection settings (host/db.c). */
	if (floor_exec(
	        db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	            "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;") != 0 ||
	    floor_exec(
	        db, "INSERT INTO districts(id, code, name, created_at) VALUES "
	            "(1, '430104', '岳麓区', 0); INSERT INTO schools VALUES "
	            "(1, 1, 'B1', '基准学校',"
	            " 'nine_year', 0);") != 0)
		goto done;
	for (int g = 1; g <= 9; g++)
		for (int k = 1; k <= 20; k++) {
			char sql[160];

			snprintf(sql, sizeof(sql),
			         "INSERT INTO classes(school_id, grade, name, "
			         "created_at) VALUES (1, %d, '%d班', 0)",
			         g, k);
			if (floor_exec(db, sql) != 0)
				goto done;
		}
	for (int i = 0; i < FLOOR_NSTMT; i++)
		if (sqlite3_prepare_v3(db, floor_sql[i], -1,
		                       SQLITE_PREPARE_PERSISTENT, &st[i],
		                       NULL) != SQLITE_OK) {
			fprintf(stderr, "floor: %s\n", sqlite3_errmsg(db));
			goto done;
		}

	t0 = floor_seconds();
	c0 = floor_cpu();
	if (floor_exec(db, "BEGIN IMMEDIATE") != 0)
		goto done;
	for (uint64_t i = 0; i < n; i++)
		if (floor_row(db, st, i, now) != 0)
			goto done;
	if (floor_exec(db, "COMMIT") != 0)
		goto done;
	t1 = floor_seconds();
	c1 = floor_cpu();
	printf("floor: %llu students, %llu parents, %llu rows in one "
	       "transaction\n",
	       n, 2 * n, 12 * n);
	printf("seconds %.3f\n", t1 - t0);
	printf("cpu %.3f\n", c1 - c0);
	rc = 0;
done:
	for (int i = 0; i < FLOOR_NSTMT; i++)
		sqlite3_finalize(st[i]);
	sqlite3_close(db);
	unlink(path);
	{
		char side[4200];

		snprintf(side, sizeof(side), "%s-wal", path);
		unlink(side);
		snprintf(side, sizeof(side), "%s-shm", path);
		unlink(side);
	}
	return rc;
usage:
	fprintf(stderr, "usage: floor [-n N] [DIR]\n");
	return 2;
}
