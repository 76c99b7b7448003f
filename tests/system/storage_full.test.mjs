// A full disk: the server's data directory on a small tmpfs, filled up
// with a file. Logins and creations answer 507 problem+json with
// Retry-After and an error id (also in the server's log), write nothing
// half, and work again as soon as space is back. Mounting needs root; the
// test says so and skips elsewhere.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';

import { DEFAULT_ADMIN_PASSWORD, startServer } from './harness.mjs';

const isRoot = process.getuid?.() === 0;

function mountTmpfs(dir, size) {
	const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { encoding: 'utf8' });
	return r.status === 0 ? null : `${r.stderr}${r.error?.message ?? ''}`;
}

// Writes until the file system refuses: nothing left for the server.
function fill(file) {
	const fd = fs.openSync(file, 'w');
	try {
		for (const size of [1 << 20, 1 << 16, 1 << 12, 512, 1]) {
			const chunk = Buffer.alloc(size, 0x5a);
			for (;;) {
				try {
					if (fs.writeSync(fd, chunk) < size)
						break;
				} catch (err) {
					if (err.code !== 'ENOSPC')
						throw err;
					break;
				}
			}
		}
	} finally {
		fs.closeSync(fd);
	}
}

function assertFull(r, what, logs) {
	assert.equal(r.status, 507, `${what}: ${r.status} ${r.text.slice(0, 300)}`);
	assert.match(r.headers.get('content-type') ?? '', /application\/problem\+json/);
	assert.match(r.headers.get('retry-after') ?? '', /^\d+$/, `${what}: Retry-After`);
	assert.equal(r.json.status, 507);
	assert.match(r.json.type, /storage-full$/);
	assert.match(r.json.error_id, /^[0-9a-f]{16}$/, `${what}: an error id`);
	assert.ok(r.json.detail.includes(r.json.error_id), 'the detail names the id');
	assert.ok(logs().includes(`error ${r.json.error_id}`), `${what}: the id is in the server's log`);
}

test('a full disk answers 507 with Retry-After and an error id, writes nothing, and recovers', { skip: !isRoot && 'mounting a tmpfs needs root' }, async () => {
	const mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'jx-full-'));
	const failed = mountTmpfs(mnt, '24m');
	assert.equal(failed, null, `mount tmpfs: ${failed}`);
	let server;
	try {
		server = await startServer({ dataDir: path.join(mnt, 'data') });
		const admin = server.client();
		assert.equal((await admin.login('admin', DEFAULT_ADMIN_PASSWORD)).status, 200);

		const filler = path.join(mnt, 'filler');
		fill(filler);

		// a login (session, audit entry)
		const c = server.client();
		const login = await c.login('admin', DEFAULT_ADMIN_PASSWORD);
		assertFull(login, 'login', server.logs);
		assert.equal(c.cookies().size, 0, 'no session cookie for a session that was not stored');

		// a creation
		const created = await admin.post('/api/v1/districts', { code: '430199', name: '满盘区' });
		assertFull(created, 'create a district', server.logs);
		assert.ok(server.alive(), 'the server lives on');

		// space back: the same requests succeed, and nothing of the
		// failed ones was stored
		fs.rmSync(filler);
		const list = await admin.get('/api/v1/districts');
		assert.equal(list.status, 200);
		assert.ok(!JSON.stringify(list.json).includes('430199'), 'the failed creation left nothing');
		assert.equal((await c.login('admin', DEFAULT_ADMIN_PASSWORD)).status, 200);
		const again = await admin.post('/api/v1/districts', { code: '430199', name: '满盘区' });
		assert.equal(again.status, 201, again.text);
	} finally {
		if (server)
			await server.stop();
		spawnSync('umount', [mnt]);
		fs.rmSync(mnt, { recursive: true, force: true });
	}
});
