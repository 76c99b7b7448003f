// Crash test of the outbox (host/notify.c) with the real wechat plugin and
// the WeChat API stand-in: 2,000 template messages are queued in one
// transaction, the server is killed with SIGKILL while the delivery threads
// are busy (from inside the stand-in, the instant it has accepted the
// 300th message), and started again on the same data. Afterwards every
// recipient has its message, and the messages received twice are no more
// than 2 x notify.lanes: each call is settled as it finishes, so only the
// calls under way (one per lane) and the finished ones whose settlement
// was not yet committed (at most one per lane) can go out again, however
// many rows the delivery threads had claimed ("sending", which the
// restarted server reports). Each repeat carries the original
// client_msg_id, so WeChat could drop it.

import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startServer, DEFAULT_ADMIN_PASSWORD } from './harness.mjs';
import { startWechatApi } from '../stubs/wechat-api.mjs';
import { probePluginDir, wechatSettings, until } from './outbox-probe.mjs';

const N = 2000;
const CRASH_AT = 300;
const WORKERS = 4;
const BATCH = 64;
const LANES = 8;

test('kill -9 mid-delivery: nobody is missed, repeats are bounded by the messages in flight', async (t) => {
	const api = await startWechatApi();
	const pluginDir = probePluginDir();
	const server = await startServer({
		set: wechatSettings(api, pluginDir, { 'notify.workers': WORKERS, 'notify.batch': BATCH, 'notify.lanes': LANES }),
	});
	t.after(async () => {
		await server.stop();
		await api.close();
		fs.rmSync(pluginDir, { recursive: true, force: true });
	});
	let c = server.client();
	assert.equal((await c.login('admin', DEFAULT_ADMIN_PASSWORD)).status, 200);
	const made = await c.post('/api/v1/test/wechat-people', { n: N, prefix: 'crash-' });
	assert.equal(made.status, 201, made.text);
	const pids = made.json.person_ids;

	let killed = null;
	api.onAccepted = (count) => {
		if (count === CRASH_AT && killed === null)
			killed = server.kill9();
	};
	const q = await c.post('/api/v1/test/send', { channel: 'wechat', to: pids, template: 'notice', params: { title: '崩溃测试' }, ref: 'crash:1' });
	assert.equal(q.status, 201, q.text);
	assert.equal(q.json.ids.length, N);
	await until(() => killed, 'the crash', 60000);
	const exit = await killed;
	assert.equal(exit.signal, 'SIGKILL');
	api.onAccepted = null;
	const atCrash = api.stats().accepted;
	assert.ok(atCrash >= CRASH_AT && atCrash < N, `the crash came mid-delivery (${atCrash} of ${N} accepted)`);

	await server.restart();
	const m = [...server.logs().matchAll(/(\d+) message\(s\) in flight at the last stop will be sent again/g)].at(-1);
	const inFlight = m ? Number(m[1]) : 0;
	assert.ok(inFlight <= WORKERS * BATCH, `at most one batch per delivery thread is in flight (${inFlight})`);

	c = server.client();
	assert.equal((await c.login('admin', DEFAULT_ADMIN_PASSWORD)).status, 200);
	const rows = await until(async () => {
		const r = (await c.get('/api/v1/test/outbox?ref=crash:1')).json.items;
		return r.every((x) => x.state === 'sent') && r;
	}, 'every message to be delivered after the restart', 120000);
	assert.equal(rows.length, N);

	const stats = api.stats();
	const missed = pids.map((_, i) => `crash-${i}`).filter((o) => !(stats.touser[o] >= 1));
	assert.deepEqual(missed, [], 'every recipient received the message');
	const repeats = stats.accepted - N;
	assert.ok(repeats >= 0);
	assert.ok(repeats <= inFlight, `${repeats} repeated, ${inFlight} in flight at the crash`);
	assert.ok(repeats <= 2 * LANES, `${repeats} repeated: at most 2 x notify.lanes (${2 * LANES})`);
	assert.equal(stats.duplicates, repeats, 'a repeat carries the first attempt\'s client_msg_id');
	t.diagnostic(`accepted before the crash ${atCrash}, in flight ${inFlight}, repeated ${repeats}`);
});
