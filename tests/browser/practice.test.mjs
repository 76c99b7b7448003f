// Browser test of the social-practice pages (issue 18). The district
// admin, on a desktop, adds a practice base, names its staff member (the
// initial password is shown once, on the page) and publishes an activity
// for 一年级 through the form (a wrong field first: the refusal is shown
// under it, in Chinese), then finds the edit form filled and saves a
// change. A parent on a phone in WeChat's browser (375×667) opens
// 社会实践 from the home page, finds the activity with its
// seats left, registers the child, and sees the check-in QR code on 我的报名
// (the picture loaded). The one place taken, a second parent (陈刚, as
// 陈小雨's father) finds the activity full, joins the waitlist (候补第 1 位,
// no QR code) and leaves it again after the confirm dialog; the first
// parent, a day or less before the start, is refused giving up the seat
// (said in Chinese). The activity list of the district admin follows the
// counts without a reload (practice.js polls every 10 s). The
// base's staff member logs in on a phone, opens the activity's check-in
// list from the management page and checks the student in; the parent's
// 我的报名 then says 已签到. Every page visited passes axe-core (serious
// and critical), never scrolls sideways on the phone and raises no
// console or CSP error; screenshots go to build/screenshots/.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, BUILD_DIR } from '../system/harness.mjs';
import { withBrowser, newPage, checkPage, visit, loginPage, WECHAT_UA } from './harness.mjs';

const DISTRICT_ADMIN = '13800000001';
const PARENT = '13900000001'; // 张伟, father of 张一鸣 (一年级1班)
const CHEN = '13800000004'; // 陈刚, teacher, and father of 陈小雨 (一年级2班)
const STAFF_PHONE = '13700000088';
const NEW_PASSWORD = 'Jidi2026abc';
const PW = 'Demo2026';

// A phone the size the brief names (375×667), WeChat's user agent.
async function phonePage() {
	const page = await newPage({ mobile: true, userAgent: WECHAT_UA });
	await page.setViewportSize({ width: 375, height: 667 });
	return page;
}

async function phoneLogin(server, login, password = PW) {
	const page = await phonePage();
	await visit(page, `${server.url}/login`);
	await page.fill('#login', login);
	await page.fill('#password', password);
	await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		page.click('form[action="/login"] button[type="submit"]'),
	]);
	return page;
}

// "2026-12-08T09:30" in Asia/Shanghai, hours from now: what a
// datetime-local control takes.
function localIn(hours) {
	const d = new Date(Date.now() + hours * 3600e3 + 8 * 3600e3);
	return d.toISOString().slice(0, 16);
}

// The browser logs a refused request (a form's 422, a 409) as a console
// error of its own: the page showed it, so it is no error of the page.
function forget(page, status) {
	page.jxErrors = page.jxErrors.filter((e) => !new RegExp(`status of ${status}\\b`).test(e));
}

async function clickAndWait(page, selector) {
	await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(selector)]);
}

test('the district publishes an activity, a parent registers on a phone, the base checks the child in', async (t) => {
	const server = await startServer({
		command: 'demo',
		init: false,
		set: {
			plugin_dir: path.join(BUILD_DIR, 'plugins'),
			plugins: '{"roster","records","records_basic","practice"}',
		},
	});
	t.after(() => server.stop());

	await withBrowser(async () => {
		// ---- the district admin: a base, its staff, an activity ----
		const admin = await loginPage(server, DISTRICT_ADMIN, false);
		await visit(admin, `${server.url}/`);
		await clickAndWait(admin, 'main a[href="/practice/manage"]');
		await checkPage(admin, false, 'practice-manage-empty');
		await clickAndWait(admin, 'main a[href="/practice/manage/bases"]');
		await checkPage(admin, false, 'practice-bases-empty');
		await admin.fill('#b-name', '岳麓区青少年科技实践基地');
		await admin.fill('#b-address', '长沙市岳麓区麓山南路 1 号');
		await clickAndWait(admin, 'form[data-api="/api/v1/practice/bases"] button[type="submit"]');
		assert.match(admin.url(), /\/practice\/manage\/bases\/\d+$/, admin.url());
		const baseId = Number(/(\d+)$/.exec(admin.url())[1]);
		assert.equal(await admin.textContent('h1'), '岳麓区青少年科技实践基地');
		await checkPage(admin, false, 'practice-base');

		await admin.fill('#a-name', '李实践');
		await admin.fill('#a-phone', STAFF_PHONE);
		await admin.click('#admin-form button[type="submit"]');
		await admin.waitForSelector('#admin-created:not([hidden])');
		const initial = (await admin.textContent('#admin-created [data-out]')).trim();
		assert.match(initial, /^\S{6,}$/, 'the initial password is shown once');
		await checkPage(admin, false, 'practice-base-admin-added');
		await clickAndWait(admin, '#admin-created a');
		assert.match(await admin.textContent('.practice-admins'), /李实践/);
		assert.match(await admin.textContent('.practice-admins'), /137\*\*\*\*0088/);

		await visit(admin, `${server.url}/practice/manage/new`);
		await checkPage(admin, false, 'practice-form');
		await admin.selectOption('#f-base', String(baseId));
		await admin.fill('#f-title', '科技馆研学：走进机器人');
		await admin.fill('#f-description', '参观机器人展厅，动手搭建小车。');
		await admin.fill('#f-starts', localIn(3));
		await admin.fill('#f-ends', localIn(5));
		// a deadline after the start: refused under its field, in Chinese
		await admin.fill('#f-deadline', localIn(4));
		await admin.fill('#f-capacity', '1');
		await admin.fill('#f-hours', '2');
		await admin.check('#f-grade-1');
		await admin.click('#practice-form button[type="submit"]');
		await admin.waitForSelector('#row-signup_deadline.has-error .jx-error');
		assert.match(await admin.textContent('#row-signup_deadline .jx-error'), /[\u4e00-\u9fff]/);
		forget(admin, 422); // the browser logs the refused request itself
		await checkPage(admin, false, 'practice-form-error');
		await admin.fill('#f-deadline', localIn(1));
		await clickAndWait(admin, '#practice-form button[type="submit"]');
		assert.match(admin.url(), /\/practice\/manage\/\d+$/, admin.url());
		const activityId = Number(/(\d+)$/.exec(admin.url())[1]);
		assert.equal(await admin.textContent(`[data-activity="${activityId}"] [data-count="confirmed"]`), '0');
		await checkPage(admin, false, 'practice-manage-one');

		// the edit form comes filled
		await visit(admin, `${server.url}/practice/manage/${activityId}/edit`);
		assert.equal(await admin.inputValue('#f-title'), '科技馆研学：走进机器人');
		assert.equal(await admin.inputValue('#f-capacity'), '1');
		assert.ok(await admin.isChecked('#f-grade-1'));
		assert.ok(!(await admin.isChecked('#f-grade-2')));
		await checkPage(admin, false, 'practice-form-edit');
		// saved through PATCH, back on the activity's page
		await admin.fill('#f-description', '参观机器人展厅，动手搭建小车。请带水杯。');
		await clickAndWait(admin, '#practice-form button[type="submit"]');
		assert.equal(new URL(admin.url()).pathname, `/practice/manage/${activityId}`);
		assert.match(await admin.textContent('.practice-description'), /请带水杯/);

		await visit(admin, `${server.url}/practice/manage`);
		assert.equal(await admin.textContent(`tr[data-activity="${activityId}"] [data-count="confirmed"]`), '0');
		assert.equal(await admin.textContent(`tr[data-activity="${activityId}"] [data-count="capacity"]`), '1');
		await checkPage(admin, false, 'practice-manage');

		// ---- the parent, on a phone in WeChat ----
		const parent = await phoneLogin(server, PARENT);
		const cell = parent.locator('main .jx-cells a[href="/practice"]');
		assert.equal(await cell.count(), 1, 'the home page leads to 社会实践');
		assert.match(await cell.textContent(), /1 个活动可报名/);
		await clickAndWait(parent, 'main .jx-cells a[href="/practice"]');
		await checkPage(parent, true, 'practice-list');
		const item = parent.locator(`.practice-activities a[href="/practice/activities/${activityId}"]`);
		assert.match(await item.textContent(), /科技馆研学：走进机器人/);
		assert.match(await item.textContent(), /岳麓区青少年科技实践基地/);
		assert.equal((await item.locator('.practice-seats-badge').textContent()).trim(), '1');
		await clickAndWait(parent, `.practice-activities a[href="/practice/activities/${activityId}"]`);
		await checkPage(parent, true, 'practice-activity');
		assert.match(await parent.textContent('.practice-facts'), /剩余 1 个名额/);
		await clickAndWait(parent, 'form.practice-register button[type="submit"]');
		assert.match(parent.url(), /\/practice\/mine$/, parent.url());
		const reg = parent.locator('section.practice-reg').first();
		assert.equal((await reg.locator('.practice-status').textContent()).trim(), '报名成功');
		await parent.waitForFunction(() => {
			const img = document.querySelector('.practice-qr img');
			return img && img.complete && img.naturalWidth > 50;
		});
		await checkPage(parent, true, 'practice-mine');

		// ---- another family finds it full and joins the waitlist ----
		const chen = await phoneLogin(server, CHEN);
		await visit(chen, `${server.url}/me`);
		await chen.click('header details.jx-sheet > summary');
		await clickAndWait(chen, 'header form.identity-switch button:has-text("陈小雨")');
		await visit(chen, `${server.url}/practice`);
		const full = chen.locator(`.practice-activities a[href="/practice/activities/${activityId}"]`);
		assert.match(await full.locator('.practice-full').textContent(), /已满/);
		await checkPage(chen, true, 'practice-list-full');
		await clickAndWait(chen, `.practice-activities a[href="/practice/activities/${activityId}"]`);
		assert.match(await chen.textContent('.practice-waitlist-note'), /候补/);
		assert.equal((await chen.textContent('form.practice-register button[type="submit"]')).trim(), '加入候补');
		await checkPage(chen, true, 'practice-activity-full');
		await clickAndWait(chen, 'form.practice-register button[type="submit"]');
		assert.match(chen.url(), /\/practice\/mine$/);
		assert.equal((await chen.locator('section.practice-reg .practice-status').first().textContent()).trim(), '候补第 1 位');
		assert.equal(await chen.locator('.practice-qr').count(), 0, 'no QR code while waitlisted');
		await checkPage(chen, true, 'practice-mine-waitlisted');
		// the district admin's list counts both without a reload
		await admin.waitForFunction((id) =>
			document.querySelector(`tr[data-activity="${id}"] [data-count="confirmed"]`)?.textContent === '1' &&
			document.querySelector(`tr[data-activity="${id}"] [data-count="waitlisted"]`)?.textContent === '1',
		activityId, { timeout: 25000 });

		// leaving the waitlist asks first, and is possible to the last
		await chen.click('form.practice-cancel button[type="submit"]');
		await chen.waitForSelector('#jx-confirm[open]');
		await Promise.all([
			chen.waitForNavigation({ waitUntil: 'load' }),
			chen.click('#jx-confirm button[value="ok"]'),
		]);
		assert.equal((await chen.locator('section.practice-reg .practice-status').first().textContent()).trim(), '已取消');
		assert.equal(await chen.locator('form.practice-cancel').count(), 0);
		await checkPage(chen, true, 'practice-mine-cancelled');

		// a confirmed seat cannot be given up within a day of the start:
		// the page says so in Chinese, and the seat stays
		await parent.click('form.practice-cancel button[type="submit"]');
		await parent.waitForSelector('#jx-confirm[open]');
		await parent.click('#jx-confirm button[value="ok"]');
		await parent.waitForSelector('form.practice-cancel .practice-form-error:not([hidden])');
		assert.match(await parent.textContent('form.practice-cancel .practice-form-error'), /[\u4e00-\u9fff]/);
		forget(parent, 409);
		await checkPage(parent, true, 'practice-mine-cancel-refused');
		await admin.waitForFunction((id) =>
			document.querySelector(`tr[data-activity="${id}"] [data-count="waitlisted"]`)?.textContent === '0',
		activityId, { timeout: 25000 });
		assert.equal(await admin.textContent(`tr[data-activity="${activityId}"] [data-count="confirmed"]`), '1');

		// ---- the base's staff member checks the student in ----
		const api = server.client();
		assert.equal((await api.login(STAFF_PHONE, initial)).status, 200);
		assert.equal((await api.put('/api/v1/me/password',
			{ old_password: initial, new_password: NEW_PASSWORD })).status, 204);
		const staff = await phoneLogin(server, STAFF_PHONE, NEW_PASSWORD);
		// a base admin sees its own base only, and may not add staff
		await visit(staff, `${server.url}/practice/manage/bases`);
		assert.deepEqual(await staff.$$eval('main .jx-cells a', (as) => as.map((a) => a.getAttribute('href'))),
			[`/practice/manage/bases/${baseId}`]);
		assert.equal(await staff.locator('form[data-api="/api/v1/practice/bases"]').count(), 0);
		await checkPage(staff, true, 'practice-bases-staff');
		await visit(staff, `${server.url}/practice/manage`);
		await checkPage(staff, true, 'practice-manage-staff');
		await clickAndWait(staff, `a[href="/practice/manage/${activityId}"]`);
		assert.match(await staff.textContent('.practice-regs'), /张一鸣/);
		await checkPage(staff, true, 'practice-manage-one-staff');
		await clickAndWait(staff, `a[href="/practice/activities/${activityId}/checkin"]`);
		await checkPage(staff, true, 'practice-checkin-list');
		const box = staff.locator('input[name="registration_ids"]');
		assert.equal(await box.count(), 1, 'one confirmed registration to tick');
		await box.check();
		await clickAndWait(staff, `form[action="/practice/activities/${activityId}/checkin"] button[type="submit"]`);
		assert.match(await staff.textContent('main'), /已签到 1 \/ 1 人/);
		await checkPage(staff, true, 'practice-checkin-done');

		await visit(parent, `${server.url}/practice/mine`);
		assert.equal((await parent.locator('section.practice-reg .practice-status').first().textContent()).trim(), '已签到');
		assert.equal(await parent.locator('.practice-qr').count(), 0, 'no QR code once checked in');
		await checkPage(parent, true, 'practice-mine-checked-in');
	});
});
