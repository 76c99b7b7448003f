// Thread exhaustion (issue 10, finding 2): while keep-alive clients keep
// the server busy and slowloris sockets trickle header lines, a new
// client still gets /healthz. A smaller, bounded version of bench/load.sh;
// it asserts only that no probe times out (5 s), never how fast one is:
// the figures belong in docs/BENCHMARKS.md.

import test from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startServer } from './harness.mjs';
import { keepAliveLoad, probeOnce, probes, slowloris } from './loadgen.mjs';

const LOAD_MS = 8000;

test('a new client gets /healthz while keep-alive clients and slowloris sockets load the server', async (t) => {
	// The shipped configuration (config/jiaxiao.lua), nothing set here.
	const server = await startServer();
	t.after(() => server.stop());
	const port = server.port;

	// 60 connections that keep sending requests, each answered...
	const busy = keepAliveLoad({ port, path: '/', connections: 60, durationMs: LOAD_MS });
	await probeOnce({ port, timeoutMs: 5000 });
	// ...then 40 sockets that never finish their headers (a line a
	// second), reopened whenever the server drops them...
	const slow = slowloris({ port, sockets: 40, intervalMs: 1000, durationMs: LOAD_MS - 500 });
	// ...and new clients asking for /healthz all along.
	const list = await probes({ port, gapMs: 200, durationMs: LOAD_MS - 1500, timeoutMs: 5000 });
	const [load, sl] = await Promise.all([busy, slow]);

	assert.ok(load.requests > 60, `the keep-alive clients were served: ${JSON.stringify(load)}`);
	assert.ok(sl.opened >= 40, `the slowloris sockets were opened: ${JSON.stringify(sl)}`);
	const late = list.filter((p) => p.timedOut);
	assert.equal(late.length, 0, `${late.length} of ${list.length} probes timed out (5 s)`);
	assert.ok(list.length >= 5, `${list.length} probes`);
	for (const p of list)
		assert.equal(p.status, 200, JSON.stringify(p));
	assert.ok(server.alive());
});

test('more keep-alive clients than threads take turns: a new client is still served', async (t) => {
	// 4 threads, 8 clients that never pause: without replies that close
	// their connection once the threads are crowded, 4 clients would keep
	// the threads and everyone else would wait for them to leave.
	const server = await startServer({ set: { threads: 4, 'http.keep_alive_ms': 60000 } });
	t.after(() => server.stop());
	const port = server.port;
	const busy = keepAliveLoad({ port, path: '/healthz', connections: 8, durationMs: 5000 });
	const list = await probes({ port, gapMs: 200, durationMs: 4000, timeoutMs: 5000 });
	const load = await busy;
	const late = list.filter((p) => p.timedOut);
	assert.equal(late.length, 0, `${late.length} of ${list.length} probes timed out (5 s)`);
	assert.ok(load.ok > 8, JSON.stringify(load));
	assert.equal(load.errors, 0, JSON.stringify(load));
});

test('replies close their connection only once the threads are crowded', async (t) => {
	const server = await startServer({ set: { threads: 8, 'http.keep_alive_ms': 60000 } });
	t.after(() => server.stop());
	const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
	t.after(() => agent.destroy());
	const get = () => new Promise((resolve, reject) => {
		http.get({ host: '127.0.0.1', port: server.port, path: '/healthz', agent }, (res) => {
			res.resume();
			res.on('end', () => resolve(res.headers.connection));
		}).on('error', reject);
	});
	assert.equal(await get(), 'keep-alive', 'one connection open: kept alive');
	// Six connections at once, each kept alive with its thread (6 of 8
	// threads: three quarters), then one more request.
	const six = await Promise.all(Array.from({ length: 6 }, get));
	assert.ok(six.includes('close'), `with 6 of 8 threads held: ${six}`);
});
