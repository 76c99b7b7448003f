// A parent resets their child's password from the personal centre: a
// confirmation page first (only for their own children), then the new
// initial password, which the child logs in with.
import test from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './harness.mjs';

const PW = 'Demo2026';

test('a parent resets their child\'s password after confirming', async (t) => {
	const server = await startServer({ command: 'demo', init: false });
	t.after(() => server.stop());
	const parent = server.client();
	const me = await parent.login('13900000001', PW);
	assert.equal(me.status, 200);
	const page = await parent.get('/me');
	const m = page.text.match(/href="\/me\/accounts\/(\d+)\/password-reset"/);
	assert.ok(m, 'the personal centre links to the reset of the child');
	const aid = m[1];

	const confirm = await parent.get(`/me/accounts/${aid}/password-reset`);
	assert.equal(confirm.status, 200);
	assert.ok(confirm.text.includes('张一鸣'));
	assert.ok(confirm.text.includes('method="post"'));
	// Someone else's child, or an adult's account: not found.
	assert.equal((await parent.get('/me/accounts/1/password-reset')).status, 404);

	const form = `csrf_token=${encodeURIComponent(parent.csrfToken)}`;
	const done = await parent.request('POST', `/me/accounts/${aid}/password-reset`, {
		body: form,
		headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
	});
	assert.equal(done.status, 200, done.text.slice(0, 300));
	// Shown in groups of four (partials/password) that join up to it.
	const strong = done.text.match(/<strong>\s*(<span class="jx-password">[\s\S]*?<\/span><\/span>)\s*<\/strong>/);
	assert.ok(strong, 'the page shows the new initial password');
	const initial = [null, strong[1].replace(/<[^>]*>/g, '')];
	assert.match(initial[1], /^[a-hjkmnp-z2-9]{8}$/);
	const login = done.text.match(/<dd>(\d{8,9})<\/dd>/)[1];

	const child = server.client();
	assert.equal((await child.login(login, PW)).status, 401, 'the old password stops working');
	const l = await child.login(login, initial[1]);
	assert.equal(l.status, 200);
	assert.equal(l.json.account.must_change_password, true);
});
