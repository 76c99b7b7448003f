// System test of the roster plugin (API.md, "Roster"; issue 4) against the
// real binary serving the demo district: classes, students, teachers and
// their scope; imports of real .xlsx and .csv sheets (untidy sheets, row
// numbers and column headers in errors, dry runs, a failed commit that
// writes nothing, a re-import that creates nothing, the class move,
// parents of two, a teacher who is a parent, transfers between schools,
// teachers and parents sheets, created classes, a Word file, the upload
// limit); the templates and the export (masked ID numbers, no formula
// injection, importable back); account slips; password resets.
//
// The tests in this file run in order on one demo server and build on
// one another: each names what it leaves behind for the next.
//
// Demo school 1 (岳麓区第一实验小学, admin 李敏 13800000002): classes
// 一年级1班 (head 王芳), 一年级2班, 三年级1班 (head 陈刚); 王芳
// 13800000003 teaches 一年级1班 and 2班; 陈刚 13800000004 teaches
// 一年级1班 and 三年级1班 and is the father of 陈小雨 and 陈小阳; 张伟
// 13900000001 is the father of 张一鸣. School 2 (岳麓区第二中学, admin
// 赵磊 13800000005): 七年级1班, 八年级1班.

import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { startServer, jiaxiao, BUILD_DIR } from './harness.mjs';
import { xlsx, readXlsx, docx, XLSX_TYPE } from './xlsx.mjs';

const PW = 'Demo2026';
const SCHOOL_ADMIN = '13800000002';
const SCHOOL2_ADMIN = '13800000005';
const WANG = '13800000003'; // teacher, head of 一年级1班
const CHEN = '13800000004'; // teacher, parent of two
const ZHANG = '13900000001'; // parent of 张一鸣
const S1 = 1;
const S2 = 2;
const PROBLEM = /^application\/problem\+json/;
const SETTINGS = { plugin_dir: path.join(BUILD_DIR, 'plugins') };

// The student sheet's columns, as the template has them.
const STUDENT_HEADER = [
	'姓名', '性别', '年级', '班级', '身份证号', '全国学籍号', '市网学籍号',
	'家长1姓名', '家长1手机', '家长1关系', '家长2姓名', '家长2手机', '家长2关系',
];

// An 18-character ID number with its GB 11643 check digit.
function idNumber(body17) {
	const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
	const sum = [...body17].reduce((s, c, i) => s + Number(c) * w[i], 0);
	return body17 + '10X98765432'[sum % 11];
}

// An ID number whose check digit is X.
function idNumberX(prefix14) {
	for (let seq = 100; seq < 1000; seq++) {
		const id = idNumber(`${prefix14}${seq}`);
		if (id.endsWith('X'))
			return id;
	}
	throw new Error('no X check digit');
}

const MASKED = /^\d{3}\*{11}\d{3}[\dX]$/;
const masked = (id) => `${id.slice(0, 3)}${'*'.repeat(11)}${id.slice(14)}`;

let server;

before(async () => {
	server = await startServer({ command: 'demo', init: false, set: SETTINGS });
});

after(async () => {
	if (server)
		await server.stop();
});

// The initial password of an adult (their phone), as the school prints it
// where the district has no SMS gateway (API.md, "Logins"): teachers on
// the teacher slips, parents on their child's slip. Remembered once seen,
// for a teacher who has left or a binding the school removed; null when
// no slip shows one.
const slipSeen = new Map();
async function slipPassword(phone) {
	for (const [who, sid] of [[SCHOOL_ADMIN, S1], [SCHOOL2_ADMIN, S2]]) {
		const c = await login(who);
		const teachers = await c.get(`/api/v1/schools/${sid}/teacher-slips`);
		assert.equal(teachers.status, 200, teachers.text);
		const students = await c.get(`/api/v1/schools/${sid}/slips`);
		assert.equal(students.status, 200, students.text);
		for (const x of [...teachers.json, ...students.json.flatMap((slip) => slip.parents)])
			if (x.login === phone && x.initial_password)
				slipSeen.set(phone, x.initial_password);
	}
	return slipSeen.get(phone) ?? null;
}

async function login(loginName, password = PW) {
	const c = server.client();
	const r = await c.login(loginName, password);
	assert.equal(r.status, 200, `login ${loginName}: ${r.status} ${r.text.slice(0, 300)}`);
	c.me = r.json;
	return c;
}

function assertProblem(r, status, field) {
	assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${r.text.slice(0, 400)}`);
	assert.match(r.headers.get('content-type') ?? '', PROBLEM);
	if (field !== undefined)
		assert.ok((r.json?.errors ?? []).some((e) => e.field === field),
			`the problem names field ${field}: ${r.text}`);
}

// A GET whose body is binary (the harness decodes bodies as text).
async function download(c, urlPath) {
	const res = await fetch(new URL(urlPath, server.url), {
		headers: { Cookie: c.cookieHeader() },
		redirect: 'manual',
	});
	return { status: res.status, headers: res.headers, buf: Buffer.from(await res.arrayBuffer()) };
}

// Uploads a sheet: multipart/form-data with field `file` (the default),
// or the raw body with its Content-Type when raw is true.
function upload(c, sid, kind, mode, data, { type = XLSX_TYPE, name = 'roster.xlsx', raw = false, query = '' } = {}) {
	const url = `/api/v1/schools/${sid}/imports?kind=${kind}&mode=${mode}${query}`;
	if (raw)
		return c.request('POST', url, { body: data, headers: { 'Content-Type': type } });
	const fd = new FormData();
	fd.append('file', new Blob([data], { type }), name);
	return c.request('POST', url, { body: fd });
}

async function waitJob(c, id, timeoutMs = 60000) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const r = await c.get(`/api/v1/jobs/${id}`);
		assert.equal(r.status, 200, r.text);
		if (r.json.state === 'succeeded' || r.json.state === 'failed')
			return r.json;
		assert.ok(['queued', 'running'].includes(r.json.state), r.text);
		if (Date.now() > deadline)
			throw new Error(`job ${id} still ${r.json.state}`);
		await new Promise((res) => setTimeout(res, 50));
	}
}

// Uploads a sheet and waits for its job; returns the finished job.
async function runImport(c, sid, kind, mode, data, opts) {
	const r = await upload(c, sid, kind, mode, data, opts);
	assert.equal(r.status, 202, `import ${kind} ${mode}: ${r.status} ${r.text}`);
	assert.ok(Number.isInteger(r.json.job_id), r.text);
	const job = await waitJob(c, r.json.job_id);
	assert.equal(job.id, r.json.job_id);
	for (const k of ['created', 'updated', 'unchanged'])
		assert.ok(Number.isInteger(job.result?.[k]), `result.${k}: ${JSON.stringify(job)}`);
	assert.ok(Array.isArray(job.result.errors) && Array.isArray(job.result.warnings), JSON.stringify(job));
	return job;
}

const counts = (job) => ({
	created: job.result.created,
	updated: job.result.updated,
	unchanged: job.result.unchanged,
});

// Every student of a school (any status) the client sees, through pages.
async function allStudents(c, sid, query = '') {
	const out = [];
	let cursor = null;
	for (let n = 0; n < 100; n++) {
		const r = await c.get(`/api/v1/schools/${sid}/students?limit=500${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
		assert.equal(r.status, 200, r.text);
		out.push(...r.json.items);
		cursor = r.json.next_cursor;
		if (cursor === null)
			return out;
	}
	throw new Error('too many pages');
}

async function findStudent(c, sid, name) {
	const r = await c.get(`/api/v1/schools/${sid}/students?q=${encodeURIComponent(name)}`);
	assert.equal(r.status, 200, r.text);
	const hits = r.json.items.filter((s) => s.name === name);
	assert.equal(hits.length, 1, `one student named ${name}: ${r.text}`);
	return hits[0];
}

async function classes(c, sid) {
	const r = await c.get(`/api/v1/schools/${sid}/classes`);
	assert.equal(r.status, 200, r.text);
	assert.ok(Array.isArray(r.json), r.text);
	return r.json;
}

function classId(list, grade, name) {
	const c = list.find((k) => k.grade === grade && k.name === name);
	assert.ok(c, `class ${grade}/${name} in ${JSON.stringify(list)}`);
	return c.id;
}

// The errors of a job as "row|field" strings, and the one of a row.
const errorKeys = (job) => job.result.errors.map((e) => `${e.row}|${e.field}`);
const errorAt = (job, row, field) =>
	job.result.errors.find((e) => e.row === row && (field === undefined || e.field === field));

// The number of entries in the audit chain, which `jiaxiao audit verify`
// checks whole.
function auditCount() {
	const v = jiaxiao(['audit', 'verify', '--data', server.dataDir]);
	assert.equal(v.status, 0, `audit verify: ${v.stdout}${v.stderr}`);
	const m = /intact: (\d+) entries/.exec(v.stdout);
	assert.ok(m, v.stdout);
	return Number(m[1]);
}

// The audit entries of one action [{target, detail}], read with the
// sqlite3 shell when the machine has it (scripts/install-deps.sh does
// not install it), else null: auditCount() still checks the count.
function auditEntries(action) {
	const r = spawnSync('sqlite3', ['-readonly', '-json', path.join(server.dataDir, 'jiaxiao.db'),
		`SELECT target, detail FROM audit_log WHERE action = '${action}' ORDER BY id`], { encoding: 'utf8' });
	if (r.error)
		return null;
	assert.equal(r.status, 0, r.stderr);
	return r.stdout.trim() ? JSON.parse(r.stdout) : [];
}

// ---- shared state, filled in as the tests go ----------------------------

const ids = {};
const ID1 = idNumber('43010420190301011');
const ID2 = idNumber('43010420190302022');
const ID_X = idNumberX('43010420190415');
const ID_MOVE = idNumber('43010420120315103');
const ID_REVEAL = idNumber('43010420190505055');

// ---- classes ------------------------------------------------------------

test('classes: list, add, batch all or nothing, edit, delete', async () => {
	const admin = await login(SCHOOL_ADMIN);
	let list = await classes(admin, S1);
	assert.equal(list.length, 3);
	const c11 = list.find((c) => c.grade === 1 && c.name === '1班');
	assert.equal(c11.student_count, 3);
	assert.equal(c11.head_teacher.name, '王芳');
	assert.ok(Number.isInteger(c11.head_teacher.id));
	assert.equal(list.find((c) => c.grade === 1 && c.name === '2班').head_teacher, null);
	ids.c11 = c11.id;
	ids.c12 = classId(list, 1, '2班');
	ids.c31 = classId(list, 3, '1班');
	ids.wang = c11.head_teacher.id;

	// One class; the same name in the grade again is a conflict.
	let r = await admin.post(`/api/v1/schools/${S1}/classes`, { grade: 2, name: '1班' });
	assert.equal(r.status, 201, r.text);
	assert.ok(Number.isInteger(r.json.id));
	assert.equal(r.json.grade, 2);
	assert.equal(r.json.name, '1班');
	assert.equal(r.json.student_count, 0);
	ids.c21 = r.json.id;
	assertProblem(await admin.post(`/api/v1/schools/${S1}/classes`, { grade: 2, name: '1班' }), 409);
	// The same name in another grade is fine (checked by the batch below).
	assertProblem(await admin.post(`/api/v1/schools/${S1}/classes`, { grade: 13, name: '1班' }), 422, 'grade');
	assertProblem(await admin.post(`/api/v1/schools/${S1}/classes`, { grade: 2 }), 422, 'name');

	// A batch with one bad class adds nothing; one with an existing
	// class adds nothing either.
	const before = await classes(admin, S1);
	r = await admin.post(`/api/v1/schools/${S1}/classes/batch`, {
		classes: [{ grade: 4, name: '1班' }, { grade: 4, name: '2班' }, { grade: 0, name: '3班' }],
	});
	assert.ok([409, 422].includes(r.status), `${r.status} ${r.text}`);
	assert.match(r.headers.get('content-type'), PROBLEM);
	assert.deepEqual(await classes(admin, S1), before);
	r = await admin.post(`/api/v1/schools/${S1}/classes/batch`, {
		classes: [{ grade: 4, name: '1班' }, { grade: 2, name: '1班' }],
	});
	assertProblem(r, 409);
	assert.deepEqual(await classes(admin, S1), before);
	r = await admin.post(`/api/v1/schools/${S1}/classes/batch`, {
		classes: [{ grade: 4, name: '1班' }, { grade: 4, name: '2班' }, { grade: '五年级', name: '1班' }],
	});
	assert.equal(r.status, 201, r.text);
	assert.ok(Array.isArray(r.json));
	assert.deepEqual(r.json.map((c) => [c.grade, c.name]), [[4, '1班'], [4, '2班'], [5, '1班']]);
	list = await classes(admin, S1);
	assert.equal(list.length, before.length + 3);

	// PATCH: rename, head teacher; a rename onto another class conflicts.
	const c42 = classId(list, 4, '2班');
	r = await admin.patch(`/api/v1/classes/${c42}`, { name: '3班' });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.name, '3班');
	assert.equal(r.json.grade, 4);
	r = await admin.patch(`/api/v1/classes/${c42}`, { head_teacher_id: ids.wang });
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(r.json.head_teacher, { id: ids.wang, name: '王芳' });
	assert.equal(r.json.name, '3班', 'a head teacher patch keeps the name');
	assertProblem(await admin.patch(`/api/v1/classes/${c42}`, { name: '1班' }), 409);
	r = await admin.patch(`/api/v1/classes/${c42}`, { head_teacher_id: null });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.head_teacher, null);
	// A student of the school is not a teacher: no head teacher.
	const zhangYiming = await findStudent(admin, S1, '张一鸣');
	assertProblem(await admin.patch(`/api/v1/classes/${c42}`, { head_teacher_id: zhangYiming.id }), 422, 'head_teacher_id');

	// DELETE: refused while the class has students; an empty one goes.
	assertProblem(await admin.del(`/api/v1/classes/${ids.c11}`), 409);
	r = await admin.del(`/api/v1/classes/${c42}`);
	assert.equal(r.status, 204, r.text);
	assert.ok(!(await classes(admin, S1)).some((c) => c.id === c42));
	assertProblem(await admin.del(`/api/v1/classes/${c42}`), 404);
	ids.c41 = classId(list, 4, '1班');
	ids.c51 = classId(list, 5, '1班');

	// Others: a teacher reads but may not change; school 2 and a parent
	// see nothing.
	const wang = await login(WANG);
	assert.equal((await wang.get(`/api/v1/schools/${S1}/classes`)).status, 200);
	assertProblem(await wang.post(`/api/v1/schools/${S1}/classes`, { grade: 6, name: '1班' }), 403);
	assertProblem(await wang.del(`/api/v1/classes/${ids.c41}`), 403);
	const other = await login(SCHOOL2_ADMIN);
	assertProblem(await other.get(`/api/v1/schools/${S1}/classes`), 404);
	assertProblem(await other.post(`/api/v1/schools/${S1}/classes`, { grade: 6, name: '1班' }), 404);
	assertProblem(await other.post(`/api/v1/schools/${S1}/classes/batch`, { classes: [{ grade: 6, name: '1班' }] }), 404);
	assertProblem(await other.patch(`/api/v1/classes/${ids.c41}`, { name: '9班' }), 404);
	assertProblem(await other.del(`/api/v1/classes/${ids.c41}`), 404);
	const parent = await login(ZHANG);
	assertProblem(await parent.post(`/api/v1/schools/${S1}/classes`, { grade: 6, name: '1班' }), 403);
	assert.equal((await classes(admin, S1)).length, list.length - 1, 'nobody else changed anything');
});

// ---- students -----------------------------------------------------------

test('students: filters, paging, scope', async () => {
	const admin = await login(SCHOOL_ADMIN);
	const all = await allStudents(admin, S1);
	assert.equal(all.length, 7, all.map((s) => s.name).join());
	const s = all.find((x) => x.name === '张一鸣');
	for (const k of ['id', 'name', 'gender', 'grade', 'class_id', 'class_name', 'account', 'status', 'national_no', 'city_no', 'id_number', 'guardians'])
		assert.ok(k in s, `a student item has ${k}: ${JSON.stringify(s)}`);
	assert.equal(s.gender, '男');
	assert.equal(s.grade, 1);
	assert.equal(s.class_id, ids.c11);
	assert.equal(s.class_name, '一年级1班');
	assert.equal(s.status, 'in_school');
	assert.equal(s.national_no, 'G430***********0011', 'a G number is masked like the ID number in it');
	assert.match(s.account.login, /^\d{8,9}$/);
	assert.deepEqual(s.guardians.map((g) => [g.name, g.phone, g.relation]), [['张伟', ZHANG, '父亲']]);

	// Pages of 2: every student once, in order, next_cursor null at the end.
	const seen = [];
	let cursor = null;
	let pages = 0;
	do {
		const r = await admin.get(`/api/v1/schools/${S1}/students?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
		assert.equal(r.status, 200, r.text);
		assert.ok(r.json.items.length <= 2);
		assert.ok('next_cursor' in r.json);
		seen.push(...r.json.items.map((x) => x.id));
		cursor = r.json.next_cursor;
		pages++;
		assert.ok(cursor === null || typeof cursor === 'string', r.text);
	} while (cursor !== null && pages < 20);
	assert.equal(pages, 4);
	assert.deepEqual(seen, all.map((x) => x.id));
	assert.equal(new Set(seen).size, seen.length);

	// Filters.
	let r = await admin.get(`/api/v1/schools/${S1}/students?class_id=${ids.c11}`);
	assert.deepEqual(r.json.items.map((x) => x.name).sort(), ['张一鸣', '李思涵', '王子轩'].sort());
	assert.equal(r.json.next_cursor, null);
	r = await admin.get(`/api/v1/schools/${S1}/students?q=${encodeURIComponent('陈小')}`);
	assert.deepEqual(r.json.items.map((x) => x.name).sort(), ['陈小阳', '陈小雨'].sort());
	r = await admin.get(`/api/v1/schools/${S1}/students?q=G430104201905010011`);
	assert.deepEqual(r.json.items.map((x) => x.name), ['张一鸣']);
	r = await admin.get(`/api/v1/schools/${S1}/students?status=in_school`);
	assert.equal(r.json.items.length, 7);
	r = await admin.get(`/api/v1/schools/${S1}/students?status=left`);
	assert.deepEqual(r.json.items, []);

	// GET one.
	r = await admin.get(`/api/v1/students/${s.id}`);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.id, s.id);
	assert.equal(r.json.name, '张一鸣');
	ids.zhangYiming = s.id;
	ids.sun = all.find((x) => x.name === '孙浩然').id; // 三年级1班

	// A teacher sees the students of the classes they teach or head.
	const wang = await login(WANG);
	const mine = await allStudents(wang, S1);
	assert.ok(mine.length > 0);
	assert.ok(mine.every((x) => [ids.c11, ids.c12].includes(x.class_id)), JSON.stringify(mine.map((x) => x.class_name)));
	assert.equal(mine.length, all.filter((x) => [ids.c11, ids.c12].includes(x.class_id)).length);
	assert.equal((await wang.get(`/api/v1/students/${ids.zhangYiming}`)).status, 200);
	assertProblem(await wang.get(`/api/v1/students/${ids.sun}`), 404);
	// A teacher of another school's class sees nothing of school 1.
	const other = await login(SCHOOL2_ADMIN);
	assertProblem(await other.get(`/api/v1/schools/${S1}/students`), 404);
	assertProblem(await other.get(`/api/v1/students/${ids.zhangYiming}`), 404);
	assertProblem(await other.patch(`/api/v1/students/${ids.zhangYiming}`, { class_id: ids.c12 }), 404);
	assertProblem(await other.post(`/api/v1/students/${ids.zhangYiming}/leave`, { reason: 'x' }), 404);
	assert.equal((await other.get(`/api/v1/schools/${S2}/students`)).status, 200);
	// A parent: no list, their child only.
	const parent = await login(ZHANG);
	assertProblem(await parent.get(`/api/v1/schools/${S1}/students`), 404);
	assert.equal((await parent.get(`/api/v1/students/${ids.zhangYiming}`)).status, 200);
	assertProblem(await parent.get(`/api/v1/students/${ids.sun}`), 404);
	// Not logged in.
	assert.equal((await server.request('GET', `/api/v1/schools/${S1}/students`)).status, 401);
});

test('students: add one, masked ID number, reveal with a reason, move', async () => {
	const admin = await login(SCHOOL_ADMIN);
	let r = await admin.post(`/api/v1/schools/${S1}/students`, {
		name: '苏小禾',
		gender: '女',
		grade: 1,
		class: '2班',
		id_number: ID_REVEAL,
		national_no: 'G2026REVEAL1',
		guardian1_name: '苏大山',
		guardian1_phone: '13700008001',
		guardian1_relation: '父亲',
	});
	assert.equal(r.status, 201, r.text);
	const id = r.json.id;
	assert.ok(Number.isInteger(id));
	assert.equal(r.json.class_id, ids.c12);
	assert.match(r.json.id_number, MASKED);
	assert.equal(r.json.id_number, masked(ID_REVEAL));
	assert.ok(!r.text.includes(ID_REVEAL), 'the clear ID number is never listed');
	assert.deepEqual(r.json.guardians.map((g) => [g.name, g.phone, g.relation]), [['苏大山', '13700008001', '父亲']]);
	ids.su = id;

	r = await admin.get(`/api/v1/students/${id}`);
	assert.equal(r.json.id_number, masked(ID_REVEAL));
	r = await admin.get(`/api/v1/schools/${S1}/students?q=${encodeURIComponent('苏小禾')}`);
	assert.equal(r.json.items[0].id_number, masked(ID_REVEAL));
	assert.ok(!r.text.includes(ID_REVEAL));
	// Found by the whole ID number, not by a part of it.
	r = await admin.get(`/api/v1/schools/${S1}/students?q=${ID_REVEAL}`);
	assert.deepEqual(r.json.items.map((x) => x.id), [id]);
	r = await admin.get(`/api/v1/schools/${S1}/students?q=${ID_REVEAL.slice(0, 14)}`);
	assert.ok(!r.json.items.some((x) => x.id === id), 'a part of an ID number finds nothing');

	// Invalid input: 422 naming the field; a taken number: 409.
	assertProblem(await admin.post(`/api/v1/schools/${S1}/students`, { name: '错', gender: '男', grade: 1, class: '2班', id_number: ID_REVEAL.slice(0, 17) + (ID_REVEAL[17] === '0' ? '1' : '0') }), 422, 'id_number');
	assertProblem(await admin.post(`/api/v1/schools/${S1}/students`, { name: '错', gender: '不详', grade: 1, class: '2班' }), 422, 'gender');
	assertProblem(await admin.post(`/api/v1/schools/${S1}/students`, { name: '错', gender: '男', grade: 1, class: '8班' }), 422, 'class');
	assertProblem(await admin.post(`/api/v1/schools/${S1}/students`, { gender: '男', grade: 1, class: '2班' }), 422, 'name');
	assertProblem(await admin.post(`/api/v1/schools/${S1}/students`, { name: '错', gender: '男', class_id: ids.c12, guardian1_name: '某', guardian1_phone: '12345' }), 422, 'guardian1_phone');
	// The same student again (same ID number) is no second student.
	r = await admin.post(`/api/v1/schools/${S1}/students`, { name: '苏小禾', gender: '女', class_id: ids.c12, id_number: ID_REVEAL });
	assert.ok([200, 409].includes(r.status), r.text);
	r = await admin.get(`/api/v1/schools/${S1}/students?q=${ID_REVEAL}`);
	assert.deepEqual(r.json.items.map((x) => x.id), [id]);
	// Another student may not take the number.
	r = await admin.post(`/api/v1/schools/${S1}/students`, { name: '苏小禾的同桌', gender: '男', class_id: ids.c12 });
	assert.equal(r.status, 201, r.text);
	assertProblem(await admin.patch(`/api/v1/students/${r.json.id}`, { id_number: ID_REVEAL }), 409, 'id_number');
	assertProblem(await admin.patch(`/api/v1/students/${r.json.id}`, { national_no: 'G2026REVEAL1' }), 409, 'national_no');
	assertProblem(await admin.request('POST', `/api/v1/schools/${S1}/students`, { body: '{"name":', headers: { 'Content-Type': 'application/json' } }), 400);

	// Reveal: the school admin with a reason, audit-logged (the reason,
	// never the number).
	const wang = await login(WANG); // before counting: logins are audited too
	const auditedBefore = auditCount();
	const audited = auditEntries('roster.id_number_revealed');
	r = await admin.get(`/api/v1/students/${id}?reveal=id_number&reason=${encodeURIComponent('核对学籍信息')}`);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.id_number, ID_REVEAL);
	assert.equal(auditCount(), auditedBefore + 1, 'the reveal is audited');
	const entries = auditEntries('roster.id_number_revealed');
	if (entries !== null) {
		assert.equal(entries.length, audited.length + 1);
		const last = entries.at(-1);
		assert.equal(last.target, String(id));
		assert.match(last.detail, /核对学籍信息/);
		assert.ok(!last.detail.includes(ID_REVEAL), 'the audit keeps the reason, not the number');
	}
	// Without a reason: 422; a teacher: 403, even for a student they see.
	assertProblem(await admin.get(`/api/v1/students/${id}?reveal=id_number`), 422, 'reason');
	assertProblem(await admin.get(`/api/v1/students/${id}?reveal=id_number&reason=`), 422, 'reason');
	r = await wang.get(`/api/v1/students/${id}`);
	assert.equal(r.status, 200, 'the teacher of 一年级2班 sees the student');
	assert.equal(r.json.id_number, masked(ID_REVEAL));
	r = await wang.get(`/api/v1/students/${id}?reveal=id_number&reason=${encodeURIComponent('核对学籍信息')}`);
	assertProblem(r, 403);
	assert.ok(!r.text.includes(ID_REVEAL));
	assert.equal(auditCount(), auditedBefore + 1, 'refused reveals audit nothing');

	// PATCH class_id moves the student.
	r = await admin.patch(`/api/v1/students/${id}`, { class_id: ids.c11 });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.class_id, ids.c11);
	assert.equal(r.json.class_name, '一年级1班');
	r = await admin.get(`/api/v1/schools/${S1}/students?class_id=${ids.c11}`);
	assert.ok(r.json.items.some((x) => x.id === id));
	r = await admin.get(`/api/v1/schools/${S1}/students?class_id=${ids.c12}`);
	assert.ok(!r.json.items.some((x) => x.id === id));
	r = await admin.patch(`/api/v1/students/${id}`, { name: '苏小荷' });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.name, '苏小荷');
	assert.equal(r.json.class_id, ids.c11, 'a rename keeps the class');
	assert.equal(r.json.id_number, masked(ID_REVEAL), 'and the ID number');
	// A class of another school is not a class here.
	const s2classes = await classes(await login(SCHOOL2_ADMIN), S2);
	assertProblem(await admin.patch(`/api/v1/students/${id}`, { class_id: s2classes[0].id }), 422, 'class_id');
	// The class list counts the move.
	const list = await classes(admin, S1);
	assert.equal(list.find((c) => c.id === ids.c11).student_count, 4);
});

test('students: leaving ends the student\'s and the parents\' identities', async () => {
	const admin = await login(SCHOOL_ADMIN);
	// A student with a new parent, and a second child of that parent.
	let r = await admin.post(`/api/v1/schools/${S1}/students`, {
		name: '离小校', gender: '男', class_id: ids.c31,
		guardian1_name: '离大人', guardian1_phone: '13700006001', guardian1_relation: '父亲',
	});
	assert.equal(r.status, 201, r.text);
	const leaving = r.json;
	r = await admin.post(`/api/v1/schools/${S1}/students`, {
		name: '留小校', gender: '女', class_id: ids.c31,
		guardian1_name: '离大人', guardian1_phone: '13700006001', guardian1_relation: '父亲',
	});
	assert.equal(r.status, 201, r.text);
	const staying = r.json;
	assert.equal(leaving.guardians[0].person_id, staying.guardians[0].person_id, 'one parent for both');

	// The parent's account: the phone, the slip's password, two children.
	const parent = await login('13700006001', await slipPassword('13700006001'));
	assert.equal(parent.me.account.must_change_password, true);
	r = await parent.put('/api/v1/me/password', { old_password: await slipPassword('13700006001'), new_password: 'Parent2026a' });
	assert.equal(r.status, 204, r.text);
	const kids = parent.me.identities.filter((i) => i.role === 'parent').map((i) => i.student_id).sort();
	assert.deepEqual(kids, [leaving.id, staying.id].sort());
	// The student's own account.
	const slips = await admin.get(`/api/v1/schools/${S1}/slips?class_id=${ids.c31}`);
	const slip = slips.json.find((x) => x.student_id === leaving.id);
	assert.equal(typeof slip.initial_password, 'string');
	const student = await login(leaving.account.login, slip.initial_password);
	assert.ok(student.me.identities.some((i) => i.role === 'student'));

	// Leave: 204, status left, data kept.
	r = await admin.post(`/api/v1/students/${leaving.id}/leave`, { reason: '转学' });
	assert.equal(r.status, 204, r.text);
	r = await admin.get(`/api/v1/students/${leaving.id}`);
	assert.equal(r.status, 200);
	assert.equal(r.json.status, 'left');
	assert.equal(r.json.name, '离小校');
	assert.equal(r.json.guardians.length, 1, 'the guardian record stays');
	r = await admin.get(`/api/v1/schools/${S1}/students?status=left`);
	assert.deepEqual(r.json.items.map((x) => x.id), [leaving.id]);
	r = await admin.get(`/api/v1/schools/${S1}/students?status=in_school`);
	assert.ok(!r.json.items.some((x) => x.id === leaving.id));
	assertProblem(await admin.post(`/api/v1/students/${leaving.id}/leave`, { reason: '转学' }), 409);
	assertProblem(await admin.patch(`/api/v1/students/${leaving.id}`, { class_id: ids.c11 }), 409);
	// The parent keeps the other child only; the student acts no more.
	const again = await login('13700006001', 'Parent2026a');
	assert.deepEqual(again.me.identities.filter((i) => i.role === 'parent').map((i) => i.student_id), [staying.id]);
	r = await parent.get('/api/v1/me');
	if (r.status === 200)
		assert.ok(!r.json.identities.some((i) => i.student_id === leaving.id), r.text);
	else
		assert.equal(r.status, 401);
	assertProblem(await again.get(`/api/v1/students/${leaving.id}`), 404);
	const gone = await login(leaving.account.login, slip.initial_password);
	assert.ok(!gone.me.identities.some((i) => i.role === 'student' || i.student_id === leaving.id), JSON.stringify(gone.me));
	// Slips list in-school students only.
	r = await admin.get(`/api/v1/schools/${S1}/slips?class_id=${ids.c31}`);
	assert.ok(!r.json.some((x) => x.student_id === leaving.id));
	// Only the school's admins: a teacher of the class may not.
	const chen = await login(CHEN);
	assertProblem(await chen.post(`/api/v1/students/${staying.id}/leave`, { reason: 'x' }), 403);
	ids.staying = staying.id;
});

// ---- teachers -----------------------------------------------------------

test('teachers: list, add, leave', async () => {
	const admin = await login(SCHOOL_ADMIN);
	let r = await admin.get(`/api/v1/schools/${S1}/teachers`);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.next_cursor, null);
	const wang = r.json.items.find((t) => t.phone === WANG);
	assert.equal(wang.name, '王芳');
	assert.equal(wang.status, 'in_school');
	assert.equal(wang.account.login, WANG);
	assert.deepEqual([...wang.class_ids].sort(), [ids.c11, ids.c12].sort());
	assert.deepEqual(wang.head_of_class_ids, [ids.c11]);
	for (const k of ['id', 'name', 'phone', 'gender', 'subject', 'account', 'class_ids', 'head_of_class_ids', 'status'])
		assert.ok(k in wang, `a teacher item has ${k}`);

	r = await admin.post(`/api/v1/schools/${S1}/teachers`, {
		name: '韩老师', phone: '13700007001', gender: '男', subject: '体育', class_ids: [ids.c31],
	});
	assert.equal(r.status, 201, r.text);
	const han = r.json;
	assert.ok(Number.isInteger(han.id));
	assert.deepEqual(han.class_ids, [ids.c31]);
	assert.equal(han.account.login, '13700007001');
	assertProblem(await admin.post(`/api/v1/schools/${S1}/teachers`, { name: '坏', phone: '2370000700' }), 422, 'phone');
	assertProblem(await admin.post(`/api/v1/schools/${S1}/teachers`, { phone: '13700007009' }), 422, 'name');
	// The new teacher logs in with the initial password of their slip
	// and sees the class.
	let t = await login('13700007001', await slipPassword('13700007001'));
	assert.equal(t.me.account.must_change_password, true);
	const ident = t.me.identities.find((i) => i.role === 'teacher');
	assert.equal(ident.school_id, S1);
	assert.deepEqual(ident.class_ids, [ids.c31]);
	// Paging and search.
	r = await admin.get(`/api/v1/schools/${S1}/teachers?q=${encodeURIComponent('韩')}`);
	assert.deepEqual(r.json.items.map((x) => x.id), [han.id]);
	r = await admin.get(`/api/v1/schools/${S1}/teachers?limit=1`);
	assert.equal(r.json.items.length, 1);
	assert.notEqual(r.json.next_cursor, null);

	// Scope: school 2 sees nothing; a parent sees nothing; a teacher may
	// not add.
	assertProblem(await (await login(SCHOOL2_ADMIN)).get(`/api/v1/schools/${S1}/teachers`), 404);
	assertProblem(await (await login(ZHANG)).get(`/api/v1/schools/${S1}/teachers`), 404);
	assertProblem(await (await login(WANG)).post(`/api/v1/schools/${S1}/teachers`, { name: '某', phone: '13700007002' }), 403);
	assertProblem(await (await login(SCHOOL2_ADMIN)).post(`/api/v1/teachers/${han.id}/leave`), 404);

	// Leave.
	r = await admin.post(`/api/v1/teachers/${han.id}/leave`);
	assert.equal(r.status, 204, r.text);
	r = await admin.get(`/api/v1/schools/${S1}/teachers?q=${encodeURIComponent('韩')}`);
	assert.equal(r.json.items[0].status, 'left');
	assert.deepEqual(r.json.items[0].class_ids, []);
	// The session opened as the teacher ended with the identity (the
	// host's teacher_leave deletes it).
	assertProblem(await t.get('/api/v1/me'), 401);
	t = await login('13700007001', await slipPassword('13700007001'));
	assert.ok(!t.me.identities.some((i) => i.role === 'teacher'), JSON.stringify(t.me.identities));
	assertProblem(await admin.post(`/api/v1/teachers/${han.id}/leave`), 409);
});

// ---- imports ------------------------------------------------------------

// A school's sheet as schools make them: a merged title row, a notes row,
// a blank row, then the header (with a 序号 column and a 备注 column the
// importer does not know), blank rows between students, stray spaces,
// full-width digits and spaces, a lower-case x — and five bad rows.
function untidySheet() {
	const header = ['序号', ...STUDENT_HEADER, '备注'];
	const row = (n, values) => {
		const r = [n];
		for (const h of STUDENT_HEADER)
			r.push(values[h] ?? null);
		return r;
	};
	const rows = [];
	rows[0] = ['岳麓区第一实验小学2026级新生名单'];
	rows[1] = ['填表人：李敏', null, null, '日期：2026年3月1日'];
	// row 3 blank
	rows[3] = header;
	rows[4] = row(1, { 姓名: ' 郑小北　', 性别: '男', 年级: '一年级', 班级: '２班', 身份证号: ID_X.toLowerCase(), 家长1姓名: '郑大北', 家长1手机: '13700002005', 家长1关系: '父亲' });
	// row 6 blank
	rows[6] = row(2, { 姓名: '周小西 ', 性别: ' 女 ', 年级: '三年级', 班级: '1班', 家长1姓名: '周爸爸', 家长1手机: '１３７００００２００７', 家长1关系: '父亲' });
	rows[7] = row(3, { 姓名: '吴小错', 性别: '男生', 年级: '一年级', 班级: '1班' });
	rows[8] = row(4, { 姓名: '钱小错', 性别: '女', 年级: '一年级', 班级: '9班' });
	rows[9] = row(5, { 姓名: '孙小错', 性别: '男', 年级: '一年级', 班级: '1班', 身份证号: 430104201203151000 });
	rows[10] = row(6, { 姓名: '李小错', 性别: '女', 年级: '一年级', 班级: '1班', 家长1姓名: '李妈妈', 家长1手机: '1370000201', 家长1关系: '母亲' });
	rows[11] = row(7, { 姓名: '赵小重', 性别: '男', 年级: '1', 班级: '1班', 全国学籍号: 'G2026000099' });
	rows[12] = row(8, { 姓名: '赵小重二', 性别: '男', 年级: '1', 班级: '1班', 全国学籍号: 'G2026000099' });
	rows[13] = null;
	// a row of spaces only counts as blank
	rows[14] = [null, null, '  ', '　'];
	return xlsx(rows, { merges: ['A1:O1'], sharedStrings: true });
}

test('imports: an untidy sheet, dry run, a failed commit that writes nothing', async () => {
	const admin = await login(SCHOOL_ADMIN);
	const sheet = untidySheet();
	const dry = await runImport(admin, S1, 'students', 'dry-run', sheet);
	assert.equal(dry.state, 'succeeded', JSON.stringify(dry));
	assert.equal(dry.kind, 'roster.import');
	assert.deepEqual(counts(dry), { created: 3, updated: 0, unchanged: 0 }, JSON.stringify(dry.result));
	// Each bad row, with the row number Excel shows and the column's
	// header as the sheet has it.
	assert.deepEqual(errorKeys(dry).sort(), ['8|性别', '9|班级', '10|身份证号', '11|家长1手机', '13|全国学籍号'].sort(), JSON.stringify(dry.result.errors));
	assert.match(errorAt(dry, 9).message, /一年级9班/);
	assert.match(errorAt(dry, 10).message, /文本/, 'an ID number stored as a number: format the column as text');
	assert.match(errorAt(dry, 13).message, /12/, 'a duplicate names the first row');
	for (const e of dry.result.errors)
		assert.ok(typeof e.message === 'string' && e.message.length > 5);
	// The unknown columns are warnings on the header row.
	const warned = dry.result.warnings.filter((w) => w.row === 4).map((w) => w.field).sort();
	assert.deepEqual(warned, ['备注', '序号'].sort(), JSON.stringify(dry.result.warnings));
	// One language per message (issue 13): the job stores both, and
	// GET /api/v1/jobs/{id} gives "message" in the reader's language only
	// (Chinese by default, English for ?lang=en), with no message_en.
	// Sheet values quoted in an English message (a class, a column) are
	// Chinese by nature and are taken out before the check.
	const values = /[一二三四五六七八九]年级\d+班|“[^”]*”/g;
	const issues = (job) => [...job.result.errors, ...job.result.warnings];
	assert.equal(issues(dry).length, 7, JSON.stringify(dry.result));
	for (const e of issues(dry)) {
		assert.equal(e.message_en, undefined, JSON.stringify(e));
		assert.match(e.message, /[\u4e00-\u9fff]/, `Chinese: ${e.message}`);
		assert.doesNotMatch(e.message, /[A-Za-z]{2}/, `Chinese only: ${e.message}`);
	}
	const en = await admin.get(`/api/v1/jobs/${dry.id}?lang=en`);
	assert.equal(en.status, 200, en.text);
	assert.deepEqual(errorKeys(en.json), errorKeys(dry), 'the same errors, in English');
	for (const e of issues(en.json)) {
		assert.equal(e.message_en, undefined, JSON.stringify(e));
		assert.match(e.message, /[A-Za-z]{3}/, `English: ${e.message}`);
		assert.doesNotMatch(e.message.replace(values, ''), /[\u3000-\u9fff\uff00-\uffef]/, `English only: ${e.message}`);
	}
	assert.match(errorAt(en.json, 9).message, /^the class 一年级9班 does not exist/);
	assert.match(errorAt(en.json, 13).message, /^the same as row 12$/);
	// A dry run writes nothing.
	const before = await allStudents(admin, S1);
	const classesBefore = await classes(admin, S1);
	assert.ok(!before.some((s) => s.name === '郑小北'));

	// A commit of the same sheet fails and writes nothing: no student, no
	// parent account.
	const commit = await runImport(admin, S1, 'students', 'commit', sheet);
	assert.equal(commit.state, 'failed', JSON.stringify(commit));
	assert.deepEqual(errorKeys(commit).sort(), errorKeys(dry).sort());
	assert.deepEqual(await allStudents(admin, S1), before);
	assert.deepEqual(await classes(admin, S1), classesBefore);
	assert.equal(await slipPassword('13700002005'), null, 'no parent account was made');

	// The same sheet without the bad rows commits, values normalised.
	const fixed = xlsx([
		['岳麓区第一实验小学2026级新生名单'],
		null,
		['序号', ...STUDENT_HEADER, '备注'],
		[1, ' 郑小北　', '男', '一年级', '２班', ID_X.toLowerCase(), null, null, '郑大北', '13700002005', '父亲'],
		null,
		[2, '周小西 ', ' 女 ', '三年级', '1班', null, null, null, '周爸爸', '１３７００００２００７', '父亲'],
	], { merges: ['A1:O1'] });
	const ok = await runImport(admin, S1, 'students', 'commit', fixed);
	assert.equal(ok.state, 'succeeded', JSON.stringify(ok));
	assert.deepEqual(ok.result.errors, []);
	assert.deepEqual(counts(ok), { created: 2, updated: 0, unchanged: 0 });
	const zheng = await findStudent(admin, S1, '郑小北');
	assert.equal(zheng.class_id, ids.c12);
	assert.equal(zheng.gender, '男');
	assert.equal(zheng.id_number, masked(ID_X), 'the x is an X');
	const zhou = await findStudent(admin, S1, '周小西');
	assert.equal(zhou.gender, '女');
	assert.equal(zhou.class_id, ids.c31);
	assert.deepEqual(zhou.guardians.map((g) => g.phone), ['13700002007'], 'full-width digits are digits');
	const p = await login('13700002007', await slipPassword('13700002007'));
	assert.deepEqual(p.me.identities.map((i) => i.student_id), [zhou.id]);
	const after = await allStudents(admin, S1);
	assert.equal(after.length, before.length + 2);
});

// The clean sheet: a parent of two (one phone on two rows), a teacher
// who is a parent, two parents of one child, a grade written as a digit.
function cleanRows() {
	return [
		STUDENT_HEADER,
		['林小东', '男', '一年级', '2班', ID1, 'G2026000001', 'C001', '林大海', '13700001001', '父亲', '王丽', '13700001002', '母亲'],
		['林小南', '女', '一年级', '1班', ID2, 'G2026000002', null, '林大海', '13700001001', '父亲'],
		['何悦', '女', '三年级', '1班', null, 'G2026000003', null, '王芳', WANG, '母亲'],
		['宋佳', '女', '1', '2班', null, null, null, '宋强', '13700001004', '父亲'],
	];
}

test('imports: a clean commit creates students, parents and accounts; a re-import creates nothing; a new class moves', async () => {
	const admin = await login(SCHOOL_ADMIN);
	const before = await allStudents(admin, S1);
	const dry = await runImport(admin, S1, 'students', 'dry-run', xlsx(cleanRows()));
	assert.equal(dry.state, 'succeeded');
	assert.deepEqual(dry.result.errors, []);
	assert.deepEqual(counts(dry), { created: 4, updated: 0, unchanged: 0 });
	assert.deepEqual(await allStudents(admin, S1), before, 'the dry run wrote nothing');

	// Sent as the raw body this time.
	const job = await runImport(admin, S1, 'students', 'commit', xlsx(cleanRows(), { sharedStrings: true }), { raw: true });
	assert.equal(job.state, 'succeeded', JSON.stringify(job));
	assert.deepEqual(job.result.errors, []);
	assert.deepEqual(counts(job), { created: 4, updated: 0, unchanged: 0 });
	assert.equal(job.progress.done, job.progress.total);
	const after = await allStudents(admin, S1);
	assert.equal(after.length, before.length + 4);
	const dong = after.find((s) => s.name === '林小东');
	const nan = after.find((s) => s.name === '林小南');
	const he = after.find((s) => s.name === '何悦');
	assert.equal(dong.class_id, ids.c12);
	assert.equal(dong.national_no, 'G2026000001');
	assert.equal(dong.city_no, 'C001');
	assert.equal(dong.id_number, masked(ID1));
	assert.match(dong.account.login, /^\d{8,9}$/);
	assert.deepEqual(dong.guardians.map((g) => [g.name, g.phone, g.relation]),
		[['林大海', '13700001001', '父亲'], ['王丽', '13700001002', '母亲']]);
	assert.equal(nan.class_id, ids.c11);
	assert.equal(after.find((s) => s.name === '宋佳').grade, 1);
	ids.dong = dong.id;
	ids.nan = nan.id;
	ids.he = he.id;

	// One account for the parent of two, with a parent identity each.
	const lin = await login('13700001001', await slipPassword('13700001001'));
	assert.equal(lin.me.account.login, '13700001001');
	assert.deepEqual(lin.me.identities.filter((i) => i.role === 'parent').map((i) => i.student_id).sort(), [dong.id, nan.id].sort());
	assert.equal(dong.guardians[0].person_id, nan.guardians[0].person_id);
	const linIdent = lin.me.identities.find((i) => i.student_id === nan.id);
	assert.equal(linIdent.class_id, ids.c11);
	assert.equal(linIdent.school_id, S1);
	// The teacher who is a parent: the same account, both identities,
	// the teacher's password unchanged.
	const wang = await login(WANG);
	assert.equal(wang.me.account.login, WANG);
	assert.ok(wang.me.identities.some((i) => i.role === 'teacher' && i.school_id === S1));
	assert.ok(wang.me.identities.some((i) => i.role === 'parent' && i.student_id === he.id), JSON.stringify(wang.me.identities));
	assert.equal(he.guardians[0].phone, WANG);
	assert.equal(he.guardians[0].name, '王芳');
	assert.equal((await admin.get(`/api/v1/schools/${S1}/teachers`)).json.items.filter((t) => t.phone === WANG).length, 1);

	// Re-importing the same sheet creates nothing.
	const again = await runImport(admin, S1, 'students', 'commit', xlsx(cleanRows()));
	assert.equal(again.state, 'succeeded', JSON.stringify(again));
	assert.deepEqual(counts(again), { created: 0, updated: 0, unchanged: 4 });
	assert.deepEqual(await allStudents(admin, S1), after);
	assert.deepEqual((await login('13700001001', await slipPassword('13700001001'))).me.identities.length, 2);

	// A changed 班级 moves the student: one updated, same person.
	const moved = cleanRows();
	moved[2][3] = '2班';
	const move = await runImport(admin, S1, 'students', 'commit', xlsx(moved));
	assert.equal(move.state, 'succeeded', JSON.stringify(move));
	assert.deepEqual(counts(move), { created: 0, updated: 1, unchanged: 3 });
	const nan2 = await findStudent(admin, S1, '林小南');
	assert.equal(nan2.id, nan.id);
	assert.equal(nan2.class_id, ids.c12);
	assert.equal(nan2.account.login, nan.account.login);
	const lin2 = await login('13700001001', await slipPassword('13700001001'));
	assert.equal(lin2.me.identities.find((i) => i.student_id === nan.id).class_id, ids.c12,
		'the parent identity follows the class');

	// A sheet row that finds its student by name, grade and class only
	// (no numbers) is the same student too.
	const byName = await runImport(admin, S1, 'students', 'dry-run', xlsx([
		['姓名', '性别', '年级', '班级'],
		['宋佳', '女', '一年级', '2班'],
	]));
	assert.deepEqual(counts(byName), { created: 0, updated: 0, unchanged: 1 });
});

test('imports: a student in school elsewhere is an error that names nothing of that school; one who left transfers', async () => {
	const admin = await login(SCHOOL_ADMIN);
	const other = await login(SCHOOL2_ADMIN);
	const s2classes = await classes(other, S2);
	let r = await other.post(`/api/v1/schools/${S2}/students`, {
		name: '钟离', gender: '男', class_id: s2classes[0].id, id_number: ID_MOVE, national_no: 'G2026000100',
		guardian1_name: '钟大人', guardian1_phone: '13700009001', guardian1_relation: '父亲',
	});
	assert.equal(r.status, 201, r.text);
	const zhong = r.json;
	const s2name = '岳麓区第二中学';
	const s2class = s2classes[0].full_name ?? '七年级1班';

	const rows = [
		['姓名', '性别', '年级', '班级', '身份证号', '全国学籍号'],
		['钟离', '男', '三年级', '1班', ID_MOVE, 'G2026000100'],
	];
	const dry = await runImport(admin, S1, 'students', 'dry-run', xlsx(rows));
	assert.equal(dry.state, 'succeeded');
	assert.equal(dry.result.errors.length, 1, JSON.stringify(dry.result));
	assert.equal(dry.result.errors[0].row, 2);
	assert.ok(['全国学籍号', '身份证号'].includes(dry.result.errors[0].field), JSON.stringify(dry.result.errors));
	const text = JSON.stringify(dry);
	for (const leak of [s2name, '第二中学', s2class, '七年级', '赵磊', '钟大人', '13700009001'])
		assert.ok(!text.includes(leak), `the error reveals nothing of school 2 (${leak}): ${text}`);
	// Matched by the ID number alone, the same.
	const byId = await runImport(admin, S1, 'students', 'dry-run', xlsx([rows[0], ['钟离', '男', '三年级', '1班', ID_MOVE, null]]));
	assert.equal(byId.result.errors.length, 1);
	assert.ok(!JSON.stringify(byId).includes('第二中学'));
	// The API says the same (a conflict, nothing about where).
	r = await admin.post(`/api/v1/schools/${S1}/students`, { name: '钟离', gender: '男', class_id: ids.c31, national_no: 'G2026000100' });
	assertProblem(r, 409, 'national_no');
	assert.ok(!r.text.includes('第二中学'));
	// Nothing changed at school 2.
	r = await other.get(`/api/v1/students/${zhong.id}`);
	assert.equal(r.json.status, 'in_school');

	// School 2 marks the student as left; school 1's import re-admits
	// the same person (a transfer), with the records.
	r = await other.post(`/api/v1/students/${zhong.id}/leave`, { reason: '转学' });
	assert.equal(r.status, 204, r.text);
	const job = await runImport(admin, S1, 'students', 'commit', xlsx(rows));
	assert.equal(job.state, 'succeeded', JSON.stringify(job));
	assert.equal(job.result.created, 0, 'a transfer creates no new person');
	assert.equal(job.result.updated, 1);
	r = await admin.get(`/api/v1/students/${zhong.id}`);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.id, zhong.id);
	assert.equal(r.json.status, 'in_school');
	assert.equal(r.json.class_id, ids.c31);
	assert.equal(r.json.school_id ?? S1, S1);
	assert.equal(r.json.account.login, zhong.account.login, 'the same account');
	assert.deepEqual(r.json.guardians.map((g) => g.phone), ['13700009001'], 'the records come along');
	assert.equal((await findStudent(admin, S1, '钟离')).id, zhong.id);
	// School 2 no longer sees the student; its list has them no more.
	assertProblem(await other.get(`/api/v1/students/${zhong.id}`), 404);
	assert.ok(!(await allStudents(other, S2)).some((s) => s.id === zhong.id));
	// The parent acts for the child at the new school.
	const parent = await login('13700009001', await slipPassword('13700009001'));
	const ident = parent.me.identities.find((i) => i.student_id === zhong.id);
	assert.ok(ident, JSON.stringify(parent.me.identities));
	assert.equal(ident.school_id, S1);
});

test('imports: namesakes, one ID number twice, a removed binding stays removed', async () => {
	const admin = await login(SCHOOL_ADMIN);
	// Two children of one name in one class, each with their numbers:
	// two students, neither overwrites the other.
	const A = idNumber('43010420190101001');
	const B = idNumber('43010420190202002');
	const twins = xlsx([
		['姓名', '性别', '年级', '班级', '身份证号', '全国学籍号'],
		['同名', '男', '四年级', '1班', A, 'GSAME1'],
		['同名', '女', '四年级', '1班', B, 'GSAME2'],
	]);
	let job = await runImport(admin, S1, 'students', 'commit', twins);
	assert.equal(job.state, 'succeeded', JSON.stringify(job));
	assert.deepEqual(counts(job), { created: 2, updated: 0, unchanged: 0 });
	let r = await admin.get(`/api/v1/schools/${S1}/students?class_id=${ids.c41}`);
	assert.deepEqual(r.json.items.map((s) => [s.name, s.gender, s.national_no, s.id_number]).sort(),
		[['同名', '男', 'GSAME1', masked(A)], ['同名', '女', 'GSAME2', masked(B)]].sort());
	job = await runImport(admin, S1, 'students', 'commit', twins);
	assert.deepEqual(counts(job), { created: 0, updated: 0, unchanged: 2 });

	// One ID number on two rows (its X once in lower case): the second
	// row is an error naming the first.
	const X = idNumberX('43010420190606');
	const twice = await runImport(admin, S1, 'students', 'dry-run', xlsx([
		['姓名', '性别', '年级', '班级', '身份证号'],
		['甲', '男', '一年级', '1班', X],
		['乙', '男', '一年级', '2班', X.toLowerCase()],
	]));
	assert.deepEqual(errorKeys(twice), ['3|身份证号'], JSON.stringify(twice.result));
	assert.match(twice.result.errors[0].message, /2/);

	// A binding the school removed does not come back when the student
	// leaves and is re-admitted.
	r = await admin.post(`/api/v1/schools/${S1}/students`, {
		name: '复学生', gender: '男', class_id: ids.c41, national_no: 'GBIND1',
		guardian1_name: '真家长', guardian1_phone: '13700000011', guardian1_relation: '父亲',
		guardian2_name: '错绑人', guardian2_phone: '13700000012', guardian2_relation: '其他',
	});
	assert.equal(r.status, 201, r.text);
	const st = r.json;
	assert.ok(await slipPassword('13700000012'), 'the parent\'s slip line, before the binding goes');
	const wrong = st.guardians.find((g) => g.phone === '13700000012');
	assert.equal((await admin.del(`/api/v1/students/${st.id}/guardians/${wrong.person_id}`)).status, 204);
	assert.equal((await admin.post(`/api/v1/students/${st.id}/leave`, { reason: '休学' })).status, 204);
	job = await runImport(admin, S1, 'students', 'commit', xlsx([
		['姓名', '性别', '年级', '班级', '全国学籍号'],
		['复学生', '男', '四年级', '1班', 'GBIND1'],
	]));
	assert.equal(job.state, 'succeeded', JSON.stringify(job));
	assert.deepEqual(counts(job), { created: 0, updated: 1, unchanged: 0 });
	r = await admin.get(`/api/v1/students/${st.id}`);
	assert.equal(r.json.status, 'in_school');
	assert.deepEqual(r.json.guardians.map((g) => g.phone), ['13700000011']);
	const right = await login('13700000011', await slipPassword('13700000011'));
	assert.deepEqual(right.me.identities.map((i) => i.student_id), [st.id], 'the parent acts again');
	const removed = await login('13700000012', await slipPassword('13700000012'));
	assert.deepEqual(removed.me.identities, [], 'the removed binding stays removed');
});

test('imports: teachers with their classes and head-of-class', async () => {
	const admin = await login(SCHOOL_ADMIN);
	const header = ['姓名', '手机', '性别', '学科', '任教班级', '班主任班级'];
	const bad = await runImport(admin, S1, 'teachers', 'dry-run', xlsx([
		header,
		['杨老师', '13700003001', '女', '英语', '一年级1班;一年级(2)班', '一年级2班'],
		['错老师', '13700003002', '男', '美术', '九年级9班', null],
		['错老师二', '1370000300', '男', '美术', null, null],
	]));
	assert.equal(bad.state, 'succeeded');
	assert.deepEqual(counts(bad), { created: 1, updated: 0, unchanged: 0 });
	assert.deepEqual(errorKeys(bad).sort(), ['3|任教班级', '4|手机'].sort(), JSON.stringify(bad.result.errors));

	const sheet = xlsx([
		header,
		['杨老师', '13700003001', '女', '英语', '一年级1班;一年级(2)班', '一年级2班'],
	]);
	const job = await runImport(admin, S1, 'teachers', 'commit', sheet);
	assert.equal(job.state, 'succeeded', JSON.stringify(job));
	assert.deepEqual(counts(job), { created: 1, updated: 0, unchanged: 0 });
	const t = (await admin.get(`/api/v1/schools/${S1}/teachers?q=13700003001`)).json.items[0];
	assert.equal(t.name, '杨老师');
	assert.equal(t.subject, '英语');
	assert.equal(t.gender, '女');
	assert.deepEqual([...t.class_ids].sort(), [ids.c11, ids.c12].sort());
	assert.deepEqual(t.head_of_class_ids, [ids.c12]);
	const c12 = (await classes(admin, S1)).find((c) => c.id === ids.c12);
	assert.deepEqual(c12.head_teacher, { id: t.id, name: '杨老师' });
	const yang = await login('13700003001', await slipPassword('13700003001'));
	assert.equal((await yang.put('/api/v1/me/password', { old_password: await slipPassword('13700003001'), new_password: 'Teacher2026a' })).status, 204);
	const ident = yang.me.identities.find((i) => i.role === 'teacher');
	assert.deepEqual([...ident.class_ids].sort(), [ids.c11, ids.c12].sort());
	assert.deepEqual(ident.head_of_class_ids, [ids.c12]);
	// The new teacher sees the students of those classes.
	const seen = await allStudents(yang, S1);
	assert.ok(seen.length > 0 && seen.every((s) => [ids.c11, ids.c12].includes(s.class_id)));
	// Again: unchanged.
	const again = await runImport(admin, S1, 'teachers', 'commit', sheet);
	assert.deepEqual(counts(again), { created: 0, updated: 0, unchanged: 1 });
});

test('imports: parents by the student\'s 全国学籍号 or ID number', async () => {
	const admin = await login(SCHOOL_ADMIN);
	const dry = await runImport(admin, S1, 'parents', 'dry-run', xlsx([
		['学生全国学籍号', '家长姓名', '手机', '关系'],
		['G2026000001', '林奶奶', '13700004001', '祖母'],
		['G9999999999', '无名', '13700004002', '父亲'],
		['G2026000002', '林奶奶', '1370000400', '祖母'],
	]));
	assert.equal(dry.state, 'succeeded');
	assert.deepEqual(counts(dry), { created: 1, updated: 0, unchanged: 0 });
	assert.deepEqual(errorKeys(dry).sort(), ['3|学生全国学籍号', '4|手机'].sort(), JSON.stringify(dry.result.errors));

	const job = await runImport(admin, S1, 'parents', 'commit', xlsx([
		['学生全国学籍号', '家长姓名', '手机', '关系'],
		['G2026000001', '林奶奶', '13700004001', '祖母'],
		['G2026000002', '林奶奶', '13700004001', '祖母'],
	]));
	assert.equal(job.state, 'succeeded', JSON.stringify(job));
	assert.deepEqual(counts(job), { created: 2, updated: 0, unchanged: 0 });
	let s = (await admin.get(`/api/v1/students/${ids.dong}`)).json;
	assert.ok(s.guardians.some((g) => g.name === '林奶奶' && g.phone === '13700004001' && g.relation === '祖母'), JSON.stringify(s.guardians));
	const grandma = await login('13700004001', await slipPassword('13700004001'));
	assert.deepEqual(grandma.me.identities.map((i) => i.student_id).sort(), [ids.dong, ids.nan].sort());

	// By 学生身份证号 (a lower-case x is fine there too).
	const byId = await runImport(admin, S1, 'parents', 'commit', xlsx([
		['学生身份证号', '家长姓名', '手机', '关系'],
		[ID2, '林外公', '13700004003', '外祖父'],
	]));
	assert.equal(byId.state, 'succeeded', JSON.stringify(byId));
	assert.deepEqual(counts(byId), { created: 1, updated: 0, unchanged: 0 });
	s = (await admin.get(`/api/v1/students/${ids.nan}`)).json;
	assert.ok(s.guardians.some((g) => g.phone === '13700004003' && g.relation === '外祖父'));
	// A sheet without a student column is refused as a whole.
	const none = await runImport(admin, S1, 'parents', 'dry-run', xlsx([
		['家长姓名', '手机', '关系'],
		['某', '13700004009', '父亲'],
	]));
	assert.ok(none.result.errors.length >= 1);
	assert.equal(none.result.created, 0);
});

test('imports: create_classes=1 creates a missing class', async () => {
	const admin = await login(SCHOOL_ADMIN);
	const sheet = xlsx([
		['姓名', '性别', '年级', '班级'],
		['新班生', '女', '五年级', '3班'],
	]);
	const without = await runImport(admin, S1, 'students', 'commit', sheet);
	assert.equal(without.state, 'failed');
	assert.deepEqual(errorKeys(without), ['2|班级']);
	assert.ok(!(await classes(admin, S1)).some((c) => c.grade === 5 && c.name === '3班'));
	const dry = await runImport(admin, S1, 'students', 'dry-run', sheet, { query: '&create_classes=1' });
	assert.equal(dry.state, 'succeeded');
	assert.deepEqual(dry.result.errors, []);
	assert.ok(!(await classes(admin, S1)).some((c) => c.grade === 5 && c.name === '3班'), 'a dry run creates no class');
	const job = await runImport(admin, S1, 'students', 'commit', sheet, { query: '&create_classes=1' });
	assert.equal(job.state, 'succeeded', JSON.stringify(job));
	assert.deepEqual(counts(job), { created: 1, updated: 0, unchanged: 0 });
	const c = (await classes(admin, S1)).find((k) => k.grade === 5 && k.name === '3班');
	assert.ok(c, 'the class was created');
	assert.equal(c.student_count, 1);
	assert.equal((await findStudent(admin, S1, '新班生')).class_id, c.id);
});

test('a school\'s stage limits its classes: API, batch, edit, form and imports', async () => {
	// School 2 is a junior school (七年级…九年级).
	const admin = await login(SCHOOL2_ADMIN);
	const before = (await classes(admin, S2)).length;
	// The message in the request's language only (issue 13).
	const gradeError = (r, re = /^本校学段只有七年级至九年级$/) => {
		assert.equal(r.status, 422, r.text);
		assert.match(r.headers.get('content-type'), PROBLEM);
		const e = r.json.errors.find((x) => x.field === 'grade');
		assert.ok(e, `an error names grade: ${r.text}`);
		assert.match(e.message, re);
		return e;
	};
	gradeError(await admin.post(`/api/v1/schools/${S2}/classes`, { grade: 1, name: '1班' }));
	gradeError(await admin.post(`/api/v1/schools/${S2}/classes?lang=en`, { grade: 1, name: '1班' }),
		/^this school's grades are 7 to 9$/);
	gradeError(await admin.post(`/api/v1/schools/${S2}/classes`, { grade: '高一', name: '1班' }));
	const batch = await admin.post(`/api/v1/schools/${S2}/classes/batch`, {
		classes: [{ grade: 9, name: '5班' }, { grade: 10, name: '1班' }],
	});
	assert.equal(gradeError(batch).row, 2);
	assert.equal((await classes(admin, S2)).length, before, 'all or nothing: no class added');
	const ok = await admin.post(`/api/v1/schools/${S2}/classes`, { grade: 9, name: '6班' });
	assert.equal(ok.status, 201, ok.text);
	gradeError(await admin.patch(`/api/v1/classes/${ok.json.id}`, { grade: 6 }));
	assert.equal((await classes(admin, S2)).find((c) => c.id === ok.json.id).grade, 9);
	assert.equal((await admin.del(`/api/v1/classes/${ok.json.id}`)).status, 204);

	// The form offers the school's grades only; a primary school's its own.
	const page = await admin.get(`/schools/${S2}/classes`);
	assert.equal(page.status, 200);
	// The add form's grade select (the edit forms list teachers too).
	const offered = (html) => [...html.match(/<select id="class-grade"[\s\S]*?<\/select>/)[0]
		.matchAll(/<option value="(\d+)"/g)].map((m) => Number(m[1]));
	assert.deepEqual(offered(page.text), [7, 8, 9]);
	const primary = await (await login(SCHOOL_ADMIN)).get(`/schools/${S1}/classes`);
	assert.deepEqual(offered(primary.text), [1, 2, 3, 4, 5, 6]);

	// Imports that would create a class outside the stage name the row.
	const sheet = xlsx([
		['姓名', '性别', '年级', '班级'],
		['错学段', '女', '一年级', '1班'],
	]);
	const dry = await runImport(admin, S2, 'students', 'dry-run', sheet, { query: '&create_classes=1' });
	assert.deepEqual(errorKeys(dry), ['2|年级']);
	const job = await runImport(admin, S2, 'students', 'commit', sheet, { query: '&create_classes=1' });
	assert.equal(job.state, 'failed');
	assert.ok(!(await classes(admin, S2)).some((c) => c.grade === 1), 'no first-grade class in a junior school');
	const teachers = await runImport(admin, S2, 'teachers', 'commit', xlsx([
		['姓名', '手机', '任教班级'],
		['错学段老师', '13700009901', '高一1班'],
	]), { query: '&create_classes=1' });
	assert.equal(teachers.state, 'failed');
	assert.deepEqual(errorKeys(teachers), ['2|任教班级']);
	assert.ok(!(await classes(admin, S2)).some((c) => c.grade === 10));
});

test('imports: CSV in UTF-8 with a BOM and in GBK', async () => {
	const admin = await login(SCHOOL_ADMIN);
	// A title line, English aliases in the header, a quoted name with a
	// comma, and a bad phone on record 4.
	const csv = '\ufeff岳麓区第一实验小学补录名单\r\n' +
		'name,gender,grade,class,guardian1_name,guardian1_phone\r\n' +
		'"欧阳, 小明",男,一年级,1班,欧阳父,13700005001\r\n' +
		'错行,男,一年级,1班,某人,123\r\n';
	const dry = await runImport(admin, S1, 'students', 'dry-run', Buffer.from(csv, 'utf8'), { type: 'text/csv', name: 'list.csv' });
	assert.equal(dry.state, 'succeeded', JSON.stringify(dry));
	assert.deepEqual(counts(dry), { created: 1, updated: 0, unchanged: 0 });
	assert.deepEqual(errorKeys(dry), ['4|guardian1_phone'], JSON.stringify(dry.result.errors));
	const good = await runImport(admin, S1, 'students', 'commit', Buffer.from(csv.split('\r\n').slice(0, 3).join('\r\n') + '\r\n', 'utf8'), { type: 'text/csv', name: 'list.csv' });
	assert.equal(good.state, 'succeeded', JSON.stringify(good));
	assert.equal(good.result.created, 1);
	const ouyang = await findStudent(admin, S1, '欧阳, 小明');
	assert.equal(ouyang.class_id, ids.c11);

	// GBK bytes as Chinese Excel saves them: 姓名,性别,年级,班级 /
	// 高文静,女,一年级,2班.
	const gbk = Buffer.from('d0d5c3fb2cd0d4b1f02cc4eabcb62cb0e0bcb60d0ab8dfcec4beb22cc5ae2cd2bbc4eabcb62c32b0e00d0a', 'hex');
	assert.equal(new TextDecoder('gbk').decode(gbk), '姓名,性别,年级,班级\r\n高文静,女,一年级,2班\r\n');
	const job = await runImport(admin, S1, 'students', 'commit', gbk, { type: 'text/csv', name: 'gbk.csv', raw: true });
	assert.equal(job.state, 'succeeded', JSON.stringify(job));
	assert.deepEqual(counts(job), { created: 1, updated: 0, unchanged: 0 });
	const gao = await findStudent(admin, S1, '高文静');
	assert.equal(gao.gender, '女');
	assert.equal(gao.class_id, ids.c12);
});

test('imports: not a spreadsheet, bad parameters, scope', async () => {
	const admin = await login(SCHOOL_ADMIN);
	// A Word document renamed .xlsx: refused with a clear message.
	const r = await upload(admin, S1, 'students', 'dry-run', docx(), { name: '名单.xlsx' });
	if (r.status === 202) {
		const job = await waitJob(admin, r.json.job_id);
		assert.equal(job.state, 'failed');
		assert.equal(job.result.errors.length, 1);
		assert.match(job.result.errors[0].message, /Word|不是.*表格|not a spreadsheet/i, job.result.errors[0].message);
		assert.equal(job.result.created, 0);
	} else {
		assertProblem(r, 415);
		assert.match(r.json.detail, /Word|不是|spreadsheet/i);
	}
	// Plain HTML is not a sheet either.
	assertProblem(await upload(admin, S1, 'students', 'dry-run', Buffer.from('<html><body>x</body></html>'), { type: 'text/html', name: 'a.html' }), 415);
	// A damaged xlsx: the job fails with a message.
	const cut = xlsx([['姓名', '性别', '年级', '班级'], ['某', '男', '1', '1班']]);
	const bad = await runImport(admin, S1, 'students', 'dry-run', cut.subarray(0, cut.length - 40));
	assert.equal(bad.state, 'failed');
	assert.ok(bad.result.errors[0].message.length > 5);
	// The spreadsheet reader's message too, in one language at a time.
	assert.match(bad.result.errors[0].message, /损坏/);
	assert.doesNotMatch(bad.result.errors[0].message, /[A-Za-z]{2}/, bad.result.errors[0].message);
	const badEn = (await admin.get(`/api/v1/jobs/${bad.id}?lang=en`)).json.result.errors[0].message;
	assert.match(badEn, /damaged/);
	assert.doesNotMatch(badEn, /[\u3000-\u9fff\uff00-\uffef]/, badEn);
	// A sheet without the required columns.
	const nohead = await runImport(admin, S1, 'students', 'commit', xlsx([['姓名', '性别'], ['某', '男']]));
	assert.equal(nohead.state, 'failed');
	assert.ok(nohead.result.errors.some((e) => e.field === '年级' || e.field === '班级'), JSON.stringify(nohead.result.errors));
	// Parameters.
	assertProblem(await upload(admin, S1, 'pupils', 'dry-run', cut), 422, 'kind');
	assertProblem(await upload(admin, S1, 'students', 'now', cut), 422, 'mode');
	// Scope: another school's admin, a teacher, a parent.
	assertProblem(await upload(await login(SCHOOL2_ADMIN), S1, 'students', 'dry-run', cut), 404);
	assertProblem(await upload(await login(WANG), S1, 'students', 'dry-run', cut), 403);
	assertProblem(await upload(await login(ZHANG), S1, 'students', 'dry-run', cut), 403);
	// The job is its starter's.
	const mine = await upload(admin, S1, 'students', 'dry-run', cut);
	assert.equal(mine.status, 202);
	await waitJob(admin, mine.json.job_id);
	assertProblem(await (await login(SCHOOL2_ADMIN)).get(`/api/v1/jobs/${mine.json.job_id}`), 404);
});

test('imports: an upload over limits.upload_bytes is 413', async () => {
	const small = await startServer({ command: 'demo', init: false, set: { ...SETTINGS, 'limits.upload_bytes': 4096 } });
	try {
		const admin = small.client();
		assert.equal((await admin.login(SCHOOL_ADMIN, PW)).status, 200);
		const big = Buffer.from(`姓名,性别,年级,班级\r\n${'某,男,一年级,1班\r\n'.repeat(400)}`, 'utf8');
		assert.ok(big.length > 4096);
		let r = await upload(admin, S1, 'students', 'dry-run', big, { type: 'text/csv', name: 'big.csv' });
		assertProblem(r, 413);
		r = await upload(admin, S1, 'students', 'dry-run', big, { type: 'text/csv', raw: true });
		assertProblem(r, 413);
		// Under the limit, the same endpoint takes it.
		r = await upload(admin, S1, 'students', 'dry-run', Buffer.from('姓名,性别,年级,班级\r\n某,男,一年级,1班\r\n'), { type: 'text/csv', name: 'small.csv' });
		assert.equal(r.status, 202, r.text);
	} finally {
		await small.stop();
	}
});

// ---- templates and the export --------------------------------------------

test('templates are real workbooks that import back as nothing', async () => {
	const admin = await login(SCHOOL_ADMIN);
	for (const kind of ['students', 'teachers', 'parents']) {
		const t = await download(admin, `/api/v1/imports/templates/${kind}.xlsx`);
		assert.equal(t.status, 200);
		assert.equal(t.headers.get('content-type'), XLSX_TYPE);
		assert.equal(t.buf.subarray(0, 2).toString('latin1'), 'PK');
		assert.match(t.headers.get('content-disposition') ?? '', /attachment/);
		const { rows } = readXlsx(t.buf);
		assert.ok(rows.length >= 3, `${kind}: header, notes and example`);
		const first = rows.slice(1).map((r) => r.cells.A?.text ?? '');
		assert.ok(first.some((v) => v.startsWith('示例')) && first.some((v) => v.startsWith('说明')), JSON.stringify(first));
		const job = await runImport(admin, S1, kind, 'dry-run', t.buf);
		assert.equal(job.state, 'succeeded', `${kind}: ${JSON.stringify(job)}`);
		assert.deepEqual(counts(job), { created: 0, updated: 0, unchanged: 0 }, kind);
		assert.deepEqual(job.result.errors, [], kind);
	}
	const headers = readXlsx((await download(admin, '/api/v1/imports/templates/students.xlsx')).buf).rows[0].cells;
	assert.deepEqual(Object.values(headers).map((c) => c.text.replace(/\*$/, '')), STUDENT_HEADER);
	assertProblem(await admin.get('/api/v1/imports/templates/pupils.xlsx'), 404);
});

test('export: masked ID numbers, names kept as entered, imports back as nothing', async () => {
	const admin = await login(SCHOOL_ADMIN);
	const evil = '=HYPERLINK("http://x")';
	let r = await admin.post(`/api/v1/schools/${S1}/students`, {
		name: evil, gender: '男', class_id: ids.c12,
		guardian1_name: '+张三', guardian1_phone: '13700010001', guardian1_relation: '@父亲',
	});
	assert.equal(r.status, 201, r.text);
	assert.equal(r.json.name, evil, 'the API keeps the name as entered');

	const x = await download(admin, `/api/v1/schools/${S1}/students.xlsx`);
	assert.equal(x.status, 200);
	assert.equal(x.headers.get('content-type'), XLSX_TYPE);
	assert.equal(x.buf.subarray(0, 2).toString('latin1'), 'PK');
	const { rows, sheetXml, entries } = readXlsx(x.buf);
	const header = Object.values(rows[0].cells).map((c) => c.text.replace(/\*$/, ''));
	assert.deepEqual(header, [...STUDENT_HEADER, '学生账号'], 'the import template\'s columns and the login');
	// No formula anywhere: the evil name is a string cell, which no
	// spreadsheet evaluates, so it is written as it is (no apostrophe
	// that a round trip would add to the name).
	assert.ok(!/<f[\s>/]/.test(sheetXml), 'the export has no formula cells');
	const cells = rows.flatMap((row) => Object.values(row.cells));
	const evilCell = cells.find((c) => c.text.includes('HYPERLINK'));
	assert.ok(evilCell, 'the student is exported');
	assert.equal(evilCell.formula, false);
	assert.ok(['s', 'inlineStr', 'str'].includes(evilCell.type), evilCell.xml);
	assert.equal(evilCell.text, evil);
	assert.ok(cells.some((c) => c.text === '+张三') && cells.some((c) => c.text === '@父亲'));
	// ID numbers masked: the clear numbers appear nowhere in the file.
	const all = [...entries.values()].map((b) => b.toString('utf8')).join('\n');
	for (const id of [ID1, ID2, ID_X, ID_REVEAL, ID_MOVE])
		assert.ok(!all.includes(id), `the export does not contain ${id}`);
	assert.ok(cells.some((c) => c.text === masked(ID1)));
	// One row per in-school student.
	const inSchool = (await allStudents(admin, S1, '&status=in_school')).length;
	assert.equal(rows.length - 1, inSchool);
	const exported = auditEntries('roster.students_exported');
	if (exported !== null)
		assert.ok(exported.length >= 1 && /"students":\s*\d+/.test(exported.at(-1).detail), JSON.stringify(exported));

	// The export imports back as it is: nothing created or changed, and
	// the masked ID numbers keep what is stored.
	const before = await allStudents(admin, S1);
	const job = await runImport(admin, S1, 'students', 'commit', x.buf);
	assert.equal(job.state, 'succeeded', JSON.stringify(job.result.errors));
	assert.deepEqual(job.result.errors, []);
	assert.deepEqual(counts(job), { created: 0, updated: 0, unchanged: inSchool });
	assert.deepEqual(await allStudents(admin, S1), before);
	r = await admin.get(`/api/v1/students/${ids.dong}?reveal=id_number&reason=${encodeURIComponent('导出核对')}`);
	assert.equal(r.json.id_number, ID1);
	assert.equal((await findStudent(admin, S1, evil)).name, evil);

	// A teacher exports their classes only; school 2 nothing.
	const wang = await login(WANG);
	const tx = await download(wang, `/api/v1/schools/${S1}/students.xlsx`);
	assert.equal(tx.status, 200);
	const trows = readXlsx(tx.buf).rows.slice(1);
	const theirs = (await allStudents(wang, S1)).length;
	assert.equal(trows.length, theirs);
	assert.ok(theirs < inSchool);
	assert.equal((await download(await login(SCHOOL2_ADMIN), `/api/v1/schools/${S1}/students.xlsx`)).status, 404);
	assert.ok([403, 404].includes((await download(await login(ZHANG), `/api/v1/schools/${S1}/students.xlsx`)).status));
});

// ---- slips and password resets ---------------------------------------------

test('slips: the initial password until it is changed; the printable page', async () => {
	const admin = await login(SCHOOL_ADMIN);
	let r = await admin.get(`/api/v1/schools/${S1}/slips?class_id=${ids.c12}`);
	assert.equal(r.status, 200, r.text);
	assert.ok(Array.isArray(r.json));
	const slip = r.json.find((s) => s.student_id === ids.dong);
	assert.ok(slip, r.text);
	assert.equal(slip.name, '林小东');
	assert.equal(slip.class_name, '一年级2班');
	assert.match(slip.login, /^\d{8,9}$/);
	assert.equal(typeof slip.initial_password, 'string');
	assert.ok(slip.initial_password.length >= 6);
	ids.dongLogin = slip.login;
	ids.dongAccount = (await admin.get(`/api/v1/students/${ids.dong}`)).json.account.id;
	for (const s of r.json)
		assert.equal(s.class_name, '一年级2班');
	// Demo students' passwords are set: null.
	r = await admin.get(`/api/v1/schools/${S1}/slips?class_id=${ids.c11}`);
	assert.equal(r.json.find((s) => s.student_id === ids.zhangYiming).initial_password, null);
	// The whole school without class_id.
	r = await admin.get(`/api/v1/schools/${S1}/slips`);
	assert.equal(r.json.length, (await allStudents(admin, S1, '&status=in_school')).length);

	// The student logs in with the slip, must change the password, does.
	const student = await login(slip.login, slip.initial_password);
	assert.equal(student.me.account.must_change_password, true);
	assert.ok(student.me.identities.some((i) => i.role === 'student' && i.student_id === ids.dong));
	assert.equal((await student.get(`/api/v1/students/${ids.dong}`)).status, 403, 'the password must change first');
	r = await student.put('/api/v1/me/password', { old_password: slip.initial_password, new_password: 'Changed2026x' });
	assert.equal(r.status, 204, r.text);
	assert.equal((await student.get(`/api/v1/students/${ids.dong}`)).status, 200);
	r = await admin.get(`/api/v1/schools/${S1}/slips?class_id=${ids.c12}`);
	assert.equal(r.json.find((s) => s.student_id === ids.dong).initial_password, null);
	assert.ok(!r.text.includes(slip.initial_password));

	// The printable page: names, logins and a QR code as inline SVG.
	r = await admin.get(`/schools/${S1}/slips?class_id=${ids.c12}`);
	assert.equal(r.status, 200);
	assert.match(r.headers.get('content-type'), /text\/html/);
	assert.match(r.text, /<svg[\s>]/);
	assert.match(r.text, /<path[^>]+d="M\d/);
	assert.ok(r.text.includes('林小东') && r.text.includes(slip.login));
	assert.ok(r.text.includes('岳麓区第一实验小学'));
	// Others: a teacher of the class who does not head it (403), a
	// teacher who does not teach it (404), school 2, a parent.
	assertProblem(await (await login(WANG)).get(`/api/v1/schools/${S1}/slips?class_id=${ids.c12}`), 403);
	assertProblem(await (await login(CHEN)).get(`/api/v1/schools/${S1}/slips?class_id=${ids.c12}`), 404);
	assertProblem(await (await login(SCHOOL2_ADMIN)).get(`/api/v1/schools/${S1}/slips`), 404);
	const parent = await login(ZHANG);
	assert.ok([403, 404].includes((await parent.get(`/api/v1/schools/${S1}/slips`)).status));
	// A head teacher prints their own class.
	r = await (await login(WANG)).get(`/api/v1/schools/${S1}/slips?class_id=${ids.c11}`);
	assert.equal(r.status, 200, r.text);
});

test('password reset by the school admin', async () => {
	const admin = await login(SCHOOL_ADMIN);
	let r = await admin.post(`/api/v1/accounts/${ids.dongAccount}/password-reset`);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.login, ids.dongLogin);
	assert.equal(typeof r.json.initial_password, 'string');
	const pw = r.json.initial_password;
	assert.equal((await server.client().login(ids.dongLogin, 'Changed2026x')).status, 401, 'the old password is gone');
	const student = await login(ids.dongLogin, pw);
	assert.equal(student.me.account.must_change_password, true);
	r = await admin.get(`/api/v1/schools/${S1}/slips?class_id=${ids.c12}`);
	assert.equal(r.json.find((s) => s.student_id === ids.dong).initial_password, pw, 'the slip shows the new password');

	// A parent of the school's students: allowed.
	const lin = (await admin.get(`/api/v1/students/${ids.dong}`)).json.guardians.find((g) => g.phone === '13700001001');
	assert.ok(lin);
	const linAccount = (await login('13700001001', await slipPassword('13700001001'))).me.account.id;
	r = await admin.post(`/api/v1/accounts/${linAccount}/password-reset`);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.login, '13700001001');
	// Not the school admin's own (an admin identity), nor school 2's.
	assertProblem(await admin.post(`/api/v1/accounts/${admin.me.account.id}/password-reset`), 403);
	const other = await login(SCHOOL2_ADMIN);
	assertProblem(await admin.post(`/api/v1/accounts/${other.me.account.id}/password-reset`), 404);
	const s2student = (await allStudents(other, S2, '&status=in_school'))[0];
	assertProblem(await admin.post(`/api/v1/accounts/${s2student.account.id}/password-reset`), 404);
	assertProblem(await other.post(`/api/v1/accounts/${ids.dongAccount}/password-reset`), 404);
});
