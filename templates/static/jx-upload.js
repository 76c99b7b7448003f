/*
 * jx-upload.js — uploads with a progress bar (issue 12): progressive
 * enhancement of a file input inside a form marked data-jx-upload.
 *
 *   <form method="post" action="..." data-jx-upload>
 *     <label for="photos">照片和附件</label>
 *     <input id="photos" type="file" name="file" multiple
 *            accept="image/*,application/pdf,.doc,.docx">
 *     ...
 *   </form>
 *   <script src="/static/jx.js" defer></script>
 *   <script src="/static/jx-upload.js" defer></script>
 *
 * Without JavaScript the form posts the files itself. With it, each file
 * chosen is sent on its own to POST /api/v1/files (multipart field
 * "file", the page's CSRF token in X-CSRF-Token), one after another, with
 * a <progress class="jx-progress"> per file; when it is stored, the
 * file's thumbnail (or its name) takes the bar's place and a hidden input
 * file_ids=<id> joins the form, which then posts the ids, never the bytes
 * again. A refused file (413 too large, 415 type not allowed, 507 the
 * school's storage full) says so in Chinese; the other files go on.
 *
 * Options, as attributes of the form: data-jx-upload="NAME" names the
 * hidden inputs (default file_ids); data-jx-upload-url another endpoint.
 * On the input: data-max-bytes refuses a larger file before sending it.
 * Texts: zh-CN built in; a page in another language gives its own in a
 * hidden list <ul id="jx-upload-strings" hidden><li data-key="...">.
 * Events on the form: "jx-upload:done" (detail: the 201 reply) and
 * "jx-upload:removed" (detail: {id}). A form submitted while a file is
 * still being sent waits: the submit is stopped with a message.
 *
 * Every text from the server or the file name is put in with textContent.
 */
(() => {
	"use strict";

	const TEXTS = {
		"upload.progress": "{name} 上传进度",
		"upload.waiting": "等待上传",
		"upload.sending": "正在上传…",
		"upload.done": "已上传",
		"upload.remove": "移除",
		"upload.remove_named": "移除 {name}",
		"upload.413": "{name} 太大，超过了允许上传的大小。",
		"upload.415": "{name} 的文件类型不能上传。可以上传照片、PDF、Word、Excel、PowerPoint 文档、音频和视频。",
		"upload.507": "学校的存储空间已满，{name} 没有上传。请联系学校管理员。",
		"upload.403": "没有上传文件的权限，请重新登录后再试。",
		"upload.failed": "{name} 上传失败，请重试。",
		"upload.network": "网络中断，{name} 没有传完，请重试。",
		"upload.busy": "文件还在上传，请等上传完成后再提交。",
	};

	/* The page's texts over the built-in ones, {name} filled in. */
	function texts() {
		const own = {};

		document.querySelectorAll("#jx-upload-strings [data-key]").forEach((li) => {
			own[li.getAttribute("data-key")] = li.textContent;
		});
		return (key, params = {}) => {
			const s = own[key] ?? TEXTS[key] ?? key;

			return s.replace(/\{(\w+)\}/g, (m, k) =>
				params[k] !== undefined ? String(params[k]) : m);
		};
	}

	function csrfToken() {
		if (window.jx && typeof window.jx.csrf === "string")
			return window.jx.csrf;
		const meta = document.querySelector('meta[name="csrf-token"]');

		return meta ? meta.getAttribute("content") : "";
	}

	function el(tag, cls, text) {
		const e = document.createElement(tag);

		if (cls)
			e.className = cls;
		if (text !== undefined)
			e.textContent = text;
		return e;
	}

	/* What a refused upload says: ours for the statuses users meet,
	 * else the problem's own title, else a plain failure. */
	function refusal(t, status, problem, name) {
		if ([403, 413, 415, 507].includes(status))
			return t(`upload.${status}`, { name });
		if (status === 0)
			return t("upload.network", { name });
		if (problem && typeof problem.title === "string" && problem.title !== "")
			return `${t("upload.failed", { name })} (${problem.title})`;
		return t("upload.failed", { name });
	}

	function enhance(form) {
		const input = form.querySelector('input[type="file"]');

		if (!input || form.jxUpload)
			return;
		const t = texts();
		const field = form.getAttribute("data-jx-upload") || "file_ids";
		const url = form.getAttribute("data-jx-upload-url") || "/api/v1/files";
		const maxBytes = Number(input.getAttribute("data-max-bytes")) || 0;
		const list = el("ul", "jx-upload-list");
		const notice = el("p", "error jx-upload-notice");
		const queue = [];
		let active = null;

		form.jxUpload = true;
		/* The files go one by one to url; the form posts their ids. */
		input.removeAttribute("name");
		list.setAttribute("aria-live", "polite");
		notice.setAttribute("role", "alert");
		notice.hidden = true;
		input.insertAdjacentElement("afterend", list);
		list.insertAdjacentElement("afterend", notice);

		function finish(item) {
			if (active === item)
				active = null;
			next();
		}

		function fail(item, message) {
			item.bar.remove();
			item.status.textContent = message;
			item.status.className = "error jx-upload-status";
			item.li.classList.add("jx-upload-failed");
			item.status.setAttribute("role", "alert");
		}

		function done(item, reply) {
			const thumb = reply.variants && reply.variants.thumb;
			const hidden = document.createElement("input");

			hidden.type = "hidden";
			hidden.name = field;
			hidden.value = String(reply.id);
			item.id = reply.id;
			item.bar.remove();
			item.status.textContent = t("upload.done", { name: item.name });
			if (typeof thumb === "string" && thumb.startsWith("/")) {
				const img = el("img", "jx-upload-thumb");

				img.src = thumb;
				img.alt = item.name;
				img.width = 64;
				img.height = 64;
				item.li.insertBefore(img, item.li.firstChild);
			}
			item.li.classList.add("jx-upload-done");
			item.li.appendChild(hidden);
			form.dispatchEvent(new CustomEvent("jx-upload:done", { detail: reply }));
		}

		function send(item) {
			const xhr = new XMLHttpRequest();
			const body = new FormData();

			active = item;
			item.xhr = xhr;
			item.status.textContent = t("upload.sending", { name: item.name });
			body.append("file", item.file, item.name);
			xhr.open("POST", url);
			xhr.setRequestHeader("X-CSRF-Token", csrfToken());
			xhr.setRequestHeader("Accept", "application/json");
			xhr.upload.addEventListener("progress", (e) => {
				if (!e.lengthComputable || e.total === 0)
					return;
				const percent = Math.min(99, Math.floor(e.loaded * 100 / e.total));

				/* The bar alone: a live region read out at every
				 * percent would drown the screen reader. */
				item.bar.value = percent;
			});
			xhr.addEventListener("load", () => {
				let reply;

				try {
					reply = JSON.parse(xhr.responseText);
				} catch (e) {
					reply = null;
				}
				if (xhr.status === 201 && reply && reply.id !== undefined) {
					item.bar.value = 100;
					done(item, reply);
				} else {
					fail(item, refusal(t, xhr.status, reply, item.name));
				}
				finish(item);
			});
			for (const ev of ["error", "timeout"])
				xhr.addEventListener(ev, () => {
					fail(item, refusal(t, 0, null, item.name));
					finish(item);
				});
			xhr.send(body);
		}

		function next() {
			if (active !== null)
				return;
			const item = queue.shift();

			if (item === undefined) {
				form.removeAttribute("aria-busy");
				notice.hidden = true;
				return;
			}
			form.setAttribute("aria-busy", "true");
			send(item);
		}

		function remove(item) {
			const i = queue.indexOf(item);

			if (i >= 0)
				queue.splice(i, 1);
			if (active === item) {
				item.xhr.abort();
				finish(item);
			}
			item.li.remove();
			if (item.id !== undefined)
				form.dispatchEvent(new CustomEvent("jx-upload:removed", {
					detail: { id: item.id },
				}));
			input.focus();
		}

		function add(file) {
			const name = file.name || "file";
			const item = { file, name, li: el("li", "jx-upload-item") };
			const text = el("div", "jx-upload-text");
			const button = el("button", "jx-upload-remove", t("upload.remove"));

			item.bar = el("progress", "jx-progress");
			item.bar.max = 100;
			item.bar.value = 0;
			item.bar.setAttribute("aria-label", t("upload.progress", { name }));
			item.status = el("span", "jx-upload-status", t("upload.waiting", { name }));
			button.type = "button";
			button.setAttribute("aria-label", t("upload.remove_named", { name }));
			button.addEventListener("click", () => remove(item));
			text.append(el("span", "jx-upload-name", name), item.status);
			item.li.append(text, button, item.bar);
			list.appendChild(item.li);
			if (maxBytes > 0 && file.size > maxBytes)
				fail(item, t("upload.413", { name }));
			else
				queue.push(item);
		}

		input.addEventListener("change", () => {
			Array.from(input.files || []).forEach(add);
			/* Chosen again, the same file is sent again. */
			input.value = "";
			next();
		});
		form.addEventListener("submit", (e) => {
			if (active === null && queue.length === 0)
				return;
			e.preventDefault();
			notice.textContent = t("upload.busy");
			notice.hidden = false;
		});
	}

	if (!window.XMLHttpRequest || !window.FormData)
		return;
	document.querySelectorAll("form[data-jx-upload]").forEach(enhance);
	window.jxUpload = { enhance };
})();
