/*
 * practice_bases.c — practice bases and their staff (API.md, "Social
 * practice"). A district admin keeps the district's bases and names
 * each base's admins: the adult is found or created by phone, gets an
 * account and a base_admin identity (district-level, no school) through
 * the host's org service, and the plugin keeps which bases that
 * identity runs (practice_base_admins). A base admin sees only its
 * bases; everyone else of the district sees the district's bases.
 */
#include "practice.h"

#include <stdio.h>
#include <string.h>

static cJSON *
base_json(jx_db *db, int64_t id, int with_admins)
{
	jx_stmt *st = jx_host->db_query(
	    db,
	    "SELECT id, district_id, name, address, description, status, "
	    "created_at, updated_at, (SELECT COUNT(*) FROM "
	    "practice_activities a WHERE a.base_id = b.id AND a.status = "
	    "'open') FROM practice_bases b WHERE id = ?",
	    "i", id);
	cJSON *o = NULL;

	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "id",
		                        (double)jx_host->db_int(st, 0));
		cJSON_AddNumberToObject(o, "district_id",
		                        (double)jx_host->db_int(st, 1));
		cJSON_AddStringToObject(o, "name", jx_host->db_text(st, 2));
		cJSON_AddStringToObject(o, "address", jx_host->db_text(st, 3));
		cJSON_AddStringToObject(o, "description",
		                        jx_host->db_text(st, 4));
		cJSON_AddStringToObject(o, "status", jx_host->db_text(st, 5));
		cJSON_AddItemToObject(
		    o, "created_at", jxp_time(jx_host, jx_host->db_int(st, 6)));
		cJSON_AddItemToObject(
		    o, "updated_at", jxp_time(jx_host, jx_host->db_int(st, 7)));
		cJSON_AddNumberToObject(o, "open_activities",
		                        (double)jx_host->db_int(st, 8));
	}
	jx_host->db_finish(st);
	if (o != NULL && with_admins) {
		cJSON *admins = jx_host->db_rows(
		    db,
		    "SELECT p.id AS person_id, p.name, p.phone FROM "
		    "practice_base_admins x JOIN persons p ON p.id = "
		    "x.person_id WHERE x.base_id = ? ORDER BY p.id",
		    "i", id);

		cJSON_AddItemToObject(o, "admins",
		                      admins ? admins : cJSON_CreateArray());
	}
	return o;
}

/* Name, address and description of a body; create: name required. */
static void
base_fields(jx_req *req, const cJSON *b, int create, const char **name,
            const char **address, const char **description)
{
	practice_text(req, b, "name", create, 60, 0, name);
	practice_text(req, b, "address", 0, 200, 0, address);
	practice_text(req, b, "description", 0, 2000, 1, description);
}

int
practice_bases_create(jx_req *req, void *ud)
{
	struct practice_who w;
	jx_db *db = jx_host->req_db(req);
	const char *name, *address, *description;
	int64_t id, now = jx_host->now();
	cJSON *b, *o, *detail;
	char target[64];

	(void)ud;
	if (practice_who(req, &w) != 0 || !w.dadmin || w.district <= 0)
		return practice_refuse(req, 403, "forbidden",
		                       "practice.err.district_admin_only");
	b = jx_host->req_json(req);
	if (b == NULL)
		return jx_host->req_status(req);
	base_fields(req, b, 1, &name, &address, &description);
	if (jx_host->problem_count(req) > 0)
		return practice_invalid(req);
	if (jx_host->db_begin(db) != 0)
		return jxp_storage_error(jx_host, req);
	id = jx_host->db_insert(
	    db,
	    "INSERT INTO practice_bases(district_id, name, address, "
	    "description, created_by, created_at, updated_at) VALUES (?, ?, "
	    "?, ?, ?, ?, ?)",
	    "isssiii", w.district, name, address ? address : "",
	    description ? description : "", w.person, now, now);
	snprintf(target, sizeof(target), "practice_base:%lld", (long long)id);
	detail = cJSON_CreateObject();
	cJSON_AddStringToObject(detail, "name", name);
	if (id <= 0 ||
	    jx_host->audit(req, "practice.base_created", target, detail) != 0) {
		cJSON_Delete(detail);
		jx_host->db_rollback(db);
		return jxp_storage_error(jx_host, req);
	}
	cJSON_Delete(detail);
	if (jx_host->db_commit(db) != 0)
		return jxp_storage_error(jx_host, req);
	o = base_json(db, id, 1);
	return o ? jx_host->reply_json(req, 201, o)
	         : jxp_storage_error(jx_host, req);
}

int
practice_bases_list(jx_req *req, void *ud)
{
	struct practice_who w;
	jx_db *db = jx_host->req_db(req);
	const char *status = jx_host->req_query(req, "status");
	jx_stmt *st;
	cJSON *items;

	(void)ud;
	if (practice_who(req, &w) != 0)
		return jxp_forbidden(jx_host, req);
	if (status != NULL && strcmp(status, "active") != 0 &&
	    strcmp(status, "closed") != 0) {
		practice_bad(req, "status", "practice.err.status");
		return practice_invalid(req);
	}
	/* managers see closed bases too; others only active ones */
	if (w.badmin)
		st = jx_host->db_query(
		    db,
		    "SELECT b.id FROM practice_bases b JOIN "
		    "practice_base_admins x ON x.base_id = b.id WHERE "
		    "x.identity_id = ? AND (? IS NULL OR b.status = ?) "
		    "ORDER BY b.id",
		    "iss", w.id->id, status, status);
	else
		st = jx_host->db_query(
		    db,
		    "SELECT id FROM practice_bases WHERE (? = 1 OR "
		    "district_id = ?) AND (? IS NULL OR status = ?) AND "
		    "(status = 'active' OR ? = 1) ORDER BY id",
		    "iissi", (int64_t)w.city, w.district, status, status,
		    (int64_t)(w.city || w.dadmin));
	if (st == NULL)
		return jxp_storage_error(jx_host, req);
	items = cJSON_CreateArray();
	while (jx_host->db_step(st) == JX_DB_ROW) {
		int64_t id = jx_host->db_int(st, 0);
		cJSON *o = base_json(db, id, 0);

		if (o != NULL)
			cJSON_AddItemToArray(items, o);
	}
	jx_host->db_finish(st);
	return jx_host->reply_json(req, 200, items);
}

/* What a route on one base asks of w beyond seeing it. */
enum base_need { BASE_SEES, BASE_DISTRICT, BASE_MANAGES };

/* The preamble of a route on one base: fills w and returns the base's
 * id, or 0 after a reply (403 without an identity, 404 when w does not
 * see it, 403 when w is not what need asks: a district or city admin,
 * or one who manages the base). */
static int64_t
base_route(jx_req *req, jx_db *db, struct practice_who *w, enum base_need need)
{
	int64_t id;

	if (practice_who(req, w) != 0) {
		jxp_forbidden(jx_host, req);
		return 0;
	}
	id = jx_host->req_param_id(req, "id");
	if (id <= 0 || practice_base_visible(db, w, id) != 1) {
		jxp_not_found(jx_host, req);
		return 0;
	}
	if (need == BASE_DISTRICT && !(w->dadmin || w->city)) {
		practice_refuse(req, 403, "forbidden",
		                "practice.err.district_admin_only");
		return 0;
	}
	if (need == BASE_MANAGES && practice_base_manages(db, w, id) != 1) {
		jxp_forbidden(jx_host, req);
		return 0;
	}
	return id;
}

int
practice_bases_get(jx_req *req, void *ud)
{
	struct practice_who w;
	jx_db *db = jx_host->req_db(req);
	int64_t id;
	cJSON *o;

	(void)ud;
	if ((id = base_route(req, db, &w, BASE_SEES)) == 0)
		return jx_host->req_status(req);
	o = base_json(db, id, practice_base_manages(db, &w, id) == 1);
	return o ? jx_host->reply_json(req, 200, o)
	         : jxp_not_found(jx_host, req);
}

int
practice_bases_patch(jx_req *req, void *ud)
{
	struct practice_who w;
	jx_db *db = jx_host->req_db(req);
	const char *name, *address, *description, *status;
	int64_t id;
	cJSON *b;
	char target[64];

	(void)ud;
	if ((id = base_route(req, db, &w, BASE_DISTRICT)) == 0)
		return jx_host->req_status(req);
	b = jx_host->req_json(req);
	if (b == NULL)
		return jx_host->req_status(req);
	base_fields(req, b, 0, &name, &address, &description);
	status = practice_str(b, "status");
	if (cJSON_GetObjectItemCaseSensitive(b, "status") != NULL &&
	    (status == NULL ||
	     (strcmp(status, "active") != 0 && strcmp(status, "closed") != 0)))
		practice_bad(req, "status", "practice.err.status");
	if (jx_host->problem_count(req) > 0)
		return practice_invalid(req);
	snprintf(target, sizeof(target), "practice_base:%lld", (long long)id);
	if (jx_host->db_begin(db) != 0)
		return jxp_storage_error(jx_host, req);
	if (jx_host->db_exec(db,
	                     "UPDATE practice_bases SET name = COALESCE(?, "
	                     "name), address = COALESCE(?, address), "
	                     "description = COALESCE(?, description), status "
	                     "= COALESCE(?, status), updated_at = ? WHERE id = "
	                     "?",
	                     "ssssii", name, address, description, status,
	                     jx_host->now(), id) != 1 ||
	    jx_host->audit(req, "practice.base_changed", target, NULL) != 0 ||
	    jx_host->db_commit(db) != 0) {
		jx_host->db_rollback(db);
		return jxp_storage_error(jx_host, req);
	}
	return jx_host->reply_json(req, 200, base_json(db, id, 1));
}

/* The base admin's welcome: which base they now run (in the app). */
static int
base_admin_tell(jx_db *db, int64_t person, int64_t base)
{
	cJSON *params = cJSON_CreateObject();
	char to[24], ref[40];
	jx_stmt *st = jx_host->db_query(
	    db, "SELECT name FROM practice_bases WHERE id = ?", "i", base);
	int64_t id;

	if (st != NULL && jx_host->db_step(st) == JX_DB_ROW)
		cJSON_AddStringToObject(params, "base",
		                        jx_host->db_text(st, 0));
	jx_host->db_finish(st);
	snprintf(to, sizeof(to), "%lld", (long long)person);
	snprintf(ref, sizeof(ref), "practice_base:%lld", (long long)base);
	{
		struct jx_message m = {
		    .size = sizeof(m),
		    .channel = "inapp",
		    .to = to,
		    .template_name = "practice_base_admin",
		    .params = params,
		    .ref = ref,
		};

		id = jx_host->send(db, &m);
	}
	cJSON_Delete(params);
	return id > 0 ? 0 : -1;
}

int
practice_base_admins_create(jx_req *req, void *ud)
{
	struct practice_who w;
	jx_db *db = jx_host->req_db(req);
	const char *name, *phone;
	char err[256], initial[64] = "", login[64] = "", target[64];
	int64_t base, district, person, account, identity, had, existed;
	cJSON *b, *o;

	(void)ud;
	if ((base = base_route(req, db, &w, BASE_DISTRICT)) == 0)
		return jx_host->req_status(req);
	district = practice_base_district(db, base);
	b = jx_host->req_json(req);
	if (b == NULL)
		return jx_host->req_status(req);
	practice_text(req, b, "name", 1, 50, 0, &name);
	if (practice_text(req, b, "phone", 1, 11, 0, &phone) == 0 &&
	    !practice_org->phone_valid(phone))
		practice_bad(req, "phone", "practice.err.phone");
	if (jx_host->problem_count(req) > 0)
		return practice_invalid(req);

	if (jx_host->db_begin(db) != 0)
		return jxp_storage_error(jx_host, req);
	existed = jxp_one(jx_host, db, "SELECT id FROM persons WHERE phone = ?",
	                  "s", phone);
	person = practice_org->adult(db, name, phone, NULL, err, sizeof(err));
	if (person <= 0)
		goto fail;
	/* had: the identity existed already (another base of the
	 * district); an adult on record hears of a new role */
	had = jxp_one(jx_host, db,
	              "SELECT i.id FROM identities i JOIN accounts a ON a.id "
	              "= i.account_id WHERE a.person_id = ? AND i.role = "
	              "'base_admin' AND i.district_id = ? AND i.status = "
	              "'active'",
	              "ii", person, district);
	if (existed > 0 && had == 0 &&
	    practice_org->identity_linked(db, person, "base_admin", 0,
	                                  district) != 0)
		goto fail;
	account = practice_org->account(db, district, person, phone,
	                                "base_admin", phone, initial,
	                                sizeof(initial), err, sizeof(err));
	if (account <= 0)
		goto fail;
	identity = practice_org->identity(db, account, "base_admin", district,
	                                  0, 0, err, sizeof(err));
	if (identity <= 0)
		goto fail;
	if (jx_host->db_exec(db,
	                     "INSERT INTO practice_base_admins(base_id, "
	                     "person_id, identity_id, created_by, created_at) "
	                     "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
	                     "iiiii", base, person, identity, w.person,
	                     jx_host->now()) < 0)
		goto fail;
	snprintf(target, sizeof(target), "practice_base:%lld", (long long)base);
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "person_id", (double)person);
	if (jx_host->audit(req, "practice.base_admin_added", target, o) != 0 ||
	    base_admin_tell(db, person, base) != 0) {
		cJSON_Delete(o);
		goto fail;
	}
	{
		jx_stmt *st = jx_host->db_query(
		    db, "SELECT login FROM accounts WHERE id = ?", "i",
		    account);

		if (st != NULL && jx_host->db_step(st) == JX_DB_ROW)
			snprintf(login, sizeof(login), "%s",
			         jx_host->db_text(st, 0));
		jx_host->db_finish(st);
	}
	if (jx_host->db_commit(db) != 0) {
		cJSON_Delete(o);
		return jxp_storage_error(jx_host, req);
	}
	cJSON_AddNumberToObject(o, "account_id", (double)account);
	cJSON_AddStringToObject(o, "login", login);
	cJSON_AddNumberToObject(o, "identity_id", (double)identity);
	cJSON_AddNumberToObject(o, "base_id", (double)base);
	/* shown once, as the host's admin creations do; null when the
	 * account existed or activation is by SMS */
	if (initial[0] != '\0')
		cJSON_AddStringToObject(o, "initial_password", initial);
	else
		cJSON_AddNullToObject(o, "initial_password");
	return jx_host->reply_json(req, 201, o);
fail:
	jx_host->db_rollback(db);
	jx_host->log(JX_LOG_ERROR, "practice", "base admin: %s", err);
	return jxp_storage_error(jx_host, req);
}

int
practice_base_admins_list(jx_req *req, void *ud)
{
	struct practice_who w;
	jx_db *db = jx_host->req_db(req);
	int64_t base;
	cJSON *rows;

	(void)ud;
	if ((base = base_route(req, db, &w, BASE_MANAGES)) == 0)
		return jx_host->req_status(req);
	rows = jx_host->db_rows(
	    db,
	    "SELECT p.id AS person_id, p.name, p.phone, x.identity_id FROM "
	    "practice_base_admins x JOIN persons p ON p.id = x.person_id "
	    "WHERE x.base_id = ? ORDER BY p.id",
	    "i", base);
	return rows ? jx_host->reply_json(req, 200, rows)
	            : jxp_storage_error(jx_host, req);
}

int
practice_base_admins_delete(jx_req *req, void *ud)
{
	struct practice_who w;
	jx_db *db = jx_host->req_db(req);
	int64_t base, person = jx_host->req_param_id(req, "person");
	int64_t n;
	char target[64];

	(void)ud;
	if ((base = base_route(req, db, &w, BASE_DISTRICT)) == 0)
		return jx_host->req_status(req);
	if (person <= 0)
		return jxp_not_found(jx_host, req);
	snprintf(target, sizeof(target), "practice_base:%lld", (long long)base);
	if (jx_host->db_begin(db) != 0)
		return jxp_storage_error(jx_host, req);
	/* the identity stays (org.v1 has no way to end one); without a
	 * base it reaches nothing of this plugin */
	n = jx_host->db_exec(db,
	                     "DELETE FROM practice_base_admins WHERE base_id "
	                     "= ? AND person_id = ?",
	                     "ii", base, person);
	if (n < 0 ||
	    (n > 0 && jx_host->audit(req, "practice.base_admin_removed", target,
	                             NULL) != 0) ||
	    jx_host->db_commit(db) != 0) {
		jx_host->db_rollback(db);
		return jxp_storage_error(jx_host, req);
	}
	return n > 0 ? jx_host->reply_json(req, 204, NULL)
	             : jxp_not_found(jx_host, req);
}
