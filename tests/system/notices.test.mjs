// System test of the notices plugin (API.md, "Notices"; issue 6) against
// the real binary serving the demo district, with the WeChat API stand-in
// (tests/stubs/wechat-api.mjs) and the SMS gateway stand-in
// (tests/stubs/sms-gateway.mjs) behind the real wechat and sms plugins:
// compose and its audience (distinct persons, teachers' scope), bad input,
// the inbox through the acting identity, read state per person, receipts,
// reminders, WeChat to bound parents with the notice's link, the fall back
// to SMS when WeChat cannot reach a parent (no binding, 43004), scope across
// schools, the escalation schedule and quiet hours (the host's clock is
// shifted by restarting with testing.clock_offset_seconds; nothing sleeps
// until a deadline).
//
// The tests run in order on one server and build on one another.
//
// Demo school 1 (admin 李敏 13800000002): 一年级1班 (王芳 and 陈刚 teach
// it), 一年级2班 (王芳), 三年级1班 (陈刚). Parents: 张伟 13900000001 of 张一鸣
// (一年级1班); 陈刚 13800000004 of 陈小雨 (一年级2班) and 陈小阳 (三年级1班).
// School 2 (admin 赵磊 13800000005): 七年级1班, 八年级1班.

import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { startServer, BUILD_DIR } from './harness.mjs';
import { startWechatApi } from '../stubs/wechat-api.mjs';
import { startSmsGateway } from '../stubs/sms-gateway.mjs';
import { until, WECHAT_TOKEN, TEMPLATE_ID } from './outbox-probe.mjs';

const PW = 'Demo2026';
const ADMIN1 = '13800000002';
const ADMIN2 = '13800000005';
const WANG = '13800000003';
const CHEN = '13800000004';
const ZHANG = '13900000001';
const ZHANG_OPENID = 'o-zhang-weixin';
const PUBLIC_URL = 'https://jx.example.cn';
const PROBLEM = /^application\/problem\+json/;
const HOUR = 3600;

let api, gw, server, offset = 0;
const cls = {}; // class ids by full name, school 1 and 2
const clients = {};

function settings(extra = {}) {
	return {
		plugin_dir: path.join(BUILD_DIR, 'plugins'),
		plugins: '{"sms","wechat","roster","notices"}',
		public_url: PUBLIC_URL,
		'wechat.api_base': api.url,
		'wechat.appid': api.appid,
		'wechat.secret': api.secret,
		'wechat.token': WECHAT_TOKEN,
		'wechat.template_id': TEMPLATE_ID,
		'sms.api_base': gw.url,
		'testing.notify_backoff_seconds': 1,
		'testing.clock_offset_seconds': offset,
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

// Logs everyone in again (sessions survive a restart; the port does not).
async function relogin() {
	for (const who of [ADMIN1, ADMIN2, WANG, CHEN, ZHANG])
		clients[who] = await login(who);
}

async function shiftClock(seconds) {
	offset = seconds;
	await server.restart({ set: settings() });
	await relogin();
}

function assertProblem(r, status, field) {
	assert.equal(r.status, status, `status ${r.status}: ${r.text.slice(0, 400)}`);
	assert.match(r.headers.get('content-type') ?? '', PROBLEM);
	if (field !== undefined)
		assert.ok((r.json?.errors ?? []).some((e) => e.field === field), `names ${field}: ${r.text}`);
}

const compose = (who, body) => clients[who].post('/api/v1/notices', body);
const notice = async (who, id) => (await clients[who].get(`/api/v1/notices/${id}`)).json;
const inbox = async (who) => (await clients[who].get('/api/v1/inbox')).json.items;
const smsTo = (phone, template) =>
	gw.received.filter((r) => r.json?.phone === phone && (!template || r.json.template === template));
// The link a WeChat message carries: the notice through the OAuth entry
// (a parent arriving from WeChat lands logged in on it; issue 13).
const noticeLink = (id) => `${PUBLIC_URL}/wx/enter?next=%2Fnotices%2F${id}`;
const wechatFor = (id) => api.sends().filter((r) => r.json.url === noticeLink(id));

// Waits until no delivery of notice id is pending; returns the notice.
const settled = (who, id) =>
	until(async () => {
		const n = await notice(who, id);
		const d = n.deliveries;
		return d.inapp.pending + d.wechat.pending + d.sms.pending === 0 && n;
	}, `deliveries of notice ${id} to settle`);

// The acting identity of c switched to its parent identity for the child in
// class `className`.
async function actAsParentIn(c, className) {
	const id = c.me.identities.find((i) => i.role === 'parent' && i.class_name === className)?.id;
	assert.ok(id, `a parent identity in ${className}: ${JSON.stringify(c.me.identities)}`);
	const r = await c.put('/api/v1/me/identity', { identity_id: id });
	assert.equal(r.status, 200, r.text);
}

async function actAs(c, role) {
	const id = c.me.identities.find((i) => i.role === role)?.id;
	const r = await c.put('/api/v1/me/identity', { identity_id: id });
	assert.equal(r.status, 200, r.text);
}

function sql(query) {
	const r = spawnSync('sqlite3', [path.join(server.dataDir, 'jiaxiao.db'), query], { encoding: 'utf8' });
	assert.equal(r.status, 0, r.stderr);
	return r.stdout.trim();
}

test.before(async () => {
	api = await startWechatApi();
	gw = await startSmsGateway();
	server = await startServer({ command: 'demo', init: false, set: settings() });
	await relogin();
	for (const sid of [1, 2]) {
		const r = await clients[sid === 1 ? ADMIN1 : ADMIN2].get(`/api/v1/schools/${sid}/classes`);
		assert.equal(r.status, 200, r.text);
		for (const c of r.json)
			cls[c.full_name] = c.id;
	}
	// 张伟 binds his WeChat (OAuth code → openid); 陈刚 never does.
	api.addCode('code-zhang', ZHANG_OPENID);
	const r = await clients[ZHANG].post('/api/v1/me/wechat', { code: 'code-zhang' });
	assert.equal(r.status, 204, r.text);
});

test.after(async () => {
	await server?.stop();
	await api?.close();
	await gw?.close();
});

let schoolNotice;

test('a school notice to the whole school reaches distinct parents: WeChat with the link, SMS where WeChat cannot', async () => {
	const r = await compose(ADMIN1, {
		kind: 'school', title: '关于二〇二六年春季学期开学典礼及新生报到安排的通知', body: '第一行\n第二行',
		audience: { roles: ['parent'] },
	});
	assert.equal(r.status, 201, r.text);
	// 陈刚 is addressed through two children: one recipient.
	assert.equal(r.json.recipients, 2);
	assert.equal(r.json.not_before, null);
	schoolNotice = r.json.id;

	// WeChat: 张伟's openid gets the template message linking to the page.
	const msg = await api.waitFor((m) => m.json?.touser === ZHANG_OPENID && m.json.url === noticeLink(schoolNotice));
	assert.equal(msg.json.template_id, TEMPLATE_ID);
	for (const v of Object.values(msg.json.data))
		assert.ok([...v.value].length <= 20, `≤ 20 characters: ${v.value}`);
	// 陈刚 has no binding: WeChat finds him unreachable, SMS goes instead,
	// with template parameters only (each short).
	const sms = await gw.waitFor((m) => m.json?.phone === CHEN && m.json.template === 'notice');
	assert.equal(sms.json.params.school, '岳麓区第一实验小学');
	assert.ok([...sms.json.params.title].length <= 20);
	assert.equal(smsTo(ZHANG).length, 0, 'the followed parent gets no SMS');

	const n = await settled(ADMIN1, schoolNotice);
	// 陈刚 is a family WeChat cannot reach (issue 14): unreachable, not
	// a failure.
	assert.deepEqual(n.deliveries, {
		inapp: { pending: 0, sent: 2, failed: 0, unreachable: 0 },
		wechat: { pending: 0, sent: 1, failed: 0, unreachable: 1 },
		sms: { pending: 0, sent: 1, failed: 0, unreachable: 0 },
	});
	assert.equal(n.wechat_unreachable_parents, 1);
	assert.equal(n.read_count, 0);
	assert.equal(n.unread_count, 2);
	assert.equal(n.recipients, 2);
	assert.deepEqual(n.audience, { class_ids: [], grades: [], roles: ['parent'] });
	assert.equal(n.from, '岳麓区第一实验小学');
	assert.equal(n.body, '第一行\n第二行');
	assert.equal(n.kind, 'school');
	assert.equal(n.urgent, false);
	assert.equal(n.deadline, null);
	assert.equal(n.title, '关于二〇二六年春季学期开学典礼及新生报到安排的通知');
});

test('audience: classes and grades are a union, roles filter, teachers are those who teach the class', async () => {
	const preview = (audience, kind = 'school') => clients[ADMIN1].post('/api/v1/notices/preview', { kind, audience });
	// 一年级 = 1班 + 2班: parents 张伟 and 陈刚 (via 陈小雨); teachers 王芳, 陈刚.
	let r = await preview({ grades: [1], roles: ['parent'] });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.recipients, 2);
	r = await preview({ grades: [1], roles: ['teacher'] });
	assert.equal(r.json.recipients, 2);
	// 陈刚 as parent and teacher is one person.
	r = await preview({ grades: [1], roles: ['parent', 'teacher'] });
	assert.equal(r.json.recipients, 3);
	// 三年级1班 ∪ grade 1: students 7 in school 1.
	r = await preview({ class_ids: [cls['三年级1班']], grades: [1], roles: ['student'] });
	assert.equal(r.json.recipients, 7);
	r = await preview({ class_ids: [cls['三年级1班']], roles: ['student', 'parent', 'teacher'] });
	assert.equal(r.json.recipients, 3, '陈小阳, 孙浩然 and 陈刚 (parent and teacher)');
	// Preview writes nothing.
	assert.equal((await clients[ADMIN1].get('/api/v1/notices')).json.items.length, 1);
});

test('teachers send homework to the classes they teach only', async () => {
	const hw = (audience, kind = 'homework') =>
		compose(WANG, { kind, title: '语文作业', body: '背诵第三课。', audience });
	let r = await hw({ class_ids: [cls['一年级1班']], roles: ['parent'] });
	assert.equal(r.status, 201, r.text);
	assert.equal(r.json.recipients, 1, '张伟');
	const n = await notice(WANG, r.json.id);
	assert.equal(n.kind, 'homework');
	assert.equal(n.from, '王芳');
	assertProblem(await hw({ class_ids: [cls['三年级1班']], roles: ['parent'] }), 403);
	assertProblem(await hw({ class_ids: [cls['一年级1班'], cls['三年级1班']], roles: ['parent'] }), 403);
	assertProblem(await hw({ roles: ['parent'] }), 403, undefined);
	assertProblem(await hw({ grades: [3], roles: ['parent'] }), 403);
	assertProblem(await hw({ class_ids: [cls['一年级1班']], roles: ['parent'] }, 'school'), 403);
	// A class of the other school is no class of yours.
	assertProblem(await hw({ class_ids: [cls['七年级1班']], roles: ['parent'] }), 422, 'audience.class_ids');
	// Parents and students send nothing.
	assertProblem(await compose(ZHANG, { kind: 'homework', title: 'x', body: 'y', audience: { roles: ['parent'] } }), 403);
});

test('bad input is a problem naming the field, and nothing is stored', async () => {
	const before = (await clients[ADMIN1].get('/api/v1/notices')).json.items.length;
	const base = { kind: 'school', title: '标题', body: '内容', audience: { roles: ['parent'] } };
	assertProblem(await compose(ADMIN1, { ...base, title: '' }), 422, 'title');
	assertProblem(await compose(ADMIN1, { ...base, title: '长'.repeat(61) }), 422, 'title');
	assertProblem(await compose(ADMIN1, { ...base, body: undefined }), 422, 'body');
	assertProblem(await compose(ADMIN1, { ...base, kind: 'gossip' }), 422, 'kind');
	assertProblem(await compose(ADMIN1, { ...base, audience: { roles: ['cook'] } }), 422, 'audience.roles');
	assertProblem(await compose(ADMIN1, { ...base, audience: { roles: [] } }), 422, 'audience.roles');
	assertProblem(await compose(ADMIN1, { ...base, audience: undefined }), 422, 'audience');
	assertProblem(await compose(ADMIN1, { ...base, audience: { grades: [13], roles: ['parent'] } }), 422, 'audience.grades');
	assertProblem(await compose(ADMIN1, { ...base, deadline: 'next friday' }), 422, 'deadline');
	assertProblem(await compose(ADMIN1, { ...base, deadline: '2020-01-01T08:00:00+08:00' }), 422, 'deadline');
	assertProblem(await compose(ADMIN1, { ...base, urgent: 'yes' }), 422, 'urgent');
	// 八年级1班 has no parents: nobody to send to.
	assertProblem(await compose(ADMIN2, { ...base, audience: { class_ids: [cls['八年级1班']], roles: ['parent'] } }), 422, 'audience');
	const r = await clients[ADMIN1].post('/api/v1/notices', undefined, { body: '{nope', headers: { 'Content-Type': 'application/json' } });
	assert.equal(r.status, 400);
	assert.equal((await clients[ADMIN1].get('/api/v1/notices')).json.items.length, before);
	assertProblem(await server.request('POST', '/api/v1/notices', { json: base }), 401);
});

test('the inbox shows what reached the person through the acting identity, newest first', async () => {
	// A notice to 一年级2班's parents reaches 陈刚 through 陈小雨 only.
	const r = await compose(ADMIN1, {
		kind: 'school', title: '一年级2班家长会', body: '周五下午三点。', audience: { class_ids: [cls['一年级2班']], roles: ['parent'] },
	});
	assert.equal(r.status, 201, r.text);
	const classNotice = r.json.id;
	const chen = clients[CHEN];
	await actAsParentIn(chen, '三年级1班');
	let items = await inbox(CHEN);
	assert.ok(!items.some((i) => i.notice_id === classNotice), 'not through 陈小阳');
	assert.ok(items.some((i) => i.notice_id === schoolNotice), 'the school notice reached him through 陈小阳 too');
	assertProblem(await chen.post(`/api/v1/inbox/${classNotice}/read`), 404);
	assertProblem(await chen.get(`/api/v1/notices/${classNotice}`), 404);
	await actAsParentIn(chen, '一年级2班');
	items = await inbox(CHEN);
	assert.deepEqual(items.map((i) => i.notice_id), [classNotice, schoolNotice]);
	assert.deepEqual(Object.keys(items[0]).sort(), ['confirmed_at', 'deadline', 'from', 'kind', 'notice_id', 'read_at', 'requires_confirmation', 'sent_at', 'title', 'urgent']);
	assert.equal(items[0].from, '岳麓区第一实验小学');
	assert.equal(items[0].read_at, null);
	// As a teacher 陈刚 received none of these.
	await actAs(chen, 'teacher');
	assert.deepEqual(await inbox(CHEN), []);
	// Paging: one at a time.
	await actAsParentIn(chen, '一年级2班');
	const p1 = (await chen.get('/api/v1/inbox?limit=1')).json;
	assert.equal(p1.items.length, 1);
	assert.ok(p1.next_cursor);
	const p2 = (await chen.get(`/api/v1/inbox?limit=1&cursor=${p1.next_cursor}`)).json;
	assert.equal(p2.items[0].notice_id, schoolNotice);
	assert.equal(p2.next_cursor, null);
});

test('read state is per person: reading marks the reader only; receipts show who has not', async () => {
	const zhang = clients[ZHANG];
	const n0 = await notice(ZHANG, schoolNotice);
	assert.equal(n0.read_at, null);
	assert.equal(n0.read_count, undefined, 'a recipient sees no counts');
	assert.equal((await zhang.post(`/api/v1/inbox/${schoolNotice}/read`)).status, 204);
	assert.equal((await zhang.post(`/api/v1/inbox/${schoolNotice}/read`)).status, 204, 'again: no change');
	assert.ok((await inbox(ZHANG)).find((i) => i.notice_id === schoolNotice).read_at);
	const n = await notice(ADMIN1, schoolNotice);
	assert.equal(n.read_count, 1);
	assert.equal(n.unread_count, 1);
	const rc = (await clients[ADMIN1].get(`/api/v1/notices/${schoolNotice}/receipts`)).json;
	// Parents as the family is called (issue 14): the child's name and
	// the relation entered (父亲 in the demo); their own name beside.
	assert.deepEqual(rc.read.map((x) => [x.name, x.person_name]), [['张一鸣爸爸', '张伟']]);
	assert.equal(rc.unread.length, 1);
	assert.equal(rc.unread[0].name, '陈小阳爸爸、陈小雨爸爸', 'a parent of two children in the audience: both');
	assert.equal(rc.unread[0].person_name, '陈刚');
	assert.ok(['一年级2班', '三年级1班'].includes(rc.unread[0].class_name));
	assert.equal(rc.unread[0].wechat_followed, false);
	assert.equal(rc.unread[0].wechat_bound, false);
	// The recipient sees no receipts; a teacher of the school who did not
	// send it sees nothing of it.
	assertProblem(await zhang.get(`/api/v1/notices/${schoolNotice}/receipts`), 403);
	assertProblem(await clients[WANG].get(`/api/v1/notices/${schoolNotice}/receipts`), 404);
	assertProblem(await clients[WANG].post(`/api/v1/notices/${schoolNotice}/remind`), 404);
});

test('remind resends to the unread only, and WeChat falls back to SMS again', async () => {
	const before = smsTo(CHEN, 'notice_remind').length;
	const r = await clients[ADMIN1].post(`/api/v1/notices/${schoolNotice}/remind`);
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(r.json, { reminded: 1 });
	await gw.waitFor((m) => m.json?.phone === CHEN && m.json.template === 'notice_remind');
	const n = await settled(ADMIN1, schoolNotice);
	assert.equal(n.deliveries.inapp.sent, 3);
	assert.equal(n.deliveries.wechat.unreachable, 2);
	assert.equal(n.deliveries.wechat.failed, 0);
	assert.equal(n.wechat_unreachable_parents, 1, 'one parent, two messages');
	assert.equal(smsTo(CHEN, 'notice_remind').length, before + 1);
	assert.equal(wechatFor(schoolNotice).filter((m) => m.json.touser === ZHANG_OPENID).length, 1, '张伟 read it: not reminded');
	assert.match(sql("SELECT action FROM audit_log WHERE action LIKE 'notices.%' ORDER BY id DESC LIMIT 1"), /notices\.remind/);
});

test('a parent who unfollowed (43004) is marked unreachable and gets the SMS', async () => {
	api.unfollow(ZHANG_OPENID);
	const r = await compose(ADMIN1, {
		kind: 'school', title: '运动会', body: '下周三运动会。', audience: { class_ids: [cls['一年级1班']], roles: ['parent'] },
	});
	assert.equal(r.status, 201, r.text);
	await gw.waitFor((m) => m.json?.phone === ZHANG && m.json.template === 'notice');
	const n = await settled(ADMIN1, r.json.id);
	assert.deepEqual(n.deliveries.wechat, { pending: 0, sent: 0, failed: 0, unreachable: 1 });
	assert.equal(n.deliveries.sms.sent, 1);
	const rc = (await clients[ADMIN1].get(`/api/v1/notices/${r.json.id}/receipts`)).json;
	assert.equal(rc.unread[0].wechat_followed, false);
	assert.equal(rc.unread[0].wechat_bound, true);
});

test('scope: another school sees none of it', async () => {
	const admin2 = clients[ADMIN2];
	assertProblem(await admin2.get(`/api/v1/notices/${schoolNotice}`), 404);
	assertProblem(await admin2.get(`/api/v1/notices/${schoolNotice}/receipts`), 404);
	assertProblem(await admin2.post(`/api/v1/notices/${schoolNotice}/remind`), 404);
	assert.deepEqual((await admin2.get('/api/v1/notices')).json.items, []);
	// A parent of school 2 (added with a child in 七年级1班) sees school 2's
	// notice and nothing of school 1's.
	let r = await admin2.post('/api/v1/schools/2/students', {
		name: '钱多多', gender: '女', class_id: cls['七年级1班'],
		guardian1_name: '钱伟', guardian1_phone: '13900000077', guardian1_relation: '父亲',
	});
	assert.equal(r.status, 201, r.text);
	// With an SMS gateway a new parent has no password: they activate the
	// account with a code sent to the phone (API.md, "Logins").
	const qian = server.client();
	assert.equal((await qian.login('13900000077', '000077')).status, 401);
	r = await qian.post('/api/v1/activation', { phone: '13900000077' });
	assert.equal(r.status, 202, r.text);
	const act = await gw.waitFor((m) => m.json?.phone === '13900000077' && m.json.template === 'account_activation' &&
		m.answer?.body?.ok === true);
	r = await qian.post('/api/v1/activation/verify', { phone: '13900000077', code: act.json.params.code, new_password: 'Qian2026x' });
	assert.equal(r.status, 200, r.text);
	r = await compose(ADMIN2, { kind: 'school', title: '二中通知', body: '内容', audience: { roles: ['parent'] } });
	assert.equal(r.status, 201, r.text);
	assert.equal(r.json.recipients, 1);
	const items = (await qian.get('/api/v1/inbox')).json.items;
	assert.deepEqual(items.map((i) => i.notice_id), [r.json.id]);
	assertProblem(await qian.get(`/api/v1/notices/${schoolNotice}`), 404);
	assertProblem(await qian.post(`/api/v1/inbox/${schoolNotice}/read`), 404);
	// The sent list is the sender's own.
	const mine = (await clients[WANG].get('/api/v1/notices')).json.items;
	assert.ok(mine.length >= 1 && mine.every((i) => i.kind === 'homework'));
	assert.ok(!(await clients[ADMIN1].get('/api/v1/notices')).json.items.some((i) => i.kind === 'homework'));
});

test('a deadline chases the unread: WeChat, then SMS, then the head teacher\'s call list', async () => {
	const deadline = new Date((Math.floor(Date.now() / 1000) + offset + 30 * HOUR) * 1000).toISOString();
	const r = await compose(ADMIN1, {
		kind: 'school', title: '回执：春游同意书', body: '请于截止前回复。', deadline,
		audience: { class_ids: [cls['一年级1班'], cls['一年级2班']], roles: ['parent'] },
	});
	assert.equal(r.status, 201, r.text);
	const id = r.json.id;
	let n = await notice(ADMIN1, id);
	assert.deepEqual(n.escalation.map((s) => s.channel), ['wechat', 'sms', 'call_list']);
	assert.match((await clients[ADMIN1].get(`/notices/${id}/receipts`)).text, /自动催办/);
	await settled(ADMIN1, id);
	const sent = (await notice(ADMIN1, id)).deliveries;

	// 23 h before the deadline: the WeChat step has run (inapp again).
	await shiftClock(7 * HOUR + 60);
	await until(async () => {
		const x = await notice(ADMIN1, id);
		return x.deliveries.inapp.sent === sent.inapp.sent + 2 && x;
	}, 'the WeChat reminder');
	const chaser = (phone) => smsTo(phone, 'notice_remind').filter((m) => m.json.params.title.startsWith('回执'));
	// Neither has a reachable WeChat: both reminders fell back to SMS.
	await until(() => chaser(CHEN).length === 1 && chaser(ZHANG).length === 1, 'the WeChat reminders falling back to SMS');

	// 陈刚 reads it (through 陈小雨); 5 h before the deadline the SMS step
	// texts 张伟 only.
	await actAsParentIn(clients[CHEN], '一年级2班');
	assert.equal((await clients[CHEN].post(`/api/v1/inbox/${id}/read`)).status, 204);
	await shiftClock(25 * HOUR + 60);
	await until(() => chaser(ZHANG).length === 2, 'the SMS step');
	await settled(ADMIN1, id);
	assert.equal(chaser(CHEN).length, 1, 'the reader is not texted');
	assert.deepEqual((await clients[ADMIN1].get(`/api/v1/notices/${id}/receipts`)).json.call_list, []);

	// 30 min before: 张伟 is on the call list, with his phone and class,
	// and on the list of that class's head teacher (王芳) only.
	await shiftClock(29 * HOUR + 30 * 60);
	const calls = await until(async () => {
		const rc = (await clients[ADMIN1].get(`/api/v1/notices/${id}/receipts`)).json;
		return rc.call_list.length > 0 && rc.call_list;
	}, 'the call list');
	assert.deepEqual(calls.map((c) => [c.name, c.phone, c.class_name]), [['张伟', ZHANG, '一年级1班']]);
	let mine = (await clients[WANG].get('/api/v1/notices/calls')).json;
	assert.deepEqual(mine.map((c) => [c.notice_id, c.name, c.phone, c.student_name, c.class_name]),
		[[id, '张伟', ZHANG, '张一鸣', '一年级1班']]);
	await actAs(clients[CHEN], 'teacher');
	assert.deepEqual((await clients[CHEN].get('/api/v1/notices/calls')).json, [], 'head of 三年级1班: not his class');
	assertProblem(await clients[ADMIN1].get('/api/v1/notices/calls'), 403);
	const page = await clients[WANG].get('/notices/calls');
	assert.equal(page.status, 200);
	assert.match(page.text, /tel:13900000001/);
	// Reading takes him off.
	assert.equal((await clients[ZHANG].post(`/api/v1/inbox/${id}/read`)).status, 204);
	mine = (await clients[WANG].get('/api/v1/notices/calls')).json;
	assert.deepEqual(mine, []);
});

test('quiet hours: WeChat and SMS of a notice composed at 22:00 wait until 07:00; urgent goes now and is audit-logged', async () => {
	// The district's rules: quiet hours 21:30–07:00 (as the example).
	const da = await login('13800000001');
	const did = da.me.identities[0].district_id;
	let r = await da.put(`/api/v1/districts/${did}/rules`, { source: 'quiet_hours = { from = "21:30", to = "07:00" }\n' });
	assert.equal(r.status, 200, r.text);
	// The first 22:00 in Shanghai (UTC+8) after the clock so far.
	const now = Math.floor(Date.now() / 1000) + offset + 60;
	const day = Math.floor((now + 8 * HOUR) / 86400) * 86400 - 8 * HOUR; // local midnight
	let at = day + 22 * HOUR;
	if (at <= now)
		at += 86400;
	await shiftClock(at - Math.floor(Date.now() / 1000));

	const body = (title, urgent) => ({
		kind: 'school', title, body: '内容', urgent, audience: { class_ids: [cls['一年级1班']], roles: ['parent'] },
	});
	r = await compose(ADMIN1, body('夜间普通通知', false));
	assert.equal(r.status, 201, r.text);
	const quiet = r.json.id;
	// 07:00 local the next morning, as the API writes it.
	const morning = new Date((at + 9 * HOUR + 8 * HOUR) * 1000).toISOString().slice(0, 19) + '+08:00';
	assert.match(morning, /T07:00:00\+08:00$/);
	assert.equal(r.json.not_before, morning);
	assert.equal(Number(sql(`SELECT MIN(next_at) FROM outbox WHERE ref = 'notice:${quiet}' AND channel = 'wechat'`)), at + 9 * HOUR);
	r = await compose(ADMIN1, body('夜间紧急通知', true));
	assert.equal(r.status, 201, r.text);
	const urgent = r.json.id;
	assert.equal(r.json.not_before, null);
	// The urgent one is delivered (WeChat tried, SMS fallback sent) while
	// the quiet one's WeChat still waits.
	const u = await settled(ADMIN1, urgent);
	assert.equal(u.deliveries.wechat.pending, 0);
	let q = await notice(ADMIN1, quiet);
	assert.equal(q.deliveries.wechat.pending, 1);
	assert.equal(q.deliveries.inapp.sent, 1, 'the inbox has it at once');
	assert.equal(wechatFor(quiet).length + smsTo(ZHANG, 'notice').filter((m) => m.json.params.title === '夜间普通通知').length, 0);
	assert.match(sql("SELECT group_concat(action) FROM audit_log WHERE target = 'notice:" + urgent + "'"), /notices\.urgent/);
	assert.doesNotMatch(sql("SELECT group_concat(action) FROM audit_log WHERE target = 'notice:" + quiet + "'"), /urgent/);

	// 07:01: it goes.
	await shiftClock(at + 9 * HOUR + 60 - Math.floor(Date.now() / 1000));
	q = await settled(ADMIN1, quiet);
	assert.equal(q.deliveries.wechat.pending, 0);
});

test('pages: sent list, compose, receipts, notice (marks read) and inbox', async () => {
	const admin = clients[ADMIN1];
	let r = await admin.get('/notices');
	assert.equal(r.status, 200);
	assert.match(r.text, /<progress class="jx-progress" max="\d+" value="\d+" aria-label="[^"]+">/);
	r = await admin.get('/notices/new');
	assert.equal(r.status, 200);
	assert.match(r.text, /name="class_\d+"/);
	r = await admin.get(`/notices/${schoolNotice}/receipts`);
	assert.equal(r.status, 200);
	assert.match(r.text, /陈刚/);
	// A form post composes and goes to the receipts.
	r = await admin.post('/notices', undefined, {
		body: new URLSearchParams({ kind: 'school', title: '表单通知', body: '表单内容', role_parent: '1', [`class_${cls['一年级1班']}`]: '1' }).toString(),
		headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
	});
	assert.equal(r.status, 303, r.text.slice(0, 300));
	const id = Number(/\/notices\/(\d+)\/receipts/.exec(r.headers.get('location'))[1]);
	assert.equal((await notice(ADMIN1, id)).recipients, 1);
	assert.equal((await notice(ADMIN1, id)).body, '表单内容');
	// A bad form comes back with the error.
	r = await admin.post('/notices', undefined, {
		body: new URLSearchParams({ kind: 'school', title: '', body: 'x' }).toString(),
		headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
	});
	assert.equal(r.status, 422);
	assert.match(r.text, /roster-errors/);
	// The parent opens the link: it is read.
	r = await clients[ZHANG].get(`/notices/${id}`);
	assert.equal(r.status, 200);
	assert.match(r.text, /表单内容/);
	assert.ok((await inbox(ZHANG)).find((i) => i.notice_id === id).read_at);
	r = await clients[ZHANG].get('/inbox');
	assert.equal(r.status, 200);
	assert.match(r.text, /表单通知/);
	assert.equal((await clients[ADMIN2].get(`/notices/${id}`)).status, 404);
});
