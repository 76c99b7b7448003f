/*
 * feeds_schema.c — the feeds plugin's tables (shared by every part of
 * the plugin; steps are never edited once shipped, only appended).
 *
 * feeds_posts: one per post. Visibility (API.md): public = the author's
 * district, school = the author's school, class = class_id's students,
 * their parents and its teachers, private = the author. status: live,
 * deleted (by its author), removed (by a school admin, with a reason the
 * author sees). activity_id: the campus activity the post publishes.
 * The partial indexes are the feeds' access paths, newest first: the
 * school feed (public and school posts of a school), the class feed,
 * a person's space; the district's public posts (step 2).
 *
 * feeds_files: the photos of a post or an activity in order (files of
 * the host's file service attached to the ref "post:<id>" or
 * "activity:<id>").
 * feeds_comments, feeds_likes: on posts; a comment is seen by whoever
 * sees its post. feeds_reports: 举报, queued for the school admin.
 * feeds_class_spaces: a class space's introduction and pinned post;
 * feeds_class_admins: 班级管理员 the head teacher appoints.
 * feeds_visits: space visits per space and local day (YYYYMMDD).
 * feeds_activities: campus activities (校园活动), proposed, reviewed,
 * published to the school feed, closed or removed.
 */
#include "feeds.h"

const char *const feeds_migrations[] = {
    /* 1 */
    "CREATE TABLE feeds_posts ("
    "  id INTEGER PRIMARY KEY,"
    "  author_person_id INTEGER NOT NULL REFERENCES persons(id),"
    "  author_identity_id INTEGER NOT NULL,"
    "  author_role TEXT NOT NULL,"
    "  district_id INTEGER NOT NULL REFERENCES districts(id),"
    "  school_id INTEGER REFERENCES schools(id),"
    "  class_id INTEGER,"
    "  kind TEXT NOT NULL CHECK (kind IN ('mood','quote','info')),"
    "  visibility TEXT NOT NULL CHECK (visibility IN ('public','school',"
    "    'class','private')),"
    "  text TEXT NOT NULL,"
    "  nfiles INTEGER NOT NULL DEFAULT 0,"
    "  nlikes INTEGER NOT NULL DEFAULT 0,"
    "  ncomments INTEGER NOT NULL DEFAULT 0,"
    "  activity_id INTEGER,"
    "  status TEXT NOT NULL DEFAULT 'live' CHECK (status IN ('live',"
    "    'deleted','removed')),"
    "  removed_reason TEXT,"
    "  removed_by INTEGER,"
    "  removed_at INTEGER,"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX feeds_posts_school ON feeds_posts(school_id, id)"
    "  WHERE status = 'live' AND visibility IN ('public','school');"
    "CREATE INDEX feeds_posts_class ON feeds_posts(class_id, id)"
    "  WHERE status = 'live' AND visibility = 'class';"
    "CREATE INDEX feeds_posts_author ON feeds_posts(author_person_id, id);"
    "CREATE INDEX feeds_posts_manage ON feeds_posts(school_id, created_at);"
    "CREATE TABLE feeds_files ("
    "  owner TEXT NOT NULL CHECK (owner IN ('post','activity')),"
    "  owner_id INTEGER NOT NULL,"
    "  file_id INTEGER NOT NULL REFERENCES files(id),"
    "  position INTEGER NOT NULL,"
    "  PRIMARY KEY (owner, owner_id, file_id));"
    "CREATE INDEX feeds_files_file ON feeds_files(file_id);"
    "CREATE TABLE feeds_comments ("
    "  id INTEGER PRIMARY KEY,"
    "  post_id INTEGER NOT NULL REFERENCES feeds_posts(id),"
    "  author_person_id INTEGER NOT NULL REFERENCES persons(id),"
    "  author_identity_id INTEGER NOT NULL,"
    "  author_role TEXT NOT NULL,"
    "  school_id INTEGER,"
    "  text TEXT NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'live' CHECK (status IN ('live',"
    "    'deleted','removed')),"
    "  removed_reason TEXT,"
    "  removed_by INTEGER,"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX feeds_comments_post ON feeds_comments(post_id, id);"
    "CREATE INDEX feeds_comments_school ON feeds_comments(school_id,"
    "  created_at);"
    "CREATE TABLE feeds_likes ("
    "  post_id INTEGER NOT NULL REFERENCES feeds_posts(id),"
    "  person_id INTEGER NOT NULL REFERENCES persons(id),"
    "  created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (post_id, person_id));"
    "CREATE TABLE feeds_reports ("
    "  id INTEGER PRIMARY KEY,"
    "  post_id INTEGER NOT NULL REFERENCES feeds_posts(id),"
    "  comment_id INTEGER REFERENCES feeds_comments(id),"
    "  school_id INTEGER,"
    "  reporter_person_id INTEGER NOT NULL REFERENCES persons(id),"
    "  reason TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  resolved_at INTEGER,"
    "  resolved_by INTEGER,"
    "  outcome TEXT CHECK (outcome IN ('removed','kept')));"
    "CREATE INDEX feeds_reports_open ON feeds_reports(school_id, id)"
    "  WHERE resolved_at IS NULL;"
    "CREATE UNIQUE INDEX feeds_reports_once ON feeds_reports(post_id,"
    "  reporter_person_id, COALESCE(comment_id, 0));"
    "CREATE TABLE feeds_class_spaces ("
    "  class_id INTEGER PRIMARY KEY,"
    "  intro TEXT NOT NULL DEFAULT '',"
    "  pinned_post_id INTEGER REFERENCES feeds_posts(id),"
    "  updated_by INTEGER,"
    "  updated_at INTEGER);"
    "CREATE TABLE feeds_class_admins ("
    "  class_id INTEGER NOT NULL,"
    "  person_id INTEGER NOT NULL REFERENCES persons(id),"
    "  role TEXT NOT NULL CHECK (role IN ('student','teacher')),"
    "  appointed_by INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (class_id, person_id));"
    "CREATE INDEX feeds_class_admins_person ON feeds_class_admins("
    "  person_id);"
    "CREATE TABLE feeds_visits ("
    "  space_kind TEXT NOT NULL CHECK (space_kind IN ('person','class',"
    "    'school','learning')),"
    "  space_id INTEGER NOT NULL,"
    "  day INTEGER NOT NULL,"
    "  visits INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (space_kind, space_id, day));"
    "CREATE TABLE feeds_activities ("
    "  id INTEGER PRIMARY KEY,"
    "  district_id INTEGER NOT NULL REFERENCES districts(id),"
    "  school_id INTEGER NOT NULL REFERENCES schools(id),"
    "  proposer_person_id INTEGER NOT NULL REFERENCES persons(id),"
    "  proposer_identity_id INTEGER NOT NULL,"
    "  proposer_role TEXT NOT NULL,"
    "  title TEXT NOT NULL,"
    "  starts_at INTEGER NOT NULL,"
    "  ends_at INTEGER,"
    "  place TEXT NOT NULL DEFAULT '',"
    "  description TEXT NOT NULL DEFAULT '',"
    "  status TEXT NOT NULL DEFAULT 'proposed' CHECK (status IN ("
    "    'proposed','published','rejected','closed','removed')),"
    "  review_comment TEXT,"
    "  reviewed_by INTEGER,"
    "  reviewed_at INTEGER,"
    "  post_id INTEGER REFERENCES feeds_posts(id),"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL);"
    "CREATE INDEX feeds_activities_school ON feeds_activities(school_id,"
    "  status, id);"
    "CREATE INDEX feeds_activities_proposer ON feeds_activities("
    "  proposer_person_id, id);",
    /* 2: the district admin's 全区动态 (the district's live public
     * posts, newest first) as a seek instead of a scan of every post
     * by id (docs/BENCHMARKS.md, "Feeds") */
    "CREATE INDEX feeds_posts_district ON feeds_posts(district_id, id)"
    "  WHERE status = 'live' AND visibility = 'public';",
    /* 3: a feed's revision (docs/BENCHMARKS.md, "Feeds"): a school's and
     * a district's counter, bumped by triggers in the transaction of
     * every write to feeds_posts (a post created, edited, removed,
     * deleted; a like or a comment changes its counts), from any
     * process or the sqlite3 shell. A feed page keeps its rendered body
     * under the revision read in its own request (feeds_page_reply), so
     * it is never stale; a class feed reads its school's revision. The
     * district's counter moves only for public posts (the only ones its
     * feed shows). The cost: one hot row per school on writes (a like
     * writes it too). Portable but for the triggers: CREATE TRIGGER ...
     * BEGIN ... END is SQLite's; PostgreSQL (issue 20) needs a trigger
     * function doing the same two upserts. */
    "CREATE TABLE feeds_revisions ("
    "  scope TEXT NOT NULL CHECK (scope IN ('school','district')),"
    "  scope_id INTEGER NOT NULL,"
    "  rev INTEGER NOT NULL,"
    "  PRIMARY KEY (scope, scope_id));"
    "CREATE TRIGGER feeds_revisions_insert AFTER INSERT ON feeds_posts "
    "BEGIN "
    "  INSERT INTO feeds_revisions (scope, scope_id, rev) VALUES "
    "  ('school', COALESCE(NEW.school_id, 0), 1) ON CONFLICT (scope, "
    "  scope_id) DO UPDATE SET rev = feeds_revisions.rev + 1;"
    "  INSERT INTO feeds_revisions (scope, scope_id, rev) SELECT "
    "  'district', NEW.district_id, 1 WHERE NEW.visibility = 'public' "
    "  ON CONFLICT (scope, scope_id) DO UPDATE SET rev = "
    "  feeds_revisions.rev + 1;"
    "END;"
    "CREATE TRIGGER feeds_revisions_update AFTER UPDATE ON feeds_posts "
    "BEGIN "
    "  INSERT INTO feeds_revisions (scope, scope_id, rev) VALUES "
    "  ('school', COALESCE(NEW.school_id, 0), 1) ON CONFLICT (scope, "
    "  scope_id) DO UPDATE SET rev = feeds_revisions.rev + 1;"
    "  INSERT INTO feeds_revisions (scope, scope_id, rev) SELECT "
    "  'district', NEW.district_id, 1 WHERE NEW.visibility = 'public' "
    "  OR OLD.visibility = 'public' ON CONFLICT (scope, scope_id) DO "
    "  UPDATE SET rev = feeds_revisions.rev + 1;"
    "END;"
    "CREATE TRIGGER feeds_revisions_delete AFTER DELETE ON feeds_posts "
    "BEGIN "
    "  INSERT INTO feeds_revisions (scope, scope_id, rev) VALUES "
    "  ('school', COALESCE(OLD.school_id, 0), 1) ON CONFLICT (scope, "
    "  scope_id) DO UPDATE SET rev = feeds_revisions.rev + 1;"
    "  INSERT INTO feeds_revisions (scope, scope_id, rev) SELECT "
    "  'district', OLD.district_id, 1 WHERE OLD.visibility = 'public' "
    "  ON CONFLICT (scope, scope_id) DO UPDATE SET rev = "
    "  feeds_revisions.rev + 1;"
    "END;",
    NULL};
