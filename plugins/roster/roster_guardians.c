/*
 * roster_guardians.c — the school's view of parent bindings: a school
 * administrator removes a parent from a student (a wrong binding, a
 * custody change). The guardian link goes and the parent's identity for
 * that child ends; the parent's account and other children stay.
 */
#include "roster.h"

#include <stdio.h>
#include <string.h>

#define H roster_host

static int
guardians_remove(jx_req *req, void *ud)
{
	int64_t student = H->req_param_id(req, "id");
	int64_t parent = H->req_param_id(req, "pid"), school;
	jx_db *db = H->req_db(req);
	char target[64];

	if (student < 0 || parent < 0 || !H->may(req, JX_SEE_STUDENT, student))
		return roster_not_found(req);
	school = jxp_one(roster_host, db,
	                 "SELECT school_id FROM students WHERE person_id = ?",
	                 "i", student);
	if (!H->may(req, JX_MANAGE_SCHOOL, school))
		return roster_forbidden(req);
	if (jxp_one(roster_host, db,
	            "SELECT 1 FROM guardians WHERE parent_id = ? AND "
	            "student_id = ?",
	            "ii", parent, student) != 1)
		return roster_not_found(req);
	snprintf(target, sizeof(target), "student:%lld parent:%lld",
	         (long long)student, (long long)parent);
	/* The host ends the parent's identity for this child and its
	 * sessions. */
	if (H->db_begin(db) != 0 ||
	    roster_org->guardian_unbind(db, parent, student) != 0 ||
	    H->audit(req, "roster.guardian_removed", target, NULL) != 0 ||
	    H->db_commit(db) != 0) {
		H->db_rollback(db);
		return roster_storage_error(req);
	}
	if (strncmp(H->req_path(req), "/api/", 5) != 0)
		return H->reply_redirect(
		    req, H->sprintf(req, "/students/%lld", (long long)student));
	return H->reply_json(req, 204, NULL);
}

int
roster_guardians_init(struct jx_registrar *reg)
{
	return reg->route(reg, "DELETE",
	                  "/api/v1/students/{id}/guardians/{pid}",
	                  guardians_remove, NULL, 0) |
	       reg->route(reg, "POST", "/students/{id}/guardians/{pid}/remove",
	                  guardians_remove, NULL, JX_ROUTE_PAGE);
}
