/*
 * roster_apply.c — one row of the roster, wherever it comes from (a
 * form, the API, a sheet): match the existing person, check the
 * city-wide uniqueness of 全国学籍号 and 身份证号, then create, update or
 * leave alone. Imports run these for every row inside one transaction.
 */
#include "roster.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
apply_fail(struct roster_error *err, const char *field, const char *zh,
           const char *en)
{
	err->field = field;
	snprintf(err->message, sizeof(err->message), "%s", zh);
	snprintf(err->message_en, sizeof(err->message_en), "%s", en);
	return -1;
}

/* A failure the host's org service explained (in English, for the log):
 * the school reads that it could not be saved. */
static int
apply_org_fail(struct roster_error *err, const char *field, const char *msg)
{
	return apply_fail(err, field, "无法保存，请稍后重试或联系管理员", msg);
}

static int
apply_storage(jx_db *db, struct roster_error *err)
{
	err->field = NULL;
	snprintf(err->message, sizeof(err->message), "无法保存：%s",
	         jx_host->db_errmsg(db));
	snprintf(err->message_en, sizeof(err->message_en), "cannot save: %s",
	         jx_host->db_errmsg(db));
	return -1;
}

/*
 * Whether this school may change an existing adult's own record (name,
 * gender): only when every tie of theirs is within the school. A phone
 * entered here that belongs to someone who also acts elsewhere (another
 * school, another district, an admin) links the new identity, keeps
 * their record as it is, shows them here under the name the school
 * entered (display_name), and tells them (issue 10, finding 5).
 */
static int
apply_within(jx_db *db, int64_t person, int64_t school)
{
	if (roster_org->size <= offsetof(struct jx_org_v1, person_within))
		return 0;
	return roster_org->person_within(db, person, school);
}

static int
apply_linked(jx_db *db, int64_t person, const char *role, int64_t school,
             int64_t district)
{
	if (roster_org->size <= offsetof(struct jx_org_v1, identity_linked))
		return 0;
	return roster_org->identity_linked(db, person, role, school, district);
}

/* 1 when an adult with this phone is on record. */
static int
apply_phone_known(jx_db *db, const char *phone)
{
	return jx_host->db_one(db, "SELECT id FROM persons WHERE phone = ?",
	                       "s", phone) > 0;
}

/* A given value that is not a masked export (keep what is stored). */
static int
apply_given(const char *v)
{
	return v != NULL && *v != '\0' && strchr(v, '*') == NULL;
}

static int
apply_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

int
roster_national_prepare(const char *value, struct roster_national *n)
{
	memset(n, 0, sizeof(*n));
	if (!apply_given(value))
		return 0;
	if (roster_org->national_norm(value, n->norm, sizeof(n->norm)) != 0)
		return -1;
	if (n->norm[0] == '\0')
		return 0;
	return roster_org->national_seal(n->norm, &n->sealed, n->hash, n->shown,
	                                 sizeof(n->shown));
}

void
roster_national_free(struct roster_national *n)
{
	if (n->sealed != NULL)
		memset(n->sealed, 0, strlen(n->sealed));
	free(n->sealed);
	memset(n, 0, sizeof(*n));
}

int
roster_national_write(jx_db *db, int64_t student,
                      const struct roster_national *n)
{
	struct jx_org_student s = {
	    .size = sizeof(s),
	    .national_no = n->sealed ? NULL : n->norm,
	    .national_enc = n->sealed,
	    .national_hash = n->hash,
	    .national_masked = n->shown,
	};

	return roster_org->student_update(db, student, &s);
}

/* The class the row names, created when allowed; 0 with err when none. */
static int64_t
apply_class(jx_db *db, int64_t school, const struct roster_student_in *in,
            struct roster_error *err)
{
	int64_t id;

	if (in->class_id > 0) {
		if (jx_host->db_one(
		        db,
		        "SELECT 1 FROM classes WHERE id = ? AND school_id "
		        "= ?",
		        "ii", in->class_id, school) != 1) {
			apply_fail(err, "class_id", "班级不存在",
			           "no such class in this school");
			return 0;
		}
		return in->class_id;
	}
	if (in->class_name == NULL || *in->class_name == '\0')
		return 0;
	id = roster_class_find(db, school, in->grade, in->class_name);
	if (id > 0)
		return id;
	if (!in->create_classes) {
		err->field = "class";
		snprintf(err->message, sizeof(err->message),
		         "班级 %s%s 不存在，请先创建班级",
		         roster_org->grade_label(in->grade), in->class_name);
		snprintf(err->message_en, sizeof(err->message_en),
		         "the class %s%s does not exist: create it first",
		         roster_org->grade_label(in->grade), in->class_name);
		return 0;
	}
	if (roster_grade_check(db, school, in->grade, err) != 0)
		return 0;
	id = roster_org->class_create(db, school, in->grade, in->class_name, 0);
	if (id <= 0)
		apply_storage(db, err);
	return id > 0 ? id : 0;
}

struct apply_match {
	int64_t id, school, klass;
	char status[16];
	char name[64], gender[8], national_hash[65], city_no[40], id_hash[65];
};

static int64_t
apply_find(jx_db *db, const char *sql, const char *types, const char *a,
           int64_t b, int64_t c, const char *d, struct apply_match *m)
{
	jx_stmt *st;

	if (types[0] == 's' && types[1] == '\0')
		st = jx_host->db_query(db, sql, types, a);
	else
		st = jx_host->db_query(db, sql, types, b, c, d);
	memset(m, 0, sizeof(*m));
	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		m->id = jx_host->db_int(st, 0);
		m->school = jx_host->db_int(st, 1);
		m->klass = jx_host->db_int(st, 2);
		snprintf(m->status, sizeof(m->status), "%s",
		         jx_host->db_text(st, 3) ?: "");
		snprintf(m->name, sizeof(m->name), "%s",
		         jx_host->db_text(st, 4) ?: "");
		snprintf(m->gender, sizeof(m->gender), "%s",
		         jx_host->db_text(st, 5) ?: "");
		snprintf(m->national_hash, sizeof(m->national_hash), "%s",
		         jx_host->db_text(st, 6) ?: "");
		snprintf(m->city_no, sizeof(m->city_no), "%s",
		         jx_host->db_text(st, 7) ?: "");
		snprintf(m->id_hash, sizeof(m->id_hash), "%s",
		         jx_host->db_text(st, 8) ?: "");
	}
	jx_host->db_finish(st);
	return m->id;
}

#define APPLY_STUDENT_COLS                                                     \
	"SELECT s.person_id, s.school_id, COALESCE(s.class_id, 0), "           \
	"s.status, p.name, p.gender, s.national_no_hash, s.city_no, "          \
	"s.id_number_hash FROM students s JOIN persons p ON p.id = "           \
	"s.person_id "

/* Guardians of one student: adds or updates; 1 when something changed. */
static int
apply_guardians(jx_db *db, int64_t district, int64_t school, int64_t student,
                const struct roster_guardian_in *g, int n,
                struct roster_error *err)
{
	static const char *const fields[2][3] = {
	    {"guardian1_name", "guardian1_phone", "guardian1_relation"},
	    {"guardian2_name", "guardian2_phone", "guardian2_relation"}};
	int changed = 0;

	for (int i = 0; i < n && i < 2; i++) {
		char msg[256];
		int64_t parent, account;
		jx_stmt *st;
		int had = 0, same = 0, known, own;

		if ((g[i].name == NULL || !*g[i].name) &&
		    (g[i].phone == NULL || !*g[i].phone))
			continue;
		if (g[i].phone == NULL || !*g[i].phone)
			return apply_fail(err, fields[i][1], "家长手机号缺失",
			                  "the parent's phone is missing");
		if (!roster_org->phone_valid(g[i].phone))
			return apply_fail(
			    err, fields[i][1], "手机号应为以1开头的11位数字",
			    "a phone is 11 digits starting with 1");
		if (g[i].name == NULL || !*g[i].name)
			return apply_fail(err, fields[i][0], "家长姓名缺失",
			                  "the parent's name is missing");
		known = apply_phone_known(db, g[i].phone);
		parent = roster_org->adult(db, g[i].name, g[i].phone, NULL, msg,
		                           sizeof(msg));
		if (parent <= 0)
			return apply_org_fail(err, fields[i][1], msg);
		own = !known || apply_within(db, parent, school);
		/* The phone names the parent; the school's spelling of the
		 * name is the one kept (a corrected sheet corrects it) where
		 * the parent is wholly this school's. */
		if (own) {
			int64_t n = roster_org->person_update(db, parent,
			                                      g[i].name, NULL);

			if (n < 0)
				return apply_storage(db, err);
			changed |= n > 0;
		}
		if (parent == student)
			return apply_fail(err, fields[i][1],
			                  "家长不能是学生本人",
			                  "a parent cannot be the student");
		account = roster_org->account(db, district, parent, g[i].phone,
		                              "parent", g[i].phone, NULL, 0,
		                              msg, sizeof(msg));
		if (account <= 0)
			return apply_org_fail(err, fields[i][1], msg);
		st = jx_host->db_query(
		    db,
		    "SELECT relation, display_name FROM guardians WHERE "
		    "parent_id = ? AND student_id = ?",
		    "ii", parent, student);
		if (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
			had = 1;
			same = (g[i].relation == NULL ||
			        apply_same(jx_host->db_text(st, 0),
			                   g[i].relation)) &&
			       apply_same(jx_host->db_text(st, 1),
			                  own ? NULL : g[i].name);
		}
		jx_host->db_finish(st);
		if (!had || !same) {
			if (roster_org->guardian_bind(
			        db, parent, student, g[i].relation,
			        own ? NULL : g[i].name) != 0)
				return apply_storage(db, err);
			changed = 1;
		}
		if (!had && !own &&
		    apply_linked(db, parent, "parent", school, district) != 0)
			return apply_storage(db, err);
		if (roster_org->identity(db, account, "parent", district,
		                         school, student, msg,
		                         sizeof(msg)) <= 0)
			return apply_org_fail(err, fields[i][1], msg);
	}
	return changed;
}

int
roster_student_apply(jx_db *db, int64_t school,
                     const struct roster_student_in *in, int64_t *student,
                     struct roster_error *err)
{
	char hash[65] = "", masked[40] = "", *sealed = NULL, msg[256];
	int64_t district = roster_school_district(db, school), klass, account;
	struct roster_national nat;
	struct apply_match m, other;
	int outcome, changed = 0, g, rc = -1;

	memset(err, 0, sizeof(*err));
	*student = 0;
	if (district <= 0)
		return apply_fail(err, NULL, "学校不存在", "no such school");
	klass = apply_class(db, school, in, err);
	if (err->message[0])
		return -1;
	if (roster_national_prepare(in->national_no, &nat) != 0) {
		roster_national_free(&nat);
		return apply_fail(err, "national_no", "全国学籍号过长",
		                  "the national student number is too long");
	}
	if (apply_given(in->id_number))
		roster_org->lookup_hash(in->id_number, hash);

	/* Match: 学生账号 (an export's, of this school), else 全国学籍号,
	 * else 身份证号, else 姓名+年级+班级 here. */
	m.id = 0;
	if (in->login != NULL && *in->login != '\0') {
		apply_find(db,
		           APPLY_STUDENT_COLS
		           "WHERE s.person_id = (SELECT "
		           "person_id FROM host_accounts WHERE "
		           "login = ?)",
		           "s", in->login, 0, 0, NULL, &m);
		if (m.id == 0 || m.school != school) {
			apply_fail(err, "login", "本校没有该学生账号",
			           "no student of this school has this login");
			goto out;
		}
	}
	if (m.id == 0 && nat.norm[0])
		apply_find(db,
		           APPLY_STUDENT_COLS "WHERE s.national_no_hash = ?",
		           "s", nat.hash, 0, 0, NULL, &m);
	if (m.id == 0 && hash[0])
		apply_find(db, APPLY_STUDENT_COLS "WHERE s.id_number_hash = ?",
		           "s", hash, 0, 0, NULL, &m);
	/* +s.school_id: without it SQLite prefers students_school
	 * (school_id, status) and reads every student of the school, per
	 * row; the class's index reads one class. */
	if (m.id == 0 && klass > 0 && in->name != NULL && !in->no_name_match) {
		apply_find(
		    db,
		    APPLY_STUDENT_COLS
		    "WHERE +s.school_id = ? AND s.class_id = ? AND p.name "
		    "= ? AND s.status = 'in_school' ORDER BY s.person_id "
		    "LIMIT 1",
		    "iis", NULL, school, klass, in->name, &m);
		/* A namesake whose numbers differ from the row's is another
		 * student (two children of one name in a class are normal),
		 * never one to overwrite. */
		if (m.id != 0 && ((hash[0] && m.id_hash[0] &&
		                   strcmp(hash, m.id_hash) != 0) ||
		                  (nat.norm[0] && m.national_hash[0] &&
		                   strcmp(nat.hash, m.national_hash) != 0)))
			m.id = 0;
	}
	/* The numbers must not belong to another student. */
	if (m.id != 0 && hash[0] && m.id_hash[0] && strcmp(m.id_hash, hash)) {
		if (apply_find(db,
		               APPLY_STUDENT_COLS "WHERE s.id_number_hash = ?",
		               "s", hash, 0, 0, NULL, &other) != 0) {
			apply_fail(err, "id_number", "身份证号已属于另一名学生",
			           "this ID number belongs to another student");
			goto out;
		}
	}
	if (m.id != 0 && hash[0] && !m.id_hash[0] &&
	    apply_find(db, APPLY_STUDENT_COLS "WHERE s.id_number_hash = ?", "s",
	               hash, 0, 0, NULL, &other) != 0 &&
	    other.id != m.id) {
		apply_fail(err, "id_number", "身份证号已属于另一名学生",
		           "this ID number belongs to another student");
		goto out;
	}
	if (nat.norm[0] && m.id != 0 &&
	    strcmp(m.national_hash, nat.hash) != 0 &&
	    apply_find(db, APPLY_STUDENT_COLS "WHERE s.national_no_hash = ?",
	               "s", nat.hash, 0, 0, NULL, &other) != 0 &&
	    other.id != m.id) {
		apply_fail(
		    err, "national_no", "全国学籍号已属于另一名学生",
		    "this national student number belongs to another student");
		goto out;
	}
	/* Still in school elsewhere: refuse, and say nothing about where. */
	if (m.id != 0 && m.school != school &&
	    strcmp(m.status, "in_school") == 0) {
		apply_fail(err, nat.norm[0] ? "national_no" : "id_number",
		           "该学生在其他学校在读，须由原学校先办理离校",
		           "the student is enrolled at another school, which "
		           "must mark them as left first");
		goto out;
	}
	if (hash[0] &&
	    (sealed = NULL, roster_org->id_seal(in->id_number, &sealed, hash,
	                                        masked, sizeof(masked)) != 0)) {
		apply_storage(db, err);
		goto out;
	}

	if (m.id == 0) {
		char login[16];

		if (in->name == NULL || !*in->name) {
			apply_fail(err, "name", "姓名缺失", "name missing");
			goto out;
		}
		if (in->gender == NULL) {
			apply_fail(err, "gender", "性别应为 男 或 女",
			           "gender: male or female");
			goto out;
		}
		if (klass == 0) {
			apply_fail(err, "class", "年级和班级缺失",
			           "grade and class missing");
			goto out;
		}
		struct jx_org_student s = {
		    .size = sizeof(s),
		    .name = in->name,
		    .gender = in->gender,
		    .school = school,
		    .klass = klass,
		    .city_no = apply_given(in->city_no) ? in->city_no : NULL,
		    .id_enc = sealed,
		    .id_hash = hash[0] ? hash : NULL,
		    .id_masked = masked[0] ? masked : NULL,
		    .national_no = nat.sealed || !nat.norm[0] ? NULL : nat.norm,
		    .national_enc = nat.sealed,
		    .national_hash = nat.hash[0] ? nat.hash : NULL,
		    .national_masked = nat.shown[0] ? nat.shown : NULL,
		};

		*student = roster_org->student_create(db, &s);
		if (*student <= 0 ||
		    roster_org->student_login(db, login) != 0) {
			apply_storage(db, err);
			goto out;
		}
		account = roster_org->account(db, district, *student, login,
		                              "student", NULL, NULL, 0, msg,
		                              sizeof(msg));
		if (account <= 0 ||
		    roster_org->identity(db, account, "student", district,
		                         school, *student, msg,
		                         sizeof(msg)) <= 0) {
			apply_org_fail(err, NULL, msg);
			goto out;
		}
		outcome = ROSTER_CREATED;
	} else {
		int moved =
		    m.school != school || strcmp(m.status, "in_school") != 0;

		*student = m.id;
		if (klass == 0)
			klass = m.klass;
		if (klass == 0) {
			apply_fail(err, "class", "年级和班级缺失",
			           "grade and class missing");
			goto out;
		}
		changed =
		    moved || klass != m.klass ||
		    (in->name && strcmp(in->name, m.name) != 0) ||
		    (in->gender && strcmp(in->gender, m.gender) != 0) ||
		    (nat.norm[0] && strcmp(nat.hash, m.national_hash) != 0) ||
		    (apply_given(in->city_no) &&
		     strcmp(in->city_no, m.city_no) != 0) ||
		    (hash[0] && strcmp(hash, m.id_hash) != 0);
		/* The school they left keeps its record of them, now with
		 * this school as where they went (roster_departures). */
		if (moved && roster_departure_close(db, m.id, school,
		                                    jx_host->now()) != 0) {
			apply_storage(db, err);
			goto out;
		}
		/* A transfer or re-admission: the student and the parents
		 * they had act again, here (the host re-admits). */
		if (moved &&
		    roster_org->student_readmit(db, m.id, school, klass, msg,
		                                sizeof(msg)) != 0) {
			apply_org_fail(err, NULL, msg);
			goto out;
		}
		if (changed) {
			int renumber = nat.norm[0] &&
			               strcmp(nat.hash, m.national_hash) != 0;
			struct jx_org_student s = {
			    .size = sizeof(s),
			    .name = in->name,
			    .gender = in->gender,
			    .klass = klass,
			    .city_no =
			        apply_given(in->city_no) ? in->city_no : NULL,
			    .id_enc = sealed,
			    .id_hash = hash[0] ? hash : NULL,
			    .id_masked = masked[0] ? masked : NULL,
			    .national_no =
			        renumber && !nat.sealed ? nat.norm : NULL,
			    .national_enc = renumber ? nat.sealed : NULL,
			    .national_hash = renumber ? nat.hash : NULL,
			    .national_masked = renumber ? nat.shown : NULL,
			};

			if (roster_org->student_update(db, m.id, &s) != 0) {
				apply_storage(db, err);
				goto out;
			}
		}
		outcome = changed ? ROSTER_UPDATED : ROSTER_UNCHANGED;
	}
	if (outcome != ROSTER_UNCHANGED && !in->quiet &&
	    roster_student_changed(db, *student) != 0) {
		apply_storage(db, err);
		goto out;
	}
	g = apply_guardians(db, district, school, *student, in->guardians,
	                    in->nguardians, err);
	if (g < 0)
		goto out;
	if (g > 0 && outcome == ROSTER_UNCHANGED)
		outcome = ROSTER_UPDATED;
	rc = outcome;
out:
	free(sealed);
	roster_national_free(&nat);
	return rc;
}

int
roster_teacher_apply(jx_db *db, int64_t school,
                     const struct roster_teacher_in *in, int64_t *teacher,
                     struct roster_error *err)
{
	int64_t district = roster_school_district(db, school), account;
	char msg[256], old_name[64] = "", old_subject[64] = "",
	               old_gender[8] = "";
	int existed = 0, changed = 0, known, own, posted = 0;
	jx_stmt *st;

	memset(err, 0, sizeof(*err));
	*teacher = 0;
	if (district <= 0)
		return apply_fail(err, NULL, "学校不存在", "no such school");
	if (in->name == NULL || !*in->name)
		return apply_fail(err, "name", "姓名缺失", "name missing");
	if (in->phone == NULL || !roster_org->phone_valid(in->phone))
		return apply_fail(err, "phone", "手机号应为以1开头的11位数字",
		                  "a phone is 11 digits starting with 1");
	known = apply_phone_known(db, in->phone);
	*teacher = roster_org->adult(db, in->name, in->phone, in->gender, msg,
	                             sizeof(msg));
	if (*teacher <= 0)
		return apply_org_fail(err, "phone", msg);
	own = !known || apply_within(db, *teacher, school);
	st = jx_host->db_query(
	    db,
	    "SELECT COALESCE(t.display_name, p.name), "
	    "COALESCE(t.subject, ''), CASE WHEN t.display_name "
	    "IS NULL THEN COALESCE(p.gender, '') ELSE '' END, "
	    "t.person_id, (SELECT 1 FROM teachers x WHERE "
	    "x.person_id = p.id AND x.school_id = ?) FROM persons "
	    "p LEFT JOIN teachers t ON t.person_id = p.id AND "
	    "t.school_id = ? AND t.status = 'in_school' WHERE p.id "
	    "= ?",
	    "iii", school, school, *teacher);
	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		snprintf(old_name, sizeof(old_name), "%s",
		         jx_host->db_text(st, 0));
		snprintf(old_subject, sizeof(old_subject), "%s",
		         jx_host->db_text(st, 1));
		snprintf(old_gender, sizeof(old_gender), "%s",
		         jx_host->db_text(st, 2));
		existed = !jx_host->db_is_null(st, 3);
		posted = !jx_host->db_is_null(st, 4);
	}
	jx_host->db_finish(st);
	changed = strcmp(old_name, in->name) != 0 ||
	          (in->subject && strcmp(old_subject, in->subject) != 0) ||
	          (own && in->gender && strcmp(old_gender, in->gender) != 0);
	if ((own && roster_org->person_update(db, *teacher, in->name,
	                                      in->gender) < 0) ||
	    roster_org->teacher_post(db, *teacher, school, in->subject,
	                             own ? NULL : in->name) != 0)
		return apply_storage(db, err);
	if (!own && !posted &&
	    apply_linked(db, *teacher, "teacher", school, district) != 0)
		return apply_storage(db, err);
	account =
	    roster_org->account(db, district, *teacher, in->phone, "teacher",
	                        in->phone, NULL, 0, msg, sizeof(msg));
	if (account <= 0 ||
	    roster_org->identity(db, account, "teacher", district, school, 0,
	                         msg, sizeof(msg)) <= 0)
		return apply_org_fail(err, "phone", msg);
	if (in->class_ids != NULL) {
		int64_t before = jx_host->db_one(
		    db,
		    "SELECT COUNT(*) FROM teaching t JOIN classes c ON c.id = "
		    "t.class_id WHERE t.teacher_id = ? AND c.school_id = ?",
		    "ii", *teacher, school);
		int same = before == in->nclass_ids;

		for (int i = 0; i < in->nclass_ids && same; i++)
			same = jx_host->db_one(
			           db,
			           "SELECT 1 FROM teaching WHERE teacher_id "
			           "= ? AND class_id = ?",
			           "ii", *teacher, in->class_ids[i]) == 1;
		if (!same) {
			changed = 1;
			if (roster_org->teaching_set(db, *teacher, school,
			                             in->class_ids,
			                             in->nclass_ids) != 0)
				return apply_storage(db, err);
		}
	}
	if (in->head_of_class_ids != NULL) {
		for (int i = 0; i < in->nhead_of_class_ids; i++) {
			int64_t n = roster_org->class_head(
			    db, in->head_of_class_ids[i], school, *teacher);

			if (n < 0)
				return apply_storage(db, err);
			changed |= n > 0;
		}
	}
	if (!existed)
		return ROSTER_CREATED;
	return changed ? ROSTER_UPDATED : ROSTER_UNCHANGED;
}

int
roster_parent_apply(jx_db *db, int64_t school,
                    const struct roster_parent_in *in, int64_t *parent,
                    struct roster_error *err)
{
	struct roster_guardian_in g = {in->name, in->phone, in->relation};
	int64_t district = roster_school_district(db, school), student = 0;
	char hash[65];
	int rc;

	memset(err, 0, sizeof(*err));
	*parent = 0;
	if (in->student_login != NULL && *in->student_login != '\0')
		student = jx_host->db_one(
		    db,
		    "SELECT s.person_id FROM host_accounts a JOIN "
		    "students s ON s.person_id = a.person_id "
		    "WHERE a.login = ? AND s.school_id = ? AND "
		    "s.status = 'in_school'",
		    "si", in->student_login, school);
	else if (apply_given(in->student_national_no)) {
		struct roster_national nat;

		if (roster_national_prepare(in->student_national_no, &nat) !=
		    0) {
			roster_national_free(&nat);
			return apply_fail(
			    err, "student_national_no", "全国学籍号过长",
			    "the national student number is too long");
		}
		student = jx_host->db_one(
		    db,
		    "SELECT person_id FROM students WHERE "
		    "national_no_hash = ? AND school_id = ? AND "
		    "status = 'in_school'",
		    "si", nat.hash, school);
		roster_national_free(&nat);
	} else if (apply_given(in->student_id_number)) {
		roster_org->lookup_hash(in->student_id_number, hash);
		student =
		    jx_host->db_one(db,
		                    "SELECT person_id FROM students WHERE "
		                    "id_number_hash = ? AND school_id = ? AND "
		                    "status = 'in_school'",
		                    "si", hash, school);
	} else
		return apply_fail(err, "student_national_no",
		                  "学生账号、学生全国学籍号或身份证号缺失",
		                  "the student's login, national number or ID "
		                  "number is missing");
	if (student <= 0)
		return apply_fail(
		    err,
		    in->student_login && *in->student_login ? "student_login"
		    : apply_given(in->student_national_no)
		        ? "student_national_no"
		        : "student_id_number",
		    "本校找不到该学生", "no such student in this school");
	if (in->name == NULL || !*in->name)
		return apply_fail(err, "name", "家长姓名缺失", "name missing");
	if (in->phone == NULL || !*in->phone)
		return apply_fail(err, "phone", "手机号缺失", "phone missing");
	{
		int64_t before = jx_host->db_one(
		    db,
		    "SELECT COUNT(*) FROM guardians g JOIN persons p ON p.id = "
		    "g.parent_id WHERE g.student_id = ? AND p.phone = ?",
		    "is", student, in->phone);

		rc = apply_guardians(db, district, school, student, &g, 1, err);
		if (rc < 0) {
			/* name the parents sheet's columns */
			if (err->field && strstr(err->field, "phone"))
				err->field = "phone";
			else if (err->field && strstr(err->field, "name"))
				err->field = "name";
			return -1;
		}
		*parent = jx_host->db_one(
		    db, "SELECT id FROM persons WHERE phone = ?", "s",
		    in->phone);
		if (before == 0)
			return ROSTER_CREATED;
		return rc > 0 ? ROSTER_UPDATED : ROSTER_UNCHANGED;
	}
}

int
roster_student_leave(jx_db *db, int64_t student, const char *reason)
{
	/* The host ends the student's and the parents' identities for this
	 * child and their sessions; the records stay. */
	if (roster_org->student_leave(db, student, reason) != 0 ||
	    roster_departure_open(db, student) != 0 ||
	    roster_student_changed(db, student) != 0)
		return -1;
	return 0;
}

int
roster_teacher_leave(jx_db *db, int64_t school, int64_t teacher)
{
	return roster_org->teacher_leave(db, teacher, school);
}
