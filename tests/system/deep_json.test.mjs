// Issue 10, finding 1: a deeply nested JSON body used to overflow a
// civetweb worker's 100 KiB stack inside cJSON's recursive parser and end
// the process. Bodies nesting deeper than 64 levels are refused with 400
// before any recursive parser runs; 64 levels are read as usual. A
// district's Lua chunk may recurse in C up to Lua's limit of 200 levels
// (pcall, metamethods, sort and gsub callbacks, the parser): that ran on
// the worker's stack and overflowed it too; it runs on a 2 MiB stack now.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, BUILD_DIR } from './harness.mjs';

const PROBLEM = /^application\/problem\+json/;
const LIMIT = 64;

let server;

before(async () => {
	server = await startServer({ set: { plugin_dir: path.join(BUILD_DIR, 'plugins') } });
});

after(async () => {
	if (server)
		await server.stop();
});

// A login body whose "pad" member nests `levels` arrays or objects, so
// that the whole body nests levels + 1 deep.
function padded(levels, kind) {
	const open = kind === 'array' ? '[' : '{"a":';
	const close = kind === 'array' ? ']' : '}';
	return `{"login":"admin","password":"Admin12345","pad":${open.repeat(levels)}1${close.repeat(levels)}}`;
}

async function healthy() {
	const r = await server.request('GET', '/healthz');
	assert.equal(r.status, 200);
	assert.equal(r.json.status, 'ok');
}

for (const kind of ['array', 'object']) {
	test(`100,000 nested ${kind}s on the unauthenticated login: 400, server lives`, async () => {
		const n = 100000;
		const open = kind === 'array' ? '[' : '{"a":';
		const close = kind === 'array' ? ']' : '}';
		const body = `${open.repeat(n)}1${close.repeat(n)}`;
		const r = await server.request('POST', '/api/v1/session', {
			body,
			headers: { 'Content-Type': 'application/json' },
		});
		assert.equal(r.status, 400);
		assert.match(r.headers.get('content-type'), PROBLEM);
		assert.match(r.json.detail, /deeper than 64/);
		await healthy();
		// Inside an object too, after a valid start.
		const r2 = await server.request('POST', '/api/v1/session', {
			body: padded(n, kind),
			headers: { 'Content-Type': 'application/json' },
		});
		assert.equal(r2.status, 400);
		assert.match(r2.headers.get('content-type'), PROBLEM);
		await healthy();
		assert.ok(server.alive(), 'the server still runs');
	});

	test(`a body nested ${LIMIT} deep (${kind}s) is read normally; ${LIMIT + 1} is refused`, async () => {
		const ok = await server.request('POST', '/api/v1/session', {
			body: padded(LIMIT - 1, kind),
			headers: { 'Content-Type': 'application/json' },
		});
		assert.equal(ok.status, 200, ok.text);
		assert.equal(ok.json.account.login, 'admin');
		const deep = await server.request('POST', '/api/v1/session', {
			body: padded(LIMIT, kind),
			headers: { 'Content-Type': 'application/json' },
		});
		assert.equal(deep.status, 400);
		assert.match(deep.headers.get('content-type'), PROBLEM);
	});
}

test('brackets inside strings do not count as nesting', async () => {
	const s = '[{'.repeat(120);
	const r = await server.request('POST', '/api/v1/session', {
		json: { login: 'admin', password: s },
	});
	assert.equal(r.status, 401);
	await healthy();
});

test('a district chunk recursing through C to Lua\'s limit does not overflow a worker', async () => {
	const admin = server.client();
	assert.equal((await admin.login('admin', 'Admin12345')).status, 200);
	const d = await admin.post('/api/v1/districts', { code: '430199', name: '深区' });
	assert.equal(d.status, 201, d.text);
	// The chunk runs once when it is checked (PUT) or tried (dry run): the
	// recursion starts at its top level; the district has no students.
	const check = (body) => `${body}\nf()\nfunction keyinfo_check(s, R) return {} end`;
	const chunks = {
		pcall: check('function f() return pcall(f) end'),
		index: check('local t = setmetatable({}, {})\ngetmetatable(t).__index = function(t, k) return t[k] end\nfunction f() return t.x end'),
		gsub: check('function f() return (("x"):gsub(".", f)) end'),
		sort: check('function f() table.sort({3, 2, 1}, function(a, b) f() return a < b end) end'),
		tostring: check('local t = setmetatable({}, {})\ngetmetatable(t).__tostring = function(x) return tostring(x) end\nfunction f() return tostring(t) end'),
		parser: check(`local x = ${'{'.repeat(195)}${'}'.repeat(195)}\nfunction f() end`),
	};
	for (const [name, source] of Object.entries(chunks)) {
		for (const [method, url] of [['POST', `/api/v1/districts/${d.json.id}/rules/dry-run`], ['PUT', `/api/v1/districts/${d.json.id}/rules`]]) {
			const r = await admin.request(method, url, { json: { source } });
			assert.ok([200, 422].includes(r.status), `${name} ${method}: ${r.status} ${r.text.slice(0, 200)}`);
			await healthy();
		}
	}
	assert.ok(server.alive());
});
