// Issue 14: a school administrator resets passwords and resends
// activation texts from the school's pages and the API, sees each
// teacher's activation state, and edits a teacher. Through the real
// binary, the demo district and the SMS gateway stand-in
// (tests/stubs/sms-gateway.mjs).
//
// - A student's reset: a new initial password (the old one stops
//   working), its slip reprinted alone (slips?student_id=).
// - An adult's reset where the district has an SMS gateway: no password,
//   a text to that phone telling them to activate (no secret in it), and
//   activation then works; without a gateway, a new initial password on
//   the teacher slips. Nothing secret in the audit log.
// - POST /api/v1/accounts/{aid}/activation: 202 and a text, 409 once
//   activated, 422 no-sms-gateway, 429 twice in a minute; the scope of
//   password-reset (another school's admin 404, an account with ties
//   elsewhere 403).
// - PATCH /api/v1/teachers/{id} and its form: scope, a bad class id
//   names the field, the phone is refused.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startServer, BUILD_DIR } from './harness.mjs';
import { startSmsGateway } from '../stubs/sms-gateway.mjs';

const PW = 'Demo2026';
const SLIP_PASSWORD = /^[a-hjkmnp-z2-9]{8}$/;

function settings(gw, extra = {}) {
	return {
		plugin_dir: path.join(BUILD_DIR, 'plugins'),
		'sms.api_base': gw.url,
		'testing.notify_backoff_seconds': 1,
		// Waits for the SMS stand-in leave connections idle: keep them
		// past the 2 s default, so that fetch never races their close.
		'http.keep_alive_ms': 60000,
		...extra,
	};
}

function sql(server, query) {
	const r = spawnSync('sqlite3', ['-cmd', '.timeout 10000', path.join(server.dataDir, 'jiaxiao.db'), query],
		{ encoding: 'utf8' });
	assert.equal(r.status, 0, r.stderr);
	return r.stdout.trim();
}

function assertProblem(r, status, { type, field } = {}) {
	assert.equal(r.status, status, `status ${r.status}: ${r.text.slice(0, 400)}`);
	assert.match(r.headers.get('content-type') ?? '', /^application\/problem\+json/);
	if (type)
		assert.match(r.json.type, new RegExp(`${type}$`), r.text);
	if (field)
		assert.ok((r.json.errors ?? []).some((e) => e.field === field), `names ${field}: ${r.text}`);
}

function form(client, urlPath, fields) {
	const body = new URLSearchParams();
	body.append('csrf_token', client.csrfToken);
	for (const [k, v] of fields)
		body.append(k, String(v));
	return client.request('POST', urlPath, {
		body: body.toString(),
		headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
	});
}

test('school admins reset passwords, resend activation texts and edit teachers', async (t) => {
	const gw = await startSmsGateway();
	const server = await startServer({ command: 'demo', init: false, set: settings(gw) });
	t.after(async () => {
		await server.stop();
		await gw.close();
	});
	const sent = (phone, template) => gw.received.filter((m) => m.json?.phone === phone &&
		m.json.template === template && m.answer?.body?.ok === true);
	const login = async (who, pw = PW) => {
		const c = server.client();
		const r = await c.login(who, pw);
		assert.equal(r.status, 200, `${who}: ${r.text}`);
		return c;
	};
	const admin = await login('13800000002'); // 李敏, school 1
	const other = await login('13800000005'); // 赵磊, school 2
	const teacher = (c, q, sid = 1) => c.get(`/api/v1/schools/${sid}/teachers?q=${encodeURIComponent(q)}`)
		.then((r) => r.json.items[0]);
	const student = (c, q, sid = 1) => c.get(`/api/v1/schools/${sid}/students?q=${encodeURIComponent(q)}`)
		.then((r) => r.json.items[0]);

	await t.test('a student: a new initial password, the old one dead, the slip reprinted alone', async () => {
		const s = await student(admin, '张一鸣');
		assert.ok(s?.account?.id, 'the student has an account');
		assert.equal((await server.client().login(s.account.login, PW)).status, 200);
		const r = await admin.post(`/api/v1/accounts/${s.account.id}/password-reset`, {});
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.login, s.account.login);
		assert.match(r.json.initial_password, SLIP_PASSWORD);
		assert.equal(r.json.sms_sent, false);
		assert.equal((await server.client().login(s.account.login, PW)).status, 401, 'the old password stops working');
		const l = await server.client().login(s.account.login, r.json.initial_password);
		assert.equal(l.status, 200, l.text);
		assert.equal(l.json.account.must_change_password, true);

		const slips = await admin.get(`/api/v1/schools/1/slips?student_id=${s.id}`);
		assert.equal(slips.status, 200, slips.text);
		assert.deepEqual(slips.json.map((x) => [x.student_id, x.initial_password]), [[s.id, r.json.initial_password]]);
		const page = await admin.get(`/schools/1/slips?student_id=${s.id}`);
		assert.equal(page.status, 200);
		const first = r.json.initial_password;
		assert.ok(page.text.includes(`<span class="jx-password-group">${first.slice(0, 4)}</span><span class="jx-password-group">${first.slice(4)}</span>`),
			'the slip shows the password (in groups of four)');
		assert.ok(!page.text.includes('李思涵'), 'one slip, not the class');
		// Another school's student, or a student of school 2 asked under school 1: not found.
		const s2 = await student(other, '周子涵', 2);
		assert.equal((await admin.get(`/api/v1/schools/1/slips?student_id=${s2.id}`)).status, 404);
		assert.equal((await other.get(`/api/v1/schools/1/slips?student_id=${s.id}`)).status, 404);
		assert.equal((await admin.get('/api/v1/schools/1/slips?student_id=abc')).status, 404);

		// The page's face: the card offers the reset, the result links to the slip.
		const card = await admin.get(`/students/${s.id}`);
		assert.match(card.text, new RegExp(`action="/accounts/${s.account.id}/password-reset"`));
		assert.match(card.text, /data-confirm=/, 'the button asks first');
		// Without the CSRF token: refused, nothing reset.
		const forged = await admin.request('POST', `/accounts/${s.account.id}/password-reset`, {
			body: 'next=%2F', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-CSRF-Token': '' },
		});
		assert.equal(forged.status, 403);
		assert.equal((await server.client().login(s.account.login, r.json.initial_password)).status, 200);
		const done = await form(admin, `/accounts/${s.account.id}/password-reset`, [['next', `/students/${s.id}`]]);
		assert.equal(done.status, 200, done.text.slice(0, 300));
		// Shown in groups of four (partials/password) that join up to it.
		const pw = done.text.match(/id="reset-password">\s*(<span class="jx-password">[\s\S]*?<\/span><\/span>)/)?.[1]?.replace(/<[^>]*>/g, '');
		assert.match(pw ?? '', SLIP_PASSWORD);
		assert.match(done.text, new RegExp(`href="/schools/1/slips\\?student_id=${s.id}"`));
		assert.equal((await server.client().login(s.account.login, r.json.initial_password)).status, 401);
		assert.equal((await server.client().login(s.account.login, pw)).status, 200);
		// Neither password reached the audit log or the server's log.
		const audit = sql(server, "SELECT COALESCE(target,'') || ' ' || COALESCE(detail,'') FROM audit_log WHERE action = 'auth.password_reset'");
		assert.ok(audit.includes(s.account.login));
		for (const secret of [r.json.initial_password, pw]) {
			assert.ok(!audit.includes(secret), 'no password in the audit log');
			assert.ok(!server.logs().includes(secret), 'no password in the log');
		}
	});

	await t.test('a teacher where the district has an SMS gateway: a text, then activation', async () => {
		const wang = await teacher(admin, '王芳');
		assert.equal(wang.activation, 'active');
		const r = await admin.post(`/api/v1/accounts/${wang.account.id}/password-reset`, {});
		assert.equal(r.status, 200, r.text);
		assert.deepEqual(r.json, { login: '13800000003', initial_password: null, sms_sent: true });
		await gw.waitFor(() => sent('13800000003', 'account_reset').length === 1, 15000);
		const text = sent('13800000003', 'account_reset')[0].json.params;
		assert.match(text.url, /\/activate$/);
		assert.equal(text.place, '岳麓区第一实验小学');
		assert.equal(text.code, undefined, 'no secret in the text');
		assert.equal((await server.client().login('13800000003', PW)).status, 401);
		assert.equal((await teacher(admin, '王芳')).activation, 'pending');
		// The page shows the state in words and offers the text again.
		const page = await admin.get('/schools/1/teachers');
		assert.ok(page.text.includes('待激活'));
		assert.match(page.text, new RegExp(`action="/accounts/${wang.account.id}/activation"`));

		// Activation at /activate, as the text says.
		assert.equal((await server.request('POST', '/api/v1/activation', { json: { phone: '13800000003' } })).status, 202);
		await gw.waitFor(() => sent('13800000003', 'account_activation').length === 1, 15000);
		const code = sent('13800000003', 'account_activation')[0].json.params.code;
		const v = await server.request('POST', '/api/v1/activation/verify',
			{ json: { phone: '13800000003', code, new_password: 'Teach2026x' } });
		assert.equal(v.status, 200, v.text);
		assert.equal((await server.client().login('13800000003', 'Teach2026x')).status, 200);
		assert.equal((await teacher(admin, '王芳')).activation, 'active');
		assert.ok(!server.logs().includes(code), 'the code is not logged');
	});

	await t.test('resend the activation text: 202, 409 once active, 429 twice in a minute', async () => {
		const wang = await teacher(admin, '王芳');
		assertProblem(await admin.post(`/api/v1/accounts/${wang.account.id}/activation`, {}), 409, { type: 'already-activated' });
		assert.equal((await admin.post(`/api/v1/accounts/${wang.account.id}/password-reset`, {})).status, 200);
		const r = await admin.post(`/api/v1/accounts/${wang.account.id}/activation`, {});
		assert.equal(r.status, 202, r.text);
		assert.deepEqual(r.json, { login: '13800000003', sms_sent: true });
		await gw.waitFor(() => sent('13800000003', 'account_activation_invite').length === 1, 15000);
		const text = sent('13800000003', 'account_activation_invite')[0].json.params;
		assert.match(text.url, /\/activate$/);
		assertProblem(await admin.post(`/api/v1/accounts/${wang.account.id}/activation`, {}), 429);
		assert.equal(sql(server, `SELECT COUNT(*) FROM audit_log WHERE action = 'auth.activation_resent' AND target = '13800000003'`), '1');
		// The page's form: a toast back on the teachers page.
		await server.restart({ set: settings(gw, { 'testing.clock_offset_seconds': 120 }) });
		const again = await login('13800000002');
		const p = await form(again, `/accounts/${wang.account.id}/activation`, [['next', '/schools/1/teachers']]);
		assert.equal(p.status, 303, p.text.slice(0, 300));
		assert.equal(p.headers.get('location'), '/schools/1/teachers');
		const after = await again.get('/schools/1/teachers');
		assert.ok(after.text.includes('已发送激活短信'), 'the toast says it went');
		// The reset's page where adults activate by SMS: no password, word of the text.
		const texts = sent('13800000003', 'account_reset').length;
		const done = await form(again, `/accounts/${wang.account.id}/password-reset`, [['next', '/schools/1/teachers']]);
		assert.equal(done.status, 200, done.text.slice(0, 300));
		assert.ok(done.text.includes('已向其手机发送短信'));
		assert.doesNotMatch(done.text, /id="reset-password"/);
		assert.match(done.text, /href="\/schools\/1\/teachers"/, 'back to the list');
		await gw.waitFor(() => sent('13800000003', 'account_reset').length === texts + 1, 15000);
		// A student has no phone to activate by.
		const s = await student(again, '李思涵');
		assertProblem(await again.post(`/api/v1/accounts/${s.account.id}/activation`, {}), 422, { type: 'no-phone' });
	});

	await t.test('scope: another school\'s admin 404, an account with ties elsewhere 403, a teacher refused', async () => {
		const a = await login('13800000002');
		const b = await login('13800000005');
		const wang = await teacher(a, '王芳');
		for (const what of ['password-reset', 'activation']) {
			assertProblem(await b.post(`/api/v1/accounts/${wang.account.id}/${what}`, {}), 404);
			assertProblem(await b.post('/api/v1/accounts/999999/' + what, {}), 404);
		}
		// 张伟, a parent of school 1, becomes a teacher of school 2: both
		// schools see him, neither may reset him.
		let r = await b.post('/api/v1/schools/2/teachers', { name: '张伟', phone: '13900000001' });
		assert.equal(r.status, 201, r.text);
		const zhang = r.json.account.id;
		for (const c of [a, b]) {
			assertProblem(await c.post(`/api/v1/accounts/${zhang}/password-reset`, {}), 403);
			assertProblem(await c.post(`/api/v1/accounts/${zhang}/activation`, {}), 403);
		}
		// The teachers page of school 2 offers no reset for him.
		const page = await b.get('/schools/2/teachers');
		assert.ok(!page.text.includes(`/accounts/${zhang}/password-reset`));
		// A teacher resets nobody.
		const chen = await login('13800000004');
		const s = await student(a, '张一鸣');
		r = await chen.post(`/api/v1/accounts/${s.account.id}/password-reset`, {});
		assert.ok([403, 404].includes(r.status), r.text);
		r = await chen.post(`/api/v1/accounts/${wang.account.id}/activation`, {});
		assert.ok([403, 404].includes(r.status), r.text);
	});

	await t.test('without an SMS gateway: a new initial password on the teacher slips; 422 no-sms-gateway', async () => {
		await server.restart({
			set: settings(gw, { 'testing.clock_offset_seconds': 240, 'districts.430104.modules': ['roster', 'keyinfo', 'notices'] }),
		});
		const a = await login('13800000002');
		const wang = await teacher(a, '王芳');
		assert.equal(wang.activation, 'pending');
		assertProblem(await a.post(`/api/v1/accounts/${wang.account.id}/activation`, {}), 422, { type: 'no-sms-gateway' });
		const chen = await teacher(a, '陈刚');
		assertProblem(await a.post(`/api/v1/accounts/${chen.account.id}/activation`, {}), 409, { type: 'already-activated' });
		const before = sent('13800000003', 'account_reset').length;
		const r = await a.post(`/api/v1/accounts/${wang.account.id}/password-reset`, {});
		assert.equal(r.status, 200, r.text);
		assert.match(r.json.initial_password ?? '', SLIP_PASSWORD);
		assert.equal(r.json.sms_sent, false);
		const slips = (await a.get('/api/v1/schools/1/teacher-slips')).json;
		assert.equal(slips.find((x) => x.login === '13800000003').initial_password, r.json.initial_password);
		assert.equal((await server.client().login('13800000003', r.json.initial_password)).status, 200);
		assert.equal(sent('13800000003', 'account_reset').length, before, 'no text without a gateway');
		// The page: the password once, and the teacher slips to print it.
		const done = await form(a, `/accounts/${wang.account.id}/password-reset`, [['next', '/schools/1/teachers']]);
		assert.equal(done.status, 200);
		assert.match(done.text, /href="\/schools\/1\/teacher-slips"/);
		// No resend button without a gateway.
		const page = await a.get('/schools/1/teachers');
		assert.ok(!page.text.includes('/activation"'));
		// An initial password past its validity shows as expired.
		await server.restart({
			set: settings(gw, { 'testing.clock_offset_seconds': 240 + 31 * 86400, 'districts.430104.modules': ['roster', 'keyinfo', 'notices'] }),
		});
		const a2 = await login('13800000002');
		assert.equal((await teacher(a2, '王芳')).activation, 'expired');
		assert.ok((await a2.get('/schools/1/teachers')).text.includes('初始密码已过期'));
		// With the gateway back, the text re-arms her: pending, activation by code.
		await server.restart({ set: settings(gw, { 'testing.clock_offset_seconds': 240 + 31 * 86400 }) });
		const a3 = await login('13800000002');
		const w = await teacher(a3, '王芳');
		assert.equal(w.activation, 'expired');
		assert.equal((await a3.post(`/api/v1/accounts/${w.account.id}/activation`, {})).status, 202);
		assert.equal((await teacher(a3, '王芳')).activation, 'pending');
		assert.equal(sql(server, `SELECT COUNT(*) FROM host_outbox WHERE ref = 'account:${w.account.id}' AND template = 'account_activation_invite'`), '3', 'two earlier and this one');
	});

	await t.test('edit a teacher: fields, classes, scope, a bad class id named', async () => {
		const a = await login('13800000002');
		const b = await login('13800000005');
		const wang = await teacher(a, '王芳');
		const classes = (await a.get('/api/v1/schools/1/classes')).json;
		const c11 = classes.find((c) => c.grade === 1 && c.name === '1班').id;
		const c12 = classes.find((c) => c.grade === 1 && c.name === '2班').id;
		assert.deepEqual(wang.head_of_class_ids, [c11]);
		let r = await a.patch(`/api/v1/teachers/${wang.id}`, { name: '王芳芳', gender: '女', subject: '数学', class_ids: [c12], head_of_class_ids: [c12] });
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.id, wang.id);
		assert.equal(r.json.name, '王芳芳');
		assert.equal(r.json.subject, '数学');
		assert.equal(r.json.phone, '13800000003', 'the phone is not changed');
		assert.deepEqual(r.json.class_ids, [c12]);
		assert.deepEqual(r.json.head_of_class_ids, [c12]);
		assert.ok(['active', 'pending', 'expired'].includes(r.json.activation));
		const klass = (await a.get('/api/v1/schools/1/classes')).json;
		assert.equal(klass.find((c) => c.id === c11).head_teacher, null, 'no longer head of 1班');
		assert.equal(klass.find((c) => c.id === c12).head_teacher.id, wang.id);
		assert.ok(sql(server, `SELECT COUNT(*) FROM audit_log WHERE action = 'roster.teacher_updated' AND target = '${wang.id}'`) >= '1');

		const c71 = (await b.get('/api/v1/schools/2/classes')).json[0].id;
		assertProblem(await a.patch(`/api/v1/teachers/${wang.id}`, { class_ids: [999999] }), 422, { field: 'class_ids' });
		assertProblem(await a.patch(`/api/v1/teachers/${wang.id}`, { head_of_class_ids: [c71] }), 422, { field: 'head_of_class_ids' });
		assertProblem(await a.patch(`/api/v1/teachers/${wang.id}`, { class_ids: ['x'] }), 422, { field: 'class_ids' });
		r = await a.patch(`/api/v1/teachers/${wang.id}`, { class_ids: [1e300, -1e300, 1.5e19] });
		assertProblem(r, 422);
		assert.ok(r.json.errors.every((e) => e.field.startsWith('class_ids')), r.text);
		assertProblem(await a.patch(`/api/v1/teachers/${wang.id}`, { class_ids: 'x' }), 422, { field: 'class_ids' });
		assertProblem(await a.patch(`/api/v1/teachers/${wang.id}`, { phone: '13800000099' }), 422, { field: 'phone' });
		assertProblem(await a.patch(`/api/v1/teachers/${wang.id}`, { gender: '猫' }), 422, { field: 'gender' });
		assertProblem(await a.patch(`/api/v1/teachers/${wang.id}`, { name: 'x'.repeat(51) }), 422, { field: 'name' });
		// Nothing of the refused edits was kept.
		assert.deepEqual((await teacher(a, '王芳芳')).class_ids, [c12]);
		// Another school's admin: not found; a teacher of the school: forbidden.
		assertProblem(await b.patch(`/api/v1/teachers/${wang.id}`, { name: '改名' }), 404);
		assertProblem(await b.patch(`/api/v1/teachers/${wang.id}?school_id=1`, { name: '改名' }), 404);
		const chen = await login('13800000004');
		assertProblem(await chen.patch(`/api/v1/teachers/${wang.id}`, { name: '改名' }), 403);
		// The district's admin names the school; without it there is none.
		const district = await login('13800000001');
		assertProblem(await district.patch(`/api/v1/teachers/${wang.id}`, { subject: '语文' }), 404);
		r = await district.patch(`/api/v1/teachers/${wang.id}`, { subject: '语文', school_id: 1 });
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.subject, '语文');
		assertProblem(await a.patch('/api/v1/teachers/999999', { name: '改名' }), 404);

		// The form: reached from the list, errors under the field, saved back to the list.
		const list = await a.get('/schools/1/teachers');
		assert.match(list.text, new RegExp(`href="/teachers/${wang.id}/edit\\?school_id=1"`));
		const edit = await a.get(`/teachers/${wang.id}/edit?school_id=1`);
		assert.equal(edit.status, 200);
		assert.match(edit.text, /<label for="teacher-name"/);
		assert.match(edit.text, new RegExp(`name="class_ids" value="${c12}" checked`));
		assert.equal((await b.get(`/teachers/${wang.id}/edit?school_id=1`)).status, 404);
		let p = await form(a, `/teachers/${wang.id}`, [['school_id', 1], ['name', ''], ['gender', '猫'], ['class_ids', c11]]);
		assert.equal(p.status, 422);
		assert.match(p.text, /id="teacher-gender-error"/);
		p = await form(a, `/teachers/${wang.id}`, [['school_id', 1], ['name', '王芳'], ['subject', '语文'], ['class_ids', c11], ['class_ids', c12], ['head_of_class_ids', c11]]);
		assert.equal(p.status, 303, p.text.slice(0, 300));
		const back = await teacher(a, '王芳');
		assert.equal(back.name, '王芳');
		assert.deepEqual(back.class_ids.sort(), [c11, c12].sort());
		assert.deepEqual(back.head_of_class_ids, [c11]);
		// Unticking every box leaves none.
		p = await form(a, `/teachers/${wang.id}`, [['school_id', 1], ['name', '王芳']]);
		assert.equal(p.status, 303);
		const none = await teacher(a, '王芳');
		assert.deepEqual([none.class_ids, none.head_of_class_ids], [[], []]);
	});
});
