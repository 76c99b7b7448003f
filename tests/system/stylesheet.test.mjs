// The shipped stylesheets parse as written: every block that opens
// closes, and none closes before it opens. An unclosed brace nests every
// rule after it inside the open one, where it silently never applies
// (app.css carried three such braces: the keyinfo rows, the notices list
// and the rule editor's @media block).
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { SOURCE_DIR } from './harness.mjs';

const dir = path.join(SOURCE_DIR, 'templates', 'static');

// Comments and strings removed; then the braces are counted line by line.
function unbalanced(css) {
	const text = css.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '))
		.replace(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g, (q) => ' '.repeat(q.length));
	const open = [];
	const lines = text.split('\n');
	for (let i = 0; i < lines.length; i++)
		for (const ch of lines[i]) {
			if (ch === '{')
				open.push(`line ${i + 1}: ${lines[i].trim()}`);
			else if (ch === '}' && open.pop() === undefined)
				return [`line ${i + 1}: a } that closes nothing`];
		}
	return open;
}

test('every shipped stylesheet has balanced braces', () => {
	const files = fs.readdirSync(dir).filter((f) => f.endsWith('.css'));
	assert.ok(files.includes('app.css'), files.join(', '));
	for (const f of files)
		assert.deepEqual(unbalanced(fs.readFileSync(path.join(dir, f), 'utf8')), [],
			`${f}: unclosed or stray braces`);
});

// The linter of `make test` (ctest lint_css, stylelint with the repo's
// config) refuses a stylesheet that does not parse: app.css with the
// closing brace of `.ki-rows {` removed, as a merge once left it, fails;
// the shipped one passes.
test('stylelint refuses app.css with an unclosed brace', async () => {
	const { default: stylelint } = await import('stylelint');
	const configFile = path.join(SOURCE_DIR, 'stylelint.config.mjs');
	const css = fs.readFileSync(path.join(dir, 'app.css'), 'utf8');
	const lint = (code) => stylelint.lint({
		code,
		codeFilename: path.join(dir, 'app.css'),
		configFile,
		configBasedir: SOURCE_DIR,
	});

	let result = await lint(css);
	assert.equal(result.errored, false,
		JSON.stringify(result.results[0].warnings.slice(0, 5)));

	const start = css.indexOf('.ki-rows {');
	assert.ok(start > 0, 'app.css has the .ki-rows block');
	const close = css.indexOf('}', start);
	const broken = css.slice(0, close) + css.slice(close + 1);
	assert.deepEqual(unbalanced(broken).length, 1, 'the copy has one unclosed brace');
	result = await lint(broken);
	assert.equal(result.errored, true, 'the broken copy fails the lint');
	const texts = result.results[0].warnings.map((w) => `${w.rule}: ${w.text}`);
	assert.ok(texts.some((t) => /CssSyntaxError|Unclosed block/i.test(t)), texts.join('\n'));
});
