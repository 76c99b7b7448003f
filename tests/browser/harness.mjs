// Browser-test harness: Debian's chromium driven by playwright-core, with
// axe-core run on every page a test visits. Servers come from
// ../system/harness.mjs.
//
//   await withBrowser(async () => {
//     const page = await newPage({ mobile: true });
//     await page.goto(server.url + '/');
//     await checkA11y(page);
//   });
//
// JX_CHROMIUM overrides the browser's path (default /usr/bin/chromium).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { BUILD_DIR } from '../system/harness.mjs';

const require = createRequire(import.meta.url);

export const CHROMIUM = process.env.JX_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = path.join(BUILD_DIR, 'screenshots');
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 375, height: 812 };
// WeChat's in-app browser on an iPhone (issue 13: parents come from WeChat).
export const WECHAT_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) ' +
	'Mobile/15E148 MicroMessenger/8.0.47(0x18002f2f) NetType/4G Language/zh_CN';

let current = null;
let axeSource = null;

async function loadPlaywright() {
	try {
		return await import('playwright-core');
	} catch (err) {
		throw new Error(
			'playwright-core is not installed: run `npm ci` at the repository root ' +
				`(make test does this): ${err.message}`, { cause: err });
	}
}

function loadAxe() {
	if (axeSource === null) {
		let file;
		try {
			file = require.resolve('axe-core/axe.min.js');
		} catch (err) {
			throw new Error(
				'axe-core is not installed: run `npm ci` at the repository root ' +
					`(make test does this): ${err.message}`, { cause: err });
		}
		axeSource = fs.readFileSync(file, 'utf8');
	}
	return axeSource;
}

// Launches chromium, runs fn(browser) and closes the browser whatever
// happens. A missing chromium is a failure, never a skip.
export async function withBrowser(fn) {
	if (!fs.existsSync(CHROMIUM))
		throw new Error(
			`chromium not found at ${CHROMIUM}: install it with ` +
				'`apt-get install chromium fonts-noto-cjk` (make test installs it)');
	const { chromium } = await loadPlaywright();
	const browser = await chromium.launch({
		executablePath: CHROMIUM,
		headless: true,
		args: [
			'--no-sandbox',
			'--disable-gpu',
			'--disable-quic',
			'--no-first-run',
			'--disable-background-networking',
			'--disable-component-update',
			'--disable-sync',
			'--disable-dev-shm-usage',
		],
	});
	const previous = current;
	current = browser;
	try {
		return await fn(browser);
	} finally {
		current = previous;
		await browser.close();
	}
}

// A page in a fresh context (own cookies): a phone (375x812, touch,
// isMobile) or a desktop (1280x800), Chinese locale. The page's CSP stays
// in force; axe is injected through the DevTools protocol, which CSP does
// not govern. Console errors and page errors are collected in
// page.jxErrors, so a test can check that the page raised none.
// userAgent: e.g. WECHAT_UA.
export async function newPage({ mobile = false, browser = current, userAgent } = {}) {
	if (!browser)
		throw new Error('newPage() outside withBrowser()');
	const context = await browser.newContext({
		viewport: mobile ? PHONE : DESKTOP,
		isMobile: mobile,
		hasTouch: mobile,
		deviceScaleFactor: mobile ? 2 : 1,
		locale: 'zh-CN',
		timezoneId: 'Asia/Shanghai',
		...(userAgent ? { userAgent } : {}),
	});
	const page = await context.newPage();
	page.setDefaultTimeout(15000);
	page.jxErrors = [];
	page.on('console', (msg) => {
		// The browser asks for /favicon.ico by itself when a page names
		// no icon; that 404 is not the page's error.
		if (msg.type() === 'error' && !/\/favicon\.ico\b/.test(msg.location()?.url ?? ''))
			page.jxErrors.push(`console: ${msg.text()} (${msg.location()?.url ?? ''})`);
	});
	page.on('pageerror', (err) => page.jxErrors.push(`page error: ${err.message}`));
	page.on('close', () => context.close().catch(() => {}));
	return page;
}

// Runs axe-core on the page and throws, listing them, when it finds
// violations of impact serious or critical. Returns axe's results.
export async function checkA11y(page, { include = ['serious', 'critical'] } = {}) {
	const hasAxe = await page.evaluate(() => typeof window.axe === 'object');
	if (!hasAxe)
		await page.evaluate(loadAxe());
	const results = await page.evaluate(() =>
		window.axe.run(document, {
			resultTypes: ['violations'],
		}));
	const bad = results.violations.filter((v) => include.includes(v.impact));
	if (bad.length > 0) {
		const list = bad
			.map((v) => {
				const nodes = v.nodes
					.slice(0, 5)
					.map((n) => `    ${n.target.join(' ')}: ${n.failureSummary?.replace(/\n/g, ' ') ?? ''}`)
					.join('\n');
				return `  [${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})\n${nodes}`;
			})
			.join('\n');
		throw new Error(`accessibility violations on ${page.url()}:\n${list}`);
	}
	return results;
}

// Saves a full-page screenshot as build/screenshots/<name>.png.
export async function screenshot(page, name) {
	fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
	const file = path.join(SCREENSHOT_DIR, `${name}.png`);
	await page.screenshot({ path: file, fullPage: true });
	return file;
}

// The checks every page gets: axe (serious and critical), no sideways
// scrolling on a phone, no console or page errors, and a screenshot
// <name>-phone|desktop.png.
export async function checkPage(page, mobile, name) {
	await checkA11y(page);
	if (mobile) {
		const size = await page.evaluate(() => ({
			scrollWidth: document.documentElement.scrollWidth,
			innerWidth: window.innerWidth,
		}));
		assert.ok(size.scrollWidth <= size.innerWidth,
			`no horizontal scroll on ${page.url()}: ${JSON.stringify(size)}`);
	}
	assert.deepEqual(page.jxErrors, [], `no console or page errors on ${page.url()}`);
	await screenshot(page, `${name}-${mobile ? 'phone' : 'desktop'}`);
}

// Opens url and asserts a 200.
export async function visit(page, url) {
	const res = await page.goto(url, { waitUntil: 'load' });
	assert.equal(res.status(), 200, `${url} answered ${res.status()}`);
	return res;
}

// A new page logged in through the login form.
export async function loginPage(server, who, mobile, password = 'Demo2026') {
	const page = await newPage({ mobile });
	await visit(page, `${server.url}/login`);
	await page.fill('#login', who);
	await page.fill('#password', password);
	await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		page.click('form[action="/login"] button[type="submit"]'),
	]);
	return page;
}
