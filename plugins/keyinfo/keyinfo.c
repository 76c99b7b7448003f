/*
 * keyinfo.c — the keyinfo plugin: students' key information (全国学籍号,
 * 市网学籍号, 身份证号), its edit and review, completion progress, the
 * incomplete list, reconciliation with the registry, and the district's
 * rules over it (API.md, "Key information"). This file holds the
 * descriptor, the schema and the service table.
 *
 * The rules run in Lua (scripts/rules/default.lua, keyinfo_check, under
 * the district's chunk). Their result per student is stored, so that
 * progress and the incomplete list never run Lua over a district; a
 * result is recomputed when the student's fields change (the roster's
 * roster.student_changed event, this plugin's own edits) or the rules
 * change (rules.activated).
 */
#include "keyinfo.h"

#include <jx/keyinfo.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

JX_HOST_DECLARE;
const struct jx_org_v1 *ki_org;

const char *const ki_fields[KI_NFIELDS] = {"national_no", "city_no",
                                           "id_number"};

const char *
ki_field_label(const char *field)
{
	if (strcmp(field, "national_no") == 0)
		return "全国学籍号";
	if (strcmp(field, "city_no") == 0)
		return "市网学籍号";
	if (strcmp(field, "id_number") == 0)
		return "身份证号";
	return field;
}

/* A change row's value as kept from now on: shown masked when it
 * embeds an ID number, and then sealed (when sealed is not NULL: a
 * change still to be reviewed). */
static int
ki_seal_value(const char *value, char *shown, size_t shown_len, char **sealed)
{
	char norm[64], hash[65], masked[64];

	if (sealed != NULL)
		*sealed = NULL;
	if (ki_org->national_norm(value, norm, sizeof(norm)) != 0 ||
	    !ki_org->national_embeds_id(norm)) {
		snprintf(shown, shown_len, "%s", value);
		return 0;
	}
	ki_org->national_mask(norm, shown, shown_len);
	if (sealed != NULL &&
	    ki_org->id_seal(norm, sealed, hash, masked, sizeof(masked)) != 0)
		return -1;
	return 0;
}

/*
 * Migration 3's data step: the change rows of 全国学籍号 stored before
 * kept old and new value in clear. Those that embed an ID number are
 * masked, and a pending one's new value is kept sealed for its review,
 * like an ID number's. Runs at init while the flag is set, in one
 * transaction (the table holds submissions, not the roster); the host
 * has secure_delete on and checkpoints after init.
 */
static int
ki_seal_changes(jx_db *db)
{
	jx_stmt *st;
	int64_t n = 0;
	int rc = -1;

	if (jxp_one(jx_host, db,
	            "SELECT COUNT(*) FROM keyinfo_meta WHERE key = "
	            "'national_no_sealing'",
	            "") <= 0)
		return 0;
	if (jx_host->db_begin(db) != 0)
		return -1;
	st = jx_host->db_query(
	    db,
	    "SELECT id, old_value, new_value, status, new_sealed "
	    "FROM keyinfo_changes WHERE field = 'national_no' "
	    "ORDER BY id",
	    "");
	while (st != NULL && jx_host->db_step(st) == JX_DB_ROW) {
		char old_shown[64], new_shown[64], *sealed = NULL;
		int pending = strcmp(jx_host->db_text(st, 3), "pending") == 0 &&
		              jx_host->db_is_null(st, 4);
		int64_t id = jx_host->db_int(st, 0);

		if (ki_seal_value(jx_host->db_text(st, 1), old_shown,
		                  sizeof(old_shown), NULL) != 0 ||
		    ki_seal_value(jx_host->db_text(st, 2), new_shown,
		                  sizeof(new_shown),
		                  pending ? &sealed : NULL) != 0)
			goto out;
		if (strcmp(old_shown, jx_host->db_text(st, 1)) == 0 &&
		    strcmp(new_shown, jx_host->db_text(st, 2)) == 0) {
			free(sealed);
			continue;
		}
		if (jx_host->db_exec(
		        db,
		        "UPDATE keyinfo_changes SET old_value = ?, "
		        "new_value = ?, new_sealed = COALESCE(?, "
		        "new_sealed) WHERE id = ?",
		        "sssi", old_shown, new_shown, sealed, id) != 1) {
			free(sealed);
			goto out;
		}
		free(sealed);
		n++;
	}
	if (st == NULL ||
	    jx_host->db_exec(db,
	                     "DELETE FROM keyinfo_meta WHERE key = "
	                     "'national_no_sealing'",
	                     "") < 0)
		goto out;
	rc = 0;
out:
	jx_host->db_finish(st);
	if (rc != 0 || jx_host->db_commit(db) != 0) {
		jx_host->db_rollback(db);
		jx_host->log(
		    JX_LOG_ERROR, "keyinfo",
		    "masking the 全国学籍号 of stored changes failed: %s",
		    jx_host->db_errmsg(db));
		return -1;
	}
	if (n > 0)
		jx_host->log(JX_LOG_INFO, "keyinfo",
		             "masked the 全国学籍号 of %lld stored changes",
		             (long long)n);
	return 0;
}

static const struct jx_keyinfo_v1 ki_service = {
    .size = sizeof(struct jx_keyinfo_v1),
    .dry_run = ki_dry_run,
    .class_status = ki_class_status,
    .complete_counts = ki_complete_counts,
};

/* `jiaxiao rules check`'s dry run (the host's "rules-check" hook): argv
 * is "rules-check", the district's id, then the chunk's text or nothing
 * for the active one. Prints the dry-run object; 1 with the chunk's
 * error. */
static int
ki_cli_rules_check(jx_db *db, int argc, char **argv, void *ud)
{
	char err[1024], *text;
	cJSON *out = NULL;

	if (argc < 2)
		return 2;
	if (ki_dry_run(db, strtoll(argv[1], NULL, 10),
	               argc > 2 ? argv[2] : NULL, &out, err,
	               sizeof(err)) != 0) {
		fprintf(stderr, "jiaxiao: rules: %s\n", err);
		return 1;
	}
	text = cJSON_Print(out);
	printf("%s\n", text ? text : "{}");
	cJSON_free(text);
	cJSON_Delete(out);
	return 0;
}

static int
ki_init(const struct jx_host *h, struct jx_registrar *reg)
{
	JX_HOST_INIT(h);
	ki_org = h->service(JX_ORG_SERVICE);
	if (ki_org == NULL) {
		h->log(JX_LOG_ERROR, "keyinfo", "the host has no %s service",
		       JX_ORG_SERVICE);
		return -1;
	}
	if (ki_org->size <= offsetof(struct jx_org_v1, national_seal)) {
		h->log(JX_LOG_ERROR, "keyinfo",
		       "the host's %s service cannot seal 全国学籍号",
		       JX_ORG_SERVICE);
		return -1;
	}
	if (ki_seal_changes(h->thread_db()) != 0)
		return -1;
	if (ki_results_init(reg) != 0 ||
	    reg->service(reg, JX_KEYINFO_SERVICE, &ki_service) != 0 ||
	    reg->cli_command(reg, "rules-check", ki_cli_rules_check, NULL) != 0)
		return -1;
	if (ki_home_init(reg) != 0)
		return -1;
	reg->menu(reg, "school_admin,district_admin", "nav.keyinfo.progress",
	          "/keyinfo", 30);
	reg->menu(reg, "school_admin", "nav.keyinfo.changes",
	          "/keyinfo/changes", 31);
	reg->menu(reg, "school_admin", "nav.keyinfo.reconcile",
	          "/keyinfo/reconcile", 32);
	reg->menu(reg, "district_admin,city_admin", "nav.keyinfo.rules",
	          "/keyinfo/rules", 33);
	reg->menu(reg, "student,parent", "nav.keyinfo.mine", "/keyinfo/mine",
	          30);
	return 0;
}

static const char *const ki_migrations[] = {
    /* 1: stored rule results per student in school, the counts per
     * class they add up to, schools awaiting a refresh, and the changes
     * students and parents submit for review */
    "CREATE TABLE keyinfo_results ("
    "  student_id INTEGER PRIMARY KEY,"
    "  school_id INTEGER NOT NULL,"
    "  class_id INTEGER NOT NULL DEFAULT 0,"
    "  district_id INTEGER NOT NULL,"
    "  rules_version INTEGER NOT NULL,"
    "  complete INTEGER NOT NULL,"
    "  errors INTEGER NOT NULL,"
    "  missing INTEGER NOT NULL,"
    "  problems TEXT NOT NULL,"
    "  stale INTEGER NOT NULL DEFAULT 0,"
    "  computed_at INTEGER NOT NULL);"
    "CREATE INDEX keyinfo_results_school ON keyinfo_results(school_id, "
    "  class_id);"
    "CREATE INDEX keyinfo_results_district ON keyinfo_results(district_id);"
    "CREATE TABLE keyinfo_counts ("
    "  school_id INTEGER NOT NULL,"
    "  class_id INTEGER NOT NULL,"
    "  district_id INTEGER NOT NULL,"
    "  total INTEGER NOT NULL,"
    "  complete INTEGER NOT NULL,"
    "  stale INTEGER NOT NULL,"
    "  rules_version INTEGER NOT NULL,"
    "  PRIMARY KEY (school_id, class_id));"
    "CREATE INDEX keyinfo_counts_district ON keyinfo_counts(district_id);"
    "CREATE TABLE keyinfo_dirty ("
    "  school_id INTEGER PRIMARY KEY,"
    "  district_id INTEGER NOT NULL);"
    "CREATE TABLE keyinfo_changes ("
    "  id INTEGER PRIMARY KEY,"
    "  student_id INTEGER NOT NULL REFERENCES persons(id),"
    "  school_id INTEGER NOT NULL,"
    "  district_id INTEGER NOT NULL,"
    "  field TEXT NOT NULL CHECK (field IN ('national_no','city_no',"
    "    'id_number')),"
    "  old_value TEXT NOT NULL,"
    "  new_value TEXT NOT NULL,"
    "  new_sealed TEXT,"
    "  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN "
    "    ('pending','approved','rejected','superseded')),"
    "  reason TEXT,"
    "  submitted_by INTEGER NOT NULL,"
    "  submitted_identity INTEGER,"
    "  submitted_name TEXT NOT NULL,"
    "  submitted_at INTEGER NOT NULL,"
    "  reviewed_by INTEGER,"
    "  reviewed_at INTEGER);"
    "CREATE INDEX keyinfo_changes_queue ON keyinfo_changes(school_id, "
    "  status, id);"
    "CREATE INDEX keyinfo_changes_student ON keyinfo_changes(student_id, "
    "  field, id);"
    "CREATE INDEX keyinfo_changes_district ON keyinfo_changes(district_id, "
    "  status);",
    /* 2: the counts per school, so that a district's progress reads a
     * row per school rather than one per class */
    "CREATE TABLE keyinfo_school_counts ("
    "  school_id INTEGER PRIMARY KEY,"
    "  district_id INTEGER NOT NULL,"
    "  total INTEGER NOT NULL,"
    "  complete INTEGER NOT NULL,"
    "  rules_version INTEGER NOT NULL);"
    "CREATE INDEX keyinfo_school_counts_district ON "
    "  keyinfo_school_counts(district_id);"
    "INSERT INTO keyinfo_school_counts(school_id, district_id, total, "
    "  complete, rules_version) SELECT school_id, district_id, SUM(total), "
    "  SUM(complete), MIN(rules_version) FROM keyinfo_counts GROUP BY "
    "  school_id, district_id;",
    /* 3: the plugin's own settings; the flag asks init to mask the
     * 全国学籍号 that embed an ID number in the change rows stored before
     * (ki_seal_changes) */
    "CREATE TABLE keyinfo_meta ("
    "  key TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL);"
    "INSERT INTO keyinfo_meta(key, value) VALUES ('national_no_sealing', "
    "  'pending');",
    NULL};

static const struct jx_route ki_routes[] = {
    {"GET", "/api/v1/schools/{sid}/keyinfo/progress", route_school_progress,
     NULL, 0},
    {"GET", "/api/v1/districts/{did}/keyinfo/progress", route_district_progress,
     NULL, 0},
    {"GET", "/keyinfo", page_progress, NULL, JX_ROUTE_PAGE},
    {"GET", "/api/v1/schools/{sid}/keyinfo/incomplete.xlsx", route_incomplete,
     NULL, 0},
    {"POST", "/api/v1/schools/{sid}/keyinfo/reconcile", route_reconcile, NULL,
     0},
    {"GET", "/keyinfo/reconcile", page_reconcile, NULL, JX_ROUTE_PAGE},
    {"GET", "/students/{id}/keyinfo", route_keyinfo_get, NULL, JX_ROUTE_BOTH},
    {"PUT", "/api/v1/students/{id}/keyinfo", route_keyinfo_put, NULL, 0},
    {"GET", "/api/v1/schools/{sid}/keyinfo/changes", route_changes, NULL, 0},
    {"GET", "/keyinfo/changes", page_changes, NULL, JX_ROUTE_PAGE},
    {"POST", "/api/v1/keyinfo/changes/{id}/review", route_review, NULL, 0},
    {"GET", "/keyinfo/mine", page_mine, NULL, JX_ROUTE_PAGE},
    {"POST", "/api/v1/districts/{did}/rules/dry-run", route_dry_run, NULL, 0},
    {"GET", "/keyinfo/rules", page_rules, NULL, JX_ROUTE_PAGE},
    {"GET", "/keyinfo/classes/{id}/incomplete", page_class_incomplete, NULL,
     JX_ROUTE_BOTH},
    {NULL, NULL, NULL, NULL, 0},
};

static const struct jx_plugin ki_plugin = {
    .size = sizeof(struct jx_plugin),
    .abi_major = JX_ABI_MAJOR,
    .abi_minor = 0,
    .routes = ki_routes,
    .name = "keyinfo",
    .version = "1.0.0",
    .migrations = ki_migrations,
    .init = ki_init,
};

JX_EXPORT const struct jx_plugin *
jx_plugin_entry(void)
{
	return &ki_plugin;
}
