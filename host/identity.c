/*
 * identity.c — identities: one account, many roles (a teacher who is
 * also the parent of two children has three). Loads the acting identity
 * with what access checks need (its school, its classes, its child) and
 * builds the API's identity objects.
 *
 * Layering: reads only, below the organisation code (which creates
 * identities) and auth.c (which loads the caller's); it calls nothing
 * above the database.
 */
#include "host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *
identity_grade_label(int grade)
{
	static const char *const labels[] = {
	    "一年级", "二年级", "三年级", "四年级", "五年级", "六年级",
	    "七年级", "八年级", "九年级", "高一",   "高二",   "高三"};

	return grade >= 1 && grade <= 12 ? labels[grade - 1] : "";
}

/* The default order of identities (a literal, so that the queries
 * using it are constants: no formatting per page view). */
#define IDENTITY_ROLE_ORDER                                                    \
	"CASE role WHEN 'city_admin' THEN 0 WHEN 'district_admin' THEN 1 "     \
	"WHEN 'school_admin' THEN 2 WHEN 'base_admin' THEN 3 "                 \
	"WHEN 'teacher' THEN 4 WHEN 'student' THEN 5 ELSE 6 END"

static int64_t *
identity_ids(jx_db *db, struct arena *a, const char *sql, int64_t p1,
             int64_t p2, int *n)
{
	jx_stmt *st = db_query(db, sql, "ii", p1, p2);
	int64_t *ids = NULL;
	int cap = 0;

	*n = 0;
	if (st == NULL)
		return NULL;
	while (db_step(st) == JX_DB_ROW) {
		if (*n == cap) {
			int64_t *grown;

			cap = cap ? cap * 2 : 8;
			grown = arena_alloc(a, (size_t)cap * sizeof(*grown));
			if (*n > 0)
				memcpy(grown, ids, (size_t)*n * sizeof(*ids));
			ids = grown;
		}
		ids[(*n)++] = db_int(st, 0);
	}
	db_finish(st);
	return ids;
}

int
identity_load(jx_db *db, struct arena *a, int64_t id, struct jx_identity *out)
{
	return identity_load_code(db, a, id, out, NULL);
}

int
identity_load_code(jx_db *db, struct arena *a, int64_t id,
                   struct jx_identity *out, const char **code)
{
	jx_stmt *st;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	/* A parent's or student's school and class are the child's, read
	 * from the student row so that a move between classes shows at
	 * once; the district follows the school. */
	st = db_query(
	    db,
	    "SELECT i.id, i.account_id, a.person_id, i.role, "
	    "COALESCE(sc.district_id, i.district_id), sc.id, "
	    "i.student_id, s.class_id, d.code "
	    "FROM identities i JOIN accounts a ON a.id = i.account_id "
	    "LEFT JOIN students s ON s.person_id = i.student_id "
	    "LEFT JOIN schools sc ON sc.id = CASE WHEN i.role IN "
	    "('parent','student') THEN s.school_id ELSE i.school_id END "
	    "LEFT JOIN districts d ON d.id = COALESCE(sc.district_id, "
	    "i.district_id) WHERE i.id = ? AND i.status = 'active'",
	    "i", id);
	if (st == NULL)
		return -1;
	if (db_step(st) == JX_DB_ROW) {
		out->id = db_int(st, 0);
		out->account_id = db_int(st, 1);
		out->person_id = db_int(st, 2);
		out->role = arena_strdup(a, db_text(st, 3));
		out->district_id = db_int(st, 4);
		out->school_id = db_int(st, 5);
		out->student_id = db_int(st, 6);
		out->class_id = db_int(st, 7);
		if (code != NULL)
			*code = db_is_null(st, 8)
			            ? NULL
			            : arena_strdup(a, db_text(st, 8));
		rc = 0;
	}
	db_finish(st);
	if (rc == 0 && strcmp(out->role, "teacher") == 0) {
		out->class_ids = identity_ids(
		    db, a,
		    "SELECT t.class_id FROM teaching t JOIN classes c ON "
		    "c.id = t.class_id WHERE t.teacher_id = ? AND "
		    "c.school_id = ? ORDER BY c.grade, c.name",
		    out->person_id, out->school_id, &out->nclass_ids);
		out->head_of_class_ids = identity_ids(
		    db, a,
		    "SELECT id FROM classes WHERE head_teacher_id = ? AND "
		    "school_id = ? ORDER BY grade, name",
		    out->person_id, out->school_id, &out->nhead_of_class_ids);
	}
	return rc;
}

static const char *
identity_role_label(const char *role)
{
	static const struct {
		const char *role, *label;
	} labels[] = {
	    {"city_admin", "市级管理员"},
	    {"district_admin", "区县管理员"},
	    {"school_admin", "学校管理员"},
	    {"teacher", "教师"},
	    {"student", "学生"},
	    {"parent", "家长"},
	    {"base_admin", "实践基地管理员"},
	};

	for (size_t i = 0; i < sizeof(labels) / sizeof(*labels); i++)
		if (strcmp(labels[i].role, role) == 0)
			return labels[i].label;
	return role;
}

static cJSON *
identity_id_array(const int64_t *ids, int n)
{
	cJSON *arr = cJSON_CreateArray();

	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateNumber((double)ids[i]));
	return arr;
}

static void
identity_add_id(cJSON *o, const char *name, int64_t v)
{
	if (v > 0)
		cJSON_AddNumberToObject(o, name, (double)v);
	else
		cJSON_AddNullToObject(o, name);
}

/* "label": "家长 · 张小明", "教师 · 第一中学", "区县管理员 · 岳麓区", or
 * the role's name alone when there is no where. */
static void
identity_add_label(cJSON *o, const char *role, const char *where)
{
	const char *name = identity_role_label(role);
	char label[256];

	if (where == NULL) {
		cJSON_AddStringToObject(o, "label", name);
		return;
	}
	snprintf(label, sizeof(label), "%s · %s", name, where);
	cJSON_AddStringToObject(o, "label", label);
}

cJSON *
identity_json(jx_db *db, struct arena *a, const struct jx_identity *i)
{
	cJSON *o = cJSON_CreateObject();
	const char *school = NULL, *class_name = NULL, *district = NULL,
	           *child = NULL;
	jx_stmt *st;

	st = db_query(db,
	              "SELECT (SELECT name FROM schools WHERE id = ?), "
	              "(SELECT c.name FROM classes c WHERE c.id = ?), "
	              "(SELECT c.grade FROM classes c WHERE c.id = ?), "
	              "(SELECT name FROM districts WHERE id = ?), "
	              "(SELECT name FROM persons WHERE id = ?)",
	              "iiiii", i->school_id, i->class_id, i->class_id,
	              i->district_id, i->student_id);
	if (st != NULL && db_step(st) == JX_DB_ROW) {
		school = arena_strdup(a, db_text(st, 0));
		if (!db_is_null(st, 1))
			class_name = arena_sprintf(
			    a, "%s%s", identity_grade_label((int)db_int(st, 2)),
			    db_text(st, 1));
		district = arena_strdup(a, db_text(st, 3));
		child = arena_strdup(a, db_text(st, 4));
	}
	db_finish(st);

	cJSON_AddNumberToObject(o, "id", (double)i->id);
	cJSON_AddStringToObject(o, "role", i->role);
	identity_add_id(o, "district_id", i->district_id);
	identity_add_id(o, "school_id", i->school_id);
	if (school)
		cJSON_AddStringToObject(o, "school_name", school);
	else
		cJSON_AddNullToObject(o, "school_name");
	identity_add_id(o, "class_id", i->class_id);
	if (class_name)
		cJSON_AddStringToObject(o, "class_name", class_name);
	else
		cJSON_AddNullToObject(o, "class_name");
	cJSON_AddItemToObject(o, "class_ids",
	                      identity_id_array(i->class_ids, i->nclass_ids));
	cJSON_AddItemToObject(
	    o, "head_of_class_ids",
	    identity_id_array(i->head_of_class_ids, i->nhead_of_class_ids));
	identity_add_id(o, "student_id", i->student_id);
	/* "家长 · 张小明", "教师 · 第一中学", "区县管理员 · 岳麓区" */
	const char *where = NULL;

	if (strcmp(i->role, "parent") == 0 || strcmp(i->role, "student") == 0)
		where = child;
	else if (school != NULL)
		where = school;
	else
		where = district;
	cJSON_AddStringToObject(
	    o, "label",
	    where ? arena_sprintf(a, "%s · %s", identity_role_label(i->role),
	                          where)
	          : identity_role_label(i->role));
	return o;
}

/*
 * Every active identity of the account in one query (plus two small ones
 * per teacher identity for its classes): the identity switcher is on
 * every page, so this runs on every logged-in page view.
 */
cJSON *
identity_list(jx_db *db, struct arena *a, int64_t account_id)
{
	cJSON *arr = cJSON_CreateArray();
	jx_stmt *st = db_query(
	    db,
	    "SELECT i.id, i.role, COALESCE(sc.district_id, i.district_id), "
	    "sc.id, sc.name, i.student_id, s.class_id, c.name, c.grade, "
	    "d.name, p.name, a.person_id FROM identities i JOIN accounts a "
	    "ON a.id = i.account_id LEFT JOIN students s ON s.person_id = "
	    "i.student_id LEFT JOIN schools sc ON sc.id = CASE WHEN i.role "
	    "IN ('parent','student') THEN s.school_id ELSE i.school_id END "
	    "LEFT JOIN classes c ON c.id = s.class_id LEFT JOIN districts d "
	    "ON d.id = COALESCE(sc.district_id, i.district_id) LEFT JOIN "
	    "persons p ON p.id = i.student_id WHERE i.account_id = ? AND "
	    "i.status = 'active' ORDER BY " IDENTITY_ROLE_ORDER ", i.id",
	    "i", account_id);

	while (st != NULL && db_step(st) == JX_DB_ROW) {
		struct jx_identity idt = {0};
		const char *school = db_text(st, 4), *district = db_text(st, 9);
		const char *child = db_text(st, 10), *where;
		cJSON *o = cJSON_CreateObject();

		idt.id = db_int(st, 0);
		idt.role = arena_strdup(a, db_text(st, 1));
		idt.district_id = db_int(st, 2);
		idt.school_id = db_int(st, 3);
		idt.student_id = db_int(st, 5);
		idt.class_id = db_int(st, 6);
		idt.person_id = db_int(st, 11);
		if (strcmp(idt.role, "teacher") == 0) {
			idt.class_ids = identity_ids(
			    db, a,
			    "SELECT t.class_id FROM teaching t JOIN classes c "
			    "ON c.id = t.class_id WHERE t.teacher_id = ? AND "
			    "c.school_id = ? ORDER BY c.grade, c.name",
			    idt.person_id, idt.school_id, &idt.nclass_ids);
			idt.head_of_class_ids = identity_ids(
			    db, a,
			    "SELECT id FROM classes WHERE head_teacher_id = ? "
			    "AND school_id = ? ORDER BY grade, name",
			    idt.person_id, idt.school_id,
			    &idt.nhead_of_class_ids);
		}
		cJSON_AddNumberToObject(o, "id", (double)idt.id);
		cJSON_AddStringToObject(o, "role", idt.role);
		identity_add_id(o, "district_id", idt.district_id);
		identity_add_id(o, "school_id", idt.school_id);
		if (school != NULL)
			cJSON_AddStringToObject(o, "school_name", school);
		else
			cJSON_AddNullToObject(o, "school_name");
		identity_add_id(o, "class_id", idt.class_id);
		if (!db_is_null(st, 7))
			cJSON_AddStringToObject(
			    o, "class_name",
			    arena_sprintf(
			        a, "%s%s",
			        identity_grade_label((int)db_int(st, 8)),
			        db_text(st, 7)));
		else
			cJSON_AddNullToObject(o, "class_name");
		cJSON_AddItemToObject(
		    o, "class_ids",
		    identity_id_array(idt.class_ids, idt.nclass_ids));
		cJSON_AddItemToObject(
		    o, "head_of_class_ids",
		    identity_id_array(idt.head_of_class_ids,
		                      idt.nhead_of_class_ids));
		identity_add_id(o, "student_id", idt.student_id);
		if (strcmp(idt.role, "parent") == 0 ||
		    strcmp(idt.role, "student") == 0)
			where = child;
		else
			where = school != NULL ? school : district;
		identity_add_label(o, idt.role, where);
		cJSON_AddItemToArray(arr, o);
	}
	db_finish(st);
	return arr;
}

int64_t
identity_default(jx_db *db, int64_t account_id)
{
	const char *sql;
	jx_stmt *st;
	int64_t id = 0;

	sql = "SELECT i.id FROM identities i JOIN accounts a ON a.id = "
	      "i.account_id WHERE i.account_id = ? AND i.status = 'active' "
	      "ORDER BY (i.id = a.last_identity_id) DESC, " IDENTITY_ROLE_ORDER
	      ", i.id LIMIT 1";
	st = db_query(db, sql, "i", account_id);
	if (st != NULL && db_step(st) == JX_DB_ROW)
		id = db_int(st, 0);
	db_finish(st);
	return id;
}

static void
identity_list_free(void *p)
{
	cJSON_Delete(p);
}

cJSON *
identity_list_req(jx_req *req)
{
	if (req->identities == NULL) {
		req->identities =
		    identity_list(req->worker->db, req->arena, req->account_id);
		arena_defer(req->arena, identity_list_free, req->identities);
	}
	return cJSON_Duplicate(req->identities, 1);
}

cJSON *
identity_session_json(jx_req *req)
{
	jx_db *db = req->worker->db;
	cJSON *o = cJSON_CreateObject(), *acc;
	jx_stmt *st;

	acc = cJSON_AddObjectToObject(o, "account");
	st = db_query(db,
	              "SELECT id, login, must_change_password, lang FROM "
	              "accounts WHERE id = ?",
	              "i", req->account_id);
	if (st != NULL && db_step(st) == JX_DB_ROW) {
		cJSON_AddNumberToObject(acc, "id", (double)db_int(st, 0));
		cJSON_AddStringToObject(acc, "login", db_text(st, 1));
		cJSON_AddBoolToObject(acc, "must_change_password",
		                      db_int(st, 2) != 0);
	}
	db_finish(st);
	cJSON_AddItemToObject(o, "identities", identity_list_req(req));
	if (req->identity != NULL)
		cJSON_AddNumberToObject(o, "acting_identity_id",
		                        (double)req->identity->id);
	else
		cJSON_AddNullToObject(o, "acting_identity_id");
	cJSON_AddStringToObject(o, "csrf_token",
	                        req->csrf_token ? req->csrf_token : "");
	return o;
}

/* "家长 · 张小明", or the role's name alone without where (arena); cut
 * at 255 bytes as identity_add_label's buffer cuts it. */
static const char *
identity_label_arena(struct arena *a, const char *role, const char *where)
{
	static const char dot[] = " · ";
	const char *name = identity_role_label(role);
	size_t n, m, len;
	char *s;

	if (where == NULL)
		return name;
	n = strlen(name);
	m = strlen(where);
	s = arena_alloc(a, n + m + sizeof(dot));
	memcpy(s, name, n);
	memcpy(s + n, dot, sizeof(dot) - 1);
	memcpy(s + n + sizeof(dot) - 1, where, m);
	len = n + m + sizeof(dot) - 1;
	s[len < 255 ? len : 255] = '\0';
	return s;
}

/*
 * A worker's cache of the two identity reads every logged-in page makes:
 * the acting identity (auth_resolve) and the switcher's rows. Each entry
 * is kept with the database's version as the worker's connection saw it
 * when it was read (db_version: the data version, which any commit by any
 * connection or process moves, and the rows this connection changed), and
 * used only while both are the same: any write anywhere, the CLI's
 * included, drops it. Never used or filled inside a transaction.
 */
struct identity_cache {
	jx_db *db;
	/* the switcher's rows of account_id */
	int rows_ok;
	unsigned rows_dv;
	int64_t rows_changes, account_id;
	struct identity_row *rows;
	int nrows;
	/* identity_load_code(idt_id) */
	int idt_ok, idt_rc;
	int idt_code; /* code was asked for (and kept) */
	unsigned idt_dv;
	int64_t idt_changes, idt_id;
	struct jx_identity idt;
	char *code;
};

static void
identity_cache_rows_clear(struct identity_cache *c)
{
	for (int i = 0; i < c->nrows; i++) {
		free((char *)c->rows[i].role);
		free((char *)c->rows[i].label);
	}
	free(c->rows);
	c->rows = NULL;
	c->nrows = 0;
	c->rows_ok = 0;
}

static void
identity_cache_idt_clear(struct identity_cache *c)
{
	free((char *)c->idt.role);
	free((int64_t *)c->idt.class_ids);
	free((int64_t *)c->idt.head_of_class_ids);
	free(c->code);
	memset(&c->idt, 0, sizeof(c->idt));
	c->code = NULL;
	c->idt_ok = 0;
}

static void
identity_cache_free(void *p)
{
	struct identity_cache *c = p;

	if (c == NULL)
		return;
	identity_cache_rows_clear(c);
	identity_cache_idt_clear(c);
	free(c);
}

/* The worker's cache for db, made on first use; NULL without memory or
 * when db is not the worker's own connection. */
static struct identity_cache *
identity_cache(struct thread *w, jx_db *db)
{
	struct identity_cache *c;

	if (w == NULL || db == NULL || w->db != db)
		return NULL;
	if ((c = w->identity_cache) == NULL) {
		if ((c = calloc(1, sizeof(*c))) == NULL)
			return NULL;
		c->db = db;
		w->identity_cache = c;
		w->identity_cache_free = identity_cache_free;
	}
	return c->db == db ? c : NULL;
}

static char *
identity_strdup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static int64_t *
identity_ids_dup(const int64_t *ids, int n)
{
	int64_t *d;

	if (n <= 0 || (d = malloc((size_t)n * sizeof(*d))) == NULL)
		return NULL;
	memcpy(d, ids, (size_t)n * sizeof(*d));
	return d;
}

static int64_t *
identity_ids_arena(struct arena *a, const int64_t *ids, int n)
{
	int64_t *d;

	if (n <= 0)
		return NULL;
	d = arena_alloc(a, (size_t)n * sizeof(*d));
	memcpy(d, ids, (size_t)n * sizeof(*d));
	return d;
}

int
identity_load_cached(struct thread *w, jx_db *db, struct arena *a, int64_t id,
                     struct jx_identity *out, const char **code)
{
	struct identity_cache *c = identity_cache(w, db);
	unsigned dv;
	int64_t changes;
	int rc;

	if (c == NULL || !db_version(db, &dv, &changes))
		return identity_load_code(db, a, id, out, code);
	if (!c->idt_ok || c->idt_id != id || c->idt_dv != dv ||
	    c->idt_changes != changes || (code != NULL && !c->idt_code)) {
		identity_cache_idt_clear(c);
		rc = identity_load_code(db, a, id, out, code);
		/* the version after the read: the read's own snapshot */
		if (!db_version(db, &dv, &changes))
			return rc;
		c->idt_rc = rc;
		c->idt = *out;
		c->idt.role = identity_strdup(out->role);
		c->idt.class_ids =
		    identity_ids_dup(out->class_ids, out->nclass_ids);
		c->idt.head_of_class_ids = identity_ids_dup(
		    out->head_of_class_ids, out->nhead_of_class_ids);
		c->code =
		    rc == 0 && code != NULL ? identity_strdup(*code) : NULL;
		if ((out->role != NULL && c->idt.role == NULL) ||
		    (out->nclass_ids > 0 && c->idt.class_ids == NULL) ||
		    (out->nhead_of_class_ids > 0 &&
		     c->idt.head_of_class_ids == NULL) ||
		    (rc == 0 && code != NULL && *code != NULL &&
		     c->code == NULL)) {
			identity_cache_idt_clear(c);
			return rc;
		}
		c->idt_code = code != NULL;
		c->idt_id = id;
		c->idt_dv = dv;
		c->idt_changes = changes;
		c->idt_ok = 1;
		return rc;
	}
	*out = c->idt;
	if (c->idt_rc != 0) {
		memset(out, 0, sizeof(*out));
		return c->idt_rc;
	}
	out->role = arena_strdup(a, c->idt.role);
	out->class_ids =
	    identity_ids_arena(a, c->idt.class_ids, c->idt.nclass_ids);
	out->head_of_class_ids = identity_ids_arena(a, c->idt.head_of_class_ids,
	                                            c->idt.nhead_of_class_ids);
	if (code != NULL)
		*code = c->code != NULL ? arena_strdup(a, c->code) : NULL;
	return 0;
}

/* Keeps the rows just read for account_id, tagged with the version after
 * the read (the read's own snapshot). */
static void
identity_cache_rows_keep(struct identity_cache *c, jx_db *db,
                         int64_t account_id, const struct identity_row *r,
                         int n)
{
	unsigned dv;
	int64_t changes;

	identity_cache_rows_clear(c);
	if (!db_version(db, &dv, &changes))
		return;
	if (n > 0 && (c->rows = calloc((size_t)n, sizeof(*c->rows))) == NULL)
		return;
	for (int i = 0; i < n; i++) {
		c->rows[i].id = r[i].id;
		c->rows[i].role = identity_strdup(r[i].role);
		c->rows[i].label = identity_strdup(r[i].label);
		c->nrows = i + 1;
		if ((r[i].role && !c->rows[i].role) ||
		    (r[i].label && !c->rows[i].label)) {
			identity_cache_rows_clear(c);
			return;
		}
	}
	c->nrows = n;
	c->account_id = account_id;
	c->rows_dv = dv;
	c->rows_changes = changes;
	c->rows_ok = 1;
}

/*
 * The identity switcher's rows, on every logged-in page: {id, role,
 * label} only, from one constant query (no class lists: a page's
 * switcher shows names, the API's identity objects carry the rest), or
 * from the request's full list when the handler loaded it. Built once
 * per request: the page object and /me share them.
 */
int
identity_page_rows(jx_req *req, const struct identity_row **rows)
{
	struct identity_row *r = NULL;
	struct identity_cache *c;
	int n = 0, cap = 0;
	unsigned dv;
	int64_t changes;
	jx_stmt *st;
	cJSON *e;

	if (req->page_identities_built) {
		*rows = req->page_identities;
		return req->npage_identities;
	}
	if (req->identities != NULL) {
		cap = cJSON_GetArraySize(req->identities);
		r = arena_alloc(req->arena,
		                (size_t)(cap ? cap : 1) * sizeof(*r));
		cJSON_ArrayForEach(e, req->identities)
		{
			const cJSON *id = cJSON_GetObjectItem(e, "id");

			r[n].id =
			    cJSON_IsNumber(id) ? (int64_t)id->valuedouble : 0;
			r[n].role = cJSON_GetStringValue(
			    cJSON_GetObjectItem(e, "role"));
			r[n].label = cJSON_GetStringValue(
			    cJSON_GetObjectItem(e, "label"));
			n++;
		}
		goto done;
	}
	c = identity_cache(req->worker, req->worker->db);
	if (c != NULL && c->rows_ok && c->account_id == req->account_id &&
	    db_version(req->worker->db, &dv, &changes) && c->rows_dv == dv &&
	    c->rows_changes == changes) {
		/* the worker's copy: the request's rows are its own */
		n = c->nrows;
		r = arena_alloc(req->arena, (size_t)(n ? n : 1) * sizeof(*r));
		for (int i = 0; i < n; i++) {
			r[i].id = c->rows[i].id;
			r[i].role =
			    c->rows[i].role
			        ? arena_strdup(req->arena, c->rows[i].role)
			        : NULL;
			r[i].label =
			    c->rows[i].label
			        ? arena_strdup(req->arena, c->rows[i].label)
			        : NULL;
		}
		goto done;
	}
	st = db_query(
	    req->worker->db,
	    "SELECT i.id, i.role, sc.name, d.name, p.name FROM identities i "
	    "LEFT JOIN students s ON s.person_id = i.student_id LEFT JOIN "
	    "schools sc ON sc.id = CASE WHEN i.role IN ('parent','student') "
	    "THEN s.school_id ELSE i.school_id END LEFT JOIN districts d ON "
	    "d.id = COALESCE(sc.district_id, i.district_id) LEFT JOIN persons "
	    "p ON p.id = i.student_id WHERE i.account_id = ? AND i.status = "
	    "'active' ORDER BY " IDENTITY_ROLE_ORDER ", i.id",
	    "i", req->account_id);
	while (st != NULL && db_step(st) == JX_DB_ROW) {
		const char *role = db_text(st, 1), *where;

		if (n == cap) {
			struct identity_row *grown;

			cap = cap ? cap * 2 : 4;
			grown = arena_alloc(req->arena,
			                    (size_t)cap * sizeof(*grown));
			if (n > 0)
				memcpy(grown, r, (size_t)n * sizeof(*r));
			r = grown;
		}
		if (strcmp(role, "parent") == 0 || strcmp(role, "student") == 0)
			where = db_text(st, 4);
		else
			where =
			    db_is_null(st, 2) ? db_text(st, 3) : db_text(st, 2);
		r[n].id = db_int(st, 0);
		r[n].role = arena_strdup(req->arena, role);
		r[n].label = identity_label_arena(req->arena, role, where);
		n++;
	}
	db_finish(st);
	if (c != NULL)
		identity_cache_rows_keep(c, req->worker->db, req->account_id, r,
		                         n);
done:
	req->page_identities = r;
	req->npage_identities = n;
	req->page_identities_built = 1;
	*rows = r;
	return n;
}

cJSON *
identity_page_list(jx_req *req)
{
	cJSON *arr = cJSON_CreateArray();
	const struct identity_row *r;
	int n = identity_page_rows(req, &r);

	for (int i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "id", (double)r[i].id);
		if (r[i].role != NULL)
			cJSON_AddStringToObject(o, "role", r[i].role);
		if (r[i].label != NULL)
			cJSON_AddStringToObject(o, "label", r[i].label);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}
