// Browser test of the parents page and the head teacher's class (issue
// 14), on a phone (375 px) and a desktop: axe on each page, no sideways
// scrolling on the phone, no console or CSP errors, screenshots in
// build/screenshots/. The school admin opens the parents page from the
// menu, tries a phone number that is taken (the form says so readably)
// and removes a binding after the confirm dialog; the head teacher opens
// their class from the home page and the menu and sees the numbers to
// call.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, BUILD_DIR } from '../system/harness.mjs';
import {
	withBrowser, checkPage, checkA11y, screenshot, visit, loginPage,
} from './harness.mjs';

async function admin(server, mobile) {
	const page = await loginPage(server, '13800000002', mobile);
	const suffix = mobile ? 'phone' : 'desktop';

	// The menu entry leads to the school's parents.
	assert.ok(await page.locator('a[href="/roster/parents"]').count() > 0, 'the menu has 家长管理');
	await visit(page, `${server.url}/roster/parents`);
	assert.match(page.url(), /\/schools\/1\/parents$/);
	const main = await page.textContent('main');
	for (const s of ['张伟', '张一鸣', '陈刚', '陈小雨', '已绑定', '已激活'])
		assert.ok(main.includes(s), `the page shows ${s}`);
	assert.equal(await page.locator('main a[href="tel:13900000001"]').count(), 1);
	await checkPage(page, mobile, 'roster-parents');

	// A filter by class keeps the page usable.
	await page.selectOption('#parents-class', { label: '一年级1班' });
	await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		page.click('form[role="search"] button[type="submit"]'),
	]);
	assert.ok(!(await page.textContent('main')).includes('陈刚'), 'the class filter applies');

	// The phone form, and a number that belongs to someone else.
	await visit(page, `${server.url}/schools/1/parents`);
	await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		page.click('a[aria-label="修改手机号：张伟"]'),
	]);
	assert.match(page.url(), /\/persons\/\d+\/phone\?back=/);
	await checkPage(page, mobile, 'phone-form');
	await page.fill('#phone', '13800000003');
	const [res] = await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		page.click('main form button[type="submit"]'),
	]);
	assert.equal(res.status(), 409);
	assert.match(await page.locator('#phone-error').innerText(), /该手机号已被其他账号使用/);
	assert.match(await page.getAttribute('#phone', 'aria-describedby'), /phone-error/);
	assert.equal(await page.inputValue('#phone'), '13800000003', 'the typed number stays');
	assert.equal(await page.getAttribute('#phone', 'aria-invalid'), 'true');
	// The 409 itself is the one console line: the browser logs every
	// 4xx document.
	page.jxErrors.splice(0, page.jxErrors.length,
		...page.jxErrors.filter((e) => !/status of 409/.test(e)));
	await checkPage(page, mobile, 'phone-form-409');
	await screenshot(page, `phone-409-${suffix}`);
	await page.close();
}

async function unbind(server) {
	const page = await loginPage(server, '13800000002', false);
	await visit(page, `${server.url}/schools/1/parents`);
	const button = page.locator('button[aria-label="解除绑定：陈刚与陈小雨"]');
	await button.click();
	const dialog = page.locator('dialog.jx-confirm');
	assert.ok(await dialog.isVisible(), 'removing a binding asks first');
	assert.match(await dialog.locator('p').innerText(), /确定解除陈刚与陈小雨的绑定吗/);
	await checkA11y(page);
	await dialog.locator('button[value="cancel"]').click();
	assert.ok((await page.textContent('main')).includes('陈小雨'), 'cancel keeps it');
	await button.click();
	await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		dialog.locator('button[value="ok"]').click(),
	]);
	assert.match(page.url(), /\/schools\/1\/parents$/);
	const main = await page.textContent('main');
	assert.ok(main.includes('陈小阳') && !main.includes('陈小雨'), 'only that binding went');
	await page.close();
}

async function headTeacher(server, mobile) {
	const page = await loginPage(server, '13800000003', mobile);
	// The home page has a cell for the class.
	await visit(page, `${server.url}/`);
	const cell = page.locator('main a[href="/classes/1"]');
	assert.equal(await cell.count(), 1, 'a home cell for the class');
	assert.match(await cell.innerText(), /我的班级 · 一年级1班/);
	await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		cell.click(),
	]);
	assert.match(page.url(), /\/classes\/1$/);
	const main = await page.textContent('main');
	for (const s of ['张一鸣', '张伟', '父亲', '关键信息', '未完善'])
		assert.ok(main.includes(s), `the class page shows ${s}`);
	const call = page.locator('main a[href^="tel:"]');
	assert.ok(await call.count() > 0, 'tap-to-call numbers');
	if (mobile) {
		const box = await call.first().boundingBox();
		assert.ok(box.height >= 24, `the number is a tap target: ${JSON.stringify(box)}`);
	}
	assert.equal(await page.locator('main a[href="/keyinfo/classes/1/incomplete"]').count(), 1);
	await checkPage(page, mobile, 'myclass');
	// The menu's 我的班级 goes there too.
	assert.ok(await page.locator('a[href="/roster/myclass"]').count() > 0, 'the menu has 我的班级');
	await visit(page, `${server.url}/roster/myclass`);
	assert.match(page.url(), /\/classes\/1$/);
	await page.close();
}

test('parents page and my class on a phone and a desktop', async (t) => {
	const server = await startServer({
		command: 'demo',
		init: false,
		set: { plugin_dir: path.join(BUILD_DIR, 'plugins') },
	});
	t.after(() => server.stop());
	await withBrowser(async () => {
		for (const mobile of [false, true]) {
			await admin(server, mobile);
			await headTeacher(server, mobile);
		}
		await unbind(server);
	});
});
