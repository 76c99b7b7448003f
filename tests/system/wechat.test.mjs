// System test of the wechat plugin against the real binary and the local
// WeChat API stand-in (tests/stubs/wechat-api.mjs): template messages reach
// the right openid with a link and fields cut to WeChat's 20 characters;
// the access token is cached and replaced when WeChat calls it invalid
// (40001); 43004 marks the openid unfollowed and the message unreachable
// (wechat.v1 followed → 0); 45009 is retried; the callback refuses forged
// signatures, echoes echostr, and follows subscribe/unsubscribe and
// TEMPLATESENDJOBFINISH; a parent binds an openid by OAuth code.
//
// Messages are queued through the test-only plugin outbox_probe (host->send
// in one transaction), which also records every notify.result event.

import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startServer } from './harness.mjs';
import { startWechatApi, wechatSignature, eventXml } from '../stubs/wechat-api.mjs';
import { probePluginDir, wechatSettings, until, WECHAT_TOKEN, TEMPLATE_ID } from './outbox-probe.mjs';

const PW = 'Demo2026';
const LONG_TITLE = '关于二〇二六年春季学期开学典礼及新生报到安排的重要通知'; // 28 characters

let api, server, admin, pluginDir;

test.before(async () => {
	api = await startWechatApi();
	pluginDir = probePluginDir();
	server = await startServer({
		command: 'demo',
		init: false,
		set: wechatSettings(api, pluginDir, { public_url: 'https://jx.example.cn' }),
	});
	admin = server.client();
	const r = await admin.login('admin', PW);
	assert.equal(r.status, 200, r.text);
});

test.after(async () => {
	await server?.stop();
	await api?.close();
	fs.rmSync(pluginDir, { recursive: true, force: true });
});

async function people(n, prefix) {
	const r = await admin.post('/api/v1/test/wechat-people', { n, prefix });
	assert.equal(r.status, 201, r.text);
	return r.json.person_ids;
}

async function send(to, ref, params = {}, template = 'notice') {
	const r = await admin.post('/api/v1/test/send', { channel: 'wechat', to, template, params, ref });
	assert.equal(r.status, 201, r.text);
	return r.json.ids;
}

const outbox = async (ref) => (await admin.get(`/api/v1/test/outbox?ref=${encodeURIComponent(ref)}`)).json.items;
const results = async (ref) =>
	(await admin.get(`/api/v1/test/results?ref=${encodeURIComponent(ref)}`)).json.items.map((r) => JSON.parse(r.payload));
const followed = async (pid) => (await admin.get(`/api/v1/test/followed/${pid}`)).json.followed;

// Waits until every row of ref left pending/sending; returns the rows.
const settled = (ref, n = 1) =>
	until(async () => {
		const rows = await outbox(ref);
		return rows.length >= n && rows.every((r) => r.state === 'sent' || r.state === 'failed') && rows;
	}, `outbox rows of ${ref} to settle`);

const sendsTo = (openid) => api.sends().filter((r) => r.json.touser === openid);

test('a template message reaches the right openid with the link and fields of at most 20 characters', async () => {
	const [pid] = await people(1, 'oA-');
	const url = 'https://jx.example.cn/notices/12';
	await send([pid], 'notice:12', { title: LONG_TITLE, from: '岳麓区第一小学教务处王芳老师', sent_at: '2026-03-01 08:30', kind: '学校通知', url });
	const [row] = await settled('notice:12');
	assert.equal(row.state, 'sent', JSON.stringify(row));
	assert.equal(row.recipient, String(pid));

	const [msg] = sendsTo('oA-0');
	assert.ok(msg, 'the stand-in received the message');
	assert.equal(msg.json.template_id, TEMPLATE_ID);
	// A page of this site is opened through the OAuth entry (issue 13).
	assert.equal(msg.json.url, 'https://jx.example.cn/wx/enter?next=%2Fnotices%2F12');
	assert.match(msg.json.client_msg_id, /^[0-9a-f]{32}-\d+$/, 'the idempotency key goes along');
	const data = msg.json.data;
	assert.deepEqual(Object.keys(data).sort(), ['from', 'kind', 'sent_at', 'title']);
	for (const [k, v] of Object.entries(data))
		assert.ok([...v.value].length <= 20, `${k} is ${[...v.value].length} characters`);
	assert.equal(data.title.value, [...LONG_TITLE].slice(0, 19).join('') + '…');
	assert.equal(data.kind.value, '学校通知');
	assert.equal(data.sent_at.value, '2026-03-01 08:30');

	// The settling transaction published the result.
	const [ev] = await results('notice:12');
	assert.deepEqual(
		{ id: ev.id, channel: ev.channel, to: ev.to, ref: ev.ref, template: ev.template, state: ev.state, code: ev.code },
		{ id: row.id, channel: 'wechat', to: String(pid), ref: 'notice:12', template: 'notice', state: 'sent', code: null });
});

test('the access token is fetched once, kept, and replaced once WeChat calls it invalid (40001)', async () => {
	const before = api.tokenRequests().length;
	assert.ok(before >= 1);
	const pids = await people(3, 'oB-');
	await send(pids, 'tok:1', { title: '缓存' });
	await settled('tok:1', 3);
	assert.equal(api.tokenRequests().length, before, 'three more messages, no new token');

	api.expireTokens();
	await send([pids[0]], 'tok:2', { title: '刷新' });
	const [row] = await settled('tok:2');
	assert.equal(row.state, 'sent', JSON.stringify(row));
	const tokens = api.tokenRequests();
	assert.equal(tokens.length, before + 1, 'one new token');
	assert.equal(tokens.at(-1).json.force_refresh, true, 'a refused token forces a new one');
	const tries = api.received.filter((r) => r.path === '/cgi-bin/message/template/send' && r.json?.data?.title?.value === '刷新');
	assert.equal(tries.length, 2, 'refused once, sent again with the new token');
	assert.equal(tries[0].answer.body.errcode, 40001);
	assert.equal(tries[1].answer.body.errcode, 0);
	assert.notEqual(tries[0].query.access_token, tries[1].query.access_token);
	assert.equal(tries[1].query.access_token, tokens.at(-1).answer.body.access_token);
});

test('43004 marks the openid unfollowed and the message unreachable; nothing more is sent to it', async () => {
	const [pid] = await people(1, 'oC-');
	assert.equal(await followed(pid), 1);
	api.unfollow('oC-0');
	await send([pid], 'unf:1');
	const [row] = await settled('unf:1');
	assert.equal(row.state, 'failed');
	assert.match(row.last_error, /^unreachable: 43004/);
	const [ev] = await results('unf:1');
	assert.equal(ev.state, 'failed');
	assert.equal(ev.code, 'unreachable');
	assert.equal(await followed(pid), 0, 'wechat.v1 says bound but not followed');
	assert.equal(await followed(987654321), -1, 'no binding at all');

	const n = api.received.length;
	await send([pid], 'unf:2');
	const [again] = await settled('unf:2');
	assert.equal(again.state, 'failed');
	assert.match(again.last_error, /^unreachable: every bound openid has unfollowed/);
	assert.equal(api.received.length, n, 'the stand-in heard nothing for a known unfollowed openid');
});

test('40003 marks the openid invalid; 45009 (quota) is retried later', async () => {
	const [bad, busy] = await people(2, 'oD-');
	api.invalidOpenid('oD-0');
	await send([bad], 'inv:1');
	const [row] = await settled('inv:1');
	assert.equal(row.state, 'failed');
	assert.match(row.last_error, /^unreachable: 40003/);
	assert.equal(await followed(bad), 0);

	api.failNext(1, 45009);
	await send([busy], 'quota:1');
	const [q] = await settled('quota:1');
	assert.equal(q.state, 'sent');
	assert.equal(q.attempts, 2, 'one refusal for the quota, then accepted');
	assert.equal(sendsTo('oD-1').length, 1);
});

function signed(query = {}, token = WECHAT_TOKEN) {
	const timestamp = String(Math.floor(Date.now() / 1000));
	const nonce = String(Math.floor(Math.random() * 1e9));
	const qs = new URLSearchParams({ signature: wechatSignature(token, timestamp, nonce), timestamp, nonce, ...query });
	return `/wechat/callback?${qs}`;
}

const postEvent = (pathQ, xml) => server.request('POST', pathQ, { body: Buffer.from(xml), headers: { 'Content-Type': 'text/xml' } });

test('the callback checks the signature: echostr is echoed, forged and missing ones are refused', async () => {
	const ok = await server.request('GET', signed({ echostr: 'echo-4711' }));
	assert.equal(ok.status, 200, ok.text);
	assert.equal(ok.text, 'echo-4711');

	const forged = await server.request('GET', signed({ echostr: 'x' }, 'not-the-token'));
	assert.equal(forged.status, 403);
	assert.doesNotMatch(forged.text, /x$/);
	const missing = await server.request('GET', '/wechat/callback?echostr=x&timestamp=1&nonce=2');
	assert.equal(missing.status, 403);
	// A signature for other parameters does not carry over.
	const moved = signed({ echostr: 'y' }).replace(/timestamp=\d+/, 'timestamp=1');
	assert.equal((await server.request('GET', moved)).status, 403);
});

test('subscribe and unsubscribe events flip the follow status; a forged event changes nothing', async () => {
	const [pid] = await people(1, 'oE-');
	const unsub = eventXml({ from: 'oE-0', event: 'unsubscribe' });
	const forged = await postEvent(signed({}, 'wrong'), unsub);
	assert.equal(forged.status, 403);
	assert.equal(await followed(pid), 1, 'a forged unsubscribe is ignored');

	const r = await postEvent(signed(), unsub);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.text, 'success');
	assert.equal(await followed(pid), 0);
	assert.equal((await postEvent(signed(), eventXml({ from: 'oE-0', event: 'subscribe' }))).status, 200);
	assert.equal(await followed(pid), 1);

	const bad = await postEvent(signed(), '<xml><FromUserName>oE-0');
	assert.equal(bad.status, 400);
});

// Issue 10, finding 1: the callback's XML is read on a worker's 100 KiB
// stack. Entity references nested in a DTD made expat (2.5) recurse until
// it overflowed; a document type declaration is refused now (WeChat sends
// none), as is nesting deeper than 8 elements, and the server lives on.
test('a DTD or deep nesting in the callback is refused with 400; the server lives', async () => {
	const [pid] = await people(1, 'oX-');
	const entities = Array.from({ length: 2000 }, (_, i) => `<!ENTITY e${i} "&e${i + 1};">`).join('');
	const bodies = [
		`<!DOCTYPE x [${entities}<!ENTITY e2000 "x">]><xml><FromUserName>oX-0</FromUserName><MsgType>event</MsgType><Event>&e0;</Event></xml>`,
		'<?xml version="1.0"?><!DOCTYPE xml><xml><FromUserName>oX-0</FromUserName><MsgType>event</MsgType><Event>unsubscribe</Event></xml>',
		`<xml>${'<a>'.repeat(7000)}${'</a>'.repeat(7000)}<FromUserName>oX-0</FromUserName><MsgType>event</MsgType><Event>unsubscribe</Event></xml>`,
	];
	for (const xml of bodies) {
		const r = await postEvent(signed(), xml);
		assert.equal(r.status, 400, r.text.slice(0, 200));
		assert.equal((await server.request('GET', '/healthz')).status, 200);
	}
	assert.equal(await followed(pid), 1, 'no refused event changed anything');
	// Nesting up to 8 elements is still read.
	const ok = await postEvent(signed(), `<xml><FromUserName>oX-0</FromUserName><MsgType>event</MsgType><Event>unsubscribe</Event><Extra>${'<a>'.repeat(6)}${'</a>'.repeat(6)}</Extra></xml>`);
	assert.equal(ok.status, 200, ok.text);
	assert.equal(await followed(pid), 0);
});

test('TEMPLATESENDJOBFINISH with a failure fails the delivery and tells notify.result', async () => {
	const [ok, blocked] = await people(2, 'oF-');
	await send([ok, blocked], 'job:1');
	const rows = await settled('job:1', 2);
	assert.ok(rows.every((r) => r.state === 'sent'));
	const msgid = (openid) => sendsTo(openid)[0].answer.body.msgid;

	assert.equal((await postEvent(signed(), eventXml({ from: 'oF-0', event: 'TEMPLATESENDJOBFINISH', msgId: msgid('oF-0'), status: 'success' }))).status, 200);
	assert.equal((await postEvent(signed(), eventXml({ from: 'oF-1', event: 'TEMPLATESENDJOBFINISH', msgId: msgid('oF-1'), status: 'failed:user block' }))).status, 200);
	const after = await outbox('job:1');
	assert.equal(after.find((r) => r.recipient === String(ok)).state, 'sent');
	const failed = after.find((r) => r.recipient === String(blocked));
	assert.equal(failed.state, 'failed');
	assert.match(failed.last_error, /^unreachable: failed:user block/);
	const evs = await results('job:1');
	assert.deepEqual(evs.filter((e) => e.state === 'failed').map((e) => [e.id, e.code]), [[failed.id, 'unreachable']]);
	assert.equal(await followed(blocked), 0, 'a user who blocks the messages is not reachable');
	// An unknown msgid is acknowledged and ignored.
	assert.equal((await postEvent(signed(), eventXml({ from: 'oF-1', event: 'TEMPLATESENDJOBFINISH', msgId: 1, status: 'failed: system failed' }))).status, 200);
});

test('a parent binds an openid with an OAuth code (POST /api/v1/me/wechat)', async () => {
	const anon = await server.request('POST', '/api/v1/me/wechat', { json: { code: 'c1' } });
	assert.equal(anon.status, 401);

	const parent = server.client();
	assert.equal((await parent.login('13900000001', PW)).status, 200);
	const pid = (await admin.get('/api/v1/test/person?login=13900000001')).json.person_id;
	assert.ok(pid > 0);
	assert.equal(await followed(pid), -1);

	for (const body of [{}, { code: '' }, { code: 42 }, { code: 'a b' }]) {
		const r = await parent.post('/api/v1/me/wechat', body);
		assert.equal(r.status, 422, JSON.stringify(body));
		assert.ok(r.json.errors.some((e) => e.field === 'code'));
	}
	const wrong = await parent.post('/api/v1/me/wechat', { code: 'never-issued' });
	assert.equal(wrong.status, 422);
	assert.ok(wrong.json.errors.some((e) => e.field === 'code'));

	api.addCode('code-zhangwei', 'oP-zhangwei');
	const r = await parent.post('/api/v1/me/wechat', { code: 'code-zhangwei' });
	assert.equal(r.status, 204, r.text);
	assert.equal(await followed(pid), 1);
	const oauth = api.received.filter((x) => x.path === '/sns/oauth2/access_token').at(-1);
	assert.equal(oauth.query.appid, api.appid);
	assert.equal(oauth.query.grant_type, 'authorization_code');
	assert.equal(oauth.query.code, 'code-zhangwei');

	const used = await parent.post('/api/v1/me/wechat', { code: 'code-zhangwei' });
	assert.equal(used.status, 422, 'a code is good once');

	// A reply nesting thousands of levels (a broken or hostile upstream) is
	// read on the worker's 100 KiB stack: refused before cJSON recurses.
	let deep = 1;
	for (let i = 0; i < 1500; i++)
		deep = { a: deep };
	api.addCode('code-deep', 'oP-deep', { pad: deep });
	const d = await parent.post('/api/v1/me/wechat', { code: 'code-deep' });
	assert.ok(d.status >= 400 && d.status !== 500, `${d.status} ${d.text.slice(0, 200)}`);
	assert.equal((await server.request('GET', '/healthz')).status, 200);
	assert.equal(await followed(pid), 1, 'still the first binding');

	// The bound parent now gets template messages.
	await send([pid], 'bound:1', { title: '家长会' });
	const [row] = await settled('bound:1');
	assert.equal(row.state, 'sent');
	assert.equal(sendsTo('oP-zhangwei').length, 1);
	// No secret in the logs.
	assert.doesNotMatch(server.logs(), new RegExp(api.secret));
	assert.doesNotMatch(server.logs(), /tok-\d+-/);
});
