/*
 * mkdistrict.c — the key-information benchmark's district (bench/keyinfo.sh):
 * writes one district of N students across S schools straight into the
 * SQLite database of a data directory that `jiaxiao init` made (so the
 * host's migrations ran and secret.key exists), with the values a real
 * district has: ID numbers with their GB 11643 check digits and birth
 * dates that fit the grade, 全国学籍号 mostly G + the ID number and some L
 * (temporary) numbers, 12-character 市网学籍号 (43 and ten digits), and a
 * few percent of each missing or wrong (a wrong check digit, a 市网学籍号
 * with a letter, a G number whose embedded ID is broken) and 2% of the
 * 市网学籍号 of the old 10-digit form (4301 and six digits), which the
 * default rules accept and the city's 12-character form does not. ID
 * numbers, and the G numbers that embed them, are sealed, hashed and
 * masked with the data directory's key exactly as the server stores them
 * (crypto.c, orgsvc.c), so the server can open them.
 *
 * Schools are nine-year schools (grades 1-9) with as many classes per
 * grade as N / S students need at about 45 a class. Names are drawn from
 * common surnames and given-name characters. Everything is deterministic
 * in the student's index: the same N gives the same district.
 *
 * Prints "district ID CODE", "schools FIRST LAST", "students N", the
 * counts of missing and wrong values per field and of old-form 市网学籍号.
 *
 * usage: mkdistrict [-n STUDENTS] [-s SCHOOLS] [-c CODE] DATA_DIR
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "crypto.h"
#include "mkdb.h"
#include "org.h"

#define MK_PER_CLASS 45
#define MK_GRADES 9
/* The school year these students are in: grade g was born between
 * 2 September of (MK_YEAR - 6 - g) and 1 September of (MK_YEAR - 5 - g). */
#define MK_YEAR 2026

enum { MK_PERSON, MK_STUDENT, MK_CLASS, MK_SCHOOL, MK_NSTMT };

static const char *const mk_sql[MK_NSTMT] = {
    "INSERT INTO persons(name, gender, created_at) VALUES (?, ?, ?)",
    "INSERT INTO students(person_id, school_id, class_id, national_no, "
    "city_no, id_number_enc, id_number_hash, id_number_masked, created_at, "
    "national_no_enc, national_no_hash, national_no_masked) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "INSERT INTO classes(school_id, grade, name, created_at) VALUES (?, ?, "
    "?, ?)",
    "INSERT INTO schools(district_id, code, name, stage, created_at) VALUES "
    "(?, ?, ?, 'nine_year', ?)",
};

static const char *const mk_surnames[] = {
    "王", "李", "张", "刘", "陈", "杨", "黄",   "赵",  "吴", "周", "徐",
    "孙", "马", "朱", "胡", "郭", "何", "高",   "林",  "罗", "郑", "梁",
    "谢", "宋", "唐", "许", "韩", "冯", "邓",   "曹",  "彭", "曾", "肖",
    "田", "董", "袁", "潘", "于", "蒋", "蔡",   "余",  "杜", "叶", "程",
    "苏", "魏", "吕", "丁", "任", "沈", "欧阳", "司马"};
static const char *const mk_given[] = {
    "子", "轩", "浩", "宇", "梓", "涵", "欣", "怡", "雨", "泽",
    "思", "博", "一", "诺", "铭", "佳", "琪", "俊", "杰", "晨",
    "睿", "嘉", "明", "瑶", "悦", "可", "馨", "昊", "天", "文",
    "雅", "静", "安", "乐", "辰", "逸", "锦", "萱", "皓", "然"};
/* Areas of Changsha (GB/T 2260) the students were born in. */
static const char *const mk_areas[] = {"430102", "430103", "430104", "430105",
                                       "430111", "430112", "430121", "430181"};

static void
mk_check_digit(char id[19])
{
	static const int w[17] = {7, 9, 10, 5,  8, 4, 2, 1, 6,
	                          3, 7, 9,  10, 5, 8, 4, 2};
	int sum = 0;

	for (int i = 0; i < 17; i++)
		sum += (id[i] - '0') * w[i];
	id[17] = "10X98765432"[sum % 11];
	id[18] = '\0';
}

static int
mk_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* The date `day` days after 2 September of year y. */
static void
mk_date(int y, int day, int *oy, int *om, int *od)
{
	static const int len[12] = {31, 28, 31, 30, 31, 30,
	                            31, 31, 30, 31, 30, 31};
	int m = 9, d = 2;

	while (day-- > 0) {
		int n = len[m - 1] + (m == 2 && mk_leap(y));

		if (++d > n) {
			d = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
	}
	*oy = y;
	*om = m;
	*od = d;
}

/*
 * Student k of grade g (k counts the grade's students across the
 * district): a unique ID number, since (birth date, area, sequence) is a
 * bijection of k within the grade and the grades' birth years differ.
 * 365 days x 8 areas x 500 sequences cover 1.46 million per grade.
 */
static void
mk_id(int g, uint64_t k, int female, char id[19])
{
	int y, m, d, day = (int)(k % 365);
	uint64_t rest = k / 365;
	unsigned seq = (unsigned)(rest / MKDB_COUNT(mk_areas)) % 500;
	char buf[64];

	mk_date(MK_YEAR - 6 - g, day, &y, &m, &d);
	snprintf(buf, sizeof(buf), "%s%04d%02d%02d%03u",
	         mk_areas[rest % MKDB_COUNT(mk_areas)], y, m, d,
	         seq * 2 + (female ? 0 : 1));
	memcpy(id, buf, 17);
	mk_check_digit(id);
}

struct mk_counts {
	uint64_t missing[3], wrong[3]; /* national_no, city_no, id_number */
	uint64_t old_city; /* 市网学籍号 of the old 10-digit form */
};

/* One student: a person and a students row; `seq` numbers the student
 * in the district, k within its grade. */
static int
mk_student(sqlite3 *db, sqlite3_stmt **st, int64_t school, int64_t klass, int g,
           uint64_t seq, uint64_t k, int64_t now, struct mk_counts *c)
{
	char name[64], id[19], national[24], city[16], masked[32], nmasked[32];
	char hash[CRYPTO_DIGEST_HEX], nhash[CRYPTO_DIGEST_HEX];
	char *nsealed = NULL;
	uint64_t r = mkdb_mix(seq ^ 0x5a5a5a5aULL);
	int female = (int)(r & 1);
	unsigned fate = (unsigned)((r >> 8) % 1000);
	char *sealed = NULL;
	int64_t person;
	int rc;

	mkdb_name(seq, mk_surnames, MKDB_COUNT(mk_surnames), mk_given,
	          MKDB_COUNT(mk_given), name, sizeof(name));
	sqlite3_bind_text(st[MK_PERSON], 1, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st[MK_PERSON], 2, female ? "女" : "男", -1,
	                  SQLITE_STATIC);
	sqlite3_bind_int64(st[MK_PERSON], 3, now);
	if (mkdb_step(db, st[MK_PERSON], &person) != 0)
		return -1;

	mk_id(g, k, female, id);
	/* 全国学籍号: G + the ID number (the usual form), 3% L numbers, 3%
	 * missing, 1% a G number whose ID has a wrong check digit. */
	if (fate < 30) {
		national[0] = '\0';
		c->missing[0]++;
	} else if (fate < 60) {
		/* L, area and birth date as in the ID, 0 and the ID's
		 * sequence: unique as the ID is. */
		snprintf(national, sizeof(national), "L%.14s0%.3s", id,
		         id + 14);
	} else if (fate < 70) {
		snprintf(national, sizeof(national), "G%s", id);
		national[18] = national[18] == '0' ? '1' : '0';
		c->wrong[0]++;
	} else {
		snprintf(national, sizeof(national), "G%s", id);
	}
	/* 市网学籍号: 43 and ten digits; 3% missing, 1% with a letter, 2%
	 * of the old form. */
	r = mkdb_mix(seq ^ 0xc17cULL);
	fate = (unsigned)(r % 1000);
	if (fate < 30) {
		city[0] = '\0';
		c->missing[1]++;
	} else {
		snprintf(city, sizeof(city), "43%010llu",
		         (unsigned long long)(seq * 7919 % 10000000000ULL));
		if (fate < 40) {
			city[5] = 'O'; /* a letter O for a zero */
			c->wrong[1]++;
		} else if (fate < 60) {
			/* the old form, 4301 and six digits: valid by the
			 * default rules, not by the city's 12-character form */
			snprintf(city, sizeof(city), "4301%06llu",
			         (unsigned long long)(seq % 1000000));
			c->old_city++;
		}
	}
	/* 身份证号: 4% missing, 1% a wrong check digit. */
	r = mkdb_mix(seq ^ 0x1dULL);
	fate = (unsigned)(r % 1000);
	if (fate < 40) {
		id[0] = '\0';
		c->missing[2]++;
	} else if (fate < 50) {
		id[17] = id[17] == '0' ? '1' : '0';
		c->wrong[2]++;
	}

	sqlite3_bind_int64(st[MK_STUDENT], 1, person);
	sqlite3_bind_int64(st[MK_STUDENT], 2, school);
	sqlite3_bind_int64(st[MK_STUDENT], 3, klass);
	/* as the server stores them (orgsvc.c): a G number sealed, every
	 * number hashed and shown masked */
	if (national[0] != '\0') {
		if (org_national_embeds_id(national)) {
			nsealed = crypto_seal(national);
			if (nsealed == NULL) {
				fprintf(stderr, "mkdistrict: cannot seal\n");
				return -1;
			}
			sqlite3_bind_text(st[MK_STUDENT], 10, nsealed, -1,
			                  SQLITE_STATIC);
		} else {
			sqlite3_bind_text(st[MK_STUDENT], 4, national, -1,
			                  SQLITE_STATIC);
		}
		crypto_lookup_hash(national, nhash);
		org_national_mask(national, nmasked, sizeof(nmasked));
		sqlite3_bind_text(st[MK_STUDENT], 11, nhash, -1, SQLITE_STATIC);
		sqlite3_bind_text(st[MK_STUDENT], 12, nmasked, -1,
		                  SQLITE_STATIC);
	}
	if (city[0] != '\0')
		sqlite3_bind_text(st[MK_STUDENT], 5, city, -1, SQLITE_STATIC);
	if (id[0] != '\0') {
		sealed = crypto_seal(id);
		if (sealed == NULL) {
			fprintf(stderr, "mkdistrict: cannot seal\n");
			return -1;
		}
		crypto_lookup_hash(id, hash);
		org_id_mask(id, masked, sizeof(masked));
		sqlite3_bind_text(st[MK_STUDENT], 6, sealed, -1, SQLITE_STATIC);
		sqlite3_bind_text(st[MK_STUDENT], 7, hash, -1, SQLITE_STATIC);
		sqlite3_bind_text(st[MK_STUDENT], 8, masked, -1, SQLITE_STATIC);
	}
	sqlite3_bind_int64(st[MK_STUDENT], 9, now);
	rc = mkdb_step(db, st[MK_STUDENT], NULL);
	free(sealed);
	free(nsealed);
	return rc;
}

int
main(int argc, char **argv)
{
	unsigned long long n = 1000000, schools = 500;
	const char *code = "430104";
	sqlite3 *db = NULL;
	sqlite3_stmt *st[MK_NSTMT] = {0};
	char err[256], *end;
	int64_t now = (int64_t)time(NULL), district = 0, first = 0, last = 0;
	uint64_t *per_grade = NULL, seq = 0;
	struct mk_counts counts = {0};
	int c, rc = 1;

	mkdb_prog = "mkdistrict";
	while ((c = getopt(argc, argv, "n:s:c:")) != -1) {
		if (c == 'n' || c == 's') {
			unsigned long long v = strtoull(optarg, &end, 10);

			if (*end != '\0' || v == 0 || v > 10000000)
				goto usage;
			*(c == 'n' ? &n : &schools) = v;
		} else if (c == 'c') {
			code = optarg;
		} else {
			goto usage;
		}
	}
	if (optind != argc - 1 || schools > n || schools > 9999)
		goto usage;
	log_set_level(JX_LOG_WARN);
	if (crypto_setup(argv[optind], 0, 1, err, sizeof(err)) != 0) {
		fprintf(stderr, "mkdistrict: %s (run jiaxiao init first)\n",
		        err);
		return 1;
	}
	if (mkdb_open(argv[optind], &db, mk_sql, st, MK_NSTMT, NULL) != 0)
		goto done;
	if (mkdb_exec(db, "BEGIN IMMEDIATE") != 0)
		goto done;
	{
		sqlite3_stmt *d;

		if (sqlite3_prepare_v2(db,
		                       "INSERT INTO districts(code, name, "
		                       "created_at) VALUES (?, '基准区', ?)",
		                       -1, &d, NULL) != SQLITE_OK) {
			fprintf(stderr, "mkdistrict: %s\n", sqlite3_errmsg(db));
			goto done;
		}
		sqlite3_bind_text(d, 1, code, -1, SQLITE_STATIC);
		sqlite3_bind_int64(d, 2, now);
		rc = mkdb_step(db, d, &district);
		sqlite3_finalize(d);
		if (rc != 0) {
			rc = 1;
			goto done;
		}
		rc = 1;
	}
	per_grade = calloc(MK_GRADES + 1, sizeof(*per_grade));
	if (per_grade == NULL)
		goto done;
	for (unsigned long long s = 0; s < schools; s++) {
		/* The school's share of the students, spread over 9 grades
		 * and ceil(share / 9 / 45) classes a grade. */
		uint64_t share = n / schools + (s < n % schools ? 1 : 0);
		char scode[32], sname[96];
		int64_t school;

		snprintf(scode, sizeof(scode), "%s%04llu", code, s + 1);
		snprintf(sname, sizeof(sname), "基准区第%llu学校", s + 1);
		sqlite3_bind_int64(st[MK_SCHOOL], 1, district);
		sqlite3_bind_text(st[MK_SCHOOL], 2, scode, -1, SQLITE_STATIC);
		sqlite3_bind_text(st[MK_SCHOOL], 3, sname, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st[MK_SCHOOL], 4, now);
		if (mkdb_step(db, st[MK_SCHOOL], &school) != 0)
			goto done;
		if (first == 0)
			first = school;
		last = school;
		for (int g = 1; g <= MK_GRADES; g++) {
			uint64_t in_grade = share / MK_GRADES +
			                    ((uint64_t)g <= share % MK_GRADES);
			uint64_t classes =
			    (in_grade + MK_PER_CLASS - 1) / MK_PER_CLASS;
			uint64_t cur = UINT64_MAX;
			int64_t klass = 0;

			for (uint64_t k = 0; k < in_grade; k++) {
				uint64_t ci = k * classes / in_grade;

				if (ci != cur) {
					char cname[24];

					cur = ci;
					snprintf(cname, sizeof(cname), "%llu班",
					         (unsigned long long)ci + 1);
					sqlite3_bind_int64(st[MK_CLASS], 1,
					                   school);
					sqlite3_bind_int64(st[MK_CLASS], 2, g);
					sqlite3_bind_text(st[MK_CLASS], 3,
					                  cname, -1,
					                  SQLITE_TRANSIENT);
					sqlite3_bind_int64(st[MK_CLASS], 4,
					                   now);
					if (mkdb_step(db, st[MK_CLASS],
					              &klass) != 0)
						goto done;
				}
				if (mk_student(db, st, school, klass, g, seq++,
				               per_grade[g]++, now,
				               &counts) != 0)
					goto done;
			}
		}
	}
	if (mkdb_exec(db, "COMMIT") != 0)
		goto done;
	printf("district %lld %s\n", (long long)district, code);
	printf("schools %lld %lld\n", (long long)first, (long long)last);
	printf("students %llu\n", (unsigned long long)seq);
	printf("missing national_no %llu city_no %llu id_number %llu\n",
	       (unsigned long long)counts.missing[0],
	       (unsigned long long)counts.missing[1],
	       (unsigned long long)counts.missing[2]);
	printf("wrong national_no %llu city_no %llu id_number %llu\n",
	       (unsigned long long)counts.wrong[0],
	       (unsigned long long)counts.wrong[1],
	       (unsigned long long)counts.wrong[2]);
	printf("old city_no %llu\n", (unsigned long long)counts.old_city);
	rc = 0;
done:
	free(per_grade);
	for (int i = 0; i < MK_NSTMT; i++)
		sqlite3_finalize(st[i]);
	sqlite3_close(db);
	crypto_teardown();
	return rc;
usage:
	fprintf(stderr, "usage: mkdistrict [-n STUDENTS] [-s SCHOOLS] [-c "
	                "CODE] DATA_DIR\n");
	return 2;
}
