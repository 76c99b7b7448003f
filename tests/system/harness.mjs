// System-test harness: starts the real jiaxiao binary (`init`, then `serve`)
// on a random loopback port in a temporary data directory, talks HTTP to it,
// and fails the test when the sanitizers report anything. Every system and
// browser test builds on this file; it uses node built-ins only.
//
//   import { startServer, jiaxiao } from '../system/harness.mjs';
//   const server = await startServer({ set: { 'limits.body_bytes': 1024 } });
//   const r = await server.request('GET', '/healthz');
//   const c = server.client(); await c.login('admin', 'Admin12345');
//   await server.stop();
//
// Environment: JX_BUILD_DIR (where `jiaxiao` is; default <repo>/build),
// JX_SOURCE_DIR (the repository root, the server's cwd; default: found from
// this file), JX_KEEP_DATA (keep the temporary data directories).

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SOURCE_DIR =
	process.env.JX_SOURCE_DIR ??
	path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BUILD_DIR =
	process.env.JX_BUILD_DIR ?? path.join(SOURCE_DIR, 'build');
export const BINARY = path.join(BUILD_DIR, 'jiaxiao');
export const DEFAULT_ADMIN_PASSWORD = 'Admin12345';

// What the sanitizers print when they find something. UBSan is built with
// -fno-sanitize-recover, but a "runtime error:" line is a failure either way.
const SANITIZER_MARKERS = [
	'ERROR: AddressSanitizer',
	'runtime error:',
	'LeakSanitizer',
	'ERROR: ThreadSanitizer',
];

const READY_TIMEOUT_MS = 30000;
const READY_POLL_MS = 50;
// A server must stop on SIGTERM; an ASan build's exit (LeakSanitizer's
// scan of the heap) on a machine whose two cores run a dozen other
// servers and browsers took over 10 s now and then, with every request
// already answered: the bound is for a server that does not stop at all.
const STOP_TIMEOUT_MS = 30000;
const START_ATTEMPTS = 5;

// Servers still running when the test process exits are killed, so a
// failing test never leaves a jiaxiao behind.
const live = new Set();
process.on('exit', () => {
	for (const proc of live) {
		try {
			proc.kill('SIGKILL');
		} catch {
			// already gone
		}
	}
});

function checkBinary() {
	if (!fs.existsSync(BINARY))
		throw new Error(
			`${BINARY} does not exist: build it first ` +
				'(cmake --build build) or set JX_BUILD_DIR');
}

// The sanitizer report in `text`, or null when there is none.
export function sanitizerReport(text) {
	const at = SANITIZER_MARKERS.map((m) => text.indexOf(m))
		.filter((i) => i >= 0)
		.sort((a, b) => a - b)[0];
	if (at === undefined)
		return null;
	const from = Math.max(0, text.lastIndexOf('\n', Math.max(0, at - 200)));
	return text.slice(from, from + 6000);
}

// A port nobody listens on right now. Another process may still take it
// before the server binds; startServer retries for that case.
export function freePort() {
	return new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.unref();
		srv.on('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const { port } = srv.address();
			srv.close(() => resolve(port));
		});
	});
}

// --set KEY=VALUE arguments from {key: value}. A value that is not a string
// is written as Lua (numbers, booleans, arrays of strings).
export function setArgs(set = {}) {
	const out = [];
	for (const [key, value] of Object.entries(set))
		out.push('--set', `${key}=${toLua(value)}`);
	return out;
}

function toLua(value) {
	if (typeof value === 'string')
		return value;
	if (Array.isArray(value))
		return `{${value.map((v) => (typeof v === 'string' ? JSON.stringify(v) : toLua(v))).join(',')}}`;
	return String(value);
}

function childEnv(extra = {}) {
	// ASAN_OPTIONS, UBSAN_OPTIONS and LSAN_OPTIONS pass through with the
	// rest of the environment; opts.env may override them.
	return { ...process.env, ...extra };
}

// Runs the CLI synchronously from the repository root. Throws if a
// sanitizer reported anything; otherwise the caller checks `status`.
export function jiaxiao(args, opts = {}) {
	checkBinary();
	const r = spawnSync(BINARY, args, {
		cwd: opts.cwd ?? SOURCE_DIR,
		env: childEnv(opts.env),
		input: opts.input,
		encoding: 'utf8',
		timeout: opts.timeout ?? 120000,
		maxBuffer: 64 * 1024 * 1024,
	});
	if (r.error)
		throw new Error(`jiaxiao ${args.join(' ')}: ${r.error.message}`);
	const report = sanitizerReport(`${r.stdout}\n${r.stderr}`);
	if (report)
		throw new Error(`jiaxiao ${args.join(' ')}: sanitizer report:\n${report}`);
	return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

// One HTTP request with fetch (redirects are returned, not followed).
// `json` is sent as a JSON body; `body` is sent as is; `cookie` is a
// Cookie header value. The reply's `json` is parsed when the body is JSON.
export async function httpRequest(base, method, urlPath, opts = {}) {
	const headers = { ...(opts.headers ?? {}) };
	let body = opts.body;
	if (opts.json !== undefined) {
		body = JSON.stringify(opts.json);
		if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
			headers['Content-Type'] = 'application/json';
	}
	if (opts.cookie)
		headers.Cookie = opts.cookie;
	const res = await fetch(new URL(urlPath, base), {
		method,
		headers,
		body,
		redirect: 'manual',
		signal: AbortSignal.timeout(opts.timeout ?? 30000),
	});
	const text = await res.text();
	let json;
	const type = res.headers.get('content-type') ?? '';
	if (/json/i.test(type) || /^\s*[[{]/.test(text)) {
		try {
			json = JSON.parse(text);
		} catch {
			json = undefined;
		}
	}
	return { status: res.status, headers: res.headers, text, json };
}

// A request with the path sent exactly as given (fetch normalises `..` and
// percent-escapes away, which path-traversal tests must not have).
export function rawRequest(port, method, rawPath, opts = {}) {
	return new Promise((resolve, reject) => {
		const req = http.request({
			host: '127.0.0.1',
			port,
			method,
			path: rawPath,
			headers: opts.headers ?? {},
			timeout: opts.timeout ?? 30000,
		});
		req.on('response', (res) => {
			const chunks = [];
			res.on('data', (c) => chunks.push(c));
			res.on('end', () =>
				resolve({
					status: res.statusCode,
					headers: res.headers,
					text: Buffer.concat(chunks).toString('utf8'),
				}));
			res.on('error', reject);
		});
		req.on('timeout', () => req.destroy(new Error(`${method} ${rawPath}: timeout`)));
		req.on('error', reject);
		if (opts.chunks) {
			for (const c of opts.chunks)
				req.write(c);
		} else if (opts.body !== undefined) {
			req.write(opts.body);
		}
		req.end();
	});
}

// A cookie-keeping client: remembers cookies from Set-Cookie and the CSRF
// token from the login reply, and sends X-CSRF-Token on unsafe methods.
export function makeClient(server) {
	const jar = new Map();
	let csrf = null;
	const cookieHeader = () =>
		[...jar].map(([k, v]) => `${k}=${v}`).join('; ');
	const remember = (headers) => {
		for (const line of headers.getSetCookie?.() ?? []) {
			const [pair, ...attrs] = line.split(';');
			const eq = pair.indexOf('=');
			if (eq < 0)
				continue;
			const name = pair.slice(0, eq).trim();
			const value = pair.slice(eq + 1).trim();
			const expired = attrs.some((a) => {
				const [k, v = ''] = a.split('=').map((s) => s.trim());
				return (k.toLowerCase() === 'max-age' && Number(v) <= 0) ||
					(k.toLowerCase() === 'expires' && Date.parse(v) < Date.now());
			});
			if (expired || value === '')
				jar.delete(name);
			else
				jar.set(name, value);
		}
	};
	const send = async (method, urlPath, opts = {}) => {
		const headers = { ...(opts.headers ?? {}) };
		if (!['GET', 'HEAD', 'OPTIONS'].includes(method) && csrf && !('X-CSRF-Token' in headers))
			headers['X-CSRF-Token'] = csrf;
		const cookie = cookieHeader();
		const r = await httpRequest(server.url, method, urlPath, {
			...opts,
			headers,
			cookie: cookie || undefined,
		});
		remember(r.headers);
		if (r.json && typeof r.json.csrf_token === 'string')
			csrf = r.json.csrf_token;
		return r;
	};
	return {
		async login(login, password) {
			// A stale session must not leak into the new one.
			jar.clear();
			csrf = null;
			return send('POST', '/api/v1/session', { json: { login, password } });
		},
		async logout() {
			const r = await send('DELETE', '/api/v1/session');
			jar.clear();
			csrf = null;
			return r;
		},
		get: (p, opts) => send('GET', p, opts),
		post: (p, json, opts) => send('POST', p, { ...opts, json }),
		put: (p, json, opts) => send('PUT', p, { ...opts, json }),
		patch: (p, json, opts) => send('PATCH', p, { ...opts, json }),
		del: (p, opts) => send('DELETE', p, opts),
		request: send,
		cookies: () => new Map(jar),
		cookieHeader,
		get csrfToken() {
			return csrf;
		},
		set csrfToken(v) {
			csrf = v;
		},
	};
}

async function waitReady(url, proc, logs) {
	const deadline = Date.now() + READY_TIMEOUT_MS;
	let healthy = 0;
	while (Date.now() < deadline) {
		if (proc.exitCode !== null || proc.signalCode !== null)
			return false;
		try {
			const res = await fetch(`${url}/healthz`, {
				signal: AbortSignal.timeout(2000),
			});
			await res.text();
			// Twice in a row with our process alive: a server of someone
			// else's on a port ours failed to bind must not count.
			if (res.status === 200 && ++healthy >= 2)
				return proc.exitCode === null && proc.signalCode === null;
		} catch {
			healthy = 0;
		}
		await new Promise((r) => setTimeout(r, READY_POLL_MS));
	}
	throw new Error(`server at ${url} not ready after ${READY_TIMEOUT_MS} ms; logs:\n${logs()}`);
}

function waitExit(proc, ms) {
	if (proc.exitCode !== null || proc.signalCode !== null)
		return Promise.resolve({ code: proc.exitCode, signal: proc.signalCode });
	return new Promise((resolve) => {
		const timer = setTimeout(() => resolve(null), ms);
		proc.once('exit', (code, signal) => {
			clearTimeout(timer);
			resolve({ code, signal });
		});
	});
}

// Starts a server. Options:
//   init (true)          run `jiaxiao init` first
//   dataDir              use this data directory instead of a new one
//   adminPassword        for init (default Admin12345)
//   config               passed as -c
//   set {key: value}     --set arguments for init and serve
//   args [..]            more arguments for serve
//   env {..}             more environment
//   command ('serve')    or 'demo'
export async function startServer(opts = {}) {
	checkBinary();
	const ownDir = !opts.dataDir;
	const dataDir =
		opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'jx-test-'));
	let buffer = '';
	const server = {
		url: null,
		port: null,
		dataDir,
		proc: null,
		opts: { ...opts },
		logs: () => buffer,
	};
	const common = () => [
		...(server.opts.config ? ['-c', server.opts.config] : []),
		...setArgs(server.opts.set),
	];

	if (opts.init !== false) {
		const r = jiaxiao([
			'init',
			...common(),
			'--data', dataDir,
			'--admin-password', opts.adminPassword ?? DEFAULT_ADMIN_PASSWORD,
		], { env: opts.env });
		buffer += r.stdout + r.stderr;
		if (r.status !== 0)
			throw new Error(`jiaxiao init failed (${r.status}):\n${r.stdout}${r.stderr}`);
	}

	const launch = async () => {
		for (let attempt = 1; ; attempt++) {
			const port = await freePort();
			const args = [
				server.opts.command ?? 'serve',
				...common(),
				'--data', dataDir,
				'--listen', `127.0.0.1:${port}`,
				...(server.opts.args ?? []),
			];
			const proc = spawn(BINARY, args, {
				cwd: server.opts.cwd ?? SOURCE_DIR,
				env: childEnv(server.opts.env),
				stdio: ['ignore', 'pipe', 'pipe'],
			});
			live.add(proc);
			proc.on('exit', () => live.delete(proc));
			const mark = buffer.length;
			proc.stdout.setEncoding('utf8');
			proc.stderr.setEncoding('utf8');
			proc.stdout.on('data', (d) => (buffer += d));
			proc.stderr.on('data', (d) => (buffer += d));
			const url = `http://127.0.0.1:${port}`;
			if (await waitReady(url, proc, server.logs)) {
				Object.assign(server, { url, port, proc });
				return;
			}
			await waitExit(proc, STOP_TIMEOUT_MS);
			const mine = buffer.slice(mark);
			const report = sanitizerReport(mine);
			if (report)
				throw new Error(`jiaxiao serve: sanitizer report:\n${report}`);
			if (attempt < START_ATTEMPTS && /in use|EADDRINUSE|cannot bind|bind/i.test(mine))
				continue;
			throw new Error(
				`jiaxiao ${args.join(' ')} exited (${proc.exitCode ?? proc.signalCode}) before it was ready:\n${buffer}`);
		}
	};

	// Fails when any sanitizer output appeared in the logs so far.
	server.assertClean = () => {
		const report = sanitizerReport(buffer);
		if (report)
			throw new Error(`sanitizer report in the server's output:\n${report}`);
	};

	// Ends the server process: SIGTERM (or `signal`), then SIGKILL after
	// 30 s, which is reported as a failure: a server must stop on SIGTERM.
	const terminate = async (signal) => {
		const proc = server.proc;
		if (!proc)
			return { code: null, signal: null };
		server.proc = null;
		if (proc.exitCode !== null || proc.signalCode !== null)
			throw new Error(
				`the server had died (${proc.exitCode ?? proc.signalCode}) before it was stopped; logs:\n${buffer.slice(-4000)}`);
		proc.kill(signal);
		const result = await waitExit(proc, STOP_TIMEOUT_MS);
		if (!result) {
			proc.kill('SIGKILL');
			await waitExit(proc, STOP_TIMEOUT_MS);
			throw new Error(
				`server did not exit within ${STOP_TIMEOUT_MS} ms of ${signal}; logs:\n${buffer.slice(-4000)}`);
		}
		return result;
	};

	const removeDir = () => {
		if (ownDir && !process.env.JX_KEEP_DATA)
			fs.rmSync(dataDir, { recursive: true, force: true });
	};

	// Stops the process, then checks the logs; a sanitizer report is the
	// more telling error, so it wins over a failed stop.
	const stopChecked = async (signal) => {
		let error = null;
		let result;
		try {
			result = await terminate(signal);
		} catch (err) {
			error = err;
		}
		try {
			server.assertClean();
		} catch (err) {
			error = err;
		}
		if (error)
			throw error;
		return result;
	};

	server.stop = async ({ signal = 'SIGTERM' } = {}) => {
		try {
			return await stopChecked(signal);
		} finally {
			removeDir();
		}
	};

	// Kills the server with SIGKILL (a crash, a power cut for the process);
	// the data directory stays for restart().
	server.kill9 = async () => {
		const proc = server.proc;
		server.proc = null;
		if (!proc)
			return { code: null, signal: null };
		proc.kill('SIGKILL');
		return waitExit(proc, STOP_TIMEOUT_MS);
	};

	// Serves the same data directory again (stopping the server first if
	// it still runs), on a new port. `moreOpts` override the start options.
	server.restart = async (moreOpts = {}) => {
		await stopChecked('SIGTERM');
		Object.assign(server.opts, moreOpts);
		await launch();
		return server;
	};

	server.request = (method, urlPath, ropts) =>
		httpRequest(server.url, method, urlPath, ropts);
	server.raw = (method, rawPath, ropts) =>
		rawRequest(server.port, method, rawPath, ropts);
	server.client = () => makeClient(server);
	server.alive = () =>
		!!server.proc && server.proc.exitCode === null && server.proc.signalCode === null;

	try {
		await launch();
	} catch (err) {
		removeDir();
		throw err;
	}
	return server;
}
