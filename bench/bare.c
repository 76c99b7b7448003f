/*
 * bench/bare.c: the reference "bare civetweb reply" for bench/run.sh. It
 * starts civetweb with the host's connection options (tcp_nodelay,
 * keep-alive, the same thread count) and answers every request with one
 * fixed small JSON body, so the benchmark can report the real binary's
 * figures as ratios to what civetweb alone does on this machine.
 *
 * With DOCROOT it also serves the files under it as civetweb alone
 * serves static files (bench/files.sh: a download's reference), and the
 * fixed body only at "/".
 *
 * usage: bare ADDR:PORT [THREADS [DOCROOT]]
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <civetweb.h>

static const char bare_body[] = "{\"status\":\"ok\"}";

static int
bare_reply(struct mg_connection *conn, void *cbdata)
{
	(void)cbdata;
	mg_send_http_ok(conn, "application/json", sizeof(bare_body) - 1);
	mg_write(conn, bare_body, sizeof(bare_body) - 1);
	/* civetweb reads a returned status code as "handled". */
	return 200;
}

static int
bare_log(const struct mg_connection *conn, const char *message)
{
	(void)conn;
	fprintf(stderr, "bare: %s\n", message);
	return 1;
}

int
main(int argc, char **argv)
{
	/*
	 * The same options the host uses: one worker per keep-alive
	 * connection, so more threads than wrk's connections; tcp_nodelay,
	 * without which each keep-alive reply waits ~40 ms on Nagle.
	 * (argv[1] is NULL when it is missing: checked below.)
	 */
	/* clang-format off */
	const char *options[] = {
		"listening_ports", argv[1],
		"num_threads", argc >= 3 ? argv[2] : "64",
		"tcp_nodelay", "1",
		"enable_keep_alive", "yes",
		"keep_alive_timeout_ms", "5000",
		"request_timeout_ms", "30000",
		"enable_directory_listing", "no",
		argc == 4 ? "document_root" : NULL, argc == 4 ? argv[3] : NULL,
		NULL,
	};
	/* clang-format on */
	struct mg_callbacks callbacks;
	struct mg_context *ctx = NULL;
	sigset_t set;
	int sig = 0;
	int status = 1;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: %s ADDR:PORT [THREADS [DOCROOT]]\n",
		        argv[0]);
		return 2;
	}

	/* Block the stop signals in every thread; main waits for them. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		goto fail;

	mg_init_library(0);
	memset(&callbacks, 0, sizeof(callbacks));
	callbacks.log_message = bare_log;
	ctx = mg_start(&callbacks, NULL, options);
	if (ctx == NULL) {
		fprintf(stderr, "bare: cannot listen on %s\n", argv[1]);
		goto fail;
	}
	/* "/" alone is a prefix of every path; "/$" is "/" only. */
	mg_set_request_handler(ctx, argc == 4 ? "/$" : "/", bare_reply, NULL);
	fprintf(stderr, "bare: listening on http://%s\n", argv[1]);

	if (sigwait(&set, &sig) != 0)
		goto fail;
	status = 0;
fail:
	if (ctx != NULL)
		mg_stop(ctx);
	mg_exit_library();
	return status;
}
