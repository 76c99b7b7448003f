// System test of the plugin loader: the real binary with the test plugins
// of tests/plugins/ (built into build/test-plugins/, never build/plugins/):
// two good plugins and ten broken ones. The server must start, the good one
// must answer, and each broken one must be reported with its state and why.

import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, jiaxiao, setArgs, BUILD_DIR, DEFAULT_ADMIN_PASSWORD, SOURCE_DIR } from './harness.mjs';

// The host's ABI minor, from the header (other branches raise it too).
const MINOR = Number(/#define JX_ABI_MINOR (\d+)/.exec(
	fs.readFileSync(path.join(SOURCE_DIR, 'host/include/jx/plugin.h'), 'utf8'))[1]);
const NEEDS_NEWER = new RegExp(`needs ABI 2\\.${MINOR + 1}, this host has ABI 2\\.${MINOR}`);

const PLUGIN_DIR = path.join(BUILD_DIR, 'test-plugins');
// after_optional comes first: its "?good" must still init good before it.
const NAMES = ['after_optional', 'good', 'wrong_abi', 'missing_symbol', 'needs_missing', 'init_fails', 'needs_failed', 'needs_newer', 'dup_service', 'bad_route', 'clash', 'clash_later', 'abi_one'];
const SET = {
	plugin_dir: PLUGIN_DIR,
	plugins: `{${NAMES.map((n) => JSON.stringify(n)).join(',')}}`,
};

// What each plugin must end up as, and what its reason must mention.
const EXPECTED = {
	good: { state: 'active' },
	// "?good" ordered good's init first; "?nonexistent" is no fault
	after_optional: { state: 'active' },
	wrong_abi: { state: 'failed', reason: /ABI/ },
	// built for ABI 1 (no size first): refused, not misread
	abi_one: { state: 'failed', reason: /not an ABI 2 descriptor/ },
	missing_symbol: { state: 'failed', reason: /undefined symbol|dlopen|symbol/i },
	init_fails: { state: 'failed', reason: /init/i },
	needs_missing: { state: 'disabled', reason: /nonexistent/ },
	needs_failed: { state: 'disabled', reason: /init_fails/ },
	// abi_minor is the minor a plugin needs: this host minor + 1
	needs_newer: { state: 'failed', reason: NEEDS_NEWER },
	// a reason written while registering is kept (it was formatted into
	// itself, and came out empty)
	dup_service: { state: 'failed', reason: /service good\.v1 is already registered/ },
	// route tables are checked before any init
	bad_route: { state: 'failed', reason: /x\{id\}.*whole segment/ },
	// both shipped: the one loaded later loses, naming the other
	clash: { state: 'active' },
	clash_later: { state: 'failed', reason: /\bclash\b.*GET \/api\/v1\/test\/clash\/hello.*loaded first/ },
};

// A line with the plugin's own name taken out: "init_fails" or
// "missing_symbol" must not count as the reason mentioning init or symbol.
function withoutName(line, name) {
	return line.replaceAll(name, '');
}

test('the test plugins are built', () => {
	for (const name of NAMES) {
		const so = path.join(PLUGIN_DIR, `jx_${name}.so`);
		assert.ok(fs.existsSync(so), `${so} is missing: build the test plugins`);
	}
	assert.ok(!fs.existsSync(path.join(BUILD_DIR, 'plugins', 'jx_good.so')),
		'test plugins never go into build/plugins');
});

test('bad plugins are reported and the server starts', async (t) => {
	const server = await startServer({ set: SET });
	t.after(() => server.stop());

	await t.test('the server is up', async () => {
		const r = await server.request('GET', '/healthz');
		assert.deepEqual(r.json, { status: 'ok' });
	});

	await t.test('the good plugin answers its route', async () => {
		const r = await server.request('GET', '/api/v1/test/good/hello');
		assert.equal(r.status, 200, r.text);
		assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
		assert.deepEqual(r.json, { hello: 'world' });
	});

	await t.test('one log line names each bad plugin and why', () => {
		const lines = server.logs().split('\n');
		for (const [name, want] of Object.entries(EXPECTED)) {
			if (!want.reason)
				continue;
			const about = lines.filter((l) => new RegExp(`\\b${name}\\b`).test(l));
			assert.ok(about.length > 0, `no log line names ${name}:\n${server.logs()}`);
			assert.ok(about.some((l) => want.reason.test(withoutName(l, name))),
				`no log line says why ${name} is ${want.state} (${want.reason}):\n${about.join('\n')}`);
		}
	});

	await t.test('a plugin whose route table is wrong is never initialised', () => {
		assert.doesNotMatch(server.logs(), /bad_route init ran/);
	});

	await t.test('GET /api/v1/plugins shows states and reasons', async (t) => {
		const client = server.client();
		const login = await client.login('admin', DEFAULT_ADMIN_PASSWORD);
		// Login belongs to a later step of the host: until POST
		// /api/v1/session exists (404 now), this part cannot run.
		if (login.status === 404) {
			t.skip('POST /api/v1/session does not exist yet');
			return;
		}
		assert.equal(login.status, 200, login.text);

		const anonymous = await server.request('GET', '/api/v1/plugins');
		assert.equal(anonymous.status, 401);

		const r = await client.get('/api/v1/plugins');
		assert.equal(r.status, 200, r.text);
		assert.ok(Array.isArray(r.json), 'a plain array');
		for (const [name, want] of Object.entries(EXPECTED)) {
			const p = r.json.find((x) => x.name === name);
			assert.ok(p, `${name} is listed: ${r.text}`);
			assert.equal(p.state, want.state, `${name}: ${JSON.stringify(p)}`);
			assert.equal(typeof p.version, 'string');
			if (want.reason)
				assert.match(p.reason ?? '', want.reason, `${name}: ${JSON.stringify(p)}`);
		}
	});
});

test('jiaxiao plugins prints each plugin with version, state and reason', () => {
	const r = jiaxiao(['plugins', ...setArgs(SET)]);
	assert.equal(r.status, 0, r.stdout + r.stderr);
	const lines = r.stdout.split('\n').filter((l) => l.trim());
	for (const [name, want] of Object.entries(EXPECTED)) {
		const mine = lines.filter((l) => new RegExp(`^\\s*${name}\\b`).test(l));
		assert.equal(mine.length, 1, `one line for ${name}:\n${r.stdout}`);
		const line = mine[0];
		// The state is the first state word on the line; the reason may
		// name another's (needs_failed: "init_fails failed").
		const state = line.split(/[\s|:,]+/).find((w) => ['active', 'failed', 'disabled'].includes(w));
		assert.equal(state, want.state, line);
		if (want.reason)
			assert.match(withoutName(line, name), want.reason, line);
	}
	const good = lines.find((l) => /^\s*good\b/.test(l));
	assert.match(good, /\d+\.\d+/, `the good plugin's version: ${good}`);
});

// plugin_path: directories searched after plugin_dir, each holding
// jx_<name>.so or <name>/jx_<name>.so. A name found twice loads the
// shipped one (plugin_dir); the other is listed as failed, naming both.
test('plugin_path: found after plugin_dir; a name found twice loads the shipped one', (t) => {
	const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jx-plugin-path-'));
	t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
	const shipped = path.join(PLUGIN_DIR, 'jx_good.so');
	const outside = path.join(tmp, 'ext', 'good', 'jx_good.so');
	const empty = path.join(tmp, 'empty');
	fs.mkdirSync(path.dirname(outside), { recursive: true });
	fs.mkdirSync(empty);
	fs.copyFileSync(shipped, outside);
	const lines = (set) => {
		const r = jiaxiao(['plugins', ...setArgs(set)]);
		assert.equal(r.status, 0, r.stdout + r.stderr);
		return r.stdout.split('\n').filter((l) => /^good\b/.test(l));
	};

	// Only on plugin_path (one string, the folder-per-plugin layout).
	let good = lines({ plugin_dir: empty, plugin_path: path.join(tmp, 'ext') });
	assert.equal(good.length, 1, good.join('\n'));
	assert.match(good[0], /\bactive\b/);

	// Both, listed or found by scanning: the shipped one wins.
	for (const set of [
		{ plugin_dir: PLUGIN_DIR, plugin_path: [path.join(tmp, 'ext')], plugins: '{"good"}' },
		{ plugin_dir: PLUGIN_DIR, plugin_path: [empty, path.join(tmp, 'ext')] },
	]) {
		good = lines(set);
		assert.equal(good.length, 2, `two lines for good:\n${good.join('\n')}`);
		assert.match(good[0], /\bactive\b/);
		assert.match(good[1], /\bfailed\b/);
		assert.ok(good[1].includes(outside) && good[1].includes(shipped),
			`the reason names both paths: ${good[1]}`);
	}

	// The same file reached twice is one plugin, not a clash.
	good = lines({ plugin_dir: PLUGIN_DIR, plugin_path: [PLUGIN_DIR], plugins: '{"good"}' });
	assert.equal(good.length, 1, good.join('\n'));
});
