// layering.mjs OBJECTS — the host's files call one way (README, "Layout").
// From the host's object files (nm: the global symbols each defines and
// the ones it uses) builds the file-level call graph and fails on any
// group of files that call each other in a loop, except the known pairs
// inside one layer listed below. Before thread.c and reply.c, ten files
// (http.c, orgsvc.c, org.c, jobs.c, notify.c, ...) were one such loop.
import { execFileSync } from 'node:child_process';
import { basename } from 'node:path';

// Loops that stay, each inside one layer: storage (a commit writes the
// audit checkpoint), the Lua sandbox and templates, the dispatcher and its static-file
// handler, and endpoints beside the services of the same file.
const allowed = [
  ['audit.c', 'db.c', 'migrate.c'],
  ['lua.c', 'luaguard.c', 'luasandbox.c', 'render.c'],
  ['http.c', 'static.c'],
  ['org.c', 'rules.c'],
  ['account.c', 'recovery.c'],
].map((g) => g.sort().join(' '));

const objects = process.argv.slice(2).flatMap((a) => a.split(';')).filter(Boolean);
if (objects.length < 10) {
  console.error('usage: layering.mjs OBJECT...');
  process.exit(2);
}

const defs = new Map(); // symbol -> file
const uses = new Map(); // file -> [symbols]
for (const o of objects) {
  const file = basename(o).replace(/\.o(bj)?$/, '');
  const out = execFileSync('nm', ['-g', o], { encoding: 'utf8' });
  const u = [];
  for (const line of out.split('\n')) {
    const m = line.trim().match(/^(?:[0-9a-f]+\s+)?([A-Za-z])\s+(\S+)$/);
    if (!m) continue;
    if (m[1] === 'U') u.push(m[2]);
    // Functions and tables (jx_host_table). `app`, the state fixed
    // after start-up, is defined in cli.c and read everywhere: no call.
    else if ('TDRB'.includes(m[1]) && m[2] !== 'app') defs.set(m[2], file);
  }
  uses.set(file, u);
}

const graph = new Map();
for (const [file, u] of uses) {
  const to = new Set();
  for (const s of u) {
    const d = defs.get(s);
    if (d && d !== file) to.add(d);
  }
  graph.set(file, to);
}

// Tarjan's strongly connected components.
let index = 0;
const idx = new Map(), low = new Map(), stack = [], on = new Set(), sccs = [];
function visit(v) {
  idx.set(v, index); low.set(v, index); index++;
  stack.push(v); on.add(v);
  for (const w of graph.get(v)) {
    if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v), low.get(w))); }
    else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const c = [];
    let w;
    do { w = stack.pop(); on.delete(w); c.push(w); } while (w !== v);
    sccs.push(c);
  }
}
for (const v of graph.keys()) if (!idx.has(v)) visit(v);

let bad = 0;
for (const c of sccs) {
  if (c.length < 2) continue;
  const key = c.sort().join(' ');
  if (allowed.includes(key)) continue;
  bad++;
  console.error(`these host files call each other in a loop: ${key}`);
  for (const f of c) {
    const back = [...graph.get(f)].filter((t) => c.includes(t));
    console.error(`  ${f} -> ${back.join(', ')}`);
  }
}
if (![...graph.keys()].includes('thread.c')) {
  console.error('no thread.c among the objects');
  bad++;
}
console.log(`${graph.size} files, ${bad} loop(s) not allowed`);
process.exit(bad ? 1 : 0);
