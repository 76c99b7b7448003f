// Browser test (issue 14, "Login and binding") on a phone and a desktop,
// through Debian's chromium, the demo district and the SMS gateway
// stand-in:
// - 忘记密码 on the login page leads to /recover: the phone, the code from
//   the SMS and a new password log the adult in, with a one-time notice;
// - 我的 offers 绑定孩子; binding a child with the slip's login and password
//   says so and asks before the acting identity changes; 切换到该身份
//   switches, 暂不切换 keeps the acting identity.
// Every page visited gets axe, the phone's width and the no-errors check.
import test from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../system/harness.mjs';
import { startSmsGateway } from '../stubs/sms-gateway.mjs';
import { withBrowser, newPage, checkPage, visit, loginPage } from './harness.mjs';

const PW = 'Demo2026';

async function submit(page, selector) {
	const [res] = await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		page.click(selector),
	]);
	return res;
}

test('forgot password and binding a child, on a phone and a desktop', async (t) => {
	const gw = await startSmsGateway();
	const server = await startServer({
		init: false,
		command: 'demo',
		set: { 'sms.api_base': gw.url, 'testing.notify_backoff_seconds': 1 },
	});
	t.after(async () => {
		await server.stop();
		await gw.close();
	});

	// Two new pupils of the demo school: their slips have initial passwords.
	const admin = server.client();
	let r = await admin.login('13800000002', PW);
	assert.equal(r.status, 200);
	const sid = r.json.identities.find((i) => i.role === 'school_admin').school_id;
	const klass = (await admin.get(`/api/v1/schools/${sid}/classes`)).json[0];
	const ids = [];
	for (const name of ['林一', '林二']) {
		r = await admin.post(`/api/v1/schools/${sid}/students`, { name, gender: '男', class_id: klass.id });
		assert.equal(r.status, 201, r.text);
		ids.push(r.json.id);
	}
	const slips = (await admin.get(`/api/v1/schools/${sid}/slips?class_id=${klass.id}`)).json
		.filter((s) => ids.includes(s.student_id));
	assert.equal(slips.length, 2);

	await withBrowser(async () => {
		for (const [i, mobile] of [true, false].entries()) {
			// 忘记密码: the demo parent (phone 1) and teacher-parent (2).
			const phone = ['13900000001', '13800000003'][i];
			const newPw = `Family${2030 + i}`;
			const page = await newPage({ mobile });
			await visit(page, `${server.url}/login`);
			await submit(page, 'a[href="/recover"]');
			assert.equal(new URL(page.url()).pathname, '/recover');
			await checkPage(page, mobile, 'recover-phone');
			await page.fill('#phone', phone);
			const before = gw.received.length;
			await submit(page, 'form[action="/recover"] button[type="submit"]');
			assert.equal(await page.locator('#code').count(), 1, 'the page asks for the code');
			await checkPage(page, mobile, 'recover-code');
			const sent = () => gw.received.slice(before).filter((m) => m.json?.phone === phone && m.answer?.status === 200);
			await gw.waitFor(() => sent().length > 0, 15000);
			const code = sent().at(-1).json.params.code;
			await page.fill('#code', code);
			await page.fill('#new_password', newPw);
			await page.fill('#new_password_again', newPw);
			await submit(page, 'form[action="/recover"] button[type="submit"]');
			assert.ok(!/\/(recover|login)/.test(new URL(page.url()).pathname), `logged in: ${page.url()}`);
			assert.match(await page.locator('.jx-toast').first().textContent(), /密码已重新设置/);
			await checkPage(page, mobile, 'recover-done');
			await page.close();
		}

		// 绑定孩子 from 我的, as 陈刚 (teacher and parent), on each screen.
		for (const [i, mobile] of [true, false].entries()) {
			const page = await loginPage(server, '13800000004', mobile);
			const acting = async () => (await page.request.get(`${server.url}/api/v1/me`)).json();
			const before = (await acting()).acting_identity_id;
			await visit(page, `${server.url}/me`);
			await submit(page, 'main a[href="/bind"]');
			await checkPage(page, mobile, 'bind-form');
			await page.fill('#student_login', slips[i].login);
			await page.fill('#student_password', slips[i].initial_password);
			await page.selectOption('#relation', '父亲');
			await submit(page, 'form[action="/bind"] button[type="submit"]');
			assert.match(await page.locator('main').textContent(), new RegExp(`已绑定 ${slips[i].name}`));
			await checkPage(page, mobile, 'bind-done');
			assert.equal((await acting()).acting_identity_id, before, 'binding alone does not switch');
			if (mobile) {
				// Switch now.
				await submit(page, 'main form[action="/me/identity"] button[type="submit"]');
				const me = await acting();
				const now = me.identities.find((x) => x.id === me.acting_identity_id);
				assert.equal(now.role, 'parent');
				assert.equal(now.student_id, slips[i].student_id);
			} else {
				// Not now: the personal centre, the acting identity as it was.
				await submit(page, 'main a[href="/me"]');
				assert.equal((await acting()).acting_identity_id, before);
				assert.match(await page.locator('main').textContent(), new RegExp(slips[i].name));
			}
			await page.close();
		}
	});
});
