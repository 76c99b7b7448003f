// Browser test of the check-in pages (issue 18): the base's staff member,
// on a phone in WeChat's browser (375×812), opens the link of a family's
// check-in QR code without being logged in, logs in and comes back to it,
// sees the student and the activity, checks the child in with the button
// and is told so; the same code again says it was used; a forged code
// gets a readable page. On a desktop the staff's list of the activity
// shows the child checked in, as on the phone. Every page passes axe-core (serious and
// critical), does not scroll sideways on the phone and has no console
// error; screenshots go to build/screenshots/. (The practice pages'
// own browser test ticks the list on a phone.)
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, BUILD_DIR } from '../system/harness.mjs';
import { withBrowser, newPage, checkPage, loginPage, WECHAT_UA } from './harness.mjs';

const DA = '13800000001';
const ZHANG = '13900000001'; // 张伟, father of 张一鸣 (一年级1班)
const STAFF = '13700000077';
const STAFF_PW = 'Jidi2026xyz';
const PW = 'Demo2026';

async function apiLogin(server, who, pw = PW) {
	const c = server.client();
	const r = await c.login(who, pw);
	assert.equal(r.status, 200, r.text);
	c.me = r.json;
	return c;
}

// The page's own status (a refusal is a 4xx page) is no error of the page.
function expected(page, status) {
	page.jxErrors = page.jxErrors.filter((e) => !e.includes(`status of ${status} `));
}

const at = (h) => new Date(Date.now() + h * 3600e3).toISOString();

test('the staff scan a family\'s code on a phone and check the child in', async (t) => {
	const server = await startServer({
		command: 'demo',
		init: false,
		set: {
			plugin_dir: path.join(BUILD_DIR, 'plugins'),
			plugins: '{"roster","feeds","records","records_basic","practice"}',
		},
	});
	t.after(() => server.stop());

	// the activity, its staff member and a registration, through the API
	const da = await apiLogin(server, DA);
	let r = await da.post('/api/v1/practice/bases', { name: '岳麓山实践基地', address: '岳麓区登高路' });
	assert.equal(r.status, 201, r.text);
	const base = r.json.id;
	r = await da.post(`/api/v1/practice/bases/${base}/admins`, { name: '李实践', phone: STAFF });
	assert.equal(r.status, 201, r.text);
	const first = server.client();
	assert.equal((await first.login(STAFF, r.json.initial_password)).status, 200);
	assert.equal((await first.put('/api/v1/me/password',
		{ old_password: r.json.initial_password, new_password: STAFF_PW })).status, 204);
	r = await da.post('/api/v1/practice/activities', {
		base_id: base, title: '岳麓山植物认知', description: '认识岳麓山的树木', starts_at: at(2),
		ends_at: at(4), signup_deadline: at(1), capacity: 5, grades: [1], hours: 2,
	});
	assert.equal(r.status, 201, r.text);
	const activity = r.json.id;
	const parent = await apiLogin(server, ZHANG);
	const child = parent.me.identities.find((i) => i.role === 'parent').student_id;
	r = await parent.post(`/api/v1/practice/activities/${activity}/registrations`, { student_id: child });
	assert.equal(r.status, 201, r.text);
	const reg = r.json.id;
	r = await parent.get(`/api/v1/practice/registrations/${reg}/qr?format=json`);
	assert.equal(r.status, 200, r.text);
	const link = new URL(r.json.url);
	const local = `${server.url}${link.pathname}${link.search}`;

	await withBrowser(async () => {
		// not logged in: the login, then back to the code's page
		const staff = await newPage({ mobile: true, userAgent: WECHAT_UA });
		await staff.goto(local, { waitUntil: 'load' });
		assert.match(staff.url(), /\/login\?next=/);
		await staff.fill('#login', STAFF);
		await staff.fill('#password', STAFF_PW);
		await Promise.all([
			staff.waitForNavigation({ waitUntil: 'load' }),
			staff.click('form[action="/login"] button[type="submit"]'),
		]);
		assert.equal(staff.url(), local, 'back on the scanned link, query and all');
		assert.equal(await staff.textContent('h1'), '活动签到');
		const cells = await staff.textContent('main .jx-cells');
		assert.match(cells, /张一鸣/);
		assert.match(cells, /一年级1班/);
		assert.match(cells, /岳麓山植物认知/);
		await checkPage(staff, true, 'practice-scan');
		await Promise.all([
			staff.waitForNavigation({ waitUntil: 'load' }),
			staff.click('form[action="/practice/checkin"] button[type="submit"]'),
		]);
		assert.match(await staff.textContent('main [role="status"]'), /签到成功/);
		await checkPage(staff, true, 'practice-scan-done');

		// the same code again: used, said in words
		const again = await staff.goto(local, { waitUntil: 'load' });
		assert.equal(again.status(), 409);
		assert.match(await staff.textContent('main [role="alert"]'), /已签到/);
		expected(staff, 409);
		await checkPage(staff, true, 'practice-scan-used');

		// a forged code
		const forged = new URL(local);
		forged.searchParams.set('s', '0'.repeat(64));
		const bad = await staff.goto(forged.href, { waitUntil: 'load' });
		assert.equal(bad.status(), 400);
		assert.match(await staff.textContent('main [role="alert"]'), /二维码无效/);
		assert.equal(await staff.$('form[action="/practice/checkin"]'), null, 'no button');
		expected(staff, 400);
		await checkPage(staff, true, 'practice-scan-invalid');

		// the list on the phone, from the scan page's link
		await staff.goto(local, { waitUntil: 'load' });
		await Promise.all([
			staff.waitForNavigation({ waitUntil: 'load' }),
			staff.click(`a[href="/practice/activities/${activity}/checkin"]`),
		]);
		assert.match(await staff.textContent('.practice-list-items'), /张一鸣[\s\S]*已签到/);
		expected(staff, 409);
		await checkPage(staff, true, 'practice-checkin-list');

		// the list on a desktop: checked in, with the time
		const desk = await loginPage(server, STAFF, false, STAFF_PW);
		const res = await desk.goto(`${server.url}/practice/activities/${activity}/checkin`, { waitUntil: 'load' });
		assert.equal(res.status(), 200);
		assert.match(await desk.textContent('.practice-list-items'), /张一鸣[\s\S]*已签到/);
		assert.match(await desk.textContent('main'), /已签到 1 \/ 1 人/);
		await checkPage(desk, false, 'practice-checkin-list');
	});
});
