/*
 * feeds_posts.c — posts as JSON, and the reads: one post, the school
 * feed, the class feed (API.md, "Feeds and spaces"; issue 15).
 *
 * A list is one indexed query (the school feed on feeds_posts_school,
 * the class feed on feeds_posts_class, both newest first by id with the
 * cursor the last id shown, so posts arriving meanwhile neither repeat
 * nor open gaps) joined to the authors; the photos of the page's posts
 * are then read in one batched query, never per row.
 */
#include "feeds.h"

#include "jxjson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The columns feeds_post_rows reads, in order; the one bind is the
 * reader's person id (liked_by_me). FROM feeds_posts p JOIN persons a. */
#define FEEDS_POST_COLS                                                        \
	"p.id, p.kind, p.text, p.visibility, p.class_id, p.author_person_id, " \
	"a.name, p.author_role, p.nlikes, p.ncomments, p.created_at, "         \
	"p.status, p.removed_reason, p.nfiles, p.school_id, "                  \
	"EXISTS (SELECT 1 FROM feeds_likes l WHERE l.post_id = p.id AND "      \
	"l.person_id = ?) "
const char *const feeds_post_cols = FEEDS_POST_COLS;

/* A feed's query on FEEDS_POST_COLS: where, then the cursor and limit
 * (binds: the reader's person, the key of where, before, limit + 1). A
 * literal, not printed anew on every request. */
#define FEEDS_LIST_SQL(where)                                                  \
	"SELECT " FEEDS_POST_COLS "FROM feeds_posts p JOIN persons a ON a.id " \
	"= p.author_person_id WHERE " where " AND p.id < ? "                   \
	"ORDER BY p.id DESC LIMIT ?"
/* A feed page's query: the columns of FEEDS_POST_COLS but liked_by_me
 * (no cell shows it: a probe of feeds_likes a row saved); binds: the key
 * of where, before, limit + 1. */
#define FEEDS_PAGE_SQL(where)                                                  \
	"SELECT p.id, p.kind, p.text, p.visibility, p.class_id, "              \
	"p.author_person_id, a.name, p.author_role, p.nlikes, p.ncomments, "   \
	"p.created_at, p.status, p.removed_reason, p.nfiles, p.school_id "     \
	"FROM feeds_posts p JOIN persons a ON a.id = p.author_person_id "      \
	"WHERE " where " AND p.id < ? ORDER BY p.id DESC LIMIT ?"
#define FEEDS_WHERE_DISTRICT                                                   \
	"p.district_id = ? AND p.status = 'live' AND p.visibility = 'public'"
#define FEEDS_WHERE_SCHOOL                                                     \
	"p.school_id = ? AND p.status = 'live' AND "                           \
	"p.visibility IN ('public','school')"
#define FEEDS_WHERE_CLASS                                                      \
	"p.class_id = ? AND p.status = 'live' AND p.visibility = 'class'"

/* "/api/v1/files/<fid><suffix>" into out (64 bytes), without printf:
 * three of them a photo on every feed page. */
static const char *
feeds_file_url(char *out, int64_t fid, const char *suffix)
{
	static const char pre[] = "/api/v1/files/";
	char tmp[24], *d = tmp + sizeof(tmp);
	uint64_t u = fid < 0 ? 0 : (uint64_t)fid;
	size_t k = sizeof(pre) - 1, n;

	memcpy(out, pre, k);
	do {
		*--d = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	n = (size_t)(tmp + sizeof(tmp) - d);
	memcpy(out + k, d, n);
	k += n;
	n = strlen(suffix);
	if (k + n >= 64)
		n = 63 - k;
	memcpy(out + k, suffix, n);
	out[k + n] = '\0';
	return out;
}

/* Adds "files" to every post of items (objects with "id" and a hidden
 * nfiles count), one query for the photos of all of them. A page (not
 * the API) gets each photo's id, url and variants only: the templates
 * show nothing else, and every field is a node built, copied into Lua
 * and freed (docs/BENCHMARKS.md, "Feeds"). */
static void
feeds_attach_files(jx_req *req, cJSON *items, const int64_t *ids, int n)
{
	jx_db *db = jx_host->req_db(req);
	int lean = !jx_host->req_is_api(req);
	struct jxp_json in = {0};
	jx_stmt *st;
	cJSON *post = NULL;

	if (n == 0)
		return;
	for (int k = 0; k < n; k++) {
		if (k)
			jxp_json_lit(&in, ",");
		jxp_json_int(&in, ids[k]);
	}
	if (in.failed) {
		jxp_json_free(&in);
		return;
	}
	/* ids are integers of our own rows: safe to inline; the variants
	 * (display, thumb) come with each file */
	st = jx_host->db_query(
	    db,
	    jx_host->sprintf(
	        req,
	        "SELECT ff.owner_id, f.id, f.name, f.size, f.mime, f.sha256, "
	        "(SELECT COUNT(*) FROM file_variants v WHERE v.file_id = "
	        "f.id AND v.variant = 'display'), "
	        "(SELECT COUNT(*) FROM file_variants v WHERE v.file_id = "
	        "f.id AND v.variant = 'thumb') "
	        "FROM feeds_files ff JOIN files f ON f.id = ff.file_id "
	        "WHERE ff.owner = 'post' AND ff.owner_id IN (%s) "
	        "ORDER BY ff.owner_id, ff.position",
	        in.p),
	    "");
	jxp_json_free(&in);
	if (st == NULL)
		return;
	while (jx_host->db_step(st) == JX_DB_ROW) {
		int64_t owner = jx_host->db_int(st, 0),
		        fid = jx_host->db_int(st, 1);
		cJSON *o = cJSON_CreateObject(), *list = NULL;
		char url[64];

		cJSON_AddNumberToObject(o, "id", (double)fid);
		if (!lean) {
			cJSON_AddStringToObject(o, "name",
			                        jx_host->db_text(st, 2));
			cJSON_AddNumberToObject(o, "size",
			                        (double)jx_host->db_int(st, 3));
			cJSON_AddStringToObject(o, "mime",
			                        jx_host->db_text(st, 4));
			cJSON_AddStringToObject(o, "sha256",
			                        jx_host->db_text(st, 5));
		}
		cJSON_AddStringToObject(o, "url", feeds_file_url(url, fid, ""));
		if (jx_host->db_int(st, 6) > 0 || jx_host->db_int(st, 7) > 0) {
			cJSON *v = cJSON_AddObjectToObject(o, "variants");

			if (jx_host->db_int(st, 6) > 0)
				cJSON_AddStringToObject(
				    v, "display",
				    feeds_file_url(url, fid,
				                   "?variant=display"));
			if (jx_host->db_int(st, 7) > 0)
				cJSON_AddStringToObject(
				    v, "thumb",
				    feeds_file_url(url, fid, "?variant=thumb"));
		}
		/* rows come by owner: look again only when it changes */
		if (post == NULL ||
		    (int64_t)cJSON_GetNumberValue(
		        cJSON_GetObjectItem(post, "id")) != owner) {
			cJSON_ArrayForEach(post, items)
			{
				if ((int64_t)cJSON_GetNumberValue(
				        cJSON_GetObjectItem(post, "id")) ==
				    owner)
					break;
			}
		}
		if (post != NULL)
			list = cJSON_GetObjectItem(post, "files");
		if (list != NULL)
			cJSON_AddItemToArray(list, o);
		else
			cJSON_Delete(o);
	}
	jx_host->db_finish(st);
}

/* One row of a query on feeds_post_cols (or FEEDS_PAGE_SQL, whose
 * column 15 is not liked_by_me: with_liked 0) as the API's post object,
 * its "files" empty; when is the formatted created_at. */
static cJSON *
feeds_post_obj(jx_stmt *st, const struct jx_identity *me, const char *when,
               int with_liked)
{
	cJSON *o = cJSON_CreateObject(), *a;
	int64_t author = jx_host->db_int(st, 5);

	cJSON_AddNumberToObject(o, "id", (double)jx_host->db_int(st, 0));
	cJSON_AddStringToObject(o, "kind", jx_host->db_text(st, 1));
	cJSON_AddStringToObject(o, "text", jx_host->db_text(st, 2));
	cJSON_AddStringToObject(o, "visibility", jx_host->db_text(st, 3));
	if (jx_host->db_is_null(st, 4))
		cJSON_AddNullToObject(o, "class_id");
	else
		cJSON_AddNumberToObject(o, "class_id",
		                        (double)jx_host->db_int(st, 4));
	a = cJSON_AddObjectToObject(o, "author");
	cJSON_AddNumberToObject(a, "id", (double)author);
	cJSON_AddStringToObject(a, "name", jx_host->db_text(st, 6));
	cJSON_AddStringToObject(a, "role", jx_host->db_text(st, 7));
	cJSON_AddItemToObject(o, "files", cJSON_CreateArray());
	cJSON_AddNumberToObject(o, "likes", (double)jx_host->db_int(st, 8));
	if (with_liked)
		cJSON_AddBoolToObject(o, "liked_by_me",
		                      jx_host->db_int(st, 15));
	cJSON_AddNumberToObject(o, "comments", (double)jx_host->db_int(st, 9));
	cJSON_AddStringToObject(o, "created_at", when);
	cJSON_AddStringToObject(o, "status", jx_host->db_text(st, 11));
	if (me != NULL && me->person_id == author) {
		cJSON_AddBoolToObject(o, "mine", 1);
		if (!jx_host->db_is_null(st, 12))
			cJSON_AddStringToObject(o, "removed_reason",
			                        jx_host->db_text(st, 12));
	}
	return o;
}

cJSON *
feeds_post_rows(jx_req *req, jx_stmt *st)
{
	const struct jx_identity *me = jx_host->identity(req);
	cJSON *items = cJSON_CreateArray();
	struct jxp_timecache tc = {0};
	int64_t *ids = NULL;
	int n = 0, cap = 0;

	if (st == NULL)
		return items;
	while (jx_host->db_step(st) == JX_DB_ROW) {
		int64_t id = jx_host->db_int(st, 0);
		char when[32];
		cJSON *o;

		jxp_format_time(jx_host, &tc, jx_host->db_int(st, 10), when,
		                sizeof(when));
		o = feeds_post_obj(st, me, when, 1);
		cJSON_AddItemToArray(items, o);
		if (jx_host->db_int(st, 13) > 0) {
			if (n == cap) {
				int64_t *grown;

				cap = cap ? cap * 2 : 32;
				grown = jx_host->alloc(req, (size_t)cap *
				                                sizeof(*ids));
				if (n > 0)
					memcpy(grown, ids,
					       (size_t)n * sizeof(*ids));
				ids = grown;
			}
			ids[n++] = id;
		}
	}
	jx_host->db_finish(st);
	feeds_attach_files(req, items, ids, n);
	return items;
}

cJSON *
feeds_post_json(jx_req *req, int64_t id)
{
	struct feeds_viewer v = feeds_viewer(req);
	cJSON *items, *post;

	items = feeds_post_rows(
	    req,
	    jx_host->db_query(
	        jx_host->req_db(req),
	        jx_host->sprintf(req,
	                         "SELECT %s FROM feeds_posts p JOIN "
	                         "persons a ON a.id = p.author_person_id "
	                         "WHERE p.id = ? AND " FEEDS_VISIBLE_SQL,
	                         feeds_post_cols),
	        "ii" FEEDS_VISIBLE_TYPES, v.person, id, FEEDS_VISIBLE_ARGS(v)));
	post = cJSON_DetachItemFromArray(items, 0);
	cJSON_Delete(items);
	return post;
}

/* Posts on a feed page (not the API) without ?limit=: a phone's first
 * screenfuls, then "load more". 50 (the API's default) cost 2.5 times
 * the rendering and the bytes (docs/BENCHMARKS.md, "Feeds"). */
#define FEEDS_PAGE_POSTS 20

/* A length-prefixed field of a cell's key: "<n>:<bytes>". */
static void
feeds_key_field(struct jxp_json *k, const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	jxp_json_int(k, (int64_t)n);
	jxp_json_lit(k, ":");
	jxp_json_raw(k, s != NULL ? s : "", n);
}

/* The key of a post's cell (feeds/post_cell with link): everything the
 * cell shows, as read from this row, so a cached cell is never stale
 * (jx_host->fragment_get): a like, a comment, an edit, a removal or an
 * author's new name changes the row and so the key. The photos are not
 * in the row: a post's feeds_files rows and their variants are written
 * with the post and never change after (every insert sets nfiles again;
 * a file in use keeps its variants), so their count stands for them. A
 * new field shown by the cell belongs here. */
static void
feeds_cell_key(struct jxp_json *k, jx_stmt *st, int mine)
{
	k->len = 0;
	jxp_json_lit(k, "post_cell/1;link;");
	jxp_json_int(k, jx_host->db_int(st, 0));
	jxp_json_lit(k, ";");
	feeds_key_field(k, jx_host->db_text(st, 1)); /* kind */
	feeds_key_field(k, jx_host->db_text(st, 2)); /* text */
	feeds_key_field(k, jx_host->db_text(st, 3)); /* visibility */
	feeds_key_field(k, jx_host->db_text(st, 6)); /* author's name */
	feeds_key_field(k, jx_host->db_text(st, 7)); /* author's role */
	jxp_json_int(k, jx_host->db_int(st, 8));     /* likes */
	jxp_json_lit(k, ";");
	jxp_json_int(k, jx_host->db_int(st, 9)); /* comments */
	jxp_json_lit(k, ";");
	/* the time as stored: its local form is the process's (one time
	 * zone a process), and the cache is the process's too */
	jxp_json_int(k, jx_host->db_int(st, 10));
	jxp_json_lit(k, ";");
	feeds_key_field(k, jx_host->db_text(st, 11)); /* status */
	if (mine) {
		jxp_json_lit(k, "mine;");
		if (!jx_host->db_is_null(st, 12))
			feeds_key_field(k, jx_host->db_text(st, 12));
	}
	jxp_json_lit(k, "files;");
	jxp_json_int(k, jx_host->db_int(st, 13));
}

/* One cell of a feed page: the post's id, and its HTML once known. */
struct feeds_cell {
	int64_t id;
	int64_t author;
	const char *name; /* the author's name as read (arena) */
	const char *html;
	size_t len;
	const char *key; /* a miss: its key (arena), to keep what renders */
	size_t klen;
};

struct feeds_page {
	const char *list; /* the cells as the feed's <ul>, or NULL: none */
	size_t len;
	int64_t next_cursor; /* 0: none */
};

/* The page's list into the template (jx_host->reply_view_data): the
 * cells' <ul> as one chunk (printed from the arena or the cache's copy,
 * no Lua string or table a post), and next_cursor. */
static void
feeds_page_write(jx_req *req, jx_page_data *pd, void *ud)
{
	const struct feeds_page *pg = ud;

	(void)req;
	if (pg->list != NULL)
		jx_host->pd_html(pd, "list", pg->list, pg->len);
	if (pg->next_cursor > 0) {
		char c[24];

		snprintf(c, sizeof(c), "%lld", (long long)pg->next_cursor);
		jx_host->pd_str(pd, "next_cursor", c, (size_t)-1);
	}
}

/* A feed's revision (feeds migration step 3: bumped by triggers with
 * every write to feeds_posts) by scope, the where's bind: a class feed
 * reads its school's. One indexed point read. */
enum feeds_scope {
	FEEDS_SCOPE_SCHOOL,
	FEEDS_SCOPE_DISTRICT,
	FEEDS_SCOPE_CLASS
};
#define FEEDS_REV(scope, id)                                                   \
	"COALESCE((SELECT rev FROM feeds_revisions WHERE scope = '" scope      \
	"' AND scope_id = " id "), 0)"
#define FEEDS_REV_SCHOOL FEEDS_REV("school", "?")
#define FEEDS_REV_DISTRICT FEEDS_REV("district", "?")
#define FEEDS_REV_CLASS                                                        \
	FEEDS_REV("school", "(SELECT school_id FROM classes WHERE id = ?)")
/* The host's count of renames (host migration 14: a trigger on
 * persons.name), read beside the feed's revision: a kept body whose
 * authors may have been renamed is checked name by name only when it
 * moved. */
#define FEEDS_NAMES_REV                                                        \
	", COALESCE((SELECT rev FROM host_revisions WHERE name = "             \
	"'person_names'), 0)"
static const char *const feeds_rev_sql[] = {
    "SELECT " FEEDS_REV_SCHOOL FEEDS_NAMES_REV,
    "SELECT " FEEDS_REV_DISTRICT FEEDS_NAMES_REV,
    "SELECT " FEEDS_REV_CLASS FEEDS_NAMES_REV,
};

/* The revision and the names of up to 20 authors in one row (a kept
 * body's check: one statement; unused binds 0, their names NULL). */
#define FEEDS_NAMES_ONE_ROW 20
#define FEEDS_NAME_COL "(SELECT name FROM persons WHERE id = ?)"
#define FEEDS_NAME_COL5                                                        \
	FEEDS_NAME_COL ", " FEEDS_NAME_COL ", " FEEDS_NAME_COL                 \
	               ", " FEEDS_NAME_COL ", " FEEDS_NAME_COL
#define FEEDS_NAME_COLS                                                        \
	FEEDS_NAME_COL5 ", " FEEDS_NAME_COL5 ", " FEEDS_NAME_COL5              \
	                ", " FEEDS_NAME_COL5
static const char *const feeds_check_sql[] = {
    "SELECT " FEEDS_REV_SCHOOL ", " FEEDS_NAME_COLS,
    "SELECT " FEEDS_REV_DISTRICT ", " FEEDS_NAME_COLS,
    "SELECT " FEEDS_REV_CLASS ", " FEEDS_NAME_COLS,
};

/* The revision, 0 when none was ever written, -1 on an error (then the
 * page is neither served from nor kept in the cache); *names the host's
 * rename count. */
static int64_t
feeds_revision(jx_req *req, enum feeds_scope scope, int64_t key, int64_t *names)
{
	jx_stmt *st = jx_host->db_query(jx_host->req_db(req),
	                                feeds_rev_sql[scope], "i", key);
	int64_t rev = 0;
	int rc;

	*names = -1;
	if (st == NULL)
		return -1;
	rc = jx_host->db_step(st);
	if (rc == JX_DB_ROW) {
		rev = jx_host->db_int(st, 0);
		*names = jx_host->db_int(st, 1);
	} else if (rc != JX_DB_DONE)
		rev = -1;
	jx_host->db_finish(st);
	return rev;
}

/*
 * A feed's body kept whole (the cells' <ul> and the next cursor) as the
 * fragment feeds/feed_body under the feed (scope and its id), the
 * cursor, the limit and the feed's revision read in this request: no
 * write to feeds_posts can leave it stale, in this process or another
 * (the revision is read before the posts, so a body kept under a
 * revision is at least as new as it). The body is the same for every
 * reader of the feed: the where is the scope's alone, and a cell shows
 * nothing of its reader (only live posts are listed, so the author's
 * removal reason never shows). What the revision does not see is an
 * author's new name (persons is the host's: no trigger of ours may sit
 * on it): the host counts renames (host_revisions 'person_names', a
 * trigger of its own on persons.name, so a rename by any path counts),
 * read with the revision in one statement. While that count is the one
 * the body was kept under, the body holds; after a rename anywhere, the
 * body's recorded authors and names are compared (one query) and the
 * body used only when every name is unchanged.
 *
 * The stored form: "FB2 <rev> <names rev> <next> <html bytes>
 * <authors>\n", a line
 * "<id> <bytes>:<name>" an author, then the HTML.
 */
#define FEEDS_BODY_TMPL "feeds/feed_body"

static int
feeds_body_check(jx_req *req, enum feeds_scope scope, int64_t key, int64_t rev,
                 int64_t nrev, const char *p, const char *end, int n)
{
	struct jxp_json in = {0};
	int64_t *ids, nrev_now;
	const char **names;
	size_t *lens;
	const char *q = p;
	jx_stmt *st;
	int found = 0, ok = 1, at = 0;

	if (n > 1000)
		return 0;
	/* the feed unchanged and nobody renamed since: the body holds */
	if (feeds_revision(req, scope, key, &nrev_now) != rev)
		return 0;
	if (nrev_now >= 0 && nrev_now == nrev)
		return 1;
	ids = jx_host->alloc(req, (size_t)n * sizeof(*ids));
	names = jx_host->alloc(req, (size_t)n * sizeof(*names));
	lens = jx_host->alloc(req, (size_t)n * sizeof(*lens));
	for (int i = 0; i < n; i++) {
		char *e;
		unsigned long long len;

		ids[i] = strtoll(q, &e, 10);
		if (e == q || *e != ' ')
			return 0;
		len = strtoull(e + 1, &e, 10);
		if (*e != ':' || (size_t)(end - e - 1) < len + 1)
			return 0;
		names[i] = e + 1;
		lens[i] = (size_t)len;
		q = e + 1 + len + 1;
	}
	if (n <= FEEDS_NAMES_ONE_ROW) {
		/* one row of point reads: no IN list's temporary index */
		int64_t a[FEEDS_NAMES_ONE_ROW] = {0};

		for (int i = 0; i < n; i++)
			a[i] = ids[i];
		st = jx_host->db_query(
		    jx_host->req_db(req), feeds_check_sql[scope],
		    "iiiiiiiiiiiiiiiiiiiii", key, a[0], a[1], a[2], a[3], a[4],
		    a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13],
		    a[14], a[15], a[16], a[17], a[18], a[19]);
		if (st == NULL)
			return 0;
		ok = jx_host->db_step(st) == JX_DB_ROW &&
		     jx_host->db_int(st, 0) == rev;
		for (int i = 0; ok && i < n; i++) {
			const char *name = jx_host->db_is_null(st, i + 1)
			                       ? NULL
			                       : jx_host->db_text(st, i + 1);

			ok = name != NULL && strlen(name) == lens[i] &&
			     memcmp(names[i], name, lens[i]) == 0;
		}
		jx_host->db_finish(st);
		return ok;
	}
	/* more authors (a ?limit= over 20): the revision, then an IN */
	for (int i = 0; i < n; i++) {
		if (i)
			jxp_json_lit(&in, ",");
		jxp_json_int(&in, ids[i]);
	}
	if (in.failed) {
		jxp_json_free(&in);
		return 0;
	}
	/* ids of our own header: integers, safe to inline */
	st = jx_host->db_query(
	    jx_host->req_db(req),
	    jx_host->sprintf(
	        req, "SELECT id, name FROM persons WHERE id IN (%s)", in.p),
	    "");
	jxp_json_free(&in);
	if (st == NULL)
		return 0;
	while (ok && jx_host->db_step(st) == JX_DB_ROW) {
		int64_t id = jx_host->db_int(st, 0);
		const char *name = jx_host->db_text(st, 1);
		size_t nl = name != NULL ? strlen(name) : 0;
		int i = at;

		/* the rows come by id, the header by first appearance */
		ok = 0;
		for (int k = 0; k < n; k++, i = i + 1 < n ? i + 1 : 0)
			if (ids[i] == id) {
				ok = lens[i] == nl &&
				     memcmp(names[i], name, nl) == 0;
				at = i;
				break;
			}
		found++;
	}
	jx_host->db_finish(st);
	return ok && found == n;
}

/* A kept body of this key into pg, when its authors' names still hold. */
static int
feeds_body_get(jx_req *req, enum feeds_scope scope, int64_t fkey,
               const char *key, size_t klen, struct feeds_page *pg)
{
	size_t len;
	const char *b =
	    jx_host->fragment_get(req, FEEDS_BODY_TMPL, key, klen, &len);
	const char *end, *p, *q;
	long long next, rev, nrev;
	unsigned long long hlen;
	int n;
	char *e;

	if (b == NULL || len < 4 || memcmp(b, "FB2 ", 4) != 0)
		return 0;
	end = b + len;
	rev = strtoll(b + 4, &e, 10);
	if (*e != ' ')
		return 0;
	nrev = strtoll(e + 1, &e, 10);
	if (*e != ' ')
		return 0;
	next = strtoll(e + 1, &e, 10);
	if (*e != ' ')
		return 0;
	hlen = strtoull(e + 1, &e, 10);
	if (*e != ' ')
		return 0;
	n = (int)strtol(e + 1, &e, 10);
	if (*e != '\n' || n < 0)
		return 0;
	p = e + 1;
	/* the HTML is the last hlen bytes */
	if (hlen > (unsigned long long)(end - p))
		return 0;
	q = end - hlen;
	if (!feeds_body_check(req, scope, fkey, rev, nrev, p, q, n))
		return 0;
	pg->list = hlen > 0 ? q : NULL;
	pg->len = (size_t)hlen;
	pg->next_cursor = next;
	return 1;
}

/* Keeps pg's body and the cells' authors under key (a miss's work). */
static void
feeds_body_put(jx_req *req, int64_t rev, int64_t nrev, const char *key,
               size_t klen, const struct feeds_page *pg,
               const struct feeds_cell *cells, int n)
{
	struct jxp_json b = {0}, h = {0};
	int na = 0;
	cJSON *data;

	for (int i = 0; i < n; i++) {
		int seen = 0;

		for (int j = 0; j < i && !seen; j++)
			seen = cells[j].author == cells[i].author;
		if (seen)
			continue;
		jxp_json_int(&h, cells[i].author);
		jxp_json_lit(&h, " ");
		jxp_json_int(&h, (int64_t)strlen(cells[i].name));
		jxp_json_lit(&h, ":");
		jxp_json_raw(&h, cells[i].name, strlen(cells[i].name));
		jxp_json_lit(&h, "\n");
		na++;
	}
	jxp_json_lit(&b, "FB2 ");
	jxp_json_int(&b, rev);
	jxp_json_lit(&b, " ");
	jxp_json_int(&b, nrev);
	jxp_json_lit(&b, " ");
	jxp_json_int(&b, pg->next_cursor);
	jxp_json_lit(&b, " ");
	jxp_json_int(&b, (int64_t)pg->len);
	jxp_json_lit(&b, " ");
	jxp_json_int(&b, na);
	jxp_json_lit(&b, "\n");
	if (h.len > 0)
		jxp_json_raw(&b, h.p, h.len);
	if (pg->len > 0)
		jxp_json_raw(&b, pg->list, pg->len);
	if (!b.failed && !h.failed) {
		data = cJSON_CreateObject();
		if (cJSON_AddStringToObject(data, "body", b.p) != NULL)
			jx_host->fragment_render(req, FEEDS_BODY_TMPL, key,
			                         klen, data, NULL);
		cJSON_Delete(data);
	}
	jxp_json_free(&b);
	jxp_json_free(&h);
}

/*
 * A feed page (not the API): sql is a FEEDS_PAGE_SQL, key its where's
 * bind (of scope); data (taken) the page's other variables. The whole
 * body is kept under the feed's revision (feeds_body_get); without one,
 * each post's cell is the fragment cached under the row's key
 * (feeds_cell_key) when there is one; only the posts without build
 * their API object, get their photos (one query for all of them) and
 * render feeds/post_cell, which is then kept, and so is the body. The
 * template prints the list's HTML as it is.
 */
static int
feeds_page_reply(jx_req *req, enum feeds_scope scope, const char *sql,
                 int64_t key, cJSON *data)
{
	const struct jx_identity *me = jx_host->identity(req);
	struct jxp_timecache tc = {0};
	struct jxp_json k = {0}, bk = {0}, list = {0};
	struct feeds_page pg = {0};
	struct feeds_cell *cells;
	cJSON *miss = NULL;
	int64_t limit, before, rev, nrev, *ids = NULL;
	int nids = 0, n = 0;
	jx_stmt *st;

	jxp_page(jx_host, req, &limit, &before);
	if (jx_host->req_query(req, "limit") == NULL)
		limit = FEEDS_PAGE_POSTS;
	if (before <= 0)
		before = INT64_MAX;
	/* the body's key: the feed, the cursor and the limit; its header
	 * holds the revision, checked with the names (feeds_body_get) */
	jxp_json_lit(&bk, "feed_body/2;");
	jxp_json_int(&bk, (int64_t)scope);
	jxp_json_lit(&bk, ";");
	jxp_json_int(&bk, key);
	jxp_json_lit(&bk, ";");
	jxp_json_int(&bk, before);
	jxp_json_lit(&bk, ";");
	jxp_json_int(&bk, limit);
	if (!bk.failed && feeds_body_get(req, scope, key, bk.p, bk.len, &pg)) {
		jxp_json_free(&bk);
		return jx_host->reply_view_data(req, 200, "feeds/feed", data,
		                                feeds_page_write, &pg);
	}
	/* a miss: the revision before the posts, so what is kept under it
	 * is at least as new as it */
	rev = feeds_revision(req, scope, key, &nrev);
	st = jx_host->db_query(jx_host->req_db(req), sql, "iii", key, before,
	                       limit + 1);
	if (st == NULL) {
		jxp_json_free(&bk);
		cJSON_Delete(data);
		return jxp_storage_error(jx_host, req);
	}
	cells = jx_host->alloc(req, (size_t)limit * sizeof(*cells));
	while (jx_host->db_step(st) == JX_DB_ROW) {
		struct feeds_cell *c = &cells[n];
		int mine =
		    me != NULL && me->person_id == jx_host->db_int(st, 5);
		const char *name = jx_host->db_text(st, 6);
		char when[32];

		if (n == limit) {
			pg.next_cursor = n > 0 ? cells[n - 1].id : 0;
			break;
		}
		c->id = jx_host->db_int(st, 0);
		c->author = jx_host->db_int(st, 5);
		c->name = jx_host->sprintf(req, "%s", name ? name : "");
		feeds_cell_key(&k, st, mine);
		if (k.failed)
			break;
		c->html = jx_host->fragment_get(req, "feeds/post_cell", k.p,
		                                k.len, &c->len);
		n++;
		if (c->html != NULL)
			continue;
		/* a miss: the post as the template takes it */
		c->key = jx_host->alloc(req, k.len);
		memcpy((char *)c->key, k.p, k.len);
		c->klen = k.len;
		if (miss == NULL) {
			miss = cJSON_CreateArray();
			ids = jx_host->alloc(req, (size_t)limit * sizeof(*ids));
		}
		jxp_format_time(jx_host, &tc, jx_host->db_int(st, 10), when,
		                sizeof(when));
		cJSON_AddItemToArray(miss, feeds_post_obj(st, me, when, 0));
		if (jx_host->db_int(st, 13) > 0)
			ids[nids++] = c->id;
	}
	jx_host->db_finish(st);
	if (k.failed) {
		jxp_json_free(&k);
		jxp_json_free(&bk);
		cJSON_Delete(miss);
		cJSON_Delete(data);
		return jxp_storage_error(jx_host, req);
	}
	jxp_json_free(&k);
	if (miss != NULL) {
		cJSON *cell = cJSON_CreateObject(), *p = miss->child;

		feeds_attach_files(req, miss, ids, nids);
		cJSON_AddBoolToObject(cell, "link", 1);
		for (int i = 0; i < n && p != NULL; i++) {
			struct feeds_cell *c = &cells[i];
			cJSON *next = p->next;

			if (c->html != NULL)
				continue;
			cJSON_DetachItemViaPointer(miss, p);
			cJSON_AddItemToObject(cell, "p", p);
			c->html = jx_host->fragment_render(
			    req, "feeds/post_cell", c->key, c->klen, cell,
			    &c->len);
			cJSON_DeleteItemFromObjectCaseSensitive(cell, "p");
			p = next;
			if (c->html == NULL)
				break;
		}
		cJSON_Delete(cell);
		cJSON_Delete(miss);
		for (int i = 0; i < n; i++)
			if (cells[i].html == NULL) {
				jxp_json_free(&bk);
				cJSON_Delete(data);
				return jxp_storage_error(jx_host, req);
			}
	}
	/* the list as feeds/feed printed it a cell at a time */
	if (n > 0) {
		jxp_json_lit(&list, "<ul class=\"feeds-list\">\n");
		for (int i = 0; i < n; i++) {
			jxp_json_lit(&list, "  <li>");
			jxp_json_raw(&list, cells[i].html, cells[i].len);
			jxp_json_lit(&list, "</li>\n");
		}
		jxp_json_lit(&list, "</ul>");
		if (list.failed) {
			jxp_json_free(&list);
			jxp_json_free(&bk);
			cJSON_Delete(data);
			return jxp_storage_error(jx_host, req);
		}
		pg.list = jx_host->alloc(req, list.len + 1);
		memcpy((char *)pg.list, list.p, list.len);
		((char *)pg.list)[list.len] = '\0';
		pg.len = list.len;
		jxp_json_free(&list);
	}
	if (rev >= 0 && !bk.failed)
		feeds_body_put(req, rev, nrev, bk.p, bk.len, &pg, cells, n);
	jxp_json_free(&bk);
	return jx_host->reply_view_data(req, 200, "feeds/feed", data,
	                                feeds_page_write, &pg);
}

/* One post's place in feeds_list_api's buffer: its text up to where
 * "files" goes, the rest, and its photos' span in the second buffer. */
struct feeds_seg {
	int64_t id;
	size_t start, files_at, end, ph_start, ph_end;
};

/* The photos of the n posts in seg (ids newest first), as JSON array
 * bodies in ph, each post's span recorded: the same objects
 * feeds_attach_files builds, one query for all. */
static void
feeds_write_files(jx_req *req, struct feeds_seg *seg, int n,
                  struct jxp_json *ph)
{
	char *in;
	size_t cap, len = 0;
	jx_stmt *st;
	int k = n - 1, any = 0;

	for (int i = 0; i < n; i++)
		if (seg[i].ph_end == 1)
			any = 1;
	if (!any)
		return;
	cap = (size_t)n * 24 + 8;
	in = jx_host->alloc(req, cap);
	in[0] = '\0';
	for (int i = 0; i < n; i++)
		if (seg[i].ph_end == 1)
			len += (size_t)snprintf(in + len, cap - len, "%s%lld",
			                        len ? "," : "",
			                        (long long)seg[i].id);
	for (int i = 0; i < n; i++)
		seg[i].ph_start = seg[i].ph_end = 0;
	st = jx_host->db_query(
	    jx_host->req_db(req),
	    jx_host->sprintf(
	        req,
	        "SELECT ff.owner_id, f.id, f.name, f.size, f.mime, f.sha256, "
	        "(SELECT COUNT(*) FROM file_variants v WHERE v.file_id = "
	        "f.id AND v.variant = 'display'), "
	        "(SELECT COUNT(*) FROM file_variants v WHERE v.file_id = "
	        "f.id AND v.variant = 'thumb') "
	        "FROM feeds_files ff JOIN files f ON f.id = ff.file_id "
	        "WHERE ff.owner = 'post' AND ff.owner_id IN (%s) "
	        "ORDER BY ff.owner_id, ff.position",
	        in),
	    "");
	if (st == NULL)
		return;
	/* owners ascending, the posts descending: walk seg from its end */
	while (jx_host->db_step(st) == JX_DB_ROW) {
		int64_t owner = jx_host->db_int(st, 0),
		        fid = jx_host->db_int(st, 1);
		int display = jx_host->db_int(st, 6) > 0,
		    thumb = jx_host->db_int(st, 7) > 0;

		while (k >= 0 && seg[k].id < owner)
			k--;
		if (k < 0 || seg[k].id != owner)
			continue;
		if (seg[k].ph_end == 0)
			seg[k].ph_start = ph->len;
		else
			jxp_json_lit(ph, ",");
		jxp_json_lit(ph, "{\"id\":");
		jxp_json_int(ph, fid);
		jxp_json_lit(ph, ",\"name\":");
		jxp_json_str(ph, jx_host->db_text(st, 2));
		jxp_json_lit(ph, ",\"size\":");
		jxp_json_int(ph, jx_host->db_int(st, 3));
		jxp_json_lit(ph, ",\"mime\":");
		jxp_json_str(ph, jx_host->db_text(st, 4));
		jxp_json_lit(ph, ",\"sha256\":");
		jxp_json_str(ph, jx_host->db_text(st, 5));
		jxp_json_lit(ph, ",\"url\":\"/api/v1/files/");
		jxp_json_int(ph, fid);
		jxp_json_lit(ph, "\"");
		if (display || thumb) {
			jxp_json_lit(ph, ",\"variants\":{");
			if (display) {
				jxp_json_lit(ph,
				             "\"display\":\"/api/v1/files/");
				jxp_json_int(ph, fid);
				jxp_json_lit(ph, "?variant=display\"");
			}
			if (thumb) {
				if (display)
					jxp_json_lit(ph, ",");
				jxp_json_lit(ph, "\"thumb\":\"/api/v1/files/");
				jxp_json_int(ph, fid);
				jxp_json_lit(ph, "?variant=thumb\"");
			}
			jxp_json_lit(ph, "}");
		}
		jxp_json_lit(ph, "}");
		seg[k].ph_end = ph->len;
	}
	jx_host->db_finish(st);
}

/* The API's face of a feed: the same rows and JSON as feeds_list and
 * feeds_post_rows, written straight from the statement (no cJSON tree
 * built, printed and freed: docs/BENCHMARKS.md, "Feeds"); the photos,
 * read after the posts, are spliced in where "files" goes. */
static int
feeds_list_api(jx_req *req, const char *sql, int64_t key)
{
	struct feeds_viewer v = feeds_viewer(req);
	const struct jx_identity *me = jx_host->identity(req);
	struct jxp_json j = {0}, ph = {0}, out = {0};
	struct jxp_timecache tc = {0};
	struct feeds_seg *seg;
	int64_t limit, before;
	int n = 0, more = 0, rc;
	jx_stmt *st;

	jxp_page(jx_host, req, &limit, &before);
	if (before <= 0)
		before = INT64_MAX;
	st = jx_host->db_query(jx_host->req_db(req), sql, "iiii", v.person, key,
	                       before, limit + 1);
	if (st == NULL)
		return jxp_storage_error(jx_host, req);
	seg = jx_host->alloc(req, (size_t)limit * sizeof(*seg));
	while (jx_host->db_step(st) == JX_DB_ROW) {
		int64_t id = jx_host->db_int(st, 0);
		int64_t author = jx_host->db_int(st, 5);
		char when[40];

		if (n == limit) {
			more = 1;
			break;
		}
		seg[n].id = id;
		seg[n].start = j.len;
		/* ph_end 1: has photos to read (feeds_write_files) */
		seg[n].ph_start = 0;
		seg[n].ph_end = jx_host->db_int(st, 13) > 0;
		jxp_json_lit(&j, "{\"id\":");
		jxp_json_int(&j, id);
		jxp_json_lit(&j, ",\"kind\":");
		jxp_json_str(&j, jx_host->db_text(st, 1));
		jxp_json_lit(&j, ",\"text\":");
		jxp_json_str(&j, jx_host->db_text(st, 2));
		jxp_json_lit(&j, ",\"visibility\":");
		jxp_json_str(&j, jx_host->db_text(st, 3));
		jxp_json_lit(&j, ",\"class_id\":");
		if (jx_host->db_is_null(st, 4))
			jxp_json_lit(&j, "null");
		else
			jxp_json_int(&j, jx_host->db_int(st, 4));
		jxp_json_lit(&j, ",\"author\":{\"id\":");
		jxp_json_int(&j, author);
		jxp_json_lit(&j, ",\"name\":");
		jxp_json_str(&j, jx_host->db_text(st, 6));
		jxp_json_lit(&j, ",\"role\":");
		jxp_json_str(&j, jx_host->db_text(st, 7));
		jxp_json_lit(&j, "},\"files\":");
		seg[n].files_at = j.len;
		jxp_json_lit(&j, ",\"likes\":");
		jxp_json_int(&j, jx_host->db_int(st, 8));
		if (jx_host->db_int(st, 15))
			jxp_json_lit(&j, ",\"liked_by_me\":true");
		else
			jxp_json_lit(&j, ",\"liked_by_me\":false");
		jxp_json_lit(&j, ",\"comments\":");
		jxp_json_int(&j, jx_host->db_int(st, 9));
		jxp_format_time(jx_host, &tc, jx_host->db_int(st, 10), when,
		                sizeof(when));
		jxp_json_lit(&j, ",\"created_at\":");
		jxp_json_str(&j, when);
		jxp_json_lit(&j, ",\"status\":");
		jxp_json_str(&j, jx_host->db_text(st, 11));
		if (me != NULL && me->person_id == author) {
			jxp_json_lit(&j, ",\"mine\":true");
			if (!jx_host->db_is_null(st, 12)) {
				jxp_json_lit(&j, ",\"removed_reason\":");
				jxp_json_str(&j, jx_host->db_text(st, 12));
			}
		}
		jxp_json_lit(&j, "}");
		seg[n].end = j.len;
		n++;
	}
	jx_host->db_finish(st);
	feeds_write_files(req, seg, n, &ph);
	jxp_json_lit(&out, "{\"items\":[");
	for (int k = 0; k < n; k++) {
		if (k > 0)
			jxp_json_lit(&out, ",");
		jxp_json_raw(&out, j.p + seg[k].start,
		             seg[k].files_at - seg[k].start);
		jxp_json_lit(&out, "[");
		if (seg[k].ph_end > seg[k].ph_start)
			jxp_json_raw(&out, ph.p + seg[k].ph_start,
			             seg[k].ph_end - seg[k].ph_start);
		jxp_json_lit(&out, "]");
		jxp_json_raw(&out, j.p + seg[k].files_at,
		             seg[k].end - seg[k].files_at);
	}
	jxp_json_lit(&out, "],\"next_cursor\":");
	if (more && n > 0) {
		jxp_json_lit(&out, "\"");
		jxp_json_int(&out, seg[n - 1].id);
		jxp_json_lit(&out, "\"}");
	} else
		jxp_json_lit(&out, "null}");
	jxp_json_free(&j);
	jxp_json_free(&ph);
	if (out.failed) {
		jxp_json_free(&out);
		return jxp_storage_error(jx_host, req);
	}
	rc = jx_host->reply_raw(req, 200, "application/json; charset=utf-8",
	                        out.p, out.len, NULL);
	jxp_json_free(&out);
	return rc;
}

/* The classes the reader may choose for a class post or feed:
 * [{id, name}] (a teacher's classes taught or headed; a student's or
 * parent's class). */
cJSON *
feeds_reader_classes(jx_req *req)
{
	const struct jx_identity *i = jx_host->identity(req);
	jx_db *db = jx_host->req_db(req);
	cJSON *out = cJSON_CreateArray();

	if (i == NULL)
		return out;
	if (jxp_role(jx_host, req, "teacher")) {
		cJSON *rows = jx_host->db_rows(
		    db,
		    "SELECT c.id, c.grade, c.name FROM classes c WHERE "
		    "c.school_id = ? AND (c.head_teacher_id = ? OR c.id IN "
		    "(SELECT class_id FROM teaching WHERE teacher_id = ?)) "
		    "ORDER BY c.grade, c.name",
		    "iii", i->school_id, i->person_id, i->person_id);
		if (rows != NULL) {
			cJSON_Delete(out);
			out = rows;
		}
	} else if (i->class_id > 0 &&
	           jxp_role(jx_host, req, "student,parent")) {
		cJSON *rows = jx_host->db_rows(db,
		                               "SELECT c.id, c.grade, c.name "
		                               "FROM classes c WHERE c.id = ?",
		                               "i", i->class_id);
		if (rows != NULL) {
			cJSON_Delete(out);
			out = rows;
		}
	}
	return out;
}

/* GET /feeds/school (page and API): the reader's school; a district
 * admin, who has no school, gets the district's public posts (the
 * posts it sees; on feeds_posts_district, migration step 2). */
int
feeds_school_get(jx_req *req, void *ud)
{
	const struct jx_identity *i = jx_host->identity(req);
	int district = jxp_role(jx_host, req, "district_admin");
	const char *sql, *page_sql, *title;
	enum feeds_scope scope;
	int64_t key;
	cJSON *data;

	(void)ud;
	if (i == NULL)
		return jxp_forbidden(jx_host, req);
	if (district && i->district_id > 0) {
		sql = FEEDS_LIST_SQL(FEEDS_WHERE_DISTRICT);
		page_sql = FEEDS_PAGE_SQL(FEEDS_WHERE_DISTRICT);
		scope = FEEDS_SCOPE_DISTRICT;
		key = i->district_id;
	} else if (feeds_school_reader(req, i->school_id)) {
		sql = FEEDS_LIST_SQL(FEEDS_WHERE_SCHOOL);
		page_sql = FEEDS_PAGE_SQL(FEEDS_WHERE_SCHOOL);
		scope = FEEDS_SCOPE_SCHOOL;
		key = i->school_id;
	} else
		return jxp_forbidden(jx_host, req);
	if (jx_host->req_is_api(req))
		return feeds_list_api(req, sql, key);
	title = district ? "feeds.district.title" : "feeds.school.title";
	data = cJSON_CreateObject();
	cJSON_AddStringToObject(data, "feed", district ? "district" : "school");
	cJSON_AddStringToObject(data, "title", jx_host->t(req, title));
	cJSON_AddItemToObject(data, "classes", feeds_reader_classes(req));
	return feeds_page_reply(req, scope, page_sql, key, data);
}

/* GET /feeds/class/{cid} (page and API) */
int
feeds_class_get(jx_req *req, void *ud)
{
	int64_t cid = jx_host->req_param_id(req, "cid");
	cJSON *data, *c;

	(void)ud;
	if (cid <= 0 || !feeds_class_reader(req, cid))
		return jxp_not_found(jx_host, req);
	if (jx_host->req_is_api(req))
		return feeds_list_api(req, FEEDS_LIST_SQL(FEEDS_WHERE_CLASS),
		                      cid);
	c = jx_host->db_rows(jx_host->req_db(req),
	                     "SELECT id, grade, name FROM classes WHERE id = ?",
	                     "i", cid);
	data = cJSON_CreateObject();
	cJSON_AddStringToObject(data, "feed", "class");
	cJSON_AddStringToObject(data, "title",
	                        jx_host->t(req, "feeds.class.short"));
	cJSON_AddStringToObject(data, "back", "/feeds/school");
	cJSON_AddNumberToObject(data, "class_id", (double)cid);
	if (c != NULL && cJSON_GetArraySize(c) == 1)
		cJSON_AddItemToObject(data, "class",
		                      cJSON_DetachItemFromArray(c, 0));
	cJSON_Delete(c);
	cJSON_AddItemToObject(data, "classes", feeds_reader_classes(req));
	return feeds_page_reply(req, FEEDS_SCOPE_CLASS,
	                        FEEDS_PAGE_SQL(FEEDS_WHERE_CLASS), cid, data);
}
