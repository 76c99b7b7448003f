/*
 * plugin.c — loads the configured plugins: dlopen with RTLD_NOW (an
 * undefined symbol fails here, not later), the ABI check, the route
 * tables checked before any init (the host's own first), dependency
 * order, migrations, init with a registrar whose registrations take
 * effect only when init succeeds, and the service registry. A plugin
 * that cannot load is "failed", one whose dependency is missing or not
 * active is "disabled"; either way the host goes on without it.
 *
 * Plugins are looked for in plugin_dir (the shipped ones), then in each
 * directory of plugin_path (outside the tree): <dir>/jx_<name>.so or
 * <dir>/<name>/jx_<name>.so. A plugin's own templates/ folder beside its
 * .so is searched after the top-level templates/ (render.c).
 */
#include "host.h"
#include "luaenv.h"
#include "org.h"

#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct reg_impl {
	struct jx_registrar pub;
	int plugin;
	struct cli_hook *hooks;
	int nhooks;
	struct menu_entry *menu;
	int nmenu;
	struct home_entry *home;
	int nhome;
	struct subscription *subs;
	int nsubs;
	struct job_kind *kinds;
	int nkinds;
	struct service_entry *services;
	int nservices;
	struct channel_entry *channels;
	int nchannels;
	jx_file_visible_fn file_visible; /* committed into struct plugin */
	void *file_visible_ud;
};

#define GROW(arr, n)                                                           \
	((arr) = realloc((arr), (size_t)((n) + 1) * sizeof(*(arr))),           \
	 (arr) == NULL ? -1 : 0)

static int
reg_menu(struct jx_registrar *r, const char *roles, const char *label_key,
         const char *href, int order)
{
	struct reg_impl *ri = (struct reg_impl *)r;

	if (roles == NULL || label_key == NULL || href == NULL ||
	    GROW(ri->menu, ri->nmenu) != 0)
		return -1;
	ri->menu[ri->nmenu++] = (struct menu_entry){
	    .roles = strdup(roles),
	    .label_key = strdup(label_key),
	    .href = strdup(href),
	    .order = order,
	    .plugin = ri->plugin,
	};
	return 0;
}

/* A tab of the bottom tab bar is a menu entry with an icon. */
static int
reg_menu_tab(struct jx_registrar *r, const char *roles, const char *label_key,
             const char *href, int order, const char *icon)
{
	struct reg_impl *ri = (struct reg_impl *)r;

	if (icon == NULL || *icon == '\0' ||
	    reg_menu(r, roles, label_key, href, order) != 0)
		return -1;
	ri->menu[ri->nmenu - 1].icon = strdup(icon);
	return 0;
}

static int
reg_home_item(struct jx_registrar *r, const struct jx_home_item *item)
{
	struct reg_impl *ri = (struct reg_impl *)r;
	struct jx_home_item it = {0};

	if (item == NULL ||
	    item->size < offsetof(struct jx_home_item, ud) + sizeof(item->ud))
		return -1;
	memcpy(&it, item, item->size < sizeof(it) ? item->size : sizeof(it));
	/* a function; a count-only item needs its title and its link */
	if (it.roles == NULL || (it.count == NULL && it.rows == NULL) ||
	    (it.rows == NULL && (it.label_key == NULL || it.href == NULL)) ||
	    (it.href != NULL && it.href[0] != '/') ||
	    GROW(ri->home, ri->nhome) != 0)
		return -1;
	ri->home[ri->nhome++] = (struct home_entry){
	    .roles = strdup(it.roles),
	    .label_key = it.label_key ? strdup(it.label_key) : NULL,
	    .href = it.href ? strdup(it.href) : NULL,
	    .order = it.order,
	    .flags = it.flags,
	    .count = it.count,
	    .rows = it.rows,
	    .ud = it.ud,
	    .plugin = ri->plugin,
	};
	return 0;
}

static void
home_entry_free(struct home_entry *h)
{
	free(h->roles);
	free(h->label_key);
	free(h->href);
}

static int
reg_subscribe(struct jx_registrar *r, const char *event, jx_event_fn fn,
              void *ud)
{
	struct reg_impl *ri = (struct reg_impl *)r;

	if (event == NULL || fn == NULL || GROW(ri->subs, ri->nsubs) != 0)
		return -1;
	ri->subs[ri->nsubs++] = (struct subscription){
	    .event = strdup(event),
	    .fn = fn,
	    .ud = ud,
	    .plugin = ri->plugin,
	};
	return 0;
}

static int
reg_job_kind(struct jx_registrar *r, const char *kind, jx_job_fn fn, void *ud)
{
	struct reg_impl *ri = (struct reg_impl *)r;

	if (kind == NULL || fn == NULL || GROW(ri->kinds, ri->nkinds) != 0)
		return -1;
	ri->kinds[ri->nkinds++] = (struct job_kind){
	    .kind = strdup(kind),
	    .fn = fn,
	    .ud = ud,
	    .plugin = ri->plugin,
	};
	return 0;
}

static int
reg_service(struct jx_registrar *r, const char *name, const void *table)
{
	struct reg_impl *ri = (struct reg_impl *)r;

	if (name == NULL || table == NULL ||
	    GROW(ri->services, ri->nservices) != 0)
		return -1;
	ri->services[ri->nservices++] = (struct service_entry){
	    .name = strdup(name),
	    .table = table,
	    .plugin = ri->plugin,
	};
	return 0;
}

static int
reg_channel(struct jx_registrar *r, const char *name, jx_channel_fn fn,
            void *ud)
{
	struct reg_impl *ri = (struct reg_impl *)r;

	if (name == NULL || fn == NULL ||
	    GROW(ri->channels, ri->nchannels) != 0)
		return -1;
	ri->channels[ri->nchannels++] = (struct channel_entry){
	    .name = strdup(name),
	    .fn = fn,
	    .ud = ud,
	    .plugin = ri->plugin,
	};
	return 0;
}

static int
reg_cli_command(struct jx_registrar *r, const char *name, jx_cli_fn fn,
                void *ud)
{
	struct reg_impl *ri = (struct reg_impl *)r;

	if (name == NULL || fn == NULL || GROW(ri->hooks, ri->nhooks) != 0)
		return -1;
	for (int i = 0; i < app.ncli_hooks; i++)
		if (strcmp(app.cli_hooks[i].name, name) == 0)
			return -1;
	ri->hooks[ri->nhooks++] = (struct cli_hook){
	    .name = strdup(name),
	    .fn = fn,
	    .ud = ud,
	    .plugin = ri->plugin,
	};
	return 0;
}

static int
reg_file_visible(struct jx_registrar *r, jx_file_visible_fn fn, void *ud)
{
	struct reg_impl *ri = (struct reg_impl *)r;

	if (fn == NULL || ri->file_visible != NULL)
		return -1;
	ri->file_visible = fn;
	ri->file_visible_ud = ud;
	return 0;
}

static void
reg_discard(struct reg_impl *ri)
{
	for (int i = 0; i < ri->nmenu; i++) {
		free(ri->menu[i].roles);
		free(ri->menu[i].label_key);
		free(ri->menu[i].href);
		free(ri->menu[i].icon);
	}
	for (int i = 0; i < ri->nhome; i++)
		home_entry_free(&ri->home[i]);
	free(ri->home);
	for (int i = 0; i < ri->nsubs; i++)
		free(ri->subs[i].event);
	for (int i = 0; i < ri->nkinds; i++)
		free(ri->kinds[i].kind);
	for (int i = 0; i < ri->nservices; i++)
		free(ri->services[i].name);
	for (int i = 0; i < ri->nchannels; i++)
		free(ri->channels[i].name);
	for (int i = 0; i < ri->nhooks; i++)
		free(ri->hooks[i].name);
	free(ri->hooks);
	free(ri->channels);
	free(ri->menu);
	free(ri->subs);
	free(ri->kinds);
	free(ri->services);
}

/* Routes one table entry; a JX_ROUTE_BOTH entry twice (page and API). */
static int
plugin_route_add(const struct jx_route *r, int plugin)
{
	struct route rt = {
	    .method = r->method,
	    .pattern = r->pattern,
	    .handler = r->handler,
	    .ud = r->ud,
	    .flags = r->flags & ~(unsigned)JX_ROUTE_BOTH,
	    .plugin = plugin,
	};
	char api[1024];

	if (!(r->flags & JX_ROUTE_BOTH))
		return router_add(app.router, &rt);
	rt.flags |= JX_ROUTE_PAGE;
	if (router_add(app.router, &rt) != 0)
		return -1;
	snprintf(api, sizeof(api), "/api/v1%s", r->pattern);
	rt.pattern = api;
	rt.flags &= ~(unsigned)JX_ROUTE_PAGE;
	return router_add(app.router, &rt);
}

/* Moves the registrations into the application; -1 (with reason) when a
 * route or service name is already taken. */
static int
reg_commit(struct reg_impl *ri, struct plugin *p)
{
	for (int i = 0; i < ri->nservices; i++)
		for (int j = 0; j < app.nservices; j++)
			if (strcmp(app.services[j].name,
			           ri->services[i].name) == 0) {
				snprintf(p->reason, sizeof(p->reason),
				         "service %s is already registered",
				         ri->services[i].name);
				return -1;
			}
	/* Checked before any init (plugin_routes_plan): a failure here is
	 * memory. */
	for (const struct jx_route *r = p->desc->routes; r && r->method; r++)
		if (plugin_route_add(r, ri->plugin) != 0) {
			snprintf(p->reason, sizeof(p->reason),
			         "route %s %s could not be added", r->method,
			         r->pattern);
			return -1;
		}
#define MOVE(dst, ndst, src, nsrc)                                             \
	do {                                                                   \
		for (int i_ = 0; i_ < (nsrc); i_++) {                          \
			if (GROW(dst, ndst) != 0)                              \
				return -1;                                     \
			(dst)[(ndst)++] = (src)[i_];                           \
		}                                                              \
		(nsrc) = 0;                                                    \
	} while (0)
	MOVE(app.menu, app.nmenu, ri->menu, ri->nmenu);
	MOVE(app.home, app.nhome, ri->home, ri->nhome);
	MOVE(app.subs, app.nsubs, ri->subs, ri->nsubs);
	MOVE(app.job_kinds, app.njob_kinds, ri->kinds, ri->nkinds);
	MOVE(app.services, app.nservices, ri->services, ri->nservices);
	MOVE(app.channels, app.nchannels, ri->channels, ri->nchannels);
	MOVE(app.cli_hooks, app.ncli_hooks, ri->hooks, ri->nhooks);
#undef MOVE
	p->file_visible = ri->file_visible;
	p->file_visible_ud = ri->file_visible_ud;
	return 0;
}

static int
plugin_name_ok(const char *name)
{
	if (*name == '\0' || strlen(name) > 32)
		return 0;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '_'))
			return 0;
	return 1;
}

static int
plugin_find(const char *name)
{
	for (int i = 0; i < app.nplugins; i++)
		if (strcmp(app.plugins[i].name, name) == 0)
			return i;
	return -1;
}

static void plugin_fail(struct plugin *p, enum plugin_state s, const char *fmt,
                        ...) __attribute__((format(printf, 3, 4)));

static void
plugin_fail(struct plugin *p, enum plugin_state s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->reason, sizeof(p->reason), fmt, ap);
	va_end(ap);
	p->state = s;
	jx_log(JX_LOG_ERROR, p->name, "plugin %s: %s", plugin_state_name(s),
	       p->reason);
}

static void
plugin_open(struct plugin *p)
{
	char path[4096];
	jx_plugin_entry_fn entry;
	const struct jx_plugin *d;

	snprintf(path, sizeof(path), "%s", p->path);
	p->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (p->dl == NULL) {
		plugin_fail(p, PLUGIN_FAILED, "cannot load: %s", dlerror());
		return;
	}
	*(void **)&entry = dlsym(p->dl, "jx_plugin_entry");
	if (entry == NULL) {
		plugin_fail(p, PLUGIN_FAILED,
		            "missing symbol jx_plugin_entry in %s", path);
		return;
	}
	d = entry();
	if (d == NULL) {
		plugin_fail(p, PLUGIN_FAILED, "jx_plugin_entry returned NULL");
		return;
	}
	/* size first: a 1.x descriptor (no size) reads its two ints as a
	 * size of 1 or far too large, never as a 2.x table */
	if (d->size < offsetof(struct jx_plugin, abi_minor) + sizeof(int) ||
	    d->size > 4096) {
		plugin_fail(
		    p, PLUGIN_FAILED,
		    "not an ABI %d descriptor (no size first: built for "
		    "ABI 1?); this host has ABI %d.%d",
		    JX_ABI_MAJOR, JX_ABI_MAJOR, JX_ABI_MINOR);
		return;
	}
	if (d->abi_major != JX_ABI_MAJOR) {
		plugin_fail(p, PLUGIN_FAILED,
		            "ABI %d is not supported by this host (ABI %d.%d)",
		            d->abi_major, JX_ABI_MAJOR, JX_ABI_MINOR);
		return;
	}
	/* the version shows in `jiaxiao plugins` even when refused */
	if (d->size >=
	        offsetof(struct jx_plugin, version) + sizeof(d->version) &&
	    d->version != NULL) {
		free(p->version);
		p->version = strdup(d->version);
	}
	if (d->abi_minor > JX_ABI_MINOR) {
		plugin_fail(p, PLUGIN_FAILED,
		            "needs ABI %d.%d, this host has ABI %d.%d",
		            d->abi_major, d->abi_minor, JX_ABI_MAJOR,
		            JX_ABI_MINOR);
		return;
	}
	if (d->name == NULL || strcmp(d->name, p->name) != 0) {
		plugin_fail(p, PLUGIN_FAILED,
		            "descriptor names itself '%s', expected '%s'",
		            d->name ? d->name : "(null)", p->name);
		return;
	}
	/* Fields past the plugin's size read as 0 (NULL). */
	memcpy(&p->copy, d,
	       d->size < sizeof(p->copy) ? d->size : sizeof(p->copy));
	p->desc = &p->copy;
	free(p->version);
	p->version = strdup(d->version ? d->version : "0");
}

/* Compares dotted versions numerically. */
static int
plugin_vercmp(const char *a, const char *b)
{
	while (*a || *b) {
		long x = strtol(a, (char **)&a, 10);
		long y = strtol(b, (char **)&b, 10);

		if (x != y)
			return x < y ? -1 : 1;
		if (*a == '.')
			a++;
		if (*b == '.')
			b++;
		if ((*a && (*a < '0' || *a > '9')) ||
		    (*b && (*b < '0' || *b > '9')))
			break;
	}
	return 0;
}

/* Checks p's dependencies against the current states; 0 when all are
 * active (or, for the dry check, loadable). */
/* The plugin named by a dependency ("name" or "name>=1.2"): its index,
 * or -1; the name goes to name (size bytes). */
static int
plugin_dep_find(const char *dep, char *name, size_t size)
{
	const char *ge;

	if (*dep == '?') /* optional: only an order */
		dep++;
	ge = strstr(dep, ">=");
	size_t n = ge ? (size_t)(ge - dep) : strlen(dep);

	if (n >= size)
		n = size - 1;
	memcpy(name, dep, n);
	name[n] = '\0';
	return plugin_find(name);
}

static int
plugin_check_deps(struct plugin *p)
{
	const char *const *dep = p->desc->depends;

	for (; dep != NULL && *dep != NULL; dep++) {
		char name[64];
		const char *ge = strstr(*dep, ">=");
		int k = plugin_dep_find(*dep, name, sizeof(name));

		/* "?name": initialise after name when it is there and
		 * active; its absence or failure is no fault of p's */
		if (**dep == '?' &&
		    (k < 0 || app.plugins[k].state != PLUGIN_ACTIVE))
			continue;
		if (k < 0) {
			plugin_fail(p, PLUGIN_DISABLED,
			            "depends on %s, which is not loaded", name);
			return -1;
		}
		if (app.plugins[k].state != PLUGIN_ACTIVE) {
			plugin_fail(p, PLUGIN_DISABLED,
			            "depends on %s, which is %s", name,
			            plugin_state_name(app.plugins[k].state));
			return -1;
		}
		if (ge != NULL &&
		    plugin_vercmp(app.plugins[k].version, ge + 2) < 0) {
			plugin_fail(p, PLUGIN_DISABLED,
			            "depends on %s %s, found %s", name, ge,
			            app.plugins[k].version);
			return -1;
		}
	}
	return 0;
}

/* Depth-first order so that dependencies come first; a cycle disables
 * the plugins on it. */
static void
plugin_visit(int i, int *mark, int *order, int *n)
{
	const char *const *dep;

	if (mark[i] == 2)
		return;
	if (mark[i] == 1) {
		if (app.plugins[i].state == PLUGIN_ACTIVE)
			plugin_fail(&app.plugins[i], PLUGIN_DISABLED,
			            "dependency cycle");
		return;
	}
	mark[i] = 1;
	dep = app.plugins[i].desc ? app.plugins[i].desc->depends : NULL;
	for (; dep != NULL && *dep != NULL; dep++) {
		char name[64];
		int j = plugin_dep_find(*dep, name, sizeof(name));

		if (j >= 0)
			plugin_visit(j, mark, order, n);
	}
	mark[i] = 2;
	order[(*n)++] = i;
}

static int
plugin_menu_cmp(const void *a, const void *b)
{
	const struct menu_entry *x = a, *y = b;

	return x->order != y->order ? (x->order < y->order ? -1 : 1)
	                            : strcmp(x->href, y->href);
}

static int
plugin_home_cmp(const void *a, const void *b)
{
	const struct home_entry *x = a, *y = b;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return x->plugin != y->plugin ? (x->plugin < y->plugin ? -1 : 1) : 0;
}

/* ---- where plugins are found ------------------------------------------ */

/* One jx_<name>.so found. */
struct plugin_found {
	char *name;
	char *path;  /* absolute; resolved when the file exists */
	int shipped; /* from plugin_dir */
	int seq;     /* the order it was found in: earlier wins */
};

static int
plugin_found_cmp(const void *a, const void *b)
{
	const struct plugin_found *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

static void
plugin_found_free(struct plugin_found *found, int n)
{
	for (int i = 0; i < n; i++) {
		free(found[i].name);
		free(found[i].path);
	}
	free(found);
}

static void
plugin_found_push(struct plugin_found **found, int *n, const char *name,
                  const char *path, int shipped)
{
	char *nm, *pt;

	if (GROW(*found, *n) != 0)
		return;
	nm = strdup(name);
	pt = strdup(path);
	if (nm == NULL || pt == NULL) {
		free(nm);
		free(pt);
		return;
	}
	(*found)[*n] = (struct plugin_found){
	    .name = nm, .path = pt, .shipped = shipped, .seq = *n};
	(*n)++;
}

/* Appends dir (relative to the working directory unless absolute). */
static void
plugin_dirs_add(char ***dirs, int *n, const char *dir)
{
	char buf[2 * PATH_MAX];

	if (dir == NULL || *dir == '\0' || GROW(*dirs, *n) != 0)
		return;
	if (dir[0] != '/' && app.root != NULL)
		snprintf(buf, sizeof(buf), "%s/%s", app.root, dir);
	else
		snprintf(buf, sizeof(buf), "%s", dir);
	if (((*dirs)[*n] = strdup(buf)) != NULL)
		(*n)++;
}

/* plugin_dir (the shipped plugins, first), then plugin_path: one
 * directory (a string) or several (an array of strings). */
static char **
plugin_search_dirs(int *count)
{
	const cJSON *path = config_get(&app.cfg, "plugin_path"), *e;
	char **dirs = NULL;
	int n = 0;

	plugin_dirs_add(&dirs, &n, app.plugin_dir);
	if (cJSON_IsString(path))
		plugin_dirs_add(&dirs, &n, path->valuestring);
	if (cJSON_IsArray(path))
		cJSON_ArrayForEach(e, path)
		{
			if (cJSON_IsString(e))
				plugin_dirs_add(&dirs, &n, e->valuestring);
		}
	*count = n;
	return dirs;
}

/* Records path for name when it is a regular file not already found
 * (plugin_path may repeat plugin_dir). */
static void
plugin_found_add(struct plugin_found **found, int *n, const char *name,
                 const char *path, int shipped)
{
	char real[PATH_MAX];
	struct stat st;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
	    realpath(path, real) == NULL)
		return;
	for (int i = 0; i < *n; i++)
		if (strcmp((*found)[i].path, real) == 0)
			return;
	plugin_found_push(found, n, name, real, shipped);
}

/* Looks for name in dir: dir/jx_<name>.so, then dir/<name>/jx_<name>.so
 * (a folder per plugin, with its templates beside). */
static void
plugin_look(const char *dir, const char *name, int shipped,
            struct plugin_found **found, int *n)
{
	char path[2 * PATH_MAX];

	if (!plugin_name_ok(name))
		return;
	snprintf(path, sizeof(path), "%s/jx_%s.so", dir, name);
	plugin_found_add(found, n, name, path, shipped);
	snprintf(path, sizeof(path), "%s/%s/jx_%s.so", dir, name, name);
	plugin_found_add(found, n, name, path, shipped);
}

/* Every plugin in dir, in either layout. */
static void
plugin_scan(const char *dir, int shipped, struct plugin_found **found, int *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[2 * PATH_MAX], name[64];

	while (d != NULL && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (len >= 7 && len - 6 < sizeof(name) &&
		    strncmp(e->d_name, "jx_", 3) == 0 &&
		    strcmp(e->d_name + len - 3, ".so") == 0) {
			/* an invalid name still shows, as failed */
			memcpy(name, e->d_name + 3, len - 6);
			name[len - 6] = '\0';
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			plugin_found_add(found, n, name, path, shipped);
		} else if (plugin_name_ok(e->d_name)) {
			snprintf(path, sizeof(path), "%s/%s/jx_%s.so", dir,
			         e->d_name, e->d_name);
			plugin_found_add(found, n, e->d_name, path, shipped);
		}
	}
	if (d != NULL)
		closedir(d);
}

/* A configured name found nowhere: looked for in plugin_dir, so that it
 * fails saying so (unless it is listed twice). */
static void
plugin_missing_add(struct plugin_found **found, int *n, const char *name)
{
	char path[2 * PATH_MAX];

	for (int i = 0; i < *n; i++)
		if (strcmp((*found)[i].name, name) == 0)
			return;
	snprintf(path, sizeof(path), "%s/jx_%s.so", app.plugin_dir, name);
	plugin_found_push(found, n, name, path, 1);
}

/* The configured names in their order, or every plugin of the search
 * directories by name; a name found in several places once per place,
 * the first place first. */
static struct plugin_found *
plugin_names(int *count)
{
	const cJSON *list = config_get(&app.cfg, "plugins"), *e;
	struct plugin_found *found = NULL;
	char **dirs;
	int ndirs, n = 0;

	dirs = plugin_search_dirs(&ndirs);
	if (cJSON_IsArray(list)) {
		cJSON_ArrayForEach(e, list)
		{
			int before = n;

			if (!cJSON_IsString(e))
				continue;
			for (int i = 0; i < ndirs; i++)
				plugin_look(dirs[i], e->valuestring, i == 0,
				            &found, &n);
			if (n == before)
				plugin_missing_add(&found, &n, e->valuestring);
		}
	} else {
		for (int i = 0; i < ndirs; i++)
			plugin_scan(dirs[i], i == 0, &found, &n);
		if (n > 1)
			qsort(found, (size_t)n, sizeof(*found),
			      plugin_found_cmp);
	}
	for (int i = 0; i < ndirs; i++)
		free(dirs[i]);
	free(dirs);
	*count = n;
	return found;
}

/* A name found twice: the first place wins (plugin_dir before
 * plugin_path, then plugin_path's order); p fails, naming both. */
static void
plugin_fail_duplicate(struct plugin *p, const struct plugin *first)
{
	plugin_fail(p, PLUGIN_FAILED,
	            "%s is not loaded: a plugin of this name is loaded from "
	            "%s%s",
	            p->path, first->path, first->shipped ? " (shipped)" : "");
}

/* Fills app.plugin_templates: <folder of the .so>/templates of each
 * active plugin that has one. */
static void
plugin_templates_collect(void)
{
	for (int i = 0; i < app.nplugins; i++) {
		const struct plugin *p = &app.plugins[i];
		const char *slash = strrchr(p->path, '/');
		char dir[PATH_MAX + 16];
		struct luaenv_plugin_templates *t;
		struct stat st;

		if (p->state != PLUGIN_ACTIVE || slash == NULL)
			continue;
		snprintf(dir, sizeof(dir), "%.*s/templates",
		         (int)(slash - p->path), p->path);
		if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		t = realloc(app.plugin_templates,
		            (app.nplugin_templates + 1) * sizeof(*t));
		if (t == NULL)
			return;
		app.plugin_templates = t;
		t += app.nplugin_templates;
		t->name = strdup(p->name);
		t->dir = strdup(dir);
		if (t->name == NULL || t->dir == NULL) {
			free((char *)t->name);
			free((char *)t->dir);
			return;
		}
		app.nplugin_templates++;
	}
}

static void
plugin_templates_free(void)
{
	for (size_t i = 0; i < app.nplugin_templates; i++) {
		free((char *)app.plugin_templates[i].name);
		free((char *)app.plugin_templates[i].dir);
	}
	free(app.plugin_templates);
	app.plugin_templates = NULL;
	app.nplugin_templates = 0;
}

static int
plugin_method_ok(const char *m)
{
	static const char *const known[] = {"GET",   "POST",   "PUT",
	                                    "PATCH", "DELETE", NULL};

	for (int i = 0; known[i]; i++)
		if (strcmp(m, known[i]) == 0)
			return 1;
	return 0;
}

int
plugin_routes_check(const struct jx_route *routes, char *err, size_t errlen)
{
	char why[80];

	for (const struct jx_route *r = routes; r && r->method; r++) {
		if (!plugin_method_ok(r->method)) {
			snprintf(err, errlen, "route %s %s: unknown method",
			         r->method, r->pattern ? r->pattern : "(null)");
			return -1;
		}
		if (r->handler == NULL) {
			snprintf(err, errlen, "route %s %s: no handler",
			         r->method, r->pattern ? r->pattern : "(null)");
			return -1;
		}
		if (!router_pattern_ok(r->pattern, why, sizeof(why))) {
			snprintf(err, errlen, "route %s %s: bad pattern (%s)",
			         r->method, r->pattern ? r->pattern : "(null)",
			         why);
			return -1;
		}
		if ((r->flags & JX_ROUTE_BOTH) &&
		    (strncmp(r->pattern, "/api/", 5) == 0 ||
		     strlen(r->pattern) > 900)) {
			snprintf(err, errlen,
			         "route %s %s: a JX_ROUTE_BOTH pattern is the "
			         "page's (the API's is /api/v1 + it)",
			         r->method, r->pattern);
			return -1;
		}
	}
	return 0;
}

/* One method and pattern a module asks for, in the order checked. */
struct plan_entry {
	const char *method;
	char *pattern; /* as routed (a BOTH route's API face expanded) */
	char *key;     /* router_pattern_key(pattern) */
	int plugin;    /* -1: the host */
	int dropped;   /* its plugin lost a clash */
};

static int
plan_add(struct plan_entry **plan, int *n, const char *method,
         const char *pattern, int plugin)
{
	if (GROW(*plan, *n) != 0)
		return -1;
	(*plan)[(*n)++] = (struct plan_entry){
	    .method = method,
	    .pattern = strdup(pattern),
	    .key = router_pattern_key(pattern),
	    .plugin = plugin,
	};
	return 0;
}

/* A plugin that is shipped, or that a shipped plugin needs (directly or
 * not): it wins a clash with one that is neither. */
static void
plugin_protect(int i, int *prot)
{
	const char *const *dep;

	if (prot[i])
		return;
	prot[i] = 1;
	dep = app.plugins[i].desc ? app.plugins[i].desc->depends : NULL;
	for (; dep != NULL && *dep != NULL; dep++) {
		char name[64];
		int j = plugin_dep_find(*dep, name, sizeof(name));

		if (j >= 0)
			plugin_protect(j, prot);
	}
}

/* Fails the plugin of lost, which clashed with won, saying why won won. */
static void
plan_clash(const struct plan_entry *lost, const struct plan_entry *won,
           const int *prot)
{
	struct plugin *p = &app.plugins[lost->plugin];
	const char *why = won->plugin < 0 ? "the host's own"
	                  : prot[won->plugin] && !prot[lost->plugin]
	                      ? (app.plugins[won->plugin].shipped
	                             ? "shipped"
	                             : "needed by a shipped plugin")
	                      : "loaded first";

	plugin_fail(p, PLUGIN_FAILED,
	            "route %s %s of plugin %s clashes with %s %s of %s %s, "
	            "which wins (%s)",
	            lost->method, lost->pattern, p->name, won->method,
	            won->pattern, won->plugin < 0 ? "the" : "plugin",
	            won->plugin < 0 ? "host" : app.plugins[won->plugin].name,
	            why);
}

/* Checks every route table before any init: the host's tables, then each
 * plugin's in load order. A malformed table fails its plugin. Two routes
 * with the same method and pattern (parameter names aside) clash: the
 * host always wins; a shipped plugin (or one a shipped plugin needs) wins
 * over one that is not; else the one loaded first. The loser fails alone,
 * its reason naming both plugins and the pattern. Then routes the host's
 * tables. 0, or -1 when the host's own tables are wrong. */
static int
plugin_routes_plan(void)
{
	struct plan_entry *plan = NULL;
	int n = 0, rc = 0, *prot;
	char err[256];

	prot = calloc((size_t)app.nplugins + 1, sizeof(int));
	if (prot == NULL)
		return -1;
	for (int i = 0; i < app.nplugins; i++)
		if (app.plugins[i].shipped && app.plugins[i].desc)
			plugin_protect(i, prot);
	for (int t = 0; host_route_tables[t] != NULL; t++)
		if (plugin_routes_check(host_route_tables[t], err,
		                        sizeof(err)) != 0) {
			jx_log(JX_LOG_ERROR, "host", "%s", err);
			rc = -1;
			goto done;
		}
	for (int i = -1; i < app.nplugins; i++) {
		struct plugin *p = i < 0 ? NULL : &app.plugins[i];
		int from = n;

		if (p != NULL && (p->state != PLUGIN_ACTIVE || p->desc == NULL))
			continue;
		if (p != NULL && plugin_routes_check(p->desc->routes, err,
		                                     sizeof(err)) != 0) {
			plugin_fail(p, PLUGIN_FAILED, "%s", err);
			continue;
		}
		/* this module's routes, a BOTH route as its two faces */
		for (int t = 0;
		     p != NULL ? t < 1 : host_route_tables[t] != NULL; t++) {
			const struct jx_route *r =
			    p != NULL ? p->desc->routes : host_route_tables[t];

			for (; r != NULL && r->method != NULL; r++) {
				char api[1024];

				if (plan_add(&plan, &n, r->method, r->pattern,
				             i) != 0)
					goto oom;
				if (!(r->flags & JX_ROUTE_BOTH))
					continue;
				snprintf(api, sizeof(api), "/api/v1%s",
				         r->pattern);
				if (plan_add(&plan, &n, r->method, api, i) != 0)
					goto oom;
			}
		}
		for (int k = from; k < n; k++)
			for (int j = 0; j < k; j++) {
				struct plan_entry *a = &plan[j], *b = &plan[k];
				int loser;

				if (a->dropped || b->dropped ||
				    strcmp(a->method, b->method) != 0 ||
				    strcmp(a->key, b->key) != 0)
					continue;
				if (a->plugin == b->plugin) {
					snprintf(
					    err, sizeof(err),
					    "route %s %s is declared twice "
					    "(also as %s)",
					    b->method, b->pattern, a->pattern);
					if (i < 0) {
						jx_log(JX_LOG_ERROR, "host",
						       "%s", err);
						rc = -1;
						goto done;
					}
					plugin_fail(p, PLUGIN_FAILED, "%s",
					            err);
					loser = i;
				} else {
					/* a is earlier: it loses only to a
					 * protected plugin when it is not */
					loser = a->plugin >= 0 &&
					                !prot[a->plugin] &&
					                prot[i]
					            ? a->plugin
					            : i;
					plan_clash(loser == i ? b : a,
					           loser == i ? a : b, prot);
				}
				for (int q = 0; q < n; q++)
					if (plan[q].plugin == loser)
						plan[q].dropped = 1;
			}
	}
	/* The host's own routes now: they answer whatever plugins do. */
	for (int t = 0; host_route_tables[t] != NULL; t++)
		for (const struct jx_route *r = host_route_tables[t];
		     r->method != NULL; r++)
			if (plugin_route_add(r, -1) != 0) {
				jx_log(JX_LOG_ERROR, "host",
				       "cannot route %s %s", r->method,
				       r->pattern);
				rc = -1;
				goto done;
			}
	goto done;
oom:
	rc = -1;
done:
	for (int k = 0; k < n; k++) {
		free(plan[k].pattern);
		free(plan[k].key);
	}
	free(plan);
	free(prot);
	return rc;
}

static void
plugin_init_one(jx_db *db, int i)
{
	struct plugin *p = &app.plugins[i];
	struct reg_impl ri;
	char err[512];
	struct thread *t;
	int rc, prev;

	if (p->state != PLUGIN_ACTIVE || plugin_check_deps(p) != 0)
		return;
	if (migrate_apply(db, p->name, p->desc->migrations, err, sizeof(err)) !=
	    0) {
		plugin_fail(p, PLUGIN_FAILED, "%s", err);
		return;
	}
	memset(&ri, 0, sizeof(ri));
	ri.pub = (struct jx_registrar){
	    .size = sizeof(struct jx_registrar),
	    .menu = reg_menu,
	    .subscribe = reg_subscribe,
	    .job_kind = reg_job_kind,
	    .service = reg_service,
	    .channel = reg_channel,
	    .cli_command = reg_cli_command,
	    .file_visible = reg_file_visible,
	    .home_item = reg_home_item,
	    .menu_tab = reg_menu_tab,
	};
	ri.plugin = i;
	/* init may use the database (thread_db): the loader's connection,
	 * lent to this thread's set while init runs */
	t = thread_begin(db, 0);
	prev = plugin_enter();
	rc = p->desc->init ? p->desc->init(&jx_host_table, &ri.pub) : 0;
	plugin_leave(prev);
	thread_end(t);
	if (rc != 0) {
		reg_discard(&ri);
		plugin_fail(p, PLUGIN_FAILED, "init failed (returned %d)", rc);
		return;
	}
	if (reg_commit(&ri, p) != 0) {
		/* reg_commit wrote the reason: log it as it is (formatting
		 * p->reason into itself emptied it) */
		reg_discard(&ri);
		p->state = PLUGIN_FAILED;
		jx_log(JX_LOG_ERROR, p->name, "plugin failed: %s", p->reason);
		if (p->desc->shutdown)
			p->desc->shutdown();
		return;
	}
	reg_discard(&ri);
	jx_log(JX_LOG_INFO, p->name, "plugin %s %s active", p->name,
	       p->version);
}

int
plugins_load(jx_db *db)
{
	struct plugin_found *found;
	int n, norder = 0, *mark, *order, rc = 0;

	found = plugin_names(&n);
	app.plugins = calloc((size_t)n + 1, sizeof(*app.plugins));
	if (app.plugins == NULL) {
		plugin_found_free(found, n);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		struct plugin *p = &app.plugins[app.nplugins++];
		int first;

		p->name = found[i].name;
		p->path = found[i].path;
		p->shipped = found[i].shipped;
		p->version = strdup("");
		p->state = PLUGIN_ACTIVE;
		found[i].name = found[i].path = NULL;
		first = plugin_find(p->name);
		if (first >= 0 && first < app.nplugins - 1) {
			plugin_fail_duplicate(p, &app.plugins[first]);
			continue;
		}
		if (!plugin_name_ok(p->name)) {
			plugin_fail(p, PLUGIN_FAILED,
			            "invalid plugin name (use a-z, 0-9, _)");
			continue;
		}
		plugin_open(p);
	}
	plugin_found_free(found, n);
	/* Every route table, before any init. */
	if (plugin_routes_plan() != 0)
		rc = -1;
	mark = calloc((size_t)app.nplugins + 1, sizeof(int));
	order = calloc((size_t)app.nplugins + 1, sizeof(int));
	if (mark == NULL || order == NULL) {
		free(mark);
		free(order);
		return -1;
	}
	for (int i = 0; i < app.nplugins; i++)
		plugin_visit(i, mark, order, &norder);
	for (int k = 0; k < norder; k++)
		plugin_init_one(db, order[k]);
	free(mark);
	free(order);
	/* The menu in its declared order, whoever registered first. */
	if (app.nmenu > 1)
		qsort(app.menu, (size_t)app.nmenu, sizeof(*app.menu),
		      plugin_menu_cmp);
	if (app.nhome > 1)
		qsort(app.home, (size_t)app.nhome, sizeof(*app.home),
		      plugin_home_cmp);
	plugin_templates_collect();
	return rc;
}

const struct cli_hook *
plugin_cli_hook(const char *name)
{
	for (int i = 0; i < app.ncli_hooks; i++)
		if (strcmp(app.cli_hooks[i].name, name) == 0)
			return &app.cli_hooks[i];
	return NULL;
}

void
plugins_shutdown(void)
{
	int prev = plugin_enter();

	for (int i = app.nplugins - 1; i >= 0; i--) {
		struct plugin *p = &app.plugins[i];

		if (p->state == PLUGIN_ACTIVE && p->desc && p->desc->shutdown)
			p->desc->shutdown();
	}
	plugin_leave(prev);
	for (int i = 0; i < app.nmenu; i++) {
		free(app.menu[i].roles);
		free(app.menu[i].label_key);
		free(app.menu[i].href);
		free(app.menu[i].icon);
	}
	for (int i = 0; i < app.nhome; i++)
		home_entry_free(&app.home[i]);
	free(app.home);
	app.home = NULL;
	app.nhome = 0;
	for (int i = 0; i < app.nsubs; i++)
		free(app.subs[i].event);
	for (int i = 0; i < app.njob_kinds; i++)
		free(app.job_kinds[i].kind);
	for (int i = 0; i < app.nservices; i++)
		free(app.services[i].name);
	for (int i = 0; i < app.nchannels; i++)
		free(app.channels[i].name);
	for (int i = 0; i < app.ncli_hooks; i++)
		free(app.cli_hooks[i].name);
	free(app.cli_hooks);
	app.cli_hooks = NULL;
	app.ncli_hooks = 0;
	free(app.channels);
	app.channels = NULL;
	app.nchannels = 0;
	free(app.menu);
	free(app.subs);
	free(app.job_kinds);
	free(app.services);
	app.menu = NULL;
	app.subs = NULL;
	app.job_kinds = NULL;
	app.services = NULL;
	app.nmenu = app.nsubs = app.njob_kinds = app.nservices = 0;
	for (int i = 0; i < app.nplugins; i++) {
		/* Leave the objects mapped: the sanitizers symbolise leak
		 * reports only while the code is still loaded. */
		free(app.plugins[i].name);
		free(app.plugins[i].version);
		free(app.plugins[i].path);
	}
	plugin_templates_free();
	free(app.plugins);
	app.plugins = NULL;
	app.nplugins = 0;
}
