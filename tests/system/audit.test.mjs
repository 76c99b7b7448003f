// The audit log's tamper evidence through the real binary: the chain is
// keyed (HMAC under the data directory's key), and a checkpoint beside the
// database (count and head hash, written after each commit that appends)
// makes the removal of the newest entries show; `jiaxiao backup` copies
// the checkpoint. The tampering is done with the sqlite3 shell, as someone
// with write access to the database (but not the key) would.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';

import { jiaxiao, startServer } from './harness.mjs';

const CHECKPOINT = 'jiaxiao.db.audit-checkpoint';

function verify(dataDir) {
	const r = jiaxiao(['audit', 'verify', '--data', dataDir]);
	return { status: r.status, out: r.stdout + r.stderr };
}

function sql(dataDir, script) {
	const r = spawnSync('sqlite3', [path.join(dataDir, 'jiaxiao.db')], {
		input: script,
		encoding: 'utf8',
	});
	assert.equal(r.status, 0, `sqlite3: ${r.error?.message ?? ''}${r.stderr}`);
	return r.stdout.trim();
}

// Entries in the log: failed logins are audited (and cost no real hash).
async function addEntries(server, n) {
	for (let i = 0; i < n; i++) {
		const r = await server.request('POST', '/api/v1/session', {
			json: { login: `nobody${i}`, password: 'Wrong12345' },
		});
		assert.equal(r.status, 401);
	}
}

test('the audit checkpoint reports removed newest entries, a forged hash, and accepts one that lags', async () => {
	const server = await startServer();
	const dir = server.dataDir;
	const saved = fs.mkdtempSync(path.join(os.tmpdir(), 'jx-ckpt-'));
	try {
		await addEntries(server, 6);
		const ckpt = path.join(dir, CHECKPOINT);
		assert.ok(fs.existsSync(ckpt), 'the checkpoint is written beside the database');
		assert.equal(fs.statSync(ckpt).mode & 0o777, 0o600, 'the checkpoint is private');
		const n1 = Number(sql(dir, 'SELECT COUNT(*) FROM audit_log;'));
		assert.match(fs.readFileSync(ckpt, 'utf8'), new RegExp(`^count ${n1}$`, 'm'));
		fs.copyFileSync(ckpt, path.join(saved, 'old'));
		await addEntries(server, 6);
		await server.kill9();

		let v = verify(dir);
		assert.equal(v.status, 0, v.out);
		assert.match(v.out, /intact/);

		// A checkpoint that lags (as after a crash between the commit
		// and the checkpoint's write) is no tampering.
		fs.copyFileSync(ckpt, path.join(saved, 'new'));
		fs.copyFileSync(path.join(saved, 'old'), ckpt);
		v = verify(dir);
		assert.equal(v.status, 0, v.out);
		assert.match(v.out, new RegExp(`intact: ${n1 + 6} entries`));

		// The newest entries deleted, trigger dropped first: the rest
		// still chains, but the checkpoint counted more.
		fs.copyFileSync(path.join(saved, 'new'), ckpt);
		const n = Number(sql(dir, 'SELECT COUNT(*) FROM audit_log;'));
		sql(dir, `DROP TRIGGER audit_log_no_delete;
			DELETE FROM audit_log WHERE id > ${n - 4};`);
		v = verify(dir);
		assert.equal(v.status, 1, v.out);
		assert.match(v.out, /BROKEN.*removed/);

		// A forged hash in the middle (the first character flipped).
		const hash3 = sql(dir, 'SELECT hash FROM audit_log WHERE id = 3;');
		sql(dir, `DROP TRIGGER audit_log_no_update;
			UPDATE audit_log SET hash = (CASE substr(hash, 1, 1) WHEN 'f' THEN 'e' ELSE 'f' END) || substr(hash, 2) WHERE id = 3;`);
		v = verify(dir);
		assert.equal(v.status, 1, v.out);
		assert.match(v.out, /BROKEN at entry 3/);

		// The checkpoint deleted as well: not vouched for.
		fs.rmSync(ckpt);
		sql(dir, `UPDATE audit_log SET hash = '${hash3}' WHERE id = 3;`);
		v = verify(dir);
		assert.equal(v.status, 1, v.out);
		assert.match(v.out, /UNVERIFIED.*missing/);
	} finally {
		fs.rmSync(saved, { recursive: true, force: true });
		if (!process.env.JX_KEEP_DATA)
			fs.rmSync(dir, { recursive: true, force: true });
	}
});

test('jiaxiao backup copies the audit checkpoint, and the copy verifies', async () => {
	const server = await startServer();
	const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jx-backup-'));
	const restored = fs.mkdtempSync(path.join(os.tmpdir(), 'jx-restore-'));
	try {
		await addEntries(server, 3);
		const out = path.join(outDir, 'backup.db');
		const r = jiaxiao(['backup', '--data', server.dataDir, out]);
		assert.equal(r.status, 0, r.stdout + r.stderr);
		const ckpt = `${out}.audit-checkpoint`;
		assert.ok(fs.existsSync(ckpt), 'the checkpoint is copied beside the backup');
		assert.equal(fs.statSync(ckpt).mode & 0o777, 0o600);
		assert.match(fs.readFileSync(ckpt, 'utf8'), /^count \d+$/m);

		fs.copyFileSync(out, path.join(restored, 'jiaxiao.db'));
		fs.copyFileSync(`${out}.secret.key`, path.join(restored, 'secret.key'));
		fs.copyFileSync(ckpt, path.join(restored, CHECKPOINT));
		let v = verify(restored);
		assert.equal(v.status, 0, v.out);
		assert.match(v.out, /intact/);
		// and the backup's checkpoint catches a truncated restore
		sql(restored, 'DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log);');
		v = verify(restored);
		assert.equal(v.status, 1, v.out);
	} finally {
		await server.stop();
		fs.rmSync(outDir, { recursive: true, force: true });
		fs.rmSync(restored, { recursive: true, force: true });
	}
});
