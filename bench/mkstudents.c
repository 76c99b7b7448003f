/*
 * mkstudents.c — writes the import benchmark's sheet (bench/import.sh): an
 * .xlsx of N students in the student import template's columns, two
 * parents each, every value valid so that a commit creates every row:
 * unique 18-digit ID numbers with their MOD 11-2 check digit and a gender
 * digit that agrees with 性别, 全国学籍号 "G" + ID number, unique parent
 * phones, grades 1-9 with classes 1班..20班 (a nine_year school, imported
 * with create_classes=1).
 *
 * The output is a pure function of -n and -f, so the benchmark is
 * repeatable, and two sheets with disjoint ranges (-f) hold no common ID
 * number or phone, so they can go to two schools of one city. Written in
 * libxlsxwriter's constant_memory mode: memory stays flat for any N.
 *
 * usage: mkstudents [-n N] [-f FIRST] OUT.xlsx
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xlsxwriter.h>

#define MKSTUDENTS_GRADES 9
#define MKSTUDENTS_CLASSES 20
/* ID numbers per birth date: the sequence digits 15-17 (000-999). */
#define MKSTUDENTS_PER_DAY 500

static const char *const mkstudents_header[] = {
    "姓名",       "性别",       "年级",      "班级",      "身份证号",
    "全国学籍号", "市网学籍号", "家长1姓名", "家长1手机", "家长1关系",
    "家长2姓名",  "家长2手机",  "家长2关系", NULL};

static const char *const mkstudents_surnames[] = {
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周",
    "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗",
    "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
    "彭", "曾", "肖", "田", "董", "袁", "潘", "蒋", "蔡", "余"};

static const char *const mkstudents_given[] = {
    "子", "轩", "浩", "宇", "欣", "怡", "梓", "涵", "晨", "阳",
    "博", "文", "思", "雨", "佳", "琪", "俊", "杰", "嘉", "悦",
    "明", "睿", "诗", "婷", "泽", "瑞", "一", "诺", "安", "然",
    "书", "航", "铭", "语", "彤", "昊", "天", "可", "馨", "雅",
    "建", "国", "华", "丽", "敏", "军", "强", "芳", "伟", "霞"};

/* Phone prefixes: 13x, 15x and 18x, none of the demo district's
 * 138/139 numbers. */
static const char *const mkstudents_prefixes[] = {
    "135", "136", "137", "150", "152", "158", "183", "186", "188"};

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* A mixing function (splitmix64): names look random but are fixed. */
static uint64_t
mkstudents_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* A parent's name of two or three characters; surname given, or drawn. */
static void
mkstudents_name(uint64_t seed, const char *surname, char *out, size_t outlen)
{
	uint64_t r = mkstudents_mix(seed);
	const char *a = mkstudents_given[r % NELEMS(mkstudents_given)];
	const char *b = mkstudents_given[(r >> 16) % NELEMS(mkstudents_given)];

	if (surname == NULL)
		surname = mkstudents_surnames[(r >> 32) %
		                              NELEMS(mkstudents_surnames)];
	if ((r >> 48) % 3 == 0)
		snprintf(out, outlen, "%s%s", surname, a);
	else
		snprintf(out, outlen, "%s%s%s", surname, a, b);
}

/*
 * The name of the m-th student of a class (key: grade and class): unique
 * within the class, since the importer matches a row without a known
 * number by 姓名+年级+班级 and two classmates of one name would merge.
 * Surname, first and second given character are m's digits in bases 40,
 * 50 and 50, shifted per class: one to one below 100,000 students a
 * class. Some of the first 2,000 have a one-character given name, which
 * no three-character name can equal.
 */
static const char *
mkstudents_student_name(uint64_t key, uint64_t m, char *out, size_t outlen)
{
	uint64_t o = mkstudents_mix(key);
	const char *s =
	    mkstudents_surnames[(m + o) % NELEMS(mkstudents_surnames)];
	const char *a =
	    mkstudents_given[(m / 40 + (o >> 20)) % NELEMS(mkstudents_given)];
	const char *b =
	    mkstudents_given[(m / 2000 + (o >> 40)) % NELEMS(mkstudents_given)];

	if (m < 2000 && mkstudents_mix(m ^ o) % 3 == 0)
		snprintf(out, outlen, "%s%s", s, a);
	else
		snprintf(out, outlen, "%s%s%s", s, a, b);
	return s;
}

/* The civil date of a day count since 1970-01-01 (Howard Hinnant's
 * days_from_civil inverse). */
static void
mkstudents_date(long z, int *y, int *m, int *d)
{
	long era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* Days since 1970-01-01 of 1 September of year y. */
static long
mkstudents_days(int y)
{
	int m = 9, d = 1;
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* GB 11643: the check character of the first 17 digits. */
static char
mkstudents_check(const char *id17)
{
	static const int w[17] = {7, 9, 10, 5,  8, 4, 2, 1, 6,
	                          3, 7, 9,  10, 5, 8, 4, 2};
	int sum = 0;

	for (int i = 0; i < 17; i++)
		sum += (id17[i] - '0') * w[i];
	return "10X98765432"[sum % 11];
}

/*
 * Student i (0-based over every sheet): grade 1 + i % 9, class by i / 9,
 * born in the grade's school year (grade 1 in the year from 1 September
 * 2019), MKSTUDENTS_PER_DAY students a birth date; the sequence's last
 * digit is odd for boys, as in a real ID number.
 */
static void
mkstudents_student(uint64_t i, int *grade, int *klass, int *male, char id[19])
{
	uint64_t j = i / MKSTUDENTS_GRADES;
	char buf[40];
	long day;
	int y, m, d;

	*grade = 1 + (int)(i % MKSTUDENTS_GRADES);
	*klass = 1 + (int)(j % MKSTUDENTS_CLASSES);
	*male = (int)(mkstudents_mix(i ^ 0x5eed) & 1);
	day = mkstudents_days(2019 - (*grade - 1)) +
	      (long)(j / MKSTUDENTS_PER_DAY);
	mkstudents_date(day, &y, &m, &d);
	/* y, m and d are a real date: 17 digits, with room to spare for
	 * the compiler's range analysis */
	snprintf(buf, sizeof(buf), "430102%04d%02d%02d%03u", y % 10000, m, d,
	         (unsigned)((j % MKSTUDENTS_PER_DAY) * 2 + (*male ? 1 : 0)));
	memcpy(id, buf, 17);
	id[17] = mkstudents_check(id);
	id[18] = '\0';
}

/* Parent k (0-based over every sheet): a unique phone. The 8 digits are
 * a bijection of k / 9 on 0..99,999,999 (7 is coprime to 10^8), so the
 * numbers look spread out and never repeat below 900 million parents. */
static void
mkstudents_phone(uint64_t k, char out[12])
{
	uint64_t s =
	    (k / NELEMS(mkstudents_prefixes) * 7 + 31415926) % 100000000ULL;

	snprintf(out, 12, "%s%08llu",
	         mkstudents_prefixes[k % NELEMS(mkstudents_prefixes)],
	         (unsigned long long)s);
}

static int
mkstudents_write(const char *path, uint64_t first, uint64_t n)
{
	lxw_workbook_options opt = {.constant_memory = LXW_TRUE,
	                            .tmpdir = NULL,
	                            .use_zip64 = LXW_FALSE};
	lxw_workbook *wb = workbook_new_opt(path, &opt);
	lxw_worksheet *ws;
	lxw_format *text;
	lxw_error rc;

	if (wb == NULL) {
		fprintf(stderr, "mkstudents: cannot create %s\n", path);
		return -1;
	}
	ws = workbook_add_worksheet(wb, "学生");
	text = workbook_add_format(wb);
	format_set_num_format(text, "@");
	worksheet_set_column(ws, 0, 12, 14, text);
	for (int c = 0; mkstudents_header[c] != NULL; c++)
		worksheet_write_string(ws, 0, (lxw_col_t)c,
		                       mkstudents_header[c], NULL);
	for (uint64_t r = 0; r < n; r++) {
		uint64_t i = first + r;
		lxw_row_t row = (lxw_row_t)(r + 1);
		char id[19], national[24], city[32], klass[16], grade[16];
		char name[16], p1[16], p2[16], ph1[12], ph2[12];
		const char *surname;
		int g, k, male;

		mkstudents_student(i, &g, &k, &male, id);
		surname = mkstudents_student_name(
		    (uint64_t)g * 100 + (uint64_t)k,
		    i / MKSTUDENTS_GRADES / MKSTUDENTS_CLASSES, name,
		    sizeof(name));
		mkstudents_name(i * 3 + 1, surname, p1, sizeof(p1));
		mkstudents_name(i * 3 + 2, NULL, p2, sizeof(p2));
		snprintf(national, sizeof(national), "G%s", id);
		snprintf(city, sizeof(city), "4301%010llu",
		         (unsigned long long)i);
		snprintf(grade, sizeof(grade), "%d", g);
		snprintf(klass, sizeof(klass), "%d班", k);
		mkstudents_phone(2 * i, ph1);
		mkstudents_phone(2 * i + 1, ph2);
		worksheet_write_string(ws, row, 0, name, NULL);
		worksheet_write_string(ws, row, 1, male ? "男" : "女", NULL);
		worksheet_write_string(ws, row, 2, grade, NULL);
		worksheet_write_string(ws, row, 3, klass, NULL);
		worksheet_write_string(ws, row, 4, id, NULL);
		worksheet_write_string(ws, row, 5, national, NULL);
		worksheet_write_string(ws, row, 6, city, NULL);
		worksheet_write_string(ws, row, 7, p1, NULL);
		worksheet_write_string(ws, row, 8, ph1, NULL);
		worksheet_write_string(ws, row, 9, "父亲", NULL);
		worksheet_write_string(ws, row, 10, p2, NULL);
		worksheet_write_string(ws, row, 11, ph2, NULL);
		worksheet_write_string(ws, row, 12, "母亲", NULL);
	}
	rc = workbook_close(wb);
	if (rc != LXW_NO_ERROR) {
		fprintf(stderr, "mkstudents: %s: %s\n", path, lxw_strerror(rc));
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned long long n = 100000, first = 0;
	char *end;
	int c;

	while ((c = getopt(argc, argv, "n:f:")) != -1) {
		switch (c) {
		case 'n':
			n = strtoull(optarg, &end, 10);
			if (*end != '\0' || n == 0 || n > 1000000)
				goto usage;
			break;
		case 'f':
			first = strtoull(optarg, &end, 10);
			if (*end != '\0' || first > 100000000)
				goto usage;
			break;
		default: goto usage;
		}
	}
	if (optind + 1 != argc)
		goto usage;
	/* Birth dates must stay within one school year per grade. */
	if ((first + n) / MKSTUDENTS_GRADES / MKSTUDENTS_PER_DAY >= 365) {
		fprintf(stderr, "mkstudents: -f + -n must stay below %d\n",
		        MKSTUDENTS_GRADES * MKSTUDENTS_PER_DAY * 365);
		return 2;
	}
	return mkstudents_write(argv[optind], first, n) == 0 ? 0 : 1;
usage:
	fprintf(stderr, "usage: mkstudents [-n N (1..1000000, default 100000)] "
	                "[-f FIRST] OUT.xlsx\n");
	return 2;
}
