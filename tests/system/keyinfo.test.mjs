// System test of the keyinfo plugin (API.md "Key information"; issue 5)
// against the real binary serving the demo district: reading a student's
// 全国学籍号, 市网学籍号 and 身份证号 (masked; revealed with a reason to
// admins, audit-logged), direct edits by the school admin and the class's
// head teacher (checked by the rules: 422 naming the field, 409 for a
// number another student has), changes by parents and students waiting
// for review (the queue with old and new values, rejection with a reason
// the parent sees, approval, a newer submission superseding the older),
// the school's and the district's progress (a warning alone does not make
// a student incomplete), the incomplete list as a real .xlsx,
// reconciliation against the registry's sheet, and scope.
//
// The tests run in order on one demo server and build on one another;
// each says what it leaves behind. The demo's people: keyinfo_lib.mjs.

import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './harness.mjs';
import { xlsx, readXlsx, xlsxRecords, XLSX_TYPE } from './xlsx.mjs';
import {
	SETTINGS, DISTRICT_ADMIN, SCHOOL_ADMIN, SCHOOL2_ADMIN, WANG, CHEN, LIU, ZHANG,
	FIELDS, MASKED, idNumber, wrongCheck, masked, maskedG, DEMO_G, login, act, assertProblem,
	studentsByName, download, auditCount, auditEntries, fresh, checkProgress, errorsOf,
} from './keyinfo_lib.mjs';

const S1 = 1;
const S2 = 2;
// Valid ID numbers of the right age for their grades (grade 1: born
// 2019/20). ID_ZHANG is the one inside 张一鸣's G number.
const ID_ZHANG = '430104201905010011';
const ID_LI = idNumber('43010420190612002');
const ID_WZX = idNumber('43010420190820031');
const ID_CXY = idNumber('43010420190917042');
const ID_CXY2 = idNumber('43010420190917064');
const ID_X1 = idNumber('43010420190303052');
const ID_NEW = idNumber('43010420190404071');
const ID_OTHER = idNumber('43010420190707082');
const LABELS = { 全国学籍号: 'national_no', 市网学籍号: 'city_no', 身份证号: 'id_number' };

let server;
const ids = {}; // student ids by name
let district; // the demo district's id
let c11, c12, c31; // class ids of school 1

before(async () => {
	server = await startServer({ command: 'demo', init: false, set: SETTINGS });
	const admin = await login(server, SCHOOL_ADMIN);
	for (const [c, s] of [[admin, S1], [await login(server, SCHOOL2_ADMIN), S2]])
		for (const [name, st] of Object.entries(await studentsByName(c, s)))
			ids[name] = st.id;
	const r = await admin.get(`/api/v1/schools/${S1}/classes`);
	assert.equal(r.status, 200, r.text);
	const cls = (g, n) => r.json.find((k) => k.grade === g && k.name === n).id;
	[c11, c12, c31] = [cls(1, '1班'), cls(1, '2班'), cls(3, '1班')];
	const da = await login(server, DISTRICT_ADMIN);
	district = da.me.identities.find((i) => i.role === 'district_admin').district_id;
	assert.ok(Number.isInteger(district), JSON.stringify(da.me));
});

after(async () => {
	if (server)
		await server.stop();
});

const keyinfo = (c, name, query = '') => c.get(`/api/v1/students/${ids[name]}/keyinfo${query}`);
const putKeyinfo = (c, name, body) => c.put(`/api/v1/students/${ids[name]}/keyinfo`, body);

async function get(c, name) {
	const r = await keyinfo(c, name);
	assert.equal(r.status, 200, `${name}: ${r.text}`);
	return r.json;
}

// Whether text has the ID number id other than inside a G 全国学籍号
// (which is G and the ID number, and not masked).
const bare = (text, id) => text.replaceAll(`G${id}`, '').includes(id);

// The value and status of a field (and more keys when asked).
const pick = (f, ...more) => Object.fromEntries(['value', 'status', ...more].map((k) => [k, f[k]]));

const empty = (v) => v === null || v === undefined || v === '';

function assertShape(k) {
	for (const key of ['student_id', 'name', 'class_name', 'rules_version', 'fields', 'problems'])
		assert.ok(key in k, `${key} in ${JSON.stringify(k)}`);
	for (const f of FIELDS) {
		assert.ok(k.fields[f], `fields.${f}: ${JSON.stringify(k)}`);
		assert.ok(['missing', 'approved', 'pending', 'rejected'].includes(k.fields[f].status), JSON.stringify(k.fields[f]));
	}
	assert.ok(Array.isArray(k.problems));
	for (const p of k.problems) {
		assert.ok(FIELDS.includes(p.field), JSON.stringify(p));
		assert.ok(['error', 'warning'].includes(p.level), JSON.stringify(p));
		assert.equal(typeof p.message, 'string');
	}
}

async function progress(c, sid = S1) {
	const p = await fresh(c, `/api/v1/schools/${sid}/keyinfo/progress`);
	checkProgress(p);
	return p;
}

const klass = (p, id) => p.classes.find((k) => k.class_id === id);
const counts = (x) => ({ total: x.total, complete: x.complete, incomplete: x.incomplete, pending: x.pending });

// ---- reading ------------------------------------------------------------

test('read: fields and statuses; who may see a student; progress at the start', async () => {
	const admin = await login(server, SCHOOL_ADMIN);
	const k = await get(admin, '张一鸣');
	assertShape(k);
	assert.equal(k.student_id, ids['张一鸣']);
	assert.equal(k.name, '张一鸣');
	assert.match(k.class_name, /1班/);
	assert.equal(k.rules_version, 0, 'no district chunk: the defaults, version 0');
	assert.deepEqual({ value: k.fields.national_no.value, status: k.fields.national_no.status },
		{ value: maskedG(DEMO_G.slice(1)), status: 'approved' });
	for (const f of ['city_no', 'id_number']) {
		assert.equal(k.fields[f].status, 'missing', JSON.stringify(k.fields));
		assert.ok(empty(k.fields[f].value), JSON.stringify(k.fields[f]));
	}
	assert.deepEqual(errorsOf(k), [], 'the demo G number is valid');

	// Who may see 张一鸣: his school's and district's admins, his
	// teachers, his father, himself; nobody of school 2.
	for (const who of [DISTRICT_ADMIN, WANG, ZHANG])
		assert.equal((await keyinfo(await login(server, who), '张一鸣')).status, 200, who);
	const roster = await studentsByName(admin, S1);
	const self = await login(server, roster['张一鸣'].account.login);
	assert.equal((await keyinfo(self, '张一鸣')).status, 200);
	assert.equal((await keyinfo(self, '李思涵')).status, 404, 'a student sees only himself');
	const zhang = await login(server, ZHANG);
	assert.equal((await keyinfo(zhang, '李思涵')).status, 404, 'a parent sees only his child');
	for (const who of [SCHOOL2_ADMIN, LIU])
		assert.equal((await keyinfo(await login(server, who), '张一鸣')).status, 404, who);
	assert.equal((await server.request('GET', `/api/v1/students/${ids['张一鸣']}/keyinfo`)).status, 401);
	assert.equal((await admin.get('/api/v1/students/987654/keyinfo')).status, 404);

	// Nobody is complete yet: every student lacks a field.
	const p = await progress(admin);
	assert.equal(p.rules_version, 0);
	assert.deepEqual(counts(p), { total: 7, complete: 0, incomplete: 7, pending: 0 });
	assert.deepEqual(counts(klass(p, c11)), { total: 3, complete: 0, incomplete: 3, pending: 0 });
	assert.deepEqual(counts(klass(p, c12)), { total: 2, complete: 0, incomplete: 2, pending: 0 });
	assert.deepEqual(counts(klass(p, c31)), { total: 2, complete: 0, incomplete: 2, pending: 0 });
	for (const k2 of p.classes)
		assert.ok(k2.name && Number.isInteger(k2.grade), JSON.stringify(k2));
});

// ---- direct edits -------------------------------------------------------

test('school admin edits: applied, 422 naming the field, 409 for a taken number, nothing half-written', async () => {
	const admin = await login(server, SCHOOL_ADMIN);
	let r = await putKeyinfo(admin, '张一鸣', { city_no: '4301000001', id_number: ID_ZHANG, reason: '核对学籍' });
	assert.equal(r.status, 200, r.text);
	const before = auditCount(server);
	assertShape(r.json);
	assert.deepEqual(pick(r.json.fields.city_no), { value: '4301000001', status: 'approved' });
	assert.ok(empty(r.json.fields.city_no.pending_value) && empty(r.json.fields.city_no.rejected_reason));
	assert.equal(r.json.fields.id_number.value, masked(ID_ZHANG));
	assert.match(r.json.fields.id_number.value, MASKED);
	assert.equal(r.json.fields.id_number.status, 'approved');
	assert.deepEqual(errorsOf(r.json), []);
	assert.deepEqual(r.json, await get(admin, '张一鸣'), 'the reply is what GET shows');
	assert.ok(!bare(r.text, ID_ZHANG), 'the reply never carries the clear ID number');

	// A wrong check digit: 422 naming id_number; the valid city_no of the
	// same request is not written either.
	r = await putKeyinfo(admin, '李思涵', { id_number: wrongCheck(ID_LI), city_no: '4301000002' });
	assertProblem(r, 422, 'id_number');
	assert.match(r.json.errors.find((e) => e.field === 'id_number').message, /校验|check digit/i);
	let k = await get(admin, '李思涵');
	for (const f of FIELDS)
		assert.equal(k.fields[f].status, 'missing', `${f} not half-written: ${JSON.stringify(k.fields)}`);
	assertProblem(await putKeyinfo(admin, '李思涵', { city_no: '43A0001' }), 422, 'city_no');
	assertProblem(await putKeyinfo(admin, '李思涵', { national_no: 'X12345' }), 422, 'national_no');
	assertProblem(await putKeyinfo(admin, '李思涵', { nickname: '小李' }), 422);

	// Numbers 张一鸣 has: 409, and nothing changes.
	r = await putKeyinfo(admin, '李思涵', { national_no: 'G430104201905010011' });
	assert.equal(r.status, 409, r.text);
	r = await putKeyinfo(admin, '李思涵', { id_number: ID_ZHANG, city_no: '4301000002' });
	assert.equal(r.status, 409, r.text);
	assert.ok(!bare(r.text, ID_ZHANG), 'the conflict does not reveal the number');
	k = await get(admin, '李思涵');
	for (const f of FIELDS)
		assert.equal(k.fields[f].status, 'missing', JSON.stringify(k.fields));
	assert.equal(auditCount(server), before, 'refused edits audit nothing');

	r = await putKeyinfo(admin, '李思涵', { national_no: `G${ID_LI}`, city_no: '4301000002', id_number: ID_LI });
	assert.equal(r.status, 200, r.text);
	for (const f of FIELDS)
		assert.equal(r.json.fields[f].status, 'approved', JSON.stringify(r.json.fields));
	// "" clears a field; then it is set again.
	r = await putKeyinfo(admin, '李思涵', { city_no: '' });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.fields.city_no.status, 'missing');
	assert.equal((await putKeyinfo(admin, '李思涵', { city_no: '4301000002' })).status, 200);
	// null clears too: the ID number, and it is free for her again.
	r = await putKeyinfo(admin, '李思涵', { id_number: null });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.fields.id_number.status, 'missing');
	assert.ok(empty(r.json.fields.id_number.value), r.text);
	assert.equal((await putKeyinfo(admin, '李思涵', { id_number: ID_LI })).status, 200);

	// The district admin may edit too; school 2's admin cannot see her.
	r = await putKeyinfo(await login(server, DISTRICT_ADMIN), '王子轩', { city_no: '4301000003' });
	assert.equal(r.status, 200, r.text);
	assert.equal((await putKeyinfo(await login(server, SCHOOL2_ADMIN), '李思涵', { city_no: '4301000099' })).status, 404);
	assert.equal((await get(admin, '李思涵')).fields.city_no.value, '4301000002');

	const entries = auditEntries(server, 'keyinfo.updated');
	if (entries !== null) {
		assert.ok(entries.length >= 5, JSON.stringify(entries));
		const text = JSON.stringify(entries);
		assert.ok(!bare(text, ID_LI) && !bare(text, ID_ZHANG), `the audit log masks ID numbers: ${text}`);
		assert.ok(entries.some((e) => /city_no/.test(e.detail) && /4301000001/.test(e.detail)), text);
	}
});

test('reveal: the clear ID number for admins with a reason, audit-logged; 403 for others', async () => {
	const admin = await login(server, SCHOOL_ADMIN);
	// Logged in before counting: logins are audited too.
	const [da, wang, zhang, other] = await Promise.all(
		[DISTRICT_ADMIN, WANG, ZHANG, SCHOOL2_ADMIN].map((who) => login(server, who)));
	const reason = encodeURIComponent('核对学籍信息');
	const before = auditCount(server);
	let r = await keyinfo(admin, '李思涵', `?reveal=id_number&reason=${reason}`);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.fields.id_number.value, ID_LI);
	assert.equal(auditCount(server), before + 1, 'the reveal is audited');
	assertProblem(await keyinfo(admin, '李思涵', '?reveal=id_number'), 422, 'reason');
	assertProblem(await keyinfo(admin, '李思涵', '?reveal=id_number&reason=x'), 422, 'reason');
	r = await keyinfo(da, '李思涵', `?reveal=id_number&reason=${reason}`);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.fields.id_number.value, ID_LI);
	assert.equal(auditCount(server), before + 2);

	r = await keyinfo(wang, '李思涵', `?reveal=id_number&reason=${reason}`);
	assert.equal(r.status, 403, r.text);
	r = await keyinfo(zhang, '张一鸣', `?reveal=id_number&reason=${reason}`);
	assert.equal(r.status, 403, r.text);
	r = await keyinfo(other, '李思涵', `?reveal=id_number&reason=${reason}`);
	assert.equal(r.status, 404, r.text);
	assert.equal(auditCount(server), before + 2, 'refused reveals audit nothing');
	assert.equal((await get(admin, '李思涵')).fields.id_number.value, masked(ID_LI), 'masked again without reveal');
});

test('head teacher edits directly; other teachers get 403', async () => {
	const wang = await login(server, WANG);
	let r = await putKeyinfo(wang, '王子轩', { national_no: `G${ID_WZX}` });
	assert.equal(r.status, 200, `王芳 heads 一年级1班: ${r.text}`);
	assert.equal(r.json.fields.national_no.status, 'approved');
	assertProblem(await putKeyinfo(wang, '王子轩', { id_number: wrongCheck(ID_WZX) }), 422, 'id_number');
	assert.equal((await putKeyinfo(wang, '陈小雨', { city_no: '4301000005' })).status, 403,
		'王芳 teaches 一年级2班 but is not its head teacher');

	const chen = await login(server, CHEN);
	await act(chen, 'teacher');
	assert.equal((await putKeyinfo(chen, '王子轩', { city_no: '4301000009' })).status, 403,
		'陈刚 teaches 一年级1班 but is not its head teacher');
	r = await putKeyinfo(chen, '孙浩然', { city_no: '4301000007' });
	assert.equal(r.status, 200, `陈刚 heads 三年级1班: ${r.text}`);
	assert.equal((await putKeyinfo(await login(server, LIU), '王子轩', { city_no: '4301000009' })).status, 404,
		'a teacher of school 2 does not see the student');
	assert.equal((await get(wang, '王子轩')).fields.city_no.value, '4301000003', 'the refused edits changed nothing');
});

// ---- submissions and review ---------------------------------------------

async function queue(c, status, sid = S1) {
	const r = await c.get(`/api/v1/schools/${sid}/keyinfo/changes${status ? `?status=${status}` : ''}`);
	assert.equal(r.status, 200, r.text);
	assert.ok(Array.isArray(r.json.items), r.text);
	return r.json.items;
}

const review = (c, id, body) => c.post(`/api/v1/keyinfo/changes/${id}/review`, body);

test('parents and students submit; the school reviews: queue, reject with reason, approve, supersede', async () => {
	const admin = await login(server, SCHOOL_ADMIN);
	const zhang = await login(server, ZHANG);
	const audit0 = auditCount(server);

	// 张伟 corrects his son's 市网学籍号: pending, the value unchanged.
	let r = await putKeyinfo(zhang, '张一鸣', { city_no: '4301000011', reason: '转学后的新号' });
	assert.equal(r.status, 202, r.text);
	assert.equal(r.json.status, 'pending');
	assert.ok(Number.isInteger(r.json.change_id), r.text);
	assert.deepEqual(r.json.change_ids, [r.json.change_id]);
	const first = r.json.change_id;
	let k = await get(zhang, '张一鸣');
	assert.deepEqual(pick(k.fields.city_no, 'pending_value'),
		{ value: '4301000001', status: 'pending', pending_value: '4301000011' });
	assertProblem(await putKeyinfo(zhang, '张一鸣', { id_number: wrongCheck(ID_ZHANG) }), 422, 'id_number');
	assert.equal((await putKeyinfo(zhang, '李思涵', { city_no: '4301000011' })).status, 404);

	// A newer submission for the same field supersedes the earlier one.
	r = await putKeyinfo(zhang, '张一鸣', { city_no: '4301000012' });
	assert.equal(r.status, 202, r.text);
	const second = r.json.change_id;
	assert.notEqual(second, first);
	k = await get(zhang, '张一鸣');
	assert.equal(k.fields.city_no.pending_value, '4301000012');
	let items = await queue(admin);
	const mine = items.filter((i) => i.student_id === ids['张一鸣']);
	assert.equal(mine.length, 1, `one pending change left: ${JSON.stringify(items)}`);
	assert.deepEqual(
		{ id: mine[0].id, field: mine[0].field, old: mine[0].old_value, new: mine[0].new_value, status: mine[0].status },
		{ id: second, field: 'city_no', old: '4301000001', new: '4301000012', status: 'pending' });
	assert.equal(mine[0].student_name, '张一鸣');
	assert.match(mine[0].class_name, /1班/);
	for (const key of ['submitted_by', 'submitted_at'])
		assert.ok(!empty(mine[0][key]), `${key}: ${JSON.stringify(mine[0])}`);
	assert.equal((await review(admin, first, { decision: 'approve' })).status, 409, 'the superseded change is not pending');

	// 陈刚, acting as 陈小雨's father, submits two fields at once.
	const chen = await login(server, CHEN);
	await act(chen, 'parent', (i) => i.student_id === ids['陈小雨']);
	r = await putKeyinfo(chen, '陈小雨', { id_number: ID_CXY, national_no: `G${ID_CXY}` });
	assert.equal(r.status, 202, r.text);
	assert.equal(r.json.change_ids.length, 2, r.text);
	k = await get(chen, '陈小雨');
	assert.equal(k.fields.id_number.status, 'pending');
	assert.equal(k.fields.id_number.pending_value, masked(ID_CXY), 'the pending ID number is masked');
	assert.equal(k.fields.national_no.pending_value, maskedG(ID_CXY), 'a pending G number is masked');
	items = await queue(admin, 'pending');
	const idChange = items.find((i) => i.student_id === ids['陈小雨'] && i.field === 'id_number');
	const noChange = items.find((i) => i.student_id === ids['陈小雨'] && i.field === 'national_no');
	assert.ok(idChange && noChange, JSON.stringify(items));
	assert.match(idChange.new_value, MASKED);
	assert.ok(empty(idChange.old_value), JSON.stringify(idChange));
	assert.ok(!bare(JSON.stringify(items), ID_CXY), 'the queue masks ID numbers');
	const order = items.map((i) => i.id);
	assert.deepEqual(order, [...order].sort((a, b) => b - a), 'newest first');

	// A student submits for himself.
	const roster = await studentsByName(admin, S1);
	const sun = await login(server, roster['孙浩然'].account.login);
	r = await putKeyinfo(sun, '孙浩然', { city_no: '4301000021' });
	assert.equal(r.status, 202, r.text);
	const sunChange = r.json.change_id;

	// Rejection needs a reason; the parent sees it.
	assertProblem(await review(admin, idChange.id, { decision: 'reject' }), 422, 'reason');
	assertProblem(await review(admin, idChange.id, { decision: 'maybe' }), 422);
	assert.equal((await review(await login(server, SCHOOL2_ADMIN), idChange.id, { decision: 'approve' })).status, 404);
	r = await review(admin, idChange.id, { decision: 'reject', reason: '与户口簿不一致' });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.id, idChange.id);
	assert.equal(r.json.status, 'rejected');
	assert.ok(!empty(r.json.reviewed_at), r.text);
	assert.equal((await review(admin, idChange.id, { decision: 'approve' })).status, 409, 'already reviewed');
	k = await get(chen, '陈小雨');
	assert.equal(k.fields.id_number.status, 'rejected', JSON.stringify(k.fields));
	assert.equal(k.fields.id_number.rejected_reason, '与户口簿不一致');
	assert.ok(empty(k.fields.id_number.value));
	assert.equal(k.fields.national_no.status, 'pending');

	// Approval applies the value.
	r = await review(admin, noChange.id, { decision: 'approve' });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.status, 'approved');
	k = await get(chen, '陈小雨');
	assert.deepEqual({ value: k.fields.national_no.value, status: k.fields.national_no.status },
		{ value: maskedG(ID_CXY), status: 'approved' });
	r = await review(admin, second, { decision: 'approve' });
	assert.equal(r.status, 200, r.text);
	k = await get(zhang, '张一鸣');
	assert.equal(k.fields.city_no.value, '4301000012');
	assert.equal(k.fields.city_no.status, 'approved');
	assert.ok(!('pending_value' in k.fields.city_no) || empty(k.fields.city_no.pending_value), JSON.stringify(k.fields.city_no));

	// Submitted again, approved: the rejection is history.
	r = await putKeyinfo(chen, '陈小雨', { id_number: ID_CXY2 });
	assert.equal(r.status, 202, r.text);
	assert.equal((await review(admin, r.json.change_id, { decision: 'approve' })).status, 200);
	k = await get(chen, '陈小雨');
	assert.equal(k.fields.id_number.status, 'approved');
	assert.equal(k.fields.id_number.value, masked(ID_CXY2));
	assert.ok(empty(k.fields.id_number.rejected_reason), JSON.stringify(k.fields.id_number));

	// Approval checks uniqueness again: the number went to 赵欣怡 while
	// the change waited.
	await act(chen, 'parent', (i) => i.student_id === ids['陈小阳']);
	r = await putKeyinfo(chen, '陈小阳', { national_no: `G${ID_X1}` });
	assert.equal(r.status, 202, r.text);
	const late = r.json.change_id;
	assert.equal((await putKeyinfo(admin, '赵欣怡', { national_no: `G${ID_X1}` })).status, 200);
	assert.equal((await review(admin, late, { decision: 'approve' })).status, 409);
	assert.equal((await get(admin, '陈小阳')).fields.national_no.status, 'pending', 'the refused approval applied nothing');
	assert.equal((await review(admin, late, { decision: 'reject', reason: '学籍号已被他人使用' })).status, 200);

	// The queue's filters.
	const ofStatus = async (s) => (await queue(admin, s)).map((i) => i.id);
	assert.deepEqual(await ofStatus('pending'), [sunChange]);
	assert.deepEqual(await ofStatus(undefined), [sunChange], 'pending by default');
	const rejected = await ofStatus('rejected');
	assert.ok(rejected.includes(idChange.id) && rejected.includes(late), JSON.stringify(rejected));
	const approved = await ofStatus('approved');
	assert.ok(approved.includes(noChange.id) && approved.includes(second), JSON.stringify(approved));
	assert.ok(!approved.includes(idChange.id));
	const all = await queue(admin, 'all');
	for (const id of [sunChange, idChange.id, noChange.id, second, late])
		assert.ok(all.some((i) => i.id === id), `${id} in all`);
	assert.equal(all.find((i) => i.id === idChange.id).reason, '与户口簿不一致');
	assert.equal((await admin.get(`/api/v1/schools/${S1}/keyinfo/changes?status=bogus`)).status, 422);
	const r2 = await (await login(server, SCHOOL2_ADMIN)).get(`/api/v1/schools/${S1}/keyinfo/changes`);
	assert.equal(r2.status, 404, r2.text);
	assert.ok([403, 404].includes((await (await login(server, WANG)).get(`/api/v1/schools/${S1}/keyinfo/changes`)).status),
		'a teacher does not review');

	// Every step is in the audit log, ID numbers masked.
	assert.ok(auditCount(server) > audit0);
	for (const action of ['keyinfo.submitted', 'keyinfo.approved', 'keyinfo.rejected']) {
		const e = auditEntries(server, action);
		if (e === null)
			continue;
		assert.ok(e.length > 0, `${action} audited`);
		assert.ok(!bare(JSON.stringify(e), ID_CXY), `${action} masks ID numbers`);
	}
	const rej = auditEntries(server, 'keyinfo.rejected');
	if (rej !== null)
		assert.ok(rej.some((e) => /与户口簿不一致/.test(e.detail)), JSON.stringify(rej));
});

// ---- progress -----------------------------------------------------------

test('progress: complete + incomplete = total; pending overlaps; school and district', async () => {
	// Left behind: 张一鸣 and 李思涵 complete; 王子轩 lacks id_number;
	// 陈小雨 lacks city_no; 赵欣怡 has only national_no; 陈小阳 nothing;
	// 孙浩然 only city_no and a change of his own pending.
	const admin = await login(server, SCHOOL_ADMIN);
	let p = await progress(admin);
	assert.deepEqual(counts(p), { total: 7, complete: 2, incomplete: 5, pending: 1 });
	assert.deepEqual(counts(klass(p, c11)), { total: 3, complete: 2, incomplete: 1, pending: 0 });
	assert.deepEqual(counts(klass(p, c12)), { total: 2, complete: 0, incomplete: 2, pending: 0 });
	assert.deepEqual(counts(klass(p, c31)), { total: 2, complete: 0, incomplete: 2, pending: 1 });

	// Completing 王子轩 moves one student over.
	assert.equal((await putKeyinfo(admin, '王子轩', { id_number: ID_WZX })).status, 200);
	p = await progress(admin);
	assert.deepEqual(counts(p), { total: 7, complete: 3, incomplete: 4, pending: 1 });
	assert.deepEqual(counts(klass(p, c11)), { total: 3, complete: 3, incomplete: 0, pending: 0 });

	// A pending change of a complete student: still complete, and pending.
	const zhang = await login(server, ZHANG);
	const r = await putKeyinfo(zhang, '张一鸣', { city_no: '4301000013' });
	assert.equal(r.status, 202, r.text);
	p = await progress(admin);
	assert.deepEqual(counts(p), { total: 7, complete: 3, incomplete: 4, pending: 2 });
	assert.deepEqual(counts(klass(p, c11)), { total: 3, complete: 3, incomplete: 0, pending: 1 });
	assert.equal((await review(admin, r.json.change_id, { decision: 'reject', reason: '号码有误' })).status, 200);
	p = await progress(admin);
	assert.deepEqual(counts(p), { total: 7, complete: 3, incomplete: 4, pending: 1 });

	// The district: both schools, adding up.
	const da = await login(server, DISTRICT_ADMIN);
	const d = await fresh(da, `/api/v1/districts/${district}/keyinfo/progress`);
	checkProgress(d, 'schools');
	assert.equal(d.rules_version, 0);
	assert.deepEqual(counts(d), { total: 11, complete: 3, incomplete: 8, pending: 1 });
	const s1 = d.schools.find((s) => s.school_id === S1);
	const s2 = d.schools.find((s) => s.school_id === S2);
	assert.equal(s1.name, '岳麓区第一实验小学');
	assert.deepEqual(counts(s1), counts(p));
	assert.deepEqual(counts(s2), { total: 4, complete: 0, incomplete: 4, pending: 0 });
	assert.equal((await (await login(server, 'admin', 'Demo2026')).get(`/api/v1/districts/${district}/keyinfo/progress`)).status, 200,
		'the city admin reads it');

	// Scope: school 2's admin sees nothing of school 1; a school admin
	// does not read the district's figures.
	const other = await login(server, SCHOOL2_ADMIN);
	assert.equal((await other.get(`/api/v1/schools/${S1}/keyinfo/progress`)).status, 404);
	assert.equal((await other.get(`/api/v1/schools/${S2}/keyinfo/progress`)).status, 200);
	assert.ok([403, 404].includes((await admin.get(`/api/v1/districts/${district}/keyinfo/progress`)).status));
	assert.equal((await server.request('GET', `/api/v1/schools/${S1}/keyinfo/progress`)).status, 401);
});

// ---- the incomplete list --------------------------------------------------

test('incomplete.xlsx: one row per student and missing field, with class, head teacher and why', async () => {
	const admin = await login(server, SCHOOL_ADMIN);
	const r = await download(server, admin, `/api/v1/schools/${S1}/keyinfo/incomplete.xlsx`);
	assert.equal(r.status, 200, r.buf.toString('utf8', 0, 300));
	assert.match(r.headers.get('content-type') ?? '', /spreadsheetml/);
	const { rows } = readXlsx(r.buf);
	assert.deepEqual(['A', 'B', 'C', 'D', 'E'].map((c) => rows[0].cells[c]?.text),
		['学生姓名', '班级', '班主任', '字段', '原因']);
	const recs = xlsxRecords(r.buf);
	const fieldOf = (t) => LABELS[t] ?? (FIELDS.includes(t) ? t : null);
	for (const rec of recs) {
		assert.ok(fieldOf(rec['字段']), `the field is named: ${JSON.stringify(rec)}`);
		assert.ok(rec['原因'].trim().length > 0, `the reason is given: ${JSON.stringify(rec)}`);
	}
	// Exactly the missing fields of the incomplete students (nobody has
	// a failing one under the default rules now).
	const got = recs.map((x) => `${x['学生姓名']}/${fieldOf(x['字段'])}`).sort();
	assert.deepEqual(got, [
		'孙浩然/id_number', '孙浩然/national_no',
		'赵欣怡/city_no', '赵欣怡/id_number',
		'陈小阳/city_no', '陈小阳/id_number', '陈小阳/national_no',
		'陈小雨/city_no',
	].sort());
	const byName = (n) => recs.find((x) => x['学生姓名'] === n);
	assert.match(byName('孙浩然')['班级'], /三年级|3/);
	assert.equal(byName('孙浩然')['班主任'], '陈刚');
	assert.equal(byName('赵欣怡')['班主任'], '', '一年级2班 has no head teacher');

	const one = await download(server, admin, `/api/v1/schools/${S1}/keyinfo/incomplete.xlsx?class_id=${c12}`);
	assert.equal(one.status, 200);
	assert.deepEqual(xlsxRecords(one.buf).map((x) => x['学生姓名']).sort(), ['赵欣怡', '赵欣怡', '陈小雨'].sort());
	assert.equal((await download(server, await login(server, SCHOOL2_ADMIN), `/api/v1/schools/${S1}/keyinfo/incomplete.xlsx`)).status, 404);
});

// ---- reconciliation -------------------------------------------------------

function reconcile(c, data, { type = XLSX_TYPE, name = 'registry.xlsx', raw = false, sid = S1 } = {}) {
	const url = `/api/v1/schools/${sid}/keyinfo/reconcile`;
	if (raw)
		return c.request('POST', url, { body: data, headers: { 'Content-Type': type } });
	const fd = new FormData();
	fd.append('file', new Blob([data], { type }), name);
	return c.request('POST', url, { body: fd });
}

test('reconcile with the registry sheet: matched, missing on either side, mismatched fields', async () => {
	const admin = await login(server, SCHOOL_ADMIN);
	const zhangCity = (await get(admin, '张一鸣')).fields.city_no.value;
	const rows = [
		['姓名', '全国学籍号', '市网学籍号', '身份证号'],
		// matched by 全国学籍号; the 市网学籍号 differs
		['张一鸣', 'G430104201905010011', '4301009999', ID_ZHANG],
		// matched by ID number; the 全国学籍号 differs
		['李思涵', `G${ID_OTHER}`, '4301000002', ID_LI],
		// nobody on the platform
		['钱多多', `G${ID_NEW}`, '4301000099', ID_NEW],
		// matched by a name unique on both sides, nothing to compare
		['陈小阳', '', '', ''],
	];
	const check = (r) => {
		assert.equal(r.status, 200, r.text);
		const j = r.json;
		assert.equal(j.registry_rows, 4);
		assert.equal(j.matched, 3);
		assert.equal(j.missing_in_platform.length, 1, r.text);
		const m = j.missing_in_platform[0];
		assert.equal(m.row, 4, 'the sheet row (header is row 1)');
		assert.equal(m.name, '钱多多');
		assert.equal(m.national_no, maskedG(ID_NEW), 'a G number is masked like the ID number');
		assert.equal(m.id_number, masked(ID_NEW));
		assert.deepEqual(j.missing_in_registry.map((x) => x.name).sort(),
			['孙浩然', '王子轩', '赵欣怡', '陈小雨'].sort());
		for (const x of j.missing_in_registry) {
			assert.equal(x.student_id, ids[x.name]);
			assert.ok(x.class_name, JSON.stringify(x));
		}
		const mm = j.mismatched.map((x) => ({ student_id: x.student_id, name: x.name, field: x.field, platform: x.platform, registry: x.registry }))
			.sort((a, b) => a.field.localeCompare(b.field));
		assert.deepEqual(mm, [
			{ student_id: ids['张一鸣'], name: '张一鸣', field: 'city_no', platform: zhangCity, registry: '4301009999' },
			{ student_id: ids['李思涵'], name: '李思涵', field: 'national_no', platform: maskedG(ID_LI), registry: maskedG(ID_OTHER) },
		].sort((a, b) => a.field.localeCompare(b.field)));
		for (const id of [ID_ZHANG, ID_LI, ID_NEW, ID_OTHER])
			assert.ok(!r.text.includes(id), 'the reply masks ID numbers, in G numbers too');
	};
	check(await reconcile(admin, xlsx(rows)));
	// The same as CSV in the body.
	const csv = rows.map((row) => row.join(',')).join('\r\n') + '\r\n';
	check(await reconcile(admin, Buffer.from(csv, 'utf8'), { raw: true, type: 'text/csv' }));

	assertProblem(await reconcile(admin, Buffer.from('not a sheet at all'), { raw: true, type: XLSX_TYPE }), 422);
	const other = await login(server, SCHOOL2_ADMIN);
	assert.equal((await reconcile(other, xlsx(rows))).status, 404);
	assert.ok([403, 404].includes((await reconcile(await login(server, WANG), xlsx(rows))).status));
	// Reconciling changes nothing.
	assert.equal((await get(admin, '张一鸣')).fields.city_no.value, zhangCity);
});

// ---- warnings -------------------------------------------------------------

test('a warning does not make a student incomplete', async () => {
	// 陈小雨's G number carries ID_CXY, her ID number is ID_CXY2: the
	// rules warn (the G number keeps the ID it was issued with).
	const admin = await login(server, SCHOOL_ADMIN);
	let k = await get(admin, '陈小雨');
	const warning = k.problems.find((p) => p.field === 'national_no' && p.level === 'warning');
	assert.ok(warning, `a warning on national_no: ${JSON.stringify(k.problems)}`);
	assert.equal(warning.code, 'g_id_mismatch');
	assert.deepEqual(errorsOf(k), []);
	const before = await progress(admin);
	const r = await putKeyinfo(admin, '陈小雨', { city_no: '4301000031' });
	assert.equal(r.status, 200, r.text);
	k = r.json;
	assert.ok(k.problems.some((p) => p.code === 'g_id_mismatch'), 'the warning stays');
	const after = await progress(admin);
	assert.equal(after.complete, before.complete + 1, `${JSON.stringify(before)} -> ${JSON.stringify(after)}`);
	assert.equal(klass(after, c12).complete, klass(before, c12).complete + 1);
	const x = await download(server, admin, `/api/v1/schools/${S1}/keyinfo/incomplete.xlsx?class_id=${c12}`);
	assert.deepEqual(xlsxRecords(x.buf).map((rec) => rec['学生姓名']), ['赵欣怡', '赵欣怡'], 'she is off the list');
});
