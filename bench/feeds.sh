#!/usr/bin/env bash
# bench/feeds.sh: the feed benchmark (issue 15, "Performance"). Writes a
# school of BENCH_FEEDS_STUDENTS students with BENCH_FEEDS_POSTS posts
# into a fresh data directory (`jiaxiao init`, one `jiaxiao serve` for the
# plugins' migrations, then build/bench/mkfeeds), and measures with wrk
# in one run, beside the bare civetweb reply (build/bench/bare) as
# bench/run.sh does: the bare reply, `/me`, the school feed as JSON
# (`GET /api/v1/feeds/school?limit=20`, its first page) and the feed page
# (`/feeds/school`), each as one student of the school (a password the
# generator set). Prints a markdown table for docs/BENCHMARKS.md:
# requests/s, p50, p99, their ratios to the bare reply, the server's CPU
# time per request (from /proc; steadier on a shared machine), the p50 of
# one connection alone, and the goals:
# JSON feed >= 0.30 x bare, the page's ratio >= 0.8 x the ratio of /me,
# p99 of the JSON feed < 20 ms. Any non-2xx reply under load fails the
# run (a 401 or 404 is cheap and would measure nothing).
#
# With BENCH_FEEDS_SMOKE=1 (the ctest bench_feeds_smoke) it writes a small
# school (180 students, 2,000 posts unless set), checks that the student
# logs in and that /me, the JSON feed (20 items, newest first, public or
# school only, as many as the generator says the student sees when fewer)
# and the page answer, and skips wrk.
#
# Environment (defaults in brackets):
#   JX_BUILD_DIR              build tree with jiaxiao, plugins/, bench/ [build]
#   BENCH_FEEDS_STUDENTS      students in the school [3000]
#   BENCH_FEEDS_POSTS         posts [200000]
#   BENCH_DURATION            wrk run per target [10s]; BENCH_WARMUP [2s];
#                             BENCH_SERIAL: the one-connection run after it [3s]
#   BENCH_THREADS, BENCH_CONNECTIONS   wrk -t and -c [2, 32]
#   BENCH_SERVER_THREADS      worker threads of both servers [64]
#   BENCH_FEEDS_SMOKE         1: small school, checks only, no wrk
#   BENCH_FEEDS_CALLGRIND     1: also instructions per request of /me, the
#                             JSON feed and the page under valgrind's
#                             callgrind (steady on a loaded machine)
#   BENCH_KEEP                keep the data directory and server log
# usage: bench/feeds.sh [BUILD_DIR]   (BUILD_DIR overrides JX_BUILD_DIR)

# Run by `sh bench/feeds.sh` (dash): go on in bash, which this needs.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-${JX_BUILD_DIR:-$SRC/build}}
case $BUILD in /*) ;; *) BUILD=$SRC/$BUILD ;; esac
SMOKE=${BENCH_FEEDS_SMOKE:-}
if [ -n "$SMOKE" ]; then
	N=${BENCH_FEEDS_STUDENTS:-180}
	POSTS=${BENCH_FEEDS_POSTS:-2000}
else
	N=${BENCH_FEEDS_STUDENTS:-3000}
	POSTS=${BENCH_FEEDS_POSTS:-200000}
fi
DURATION=${BENCH_DURATION:-10s}
WARMUP=${BENCH_WARMUP:-2s}
SERIAL=${BENCH_SERIAL:-3s}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-32}
SERVER_THREADS=${BENCH_SERVER_THREADS:-64}
ADMIN_PASSWORD=Bench2026feeds
PASSWORD=Bench2026feeds

JIAXIAO=$BUILD/jiaxiao
BARE=$BUILD/bench/bare
MKFEEDS=$BUILD/bench/mkfeeds
FEED='/api/v1/feeds/school?limit=20'
PAGE=/feeds/school

BENCH_NAME="feeds bench"
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

tools="curl awk node"
[ -n "$SMOKE" ] || tools="$tools wrk"
for tool in $tools; do
	command -v "$tool" >/dev/null || die "$tool is missing: apt-get install $tool"
done
[ -x "$JIAXIAO" ] || die "$JIAXIAO is missing: cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo && cmake --build build"
[ -f "$BUILD/plugins/jx_feeds.so" ] || die "$BUILD/plugins/jx_feeds.so is missing: build the feeds plugin"
[ -x "$MKFEEDS" ] || die "$MKFEEDS is missing: cmake --build $BUILD --target bench_mkfeeds"
[ -n "$SMOKE" ] || [ -x "$BARE" ] || die "$BARE is missing: cmake --build $BUILD --target bench_bare"
if [ -z "$SMOKE" ] && ldd "$JIAXIAO" 2>/dev/null | grep -q 'libasan\|libubsan'; then
	say "feeds bench: WARNING: $JIAXIAO is a sanitizer build; its figures mean little"
fi

bench_workdir jx-feeds-bench

stop_jiaxiao() {
	kill "$JX_PID" 2>/dev/null || true
	wait "$JX_PID" 2>/dev/null || true
}

# ---- the school -------------------------------------------------------------
"$JIAXIAO" init --data "$WORK/data" --admin-password "$ADMIN_PASSWORD" \
	>"$WORK/init.log" 2>&1 || { cat "$WORK/init.log" >&2; die "jiaxiao init failed"; }
# Served once: the plugins' migrations create the feeds tables.
start_jiaxiao serve
stop_jiaxiao
t0=$(date +%s.%N)
"$MKFEEDS" -n "$N" -p "$POSTS" -w "$PASSWORD" "$WORK/data" >"$WORK/school.txt" ||
	die "mkfeeds failed"
GEN_SECS=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
field() { awk -v k="$1" -v i="$2" '$1 == k { print $i }' "$WORK/school.txt"; }
STUDENT=$(field student 2)
CLASSES=$(field classes 2)
TEACHERS=$(field teachers 2)
PARENTS=$(field parents 2)
SEES=$(field reader 3)
VIS=$(awk '$1 == "visibility" { print $3 "/" $5 "/" $7 "/" $9 }' "$WORK/school.txt")
STATUS=$(awk '$1 == "status" { print $3 "/" $5 "/" $7 }' "$WORK/school.txt")
LIKES=$(field likes 2)
COMMENTS=$(field comments 2)
DB_MB=$(du -m "$WORK/data/jiaxiao.db" | awk '{ print $1 }')
say "feeds bench: $N students ($CLASSES classes, $TEACHERS teachers, $PARENTS parents), $POSTS posts written in $GEN_SECS s ($DB_MB MB)"

# ---- one request each, checked ---------------------------------------------
start_jiaxiao serve --set "threads=$SERVER_THREADS"
status=$(api "$WORK/jar" "" POST /api/v1/session \
	"{\"login\":\"$STUDENT\",\"password\":\"$PASSWORD\"}")
[ "$status" = 200 ] || die "login as student $STUDENT answered $status: $(cat "$WORK/reply.json")"
SESSION=$(awk '$6 == "jx_session" { print $7 }' "$WORK/jar")
[ -n "$SESSION" ] || die "login set no jx_session cookie"
COOKIE="Cookie: jx_session=$SESSION"

check() {
	local path=$1 out=$2 status
	status=$(curl -s -o "$out" -w '%{http_code}' --max-time 60 \
		-H "$COOKIE" "$URL$path")
	[ "$status" = 200 ] || die "$path answered $status, not 200: $(head -c 300 "$out")"
}
check /me "$WORK/me.html"
check "$FEED" "$WORK/feed.json"
check "$PAGE" "$WORK/page.html"
# The JSON feed's first page: min(20, what the student sees) items,
# newest first, all public or school.
node -e '
	const [file, sees] = process.argv.slice(1, 3);
	const body = JSON.parse(require("fs").readFileSync(file, "utf8"));
	const items = body.items;
	if (!Array.isArray(items)) throw new Error("no items: " + JSON.stringify(body).slice(0, 200));
	const want = Math.min(20, Number(sees));
	if (items.length !== want) throw new Error(items.length + " items, not " + want);
	for (let i = 1; i < items.length; i++)
		if (!(items[i - 1].id > items[i].id)) throw new Error("not newest first at " + i);
	for (const p of items)
		if (p.visibility !== "public" && p.visibility !== "school")
			throw new Error("post " + p.id + " is " + p.visibility);
	// the page shows the same newest post
	const page = require("fs").readFileSync(process.argv[3], "utf8");
	if (items.length > 0 && !page.includes(items[0].text))
		throw new Error("the page lacks the newest post, " + items[0].id);
	// a phone-sized first page: 20 posts, then "load more"
	const cells = page.split("<article class=\"feeds-post\"").length - 1;
	if (cells !== want) throw new Error("the page shows " + cells + " posts, not " + want);
	if (Number(sees) > 20 && !/href="[^"]*\?cursor=\d+"/.test(page))
		throw new Error("the page has no load-more link");
' "$WORK/feed.json" "$SEES" "$WORK/page.html" ||
	die "the school feed is wrong: $(head -c 300 "$WORK/feed.json")"
if [ -n "$SMOKE" ]; then
	say "feeds bench: smoke: $N students, $POSTS posts; the student $STUDENT sees $SEES in the school feed; /me, $FEED and $PAGE answer"
	exit 0
fi

# ---- wrk --------------------------------------------------------------------
# measure LABEL PID URL [HEADER]: warm-up, then wrk; appends "label rps
# p50 p99 requests socket_errors cpu_us" to $WORK/results, cpu_us the
# server's (PID) CPU time per request: steadier than requests/s on a
# shared machine. Fails on non-2xx replies.
: >"$WORK/results"
measure() {
	local label=$1 pid=$2 url=$3 out="$WORK/wrk-$1.txt" hdr=()
	local rps p50 p99 requests non2xx errors before after cpu_us serial
	[ -n "${4:-}" ] && hdr=(-H "$4")
	say "feeds bench: $label: $url"
	wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" "${hdr[@]}" "$url" >/dev/null
	before=$(cpu_ticks "$pid")
	wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "${hdr[@]}" \
		"$url" >"$out"
	after=$(cpu_ticks "$pid")
	cat "$out" >&2
	# one request at a time: the request's own cost, no queueing
	wrk -t1 -c1 -d"$SERIAL" --latency "${hdr[@]}" "$url" >"$out.serial"
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
	echo "$label $rps $p50 $p99 $requests ${errors:-0} $cpu_us $serial" >>"$WORK/results"
}

# The server's own figures first, then the reference on the same machine.
measure me "$JX_PID" "$URL/me" "$COOKIE"
measure feed "$JX_PID" "$URL$FEED" "$COOKIE"
measure page "$JX_PID" "$URL$PAGE" "$COOKIE"
HWM=$(awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$JX_PID/status")
stop_jiaxiao

# Instructions per request under callgrind (BENCH_FEEDS_CALLGRIND=1):
# the server on 2 threads, collecting inside http_dispatch only (the
# request's own work; not civetweb's parsing, not the kernel), 10 warm-up
# requests (templates, catalogs, statements), then COUNT counted ones.
# Unlike requests/s this does not move with the machine's load.
: >"$WORK/callgrind"
if [ -n "${BENCH_FEEDS_CALLGRIND:-}" ]; then
	if ! command -v valgrind >/dev/null ||
		! command -v callgrind_control >/dev/null; then
		die "valgrind is missing: apt-get install valgrind"
	fi
	COUNT=20
	for target in me:/me "feed:$FEED" "page:$PAGE"; do
		label=${target%%:*} path=${target#*:}
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
		for _ in $(seq 10); do
			curl -s -o /dev/null -H "$COOKIE" "http://127.0.0.1:$port$path"
		done
		callgrind_control -z "$CG_PID" >/dev/null
		for _ in $(seq "$COUNT"); do
			status=$(curl -s -o /dev/null -w '%{http_code}' -H "$COOKIE" \
				"http://127.0.0.1:$port$path")
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
	echo "Command: JX_BUILD_DIR=$BUILD BENCH_FEEDS_STUDENTS=$N" \
		"BENCH_FEEDS_POSTS=$POSTS bench/feeds.sh (wrk -t$THREADS -c$CONNS" \
		"-d$DURATION --latency after a $WARMUP warm-up; server threads" \
		"$SERVER_THREADS)"
	echo
	echo "School: $N students in $CLASSES classes, $TEACHERS teachers," \
		"$PARENTS parents; $POSTS posts over a year (public/school/class/private" \
		"$VIS; live/deleted/removed $STATUS), $LIKES likes, $COMMENTS" \
		"comments, written in $GEN_SECS s ($DB_MB MB database). The student" \
		"$STUDENT sees $SEES posts in the school feed."
	echo
	echo "| target (as the student) | requests/s | × bare | p50 ms | p99 ms | CPU µs/request | × bare | one connection: p50 ms | socket errors |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	awk -v feed="$FEED" -v page="$PAGE" '
	{ rps[$1] = $2; p50[$1] = $3; p99[$1] = $4; err[$1] = $6; cpu[$1] = $7; ser[$1] = $8 }
	END {
		split("bare me feed page", order, " ")
		name["bare"] = "bare civetweb reply"
		name["me"] = "`/me` (page)"
		name["feed"] = "`GET " feed "` (JSON)"
		name["page"] = "`" page "` (page)"
		for (i = 1; i <= 4; i++) {
			k = order[i]
			printf "| %s | %.0f | %.2f | %.3f | %.3f | %.1f | %.2f | %.3f | %d |\n",
				name[k], rps[k],
				(rps["bare"] > 0 ? rps[k] / rps["bare"] : 0),
				p50[k], p99[k], cpu[k],
				(cpu["bare"] > 0 ? cpu[k] / cpu["bare"] : 0), ser[k], err[k]
		}
	}' "$WORK/results"
	echo
	awk '
	{ rps[$1] = $2; p99[$1] = $4 }
	function ok(c) { return c ? "yes" : "**no**" }
	END {
		f = rps["feed"] / rps["bare"]
		pm = (rps["page"] / rps["bare"]) / (rps["me"] / rps["bare"])
		print "| goal | figure | met |"
		print "|---|---:|:---:|"
		printf "| JSON feed ≥ 0.30 × bare | %.2f | %s |\n", f, ok(f >= 0.30)
		printf "| feed page ratio ≥ 0.8 × the ratio of `/me` | %.2f | %s |\n", pm, ok(pm >= 0.8)
		printf "| JSON feed p99 < 20 ms | %.3f | %s |\n", p99["feed"], ok(p99["feed"] < 20)
		printf "| feed page p99 < 20 ms | %.3f | %s |\n", p99["page"], ok(p99["page"] < 20)
	}' "$WORK/results"
	if [ -s "$WORK/callgrind" ]; then
		echo
		echo "| instructions per request (callgrind, inside http_dispatch) | Ir | × \`/me\` |"
		echo "|---|---:|---:|"
		awk -v feed="$FEED" -v page="$PAGE" '
		{ ir[$1] = $2 }
		END {
			name["me"] = "`/me` (page)"
			name["feed"] = "`GET " feed "` (JSON)"
			name["page"] = "`" page "` (page)"
			split("me feed page", order, " ")
			for (i = 1; i <= 3; i++)
				printf "| %s | %.0f | %.2f |\n", name[order[i]],
					ir[order[i]], ir[order[i]] / ir["me"]
		}' "$WORK/callgrind"
	fi
	echo
	echo "Server peak memory (VmHWM): $HWM MiB. Load average at the end" \
		"(the machine is shared; wrk runs on it too): $LOAD."
}
