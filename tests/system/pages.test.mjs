// The page shell against the real binary (issue 13): switching identity
// from the sheet goes back to the page it was opened on (a local path
// only), shows a one-time flash, and leaves the API's switch as it was;
// the layout's back link; a district administrator's 批量导入 link on a
// school's student and teacher lists opens the import page of that
// school instead of a 404.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, httpRequest } from './harness.mjs';

const PW = 'Demo2026';
let server;

before(async () => {
	server = await startServer({ init: false, command: 'demo' });
});

after(async () => {
	await server?.stop();
});

async function login(who) {
	const c = server.client();
	const r = await c.login(who, PW);
	assert.equal(r.status, 200, `login ${who}: ${r.status} ${r.text.slice(0, 200)}`);
	c.me = r.json;
	return c;
}

function form(fields) {
	return {
		body: new URLSearchParams(fields).toString(),
		headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
	};
}

// The hrefs of the links whose text is `text`.
function linksNamed(html, text) {
	return [...html.matchAll(/<a\b[^>]*href="([^"]*)"[^>]*>([^<]*)<\/a>/g)]
		.filter((m) => m[2].trim() === text)
		.map((m) => m[1].replace(/&amp;/g, '&'));
}

test('switching identity from the sheet stays on the page it was opened on', async () => {
	const c = await login('13800000004');
	const ids = c.me.identities;
	assert.equal(ids.length, 3, JSON.stringify(ids));
	const parent = ids.find((i) => i.role === 'parent');
	const teacher = ids.find((i) => i.role === 'teacher');

	// The sheet on an ordinary page: one form naming this page (with its
	// query) as next and carrying the token, a button per other identity;
	// the acting one marked 当前.
	let r = await c.get('/me/password?x=1');
	assert.equal(r.status, 200);
	const forms = [...r.text.matchAll(/<form[^>]*action="\/me\/identity"[^>]*>([\s\S]*?)<\/form>/g)];
	assert.equal(forms.length, 1, 'one form in the sheet');
	assert.match(r.text, /aria-current="true"><span class="jx-cell-main"><span class="jx-cell-title">教师 · /);
	const f = forms[0][1];
	assert.match(f, /name="next" value="\/me\/password\?x=1"/);
	assert.match(f, new RegExp(`name="csrf_token" value="${c.csrfToken}"`));
	const buttons = [...f.matchAll(/<button type="submit" name="identity_id" value="(\d+)"/g)].map((m) => Number(m[1]));
	assert.deepEqual(buttons.sort(), [parent.id, ids.find((i) => i.role === 'parent' && i.id !== parent.id).id].sort(),
		'a button for each identity but the acting one');

	r = await c.request('POST', '/me/identity', form({
		identity_id: String(parent.id), next: '/me/password', csrf_token: c.csrfToken,
	}));
	assert.equal(r.status, 303, r.text);
	assert.equal(r.headers.get('location'), '/me/password');
	assert.equal((await c.get('/api/v1/me')).json.acting_identity_id, parent.id);

	// The flash shows once, in Chinese, then never again.
	r = await c.get('/me/password');
	assert.match(r.text, /class="jx-toast[^"]*"[^>]*>[^<]*已切换身份/);
	r = await c.get('/me/password');
	assert.doesNotMatch(r.text, /已切换身份/, 'the flash shows once');

	// A query string survives; open redirects and odd paths do not.
	const cases = [
		['/notices/inbox?page=2', '/notices/inbox?page=2'],
		['//evil.example/x', '/'],
		['https://evil.example/', '/'],
		['/\\evil.example', '/'],
		['/login?next=/x', '/'],
		['', '/me'],
	];
	for (const [next, want] of cases) {
		r = await c.request('POST', '/me/identity', form({
			identity_id: String(teacher.id), next, csrf_token: c.csrfToken,
		}));
		assert.equal(r.status, 303, `${next}: ${r.text}`);
		assert.equal(r.headers.get('location'), want, `next=${JSON.stringify(next)}`);
	}
	// Without next, as older forms post: the personal centre.
	r = await c.request('POST', '/me/identity', form({
		identity_id: String(teacher.id), csrf_token: c.csrfToken,
	}));
	assert.equal(r.headers.get('location'), '/me');
	// Without the token: refused, nothing switched.
	const bare = form({ identity_id: String(parent.id), next: '/me' });
	r = await c.request('POST', '/me/identity', {
		...bare, headers: { ...bare.headers, 'X-CSRF-Token': 'not-the-token' },
	});
	assert.ok(r.status === 403, `no CSRF token: ${r.status}`);
	assert.equal((await c.get('/api/v1/me')).json.acting_identity_id, teacher.id);

	// The API is unchanged: PUT switches and answers JSON, no redirect.
	r = await c.put('/api/v1/me/identity', { identity_id: parent.id });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.acting_identity_id, parent.id);
	await c.put('/api/v1/me/identity', { identity_id: teacher.id });
});

test('a flash cookie names catalog keys under flash. only', async () => {
	const c = await login('13800000003');
	for (const key of ['nav.logout', 'flash.no_such_key', 'flash.<b>']) {
		const r = await httpRequest(server.url, 'GET', '/me', { cookie: `${c.cookieHeader()}; jx_flash=${key}` });
		assert.equal(r.status, 200);
		assert.doesNotMatch(r.text, /class="jx-toast[^"]*is-shown/, `no flash for ${key}`);
		assert.ok((r.headers.getSetCookie?.() ?? []).some((l) => /^jx_flash=;.*Max-Age=0/.test(l)),
			`the cookie is cleared for ${key}`);
	}
});

test('the title bar has a back link to the handler\'s parent page or home', async () => {
	const c = await login('13800000002');
	let r = await c.get('/me/password');
	assert.match(r.text, /<a class="jx-back" href="\/"[^>]*data-jx-back/);
	r = await c.get('/');
	assert.doesNotMatch(r.text, /class="jx-back"/, 'no back arrow on the home page');
});

test('a district administrator\'s 批量导入 link opens the school\'s import page', async () => {
	const admin = await login('13800000001');
	const districts = (await admin.get('/api/v1/districts')).json;
	const schools = (await admin.get(`/api/v1/districts/${districts[0].id}/schools`)).json;
	assert.ok(schools.length >= 2);
	for (const s of schools) {
		for (const list of ['students', 'teachers']) {
			const r = await admin.get(`/schools/${s.id}/${list}`);
			assert.equal(r.status, 200, `${list} of ${s.name}`);
			const hrefs = linksNamed(r.text, '批量导入');
			assert.equal(hrefs.length, 1, `one 批量导入 link on the ${list} of ${s.name}`);
			const page = await admin.get(hrefs[0]);
			assert.equal(page.status, 200, `${hrefs[0]} answered ${page.status}`);
			assert.ok(page.text.includes(s.name), `the import page names ${s.name}`);
			assert.match(page.text, new RegExp(`data-school-id="${s.id}"`));
		}
	}
	// A school admin's link stays valid too, and the import page of
	// another school is not theirs.
	const li = await login('13800000002');
	const own = li.me.identities[0].school_id;
	let r = await li.get(`/schools/${own}/students`);
	const [href] = linksNamed(r.text, '批量导入');
	r = await li.get(href);
	assert.equal(r.status, 200, href);
	const other = schools.find((s) => s.id !== own);
	r = await li.get(`/roster/import?school_id=${other.id}`);
	assert.equal(r.status, 404, 'another school\'s import page is not found');
});
