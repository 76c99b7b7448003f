// A G 全国学籍号 is G and the student's 18-character ID number, so it gets
// the ID number's protection (issue 10, finding 3): masked like it
// (G430***********0011) for everyone who may not reveal it, in the API,
// the pages and students.xlsx; revealed only through the audited reveal
// with a reason; sealed at rest, with a migration that seals what was
// stored before (students and the key-information change rows) and
// leaves no clear copy in the database file. Because exports mask it, a
// batch class change finds the students by 学生账号, and a parents sheet
// may name the child by 学生账号.

import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startServer } from './harness.mjs';
import { xlsx, readXlsx, xlsxRecords, unzip, XLSX_TYPE } from './xlsx.mjs';
import {
	SETTINGS, DISTRICT_ADMIN, SCHOOL_ADMIN, SCHOOL2_ADMIN, WANG, ZHANG,
	idNumber, maskedG, DEMO_G, login, assertProblem, studentsByName, download,
	auditEntries,
} from './keyinfo_lib.mjs';

const S1 = 1;
const ID_ZHANG = DEMO_G.slice(1);
const SHOWN = maskedG(ID_ZHANG);
// Numbers the migration test stores in the old way (in clear).
const ID_LI = idNumber('43010420190612002');
const ID_PENDING = idNumber('43010420190917042');
const ID_OLD = idNumber('43010420190303052');
const ID_NEW = idNumber('43010420190404071');
const L_NUMBER = 'L430104201908200031';

let server;
const ids = {};
let district;

before(async () => {
	server = await startServer({ command: 'demo', init: false, set: SETTINGS });
	const admin = await login(server, SCHOOL_ADMIN);
	for (const [name, s] of Object.entries(await studentsByName(admin, S1)))
		ids[name] = s;
	const da = await login(server, DISTRICT_ADMIN);
	district = da.me.identities.find((i) => i.role === 'district_admin').district_id;
});

after(async () => {
	if (server)
		await server.stop();
});

const enc = encodeURIComponent;

function upload(c, kind, mode, data) {
	const fd = new FormData();
	fd.append('file', new Blob([data], { type: XLSX_TYPE }), 'roster.xlsx');
	return c.request('POST', `/api/v1/schools/${S1}/imports?kind=${kind}&mode=${mode}`, { body: fd });
}

async function runImport(c, kind, mode, data) {
	const r = await upload(c, kind, mode, data);
	assert.equal(r.status, 202, r.text);
	for (let n = 0; n < 1200; n++) {
		const j = await c.get(`/api/v1/jobs/${r.json.job_id}`);
		assert.equal(j.status, 200, j.text);
		if (j.json.state === 'succeeded' || j.json.state === 'failed')
			return j.json;
		await new Promise((res) => setTimeout(res, 50));
	}
	throw new Error('the import did not finish');
}

const counts = (job) => ({ created: job.result.created, updated: job.result.updated, unchanged: job.result.unchanged });

function sql(query) {
	const r = spawnSync('sqlite3', ['-json', path.join(server.dataDir, 'jiaxiao.db'), query], { encoding: 'utf8' });
	assert.ok(!r.error, `the sqlite3 shell is needed (scripts/install-deps.sh): ${r.error}`);
	assert.equal(r.status, 0, r.stderr);
	return r.stdout.trim() ? JSON.parse(r.stdout) : [];
}

// The database's files as bytes (the database and its WAL, if any).
function dbBytes() {
	return ['jiaxiao.db', 'jiaxiao.db-wal']
		.map((f) => path.join(server.dataDir, f))
		.filter((f) => fs.existsSync(f))
		.map((f) => fs.readFileSync(f).toString('latin1'))
		.join('\n');
}

// What a client sees of 张一鸣 through the API and the pages: the G
// number masked everywhere, its ID number nowhere.
async function seesMasked(c, who) {
	const id = ids['张一鸣'].id;
	let r = await c.get(`/api/v1/students/${id}`);
	assert.equal(r.status, 200, `${who}: ${r.text}`);
	assert.equal(r.json.national_no, SHOWN, `${who}: the item`);
	assert.ok(!r.text.includes(ID_ZHANG), `${who}: the item has no ID number`);
	r = await c.get(`/api/v1/students/${id}/keyinfo`);
	assert.equal(r.status, 200, `${who}: ${r.text}`);
	assert.equal(r.json.fields.national_no.value, SHOWN, `${who}: keyinfo`);
	assert.ok(!r.text.includes(ID_ZHANG), `${who}: keyinfo has no ID number`);
	for (const page of [`/students/${id}`, `/students/${id}/keyinfo`]) {
		r = await c.get(page);
		assert.equal(r.status, 200, `${who} ${page}: ${r.text.slice(0, 300)}`);
		assert.ok(r.text.includes(SHOWN), `${who} ${page} shows the masked number`);
		assert.ok(!r.text.includes(ID_ZHANG), `${who} ${page} has no ID number`);
	}
	for (const url of [`/api/v1/students/${id}?reveal=national_no&reason=${enc('想看看')}`,
		`/api/v1/students/${id}/keyinfo?reveal=national_no&reason=${enc('想看看')}`]) {
		r = await c.get(url);
		assert.equal(r.status, 403, `${who} may not reveal: ${r.text}`);
		assert.ok(!r.text.includes(ID_ZHANG));
	}
}

test('a G number is masked for the teacher, the parent and the student: list, item, keyinfo, pages, students.xlsx', async () => {
	const wang = await login(server, WANG);
	const list = await studentsByName(wang, S1);
	assert.equal(list['张一鸣'].national_no, SHOWN);
	let r = await wang.get(`/api/v1/schools/${S1}/students`);
	assert.ok(!r.text.includes(ID_ZHANG), 'the list has no ID number');
	r = await wang.get(`/schools/${S1}/students`);
	assert.equal(r.status, 200);
	assert.ok(r.text.includes(SHOWN) && !r.text.includes(ID_ZHANG), 'the list page masks it');
	await seesMasked(wang, 'teacher');

	const x = await download(server, wang, `/api/v1/schools/${S1}/students.xlsx`);
	assert.equal(x.status, 200);
	const all = [...unzip(x.buf).values()].map((b) => b.toString('utf8')).join('\n');
	assert.ok(!all.includes(ID_ZHANG), 'students.xlsx has no ID number');
	const rec = xlsxRecords(x.buf).find((row) => row['姓名*'] === '张一鸣');
	assert.equal(rec['全国学籍号'], SHOWN);
	assert.equal(rec['学生账号'], ids['张一鸣'].account.login, 'the export names the student by login');

	await seesMasked(await login(server, ZHANG), 'parent');
	await seesMasked(await login(server, ids['张一鸣'].account.login), 'student');
	// A teacher's search finds the whole number (by its hash), never a part.
	r = await wang.get(`/api/v1/schools/${S1}/students?q=${DEMO_G}`);
	assert.deepEqual(r.json.items.map((s) => s.name), ['张一鸣']);
	r = await wang.get(`/api/v1/schools/${S1}/students?q=G4301042019`);
	assert.deepEqual(r.json.items, [], 'no prefix search into a sealed number');
});

test('school and district admins reveal a G number with a reason, audit-logged', async () => {
	const id = ids['张一鸣'].id;
	const admin = await login(server, SCHOOL_ADMIN);
	assert.equal((await admin.get(`/api/v1/students/${id}`)).json.national_no, SHOWN, 'masked unless revealed');
	assertProblem(await admin.get(`/api/v1/students/${id}?reveal=national_no`), 422, 'reason');
	assertProblem(await admin.get(`/api/v1/students/${id}/keyinfo?reveal=national_no&reason=x`), 422, 'reason');

	const before = auditEntries(server, 'roster.national_no_revealed');
	assert.ok(before !== null, 'the sqlite3 shell reads the audit log');
	let r = await admin.get(`/api/v1/students/${id}?reveal=national_no&reason=${enc('核对学籍')}`);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.national_no, DEMO_G);
	assert.equal(r.json.national_no_revealed, true);
	const after = auditEntries(server, 'roster.national_no_revealed');
	assert.equal(after.length, before.length + 1);
	assert.match(after.at(-1).detail, /核对学籍/);
	assert.ok(!after.at(-1).detail.includes(ID_ZHANG), 'the audit keeps the reason, never the number');

	const kBefore = auditEntries(server, 'keyinfo.national_no_revealed').length;
	r = await admin.get(`/api/v1/students/${id}/keyinfo?reveal=national_no&reason=${enc('核对学籍')}`);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.fields.national_no.value, DEMO_G);
	assert.equal(r.json.national_no_revealed, true);
	assert.equal(auditEntries(server, 'keyinfo.national_no_revealed').length, kBefore + 1);

	r = await admin.get(`/students/${id}?reveal=national_no&reason=${enc('核对学籍')}`);
	assert.equal(r.status, 200);
	assert.ok(r.text.includes(DEMO_G), 'the page reveals it');
	r = await admin.get(`/students/${id}`);
	assert.ok(r.text.includes('name="reveal"') && r.text.includes('national_no'), 'the page offers the reveal');

	const da = await login(server, DISTRICT_ADMIN);
	r = await da.get(`/api/v1/students/${id}?reveal=national_no&reason=${enc('区级核查')}`);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.national_no, DEMO_G);
	// Another school's admin does not even see the student.
	r = await (await login(server, SCHOOL2_ADMIN)).get(`/api/v1/students/${id}?reveal=national_no&reason=${enc('核对学籍')}`);
	assert.equal(r.status, 404);
});

test('export, change 班级, import: the student moves; the masked G number is kept', async () => {
	const admin = await login(server, SCHOOL_ADMIN);
	const x = await download(server, admin, `/api/v1/schools/${S1}/students.xlsx`);
	assert.equal(x.status, 200);
	const header = Object.values(readXlsx(x.buf).rows[0].cells).map((c) => c.text);
	assert.ok(header.includes('学生账号'), JSON.stringify(header));
	const recs = xlsxRecords(x.buf);
	const row = recs.find((r) => r['姓名*'] === '张一鸣');
	assert.equal(row['班级*'], '1班');
	assert.equal(row['全国学籍号'], SHOWN);
	// The class change a school makes in Excel, saved as a new workbook.
	const rows = [header, ...recs.map((r) => header.map((h) => (r === row && h === '班级*' ? '2班' : r[h] || null)))];
	const job = await runImport(admin, 'students', 'commit', xlsx(rows));
	assert.equal(job.state, 'succeeded', JSON.stringify(job.result));
	assert.deepEqual(counts(job), { created: 0, updated: 1, unchanged: recs.length - 1 });
	const moved = (await studentsByName(admin, S1))['张一鸣'];
	assert.equal(moved.id, ids['张一鸣'].id, 'the same student, not a new one');
	assert.equal(moved.class_name, '一年级2班');
	const r = await admin.get(`/api/v1/students/${moved.id}?reveal=national_no&reason=${enc('核对学籍')}`);
	assert.equal(r.json.national_no, DEMO_G, 'the masked value kept what is stored');

	// A login of no student of this school is a row error naming 学生账号.
	const other = Object.values(await studentsByName(await login(server, SCHOOL2_ADMIN), 2))[0];
	const bad = [header, header.map((h) => ({ '姓名*': '外校生', '性别*': '女', '年级*': '一年级', '班级*': '1班', 学生账号: other.account.login }[h] ?? null))];
	const j2 = await runImport(admin, 'students', 'dry-run', xlsx(bad));
	assert.ok(j2.result.errors.some((e) => e.row === 2 && e.field === '学生账号'), JSON.stringify(j2.result));
	assert.ok(!JSON.stringify(j2.result).includes(other.name), 'nothing about the other school');
});

test('a parents sheet keyed by 学生账号 binds the right child', async () => {
	const admin = await login(server, SCHOOL_ADMIN);
	const li = ids['李思涵'];
	const other = Object.values(await studentsByName(await login(server, SCHOOL2_ADMIN), 2))[0];
	const header = ['学生账号', '家长姓名', '手机', '关系'];
	let job = await runImport(admin, 'parents', 'dry-run', xlsx([header,
		[li.account.login, '李国强', '13700020001', '父亲'],
		[other.account.login, '周某', '13700020002', '母亲']]));
	assert.ok(job.result.errors.some((e) => e.row === 3 && e.field === '学生账号'), JSON.stringify(job.result));
	job = await runImport(admin, 'parents', 'commit', xlsx([header, [li.account.login, '李国强', '13700020001', '父亲']]));
	assert.equal(job.state, 'succeeded', JSON.stringify(job.result));
	assert.deepEqual(counts(job), { created: 1, updated: 0, unchanged: 0 });
	const after = await studentsByName(admin, S1);
	assert.deepEqual(after['李思涵'].guardians.map((g) => [g.name, g.phone, g.relation]), [['李国强', '13700020001', '父亲']]);
	for (const [name, s] of Object.entries(after))
		if (name !== '李思涵')
			assert.ok(!s.guardians.some((g) => g.phone === '13700020001'), `${name} is not the child`);
});

test('the migration seals G numbers stored before, in students and in keyinfo changes; the file keeps no clear copy', async () => {
	const zhang = ids['张一鸣'].id;
	const li = ids['李思涵'].id;
	const wzx = ids['王子轩'].id;
	const cxy = ids['陈小雨'].id;
	const zxy = ids['赵欣怡'].id;
	// Back to the schema and data of before: columns dropped, versions
	// lowered, numbers and change rows in clear (one in lower case).
	await server.kill9();
	sql(`DROP INDEX students_national_hash;
		ALTER TABLE students DROP COLUMN national_no_enc;
		ALTER TABLE students DROP COLUMN national_no_hash;
		ALTER TABLE students DROP COLUMN national_no_masked;
		DELETE FROM host_meta WHERE key = 'national_no_sealing';
		DROP VIEW host_accounts;
		DROP VIEW host_outbox;
		DROP TABLE file_usage;
		DROP TABLE file_uses;
		DROP TABLE file_variants;
		DROP TABLE files;
		DROP TRIGGER persons_name_revision;
		DROP TABLE host_revisions;
		UPDATE schema_versions SET version = 10 WHERE owner = 'host';
		DROP TABLE keyinfo_meta;
		UPDATE schema_versions SET version = 2 WHERE owner = 'keyinfo';
		UPDATE students SET national_no = '${DEMO_G}' WHERE person_id = ${zhang};
		UPDATE students SET national_no = 'g${ID_LI.toLowerCase()}' WHERE person_id = ${li};
		UPDATE students SET national_no = '${L_NUMBER}' WHERE person_id = ${wzx};
		UPDATE students SET national_no = '${DEMO_G.toLowerCase()}' WHERE person_id = ${zxy};
		INSERT INTO keyinfo_changes(student_id, school_id, district_id, field, old_value, new_value, status, submitted_by, submitted_name, submitted_at)
			VALUES (${cxy}, ${S1}, ${district}, 'national_no', '', 'G${ID_PENDING}', 'pending', 1, '陈刚', 1),
			       (${li}, ${S1}, ${district}, 'national_no', 'G${ID_OLD}', 'G${ID_NEW}', 'approved', 1, '陈刚', 1);`);
	assert.ok(dbBytes().includes(ID_PENDING), 'the clear values are in the file before');
	await server.restart();

	const rows = sql(`SELECT person_id, national_no, national_no_enc IS NOT NULL AS sealed, national_no_masked, national_no_hash IS NOT NULL AS hashed
		FROM students WHERE person_id IN (${zhang}, ${li}, ${wzx}, ${zxy}) ORDER BY person_id`);
	const by = Object.fromEntries(rows.map((r) => [r.person_id, r]));
	assert.deepEqual(by[zhang], { person_id: zhang, national_no: null, sealed: 1, national_no_masked: SHOWN, hashed: 1 });
	assert.deepEqual(by[li], { person_id: li, national_no: null, sealed: 1, national_no_masked: maskedG(ID_LI), hashed: 1 });
	assert.deepEqual(by[wzx], { person_id: wzx, national_no: L_NUMBER, sealed: 0, national_no_masked: L_NUMBER, hashed: 1 },
		'an L number holds no ID number and stays as it is');
	// 张一鸣's number a second time (in lower case): sealed all the same,
	// without the hash the first one holds, and reported.
	assert.deepEqual(by[zxy], { person_id: zxy, national_no: null, sealed: 1, national_no_masked: SHOWN, hashed: 0 });
	assert.match(server.logs(), new RegExp(`student ${zxy}: the 全国学籍号 is empty or another student's too`));
	const changes = sql(`SELECT student_id, status, old_value, new_value, new_sealed IS NOT NULL AS sealed FROM keyinfo_changes
		WHERE field = 'national_no' AND submitted_at = 1 ORDER BY id`);
	assert.deepEqual(changes.map((c) => [c.student_id, c.status, c.old_value, c.new_value, c.sealed]), [
		[cxy, 'pending', '', maskedG(ID_PENDING), 1],
		[li, 'approved', maskedG(ID_OLD), maskedG(ID_NEW), 0],
	]);
	const bytes = dbBytes();
	for (const id of [ID_ZHANG, ID_LI, ID_PENDING, ID_OLD, ID_NEW])
		assert.ok(!bytes.includes(id) && !bytes.includes(id.toLowerCase()), `no clear ${id} in the database file`);

	// Everything works on the sealed values: the masked list, the reveal,
	// the lookup by the hash (the lower-case one was normalised), the
	// review of the pending change, reconciliation.
	const admin = await login(server, SCHOOL_ADMIN);
	const list = await studentsByName(admin, S1);
	assert.equal(list['李思涵'].national_no, maskedG(ID_LI));
	assert.equal(list['王子轩'].national_no, L_NUMBER);
	let r = await admin.get(`/api/v1/students/${li}?reveal=national_no&reason=${enc('核对学籍')}`);
	assert.equal(r.json.national_no, `G${ID_LI}`);
	r = await admin.get(`/api/v1/schools/${S1}/students?q=G${ID_LI.toLowerCase()}`);
	assert.deepEqual(r.json.items.map((s) => s.name), ['李思涵']);
	const pending = (await admin.get(`/api/v1/schools/${S1}/keyinfo/changes?status=pending`)).json.items
		.find((c) => c.student_id === cxy && c.field === 'national_no');
	assert.equal(pending.new_value, maskedG(ID_PENDING));
	r = await admin.post(`/api/v1/keyinfo/changes/${pending.id}/review`, { decision: 'approve' });
	assert.equal(r.status, 200, r.text);
	r = await admin.get(`/api/v1/students/${cxy}/keyinfo?reveal=national_no&reason=${enc('核对学籍')}`);
	assert.equal(r.json.fields.national_no.value, `G${ID_PENDING}`, 'the approved value is the sealed one');
	const fd = new FormData();
	fd.append('file', new Blob([xlsx([['姓名', '全国学籍号'], ['张一名', DEMO_G]])], { type: XLSX_TYPE }), 'registry.xlsx');
	r = await admin.request('POST', `/api/v1/schools/${S1}/keyinfo/reconcile`, { body: fd });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.matched, 1, 'matched by the 全国学籍号 (its hash), not the misspelt name');
	assert.ok(!r.text.includes(ID_ZHANG));
});

test('no ID number inside a G number reaches the server log', () => {
	const logs = server.logs();
	for (const id of [ID_ZHANG, ID_LI, ID_PENDING, ID_OLD, ID_NEW])
		assert.ok(!logs.includes(id), `the log has no ${id}`);
});
