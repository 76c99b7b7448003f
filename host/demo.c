/*
 * demo.c — the demo district for `jiaxiao demo` and `make run`: one
 * district, two schools, classes, teachers (one also the parent of two
 * children), students and parents, created through the org service with
 * one known password, not flagged for change, printed at start-up.
 */
#include "crypto.h"
#include "host.h"
#include "org.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct demo_state {
	jx_db *db;
	char hash[CRYPTO_HASH_MAX];
	char err[256];
	int failed;
};

static int64_t
demo_one(jx_db *db, const char *sql, const char *types, ...)
{
	va_list ap;
	jx_stmt *st;
	int64_t v = -1;

	va_start(ap, types);
	st = db_vquery(db, sql, types, ap);
	va_end(ap);
	if (st != NULL && db_step(st) == JX_DB_ROW)
		v = db_int(st, 0);
	db_finish(st);
	return v;
}

/* The account gets the demo password: usable at once. */
static void
demo_password(struct demo_state *d, int64_t account)
{
	if (account <= 0 ||
	    db_exec(d->db,
	            "UPDATE accounts SET password_hash = ?, initial_password = "
	            "NULL, initial_expires_at = NULL, must_change_password = 0 "
	            "WHERE id = ?",
	            "si", d->hash, account) != 1)
		d->failed = 1;
}

static int64_t
demo_adult(struct demo_state *d, const char *name, const char *phone,
           const char *gender, const char *role, int64_t district,
           int64_t school)
{
	int64_t person, account;

	person = org_adult(d->db, name, phone, gender, d->err, sizeof(d->err));
	account = person > 0 ? org_account(d->db, NULL, 0, person, phone,
	                                   role ? role : "parent", phone, NULL,
	                                   0, d->err, sizeof(d->err))
	                     : -1;
	if (account <= 0 ||
	    (role != NULL &&
	     org_identity(d->db, account, role, district, school, 0, d->err,
	                  sizeof(d->err)) <= 0)) {
		d->failed = 1;
		return -1;
	}
	demo_password(d, account);
	return person;
}

static int64_t
demo_class(struct demo_state *d, int64_t school, int grade, const char *name,
           int64_t head)
{
	int64_t id =
	    demo_one(d->db,
	             "INSERT INTO classes(school_id, grade, name, "
	             "head_teacher_id, created_at) VALUES (?, ?, ?, "
	             "NULLIF(?, 0), ?) RETURNING id",
	             "iisii", school, (int64_t)grade, name, head, jx_now());

	if (id <= 0)
		d->failed = 1;
	return id;
}

static void
demo_teaches(struct demo_state *d, int64_t teacher, int64_t school,
             const char *subject, const int64_t *classes, int n)
{
	if (db_exec(d->db,
	            "INSERT INTO teachers(person_id, school_id, subject, "
	            "created_at) VALUES (?, ?, ?, ?)",
	            "iisi", teacher, school, subject, jx_now()) != 1)
		d->failed = 1;
	for (int i = 0; i < n; i++)
		if (db_exec(d->db,
		            "INSERT INTO teaching(teacher_id, class_id) VALUES "
		            "(?, ?)",
		            "ii", teacher, classes[i]) != 1)
			d->failed = 1;
}

static int64_t
demo_student(struct demo_state *d, int64_t district, int64_t school,
             int64_t klass, const char *name, const char *gender,
             const char *national_no)
{
	char login[16], hash[65] = "", shown[64] = "", *sealed = NULL;
	int64_t person, account, n;

	/* stored as the roster stores it (a G number sealed) */
	if (national_no != NULL) {
		sealed = org_national_embeds_id(national_no)
		             ? crypto_seal(national_no)
		             : NULL;
		crypto_lookup_hash(national_no, hash);
		org_national_mask(national_no, shown, sizeof(shown));
	}
	person =
	    demo_one(d->db,
	             "INSERT INTO persons(name, gender, created_at) VALUES "
	             "(?, ?, ?) RETURNING id",
	             "ssi", name, gender, jx_now());
	n = person <= 0 || org_student_login(d->db, login) != 0
	        ? -1
	        : db_exec(d->db,
	                  "INSERT INTO students(person_id, school_id, "
	                  "class_id, national_no, national_no_enc, "
	                  "national_no_hash, national_no_masked, created_at) "
	                  "VALUES (?, ?, ?, ?, ?, NULLIF(?, ''), NULLIF(?, "
	                  "''), ?)",
	                  "iiissssi", person, school, klass,
	                  sealed ? NULL : national_no, sealed, hash, shown,
	                  jx_now());
	free(sealed);
	if (n != 1) {
		d->failed = 1;
		return -1;
	}
	account = org_account(d->db, NULL, 0, person, login, "student", NULL,
	                      NULL, 0, d->err, sizeof(d->err));
	if (account <= 0 ||
	    org_identity(d->db, account, "student", district, school, person,
	                 d->err, sizeof(d->err)) <= 0) {
		d->failed = 1;
		return -1;
	}
	demo_password(d, account);
	return person;
}

/* Makes parent (a person with an account) the guardian of student. */
static void
demo_guardian(struct demo_state *d, int64_t parent, int64_t student,
              const char *relation, int64_t district, int64_t school)
{
	int64_t account = demo_one(
	    d->db, "SELECT id FROM accounts WHERE person_id = ?", "i", parent);

	if (db_exec(d->db,
	            "INSERT INTO guardians(parent_id, student_id, relation, "
	            "created_at) VALUES (?, ?, ?, ?)",
	            "iisi", parent, student, relation, jx_now()) != 1 ||
	    org_identity(d->db, account, "parent", district, school, student,
	                 d->err, sizeof(d->err)) <= 0)
		d->failed = 1;
}

int
demo_create(jx_db *db)
{
	struct demo_state d = {.db = db};
	int64_t did, s1, s2, c11, c12, c31, c71, c81;
	int64_t wang, chen, liu, zhang, kids[2], st;

	if (demo_one(db, "SELECT COUNT(*) FROM districts", "") > 0)
		return 0; /* already there */
	if (crypto_password_hash(DEMO_PASSWORD, d.hash) != 0 ||
	    db_begin(db) != 0)
		return -1;
	did = demo_one(db,
	               "INSERT INTO districts(code, name, created_at) VALUES "
	               "('430104', '岳麓区', ?) RETURNING id",
	               "i", jx_now());
	s1 = demo_one(db,
	              "INSERT INTO schools(district_id, code, name, stage, "
	              "created_at) VALUES (?, '4301040001', "
	              "'岳麓区第一实验小学', 'primary', ?) RETURNING id",
	              "ii", did, jx_now());
	s2 = demo_one(db,
	              "INSERT INTO schools(district_id, code, name, stage, "
	              "created_at) VALUES (?, '4301040002', '岳麓区第二中学', "
	              "'junior', ?) RETURNING id",
	              "ii", did, jx_now());
	if (did <= 0 || s1 <= 0 || s2 <= 0)
		goto fail;
	demo_password(&d, demo_one(db,
	                           "SELECT id FROM accounts WHERE login = "
	                           "'admin'",
	                           ""));
	demo_adult(&d, "周建国", "13800000001", "男", "district_admin", did, 0);
	demo_adult(&d, "李敏", "13800000002", "女", "school_admin", did, s1);
	demo_adult(&d, "赵磊", "13800000005", "男", "school_admin", did, s2);
	wang = demo_adult(&d, "王芳", "13800000003", "女", "teacher", did, s1);
	chen = demo_adult(&d, "陈刚", "13800000004", "男", "teacher", did, s1);
	liu = demo_adult(&d, "刘洋", "13800000006", "女", "teacher", did, s2);
	c11 = demo_class(&d, s1, 1, "1班", wang);
	c12 = demo_class(&d, s1, 1, "2班", 0);
	c31 = demo_class(&d, s1, 3, "1班", chen);
	c71 = demo_class(&d, s2, 7, "1班", liu);
	c81 = demo_class(&d, s2, 8, "1班", 0);
	demo_teaches(&d, wang, s1, "语文", (int64_t[]){c11, c12}, 2);
	demo_teaches(&d, chen, s1, "数学", (int64_t[]){c11, c31}, 2);
	demo_teaches(&d, liu, s2, "英语", (int64_t[]){c71, c81}, 2);

	st = demo_student(&d, did, s1, c11, "张一鸣", "男",
	                  "G430104201905010011");
	/* A parent's identity comes with the guardian link. */
	zhang = demo_adult(&d, "张伟", "13900000001", "男", NULL, did, s1);
	demo_guardian(&d, zhang, st, "父亲", did, s1);
	demo_student(&d, did, s1, c11, "李思涵", "女", NULL);
	demo_student(&d, did, s1, c11, "王子轩", "男", NULL);
	kids[0] = demo_student(&d, did, s1, c12, "陈小雨", "女", NULL);
	demo_student(&d, did, s1, c12, "赵欣怡", "女", NULL);
	kids[1] = demo_student(&d, did, s1, c31, "陈小阳", "男", NULL);
	demo_student(&d, did, s1, c31, "孙浩然", "男", NULL);
	demo_guardian(&d, chen, kids[0], "父亲", did, s1);
	demo_guardian(&d, chen, kids[1], "父亲", did, s1);
	demo_student(&d, did, s2, c71, "周子涵", "女", NULL);
	demo_student(&d, did, s2, c71, "吴俊杰", "男", NULL);
	demo_student(&d, did, s2, c71, "刘䶮", "男", NULL);
	demo_student(&d, did, s2, c81, "黄诗琪", "女", NULL);
	if (d.failed ||
	    audit_append(db, 0, 0, "demo.created", "430104", NULL, NULL) != 0)
		goto fail;
	return db_commit(db);
fail:
	jx_log(JX_LOG_ERROR, "demo", "cannot create the demo district: %s %s",
	       d.err, db_errmsg(db));
	db_rollback(db);
	return -1;
}

/* The demo logins, printed at every start of `jiaxiao demo`. */
void
demo_print(jx_db *db, FILE *out)
{
	static const struct {
		const char *role, *name, *note;
	} people[] = {
	    {"市级管理员 city admin", "市级管理员", ""},
	    {"区县管理员 district admin", "周建国", "岳麓区"},
	    {"学校管理员 school admin", "李敏", "岳麓区第一实验小学"},
	    {"学校管理员 school admin", "赵磊", "岳麓区第二中学"},
	    {"教师 teacher", "王芳", "一年级1班班主任"},
	    {"教师+家长 teacher+parent", "陈刚",
	     "三年级1班班主任; 陈小雨、陈小阳的父亲"},
	    {"家长 parent", "张伟", "张一鸣的父亲"},
	    {"学生 student", "张一鸣", "一年级1班"},
	    {"学生 student", "周子涵", "七年级1班"},
	};

	fprintf(out, "\n  demo district 岳麓区 — every password is %s\n\n",
	        DEMO_PASSWORD);
	fprintf(out, "  %-12s %s\n", "login", "role / name");
	for (size_t i = 0; i < sizeof(people) / sizeof(*people); i++) {
		jx_stmt *st = db_query(db,
		                       "SELECT a.login FROM accounts a JOIN "
		                       "persons p ON p.id = a.person_id WHERE "
		                       "p.name = ? ORDER BY a.id LIMIT 1",
		                       "s", people[i].name);

		if (st != NULL && db_step(st) == JX_DB_ROW)
			fprintf(out, "  %-12s %s  %s  %s\n", db_text(st, 0),
			        people[i].role, people[i].name, people[i].note);
		db_finish(st);
	}
	fputs("\n  New adults (added or imported) get no password from their "
	      "phone: with an SMS\n  gateway (sms.api_base) they activate at "
	      "/activate with a code sent\n  to their phone; without one the "
	      "school prints their 8-character\n  initial password on slips "
	      "(teachers: /schools/{id}/teacher-slips,\n  parents: on their "
	      "child's slip). Students always get slips.\n  新增的教师和家长"
	      "不再使用由手机号推算的密码：配置短信网关后在 /activate\n  "
	      "用短信验证码激活"
	      "账号；未配置时由学校打印 8 位初始密码条。\n\n",
	      out);
	fflush(out);
}
