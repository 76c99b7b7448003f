// Browser test of issue 15's spaces part on the demo district: the head
// teacher of 一年级1班 edits the class space's introduction and pins a
// class post on a desktop, a parent reads the class space on a phone;
// a student proposes a campus activity on a phone through the form
// (/activities/new), the school admin reviews it on a desktop and on a
// phone (approve → 已发布, a post in the school feed), and the content
// management page and report queue open. Every page passes axe-core on
// its viewport, the phone never scrolls sideways, no console errors;
// screenshots go to build/screenshots/.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, BUILD_DIR } from '../system/harness.mjs';
import { withBrowser, checkPage, visit, loginPage } from './harness.mjs';

const ADMIN = '13800000002';
const WANG = '13800000003'; // head teacher of 一年级1班
const ZHANG = '13900000001'; // father of 张一鸣 (一年级1班)
const STUDENT_PW = 'Xuesheng2026';

test('class space management and an activity proposed and reviewed, on a phone and a desktop', async (t) => {
	const server = await startServer({
		command: 'demo',
		init: false,
		set: { plugin_dir: path.join(BUILD_DIR, 'plugins'), plugins: '{"roster","notices","feeds"}' },
	});
	t.after(() => server.stop());
	// 张一鸣 with a password of his own; a class post by the head teacher
	const admin = server.client();
	assert.equal((await admin.login(ADMIN, 'Demo2026')).status, 200);
	const s = (await admin.get(`/api/v1/schools/1/students?q=${encodeURIComponent('张一鸣')}`)).json.items[0];
	const reset = await admin.post(`/api/v1/accounts/${s.account.id}/password-reset`, {});
	assert.equal(reset.status, 200, reset.text);
	const student = server.client();
	assert.equal((await student.login(reset.json.login, reset.json.initial_password)).status, 200);
	assert.equal((await student.put('/api/v1/me/password', { old_password: reset.json.initial_password, new_password: STUDENT_PW })).status, 204);
	const wang = server.client();
	const me = await wang.login(WANG, 'Demo2026');
	const cid = me.json.identities.find((i) => i.role === 'teacher').head_of_class_ids[0];
	const p = await wang.post('/api/v1/posts', { kind: 'info', text: '本周五下午开班会', visibility: 'class', class_id: cid });
	assert.equal(p.status, 201, p.text);

	await withBrowser(async () => {
		// the head teacher edits the class space on a desktop
		const head = await loginPage(server, WANG, false);
		await visit(head, `${server.url}/spaces/class/${cid}`);
		await head.click('details.feeds-manage summary');
		await head.fill('#space-intro', '一年级1班：爱读书的集体');
		await head.selectOption('#space-pin', String(p.json.id));
		await Promise.all([
			head.waitForNavigation({ waitUntil: 'load' }),
			head.click('details.feeds-manage button[type="submit"]'),
		]);
		let main = await head.textContent('main');
		assert.match(main, /爱读书的集体/);
		assert.match(main, /置顶动态/);
		await checkPage(head, false, 'spaces-class-head');

		// a parent reads it on a phone: intro, pinned post, members
		const parent = await loginPage(server, ZHANG, true);
		await visit(parent, `${server.url}/spaces/class/${cid}`);
		main = await parent.textContent('main');
		assert.match(main, /爱读书的集体/);
		assert.match(main, /本周五下午开班会/);
		assert.match(main, /王芳/);
		assert.equal(await parent.locator('details.feeds-manage').count(), 0, 'no management form for a parent');
		await checkPage(parent, true, 'spaces-class-parent');

		// the student proposes an activity on a phone
		const kid = await loginPage(server, reset.json.login, true, STUDENT_PW);
		await visit(kid, `${server.url}/activities/new`);
		await checkPage(kid, true, 'spaces-activity-new');
		await kid.fill('#act-title', '班级读书会');
		await kid.fill('#act-starts', '2027-04-01T15:00');
		await kid.fill('#act-place', '图书馆');
		await kid.fill('#act-description', '每人带一本书分享');
		await Promise.all([
			kid.waitForNavigation({ waitUntil: 'load' }),
			kid.click('form[action="/activities"] button[type="submit"]'),
		]);
		assert.match(kid.url(), /\/activities\/\d+$/);
		const id = Number(/(\d+)$/.exec(kid.url())[1]);
		main = await kid.textContent('main');
		assert.match(main, /班级读书会/);
		assert.match(main, /待审核/);
		await checkPage(kid, true, 'spaces-activity-proposed');

		// the school admin reviews it: the phone shows the form too
		const adminPhone = await loginPage(server, ADMIN, true);
		await visit(adminPhone, `${server.url}/activities/${id}`);
		await checkPage(adminPhone, true, 'spaces-activity-review');
		const adm = await loginPage(server, ADMIN, false);
		await visit(adm, `${server.url}/activities?status=proposed`);
		assert.match(await adm.textContent('main'), /班级读书会/);
		await checkPage(adm, false, 'spaces-activities-admin');
		await visit(adm, `${server.url}/activities/${id}`);
		await checkPage(adm, false, 'spaces-activity-review');
		await Promise.all([
			adm.waitForNavigation({ waitUntil: 'load' }),
			adm.click('button[name="decision"][value="approve"]'),
		]);
		main = await adm.textContent('main');
		assert.match(main, /已发布/);
		assert.match(main, /结束活动/, 'the published activity can be managed');
		// the post is in the school feed the parent reads
		await visit(parent, `${server.url}/feeds/school`);
		assert.match(await parent.textContent('main'), /班级读书会/);
		// content management and the report queue open
		await visit(adm, `${server.url}/manage/content`);
		await checkPage(adm, false, 'spaces-manage');
		await visit(adm, `${server.url}/manage/reports`);
		await checkPage(adm, false, 'spaces-reports');
		await visit(adminPhone, `${server.url}/manage/content`);
		await checkPage(adminPhone, true, 'spaces-manage');
		// the student's learning space on the phone
		await visit(kid, `${server.url}/spaces/me`);
		assert.match(kid.url(), /\/spaces\/learning\/\d+$/);
		await checkPage(kid, true, 'spaces-learning');
	});
});
