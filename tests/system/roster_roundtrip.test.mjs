// Two things a school's sheet must survive (issue 10): a name starting
// with = + - @ goes out in students.xlsx as it is (a string cell is never
// evaluated, so no apostrophe is added) and comes back unchanged through
// an export, an edit and an import, while a sheet of an older export
// whose apostrophe is still there imports as the name (finding 11); and
// an ID number whose check digit should be X, entered with a digit,
// is refused through the API and warned about in an import ("tests that
// bite").

import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './harness.mjs';
import { xlsx, readXlsx, xlsxRecords, XLSX_TYPE } from './xlsx.mjs';
import {
	SETTINGS, SCHOOL_ADMIN, idNumber, login, assertProblem, studentsByName,
	download,
} from './keyinfo_lib.mjs';

const S1 = 1;
const NAMES = ['=张三', '-李四', '+王五', '@赵六'];

let server;
let c11, c12;

before(async () => {
	server = await startServer({ command: 'demo', init: false, set: SETTINGS });
	const admin = await login(server, SCHOOL_ADMIN);
	const r = await admin.get(`/api/v1/schools/${S1}/classes`);
	assert.equal(r.status, 200, r.text);
	c11 = r.json.find((k) => k.grade === 1 && k.name === '1班').id;
	c12 = r.json.find((k) => k.grade === 1 && k.name === '2班').id;
});

after(async () => {
	if (server)
		await server.stop();
});

async function runImport(c, kind, mode, data) {
	const fd = new FormData();
	fd.append('file', new Blob([data], { type: XLSX_TYPE }), 'roster.xlsx');
	const r = await c.request('POST', `/api/v1/schools/${S1}/imports?kind=${kind}&mode=${mode}`, { body: fd });
	assert.equal(r.status, 202, r.text);
	for (let n = 0; n < 1200; n++) {
		const j = await c.get(`/api/v1/jobs/${r.json.job_id}`);
		if (j.json.state === 'succeeded' || j.json.state === 'failed')
			return j.json;
		await new Promise((res) => setTimeout(res, 50));
	}
	throw new Error('the import did not finish');
}

const counts = (job) => ({ created: job.result.created, updated: job.result.updated, unchanged: job.result.unchanged });

test('names starting with = + - @ round-trip through export, edit and import unchanged', async () => {
	const admin = await login(server, SCHOOL_ADMIN);
	for (const name of NAMES) {
		const r = await admin.post(`/api/v1/schools/${S1}/students`, { name, gender: '男', class_id: c11 });
		assert.equal(r.status, 201, r.text);
		assert.equal(r.json.name, name);
	}
	const x = await download(server, admin, `/api/v1/schools/${S1}/students.xlsx`);
	assert.equal(x.status, 200);
	const { rows, sheetXml } = readXlsx(x.buf);
	assert.ok(!/<f[\s>/]/.test(sheetXml), 'no formula cells');
	const texts = rows.flatMap((row) => Object.values(row.cells).map((c) => c.text));
	for (const name of NAMES) {
		assert.ok(texts.includes(name), `the export has ${name} as it is: ${JSON.stringify(texts)}`);
		assert.ok(!texts.includes(`'${name}`), `no apostrophe before ${name}`);
	}

	// Imported back as it is: nothing changes.
	let job = await runImport(admin, 'students', 'commit', x.buf);
	assert.equal(job.state, 'succeeded', JSON.stringify(job.result));
	assert.equal(job.result.created + job.result.updated, 0, JSON.stringify(job.result));

	// Edited (two of them move to 2班) and imported: the names stay.
	const header = Object.values(rows[0].cells).map((c) => c.text);
	const recs = xlsxRecords(x.buf);
	const edited = [header, ...recs.map((r) => header.map((h) =>
		(h === '班级*' && (r['姓名*'] === '=张三' || r['姓名*'] === '-李四') ? '2班' : r[h] || null)))];
	job = await runImport(admin, 'students', 'commit', xlsx(edited));
	assert.equal(job.state, 'succeeded', JSON.stringify(job.result));
	assert.deepEqual(counts(job), { created: 0, updated: 2, unchanged: recs.length - 2 });
	let list = await studentsByName(admin, S1);
	for (const name of NAMES)
		assert.ok(list[name], `${name} kept its name: ${Object.keys(list).join()}`);
	assert.equal(list['=张三'].class_id, c12);
	assert.equal(list['-李四'].class_id, c12);
	assert.ok(!Object.keys(list).some((n) => n.startsWith("'")), 'no name gained an apostrophe');

	// A sheet from an older export, which wrote '=张三: the apostrophe
	// goes, the student is the same and keeps the name.
	const legacy = [header, ...recs.filter((r) => NAMES.includes(r['姓名*'])).map((r) =>
		header.map((h) => (h === '姓名*' ? `'${r[h]}` : h === '班级*' ? '2班' : r[h] || null)))];
	job = await runImport(admin, 'students', 'commit', xlsx(legacy));
	assert.equal(job.state, 'succeeded', JSON.stringify(job.result));
	assert.equal(job.result.created, 0, JSON.stringify(job.result));
	list = await studentsByName(admin, S1);
	for (const name of NAMES)
		assert.ok(list[name] && !list[`'${name}`], `${name} unchanged by an older export`);
});

// An ID number whose check character is X (found by trying sequence
// numbers), and the same number with a digit in its place.
function xDue() {
	for (let seq = 100; seq < 1000; seq++) {
		const id = idNumber(`43010420190612${seq}`);
		if (id.endsWith('X'))
			return { id, wrong: `${id.slice(0, 17)}0` };
	}
	throw new Error('no ID number ending in X');
}

test('a digit where the check character X is due is refused (API) and warned about (import)', async () => {
	const { id, wrong } = xDue();
	const admin = await login(server, SCHOOL_ADMIN);
	const li = (await studentsByName(admin, S1))['李思涵'];

	// Key information: the district's rules refuse it, naming the field
	// and the character due.
	let r = await admin.put(`/api/v1/students/${li.id}/keyinfo`, { id_number: wrong });
	assertProblem(r, 422, 'id_number');
	assert.ok(r.json.errors.some((e) => e.field === 'id_number' && /X/.test(e.message)), r.text);
	r = await admin.get(`/api/v1/students/${li.id}/keyinfo`);
	assert.equal(r.json.fields.id_number.status, 'missing', 'nothing was written');
	// The right number is accepted.
	r = await admin.put(`/api/v1/students/${li.id}/keyinfo`, { id_number: id.toLowerCase() });
	assert.equal(r.status, 200, r.text);

	// The roster's own form and API.
	r = await admin.post(`/api/v1/schools/${S1}/students`, { name: '校验生', gender: '女', class_id: c11, id_number: wrong });
	assertProblem(r, 422, 'id_number');

	// An import warns on the row and column, and writes the number as
	// given only on commit (the rules then report it).
	const job = await runImport(admin, 'students', 'dry-run', xlsx([
		['姓名', '性别', '年级', '班级', '身份证号'],
		['校验生', '女', '一年级', '1班', wrong],
	]));
	assert.equal(job.state, 'succeeded', JSON.stringify(job.result));
	assert.ok(job.result.warnings.some((w) => w.row === 2 && w.field === '身份证号' && /校验位/.test(w.message)),
		JSON.stringify(job.result));
});
