// System tests of identity (issue 3): the organisation endpoints, logging
// in with the forced password change, identical 401s, throttling, CSRF,
// session tokens and cookies, identity switching, password-reset scope,
// binding a child, bad input, an access matrix over every role, and the
// audit chain afterwards — against the real binary through harness.mjs.
// (Password recovery has its own file, recovery.test.mjs.)

import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startServer, jiaxiao, BUILD_DIR, DEFAULT_ADMIN_PASSWORD } from './harness.mjs';

const DEMO_PASSWORD = 'Demo2026';
// A slip's initial password: 8 letters and digits without look-alikes
// (no 0 O o 1 l I).
const SLIP_PASSWORD = /^[a-hjkmnp-z2-9]{8}$/;
const PROBLEM_TYPE = /^application\/problem\+json/;

// Asserts a problem+json reply with this status; with typeSuffix, that
// its type ends so; with field, that an error names that field.
function assertProblem(r, status, { type, field } = {}) {
	assert.equal(r.status, status, `status ${r.status}: ${r.text.slice(0, 400)}`);
	assert.match(r.headers.get('content-type') ?? '', PROBLEM_TYPE);
	assert.ok(r.json, `problem body is JSON: ${r.text.slice(0, 300)}`);
	assert.equal(r.json.status, status);
	if (type)
		assert.ok(String(r.json.type).endsWith(type),
			`type ends with ${type}: ${r.json.type}`);
	if (field) {
		assert.ok(Array.isArray(r.json.errors), `errors listed: ${r.text}`);
		assert.ok(r.json.errors.some((e) => e.field === field),
			`an error names field ${field}: ${r.text}`);
	}
}

function assertRefused(r, what) {
	assert.ok(r.status === 403 || r.status === 404,
		`${what}: refused with 403/404, got ${r.status}: ${r.text.slice(0, 300)}`);
}

// The jx_session value a reply sets, or null.
function sessionCookie(r) {
	for (const line of r.headers.getSetCookie()) {
		const m = /^jx_session=([^;]*)/.exec(line);
		if (m)
			return { value: m[1], line };
	}
	return null;
}

async function login(server, loginName, password) {
	const c = server.client();
	const r = await c.login(loginName, password);
	assert.equal(r.status, 200, `login ${loginName}: ${r.status} ${r.text.slice(0, 300)}`);
	c.me = r.json;
	return c;
}

// Entries in the audit chain, checked by `jiaxiao audit verify`.
// One value from the server's database (the sqlite3 shell).
function sqlOne(server, query) {
	const r = spawnSync('sqlite3', ['-readonly', '-cmd', '.timeout 10000', path.join(server.dataDir, 'jiaxiao.db'), query],
		{ encoding: 'utf8' });
	assert.equal(r.status, 0, r.stderr);
	return r.stdout.trim();
}

function auditVerify(server) {
	const r = jiaxiao(['audit', 'verify', '--data', server.dataDir]);
	const m = /intact: (\d+) entries/.exec(r.stdout);
	return { status: r.status, out: r.stdout + r.stderr, entries: m ? Number(m[1]) : null };
}

// The demo's printed login of a student, from the server's start-up table
// ("  70829656     学生 student  周子涵  七年级1班").
function demoLogin(server, name) {
	const m = new RegExp(`^\\s*(\\d{8,9})\\s+学生 student\\s+${name}\\s`, 'm').exec(server.logs());
	assert.ok(m, `the demo prints a login for ${name}:\n${server.logs()}`);
	return m[1];
}

let phoneSeq = 0;
const nextPhone = () => `1370000${String(++phoneSeq).padStart(4, '0')}`;

// Two districts, three schools, and their administrators, made through
// the API as the city administrator.
async function buildOrg(server) {
	const admin = await login(server, 'admin', DEFAULT_ADMIN_PASSWORD);
	const org = { admin };
	let r = await admin.post('/api/v1/districts', { code: '430102', name: '芙蓉区' });
	assert.equal(r.status, 201, r.text);
	assert.ok(Number.isInteger(r.json.id));
	org.dA = r.json.id;
	r = await admin.post('/api/v1/districts', { code: '430103', name: '天心区' });
	assert.equal(r.status, 201, r.text);
	org.dB = r.json.id;
	const school = async (did, code, name, stage) => {
		const s = await admin.post(`/api/v1/districts/${did}/schools`, { code, name, stage });
		assert.equal(s.status, 201, s.text);
		assert.equal(s.json.stage, stage);
		return s.json.id;
	};
	org.a1 = await school(org.dA, '4301020001', '芙蓉区第一小学', 'primary');
	org.a2 = await school(org.dA, '4301020002', '芙蓉区第二中学', 'junior');
	org.b1 = await school(org.dB, '4301030001', '天心区第一小学', 'primary');
	const person = async (url, name) => {
		const phone = nextPhone();
		const p = await admin.post(url, { name, phone });
		assert.equal(p.status, 201, `${url}: ${p.text}`);
		assert.equal(p.json.login, phone);
		assert.ok(p.json.account_id > 0 && p.json.person_id > 0, p.text);
		// No SMS gateway here: 8 random characters without look-alikes.
		assert.match(p.json.initial_password, SLIP_PASSWORD, p.text);
		return { phone, initial: p.json.initial_password, account: p.json.account_id, person: p.json.person_id };
	};
	org.daA = await person(`/api/v1/districts/${org.dA}/admins`, '区管甲');
	org.daB = await person(`/api/v1/districts/${org.dB}/admins`, '区管乙');
	org.sa1 = await person(`/api/v1/schools/${org.a1}/admins`, '校管一');
	org.sa2 = await person(`/api/v1/schools/${org.a2}/admins`, '校管二');
	org.sb1 = await person(`/api/v1/schools/${org.b1}/admins`, '校管三');
	return org;
}

// Logs in with the initial password and changes it: a usable client.
async function activate(server, who) {
	const c = await login(server, who.phone, who.initial);
	assert.equal(c.me.account.must_change_password, true);
	who.password = `Neu${who.phone.slice(-6)}x`;
	const r = await c.put('/api/v1/me/password', { old_password: who.initial, new_password: who.password });
	assert.equal(r.status, 204, r.text);
	return c;
}

test('organisation, forced password change, CSRF, sessions and bad input', async (t) => {
	const server = await startServer();
	t.after(() => server.stop());
	let org;

	await t.test('the city admin builds districts, schools and admins', async () => {
		org = await buildOrg(server);
		const r = await org.admin.get('/api/v1/districts');
		assert.equal(r.status, 200);
		assert.deepEqual(r.json.map((d) => d.code).sort(), ['430102', '430103']);
		const s = await org.admin.get(`/api/v1/districts/${org.dA}/schools`);
		assert.equal(s.status, 200);
		assert.deepEqual(s.json.map((x) => x.code), ['4301020001', '4301020002']);
		for (const x of s.json)
			for (const k of ['id', 'code', 'name', 'stage'])
				assert.ok(k in x, `school has ${k}`);
	});

	await t.test('a phone with an account gets one more identity, not a second account', async () => {
		const r = await org.admin.post(`/api/v1/schools/${org.a2}/admins`, { name: '校管一', phone: org.sa1.phone });
		assert.equal(r.status, 201, r.text);
		assert.equal(r.json.account_id, org.sa1.account);
		const c = await login(server, org.sa1.phone, org.sa1.initial);
		const schools = c.me.identities.filter((i) => i.role === 'school_admin').map((i) => i.school_id).sort();
		assert.deepEqual(schools, [org.a1, org.a2].sort());
		await c.logout();
	});

	await t.test('the whole login flow with the forced change', async () => {
		const who = org.sa2;
		const c = server.client();
		let r = await c.login(who.phone, who.initial);
		assert.equal(r.status, 200, `the default initial password (random, no SMS gateway) logs in: ${r.text}`);
		assert.equal(r.json.account.must_change_password, true);
		assert.equal(r.json.account.login, who.phone);
		assert.match(r.json.csrf_token, /^[0-9a-f]{32,}$/);
		assert.equal(r.json.identities.length, 1);
		assert.equal(r.json.identities[0].role, 'school_admin');
		assert.equal(r.json.identities[0].school_id, org.a2);
		assert.equal(r.json.acting_identity_id, r.json.identities[0].id);

		// Everything but the exempt endpoints is gated.
		assertProblem(await c.get('/api/v1/districts'), 403, { type: 'password-change-required' });
		assertProblem(await c.get(`/api/v1/districts/${org.dA}/schools`), 403, { type: 'password-change-required' });
		assertProblem(await c.put('/api/v1/me/identity', { identity_id: r.json.acting_identity_id }), 403,
			{ type: 'password-change-required' });
		assertProblem(await c.post(`/api/v1/schools/${org.a2}/admins`, { name: 'x', phone: nextPhone() }), 403,
			{ type: 'password-change-required' });
		// Pages send the user to the password form.
		const page = await c.get('/me');
		assert.ok([302, 303].includes(page.status), `GET /me redirects: ${page.status}`);
		assert.equal(page.headers.get('location'), '/me/password');
		assert.equal((await c.get('/me/password')).status, 200);
		assert.equal((await c.get('/healthz')).status, 200);
		r = await c.get('/api/v1/me');
		assert.equal(r.status, 200);
		assert.equal(r.json.account.must_change_password, true);
		// Logging out is allowed while gated.
		const other = server.client();
		assert.equal((await other.login(who.phone, who.initial)).status, 200);
		assert.equal((await other.del('/api/v1/session')).status, 204);
		assertProblem(await other.get('/api/v1/me'), 401);

		// The policy: at least 8 characters, a letter and a digit.
		for (const weak of ['abc123', 'abcdefghij', '1234567890', who.initial, '']) {
			r = await c.put('/api/v1/me/password', { old_password: who.initial, new_password: weak });
			assertProblem(r, 422, { field: 'new_password' });
		}
		r = await c.put('/api/v1/me/password', { old_password: 'wrong-old-1', new_password: 'Better2026x' });
		assertProblem(r, 422, { field: 'old_password' });
		r = await c.put('/api/v1/me/password', { new_password: 'Better2026x' });
		assertProblem(r, 422, { field: 'old_password' });
		r = await c.put('/api/v1/me/password', { old_password: who.initial });
		assertProblem(r, 422, { field: 'new_password' });
		// Still gated after the failures.
		assertProblem(await c.get('/api/v1/districts'), 403, { type: 'password-change-required' });

		r = await c.put('/api/v1/me/password', { old_password: who.initial, new_password: 'Better2026x' });
		assert.equal(r.status, 204, r.text);
		assert.equal(r.text, '');
		r = await c.get('/api/v1/me');
		assert.equal(r.json.account.must_change_password, false);
		r = await c.get('/api/v1/districts');
		assert.equal(r.status, 200, r.text);
		assert.deepEqual(r.json.map((d) => d.id), [org.dA], 'a school admin sees their district only');
		assert.equal((await c.get(`/api/v1/districts/${org.dA}/schools`)).status, 200);

		assertProblem(await server.client().login(who.phone, who.initial), 401);
		const again = await server.client().login(who.phone, 'Better2026x');
		assert.equal(again.status, 200);
		assert.equal(again.json.account.must_change_password, false);
		who.password = 'Better2026x';
	});

	await t.test('a password change ends the account\'s other sessions', async () => {
		const who = org.sa2;
		const a = await login(server, who.phone, who.password);
		const b = await login(server, who.phone, who.password);
		const r = await a.put('/api/v1/me/password', { old_password: who.password, new_password: 'Third2026x' });
		assert.equal(r.status, 204, r.text);
		who.password = 'Third2026x';
		assert.equal((await a.get('/api/v1/me')).status, 200, 'the changing session goes on');
		assertProblem(await b.get('/api/v1/me'), 401);
	});

	await t.test('the password pages: forced form, mismatch, success', async () => {
		const who = org.sb1;
		const c = await login(server, who.phone, who.initial);
		const form = (fields) => new URLSearchParams({ csrf_token: c.csrfToken, ...fields }).toString();
		const post = (fields) => c.request('POST', '/me/password', {
			body: form(fields),
			headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
		});
		let r = await c.get('/me/password');
		assert.equal(r.status, 200);
		for (const name of ['old_password', 'new_password', 'new_password_again', 'csrf_token'])
			assert.match(r.text, new RegExp(`name="${name}"`), `the form has ${name}`);
		r = await post({ old_password: who.initial, new_password: 'Page2026x', new_password_again: 'Page2026y' });
		assert.equal(r.status, 422);
		r = await post({ old_password: who.initial, new_password: 'short1', new_password_again: 'short1' });
		assert.equal(r.status, 422);
		assert.match(r.text, /role="alert"/);
		r = await post({ old_password: who.initial, new_password: 'Page2026x', new_password_again: 'Page2026x' });
		assert.ok([302, 303].includes(r.status), `${r.status} ${r.text.slice(0, 200)}`);
		assert.match(r.headers.get('location') ?? '', /^\/me/);
		who.password = 'Page2026x';
		assert.equal((await c.get('/api/v1/districts')).status, 200);
	});

	await t.test('401 bodies are byte-identical for an unknown login and a wrong password', async () => {
		const unknown = await server.request('POST', '/api/v1/session', { json: { login: '13799999999', password: 'Whatever1' } });
		const wrong = await server.request('POST', '/api/v1/session', { json: { login: org.sa1.phone, password: 'Whatever1' } });
		const wrongAdmin = await server.request('POST', '/api/v1/session', { json: { login: 'admin', password: 'Whatever1' } });
		const unknownName = await server.request('POST', '/api/v1/session', { json: { login: 'nobody', password: 'Whatever1' } });
		for (const r of [unknown, wrong, wrongAdmin, unknownName]) {
			assertProblem(r, 401);
			assert.equal(r.text, unknown.text);
			assert.equal(r.headers.get('content-type'), unknown.headers.get('content-type'));
			assert.equal(r.headers.get('content-length'), unknown.headers.get('content-length'));
			assert.equal(sessionCookie(r), null, 'a failed login sets no session');
		}
		assertProblem(await server.request('GET', '/api/v1/me'), 401);
	});

	await t.test('unsafe requests need the X-CSRF-Token of the session', async () => {
		const c = await login(server, 'admin', DEFAULT_ADMIN_PASSWORD);
		const cookie = c.cookieHeader();
		const identity = c.me.acting_identity_id;
		const attempts = [
			['POST', '/api/v1/districts', { code: '430199', name: '伪造区' }],
			['POST', `/api/v1/districts/${org.dA}/schools`, { code: '4301029999', name: '伪造校', stage: 'primary' }],
			['POST', `/api/v1/schools/${org.a1}/admins`, { name: '伪造', phone: '13711112222' }],
			['PUT', '/api/v1/me/identity', { identity_id: identity }],
			['PUT', '/api/v1/me/password', { old_password: DEFAULT_ADMIN_PASSWORD, new_password: 'Hijack2026' }],
			['POST', `/api/v1/accounts/${org.sa1.account}/password-reset`, {}],
			['DELETE', '/api/v1/session', undefined],
		];
		for (const token of [undefined, '', 'f'.repeat(64), c.csrfToken.slice(0, -1)]) {
			for (const [method, url, json] of attempts) {
				const headers = token === undefined ? {} : { 'X-CSRF-Token': token };
				const r = await server.request(method, url, { cookie, json, headers });
				assertProblem(r, 403);
				assert.ok(!r.json.type.endsWith('password-change-required'));
			}
		}
		// A form without csrf_token is refused too.
		const r = await server.request('POST', '/logout', {
			cookie,
			body: 'x=1',
			headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
		});
		assert.equal(r.status, 403);
		// Nothing happened: the session lives, the password is unchanged,
		// no district, school or admin was made.
		assert.equal((await c.get('/api/v1/me')).status, 200);
		const ds = await c.get('/api/v1/districts');
		assert.ok(!ds.json.some((d) => d.code === '430199'));
		const ss = await c.get(`/api/v1/districts/${org.dA}/schools`);
		assert.ok(!ss.json.some((s) => s.code === '4301029999'));
		assert.equal((await server.client().login('admin', DEFAULT_ADMIN_PASSWORD)).status, 200);
		assertProblem(await server.client().login('13711112222', '112222'), 401);
		// With the token the same requests work.
		const ok = await server.request('PUT', '/api/v1/me/identity', {
			cookie, json: { identity_id: identity }, headers: { 'X-CSRF-Token': c.csrfToken },
		});
		assert.equal(ok.status, 200, ok.text);
		// POST /api/v1/session needs no token and ignores a stale cookie.
		const fresh = await server.request('POST', '/api/v1/session', {
			cookie, json: { login: 'admin', password: DEFAULT_ADMIN_PASSWORD },
		});
		assert.equal(fresh.status, 200, fresh.text);
	});

	await t.test('a new session token at every login, and logout', async () => {
		const first = await server.request('POST', '/api/v1/session', { json: { login: 'admin', password: DEFAULT_ADMIN_PASSWORD } });
		const c1 = sessionCookie(first);
		assert.ok(c1, 'login sets jx_session');
		assert.match(c1.value, /^[0-9a-f]{64}$/, '256 random bits');
		// A second login, sent with the first session's cookie (and with a
		// planted one), gets a token of its own.
		const second = await server.request('POST', '/api/v1/session', {
			cookie: `jx_session=${c1.value}`, json: { login: 'admin', password: DEFAULT_ADMIN_PASSWORD },
		});
		const c2 = sessionCookie(second);
		assert.ok(c2);
		assert.notEqual(c2.value, c1.value);
		assert.notEqual(second.json.csrf_token, first.json.csrf_token);
		const planted = 'a'.repeat(64);
		const third = await server.request('POST', '/api/v1/session', {
			cookie: `jx_session=${planted}`, json: { login: 'admin', password: DEFAULT_ADMIN_PASSWORD },
		});
		const c3 = sessionCookie(third);
		assert.ok(c3);
		assert.notEqual(c3.value, planted);
		assertProblem(await server.request('GET', '/api/v1/me', { cookie: `jx_session=${planted}` }), 401);
		// The new sessions work; the first is a separate session (another
		// device) and works as well.
		for (const [cookie, r] of [[c2.value, second], [c3.value, third], [c1.value, first]]) {
			const me = await server.request('GET', '/api/v1/me', { cookie: `jx_session=${cookie}` });
			assert.equal(me.status, 200, me.text);
			assert.equal(me.json.account.login, 'admin');
			assert.equal(me.json.csrf_token, r.json.csrf_token, 'each session has its own CSRF token');
		}
		// A session's CSRF token does not work with another session.
		const cross = await server.request('PUT', '/api/v1/me/identity', {
			cookie: `jx_session=${c2.value}`, json: { identity_id: first.json.acting_identity_id },
			headers: { 'X-CSRF-Token': first.json.csrf_token },
		});
		assertProblem(cross, 403);
		// Logout ends that session only.
		const out = await server.request('DELETE', '/api/v1/session', {
			cookie: `jx_session=${c2.value}`, headers: { 'X-CSRF-Token': second.json.csrf_token },
		});
		assert.equal(out.status, 204, out.text);
		const cleared = sessionCookie(out);
		assert.ok(cleared && cleared.value === '' && /Max-Age=0/i.test(cleared.line), `logout clears the cookie: ${cleared?.line}`);
		assertProblem(await server.request('GET', '/api/v1/me', { cookie: `jx_session=${c2.value}` }), 401);
		assertProblem(await server.request('GET', '/api/v1/districts', { cookie: `jx_session=${c2.value}` }), 401);
		assert.equal((await server.request('GET', '/api/v1/me', { cookie: `jx_session=${c3.value}` })).status, 200);
		// The page logout too.
		const pageOut = await server.request('POST', '/logout', {
			cookie: `jx_session=${c3.value}`,
			body: new URLSearchParams({ csrf_token: third.json.csrf_token }).toString(),
			headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
		});
		assert.ok([302, 303].includes(pageOut.status), `${pageOut.status}`);
		assertProblem(await server.request('GET', '/api/v1/me', { cookie: `jx_session=${c3.value}` }), 401);
	});

	await t.test('the session cookie is HttpOnly, SameSite=Lax, not Secure without tls', async () => {
		const r = await server.request('POST', '/api/v1/session', { json: { login: 'admin', password: DEFAULT_ADMIN_PASSWORD } });
		const c = sessionCookie(r);
		const attrs = c.line.split(';').map((s) => s.trim().toLowerCase());
		assert.ok(attrs.includes('httponly'), c.line);
		assert.ok(attrs.includes('samesite=lax'), c.line);
		assert.ok(attrs.includes('path=/'), c.line);
		assert.ok(!attrs.includes('secure'), c.line);
		assert.equal(r.headers.get('cache-control'), 'no-store');
	});

	await t.test('the login page form logs in and sets the same cookie', async () => {
		const page = await server.request('GET', '/login');
		assert.equal(page.status, 200);
		for (const name of ['login', 'password'])
			assert.match(page.text, new RegExp(`<label for="${name}"`), `a label for ${name}`);
		const bad = await server.request('POST', '/login', {
			body: new URLSearchParams({ login: 'admin', password: 'nope-nope1' }).toString(),
			headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
		});
		assert.equal(bad.status, 401);
		assert.equal(sessionCookie(bad), null);
		// Browsers drop tabs and newlines from URLs and read \ as /: none
		// of these may lead off the site.
		for (const next of ['//evil.example/', '/\\evil.example/', '/\t/evil.example/', '/\t\\evil.example/',
			'/\n/evil.example/', 'https://evil.example/', '/\u007f/evil.example/']) {
			const r = await server.request('POST', '/login', {
				body: new URLSearchParams({ login: 'admin', password: DEFAULT_ADMIN_PASSWORD, next }).toString(),
				headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
			});
			assert.ok([302, 303].includes(r.status), `${r.status}`);
			const loc = r.headers.get('location');
			assert.equal(new URL(loc, server.url).origin, server.url, `next=${JSON.stringify(next)} stays on the site: ${JSON.stringify(loc)}`);
			assert.equal(loc, '/', `next=${JSON.stringify(next)}`);
		}
		const kept = await server.request('POST', '/login', {
			body: new URLSearchParams({ login: 'admin', password: DEFAULT_ADMIN_PASSWORD, next: '/me?tab=1' }).toString(),
			headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
		});
		assert.equal(kept.headers.get('location'), '/me?tab=1', 'a local next is followed');
		const good = await server.request('POST', '/login', {
			body: new URLSearchParams({ login: 'admin', password: DEFAULT_ADMIN_PASSWORD, next: '//evil.example/' }).toString(),
			headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
		});
		assert.ok([302, 303].includes(good.status), `${good.status}`);
		assert.equal(good.headers.get('location'), '/', 'no open redirect');
		const c = sessionCookie(good);
		assert.match(c.value, /^[0-9a-f]{64}$/);
		assert.match(c.line, /HttpOnly/);
		assert.match(c.line, /SameSite=Lax/);
	});

	await t.test('bad input: 400 for malformed bodies, 422 naming the field, nothing written', async () => {
		const admin = await login(server, 'admin', DEFAULT_ADMIN_PASSWORD);
		const before = auditVerify(server);
		assert.equal(before.status, 0, before.out);
		const districts = (await admin.get('/api/v1/districts')).json;
		const schoolsA = (await admin.get(`/api/v1/districts/${org.dA}/schools`)).json;
		const raw = (url, body) => admin.request('POST', url, { body, headers: { 'Content-Type': 'application/json' } });

		for (const url of ['/api/v1/districts', `/api/v1/districts/${org.dA}/schools`, `/api/v1/districts/${org.dA}/admins`]) {
			assertProblem(await raw(url, '{"code": "430111", "name": '), 400);
			assertProblem(await raw(url, 'not json at all'), 400);
			const arr = await raw(url, '["an", "array"]');
			assert.ok(arr.status === 400 || arr.status === 422, `an array body: ${arr.status}`);
			assertProblem(await raw(url, Buffer.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x22, 0x7d])), 400);
			// Overlong UTF-8 and a lone surrogate are not UTF-8 either.
			assertProblem(await raw(url, Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')])), 400);
			assertProblem(await raw(url, Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')])), 400);
		}
		assertProblem(await admin.request('POST', '/api/v1/session', {
			body: Buffer.from([0x7b, 0x22, 0x6c, 0x6f, 0x67, 0x69, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]),
			headers: { 'Content-Type': 'application/json' },
		}), 400);

		const long = '区'.repeat(200);
		const cases = [
			['/api/v1/districts', { name: '新区' }, 'code'],
			['/api/v1/districts', { code: '430111' }, 'name'],
			['/api/v1/districts', { code: '430111', name: long }, 'name'],
			['/api/v1/districts', { code: '4301111', name: '新区' }, 'code'],
			['/api/v1/districts', { code: 430111, name: '新区' }, 'code'],
			['/api/v1/districts', { code: '430111', name: '   ' }, 'name'],
			[`/api/v1/districts/${org.dA}/schools`, { name: '新校', stage: 'primary' }, 'code'],
			[`/api/v1/districts/${org.dA}/schools`, { code: '4301020099', name: '新校', stage: 'college' }, 'stage'],
			[`/api/v1/districts/${org.dA}/schools`, { code: '4301020099', name: long, stage: 'primary' }, 'name'],
			[`/api/v1/districts/${org.dA}/schools`, { code: '4301020099', name: '新校' }, 'stage'],
			[`/api/v1/districts/${org.dA}/admins`, { phone: '13712340001' }, 'name'],
			[`/api/v1/districts/${org.dA}/admins`, { name: '新管' }, 'phone'],
			[`/api/v1/districts/${org.dA}/admins`, { name: long, phone: '13712340001' }, 'name'],
			[`/api/v1/schools/${org.a1}/admins`, { name: '新管', phone: '1371234000' }, 'phone'],
		];
		for (const phone of ['1371234000', '137123400011', '23712340001', '1371234000a', '+8613712340001',
			'１３７１２３４０００１', '13712340001 ', '', 13712340001])
			cases.push([`/api/v1/districts/${org.dA}/admins`, { name: '新管', phone }, 'phone']);
		for (const [url, body, field] of cases)
			assertProblem(await admin.post(url, body), 422, { field });
		assertProblem(await server.request('POST', '/api/v1/session', { json: { password: 'x' } }), 422, { field: 'login' });
		assertProblem(await server.request('POST', '/api/v1/session', { json: { login: 'admin' } }), 422, { field: 'password' });
		assertProblem(await server.request('POST', '/api/v1/session', { json: { login: 'a'.repeat(300), password: 'x' } }), 422, { field: 'login' });
		assertProblem(await admin.put('/api/v1/me/identity', {}), 422, { field: 'identity_id' });
		assertProblem(await admin.put('/api/v1/me/identity', { identity_id: 'one' }), 422, { field: 'identity_id' });
		for (const v of ['1.5', '1e300', '-1e300', '0', '-1', 'null', 'true', '[1]'])
			assertProblem(await admin.request('PUT', '/api/v1/me/identity', {
				body: `{"identity_id": ${v}}`, headers: { 'Content-Type': 'application/json' },
			}), 422, { field: 'identity_id' });

		// Nothing was written: same districts and schools, no new audit
		// entry, and no account for the refused phones.
		assert.deepEqual((await admin.get('/api/v1/districts')).json, districts);
		assert.deepEqual((await admin.get(`/api/v1/districts/${org.dA}/schools`)).json, schoolsA);
		const after = auditVerify(server);
		assert.equal(after.entries, before.entries, `refused requests audit nothing (${before.entries} -> ${after.entries})`);
		assertProblem(await server.client().login('13712340001', '340001'), 401);

		// A duplicate district code is a conflict and writes nothing.
		assertProblem(await admin.post('/api/v1/districts', { code: '430102', name: '重复区' }), 409);
		assert.deepEqual((await admin.get('/api/v1/districts')).json, districts);
		assertProblem(await admin.post(`/api/v1/districts/${org.dB}/schools`, { code: '4301020001', name: '重复校', stage: 'primary' }), 409);
		// Unknown ids are 404.
		assertProblem(await admin.get('/api/v1/districts/99999/schools'), 404);
		assertProblem(await admin.post('/api/v1/districts/99999/schools', { code: '4399990001', name: '无', stage: 'primary' }), 404);
		assertProblem(await admin.post('/api/v1/districts/99999/admins', { name: '无', phone: nextPhone() }), 404);
		assertProblem(await admin.post('/api/v1/schools/99999/admins', { name: '无', phone: nextPhone() }), 404);
		assertProblem(await admin.post('/api/v1/accounts/99999/password-reset', {}), 404);
	});

	await t.test('password resets by the city, district and school admins', async () => {
		const admin = await login(server, 'admin', DEFAULT_ADMIN_PASSWORD);
		// City admin resets a district admin: the rule's initial password,
		// and the change is forced again.
		const daA = await activate(server, org.daA);
		let r = await admin.post(`/api/v1/accounts/${org.daA.account}/password-reset`, {});
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.login, org.daA.phone);
		assert.match(r.json.initial_password, SLIP_PASSWORD);
		assert.notEqual(r.json.initial_password, org.daA.initial, 'a reset draws a new password');
		assert.ok(!r.json.initial_password.includes(org.daA.phone.slice(-6)), 'never derived from the phone');
		assertProblem(await daA.get('/api/v1/me'), 401, 'a reset ends the account\'s sessions');
		assertProblem(await server.client().login(org.daA.phone, org.daA.password), 401);
		let c = await login(server, org.daA.phone, r.json.initial_password);
		assert.equal(c.me.account.must_change_password, true);
		assertProblem(await c.get('/api/v1/districts'), 403, { type: 'password-change-required' });
		org.daA.initial = r.json.initial_password;
		const districtA = await activate(server, org.daA);

		// District admin: own district's school admin yes, another
		// district's no (404), an account outside any scope no.
		r = await districtA.post(`/api/v1/accounts/${org.sa1.account}/password-reset`, {});
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.login, org.sa1.phone);
		c = await login(server, org.sa1.phone, r.json.initial_password);
		assert.equal(c.me.account.must_change_password, true);
		assertProblem(await districtA.post(`/api/v1/accounts/${org.sb1.account}/password-reset`, {}), 404);
		assertProblem(await districtA.post(`/api/v1/accounts/${org.daB.account}/password-reset`, {}), 404);
		assertRefused(await districtA.post(`/api/v1/accounts/${admin.me.account.id}/password-reset`, {}), 'district admin resets the city admin');
		assertRefused(await districtA.post(`/api/v1/accounts/${org.daA.account}/password-reset`, {}), 'district admin resets themself');
		// District B's admin becomes also a school admin in district A:
		// A's admin sees the account but may not take over district B.
		r = await admin.post(`/api/v1/schools/${org.a1}/admins`, { name: '区管乙', phone: org.daB.phone });
		assert.equal(r.status, 201, r.text);
		assert.equal(r.json.account_id, org.daB.account);
		assertProblem(await districtA.post(`/api/v1/accounts/${org.daB.account}/password-reset`, {}), 403);
		assert.equal((await server.client().login(org.daB.phone, org.daB.initial)).status, 200, 'not reset');
		// A school admin of two schools of the district is theirs.
		r = await districtA.post(`/api/v1/accounts/${org.sa1.account}/password-reset`, {});
		assert.equal(r.status, 200, r.text);
		// sb1's password still works: nothing was reset.
		assert.equal((await server.client().login(org.sb1.phone, org.sb1.password)).status, 200);

		// A school admin may not reset another admin.
		const sb1 = await login(server, org.sb1.phone, org.sb1.password);
		assertRefused(await sb1.post(`/api/v1/accounts/${org.daB.account}/password-reset`, {}), 'school admin resets their district admin');
		assertProblem(await sb1.post(`/api/v1/accounts/${org.sa2.account}/password-reset`, {}), 404);
		assertProblem(await sb1.post(`/api/v1/accounts/${admin.me.account.id}/password-reset`, {}), 404);
	});

	await t.test('sessions end after session.idle_minutes', async () => {
		const c = await login(server, 'admin', DEFAULT_ADMIN_PASSWORD);
		assert.equal((await c.get('/api/v1/me')).status, 200);
		await server.restart({ set: { 'testing.clock_offset_seconds': 31 * 60 } });
		assertProblem(await c.get('/api/v1/me'), 401);
		assert.equal((await login(server, 'admin', DEFAULT_ADMIN_PASSWORD)).me.account.login, 'admin');
	});

	await t.test('unused initial passwords expire after initial_valid_days (30), a reset re-issues one', async () => {
		let admin = await login(server, 'admin', DEFAULT_ADMIN_PASSWORD);
		const phone = nextPhone();
		const r = await admin.post(`/api/v1/districts/${org.dA}/admins`, { name: '新区管', phone });
		assert.equal(r.status, 201, r.text);
		const initial = r.json.initial_password;
		const base = 31 * 60; // the offset the server already runs with
		await server.restart({ set: { 'testing.clock_offset_seconds': base + 29 * 86400 } });
		const early = await server.client().login(phone, initial);
		assert.equal(early.status, 200, `day 29: ${early.text}`);
		assert.equal(early.json.account.must_change_password, true);
		await server.restart({ set: { 'testing.clock_offset_seconds': base + 31 * 86400 } });
		assertProblem(await server.client().login(phone, initial), 401);
		admin = await login(server, 'admin', DEFAULT_ADMIN_PASSWORD);
		const reset = await admin.post(`/api/v1/accounts/${r.json.account_id}/password-reset`, {});
		assert.equal(reset.status, 200, reset.text);
		const again = await server.client().login(phone, reset.json.initial_password);
		assert.equal(again.status, 200, again.text);
		assert.equal(again.json.account.must_change_password, true);
	});

	await t.test('a burst of concurrent logins: all served, sessions distinct, the chain intact', async () => {
		const before = auditVerify(server);
		const who = [['admin', DEFAULT_ADMIN_PASSWORD], [org.sa2.phone, org.sa2.password], [org.sb1.phone, org.sb1.password]];
		const replies = await Promise.all(Array.from({ length: 24 }, (_, i) =>
			server.request('POST', '/api/v1/session', { json: { login: who[i % 3][0], password: who[i % 3][1] } })));
		for (const r of replies)
			assert.equal(r.status, 200, r.text);
		const tokens = new Set(replies.map((r) => sessionCookie(r).value));
		assert.equal(tokens.size, 24, 'every login has its own token');
		const after = auditVerify(server);
		assert.equal(after.status, 0, after.out);
		assert.equal(after.entries, before.entries + 24, 'one audit entry per login, chained');
		assert.ok(server.alive());
	});

	await t.test('the audit chain is intact after the flows', () => {
		const r = auditVerify(server);
		assert.equal(r.status, 0, r.out);
		assert.ok(r.entries > 20, r.out);
	});
});

test('the session cookie is Secure with tls=true', async (t) => {
	const server = await startServer({ set: { tls: true } });
	t.after(() => server.stop());
	const r = await server.request('POST', '/api/v1/session', { json: { login: 'admin', password: DEFAULT_ADMIN_PASSWORD } });
	assert.equal(r.status, 200, r.text);
	const c = sessionCookie(r);
	const attrs = c.line.split(';').map((s) => s.trim().toLowerCase());
	assert.ok(attrs.includes('secure'), c.line);
	assert.ok(attrs.includes('httponly'), c.line);
	assert.ok(attrs.includes('samesite=lax'), c.line);
	const out = await server.request('DELETE', '/api/v1/session', {
		cookie: `jx_session=${c.value}`, headers: { 'X-CSRF-Token': r.json.csrf_token },
	});
	assert.equal(out.status, 204);
	assert.match(sessionCookie(out).line, /Secure/, 'the clearing cookie is Secure too');
});

function median(xs) {
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.floor(s.length / 2)];
}

test('login throttling: 5 failures per login, then 429 even for the right password', async (t) => {
	const server = await startServer();
	t.after(() => server.stop());
	// Failures take about the same time for a known login (a password
	// hash is checked) and an unknown one (a dummy hash is checked).
	const known = [];
	const unknown = [];
	const timed = async (loginName, password) => {
		const start = performance.now();
		const r = await server.request('POST', '/api/v1/session', { json: { login: loginName, password } });
		assertProblem(r, 401);
		return performance.now() - start;
	};
	await timed('13700007777', 'warm-up1');
	for (let i = 1; i <= 5; i++) {
		known.push(await timed('admin', `wrong-${i}`));
		unknown.push(await timed(`1370000800${i}`, `wrong-${i}`));
	}
	const [k, u] = [median(known), median(unknown)];
	assert.ok(k / u < 3 && u / k < 3, `similar times: known ${k.toFixed(1)} ms, unknown ${u.toFixed(1)} ms`);
	let r = await server.request('POST', '/api/v1/session', { json: { login: 'admin', password: 'wrong-6' } });
	assertProblem(r, 429);
	const retry = Number(r.headers.get('retry-after'));
	assert.ok(Number.isInteger(retry) && retry > 0 && retry <= 15 * 60, `Retry-After: ${r.headers.get('retry-after')}`);
	r = await server.request('POST', '/api/v1/session', { json: { login: 'admin', password: DEFAULT_ADMIN_PASSWORD } });
	assertProblem(r, 429);
	assert.ok(r.headers.get('retry-after'));
	assert.equal(sessionCookie(r), null);
	// The HTML form is throttled the same way.
	const page = await server.request('POST', '/login', {
		body: new URLSearchParams({ login: 'admin', password: DEFAULT_ADMIN_PASSWORD }).toString(),
		headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
	});
	assert.equal(page.status, 429);
	assert.equal(sessionCookie(page), null);
	// Another login from the same address is not affected.
	assertProblem(await server.request('POST', '/api/v1/session', { json: { login: '13700009999', password: 'x1234567' } }), 401);
});

test('login throttling: 30 failures per client address in a minute, X-Forwarded-For not believed', async (t) => {
	const server = await startServer();
	t.after(() => server.stop());
	for (let i = 0; i < 30; i++) {
		const r = await server.request('POST', '/api/v1/session', {
			json: { login: `1370001${String(i).padStart(4, '0')}`, password: 'Wrong2026' },
			headers: { 'X-Forwarded-For': `10.0.${i}.1` },
		});
		assertProblem(r, 401);
	}
	let r = await server.request('POST', '/api/v1/session', {
		json: { login: '13700020000', password: 'Wrong2026' }, headers: { 'X-Forwarded-For': '10.9.9.9' },
	});
	assertProblem(r, 429);
	const retry = Number(r.headers.get('retry-after'));
	assert.ok(Number.isInteger(retry) && retry > 0 && retry <= 60, `Retry-After: ${r.headers.get('retry-after')}`);
	r = await server.request('POST', '/api/v1/session', { json: { login: 'admin', password: DEFAULT_ADMIN_PASSWORD } });
	assertProblem(r, 429);
});

test('identities, switching, password resets, binding a child and the access matrix (demo data)', async (t) => {
	const server = await startServer({ init: false, command: 'demo' });
	t.after(() => server.stop());
	const ids = {};

	await t.test('the teacher-parent has three identities, acting as the teacher', async () => {
		const c = await login(server, '13800000004', DEMO_PASSWORD);
		const me = c.me;
		assert.equal(me.account.must_change_password, false);
		assert.equal(me.identities.length, 3, JSON.stringify(me.identities));
		const teacher = me.identities.filter((i) => i.role === 'teacher');
		const parents = me.identities.filter((i) => i.role === 'parent');
		assert.equal(teacher.length, 1);
		assert.equal(parents.length, 2);
		assert.equal(me.acting_identity_id, teacher[0].id);
		assert.ok(teacher[0].school_id > 0);
		assert.equal(teacher[0].class_id, null);
		assert.ok(teacher[0].class_ids.length > 0);
		assert.ok(teacher[0].head_of_class_ids.length > 0);
		for (const p of parents) {
			assert.ok(p.student_id > 0, JSON.stringify(p));
			assert.ok(p.class_id > 0);
			assert.equal(typeof p.class_name, 'string');
			assert.ok(p.class_name.length > 0);
			assert.equal(p.school_id, teacher[0].school_id);
		}
		assert.notEqual(parents[0].student_id, parents[1].student_id);
		for (const i of me.identities)
			for (const k of ['id', 'role', 'district_id', 'school_id', 'school_name', 'class_id', 'class_name',
				'class_ids', 'head_of_class_ids', 'student_id', 'label'])
				assert.ok(k in i, `identity has ${k}`);
		Object.assign(ids, { teacher: teacher[0], parents });
	});

	await t.test('switching the acting identity', async () => {
		const c = await login(server, '13800000004', DEMO_PASSWORD);
		const target = ids.parents[1];
		let r = await c.put('/api/v1/me/identity', { identity_id: target.id });
		assert.equal(r.status, 200, r.text);
		assert.deepEqual(r.json, { acting_identity_id: target.id });
		r = await c.get('/api/v1/me');
		assert.equal(r.json.acting_identity_id, target.id);
		// Another account's identity, or one that does not exist: 403.
		const other = await login(server, '13800000003', DEMO_PASSWORD);
		r = await c.put('/api/v1/me/identity', { identity_id: other.me.acting_identity_id });
		assertProblem(r, 403);
		assertProblem(await c.put('/api/v1/me/identity', { identity_id: 999999 }), 403);
		assert.equal((await c.get('/api/v1/me')).json.acting_identity_id, target.id, 'a refused switch changes nothing');
		// Through the form in the page header.
		const page = await c.request('POST', '/me/identity', {
			body: new URLSearchParams({ csrf_token: c.csrfToken, identity_id: String(ids.parents[0].id) }).toString(),
			headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
		});
		assert.ok([302, 303].includes(page.status), `${page.status} ${page.text.slice(0, 200)}`);
		assert.equal((await c.get('/api/v1/me')).json.acting_identity_id, ids.parents[0].id);
		const bad = await c.request('POST', '/me/identity', {
			body: new URLSearchParams({ csrf_token: c.csrfToken, identity_id: String(other.me.acting_identity_id) }).toString(),
			headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
		});
		assert.equal(bad.status, 403);
		// The last identity used is the acting one after the next login.
		await c.put('/api/v1/me/identity', { identity_id: target.id });
		assert.equal((await c.logout()).status, 204);
		const back = await login(server, '13800000004', DEMO_PASSWORD);
		assert.equal(back.me.acting_identity_id, target.id);
		// Other sessions keep their own acting identity.
		const third = await login(server, '13800000004', DEMO_PASSWORD);
		await third.put('/api/v1/me/identity', { identity_id: ids.teacher.id });
		assert.equal((await back.get('/api/v1/me')).json.acting_identity_id, target.id);
		await back.put('/api/v1/me/identity', { identity_id: ids.teacher.id });
	});

	await t.test('the personal centre page lists identities and children', async () => {
		const c = await login(server, '13800000004', DEMO_PASSWORD);
		const r = await c.get('/me');
		assert.equal(r.status, 200);
		assert.match(r.headers.get('content-type') ?? '', /^text\/html/);
		for (const i of c.me.identities)
			assert.ok(r.text.includes(i.label), `/me shows ${i.label}`);
		assert.match(r.text, /陈小雨/);
		assert.match(r.text, /陈小阳/);
		assert.equal((r.text.match(/<button type="submit" name="identity_id" value="\d+" class="jx-cell-link">/g) ?? []).length, 2, 'the header has the identity sheet');
	});

	await t.test('access matrix: every role is refused outside its scope', async () => {
		const admin = await login(server, 'admin', DEMO_PASSWORD);
		const districts = (await admin.get('/api/v1/districts')).json;
		assert.equal(districts.length, 1);
		const d1 = districts[0].id;
		const demoSchools = (await admin.get(`/api/v1/districts/${d1}/schools`)).json;
		assert.equal(demoSchools.length, 2);
		const [s1, s2] = demoSchools.map((s) => s.id);
		// A second district with a school and its admins.
		let r = await admin.post('/api/v1/districts', { code: '430105', name: '开福区' });
		assert.equal(r.status, 201, r.text);
		const d2 = r.json.id;
		r = await admin.post(`/api/v1/districts/${d2}/schools`, { code: '4301050001', name: '开福区第一小学', stage: 'primary' });
		assert.equal(r.status, 201, r.text);
		const t1 = r.json.id;
		r = await admin.post(`/api/v1/districts/${d2}/admins`, { name: '开福区管', phone: nextPhone() });
		assert.equal(r.status, 201, r.text);
		const d2admin = r.json.account_id;
		r = await admin.post(`/api/v1/schools/${t1}/admins`, { name: '开福校管', phone: nextPhone() });
		assert.equal(r.status, 201, r.text);
		const t1admin = r.json.account_id;

		const liuyang = await login(server, '13800000006', DEMO_PASSWORD);
		const s2teacher = liuyang.me.account.id;
		const s2student = (await login(server, demoLogin(server, '周子涵'), DEMO_PASSWORD)).me.account.id;
		// A student of another class of school 1 (陈小阳, class 三年级1班):
		// 陈刚, acting as his parent, resets his password and so learns
		// his login.
		const chen = await login(server, '13800000004', DEMO_PASSWORD);
		const yang = chen.me.identities.find((i) => i.role === 'parent' && i.class_name === '三年级1班');
		assert.ok(yang, JSON.stringify(chen.me.identities));
		assert.equal((await chen.put('/api/v1/me/identity', { identity_id: yang.id })).status, 200);
		// The parent identity carries the child's person id; the reset
		// takes an account id. Of all accounts, exactly one is
		// resettable by this identity: the child's.
		const resettable = [];
		for (let id = 1; id <= 40; id++) {
			const res = await chen.post(`/api/v1/accounts/${id}/password-reset`, {});
			assert.ok([200, 404].includes(res.status), `parent resets account ${id}: ${res.status} ${res.text}`);
			if (res.status === 200)
				resettable.push({ id, ...res.json });
		}
		assert.equal(resettable.length, 1, JSON.stringify(resettable));
		const mePage = await chen.get('/me');
		assert.ok(new RegExp(`<li class="jx-cell">(?:(?!</li>).)*陈小阳(?:(?!</li>).)*${resettable[0].login}`).test(mePage.text),
			'the reset account is 陈小阳\'s, whose login /me shows');
		const otherClassStudent = resettable[0].id;
		assert.equal((await chen.put('/api/v1/me/identity', { identity_id: chen.me.acting_identity_id })).status, 200);
		const who = {
			district_admin: await login(server, '13800000001', DEMO_PASSWORD),
			school_admin: await login(server, '13800000002', DEMO_PASSWORD),
			teacher: await login(server, '13800000003', DEMO_PASSWORD),
			parent: await login(server, '13900000001', DEMO_PASSWORD),
			student: await login(server, demoLogin(server, '张一鸣'), DEMO_PASSWORD),
		};
		const auditBefore = auditVerify(server);
		let n = 0;
		const code = () => `43019${String(++n).padStart(5, '0')}`;
		const made = [];
		for (const [role, c] of Object.entries(who)) {
			assert.equal(c.me.identities.find((i) => i.id === c.me.acting_identity_id).role, role);
			const elsewhere = [
				['GET', `/api/v1/districts/${d2}/schools`],
				['POST', `/api/v1/districts/${d2}/schools`, { code: code(), name: `${role}的学校`, stage: 'primary' }],
				['POST', `/api/v1/districts/${d2}/admins`, { name: `${role}的区管`, phone: nextPhone() }],
				['POST', `/api/v1/schools/${t1}/admins`, { name: `${role}的校管`, phone: nextPhone() }],
				['POST', `/api/v1/accounts/${d2admin}/password-reset`, {}],
				['POST', `/api/v1/accounts/${t1admin}/password-reset`, {}],
				['POST', '/api/v1/districts', { code: String(430200 + n), name: `${role}的区` }],
				['PUT', '/api/v1/me/identity', { identity_id: liuyang.me.acting_identity_id }],
			];
			if (role !== 'district_admin') {
				// Another school of the same district.
				elsewhere.push(
					['POST', `/api/v1/schools/${s2}/admins`, { name: `${role}的二校管`, phone: nextPhone() }],
					['POST', `/api/v1/accounts/${s2teacher}/password-reset`, {}],
					['POST', `/api/v1/accounts/${s2student}/password-reset`, {}],
					['POST', `/api/v1/districts/${d1}/schools`, { code: code(), name: `${role}的新校`, stage: 'junior' }],
					['POST', `/api/v1/districts/${d1}/admins`, { name: `${role}的本区管`, phone: nextPhone() }],
				);
			}
			if (role !== 'school_admin' && role !== 'district_admin') {
				// Another class of the same school, and the school itself.
				elsewhere.push(
					['POST', `/api/v1/accounts/${otherClassStudent}/password-reset`, {}],
					['POST', `/api/v1/schools/${s1}/admins`, { name: `${role}的一校管`, phone: nextPhone() }],
				);
			}
			for (const [method, url, json] of elsewhere) {
				const res = await c.request(method, url, json === undefined ? {} : { json });
				assertRefused(res, `${role} ${method} ${url}`);
				assertProblem(res, res.status);
				if (json?.phone)
					made.push(json.phone);
				if (json?.code)
					made.push(json.code);
			}
			// Reading another district's schools never shows them.
			r = await c.get('/api/v1/districts');
			if (r.status === 200)
				assert.ok(!r.json.some((d) => d.id === d2), `${role} does not see district 2`);
		}
		// The city admin is the control: it may do all of it.
		assert.equal((await admin.get(`/api/v1/districts/${d2}/schools`)).status, 200);
		assertProblem(await admin.get('/api/v1/districts/424242/schools'), 404);
		// None of the refused requests wrote anything.
		const all = (await admin.get('/api/v1/districts')).json;
		assert.equal(all.length, 2);
		for (const d of all) {
			const schools = (await admin.get(`/api/v1/districts/${d.id}/schools`)).json;
			assert.ok(!schools.some((s) => made.includes(s.code)), `no refused school was made in ${d.code}`);
		}
		// No account was made, no password reset: nothing audited.
		const auditAfter = auditVerify(server);
		assert.equal(auditAfter.status, 0, auditAfter.out);
		assert.equal(auditAfter.entries, auditBefore.entries, 'refused requests leave no audit entry');
	});

	// Accounts of the demo, by logging in.
	const acct = {};
	const demoAccount = async (key, loginName) => {
		const c = await login(server, loginName, DEMO_PASSWORD);
		acct[key] = { login: loginName, id: c.me.account.id, client: c, me: c.me };
		return acct[key];
	};

	await t.test('binding a child with the slip\'s login and password', async () => {
		await demoAccount('zhangwei', '13900000001');
		const zhou = demoLogin(server, '周子涵');
		const c = acct.zhangwei.client;
		const before = c.me.identities.length;
		let r = await c.post('/api/v1/me/children', { student_login: zhou, student_password: 'Wrong2026', relation: '父亲' });
		assertProblem(r, 422, { field: 'student_password' });
		r = await c.post('/api/v1/me/children', { student_login: '99999999', student_password: DEMO_PASSWORD, relation: '父亲' });
		assertProblem(r, 422);
		assertProblem(await c.post('/api/v1/me/children', { student_password: DEMO_PASSWORD }), 422, { field: 'student_login' });
		assertProblem(await c.post('/api/v1/me/children', { student_login: zhou }), 422, { field: 'student_password' });
		// A relation that cannot be kept is refused, not dropped.
		for (const relation of ['父'.repeat(30), 5, ['父亲']])
			assertProblem(await c.post('/api/v1/me/children', { student_login: zhou, student_password: DEMO_PASSWORD, relation }),
				422, { field: 'relation' });
		assert.equal((await c.get('/api/v1/me')).json.identities.length, before, 'failures bind nothing');
		r = await c.post('/api/v1/me/children', { student_login: zhou, student_password: DEMO_PASSWORD, relation: '父亲' });
		assert.equal(r.status, 201, r.text);
		assert.equal(r.json.role, 'parent');
		assert.ok(r.json.id > 0);
		assert.ok(r.json.student_id > 0);
		assert.equal(typeof r.json.class_name, 'string');
		const zc = await login(server, zhou, DEMO_PASSWORD);
		assert.equal(r.json.student_id, zc.me.identities[0].student_id, 'the identity is 周子涵\'s');
		acct.zhou = { login: zhou, id: zc.me.account.id, client: zc, me: zc.me };
		const me = (await c.get('/api/v1/me')).json;
		assert.equal(me.identities.length, before + 1);
		assert.ok(me.identities.some((i) => i.id === r.json.id && i.student_id === r.json.student_id));
		r = await c.post('/api/v1/me/children', { student_login: zhou, student_password: DEMO_PASSWORD, relation: '父亲' });
		assertProblem(r, 409);
		// A student cannot become a classmate's parent.
		const kid = await login(server, demoLogin(server, '张一鸣'), DEMO_PASSWORD);
		r = await kid.post('/api/v1/me/children', { student_login: zhou, student_password: DEMO_PASSWORD, relation: '同学' });
		assertProblem(r, 403);
		assert.equal((await kid.get('/api/v1/me')).json.identities.length, 1);
		// A student cannot bind themself.
		r = await zc.post('/api/v1/me/children', { student_login: zhou, student_password: DEMO_PASSWORD, relation: '本人' });
		assert.ok(r.status >= 400 && r.status < 500, `a student binds themself: ${r.status} ${r.text}`);
		assert.equal((await zc.get('/api/v1/me')).json.identities.length, 1);
	});

	await t.test('password-reset scope of school admins, parents and teachers', async () => {
		await demoAccount('limin', '13800000002'); // school admin, school 1
		await demoAccount('zhaolei', '13800000005'); // school admin, school 2
		await demoAccount('wangfang', '13800000003'); // teacher, school 1
		await demoAccount('liuyang', '13800000006'); // teacher, school 2
		await demoAccount('chen', '13800000004');
		await demoAccount('zhou_jg', '13800000001'); // district admin
		await demoAccount('zhangyiming', demoLogin(server, '张一鸣'));
		const limin = acct.limin.client;

		// A second school admin of school 1, made by the district admin.
		const school1 = acct.limin.me.identities[0].school_id;
		const phone = nextPhone();
		let r = await acct.zhou_jg.client.post(`/api/v1/schools/${school1}/admins`, { name: '副校管', phone });
		assert.equal(r.status, 201, r.text);
		const deputy = r.json.account_id;

		assertProblem(await limin.post(`/api/v1/accounts/${deputy}/password-reset`, {}), 403);
		assertProblem(await limin.post(`/api/v1/accounts/${acct.zhaolei.id}/password-reset`, {}), 404);
		assertProblem(await limin.post(`/api/v1/accounts/${acct.liuyang.id}/password-reset`, {}), 404);
		assertProblem(await limin.post(`/api/v1/accounts/${acct.zhou.id}/password-reset`, {}), 404);
		assertRefused(await limin.post(`/api/v1/accounts/${acct.zhou_jg.id}/password-reset`, {}), 'school admin resets the district admin');
		// 张伟 is now also 周子涵's (school 2) parent: not wholly school 1's.
		assertRefused(await limin.post(`/api/v1/accounts/${acct.zhangwei.id}/password-reset`, {}), 'school admin resets a parent with a child elsewhere');

		// Teachers may not reset anyone.
		assertRefused(await acct.wangfang.client.post(`/api/v1/accounts/${acct.zhangyiming.id}/password-reset`, {}), 'teacher resets own student');
		assertRefused(await acct.wangfang.client.post(`/api/v1/accounts/${acct.zhou.id}/password-reset`, {}), 'teacher resets a student elsewhere');
		assertRefused(await acct.wangfang.client.post(`/api/v1/accounts/${acct.chen.id}/password-reset`, {}), 'teacher resets a colleague');
		// A student may not reset anyone either.
		assertRefused(await acct.zhangyiming.client.post(`/api/v1/accounts/${acct.zhou.id}/password-reset`, {}), 'student resets a student');
		assertRefused(await acct.zhangyiming.client.post(`/api/v1/accounts/${acct.wangfang.id}/password-reset`, {}), 'student resets a teacher');

		// A parent resets their own child, not someone else's child. 张伟
		// acts as 张一鸣's parent (the first identity).
		const zw = acct.zhangwei.client;
		const zhangParent = acct.zhangwei.me.identities.find((i) => i.role === 'parent');
		assert.equal(acct.zhangwei.me.acting_identity_id, zhangParent.id);
		assertProblem(await zw.post(`/api/v1/accounts/${acct.chen.id}/password-reset`, {}), 404);
		// As 张一鸣's parent, 周子涵 (also 张伟's child now) is not in scope.
		assertProblem(await zw.post(`/api/v1/accounts/${acct.zhou.id}/password-reset`, {}), 404);
		r = await zw.post(`/api/v1/accounts/${acct.zhangyiming.id}/password-reset`, {});
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.login, acct.zhangyiming.login);
		assert.match(r.json.initial_password, /^[a-hjkmnp-z2-9]{8}$/, 'a student\'s initial password: 8 lower-case letters and digits without look-alikes');
		assertProblem(await acct.zhangyiming.client.get('/api/v1/me'), 401);
		assertProblem(await server.client().login(acct.zhangyiming.login, DEMO_PASSWORD), 401);
		const kid = await login(server, acct.zhangyiming.login, r.json.initial_password);
		assert.equal(kid.me.account.must_change_password, true);
		const initial = r.json.initial_password;
		r = await kid.put('/api/v1/me/password', { old_password: initial, new_password: initial });
		assertProblem(r, 422, { field: 'new_password' });
		r = await kid.put('/api/v1/me/password', { old_password: initial, new_password: 'Kid2026abc' });
		assert.equal(r.status, 204, r.text);
		assert.equal((await kid.get('/api/v1/me')).json.account.must_change_password, false);

		// The school admin resets a teacher, a student and a parent of
		// their school.
		r = await limin.post(`/api/v1/accounts/${acct.wangfang.id}/password-reset`, {});
		assert.equal(r.status, 200, r.text);
		assert.match(r.json.initial_password, SLIP_PASSWORD, 'no SMS gateway: 8 random characters, never the phone');
		r = await limin.post(`/api/v1/accounts/${acct.zhangyiming.id}/password-reset`, {});
		assert.equal(r.status, 200, r.text);
		r = await limin.post(`/api/v1/accounts/${acct.chen.id}/password-reset`, {});
		assert.equal(r.status, 200, r.text);
		assert.match(r.json.initial_password, SLIP_PASSWORD);
		// 赵磊 resets 周子涵 (school 2), not 张一鸣 (school 1).
		r = await acct.zhaolei.client.post(`/api/v1/accounts/${acct.zhou.id}/password-reset`, {});
		assert.equal(r.status, 200, r.text);
		assertProblem(await acct.zhaolei.client.post(`/api/v1/accounts/${acct.zhangyiming.id}/password-reset`, {}), 404);
		assertProblem(await acct.zhaolei.client.post(`/api/v1/accounts/${acct.wangfang.id}/password-reset`, {}), 404);
		// The district admin may reset a school admin, not a teacher.
		assertRefused(await acct.zhou_jg.client.post(`/api/v1/accounts/${acct.liuyang.id}/password-reset`, {}), 'district admin resets a teacher');
		r = await acct.zhou_jg.client.post(`/api/v1/accounts/${acct.zhaolei.id}/password-reset`, {});
		assert.equal(r.status, 200, r.text);
		assert.match(r.json.initial_password, SLIP_PASSWORD);
	});

	await t.test('the audit chain is intact', () => {
		const r = auditVerify(server);
		assert.equal(r.status, 0, r.out);
		assert.ok(r.entries > 10, r.out);
	});
});

test('access matrix: a cross-district create by phone renames nobody, echoes nothing, tells the holder', async (t) => {
	const server = await startServer({ init: false, command: 'demo', set: { plugin_dir: path.join(BUILD_DIR, 'plugins') } });
	t.after(() => server.stop());
	// issue 10, finding 5: a school admin entered another district's
	// phone and renamed that person everywhere.
	const admin = await login(server, 'admin', DEMO_PASSWORD);
	let r = await admin.post('/api/v1/districts', { code: '430111', name: '雨花区' });
	assert.equal(r.status, 201, r.text);
	r = await admin.post(`/api/v1/districts/${r.json.id}/schools`, { code: '4301110001', name: '雨花区实验小学', stage: 'primary' });
	assert.equal(r.status, 201, r.text);
	const far = r.json.id;
	// That school's admin (a random slip password: the demo has no
	// SMS gateway) adds a teacher.
	const farPhone = nextPhone();
	r = await admin.post(`/api/v1/schools/${far}/admins`, { name: '雨花校管', phone: farPhone });
	assert.equal(r.status, 201, r.text);
	const farAdmin = await login(server, farPhone, r.json.initial_password);
	assert.equal((await farAdmin.put('/api/v1/me/password', { old_password: r.json.initial_password, new_password: 'Yuhua2026x' })).status, 204);
	const phone = nextPhone();
	r = await farAdmin.post(`/api/v1/schools/${far}/teachers`, { name: '真名甲', phone, gender: '女', subject: '数学' });
	assert.equal(r.status, 201, r.text);
	const person = r.json.id;
	const seen = async () => (await farAdmin.get(`/api/v1/schools/${far}/teachers`)).json.items.find((x) => x.id === person);
	const before = await seen();
	assert.equal(before.name, '真名甲');

	// 李敏, school admin of the demo's first school, enters that phone.
	const limin = await login(server, '13800000002', DEMO_PASSWORD);
	const s1 = limin.me.identities.find((i) => i.role === 'school_admin').school_id;
	const noticesBefore = Number(sqlOne(server, `SELECT COUNT(*) FROM outbox WHERE template = 'identity_linked' AND recipient = '${person}'`));
	r = await limin.post(`/api/v1/schools/${s1}/teachers`, { name: '冒名', phone });
	assert.equal(r.status, 201, r.text);
	assert.equal(r.json.id, person, 'one person per phone: the identity is linked');
	assert.equal(r.json.name, '冒名', 'the reply carries what the caller sent');
	assert.equal(r.json.gender, null);
	assert.equal(r.json.account.login, phone);
	for (const leak of ['真名甲', '数学', '雨花区', '女'])
		assert.ok(!r.text.includes(leak), `the reply does not echo ${leak}: ${r.text}`);
	// Their own school still sees them as they were.
	assert.deepEqual(await seen(), before, 'nothing of the record changed');
	// The caller's school shows its own name, and a search by the
	// stored name finds nothing.
	r = await limin.get(`/api/v1/schools/${s1}/teachers?q=${encodeURIComponent('真名甲')}`);
	assert.deepEqual(r.json.items, []);
	r = await limin.get(`/api/v1/schools/${s1}/teachers?q=${phone}`);
	assert.equal(r.json.items[0].name, '冒名');
	assert.ok(!r.text.includes('真名甲'));
	// As a parent, likewise.
	const cls = (await limin.get(`/api/v1/schools/${s1}/classes`)).json[0].id;
	// Made head of a class: the class list shows the school's name too.
	r = await limin.post(`/api/v1/schools/${s1}/teachers`, { name: '冒名', phone, head_of_class_ids: [cls] });
	assert.equal(r.status, 200, r.text);
	r = await limin.get(`/api/v1/schools/${s1}/classes`);
	assert.deepEqual(r.json.find((c) => c.id === cls).head_teacher, { id: person, name: '冒名' });
	r = await limin.post(`/api/v1/schools/${s1}/students`, {
		name: '冒名学生', gender: '男', class_id: cls,
		guardian1_name: '冒名家长', guardian1_phone: phone, guardian1_relation: '父亲',
	});
	assert.equal(r.status, 201, r.text);
	assert.equal(r.json.guardians[0].name, '冒名家长');
	assert.ok(!r.text.includes('真名甲'), r.text);
	assert.deepEqual(await seen(), before);
	// The account holder is told of both, and both are audit-logged.
	assert.equal(Number(sqlOne(server, `SELECT COUNT(*) FROM outbox WHERE channel = 'inapp' AND template = 'identity_linked' AND recipient = '${person}'`)), noticesBefore + 2);
	assert.equal(Number(sqlOne(server, `SELECT COUNT(*) FROM audit_log WHERE action = 'org.identity_linked' AND target = '${person}'`)), 2);
	// An import of the second school's teachers sheet with that phone:
	// linked, the record untouched, the school's own name shown.
	const zhaolei = await login(server, '13800000005', DEMO_PASSWORD);
	const s2 = zhaolei.me.identities.find((i) => i.role === 'school_admin').school_id;
	r = await zhaolei.request('POST', `/api/v1/schools/${s2}/imports?kind=teachers&mode=commit`, {
		body: `姓名,手机,性别\n冒名二,${phone},男\n`,
		headers: { 'Content-Type': 'text/csv' },
	});
	assert.equal(r.status, 202, r.text);
	let job;
	for (let n = 0; n < 600; n++) {
		job = (await zhaolei.get(`/api/v1/jobs/${r.json.job_id}`)).json;
		if (['succeeded', 'failed'].includes(job.state))
			break;
		await new Promise((res) => setTimeout(res, 50));
	}
	assert.equal(job.state, 'succeeded', JSON.stringify(job));
	assert.ok(!JSON.stringify(job).includes('真名甲'));
	assert.deepEqual(await seen(), before, 'an import changes nothing of the record either');
	r = await zhaolei.get(`/api/v1/schools/${s2}/teachers?q=${phone}`);
	assert.equal(r.json.items[0].name, '冒名二');
	assert.equal(r.json.items[0].gender, null);
	assert.equal(Number(sqlOne(server, `SELECT COUNT(*) FROM audit_log WHERE action = 'org.identity_linked' AND target = '${person}'`)), 3);
	// A school's own teacher is still corrected by the school.
	const own = nextPhone();
	assert.equal((await limin.post(`/api/v1/schools/${s1}/teachers`, { name: '错字', phone: own })).status, 201);
	r = await limin.post(`/api/v1/schools/${s1}/teachers`, { name: '正字', phone: own });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.name, '正字');
});
