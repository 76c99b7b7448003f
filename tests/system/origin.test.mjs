// Unsafe requests from another site are refused before anything else
// (login CSRF included); same-site browser requests and clients that send
// no Origin (curl, the mobile app) go through.
import test from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './harness.mjs';

test('cross-site unsafe requests are refused', async (t) => {
	const server = await startServer({ set: { public_url: 'https://jx.example.edu.cn' } });
	t.after(() => server.stop());
	const body = 'login=admin&password=Admin12345';
	const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
	const evil = await server.request('POST', '/login', { body, headers: { ...form, Origin: 'https://evil.example' } });
	assert.equal(evil.status, 403);
	assert.equal(evil.headers.get('set-cookie'), null, 'no session for a cross-site login');
	const same = await server.request('POST', '/login', { body, headers: { ...form, Origin: server.url } });
	assert.equal(same.status, 303);
	const pub = await server.request('POST', '/login', { body, headers: { ...form, Origin: 'https://jx.example.edu.cn' } });
	assert.equal(pub.status, 303, 'the public URL behind the proxy is this site');
	const none = await server.request('POST', '/api/v1/session', { json: { login: 'admin', password: 'Admin12345' } });
	assert.equal(none.status, 200);
	const api = await server.request('POST', '/api/v1/session', {
		json: { login: 'admin', password: 'Admin12345' },
		headers: { Origin: 'http://evil.example:8080' },
	});
	assert.equal(api.status, 403);
	// Safe methods are not affected.
	const get = await server.request('GET', '/healthz', { headers: { Origin: 'https://evil.example' } });
	assert.equal(get.status, 200);
});

// Issue 10, tests that bite (3): the Origin must equal public_url (or this
// host) exactly; a longer host name, another port or scheme, or a userinfo
// form starting with the same characters is another site.
test('an Origin that only starts like public_url is another site', async (t) => {
	const server = await startServer({ set: { public_url: 'https://jx.example.edu.cn' } });
	t.after(() => server.stop());
	const login = (origin) => server.request('POST', '/api/v1/session', {
		json: { login: 'admin', password: 'Admin12345' },
		headers: { Origin: origin },
	});
	for (const origin of [
		'https://jx.example.edu.cn.evil.example',
		'https://jx.example.edu.cn:8443',
		'https://jx.example.edu.cn@evil.example',
		'https://user@jx.example.edu.cn',
		'https://jx.example.edu.cnx',
		'http://jx.example.edu.cn',
		`https://jx.example.edu.cn/`,
		'null',
		`${server.url}.evil.example`,
		`${server.url}0`,
	]) {
		const r = await login(origin);
		assert.equal(r.status, 403, `${origin} answered ${r.status}`);
		assert.match(r.json.type, /cross-origin$/);
		assert.equal(r.headers.get('set-cookie'), null, `no session for ${origin}`);
	}
	assert.equal((await login('https://jx.example.edu.cn')).status, 200);
	assert.equal((await login('HTTPS://JX.EXAMPLE.EDU.CN')).status, 200, 'scheme and host are case-insensitive');
	assert.equal((await login(server.url)).status, 200);
});
