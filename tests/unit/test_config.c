/* test_config.c — defaults, the Lua config file, its sandbox, --set. */
#include "check.h"
#include "host.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char *
write_tmp(const char *text)
{
	static char path[64];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/jxcfgXXXXXX");
	fd = mkstemp(path);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

int
main(void)
{
	struct config c;
	char err[512];
	char *sets[] = {"threads=8",
	                "wechat.api_base=http://127.0.0.1:9000",
	                "plugins={\"a\",\"b\"}",
	                "tls=true",
	                "new.deep.key=hello",
	                "listen=0.0.0.0:9999",
	                "districts.430102.modules={'roster'}"};
	char *path;

	/* defaults only */
	CHECK(config_load(&c, NULL, NULL, 0, err, sizeof(err)) == 0);
	CHECK_STR(config_string(&c, "listen"), "127.0.0.1:8080");
	CHECK(config_int(&c, "threads", 0) == 512);
	CHECK(config_int(&c, "http.header_timeout_ms", 0) == 10000);
	CHECK(config_int(&c, "http.keep_alive_ms", 0) == 2000);
	CHECK(config_int(&c, "auth.queue_length", -1) == 64);
	CHECK(config_int(&c, "auth.queue_wait_ms", 0) == 10000);
	CHECK(config_int(&c, "session.idle_minutes", 0) == 30);
	CHECK(config_int(&c, "lua.instructions", 0) == 10000000);
	CHECK(config_int(&c, "limits.body_bytes", 0) == 1048576);
	CHECK(config_int(&c, "auth.spray_failures_per_minute", 0) == 100);
	CHECK_STR(config_string(&c, "timezone"), "Asia/Shanghai");
	CHECK(config_bool(&c, "tls", 1) == 0);
	CHECK(config_int(&c, "no.such.key", 7) == 7);
	CHECK(config_get(&c, "plugins") == NULL);
	config_free(&c);

	/* a file laid over the defaults, then --set */
	path = write_tmp("local t = { threads = 16, session = "
	                 "{ idle_minutes = 5 } }\n"
	                 "t.public_url = 'https://jx.example.cn'\n"
	                 "return t\n");
	CHECK(config_load(&c, path, sets, 7, err, sizeof(err)) == 0);
	CHECK(config_int(&c, "threads", 0) == 8);
	/* merge keeps the default beside the overridden key */
	CHECK(config_int(&c, "session.idle_minutes", 0) == 5);
	CHECK(config_int(&c, "session.absolute_hours", 0) == 12);
	CHECK_STR(config_string(&c, "public_url"), "https://jx.example.cn");
	CHECK_STR(config_string(&c, "wechat.api_base"),
	          "http://127.0.0.1:9000");
	CHECK(cJSON_IsArray(config_get(&c, "plugins")));
	CHECK(cJSON_GetArraySize(config_get(&c, "plugins")) == 2);
	CHECK(config_bool(&c, "tls", 0) == 1);
	CHECK_STR(config_string(&c, "new.deep.key"), "hello");
	CHECK_STR(config_string(&c, "listen"), "0.0.0.0:9999");
	CHECK(cJSON_IsArray(config_get(&c, "districts.430102.modules")));
	/* a number indexes an array: how a plugin reads a list */
	CHECK_STR(config_string(&c, "districts.430102.modules.0"), "roster");
	CHECK(config_string(&c, "districts.430102.modules.1") == NULL);
	CHECK_STR(config_string(&c, "plugins.1"), "b");
	CHECK(config_string(&c, "plugins.x") == NULL);
	CHECK(config_string(&c, "plugins.-1") == NULL);
	config_free(&c);
	unlink(path);

	/* the sandbox: no io, os or require, and no endless loop */
	path = write_tmp("return { x = io.open('/etc/passwd') }");
	CHECK(config_load(&c, path, NULL, 0, err, sizeof(err)) == -1);
	config_free(&c);
	unlink(path);
	path = write_tmp("os.execute('true') return {}");
	CHECK(config_load(&c, path, NULL, 0, err, sizeof(err)) == -1);
	config_free(&c);
	unlink(path);
	path = write_tmp("while true do end");
	CHECK(config_load(&c, path, NULL, 0, err, sizeof(err)) == -1);
	CHECK(strstr(err, "too long") != NULL);
	config_free(&c);
	unlink(path);
	/* a syntax error names the line */
	path = write_tmp("return {\n threads = ,\n}");
	CHECK(config_load(&c, path, NULL, 0, err, sizeof(err)) == -1);
	CHECK(strstr(err, ":2:") != NULL);
	config_free(&c);
	unlink(path);
	path = write_tmp("return 42");
	CHECK(config_load(&c, path, NULL, 0, err, sizeof(err)) == -1);
	config_free(&c);
	unlink(path);
	CHECK(config_load(&c, "/nonexistent/x.lua", NULL, 0, err,
	                  sizeof(err)) == -1);
	config_free(&c);

	/* malformed --set */
	CHECK(config_load(&c, NULL, NULL, 0, err, sizeof(err)) == 0);
	CHECK(config_set(&c, "novalue", err, sizeof(err)) == -1);
	CHECK(config_set(&c, "=x", err, sizeof(err)) == -1);
	config_free(&c);
	return check_done();
}
