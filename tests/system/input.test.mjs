// Issue 10: input that must be refused, and replies that must not be
// cached, against the real binary serving the demo district.
//   finding 7: a \u0000 inside a JSON string (it cut the string short: a
//   name "ab\u0000cd" was stored as "ab", a login with a trailing NUL
//   matched the account), control characters in one-line fields, ids
//   that are not integers ("class_id": 1.5 was taken as 1), and %00 in a
//   path ("/api/v1/students/8%00" answered 200, "/static/app.css%00.html"
//   served the stylesheet).
//   finding 10: every page and API reply says Cache-Control: no-store (the
//   slips page shows initial passwords).
//   tests that bite (1): PATCH, PUT and DELETE with the session cookie but
//   no X-CSRF-Token, or from another site, are refused with 403.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, BUILD_DIR } from './harness.mjs';

const PW = 'Demo2026';
const SCHOOL_ADMIN = '13800000002';
const S1 = 1;
const PROBLEM = /^application\/problem\+json/;

let server;
let admin;
let classId;

before(async () => {
	server = await startServer({
		command: 'demo',
		init: false,
		set: { plugin_dir: path.join(BUILD_DIR, 'plugins') },
	});
	admin = server.client();
	const r = await admin.login(SCHOOL_ADMIN, PW);
	assert.equal(r.status, 200, r.text);
	const classes = await admin.get(`/api/v1/schools/${S1}/classes`);
	assert.equal(classes.status, 200, classes.text);
	classId = classes.json[0].id;
});

after(async () => {
	if (server)
		await server.stop();
});

function assertProblem(r, status, field) {
	assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${r.text.slice(0, 400)}`);
	assert.match(r.headers.get('content-type') ?? '', PROBLEM);
	if (field !== undefined)
		assert.ok((r.json?.errors ?? []).some((e) => e.field === field),
			`the problem names field ${field}: ${r.text}`);
}

const student = (extra) => ({ name: '测试生', gender: '男', class_id: classId, ...extra });

async function studentCount() {
	const r = await admin.get(`/api/v1/schools/${S1}/students?limit=500`);
	assert.equal(r.status, 200, r.text);
	return r.json.items.length;
}

test('a \\u0000 inside a string is refused, naming the field', async () => {
	// The body is written by hand: JSON.stringify would write \u0000 too,
	// but the point is the escape as a client sends it.
	const login = await server.request('POST', '/api/v1/session', {
		body: `{"login":"${SCHOOL_ADMIN}\\u0000","password":"${PW}"}`,
		headers: { 'Content-Type': 'application/json' },
	});
	assertProblem(login, 422, 'login');
	assert.equal(login.headers.get('set-cookie'), null, 'no session');

	const before = await studentCount();
	const r = await admin.post(`/api/v1/schools/${S1}/students`, undefined, {
		body: `{"name":"ab\\u0000cd","gender":"男","class_id":${classId}}`,
		headers: { 'Content-Type': 'application/json' },
	});
	assertProblem(r, 422, 'name');
	// Nested: the field is named by its path.
	const nested = await admin.post('/api/v1/notices', undefined, {
		body: '{"kind":"school","title":"t","body":"b","audience":{"roles":["parent\\u0000x"]}}',
		headers: { 'Content-Type': 'application/json' },
	});
	assertProblem(nested, 422, 'audience.roles[0]');
	// An escaped backslash before "u0000" is not a NUL.
	const fine = await admin.post(`/api/v1/schools/${S1}/students`, student({ name: 'ab\\u0000cd' }));
	assert.equal(fine.status, 201, fine.text);
	assert.equal((await admin.get(`/api/v1/students/${fine.json.id}`)).json.name, 'ab\\u0000cd');
	assert.equal(await studentCount(), before + 1, 'only the last one was created');
});

test('a %00 in a form field is no value: the login form does not match the account', async () => {
	const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
	const good = await server.request('POST', '/login', { body: `login=${SCHOOL_ADMIN}&password=${PW}`, headers: form });
	assert.equal(good.status, 303);
	for (const body of [`login=${SCHOOL_ADMIN}%00&password=${PW}`, `login=${SCHOOL_ADMIN}%00x&password=${PW}`,
		`login=${SCHOOL_ADMIN}&password=${PW}%00junk`]) {
		const r = await server.request('POST', '/login', { body, headers: form });
		assert.notEqual(r.status, 303, body);
		assert.ok(!(r.headers.get('set-cookie') ?? '').includes('jx_session=') ||
			/jx_session=;/.test(r.headers.get('set-cookie')), `no session for ${body}`);
	}
});

test('control characters are refused in one-line fields, kept in multi-line ones', async () => {
	for (const name of ['a\u001bb', 'a\nb', 'a\rb', 'a\tb', 'a\u0007b', 'a\u007fb', 'a\u0085b']) {
		const r = await admin.post(`/api/v1/schools/${S1}/students`, student({ name }));
		assertProblem(r, 422, 'name');
	}
	const login = await server.request('POST', '/api/v1/session', {
		json: { login: `${SCHOOL_ADMIN}\n`, password: PW },
	});
	assertProblem(login, 422, 'login');
	const title = await admin.post('/api/v1/notices', {
		kind: 'school', title: '通知\n第二行', body: '正文', audience: { roles: ['parent'] },
	});
	assertProblem(title, 422, 'title');
	const esc = await admin.post('/api/v1/notices', {
		kind: 'school', title: '通知', body: 'x\u001b[31m', audience: { roles: ['parent'] },
	});
	assertProblem(esc, 422, 'body');
	// A notice's body keeps its lines and tabs.
	const ok = await admin.post('/api/v1/notices', {
		kind: 'school', title: '通知', body: '第一行\r\n第二行\n\t缩进', audience: { roles: ['parent'] },
	});
	assert.equal(ok.status, 201, ok.text);
});

test('the student form refuses control characters too', async () => {
	const before = await studentCount();
	const form = (name) => new URLSearchParams({
		csrf_token: admin.csrfToken, name, gender: '男', class_id: String(classId),
	}).toString();
	for (const name of ['a\u001bb', 'a\nb']) {
		const r = await admin.request('POST', `/schools/${S1}/students`, {
			body: form(name),
			headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
		});
		assert.equal(r.status, 422, `${JSON.stringify(name)}: ${r.status}`);
	}
	assert.equal(await studentCount(), before);
});

test('ids and grades must be integers', async () => {
	const before = await studentCount();
	for (const v of [1.5, classId + 0.5, 1e300, -1e300]) {
		const r = await admin.post(`/api/v1/schools/${S1}/students`, student({ class_id: v }));
		assertProblem(r, 422, 'class_id');
	}
	const grade = await admin.post(`/api/v1/schools/${S1}/classes`, { grade: 1.5, name: '9班' });
	assertProblem(grade, 422, 'grade');
	const grades = await admin.post('/api/v1/notices', {
		kind: 'school', title: 't', body: 'b', audience: { grades: [1, 2.5], roles: ['parent'] },
	});
	assertProblem(grades, 422, 'audience.grades[1]');
	assert.equal(await studentCount(), before, 'nothing was created');
	// A whole number written as a fraction is still the number.
	const ok = await admin.post(`/api/v1/schools/${S1}/students`, student({ class_id: classId + 0.0, name: '整数生' }));
	assert.equal(ok.status, 201, ok.text);
});

test('%00 and other controls in a path are refused with 400', async () => {
	const cookie = admin.cookieHeader();
	const list = await admin.get(`/api/v1/schools/${S1}/students?limit=1`);
	const id = list.json.items[0].id;
	const plain = await server.raw('GET', `/api/v1/students/${id}`, { headers: { Cookie: cookie } });
	assert.equal(plain.status, 200);
	for (const p of [`/api/v1/students/${id}%00`, `/api/v1/students/${id}%00x`, `/api/v1/students/${id}%0a`]) {
		const r = await server.raw('GET', p, { headers: { Cookie: cookie } });
		assert.equal(r.status, 400, `${p}: ${r.status}`);
		assert.match(r.headers['content-type'], PROBLEM);
	}
	for (const p of ['/static/app.css%00.html', '/static/app.css%00', '/%00']) {
		const r = await server.raw('GET', p);
		assert.equal(r.status, 400, `${p}: ${r.status}`);
		assert.ok(!r.text.includes('--'), `${p} did not serve the stylesheet`);
	}
	// Ordinary escapes still work.
	const css = await server.raw('GET', '/static/app%2ecss');
	assert.equal(css.status, 200);
	assert.ok(server.alive());
});

test('pages and the API are never stored in a cache (slips show passwords)', async () => {
	const page = await admin.get(`/schools/${S1}/slips?class_id=${classId}`);
	assert.equal(page.status, 200, page.text.slice(0, 300));
	assert.match(page.headers.get('content-type'), /text\/html/);
	assert.equal(page.headers.get('cache-control'), 'no-store');
	const api = await admin.get(`/api/v1/schools/${S1}/slips?class_id=${classId}`);
	assert.equal(api.status, 200);
	assert.equal(api.headers.get('cache-control'), 'no-store');
	for (const p of ['/', '/login', '/me']) {
		const r = await admin.get(p);
		assert.equal(r.headers.get('cache-control'), 'no-store', p);
	}
	// Static assets may be cached.
	const css = await server.request('GET', '/static/app.css');
	assert.match(css.headers.get('cache-control'), /max-age/);
});

test('PATCH, PUT and DELETE need the CSRF token and the same origin', async () => {
	const c = server.client();
	assert.equal((await c.login(SCHOOL_ADMIN, PW)).status, 200);
	const token = c.csrfToken;
	const classes = (await c.get(`/api/v1/schools/${S1}/classes`)).json;
	const target = classes[classes.length - 1];
	const identity = c.cookies().size > 0 && (await c.get('/api/v1/me')).json.acting_identity_id;
	const calls = [
		['PATCH', `/api/v1/classes/${target.id}`, { name: '改名班' }],
		['PUT', '/api/v1/me/identity', { identity_id: identity }],
		['DELETE', `/api/v1/classes/${target.id}`, undefined],
		['DELETE', '/api/v1/session', undefined],
	];
	for (const [method, url, json] of calls) {
		c.csrfToken = null;
		const none = await c.request(method, url, { json });
		assertProblem(none, 403);
		assert.match(none.json.type, /csrf$/, `${method} ${url} without the token`);
		c.csrfToken = null;
		const wrong = await c.request(method, url, { json, headers: { 'X-CSRF-Token': 'x'.repeat(token.length) } });
		assertProblem(wrong, 403);
		c.csrfToken = token;
		const foreign = await c.request(method, url, { json, headers: { Origin: 'https://evil.example' } });
		assertProblem(foreign, 403);
		assert.match(foreign.json.type, /cross-origin$/, `${method} ${url} from another site`);
	}
	// Nothing of it happened: the class kept its name, the session lives.
	const after = (await c.get(`/api/v1/schools/${S1}/classes`)).json.find((x) => x.id === target.id);
	assert.equal(after.name, target.name);
	// With the token, from this site, the same PATCH goes through.
	const ok = await c.patch(`/api/v1/classes/${target.id}`, { name: target.name });
	assert.equal(ok.status, 200, ok.text);
});
