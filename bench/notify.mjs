// bench/notify.mjs — delivery through the outbox to the local WeChat API
// stand-in (tests/stubs/wechat-api.mjs), with the real wechat plugin:
//
//  1. rate: N template messages queued in one transaction (through the
//     test-only plugin outbox_probe, i.e. host->send), then the time until
//     the stand-in has accepted all N and until every outbox row reads
//     'sent'; messages/s for each notify.workers value asked for;
//  2. crash: N more, kill -9 from inside the stand-in the instant it has
//     accepted CRASH_AT of them, restart on the same data, wait for all:
//     messages per recipient (missed, repeated) against the rows the
//     restart found in flight.
//
// Run by bench/notify.sh, which sets JX_BUILD_DIR (use an -O2 build).
// Environment: BENCH_N [10000], BENCH_WORKERS ["2"], BENCH_LANES ["0 8 32"],
// BENCH_BATCH [64],
// BENCH_CRASH_AT [3000], BENCH_LATENCY_MS [0] (the stand-in's answer delay).

import fs from 'node:fs';
import { startServer, DEFAULT_ADMIN_PASSWORD } from '../tests/system/harness.mjs';
import { startWechatApi } from '../tests/stubs/wechat-api.mjs';
import { probePluginDir, wechatSettings, until } from '../tests/system/outbox-probe.mjs';

const N = Number(process.env.BENCH_N ?? 10000);
const WORKERS = (process.env.BENCH_WORKERS ?? '2').split(/\s+/).filter(Boolean).map(Number);
const BATCH = Number(process.env.BENCH_BATCH ?? 64);
const LANES = (process.env.BENCH_LANES ?? '0 8 32').split(/\s+/).filter(Boolean).map(Number);
const CRASH_AT = Number(process.env.BENCH_CRASH_AT ?? 3000);
const LATENCY = Number(process.env.BENCH_LATENCY_MS ?? 0);

const pluginDir = probePluginDir();

async function setup(workers, lanes) {
	const api = await startWechatApi({ keep: false, latencyMs: LATENCY });
	const server = await startServer({ set: wechatSettings(api, pluginDir, { 'notify.workers': workers, 'notify.batch': BATCH, 'notify.lanes': lanes }) });
	const c = server.client();
	if ((await c.login('admin', DEFAULT_ADMIN_PASSWORD)).status !== 200)
		throw new Error('login failed');
	const made = await c.post('/api/v1/test/wechat-people', { n: N, prefix: 'bench-' });
	if (made.status !== 201)
		throw new Error(made.text);
	return { api, server, c, pids: made.json.person_ids };
}

const allSent = async (c, ref) => {
	const rows = (await c.get(`/api/v1/test/outbox?ref=${ref}`)).json.items;
	return rows.length === N && rows.every((r) => r.state === 'sent');
};

async function rate(workers, lanes) {
	const { api, server, c, pids } = await setup(workers, lanes);
	try {
		let acceptedAt = null;
		api.onAccepted = (n) => {
			if (n === N)
				acceptedAt = performance.now();
		};
		const t0 = performance.now();
		const q = await c.post('/api/v1/test/send', { channel: 'wechat', to: pids, template: 'notice', params: { title: '基准测试通知', from: '岳麓区第一小学', kind: '学校通知', url: 'https://jx.example.cn/notices/1' }, ref: 'bench:rate' });
		const t1 = performance.now();
		if (q.status !== 201)
			throw new Error(q.text);
		await until(() => acceptedAt !== null, 'all accepted', 600000);
		await until(() => allSent(c, 'bench:rate'), 'all settled', 600000);
		const t2 = performance.now();
		const s = api.stats();
		return {
			workers,
			lanes,
			queue_ms: t1 - t0,
			accepted_s: (acceptedAt - t1) / 1000,
			settled_s: (t2 - t1) / 1000,
			rate: N / ((acceptedAt - t1) / 1000),
			tokens: s.tokens,
			accepted: s.accepted,
		};
	} finally {
		await server.stop();
		await api.close();
	}
}

async function crash(workers, lanes) {
	const { api, server, c, pids } = await setup(workers, lanes);
	try {
		let killed = null;
		api.onAccepted = (n) => {
			if (n === CRASH_AT && killed === null)
				killed = server.kill9();
		};
		const q = await c.post('/api/v1/test/send', { channel: 'wechat', to: pids, template: 'notice', params: { title: '崩溃测试' }, ref: 'bench:crash' });
		if (q.status !== 201)
			throw new Error(q.text);
		await until(() => killed, 'the crash', 600000);
		await killed;
		api.onAccepted = null;
		const atCrash = api.stats().accepted;
		await server.restart();
		const m = [...server.logs().matchAll(/(\d+) message\(s\) in flight at the last stop will be sent again/g)].at(-1);
		const inFlight = m ? Number(m[1]) : 0;
		const c2 = server.client();
		await c2.login('admin', DEFAULT_ADMIN_PASSWORD);
		await until(() => allSent(c2, 'bench:crash'), 'all delivered after restart', 600000);
		const s = api.stats();
		let missed = 0;
		for (let i = 0; i < N; i++)
			if (!(s.touser[`bench-${i}`] >= 1))
				missed++;
		return { workers, lanes, atCrash, inFlight, received: s.accepted, repeats: s.accepted - N, duplicatesSameId: s.duplicates, missed };
	} finally {
		await server.stop();
		await api.close();
	}
}

const date = new Date().toISOString().slice(0, 10);
console.log(`# notify bench ${date}: N=${N}, notify.batch=${BATCH}, stand-in latency ${LATENCY} ms`);
console.log('\n| notify.workers | notify.lanes | enqueue (1 tx, HTTP) ms | all accepted by stand-in, s | all rows settled, s | messages/s |');
console.log('|---:|---:|---:|---:|---:|---:|');
for (const w of WORKERS)
	for (const l of LANES) {
		const r = await rate(w, l);
		console.log(`| ${r.workers} | ${r.lanes} | ${r.queue_ms.toFixed(0)} | ${r.accepted_s.toFixed(2)} | ${r.settled_s.toFixed(2)} | ${r.rate.toFixed(0)} |`);
	}
const k = await crash(WORKERS.at(-1), LANES.at(-1));
// Each call is settled as it finishes: a crash repeats at most the calls
// under way and one uncommitted settlement per lane (host/notify.c).
const bound = k.lanes > 0 ? 2 * k.lanes : k.workers;
console.log(`\n| kill -9 after | in flight at the crash | received by stand-in | repeats (same client_msg_id) | bound (2 x lanes) | missed |`);
console.log('|---:|---:|---:|---:|---:|---:|');
console.log(`| ${k.atCrash} of ${N} (workers ${k.workers}, lanes ${k.lanes}) | ${k.inFlight} | ${k.received} | ${k.repeats} (${k.duplicatesSameId}) | ${bound} | ${k.missed} |`);
fs.rmSync(pluginDir, { recursive: true, force: true });
if (k.missed !== 0 || k.repeats > k.inFlight || k.repeats > bound)
	process.exit(1);
