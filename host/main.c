/* main.c — the jiaxiao executable: everything is in cli.c. */
#include "host.h"

int cli_main(int argc, char **argv);

int
main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
