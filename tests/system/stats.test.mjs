// System test of the stats plugin (issue 19; API.md, "Statistics";
// docs/stats.md) against the real binary serving the demo district, with
// the host's clock moved to known days (testing.clock_offset_seconds) so
// that every number is known: logins by known people on a Monday, the
// Wednesday after and the next Monday; a growth record with a photo, a
// class post with two photos, a notice read, a WeChat follow (OAuth
// binding through the stand-in) and unfollow (the callback's event).
// Checks each number of class, teacher, student, school and district
// rows for one day, one ISO week and a range across weeks; the scopes;
// the xlsx against the JSON; the refresh (idempotent); the weekly series
// and the families never reached; from/to validation.
//
// Demo school 1 (admin 李敏 13800000002): 一年级1班 (王芳 13800000003
// heads it; 陈刚 teaches it) with 张一鸣 (parent 张伟 13900000001) and
// 李思涵; 一年级2班 with 陈小雨 and 三年级1班 (陈刚 heads it) with 陈小阳,
// both children of 陈刚 13800000004. School 2: admin 赵磊 13800000005.
// District admin 周建国 13800000001.

import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { startServer, BUILD_DIR } from './harness.mjs';
import { startWechatApi, wechatSignature, eventXml } from '../stubs/wechat-api.mjs';
import { xlsxRecords, XLSX_TYPE } from './xlsx.mjs';

const PW = 'Demo2026';
const ADMIN1 = '13800000002';
const ADMIN2 = '13800000005';
const WANG = '13800000003';
const CHEN = '13800000004';
const ZHANG = '13900000001';
const DISTRICT = '13800000001';
const TOKEN = 'stats-token';
const PNG = Buffer.from(
	'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
	'base64');

// Days are counted as local days (Asia/Shanghai, UTC+8, no summer time)
// since 1970-01-01.
const TZ = 8 * 3600;
const today = () => Math.floor((Date.now() / 1000 + TZ) / 86400);
const weekday = (d) => (d + 3) % 7; // 0 Monday
const iso = (d) => new Date(d * 86400 * 1000).toISOString().slice(0, 10);
// a Monday two to three weeks ahead: nothing of the demo's is there
const MON = today() - weekday(today()) + 14;
const WED = MON + 2;
const MON2 = MON + 7;

let api, server, base;
const ids = {};

function sql(query) {
	const r = spawnSync('sqlite3', [path.join(server.dataDir, 'jiaxiao.db'), query], { encoding: 'utf8' });
	assert.equal(r.status, 0, r.stderr);
	return r.stdout.trim();
}

// Serves the same data with the clock at 10:00 of local day d.
async function dayIs(d) {
	const offset = d * 86400 + 10 * 3600 - TZ - Math.floor(Date.now() / 1000);
	await server.restart({ set: { ...base, 'testing.clock_offset_seconds': offset } });
}

async function login(who, pw = PW) {
	const c = server.client();
	const r = await c.login(who, pw);
	assert.equal(r.status, 200, `${who}: ${r.text}`);
	c.me = r.json;
	return c;
}

async function upload(c) {
	const r = await c.request('POST', '/api/v1/files', {
		body: PNG,
		headers: { 'Content-Type': 'image/png', 'X-File-Name': 'photo.png' },
	});
	assert.equal(r.status, 201, r.text);
	return r.json.id;
}

function signed(query = {}) {
	const timestamp = String(Math.floor(Date.now() / 1000));
	const nonce = String(Math.floor(Math.random() * 1e9));
	const qs = new URLSearchParams({ signature: wechatSignature(TOKEN, timestamp, nonce), timestamp, nonce, ...query });
	return `/wechat/callback?${qs}`;
}

const usage = async (c, q, sid = 1) => c.get(`/api/v1/schools/${sid}/stats/usage?${new URLSearchParams(q)}`);
const range = (from, to = from) => ({ from: iso(from), to: iso(to) });
const byId = (items) => Object.fromEntries(items.map((r) => [r.id, r]));
const pick = (row, keys) => Object.fromEntries(keys.map((k) => [k, row[k]]));
const ACT = ['logins', 'login_days', 'uploads', 'records', 'files'];

test.before(async () => {
	api = await startWechatApi();
	base = {
		plugin_dir: path.join(BUILD_DIR, 'plugins'),
		public_url: 'https://jx.example.cn',
		'wechat.api_base': api.url,
		'wechat.authorize_url': api.authorizeUrl,
		'wechat.appid': api.appid,
		'wechat.secret': api.secret,
		'wechat.token': TOKEN,
		'wechat.template_id': 'TPL-stats',
		'testing.notify_backoff_seconds': 1,
	};
	const offset = MON * 86400 + 10 * 3600 - TZ - Math.floor(Date.now() / 1000);
	server = await startServer({
		command: 'demo', init: false,
		set: { ...base, 'testing.clock_offset_seconds': offset },
	});
	const person = (name) => Number(sql(`SELECT id FROM persons WHERE name = '${name}'`));
	for (const n of ['张一鸣', '李思涵', '陈小雨', '陈小阳', '张伟', '王芳', '陈刚', '李敏'])
		ids[n] = person(n);
	const klass = (student) => Number(sql(`SELECT class_id FROM students WHERE person_id = ${ids[student]}`));
	ids.c11 = klass('张一鸣');
	ids.c12 = klass('陈小雨');
	ids.c31 = klass('陈小阳');
	assert.equal(klass('李思涵'), ids.c11);
});

test.after(async () => {
	await server?.stop();
	await api?.close();
});

test('Monday: logins, a growth record with a photo, a notice read, a WeChat follow', async () => {
	const zhang = await login(ZHANG);
	await login(ZHANG); // a second login the same day: no second login day
	const kidLogin = sql(`SELECT login FROM accounts WHERE person_id = ${ids['张一鸣']}`);
	await login(kidLogin);
	const wang = await login(WANG);

	const photo = await upload(zhang);
	let r = await zhang.post(`/api/v1/students/${ids['张一鸣']}/records`, {
		type: 'growth', title: '第一次做饭', fields: { date: iso(MON), content: '炒鸡蛋', photos: [photo] },
	});
	assert.equal(r.status, 201, r.text);

	r = await wang.post('/api/v1/notices', {
		kind: 'homework', title: '周末阅读', body: '读完第三章。',
		audience: { class_ids: [ids.c11], roles: ['parent'] },
	});
	assert.equal(r.status, 201, r.text);
	const notice = r.json.id;
	assert.equal((await zhang.post(`/api/v1/inbox/${notice}/read`, {})).status, 204);
	assert.equal((await zhang.post(`/api/v1/inbox/${notice}/read`, {})).status, 204, 'read again: no second read');

	// two visits of the class space, one of 张一鸣's learning space
	for (const url of [`/api/v1/spaces/class/${ids.c11}`, `/api/v1/spaces/class/${ids.c11}`, `/api/v1/spaces/learning/${ids['张一鸣']}`])
		assert.equal((await zhang.get(url)).status, 200, url);

	api.addCode('code-stats-zhang', 'oP-stats-zhang');
	r = await zhang.post('/api/v1/me/wechat', { code: 'code-stats-zhang' });
	assert.equal(r.status, 204, r.text);
});

test('Wednesday: logins, a class post with two photos', async () => {
	await dayIs(WED);
	await login(ZHANG);
	await login(CHEN);
	const wang = await login(WANG);
	const files = [await upload(wang), await upload(wang)];
	const r = await wang.post('/api/v1/posts', { kind: 'info', text: '秋游照片', visibility: 'class', class_id: ids.c11, file_ids: files });
	assert.equal(r.status, 201, r.text);
});

let admin, district, wang, chen, zhang, admin2;

test('the next Monday: the numbers by class, exactly, for one day, one week and across weeks', async () => {
	await dayIs(MON2);
	zhang = await login(ZHANG);
	admin = await login(ADMIN1);
	wang = await login(WANG);
	chen = await login(CHEN);
	district = await login(DISTRICT);
	admin2 = await login(ADMIN2);

	const expect = {
		week: { // Monday to Sunday of the first week
			[ids.c11]: { logins: 2, login_days: 3, uploads: 2, records: 1, files: 1 }, // 张伟 Mon+Wed, 张一鸣 Mon
			[ids.c12]: { logins: 1, login_days: 1, uploads: 0, records: 0, files: 0 }, // 陈刚 as 陈小雨's parent
			[ids.c31]: { logins: 1, login_days: 1, uploads: 0, records: 0, files: 0 }, // and 陈小阳's
		},
		mon: {
			[ids.c11]: { logins: 2, login_days: 2, uploads: 2, records: 1, files: 1 },
			[ids.c12]: { logins: 0, login_days: 0, uploads: 0, records: 0, files: 0 },
			[ids.c31]: { logins: 0, login_days: 0, uploads: 0, records: 0, files: 0 },
		},
		wed: {
			[ids.c11]: { logins: 1, login_days: 1, uploads: 0, records: 0, files: 0 },
			[ids.c12]: { logins: 1, login_days: 1, uploads: 0, records: 0, files: 0 },
			[ids.c31]: { logins: 1, login_days: 1, uploads: 0, records: 0, files: 0 },
		},
		across: { // Monday to the next Monday (today): 张伟 and 陈刚 again
			[ids.c11]: { logins: 2, login_days: 4, uploads: 2, records: 1, files: 1 },
			[ids.c12]: { logins: 1, login_days: 2, uploads: 0, records: 0, files: 0 },
			[ids.c31]: { logins: 1, login_days: 2, uploads: 0, records: 0, files: 0 },
		},
		tue_thu: { // no Monday, no today: only Wednesday's
			[ids.c11]: { logins: 1, login_days: 1, uploads: 0, records: 0, files: 0 },
			[ids.c12]: { logins: 1, login_days: 1, uploads: 0, records: 0, files: 0 },
			[ids.c31]: { logins: 1, login_days: 1, uploads: 0, records: 0, files: 0 },
		},
	};
	const ranges = {
		week: range(MON, MON + 6), mon: range(MON), wed: range(WED), across: range(MON, MON2), tue_thu: range(MON + 1, MON + 3),
	};
	for (const [name, q] of Object.entries(ranges)) {
		const r = await usage(admin, { by: 'class', ...q });
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.from, q.from);
		assert.equal(r.json.to, q.to);
		const rows = byId(r.json.items);
		for (const [cid, want] of Object.entries(expect[name]))
			assert.deepEqual(pick(rows[cid], ACT), want, `${name}, class ${cid}`);
	}
	// the school's own row: its students, parents, teachers and admins,
	// each once (陈刚 is a teacher and a parent of two)
	const total = async (q) => pick((await usage(admin, { by: 'class', ...q })).json.total, ACT);
	assert.deepEqual(await total(ranges.week), { logins: 4, login_days: 6, uploads: 4, records: 1, files: 3 });
	assert.deepEqual(await total(ranges.mon), { logins: 3, login_days: 3, uploads: 2, records: 1, files: 1 });
	// today: 张伟, 李敏, 王芳, 陈刚 logged in
	assert.deepEqual(await total(ranges.across), { logins: 5, login_days: 10, uploads: 4, records: 1, files: 3 });
	assert.deepEqual(await total(range(MON2)), { logins: 4, login_days: 4, uploads: 0, records: 0, files: 0 });
	// the default range: this ISO week up to today
	const def = await usage(admin, {});
	assert.equal(def.json.by, 'class');
	assert.equal(def.json.from, iso(MON2));
	assert.equal(def.json.to, iso(MON2));
	assert.deepEqual(pick(def.json.total, ACT), { logins: 4, login_days: 4, uploads: 0, records: 0, files: 0 });
});

test('the state numbers: accounts, activated, WeChat (follow, then unfollow), key information', async () => {
	// accounts of each class's people (its students and their parents),
	// counted here from the host's tables
	const people = (cid) => sql(`SELECT person_id FROM students WHERE class_id = ${cid} AND status = 'in_school' UNION SELECT g.parent_id FROM guardians g JOIN students s ON s.person_id = g.student_id WHERE s.class_id = ${cid} AND s.status = 'in_school'`).split('\n').filter(Boolean);
	const count = (q) => Number(sql(q));
	const keyinfo = (await admin.get('/api/v1/schools/1/keyinfo/progress')).json;
	const r = await usage(admin, { by: 'class' });
	const rows = byId(r.json.items);
	for (const cid of [ids.c11, ids.c12, ids.c31]) {
		const p = people(cid).join(',');
		assert.equal(rows[cid].accounts, count(`SELECT COUNT(*) FROM accounts WHERE person_id IN (${p})`), `accounts ${cid}`);
		assert.equal(rows[cid].activated, count(`SELECT COUNT(*) FROM accounts WHERE person_id IN (${p}) AND password_hash IS NOT NULL`), `activated ${cid}`);
		assert.equal(rows[cid].keyinfo_complete, keyinfo.classes.find((k) => k.class_id === cid).complete, `keyinfo ${cid}`);
	}
	assert.ok(rows[ids.c11].accounts >= 3, '张一鸣, 李思涵, 张伟 at least');
	assert.equal(r.json.total.keyinfo_complete, keyinfo.complete);
	// 张伟 follows since Monday
	assert.equal(rows[ids.c11].wechat_followed, 1);
	assert.equal(rows[ids.c12].wechat_followed, 0);
	assert.equal(r.json.total.wechat_followed, 1);
	// and unfollows now (WeChat's event)
	const ev = await server.request('POST', signed(), { body: Buffer.from(eventXml({ from: 'oP-stats-zhang', event: 'unsubscribe' })), headers: { 'Content-Type': 'text/xml' } });
	assert.equal(ev.status, 200, ev.text);
	const after = byId((await usage(admin, { by: 'class' })).json.items);
	assert.equal(after[ids.c11].wechat_followed, 0);

	// the weekly series: the follow on the first Monday, the unfollow today
	const w = await admin.get(`/api/v1/schools/1/stats/weekly?${new URLSearchParams(range(MON, MON2))}`);
	assert.equal(w.status, 200, w.text);
	assert.deepEqual(w.json.weeks.map((x) => x.week), [iso(MON), iso(MON2)]);
	assert.deepEqual(w.json.weeks.map((x) => pick(x, ['logins', 'login_days', 'uploads', 'posts', 'notice_reads', 'follows', 'unfollows'])), [
		{ logins: 4, login_days: 6, uploads: 4, posts: 1, notice_reads: 1, follows: 1, unfollows: 0 },
		{ logins: 4, login_days: 4, uploads: 0, posts: 0, notice_reads: 0, follows: 0, unfollows: 1 },
	]);
	const wc = await admin.get(`/api/v1/schools/1/stats/weekly?${new URLSearchParams({ ...range(MON, MON2), class_id: ids.c11 })}`);
	assert.deepEqual(wc.json.weeks.map((x) => pick(x, ['logins', 'login_days', 'uploads', 'notice_reads', 'follows', 'unfollows'])), [
		{ logins: 2, login_days: 3, uploads: 2, notice_reads: 1, follows: 1, unfollows: 0 },
		{ logins: 1, login_days: 1, uploads: 0, notice_reads: 0, follows: 0, unfollows: 1 },
	]);
});

test('by teacher and by student', async () => {
	const t = await usage(admin, { by: 'teacher', ...range(MON, MON + 6) });
	assert.equal(t.status, 200, t.text);
	const tr = byId(t.json.items);
	assert.deepEqual(pick(tr[ids['王芳']], ACT), { logins: 1, login_days: 2, uploads: 2, records: 0, files: 2 });
	assert.deepEqual(pick(tr[ids['陈刚']], ACT), { logins: 1, login_days: 1, uploads: 0, records: 0, files: 0 });
	assert.equal(tr[ids['王芳']].accounts, 1);
	assert.equal(tr[ids['王芳']].wechat_followed, 0);
	assert.equal(tr[ids['王芳']].name, '王芳');

	const s = await usage(admin, { by: 'student', class_id: ids.c11, ...range(MON, MON + 6) });
	assert.equal(s.status, 200, s.text);
	const sr = byId(s.json.items);
	const inClass = sql(`SELECT person_id FROM students WHERE class_id = ${ids.c11} AND status = 'in_school' ORDER BY person_id`).split('\n').map(Number);
	assert.deepEqual(Object.keys(sr).map(Number).sort((a, b) => a - b), inClass);
	assert.ok(inClass.includes(ids['李思涵']));
	// 张一鸣 and his father
	assert.deepEqual(pick(sr[ids['张一鸣']], ACT), { logins: 2, login_days: 3, uploads: 2, records: 1, files: 1 });
	assert.deepEqual(pick(sr[ids['李思涵']], ACT), { logins: 0, login_days: 0, uploads: 0, records: 0, files: 0 });
	assert.equal(sr[ids['张一鸣']].unreached, 0, '张伟 activated');
	const missing = await usage(admin, { by: 'student' });
	assert.equal(missing.status, 422);
	assert.ok(missing.json.errors.some((e) => e.field === 'class_id'));
});

test('the district by school: one day, one week (its rows), across weeks (the scan); refresh idempotent', async () => {
	// the state of the district's rows is the stored one: refresh it
	let r = await district.post('/api/v1/districts/1/stats/refresh', {});
	assert.equal(r.status, 202, r.text);
	const job = r.json.job_id;
	for (let k = 0; k < 200; k++) {
		r = await district.get(`/api/v1/jobs/${job}`);
		if (['succeeded', 'failed'].includes(r.json.state))
			break;
		await new Promise((res) => setTimeout(res, 100));
	}
	assert.equal(r.json.state, 'succeeded', r.text);
	const d = async (q) => {
		const x = await district.get(`/api/v1/districts/1/stats/usage?${new URLSearchParams({ by: 'school', ...q })}`);
		assert.equal(x.status, 200, x.text);
		return byId(x.json.items);
	};
	const school = (await usage(admin, { by: 'class', ...range(MON, MON + 6) })).json.total;
	let rows = await d(range(MON, MON + 6));
	assert.deepEqual(pick(rows[1], ACT), { logins: 4, login_days: 6, uploads: 4, records: 1, files: 3 });
	for (const k of ['accounts', 'activated', 'wechat_followed', 'keyinfo_complete'])
		assert.equal(rows[1][k], school[k], k);
	assert.equal(rows[2].logins, 0);
	rows = await d(range(MON));
	assert.deepEqual(pick(rows[1], ACT), { logins: 3, login_days: 3, uploads: 2, records: 1, files: 1 });
	rows = await d(range(MON, MON2));
	assert.deepEqual(pick(rows[1], ACT), { logins: 5, login_days: 10, uploads: 4, records: 1, files: 3 });
	assert.deepEqual(pick(rows[2], ['logins', 'login_days']), { logins: 1, login_days: 1 }, '赵磊 today');
	rows = await d(range(MON + 1, MON + 3));
	assert.equal(rows[1].logins, 3, 'Wednesday: 张伟, 陈刚, 王芳');

	// the school's refresh: the same stored rows twice
	const snap = () => sql('SELECT class_id, students, parents, accounts, activated, wechat_followed, keyinfo_complete, unreached FROM stats_class_state WHERE school_id = 1 ORDER BY class_id');
	r = await admin.post('/api/v1/schools/1/stats/refresh', {});
	assert.equal(r.status, 200, r.text);
	const first = snap();
	assert.ok(first.length > 0);
	r = await admin.post('/api/v1/schools/1/stats/refresh', {});
	assert.equal(r.status, 200, r.text);
	assert.equal(snap(), first);
	assert.equal(sql('SELECT COUNT(*) FROM stats_school_state WHERE school_id = 1'), '1');
});

test('xlsx: the same rows as the JSON, Chinese headers', async () => {
	for (const [url, json] of [
		[`/api/v1/schools/1/stats/usage.xlsx?${new URLSearchParams({ by: 'class', ...range(MON, MON2) })}`, `/api/v1/schools/1/stats/usage?${new URLSearchParams({ by: 'class', ...range(MON, MON2) })}`],
		[`/api/v1/districts/1/stats/usage.xlsx?${new URLSearchParams(range(MON, MON + 6))}`, `/api/v1/districts/1/stats/usage?${new URLSearchParams(range(MON, MON + 6))}`],
	]) {
		const c = url.includes('districts') ? district : admin;
		const res = await fetch(`${server.url}${url}`, { headers: { Cookie: c.cookieHeader() } });
		assert.equal(res.status, 200);
		assert.equal(res.headers.get('content-type'), XLSX_TYPE);
		const recs = xlsxRecords(Buffer.from(await res.arrayBuffer()));
		const items = (await c.get(json)).json.items;
		assert.equal(recs.length, items.length);
		recs.forEach((rec, k) => {
			const it = items[k];
			assert.equal(rec['名称'], it.name);
			assert.deepEqual(
				[rec['账号数'], rec['已激活'], rec['登录人数'], rec['登录人天'], rec['关注公众号'], rec['上传数'], rec['成长记录'], rec['附件'], rec['关键信息完整']].map(Number),
				[it.accounts, it.activated, it.logins, it.login_days, it.wechat_followed, it.uploads, it.records, it.files, it.keyinfo_complete]);
		});
	}
});

test('families never reached: the class drill-down', async () => {
	const r = await admin.get(`/api/v1/classes/${ids.c11}/stats/unreached`);
	assert.equal(r.status, 200, r.text);
	// a student none of whose parents has a password of their own or a
	// followed WeChat (no WeChat is followed any more here)
	const want = sql(`SELECT s.person_id FROM students s WHERE s.class_id = ${ids.c11} AND s.status = 'in_school' AND NOT EXISTS (SELECT 1 FROM guardians g JOIN accounts a ON a.person_id = g.parent_id WHERE g.student_id = s.person_id AND a.password_hash IS NOT NULL) ORDER BY s.person_id`).split('\n').filter(Boolean).map(Number);
	assert.deepEqual(r.json.items.map((x) => x.id).sort((a, b) => a - b), want);
	assert.ok(!want.includes(ids['张一鸣']));
	const all = (await usage(admin, { by: 'class' })).json;
	const row = byId(all.items)[ids.c11];
	assert.equal(row.unreached, want.length);
	// the school's: every student in school (with a class or without),
	// counted in the same query as the classes'
	const school = Number(sql(`SELECT COUNT(*) FROM students s WHERE s.school_id = 1 AND s.status = 'in_school' AND NOT EXISTS (SELECT 1 FROM guardians g JOIN accounts a ON a.person_id = g.parent_id WHERE g.student_id = s.person_id AND a.password_hash IS NOT NULL)`));
	assert.ok(school >= want.length);
	assert.equal(all.total.unreached, school);
});

test('scope: a teacher sees their classes, others nothing; 404 outside', async () => {
	// 王芳 teaches 一年级1班 and 一年级2班, not 三年级1班
	let r = await usage(wang, { by: 'class' });
	assert.equal(r.status, 200, r.text);
	const mine = r.json.items.map((x) => x.id);
	assert.ok(mine.includes(ids.c11));
	assert.ok(!mine.includes(ids.c31));
	assert.equal(r.json.total, undefined, 'no school total for a teacher');
	r = await usage(wang, { by: 'teacher' });
	assert.deepEqual(r.json.items.map((x) => x.id), [ids['王芳']], 'a teacher: their own row');
	assert.equal((await usage(wang, { by: 'student', class_id: ids.c11 })).status, 200);
	assert.equal((await usage(wang, { by: 'student', class_id: ids.c31 })).status, 404);
	assert.equal((await wang.get(`/api/v1/classes/${ids.c31}/stats/unreached`)).status, 404);
	assert.equal((await wang.get('/api/v1/schools/1/stats/weekly')).status, 422, 'a teacher names the class');
	assert.equal((await wang.get(`/api/v1/schools/1/stats/weekly?class_id=${ids.c31}`)).status, 404);
	assert.equal((await wang.post('/api/v1/schools/1/stats/refresh', {})).status, 404);
	// 陈刚 heads 三年级1班
	r = await usage(chen, { by: 'class' });
	assert.ok(r.json.items.map((x) => x.id).includes(ids.c31));
	// a parent, another school's admin, a school admin at the district
	assert.equal((await usage(zhang, { by: 'class' })).status, 404);
	assert.equal((await usage(admin2, { by: 'class' })).status, 404);
	assert.equal((await usage(admin2, { by: 'class' }, 2)).status, 200);
	assert.equal((await admin.get('/api/v1/districts/1/stats/usage')).status, 404);
	assert.equal((await admin.post('/api/v1/districts/1/stats/refresh', {})).status, 404);
	assert.equal((await zhang.get(`/api/v1/classes/${ids.c11}/stats/unreached`)).status, 404);
	// the district admin sees the school's rows too
	assert.equal((await usage(district, { by: 'class' })).status, 200);
	// not logged in
	assert.equal((await server.request('GET', '/api/v1/schools/1/stats/usage')).status, 401);
});

test('from/to: whole dates, to not before from, at most 366 days; by named', async () => {
	const bad = [
		[{ from: '2026-13-01' }, 'from'],
		[{ from: 'yesterday' }, 'from'],
		[{ to: '2026-02-30' }, 'to'],
		[{ from: iso(MON2), to: iso(MON) }, 'to'],
		[{ from: '2025-01-01', to: '2026-12-31' }, 'from'],
		[{ by: 'parent' }, 'by'],
	];
	for (const [q, field] of bad) {
		const r = await usage(admin, q);
		assert.equal(r.status, 422, JSON.stringify(q));
		assert.match(r.headers.get('content-type'), /^application\/problem\+json/);
		assert.ok(r.json.errors.some((e) => e.field === field), `${JSON.stringify(q)}: ${r.text}`);
	}
	const r = await district.get('/api/v1/districts/1/stats/usage?from=2026-01-01&to=2025-01-01');
	assert.equal(r.status, 422);
	server.assertClean();
});

test('space statistics: visits, posts and records per space and day', async () => {
	const row = (kind, id, day) => sql(`SELECT visits, posts, records, school_id FROM stats_space_days WHERE kind = '${kind}' AND space_id = ${id} AND day = ${iso(day).replaceAll('-', '')}`);
	assert.equal(row('class', ids.c11, MON), '2|0|1|1', 'two visits, 张伟\'s record');
	assert.equal(row('learning', ids['张一鸣'], MON), '1|0|1|1');
	assert.equal(row('school', 1, MON), '0|0|1|1');
	assert.equal(row('class', ids.c11, WED), '0|1|0|1', '王芳\'s class post');
	assert.equal(row('person', ids['王芳'], WED), '0|1|0|1');
});

test('activation: an account without a password of its own, then its first password', async () => {
	const kid = sql(`SELECT id || '|' || login FROM accounts WHERE person_id = ${ids['李思涵']}`).split('|');
	const activated = async () => byId((await usage(admin, { by: 'class' })).json.items)[ids.c11].activated;
	const before = await activated();
	let r = await admin.post(`/api/v1/accounts/${kid[0]}/password-reset`, {});
	assert.equal(r.status, 200, r.text);
	assert.ok(r.json.initial_password);
	assert.equal(await activated(), before - 1, 'an initial password only: not activated');
	const c = await login(kid[1], r.json.initial_password);
	r = await c.put('/api/v1/me/password', { old_password: r.json.initial_password, new_password: 'Stats2026xyz' });
	assert.equal(r.status, 204, r.text);
	assert.equal(await activated(), before);
	const w = await admin.get(`/api/v1/schools/1/stats/weekly?${new URLSearchParams({ ...range(MON2), class_id: ids.c11 })}`);
	assert.equal(w.json.weeks[0].activations, 1);
	server.assertClean();
});
