// A crash in the middle of an import commit: kill -9 while the job runs,
// start again on the same data. The job reads failed (never "running"
// forever), nothing of the sheet was written, and the school can import
// again. Committed data from before the crash is all there, and the
// host's temporary area, where the sheet waited, is emptied at start.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, BUILD_DIR } from './harness.mjs';

const PW = 'Demo2026';

async function count(c) {
	let n = 0, cursor = null;
	do {
		const r = await c.get(`/api/v1/schools/1/students?limit=500${cursor ? `&cursor=${cursor}` : ''}`);
		assert.equal(r.status, 200, r.text);
		n += r.json.items.length;
		cursor = r.json.next_cursor;
	} while (cursor);
	return n;
}

test('kill -9 during an import commit writes nothing and fails the job', async (t) => {
	const server = await startServer({
		command: 'demo',
		init: false,
		set: { plugin_dir: path.join(BUILD_DIR, 'plugins') },
	});
	t.after(() => server.stop());
	let c = server.client();
	assert.equal((await c.login('13800000002', PW)).status, 200);
	const before = await count(c);

	const rows = ['姓名,性别,年级,班级'];
	for (let i = 0; i < 30000; i++)
		rows.push(`崩溃测试${i},${i % 2 ? '男' : '女'},一年级,1班`);
	const up = await c.request('POST', '/api/v1/schools/1/imports?kind=students&mode=commit', {
		body: Buffer.from(rows.join('\n'), 'utf8'),
		headers: { 'Content-Type': 'text/csv' },
	});
	assert.equal(up.status, 202, up.text);
	const id = up.json.job_id;
	let state;
	for (let i = 0; i < 600; i++) {
		state = (await c.get(`/api/v1/jobs/${id}`)).json;
		if (state.state !== 'queued')
			break;
		await new Promise((r) => setTimeout(r, 20));
	}
	assert.equal(state.state, 'running', 'the job is running when the crash comes');
	await server.kill9();
	await server.restart();

	c = server.client();
	assert.equal((await c.login('13800000002', PW)).status, 200);
	const after = (await c.get(`/api/v1/jobs/${id}`)).json;
	assert.equal(after.state, 'failed');
	assert.match(JSON.stringify(after.result.errors), /restart/);
	assert.equal(await count(c), before, 'nothing of the interrupted commit was written');

	// The upload waited for its job in the host's temporary area, which
	// the host empties at start: the interrupted job's sheet is gone.
	const uploads = path.join(server.dataDir, 'tmp');
	assert.deepEqual(fs.readdirSync(uploads), [], 'the interrupted upload was removed at start');
	assert.equal(fs.existsSync(path.join(server.dataDir, 'imports')), false,
		'roster writes no directory of its own');

	// The school imports again.
	const again = await c.request('POST', '/api/v1/schools/1/imports?kind=students&mode=commit', {
		body: Buffer.from('姓名,性别,年级,班级\n重来一次,男,一年级,1班\n', 'utf8'),
		headers: { 'Content-Type': 'text/csv' },
	});
	assert.equal(again.status, 202);
	for (let i = 0; i < 400; i++) {
		state = (await c.get(`/api/v1/jobs/${again.json.job_id}`)).json;
		if (state.state === 'succeeded' || state.state === 'failed')
			break;
		await new Promise((r) => setTimeout(r, 50));
	}
	assert.equal(state.state, 'succeeded', JSON.stringify(state.result));
	assert.equal(await count(c), before + 1);
	assert.deepEqual(fs.readdirSync(uploads), [], 'the new upload was removed by its job');
});
