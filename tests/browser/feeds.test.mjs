// Browser test of issue 15's feeds: a student (李思涵, 一年级1班) on a phone
// (375 px) writes a class post with a photo from the composer (the upload
// widget sends it to POST /api/v1/files, the form posts file_ids); the
// parent of a classmate (张伟, 张一鸣's father) sees it with its
// thumbnail in the class feed; a post whose text is <script>alert(1)</script>
// shows as text and fires no dialog on the feeds and the post page. Every
// page passes axe, the phone never scrolls sideways, no console errors.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, BUILD_DIR, SOURCE_DIR } from '../system/harness.mjs';
import { withBrowser, checkPage, visit, loginPage } from './harness.mjs';

const PW = 'Demo2026';
const EVIL = '<script>alert(1)</script>';

test('a student posts a photo to the class from a phone; a classmate\'s parent sees it; XSS stays text', async (t) => {
	const server = await startServer({
		command: 'demo', init: false, set: { plugin_dir: path.join(BUILD_DIR, 'plugins') },
	});
	t.after(() => server.stop());
	const admin = server.client();
	assert.equal((await admin.login('13800000002', PW)).status, 200);
	const find = async (q) => (await admin.get(`/api/v1/schools/1/students?q=${encodeURIComponent(q)}`)).json.items[0];
	// 李思涵 posts; 张伟 (13900000001), the father of her classmate 张一鸣,
	// reads the class feed.
	const li = await find('李思涵');
	let r;

	await withBrowser(async () => {
		// The student, on a phone: the composer with a photo.
		const s = await loginPage(server, li.account.login, true);
		await visit(s, `${server.url}/feeds/school`);
		await checkPage(s, true, 'feeds-school');
		await visit(s, `${server.url}/posts/new`);
		await s.selectOption('#field-kind', 'mood');
		await s.fill('#field-text', '班级春游真开心');
		await s.check('#vis-class');
		const jpeg = fs.readFileSync(path.join(SOURCE_DIR, 'tests', 'fixtures', 'sideways-gps.jpg'));
		await s.setInputFiles('#field-photos', { name: '春游.jpg', mimeType: 'image/jpeg', buffer: jpeg });
		await s.waitForSelector('form[action="/posts"] input[type="hidden"][name="file_ids"]', { state: 'attached' });
		await checkPage(s, true, 'feeds-new');
		await Promise.all([
			s.waitForNavigation({ waitUntil: 'load' }),
			s.click('form[action="/posts"] button.primary[type="submit"]'),
		]);
		assert.match(s.url(), /\/posts\/\d+$/);
		assert.match(await s.textContent('main'), /班级春游真开心/);
		assert.equal(await s.locator('.feeds-photos img').count(), 1);
		await checkPage(s, true, 'feeds-post');

		// The XSS post, through the API as the student.
		const api = server.client();
		assert.equal((await api.login(li.account.login, PW)).status, 200);
		r = await api.post('/api/v1/posts', { kind: 'mood', text: EVIL, visibility: 'class' });
		assert.equal(r.status, 201, r.text);
		const evilId = r.json.id;

		// The classmate's parent, on a phone: the class feed shows both.
		const p = await loginPage(server, '13900000001', true);
		let dialogs = 0;
		p.on('dialog', async (d) => {
			dialogs++;
			await d.dismiss();
		});
		const classId = Number(r.json.class_id);
		await visit(p, `${server.url}/feeds/class/${classId}`);
		const main = await p.textContent('main');
		assert.match(main, /班级春游真开心/);
		assert.ok(main.includes(EVIL), 'the script shows as text');
		const img = p.locator('.feeds-photos img').first();
		await img.waitFor();
		assert.match(await img.getAttribute('src'), /\/api\/v1\/files\/\d+\?variant=thumb/);
		assert.ok(await img.evaluate((el) => el.complete && el.naturalWidth > 0), 'the thumbnail loads');
		await checkPage(p, true, 'feeds-class');
		await visit(p, `${server.url}/posts/${evilId}`);
		await visit(p, `${server.url}/feeds/school`);
		assert.equal(dialogs, 0, 'no alert fired');
		assert.ok(!/\}\}|\{%/.test(await p.textContent('body')), 'no template text in the page');

		// The school admin on a desktop: the post page with the removal form.
		const a = await loginPage(server, '13800000002', false);
		a.on('dialog', async (d) => {
			dialogs++;
			await d.dismiss();
		});
		await visit(a, `${server.url}/feeds/class/${classId}`);
		await checkPage(a, false, 'feeds-class');
		await visit(a, `${server.url}/posts/${evilId}`);
		assert.equal(await a.locator('form[action$="/removal"] textarea[name="reason"]').count(), 1);
		await checkPage(a, false, 'feeds-post-admin');
		assert.equal(dialogs, 0, 'no alert fired for the admin either');

		// The removal asks first (.jx-confirm): cancel keeps the post, OK
		// removes it and the author sees why.
		await a.fill('#removal-reason', '内容不当');
		const remove = a.locator('form[action$="/removal"] button[type="submit"]');
		await remove.click();
		const dialog = a.locator('dialog.jx-confirm');
		assert.ok(await dialog.isVisible(), 'the confirm dialog opens');
		assert.match(await dialog.locator('p').innerText(), /作者会看到原因/);
		await dialog.locator('button[value="cancel"]').click();
		assert.equal((await api.get(`/api/v1/posts/${evilId}`)).json.status, 'live', 'cancel sends nothing');
		await remove.click();
		await Promise.all([
			a.waitForNavigation({ waitUntil: 'load' }),
			dialog.locator('button[value="ok"]').click(),
		]);
		assert.match(a.url(), /\/feeds\/school$/);
		const mine = await api.get(`/api/v1/posts/${evilId}`);
		assert.equal(mine.json.status, 'removed');
		assert.equal(mine.json.removed_reason, '内容不当');
		await visit(s, `${server.url}/posts/${evilId}`);
		assert.match(await s.textContent('main'), /此动态已被学校管理员删除，原因：内容不当/);
		await checkPage(s, true, 'feeds-post-removed');
		assert.equal(await p.evaluate(() => document.querySelectorAll('main script').length), 0);
	});
});
