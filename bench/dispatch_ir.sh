#!/usr/bin/env bash
# bench/dispatch_ir.sh: instructions per request inside the dispatcher
# (http_dispatch and all it calls: session, routing, handler, reply,
# send, access log), counted by valgrind's callgrind on the real binary
# with one worker thread. Unlike requests/s (bench/run.sh), the count does
# not move with what else the machine runs, so it compares two builds on
# a shared machine to a fraction of a percent.
#
# Prints one table row per path: path, requests counted, instructions
# per request.
# Environment: BENCH_REQUESTS per path [1000], BENCH_LOGIN
# [13800000004:Demo2026], BENCH_PATHS ["/healthz /me"].
# usage: bench/dispatch_ir.sh [BUILD_DIR]   (run from the source tree whose
#        templates and plugins the build uses)

if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail

BUILD=${1:-${JX_BUILD_DIR:-build}}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
N=${BENCH_REQUESTS:-1000}
LOGIN=${BENCH_LOGIN:-13800000004:Demo2026}
PATHS=${BENCH_PATHS:-/healthz /me}

BENCH_NAME="dispatch_ir"
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
for tool in valgrind curl awk; do
	command -v "$tool" >/dev/null || die "$tool is missing: apt-get install $tool"
done
[ -x "$BUILD/jiaxiao" ] || die "$BUILD/jiaxiao is missing"
bench_workdir jx-dispatch-ir

# serve_on LOG CMD ARGS...: runs the command (with @PORT@ replaced by a
# free port) in the background until /healthz answers, on another port
# when the chosen one was taken meanwhile (an outgoing connection's
# ephemeral port); sets pid, PORT and URL.
serve_on() {
	local log=$1 attempt
	shift
	for attempt in 1 2 3 4 5; do
		PORT=$(free_port)
		URL=http://127.0.0.1:$PORT
		"${@//@PORT@/$PORT}" >"$log" 2>&1 &
		pid=$!
		PIDS=("$pid")
		wait_ready "$pid" "$URL/healthz" 2000 && return 0
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	die "did not start: $(tail -3 "$log")"
}

# The demo district, made natively (its argon2 hashes are slow under
# valgrind); then each path on a server under callgrind.
serve_on "$WORK/demo.log" "$BUILD/jiaxiao" demo --data "$WORK/data" \
	--listen "127.0.0.1:@PORT@"
kill "$pid"
wait "$pid" 2>/dev/null || true
PIDS=()

body=$(printf '{"login":"%s","password":"%s"}' "${LOGIN%%:*}" "${LOGIN#*:}")
for path in $PATHS; do
	serve_on "$WORK/serve.log" valgrind --tool=callgrind \
		--toggle-collect=http_dispatch --callgrind-out-file="$WORK/cg.out" \
		"$BUILD/jiaxiao" serve --data "$WORK/data" \
		--listen "127.0.0.1:@PORT@" --set threads=1
	curl -s -o /dev/null -c "$WORK/jar" -H 'Content-Type: application/json' \
		-d "$body" "$URL/api/v1/session"
	cookie=$(awk '$6 == "jx_session" { print $7 }' "$WORK/jar")
	# The worker's first requests make its Lua state and compile the
	# templates: counted from zero after them.
	for _ in $(seq 20); do
		curl -s -o /dev/null -H "Cookie: jx_session=$cookie" "$URL$path"
	done
	callgrind_control -z "$pid" >/dev/null 2>&1
	for _ in $(seq "$N"); do
		curl -s -o /dev/null -H "Cookie: jx_session=$cookie" "$URL$path"
	done
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	PIDS=()
	ir=$(awk '/^(summary|totals):/ { print $2; exit }' "$WORK/cg.out")
	printf '| `%s` | %d | %d |\n' "$path" "$N" $((ir / N))
done
