# bench/lib.sh — the shell helpers every bench script shares: messages,
# a work directory removed at exit (with the servers started), JSON field
# reading, free loopback ports, waiting for a server, and one JSON request.
# Sourced (bash) after the script sets BENCH_NAME ("import bench").
#
#   say MSG... / die MSG...      messages on stderr; die exits 1
#   bench_workdir PREFIX         sets WORK (mktemp -d) and the exit trap
#                                that stops every pid in PIDS and removes
#                                WORK unless BENCH_KEEP is set
#   json FILE PATH               the value at a dotted PATH of FILE's JSON
#   free_port                    a loopback port nothing listens on
#   wait_ready PID URL [TRIES]   polls URL every 50 ms while PID runs
#   start_jiaxiao CMD ARGS...    serves $WORK/data on a free port (URL)
#   api JAR CSRF METHOD PATH [JSON]  one request to $URL; body to
#                                $WORK/reply.json, status on stdout
#                                (timeout API_TIMEOUT, default 60 s)
#   to_ms FIGURE                 a wrk latency figure in milliseconds
#   cpu_ticks PID                a process's CPU time in ticks (CLK_TCK
#                                of them a second)

say() { printf '%s\n' "$*" >&2; }
die() { say "${BENCH_NAME:-bench}: $*"; exit 1; }

PIDS=()
bench_cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	if [ -n "${BENCH_KEEP:-}" ]; then
		say "${BENCH_NAME:-bench}: kept $WORK"
	else
		rm -rf "$WORK"
	fi
}

bench_workdir() {
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/$1-XXXXXX")
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
}

# json FILE PATH: the value at a dotted PATH of FILE's JSON ("" when
# absent or null; objects and arrays as JSON; .length works on arrays).
json() {
	node -e '
		const v0 = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
		let v = v0;
		for (const k of process.argv[2].split(".")) v = v == null ? undefined : v[k];
		console.log(v == null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));
	' "$1" "$2"
}

# A loopback port nothing listens on (bash's /dev/tcp fails to connect).
free_port() {
	local port
	for _ in $(seq 100); do
		port=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
	done
	die "no free port found"
}

# wait_ready PID URL [TRIES]: polls URL every 50 ms (TRIES times, 1200 by
# default: a minute) while PID runs.
wait_ready() {
	local pid=$1 url=$2 tries=${3:-1200}
	for _ in $(seq "$tries"); do
		kill -0 "$pid" 2>/dev/null || return 1
		if curl -fs -o /dev/null --max-time 2 "$url"; then
			kill -0 "$pid" 2>/dev/null && return 0
			return 1
		fi
		sleep 0.05
	done
	return 1
}

api() {
	local jar=$1 csrf=$2 method=$3 path=$4 body=${5:-}
	local args=(-s -o "$WORK/reply.json" -w '%{http_code}'
		--max-time "${API_TIMEOUT:-60}" -b "$jar" -c "$jar" -X "$method")
	[ -n "$csrf" ] && args+=(-H "X-CSRF-Token: $csrf")
	[ -n "$body" ] && args+=(-H 'Content-Type: application/json' -d "$body")
	curl "${args[@]}" "$URL$path"
}

# start_jiaxiao COMMAND ARGS...: runs `jiaxiao COMMAND --data $WORK/data
# --listen 127.0.0.1:<free port> --set plugin_dir=$BUILD/plugins ARGS...`
# from $SRC (log in $WORK/jiaxiao.log), on another port if it dies before
# /healthz answers. Sets JX_PID, PORT and URL.
start_jiaxiao() {
	local attempt
	for attempt in 1 2 3 4 5; do
		PORT=$(free_port)
		(cd "$SRC" && exec "$JIAXIAO" "$1" --data "$WORK/data" \
			--listen "127.0.0.1:$PORT" \
			--set "plugin_dir=$BUILD/plugins" "${@:2}") \
			>>"$WORK/jiaxiao.log" 2>&1 &
		JX_PID=$!
		PIDS+=("$JX_PID")
		if wait_ready "$JX_PID" "http://127.0.0.1:$PORT/healthz"; then
			URL=http://127.0.0.1:$PORT
			return 0
		fi
		kill "$JX_PID" 2>/dev/null || true
		wait "$JX_PID" 2>/dev/null || true
		say "${BENCH_NAME:-bench}: jiaxiao did not start on port $PORT (attempt $attempt)"
	done
	tail -n 30 "$WORK/jiaxiao.log" >&2
	die "jiaxiao would not start"
}

# A wrk latency figure (515.00us, 1.23ms, 2.00s) in milliseconds.
to_ms() {
	awk -v v="$1" 'BEGIN {
		n = v + 0
		if (v ~ /us$/) n /= 1000
		else if (v ~ /ms$/) n = n
		else if (v ~ /m$/) n *= 60000
		else if (v ~ /s$/) n *= 1000
		printf "%.3f", n
	}'
}

# CPU time (utime + stime, in ticks: CLK_TCK a second) of a process and
# its threads. Fields after the command name, which may hold spaces: 14
# and 15 of the whole line are 12 and 13 after the closing parenthesis.
# shellcheck disable=SC2034 # read by the scripts that source this
CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() {
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}
