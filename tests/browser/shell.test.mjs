// Browser test of the page shell (issue 13): in WeChat's in-app browser
// (its user agent at 375×812) and on a desktop (1280×800), for the
// teacher-parent 陈刚 (three identities) and the school admin 李敏 (nine
// menu entries): no sideways scrolling, a small header on the phone, the
// menu in one row, the student list's class names on one line, identity
// switching from a page other than /me that lands back on that page with
// a toast, the confirm dialog before a teacher leaves school (cancel
// keeps everything; OK submits), jx.toast, the back link, and axe
// (serious and critical) on every page visited.

import test from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../system/harness.mjs';
import { withBrowser, checkA11y, screenshot, DESKTOP, PHONE } from './harness.mjs';

const WECHAT_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) ' +
	'AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 ' +
	'MicroMessenger/8.0.47(0x18002f2f) NetType/4G Language/zh_CN';
const TEACHER_PARENT = '13800000004';
const SCHOOL_ADMIN = '13800000002';
const PW = 'Demo2026';

async function open(browser, mobile) {
	const context = await browser.newContext({
		viewport: mobile ? PHONE : DESKTOP,
		isMobile: mobile,
		hasTouch: mobile,
		deviceScaleFactor: mobile ? 2 : 1,
		userAgent: mobile ? WECHAT_UA : undefined,
		locale: 'zh-CN',
		timezoneId: 'Asia/Shanghai',
	});
	const page = await context.newPage();
	page.setDefaultTimeout(15000);
	page.jxErrors = [];
	page.on('console', (msg) => {
		if (msg.type() === 'error' && !/\/favicon\.ico\b/.test(msg.location()?.url ?? ''))
			page.jxErrors.push(`console: ${msg.text()} (${msg.location()?.url ?? ''})`);
	});
	page.on('pageerror', (err) => page.jxErrors.push(`page error: ${err.message}`));
	page.on('close', () => context.close().catch(() => {}));
	return page;
}

async function login(page, server, who) {
	await page.goto(`${server.url}/login`, { waitUntil: 'load' });
	await page.fill('#login', who);
	await page.fill('#password', PW);
	await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		page.click('form[action="/login"] button[type="submit"]'),
	]);
}

async function go(page, url) {
	const res = await page.goto(url, { waitUntil: 'load' });
	assert.equal(res.status(), 200, `${url} answered ${res.status()}`);
}

// No sideways scrolling, no script errors, axe clean, a screenshot.
async function check(page, name, mobile) {
	const size = await page.evaluate(() => ({
		scrollWidth: document.documentElement.scrollWidth,
		innerWidth: window.innerWidth,
	}));
	assert.ok(size.scrollWidth <= size.innerWidth,
		`no horizontal scroll on ${page.url()}: ${JSON.stringify(size)}`);
	await checkA11y(page);
	assert.deepEqual(page.jxErrors, [], `no console or page errors on ${page.url()}`);
	await screenshot(page, `shell-${name}-${mobile ? 'phone' : 'desktop'}`);
}

function headerBox(page) {
	return page.evaluate(() => {
		const r = document.querySelector('header.site-header').getBoundingClientRect();
		return { height: r.height, viewport: window.innerHeight };
	});
}

async function teacherParent(server, browser, mobile) {
	const page = await open(browser, mobile);
	await login(page, server, TEACHER_PARENT);
	if (mobile)
		assert.match(await page.evaluate(() => navigator.userAgent), /MicroMessenger/);

	// A page other than /me, with a query: the inbox.
	const start = `${server.url}/inbox?page=1`;
	await go(page, start);
	const box = await headerBox(page);
	if (mobile) {
		assert.ok(box.height < 0.15 * box.viewport,
			`the phone's header is small: ${box.height}px of ${box.viewport}px`);
		assert.ok(await page.locator('header a.jx-back').isVisible(), 'a back link on the phone');
		assert.equal(await page.locator('header .brand').isVisible(), false, 'no brand banner on the phone');
	} else {
		assert.ok(await page.locator('header .brand').isVisible(), 'the desktop shows the brand');
		assert.ok(await page.locator('header nav.site-nav').isVisible(), 'the desktop keeps the top menu');
	}
	const summary = page.locator('header details.jx-sheet > summary');
	assert.match(await summary.innerText(), /教师/, 'the bar names the acting identity');
	await check(page, 'inbox-teacher', mobile);

	// One tap opens the sheet: every identity, the acting one marked.
	await summary.click();
	const cells = page.locator('header .identity-list .jx-cell');
	assert.equal(await cells.count(), 3);
	assert.ok(await page.locator('header form.identity-switch button').first().isVisible());
	assert.match(await page.locator('header .identity-list [aria-current="true"]').innerText(), /教师/);
	assert.ok(await page.locator('header .jx-sheet-panel form.logout button').isVisible(),
		'logout is in the sheet');
	assert.ok(await page.locator('header .jx-sheet-panel .lang-switch a[hreflang="en"]').isVisible(),
		'the language is reachable from the sheet');
	if (mobile) {
		const panel = await page.locator('header .jx-sheet-panel').boundingBox();
		assert.ok(Math.abs(panel.y + panel.height - PHONE.height) < 2,
			`the sheet sits at the bottom of the phone: ${JSON.stringify(panel)}`);
	}
	await check(page, 'sheet', mobile);

	// Choose the parent of 陈小雨: the same page comes back, as the parent,
	// with a toast that says so.
	const [res] = await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		page.click('header form.identity-switch button:has-text("陈小雨")'),
	]);
	assert.equal(res.status(), 200);
	assert.equal(page.url(), start, 'the switch stays on the page');
	assert.match(await summary.innerText(), /家长/);
	assert.match(await summary.innerText(), /陈小雨/);
	const toast = page.locator('#jx-toast');
	assert.ok(await toast.isVisible(), 'the toast shows');
	assert.equal((await toast.innerText()).trim(), '已切换身份');
	await page.waitForFunction(() => getComputedStyle(document.getElementById('jx-toast')).visibility === 'hidden',
		null, { timeout: 6000 });
	const me = await page.evaluate(async () => (await fetch('/api/v1/me')).json());
	assert.match(me.identities.find((i) => i.id === me.acting_identity_id).label, /陈小雨/);

	// jx.toast from script.
	await page.evaluate(() => window.jx.toast('已发送'));
	assert.ok(await toast.isVisible());
	assert.equal((await toast.innerText()).trim(), '已发送');
	await check(page, 'inbox-parent', mobile);

	// Back to the teacher, from the personal centre this time.
	await go(page, `${server.url}/me`);
	await summary.click();
	await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		page.click('header form.identity-switch button:has-text("教师")'),
	]);
	assert.equal(new URL(page.url()).pathname, '/me');
	assert.match(await summary.innerText(), /教师/);

	// The back link: history when we came from this site; its href
	// (home here) when the page was opened directly.
	if (mobile) {
		await Promise.all([
			page.waitForNavigation({ waitUntil: 'load' }),
			page.click('main a[href="/me/password"]'),
		]);
		await Promise.all([
			page.waitForNavigation({ waitUntil: 'load' }),
			page.click('header a.jx-back'),
		]);
		assert.equal(new URL(page.url()).pathname, '/me', 'back goes where we came from');
		await go(page, `${server.url}/me/password`);
		assert.equal(await page.locator('header a.jx-back').getAttribute('href'), '/');
	}
	await page.close();
}

async function schoolAdmin(server, browser, mobile) {
	const page = await open(browser, mobile);
	await login(page, server, SCHOOL_ADMIN);
	await go(page, `${server.url}/roster/teachers`);
	const nav = await page.evaluate(() => {
		const links = [...document.querySelectorAll('header nav.site-nav a')];
		const tops = new Set(links.map((a) => Math.round(a.getBoundingClientRect().top)));
		return { count: links.length, rows: tops.size };
	});
	assert.ok(nav.count >= 8, `the school admin's menu: ${nav.count} entries`);
	if (mobile) {
		assert.equal(nav.rows, 1, 'the menu is one row on the phone, scrolling in its own box');
		const box = await headerBox(page);
		assert.ok(box.height < 0.15 * box.viewport,
			`the phone's header is small: ${box.height}px of ${box.viewport}px`);
	}
	await check(page, 'teachers', mobile);

	// The students: on a phone each row is a block, its class on one
	// line (it used to wrap one character per line in a squeezed
	// column); on a desktop a real table.
	await go(page, `${server.url}/roster/students`);
	const rows = await page.evaluate(() => {
		const table = document.querySelector('table.jx-stack');
		const cells = [...table.querySelectorAll('td[data-label="班级"]')];
		return {
			display: getComputedStyle(table).display,
			cells: cells.map((td) => ({
				text: td.textContent.trim(),
				height: td.getBoundingClientRect().height,
				line: parseFloat(getComputedStyle(td).lineHeight),
			})),
		};
	});
	assert.ok(rows.cells.length > 0, 'the students have classes');
	assert.equal(rows.display, mobile ? 'block' : 'table');
	for (const c of rows.cells)
		assert.ok(c.height < 1.8 * c.line, `the class ${c.text} is on one line: ${JSON.stringify(c)}`);
	await check(page, 'students', mobile);
	await go(page, `${server.url}/roster/teachers`);

	// A teacher's 办理离校 asks first. Cancel: nothing is sent.
	const leave = page.locator('form[action$="/leave"] button[data-confirm]').first();
	const url = page.url();
	await leave.click();
	const dialog = page.locator('dialog.jx-confirm');
	assert.ok(await dialog.isVisible(), 'the confirm dialog opens');
	assert.match(await dialog.locator('p').innerText(), /确定为.+办理离校吗/);
	await checkA11y(page);
	await screenshot(page, `shell-confirm-${mobile ? 'phone' : 'desktop'}`);
	await dialog.locator('button[value="cancel"]').click();
	assert.equal(await dialog.isVisible(), false);
	assert.equal(page.url(), url, 'cancel sends nothing');

	// OK: the form is sent, once.
	const posts = [];
	page.on('request', (r) => {
		if (r.method() === 'POST')
			posts.push(r.url());
	});
	await leave.click();
	await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		dialog.locator('button[value="ok"]').click(),
	]);
	assert.equal(posts.length, 1, posts.join(', '));
	assert.match(posts[0], /\/teachers\/\d+\/leave$/);
	await page.close();
}

test('the shell in WeChat on a phone and on a desktop', async (t) => {
	const server = await startServer({ init: false, command: 'demo' });
	t.after(() => server.stop());

	await withBrowser(async (browser) => {
		for (const mobile of [true, false]) {
			const kind = mobile ? 'phone' : 'desktop';
			await t.test(`teacher-parent, ${kind}`, () => teacherParent(server, browser, mobile));
			await t.test(`school admin, ${kind}`, () => schoolAdmin(server, browser, mobile));
		}
	});
});
