// bench/load.mjs — the slowloris sockets and the /healthz probes of
// bench/load.sh (which runs wrk for the keep-alive load alongside), and
// the server's memory while they run. Prints one JSON line:
// {"p50","p99","max","probes","ok","timedOut","slowloris":{"opened",
//  "dropped"},"rss_kb","vsz_kb","threads"}.
//
// Environment: LOAD_PORT (required), LOAD_DURATION_MS [20000],
// LOAD_SLOW [100] sockets, LOAD_SLOW_INTERVAL_MS [5000] between header
// lines, LOAD_PROBE_GAP_MS [100] between probes, LOAD_PROBE_TIMEOUT_MS
// [10000], LOAD_SLOW_FROM [127.0.0.2] and LOAD_PROBE_FROM [127.0.0.3]
// (loopback source addresses, so that a per-address limit sees the
// attacker and the new client apart), LOAD_PID (the server, for
// VmRSS/VmSize/Threads: the largest seen).

import fs from 'node:fs';
import { probes, slowloris, summary } from '../tests/system/loadgen.mjs';

const env = (k, d) => process.env[k] ?? d;
const port = Number(env('LOAD_PORT'));
const durationMs = Number(env('LOAD_DURATION_MS', 20000));
const pid = env('LOAD_PID', '');
const mem = { rss_kb: 0, vsz_kb: 0, threads: 0 };

function sample() {
	if (!pid)
		return;
	try {
		const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
		const get = (k) => Number((s.match(new RegExp(`^${k}:\\s+(\\d+)`, 'm')) ?? [])[1] ?? 0);
		mem.rss_kb = Math.max(mem.rss_kb, get('VmRSS'));
		mem.vsz_kb = Math.max(mem.vsz_kb, get('VmSize'));
		mem.threads = Math.max(mem.threads, get('Threads'));
	} catch {
		// the server is gone; the probes will say so
	}
}

if (!port)
	throw new Error('LOAD_PORT is required');
const timer = setInterval(sample, 500);
const slow = slowloris({
	port,
	sockets: Number(env('LOAD_SLOW', 100)),
	intervalMs: Number(env('LOAD_SLOW_INTERVAL_MS', 5000)),
	durationMs,
	localAddress: env('LOAD_SLOW_FROM', '127.0.0.2'),
});
// The probes start once the slowloris sockets are open and run until the
// load ends.
await new Promise((resolve) => setTimeout(resolve, 1000));
const list = await probes({
	port,
	gapMs: Number(env('LOAD_PROBE_GAP_MS', 100)),
	durationMs: durationMs - 1000,
	timeoutMs: Number(env('LOAD_PROBE_TIMEOUT_MS', 10000)),
	localAddress: env('LOAD_PROBE_FROM', '127.0.0.3'),
});
const s = summary(list);
const sl = await slow;
sample();
clearInterval(timer);
console.log(JSON.stringify({ ...s, slowloris: sl, ...mem }));
