// ABI 2.0 end to end on the demo district: route tables checked before any
// init, with the shipped plugins (plugin_dir) next to test plugins found on
// plugin_path (build/test-plugins). A test plugin declaring a route keyinfo
// declares (same method and pattern, another parameter name) fails alone,
// named with keyinfo and the pattern, and keyinfo keeps answering; a route
// naming the student {student} coexists with roster's {id}; a plugin
// needing a newer ABI minor is refused with a reason; JX_HOST_HAS sees this
// host's table; req_fields reads a JSON body and a form alike; and notices'
// receipts answer the page and the API the same way.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, jiaxiao, setArgs, BUILD_DIR } from './harness.mjs';

const PW = 'Demo2026';
const SCHOOL_ADMIN = '13800000002';
const SCHOOL2_ADMIN = '13800000005';
const ZHANG = '13900000001'; // a parent in school 1
const SET = {
	plugin_dir: path.join(BUILD_DIR, 'plugins'),
	plugin_path: [path.join(BUILD_DIR, 'test-plugins')],
	// clash is listed first: loaded before keyinfo, it still loses
	plugins: ['clash', 'awards', 'host_has', 'needs_newer', 'sms', 'wechat', 'roster', 'keyinfo', 'notices'],
};
const CLASH = /clash.*keyinfo|keyinfo.*clash/;
const PATTERN = /GET \/api\/v1\/students\/\{(id|student)\}\/keyinfo/;

let server;
const clients = {};

async function login(who) {
	const c = server.client();
	const r = await c.login(who, PW);
	assert.equal(r.status, 200, r.text);
	return c;
}

test.before(async () => {
	server = await startServer({ command: 'demo', init: false, set: SET });
	for (const who of [SCHOOL_ADMIN, SCHOOL2_ADMIN, ZHANG])
		clients[who] = await login(who);
});
test.after(() => server?.stop());

// A student of school 1 by name, through roster's GET .../students.
async function student(name) {
	const r = await clients[SCHOOL_ADMIN].get('/api/v1/schools/1/students?limit=500');
	assert.equal(r.status, 200, r.text);
	const s = r.json.items.find((x) => x.name === name);
	assert.ok(s, `${name} in ${r.text}`);
	return s;
}

test('a route clash fails the plugin from plugin_path alone, naming both and the pattern', async () => {
	const r = await clients[SCHOOL_ADMIN].get('/api/v1/plugins');
	// school admins may list plugins
	assert.equal(r.status, 200, r.text);
	const by = Object.fromEntries(r.json.map((p) => [p.name, p]));
	assert.equal(by.clash.state, 'failed', JSON.stringify(by.clash));
	assert.match(by.clash.reason, CLASH);
	assert.match(by.clash.reason, PATTERN);
	for (const name of ['keyinfo', 'roster', 'notices', 'awards', 'host_has'])
		assert.equal(by[name].state, 'active', JSON.stringify(by[name]));
	const line = server.logs().split('\n').find((l) => /\bclash\b/.test(l) && /failed/.test(l));
	assert.ok(line, server.logs());
	assert.match(line, CLASH);
	assert.match(line, PATTERN);
	// none of the loser's routes answer, not even its own
	assert.equal((await server.request('GET', '/api/v1/test/clash/hello')).status, 404);
});

test('the shipped plugin keeps its route', async () => {
	const s = await student('张一鸣');
	const r = await clients[SCHOOL_ADMIN].get(`/api/v1/students/${s.id}/keyinfo`);
	assert.equal(r.status, 200, r.text);
	assert.ok(r.json.fields && 'national_no' in r.json.fields, r.text);
});

test('{id} and {student} at the same position coexist, each route with its own name', async () => {
	const s = await student('张一鸣');
	const a = await clients[SCHOOL_ADMIN].get(`/api/v1/students/${s.id}/awards`);
	assert.equal(a.status, 200, a.text);
	assert.deepEqual(a.json, { student: String(s.id), id: null });
	const r = await clients[SCHOOL_ADMIN].get(`/api/v1/students/${s.id}`);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.name, '张一鸣');
});

test('a plugin needing a newer ABI minor is refused with a reason', async () => {
	const r = await clients[SCHOOL_ADMIN].get('/api/v1/plugins');
	const p = r.json.find((x) => x.name === 'needs_newer');
	assert.equal(p.state, 'failed');
	// needs_newer asks for this host's minor + 1 (2.1 since the file
	// service)
	assert.match(p.reason, /needs ABI 2\.2, this host has ABI 2\.1/);
});

test('jiaxiao plugins shows the clash and the refusal', () => {
	const r = jiaxiao(['plugins', ...setArgs(SET)]);
	assert.equal(r.status, 0, r.stdout + r.stderr);
	const line = r.stdout.split('\n').find((l) => /^clash\b/.test(l));
	assert.ok(line, r.stdout);
	assert.match(line, /failed/);
	assert.match(line, CLASH);
	assert.match(line, PATTERN);
	assert.match(r.stdout.split('\n').find((l) => /^needs_newer\b/.test(l)) ?? '', /needs ABI 2\.2/);
	assert.match(r.stdout.split('\n').find((l) => /^keyinfo\b/.test(l)) ?? '', /active/);
});

test('JX_HOST_HAS: on this host the plugin uses problem_count', async () => {
	const r = await server.request('GET', '/api/v1/test/host_has');
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(r.json, { problem_count: true, pending: 1 });
});

test('req_fields reads a JSON body and a form into one checked object', async () => {
	const c = clients[SCHOOL_ADMIN];
	const ok = await c.post('/api/v1/test/awards', { title: ' 三好学生 ', points: 5, shared: true, class_ids: [1, 2], extra: 1 });
	assert.equal(ok.status, 201, ok.text);
	assert.deepEqual(ok.json, { title: '三好学生', points: 5, shared: true, class_ids: [1, 2], api: true });

	const bad = await c.post('/api/v1/test/awards', { title: '', points: 101, shared: 'yes', class_ids: [1, 2, 3, 4] });
	assert.equal(bad.status, 422, bad.text);
	const fields = (bad.json.errors ?? []).map((e) => e.field).sort();
	assert.deepEqual(fields, ['class_ids', 'points', 'shared', 'title']);
	assert.match(bad.json.detail, /4 fields are wrong/);

	const form = (body) => c.request('POST', '/test/awards', {
		body, headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
	});
	const f = await form('title=%E4%B8%89%E5%A5%BD&points=7&class_ids=3&class_ids=4,5&note=line1%0Aline2');
	assert.equal(f.status, 201, f.text);
	assert.deepEqual(f.json, { title: '三好', points: 7, shared: false, class_ids: [3, 4, 5], note: 'line1\nline2', api: false });
	const fb = await form('title=x%01y&points=seven');
	assert.equal(fb.status, 422, fb.text);
	assert.match(fb.headers.get('content-type') ?? '', /^text\/html/);
});

test('notices receipts: the page and the API agree (404 unseen, 403 recipient)', async () => {
	const n = await clients[SCHOOL_ADMIN].post('/api/v1/notices', {
		kind: 'school', title: '收据', body: '内容', audience: { roles: ['parent'] },
	});
	assert.equal(n.status, 201, n.text);
	const id = n.json.id;
	const faces = [`/api/v1/notices/${id}/receipts`, `/notices/${id}/receipts`];
	for (const [who, status] of [[SCHOOL_ADMIN, 200], [ZHANG, 403], [SCHOOL2_ADMIN, 404]]) {
		const got = [];
		for (const face of faces)
			got.push((await clients[who].get(face)).status);
		assert.deepEqual(got, [status, status], `${who}: ${faces.join(', ')}`);
	}
	const page = await clients[SCHOOL_ADMIN].get(`/notices/${id}/receipts`);
	assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
	const api = await clients[SCHOOL_ADMIN].get(`/api/v1/notices/${id}/receipts`);
	assert.ok(Array.isArray(api.json.unread), api.text);
});

test('jiaxiao rules check reaches the dry run through the hook a plugin registered', () => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jx-abi-'));
	try {
		const file = path.join(dir, 'ok.lua');
		fs.writeFileSync(file, 'x = 1\n');
		// keyinfo is not loaded: host_has answers the "rules-check" hook
		const set = { ...SET, plugins: ['host_has'], 'host_has.rules_check': 'yes' };
		const r = jiaxiao(['rules', 'check', ...setArgs(set), '--data', server.dataDir, '--district', '430104', file]);
		assert.equal(r.status, 0, r.stdout + r.stderr);
		const j = JSON.parse(r.stdout);
		assert.equal(j.hook, 'host_has');
		assert.equal(j.source, true);
		assert.ok(Number.isInteger(j.district) && j.district > 0, r.stdout);
	} finally {
		fs.rmSync(dir, { recursive: true, force: true });
	}
});
