/*
 * jx/spaces.h — the feeds plugin's service "spaces.v1": how other plugins
 * add a section to the spaces (空间) feeds shows, without feeds reading
 * their tables or they reading feeds'. Growth records add the student's
 * approved records, resources the favourites, practice the registrations
 * and hours.
 *
 * A plugin that adds a section declares the optional dependency "?feeds"
 * (ABI 2.2) so that feeds is initialised first when it is there, and in
 * its init:
 *
 *   const struct jx_spaces_v1 *sp = h->service(JX_SPACES_SERVICE);
 *   if (sp != NULL)
 *           sp->section(&my_section);
 *
 * Append-only, like struct jx_host: test size before a later field.
 */
#ifndef JX_SPACES_H
#define JX_SPACES_H

#include <stddef.h>
#include <stdint.h>

#include <jx/plugin.h>

#define JX_SPACES_SERVICE "spaces.v1"

/* The kinds of space (API.md, "Feeds and spaces"); a section names the
 * kinds it appears in as a mask of JX_SPACE_BIT(kind). */
enum jx_space_kind {
	JX_SPACE_PERSON = 1, /* owner: a person id */
	JX_SPACE_CLASS,      /* owner: a class id */
	JX_SPACE_SCHOOL,     /* owner: a school id */
	JX_SPACE_LEARNING,   /* 学习空间; owner: a student's person id */
};
#define JX_SPACE_BIT(kind) (1u << (kind))

/*
 * One section of a space. The service copies the struct (strings and ud
 * must outlive the process).
 *
 * items: the section's items for the space of kind and owner as the
 * acting identity of req may see them (the function scopes its own
 * queries: jx_host->may, or SQL built from jx_host->identity), newest or
 * most useful first, at most limit: a JSON array (the caller owns it) of
 * objects {"title", "detail"?, "href"?, "time"?, "count"?}: title and
 * detail are text in the request's language, href a local path, time
 * ISO 8601 (jx_host->format_time), count a number shown as a badge.
 * *total, when not NULL, gets the number of items there are in all (the
 * space's counts), or -1 when unknown. NULL: the section is not shown
 * (nothing visible, not for this reader, or an error, logged). Runs on
 * the request's worker, inside the space's GET.
 */
struct jx_space_section {
	size_t size;           /* sizeof(struct jx_space_section) */
	const char *code;      /* unique: "records", "favourites" */
	const char *plugin;    /* the plugin adding it ("records"): the
	                          section is shown only while that plugin is
	                          enabled in the space's district */
	const char *title_key; /* i18n key of the section's heading */
	unsigned kinds;        /* JX_SPACE_BIT(JX_SPACE_LEARNING) | ... */
	const char *roles;     /* readers' roles that see it, as
	                          registrar->menu: "*" or "teacher,parent" */
	int order;             /* sorts the sections: 10, 20, ... */
	cJSON *(*items)(jx_req *req, int kind, int64_t owner, int limit,
	                int64_t *total, void *ud);
	void *ud;
};

struct jx_spaces_v1 {
	size_t size; /* sizeof(struct jx_spaces_v1) of the plugin */
	/* Adds a section (copied). Call during init only. 0, or -1 (bad
	 * section: no code, title or items; code taken). */
	int (*section)(const struct jx_space_section *s);
};

#endif
