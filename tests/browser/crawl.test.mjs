// The crawling browser test (issue 13): for each role of the demo district
// — school admin, district admin, head teacher, the teacher who is also a
// parent (13800000004), parent, student — log in and visit the home page
// and every page it and the menu lead to, on a phone in WeChat's browser
// (375×812, MicroMessenger user agent) and on a desktop (1280×800), and
// fail on
//
//   - an HTTP error: the page or any same-origin request it makes ≥ 400
//     (the browser's own /favicon.ico aside, as harness.mjs does);
//   - a script error: pageerror or a console error;
//   - CSS that does not parse: every stylesheet the page links (and every
//     <style>) through postcss; a CssSyntaxError fails (the self-test below
//     shows that the app.css with three unclosed braces of effa1e3^ would);
//   - text outside zh-CN on a zh-CN page (see latinWords: the rules and the
//     allow-list are written there);
//   - horizontal scrolling: document.scrollingElement.scrollWidth >
//     clientWidth, at either size;
//   - a serious or critical axe-core violation.
//
// Which links: a[href^="/"] inside header, nav, .jx-tabbar and
// main .jx-cells of the home page, then of each page visited from there
// (the menu and tab bar of every page; one level of cells below the home
// page), same-origin GETs only: never logout (a form anyway), the language
// switch (/lang/...: it would turn the rest of the crawl English), the
// WeChat entry (/wx/...), the API or downloads (.xlsx, .csv, .pdf, .zip,
// a[download]). At most MAX_PAGES pages per role and size.
//
// Every failure of a role and size is collected, and the test fails once
// with the whole list, so one run tells what is left to fix.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postcss from 'postcss';
import { startServer, BUILD_DIR } from '../system/harness.mjs';
import { withBrowser, newPage, checkA11y, WECHAT_UA } from './harness.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PW = 'Demo2026';
const MAX_PAGES = Number(process.env.JX_CRAWL_MAX_PAGES ?? 40);
// While fixing one role: JX_CRAWL_ONLY="parent" (a role's name below).
const ONLY = process.env.JX_CRAWL_ONLY ?? null;

// ---- the language check -------------------------------------------------

// Latin words a Chinese page may show, as Chinese users read them: the
// names of file types and products that have no Chinese name in use, and
// sizes. Everything else in Latin letters is English left in the page.
export const LATIN_ALLOWED = new Set([
	'ID', 'PDF', 'Excel', 'WeChat', 'XLSX', 'XLS', 'CSV', 'Lua', 'QR',
	'KB', 'MB', 'GB', 'KiB', 'MiB', 'GiB',
]);

// The Latin words of a piece of text that a zh-CN page should not show.
// Not words: URLs and e-mail addresses; file extensions (".xlsx", ".csv");
// tokens with a digit (ID numbers
// and student numbers such as G430104201905010011 or 430***********0011,
// logins, codes, passwords, "A4"); single letters (the X of an ID number,
// "G 号"). Names and codes shown in Latin letters are marked up as such
// in the page instead: translate="no" (HTML's "do not translate"), or
// <code>/<kbd>/<samp> — see collectText.
export function latinWords(text) {
	const bare = text
		.replace(/\bhttps?:\/\/\S+/g, ' ')
		.replace(/[\w.+-]+@[\w-]+(\.[\w-]+)+/g, ' ')
		.replace(/(^|[^\w])\.[a-z][a-z0-9]{1,4}(?![\w])/g, '$1 ');
	const out = [];
	for (const token of bare.match(/[A-Za-z][A-Za-z0-9_'’.-]*/g) ?? []) {
		const word = token.replace(/[.'’-]+$/, '');
		if (/\d/.test(word) || word.replace(/[^A-Za-z]/g, '').length < 2)
			continue;
		if (LATIN_ALLOWED.has(word))
			continue;
		out.push(word);
	}
	return out;
}

// In the page: the text a user reads or hears — visible text nodes,
// <option>s, the title, and the placeholder, aria-label, title and alt
// attributes — as [{where, text}], leaving out what is not prose of the
// page: scripts and styles, form contents the user typed or the data
// entered (textarea, pre, code, kbd, samp), anything inside
// [translate="no"], and the language switch (a[hreflang], which offers
// the other language in its own name).
function collectText() {
	const SKIP = 'script, style, noscript, template, textarea, pre, code, kbd, samp, [translate="no"], a[hreflang]';
	const where = (el) => {
		const parts = [];
		for (let e = el; e && e !== document.body && parts.length < 4; e = e.parentElement)
			parts.unshift(e.tagName.toLowerCase() + (e.id ? `#${e.id}` : e.classList.length ? `.${[...e.classList].join('.')}` : ''));
		return parts.join(' > ');
	};
	const out = [];
	if (document.title)
		out.push({ where: 'title', text: document.title });
	const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
	for (let n = walker.nextNode(); n; n = walker.nextNode()) {
		const text = n.nodeValue.trim();
		const el = n.parentElement;
		if (!text || !el || el.closest(SKIP))
			continue;
		const visible = el.tagName === 'OPTION' || (el.checkVisibility ? el.checkVisibility() : el.getClientRects().length > 0);
		if (visible)
			out.push({ where: where(el), text });
	}
	for (const el of document.querySelectorAll('[placeholder], [aria-label], [title], img[alt]')) {
		if (el.closest(SKIP))
			continue;
		for (const a of ['placeholder', 'aria-label', 'title', 'alt'])
			if (el.getAttribute(a))
				out.push({ where: `${where(el)} @${a}`, text: el.getAttribute(a) });
	}
	return out;
}

// ---- the stylesheet check ------------------------------------------------

// A CssSyntaxError as "line:column reason", or null when css parses.
export function cssError(css) {
	try {
		postcss.parse(css);
		return null;
	} catch (err) {
		if (err.name !== 'CssSyntaxError')
			throw err;
		return `${err.line}:${err.column} ${err.reason}`;
	}
}

test('the CSS check fails the app.css whose braces a merge left open (effa1e3^)', () => {
	const old = fs.readFileSync(path.join(HERE, 'fixtures', 'app-unclosed.css'), 'utf8');
	assert.match(cssError(old) ?? '', /Unclosed block/);
	// Closing the three blocks is what effa1e3 did; one brace fewer fails.
	const now = fs.readFileSync(path.join(HERE, '..', '..', 'templates', 'static', 'app.css'), 'utf8');
	assert.equal(cssError(now), null, 'today\'s app.css parses');
	const i = now.lastIndexOf('}');
	assert.match(cssError(now.slice(0, i) + now.slice(i + 1)) ?? '', /Unclosed block/);
});

test('the language check flags English and lets names, numbers and the allow-list through', () => {
	assert.deepEqual(latinWords('身份证号校验位错误：末位应为 1 (wrong check digit: the last character should be 1)'),
		['wrong', 'check', 'digit', 'the', 'last', 'character', 'should', 'be']);
	assert.deepEqual(latinWords('Not found / No such resource.'), ['Not', 'found', 'No', 'such', 'resource']);
	assert.deepEqual(latinWords('张一鸣 一年级1班 G430104201905010011 430***********0011 身份证号末位 X'), []);
	assert.deepEqual(latinWords('下载 Excel 模板（XLSX），打印 A4 账号条，扫 QR 码；登录名 S2026000123，密码 aB3dEf9k'), []);
	assert.deepEqual(latinWords('详见 https://jx.example.cn/help 或写信给 help@jx.example.cn'), []);
	assert.deepEqual(latinWords('支持 .xlsx、.xls、.csv 文件'), []);
	assert.deepEqual(latinWords('上传 roster.xlsx'), ['roster.xlsx'], 'a file name is data: translate="no"');
	assert.deepEqual(latinWords('Lua 规则第 3 行：syntax error near end'), ['syntax', 'error', 'near', 'end']);
});

// ---- the crawl -----------------------------------------------------------

const ROLES = [
	{ role: 'school admin', login: '13800000002' },
	{ role: 'district admin', login: '13800000001' },
	{ role: 'head teacher', login: '13800000003' },
	// Three identities (teacher; parent of 陈小雨; parent of 陈小阳): each
	// is crawled in turn.
	{ role: 'teacher and parent', login: '13800000004', everyIdentity: true },
	{ role: 'parent', login: '13900000001' },
	{ role: 'student', login: null }, // 张一鸣: found through the API
];

const LINKS = 'header a[href^="/"], nav a[href^="/"], .jx-tabbar a[href^="/"], main .jx-cells a[href^="/"]';
const MENU_LINKS = 'header a[href^="/"], nav a[href^="/"], .jx-tabbar a[href^="/"]';

// Same-origin GET pages only (see the top of the file).
function followable(href) {
	const u = new URL(href, 'http://x');
	return !/^\/(logout|lang\/|wx\/|api\/|static\/)/.test(u.pathname) &&
		!/\.(xlsx|xls|csv|pdf|zip|png|jpe?g)$/i.test(u.pathname);
}

async function links(page, selector) {
	return page.$$eval(selector, (as) => as.filter((a) => !a.hasAttribute('download'))
		.map((a) => a.getAttribute('href')));
}

async function loginAs(server, who, mobile) {
	const page = await newPage({ mobile, userAgent: mobile ? WECHAT_UA : undefined });
	page.jxBad = [];
	page.on('response', (res) => {
		const u = new URL(res.url());
		if (u.origin === server.url && res.status() >= 400 && u.pathname !== '/favicon.ico')
			page.jxBad.push(`HTTP ${res.status()} ${res.request().method()} ${u.pathname}${u.search}`);
	});
	await page.goto(`${server.url}/login`, { waitUntil: 'load' });
	await page.fill('#login', who);
	await page.fill('#password', PW);
	await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('form[action="/login"] button[type="submit"]')]);
	assert.ok(!new URL(page.url()).pathname.startsWith('/login'), `${who} logged in: ${page.url()}`);
	page.jxBad.length = 0;
	page.jxErrors.length = 0;
	return page;
}

// Every check of one page; failures are pushed to fails.
async function checkOne(page, server, url, fails, sheets) {
	const say = (what) => fails.push(`${new URL(url).pathname}${new URL(url).search}: ${what}`);
	page.jxBad.length = 0;
	page.jxErrors.length = 0;
	let res;
	try {
		res = await page.goto(url, { waitUntil: 'load' });
	} catch (err) {
		say(`did not load: ${err.message.split('\n')[0]}`);
		return false;
	}
	if (!res || res.status() >= 400)
		say(`HTTP ${res ? res.status() : 'no response'}`);
	if (new URL(page.url()).origin !== server.url) {
		say(`left the site for ${page.url()}`);
		return false;
	}
	// Stylesheets: each once per run.
	const hrefs = await page.$$eval('link[rel~="stylesheet"]', (ls) => ls.map((l) => l.href));
	for (const href of hrefs) {
		if (!sheets.has(href)) {
			const r = await page.request.get(href);
			sheets.set(href, r.status() >= 400 ? `HTTP ${r.status()}` : cssError(await r.text()));
		}
		if (sheets.get(href))
			say(`stylesheet ${new URL(href).pathname} does not parse: ${sheets.get(href)}`);
	}
	for (const css of await page.$$eval('style', (ss) => ss.map((s) => s.textContent))) {
		const e = cssError(css);
		if (e)
			say(`a <style> does not parse: ${e}`);
	}
	// zh-CN only.
	const lang = await page.evaluate(() => document.documentElement.lang);
	if (lang !== 'zh-CN')
		say(`<html lang="${lang}">, not zh-CN`);
	else {
		for (const { where, text } of await page.evaluate(collectText)) {
			const words = latinWords(text);
			if (words.length > 0)
				say(`English in a zh-CN page at ${where}: ${JSON.stringify(text.slice(0, 120))} (${words.slice(0, 6).join(' ')})`);
		}
	}
	const size = await page.evaluate(() => ({
		scrollWidth: document.scrollingElement.scrollWidth,
		clientWidth: document.scrollingElement.clientWidth,
	}));
	if (size.scrollWidth > size.clientWidth)
		say(`scrolls sideways: scrollWidth ${size.scrollWidth} > clientWidth ${size.clientWidth}`);
	try {
		await checkA11y(page);
	} catch (err) {
		say(err.message.replace(/^accessibility violations on \S+:\n/, 'axe: ').replace(/\n/g, '\n    '));
	}
	for (const e of page.jxErrors)
		say(e);
	for (const b of page.jxBad)
		say(b);
	return true;
}

// The account's identities as [{id, label}], acting one first.
async function identities(page) {
	const me = await (await page.request.get(new URL('/api/v1/me', page.url()).href)).json();
	return [...me.identities].sort((a, b) => (b.id === me.acting_identity_id) - (a.id === me.acting_identity_id));
}

async function actAs(page, id) {
	const me = await (await page.request.get(new URL('/api/v1/me', page.url()).href)).json();
	const r = await page.request.put(new URL('/api/v1/me/identity', page.url()).href, {
		data: { identity_id: id },
		headers: { 'X-CSRF-Token': me.csrf_token },
	});
	assert.equal(r.status(), 200, await r.text());
}

async function crawl(server, who, mobile, sheets, identity = null) {
	const fails = [];
	const page = await loginAs(server, who, mobile);
	if (identity !== null)
		await actAs(page, identity);
	const home = `${server.url}/`;
	const seen = new Set([home]);
	const queue = [];
	const add = (hrefs, depth) => {
		for (const h of hrefs) {
			if (!h || !followable(h))
				continue;
			const u = new URL(h, server.url);
			u.hash = '';
			if (!seen.has(u.href)) {
				seen.add(u.href);
				queue.push({ url: u.href, depth });
			}
		}
	};
	if (await checkOne(page, server, home, fails, sheets))
		add(await links(page, LINKS), 1);
	let visited = 1;
	while (queue.length > 0 && visited < MAX_PAGES) {
		const { url, depth } = queue.shift();
		visited++;
		if (!(await checkOne(page, server, url, fails, sheets)))
			continue;
		// The menu and tab bar of every page; the cells one level down.
		add(await links(page, depth < 2 ? LINKS : MENU_LINKS), depth + 1);
	}
	if (queue.length > 0)
		fails.push(`(stopped at ${MAX_PAGES} pages; not visited: ${queue.map((q) => new URL(q.url).pathname).join(' ')})`);
	await page.close();
	return { fails, visited, pages: [...seen].slice(0, visited).map((u) => new URL(u).pathname + new URL(u).search) };
}

test('every page of every role, on a phone in WeChat and on a desktop: no HTTP or script error, CSS that parses, Chinese only, no sideways scroll, axe', async (t) => {
	const server = await startServer({
		command: 'demo',
		init: false,
		set: { plugin_dir: path.join(BUILD_DIR, 'plugins') },
	});
	t.after(() => server.stop());
	const admin = server.client();
	assert.equal((await admin.login('13800000002', PW)).status, 200);
	const r = await admin.get(`/api/v1/schools/1/students?q=${encodeURIComponent('张一鸣')}`);
	assert.equal(r.status, 200, r.text);
	ROLES.find((x) => x.role === 'student').login = r.json.items[0].account.login;
	// Something in the inboxes: a homework notice of 一年级1班's head
	// teacher to its parents and students.
	const teacher = server.client();
	assert.equal((await teacher.login('13800000003', PW)).status, 200);
	const cls = (await teacher.get('/api/v1/me')).json.identities.find((i) => i.role === 'teacher').head_of_class_ids[0];
	const n = await teacher.post('/api/v1/notices', {
		kind: 'homework', title: '周末阅读', body: '读完第三章，家长签字。',
		requires_confirmation: true, // the notice page's 确认收到 (issue 14)
		audience: { class_ids: [cls], roles: ['parent', 'student'] },
	});
	assert.equal(n.status, 201, n.text);

	// Growth records (issue 16): the head teacher's 期终评语 (approved at
	// once) and a parent's 公益活动 waiting in the review queue.
	const kid = r.json.items[0].id;
	const rec = await teacher.post(`/api/v1/students/${kid}/records`, {
		type: 'term_comment', title: '期终评语', fields: { comment: '学习认真，乐于助人。' },
	});
	assert.equal(rec.status, 201, rec.text);
	const parent = server.client();
	assert.equal((await parent.login('13900000001', PW)).status, 200);
	const draft = await parent.post(`/api/v1/students/${kid}/records`, {
		type: 'welfare', title: '敬老院慰问', fields: { organiser: '居委会', date: '2026-11-28', hours: 2 },
	});
	assert.equal(draft.status, 201, draft.text);
	assert.equal((await parent.post(`/api/v1/records/${draft.json.id}/submit`, {})).status, 204);

	const report = [];
	await withBrowser(async () => {
		const sheets = new Map();
		for (const { role, login, everyIdentity } of ROLES) {
			if (ONLY !== null && role !== ONLY)
				continue;
			let acting = [{ id: null, label: '' }];
			if (everyIdentity) {
				const probe = await loginAs(server, login, false);
				acting = await identities(probe);
				await probe.close();
				assert.ok(acting.length > 1, `${role} has several identities`);
			}
			for (const { id, label } of acting)
				for (const mobile of [true, false]) {
					const { fails, visited, pages } = await crawl(server, login, mobile, sheets, id);
					const who = label ? `${role} as ${label}` : role;
					const size = mobile ? 'phone (WeChat)' : 'desktop';
					t.diagnostic(`${who}, ${size}: ${visited} pages: ${pages.join(' ')}`);
					assert.ok(visited >= 2, `${who} (${size}) reached more than the home page`);
					for (const f of fails)
						report.push(`${who}, ${size}: ${f}`);
				}
		}
	});
	assert.deepEqual(report, [], `${report.length} problems:\n${report.join('\n')}`);
});
