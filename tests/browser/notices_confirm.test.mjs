// Browser test of issue 14's notices part: a school admin composes a
// notice on a desktop with the 需要家长确认收到 switch and a PDF put up
// through the upload widget (jx-upload.js → POST /api/v1/files → the
// form posts file_ids); a parent on a phone in WeChat's browser opens the
// notice, sees the attachment as a cell, opens the PDF (200
// application/pdf, inline) and taps 确认收到, after which the page says
// when; the admin's receipts then show the parent, named as the family
// does (张一鸣爸爸), under 已确认, apart from 已读未确认 and 未读. Every
// page passes axe on its viewport, the phone never scrolls sideways, no
// console or CSP errors; screenshots go to build/screenshots/.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, BUILD_DIR } from '../system/harness.mjs';
import {
	withBrowser, checkPage, visit, loginPage, newPage, WECHAT_UA,
} from './harness.mjs';

const ADMIN = '13800000002';
const ZHANG = '13900000001'; // 张伟, 父亲 of 张一鸣 (一年级1班)
const PDF = Buffer.from('%PDF-1.4\n% agenda\n1 0 obj << /Type /Catalog >> endobj\n' +
	'trailer << /Root 1 0 R >>\n%%EOF\n', 'ascii');

async function wechatLogin(server, who) {
	const page = await newPage({ mobile: true, userAgent: WECHAT_UA });
	await visit(page, `${server.url}/login`);
	await page.fill('#login', who);
	await page.fill('#password', 'Demo2026');
	await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		page.click('form[action="/login"] button[type="submit"]'),
	]);
	return page;
}

test('a parent confirms a notice on a phone and opens its PDF; the receipts show it confirmed', async (t) => {
	const server = await startServer({
		command: 'demo',
		init: false,
		set: { plugin_dir: path.join(BUILD_DIR, 'plugins'), plugins: '{"roster","notices"}' },
	});
	t.after(() => server.stop());
	await withBrowser(async () => {
		// The admin composes: 一年级1班's parents, confirmation asked, a PDF.
		const admin = await loginPage(server, ADMIN, false);
		await visit(admin, `${server.url}/notices/new`);
		await admin.getByLabel('一年级1班', { exact: true }).check();
		await admin.fill('#notice-title', '家长会通知');
		await admin.fill('#notice-body', '周五下午三点开家长会，议程见附件。');
		await admin.check('#notice-confirm');
		assert.equal(await admin.getAttribute('#notice-confirm', 'role'), 'switch');
		await admin.setInputFiles('#notice-files', { name: '家长会议程.pdf', mimeType: 'application/pdf', buffer: PDF });
		await admin.waitForSelector('#compose-form input[type="hidden"][name="file_ids"]', { state: 'attached' });
		const fileId = Number(await admin.getAttribute('#compose-form input[name="file_ids"]', 'value'));
		assert.ok(fileId > 0);
		await checkPage(admin, false, 'notices-confirm-new');
		await Promise.all([
			admin.waitForNavigation({ waitUntil: 'load' }),
			admin.click('#compose-form button[type="submit"]:not(.jx-upload-remove)'),
		]);
		assert.match(admin.url(), /\/notices\/\d+\/receipts$/);
		const id = Number(/\/notices\/(\d+)\//.exec(admin.url())[1]);
		let main = await admin.textContent('main');
		assert.match(main, /已确认（0）/);
		assert.match(main, /未读（1）/);
		assert.match(main, /张一鸣爸爸/);

		// The parent, on a phone in WeChat: the notice with its attachment.
		const parent = await wechatLogin(server, ZHANG);
		await visit(parent, `${server.url}/inbox`);
		assert.match(await parent.textContent('main'), /待确认/);
		await visit(parent, `${server.url}/notices/${id}`);
		const cell = parent.locator('.notices-files a');
		assert.equal(await cell.count(), 1);
		assert.equal(await cell.getAttribute('href'), `/api/v1/files/${fileId}`);
		assert.match(await cell.textContent(), /家长会议程\.pdf/);
		assert.match(await cell.textContent(), /PDF 文件 · \d+ B/);
		const button = parent.getByRole('button', { name: '确认收到' });
		const box = await button.boundingBox();
		assert.ok(box.height >= 44 && box.width >= 300, `a big button on the phone: ${JSON.stringify(box)}`);
		await checkPage(parent, true, 'notices-confirm-notice');

		// Opening the PDF: the file service serves it inline to a recipient.
		const pdf = await parent.request.get(`${server.url}/api/v1/files/${fileId}`);
		assert.equal(pdf.status(), 200);
		assert.equal(pdf.headers()['content-type'], 'application/pdf');
		assert.match(pdf.headers()['content-disposition'], /^inline;/);
		assert.deepEqual(Buffer.from(await pdf.body()), PDF);

		// 确认收到: back on the notice, which says when.
		await Promise.all([
			parent.waitForNavigation({ waitUntil: 'load' }),
			button.click(),
		]);
		assert.match(parent.url(), new RegExp(`/notices/${id}\\?confirmed=1$`));
		assert.match(await parent.textContent('.notices-confirmed'), /已确认 \d{1,2}月\d{1,2}日 \d\d:\d\d/);
		assert.equal(await parent.getByRole('button', { name: '确认收到' }).count(), 0);
		await checkPage(parent, true, 'notices-confirm-done');

		// The receipts: confirmed, apart from read and unread.
		await visit(admin, `${server.url}/notices/${id}/receipts`);
		main = await admin.textContent('main');
		assert.match(main, /已确认（1）/);
		assert.match(main, /已读未确认（0）/);
		assert.match(main, /共 1 人：已确认 1 人，已读未确认 0 人，未读 0 人/);
		assert.match(await admin.textContent('.notices-confirmed-list'), /张一鸣爸爸/);
		await checkPage(admin, false, 'notices-confirm-receipts');
		// The same on the admin's phone.
		const phone = await loginPage(server, ADMIN, true);
		await visit(phone, `${server.url}/notices/${id}/receipts`);
		await checkPage(phone, true, 'notices-confirm-receipts');
		await phone.close();
		await admin.close();
		await parent.close();
	});
});
