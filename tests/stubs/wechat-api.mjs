// A local stand-in for the parts of the WeChat official-account API that
// jiaxiao's wechat plugin speaks (API.md, notices):
//
//   POST /cgi-bin/stable_token  {"grant_type":"client_credential","appid",
//                                "secret","force_refresh"?}
//     → {"access_token","expires_in"}  or  {"errcode","errmsg"}
//   POST /cgi-bin/message/template/send?access_token=T
//        {"touser","template_id","url"?,"data":{k:{"value"}},"client_msg_id"?}
//     → {"errcode":0,"errmsg":"ok","msgid"}  or  {"errcode","errmsg"}
//   GET  /connect/oauth2/authorize?appid&redirect_uri&response_type=code
//        &scope=snsapi_base&state   (WeChat's page, at open.weixin.qq.com;
//        configure jiaxiao's wechat.authorize_url = api.authorizeUrl)
//     → 302 to redirect_uri with a fresh code (good once) and the state;
//       the openid is the query's "openid" if given (a test's shortcut),
//       else the one set with api.authorizeAs(openid), else the env
//       WECHAT_STUB_OPENID, else "o-standin-user". A wrong appid, scope or
//       a redirect_uri that is not http(s) answers 400 (WeChat shows an
//       error page there: "redirect_uri 参数错误").
//   GET  /sns/oauth2/access_token?appid&secret&code&grant_type=authorization_code
//     → {"access_token","expires_in","refresh_token","openid","scope"}
//       or {"errcode":40029,"errmsg":"invalid code"}
//
// It records every request (method, path, query, parsed JSON, the answer)
// so tests can check what jiaxiao sent, and can be told to fail:
//   api.failNext(n, errcode)      the next n template sends answer errcode
//                                 (40001 invalid token, 45009 quota, ...)
//   api.unfollow(openid)          sends to it answer 43004 (require subscribe)
//   api.invalidOpenid(openid)     sends to it answer 40003
//   api.expireTokens()            every token issued so far is refused with
//                                 40001 (as after a refresh elsewhere)
//   api.addCode(code, openid, extra?)  an OAuth code, good once (extra:
//                                 more members of its reply)
//   api.authorizeAs(openid)       who is "in WeChat" at the authorize page
//                                 (null: back to the default)
//   api.sendBackTo(origin)        the authorize page sends the browser to
//                                 this origin instead of redirect_uri's
//                                 (when jiaxiao's public_url is not where
//                                 the test's server listens)
// A template value longer than 20 characters is refused with 47003, as
// WeChat does. A repeated client_msg_id is accepted again under the same
// msgid and marked duplicate (WeChat drops such a repeat).
//
// latencyMs (option) delays every answer, like a distant API.
// api.onAccepted = (count, entry) => ... is called as each template send is
// accepted (before the answer leaves), e.g. to crash the sender mid-batch.
//
// Inspection: api.received, api.sends() (accepted template sends),
// api.tokensIssued(), api.waitFor(pred). Over HTTP too, for scripts:
//   GET  /_stub/stats  → {"requests","sends","accepted","duplicates",
//                         "touser":{openid:count},"tokens","first_at","last_at"}
//   POST /_stub/reset
//
// Helpers for the other direction (WeChat calling jiaxiao's callback):
// wechatSignature(token, timestamp, nonce) and eventXml({...}).
//
// Standalone: `node tests/stubs/wechat-api.mjs [PORT]` (quiet; --log prints
// one line per request). Node built-ins only.

import crypto from 'node:crypto';
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { requestLog } from './waiters.mjs';

const BODY_LIMIT = 64 * 1024;
const FIELD_LIMIT = 20;

export function wechatSignature(token, timestamp, nonce) {
	return crypto.createHash('sha1').update([token, String(timestamp), String(nonce)].sort().join('')).digest('hex');
}

// The XML of an event push from WeChat to the official account's server.
export function eventXml({ to = 'gh_jiaxiao', from, event, msgId, status, createTime = Math.floor(Date.now() / 1000) }) {
	let x = `<xml><ToUserName><![CDATA[${to}]]></ToUserName><FromUserName><![CDATA[${from}]]></FromUserName>`;
	x += `<CreateTime>${createTime}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[${event}]]></Event>`;
	if (msgId !== undefined)
		x += `<MsgID>${msgId}</MsgID>`;
	if (status !== undefined)
		x += `<Status><![CDATA[${status}]]></Status>`;
	return x + '</xml>';
}

function reply(res, status, body, headers) {
	if (headers) {
		res.writeHead(status, { ...headers, 'Content-Length': 0 });
		res.end();
		return;
	}
	const text = JSON.stringify(body);
	res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
	res.end(text);
}

// Characters as WeChat counts them (code points).
const chars = (s) => [...s].length;

export async function startWechatApi({ appid = 'wx0123456789abcdef', secret = 'standinsecret0123', expiresIn = 7200, port = 0, host = '127.0.0.1', log = null, keep = true, latencyMs = 0 } = {}) {
	const requests = requestLog('WeChat stand-in');
	const received = requests.received;
	const failures = []; // errcodes for the next template sends
	const unfollowed = new Set();
	const invalid = new Set();
	const codes = new Map(); // OAuth code → openid (deleted when used)
	let authorizeAs = null; // the openid the authorize page answers for
	let sendBackTo = null; // an origin replacing redirect_uri's
	let nextCode = 1;
	const valid = new Set(); // tokens accepted
	const msgids = new Map(); // client_msg_id → msgid
	const stats = { requests: 0, sends: 0, accepted: 0, duplicates: 0, touser: {}, tokens: 0, first_at: null, last_at: null };
	let current = null;
	let nextToken = 1;
	let nextMsgid = 1000;

	const notify = () => requests.wake();

	const issue = (force) => {
		if (current && valid.has(current) && !force)
			return current;
		if (current)
			valid.delete(current);
		current = `tok-${nextToken++}-${crypto.randomBytes(6).toString('hex')}`;
		valid.add(current);
		stats.tokens++;
		return current;
	};

	const handle = (entry, url) => {
		const q = Object.fromEntries(url.searchParams);
		const json = entry.json;
		if (entry.method === 'POST' && url.pathname === '/cgi-bin/stable_token') {
			if (!json || json.grant_type !== 'client_credential')
				return [200, { errcode: 40002, errmsg: 'invalid grant_type' }];
			if (json.appid !== appid)
				return [200, { errcode: 40013, errmsg: 'invalid appid' }];
			if (json.secret !== secret)
				return [200, { errcode: 40125, errmsg: 'invalid appsecret' }];
			return [200, { access_token: issue(json.force_refresh === true), expires_in: expiresIn }];
		}
		if (entry.method === 'POST' && url.pathname === '/cgi-bin/message/template/send') {
			stats.sends++;
			if (!valid.has(q.access_token))
				return [200, { errcode: 40001, errmsg: 'invalid credential, access_token is invalid or not latest' }];
			if (!json || typeof json.touser !== 'string' || typeof json.template_id !== 'string' || json.template_id === '')
				return [200, { errcode: 47001, errmsg: 'data format error' }];
			if (!json.data || typeof json.data !== 'object')
				return [200, { errcode: 47001, errmsg: 'data format error' }];
			for (const [k, v] of Object.entries(json.data))
				if (!v || typeof v.value !== 'string' || chars(v.value) > FIELD_LIMIT)
					return [200, { errcode: 47003, errmsg: `argument invalid! data.${k}.value invalid` }];
			if (failures.length > 0) {
				const code = failures.shift();
				if (code === 40001)
					valid.delete(q.access_token);
				return [200, { errcode: code, errmsg: `stand-in failure ${code}` }];
			}
			if (invalid.has(json.touser))
				return [200, { errcode: 40003, errmsg: 'invalid openid' }];
			if (unfollowed.has(json.touser))
				return [200, { errcode: 43004, errmsg: 'require subscribe' }];
			const cmid = typeof json.client_msg_id === 'string' ? json.client_msg_id : null;
			const dup = cmid !== null && msgids.has(cmid);
			const msgid = dup ? msgids.get(cmid) : nextMsgid++;
			if (cmid !== null)
				msgids.set(cmid, msgid);
			entry.duplicate = dup;
			stats.accepted++;
			if (dup)
				stats.duplicates++;
			stats.touser[json.touser] = (stats.touser[json.touser] ?? 0) + 1;
			api.onAccepted?.(stats.accepted, entry);
			return [200, { errcode: 0, errmsg: 'ok', msgid }];
		}
		if (entry.method === 'GET' && url.pathname === '/connect/oauth2/authorize') {
			let back;
			try {
				back = new URL(q.redirect_uri ?? '');
			} catch {
				back = null;
			}
			if (q.appid !== appid || q.response_type !== 'code' || !['snsapi_base', 'snsapi_userinfo'].includes(q.scope) || !back || !/^https?:$/.test(back.protocol))
				return [400, { errcode: 10003, errmsg: 'redirect_uri 参数错误' }];
			const openid = q.openid ?? authorizeAs ?? process.env.WECHAT_STUB_OPENID ?? 'o-standin-user';
			const code = `code-${nextCode++}-${crypto.randomBytes(6).toString('hex')}`;
			codes.set(code, { openid, extra: {} });
			if (sendBackTo)
				back = new URL(`${back.pathname}${back.search}`, sendBackTo);
			back.searchParams.set('code', code);
			if (q.state !== undefined)
				back.searchParams.set('state', q.state);
			entry.code = code;
			entry.openid = openid;
			return [302, null, { Location: back.href }];
		}
		if (entry.method === 'GET' && url.pathname === '/sns/oauth2/access_token') {
			if (q.appid !== appid || q.secret !== secret)
				return [200, { errcode: 40125, errmsg: 'invalid appsecret' }];
			if (q.grant_type !== 'authorization_code')
				return [200, { errcode: 40002, errmsg: 'invalid grant_type' }];
			if (!codes.has(q.code))
				return [200, { errcode: 40029, errmsg: 'invalid code' }];
			const { openid, extra } = codes.get(q.code);
			codes.delete(q.code);
			return [200, { access_token: `web-${crypto.randomBytes(6).toString('hex')}`, expires_in: 7200, refresh_token: 'r', openid, scope: 'snsapi_base', ...extra }];
		}
		if (entry.method === 'GET' && url.pathname === '/_stub/stats')
			return [200, stats];
		if (entry.method === 'POST' && url.pathname === '/_stub/reset') {
			api.reset();
			return [200, { ok: true }];
		}
		return [404, { errcode: -1, errmsg: 'no such endpoint in the stand-in' }];
	};

	const server = http.createServer((req, res) => {
		const chunks = [];
		let size = 0;
		req.on('data', (c) => {
			size += c.length;
			if (size <= BODY_LIMIT)
				chunks.push(c);
		});
		req.on('end', () => {
			const url = new URL(req.url, 'http://stand-in');
			const raw = Buffer.concat(chunks).toString('utf8');
			let json;
			try {
				json = raw === '' ? undefined : JSON.parse(raw);
			} catch {
				json = undefined;
			}
			const now = Date.now();
			const entry = { at: now, method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams), json, answer: null };
			if (!url.pathname.startsWith('/_stub/')) {
				stats.requests++;
				stats.first_at ??= now;
				stats.last_at = now;
			}
			const [status, body, headers] = handle(entry, url);
			entry.answer = { status, body, headers };
			if (keep && !url.pathname.startsWith('/_stub/'))
				received.push(entry);
			const done = () => {
				reply(res, status, body, headers);
				log?.(entry);
				notify();
			};
			// A far-away API: every answer waits latencyMs.
			if (latencyMs > 0)
				setTimeout(done, latencyMs);
			else
				done();
		});
	});

	await new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, host, () => {
			server.off('error', reject);
			resolve();
		});
	});
	const address = server.address();
	const base = `http://${host}:${address.port}`;

	const api = {
		url: base,
		// Where jiaxiao's wechat.authorize_url points in tests.
		authorizeUrl: `${base}/connect/oauth2/authorize`,
		port: address.port,
		appid,
		secret,
		received,
		// Template sends the stand-in accepted.
		sends: () => received.filter((r) => r.path === '/cgi-bin/message/template/send' && r.answer?.body?.errcode === 0),
		tokenRequests: () => received.filter((r) => r.path === '/cgi-bin/stable_token'),
		tokensIssued: () => stats.tokens,
		stats: () => stats,
		failNext(n, errcode) {
			for (let i = 0; i < n; i++)
				failures.push(errcode);
		},
		unfollow(openid) {
			unfollowed.add(openid);
		},
		follow(openid) {
			unfollowed.delete(openid);
		},
		invalidOpenid(openid) {
			invalid.add(openid);
		},
		expireTokens() {
			valid.clear();
		},
		addCode(code, openid, extra = {}) {
			codes.set(code, { openid, extra });
		},
		authorizeAs(openid) {
			authorizeAs = openid;
		},
		sendBackTo(origin) {
			sendBackTo = origin;
		},
		// The authorize page's visits (each with .code and .openid).
		authorizations: () => received.filter((r) => r.path === '/connect/oauth2/authorize'),
		reset() {
			received.length = 0;
			failures.length = 0;
			msgids.clear();
			Object.assign(stats, { requests: 0, sends: 0, accepted: 0, duplicates: 0, touser: {}, first_at: null, last_at: null });
		},
		// Resolves with the first received request for which pred is true
		// (now or later); rejects after timeoutMs.
		waitFor: requests.waitFor,
		close() {
			server.closeAllConnections?.();
			return new Promise((resolve) => server.close(() => resolve()));
		},
	};
	return api;
}

// Standalone: node tests/stubs/wechat-api.mjs [PORT] [--log]
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
	const args = process.argv.slice(2);
	const port = Number(args.find((a) => /^\d+$/.test(a)) ?? 0);
	const api = await startWechatApi({
		port,
		keep: false,
		log: args.includes('--log')
			? (r) => console.log(`${new Date(r.at).toISOString()} ${r.method} ${r.path} → ${r.answer.status} ${JSON.stringify(r.answer.body).slice(0, 120)}`)
			: null,
	});
	console.log(`WeChat API stand-in listening on ${api.url} (appid ${api.appid}, secret ${api.secret})`);
	const stop = async () => {
		await api.close();
		process.exit(0);
	};
	process.on('SIGINT', stop);
	process.on('SIGTERM', stop);
}
