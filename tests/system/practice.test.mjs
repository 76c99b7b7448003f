// System test of the practice plugin's core (API.md, "Social practice";
// issue 18) against the real binary serving the demo district: bases and
// their admins (a base_admin identity made through the host's org
// service, who sees its bases and nothing of schools), activities with
// every field checked, registrations (own child only, grade, deadline by
// the host's clock, not twice, the district's limit rule), scope across
// roles and districts, cancellation (the family's cutoff before the
// start, staff any time) and THE concurrency test: 50 parents register
// at the same moment for 10 seats.
//
// The tests run in order on one server and build on one another.

import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startServer, BUILD_DIR } from './harness.mjs';

const PW = 'Demo2026';
const ADMIN1 = '13800000002'; // school admin, school 1
const DADMIN = '13800000001'; // district admin 岳麓区
const WANG = '13800000003'; // teacher, school 1
const ZHANG = '13900000001'; // parent of 张一鸣 (school 1)
const BASE_ADMIN = '13766660001';
const OTHER_DADMIN = '13766660002';
const NEW_PW = 'Practice2026x';

let server, offset = 0;
const c = {};
const ids = {};
let kid; // 张一鸣: {id, grade, class_id, login}

function settings() {
	return {
		plugin_dir: path.join(BUILD_DIR, 'plugins'),
		'testing.clock_offset_seconds': offset,
	};
}

function demoLogin(name, role = '学生 student') {
	const m = new RegExp(`^\\s*(\\S+)\\s+${role}\\s+${name}\\s`, 'm').exec(server.logs());
	assert.ok(m, `the demo prints a login for ${name}`);
	return m[1];
}

async function login(who, password = PW) {
	const cl = server.client();
	const r = await cl.login(who, password);
	assert.equal(r.status, 200, `${who}: ${r.text}`);
	cl.me = r.json;
	return cl;
}

// Logs in with an initial password and sets NEW_PW.
async function firstLogin(who, initial) {
	const cl = await login(who, initial);
	const r = await cl.put('/api/v1/me/password', { old_password: initial, new_password: NEW_PW });
	assert.equal(r.status, 204, r.text);
	return login(who, NEW_PW);
}

// The acting identity of a login or /me reply.
function acting(me) {
	return me.identities.find((i) => i.id === me.acting_identity_id);
}

function assertProblem(r, status, field) {
	assert.equal(r.status, status, `status ${r.status}: ${r.text.slice(0, 400)}`);
	assert.match(r.headers.get('content-type') ?? '', /^application\/problem\+json/);
	if (field !== undefined)
		assert.ok((r.json?.errors ?? []).some((e) => e.field === field), `names ${field}: ${r.text}`);
}

function sql(query) {
	const r = spawnSync('sqlite3', ['-cmd', '.timeout 10000', path.join(server.dataDir, 'jiaxiao.db'), query],
		{ encoding: 'utf8' });
	assert.equal(r.status, 0, r.stderr);
	return r.stdout.trim();
}

// ISO 8601 with the +08:00 offset, hours from the host's clock (now +
// the test offset).
function at(hours) {
	const t = new Date(Date.now() + offset * 1000 + hours * 3600 * 1000);
	const local = new Date(t.getTime() + 8 * 3600 * 1000);
	return `${local.toISOString().slice(0, 19)}+08:00`;
}

function activity(extra = {}) {
	return {
		base_id: ids.base,
		title: '湘江湿地生态考察',
		description: '观察候鸟，记录水质。',
		starts_at: at(24 * 5),
		ends_at: at(24 * 5 + 6),
		signup_deadline: at(24 * 3),
		capacity: 30,
		grades: [kid.grade],
		hours: 4.5,
		...extra,
	};
}

async function createActivity(who, extra) {
	const r = await c[who].post('/api/v1/practice/activities', activity(extra));
	assert.equal(r.status, 201, r.text);
	return r.json;
}

test.before(async () => {
	server = await startServer({ command: 'demo', init: false, set: settings() });
	for (const who of [ADMIN1, DADMIN, WANG, ZHANG])
		c[who] = await login(who);
	c.city = await login(demoLogin('市级管理员', '市级管理员 city admin'));
	const r = await c[ADMIN1].get(`/api/v1/schools/1/students?q=${encodeURIComponent('张一鸣')}`);
	assert.equal(r.status, 200, r.text);
	const s = r.json.items[0];
	kid = { id: s.id, grade: s.grade, class_id: s.class_id, login: s.account.login };
	c.kid = await login(kid.login);
	ids.district = acting(c[DADMIN].me).district_id;
	assert.ok(ids.district > 0);
});

test.after(async () => {
	await server?.stop();
});

test('the plugin is loaded and active', async () => {
	const r = await c.city.get('/api/v1/plugins');
	const p = r.json.find((x) => x.name === 'practice');
	assert.equal(p?.state, 'active', r.text);
});

test('bases: the district admin creates them; others may not; another district sees none', async () => {
	let r = await c[DADMIN].post('/api/v1/practice/bases', { name: '岳麓山实践基地', address: '岳麓区登高路1号' });
	assert.equal(r.status, 201, r.text);
	ids.base = r.json.id;
	assert.equal(r.json.name, '岳麓山实践基地');
	assert.equal(r.json.district_id, ids.district);
	assert.equal(r.json.status, 'active');
	r = await c[DADMIN].post('/api/v1/practice/bases', { name: '橘子洲科技馆', address: '橘子洲头' });
	assert.equal(r.status, 201, r.text);
	ids.base2 = r.json.id;
	assertProblem(await c[DADMIN].post('/api/v1/practice/bases', { address: '无名' }), 422, 'name');
	assertProblem(await c[DADMIN].post('/api/v1/practice/bases', { name: '  ' }), 422, 'name');
	assertProblem(await c[ADMIN1].post('/api/v1/practice/bases', { name: '学校基地' }), 403);
	assertProblem(await c[WANG].post('/api/v1/practice/bases', { name: '老师基地' }), 403);
	assertProblem(await c[ZHANG].post('/api/v1/practice/bases', { name: '家长基地' }), 403);
	// families of the district see the active bases
	r = await c[ZHANG].get('/api/v1/practice/bases');
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(r.json.map((b) => b.id).sort(), [ids.base, ids.base2].sort());
	// another district: its admin (made by the city admin) sees nothing
	r = await c.city.post('/api/v1/districts', { code: '430199', name: '实践测试区' });
	assert.equal(r.status, 201, r.text);
	ids.district2 = r.json.id;
	r = await c.city.post(`/api/v1/districts/${ids.district2}/admins`, { name: '外区管理员', phone: OTHER_DADMIN });
	assert.equal(r.status, 201, r.text);
	c.other = await firstLogin(OTHER_DADMIN, r.json.initial_password);
	r = await c.other.get('/api/v1/practice/bases');
	assert.deepEqual(r.json, []);
	assertProblem(await c.other.get(`/api/v1/practice/bases/${ids.base}`), 404);
	assertProblem(await c.other.patch(`/api/v1/practice/bases/${ids.base}`, { name: 'x' }), 404);
	assertProblem(await c.other.post(`/api/v1/practice/bases/${ids.base}/admins`, { name: '某人', phone: '13766660009' }), 404);
	// edit
	r = await c[DADMIN].patch(`/api/v1/practice/bases/${ids.base}`, { address: '岳麓区登高路2号' });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.address, '岳麓区登高路2号');
	assert.equal(r.json.name, '岳麓山实践基地');
	assertProblem(await c[DADMIN].patch(`/api/v1/practice/bases/${ids.base}`, { status: 'gone' }), 422, 'status');
});

test('base admins: made through the org service, log in as base_admin, see only their bases and nothing of schools', async () => {
	assertProblem(await c[DADMIN].post(`/api/v1/practice/bases/${ids.base}/admins`, { name: '基地老师', phone: '12345' }), 422, 'phone');
	assertProblem(await c[DADMIN].post(`/api/v1/practice/bases/${ids.base}/admins`, { phone: BASE_ADMIN }), 422, 'name');
	assertProblem(await c[ADMIN1].post(`/api/v1/practice/bases/${ids.base}/admins`, { name: '基地老师', phone: BASE_ADMIN }), 403);
	let r = await c[DADMIN].post(`/api/v1/practice/bases/${ids.base}/admins`, { name: '基地老师', phone: BASE_ADMIN });
	assert.equal(r.status, 201, r.text);
	assert.equal(r.json.login, BASE_ADMIN);
	assert.equal(typeof r.json.initial_password, 'string', 'shown once, like other account creations');
	assert.ok(r.json.identity_id > 0);
	const initial = r.json.initial_password;
	// adding the same person again finds them: no second account, no
	// password shown again
	r = await c[DADMIN].post(`/api/v1/practice/bases/${ids.base}/admins`, { name: '基地老师', phone: BASE_ADMIN });
	assert.equal(r.status, 201, r.text);
	assert.equal(r.json.initial_password, null);
	r = await c[DADMIN].get(`/api/v1/practice/bases/${ids.base}/admins`);
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(r.json.map((a) => a.name), ['基地老师']);
	c.badmin = await firstLogin(BASE_ADMIN, initial);
	r = await c.badmin.get('/api/v1/me');
	assert.equal(r.status, 200, r.text);
	assert.equal(acting(r.json).role, 'base_admin');
	assert.equal(acting(r.json).school_id, null);
	// its bases only
	r = await c.badmin.get('/api/v1/practice/bases');
	assert.deepEqual(r.json.map((b) => b.id), [ids.base]);
	assertProblem(await c.badmin.get(`/api/v1/practice/bases/${ids.base2}`), 404);
	assertProblem(await c.badmin.post(`/api/v1/practice/bases/${ids.base}/admins`, { name: '又一人', phone: '13766660008' }), 403);
	// nothing of schools, students or the district's rules
	for (const p of [
		`/api/v1/districts/${ids.district}/schools`,
		'/api/v1/schools/1/students',
		`/api/v1/students/${kid.id}`,
		`/api/v1/districts/${ids.district}/rules`,
	]) {
		r = await c.badmin.get(p);
		assert.ok(r.status === 404 || r.status === 403, `${p}: ${r.status} ${r.text.slice(0, 200)}`);
	}
	// an adult on record (school 2's admin) gets one more identity, no
	// second account, and hears of it
	r = await c[DADMIN].post(`/api/v1/practice/bases/${ids.base2}/admins`, { name: '别的名字', phone: '13800000005' });
	assert.equal(r.status, 201, r.text);
	assert.equal(r.json.initial_password, null);
	const person = r.json.person_id;
	const both = await login('13800000005');
	const mine = both.me.identities.find((i) => i.role === 'base_admin');
	assert.ok(mine, JSON.stringify(both.me.identities));
	assert.ok(both.me.identities.some((i) => i.role === 'school_admin'));
	assert.equal(Number(sql(`SELECT COUNT(*) FROM outbox WHERE template = 'identity_linked' AND recipient = '${person}'`)), 1);
	r = await both.put('/api/v1/me/identity', { identity_id: mine.id });
	assert.equal(r.status, 200, r.text);
	r = await both.get('/api/v1/practice/bases');
	assert.deepEqual(r.json.map((b) => b.id), [ids.base2], 'as base admin: base2 only');
	// the web pages work for the role (the home page, its menu)
	r = await c.badmin.get('/');
	assert.equal(r.status, 200, r.text.slice(0, 300));
	// the base admin was told in the app
	assert.ok(Number(sql(`SELECT COUNT(*) FROM outbox WHERE template = 'practice_base_admin' AND ref = 'practice_base:${ids.base}'`)) >= 1);
});

test('activities: every field checked (422 naming it); only staff of the base publish', async () => {
	const bad = async (extra, field) =>
		assertProblem(await c.badmin.post('/api/v1/practice/activities', activity(extra)), 422, field);
	await bad({ title: undefined }, 'title');
	await bad({ starts_at: 'tomorrow' }, 'starts_at');
	await bad({ ends_at: at(24 * 5 - 1) }, 'ends_at');
	await bad({ signup_deadline: at(24 * 5 + 1) }, 'signup_deadline');
	await bad({ signup_deadline: at(-1) }, 'signup_deadline');
	await bad({ capacity: 0 }, 'capacity');
	await bad({ capacity: 2.5 }, 'capacity');
	await bad({ grades: [] }, 'grades');
	await bad({ grades: [13] }, 'grades');
	await bad({ grades: [0] }, 'grades');
	await bad({ grades: 'all' }, 'grades');
	await bad({ hours: 0 }, 'hours');
	await bad({ hours: -1 }, 'hours');
	await bad({ hours: 25 }, 'hours'); // a six-hour activity on one day
	await bad({ base_id: ids.base2 }, 'base_id'); // not this admin's base
	await bad({ base_id: 999999 }, 'base_id');
	// two days: up to 48 hours
	let r = await c.badmin.post('/api/v1/practice/activities', activity({ ends_at: at(24 * 6 + 1), hours: 30 }));
	assert.equal(r.status, 201, r.text);
	assert.equal(r.json.hours, 30);
	ids.twoDays = r.json.id;
	assertProblem(await c[WANG].post('/api/v1/practice/activities', activity()), 403);
	assertProblem(await c[ADMIN1].post('/api/v1/practice/activities', activity()), 403);
	assertProblem(await c[ZHANG].post('/api/v1/practice/activities', activity()), 403);
	assertProblem(await c.other.post('/api/v1/practice/activities', activity()), 422, 'base_id');

	const a = await createActivity('badmin');
	ids.a1 = a.id;
	assert.equal(a.status, 'open');
	assert.equal(a.capacity, 30);
	assert.equal(a.seats_left, 30);
	assert.equal(a.hours, 4.5);
	assert.deepEqual(a.grades, [kid.grade]);
	assert.equal(a.base_name, '岳麓山实践基地');
	// the district admin publishes at any base of the district
	const other = kid.grade === 12 ? 11 : kid.grade + 1;
	const b = await createActivity(DADMIN, { base_id: ids.base2, title: '科技馆参观', grades: [other] });
	ids.otherGrade = b.id;
});

test('activities: lists scoped by role, district and the child\'s grade', async () => {
	const list = async (cl, q = '') => {
		const r = await cl.get(`/api/v1/practice/activities${q}`);
		assert.equal(r.status, 200, r.text);
		return r.json.items.map((x) => x.id);
	};
	// the parent: the child's grade only, with seats_left and their registration
	let r = await c[ZHANG].get('/api/v1/practice/activities');
	assert.ok(r.json.items.every((x) => x.grades.includes(kid.grade)), r.text);
	assert.ok(r.json.items.some((x) => x.id === ids.a1 && x.seats_left === 30 && x.registration === null));
	assert.ok(!(await list(c[ZHANG])).includes(ids.otherGrade));
	assertProblem(await c[ZHANG].get(`/api/v1/practice/activities/${ids.otherGrade}`), 404);
	assert.ok((await list(c.kid)).includes(ids.a1));
	// the base admin: its base's only; the district admin: all of the district
	assert.deepEqual((await list(c.badmin)).sort(), [ids.twoDays, ids.a1].sort());
	assert.ok((await list(c[DADMIN])).includes(ids.otherGrade));
	assert.deepEqual(await list(c[DADMIN], `?base_id=${ids.base2}`), [ids.otherGrade]);
	// a teacher of the district sees them; another district sees none
	assert.ok((await list(c[WANG])).includes(ids.a1));
	assert.deepEqual(await list(c.other), []);
	assertProblem(await c.other.get(`/api/v1/practice/activities/${ids.a1}`), 404);
	assertProblem(await c[DADMIN].get('/api/v1/practice/activities?status=bogus'), 422, 'status');
	// paging
	r = await c[DADMIN].get('/api/v1/practice/activities?limit=1');
	assert.equal(r.json.items.length, 1);
	assert.ok(r.json.next_cursor);
});

test('registrations: own child only, the grade, not twice; staff and other families cannot', async () => {
	const path1 = `/api/v1/practice/activities/${ids.a1}/registrations`;
	assertProblem(await c[WANG].post(path1, { student_id: kid.id }), 403);
	assertProblem(await c.badmin.post(path1, { student_id: kid.id }), 403);
	assertProblem(await c[ZHANG].post(path1, {}), 422, 'student_id');
	// another child of the district (陈刚's child) is not this parent's
	const other = (await c[ADMIN1].get(`/api/v1/schools/1/students?q=${encodeURIComponent('李思涵')}`)).json.items[0];
	assertProblem(await c[ZHANG].post(path1, { student_id: other.id }), 403);
	assertProblem(await c.kid.post(path1, { student_id: other.id }), 403);
	// the wrong grade
	assertProblem(await c[ZHANG].post(`/api/v1/practice/activities/${ids.otherGrade}/registrations`, { student_id: kid.id }), 422, 'student_id');
	// another district's admin does not find the activity to register at
	assertProblem(await c.other.post(path1, { student_id: kid.id }), 403);
	let r = await c[ZHANG].post(path1, { student_id: kid.id });
	assert.equal(r.status, 201, r.text);
	assert.equal(r.json.status, 'confirmed');
	assert.equal(r.json.position, undefined);
	ids.r1 = r.json.id;
	assertProblem(await c[ZHANG].post(path1, { student_id: kid.id }), 409);
	assertProblem(await c.kid.post(path1, { student_id: kid.id }), 409, undefined);
	// the student's own view and the parent's
	r = await c.kid.get('/api/v1/practice/registrations');
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(r.json.items.map((x) => [x.id, x.status, x.activity.title]), [[ids.r1, 'confirmed', '湘江湿地生态考察']]);
	r = await c[ZHANG].get(`/api/v1/practice/activities/${ids.a1}`);
	assert.equal(r.json.seats_left, 29);
	assert.deepEqual(r.json.registration, { id: ids.r1, status: 'confirmed' });
	assertProblem(await c[WANG].get('/api/v1/practice/registrations'), 403);
	// the staff's list: name, class, status
	r = await c.badmin.get(path1);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.items.length, 1);
	assert.equal(r.json.items[0].student_name, '张一鸣');
	assert.equal(r.json.items[0].class_id, kid.class_id);
	assert.ok(r.json.items[0].class_name);
	assert.equal(r.json.items[0].status, 'confirmed');
	assert.equal(r.json.items[0].registered_role, 'parent');
	assert.equal((await c[DADMIN].get(path1)).status, 200);
	assertProblem(await c[WANG].get(path1), 404);
	assertProblem(await c[ZHANG].get(path1), 404);
	assertProblem(await c.other.get(path1), 404);
	assertProblem(await c.other.get(`/api/v1/practice/registrations/${ids.r1}`), 404);
	assertProblem(await c[WANG].del(`/api/v1/practice/registrations/${ids.r1}`), 404);
});

test('edits: never below the confirmed count; a base admin edits its own', async () => {
	let r = await c.badmin.patch(`/api/v1/practice/activities/${ids.a1}`, { title: '湘江湿地生态考察（上午）' });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.title, '湘江湿地生态考察（上午）');
	assertProblem(await c.badmin.patch(`/api/v1/practice/activities/${ids.otherGrade}`, { title: 'x' }), 404);
	assertProblem(await c[WANG].patch(`/api/v1/practice/activities/${ids.a1}`, { title: 'x' }), 403);
	assertProblem(await c.badmin.patch(`/api/v1/practice/activities/${ids.a1}`, { capacity: 0 }), 422, 'capacity');
	assertProblem(await c.badmin.patch(`/api/v1/practice/activities/${ids.a1}`, { ends_at: at(1) }), 422, 'ends_at');
	r = await c.badmin.patch(`/api/v1/practice/activities/${ids.a1}`, { capacity: 1 });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.seats_left, 0);
	// 张一鸣 holds the one seat
	r = await createActivity('badmin', { capacity: 1 });
	ids.small = r.id;
	r = await c[ZHANG].post(`/api/v1/practice/activities/${ids.small}/registrations`, { student_id: kid.id });
	assert.equal(r.status, 201, r.text);
	assertProblem(await c.badmin.patch(`/api/v1/practice/activities/${ids.small}`, { capacity: 0 }), 422, 'capacity');
});

test('cancellation: a family not within the cutoff before the start (rule, default 24 h); staff any time', async () => {
	const soon = await createActivity('badmin', {
		title: '周末义卖', starts_at: at(10), ends_at: at(12), signup_deadline: at(5), hours: 2,
	});
	let r = await c[ZHANG].post(`/api/v1/practice/activities/${soon.id}/registrations`, { student_id: kid.id });
	assert.equal(r.status, 201, r.text);
	const reg = r.json.id;
	r = await c[ZHANG].del(`/api/v1/practice/registrations/${reg}`);
	assert.equal(r.status, 409, r.text);
	assert.match(r.json.type, /cancellation-closed/);
	// the staff cancel it: the family is told
	r = await c.badmin.del(`/api/v1/practice/registrations/${reg}`);
	assert.equal(r.status, 204, r.text);
	assert.ok(Number(sql(`SELECT COUNT(*) FROM outbox WHERE template = 'practice_cancelled' AND ref = 'practice_registration:${reg}'`)) >= 2,
		'the parent and the student in the app');
	assertProblem(await c.badmin.del(`/api/v1/practice/registrations/${reg}`), 409);
	// far from the start the family cancels, and may register again
	r = await c[ZHANG].del(`/api/v1/practice/registrations/${ids.r1}`);
	assert.equal(r.status, 204, r.text);
	r = await c[ZHANG].get(`/api/v1/practice/registrations/${ids.r1}`);
	assert.equal(r.json.status, 'cancelled');
	assert.equal(r.json.cancel_reason, 'family');
	r = await c[ZHANG].post(`/api/v1/practice/activities/${ids.a1}/registrations`, { student_id: kid.id });
	assert.equal(r.status, 201, r.text);
	ids.r1 = r.json.id;
});

test('a district rule limits open registrations per student (practice_max_open)', async () => {
	let r = await c[DADMIN].put(`/api/v1/districts/${ids.district}/rules`, { source: 'practice_max_open = 2\n' });
	assert.equal(r.status, 200, r.text);
	// 张一鸣 holds a1 and small: a third is refused
	const third = await createActivity('badmin', { title: '社区图书整理' });
	assertProblem(await c.kid.post(`/api/v1/practice/activities/${third.id}/registrations`, { student_id: kid.id }), 422, 'student_id');
	r = await c[DADMIN].put(`/api/v1/districts/${ids.district}/rules`, { source: 'practice_max_open = false\n' });
	assert.equal(r.status, 200, r.text);
	r = await c.kid.post(`/api/v1/practice/activities/${third.id}/registrations`, { student_id: kid.id });
	assert.equal(r.status, 201, r.text);
	assert.equal(r.json.status, 'confirmed');
});

test('concurrency: 50 parents at once for 10 seats: 10 confirmed, 40 waitlisted 1..40 by id; cancellations promote', async () => {
	// a class of 50 children, each with a parent of their own
	let r = await c[ADMIN1].post('/api/v1/schools/1/classes', { grade: 4, name: '实践班' });
	assert.equal(r.status, 201, r.text);
	const klass = r.json.id;
	const phones = [];
	for (let i = 0; i < 50; i++) {
		const phone = `1376667${String(i).padStart(4, '0')}`;
		phones.push(phone);
		r = await c[ADMIN1].post('/api/v1/schools/1/students', {
			name: `实践学生${i}`, gender: i % 2 ? '男' : '女', class_id: klass,
			guardian1_name: `实践家长${i}`, guardian1_phone: phone, guardian1_relation: '母亲',
		});
		assert.equal(r.status, 201, r.text);
	}
	const slips = (await c[ADMIN1].get(`/api/v1/schools/1/slips?class_id=${klass}`)).json;
	const parents = [];
	for (const phone of phones) {
		const slip = slips.find((s) => (s.parents ?? []).some((g) => g.login === phone));
		assert.ok(slip, `a slip for ${phone}`);
		const initial = slip.parents.find((g) => g.login === phone).initial_password;
		const cl = await firstLogin(phone, initial);
		cl.student = slip.student_id;
		parents.push(cl);
	}
	const a = await createActivity('badmin', { title: '消防站开放日', capacity: 10, grades: [4] });
	const p = `/api/v1/practice/activities/${a.id}/registrations`;
	const replies = await Promise.all(parents.map((cl) => cl.post(p, { student_id: cl.student })));
	for (const x of replies)
		assert.equal(x.status, 201, x.text);
	const confirmed = replies.filter((x) => x.json.status === 'confirmed');
	const waitlisted = replies.filter((x) => x.json.status === 'waitlisted');
	assert.equal(confirmed.length, 10);
	assert.equal(waitlisted.length, 40);
	const byId = waitlisted.map((x) => x.json).sort((x, y) => x.id - y.id);
	assert.deepEqual(byId.map((x) => x.position), Array.from({ length: 40 }, (_, i) => i + 1),
		'positions 1..40, contiguous and rising with the id');
	// SQLite's one writer: the seats went to the first ten ids
	assert.ok(Math.max(...confirmed.map((x) => x.json.id)) < byId[0].id);
	r = await c.badmin.get(`/api/v1/practice/activities/${a.id}`);
	assert.equal(r.json.confirmed, 10);
	assert.equal(r.json.waitlisted, 40);
	assert.equal(r.json.seats_left, 0);
	assert.equal(sql(`SELECT COUNT(*) FROM practice_registrations WHERE activity_id = ${a.id} AND status = 'confirmed'`), '10');
	// the staff's list agrees
	r = await c.badmin.get(`${p}?status=waitlisted&limit=500`);
	assert.deepEqual(r.json.items.map((x) => [x.id, x.position]), byId.map((x) => [x.id, x.position]));

	// a confirmed family cancels: the first waitlisted is confirmed and told
	const owner = (id) => parents[replies.findIndex((x) => x.json.id === id)];
	r = await owner(confirmed[0].json.id).del(`/api/v1/practice/registrations/${confirmed[0].json.id}`);
	assert.equal(r.status, 204, r.text);
	const first = byId[0];
	r = await owner(first.id).get(`/api/v1/practice/registrations/${first.id}`);
	assert.equal(r.json.status, 'confirmed');
	assert.equal(r.json.position, null);
	assert.ok(Number(sql(`SELECT COUNT(*) FROM outbox WHERE template = 'practice_confirmed' AND ref = 'practice_registration:${first.id}'`)) >= 1);
	// positions close up: 1..39
	r = await c.badmin.get(`${p}?status=waitlisted&limit=500`);
	assert.deepEqual(r.json.items.map((x) => x.position), Array.from({ length: 39 }, (_, i) => i + 1));
	assert.equal(r.json.items[0].id, byId[1].id);
	// a waitlisted family cancels: the others move up
	r = await owner(byId[5].id).del(`/api/v1/practice/registrations/${byId[5].id}`);
	assert.equal(r.status, 204, r.text);
	r = await c.badmin.get(`${p}?status=waitlisted&limit=500`);
	assert.deepEqual(r.json.items.map((x) => x.position), Array.from({ length: 38 }, (_, i) => i + 1));
	assert.equal(r.json.items[4].id, byId[6].id);
	r = await owner(byId[6].id).get(`/api/v1/practice/registrations/${byId[6].id}`);
	assert.equal(r.json.position, 5);
	// two more seats confirm the next two at once
	r = await c.badmin.patch(`/api/v1/practice/activities/${a.id}`, { capacity: 12 });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.confirmed, 12);
	assert.equal(r.json.waitlisted, 36);
	r = await c.badmin.get(`${p}?status=confirmed&limit=500`);
	assert.equal(r.json.items.length, 12);
	// byId[0] took the first freed seat, byId[5] left the list
	assert.ok([byId[0], byId[1], byId[2]].every((w) => r.json.items.some((x) => x.id === w.id)), r.text);
	assert.ok(!r.json.items.some((x) => x.id === byId[3].id));
	// within the cutoff a family keeps its seat but may leave the waitlist
	const soon = await createActivity('badmin', {
		title: '夜观星空', capacity: 1, grades: [4], starts_at: at(10), ends_at: at(12), signup_deadline: at(5), hours: 2,
	});
	const sp = `/api/v1/practice/activities/${soon.id}/registrations`;
	const seat = await parents[0].post(sp, { student_id: parents[0].student });
	const wait = await parents[1].post(sp, { student_id: parents[1].student });
	assert.deepEqual([seat.json.status, wait.json.status, wait.json.position], ['confirmed', 'waitlisted', 1]);
	assertProblem(await parents[0].del(`/api/v1/practice/registrations/${seat.json.id}`), 409);
	assert.equal((await parents[1].del(`/api/v1/practice/registrations/${wait.json.id}`)).status, 204);
	ids.crowd = a.id;
	ids.crowdParents = parents;
	ids.crowdReplies = replies;
});

test('cancelling an activity cancels every live registration and tells the families', async () => {
	let r = await c[WANG].post(`/api/v1/practice/activities/${ids.crowd}/cancel`, {});
	assert.equal(r.status, 403, r.text);
	r = await c.badmin.post(`/api/v1/practice/activities/${ids.crowd}/cancel`, { reason: '天气原因' });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.status, 'cancelled');
	assert.equal(r.json.confirmed, 0);
	assert.equal(r.json.waitlisted, 0);
	assert.equal(sql(`SELECT COUNT(*) FROM practice_registrations WHERE activity_id = ${ids.crowd} AND status <> 'cancelled'`), '0');
	assert.equal(Number(sql(`SELECT COUNT(DISTINCT ref) FROM outbox WHERE template = 'practice_activity_cancelled'`)), 48);
	const cl = ids.crowdParents[0];
	assertProblem(await cl.post(`/api/v1/practice/activities/${ids.crowd}/registrations`, { student_id: cl.student }), 409);
	assertProblem(await c.badmin.post(`/api/v1/practice/activities/${ids.crowd}/cancel`, {}), 409);
	// closing: no more registrations, the seats stay
	r = await c.badmin.post(`/api/v1/practice/activities/${ids.twoDays}/close`, {});
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.status, 'closed');
	assertProblem(await c[ZHANG].post(`/api/v1/practice/activities/${ids.twoDays}/registrations`, { student_id: kid.id }), 409);
});

test('the deadline is the host\'s clock: three days on, registration is refused (422 signup_deadline)', async () => {
	const late = await createActivity('badmin', { title: '秋季研学', signup_deadline: at(24 * 2) });
	offset = 3 * 86400;
	await server.restart({ set: settings() });
	c[ZHANG] = await login(ZHANG);
	assertProblem(await c[ZHANG].post(`/api/v1/practice/activities/${late.id}/registrations`, { student_id: kid.id }), 422, 'signup_deadline');
	const r = await c[ZHANG].get(`/api/v1/practice/activities/${late.id}`);
	assert.equal(r.json.signup_open, false);
});
