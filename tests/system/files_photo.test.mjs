// A phone photo through the real file service (issue 12, host/image.c
// behind POST /api/v1/files): tests/fixtures/sideways-gps.jpg, stored
// 1200x900 with EXIF Orientation 6 and the home's position in EXIF GPS
// and XMP, comes back upright (900x1200 display, 240x320 thumbnail, and
// with ?keep_original=1 a 900x1200 original) and no variant carries EXIF,
// XMP, GPS or the camera's name; a HEIC photo comes back as JPEG.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, BUILD_DIR, SOURCE_DIR } from './harness.mjs';

const PW = 'Demo2026';
const PARENT = '13900000001'; // 张一鸣's parent, school 1
const FIXTURES = path.join(SOURCE_DIR, 'tests', 'fixtures');

// Width and height from a JPEG's frame header (SOF0..SOF15 but DHT, JPG,
// DAC), or null.
function jpegSize(buf) {
	if (buf[0] !== 0xff || buf[1] !== 0xd8)
		return null;
	let i = 2;
	while (i + 9 < buf.length) {
		if (buf[i] !== 0xff) return null;
		const m = buf[i + 1];
		const len = buf.readUInt16BE(i + 2);
		if (m >= 0xc0 && m <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(m))
			return { height: buf.readUInt16BE(i + 5), width: buf.readUInt16BE(i + 7) };
		i += 2 + len;
	}
	return null;
}

function assertNoMetadata(buf, what) {
	for (const needle of ['Exif\0', 'http://ns.adobe.com/', 'GPS', 'Xiaomi', 'ICC_PROFILE'])
		assert.equal(buf.indexOf(Buffer.from(needle, 'latin1')), -1, `${what} holds "${needle.replace('\0', '\\0')}"`);
}

// The harness's client reads bodies as text; pictures are bytes: fetch
// with the client's session cookie and CSRF token.
async function upload(server, c, name, bytes, type, query = '') {
	const form = new FormData();
	form.append('file', new Blob([bytes], { type }), name);
	const res = await fetch(`${server.url}/api/v1/files${query}`, {
		method: 'POST',
		body: form,
		headers: { Cookie: c.cookieHeader(), 'X-CSRF-Token': c.csrfToken },
	});
	const text = await res.text();
	return { status: res.status, text, json: res.status === 201 ? JSON.parse(text) : null };
}

async function download(server, c, urlPath) {
	const res = await fetch(`${server.url}${urlPath}`, { headers: { Cookie: c.cookieHeader() } });
	return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

test('a sideways phone photo with GPS comes back upright without metadata', async (t) => {
	const server = await startServer({
		command: 'demo', init: false, set: { plugin_dir: path.join(BUILD_DIR, 'plugins') },
	});
	t.after(() => server.stop());
	const c = server.client();
	assert.equal((await c.login(PARENT, PW)).status, 200);
	const photo = fs.readFileSync(path.join(FIXTURES, 'sideways-gps.jpg'));
	assert.ok(photo.indexOf(Buffer.from('GPS')) > 0, 'the fixture does carry GPS');

	const r = await upload(server, c, '成长记录.jpg', photo, 'image/jpeg', '?keep_original=1');
	assert.equal(r.status, 201, r.text);
	assert.equal(r.json.size, photo.length);
	assert.deepEqual(Object.keys(r.json.variants ?? {}).sort(), ['display', 'thumb']);
	const want = {
		display: { width: 900, height: 1200 },
		thumb: { width: 240, height: 320 },
		original: { width: 900, height: 1200 },
	};
	for (const [variant, size] of Object.entries(want)) {
		const g = await download(server, c, `/api/v1/files/${r.json.id}?variant=${variant}`);
		assert.equal(g.status, 200, `${variant}: ${g.status}`);
		assert.equal(g.headers.get('content-type'), 'image/jpeg', variant);
		assert.deepEqual(jpegSize(g.body), size, `${variant} is upright`);
		assertNoMetadata(g.body, variant);
	}

	// HEIC, which browsers cannot show: JPEG variants.
	const heic = fs.readFileSync(path.join(FIXTURES, 'photo.heic'));
	const h = await upload(server, c, 'IMG_0001.HEIC', heic, 'image/heic');
	assert.equal(h.status, 201, h.text);
	const d = await download(server, c, h.json.variants.display);
	assert.equal(d.status, 200);
	assert.equal(d.headers.get('content-type'), 'image/jpeg');
	assert.deepEqual(jpegSize(d.body), { width: 400, height: 300 });
	assertNoMetadata(d.body, 'the HEIC display copy');
});
