// The worker's cache of the identity reads every page makes (the acting
// identity, the switcher's rows; host/identity.c) is never stale: one
// worker thread serves every request, so a cached copy would be used if
// it could be; each change of identities must show on the next request:
// - made by another process (the sqlite3 shell, as the CLI would):
//   the data version of the worker's connection moves;
// - made by the worker's own connection (an administrator's API call):
//   its own changes count;
// - the acting identity ended: the next request no longer acts as it.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startServer, BUILD_DIR } from './harness.mjs';

const PW = 'Demo2026';
const CHEN = '13800000004';

function sql(server, query) {
	const r = spawnSync('sqlite3', ['-cmd', '.timeout 10000', path.join(server.dataDir, 'jiaxiao.db'), query],
		{ encoding: 'utf8' });
	assert.equal(r.status, 0, r.stderr);
	return r.stdout.trim();
}

// The identity sheet's labels on a page.
function switcher(html) {
	const start = html.indexOf('class="jx-sheet user-menu"');
	assert.ok(start >= 0, 'the page has the identity sheet');
	const sheet = html.slice(start, html.indexOf('</details>', start));
	return [...sheet.matchAll(/<span class="jx-cell-title">([^<]*)<\/span>/g)].map((m) => m[1])
		.filter((t) => /^(教师|家长) · /.test(t));
}

test('a change of identities shows on the next request, whoever made it', async (t) => {
	const server = await startServer({
		command: 'demo',
		init: false,
		set: { plugin_dir: path.join(BUILD_DIR, 'plugins'), threads: 1 },
	});
	t.after(() => server.stop());
	const chen = server.client();
	assert.equal((await chen.login(CHEN, PW)).status, 200);
	const page = async (p) => {
		const r = await chen.get(p);
		assert.equal(r.status, 200, r.text.slice(0, 300));
		return r.text;
	};
	// Read twice: the second is served from the cache if anything is.
	for (let i = 0; i < 2; i++) {
		assert.deepEqual(switcher(await page('/')),
			['教师 · 岳麓区第一实验小学', '家长 · 陈小雨', '家长 · 陈小阳']);
		assert.match(await page('/me'), /家长 · 陈小阳/);
	}

	// Another process ends the identity for 陈小阳.
	sql(server, `UPDATE identities SET status = 'left' WHERE role = 'parent' AND
		student_id = (SELECT id FROM persons WHERE name = '陈小阳') AND
		account_id = (SELECT id FROM accounts WHERE login = '${CHEN}')`);
	assert.deepEqual(switcher(await page('/')), ['教师 · 岳麓区第一实验小学', '家长 · 陈小雨']);
	assert.doesNotMatch(await page('/me'), /家长 · 陈小阳/);
	assert.deepEqual(switcher(await page('/')), ['教师 · 岳麓区第一实验小学', '家长 · 陈小雨']);

	// The school administrator removes the binding to 陈小雨, through the
	// same worker (its own connection writes).
	const admin = server.client();
	assert.equal((await admin.login('13800000002', PW)).status, 200);
	const list = await admin.get(`/api/v1/schools/1/students?q=${encodeURIComponent('陈小雨')}`);
	assert.equal(list.status, 200, list.text);
	const student = list.json.items[0];
	const guardian = student.guardians.find((g) => g.phone === CHEN);
	assert.ok(guardian, JSON.stringify(student.guardians));
	assert.equal((await admin.del(`/api/v1/students/${student.id}/guardians/${guardian.person_id}`)).status, 204);
	const html = await page('/');
	assert.deepEqual(switcher(html), []);
	assert.match(html, /<span class="identity-current">教师 · 岳麓区第一实验小学<\/span>/);
	assert.match(html, /三年级1班学籍信息未完善/, 'still acting as the head teacher');

	// Another process ends the acting identity itself: the next page no
	// longer acts as the teacher.
	sql(server, `UPDATE identities SET status = 'left' WHERE role = 'teacher' AND
		account_id = (SELECT id FROM accounts WHERE login = '${CHEN}')`);
	const after = await page('/');
	assert.doesNotMatch(after, /identity-current/);
	assert.doesNotMatch(after, /三年级1班学籍信息未完善/);
	const me = await chen.get('/api/v1/me');
	assert.equal(me.status, 200, me.text);
	assert.equal(me.json.acting_identity_id, null);
	assert.deepEqual(me.json.identities, []);

	// And back: the identity active again is acted as again.
	sql(server, `UPDATE identities SET status = 'active' WHERE role = 'teacher' AND
		account_id = (SELECT id FROM accounts WHERE login = '${CHEN}')`);
	assert.match(await page('/'), /三年级1班学籍信息未完善/);
});
