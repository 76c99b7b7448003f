// Browser test of the statistics pages (issue 19) on the demo district:
// - a school admin on a desktop opens 使用统计 from the home page and lands on the
//   school dashboard: the bar chart is visible, named by its <title> and
//   carrying its numbers as text, equal to the table's and the API's;
//   another measure redraws it; the weekly line is there with its table;
//   the export link is the .xlsx of the same range; printed, the controls
//   go and the chart stays; drilling into 一年级1班 shows its students and
//   the list of students whose parents were never reached, with their
//   parents' names and masked phones;
// - the same dashboard on a phone (375 px, WeChat's browser): no sideways
//   scrolling, the chart fits;
// - a district admin's dashboard: a bar per school;
// - a teacher's: the classes taught only;
// - the space statistics page, searched by name.
// Every page passes axe (serious, critical); screenshots in
// build/screenshots/stats-*.png.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, BUILD_DIR } from '../system/harness.mjs';
import { withBrowser, newPage, checkPage, visit, loginPage, WECHAT_UA } from './harness.mjs';

const DISTRICT_ADMIN = '13800000001';
const ADMIN1 = '13800000002';
const WANG = '13800000003';

async function go(page, click) {
	await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), click]);
}

// The bar chart's accessible name and the numbers it draws.
async function chart(page, sel = '.stats-figure svg[aria-labelledby^="stats-bars"]') {
	const svg = page.locator(sel);
	assert.ok(await svg.isVisible(), 'the chart is visible');
	const box = await svg.boundingBox();
	assert.ok(box.width > 250 && box.height > 40, JSON.stringify(box));
	return page.$eval(sel, (s) => ({
		role: s.getAttribute('role'),
		title: s.querySelector('title').textContent,
		desc: s.querySelector('desc').textContent,
		labelledby: s.getAttribute('aria-labelledby'),
		values: [...s.querySelectorAll('.stats-chart-value')].map((t) => t.textContent),
		labels: [...s.querySelectorAll('g > text:not(.stats-chart-value)')].map((t) => t.textContent),
		width: s.getBoundingClientRect().width,
	}));
}

// The table's rows: name and the cell of one column (by its header).
async function table(page, header) {
	return page.$eval('table.jx-stack.stats-table', (t, h) => {
		const col = [...t.querySelectorAll('thead th')].findIndex((th) => th.textContent.trim() === h);
		return [...t.querySelectorAll('tbody tr')].map((tr) => ({
			name: tr.querySelector('th').textContent.trim(),
			value: tr.children[col]?.textContent.trim(),
		}));
	}, header);
}

test('the statistics pages: school, class, district, teacher, spaces', async (t) => {
	const server = await startServer({
		command: 'demo',
		init: false,
		set: { plugin_dir: path.join(BUILD_DIR, 'plugins') },
	});
	t.after(() => server.stop());
	// a new student of 一年级1班 whose mother never logged in: unreached
	const api = server.client();
	assert.equal((await api.login(ADMIN1, 'Demo2026')).status, 200);
	const cls = (await api.get('/api/v1/schools/1/classes')).json;
	const c1 = cls.find((k) => k.full_name === '一年级1班');
	const made = await api.post('/api/v1/schools/1/students', {
		name: '周小满', gender: '女', class_id: c1.id,
		guardian1_name: '周母', guardian1_phone: '13712345678', guardian1_relation: '母亲',
	});
	assert.equal(made.status, 201, made.text);

	await withBrowser(async () => {
		// ---- the school admin, desktop ----
		const admin = await loginPage(server, ADMIN1, false);
		// the home page's cell (this week's logins) and the menu lead there
		const cell = admin.locator('main .jx-cells a[href="/stats"]');
		assert.match(await cell.textContent(), /使用统计.*本周 [1-9]\d* 人登录/s);
		assert.equal(await admin.locator('header nav a[href="/stats"]').count(), 1);
		await go(admin, cell.click());
		assert.match(admin.url(), /\/schools\/1\/stats$/);
		await admin.waitForSelector('h1#stats-title');
		assert.match(await admin.textContent('h1#stats-title'), /岳麓区第一实验小学/);
		let bars = await chart(admin);
		assert.equal(bars.role, 'img');
		assert.equal(bars.labelledby, 'stats-bars-t stats-bars-d');
		assert.equal(bars.title, '各班登录人数');
		assert.deepEqual(bars.labels, ['一年级1班', '一年级2班', '三年级1班']);
		// the numbers drawn are the table's, and the API's
		let rows = await table(admin, '登录人数');
		assert.deepEqual(rows.map((r) => r.name), bars.labels);
		assert.deepEqual(rows.map((r) => r.value), bars.values);
		const range = {
			from: await admin.inputValue('#stats-from'),
			to: await admin.inputValue('#stats-to'),
		};
		const usage = await admin.request.get(`${server.url}/api/v1/schools/1/stats/usage?by=class&from=${range.from}&to=${range.to}`);
		assert.equal(usage.status(), 200);
		const items = (await usage.json()).items;
		assert.deepEqual(items.map((r) => String(r.logins)), bars.values);
		assert.deepEqual((await table(admin, '账号数')).map((r) => r.value), items.map((r) => String(r.accounts)));
		// the admin logged in today: this week's range has it
		assert.equal(range.to, new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10));
		assert.equal(await admin.getAttribute('.stats-presets a[aria-current]', 'href'),
			`/schools/1/stats?from=${range.from}&to=${range.to}&measure=logins`);
		// the export is the same range as .xlsx
		assert.equal(await admin.getAttribute('a[download]', 'href'),
			`/api/v1/schools/1/stats/usage.xlsx?from=${range.from}&to=${range.to}`);
		const xlsx = await admin.request.get(`${server.url}/api/v1/schools/1/stats/usage.xlsx?from=${range.from}&to=${range.to}`);
		assert.equal(xlsx.status(), 200);
		assert.equal((await xlsx.body()).subarray(0, 2).toString(), 'PK');
		// the weekly line and its table
		const weekly = await chart(admin, '.stats-figure svg[aria-labelledby^="stats-weekly"]');
		assert.equal(weekly.title, '每周活跃：登录人数与上传数');
		assert.ok(await admin.locator('table.stats-weeks tbody tr').count() >= 1);
		await checkPage(admin, false, 'stats-school');

		// another measure
		await go(admin, admin.click('.stats-measures a:has-text("账号数")'));
		bars = await chart(admin);
		assert.equal(bars.title, '各班账号数');
		assert.deepEqual(bars.values, items.map((r) => String(r.accounts)));
		assert.match(admin.url(), /measure=accounts/);

		// printed: no controls, the chart and the table stay
		await admin.emulateMedia({ media: 'print' });
		assert.equal(await admin.locator('.stats-range').isVisible(), false);
		assert.equal(await admin.locator('.stats-measures').isVisible(), false);
		assert.equal(await admin.locator('.site-header').isVisible(), false);
		assert.ok(await admin.locator('.stats-figure svg').first().isVisible());
		assert.ok(await admin.locator('table.stats-table').first().isVisible());
		await admin.emulateMedia({ media: 'screen' });

		// a range of days chosen in the form
		await admin.fill('#stats-from', '2026-01-05');
		await admin.fill('#stats-to', '2026-01-11');
		await go(admin, admin.click('.stats-range button[type="submit"]'));
		assert.match(admin.url(), /from=2026-01-05&to=2026-01-11/);
		assert.match(await admin.textContent('.stats-head .lead'), /2026-01-05 至 2026-01-11/);

		// drill into 一年级1班
		await go(admin, admin.click('table.stats-table tbody a:has-text("一年级1班")'));
		assert.match(admin.url(), /\/schools\/1\/stats\?by=student&class_id=\d+&from=2026-01-05&to=2026-01-11/);
		const cid = new URL(admin.url()).searchParams.get('class_id');
		assert.match(await admin.textContent('h1#stats-title'), /一年级1班/);
		const students = await chart(admin);
		assert.ok(students.labels.includes('张一鸣'), JSON.stringify(students.labels));
		await admin.waitForSelector('#stats-unreached-title');
		const unreached = await admin.$$eval('.stats-unreached .jx-cell', (cells) => cells.map((c) => c.textContent));
		const api2 = await admin.request.get(`${server.url}/api/v1/classes/${cid}/stats/unreached`);
		assert.equal(api2.status(), 200);
		const never = (await api2.json()).items;
		assert.equal(unreached.length, never.length);
		for (const s of never) {
			const cell = unreached.find((u) => u.includes(s.name));
			assert.ok(cell, `${s.name} is listed`);
			for (const p of s.parents ?? [])
				assert.ok(cell.includes(p.name), `${p.name} in ${cell}`);
			// phones masked: 139****0001, never whole
			assert.ok(!/1[3-9]\d{9}/.test(cell), cell);
		}
		const zhou = unreached.find((u) => u.includes('周小满'));
		assert.ok(zhou && zhou.includes('周母') && zhou.includes('137****5678'), `the masked phone: ${unreached}`);
		// the class's weekly line
		assert.equal((await chart(admin, '.stats-figure svg[aria-labelledby^="stats-weekly"]')).title, '每周活跃：登录人数与上传数');
		await checkPage(admin, false, 'stats-class');

		// the space statistics (linked from the dashboard), searched by name
		await visit(admin, `${server.url}/schools/1/stats`);
		await go(admin, admin.click('.stats-actions a[href="/stats/spaces"]'));
		await admin.selectOption('#spaces-kind', 'class');
		await admin.fill('#spaces-q', '一年级');
		await go(admin, admin.click('.stats-spaces-form button[type="submit"]'));
		const found = await admin.$$eval('table.stats-table tbody th a', (as) => as.map((a) => [a.textContent, a.getAttribute('href')]));
		assert.deepEqual(found.map((f) => f[0]).sort(), ['一年级1班', '一年级2班']);
		assert.ok(found.every((f) => /^\/spaces\/class\/\d+$/.test(f[1])));
		await checkPage(admin, false, 'stats-spaces');

		// ---- the same dashboard on a phone, in WeChat ----
		const phone = await newPage({ mobile: true, userAgent: WECHAT_UA });
		await visit(phone, `${server.url}/login`);
		await phone.fill('#login', ADMIN1);
		await phone.fill('#password', 'Demo2026');
		await go(phone, phone.click('form[action="/login"] button[type="submit"]'));
		await visit(phone, `${server.url}/stats`);
		assert.match(phone.url(), /\/schools\/1\/stats$/);
		const small = await chart(phone);
		assert.ok(small.width <= 375, `the chart fits: ${small.width}`);
		assert.equal(small.title, '各班登录人数');
		await checkPage(phone, true, 'stats-school');
		await go(phone, phone.click('table.stats-table tbody a:has-text("一年级1班")'));
		await checkPage(phone, true, 'stats-class');

		// ---- the district admin ----
		for (const mobile of [false, true]) {
			const d = await loginPage(server, DISTRICT_ADMIN, mobile);
			await visit(d, `${server.url}/stats`);
			assert.match(d.url(), /\/districts\/\d+\/stats$/);
			const sb = await chart(d);
			assert.equal(sb.title, '各校登录人数');
			assert.deepEqual([...sb.labels].sort(), ['岳麓区第一实验小学', '岳麓区第二中学'].sort());
			assert.deepEqual((await table(d, '登录人数')).map((r) => r.value), sb.values);
			await checkPage(d, mobile, 'stats-district');
			if (!mobile) {
				// a school's row drills into its dashboard
				await go(d, d.click('table.stats-table tbody a:has-text("岳麓区第二中学")'));
				assert.match(d.url(), /\/schools\/\d+\/stats\?from=/);
				assert.deepEqual((await chart(d)).labels, ['七年级1班', '八年级1班']);
			}
		}

		// ---- a teacher: the classes taught ----
		const wang = await loginPage(server, WANG, false);
		await visit(wang, `${server.url}/stats`);
		assert.match(await wang.textContent('h1#stats-title'), /我的班级/);
		assert.deepEqual((await chart(wang)).labels, ['一年级1班', '一年级2班']);
		await checkPage(wang, false, 'stats-teacher');
	});
});
