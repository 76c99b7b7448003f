// Helpers of the resources tests (system and browser): a small real PDF
// that poppler renders (a red band and a line of text on a 300×400 pt
// page), written by hand with its cross-reference table, a PNG of any
// size (files.test.mjs draws its own pixels), and an upload
// through the file service.

import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { crc32 } from './xlsx.mjs';

export function makePdf(text = 'Fractions') {
	const content = `0.8 0.1 0.1 rg 20 300 260 80 re f 0 0 0 rg BT /F1 28 Tf 30 200 Td (${text}) Tj ET\n`;
	const objects = [
		'<< /Type /Catalog /Pages 2 0 R >>',
		'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
		'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 400] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
		`<< /Length ${content.length} >>\nstream\n${content}endstream`,
		'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
	];
	let out = '%PDF-1.4\n';
	const offsets = [];
	objects.forEach((o, i) => {
		offsets.push(out.length);
		out += `${i + 1} 0 obj\n${o}\nendobj\n`;
	});
	const xref = out.length;
	out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
	for (const off of offsets)
		out += `${String(off).padStart(10, '0')} 00000 n \n`;
	out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
	return Buffer.from(out, 'latin1');
}

export function multipart(name, data, type = 'application/octet-stream') {
	const b = `----jx${crypto.randomBytes(8).toString('hex')}`;
	const body = Buffer.concat([
		Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: ${type}\r\n\r\n`, 'utf8'),
		data,
		Buffer.from(`\r\n--${b}--\r\n`, 'utf8'),
	]);
	return { body, headers: { 'Content-Type': `multipart/form-data; boundary=${b}` } };
}

// POST /api/v1/files as the client c: the reply.
export function upload(c, name, data) {
	return c.request('POST', '/api/v1/files', multipart(name, data));
}

// A PNG of w×h pixels, in node built-ins: pixel(x, y) gives each one's
// [r, g, b] (by default a colour ramp).
export function makePng(w, h, pixel = (x, y) => [x % 256, y % 256, 128]) {
	const chunk = (type, data) => {
		const len = Buffer.alloc(4);
		len.writeUInt32BE(data.length);
		const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
		const crc = Buffer.alloc(4);
		crc.writeUInt32BE(crc32(td) >>> 0);
		return Buffer.concat([len, td, crc]);
	};
	const ihdr = Buffer.alloc(13);
	ihdr.writeUInt32BE(w, 0);
	ihdr.writeUInt32BE(h, 4);
	ihdr[8] = 8;
	ihdr[9] = 2;
	const rows = [];
	for (let y = 0; y < h; y++) {
		const row = Buffer.alloc(1 + 3 * w);
		for (let x = 0; x < w; x++)
			row.set(pixel(x, y), 1 + 3 * x);
		rows.push(row);
	}
	return Buffer.concat([
		Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
		chunk('IHDR', ihdr),
		chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))),
		chunk('IEND', Buffer.alloc(0)),
	]);
}
