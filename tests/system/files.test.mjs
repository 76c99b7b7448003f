// The host's file service (issue 12) on the demo district, with the test
// plugin filetest (tests/plugins/filetest: posts of a school that carry a
// file, visible to those who may see the school). Types are sniffed from
// the bytes (a PHP script named .jpg and a macro-enabled .docm are 415),
// 413 over limits.upload_bytes, 507 over a school's quota; a file is 404
// to a user of another school, and attaching another school's file id is
// refused; downloads carry the Chinese name (RFC 5987), nosniff, private
// caching, an ETag (304) and byte ranges (206, 416); kill -9 during
// uploads leaves no half-written blob and no row naming a missing one;
// the orphan sweep removes unattached files after a clock jump.
import test from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { startServer, jiaxiao, BUILD_DIR } from './harness.mjs';
import { zip, docx } from './xlsx.mjs';
import { makePng } from './resources_lib.mjs';

const PW = 'Demo2026';
const ADMIN1 = '13800000002'; // school admin, school 1
const ADMIN2 = '13800000005'; // school admin, school 2
const LIMIT = 300000;
const SET = {
	plugin_dir: path.join(BUILD_DIR, 'plugins'),
	plugin_path: [path.join(BUILD_DIR, 'test-plugins')],
	plugins: ['filetest'],
	'limits.upload_bytes': LIMIT,
	'files.schools': '{[2] = 20000}',
};

let server;

async function login(who) {
	const c = server.client();
	const r = await c.login(who, PW);
	assert.equal(r.status, 200, r.text);
	return c;
}

// A PNG of w×h pixels whose rows repeat (a ramp across), in node built-ins.
const png = (w, h) => makePng(w, h, (x) => [x % 256, (x >> 4) % 256, 128]);

// A small PDF whose bytes are ASCII (ranges compare as text).
function pdf(pad = 0, tag = '') {
	return Buffer.from(`%PDF-1.4\n% ${tag}\n1 0 obj << /Type /Catalog >> endobj\n` +
		'%'.repeat(pad) + '\ntrailer << /Root 1 0 R >>\n%%EOF\n', 'ascii');
}

// A Word document with a VBA project, as Word saves a .docm.
function docm() {
	return zip([
		{
			name: '[Content_Types].xml',
			data: '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/><Override PartName="/word/document.xml" ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/></Types>',
		},
		{ name: 'word/document.xml', data: '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body/></w:document>' },
		{ name: 'word/vbaProject.bin', data: Buffer.from('\xd0\xcf\x11\xe0fake vba', 'latin1') },
	], { deflate: true });
}

function multipart(name, data, type = 'application/octet-stream') {
	const b = `----jx${crypto.randomBytes(8).toString('hex')}`;
	const body = Buffer.concat([
		Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: ${type}\r\n\r\n`, 'utf8'),
		data,
		Buffer.from(`\r\n--${b}--\r\n`, 'utf8'),
	]);
	return { body, headers: { 'Content-Type': `multipart/form-data; boundary=${b}` } };
}

function upload(c, name, data, { query = '', raw = false } = {}) {
	if (raw)
		return c.request('POST', `/api/v1/files${query}`, {
			body: data,
			headers: { 'Content-Type': 'application/octet-stream', 'X-File-Name': encodeURIComponent(name) },
		});
	return c.request('POST', `/api/v1/files${query}`, multipart(name, data));
}

const sha = (b) => crypto.createHash('sha256').update(b).digest('hex');

test.before(async () => {
	server = await startServer({ command: 'demo', init: false, set: SET });
});
test.after(() => server?.stop());

// On a server of its own: libvips runs here and nowhere else.
test('an image upload gets display and thumb variants; the upload itself is not stored', async (t) => {
	const own = await startServer({ command: 'demo', init: false, set: SET });
	t.after(() => own.stop());
	const c = own.client();
	assert.equal((await c.login(ADMIN1, PW)).status, 200);
	const img = png(2000, 1000);
	const r = await upload(c, 'IMG_0001.png', img);
	assert.equal(r.status, 201, r.text);
	assert.equal(r.json.mime, 'image/png');
	assert.equal(r.json.size, img.length);
	assert.equal(r.json.sha256, sha(img));
	assert.equal(r.json.variants.thumb, `/api/v1/files/${r.json.id}?variant=thumb`);
	assert.equal(r.json.variants.display, `/api/v1/files/${r.json.id}?variant=display`);
	const thumb = await c.get(r.json.variants.thumb);
	assert.equal(thumb.status, 200);
	assert.match(thumb.headers.get('content-type'), /^image\//);
	const orig = await c.get(`/api/v1/files/${r.json.id}?variant=original`);
	assert.equal(orig.status, 404, 'no original unless asked for');
	// the upload's own bytes are nowhere in the store
	assert.equal(fs.existsSync(path.join(own.dataDir, 'files', r.json.sha256.slice(0, 2),
		r.json.sha256.slice(2, 4), r.json.sha256)), false);
	const kept = await upload(c, 'IMG_0002.png', png(300, 200), { query: '?keep_original=1' });
	assert.equal(kept.status, 201, kept.text);
	assert.equal((await c.get(`/api/v1/files/${kept.json.id}?variant=original`)).status, 200);
	// a PNG signature over bytes that are no picture: libvips refuses it,
	// and nothing of it stays in the work area
	const broken = Buffer.concat([png(10, 10).subarray(0, 16), crypto.randomBytes(4000)]);
	const b = await upload(c, 'broken.png', broken);
	assert.equal(b.status, 415, b.text);
	assert.deepEqual(fs.readdirSync(path.join(own.dataDir, 'tmp')), []);
});

test('types come from the bytes: PHP named .jpg and a .docm are 415; a .docx is 201', async () => {
	const c = await login(ADMIN1);
	const phpBytes = Buffer.from('<?php system($_GET["c"]); ?>\n');
	const php = await upload(c, 'photo.jpg', phpBytes, { query: '?lang=en' });
	assert.equal(php.status, 415, php.text);
	assert.match(php.headers.get('content-type'), /problem\+json/);
	assert.match(php.json.detail, /php/i, 'names the type found');
	assert.doesNotMatch(php.json.detail, /[\u3000-\u9fff\uff00-\uffef]/, `English only: ${php.json.detail}`);
	// In zh-CN (the default) the detail is Chinese only (issue 13): no
	// English words beside it, apart from the names of the formats.
	const phpZh = await upload(c, 'photo.jpg', phpBytes);
	assert.equal(phpZh.status, 415, phpZh.text);
	assert.match(phpZh.json.detail, /不支持此类文件/);
	const words = phpZh.json.detail.replace(/PDF|Word|Excel|PowerPoint|MP3|M4A|MP4/g, '');
	assert.doesNotMatch(words, /[A-Za-z]{2}/, `Chinese only: ${phpZh.json.detail}`);
	const m = await upload(c, '作业.docm', docm(), { query: '?lang=en' });
	assert.equal(m.status, 415, m.text);
	assert.match(m.json.detail, /macro/i);
	// the same macros in a file named .docx
	const m2 = await upload(c, '作业.docx', docm(), { raw: true });
	assert.equal(m2.status, 415, m2.text);
	const d = await upload(c, '作业.docx', docx());
	assert.equal(d.status, 201, d.text);
	assert.equal(d.json.mime, 'application/vnd.openxmlformats-officedocument.wordprocessingml.document');
	const txt = await upload(c, 'a.pdf', Buffer.from('just text\n'));
	assert.equal(txt.status, 415, txt.text);
});

test('over limits.upload_bytes is 413', async () => {
	const c = await login(ADMIN1);
	const r = await upload(c, 'big.pdf', pdf(LIMIT + 10), { raw: true });
	assert.equal(r.status, 413, r.text);
});

test('an empty file is 422 naming the field, and writes no row', async () => {
	const c = await login(ADMIN1);
	const count = () => spawnSync('sqlite3', [path.join(server.dataDir, 'jiaxiao.db'),
		'SELECT count(*) FROM files'], { encoding: 'utf8' }).stdout.trim();
	const before = count();
	for (const raw of [false, true]) {
		const r = await upload(c, '空.pdf', Buffer.alloc(0), { raw });
		assert.equal(r.status, 422, r.text);
		assert.deepEqual(r.json.errors.map((e) => e.field), ['file']);
		assert.match(r.json.detail, /空/);
	}
	assert.equal(count(), before, 'no file row');
});

test('another school gets 404, cannot attach the file, and downloads carry the name and ranges', async () => {
	const a1 = await login(ADMIN1);
	const a2 = await login(ADMIN2);
	const body = pdf(200, 'notice');
	const up = await upload(a1, '家长会通知.pdf', body, { raw: true });
	assert.equal(up.status, 201, up.text);
	assert.equal(up.json.name, '家长会通知.pdf');
	const id = up.json.id;
	// before it is attached: the uploader only
	assert.equal((await a2.get(`/api/v1/files/${id}`)).status, 404);
	// school 2 may not attach school 1's file
	const steal = await a2.post('/api/v1/test/posts', { title: '偷', file_id: id });
	assert.equal(steal.status, 404, steal.text);
	// nor a file id that does not exist
	assert.equal((await a2.post('/api/v1/test/posts', { title: 'x', file_id: 999999 })).status, 404);
	const post = await a1.post('/api/v1/test/posts', { title: '家长会', file_id: id });
	assert.equal(post.status, 201, post.text);
	assert.equal(post.json.file.id, id);
	assert.equal((await a2.get(`/api/v1/files/${id}`)).status, 404, 'attached: still 404 to school 2');
	assert.equal((await a2.get(`/api/v1/files/${id}?variant=display`)).status, 404);

	const r = await a1.get(`/api/v1/files/${id}`);
	assert.equal(r.status, 200);
	assert.equal(r.text, body.toString('ascii'));
	assert.equal(r.headers.get('content-type'), 'application/pdf');
	assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
	assert.match(r.headers.get('cache-control'), /private/);
	const cd = r.headers.get('content-disposition');
	assert.match(cd, /filename\*=UTF-8''%E5%AE%B6%E9%95%BF%E4%BC%9A%E9%80%9A%E7%9F%A5\.pdf/);
	assert.match(cd, /filename="_+\.pdf"/, 'an ASCII fallback');
	const etag = r.headers.get('etag');
	assert.equal(etag, `"${sha(body)}"`);
	assert.equal((await a1.get(`/api/v1/files/${id}`, { headers: { 'If-None-Match': etag } })).status, 304);

	const part = await a1.get(`/api/v1/files/${id}`, { headers: { Range: 'bytes=5-14' } });
	assert.equal(part.status, 206);
	assert.equal(part.text, body.subarray(5, 15).toString('ascii'));
	assert.equal(part.headers.get('content-range'), `bytes 5-14/${body.length}`);
	const tail = await a1.get(`/api/v1/files/${id}`, { headers: { Range: 'bytes=-6' } });
	assert.equal(tail.status, 206);
	assert.equal(tail.text, '%%EOF\n');
	const bad = await a1.get(`/api/v1/files/${id}`, { headers: { Range: `bytes=${body.length}-` } });
	assert.equal(bad.status, 416);
	assert.equal(bad.headers.get('content-range'), `bytes */${body.length}`);

	const all = await a1.get(`/api/v1/files/${id}`, { headers: { Range: 'bytes=0-' } });
	assert.equal(all.status, 206);
	assert.equal(all.text, body.toString('ascii'));
	// several ranges: the whole file
	const multi = await a1.get(`/api/v1/files/${id}`, { headers: { Range: 'bytes=0-1,5-6' } });
	assert.equal(multi.status, 200);
	assert.equal(multi.text.length, body.length);
	const head = await a1.request('HEAD', `/api/v1/files/${id}`);
	assert.equal(head.status, 200);
	assert.equal(head.headers.get('content-length'), String(body.length));
	assert.equal(head.text, '');
	assert.equal((await a1.get(`/api/v1/files/${id}?variant=huge`)).status, 400);

	// the plugin's view of its post shows the file to school 1 only
	assert.equal((await a1.get(`/api/v1/test/posts/${post.json.id}`)).json.file.name, '家长会通知.pdf');
	assert.equal((await a2.get(`/api/v1/test/posts/${post.json.id}`)).status, 404);

	// school 2 cannot detach school 1's post's file; school 1 can
	assert.equal((await a2.del(`/api/v1/test/posts/${post.json.id}/file`)).status, 404);
	const det = await a1.del(`/api/v1/test/posts/${post.json.id}/file`);
	assert.equal(det.status, 200, det.text);
	assert.equal(det.json.detached, 1);
	assert.equal((await a2.get(`/api/v1/files/${id}`)).status, 404);
	assert.equal((await a1.get(`/api/v1/files/${id}`)).status, 200, 'unattached again: its uploader');
});

test('a school over its quota gets 507', async () => {
	const a2 = await login(ADMIN2);
	const first = await upload(a2, 'a.pdf', pdf(12000, 'q1'), { raw: true });
	assert.equal(first.status, 201, first.text);
	const second = await upload(a2, 'b.pdf', pdf(12000, 'q2'), { raw: true });
	assert.equal(second.status, 507, second.text);
	assert.equal(second.json.type.endsWith('quota-full'), true, second.text);
	// school 1 has no quota set
	const a1 = await login(ADMIN1);
	assert.equal((await upload(a1, 'c.pdf', pdf(12000, 'q3'), { raw: true })).status, 201);
});

// Every blob's name is the SHA-256 of its bytes; every variant row names
// a blob that is there with its size; the work area is empty.
function checkStore() {
	const root = path.join(server.dataDir, 'files');
	const blobs = new Map();
	for (const a of fs.readdirSync(root))
		for (const b of fs.readdirSync(path.join(root, a)))
			for (const h of fs.readdirSync(path.join(root, a, b))) {
				const bytes = fs.readFileSync(path.join(root, a, b, h));
				assert.equal(sha(bytes), h, `blob ${h} is whole`);
				blobs.set(h, bytes.length);
			}
	const q = spawnSync('sqlite3', [path.join(server.dataDir, 'jiaxiao.db'),
		'SELECT blob, size FROM file_variants'], { encoding: 'utf8' });
	assert.equal(q.status, 0, q.stderr);
	for (const line of q.stdout.trim().split('\n').filter(Boolean)) {
		const [blob, size] = line.split('|');
		assert.equal(blobs.get(blob), Number(size), `row's blob ${blob} is there`);
	}
	return blobs;
}

test('kill -9 during uploads leaves no half-written blob and no row naming a missing one', async () => {
	const c = await login(ADMIN1);
	const pending = [];
	for (let i = 0; i < 6; i++)
		pending.push(upload(c, `k${i}.pdf`, pdf(250000, `kill${i}`), { raw: true }).catch(() => null));
	await new Promise((r) => setTimeout(r, 150));
	await server.kill9();
	await Promise.all(pending);
	await server.restart();
	checkStore();
	assert.deepEqual(fs.readdirSync(path.join(server.dataDir, 'tmp')), [], 'the work area is emptied at start');

	// The worst moment, held open by the test build: the blob renamed
	// into place and its directory synced, the rows not yet committed.
	await server.restart({ set: { ...SET, 'testing.files_pause_ms': 20000 } });
	const body = pdf(100, 'the worst moment');
	const h = sha(body);
	const blob = path.join(server.dataDir, 'files', h.slice(0, 2), h.slice(2, 4), h);
	const c2 = await login(ADMIN1);
	const cut = upload(c2, 'cut.pdf', body, { raw: true }).catch(() => null);
	for (let i = 0; i < 200 && !fs.existsSync(blob); i++)
		await new Promise((r) => setTimeout(r, 25));
	assert.ok(fs.existsSync(blob), 'the upload reached the window');
	await server.kill9();
	assert.equal(await cut, null, 'the upload got no reply');
	await server.restart({ set: SET });
	const blobs = checkStore();
	// no row names it, so the sweep at start removed it
	for (let i = 0; i < 100 && fs.existsSync(blob); i++)
		await new Promise((r) => setTimeout(r, 50));
	assert.equal(fs.existsSync(blob), false, 'the blob no row names is swept');
	assert.equal(blobs.has(h) && fs.existsSync(blob), false);
	const again = await upload(await login(ADMIN1), 'after.pdf', pdf(10, 'after'), { raw: true });
	assert.equal(again.status, 201, again.text);
});

test('jiaxiao backup copies the uploads beside the database', async (t) => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jx-files-backup-'));
	t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
	const out = path.join(dir, 'b.db');
	const r = jiaxiao(['backup', '--data', server.dataDir, out]);
	assert.equal(r.status, 0, r.stdout + r.stderr);
	const q = spawnSync('sqlite3', [out, 'SELECT DISTINCT blob FROM file_variants'], { encoding: 'utf8' });
	const named = q.stdout.trim().split('\n').filter(Boolean);
	assert.ok(named.length > 3, q.stdout);
	for (const h of named) {
		const p = path.join(`${out}.files`, h.slice(0, 2), h.slice(2, 4), h);
		assert.equal(sha(fs.readFileSync(p)), h, `${h} in the backup`);
	}
});

test('the orphan sweep removes unattached files after a day, keeps attached ones', async () => {
	const c = await login(ADMIN1);
	const kept = await upload(c, 'kept.pdf', pdf(50, 'kept'), { raw: true });
	const post = await c.post('/api/v1/test/posts', { title: 'kept', file_id: kept.json.id });
	assert.equal(post.status, 201, post.text);
	const gone = await upload(c, 'orphan.pdf', pdf(50, 'orphan'), { raw: true });
	assert.equal(gone.status, 201);
	const blob = path.join(server.dataDir, 'files', gone.json.sha256.slice(0, 2),
		gone.json.sha256.slice(2, 4), gone.json.sha256);
	assert.ok(fs.existsSync(blob));
	// the sweep runs when the job thread starts, and daily after
	await server.restart({ set: { ...SET, 'testing.clock_offset_seconds': 2 * 86400 } });
	let c2;
	for (let i = 0; i < 100 && fs.existsSync(blob); i++)
		await new Promise((r) => setTimeout(r, 50));
	assert.equal(fs.existsSync(blob), false, 'the orphan blob is removed');
	c2 = await login(ADMIN1);
	assert.equal((await c2.get(`/api/v1/files/${gone.json.id}`)).status, 404);
	const k = await c2.get(`/api/v1/files/${kept.json.id}`);
	assert.equal(k.status, 200, 'the attached file stays');
	checkStore();
});
