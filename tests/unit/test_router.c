/* test_router.c — route matching, parameters (named per route),
 * literal precedence, 405, pattern keys. */
#include "check.h"
#include "host.h"

#include <stdlib.h>

static int
h1(jx_req *req, void *ud)
{
	return 1;
}

static int
h2(jx_req *req, void *ud)
{
	return 2;
}

#define R(m, p, h, pl)                                                         \
	(&(struct route){                                                      \
	    .method = (m), .pattern = (p), .handler = (h), .plugin = (pl)})

int
main(void)
{
	struct router *r = router_new();
	struct arena a;
	struct route_match m;

	arena_init(&a, 0);
	CHECK(router_add(r, R("GET", "/", h1, -1)) == 0);
	CHECK(router_add(r, R("GET",
	                      "/api/v1/schools/{sid}/"
	                      "classes",
	                      h1, -1)) == 0);
	CHECK(router_add(
	          r, R("POST", "/api/v1/schools/{sid}/classes", h2, 3)) == 0);
	CHECK(router_add(r, R("GET",
	                      "/api/v1/schools/{sid}/students/"
	                      "{id}",
	                      h2, -1)) == 0);
	CHECK(router_add(r, R("GET", "/api/v1/schools/new/classes", h2, -1)) ==
	      0);
	CHECK(router_add(r, R("GET", "/api/v1/students.xlsx", h2, -1)) == 0);
	/* the same method and pattern twice is refused */
	CHECK(router_add(
	          r, R("GET", "/api/v1/schools/{sid}/classes", h2, -1)) == -1);
	/* names belong to routes: {x} and {sid} share the position */
	CHECK(router_add(r, R("GET", "/api/v1/schools/{x}/y", h2, -1)) == 0);
	/* ... but the same method and pattern under other names clash */
	CHECK(router_add(r, R("GET", "/api/v1/schools/{x}/classes", h2, -1)) ==
	      -1);
	/* {id} and {student} at the same position, as two plugins would */
	CHECK(router_add(r, R("GET", "/api/v1/students/{id}", h1, 1)) == 0);
	CHECK(router_add(r, R("GET", "/api/v1/students/{student}/awards", h2,
	                      2)) == 0);
	CHECK(router_add(r, R("PUT", "/api/v1/students/{student}", h2, 2)) ==
	      0);
	CHECK(router_add(r, R("GET", "no-slash", h2, -1)) == -1);
	CHECK(router_add(r, R("GET", "/a/{}", h2, -1)) == -1);

	CHECK(router_match(r, "GET", "/", &a, &m) == 1);
	CHECK(m.route->handler == h1 && m.nparams == 0);

	CHECK(router_match(r, "GET", "/api/v1/schools/17/classes", &a, &m) ==
	      1);
	CHECK(m.route->handler == h1);
	CHECK(m.nparams == 1);
	CHECK_STR(m.names[0], "sid");
	CHECK_STR(m.values[0], "17");

	CHECK(router_match(r, "POST", "/api/v1/schools/17/classes/", &a, &m) ==
	      1);
	CHECK(m.route->handler == h2 && m.route->plugin == 3);

	/* literal wins over a parameter */
	CHECK(router_match(r, "GET", "/api/v1/schools/new/classes", &a, &m) ==
	      1);
	CHECK(m.route->handler == h2 && m.nparams == 0);

	CHECK(router_match(r, "GET", "/api/v1/schools/5/students/9", &a, &m) ==
	      1);
	CHECK(m.nparams == 2);
	CHECK_STR(m.names[1], "id");
	CHECK_STR(m.values[1], "9");

	/* backtracking: "new" is literal at that depth but the path only
	 * matches through the parameter */
	CHECK(router_match(r, "GET", "/api/v1/schools/new/students/4", &a,
	                   &m) == 1);
	CHECK_STR(m.values[0], "new");

	CHECK(router_match(r, "DELETE", "/api/v1/schools/1/classes", &a, &m) ==
	      -2);
	CHECK(router_match(r, "GET", "/api/v1/nothing", &a, &m) == 0);
	CHECK(router_match(r, "GET", "/api/v1/schools/1", &a, &m) == 0);
	CHECK(router_match(r, "GET", "/api/v1/students.xlsx", &a, &m) == 1);
	/* HEAD is answered by GET routes */
	CHECK(router_match(r, "HEAD", "/api/v1/students.xlsx", &a, &m) == 1);

	CHECK(router_match(r, "GET", "/api/v1/schools/3/y", &a, &m) == 1);
	CHECK(m.nparams == 1);
	CHECK_STR(m.names[0], "x");
	CHECK_STR(m.values[0], "3");
	CHECK(router_match(r, "GET", "/api/v1/students/7", &a, &m) == 1);
	CHECK(m.route->handler == h1 && m.nparams == 1);
	CHECK_STR(m.names[0], "id");
	CHECK(router_match(r, "GET", "/api/v1/students/7/awards", &a, &m) == 1);
	CHECK(m.route->handler == h2 && m.nparams == 1);
	CHECK_STR(m.names[0], "student");
	CHECK_STR(m.values[0], "7");
	CHECK(router_match(r, "PUT", "/api/v1/students/8", &a, &m) == 1);
	CHECK_STR(m.names[0], "student");

	/* the key two routes clash on leaves the names out */
	{
		char *k1 = router_pattern_key("/api/v1/students/{id}/awards");
		char *k2 = router_pattern_key("/api/v1/students/{student}/"
		                              "awards");
		char err[80];

		CHECK_STR(k1, "/api/v1/students/{}/awards");
		CHECK_STR(k1, k2);
		free(k1);
		free(k2);
		CHECK(router_pattern_ok("/a/{b}/c", err, sizeof(err)) == 1);
		CHECK(router_pattern_ok("/a/x{b}", err, sizeof(err)) == 0);
		CHECK(router_pattern_ok("/a/{b-c}", err, sizeof(err)) == 0);
		CHECK(router_pattern_ok("a/b", err, sizeof(err)) == 0);
		CHECK(router_pattern_ok("/a//b", err, sizeof(err)) == 0);
	}

	arena_free(&a);
	router_free(r);
	return check_done();
}
