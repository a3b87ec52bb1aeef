// The package's hand-written JS decides nothing (issue 25): its string literals carry no protocol
// names — no Open API paths, no platform header names, no event types, no environment-variable
// names. Those come from the core or from generated data (catalog-data.js, generated/). Scans
// every .js under pkg-template/ except generated files (generated/, or a first line saying
// "Generated … do not edit") and the test kit (testing/). Today's remaining violations are the
// ALLOWED list below, which may only shrink: a new literal fails, and so does an allowed one
// that is gone (remove it from the list).
//
// `node scripts/check-js-literals.mjs` prints each file's violations and exits 1 on a failure.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const template = join(root, 'pkg-template');
const SKIP_DIRS = new Set(['generated', 'testing']);

/** What a protocol literal looks like, by kind. */
const RULES = [
  ['path', /\/open-apis\/|\b[a-z][a-z_]*\/v\d+\//g],
  ['header', /\b(?:x-lark-[a-z-]+|x-tt-[a-z-]+|x-ogw-[a-z-]+|x-request-id)\b/gi],
  ['env', /\b(?:FEISHU|LARK)_[A-Z][A-Z0-9_]*\b/g],
  ['event', /\b[a-z_]+(?:\.[a-z_]+)+_v\d+\b|\b(?:url_verification|card\.action\.trigger|event_callback)\b/g],
];

/**
 * Today's violations, `file: ['kind literal', …]` (one entry per occurrence). Only removals
 * are welcome here: move the decision into the core (or generated data) and delete the line.
 */
const ALLOWED = {
  // The CLI (`feishu-edge dev`, `feishu-edge emulator`): its usage text names the variables it
  // reads, and the bridge routes card callbacks by their event type.
  'bin/dev.js': ['env FEISHU_APP_ID', 'env FEISHU_APP_SECRET', 'env FEISHU_BASE_URL', 'env FEISHU_REGION', 'env FEISHU_ENCRYPT_KEY', 'env FEISHU_VERIFICATION_TOKEN', 'event card.action.trigger', 'env FEISHU_APP_ID', 'env FEISHU_APP_SECRET', 'env FEISHU_BASE_URL', 'event card.action.trigger', 'event card.action.trigger'],
  'bin/emulator.js': ['env FEISHU_APP_ID', 'env FEISHU_APP_SECRET', 'env FEISHU_BASE_URL'],
  'official.js': ['event url_verification'],
  'stores.js': ['env FEISHU_STATE'],
};

/** The string literals of a JS source ('…', "…", `…` whole), comments and regex literals skipped. */
export function stringLiterals(src) {
  const out = [];
  let i = 0;
  let prev = ''; // the last significant character, to tell a regex from a division
  while (i < src.length) {
    const c = src[i];
    if (c === '/' && src[i + 1] === '/') {
      i = src.indexOf('\n', i);
      if (i < 0) break;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      i = end < 0 ? src.length : end + 2;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1;
      out.push(src.slice(i + 1, j));
      i = j + 1;
      prev = c;
      continue;
    }
    if (c === '/' && (prev === '' || '(,=:[!&|?{};+-*%<>~^'.includes(prev) || /\b(?:return|typeof|case|of|in)$/.test(src.slice(Math.max(0, i - 8), i).trimEnd()))) {
      let j = i + 1;
      let inClass = false;
      while (j < src.length && src[j] !== '\n' && (inClass || src[j] !== '/')) {
        if (src[j] === '\\') j++;
        else if (src[j] === '[') inClass = true;
        else if (src[j] === ']') inClass = false;
        j++;
      }
      i = j + 1;
      prev = '/';
      continue;
    }
    if (!/\s/.test(c)) prev = c;
    i++;
  }
  return out;
}

/** `kind literal` for each protocol literal in a source. */
export function violations(src) {
  const found = [];
  for (const literal of stringLiterals(src)) {
    for (const [kind, re] of RULES) {
      for (const m of literal.matchAll(re)) found.push(`${kind} ${m[0]}`);
    }
  }
  return found;
}

function files(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (!SKIP_DIRS.has(name)) out.push(...files(path));
    } else if (/\.(m?js|cjs)$/.test(name)) out.push(path);
  }
  return out;
}

const isGenerated = (src) => /^\/\/ Generated .*do not edit/i.test(src.split('\n', 1)[0]);

if (import.meta.url === `file://${process.argv[1]}`) {
  const failures = [];
  // The scanner itself: literals found, comments and regexes skipped.
  const probe = violations("const a = /['\"]/; // 'im/v1/x'\nconst p = `drive/v1/${x}`, h = { 'X-Tt-Logid': 1 }, e = 'FEISHU_APP_ID';");
  if (JSON.stringify(probe) !== JSON.stringify(['path drive/v1/', 'header X-Tt-Logid', 'env FEISHU_APP_ID'])) failures.push(`the scanner is broken: ${JSON.stringify(probe)}`);
  const seen = new Set();
  for (const path of files(template)) {
    const src = readFileSync(path, 'utf8');
    if (isGenerated(src)) continue;
    const file = relative(template, path);
    seen.add(file);
    const allowed = [...(ALLOWED[file] ?? [])];
    for (const v of violations(src)) {
      const at = allowed.indexOf(v);
      if (at >= 0) allowed.splice(at, 1);
      else failures.push(`${file}: ${v} (a protocol literal in hand-written JS: take it from the core or generated data)`);
    }
    for (const gone of allowed) failures.push(`${file}: ${gone} is allowed but no longer there: remove it from ALLOWED in scripts/check-js-literals.mjs`);
  }
  for (const file of Object.keys(ALLOWED)) if (!seen.has(file)) failures.push(`${file}: in ALLOWED but not a hand-written file: remove it`);
  const total = Object.values(ALLOWED).flat().length;
  for (const f of failures) console.log(`not ok - ${f}`);
  console.log(`js-literals: ${failures.length ? 0 : 1} passed, ${failures.length ? 1 : 0} failed (${total} allowed literals left in ${Object.keys(ALLOWED).length} files)`);
  process.exit(failures.length ? 1 : 0);
}
