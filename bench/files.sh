#!/usr/bin/env bash
# bench/files.sh: the file service (issue 12) on 127.0.0.1, for
# docs/BENCHMARKS.md ("File service").
#
#  1. Uploads: time to 201 of a 6 MB phone photo (4032 x 3024, taken
#     sideways: EXIF Orientation 6, GPS) through POST /api/v1/files,
#     display copy and thumbnail included; the same with the clean
#     original (?keep_original=1); and, beside them, a PDF of the same
#     size (sniffed, hashed and stored, no variants). BENCH_UPLOADS runs
#     each, one at a time: median, min, max (curl's time_total), and the
#     server's CPU time per upload (utime+stime from /proc). The floor:
#     build/bench/variants, host/image.c alone on the same photo (no
#     HTTP, hashing or storing), as many runs.
#  2. Downloads: wrk on the display copy (GET /api/v1/files/{id}?variant=
#     display with the session: access check, ETag, Content-Disposition)
#     and on the same bytes served by civetweb alone (build/bench/bare
#     with a document root), in the same run: requests/s, MB/s, p50, p99,
#     and the ratio to bare.
#
# Environment (defaults in brackets):
#   JX_BUILD_DIR          build tree with jiaxiao, bench/bare, bench/mkphoto,
#                         bench/variants [build]
#   BENCH_UPLOADS         uploads of each kind [7]
#   BENCH_DURATION        wrk run per target [10s]; BENCH_WARMUP [2s]
#   BENCH_THREADS, BENCH_CONNECTIONS     wrk -t and -c [2, 32]
#   BENCH_SERVER_THREADS  worker threads of both servers [64]
#   BENCH_LOGIN           who uploads, login:password, in the demo data
#                         [13800000003:Demo2026, a teacher]
#   BENCH_KEEP            keep the work directory and the server log
# usage: bench/files.sh [BUILD_DIR]   (BUILD_DIR overrides JX_BUILD_DIR)

# Run by `sh bench/files.sh` (dash): go on in bash, which this script needs.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-${JX_BUILD_DIR:-$SRC/build}}
case $BUILD in /*) ;; *) BUILD=$SRC/$BUILD ;; esac
UPLOADS=${BENCH_UPLOADS:-7}
DURATION=${BENCH_DURATION:-10s}
WARMUP=${BENCH_WARMUP:-2s}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-32}
SERVER_THREADS=${BENCH_SERVER_THREADS:-64}
LOGIN=${BENCH_LOGIN:-13800000003:Demo2026}

JIAXIAO=$BUILD/jiaxiao
BARE=$BUILD/bench/bare
MKPHOTO=$BUILD/bench/mkphoto
VARIANTS=$BUILD/bench/variants

BENCH_NAME="files bench"
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

for tool in wrk curl awk node; do
	command -v "$tool" >/dev/null || die "$tool is missing: apt-get install $tool"
done
[ -x "$JIAXIAO" ] || die "$JIAXIAO is missing: cmake -S . -B build && cmake --build build"
[ -x "$BARE" ] || die "$BARE is missing: cmake --build build --target bench_bare"
[ -x "$MKPHOTO" ] || die "$MKPHOTO is missing: cmake --build build --target bench_mkphoto"
[ -x "$VARIANTS" ] || die "$VARIANTS is missing: cmake --build build --target bench_variants"
if ldd "$JIAXIAO" 2>/dev/null | grep -q 'libasan\|libubsan'; then
	say "files bench: WARNING: $JIAXIAO is a sanitizer build; its figures mean little"
fi

bench_workdir jx-bench-files

# A wrk transfer rate (12.34MB, 900.00KB, 1.20GB per second) in MB/s.
to_mbs() {
	awk -v v="$1" 'BEGIN {
		n = v + 0
		if (v ~ /GB$/) n *= 1024
		else if (v ~ /KB$/) n /= 1024
		else if (v ~ /[0-9]B$/) n /= 1048576
		printf "%.1f", n
	}'
}

# 1. The photo: camera-sized, made-up pixels, the tags a phone writes.
PHOTO=$WORK/photo.jpg
"$MKPHOTO" "$PHOTO" 4032 3024 92 28
if command -v exiftool >/dev/null; then
	exiftool -q -overwrite_original -Make=Xiaomi -Model="Redmi Note 12" \
		-Orientation#=6 -GPSLatitude=39.9087 -GPSLatitudeRef=N \
		-GPSLongitude=116.3975 -GPSLongitudeRef=E "$PHOTO"
else
	say "files bench: exiftool missing (libimage-exiftool-perl): the photo has no EXIF"
fi
PHOTO_BYTES=$(stat -c %s "$PHOTO")
# A PDF of the same size: stored as it is, no variants.
PDF=$WORK/same-size.pdf
{
	printf '%%PDF-1.4\n%%\xe2\xe3\xcf\xd3\n'
	head -c "$((PHOTO_BYTES - 32))" /dev/urandom
	printf '\n%%%%EOF\n'
} >"$PDF"

# The floor: host/image.c alone, in a process of its own.
: >"$WORK/uploads"
for keep in "" -o; do
	label=floor${keep:+-original}
	echo "$label $("$VARIANTS" -n "$UPLOADS" ${keep:+"$keep"} "$PHOTO" "$WORK")" >>"$WORK/uploads"
	say "files bench: $label: $(tail -n 1 "$WORK/uploads")"
done

# 2. jiaxiao on the demo data; the uploader logs in.
start_jiaxiao demo --set "threads=$SERVER_THREADS"
user=${LOGIN%%:*}
pass=${LOGIN#*:}
status=$(curl -s -o "$WORK/login.json" -w '%{http_code}' -c "$WORK/jar" \
	-H 'Content-Type: application/json' \
	-d "$(printf '{"login":"%s","password":"%s"}' "$user" "$pass")" \
	"$URL/api/v1/session")
[ "$status" = 200 ] || die "login as $user answered $status: $(cat "$WORK/login.json")"
CSRF=$(json "$WORK/login.json" csrf_token)
session=$(awk '$6 == "jx_session" { print $7 }' "$WORK/jar")
[ -n "$session" ] || die "login set no jx_session cookie"

# upload LABEL FILE TYPE QUERY: BENCH_UPLOADS uploads, one at a time;
# appends "label median min max cpu_ms" to $WORK/uploads and leaves the
# last reply in $WORK/up-LABEL.json. Without "Expect: 100-continue",
# which curl sends for a large body and browsers do not: civetweb does
# not answer it, and curl would wait a second before sending.
upload() {
	local label=$1 file=$2 type=$3 query=$4 before after i out code secs
	: >"$WORK/times-$label"
	before=$(cpu_ticks "$JX_PID")
	for i in $(seq "$UPLOADS"); do
		out=$(curl -s -o "$WORK/up-$label.json" \
			-w '%{http_code} %{time_total}' --max-time 120 \
			-b "$WORK/jar" -H "X-CSRF-Token: $CSRF" -H 'Expect:' \
			-F "file=@$file;type=$type" "$URL/api/v1/files$query")
		code=${out%% *}
		secs=${out#* }
		[ "$code" = 201 ] || die "upload $label #$i answered $code: $(cat "$WORK/up-$label.json")"
		echo "$secs" >>"$WORK/times-$label"
	done
	after=$(cpu_ticks "$JX_PID")
	sort -n "$WORK/times-$label" | awk -v l="$label" \
		-v t="$((after - before))" -v hz="$CLK_TCK" -v n="$UPLOADS" '
		{ v[NR] = $1 * 1000 }
		END {
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%s %.0f %.0f %.0f %.0f\n", l, m, v[1], v[NR], t / hz * 1000 / n
		}' >>"$WORK/uploads"
	say "files bench: $label: $(tail -n 1 "$WORK/uploads")"
}

upload photo "$PHOTO" image/jpeg ""
upload photo-original "$PHOTO" image/jpeg "?keep_original=1"
upload pdf "$PDF" application/pdf ""

# 3. The display copy: fetched once, then wrk against both servers.
DISPLAY_PATH=$(json "$WORK/up-photo.json" variants.display)
[ -n "$DISPLAY_PATH" ] || die "the photo's reply names no display variant: $(cat "$WORK/up-photo.json")"
mkdir -p "$WORK/docroot"
status=$(curl -s -o "$WORK/docroot/display.jpg" -w '%{http_code}' \
	-H "Cookie: jx_session=$session" "$URL$DISPLAY_PATH")
[ "$status" = 200 ] || die "$DISPLAY_PATH answered $status"
DISPLAY_BYTES=$(stat -c %s "$WORK/docroot/display.jpg")
DISPLAY_SIZE=$( (command -v exiftool >/dev/null &&
	exiftool -s3 -ImageSize "$WORK/docroot/display.jpg") || echo "?")
if command -v exiftool >/dev/null &&
	exiftool -s3 -GPSPosition -Orientation "$WORK/docroot/display.jpg" | grep -q .; then
	die "the display copy keeps EXIF: $(exiftool -s -GPSPosition -Orientation "$WORK/docroot/display.jpg")"
fi

# wrk_run LABEL URL [HEADER]: appends "label rps mbs p50 p99 non2xx".
wrk_run() {
	local label=$1 url=$2 out="$WORK/wrk-$1.txt"
	local hdr=()
	[ $# -ge 3 ] && hdr=(-H "$3")
	wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" "${hdr[@]}" "$url" >/dev/null
	wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "${hdr[@]}" "$url" >"$out"
	cat "$out" >&2
	echo "$label $(awk '/^Requests\/sec:/ { print $2 }' "$out")" \
		"$(to_mbs "$(awk '/^Transfer\/sec:/ { print $2 }' "$out")")" \
		"$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")" \
		"$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")" \
		"$(awk '/Non-2xx/ { print $NF }' "$out" | grep . || echo 0)" \
		>>"$WORK/downloads"
}

: >"$WORK/downloads"
BARE_PORT=$(free_port)
("$BARE" "127.0.0.1:$BARE_PORT" "$SERVER_THREADS" "$WORK/docroot") \
	>>"$WORK/bare.log" 2>&1 &
BARE_PID=$!
PIDS+=("$BARE_PID")
wait_ready "$BARE_PID" "http://127.0.0.1:$BARE_PORT/display.jpg" ||
	die "bare did not start: $(cat "$WORK/bare.log")"
wrk_run bare "http://127.0.0.1:$BARE_PORT/display.jpg"
kill "$BARE_PID"
wait "$BARE_PID" 2>/dev/null || true
wrk_run jiaxiao "$URL$DISPLAY_PATH" "Cookie: jx_session=$session"

# 4. The tables.
{
	echo "Date: $(date -Iseconds); machine: $(nproc) cores," \
		"$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)," \
		"kernel $(uname -r), libvips $(pkg-config --modversion vips 2>/dev/null || echo '?')"
	echo "Command: JX_BUILD_DIR=$BUILD BENCH_UPLOADS=$UPLOADS bench/files.sh" \
		"(uploads one at a time with curl; wrk -t$THREADS -c$CONNS" \
		"-d$DURATION --latency; server threads $SERVER_THREADS)"
	echo
	echo "Upload of $(awk -v b="$PHOTO_BYTES" 'BEGIN { printf "%.1f", b / 1048576 }') MB," \
		"$UPLOADS runs each; the display copy came back $DISPLAY_SIZE," \
		"$(awk -v b="$DISPLAY_BYTES" 'BEGIN { printf "%.0f", b / 1024 }') KB, without EXIF:"
	echo
	echo "| upload | time to 201, median ms | min ms | max ms | server CPU ms/upload |"
	echo "|---|---:|---:|---:|---:|"
	for label in photo floor photo-original floor-original pdf; do
		awk -v l="$label" '$1 == l {
			name = $1 == "photo" ? "photo 4032×3024, Orientation 6, GPS → display + thumb" : \
				$1 == "photo-original" ? "the same, `?keep_original=1` (+ clean original)" : \
				$1 == "floor" ? "floor: host/image.c alone, display + thumb" : \
				$1 == "floor-original" ? "floor: host/image.c alone, + clean original" : \
				"PDF of the same size (no variants)"
			printf "| %s | %d | %d | %d | %d |\n", name, $2, $3, $4, $5
		}' "$WORK/uploads"
	done
	echo
	echo "| download of the display copy | requests/s | × bare | MB/s | p50 ms | p99 ms | non-2xx |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
	awk '
	NR == 1 { b = $2 }
	{
		name = $1 == "bare" ? "civetweb alone, static file" : \
			"jiaxiao `GET /api/v1/files/{id}?variant=display`"
		r = "-"
		if (b > 0) r = sprintf("%.2f", $2 / b)
		printf "| %s | %.0f | %s | %.1f | %.3f | %.3f | %d |\n", name, $2, \
			r, $3, $4, $5, $6
	}' "$WORK/downloads"
}
