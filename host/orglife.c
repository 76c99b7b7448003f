/*
 * orglife.c — the writes plugins make to the org tables, as host
 * functions of org.v1 (ABI 2.0): students, teachers and parents joining,
 * changing, moving, leaving and coming back, classes, guardian links.
 * The host owns these tables (docs/host-schema.md); a plugin decides
 * what should change and calls these, so that leaving always ends the
 * identities and their sessions, and a schema change stays inside the
 * host. Each function runs in the caller's transaction, one or two
 * cached statements per call: imports call them for every row.
 */
#include "host.h"
#include "org.h"

#include <jx/org.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deletes the sessions of the identities that have just ended: a left
 * identity must not keep acting through a session opened before. */
static int
orglife_end_sessions(jx_db *db, const char *where, int64_t a, int64_t b)
{
	if (where[0] == 's')
		return db_exec(
		           db,
		           "DELETE FROM sessions WHERE identity_id IN "
		           "(SELECT id FROM identities WHERE student_id = ? "
		           "AND status = 'left')",
		           "i", a) < 0
		           ? -1
		           : 0;
	if (where[0] == 'p')
		return db_exec(
		           db,
		           "DELETE FROM sessions WHERE identity_id IN "
		           "(SELECT id FROM identities WHERE role = 'parent' "
		           "AND student_id = ? AND status = 'left')",
		           "i", a) < 0
		           ? -1
		           : 0;
	return db_exec(db,
	               "DELETE FROM sessions WHERE identity_id IN (SELECT id "
	               "FROM identities WHERE role = 'teacher' AND school_id "
	               "= ? AND status = 'left' AND account_id = (SELECT id "
	               "FROM accounts WHERE person_id = ?))",
	               "ii", a, b) < 0
	           ? -1
	           : 0;
}

int64_t
orglife_person_update(jx_db *db, int64_t person, const char *name,
                      const char *gender)
{
	int h = host_enter();
	int64_t n;

	n = db_exec(db,
	            "UPDATE persons SET name = COALESCE(?1, name), gender = "
	            "COALESCE(?2, gender) WHERE id = ?3 AND (name IS NOT "
	            "COALESCE(?1, name) OR gender IS NOT COALESCE(?2, gender))",
	            "ssi", name, gender, person);
	host_leave(h);
	return n;
}

int64_t
orglife_student_create(jx_db *db, const struct jx_org_student *s)
{
	int h = host_enter();
	int64_t id;

	id = db_insert(db,
	               "INSERT INTO persons(name, gender, created_at) VALUES "
	               "(?, ?, ?)",
	               "ssi", s->name, s->gender, jx_now());
	if (id > 0 &&
	    db_exec(db,
	            "INSERT INTO students(person_id, school_id, class_id, "
	            "city_no, id_number_enc, id_number_hash, "
	            "id_number_masked, national_no, national_no_enc, "
	            "national_no_hash, national_no_masked, created_at) VALUES "
	            "(?, ?, NULLIF(?, 0), ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	            "iiissssssssi", id, s->school, s->klass, s->city_no,
	            s->id_enc, s->id_hash, s->id_masked, s->national_no,
	            s->national_enc, s->national_hash, s->national_masked,
	            jx_now()) != 1)
		id = -1;
	host_leave(h);
	return id;
}

int
orglife_student_update(jx_db *db, int64_t student,
                       const struct jx_org_student *s)
{
	int h = host_enter(), rc = -1;

	if (orglife_person_update(db, student, s->name, s->gender) < 0)
		goto out;
	/* The 全国学籍号's four columns change together, keyed by its hash:
	 * a clear value replaces a sealed one and the other way round. */
	if (db_exec(db,
	            "UPDATE students SET school_id = COALESCE(NULLIF(?1, 0), "
	            "school_id), class_id = COALESCE(NULLIF(?2, 0), class_id), "
	            "city_no = COALESCE(?3, city_no), id_number_enc = "
	            "COALESCE(?4, id_number_enc), id_number_hash = "
	            "COALESCE(?5, id_number_hash), id_number_masked = "
	            "COALESCE(?6, id_number_masked), national_no = CASE WHEN "
	            "?9 IS NULL THEN national_no ELSE ?7 END, national_no_enc "
	            "= CASE WHEN ?9 IS NULL THEN national_no_enc ELSE ?8 END, "
	            "national_no_hash = COALESCE(?9, national_no_hash), "
	            "national_no_masked = CASE WHEN ?9 IS NULL THEN "
	            "national_no_masked ELSE ?10 END WHERE person_id = ?11",
	            "iissssssssi", s->school, s->klass, s->city_no, s->id_enc,
	            s->id_hash, s->id_masked, s->national_no, s->national_enc,
	            s->national_hash, s->national_masked, student) != 1)
		goto out;
	rc = 0;
out:
	host_leave(h);
	return rc;
}

int
orglife_student_number(jx_db *db, int64_t student, const char *field,
                       const char *value)
{
	const char *v = value != NULL && *value != '\0' ? value : NULL;
	char *sealed = NULL, hash[65] = "", shown[64] = "";
	int h = host_enter();
	int64_t n = -1;

	if (strcmp(field, "id_number") == 0) {
		if (v != NULL &&
		    org_id_seal(v, &sealed, hash, shown, sizeof(shown)) != 0)
			goto out;
		n = db_exec(
		    db,
		    "UPDATE students SET id_number_enc = ?, "
		    "id_number_hash = NULLIF(?, ''), id_number_masked = "
		    "NULLIF(?, '') WHERE person_id = ?",
		    "sssi", sealed, hash, shown, student);
	} else if (strcmp(field, "national_no") == 0) {
		if (v != NULL && org_national_seal(v, &sealed, hash, shown,
		                                   sizeof(shown)) != 0)
			goto out;
		n = db_exec(db,
		            "UPDATE students SET national_no = ?, "
		            "national_no_enc = ?, national_no_hash = NULLIF(?, "
		            "''), national_no_masked = NULLIF(?, '') WHERE "
		            "person_id = ?",
		            "ssssi", sealed ? NULL : v, sealed, hash, shown,
		            student);
	} else if (strcmp(field, "city_no") == 0) {
		n = db_exec(
		    db, "UPDATE students SET city_no = ? WHERE person_id = ?",
		    "si", v, student);
	}
out:
	if (sealed != NULL)
		memset(sealed, 0, strlen(sealed));
	free(sealed);
	host_leave(h);
	return n == 1 ? 0 : -1;
}

int
orglife_student_leave(jx_db *db, int64_t student, const char *reason)
{
	int64_t now = jx_now();
	int h = host_enter(), rc = -1;

	if (db_exec(db,
	            "UPDATE students SET status = 'left', left_at = ?, "
	            "left_reason = ? WHERE person_id = ? AND status = "
	            "'in_school'",
	            "isi", now, reason, student) != 1)
		goto out;
	/* The student's identity and the parents' identities for this
	 * child end; the records stay. */
	if (db_exec(db,
	            "UPDATE identities SET status = 'left', ended_at = ? "
	            "WHERE student_id = ? AND role IN ('student', 'parent') "
	            "AND status = 'active'",
	            "ii", now, student) < 0 ||
	    orglife_end_sessions(db, "student", student, 0) != 0)
		goto out;
	rc = 0;
out:
	host_leave(h);
	return rc;
}

int
orglife_student_readmit(jx_db *db, int64_t student, int64_t school,
                        int64_t klass, char *err, size_t errlen)
{
	int h = host_enter(), rc = -1;
	int64_t district =
	            db_one(db, "SELECT district_id FROM schools WHERE id = ?",
	                   "i", school),
	        account;

	if (district <= 0 ||
	    db_exec(db,
	            "UPDATE students SET school_id = ?, class_id = NULLIF(?, "
	            "0), status = 'in_school', left_at = NULL, left_reason = "
	            "NULL WHERE person_id = ?",
	            "iii", school, klass, student) != 1) {
		snprintf(err, errlen, "cannot re-admit the student: %s",
		         db_errmsg(db));
		goto out;
	}
	account = db_one(db, "SELECT id FROM accounts WHERE person_id = ?", "i",
	                 student);
	if (account <= 0) {
		snprintf(err, errlen, "the student has no account");
		goto out;
	}
	if (org_identity(db, account, "student", district, school, student, err,
	                 errlen) <= 0)
		goto out;
	/* Only parents still linked act again: a binding the school
	 * removed stays removed. */
	if (db_exec(db,
	            "UPDATE identities SET status = 'active', ended_at = NULL, "
	            "school_id = ?, district_id = ? WHERE role = 'parent' AND "
	            "student_id = ? AND account_id IN (SELECT a.id FROM "
	            "accounts a JOIN guardians g ON g.parent_id = a.person_id "
	            "WHERE g.student_id = ?)",
	            "iiii", school, district, student, student) < 0) {
		snprintf(err, errlen, "%s", db_errmsg(db));
		goto out;
	}
	rc = 0;
out:
	host_leave(h);
	return rc;
}

int
orglife_teacher_post(jx_db *db, int64_t teacher, int64_t school,
                     const char *subject, const char *display_name)
{
	int h = host_enter();
	int64_t n;

	n = db_exec(db,
	            "INSERT INTO teachers(person_id, school_id, subject, "
	            "created_at, display_name) VALUES (?, ?, ?, ?, ?) ON "
	            "CONFLICT(person_id, school_id) DO UPDATE SET status = "
	            "'in_school', subject = COALESCE(excluded.subject, "
	            "teachers.subject), display_name = excluded.display_name",
	            "iisis", teacher, school, subject, jx_now(), display_name);
	host_leave(h);
	return n < 0 ? -1 : 0;
}

int
orglife_teacher_leave(jx_db *db, int64_t teacher, int64_t school)
{
	int h = host_enter(), rc = -1;

	if (db_exec(db,
	            "UPDATE teachers SET status = 'left' WHERE person_id = ? "
	            "AND school_id = ? AND status = 'in_school'",
	            "ii", teacher, school) != 1)
		goto out;
	if (db_exec(db,
	            "UPDATE identities SET status = 'left', ended_at = ? "
	            "WHERE role = 'teacher' AND school_id = ? AND account_id "
	            "= (SELECT id FROM accounts WHERE person_id = ?)",
	            "iii", jx_now(), school, teacher) < 0 ||
	    orglife_end_sessions(db, "teacher", school, teacher) != 0 ||
	    db_exec(db,
	            "DELETE FROM teaching WHERE teacher_id = ? AND class_id "
	            "IN (SELECT id FROM classes WHERE school_id = ?)",
	            "ii", teacher, school) < 0 ||
	    db_exec(db,
	            "UPDATE classes SET head_teacher_id = NULL WHERE "
	            "school_id = ? AND head_teacher_id = ?",
	            "ii", school, teacher) < 0)
		goto out;
	rc = 0;
out:
	host_leave(h);
	return rc;
}

int
orglife_teaching_set(jx_db *db, int64_t teacher, int64_t school,
                     const int64_t *classes, int n)
{
	int h = host_enter(), rc = -1;

	if (db_exec(db,
	            "DELETE FROM teaching WHERE teacher_id = ? AND class_id IN "
	            "(SELECT id FROM classes WHERE school_id = ?)",
	            "ii", teacher, school) < 0)
		goto out;
	/* Only classes of this school: a plugin's list cannot reach
	 * another school's class. */
	for (int i = 0; i < n; i++)
		if (db_exec(db,
		            "INSERT INTO teaching(teacher_id, class_id) SELECT "
		            "?, id FROM classes WHERE id = ? AND school_id = ? "
		            "ON CONFLICT DO NOTHING",
		            "iii", teacher, classes[i], school) < 0)
			goto out;
	rc = 0;
out:
	host_leave(h);
	return rc;
}

int64_t
orglife_class_create(jx_db *db, int64_t school, int grade, const char *name,
                     int64_t head)
{
	int h = host_enter();
	int64_t id;

	id = db_insert(db,
	               "INSERT INTO classes(school_id, grade, name, "
	               "head_teacher_id, created_at) VALUES (?, ?, ?, "
	               "NULLIF(?, 0), ?)",
	               "iisii", school, (int64_t)grade, name, head, jx_now());
	host_leave(h);
	return id > 0 ? id : -1;
}

int
orglife_class_update(jx_db *db, int64_t klass, int grade, const char *name,
                     int64_t head)
{
	int h = host_enter();
	int64_t n;

	n = db_exec(db,
	            "UPDATE classes SET grade = ?, name = ?, head_teacher_id = "
	            "NULLIF(?, 0) WHERE id = ?",
	            "isii", (int64_t)grade, name, head, klass);
	host_leave(h);
	return n == 1 ? 0 : -1;
}

int64_t
orglife_class_head(jx_db *db, int64_t klass, int64_t school, int64_t teacher)
{
	int h = host_enter();
	int64_t n;

	n = db_exec(db,
	            "UPDATE classes SET head_teacher_id = ? WHERE id = ? AND "
	            "school_id = ? AND (head_teacher_id IS NULL OR "
	            "head_teacher_id <> ?)",
	            "iiii", teacher, klass, school, teacher);
	host_leave(h);
	return n;
}

int
orglife_class_delete(jx_db *db, int64_t klass)
{
	int h = host_enter(), rc = -1;

	/* Students who left keep their records; their class link goes. */
	if (db_exec(db,
	            "UPDATE students SET class_id = NULL WHERE class_id = ?",
	            "i", klass) < 0 ||
	    db_exec(db, "DELETE FROM teaching WHERE class_id = ?", "i", klass) <
	        0 ||
	    db_exec(db, "DELETE FROM classes WHERE id = ?", "i", klass) != 1)
		goto out;
	rc = 0;
out:
	host_leave(h);
	return rc;
}

int
orglife_guardian_bind(jx_db *db, int64_t parent, int64_t student,
                      const char *relation, const char *display_name)
{
	int h = host_enter();
	int64_t n;

	n = db_exec(db,
	            "INSERT INTO guardians(parent_id, student_id, relation, "
	            "created_at, display_name) VALUES (?, ?, ?, ?, ?) ON "
	            "CONFLICT(parent_id, student_id) DO UPDATE SET relation = "
	            "COALESCE(excluded.relation, guardians.relation), "
	            "display_name = excluded.display_name",
	            "iisis", parent, student, relation, jx_now(), display_name);
	host_leave(h);
	return n < 0 ? -1 : 0;
}

int
orglife_guardian_unbind(jx_db *db, int64_t parent, int64_t student)
{
	int h = host_enter(), rc = -1;

	if (db_exec(db,
	            "DELETE FROM guardians WHERE parent_id = ? AND student_id "
	            "= ?",
	            "ii", parent, student) != 1)
		goto out;
	if (db_exec(db,
	            "UPDATE identities SET status = 'left', ended_at = ? "
	            "WHERE role = 'parent' AND student_id = ? AND account_id = "
	            "(SELECT id FROM accounts WHERE person_id = ?)",
	            "iii", jx_now(), student, parent) < 0 ||
	    orglife_end_sessions(db, "parent", student, 0) != 0)
		goto out;
	rc = 0;
out:
	host_leave(h);
	return rc;
}
