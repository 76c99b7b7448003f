/*
 * print.js — a "print" button for printable pages (account slips). The
 * button is hidden in the HTML and shown only here, so without script
 * the page keeps its hint to use the browser's own print (Ctrl+P).
 * Served from /static (CSP: script-src 'self'; no inline script).
 */
(function () {
	"use strict";

	function bind() {
		var buttons = document.querySelectorAll("#print-button, [data-print]");

		Array.prototype.forEach.call(buttons, function (b) {
			b.hidden = false;
			b.addEventListener("click", function () {
				window.print();
			});
		});
	}

	if (document.readyState === "loading")
		document.addEventListener("DOMContentLoaded", bind);
	else
		bind();
})();
