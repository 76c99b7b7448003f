// A record type built outside the tree (issue 16): `cmake --install` the
// build into a temporary prefix, compile tests/outside/labour/labour.c (a
// district's 劳动教育 type: five fields, one of them photos; at most 80
// lines) with nothing but `cc` and `pkg-config jiaxiao-plugin`, load it
// from plugin_path beside the shipped records plugin, and drive it over
// HTTP: listed in record-types, a required field missing is a 422 naming
// it, a parent's record with a photo, submitted, approved by the head
// teacher, in the portfolio and on its page. records is not changed: the
// type needs nothing from it but records.v1.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, jiaxiao, setArgs, BUILD_DIR, SOURCE_DIR } from './harness.mjs';
import { PNG, PW } from './records_lib.mjs';

const SRC = path.join(SOURCE_DIR, 'tests', 'outside', 'labour');

function run(cmd, args, opts = {}) {
	const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
	assert.equal(r.status, 0, `${cmd} ${args.join(' ')}:\n${r.stdout}${r.stderr}`);
	return r.stdout;
}

test('a 劳动教育 record type built outside the tree, driven over HTTP', async (t) => {
	const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jx-labour-'));
	t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
	const prefix = path.join(tmp, 'prefix');
	const pluginPath = path.join(tmp, 'plugins');
	const dir = path.join(pluginPath, 'labour');

	const source = fs.readFileSync(path.join(SRC, 'labour.c'), 'utf8');
	assert.ok(source.split('\n').length - 1 <= 80, 'at most 80 lines of C');
	assert.deepEqual(source.match(/^#include .*$/gm), ['#include <jx/plugin.h>', '#include <jx/records.h>'],
		'only the installed ABI and service headers');

	run('cmake', ['--install', BUILD_DIR, '--prefix', prefix]);
	assert.ok(fs.existsSync(path.join(prefix, 'include', 'jiaxiao', 'jx', 'records.h')), 'records.h is installed');
	fs.mkdirSync(dir, { recursive: true });
	run('sh', ['-c', `cc -shared -fPIC -Wall -Wextra -Werror labour.c $(pkg-config --cflags --libs jiaxiao-plugin) -o '${dir}/jx_labour.so'`], {
		cwd: SRC,
		env: { ...process.env, PKG_CONFIG_PATH: path.join(prefix, 'lib', 'pkgconfig') },
	});
	const syms = run('nm', ['-D', '--defined-only', path.join(dir, 'jx_labour.so')]);
	assert.deepEqual(syms.split('\n').filter((l) => / T /.test(l)).map((l) => l.split(' ').pop()), ['jx_plugin_entry']);

	const set = { plugin_dir: path.join(BUILD_DIR, 'plugins'), plugin_path: [pluginPath] };
	const listing = jiaxiao(['plugins', ...setArgs(set)]);
	assert.equal(listing.status, 0, listing.stderr);
	for (const name of ['labour', 'records'])
		assert.match(listing.stdout, new RegExp(`^${name}\\s+\\S+\\s+active`, 'm'), listing.stdout);

	const server = await startServer({ command: 'demo', init: false, set });
	t.after(() => server.stop());
	const login = async (who) => {
		const cl = server.client();
		assert.equal((await cl.login(who, PW)).status, 200);
		return cl;
	};
	const zhang = await login('13900000001'); // parent of 张一鸣, 一年级1班
	const wang = await login('13800000003'); // head teacher of 一年级1班
	const kid = (await zhang.get('/api/v1/me')).json.identities.find((i) => i.role === 'parent').student_id;
	const url = `/api/v1/students/${kid}/records`;
	let id;

	await t.test('listed among the record types with its five fields', async () => {
		const r = await zhang.get('/api/v1/record-types');
		assert.equal(r.status, 200, r.text);
		const type = r.json.find((x) => x.code === 'labour');
		assert.ok(type, r.text);
		assert.equal(type.plugin, 'labour');
		assert.equal(type.name, '劳动教育');
		assert.deepEqual(type.fields.map((f) => [f.name, f.type, f.required]), [
			['task', 'text', true], ['kind', 'choice', true], ['date', 'date', true],
			['hours', 'number', true], ['photos', 'files', true]]);
		// the entry form is generated from them
		const page = await zhang.get('/records/new?type=labour');
		assert.equal(page.status, 200);
		assert.match(page.text, /<h1 id="new-title">添加劳动教育<\/h1>/);
		assert.match(page.text, /<option value="日常生活劳动">日常生活劳动<\/option>/);
		assert.match(page.text, /data-jx-upload="files:photos"/);
	});

	const fields = { task: '整理房间、洗碗', kind: '日常生活劳动', date: '2026-11-29', hours: 1.5 };

	await t.test('a required field missing: 422 naming it', async () => {
		let r = await zhang.post(url, { type: 'labour', title: '家务劳动', fields });
		assert.equal(r.status, 422, r.text);
		assert.deepEqual(r.json.errors.map((e) => e.field), ['photos']);
		r = await zhang.post(url, { type: 'labour', title: '家务劳动', fields: { ...fields, task: '', kind: '打游戏' } });
		assert.equal(r.status, 422, r.text);
		assert.deepEqual(r.json.errors.map((e) => e.field).sort(), ['kind', 'photos', 'task']);
	});

	await t.test('created with a photo, submitted, approved, in the portfolio', async () => {
		const up = await zhang.request('POST', '/api/v1/files', {
			body: PNG, headers: { 'Content-Type': 'image/png', 'X-File-Name': 'labour.png' },
		});
		assert.equal(up.status, 201, up.text);
		let r = await zhang.post(url, { type: 'labour', title: '家务劳动', fields: { ...fields, photos: [up.json.id] } });
		assert.equal(r.status, 201, r.text);
		id = r.json.id;
		assert.equal(r.json.status, 'draft');
		assert.equal(r.json.type_name, '劳动教育');
		assert.deepEqual(r.json.files.map((f) => f.id), [up.json.id]);
		assert.equal((await zhang.post(`/api/v1/records/${id}/submit`, {})).status, 204);
		r = await wang.get('/api/v1/schools/1/records/pending');
		assert.ok(r.json.items.some((x) => x.id === id), r.text);
		r = await wang.post(`/api/v1/records/${id}/review`, { decision: 'approve' });
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.status, 'approved');
		r = await zhang.get(`/api/v1/students/${kid}/portfolio`);
		assert.equal(r.status, 200, r.text);
		assert.ok(JSON.stringify(r.json).includes('家务劳动'), r.text);
		r = await zhang.get(`/students/${kid}/portfolio`);
		assert.match(r.text, /<h3>劳动教育<\/h3>/);
		assert.match(r.text, /<dt>劳动类别<\/dt>\s*<dd>日常生活劳动<\/dd>/);
		r = await zhang.get(`/students/${kid}/portfolio`, { headers: { 'Accept-Language': 'en' } });
		assert.match(r.text, /<h3>Labour education<\/h3>/);
		assert.match(r.text, /<dt>Kind of work<\/dt>\s*<dd>Everyday chores<\/dd>/);
	});
});
