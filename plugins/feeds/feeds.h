/*
 * feeds.h — what the files of the feeds plugin share.
 */
#ifndef FEEDS_H
#define FEEDS_H

#include <stdint.h>

#include <jx/org.h>
#include <jx/plugin.h>
#include <jx/spaces.h>
#include <jxplug.h>

JX_HOST_EXTERN;

/* feeds_schema.c */
extern const char *const feeds_migrations[];

/* ---- feeds_visible.c: who sees which post ----------------------------
 *
 * The reader as the visibility predicate binds it: 0 where a field does
 * not apply to the acting identity's role.
 */
struct feeds_viewer {
	int64_t person;       /* the reader's person (sees own posts) */
	int64_t district;     /* public posts of this district */
	int64_t school;       /* school posts of this school (not for a
	                         district admin) */
	int64_t admin_school; /* school admin: every non-private post */
	int64_t class_id;     /* student, parent: the (child's) class */
	int64_t teacher;      /* teacher: person id (classes taught or
	                         headed, in the identity's school) */
};
struct feeds_viewer feeds_viewer(jx_req *req);

/*
 * The SQL predicate "post p is visible to the reader", for any query on
 * feeds_posts aliased p: append it after WHERE/AND and pass
 * FEEDS_VISIBLE_TYPES / FEEDS_VISIBLE_ARGS(viewer) at its place among
 * the binds. Example, a person's posts as the reader sees them (index
 * feeds_posts_author):
 *
 *   struct feeds_viewer v = feeds_viewer(req);
 *   db_query(db, "SELECT p.id FROM feeds_posts p WHERE "
 *            "p.author_person_id = ? AND p.id < ? AND " FEEDS_VISIBLE_SQL
 *            " ORDER BY p.id DESC LIMIT ?",
 *            "ii" FEEDS_VISIBLE_TYPES "i", pid, before,
 *            FEEDS_VISIBLE_ARGS(v), limit);
 */
#define FEEDS_VISIBLE_SQL                                                      \
	"((p.author_person_id = ? AND p.status IN ('live','removed')) OR "     \
	"(p.status = 'live' AND p.visibility <> 'private' AND ("               \
	"(p.visibility = 'public' AND p.district_id = ?) OR "                  \
	"(p.school_id = ? AND p.visibility IN ('public','school')) OR "        \
	"p.school_id = ? OR "                                                  \
	"(p.visibility = 'class' AND p.school_id = ? AND (p.class_id = ? OR "  \
	"p.class_id IN (SELECT class_id FROM teaching WHERE teacher_id = ?) "  \
	"OR p.class_id IN (SELECT id FROM classes WHERE "                      \
	"head_teacher_id = ?))))))"
#define FEEDS_VISIBLE_TYPES "iiiiiiii"
#define FEEDS_VISIBLE_ARGS(v)                                                  \
	(v).person, (v).district, (v).school, (v).admin_school, (v).school,    \
	    (v).class_id, (v).teacher, (v).teacher

/* 1 when the acting identity may see post post_id (GET of a post, its
 * comments, likes, reports, its files), else 0. */
int feeds_post_visible(jx_req *req, int64_t post_id);
/* 1 when the reader may read the school feed of school_id (a member of
 * the school: student, parent of a child there, teacher, school admin). */
int feeds_school_reader(jx_req *req, int64_t school_id);
/* 1 when the reader may read class_id's feed (its students, their
 * parents, its teachers, the school's admin). */
int feeds_class_reader(jx_req *req, int64_t class_id);
/* 1 when the acting identity may see campus activity id (published:
 * the school; proposed: the proposer and the school admins), in
 * feeds_activities.c. Used by the plugin's file_visible for
 * "activity:<id>". */
int feeds_activity_visible(jx_req *req, int64_t activity_id);
/* The plugin's file_visible (registered in feeds_init). */
int feeds_file_visible(jx_req *req, const char *ref, void *ud);

/* ---- feeds_posts.c: posts as JSON, the feeds -------------------------- */
/* The columns of a post query (one bind: the reader's person id), FROM
 * feeds_posts p JOIN persons a ON a.id = p.author_person_id. */
extern const char *const feeds_post_cols;
/* The posts of a query on feeds_post_cols as API JSON (finishes st),
 * their photos read in one batched query. */
cJSON *feeds_post_rows(jx_req *req, jx_stmt *st);
/* One post as the reader sees it, or NULL (not visible). */
cJSON *feeds_post_json(jx_req *req, int64_t id);
/* The classes the reader may post to or read: [{id, grade, name}]. */
cJSON *feeds_reader_classes(jx_req *req);
int feeds_school_get(jx_req *req, void *ud);
int feeds_class_get(jx_req *req, void *ud);

/* ---- feeds_write.c ---------------------------------------------------- */
/* The privacy rule (scripts/rules/default.lua, post_privacy) on text:
 * 0 ok; 1 refused, -1 rules broken (refused too): *reason says why in
 * the reader's language. */
int feeds_privacy(jx_req *req, const char *text, const char **reason);
/* 1 when the acting identity is the school admin who may remove post
 * post_id (a non-private post of the school it sees). */
int feeds_may_moderate(jx_req *req, int64_t post_id);
int feeds_post_create(jx_req *req, void *ud);
int feeds_post_delete(jx_req *req, void *ud);
int feeds_post_removal(jx_req *req, void *ud);
int feeds_like_post(jx_req *req, void *ud);
int feeds_like_delete(jx_req *req, void *ud);
int feeds_report_post(jx_req *req, void *ud);

/* ---- feeds_comments.c ------------------------------------------------- */
cJSON *feeds_comment_rows(jx_req *req, int64_t post_id, int64_t after,
                          int64_t limit);
int feeds_comments_get(jx_req *req, void *ud);
int feeds_comment_post(jx_req *req, void *ud);
int feeds_comment_delete(jx_req *req, void *ud);

/* ---- feeds_pages.c ---------------------------------------------------- */
int feeds_post_page(jx_req *req, int64_t id, int status, const char *text,
                    const char *error);
int feeds_post_get(jx_req *req, void *ud);
int feeds_composer(jx_req *req, int status, cJSON *values, cJSON *errors);
int feeds_new_get(jx_req *req, void *ud);

#endif
