// Spreadsheet files for the system and browser tests, in node built-ins
// only: a zip writer (stored entries, CRC-32 in JS) and reader (stored
// and deflated entries, by the central directory), .xlsx workbooks built
// from rows of values the way Excel lays them out (inline or shared
// strings, number cells, sparse rows, merged cells), a Word package for
// the "renamed .docx" case, and a reader of the cells of a workbook's
// first worksheet, with whether each holds a formula.
//
//   const buf = xlsx([['姓名', '性别'], null, ['张三', '男']]);
//   const { rows } = readXlsx(buf);   // rows[0].cells.A.text === '姓名'

import zlib from 'node:zlib';

// ---- CRC-32 (IEEE 802.3), as zip stores it ----

const CRC_TABLE = (() => {
	const t = new Uint32Array(256);
	for (let n = 0; n < 256; n++) {
		let c = n;
		for (let k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
		t[n] = c >>> 0;
	}
	return t;
})();

export function crc32(buf) {
	let c = 0xffffffff;
	for (let i = 0; i < buf.length; i++)
		c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
	return (c ^ 0xffffffff) >>> 0;
}

// ---- zip ----

// A zip of entries [{name, data}] (data: Buffer or string), stored
// uncompressed, or deflated when `deflate` is true.
export function zip(entries, { deflate = false } = {}) {
	const locals = [];
	const centrals = [];
	let offset = 0;
	for (const e of entries) {
		const name = Buffer.from(e.name, 'utf8');
		const raw = Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data, 'utf8');
		const body = deflate ? zlib.deflateRawSync(raw) : raw;
		const crc = crc32(raw);
		const method = deflate ? 8 : 0;
		const local = Buffer.alloc(30);
		local.writeUInt32LE(0x04034b50, 0);
		local.writeUInt16LE(20, 4); // version needed
		local.writeUInt16LE(0x0800, 6); // UTF-8 names
		local.writeUInt16LE(method, 8);
		local.writeUInt16LE(0, 10); // time
		local.writeUInt16LE(0x21, 12); // date: 1980-01-01
		local.writeUInt32LE(crc, 14);
		local.writeUInt32LE(body.length, 18);
		local.writeUInt32LE(raw.length, 22);
		local.writeUInt16LE(name.length, 26);
		local.writeUInt16LE(0, 28);
		locals.push(local, name, body);
		const central = Buffer.alloc(46);
		central.writeUInt32LE(0x02014b50, 0);
		central.writeUInt16LE(20, 4); // made by
		central.writeUInt16LE(20, 6); // needed
		central.writeUInt16LE(0x0800, 8);
		central.writeUInt16LE(method, 10);
		central.writeUInt16LE(0, 12);
		central.writeUInt16LE(0x21, 14);
		central.writeUInt32LE(crc, 16);
		central.writeUInt32LE(body.length, 20);
		central.writeUInt32LE(raw.length, 24);
		central.writeUInt16LE(name.length, 28);
		central.writeUInt32LE(offset, 42);
		centrals.push(central, name);
		offset += 30 + name.length + body.length;
	}
	const cd = Buffer.concat(centrals);
	const end = Buffer.alloc(22);
	end.writeUInt32LE(0x06054b50, 0);
	end.writeUInt16LE(entries.length, 8);
	end.writeUInt16LE(entries.length, 10);
	end.writeUInt32LE(cd.length, 12);
	end.writeUInt32LE(offset, 16);
	return Buffer.concat([...locals, cd, end]);
}

// The entries of a zip as a Map name → Buffer, found through the central
// directory (the sizes in local headers may be zero when a data
// descriptor follows, as libxlsxwriter's minizip writes them).
export function unzip(buf) {
	let eocd = -1;
	for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--)
		if (buf.readUInt32LE(i) === 0x06054b50) {
			eocd = i;
			break;
		}
	if (eocd < 0)
		throw new Error('not a zip: no end of central directory');
	const count = buf.readUInt16LE(eocd + 10);
	let p = buf.readUInt32LE(eocd + 16);
	const out = new Map();
	for (let n = 0; n < count; n++) {
		if (buf.readUInt32LE(p) !== 0x02014b50)
			throw new Error(`bad central directory entry at ${p}`);
		const method = buf.readUInt16LE(p + 10);
		const csize = buf.readUInt32LE(p + 20);
		const nameLen = buf.readUInt16LE(p + 28);
		const extraLen = buf.readUInt16LE(p + 30);
		const commentLen = buf.readUInt16LE(p + 32);
		const local = buf.readUInt32LE(p + 42);
		const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
		const lnameLen = buf.readUInt16LE(local + 26);
		const lextraLen = buf.readUInt16LE(local + 28);
		const start = local + 30 + lnameLen + lextraLen;
		const body = buf.subarray(start, start + csize);
		out.set(name, method === 8 ? zlib.inflateRawSync(body) : Buffer.from(body));
		p += 46 + nameLen + extraLen + commentLen;
	}
	return out;
}

// ---- xlsx ----

export const XLSX_TYPE =
	'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const NS_MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const NS_REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const NS_PKG_REL = 'http://schemas.openxmlformats.org/package/2006/relationships';
const REL_DOC = `${NS_REL}/officeDocument`;

export function xmlEscape(s) {
	return String(s)
		.replace(/&/g, '&amp;')
		.replace(/</g, '&lt;')
		.replace(/>/g, '&gt;')
		.replace(/"/g, '&quot;');
}

// Column letters of a 0-based index: 0 → A, 26 → AA.
export function colName(i) {
	let s = '';
	for (i += 1; i > 0; i = Math.floor((i - 1) / 26))
		s = String.fromCharCode(65 + ((i - 1) % 26)) + s;
	return s;
}

// A workbook whose first sheet holds rows. rows[i] is Excel's row i + 1:
// an array of cells, or null/undefined for a row that is blank (left
// out of the XML, as Excel does). A cell is a string (an inline string,
// or a shared one with sharedStrings: true), a number (a number cell),
// or null/undefined (no cell: sparse rows). merges: ['A1:M1', ...].
export function xlsx(rows, { merges = [], sharedStrings = false, sheetName = 'Sheet1', deflate = true } = {}) {
	const strings = [];
	const stringIndex = new Map();
	const sst = (s) => {
		if (!stringIndex.has(s)) {
			stringIndex.set(s, strings.length);
			strings.push(s);
		}
		return stringIndex.get(s);
	};
	const xmlRows = [];
	rows.forEach((row, i) => {
		if (!row)
			return;
		const r = i + 1;
		const cells = [];
		row.forEach((v, k) => {
			const ref = `${colName(k)}${r}`;
			if (v === null || v === undefined)
				return;
			if (typeof v === 'number')
				cells.push(`<c r="${ref}"><v>${v}</v></c>`);
			else if (sharedStrings)
				cells.push(`<c r="${ref}" t="s"><v>${sst(String(v))}</v></c>`);
			else
				cells.push(`<c r="${ref}" t="inlineStr"><is><t xml:space="preserve">${xmlEscape(v)}</t></is></c>`);
		});
		xmlRows.push(`<row r="${r}">${cells.join('')}</row>`);
	});
	const mergeXml = merges.length
		? `<mergeCells count="${merges.length}">${merges.map((m) => `<mergeCell ref="${m}"/>`).join('')}</mergeCells>`
		: '';
	const sheet = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="${NS_MAIN}" xmlns:r="${NS_REL}"><sheetData>${xmlRows.join('')}</sheetData>${mergeXml}</worksheet>`;
	const entries = [
		{
			name: '[Content_Types].xml',
			data: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>${sharedStrings ? '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>' : ''}</Types>`,
		},
		{
			name: '_rels/.rels',
			data: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="${NS_PKG_REL}"><Relationship Id="rId1" Type="${REL_DOC}" Target="xl/workbook.xml"/></Relationships>`,
		},
		{
			name: 'xl/workbook.xml',
			data: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="${NS_MAIN}" xmlns:r="${NS_REL}"><sheets><sheet name="${xmlEscape(sheetName)}" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		},
		{
			name: 'xl/_rels/workbook.xml.rels',
			data: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="${NS_PKG_REL}"><Relationship Id="rId1" Type="${NS_REL}/worksheet" Target="worksheets/sheet1.xml"/>${sharedStrings ? `<Relationship Id="rId2" Type="${NS_REL}/sharedStrings" Target="sharedStrings.xml"/>` : ''}</Relationships>`,
		},
		{ name: 'xl/worksheets/sheet1.xml', data: sheet },
	];
	if (sharedStrings)
		entries.push({
			name: 'xl/sharedStrings.xml',
			data: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="${NS_MAIN}" count="${strings.length}" uniqueCount="${strings.length}">${strings.map((s) => `<si><t xml:space="preserve">${xmlEscape(s)}</t></si>`).join('')}</sst>`,
		});
	return zip(entries, { deflate });
}

// A minimal Word document: a valid OOXML package whose main part is
// word/document.xml, as a .docx renamed .xlsx arrives.
export function docx(text = '这是一份通知，不是表格') {
	const W = 'http://schemas.openxmlformats.org/wordprocessingml/2006/main';
	return zip([
		{
			name: '[Content_Types].xml',
			data: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`,
		},
		{
			name: '_rels/.rels',
			data: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="${NS_PKG_REL}"><Relationship Id="rId1" Type="${REL_DOC}" Target="word/document.xml"/></Relationships>`,
		},
		{
			name: 'word/document.xml',
			data: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="${W}"><w:body><w:p><w:r><w:t>${xmlEscape(text)}</w:t></w:r></w:p></w:body></w:document>`,
		},
	], { deflate: true });
}

// ---- reading a workbook back ----

function xmlUnescape(s) {
	return s
		.replace(/&lt;/g, '<')
		.replace(/&gt;/g, '>')
		.replace(/&quot;/g, '"')
		.replace(/&apos;/g, "'")
		.replace(/&#x([0-9a-fA-F]+);/g, (m, h) => String.fromCodePoint(parseInt(h, 16)))
		.replace(/&#(\d+);/g, (m, d) => String.fromCodePoint(Number(d)))
		.replace(/&amp;/g, '&');
}

// The text of every <t> in a fragment (rich-text runs joined).
function texts(xml) {
	let out = '';
	for (const m of xml.matchAll(/<(?:\w+:)?t(?:\s[^>]*)?>([\s\S]*?)<\/(?:\w+:)?t>/g))
		out += xmlUnescape(m[1]);
	return out;
}

// Resolves a relationship target against the folder of its source part.
function resolve(base, target) {
	if (target.startsWith('/'))
		return target.slice(1);
	const parts = base ? base.split('/') : [];
	for (const seg of target.split('/')) {
		if (seg === '..')
			parts.pop();
		else if (seg !== '.')
			parts.push(seg);
	}
	return parts.join('/');
}

// The first worksheet of an .xlsx: {entries, sheetXml, rows}, where rows
// are [{r, cells: {A: {text, type, formula, xml}}}] in sheet order; a
// shared string's text is looked up, a number's is its <v>.
export function readXlsx(buf) {
	const entries = unzip(buf);
	const get = (name) => {
		const b = entries.get(name);
		if (!b)
			throw new Error(`the xlsx has no ${name}: ${[...entries.keys()].join(', ')}`);
		return b.toString('utf8');
	};
	const rootRels = get('_rels/.rels');
	const wbTarget = /Target="([^"]+)"[^>]*Type="[^"]*officeDocument"|Type="[^"]*officeDocument"[^>]*Target="([^"]+)"/.exec(rootRels);
	const wbPath = resolve('', wbTarget[1] ?? wbTarget[2]);
	const wbDir = wbPath.includes('/') ? wbPath.slice(0, wbPath.lastIndexOf('/')) : '';
	const wb = get(wbPath);
	const wbRels = get(`${wbDir ? `${wbDir}/` : ''}_rels/${wbPath.slice(wbDir.length ? wbDir.length + 1 : 0)}.rels`);
	const rels = new Map();
	let sstPath = null;
	for (const m of wbRels.matchAll(/<Relationship\b([^>]*)\/?>/g)) {
		const attr = (n) => new RegExp(`\\b${n}="([^"]*)"`).exec(m[1])?.[1];
		rels.set(attr('Id'), resolve(wbDir, attr('Target')));
		if (/sharedStrings$/.test(attr('Type') ?? ''))
			sstPath = resolve(wbDir, attr('Target'));
	}
	const firstSheet = /<(?:\w+:)?sheet\b[^>]*\br:id="([^"]+)"/.exec(wb);
	const sheetPath = rels.get(firstSheet[1]);
	const shared = [];
	if (sstPath && entries.has(sstPath))
		for (const m of get(sstPath).matchAll(/<si>([\s\S]*?)<\/si>/g))
			shared.push(texts(m[1]));
	const sheetXml = get(sheetPath);
	const rows = [];
	for (const m of sheetXml.matchAll(/<row\b([^>]*?)(?:\/>|>([\s\S]*?)<\/row>)/g)) {
		const r = Number(/\br="(\d+)"/.exec(m[1])?.[1]);
		const cells = {};
		for (const c of (m[2] ?? '').matchAll(/<c\b([^>]*?)(?:\/>|>([\s\S]*?)<\/c>)/g)) {
			const ref = /\br="([A-Z]+)\d+"/.exec(c[1])?.[1];
			const type = /\bt="([^"]+)"/.exec(c[1])?.[1] ?? 'n';
			const inner = c[2] ?? '';
			const v = /<v>([\s\S]*?)<\/v>/.exec(inner)?.[1];
			let text;
			if (type === 's')
				text = shared[Number(v)];
			else if (type === 'inlineStr')
				text = texts(inner);
			else
				text = v === undefined ? '' : xmlUnescape(v);
			cells[ref] = { text, type, formula: /<f[\s>/]/.test(inner), xml: c[0] };
		}
		rows.push({ r, cells });
	}
	return { entries, sheetXml, rows };
}

// The rows of readXlsx as arrays of texts keyed by the header row's
// texts (the first row): [{姓名: '张三', ...}].
export function xlsxRecords(buf) {
	const { rows } = readXlsx(buf);
	if (rows.length === 0)
		return [];
	const header = rows[0].cells;
	const cols = Object.keys(header);
	return rows.slice(1).map((row) => {
		const o = { _row: row.r };
		for (const c of cols)
			o[header[c].text] = row.cells[c]?.text ?? '';
		return o;
	});
}
