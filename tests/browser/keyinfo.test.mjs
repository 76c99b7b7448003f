// Browser test of the key-information pages (templates/keyinfo/*.html,
// /static/keyinfo.js) on the demo district:
//
// - the district admin edits the rules on /keyinfo/rules, tries them
//   (the result table names the student they would newly fail), turns
//   them on (the new version is in the history), a syntax error marks
//   its line in the editor's gutter, and the history rolls back;
// - the school admin reads the progress bars, rejects a parent's change
//   in the review queue (a reason is required) and approves the next
//   one, corrects a student's card
//   (a refused value is reported next to its field), reveals an ID number
//   with a reason and reconciles against a registry sheet;
// - the parent, on a phone, reads the rejection reason on /keyinfo/mine
//   and sends a new change; later sees it approved.
//
// Every page is checked with axe on a phone and a desktop, the phone
// never scrolls sideways, and no page logs a console or CSP error.
// Screenshots go to build/screenshots/.
import test from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../system/harness.mjs';
import {
	SETTINGS, DISTRICT_ADMIN, SCHOOL_ADMIN, ZHANG, idNumber, masked, login, studentsByName,
} from '../system/keyinfo_lib.mjs';
import {
	withBrowser, checkPage, visit, loginPage,
} from './harness.mjs';

const ID_LI = idNumber('43010420190612002');
const REJECT_REASON = '市网学籍号与学籍卡上的不一致，请核对后重新提交';

// A refused request the page made on purpose shows in the console as a
// failed resource; that one (and only that one) is expected.
function expectRefused(page, status, urlPart) {
	const i = page.jxErrors.findIndex((e) =>
		e.includes(`status of ${status}`) && e.includes(urlPart));
	assert.ok(i >= 0, `a ${status} from ${urlPart} in ${JSON.stringify(page.jxErrors)}`);
	page.jxErrors.splice(i, 1);
}

const text = (page, sel) => page.textContent(sel).then((s) => s.replace(/\s+/g, ' '));

// The history's rows as "version|state" strings.
const historyRows = (page) => page.$$eval('#ki-history-body tr',
	(rows) => rows.map((r) => [...r.children].map((c) => c.textContent.trim()).join('|')));

async function rulesPage(server, mobile, activate) {
	const page = await loginPage(server, DISTRICT_ADMIN, mobile);
	await visit(page, `${server.url}/keyinfo/rules`);
	await page.waitForSelector('#ki-gutter .ki-line');
	await checkPage(page, mobile, 'keyinfo-rules');
	const before = await historyRows(page);

	// A tighter 市网学籍号: 李思涵's "12345" no longer passes.
	await page.fill('#ki-source', '-- 市网学籍号: 43 开头\ncity_no_pattern = "^43%d+$"\ncity_no_form = "43 开头的数字"\n');
	assert.equal(await page.locator('#ki-gutter .ki-line').count(), 4, 'a number per line');
	await page.click('#ki-dry-run');
	await page.waitForSelector('#ki-dry-result:not([hidden]) table');
	const result = await text(page, '#ki-dry-result');
	assert.match(result, /李思涵/, `the dry run names the newly failing student: ${result}`);
	assert.match(result, /岳麓区第一实验小学/);
	await checkPage(page, mobile, 'keyinfo-rules-dry-run');

	if (activate) {
		// Activation asks first; cancelling does nothing.
		await page.click('#ki-activate');
		await page.waitForSelector('#ki-confirm:not([hidden])');
		await page.click('#ki-confirm-no');
		assert.ok(await page.locator('#ki-confirm').isHidden());
		assert.deepEqual(await historyRows(page), before);

		await page.click('#ki-activate');
		await page.waitForSelector('#ki-confirm:not([hidden])');
		await checkPage(page, mobile, 'keyinfo-rules-confirm');
		await page.click('#ki-confirm-yes');
		await page.waitForFunction(() => /已启用第 \d+ 版/.test(
			document.getElementById('ki-rules-message').textContent));
		const version = Number(/第 (\d+) 版/.exec(await text(page, '#ki-rules-message'))[1]);
		await page.waitForFunction((v) => [...document.querySelectorAll('#ki-history-body tr')]
			.some((r) => r.textContent.includes(`第 ${v} 版`) && r.textContent.includes('正在使用')), version);
		const after = await historyRows(page);
		assert.equal(after.length, before.length + 1, `one more version: ${after.join(' / ')}`);
		assert.match(after[0], new RegExp(`^第 ${version} 版\\|.+\\|正在使用$`));
		assert.ok(after.slice(1).every((r) => !r.endsWith('正在使用')), 'one version in use');

		// After a reload the editor holds the active chunk.
		await visit(page, `${server.url}/keyinfo/rules`);
		assert.match(await page.inputValue('#ki-source'), /\^43%d\+\$/);
		assert.match(await text(page, 'main .lead'), new RegExp(`第 ${version} 版`));
	}

	// A syntax error: the message names line 3, which the gutter marks.
	await page.fill('#ki-source', 'city_no_form = "43 开头的数字"\n\ncity_no_pattern = "^43%d+$\nx = 1\n');
	await page.click('#ki-dry-run');
	await page.waitForFunction(() => document.getElementById('ki-source-error').textContent !== '');
	assert.match(await text(page, '#ki-source-error'), /^第 3 行有错误：unfinished string/);
	expectRefused(page, 422, '/rules/dry-run');
	assert.equal(await page.getAttribute('#ki-source', 'aria-invalid'), 'true');
	assert.deepEqual(await page.$$eval('#ki-gutter .ki-line-error', (l) => l.map((e) => e.textContent)), ['3']);
	assert.ok(await page.locator('#ki-dry-result').isHidden(), 'no result for a broken chunk');
	await checkPage(page, mobile, 'keyinfo-rules-error');
	// Typing clears the mark.
	await page.fill('#ki-source', 'city_no_pattern = "^43%d+$"\n');
	assert.equal(await page.locator('#ki-gutter .ki-line-error').count(), 0);

	if (activate) {
		// A second version, then back to the first from the history.
		await page.click('#ki-activate');
		await page.click('#ki-confirm-yes');
		await page.waitForFunction(() => /已启用第 \d+ 版/.test(
			document.getElementById('ki-rules-message').textContent));
		const rows = await historyRows(page);
		const [newer, older] = rows.map((r) => Number(/第 (\d+) 版/.exec(r)[1]));
		assert.ok(rows[0].endsWith('正在使用') && newer === older + 1, rows.join(' / '));
		await page.click(`#ki-history-body button[data-version="${older}"]`);
		await page.waitForSelector('#ki-confirm:not([hidden])');
		assert.match(await text(page, '#ki-confirm-text'), new RegExp(`第 ${older} 版`));
		await page.click('#ki-confirm-yes');
		await page.waitForFunction((v) => document.getElementById('ki-rules-message')
			.textContent.includes(`已恢复为第 ${v} 版`), older);
		await page.waitForFunction(() => document.querySelector('#ki-history-body tr:nth-child(2)')
			?.textContent.includes('正在使用'));
		assert.match(await page.inputValue('#ki-source'), /city_no_form/, 'the editor holds the restored chunk');
		await checkPage(page, mobile, 'keyinfo-rules-rollback');
	}

	// The district's progress: a bar per school.
	await visit(page, `${server.url}/keyinfo`);
	assert.equal(await page.locator('main .ki-rows progress').count(), 2, 'a bar per school');
	assert.match(await text(page, 'main'), /岳麓区第二中学/);
	await checkPage(page, mobile, 'keyinfo-district');
	await page.close();
}

async function schoolPages(server, mobile, ids, first) {
	const page = await loginPage(server, SCHOOL_ADMIN, mobile);

	// Progress: the totals' bar and one per class, the lists to download.
	await visit(page, `${server.url}/keyinfo`);
	assert.equal(await page.locator('main .ki-rows progress').count(), 3, 'a bar per class');
	assert.match(await text(page, 'main'), /一年级1班/);
	assert.ok(await page.locator('a[href$="/keyinfo/incomplete.xlsx?class_id=1"]').count() === 1);
	assert.match(await text(page, 'main'), /1 人待审核/);
	// 李思涵 is complete once her 市网学籍号 is corrected (first run).
	assert.match(await text(page, '.ki-row:has-text("一年级1班")'),
		first ? /已完成 0 \/ 3 人/ : /已完成 1 \/ 3 人（33%）/);
	await checkPage(page, mobile, 'keyinfo-progress');

	// The review queue: 张伟's change to 张一鸣's 市网学籍号.
	await visit(page, `${server.url}/keyinfo/changes`);
	await checkPage(page, mobile, 'keyinfo-changes');
	if (first) {
		const item = page.locator('.ki-change', { hasText: '张一鸣' });
		assert.equal(await item.count(), 1, 'the pending change is listed');
		assert.equal(await item.locator('ins').textContent(), '4301040099');
		assert.match(await item.textContent(), /原来未填写/);
		assert.match(await item.textContent(), /张伟 于 \d{4}-\d\d-\d\d \d\d:\d\d 提交/);
		// A rejection needs a reason.
		await item.locator('form.ki-reject button').click();
		await page.waitForFunction(() => document.querySelector('.ki-reject .field-error').textContent !== '');
		assert.match(await item.locator('.ki-reject .field-error').textContent(), /原因/);
		assert.deepEqual(page.jxErrors, [], 'checked before sending');
		assert.equal(await item.locator('.ki-reject input').getAttribute('aria-invalid'), 'true');
		await checkPage(page, mobile, 'keyinfo-changes-reason');
		await item.locator('.ki-reject input').fill(REJECT_REASON);
		await Promise.all([
			page.waitForNavigation({ waitUntil: 'load' }),
			item.locator('form.ki-reject button').click(),
		]);
		assert.match(await text(page, '#ki-review-message'), /已驳回/);
		assert.match(await text(page, 'main'), /没有待审核的修改/);
		await visit(page, `${server.url}/keyinfo/changes?status=rejected`);
		assert.match(await text(page, 'main'), new RegExp(REJECT_REASON));
		assert.equal(await page.getAttribute('.ki-tabs a[aria-current="page"]', 'href'),
			'/keyinfo/changes?status=rejected');
		await checkPage(page, mobile, 'keyinfo-changes-rejected');
	} else {
		// 张伟's second try is right: approve it.
		const item = page.locator('.ki-change', { hasText: '张一鸣' });
		assert.equal(await item.locator('ins').textContent(), '4301040100');
		await Promise.all([
			page.waitForNavigation({ waitUntil: 'load' }),
			item.locator('form.ki-approve button').click(),
		]);
		assert.match(await text(page, '#ki-review-message'), /已通过/);
		assert.match(await text(page, 'main'), /没有待审核的修改/);
		await checkPage(page, mobile, 'keyinfo-changes-approved');
	}

	// A student's card: 李思涵's 市网学籍号 fails the district's rules.
	await visit(page, `${server.url}/students/${ids['李思涵']}/keyinfo`);
	assert.equal(await page.inputValue('#ki-input-city_no'), first ? '12345' : '4301040001');
	await checkPage(page, mobile, 'keyinfo-card-admin');
	if (first) {
		assert.match(await text(page, '.ki-problems'), /市网学籍号/);
		// A value the rules refuse: the error is next to the field.
		await page.fill('#ki-input-city_no', '999');
		await page.click('#ki-edit button[type="submit"]');
		await page.waitForFunction(() => document.getElementById('ki-error-city_no').textContent !== '');
		assert.equal(await page.getAttribute('#ki-input-city_no', 'aria-invalid'), 'true');
		assert.match(await text(page, '#ki-error-city_no'), /\S/);
		expectRefused(page, 422, '/keyinfo');
		await checkPage(page, mobile, 'keyinfo-card-error');
		await page.fill('#ki-input-city_no', '4301040001');
		await Promise.all([
			page.waitForNavigation({ waitUntil: 'load' }),
			page.click('#ki-edit button[type="submit"]'),
		]);
		assert.match(await text(page, '#ki-card-message'), /已保存/);
		assert.equal(await page.inputValue('#ki-input-city_no'), '4301040001');
		assert.equal(await page.locator('.ki-problems li', { hasText: '市网学籍号' }).count(), 0);
	}
	// The ID number is masked; revealing asks a reason.
	assert.equal((await text(page, '#ki-field-id_number .ki-value')).trim(), masked(ID_LI));
	await page.fill('#ki-reveal-reason', '核对学籍卡');
	await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		page.click('form[action$="/keyinfo"] button[type="submit"]'),
	]);
	assert.equal((await text(page, '#ki-field-id_number .ki-value')).trim(), ID_LI);
	await checkPage(page, mobile, 'keyinfo-card-revealed');

	// Reconciliation against the registry's sheet.
	await visit(page, `${server.url}/keyinfo/reconcile`);
	await checkPage(page, mobile, 'keyinfo-reconcile');
	await page.setInputFiles('#ki-reconcile-file', {
		name: 'registry.csv',
		mimeType: 'text/csv',
		buffer: Buffer.from('姓名,全国学籍号,市网学籍号,身份证号\n' +
			'张一鸣,G430104201905010011,4301049999,\n' +
			'无此人,G430104201901010000,,\n', 'utf8'),
	});
	await page.click('#ki-reconcile-start');
	await page.waitForSelector('#ki-rec-mismatched table');
	assert.match(await text(page, '#ki-rec-platform'), /无此人/);
	assert.match(await text(page, '#ki-rec-registry'), /李思涵/);
	assert.match(await text(page, '#ki-rec-mismatched'), /张一鸣.*市网学籍号.*4301049999/);
	assert.match(await text(page, '#ki-rec-summary'), /名单共 2 行，对上 1 人/);
	await checkPage(page, mobile, 'keyinfo-reconcile-report');
	await page.close();
}

async function parentPage(server, mobile, first) {
	const page = await loginPage(server, ZHANG, mobile);
	await visit(page, `${server.url}/keyinfo/mine`);
	assert.match(page.url(), /\/students\/\d+\/keyinfo$/);
	if (first) {
		assert.match(await text(page, '#ki-field-city_no'), new RegExp(REJECT_REASON));
		assert.match(await text(page, '#ki-field-city_no .ki-badge'), /已驳回/);
	} else {
		// The school approved the second try.
		assert.match(await text(page, '#ki-field-city_no .ki-badge'), /已确认/);
		assert.equal((await text(page, '#ki-field-city_no .ki-value')).trim(), '4301040100');
		assert.doesNotMatch(await text(page, '#ki-field-city_no'), new RegExp(REJECT_REASON));
	}
	assert.equal(await page.locator('#ki-reveal-reason').count(), 0, 'parents cannot reveal');
	await checkPage(page, mobile, 'keyinfo-mine');
	if (first) {
		// A refused ID number: the error is next to it, nothing is sent.
		await page.fill('#ki-input-id_number', '430104201905010012');
		await page.click('#ki-edit button[type="submit"]');
		await page.waitForFunction(() => document.getElementById('ki-error-id_number').textContent !== '');
		expectRefused(page, 422, '/keyinfo');
		await checkPage(page, mobile, 'keyinfo-mine-error');
		await page.fill('#ki-input-id_number', '');
		await page.fill('#ki-input-city_no', '4301040100');
		await Promise.all([
			page.waitForNavigation({ waitUntil: 'load' }),
			page.click('#ki-edit button[type="submit"]'),
		]);
		assert.match(await text(page, '#ki-card-message'), /已提交，等待学校审核/);
		assert.match(await text(page, '#ki-field-city_no .ki-badge'), /待审核/);
		assert.match(await text(page, '#ki-field-city_no'), /4301040100/);
		await checkPage(page, mobile, 'keyinfo-mine-submitted');
	}
	await page.close();
}

test('key-information pages on a phone and a desktop', async (t) => {
	const server = await startServer({ command: 'demo', init: false, set: SETTINGS });
	t.after(() => server.stop());

	// Through the API: 李思涵 gets a 市网学籍号 the default rules accept
	// but "^43%d+$" will not, and an ID number; 张伟 asks to fill in
	// 张一鸣's 市网学籍号.
	const admin = await login(server, SCHOOL_ADMIN);
	const ids = {};
	for (const [name, s] of Object.entries(await studentsByName(admin, 1)))
		ids[name] = s.id;
	let r = await admin.put(`/api/v1/students/${ids['李思涵']}/keyinfo`, { city_no: '12345', id_number: ID_LI, national_no: `G${ID_LI}` });
	assert.equal(r.status, 200, r.text);
	const parent = await login(server, ZHANG);
	r = await parent.put(`/api/v1/students/${ids['张一鸣']}/keyinfo`, { city_no: '4301040099', reason: '补填' });
	assert.equal(r.status, 202, r.text);

	await withBrowser(async () => {
		// The phone tries the rules first: once they are on, the same
		// chunk newly fails no one.
		await rulesPage(server, true, false);
		await rulesPage(server, false, true);
		await schoolPages(server, false, ids, true);
		await parentPage(server, true, true);
		await schoolPages(server, true, ids, false);
		await parentPage(server, false, false);
	});
});
