/*
 * test_idrules.c — the key-information checks in Lua: scripts/lib/idcard.lua
 * (the ID number per GB 11643: format, MOD 11-2 check digit of every
 * value including X, real and plausible birth dates, province prefixes,
 * permits and the foreign permanent-residence ID), scripts/lib/xuejihao.lua
 * (the G, J and L forms of the 全国学籍号) and keyinfo_check of
 * scripts/rules/default.lua with and without a district's 市网学籍号
 * pattern. Each case asserts the exact list of levels and codes, so an
 * extra or a missing report fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>
#include <lua.h>

#include "check.h"
#include "luaenv.h"

static char errbuf[1024];

static const char *
source_dir(void)
{
	const char *d = getenv("JX_SOURCE_DIR");

	return d != NULL && *d != '\0' ? d : JX_SOURCE_DIR;
}

/* 2026-10-01 12:00 UTC: the school year started on 2026-09-01. */
static int64_t
fixed_now(void)
{
	return 1790856000;
}

static struct luaenv *
idrules_env(void)
{
	char scripts[4096], templates[4096];
	struct luaenv_opts o = {0};

	snprintf(scripts, sizeof(scripts), "%s/scripts", source_dir());
	snprintf(templates, sizeof(templates), "%s/templates", source_dir());
	o.scripts_dir = scripts;
	o.templates_dir = templates;
	o.now = fixed_now;
	return luaenv_new(&o);
}

/* The check character of 17 digits, computed here independently. */
static char
idrules_check_char(const char *base17)
{
	static const int w[17] = {7, 9, 10, 5,  8, 4, 2, 1, 6,
	                          3, 7, 9,  10, 5, 8, 4, 2};
	int sum = 0, i;

	for (i = 0; i < 17; i++)
		sum += (base17[i] - '0') * w[i];
	return "10X98765432"[sum % 11];
}

/* base17 with its valid check character, into out (19 bytes). */
static const char *
idrules_make(char *out, const char *base17)
{
	memcpy(out, base17, 17);
	out[17] = idrules_check_char(base17);
	out[18] = '\0';
	return out;
}

/*
 * Calls require(mod)[fn](args...) with the elements of the JSON array
 * args_json; returns all results as a JSON array (caller frees), or NULL
 * with errbuf.
 */
static cJSON *
idrules_lib(struct luaenv *env, const char *mod, const char *fn,
            const char *args_json)
{
	static const char src[] =
	    "local a = table.pack(...)\n"
	    "local r = table.pack(require(a[1])[a[2]](table.unpack(a, 3, "
	    "a.n)))\n"
	    "r.n = nil\n"
	    "return r\n";
	lua_State *L = luaenv_state(env);
	cJSON *args = cJSON_Parse(args_json), *a, *out = NULL;
	int top = lua_gettop(L), n = 2;

	errbuf[0] = '\0';
	if (args == NULL) {
		snprintf(errbuf, sizeof(errbuf), "bad test JSON: %s",
		         args_json);
		return NULL;
	}
	if (luaenv_load(env, src, strlen(src), "test", errbuf, sizeof(errbuf)) <
	    0)
		goto fail;
	lua_pushstring(L, mod);
	lua_pushstring(L, fn);
	cJSON_ArrayForEach(a, args)
	{
		luaenv_push_json(L, a);
		n++;
	}
	if (luaenv_pcall(env, n, 1, errbuf, sizeof(errbuf)) < 0)
		goto fail;
	out = luaenv_to_json(L, -1);
	if (out == NULL)
		snprintf(errbuf, sizeof(errbuf), "result not representable");
fail:
	lua_settop(L, top);
	cJSON_Delete(args);
	return out;
}

/* 1 when s holds Chinese and no run of two or more Latin letters (a
 * check character X or a province code may stand alone). */
static int
idrules_chinese_only(const char *s)
{
	int run = 0, cjk = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p >= 0xe4 && *p <= 0xe9)
			cjk = 1;
		run = ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z') ? run + 1 : 0;
		if (run >= 2)
			return 0;
	}
	return cjk;
}

/* 1 when s is non-empty ASCII (the English message). */
static int
idrules_ascii_only(const char *s)
{
	if (*s == '\0')
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p >= 0x80)
			return 0;
	return 1;
}

/* The reports of list as "[field:]level:code,..." into out. */
static void
idrules_summary(const cJSON *list, char *out, size_t outlen)
{
	const cJSON *i;
	size_t len = 0;

	out[0] = '\0';
	if (!cJSON_IsArray(list)) {
		snprintf(out, outlen, "(not a list)");
		return;
	}
	cJSON_ArrayForEach(i, list)
	{
		const cJSON *f = cJSON_GetObjectItem(i, "field");
		const cJSON *l = cJSON_GetObjectItem(i, "level");
		const cJSON *c = cJSON_GetObjectItem(i, "code");
		const cJSON *m = cJSON_GetObjectItem(i, "message");
		const cJSON *en = cJSON_GetObjectItem(i, "message_en");

		/* Every report carries a message in Chinese only (no English
		 * word in it: a zh-CN page shows it as it is) and one in
		 * English only (issue 13). */
		if (!cJSON_IsString(m) ||
		    !idrules_chinese_only(m->valuestring) ||
		    !cJSON_IsString(en) || !idrules_ascii_only(en->valuestring))
			len += (size_t)snprintf(out + len, outlen - len,
			                        "(bad message)");
		len += (size_t)snprintf(
		    out + len, len < outlen ? outlen - len : 0, "%s%s%s%s:%s",
		    len > 0 ? "," : "", f ? f->valuestring : "", f ? ":" : "",
		    l && l->valuestring ? l->valuestring : "?",
		    c && c->valuestring ? c->valuestring : "?");
		if (len >= outlen)
			return;
	}
}

/* require(mod).check(value [, opts_json]) gives exactly want. */
static void
idrules_expect(struct luaenv *env, const char *mod, const char *value,
               const char *opts_json, const char *want, int line)
{
	char args[1024], got[1024];
	cJSON *v = cJSON_CreateString(value), *res;
	char *vs = cJSON_PrintUnformatted(v);

	snprintf(args, sizeof(args), "[%s%s%s]", vs, opts_json ? "," : "",
	         opts_json ? opts_json : "");
	free(vs);
	cJSON_Delete(v);
	res = idrules_lib(env, mod, "check", args);
	CHECK(res != NULL);
	if (res == NULL) {
		fprintf(stderr, "line %d: %s.check(%s): %s\n", line, mod, args,
		        errbuf);
		return;
	}
	idrules_summary(cJSON_GetArrayItem(res, 0), got, sizeof(got));
	if (strcmp(got, want) != 0)
		fprintf(stderr, "line %d: %s.check(%s)\n", line, mod, args);
	CHECK_STR(got, want);
	cJSON_Delete(res);
}

#define ID(value, opts, want)                                                  \
	idrules_expect(env, "idcard", value, opts, want, __LINE__)
#define XJH(value, opts, want)                                                 \
	idrules_expect(env, "xuejihao", value, opts, want, __LINE__)

/* require(mod)[fn](args) printed as JSON equals want. */
static void
idrules_expect_json(struct luaenv *env, const char *mod, const char *fn,
                    const char *args, const char *want, int line)
{
	cJSON *res = idrules_lib(env, mod, fn, args);
	char *printed;

	CHECK(res != NULL);
	if (res == NULL) {
		fprintf(stderr, "line %d: %s.%s: %s\n", line, mod, fn, errbuf);
		return;
	}
	printed = cJSON_PrintUnformatted(res);
	if (strcmp(printed, want) != 0)
		fprintf(stderr, "line %d: %s.%s(%s)\n", line, mod, fn, args);
	CHECK_STR(printed, want);
	free(printed);
	cJSON_Delete(res);
}

#define CALL(mod, fn, args, want)                                              \
	idrules_expect_json(env, mod, fn, args, want, __LINE__)

static void
test_standard_and_normalize(struct luaenv *env)
{
	/* The example of GB 11643-1999. */
	ID("11010519491231002X", NULL, "");
	ID("11010519491231002x", NULL, "");
	ID("  11010519491231002x\t", NULL, "");
	/* Full-width digits and X, an ideographic space. */
	ID("\xe3\x80\x80\xef\xbc\x91\xef\xbc\x91"
	   "010519491231002\xef\xbc\xb8",
	   NULL, "");
	ID("\xef\xbc\x91\xef\xbc\x91\xef\xbc\x90\xef\xbc\x91\xef\xbc\x90"
	   "\xef\xbc\x95\xef\xbc\x91\xef\xbc\x99\xef\xbc\x94\xef\xbc\x99"
	   "\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93\xef\xbc\x91\xef\xbc\x90"
	   "\xef\xbc\x90\xef\xbc\x92\xef\xbd\x98",
	   NULL, "");
	CALL("idcard", "normalize", "[\" 11010519491231002x \"]",
	     "[\"11010519491231002X\"]");
	CALL("idcard", "birth", "[\"11010519491231002x\"]", "[1949,12,31]");
	CALL("idcard", "gender", "[\"11010519491231002X\"]", "[\"女\"]");
	CALL("idcard", "gender", "[\"11010519491231001X\"]", "[\"男\"]");
	CALL("idcard", "birth", "[\"110105194912310\"]", "[]");
	CALL("idcard", "birth", "[\"110105194913310021\"]", "[]");
	CALL("idcard", "gender", "[\"1101051949123100\"]", "[]");
	/* The wrong check digit of the example. */
	ID("110105194912310021", NULL, "error:check_digit");
	ID("", NULL, "error:empty");
	ID("   ", NULL, "error:empty");
	ID("11010519491231002", NULL, "error:format");
	ID("11010519491231002XX", NULL, "error:format");
	ID("1101051949123100X2", NULL, "error:format");
	ID("11010519491231002Y", NULL, "error:format");
	ID("1101051949-231002X", NULL, "error:format");
}

/* Every check character 0-9 and X is computed right; the next character
 * in its place is refused. */
static void
test_every_check_digit(struct luaenv *env)
{
	static const char next[] = "0123456789X";
	char base[18], id[19], seen[11] = {0};
	int seq, found = 0;

	for (seq = 0; seq < 1000 && found < 11; seq++) {
		const char *p;
		int k;

		snprintf(base, sizeof(base), "43010220100315%03d", seq);
		idrules_make(id, base);
		p = strchr(next, id[17]);
		k = (int)(p - next);
		if (seen[k])
			continue;
		seen[k] = 1;
		found++;
		ID(id, NULL, "");
		CHECK(idrules_check_char(base) == id[17]);
		id[17] = next[(k + 1) % 11];
		ID(id, NULL, "error:check_digit");
		/* A lower-case x where X is due is the same number. */
		if (next[k] == 'X') {
			idrules_make(id, base);
			id[17] = 'x';
			ID(id, NULL, "");
		}
	}
	CHECK(found == 11);
}

static void
test_dates(struct luaenv *env)
{
	char id[19];

	/* Feb 29: 2000 and 2012 are leap years, 1900 and 2011 are not. */
	ID(idrules_make(id, "43010220000229123"), NULL, "");
	ID(idrules_make(id, "43010220120229123"), NULL, "");
	ID(idrules_make(id, "43010220110229123"), NULL, "error:birth_date");
	ID(idrules_make(id, "43010219000229123"), NULL, "error:birth_date");
	ID(idrules_make(id, "43010220120230123"), NULL, "error:birth_date");
	ID(idrules_make(id, "43010220121301123"), NULL, "error:birth_date");
	ID(idrules_make(id, "43010220120001123"), NULL, "error:birth_date");
	ID(idrules_make(id, "43010220120431123"), NULL, "error:birth_date");
	ID(idrules_make(id, "43010220120100123"), NULL, "error:birth_date");
	ID(idrules_make(id, "43010218991231123"), NULL, "error:birth_date");
	/* After "today" (2026-10-01 by the test clock, or opts.today). */
	ID(idrules_make(id, "43010220261002123"), NULL, "error:birth_future");
	ID(idrules_make(id, "43010220261001123"), NULL, "");
	ID(idrules_make(id, "43010220261001123"), "{\"today\":\"2026-09-30\"}",
	   "error:birth_future");
	/* Several problems at once, each at its own level. */
	id[0] = '0';
	ID(id, NULL, "error:province,error:check_digit");
	ID("000102201213011230", NULL,
	   "error:province,error:birth_date,error:check_digit");
	CALL("idcard", "birth", "[\"430102201202301231\"]", "[]");
	CALL("idcard", "birth", "[\"430102201202291231\"]", "[2012,2,29]");
}

static void
test_grade_age(struct luaenv *env)
{
	char id[19];

	/* Grade 3 in the school year starting 2026-09-01: usually 8 to 10,
	 * no warning from 7 to 12. */
	ID(idrules_make(id, "43010220180301123"), "{\"grade\":3}", "");
	ID(idrules_make(id, "43010220180301123"), "{\"grade\":\"3\"}", "");
	ID(idrules_make(id, "43010220190901123"), "{\"grade\":3}", "");
	ID(idrules_make(id, "43010220190902123"), "{\"grade\":3}",
	   "warning:birth_age");
	ID(idrules_make(id, "43010220140901123"), "{\"grade\":3}", "");
	ID(idrules_make(id, "43010220130901123"), "{\"grade\":3}",
	   "warning:birth_age");
	ID(idrules_make(id, "43010219900101123"), "{\"grade\":9}",
	   "warning:birth_age");
	/* The age counts from the school year of opts.today. */
	ID(idrules_make(id, "43010220190901123"),
	   "{\"grade\":3,\"today\":\"2027-08-31\"}", "");
	ID(idrules_make(id, "43010220190902123"),
	   "{\"grade\":3,\"today\":\"2027-09-01\"}", "");
	/* An os.time value as today. */
	ID(idrules_make(id, "43010220190902123"),
	   "{\"grade\":3,\"today\":1820000000}", "");
	/* No grade or one that is not a grade: no age check. */
	ID(idrules_make(id, "43010219900101123"), NULL, "");
	ID(idrules_make(id, "43010219900101123"), "{\"grade\":\"x\"}", "");
	/* The warning does not hide an error. */
	ID("43010219900101123X", "{\"grade\":2}",
	   "error:check_digit,warning:birth_age");
}

static void
test_prefixes(struct luaenv *env)
{
	char id[19];

	ID(idrules_make(id, "00010220100315123"), NULL, "error:province");
	ID(idrules_make(id, "99010220100315123"), NULL, "error:province");
	ID(idrules_make(id, "10010220100315123"), NULL, "error:province");
	ID(idrules_make(id, "16010220100315123"), NULL, "error:province");
	ID(idrules_make(id, "47010220100315123"), NULL, "error:province");
	ID(idrules_make(id, "66010220100315123"), NULL, "error:province");
	ID(idrules_make(id, "72010220100315123"), NULL, "error:province");
	ID(idrules_make(id, "84000020100315123"), NULL, "error:province");
	/* Every province range, edges included. */
	ID(idrules_make(id, "11010220100315123"), NULL, "");
	ID(idrules_make(id, "15010220100315123"), NULL, "");
	ID(idrules_make(id, "21010220100315123"), NULL, "");
	ID(idrules_make(id, "23010220100315123"), NULL, "");
	ID(idrules_make(id, "31010220100315123"), NULL, "");
	ID(idrules_make(id, "37010220100315123"), NULL, "");
	ID(idrules_make(id, "41010220100315123"), NULL, "");
	ID(idrules_make(id, "46010220100315123"), NULL, "");
	ID(idrules_make(id, "50010220100315123"), NULL, "");
	ID(idrules_make(id, "54010220100315123"), NULL, "");
	ID(idrules_make(id, "61010220100315123"), NULL, "");
	ID(idrules_make(id, "65010220100315123"), NULL, "");
	ID(idrules_make(id, "71000020100315123"), NULL, "");
	/* Historical areas stay valid: 432302 was Yiyang county (益阳地区)
	 * until 1994, 430111 a district code before re-zoning; 439999 never
	 * existed but sits under a valid province. */
	ID(idrules_make(id, "43230219700101123"), NULL, "");
	ID(idrules_make(id, "43011119800101123"), NULL, "");
	ID(idrules_make(id, "43999919800101123"), NULL, "");
	/* HK, Macau and Taiwan residents' residence permits. */
	ID(idrules_make(id, "81000020100315123"), NULL, "");
	ID(idrules_make(id, "82000020100315123"), NULL, "");
	ID(idrules_make(id, "83000020100315123"), NULL, "");
	ID(idrules_make(id, "81000020100315123"), "{\"grade\":10}", "");
	ID(idrules_make(id, "81010120100315123"), NULL, "error:area");
	ID(idrules_make(id, "83000120100315123"), NULL, "error:area");
	/* The 2023 foreign permanent-residence ID: 9, the issuing province,
	 * the nationality (840), birth date, sequence, check digit. */
	ID(idrules_make(id, "91184020100315123"), NULL, "");
	ID(idrules_make(id, "94325019850707002"), NULL, "");
	ID(idrules_make(id, "90084020100315123"), NULL, "error:province");
	ID(idrules_make(id, "91184020100231123"), NULL, "error:birth_date");
	idrules_make(id, "91184020100315123");
	id[17] = id[17] == '0' ? '1' : '0';
	ID(id, NULL, "error:check_digit");
}

static void
test_xuejihao(struct luaenv *env)
{
	char no[64], id[19], other[19];

	/* G + the ID number. */
	XJH("G11010519491231002X", NULL, "");
	XJH("g11010519491231002x", NULL, "");
	XJH(" G11010519491231002X ", "{\"id_number\":\"11010519491231002X\"}",
	    "");
	XJH("G11010519491231002X", "{\"id_number\":\"11010519491231002x\"}",
	    "");
	XJH("G110105194912310021", NULL, "error:check_digit");
	XJH("G00010519491231002X", NULL, "error:province,error:check_digit");
	XJH(idrules_make(id, "G4301022010022912"), NULL, "error:format");
	snprintf(no, sizeof(no), "G%s", idrules_make(id, "43010220110229123"));
	XJH(no, NULL, "error:birth_date");
	snprintf(no, sizeof(no), "G%s", idrules_make(id, "81000020100315123"));
	XJH(no, NULL, "");
	/* The G number of an earlier ID: a warning only. */
	snprintf(no, sizeof(no), "G%s", idrules_make(id, "43010220100315123"));
	idrules_make(other, "43010220100315456");
	{
		char opts[128];

		snprintf(opts, sizeof(opts), "{\"id_number\":\"%s\"}", other);
		XJH(no, opts, "warning:g_id_mismatch");
		snprintf(opts, sizeof(opts), "{\"id_number\":\"%s\"}", id);
		XJH(no, opts, "");
	}
	XJH("G11010519491231002", NULL, "error:format");
	XJH("G11010519491231002X1", NULL, "error:format");

	/* J + 18 characters with the MOD 11-2 check digit. */
	snprintf(no, sizeof(no), "J%s", idrules_make(id, "43010220100315001"));
	XJH(no, NULL, "");
	no[18] = no[18] == '0' ? '1' : '0';
	XJH(no, NULL, "error:check_digit");
	snprintf(no, sizeof(no), "j%s", idrules_make(id, "43010220100315001"));
	XJH(no, NULL, "");
	snprintf(no, sizeof(no), "J%s", idrules_make(id, "43010220101315001"));
	XJH(no, NULL, "error:birth_date");
	XJH("J4301022010031500", NULL, "error:format");
	XJH("J43010220100315001A", NULL, "error:format");

	/* L + area + birth date + 4 digits, no check digit. */
	XJH("L43010220150607000A", NULL, "error:format");
	XJH("L4301022015060700011", NULL, "error:format");
	XJH("L430102201506070001", NULL, "");
	XJH("L430102201506070002", NULL, "");
	XJH("l430102201602290001", NULL, "");
	XJH("L430102201502290001", NULL, "error:birth_date");
	XJH("L430102201513010001", NULL, "error:birth_date");
	XJH("L000102201506070001", NULL, "error:province");

	/* Anything else. */
	XJH("", NULL, "error:empty");
	XJH("11010519491231002X", NULL, "error:format");
	XJH("X11010519491231002X", NULL, "error:format");
	XJH("4301021234567890", NULL, "error:format");
	XJH("G", NULL, "error:format");
}

/*
 * keyinfo_check(student) of district source (NULL: the defaults alone)
 * gives exactly want ("field:level:code,...").
 */
static void
idrules_keyinfo(struct luaenv *env, int64_t district, const char *source,
                const char *student, const char *want, int line)
{
	cJSON *args = cJSON_CreateArray(), *res = NULL;
	char got[1024];
	int rc;

	cJSON_AddItemToArray(args, cJSON_Parse(student));
	rc =
	    luaenv_call_district_rule(env, district, 1, source, "keyinfo_check",
	                              args, &res, errbuf, sizeof(errbuf));
	cJSON_Delete(args);
	CHECK(rc == 0);
	if (rc != 0) {
		fprintf(stderr, "line %d: keyinfo_check(%s): %s\n", line,
		        student, errbuf);
		return;
	}
	idrules_summary(res, got, sizeof(got));
	if (strcmp(got, want) != 0)
		fprintf(stderr, "line %d: keyinfo_check(%s)\n", line, student);
	CHECK_STR(got, want);
	cJSON_Delete(res);
}

#define KEY_D(student, want)                                                   \
	idrules_keyinfo(env, 1, district_src, student, want, __LINE__)
#define KEY(student, want)                                                     \
	idrules_keyinfo(env, 2, NULL, student, want, __LINE__)

static void
test_keyinfo(struct luaenv *env)
{
	static const char district_src[] =
	    "city_no_pattern = \"^43%d%d%d%d%d%d%d%d%d%d$\"\n"
	    "city_no_form = \"43 开头的 12 位数字\"\n";
	cJSON *args, *res = NULL;
	char got[256];

	/* Missing values are not reported here. */
	KEY("{\"name\":\"张三\"}", "");
	KEY("{\"name\":\"张三\",\"id_number\":\"\",\"national_no\":\" \","
	    "\"city_no\":\"\"}",
	    "");
	KEY_D("{\"name\":\"张三\"}", "");
	KEY("{\"name\":\"张三\",\"grade\":3,\"id_number\":"
	    "\"43010220180301123X\",\"national_no\":\"G43010220180301123X\","
	    "\"city_no\":\"12345\"}",
	    "");

	/* The default 市网学籍号: digits only. */
	KEY("{\"city_no\":\"0012345\"}", "");
	KEY("{\"city_no\":4300000001}", "");
	KEY("{\"city_no\":\"12a45\"}", "city_no:error:format");
	KEY("{\"city_no\":\"-12\"}", "city_no:error:format");
	/* The district's pattern. */
	KEY_D("{\"city_no\":\"430000000001\"}", "");
	KEY_D("{\"city_no\":\" 430000000001 \"}", "");
	KEY_D("{\"city_no\":\"12345\"}", "city_no:error:format");
	KEY_D("{\"city_no\":\"4300000000011\"}", "city_no:error:format");
	KEY_D("{\"city_no\":\"43000000000a\"}", "city_no:error:format");

	/* ID number problems, with the grade's age check. */
	KEY("{\"id_number\":\"430102201803011230\"}",
	    "id_number:error:check_digit");
	KEY("{\"grade\":9,\"id_number\":\"43010220180301123X\"}",
	    "id_number:warning:birth_age");
	KEY_D("{\"grade\":3,\"id_number\":\"43010220180301123X\"}", "");
	KEY("{\"id_number\":\"000102201803011231\"}",
	    "id_number:error:province,id_number:error:check_digit");

	/* 全国学籍号 against the ID number. */
	KEY("{\"id_number\":\"430102201803014561\","
	    "\"national_no\":\"G43010220180301123X\"}",
	    "national_no:warning:g_id_mismatch");
	KEY("{\"national_no\":\"G43010220180301123X\"}", "");
	KEY("{\"national_no\":\"Z43010220180301123X\"}",
	    "national_no:error:format");
	KEY_D("{\"id_number\":\"430102201803011230\","
	      "\"national_no\":\"G430102201803011230\","
	      "\"city_no\":\"99\"}",
	      "id_number:error:check_digit,national_no:error:check_digit,"
	      "city_no:error:format");

	/* The shipped example district: 43 and ten digits. */
	{
		char path[4096], *example = NULL;
		size_t len;
		struct stat st;

		snprintf(path, sizeof(path), "%s/scripts/districts/example.lua",
		         source_dir());
		CHECK(luaenv_read_file(path, 1 << 20, &example, &len, &st) ==
		      0);
		if (example != NULL) {
			idrules_keyinfo(env, 4, example,
			                "{\"city_no\":\"430123456789\"}", "",
			                __LINE__);
			idrules_keyinfo(env, 4, example,
			                "{\"city_no\":\"440123456789\"}",
			                "city_no:error:format", __LINE__);
		}
		free(example);
	}

	/* The defaults alone through luaenv_call_rule (no R argument). */
	args = cJSON_Parse("[{\"city_no\":\"1x\"}]");
	CHECK(luaenv_call_rule(env, "keyinfo_check", args, &res, errbuf,
	                       sizeof(errbuf)) == 0);
	idrules_summary(res, got, sizeof(got));
	CHECK_STR(got, "city_no:error:format");
	cJSON_Delete(res);
	cJSON_Delete(args);

	/* A district overriding the whole rule is used instead. */
	args = cJSON_Parse("[{\"city_no\":\"1x\"}]");
	CHECK(luaenv_call_district_rule(
	          env, 3, 1, "function keyinfo_check(s, R) return {} end",
	          "keyinfo_check", args, &res, errbuf, sizeof(errbuf)) == 0);
	CHECK(cJSON_IsArray(res) && cJSON_GetArraySize(res) == 0);
	cJSON_Delete(res);
	cJSON_Delete(args);
}

int
main(void)
{
	struct luaenv *env = idrules_env();
	char id[19];

	CHECK(env != NULL);
	if (env == NULL)
		return check_done();
	/* The test's own check characters agree with the standard. */
	CHECK(idrules_check_char("11010519491231002") == 'X');
	CHECK_STR(idrules_make(id, "43010220180301123"), "43010220180301123X");
	CHECK_STR(idrules_make(id, "43010220180301456"), "430102201803014561");
	test_standard_and_normalize(env);
	test_every_check_digit(env);
	test_dates(env);
	test_grade_age(env);
	test_prefixes(env);
	test_xuejihao(env);
	test_keyinfo(env);
	luaenv_free(env);
	return check_done();
}
