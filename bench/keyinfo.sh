#!/usr/bin/env bash
# bench/keyinfo.sh: the key-information benchmark (issue 5). Builds one
# district of BENCH_KEYINFO_STUDENTS students across BENCH_KEYINFO_SCHOOLS
# schools straight into a fresh data directory (`jiaxiao init`, then
# build/bench/mkdistrict: valid ID numbers with check digits, G and L
# 全国学籍号, 12-character 市网学籍号, a few percent missing or wrong),
# serves it on 127.0.0.1, waits for the stored rule results of every
# student, then as the district's admin activates a rule change
# (PUT /api/v1/districts/{did}/rules: this city's 市网学籍号 form) and times
# until the recomputation is done as a client sees it: the district's
# progress shows the new rules_version and stale 0 (polled every
# BENCH_KEYINFO_POLL seconds from one node process). Then wrk measures the
# latency of the school's and the district's progress with the admin's
# session cookie (bench/keyinfo.lua). Prints a markdown table for
# docs/BENCHMARKS.md. Goals (issue 5): recompute < 60 s, p99 < 50 ms.
#
# Environment (defaults in brackets):
#   JX_BUILD_DIR              build tree with jiaxiao, plugins/, bench/ [build]
#   BENCH_KEYINFO_STUDENTS    students in the district [1000000]
#   BENCH_KEYINFO_SCHOOLS     schools [500]
#   BENCH_KEYINFO_TIMEOUT     seconds a phase may take before the run fails [900]
#   BENCH_KEYINFO_POLL        progress polling interval, seconds [0.05]
#   BENCH_DURATION            wrk run per URL [10s]
#   BENCH_THREADS, BENCH_CONNECTIONS   wrk -t and -c [2, 16] (wrk --timeout 30s)
#   BENCH_SERVER_THREADS      the server's worker threads [64]
#   BENCH_KEEP                keep the data directory and server log
# usage: bench/keyinfo.sh [BUILD_DIR]   (BUILD_DIR overrides JX_BUILD_DIR)

# Run by `sh bench/keyinfo.sh` (dash): go on in bash, which this needs.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-${JX_BUILD_DIR:-$SRC/build}}
case $BUILD in /*) ;; *) BUILD=$SRC/$BUILD ;; esac
N=${BENCH_KEYINFO_STUDENTS:-1000000}
SCHOOLS=${BENCH_KEYINFO_SCHOOLS:-500}
TIMEOUT=${BENCH_KEYINFO_TIMEOUT:-900}
POLL=${BENCH_KEYINFO_POLL:-0.05}
DURATION=${BENCH_DURATION:-10s}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-16}
SERVER_THREADS=${BENCH_SERVER_THREADS:-64}

JIAXIAO=$BUILD/jiaxiao
MKDISTRICT=$BUILD/bench/mkdistrict
ADMIN_PASSWORD=Bench2026keyinfo
DISTRICT_PHONE=17700000001
# The change the district activates: this city's 市网学籍号 are 43 and ten
# digits (scripts/districts/example.lua).
RULES='city_no_pattern = "^43%d%d%d%d%d%d%d%d%d%d$"
city_no_form = "43 + 10 位数字"
'

BENCH_NAME="keyinfo bench"
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

for tool in wrk curl awk node timeout; do
	command -v "$tool" >/dev/null || die "$tool is missing: apt-get install $tool"
done
[ -x "$JIAXIAO" ] || die "$JIAXIAO is missing: cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build"
[ -f "$BUILD/plugins/jx_keyinfo.so" ] || die "$BUILD/plugins/jx_keyinfo.so is missing: build the keyinfo plugin"
[ -x "$MKDISTRICT" ] || die "$MKDISTRICT is missing: cmake --build $BUILD --target bench_mkdistrict"
if ldd "$JIAXIAO" 2>/dev/null | grep -q 'libasan\|libubsan'; then
	say "keyinfo bench: WARNING: $JIAXIAO is a sanitizer build; its figures mean little"
fi

bench_workdir jx-keyinfo-bench
API_TIMEOUT=120

# api_retry WANT JAR CSRF METHOD PATH [JSON]: api, again while the server
# answers 5xx (its database busy with the results' computation) until
# TIMEOUT; each such reply counts in REFUSED. Fails unless WANT came.
REFUSED=0
api_retry() {
	local want=$1 status deadline=$((SECONDS + TIMEOUT))
	shift
	for (( ; ; )); do
		status=$(api "$@")
		[ "$status" = "$want" ] && return 0
		case $status in
		5??) REFUSED=$((REFUSED + 1))
			say "keyinfo bench: $3 $4 answered $status: $(head -c 200 "$WORK/reply.json")" ;;
		*) die "$3 $4 answered $status: $(cat "$WORK/reply.json")" ;;
		esac
		[ "$SECONDS" -lt "$deadline" ] || die "$3 $4 refused for $TIMEOUT s"
	done
}

# login JAR LOGIN PASSWORD: a session; sets CSRF.
login() {
	api_retry 200 "$1" "" POST /api/v1/session \
		"{\"login\":\"$2\",\"password\":\"$3\"}"
	CSRF=$(json "$WORK/reply.json" csrf_token)
	[ -n "$CSRF" ] || die "login as $2 gave no csrf_token"
}

# wait_fresh LABEL VERSION [BODY]: from one node process, optionally PUTs
# BODY as the district's rules, then polls the district's progress until
# its rules_version is VERSION and stale is 0 and every student has a
# result (total = N). Prints the seconds from the start (the PUT) to the
# poll that saw it, the polls before and how many of them the server
# refused (5xx); the last progress goes to $WORK/progress-LABEL.json.
wait_fresh() {
	local label=$1 version=$2 body=${3:-} session
	session=$(awk '$6 == "jx_session" { print $7 }' "$WORK/district.jar")
	[ -n "$session" ] || die "$label: no session cookie"
	node -e '
		const [url, cookie, csrf, version, n, body, out, timeout, poll] =
			process.argv.slice(1);
		const fs = require("fs");
		const headers = { Cookie: "jx_session=" + cookie };
		(async () => {
			const t0 = performance.now();
			if (body) {
				const r = await fetch(url.replace(/\/keyinfo\/progress$/, "/rules"), {
					method: "PUT", body,
					headers: { ...headers, "X-CSRF-Token": csrf,
						"Content-Type": "application/json" } });
				const text = await r.text();
				if (r.status !== 200)
					throw new Error("PUT rules answered " + r.status + ": " + text);
				if (String(JSON.parse(text).version) !== version)
					throw new Error("PUT rules activated " + text + ", not version " + version);
			}
			const deadline = t0 + timeout * 1000;
			let last = "", polls = 0, refused = 0;
			for (;;) {
				const r = await fetch(url, { headers });
				last = await r.text();
				if (r.status >= 500) {
					refused++;
				} else if (r.status !== 200) {
					throw new Error("progress answered " + r.status + ": " + last);
				} else {
					const p = JSON.parse(last);
					if (String(p.rules_version) === version && p.stale === 0 &&
					    String(p.total) === n) {
						const t1 = performance.now();
						fs.writeFileSync(out, last);
						console.log(((t1 - t0) / 1000).toFixed(3) + " " + polls + " " + refused);
						return;
					}
				}
				polls++;
				if (performance.now() > deadline)
					throw new Error("not fresh after " + timeout + " s: " + last.slice(0, 300));
				await new Promise((ok) => setTimeout(ok, poll * 1000));
			}
		})().catch((e) => { console.error(e.message); process.exit(1); });
	' "$URL/api/v1/districts/$DID/keyinfo/progress" "$session" "$DISTRICT_CSRF" \
		"$version" "$N" "$body" "$WORK/progress-$label.json" "$TIMEOUT" "$POLL" ||
		die "$label: the district's results never became fresh"
}

# measure LABEL PATH: wrk with the district admin's session on PATH,
# first one request at a time (SERIAL_P50, SERIAL_P99: the request's own
# cost), then CONNS connections. Sets REQS P50 P99 (ms) RPS ERRS; fails on
# any non-2xx reply.
measure() {
	local label=$1 path=$2 session line rps
	session=$(awk '$6 == "jx_session" { print $7 }' "$WORK/district.jar")
	BENCH_COOKIE="jx_session=$session" wrk -t 1 -c 1 -d 5s --timeout 30s \
		--latency -s "$SRC/bench/keyinfo.lua" "$URL$path" \
		>"$WORK/wrk-$label-serial.txt"
	line=$(grep '^KEYINFO ' "$WORK/wrk-$label-serial.txt") || { cat "$WORK/wrk-$label-serial.txt" >&2; die "$label: no result line"; }
	read -r _ _ SERIAL_P50 SERIAL_P99 non2xx _ <<<"$line"
	[ "$non2xx" = 0 ] || { cat "$WORK/wrk-$label-serial.txt" >&2; die "$label: $non2xx non-2xx replies"; }
	BENCH_COOKIE="jx_session=$session" wrk -t "$THREADS" -c "$CONNS" -d 2s \
		--timeout 30s -s "$SRC/bench/keyinfo.lua" "$URL$path" >/dev/null
	BENCH_COOKIE="jx_session=$session" wrk -t "$THREADS" -c "$CONNS" \
		-d "$DURATION" --timeout 30s --latency -s "$SRC/bench/keyinfo.lua" \
		"$URL$path" >"$WORK/wrk-$label.txt"
	line=$(grep '^KEYINFO ' "$WORK/wrk-$label.txt") || { cat "$WORK/wrk-$label.txt" >&2; die "$label: no result line"; }
	read -r _ REQS P50 P99 non2xx sockerr <<<"$line"
	# A non-2xx reply means the figures measure something else (a 401
	# is cheap): fail. Timeouts are a result to report.
	[ "$non2xx" = 0 ] || { cat "$WORK/wrk-$label.txt" >&2; die "$label: $non2xx non-2xx replies"; }
	ERRS=$sockerr
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$WORK/wrk-$label.txt")
	RPS=$(printf '%.1f' "$rps")
	say "keyinfo bench: $label: $RPS req/s, p50 $P50 ms, p99 $P99 ms, $ERRS socket errors"
}

# ---- the district -----------------------------------------------------------
say "keyinfo bench: a district of $N students in $SCHOOLS schools"
"$JIAXIAO" init --data "$WORK/data" --admin-password "$ADMIN_PASSWORD" >"$WORK/init.log" 2>&1 ||
	{ cat "$WORK/init.log" >&2; die "jiaxiao init failed"; }
t0=$(date +%s.%N)
timeout "$TIMEOUT" "$MKDISTRICT" -n "$N" -s "$SCHOOLS" "$WORK/data" >"$WORK/district.txt"
GEN_SECS=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
DID=$(awk '$1 == "district" { print $2 }' "$WORK/district.txt")
SID=$(awk '$1 == "schools" { print $2 }' "$WORK/district.txt")
MISSING=$(awk '$1 == "missing" { print $3 "/" $5 "/" $7 }' "$WORK/district.txt")
WRONG=$(awk '$1 == "wrong" { print $3 "/" $5 "/" $7 }' "$WORK/district.txt")
OLD_CITY=$(awk '$1 == "old" { print $3 }' "$WORK/district.txt")
DB_MB=$(du -m "$WORK/data/jiaxiao.db" | awk '{ print $1 }')
say "keyinfo bench: written in $GEN_SECS s ($DB_MB MB); missing $MISSING, wrong $WRONG (national/city/ID)"

# ---- the server -------------------------------------------------------------
start_jiaxiao serve --set "threads=$SERVER_THREADS"
START=$(date +%s.%N)

# The district's admin, made by the city admin; the initial password (the
# phone's last six digits) changed first.
# (The server computes every student's first results meanwhile.)
login "$WORK/city.jar" admin "$ADMIN_PASSWORD"
api_retry 201 "$WORK/city.jar" "$CSRF" POST "/api/v1/districts/$DID/admins" \
	"{\"name\":\"基准区管理员\",\"phone\":\"$DISTRICT_PHONE\"}"
login "$WORK/district.jar" "$DISTRICT_PHONE" "${DISTRICT_PHONE: -6}"
api_retry 204 "$WORK/district.jar" "$CSRF" PUT /api/v1/me/password \
	"{\"old_password\":\"${DISTRICT_PHONE: -6}\",\"new_password\":\"$ADMIN_PASSWORD\"}"
DISTRICT_CSRF=$CSRF

# The first results: every student checked under the defaults (version 0).
read -r _ INITIAL_POLLS INITIAL_REFUSED <<<"$(wait_fresh initial 0)"
INITIAL_REFUSED=$((INITIAL_REFUSED + REFUSED))
INITIAL_SECS=$(awk -v a="$START" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
COMPLETE0=$(json "$WORK/progress-initial.json" complete)
say "keyinfo bench: first results after $INITIAL_SECS s from the server's start; $COMPLETE0 of $N complete; $INITIAL_REFUSED requests refused meanwhile"

# ---- the rule change --------------------------------------------------------
body=$(node -e 'console.log(JSON.stringify({ source: process.argv[1] }))' "$RULES")
read -r RECOMPUTE_SECS CHANGE_POLLS CHANGE_REFUSED <<<"$(wait_fresh change 1 "$body")"
COMPLETE1=$(json "$WORK/progress-change.json" complete)
say "keyinfo bench: recomputed in $RECOMPUTE_SECS s; $COMPLETE1 of $N complete; $CHANGE_REFUSED of $CHANGE_POLLS polls refused meanwhile"
[ "$COMPLETE1" -lt "$COMPLETE0" ] ||
	die "the change should fail the old-form 市网学籍号: $COMPLETE0 complete before, $COMPLETE1 after"

# ---- progress latency -------------------------------------------------------
measure school "/api/v1/schools/$SID/keyinfo/progress"
S_RPS=$RPS S_P50=$P50 S_P99=$P99 S_ERRS=$ERRS S_SERIAL="$SERIAL_P50 / $SERIAL_P99"
measure district "/api/v1/districts/$DID/keyinfo/progress"
D_RPS=$RPS D_P50=$P50 D_P99=$P99 D_ERRS=$ERRS D_SERIAL="$SERIAL_P50 / $SERIAL_P99"
HWM=$(awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$JX_PID/status")
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the table --------------------------------------------------------------
ok() { awk -v v="$1" -v g="$2" 'BEGIN { print (v < g ? "yes" : "**no**") }'; }
{
	echo "Date: $(date -Iseconds); machine: $(nproc) cores," \
		"$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)," \
		"kernel $(uname -r)"
	echo "Command: JX_BUILD_DIR=$BUILD BENCH_KEYINFO_STUDENTS=$N" \
		"BENCH_KEYINFO_SCHOOLS=$SCHOOLS bench/keyinfo.sh (wrk -t$THREADS" \
		"-c$CONNS -d$DURATION --latency; server threads $SERVER_THREADS)"
	echo
	echo "District: $N students in $SCHOOLS schools, written in $GEN_SECS s" \
		"($DB_MB MB database); missing $MISSING and wrong $WRONG" \
		"(全国学籍号/市网学籍号/身份证号), $OLD_CITY 市网学籍号 of the old" \
		"10-digit form. Complete: $COMPLETE0 under the default rules," \
		"$COMPLETE1 after the change (the old form fails it)."
	echo
	echo "| measure | figure | goal | met |"
	echo "|---|---:|---:|:---:|"
	echo "| first results of every student after the server's start, s | $INITIAL_SECS | | |"
	echo "| requests refused (5xx) meanwhile (logins, set-up, $INITIAL_POLLS progress polls) | $INITIAL_REFUSED | 0 | $(ok "$INITIAL_REFUSED" 1) |"
	echo "| rule change: PUT until district progress shows the new version, stale 0, s | $RECOMPUTE_SECS | < 60 | $(ok "$RECOMPUTE_SECS" 60) |"
	echo "| progress polls refused (5xx) during the recompute, of $CHANGE_POLLS | $CHANGE_REFUSED | 0 | $(ok "$CHANGE_REFUSED" 1) |"
	echo "| GET school progress, one connection: p50 / p99 ms | $S_SERIAL | | |"
	echo "| GET school progress, $CONNS connections: p50 / p99 ms | $S_P50 / $S_P99 | p99 < 50 | $(ok "$S_P99" 50) |"
	echo "| GET school progress, requests/s (socket errors) | $S_RPS ($S_ERRS) | | |"
	echo "| GET district progress ($SCHOOLS schools), one connection: p50 / p99 ms | $D_SERIAL | | |"
	echo "| GET district progress, $CONNS connections: p50 / p99 ms | $D_P50 / $D_P99 | p99 < 50 | $(ok "$D_P99" 50) |"
	echo "| GET district progress, requests/s (socket errors) | $D_RPS ($D_ERRS) | | |"
	echo
	echo "Server peak memory (VmHWM): $HWM MiB. Load average at the end" \
		"(the machine is shared; wrk runs on it too): $LOAD."
}
