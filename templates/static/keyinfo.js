/*
 * keyinfo.js — the key-information pages (templates/keyinfo/*.html): the
 * review buttons of the queue, a student's edit form, the registry upload
 * of reconciliation and the rule editor (line numbers, dry run,
 * activation, rollback). Each part starts only when its form is on the
 * page. Requests carry the page's CSRF token; every text from the server
 * goes in with textContent, never as HTML. Served from /static (the CSP
 * allows no inline script).
 */
(function () {
	"use strict";

	var MAX_ROWS_SHOWN = 500;

	if (!window.fetch || !window.jx)
		return;

	var t = window.jx.strings("ki-strings");
	var el = window.jx.el;
	var call = window.jx.call;

	function problemText(p) {
		var e = p && p.errors && p.errors[0];

		return (e && e.message) || (p && (p.detail || p.title)) || t("failed");
	}

	/* A message that survives the reload that follows a change. */
	function remember(text) {
		try {
			window.sessionStorage.setItem("ki-message", text);
		} catch (e) { /* private mode: no message after the reload */ }
	}

	function recall(box) {
		var text = null;

		try {
			text = window.sessionStorage.getItem("ki-message");
			window.sessionStorage.removeItem("ki-message");
		} catch (e) { /* nothing remembered */ }
		if (text && box)
			box.textContent = text;
	}

	/* A table: caption, column headings, rows of cell texts; the columns
	 * in codes (indexes) hold numbers that must not break. The box
	 * scrolls sideways on a phone, so it can take the focus. */
	function table(caption, heads, rows, codes) {
		var wrap = el("div", null, "table-wrap");
		var tb = el("table", null, "roster-table");
		var thead = el("thead");
		var tr = el("tr");
		var body = el("tbody");

		tb.appendChild(el("caption", caption, "visually-hidden"));
		heads.forEach(function (h) {
			var th = el("th", h);

			th.setAttribute("scope", "col");
			tr.appendChild(th);
		});
		thead.appendChild(tr);
		tb.appendChild(thead);
		rows.slice(0, MAX_ROWS_SHOWN).forEach(function (cells) {
			var r = el("tr");

			cells.forEach(function (c, i) {
				var cell = el(i === 0 ? "th" : "td", c,
					codes && codes.indexOf(i) >= 0 ? "roster-code" : null);

				if (i === 0)
					cell.setAttribute("scope", "row");
				r.appendChild(cell);
			});
			body.appendChild(r);
		});
		tb.appendChild(body);
		wrap.setAttribute("role", "region");
		wrap.setAttribute("tabindex", "0");
		wrap.setAttribute("aria-label", caption);
		wrap.appendChild(tb);
		if (rows.length > MAX_ROWS_SHOWN)
			wrap.appendChild(el("p", t("more", {
				n: rows.length - MAX_ROWS_SHOWN
			}), "hint"));
		return wrap;
	}

	function fieldLabel(f) {
		var label = t("field." + f);

		return label === "field." + f ? f : label;
	}

	/* ---- the review queue -------------------------------------------- */

	function initChanges() {
		var message = document.getElementById("ki-review-message");
		var first = document.getElementById("ki-first-page");

		if (!message)
			return;
		recall(message);
		if (first && /[?&]cursor=/.test(window.location.search))
			first.hidden = false;

		function review(id, body, form, errorBox, done) {
			var buttons = form.parentNode.querySelectorAll("button");

			Array.prototype.forEach.call(buttons, function (b) {
				b.disabled = true;
			});
			message.textContent = t("reviewing");
			call("POST", "/api/v1/keyinfo/changes/" + encodeURIComponent(id) +
				"/review", body).then(function (res) {
				if (res.status === 200) {
					remember(done);
					window.location.reload();
					return;
				}
				Array.prototype.forEach.call(buttons, function (b) {
					b.disabled = false;
				});
				if (res.status === 422 && errorBox && res.body.errors &&
					res.body.errors.some(function (e) {
						return e.field === "reason";
					})) {
					errorBox.textContent = problemText(res.body);
					message.textContent = "";
					return;
				}
				message.textContent = problemText(res.body);
			}).catch(function () {
				message.textContent = t("network");
				Array.prototype.forEach.call(buttons, function (b) {
					b.disabled = false;
				});
			});
		}

		Array.prototype.forEach.call(document.querySelectorAll("form.ki-approve"),
			function (form) {
				form.addEventListener("submit", function (ev) {
					ev.preventDefault();
					review(form.getAttribute("data-change-id"),
						{ decision: "approve" }, form, null, t("approved"));
				});
			});
		Array.prototype.forEach.call(document.querySelectorAll("form.ki-reject"),
			function (form) {
				form.addEventListener("submit", function (ev) {
					var id = form.getAttribute("data-change-id");
					var input = form.elements.reason;
					var errorBox = document.getElementById("reject-error-" + id);
					var reason = input.value.trim();

					ev.preventDefault();
					errorBox.textContent = "";
					input.removeAttribute("aria-invalid");
					if (reason.length < 2) {
						errorBox.textContent = t("reject_reason");
						input.setAttribute("aria-invalid", "true");
						input.focus();
						return;
					}
					review(id, { decision: "reject", reason: reason }, form,
						errorBox, t("rejected"));
				});
			});
	}

	/* ---- a student's card --------------------------------------------- */

	function initCard() {
		var form = document.getElementById("ki-edit");
		var message = document.getElementById("ki-card-message");

		recall(message);
		if (!form)
			return;
		var sid = form.getAttribute("data-student-id");
		var submitMode = form.getAttribute("data-mode") === "submit";
		var fields = ["national_no", "city_no", "id_number"];

		function clearErrors() {
			fields.forEach(function (f) {
				document.getElementById("ki-error-" + f).textContent = "";
				form.elements[f].removeAttribute("aria-invalid");
			});
		}

		form.addEventListener("submit", function (ev) {
			var body = {};
			var n = 0;
			var button = form.querySelector('button[type="submit"]');

			ev.preventDefault();
			clearErrors();
			fields.forEach(function (f) {
				var input = form.elements[f];
				var v = input.value.trim();

				/* The ID number is never shown whole: empty keeps it. */
				if (f === "id_number" && v === "")
					return;
				if (v !== input.getAttribute("data-initial")) {
					body[f] = v;
					n++;
				}
			});
			if (n === 0) {
				message.textContent = t("no_change");
				return;
			}
			if (form.elements.reason.value.trim() !== "")
				body.reason = form.elements.reason.value.trim();
			button.disabled = true;
			message.textContent = t("saving");
			call("PUT", "/api/v1/students/" + encodeURIComponent(sid) +
				"/keyinfo", body).then(function (res) {
				var first = null;

				button.disabled = false;
				if (res.status === 200 || res.status === 202) {
					remember(res.status === 202 || submitMode ?
						t("submitted") : t("saved"));
					window.location.reload();
					return;
				}
				(res.body.errors || []).forEach(function (e) {
					var box = e.field && document.getElementById("ki-error-" + e.field);

					if (!box)
						return;
					box.textContent = (box.textContent ? box.textContent + " " : "") +
						e.message;
					form.elements[e.field].setAttribute("aria-invalid", "true");
					if (!first)
						first = form.elements[e.field];
				});
				message.textContent = problemText(res.body);
				if (first)
					first.focus();
			}).catch(function () {
				button.disabled = false;
				message.textContent = t("network");
			});
		});
		form.hidden = false;
	}

	/* ---- reconciliation ----------------------------------------------- */

	function initReconcile() {
		var form = document.getElementById("ki-reconcile-form");

		if (!form || !window.FormData)
			return;
		var message = document.getElementById("ki-reconcile-message");
		var report = document.querySelectorAll(".ki-rec");
		var button = document.getElementById("ki-reconcile-start");
		var sid = form.getAttribute("data-school-id");

		function fill(id, heads, rows, codes) {
			var box = document.getElementById(id);
			var caption = document.getElementById(id + "-title");

			box.textContent = "";
			if (rows.length === 0) {
				box.appendChild(el("p", t("none")));
				return;
			}
			box.appendChild(table(caption ? caption.textContent : "", heads, rows,
				codes));
		}

		function show(r) {
			var mp = r.missing_in_platform || [];
			var mr = r.missing_in_registry || [];
			var mm = r.mismatched || [];

			document.getElementById("ki-rec-summary").textContent = t("rec_summary", {
				rows: r.registry_rows || 0,
				matched: r.matched || 0,
				platform: mp.length,
				registry: mr.length,
				mismatched: mm.length
			});
			fill("ki-rec-platform", [t("name"), t("row"), t("national_no_col"),
				t("id_number_col")], mp.map(function (x) {
				return [x.name, x.row, x.national_no, x.id_number];
			}), [2, 3]);
			fill("ki-rec-registry", [t("name"), t("class")], mr.map(function (x) {
				return [x.name, x.class_name];
			}));
			fill("ki-rec-mismatched", [t("name"), t("field"), t("platform"),
				t("registry")], mm.map(function (x) {
				return [x.name, fieldLabel(x.field), x.platform, x.registry];
			}), [2, 3]);
			showReport(true);
		}

		function showReport(on) {
			Array.prototype.forEach.call(report, function (s) {
				s.hidden = !on;
			});
		}

		form.addEventListener("submit", function (ev) {
			var file = form.elements.file.files[0];
			var fd;

			ev.preventDefault();
			if (!file) {
				message.textContent = t("no_file");
				return;
			}
			fd = new window.FormData();
			fd.append("file", file, file.name);
			button.disabled = true;
			showReport(false);
			message.textContent = t("uploading");
			call("POST", "/api/v1/schools/" + encodeURIComponent(sid) +
				"/keyinfo/reconcile", fd).then(function (res) {
				button.disabled = false;
				if (res.status !== 200) {
					message.textContent = problemText(res.body);
					return;
				}
				message.textContent = "";
				show(res.body);
			}).catch(function () {
				button.disabled = false;
				message.textContent = t("network");
			});
		});
		form.hidden = false;
	}

	/* ---- the rule editor ---------------------------------------------- */

	function initRules() {
		var form = document.getElementById("ki-rules-form");

		if (!form)
			return;
		var did = form.getAttribute("data-district-id");
		var base = "/api/v1/districts/" + encodeURIComponent(did) + "/rules";
		var source = document.getElementById("ki-source");
		var gutter = document.getElementById("ki-gutter");
		var error = document.getElementById("ki-source-error");
		var message = document.getElementById("ki-rules-message");
		var result = document.getElementById("ki-dry-result");
		var resultBody = document.getElementById("ki-dry-body");
		var confirmBox = document.getElementById("ki-confirm");
		var confirmText = document.getElementById("ki-confirm-text");
		var historyBody = document.getElementById("ki-history-body");
		var historyEmpty = document.getElementById("ki-history-empty");
		var buttons = form.querySelectorAll("button");
		var errorLine = 0;
		var pending = null; /* the action the confirmation runs */

		function busy(on) {
			Array.prototype.forEach.call(buttons, function (b) {
				b.disabled = on;
			});
			Array.prototype.forEach.call(
				historyBody.querySelectorAll("button"),
				function (b) {
					b.disabled = on;
				});
		}

		/* One number per line of the text; the error's line marked. */
		function numbers() {
			var n = source.value.split("\n").length;
			var frag = document.createDocumentFragment();

			for (var i = 1; i <= n; i++) {
				var s = el("span", i, i === errorLine ? "ki-line ki-line-error" : "ki-line");

				frag.appendChild(s);
			}
			gutter.textContent = "";
			gutter.appendChild(frag);
			gutter.scrollTop = source.scrollTop;
		}

		function clearError() {
			errorLine = 0;
			error.textContent = "";
			source.removeAttribute("aria-invalid");
			numbers();
		}

		/* A 422 about the chunk: its message, and the line it names
		 * (errors[0].row, or "chunk:12:" in the message). */
		function showError(p) {
			var e = (p.errors && p.errors[0]) || {};
			var text = e.message || p.detail || p.title || t("failed");
			var m = /:(\d+):\s*/.exec(text);
			var line = e.row || (m ? Number(m[1]) : 0);

			/* "district 1 rules (tried):3: unfinished string": the
			 * line is said in words, the chunk's name is noise. */
			if (m)
				text = text.slice(m.index + m[0].length);
			errorLine = line;
			error.textContent = line ?
				t("line_error", { line: line, message: text }) :
				t("rules_error", { message: text });
			source.setAttribute("aria-invalid", "true");
			message.textContent = "";
			numbers();
			if (line > 0) {
				var lines = source.value.split("\n");
				var start = 0;

				for (var i = 0; i < line - 1 && i < lines.length; i++)
					start += lines[i].length + 1;
				source.focus();
				source.setSelectionRange(start, start +
					(lines[line - 1] || "").length);
				source.scrollTop = Math.max(0, (line - 3) *
					parseFloat(window.getComputedStyle(source).lineHeight || "20"));
				gutter.scrollTop = source.scrollTop;
			}
		}

		function problemsText(list) {
			return (list || []).filter(function (p) {
				return p.level === "error";
			}).map(function (p) {
				return fieldLabel(p.field) + "：" + p.message;
			}).join("；");
		}

		function showDry(r) {
			var dl = el("dl", null, "ki-totals");

			resultBody.textContent = "";
			[["checked", r.checked], ["failing_before", r.failing_before],
				["failing_after", r.failing_after],
				["newly_failing", r.newly_failing_count !== undefined ?
					r.newly_failing_count : (r.newly_failing || []).length],
				["newly_passing", r.newly_passing_count !== undefined ?
					r.newly_passing_count : (r.newly_passing || []).length]
			].forEach(function (c) {
				var d = el("div");

				d.appendChild(el("dt", t(c[0])));
				d.appendChild(el("dd", c[1] || 0));
				dl.appendChild(d);
			});
			resultBody.appendChild(dl);
			[["newly_failing", r.newly_failing || []],
				["newly_passing", r.newly_passing || []]].forEach(function (l) {
				if (l[1].length === 0)
					return;
				resultBody.appendChild(el("h3", t(l[0])));
				resultBody.appendChild(table(t(l[0]),
					[t("name"), t("school"), t("class"), t("problems")],
					l[1].map(function (s) {
						return [s.name, s.school, s.class_name,
							problemsText(s.problems)];
					})));
			});
			if (!(r.newly_failing || []).length && !(r.newly_passing || []).length)
				resultBody.appendChild(el("p", t("dry_ok_none")));
			result.hidden = false;
		}

		function history() {
			return call("GET", base + "/versions").then(function (res) {
				if (res.status !== 200 || !Array.isArray(res.body))
					return;
				historyBody.textContent = "";
				res.body.forEach(function (v) {
					var tr = el("tr");
					var th = el("th", t("version_n", { v: v.version }));
					var td = el("td");
					var at = String(v.activated_at || "");

					th.setAttribute("scope", "row");
					tr.appendChild(th);
					/* 2026-03-01T08:00:00Z → the local date and time */
					var d = new Date(at);
					tr.appendChild(el("td", isNaN(d.getTime()) ? at :
						d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" +
						pad(d.getDate()) + " " + pad(d.getHours()) + ":" +
						pad(d.getMinutes())));
					if (v.active) {
						td.appendChild(el("strong", t("active")));
					} else {
						var b = el("button", t("rollback_to", { v: v.version }),
							"roster-danger ki-rollback");

						b.type = "button";
						b.setAttribute("data-version", v.version);
						td.appendChild(b);
					}
					tr.appendChild(td);
					historyBody.appendChild(tr);
				});
				historyEmpty.hidden = res.body.length > 0;
				document.getElementById("ki-history-wrap").hidden =
					res.body.length === 0;
			});
		}

		function pad(n) {
			return n < 10 ? "0" + n : String(n);
		}

		function ask(text, action) {
			confirmText.textContent = text;
			pending = action;
			confirmBox.hidden = false;
			document.getElementById("ki-confirm-yes").focus();
		}

		function dryRun() {
			clearError();
			busy(true);
			message.textContent = t("dry_running");
			result.hidden = true;
			call("POST", base + "/dry-run", { source: source.value })
				.then(function (res) {
					busy(false);
					if (res.status === 200) {
						message.textContent = "";
						showDry(res.body);
					} else if (res.status === 422) {
						showError(res.body);
					} else {
						message.textContent = problemText(res.body);
					}
				}).catch(function () {
					busy(false);
					message.textContent = t("network");
				});
		}

		function activate() {
			clearError();
			busy(true);
			message.textContent = t("activating");
			call("PUT", base, { source: source.value }).then(function (res) {
				busy(false);
				if (res.status === 200) {
					/* the message once the history shows the
					 * new version, so both say the same */
					return history().then(function () {
						message.textContent = t("activated",
							{ v: res.body.version });
					});
				}
				if (res.status === 422)
					showError(res.body);
				else
					message.textContent = problemText(res.body);
			}).catch(function () {
				busy(false);
				message.textContent = t("network");
			});
		}

		function rollback(version) {
			clearError();
			busy(true);
			call("POST", base + "/rollback", { version: version })
				.then(function (res) {
					busy(false);
					if (res.status !== 200) {
						message.textContent = problemText(res.body);
						return;
					}
					if (typeof res.body.source === "string") {
						source.value = res.body.source;
						numbers();
					}
					return history().then(function () {
						message.textContent = t("rolled_back",
							{ v: res.body.version });
					});
				}).catch(function () {
					busy(false);
					message.textContent = t("network");
				});
		}

		source.addEventListener("input", function () {
			if (errorLine) {
				errorLine = 0;
				source.removeAttribute("aria-invalid");
			}
			numbers();
		});
		source.addEventListener("scroll", function () {
			gutter.scrollTop = source.scrollTop;
		});
		document.getElementById("ki-dry-run").addEventListener("click", dryRun);
		document.getElementById("ki-activate").addEventListener("click",
			function () {
				ask(t("confirm_activate"), activate);
			});
		document.getElementById("ki-confirm-yes").addEventListener("click",
			function () {
				var action = pending;

				confirmBox.hidden = true;
				pending = null;
				if (action)
					action();
			});
		document.getElementById("ki-confirm-no").addEventListener("click",
			function () {
				confirmBox.hidden = true;
				pending = null;
			});
		historyBody.addEventListener("click", function (ev) {
			var b = ev.target.closest ? ev.target.closest("button.ki-rollback") : null;
			var v;

			if (!b)
				return;
			v = Number(b.getAttribute("data-version"));
			ask(t("confirm_rollback", { v: v }), function () {
				rollback(v);
			});
		});
		numbers();
	}

	initChanges();
	initCard();
	initReconcile();
	initRules();
})();
