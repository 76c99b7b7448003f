/*
 * migrate.c — per-owner schema versions. The host and every plugin own
 * an ordered list of SQL steps; step i brings the owner to version i+1.
 * Each step runs in its own transaction together with the version bump,
 * so a crash leaves the schema at a whole step.
 */
#include "host.h"

#include <stdio.h>
#include <string.h>

/* The host's own schema. Never edit a shipped step: append one. */
const char *const host_migrations[] = {
    /* 1: background jobs (jobs.c) */
    "CREATE TABLE jobs ("
    "  id INTEGER PRIMARY KEY,"
    "  kind TEXT NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'queued'"
    "    CHECK (state IN ('queued','running','succeeded','failed')),"
    "  params TEXT NOT NULL DEFAULT '{}',"
    "  result TEXT,"
    "  progress_done INTEGER NOT NULL DEFAULT 0,"
    "  progress_total INTEGER NOT NULL DEFAULT 0,"
    "  owner_account_id INTEGER,"
    "  created_at INTEGER NOT NULL,"
    "  started_at INTEGER,"
    "  finished_at INTEGER);"
    "CREATE INDEX jobs_state ON jobs(state, id);",
    /* 2: the organisation, accounts, identities, sessions, audit */
    "CREATE TABLE districts ("
    "  id INTEGER PRIMARY KEY,"
    "  code TEXT NOT NULL UNIQUE,"
    "  name TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL);"
    "CREATE TABLE schools ("
    "  id INTEGER PRIMARY KEY,"
    "  district_id INTEGER NOT NULL REFERENCES districts(id),"
    "  code TEXT NOT NULL UNIQUE,"
    "  name TEXT NOT NULL,"
    "  stage TEXT NOT NULL CHECK (stage IN ('primary','junior',"
    "    'senior','nine_year','twelve_year')),"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX schools_district ON schools(district_id);"
    "CREATE TABLE persons ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  gender TEXT CHECK (gender IN ('男','女')),"
    "  phone TEXT UNIQUE,"
    "  created_at INTEGER NOT NULL);"
    "CREATE TABLE classes ("
    "  id INTEGER PRIMARY KEY,"
    "  school_id INTEGER NOT NULL REFERENCES schools(id),"
    "  grade INTEGER NOT NULL CHECK (grade BETWEEN 1 AND 12),"
    "  name TEXT NOT NULL,"
    "  head_teacher_id INTEGER REFERENCES persons(id),"
    "  created_at INTEGER NOT NULL,"
    "  UNIQUE (school_id, grade, name));"
    "CREATE TABLE accounts ("
    "  id INTEGER PRIMARY KEY,"
    "  person_id INTEGER UNIQUE REFERENCES persons(id),"
    "  login TEXT NOT NULL UNIQUE,"
    "  password_hash TEXT,"
    "  initial_password TEXT,"
    "  initial_expires_at INTEGER,"
    "  must_change_password INTEGER NOT NULL DEFAULT 1,"
    "  last_identity_id INTEGER,"
    "  lang TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  password_changed_at INTEGER,"
    "  last_login_at INTEGER);"
    "CREATE TABLE identities ("
    "  id INTEGER PRIMARY KEY,"
    "  account_id INTEGER NOT NULL REFERENCES accounts(id),"
    "  role TEXT NOT NULL CHECK (role IN ('city_admin',"
    "    'district_admin','school_admin','teacher','student',"
    "    'parent','base_admin')),"
    "  district_id INTEGER REFERENCES districts(id),"
    "  school_id INTEGER REFERENCES schools(id),"
    "  student_id INTEGER REFERENCES persons(id),"
    "  status TEXT NOT NULL DEFAULT 'active'"
    "    CHECK (status IN ('active','left')),"
    "  created_at INTEGER NOT NULL,"
    "  ended_at INTEGER);"
    "CREATE INDEX identities_account ON identities(account_id);"
    "CREATE INDEX identities_school ON identities(school_id, role);"
    "CREATE INDEX identities_student ON identities(student_id);"
    "CREATE TABLE teachers ("
    "  person_id INTEGER NOT NULL REFERENCES persons(id),"
    "  school_id INTEGER NOT NULL REFERENCES schools(id),"
    "  subject TEXT,"
    "  status TEXT NOT NULL DEFAULT 'in_school'"
    "    CHECK (status IN ('in_school','left')),"
    "  created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (person_id, school_id));"
    "CREATE TABLE teaching ("
    "  teacher_id INTEGER NOT NULL REFERENCES persons(id),"
    "  class_id INTEGER NOT NULL REFERENCES classes(id),"
    "  PRIMARY KEY (teacher_id, class_id));"
    "CREATE INDEX teaching_class ON teaching(class_id);"
    "CREATE TABLE students ("
    "  person_id INTEGER PRIMARY KEY REFERENCES persons(id),"
    "  school_id INTEGER NOT NULL REFERENCES schools(id),"
    "  class_id INTEGER REFERENCES classes(id),"
    "  status TEXT NOT NULL DEFAULT 'in_school'"
    "    CHECK (status IN ('in_school','left')),"
    "  national_no TEXT UNIQUE,"
    "  city_no TEXT,"
    "  id_number_enc TEXT,"
    "  id_number_hash TEXT UNIQUE,"
    "  id_number_masked TEXT,"
    "  left_at INTEGER,"
    "  left_reason TEXT,"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX students_class ON students(class_id);"
    "CREATE INDEX students_school ON students(school_id, status);"
    "CREATE TABLE guardians ("
    "  parent_id INTEGER NOT NULL REFERENCES persons(id),"
    "  student_id INTEGER NOT NULL REFERENCES persons(id),"
    "  relation TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (parent_id, student_id));"
    "CREATE INDEX guardians_student ON guardians(student_id);"
    "CREATE TABLE sessions ("
    "  id INTEGER PRIMARY KEY,"
    "  token_hash TEXT NOT NULL UNIQUE,"
    "  account_id INTEGER NOT NULL REFERENCES accounts(id),"
    "  identity_id INTEGER REFERENCES identities(id),"
    "  csrf_token TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  last_seen_at INTEGER NOT NULL);"
    "CREATE INDEX sessions_account ON sessions(account_id);"
    "CREATE TABLE audit_log ("
    "  id INTEGER PRIMARY KEY,"
    "  at INTEGER NOT NULL,"
    "  account_id INTEGER,"
    "  identity_id INTEGER,"
    "  action TEXT NOT NULL,"
    "  target TEXT,"
    "  detail TEXT,"
    "  ip TEXT,"
    "  prev_hash TEXT NOT NULL,"
    "  hash TEXT NOT NULL);"
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;"
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;"
    "CREATE TABLE recovery_codes ("
    "  id INTEGER PRIMARY KEY,"
    "  account_id INTEGER NOT NULL REFERENCES accounts(id),"
    "  code_hash TEXT NOT NULL,"
    "  expires_at INTEGER NOT NULL,"
    "  tries INTEGER NOT NULL DEFAULT 0,"
    "  used INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX recovery_account ON recovery_codes(account_id);",
    /* 3: the notification outbox (notify.c) */
    "CREATE TABLE outbox ("
    "  id INTEGER PRIMARY KEY,"
    "  channel TEXT NOT NULL,"
    "  recipient TEXT NOT NULL,"
    "  template TEXT NOT NULL,"
    "  params TEXT NOT NULL DEFAULT '{}',"
    "  idem_key TEXT NOT NULL UNIQUE,"
    "  state TEXT NOT NULL DEFAULT 'pending'"
    "    CHECK (state IN ('pending','sending','sent','failed')),"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_at INTEGER NOT NULL,"
    "  last_error TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  sent_at INTEGER);"
    "CREATE INDEX outbox_due ON outbox(state, next_at);",
    /* 4: when each recovery code was sent, for the sending limits
     * (recovery.c) */
    "ALTER TABLE recovery_codes ADD COLUMN created_at INTEGER NOT NULL "
    "DEFAULT 0;",
    /* 5: district rule chunks (rules.c): immutable versions, the active
     * one named by the district */
    "CREATE TABLE rule_versions ("
    "  id INTEGER PRIMARY KEY,"
    "  district_id INTEGER NOT NULL REFERENCES districts(id),"
    "  version INTEGER NOT NULL,"
    "  source TEXT NOT NULL,"
    "  activated_at INTEGER NOT NULL,"
    "  activated_by INTEGER,"
    "  UNIQUE (district_id, version));"
    "ALTER TABLE districts ADD COLUMN rules_version INTEGER NOT NULL "
    "DEFAULT 0;",
    /* 6: the host's own settings that outlive a process, e.g. the
     * digest of the default rules the stored rule results were made
     * with (rules.c) */
    "CREATE TABLE host_meta ("
    "  key TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL);",
    /* 7: the sender's reference of a message ("notice:12"), to count
     * deliveries per notice (notify.c, ABI 1.2 send) */
    "ALTER TABLE outbox ADD COLUMN ref TEXT;"
    "CREATE INDEX outbox_ref ON outbox(ref);",
    /* 8: a head teacher's classes, looked up for every request of a
     * teacher (identity.c): without it, a scan of the city's classes */
    "CREATE INDEX classes_head ON classes(head_teacher_id);",
    /* 9: whether an initial password needs an SMS code at first login
     * (its rule was predictable; NULL: issued before this was recorded,
     * judged at login), and what each SMS code is for (org.c,
     * account.c, recovery.c); the name a school gave a teacher or a
     * parent who also belongs elsewhere, whose own record it may not
     * change (roster) */
    "ALTER TABLE accounts ADD COLUMN initial_needs_code INTEGER;"
    "ALTER TABLE recovery_codes ADD COLUMN purpose TEXT NOT NULL DEFAULT "
    "'recovery';"
    "ALTER TABLE teachers ADD COLUMN display_name TEXT;"
    "ALTER TABLE guardians ADD COLUMN display_name TEXT;",
    /* 10: the audit chain is keyed (HMAC) from the next entry on; the
     * entries before keep their plain SHA-256 chain (audit.c, whose
     * AUDIT_KEYED_STEP is this step's number) */
    "INSERT INTO host_meta(key, value) SELECT 'audit_keyed_from', "
    "COALESCE(MAX(id), 0) + 1 FROM audit_log;",
    /* 11: a 全国学籍号 that embeds an ID number (G + the ID number) is
     * protected like the ID number: sealed (national_no_enc, and then
     * national_no is NULL), found and kept unique by its keyed hash
     * (every form has one), shown masked (national_no_masked: the value
     * as shown to those who may not reveal it, for every form). The
     * rows stored before are sealed by org_national_seal_existing()
     * (orgsvc.c) at the next start, while the flag is set. */
    "ALTER TABLE students ADD COLUMN national_no_enc TEXT;"
    "ALTER TABLE students ADD COLUMN national_no_hash TEXT;"
    "ALTER TABLE students ADD COLUMN national_no_masked TEXT;"
    "CREATE UNIQUE INDEX students_national_hash ON "
    "  students(national_no_hash);"
    "INSERT INTO host_meta(key, value) VALUES ('national_no_sealing', "
    "  'pending') ON CONFLICT(key) DO NOTHING;",
    /* 12: what plugins may read of the tables with internal columns
     * (docs/host-schema.md): accounts without their passwords (only
     * whether one is set: password_set, a chosen one; initial_set, an
     * initial one on record), the outbox without its parameters
     * (recovery codes). Plugins read these
     * views; the test build's authorizer refuses them the columns left
     * out (db.c). */
    "CREATE VIEW host_accounts AS SELECT id, person_id, login, "
    "  must_change_password, last_identity_id, lang, created_at, "
    "  password_changed_at, last_login_at, password_hash IS NOT NULL "
    "  AS password_set, initial_password IS NOT NULL AS initial_set "
    "  FROM accounts;"
    "CREATE VIEW host_outbox AS SELECT id, channel, recipient, template, "
    "  idem_key, state, attempts, next_at, last_error, created_at, "
    "  sent_at, ref FROM outbox;",
    /* 13: the file service (files.c, filestore.c): one row per upload;
     * its stored variants, each a content-addressed blob under
     * <data_dir>/files (an image's upload itself is never stored, only
     * its display and thumb copies and, when asked, a clean original);
     * the plugins' rows that use a file; the bytes uploaded per school
     * (quotas) */
    "CREATE TABLE files ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  mime TEXT NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  sha256 TEXT NOT NULL,"
    "  account_id INTEGER NOT NULL REFERENCES accounts(id),"
    "  identity_id INTEGER REFERENCES identities(id),"
    "  school_id INTEGER REFERENCES schools(id),"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX files_created ON files(created_at);"
    "CREATE TABLE file_variants ("
    "  file_id INTEGER NOT NULL REFERENCES files(id),"
    "  variant TEXT NOT NULL CHECK (variant IN ('original','display',"
    "    'thumb')),"
    "  blob TEXT NOT NULL,"
    "  mime TEXT NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  PRIMARY KEY (file_id, variant));"
    "CREATE INDEX file_variants_blob ON file_variants(blob);"
    "CREATE TABLE file_uses ("
    "  file_id INTEGER NOT NULL REFERENCES files(id),"
    "  plugin TEXT NOT NULL,"
    "  ref TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (file_id, plugin, ref));"
    "CREATE INDEX file_uses_ref ON file_uses(plugin, ref);"
    "CREATE TABLE file_usage ("
    "  school_id INTEGER PRIMARY KEY REFERENCES schools(id),"
    "  bytes INTEGER NOT NULL);",
    /* 14: counters of changes that caches outside the host key on
     * (docs/host-schema.md): 'person_names' counts renames, by a trigger
     * so that a rename by any path (org.v1, a repair in the sqlite3
     * shell) counts; the feed pages' kept bodies read it beside their
     * own revision instead of every author's name. SQLite trigger
     * syntax: PostgreSQL (issue 20) needs a trigger function. */
    "CREATE TABLE host_revisions ("
    "  name TEXT PRIMARY KEY,"
    "  rev INTEGER NOT NULL);"
    "INSERT INTO host_revisions(name, rev) VALUES ('person_names', 0);"
    "CREATE TRIGGER persons_name_revision AFTER UPDATE OF name ON persons "
    "  WHEN new.name IS NOT old.name BEGIN "
    "  UPDATE host_revisions SET rev = rev + 1 WHERE name = "
    "  'person_names'; END;",
    NULL};

static int
migrate_ensure_table(jx_db *db)
{
	return db_exec(db,
	               "CREATE TABLE IF NOT EXISTS schema_versions ("
	               " owner TEXT PRIMARY KEY,"
	               " version INTEGER NOT NULL)",
	               "") < 0
	           ? -1
	           : 0;
}

int
migrate_version(jx_db *db, const char *owner)
{
	jx_stmt *st;
	int v = 0;

	if (migrate_ensure_table(db) != 0)
		return -1;
	st = db_query(db, "SELECT version FROM schema_versions WHERE owner = ?",
	              "s", owner);
	if (st == NULL)
		return -1;
	if (db_step(st) == JX_DB_ROW)
		v = (int)db_int(st, 0);
	db_finish(st);
	return v;
}

int
migrate_apply(jx_db *db, const char *owner, const char *const *steps, char *err,
              size_t errlen)
{
	int have, want = 0;

	if (steps != NULL)
		while (steps[want] != NULL)
			want++;
	have = migrate_version(db, owner);
	if (have < 0) {
		snprintf(err, errlen, "%s: %s", owner, db_errmsg(db));
		return -1;
	}
	if (have > want) {
		snprintf(err, errlen,
		         "%s: database schema version %d is newer than this "
		         "build's %d",
		         owner, have, want);
		return -1;
	}
	for (int i = have; i < want; i++) {
		if (db_begin(db) != 0)
			goto fail;
		if (db_exec_script(db, steps[i]) != 0 ||
		    db_exec(db,
		            "INSERT INTO schema_versions(owner, version) "
		            "VALUES (?, ?) ON CONFLICT(owner) DO UPDATE "
		            "SET version = excluded.version",
		            "si", owner, (int64_t)(i + 1)) < 0) {
			db_rollback(db);
			goto fail;
		}
		if (db_commit(db) != 0)
			goto fail;
		jx_log(JX_LOG_INFO, owner, "schema migrated to version %d",
		       i + 1);
	}
	return 0;
fail:
	snprintf(err, errlen, "%s: migration failed: %s", owner, db_errmsg(db));
	return -1;
}
