// Browser test of the roster pages a school administrator uses every day:
// classes, the student list with its filters, a student's card, adding a
// student, teachers, and the printable account slips. Each page is
// checked with axe on a phone and a desktop, the phone never scrolls
// sideways, no console or CSP errors, and screenshots go to
// build/screenshots/.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, BUILD_DIR } from '../system/harness.mjs';
import {
	withBrowser, newPage, checkPage, visit,
} from './harness.mjs';

const ADMIN = '13800000002';
const PW = 'Demo2026';

async function run(server, mobile) {
	const page = await newPage({ mobile });

	await visit(page, `${server.url}/login`);
	await page.fill('#login', ADMIN);
	await page.fill('#password', PW);
	await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		page.click('form[action="/login"] button[type="submit"]'),
	]);

	// The menu leads to the school's classes.
	await visit(page, `${server.url}/roster/classes`);
	assert.match(page.url(), /\/schools\/1\/classes$/);
	assert.ok((await page.content()).includes('一年级'));
	await checkPage(page, mobile, 'roster-classes');

	await visit(page, `${server.url}/schools/1/students`);
	assert.ok((await page.content()).includes('张一鸣'));
	await checkPage(page, mobile, 'roster-students');

	// Search narrows the list.
	await visit(page, `${server.url}/schools/1/students?q=${encodeURIComponent('陈小雨')}`);
	const text = await page.textContent('main');
	assert.ok(text.includes('陈小雨'));
	assert.ok(!text.includes('张一鸣'), 'search filters the list');

	// A student's card: masked values, guardians.
	await visit(page, `${server.url}/schools/1/students?q=${encodeURIComponent('张一鸣')}`);
	const href = await page.getAttribute('main a[href^="/students/"]', 'href');
	assert.ok(href, 'the list links to the student');
	await visit(page, `${server.url}${href}`);
	assert.ok((await page.textContent('main')).includes('张伟'));
	await checkPage(page, mobile, 'roster-student');

	await visit(page, `${server.url}/schools/1/students/new`);
	for (const id of await page.$$eval('main form input:not([type=hidden]), main form select',
		(els) => els.map((e) => e.id)))
		assert.equal(await page.locator(`label[for="${id}"]`).count(), 1, `a label for #${id}`);
	await checkPage(page, mobile, 'roster-student-new');

	await visit(page, `${server.url}/schools/1/teachers`);
	assert.ok((await page.textContent('main')).includes('王芳'));
	await checkPage(page, mobile, 'roster-teachers');

	await visit(page, `${server.url}/schools/1/slips?class_id=1`);
	assert.ok(await page.locator('main svg').count() > 0, 'slips carry a QR code');
	await checkPage(page, mobile, 'roster-slips');
	await page.close();
}

test('roster pages on a phone and a desktop', async (t) => {
	const server = await startServer({
		command: 'demo',
		init: false,
		set: { plugin_dir: path.join(BUILD_DIR, 'plugins') },
	});
	t.after(() => server.stop());
	await withBrowser(async () => {
		await run(server, false);
		await run(server, true);
	});
});
