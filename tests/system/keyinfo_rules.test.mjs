// The district's key-information rules through the API and the CLI, on
// the real binary serving the demo district with 4 worker threads: a dry
// run counts who would newly fail or pass on the real data and changes
// nothing; broken chunks (syntax, runtime error, endless loop) are 422s
// naming the error and the server keeps answering; an activated version
// is what every worker uses from the next request on (more concurrent
// requests than threads, on kept-alive and on fresh connections), and the
// stored results are recomputed (progress shows the new version, stale
// 0); the versions list and rollback; another district's admin sees
// nothing; `jiaxiao rules check` against the stopped server's data.
//
// The tests run in order on one server and build on one another.

import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startServer, jiaxiao, setArgs } from './harness.mjs';
import { xlsxRecords } from './xlsx.mjs';
import {
	SETTINGS, DISTRICT_ADMIN, SCHOOL_ADMIN, SCHOOL2_ADMIN, idNumber, login, assertProblem,
	studentsByName, download, auditCount, fresh, checkProgress, errorsOf,
} from './keyinfo_lib.mjs';

const S1 = 1;
const S2 = 2;
const THREADS = 4;
const BURST = 40;
const ID_ZHANG = '430104201905010011';
const ID_LI = idNumber('43010420190612002');
const ID_WZX = idNumber('43010420190820031');
const ID_ZZH = idNumber('43010420130515024'); // grade 7

// Version 1: this city's 市网学籍号 are 43 and ten digits.
const V1 = 'city_no_pattern = "^43%d%d%d%d%d%d%d%d%d%d$"\ncity_no_form = "43 + 10 位数字"\n';
// Version 2: anything starting 4301.
const V2 = 'city_no_pattern = "^4301%d+$"\ncity_no_form = "4301 开头"\n';
// A keyinfo_check of the district's own: a short city number is only a
// warning, everything else passes.
const OWN_CHECK = `
function keyinfo_check(s, R)
  local out = {}
  if type(s.city_no) == "string" and #s.city_no ~= 12 then
    out[#out + 1] = { field = "city_no", level = "warning", code = "short",
      message = "市网学籍号应为 12 位" }
  end
  return out
end
`;

let server;
let dataDir;
const ids = {};
let district;

before(async () => {
	dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jx-krules-'));
	server = await startServer({ command: 'demo', init: false, dataDir, set: { ...SETTINGS, threads: THREADS } });
	const admin = await login(server, SCHOOL_ADMIN);
	Object.assign(ids, await studentsByName(admin, S1));
	Object.assign(ids, await studentsByName(await login(server, SCHOOL2_ADMIN), S2));
	for (const k of Object.keys(ids))
		ids[k] = ids[k].id;
	const da = await login(server, DISTRICT_ADMIN);
	district = da.me.identities.find((i) => i.role === 'district_admin').district_id;
});

after(async () => {
	if (server?.alive())
		await server.stop();
	if (dataDir)
		fs.rmSync(dataDir, { recursive: true, force: true });
});

const rulesUrl = (rest = '') => `/api/v1/districts/${district}/rules${rest}`;
const keyinfoUrl = (name) => `/api/v1/students/${ids[name]}/keyinfo`;
const names = (list) => list.map((x) => x.name).sort();

// n concurrent GETs of urlPath with the session cookie: over a kept-alive
// agent of THREADS - 1 sockets (the same workers again and again), or
// each on a fresh connection closed after the reply.
async function burst(cookie, urlPath, n, keepAlive) {
	const agent = keepAlive ? new http.Agent({ keepAlive: true, maxSockets: THREADS - 1 }) : false;
	const one = () => new Promise((resolve, reject) => {
		const req = http.request({
			host: '127.0.0.1', port: server.port, path: urlPath, method: 'GET', agent,
			headers: { Cookie: cookie, ...(keepAlive ? {} : { Connection: 'close' }) },
			timeout: 60000,
		}, (res) => {
			const chunks = [];
			res.on('data', (c) => chunks.push(c));
			res.on('end', () => {
				const text = Buffer.concat(chunks).toString('utf8');
				let json;
				try {
					json = JSON.parse(text);
				} catch {
					json = undefined;
				}
				resolve({ status: res.statusCode, text, json });
			});
			res.on('error', reject);
		});
		req.on('timeout', () => req.destroy(new Error(`GET ${urlPath}: timeout`)));
		req.on('error', reject);
		req.end();
	});
	try {
		return await Promise.all(Array.from({ length: n }, one));
	} finally {
		if (agent)
			agent.destroy();
	}
}

// Every worker answers 李思涵's keyinfo with rules `version`, and with a
// city_no error naming `form` (or without any error when form is null).
async function allWorkers(c, version, form) {
	for (const keepAlive of [true, false]) {
		const replies = await burst(c.cookieHeader(), keyinfoUrl('李思涵'), BURST, keepAlive);
		for (const r of replies) {
			assert.equal(r.status, 200, r.text);
			assert.equal(r.json.rules_version, version, `${keepAlive ? 'kept-alive' : 'fresh'} connection: ${r.text}`);
			const errs = errorsOf(r.json);
			if (form === null) {
				assert.deepEqual(errs, [], r.text);
			} else {
				assert.equal(errs.length, 1, r.text);
				assert.equal(errs[0].field, 'city_no');
				assert.ok(errs[0].message.includes(form), r.text);
			}
		}
	}
}

test('set-up: real values; progress under the default rules', async () => {
	const admin = await login(server, SCHOOL_ADMIN);
	const put = async (c, name, body) => {
		const r = await c.put(keyinfoUrl(name), body);
		assert.equal(r.status, 200, `${name}: ${r.text}`);
	};
	// 张一鸣 and 王子轩: 12-digit city numbers; 李思涵 and 周子涵: 10.
	await put(admin, '张一鸣', { city_no: '430100000001', id_number: ID_ZHANG });
	await put(admin, '李思涵', { national_no: `G${ID_LI}`, city_no: '4301000002', id_number: ID_LI });
	await put(admin, '王子轩', { national_no: `G${ID_WZX}`, city_no: '430100000003', id_number: ID_WZX });
	await put(await login(server, SCHOOL2_ADMIN), '周子涵', { national_no: `G${ID_ZZH}`, city_no: '4301000004', id_number: ID_ZZH });
	const p = await fresh(admin, `/api/v1/schools/${S1}/keyinfo/progress`, 0);
	checkProgress(p);
	assert.equal(p.complete, 3);
	const d = await fresh(await login(server, DISTRICT_ADMIN), `/api/v1/districts/${district}/keyinfo/progress`, 0);
	checkProgress(d, 'schools');
	assert.deepEqual([d.total, d.complete], [11, 4]);
});

test('dry run: who would newly fail, on the real data, and nothing changes', async () => {
	const da = await login(server, DISTRICT_ADMIN);
	const audit0 = auditCount(server);
	const r = await da.post(rulesUrl('/dry-run'), { source: V1 });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.checked, 11, r.text);
	assert.equal(r.json.failing_before, 0);
	assert.equal(r.json.failing_after, 2);
	assert.deepEqual(names(r.json.newly_failing), ['周子涵', '李思涵']);
	assert.deepEqual(r.json.newly_passing, []);
	const li = r.json.newly_failing.find((x) => x.name === '李思涵');
	assert.equal(li.student_id, ids['李思涵']);
	assert.equal(li.school, '岳麓区第一实验小学');
	assert.match(li.class_name, /1班/);
	assert.ok(li.problems.some((p) => p.field === 'city_no' && p.level === 'error' && p.message.includes('43 + 10 位数字')),
		JSON.stringify(li));
	assert.equal(r.json.newly_failing.find((x) => x.name === '周子涵').school, '岳麓区第二中学');

	// A district check of its own: only warnings, so nobody fails.
	const own = await da.post(rulesUrl('/dry-run'), { source: OWN_CHECK });
	assert.equal(own.status, 200, own.text);
	assert.equal(own.json.failing_after, 0);
	assert.deepEqual(own.json.newly_failing, []);

	// Nothing was activated, stored or audited.
	assert.equal((await da.get(rulesUrl())).json.version, 0);
	const k = (await da.get(keyinfoUrl('李思涵'))).json;
	assert.equal(k.rules_version, 0);
	assert.deepEqual(errorsOf(k), []);
	assert.equal(auditCount(server), audit0, 'a dry run writes nothing');
});

test('broken chunks: 422 naming the error and its line; the server keeps answering', async () => {
	const da = await login(server, DISTRICT_ADMIN);
	const syntax = 'x = 1\ncity_no_pattern = ';
	for (const url of [rulesUrl('/dry-run'), rulesUrl()]) {
		const method = url.endsWith('dry-run') ? 'POST' : 'PUT';
		const r = await da.request(method, url, { json: { source: syntax } });
		assertProblem(r, 422);
		assert.match(r.json.detail, /:2:/, `${method} ${url}: the syntax error names line 2: ${r.text}`);
	}
	let r = await da.post(rulesUrl('/dry-run'), { source: 'function keyinfo_check(s, R)\n  error("boom")\nend\n' });
	assertProblem(r, 422);
	assert.match(r.json.detail, /boom/, r.text);
	r = await da.post(rulesUrl('/dry-run'), { source: 'function keyinfo_check(s, R) while true do end end' });
	assertProblem(r, 422);
	assert.ok(r.json.detail, r.text);
	assert.equal((await server.request('GET', '/healthz')).status, 200, 'the server answers after the endless loop');
	const k = await da.get(keyinfoUrl('李思涵'));
	assert.equal(k.status, 200, k.text);
	assert.equal(k.json.rules_version, 0);
	assert.equal((await da.get(rulesUrl())).json.version, 0, 'nothing was activated');
	assertProblem(await da.post(rulesUrl('/dry-run'), {}), 422);
});

test('activation: every worker uses the new rules at once; results recomputed', async () => {
	const da = await login(server, DISTRICT_ADMIN);
	const admin = await login(server, SCHOOL_ADMIN);
	// Every worker has served the old rules first.
	await allWorkers(admin, 0, null);

	const r = await da.put(rulesUrl(), { source: V1 });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.version, 1);
	await allWorkers(admin, 1, '43 + 10 位数字');

	// The stored results follow: 李思涵 is incomplete, and 周子涵 in
	// school 2.
	const p = await fresh(admin, `/api/v1/schools/${S1}/keyinfo/progress`, 1);
	checkProgress(p);
	assert.equal(p.complete, 2);
	const d = await fresh(da, `/api/v1/districts/${district}/keyinfo/progress`, 1);
	checkProgress(d, 'schools');
	assert.deepEqual([d.total, d.complete], [11, 2]);
	assert.equal(d.schools.find((s) => s.school_id === S2).complete, 0);

	// The incomplete list says why.
	const x = await download(server, admin, `/api/v1/schools/${S1}/keyinfo/incomplete.xlsx`);
	assert.equal(x.status, 200);
	const row = xlsxRecords(x.buf).find((rec) => rec['学生姓名'] === '李思涵');
	assert.ok(row, '李思涵 is listed');
	assert.match(row['字段'], /市网学籍号|city_no/);
	assert.match(row['原因'], /43 \+ 10 位数字/);

	// Back to the defaults would let both pass again.
	const back = await da.post(rulesUrl('/dry-run'), { source: '' });
	assert.equal(back.status, 200, back.text);
	assert.deepEqual([back.json.failing_before, back.json.failing_after], [2, 0]);
	assert.deepEqual(names(back.json.newly_passing), ['周子涵', '李思涵']);
	assert.deepEqual(back.json.newly_failing, []);
});

test('versions and rollback', async () => {
	const da = await login(server, DISTRICT_ADMIN);
	const admin = await login(server, SCHOOL_ADMIN);
	let r = await da.put(rulesUrl(), { source: V2 });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.version, 2);
	await allWorkers(admin, 2, null);
	let p = await fresh(admin, `/api/v1/schools/${S1}/keyinfo/progress`, 2);
	assert.equal(p.complete, 3);

	r = await da.get(rulesUrl('/versions'));
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(r.json.map((v) => [v.version, v.active]), [[2, true], [1, false]]);
	for (const v of r.json)
		assert.ok(v.activated_at, JSON.stringify(v));

	r = await da.post(rulesUrl('/rollback'), { version: 1 });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.version, 1);
	assert.equal(r.json.source, V1);
	await allWorkers(admin, 1, '43 + 10 位数字');
	p = await fresh(admin, `/api/v1/schools/${S1}/keyinfo/progress`, 1);
	checkProgress(p);
	assert.equal(p.complete, 2);
	r = await da.get(rulesUrl('/versions'));
	const active = r.json.filter((v) => v.active).map((v) => v.version);
	assert.deepEqual(active, [1], JSON.stringify(r.json));
	const vs = r.json.map((v) => v.version);
	assert.deepEqual(vs, [...vs].sort((a, b) => b - a), 'newest first');
	assertProblem(await da.post(rulesUrl('/rollback'), { version: 99 }), 422);
});

test('scope: another district\'s admin sees nothing of these rules or figures', async () => {
	const city = await login(server, 'admin');
	let r = await city.post('/api/v1/districts', { code: '430199', name: '测试区' });
	assert.equal(r.status, 201, r.text);
	const other = r.json.id;
	r = await city.post(`/api/v1/districts/${other}/admins`, { name: '测试区管理员', phone: '13722229901' });
	assert.equal(r.status, 201, r.text);
	const oa = server.client();
	// No SMS gateway: the reply carries a random initial password.
	const initial = r.json.initial_password;
	assert.equal((await oa.login('13722229901', initial)).status, 200);
	assert.equal((await oa.put('/api/v1/me/password', { old_password: initial, new_password: 'Other12345' })).status, 204);

	assert.equal((await oa.get(rulesUrl())).status, 404);
	assert.equal((await oa.get(rulesUrl('/versions'))).status, 404);
	assert.equal((await oa.post(rulesUrl('/dry-run'), { source: V2 })).status, 404);
	assert.equal((await oa.put(rulesUrl(), { source: V2 })).status, 404);
	assert.equal((await oa.post(rulesUrl('/rollback'), { version: 2 })).status, 404);
	assert.equal((await oa.get(`/api/v1/districts/${district}/keyinfo/progress`)).status, 404);
	assert.equal((await oa.get(`/api/v1/schools/${S1}/keyinfo/progress`)).status, 404);
	assert.equal((await oa.get(keyinfoUrl('李思涵'))).status, 404);
	// Its own district: empty, defaults.
	r = await oa.get(`/api/v1/districts/${other}/rules/versions`);
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(r.json, []);
	r = await oa.get(`/api/v1/districts/${other}/keyinfo/progress`);
	assert.equal(r.status, 200, r.text);
	assert.deepEqual([r.json.total, r.json.schools.length], [0, 0]);
	// School admins do not run the district's rules.
	assert.ok([403, 404].includes((await (await login(server, SCHOOL_ADMIN)).post(rulesUrl('/dry-run'), { source: V2 })).status));
	// The city admin does.
	r = await city.post(rulesUrl('/dry-run'), { source: V2 });
	assert.equal(r.status, 200, r.text);
	assert.equal((await city.get(rulesUrl())).json.version, 1, 'nothing changed');
});

test('CLI: jiaxiao rules check against the stopped server\'s data', async () => {
	await server.stop();
	const files = fs.mkdtempSync(path.join(os.tmpdir(), 'jx-krules-cli-'));
	try {
		const ok = path.join(files, 'v2.lua');
		const bad = path.join(files, 'bad.lua');
		fs.writeFileSync(ok, V2);
		fs.writeFileSync(bad, 'x = 1\ncity_no_pattern = ');
		const base = ['rules', 'check', ...setArgs(SETTINGS), '--data', dataDir, '--district', '430104'];

		let r = jiaxiao([...base, ok]);
		assert.equal(r.status, 0, r.stdout + r.stderr);
		let j = JSON.parse(r.stdout);
		assert.equal(j.checked, 11);
		assert.deepEqual([j.failing_before, j.failing_after], [2, 0], r.stdout);
		assert.deepEqual(names(j.newly_passing), ['周子涵', '李思涵']);

		// Without FILE: the active chunk (version 1) against itself.
		r = jiaxiao(base);
		assert.equal(r.status, 0, r.stdout + r.stderr);
		j = JSON.parse(r.stdout);
		assert.deepEqual([j.failing_before, j.failing_after], [2, 2], r.stdout);
		assert.deepEqual([j.newly_failing, j.newly_passing], [[], []]);

		r = jiaxiao([...base, bad]);
		assert.equal(r.status, 1, r.stdout + r.stderr);
		assert.match(r.stdout + r.stderr, /:2:/, 'the syntax error names its line');

		r = jiaxiao(['rules', 'check', ...setArgs(SETTINGS), '--data', dataDir, '--district', '999999', ok]);
		assert.notEqual(r.status, 0, 'an unknown district is an error');
	} finally {
		fs.rmSync(files, { recursive: true, force: true });
	}
});
