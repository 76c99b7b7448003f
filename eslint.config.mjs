// eslint over every script jiaxiao ships or tests with (ctest lint_js):
// the recommended rules; the pages' scripts (templates/static/*.js) run
// in the browser as classic scripts, the tests, stubs, benches and these
// configs in node as modules.
import js from '@eslint/js';
import globals from 'globals';

export default [
	{
		ignores: ['node_modules/**', 'build*/**', 'data/**'],
	},
	js.configs.recommended,
	{
		files: ['templates/static/**/*.js'],
		languageOptions: {
			ecmaVersion: 2020,
			sourceType: 'script',
			globals: { ...globals.browser },
		},
		rules: {
			// catch (e) {} with e unused: the binding-less catch is
			// newer than some in-app browsers.
			'no-unused-vars': ['error', { caughtErrors: 'none' }],
		},
	},
	{
		files: ['**/*.mjs'],
		languageOptions: {
			ecmaVersion: 'latest',
			sourceType: 'module',
			globals: { ...globals.node },
		},
	},
	{
		// Functions passed to page.evaluate run in the page.
		files: ['tests/browser/**/*.mjs'],
		languageOptions: {
			globals: { ...globals.node, ...globals.browser },
		},
	},
];
