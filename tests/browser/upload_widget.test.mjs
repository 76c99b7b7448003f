// Browser test of the upload widget (templates/static/jx-upload.js) on a
// phone. No page of the app carries it yet (issue 14 adds notice
// attachments), so the test serves its own page with the real scripts
// and stylesheet from templates/static under the host's CSP, and a stub
// of POST /api/v1/files that holds each reply until the test lets it go
// and answers by file name: 201 with a thumbnail, 413, 415 or 507. It
// checks that every file gets its own progress bar while it is sent (one
// at a time, the CSRF header on each), that a submit is held while a file
// is still going, that stored files show their thumbnails and become
// hidden file_ids inputs, that refusals say so in Chinese, that a file
// over data-max-bytes is never sent, that "移除" takes an id out, and that
// the form then posts the ids and no bytes. axe on the page, no sideways
// scroll, no page errors.
//
// Then the real thing: on the real binary, a parent's page (/me) gets the
// same form put in by the test (the page itself is left as it is) and
// the widget loaded from /static; the sideways phone photo goes to the
// real POST /api/v1/files and its thumbnail shows upright (240x320 from
// a 1200x900 frame taken sideways), a PHP script named .jpg is refused.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { SOURCE_DIR, BUILD_DIR, startServer } from '../system/harness.mjs';
import { withBrowser, newPage, checkA11y, screenshot, loginPage } from './harness.mjs';

const CSRF = 'csrf-token-of-the-page';
const STATIC = path.join(SOURCE_DIR, 'templates', 'static');
const PHOTO = fs.readFileSync(path.join(SOURCE_DIR, 'tests', 'fixtures', 'sideways-gps.jpg'));
// The host's own policy (host/http.c): no inline script or style.
const CSP = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; " +
	"base-uri 'self'; form-action 'self'";

const PAGE = `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${CSRF}">
<title>上传照片</title>
<link rel="stylesheet" href="/static/app.css">
</head>
<body>
<main>
<h1>成长记录</h1>
<form method="post" action="/submit" data-jx-upload>
<label for="photos">照片和附件</label>
<input id="photos" type="file" name="file" multiple data-max-bytes="5000000"
       accept="image/*,application/pdf,.doc,.docx">
<button type="submit" class="primary">保存</button>
</form>
</main>
<script src="/static/jx.js" defer></script>
<script src="/static/jx-upload.js" defer></script>
</body>
</html>
`;

const TYPES = { '.js': 'text/javascript', '.css': 'text/css' };

// The stub server: the page, the static files, the upload endpoint and
// the thumbnails. uploads[] records what each POST carried.
function stubServer() {
	const state = { uploads: [], submits: [], held: [], open: false, nextId: 1 };
	const problem = (res, status, type, title) => {
		res.writeHead(status, { 'Content-Type': 'application/problem+json' });
		res.end(JSON.stringify({ type: `/problems/${type}`, title, status, detail: title }));
	};
	const answer = (req, body, res) => {
		const head = body.subarray(0, 600).toString('utf8');
		const name = /filename="([^"]*)"/.exec(head)?.[1] ?? '';
		const field = /name="([^"]*)"/.exec(head)?.[1] ?? '';
		state.uploads.push({ name, field, csrf: req.headers['x-csrf-token'], bytes: body.length });
		if (req.headers['x-csrf-token'] !== CSRF)
			return problem(res, 403, 'csrf', 'Forbidden');
		if (name.startsWith('big'))
			return problem(res, 413, 'payload-too-large', 'Upload too large');
		if (name.startsWith('shell'))
			return problem(res, 415, 'unsupported-media-type', 'File type not allowed');
		if (name.startsWith('full'))
			return problem(res, 507, 'quota-full', "The school's storage is full");
		const id = state.nextId++;
		res.writeHead(201, { 'Content-Type': 'application/json' });
		res.end(JSON.stringify({
			id, name, size: PHOTO.length, mime: 'image/jpeg', sha256: 'x'.repeat(64),
			url: `/api/v1/files/${id}`,
			variants: {
				display: `/api/v1/files/${id}?variant=display`,
				thumb: `/api/v1/files/${id}?variant=thumb`,
			},
		}));
	};
	const server = http.createServer((req, res) => {
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => {
			const body = Buffer.concat(chunks);
			const url = new URL(req.url, 'http://x');
			res.setHeader('Content-Security-Policy', CSP);
			if (req.method === 'GET' && url.pathname === '/upload') {
				res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
				res.end(PAGE);
			} else if (req.method === 'GET' && url.pathname.startsWith('/static/')) {
				const file = path.join(STATIC, path.basename(url.pathname));
				res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
				res.end(fs.readFileSync(file));
			} else if (req.method === 'POST' && url.pathname === '/api/v1/files') {
				if (state.open) answer(req, body, res);
				else state.held.push(() => answer(req, body, res));
			} else if (req.method === 'GET' && /^\/api\/v1\/files\/\d+$/.test(url.pathname)) {
				res.writeHead(200, { 'Content-Type': 'image/jpeg' });
				res.end(PHOTO);
			} else if (req.method === 'POST' && url.pathname === '/submit') {
				state.submits.push({ type: req.headers['content-type'], body: body.toString('utf8') });
				res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
				res.end('<!doctype html><html lang="zh-CN"><title>已保存</title><p>已保存</p></html>');
			} else {
				res.writeHead(404);
				res.end();
			}
		});
	});
	return new Promise((resolve) => {
		server.listen(0, '127.0.0.1', () => {
			state.url = `http://127.0.0.1:${server.address().port}`;
			state.release = () => {
				state.open = true;
				for (const go of state.held.splice(0)) go();
			};
			state.stop = () => new Promise((r) => server.close(r));
			resolve(state);
		});
	});
}

async function until(what, fn, ms = 10000) {
	const end = Date.now() + ms;
	while (Date.now() < end) {
		if (await fn()) return;
		await new Promise((r) => setTimeout(r, 50));
	}
	assert.fail(`timed out waiting for ${what}`);
}

test('photos upload one by one with a progress bar each, then post their ids', async (t) => {
	const stub = await stubServer();
	t.after(() => stub.stop());
	await withBrowser(async () => {
		const page = await newPage({ mobile: true });
		await page.goto(`${stub.url}/upload`);
		await page.waitForFunction(() => window.jxUpload !== undefined);
		// Enhanced: the input no longer posts the bytes itself.
		assert.equal(await page.getAttribute('#photos', 'name'), null);

		const jpeg = (name) => ({ name, mimeType: 'image/jpeg', buffer: PHOTO });
		await page.setInputFiles('#photos', [
			jpeg('成长记录-1.jpg'),
			jpeg('big.jpg'),
			jpeg('shell.jpg'),
			jpeg('full.jpg'),
			jpeg('孩子的照片.jpg'),
			{ name: 'huge.jpg', mimeType: 'image/jpeg', buffer: Buffer.alloc(6 * 1024 * 1024, 1) },
		]);
		// The first file is being sent, the others wait: a bar each.
		await until('the first upload', () => stub.held.length === 1);
		const items = page.locator('.jx-upload-item');
		assert.equal(await items.count(), 6);
		assert.equal(await page.locator('.jx-upload-item progress.jx-progress').count(), 5,
			'a bar for each file but the one refused before sending');
		assert.equal(await page.getAttribute('form', 'aria-busy'), 'true');
		assert.match(await items.nth(0).locator('.jx-upload-status').textContent(), /正在上传/);
		assert.match(await items.nth(1).locator('.jx-upload-status').textContent(), /等待上传/);
		assert.equal(await page.getAttribute('.jx-upload-item:first-child progress', 'aria-label'),
			'成长记录-1.jpg 上传进度');
		// Over data-max-bytes: refused at once, never sent.
		assert.match(await items.nth(5).textContent(), /huge\.jpg 太大/);
		await screenshot(page, 'upload-widget-sending-phone');

		// A submit while a file is still going is held.
		await page.click('button[type="submit"]');
		await until('the busy notice', async () =>
			/请等上传完成/.test(await page.textContent('.jx-upload-notice')));
		assert.equal(stub.submits.length, 0);

		stub.release();
		await until('every upload', async () =>
			(await page.locator('.jx-upload-done, .jx-upload-failed').count()) === 6);
		assert.equal(await page.getAttribute('form', 'aria-busy'), null);

		// One request per file sent, one at a time, each with the page's
		// token and the file as the multipart field "file".
		assert.deepEqual(stub.uploads.map((u) => u.name),
			['成长记录-1.jpg', 'big.jpg', 'shell.jpg', 'full.jpg', '孩子的照片.jpg']);
		for (const u of stub.uploads) {
			assert.equal(u.csrf, CSRF);
			assert.equal(u.field, 'file');
			assert.ok(u.bytes > PHOTO.length, `${u.name}: the whole photo was sent`);
		}

		// Stored: the thumbnail shows, named by the file; ids in the form.
		const ids = await page.$$eval('input[type="hidden"][name="file_ids"]', (is) => is.map((i) => i.value));
		assert.deepEqual(ids, ['1', '2']);
		await until('the thumbnails', () => page.$$eval('img.jx-upload-thumb',
			(is) => is.length === 2 && is.every((i) => i.complete && i.naturalWidth > 0)));
		assert.deepEqual(await page.$$eval('img.jx-upload-thumb', (is) => is.map((i) => i.alt)),
			['成长记录-1.jpg', '孩子的照片.jpg']);
		assert.deepEqual(await page.$$eval('img.jx-upload-thumb', (is) => is.map((i) => new URL(i.src).search)),
			['?variant=thumb', '?variant=thumb']);

		// Refused: why, in Chinese.
		assert.match(await items.nth(1).textContent(), /big\.jpg 太大，超过了允许上传的大小/);
		assert.match(await items.nth(2).textContent(), /shell\.jpg 的文件类型不能上传/);
		assert.match(await items.nth(3).textContent(), /学校的存储空间已满，full\.jpg 没有上传/);
		assert.equal(await page.locator('.jx-upload-failed [role="alert"]').count(), 4);

		// The phone: axe, no sideways scroll, no page error (the refused
		// uploads' 4xx are the browser's own console lines).
		await checkA11y(page);
		const size = await page.evaluate(() => ({
			scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
		}));
		assert.ok(size.scrollWidth <= size.innerWidth, JSON.stringify(size));
		assert.deepEqual(page.jxErrors.filter((e) => !/status of (413|415|507)/.test(e)), []);
		await screenshot(page, 'upload-widget-done-phone');

		// "移除" takes the first photo's id out of the form.
		await page.getByRole('button', { name: '移除 成长记录-1.jpg' }).click();
		assert.deepEqual(await page.$$eval('input[name="file_ids"]', (is) => is.map((i) => i.value)), ['2']);

		// The form posts the ids, not the bytes.
		await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
		assert.equal(stub.submits.length, 1);
		assert.equal(stub.submits[0].type, 'application/x-www-form-urlencoded');
		assert.equal(stub.submits[0].body, 'file_ids=2');
	});
});

test('on the real server: a sideways phone photo shows an upright thumbnail', async (t) => {
	const server = await startServer({
		command: 'demo', init: false, set: { plugin_dir: path.join(BUILD_DIR, 'plugins') },
	});
	t.after(() => server.stop());
	await withBrowser(async () => {
		const page = await loginPage(server, '13900000001', true);
		await page.goto(`${server.url}/me`);
		// The widget's markup, put in by the test; the page's CSRF meta
		// and the host's CSP are the page's own.
		await page.evaluate(() => {
			const form = document.createElement('form');
			const label = document.createElement('label');
			const input = document.createElement('input');
			form.method = 'post';
			form.action = '/me';
			form.setAttribute('data-jx-upload', '');
			label.htmlFor = 'photos';
			label.textContent = '照片';
			input.id = 'photos';
			input.type = 'file';
			input.name = 'file';
			input.multiple = true;
			form.append(label, input);
			document.querySelector('main').prepend(form);
		});
		await page.addScriptTag({ url: '/static/jx-upload.js' });
		await page.waitForFunction(() => window.jxUpload !== undefined);
		await page.setInputFiles('#photos', [
			{ name: '成长记录.jpg', mimeType: 'image/jpeg', buffer: PHOTO },
			{ name: 'shell.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('<?php system($_GET["c"]); ?>\n') },
		]);
		await until('both uploads', async () =>
			(await page.locator('.jx-upload-done, .jx-upload-failed').count()) === 2, 30000);
		await until('the thumbnail', () => page.$eval('img.jx-upload-thumb',
			(i) => i.complete && i.naturalWidth > 0));
		assert.deepEqual(await page.$eval('img.jx-upload-thumb',
			(i) => [i.naturalWidth, i.naturalHeight]), [240, 320], 'upright');
		const ids = await page.$$eval('input[name="file_ids"]', (is) => is.map((i) => i.value));
		assert.equal(ids.length, 1);
		assert.match(ids[0], /^\d+$/);
		assert.match(await page.locator('.jx-upload-item').nth(1).textContent(), /shell\.jpg 的文件类型不能上传/);
		assert.deepEqual(page.jxErrors.filter((e) => !/status of 415/.test(e)), []);
		await screenshot(page, 'upload-widget-real-phone');
	});
});
