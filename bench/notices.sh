#!/usr/bin/env bash
# bench/notices.sh: a notice to 10,000 parents — the time to enqueue it in
# one transaction (goal: under 100 ms) against SQLite alone inserting the
# same rows (bench/notices.mjs). Prints a markdown table for
# docs/BENCHMARKS.md.
#
# Environment: BENCH_N [10000] parents, BENCH_REPEAT [5] notices.
# usage: bench/notices.sh [BUILD_DIR]   (an -O2 build: RelWithDebInfo)
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-${JX_BUILD_DIR:-$SRC/build}}
case $BUILD in /*) ;; *) BUILD=$SRC/$BUILD ;; esac
for f in jiaxiao plugins/jx_notices.so plugins/jx_wechat.so plugins/jx_roster.so; do
	if [ ! -e "$BUILD/$f" ]; then
		echo "notices.sh: $BUILD/$f is missing: build first (cmake --build $BUILD)" >&2
		exit 1
	fi
done
command -v sqlite3 >/dev/null || {
	echo "notices.sh: the sqlite3 shell is needed (apt-get install sqlite3)" >&2
	exit 1
}
cd "$SRC"
JX_BUILD_DIR=$BUILD JX_SOURCE_DIR=$SRC exec node bench/notices.mjs
