/*
 * test_plugin_abi.c — versioning that holds: the host_has test plugin
 * (tests/plugins/host_has) handed a host table of an older, smaller size
 * does without the function that table lacks (JX_HOST_HAS), and uses it
 * when the table has it; JX_HOST_HAS itself on sizes around a field.
 * The same for the registrar (ABI 2.1's home_item and menu_tab): the
 * good test plugin registers its home item and tab only on a registrar
 * that has them, and still starts on one of ABI 2.0's size.
 */
#include "check.h"
#include "host.h"

#include <dlfcn.h>
#include <stdlib.h>

struct host_has_v1 {
	size_t size;
	int (*mode)(void);
};

static const struct host_has_v1 *service;

static int
reg_service(struct jx_registrar *r, const char *name, const void *table)
{
	if (strcmp(name, "host_has.v1") == 0)
		service = table;
	return 0;
}

/* Runs the plugin's init with a copy of the host table cut to size. */
static int
init_with(const struct jx_plugin *d, size_t size)
{
	static struct jx_host h;
	struct jx_registrar reg = {.size = sizeof(reg), .service = reg_service};

	h = jx_host_table;
	h.size = size;
	service = NULL;
	return d->init(&h, &reg);
}

static int home_items, tabs;

static int
reg_nop_menu(struct jx_registrar *r, const char *roles, const char *label,
             const char *href, int order)
{
	return 0;
}

static int
reg_nop_subscribe(struct jx_registrar *r, const char *event, jx_event_fn fn,
                  void *ud)
{
	return 0;
}

static int
reg_nop_job_kind(struct jx_registrar *r, const char *kind, jx_job_fn fn,
                 void *ud)
{
	return 0;
}

static int
reg_home_item(struct jx_registrar *r, const struct jx_home_item *item)
{
	CHECK(item->size == sizeof(*item) && item->count != NULL);
	home_items++;
	return 0;
}

static int
reg_menu_tab(struct jx_registrar *r, const char *roles, const char *label,
             const char *href, int order, const char *icon)
{
	CHECK(icon != NULL && href != NULL && href[0] == '/');
	tabs++;
	return 0;
}

/* Runs the good plugin's init with a registrar cut to size. */
static int
good_init_with(const struct jx_plugin *d, size_t size)
{
	struct jx_registrar reg = {
	    .size = size,
	    .menu = reg_nop_menu,
	    .subscribe = reg_nop_subscribe,
	    .job_kind = reg_nop_job_kind,
	    .service = reg_service,
	    .home_item = reg_home_item,
	    .menu_tab = reg_menu_tab,
	};

	home_items = tabs = 0;
	return d->init(&jx_host_table, &reg);
}

static void
registrar_versions(const char *dir)
{
	struct jx_registrar small = {
	    .size = offsetof(struct jx_registrar, home_item)};
	char path[4096];
	void *dl;
	jx_plugin_entry_fn entry;

	CHECK(!JX_REG_HAS(&small, home_item));
	CHECK(JX_REG_HAS(&small, cli_command));
	small.size = sizeof(small);
	CHECK(JX_REG_HAS(&small, home_item) && JX_REG_HAS(&small, menu_tab));
	CHECK(JX_ABI_MINOR >= 1);

	snprintf(path, sizeof(path), "%s/test-plugins/jx_good.so",
	         dir ? dir : "build");
	dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	CHECK(dl != NULL);
	if (dl == NULL)
		return;
	*(void **)&entry = dlsym(dl, "jx_plugin_entry");
	CHECK(entry != NULL);
	/* ABI 2.0's registrar: no home item, no tab, still active */
	CHECK(good_init_with(entry(),
	                     offsetof(struct jx_registrar, home_item)) == 0);
	CHECK(home_items == 0 && tabs == 0);
	/* this host's */
	CHECK(good_init_with(entry(), sizeof(struct jx_registrar)) == 0);
	CHECK(home_items == 1 && tabs == 1);
}

int
main(void)
{
	const char *dir = getenv("JX_BUILD_DIR");
	char path[4096];
	void *dl;
	jx_plugin_entry_fn entry;
	const struct jx_plugin *d;
	struct jx_host small = jx_host_table;

	/* the test: offsetof + sizeof <= size */
	small.size = offsetof(struct jx_host, problem_count);
	CHECK(!JX_HOST_HAS(&small, problem_count));
	CHECK(JX_HOST_HAS(&small, req_fields));
	small.size += sizeof(small.problem_count) - 1;
	CHECK(!JX_HOST_HAS(&small, problem_count));
	CHECK(JX_HOST_HAS(&jx_host_table, problem_count));

	snprintf(path, sizeof(path), "%s/test-plugins/jx_host_has.so",
	         dir ? dir : "build");
	dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	CHECK(dl != NULL);
	if (dl == NULL) {
		fprintf(stderr, "%s\n", dlerror());
		return check_done();
	}
	*(void **)&entry = dlsym(dl, "jx_plugin_entry");
	CHECK(entry != NULL);
	d = entry();
	CHECK(d->size == sizeof(struct jx_plugin));
	CHECK(d->abi_major == JX_ABI_MAJOR && d->abi_minor == 0);

	/* an older host: the table ends before problem_count */
	CHECK(init_with(d, offsetof(struct jx_host, problem_count)) == 0);
	CHECK(service != NULL && service->mode() == 0);
	/* this host */
	CHECK(init_with(d, sizeof(struct jx_host)) == 0);
	CHECK(service != NULL && service->mode() == 1);
	registrar_versions(dir);
	/* left mapped: the sanitizers symbolise leaks only while loaded */
	return check_done();
}
