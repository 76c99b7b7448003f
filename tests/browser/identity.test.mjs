// Browser test of logging in and switching identity (issue 3): chromium logs
// in through the login page as the demo teacher-parent 陈刚 on a phone and
// on a desktop, switches from the teacher identity to a parent identity
// with the identity sheet of the title bar, and visits the personal centre and
// the password page. axe runs on every page visited, the phone never
// scrolls sideways, and screenshots of both identities go to
// build/screenshots/.

import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer } from '../system/harness.mjs';
import { withBrowser, newPage, checkA11y, screenshot, SCREENSHOT_DIR } from './harness.mjs';

const TEACHER_PARENT = '13800000004';
const DEMO_PASSWORD = 'Demo2026';

async function assertNoSideScroll(page, mobile) {
	if (!mobile)
		return;
	const size = await page.evaluate(() => ({
		scrollWidth: document.documentElement.scrollWidth,
		innerWidth: window.innerWidth,
	}));
	assert.ok(size.scrollWidth <= size.innerWidth,
		`no horizontal scroll on ${page.url()}: ${JSON.stringify(size)}`);
}

// Every check a visited page gets: axe, the phone's width, no errors.
// `status` is the page's own expected error status (a form shown again
// with 401 or 422), which the browser logs as a failed resource.
async function checkPage(page, mobile, status) {
	await checkA11y(page);
	await assertNoSideScroll(page, mobile);
	const errors = page.jxErrors.filter((e) =>
		!(status && e.includes(`status of ${status}`) && e.includes(`(${page.url()})`)));
	assert.deepEqual(errors, [], `no console or page errors on ${page.url()}`);
	page.jxErrors.length = 0;
}

// The header's identity sheet: the identities (the acting one marked
// 当前, the others a form each), the summary's text.
async function switcher(page) {
	return page.evaluate(() => {
		const sheet = document.querySelector('header details.jx-sheet');
		if (!sheet)
			return null;
		const cells = [...sheet.querySelectorAll('.identity-list .jx-cell')];
		if (cells.length === 0)
			return null;
		const forms = [...sheet.querySelectorAll('form.identity-switch')];
		const buttons = [...sheet.querySelectorAll('form.identity-switch button[name="identity_id"]')];
		const acting = sheet.querySelector('.identity-list [aria-current="true"] .jx-cell-title');
		return {
			options: cells.map((c) => ({
				value: c.querySelector('button[name="identity_id"]')?.value ?? null,
				text: c.querySelector('.jx-cell-title').textContent.trim(),
			})),
			selected: acting?.textContent.trim() ?? null,
			summary: sheet.querySelector('summary').textContent.trim(),
			actions: [...new Set(forms.map((f) => f.getAttribute('action')))],
			methods: [...new Set(forms.map((f) => f.getAttribute('method').toLowerCase()))],
			csrf: forms.map((f) => f.querySelector('input[name="csrf_token"]')?.value ?? null),
			next: forms.map((f) => f.querySelector('input[name="next"]')?.value ?? null),
			buttons: buttons.length,
		};
	});
}

// Opens the sheet and taps the identity whose label is text.
async function switchTo(page, text) {
	await page.click('header details.jx-sheet > summary');
	await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		page.click(`header form.identity-switch button:has-text("${text}")`),
	]);
}

async function run(server, mobile) {
	const kind = mobile ? 'phone' : 'desktop';
	const page = await newPage({ mobile });

	// The login page.
	let res = await page.goto(`${server.url}/login`, { waitUntil: 'load' });
	assert.equal(res.status(), 200);
	for (const id of ['login', 'password']) {
		assert.equal(await page.locator(`label[for="${id}"]`).count(), 1, `a label for #${id}`);
		assert.equal(await page.locator(`#${id}`).count(), 1);
	}
	assert.equal(await page.locator('#password').getAttribute('type'), 'password');
	await checkPage(page, mobile);
	await screenshot(page, `login-${kind}`);

	// A wrong password shows an alert on the same form, and no session.
	await page.fill('#login', TEACHER_PARENT);
	await page.fill('#password', 'not-the-password1');
	[res] = await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		page.click('form[action="/login"] button[type="submit"]'),
	]);
	assert.equal(res.status(), 401);
	assert.equal(await page.locator('[role="alert"]').count(), 1);
	assert.equal(await page.inputValue('#login'), TEACHER_PARENT, 'the login is kept');
	assert.equal(await page.locator('header details.jx-sheet').count(), 0);
	await checkPage(page, mobile, 401);

	// Log in: the teacher identity acts first.
	await page.fill('#password', DEMO_PASSWORD);
	await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		page.click('form[action="/login"] button[type="submit"]'),
	]);
	assert.equal(new URL(page.url()).pathname, '/');
	const cookies = await page.context().cookies();
	const session = cookies.find((c) => c.name === 'jx_session');
	assert.ok(session, 'the session cookie is set');
	assert.equal(session.httpOnly, true);
	assert.equal(session.sameSite, 'Lax');
	assert.equal(await page.evaluate(() => document.cookie.includes('jx_session')), false,
		'scripts cannot read the session cookie');
	let sw = await switcher(page);
	assert.ok(sw, 'the header has the identity sheet');
	assert.equal(sw.options.length, 3, JSON.stringify(sw.options));
	assert.deepEqual(sw.actions, ['/me/identity']);
	assert.deepEqual(sw.methods, ['post']);
	assert.equal(sw.buttons, 2, 'a button for each identity but the acting one');
	assert.equal(sw.csrf.length, 1, 'one form');
	assert.match(sw.csrf[0] ?? '', /^[0-9a-f]{32,}$/, 'the form carries the CSRF token');
	assert.deepEqual(sw.next, ['/'], 'the form comes back to this page');
	assert.match(sw.selected, /教师/, `acting as the teacher: ${sw.selected}`);
	assert.ok(sw.summary.includes(sw.selected), `the bar shows the acting identity: ${sw.summary}`);
	const parent = sw.options.find((o) => /家长/.test(o.text) && /陈小雨/.test(o.text));
	const teacher = sw.options.find((o) => /教师/.test(o.text));
	assert.ok(parent, JSON.stringify(sw.options));
	assert.ok(await page.locator('header details.jx-sheet > summary').isVisible(), 'the switch is visible');
	assert.equal(await page.locator('header form.identity-switch').first().isVisible(), false,
		'the sheet is closed until tapped');
	await checkPage(page, mobile);
	await screenshot(page, `identity-teacher-${kind}`);

	// Switch to 陈小雨's parent from the sheet, on the personal centre:
	// the switch stays on the page it was made on.
	await page.goto(`${server.url}/me`, { waitUntil: 'load' });
	await page.click('header details.jx-sheet > summary');
	assert.ok(await page.locator('header form.identity-switch').first().isVisible(), 'the sheet opens');
	await checkPage(page, mobile);
	await screenshot(page, `identity-sheet-${kind}`);
	[res] = await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		page.click(`header form.identity-switch button:has-text("${parent.text}")`),
	]);
	assert.equal(res.status(), 200);
	assert.equal(new URL(page.url()).pathname, '/me');
	sw = await switcher(page);
	assert.equal(sw.selected, parent.text, 'the header shows the parent identity');
	assert.notEqual(sw.selected, teacher.text);
	// The personal centre: the identities, the acting one marked, the
	// children.
	const body = await page.locator('main').innerText();
	for (const o of sw.options)
		assert.ok(body.includes(o.text), `/me lists ${o.text}`);
	assert.ok(body.includes('陈小雨') && body.includes('陈小阳'), 'the children are listed');
	assert.equal(await page.locator('main h1').count(), 1);
	await checkPage(page, mobile);
	await screenshot(page, `identity-parent-${kind}`);
	// The API agrees.
	const me = await page.evaluate(async () => (await fetch('/api/v1/me')).json());
	assert.equal(String(me.acting_identity_id), parent.value);

	// The password page.
	res = await page.goto(`${server.url}/me/password`, { waitUntil: 'load' });
	assert.equal(res.status(), 200);
	for (const id of ['old_password', 'new_password', 'new_password_again']) {
		assert.equal(await page.locator(`label[for="${id}"]`).count(), 1, `a label for #${id}`);
		assert.equal(await page.locator(`#${id}`).getAttribute('type'), 'password');
	}
	await checkPage(page, mobile);
	await screenshot(page, `password-${kind}`);
	// A mismatch is shown on the form; nothing changes.
	await page.fill('#old_password', DEMO_PASSWORD);
	await page.fill('#new_password', 'Browser2026a');
	await page.fill('#new_password_again', 'Browser2026b');
	[res] = await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		page.click('form[action="/me/password"] button[type="submit"]'),
	]);
	assert.equal(res.status(), 422);
	assert.equal(await page.locator('[role="alert"]').count(), 1);
	await checkPage(page, mobile, 422);

	// Back to the teacher (the last identity used acts at the next login),
	// then log out with the header's button.
	await page.goto(`${server.url}/me`, { waitUntil: 'load' });
	await switchTo(page, teacher.text);
	assert.equal((await switcher(page)).selected, teacher.text);
	await page.click('header details.jx-sheet > summary');
	await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		page.click('header form.logout button'),
	]);
	assert.equal(await page.locator('header details.jx-sheet').count(), 0);
	assert.equal(await page.locator('header a[href="/login"]').count(), 1, 'the login link is back');
	await checkPage(page, mobile);
	await page.goto(`${server.url}/me`, { waitUntil: 'load' });
	assert.equal(new URL(page.url()).pathname, '/login', 'after logout /me asks for a login');
	await page.close();
}

test('log in as the teacher-parent and switch identity in chromium', async (t) => {
	const server = await startServer({ init: false, command: 'demo' });
	t.after(() => server.stop());

	await withBrowser(async () => {
		await t.test('phone', () => run(server, true));
		await t.test('desktop', () => run(server, false));
	});
	for (const name of ['identity-teacher-phone', 'identity-parent-phone', 'identity-teacher-desktop', 'identity-parent-desktop']) {
		const file = path.join(SCREENSHOT_DIR, `${name}.png`);
		assert.ok(fs.existsSync(file) && fs.statSync(file).size > 1000, `${file} was written`);
	}
});
