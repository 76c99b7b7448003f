// First passwords of adults (API.md, "Logins"; issue 10, finding 4),
// through the real binary and the SMS gateway stand-in
// (tests/stubs/sms-gateway.mjs). One server, two districts: 430201 has an
// SMS gateway, 430202 leaves the sms plugin out of its modules and so has
// none.
//
// - With a gateway, adults have no initial password: they activate by a
//   code to the phone; a wrong code fails and a code dies after five.
// - Without one, adults get 8 random characters without look-alikes on a
//   slip, different per person and per reset.
// - Rules whose initial passwords are predictable are refused where no
//   gateway exists; rules giving two people the same password or one
//   shorter than 6 characters are refused everywhere, at PUT and dry run.
// - A predictable password issued before the host recorded that (a
//   legacy row) still needs the code.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startServer, BUILD_DIR, SOURCE_DIR, DEFAULT_ADMIN_PASSWORD } from './harness.mjs';
import { startSmsGateway } from '../stubs/sms-gateway.mjs';

// 8 letters and digits without look-alikes (no 0 O o 1 l I).
const SLIP_PASSWORD = /^[a-hjkmnp-z2-9]{8}$/;
const EXAMPLE = fs.readFileSync(path.join(SOURCE_DIR, 'scripts', 'districts', 'example.lua'), 'utf8');
const SAME_FOR_ALL = 'function initial_password(p)\n  return "Welcome2026"\nend\n';
const TOO_SHORT = 'function initial_password(p)\n  if p.phone then return p.phone:sub(-4) end\nend\n';

function settings(gw, extra = {}) {
	return {
		plugin_dir: path.join(BUILD_DIR, 'plugins'),
		'sms.api_base': gw.url,
		'testing.notify_backoff_seconds': 1,
		'districts.430202.modules': ['roster', 'keyinfo', 'notices'],
		...extra,
	};
}

function sql(server, query) {
	// The server writes too (the outbox): wait for its lock.
	const r = spawnSync('sqlite3', ['-cmd', '.timeout 10000', path.join(server.dataDir, 'jiaxiao.db'), query],
		{ encoding: 'utf8' });
	assert.equal(r.status, 0, r.stderr);
	return r.stdout.trim();
}

function assertProblem(r, status, { type, field, detail } = {}) {
	assert.equal(r.status, status, `status ${r.status}: ${r.text.slice(0, 400)}`);
	assert.match(r.headers.get('content-type') ?? '', /^application\/problem\+json/);
	if (type)
		assert.match(r.json.type, new RegExp(`${type}$`), r.text);
	if (field)
		assert.ok((r.json.errors ?? []).some((e) => e.field === field), `names ${field}: ${r.text}`);
	if (detail)
		assert.match(r.json.detail, detail, r.text);
}

test('adults activate by SMS, or get random slips; guessable rules are refused', async (t) => {
	const gw = await startSmsGateway();
	const server = await startServer({ set: settings(gw) });
	t.after(async () => {
		await server.stop();
		await gw.close();
	});
	// Accepted messages of one template to a phone.
	const sent = (phone, template) => gw.received.filter((m) => m.json?.phone === phone &&
		m.json.template === template && m.answer?.body?.ok === true);
	const codeFor = async (phone, template, count = 1) => {
		await gw.waitFor(() => sent(phone, template).length >= count, 15000);
		return sent(phone, template).at(-1).json.params.code;
	};
	const other = (code) => code.slice(0, 5) + String((Number(code[5]) + 1) % 10);

	const city = server.client();
	assert.equal((await city.login('admin', DEFAULT_ADMIN_PASSWORD)).status, 200);
	const dG = (await city.post('/api/v1/districts', { code: '430201', name: '有网关区' })).json.id;
	const dN = (await city.post('/api/v1/districts', { code: '430202', name: '无网关区' })).json.id;
	const sG = (await city.post(`/api/v1/districts/${dG}/schools`, { code: '4302010001', name: '甲校', stage: 'primary' })).json.id;
	const sN = (await city.post(`/api/v1/districts/${dN}/schools`, { code: '4302020001', name: '乙校', stage: 'primary' })).json.id;
	let r = await city.post(`/api/v1/schools/${sG}/admins`, { name: '甲校管', phone: '13755550001' });
	assert.equal(r.status, 201, r.text);
	assert.equal(r.json.initial_password, null, 'with a gateway no initial password exists');
	r = await city.post(`/api/v1/schools/${sN}/admins`, { name: '乙校管', phone: '13755550002' });
	assert.equal(r.status, 201, r.text);
	assert.match(r.json.initial_password ?? '', SLIP_PASSWORD, 'without a gateway: 8 random characters');
	const adminN = r.json.initial_password;

	await t.test('with a gateway: activation by code; wrong codes fail and are bounded', async () => {
		const phone = '13755550001';
		// The phone's last six digits are nothing.
		assertProblem(await server.client().login(phone, '550001'), 401, { type: 'invalid-credentials' });
		// The same 202 for a phone with and without an account.
		const known = await server.request('POST', '/api/v1/activation', { json: { phone } });
		const unknown = await server.request('POST', '/api/v1/activation', { json: { phone: '13755559999' } });
		assert.equal(known.status, 202, known.text);
		assert.equal(unknown.status, 202);
		assert.equal(known.text, unknown.text);
		assertProblem(await server.request('POST', '/api/v1/activation', { json: { phone: '123' } }), 422, { field: 'phone' });
		const code = await codeFor(phone, 'account_activation');
		const verify = (c, pw = 'Active2026x') => server.request('POST', '/api/v1/activation/verify',
			{ json: { phone, code: c, new_password: pw } });
		// Five wrong codes: each refused alike, and then the right one too.
		for (let i = 0; i < 5; i++)
			assertProblem(await verify(other(code)), 422, { field: 'code' });
		const dead = await verify(code);
		assert.ok([422, 429].includes(dead.status), `a code dies after five wrong tries: ${dead.text}`);
		assert.equal(sent('13755559999', 'account_activation').length, 0, 'nothing for an unknown phone');

		// Later (a restart forgets the throttle; the clock moves past the
		// sending limit), a new code activates and logs in.
		await server.restart({ set: settings(gw, { 'testing.clock_offset_seconds': 120 }) });
		assert.equal((await server.request('POST', '/api/v1/activation', { json: { phone } })).status, 202);
		const fresh = await codeFor(phone, 'account_activation', 2);
		assertProblem(await verify(fresh, 'short'), 422, { field: 'new_password' });
		const c = server.client();
		r = await c.post('/api/v1/activation/verify', { phone, code: fresh, new_password: 'Active2026x' });
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.account.login, phone);
		assert.equal(r.json.account.must_change_password, false);
		assert.ok(r.json.identities.some((i) => i.role === 'school_admin' && i.school_id === sG));
		assert.match(r.json.csrf_token, /^[0-9a-f]{32,}$/);
		assert.equal((await c.get('/api/v1/me')).status, 200, 'the cookie is set');
		// Used once; an account with a password gets no activation code.
		assertProblem(await verify(fresh, 'Again2026x'), 422, { field: 'code' });
		assert.equal((await server.client().login(phone, 'Active2026x')).status, 200);

		// Teachers and parents of that district: no password, none on slips.
		r = await c.post(`/api/v1/schools/${sG}/teachers`, { name: '甲老师', phone: '13755550011' });
		assert.equal(r.status, 201, r.text);
		r = await c.get(`/api/v1/schools/${sG}/teacher-slips`);
		assert.equal(r.status, 200, r.text);
		assert.deepEqual(r.json.map((s) => [s.login, s.initial_password]), [['13755550011', null]]);
	});

	await t.test('without a gateway: 8 random characters on slips, per person and per reset', async () => {
		const sa = server.client();
		assert.equal((await sa.login('13755550002', adminN)).status, 200);
		assert.equal((await sa.put('/api/v1/me/password', { old_password: adminN, new_password: 'School2026x' })).status, 204);
		assert.equal((await sa.login('13755550002', 'School2026x')).status, 200);
		for (const [name, phone] of [['乙老师', '13755550021'], ['丙老师', '13755550022']])
			assert.equal((await sa.post(`/api/v1/schools/${sN}/teachers`, { name, phone })).status, 201);
		r = await sa.post(`/api/v1/schools/${sN}/classes`, { grade: 1, name: '1班' });
		assert.equal(r.status, 201, r.text);
		r = await sa.post(`/api/v1/schools/${sN}/students`, {
			name: '乙学生', gender: '女', class_id: r.json.id,
			guardian1_name: '乙家长', guardian1_phone: '13755550031', guardian1_relation: '母亲',
		});
		assert.equal(r.status, 201, r.text);
		const teachers = (await sa.get(`/api/v1/schools/${sN}/teacher-slips`)).json;
		const slips = (await sa.get(`/api/v1/schools/${sN}/slips`)).json;
		const parent = slips[0].parents.find((g) => g.login === '13755550031');
		assert.ok(parent, JSON.stringify(slips));
		const pws = [...teachers.map((s) => s.initial_password), parent.initial_password];
		assert.equal(pws.length, 3);
		for (const pw of pws)
			assert.match(pw ?? '', SLIP_PASSWORD);
		assert.equal(new Set(pws).size, 3, 'each person their own');
		// The page prints the parent's line on the child's slip.
		const page = await sa.get(`/schools/${sN}/slips`);
		assert.equal(page.status, 200);
		// Printed in groups of four (partials/password).
		const grouped = (pw) => `<span class="jx-password-group">${pw.slice(0, 4)}</span><span class="jx-password-group">${pw.slice(4)}</span>`;
		assert.ok(page.text.includes(grouped(parent.initial_password)), 'the parent line is on the slip page');
		const tpage = await sa.get(`/schools/${sN}/teacher-slips`);
		assert.equal(tpage.status, 200);
		assert.ok(tpage.text.includes(grouped(teachers[0].initial_password)));
		// The slip password logs in without any code.
		assert.equal((await server.client().login('13755550031', parent.initial_password)).status, 200);
		// A reset draws a new one, never the phone's digits.
		const account = (await sa.get(`/api/v1/schools/${sN}/teachers?q=${encodeURIComponent('乙老师')}`)).json.items[0].account.id;
		const before = teachers.find((s) => s.login === '13755550021').initial_password;
		r = await sa.post(`/api/v1/accounts/${account}/password-reset`, {});
		assert.equal(r.status, 200, r.text);
		assert.match(r.json.initial_password, SLIP_PASSWORD);
		assert.notEqual(r.json.initial_password, before);
		const again = await sa.post(`/api/v1/accounts/${account}/password-reset`, {});
		assert.notEqual(again.json.initial_password, r.json.initial_password);
		assertProblem(await server.client().login('13755550021', before), 401);
		assert.equal((await server.client().login('13755550021', again.json.initial_password)).status, 200);
	});

	await t.test('rules: predictable without a gateway, the same for two people, too short', async () => {
		// The reasons in English when asked for; Chinese only by default.
		const put = (did, source, lang = '?lang=en') => city.put(`/api/v1/districts/${did}/rules${lang}`, { source });
		const dry = (did, source, lang = '?lang=en') => city.post(`/api/v1/districts/${did}/rules/dry-run${lang}`, { source });
		for (const f of [put, dry]) {
			const zh = await f(dN, EXAMPLE, '');
			assertProblem(zh, 422, { field: 'source', detail: /推算/ });
			assert.doesNotMatch(zh.json.detail.replace('initial_password', ''), /[A-Za-z]{2}/, zh.json.detail);
			assertProblem(await f(dN, EXAMPLE), 422, { field: 'source', detail: /predictable/ });
			for (const did of [dN, dG]) {
				assertProblem(await f(did, SAME_FOR_ALL), 422, { field: 'source', detail: /same for two different people/ });
				assertProblem(await f(did, TOO_SHORT), 422, { field: 'source', detail: /shorter than 6/ });
			}
		}
		assert.equal((await city.get(`/api/v1/districts/${dN}/rules`)).json.version, 0, 'nothing was activated');
		// With a gateway, the example is the district's choice.
		r = await dry(dG, EXAMPLE);
		assert.equal(r.status, 200, r.text);
		r = await put(dG, EXAMPLE);
		assert.equal(r.status, 200, r.text);
	});

	await t.test('a predictable password needs a code, also one issued before this was recorded', async () => {
		const sa = server.client();
		assert.equal((await sa.login('13755550001', 'Active2026x')).status, 200);
		r = await sa.post(`/api/v1/schools/${sG}/classes`, { grade: 2, name: '1班' });
		assert.equal(r.status, 201, r.text);
		r = await sa.post(`/api/v1/schools/${sG}/students`, {
			name: '甲学生', gender: '男', class_id: r.json.id,
			guardian1_name: '甲家长', guardian1_phone: '13755550041', guardian1_relation: '父亲',
		});
		assert.equal(r.status, 201, r.text);
		const phone = '13755550041';
		assertProblem(await server.client().login(phone, 'Pw550041@'), 401, { type: 'sms-code-required' });
		const code = await codeFor(phone, 'login_code');
		// As if issued before the host told rules apart.
		sql(server, `UPDATE accounts SET initial_needs_code = NULL WHERE login = '${phone}'`);
		assertProblem(await server.client().login(phone, 'Pw550041@'), 401, { type: 'sms-code-required' });
		r = await server.request('POST', '/api/v1/session', { json: { login: phone, password: 'Pw550041@', code } });
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.account.must_change_password, true);
	});

	await t.test('the pages: activation by phone, code and new password; the login asks for the code', async () => {
		const form = (urlPath, fields) => server.request('POST', urlPath, {
			body: new URLSearchParams(fields).toString(),
			headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
		});
		let page = await server.request('GET', '/activate');
		assert.equal(page.status, 200);
		assert.match(page.text, /<label for="phone"/);
		assert.match((await server.request('GET', '/login')).text, /href="\/activate"/, 'the login page links to activation');
		// A teacher of the gateway district (no password yet).
		const phone = '13755550011';
		page = await form('/activate', { phone });
		assert.equal(page.status, 200, page.text);
		for (const name of ['code', 'new_password', 'new_password_again'])
			assert.match(page.text, new RegExp(`<label for="${name}"`), `the code step asks for ${name}`);
		const code = await codeFor(phone, 'account_activation');
		page = await form('/activate', { phone, code, new_password: 'Teach2026x', new_password_again: 'Teach2026y' });
		assert.equal(page.status, 422);
		page = await form('/activate', { phone, code, new_password: 'Teach2026x', new_password_again: 'Teach2026x' });
		assert.ok([302, 303].includes(page.status), `${page.status} ${page.text.slice(0, 300)}`);
		assert.match(page.headers.getSetCookie().join(';'), /jx_session=[0-9a-f]/, 'activation logs in');
		assert.equal((await server.client().login(phone, 'Teach2026x')).status, 200);

		// The login form asks for the code a predictable password needs.
		const parent = '13755550041';
		const sent0 = sent(parent, 'login_code').length;
		await server.restart({ set: settings(gw, { 'testing.clock_offset_seconds': 300 }) });
		page = await form('/login', { login: parent, password: 'Pw550041@' });
		assert.equal(page.status, 401);
		assert.match(page.text, /<label for="code"/);
		const code2 = await codeFor(parent, 'login_code', sent0 + 1);
		page = await form('/login', { login: parent, password: 'Pw550041@', code: code2 });
		assert.ok([302, 303].includes(page.status), `${page.status} ${page.text.slice(0, 300)}`);
	});

	await t.test('without the gateway a predictable rule issues nothing, and is not rolled back to', async () => {
		// The district leaves SMS out of its modules: no gateway, while
		// the example's rule is still its active version.
		await server.restart({ set: settings(gw, { 'testing.clock_offset_seconds': 300, 'districts.430201.modules': ['roster', 'keyinfo'] }) });
		const sa = server.client();
		assert.equal((await sa.login('13755550001', 'Active2026x')).status, 200);
		r = await sa.post(`/api/v1/schools/${sG}/teachers`, { name: '丁老师', phone: '13755550051' });
		assert.equal(r.status, 201, r.text);
		const slip = (await sa.get(`/api/v1/schools/${sG}/teacher-slips`)).json.find((x) => x.login === '13755550051');
		assert.match(slip.initial_password ?? '', SLIP_PASSWORD, 'random characters, not the rule\'s Pw550051@');
		assertProblem(await server.client().login('13755550051', 'Pw550051@'), 401, { type: 'invalid-credentials' });
		const admin = server.client();
		assert.equal((await admin.login('admin', DEFAULT_ADMIN_PASSWORD)).status, 200);
		const example = (await admin.get(`/api/v1/districts/${dG}/rules`)).json.version;
		r = await admin.put(`/api/v1/districts/${dG}/rules`, { source: 'quiet_hours = nil\n' });
		assert.equal(r.status, 200, r.text);
		r = await admin.post(`/api/v1/districts/${dG}/rules/rollback?lang=en`, { version: example });
		assertProblem(r, 422, { field: 'version', detail: /predictable/ });
		r = await admin.post(`/api/v1/districts/${dG}/rules/rollback`, { version: example });
		assertProblem(r, 422, { field: 'version', detail: /推算/ });
	});
});
