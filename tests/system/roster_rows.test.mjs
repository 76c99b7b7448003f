// Row rules of the student import that real school sheets need: two
// classmates of one name must be told apart by a number (never merged),
// a 班级 written with its grade is understood, and adding a student who
// is already in school here is a conflict rather than a silent edit.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, BUILD_DIR } from './harness.mjs';

const PW = 'Demo2026';

async function runImport(c, csv, mode) {
	const r = await c.request('POST', `/api/v1/schools/1/imports?kind=students&mode=${mode}`, {
		body: Buffer.from(csv, 'utf8'),
		headers: { 'Content-Type': 'text/csv' },
	});
	assert.equal(r.status, 202, r.text);
	for (let i = 0; i < 400; i++) {
		const j = await c.get(`/api/v1/jobs/${r.json.job_id}`);
		if (j.json.state === 'succeeded' || j.json.state === 'failed')
			return j.json;
		await new Promise((res) => setTimeout(res, 50));
	}
	throw new Error('import did not finish');
}

test('namesakes, grade-prefixed classes and duplicate adds', async (t) => {
	const server = await startServer({
		command: 'demo',
		init: false,
		set: { plugin_dir: path.join(BUILD_DIR, 'plugins') },
	});
	t.after(() => server.stop());
	const c = server.client();
	assert.equal((await c.login('13800000002', PW)).status, 200);

	const namesakes = '姓名,性别,年级,班级\n王同名,男,一年级,1班\n王同名,女,一年级,1班\n';
	let job = await runImport(c, namesakes, 'commit');
	assert.equal(job.state, 'failed');
	assert.equal(job.result.errors.length, 1);
	assert.equal(job.result.errors[0].row, 3);
	assert.equal(job.result.errors[0].field, '姓名');
	let list = await c.get(`/api/v1/schools/1/students?q=${encodeURIComponent('王同名')}`);
	assert.equal(list.json.items.length, 0, 'a failed commit writes nothing');

	const prefixed = '姓名,性别,年级,班级\n李前缀,女,一年级,一年级2班\n赵括号,男,三年级,三年级(1)班\n';
	job = await runImport(c, prefixed, 'commit');
	assert.equal(job.state, 'succeeded', JSON.stringify(job.result.errors));
	assert.equal(job.result.created, 2);
	list = await c.get(`/api/v1/schools/1/students?q=${encodeURIComponent('李前缀')}`);
	assert.equal(list.json.items[0].class_name, '一年级2班');
	// a grade that disagrees with the class's is still an error
	job = await runImport(c, '姓名,性别,年级,班级\n钱不符,男,二年级,一年级1班\n', 'dry-run');
	assert.equal(job.result.errors.length, 1);
	assert.equal(job.result.errors[0].field, '班级');

	const add = { name: '孙唯一', gender: '男', class_id: 1, id_number: '110105201001010010' };
	const first = await c.post('/api/v1/schools/1/students', add);
	assert.equal(first.status, 201, first.text);
	const again = await c.post('/api/v1/schools/1/students', { ...add, name: '另一人' });
	assert.equal(again.status, 409, again.text);
	assert.equal(again.json.errors[0].field, 'id_number');
	const card = await c.get(`/api/v1/students/${first.json.id}`);
	assert.equal(card.json.name, '孙唯一', 'the existing student was not edited');

	// A parent's name is corrected by the next sheet that names them.
	job = await runImport(c, '姓名,性别,年级,班级,家长1姓名,家长1手机,家长1关系\n李前缀,女,一年级,2班,李爸,13912340001,父亲\n', 'commit');
	assert.equal(job.state, 'succeeded', JSON.stringify(job.result.errors));
	job = await runImport(c, '姓名,性别,年级,班级,家长1姓名,家长1手机,家长1关系\n李前缀,女,一年级,2班,李建国,13912340001,父亲\n', 'commit');
	assert.equal(job.result.updated, 1);
	const lq = await c.get(`/api/v1/schools/1/students?q=${encodeURIComponent('李前缀')}`);
	assert.equal(lq.json.items[0].guardians[0].name, '李建国');

	// The teacher list filters by class: those who teach or head it.
	const byClass = async (id) => (await c.get(`/api/v1/schools/1/teachers?class_id=${id}`))
		.json.items.map((x) => x.name).sort();
	assert.deepEqual(await byClass(2), ['王芳']);
	assert.deepEqual(await byClass(3), ['陈刚']);
	assert.deepEqual(await byClass(1), ['王芳', '陈刚'].sort());
});
