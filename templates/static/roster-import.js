/*
 * roster-import.js — the import page's upload (templates/roster/import.html).
 * Posts the chosen sheet as multipart/form-data to
 * POST /api/v1/schools/{sid}/imports?kind=&mode=[&create_classes=1] with the
 * page's CSRF token, polls GET /api/v1/jobs/{id} every 500 ms into the
 * <progress> bar and a live status line, then shows the counts and the rows
 * at fault. After a clean dry run, "确认导入" sends the same file again with
 * mode=commit. Served from /static (the CSP allows no inline script); every
 * text from the server is put in with textContent, never as HTML.
 */
(function () {
	"use strict";

	var POLL_MS = 500;
	var MAX_ROWS_SHOWN = 500;

	var form = document.getElementById("import-form");
	if (!form || !window.fetch || !window.FormData || !window.jx)
		return;

	var sid = form.getAttribute("data-school-id");
	var csrf = window.jx.csrf;
	var box = document.getElementById("import-status");
	var progress = document.getElementById("import-progress");
	var message = document.getElementById("import-message");
	var result = document.getElementById("import-result");
	var commitButton = document.getElementById("import-commit");
	var slipsLink = document.getElementById("import-slips");
	var startButton = document.getElementById("import-start");
	var checked = null; /* the file, kind and options of the last clean dry run */
	var busy = false;

	var t = window.jx.strings("import-strings");
	var el = window.jx.el;

	function say(text) {
		message.textContent = text;
	}

	function setBusy(on) {
		busy = on;
		startButton.disabled = on;
		commitButton.disabled = on;
		form.setAttribute("aria-busy", on ? "true" : "false");
	}

	/* A table of {row, field, message} items, at most MAX_ROWS_SHOWN. */
	function issueTable(caption, items, cls) {
		var wrap = el("div", null, "table-wrap");
		var table = el("table", null, "import-issues " + cls);
		var head = el("thead");
		var tr = el("tr");
		var body = el("tbody");

		table.appendChild(el("caption", caption + " (" + items.length + ")"));
		["row", "field", "message"].forEach(function (k) {
			var th = el("th", t(k));

			th.setAttribute("scope", "col");
			tr.appendChild(th);
		});
		head.appendChild(tr);
		table.appendChild(head);
		items.slice(0, MAX_ROWS_SHOWN).forEach(function (e) {
			var r = el("tr");

			r.appendChild(el("td", e.row !== undefined ? e.row : ""));
			r.appendChild(el("td", e.field !== undefined ? e.field : ""));
			r.appendChild(el("td", e.message !== undefined ? e.message : ""));
			body.appendChild(r);
		});
		table.appendChild(body);
		wrap.appendChild(table);
		if (items.length > MAX_ROWS_SHOWN)
			wrap.appendChild(el("p", t("more", {
				n: items.length - MAX_ROWS_SHOWN
			}), "hint"));
		return wrap;
	}

	function showIssues(errors, warnings) {
		if (errors && errors.length)
			result.appendChild(issueTable(t("errors"), errors,
				"import-errors"));
		if (warnings && warnings.length)
			result.appendChild(issueTable(t("warnings"), warnings,
				"import-warnings"));
	}

	function showCounts(r) {
		var dl = el("dl", null, "import-counts");

		["created", "updated", "unchanged"].forEach(function (k) {
			dl.appendChild(el("dt", t(k)));
			dl.appendChild(el("dd", r[k] || 0));
		});
		result.appendChild(dl);
	}

	/* A problem+json reply: its detail and the errors it names. */
	function showProblem(p) {
		say((p && (p.detail || p.title)) || t("failed"));
		if (p && p.errors)
			showIssues(p.errors, []);
	}

	function showResult(job, mode) {
		var r = job.result || {};
		var errors = r.errors || [];
		var counts = {
			created: r.created || 0,
			updated: r.updated || 0,
			unchanged: r.unchanged || 0,
			n: errors.length
		};

		showCounts(r);
		if (mode === "dry-run") {
			if (job.state === "succeeded" && errors.length === 0) {
				say(t("dry_ok", counts));
				checked.clean = true;
				commitButton.hidden = false;
			} else {
				say(t("dry_errors", counts));
			}
		} else if (job.state === "succeeded" && errors.length === 0) {
			say(t("committed", counts));
			slipsLink.hidden = false;
			checked = null;
		} else {
			say(t("commit_failed", counts));
		}
		showIssues(errors, r.warnings || []);
	}

	function readJSON(res) {
		return res.json().catch(function () {
			return {};
		}).then(function (body) {
			return { status: res.status, body: body };
		});
	}

	function poll(id, mode) {
		fetch("/api/v1/jobs/" + encodeURIComponent(id), {
			headers: { "Accept": "application/json" },
			credentials: "same-origin"
		}).then(readJSON).then(function (res) {
			var job = res.body, p;

			if (res.status !== 200) {
				showProblem(job);
				setBusy(false);
				return;
			}
			p = job.progress || {};
			if (job.state === "queued" || job.state === "running") {
				if (p.total > 0) {
					progress.max = p.total;
					progress.value = Math.min(p.done || 0, p.total);
				}
				say(job.state === "queued" ? t("queued") :
					t("running", { done: p.done || 0, total: p.total || 0 }));
				window.setTimeout(function () {
					poll(id, mode);
				}, POLL_MS);
				return;
			}
			progress.max = 1;
			progress.value = 1;
			showResult(job, mode);
			setBusy(false);
		}).catch(function () {
			say(t("network"));
			setBusy(false);
		});
	}

	function start(mode) {
		var fd = new FormData();
		var url = "/api/v1/schools/" + encodeURIComponent(sid) +
			"/imports?kind=" + encodeURIComponent(checked.kind) +
			"&mode=" + mode + (checked.createClasses ? "&create_classes=1" : "");

		setBusy(true);
		box.hidden = false;
		result.textContent = "";
		commitButton.hidden = true;
		slipsLink.hidden = true;
		progress.removeAttribute("value"); /* indeterminate while uploading */
		say(t("uploading"));
		fd.append("file", checked.file, checked.file.name);
		fetch(url, {
			method: "POST",
			body: fd,
			headers: { "X-CSRF-Token": csrf, "Accept": "application/json" },
			credentials: "same-origin"
		}).then(readJSON).then(function (res) {
			if (res.status !== 202 || !res.body.job_id) {
				progress.max = 1;
				progress.value = 0;
				showProblem(res.body);
				setBusy(false);
				return;
			}
			progress.max = 1;
			progress.value = 0;
			say(t("queued"));
			poll(res.body.job_id, mode);
		}).catch(function () {
			say(t("network"));
			setBusy(false);
		});
	}

	form.addEventListener("submit", function (ev) {
		var file = form.elements.file.files[0];
		var mode = form.querySelector('input[name="mode"]:checked');

		ev.preventDefault();
		if (busy)
			return;
		box.hidden = false;
		if (!file) {
			say(t("no_file"));
			return;
		}
		checked = {
			file: file,
			kind: form.elements.kind.value,
			createClasses: form.elements.create_classes.checked,
			clean: false
		};
		start(mode ? mode.value : "dry-run");
	});

	/* A commit runs exactly what the dry run checked. */
	commitButton.addEventListener("click", function () {
		if (!busy && checked && checked.clean)
			start("commit");
	});

	/* Anything changed after the dry run: check again before committing. */
	form.addEventListener("change", function () {
		if (!busy)
			commitButton.hidden = true;
	});

	form.hidden = false;
})();
