// Helpers shared by the key-information system tests (keyinfo.test.mjs,
// keyinfo_rules.test.mjs): logins to the demo district, student ids by
// name, valid and broken ID numbers, problem+json checks, the audit log,
// binary downloads and waiting for the stored rule results to be fresh.
//
// Demo district 430104 岳麓区 (host/demo.c), every password Demo2026:
// 13800000001 district admin 周建国; school 1 岳麓区第一实验小学 (admin
// 李敏 13800000002): 一年级1班 (head 王芳 13800000003; 张一鸣 — the only
// student with a 全国学籍号, G430104201905010011 —, 李思涵, 王子轩),
// 一年级2班 (no head; 陈小雨, 赵欣怡), 三年级1班 (head 陈刚 13800000004;
// 陈小阳, 孙浩然); 王芳 teaches 一年级1班 and 2班, 陈刚 一年级1班 and
// 三年级1班 and is the father of 陈小雨 and 陈小阳; 张伟 13900000001 is
// the father of 张一鸣. School 2 岳麓区第二中学 (admin 赵磊
// 13800000005): 七年级1班 (head 刘洋 13800000006; 周子涵, 吴俊杰, 刘䶮),
// 八年级1班 (黄诗琪).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { BUILD_DIR, jiaxiao } from './harness.mjs';

export const PW = 'Demo2026';
export const DISTRICT_ADMIN = '13800000001';
export const SCHOOL_ADMIN = '13800000002';
export const SCHOOL2_ADMIN = '13800000005';
export const WANG = '13800000003';
export const CHEN = '13800000004';
export const LIU = '13800000006';
export const ZHANG = '13900000001';
export const SETTINGS = { plugin_dir: path.join(BUILD_DIR, 'plugins') };
export const FIELDS = ['national_no', 'city_no', 'id_number'];
export const PROBLEM = /^application\/problem\+json/;
export const MASKED = /^\d{3}\*{11}\d{3}[\dX]$/;

// An 18-character ID number with its GB 11643 check digit.
export function idNumber(body17) {
	const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
	const sum = [...body17].reduce((s, c, i) => s + Number(c) * w[i], 0);
	return body17 + '10X98765432'[sum % 11];
}

// The same number with a wrong check digit.
export function wrongCheck(id) {
	const last = id[17] === '0' ? '1' : '0';
	return id.slice(0, 17) + last;
}

export const masked = (id) => `${id.slice(0, 3)}${'*'.repeat(11)}${id.slice(14)}`;
// A G 全国学籍号 (G + the ID number) as shown without a reveal: masked like the ID number.
export const maskedG = (id) => `G${masked(id)}`;
export const DEMO_G = 'G430104201905010011';

export async function login(server, loginName, password = PW) {
	const c = server.client();
	const r = await c.login(loginName, password);
	assert.equal(r.status, 200, `login ${loginName}: ${r.status} ${r.text.slice(0, 300)}`);
	c.me = r.json;
	return c;
}

// Switches c's acting identity to the first of `role` matching `pick`.
export async function act(c, role, pick = () => true) {
	const id = c.me.identities.find((i) => i.role === role && pick(i));
	assert.ok(id, `${role} identity in ${JSON.stringify(c.me.identities)}`);
	const r = await c.put('/api/v1/me/identity', { identity_id: id.id });
	assert.equal(r.status, 200, r.text);
	return id;
}

export function assertProblem(r, status, field) {
	assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${r.text.slice(0, 400)}`);
	assert.match(r.headers.get('content-type') ?? '', PROBLEM);
	if (field !== undefined)
		assert.ok((r.json?.errors ?? []).some((e) => e.field === field),
			`the problem names field ${field}: ${r.text}`);
}

// Every student of school sid as the roster lists them, by name.
export async function studentsByName(c, sid) {
	const out = {};
	let cursor = null;
	for (;;) {
		const r = await c.get(`/api/v1/schools/${sid}/students?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
		assert.equal(r.status, 200, r.text);
		for (const s of r.json.items)
			out[s.name] = s;
		if (!r.json.next_cursor)
			return out;
		cursor = r.json.next_cursor;
	}
}

// A GET whose body is binary (the harness decodes bodies as text).
export async function download(server, c, urlPath) {
	const res = await fetch(new URL(urlPath, server.url), {
		headers: { Cookie: c.cookieHeader() },
		redirect: 'manual',
	});
	return { status: res.status, headers: res.headers, buf: Buffer.from(await res.arrayBuffer()) };
}

// The number of entries in the audit chain (jiaxiao audit verify).
export function auditCount(server) {
	const v = jiaxiao(['audit', 'verify', '--data', server.dataDir]);
	assert.equal(v.status, 0, `audit verify: ${v.stdout}${v.stderr}`);
	const m = /intact: (\d+) entries/.exec(v.stdout);
	assert.ok(m, v.stdout);
	return Number(m[1]);
}

// The audit entries of one action [{target, detail}] through the sqlite3
// shell, or null when the machine has none (auditCount still counts).
export function auditEntries(server, action) {
	const r = spawnSync('sqlite3', ['-readonly', '-json', path.join(server.dataDir, 'jiaxiao.db'),
		`SELECT target, detail FROM audit_log WHERE action = '${action}' ORDER BY id`], { encoding: 'utf8' });
	if (r.error)
		return null;
	assert.equal(r.status, 0, r.stderr);
	return r.stdout.trim() ? JSON.parse(r.stdout) : [];
}

// Polls a progress URL until its stored results are up to date (stale 0
// and, when given, rules_version `version`); returns that reply. The
// recomputation is a background job: this waits for a state, not a time.
export async function fresh(c, urlPath, version, timeoutMs = 60000) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const r = await c.get(urlPath);
		assert.equal(r.status, 200, `${urlPath}: ${r.text}`);
		assert.ok(Number.isInteger(r.json.stale) && r.json.stale >= 0, r.text);
		if (r.json.stale === 0 && (version === undefined || r.json.rules_version === version))
			return r.json;
		if (Date.now() > deadline)
			throw new Error(`${urlPath} not fresh (want version ${version}): ${r.text}`);
		await new Promise((res) => setTimeout(res, 50));
	}
}

// The invariants of every progress reply: complete + incomplete = total
// at every level, pending never more than total, parts add up to the whole.
export function checkProgress(p, parts = 'classes') {
	for (const k of ['total', 'complete', 'incomplete', 'pending'])
		assert.ok(Number.isInteger(p[k]) && p[k] >= 0, `${k}: ${JSON.stringify(p)}`);
	assert.equal(p.complete + p.incomplete, p.total, JSON.stringify(p));
	assert.ok(p.pending <= p.total, JSON.stringify(p));
	assert.ok(Array.isArray(p[parts]), JSON.stringify(p));
	for (const k of ['total', 'complete', 'incomplete', 'pending'])
		assert.equal(p[parts].reduce((s, x) => s + x[k], 0), p[k], `${parts} add up to ${k}: ${JSON.stringify(p)}`);
	for (const x of p[parts])
		assert.equal(x.complete + x.incomplete, x.total, JSON.stringify(x));
}

// The error problems of a keyinfo reply.
export const errorsOf = (k) => k.problems.filter((p) => p.level === 'error');
