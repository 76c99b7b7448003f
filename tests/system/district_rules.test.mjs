// A district's own rules: a chunk named after the district's code seeds
// its rules at creation and overrides only what it defines (here the
// initial password and the password policy); another district keeps the
// defaults. The server runs from a copy of scripts/ so the test can ship
// a district file; the shipped example is never applied by itself.
//
// The example's initial password ("Pw" + the phone's last six digits +
// "@") is computable by anyone who knows the phone (issue 10, finding 4):
// it logs in only together with a code sent to the phone, here through
// the SMS gateway stand-in (tests/stubs/sms-gateway.mjs).
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, BUILD_DIR, SOURCE_DIR } from './harness.mjs';
import { startSmsGateway } from '../stubs/sms-gateway.mjs';

// The newest code the stand-in accepted for phone, once it arrived.
async function codeFor(gw, phone, template, count = 1) {
	const mine = () => gw.received.filter((m) => m.json?.phone === phone && m.json?.template === template &&
		m.answer?.status === 200 && m.answer.body?.ok === true);
	await gw.waitFor(() => mine().length >= count, 15000);
	return mine().at(-1).json.params.code;
}

test('district rules override the defaults where they say so', async (t) => {
	const root = fs.mkdtempSync(path.join(os.tmpdir(), 'jx-drules-'));
	for (const dir of ['scripts', 'templates', 'docs', 'config'])
		fs.cpSync(path.join(SOURCE_DIR, dir), path.join(root, dir), { recursive: true });
	// The shipped example, as district 430111's own rules, plus a
	// stricter password policy that uses the rule table it is given.
	const example = fs.readFileSync(path.join(root, 'scripts', 'districts', 'example.lua'), 'utf8');
	fs.writeFileSync(path.join(root, 'scripts', 'districts', '430111.lua'), `${example}
min_length = 12
function password_policy(pw, ctx, R)
  if utf8.len(pw) < R.min_length then
    return "本区密码至少 " .. R.min_length .. " 位"
  end
  return nil
end
`);
	const gw = await startSmsGateway();
	const server = await startServer({
		cwd: root,
		set: { plugin_dir: path.join(BUILD_DIR, 'plugins'), 'sms.api_base': gw.url, 'testing.notify_backoff_seconds': 1 },
	});
	t.after(async () => {
		await server.stop();
		await gw.close();
		fs.rmSync(root, { recursive: true, force: true });
	});
	const admin = server.client();
	assert.equal((await admin.login('admin', 'Admin12345')).status, 200);
	const own = await admin.post('/api/v1/districts', { code: '430111', name: '有规则区' });
	const plain = await admin.post('/api/v1/districts', { code: '430112', name: '默认区' });
	assert.equal(own.status, 201);
	assert.equal(plain.status, 201);
	let r = await admin.post(`/api/v1/districts/${own.json.id}/admins`, { name: '甲', phone: '13711110001' });
	assert.equal(r.status, 201, r.text);
	assert.equal(r.json.initial_password, 'Pw110001@', 'the district\'s rule');
	r = await admin.post(`/api/v1/districts/${plain.json.id}/admins`, { name: '乙', phone: '13711110002' });
	assert.equal(r.status, 201, r.text);
	assert.equal(r.json.initial_password, null, 'the default: activation by SMS, no initial password');

	// The takeover: knowing the phone gives the example's password, and
	// that alone is not enough.
	const a = server.client();
	assert.equal((await a.login('13711110001', '110001')).status, 401);
	r = await a.login('13711110001', 'Pw110001@');
	assert.equal(r.status, 401, r.text);
	assert.match(r.headers.get('content-type'), /^application\/problem\+json/);
	assert.match(r.json.type, /sms-code-required$/);
	assert.ok(!a.cookies().has('jx_session'), 'no session without the code');
	const code = await codeFor(gw, '13711110001', 'login_code');
	assert.match(code, /^\d{6}$/);
	// A wrong code is a failed login; the right one logs in.
	const wrongCode = code.slice(0, 5) + String((Number(code[5]) + 1) % 10);
	r = await a.request('POST', '/api/v1/session', { json: { login: '13711110001', password: 'Pw110001@', code: wrongCode } });
	assert.equal(r.status, 401, r.text);
	assert.match(r.json.type, /sms-code-required$/);
	assert.ok(r.json.errors.some((e) => e.field === 'code'), r.text);
	r = await a.request('POST', '/api/v1/session', { json: { login: '13711110001', password: 'Pw110001@', code } });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.account.must_change_password, true);
	// A code is good once.
	r = await server.request('POST', '/api/v1/session', { json: { login: '13711110001', password: 'Pw110001@', code } });
	assert.equal(r.status, 401, r.text);

	// The default district: no initial password exists at all; the phone's
	// last six digits never log in.
	const b = server.client();
	assert.equal((await b.login('13711110002', 'Pw110002@')).status, 401);
	r = await b.login('13711110002', '110002');
	assert.equal(r.status, 401);
	assert.match(r.json.type, /invalid-credentials$/);

	// The password policy: 12 characters in 430111, 8 by default.
	r = await a.put('/api/v1/me/password', { old_password: 'Pw110001@', new_password: 'Abcdefg123' });
	assert.equal(r.status, 422, r.text);
	assert.equal(r.json.errors[0].field, 'new_password');
	assert.match(r.json.errors[0].message, /12/);
	r = await a.put('/api/v1/me/password', { old_password: 'Pw110001@', new_password: 'Abcdefg123456' });
	assert.equal(r.status, 204, r.text);
	// Changed: the new password needs no code.
	assert.equal((await server.client().login('13711110001', 'Abcdefg123456')).status, 200);
	// 乙 activates by a code to the phone and sets a password (policy: 8).
	r = await server.request('POST', '/api/v1/activation', { json: { phone: '13711110002' } });
	assert.equal(r.status, 202, r.text);
	const act = await codeFor(gw, '13711110002', 'account_activation');
	r = await server.request('POST', '/api/v1/activation/verify', { json: { phone: '13711110002', code: act, new_password: 'short1' } });
	assert.equal(r.status, 422, r.text);
	assert.equal(r.json.errors[0].field, 'new_password');
	r = await b.request('POST', '/api/v1/activation/verify', { json: { phone: '13711110002', code: act, new_password: 'Abcdefg123' } });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.account.login, '13711110002');
	assert.equal(r.json.account.must_change_password, false);
	assert.equal((await b.get('/api/v1/me')).status, 200, 'activation logs in (the cookie is set)');

	// A reset follows the same rule: the example's password again (with
	// its code), never a bare phone-derived one; the default: null.
	r = await admin.post(`/api/v1/accounts/${(await a.get('/api/v1/me')).json.account.id}/password-reset`, {});
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.initial_password, 'Pw110001@');
	r = await server.client().login('13711110001', 'Pw110001@');
	assert.match(r.json.type, /sms-code-required$/);
	r = await admin.post(`/api/v1/accounts/${(await b.get('/api/v1/me')).json.account.id}/password-reset`, {});
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.initial_password, null);
	assert.equal((await server.client().login('13711110002', 'Abcdefg123')).status, 401, 'the reset cleared the password');
});
