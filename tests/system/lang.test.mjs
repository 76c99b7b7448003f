// One language at a time (issue 13): the rules' messages about key
// information came as "身份证号校验位错误：末位应为 1 (wrong check digit:
// ...)" on Chinese pages and in the API. Now the rules give a Chinese and
// an English message and a reply carries the one of its language (the
// UI language: ?lang, the jx_lang cookie, Accept-Language; Chinese by
// default): the 422 of an edit, the problems of GET .../keyinfo, the
// student's key-information page, and a district's dry run. The 404 page
// is Chinese only in zh-CN, English only in en; so are the reasons of the
// password form (the host's own and the Lua password policy's).
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './harness.mjs';
import { SETTINGS, SCHOOL_ADMIN, DISTRICT_ADMIN, idNumber, wrongCheck, login, studentsByName } from './keyinfo_lib.mjs';

const EN = { headers: { 'Accept-Language': 'en-US,en;q=0.9' } };
// Chinese only: no two Latin letters in a row (a lone X or G is part of a
// number's description).
const chineseOnly = (s) => /[\u4e00-\u9fff]/.test(s) && !/[A-Za-z]{2}/.test(s);
const englishOnly = (s) => /[A-Za-z]{3}/.test(s) && !/[\u3000-\u9fff\uff00-\uffef]/.test(s);

let server, admin, ids;

before(async () => {
	server = await startServer({ command: 'demo', init: false, set: SETTINGS });
	admin = await login(server, SCHOOL_ADMIN);
	ids = Object.fromEntries(Object.entries(await studentsByName(admin, 1)).map(([n, s]) => [n, s.id]));
});

after(() => server?.stop());

test('an edit refused by the rules names the problem in the request\'s language only', async () => {
	const url = `/api/v1/students/${ids['王子轩']}/keyinfo`;
	const bad = { id_number: wrongCheck(idNumber('43010420190820031')) };
	const zh = await admin.put(url, bad);
	assert.equal(zh.status, 422, zh.text);
	const mzh = zh.json.errors.find((e) => e.field === 'id_number').message;
	assert.match(mzh, /校验位/);
	assert.ok(chineseOnly(mzh), `Chinese only: ${mzh}`);

	const en = await admin.put(url, bad, EN);
	assert.equal(en.status, 422, en.text);
	const men = en.json.errors.find((e) => e.field === 'id_number').message;
	assert.match(men, /check digit/);
	assert.ok(englishOnly(men), `English only: ${men}`);

	const city = await admin.put(url, { city_no: '43A0001' });
	const mc = city.json.errors.find((e) => e.field === 'city_no').message;
	assert.ok(chineseOnly(mc), `Chinese only: ${mc}`);
});

test('stored problems (a warning) read in one language, on the API and on the page', async () => {
	// Born 2010 in grade 1: valid, with a warning about the age.
	const id = idNumber('43010420100820031');
	const url = `/api/v1/students/${ids['李思涵']}/keyinfo`;
	const r = await admin.put(url, { id_number: id });
	assert.equal(r.status, 200, r.text);

	const zh = await admin.get(url);
	const pz = zh.json.problems.find((p) => p.field === 'id_number');
	assert.ok(pz, zh.text);
	assert.equal(pz.level, 'warning');
	assert.ok(chineseOnly(pz.message), `Chinese only: ${pz.message}`);
	assert.equal(pz.message_en, undefined, 'one message per problem');

	const en = await admin.get(url, EN);
	const pe = en.json.problems.find((p) => p.field === 'id_number');
	assert.ok(englishOnly(pe.message), `English only: ${pe.message}`);

	const page = await admin.get(`/students/${ids['李思涵']}/keyinfo`);
	assert.equal(page.status, 200);
	assert.ok(page.text.includes(pz.message), 'the page shows the Chinese message');
	assert.ok(!page.text.includes(pe.message), 'and not the English one');
	assert.doesNotMatch(page.text, /\((the birth date|wrong check digit)/);
});

test('a district\'s dry run lists problems in the request\'s language', async () => {
	const da = await login(server, DISTRICT_ADMIN);
	const did = da.me.identities.find((i) => i.role === 'district_admin').district_id;
	// Every student with a value fails with the library's messages.
	const source = 'function keyinfo_check(s, R)\n' +
		'  local out = {}\n' +
		'  for _, i in ipairs(require("idcard").check("110105194912310021")) do\n' +
		'    out[#out + 1] = { field = "id_number", level = i.level, code = i.code, message = i.message, message_en = i.message_en }\n' +
		'  end\n' +
		'  return out\n' +
		'end\n';
	for (const [opts, only] of [[{}, chineseOnly], [EN, englishOnly]]) {
		const r = await da.post(`/api/v1/districts/${did}/rules/dry-run`, { source }, opts);
		assert.equal(r.status, 200, r.text);
		const msgs = r.json.newly_failing.flatMap((s) => s.problems.map((p) => p.message));
		assert.ok(msgs.length > 0, r.text);
		for (const m of msgs)
			assert.ok(only(m), `${JSON.stringify(opts)}: ${m}`);
	}
});

test('the 404 page is Chinese only in zh-CN and English only in en', async () => {
	const zh = await server.request('GET', '/no/such/page');
	assert.equal(zh.status, 404);
	const main = (html) => (/<main[^>]*>([\s\S]*)<\/main>/.exec(html)?.[1] ?? html).replace(/<[^>]+>/g, ' ');
	assert.match(main(zh.text), /页面不存在/);
	assert.doesNotMatch(main(zh.text), /Not found|No such resource/);
	const en = await server.request('GET', '/no/such/page?lang=en');
	assert.equal(en.status, 404);
	assert.match(main(en.text), /Not found|not found/i);
	assert.doesNotMatch(main(en.text), /[\u4e00-\u9fff]/);
});

test('the password form\'s reasons are in one language (host messages and the Lua policy)', async () => {
	const c = await login(server, '13800000005'); // 赵磊, school admin of school 2
	const cases = [
		[{ old_password: 'wrong-one1', new_password: 'Abcdefgh12' }, 'old_password', /旧密码不正确/, /old password is wrong/],
		[{ old_password: 'Demo2026', new_password: 'short1' }, 'new_password', /至少需要 8 个字符/, /at least 8 characters/],
		[{ old_password: 'Demo2026', new_password: 'Demo2026' }, 'new_password', /不能与旧密码相同/, /differ from the old one/],
	];
	for (const [body, field, zhRe, enRe] of cases) {
		const zh = await c.put('/api/v1/me/password', body);
		assert.equal(zh.status, 422, zh.text);
		const mz = zh.json.errors.find((e) => e.field === field).message;
		assert.match(mz, zhRe);
		assert.ok(chineseOnly(mz), `Chinese only: ${mz}`);
		const en = await c.put('/api/v1/me/password', body, EN);
		const me = en.json.errors.find((e) => e.field === field).message;
		assert.match(me, enRe);
		assert.ok(englishOnly(me), `English only: ${me}`);
	}
});

test('the roster\'s field errors are in one language', async () => {
	const body = { name: '苏小禾', gender: '女', grade: 1, class: '1班', id_number: wrongCheck(idNumber('43010420190404071')) };
	const zh = await admin.post('/api/v1/schools/1/students', body);
	assert.equal(zh.status, 422, zh.text);
	const mz = zh.json.errors.find((e) => e.field === 'id_number').message;
	assert.ok(chineseOnly(mz), `Chinese only: ${mz}`);
	const en = await admin.post('/api/v1/schools/1/students', body, EN);
	const me = en.json.errors.find((e) => e.field === 'id_number').message;
	assert.ok(englishOnly(me), `English only: ${me}`);
	const cls = await admin.post('/api/v1/schools/1/students', { ...body, id_number: undefined, class: '9班' });
	const mc = cls.json.errors.find((e) => e.field === 'class').message;
	assert.ok(chineseOnly(mc), `Chinese only: ${mc}`);
});
