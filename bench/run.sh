#!/usr/bin/env bash
# bench/run.sh: `make bench`. Measures with wrk on 127.0.0.1 the bare
# civetweb reply (build/bench/bare, the reference), the real binary's
# /healthz, and a page rendered through the full stack (session, SQL, Lua
# template), and prints a markdown table for docs/BENCHMARKS.md: requests/s,
# p50, p99, CPU time per request (the server's utime+stime from /proc), each
# as a ratio to the bare reply, and the time a new client waits for its
# first byte while the load runs.
#
# Environment (defaults in brackets):
#   JX_BUILD_DIR          build tree with jiaxiao and bench/bare [build]
#   BENCH_DURATION        wrk run per target [10s]; BENCH_WARMUP [2s]
#   BENCH_THREADS, BENCH_CONNECTIONS     wrk -t and -c [2, 32]
#   BENCH_SERVER_THREADS  worker threads of both servers [64]
#   BENCH_PAGE            the full-stack page [/]
#   BENCH_LOGIN           login:password; log in first and measure the page
#                         with the session cookie, so that every request
#                         looks its session up; empty: anonymous
#                         [admin:$BENCH_ADMIN_PASSWORD with init, empty
#                         with demo]
#   BENCH_MODE            init (init + serve, admin password
#                         BENCH_ADMIN_PASSWORD [Bench12345]) or demo [init]
#   BENCH_PROBES          new-client probes during each run [5]
#   BENCH_KEEP            keep the data directory and server log
# usage: bench/run.sh [BUILD_DIR]   (BUILD_DIR overrides JX_BUILD_DIR)

# Run by `sh bench/run.sh` (dash): go on in bash, which this script needs.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-${JX_BUILD_DIR:-$SRC/build}}
case $BUILD in /*) ;; *) BUILD=$SRC/$BUILD ;; esac
DURATION=${BENCH_DURATION:-10s}
WARMUP=${BENCH_WARMUP:-2s}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-32}
SERVER_THREADS=${BENCH_SERVER_THREADS:-64}
PAGE=${BENCH_PAGE:-/}
MODE=${BENCH_MODE:-init}
ADMIN_PASSWORD=${BENCH_ADMIN_PASSWORD:-Bench12345}
if [ "$MODE" = init ]; then
	LOGIN=${BENCH_LOGIN-admin:$ADMIN_PASSWORD}
else
	LOGIN=${BENCH_LOGIN-}
fi
PROBES=${BENCH_PROBES:-5}

JIAXIAO=$BUILD/jiaxiao
BARE=$BUILD/bench/bare

BENCH_NAME="bench"
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

for tool in wrk curl awk; do
	command -v "$tool" >/dev/null || die "$tool is missing: apt-get install $tool"
done
[ -x "$JIAXIAO" ] || die "$JIAXIAO is missing: cmake -S . -B build && cmake --build build"
[ -x "$BARE" ] || die "$BARE is missing: cmake --build build --target bench_bare"
if ldd "$JIAXIAO" 2>/dev/null | grep -q 'libasan\|libubsan'; then
	say "bench: WARNING: $JIAXIAO is a sanitizer build; its figures mean little"
fi

bench_workdir jx-bench

# Seconds in a wrk duration (10s, 2m, 1h, or a plain number).
seconds() {
	case $1 in
	*ms) echo "0" ;;
	*s) echo "${1%s}" ;;
	*m) echo $((${1%m} * 60)) ;;
	*h) echo $((${1%h} * 3600)) ;;
	*) echo "$1" ;;
	esac
}

# start NAME READY_PATH COMMAND...: runs COMMAND (with @PORT@ replaced by a
# free port) in the background, retrying on another port if it dies before
# it answers. Sets PID and PORT.
start() {
	local name=$1 ready=$2
	shift 2
	local attempt args
	for attempt in 1 2 3 4 5; do
		PORT=$(free_port)
		args=("${@//@PORT@/$PORT}")
		(cd "$SRC" && exec "${args[@]}") >>"$WORK/$name.log" 2>&1 &
		PID=$!
		PIDS+=("$PID")
		if wait_ready "$PID" "http://127.0.0.1:$PORT$ready"; then
			return 0
		fi
		kill "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
		say "bench: $name did not start on port $PORT (attempt $attempt)"
	done
	tail -n 30 "$WORK/$name.log" >&2
	die "$name would not start; log: $WORK/$name.log"
}

# probe URL OUT: opens PROBES new connections, spread over the run, each
# recording "time_connect time_starttransfer" in seconds.
probe() {
	local url=$1 out=$2 gap
	gap=$(awk -v d="$(seconds "$DURATION")" -v n="$PROBES" \
		'BEGIN { printf "%.3f", d / (n + 1) }')
	for _ in $(seq "$PROBES"); do
		sleep "$gap"
		curl -s -o /dev/null --max-time 30 "${COOKIE_ARGS[@]}" \
			-w '%{time_connect} %{time_starttransfer}\n' "$url" \
			>>"$out" || echo "30 30" >>"$out"
	done
}

# measure LABEL PID URL PATH: warm-up, then wrk with the probes alongside.
# Appends "label path rps p50 p99 cpu_us requests non2xx errors probe_ms" to
# $WORK/results.
measure() {
	local label=$1 pid=$2 url=$3 path=$4
	local out="$WORK/wrk-$1.txt"
	local before after ticks requests rps p50 p99 non2xx errors cpu_us ttfb
	local probe_pid
	say "bench: $label: $url"
	wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" "${WRK_HEADERS[@]}" "$url" \
		>/dev/null
	: >"$WORK/probe-$label.txt"
	before=$(cpu_ticks "$pid")
	probe "$url" "$WORK/probe-$label.txt" &
	probe_pid=$!
	PIDS+=("$probe_pid")
	wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency \
		"${WRK_HEADERS[@]}" "$url" >"$out"
	wait "$probe_pid" || true
	after=$(cpu_ticks "$pid")
	cat "$out" >&2

	requests=$(awk '/requests in/ { print $1 }' "$out")
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
	p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
	p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
	non2xx=$(awk '/Non-2xx/ { print $NF }' "$out")
	errors=$(awk '/Socket errors/ {
		gsub(/,/, ""); print $4 + $6 + $8 + $10 }' "$out")
	ticks=$((after - before))
	cpu_us=$(awk -v t="$ticks" -v hz="$CLK_TCK" -v n="$requests" \
		-v p="$PROBES" 'BEGIN { printf "%.1f", t / hz * 1e6 / (n + p) }')
	ttfb=$(awk '{ if ($2 > m) m = $2 } END { printf "%.1f", m * 1000 }' \
		"$WORK/probe-$label.txt")
	echo "$label $path $rps $p50 $p99 $cpu_us $requests ${non2xx:-0}" \
		"${errors:-0} $ttfb" >>"$WORK/results"
}

WRK_HEADERS=()
COOKIE_ARGS=()
: >"$WORK/results"

# 1. The reference: civetweb alone.
start bare / "$BARE" "127.0.0.1:@PORT@" "$SERVER_THREADS"
measure bare "$PID" "http://127.0.0.1:$PORT/" /
kill "$PID"
wait "$PID" 2>/dev/null || true

# 2. The real binary on a fresh data directory.
DATA=$WORK/data
case $MODE in
init)
	"$JIAXIAO" init --data "$DATA" --admin-password "$ADMIN_PASSWORD" \
		>"$WORK/init.log" 2>&1 || { cat "$WORK/init.log" >&2; die "init failed"; }
	start jiaxiao /healthz "$JIAXIAO" serve --data "$DATA" \
		--listen "127.0.0.1:@PORT@" --set "threads=$SERVER_THREADS"
	;;
demo)
	start jiaxiao /healthz "$JIAXIAO" demo --data "$DATA" \
		--listen "127.0.0.1:@PORT@"
	;;
*) die "BENCH_MODE is init or demo, not $MODE" ;;
esac
URL=http://127.0.0.1:$PORT
JX_PID=$PID

measure healthz "$JX_PID" "$URL/healthz" /healthz

if [ -n "$LOGIN" ]; then
	user=${LOGIN%%:*}
	pass=${LOGIN#*:}
	body=$(printf '{"login":"%s","password":"%s"}' "$user" "$pass")
	status=$(curl -s -o "$WORK/login.json" -w '%{http_code}' -c "$WORK/jar" \
		-H 'Content-Type: application/json' -d "$body" \
		"$URL/api/v1/session")
	[ "$status" = 200 ] || die "login as $user answered $status: $(cat "$WORK/login.json")"
	session=$(awk '$6 == "jx_session" { print $7 }' "$WORK/jar")
	[ -n "$session" ] || die "login set no jx_session cookie"
	WRK_HEADERS=(-H "Cookie: jx_session=$session")
	COOKIE_ARGS=(-H "Cookie: jx_session=$session")
fi
status=$(curl -s -o "$WORK/page.html" -w '%{http_code}' "${COOKIE_ARGS[@]}" \
	"$URL$PAGE")
[ "$status" = 200 ] || die "$PAGE answered $status, not 200"
measure page "$JX_PID" "$URL$PAGE" "$PAGE"

# The table. Ratios are to the bare reply of the same run.
{
	echo "Date: $(date -Iseconds); machine: $(nproc) cores," \
		"$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)," \
		"kernel $(uname -r)"
	echo "Command: JX_BUILD_DIR=$BUILD BENCH_PAGE=$PAGE" \
		"${LOGIN:+BENCH_LOGIN=${LOGIN%%:*}:... }bench/run.sh" \
		"(wrk -t$THREADS -c$CONNS -d$DURATION --latency; server threads" \
		"$SERVER_THREADS)"
	echo
	echo "| target | requests/s | × bare | p50 ms | × bare | p99 ms | × bare | CPU µs/request | × bare | new client first byte, max ms | non-2xx / socket errors |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	awk -v who="${LOGIN:+as ${LOGIN%%:*}}" '
	NR == 1 { brps = $3; bp50 = $4; bp99 = $5; bcpu = $6 }
	function ratio(a, b) { return b > 0 ? sprintf("%.2f", a / b) : "-" }
	{
		name = $1 == "bare" ? "bare civetweb reply" : \
			$1 == "healthz" ? "jiaxiao `/healthz`" : \
			"jiaxiao page `" $2 "`" (who != "" ? " " who : "") \
			" (full stack)"
		printf "| %s | %.0f | %s | %.3f | %s | %.3f | %s | %.1f | %s | %.1f | %d / %d |\n", \
			name, $3, ratio($3, brps), $4, ratio($4, bp50), \
			$5, ratio($5, bp99), $6, ratio($6, bcpu), $10, $8, $9
	}' "$WORK/results"
}

page_ratio=$(awk 'NR == 1 { b = $3 } $1 == "page" && b > 0 { printf "%.2f", $3 / b }' \
	"$WORK/results")
say "bench: full-stack page throughput = $page_ratio × bare (aim 0.25; below 0.20 is a defect)"
