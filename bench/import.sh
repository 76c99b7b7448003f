#!/usr/bin/env bash
# bench/import.sh: `make bench`, the import benchmark (issue 4). Writes a
# real .xlsx of BENCH_IMPORT_STUDENTS students with two parents each
# (build/bench/mkstudents), serves the demo district on a fresh data
# directory on 127.0.0.1, creates a nine_year school and its admin as the
# demo district admin, and as that admin uploads the sheet as a dry run,
# then as a commit, each timed from the start of the upload to the job's
# end as a client sees it (GET /api/v1/jobs/{id} polled every
# BENCH_IMPORT_POLL seconds). Then 1,000 students end to end the same way
# in a second school. Beside them, the floor: SQLite alone inserting the
# same rows on the same tables in one transaction (build/bench/floor),
# and the server's peak resident memory (VmHWM) before and after, which
# shows how memory grows with the sheet.
#
# The job's phases come from the server's log line (roster_import.c):
# sheet read (unzip, XML, normalising), rows applied (validation, matching,
# the inserts, initial passwords, savepoints) and the final commit or
# rollback. "Database part" is rows applied plus commit.
#
# Prints a markdown table for docs/BENCHMARKS.md. Goals (issue 4): the
# database part of the commit within 3x the floor, the whole commit of
# 100,000 students under 20 s, 1,000 students end to end under 1 s.
#
# Environment (defaults in brackets):
#   JX_BUILD_DIR            build tree with jiaxiao, plugins/ and bench/ [build]
#   BENCH_IMPORT_STUDENTS   students in the large sheet [100000]
#   BENCH_IMPORT_SMALL      students in the small one [1000]
#   BENCH_IMPORT_TIMEOUT    seconds one job may take before the run fails [600]
#   BENCH_IMPORT_POLL       job polling interval, seconds [0.02]
#   BENCH_IMPORT_PERF       a file: record the server with `perf record`
#                           during the large commit (then `perf report -i
#                           FILE --no-children`)
#   BENCH_IMPORT_PERF_ARGS  perf record's options [-g]; with a build
#                           without frame pointers, "--call-graph dwarf"
#   BENCH_KEEP              keep the data directory, sheets and server log
# usage: bench/import.sh [BUILD_DIR]   (BUILD_DIR overrides JX_BUILD_DIR)

# Run by `sh bench/import.sh` (dash): go on in bash, which this script needs.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-${JX_BUILD_DIR:-$SRC/build}}
case $BUILD in /*) ;; *) BUILD=$SRC/$BUILD ;; esac
N=${BENCH_IMPORT_STUDENTS:-100000}
SMALL=${BENCH_IMPORT_SMALL:-1000}
TIMEOUT=${BENCH_IMPORT_TIMEOUT:-600}
POLL=${BENCH_IMPORT_POLL:-0.02}
PERF_OUT=${BENCH_IMPORT_PERF:-}

JIAXIAO=$BUILD/jiaxiao
MKSTUDENTS=$BUILD/bench/mkstudents
FLOOR=$BUILD/bench/floor
XLSX=application/vnd.openxmlformats-officedocument.spreadsheetml.sheet
# The demo district's admin (host/demo.c) and the admins made here; the
# sheets' phones start with 135-137, 150-158 and 183-188, never 177.
DISTRICT_LOGIN=13800000001
DEMO_PASSWORD=Demo2026
ADMIN_PASSWORD=Bench2026import

BENCH_NAME="import bench"
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

for tool in curl awk node timeout; do
	command -v "$tool" >/dev/null || die "$tool is missing"
done
[ -x "$JIAXIAO" ] || die "$JIAXIAO is missing: cmake -S . -B build && cmake --build build"
[ -f "$BUILD/plugins/jx_roster.so" ] || die "$BUILD/plugins/jx_roster.so is missing: build the roster plugin"
[ -x "$MKSTUDENTS" ] && [ -x "$FLOOR" ] ||
	die "$MKSTUDENTS or $FLOOR is missing: cmake --build $BUILD --target bench_mkstudents bench_floor"
if ldd "$JIAXIAO" 2>/dev/null | grep -q 'libasan\|libubsan'; then
	say "import bench: WARNING: $JIAXIAO is a sanitizer build; its figures mean little"
fi
if [ -n "$PERF_OUT" ]; then
	command -v perf >/dev/null || die "BENCH_IMPORT_PERF needs perf"
	case $PERF_OUT in /*) ;; *) PERF_OUT=$PWD/$PERF_OUT ;; esac
fi

bench_workdir jx-import-bench

# VmHWM (peak resident set) and VmRSS of a process, in MiB.
memory() {
	awk '/^VmHWM:/ { h = $2 } /^VmRSS:/ { r = $2 }
		END { printf "%.1f %.1f", h / 1024, r / 1024 }' "/proc/$1/status"
}

# login JAR LOGIN PASSWORD: a session; sets CSRF.
login() {
	local status
	status=$(api "$1" "" POST /api/v1/session \
		"{\"login\":\"$2\",\"password\":\"$3\"}")
	[ "$status" = 200 ] || die "login as $2 answered $status: $(cat "$WORK/reply.json")"
	CSRF=$(json "$WORK/reply.json" csrf_token)
	[ -n "$CSRF" ] || die "login as $2 gave no csrf_token"
}

# school CODE NAME PHONE: a nine_year school of the demo district and its
# admin, logged in with a changed password. Sets SID, ADMIN_JAR, ADMIN_CSRF.
school() {
	local code=$1 name=$2 phone=$3 status initial
	status=$(api "$WORK/district.jar" "$DISTRICT_CSRF" POST \
		"/api/v1/districts/$DID/schools" \
		"{\"code\":\"$code\",\"name\":\"$name\",\"stage\":\"nine_year\"}")
	[ "$status" = 201 ] || die "creating school $code answered $status: $(cat "$WORK/reply.json")"
	SID=$(json "$WORK/reply.json" id)
	status=$(api "$WORK/district.jar" "$DISTRICT_CSRF" POST \
		"/api/v1/schools/$SID/admins" \
		"{\"name\":\"基准管理员$code\",\"phone\":\"$phone\"}")
	[ "$status" = 201 ] || die "creating the admin of $code answered $status: $(cat "$WORK/reply.json")"
	ADMIN_JAR=$WORK/admin-$code.jar
	# The initial password comes with the new admin (8 random characters
	# where the district has no SMS gateway, issue 10), and must be
	# changed before anything else.
	initial=$(json "$WORK/reply.json" initial_password)
	[ -n "$initial" ] && [ "$initial" != null ] || die "the admin of $code has no initial password: $(cat "$WORK/reply.json")"
	login "$ADMIN_JAR" "$phone" "$initial"
	ADMIN_CSRF=$CSRF
	status=$(api "$ADMIN_JAR" "$ADMIN_CSRF" PUT /api/v1/me/password \
		"{\"old_password\":\"$initial\",\"new_password\":\"$ADMIN_PASSWORD\"}")
	[ "$status" = 204 ] || die "changing the password of $phone answered $status: $(cat "$WORK/reply.json")"
}

# run_import LABEL SHEET MODE CREATED: uploads SHEET to school SID as the
# school's admin and polls the job to its end, both from one node process
# (no process start inside the timed span). Sets SECS (from the start of
# the upload to the poll that saw the job end) and JOB_JSON; fails unless
# the job succeeded with CREATED rows created and no error.
run_import() {
	local label=$1 sheet=$2 mode=$3 want=$4 session created errors state
	session=$(awk '$6 == "jx_session" { print $7 }' "$ADMIN_JAR")
	[ -n "$session" ] || die "$label: no session cookie"
	JOB_JSON=$WORK/job-$label.json
	SECS=$(node -e '
		const [url, file, cookie, csrf, type, out, timeout, poll] =
			process.argv.slice(1);
		const fs = require("fs");
		const body = fs.readFileSync(file);
		const headers = { Cookie: "jx_session=" + cookie };
		(async () => {
			const t0 = performance.now();
			let r = await fetch(url, { method: "POST", body,
				headers: { ...headers, "X-CSRF-Token": csrf,
					"Content-Type": type } });
			const up = await r.text();
			if (r.status !== 202)
				throw new Error("upload answered " + r.status + ": " + up);
			const job = JSON.parse(up).job_id;
			const base = url.replace(/\/api\/v1\/schools\/.*/, "");
			const deadline = t0 + timeout * 1000;
			for (;;) {
				r = await fetch(base + "/api/v1/jobs/" + job, { headers });
				const text = await r.text();
				const state = r.status === 200 ? JSON.parse(text).state : "";
				if (state === "succeeded" || state === "failed") {
					const t1 = performance.now();
					fs.writeFileSync(out, text);
					console.log(((t1 - t0) / 1000).toFixed(3));
					return;
				}
				if (performance.now() > deadline)
					throw new Error("job " + job + " still " + state +
						" after " + timeout + " s");
				await new Promise((ok) => setTimeout(ok, poll * 1000));
			}
		})().catch((e) => { console.error(e.message); process.exit(1); });
	' "$URL/api/v1/schools/$SID/imports?kind=students&mode=$mode&create_classes=1" \
		"$sheet" "$session" "$ADMIN_CSRF" "$XLSX" "$JOB_JSON" "$TIMEOUT" \
		"$POLL") || die "$label: the import failed"
	state=$(json "$JOB_JSON" state)
	created=$(json "$JOB_JSON" result.created)
	errors=$(json "$JOB_JSON" result.errors.length)
	if [ "$state" != succeeded ] || [ "$created" != "$want" ] || [ "$errors" != 0 ]; then
		head -c 2000 "$JOB_JSON" >&2
		say ""
		die "$label: expected $want created and no error"
	fi
	say "import bench: $label: $SECS s ($created created)"
}

# The server's own account of job ID's phases (roster_import.c logs
# "import ID: ... read in A s, rows applied in B s, committed in C s; cpu
# D s; ..."): prints "A B C D", or "- - - -" when the log has no such line.
phases() {
	local p
	p=$(sed -n "s/.*import $1: .* read in \([0-9.]*\) s, rows applied in \([0-9.]*\) s, [a-z ]* in \([0-9.]*\) s; cpu \([0-9.]*\) s;.*/\1 \2 \3 \4/p" \
		"$WORK/jiaxiao.log" | tail -n 1)
	echo "${p:-- - - -}"
}

# ---- sheets and floor -----------------------------------------------------
say "import bench: writing $N + $SMALL students"
timeout "$TIMEOUT" "$MKSTUDENTS" -n "$N" "$WORK/large.xlsx"
timeout "$TIMEOUT" "$MKSTUDENTS" -n "$SMALL" -f "$N" "$WORK/small.xlsx"
size=$(stat -c %s "$WORK/large.xlsx")
upload_limit=$((20 << 20))
[ "$size" -lt "$upload_limit" ] || upload_limit=$((size * 2))

say "import bench: the floor (SQLite alone, $N students)"
timeout "$TIMEOUT" "$FLOOR" -n "$N" "$WORK" >"$WORK/floor.txt"
timeout "$TIMEOUT" "$FLOOR" -n "$SMALL" "$WORK" >"$WORK/floor-small.txt"
FLOOR_SECS=$(awk '/^seconds/ { print $2 }' "$WORK/floor.txt")
FLOOR_CPU=$(awk '/^cpu/ { print $2 }' "$WORK/floor.txt")
FLOOR_SMALL=$(awk '/^seconds/ { print $2 }' "$WORK/floor-small.txt")
FLOOR_SMALL_CPU=$(awk '/^cpu/ { print $2 }' "$WORK/floor-small.txt")
[ -n "$FLOOR_SECS" ] && [ -n "$FLOOR_SMALL" ] || die "the floor failed"

# ---- the server -----------------------------------------------------------
start_jiaxiao demo --set "limits.upload_bytes=$upload_limit"

login "$WORK/district.jar" "$DISTRICT_LOGIN" "$DEMO_PASSWORD"
DISTRICT_CSRF=$CSRF
DID=$(json "$WORK/reply.json" identities.0.district_id)
[ -n "$DID" ] || die "the demo district admin has no district"

MEM_START=$(memory "$JX_PID")

# ---- the large sheet ------------------------------------------------------
school BENCH1 基准学校一 17700000001
run_import large-dry-run "$WORK/large.xlsx" dry-run "$N"
DRY_SECS=$SECS
DRY_PHASES=$(phases "$(json "$JOB_JSON" id)")
MEM_DRY=$(memory "$JX_PID")

PERF_PID=
if [ -n "$PERF_OUT" ]; then
	perf record ${BENCH_IMPORT_PERF_ARGS:--g} -o "$PERF_OUT" -p "$JX_PID" >"$WORK/perf.log" 2>&1 &
	PERF_PID=$!
	PIDS+=("$PERF_PID")
	sleep 1
fi
run_import large-commit "$WORK/large.xlsx" commit "$N"
COMMIT_SECS=$SECS
COMMIT_PHASES=$(phases "$(json "$JOB_JSON" id)")
if [ -n "$PERF_PID" ]; then
	kill -INT "$PERF_PID" 2>/dev/null || true
	wait "$PERF_PID" 2>/dev/null || true
	say "import bench: profile in $PERF_OUT (perf report -i $PERF_OUT --no-children)"
fi
MEM_COMMIT=$(memory "$JX_PID")

# ---- 1,000 students end to end, in a second school ------------------------
school BENCH2 基准学校二 17700000002
run_import small-dry-run "$WORK/small.xlsx" dry-run "$SMALL"
SMALL_DRY=$SECS
SMALL_DRY_PHASES=$(phases "$(json "$JOB_JSON" id)")
run_import small-commit "$WORK/small.xlsx" commit "$SMALL"
SMALL_COMMIT=$SECS
SMALL_PHASES=$(phases "$(json "$JOB_JSON" id)")

# ---- the table -------------------------------------------------------------
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
# The database part: rows applied plus the commit (or the rollback).
dbpart() { awk -v a="$2" -v b="$3" 'BEGIN { if (a == "-") print "-"; else printf "%.3f", a + b }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-") print "-"; else printf "%.2f", (b > 0 ? a / b : 0) }'; }
row() {
	local what=$1 n=$2 secs=$3 floor=$4 read rows end cpu db
	read -r read rows end cpu <<<"$5"
	db=$(dbpart "$read" "$rows" "$end")
	echo "| $what | $n | $secs | $(rate "$n" "$secs") | $read | $rows | $end | $db | $(ratio "$db" "$floor") | $cpu |"
}
{
	echo "Date: $(date -Iseconds); machine: $(nproc) cores," \
		"$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)," \
		"kernel $(uname -r)"
	echo "Command: JX_BUILD_DIR=$BUILD BENCH_IMPORT_STUDENTS=$N" \
		"BENCH_IMPORT_SMALL=$SMALL bench/import.sh (sheet of $N students and" \
		"$((2 * N)) parents: $(awk -v s="$size" 'BEGIN { printf "%.1f MB", s / 1e6 }'))"
	echo
	echo "| run | students | upload to job end, s | students/s | sheet read, s | rows applied, s | commit / rollback, s | database part, s | database part × floor | CPU, s |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	echo "| SQLite floor: the same rows, one transaction | $N | $FLOOR_SECS | $(rate "$N" "$FLOOR_SECS") | | | | $FLOOR_SECS | 1.00 | $FLOOR_CPU |"
	row "dry run" "$N" "$DRY_SECS" "$FLOOR_SECS" "$DRY_PHASES"
	row "commit" "$N" "$COMMIT_SECS" "$FLOOR_SECS" "$COMMIT_PHASES"
	echo "| SQLite floor | $SMALL | $FLOOR_SMALL | $(rate "$SMALL" "$FLOOR_SMALL") | | | | $FLOOR_SMALL | 1.00 | $FLOOR_SMALL_CPU |"
	row "dry run, second school" "$SMALL" "$SMALL_DRY" "$FLOOR_SMALL" "$SMALL_DRY_PHASES"
	row "commit, second school" "$SMALL" "$SMALL_COMMIT" "$FLOOR_SMALL" "$SMALL_PHASES"
	echo
	echo "CPU: the floor's process; for a job, the job thread's from start to" \
		"end (the wall-clock figures move with the machine's other load)."
	echo
	read -r h0 r0 <<<"$MEM_START"
	read -r h1 r1 <<<"$MEM_DRY"
	read -r h2 r2 <<<"$MEM_COMMIT"
	echo "Server memory (VmHWM peak / VmRSS now, MiB): after start and login" \
		"$h0 / $r0; after the $N dry run $h1 / $r1; after the commit $h2 / $r2."
}
read -r _ rows end _ <<<"$COMMIT_PHASES"
say "import bench: commit of $N: $COMMIT_SECS s (goal < 20 s); database part" \
	"$(ratio "$(dbpart - "$rows" "$end")" "$FLOOR_SECS") × floor (goal ≤ 3);" \
	"$SMALL students end to end $SMALL_COMMIT s (goal < 1 s)"
