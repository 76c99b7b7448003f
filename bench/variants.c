/*
 * variants.c — the upload benchmark's floor (bench/files.sh): the time
 * host/image.c alone takes to make the display copy and the thumbnail
 * (and, with -o, the clean original) of one picture, on this thread as
 * the upload endpoint calls it, without HTTP, hashing or storage. An
 * image upload cannot answer faster than this.
 *
 * Prints one line: "median_ms min_ms max_ms cpu_ms" over N runs, CPU
 * being this process's user+system time per run.
 *
 * usage: variants [-n N] [-o] PICTURE [DIR]   (DIR for the outputs
 * [$TMPDIR])
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "host.h"
#include "image.h"

static double
variants_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double
variants_cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static int
variants_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char display[512], thumb[512], clean[512], err[256];
	int n = 7, keep = 0, opt, i;
	double *ms, cpu;

	while ((opt = getopt(argc, argv, "n:o")) != -1) {
		if (opt == 'n')
			n = atoi(optarg);
		else if (opt == 'o')
			keep = 1;
		else
			goto usage;
	}
	if (optind >= argc || n < 1)
		goto usage;
	if (optind + 1 < argc)
		dir = argv[optind + 1];
	snprintf(display, sizeof(display), "%s/variants-display-%d", dir,
	         (int)getpid());
	snprintf(thumb, sizeof(thumb), "%s/variants-thumb-%d", dir,
	         (int)getpid());
	snprintf(clean, sizeof(clean), "%s/variants-clean-%d", dir,
	         (int)getpid());
	if (image_init() != 0)
		return 1;
	ms = calloc(n, sizeof(*ms));
	if (ms == NULL)
		return 1;
	cpu = variants_cpu_ms();
	for (i = 0; i < n; i++) {
		double t = variants_now_ms();

		if (image_variants(argv[optind], display, thumb,
		                   keep ? clean : NULL, err,
		                   sizeof(err)) != 0) {
			fprintf(stderr, "variants: %s\n", err);
			return 1;
		}
		ms[i] = variants_now_ms() - t;
	}
	cpu = (variants_cpu_ms() - cpu) / n;
	unlink(display);
	unlink(thumb);
	unlink(clean);
	qsort(ms, n, sizeof(*ms), variants_cmp);
	printf("%.0f %.0f %.0f %.0f\n",
	       n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2, ms[0],
	       ms[n - 1], cpu);
	free(ms);
	return 0;
usage:
	fprintf(stderr, "usage: variants [-n N] [-o] PICTURE [DIR]\n");
	return 2;
}
