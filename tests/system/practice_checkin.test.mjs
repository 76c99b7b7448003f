// System test of practice's check-in (issue 18; API.md, "Social
// practice"): who may check a student in (a base admin of the activity's
// base, a teacher of the student's class; not another teacher, a parent,
// the district admin), only a confirmed registration (not waitlisted or
// cancelled), once (the second answers 409 and makes no second record);
// the approved social_practice growth record with the hours, in the
// student's records and portfolio; the signed QR code (SVG, the link as
// JSON to the family only; the scan page shows the student to the staff
// and checks in by a POST form; a forged s, a changed r, a used code and
// another person are refused with a readable page; an expired code after
// the clock moves on); the staff's list (all or nothing); the learning
// space's section; reminders the day before, once; the attendance xlsx
// matching the JSON list.
//
// The tests run in order on one server and build on one another.
//
// Demo school 1: 一年级1班 (王芳 13800000003 heads it, 陈刚 13800000004
// teaches it), 三年级1班 (陈刚 heads it; 王芳 does not teach it). 张伟
// 13900000001 is 张一鸣's father. 周建国 13800000001 is the district admin.

import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { startServer, BUILD_DIR } from './harness.mjs';
import { readXlsx } from './xlsx.mjs';
import { download } from './keyinfo_lib.mjs';
import { ADMIN1, WANG, CHEN, ZHANG, PW, loginAs } from './records_lib.mjs';

const DA = '13800000001';
const BASE_PHONE = '13700000088';
const NEW_PW = 'Base2026ok';
const HOUR = 3600;
const REMIND_HOUR = (new Date().getUTCHours() + 8 + 12) % 24; // Asia/Shanghai

let server, offset = 0;
const c = {};
const kids = {}; // name -> {id, login, class_id}
const regs = {}; // name -> registration id at activity A
let base, actA, actB, actC, linkLsh;

function settings() {
	return {
		plugin_dir: path.join(BUILD_DIR, 'plugins'),
		plugins: ['roster', 'feeds', 'records', 'records_basic', 'practice'],
		public_url: 'https://jx.example.cn',
		// the daily reminder twelve hours away from now: it never fires
		// in the middle of a test, only once the clock is moved on
		'practice.remind_hour': REMIND_HOUR,
		'testing.clock_offset_seconds': offset,
	};
}

const login = (who, pw = PW) => loginAs(server, who, pw);

function sql(query) {
	const r = spawnSync('sqlite3', ['-cmd', '.timeout 10000', path.join(server.dataDir, 'jiaxiao.db'), query],
		{ encoding: 'utf8' });
	assert.equal(r.status, 0, r.stderr);
	return r.stdout.trim();
}

// The host's clock (shifted by offset) as an ISO time h hours from now.
const at = (h) => new Date(Date.now() + offset * 1000 + h * HOUR * 1000).toISOString();

async function activity(title, startIn, capacity, grades = [1, 3]) {
	const r = await c.da.post('/api/v1/practice/activities', {
		base_id: base, title, description: '参观橘子洲，了解湘江的历史',
		starts_at: at(startIn), ends_at: at(startIn + 3), signup_deadline: at(Math.min(startIn - 0.5, 1)),
		capacity, grades, hours: 3.5,
	});
	assert.equal(r.status, 201, r.text);
	return r.json.id;
}

async function register(cl, act, name) {
	const r = await cl.post(`/api/v1/practice/activities/${act}/registrations`, { student_id: kids[name].id });
	assert.equal(r.status, 201, `${name}: ${r.text}`);
	return r.json;
}

// Waits for job id (as cl sees it) to end; its final state.
async function job(cl, id) {
	const deadline = Date.now() + 30000;
	for (;;) {
		const r = await cl.get(`/api/v1/jobs/${id}`);
		assert.equal(r.status, 200, r.text);
		if (r.json.state === 'succeeded' || r.json.state === 'failed')
			return r.json;
		assert.ok(Date.now() < deadline, `job ${id} still ${r.json.state}`);
		await new Promise((res) => setTimeout(res, 100));
	}
}

// The form a page holds, as a urlencoded body, with extra fields.
function formOf(html, extra = {}) {
	const fields = new URLSearchParams();
	for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g))
		fields.set(m[1], m[2].replace(/&amp;/g, '&'));
	for (const [k, v] of Object.entries(extra))
		fields.append(k, v);
	return fields.toString();
}

const postForm = (cl, p, body) => cl.request('POST', p, {
	body, headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
});

// A URL's path and query (the link names the public address).
const local = (url) => { const u = new URL(url); return u.pathname + u.search; };

test.before(async () => {
	server = await startServer({ command: 'demo', init: false, set: settings() });
	for (const [k, who] of [['da', DA], ['admin1', ADMIN1], ['wang', WANG], ['chen', CHEN], ['zhang', ZHANG]])
		c[k] = await login(who);
	for (const name of ['张一鸣', '李思涵', '王子轩', '陈小雨', '赵欣怡', '陈小阳', '孙浩然']) {
		const r = await c.admin1.get(`/api/v1/schools/1/students?q=${encodeURIComponent(name)}`);
		assert.equal(r.status, 200, r.text);
		const s = r.json.items[0];
		kids[name] = { id: s.id, login: s.account.login, class_id: s.class_id };
		c[name] = await login(s.account.login);
	}
	// a base and its staff member, who sets a password at first login
	let r = await c.da.post('/api/v1/practice/bases', { name: '橘子洲实践基地', address: '岳麓区橘子洲头' });
	assert.equal(r.status, 201, r.text);
	base = r.json.id;
	r = await c.da.post(`/api/v1/practice/bases/${base}/admins`, { name: '罗基地', phone: BASE_PHONE });
	assert.equal(r.status, 201, r.text);
	assert.ok(r.json.initial_password, r.text);
	const b = server.client();
	assert.equal((await b.login(BASE_PHONE, r.json.initial_password)).status, 200);
	r = await b.put('/api/v1/me/password', { old_password: r.json.initial_password, new_password: NEW_PW });
	assert.equal(r.status, 204, r.text);
	c.base = await login(BASE_PHONE, NEW_PW);
	assert.equal(c.base.me.identities.find((i) => i.id === c.base.me.acting_identity_id)?.role, 'base_admin');

	// activity A, today in two hours: 4 seats
	actA = await activity('橘子洲研学', 2, 4);
	regs['张一鸣'] = (await register(c.zhang, actA, '张一鸣')).id;
	for (const name of ['陈小阳', '李思涵', '赵欣怡'])
		regs[name] = (await register(c[name], actA, name)).id;
	const w = await register(c['王子轩'], actA, '王子轩');
	assert.equal(w.status, 'waitlisted');
	regs['王子轩'] = w.id;
	// 赵欣怡's seat is given up (by the staff: the family's cancellation
	// closed a day before the start): 王子轩 moves up, 孙浩然 waits
	r = await c.da.del(`/api/v1/practice/registrations/${regs['赵欣怡']}`);
	assert.equal(r.status, 204, r.text);
	const s = await register(c['孙浩然'], actA, '孙浩然');
	assert.equal(s.status, 'waitlisted', JSON.stringify(s));
	regs['孙浩然'] = s.id;
});

test.after(async () => {
	await server?.stop();
});

test('the record type social_practice: registered by practice, staff only by hand', async () => {
	const r = await c.zhang.get('/api/v1/record-types');
	assert.equal(r.status, 200, r.text);
	const t = r.json.find((x) => x.code === 'social_practice');
	assert.ok(t, r.text);
	assert.equal(t.plugin, 'practice');
	assert.equal(t.name, '社会实践');
	assert.deepEqual(t.creators, ['school_admin']);
	assert.deepEqual(t.fields.map((f) => [f.name, f.type, f.required]), [
		['activity', 'text', true], ['base', 'text', true], ['date', 'date', true],
		['hours', 'number', true], ['description', 'longtext', false]]);
	// a parent cannot claim hours by hand
	const p = await c.zhang.post(`/api/v1/students/${kids['张一鸣'].id}/records`, {
		type: 'social_practice', title: '自己去的', fields: { activity: 'x', base: 'y', date: '2026-11-01', hours: 3 },
	});
	assert.ok([403, 422].includes(p.status), p.text);
});

test('check-in: refused to those who may not, and for registrations not confirmed', async () => {
	const post = (cl, name) => cl.post(`/api/v1/practice/registrations/${regs[name]}/check-in`, {});
	// the parent sees the registration but checks in nobody
	let r = await post(c.zhang, '张一鸣');
	assert.equal(r.status, 403, r.text);
	// a teacher who does not teach 三年级1班 does not even see 陈小阳's
	r = await post(c.wang, '陈小阳');
	assert.equal(r.status, 404, r.text);
	// the district admin manages the base but is not on site
	r = await post(c.da, '张一鸣');
	assert.equal(r.status, 403, r.text);
	// the student
	r = await post(c['李思涵'], '李思涵');
	assert.equal(r.status, 403, r.text);
	// waitlisted, cancelled
	r = await post(c.base, '孙浩然');
	assert.equal(r.status, 409, r.text);
	assert.match(r.json.type, /not-confirmed$/);
	r = await post(c.base, '赵欣怡');
	assert.equal(r.status, 409, r.text);
	assert.match(r.json.type, /not-confirmed$/);
	r = await c.base.post('/api/v1/practice/registrations/999999/check-in', {});
	assert.equal(r.status, 404, r.text);
	assert.equal(sql(`SELECT COUNT(*) FROM practice_registrations WHERE status = 'checked_in'`), '0');
});

test('check-in by the base admin: checked_in, an approved record with the hours, once', async () => {
	const id = regs['张一鸣'];
	let r = await c.base.post(`/api/v1/practice/registrations/${id}/check-in`, {});
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.status, 'checked_in');
	assert.equal(r.json.hours, 3.5);
	assert.ok(r.json.record_id > 0, r.text);
	assert.ok(r.json.checked_in_at, r.text);
	const record = r.json.record_id;
	// the second answers 409 and makes no second record
	r = await c.base.post(`/api/v1/practice/registrations/${id}/check-in`, {});
	assert.equal(r.status, 409, r.text);
	assert.match(r.json.type, /already-checked-in$/);
	// the family sees the record, approved, with the hours
	r = await c.zhang.get(`/api/v1/students/${kids['张一鸣'].id}/records?type=social_practice`);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.items.length, 1, r.text);
	const rec = r.json.items[0];
	assert.equal(rec.id, record);
	assert.equal(rec.status, 'approved');
	assert.equal(rec.title, '橘子洲研学');
	assert.equal(Number(rec.fields.hours), 3.5);
	assert.equal(rec.fields.base, '橘子洲实践基地');
	assert.match(rec.fields.date, /^\d{4}-\d{2}-\d{2}$/);
	// and in the portfolio
	r = await c.zhang.get(`/api/v1/students/${kids['张一鸣'].id}/portfolio`);
	assert.equal(r.status, 200, r.text);
	assert.ok(r.text.includes('橘子洲研学'), 'the record is in the portfolio');
	// the registration says so to the family
	r = await c.zhang.get(`/api/v1/practice/registrations/${id}`);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.status, 'checked_in');
	// the family was told (in the app, for the student and the father)
	assert.equal(sql(`SELECT COUNT(*) FROM host_outbox WHERE template = 'practice_checked_in' AND ref = 'practice_registration:${id}' AND channel = 'inapp'`), '2');
	assert.equal(sql(`SELECT COUNT(*) FROM practice_registrations WHERE id = ${id} AND checked_in_by IS NOT NULL AND record_id = ${record}`), '1');
	// audit-logged, as a review is, once
	assert.equal(sql(`SELECT COUNT(*) FROM audit_log WHERE action = 'practice.checked_in' AND target = 'practice_registration:${id}'`), '1');
});

test('check-in by a teacher of the student\'s class', async () => {
	const r = await c.chen.post(`/api/v1/practice/registrations/${regs['陈小阳']}/check-in`, {});
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.status, 'checked_in');
});

test('the QR code: an SVG of a signed link, to the family only', async () => {
	const id = regs['李思涵'];
	let r = await c['李思涵'].get(`/api/v1/practice/registrations/${id}/qr`);
	assert.equal(r.status, 200, r.text);
	assert.match(r.headers.get('content-type'), /^image\/svg\+xml/);
	assert.match(r.text, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*viewBox="0 0 (\d+) \1"/);
	assert.match(r.text, /<path d="M\d+ \d+h\d+v1h-\d+z/);
	assert.match(r.headers.get('cache-control') ?? '', /no-store/);
	r = await c['李思涵'].get(`/api/v1/practice/registrations/${id}/qr?format=json`);
	assert.equal(r.status, 200, r.text);
	const url = new URL(r.json.url);
	assert.equal(url.origin, 'https://jx.example.cn');
	assert.equal(url.pathname, '/practice/checkin');
	assert.equal(url.searchParams.get('r'), String(id));
	assert.match(url.searchParams.get('s'), /^[0-9a-f]{64}$/);
	assert.equal(Number(url.searchParams.get('e')), Date.parse(r.json.expires_at) / 1000);
	linkLsh = r.json.url;
	// nobody else gets it: not the staff, not another family
	for (const who of ['base', 'zhang', 'wang', 'da'])
		assert.equal((await c[who].get(`/api/v1/practice/registrations/${id}/qr`)).status, 404, who);
	// nothing to check in: waitlisted, or already done
	assert.equal((await c['孙浩然'].get(`/api/v1/practice/registrations/${regs['孙浩然']}/qr`)).status, 409);
	assert.equal((await c.zhang.get(`/api/v1/practice/registrations/${regs['张一鸣']}/qr`)).status, 409);
});

test('scanning the code: the staff see the student and check in by a POST form', async () => {
	const p = local(linkLsh);
	// not logged in: the login, then back to the whole link
	const anon = server.client();
	let r = await anon.get(p);
	assert.equal(r.status, 303);
	const loc = new URL(r.headers.get('location'), server.url);
	assert.equal(loc.pathname, '/login');
	assert.equal(loc.searchParams.get('next'), p);
	// a parent who opens it: a readable refusal, and nothing shown
	r = await c.zhang.get(p);
	assert.equal(r.status, 403, r.text);
	assert.match(r.text, /只有实践基地的工作人员/);
	assert.ok(!r.text.includes('李思涵'), 'no student shown to others');
	// forged and changed codes
	const u = new URL(linkLsh);
	const s = u.searchParams.get('s');
	const forged = new URL(u);
	forged.searchParams.set('s', (s[0] === 'a' ? 'b' : 'a') + s.slice(1));
	r = await c.base.get(local(forged.href));
	assert.equal(r.status, 400, r.text);
	assert.match(r.text, /二维码无效/);
	const changed = new URL(u);
	changed.searchParams.set('r', String(regs['王子轩']));
	r = await c.base.get(local(changed.href));
	assert.equal(r.status, 400, r.text);
	const longer = new URL(u);
	longer.searchParams.set('e', String(Number(u.searchParams.get('e')) + 86400));
	assert.equal((await c.base.get(local(longer.href))).status, 400, 'a later expiry is a forgery too');
	for (const q of ['', '?r=1', '?r=abc&e=1&s=x', `?r=${regs['李思涵']}&e=0&s=${s}`])
		assert.equal((await c.base.get(`/practice/checkin${q}`)).status, 400, q);
	// a forged code posted: nothing checked in
	r = await postForm(c.base, '/practice/checkin', formOf('', {
		r: forged.searchParams.get('r'), e: forged.searchParams.get('e'), s: forged.searchParams.get('s'),
	}));
	assert.equal(r.status, 400, r.text);
	assert.equal(sql(`SELECT status FROM practice_registrations WHERE id = ${regs['李思涵']}`), 'confirmed');
	// the staff: the student, the activity and a button; GET changes nothing
	r = await c.base.get(p);
	assert.equal(r.status, 200, r.text);
	assert.ok(r.text.includes('李思涵') && r.text.includes('一年级1班') && r.text.includes('橘子洲研学'), r.text);
	assert.match(r.text, /<form method="post" action="\/practice\/checkin">/);
	assert.equal(sql(`SELECT status FROM practice_registrations WHERE id = ${regs['李思涵']}`), 'confirmed');
	// the form without the CSRF token is refused
	const form = formOf(r.text);
	r = await c.base.request('POST', '/practice/checkin', {
		body: form.replace(/csrf_token=[^&]*/, 'csrf_token=wrong'),
		headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-CSRF-Token': '' },
	});
	assert.equal(r.status, 403, r.text);
	assert.equal(sql(`SELECT status FROM practice_registrations WHERE id = ${regs['李思涵']}`), 'confirmed');
	// the button: checked in, back to the page that says so
	r = await postForm(c.base, '/practice/checkin', form);
	assert.equal(r.status, 303, r.text);
	const back = r.headers.get('location');
	assert.match(back, /&done=1$/);
	r = await c.base.get(back);
	assert.equal(r.status, 200, r.text);
	assert.match(r.text, /签到成功/);
	assert.equal(sql(`SELECT status FROM practice_registrations WHERE id = ${regs['李思涵']}`), 'checked_in');
	// the same code again: used
	r = await c.base.get(p);
	assert.equal(r.status, 409, r.text);
	assert.match(r.text, /已签到，不能重复签到/);
	r = await postForm(c.base, '/practice/checkin', form);
	assert.equal(r.status, 409, r.text);
	assert.equal(sql(`SELECT COUNT(*) FROM host_outbox WHERE template = 'practice_checked_in' AND ref = 'practice_registration:${regs['李思涵']}'`), '1');
	r = await c['李思涵'].get(`/api/v1/students/${kids['李思涵'].id}/records?type=social_practice`);
	assert.equal(r.json.items.length, 1, r.text);
	assert.equal(r.json.items[0].status, 'approved');
});

test('the staff\'s list: in class order, ticks, all or nothing', async () => {
	let r = await c.base.get(`/api/v1/practice/activities/${actA}/checkin`);
	assert.equal(r.status, 200, r.text);
	const byName = Object.fromEntries(r.json.items.map((x) => [x.name, x]));
	assert.deepEqual(Object.keys(byName).sort(), ['张一鸣', '李思涵', '王子轩', '陈小阳'].sort(),
		'confirmed and checked in, not waitlisted or cancelled');
	assert.equal(byName['王子轩'].status, 'confirmed');
	assert.equal(byName['王子轩'].can_check_in, true);
	assert.equal(byName['王子轩'].class_name, '一年级1班');
	assert.equal(byName['张一鸣'].can_check_in, false);
	assert.equal(r.json.checked_in, 3);
	// a teacher sees the students of the classes taught only
	r = await c.wang.get(`/api/v1/practice/activities/${actA}/checkin`);
	assert.equal(r.status, 200, r.text);
	assert.ok(!r.json.items.some((x) => x.name === '陈小阳'), 'not 三年级1班');
	// families do not see the list
	assert.equal((await c.zhang.get(`/api/v1/practice/activities/${actA}/checkin`)).status, 404);
	// one bad id: nothing checked in, the error names it
	r = await c.base.post(`/api/v1/practice/activities/${actA}/checkin`,
		{ registration_ids: [regs['王子轩'], regs['孙浩然']] });
	assert.equal(r.status, 422, r.text);
	assert.equal(r.json.errors[0].field, 'registration_ids');
	assert.match(r.json.errors[0].message, /孙浩然/);
	assert.equal(sql(`SELECT status FROM practice_registrations WHERE id = ${regs['王子轩']}`), 'confirmed');
	// the page: the same refusal as a readable page
	r = await c.base.get(`/practice/activities/${actA}/checkin`);
	assert.equal(r.status, 200, r.text);
	assert.match(r.text, /name="registration_ids" value="\d+"/);
	r = await postForm(c.base, `/practice/activities/${actA}/checkin`,
		formOf(r.text, { registration_ids: String(regs['孙浩然']) }));
	assert.equal(r.status, 422, r.text);
	assert.match(r.text, /role="alert"[^>]*>[^<]*孙浩然/);
	// the page's form: 王子轩 ticked (twice: one check-in)
	r = await c.base.get(`/practice/activities/${actA}/checkin`);
	r = await postForm(c.base, `/practice/activities/${actA}/checkin`,
		`${formOf(r.text, { registration_ids: String(regs['王子轩']) })}&registration_ids=${regs['王子轩']}`);
	assert.equal(r.status, 303, r.text);
	assert.match(r.headers.get('location'), /\?done=1$/);
	assert.equal(sql(`SELECT status FROM practice_registrations WHERE id = ${regs['王子轩']}`), 'checked_in');
	r = await c.base.get(r.headers.get('location'));
	assert.match(r.text, /已签到 1 人/);
});

test('the attendance sheet matches the list', async () => {
	const list = (await c.da.get(`/api/v1/practice/activities/${actA}/checkin`)).json.items;
	const x = await download(server, c.da, `/api/v1/practice/activities/${actA}/attendance.xlsx`);
	assert.equal(x.status, 200);
	assert.match(x.headers.get('content-type'), /spreadsheetml/);
	const { rows } = readXlsx(x.buf);
	assert.match(rows[0].cells.A.text, /橘子洲研学/);
	assert.deepEqual(Object.values(rows[1].cells).map((v) => v.text),
		['学生', '学校', '班级', '状态', '签到时间', '实践学时']);
	const data = rows.slice(2).map((row) => ['A', 'B', 'C', 'D', 'F'].map((k) => row.cells[k]?.text ?? ''));
	assert.deepEqual(data, list.map((i) => [i.name, i.school_name, i.class_name,
		i.status === 'checked_in' ? '已签到' : '未签到', String(i.hours)]));
	assert.ok(rows.slice(2).every((row) => (row.cells.E?.text ?? '') !== ''), 'every one on the list came');
	// a teacher: a part of the list, not the sheet; families: nothing
	assert.equal((await download(server, c.wang, `/api/v1/practice/activities/${actA}/attendance.xlsx`)).status, 403);
	assert.equal((await download(server, c.zhang, `/api/v1/practice/activities/${actA}/attendance.xlsx`)).status, 404);
	assert.equal((await download(server, c.base, `/api/v1/practice/activities/${actA}/attendance.xlsx`)).status, 200);
});

test('the learning space\'s section: hours and registrations', async () => {
	const r = await c.zhang.get(`/api/v1/spaces/learning/${kids['张一鸣'].id}`);
	assert.equal(r.status, 200, r.text);
	const sec = r.json.sections.find((x) => x.code === 'practice');
	assert.ok(sec, r.text);
	assert.equal(sec.title, '社会实践');
	assert.equal(sec.items[0].title, '累计实践 3.5 学时');
	assert.equal(sec.items[1].title, '橘子洲研学');
	assert.equal(sec.items[1].href, `/practice/activities/${actA}`);
	// a student without registrations has no such section
	const s = await c.admin1.get(`/api/v1/spaces/learning/${kids['陈小雨'].id}`);
	assert.equal(s.status, 200, s.text);
	assert.ok(!s.json.sections.some((x) => x.code === 'practice'), 'no registrations: no section');
});

test('reminders the day before: each confirmed family once', async () => {
	// B in 20 hours (always before the end of tomorrow, local time), C in
	// three days (always after it)
	actB = await activity('岳麓书院研学', 20, 10);
	actC = await activity('湘江观鸟', 72, 10);
	const b1 = (await register(c.zhang, actB, '张一鸣')).id;
	const b2 = (await register(c['陈小雨'], actB, '陈小雨')).id;
	const c1 = (await register(c['赵欣怡'], actC, '赵欣怡')).id;
	// the first registration armed the daily timer
	assert.equal(sql(`SELECT COUNT(*) FROM host_outbox WHERE channel = 'practice_remind' AND state = 'pending'`), '1');
	// teachers and families do not run it
	assert.equal((await c.wang.post('/api/v1/practice/reminders/run', {})).status, 403);
	let r = await c.da.post('/api/v1/practice/reminders/run', {});
	assert.equal(r.status, 202, r.text);
	let j = await job(c.da, r.json.job_id);
	assert.equal(j.state, 'succeeded', JSON.stringify(j));
	// B's two, not C's; A's confirmed ones were checked in already
	assert.equal(j.result.reminded, 2, JSON.stringify(j));
	assert.notEqual(sql(`SELECT reminded_at FROM practice_registrations WHERE id = ${b1}`), '');
	assert.notEqual(sql(`SELECT reminded_at FROM practice_registrations WHERE id = ${b2}`), '');
	assert.equal(sql(`SELECT reminded_at IS NULL FROM practice_registrations WHERE id = ${c1}`), '1');
	assert.equal(sql(`SELECT COUNT(*) FROM host_outbox WHERE template = 'practice_reminder' AND ref = 'practice_registration:${b1}' AND channel = 'inapp'`), '2');
	// again: nobody twice
	r = await c.da.post('/api/v1/practice/reminders/run', {});
	j = await job(c.da, r.json.job_id);
	assert.equal(j.result.reminded, 0, JSON.stringify(j));
	assert.equal(sql(`SELECT COUNT(*) FROM host_outbox WHERE template = 'practice_reminder'`), '4');
	assert.equal(sql(`SELECT COUNT(*) FROM host_outbox WHERE channel = 'practice_remind' AND state = 'pending'`), '1');
});

test('the daily timer reminds by itself, and an expired code is refused', async () => {
	// two days on: C starts tomorrow; A's check-in window and codes are over
	offset = 2 * 86400;
	await server.restart({ set: settings() });
	c.base = await login(BASE_PHONE, NEW_PW);
	c.da = await login(DA);
	// the day's timer ran the job without anyone asking
	const deadline = Date.now() + 20000;
	let done;
	do {
		done = sql(`SELECT reminded_at IS NOT NULL FROM practice_registrations WHERE activity_id = ${actC}`);
		if (done !== '1')
			await new Promise((res) => setTimeout(res, 200));
	} while (done !== '1' && Date.now() < deadline);
	assert.equal(done, '1', 'C\'s family reminded by the daily timer');
	let r = await c.base.get(local(linkLsh));
	assert.equal(r.status, 410, r.text);
	assert.match(r.text, /二维码已过期/);
	// and nothing checks in after the window
	r = await c.base.post(`/api/v1/practice/registrations/${regs['孙浩然']}/check-in`, {});
	assert.equal(r.status, 409, r.text);
});
