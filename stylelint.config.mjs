// stylelint over every stylesheet jiaxiao ships (ctest lint_css): the
// standard set, which also refuses CSS that does not parse (an unclosed
// brace is a CssSyntaxError), with two choices of ours:
// - media queries in the min-width/max-width form: the range form
//   (width >= 48em) needs Chrome 104 / Safari 16.4, newer than the
//   in-app browsers of many parents' phones;
// - no-descending-specificity off: it orders selectors across the whole
//   file, and app.css is organised by page, each section after the
//   shell's, which it would scramble without catching a real bug.
// tests/browser/fixtures/app-unclosed.css is broken on purpose: the
// crawl test proves its parse check on it.
export default {
	extends: ['stylelint-config-standard'],
	ignoreFiles: ['tests/browser/fixtures/**'],
	reportNeedlessDisables: true,
	rules: {
		'media-feature-range-notation': 'prefix',
		'no-descending-specificity': null,
	},
};
