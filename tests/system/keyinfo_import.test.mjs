// Stored key-information results follow the roster's imports and
// transfers: an import announces its school once (roster.school_changed),
// and the background refresh brings the district's figures — read from
// stored counts, never by running Lua — up to date; a student who leaves
// one school and is imported by another moves from one school's counts to
// the other's.
import test from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './harness.mjs';
import { xlsx, XLSX_TYPE } from './xlsx.mjs';
import { SETTINGS, SCHOOL_ADMIN, SCHOOL2_ADMIN, DISTRICT_ADMIN, login, idNumber, wrongCheck } from './keyinfo_lib.mjs';

const S1 = 1;
const S2 = 2;
const HEADER = ['姓名', '性别', '年级', '班级', '身份证号', '全国学籍号', '市网学籍号', '家长1姓名', '家长1手机', '家长1关系'];

async function until(fn, what) {
	for (let i = 0; i < 400; i++) {
		const v = await fn();
		if (v)
			return v;
		await new Promise((r) => setTimeout(r, 25));
	}
	assert.fail(`timed out waiting for ${what}`);
}

async function runImport(c, sid, rows) {
	const fd = new FormData();
	fd.append('file', new Blob([xlsx(rows)], { type: XLSX_TYPE }), 'students.xlsx');
	const r = await c.request('POST', `/api/v1/schools/${sid}/imports?kind=students&mode=commit`, { body: fd });
	assert.equal(r.status, 202, r.text);
	return until(async () => {
		const j = await c.get(`/api/v1/jobs/${r.json.job_id}`);
		assert.equal(j.status, 200, j.text);
		if (j.json.state === 'failed')
			assert.fail(JSON.stringify(j.json));
		return j.json.state === 'succeeded' && j.json;
	}, 'the import');
}

test('imports and transfers move the stored results and the district counts', async (t) => {
	const server = await startServer({ command: 'demo', init: false, set: SETTINGS });
	t.after(() => server.stop());
	const a1 = await login(server, SCHOOL_ADMIN);
	const a2 = await login(server, SCHOOL2_ADMIN);
	const da = await login(server, DISTRICT_ADMIN);
	const did = da.me.identities.find((i) => i.role === 'district_admin').district_id;
	const district = async () => {
		const r = await da.get(`/api/v1/districts/${did}/keyinfo/progress`);
		assert.equal(r.status, 200, r.text);
		return r.json;
	};
	const school = (p, sid) => p.schools.find((s) => s.school_id === sid);
	const before = await until(async () => {
		const p = await district();
		return p.stale === 0 && school(p, S1).total > 0 && p;
	}, 'the first refresh after start');

	const good = idNumber('43010420190404071');
	const job = await runImport(a1, S1, [
		HEADER,
		['韩一', '男', '一年级', '1班', good, `G${good}`, '20260001', '韩父', '13700009001', '父亲'],
		['韩二', '女', '一年级', '1班', null, 'G2026009002', null, '韩父', '13700009001', '父亲'],
		['韩三', '男', '一年级', '2班', wrongCheck(idNumber('43010420190505082')), null, '20260003', '韩母', '13700009003', '母亲'],
	]);
	assert.equal(job.result.created, 3, JSON.stringify(job.result));

	// The district figures are stored counts: they follow once the
	// refresh the import queued has run.
	const after = await until(async () => {
		const p = await district();
		return p.stale === 0 && school(p, S1).total === school(before, S1).total + 3 && p;
	}, 'the district counts after the import');
	assert.equal(school(after, S1).complete, school(before, S1).complete + 1, JSON.stringify(after));
	assert.equal(after.total, before.total + 3);

	// 韩一 leaves school 1 and is imported by school 2 (a transfer).
	const list = await a1.get(`/api/v1/schools/${S1}/students?limit=500`);
	const han = list.json.items.find((s) => s.name === '韩一');
	let r = await a1.post(`/api/v1/students/${han.id}/leave`, { reason: '转学' });
	assert.ok([200, 204].includes(r.status), r.text);
	await runImport(a2, S2, [
		HEADER,
		['韩一', '男', '七年级', '1班', null, `G${good}`, '20260001', '韩父', '13700009001', '父亲'],
	]);
	const moved = await until(async () => {
		const p = await district();
		return p.stale === 0 &&
			school(p, S1).total === school(after, S1).total - 1 &&
			school(p, S2).total === school(after, S2).total + 1 && p;
	}, 'the counts after the transfer');
	assert.equal(school(moved, S1).complete, school(after, S1).complete - 1);
	assert.equal(moved.total, after.total);
	// The school's own page agrees with the district's row.
	r = await a2.get(`/api/v1/schools/${S2}/keyinfo/progress`);
	assert.equal(r.json.total, school(moved, S2).total);
	assert.equal(r.json.complete, school(moved, S2).complete);
});
