// The bounded wait for a password-hash slot (issue 10, finding 2): a
// login waits at most auth.queue_wait_ms, and only while fewer than
// auth.queue_length logins wait; otherwise 503 problem+json with
// Retry-After, not counted as a failed attempt. The test build's
// testing.argon2_slots_held keeps the only slot taken, so that every
// refusal below is certain rather than a race.

import test from 'node:test';
import assert from 'node:assert/strict';
import { startServer, DEFAULT_ADMIN_PASSWORD } from './harness.mjs';

function login(server, login, password) {
	return server.request('POST', '/api/v1/session', { json: { login, password } });
}

function assertBusy(r) {
	assert.equal(r.status, 503, `status ${r.status}: ${r.text.slice(0, 300)}`);
	assert.match(r.headers.get('content-type') ?? '', /^application\/problem\+json/);
	assert.match(r.json?.type ?? '', /busy$/, r.text);
	assert.equal(r.json.status, 503);
	assert.match(r.headers.get('retry-after') ?? '', /^[1-9][0-9]*$/, 'Retry-After in seconds');
}

test('no free hash slot and no room to wait: 503 at once, never counted as a failure', async (t) => {
	const server = await startServer({
		set: {
			'auth.argon2_concurrency': 1,
			'testing.argon2_slots_held': 1,
			'auth.queue_length': 0,
		},
	});
	t.after(() => server.stop());
	assertBusy(await login(server, 'admin', DEFAULT_ADMIN_PASSWORD));
	// An unknown login costs a hash too, and gets the same answer.
	assertBusy(await login(server, '13999999999', 'Whatever123'));
	// Seven wrong passwords for one login: a failed attempt would be
	// throttled (429) from the sixth on.
	for (let i = 0; i < 7; i++)
		assertBusy(await login(server, 'admin', `Wrong${i}x`));
	// The HTML form says so too, with the same status.
	const form = await server.request('POST', '/login', {
		body: new URLSearchParams({ login: 'admin', password: DEFAULT_ADMIN_PASSWORD }).toString(),
		headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
	});
	assert.equal(form.status, 503, form.text.slice(0, 300));
	assert.ok(server.alive());
});

test('logins that wait for a slot give up after auth.queue_wait_ms: 503', async (t) => {
	const server = await startServer({
		set: {
			'auth.argon2_concurrency': 1,
			'testing.argon2_slots_held': 1,
			'auth.queue_length': 4,
			'auth.queue_wait_ms': 200,
		},
	});
	t.after(() => server.stop());
	// Four may wait, the others are refused at once; all end in 503.
	const replies = await Promise.all(Array.from({ length: 8 }, () =>
		login(server, 'admin', DEFAULT_ADMIN_PASSWORD)));
	for (const r of replies)
		assertBusy(r);
});

test('one slot, no queue, a burst of logins: each is 200 or 503, at least one 200', async (t) => {
	const server = await startServer({
		set: { 'auth.argon2_concurrency': 1, 'auth.queue_length': 0 },
	});
	t.after(() => server.stop());
	const replies = await Promise.all(Array.from({ length: 12 }, () =>
		login(server, 'admin', DEFAULT_ADMIN_PASSWORD)));
	const ok = replies.filter((r) => r.status === 200);
	for (const r of replies)
		if (r.status !== 200)
			assertBusy(r);
	// The first login to reach the slot finds it free.
	assert.ok(ok.length >= 1, 'at least one login got the slot');
	// A login after the burst finds the slot free again.
	assert.equal((await login(server, 'admin', DEFAULT_ADMIN_PASSWORD)).status, 200);
});
