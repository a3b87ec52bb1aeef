// The core never waits (issue 25, outcome 1; architecture rule 1): no `async fn`, no async
// block, no `.await`, no `Future` (the trait, BoxFuture / LocalBoxFuture and the like), no
// futures crate, and no dyn seam held behind a shared pointer (`Rc<dyn …>`, `Arc<dyn …>`) in
// the core module tree. The core is every .rs file under src/ except the drivers (DRIVERS
// below), which do the waiting for one host each. Comments, doc comments, string literals and
// `#[cfg(test)]` items (test modules, test-only impls) are not counted, nor are `pub use`
// re-exports (a core module keeps the public path of a seam its driver file defines).
//
// The core waits nowhere: the allow-list, scripts/core-sans-io-allowed.json (file → count per
// kind), is empty, and may only stay so or shrink back to it after a deliberate exception: a
// file over its count fails, so does a core file not in the list that has any, and so does a
// file whose count went down until the list is lowered to it (that keeps the ratchet tight).
//
// A driver file inside a core module (a `host.rs` beside the module that re-exports its seam,
// say) holds only what a driver waits on or holds: the seam's trait, the host objects and their
// builder, a thin loop running the module's machine over them. Each is listed in DRIVERS with
// what it holds, so a new one is a reviewed line here.
//
// `node scripts/check-core-sans-io.mjs`            checks, prints what is left per file
// `node scripts/check-core-sans-io.mjs --write`    lowers the allow-list to today's counts
//                                                  (refuses to raise any count)
// `… --write --allow-raise`                        rewrites it whatever the direction: only
//                                                  after a deliberate change (a rename that
//                                                  moves counts between kinds, say)
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const ALLOWED_PATH = join(root, 'scripts', 'core-sans-io-allowed.json');

/**
 * The drivers: the only places that may wait. `dir/**` is a whole tree, anything else one file.
 * They need not exist yet. A file moved here leaves the core (and the allow-list).
 */
export const DRIVERS = [
  'src/drive/**', // the async Rust driver: runs the core's steps over Transport, Runtime, stores
  // The seams the Rust driver waits on, each in a `host.rs` beside the module that re-exports it
  // (the core never calls them: it returns steps).
  'src/runtime/host.rs', // Runtime (clock, sleep), the boxed future types, within
  'src/transport/host.rs', // Transport
  'src/request/host.rs', // Caller
  'src/request/page/host.rs', // Paginator (a page plan and the caller it goes through)
  'src/token/host.rs', // TokenStore (and its async impls), the token driver's client handle
  'src/client/host.rs', // the host objects a Client drives with, and ClientBuilder
  'src/token/memory.rs', // MemoryStore: a host store like the Durable Object, Deno KV and Redis ones
  'src/config/host.rs', // AssertionProvider (keyless), the handle a Config keeps to it
  'src/card/stream/host.rs', // ChunkSource (a streamed card's text)
  'src/crypto/host.rs', // Crypto (the host's primitives), the installed default, RustCrypto's impl
  'src/webhook/crypto/host.rs', // the formulas run over a Crypto (event_signature, decrypt, encrypt…)
  'src/webhook/parse/host.rs', // parse: Parsing run over a Crypto
  'src/webhook/dispatch/host.rs', // Dispatcher's host objects and builder; handlers, reports, queues
  'src/webhook/dedupe/host.rs', // Dedupe's store, clock and logger

  'src/js/**', // the wasm driver (wasm-bindgen, fetch, host crypto, JS stores)
  'src/native/**', // the native drivers (tokio)
  'src/transport/reqwest.rs', // the native HTTP transport
  'src/webhook/http.rs', // the native webhook entry (`http` types)
];

/** What waiting looks like, by kind (on code with comments, strings and test items blanked). */
export const KINDS = [
  ['async fn', /\basync\s+(?:unsafe\s+)?fn\b/g],
  ['async block', /\basync\s+(?:move\s*)?\{|\basync\s+move\b/g],
  ['.await', /\.await\b/g],
  ['Future', /\b[A-Za-z_]*Future[A-Za-z0-9_]*\b/g],
  ['futures crate', /\bfutures(?:_util|_core|_channel|_executor|_lite)?::/g],
  ['dyn seam', /\b(?:Rc|Arc)\s*<\s*dyn\b/g],
];

/** The fix, by kind, for the failure message. */
const WAIT_FIX = 'the core never waits: return a step (what to send, store or wait for) and let a driver wait (src/js/, or a path in DRIVERS in scripts/check-core-sans-io.mjs)';
const FIX = {
  'async fn': WAIT_FIX,
  'async block': WAIT_FIX,
  '.await': WAIT_FIX,
  Future: WAIT_FIX,
  'futures crate': WAIT_FIX,
  'dyn seam': 'a seam the core holds is a step, a generic or a borrowed &dyn, not an Rc/Arc<dyn …>: the driver owns the host objects',
};

const isDriver = (file) => DRIVERS.some((d) => (d.endsWith('/**') ? file.startsWith(d.slice(0, -2)) : file === d));

/**
 * Rust source with comments (doc comments too), string and char literals replaced by spaces,
 * newlines kept, so offsets and line numbers stay those of the file.
 */
export function blankCommentsAndStrings(src) {
  const out = src.split('');
  const blank = (from, to) => {
    for (let k = from; k < to && k < out.length; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === '/' && src[i + 1] === '/') {
      let end = src.indexOf('\n', i);
      if (end < 0) end = src.length;
      blank(i, end);
      i = end;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') { // nested, as Rust's are
      let depth = 1, j = i + 2;
      while (j < src.length && depth > 0) {
        if (src[j] === '/' && src[j + 1] === '*') { depth++; j += 2; }
        else if (src[j] === '*' && src[j + 1] === '/') { depth--; j += 2; }
        else j++;
      }
      blank(i, j);
      i = j;
      continue;
    }
    // Raw strings: r"…", r#"…"#, br#"…"# (not part of an identifier).
    const raw = (c === 'r' || c === 'b') && !/[A-Za-z0-9_]/.test(src[i - 1] ?? '') && /^b?r(#*)"/.exec(src.slice(i, i + 260));
    if (raw) {
      const close = `"${raw[1]}`;
      let end = src.indexOf(close, i + raw[0].length);
      end = end < 0 ? src.length : end + close.length;
      blank(i, end);
      i = end;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      blank(i, j + 1);
      i = j + 1;
      continue;
    }
    if (c === "'") {
      // A char literal ('x', '\n', '\u{1F600}', b'x'), not a lifetime ('a, 'static).
      const ch = /^'(?:\\(?:u\{[0-9A-Fa-f]+\}|x[0-9A-Fa-f]{2}|.)|[^\\'\n])'/u.exec(src.slice(i, i + 16));
      if (ch) {
        blank(i, i + ch[0].length);
        i += ch[0].length;
        continue;
      }
    }
    i++;
  }
  return out.join('');
}

/**
 * Blanks every item under `#[cfg(test)]` (or `#[cfg(all(test, …))]`): through the matching
 * `}` of its body, or its `;` when it has none. Takes code whose comments and strings are
 * already blanked.
 */
export function blankTestItems(code) {
  const out = code.split('');
  const re = /#\s*\[\s*cfg\s*\(\s*(?:test|all\s*\(\s*test\b[^\]]*\))\s*\)\s*\]/g;
  for (let m; (m = re.exec(code));) {
    let j = m.index + m[0].length, depth = 0, end = code.length;
    for (; j < code.length; j++) {
      const c = code[j];
      if (c === '(' || c === '[') depth++;
      else if (c === ')' || c === ']') depth--;
      else if (depth === 0 && c === ';') { end = j + 1; break; }
      else if (depth === 0 && c === '{') {
        let braces = 0;
        for (; j < code.length; j++) {
          if (code[j] === '{') braces++;
          else if (code[j] === '}' && --braces === 0) break;
        }
        end = j + 1;
        break;
      }
    }
    for (let k = m.index; k < end && k < out.length; k++) if (out[k] !== '\n') out[k] = ' ';
    re.lastIndex = Math.max(re.lastIndex, end);
  }
  return out.join('');
}

/**
 * Blanks `pub use …;` re-exports (newlines kept): a core module may keep a public path to a seam
 * its module's driver file defines (`pub use host::Runtime;`); naming it there is not waiting.
 * Any other use of the seam in the core is still counted.
 */
export function blankReexports(code) {
  return code.replace(/\bpub(?:\([^)]*\))?\s+use\s[^;]*;/g, (m) => m.replace(/[^\n]/g, ' '));
}

/** `{ kind: [line, …] }` for one Rust source: where it waits. */
export function waits(src) {
  const code = blankReexports(blankTestItems(blankCommentsAndStrings(src)));
  const lineAt = (offset) => code.slice(0, offset).split('\n').length;
  const found = {};
  for (const [kind, re] of KINDS) {
    const lines = [...code.matchAll(re)].map((m) => lineAt(m.index));
    if (lines.length) found[kind] = lines;
  }
  return found;
}

/** The core's .rs files, relative to the repository root, sorted. */
export function coreFiles(dir = join(root, 'src')) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...coreFiles(path));
    else if (name.endsWith('.rs')) out.push(relative(root, path));
  }
  return out.filter((f) => !isDriver(f)).sort();
}

const sum = (counts) => Object.values(counts).reduce((a, b) => a + b, 0);
const describe = (counts) => KINDS.map(([k]) => k).filter((k) => counts[k]).map((k) => `${k} ${counts[k]}`).join(', ');

if (import.meta.url === `file://${process.argv[1]}`) {
  const write = process.argv.includes('--write');
  const allowRaise = process.argv.includes('--allow-raise');
  const failures = [];
  let passed = 0, failed = 0;

  // The scanner itself: comments, doc comments, strings, lifetimes and test items.
  const probe = waits([
    '/// async fn in a doc comment, x.await',
    '//! LocalBoxFuture',
    "fn a<'a>(x: &'a str) -> LocalBoxFuture<'a, ()> { let c = '\"'; let s = \"async { .await }\"; let r = r#\"Rc<dyn X>\"#; Box::pin(async move { f().await }) }",
    '/* Arc<dyn /* nested */ Y> */ pub seam: Arc<dyn Y>,',
    '#[cfg(test)]',
    'mod tests { async fn t() { x.await } }',
    '#[cfg(test)]',
    'struct Clock(u64);',
    'async fn real() { futures_util::FutureExt::now_or_never(f) }',
  ].join('\n'));
  const expected = { 'async fn': [9], 'async block': [3], '.await': [3], Future: [3, 9], 'futures crate': [9], 'dyn seam': [4] };
  if (JSON.stringify(probe) !== JSON.stringify(expected)) failures.push(`the scanner is broken: ${JSON.stringify(probe)}`);

  if (failures.length) failed++;

  let allowed = existsSync(ALLOWED_PATH) ? JSON.parse(readFileSync(ALLOWED_PATH, 'utf8')) : {};
  const files = coreFiles();
  const today = {}; // file → { kind: count }, files with any
  const found = {}; // file → { kind: [line…] }
  for (const file of files) {
    found[file] = waits(readFileSync(join(root, file), 'utf8'));
    const counts = Object.fromEntries(Object.entries(found[file]).map(([k, v]) => [k, v.length]));
    if (sum(counts)) today[file] = counts;
  }

  if (write) {
    // Lower only: a count that went up stays in the list as it was (and fails below) unless --allow-raise.
    const next = {};
    const raised = [];
    for (const file of Object.keys(today)) {
      const counts = {};
      for (const [kind] of KINDS) {
        const now = today[file][kind] ?? 0, max = allowed[file]?.[kind] ?? 0;
        if (now > max && !allowRaise) raised.push(`${file}: ${kind} ${max} → ${now}`);
        const keep = allowRaise ? now : Math.min(now, max);
        if (keep) counts[kind] = keep;
      }
      if (sum(counts)) next[file] = counts;
    }
    writeFileSync(ALLOWED_PATH, `${JSON.stringify(next, null, 2)}\n`);
    console.log(`wrote ${relative(root, ALLOWED_PATH)}: ${Object.values(next).reduce((a, c) => a + sum(c), 0)} waits allowed in ${Object.keys(next).length} files`);
    if (raised.length) {
      console.log(`not raised (the allow-list only shrinks; after a deliberate change, rerun with --write --allow-raise):\n  ${raised.join('\n  ')}`);
    }
    allowed = next;
  }

  for (const file of files) {
    const counts = today[file] ?? {};
    const allow = allowed[file] ?? {};
    const problems = [];
    for (const [kind] of KINDS) {
      const now = counts[kind] ?? 0, max = allow[kind] ?? 0;
      if (now > max) {
        problems.push(allowed[file]
          ? `${file}: ${now} ${kind}, over the ${max} allowed (lines ${found[file][kind].join(', ')}; one of them is new): ${FIX[kind]}`
          : `${file}: ${now} ${kind} (lines ${found[file][kind].join(', ')}), and this core file is not in the allow-list: ${FIX[kind]}`);
      } else if (now < max) {
        problems.push(`${file}: ${now} ${kind}, fewer than the ${max} allowed (good): lower the allow-list with node scripts/check-core-sans-io.mjs --write`);
      }
    }
    if (problems.length) { failed++; failures.push(...problems); } else passed++;
  }
  for (const file of Object.keys(allowed)) {
    if (!files.includes(file)) {
      failed++;
      failures.push(`${file}: in scripts/core-sans-io-allowed.json but not a core file (gone, or now a driver): lower the allow-list with node scripts/check-core-sans-io.mjs --write`);
    }
  }

  // What is left to remove, per file, then in all.
  for (const file of Object.keys(today)) {
    console.log(`${String(sum(today[file])).padStart(4)} ${file} (${describe(today[file])})`);
  }
  const totals = {};
  for (const counts of Object.values(today)) for (const [k, n] of Object.entries(counts)) totals[k] = (totals[k] ?? 0) + n;
  console.log(`${sum(totals)} waits left in the core, in ${Object.keys(today).length} of its ${files.length} files (${describe(totals)}); drivers: ${DRIVERS.join(', ')}`);
  for (const f of failures) console.log(`not ok - ${f}`);
  console.log(`core-sans-io: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
