// Issue 14, leaving and coming back: 办理离校 ends the student's and the
// parents' identities; the left list offers reinstatement
// (POST /api/v1/students/{id}/reinstate), which makes them act again. A
// student who went on to another school (added or imported there) stays
// in the old school's left list as the old school knew them, with the new
// school as destination and nothing the new school adds later.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startServer, BUILD_DIR } from './harness.mjs';
import { idNumber } from './keyinfo_lib.mjs';

const PW = 'Demo2026';

async function demo(t) {
	const server = await startServer({
		command: 'demo',
		init: false,
		set: { plugin_dir: path.join(BUILD_DIR, 'plugins') },
	});
	t.after(() => server.stop());
	return server;
}

async function login(server, who) {
	const c = server.client();
	const r = await c.login(who, PW);
	assert.equal(r.status, 200, r.text);
	return c;
}

function form(c, url, fields) {
	const body = new URLSearchParams({ csrf_token: c.csrfToken, ...fields });
	return c.request('POST', url, {
		body: body.toString(),
		headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
	});
}

async function leftList(c, sid, query = '') {
	const r = await c.get(`/api/v1/schools/${sid}/students?status=left${query}`);
	assert.equal(r.status, 200, r.text);
	return r.json.items;
}

// The audit entries of one action [{target}], read with the sqlite3 shell
// when the machine has it, else null.
function auditTargets(server, action) {
	const r = spawnSync('sqlite3', ['-readonly', '-json', path.join(server.dataDir, 'jiaxiao.db'),
		`SELECT target FROM audit_log WHERE action = '${action}' ORDER BY id`], { encoding: 'utf8' });
	if (r.error)
		return null;
	assert.equal(r.status, 0, r.stderr);
	return r.stdout.trim() ? JSON.parse(r.stdout).map((e) => e.target) : [];
}

async function classOf(c, sid, grade, name) {
	const r = await c.get(`/api/v1/schools/${sid}/classes`);
	assert.equal(r.status, 200, r.text);
	const k = r.json.find((x) => x.grade === grade && x.name === name);
	assert.ok(k, `class ${grade} ${name} at ${sid}`);
	return k;
}

async function waitJob(c, id) {
	for (let i = 0; i < 600; i++) {
		const r = await c.get(`/api/v1/jobs/${id}`);
		assert.equal(r.status, 200, r.text);
		if (r.json.state === 'succeeded' || r.json.state === 'failed')
			return r.json;
		await new Promise((res) => setTimeout(res, 100));
	}
	throw new Error(`job ${id} did not end`);
}

test('leave, the left list, reinstate: the student and the parent act again', async (t) => {
	const server = await demo(t);
	const admin = await login(server, '13800000002');
	const zhang = (await admin.get(`/api/v1/schools/1/students?q=${encodeURIComponent('张一鸣')}`)).json.items[0];
	const c11 = await classOf(admin, 1, 1, '1班');
	assert.equal(zhang.class_id, c11.id);
	const login_ = zhang.account.login;

	// Before: both log in with their identity.
	const parent = await login(server, '13900000001');
	assert.equal((await parent.get('/api/v1/me')).json.identities.length, 1);

	let r = await admin.post(`/api/v1/students/${zhang.id}/leave`, { reason: '随父母外出' });
	assert.equal(r.status, 204, r.text);
	assert.equal((await parent.get('/api/v1/me')).status, 401, 'the parent session for the child ended');
	let me = await parent.login('13900000001', PW);
	assert.deepEqual(me.json.identities, []);
	const student = server.client();
	me = await student.login(login_, PW);
	assert.ok(!(me.json?.identities ?? []).some((i) => i.role === 'student'), me.text);

	// The left list: the student with the date and reason; in-school
	// lists no longer hold them.
	const left = (await leftList(admin, 1)).find((s) => s.id === zhang.id);
	assert.ok(left, 'in the left list');
	assert.equal(left.status, 'left');
	assert.equal(left.left_reason, '随父母外出');
	assert.match(left.left_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/);
	assert.equal(left.transferred_to, undefined);
	const inSchool = (await admin.get('/api/v1/schools/1/students?status=in_school')).json.items;
	assert.ok(!inSchool.some((s) => s.id === zhang.id));
	const page = await admin.get('/schools/1/students?status=left');
	assert.ok(page.text.includes(`action="/students/${zhang.id}/reinstate"`), 'the page offers reinstatement');

	// Only the school's admins reinstate.
	const other = await login(server, '13800000005');
	assert.equal((await other.post(`/api/v1/students/${zhang.id}/reinstate`, {})).status, 404);
	const teacher = await login(server, '13800000003');
	const byTeacher = await teacher.post(`/api/v1/students/${zhang.id}/reinstate`, {});
	assert.ok([403, 404].includes(byTeacher.status), `teacher got ${byTeacher.status}`);
	assert.equal((await parent.post(`/api/v1/students/${zhang.id}/reinstate`, {})).status, 404);
	// Without the CSRF token: refused.
	r = await admin.request('POST', `/api/v1/students/${zhang.id}/reinstate`, { headers: { 'X-CSRF-Token': 'x' } });
	assert.equal(r.status, 403);

	r = await admin.post(`/api/v1/students/${zhang.id}/reinstate`);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.status, 'in_school');
	assert.equal(r.json.class_id, c11.id, 'back in the class they left');
	assert.equal(r.json.left_at, null);
	assert.equal(r.json.guardians.length, 1);
	assert.equal((await admin.post(`/api/v1/students/${zhang.id}/reinstate`)).status, 409);
	const audited = auditTargets(server, 'roster.student_reinstated');
	if (audited !== null)
		assert.deepEqual(audited, [String(zhang.id)], 'the reinstatement is audit-logged once');
	assert.ok(!(await leftList(admin, 1)).some((s) => s.id === zhang.id));

	// The identities are active again: both log in and act.
	me = await parent.login('13900000001', PW);
	assert.equal(me.status, 200);
	assert.equal(me.json.identities.length, 1);
	assert.equal(me.json.identities[0].student_id, zhang.id);
	assert.equal((await parent.get(`/api/v1/students/${zhang.id}`)).status, 200);
	me = await student.login(login_, PW);
	assert.equal(me.status, 200, me.text);
	assert.ok(me.json.identities.some((i) => i.role === 'student' && i.student_id === zhang.id));
	assert.equal((await student.get(`/api/v1/students/${zhang.id}`)).status, 200);
});

test('the pages: 办理离校 then 恢复在校, each saying what happened', async (t) => {
	const server = await demo(t);
	const admin = await login(server, '13800000002');
	const s = (await admin.get(`/api/v1/schools/1/students?q=${encodeURIComponent('李思涵')}`)).json.items[0];

	let r = await form(admin, `/students/${s.id}/leave`, { reason: '转学' });
	assert.equal(r.status, 303, r.text);
	assert.equal(r.headers.get('location'), `/students/${s.id}?done=left`);
	let page = await admin.get(r.headers.get('location'));
	assert.ok(page.text.includes('李思涵 已办理离校'), 'the page says what happened');
	assert.match(page.text, /离校日期/);
	assert.ok(page.text.includes(`action="/students/${s.id}/reinstate"`));

	r = await form(admin, `/students/${s.id}/reinstate`, {});
	assert.equal(r.status, 303, r.text);
	assert.equal(r.headers.get('location'), `/students/${s.id}?done=reinstated`);
	page = await admin.get(r.headers.get('location'));
	assert.ok(page.text.includes('李思涵 已恢复在校'));
	assert.equal((await admin.get(`/api/v1/students/${s.id}`)).json.status, 'in_school');

	// A student whose class was deleted while away chooses a class.
	const empty = await admin.post('/api/v1/schools/1/classes', { grade: 2, name: '7班' });
	assert.equal(empty.status, 201, empty.text);
	assert.equal((await admin.patch(`/api/v1/students/${s.id}`, { class_id: empty.json.id })).status, 200);
	assert.equal((await admin.post(`/api/v1/students/${s.id}/leave`, {})).status, 204);
	assert.equal((await admin.del(`/api/v1/classes/${empty.json.id}`)).status, 204);
	r = await admin.post(`/api/v1/students/${s.id}/reinstate`, {});
	assert.equal(r.status, 422, r.text);
	assert.equal(r.json.errors[0].field, 'class_id');
	const c31 = await classOf(admin, 1, 3, '1班');
	r = await admin.post(`/api/v1/students/${s.id}/reinstate`, { class_id: c31.id });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.class_id, c31.id);
});

test('transferred out: the old school keeps its record, without the new school\'s data', async (t) => {
	const server = await demo(t);
	const a = await login(server, '13800000002');
	const b = await login(server, '13800000005');
	const c12 = await classOf(a, 1, 1, '2班');
	const c71 = await classOf(b, 2, 7, '1班');
	const c81 = await classOf(b, 2, 8, '1班');
	const id1 = idNumber('43010420190601001');
	const id2 = idNumber('43010420190601002');

	// Two students of A, both leave.
	const made = [];
	for (const [name, id] of [['林一帆', id1], ['林二帆', id2]]) {
		const r = await a.post('/api/v1/schools/1/students', {
			name, gender: '男', class_id: c12.id, id_number: id,
			guardian1_name: '林父', guardian1_phone: '13900000111', guardian1_relation: '父亲',
		});
		assert.equal(r.status, 201, r.text);
		made.push(r.json);
		assert.equal((await a.post(`/api/v1/students/${r.json.id}/leave`, { reason: '转学' })).status, 204);
	}

	// B adds the first (the form's way) and imports the second.
	let r = await b.post('/api/v1/schools/2/students', {
		name: '林一帆', gender: '男', class_id: c71.id, id_number: id1,
		guardian2_name: '林新家长', guardian2_phone: '13900000222',
	});
	assert.ok([200, 201].includes(r.status), r.text);
	assert.equal(r.json.id, made[0].id, 'the same student, re-admitted');
	const csv = '姓名,性别,年级,班级,身份证号,家长1姓名,家长1手机\r\n' +
		`林二帆,男,七年级,1班,${id2},林新家长,13900000222\r\n`;
	const fd = new FormData();
	fd.append('file', new Blob([csv], { type: 'text/csv' }), 'transfer.csv');
	r = await b.request('POST', '/api/v1/schools/2/imports?kind=students&mode=commit', { body: fd });
	assert.equal(r.status, 202, r.text);
	const job = await waitJob(b, r.json.job_id);
	assert.equal(job.state, 'succeeded', JSON.stringify(job));

	// A's left list: name, class at leaving, date, destination; none of
	// B's data, and no way to their page at B.
	const check = async () => {
		const left = await leftList(a, 1);
		for (const m of made) {
			const s = left.find((x) => x.id === m.id);
			assert.ok(s, `${m.name} in A's left list`);
			assert.equal(s.name, m.name);
			assert.equal(s.class_name, '一年级2班');
			assert.equal(s.status, 'left');
			assert.equal(s.left_reason, '转学');
			assert.match(s.left_at, /^\d{4}-\d{2}-\d{2}T/);
			assert.deepEqual(s.transferred_to, { id: 2, name: '岳麓区第二中学' });
			assert.equal(s.class_id, null);
			assert.equal(s.account, null);
			assert.deepEqual(s.guardians, []);
			assert.equal(s.id_number, null);
			assert.equal(s.national_no, null);
		}
		const text = JSON.stringify(left);
		for (const b_ of ['七年级', '八年级', '林新家长', '13900000222'])
			assert.ok(!text.includes(b_), `A's list shows ${b_}`);
		const page = await a.get('/schools/1/students?status=left');
		assert.equal(page.status, 200);
		assert.ok(page.text.includes('转入岳麓区第二中学'), 'the page names the destination');
		for (const m of made)
			assert.ok(!page.text.includes(`href="/students/${m.id}"`), 'no link to the student at B');
		assert.ok(!/七年级|八年级|林新家长/.test(page.text));
		return left;
	};
	await check();
	// The filters apply: by name, and the class at leaving.
	assert.deepEqual((await leftList(a, 1, `&q=${encodeURIComponent('林二')}`)).map((s) => s.id), [made[1].id]);
	assert.equal((await leftList(a, 1, `&class_id=${c12.id}`)).filter((s) => made.some((m) => m.id === s.id)).length, 2);
	// Pages of one keep the order and lose nobody.
	const ids = [];
	let cursor = '';
	for (let i = 0; i < 20; i++) {
		const p = await a.get(`/api/v1/schools/1/students?status=left&limit=1${cursor}`);
		assert.equal(p.status, 200, p.text);
		ids.push(...p.json.items.map((s) => s.id));
		if (!p.json.next_cursor)
			break;
		cursor = `&cursor=${p.json.next_cursor}`;
	}
	assert.deepEqual(ids, (await leftList(a, 1)).map((s) => s.id));

	// A sees nothing more of them, and cannot take them back.
	assert.equal((await a.get(`/api/v1/students/${made[0].id}`)).status, 404);
	r = await a.post(`/api/v1/students/${made[0].id}/reinstate`, {});
	assert.equal(r.status, 409, r.text);
	assert.equal(r.json.detail, '该学生已转入其他学校，不能在本校恢复在校');
	// A teacher of A sees in-school students only.
	const teacher = await login(server, '13800000003');
	const tl = await teacher.get('/api/v1/schools/1/students?status=left');
	assert.ok(!(tl.json?.items ?? []).some((s) => made.some((m) => m.id === s.id)));

	// B's later changes do not show at A.
	r = await b.patch(`/api/v1/students/${made[0].id}`, { class_id: c81.id });
	assert.equal(r.status, 200, r.text);
	r = await b.patch(`/api/v1/students/${made[0].id}`, { name: '林一凡' });
	assert.equal(r.status, 200, r.text);
	const after = await check();
	assert.equal(after.find((s) => s.id === made[0].id).name, '林一帆');

	// B lists them in school; when they leave B too, A still shows B as
	// where they went and still cannot reinstate them.
	const inB = (await b.get('/api/v1/schools/2/students?status=in_school')).json.items;
	assert.ok(inB.some((s) => s.id === made[1].id && s.class_name === '七年级1班'));
	assert.equal((await b.post(`/api/v1/students/${made[1].id}/leave`, {})).status, 204);
	await check();
	assert.equal((await a.post(`/api/v1/students/${made[1].id}/reinstate`, {})).status, 409);
	const bLeft = await leftList(b, 2);
	assert.ok(bLeft.some((s) => s.id === made[1].id && !s.transferred_to));
});
