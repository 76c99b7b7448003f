// bench/notices.mjs — a notice to N parents: the time to enqueue it, in one
// transaction, against SQLite alone inserting the same rows.
//
//  1. The demo district with N more students in school 1, each with a
//     parent (persons, students, guardians written straight into the
//     database with the sqlite3 shell before the server starts).
//  2. The real server (with the wechat plugin pointed at the local
//     stand-in, so every parent gets a WeChat row as in production) and a
//     school admin sending a school notice to every parent of the school,
//     REPEAT times. Reported: the enqueue time the notices plugin logs
//     (audience resolution, notices_via, notices_recipients, which is also
//     the in-app delivery, one WeChat outbox row per parent through
//     host->send, the audit entry, the commit with its fsync), and the
//     request as the client saw it. Between runs the deliveries drain.
//  3. The floor: on a copy of that database, the sqlite3 shell inserting
//     the same rows (a notice, its via and recipient rows, a WeChat outbox
//     row per parent with a random idempotency key) in one transaction
//     with INSERT ... SELECT, synchronous=FULL as the server runs.
//
// Wall times on a shared machine swing with its load; the CPU times (the
// request thread's, logged by the plugin; the shell's user + sys) are the
// steadier comparison.
//
// Run by bench/notices.sh, which sets JX_BUILD_DIR (use an -O2 build).
// Environment: BENCH_N [10000], BENCH_REPEAT [5].

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, BUILD_DIR } from '../tests/system/harness.mjs';
import { startWechatApi } from '../tests/stubs/wechat-api.mjs';
import { until } from '../tests/system/outbox-probe.mjs';

const N = Number(process.env.BENCH_N ?? 10000);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);

function sqlite(db, script) {
	const r = spawnSync('sqlite3', [db], { input: script, encoding: 'utf8', maxBuffer: 1 << 24 });
	if (r.status !== 0)
		throw new Error(`sqlite3: ${r.stderr}`);
	return r.stdout;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const api = await startWechatApi({ keep: false });
const settings = {
	plugin_dir: path.join(BUILD_DIR, 'plugins'),
	plugins: '{"sms","wechat","roster","notices"}',
	'wechat.api_base': api.url,
	'wechat.appid': api.appid,
	'wechat.secret': api.secret,
	'wechat.token': 'benchtoken',
	'wechat.template_id': 'TMPLbench',
	'testing.notify_backoff_seconds': 1,
};
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jx-bench-notices-'));
const dbPath = path.join(dataDir, 'jiaxiao.db');
let server = await startServer({ command: 'demo', init: false, dataDir, set: settings });
await server.stop();

// N students in school 1's three classes (ids consecutive in the demo), each with one parent (phones 137...).
sqlite(dbPath, `
PRAGMA foreign_keys = ON;
BEGIN;
CREATE TEMP TABLE n(i INTEGER PRIMARY KEY);
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ${N})
INSERT INTO n SELECT i FROM c;
INSERT INTO persons(id, name, gender, created_at)
  SELECT 1000000 + i, '学生' || i, '男', 0 FROM n;
INSERT INTO students(person_id, school_id, class_id, created_at)
  SELECT 1000000 + i, 1, (SELECT MIN(id) FROM classes WHERE school_id = 1)
    + (i % 3), 0 FROM n;
INSERT INTO persons(id, name, gender, phone, created_at)
  SELECT 3000000 + i, '家长' || i, '女', '137' || printf('%08d', i), 0 FROM n;
INSERT INTO guardians(parent_id, student_id, relation, created_at)
  SELECT 3000000 + i, 1000000 + i, '母亲', 0 FROM n;
COMMIT;
`);

server = await startServer({ command: 'demo', init: false, dataDir, set: settings });
const admin = server.client();
if ((await admin.login('13800000002', 'Demo2026')).status !== 200)
	throw new Error('login failed');

const runs = [];
for (let k = 0; k < REPEAT; k++) {
	const t0 = performance.now();
	const r = await admin.post('/api/v1/notices', {
		kind: 'school', title: `全校家长通知 ${k + 1}`, body: '基准测试', audience: { roles: ['parent'] },
	});
	const client = performance.now() - t0;
	if (r.status !== 201)
		throw new Error(r.text);
	const id = r.json.id;
	const line = await until(() => new RegExp(`notice ${id}: (\\d+) recipients queued in ([\\d.]+) ms \\(([\\d.]+) ms CPU\\)`).exec(server.logs()), 'the log line');
	runs.push({ id, recipients: Number(line[1]), enqueue: Number(line[2]), cpu: Number(line[3]), client });
	// Let the deliveries drain before the next run.
	await until(async () => {
		const d = (await admin.get(`/api/v1/notices/${id}`)).json.deliveries;
		return d.wechat.pending === 0;
	}, 'deliveries to drain', 600000);
}
// The rows queued at compose (later ones are SMS fallbacks: no parent
// here has bound WeChat).
const rows = Number(sqlite(dbPath, `SELECT COUNT(*) FROM outbox WHERE ref = 'notice:${runs[0].id}' AND channel IN ('inapp', 'wechat');`));
await server.stop();

// The floor, on a copy of the same database (same tables and indexes).
const copy = path.join(dataDir, 'floor.db');
sqlite(dbPath, `VACUUM INTO '${copy}';`);
const floors = [];
for (let k = 0; k < REPEAT; k++) {
	const out = sqlite(copy, `
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
PRAGMA foreign_keys = ON;
.timer on
BEGIN;
INSERT INTO notices_notices(school_id, district_id, sender_identity_id,
  sender_person_id, sender_account_id, sender_role, kind, title, body,
  audience, created_at) VALUES (1, 1, 1, 1, 1, 'school_admin', 'school',
  'floor', 'floor', '{}', 0);
INSERT INTO notices_via(notice_id, person_id, role, student_id, class_id)
  SELECT (SELECT MAX(id) FROM notices_notices), g.parent_id, 'parent', g.student_id,
  s.class_id FROM students s JOIN guardians g ON g.student_id = s.person_id
  WHERE s.school_id = 1;
INSERT INTO notices_recipients(notice_id, person_id, is_parent)
  SELECT notice_id, person_id, 1 FROM notices_via
  WHERE notice_id = (SELECT MAX(id) FROM notices_notices)
  GROUP BY notice_id, person_id;
INSERT INTO outbox(channel, recipient, template, params, idem_key, state,
  next_at, created_at, sent_at, ref)
  SELECT 'wechat', r.person_id, 'notice', '{"title":"floor"}',
  lower(hex(randomblob(16))), 'pending', 0, 0, 0, 'notice:floor'
  FROM notices_recipients r
  WHERE r.notice_id = (SELECT MAX(id) FROM notices_notices);
COMMIT;
`);
	if (process.env.BENCH_DEBUG)
		console.error(out);
	const times = [...out.matchAll(/Run Time: real ([\d.]+) user ([\d.]+) sys ([\d.]+)/g)];
	floors.push({
		wall: times.reduce((a, m) => a + Number(m[1]), 0) * 1000,
		cpu: times.reduce((a, m) => a + Number(m[2]) + Number(m[3]), 0) * 1000,
	});
}
await api.close();
fs.rmSync(dataDir, { recursive: true, force: true });

const fmt = (x) => x.toFixed(1);
const e = runs.map((r) => r.enqueue);
const c = runs.map((r) => r.cpu);
const fw = median(floors.map((f) => f.wall));
const fc = median(floors.map((f) => f.cpu));
console.log(`| parents | outbox rows | enqueue, wall (median of ${REPEAT}; min–max) | enqueue, CPU | request (client) | SQLite alone, wall | SQLite alone, CPU | ratio wall / CPU |`);
console.log('|---|---|---|---|---|---|---|---|');
console.log(`| ${runs[0].recipients} | ${rows} | ${fmt(median(e))} ms (${fmt(Math.min(...e))}–${fmt(Math.max(...e))}) | ${fmt(median(c))} ms | ${fmt(median(runs.map((r) => r.client)))} ms | ${fmt(fw)} ms | ${fmt(fc)} ms | ${(median(e) / fw).toFixed(1)}x / ${(median(c) / fc).toFixed(1)}x |`);
