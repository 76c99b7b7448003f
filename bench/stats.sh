#!/usr/bin/env bash
# bench/stats.sh: the statistics benchmark (issue 19, "Performance").
# Writes a district of BENCH_STATS_STUDENTS students in BENCH_STATS_SCHOOLS
# schools, two parents a student, their teachers and a year of daily
# activity into a fresh data directory (`jiaxiao init`, one `jiaxiao
# serve` for the plugins' migrations, then build/bench/mkstats, which
# writes the stats plugin's aggregates directly), checks the dashboards'
# replies against the figures the generator decided, and measures with
# wrk in one run beside the bare civetweb reply (build/bench/bare), as
# bench/feeds.sh does: the school dashboard as JSON (`GET
# /api/v1/schools/{sid}/stats/usage?by=class`) and as a page
# (`/schools/{sid}/stats`) as that school's admin, the district dashboard
# as JSON (`GET /api/v1/districts/{did}/stats/usage?by=school`) and as a
# page (`/districts/{did}/stats`) as the district admin, each with the
# default range and with a longer one (the last BENCH_STATS_LONG days).
# Prints a markdown table for docs/BENCHMARKS.md: requests/s, p50, p99,
# the server's CPU time per request (from /proc), the p50 of one
# connection alone, and the goal: p99 < 100 ms for both dashboards. Any
# non-2xx reply under load fails the run.
#
# With BENCH_STATS_SMOKE=1 (the ctest bench_stats_smoke) it writes a tiny
# district (1,800 students in 4 schools unless set), checks the replies
# (the school's classes and the district's schools with the generator's
# accounts, activated, WeChat followers, key information and, over the
# last 7 and 30 days, distinct logins, login days and uploads; the pages
# answer with their charts) and skips wrk.
#
# Environment (defaults in brackets):
#   JX_BUILD_DIR              build tree with jiaxiao, plugins/, bench/ [build]
#   BENCH_STATS_STUDENTS      students in the district [1000000]
#   BENCH_STATS_SCHOOLS       schools [1000]
#   BENCH_STATS_DAYS          days of activity before today [365]
#   BENCH_STATS_LONG          the longer range, in days [90]
#   BENCH_DURATION            wrk run per target [10s]; BENCH_WARMUP [2s];
#                             BENCH_SERIAL: the one-connection run after it [3s]
#   BENCH_THREADS, BENCH_CONNECTIONS   wrk -t and -c [2, 32]
#   BENCH_SERVER_THREADS      worker threads of both servers [64]
#   BENCH_STATS_SLOW          a target whose first request takes longer
#                             (seconds) is timed with three requests one
#                             after another instead of wrk [3]
#   BENCH_STATS_SMOKE         1: tiny district, checks only, no wrk
#   BENCH_STATS_CALLGRIND     1: also instructions per request of each
#                             target under valgrind's callgrind
#   BENCH_STATS_DATA          a data directory this script made before
#                             (kept with BENCH_KEEP): skip the generator
#   BENCH_KEEP                keep the data directory and server log
#   BENCH_STATS_NO_KEYINFO    1: do not check keyinfo_complete (a kept
#                             district on which keyinfo's refresh job ran
#                             and set its counts from its results: 0)
#   BENCH_STATS_ONLY          an extended regex: measure only the targets
#                             whose label matches (school_json,
#                             district_json_long, ...); the checks all run
# usage: bench/stats.sh [BUILD_DIR]   (BUILD_DIR overrides JX_BUILD_DIR)

# Run by `sh bench/stats.sh` (dash): go on in bash, which this needs.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-${JX_BUILD_DIR:-$SRC/build}}
case $BUILD in /*) ;; *) BUILD=$SRC/$BUILD ;; esac
SMOKE=${BENCH_STATS_SMOKE:-}
if [ -n "$SMOKE" ]; then
	N=${BENCH_STATS_STUDENTS:-1800}
	SCHOOLS=${BENCH_STATS_SCHOOLS:-4}
else
	N=${BENCH_STATS_STUDENTS:-1000000}
	SCHOOLS=${BENCH_STATS_SCHOOLS:-1000}
fi
DAYS=${BENCH_STATS_DAYS:-365}
LONG=${BENCH_STATS_LONG:-90}
DURATION=${BENCH_DURATION:-10s}
WARMUP=${BENCH_WARMUP:-2s}
SERIAL=${BENCH_SERIAL:-3s}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-32}
SERVER_THREADS=${BENCH_SERVER_THREADS:-64}
# a target whose one request takes longer (seconds) is timed alone
SLOW=${BENCH_STATS_SLOW:-3}
ADMIN_PASSWORD=Bench2026stats
PASSWORD=Bench2026stats

JIAXIAO=$BUILD/jiaxiao
BARE=$BUILD/bench/bare
MKSTATS=$BUILD/bench/mkstats

BENCH_NAME="stats bench"
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

tools="curl awk node"
[ -n "$SMOKE" ] || tools="$tools wrk"
for tool in $tools; do
	command -v "$tool" >/dev/null || die "$tool is missing: apt-get install $tool"
done
[ -x "$JIAXIAO" ] || die "$JIAXIAO is missing: cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo && cmake --build build"
[ -f "$BUILD/plugins/jx_stats.so" ] || die "$BUILD/plugins/jx_stats.so is missing: build the stats plugin"
[ -x "$MKSTATS" ] || die "$MKSTATS is missing: cmake --build $BUILD --target bench_mkstats"
[ -n "$SMOKE" ] || [ -x "$BARE" ] || die "$BARE is missing: cmake --build $BUILD --target bench_bare"
if [ -z "$SMOKE" ] && ldd "$JIAXIAO" 2>/dev/null | grep -q 'libasan\|libubsan'; then
	say "stats bench: WARNING: $JIAXIAO is a sanitizer build; its figures mean little"
fi

bench_workdir jx-stats-bench

stop_jiaxiao() {
	kill "$JX_PID" 2>/dev/null || true
	wait "$JX_PID" 2>/dev/null || true
}

# ---- the district -----------------------------------------------------------
if [ -n "${BENCH_STATS_DATA:-}" ]; then
	# a district written before: its data directory and what mkstats said
	if [ ! -f "$BENCH_STATS_DATA/data/jiaxiao.db" ] ||
		[ ! -f "$BENCH_STATS_DATA/district.txt" ]; then
		die "$BENCH_STATS_DATA holds no data/jiaxiao.db and district.txt"
	fi
	rm -rf "$WORK"
	WORK=$BENCH_STATS_DATA
	# shellcheck disable=SC2034 # read by bench_cleanup (lib.sh)
	BENCH_KEEP=1
	GEN_SECS=$(cat "$WORK/gen_secs" 2>/dev/null || echo '?')
else
	"$JIAXIAO" init --data "$WORK/data" --admin-password "$ADMIN_PASSWORD" \
		>"$WORK/init.log" 2>&1 || { cat "$WORK/init.log" >&2; die "jiaxiao init failed"; }
	# Served once: the plugins' migrations create the stats tables.
	start_jiaxiao serve
	stop_jiaxiao
	t0=$(date +%s.%N)
	"$MKSTATS" -n "$N" -s "$SCHOOLS" -d "$DAYS" -w "$PASSWORD" "$WORK/data" \
		>"$WORK/district.txt" 2>"$WORK/mkstats.log" ||
		{ cat "$WORK/mkstats.log" >&2; die "mkstats failed"; }
	GEN_SECS=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
	echo "$GEN_SECS" >"$WORK/gen_secs"
fi
field() { awk -v k="$1" -v i="$2" '$1 == k { print $i }' "$WORK/district.txt"; }
DISTRICT=$(field district 2)
SCHOOL=$(field school 2)
CLASSES=$(field classes 2)
TEACHERS=$(field teachers 2)
PARENTS=$(field parents 2)
STUDENTS=$(field students 2)
FOLLOWED=$(field wechat_followed 2)
DADMIN=$(field district_admin 2)
SADMIN=$(field school_admin 2)
DB_MB=$(du -m "$WORK/data/jiaxiao.db" | awk '{ print $1 }')
ROWS=$(sqlite3 "$WORK/data/jiaxiao.db" 'SELECT (SELECT COUNT(*) FROM
	stats_person_weeks) || " " || (SELECT COUNT(*) FROM stats_class_days)
	|| " " || (SELECT COUNT(*) FROM stats_person_days)' 2>/dev/null || echo '? ? ?')
say "stats bench: $STUDENTS students in $SCHOOLS schools ($CLASSES classes, $TEACHERS teachers, $PARENTS parents) and $DAYS days written in $GEN_SECS s ($DB_MB MB; person weeks, class days, person upload days: $ROWS)"

# A day N days before today in the server's time zone (Asia/Shanghai),
# as the API takes it.
local_day() {
	TZ=Asia/Shanghai date -d "-$1 days" +%Y-%m-%d
}
ymd() { printf '%s-%s-%s' "${1:0:4}" "${1:4:2}" "${1:6:2}"; }
LONG_FROM=$(local_day "$LONG")
LONG_TO=$(local_day 1)
LONGQ="from=$LONG_FROM&to=$LONG_TO"
SCHOOL_JSON="/api/v1/schools/$SCHOOL/stats/usage?by=class"
SCHOOL_PAGE="/schools/$SCHOOL/stats"
DISTRICT_JSON="/api/v1/districts/$DISTRICT/stats/usage?by=school"
DISTRICT_PAGE="/districts/$DISTRICT/stats"

# ---- one request each, checked ---------------------------------------------
start_jiaxiao serve --set "threads=$SERVER_THREADS"
login() {
	local who=$1 jar=$2 status
	status=$(api "$jar" "" POST /api/v1/session \
		"{\"login\":\"$who\",\"password\":\"$PASSWORD\"}")
	[ "$status" = 200 ] || die "login as $who answered $status: $(cat "$WORK/reply.json")"
	awk '$6 == "jx_session" { print $7 }' "$jar"
}
S_SESSION=$(login "$SADMIN" "$WORK/jar-school")
D_SESSION=$(login "$DADMIN" "$WORK/jar-district")
if [ -z "$S_SESSION" ] || [ -z "$D_SESSION" ]; then
	die "login set no jx_session cookie"
fi
S_COOKIE="Cookie: jx_session=$S_SESSION"
D_COOKIE="Cookie: jx_session=$D_SESSION"

check() {
	local cookie=$1 path=$2 out=$3 status
	status=$(curl -s -o "$out" -w '%{http_code}' --max-time 120 \
		-H "$cookie" "$URL$path")
	[ "$status" = 200 ] || die "$path answered $status, not 200: $(head -c 300 "$out")"
}
# compare FILE KIND RANGE: the reply's rows against the generator's
# figures (district.txt) for the classes of the school (KIND class) or
# the benchmark's school in the district (KIND school_row), over RANGE
# (0: last 7 days, 1: last 30; -1: only the figures a range leaves alone).
compare() {
	node -e '
	const fs = require("fs");
	const [file, facts, kind, range] = process.argv.slice(1, 5);
	const body = JSON.parse(fs.readFileSync(file, "utf8"));
	// a school by class: the classes in items, the school in total
	const rows = kind === "school_row" && body.total ? [body.total] : body.items;
	if (!Array.isArray(rows)) throw new Error("no rows: " + JSON.stringify(body).slice(0, 200));
	const want = fs.readFileSync(facts, "utf8").split("\n")
		.map((l) => l.split(" ")).filter((f) => f[0] === kind);
	if (want.length === 0) {
		// a district from an older mkstats (BENCH_STATS_DATA) may lack it
		if (process.env.BENCH_STATS_SMOKE) throw new Error("the generator said nothing of " + kind);
		console.error("stats bench: WARNING: no " + kind + " figures from the generator: not checked");
		process.exit(0);
	}
	const byId = new Map(rows.map((r) => [Number(r.id), r]));
	if (kind === "class" && rows.length !== want.length)
		throw new Error(rows.length + " rows, not the " + want.length + " classes");
	const bad = [];
	for (const f of want) {
		const row = byId.get(Number(f[1]));
		if (!row) { bad.push("no row " + f[1]); continue; }
		const exp = { accounts: +f[2], activated: +f[3], wechat_followed: +f[4],
			keyinfo_complete: +f[5], unreached: +f[6] };
		// keyinfo'"'"'s own refresh job recomputes its counts from its
		// results, which the generator does not write: on a kept
		// district where it ran, key information cannot be checked
		if (process.env.BENCH_STATS_NO_KEYINFO) delete exp.keyinfo_complete;
		const r = Number(range);
		if (r >= 0) {
			exp.logins = +f[7 + 3 * r];
			exp.login_days = +f[8 + 3 * r];
			exp.uploads = +f[9 + 3 * r];
		}
		for (const [k, v] of Object.entries(exp)) {
			if (!(k in row)) { bad.push(f[1] + ": no " + k); continue; }
			if (Number(row[k]) !== v) bad.push(f[1] + " " + k + ": " + row[k] + ", not " + v);
		}
	}
	if (bad.length) throw new Error(bad.slice(0, 12).join("; ") + (bad.length > 12 ? " ..." : ""));
	' "$1" "$WORK/district.txt" "$2" "$3"
}
check "$S_COOKIE" "$SCHOOL_JSON" "$WORK/school.json"
check "$S_COOKIE" "$SCHOOL_JSON&$LONGQ" "$WORK/school-long.json"
# The pages (statpages) may not be built in yet: without them, the
# JSON targets only.
PAGES=1
status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 120 -H "$S_COOKIE" \
	"$URL$SCHOOL_PAGE")
if [ "$status" = 404 ]; then
	say "stats bench: WARNING: $SCHOOL_PAGE answers 404 (no statistics pages in this build): JSON only"
	PAGES=
else
	check "$S_COOKIE" "$SCHOOL_PAGE" "$WORK/school.html"
	check "$S_COOKIE" "$SCHOOL_PAGE?$LONGQ" "$WORK/school-long.html"
fi
check "$D_COOKIE" "$DISTRICT_JSON" "$WORK/district.json"
check "$D_COOKIE" "$DISTRICT_JSON&$LONGQ" "$WORK/district-long.json"
if [ -n "$PAGES" ]; then
	check "$D_COOKIE" "$DISTRICT_PAGE" "$WORK/district.html"
	check "$D_COOKIE" "$DISTRICT_PAGE?$LONGQ" "$WORK/district-long.html"
fi
compare "$WORK/school.json" class -1 || die "the school dashboard is wrong"
compare "$WORK/school.json" school_row -1 || die "the school dashboard's total is wrong"
compare "$WORK/district.json" school_row -1 || die "the district dashboard is wrong"
for r in 0 1; do
	range=$([ "$r" = 0 ] && echo range7 || echo range30)
	q="from=$(ymd "$(field "$range" 2)")&to=$(ymd "$(field "$range" 3)")"
	check "$S_COOKIE" "$SCHOOL_JSON&$q" "$WORK/school-$r.json"
	compare "$WORK/school-$r.json" class "$r" ||
		die "the school dashboard over $q is wrong"
	compare "$WORK/school-$r.json" school_row "$r" ||
		die "the school dashboard's total over $q is wrong"
	check "$D_COOKIE" "$DISTRICT_JSON&$q" "$WORK/district-$r.json"
	compare "$WORK/district-$r.json" school_row "$r" ||
		die "the district dashboard over $q is wrong"
done
node -e '
	const fs = require("fs");
	const [school, district, nschools, pages] = process.argv.slice(1, 5);
	const rows = JSON.parse(fs.readFileSync(process.argv[5], "utf8")).items;
	if (rows.length !== Number(nschools))
		throw new Error("the district shows " + rows.length + " schools, not " + nschools);
	for (const f of pages ? [school, district] : []) {
		const html = fs.readFileSync(f, "utf8");
		if (!/<svg[\s>]/.test(html)) throw new Error(f + " has no chart (svg)");
		if (!/<table[\s>]/.test(html)) throw new Error(f + " has no table");
	}
' "$WORK/school.html" "$WORK/district.html" "$SCHOOLS" "$PAGES" "$WORK/district.json" ||
	die "a dashboard page is wrong"
if [ -n "$SMOKE" ]; then
	say "stats bench: smoke: $STUDENTS students in $SCHOOLS schools; the classes of school $SCHOOL and the district's schools match the generator over 7 and 30 days${PAGES:+; the pages answer with a chart}"
	exit 0
fi

# ---- wrk --------------------------------------------------------------------
# measure LABEL PID URL [HEADER]: warm-up, then wrk; appends "label rps
# p50 p99 requests socket_errors cpu_us serial_p50 bytes" to
# $WORK/results, cpu_us the server's (PID) CPU time per request. Fails on
# non-2xx replies.
: >"$WORK/results"
measure() {
	local label=$1 pid=$2 url=$3 out="$WORK/wrk-$1.txt" hdr=()
	local rps p50 p99 requests non2xx errors before after cpu_us serial bytes
	[ -n "${4:-}" ] && hdr=(-H "$4")
	say "stats bench: $label: $url"
	read -r bytes one < <(curl -s -o /dev/null --max-time 600 \
		-w '%{size_download} %{time_total}\n' "${hdr[@]}" "$url")
	if awk -v t="$one" -v s="$SLOW" 'BEGIN { exit !(t > s) }'; then
		# Too slow for wrk (its requests would time out): three
		# requests one after another, their times and CPU.
		local times=()
		before=$(cpu_ticks "$pid")
		for _ in 1 2 3; do
			times+=("$(curl -s -o /dev/null -w '%{time_total}' \
				--max-time 600 "${hdr[@]}" "$url")")
		done
		after=$(cpu_ticks "$pid")
		read -r rps p50 p99 < <(printf '%s\n' "${times[@]}" | sort -g |
			awk '{ t[NR] = $1; s += $1 } END {
				printf "%.3f %.3f %.3f\n", NR / s, t[2] * 1000, t[3] * 1000 }')
		cpu_us=$(awk -v t="$((after - before))" -v hz="$CLK_TCK" \
			'BEGIN { printf "%.1f", t / hz * 1e6 / 3 }')
		say "stats bench: $label: ${times[*]} s a request, one at a time"
		echo "$label $rps $p50 $p99 3 0 $cpu_us $p50 $bytes slow" >>"$WORK/results"
		return 0
	fi
	wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" "${hdr[@]}" "$url" >/dev/null
	before=$(cpu_ticks "$pid")
	wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --timeout 10s --latency \
		"${hdr[@]}" "$url" >"$out"
	after=$(cpu_ticks "$pid")
	cat "$out" >&2
	# one request at a time: the request's own cost, no queueing
	wrk -t1 -c1 -d"$SERIAL" --timeout 10s --latency "${hdr[@]}" "$url" >"$out.serial"
	serial=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out.serial")")
	non2xx=$(awk '/Non-2xx/ { print $NF }' "$out")
	[ -z "$non2xx" ] || [ "$non2xx" = 0 ] || die "$label: $non2xx non-2xx replies"
	errors=$(awk '/Socket errors/ {
		gsub(/,/, ""); print $4 + $6 + $8 + $10 }' "$out")
	requests=$(awk '/requests in/ { print $1 }' "$out")
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
	p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
	p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
	cpu_us=$(awk -v t="$((after - before))" -v hz="$CLK_TCK" -v n="$requests" \
		'BEGIN { printf "%.1f", (n > 0 ? t / hz * 1e6 / n : 0) }')
	echo "$label $rps $p50 $p99 $requests ${errors:-0} $cpu_us $serial $bytes" >>"$WORK/results"
}

# target label, cookie and path, in the table's order
TARGETS=(
	"school_json|$S_COOKIE|$SCHOOL_JSON"
	"school_json_long|$S_COOKIE|$SCHOOL_JSON&$LONGQ"
	"school_page|$S_COOKIE|$SCHOOL_PAGE"
	"school_page_long|$S_COOKIE|$SCHOOL_PAGE?$LONGQ"
	"district_json|$D_COOKIE|$DISTRICT_JSON"
	"district_json_long|$D_COOKIE|$DISTRICT_JSON&$LONGQ"
	"district_page|$D_COOKIE|$DISTRICT_PAGE"
	"district_page_long|$D_COOKIE|$DISTRICT_PAGE?$LONGQ"
)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
for t in "${TARGETS[@]}"; do
	IFS='|' read -r label cookie path <<<"$t"
	[ -n "$PAGES" ] || [ "${label#*_page}" = "$label" ] || continue
	[ -z "${BENCH_STATS_ONLY:-}" ] || [[ $label =~ ^(${BENCH_STATS_ONLY})$ ]] || continue
	measure "$label" "$JX_PID" "$URL$path" "$cookie"
done
HWM=$(awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$JX_PID/status")
stop_jiaxiao

# Instructions per request under callgrind (BENCH_STATS_CALLGRIND=1):
# the server on 2 threads, collecting inside http_dispatch only (the
# request's own work), 3 warm-up requests, then COUNT counted ones.
: >"$WORK/callgrind"
if [ -n "${BENCH_STATS_CALLGRIND:-}" ]; then
	if ! command -v valgrind >/dev/null ||
		! command -v callgrind_control >/dev/null; then
		die "valgrind is missing: apt-get install valgrind"
	fi
	COUNT=5
	for t in "${TARGETS[@]}"; do
		IFS='|' read -r label cookie path <<<"$t"
		[ -n "$PAGES" ] || [ "${label#*_page}" = "$label" ] || continue
		[ -z "${BENCH_STATS_ONLY:-}" ] || [[ $label =~ ^(${BENCH_STATS_ONLY})$ ]] || continue
		# a target too slow for wrk is too slow for valgrind too
		if awk -v l="$label" '$1 == l && $10 == "slow" { f = 1 } END { exit !f }' \
			"$WORK/results"; then
			continue
		fi
		port=$(free_port)
		(cd "$SRC" && exec valgrind --tool=callgrind \
			--toggle-collect=http_dispatch \
			--callgrind-out-file="$WORK/cg-$label.out" "$JIAXIAO" serve \
			--data "$WORK/data" --listen "127.0.0.1:$port" \
			--set "plugin_dir=$BUILD/plugins" --set threads=2) \
			>>"$WORK/callgrind.log" 2>&1 &
		CG_PID=$!
		PIDS+=("$CG_PID")
		wait_ready "$CG_PID" "http://127.0.0.1:$port/healthz" 2400 ||
			die "jiaxiao under callgrind would not start"
		for _ in 1 2 3; do
			curl -s -o /dev/null --max-time 600 -H "$cookie" "http://127.0.0.1:$port$path"
		done
		callgrind_control -z "$CG_PID" >/dev/null
		for _ in $(seq "$COUNT"); do
			status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 600 \
				-H "$cookie" "http://127.0.0.1:$port$path")
			[ "$status" = 200 ] || die "$path under callgrind answered $status"
		done
		callgrind_control -d "$CG_PID" >/dev/null
		kill "$CG_PID" 2>/dev/null || true
		wait "$CG_PID" 2>/dev/null || true
		dump=$(ls -t "$WORK/cg-$label.out".* | head -n 1)
		callgrind_annotate "$dump" >"$WORK/cg-$label.txt" 2>/dev/null
		awk -v l="$label" -v n="$COUNT" '/PROGRAM TOTALS/ {
			gsub(/,/, "", $1); printf "%s %.0f\n", l, $1 / n }' \
			"$WORK/cg-$label.txt" >>"$WORK/callgrind"
	done
fi

BARE_PORT=$(free_port)
"$BARE" "127.0.0.1:$BARE_PORT" "$SERVER_THREADS" >"$WORK/bare.log" 2>&1 &
BARE_PID=$!
PIDS+=("$BARE_PID")
wait_ready "$BARE_PID" "http://127.0.0.1:$BARE_PORT/" || die "bare would not start"
measure bare "$BARE_PID" "http://127.0.0.1:$BARE_PORT/"
kill "$BARE_PID" 2>/dev/null || true
wait "$BARE_PID" 2>/dev/null || true
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the table --------------------------------------------------------------
{
	echo "Date: $(date -Iseconds); machine: $(nproc) cores," \
		"$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)," \
		"kernel $(uname -r); commit $(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo '?')"
	echo "Command: JX_BUILD_DIR=$BUILD BENCH_STATS_STUDENTS=$N" \
		"BENCH_STATS_SCHOOLS=$SCHOOLS BENCH_STATS_DAYS=$DAYS" \
		"BENCH_STATS_LONG=$LONG bench/stats.sh (wrk -t$THREADS -c$CONNS" \
		"-d$DURATION --latency after a $WARMUP warm-up; server threads" \
		"$SERVER_THREADS)"
	echo
	echo "District: $STUDENTS students in $SCHOOLS schools ($CLASSES" \
		"classes), $TEACHERS teachers, $PARENTS parents ($FOLLOWED adults" \
		"follow the WeChat account), $DAYS days of activity; person weeks," \
		"class days and person upload days: $ROWS rows; written in" \
		"$GEN_SECS s ($DB_MB MB database). Default range as the API" \
		"chooses it; long: $LONG_FROM to $LONG_TO."
	echo
	echo "| target | requests/s | × bare | p50 ms | p99 ms | CPU µs/request | × bare | one connection: p50 ms | reply bytes |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	awk -v sj="$SCHOOL_JSON" -v sp="$SCHOOL_PAGE" -v dj="$DISTRICT_JSON" \
		-v dp="$DISTRICT_PAGE" -v long="$LONG" '
	{ rps[$1] = $2; p50[$1] = $3; p99[$1] = $4; cpu[$1] = $7; ser[$1] = $8; by[$1] = $9; slow[$1] = ($10 == "slow") }
	END {
		split("bare school_json school_json_long school_page school_page_long district_json district_json_long district_page district_page_long", order, " ")
		name["bare"] = "bare civetweb reply"
		name["school_json"] = "school, JSON `" sj "`"
		name["school_json_long"] = "school, JSON, last " long " days"
		name["school_page"] = "school, page `" sp "`"
		name["school_page_long"] = "school, page, last " long " days"
		name["district_json"] = "district, JSON `" dj "`"
		name["district_json_long"] = "district, JSON, last " long " days"
		name["district_page"] = "district, page `" dp "`"
		name["district_page_long"] = "district, page, last " long " days"
		for (i = 1; i <= 9; i++) {
			k = order[i]
			if (!(k in rps)) continue
			printf "| %s%s | %.2f | %.3f | %.3f | %.3f | %.1f | %.1f | %.3f | %d |\n",
				name[k], (slow[k] ? " (3 requests one at a time: too slow for wrk; p50/p99 are the median and the slowest)" : ""), rps[k],
				(rps["bare"] > 0 ? rps[k] / rps["bare"] : 0),
				p50[k], p99[k], cpu[k],
				(cpu["bare"] > 0 ? cpu[k] / cpu["bare"] : 0), ser[k], by[k]
		}
		print ""
		print "| goal: p99 < 100 ms | p99 ms | met |"
		print "|---|---:|:---:|"
		for (i = 2; i <= 9; i++) {
			k = order[i]
			if (!(k in rps)) continue
			# no request finished (the wrk timeout): not met
			printf "| %s | %s | %s |\n", name[k], (rps[k] > 0 ? sprintf("%.1f", p99[k]) : "none finished"), (rps[k] > 0 && p99[k] < 100 ? "yes" : "**no**")
		}
	}' "$WORK/results"
	if [ -s "$WORK/callgrind" ]; then
		echo
		echo "| instructions per request (callgrind, inside http_dispatch) | Ir |"
		echo "|---|---:|"
		awk '{ printf "| %s | %.0f |\n", $1, $2 }' "$WORK/callgrind"
	fi
	echo
	echo "Server peak memory (VmHWM): $HWM MiB. Load average before the" \
		"first target: $LOAD0; at the end: $LOAD (the machine is shared;" \
		"wrk runs on it too)."
}
