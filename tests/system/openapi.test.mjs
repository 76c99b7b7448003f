// docs/openapi.yaml: the server serves it byte for byte, it is well-formed
// YAML of the restricted style the project writes (two-space indentation,
// no tabs, unique keys, resolvable $refs), and it documents every API route
// of the host and the plugins, so that adding an endpoint without
// documenting it fails here. Node built-ins only: the YAML checks are a
// small line scanner, not a YAML library.

import test from 'node:test';
import assert from 'node:assert/strict';
import yaml from 'js-yaml';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, SOURCE_DIR } from './harness.mjs';

const DOC_PATH = path.join(SOURCE_DIR, 'docs', 'openapi.yaml');
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

// ---- the route table, from the C sources -------------------------------

// Every route of host/*.c and plugins/*/*.c: entries of a route table
// (`{"GET", "/path", ...}`; one with JX_ROUTE_BOTH is also
// "/api/v1/path") and registrar calls (`reg->route(reg, "GET", "/path",
// ...)`). tests/plugins is test-only.
export function sourceRoutes(root = SOURCE_DIR) {
	const files = [];
	const host = path.join(root, 'host');
	for (const name of fs.readdirSync(host))
		if (name.endsWith('.c'))
			files.push(path.join(host, name));
	const plugins = path.join(root, 'plugins');
	if (fs.existsSync(plugins))
		for (const dir of fs.readdirSync(plugins)) {
			const d = path.join(plugins, dir);
			if (!fs.statSync(d).isDirectory())
				continue;
			for (const name of fs.readdirSync(d))
				if (name.endsWith('.c'))
					files.push(path.join(d, name));
		}
	const m = METHODS.join('|');
	const patterns = [
		new RegExp(`\\{\\s*"(${m})"\\s*,\\s*"(/[^"]*)"([^{}]*)\\}`, 'g'),
		new RegExp(`route\\s*\\(\\s*[A-Za-z_][\\w>.-]*\\s*,\\s*"(${m})"\\s*,\\s*"(/[^"]*)"`, 'g'),
	];
	const routes = [];
	for (const file of files) {
		const text = fs.readFileSync(file, 'utf8');
		for (const re of patterns)
			for (const hit of text.matchAll(re)) {
				routes.push({
					method: hit[1],
					path: hit[2],
					file: path.relative(root, file),
				});
				if (/JX_ROUTE_BOTH/.test(hit[3] ?? ''))
					routes.push({
						method: hit[1],
						path: `/api/v1${hit[2]}`,
						file: path.relative(root, file),
					});
			}
	}
	return routes;
}

function isApiRoute(r) {
	return (r.path.startsWith('/api/') || r.path === '/healthz') &&
		!r.path.startsWith('/api/v1/test/');
}

// ---- a restricted YAML scanner ------------------------------------------

// Scans the YAML the project writes: block mappings and sequences indented
// by exactly two spaces per level, `- ` items, one-line flow collections,
// quoted or plain scalars and `|`/`>` block scalars. Returns
// { errors: [...], keys: Set of "a/b/c" paths, nodes: [{ path, value,
// line }] }. Sequence items appear in paths as their index.
export function scanYaml(text) {
	const errors = [];
	const keys = new Set();
	const nodes = [];
	const lines = text.split('\n');
	if (!text.endsWith('\n'))
		errors.push('the file does not end with a newline');
	// Open containers: { indent, path, children: Set, items: number }.
	const stack = [{ indent: -2, path: [], children: new Set(), items: 0 }];
	let block = null; // { indent } while inside a block scalar

	const fail = (n, msg) => errors.push(`line ${n + 1}: ${msg}`);

	const checkScalar = (n, value) => {
		if (value === '')
			return;
		const q = value[0];
		if (q === '"' || q === "'") {
			// A quoted scalar ends with its quote on the same line (an
			// inner '' is an escaped single quote).
			const body = value.slice(1);
			const close = q === "'" ? /^(?:[^']|'')*'$/ : /^(?:[^"\\]|\\.)*"$/;
			if (!close.test(body))
				fail(n, `unterminated or trailing text after quoted scalar: ${value}`);
			return;
		}
		if (q === '[' || q === '{') {
			let depth = 0;
			let quote = null;
			for (const c of value) {
				if (quote) {
					if (c === quote)
						quote = null;
					continue;
				}
				if (c === '"' || c === "'")
					quote = c;
				else if (c === '[' || c === '{')
					depth++;
				else if (c === ']' || c === '}')
					depth--;
				if (depth < 0)
					break;
			}
			if (depth !== 0 || quote || !/[\]}]$/.test(value))
				fail(n, `unbalanced one-line flow collection: ${value}`);
			return;
		}
		if (/^[&*!%@`|>]/.test(q) && !/^[|>][-+]?$/.test(value))
			fail(n, `plain scalar starts with a YAML indicator: ${value}`);
		if (/:( |$)/.test(value))
			fail(n, `plain scalar contains ": " (quote it): ${value}`);
		if (/ #/.test(value))
			fail(n, `plain scalar contains " #", which starts a comment (quote it): ${value}`);
	};

	// Adds key under the container on top of the stack.
	const addKey = (n, indent, key, value) => {
		const top = stack[stack.length - 1];
		if (top.children.has(key))
			fail(n, `duplicate key "${key}"`);
		top.children.add(key);
		const p = [...top.path, key];
		keys.add(p.join('/'));
		nodes.push({ path: p, value, line: n + 1 });
		stack.push({ indent, path: p, children: new Set(), items: 0 });
		if (/^[|>][-+]?$/.test(value))
			block = { indent, first: true };
		else
			checkScalar(n, value);
	};

	const keyRe = /^('(?:[^']|'')*'|"(?:[^"\\]|\\.)*"|[^\s'"#\-[{][^:#]*?|-[^\s:][^:#]*?)\s*:(?: (.*))?$/;

	for (let n = 0; n < lines.length; n++) {
		const line = lines[n];
		if (line.includes('\t'))
			fail(n, 'contains a tab');
		if (/\s$/.test(line))
			fail(n, 'trailing whitespace');
		const indent = line.length - line.trimStart().length;
		const rest = line.slice(indent);
		if (block) {
			if (rest === '')
				continue;
			if (indent > block.indent) {
				if (block.first && indent !== block.indent + 2)
					fail(n, `block scalar indented ${indent}, expected ${block.indent + 2}`);
				block.first = false;
				continue;
			}
			block = null;
		}
		if (rest === '' || rest.startsWith('#'))
			continue;
		if (indent % 2 !== 0)
			fail(n, `indentation ${indent} is not a multiple of 2`);
		while (stack.length > 1 && stack[stack.length - 1].indent >= indent)
			stack.pop();
		const parent = stack[stack.length - 1];
		if (indent !== parent.indent + 2)
			fail(n, `indentation ${indent}, expected ${parent.indent + 2} under "${parent.path.join('/')}"`);
		if (rest === '-' || rest.startsWith('- ')) {
			// A sequence item: its content sits two columns further in.
			if (parent.children.size > 0)
				fail(n, `sequence item in a mapping ("${parent.path.join('/')}")`);
			const index = String(parent.items++);
			const p = [...parent.path, index];
			keys.add(p.join('/'));
			stack.push({ indent, path: p, children: new Set(), items: 0, seqItem: true });
			const inner = rest.slice(2).trim();
			if (inner === '')
				continue;
			const km = inner.match(keyRe);
			if (km)
				addKey(n, indent + 2, unquote(km[1]), (km[2] ?? '').trim());
			else {
				checkScalar(n, inner);
				nodes.push({ path: p, value: inner, line: n + 1 });
			}
			continue;
		}
		if (parent.items > 0)
			fail(n, `mapping key in a sequence ("${parent.path.join('/')}")`);
		const km = rest.match(keyRe);
		if (!km) {
			fail(n, `not a "key: value" line: ${rest}`);
			continue;
		}
		addKey(n, indent, unquote(km[1]), (km[2] ?? '').trim());
	}
	return { errors, keys, nodes };
}

function unquote(s) {
	if (s.startsWith("'") && s.endsWith("'"))
		return s.slice(1, -1).replace(/''/g, "'");
	if (s.startsWith('"') && s.endsWith('"'))
		return JSON.parse(s);
	return s.trim();
}

// The documented operations: "METHOD /path" for each method key under a
// path of the top-level `paths:` mapping.
export function documentedOperations(scan) {
	const ops = new Set();
	for (const { path: p } of scan.nodes)
		if (p.length === 3 && p[0] === 'paths' && p[1].startsWith('/') &&
		    METHODS.includes(p[2].toUpperCase()) && p[2] === p[2].toLowerCase())
			ops.add(`${p[2].toUpperCase()} ${p[1]}`);
	return ops;
}

// ---- tests ---------------------------------------------------------------

const docText = fs.readFileSync(DOC_PATH, 'utf8');

test('docs/openapi.yaml is well-formed YAML in the project style', () => {
	assert.ok(docText.startsWith('openapi: 3.1.0\n'), 'the document starts with "openapi: 3.1.0"');
	const scan = scanYaml(docText);
	assert.deepEqual(scan.errors, [], scan.errors.slice(0, 20).join('\n'));
	// A full YAML parser too: a flow mapping whose text holds braces
	// ({description: To /posts/{id}.}) or a key given twice (two
	// branches adding the same path) passes the scan above but breaks
	// every OpenAPI tool.
	assert.doesNotThrow(() => yaml.load(docText), 'js-yaml parses the document');
	for (const key of ['openapi', 'info', 'info/title', 'info/version', 'info/description', 'paths', 'components'])
		assert.ok(scan.keys.has(key), `the document has ${key}`);
	// Every $ref points at something the document defines.
	for (const node of scan.nodes) {
		if (node.path[node.path.length - 1] !== '$ref')
			continue;
		const ref = unquote(node.value);
		assert.match(ref, /^#\//, `line ${node.line}: local $ref`);
		const target = ref.slice(2).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).join('/');
		assert.ok(scan.keys.has(target), `line ${node.line}: $ref ${ref} resolves`);
	}
	// operationIds are unique.
	const ids = scan.nodes.filter((x) => x.path[x.path.length - 1] === 'operationId').map((x) => x.value);
	assert.ok(ids.length > 0, 'operations have operationIds');
	assert.equal(new Set(ids).size, ids.length, `duplicate operationId in ${ids.join(', ')}`);
	// Every operation has a tag, a summary and responses.
	for (const op of documentedOperations(scan)) {
		const [method, p] = op.split(' ');
		const base = `paths/${p}/${method.toLowerCase()}`;
		for (const part of ['tags', 'summary', 'responses'])
			assert.ok(scan.keys.has(`${base}/${part}`), `${op} has ${part}`);
	}
});

test('the YAML scanner rejects what it should', () => {
	const bad = {
		tab: 'a:\n\tb: 1\n',
		odd: 'a:\n   b: 1\n',
		jump: 'a:\n    b: 1\n',
		duplicate: 'a:\n  b: 1\n  b: 2\n',
		colon: 'a: b: c\n',
		comment: 'a: b #c\n',
		quote: "a: 'b\n",
		flow: 'a: [b, c\n',
		nokey: 'a:\n  just text\n',
		noeol: 'a: 1',
		block: 'a: |\n    too far\n',
	};
	for (const [name, text] of Object.entries(bad))
		assert.notDeepEqual(scanYaml(text).errors, [], `"${name}" is rejected`);
	const good = scanYaml("a:\n  - b: 1\n    c: 'x: y'\n  - d\nb: |\n  free: text # here\n\n  more\nc: [x, y]\n");
	assert.deepEqual(good.errors, []);
	assert.ok(good.keys.has('a/0/c') && good.keys.has('a/1') && good.keys.has('c'));
	const ops = documentedOperations(scanYaml("paths:\n  /api/v1/x/{id}:\n    get:\n      summary: s\n    parameters: []\n"));
	assert.deepEqual([...ops], ['GET /api/v1/x/{id}']);
});

test('every API route of the host and the plugins is documented, and nothing else', () => {
	const routes = sourceRoutes();
	const keys = new Set(routes.map((r) => `${r.method} ${r.path}`));
	// The extraction itself must work: routes known to exist are found.
	for (const known of ['GET /healthz', 'POST /api/v1/session', 'GET /api/v1/openapi.yaml', 'GET /login'])
		assert.ok(keys.has(known), `the route scan finds ${known} (found ${keys.size})`);
	const documented = documentedOperations(scanYaml(docText));
	const missing = routes
		.filter(isApiRoute)
		.filter((r) => !documented.has(`${r.method} ${r.path}`))
		.map((r) => `${r.method} ${r.path} (${r.file})`);
	assert.deepEqual(missing, [], `routes missing from docs/openapi.yaml:\n${missing.join('\n')}`);
	// The other way: a documented API operation must exist.
	const stale = [...documented]
		.filter((op) => /^\w+ (\/api\/|\/healthz$)/.test(op))
		.filter((op) => !keys.has(op));
	assert.deepEqual(stale, [], `documented but not routed:\n${stale.join('\n')}`);
});

test('the route scan sees plugin registrations', () => {
	// A plugin folder written like tests/plugins is picked up: the scan
	// must not depend on how a handler is named or laid out.
	const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jx-openapi-scan-'));
	try {
		fs.mkdirSync(path.join(tmp, 'host'));
		fs.mkdirSync(path.join(tmp, 'plugins', 'demo'), { recursive: true });
		fs.writeFileSync(path.join(tmp, 'host', 'a.c'),
			'static const struct route r[] = {\n\t{"GET", "/api/v1/a",\n\t route_a, NULL, 0, -1},\n};\n');
		fs.writeFileSync(path.join(tmp, 'plugins', 'demo', 'demo.c'),
			'reg->route(reg, "PATCH", "/api/v1/classes/{id}", h, NULL, 0);\n' +
			'reg->route(\n\t    reg, "DELETE",\n\t    "/api/v1/classes/{id}", h, NULL, 0);\n');
		const found = sourceRoutes(tmp).map((r) => `${r.method} ${r.path}`).sort();
		assert.deepEqual(found, ['DELETE /api/v1/classes/{id}', 'GET /api/v1/a', 'PATCH /api/v1/classes/{id}']);
	} finally {
		fs.rmSync(tmp, { recursive: true, force: true });
	}
});

test('GET /api/v1/openapi.yaml serves docs/openapi.yaml byte for byte', async () => {
	const server = await startServer();
	try {
		const res = await fetch(`${server.url}/api/v1/openapi.yaml`, {
			signal: AbortSignal.timeout(30000),
		});
		assert.equal(res.status, 200);
		assert.match(res.headers.get('content-type') ?? '', /^application\/yaml/);
		const body = Buffer.from(await res.arrayBuffer());
		assert.ok(body.subarray(0, 15).equals(Buffer.from('openapi: 3.1.0\n')), 'body begins with "openapi: 3.1.0"');
		assert.ok(body.equals(fs.readFileSync(DOC_PATH)), 'body is identical to docs/openapi.yaml');
		// Public: no session needed, and a HEAD gets the same headers.
		const head = await fetch(`${server.url}/api/v1/openapi.yaml`, { method: 'HEAD' });
		assert.equal(head.status, 200);
		assert.equal(head.headers.get('content-length'), String(body.length));
	} finally {
		await server.stop();
	}
});
