// System test of issue 14's notices part against the real binary serving
// the demo district, with the WeChat API stand-in and the SMS gateway
// stand-in behind the real wechat and sms plugins:
//
//   - attachments through the file service: a PDF attached on compose, a
//     recipient downloads it (inline), a parent of another school, a
//     parent it was not addressed to and another school's admin get 404;
//     a bad or someone else's file id is 422 naming `attachments`, and
//     nothing is stored;
//   - confirmation: POST /api/v1/inbox/{id}/confirm is 204 (and reads),
//     again 204; counted (confirmed_count, receipts' confirmed list) apart
//     from read and unread; a notice not addressed to the identity, or of
//     another school, 404; one that asks for none, 409;
//   - remind {"target":"unconfirmed"} reaches only the unconfirmed;
//   - receipts name a parent as the family does ("张一鸣爸爸" for 父亲,
//     "李小华家长" without a relation, English "张一鸣's father") and the
//     counts add up to the recipients;
//   - deliveries.wechat.unreachable (a parent without WeChat) apart from
//     failed (WeChat reports the job failed), and the page says so.
//
// The tests run in order on one server and build on one another.

import test from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import fs from 'node:fs';
import { startServer, BUILD_DIR, SOURCE_DIR } from './harness.mjs';
import { startWechatApi, wechatSignature, eventXml } from '../stubs/wechat-api.mjs';
import { startSmsGateway } from '../stubs/sms-gateway.mjs';
import { until, WECHAT_TOKEN, TEMPLATE_ID } from './outbox-probe.mjs';

const PW = 'Demo2026';
const ADMIN1 = '13800000002';
const ADMIN2 = '13800000005';
const CHEN = '13800000004';
const ZHANG = '13900000001';
const LI = '13900000088'; // 李强, parent of 李小华 (一年级1班), relation not entered
const QIAN = '13900000077'; // 钱伟, parent of 钱多多 at school 2
const ZHANG_OPENID = 'o-zhang-confirm';
const PUBLIC_URL = 'https://jx.example.cn';
const PROBLEM = /^application\/problem\+json/;

let api, gw, server;
const cls = {};
const clients = {};

function settings() {
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
	};
}

async function login(who) {
	const c = server.client();
	const r = await c.login(who, PW);
	assert.equal(r.status, 200, r.text);
	c.me = r.json;
	return c;
}

// An adult of the roster activates by SMS code and is logged in.
async function activate(phone) {
	const r0 = await server.request('POST', '/api/v1/activation', { json: { phone } });
	assert.equal(r0.status, 202, r0.text);
	const m = await gw.waitFor((x) => x.json?.phone === phone && x.json.template === 'account_activation');
	const c = server.client();
	const r = await c.post('/api/v1/activation/verify', { phone, code: m.json.params.code, new_password: 'Family2026x' });
	assert.equal(r.status, 200, r.text);
	c.me = r.json;
	return c;
}

function assertProblem(r, status, field) {
	assert.equal(r.status, status, `status ${r.status}: ${r.text.slice(0, 400)}`);
	assert.match(r.headers.get('content-type') ?? '', PROBLEM);
	if (field !== undefined)
		assert.ok((r.json?.errors ?? []).some((e) => e.field === field), `names ${field}: ${r.text}`);
}

function sql(query) {
	const r = spawnSync('sqlite3', [path.join(server.dataDir, 'jiaxiao.db'), query], { encoding: 'utf8' });
	assert.equal(r.status, 0, r.stderr);
	return r.stdout.trim();
}

function pdf(tag) {
	return Buffer.from(`%PDF-1.4\n% ${tag}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n`, 'ascii');
}

function upload(c, name, data) {
	const b = `----jx${crypto.randomBytes(8).toString('hex')}`;
	const body = Buffer.concat([
		Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`, 'utf8'),
		data,
		Buffer.from(`\r\n--${b}--\r\n`, 'utf8'),
	]);
	return c.request('POST', '/api/v1/files', { body, headers: { 'Content-Type': `multipart/form-data; boundary=${b}` } });
}

const compose = (who, body) => clients[who].post('/api/v1/notices', body);
const notice = async (who, id) => (await clients[who].get(`/api/v1/notices/${id}`)).json;
const receipts = async (id, q = '') => (await clients[ADMIN1].get(`/api/v1/notices/${id}/receipts${q}`)).json;
const sentCount = async () => (await clients[ADMIN1].get('/api/v1/notices')).json.items.length;

async function actAsParentIn(c, className) {
	const id = c.me.identities.find((i) => i.role === 'parent' && i.class_name === className)?.id;
	assert.ok(id, `a parent identity in ${className}`);
	const r = await c.put('/api/v1/me/identity', { identity_id: id });
	assert.equal(r.status, 200, r.text);
}

test.before(async () => {
	api = await startWechatApi();
	gw = await startSmsGateway();
	server = await startServer({ command: 'demo', init: false, set: settings() });
	for (const who of [ADMIN1, ADMIN2, CHEN, ZHANG])
		clients[who] = await login(who);
	for (const sid of [1, 2]) {
		const r = await clients[sid === 1 ? ADMIN1 : ADMIN2].get(`/api/v1/schools/${sid}/classes`);
		assert.equal(r.status, 200, r.text);
		for (const c of r.json)
			cls[c.full_name] = c.id;
	}
	api.addCode('code-zhang', ZHANG_OPENID);
	const b = await clients[ZHANG].post('/api/v1/me/wechat', { code: 'code-zhang' });
	assert.equal(b.status, 204, b.text);
	// A family whose relation was not entered, in 张一鸣's class, and a
	// parent of the other school.
	let r = await clients[ADMIN1].post('/api/v1/schools/1/students', {
		name: '李小华', gender: '女', class_id: cls['一年级1班'],
		guardian1_name: '李强', guardian1_phone: LI,
	});
	assert.equal(r.status, 201, r.text);
	r = await clients[ADMIN2].post('/api/v1/schools/2/students', {
		name: '钱多多', gender: '女', class_id: cls['七年级1班'],
		guardian1_name: '钱伟', guardian1_phone: QIAN, guardian1_relation: '父亲',
	});
	assert.equal(r.status, 201, r.text);
	clients[LI] = await activate(LI);
	clients[QIAN] = await activate(QIAN);
});

test.after(async () => {
	await server?.stop();
	await api?.close();
	await gw?.close();
});

let asked, plain, fileId;
const PDF = pdf('agenda');

test('a notice carries a PDF: its recipients open it inline, nobody else gets it', async () => {
	const up = await upload(clients[ADMIN1], '家长会议程.pdf', PDF);
	assert.equal(up.status, 201, up.text);
	fileId = up.json.id;
	const r = await compose(ADMIN1, {
		kind: 'school', title: '家长会', body: '请阅读附件并确认收到。', requires_confirmation: true,
		attachments: [fileId], audience: { class_ids: [cls['一年级1班']], roles: ['parent'] },
	});
	assert.equal(r.status, 201, r.text);
	assert.equal(r.json.recipients, 2, '张伟 and 李强');
	asked = r.json.id;

	const want = [{ id: fileId, name: '家长会议程.pdf', mime: 'application/pdf', size: PDF.length, url: `/api/v1/files/${fileId}` }];
	const strip = (list) => list.map(({ id, name, mime, size, url }) => ({ id, name, mime, size, url }));
	const n = await notice(ADMIN1, asked);
	assert.equal(n.requires_confirmation, true);
	assert.equal(n.confirmed_count, 0);
	assert.deepEqual(strip(n.attachments), want);
	const seen = await notice(ZHANG, asked);
	assert.deepEqual(strip(seen.attachments), want);
	assert.equal(seen.confirmed_at, null);
	assert.equal(seen.confirmed_count, undefined, 'a recipient sees no counts');

	// A recipient downloads it; a phone shows it (inline).
	const f = await clients[ZHANG].get(`/api/v1/files/${fileId}`);
	assert.equal(f.status, 200);
	assert.equal(f.headers.get('content-type'), 'application/pdf');
	assert.match(f.headers.get('content-disposition'), /^inline;/);
	assert.equal(f.text, PDF.toString('ascii'));
	// Not to a parent of another school, nor to a parent the notice did
	// not reach through the acting identity, nor to another school's admin.
	assertProblem(await clients[QIAN].get(`/api/v1/files/${fileId}`), 404);
	await actAsParentIn(clients[CHEN], '一年级2班');
	assertProblem(await clients[CHEN].get(`/api/v1/files/${fileId}`), 404);
	assertProblem(await clients[ADMIN2].get(`/api/v1/files/${fileId}`), 404);
	assertProblem(await clients[QIAN].get(`/api/v1/notices/${asked}`), 404);
});

test('a picture attached shows a thumbnail; audio is no attachment of a notice', async () => {
	const photo = fs.readFileSync(path.join(SOURCE_DIR, 'tests', 'fixtures', 'sideways-gps.jpg'));
	const up = await upload(clients[ADMIN1], '操场.jpg', photo);
	assert.equal(up.status, 201, up.text);
	const r = await compose(ADMIN1, {
		kind: 'school', title: '操场开放', body: '见照片。', attachments: [up.json.id, fileId],
		audience: { class_ids: [cls['一年级1班']], roles: ['parent'] },
	});
	assert.equal(r.status, 201, r.text);
	const files = (await notice(ZHANG, r.json.id)).attachments;
	assert.deepEqual(files.map((f) => [f.id, f.kind]), [[up.json.id, 'image'], [fileId, 'pdf']],
		'in the order given; the PDF of the other notice may be attached again by its uploader');
	assert.equal(files[0].thumb, `/api/v1/files/${up.json.id}?variant=thumb`);
	assert.equal(files[1].thumb, undefined);
	const thumb = await clients[ZHANG].get(files[0].thumb);
	assert.equal(thumb.status, 200);
	assert.match(thumb.headers.get('content-type'), /^image\//);
	assert.match(thumb.headers.get('content-disposition'), /^inline;/);
});

test('the compose form posts one file_ids per uploaded file and the confirmation switch', async () => {
	const a = await upload(clients[ADMIN1], '一.pdf', pdf('one'));
	const b = await upload(clients[ADMIN1], '二.pdf', pdf('two'));
	const form = (extra) => clients[ADMIN1].request('POST', '/notices', {
		body: new URLSearchParams([
			['kind', 'school'], ['title', '表格'], ['body', '请填写附件。'], ['role_parent', '1'],
			[`class_${cls['一年级1班']}`, '1'], ['requires_confirmation', '1'], ...extra,
		]).toString(),
		headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
	});
	const r = await form([['file_ids', String(b.json.id)], ['file_ids', String(a.json.id)], ['file_ids', String(b.json.id)]]);
	assert.equal(r.status, 303, r.text.slice(0, 300));
	const id = Number(/\/notices\/(\d+)\/receipts/.exec(r.headers.get('location'))[1]);
	const n = await notice(ADMIN1, id);
	assert.equal(n.requires_confirmation, true);
	assert.deepEqual(n.attachments.map((f) => f.name), ['二.pdf', '一.pdf'], 'in the order posted, once each');
	// A bad id: the form again, saying which field, the good ids kept.
	const bad = await form([['file_ids', String(a.json.id)], ['file_ids', '987654']]);
	assert.equal(bad.status, 422);
	assert.match(bad.text, /附件：/);
	assert.match(bad.text, new RegExp(`name="file_ids" value="${a.json.id}"`));
	assert.match(bad.text, /id="notice-confirm"[^>]* checked/);
});

test('a bad attachment is 422 naming attachments, and nothing is stored', async () => {
	const before = await sentCount();
	const base = { kind: 'school', title: '附件', body: '见附件。', audience: { class_ids: [cls['一年级1班']], roles: ['parent'] } };
	assertProblem(await compose(ADMIN1, { ...base, attachments: [987654] }), 422, 'attachments');
	assertProblem(await compose(ADMIN1, { ...base, attachments: ['x'] }), 422, 'attachments');
	assertProblem(await compose(ADMIN1, { ...base, attachments: 5 }), 422, 'attachments');
	assertProblem(await compose(ADMIN1, { ...base, attachments: Array.from({ length: 21 }, (_, i) => i + 1) }), 422, 'attachments');
	assertProblem(await compose(ADMIN1, { ...base, requires_confirmation: 'yes' }), 422, 'requires_confirmation');
	// Someone else's upload cannot be attached by guessing its id.
	const other = await upload(clients[ZHANG], '别人的.pdf', pdf('zhang'));
	assert.equal(other.status, 201, other.text);
	assertProblem(await compose(ADMIN1, { ...base, attachments: [other.json.id] }), 422, 'attachments');
	// A good file with a bad one: all or nothing.
	const good = await upload(clients[ADMIN1], '好的.pdf', pdf('good'));
	assertProblem(await compose(ADMIN1, { ...base, attachments: [good.json.id, 987654] }), 422, 'attachments');
	assert.equal(await sentCount(), before);
	assert.equal(sql(`SELECT COUNT(*) FROM file_uses WHERE file_id = ${good.json.id}`), '0');
});

test('confirm: 204 and read, counted apart from read and unread; scope', async () => {
	const zhang = clients[ZHANG];
	assert.equal((await zhang.post(`/api/v1/inbox/${asked}/confirm`)).status, 204);
	const first = (await zhang.get('/api/v1/inbox')).json.items.find((i) => i.notice_id === asked);
	assert.equal(first.requires_confirmation, true);
	assert.ok(first.confirmed_at);
	assert.ok(first.read_at, 'confirming is reading');
	assert.equal((await zhang.post(`/api/v1/inbox/${asked}/confirm`)).status, 204, 'again: 204');
	const again = (await zhang.get('/api/v1/inbox')).json.items.find((i) => i.notice_id === asked);
	assert.equal(again.confirmed_at, first.confirmed_at, 'the first time is kept');
	assert.equal((await notice(ZHANG, asked)).confirmed_at, first.confirmed_at);

	// 李强 reads without confirming.
	assert.equal((await clients[LI].post(`/api/v1/inbox/${asked}/read`)).status, 204);

	const n = await notice(ADMIN1, asked);
	assert.equal(n.confirmed_count, 1);
	assert.equal(n.read_count, 2);
	const listed = (await clients[ADMIN1].get('/api/v1/notices')).json.items.find((x) => x.id === asked);
	assert.equal(listed.requires_confirmation, true);
	assert.equal(listed.confirmed_count, 1);
	assert.equal(n.unread_count, 0);
	const rc = await receipts(asked);
	assert.deepEqual(rc.confirmed.map((x) => x.name), ['张一鸣爸爸']);
	assert.deepEqual(rc.read.filter((x) => !x.confirmed_at).map((x) => x.name), ['李小华家长']);
	assert.deepEqual(rc.unread, []);

	// Not addressed to the acting identity, another school's parent, the
	// sender: 404. A notice that asks for no confirmation: 409.
	assertProblem(await clients[CHEN].post(`/api/v1/inbox/${asked}/confirm`), 404);
	assertProblem(await clients[QIAN].post(`/api/v1/inbox/${asked}/confirm`), 404);
	assertProblem(await clients[ADMIN1].post(`/api/v1/inbox/${asked}/confirm`), 404);
	assertProblem(await clients[ZHANG].post('/api/v1/inbox/999999/confirm'), 404);
	const r = await compose(ADMIN1, {
		kind: 'school', title: '放假通知', body: '元旦放假三天。', audience: { roles: ['parent'] },
	});
	assert.equal(r.status, 201, r.text);
	plain = r.json.id;
	assertProblem(await zhang.post(`/api/v1/inbox/${plain}/confirm`), 409);
	assert.equal((await notice(ADMIN1, plain)).confirmed_count, 0);
	// Without CSRF, refused.
	const bare = await server.request('POST', `/api/v1/inbox/${asked}/confirm`, { cookie: zhang.cookieHeader() });
	assert.equal(bare.status, 403);
});

test('remind the unconfirmed reaches only them; the unread by default, as before', async () => {
	const reminded = (id) => sql(`SELECT recipient FROM host_outbox WHERE ref = 'notice:${id}' AND channel = 'inapp' AND template = 'notice_remind' ORDER BY recipient`);
	const liPerson = sql(`SELECT person_id FROM host_accounts WHERE login = '${LI}'`);
	let r = await clients[ADMIN1].post(`/api/v1/notices/${asked}/remind`);
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(r.json, { reminded: 0 }, 'nobody is unread');
	r = await clients[ADMIN1].post(`/api/v1/notices/${asked}/remind`, { target: 'unconfirmed' });
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(r.json, { reminded: 1 });
	assert.equal(reminded(asked), liPerson, '李强 only: 张伟 confirmed');
	assertProblem(await clients[ADMIN1].post(`/api/v1/notices/${asked}/remind`, { target: 'everyone' }), 422, 'target');
	assertProblem(await clients[ADMIN1].post(`/api/v1/notices/${plain}/remind`, { target: 'unconfirmed' }), 422, 'target');
	r = await clients[ADMIN1].post(`/api/v1/notices/${plain}/remind`, { target: 'unread' });
	assert.equal(r.status, 200, r.text);
	assert.ok(r.json.reminded >= 1);
	assert.match(sql("SELECT detail FROM audit_log WHERE action = 'notices.remind' ORDER BY id DESC LIMIT 2"), /"target":"unconfirmed"/);
});

test('receipts name a parent as the family does, in both languages, and the counts add up', async () => {
	const rc = await receipts(plain);
	const n = await notice(ADMIN1, plain);
	const names = new Map([...rc.read, ...rc.unread].map((x) => [x.person_name, x.name]));
	assert.equal(names.get('张伟'), '张一鸣爸爸');
	assert.equal(names.get('李强'), '李小华家长');
	assert.equal(names.get('陈刚'), '陈小阳爸爸、陈小雨爸爸');
	for (const x of [...rc.read, ...rc.unread])
		assert.equal(typeof x.person_id, 'number');
	const confirmed = rc.confirmed.length;
	const readOnly = rc.read.filter((x) => !x.confirmed_at).length;
	assert.equal(confirmed + readOnly + rc.unread.length, n.recipients);
	assert.equal(n.read_count + n.unread_count, n.recipients);
	const asks = await receipts(asked);
	const m = await notice(ADMIN1, asked);
	assert.equal(asks.confirmed.length + asks.read.filter((x) => !x.confirmed_at).length + asks.unread.length, m.recipients);
	assert.equal(asks.confirmed.length, m.confirmed_count);
	// English: the names as entered, the family word in English.
	const en = await receipts(asked, '?lang=en');
	assert.deepEqual(en.confirmed.map((x) => x.name), ["张一鸣's father"]);
	assert.deepEqual(en.read.filter((x) => !x.confirmed_at).map((x) => x.name), ["李小华's parent"]);
	// The page shows the three groups apart, with counts.
	const page = await clients[ADMIN1].get(`/notices/${asked}/receipts`);
	assert.equal(page.status, 200);
	assert.match(page.text, /已确认（1）/);
	assert.match(page.text, /已读未确认（1）/);
	assert.match(page.text, /张一鸣爸爸/);
	assert.match(page.text, /name="target" value="unconfirmed"/);
});

test('WeChat: a parent without WeChat is unreachable, a job WeChat failed is failed; the page tells them apart', async () => {
	const r = await compose(ADMIN1, {
		kind: 'school', title: '停水通知', body: '周四停水。', audience: { class_ids: [cls['一年级1班']], roles: ['parent'] },
	});
	assert.equal(r.status, 201, r.text);
	const id = r.json.id;
	const link = `${PUBLIC_URL}/wx/enter?next=%2Fnotices%2F${id}`;
	const msg = await api.waitFor((m) => m.json?.touser === ZHANG_OPENID && m.json.url === link && m.answer?.body?.errcode === 0);
	// WeChat accepted 张伟's message (sent); 李强 has no openid
	// (unreachable, texted instead).
	await until(async () => {
		const d = (await notice(ADMIN1, id)).deliveries.wechat;
		return d.sent === 1 && d.unreachable === 1 && d.pending === 0;
	}, 'the first delivery to settle');
	// Then WeChat reports 张伟's job failed (an outage on its side).
	const timestamp = String(Math.floor(Date.now() / 1000));
	const nonce = '4711';
	const qs = new URLSearchParams({ signature: wechatSignature(WECHAT_TOKEN, timestamp, nonce), timestamp, nonce });
	const ev = await server.request('POST', `/wechat/callback?${qs}`, {
		body: Buffer.from(eventXml({ from: ZHANG_OPENID, event: 'TEMPLATESENDJOBFINISH', msgId: msg.answer.body.msgid, status: 'failed: system failed' })),
		headers: { 'Content-Type': 'text/xml' },
	});
	assert.equal(ev.status, 200, ev.text);
	const n = await until(async () => {
		const x = await notice(ADMIN1, id);
		return x.deliveries.wechat.failed === 1 && x.deliveries.sms.pending === 0 && x;
	}, 'the failure to be counted');
	assert.deepEqual(n.deliveries.wechat, { pending: 0, sent: 0, failed: 1, unreachable: 1 });
	assert.equal(n.wechat_unreachable_parents, 1);
	await gw.waitFor((m) => m.json?.phone === LI && m.json.template === 'notice');
	const page = await clients[ADMIN1].get(`/notices/${id}/receipts`);
	assert.match(page.text, /1 位家长未关注公众号，已改发短信/);
});
