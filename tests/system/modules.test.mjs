// The plugin host end to end through the `good` test plugin: per-district
// module switches (routes answer 404 and menus drop the entry where a
// district leaves the plugin out), in-transaction events (a refusing
// subscriber rolls the publisher's write back), durable jobs with
// progress, and pages rendered from the same data as the JSON.
import test from 'node:test';
import assert from 'node:assert/strict';
import { startServer, BUILD_DIR } from './harness.mjs';

const PW = 'Passw0rd1';

// A district admin with a changed password, logged in.
async function districtAdmin(server, admin, did, phone) {
	const r = await admin.post(`/api/v1/districts/${did}/admins`, { name: '区管理员', phone });
	assert.equal(r.status, 201, r.text);
	const c = server.client();
	// No SMS gateway: the reply carries a random initial password.
	const initial = r.json.initial_password;
	let l = await c.login(phone, initial);
	assert.equal(l.status, 200, l.text);
	assert.equal(l.json.account.must_change_password, true);
	const p = await c.put('/api/v1/me/password', { old_password: initial, new_password: PW });
	assert.equal(p.status, 204, p.text);
	l = await c.login(phone, PW);
	assert.equal(l.status, 200);
	return c;
}

test('module switches, events, jobs and pages through a plugin', async (t) => {
	const server = await startServer({
		set: {
			plugin_dir: `${BUILD_DIR}/test-plugins`,
			plugins: ['good'],
			// good is off in 430102 and on in 430103 (no entry: all).
			'districts.430102.modules': ['notices'],
		},
	});
	t.after(() => server.stop());
	const admin = server.client();
	assert.equal((await admin.login('admin', 'Admin12345')).status, 200);
	const d1 = await admin.post('/api/v1/districts', { code: '430102', name: '芙蓉区' });
	const d2 = await admin.post('/api/v1/districts', { code: '430103', name: '天心区' });
	assert.equal(d1.status, 201);
	assert.equal(d2.status, 201);
	const off = await districtAdmin(server, admin, d1.json.id, '13700000001');
	const on = await districtAdmin(server, admin, d2.json.id, '13700000002');

	await t.test('a plugin left out of a district answers 404 there only', async () => {
		assert.equal((await off.get('/api/v1/test/good/hello')).status, 404);
		assert.equal((await on.get('/api/v1/test/good/hello')).status, 200);
		// the city administrator sees every loaded plugin
		assert.equal((await admin.get('/api/v1/test/good/hello')).status, 200);
		// anonymous callers have no district
		assert.equal((await server.request('GET', '/api/v1/test/good/hello')).status, 200);
	});

	await t.test('its menu entry shows only where it is enabled', async () => {
		const pageOff = await off.get('/');
		const pageOn = await on.get('/');
		assert.equal(pageOff.status, 200);
		assert.ok(!pageOff.text.includes('href="/test/good/items"'), 'menu entry in a district without the plugin');
		assert.ok(pageOn.text.includes('href="/test/good/items"'), 'menu entry missing where the plugin is on');
	});

	await t.test('GET /api/v1/plugins lists the plugin for admins only', async () => {
		const r = await on.get('/api/v1/plugins');
		assert.equal(r.status, 200);
		const good = r.json.find((p) => p.name === 'good');
		assert.equal(good.state, 'active');
		assert.equal(good.version, '1.0.0');
		assert.equal((await server.request('GET', '/api/v1/plugins')).status, 401);
	});

	await t.test('a subscriber refusing an event rolls the write back', async () => {
		const a = await server.request('POST', '/api/v1/test/good/items', { json: { name: 'first' } });
		assert.equal(a.status, 201, a.text);
		const refused = await server.request('POST', '/api/v1/test/good/items', { json: { name: 'refused' } });
		assert.equal(refused.status, 409);
		const list = await server.request('GET', '/api/v1/test/good/items');
		const names = list.json.items.map((i) => i.name);
		assert.deepEqual(names, ['first']);
		assert.equal(list.json.items[0].events, 1, 'the subscriber wrote in the same transaction');
		const bad = await server.request('POST', '/api/v1/test/good/items', { json: { name: '' } });
		assert.equal(bad.status, 422);
		assert.equal(bad.json.errors[0].field, 'name');
	});

	await t.test('a page renders the same data, escaped', async () => {
		const evil = '<script>alert(1)</script>';
		assert.equal((await server.request('POST', '/api/v1/test/good/items', { json: { name: evil } })).status, 201);
		const page = await server.request('GET', '/test/good/items');
		assert.equal(page.status, 200);
		assert.match(page.headers.get('content-type'), /text\/html/);
		assert.ok(page.text.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
		assert.ok(!page.text.includes(evil));
		const json = await server.request('GET', '/api/v1/test/good/items');
		assert.ok(json.json.items.some((i) => i.name === evil), 'the API returns the raw value');
	});

	await t.test('a job runs in the background with progress and a result', async () => {
		const before = (await server.request('GET', '/api/v1/test/good/items')).json.items.length;
		const r = await server.request('POST', '/api/v1/test/good/jobs', { json: { count: 5 } });
		assert.equal(r.status, 202);
		let state;
		for (let i = 0; i < 200; i++) {
			state = (await server.request('GET', `/api/v1/test/good/jobs/${r.json.job_id}`)).json;
			if (state.state === 'succeeded' || state.state === 'failed')
				break;
			await new Promise((res) => setTimeout(res, 50));
		}
		assert.equal(state.state, 'succeeded');
		assert.equal(JSON.parse(state.result).created, 5);
		const after = (await server.request('GET', '/api/v1/test/good/items')).json.items.length;
		assert.equal(after - before, 5);
		// The host's job endpoint: the owner (nobody here) and the city
		// administrator see it; a district admin does not.
		const seen = await admin.get(`/api/v1/jobs/${r.json.job_id}`);
		assert.equal(seen.status, 200);
		assert.equal(seen.json.state, 'succeeded');
		assert.deepEqual(seen.json.progress, { done: 5, total: 5 });
		assert.equal((await on.get(`/api/v1/jobs/${r.json.job_id}`)).status, 404);
	});

	await t.test('a failing job ends failed and writes nothing', async () => {
		const before = (await server.request('GET', '/api/v1/test/good/items')).json.items.length;
		const r = await server.request('POST', '/api/v1/test/good/jobs', { json: { count: -1 } });
		let state;
		for (let i = 0; i < 200; i++) {
			state = (await server.request('GET', `/api/v1/test/good/jobs/${r.json.job_id}`)).json;
			if (state.state === 'succeeded' || state.state === 'failed')
				break;
			await new Promise((res) => setTimeout(res, 50));
		}
		assert.equal(state.state, 'failed');
		const after = (await server.request('GET', '/api/v1/test/good/items')).json.items.length;
		assert.equal(after, before);
	});
});
