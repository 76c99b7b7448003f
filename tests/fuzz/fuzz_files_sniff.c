/*
 * fuzz_files_sniff.c — fuzzes what the file service makes of an upload's
 * bytes (files_sniff, filestore.c): libmagic, then libzip over anything
 * that looks like a zip (OOXML macro checks) and the OLE directory scan
 * over anything that looks like a compound file. Any input must give an
 * answer, never a crash, and an accepted type is one of the allow-list.
 */
#include "files.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fuzz_ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[] = "/tmp/jx-fuzz-files-XXXXXX";
	const char *mime;
	char found[160];
	int image;

	if (!fuzz_ready) {
		if (mkdtemp(dir) == NULL)
			abort();
		app.data_dir = dir;
		if (files_start() != 0)
			abort();
		fuzz_ready = 1;
	}
	if (files_sniff(data, size, &mime, &image, found, sizeof(found)) == 0) {
		if (mime == NULL || found[0] == '\0')
			abort();
		if (image && strncmp(mime, "image/", 6) != 0)
			abort();
	} else if (found[0] == '\0' && size > 0) {
		abort(); /* a refusal always says what was found */
	}
	return 0;
}
