// System test of password recovery by SMS (API.md, "Session and identity")
// and of the sms plugin, against the real binary and the local SMS gateway
// stand-in (tests/stubs/sms-gateway.mjs): codes go out through the gateway
// protocol, nothing tells whether a phone has an account, wrong codes are
// counted and throttled, a code dies after five tries and after ten
// minutes, a good code sets the password and ends every session, and the
// adapter retries what may succeed later and gives up on what will not.
//
// Time moves by restarting the server with testing.clock_offset_seconds
// (the test build); delivery retries are fast with
// testing.notify_backoff_seconds = 1.

import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, BUILD_DIR, DEFAULT_ADMIN_PASSWORD } from './harness.mjs';
import { startSmsGateway } from '../stubs/sms-gateway.mjs';

// Each scenario has its own phone, so the one-code-a-minute limit of one
// does not hold up another.
const PHONE = {
	main: '13912345678', // the full flow
	marker: '13912340001', // a message that proves earlier ones are done
	retry: '13912340002', // the gateway fails twice with 500
	reject: '13912340003', // the gateway refuses the number
	down: '13912340004', // the gateway drops the connection
	expire: '13912340005', // a code left to expire
};
const UNKNOWN = '13700000000';
const NEW_PASSWORD = 'Recovered2026';
const PROBLEM_TYPE = /^application\/problem\+json/;

function settings(gw, extra = {}) {
	return {
		plugin_dir: path.join(BUILD_DIR, 'plugins'),
		plugins: '{"sms"}',
		'testing.notify_backoff_seconds': 1,
		...(gw ? { 'sms.api_base': gw.url } : {}),
		...extra,
	};
}

function assertProblem(r, status, field) {
	assert.equal(r.status, status, `status ${r.status}: ${r.text.slice(0, 300)}`);
	assert.match(r.headers.get('content-type') ?? '', PROBLEM_TYPE);
	if (field !== undefined)
		assert.ok(
			(r.json?.errors ?? []).some((e) => e.field === field),
			`the problem names field ${field}: ${r.text}`);
}

const requestCode = (server, phone, opts = {}) =>
	server.request('POST', '/api/v1/password-recovery', { json: { phone }, ...opts });
const verify = (server, phone, code, newPassword = NEW_PASSWORD) =>
	server.request('POST', '/api/v1/password-recovery/verify', {
		json: { phone, code, new_password: newPassword },
	});

// Requests the stand-in received for phone, and those it accepted.
const toPhone = (gw, phone) => gw.received.filter((r) => r.json?.phone === phone);
const acceptedFor = (gw, phone) =>
	toPhone(gw, phone).filter((r) => r.answer?.status === 200 && r.answer.body?.ok === true);

// Waits until the stand-in accepted a message for phone; returns its code.
async function codeFor(gw, phone, timeoutMs = 15000) {
	const msg = await gw.waitFor(
		(r) => r.json?.phone === phone && r.answer?.status === 200 && r.answer.body?.ok === true,
		timeoutMs);
	return msg.json.params.code;
}

// A different six-digit code.
const wrong = (code) => code.slice(0, 5) + String((Number(code[5]) + 1) % 10);

async function waitLog(server, re, timeoutMs = 10000) {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (re.test(server.logs()))
			return;
		await new Promise((r) => setTimeout(r, 100));
	}
	assert.fail(`no log line matching ${re} within ${timeoutMs} ms:\n${server.logs().slice(-3000)}`);
}

test('password recovery through the SMS gateway', async (t) => {
	const gw = await startSmsGateway();
	// The accounts are made before the gateway is configured: without
	// one, adults get random initial passwords (API.md, "Logins"), so
	// they can log in before they recover.
	const server = await startServer({ set: settings(null) });
	t.after(async () => {
		await server.stop();
		await gw.close();
	});
	const codes = [];
	const initial = {};

	// People with phones: district admins created by the city admin.
	const admin = server.client();
	let r = await admin.login('admin', DEFAULT_ADMIN_PASSWORD);
	assert.equal(r.status, 200, r.text);
	r = await admin.post('/api/v1/districts', { code: '430102', name: '芙蓉区' });
	assert.equal(r.status, 201, `POST /api/v1/districts: ${r.text}`);
	const did = r.json.id;
	for (const [i, phone] of Object.values(PHONE).entries()) {
		r = await admin.post(`/api/v1/districts/${did}/admins`, { name: `管理员${i}`, phone });
		assert.equal(r.status, 201, `POST /api/v1/districts/${did}/admins: ${r.text}`);
		assert.equal(r.json.login, phone);
		initial[phone] = r.json.initial_password;
	}
	await server.restart({ set: settings(gw) });

	await t.test('malformed and invalid input', async () => {
		for (const p of ['/api/v1/password-recovery', '/api/v1/password-recovery/verify']) {
			r = await server.request('POST', p, {
				body: '{"phone": 1390',
				headers: { 'Content-Type': 'application/json' },
			});
			assertProblem(r, 400);
			r = await server.request('POST', p, {
				body: Buffer.from([0x7b, 0x22, 0x70, 0xff, 0xfe, 0x22, 0x7d]),
				headers: { 'Content-Type': 'application/json' },
			});
			assertProblem(r, 400);
			for (const phone of ['1391234567', '139123456789', '23912345678', '1391234567a', 13912345678, null, '']) {
				r = await server.request('POST', p, {
					json: { phone, code: '123456', new_password: NEW_PASSWORD },
				});
				assertProblem(r, 422, 'phone');
			}
		}
		r = await server.request('POST', '/api/v1/password-recovery', { json: {} });
		assertProblem(r, 422, 'phone');
		r = await server.request('POST', '/api/v1/password-recovery/verify', {
			json: { phone: PHONE.main, new_password: NEW_PASSWORD },
		});
		assertProblem(r, 422, 'code');
		r = await server.request('POST', '/api/v1/password-recovery/verify', {
			json: { phone: PHONE.main, code: '123456' },
		});
		assertProblem(r, 422, 'new_password');
		assert.equal(gw.received.length, 0, 'bad input sends nothing');
	});

	let sessionBefore;
	let code1;
	await t.test('a code goes out for an account, the same 202 for an unknown phone', async () => {
		// A session the account holds before the recovery.
		sessionBefore = server.client();
		r = await sessionBefore.login(PHONE.main, initial[PHONE.main]);
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.account.must_change_password, true);

		const known = await requestCode(server, PHONE.main);
		assert.equal(known.status, 202, known.text);
		const unknown = await requestCode(server, UNKNOWN);
		assert.equal(unknown.status, 202, unknown.text);
		assert.equal(unknown.text, known.text, 'no enumeration: identical bodies');
		assert.equal(unknown.headers.get('content-type'), known.headers.get('content-type'));
		// A second request within a minute answers alike but sends nothing.
		const again = await requestCode(server, PHONE.main);
		assert.equal(again.status, 202);
		assert.equal(again.text, known.text);

		// Messages go out in order: once the marker's has arrived, any
		// message for the requests above would have arrived too.
		assert.equal((await requestCode(server, PHONE.marker)).status, 202);
		codes.push(await codeFor(gw, PHONE.marker));

		const msgs = toPhone(gw, PHONE.main);
		assert.equal(msgs.length, 1, 'exactly one message for the account');
		assert.equal(toPhone(gw, UNKNOWN).length, 0, 'nothing for an unknown phone');
		const m = msgs[0];
		assert.equal(m.method, 'POST');
		assert.equal(m.path, '/send');
		assert.match(m.headers['content-type'], /^application\/json/);
		assert.match(m.idempotencyKey ?? '', /^[0-9a-f]{16,}$/);
		assert.deepEqual(Object.keys(m.json).sort(), ['params', 'phone', 'template']);
		assert.equal(m.json.template, 'password_recovery');
		assert.match(m.json.params.code, /^\d{6}$/);
		assert.equal(m.json.params.minutes, 10);
		assert.equal(m.answer.status, 200);
		code1 = m.json.params.code;
		codes.push(code1);
		assert.notEqual(code1, codes[0], 'each phone its own code');
	});

	await t.test('wrong codes get one answer, and five of them lock out', async () => {
		r = await verify(server, PHONE.main, wrong(code1));
		assertProblem(r, 422, 'code');
		const wrongReply = r.json;
		// An unknown phone, a malformed or over-long code: the same reply.
		for (const [phone, code] of [[UNKNOWN, code1], [PHONE.main, 'abc'], [PHONE.main, '1'.repeat(40)]]) {
			r = await verify(server, phone, code);
			assertProblem(r, 422, 'code');
			assert.deepEqual(r.json, wrongReply);
		}
		// Three wrong tries so far for this phone: two more ...
		for (let i = 0; i < 2; i++)
			assertProblem(await verify(server, PHONE.main, wrong(code1)), 422, 'code');
		// ... and even the right code is refused while throttled.
		r = await verify(server, PHONE.main, code1);
		assertProblem(r, 429);
		assert.match(r.headers.get('retry-after') ?? '', /^\d+$/);
		assert.ok(Number(r.headers.get('retry-after')) > 0);
		// The old password still works: nothing was changed.
		r = await server.client().login(PHONE.main, initial[PHONE.main]);
		assert.equal(r.status, 200, r.text);
	});

	let codeExpire;
	await t.test('a gateway failing twice with 500: the message still arrives, once per key', async () => {
		gw.failNext(2, { status: 500 });
		assert.equal((await requestCode(server, PHONE.retry)).status, 202);
		const code = await codeFor(gw, PHONE.retry, 20000);
		codes.push(code);
		const msgs = toPhone(gw, PHONE.retry);
		assert.deepEqual(msgs.map((m) => m.answer.status), [500, 500, 200]);
		assert.equal(new Set(msgs.map((m) => m.idempotencyKey)).size, 1, 'one idempotency key for all attempts');
		assert.ok(msgs.every((m) => m.json.params.code === code), 'the same code each time');
		assert.ok(msgs[2].at - msgs[0].at >= 1000, 'retries wait for the backoff');

		// A code to let expire later.
		assert.equal((await requestCode(server, PHONE.expire)).status, 202);
		codeExpire = await codeFor(gw, PHONE.expire);
		codes.push(codeExpire);
	});

	await t.test('a refusal is final; a dropped connection is retried', async () => {
		gw.setMode('reject');
		assert.equal((await requestCode(server, PHONE.reject)).status, 202);
		const refused = await gw.waitFor((m) => m.json?.phone === PHONE.reject);
		assert.equal(refused.answer.body.ok, false);
		codes.push(refused.json.params.code);

		gw.setMode('down');
		assert.equal((await requestCode(server, PHONE.down)).status, 202);
		await gw.waitFor((m) => m.json?.phone === PHONE.down && m.answer?.dropped);
		gw.setMode('ok');
		codes.push(await codeFor(gw, PHONE.down, 20000));
		assert.ok(toPhone(gw, PHONE.down).length >= 2, 'the dropped message was sent again');
		// The refused message was due for any retry before the dropped
		// one's: it was not retried.
		assert.equal(toPhone(gw, PHONE.reject).length, 1, 'a refused message is not retried');
		await waitLog(server, /via sms failed: gateway refused \(HTTP 200, invalid_phone\)/);
	});

	await t.test('five wrong tries kill the code (throttle forgotten by a restart)', async () => {
		await server.restart({ set: settings(gw) });
		r = await verify(server, PHONE.main, code1);
		assertProblem(r, 422, 'code');
		// Nothing changed: the initial password still logs in.
		r = await server.client().login(PHONE.main, initial[PHONE.main]);
		assert.equal(r.status, 200, r.text);
	});

	await t.test('ten minutes later: codes have expired, a new one sets the password', async () => {
		await server.restart({ set: settings(gw, { 'testing.clock_offset_seconds': 700 }) });
		r = await verify(server, PHONE.expire, codeExpire);
		assertProblem(r, 422, 'code');

		const before = acceptedFor(gw, PHONE.main).length;
		assert.equal((await requestCode(server, PHONE.main)).status, 202);
		await gw.waitFor((m) => m.json?.phone === PHONE.main && acceptedFor(gw, PHONE.main).length > before);
		const code2 = acceptedFor(gw, PHONE.main).at(-1).json.params.code;
		codes.push(code2);

		// The policy applies; a refused password leaves the code usable.
		for (const weak of ['short1', 'onlyletters', '1234567890']) {
			r = await verify(server, PHONE.main, code2, weak);
			assertProblem(r, 422, 'new_password');
		}
		// The account's old session cookie, without a CSRF token, is
		// ignored by the recovery endpoints.
		r = await server.request('POST', '/api/v1/password-recovery/verify', {
			json: { phone: PHONE.main, code: code2, new_password: NEW_PASSWORD },
			cookie: sessionBefore.cookieHeader(),
		});
		assert.equal(r.status, 204, r.text);

		// Used once, never again.
		r = await verify(server, PHONE.main, code2, 'Another2026');
		assertProblem(r, 422, 'code');
		// Every session of the account ended.
		r = await sessionBefore.get('/api/v1/me');
		assert.equal(r.status, 401, r.text);
		// The new password logs in without a forced change; the old fails.
		const c = server.client();
		r = await c.login(PHONE.main, initial[PHONE.main]);
		assert.equal(r.status, 401, r.text);
		r = await c.login(PHONE.main, NEW_PASSWORD);
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.account.must_change_password, false);
		r = await c.get('/api/v1/me');
		assert.equal(r.status, 200, r.text);

		// A logged-in caller's cookie is ignored: no CSRF needed, 202.
		r = await server.request('POST', '/api/v1/password-recovery', {
			json: { phone: UNKNOWN },
			cookie: c.cookieHeader(),
		});
		assert.equal(r.status, 202, r.text);
	});

	await t.test('codes never appear in the server log', () => {
		assert.ok(codes.length >= 6);
		const logs = server.logs();
		for (const code of codes)
			assert.ok(!logs.includes(code), `code ${code} is in the log`);
	});

	await t.test('without sms.api_base the server starts, warns, and sends fail for good', async () => {
		const mark = gw.received.length;
		await server.restart({ set: settings(null, { 'testing.clock_offset_seconds': 1400 }) });
		await waitLog(server, /sms\.api_base is not set/);
		assert.equal((await requestCode(server, PHONE.retry)).status, 202);
		await waitLog(server, /via sms failed: sms\.api_base is not configured/);
		assert.equal(gw.received.length, mark, 'nothing reached the gateway');
	});
});
