// Stored markup: a marker with markup and quotes goes into every field a
// user can write today (names of districts, schools, classes, students,
// teachers, parents and admins; relations, subjects; notice titles and
// bodies; key-information reasons and rejection reasons; a leaving
// reason; a district's rule chunk; a form's echoed values), and every page that may show one is
// fetched as each role that sees it. No page may carry the marker raw:
// templates escape by default, and a `{{= }}` slipped into one of them
// (notice.html's body, inbox.html's title, students.html's name ...) is
// caught here. Each page that should show a marker must show it escaped,
// so the test cannot pass by not looking.
//
// The marker has no control characters (names refuse those).

import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, BUILD_DIR } from './harness.mjs';

const PW = 'Demo2026';
const SCHOOL_ADMIN = '13800000002'; // 李敏, school 1
const WANG = '13800000003'; // teacher at school 1
const ZHANG = '13900000001'; // parent of 张一鸣
const S1 = 1;
const NEW_PW = 'Xss2026pass';

// Each field gets the marker with a tag naming it, so a raw hit says where
// the unescaped text came from.
const RAW = '<b>jxXSS</b><img src=x onerror=alert(1)>"\'';
const mark = (tag) => `${tag}${RAW}`;
// Fields of at most 30 characters (a subject) get the short form.
const SHORT = '<b>jxXSS</b>"\'';
const ESCAPED = /&lt;b&gt;jxXSS&lt;\/b&gt;/;

let server;
// The tags whose escaped marker some page showed.
const seen = new Set();
const TAGS = ['district', 'school', 'dadmin', 'sadmin', 'class', 'teacher', 'student', 'guardian',
	'leaver', 'leave', 'title', 'body', 'reason', 'rejection', 'rules'];

function record(text) {
	for (const tag of TAGS)
		if (text.includes(`${tag}&lt;b&gt;jxXSS`))
			seen.add(tag);
}

before(async () => {
	server = await startServer({ command: 'demo', init: false, set: { plugin_dir: path.join(BUILD_DIR, 'plugins') } });
});

after(async () => {
	if (server)
		await server.stop();
});

async function login(loginName, password = PW) {
	const c = server.client();
	const r = await c.login(loginName, password);
	assert.equal(r.status, 200, `login ${loginName}: ${r.status} ${r.text.slice(0, 300)}`);
	c.me = r.json;
	return c;
}

// Logs in with an initial password and sets a new one.
async function firstLogin(loginName, initial) {
	const c = await login(loginName, initial);
	if (c.me.account.must_change_password) {
		const r = await c.put('/api/v1/me/password', { old_password: initial, new_password: NEW_PW });
		assert.equal(r.status, 204, r.text);
	}
	return c;
}

function ok(r, what) {
	assert.ok(r.status >= 200 && r.status < 300, `${what}: ${r.status} ${r.text.slice(0, 400)}`);
	return r.json;
}

// Fetches a page and checks it: never the raw marker; `shows` (default
// true) demands the escaped marker.
async function page(c, who, url, shows = true, status = 200) {
	const r = await c.get(url);
	assert.equal(r.status, status, `${who} GET ${url}: ${r.status} ${r.text.slice(0, 300)}`);
	assert.match(r.headers.get('content-type') ?? '', /text\/html/, `${who} GET ${url} is a page`);
	const i = r.text.indexOf('jxXSS</b>');
	const raw = r.text.indexOf('<img src=x');
	assert.ok(i < 0 && raw < 0,
		`${who} GET ${url} shows the marker raw: …${r.text.slice(Math.max(0, Math.max(i, raw) - 200), Math.max(i, raw) + 60)}…`);
	record(r.text);
	if (shows)
		assert.match(r.text, ESCAPED, `${who} GET ${url} shows the marker (escaped)`);
	return r;
}

test('no page shows a user-written value raw', async () => {
	const city = await login('admin');
	const admin = await login(SCHOOL_ADMIN);

	// ---- organisation: district, school, admins (city admin) ----------
	const district = ok(await city.post('/api/v1/districts', { code: '430199', name: mark('district') }), 'district');
	const school = ok(await city.post(`/api/v1/districts/${district.id}/schools`, {
		code: '4301990001', name: mark('school'), stage: 'primary',
	}), 'school');
	const dadmin = ok(await city.post(`/api/v1/districts/${district.id}/admins`, {
		name: mark('dadmin'), phone: '13700090001',
	}), 'district admin');
	ok(await city.post(`/api/v1/schools/${school.id}/admins`, {
		name: mark('sadmin'), phone: '13700090002',
	}), 'school admin');
	const dreset = ok(await city.post(`/api/v1/accounts/${dadmin.account_id}/password-reset`, {}), 'reset district admin');
	const dist = await firstLogin(dadmin.login, dreset.initial_password);
	// the district's rule chunk: a comment is a chunk that changes nothing
	ok(await dist.put(`/api/v1/districts/${district.id}/rules`, {
		source: `-- ${mark('rules')}\n`,
	}), 'rules');

	// ---- roster of demo school 1 (its admin) -------------------------
	const wangId = (await login(WANG)).me.identities.find((i) => i.role === 'teacher');
	const wangPerson = ok(await admin.get(`/api/v1/schools/${S1}/teachers?q=${encodeURIComponent('王芳')}`), 'find 王芳').items[0].id;
	assert.ok(wangId && wangPerson);
	const klass = ok(await admin.post(`/api/v1/schools/${S1}/classes`, {
		grade: 2, name: mark('class'), head_teacher_id: wangPerson,
	}), 'class');
	const teacher = ok(await admin.post(`/api/v1/schools/${S1}/teachers`, {
		name: mark('teacher'), phone: '13700090003', gender: '女', subject: SHORT, class_ids: [klass.id],
	}), 'teacher');
	assert.ok(teacher.id);
	const student = ok(await admin.post(`/api/v1/schools/${S1}/students`, {
		name: mark('student'), gender: '女', class_id: klass.id,
		guardian1_name: '张伟', guardian1_phone: ZHANG, guardian1_relation: SHORT,
		guardian2_name: mark('guardian'), guardian2_phone: '13700090004', guardian2_relation: '母亲',
	}), 'student');
	const leaver = ok(await admin.post(`/api/v1/schools/${S1}/students`, {
		name: mark('leaver'), gender: '男', class_id: klass.id,
	}), 'second student');
	ok(await admin.post(`/api/v1/students/${leaver.id}/leave`, { reason: mark('leave') }), 'leave');

	// the student's first login, from the slip
	const slips = ok(await admin.get(`/api/v1/schools/${S1}/slips?class_id=${klass.id}`), 'slips');
	const slip = slips.find((s) => s.student_id === student.id);
	assert.ok(slip?.initial_password, JSON.stringify(slips));
	const pupil = await firstLogin(slip.login, slip.initial_password);

	// ---- a notice to the class (title, body) -------------------------
	// (and to 一年级1班, which 王芳 teaches)
	const c11 = ok(await admin.get(`/api/v1/schools/${S1}/classes`), 'classes')
		.find((c) => c.grade === 1 && c.name === '1班').id;
	const notice = ok(await admin.post('/api/v1/notices', {
		kind: 'school', title: mark('title'), body: mark('body'),
		audience: { class_ids: [klass.id, c11], roles: ['parent', 'teacher', 'student'] },
	}), 'notice');

	// ---- key information: a submission with a reason, rejected --------
	const sub = ok(await pupil.put(`/api/v1/students/${student.id}/keyinfo`, {
		city_no: '4301000099', reason: mark('reason'),
	}), 'keyinfo submission');
	ok(await admin.post(`/api/v1/keyinfo/changes/${sub.change_id}/review`, {
		decision: 'reject', reason: mark('rejection'),
	}), 'rejection');

	// ---- parents: 张伟 acts as the new child's parent ----------------
	const zhang = await login(ZHANG);
	const parentIdent = zhang.me.identities.find((i) => i.role === 'parent' && i.student_id === student.id);
	assert.ok(parentIdent, '张伟 is a parent of the new student');
	ok(await zhang.put('/api/v1/me/identity', { identity_id: parentIdent.id }), 'switch to the new child');

	const wang = await login(WANG);

	// ---- the pages ----------------------------------------------------
	// (no page lists districts or schools to the city admin yet)
	await page(city, 'city admin', '/', false);
	await page(city, 'city admin', `/schools/${school.id}/classes`, false);
	await page(dist, 'district admin', '/me');
	await page(dist, 'district admin', '/');
	await page(dist, 'district admin', '/keyinfo', false);
	await page(dist, 'district admin', '/keyinfo/rules');
	await page(city, 'city admin', `/keyinfo/rules?district_id=${district.id}`);
	await page(city, 'city admin', '/keyinfo/rules');

	await page(admin, 'school admin', `/schools/${S1}/classes`);
	await page(admin, 'school admin', `/schools/${S1}/students`);
	await page(admin, 'school admin', `/schools/${S1}/students?class_id=${klass.id}`);
	await page(admin, 'school admin', `/schools/${S1}/students?status=left`);
	await page(admin, 'school admin', `/students/${student.id}`);
	await page(admin, 'school admin', `/students/${leaver.id}`);
	await page(admin, 'school admin', `/students/${student.id}/keyinfo`);
	await page(admin, 'school admin', `/schools/${S1}/teachers`);
	await page(admin, 'school admin', `/schools/${S1}/students/new`, false);
	await page(admin, 'school admin', `/schools/${S1}/teachers/new`, false);
	await page(admin, 'school admin', `/schools/${S1}/slips?class_id=${klass.id}`);
	await page(admin, 'school admin', '/notices');
	await page(admin, 'school admin', `/notices/${notice.id}`);
	await page(admin, 'school admin', `/notices/${notice.id}/receipts`);
	await page(admin, 'school admin', '/notices/new');
	await page(admin, 'school admin', '/keyinfo');
	await page(admin, 'school admin', '/keyinfo/changes?status=rejected', false);
	await page(admin, 'school admin', '/keyinfo/changes', false);
	await page(admin, 'school admin', '/keyinfo/reconcile', false);
	await page(admin, 'school admin', '/me/password', false);

	await page(wang, 'teacher', `/schools/${S1}/students`);
	await page(wang, 'teacher', `/students/${student.id}`);
	await page(wang, 'teacher', '/inbox');
	await page(wang, 'teacher', `/notices/${notice.id}`);
	await page(wang, 'teacher', '/notices/calls', false);
	await page(wang, 'teacher', '/me', false);

	await page(zhang, 'parent', '/');
	await page(zhang, 'parent', '/me');
	await page(zhang, 'parent', '/inbox');
	await page(zhang, 'parent', `/notices/${notice.id}`);
	await page(zhang, 'parent', `/students/${student.id}`);
	await page(zhang, 'parent', `/students/${student.id}/keyinfo`);

	await page(pupil, 'student', '/');
	await page(pupil, 'student', '/me');
	await page(pupil, 'student', '/inbox');
	await page(pupil, 'student', `/notices/${notice.id}`);
	await page(pupil, 'student', `/students/${student.id}/keyinfo`);

	// ---- forms shown again with what was typed -------------------------
	const form = (c, url, fields) => c.request('POST', url, {
		body: new URLSearchParams({ csrf_token: c.csrfToken, ...fields }).toString(),
		headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
	});
	for (const [url, fields] of [
		[`/schools/${S1}/classes`, { grade: '', name: mark('formclass') }],
		[`/schools/${S1}/students`, { name: mark('formstudent'), gender: '', grade: '', class: '' }],
		[`/schools/${S1}/teachers`, { name: mark('formteacher'), phone: 'x' }],
		['/notices', { kind: 'school', title: mark('formtitle'), body: mark('formbody') }],
	]) {
		const r = await form(admin, url, fields);
		assert.ok(r.status === 422 || r.status === 400, `POST ${url}: ${r.status} ${r.text.slice(0, 300)}`);
		assert.ok(!r.text.includes('jxXSS</b>') && !r.text.includes('<img src=x'), `POST ${url} echoes the marker raw`);
		assert.match(r.text, ESCAPED, `POST ${url} shows what was typed (escaped)`);
	}
	// Every value was read back escaped on some page, except those no
	// page shows today (a new school's admin, a leaving reason, a
	// submission's own reason): they are stored, and the raw checks above
	// hold for them the day a page shows them.
	const unshown = new Set(['sadmin', 'leave', 'reason']);
	assert.deepEqual(TAGS.filter((t) => !seen.has(t) && !unshown.has(t)), [], 'every value was seen on a page');
});
