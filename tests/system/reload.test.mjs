// Hot reload without a restart: templates are picked up when their files
// change; the default rules only on SIGHUP (then audit-logged), never by
// merely editing the file. The server runs from a copy of the repository's
// scripts/ and templates/ so the test can edit them.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, jiaxiao, BUILD_DIR, SOURCE_DIR } from './harness.mjs';

test('templates reload on change, default rules on SIGHUP', async (t) => {
	const root = fs.mkdtempSync(path.join(os.tmpdir(), 'jx-reload-'));
	for (const dir of ['scripts', 'templates', 'docs', 'config'])
		fs.cpSync(path.join(SOURCE_DIR, dir), path.join(root, dir), { recursive: true });
	const server = await startServer({
		cwd: root,
		set: { plugin_dir: path.join(BUILD_DIR, 'plugins') },
	});
	t.after(async () => {
		await server.stop();
		fs.rmSync(root, { recursive: true, force: true });
	});

	// A template edit shows on the next requests without a restart.
	const home = path.join(root, 'templates', 'home.html');
	fs.appendFileSync(home, '\n<p id="reload-marker">reloaded-marker-42</p>\n');
	let seen = false;
	for (let i = 0; i < 100 && !seen; i++) {
		seen = (await server.request('GET', '/')).text.includes('reloaded-marker-42');
		if (!seen)
			await new Promise((r) => setTimeout(r, 50));
	}
	assert.ok(seen, 'the edited template is served');

	// The password policy is a default rule: make it demand 20 characters.
	const rules = path.join(root, 'scripts', 'rules', 'default.lua');
	const src = fs.readFileSync(rules, 'utf8');
	assert.ok(src.includes('utf8.len(pw) < 8'));
	fs.writeFileSync(rules, src.replace('utf8.len(pw) < 8', 'utf8.len(pw) < 20'));

	const c = server.client();
	assert.equal((await c.login('admin', 'Admin12345')).status, 200);
	// Editing the file alone changes nothing: 10 characters still pass.
	let r = await c.put('/api/v1/me/password', { old_password: 'Admin12345', new_password: 'Abcdefg123' });
	assert.equal(r.status, 204, r.text);
	let current = 'Abcdefg123';

	// `jiaxiao rules reload` signals the server serving that data dir.
	const reload = jiaxiao(['rules', 'reload', '--data', server.dataDir]);
	assert.equal(reload.status, 0, reload.stdout + reload.stderr);
	// Every worker takes the new rules for its next request.
	let refused = false;
	for (let i = 0; i < 100 && !refused; i++) {
		const next = `Abcdefg${200 + i}`;
		r = await c.put('/api/v1/me/password', { old_password: current, new_password: next });
		if (r.status === 204) {
			current = next;
			await new Promise((res) => setTimeout(res, 50));
			continue;
		}
		assert.equal(r.status, 422, r.text);
		assert.equal(r.json.errors[0].field, 'new_password');
		refused = true;
	}
	assert.ok(refused, 'the reloaded policy refuses a 10-character password');
	r = await c.put('/api/v1/me/password', { old_password: current, new_password: 'Abcdefghij0123456789' });
	assert.equal(r.status, 204, r.text);
	assert.ok(server.logs().includes('SIGHUP'), 'the reload is logged');

	const audit = jiaxiao(['audit', 'verify', '--data', server.dataDir]);
	assert.equal(audit.status, 0, audit.stdout + audit.stderr);
});
