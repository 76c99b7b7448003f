/*
 * records.js — the growth-records pages' forms (templates/records/*).
 * Every change goes through the JSON API: a form marked
 * class="records-api" with data-api="<url>" (and data-method, default
 * POST) is sent as JSON with the page's CSRF token (jx.call):
 *
 *   - a control with data-field="<name>" goes into body.fields (number
 *     inputs as numbers); hidden inputs named "files:<name>" (jx-upload's
 *     ids, and the ticked boxes of the files a record keeps) into
 *     body.fields[<name>] as a list of ids;
 *   - a checked checkbox with data-ids goes into body[<name>] as a list;
 *   - other named controls into body[<name>] (empty ones left out); the
 *     button that submitted adds its name and value (decision=approve).
 *
 * A 2xx goes to data-next ("{id}" filled from the reply) or reloads; a
 * 422 puts each error under its field (the row with id "row-<field>")
 * and focuses the first; anything else is said in the form's
 * .records-form-error. A submit that jx-upload held (a file still
 * sending) is left alone. Texts come from the page (#records-strings).
 */
(function () {
	"use strict";

	var jx = window.jx;

	if (!jx)
		return;

	var t = jx.strings("records-strings");

	function body(form, submitter) {
		var out = {};

		Array.prototype.forEach.call(form.elements, function (c) {
			var name = c.name;
			var v = c.value;

			if (!name || name === "csrf_token" || c.type === "file" ||
			    c.type === "submit" || c.disabled)
				return;
			if (name.indexOf("files:") === 0) {
				if (c.type === "checkbox" && !c.checked)
					return;
				out.fields = out.fields || {};
				name = name.slice(6);
				(out.fields[name] = out.fields[name] || []).push(Number(v));
				return;
			}
			if (c.type === "checkbox" && c.hasAttribute("data-ids")) {
				out[name] = out[name] || [];
				if (c.checked)
					out[name].push(Number(v));
				return;
			}
			if ((c.type === "radio" || c.type === "checkbox") && !c.checked)
				return;
			if (v === "")
				return;
			if (c.type === "number")
				v = Number(v);
			else if (c.hasAttribute("data-number"))
				v = Number(v);
			if (c.hasAttribute("data-field")) {
				out.fields = out.fields || {};
				out.fields[name] = v;
			} else {
				out[name] = v;
			}
		});
		if (submitter && submitter.name)
			out[submitter.name] = submitter.value;
		return out;
	}

	document.addEventListener("submit", function (ev) {
		var form = ev.target;
		var general, submitter;

		if (!(form instanceof HTMLFormElement) ||
		    !form.classList.contains("records-api") || ev.defaultPrevented)
			return;
		ev.preventDefault();
		if (form.getAttribute("aria-busy") === "true")
			return;
		submitter = ev.submitter || null;
		general = form.querySelector(".records-form-error");
		jx.clearFieldErrors(form);
		if (general)
			general.hidden = true;
		form.setAttribute("aria-busy", "true");
		jx.call(form.getAttribute("data-method") || "POST",
			form.getAttribute("data-api"), body(form, submitter))
			.then(function (r) {
				var next = form.getAttribute("data-next");
				var first = null;

				form.removeAttribute("aria-busy");
				if (r.status >= 200 && r.status < 300) {
					if (form.getAttribute("data-done"))
						jx.toast(form.getAttribute("data-done"));
					if (next)
						location.assign(next.replace("{id}",
							String(r.body && r.body.id)));
					else
						location.reload();
					return;
				}
				(r.body.errors || []).forEach(function (e) {
					var c = e.field ? jx.fieldError(form, e.field, e.message) : null;

					first = first || c;
				});
				if (first) {
					first.focus();
					return;
				}
				if (general) {
					general.textContent = (r.body.detail || r.body.title ||
						t("records.js.failed")) +
						(r.body.errors && r.body.errors.length ?
							" " + r.body.errors.map(function (e) {
								return e.message;
							}).join("；") : "");
					general.hidden = false;
					general.focus();
				}
			}, function () {
				form.removeAttribute("aria-busy");
				if (general) {
					general.textContent = t("records.js.network");
					general.hidden = false;
				}
			});
	});

	/* The review queue: "select all". */
	Array.prototype.forEach.call(
		document.querySelectorAll("[data-records-all]"),
		function (box) {
			box.hidden = false;
			box.querySelector("input").addEventListener("change", function () {
				var on = this.checked;

				Array.prototype.forEach.call(
					document.querySelectorAll("input[data-ids]"),
					function (c) {
						c.checked = on;
					});
			});
		});
})();
