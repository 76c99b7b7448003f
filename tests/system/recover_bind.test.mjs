// The login page's 忘记密码 and the personal centre's 绑定孩子 (issue 14),
// against the real binary on the demo district with the local SMS gateway
// stand-in:
// - /recover: the phone, then the code from the SMS and a new password;
//   the same page whether or not the phone has an account; mismatched
//   passwords and a wrong code are said on the page; a good code logs
//   the adult in with a one-time notice, the old password stops working;
// - /me offers 绑定孩子 to adults only; binding a child says so and asks
//   before the acting identity changes; switching is the adult's choice;
// - slip passwords: lower-case letters and digits without look-alikes,
//   shown in two groups of four that copy as the password itself.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './harness.mjs';
import { startSmsGateway } from '../stubs/sms-gateway.mjs';

const PW = 'Demo2026';
const PARENT = '13900000001';
const SLIP_ALPHABET = /^[a-hjkmnp-z2-9]{8}$/;
let server, gw;

before(async () => {
	gw = await startSmsGateway();
	server = await startServer({
		init: false,
		command: 'demo',
		set: { 'sms.api_base': gw.url, 'testing.notify_backoff_seconds': 1 },
	});
});

after(async () => {
	await server?.stop();
	await gw?.close();
});

function form(fields) {
	return {
		body: new URLSearchParams(fields).toString(),
		headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
	};
}

async function login(who, pw = PW) {
	const c = server.client();
	const r = await c.login(who, pw);
	assert.equal(r.status, 200, `login ${who}: ${r.status} ${r.text.slice(0, 200)}`);
	c.me = r.json;
	return c;
}

// The visible text of a page's <main>, without tags.
const mainText = (html) =>
	(html.match(/<main[\s\S]*<\/main>/)?.[0] ?? html).replace(/<[^>]*>/g, ' ');

test('the login page offers 忘记密码 and the recovery page takes a phone, a code and a new password', async () => {
	const anon = server.client();
	let r = await anon.get('/login');
	assert.equal(r.status, 200);
	assert.match(r.text, /<a class="jx-cell-link" href="\/recover">[\s\S]*?忘记密码/);

	r = await anon.get('/recover');
	assert.equal(r.status, 200);
	assert.match(r.text, /<h1 id="activate-title">找回密码<\/h1>/);
	assert.match(r.text, /<form method="post" action="\/recover"/);
	assert.doesNotMatch(mainText(r.text), /[A-Za-z]{4,}/, 'a zh-CN page shows Chinese only');

	// The same answer for a phone with an account and one without.
	const known = await anon.request('POST', '/recover', form({ phone: PARENT }));
	const unknown = await anon.request('POST', '/recover', form({ phone: '13700000009' }));
	assert.equal(known.status, 200, known.text.slice(0, 300));
	assert.equal(unknown.status, 200);
	const strip = (t) => mainText(t).replace(/1[37]\d{9}/g, 'PHONE').replace(/\s+/g, ' ');
	assert.equal(strip(known.text), strip(unknown.text), 'no account enumeration');
	assert.match(known.text, /name="code"/);

	// A malformed phone is said on the page.
	r = await anon.request('POST', '/recover', form({ phone: '12345' }));
	assert.equal(r.status, 422);
	assert.match(r.text, /role="alert">[^<]*手机号/);

	const msg = await gw.waitFor(
		(m) => m.json?.phone === PARENT && m.answer?.status === 200 && m.answer.body?.ok === true, 15000);
	const code = msg.json.params.code;
	assert.match(code, /^\d{6}$/);
	assert.equal(gw.received.filter((m) => m.json?.phone === '13700000009').length, 0);

	// Passwords that differ, then a wrong code: said on the page, no login.
	r = await anon.request('POST', '/recover', form({
		phone: PARENT, code, new_password: 'Family2027', new_password_again: 'Family2028',
	}));
	assert.equal(r.status, 422);
	assert.match(r.text, /role="alert"/);
	const wrong = code.slice(0, 5) + String((Number(code[5]) + 1) % 10);
	r = await anon.request('POST', '/recover', form({
		phone: PARENT, code: wrong, new_password: 'Family2027', new_password_again: 'Family2027',
	}));
	assert.ok(r.status === 422 || r.status === 401, `wrong code: ${r.status}`);
	assert.match(r.text, /role="alert"/);
	assert.equal((await anon.get('/api/v1/me')).status, 401, 'not logged in by a wrong code');

	// The right code: logged in, a one-time notice, the new password works.
	r = await anon.request('POST', '/recover', form({
		phone: PARENT, code, new_password: 'Family2027', new_password_again: 'Family2027',
	}));
	assert.equal(r.status, 303, r.text.slice(0, 300));
	const next = r.headers.get('location');
	assert.ok(next === '/' || next === '/me', next);
	assert.equal((await anon.get('/api/v1/me')).status, 200, 'logged in after recovery');
	r = await anon.get(next);
	assert.match(r.text, /class="jx-toast[^"]*"[^>]*>[^<]*密码已重新设置/);
	r = await anon.get(next);
	assert.doesNotMatch(r.text, /密码已重新设置/, 'the notice shows once');

	assert.equal((await server.client().login(PARENT, PW)).status, 401, 'the old password is gone');
	assert.equal((await server.client().login(PARENT, 'Family2027')).status, 200);

	// The recovery page of someone logged in goes home.
	r = await anon.get('/recover');
	assert.equal(r.status, 303);
});

// New students of the demo school's first class (the demo's own have
// chosen passwords): their slips, with initial passwords.
let newSlips;
async function freshSlips(admin, sid) {
	if (newSlips)
		return newSlips;
	const classes = (await admin.get(`/api/v1/schools/${sid}/classes`)).json;
	const klass = classes[0];
	const ids = new Set();
	for (let i = 0; i < 12; i++) {
		const r = await admin.post(`/api/v1/schools/${sid}/students`, {
			name: `新生${'一二三四五六七八九十'[i % 10]}${i}`, gender: i % 2 ? '女' : '男', class_id: klass.id,
		});
		assert.equal(r.status, 201, r.text.slice(0, 300));
		ids.add(r.json.id);
	}
	const r = await admin.get(`/api/v1/schools/${sid}/slips?class_id=${klass.id}`);
	assert.equal(r.status, 200, r.text.slice(0, 200));
	newSlips = { classId: klass.id, slips: r.json.filter((s) => ids.has(s.student_id)) };
	assert.equal(newSlips.slips.length, 12);
	return newSlips;
}

test('slip passwords: lower-case letters and digits without look-alikes, in two groups of four', async () => {
	const admin = await login('13800000002');
	const sid = admin.me.identities.find((i) => i.role === 'school_admin').school_id;
	const { classId, slips } = await freshSlips(admin, sid);
	const withPw = slips.filter((s) => s.initial_password);
	assert.ok(withPw.length >= 10, `the demo school has slips with passwords: ${withPw.length}`);
	for (const s of withPw)
		assert.match(s.initial_password, SLIP_ALPHABET, `${s.name}: ${s.initial_password}`);

	// The printed slips: each password in two groups that join up to it.
	const page = await admin.get(`/schools/${sid}/slips?class_id=${classId}`);
	assert.equal(page.status, 200);
	const shown = [...page.text.matchAll(
		/<span class="jx-password"><span class="jx-password-group">([^<]*)<\/span><span class="jx-password-group">([^<]*)<\/span><\/span>/g)]
		.map((m) => [m[1], m[2]]);
	assert.ok(shown.length >= withPw.length, `grouped passwords on the page: ${shown.length}`);
	for (const [a, b] of shown) {
		assert.equal(a.length, 4);
		assert.equal(b.length, 4);
	}
	const joined = new Set(shown.map(([a, b]) => a + b));
	for (const s of withPw)
		assert.ok(joined.has(s.initial_password), `the slip of ${s.name} shows its password grouped`);
	assert.doesNotMatch(page.text, new RegExp(`>${withPw[0].initial_password}<`), 'never printed in one run');
});

test('我的 offers 绑定孩子 to adults, and binding asks before switching identity', async () => {
	// A slip of a child the parent has not bound yet.
	const admin = await login('13800000002');
	const sid = admin.me.identities.find((i) => i.role === 'school_admin').school_id;
	const { slips } = await freshSlips(admin, sid);
	const parent = await login('13800000004');
	const bound = new Set(parent.me.identities.filter((i) => i.role === 'parent').map((i) => i.student_id));
	const slip = slips.find((s) => s.initial_password && !bound.has(s.student_id));
	assert.ok(slip, 'an unbound child with a slip password');

	let r = await parent.get('/me');
	assert.equal(r.status, 200);
	assert.match(r.text, /<a class="jx-cell-link" href="\/bind">[\s\S]*?绑定孩子/);

	// A student has no 绑定孩子.
	const kid = (await admin.get(`/api/v1/schools/${sid}/students?q=${encodeURIComponent('张一鸣')}`)).json;
	const student = await login((kid.items ?? kid)[0].account.login);
	r = await student.get('/me');
	assert.equal(r.status, 200);
	assert.doesNotMatch(r.text, /href="\/bind"/, 'students do not bind children');

	const before = (await parent.get('/api/v1/me')).json.acting_identity_id;
	r = await parent.get('/bind');
	assert.equal(r.status, 200);
	assert.match(r.text, /class="jx-form-row/);
	r = await parent.request('POST', '/bind', form({
		student_login: slip.login, student_password: slip.initial_password, relation: '父亲',
		csrf_token: parent.csrfToken,
	}));
	assert.equal(r.status, 200, r.text.slice(0, 400));
	assert.match(r.text, new RegExp(`已绑定 ${slip.name}`));
	assert.match(r.text, /要现在切换到/);
	const newId = Number(r.text.match(/<input type="hidden" name="identity_id" value="(\d+)">/)?.[1]);
	assert.ok(newId > 0, 'the page offers the new identity');
	assert.match(r.text, /<a class="jx-cell-link" href="\/me">[\s\S]*?暂不切换/);

	// Binding did not change the acting identity.
	let me = (await parent.get('/api/v1/me')).json;
	assert.equal(me.acting_identity_id, before, 'the acting identity stays until the adult says');
	const added = me.identities.find((i) => i.id === newId);
	assert.equal(added?.role, 'parent');
	assert.equal(added?.student_id, slip.student_id);

	// The adult chooses to switch.
	r = await parent.request('POST', '/me/identity', form({
		identity_id: String(newId), next: '/', csrf_token: parent.csrfToken,
	}));
	assert.equal(r.status, 303);
	me = (await parent.get('/api/v1/me')).json;
	assert.equal(me.acting_identity_id, newId);

	// A wrong slip password is said on the form, nothing bound.
	r = await parent.request('POST', '/bind', form({
		student_login: slips.find((s) => s.student_id !== slip.student_id && !bound.has(s.student_id)).login,
		student_password: 'wrongpw1', relation: '母亲', csrf_token: parent.csrfToken,
	}));
	assert.equal(r.status, 422);
	assert.match(r.text, /role="alert">[^<]*学生账号或密码不正确/);
});
