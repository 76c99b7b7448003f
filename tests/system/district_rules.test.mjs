// A district's own rules: a chunk named after the district's code seeds
// its rules at creation and overrides only what it defines (here the
// initial password and the password policy); another district keeps the
// defaults. The server runs from a copy of scripts/ so the test can ship
// a district file; the shipped example is never applied by itself.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, BUILD_DIR, SOURCE_DIR } from './harness.mjs';

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
	const server = await startServer({ cwd: root, set: { plugin_dir: path.join(BUILD_DIR, 'plugins') } });
	t.after(async () => {
		await server.stop();
		fs.rmSync(root, { recursive: true, force: true });
	});
	const admin = server.client();
	assert.equal((await admin.login('admin', 'Admin12345')).status, 200);
	const own = await admin.post('/api/v1/districts', { code: '430111', name: '有规则区' });
	const plain = await admin.post('/api/v1/districts', { code: '430112', name: '默认区' });
	assert.equal(own.status, 201);
	assert.equal(plain.status, 201);
	assert.equal((await admin.post(`/api/v1/districts/${own.json.id}/admins`, { name: '甲', phone: '13711110001' })).status, 201);
	assert.equal((await admin.post(`/api/v1/districts/${plain.json.id}/admins`, { name: '乙', phone: '13711110002' })).status, 201);

	// Initial passwords: the district's rule, and the default elsewhere.
	const a = server.client();
	assert.equal((await a.login('13711110001', '110001')).status, 401);
	assert.equal((await a.login('13711110001', 'Pw110001@')).status, 200);
	const b = server.client();
	assert.equal((await b.login('13711110002', 'Pw110002@')).status, 401);
	assert.equal((await b.login('13711110002', '110002')).status, 200);

	// The password policy: 12 characters in 430111, 8 by default.
	let r = await a.put('/api/v1/me/password', { old_password: 'Pw110001@', new_password: 'Abcdefg123' });
	assert.equal(r.status, 422, r.text);
	assert.equal(r.json.errors[0].field, 'new_password');
	assert.match(r.json.errors[0].message, /12/);
	r = await a.put('/api/v1/me/password', { old_password: 'Pw110001@', new_password: 'Abcdefg123456' });
	assert.equal(r.status, 204, r.text);
	r = await b.put('/api/v1/me/password', { old_password: '110002', new_password: 'Abcdefg123' });
	assert.equal(r.status, 204, r.text);
});
