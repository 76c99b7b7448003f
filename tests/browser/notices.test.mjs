// Browser test of the notices pages: a teacher composes homework on a
// desktop (the live recipient count follows the checkboxes), the sent list
// and the receipts show it unread; the parent reads it on a phone from the
// inbox, and the receipts then show it read. A school admin's compose form
// and the notice page are checked too. Every page passes axe on its
// viewport, the phone never scrolls sideways, no console or CSP errors;
// screenshots go to build/screenshots/.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, BUILD_DIR } from '../system/harness.mjs';
import {
	withBrowser, checkPage, visit, loginPage,
} from './harness.mjs';

const ADMIN = '13800000002';
const WANG = '13800000003'; // teaches 一年级1班 and 一年级2班
const ZHANG = '13900000001'; // parent of 张一鸣 (一年级1班)

const login = (server, mobile, who) => loginPage(server, who, mobile);

const countText = (page) => page.textContent('#compose-count');

test('compose on a desktop, read on a phone', async (t) => {
	const server = await startServer({
		command: 'demo',
		init: false,
		set: { plugin_dir: path.join(BUILD_DIR, 'plugins'), plugins: '{"roster","notices"}' },
	});
	t.after(() => server.stop());
	await withBrowser(async () => {
		// A teacher composes homework for 一年级1班's parents.
		const teacher = await login(server, false, WANG);
		await visit(teacher, `${server.url}/notices/new`);
		const kinds = await teacher.$$eval('#notice-kind option', (os) => os.map((o) => o.value));
		assert.deepEqual(kinds, ['homework'], 'a teacher sends homework only');
		const classes = await teacher.$$eval('main input[name^="class_"]', (is) => is.map((i) => i.nextElementSibling.textContent));
		assert.deepEqual(classes, ['一年级1班', '一年级2班'], 'only the classes the teacher teaches');
		await teacher.getByLabel('一年级1班', { exact: true }).check();
		await teacher.waitForFunction(() => /1/.test(document.getElementById('compose-count').textContent));
		assert.match(await countText(teacher), /将发送给 1 人/);
		// Teachers too: 王芳 and 陈刚 teach 一年级1班.
		await teacher.check('#role-teacher');
		await teacher.waitForFunction(() => /3/.test(document.getElementById('compose-count').textContent));
		await teacher.uncheck('#role-teacher');
		await teacher.waitForFunction(() => /1 人/.test(document.getElementById('compose-count').textContent));
		await checkPage(teacher, false, 'notices-new');
		await teacher.fill('#notice-title', '数学作业：口算练习');
		await teacher.fill('#notice-body', '完成练习册第 12 页。\n家长签字。');
		await Promise.all([
			teacher.waitForNavigation({ waitUntil: 'load' }),
			teacher.click('#compose-form button[type="submit"]'),
		]);
		assert.match(teacher.url(), /\/notices\/\d+\/receipts$/);
		const id = Number(/\/notices\/(\d+)\//.exec(teacher.url())[1]);
		assert.ok((await teacher.textContent('main')).includes('张伟'), 'the unread parent is listed');
		await checkPage(teacher, false, 'notices-receipts');
		await visit(teacher, `${server.url}/notices`);
		assert.ok((await teacher.textContent('main')).includes('数学作业：口算练习'));
		await checkPage(teacher, false, 'notices-list');
		// The head teacher's call list (empty: no deadline has come).
		await visit(teacher, `${server.url}/notices/calls`);
		assert.match(await teacher.textContent('main'), /名单是空的/);
		await checkPage(teacher, false, 'notices-calls');

		// The parent reads it on a phone.
		const parent = await login(server, true, ZHANG);
		await visit(parent, `${server.url}/inbox`);
		assert.ok((await parent.textContent('main')).includes('数学作业：口算练习'));
		await checkPage(parent, true, 'notices-inbox');
		await Promise.all([
			parent.waitForNavigation({ waitUntil: 'load' }),
			parent.click(`a[href="/notices/${id}"]`),
		]);
		assert.ok((await parent.textContent('main')).includes('家长签字'));
		await checkPage(parent, true, 'notices-notice');

		// The receipts now show it read; the remind button is gone.
		await visit(teacher, `${server.url}/notices/${id}/receipts`);
		assert.equal(await teacher.locator(`form[action="/notices/${id}/remind"]`).count(), 0);
		assert.match(await teacher.textContent('main'), /全部已读/);

		// A school admin's form on a phone: grades and the school kind.
		const admin = await login(server, true, ADMIN);
		await visit(admin, `${server.url}/notices/new`);
		assert.ok(await admin.locator('#grade-1').count() === 1);
		await admin.waitForFunction(() => /\d/.test(document.getElementById('compose-count').textContent));
		await checkPage(admin, true, 'notices-new');
		await visit(admin, `${server.url}/notices/${id}`);
		await checkPage(admin, true, 'notices-notice-admin');
		await teacher.close();
		await parent.close();
		await admin.close();
	});
});
