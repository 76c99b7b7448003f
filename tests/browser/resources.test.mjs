// Browser test of the resources pages (issue 17): a teacher uploads a PDF
// lesson plan on a desktop through the form (the file goes up first through
// jx-upload.js, the form posts its id) into the learning library for the
// school; the resource page shows the first page rendered at upload. A
// student of the same school, on a phone, finds it by a two-character
// search in the library browser and sees the rendered first page (the
// picture loaded, not a broken image); a student of another school does
// not find it. Every page passes axe on its viewport, the phone never
// scrolls sideways, no console or CSP errors; screenshots go to
// build/screenshots/.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, BUILD_DIR, SOURCE_DIR } from '../system/harness.mjs';
import { withBrowser, checkPage, visit, loginPage } from './harness.mjs';
import { makePdf } from '../system/resources_lib.mjs';

const WANG = '13800000003'; // teacher, school 1

function demoLogin(server, name) {
	const m = new RegExp(`^\\s*(\\d{8,9})\\s+学生 student\\s+${name}\\s`, 'm').exec(server.logs());
	assert.ok(m, `the demo prints a login for ${name}`);
	return m[1];
}

// The picture in the page has loaded and has a size.
const imageLoaded = (page, sel) =>
	page.$eval(sel, (img) => img.complete && img.naturalWidth > 100 && img.naturalHeight > 100);

test('a teacher uploads a PDF; a student of the school finds it and sees its first page', async (t) => {
	const server = await startServer({
		command: 'demo',
		init: false,
		env: { LSAN_OPTIONS: `suppressions=${path.join(SOURCE_DIR, 'tests', 'lsan-resources.supp')}` },
		set: { plugin_dir: path.join(BUILD_DIR, 'plugins') },
	});
	t.after(() => server.stop());
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jx-res-'));
	t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
	const pdfPath = path.join(dir, '分数的初步认识.pdf');
	fs.writeFileSync(pdfPath, makePdf('Fractions 3/8'));

	await withBrowser(async () => {
		const teacher = await loginPage(server, WANG, false);
		await visit(teacher, `${server.url}/resources?library=learning`);
		await checkPage(teacher, false, 'resources-list-empty');
		await Promise.all([
			teacher.waitForNavigation({ waitUntil: 'load' }),
			teacher.click('a[href="/resources/new?library=learning"]'),
		]);
		await checkPage(teacher, false, 'resources-new');
		await teacher.fill('#res-title', '分数的初步认识');
		await teacher.selectOption('#res-subject', '数学');
		await teacher.selectOption('#res-grade', '3');
		await teacher.fill('#res-unit', '第八单元');
		await teacher.fill('#res-description', '三年级上册教案');
		await teacher.selectOption('#res-visibility', 'school');
		await teacher.setInputFiles('#res-file', pdfPath);
		// jx-upload.js sends the file and adds its id to the form
		await teacher.waitForSelector('form.resources-form input[type="hidden"][name="file_id"]', { state: 'attached' });
		await Promise.all([
			teacher.waitForNavigation({ waitUntil: 'load' }),
			teacher.click('form.resources-form button[type="submit"]'),
		]);
		assert.match(teacher.url(), /\/resources\/\d+$/, teacher.url());
		const id = Number(/\/resources\/(\d+)$/.exec(teacher.url())[1]);
		assert.ok(await imageLoaded(teacher, '.resources-preview img'), 'the teacher sees the first page');
		await checkPage(teacher, false, 'resources-item');

		// A student of the same school, on a phone
		const student = await loginPage(server, demoLogin(server, '张一鸣'), true);
		await visit(student, `${server.url}/resources`);
		await checkPage(student, true, 'resources-list-student');
		await student.fill('#resources-q', '分数');
		await Promise.all([
			student.waitForNavigation({ waitUntil: 'load' }),
			student.click('form.resources-filters button[type="submit"]'),
		]);
		assert.match(student.url(), /q=%E5%88%86%E6%95%B0/);
		const found = await student.$$eval('.resources-list a', (as) => as.map((a) => a.getAttribute('href')));
		assert.deepEqual(found, [`/resources/${id}`]);
		await checkPage(student, true, 'resources-search');
		await Promise.all([
			student.waitForNavigation({ waitUntil: 'load' }),
			student.click(`a[href="/resources/${id}"]`),
		]);
		assert.ok(await imageLoaded(student, '.resources-preview img'), 'the student sees the rendered first page');
		assert.match(await student.textContent('main'), /第一页预览/);
		// a student has no removal form, but may keep it as a favourite
		assert.equal(await student.locator('form.resources-remove').count(), 0);
		await Promise.all([
			student.waitForNavigation({ waitUntil: 'load' }),
			student.click('button.resources-fav'),
		]);
		assert.equal(await student.getAttribute('button.resources-fav', 'aria-pressed'), 'true');
		await checkPage(student, true, 'resources-item-student');

		// A student of the other school finds nothing
		const other = await loginPage(server, demoLogin(server, '周子涵'), true);
		await visit(other, `${server.url}/resources?q=${encodeURIComponent('分数')}`);
		assert.equal(await other.locator('.resources-list a').count(), 0);
		assert.match(await other.textContent('main'), /没有找到/);
		await checkPage(other, true, 'resources-search-none');
	});
});
