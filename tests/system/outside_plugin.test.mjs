// A plugin built outside the tree, as the README teaches: `cmake --install`
// the build into a temporary prefix, compile tests/outside/awards/awards.c
// with nothing but `cc` and `pkg-config jiaxiao-plugin` (no path into the
// source tree), put its templates/ beside the .so, and load it from
// plugin_path next to the shipped plugins. Then drive it over HTTP: list,
// create, 422 naming the bad fields, another family's child refused (404),
// a teacher for the classes they teach only, and the page rendered from the
// plugin's own templates and i18n catalogs.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, jiaxiao, setArgs, BUILD_DIR, SOURCE_DIR } from './harness.mjs';

const PW = 'Demo2026';
const SRC = path.join(SOURCE_DIR, 'tests', 'outside', 'awards');

function run(cmd, args, opts = {}) {
	const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
	assert.equal(r.status, 0, `${cmd} ${args.join(' ')}:\n${r.stdout}${r.stderr}`);
	return r.stdout;
}

// The student ids of the parent identities a login returns.
async function children(client, login) {
	const r = await client.login(login, PW);
	assert.equal(r.status, 200, r.text);
	return r.json.identities.filter((i) => i.role === 'parent').map((i) => i.student_id);
}

test('a record-list plugin built outside the tree from the installed files', async (t) => {
	const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jx-outside-'));
	t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
	const prefix = path.join(tmp, 'prefix');
	const pluginPath = path.join(tmp, 'plugins');
	const dir = path.join(pluginPath, 'awards');

	const source = fs.readFileSync(path.join(SRC, 'awards.c'), 'utf8');
	assert.ok(source.split('\n').length - 1 <= 150, 'at most 150 lines of C');
	assert.deepEqual(source.match(/^#include .*$/gm).filter((l) => !/<(stdio|string)\.h>/.test(l)),
		['#include <jx/plugin.h>', '#include <jxplug.h>'], 'only the installed headers');

	run('cmake', ['--install', BUILD_DIR, '--prefix', prefix]);
	fs.mkdirSync(dir, { recursive: true });
	// The README's command, from the plugin's own folder.
	run('sh', ['-c', `cc -shared -fPIC -Wall -Werror awards.c $(pkg-config --cflags --libs jiaxiao-plugin) -o '${dir}/jx_awards.so'`], {
		cwd: SRC,
		env: { ...process.env, PKG_CONFIG_PATH: path.join(prefix, 'lib', 'pkgconfig') },
	});
	fs.cpSync(path.join(SRC, 'templates'), path.join(dir, 'templates'), { recursive: true });
	// Only the entry point is exported (-fvisibility=hidden from the .pc).
	const syms = run('nm', ['-D', '--defined-only', path.join(dir, 'jx_awards.so')]);
	assert.deepEqual(syms.split('\n').filter((l) => / T /.test(l)).map((l) => l.split(' ').pop()),
		['jx_plugin_entry']);

	const set = { plugin_dir: path.join(BUILD_DIR, 'plugins'), plugin_path: [pluginPath] };
	const listing = jiaxiao(['plugins', ...setArgs(set)]);
	assert.equal(listing.status, 0, listing.stderr);
	for (const name of ['awards', 'roster', 'keyinfo', 'notices'])
		assert.match(listing.stdout, new RegExp(`^${name}\\s+\\S+\\s+active`, 'm'), listing.stdout);

	const server = await startServer({ command: 'demo', init: false, set });
	t.after(() => server.stop());
	const zhang = server.client();
	const [yiming] = await children(zhang, '13900000001'); // 张一鸣, 一年级1班
	const [xiaoyu] = await children(server.client(), '13800000004'); // 陈小雨, 一年级2班
	const url = (id) => `/api/v1/students/${id}/awards`;

	await t.test('a parent lists and adds awards of their child', async () => {
		let r = await zhang.get(url(yiming));
		assert.equal(r.status, 200, r.text);
		assert.deepEqual(r.json.items, []);
		r = await zhang.post(url(yiming), { title: '作文比赛一等奖', level: 'city', awarded_on: '2026-06-01' });
		assert.equal(r.status, 201, r.text);
		assert.equal(r.json.title, '作文比赛一等奖');
		r = await zhang.get(url(yiming));
		assert.deepEqual(r.json.items.map((a) => [a.title, a.level, a.awarded_on]),
			[['作文比赛一等奖', 'city', '2026-06-01']]);
	});

	await t.test('422 names each bad field, and nothing is stored', async () => {
		const r = await zhang.post(url(yiming), { title: '', level: 'galaxy', awarded_on: '2026-13-01' });
		assert.equal(r.status, 422, r.text);
		assert.match(r.headers.get('content-type'), /problem\+json/);
		assert.deepEqual(r.json.errors.map((e) => e.field).sort(), ['awarded_on', 'level', 'title']);
		assert.equal((await zhang.get(url(yiming))).json.items.length, 1);
	});

	await t.test("another family's child does not exist for a parent", async () => {
		assert.equal((await zhang.get(url(xiaoyu))).status, 404);
		const r = await zhang.post(url(xiaoyu), { title: 'x', level: 'school', awarded_on: '2026-06-01' });
		assert.equal(r.status, 404);
	});

	await t.test('a teacher: the classes they teach only', async () => {
		const wang = server.client(); // 王芳 teaches 一年级1班 and 2班
		assert.equal((await wang.login('13800000003', PW)).status, 200);
		assert.equal((await wang.get(url(yiming))).json.items.length, 1);
		const r = await wang.post(url(xiaoyu), { title: '跳绳比赛', level: 'school', awarded_on: '2026-05-20' });
		assert.equal(r.status, 201, r.text);
		const liu = server.client(); // 刘洋 teaches at the other school
		assert.equal((await liu.login('13800000006', PW)).status, 200);
		assert.equal((await liu.get(url(yiming))).status, 404);
		assert.equal((await liu.post(url(yiming), { title: 'x', level: 'school', awarded_on: '2026-06-01' })).status, 404);
	});

	await t.test("the page comes from the plugin's own templates and catalogs", async () => {
		let r = await zhang.get(`/students/${yiming}/awards`);
		assert.equal(r.status, 200, r.text.slice(0, 300));
		assert.match(r.text, /<h1 id="awards-title">获奖记录<\/h1>/);
		assert.match(r.text, /作文比赛一等奖 · 市级/);
		r = await zhang.get(`/students/${yiming}/awards`, { headers: { 'Accept-Language': 'en' } });
		assert.match(r.text, /<h1 id="awards-title">Awards<\/h1>/);
		assert.match(r.text, /作文比赛一等奖 · City/);
	});
});
