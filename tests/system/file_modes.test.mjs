// Issue 10, finding 9: every file the host writes is the owner's only
// (0600): the database, its -wal and -shm, and `jiaxiao backup`'s output,
// even when the caller's umask would allow more. A database an older version left
// at 0644 is narrowed when the server opens it.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, jiaxiao } from './harness.mjs';

const mode = (p) => (fs.statSync(p).mode & 0o777).toString(8);

test('the database, its WAL and backups are mode 0600', async (t) => {
	// Our own umask is the usual 022: the host must not rely on it.
	const old = process.umask(0o022);
	t.after(() => process.umask(old));
	const server = await startServer();
	t.after(() => server.stop());
	const c = server.client();
	assert.equal((await c.login('admin', 'Admin12345')).status, 200);
	const db = path.join(server.dataDir, 'jiaxiao.db');
	for (const f of [db, `${db}-wal`, `${db}-shm`]) {
		assert.ok(fs.existsSync(f), `${f} exists while the server runs`);
		assert.equal(mode(f), '600', f);
	}

	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jx-modes-'));
	t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
	const out = path.join(dir, 'backup.db');
	const r = jiaxiao(['backup', '--data', server.dataDir, out]);
	assert.equal(r.status, 0, r.stderr);
	assert.equal(mode(out), '600', 'a new backup');
	// The backup's stored files (backup.db.files/, the file service's
	// blobs) are a private directory: 0700 directories, 0600 files.
	for (const f of fs.readdirSync(dir, { recursive: true })) {
		const p = path.join(dir, f);
		assert.equal(mode(p), fs.statSync(p).isDirectory() ? '700' : '600', f);
	}

	// A database left readable by an older version is narrowed at start.
	await server.kill9();
	fs.chmodSync(db, 0o644);
	await server.restart();
	assert.equal(mode(db), '600', 'narrowed when opened');
});
