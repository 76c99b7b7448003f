// System test of records_basic (the ten record types of the seed) and of
// the records pages (templates/records/, plugins/records/records_pages.c)
// against the real binary serving the demo district: every type listed
// with its fields, each type's required fields and limits answered with a
// 422 naming the field, 期终评语 only by the head teacher and once per
// term; then the pages of the flow: the type picker and the form built from
// a type's fields, my records with the draft, the record page with its
// thumbnail and buttons, the review queue, the portfolio, 公示, and who
// gets a 404.
//
// Demo school 1 (admin 13800000002): 一年级1班 (head 王芳 13800000003; 陈刚
// 13800000004 teaches it too). 张伟 13900000001 is the parent of 张一鸣.

import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, BUILD_DIR } from './harness.mjs';
import { ADMIN1, ADMIN2, WANG, CHEN, ZHANG, fieldsOf, loginAs, uploadPng } from './records_lib.mjs';


let server, kid, klass;
const c = {};

const login = (who) => loginAs(server, who);
const upload = (cl) => uploadPng(cl);
const post = (cl, body) => cl.post(`/api/v1/students/${kid}/records`, body);

test.before(async () => {
	server = await startServer({
		command: 'demo', init: false,
		set: {
			plugin_dir: path.join(BUILD_DIR, 'plugins'),
			plugins: ['roster', 'records', 'records_basic'],
		},
	});
	for (const who of [ADMIN1, ADMIN2, WANG, CHEN, ZHANG])
		c[who] = await login(who);
	const r = await c[ADMIN1].get(`/api/v1/schools/1/students?q=${encodeURIComponent('张一鸣')}`);
	assert.equal(r.status, 200, r.text);
	kid = r.json.items[0].id;
	klass = r.json.items[0].class_id;
});

test.after(async () => {
	await server?.stop();
});

test('the ten types of the seed, registered by records_basic', async () => {
	const r = await c[ZHANG].get('/api/v1/record-types');
	assert.equal(r.status, 200, r.text);
	const mine = r.json.filter((t) => t.plugin === 'records_basic');
	assert.deepEqual(mine.map((t) => t.name), ['成长记录', '自传材料', '个人作品', '荣誉记录', '读书笔记',
		'学习计划', '公益活动', '研究报告', '爱心服务', '期终评语']);
	const by = Object.fromEntries(mine.map((t) => [t.code, t]));
	assert.deepEqual(by.honor.fields.map((f) => [f.name, f.type, f.required]), [
		['award', 'text', true], ['level', 'choice', true], ['issuer', 'text', true],
		['date', 'date', true], ['certificate', 'files', false]]);
	assert.deepEqual(by.honor.fields[1].choices.map((x) => x.value), ['校级', '区级', '市级', '省级', '国家级']);
	for (const code of ['welfare', 'caring']) {
		assert.deepEqual(by[code].fields.map((f) => f.name), ['organiser', 'date', 'hours', 'content', 'witness', 'photos']);
		assert.equal(by[code].fields.find((f) => f.name === 'witness').private, true);
	}
	assert.deepEqual(by.reading.fields.map((f) => [f.name, f.required]), [['book', true], ['author', false], ['notes', true]]);
	assert.equal(by.works.fields.find((f) => f.name === 'files').required, true);
	assert.deepEqual(by.term_comment.creators, ['head_teacher']);
	assert.equal(by.term_comment.once_per_term, true);
	const en = await c[ZHANG].get('/api/v1/record-types', { headers: { 'Accept-Language': 'en' } });
	assert.equal(en.json.find((t) => t.code === 'honor').fields[1].choices[4].label, 'National');
});

test('required fields and limits per type: 422 naming the field', async () => {
	const p = c[ZHANG];
	const welfare = (f) => ({ type: 'welfare', title: '敬老院慰问',
		fields: { organiser: '居委会', date: '2026-11-28', hours: 3, ...f } });
	const cases = [
		[welfare({ organiser: '' }), ['organiser']],
		[welfare({ hours: 0 }), ['hours']], // the hook: above 0
		[welfare({ hours: 24.5 }), ['hours']],
		[welfare({ hours: -1 }), ['hours']],
		[welfare({ date: '2099-01-01' }), ['date']], // not in the future
		[welfare({ witness: 'x'.repeat(51) }), ['witness']],
		[{ ...welfare({}), type: 'caring', fields: { organiser: '社区', date: '2026-11-28' } }, ['hours']],
		[{ type: 'honor', title: '三好学生', fields: { award: '三好学生', level: '乡级', issuer: '区教育局', date: '2026-06-01' } }, ['level']],
		[{ type: 'honor', title: '三好学生', fields: { level: '区级', issuer: '区教育局', date: '2026-06-01' } }, ['award']],
		[{ type: 'works', title: '我的画', fields: { kind: '书画' } }, ['files']],
		[{ type: 'works', title: '我的画', fields: { kind: '雕塑', files: [] } }, ['kind', 'files']],
		[{ type: 'reading', title: '读《城南旧事》', fields: { author: '林海音' } }, ['book', 'notes']],
		[{ type: 'growth', title: '第一次做饭', fields: { content: '炒鸡蛋' } }, ['date']],
	];
	for (const [body, expect] of cases) {
		const r = await post(p, body);
		assert.equal(r.status, 422, `${JSON.stringify(body)}: ${r.text}`);
		assert.deepEqual(fieldsOf(r).sort(), expect.sort(), JSON.stringify(body));
		if (expect[0] === 'hours' && body.fields.hours !== undefined)
			assert.match(r.json.errors[0].message, /小时|之间/);
	}
	// English messages for the hook's refusals
	const r = await p.post(`/api/v1/students/${kid}/records`, welfare({ hours: 0 }), { headers: { 'Accept-Language': 'en' } });
	assert.equal(r.status, 422);
	assert.deepEqual(r.json.errors, [{ field: 'hours', message: 'Hours must be above 0 and at most 24' }]);
	assert.equal((await p.get(`/api/v1/students/${kid}/records`)).json.items.length, 0, 'nothing stored');
});

test('期终评语: the head teacher only, once per term', async () => {
	const body = { type: 'term_comment', title: '期终评语', fields: { comment: '学习认真，乐于助人。' } };
	assert.equal((await post(c[ZHANG], body)).status, 403); // a parent
	assert.equal((await post(c[CHEN], body)).status, 403); // teaches the class, does not head it
	assert.equal((await post(c[ADMIN1], body)).status, 403); // not in the creators either
	assert.equal((await post(c[ADMIN2], body)).status, 404); // another school
	let r = await post(c[WANG], body);
	assert.equal(r.status, 201, r.text);
	assert.equal(r.json.status, 'approved', 'staff records are approved at once');
	r = await post(c[WANG], body);
	assert.equal(r.status, 409, r.text);
	assert.deepEqual(fieldsOf(r), ['type']);
	// another term is another comment
	r = await post(c[WANG], { ...body, term: '2025-2026-2' });
	assert.ok([201, 422].includes(r.status), r.text); // 422 only when the rule closed that term
});

let draft;

test('pages: the type picker and the form generated from the fields', async () => {
	let r = await c[ZHANG].get('/records/new');
	assert.equal(r.status, 200, r.text.slice(0, 300));
	assert.match(r.text, /href="\/records\/new\?type=welfare"/);
	assert.match(r.text, /公益活动/);
	assert.doesNotMatch(r.text, /type=term_comment/, 'a parent is not offered 期终评语');
	r = await c[WANG].get(`/records/new?student=${kid}`);
	assert.match(r.text, new RegExp(`href="/records/new\\?type=term_comment&amp;student=${kid}"`));
	r = await c[ZHANG].get('/records/new?type=welfare');
	assert.equal(r.status, 200);
	assert.match(r.text, /<h1 id="new-title">添加公益活动<\/h1>/);
	assert.match(r.text, new RegExp(`data-api="/api/v1/students/${kid}/records"`));
	assert.match(r.text, /data-jx-upload="files:photos"/);
	assert.match(r.text, /<input id="f-hours" name="hours" type="number" inputmode="decimal" step="0.5" min="0" max="24" data-field required>/);
	assert.match(r.text, /<label for="f-witness">证明人 <span class="records-private">不公示<\/span><\/label>/);
	assert.match(r.text, /<input id="f-photos" type="file" name="file" multiple accept="image\/\*/);
	for (const id of ['row-title', 'row-organiser', 'row-date', 'row-hours', 'row-content', 'row-witness', 'row-photos'])
		assert.match(r.text, new RegExp(`id="${id}"`));
	assert.match(r.text, /src="\/static\/records.js"/);
	r = await c[ZHANG].get('/records/new?type=welfare', { headers: { 'Accept-Language': 'en' } });
	assert.match(r.text, /<label for="f-organiser">Organised by/);
	assert.doesNotMatch(r.text, /[\u4e00-\u9fff]{2,}.*required/);
	// another family's child, another school's admin
	assert.equal((await c[ZHANG].get(`/records/new?student=${kid + 1000}`)).status, 404);
	assert.equal((await c[ADMIN2].get(`/records/new?student=${kid}`)).status, 404);
});

test('pages: my records, a record, the queue, the portfolio', async () => {
	const photo = await upload(c[ZHANG]);
	let r = await post(c[ZHANG], { type: 'welfare', title: '敬老院慰问', term: '2026-2027-1',
		fields: { organiser: '居委会', date: '2026-11-28', hours: 3, witness: '王阿姨 13700000000', photos: [photo] } });
	assert.equal(r.status, 201, r.text);
	draft = r.json;
	assert.equal(draft.summary, '居委会 · 3h');

	r = await c[ZHANG].get('/records');
	assert.equal(r.status, 200);
	assert.match(r.text, new RegExp(`href="/records/${draft.id}"`));
	assert.match(r.text, /<span class="jx-tag records-status is-draft">草稿<\/span> 敬老院慰问/);
	assert.match(r.text, /2026-2027学年第一学期/);
	assert.match(r.text, new RegExp(`href="/classes/${klass}/publicity">[^]*?班级公示`));

	r = await c[ZHANG].get(`/records/${draft.id}`);
	assert.equal(r.status, 200);
	assert.match(r.text, /<dt>时长（小时）<\/dt>\s*<dd class="records-value is-number">3<\/dd>/);
	assert.match(r.text, /王阿姨 13700000000/);
	assert.match(r.text, new RegExp(`<img src="/api/v1/files/${photo}\\?variant=thumb"`));
	assert.match(r.text, new RegExp(`data-api="/api/v1/records/${draft.id}/submit"`));
	assert.doesNotMatch(r.text, /name="decision"/);
	// a draft is the family's: the head teacher sees nothing yet
	assert.equal((await c[WANG].get(`/records/${draft.id}`)).status, 404);
	assert.equal((await c[ADMIN2].get(`/records/${draft.id}`)).status, 404);

	// the family's home: a draft to submit, counted
	r = await c[ZHANG].get('/');
	assert.match(r.text, /href="\/records"[^]*?待提交的成长记录[^]*?<span class="jx-badge">1<\/span>/);

	// the draft's form again, filled in; the photo kept by its box
	r = await c[ZHANG].get(`/records/${draft.id}/edit`);
	assert.equal(r.status, 200, r.text.slice(0, 300));
	assert.match(r.text, new RegExp(`data-api="/api/v1/records/${draft.id}" data-method="PATCH"`));
	assert.match(r.text, /<input id="f-title" name="title" type="text" maxlength="100" value="敬老院慰问" required>/);
	assert.match(r.text, /<input id="f-organiser" name="organiser" type="text" value="居委会" data-field/);
	assert.match(r.text, /id="f-hours"[^>]* value="3" data-field/);
	assert.match(r.text, /<input id="f-date" name="date" type="date" value="2026-11-28" data-field required>/);
	assert.match(r.text, new RegExp(`<input type="checkbox" id="keep-${photo}" name="files:photos" value="${photo}" checked>`));
	assert.doesNotMatch(r.text, /name="type"/);
	assert.match((await c[ZHANG].get(`/records/${draft.id}`)).text, new RegExp(`href="/records/${draft.id}/edit"`));
	assert.equal((await c[WANG].get(`/records/${draft.id}/edit`)).status, 404);
	assert.equal((await c[ADMIN2].get(`/records/${draft.id}/edit`)).status, 404);

	assert.equal((await c[ZHANG].post(`/api/v1/records/${draft.id}/submit`, {})).status, 204);
	assert.equal((await c[ZHANG].get(`/records/${draft.id}/edit`)).status, 403, 'submitted: no more changes');
	assert.doesNotMatch((await c[ZHANG].get('/')).text, /待提交的成长记录/, 'nothing left to submit');
	r = await c[WANG].get('/records/review');
	assert.equal(r.status, 200);
	assert.match(r.text, new RegExp(`<input type="checkbox" name="ids" value="${draft.id}" data-ids`));
	assert.match(r.text, /data-confirm="确定通过选中的记录吗？"/);
	assert.match(r.text, /敬老院慰问<\/span><span class="jx-cell-detail">张一鸣 · 一年级1班 · 公益活动/);
	assert.match(r.text, new RegExp(`href="/classes/${klass}/publicity"`), 'the head teacher reaches the class\'s 公示');
	r = await c[CHEN].get('/records/review');
	assert.doesNotMatch(r.text, new RegExp(`value="${draft.id}"`), 'not the head teacher: not in the queue');
	r = await c[WANG].get(`/records/${draft.id}`);
	assert.match(r.text, /<button type="submit" class="primary" name="decision" value="approve">通过<\/button>/);
	r = await c[CHEN].get(`/records/${draft.id}`);
	assert.equal(r.status, 200);
	assert.doesNotMatch(r.text, /name="decision"/);
	// teachers and admins land on the queue
	r = await c[WANG].get('/records');
	assert.equal(r.status, 303);

	r = await c[WANG].post('/api/v1/records/review', { ids: [draft.id], decision: 'approve' });
	assert.equal(r.status, 200, r.text);
	r = await c[ZHANG].get(`/students/${kid}/portfolio`);
	assert.equal(r.status, 200);
	assert.match(r.text, /<p class="records-school">[^<]+<\/p>/);
	assert.match(r.text, /张一鸣的成长档案/);
	assert.match(r.text, /<h3>公益活动<\/h3>/);
	assert.match(r.text, /<h3>期终评语<\/h3>/);
	assert.match(r.text, new RegExp(`href="/api/v1/students/${kid}/portfolio.zip"`));
	assert.equal((await c[ADMIN2].get(`/students/${kid}/portfolio`)).status, 404);
	r = await c[ADMIN1].get(`/students/${kid}/portfolio`);
	assert.equal(r.status, 200);
	assert.match(r.text, /敬老院慰问/);
});

test('pages: 公示 without private fields, objections', async () => {
	let r = await c[WANG].get(`/classes/${klass}/publicity`);
	assert.equal(r.status, 200);
	assert.match(r.text, /发布公示/);
	r = await c[WANG].post(`/api/v1/classes/${klass}/publicity`, { term: '2026-2027-1' });
	assert.equal(r.status, 201, r.text);
	r = await c[ZHANG].get(`/classes/${klass}/publicity`);
	assert.equal(r.status, 200);
	assert.match(r.text, /敬老院慰问/);
	assert.doesNotMatch(r.text, /13700000000/, 'the witness is private');
	assert.match(r.text, /提出异议/);
	assert.doesNotMatch(r.text, /结束公示/, 'a parent does not close it');
	const pid = Number(/data-api="\/api\/v1\/publicity\/(\d+)\/objections"/.exec(r.text)[1]);
	r = await c[ZHANG].post(`/api/v1/publicity/${pid}/objections`, { record_id: draft.id, text: '时长记多了' });
	assert.equal(r.status, 201, r.text);
	// the school's admin reads the objections there; the head teacher may close
	r = await c[ADMIN1].get(`/classes/${klass}/publicity`);
	assert.match(r.text, /异议（1）/);
	assert.match(r.text, /张伟：时长记多了/);
	assert.match(r.text, new RegExp(`data-api="/api/v1/publicity/${pid}/close"`));
	// the school admin picks the class on the review page
	r = await c[ADMIN1].get('/records/review');
	assert.match(r.text, /<form method="get" action="\/records\/publicity"/);
	assert.match(r.text, new RegExp(`<option value="${klass}">一年级1班</option>`));
	r = await c[ADMIN1].get(`/records/publicity?class_id=${klass}`);
	assert.equal(r.status, 303);
	assert.equal(r.headers.get('location'), `/classes/${klass}/publicity`);
	assert.equal((await c[ADMIN2].get(`/records/publicity?class_id=${klass}`)).status, 404);
	r = await c[WANG].get(`/classes/${klass}/publicity`);
	assert.match(r.text, /结束公示/);
	assert.doesNotMatch(r.text, /时长记多了/, 'objections go to the school admin');
	assert.equal((await c[ADMIN2].get(`/classes/${klass}/publicity`)).status, 404);
});

test('pages: odd input is a 404 or a plain page, never a crash', async () => {
	const urls = [
		'/records/new?type=%3Cscript%3E', '/records/new?student=abc', '/records/new?student=-1&type=welfare',
		'/records/0', '/records/abc', '/records/99999999999999999999', '/records/1/edit?x=%00',
		'/classes/0/publicity', '/classes/abc/publicity', '/students/-1/portfolio', '/students/999999/portfolio',
	];
	for (const u of urls) {
		const r = await c[ZHANG].get(u);
		assert.ok([200, 403, 404].includes(r.status), `${u}: ${r.status}`);
		assert.doesNotMatch(r.text, /<script>/, u);
	}
	// an unknown type is the picker again
	const r = await c[ZHANG].get('/records/new?type=nosuch');
	assert.equal(r.status, 200);
	assert.match(r.text, /选择记录类型/);
	assert.equal((await server.client().get('/records')).status, 303, 'not logged in: to the login page');
});
