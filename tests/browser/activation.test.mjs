// Browser test of an adult's first login (API.md, "Logins"; issue 10,
// finding 4) on a phone and a desktop, through Debian's chromium and the
// SMS gateway stand-in (tests/stubs/sms-gateway.mjs):
//
// - with a gateway, a new school admin has no password: the login page
//   links to /activate, where the phone gets a code, and the code and a
//   new password log the admin in;
// - a district without a gateway prints the teachers' random passwords on
//   the teacher slips page, which the school admin opens from the
//   teachers page.
//
// Every page visited gets axe, the phone's width and the no-errors check.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, BUILD_DIR, DEFAULT_ADMIN_PASSWORD } from '../system/harness.mjs';
import { startSmsGateway } from '../stubs/sms-gateway.mjs';
import { withBrowser, newPage, checkPage, visit, loginPage } from './harness.mjs';

const NEW_PASSWORD = 'Xiaoxue2026';

async function activate(server, gw, phone, mobile) {
	const page = await newPage({ mobile });
	await visit(page, `${server.url}/login`);
	await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		page.click('a[href="/activate"]'),
	]);
	await checkPage(page, mobile, 'activate-phone');

	const before = gw.received.length;
	await page.fill('#phone', phone);
	await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		page.click('form[action="/activate"] button[type="submit"]'),
	]);
	assert.equal(await page.locator('#code').count(), 1, 'the page asks for the code');
	await checkPage(page, mobile, 'activate-code');

	const sent = () => gw.received.slice(before).filter((m) => m.json?.phone === phone);
	await gw.waitFor(() => sent().length > 0, 15000);
	const code = sent().at(-1).json.params.code;
	assert.match(code, /^\d{6}$/);

	// A wrong code first: the same form again, with an alert, no session.
	const wrong = code.slice(0, 5) + String((Number(code[5]) + 1) % 10);
	await page.fill('#code', wrong);
	await page.fill('#new_password', NEW_PASSWORD);
	await page.fill('#new_password_again', NEW_PASSWORD);
	const [res] = await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		page.click('form[action="/activate"] button[type="submit"]'),
	]);
	assert.notEqual(res.status(), 200);
	assert.equal(await page.locator('[role="alert"]').count(), 1);
	page.jxErrors.length = 0; // the browser logs the 4xx of the form itself

	await page.fill('#code', code);
	await page.fill('#new_password', NEW_PASSWORD);
	await page.fill('#new_password_again', NEW_PASSWORD);
	await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		page.click('form[action="/activate"] button[type="submit"]'),
	]);
	assert.ok(!/\/(activate|login)/.test(new URL(page.url()).pathname), `logged in: ${page.url()}`);
	await checkPage(page, mobile, 'activate-done');
	await page.close();
}

test('an adult activates by SMS code in the browser; teachers\' slips where no gateway exists', async (t) => {
	const gw = await startSmsGateway();
	const server = await startServer({
		set: {
			plugin_dir: path.join(BUILD_DIR, 'plugins'),
			'sms.api_base': gw.url,
			'testing.notify_backoff_seconds': 1,
			'districts.430302.modules': ['roster', 'keyinfo', 'notices'],
		},
	});
	t.after(async () => {
		await server.stop();
		await gw.close();
	});

	const city = server.client();
	assert.equal((await city.login('admin', DEFAULT_ADMIN_PASSWORD)).status, 200);
	const dG = (await city.post('/api/v1/districts', { code: '430301', name: '有网关区' })).json.id;
	const dN = (await city.post('/api/v1/districts', { code: '430302', name: '无网关区' })).json.id;
	const sG = (await city.post(`/api/v1/districts/${dG}/schools`,
		{ code: '4303010001', name: '甲校', stage: 'primary' })).json.id;
	const sN = (await city.post(`/api/v1/districts/${dN}/schools`,
		{ code: '4303020001', name: '乙校', stage: 'junior' })).json.id;

	// Two admins of the school with a gateway: no password exists.
	const phones = ['13700031001', '13700031002'];
	for (const [i, phone] of phones.entries()) {
		const r = await city.post(`/api/v1/schools/${sG}/admins`, { name: `管理员${i}`, phone });
		assert.equal(r.status, 201, r.text);
		assert.equal(r.json.initial_password, null, 'activation by SMS: no initial password');
	}
	// The admin of the school without one gets a random password.
	const admin = await city.post(`/api/v1/schools/${sN}/admins`, { name: '乙校管理员', phone: '13700032001' });
	assert.equal(admin.status, 201, admin.text);
	assert.match(admin.json.initial_password, /^[a-hjkmnp-z2-9]{8}$/);

	await withBrowser(async () => {
		await activate(server, gw, phones[0], true);
		await activate(server, gw, phones[1], false);

		// The school admin without a gateway changes the initial
		// password, adds a teacher and prints the teacher's slip.
		const api = server.client();
		assert.equal((await api.login('13700032001', admin.json.initial_password)).status, 200);
		assert.equal((await api.put('/api/v1/me/password',
			{ old_password: admin.json.initial_password, new_password: NEW_PASSWORD })).status, 204);
		const teacher = await api.post(`/api/v1/schools/${sN}/teachers`,
			{ name: '钱老师', phone: '13700032002', subject: '数学' });
		assert.equal(teacher.status, 201, teacher.text);

		const slips = await api.get(`/api/v1/schools/${sN}/teacher-slips`);
		assert.equal(slips.status, 200, slips.text);
		const slip = slips.json.find((s) => s.name === '钱老师');
		assert.match(slip?.initial_password ?? '', /^[a-hjkmnp-z2-9]{8}$/, slips.text);
		for (const mobile of [true, false]) {
			const page = await loginPage(server, '13700032001', mobile, NEW_PASSWORD);
			await visit(page, `${server.url}/schools/${sN}/teachers`);
			const link = page.locator(`a[href="/schools/${sN}/teacher-slips"]`);
			assert.equal(await link.count(), 1, 'the teachers page links to the slips');
			await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), link.click()]);
			const text = await page.textContent('main');
			assert.ok(text.includes('钱老师') && text.includes('13700032002'), text);
			assert.ok(text.includes(slip.initial_password), 'the slip prints the password');
			await checkPage(page, mobile, 'teacher-slips');
			await page.close();
		}
	});
});
