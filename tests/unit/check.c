/* check.c — the summary line of the C unit tests. */
#include "check.h"

int check_failures;
int check_count;

int
check_done(void)
{
	printf("%d passed, %d failed\n", check_count - check_failures,
	       check_failures);
	return check_failures ? 1 : 0;
}
