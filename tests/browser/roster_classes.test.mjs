// Browser test of issue 14's class and student actions, on a phone (375
// px, WeChat's user agent) and a desktop: delete an empty class after the
// confirm dialog, a full one refused with the count; rename a class and
// choose its head teacher; 办理离校 with its confirm dialog, the page
// saying what happened, then 恢复在校 from the left list. axe-core on
// every state.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, BUILD_DIR } from '../system/harness.mjs';
import {
	withBrowser, newPage, checkPage, checkA11y, visit, WECHAT_UA,
} from './harness.mjs';

const ADMIN = '13800000002';
const PW = 'Demo2026';

async function login(server, mobile) {
	const page = await newPage({ mobile, userAgent: mobile ? WECHAT_UA : undefined });
	await visit(page, `${server.url}/login`);
	await page.fill('#login', ADMIN);
	await page.fill('#password', PW);
	await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		page.click('form[action="/login"] button[type="submit"]'),
	]);
	return page;
}

// Clicks a data-confirm button, checks the dialog asks with text, then
// answers OK and waits for the page the form leads to.
async function confirmAndSend(page, button, asks) {
	await button.click();
	const dialog = page.locator('dialog.jx-confirm');
	assert.ok(await dialog.isVisible(), 'the confirm dialog opens');
	assert.match(await dialog.locator('p').innerText(), asks);
	await checkA11y(page);
	await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		dialog.locator('button[value="ok"]').click(),
	]);
}

async function run(server, mobile) {
	const page = await login(server, mobile);
	const api = page.context().request;

	// An empty class to delete, made through the page's add form.
	const name = mobile ? '6班' : '5班';
	await visit(page, `${server.url}/schools/1/classes`);
	await page.selectOption('#class-grade', '2');
	await page.fill('#class-name', name);
	await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		page.click('form[action="/schools/1/classes"] button[type="submit"]'),
	]);
	const row = page.locator('tbody tr', { hasText: `二年级${name}` });
	assert.equal(await row.count(), 1, 'the new class is listed');
	await checkPage(page, mobile, "roster-classes14");

	// Rename it and give it a head teacher.
	await row.locator('summary').click();
	const edit = row.locator('form[action^="/classes/"]:not([action$="/delete"])');
	await edit.locator('input[name="name"]').fill(`${name}x`);
	await edit.locator('select[name="head_teacher_id"]').selectOption({ label: '陈刚' });
	await checkA11y(page);
	await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		edit.locator('button[type="submit"]').click(),
	]);
	assert.ok((await page.textContent('main')).includes('班级已保存'));
	const renamed = page.locator('tbody tr', { hasText: `二年级${name}x` });
	assert.ok((await renamed.innerText()).includes('陈刚'), 'the head teacher shows');

	// Delete asks first; cancel sends nothing.
	const del = renamed.locator('form[action$="/delete"] button[data-confirm]');
	await del.click();
	const dialog = page.locator('dialog.jx-confirm');
	assert.match(await dialog.locator('p').innerText(), new RegExp(`确定删除二年级${name}x吗`));
	await dialog.locator('button[value="cancel"]').click();
	assert.equal(await page.locator('tbody tr', { hasText: `二年级${name}x` }).count(), 1);
	await confirmAndSend(page, del, /确定删除/);
	assert.ok((await page.textContent('main')).includes('班级已删除'));
	assert.equal(await page.locator('tbody tr', { hasText: `二年级${name}x` }).count(), 0);
	await checkPage(page, mobile, "roster-classes14-deleted");

	// A full class is refused, and the page says why with the count.
	const full = page.locator('tbody tr', { hasText: '一年级1班' });
	const count = Number((await full.locator('td.roster-number').innerText()).trim());
	assert.ok(count > 0);
	await confirmAndSend(page, full.locator('form[action$="/delete"] button[data-confirm]'), /确定删除一年级1班/);
	assert.ok((await page.textContent('main')).includes(`该班还有 ${count} 名学生，不能删除`));
	assert.equal(await page.locator('tbody tr', { hasText: '一年级1班' }).count(), 1);
	// The refusal is a 409 page, which the console reports: expected.
	assert.ok(page.jxErrors.every((e) => /409/.test(e)), page.jxErrors.join('\n'));
	page.jxErrors.length = 0;
	await checkPage(page, mobile, "roster-classes14-refused");

	// 办理离校 on a student's page: a reason, the confirm, then the page
	// says what happened.
	const who = mobile ? '王子轩' : '赵欣怡';
	const list = await api.get(`${server.url}/api/v1/schools/1/students?q=${encodeURIComponent(who)}`);
	const student = (await list.json()).items[0];
	await visit(page, `${server.url}/students/${student.id}`);
	await page.fill('#leave-reason', '转学');
	await confirmAndSend(page, page.locator('form[action$="/leave"] button[data-confirm]'),
		new RegExp(`确定为${who}办理离校吗`));
	assert.ok((await page.textContent('main')).includes(`${who} 已办理离校`));
	await checkPage(page, mobile, "roster-student-left");

	// The left list offers reinstatement; it asks, then says so.
	await visit(page, `${server.url}/schools/1/students?status=left`);
	const leftRow = page.locator('tbody tr', { hasText: who });
	assert.ok((await leftRow.innerText()).includes('离校日期'));
	await checkPage(page, mobile, "roster-students-left");
	await confirmAndSend(page, leftRow.locator('form[action$="/reinstate"] button[data-confirm]'),
		new RegExp(`确定为${who}恢复在校吗`));
	assert.ok((await page.textContent('main')).includes(`${who} 已恢复在校`));
	const back = await (await api.get(`${server.url}/api/v1/students/${student.id}`)).json();
	assert.equal(back.status, 'in_school');
	await checkPage(page, mobile, "roster-student-back");
	await page.close();
}

test('classes and leaving from the pages, on a phone and a desktop', async (t) => {
	const server = await startServer({
		command: 'demo',
		init: false,
		set: { plugin_dir: path.join(BUILD_DIR, 'plugins') },
	});
	t.after(() => server.stop());
	await withBrowser(async () => {
		await run(server, true);
		await run(server, false);
	});
});
