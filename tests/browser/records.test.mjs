// Browser test of the growth-records pages (issue 16): a parent on a phone
// (375 px, WeChat's browser) opens 成长记录, picks 公益活动, leaves the
// hours at 0 and sees the refusal under that field, fixes it, adds a photo
// from the "camera" (the file input, through jx-upload.js and the real
// POST /api/v1/files) and saves; on the record page the thumbnail shows and
// 提交审核 submits it. The head teacher, on a desktop, finds it in the review
// queue, ticks it and approves the batch after the confirm dialog; the
// parent's portfolio then shows it with its photo, and prints as one
// document without the shell. axe-core on every page, no sideways scroll
// on the phone, no console or CSP errors.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, BUILD_DIR, SOURCE_DIR } from '../system/harness.mjs';
import { withBrowser, newPage, checkPage, visit, WECHAT_UA } from './harness.mjs';

const PHOTO = path.join(SOURCE_DIR, 'tests', 'fixtures', 'sideways-gps.jpg');
const WANG = '13800000003'; // head teacher of 一年级1班
const ZHANG = '13900000001'; // parent of 张一鸣 (一年级1班)

async function login(server, who, mobile) {
	const page = await newPage({ mobile, userAgent: mobile ? WECHAT_UA : undefined });
	await visit(page, `${server.url}/login`);
	await page.fill('#login', who);
	await page.fill('#password', 'Demo2026');
	await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		page.click('form[action="/login"] button[type="submit"]'),
	]);
	return page;
}

test('a parent adds a 公益活动 with a photo on a phone; the head teacher approves it; the portfolio shows it', async (t) => {
	assert.ok(fs.existsSync(PHOTO));
	const server = await startServer({
		command: 'demo',
		init: false,
		set: { plugin_dir: path.join(BUILD_DIR, 'plugins'), plugins: '{"roster","records","records_basic"}' },
	});
	t.after(() => server.stop());
	await withBrowser(async () => {
		const parent = await login(server, ZHANG, true);
		await visit(parent, `${server.url}/records`);
		assert.match(await parent.textContent('h1'), /成长记录/);
		await checkPage(parent, true, 'records-mine-empty');
		await Promise.all([parent.waitForNavigation(), parent.click('main a[href="/records/new"] >> nth=0')]);
		await checkPage(parent, true, 'records-types');
		await Promise.all([parent.waitForNavigation(), parent.click('a[href="/records/new?type=welfare"]')]);
		assert.equal(await parent.textContent('h1'), '添加公益活动');

		await parent.fill('#f-title', '敬老院慰问演出');
		await parent.fill('#f-organiser', '岳麓街道居委会');
		await parent.fill('#f-date', '2026-11-28');
		await parent.fill('#f-hours', '0');
		await parent.fill('#f-witness', '王阿姨');
		await parent.click('#records-form button[type="submit"]');
		// the API's 422 under its field, in Chinese, focused
		await parent.waitForSelector('#row-hours.has-error .jx-error');
		assert.equal(await parent.textContent('#row-hours .jx-error'), '时长应大于0小时，且不超过24小时');
		assert.equal(await parent.evaluate(() => document.activeElement.id), 'f-hours');
		assert.equal(await parent.getAttribute('#f-hours', 'aria-invalid'), 'true');
		// the browser logs the refused request itself: that one is expected
		assert.equal(parent.jxErrors.length, 1, parent.jxErrors.join('\n'));
		assert.match(parent.jxErrors[0], /status of 422 .*\/api\/v1\/students\/\d+\/records/);
		parent.jxErrors.length = 0;
		await checkPage(parent, true, 'records-new-error');

		await parent.fill('#f-hours', '2.5');
		await parent.setInputFiles('#f-photos', PHOTO);
		await parent.waitForSelector('#records-form input[type="hidden"][name="files:photos"]', { state: 'attached' });
		await Promise.all([
			parent.waitForURL(/\/records\/\d+$/),
			parent.click('#records-form button[type="submit"]'),
		]);
		const id = Number(/\/records\/(\d+)$/.exec(parent.url())[1]);
		await parent.waitForLoadState('load');
		assert.match(await parent.textContent('.records-status'), /草稿/);
		assert.match(await parent.textContent('.records-fields'), /2\.5/);
		const thumb = await parent.$eval('.records-thumbs img', (img) => ({ ok: img.complete && img.naturalWidth > 0, src: img.getAttribute('src') }));
		assert.ok(thumb.ok, `the thumbnail loads: ${thumb.src}`);
		await checkPage(parent, true, 'records-record-draft');
		// a draft can be changed: the form again, filled in, the photo kept
		await Promise.all([parent.waitForNavigation(), parent.click(`a[href="/records/${id}/edit"]`)]);
		assert.equal(await parent.inputValue('#f-hours'), '2.5');
		assert.ok(await parent.isChecked('.records-kept input[type="checkbox"]'));
		await checkPage(parent, true, 'records-edit');
		await parent.fill('#f-hours', '3');
		await Promise.all([
			parent.waitForURL(new RegExp(`/records/${id}$`)),
			parent.click('#records-form button[type="submit"]'),
		]);
		await parent.waitForLoadState('load');
		assert.match(await parent.textContent('.records-fields'), /时长（小时）\s*3\b/);
		assert.equal(await parent.locator('.records-thumbs img').count(), 1, 'the photo is kept');
		await parent.click('button:has-text("提交审核")');
		await parent.waitForFunction(() => /待审核/.test(document.querySelector('.records-status')?.textContent ?? ''));
		await checkPage(parent, true, 'records-record-submitted');

		// the head teacher's queue, on a desktop: tick, batch approve, confirm
		const teacher = await login(server, WANG, false);
		await visit(teacher, `${server.url}/records/review`);
		assert.match(await teacher.textContent('main'), /敬老院慰问演出/);
		await checkPage(teacher, false, 'records-review');
		await teacher.check(`#pick-${id}`);
		await teacher.click('button:has-text("批量通过")');
		await teacher.waitForSelector('#jx-confirm[open]');
		assert.match(await teacher.textContent('#jx-confirm-text'), /确定通过选中的记录吗/);
		await Promise.all([
			teacher.waitForEvent('load'),
			teacher.click('#jx-confirm button[value="ok"]'),
		]);
		await teacher.waitForSelector('.jx-empty');
		assert.doesNotMatch(await teacher.textContent('main'), /敬老院慰问演出/);

		// the portfolio on the phone
		await visit(parent, `${server.url}/records`);
		await Promise.all([parent.waitForNavigation(), parent.click('main a[href$="/portfolio"]')]);
		assert.match(await parent.textContent('main'), /张一鸣的成长档案/);
		assert.match(await parent.textContent('.records-term'), /公益活动[\s\S]*敬老院慰问演出/);
		assert.ok(await parent.$eval('.records-term .records-thumbs img', (img) => img.complete && img.naturalWidth > 0));
		await checkPage(parent, true, 'records-portfolio');
		// printed: the shell is hidden, the school header stays
		await parent.emulateMedia({ media: 'print' });
		const shown = await parent.evaluate(() => ({
			tabbar: [...document.querySelectorAll('.jx-tabbar, .site-header, .no-print')].every((e) => getComputedStyle(e).display === 'none'),
			head: getComputedStyle(document.querySelector('.records-print-head')).display !== 'none',
		}));
		assert.deepEqual(shown, { tabbar: true, head: true });
	});
});
