#!/usr/bin/env bash
# bench/load.sh: a new client's wait while the server is loaded (issue 10,
# finding 2). For LOAD_DURATION, wrk keeps LOAD_CONNECTIONS keep-alive
# connections busy on LOAD_PAGE (logged in as the city administrator),
# bench/load.mjs holds LOAD_SLOW slowloris sockets (a header line every
# LOAD_SLOW_INTERVAL_MS, the request never finished, reopened when the
# server drops them) and opens a new connection for GET /healthz every
# 100 ms: p50, p99 and max of those probes, their timeouts (10 s), and the
# server's largest RSS, VSZ and thread count. Twice: against the embedded
# server, and behind nginx with a loopback variant of
# docs/nginx-jiaxiao.conf (TLS and the port-80 redirect removed, the
# ports replaced: the limits are the shipped ones). Prints a markdown
# table for docs/BENCHMARKS.md with the load average before and after.
#
# Environment (defaults in brackets):
#   JX_BUILD_DIR          build tree with jiaxiao [build]
#   LOAD_DURATION         seconds of load per setup [20]
#   LOAD_CONNECTIONS      wrk keep-alive connections [200]
#   LOAD_SLOW             slowloris sockets [100]
#   LOAD_SLOW_INTERVAL_MS between their header lines [5000]
#   LOAD_PAGE             the page wrk loads [/]; "login": wrk logs in
#                         (POST /api/v1/session, the right password) on
#                         every request instead, each an argon2 hash
#   LOAD_SET              extra --set KEY=VALUE for jiaxiao, space-separated
#                         (e.g. "threads=64" to compare) []
#   LOAD_NGINX            1: also measure behind nginx [1]
#   BENCH_KEEP            keep the data directory and logs
# usage: bench/load.sh [BUILD_DIR]   (BUILD_DIR overrides JX_BUILD_DIR)
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-${JX_BUILD_DIR:-$SRC/build}}
case $BUILD in /*) ;; *) BUILD=$SRC/$BUILD ;; esac
DURATION=${LOAD_DURATION:-20}
CONNS=${LOAD_CONNECTIONS:-200}
SLOW=${LOAD_SLOW:-100}
SLOW_INTERVAL=${LOAD_SLOW_INTERVAL_MS:-5000}
PAGE=${LOAD_PAGE:-/}
WITH_NGINX=${LOAD_NGINX:-1}
ADMIN_PASSWORD=Bench12345
JIAXIAO=$BUILD/jiaxiao

BENCH_NAME="load bench"
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

for tool in wrk curl node awk; do
	command -v "$tool" >/dev/null || die "$tool is missing: sh scripts/install-deps.sh"
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ "$WITH_NGINX" = 1 ] && [ ! -x "$NGINX" ]; then
	die "nginx is missing: sh scripts/install-deps.sh (or LOAD_NGINX=0)"
fi
[ -x "$JIAXIAO" ] || die "$JIAXIAO is missing: make build"
if ldd "$JIAXIAO" 2>/dev/null | grep -q 'libasan\|libubsan'; then
	say "load bench: WARNING: $JIAXIAO is a sanitizer build; its figures mean little"
fi

bench_workdir jx-load

set_args=()
for kv in ${LOAD_SET:-}; do
	set_args+=(--set "$kv")
done

"$JIAXIAO" init --data "$WORK/data" --admin-password "$ADMIN_PASSWORD" \
	>"$WORK/init.log" 2>&1 || { cat "$WORK/init.log" >&2; die "init failed"; }
start_jiaxiao serve --set 'trusted_proxies={"127.0.0.1"}' "${set_args[@]}"

status=$(curl -s -o "$WORK/login.json" -w '%{http_code}' -c "$WORK/jar" \
	-H 'Content-Type: application/json' \
	-d "{\"login\":\"admin\",\"password\":\"$ADMIN_PASSWORD\"}" \
	"$URL/api/v1/session")
[ "$status" = 200 ] || die "login answered $status: $(cat "$WORK/login.json")"
session=$(awk '$6 == "jx_session" { print $7 }' "$WORK/jar")
[ -n "$session" ] || die "login set no jx_session cookie"

# start_nginx: nginx on a free loopback port in front of $PORT, with the
# shipped site file minus TLS and the port-80 redirect, on another port
# if that one was taken meanwhile. Sets NGINX_PORT.
start_nginx() {
	local dir=$WORK/nginx attempt
	mkdir -p "$dir"
	for attempt in 1 2 3 4 5; do
		NGINX_PORT=$(free_port)
		nginx_conf "$dir"
		"$NGINX" -p "$dir" -c "$dir/nginx.conf" >>"$dir/out.log" 2>&1 &
		NGINX_PID=$!
		PIDS+=("$NGINX_PID")
		if wait_ready "$NGINX_PID" "http://127.0.0.1:$NGINX_PORT/healthz"; then
			return 0
		fi
		kill "$NGINX_PID" 2>/dev/null || true
		wait "$NGINX_PID" 2>/dev/null || true
		say "load bench: nginx did not start on port $NGINX_PORT (attempt $attempt)"
	done
	cat "$dir/error.log" >&2
	die "nginx would not start"
}

# nginx_conf DIR: DIR/site.conf from docs/nginx-jiaxiao.conf and
# DIR/nginx.conf around it, checked with nginx -t.
nginx_conf() {
	local dir=$1
	awk '
		# Drop the top-level server block that only redirects port 80.
		depth == 0 && /^server[ \t]*\{/ { buf = ""; inblock = 1 }
		inblock { buf = buf $0 "\n" } !inblock { print }
		{ n = gsub(/\{/, "{"); m = gsub(/\}/, "}"); depth += n - m }
		inblock && depth == 0 {
			if (buf !~ /listen 80;/) printf "%s", buf
			inblock = 0
		}
	' "$SRC/docs/nginx-jiaxiao.conf" |
		sed -e "s#listen 443 ssl http2;#listen 127.0.0.1:$NGINX_PORT;#" \
			-e '/^[ \t]*ssl_/d' \
			-e "s#127\.0\.0\.1:8080#127.0.0.1:$PORT#" >"$dir/site.conf"
	grep -q "listen 127.0.0.1:$NGINX_PORT;" "$dir/site.conf" ||
		die "docs/nginx-jiaxiao.conf: no 'listen 443 ssl http2;' to replace"
	grep -q "127.0.0.1:$PORT" "$dir/site.conf" ||
		die "docs/nginx-jiaxiao.conf: no upstream 127.0.0.1:8080 to replace"
	{
		[ "$(id -u)" = 0 ] && echo "user root;"
		cat <<-CONF
			daemon off;
			worker_processes auto;
			worker_rlimit_nofile 8192;
			pid $dir/nginx.pid;
			error_log $dir/error.log warn;
			events { worker_connections 4096; }
			http {
			    access_log off;
			    client_body_temp_path $dir/body;
			    proxy_temp_path $dir/proxy;
			    fastcgi_temp_path $dir/fastcgi;
			    uwsgi_temp_path $dir/uwsgi;
			    scgi_temp_path $dir/scgi;
			    include $dir/site.conf;
			}
		CONF
	} >"$dir/nginx.conf"
	"$NGINX" -t -p "$dir" -c "$dir/nginx.conf" >"$dir/test.log" 2>&1 ||
		{ cat "$dir/test.log" >&2; die "nginx -t failed"; }
}

WRK_ARGS=(-H "Cookie: jx_session=$session")
WRK_PATH=$PAGE
if [ "$PAGE" = login ]; then
	cat >"$WORK/login.lua" <<-LUA
		wrk.method = "POST"
		wrk.headers["Content-Type"] = "application/json"
		wrk.body = '{"login":"admin","password":"$ADMIN_PASSWORD"}'
	LUA
	WRK_ARGS=(-s "$WORK/login.lua")
	WRK_PATH=/api/v1/session
fi

# measure LABEL PORT: wrk and bench/load.mjs together for DURATION.
measure() {
	local label=$1 port=$2 wrk_pid load_pid
	say "load bench: $label: $CONNS keep-alive + $SLOW slowloris on port $port for ${DURATION}s"
	wrk -t2 -c"$CONNS" -d"${DURATION}s" --timeout 10s "${WRK_ARGS[@]}" \
		"http://127.0.0.1:$port$WRK_PATH" >"$WORK/wrk-$label.txt" 2>&1 &
	wrk_pid=$!
	PIDS+=("$wrk_pid")
	(cd "$SRC" && LOAD_PORT=$port LOAD_PID=$JX_PID \
		LOAD_DURATION_MS=$((DURATION * 1000)) LOAD_SLOW=$SLOW \
		LOAD_SLOW_INTERVAL_MS=$SLOW_INTERVAL \
		node bench/load.mjs) >"$WORK/load-$label.json" &
	load_pid=$!
	PIDS+=("$load_pid")
	wait "$wrk_pid" || die "wrk failed: $(cat "$WORK/wrk-$label.txt")"
	wait "$load_pid" || die "bench/load.mjs failed"
	cat "$WORK/wrk-$label.txt" >&2
	cat "$WORK/load-$label.json" >&2
	local f=$WORK/load-$label.json rps non2xx errors
	rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$WORK/wrk-$label.txt")
	non2xx=$(awk '/Non-2xx/ { print $NF }' "$WORK/wrk-$label.txt")
	errors=$(awk '/Socket errors/ { gsub(/,/, ""); print $4 + $6 + $8 + $10 }' \
		"$WORK/wrk-$label.txt")
	printf '| %s | %s | %s / %s | %s | %s | %s | %.1f | %.1f | %.1f | %s / %s | %.0f | %.0f | %s |\n' \
		"$label" "${rps:-0}" "${non2xx:-0}" "${errors:-0}" \
		"$(json "$f" probes)" "$(json "$f" ok)" "$(json "$f" timedOut)" \
		"$(json "$f" p50)" "$(json "$f" p99)" "$(json "$f" max)" \
		"$(json "$f" slowloris.opened)" "$(json "$f" slowloris.dropped)" \
		"$(($(json "$f" rss_kb) / 1024))" "$(($(json "$f" vsz_kb) / 1024))" \
		"$(json "$f" threads)" >>"$WORK/rows"
}

: >"$WORK/rows"
load_before=$(cat /proc/loadavg)
measure embedded "$PORT"
if [ "$WITH_NGINX" = 1 ]; then
	start_nginx
	measure "behind nginx" "$NGINX_PORT"
fi
load_after=$(cat /proc/loadavg)

echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(nproc) cores," \
	"$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)," \
	"kernel $(uname -r); commit $(cd "$SRC" && git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "Command: JX_BUILD_DIR=$BUILD LOAD_DURATION=$DURATION" \
	"LOAD_CONNECTIONS=$CONNS LOAD_SLOW=$SLOW LOAD_PAGE=$PAGE" \
	"${LOAD_SET:+LOAD_SET=\"$LOAD_SET\" }bench/load.sh"
echo "Load average before: $load_before; after: $load_after"
echo
echo "| setup | wrk requests/s | wrk non-2xx / socket errors | probes | 200 | timed out (10 s) | p50 ms | p99 ms | max ms | slowloris opened / dropped | RSS MiB | VSZ MiB | threads |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
cat "$WORK/rows"
