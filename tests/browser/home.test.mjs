// Browser test of the home page: chromium loads it on a desktop and on a
// phone, Chinese text renders (also a rare name character, with real
// glyphs rather than tofu), the phone needs no horizontal scrolling, axe
// finds no serious or critical violation, and screenshots are saved to
// build/screenshots/. Then the head teacher's flow (issue 13): 陈刚 logs in
// on a phone in WeChat's browser and on a desktop, follows the home page's
// key-information item to his class's incomplete students and from a
// student to that student's key information.

import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startServer } from '../system/harness.mjs';
import { withBrowser, newPage, checkA11y, screenshot, checkPage, loginPage } from './harness.mjs';

// WeChat's in-app browser on an iPhone.
const WECHAT_UA =
	'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 ' +
	'(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN';

// The visible box of the first text containing `needle`, or null.
async function textBox(page, needle) {
	return page.evaluate((needle) => {
		const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
		for (let n = walker.nextNode(); n; n = walker.nextNode()) {
			if (!n.nodeValue.includes(needle))
				continue;
			const range = document.createRange();
			range.selectNodeContents(n);
			const r = range.getBoundingClientRect();
			const style = getComputedStyle(n.parentElement);
			if (r.width > 0 && r.height > 0 && style.visibility !== 'hidden')
				return { width: r.width, height: r.height, text: n.nodeValue.trim() };
		}
		return null;
	}, needle);
}

// Draws characters with a font stack onto a canvas and returns, for each,
// its advance width and a fingerprint of its pixels. Two characters no font
// has come out as the same .notdef glyph: identical pixels.
async function glyphs(page, fontFamily, chars) {
	await page.setContent(
		'<!DOCTYPE html><html lang="zh-CN"><head><title>glyphs</title></head>' +
			'<body><canvas id="c" width="80" height="80"></canvas></body></html>');
	return page.evaluate(({ fontFamily, chars }) => {
		const g = document.getElementById('c').getContext('2d');
		g.font = `48px ${fontFamily}`;
		g.textBaseline = 'top';
		g.fillStyle = '#000';
		return chars.map((ch) => {
			g.clearRect(0, 0, 80, 80);
			g.fillText(ch, 8, 8);
			const d = g.getImageData(0, 0, 80, 80).data;
			let ink = 0;
			let hash = 0;
			for (let i = 3; i < d.length; i += 4) {
				if (d[i])
					ink++;
				hash = (Math.imul(hash, 31) + d[i]) | 0;
			}
			return { ch, width: g.measureText(ch).width, ink, hash };
		});
	}, { fontFamily, chars });
}

test('the home page in chromium', async (t) => {
	const server = await startServer();
	t.after(() => server.stop());

	await withBrowser(async () => {
		let fontFamily;

		await t.test('desktop: Chinese text, title, accessibility, screenshot', async () => {
			const page = await newPage();
			const res = await page.goto(`${server.url}/`, { waitUntil: 'load' });
			assert.equal(res.status(), 200);
			assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
			assert.ok((await page.title()).trim().length > 0, 'the page has a title');
			const box = await textBox(page, '家校');
			assert.ok(box, 'the page shows the text 家校');
			assert.ok(box.width > 0 && box.height > 0, `家校 is drawn: ${JSON.stringify(box)}`);
			const csrf = await page.evaluate(() =>
				document.querySelector('meta[name="csrf-token"]')?.getAttribute('content'));
			assert.notEqual(csrf, undefined, 'the CSRF meta tag is present');
			fontFamily = await page.evaluate(() => getComputedStyle(document.body).fontFamily);
			await checkA11y(page);
			const file = await screenshot(page, 'home-desktop');
			assert.ok(fs.statSync(file).size > 1000, `${file} was written`);
			assert.deepEqual(page.jxErrors, [], 'no console or page errors (CSP included)');
			await page.close();
		});

		await t.test('phone: no horizontal scrolling, accessibility, screenshot', async () => {
			const page = await newPage({ mobile: true });
			const res = await page.goto(`${server.url}/`, { waitUntil: 'load' });
			assert.equal(res.status(), 200);
			const size = await page.evaluate(() => ({
				scrollWidth: document.documentElement.scrollWidth,
				innerWidth: window.innerWidth,
			}));
			assert.equal(size.innerWidth, 375, 'a phone-sized layout viewport');
			assert.ok(size.scrollWidth <= size.innerWidth,
				`no horizontal scroll: ${JSON.stringify(size)}`);
			const box = await textBox(page, '家校');
			assert.ok(box && box.width > 0, 'the page shows the text 家校');
			await checkA11y(page);
			const file = await screenshot(page, 'home-phone');
			assert.ok(fs.statSync(file).size > 1000, `${file} was written`);
			assert.deepEqual(page.jxErrors, [], 'no console or page errors (CSP included)');
			await page.close();
		});

		await t.test('a rare name character renders with a real glyph', async () => {
			assert.ok(fontFamily, 'the desktop test read the page font');
			const page = await newPage();
			// 䶮 (U+4DAE, CJK extension A) occurs in names; U+10FFFD and
			// U+3FFFD are in no font, so they draw the .notdef box.
			const [yan, jia, tofu, tofu2] = await glyphs(page, fontFamily,
				['䶮', '家', '\u{10FFFD}', '\u{3FFFD}']);
			assert.equal(tofu.hash, tofu2.hash, 'missing characters draw the same box');
			assert.ok(yan.ink > 0, '䶮 draws something');
			assert.notEqual(yan.hash, tofu.hash,
				`䶮 is drawn as tofu with "${fontFamily}": install fonts-noto-cjk`);
			assert.ok(Math.abs(yan.width - jia.width) < 0.5,
				`䶮 is full-width like 家: ${yan.width} vs ${jia.width}`);
			await page.close();
		});
	});
});

// 陈刚 (13800000004) heads 三年级1班, whose two students (陈小阳, 孙浩然) have
// no ID number in the demo: the home page's item leads to them.
async function headTeacherFlow(server, mobile) {
	const page = await loginPage(server, '13800000004', mobile);
	if (mobile)
		await page.setExtraHTTPHeaders({ 'User-Agent': WECHAT_UA });
	const res = await page.goto(`${server.url}/`, { waitUntil: 'load' });
	assert.equal(res.status(), 200);
	const item = page.locator('ul.home-items a', { hasText: '三年级1班学籍信息未完善' });
	assert.equal(await item.count(), 1,
		`the home page lists the class item: ${page.url()} ${await page.locator('main').innerText()}`);
	assert.equal((await item.locator('.jx-badge').textContent()).trim(), '2');
	// He heads the class: the growth-record review queue is one of his
	// items, with nothing waiting (no badge), leading to the queue.
	const review = page.locator('ul.home-items a', { hasText: '待审核的成长记录' });
	assert.equal(await review.count(), 1);
	assert.equal(await review.locator('.jx-badge').count(), 0);
	assert.equal(new URL(await review.getAttribute('href'), server.url).pathname, '/records/review');
	await checkPage(page, mobile, 'home-head-teacher');
	await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), item.click()]);
	assert.match(new URL(page.url()).pathname, /^\/keyinfo\/classes\/\d+\/incomplete$/);
	const names = (await page.locator('ul.ki-incomplete-list .jx-cell-title').allTextContents()).map((s) => s.trim());
	assert.deepEqual(names.sort(), ['孙浩然', '陈小阳'].sort());
	assert.match(await page.locator('main').innerText(), /身份证号：未填写/);
	await checkPage(page, mobile, 'keyinfo-class-incomplete');
	await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		page.locator('ul.ki-incomplete-list a', { hasText: '陈小阳' }).click(),
	]);
	assert.match(new URL(page.url()).pathname, /^\/students\/\d+\/keyinfo$/);
	assert.match(await page.locator('main').innerText(), /陈小阳/);
	await page.close();
}

test('a head teacher follows the home page to the class\'s incomplete students', async (t) => {
	const server = await startServer({ init: false, command: 'demo' });
	t.after(() => server.stop());
	await withBrowser(async () => {
		await t.test('phone in WeChat', () => headTeacherFlow(server, true));
		await t.test('desktop', () => headTeacherFlow(server, false));
	});
});
