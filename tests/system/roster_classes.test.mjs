// Issue 14, classes and students from the pages: rename a class and change
// its head teacher (PATCH /api/v1/classes/{id} and the page's form),
// delete a class (refused with the count while it has students), move a
// student to another class, all scoped to the school's administrators.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, BUILD_DIR } from './harness.mjs';

const PW = 'Demo2026';

async function demo(t) {
	const server = await startServer({
		command: 'demo',
		init: false,
		set: { plugin_dir: path.join(BUILD_DIR, 'plugins') },
	});
	t.after(() => server.stop());
	return server;
}

async function login(server, phone) {
	const c = server.client();
	const r = await c.login(phone, PW);
	assert.equal(r.status, 200, r.text);
	return c;
}

// A form post of a page, with the session's CSRF token.
function form(c, url, fields) {
	const body = new URLSearchParams({ csrf_token: c.csrfToken, ...fields });
	return c.request('POST', url, {
		body: body.toString(),
		headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
	});
}

async function classes(c, sid) {
	const r = await c.get(`/api/v1/schools/${sid}/classes`);
	assert.equal(r.status, 200, r.text);
	return r.json;
}

// A new empty class of the school.
async function emptyClass(c, sid, grade, name) {
	const r = await c.post(`/api/v1/schools/${sid}/classes`, { grade, name });
	assert.equal(r.status, 201, r.text);
	assert.equal(r.json.student_count, 0);
	return r.json;
}

async function teacherId(c, sid, phone) {
	const r = await c.get(`/api/v1/schools/${sid}/teachers`);
	assert.equal(r.status, 200, r.text);
	const t = r.json.items.find((x) => x.phone === phone);
	assert.ok(t, `teacher ${phone} at school ${sid}`);
	return t.id;
}

test('rename a class, change its head teacher, delete it; scope', async (t) => {
	const server = await demo(t);
	const admin = await login(server, '13800000002');
	const other = await login(server, '13800000005');
	const teacher = await login(server, '13800000003');

	const list = await classes(admin, 1);
	const c11 = list.find((c) => c.grade === 1 && c.name === '1班');
	const c12 = await emptyClass(admin, 1, 1, '8班');
	assert.ok(c11.student_count > 0, 'the demo class 一年级1班 has students');
	const chen = await teacherId(admin, 1, '13800000004');
	const liu = await teacherId(other, 2, '13800000006');

	// Rename: a name taken in the grade is 409 naming the field.
	let r = await admin.patch(`/api/v1/classes/${c12.id}`, { name: '1班' });
	assert.equal(r.status, 409, r.text);
	assert.equal(r.json.errors[0].field, 'name');
	r = await admin.patch(`/api/v1/classes/${c12.id}`, { name: '3班' });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.name, '3班');
	assert.equal(r.json.grade, 1);

	// Head teacher: one of the school's teachers; another school's
	// teacher is refused; null clears it.
	r = await admin.patch(`/api/v1/classes/${c12.id}`, { head_teacher_id: chen });
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(r.json.head_teacher, { id: chen, name: '陈刚' });
	assert.equal(r.json.name, '3班', 'the name stays');
	r = await admin.patch(`/api/v1/classes/${c12.id}`, { head_teacher_id: liu });
	assert.equal(r.status, 422, r.text);
	assert.equal(r.json.errors[0].field, 'head_teacher_id');
	assert.equal((await classes(admin, 1)).find((c) => c.id === c12.id).head_teacher.id, chen);
	r = await admin.patch(`/api/v1/classes/${c12.id}`, { head_teacher_id: null });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.head_teacher, null);

	// Others may not touch the class.
	assert.equal((await other.patch(`/api/v1/classes/${c12.id}`, { name: '9班' })).status, 404);
	assert.equal((await other.del(`/api/v1/classes/${c12.id}`)).status, 404);
	const byTeacher = await teacher.del(`/api/v1/classes/${c12.id}`);
	assert.ok([403, 404].includes(byTeacher.status), `teacher got ${byTeacher.status}`);

	// A class with students stays: 409 naming the count, in the
	// request's language.
	r = await admin.del(`/api/v1/classes/${c11.id}`);
	assert.equal(r.status, 409, r.text);
	assert.equal(r.json.detail, `该班还有 ${c11.student_count} 名学生，不能删除`);
	assert.ok((await classes(admin, 1)).some((c) => c.id === c11.id));

	// An empty class goes.
	r = await admin.del(`/api/v1/classes/${c12.id}`);
	assert.equal(r.status, 204, r.text);
	assert.ok(!(await classes(admin, 1)).some((c) => c.id === c12.id));
	assert.equal((await admin.del(`/api/v1/classes/${c12.id}`)).status, 404);
});

test('the classes page edits and deletes, and says why a full class stays', async (t) => {
	const server = await demo(t);
	const admin = await login(server, '13800000002');
	const list = await classes(admin, 1);
	const c11 = list.find((c) => c.grade === 1 && c.name === '1班');
	const c12 = await emptyClass(admin, 1, 1, '8班');
	const chen = await teacherId(admin, 1, '13800000004');

	let page = await admin.get('/schools/1/classes');
	assert.equal(page.status, 200);
	assert.match(page.text, new RegExp(`action="/classes/${c12.id}/delete"`));
	assert.match(page.text, /<option value="\d+"[^>]*>陈刚<\/option>/, 'head teacher select');

	// Edit: rename and a head teacher, back to the page with a notice.
	let r = await form(admin, `/classes/${c12.id}`, { name: '5班', head_teacher_id: String(chen) });
	assert.equal(r.status, 303, r.text);
	assert.equal(r.headers.get('location'), '/schools/1/classes?done=updated');
	page = await admin.get(r.headers.get('location'));
	assert.match(page.text, /班级已保存/);
	let now = (await classes(admin, 1)).find((c) => c.id === c12.id);
	assert.equal(now.name, '5班');
	assert.equal(now.head_teacher.id, chen);

	// A duplicate name: the page again, 409, the error in Chinese.
	r = await form(admin, `/classes/${c12.id}`, { name: '1班', head_teacher_id: '' });
	assert.equal(r.status, 409);
	assert.match(r.text, /一年级1班 已存在/);
	now = (await classes(admin, 1)).find((c) => c.id === c12.id);
	assert.equal(now.head_teacher.id, chen, 'a refused edit changes nothing');

	// Clearing the head teacher with the empty choice.
	r = await form(admin, `/classes/${c12.id}`, { name: '5班', head_teacher_id: '' });
	assert.equal(r.status, 303, r.text);
	assert.equal((await classes(admin, 1)).find((c) => c.id === c12.id).head_teacher, null);

	// Delete: a full class is refused with the count, an empty one goes.
	r = await form(admin, `/classes/${c11.id}/delete`, {});
	assert.equal(r.status, 409);
	assert.ok(r.text.includes(`该班还有 ${c11.student_count} 名学生，不能删除`), r.text);
	r = await form(admin, `/classes/${c12.id}/delete`, {});
	assert.equal(r.status, 303, r.text);
	page = await admin.get(r.headers.get('location'));
	assert.match(page.text, /班级已删除/);
	assert.ok(!(await classes(admin, 1)).some((c) => c.id === c12.id));

	// Without the CSRF token nothing happens; another school's admin
	// does not see the class.
	r = await admin.request('POST', `/classes/${c11.id}/delete`, {
		body: '',
		headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-CSRF-Token': '' },
	});
	assert.equal(r.status, 403);
	const other = await login(server, '13800000005');
	assert.equal((await form(other, `/classes/${c11.id}/delete`, {})).status, 404);
	assert.equal((await form(other, `/classes/${c11.id}`, { name: 'x' })).status, 404);
});

test('move a student to another class of the school', async (t) => {
	const server = await demo(t);
	const admin = await login(server, '13800000002');
	const list = await classes(admin, 1);
	const c11 = list.find((c) => c.grade === 1 && c.name === '1班');
	const c31 = list.find((c) => c.grade === 3 && c.name === '1班');
	const other = await classes(await login(server, '13800000005'), 2);
	const s = (await admin.get(`/api/v1/schools/1/students?class_id=${c11.id}`)).json.items[0];

	// A class of another school is refused and nothing moves.
	let r = await admin.patch(`/api/v1/students/${s.id}`, { class_id: other[0].id });
	assert.equal(r.status, 422, r.text);
	assert.equal(r.json.errors[0].field, 'class_id');
	assert.equal((await admin.get(`/api/v1/students/${s.id}`)).json.class_id, c11.id);

	r = await admin.patch(`/api/v1/students/${s.id}`, { class_id: c31.id });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.class_id, c31.id);
	assert.equal(r.json.class_name, '三年级1班');

	// The page's move form says what happened.
	r = await form(admin, `/students/${s.id}`, { class_id: String(c11.id) });
	assert.equal(r.status, 303, r.text);
	assert.equal(r.headers.get('location'), `/students/${s.id}?done=moved`);
	const page = await admin.get(r.headers.get('location'));
	assert.ok(page.text.includes(`${s.name} 已调入一年级1班`), page.text);
	assert.equal((await admin.get(`/api/v1/students/${s.id}`)).json.class_id, c11.id);
});
