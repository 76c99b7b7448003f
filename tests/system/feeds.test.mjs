// System test of the feeds plugin's posts (API.md, "Feeds and spaces";
// issue 15) against the real binary serving the demo district: the
// visibility matrix (each visibility x author role x reader role,
// including a parent of a classmate, a teacher of another class, another
// school's users and the district admin), the school and class feeds,
// deletion and removal rights, comments and their deletion, likes,
// reports, pagination without duplicates or gaps while posts arrive, the
// privacy rule (nothing stored), photos visible exactly to those who see
// the post, and stored XSS escaped in every page that shows the post.
//
// Demo school 1 (admin 李敏 13800000002): 一年级1班 (王芳 heads it, 王芳 and
// 陈刚 teach it), 一年级2班 (王芳 teaches it), 三年级1班 (陈刚 heads and
// teaches it). Students 张一鸣, 李思涵 (一年级1班), 陈小雨 (一年级2班).
// Parents: 张伟 13900000001 of 张一鸣; 陈刚 13800000004 of 陈小雨 (一年级2班)
// and 陈小阳 (三年级1班). School 2 (admin 赵磊 13800000005): 刘洋 teaches
// 七年级1班 with 周子涵. 周建国 13800000001 is the district admin.

import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, BUILD_DIR, SOURCE_DIR } from './harness.mjs';

const PW = 'Demo2026';
const PROBLEM = /^application\/problem\+json/;

let server;
const who = {}; // clients by name
const cls = {}; // class ids by name

function sql(query) {
	const r = spawnSync('sqlite3', [path.join(server.dataDir, 'jiaxiao.db'), query], { encoding: 'utf8' });
	assert.equal(r.status, 0, r.stderr);
	return r.stdout.trim();
}

async function login(loginName) {
	const c = server.client();
	const r = await c.login(loginName, PW);
	assert.equal(r.status, 200, `${loginName}: ${r.text}`);
	c.me = r.json;
	return c;
}

async function actAs(c, pred, what) {
	const id = c.me.identities.find(pred)?.id;
	assert.ok(id, `${what}: ${JSON.stringify(c.me.identities)}`);
	const r = await c.put('/api/v1/me/identity', { identity_id: id });
	assert.equal(r.status, 200, r.text);
}

async function studentLogin(admin, name, sid = 1) {
	const r = await admin.get(`/api/v1/schools/${sid}/students?q=${encodeURIComponent(name)}`);
	const s = r.json.items[0];
	assert.ok(s?.account?.login, `${name} has an account: ${r.text}`);
	return login(s.account.login);
}

async function post(c, body, status = 201) {
	const r = await c.post('/api/v1/posts', body);
	assert.equal(r.status, status, r.text);
	return r.json;
}

async function upload(c, name, bytes, type) {
	const form = new FormData();
	form.append('file', new Blob([bytes], { type }), name);
	const res = await fetch(`${server.url}/api/v1/files`, {
		method: 'POST',
		body: form,
		headers: { Cookie: c.cookieHeader(), 'X-CSRF-Token': c.csrfToken },
	});
	const text = await res.text();
	assert.equal(res.status, 201, text);
	return JSON.parse(text);
}

async function feedIds(c, url) {
	const ids = [];
	let cursor = '';
	for (let n = 0; n < 50; n++) {
		const r = await c.get(`${url}?limit=50${cursor}`);
		assert.equal(r.status, 200, `${url}: ${r.text}`);
		ids.push(...r.json.items.map((p) => p.id));
		if (!r.json.next_cursor)
			return ids;
		cursor = `&cursor=${r.json.next_cursor}`;
	}
	throw new Error('endless feed');
}

test.before(async () => {
	server = await startServer({
		command: 'demo', init: false, set: { plugin_dir: path.join(BUILD_DIR, 'plugins') },
	});
	// the demo's city admin creates another district and its admin
	who.city = await login('admin');
	const d2 = await who.city.post('/api/v1/districts', { code: '430105', name: '开福区' });
	assert.equal(d2.status, 201, d2.text);
	const a = await who.city.post(`/api/v1/districts/${d2.json.id}/admins`, { name: '外区管理员', phone: '13700000009' });
	assert.equal(a.status, 201, a.text);
	who.other = server.client();
	assert.equal((await who.other.login('13700000009', a.json.initial_password)).status, 200);
	assert.equal((await who.other.put('/api/v1/me/password', { old_password: a.json.initial_password, new_password: PW })).status, 204);
	who.other = await login('13700000009');
	who.admin1 = await login('13800000002');
	who.admin2 = await login('13800000005');
	who.district = await login('13800000001');
	who.wang = await login('13800000003');
	who.chenT = await login('13800000004');
	await actAs(who.chenT, (i) => i.role === 'teacher', 'chen as teacher');
	who.chenP = await login('13800000004');
	await actAs(who.chenP, (i) => i.role === 'parent' && /陈小雨/.test(JSON.stringify(i)), 'chen as parent of 陈小雨');
	who.zhangP = await login('13900000001');
	who.liu = await login('13800000006');
	who.zhang = await studentLogin(who.admin1, '张一鸣');
	who.li = await studentLogin(who.admin1, '李思涵');
	who.xiaoyu = await studentLogin(who.admin1, '陈小雨');
	who.zhou = await studentLogin(who.admin2, '周子涵', 2);
	for (const row of sql("SELECT id, school_id || '-' || grade || '-' || name FROM classes").split('\n')) {
		const [id, key] = row.split('|');
		cls[key] = Number(id);
	}
});

test.after(() => server?.stop());

test('the visibility matrix: who sees which post, by API and in the feeds', async () => {
	const c11 = cls['1-1-1班'], c12 = cls['1-1-2班'];
	const posts = {
		// a student's posts of every visibility (class: the student's own)
		sPub: await post(who.zhang, { kind: 'mood', text: '学生 公开', visibility: 'public' }),
		sSch: await post(who.zhang, { kind: 'mood', text: '学生 本校', visibility: 'school' }),
		sCls: await post(who.zhang, { kind: 'mood', text: '学生 本班', visibility: 'class' }),
		sPrv: await post(who.zhang, { kind: 'mood', text: '学生 自己', visibility: 'private' }),
		// a parent's class post goes to the child's class
		pCls: await post(who.zhangP, { kind: 'info', text: '家长 本班', visibility: 'class' }),
		// a teacher names the class; 一年级2班 is not 陈刚's as a teacher
		tCls: await post(who.wang, { kind: 'info', text: '老师 二班', visibility: 'class', class_id: c12 }),
		tSch: await post(who.wang, { kind: 'quote', text: '老师 本校', visibility: 'school' }),
		// the other school's public post
		oPub: await post(who.zhou, { kind: 'mood', text: '二中 公开', visibility: 'public' }),
		// another district's public post
		xPub: await post(who.other, { kind: 'info', text: '外区 公开', visibility: 'public' }),
		aSch: await post(who.admin1, { kind: 'info', text: '管理员 本校', visibility: 'school' }),
	};
	assert.equal(posts.sCls.class_id, c11);
	assert.equal(posts.pCls.class_id, c11);
	assert.equal(posts.sCls.author.role, 'student');
	assert.deepEqual(posts.sPub.files, []);
	assert.equal(posts.sPub.liked_by_me, false);

	const all = Object.keys(posts);
	const sees = {
		zhang: all.filter((k) => !['tCls', 'xPub'].includes(k)),
		li: ['sPub', 'sSch', 'sCls', 'pCls', 'tSch', 'oPub', 'aSch'],
		zhangP: ['sPub', 'sSch', 'sCls', 'pCls', 'tSch', 'oPub', 'aSch'],
		// teacher of 一年级1班, not of 一年级2班
		chenT: ['sPub', 'sSch', 'sCls', 'pCls', 'tSch', 'oPub', 'aSch'],
		// a parent of another class (一年级2班): not 一年级1班's class posts
		chenP: ['sPub', 'sSch', 'tCls', 'tSch', 'oPub', 'aSch'],
		xiaoyu: ['sPub', 'sSch', 'tCls', 'tSch', 'oPub', 'aSch'],
		wang: ['sPub', 'sSch', 'sCls', 'pCls', 'tCls', 'tSch', 'oPub', 'aSch'],
		// every non-private post of the school, never a private one
		admin1: ['sPub', 'sSch', 'sCls', 'pCls', 'tCls', 'tSch', 'oPub', 'aSch'],
		// another school: public posts of the district only
		admin2: ['sPub', 'oPub'],
		liu: ['sPub', 'oPub'],
		zhou: ['sPub', 'oPub'],
		district: ['sPub', 'oPub'],
		// another district: only its own
		other: ['xPub'],
	};
	for (const [reader, visible] of Object.entries(sees)) {
		for (const k of all) {
			const r = await who[reader].get(`/api/v1/posts/${posts[k].id}`);
			const want = visible.includes(k) ? 200 : 404;
			assert.equal(r.status, want, `${reader} GET ${k}: ${r.status}`);
			if (want === 200)
				assert.equal(r.json.text, posts[k].text);
			// comments follow the post
			const cm = await who[reader].get(`/api/v1/posts/${posts[k].id}/comments`);
			assert.equal(cm.status, want, `${reader} comments of ${k}`);
		}
	}

	// The school feed: public and school posts of my school, newest first;
	// other schools' public posts are not in it.
	const school1 = ['aSch', 'tSch', 'sSch', 'sPub'].map((k) => posts[k].id);
	for (const reader of ['zhang', 'li', 'zhangP', 'chenT', 'chenP', 'wang', 'admin1']) {
		const ids = await feedIds(who[reader], '/api/v1/feeds/school');
		assert.deepEqual(ids, school1, `${reader}'s school feed`);
	}
	assert.deepEqual(await feedIds(who.zhou, '/api/v1/feeds/school'), [posts.oPub.id]);
	// the district admin, without a school: the district's public posts
	assert.deepEqual(await feedIds(who.district, '/api/v1/feeds/school'), [posts.oPub.id, posts.sPub.id]);
	assert.deepEqual(await feedIds(who.other, '/api/v1/feeds/school'), [posts.xPub.id]);
	assert.equal((await who.city.get('/api/v1/feeds/school')).status, 403);

	// The class feed: the class's class posts, to its students, their
	// parents, its teachers and the school admin; 404 to everyone else.
	const feed11 = [posts.pCls.id, posts.sCls.id];
	for (const reader of ['zhang', 'li', 'zhangP', 'chenT', 'wang', 'admin1'])
		assert.deepEqual(await feedIds(who[reader], `/api/v1/feeds/class/${c11}`), feed11, reader);
	for (const reader of ['chenP', 'xiaoyu', 'admin2', 'liu', 'zhou', 'district', 'other'])
		assert.equal((await who[reader].get(`/api/v1/feeds/class/${c11}`)).status, 404, reader);
	for (const reader of ['chenP', 'xiaoyu', 'wang', 'admin1'])
		assert.deepEqual(await feedIds(who[reader], `/api/v1/feeds/class/${c12}`), [posts.tCls.id], reader);
	assert.equal((await who.chenT.get(`/api/v1/feeds/class/${c12}`)).status, 404, 'a teacher of another class');
});

test('class posts only to my classes; bad input names the field', async () => {
	const c11 = cls['1-1-1班'], c12 = cls['1-1-2班'], c31 = cls['1-3-1班'];
	let r = await who.zhang.post('/api/v1/posts', { kind: 'mood', text: 'x', visibility: 'class', class_id: c12 });
	assert.equal(r.status, 422);
	assert.match(r.headers.get('content-type'), PROBLEM);
	assert.equal(r.json.errors[0].field, 'class_id');
	r = await who.wang.post('/api/v1/posts', { kind: 'mood', text: 'x', visibility: 'class' });
	assert.equal(r.status, 422, 'a teacher names the class');
	assert.equal(r.json.errors[0].field, 'class_id');
	r = await who.wang.post('/api/v1/posts', { kind: 'mood', text: 'x', visibility: 'class', class_id: c31 });
	assert.equal(r.status, 422, 'not a class 王芳 teaches');
	await post(who.chenT, { kind: 'mood', text: '三年级', visibility: 'class', class_id: c31 });
	// class_id belongs to class posts: ignored otherwise
	const sch = await post(who.wang, { kind: 'mood', text: '全校', visibility: 'school', class_id: c31 });
	assert.equal(sch.class_id, null);
	await post(who.wang, { kind: 'mood', text: '一年级', visibility: 'class', class_id: c11 });
	r = await who.zhang.post('/api/v1/posts', { kind: 'poem', text: 'x', visibility: 'everyone' });
	assert.equal(r.status, 422);
	assert.deepEqual(r.json.errors.map((e) => e.field).sort(), ['kind', 'visibility']);
	r = await who.zhang.post('/api/v1/posts', { kind: 'mood', text: '', visibility: 'public' });
	assert.equal(r.status, 422);
	assert.equal(r.json.errors[0].field, 'text');
	r = await who.district.post('/api/v1/posts', { kind: 'info', text: 'x', visibility: 'school' });
	assert.equal(r.status, 422, 'no school of its own');
	r = await who.zhang.post('/api/v1/posts', { kind: 'mood', text: 'x', visibility: 'public', file_ids: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] });
	assert.equal(r.status, 422);
	assert.equal(r.json.errors[0].field, 'file_ids');
});

test('the privacy rule refuses ID and mobile numbers in posts and comments; nothing is stored', async () => {
	const before = sql('SELECT COUNT(*) FROM feeds_posts');
	for (const text of [
		'我的身份证 43010420190501001X',
		'id 430104201905010011 ok',
		'打我电话13912345678',
		'电话 139 1234 5678',
		'电话 139-1234-5678',
		'+86 139 1234 5678',
		'全角 １３９１２３４５６７８',
	]) {
		const r = await who.zhang.post('/api/v1/posts', { kind: 'mood', text, visibility: 'public' });
		assert.equal(r.status, 422, `${text}: ${r.text}`);
		assert.equal(r.json.errors[0].field, 'text');
		assert.match(r.json.errors[0].message, /身份证|手机/);
	}
	assert.equal(sql('SELECT COUNT(*) FROM feeds_posts'), before, 'nothing stored');
	// English asks get English reasons; numbers that are neither pass
	const ok = await post(who.zhang, { kind: 'mood', text: '2026-12-07 考了 98 分，学号 20260001', visibility: 'public' });
	const c0 = sql('SELECT COUNT(*) FROM feeds_comments');
	const r = await who.li.post(`/api/v1/posts/${ok.id}/comments`, { text: '加我 13912345678' });
	assert.equal(r.status, 422);
	assert.equal(r.json.errors[0].field, 'text');
	assert.equal(sql('SELECT COUNT(*) FROM feeds_comments'), c0);
	// the page's composer says why, with the text kept
	const page = await who.zhang.request('POST', '/posts', {
		body: new URLSearchParams({ csrf_token: who.zhang.csrfToken, kind: 'mood', visibility: 'public', text: '电话13912345678' }).toString(),
		headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
	});
	assert.equal(page.status, 422);
	assert.match(page.text, /手机号码/);
	assert.match(page.text, /电话13912345678<\/textarea>/);
});

test('delete, removal with a reason, reports, likes and comments rights', async () => {
	const p = await post(who.zhang, { kind: 'mood', text: '要被删的', visibility: 'school' });
	const q = await post(who.zhang, { kind: 'mood', text: '要被管理员删的', visibility: 'school' });
	const prv = await post(who.zhang, { kind: 'mood', text: '私密', visibility: 'private' });

	// others may not delete; the author may; the other school's admin sees 404
	assert.equal((await who.li.del(`/api/v1/posts/${p.id}`)).status, 403);
	assert.equal((await who.wang.del(`/api/v1/posts/${p.id}`)).status, 403);
	assert.equal((await who.admin2.del(`/api/v1/posts/${p.id}`)).status, 404);
	assert.equal((await who.admin1.del(`/api/v1/posts/${prv.id}`)).status, 404, 'an admin never sees private posts');

	// likes: once per person, counted
	let r = await who.li.post(`/api/v1/posts/${p.id}/likes`, {});
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(r.json, { likes: 1, liked_by_me: true });
	r = await who.li.post(`/api/v1/posts/${p.id}/likes`, {});
	assert.equal(r.json.likes, 1);
	r = await who.zhangP.post(`/api/v1/posts/${p.id}/likes`, {});
	assert.equal(r.json.likes, 2);
	r = await who.zhangP.del(`/api/v1/posts/${p.id}/likes`);
	assert.deepEqual(r.json, { likes: 1, liked_by_me: false });
	assert.equal((await who.li.get(`/api/v1/posts/${p.id}`)).json.liked_by_me, true);
	assert.equal((await who.liu.post(`/api/v1/posts/${p.id}/likes`, {})).status, 404);

	// comments: seen with the post; deleted by their author, the post's
	// author or the school admin, nobody else
	const c1 = (await who.li.post(`/api/v1/posts/${p.id}/comments`, { text: '好' })).json;
	const c2 = (await who.zhangP.post(`/api/v1/posts/${p.id}/comments`, { text: '赞' })).json;
	const c3 = (await who.wang.post(`/api/v1/posts/${p.id}/comments`, { text: '不错' })).json;
	assert.equal(c1.author.name, '李思涵');
	r = await who.chenT.get(`/api/v1/posts/${p.id}/comments`);
	assert.deepEqual(r.json.items.map((c) => c.text), ['好', '赞', '不错']);
	assert.equal((await who.liu.post(`/api/v1/posts/${p.id}/comments`, { text: 'x' })).status, 404);
	assert.equal((await who.liu.del(`/api/v1/comments/${c1.id}`)).status, 404);
	assert.equal((await who.zhangP.del(`/api/v1/comments/${c1.id}`)).status, 403);
	assert.equal((await who.li.del(`/api/v1/comments/${c1.id}`)).status, 204);
	assert.equal((await who.zhang.del(`/api/v1/comments/${c2.id}`)).status, 204, "the post's author");
	assert.equal((await who.admin1.del(`/api/v1/comments/${c3.id}`)).status, 204, 'the school admin');
	r = await who.zhang.get(`/api/v1/posts/${p.id}`);
	assert.equal(r.json.comments, 0);
	assert.equal((await who.zhang.get(`/api/v1/posts/${p.id}/comments`)).json.items.length, 0);

	// reports: one per reader per post, queued for the school
	r = await who.li.post(`/api/v1/posts/${q.id}/reports`, { reason: '不合适' });
	assert.equal(r.status, 201, r.text);
	assert.equal((await who.li.post(`/api/v1/posts/${q.id}/reports`, { reason: '再次' })).status, 409);
	assert.equal((await who.liu.post(`/api/v1/posts/${q.id}/reports`, { reason: 'x' })).status, 404);
	assert.equal(sql(`SELECT school_id FROM feeds_reports WHERE post_id = ${q.id}`), '1');

	// removal: the school admin only, with a reason the author sees
	assert.equal((await who.wang.post(`/api/v1/posts/${q.id}/removal`, { reason: 'x' })).status, 403);
	assert.equal((await who.admin2.post(`/api/v1/posts/${q.id}/removal`, { reason: 'x' })).status, 404);
	assert.equal((await who.admin1.post(`/api/v1/posts/${q.id}/removal`, {})).status, 422);
	r = await who.admin1.post(`/api/v1/posts/${q.id}/removal`, { reason: '含不当内容' });
	assert.equal(r.status, 200, r.text);
	assert.equal((await who.li.get(`/api/v1/posts/${q.id}`)).status, 404);
	assert.equal((await who.admin1.get(`/api/v1/posts/${q.id}`)).status, 404);
	r = await who.zhang.get(`/api/v1/posts/${q.id}`);
	assert.equal(r.status, 200);
	assert.equal(r.json.status, 'removed');
	assert.equal(r.json.removed_reason, '含不当内容');
	assert.ok(!(await feedIds(who.zhang, '/api/v1/feeds/school')).includes(q.id));
	assert.equal(sql(`SELECT outcome FROM feeds_reports WHERE post_id = ${q.id}`), 'removed');
	// the author is told in-app, with the reason
	const told = JSON.parse(sql(`SELECT json_object('to', recipient, 'template', template, 'channel', channel) FROM host_outbox WHERE ref = 'post:${q.id}'`));
	assert.deepEqual(told, { to: String(q.author.id), template: 'feeds_removed', channel: 'inapp' });
	const page = await who.zhang.get(`/posts/${q.id}`);
	assert.match(page.text, /含不当内容/);

	// the author deletes; then nobody sees it, not even the author
	assert.equal((await who.zhang.del(`/api/v1/posts/${p.id}`)).status, 204);
	assert.equal((await who.zhang.get(`/api/v1/posts/${p.id}`)).status, 404);
	assert.equal((await who.admin1.get(`/api/v1/posts/${p.id}`)).status, 404);
	// the school admin deletes a post of the author's school
	const t = await post(who.wang, { kind: 'info', text: '老师的', visibility: 'public' });
	assert.equal((await who.admin1.del(`/api/v1/posts/${t.id}`)).status, 204);
	assert.equal((await who.wang.get(`/api/v1/posts/${t.id}`)).status, 404);
});

test('pagination: no duplicates or gaps while new posts arrive', async () => {
	const c31 = cls['1-3-1班'];
	const made = [];
	for (let i = 0; i < 25; i++)
		made.push((await post(who.chenT, { kind: 'mood', text: `第${i}条`, visibility: 'class', class_id: c31 })).id);
	const seen = [];
	let cursor = '';
	for (let page = 0; page < 20; page++) {
		const r = await who.chenT.get(`/api/v1/feeds/class/${c31}?limit=7${cursor}`);
		assert.equal(r.status, 200);
		assert.ok(r.json.items.length <= 7);
		seen.push(...r.json.items.map((p) => p.id));
		// new posts arrive between pages: they are newer, so never on a later page
		await post(who.chenT, { kind: 'mood', text: `新的${page}`, visibility: 'class', class_id: c31 });
		if (!r.json.next_cursor)
			break;
		cursor = `&cursor=${r.json.next_cursor}`;
	}
	assert.equal(new Set(seen).size, seen.length, 'no duplicates');
	const before = sql(`SELECT id FROM feeds_posts WHERE class_id = ${c31} AND status = 'live' AND visibility = 'class' AND id <= ${seen[0]} ORDER BY id DESC`).split('\n').map(Number);
	assert.deepEqual(seen, before, 'every post older than the first page, in order, no gaps');
	for (const id of made)
		assert.ok(seen.includes(id));
});

test('photos: visible exactly to those who see the post', async () => {
	const jpeg = fs.readFileSync(path.join(SOURCE_DIR, 'tests', 'fixtures', 'sideways-gps.jpg'));
	const f = await upload(who.zhang, '春游.jpg', jpeg, 'image/jpeg');
	const p = await post(who.zhang, { kind: 'mood', text: '春游', visibility: 'class', file_ids: [f.id] });
	assert.equal(p.files.length, 1);
	assert.equal(p.files[0].id, f.id);
	assert.ok(p.files[0].variants?.thumb, JSON.stringify(p.files[0]));
	// read the body: an unread reply keeps the connection (and a worker) busy
	const get = async (c, url) => {
		const res = await fetch(`${server.url}${url}`, { headers: { Cookie: c.cookieHeader() } });
		await res.arrayBuffer();
		return res.status;
	};
	for (const reader of ['zhang', 'li', 'zhangP', 'chenT', 'wang', 'admin1'])
		assert.equal(await get(who[reader], `/api/v1/files/${f.id}?variant=thumb`), 200, reader);
	for (const reader of ['chenP', 'xiaoyu', 'admin2', 'liu', 'district'])
		assert.equal(await get(who[reader], `/api/v1/files/${f.id}?variant=thumb`), 404, reader);
	// in the class feed with the thumbnail
	const feed = await who.zhangP.get(`/api/v1/feeds/class/${cls['1-1-1班']}`);
	assert.deepEqual(feed.json.items[0].files.map((x) => x.id), [f.id]);
	// another's file cannot be attached into my post
	const r = await who.li.post('/api/v1/posts', { kind: 'mood', text: '偷图', visibility: 'public', file_ids: [f.id + 1000] });
	assert.equal(r.status, 422);
	assert.equal(r.json.errors[0].field, 'file_ids');
	// a deleted post's file is no longer served
	assert.equal((await who.zhang.del(`/api/v1/posts/${p.id}`)).status, 204);
	assert.equal(await get(who.li, `/api/v1/files/${f.id}?variant=thumb`), 404);
});

test('stored XSS: a post and comment of <script> are escaped in every page, verbatim in the API', async () => {
	const evil = '<script>alert(1)</script>';
	const p = await post(who.zhang, { kind: 'mood', text: evil, visibility: 'class' });
	const p2 = await post(who.zhang, { kind: 'mood', text: evil, visibility: 'school' });
	assert.equal(p.text, evil);
	assert.equal((await who.li.get(`/api/v1/posts/${p.id}`)).json.text, evil);
	const cm = await who.li.post(`/api/v1/posts/${p.id}/comments`, { text: evil });
	assert.equal(cm.status, 201);
	for (const [reader, url] of [
		['li', '/feeds/school'],
		['li', `/feeds/class/${cls['1-1-1班']}`],
		['li', `/posts/${p.id}`],
		['zhangP', `/posts/${p2.id}`],
		['admin1', `/posts/${p.id}`],
	]) {
		const r = await who[reader].get(url);
		assert.equal(r.status, 200, `${url}: ${r.text.slice(0, 300)}`);
		assert.ok(!r.text.includes(evil), `${url} holds the raw script`);
		assert.ok(r.text.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), `${url} shows it escaped`);
	}
});

test('pages: the feeds, a post and the composer render for each role', async () => {
	for (const reader of ['zhang', 'zhangP', 'wang', 'admin1', 'chenP', 'district']) {
		for (const url of ['/feeds/school', '/posts/new']) {
			const r = await who[reader].get(url);
			assert.equal(r.status, 200, `${reader} ${url}: ${r.text.slice(0, 500)}`);
			assert.ok(!/\}\}|\{\{|\{%/.test(r.text), `${reader} ${url}: no template text leaks`);
		}
	}
	const r = await who.zhang.get('/feeds/school');
	assert.match(r.text, /学校动态/);
	assert.match(r.text, /href="\/posts\/new"/);
	// a form post from the composer goes to the post's page
	const form = await who.zhang.request('POST', '/posts', {
		body: new URLSearchParams({ csrf_token: who.zhang.csrfToken, kind: 'mood', visibility: 'school', text: '表单发的' }).toString(),
		headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
	});
	assert.equal(form.status, 303, form.text);
	assert.match(form.headers.get('location'), /^\/posts\/\d+$/);
	// the tab 动态 for a parent, a student and a teacher
	for (const reader of ['zhangP', 'zhang', 'wang', 'admin1', 'district']) {
		const home = await who[reader].get('/');
		assert.match(home.text, /href="\/feeds\/school"/, `${reader}'s home leads to the feed`);
	}
	assert.match((await who.district.get('/feeds/school')).text, /全区动态/);
});

test('feed page cells (kept per post): a like, a comment, an edit, a new name and a removal show at once; languages never mix', async () => {
	const p = await post(who.zhang, { kind: 'mood', text: '缓存测试的帖子', visibility: 'school' });
	const cell = async (c, lang) => {
		const r = await c.get('/feeds/school', { headers: { 'Accept-Language': lang } });
		assert.equal(r.status, 200, r.text.slice(0, 300));
		const m = r.text.match(new RegExp(`<article class="feeds-post" aria-labelledby="post-${p.id}-who">[\\s\\S]*?</article>`));
		return m ? m[0] : null;
	};
	// rendered, then kept: the same bytes from the cache
	const first = await cell(who.li, 'zh-CN');
	assert.ok(first, 'the post is on the page');
	assert.equal(await cell(who.li, 'zh-CN'), first);
	assert.match(first, /赞 0 · 评论 0/);
	assert.match(first, /缓存测试的帖子/);
	// the other language: its own cell, and each stays in its own
	const en = await cell(who.li, 'en');
	assert.match(en, /0 likes · 0 comments/);
	assert.match(en, /Student/);
	assert.ok(!/[\u4e00-\u9fff]/.test(en.replace('缓存测试的帖子', '').replace(/张一鸣|张/g, '')), `no Chinese label in the English cell: ${en}`);
	assert.equal(await cell(who.li, 'zh-CN'), first);
	assert.ok(!/likes|Student/.test(first));
	// a like and a comment: on the next page, in both languages
	assert.equal((await who.zhangP.post(`/api/v1/posts/${p.id}/likes`, {})).status, 200);
	assert.match(await cell(who.li, 'zh-CN'), /赞 1 · 评论 0/);
	assert.equal((await who.li.post(`/api/v1/posts/${p.id}/comments`, { text: '好' })).status, 201);
	assert.match(await cell(who.li, 'zh-CN'), /赞 1 · 评论 1/);
	assert.match(await cell(who.li, 'en'), /1 likes · 1 comments/);
	// written by another process (the sqlite3 shell): the text and the
	// author's name, as an edit or a rename anywhere would change them
	sql(`UPDATE feeds_posts SET text = '改过的文字' WHERE id = ${p.id}`);
	let now = await cell(who.li, 'zh-CN');
	assert.match(now, /改过的文字/);
	assert.ok(!now.includes('缓存测试的帖子'));
	const author = sql(`SELECT author_person_id FROM feeds_posts WHERE id = ${p.id}`);
	const name = sql(`SELECT name FROM persons WHERE id = ${author}`);
	try {
		sql(`UPDATE persons SET name = '张改名' WHERE id = ${author}`);
		now = await cell(who.li, 'en');
		assert.match(now, /张改名/);
	} finally {
		sql(`UPDATE persons SET name = '${name}' WHERE id = ${author}`);
	}
	assert.match(await cell(who.li, 'zh-CN'), new RegExp(name));
	// removed by the school admin: gone from the feed at once
	assert.equal((await who.admin1.post(`/api/v1/posts/${p.id}/removal`, { reason: '测试' })).status, 200);
	assert.equal(await cell(who.li, 'zh-CN'), null);
	assert.equal(await cell(who.li, 'en'), null);
});

test('feed page bodies (kept per feed revision): a post created, liked, commented, removed or deleted shows at once for another reader of the kept page', async () => {
	const list = async (c, url = '/feeds/school') => {
		const r = await c.get(url, { headers: { 'Accept-Language': 'zh-CN' } });
		assert.equal(r.status, 200, r.text.slice(0, 300));
		const m = r.text.match(/<ul class="feeds-list">[\s\S]*?<\/ul>/);
		return m ? m[0] : '';
	};
	const cellOf = (html, id) => {
		const m = html.match(new RegExp(`<article class="feeds-post" aria-labelledby="post-${id}-who">[\\s\\S]*?</article>`));
		return m ? m[0] : null;
	};
	// one reader's page is kept; another reader gets the same body
	const before = await list(who.wang);
	assert.equal(await list(who.zhangP), before);
	assert.equal(await list(who.zhangP), before);
	// created: at once, at the top, for the other reader
	const p = await post(who.li, { kind: 'mood', text: '整页缓存的帖子', visibility: 'school' });
	let now = await list(who.zhangP);
	assert.ok(now.indexOf(`post-${p.id}-who`) > 0 && now.indexOf(`post-${p.id}-who`) < now.indexOf('</li>'), 'the new post is the first cell');
	assert.match(cellOf(now, p.id), /赞 0 · 评论 0/);
	assert.equal(await list(who.wang), now, 'one body for both readers');
	// liked and commented by others: the counts move on the kept page
	assert.equal((await who.wang.post(`/api/v1/posts/${p.id}/likes`, {})).status, 200);
	assert.match(cellOf(await list(who.zhangP), p.id), /赞 1 · 评论 0/);
	assert.equal((await who.admin1.post(`/api/v1/posts/${p.id}/comments`, { text: '不错' })).status, 201);
	assert.match(cellOf(await list(who.zhangP), p.id), /赞 1 · 评论 1/);
	assert.equal((await who.wang.del(`/api/v1/posts/${p.id}/likes`)).status, 200);
	assert.match(cellOf(await list(who.zhangP), p.id), /赞 0 · 评论 1/);
	// a rename through the API... none exists for a student; the sqlite3
	// shell's rename (no feed revision moves) must show all the same
	const name = sql(`SELECT name FROM persons WHERE id = ${p.author.id}`);
	try {
		sql(`UPDATE persons SET name = '李整页' WHERE id = ${p.author.id}`);
		assert.match(cellOf(await list(who.zhangP), p.id), /李整页/);
	} finally {
		sql(`UPDATE persons SET name = '${name}' WHERE id = ${p.author.id}`);
	}
	assert.ok(!cellOf(await list(who.zhangP), p.id).includes('李整页'));
	// removed by the school admin: gone for both readers at once
	assert.equal((await who.admin1.post(`/api/v1/posts/${p.id}/removal`, { reason: '整页测试' })).status, 200);
	assert.equal(cellOf(await list(who.zhangP), p.id), null);
	assert.equal(cellOf(await list(who.wang), p.id), null);
	// a class feed: a post, then deleted by its author
	const c11 = cls['1-1-1班'];
	assert.ok(c11, JSON.stringify(cls));
	await list(who.wang, `/feeds/class/${c11}`);
	const q = await post(who.zhang, { kind: 'mood', text: '班级整页缓存', visibility: 'class', class_id: c11 });
	assert.match(cellOf(await list(who.zhangP, `/feeds/class/${c11}`), q.id), /班级整页缓存/);
	assert.ok(cellOf(await list(who.wang, `/feeds/class/${c11}`), q.id));
	assert.equal((await who.zhang.del(`/api/v1/posts/${q.id}`)).status, 204);
	assert.equal(cellOf(await list(who.zhangP, `/feeds/class/${c11}`), q.id), null);
	assert.equal(cellOf(await list(who.wang, `/feeds/class/${c11}`), q.id), null);
});
