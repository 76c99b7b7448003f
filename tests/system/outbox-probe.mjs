// Shared set-up of the outbox and WeChat system tests: a plugin directory
// holding the shipped wechat and sms plugins next to the test-only
// outbox_probe plugin (tests/plugins/outbox_probe, built into
// build/test-plugins), and the --set arguments that point the wechat
// plugin at a local stand-in (tests/stubs/wechat-api.mjs).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUILD_DIR } from './harness.mjs';

export const WECHAT_TOKEN = 'callbacktoken4tests';
export const TEMPLATE_ID = 'TMPLnotice001';

// A temporary plugin directory with links to the real .so files.
export function probePluginDir(buildDir = BUILD_DIR) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jx-plugins-'));
	const link = (from) => {
		if (!fs.existsSync(from))
			throw new Error(`${from} is missing: build the project (and its test plugins) first`);
		fs.symlinkSync(from, path.join(dir, path.basename(from)));
	};
	link(path.join(buildDir, 'plugins', 'jx_wechat.so'));
	link(path.join(buildDir, 'plugins', 'jx_sms.so'));
	link(path.join(buildDir, 'test-plugins', 'jx_outbox_probe.so'));
	return dir;
}

export function wechatSettings(api, pluginDir, extra = {}) {
	return {
		plugin_dir: pluginDir,
		plugins: '{"sms","wechat","outbox_probe"}',
		'wechat.api_base': api.url,
		'wechat.appid': api.appid,
		'wechat.secret': api.secret,
		'wechat.token': WECHAT_TOKEN,
		'wechat.template_id': TEMPLATE_ID,
		'testing.notify_backoff_seconds': 1,
		...extra,
	};
}

// Polls fn until it returns a truthy value; fails after timeoutMs.
export async function until(fn, what, timeoutMs = 15000) {
	const end = Date.now() + timeoutMs;
	for (;;) {
		const v = await fn();
		if (v)
			return v;
		if (Date.now() > end)
			throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 50));
	}
}
