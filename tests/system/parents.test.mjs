// The school's parents page, a school's change of a parent's phone, and a
// head teacher's class (issue 14), through the real binary on the demo
// district, with the SMS gateway stand-in (tests/stubs/sms-gateway.mjs).
//
// - GET /api/v1/schools/{sid}/parents: each parent with the children,
//   binding and activation state; filters by class and search; other
//   schools and teachers are refused.
// - PUT /api/v1/persons/{pid}/phone: 200 and the new phone logs in (the
//   old one does not, the session stays), 409 for a taken number, 422 for
//   a bad one, 403 for a parent who also teaches at another school, 404
//   for another school's admin; the old phone receives the text; an
//   audit entry with masked numbers.
// - Removing a binding from the parents page.
// - GET /api/v1/classes/{id}: the head teacher sees students, parents with
//   tel: links and key-information status; another class's teacher 403,
//   another school 404.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startServer, BUILD_DIR } from './harness.mjs';
import { startSmsGateway } from '../stubs/sms-gateway.mjs';

const PW = 'Demo2026';
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };

function sql(server, query) {
	const r = spawnSync('sqlite3', ['-cmd', '.timeout 10000', path.join(server.dataDir, 'jiaxiao.db'), query],
		{ encoding: 'utf8' });
	assert.equal(r.status, 0, r.stderr);
	return r.stdout.trim();
}

function assertProblem(r, status, field) {
	assert.equal(r.status, status, `status ${r.status}: ${r.text.slice(0, 400)}`);
	assert.match(r.headers.get('content-type') ?? '', /^application\/problem\+json/);
	if (field)
		assert.ok((r.json.errors ?? []).some((e) => e.field === field), `names ${field}: ${r.text}`);
}

function form(client, fields) {
	return new URLSearchParams({ csrf_token: client.csrfToken, ...fields }).toString();
}

test('parents page, phone change and a head teacher\'s class', async (t) => {
	const gw = await startSmsGateway();
	const server = await startServer({
		command: 'demo',
		init: false,
		set: {
			plugin_dir: path.join(BUILD_DIR, 'plugins'),
			'sms.api_base': gw.url,
			'testing.notify_backoff_seconds': 1,
		},
	});
	t.after(async () => {
		await server.stop();
		await gw.close();
	});
	const admin = server.client();
	assert.equal((await admin.login('13800000002', PW)).status, 200);
	const admin2 = server.client();
	assert.equal((await admin2.login('13800000005', PW)).status, 200);
	const teacher = server.client();
	assert.equal((await teacher.login('13800000003', PW)).status, 200);

	const classes = (await admin.get('/api/v1/schools/1/classes')).json;
	const c11 = classes.find((c) => c.grade === 1 && c.name === '1班');
	const c12 = classes.find((c) => c.grade === 1 && c.name === '2班');
	assert.ok(c11 && c12);

	await t.test('the parents list shows children, binding and activation', async () => {
		const r = await admin.get('/api/v1/schools/1/parents');
		assert.equal(r.status, 200, r.text);
		const zhang = r.json.items.find((p) => p.phone === '13900000001');
		assert.ok(zhang, 'the demo father is listed');
		assert.equal(zhang.name, '张伟');
		assert.equal(zhang.account.login, '13900000001');
		assert.equal(zhang.activation, 'active', 'the demo accounts have a password');
		assert.ok(['followed', 'unfollowed', 'unbound'].includes(zhang.wechat), zhang.wechat);
		assert.equal(zhang.wechat, 'unbound');
		assert.deepEqual(zhang.children.map((c) => [c.name, c.class_name, c.relation, c.bound]),
			[['张一鸣', '一年级1班', '父亲', true]]);
		const chen = r.json.items.find((p) => p.phone === '13800000004');
		assert.deepEqual(chen.children.map((c) => c.name).sort(), ['陈小阳', '陈小雨'].sort());

		// Filters: by class, by the child's name, by phone.
		let f = await admin.get(`/api/v1/schools/1/parents?class_id=${c11.id}`);
		assert.deepEqual(f.json.items.map((p) => p.name), ['张伟']);
		f = await admin.get(`/api/v1/schools/1/parents?q=${encodeURIComponent('陈小雨')}`);
		assert.deepEqual(f.json.items.map((p) => p.name), ['陈刚']);
		f = await admin.get('/api/v1/schools/1/parents?q=139000');
		assert.deepEqual(f.json.items.map((p) => p.name), ['张伟']);
		const other = (await admin2.get('/api/v1/schools/2/classes')).json[0];
		assertProblem(await admin.get(`/api/v1/schools/1/parents?class_id=${other.id}`), 422, 'class_id');

		// A new parent added with a student waits for SMS activation.
		const s = await admin.post('/api/v1/schools/1/students', {
			name: '赵小北', gender: '男', class_id: c12.id,
			guardian1_name: '赵爸爸', guardian1_phone: '13755501401', guardian1_relation: '父亲',
		});
		assert.equal(s.status, 201, s.text);
		const fresh = (await admin.get('/api/v1/schools/1/parents?q=13755501401')).json.items[0];
		assert.equal(fresh.activation, 'pending');
		assert.equal(fresh.children[0].name, '赵小北');

		// The page: Chinese, the tel: link, the actions.
		const page = await admin.get('/schools/1/parents');
		assert.equal(page.status, 200);
		assert.match(page.text, /href="tel:13900000001"/);
		assert.match(page.text, /已激活/);
		assert.match(page.text, /待激活/);
		assert.match(page.text, /action="\/accounts\/\d+\/password-reset"/);
		// A gateway here: pending parents get 重发激活短信 (the accounts form).
		assert.match(page.text, /action="\/accounts\/\d+\/activation"[\s\S]*?重发激活短信/);
		assert.match(page.text, /data-confirm="确定解除张伟与张一鸣的绑定吗/);
	});

	await t.test('only the school\'s admins see the parents', async () => {
		assert.equal((await admin2.get('/api/v1/schools/1/parents')).status, 404);
		assert.equal((await admin2.get('/schools/1/parents')).status, 404);
		assert.equal((await teacher.get('/api/v1/schools/1/parents')).status, 403);
		const parent = server.client();
		assert.equal((await parent.login('13900000001', PW)).status, 200);
		assert.ok([403, 404].includes((await parent.get('/api/v1/schools/1/parents')).status));
		// The menu entry leads the school admin there.
		const menu = await admin.get('/roster/parents');
		assert.equal(menu.status, 303);
		assert.equal(menu.headers.get('location'), '/schools/1/parents');
	});

	await t.test('a parent\'s phone changes: new login, SMS to the old phone, audit', async () => {
		const zhang = (await admin.get('/api/v1/schools/1/parents?q=13900000001')).json.items[0];
		const parent = server.client();
		assert.equal((await parent.login('13900000001', PW)).status, 200);

		assertProblem(await admin.put(`/api/v1/persons/${zhang.person_id}/phone`, { phone: '12345' }), 422, 'phone');
		assertProblem(await admin.put(`/api/v1/persons/${zhang.person_id}/phone`, {}), 422, 'phone');
		// Another account's number (陈刚's), or another person's.
		assertProblem(await admin.put(`/api/v1/persons/${zhang.person_id}/phone`, { phone: '13800000004' }), 409, 'phone');
		// Not the admin's: another school's admin, a teacher.
		assert.equal((await admin2.put(`/api/v1/persons/${zhang.person_id}/phone`, { phone: '13911112222' })).status, 404);
		assert.ok([403, 404].includes((await teacher.put(`/api/v1/persons/${zhang.person_id}/phone`, { phone: '13911112222' })).status));
		// Without the CSRF token: refused.
		assert.equal((await admin.put(`/api/v1/persons/${zhang.person_id}/phone`, { phone: '13911112222' },
			{ headers: { 'X-CSRF-Token': 'x' } })).status, 403);

		const r = await admin.put(`/api/v1/persons/${zhang.person_id}/phone`, { phone: '13911112222' });
		assert.equal(r.status, 200, r.text);
		assert.deepEqual(r.json, { person_id: zhang.person_id, phone: '13911112222', login: '13911112222' });

		// The new phone logs in, the old one no longer does.
		assert.equal((await server.client().login('13900000001', PW)).status, 401);
		const again = await server.client().login('13911112222', PW);
		assert.equal(again.status, 200, again.text);
		assert.equal(again.json.identities.length, 1, 'the binding stays');
		// The family is not logged out by it.
		const me = await parent.get('/api/v1/me');
		assert.equal(me.status, 200);
		assert.equal(me.json.account.login, '13911112222');

		// The old phone is told, with the new number masked; nothing to
		// the new one.
		const msg = await gw.waitFor((m) => m.json?.phone === '13900000001' && m.json.template === 'phone_changed', 15000);
		assert.equal(msg.json.params.new_phone, '139****2222');
		assert.doesNotMatch(JSON.stringify(msg.json.params), /13911112222/);
		assert.equal(gw.received.filter((m) => m.json?.phone === '13911112222').length, 0);

		// The audit entry, numbers masked.
		const row = sql(server, "SELECT target, detail FROM audit_log WHERE action = 'person.phone_changed'");
		assert.match(row, new RegExp(`^person:${zhang.person_id}\\|`));
		const detail = JSON.parse(row.slice(row.indexOf('|') + 1));
		assert.equal(detail.old, '139****0001');
		assert.equal(detail.new, '139****2222');
		assert.doesNotMatch(row, /13900000001|13911112222/);

		// The same number again: nothing happens.
		assert.equal((await admin.put(`/api/v1/persons/${zhang.person_id}/phone`, { phone: '13911112222' })).status, 200);
		assert.equal(sql(server, "SELECT COUNT(*) FROM audit_log WHERE action = 'person.phone_changed'"), '1');

		// The old number is free again for someone else.
		const list = (await admin.get('/api/v1/schools/1/parents?q=13911112222')).json.items;
		assert.equal(list[0].person_id, zhang.person_id);
	});

	await t.test('a parent who also teaches at another school: 403', async () => {
		const zhang = (await admin.get('/api/v1/schools/1/parents?q=13911112222')).json.items[0];
		const r = await admin2.post('/api/v1/schools/2/teachers', { name: '张伟', phone: '13911112222' });
		assert.equal(r.status, 201, r.text);
		assertProblem(await admin.put(`/api/v1/persons/${zhang.person_id}/phone`, { phone: '13911113333' }), 403);
		// Nor may the other school, where they are only a teacher.
		assertProblem(await admin2.put(`/api/v1/persons/${zhang.person_id}/phone`, { phone: '13911113333' }), 403);
		assert.equal((await server.client().login('13911112222', PW)).status, 200, 'unchanged');
	});

	await t.test('the phone form shows a taken number readably', async () => {
		const chen = (await admin.get('/api/v1/schools/1/parents?q=13800000004')).json.items[0];
		const get = await admin.get(`/persons/${chen.person_id}/phone?back=/schools/1/parents`);
		assert.equal(get.status, 200);
		assert.match(get.text, /修改手机号/);
		const taken = await admin.request('POST', `/persons/${chen.person_id}/phone`, {
			body: form(admin, { phone: '13800000003', back: '/schools/1/parents' }),
			headers: FORM,
		});
		assert.equal(taken.status, 409);
		assert.match(taken.headers.get('content-type'), /text\/html/);
		assert.match(taken.text, /该手机号已被其他账号使用/);
		assert.match(taken.text, /value="13800000003"/, 'the typed number is kept');
		const ok = await admin.request('POST', `/persons/${chen.person_id}/phone`, {
			body: form(admin, { phone: '13800000014', back: '//evil.example/' }),
			headers: FORM,
		});
		assert.equal(ok.status, 303);
		assert.equal(ok.headers.get('location'), '/', 'back is a local path only');
		assert.equal((await server.client().login('13800000014', PW)).status, 200);
	});

	await t.test('a reset from the parents page', async () => {
		const fresh = (await admin.get('/api/v1/schools/1/parents?q=13755501401')).json.items[0];
		const r = await admin.request('POST', `/accounts/${fresh.account.id}/password-reset`, {
			body: form(admin, { next: '/schools/1/parents' }),
			headers: FORM,
		});
		assert.equal(r.status, 200, r.text.slice(0, 300));
		assert.match(r.text, /赵爸爸/);
		assert.match(r.text, /href="\/schools\/1\/parents"/);
		// Another school's admin may not.
		const denied = await admin2.request('POST', `/accounts/${fresh.account.id}/password-reset`, {
			body: form(admin2, {}),
			headers: FORM,
		});
		assert.equal(denied.status, 404);
	});

	await t.test('a binding is removed from the parents page', async () => {
		const fresh = (await admin.get('/api/v1/schools/1/parents?q=13755501401')).json.items[0];
		const child = fresh.children[0];
		const r = await admin.request('POST', `/students/${child.student_id}/guardians/${fresh.person_id}/remove`, {
			body: form(admin, { back: '/schools/1/parents' }),
			headers: FORM,
		});
		assert.equal(r.status, 303, r.text.slice(0, 300));
		assert.equal(r.headers.get('location'), '/schools/1/parents');
		assert.equal((await admin.get('/api/v1/schools/1/parents?q=13755501401')).json.items.length, 0);
		// Elsewhere back is ignored: the student's page.
		const zhang = (await admin.get('/api/v1/schools/1/parents?q=13911112222')).json.items[0];
		const r2 = await admin.request('POST', `/students/${zhang.children[0].student_id}/guardians/${zhang.person_id}/remove`, {
			body: form(admin, { back: 'https://evil.example/schools/1/parents' }),
			headers: FORM,
		});
		assert.equal(r2.status, 303);
		assert.equal(r2.headers.get('location'), `/students/${zhang.children[0].student_id}`);
	});

	await t.test('a head teacher\'s class: students, parents, tel: links, key information', async () => {
		// 陈刚's child 陈小雨 is in 1年级2班 (no head): 王芳 heads 1年级1班.
		const r = await teacher.get(`/api/v1/classes/${c11.id}`);
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.class_name, '一年级1班');
		assert.equal(r.json.head_teacher.name, '王芳');
		assert.equal(r.json.keyinfo_incomplete_url, `/keyinfo/classes/${c11.id}/incomplete`);
		assert.deepEqual(r.json.students.map((s) => s.name).sort(), ['张一鸣', '李思涵', '王子轩'].sort());
		for (const s of r.json.students)
			assert.ok(['complete', 'incomplete', 'pending'].includes(s.keyinfo), JSON.stringify(s));
		// The demo data lacks numbers: incomplete.
		assert.equal(r.json.students.find((s) => s.name === '李思涵').keyinfo, 'incomplete');

		// A parent with the state of the binding and account (the same
		// student matched by name and class, a guardian added).
		const add = await admin.post('/api/v1/schools/1/students', {
			name: '王子轩', gender: '男', class_id: c11.id,
			guardian1_name: '王妈妈', guardian1_phone: '13755501402', guardian1_relation: '母亲',
		});
		assert.ok([200, 201].includes(add.status), add.text);
		const after = await teacher.get(`/api/v1/classes/${c11.id}`);
		const mother = after.json.students.flatMap((x) => x.parents).find((p) => p.phone === '13755501402');
		assert.ok(mother, JSON.stringify(after.json.students));
		assert.equal(mother.relation, '母亲');
		assert.equal(mother.bound, true);
		assert.equal(mother.activation, 'pending');
		assert.equal(mother.wechat, 'unbound');

		const page = await teacher.get(`/classes/${c11.id}`);
		assert.equal(page.status, 200);
		assert.match(page.text, /href="tel:13755501402"/);
		assert.match(page.text, /关键信息：未完善/);
		assert.match(page.text, new RegExp(`href="/keyinfo/classes/${c11.id}/incomplete"`));

		// The way there: the menu and the home page.
		const menu = await teacher.get('/roster/myclass');
		assert.equal(menu.status, 303);
		assert.equal(menu.headers.get('location'), `/classes/${c11.id}`);
		const home = await teacher.get('/');
		assert.match(home.text, new RegExp(`href="/classes/${c11.id}"`));
		assert.match(home.text, /我的班级 · 一年级1班/);
		assert.match(home.text, /href="\/roster\/myclass"/);
	});

	await t.test('another class\'s teacher and another school are refused', async () => {
		// 陈刚 (his phone changed above) teaches 1年级1班, heads 3年级1班.
		const chen = server.client();
		assert.equal((await chen.login('13800000014', PW)).status, 200);
		const me = (await chen.get('/api/v1/me')).json;
		const t1 = me.identities.find((i) => i.role === 'teacher');
		assert.equal((await chen.put('/api/v1/me/identity', { identity_id: t1.id })).status, 200);
		assert.equal((await chen.get(`/api/v1/classes/${c11.id}`)).status, 403);
		assert.equal((await chen.get(`/classes/${c11.id}`)).status, 403);
		const own = t1.head_of_class_ids[0];
		let mine = await chen.get(`/api/v1/classes/${own}`);
		assert.equal(mine.status, 200);
		// A change the family submits makes the child pending.
		const xiaoyang = mine.json.students.find((s) => s.name === '陈小阳');
		assert.equal(xiaoyang.keyinfo, 'incomplete');
		const p = me.identities.find((i) => i.role === 'parent' && i.student_id === xiaoyang.id);
		assert.equal((await chen.put('/api/v1/me/identity', { identity_id: p.id })).status, 200);
		const change = await chen.put(`/api/v1/students/${xiaoyang.id}/keyinfo`, { city_no: '4301042016000123' });
		assert.equal(change.status, 202, change.text);
		assert.equal((await chen.put('/api/v1/me/identity', { identity_id: t1.id })).status, 200);
		mine = await chen.get(`/api/v1/classes/${own}`);
		assert.equal(mine.json.students.find((s) => s.name === '陈小阳').keyinfo, 'pending');
		const liu = server.client();
		assert.equal((await liu.login('13800000006', PW)).status, 200);
		assert.equal((await liu.get(`/api/v1/classes/${c11.id}`)).status, 404);
		assert.equal((await admin2.get(`/api/v1/classes/${c11.id}`)).status, 404);
		assert.equal((await admin.get(`/api/v1/classes/${c11.id}`)).status, 200, 'the school admin sees it');
		assert.equal((await teacher.get('/api/v1/classes/999999')).status, 404);
		assert.equal((await teacher.get('/api/v1/classes/abc')).status, 404);
	});
});

test('activation: pending while the initial password works, expired after', async (t) => {
	// No SMS gateway here: a new parent gets an initial password (30 days).
	const set = { plugin_dir: path.join(BUILD_DIR, 'plugins') };
	const server = await startServer({ command: 'demo', init: false, set });
	t.after(() => server.stop());
	let admin = server.client();
	assert.equal((await admin.login('13800000002', PW)).status, 200);
	const classes = (await admin.get('/api/v1/schools/1/classes')).json;
	const s = await admin.post('/api/v1/schools/1/students', {
		name: '钱小西', gender: '女', class_id: classes[0].id,
		guardian1_name: '钱妈妈', guardian1_phone: '13755501501', guardian1_relation: '母亲',
	});
	assert.equal(s.status, 201, s.text);
	const list = async () => (await admin.get('/api/v1/schools/1/parents?q=13755501501')).json.items[0];
	assert.equal((await list()).activation, 'pending');
	// Without a gateway a wechat-less parent is still listed as such.
	assert.equal((await list()).wechat, 'unbound');

	await server.restart({ set: { ...set, 'testing.clock_offset_seconds': 31 * 86400 } });
	admin = server.client();
	assert.equal((await admin.login('13800000002', PW)).status, 200);
	assert.equal((await list()).activation, 'expired');
	// The page says so.
	const page = await admin.get('/schools/1/parents?q=13755501501');
	assert.match(page.text, /初始密码已过期/);
	// No gateway: no text can go, so no 重发激活短信; a reset prints a slip.
	assert.doesNotMatch(page.text, /重发激活短信/);
	assert.match(page.text, /action="\/accounts\/\d+\/password-reset"/);
	// A reset makes it pending again.
	const p = await list();
	const r = await admin.post(`/api/v1/accounts/${p.account.id}/password-reset`, {});
	assert.equal(r.status, 200, r.text);
	assert.equal((await list()).activation, 'pending');
});
