// Browser test of the import page (issue 4): chromium logs in through the
// login page as the demo school administrator 李敏, opens /roster/import,
// uploads a sheet with errors and reads the error table (row numbers as
// Excel shows them, the sheet's column headers), uploads a good sheet,
// watches the progress bar run to its end, confirms the import and reads
// the counts; the students are then in the roster. axe runs on every
// state of the page, on a phone and on a desktop, and screenshots go to
// build/screenshots/.

import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, BUILD_DIR } from '../system/harness.mjs';
import { xlsx, XLSX_TYPE } from '../system/xlsx.mjs';
import { withBrowser, newPage, checkA11y, screenshot, SCREENSHOT_DIR } from './harness.mjs';

const SCHOOL_ADMIN = '13800000002';
const DEMO_PASSWORD = 'Demo2026';
const HEADER = ['姓名', '性别', '年级', '班级', '家长1姓名', '家长1手机', '家长1关系'];

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

async function checkPage(page, mobile) {
	await checkA11y(page);
	await assertNoSideScroll(page, mobile);
	assert.deepEqual(page.jxErrors, [], `no console or page errors on ${page.url()}`);
}

// A sheet with a title row above the header and three bad rows: 5 (性别),
// 6 (班级), 8 (家长1手机); row 7 is good.
function badSheet(tag) {
	return xlsx([
		[`岳麓区第一实验小学${tag}补录名单`],
		null,
		HEADER,
		null,
		[`错${tag}甲`, '男生', '一年级', '1班'],
		[`错${tag}乙`, '女', '一年级', '9班'],
		[`好${tag}丙`, '女', '一年级', '2班'],
		[`错${tag}丁`, '男', '三年级', '1班', '某家长', '1380000', '父亲'],
	], { merges: ['A1:G1'] });
}

// n good students in 一年级2班 and 三年级1班, each with a parent.
function goodSheet(tag, n) {
	const rows = [HEADER];
	for (let i = 1; i <= n; i++)
		rows.push([`${tag}生${i}`, i % 2 ? '男' : '女', i % 3 ? '一年级' : '三年级', i % 3 ? '2班' : '1班',
			`${tag}家长${i}`, `137${tag === 'phone' ? '1' : '2'}${String(i).padStart(7, '0')}`, '母亲']);
	return xlsx(rows);
}

// Starts recording the progress bar and the status line every 20 ms.
async function recordProgress(page) {
	await page.evaluate(() => {
		window.jxProgress = [];
		const bar = document.getElementById('import-progress');
		const msg = document.getElementById('import-message');
		window.jxSample = () => window.jxProgress.push({
			value: bar.hasAttribute('value') ? bar.value : null,
			max: bar.max,
			message: msg.textContent,
		});
		window.jxProgressTimer = window.setInterval(window.jxSample, 20);
	});
}

// Stops recording; the last sample is the state now.
async function stopRecording(page) {
	return page.evaluate(() => {
		window.clearInterval(window.jxProgressTimer);
		window.jxSample();
		return window.jxProgress;
	});
}

// Waits until the job on the page ended: the form is no longer busy and
// the status line says how it went.
async function waitDone(page) {
	await page.waitForFunction(() => {
		const form = document.getElementById('import-form');
		const result = document.getElementById('import-result');
		return form.getAttribute('aria-busy') === 'false' && result.childElementCount > 0;
	}, null, { timeout: 120000 });
}

async function chooseFile(page, name, buffer) {
	await page.setInputFiles('#import-file', { name, mimeType: XLSX_TYPE, buffer });
}

// The counts shown after a job: {新建: '3', ...} from the <dl>.
async function shownCounts(page) {
	return page.evaluate(() => {
		const out = {};
		const dl = document.querySelector('#import-result dl.import-counts');
		if (!dl)
			return null;
		const dts = dl.querySelectorAll('dt');
		const dds = dl.querySelectorAll('dd');
		dts.forEach((dt, i) => {
			out[dt.textContent.trim()] = dds[i].textContent.trim();
		});
		return out;
	});
}

async function run(server, mobile) {
	const kind = mobile ? 'phone' : 'desktop';
	const page = await newPage({ mobile });

	// Log in through the login page.
	let res = await page.goto(`${server.url}/login`, { waitUntil: 'load' });
	assert.equal(res.status(), 200);
	await page.fill('#login', SCHOOL_ADMIN);
	await page.fill('#password', DEMO_PASSWORD);
	await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		page.click('form[action="/login"] button[type="submit"]'),
	]);
	assert.equal(new URL(page.url()).pathname, '/');

	// The import page: templates, and the form once its script has run.
	res = await page.goto(`${server.url}/roster/import`, { waitUntil: 'load' });
	assert.equal(res.status(), 200);
	await page.waitForSelector('#import-form:not([hidden])');
	assert.equal(await page.locator('main h1').count(), 1);
	const templates = await page.locator('.import-templates a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
	assert.deepEqual(templates.sort(), [
		'/api/v1/imports/templates/parents.xlsx',
		'/api/v1/imports/templates/students.xlsx',
		'/api/v1/imports/templates/teachers.xlsx',
	]);
	for (const id of ['import-kind', 'import-file'])
		assert.equal(await page.locator(`label[for="${id}"]`).count(), 1, `a label for #${id}`);
	assert.equal(await page.locator('#import-status').isHidden(), true);
	await checkPage(page, mobile);
	await screenshot(page, `roster-import-${kind}`);

	// A sheet with errors: the dry run lists them by row, nothing else.
	await page.selectOption('#import-kind', 'students');
	await page.check('input[name="mode"][value="dry-run"]');
	await chooseFile(page, `bad-${kind}.xlsx`, badSheet(kind));
	await recordProgress(page);
	await page.click('#import-start');
	await waitDone(page);
	let seen = await stopRecording(page);
	const errors = await page.locator('#import-result table.import-errors tbody tr').evaluateAll((trs) =>
		trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent.trim())));
	assert.deepEqual(errors.map(([row, field]) => `${row}|${field}`).sort(), ['5|性别', '6|班级', '8|家长1手机'].sort(),
		JSON.stringify(errors));
	for (const [, , message] of errors)
		assert.ok(message.length > 5, 'each row says what is wrong');
	const headers = await page.locator('#import-result table.import-errors thead th').allTextContents();
	assert.deepEqual(headers.map((h) => h.trim()), ['行号', '列', '问题']);
	assert.match(await page.locator('#import-message').textContent(), /3/);
	assert.equal(await page.locator('#import-commit').isHidden(), true, 'no commit after a dry run with errors');
	assert.equal(seen.at(-1).value, seen.at(-1).max, 'the bar ends full');
	await checkPage(page, mobile);
	await screenshot(page, `roster-import-errors-${kind}`);

	// A good sheet: the bar runs to its end, then the commit button.
	const n = 300;
	await chooseFile(page, `good-${kind}.xlsx`, goodSheet(kind, n));
	await recordProgress(page);
	await page.click('#import-start');
	await waitDone(page);
	seen = await stopRecording(page);
	assert.ok(seen.length > 0);
	assert.ok(seen.some((s) => s.value === null || s.value < s.max), `the bar ran: ${JSON.stringify(seen.slice(0, 5))}`);
	assert.ok(seen.some((s) => /上传|等待|处理/.test(s.message)), 'the status line told the progress');
	assert.equal(seen.at(-1).value, 1);
	assert.equal(seen.at(-1).max, 1);
	assert.equal(await page.evaluate(() => document.getElementById('import-progress').value), 1);
	assert.equal(await page.locator('#import-result table.import-errors').count(), 0);
	assert.deepEqual(await shownCounts(page), { 新建: String(n), 更新: '0', 无变化: '0' });
	assert.equal(await page.locator('#import-commit').isVisible(), true, 'a clean dry run offers the commit');
	await checkPage(page, mobile);
	await screenshot(page, `roster-import-checked-${kind}`);

	// Confirm: the same file is committed; the counts and the slips link.
	await recordProgress(page);
	await page.click('#import-commit');
	await waitDone(page);
	seen = await stopRecording(page);
	assert.equal(seen.at(-1).value, seen.at(-1).max);
	assert.deepEqual(await shownCounts(page), { 新建: String(n), 更新: '0', 无变化: '0' });
	assert.match(await page.locator('#import-message').textContent(), /导入完成/);
	assert.equal(await page.locator('#import-slips').isVisible(), true);
	assert.equal(await page.locator('#import-commit').isHidden(), true);
	await checkPage(page, mobile);
	await screenshot(page, `roster-import-done-${kind}`);

	// The students are in the roster, with their parents.
	const list = await page.evaluate(async (q) =>
		(await fetch(`/api/v1/schools/1/students?limit=500&q=${encodeURIComponent(q)}`)).json(), `${kind}生`);
	assert.equal(list.items.length, n);
	assert.ok(list.items.every((s) => s.guardians.length === 1 && s.status === 'in_school'));

	// The history lists both jobs after a reload.
	await page.goto(`${server.url}/roster/import`, { waitUntil: 'load' });
	const history = await page.locator('section[aria-labelledby="import-recent-title"] tbody tr').allTextContents();
	assert.ok(history.some((h) => h.includes(`good-${kind}.xlsx`)), JSON.stringify(history));
	await checkPage(page, mobile);
	await page.close();
}

test('the import page: errors by row, the progress bar, the commit', async (t) => {
	const server = await startServer({
		init: false,
		command: 'demo',
		set: { plugin_dir: path.join(BUILD_DIR, 'plugins') },
	});
	t.after(() => server.stop());

	await withBrowser(async () => {
		await t.test('phone', () => run(server, true));
		await t.test('desktop', () => run(server, false));
	});
	for (const kind of ['phone', 'desktop'])
		for (const name of ['roster-import', 'roster-import-errors', 'roster-import-checked', 'roster-import-done']) {
			const file = path.join(SCREENSHOT_DIR, `${name}-${kind}.png`);
			assert.ok(fs.existsSync(file) && fs.statSync(file).size > 1000, `${file} was written`);
		}
});
