/* test_router.c — route matching, parameters, literal precedence, 405. */
#include "check.h"
#include "host.h"

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

int
main(void)
{
	struct router *r = router_new();
	struct arena a;
	struct route_match m;

	arena_init(&a, 0);
	CHECK(router_add(r, &(struct route){"GET", "/", h1, NULL, 0, -1}) == 0);
	CHECK(router_add(r, &(struct route){"GET",
	                                    "/api/v1/schools/{sid}/"
	                                    "classes",
	                                    h1, NULL, 0, -1}) == 0);
	CHECK(router_add(r, &(struct route){"POST",
	                                    "/api/v1/schools/{sid}/classes", h2,
	                                    NULL, 0, 3}) == 0);
	CHECK(router_add(r, &(struct route){"GET",
	                                    "/api/v1/schools/{sid}/students/"
	                                    "{id}",
	                                    h2, NULL, 0, -1}) == 0);
	CHECK(
	    router_add(r, &(struct route){"GET", "/api/v1/schools/new/classes",
	                                  h2, NULL, 0, -1}) == 0);
	CHECK(router_add(r, &(struct route){"GET", "/api/v1/students.xlsx", h2,
	                                    NULL, 0, -1}) == 0);
	/* the same method and pattern twice is refused */
	CHECK(router_add(r,
	                 &(struct route){"GET", "/api/v1/schools/{sid}/classes",
	                                 h2, NULL, 0, -1}) == -1);
	/* a second name for the same position is refused */
	CHECK(router_add(r, &(struct route){"GET", "/api/v1/schools/{x}/y", h2,
	                                    NULL, 0, -1}) == -1);
	CHECK(router_add(r, &(struct route){"GET", "no-slash", h2, NULL, 0,
	                                    -1}) == -1);
	CHECK(router_add(r, &(struct route){"GET", "/a/{}", h2, NULL, 0, -1}) ==
	      -1);

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

	arena_free(&a);
	router_free(r);
	return check_done();
}
