/*
 * practice.js — the social-practice pages' forms and live counts
 * (templates/practice/*). Loaded after jx.js; served from /static (the
 * CSP allows no inline script).
 *
 * Forms marked class="practice-api" with data-api="<url>" (and
 * data-method, default POST) go to the JSON API with the page's CSRF
 * token (jx.call), so the rules live in the API alone:
 *
 *   - every named control goes into the body (empty ones left out);
 *     type=number and data-number controls as numbers; checkboxes with
 *     data-list as a list of numbers (grades);
 *   - a 2xx goes to data-next ("{id}" filled from the reply) or reloads,
 *     after data-done as a toast; a form with data-reveal shows the
 *     reply's initial password in the element it names instead;
 *   - a 422 puts each error under its field (the row with id
 *     "row-<field>") and focuses the first; on a Chinese page an API
 *     message without Chinese is replaced by "请检查<label>" so the
 *     page stays Chinese; other failures are said in .practice-form-error.
 *
 * Live counts: an element with data-practice-live="<url>" is refreshed
 * every 10 s (while the page is visible) from that JSON ({items: [{id,
 * confirmed, capacity, waitlisted, seats_left}]}): each
 * [data-activity="<id>"] row's [data-count="<name>"] gets the new value.
 * Texts come from the page (#practice-strings).
 */
(function () {
	"use strict";

	var jx = window.jx;

	if (!jx)
		return;

	var t = jx.strings("practice-strings");
	var zh = (document.documentElement.lang || "zh-CN") !== "en";

	function hasChinese(s) {
		return /[\u3400-\u9fff]/.test(String(s || ""));
	}

	/* The message to show for an API error on this page. */
	function message(form, e) {
		var row = e.field ? form.querySelector("#row-" + e.field) : null;
		var label = row ? row.querySelector("label, legend") : null;

		if (!zh || hasChinese(e.message))
			return e.message;
		return label ? t("practice.js.check", { label: label.textContent.trim() }) :
			t("practice.js.failed");
	}

	function body(form) {
		var out = {};

		Array.prototype.forEach.call(form.elements, function (c) {
			var name = c.name;
			var v = c.value;

			if (!name || name === "csrf_token" || c.type === "submit" ||
			    c.type === "button" || c.disabled)
				return;
			if (c.type === "checkbox" && c.hasAttribute("data-list")) {
				out[name] = out[name] || [];
				if (c.checked)
					out[name].push(Number(v));
				return;
			}
			if ((c.type === "radio" || c.type === "checkbox") && !c.checked)
				return;
			if (v === "")
				return;
			if (c.type === "number" || c.hasAttribute("data-number"))
				v = Number(v);
			out[name] = v;
		});
		return out;
	}

	/* The reply's initial password, shown once in the form's reveal
	 * box (an adult who activates by SMS code has none: the box says
	 * so instead). */
	function reveal(form, reply) {
		var box = document.getElementById(form.getAttribute("data-reveal"));
		var pw = reply && (reply.initial_password || reply.password ||
			(reply.account && reply.account.initial_password));
		var out, row, msg;

		if (!box)
			return false;
		out = box.querySelector("[data-out]");
		row = box.querySelector("[data-pw-row]");
		msg = box.querySelector("[data-msg]");
		if (pw) {
			out.textContent = pw;
			row.hidden = false;
		} else {
			out.textContent = "";
			row.hidden = true;
			msg.textContent = t("practice.js.no_password");
		}
		box.hidden = false;
		box.focus();
		form.reset();
		return true;
	}

	document.addEventListener("submit", function (ev) {
		var form = ev.target;
		var general, method;

		if (!(form instanceof HTMLFormElement) ||
		    !form.classList.contains("practice-api") || ev.defaultPrevented)
			return;
		ev.preventDefault();
		if (form.getAttribute("aria-busy") === "true")
			return;
		general = form.querySelector(".practice-form-error");
		jx.clearFieldErrors(form);
		if (general)
			general.hidden = true;
		form.setAttribute("aria-busy", "true");
		method = form.getAttribute("data-method") || "POST";
		jx.call(method, form.getAttribute("data-api"),
			method === "DELETE" ? undefined : body(form))
			.then(function (r) {
				var next = form.getAttribute("data-next");
				var first = null;
				var errs = (r.body && r.body.errors) || [];

				form.removeAttribute("aria-busy");
				if (r.status >= 200 && r.status < 300) {
					if (form.getAttribute("data-done"))
						jx.toast(form.getAttribute("data-done"));
					if (form.hasAttribute("data-reveal") &&
					    reveal(form, r.body))
						return;
					if (next)
						location.assign(next.replace("{id}",
							String(r.body && r.body.id)));
					else
						location.reload();
					return;
				}
				errs.forEach(function (e) {
					var c = e.field ? jx.fieldError(form, e.field, message(form, e)) : null;

					first = first || c;
				});
				if (first) {
					first.focus();
					return;
				}
				if (general) {
					general.textContent =
						(!zh || hasChinese(r.body && r.body.detail)) &&
						r.body && r.body.detail ? r.body.detail :
							t("practice.js.status." + r.status) !==
							"practice.js.status." + r.status ?
								t("practice.js.status." + r.status) :
								t("practice.js.failed");
					general.hidden = false;
					general.focus();
				}
			}, function () {
				form.removeAttribute("aria-busy");
				if (general) {
					general.textContent = t("practice.js.network");
					general.hidden = false;
				}
			});
	});

	/* ---- live registration counts ---------------------------------- */

	function refresh(box) {
		var url = box.getAttribute("data-practice-live");

		jx.call("GET", url).then(function (r) {
			if (r.status !== 200 || !r.body || !r.body.items)
				return;
			r.body.items.forEach(function (a) {
				var row = box.querySelector('[data-activity="' + Number(a.id) + '"]');

				if (!row)
					return;
				Array.prototype.forEach.call(
					row.querySelectorAll("[data-count]"),
					function (c) {
						var v = a[c.getAttribute("data-count")];

						if (v !== undefined && v !== null &&
						    c.textContent !== String(v))
							c.textContent = String(v);
					});
			});
			box.setAttribute("data-refreshed", String(Date.now()));
		}, function () {
			/* offline for a moment: the next tick tries again */
		});
	}

	Array.prototype.forEach.call(
		document.querySelectorAll("[data-practice-live]"),
		function (box) {
			var every = Number(box.getAttribute("data-every")) || 10000;

			window.setInterval(function () {
				if (!document.hidden)
					refresh(box);
			}, every);
		});
})();
