/* main.c — the jiaxiao executable: everything is in cli.c. */
#include "host.h"

#include <sys/stat.h>

int cli_main(int argc, char **argv);

int
main(int argc, char **argv)
{
	/* Every file the host writes (the database, its -wal and -shm,
	 * backups, keys, exports on disk) is the owner's only. */
	umask(077);
	return cli_main(argc, argv);
}
