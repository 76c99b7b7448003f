// System test of the spaces part of issue 15 against the real binary
// serving the demo district (host/demo.c; see keyinfo_lib.mjs for who is
// who), with the feeds plugin and the `space_section` test plugin, which
// adds a section to learning and person spaces through spaces.v1 for
// students and parents:
// - spaces.v1: the section shows in the learning space to the roles it
//   lists and not to others, and goes when the district leaves the
//   plugin out (districts[code].modules);
// - the person, class, school and learning spaces: what each reader
//   sees, counts, 404 for a space the reader may not see;
// - class space management: the head teacher appoints a student class
//   administrator, who pins a class post; a teacher of the class who is
//   not its head may not (403); another school's admin gets 404;
// - visits counted per space and local day, with the host's clock
//   shifted a day, and published as feeds.space_visited (the test
//   plugin subscribes and shows the last payload);
// - campus activities: proposal, review (reject with a comment the
//   proposer sees, approve publishes a post in the school feed),
//   management (edit, close, remove);
// - content management: filters, removal with a reason the author sees,
//   the 举报 queue resolved kept and removed, the home item's count.
//
// The tests run in order on one server and build on one another.

import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, BUILD_DIR, SOURCE_DIR } from './harness.mjs';

const PW = 'Demo2026';
const STUDENT_PW = 'Xuesheng2026';
const ADMIN1 = '13800000002';
const ADMIN2 = '13800000005';
const WANG = '13800000003'; // head of 一年级1班
const CHEN = '13800000004'; // teaches 一年级1班 and heads 三年级1班; father of 陈小雨 (一年级2班), 陈小阳 (三年级1班)
const LIU = '13800000006'; // school 2
const ZHANG = '13900000001'; // father of 张一鸣 (一年级1班)

const ALL = ['sms', 'wechat', 'roster', 'notices', 'keyinfo', 'feeds', 'space_section'];

function settings(extra = {}) {
	return {
		plugin_dir: path.join(BUILD_DIR, 'plugins'),
		plugin_path: path.join(BUILD_DIR, 'test-plugins'),
		plugins: `{${ALL.map((p) => `"${p}"`).join(',')}}`,
		...extra,
	};
}

let server;
const c = {};
const ids = {};

async function login(who, password = PW) {
	const cl = server.client();
	const r = await cl.login(who, password);
	assert.equal(r.status, 200, `${who}: ${r.text}`);
	cl.me = r.json;
	return cl;
}

async function actAs(cl, pred) {
	const id = cl.me.identities.find(pred)?.id;
	assert.ok(id, JSON.stringify(cl.me.identities));
	const r = await cl.put('/api/v1/me/identity', { identity_id: id });
	assert.equal(r.status, 200, r.text);
}

// A student of the demo with a password of their own, logged in.
async function studentLogin(name) {
	const list = await c[ADMIN1].get('/api/v1/schools/1/students?limit=500');
	assert.equal(list.status, 200, list.text);
	const s = list.json.items.find((x) => x.name === name);
	assert.ok(s, name);
	const r = await c[ADMIN1].post(`/api/v1/accounts/${s.account.id}/password-reset`, {});
	assert.equal(r.status, 200, r.text);
	const cl = await login(r.json.login, r.json.initial_password);
	const p = await cl.put('/api/v1/me/password', { old_password: r.json.initial_password, new_password: STUDENT_PW });
	assert.equal(p.status, 204, p.text);
	const again = await login(r.json.login, STUDENT_PW);
	again.login = r.json.login;
	again.person = s.id;
	return again;
}

async function relogin() {
	for (const who of [ADMIN1, ADMIN2, WANG, CHEN, LIU, ZHANG])
		c[who] = await login(who);
	c.student = await login(c.studentLogin, STUDENT_PW);
	c.other = await login(c.otherLogin, STUDENT_PW);
	await actAs(c[CHEN], (i) => i.role === 'teacher');
}

async function upload(cl, name, bytes, type) {
	const form = new FormData();
	form.append('file', new Blob([bytes], { type }), name);
	const res = await fetch(`${server.url}/api/v1/files`, {
		method: 'POST',
		body: form,
		headers: { Cookie: cl.cookieHeader(), 'X-CSRF-Token': cl.csrfToken },
	});
	const text = await res.text();
	assert.equal(res.status, 201, text);
	return JSON.parse(text);
}

async function post(cl, body) {
	const r = await cl.post('/api/v1/posts', { kind: 'mood', ...body });
	assert.equal(r.status, 201, r.text);
	return r.json.id;
}

test.before(async () => {
	server = await startServer({ command: 'demo', init: false, set: settings() });
	c[ADMIN1] = await login(ADMIN1);
	const cls = await c[ADMIN1].get('/api/v1/schools/1/classes');
	assert.equal(cls.status, 200, cls.text);
	for (const k of cls.json)
		ids[k.full_name] = k.id;
	const yiming = await studentLogin('张一鸣');
	const sihan = await studentLogin('李思涵');
	c.studentLogin = yiming.login;
	c.otherLogin = sihan.login;
	ids.yiming = yiming.person;
	ids.sihan = sihan.person;
	const xiaoyang = (await c[ADMIN1].get('/api/v1/schools/1/students?limit=500')).json.items.find((x) => x.name === '陈小阳');
	ids.xiaoyang = xiaoyang.id;
	await relogin();
});

test.after(() => server?.stop());

test('spaces.v1: a section shows in the learning space to the roles it lists only', async () => {
	const url = `/api/v1/spaces/learning/${ids.yiming}`;
	for (const who of ['student', ZHANG]) {
		const r = await c[who].get(url);
		assert.equal(r.status, 200, `${who}: ${r.text}`);
		assert.equal(r.json.kind, 'learning');
		assert.equal(r.json.owner.name, '张一鸣');
		const s = r.json.sections.find((x) => x.code === 'test_section');
		assert.ok(s, `${who} sees the section: ${r.text}`);
		assert.equal(s.title, '首页', 'the title in the reader\'s language');
		assert.equal(s.total, 1);
		assert.deepEqual(s.items.map((i) => i.title), [`test item 4:${ids.yiming}`]);
	}
	// readers the section does not list: the class's teachers, the admin
	for (const who of [WANG, CHEN, ADMIN1]) {
		const r = await c[who].get(url);
		assert.equal(r.status, 200, `${who}: ${r.text}`);
		assert.ok(!r.json.sections.some((x) => x.code === 'test_section'), `${who}: ${r.text}`);
	}
	// not readers of this learning space at all: 404
	for (const who of [ADMIN2, LIU, 'other'])
		assert.equal((await c[who].get(url)).status, 404, who);
	// a parent acting for another child
	await actAs(c[CHEN], (i) => i.role === 'parent');
	assert.equal((await c[CHEN].get(url)).status, 404);
	await actAs(c[CHEN], (i) => i.role === 'teacher');
	// the page, in Chinese
	const page = await c.student.get(`/spaces/learning/${ids.yiming}`);
	assert.equal(page.status, 200);
	assert.match(page.text, /张一鸣的学习空间/);
	assert.match(page.text, /test item 4:/);
	// the section is in the person space too (its kinds), not the class's
	const person = await c.student.get(`/api/v1/spaces/person/${ids.yiming}`);
	assert.ok(person.json.sections.some((x) => x.code === 'test_section'));
	const klass = await c.student.get(`/api/v1/spaces/class/${ids['一年级1班']}`);
	assert.ok(!klass.json.sections.some((x) => x.code === 'test_section'));
});

test('person space: the posts the reader may see, with counts', async () => {
	const wangPerson = (await c[ADMIN1].get('/api/v1/schools/1/teachers?limit=500')).json.items.find((t) => t.name === '王芳').id;
	ids.wangPerson = wangPerson;
	ids.pub = await post(c[WANG], { text: '全区可见的动态', visibility: 'public' });
	ids.sch = await post(c[WANG], { text: '全校可见的动态', visibility: 'school' });
	ids.cls = await post(c[WANG], { text: '一年级1班的动态', visibility: 'class', class_id: ids['一年级1班'] });
	ids.prv = await post(c[WANG], { text: '只有自己', visibility: 'private' });
	const seen = async (who) => {
		const r = await c[who].get(`/api/v1/spaces/person/${wangPerson}`);
		assert.equal(r.status, 200, `${who}: ${r.text}`);
		return r;
	};
	let r = await seen(WANG);
	assert.deepEqual(r.json.posts.items.map((p) => p.id), [ids.prv, ids.cls, ids.sch, ids.pub]);
	assert.equal(r.json.counts.posts, 4);
	assert.equal(r.json.owner.is_me, true);
	r = await seen(ZHANG); // parent in the class
	assert.deepEqual(r.json.posts.items.map((p) => p.id), [ids.cls, ids.sch, ids.pub]);
	assert.equal(r.json.counts.posts, 3);
	r = await seen(CHEN); // teacher of the class
	assert.deepEqual(r.json.posts.items.map((p) => p.id), [ids.cls, ids.sch, ids.pub]);
	r = await seen(LIU); // another school of the district: public only
	assert.deepEqual(r.json.posts.items.map((p) => p.id), [ids.pub]);
	assert.equal(r.json.counts.posts, 1);
	r = await seen(ADMIN1); // the school admin: never private
	assert.deepEqual(r.json.posts.items.map((p) => p.id), [ids.cls, ids.sch, ids.pub]);
	// paging: one at a time, no repeats
	const p1 = await c[WANG].get(`/api/v1/spaces/person/${wangPerson}?limit=2`);
	assert.equal(p1.json.posts.items.length, 2);
	const p2 = await c[WANG].get(`/api/v1/spaces/person/${wangPerson}?limit=2&cursor=${p1.json.posts.next_cursor}`);
	assert.deepEqual([...p1.json.posts.items, ...p2.json.posts.items].map((p) => p.id), [ids.prv, ids.cls, ids.sch, ids.pub]);
	assert.equal(p2.json.posts.next_cursor, null);
	// no such person
	assert.equal((await c[WANG].get('/api/v1/spaces/person/999999')).status, 404);
	// the page escapes what it shows
	const x = await post(c[WANG], { text: '<script>alert(1)</script>', visibility: 'school' });
	const page = await c[ZHANG].get(`/spaces/person/${wangPerson}`);
	assert.equal(page.status, 200);
	assert.ok(!page.text.includes('<script>alert(1)</script>'));
	assert.match(page.text, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
	assert.equal((await c[WANG].del(`/api/v1/posts/${x}`)).status, 204);
});

test('class space: members, management by the head teacher and a class administrator', async () => {
	const cid = ids['一年级1班'];
	const url = `/api/v1/spaces/class/${cid}`;
	let r = await c[WANG].get(url);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.owner.name, '一年级1班');
	assert.equal(r.json.can_manage, true);
	assert.deepEqual(r.json.members.students.map((s) => s.name).sort(), ['张一鸣', '李思涵', '王子轩'].sort());
	assert.ok(r.json.members.teachers.some((t) => t.name === '王芳' && t.head === 1));
	assert.ok(r.json.members.teachers.some((t) => t.name === '陈刚'));
	assert.ok(r.json.members.parents.some((p) => p.name === '张伟'));
	assert.equal(r.json.counts.students, 3);
	assert.deepEqual(r.json.posts.items.map((p) => p.id), [ids.cls]);
	// students do not see the parents
	r = await c.student.get(url);
	assert.equal(r.status, 200);
	assert.equal(r.json.members.parents, undefined);
	assert.equal(r.json.can_manage, false);
	// another school's admin, another class's parent: 404
	assert.equal((await c[ADMIN2].get(url)).status, 404);
	assert.equal((await c[ADMIN2].patch(url, { intro: 'x' })).status, 404);
	await actAs(c[CHEN], (i) => i.role === 'parent' && i.class_id === ids['一年级2班']);
	assert.equal((await c[CHEN].get(url)).status, 404);
	await actAs(c[CHEN], (i) => i.role === 'teacher');
	// a teacher of the class who is not its head: sees, may not manage
	r = await c[CHEN].get(url);
	assert.equal(r.status, 200);
	assert.equal(r.json.can_manage, false);
	assert.equal((await c[CHEN].patch(url, { intro: '陈老师改的' })).status, 403);
	assert.equal((await c[CHEN].put(`/api/v1/classes/${cid}/space/admins/${ids.yiming}`)).status, 403);
	// the student is no administrator yet
	assert.equal((await c.student.patch(url, { pinned_post_id: ids.cls })).status, 403);
	// the head teacher edits the intro and appoints the student
	r = await c[WANG].patch(url, { intro: '我们是一年级1班' });
	assert.equal(r.status, 200, r.text);
	r = await c[WANG].put(`/api/v1/classes/${cid}/space/admins/${ids.xiaoyang}`);
	assert.equal(r.status, 422, 'a student of another class');
	assert.equal(r.json.errors[0].field, 'person_id');
	r = await c[WANG].put(`/api/v1/classes/${cid}/space/admins/${ids.yiming}`);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.role, 'student');
	// the class administrator pins the class post
	r = await c.student.patch(url, { pinned_post_id: ids.cls });
	assert.equal(r.status, 200, r.text);
	r = await c[ZHANG].get(url);
	assert.equal(r.json.intro, '我们是一年级1班');
	assert.equal(r.json.pinned_post.id, ids.cls);
	assert.deepEqual(r.json.admins.map((a) => [a.name, a.role]), [['张一鸣', 'student']]);
	// only a post of the class can be pinned
	r = await c.student.patch(url, { pinned_post_id: ids.sch });
	assert.equal(r.status, 422);
	assert.equal(r.json.errors[0].field, 'pinned_post_id');
	// another student of the class is not an administrator
	assert.equal((await c.other.patch(url, { pinned_post_id: null })).status, 403);
	// unpin, revoke: the student can no longer manage
	assert.equal((await c.student.patch(url, { pinned_post_id: null })).status, 200);
	assert.equal((await c[ZHANG].get(url)).json.pinned_post, null);
	assert.equal((await c[WANG].del(`/api/v1/classes/${cid}/space/admins/${ids.yiming}`)).status, 204);
	assert.equal((await c[WANG].del(`/api/v1/classes/${cid}/space/admins/${ids.yiming}`)).status, 404);
	assert.equal((await c.student.patch(url, { intro: 'x' })).status, 403);
	// the page: the intro, the members, the head teacher's form
	const page = await c[WANG].get(`/spaces/class/${cid}`);
	assert.equal(page.status, 200);
	assert.match(page.text, /我们是一年级1班/);
	assert.match(page.text, new RegExp(`action="/spaces/class/${cid}"`));
	// the form posts like the API
	const form = new URLSearchParams({ csrf_token: c[WANG].csrfToken, intro: '表单改的简介', pinned_post_id: String(ids.cls) });
	r = await c[WANG].request('POST', `/spaces/class/${cid}`, {
		body: form.toString(),
		headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
	});
	assert.equal(r.status, 303, r.text);
	r = await c[ZHANG].get(url);
	assert.equal(r.json.intro, '表单改的简介');
	assert.equal(r.json.pinned_post.id, ids.cls);
});

test('school space: posts of the school, counts; 404 to another school', async () => {
	const r = await c[ZHANG].get('/api/v1/spaces/school/1');
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.owner.name, '岳麓区第一实验小学');
	assert.ok(r.json.counts.students >= 7);
	const got = r.json.posts.items.map((p) => p.id);
	assert.ok(got.includes(ids.sch) && got.includes(ids.pub));
	assert.ok(!got.includes(ids.cls) && !got.includes(ids.prv), 'class and private posts are not the school\'s feed');
	assert.equal((await c[ADMIN2].get('/api/v1/spaces/school/1')).status, 404);
	assert.equal((await c[LIU].get('/api/v1/spaces/school/1')).status, 404);
});

test('visits are counted per space and local day', async () => {
	const url = `/api/v1/spaces/class/${ids['一年级2班']}`;
	const a = await c[WANG].get(url);
	const b = await c[WANG].get(url);
	assert.equal(b.json.counts.visits_today, a.json.counts.visits_today + 1);
	assert.equal(b.json.counts.visits, a.json.counts.visits + 1);
	// a HEAD is no visit
	assert.equal((await c[WANG].request('HEAD', url)).status, 200);
	const b2 = await c[WANG].get(url);
	assert.equal(b2.json.counts.visits_today, b.json.counts.visits_today + 1);
	const before = b2.json.counts.visits;
	await server.restart({ set: settings({ 'testing.clock_offset_seconds': 86400 }) });
	await relogin();
	const d = await c[WANG].get(url);
	assert.equal(d.json.counts.visits_today, 1, 'a new day');
	assert.equal(d.json.counts.visits, before + 1);
	// the event statistics will subscribe to, seen by the test plugin
	const ev = await server.request('GET', '/api/v1/test/space_section/visits');
	assert.equal(ev.status, 200, ev.text);
	const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' })
		.format(new Date(Date.now() + 86400 * 1000)).replace(/-/g, '');
	assert.deepEqual(ev.json.last, {
		kind: 'class', space_id: ids['一年级2班'], day: Number(day),
		person_id: ids.wangPerson,
	});
	assert.equal(ev.json.count, 1, 'one event per visit since the restart');
});

test('campus activities: propose, review, publish, manage', async () => {
	// a student proposes; nobody else but the admin sees it yet
	let r = await c.student.post('/api/v1/activities', {
		title: '春季运动会', starts_at: '2027-04-01T08:00', ends_at: '2027-04-01T12:00', place: '操场', description: '全校参加',
	});
	assert.equal(r.status, 201, r.text);
	assert.equal(r.json.status, 'proposed');
	assert.equal(r.json.proposer.name, '张一鸣');
	assert.match(r.json.starts_at, /^2027-04-01T08:00:00\+08:00$/);
	const a1 = r.json.id;
	assert.equal((await c[ZHANG].get(`/api/v1/activities/${a1}`)).status, 404);
	assert.equal((await c[CHEN].get(`/api/v1/activities/${a1}`)).status, 404);
	assert.equal((await c[ADMIN2].get(`/api/v1/activities/${a1}`)).status, 404);
	// bad input: 422 naming the field
	r = await c.student.post('/api/v1/activities', { title: '', starts_at: 'tomorrow' });
	assert.equal(r.status, 422);
	assert.ok(r.json.errors.some((e) => e.field === 'title'), r.text);
	r = await c.student.post('/api/v1/activities', { title: '倒着的', starts_at: '2027-04-01T08:00', ends_at: '2027-03-01T08:00' });
	assert.equal(r.status, 422);
	assert.ok(r.json.errors.some((e) => e.field === 'ends_at'), r.text);
	// the feeds' privacy rule: no phone or ID numbers in what becomes a post
	r = await c.student.post('/api/v1/activities', { title: '联系我', starts_at: '2027-04-01T08:00', description: '电话13912345678' });
	assert.equal(r.status, 422, r.text);
	assert.deepEqual(r.json.errors.map((e) => e.field), ['description']);
	// parents do not propose
	assert.equal((await c[ZHANG].post('/api/v1/activities', { title: 'x', starts_at: '2027-04-01T08:00' })).status, 403);
	// the admin's queue
	r = await c[ADMIN1].get('/api/v1/activities?status=proposed');
	assert.ok(r.json.items.some((a) => a.id === a1), r.text);
	// only the school admin reviews
	assert.equal((await c.student.post(`/api/v1/activities/${a1}/review`, { decision: 'approve' })).status, 403);
	assert.equal((await c[ADMIN2].post(`/api/v1/activities/${a1}/review`, { decision: 'approve' })).status, 404);
	// a rejection needs a comment, which the proposer sees
	r = await c[ADMIN1].post(`/api/v1/activities/${a1}/review`, { decision: 'reject' });
	assert.equal(r.status, 422);
	assert.equal(r.json.errors[0].field, 'comment');
	r = await c[ADMIN1].post(`/api/v1/activities/${a1}/review`, { decision: 'reject', comment: '时间和期中考试冲突' });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.status, 'rejected');
	r = await c.student.get(`/api/v1/activities/${a1}`);
	assert.equal(r.json.status, 'rejected');
	assert.equal(r.json.review_comment, '时间和期中考试冲突');
	assert.equal((await c[ADMIN1].post(`/api/v1/activities/${a1}/review`, { decision: 'approve' })).status, 409);

	// a teacher proposes, the admin approves: a post in the school feed
	r = await c[CHEN].post('/api/v1/activities', { title: '读书节', starts_at: '2027-05-01T09:00', place: '图书馆' });
	assert.equal(r.status, 201, r.text);
	const a2 = r.json.id;
	r = await c[ADMIN1].post(`/api/v1/activities/${a2}/review`, { decision: 'approve' });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.status, 'published');
	assert.ok(r.json.post_id > 0);
	ids.actPost = r.json.post_id;
	const feed = await c[ZHANG].get('/api/v1/feeds/school');
	assert.equal(feed.status, 200, feed.text);
	const p = feed.json.items.find((x) => x.id === ids.actPost);
	assert.ok(p, feed.text);
	assert.equal(p.visibility, 'school');
	assert.match(p.text, /读书节/);
	// visible to the school now, not to another school
	assert.equal((await c[ZHANG].get(`/api/v1/activities/${a2}`)).status, 200);
	assert.equal((await c[LIU].get(`/api/v1/activities/${a2}`)).status, 404);
	r = await c[ZHANG].get('/api/v1/activities');
	assert.deepEqual(r.json.items.map((a) => a.id), [a2], 'parents see the published only');
	r = await c[ZHANG].get('/api/v1/spaces/school/1');
	assert.ok(r.json.activities.some((a) => a.id === a2));
	// management: edit (the post follows), close, remove
	assert.equal((await c[CHEN].patch(`/api/v1/activities/${a2}`, { title: '改' })).status, 403);
	r = await c[ADMIN1].patch(`/api/v1/activities/${a2}`, { title: '读书节（改期）', starts_at: '2027-05-08T09:00' });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.title, '读书节（改期）');
	r = await c[ZHANG].get(`/api/v1/posts/${ids.actPost}`);
	assert.match(r.json.text, /读书节（改期）/);
	assert.equal((await c[ADMIN1].post(`/api/v1/activities/${a2}/close`, {})).status, 200);
	assert.equal((await c[ADMIN1].post(`/api/v1/activities/${a2}/close`, {})).status, 409);
	assert.equal((await c[ZHANG].get(`/api/v1/activities/${a2}`)).json.status, 'closed');
	assert.equal((await c[ADMIN1].del(`/api/v1/activities/${a2}`)).status, 204);
	assert.equal((await c[ZHANG].get(`/api/v1/activities/${a2}`)).status, 404);
	assert.equal((await c[ZHANG].get(`/api/v1/posts/${ids.actPost}`)).status, 404);
	// photos: the proposer's upload goes with the proposal; seen by the
	// proposer and the admin, by the school once published (on the post
	// too), never by another school
	const jpeg = fs.readFileSync(path.join(SOURCE_DIR, 'tests', 'fixtures', 'sideways-gps.jpg'));
	const f = await upload(c.student, '合唱.jpg', jpeg, 'image/jpeg');
	r = await c.student.post('/api/v1/activities', { title: '合唱比赛', starts_at: '2027-06-01T14:00', file_ids: [f.id] });
	assert.equal(r.status, 201, r.text);
	assert.deepEqual(r.json.file_ids, [f.id]);
	const a3 = r.json.id;
	const file = async (who) => (await c[who].get(`/api/v1/files/${f.id}`)).status;
	assert.equal(await file('student'), 200);
	assert.equal(await file(ADMIN1), 200);
	assert.equal(await file(ZHANG), 404, 'not published yet');
	assert.equal(await file(LIU), 404);
	// someone else's photo cannot be put on a proposal
	r = await c.other.post('/api/v1/activities', { title: '借图', starts_at: '2027-06-01T14:00', file_ids: [f.id] });
	assert.equal(r.status, 404, r.text);
	r = await c[ADMIN1].post(`/api/v1/activities/${a3}/review`, { decision: 'approve' });
	assert.equal(r.status, 200, r.text);
	assert.equal(await file(ZHANG), 200, 'published to the school');
	assert.equal(await file(LIU), 404);
	r = await c[ZHANG].get(`/api/v1/posts/${r.json.post_id}`);
	assert.deepEqual(r.json.files.map((x) => x.id), [f.id], 'the post shows the photo');
	// the pages
	assert.equal((await c.student.get('/activities')).status, 200);
	assert.match((await c.student.get('/activities/new')).text, /name="starts_at"/);
	assert.match((await c[ADMIN1].get(`/activities/${a1}`)).text, /时间和期中考试冲突/);
});

test('content management: filters, removal with a reason, the report queue', async () => {
	const parentPost = await post(c[ZHANG], { text: '家长发的动态', visibility: 'school' });
	const studentPost = await post(c.student, { text: '学生发的班级动态', visibility: 'class', class_id: ids['一年级1班'] });
	const privatePost = await post(c[ZHANG], { text: '家长的私密动态', visibility: 'private' });
	const list = async (q) => {
		const r = await c[ADMIN1].get(`/api/v1/manage/content${q}`);
		assert.equal(r.status, 200, r.text);
		return r.json.items.map((i) => i.id);
	};
	let got = await list('?kind=post');
	assert.ok(got.includes(parentPost) && got.includes(studentPost));
	assert.ok(!got.includes(privatePost), 'never a private post');
	got = await list('?kind=post&author_role=parent');
	assert.ok(got.includes(parentPost) && !got.includes(studentPost));
	got = await list(`?kind=post&class_id=${ids['一年级1班']}`);
	assert.ok(got.includes(studentPost) && !got.includes(parentPost));
	assert.deepEqual(await list('?kind=post&from=2030-01-01'), []);
	assert.deepEqual(await list('?kind=post&flagged=1'), []);
	const bad = await c[ADMIN1].get('/api/v1/manage/content?from=yesterday');
	assert.equal(bad.status, 422);
	assert.equal(bad.json.errors[0].field, 'from');
	// teachers and other schools' admins do not manage
	assert.equal((await c[WANG].get('/api/v1/manage/content')).status, 403);
	assert.equal((await c[ADMIN2].post(`/api/v1/manage/content/post/${parentPost}/removal`, { reason: 'x' })).status, 404);

	// a report: flagged, counted on the admin's home
	let r = await c[WANG].post(`/api/v1/posts/${parentPost}/reports`, { reason: '广告' });
	assert.equal(r.status, 201, r.text);
	const report1 = r.json.id;
	r = await c.other.post(`/api/v1/posts/${parentPost}/reports`, { reason: '无关内容' });
	assert.equal(r.status, 201, r.text);
	got = await list('?kind=post&flagged=1');
	assert.deepEqual(got, [parentPost]);
	let home = await c[ADMIN1].get('/api/v1/home');
	let item = home.json.items.find((i) => i.href === '/manage/reports');
	assert.equal(item?.count, 2, JSON.stringify(home.json.items));
	r = await c[ADMIN1].get('/api/v1/manage/reports');
	assert.equal(r.json.items.length, 1);
	assert.equal(r.json.items[0].reports, 2);
	assert.equal(r.json.items[0].post_id, parentPost);
	assert.equal(r.json.items[0].reason, '无关内容');
	// kept: the reports close, the post stays
	assert.equal((await c[ADMIN2].post(`/api/v1/reports/${report1}/resolution`, { outcome: 'kept' })).status, 404);
	r = await c[ADMIN1].post(`/api/v1/reports/${report1}/resolution`, { outcome: 'maybe' });
	assert.equal(r.status, 422);
	r = await c[ADMIN1].post(`/api/v1/reports/${report1}/resolution`, { outcome: 'kept' });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.resolved, 2);
	assert.equal((await c[ADMIN1].post(`/api/v1/reports/${report1}/resolution`, { outcome: 'kept' })).status, 409);
	assert.deepEqual(await list('?kind=post&flagged=1'), []);
	assert.equal((await c[ZHANG].get(`/api/v1/posts/${parentPost}`)).json.status, 'live');
	home = await c[ADMIN1].get('/api/v1/home');
	item = home.json.items.find((i) => i.href === '/manage/reports');
	assert.equal(item?.count, 0);
	// removed through a report: the author sees the reason in their space
	r = await c[CHEN].post(`/api/v1/posts/${studentPost}/reports`, { reason: '含有同学的照片' });
	assert.equal(r.status, 201, r.text);
	r = await c[ADMIN1].post(`/api/v1/reports/${r.json.id}/resolution`, { outcome: 'removed', reason: '保护同学隐私' });
	assert.equal(r.status, 200, r.text);
	r = await c.student.get(`/api/v1/spaces/person/${ids.yiming}`);
	let mine = r.json.posts.items.find((p) => p.id === studentPost);
	assert.equal(mine?.status, 'removed', r.text);
	assert.equal(mine.removed_reason, '保护同学隐私');
	assert.ok(!(await c[WANG].get(`/api/v1/spaces/person/${ids.yiming}`)).json.posts.items.some((p) => p.id === studentPost));
	// removal from content management, with a reason
	r = await c[ADMIN1].post(`/api/v1/manage/content/post/${parentPost}/removal`, {});
	assert.equal(r.status, 422, 'a reason is needed');
	assert.equal(r.json.errors[0].field, 'reason');
	r = await c[ADMIN1].post(`/api/v1/manage/content/post/${parentPost}/removal`, { reason: '与学校无关' });
	assert.equal(r.status, 200, r.text);
	r = await c[ZHANG].get(`/api/v1/posts/${parentPost}`);
	assert.equal(r.json.status, 'removed');
	assert.equal(r.json.removed_reason, '与学校无关');
	assert.equal((await c[ADMIN1].post(`/api/v1/manage/content/post/${parentPost}/removal`, { reason: '再删' })).status, 404);
	// comments: listed and removable
	r = await c[ZHANG].post(`/api/v1/posts/${ids.sch}/comments`, { text: '家长的评论' });
	assert.equal(r.status, 201, r.text);
	const comment = r.json.id;
	r = await c[ADMIN1].get('/api/v1/manage/content?kind=comment&author_role=parent');
	assert.ok(r.json.items.some((x) => x.id === comment && x.post_id === ids.sch), r.text);
	r = await c[ADMIN1].post(`/api/v1/manage/content/comment/${comment}/removal`, { reason: '不文明用语' });
	assert.equal(r.status, 200, r.text);
	r = await c[ADMIN1].get('/api/v1/manage/content?kind=comment');
	assert.equal(r.json.items.find((x) => x.id === comment)?.status, 'removed');
	// activities are listed too
	r = await c[ADMIN1].get('/api/v1/manage/content?kind=activity');
	assert.ok(r.json.items.length >= 1, r.text);
	// the pages
	const page = await c[ADMIN1].get('/manage/content?kind=post');
	assert.equal(page.status, 200);
	assert.match(page.text, /内容管理/);
	assert.equal((await c[ADMIN1].get('/manage/reports')).status, 200);
});

test('a district that leaves the section\'s plugin out loses the section', async () => {
	await server.restart({
		set: settings({ 'testing.clock_offset_seconds': 86400, 'districts.430104.modules': ['roster', 'notices', 'keyinfo', 'feeds'] }),
	});
	await relogin();
	const r = await c.student.get(`/api/v1/spaces/learning/${ids.yiming}`);
	assert.equal(r.status, 200, r.text);
	assert.ok(!r.json.sections.some((x) => x.code === 'test_section'), r.text);
	// the spaces themselves stay
	assert.equal((await c.student.get(`/api/v1/spaces/class/${ids['一年级1班']}`)).status, 200);
});
