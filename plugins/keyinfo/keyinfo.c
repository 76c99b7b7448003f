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
#include <string.h>

const struct jx_host *H;
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

static const struct jx_keyinfo_v1 ki_service = {
    .dry_run = ki_dry_run,
};

static int
ki_init(const struct jx_host *h, struct jx_registrar *reg)
{
	H = h;
	if (h->size <= offsetof(struct jx_host, rules_version)) {
		h->log(JX_LOG_ERROR, "keyinfo",
		       "the host is older than ABI 1.1");
		return -1;
	}
	ki_org = h->service(JX_ORG_SERVICE);
	if (ki_org == NULL) {
		h->log(JX_LOG_ERROR, "keyinfo", "the host has no %s service",
		       JX_ORG_SERVICE);
		return -1;
	}
	if (ki_results_init(reg) != 0 || ki_student_init(reg) != 0 ||
	    ki_progress_init(reg) != 0 || ki_rules_init(reg) != 0 ||
	    reg->service(reg, JX_KEYINFO_SERVICE, &ki_service) != 0)
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
    NULL};

static const struct jx_plugin ki_plugin = {
    .abi_major = JX_ABI_MAJOR,
    .abi_minor = 3,
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
