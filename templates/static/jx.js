/*
 * jx.js — what every page script shares, as window.jx: the page's CSRF
 * token, the page's translated strings (a hidden list of data-key items),
 * element building with textContent only (never HTML from the server),
 * and JSON requests that carry the token. Loaded (defer) before a page's
 * own script; served from /static (the CSP allows no inline script).
 */
(function () {
	"use strict";

	var meta = document.querySelector('meta[name="csrf-token"]');
	var csrf = meta ? meta.getAttribute("content") : "";

	/* t(key, {name: value}) over the items of the list with this id. */
	function strings(listId) {
		var table = {};

		Array.prototype.forEach.call(
			document.querySelectorAll("#" + listId + " [data-key]"),
			function (li) {
				table[li.getAttribute("data-key")] = li.textContent;
			});
		return function t(key, params) {
			var s = table[key] || key;

			return s.replace(/\{(\w+)\}/g, function (m, name) {
				return params && params[name] !== undefined ?
					String(params[name]) : m;
			});
		};
	}

	function el(tag, text, cls) {
		var e = document.createElement(tag);

		if (text !== undefined && text !== null)
			e.textContent = String(text);
		if (cls)
			e.className = cls;
		return e;
	}

	/* fetch with a JSON (or FormData) body and the CSRF token; resolves
	 * {status, body} ({} when the reply is not JSON). */
	function call(method, url, body) {
		var opts = {
			method: method,
			headers: { "Accept": "application/json", "X-CSRF-Token": csrf },
			credentials: "same-origin"
		};

		if (window.FormData && body instanceof window.FormData) {
			opts.body = body;
		} else if (body !== undefined) {
			opts.headers["Content-Type"] = "application/json";
			opts.body = JSON.stringify(body);
		}
		return fetch(url, opts).then(function (res) {
			return res.json().catch(function () {
				return {};
			}).then(function (b) {
				return { status: res.status, body: b };
			});
		});
	}

	window.jx = { csrf: csrf, strings: strings, el: el, call: call };
})();
