/*
 * roster_guardians.c — the school's view of parent bindings: a school
 * administrator removes a parent from a student (a wrong binding, a
 * custody change). The guardian link goes and the parent's identity for
 * that child ends; the parent's account and other children stay.
 */
#include "roster.h"

#include <stdio.h>
#include <string.h>

int
guardians_remove(jx_req *req, void *ud)
{
	int64_t student = jx_host->req_param_id(req, "id");
	int64_t parent = jx_host->req_param_id(req, "pid"), school;
	jx_db *db = jx_host->req_db(req);
	char target[64];

	if (student < 0 || parent < 0 ||
	    !jx_host->may(req, JX_SEE_STUDENT, student))
		return roster_not_found(req);
	school = jxp_one(jx_host, db,
	                 "SELECT school_id FROM students WHERE person_id = ?",
	                 "i", student);
	if (!jx_host->may(req, JX_MANAGE_SCHOOL, school))
		return roster_forbidden(req);
	if (jxp_one(jx_host, db,
	            "SELECT 1 FROM guardians WHERE parent_id = ? AND "
	            "student_id = ?",
	            "ii", parent, student) != 1)
		return roster_not_found(req);
	snprintf(target, sizeof(target), "student:%lld parent:%lld",
	         (long long)student, (long long)parent);
	/* The host ends the parent's identity for this child and its
	 * sessions. */
	if (jx_host->db_begin(db) != 0 ||
	    roster_org->guardian_unbind(db, parent, student) != 0 ||
	    jx_host->audit(req, "roster.guardian_removed", target, NULL) != 0 ||
	    jx_host->db_commit(db) != 0) {
		jx_host->db_rollback(db);
		return roster_storage_error(req);
	}
	if (!jx_host->req_is_api(req)) {
		/* The parents page sends back=/schools/{sid}/parents. */
		const char *back = jx_host->req_form(req, "back");

		if (back != NULL && strncmp(back, "/schools/", 9) == 0 &&
		    strspn(back + 9, "0123456789") > 0 &&
		    strcmp(back + 9 + strspn(back + 9, "0123456789"),
		           "/parents") == 0)
			return jx_host->reply_redirect(req, back);
		return jx_host->reply_redirect(
		    req, jx_host->sprintf(req, "/students/%lld",
		                          (long long)student));
	}
	return jx_host->reply_json(req, 204, NULL);
}
