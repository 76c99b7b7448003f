// Stored key-information results follow the DEFAULT rules too (API.md:
// "every change of rules, default or district, recomputes the stored rule
// results"): after `jiaxiao rules reload` (SIGHUP) and after a restart with
// an edited scripts/rules/default.lua, progress shows the results of the
// rules in force, without anyone editing a student. The server runs from
// a copy of the repository's scripts/ and templates/ so the test can edit
// the default rules.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, jiaxiao, SOURCE_DIR } from './harness.mjs';
import { SETTINGS, SCHOOL_ADMIN, DISTRICT_ADMIN, login, studentsByName } from './keyinfo_lib.mjs';

const S1 = 1;
const ID_ZHANG = '430104201905010011'; // inside 张一鸣's G number

// Polls fn until it returns a truthy value (the background refresh runs
// on the job thread); no fixed sleeps.
async function until(fn, what) {
	for (let i = 0; i < 200; i++) {
		const v = await fn();
		if (v)
			return v;
		await new Promise((r) => setTimeout(r, 25));
	}
	assert.fail(`timed out waiting for ${what}`);
}

test('default rules reloaded or edited across a restart recompute stored results', async (t) => {
	const root = fs.mkdtempSync(path.join(os.tmpdir(), 'jx-kireload-'));
	for (const dir of ['scripts', 'templates', 'docs', 'config'])
		fs.cpSync(path.join(SOURCE_DIR, dir), path.join(root, dir), { recursive: true });
	const server = await startServer({ command: 'demo', init: false, cwd: root, set: SETTINGS });
	t.after(async () => {
		await server.stop();
		fs.rmSync(root, { recursive: true, force: true });
	});

	let admin = await login(server, SCHOOL_ADMIN);
	const zhang = (await studentsByName(admin, S1))['张一鸣'].id;
	// Complete under the shipped defaults: a 5-digit city number passes
	// ("any digits").
	let r = await admin.put(`/api/v1/students/${zhang}/keyinfo`, { id_number: ID_ZHANG, city_no: '12345' });
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(r.json.problems, []);
	const complete = async (c) => {
		const p = await c.get(`/api/v1/schools/${S1}/keyinfo/progress`);
		assert.equal(p.status, 200, p.text);
		return p.json.complete;
	};
	assert.equal(await complete(admin), 1);

	// The defaults now demand eight digits; editing the file alone
	// changes nothing until the reload.
	const file = path.join(root, 'scripts', 'rules', 'default.lua');
	const shipped = fs.readFileSync(file, 'utf8');
	const strict = shipped.replace('elseif not no:find("^%d+$") then', 'elseif not no:find("^%d%d%d%d%d%d%d%d$") then');
	assert.notEqual(strict, shipped, 'the default city_no check is where the test expects it');
	fs.writeFileSync(file, strict);
	assert.equal(await complete(admin), 1, 'an edited file is not in force before the reload');

	const reload = jiaxiao(['rules', 'reload', '--data', server.dataDir]);
	assert.equal(reload.status, 0, reload.stdout + reload.stderr);
	// The district's figures (stored counts, never Lua on read) follow
	// once the background refresh ran.
	const district = await login(server, DISTRICT_ADMIN);
	const did = district.me.identities.find((i) => i.role === 'district_admin').district_id;
	await until(async () => {
		const p = await district.get(`/api/v1/districts/${did}/keyinfo/progress`);
		assert.equal(p.status, 200, p.text);
		return p.json.stale === 0 && p.json.complete === 0;
	}, 'the district progress under the reloaded defaults');
	assert.equal(await complete(admin), 0);
	r = await admin.get(`/api/v1/students/${zhang}/keyinfo`);
	assert.ok(r.json.problems.some((p) => p.field === 'city_no' && p.level === 'error'), r.text);

	// Back to the shipped file while the server is down: the restart
	// notices the defaults changed and recomputes.
	fs.writeFileSync(file, shipped);
	await server.restart();
	admin = await login(server, SCHOOL_ADMIN);
	const district2 = await login(server, DISTRICT_ADMIN);
	await until(async () => {
		const p = await district2.get(`/api/v1/districts/${did}/keyinfo/progress`);
		return p.status === 200 && p.json.stale === 0 && p.json.complete === 1;
	}, 'the district progress after the restart');
	assert.equal(await complete(admin), 1);
});
