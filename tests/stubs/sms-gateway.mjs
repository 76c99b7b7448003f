// A local stand-in for the HTTP SMS gateway (API.md, notices):
//
//   POST /send  {"phone","template","params"}
//     → 200 {"ok":true,"id"}  or  {"ok":false,"code","message"}
//
// It records every request it receives (method, path, headers, raw body,
// parsed JSON, the answer given) so tests can check what jiaxiao sent, and
// can be told to fail: the next n requests with an HTTP status, or every
// request by mode. Node built-ins only.
//
//   import { startSmsGateway } from '../stubs/sms-gateway.mjs';
//   const gw = await startSmsGateway();
//   ... start jiaxiao with --set sms.api_base=<gw.url> ...
//   const msg = await gw.waitFor((r) => r.json?.phone === '13800138000');
//   gw.failNext(2, { status: 500 });   // then 200 again
//   gw.setMode('reject');              // ok:false, a permanent refusal
//   await gw.close();
//
// Modes: 'ok' (accept), 'reject' (200 {"ok":false,"code":"invalid_phone"}:
// permanent), 'rate_limited' (429 {"ok":false,"code":"rate_limited"}:
// temporary), 'error' (500), 'down' (the connection is dropped without
// an answer), 'hang' (no answer until close()).
//
// Standalone: `node tests/stubs/sms-gateway.mjs [PORT]` prints one line per
// message received.

import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { requestLog } from './waiters.mjs';

const MODES = ['ok', 'reject', 'rate_limited', 'error', 'down', 'hang'];
const BODY_LIMIT = 64 * 1024;

function reply(res, status, body) {
	const text = JSON.stringify(body);
	res.writeHead(status, {
		'Content-Type': 'application/json',
		'Content-Length': Buffer.byteLength(text),
	});
	res.end(text);
}

// The protocol's request: a JSON object with string phone and template and
// an object of params. Returns the reason it is not, or null.
function protocolError(req, json) {
	if (req.method !== 'POST')
		return `method ${req.method}, expected POST`;
	if (req.url !== '/send')
		return `path ${req.url}, expected /send`;
	if (!/^application\/json\b/i.test(req.headers['content-type'] ?? ''))
		return 'Content-Type is not application/json';
	if (json === undefined)
		return 'body is not JSON';
	if (json === null || typeof json !== 'object' || Array.isArray(json))
		return 'body is not a JSON object';
	if (typeof json.phone !== 'string' || json.phone === '')
		return 'phone is missing';
	if (typeof json.template !== 'string' || json.template === '')
		return 'template is missing';
	if (json.params === null || typeof json.params !== 'object' || Array.isArray(json.params))
		return 'params is not an object';
	return null;
}

export async function startSmsGateway({ failFirst = 0, mode = 'ok', port = 0, host = '127.0.0.1', log = null } = {}) {
	if (!MODES.includes(mode))
		throw new Error(`unknown mode ${mode}`);
	const requests = requestLog('SMS stand-in');
	const received = requests.received;
	const failures = []; // {status, body} for the next requests, in order
	const hanging = new Set();
	const accepted = new Map(); // Idempotency-Key → id
	let nextId = 1;
	const state = { mode };

	const failNext = (n = 1, { status = 500, body } = {}) => {
		for (let i = 0; i < n; i++)
			failures.push({
				status,
				body: body ?? { ok: false, code: status === 429 ? 'rate_limited' : 'internal', message: `stand-in failure (HTTP ${status})` },
			});
	};
	failNext(failFirst);

	const notify = () => requests.wake();

	const server = http.createServer((req, res) => {
		const chunks = [];
		let size = 0;
		req.on('data', (c) => {
			size += c.length;
			if (size <= BODY_LIMIT)
				chunks.push(c);
		});
		req.on('end', () => {
			const raw = Buffer.concat(chunks).toString('utf8');
			let json;
			try {
				json = JSON.parse(raw);
			} catch {
				json = undefined;
			}
			const entry = {
				at: Date.now(),
				method: req.method,
				path: req.url,
				headers: { ...req.headers },
				raw,
				json,
				idempotencyKey: req.headers['idempotency-key'] ?? null,
				answer: null,
			};
			received.push(entry);
			const answer = (status, body) => {
				entry.answer = { status, body };
				reply(res, status, body);
				log?.(entry);
				notify();
			};

			const bad = size > BODY_LIMIT ? 'body too large' : protocolError(req, json);
			if (bad)
				return answer(400, { ok: false, code: 'bad_request', message: bad });
			if (failures.length > 0) {
				const f = failures.shift();
				return answer(f.status, f.body);
			}
			switch (state.mode) {
			case 'reject':
				return answer(200, { ok: false, code: 'invalid_phone', message: 'the stand-in refuses this number' });
			case 'rate_limited':
				return answer(429, { ok: false, code: 'rate_limited', message: 'slow down' });
			case 'error':
				return answer(500, { ok: false, code: 'internal', message: 'stand-in error' });
			case 'down':
				entry.answer = { status: null, dropped: true };
				log?.(entry);
				req.socket.destroy();
				return notify();
			case 'hang':
				entry.answer = { status: null, hanging: true };
				hanging.add(res);
				log?.(entry);
				return notify();
			default: {
				// A repeated key is the same message: the same id, sent once.
				const key = entry.idempotencyKey;
				const duplicate = key !== null && accepted.has(key);
				const id = duplicate ? accepted.get(key) : `sms-${nextId++}`;
				if (key !== null)
					accepted.set(key, id);
				entry.duplicate = duplicate;
				return answer(200, { ok: true, id });
			}
			}
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
	const url = `http://${host}:${address.port}`;

	return {
		url,
		port: address.port,
		received,
		// Requests that followed the protocol (whatever was answered).
		messages: () => received.filter((r) => r.answer?.status !== 400),
		// Messages the gateway accepted (each once, duplicates left out).
		delivered: () => received.filter((r) => r.answer?.status === 200 && r.answer.body?.ok === true && !r.duplicate),
		failNext,
		setMode(m) {
			if (!MODES.includes(m))
				throw new Error(`unknown mode ${m}`);
			state.mode = m;
			if (m !== 'hang') {
				for (const res of hanging)
					res.destroy();
				hanging.clear();
			}
		},
		get mode() {
			return state.mode;
		},
		// Resolves with the first received request for which pred is true
		// (now or later); rejects after timeoutMs.
		waitFor: requests.waitFor,
		close() {
			for (const res of hanging)
				res.destroy();
			hanging.clear();
			server.closeAllConnections?.();
			return new Promise((resolve) => server.close(() => resolve()));
		},
	};
}

// Standalone: node tests/stubs/sms-gateway.mjs [PORT]
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
	const port = Number(process.argv[2] ?? 0);
	const gw = await startSmsGateway({
		port,
		log: (r) => {
			const what = r.json && typeof r.json === 'object'
				? `${r.json.phone} ${r.json.template} ${JSON.stringify(r.json.params)}`
				: JSON.stringify(r.raw.slice(0, 200));
			const answer = r.answer?.status ?? (r.answer?.dropped ? 'dropped' : 'hanging');
			console.log(`${new Date(r.at).toISOString()} ${r.method} ${r.path} → ${answer} ${what} key=${r.idempotencyKey ?? '-'}`);
		},
	});
	console.log(`SMS gateway stand-in listening on ${gw.url} (POST ${gw.url}/send)`);
	const stop = async () => {
		await gw.close();
		process.exit(0);
	};
	process.on('SIGINT', stop);
	process.on('SIGTERM', stop);
}
