#!/usr/bin/env bash
# bench/notify.sh: delivery rate of the outbox to the local WeChat API
# stand-in, and a kill -9 in the middle of a delivery (bench/notify.mjs).
# Prints markdown tables for docs/BENCHMARKS.md.
#
# Environment: BENCH_N [10000], BENCH_WORKERS ["2"], BENCH_LANES ["0 8 32"]
# (each pair is one run), BENCH_BATCH [64],
# BENCH_CRASH_AT [3000], BENCH_LATENCY_MS [0] (the stand-in answers that
# much later, like a distant API).
# usage: bench/notify.sh [BUILD_DIR]   (an -O2 build with its test plugins:
#        cmake --build BUILD_DIR builds build/test-plugins too)
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-${JX_BUILD_DIR:-$SRC/build}}
case $BUILD in /*) ;; *) BUILD=$SRC/$BUILD ;; esac
for f in jiaxiao plugins/jx_wechat.so plugins/jx_sms.so test-plugins/jx_outbox_probe.so; do
	if [ ! -e "$BUILD/$f" ]; then
		echo "notify.sh: $BUILD/$f is missing: build first (cmake --build $BUILD)" >&2
		exit 1
	fi
done
cd "$SRC"
JX_BUILD_DIR=$BUILD JX_SOURCE_DIR=$SRC exec node bench/notify.mjs
