// Helpers of the records system tests (records, records_basic,
// records_labour): the demo district's logins, a one-pixel PNG, a login
// that asserts it worked, an upload through the file service, and the
// fields a 422 names.
//
// Demo school 1 (admin 李敏 13800000002): 一年级1班 (head 王芳 13800000003;
// 陈刚 13800000004 teaches it too), 三年级1班 (head 陈刚). 张伟 13900000001
// is the parent of 张一鸣 (一年级1班). School 2's admin: 赵磊 13800000005.

import assert from 'node:assert/strict';

export const PW = 'Demo2026';
export const ADMIN1 = '13800000002';
export const ADMIN2 = '13800000005';
export const WANG = '13800000003';
export const CHEN = '13800000004';
export const ZHANG = '13900000001';
export const PNG = Buffer.from(
	'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
	'base64');

// A client of server logged in as who (the session's identity in cl.me).
export async function loginAs(server, who, pw = PW) {
	const cl = server.client();
	const r = await cl.login(who, pw);
	assert.equal(r.status, 200, r.text);
	cl.me = r.json;
	return cl;
}

// Uploads PNG as name through the file service; the file's id.
export async function uploadPng(cl, name = 'photo.png') {
	const r = await cl.request('POST', '/api/v1/files', {
		body: PNG,
		headers: { 'Content-Type': 'image/png', 'X-File-Name': encodeURIComponent(name) },
	});
	assert.equal(r.status, 201, r.text);
	return r.json.id;
}

// The fields a problem+json reply names.
export function fieldsOf(r) {
	return (r.json?.errors ?? []).map((e) => e.field);
}
