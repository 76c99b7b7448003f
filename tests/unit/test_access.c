/*
 * test_access.c — the scope rules of access_may for every role, on a small
 * organisation: two districts, schools in each, classes, a teacher who
 * teaches one class and heads another, students, a parent identity.
 */
#include "check.h"
#include "host.h"

#include <stdio.h>
#include <stdlib.h>

static jx_db *db;

static int64_t
ins(const char *sql)
{
	CHECK(db_exec(db, sql, "") == 1);
	return db_one(db, "SELECT last_insert_rowid()", "");
}

int
main(void)
{
	char dir[] = "/tmp/jxaccessXXXXXX", path[256], err[256];
	int64_t d1, d2, s1, s2, s3, c1, c2, c3, c4, t, st1, st2, st3, st4, st5;
	int64_t head_ids[1], teach_ids[2];
	struct jx_identity city = {.role = "city_admin"};
	struct jx_identity dadm, sadm, teacher, parent, student, other_sadm;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/a.db", dir);
	db = db_open(path);
	CHECK(migrate_apply(db, "host", host_migrations, err, sizeof(err)) ==
	      0);
	d1 = ins("INSERT INTO districts(code, name, created_at) VALUES "
	         "('430102', 'A', 0)");
	d2 = ins("INSERT INTO districts(code, name, created_at) VALUES "
	         "('430103', 'B', 0)");
	s1 = ins("INSERT INTO schools(district_id, code, name, stage, "
	         "created_at) VALUES (1, 's1', 'S1', 'primary', 0)");
	s2 = ins("INSERT INTO schools(district_id, code, name, stage, "
	         "created_at) VALUES (1, 's2', 'S2', 'primary', 0)");
	s3 = ins("INSERT INTO schools(district_id, code, name, stage, "
	         "created_at) VALUES (2, 's3', 'S3', 'primary', 0)");
	c1 = ins("INSERT INTO classes(school_id, grade, name, created_at) "
	         "VALUES (1, 1, '1班', 0)");
	c2 = ins("INSERT INTO classes(school_id, grade, name, created_at) "
	         "VALUES (1, 1, '2班', 0)");
	c3 = ins("INSERT INTO classes(school_id, grade, name, created_at) "
	         "VALUES (1, 2, '1班', 0)");
	c4 = ins("INSERT INTO classes(school_id, grade, name, created_at) "
	         "VALUES (2, 1, '1班', 0)");
	t = ins("INSERT INTO persons(name, created_at) VALUES ('T', 0)");
	st1 = ins("INSERT INTO persons(name, created_at) VALUES ('A', 0)");
	st2 = ins("INSERT INTO persons(name, created_at) VALUES ('B', 0)");
	st3 = ins("INSERT INTO persons(name, created_at) VALUES ('C', 0)");
	st4 = ins("INSERT INTO persons(name, created_at) VALUES ('D', 0)");
	/* st5: a classmate of the parent's child st2 */
	st5 = ins("INSERT INTO persons(name, created_at) VALUES ('E', 0)");
	CHECK(db_exec(db,
	              "INSERT INTO students(person_id, school_id, class_id, "
	              "created_at) VALUES (?, 1, 1, 0), (?, 1, 2, 0), (?, 1, "
	              "3, 0), (?, 2, 4, 0), (?, 1, 2, 0)",
	              "iiiii", st1, st2, st3, st4, st5) == 5);

	dadm =
	    (struct jx_identity){.role = "district_admin", .district_id = d1};
	sadm = (struct jx_identity){
	    .role = "school_admin", .district_id = d1, .school_id = s1};
	other_sadm = (struct jx_identity){
	    .role = "school_admin", .district_id = d1, .school_id = s2};
	/* the teacher teaches class 1 and 3, heads class 3 */
	teach_ids[0] = c1;
	teach_ids[1] = c3;
	head_ids[0] = c3;
	teacher = (struct jx_identity){.role = "teacher",
	                               .person_id = t,
	                               .district_id = d1,
	                               .school_id = s1,
	                               .class_ids = teach_ids,
	                               .nclass_ids = 2,
	                               .head_of_class_ids = head_ids,
	                               .nhead_of_class_ids = 1};
	parent = (struct jx_identity){.role = "parent",
	                              .district_id = d1,
	                              .school_id = s1,
	                              .class_id = c2,
	                              .student_id = st2};
	student = (struct jx_identity){.role = "student",
	                               .person_id = st1,
	                               .district_id = d1,
	                               .school_id = s1,
	                               .class_id = c1,
	                               .student_id = st1};

	/* the city administrator: everything that exists */
	CHECK(access_may(db, &city, JX_MANAGE_SCHOOL, s3));
	CHECK(access_may(db, &city, JX_SEE_STUDENT, st4));
	CHECK(!access_may(db, &city, JX_MANAGE_SCHOOL, 999));
	/* a district administrator: own district only */
	CHECK(access_may(db, &dadm, JX_SEE_DISTRICT, d1));
	CHECK(!access_may(db, &dadm, JX_SEE_DISTRICT, d2));
	CHECK(access_may(db, &dadm, JX_MANAGE_SCHOOL, s2));
	CHECK(!access_may(db, &dadm, JX_MANAGE_SCHOOL, s3));
	CHECK(access_may(db, &dadm, JX_MANAGE_STUDENT, st4));
	/* a school administrator: own school only */
	CHECK(access_may(db, &sadm, JX_MANAGE_SCHOOL, s1));
	CHECK(!access_may(db, &sadm, JX_MANAGE_SCHOOL, s2));
	CHECK(access_may(db, &sadm, JX_MANAGE_CLASS, c2));
	CHECK(!access_may(db, &sadm, JX_SEE_CLASS, c4));
	CHECK(access_may(db, &sadm, JX_MANAGE_STUDENT, st3));
	CHECK(!access_may(db, &sadm, JX_SEE_STUDENT, st4));
	CHECK(!access_may(db, &other_sadm, JX_SEE_STUDENT, st1));
	/* a teacher: sees classes taught, manages the class headed */
	CHECK(access_may(db, &teacher, JX_SEE_SCHOOL, s1));
	CHECK(!access_may(db, &teacher, JX_MANAGE_SCHOOL, s1));
	CHECK(access_may(db, &teacher, JX_SEE_CLASS, c1));
	CHECK(!access_may(db, &teacher, JX_MANAGE_CLASS, c1));
	CHECK(access_may(db, &teacher, JX_MANAGE_CLASS, c3));
	CHECK(!access_may(db, &teacher, JX_SEE_CLASS, c2));
	CHECK(access_may(db, &teacher, JX_SEE_STUDENT, st1));
	CHECK(!access_may(db, &teacher, JX_MANAGE_STUDENT, st1));
	CHECK(access_may(db, &teacher, JX_MANAGE_STUDENT, st3));
	CHECK(!access_may(db, &teacher, JX_SEE_STUDENT, st2));
	CHECK(!access_may(db, &teacher, JX_SEE_STUDENT, st4));
	/* a parent identity: that one child */
	CHECK(access_may(db, &parent, JX_SEE_STUDENT, st2));
	CHECK(!access_may(db, &parent, JX_SEE_STUDENT, st1));
	/* not even the child's classmate, whose class the parent sees */
	CHECK(!access_may(db, &parent, JX_SEE_STUDENT, st5));
	CHECK(!access_may(db, &parent, JX_MANAGE_STUDENT, st5));
	CHECK(!access_may(db, &parent, JX_MANAGE_STUDENT, st2));
	CHECK(access_may(db, &parent, JX_SEE_CLASS, c2));
	CHECK(!access_may(db, &parent, JX_SEE_CLASS, c1));
	CHECK(!access_may(db, &parent, JX_MANAGE_SCHOOL, s1));
	/* a student: themself */
	CHECK(access_may(db, &student, JX_SEE_STUDENT, st1));
	CHECK(!access_may(db, &student, JX_SEE_STUDENT, st2));
	CHECK(!access_may(db, &student, JX_MANAGE_CLASS, c1));
	/* a student who left is no longer a teacher's */
	CHECK(db_exec(db,
	              "UPDATE students SET status = 'left' WHERE person_id = ?",
	              "i", st1) == 1);
	CHECK(!access_may(db, &teacher, JX_SEE_STUDENT, st1));
	CHECK(access_may(db, &sadm, JX_SEE_STUDENT, st1));
	/* nobody, and nothing */
	CHECK(!access_may(db, NULL, JX_SEE_SCHOOL, s1));
	CHECK(!access_may(db, &sadm, JX_SEE_SCHOOL, 0));

	db_close(db);
	snprintf(err, sizeof(err), "rm -rf %s", dir);
	CHECK(system(err) == 0);
	return check_done();
}
