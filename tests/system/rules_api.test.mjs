// The district's rules through the API: read, activate a new version
// (checked first: a syntax error, a runtime error or an endless loop is
// a 422 naming the problem, and nothing changes), every worker applying
// it from its next request, rollback to an earlier version, and scope.
import test from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './harness.mjs';

const policy = (n) => `
function password_policy(pw, ctx, R)
  if utf8.len(pw) < ${n} then return "至少 ${n} 位" end
  return nil
end
`;

test('district rules: read, activate, rollback, scope', async (t) => {
	const server = await startServer({ set: { threads: 4 } });
	t.after(() => server.stop());
	const admin = server.client();
	assert.equal((await admin.login('admin', 'Admin12345')).status, 200);
	const d = (await admin.post('/api/v1/districts', { code: '430121', name: '甲区' })).json;
	const other = (await admin.post('/api/v1/districts', { code: '430122', name: '乙区' })).json;
	// No SMS gateway: the replies carry random initial passwords.
	const first = (await admin.post(`/api/v1/districts/${d.id}/admins`, { name: '区管理员', phone: '13722220001' })).json.initial_password;
	const second = (await admin.post(`/api/v1/districts/${other.id}/admins`, { name: '乙管理员', phone: '13722220002' })).json.initial_password;
	const da = server.client();
	assert.equal((await da.login('13722220001', first)).status, 200);
	assert.equal((await da.put('/api/v1/me/password', { old_password: first, new_password: 'Start12345' })).status, 204);

	let r = await da.get(`/api/v1/districts/${d.id}/rules`);
	assert.equal(r.status, 200);
	assert.deepEqual(r.json, { source: '', version: 0, activated_at: null });

	// Broken chunks are refused with the reason, and nothing changes.
	r = await da.put(`/api/v1/districts/${d.id}/rules`, { source: 'x = 1\nfunction (\n' });
	assert.equal(r.status, 422);
	assert.match(r.json.detail, /:2:/, 'a syntax error names its line');
	assert.equal(r.json.errors[0].field, 'source');
	assert.equal(r.json.errors[0].row, 2, 'the line is given as errors[0].row');
	r = await da.put(`/api/v1/districts/${d.id}/rules`, { source: 'local t = nil\nt.x = 1\n' });
	assert.equal(r.status, 422);
	r = await da.put(`/api/v1/districts/${d.id}/rules`, { source: 'while true do end' });
	assert.equal(r.status, 422, 'an endless loop is stopped by the budget');
	assert.equal((await da.get(`/api/v1/districts/${d.id}/rules`)).json.version, 0);
	assert.equal((await server.request('GET', '/healthz')).status, 200, 'the server is fine');

	// Version 1: 16 characters. Every worker applies it at once.
	r = await da.put(`/api/v1/districts/${d.id}/rules`, { source: policy(16) });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.version, 1);
	assert.ok(r.json.activated_at);
	const tries = [];
	for (let i = 0; i < 12; i++)
		tries.push(da.put('/api/v1/me/password', { old_password: 'Start12345', new_password: `Short${i}x12` }));
	for (const res of await Promise.all(tries)) {
		assert.equal(res.status, 422, res.text);
		assert.equal(res.json.errors[0].field, 'new_password');
	}
	// Version 2: 20 characters; then back to version 1.
	assert.equal((await da.put(`/api/v1/districts/${d.id}/rules`, { source: policy(20) })).json.version, 2);
	r = await da.put('/api/v1/me/password', { old_password: 'Start12345', new_password: 'Abcdefghij1234567' });
	assert.equal(r.status, 422, '17 characters are too few under version 2');
	r = await da.post(`/api/v1/districts/${d.id}/rules/rollback`, { version: 1 });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.version, 1);
	assert.match(r.json.source, /16/);
	r = await da.put('/api/v1/me/password', { old_password: 'Start12345', new_password: 'Abcdefghij1234567' });
	assert.equal(r.status, 204, '17 characters pass version 1 again');
	assert.equal((await da.post(`/api/v1/districts/${d.id}/rules/rollback`, { version: 9 })).status, 422);

	// Scope: another district's admin does not see these rules.
	const oa = server.client();
	assert.equal((await oa.login('13722220002', second)).status, 200);
	await oa.put('/api/v1/me/password', { old_password: second, new_password: 'Other12345' });
	assert.equal((await oa.get(`/api/v1/districts/${d.id}/rules`)).status, 404);
	assert.equal((await oa.put(`/api/v1/districts/${d.id}/rules`, { source: 'x = 1' })).status, 404);
	assert.equal((await server.request('GET', `/api/v1/districts/${d.id}/rules`)).status, 401);
	// The city administrator reads them.
	assert.equal((await admin.get(`/api/v1/districts/${d.id}/rules`)).json.version, 1);
});
