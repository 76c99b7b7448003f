// Host tables belong to the host (issue 11, docs/host-schema.md): the
// test-only plugin host_writer (tests/plugins/host_writer) writes host
// tables straight from a route handler. In test builds the host's SQLite
// authorizer refuses each such write (and a read of the sessions) while
// plugin code runs, and the tables stay as they were; the plugin's own
// table is written.

import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, BUILD_DIR, DEFAULT_ADMIN_PASSWORD } from './harness.mjs';

test('a plugin writing host tables is refused', async (t) => {
	const server = await startServer({
		set: {
			plugin_dir: path.join(BUILD_DIR, 'test-plugins'),
			plugins: '{"host_writer"}',
		},
	});
	t.after(() => server.stop());
	const admin = server.client();
	const login = await admin.login('admin', DEFAULT_ADMIN_PASSWORD);
	assert.equal(login.status, 200, login.text);
	const before = await admin.get('/api/v1/me');
	assert.equal(before.status, 200, before.text);

	const r = await admin.post('/api/v1/test/host-write', {});
	assert.equal(r.status, 200, r.text);
	for (const key of ['sessions', 'persons', 'ddl', 'read_sessions']) {
		assert.equal(r.json[key].changed, -1, `${key}: ${r.text}`);
		assert.match(r.json[key].error, /not authorized|prohibited/, `${key}: ${r.text}`);
	}
	assert.equal(r.json.own.changed, 1, r.text);

	// The session the plugin tried to delete still works, and the
	// admin's name is what it was.
	const after = await admin.get('/api/v1/me');
	assert.equal(after.status, 200, after.text);
	assert.deepEqual(after.json, before.json);
	assert.match(server.logs(), /refused: plugin code writes the host table sessions/);
});
