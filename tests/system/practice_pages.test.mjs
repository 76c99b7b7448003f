// System test of the social-practice pages' reach (issue 18): the pages
// read the practice tables themselves, so each is checked for whom it
// shows what. In the demo district, the district admin makes two bases
// (a base admin for the first), an activity for 一年级 at the first and
// one for 三年级 at the second. Then:
//
//   - /api/v1/practice/manage (the console's polled data) and its page:
//     the district admin sees both activities, the base admin its own,
//     a parent or a teacher neither (403); the counts follow a
//     registration;
//   - a base admin gets 404 for the other base's activity and base pages;
//   - a family sees the activity for its child's grade, not the other
//     (list, detail 404), registers, and finds it on 我的报名 with the
//     check-in QR code's address; its home cell counts what is open;
//     the student sees the same on its own pages;
//   - text from the database is escaped on every page.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, BUILD_DIR } from './harness.mjs';

const PW = 'Demo2026';
const DADMIN = '13800000001';
const WANG = '13800000003'; // teacher, school 1
const ZHANG = '13900000001'; // parent of 张一鸣 (一年级1班)
const STAFF = '13766770001';
const NEW_PW = 'Pages2026xyz';

let server;
const c = {};
const ids = {};

async function login(who, password = PW) {
	const cl = server.client();
	const r = await cl.login(who, password);
	assert.equal(r.status, 200, `${who}: ${r.text}`);
	return cl;
}

// ISO 8601 with +08:00, hours from now.
function at(hours) {
	const local = new Date(Date.now() + hours * 3600e3 + 8 * 3600e3);
	return `${local.toISOString().slice(0, 19)}+08:00`;
}

async function page(cl, url, status = 200) {
	const r = await cl.get(url, { headers: { Accept: 'text/html' } });
	assert.equal(r.status, status, `${url}: ${r.status} ${r.text.slice(0, 300)}`);
	return r.text;
}

test.before(async () => {
	server = await startServer({
		command: 'demo',
		init: false,
		set: {
			plugin_dir: path.join(BUILD_DIR, 'plugins'),
			plugins: '{"roster","records","records_basic","practice"}',
		},
	});
	for (const who of [DADMIN, WANG, ZHANG])
		c[who] = await login(who);
	let r = await c[DADMIN].post('/api/v1/practice/bases', { name: '科技馆基地', address: '麓山南路1号' });
	assert.equal(r.status, 201, r.text);
	ids.base1 = r.json.id;
	r = await c[DADMIN].post('/api/v1/practice/bases', { name: '湿地公园基地', address: '' });
	assert.equal(r.status, 201, r.text);
	ids.base2 = r.json.id;
	r = await c[DADMIN].post(`/api/v1/practice/bases/${ids.base1}/admins`, { name: '赵基地', phone: STAFF });
	assert.equal(r.status, 201, r.text);
	const first = await login(STAFF, r.json.initial_password);
	assert.equal((await first.put('/api/v1/me/password',
		{ old_password: r.json.initial_password, new_password: NEW_PW })).status, 204);
	c.staff = await login(STAFF, NEW_PW);
	const common = {
		description: '',
		starts_at: at(72),
		ends_at: at(75),
		signup_deadline: at(48),
		capacity: 3,
		hours: 1.5,
	};
	r = await c[DADMIN].post('/api/v1/practice/activities',
		{ ...common, base_id: ids.base1, title: '机器人<b>研学</b>', grades: [1] });
	assert.equal(r.status, 201, r.text);
	ids.a1 = r.json.id;
	r = await c[DADMIN].post('/api/v1/practice/activities',
		{ ...common, base_id: ids.base2, title: '湿地观鸟', grades: [3] });
	assert.equal(r.status, 201, r.text);
	ids.a2 = r.json.id;
});

test.after(async () => {
	await server?.stop();
});

test('the console: the district admin sees both activities, the base admin its own, families and teachers nothing', async () => {
	let r = await c[DADMIN].get('/api/v1/practice/manage');
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(r.json.items.map((a) => a.id).sort(), [ids.a1, ids.a2].sort());
	const a1 = r.json.items.find((a) => a.id === ids.a1);
	assert.equal(a1.confirmed, 0);
	assert.equal(a1.capacity, 3);
	assert.equal(a1.seats_left, 3);
	assert.equal(a1.hours, '1.5');
	r = await c.staff.get('/api/v1/practice/manage');
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(r.json.items.map((a) => a.id), [ids.a1]);
	for (const who of [ZHANG, WANG])
		assert.equal((await c[who].get('/api/v1/practice/manage')).status, 403);

	const html = await page(c.staff, '/practice/manage');
	assert.ok(html.includes(`data-activity="${ids.a1}"`));
	assert.ok(!html.includes(`data-activity="${ids.a2}"`), 'the other base\'s activity is not listed');
	assert.ok(html.includes('data-practice-live="/api/v1/practice/manage"'));
	await page(c[ZHANG], '/practice/manage', 403);
	await page(c[WANG], '/practice/manage/bases', 403);
});

test('a base admin reaches its own base and activities only', async () => {
	await page(c.staff, `/practice/manage/${ids.a1}`);
	await page(c.staff, `/practice/manage/${ids.a1}/edit`);
	await page(c.staff, `/practice/manage/bases/${ids.base1}`);
	await page(c.staff, `/practice/manage/${ids.a2}`, 404);
	await page(c.staff, `/practice/manage/${ids.a2}/edit`, 404);
	await page(c.staff, `/practice/manage/bases/${ids.base2}`, 404);
	await page(c.staff, '/practice/manage/99999', 404);
	const bases = await page(c.staff, '/practice/manage/bases');
	assert.ok(bases.includes(`/practice/manage/bases/${ids.base1}"`));
	assert.ok(!bases.includes(`/practice/manage/bases/${ids.base2}"`));
	// only the district admin adds bases and base staff
	assert.ok(!bases.includes('data-api="/api/v1/practice/bases"'));
	const base = await page(c.staff, `/practice/manage/bases/${ids.base1}`);
	assert.ok(!base.includes('id="admin-form"'));
	assert.ok(base.includes('137****0001'), 'the staff member, phone masked');
	assert.ok(!base.includes(STAFF), 'never the whole phone number');
	const dbase = await page(c[DADMIN], `/practice/manage/bases/${ids.base1}`);
	assert.ok(dbase.includes('id="admin-form"'));
	// the new-activity form offers the bases one runs
	const form = await page(c.staff, '/practice/manage/new');
	assert.ok(form.includes(`<option value="${ids.base1}">`));
	assert.ok(!form.includes(`<option value="${ids.base2}">`));
});

test('a family sees the activities for its child\'s grade, registers, and finds the QR code on 我的报名', async () => {
	let home = await page(c[ZHANG], '/');
	assert.match(home, /社会实践/);
	assert.match(home, /1 个活动可报名 · 已报名 0 个/);
	const list = await page(c[ZHANG], '/practice');
	assert.ok(list.includes(`/practice/activities/${ids.a1}"`));
	assert.ok(!list.includes(`/practice/activities/${ids.a2}"`), 'not for 三年级');
	await page(c[ZHANG], `/practice/activities/${ids.a2}`, 404);
	const detail = await page(c[ZHANG], `/practice/activities/${ids.a1}`);
	assert.ok(detail.includes(`data-api="/api/v1/practice/activities/${ids.a1}/registrations"`));
	assert.match(detail, /剩余 3 个名额/);
	// a teacher is no family, the district admin is sent to the console
	await page(c[WANG], '/practice', 403);
	await page(c[WANG], '/practice/mine', 403);
	await page(c[WANG], `/practice/activities/${ids.a1}`, 404);
	const to = await c[DADMIN].get('/practice', { headers: { Accept: 'text/html' } });
	assert.equal(to.status, 303);
	assert.equal(to.headers.get('location'), '/practice/manage');

	const me = await c[ZHANG].get('/api/v1/me');
	const child = me.json.identities.find((i) => i.id === me.json.acting_identity_id).student_id;
	const r = await c[ZHANG].post(`/api/v1/practice/activities/${ids.a1}/registrations`, { student_id: child });
	assert.equal(r.status, 201, r.text);
	assert.equal(r.json.status, 'confirmed');
	const mine = await page(c[ZHANG], '/practice/mine');
	assert.ok(mine.includes(`src="/api/v1/practice/registrations/${r.json.id}/qr"`), 'the check-in QR code');
	assert.match(mine, /报名成功/);
	assert.ok(mine.includes(`data-api="/api/v1/practice/registrations/${r.json.id}"`), 'a cancel form');
	const again = await page(c[ZHANG], `/practice/activities/${ids.a1}`);
	assert.ok(!again.includes('form.practice-register') && !again.includes('practice-register'), 'no second registration');
	home = await page(c[ZHANG], '/');
	assert.match(home, /0 个活动可报名 · 已报名 1 个/);

	// the console's counts follow
	const m = await c[DADMIN].get('/api/v1/practice/manage');
	const a1 = m.json.items.find((a) => a.id === ids.a1);
	assert.equal(a1.confirmed, 1);
	assert.equal(a1.seats_left, 2);
	const one = await page(c[DADMIN], `/practice/manage/${ids.a1}`);
	assert.match(one, /张一鸣/);
	assert.match(one, /一年级1班/);
	assert.ok(one.includes(`/practice/activities/${ids.a1}/checkin`), 'the check-in list');
	assert.ok(one.includes(`/api/v1/practice/activities/${ids.a1}/attendance.xlsx`), 'the attendance sheet');
});

test('the student sees the same registration on its own pages', async () => {
	const admin = await login('13800000002'); // school admin, school 1
	const r = await admin.get(`/api/v1/schools/1/students?q=${encodeURIComponent('张一鸣')}`);
	assert.equal(r.status, 200, r.text);
	const kid = await login(r.json.items[0].account.login);
	const home = await page(kid, '/');
	assert.match(home, /0 个活动可报名 · 已报名 1 个/);
	const list = await page(kid, '/practice');
	assert.match(list, /practice-status is-confirmed">报名成功</);
	const mine = await page(kid, '/practice/mine');
	assert.match(mine, /src="\/api\/v1\/practice\/registrations\/\d+\/qr"/);
	await page(kid, '/practice/manage', 403);
});

test('text from the database is escaped', async () => {
	for (const [cl, url] of [
		[c[ZHANG], '/practice'],
		[c[ZHANG], `/practice/activities/${ids.a1}`],
		[c[ZHANG], '/practice/mine'],
		[c[DADMIN], '/practice/manage'],
		[c[DADMIN], `/practice/manage/${ids.a1}`],
		[c[DADMIN], `/practice/manage/${ids.a1}/edit`],
	]) {
		const html = await page(cl, url);
		assert.ok(html.includes('机器人&lt;b&gt;研学&lt;/b&gt;'), `${url} shows the title escaped`);
		assert.ok(!html.includes('<b>研学'), `${url} never raw`);
	}
});
