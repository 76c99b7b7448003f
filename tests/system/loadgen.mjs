// Load generators for the thread-exhaustion test (load.test.mjs) and
// bench/load.mjs: keep-alive clients that keep sending requests, slowloris
// sockets that trickle header lines and never finish a request, and
// /healthz probes from new connections. Each runs for a bounded time and
// stops by itself; node built-ins only.

import http from 'node:http';
import net from 'node:net';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// `connections` keep-alive connections that each send GET `path` again as
// soon as the previous reply has been read, until `durationMs` has passed.
// A connection the server closes (Connection: close, a timeout) is opened
// again. Resolves with {requests, ok, other, errors}.
export async function keepAliveLoad({ host = '127.0.0.1', port, path = '/',
	headers = {}, connections, durationMs }) {
	const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
	const end = Date.now() + durationMs;
	const stats = { requests: 0, ok: 0, other: 0, errors: 0 };
	const one = () => new Promise((resolve) => {
		const req = http.get({ host, port, path, headers, agent, timeout: 10000 }, (res) => {
			res.resume();
			res.on('end', () => {
				if (res.statusCode >= 200 && res.statusCode < 400)
					stats.ok++;
				else
					stats.other++;
				resolve();
			});
			res.on('error', () => {
				stats.errors++;
				resolve();
			});
		});
		req.on('timeout', () => req.destroy(new Error('timeout')));
		req.on('error', () => {
			stats.errors++;
			resolve();
		});
	});
	const loop = async () => {
		while (Date.now() < end) {
			stats.requests++;
			await one();
		}
	};
	await Promise.all(Array.from({ length: connections }, loop));
	agent.destroy();
	return stats;
}

// `sockets` connections that each send a request line and then one header
// line every `intervalMs`, never the blank line that ends the headers. A
// socket the server closes is opened again (counted in `dropped`) until
// `durationMs` has passed; then every socket is closed. Resolves with
// {opened, dropped}.
export function slowloris({ host = '127.0.0.1', port, sockets, intervalMs,
	durationMs, localAddress }) {
	const stats = { opened: 0, dropped: 0 };
	const live = new Set();
	let stopped = false;
	const open = () => {
		if (stopped)
			return;
		const s = net.connect({ host, port, localAddress });
		let n = 0;
		let timer = null;
		stats.opened++;
		live.add(s);
		s.on('connect', () => {
			s.write(`GET /healthz HTTP/1.1\r\nHost: ${host}\r\n`);
			timer = setInterval(() => s.write(`X-Slow-${n++}: ${n}\r\n`), intervalMs);
		});
		s.on('data', () => {});
		s.on('error', () => {});
		s.on('close', () => {
			clearInterval(timer);
			live.delete(s);
			if (!stopped) {
				stats.dropped++;
				setTimeout(open, 10);
			}
		});
	};
	for (let i = 0; i < sockets; i++)
		open();
	return sleep(durationMs).then(() => {
		stopped = true;
		for (const s of live)
			s.destroy();
		return stats;
	});
}

// One GET from a new connection (Connection: close): {ms, status} or
// {ms, status: 0, timedOut: true} after `timeoutMs`.
export function probeOnce({ host = '127.0.0.1', port, path = '/healthz',
	timeoutMs, localAddress }) {
	const t0 = process.hrtime.bigint();
	const ms = () => Number(process.hrtime.bigint() - t0) / 1e6;
	return new Promise((resolve) => {
		let done = false;
		const finish = (r) => {
			if (!done) {
				done = true;
				resolve(r);
			}
		};
		const req = http.get({ host, port, path, localAddress, agent: false,
			headers: { Connection: 'close' } }, (res) => {
			res.resume();
			res.on('end', () => finish({ ms: ms(), status: res.statusCode }));
			res.on('error', () => finish({ ms: ms(), status: 0 }));
		});
		// The whole exchange, connecting included (a full listen backlog
		// drops SYNs, which the kernel retries for many seconds).
		const timer = setTimeout(() => {
			finish({ ms: ms(), status: 0, timedOut: true });
			req.destroy();
		}, timeoutMs);
		req.on('close', () => clearTimeout(timer));
		req.on('error', () => finish({ ms: ms(), status: 0 }));
	});
}

// Probes one after the other, `gapMs` apart, until `durationMs` has
// passed. Resolves with the list of probeOnce results.
export async function probes({ gapMs, durationMs, ...opts }) {
	const end = Date.now() + durationMs;
	const out = [];
	while (Date.now() < end) {
		out.push(await probeOnce(opts));
		await sleep(gapMs);
	}
	return out;
}

// p50, p99, max (ms) and counts of a probes() result.
export function summary(list) {
	const ms = list.map((p) => p.ms).sort((a, b) => a - b);
	const at = (q) => (ms.length ? ms[Math.min(ms.length - 1, Math.ceil(q * ms.length) - 1)] : 0);
	return {
		probes: list.length,
		ok: list.filter((p) => p.status === 200).length,
		timedOut: list.filter((p) => p.timedOut).length,
		p50: at(0.5),
		p99: at(0.99),
		max: ms.length ? ms[ms.length - 1] : 0,
	};
}
