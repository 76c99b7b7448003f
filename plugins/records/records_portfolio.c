/*
 * records_portfolio.c — the portfolio (stub while written).
 */
#include "records.h"

int
route_portfolio(jx_req *req, void *ud)
{
	(void)ud;
	return jxp_not_found(jx_host, req);
}

int
route_portfolio_zip(jx_req *req, void *ud)
{
	(void)ud;
	return jxp_not_found(jx_host, req);
}

cJSON *
rec_space_items(jx_req *req, int kind, int64_t owner, int limit, int64_t *total,
                void *ud)
{
	(void)req;
	(void)kind;
	(void)owner;
	(void)limit;
	(void)total;
	(void)ud;
	return NULL;
}
