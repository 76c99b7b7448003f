/*
 * mkfeeds.c — the feed benchmark's school (bench/feeds.sh, issue 15):
 * writes one district with one nine-year school of N students (grades
 * 1-9, classes of about 45) straight into the SQLite database of a data
 * directory that `jiaxiao init` made and `jiaxiao serve` opened once (so
 * the host's and the feeds plugin's migrations ran), with what the host
 * keeps for real people: persons, accounts with 8-digit student logins
 * and phone logins for adults, identities, teachers (a head teacher per
 * class and subject teachers, with their teaching), and one or two
 * parents per student bound as guardians. Then P posts of the feeds
 * plugin's schema (plugins/feeds/feeds_schema.c) over the last year,
 * newest with the highest id as the API writes them: authors students
 * (half), teachers, parents and the school admin; visibility public,
 * school, class and private in proportions by role; kinds mood, quote
 * and info; a few deleted by their authors and removed by the admin;
 * likes (feeds_likes rows) and comments (feeds_comments rows) with their
 * counts on the post; photos (1-9) on a third of the moods and a quarter
 * of the information posts: host file rows with display and thumbnail
 * variants (made-up blob names), used by the post as the file service's
 * file_attach records it, in order in feeds_files.
 *
 * Nobody has a password except the logins the benchmark uses (-w):
 * the school admin, one student, one teacher of that student's class and
 * one parent of that student, whose argon2id hashes are written as the
 * host writes a changed password (no change required). Everything else
 * is deterministic in the sizes: the same -n and -p give the same school.
 * One transaction with prepared statements.
 *
 * Prints "district ID", "school ID", "classes N", "students N",
 * "teachers N", "parents N", "admin LOGIN PERSON", "student LOGIN PERSON
 * CLASS", "teacher LOGIN PERSON", "parent LOGIN PERSON", "posts N",
 * "visibility public N school N class N private N", "status live N
 * deleted N removed N", "likes N", "comments N", "photos N", and
 * "reader school N class N": the live posts the student sees in the
 * school feed (public and school) and in the class feed of their class.
 *
 * usage: mkfeeds [-n STUDENTS] [-p POSTS] [-w PASSWORD] DATA_DIR
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "crypto.h"
#include "host.h"
#include "mkdb.h"

#define MF_PER_CLASS 45
#define MF_GRADES 9

enum {
	MF_PERSON,
	MF_ADULT,
	MF_ACCOUNT,
	MF_IDENTITY,
	MF_CLASS,
	MF_STUDENT,
	MF_TEACHER,
	MF_TEACHING,
	MF_GUARDIAN,
	MF_POST,
	MF_LIKE,
	MF_COMMENT,
	MF_FILE,
	MF_VARIANT,
	MF_USE,
	MF_POSTFILE,
	MF_NSTMT
};

static const char *const mf_sql[MF_NSTMT] = {
    "INSERT INTO persons(name, gender, created_at) VALUES (?, ?, ?)",
    "INSERT INTO persons(name, gender, phone, created_at) VALUES (?, ?, ?, "
    "?)",
    "INSERT INTO accounts(person_id, login, password_hash, "
    "must_change_password, created_at, password_changed_at) VALUES (?, ?, "
    "?, ?, ?, ?)",
    "INSERT INTO identities(account_id, role, district_id, school_id, "
    "student_id, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    "INSERT INTO classes(school_id, grade, name, created_at) VALUES (?, ?, "
    "?, ?)",
    "INSERT INTO students(person_id, school_id, class_id, created_at) "
    "VALUES (?, ?, ?, ?)",
    "INSERT INTO teachers(person_id, school_id, subject, created_at) VALUES "
    "(?, ?, ?, ?)",
    "INSERT INTO teaching(teacher_id, class_id) VALUES (?, ?)",
    "INSERT INTO guardians(parent_id, student_id, relation, created_at) "
    "VALUES (?, ?, ?, ?)",
    "INSERT INTO feeds_posts(author_person_id, author_identity_id, "
    "author_role, district_id, school_id, class_id, kind, visibility, text, "
    "nlikes, ncomments, status, removed_reason, removed_by, removed_at, "
    "created_at, nfiles) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
    "?, ?, ?)",
    "INSERT INTO feeds_likes(post_id, person_id, created_at) VALUES (?, ?, "
    "?)",
    "INSERT INTO feeds_comments(post_id, author_person_id, "
    "author_identity_id, author_role, school_id, text, created_at) VALUES "
    "(?, ?, ?, ?, ?, ?, ?)",
    "INSERT INTO files(name, mime, size, sha256, account_id, identity_id, "
    "school_id, created_at) VALUES (?, 'image/jpeg', ?, ?, ?, ?, ?, ?)",
    "INSERT INTO file_variants(file_id, variant, blob, mime, size) VALUES "
    "(?, ?, ?, 'image/jpeg', ?)",
    "INSERT INTO file_uses(file_id, plugin, ref, created_at) VALUES (?, "
    "'feeds', ?, ?)",
    "INSERT INTO feeds_files(owner, owner_id, file_id, position) VALUES "
    "('post', ?, ?, ?)",
};

static const char *const mf_surnames[] = {
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐",
    "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗", "郑", "梁",
    "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖",
    "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程"};
static const char *const mf_given[] = {
    "子", "轩", "浩", "宇", "梓", "涵", "欣", "怡", "雨", "泽",
    "思", "博", "一", "诺", "铭", "佳", "琪", "俊", "杰", "晨",
    "睿", "嘉", "明", "瑶", "悦", "可", "馨", "昊", "天", "文"};
static const char *const mf_subjects[] = {"语文", "数学", "英语", "科学",
                                          "体育", "音乐", "美术", "道德与法治"};
/* Sentences a post is made of, by kind: no digits (the privacy rule
 * refuses what looks like a phone or ID number) and no markup. */
static const char *const mf_mood[] = {
    "今天阳光真好，课间和同学们一起跳绳。",
    "数学单元测验考完了，终于可以松一口气。",
    "周末去岳麓山爬山，枫叶开始红了。",
    "第一次自己做早餐，煎蛋有点糊，但是很开心。",
    "运动会上我们班的接力跑得了第二名！",
    "读完了《西游记》，最喜欢孙悟空。",
    "下雨天在家练字，心里很安静。",
    "和爸爸妈妈一起去图书馆借书。",
    "今天值日，把教室打扫得干干净净。",
    "美术课画了一幅秋天的画，老师表扬了我。",
    "期待下周的春游。",
    "孩子今天主动整理了书包，值得表扬。"};
static const char *const mf_quote[] = {
    "书山有路勤为径，学海无涯苦作舟。",
    "少壮不努力，老大徒伤悲。",
    "千里之行，始于足下。",
    "三人行，必有我师焉。",
    "学而不思则罔，思而不学则殆。",
    "不积跬步，无以至千里；不积小流，无以成江海。",
    "业精于勤，荒于嬉；行成于思，毁于随。",
    "读书破万卷，下笔如有神。"};
static const char *const mf_info[] = {
    "请各位家长提醒孩子明天穿校服，参加升旗仪式。",
    "本周五下午举行家长会，地点在各班教室。",
    "近期天气转凉，请注意给孩子添衣。",
    "学校图书馆本学期延长开放时间，欢迎同学们借阅。",
    "下周一起实行新的作息时间，请大家相互转告。",
    "校园艺术节节目报名开始了，请到班主任处登记。",
    "请同学们按时完成假期阅读任务。",
    "本周食堂菜单已更新，欢迎提出建议。",
    "期中考试安排已发布，请同学们认真复习。",
    "请家长关注孩子的用眼卫生，每天坚持做眼保健操。"};
static const char *const mf_comments[] = {
    "真棒！",     "加油！",     "说得好。", "收到，谢谢老师。", "好漂亮！",
    "我也想去。", "继续努力！", "赞一个。", "已转告孩子。",     "学习了。"};
static const char *const mf_reasons[] = {"与班级无关的广告",
                                         "内容不适合在校园发布"};

/* A deterministic stream of random numbers. */
static uint64_t mf_state = 0x6a78u;

static uint64_t
mf_rand(void)
{
	return mkdb_mix(mf_state++);
}

/* Uniform in [0, n). */
static uint64_t
mf_below(uint64_t n)
{
	return n > 0 ? mf_rand() % n : 0;
}

/* An exponentially distributed count with the given mean, at most cap. */
static uint64_t
mf_count(double mean, uint64_t cap)
{
	double u = ((double)(mf_rand() >> 11) + 1.0) / 9007199254740993.0;
	double v = -log(u) * mean;

	return v >= (double)cap ? cap : (uint64_t)v;
}

/* Binds the values of types ("i" int64, "s" text, "n" NULL) and steps. */
static int
mf_run(sqlite3 *db, sqlite3_stmt *st, int64_t *id, const char *types, ...)
{
	va_list ap;

	va_start(ap, types);
	for (int i = 0; types[i] != '\0'; i++) {
		if (types[i] == 'i') {
			sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
		} else if (types[i] == 's') {
			const char *s = va_arg(ap, const char *);

			if (s != NULL)
				sqlite3_bind_text(st, i + 1, s, -1,
				                  SQLITE_TRANSIENT);
		}
	}
	va_end(ap);
	return mkdb_step(db, st, id);
}

/* Someone who posts, likes and comments. */
struct mf_person {
	int64_t person, account, identity;
	const char *role;
	int klass; /* index of the class: the student's, the child's, one
	              the teacher teaches; -1 for the admin */
};

struct mf_ctx {
	sqlite3 *db;
	sqlite3_stmt *st[MF_NSTMT];
	int64_t now, district, school;
	const char *hash; /* the benchmark logins' password hash */
};

/* An account (with the password hash when `known`) and one identity. */
static int
mf_login(struct mf_ctx *c, int64_t person, const char *login, int known,
         int64_t *account)
{
	sqlite3_stmt *st = c->st[MF_ACCOUNT];

	sqlite3_bind_int64(st, 1, person);
	sqlite3_bind_text(st, 2, login, -1, SQLITE_TRANSIENT);
	if (known) {
		sqlite3_bind_text(st, 3, c->hash, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, c->now);
	}
	sqlite3_bind_int64(st, 4, known ? 0 : 1);
	sqlite3_bind_int64(st, 5, c->now);
	return mkdb_step(c->db, st, account);
}

static int
mf_identity(struct mf_ctx *c, int64_t account, const char *role,
            int64_t student, int64_t *id)
{
	sqlite3_stmt *st = c->st[MF_IDENTITY];

	sqlite3_bind_int64(st, 1, account);
	sqlite3_bind_text(st, 2, role, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, c->district);
	sqlite3_bind_int64(st, 4, c->school);
	if (student > 0)
		sqlite3_bind_int64(st, 5, student);
	sqlite3_bind_int64(st, 6, c->now);
	return mkdb_step(c->db, st, id);
}

/* An adult with a phone login: person, account, and (with role) an
 * identity at the school. */
static int
mf_adult(struct mf_ctx *c, uint64_t seed, const char *phone, int known,
         const char *role, int64_t *person, int64_t *account, int64_t *identity)
{
	char name[64];
	uint64_t r = mkdb_mix(seed ^ 0xad17ULL);

	mkdb_name(seed, mf_surnames, MKDB_COUNT(mf_surnames), mf_given,
	          MKDB_COUNT(mf_given), name, sizeof(name));
	if (mf_run(c->db, c->st[MF_ADULT], person, "sssi", name,
	           r & 1 ? "女" : "男", phone, c->now) != 0 ||
	    mf_login(c, *person, phone, known, account) != 0)
		return -1;
	return role != NULL ? mf_identity(c, *account, role, 0, identity) : 0;
}

/* Post times over the last year, ascending: more on school days and in
 * the day's waking hours. */
static int
mf_cmp_time(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int64_t *
mf_times(uint64_t n, int64_t now)
{
	static const int hour_weight[24] = {1, 0, 0,  0,  0,  1,  3, 8,
	                                    6, 4, 5,  6,  10, 8,  5, 5,
	                                    7, 9, 10, 12, 14, 12, 7, 3};
	int total = 0;
	int64_t *t = malloc((n ? n : 1) * sizeof(*t));

	if (t == NULL)
		return NULL;
	for (int h = 0; h < 24; h++)
		total += hour_weight[h];
	for (uint64_t i = 0; i < n; i++) {
		int64_t day, h = 0, pick;

		do { /* weekends (days 5, 6 of a week) half as busy */
			day = (int64_t)mf_below(365);
		} while (day % 7 >= 5 && mf_below(2) == 0);
		pick = (int64_t)mf_below((uint64_t)total);
		while (pick >= hour_weight[h])
			pick -= hour_weight[h++];
		t[i] = now - 365 * 86400 + day * 86400 + h * 3600 +
		       (int64_t)mf_below(3600);
		if (t[i] > now - 60)
			t[i] = now - 60 - (int64_t)mf_below(3600);
	}
	qsort(t, n, sizeof(*t), mf_cmp_time);
	return t;
}

struct mf_counts {
	uint64_t vis[4], deleted, removed, likes, comments, school_feed,
	    class_feed, photos, bytes;
};

/* n photos of post by a: each a file the author uploaded (a phone
 * photo's size, with the display and thumbnail variants the file
 * service makes; made-up blob names: the benchmark never reads the
 * bytes), used by the post (file_uses, as file_attach records it) in
 * order (feeds_files). */
static int
mf_photos(struct mf_ctx *c, const struct mf_person *a, int64_t post, uint64_t n,
          int64_t at, struct mf_counts *k)
{
	char ref[32];

	snprintf(ref, sizeof(ref), "post:%lld", (long long)post);
	for (uint64_t j = 0; j < n; j++) {
		char name[32], sha[65], blob[65];
		uint64_t h = mf_rand();
		int64_t size = 2000000 + (int64_t)(h % 4000000), file;

		snprintf(name, sizeof(name), "IMG_%04llu.jpg",
		         (unsigned long long)(h >> 40) % 10000);
		snprintf(sha, sizeof(sha), "%016llx%016llx%016llx%016llx",
		         (unsigned long long)h,
		         (unsigned long long)mkdb_mix(h ^ 1),
		         (unsigned long long)mkdb_mix(h ^ 2),
		         (unsigned long long)mkdb_mix(h ^ 3));
		if (mf_run(c->db, c->st[MF_FILE], &file, "sisiiii", name, size,
		           sha, a->account, a->identity, c->school, at) != 0)
			return -1;
		for (int v = 0; v < 2; v++) {
			snprintf(blob, sizeof(blob),
			         "%016llx%016llx%016llx%016llx",
			         (unsigned long long)mkdb_mix(h ^ (10 + v)),
			         (unsigned long long)mkdb_mix(h ^ (20 + v)),
			         (unsigned long long)mkdb_mix(h ^ (30 + v)),
			         (unsigned long long)mkdb_mix(h ^ (40 + v)));
			if (mf_run(c->db, c->st[MF_VARIANT], NULL, "issi", file,
			           v == 0 ? "display" : "thumb", blob,
			           (int64_t)(v == 0 ? 240000 : 18000)) != 0)
				return -1;
		}
		if (mf_run(c->db, c->st[MF_USE], NULL, "isi", file, ref, at) !=
		        0 ||
		    mf_run(c->db, c->st[MF_POSTFILE], NULL, "iii", post, file,
		           (int64_t)j) != 0)
			return -1;
		k->photos++;
		k->bytes += (uint64_t)size;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned long long n = 3000, nposts = 200000;
	const char *password = "Bench2026feeds";
	static const char *const vis_names[4] = {"public", "school", "class",
	                                         "private"};
	static const char *const kind_names[3] = {"mood", "quote", "info"};
	struct mf_ctx c = {0};
	struct mf_counts k = {0};
	struct mf_person *people = NULL, *authors[4] = {0};
	size_t nauthors[4] = {0}, npeople = 0;
	int64_t *classes = NULL, *times = NULL, admin = 0, admin_account;
	int64_t admin_identity, reader = 0, reader_class = 0,
	                        reader_teacher = 0;
	int64_t reader_parent = 0;
	uint64_t nclasses = 0, nteachers = 0, nparents = 0, reader_index;
	char err[256], hash[CRYPTO_HASH_MAX], login[32], *end;
	char reader_login[32] = "", teacher_login[32] = "",
	     parent_login[32] = "";
	int ch, rc = 1;

	mkdb_prog = "mkfeeds";
	while ((ch = getopt(argc, argv, "n:p:w:")) != -1) {
		if (ch == 'n' || ch == 'p') {
			unsigned long long v = strtoull(optarg, &end, 10);

			if (*end != '\0' || v > 10000000 ||
			    (ch == 'n' && v < MF_GRADES))
				goto usage;
			*(ch == 'n' ? &n : &nposts) = v;
		} else if (ch == 'w') {
			password = optarg;
		} else {
			goto usage;
		}
	}
	if (optind != argc - 1 || strlen(password) < 8)
		goto usage;
	log_set_level(JX_LOG_WARN);
	if (crypto_setup(argv[optind], 0, 1, err, sizeof(err)) != 0) {
		fprintf(stderr, "mkfeeds: %s (run jiaxiao init first)\n", err);
		return 1;
	}
	if (crypto_password_hash(password, hash) != 0) {
		fprintf(stderr, "mkfeeds: cannot hash the password\n");
		goto done;
	}
	c.hash = hash;
	c.now = (int64_t)time(NULL);
	if (mkdb_open(argv[optind], &c.db, mf_sql, c.st, MF_NSTMT,
	              " (serve the data directory once so that the feeds "
	              "plugin's migrations run)") != 0)
		goto done;
	if (mkdb_exec(c.db, "BEGIN IMMEDIATE") != 0)
		goto done;

	/* The district, the school and its admin. */
	{
		sqlite3_stmt *d = NULL;

		if (sqlite3_prepare_v2(c.db,
		                       "INSERT INTO districts(code, name, "
		                       "created_at) VALUES ('430199', "
		                       "'动态基准区', ?)",
		                       -1, &d, NULL) != SQLITE_OK ||
		    mf_run(c.db, d, &c.district, "i", c.now) != 0) {
			fprintf(stderr, "mkfeeds: %s\n", sqlite3_errmsg(c.db));
			sqlite3_finalize(d);
			goto done;
		}
		sqlite3_finalize(d);
		if (sqlite3_prepare_v2(c.db,
		                       "INSERT INTO schools(district_id, code, "
		                       "name, stage, created_at) VALUES (?, "
		                       "'4301990001', '动态基准实验学校', "
		                       "'nine_year', ?)",
		                       -1, &d, NULL) != SQLITE_OK ||
		    mf_run(c.db, d, &c.school, "ii", c.district, c.now) != 0) {
			fprintf(stderr, "mkfeeds: %s\n", sqlite3_errmsg(c.db));
			sqlite3_finalize(d);
			goto done;
		}
		sqlite3_finalize(d);
	}
	if (mf_adult(&c, 1, "13600000001", 1, "school_admin", &admin,
	             &admin_account, &admin_identity) != 0)
		goto done;

	/* Classes: grade g has ceil(share / 45) classes. */
	classes = calloc(n / MF_PER_CLASS + 2 * MF_GRADES, sizeof(*classes));
	people = calloc(n * 3 + n / 10 + 64, sizeof(*people));
	if (classes == NULL || people == NULL)
		goto done;
	people[npeople++] = (struct mf_person){
	    admin, admin_account, admin_identity, "school_admin", -1};
	/* The student the benchmark reads as: the middle one (grade 5). */
	reader_index = n / 2;
	{
		uint64_t seq = 0, first_student = npeople;

		for (int g = 1; g <= MF_GRADES; g++) {
			uint64_t in_grade =
			    n / MF_GRADES + ((uint64_t)g <= n % MF_GRADES);
			uint64_t per =
			    (in_grade + MF_PER_CLASS - 1) / MF_PER_CLASS;
			uint64_t cur = UINT64_MAX;

			for (uint64_t s = 0; s < in_grade; s++, seq++) {
				uint64_t ci = s * per / in_grade;
				char name[64];
				int64_t person, account, identity;
				int known = seq == reader_index;

				if (ci != cur) {
					char cname[24];

					cur = ci;
					snprintf(cname, sizeof(cname), "%llu班",
					         (unsigned long long)ci + 1);
					if (mf_run(c.db, c.st[MF_CLASS],
					           &classes[nclasses++], "iisi",
					           c.school, (int64_t)g, cname,
					           c.now) != 0)
						goto done;
				}
				mkdb_name(seq * 3 + 7, mf_surnames,
				          MKDB_COUNT(mf_surnames), mf_given,
				          MKDB_COUNT(mf_given), name,
				          sizeof(name));
				snprintf(login, sizeof(login), "%08llu",
				         30000000ULL + seq);
				if (mf_run(c.db, c.st[MF_PERSON], &person,
				           "ssi", name,
				           mkdb_mix(seq) & 1 ? "女" : "男",
				           c.now) != 0 ||
				    mf_run(c.db, c.st[MF_STUDENT], NULL, "iiii",
				           person, c.school,
				           classes[nclasses - 1], c.now) != 0 ||
				    mf_login(&c, person, login, known,
				             &account) != 0 ||
				    mf_identity(&c, account, "student", person,
				                &identity) != 0)
					goto done;
				people[npeople++] = (struct mf_person){
				    person, account, identity, "student",
				    (int)(nclasses - 1)};
				if (known) {
					reader = person;
					reader_class = classes[nclasses - 1];
					snprintf(reader_login,
					         sizeof(reader_login), "%s",
					         login);
				}
			}
		}
		/* Parents: one or two for each student (70% two). */
		for (uint64_t s = 0; s < seq; s++) {
			struct mf_person *child = &people[first_student + s];
			int two = mkdb_mix(s ^ 0x9a7e) % 10 < 7;

			for (int p = 0; p <= two; p++) {
				int64_t person, account, identity;
				int known = s == reader_index && p == 0;
				char phone[32];

				snprintf(phone, sizeof(phone), "150%08llu",
				         (unsigned long long)nparents + 1);
				if (mf_adult(&c, 1000000 + nparents, phone,
				             known, NULL, &person, &account,
				             NULL) != 0 ||
				    mf_run(c.db, c.st[MF_GUARDIAN], NULL,
				           "iisi", person, child->person,
				           p == 0 ? "母亲" : "父亲",
				           c.now) != 0 ||
				    mf_identity(&c, account, "parent",
				                child->person, &identity) != 0)
					goto done;
				nparents++;
				people[npeople++] = (struct mf_person){
				    person, account, identity, "parent",
				    child->klass};
				if (known) {
					reader_parent = person;
					snprintf(parent_login,
					         sizeof(parent_login), "%s",
					         phone);
				}
			}
		}
	}
	/* Teachers: the head teacher of each class (who teaches it and
	 * the next class of the grade), and 0.6 subject teachers a class,
	 * each teaching four consecutive classes. */
	{
		uint64_t nsubject = nclasses * 3 / 5 + 1;

		for (uint64_t t = 0; t < nclasses + nsubject; t++) {
			int64_t person, account, identity;
			uint64_t first =
			    t < nclasses ? t : (t - nclasses) * 4 % nclasses;
			uint64_t span = t < nclasses ? 2 : 4;
			int known = 0;
			char phone[32];

			if (t < nclasses && classes[t] == reader_class)
				known = 1;
			snprintf(phone, sizeof(phone), "137%08llu",
			         (unsigned long long)t + 1);
			if (mf_adult(&c, 2000000 + t, phone, known, "teacher",
			             &person, &account, &identity) != 0 ||
			    mf_run(
			        c.db, c.st[MF_TEACHER], NULL, "iisi", person,
			        c.school,
			        mf_subjects[t < nclasses
			                        ? t % 2
			                        : t % MKDB_COUNT(mf_subjects)],
			        c.now) != 0)
				goto done;
			for (uint64_t j = 0; j < span && j < nclasses; j++)
				if (mf_run(c.db, c.st[MF_TEACHING], NULL, "ii",
				           person,
				           classes[(first + j) % nclasses]) !=
				    0)
					goto done;
			if (t < nclasses) {
				sqlite3_stmt *h = NULL;

				if (sqlite3_prepare_v2(c.db,
				                       "UPDATE classes SET "
				                       "head_teacher_id = ? "
				                       "WHERE id = ?",
				                       -1, &h,
				                       NULL) != SQLITE_OK ||
				    mf_run(c.db, h, NULL, "ii", person,
				           classes[t]) != 0) {
					sqlite3_finalize(h);
					goto done;
				}
				sqlite3_finalize(h);
			}
			nteachers++;
			people[npeople++] = (struct mf_person){
			    person, account, identity, "teacher", (int)first};
			if (known) {
				reader_teacher = person;
				snprintf(teacher_login, sizeof(teacher_login),
				         "%s", phone);
			}
		}
	}
	/* Authors by role: admin, students, parents, teachers. */
	for (size_t i = 0; i < npeople; i++) {
		int r = people[i].role[0] == 's' && people[i].role[1] == 'c' ? 0
		        : people[i].role[0] == 's'                           ? 1
		        : people[i].role[0] == 'p'                           ? 2
		                                   : 3;

		if (authors[r] == NULL) {
			authors[r] = malloc(npeople * sizeof(**authors));
			if (authors[r] == NULL)
				goto done;
		}
		authors[r][nauthors[r]++] = people[i];
	}

	/* The posts. */
	times = mf_times(nposts, c.now);
	if (times == NULL)
		goto done;
	for (uint64_t i = 0; i < nposts; i++) {
		/* role: 5% admin, 50% students, 20% parents, 25% teachers;
		 * visibility (public, school, class, private) and kind
		 * (mood, quote, info) weights by role, in percent */
		static const int vis_w[4][4] = {{40, 60, 0, 0},
		                                {10, 30, 45, 15},
		                                {10, 25, 50, 15},
		                                {15, 40, 40, 5}};
		static const int kind_w[4][3] = {
		    {10, 10, 80}, {65, 20, 15}, {65, 20, 15}, {35, 15, 50}};
		unsigned roll = (unsigned)mf_below(100);
		int r = roll < 5 ? 0 : roll < 55 ? 1 : roll < 75 ? 2 : 3;
		struct mf_person *a = &authors[r][mf_below(nauthors[r])];
		int v = 0, kd = 0, sentences;
		const char *status = "live", *reason = NULL;
		int64_t post, klass = 0, removed_by = 0, removed_at = 0;
		uint64_t likes, comments, photos;
		char text[1024];
		size_t len = 0;

		roll = (unsigned)mf_below(100);
		while (roll >= (unsigned)vis_w[r][v])
			roll -= (unsigned)vis_w[r][v++];
		roll = (unsigned)mf_below(100);
		while (roll >= (unsigned)kind_w[r][kd])
			roll -= (unsigned)kind_w[r][kd++];
		/* a class post goes to the author's class (a teacher's: one
		 * of the classes taught) */
		if (v == 2)
			klass = classes[a->klass];
		sentences = kd == 1 ? 1 : 1 + (int)mf_below(3);
		text[0] = '\0';
		for (int s = 0; s < sentences; s++) {
			const char *const *pool = kd == 0   ? mf_mood
			                          : kd == 1 ? mf_quote
			                                    : mf_info;
			size_t np = kd == 0   ? MKDB_COUNT(mf_mood)
			            : kd == 1 ? MKDB_COUNT(mf_quote)
			                      : MKDB_COUNT(mf_info);
			int w = snprintf(text + len, sizeof(text) - len, "%s",
			                 pool[mf_below(np)]);

			if (w > 0 && (size_t)w < sizeof(text) - len)
				len += (size_t)w;
		}
		roll = (unsigned)mf_below(1000);
		if (roll < 10) {
			status = "deleted";
			k.deleted++;
		} else if (roll < 13 && v != 3) {
			status = "removed";
			reason = mf_reasons[mf_below(MKDB_COUNT(mf_reasons))];
			removed_by = admin;
			removed_at = times[i] + 3600;
			k.removed++;
		}
		/* likes and comments: many on public and school posts,
		 * fewer in a class, none on private ones */
		likes = v == 3 ? 0
		               : mf_count(v == 2 ? 2.0 : 4.0,
		                          npeople > 1 ? npeople - 1 : 0);
		comments = v == 3 ? 0 : mf_count(v == 2 ? 0.6 : 1.0, 40);
		/* photos (up to 9): on a third of the moods, a quarter of
		 * the information, no quotes */
		photos = 0;
		if ((kd == 0 && mf_below(100) < 33) ||
		    (kd == 2 && mf_below(100) < 25))
			photos = 1 + mf_count(2.0, 8);
		{
			sqlite3_stmt *st = c.st[MF_POST];

			sqlite3_bind_int64(st, 1, a->person);
			sqlite3_bind_int64(st, 2, a->identity);
			sqlite3_bind_text(st, 3, a->role, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 4, c.district);
			sqlite3_bind_int64(st, 5, c.school);
			if (klass > 0)
				sqlite3_bind_int64(st, 6, klass);
			sqlite3_bind_text(st, 7, kind_names[kd], -1,
			                  SQLITE_STATIC);
			sqlite3_bind_text(st, 8, vis_names[v], -1,
			                  SQLITE_STATIC);
			sqlite3_bind_text(st, 9, text, (int)len,
			                  SQLITE_TRANSIENT);
			sqlite3_bind_int64(st, 10, (int64_t)likes);
			sqlite3_bind_int64(st, 11, (int64_t)comments);
			sqlite3_bind_text(st, 12, status, -1, SQLITE_STATIC);
			if (reason != NULL) {
				sqlite3_bind_text(st, 13, reason, -1,
				                  SQLITE_STATIC);
				sqlite3_bind_int64(st, 14, removed_by);
				sqlite3_bind_int64(st, 15, removed_at);
			}
			sqlite3_bind_int64(st, 16, times[i]);
			sqlite3_bind_int64(st, 17, (int64_t)photos);
			if (mkdb_step(c.db, st, &post) != 0)
				goto done;
		}
		k.vis[v]++;
		if (status[0] == 'l') {
			if (v == 0 || v == 1)
				k.school_feed++;
			else if (v == 2 && klass == reader_class)
				k.class_feed++;
		}
		/* distinct likers: a stride prime to the pool's size */
		if (likes > 0) {
			uint64_t base = mf_below(npeople), stride = 7919;

			while (npeople % stride == 0)
				stride += 2;
			for (uint64_t j = 0; j < likes; j++) {
				struct mf_person *p =
				    &people[(base + j * stride) % npeople];

				if (mf_run(c.db, c.st[MF_LIKE], NULL, "iii",
				           post, p->person,
				           times[i] + 60 +
				               (int64_t)mf_below(86400)) != 0)
					goto done;
			}
			k.likes += likes;
		}
		for (uint64_t j = 0; j < comments; j++) {
			struct mf_person *p = &people[mf_below(npeople)];

			if (mf_run(
			        c.db, c.st[MF_COMMENT], NULL, "iiisisi", post,
			        p->person, p->identity, p->role, c.school,
			        mf_comments[mf_below(MKDB_COUNT(mf_comments))],
			        times[i] + 60 + (int64_t)mf_below(86400)) != 0)
				goto done;
		}
		k.comments += comments;
		if (mf_photos(&c, a, post, photos, times[i], &k) != 0)
			goto done;
	}
	/* the school's upload count, as the file service keeps it */
	{
		sqlite3_stmt *u = NULL;

		if (sqlite3_prepare_v2(
		        c.db,
		        "INSERT INTO file_usage(school_id, bytes) "
		        "VALUES (?, ?)",
		        -1, &u, NULL) != SQLITE_OK ||
		    mf_run(c.db, u, NULL, "ii", c.school, (int64_t)k.bytes) !=
		        0) {
			sqlite3_finalize(u);
			goto done;
		}
		sqlite3_finalize(u);
	}
	if (mkdb_exec(c.db, "COMMIT") != 0)
		goto done;
	printf("district %lld\n", (long long)c.district);
	printf("school %lld\n", (long long)c.school);
	printf("classes %llu\n", (unsigned long long)nclasses);
	printf("students %llu\n", n);
	printf("teachers %llu\n", (unsigned long long)nteachers);
	printf("parents %llu\n", (unsigned long long)nparents);
	printf("admin 13600000001 %lld\n", (long long)admin);
	printf("student %s %lld %lld\n", reader_login, (long long)reader,
	       (long long)reader_class);
	printf("teacher %s %lld\n", teacher_login, (long long)reader_teacher);
	printf("parent %s %lld\n", parent_login, (long long)reader_parent);
	printf("posts %llu\n", nposts);
	printf("visibility public %llu school %llu class %llu private %llu\n",
	       (unsigned long long)k.vis[0], (unsigned long long)k.vis[1],
	       (unsigned long long)k.vis[2], (unsigned long long)k.vis[3]);
	printf("status live %llu deleted %llu removed %llu\n",
	       nposts - k.deleted - k.removed, (unsigned long long)k.deleted,
	       (unsigned long long)k.removed);
	printf("likes %llu\n", (unsigned long long)k.likes);
	printf("comments %llu\n", (unsigned long long)k.comments);
	printf("photos %llu\n", (unsigned long long)k.photos);
	printf("reader school %llu class %llu\n",
	       (unsigned long long)k.school_feed,
	       (unsigned long long)k.class_feed);
	rc = 0;
done:
	free(times);
	for (int r = 0; r < 4; r++)
		free(authors[r]);
	free(people);
	free(classes);
	for (int i = 0; i < MF_NSTMT; i++)
		sqlite3_finalize(c.st[i]);
	sqlite3_close(c.db);
	crypto_teardown();
	return rc;
usage:
	fprintf(stderr, "usage: mkfeeds [-n STUDENTS] [-p POSTS] [-w PASSWORD "
	                "(8+ characters)] DATA_DIR\n");
	return 2;
}
