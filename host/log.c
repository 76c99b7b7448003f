/*
 * log.c — one log line per call to stderr: time, level, tag, message.
 * Lines are written with a single write(2) so that threads do not
 * interleave. Callers never pass secrets (passwords, tokens, ID numbers).
 */
#include "host.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int log_level = JX_LOG_INFO;

void
log_set_level(int level)
{
	log_level = level;
}

void
jx_vlog(int level, const char *tag, const char *fmt, va_list ap)
{
	static const char *const names[] = {"ERROR", "WARN", "INFO", "DEBUG"};
	char line[2048];
	struct timespec ts;
	struct tm tm;
	size_t n;
	int k;

	if (level > log_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	k = snprintf(line + n, sizeof(line) - n, ".%03ldZ %s [%s] ",
	             ts.tv_nsec / 1000000,
	             names[level < 0 || level > 3 ? 0 : level],
	             tag ? tag : "host");
	if (k > 0)
		n += (size_t)k;
	if (n < sizeof(line)) {
		k = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		if (k > 0)
			n += (size_t)k;
	}
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	/* Keep one record per line: a newline inside a message would let
	 * a crafted value forge log lines. */
	for (size_t i = 0; i < n; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

void
jx_log(int level, const char *tag, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	jx_vlog(level, tag, fmt, ap);
	va_end(ap);
}
