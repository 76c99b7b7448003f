/*
 * plugin.c — loads the configured plugins: dlopen with RTLD_NOW (an
 * undefined symbol fails here, not later), the ABI check, dependency
 * order, migrations, init with a registrar whose registrations take
 * effect only when init succeeds, and the service registry. A plugin
 * that cannot load is "failed", one whose dependency is missing or not
 * active is "disabled"; either way the host goes on without it.
 */
#include "host.h"
#include "org.h"

#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reg_impl {
	struct jx_registrar pub;
	int plugin;
	struct route *routes;
	int nroutes;
	struct menu_entry *menu;
	int nmenu;
	struct subscription *subs;
	int nsubs;
	struct job_kind *kinds;
	int nkinds;
	struct service_entry *services;
	int nservices;
	struct channel_entry *channels;
	int nchannels;
};

#define GROW(arr, n)                                                           \
	((arr) = realloc((arr), (size_t)((n) + 1) * sizeof(*(arr))),           \
	 (arr) == NULL ? -1 : 0)

const char *
plugin_state_name(enum plugin_state s)
{
	switch (s) {
	case PLUGIN_ACTIVE: return "active";
	case PLUGIN_DISABLED: return "disabled";
	default: return "failed";
	}
}

static int
reg_route(struct jx_registrar *r, const char *method, const char *pattern,
          jx_handler h, void *ud, unsigned flags)
{
	struct reg_impl *ri = (struct reg_impl *)r;

	if (method == NULL || pattern == NULL || h == NULL ||
	    GROW(ri->routes, ri->nroutes) != 0)
		return -1;
	ri->routes[ri->nroutes++] = (struct route){
	    .method = method,
	    .pattern = pattern,
	    .handler = h,
	    .ud = ud,
	    .flags = flags,
	    .plugin = ri->plugin,
	};
	return 0;
}

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

static void
reg_discard(struct reg_impl *ri)
{
	for (int i = 0; i < ri->nmenu; i++) {
		free(ri->menu[i].roles);
		free(ri->menu[i].label_key);
		free(ri->menu[i].href);
	}
	for (int i = 0; i < ri->nsubs; i++)
		free(ri->subs[i].event);
	for (int i = 0; i < ri->nkinds; i++)
		free(ri->kinds[i].kind);
	for (int i = 0; i < ri->nservices; i++)
		free(ri->services[i].name);
	for (int i = 0; i < ri->nchannels; i++)
		free(ri->channels[i].name);
	free(ri->channels);
	free(ri->routes);
	free(ri->menu);
	free(ri->subs);
	free(ri->kinds);
	free(ri->services);
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
	for (int i = 0; i < ri->nroutes; i++)
		if (router_add(app.router, &ri->routes[i]) != 0) {
			snprintf(p->reason, sizeof(p->reason),
			         "route %s %s is malformed or already taken",
			         ri->routes[i].method, ri->routes[i].pattern);
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
	MOVE(app.subs, app.nsubs, ri->subs, ri->nsubs);
	MOVE(app.job_kinds, app.njob_kinds, ri->kinds, ri->nkinds);
	MOVE(app.services, app.nservices, ri->services, ri->nservices);
	MOVE(app.channels, app.nchannels, ri->channels, ri->nchannels);
#undef MOVE
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

	snprintf(path, sizeof(path), "%s/jx_%s.so", app.plugin_dir, p->name);
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
	if (d->abi_major != JX_ABI_MAJOR || d->abi_minor > JX_ABI_MINOR) {
		plugin_fail(p, PLUGIN_FAILED,
		            "ABI %d.%d is not supported by this host (ABI "
		            "%d.%d)",
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
	p->desc = d;
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
static int
plugin_check_deps(struct plugin *p)
{
	const char *const *dep = p->desc->depends;

	for (; dep != NULL && *dep != NULL; dep++) {
		char name[64];
		const char *ge = strstr(*dep, ">=");
		size_t n = ge ? (size_t)(ge - *dep) : strlen(*dep);
		int k;

		if (n >= sizeof(name))
			n = sizeof(name) - 1;
		memcpy(name, *dep, n);
		name[n] = '\0';
		k = plugin_find(name);
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
		size_t k = strcspn(*dep, ">=");
		int j;

		if (k >= sizeof(name))
			k = sizeof(name) - 1;
		memcpy(name, *dep, k);
		name[k] = '\0';
		j = plugin_find(name);
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
plugin_names_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The configured names, or every jx_*.so of plugin_dir. */
static char **
plugin_names(int *count)
{
	const cJSON *list = config_get(&app.cfg, "plugins");
	char **names = NULL;
	int n = 0;

	if (cJSON_IsArray(list)) {
		const cJSON *e;

		cJSON_ArrayForEach(e, list)
		{
			if (!cJSON_IsString(e) || GROW(names, n) != 0)
				continue;
			names[n++] = strdup(e->valuestring);
		}
	} else {
		DIR *d = opendir(app.plugin_dir);
		struct dirent *e;

		while (d != NULL && (e = readdir(d)) != NULL) {
			size_t len = strlen(e->d_name);

			if (len < 7 || strncmp(e->d_name, "jx_", 3) != 0 ||
			    strcmp(e->d_name + len - 3, ".so") != 0 ||
			    GROW(names, n) != 0)
				continue;
			names[n++] = strndup(e->d_name + 3, len - 6);
		}
		if (d != NULL)
			closedir(d);
		if (n > 1)
			qsort(names, (size_t)n, sizeof(*names),
			      plugin_names_cmp);
	}
	*count = n;
	return names;
}

static void
plugin_init_one(jx_db *db, int i)
{
	struct plugin *p = &app.plugins[i];
	struct reg_impl ri;
	char err[512];
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
	    .route = reg_route,
	    .menu = reg_menu,
	    .subscribe = reg_subscribe,
	    .job_kind = reg_job_kind,
	    .service = reg_service,
	    .channel = reg_channel,
	};
	ri.plugin = i;
	/* init may use the database (thread_db): the loader's connection */
	orgsvc_set_db(db);
	prev = plugin_enter();
	rc = p->desc->init ? p->desc->init(&jx_host_table, &ri.pub) : 0;
	plugin_leave(prev);
	orgsvc_set_db(NULL);
	if (rc != 0) {
		reg_discard(&ri);
		plugin_fail(p, PLUGIN_FAILED, "init failed (returned %d)", rc);
		return;
	}
	if (reg_commit(&ri, p) != 0) {
		reg_discard(&ri);
		plugin_fail(p, PLUGIN_FAILED, "%s", p->reason);
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
	char **names;
	int n, norder = 0, *mark, *order;

	names = plugin_names(&n);
	app.plugins = calloc((size_t)n + 1, sizeof(*app.plugins));
	if (app.plugins == NULL)
		return -1;
	for (int i = 0; i < n; i++) {
		struct plugin *p = &app.plugins[app.nplugins];

		if (plugin_find(names[i]) >= 0) {
			free(names[i]);
			continue;
		}
		app.nplugins++;
		p->name = names[i];
		p->version = strdup("");
		p->state = PLUGIN_ACTIVE;
		if (!plugin_name_ok(p->name)) {
			plugin_fail(p, PLUGIN_FAILED,
			            "invalid plugin name (use a-z, 0-9, _)");
			continue;
		}
		plugin_open(p);
	}
	free(names);
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
	return 0;
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
	}
	for (int i = 0; i < app.nsubs; i++)
		free(app.subs[i].event);
	for (int i = 0; i < app.njob_kinds; i++)
		free(app.job_kinds[i].kind);
	for (int i = 0; i < app.nservices; i++)
		free(app.services[i].name);
	for (int i = 0; i < app.nchannels; i++)
		free(app.channels[i].name);
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
	}
	free(app.plugins);
	app.plugins = NULL;
	app.nplugins = 0;
}
