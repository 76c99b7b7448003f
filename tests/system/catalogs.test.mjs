// The message catalogs (templates/i18n/*.lua and every plugin's or
// out-of-tree plugin's own): no key written twice in one catalog. Lua
// keeps the last of two equal keys without a word, so a duplicate hides
// which text a page shows (two helpers adding the same key in parallel
// branches is the usual way it happens). Key parity between zh-CN and en
// is checked by tests/unit/test_render.c.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function catalogs(dir, out = []) {
	for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
		if (e.name === 'node_modules' || e.name.startsWith('.') || e.name.startsWith('build'))
			continue;
		const p = path.join(dir, e.name);
		if (e.isDirectory())
			catalogs(p, out);
		else if (e.name.endsWith('.lua') && path.basename(dir) === 'i18n')
			out.push(p);
	}
	return out;
}

test('every catalog names each key once', () => {
	const files = catalogs(root);
	assert.ok(files.some((f) => f.endsWith(path.join('templates', 'i18n', 'zh-CN.lua'))), 'the main catalog is found');
	const dups = [];
	for (const f of files) {
		const seen = new Map();
		fs.readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
			const m = /^\s*\[\s*"([^"]+)"\s*\]\s*=/.exec(line);
			if (!m)
				return;
			if (seen.has(m[1]))
				dups.push(`${path.relative(root, f)}:${i + 1}: "${m[1]}" again (first on line ${seen.get(m[1])})`);
			else
				seen.set(m[1], i + 1);
		});
	}
	assert.deepEqual(dups, []);
});
