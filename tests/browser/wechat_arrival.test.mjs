// Browser test of a parent arriving from WeChat (issue 13), in WeChat's
// in-app browser (its user agent, 375×812): the parent taps the link of a
// homework notice's template message, goes through WeChat's web
// authorisation (the stand-in's authorize page, tests/stubs/wechat-api.mjs),
// finds the openid bound to no account, activates the account by SMS code
// (the stand-in gateway, tests/stubs/sms-gateway.mjs), and lands on the
// notice. Then a second tap of the link, in a fresh browser, logs the now
// bound parent straight in on the notice. Every page gets checkPage (axe,
// no sideways scroll, no script errors).
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, BUILD_DIR } from '../system/harness.mjs';
import { startSmsGateway } from '../stubs/sms-gateway.mjs';
import { startWechatApi } from '../stubs/wechat-api.mjs';
import { withBrowser, newPage, checkPage, WECHAT_UA } from './harness.mjs';

const PW = 'Demo2026';
const PUBLIC_URL = 'http://jx.test'; // what the messages carry
const PARENT_PHONE = '13700051001';
const NEW_PASSWORD = 'Jiazhang2026';

const go = (page, action) => Promise.all([page.waitForNavigation({ waitUntil: 'load' }), action]);

test('a parent in WeChat opens a template message, binds through OAuth, activates by SMS and lands on the notice', async (t) => {
	const api = await startWechatApi();
	const gw = await startSmsGateway();
	const server = await startServer({
		command: 'demo',
		init: false,
		set: {
			plugin_dir: path.join(BUILD_DIR, 'plugins'),
			public_url: PUBLIC_URL,
			'sms.api_base': gw.url,
			'wechat.api_base': api.url,
			'wechat.authorize_url': api.authorizeUrl,
			'wechat.appid': api.appid,
			'wechat.secret': api.secret,
			'wechat.token': 'arrival-token',
			'wechat.template_id': 'TPL-arrival',
			'testing.notify_backoff_seconds': 1,
		},
	});
	t.after(async () => {
		await server.stop();
		await gw.close();
		await api.close();
	});
	api.sendBackTo(server.url);

	// The school adds a pupil whose mother has no password yet.
	const admin = server.client();
	assert.equal((await admin.login('13800000002', PW)).status, 200);
	const pupil = await admin.post('/api/v1/schools/1/students', {
		name: '林小满', gender: '女', grade: 1, class: '1班',
		guardian1_name: '林母', guardian1_phone: PARENT_PHONE, guardian1_relation: '母亲',
	});
	assert.equal(pupil.status, 201, pupil.text);

	// 张伟 (same class) has WeChat bound: his template message gives the
	// link every parent of the notice gets.
	const zhang = server.client();
	assert.equal((await zhang.login('13900000001', PW)).status, 200);
	api.addCode('code-zhang', 'o-zhangwei');
	assert.equal((await zhang.post('/api/v1/me/wechat', { code: 'code-zhang' })).status, 204);

	const teacher = server.client();
	assert.equal((await teacher.login('13800000003', PW)).status, 200);
	const classId = (await teacher.get('/api/v1/me')).json.identities.find((i) => i.role === 'teacher').head_of_class_ids[0];
	const notice = await teacher.post('/api/v1/notices', {
		kind: 'homework', title: '周末亲子阅读', body: '请陪孩子读完《小猪唏哩呼噜》第一章。',
		audience: { class_ids: [classId], roles: ['parent'] },
	});
	assert.equal(notice.status, 201, notice.text);
	const msg = await api.waitFor((e) => e.path === '/cgi-bin/message/template/send' && e.json?.touser === 'o-zhangwei' &&
		e.answer?.body?.errcode === 0, 20000);
	const link = new URL(msg.json.url);
	assert.equal(link.origin, PUBLIC_URL);
	assert.equal(link.pathname, '/wx/enter');
	assert.equal(link.searchParams.get('next'), `/notices/${notice.json.id}`);
	const tap = `${server.url}${link.pathname}${link.search}`;

	await withBrowser(async () => {
		// Her WeChat: an openid the site has never seen.
		api.authorizeAs('o-linmu');
		const page = await newPage({ mobile: true, userAgent: WECHAT_UA });
		assert.match(await page.evaluate(() => navigator.userAgent), /MicroMessenger/);
		const res = await page.goto(tap, { waitUntil: 'load' });
		assert.equal(res.status(), 200);
		assert.equal(new URL(page.url()).pathname, '/wx/bind', 'an unbound openid lands on the binding page');
		assert.equal(api.authorizations().at(-1).query.scope, 'snsapi_base');
		await checkPage(page, true, 'wechat-bind');

		// No password yet: activation by SMS, then back to the binding.
		await go(page, page.click('a[href^="/activate"]'));
		assert.equal(new URL(page.url()).pathname, '/activate');
		await checkPage(page, true, 'wechat-activate-phone');
		const before = gw.received.length;
		await page.fill('#phone', PARENT_PHONE);
		await go(page, page.click('form[action="/activate"] button[type="submit"]'));
		assert.equal(await page.locator('#code').count(), 1, 'the page asks for the code');
		const sent = () => gw.received.slice(before).filter((m) => m.json?.phone === PARENT_PHONE);
		await gw.waitFor(() => sent().length > 0, 15000);
		const code = sent().at(-1).json.params.code;
		await page.fill('#code', code);
		await page.fill('#new_password', NEW_PASSWORD);
		await page.fill('#new_password_again', NEW_PASSWORD);
		await go(page, page.click('form[action="/activate"] button[type="submit"]'));

		// Bound, logged in, on the notice.
		assert.equal(new URL(page.url()).pathname, `/notices/${notice.json.id}`, `on the notice: ${page.url()}`);
		assert.match(await page.textContent('main'), /周末亲子阅读/);
		await checkPage(page, true, 'wechat-notice');
		await page.close();

		// The next tap, in a fresh WeChat browser: straight to the notice.
		const again = await newPage({ mobile: true, userAgent: WECHAT_UA });
		const r2 = await again.goto(tap, { waitUntil: 'load' });
		assert.equal(r2.status(), 200);
		assert.equal(new URL(again.url()).pathname, `/notices/${notice.json.id}`);
		assert.match(await again.textContent('main'), /周末亲子阅读/);
		await checkPage(again, true, 'wechat-notice-again');
		await again.close();
	});
});
