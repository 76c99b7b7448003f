/*
 * luaguard.c — guards on the C library functions the count hook cannot
 * interrupt (see luaenv.h): the string pattern functions, whose work is
 * bounded from the pattern and the subject before the call, string.rep,
 * the functions linear in their string arguments, and the table functions
 * looping over a range the script chooses. Each charges its work to the
 * running call's instruction budget, or refuses what no budget could pay.
 */
#include "luaenv_int.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

#include <lauxlib.h>

/*
 * What costs one instruction of budget: two steps of the pattern matcher
 * (measured: the slowest pattern call the guard lets through then takes
 * less time than the whole budget spent in VM instructions), or sixteen
 * bytes copied.
 */
#define LUAENV_STEPS_PER_INSN 2
#define LUAENV_BYTES_PER_INSN 16
#define LUAENV_MAX_PATTERN 1024

static void
luaenv_charge_d(lua_State *L, double cost)
{
	luaenv_charge(L, cost >= 4e18 ? INT64_MAX : (int64_t)cost);
}

/*
 * The pattern matcher backtracks inside one C call: `("a*"):rep(6).."b"`
 * on fifty "a"s takes seconds without a single VM instruction. Before a
 * call we bound its work from the pattern and the subject, charge that
 * bound to the call's budget, and refuse calls no budget could pay for.
 * The bound follows lstrlib's do_match: at each start position, the item
 * after k quantified items is tried at most (product of their choices)
 * times, and a quantified item has at most (its longest run + 1) choices.
 */
struct pat {
	const unsigned char *s; /* the subject, from init */
	size_t n;
	int refine; /* measure runs on the subject instead of assuming n */
};

/* lstrlib's classEnd: the end of the single-char class at p, or NULL if
 * malformed (the real matcher then raises when it gets there). */
static const char *
pat_class_end(const char *p, const char *pe)
{
	if (*p == '%')
		return p + 1 < pe ? p + 2 : NULL;
	if (*p != '[')
		return p + 1;
	p++;
	if (p < pe && *p == '^')
		p++;
	do {
		if (p >= pe)
			return NULL;
		if (*p++ == '%' && p < pe)
			p++;
	} while (p >= pe || *p != ']');
	return p + 1;
}

static int
pat_match_class(int c, int cl)
{
	int res;

	switch (tolower(cl)) {
	case 'a': res = isalpha(c); break;
	case 'c': res = iscntrl(c); break;
	case 'd': res = isdigit(c); break;
	case 'g': res = isgraph(c); break;
	case 'l': res = islower(c); break;
	case 'p': res = ispunct(c); break;
	case 's': res = isspace(c); break;
	case 'u': res = isupper(c); break;
	case 'w': res = isalnum(c); break;
	case 'x': res = isxdigit(c); break;
	default: return cl == c;
	}
	return isupper(cl) ? !res : res != 0;
}

/* lstrlib's matchbracketclass; p at '[', ec at its ']'. */
static int
pat_match_bracket(int c, const char *p, const char *ec)
{
	int sig = 1;

	if (p[1] == '^') {
		sig = 0;
		p++;
	}
	while (++p < ec) {
		if (*p == '%') {
			p++;
			if (pat_match_class(c, (unsigned char)*p))
				return sig;
		} else if (p[1] == '-' && p + 2 < ec) {
			p += 2;
			if ((unsigned char)p[-2] <= c && c <= (unsigned char)*p)
				return sig;
		} else if ((unsigned char)*p == c) {
			return sig;
		}
	}
	return !sig;
}

static void
pat_set(const char *p, const char *ep, unsigned char set[256])
{
	int c;

	for (c = 0; c < 256; c++) {
		switch (*p) {
		case '.': set[c] = 1; break;
		case '%':
			set[c] = pat_match_class(c, (unsigned char)p[1]);
			break;
		case '[': set[c] = pat_match_bracket(c, p, ep - 1); break;
		default: set[c] = (unsigned char)*p == c; break;
		}
	}
}

static double
pat_longest_run(const struct pat *pt, const unsigned char set[256])
{
	size_t i, run = 0, best = 0;

	for (i = 0; i < pt->n; i++) {
		run = set[pt->s[i]] ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	return (double)best;
}

static double
pat_count(const struct pat *pt, const unsigned char set[256])
{
	size_t i, count = 0;

	for (i = 0; i < pt->n; i++)
		count += set[pt->s[i]];
	return (double)count;
}

/* An upper bound of the matcher's steps for pattern p (without '^'). */
static double
pat_cost(const char *p, size_t lp, const struct pat *pt, int anchor)
{
	const char *pe = p + lp, *ep;
	double n = (double)pt->n, mult = 1, per = 0, scan = 0;
	double starts = anchor ? 1 : n + 1;
	int first = !anchor; /* may the first item narrow the starts? */
	unsigned char set[256];

	while (p < pe) {
		char q;

		if (*p == '(' || *p == ')') {
			p += *p == '(' && p + 1 < pe && p[1] == ')' ? 2 : 1;
			per += mult;
			continue;
		}
		if (*p == '$' && p + 1 == pe)
			break;
		if (*p == '%' && p + 1 < pe && p[1] == 'b') {
			if (pe - p < 4)
				break;
			p += 4;
			per += mult * (n + 1);
			first = 0;
			continue;
		}
		if (*p == '%' && p + 1 < pe && p[1] == 'f') {
			p += 2;
			if (p >= pe || *p != '[' ||
			    (ep = pat_class_end(p, pe)) == NULL)
				break;
			p = ep;
			per += mult;
			first = 0;
			continue;
		}
		if (*p == '%' && p + 1 < pe && isdigit((unsigned char)p[1])) {
			p += 2;
			per += mult * (n + 1);
			first = 0;
			continue;
		}
		if ((ep = pat_class_end(p, pe)) == NULL)
			break;
		q = ep < pe ? *ep : '\0';
		if (q == '*' || q == '+' || q == '-') {
			double run = n;

			if (pt->refine) {
				pat_set(p, ep, set);
				run = pat_longest_run(pt, set);
				scan += n;
				if (first && q == '+') {
					starts = pat_count(pt, set);
					scan += n;
				}
			}
			per += mult * (run + 2);
			mult *= run + 1;
			p = ep + 1;
		} else if (q == '?') {
			per += mult;
			mult *= 2;
			p = ep + 1;
		} else {
			if (pt->refine && first) {
				pat_set(p, ep, set);
				starts = pat_count(pt, set);
				scan += n;
			}
			per += mult;
			p = ep;
		}
		first = 0;
		if (mult > 1e30)
			mult = 1e30;
	}
	return n + scan + starts * (per + 1);
}

/* A plain find is memchr for the first byte, then memcmp. */
static double
pat_plain_cost(const char *p, size_t lp, const struct pat *pt)
{
	double starts;
	size_t i;

	if (lp == 0 || lp > pt->n)
		return 1;
	starts = (double)(pt->n - lp + 1);
	if (pt->refine) {
		starts = 0;
		for (i = 0; i + lp <= pt->n; i++)
			starts += pt->s[i] == (unsigned char)p[0];
	}
	return (double)pt->n + starts * (double)lp;
}

static int
pat_nospecials(const char *p, size_t lp)
{
	size_t i;

	for (i = 0; i < lp; i++)
		if (p[i] != '\0' && strchr("^$*+?.([%-", p[i]) != NULL)
			return 0;
	return 1;
}

enum pat_mode { PAT_PLAIN, PAT_ANCHORABLE, PAT_UNANCHORED };

/* lstrlib's posrelatI - 1: the 0-based start, possibly past the end. */
static size_t
guard_init(lua_State *L, int arg, size_t len)
{
	lua_Integer pos = luaL_optinteger(L, arg, 1);

	if (pos > 0)
		return (size_t)pos - 1;
	if (pos == 0 || pos < -(lua_Integer)len)
		return 0;
	return len + (size_t)pos;
}

static void
guard_pattern(lua_State *L, const char *what, const char *s, size_t ls,
              size_t init, const char *p, size_t lp, int mode, double per_match)
{
	struct luaenv *env = luaenv_from(L);
	double avail = (double)luaenv_available(env) * LUAENV_STEPS_PER_INSN;
	double full = (double)env->instructions * LUAENV_STEPS_PER_INSN;
	struct pat pt;
	double steps;
	int anchor = 0;

	if (lp > LUAENV_MAX_PATTERN)
		luaL_error(L, "%s: pattern longer than %d bytes", what,
		           LUAENV_MAX_PATTERN);
	if (init > ls)
		return; /* nothing to match: it returns at once */
	pt.s = (const unsigned char *)s + init;
	pt.n = ls - init;
	pt.refine = 0;
	if (mode == PAT_ANCHORABLE && lp > 0 && *p == '^') {
		anchor = 1;
		p++;
		lp--;
	}
	for (;;) {
		steps = mode == PAT_PLAIN ? pat_plain_cost(p, lp, &pt)
		                          : pat_cost(p, lp, &pt, anchor);
		steps += per_match * ((double)pt.n + 1);
		/* Too dear on the pattern alone: measure the subject (one
		 * or two scans per item), if we can afford that. */
		if (steps <= avail || pt.refine ||
		    (double)pt.n * (double)(2 * lp + 2) > avail)
			break;
		pt.refine = 1;
	}
	if (steps > full)
		luaL_error(L,
		           "%s: pattern too complex for a subject of %I bytes "
		           "(it could take %f matching steps); simplify the "
		           "pattern or match a shorter string",
		           what, (lua_Integer)pt.n, steps);
	luaenv_charge_d(L, steps / LUAENV_STEPS_PER_INSN);
}

static int
guard_find(lua_State *L)
{
	size_t ls, lp;
	const char *s = luaL_checklstring(L, 1, &ls);
	const char *p = luaL_checklstring(L, 2, &lp);
	size_t init = guard_init(L, 3, ls);
	int plain = lua_toboolean(L, 4) || pat_nospecials(p, lp);

	guard_pattern(L, "string.find", s, ls, init, p, lp,
	              plain ? PAT_PLAIN : PAT_ANCHORABLE, 0);
	return luaenv_call_orig(L);
}

static int
guard_match(lua_State *L)
{
	size_t ls, lp;
	const char *s = luaL_checklstring(L, 1, &ls);
	const char *p = luaL_checklstring(L, 2, &lp);

	guard_pattern(L, "string.match", s, ls, guard_init(L, 3, ls), p, lp,
	              PAT_ANCHORABLE, 0);
	return luaenv_call_orig(L);
}

/* In Lua 5.4 a '^' does not anchor gmatch. The whole iteration is
 * charged here, since each start position is tried at most once. */
static int
guard_gmatch(lua_State *L)
{
	size_t ls, lp;
	const char *s = luaL_checklstring(L, 1, &ls);
	const char *p = luaL_checklstring(L, 2, &lp);

	guard_pattern(L, "string.gmatch", s, ls, guard_init(L, 3, ls), p, lp,
	              PAT_UNANCHORED, 0);
	return luaenv_call_orig(L);
}

static int
guard_gsub(lua_State *L)
{
	size_t ls, lp, lr = 0;
	const char *s = luaL_checklstring(L, 1, &ls);
	const char *p = luaL_checklstring(L, 2, &lp);

	if (lua_type(L, 3) == LUA_TSTRING)
		lua_tolstring(L, 3, &lr);
	guard_pattern(L, "string.gsub", s, ls, 0, p, lp, PAT_ANCHORABLE,
	              (double)lr);
	return luaenv_call_orig(L);
}

/* string.rep: refuse what the cap would refuse anyway, before the loop
 * (which for an empty string would run n times copying nothing). */
static int
guard_rep(lua_State *L)
{
	struct luaenv *env = luaenv_from(L);
	size_t l, lsep;
	lua_Integer n;
	double total;

	luaL_checklstring(L, 1, &l);
	n = luaL_checkinteger(L, 2);
	luaL_optlstring(L, 3, "", &lsep);
	if (n <= 0 || l + lsep == 0) {
		lua_pushliteral(L, "");
		return 1;
	}
	total = (double)n * (double)(l + lsep);
	if (total > (double)env->mem_limit)
		return luaL_error(L,
		                  "string.rep: a result of %f bytes exceeds "
		                  "the memory cap of %I bytes",
		                  total, (lua_Integer)env->mem_limit);
	/* Per copy a small memcpy, cheaper than a matcher step. */
	luaenv_charge_d(L, (double)n / 16 + total / LUAENV_BYTES_PER_INSN);
	return luaenv_call_orig(L);
}

/* Functions linear in the length of their string arguments. */
static int
guard_linear(lua_State *L)
{
	int i, top = lua_gettop(L);
	double total = 0;
	size_t len;

	for (i = 1; i <= top; i++) {
		if (lua_type(L, i) == LUA_TSTRING) {
			lua_tolstring(L, i, &len);
			total += (double)len;
		}
	}
	luaenv_charge_d(L, 1 + total / LUAENV_BYTES_PER_INSN);
	return luaenv_call_orig(L);
}

static double
guard_rawlen(lua_State *L, int idx)
{
	return lua_type(L, idx) == LUA_TTABLE ? (double)lua_rawlen(L, idx) : 0;
}

/* table functions that loop in C over a range the script chooses. */
static int
guard_table(lua_State *L)
{
	const char *fn = lua_tostring(L, lua_upvalueindex(2));
	double cost = 0, n = guard_rawlen(L, 1);

	if (strcmp(fn, "move") == 0) {
		double f = (double)luaL_checkinteger(L, 2);
		double e = (double)luaL_checkinteger(L, 3);

		cost = e - f + 1;
	} else if (strcmp(fn, "concat") == 0 || strcmp(fn, "unpack") == 0) {
		int first = fn[0] == 'c' ? 3 : 2;
		double i = (double)luaL_optinteger(L, first, 1);
		double j = lua_isnoneornil(L, first + 1)
		               ? n
		               : (double)luaL_checkinteger(L, first + 1);

		cost = j - i + 1;
	} else if (strcmp(fn, "insert") == 0 && lua_gettop(L) >= 3) {
		cost = n + 1 - (double)luaL_checkinteger(L, 2);
	} else if (strcmp(fn, "remove") == 0 && lua_gettop(L) >= 2) {
		cost = n - (double)luaL_optinteger(L, 2, 0);
	} else if (strcmp(fn, "sort") == 0) {
		cost = n * (log2(n + 1) + 1) * 2;
	}
	luaenv_charge_d(L, 1 + (cost > 0 ? cost : 0));
	return luaenv_call_orig(L);
}

void
luaenv_guard_string(lua_State *L, int lib)
{
	static const char *const pattern_fns[] = {"find", "match", "gmatch",
	                                          "gsub"};
	static const lua_CFunction pattern_guards[] = {
	    guard_find, guard_match, guard_gmatch, guard_gsub};
	static const char *const string_linear[] = {
	    "upper", "lower", "reverse", "sub", "format", "byte", NULL};
	int i;

	for (i = 0; i < 4; i++)
		luaenv_wrap(L, lib, pattern_fns[i], pattern_guards[i], 0);
	luaenv_wrap(L, lib, "rep", guard_rep, 0);
	for (i = 0; string_linear[i] != NULL; i++)
		luaenv_wrap(L, lib, string_linear[i], guard_linear, 0);
}

void
luaenv_guard_table(lua_State *L, int lib)
{
	static const char *const table_fns[] = {
	    "concat", "insert", "remove", "move", "sort", "unpack", NULL};
	int i;

	for (i = 0; table_fns[i] != NULL; i++)
		luaenv_wrap(L, lib, table_fns[i], guard_table, 1);
}

void
luaenv_guard_utf8(lua_State *L, int lib)
{
	static const char *const utf8_linear[] = {"len", "offset", "codepoint",
	                                          NULL};
	int i;

	for (i = 0; utf8_linear[i] != NULL; i++)
		luaenv_wrap(L, lib, utf8_linear[i], guard_linear, 0);
}
