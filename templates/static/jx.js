/*
 * jx.js — what every page script shares, as window.jx: the page's CSRF
 * token, the page's translated strings (a hidden list of data-key items),
 * element building with textContent only (never HTML from the server),
 * JSON requests that carry the token, and the shell's behaviour: the
 * title bar's back link, the identity sheet, the confirm dialog
 * (data-confirm on a submit button), the toast (jx.toast(msg)) and an
 * API form's errors under its fields (jx.fieldError, jx.clearFieldErrors).
 * Loaded (defer) by the layout before a page's own script; served from
 * /static (the CSP allows no inline script). Without it every page still
 * works: the back link goes to its href, the sheet is a details element,
 * a form with data-confirm just submits.
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

	/* A toast: the message in the layout's status region, shown for a
	 * while (the CSS animation fades it; restarting it shows it again). */
	function toast(msg) {
		var box = document.getElementById("jx-toast");

		if (!box)
			return;
		box.classList.remove("is-shown");
		box.textContent = String(msg);
		void box.offsetWidth;
		box.classList.add("is-shown");
	}

	/* Asks before a form is sent: resolves true when confirmed. The
	 * layout's <dialog>, or window.confirm where dialogs are missing. */
	function confirmDialog(message) {
		var dlg = document.getElementById("jx-confirm");
		var text = document.getElementById("jx-confirm-text");

		if (!dlg || typeof dlg.showModal !== "function")
			return Promise.resolve(window.confirm(message));
		text.textContent = message;
		dlg.returnValue = "";
		return new Promise(function (resolve) {
			dlg.addEventListener("close", function done() {
				dlg.removeEventListener("close", done);
				resolve(dlg.returnValue === "ok");
			});
			dlg.showModal();
		});
	}

	document.addEventListener("click", function (ev) {
		var target = ev.target instanceof Element ? ev.target : null;
		var back = target && target.closest("[data-jx-back]");
		var ask = target && target.closest("[data-confirm]");
		var ref;

		/* Back: the browser's history when we came from this site,
		 * else the link's own href (page.back or home). */
		if (back) {
			try {
				ref = document.referrer ?
					new URL(document.referrer).origin : "";
			} catch (e) {
				ref = "";
			}
			if (ref === location.origin && history.length > 1) {
				ev.preventDefault();
				history.back();
			}
			return;
		}
		if (ask && ask.form && !ask.hasAttribute("data-jx-confirmed")) {
			ev.preventDefault();
			confirmDialog(ask.getAttribute("data-confirm")).then(function (ok) {
				if (!ok)
					return;
				ask.setAttribute("data-jx-confirmed", "");
				if (typeof ask.form.requestSubmit === "function")
					ask.form.requestSubmit(ask);
				else
					ask.click();
				ask.removeAttribute("data-jx-confirmed");
			});
			return;
		}
		/* A tap outside an open sheet closes it. */
		Array.prototype.forEach.call(
			document.querySelectorAll("details.jx-sheet[open]"),
			function (d) {
				if (!target || !d.contains(target))
					d.removeAttribute("open");
			});
	});

	document.addEventListener("keydown", function (ev) {
		if (ev.key !== "Escape")
			return;
		Array.prototype.forEach.call(
			document.querySelectorAll("details.jx-sheet[open]"),
			function (d) {
				d.removeAttribute("open");
				d.querySelector("summary").focus();
			});
	});

	/* A phone's menu row scrolls in its own box: bring the current
	 * entry into view (the school admin's nine entries are wider than
	 * the screen). */
	function showCurrentMenuEntry() {
		var cur = document.querySelector('.site-nav a[aria-current="page"]');
		var ul = cur && cur.closest("ul");

		if (ul && ul.scrollWidth > ul.clientWidth)
			ul.scrollLeft = cur.parentNode.offsetLeft -
				(ul.clientWidth - cur.offsetWidth) / 2;
	}

	showCurrentMenuEntry();

	/* A form's API errors at their fields (the row with id
	 * "row-<field>"): clearFieldErrors takes away what fieldError put
	 * there; fieldError says text under the field, marks its control
	 * aria-invalid and returns the control (or the row) to focus, or
	 * null when the form has no such row. */
	function clearFieldErrors(form) {
		Array.prototype.forEach.call(
			form.querySelectorAll(".jx-field-error"),
			function (p) {
				var row = p.parentNode;

				row.classList.remove("has-error");
				Array.prototype.forEach.call(
					row.querySelectorAll("[aria-invalid]"),
					function (c) {
						c.removeAttribute("aria-invalid");
					});
				p.remove();
			});
	}

	function fieldError(form, field, text) {
		var row = form.querySelector("#row-" + field);
		var control, p;

		if (!row)
			return null;
		control = row.querySelector("input:not([type=hidden]), select, textarea");
		p = el("p", text, "jx-error jx-field-error");
		p.id = "row-" + field + "-error";
		row.classList.add("has-error");
		row.appendChild(p);
		if (control) {
			control.setAttribute("aria-invalid", "true");
			control.setAttribute("aria-describedby", p.id);
		}
		return control || row;
	}

	window.jx = {
		csrf: csrf, strings: strings, el: el, call: call,
		toast: toast, confirm: confirmDialog,
		clearFieldErrors: clearFieldErrors, fieldError: fieldError
	};
})();
