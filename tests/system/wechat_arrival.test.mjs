// System test of parents arriving from WeChat (issue 13): a link from the
// official account (/wx/enter?next=...) goes through WeChat's web
// authorisation (the stand-in's /connect/oauth2/authorize, configured as
// wechat.authorize_url) and back to /wx/callback, where
//
// - a state that is not the one this browser was given → 400, no session;
// - an unbound openid → the binding page (/wx/bind), which after a login
//   binds the openid and continues to next;
// - a bound openid → a session for its account (audit-logged, via wechat)
//   and a redirect to next, the notice itself;
// - next=//evil.example (or any non-local path) → "/";
// - a template message about a notice links through /wx/enter.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startServer, BUILD_DIR } from './harness.mjs';
import { startWechatApi } from '../stubs/wechat-api.mjs';

const PW = 'Demo2026';
const PARENT = '13900000001'; // 张伟, 张一鸣's father (1年级1班)
const TEACHER = '13800000003'; // 王芳, head teacher of 1年级1班
const PUBLIC_URL = 'https://jx.example.cn';

let api, server, noticeId;

test.before(async () => {
	api = await startWechatApi();
	server = await startServer({
		command: 'demo',
		init: false,
		set: {
			plugin_dir: path.join(BUILD_DIR, 'plugins'),
			public_url: PUBLIC_URL,
			'wechat.api_base': api.url,
			'wechat.authorize_url': api.authorizeUrl,
			'wechat.appid': api.appid,
			'wechat.secret': api.secret,
			'wechat.token': 'arrival-token',
			'wechat.template_id': 'TPL-arrival',
			'testing.notify_backoff_seconds': 1,
		},
	});
	const teacher = server.client();
	assert.equal((await teacher.login(TEACHER, PW)).status, 200);
	const me = await teacher.get('/api/v1/me');
	const classId = me.json.identities.find((i) => i.role === 'teacher').head_of_class_ids[0];
	const r = await teacher.post('/api/v1/notices', {
		kind: 'homework', title: '周末阅读作业', body: '读完第三章。',
		audience: { class_ids: [classId], roles: ['parent'] },
	});
	assert.equal(r.status, 201, r.text);
	noticeId = r.json.id;
});

test.after(async () => {
	await server?.stop();
	await api?.close();
});

function sql(script) {
	const r = spawnSync('sqlite3', [path.join(server.dataDir, 'jiaxiao.db')], { input: `.timeout 5000\n${script}`, encoding: 'utf8' });
	assert.equal(r.status, 0, r.stderr);
	return r.stdout.trim();
}

const cookieOf = (r, name) => (r.headers.getSetCookie?.() ?? []).find((c) => c.startsWith(`${name}=`));

// /wx/enter → the authorize page (as WeChat, for openid) → the callback
// URL WeChat sends the browser back to (as a local path of jiaxiao).
async function authorize(client, next, openid) {
	const enter = await client.get(`/wx/enter?next=${encodeURIComponent(next)}`);
	assert.equal(enter.status, 302, enter.text);
	const to = new URL(enter.headers.get('location'));
	assert.equal(`${to.origin}${to.pathname}`, api.authorizeUrl, 'the authorize address from the config');
	assert.equal(to.hash, '#wechat_redirect');
	assert.equal(to.searchParams.get('appid'), api.appid);
	assert.equal(to.searchParams.get('scope'), 'snsapi_base');
	assert.equal(to.searchParams.get('response_type'), 'code');
	const state = to.searchParams.get('state');
	assert.match(state, /^[0-9a-f]{32}$/);
	const back = new URL(to.searchParams.get('redirect_uri'));
	assert.equal(back.origin, PUBLIC_URL, 'WeChat sends the browser back to public_url');
	assert.equal(back.pathname, '/wx/callback');
	const c = cookieOf(enter, 'jx_wx_state');
	assert.ok(c, 'the state is tied to the browser by a cookie');
	assert.match(c, new RegExp(`^jx_wx_state=${state};`));
	assert.match(c, /HttpOnly/);
	assert.match(c, /SameSite=Lax/);
	assert.match(c, /Max-Age=\d+/);

	to.hash = '';
	to.searchParams.set('openid', openid);
	const wx = await fetch(to, { redirect: 'manual' });
	assert.equal(wx.status, 302);
	const cb = new URL(wx.headers.get('location'));
	assert.equal(cb.searchParams.get('state'), state);
	assert.ok(cb.searchParams.get('code'));
	return { path: `${cb.pathname}${cb.search}`, state };
}

test('a state that is not this browser\'s is refused with 400 and no session', async () => {
	const victim = server.client();
	const attacker = server.client();
	const { path: cb } = await authorize(attacker, '/me', 'o-attacker');

	// The attacker's callback URL opened in another browser (login CSRF).
	const r = await victim.get(cb);
	assert.equal(r.status, 400, r.text);
	assert.match(r.headers.get('content-type'), /text\/html/);
	assert.match(r.text, /重新进入/);
	assert.equal(cookieOf(r, 'jx_session'), undefined, 'no session');
	assert.equal((await victim.get('/api/v1/me')).status, 401);

	// This browser's own flow with the state changed.
	const { path: mine, state } = await authorize(victim, '/me', 'o-attacker');
	const flipped = mine.replace(`state=${state}`, `state=${state.slice(0, 31)}${state[31] === '0' ? '1' : '0'}`);
	const f = await victim.get(flipped);
	assert.equal(f.status, 400);
	assert.equal(cookieOf(f, 'jx_session'), undefined);
	const none = await victim.get(mine.replace(/&?state=[0-9a-f]+/, ''));
	assert.equal(none.status, 400, 'no state at all');
	assert.equal((await victim.get('/api/v1/me')).status, 401);
});

test('an unbound openid goes to the binding page; a login there binds it and continues to the notice', async () => {
	const b = server.client();
	const next = `/notices/${noticeId}`;
	const { path: cb } = await authorize(b, next, 'o-zhangwei');
	const r = await b.get(cb);
	assert.equal(r.status, 303, r.text);
	assert.equal(r.headers.get('location'), '/wx/bind');
	assert.equal(cookieOf(r, 'jx_session'), undefined, 'not logged in by an unbound openid');
	assert.ok(cookieOf(r, 'jx_wx_bind'));

	const page = await b.get('/wx/bind');
	assert.equal(page.status, 200, page.text);
	assert.match(page.text, /<form method="post" action="\/login"/);
	assert.match(page.text, /name="next" value="\/wx\/bind"/);
	assert.match(page.text, /href="\/activate\?next=\/wx\/bind"/, 'accounts without a password activate by SMS');

	const login = await b.request('POST', '/login', {
		body: new URLSearchParams({ login: PARENT, password: PW, next: '/wx/bind' }).toString(),
		headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: server.url },
	});
	assert.equal(login.status, 303, login.text);
	assert.equal(login.headers.get('location'), '/wx/bind');
	const done = await b.get('/wx/bind');
	assert.equal(done.status, 303, done.text);
	assert.equal(done.headers.get('location'), next, 'on to the page the link named');
	const notice = await b.get(next);
	assert.equal(notice.status, 200);
	assert.match(notice.text, /周末阅读作业/);

	// The binding is used up: the page does not bind again.
	assert.equal((await b.get('/wx/bind')).status, 400);
});

test('a bound openid logs its account in and lands on next, audit-logged', async () => {
	const p = server.client();
	const next = `/notices/${noticeId}`;
	const { path: cb } = await authorize(p, next, 'o-zhangwei');
	const r = await p.get(cb);
	assert.equal(r.status, 303, r.text);
	assert.equal(r.headers.get('location'), next);
	const session = cookieOf(r, 'jx_session');
	assert.match(session ?? '', /^jx_session=[0-9a-f]{64};.*HttpOnly/);
	const me = await p.get('/api/v1/me');
	assert.equal(me.status, 200);
	assert.equal(me.json.account.login, PARENT, me.text);
	const notice = await p.get(next);
	assert.equal(notice.status, 200);
	assert.match(notice.text, /周末阅读作业/);
	assert.equal(sql(`SELECT detail FROM audit_log WHERE action = 'auth.login' AND target = '${PARENT}' ORDER BY id DESC LIMIT 1;`),
		'{"via":"wechat"}', 'the login is audit-logged as one through WeChat');
	assert.ok(Number(sql(`SELECT count(*) FROM audit_log WHERE action = 'wechat.bound';`)) >= 1, 'the binding was audit-logged');

	// Logged in already: the next link goes straight to its page.
	const direct = await p.get(`/wx/enter?next=${encodeURIComponent(next)}`);
	assert.equal(direct.status, 303);
	assert.equal(direct.headers.get('location'), next);

	// The code is good once: the same callback again is refused.
	const again = server.client();
	assert.equal((await again.get(cb)).status, 400);
});

test('next that leaves the site becomes "/"', async () => {
	for (const bad of ['//evil.example/x', '/\\evil.example', 'https://evil.example/', '/\tx', '/notices/1"><x']) {
		const p = server.client();
		const { path: cb } = await authorize(p, bad, 'o-zhangwei');
		assert.match(cb, /next=%2F(&|$)/, `the callback carries "/" for ${JSON.stringify(bad)}: ${cb}`);
		const r = await p.get(cb.replace(/next=[^&]*/, `next=${encodeURIComponent(bad)}`));
		assert.equal(r.status, 303, r.text);
		assert.equal(r.headers.get('location'), '/', `${JSON.stringify(bad)} → /`);
	}
});

test('template messages about a notice link through the WeChat entry', async () => {
	const parent = server.client();
	assert.equal((await parent.login(PARENT, PW)).status, 200);
	const teacher = server.client();
	assert.equal((await teacher.login(TEACHER, PW)).status, 200);
	const me = await teacher.get('/api/v1/me');
	const classId = me.json.identities.find((i) => i.role === 'teacher').head_of_class_ids[0];
	const r = await teacher.post('/api/v1/notices', {
		kind: 'homework', title: '家长会', body: '周五下午三点。',
		audience: { class_ids: [classId], roles: ['parent'] },
	});
	assert.equal(r.status, 201, r.text);
	const sent = await api.waitFor((e) => e.path === '/cgi-bin/message/template/send' && e.json?.touser === 'o-zhangwei' &&
		e.json?.url?.includes(`%2Fnotices%2F${r.json.id}`), 20000);
	assert.equal(sent.json.url, `${PUBLIC_URL}/wx/enter?next=%2Fnotices%2F${r.json.id}`);
});

test('an account that must change its password does so first, then lands on next', async () => {
	sql(`UPDATE accounts SET must_change_password = 1 WHERE login = '${PARENT}';`);
	const p = server.client();
	const next = `/notices/${noticeId}`;
	const { path: cb } = await authorize(p, next, 'o-zhangwei');
	const r = await p.get(cb);
	assert.equal(r.status, 303, r.text);
	assert.equal(r.headers.get('location'), next);
	const gate = await p.get(next);
	assert.equal(gate.status, 303, 'the forced change comes first');
	const to = new URL(gate.headers.get('location'), server.url);
	assert.equal(to.pathname, '/me/password');
	assert.equal(to.searchParams.get('next'), next, 'the gate keeps the page asked for');
	const form = await p.get(gate.headers.get('location'));
	assert.equal(form.status, 200);
	assert.match(form.text, new RegExp(`name="next" value="${next}"`));
	const csrf = /name="csrf_token" value="([0-9a-f]+)"/.exec(form.text)[1];
	const changed = await p.request('POST', '/me/password', {
		body: new URLSearchParams({ csrf_token: csrf, old_password: PW, new_password: 'Jiazhang2027', new_password_again: 'Jiazhang2027', next }).toString(),
		headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: server.url },
	});
	assert.equal(changed.status, 303, changed.text);
	assert.equal(changed.headers.get('location'), next);
	assert.equal((await p.get(next)).status, 200);
});
