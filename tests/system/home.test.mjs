// System test of the home page of to-dos and the tab bar (issue 13, ABI
// 2.1's home items and tabs) against the real binary serving the demo
// district, with the shipped notices, keyinfo and roster plugins and the
// `good` test plugin (a home item hidden at 0 whose count is its tab's
// badge, from plugin_path):
// - anonymous visitors get a short zh-CN welcome and no brochure;
// - each role gets its items: 陈刚 (teacher, head of 三年级1班, parent of
//   陈小雨 and 陈小阳) his unread notices, each child's latest notice without
//   switching, his class's key-information completion; 李敏 (school admin)
//   the changes to review and the school's completion;
// - counts follow the data: a notice sent and read, a change submitted and
//   reviewed;
// - the tab bar for teachers and parents (首页, 消息 with the unread badge,
//   我的), none for admins;
// - a district that switches a module off loses its items and tabs.
//
// The tests run in order on one server and build on one another.

import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, BUILD_DIR } from './harness.mjs';

const PW = 'Demo2026';
const ADMIN1 = '13800000002';
const WANG = '13800000003';
const CHEN = '13800000004';
const ZHANG = '13900000001';

let server;
const clients = {};
const cls = {};

function settings(extra = {}) {
	return {
		plugin_dir: path.join(BUILD_DIR, 'plugins'),
		plugin_path: path.join(BUILD_DIR, 'test-plugins'),
		plugins: '{"sms","wechat","roster","notices","keyinfo","good"}',
		...extra,
	};
}

async function login(who) {
	const c = server.client();
	const r = await c.login(who, PW);
	assert.equal(r.status, 200, r.text);
	c.me = r.json;
	return c;
}

async function relogin() {
	for (const who of [ADMIN1, WANG, CHEN, ZHANG])
		clients[who] = await login(who);
}

async function home(who) {
	const r = await clients[who].get('/api/v1/home');
	assert.equal(r.status, 200, r.text);
	assert.ok(Array.isArray(r.json.items), r.text);
	return r.json;
}

const byTitle = (h, title) => h.items.find((i) => i.title === title);

async function actAs(c, pred) {
	const id = c.me.identities.find(pred)?.id;
	assert.ok(id, JSON.stringify(c.me.identities));
	const r = await c.put('/api/v1/me/identity', { identity_id: id });
	assert.equal(r.status, 200, r.text);
	return id;
}

test.before(async () => {
	server = await startServer({ command: 'demo', init: false, set: settings() });
	await relogin();
	const r = await clients[ADMIN1].get('/api/v1/schools/1/classes');
	assert.equal(r.status, 200, r.text);
	for (const c of r.json)
		cls[c.full_name] = c.id;
});

test.after(() => server?.stop());

test('an anonymous visitor gets a short welcome in Chinese, no brochure', async () => {
	const r = await server.request('GET', '/');
	assert.equal(r.status, 200);
	assert.match(r.text, /欢迎使用家校/);
	assert.match(r.text, /href="\/login"/);
	const main = r.text.slice(r.text.indexOf('<main'), r.text.indexOf('</main>'));
	assert.doesNotMatch(main, /lang="en"|[A-Za-z]{4,}(?![^<]*>)/, 'no English in the page');
	assert.doesNotMatch(main, /成长记录|社会实践|教学资源/, 'nothing promises a feature that is not there');
	assert.equal((await server.request('GET', '/api/v1/home')).status, 401);
});

test('a teacher who is a parent sees his notices, both children and his class', async () => {
	const h = await home(CHEN);
	const titles = h.items.map((i) => i.title);
	// acting as the teacher: his own inbox first
	assert.equal(h.items[0].title, '未读通知');
	assert.equal(h.items[0].href, '/inbox');
	assert.equal(h.items[0].count, 0);
	assert.equal(h.items[0].done, true);
	// both children, each a tap away (switching to that identity)
	for (const child of ['陈小雨', '陈小阳']) {
		const it = byTitle(h, `${child}的通知`);
		assert.ok(it, `${child}: ${titles}`);
		assert.equal(it.href, '/inbox');
		assert.ok(it.identity_id > 0, JSON.stringify(it));
		const idt = clients[CHEN].me.identities.find((i) => i.id === it.identity_id);
		assert.equal(idt?.role, 'parent', JSON.stringify(it));
		assert.equal(it.detail, '还没有通知');
	}
	// head teacher of 三年级1班 (2 students, none complete in the demo)
	const ki = byTitle(h, '三年级1班学籍信息未完善');
	assert.ok(ki, titles.join(','));
	assert.equal(ki.href, `/keyinfo/classes/${cls['三年级1班']}/incomplete`);
	assert.equal(ki.count, 2);
	assert.match(ki.detail, /已完善 0\/2 人/);
	// an admin's items are not his
	assert.ok(!titles.includes('待审核的信息修改'));
	assert.ok(!titles.includes('正在进行的导入'));
	// the good plugin's item is hidden at 0
	assert.ok(!h.items.some((i) => i.href === '/test/good/items'));
	// the tab bar: 首页, the plugins' tabs in order, 我的
	assert.deepEqual(h.tabs.map((t) => t.href), ['/', '/inbox', '/test/good/items', '/me']);
	assert.deepEqual(h.tabs.map((t) => t.icon), ['home', 'inbox', 'class', 'me']);
	assert.equal(h.tabs.find((t) => t.href === '/inbox').label_key, 'tab.inbox');
	assert.ok(h.tabs.every((t) => t.badge === undefined), 'no badge at 0');

	// the page: cells with links, the other children as identity switches
	const page = await clients[CHEN].get('/');
	assert.equal(page.status, 200);
	assert.match(page.text, /<ul class="jx-cells home-items">/);
	assert.match(page.text, new RegExp(`href="/keyinfo/classes/${cls['三年级1班']}/incomplete"`));
	assert.match(page.text, /<form method="post" action="\/me\/identity">/);
	// the cell's form switches to that child and opens the inbox
	const other = h.items.find((i) => i.identity_id);
	const form = new URLSearchParams({ csrf_token: clients[CHEN].csrfToken, identity_id: String(other.identity_id), next: other.href });
	let sw = await clients[CHEN].request('POST', '/me/identity', {
		body: form.toString(),
		headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: server.url },
	});
	assert.equal(sw.status, 303, sw.text);
	assert.equal(sw.headers.get('location'), '/inbox');
	// back to the teacher; next is never off the site
	const teacher = clients[CHEN].me.identities.find((i) => i.role === 'teacher').id;
	sw = await clients[CHEN].request('POST', '/me/identity', {
		body: new URLSearchParams({ csrf_token: clients[CHEN].csrfToken, identity_id: String(teacher), next: '//evil.example/x' }).toString(),
		headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: server.url },
	});
	assert.equal(sw.status, 303, sw.text);
	assert.equal(sw.headers.get('location'), '/');
	assert.doesNotMatch(page.text, /成长记录/);
});

test('counts follow the data: a notice sent, then read', async () => {
	// 王芳 teaches 一年级2班 (陈小雨's class) and writes to its parents
	let r = await clients[WANG].post('/api/v1/notices', {
		kind: 'homework', title: '语文作业：背诵第三课', body: '明天检查。',
		audience: { class_ids: [cls['一年级2班']], roles: ['parent'] },
	});
	assert.equal(r.status, 201, r.text);
	const id = r.json.id;
	let h = await home(CHEN);
	let rain = byTitle(h, '陈小雨的通知');
	assert.equal(rain.count, 1);
	assert.equal(rain.detail, '语文作业：背诵第三课');
	assert.equal(byTitle(h, '陈小阳的通知').count, 0);
	// acting as 陈小雨's father: his cell comes first, the 消息 tab has a badge
	const idt = await actAs(clients[CHEN], (i) => i.role === 'parent' && i.id === rain.identity_id);
	h = await home(CHEN);
	assert.equal(h.items[0].title, '陈小雨的通知');
	assert.equal(h.items[0].identity_id, undefined, 'the acting child needs no switch');
	assert.equal(h.items[0].count, 1);
	assert.equal(h.tabs.find((t) => t.href === '/inbox').badge, 1);
	// a parent: 首页 消息 孩子 (the good plugin's tab, order 50) 我的
	assert.deepEqual(h.tabs.map((t) => t.href), ['/', '/inbox', '/keyinfo/mine', '/test/good/items', '/me']);
	assert.equal(h.tabs.find((t) => t.href === '/keyinfo/mine').label_key, 'tab.child');
	assert.ok(byTitle(h, '陈小阳的通知'), 'the other child is still there');
	assert.ok(!byTitle(h, '三年级1班学籍信息未完善'), 'class items belong to the teacher identity');
	// the page's tab bar data is the same (rendered by the shell)
	r = await clients[CHEN].post(`/api/v1/inbox/${id}/read`, {});
	assert.ok([200, 204].includes(r.status), r.text);
	h = await home(CHEN);
	assert.equal(h.items[0].count, 0);
	assert.equal(h.tabs.find((t) => t.href === '/inbox').badge, undefined);
	assert.ok(idt > 0);
	await actAs(clients[CHEN], (i) => i.role === 'teacher');
});

test('a school admin sees the reviews waiting and the school\'s completion', async () => {
	let h = await home(ADMIN1);
	let pending = byTitle(h, '待审核的信息修改');
	assert.ok(pending, JSON.stringify(h.items));
	assert.equal(pending.href, '/keyinfo/changes');
	assert.equal(pending.count, 0);
	const school = byTitle(h, '全校学籍信息未完善');
	assert.ok(school);
	assert.equal(school.href, '/keyinfo');
	assert.ok(school.count > 0);
	assert.deepEqual(h.tabs, [], 'administrators keep the top menu');
	// no import is running: the item is hidden
	assert.ok(!byTitle(h, '正在进行的导入'));

	// 张伟 submits a change of his son's 市网学籍号
	const zhang = clients[ZHANG];
	const kid = zhang.me.identities.find((i) => i.role === 'parent').student_id;
	let r = await zhang.put(`/api/v1/students/${kid}/keyinfo`, { city_no: '4301000011', reason: '新号' });
	assert.equal(r.status, 202, r.text);
	h = await home(ADMIN1);
	pending = byTitle(h, '待审核的信息修改');
	assert.equal(pending.count, 1);
	r = await clients[ADMIN1].post(`/api/v1/keyinfo/changes/${r.json.change_id}/review`, { decision: 'approve' });
	assert.equal(r.status, 200, r.text);
	assert.equal(byTitle(await home(ADMIN1), '待审核的信息修改').count, 0);
	// a teacher never sees the school's queue
	assert.ok(!byTitle(await home(WANG), '待审核的信息修改'));
});

test('a plugin\'s item hidden at 0 appears with its count, and badges its tab', async () => {
	const r = await server.request('POST', '/api/v1/test/good/items', { json: { name: 'one' } });
	assert.equal(r.status, 201, r.text);
	const h = await home(CHEN);
	const it = h.items.find((i) => i.href === '/test/good/items');
	assert.ok(it, JSON.stringify(h.items));
	assert.equal(it.count, 1);
	assert.equal(h.tabs.find((t) => t.href === '/test/good/items').badge, 1);
	// ordered by the items' order: notices (10) before keyinfo (30) before good (50)
	const order = h.items.map((i) => i.href);
	assert.ok(order.indexOf('/inbox') < order.indexOf(`/keyinfo/classes/${cls['三年级1班']}/incomplete`));
	assert.ok(order.indexOf(`/keyinfo/classes/${cls['三年级1班']}/incomplete`) < order.indexOf('/test/good/items'));
});

test('a district that switches modules off loses their items and tabs', async () => {
	await server.restart({ set: settings({ 'districts.430104.modules': ['roster', 'keyinfo'] }) });
	await relogin();
	const h = await home(CHEN);
	assert.ok(!h.items.some((i) => i.href === '/inbox'), JSON.stringify(h.items));
	assert.ok(!h.items.some((i) => i.href === '/test/good/items'));
	assert.ok(byTitle(h, '三年级1班学籍信息未完善'), 'keyinfo stays');
	assert.deepEqual(h.tabs.map((t) => t.href), ['/', '/me']);
	const page = await clients[CHEN].get('/');
	assert.doesNotMatch(page.text, /href="\/test\/good\/items"/);
	await server.restart({ set: settings() });
	await relogin();
});

test('the incomplete students of a class: its head teacher and the school, no one else', async () => {
	const c31 = cls['三年级1班'];
	let r = await clients[CHEN].get(`/api/v1/keyinfo/classes/${c31}/incomplete`);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.class_name, '三年级1班');
	assert.deepEqual(r.json.students.map((s) => s.name).sort(), ['孙浩然', '陈小阳'].sort());
	assert.equal(r.json.incomplete, 2);
	for (const s of r.json.students) {
		assert.equal(s.href, `/students/${s.student_id}/keyinfo`);
		assert.ok(s.problems.some((p) => p.field === 'id_number' && p.message === '未填写'), JSON.stringify(s));
	}
	// the page: a cell per student linking to the fix
	r = await clients[CHEN].get(`/keyinfo/classes/${c31}/incomplete`);
	assert.equal(r.status, 200);
	assert.match(r.text, /三年级1班 · 学籍信息未完善的学生/);
	assert.match(r.text, /<li class="jx-cell"><a class="jx-cell-link" href="\/students\/\d+\/keyinfo">/);
	assert.match(r.text, /身份证号：未填写/);
	// the school admin too; another class's teacher, a parent, another school: no
	assert.equal((await clients[ADMIN1].get(`/api/v1/keyinfo/classes/${c31}/incomplete`)).status, 200);
	assert.equal((await clients[WANG].get(`/api/v1/keyinfo/classes/${c31}/incomplete`)).status, 404);
	assert.equal((await clients[ZHANG].get(`/api/v1/keyinfo/classes/${c31}/incomplete`)).status, 404);
	const admin2 = await login('13800000005');
	assert.equal((await admin2.get(`/api/v1/keyinfo/classes/${c31}/incomplete`)).status, 404);
	assert.equal((await clients[CHEN].get('/api/v1/keyinfo/classes/999999/incomplete')).status, 404);
	assert.equal((await clients[CHEN].get('/api/v1/keyinfo/classes/x/incomplete')).status, 404);
	// 王芳 heads 一年级1班: her page lists its students only
	r = await clients[WANG].get(`/api/v1/keyinfo/classes/${cls['一年级1班']}/incomplete`);
	assert.equal(r.status, 200, r.text);
	assert.ok(r.json.students.every((s) => ['张一鸣', '李思涵', '王子轩'].includes(s.name)), r.text);
});
