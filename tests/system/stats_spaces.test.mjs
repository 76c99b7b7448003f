// System test of the space statistics and search (空间统计/查询, issue 19;
// GET /api/v1/stats/spaces and the page /stats/spaces) against the real
// binary serving the demo district (keyinfo_lib.mjs says who is who),
// with feeds, records and the stats plugin:
// - known activity: visits to a class, a person's and the school's space
//   (feeds.space_visited), posts to a class and to the school
//   (feeds.post_created), a growth record of a student (records.created);
//   the numbers per class, school and person are exact (taken against a
//   snapshot before, so whatever the demo left counts for nothing);
// - the range: a day without activity shows zeros, to < from is 422;
// - search by name: a class by the name the school uses (一年级1班), a
//   person, a school; LIKE's own characters are literal;
// - scope: a school admin sees the school's spaces only, a teacher the
//   classes taught and their families (not the school, not another
//   class's student), a district admin the district (people by name
//   only), a parent 403;
// - bad input: kind, q, limit, from and to named in problem+json;
// - the page shows the same numbers, in Chinese.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, BUILD_DIR } from './harness.mjs';
import { loginAs } from './records_lib.mjs';

const DISTRICT_ADMIN = '13800000001';
const ADMIN1 = '13800000002';
const ADMIN2 = '13800000005';
const WANG = '13800000003'; // head of 一年级1班, teaches 一年级1班 and 2班
const ZHANG = '13900000001'; // father of 张一鸣 (一年级1班)

let server;
const c = {};
const ids = {};

function settings() {
	return {
		plugin_dir: path.join(BUILD_DIR, 'plugins'),
		plugin_path: [path.join(BUILD_DIR, 'test-plugins')],
		plugins: ['roster', 'notices', 'keyinfo', 'feeds', 'records', 'rectest', 'stats'],
	};
}

const today = () => {
	// the server's local day (Asia/Shanghai, the demo's zone)
	const d = new Date(Date.now() + 8 * 3600 * 1000);
	return d.toISOString().slice(0, 10);
};

async function spaces(who, query = {}) {
	const qs = new URLSearchParams({ from: today(), to: today(), ...query });
	const r = await c[who].get(`/api/v1/stats/spaces?${qs}`);
	assert.equal(r.status, 200, `${who} ${qs}: ${r.text}`);
	return r.json;
}

const find = (list, name) => list.items.find((x) => x.name === name);
const nums = (x) => x ? { visits: x.visits, posts: x.posts, records: x.records } : null;
const plus = (a, b) => ({ visits: a.visits + b.visits, posts: a.posts + b.posts, records: a.records + b.records });

test.before(async () => {
	server = await startServer({ command: 'demo', init: false, set: settings() });
	for (const who of [DISTRICT_ADMIN, ADMIN1, ADMIN2, WANG, ZHANG])
		c[who] = await loginAs(server, who);
	const cls = await c[ADMIN1].get('/api/v1/schools/1/classes');
	assert.equal(cls.status, 200, cls.text);
	for (const k of cls.json)
		ids[k.full_name] = k.id;
	const st = await c[ADMIN1].get('/api/v1/schools/1/students?limit=500');
	for (const s of st.json.items)
		ids[s.name] = s.id;
	const te = await c[ADMIN1].get('/api/v1/schools/1/teachers?limit=500');
	ids.wang = te.json.items.find((t) => t.name === '王芳').id;
});

test.after(() => server?.stop());

test('known activity gives exact numbers per class, school and person', async () => {
	const before = {
		c1: nums(find(await spaces(ADMIN1, { kind: 'class', q: '一年级1班' }), '一年级1班')),
		c2: nums(find(await spaces(ADMIN1, { kind: 'class', q: '一年级2班' }), '一年级2班')),
		school: nums((await spaces(ADMIN1, { kind: 'school' })).items[0]),
		wang: nums(find(await spaces(ADMIN1, { kind: 'person', q: '王芳' }), '王芳')),
		yiming: nums(find(await spaces(ADMIN1, { kind: 'person', q: '张一鸣' }), '张一鸣')),
		totals: (await spaces(ADMIN1, { kind: 'class' })).totals,
	};
	for (const [k, v] of Object.entries(before))
		assert.ok(v, `${k} is listed before: ${JSON.stringify(before)}`);

	// three visits to 一年级1班's space, one to 王芳's, two to the school's
	for (const who of [ZHANG, ZHANG, WANG])
		assert.equal((await c[who].get(`/api/v1/spaces/class/${ids['一年级1班']}`)).status, 200);
	assert.equal((await c[ZHANG].get(`/api/v1/spaces/person/${ids.wang}`)).status, 200);
	for (const who of [WANG, ADMIN1])
		assert.equal((await c[who].get('/api/v1/spaces/school/1')).status, 200);
	// 王芳 posts to 一年级1班 (class) and to the school
	let r = await c[WANG].post('/api/v1/posts', { kind: 'mood', text: '班级动态', visibility: 'class', class_id: ids['一年级1班'] });
	assert.equal(r.status, 201, r.text);
	r = await c[WANG].post('/api/v1/posts', { kind: 'mood', text: '学校动态', visibility: 'school' });
	assert.equal(r.status, 201, r.text);
	// a growth record of 张一鸣, by his head teacher
	r = await c[WANG].post(`/api/v1/students/${ids['张一鸣']}/records`, {
		type: 'rectest', title: '社区义务劳动',
		fields: { place: '幸福社区', hours: 2.5, level: '区级', day: '2026-11-20', witness: '13700000000' },
	});
	assert.equal(r.status, 201, r.text);

	const c1 = find(await spaces(ADMIN1, { kind: 'class', q: '一年级1班' }), '一年级1班');
	assert.deepEqual(nums(c1), plus(before.c1, { visits: 3, posts: 1, records: 1 }));
	assert.equal(c1.href, `/spaces/class/${ids['一年级1班']}`);
	assert.equal(c1.detail, '岳麓区第一实验小学');
	assert.deepEqual(nums(find(await spaces(ADMIN1, { kind: 'class', q: '一年级2班' }), '一年级2班')), before.c2);
	const school = (await spaces(ADMIN1, { kind: 'school' })).items;
	assert.deepEqual(school.map((x) => x.name), ['岳麓区第一实验小学'], 'a school admin: the school only');
	assert.deepEqual(nums(school[0]), plus(before.school, { visits: 2, posts: 1, records: 1 }));
	const wang = find(await spaces(ADMIN1, { kind: 'person', q: '王芳' }), '王芳');
	assert.deepEqual(nums(wang), plus(before.wang, { visits: 1, posts: 2, records: 0 }));
	assert.equal(wang.person_role, 'teacher');
	assert.equal(wang.href, `/spaces/person/${ids.wang}`);
	// a student's record counts in their (learning) space
	const yiming = find(await spaces(ADMIN1, { kind: 'person', q: '张一鸣' }), '张一鸣');
	assert.deepEqual(nums(yiming), plus(before.yiming, { visits: 0, posts: 0, records: 1 }));
	assert.equal(yiming.person_role, 'student');
	assert.equal(yiming.detail, '一年级1班');
	// the totals are the scope's, whatever the name
	const all = await spaces(ADMIN1, { kind: 'class' });
	assert.deepEqual(all.totals, plus(before.totals, { visits: 3, posts: 1, records: 1 }));
	assert.deepEqual((await spaces(ADMIN1, { kind: 'class', q: '三年级' })).totals, all.totals);
	// most visited first
	assert.equal(all.items[0].name, '一年级1班', JSON.stringify(all.items));

	// another day: nothing
	const quiet = await spaces(ADMIN1, { kind: 'class', from: '2026-01-05', to: '2026-01-11' });
	assert.ok(quiet.items.length >= 3);
	for (const x of quiet.items)
		assert.deepEqual(nums(x), { visits: 0, posts: 0, records: 0 }, x.name);
	assert.deepEqual(quiet.totals, { visits: 0, posts: 0, records: 0 });
	assert.equal(quiet.from, '2026-01-05');
	assert.equal(quiet.to, '2026-01-11');
});

test('search by name', async () => {
	let r = await spaces(ADMIN1, { kind: 'class', q: '一年级' });
	assert.deepEqual(r.items.map((x) => x.name).sort(), ['一年级1班', '一年级2班']);
	r = await spaces(ADMIN1, { kind: 'person', q: '陈' });
	for (const name of ['陈刚', '陈小雨', '陈小阳'])
		assert.ok(find(r, name), `${name}: ${JSON.stringify(r.items)}`);
	assert.ok(r.items.every((x) => x.name.includes('陈')));
	assert.equal(find(r, '陈刚').person_role, 'teacher');
	r = await spaces(ADMIN1, { kind: 'person', q: '张伟' });
	assert.equal(find(r, '张伟')?.person_role, 'parent', JSON.stringify(r));
	// LIKE's own characters are literal
	for (const q of ['%', '_', '\\'])
		assert.deepEqual((await spaces(ADMIN1, { kind: 'person', q })).items, [], q);
	r = await spaces(ADMIN1, { kind: 'school', q: '第一' });
	assert.equal(r.items.length, 1);
	r = await spaces(ADMIN1, { kind: 'person', q: '不存在的人' });
	assert.deepEqual(r.items, []);
	// limit: the first, and more says there are others
	r = await spaces(ADMIN1, { kind: 'person', limit: '2' });
	assert.equal(r.items.length, 2);
	assert.equal(r.more, true);
});

test('scope: school admin, teacher, district admin, parent', async () => {
	// the other school's admin: none of school 1's spaces
	let r = await spaces(ADMIN2, { kind: 'class' });
	assert.ok(!r.items.some((x) => x.id === ids['一年级1班']), JSON.stringify(r.items));
	r = await spaces(ADMIN2, { kind: 'person', q: '张一鸣' });
	assert.deepEqual(r.items, []);
	r = await spaces(ADMIN2, { kind: 'school' });
	assert.deepEqual(r.items.map((x) => x.name), ['岳麓区第二中学']);

	// the teacher: the classes taught or headed, their students and
	// parents, self (五年级9班: headed, not taught)
	const made = await c[ADMIN1].post('/api/v1/schools/1/classes', { grade: 5, name: '9班', head_teacher_id: ids.wang });
	assert.equal(made.status, 201, made.text);
	r = await spaces(WANG, { kind: 'class' });
	assert.deepEqual(r.items.map((x) => x.name).sort(), ['一年级1班', '一年级2班', '五年级9班']);
	assert.deepEqual((await spaces(WANG, { kind: 'school' })).items, []);
	assert.equal((await spaces(WANG, { kind: 'person', q: '张一鸣' })).items.length, 1);
	assert.equal((await spaces(WANG, { kind: 'person', q: '张伟' })).items.length, 1);
	assert.equal((await spaces(WANG, { kind: 'person', q: '王芳' })).items.length, 1);
	assert.deepEqual((await spaces(WANG, { kind: 'person', q: '陈小阳' })).items, [], 'not a class of hers');
	// 陈刚 is in her scope as the father of 陈小雨 (一年级2班)
	assert.equal((await spaces(WANG, { kind: 'person', q: '陈刚' })).items.length, 1);
	assert.deepEqual((await spaces(WANG, { kind: 'person', q: '刘洋' })).items, [], 'another school\'s teacher');

	// the district admin: both schools; people only by name
	r = await spaces(DISTRICT_ADMIN, { kind: 'school' });
	assert.deepEqual(r.items.map((x) => x.name).sort(), ['岳麓区第一实验小学', '岳麓区第二中学'].sort());
	r = await spaces(DISTRICT_ADMIN, { kind: 'person' });
	assert.equal(r.need_q, true);
	assert.deepEqual(r.items, []);
	r = await spaces(DISTRICT_ADMIN, { kind: 'person', q: '黄诗琪' });
	assert.equal(r.items.length, 1);
	assert.equal(r.items[0].detail, '八年级1班');
	assert.equal(r.kind, 'person');
	r = await spaces(DISTRICT_ADMIN, {});
	assert.equal(r.kind, 'school', 'a district admin starts with schools');

	// a parent: no statistics
	const p = await c[ZHANG].get('/api/v1/stats/spaces');
	assert.equal(p.status, 403, p.text);
	assert.equal((await server.request('GET', '/api/v1/stats/spaces')).status, 401);
});

test('bad input is named', async () => {
	for (const [q, field] of [
		['kind=room', 'kind'],
		[`q=${'名'.repeat(51)}`, 'q'],
		['limit=0', 'limit'],
		['limit=501', 'limit'],
		['limit=5x', 'limit'],
		['from=2026-13-01', 'from'],
		['from=2026-02-30', 'from'],
		['to=yesterday', 'to'],
		['from=2026-12-07&to=2026-12-01', 'to'],
		['from=2024-01-01&to=2026-12-01', 'from'],
	]) {
		const r = await c[ADMIN1].get(`/api/v1/stats/spaces?${encodeURI(q)}`);
		assert.equal(r.status, 422, `${q}: ${r.text}`);
		assert.match(r.headers.get('content-type'), /problem\+json/);
		assert.ok(r.json.errors.some((e) => e.field === field), `${q}: ${r.text}`);
	}
});

test('the page shows the same numbers, in Chinese', async () => {
	const api = await spaces(ADMIN1, { kind: 'class' });
	const qs = new URLSearchParams({ kind: 'class', from: today(), to: today() });
	const r = await c[ADMIN1].get(`/stats/spaces?${qs}`);
	assert.equal(r.status, 200, r.text);
	assert.match(r.headers.get('content-type'), /text\/html/);
	assert.match(r.text, /空间统计与查询/);
	const c1 = find(api, '一年级1班');
	assert.match(r.text, new RegExp(`<a href="/spaces/class/${c1.id}">一年级1班</a>`));
	assert.match(r.text, new RegExp(`data-label="访问量">${c1.visits}<`));
	// a hostile search is shown escaped, never as markup
	const x = await c[ADMIN1].get(`/stats/spaces?kind=person&q=${encodeURIComponent('<b>x</b>')}`);
	assert.equal(x.status, 200);
	assert.ok(!x.text.includes('<b>x</b>'));
	assert.match(x.text, /&lt;b&gt;x&lt;\/b&gt;/);
	// the parent: the page says no
	assert.equal((await c[ZHANG].get('/stats/spaces')).status, 403);
});
