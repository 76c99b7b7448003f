// System test of how the practice plugin tells families (issue 18):
// through the host's outbox, in the app and by WeChat; a parent WeChat
// cannot reach (no binding) gets an SMS instead, as notices do. The
// real wechat and sms plugins run against the stubs of tests/stubs.

import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, BUILD_DIR } from './harness.mjs';
import { startWechatApi } from '../stubs/wechat-api.mjs';
import { startSmsGateway } from '../stubs/sms-gateway.mjs';
import { WECHAT_TOKEN, TEMPLATE_ID } from './outbox-probe.mjs';

const PW = 'Demo2026';
const ADMIN1 = '13800000002';
const DADMIN = '13800000001';
const ZHANG = '13900000001'; // parent of 张一鸣, not bound to WeChat

let api, gw, server;

function iso(hours) {
	return new Date(Date.now() + hours * 3600 * 1000).toISOString();
}

async function login(who) {
	const c = server.client();
	const r = await c.login(who, PW);
	assert.equal(r.status, 200, r.text);
	return c;
}

test.before(async () => {
	api = await startWechatApi();
	gw = await startSmsGateway();
	server = await startServer({
		command: 'demo', init: false, set: {
			plugin_dir: path.join(BUILD_DIR, 'plugins'),
			'wechat.api_base': api.url,
			'wechat.appid': api.appid,
			'wechat.secret': api.secret,
			'wechat.token': WECHAT_TOKEN,
			'wechat.template_id': TEMPLATE_ID,
			'sms.api_base': gw.url,
			'testing.notify_backoff_seconds': 1,
		},
	});
});

test.after(async () => {
	await server?.stop();
	await api?.close();
	await gw?.close();
});

test('a registration the staff cancel: the parent WeChat cannot reach is texted', async () => {
	const dadmin = await login(DADMIN);
	const zhang = await login(ZHANG);
	const kid = (await (await login(ADMIN1)).get(`/api/v1/schools/1/students?q=${encodeURIComponent('张一鸣')}`)).json.items[0];
	let r = await dadmin.post('/api/v1/practice/bases', { name: '岳麓山实践基地' });
	assert.equal(r.status, 201, r.text);
	r = await dadmin.post('/api/v1/practice/activities', {
		base_id: r.json.id, title: '湘江湿地生态考察与水质监测实践活动（全天）', starts_at: iso(120), ends_at: iso(126),
		signup_deadline: iso(72), capacity: 5, grades: [kid.grade], hours: 6,
	});
	assert.equal(r.status, 201, r.text);
	const activity = r.json.id;
	r = await zhang.post(`/api/v1/practice/activities/${activity}/registrations`, { student_id: kid.id });
	assert.equal(r.status, 201, r.text);
	r = await dadmin.del(`/api/v1/practice/registrations/${r.json.id}`);
	assert.equal(r.status, 204, r.text);
	const sms = await gw.waitFor((m) => m.json?.phone === ZHANG && m.json.template === 'practice_cancelled');
	assert.ok([...sms.json.params.activity].length <= 20, sms.json.params.activity);
	assert.ok(sms.json.params.activity.startsWith('湘江湿地'));
	assert.match(sms.json.params.starts_at, /\+08:00$/);
});
