/*
 * test_plugin_abi.c — versioning that holds: the host_has test plugin
 * (tests/plugins/host_has) handed a host table of an older, smaller size
 * does without the function that table lacks (JX_HOST_HAS), and uses it
 * when the table has it; JX_HOST_HAS itself on sizes around a field.
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
	/* left mapped: the sanitizers symbolise leaks only while loaded */
	return check_done();
}
