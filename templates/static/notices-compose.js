/*
 * notices-compose.js — the live recipient count of the compose page
 * (templates/notices/new.html). Whenever the kind, roles, grades or
 * classes change, posts the audience to POST /api/v1/notices/preview with
 * the page's CSRF token and shows "goes to N people" in an aria-live
 * line. Served from /static (the CSP allows no inline script); the form
 * works without it.
 */
(function () {
	"use strict";

	var form = document.getElementById("compose-form");
	var out = document.getElementById("compose-count");
	if (!form || !out || !window.fetch)
		return;
	var meta = document.querySelector('meta[name="csrf-token"]');
	var csrf = meta ? meta.getAttribute("content") : "";
	var template = out.getAttribute("data-template") || "{n}";
	var seq = 0;

	function checked(prefix) {
		var list = [];

		Array.prototype.forEach.call(form.elements, function (e) {
			if (e.type === "checkbox" && e.checked &&
			    e.name.indexOf(prefix) === 0)
				list.push(e.name.slice(prefix.length));
		});
		return list;
	}

	function update() {
		var mine = ++seq;
		var roles = checked("role_");
		var classes = checked("class_");
		var body;

		/* Nothing to count yet: no roles, or a teacher (who sends to
		 * chosen classes only) with no class. */
		if (roles.length === 0 ||
		    (form.getAttribute("data-teacher") === "1" && classes.length === 0)) {
			out.textContent = "";
			return;
		}
		body = {
			kind: form.elements.kind ? form.elements.kind.value : undefined,
			audience: {
				roles: roles,
				grades: checked("grade_").map(Number),
				class_ids: classes.map(Number)
			}
		};

		fetch("/api/v1/notices/preview", {
			method: "POST",
			credentials: "same-origin",
			headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
			body: JSON.stringify(body)
		}).then(function (r) {
			return r.ok ? r.json() : null;
		}).then(function (j) {
			if (mine !== seq)
				return; /* a newer answer is on its way */
			out.textContent = j && typeof j.recipients === "number" ?
				template.replace("{n}", String(j.recipients)) : "";
		}).catch(function () {
			out.textContent = "";
		});
	}

	form.addEventListener("change", update);
	update();
})();
