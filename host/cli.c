/*
 * cli.c — the command line: init, serve, demo, plugins, backup (API.md,
 * "Command line and configuration"), and the server's life cycle.
 */
#include "account.h"
#include "crypto.h"
#include "files.h"
#include "host.h"
#include "luaenv.h"
#include "org.h"

#include <sqlite3.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct app app;

struct cli {
	const char *cmd;
	const char *config;
	const char *admin_password;
	char **sets;
	int nsets;
	char **args; /* positional arguments after the command */
	int nargs;
	const char *district; /* --district CODE (rules check) */
};

static void
cli_usage(FILE *f)
{
	fputs("usage:\n"
	      "  jiaxiao init    [-c FILE] [--data DIR] [--admin-password PW]\n"
	      "  jiaxiao serve   [-c FILE] [--data DIR] [--listen ADDR:PORT] "
	      "[--set KEY=VALUE]...\n"
	      "  jiaxiao demo    [-c FILE] [--data DIR] [--listen ADDR:PORT]\n"
	      "  jiaxiao plugins [-c FILE]\n"
	      "  jiaxiao backup  [-c FILE] [--data DIR] OUT\n"
	      "  jiaxiao audit verify [-c FILE] [--data DIR]\n"
	      "  jiaxiao rules reload [-c FILE] [--data DIR]\n"
	      "  jiaxiao rules check [-c FILE] [--data DIR] --district CODE "
	      "[FILE]\n"
	      "--set KEY=VALUE overrides any configuration key (dotted path);\n"
	      "VALUE is read as a Lua literal when it is one, else a string.\n",
	      f);
}

static char *
cli_abs(const char *base, const char *p)
{
	char buf[2 * PATH_MAX];

	if (p == NULL)
		return NULL;
	if (p[0] == '/')
		return strdup(p);
	snprintf(buf, sizeof(buf), "%s/%s", base, p);
	return strdup(buf);
}

int
app_paths(char *err, size_t errlen)
{
	char cwd[PATH_MAX], buf[PATH_MAX + 64];
	const char *dd = config_string(&app.cfg, "data_dir");
	const char *pd = config_string(&app.cfg, "plugin_dir");

	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		snprintf(err, errlen, "getcwd: %s", strerror(errno));
		return -1;
	}
	app.root = strdup(cwd);
	app.data_dir = cli_abs(cwd, dd ? dd : "data");
	app.plugin_dir = cli_abs(cwd, pd ? pd : "build/plugins");
	snprintf(buf, sizeof(buf), "%s/jiaxiao.db", app.data_dir);
	app.db_path = strdup(buf);
	snprintf(buf, sizeof(buf), "%s/scripts", cwd);
	app.scripts_dir = strdup(buf);
	snprintf(buf, sizeof(buf), "%s/templates", cwd);
	app.templates_dir = strdup(buf);
	app.body_limit =
	    (size_t)config_int(&app.cfg, "limits.body_bytes", 1 << 20);
	app.upload_limit =
	    (size_t)config_int(&app.cfg, "limits.upload_bytes", 20 << 20);
	return 0;
}

static void
app_free(void)
{
	router_free(app.router);
	config_free(&app.cfg);
	free(app.root);
	free(app.data_dir);
	free(app.plugin_dir);
	free(app.db_path);
	free(app.scripts_dir);
	free(app.templates_dir);
	memset(&app, 0, sizeof(app));
}

static int
cli_parse(int argc, char **argv, struct cli *c)
{
	static char listen_set[300], data_set[PATH_MAX + 16];

	memset(c, 0, sizeof(*c));
	if (argc < 2)
		return -1;
	c->cmd = argv[1];
	c->sets = calloc((size_t)argc, sizeof(char *));
	c->args = calloc((size_t)argc, sizeof(char *));
	if (c->sets == NULL || c->args == NULL)
		return -1;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if ((strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) && v) {
			c->config = v;
			i++;
		} else if (strcmp(a, "--data") == 0 && v) {
			snprintf(data_set, sizeof(data_set), "data_dir=%s", v);
			c->sets[c->nsets++] = data_set;
			i++;
		} else if (strcmp(a, "--listen") == 0 && v) {
			snprintf(listen_set, sizeof(listen_set), "listen=%s",
			         v);
			c->sets[c->nsets++] = listen_set;
			i++;
		} else if (strcmp(a, "--set") == 0 && v) {
			c->sets[c->nsets++] = argv[++i];
		} else if (strcmp(a, "--district") == 0 && v) {
			c->district = v;
			i++;
		} else if (strcmp(a, "--admin-password") == 0 && v) {
			c->admin_password = v;
			i++;
		} else if (a[0] == '-') {
			fprintf(stderr, "jiaxiao: unknown option %s\n", a);
			return -1;
		} else {
			c->args[c->nargs++] = argv[i];
		}
	}
	return 0;
}

/* Loads the configuration and resolves paths. */
static int
cli_setup(struct cli *c)
{
	char err[1024];
	const char *file = c->config ? c->config : "config/jiaxiao.lua";
	const char *level;

	if (c->config == NULL && access(file, R_OK) != 0)
		file = NULL; /* defaults only */
	if (config_load(&app.cfg, file, c->sets, c->nsets, err, sizeof(err)) !=
	    0) {
		fprintf(stderr, "jiaxiao: configuration: %s\n", err);
		return -1;
	}
	if (app_paths(err, sizeof(err)) != 0) {
		fprintf(stderr, "jiaxiao: %s\n", err);
		return -1;
	}
	level = config_string(&app.cfg, "log_level");
	if (level != NULL && strcmp(level, "debug") == 0)
		log_set_level(JX_LOG_DEBUG);
	else if (level != NULL && strcmp(level, "warn") == 0)
		log_set_level(JX_LOG_WARN);
	clock_set_timezone(config_string(&app.cfg, "timezone"));
	clock_set_offset(
	    config_int(&app.cfg, "testing.clock_offset_seconds", 0));
	app.router = router_new();
	/* Every thread has its own connection: no SQLite-wide locking or
	 * memory statistics (a global mutex on every allocation). */
	sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	return app.router ? 0 : -1;
}

static int
cli_mkdirs(const char *path)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, 0700) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

static int
cli_db_exists(void)
{
	struct stat st;

	return stat(app.db_path, &st) == 0;
}

/* The city administrator, login "admin": with a given password that is
 * its password (not flagged for change); otherwise a random initial
 * password, printed once, that must be changed. */
static int
cli_create_admin(jx_db *db, const char *password)
{
	char initial[16], hash[CRYPTO_HASH_MAX];
	char *sealed = NULL;
	int64_t now = jx_now(), person = 0, account = 0;
	jx_stmt *st;
	int rc = -1;

	if (password != NULL && crypto_password_hash(password, hash) != 0)
		return -1;
	if (password == NULL) {
		crypto_random_string(
		    initial, 12,
		    "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUV"
		    "WXYZ23456789");
		sealed = crypto_seal(initial);
		if (sealed == NULL)
			return -1;
	}
	if (db_begin(db) != 0)
		goto done;
	st = db_query(db,
	              "INSERT INTO persons(name, created_at) VALUES (?, ?) "
	              "RETURNING id",
	              "si", "市级管理员", now);
	if (st != NULL && db_step(st) == JX_DB_ROW)
		person = db_int(st, 0);
	db_finish(st);
	st = db_query(db,
	              "INSERT INTO accounts(person_id, login, password_hash, "
	              "initial_password, must_change_password, created_at) "
	              "VALUES (?, 'admin', ?, ?, ?, ?) RETURNING id",
	              "issii", person, password ? hash : NULL, sealed,
	              (int64_t)(password == NULL), now);
	if (st != NULL && db_step(st) == JX_DB_ROW)
		account = db_int(st, 0);
	db_finish(st);
	if (person == 0 || account == 0 ||
	    db_exec(db,
	            "INSERT INTO identities(account_id, role, created_at) "
	            "VALUES (?, 'city_admin', ?)",
	            "ii", account, now) != 1 ||
	    audit_append(db, 0, 0, "init.admin_created", "admin", NULL, NULL) !=
	        0 ||
	    db_commit(db) != 0) {
		fprintf(stderr,
		        "jiaxiao: cannot create the administrator: %s\n",
		        db_errmsg(db));
		db_rollback(db);
		goto done;
	}
	if (password == NULL)
		printf("city administrator: login admin, initial password %s "
		       "(shown once; it must be changed at first login)\n",
		       initial);
	else
		printf("city administrator: login admin, with the given "
		       "password\n");
	rc = 0;
done:
	free(sealed);
	return rc;
}

/* Creates the data directory and the database with the host schema. */
static int
cli_init_db(struct cli *c)
{
	char err[512];
	jx_db *db;
	int rc = -1;

	if (cli_db_exists()) {
		fprintf(stderr,
		        "jiaxiao: %s already holds a database; init refuses to "
		        "touch it (use serve, or choose another --data)\n",
		        app.data_dir);
		return -1;
	}
	if (cli_mkdirs(app.data_dir) != 0) {
		fprintf(stderr, "jiaxiao: cannot create %s: %s\n", app.data_dir,
		        strerror(errno));
		return -1;
	}
	db = db_open(app.db_path);
	if (db == NULL)
		return -1;
	if (migrate_apply(db, "host", host_migrations, err, sizeof(err)) != 0) {
		fprintf(stderr, "jiaxiao: %s\n", err);
		goto done;
	}
	if (crypto_setup(app.data_dir, 1, 1, err, sizeof(err)) != 0) {
		fprintf(stderr, "jiaxiao: %s\n", err);
		goto done;
	}
	if (cli_create_admin(db, c->admin_password) != 0)
		goto done;
	rc = 0;
	printf("initialised %s\n", app.data_dir);
done:
	db_close(db);
	return rc;
}

/* <data_dir>/jiaxiao.pid while serving: `jiaxiao rules reload` signals
 * the server it names. */
static void
cli_pidfile(int create)
{
	char path[PATH_MAX + 32];
	FILE *f;

	snprintf(path, sizeof(path), "%s/jiaxiao.pid", app.data_dir);
	if (!create) {
		unlink(path);
		return;
	}
	f = fopen(path, "w");
	if (f != NULL) {
		fprintf(f, "%ld\n", (long)getpid());
		fclose(f);
	}
}

/*
 * `jiaxiao rules check --district CODE [FILE]`: the dry run of API.md on
 * the data directory (a server may be serving it: this only reads), of
 * FILE or else of the district's active chunk. Prints the result as
 * JSON; exit 1 with the chunk's error (and its line) when it fails.
 */
static int
cli_rules_check(struct cli *c)
{
	const struct cli_hook *hook;
	char did[32], *argv[3];
	struct stat fst;
	struct luaenv *lua = NULL;
	struct thread *t = NULL;
	char err[1024], *source = NULL;
	int64_t district;
	size_t len;
	jx_db *db = NULL;
	int rc = 1;

	if (c->district == NULL || c->nargs > 2) {
		fprintf(stderr, "usage: jiaxiao rules check [-c FILE] [--data "
		                "DIR] --district CODE [FILE]\n");
		return 2;
	}
	if (c->nargs == 2 &&
	    luaenv_read_file(c->args[1], 256 * 1024, &source, &len, &fst) < 0) {
		fprintf(stderr, "jiaxiao: cannot read %s: %s\n", c->args[1],
		        strerror(errno));
		return 1;
	}
	if (!cli_db_exists()) {
		fprintf(stderr, "jiaxiao: no database in %s\n", app.data_dir);
		goto out;
	}
	log_set_level(JX_LOG_WARN);
	db = db_open(app.db_path);
	if (db == NULL ||
	    migrate_apply(db, "host", host_migrations, err, sizeof(err)) != 0 ||
	    crypto_setup(app.data_dir, 0, 1, err, sizeof(err)) != 0 ||
	    luaenv_rules_pin(app.scripts_dir, err, sizeof(err)) != 0) {
		fprintf(stderr, "jiaxiao: %s\n", db ? err : "cannot open");
		goto out;
	}
	district = db_one(db, "SELECT id FROM districts WHERE code = ?", "s",
	                  c->district);
	if (district <= 0) {
		fprintf(stderr, "jiaxiao: no district with code %s\n",
		        c->district);
		goto out;
	}
	t = thread_begin(db, THREAD_LUA);
	if (t == NULL || (lua = t->lua) == NULL)
		goto out;
	if (plugins_load(db) != 0)
		goto out;
	/* Refused as activation would refuse it (predictable initial
	 * passwords, org.c). */
	if (org_rules_check(db, lua, district, source, "en", err,
	                    sizeof(err)) != 0) {
		fprintf(stderr, "jiaxiao: rules: %s\n", err);
		goto out;
	}
	/* The dry run over stored data is a plugin's, whichever answers
	 * the "rules-check" hook (keyinfo does): the host names none. */
	hook = plugin_cli_hook("rules-check");
	if (hook == NULL) {
		/* Without one there is no data to try: the chunk must still
		 * compile and run. */
		if (source != NULL && luaenv_check_district_chunk(
		                          lua, source, err, sizeof(err)) != 0) {
			fprintf(stderr, "jiaxiao: rules: %s\n", err);
			goto out;
		}
		printf("{\"checked\":0}\n");
		rc = 0;
		goto out;
	}
	snprintf(did, sizeof(did), "%lld", (long long)district);
	argv[0] = "rules-check";
	argv[1] = did;
	argv[2] = source;
	{
		int prev = plugin_enter();

		rc = hook->fn(db, source != NULL ? 3 : 2, argv, hook->ud);
		plugin_leave(prev);
	}
out:
	if (db != NULL)
		plugins_shutdown();
	thread_end(t);
	db_close(db);
	luaenv_rules_unpin();
	free(source);
	return rc;
}

/* `jiaxiao rules reload`: SIGHUP to the server serving this data
 * directory, which re-reads scripts/rules/default.lua (audit-logged). */
static int
cli_rules(struct cli *c)
{
	char path[PATH_MAX + 32];
	long pid = 0;
	FILE *f;

	if (c->nargs >= 1 && strcmp(c->args[0], "check") == 0)
		return cli_rules_check(c);
	if (c->nargs != 1 || strcmp(c->args[0], "reload") != 0) {
		fprintf(stderr, "usage: jiaxiao rules reload [-c FILE] [--data "
		                "DIR]\n       jiaxiao rules check [-c FILE] "
		                "[--data DIR] --district CODE [FILE]\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/jiaxiao.pid", app.data_dir);
	f = fopen(path, "r");
	if (f == NULL || fscanf(f, "%ld", &pid) != 1 || pid <= 1) {
		fprintf(stderr, "jiaxiao: no server is serving %s\n",
		        app.data_dir);
		if (f != NULL)
			fclose(f);
		return 1;
	}
	fclose(f);
	/* A pid file left by a crash may name another process by now:
	 * signal only a jiaxiao. */
	{
		char cmd[PATH_MAX], link[64];
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/%ld/exe", pid);
		n = readlink(link, cmd, sizeof(cmd) - 1);
		if (n <= 0 || (cmd[n] = '\0', strstr(cmd, "jiaxiao") == NULL)) {
			fprintf(stderr,
			        "jiaxiao: no server is serving %s (stale pid "
			        "file)\n",
			        app.data_dir);
			return 1;
		}
	}
	if (kill((pid_t)pid, SIGHUP) != 0) {
		fprintf(stderr, "jiaxiao: cannot signal server %ld: %s\n", pid,
		        strerror(errno));
		return 1;
	}
	printf("default rules reload requested from server %ld\n", pid);
	return 0;
}

static int
cli_serve(void)
{
	char err[512];
	sigset_t set;
	jx_db *db;
	int sig, rc = 1;

	if (!cli_db_exists()) {
		fprintf(
		    stderr,
		    "jiaxiao: no database in %s; run 'jiaxiao init' first\n",
		    app.data_dir);
		return 1;
	}
	/* Block the signals here so that every thread inherits the mask
	 * and only sigwait below sees them. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	db = db_open(app.db_path);
	if (db == NULL)
		return 1;
	if (migrate_apply(db, "host", host_migrations, err, sizeof(err)) != 0) {
		jx_log(JX_LOG_ERROR, "host", "%s", err);
		goto done;
	}
	if (crypto_setup(
	        app.data_dir, 0,
	        (int)config_int(&app.cfg, "auth.argon2_concurrency", 2), err,
	        sizeof(err)) != 0) {
		jx_log(JX_LOG_ERROR, "host", "%s", err);
		goto done;
	}
	crypto_set_queue(
	    (int)config_int(&app.cfg, "auth.queue_length", 64),
	    (int)config_int(&app.cfg, "auth.queue_wait_ms", 10000));
#ifdef JX_TESTING
	crypto_hold_slots(
	    (int)config_int(&app.cfg, "testing.argon2_slots_held", 0));
#endif
	if (luaenv_rules_pin(app.scripts_dir, err, sizeof(err)) != 0) {
		jx_log(JX_LOG_ERROR, "host", "%s", err);
		goto done;
	}
	/* Sealing data stored in clear (here and in plugins' init) zeroes
	 * what it replaces, and the checkpoint moves the rewritten pages
	 * into the database file: no clear copy stays on disk. */
	db_exec(db, "PRAGMA secure_delete = ON", "");
	if (org_national_seal_existing(db) != 0 || jobs_recover(db) != 0 ||
	    notify_recover(db) != 0 || host_routes_register() != 0 ||
	    plugins_load(db) != 0)
		goto done;
	db_exec(db, "PRAGMA secure_delete = OFF", "");
	db_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", "");
	if (rules_defaults_loaded(db) < 0)
		jx_log(JX_LOG_WARN, "host",
		       "could not record the default rules' digest: %s",
		       db_errmsg(db));
	if (files_start() != 0 || jobs_start() != 0 || notify_start() != 0 ||
	    http_start() != 0)
		goto stop;
	cli_pidfile(1);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			jx_log(JX_LOG_INFO, "host",
			       "SIGHUP: reloading the default rules");
			luaenv_reload_rules();
			audit_append(db, 0, 0, "rules.default_reloaded",
			             "scripts/rules/default.lua", NULL, NULL);
			rules_defaults_loaded(db);
			continue;
		}
		jx_log(JX_LOG_INFO, "host", "signal %d: shutting down", sig);
		break;
	}
	rc = 0;
	cli_pidfile(0);
stop:
	http_stop();
	notify_stop();
	jobs_stop();
done:
	plugins_shutdown();
	luaenv_rules_unpin();
	db_close(db);
	return rc;
}

/* Adds the demo district to a new database and prints the logins. */
static int
cli_demo(void)
{
	char err[512];
	jx_db *db = db_open(app.db_path);
	int rc = -1;

	if (db == NULL)
		return 1;
	if (migrate_apply(db, "host", host_migrations, err, sizeof(err)) != 0 ||
	    crypto_setup(app.data_dir, 0, 1, err, sizeof(err)) != 0) {
		fprintf(stderr, "jiaxiao: %s\n", err);
		goto done;
	}
	if (demo_create(db) != 0) {
		fprintf(stderr, "jiaxiao: cannot create the demo district\n");
		goto done;
	}
	printf("jiaxiao demo: http://%s\n", config_string(&app.cfg, "listen"));
	demo_print(db, stdout);
	rc = 0;
done:
	db_close(db);
	return rc ? 1 : 0;
}

static int
cli_plugins(void)
{
	char err[512];
	const char *saved = app.db_path;
	jx_db *db;

	/* Migrate and initialise on a private in-memory database: the
	 * listing shows init failures too, and touches no real data. */
	db = db_open(":memory:");
	if (db == NULL)
		return 1;
	if (migrate_apply(db, "host", host_migrations, err, sizeof(err)) != 0) {
		fprintf(stderr, "jiaxiao: %s\n", err);
		db_close(db);
		return 1;
	}
	log_set_level(JX_LOG_WARN);
	plugins_load(db);
	printf("%-16s %-10s %-9s %s\n", "NAME", "VERSION", "STATE", "REASON");
	for (int i = 0; i < app.nplugins; i++) {
		const struct plugin *p = &app.plugins[i];

		printf("%-16s %-10s %-9s %s\n", p->name,
		       p->version[0] ? p->version : "-",
		       plugin_state_name(p->state),
		       p->state == PLUGIN_ACTIVE ? "" : p->reason);
	}
	plugins_shutdown();
	db_close(db);
	app.db_path = (char *)saved;
	return 0;
}

/* Copies src to dst, mode 0600 (the key beside a backup, the audit
 * checkpoint). A missing src is fine when optional. */
static int
cli_copy_private(const char *src, const char *dst, int optional)
{
	char buf[256];
	int in, fd;
	ssize_t n;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0 && optional && errno == ENOENT)
		return 0;
	if (in < 0) {
		fprintf(stderr, "jiaxiao: cannot read %s: %s\n", src,
		        strerror(errno));
		return -1;
	}
	fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "jiaxiao: cannot create %s: %s\n", dst,
		        strerror(errno));
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n) {
			n = -1;
			break;
		}
	close(in);
	if (n < 0 || fsync(fd) != 0) {
		close(fd);
		unlink(dst);
		return -1;
	}
	close(fd);
	return 0;
}

/* Copies the file service's blobs (<data_dir>/files/ab/cd/<sha256>) to
 * out/ab/cd/: hard links where out is on the same file system (a blob is
 * never changed, only unlinked by the sweep, so a link is a snapshot),
 * else copies. Called after the database copy, so every blob the copy
 * names is there, but for one the sweep removed meanwhile (then no row
 * used it). The number of blobs, or -1. */
static int64_t
cli_backup_files(const char *out)
{
	char top[PATH_MAX], d1[PATH_MAX + 264], d2[PATH_MAX + 528],
	    o1[PATH_MAX + 264], o2[PATH_MAX + 528], src[PATH_MAX + 800],
	    dst[PATH_MAX + 800];
	struct dirent *a, *b, *e;
	DIR *da, *db2, *dc;
	int64_t n = 0;

	snprintf(top, sizeof(top), "%s/files", app.data_dir);
	da = opendir(top);
	if (da == NULL)
		return errno == ENOENT ? 0 : -1;
	if (mkdir(out, 0700) != 0)
		goto fail;
	while ((a = readdir(da)) != NULL) {
		if (strlen(a->d_name) != 2 || a->d_name[0] == '.')
			continue;
		snprintf(d1, sizeof(d1), "%s/%s", top, a->d_name);
		snprintf(o1, sizeof(o1), "%s/%s", out, a->d_name);
		if ((db2 = opendir(d1)) == NULL)
			continue;
		mkdir(o1, 0700);
		while ((b = readdir(db2)) != NULL) {
			if (strlen(b->d_name) != 2 || b->d_name[0] == '.')
				continue;
			snprintf(d2, sizeof(d2), "%s/%s", d1, b->d_name);
			snprintf(o2, sizeof(o2), "%s/%s", o1, b->d_name);
			if ((dc = opendir(d2)) == NULL)
				continue;
			mkdir(o2, 0700);
			while ((e = readdir(dc)) != NULL) {
				if (strlen(e->d_name) != 64)
					continue;
				snprintf(src, sizeof(src), "%s/%s", d2,
				         e->d_name);
				snprintf(dst, sizeof(dst), "%s/%s", o2,
				         e->d_name);
				if (link(src, dst) != 0 &&
				    cli_copy_private(src, dst, 1) != 0) {
					closedir(dc);
					closedir(db2);
					goto fail;
				}
				n++;
			}
			closedir(dc);
		}
		closedir(db2);
	}
	closedir(da);
	return n;
fail:
	closedir(da);
	return -1;
}

static int
cli_backup(struct cli *c)
{
	char err[512], src[PATH_MAX + 32], dst[PATH_MAX + 32],
	    key[PATH_MAX + 32];
	jx_db *db;
	int rc;

	if (c->nargs != 1) {
		fprintf(stderr, "jiaxiao: backup needs one OUT path\n");
		return 2;
	}
	if (!cli_db_exists()) {
		fprintf(stderr, "jiaxiao: no database in %s\n", app.data_dir);
		return 1;
	}
	if (access(c->args[0], F_OK) == 0) {
		fprintf(stderr, "jiaxiao: %s exists; not overwriting it\n",
		        c->args[0]);
		return 1;
	}
	/* The audit checkpoint first: written only after commits, it is
	 * then at most as new as the copy of the database that follows, so
	 * the backup verifies (`audit verify`) with the checkpoint lagging,
	 * never leading. */
	snprintf(src, sizeof(src), "%s" AUDIT_CHECKPOINT_SUFFIX, app.db_path);
	snprintf(dst, sizeof(dst), "%s" AUDIT_CHECKPOINT_SUFFIX, c->args[0]);
	if (cli_copy_private(src, dst, 1) != 0)
		return 1;
	db = db_open(app.db_path);
	if (db == NULL)
		goto fail;
	rc = db_backup(db, c->args[0], err, sizeof(err));
	db_close(db);
	if (rc != 0) {
		fprintf(stderr, "jiaxiao: %s\n", err);
		goto fail;
	}
	/* The database is useless without its key: copy it beside. */
	snprintf(src, sizeof(src), "%s/secret.key", app.data_dir);
	snprintf(key, sizeof(key), "%s.secret.key", c->args[0]);
	if (cli_copy_private(src, key, 0) != 0)
		goto fail;
	/* Uploads (files.c) beside: restore as <data_dir>/files. */
	snprintf(src, sizeof(src), "%s.files", c->args[0]);
	if (cli_backup_files(src) < 0) {
		fprintf(stderr, "jiaxiao: cannot copy the files to %s: %s\n",
		        src, strerror(errno));
		unlink(key);
		goto fail;
	}
	printf("backup written to %s (key: %s; audit checkpoint: %s; "
	       "uploads: %s; keep them together, and the key secret)\n",
	       c->args[0], key, dst, src);
	return 0;
fail:
	unlink(c->args[0]);
	unlink(dst);
	return 1;
}

static int
cli_audit(struct cli *c)
{
	char err[512], msg[1024];
	jx_db *db;
	int rc;

	if (c->nargs != 1 || strcmp(c->args[0], "verify") != 0) {
		fprintf(stderr, "usage: jiaxiao audit verify [-c FILE] "
		                "[--data DIR]\n");
		return 2;
	}
	if (!cli_db_exists()) {
		fprintf(stderr, "jiaxiao: no database in %s\n", app.data_dir);
		return 1;
	}
	/* The chain and its checkpoint are keyed. */
	if (crypto_setup(app.data_dir, 0, 1, err, sizeof(err)) != 0) {
		fprintf(stderr, "jiaxiao: %s\n", err);
		return 1;
	}
	db = db_open(app.db_path);
	if (db == NULL)
		return 1;
	rc = audit_check(db, msg, sizeof(msg));
	db_close(db);
	if (rc < 0) {
		fprintf(stderr, "jiaxiao: %s\n", msg);
		return 1;
	}
	printf("%s\n", msg);
	return rc == 0 ? 0 : 1;
}

int
cli_main(int argc, char **argv)
{
	struct cli c;
	int rc = 2;

	if (argc >= 2 &&
	    (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	     strcmp(argv[1], "help") == 0)) {
		cli_usage(stdout);
		return 0;
	}
	if (cli_parse(argc, argv, &c) != 0) {
		cli_usage(stderr);
		goto out;
	}
	if (strcmp(c.cmd, "init") != 0 && strcmp(c.cmd, "serve") != 0 &&
	    strcmp(c.cmd, "demo") != 0 && strcmp(c.cmd, "plugins") != 0 &&
	    strcmp(c.cmd, "backup") != 0 && strcmp(c.cmd, "audit") != 0 &&
	    strcmp(c.cmd, "rules") != 0) {
		fprintf(stderr, "jiaxiao: unknown command '%s'\n", c.cmd);
		cli_usage(stderr);
		goto out;
	}
	if (cli_setup(&c) != 0) {
		rc = 1;
		goto out;
	}
	if (strcmp(c.cmd, "init") == 0)
		rc = cli_init_db(&c) == 0 ? 0 : 1;
	else if (strcmp(c.cmd, "serve") == 0)
		rc = cli_serve();
	else if (strcmp(c.cmd, "demo") == 0) {
		rc = 0;
		/* The demo's administrator shares the demo password. */
		if (c.admin_password == NULL)
			c.admin_password = DEMO_PASSWORD;
		if (!cli_db_exists())
			rc = cli_init_db(&c) == 0 ? 0 : 1;
		if (rc == 0)
			rc = cli_demo();
		if (rc == 0)
			rc = cli_serve();
	} else if (strcmp(c.cmd, "plugins") == 0)
		rc = cli_plugins();
	else if (strcmp(c.cmd, "audit") == 0)
		rc = cli_audit(&c);
	else if (strcmp(c.cmd, "rules") == 0)
		rc = cli_rules(&c);
	else
		rc = cli_backup(&c);
	app_free();
out:
	free(c.sets);
	free(c.args);
	return rc;
}
