// Parent bindings seen from the school: the school administrator removes
// a wrong binding (the parent's identity for that child ends, the
// account stays and can log in and bind again), and nobody else can.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, BUILD_DIR } from './harness.mjs';

const PW = 'Demo2026';

test('the school removes a parent binding, and only the school', async (t) => {
	const server = await startServer({
		command: 'demo',
		init: false,
		set: { plugin_dir: path.join(BUILD_DIR, 'plugins') },
	});
	t.after(() => server.stop());
	const admin = server.client();
	assert.equal((await admin.login('13800000002', PW)).status, 200);
	const list = await admin.get(`/api/v1/schools/1/students?q=${encodeURIComponent('张一鸣')}`);
	assert.equal(list.status, 200, list.text);
	const student = list.json.items[0];
	const guardian = student.guardians.find((g) => g.phone === '13900000001');
	assert.ok(guardian, 'the demo father is bound');

	// Others may not remove it.
	const teacher = server.client();
	assert.equal((await teacher.login('13800000003', PW)).status, 200);
	const byTeacher = await teacher.del(`/api/v1/students/${student.id}/guardians/${guardian.person_id}`);
	assert.ok([403, 404].includes(byTeacher.status), `teacher got ${byTeacher.status}`);
	const other = server.client();
	assert.equal((await other.login('13800000005', PW)).status, 200);
	assert.equal((await other.del(`/api/v1/students/${student.id}/guardians/${guardian.person_id}`)).status, 404);
	const parent = server.client();
	let me = await parent.login('13900000001', PW);
	assert.equal(me.json.identities.length, 1);
	assert.equal((await parent.del(`/api/v1/students/${student.id}/guardians/${guardian.person_id}`)).status, 403);

	// The school admin removes it.
	const r = await admin.del(`/api/v1/students/${student.id}/guardians/${guardian.person_id}`);
	assert.equal(r.status, 204, r.text);
	assert.deepEqual((await admin.get(`/api/v1/students/${student.id}`)).json.guardians, []);
	assert.equal((await admin.del(`/api/v1/students/${student.id}/guardians/${guardian.person_id}`)).status, 404);

	// The parent's session for that child is gone; the account still
	// logs in, with no identity, and no longer sees the child.
	assert.equal((await parent.get('/api/v1/me')).status, 401);
	me = await parent.login('13900000001', PW);
	assert.equal(me.status, 200, me.text);
	assert.deepEqual(me.json.identities, []);
	assert.equal(me.json.acting_identity_id, null);
	assert.equal((await parent.get(`/api/v1/students/${student.id}`)).status, 404);

	// Binding again with the slip's login and password works.
	const bound = await parent.post('/api/v1/me/children', {
		student_login: student.account.login,
		student_password: PW,
		relation: '父亲',
	});
	assert.equal(bound.status, 201, bound.text);
	assert.equal(bound.json.student_id, student.id);
	const after = (await admin.get(`/api/v1/students/${student.id}`)).json.guardians;
	assert.equal(after.length, 1);
	assert.equal(after[0].relation, '父亲');
});
