// Reads the pinned official Node SDK (@larksuiteoapi/node-sdk, the exact devDependency) as a
// source of facts and writes:
//   catalog/schema.json              every method (HTTP method, path, kinds, path / query / body /
//                                    response shapes) and every event's payload shape: names,
//                                    types, enums, required flags, structure; no prose
//   catalog/open-api-endpoints.tsv   the endpoint table, derived from the schema
// Then run scripts/gen-catalog.mjs, which generates the JS table, the types and the Rust
// constants from both. `npm run refresh-schema` does the two; `--check` fails when stale.
//
// Facts come from two files of the package: its type declarations (types/index.d.ts: payload
// and response shapes, event handler shapes) and its implementation (lib/index.js: HTTP
// method, URL, multipart uploads, binary replies). Both are parsed with the TypeScript
// compiler's parser, nothing is evaluated.
import ts from 'typescript';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';

const root = new URL('..', import.meta.url);
const read = (p) => readFileSync(new URL(p, root), 'utf8');
const check = process.argv.includes('--check');
const SDK = '@larksuiteoapi/node-sdk';
const pinned = JSON.parse(read('package.json')).devDependencies[SDK];
const installed = JSON.parse(read(`node_modules/${SDK}/package.json`)).version;
if (pinned !== installed) throw new Error(`${SDK} ${installed} is installed but package.json pins ${pinned}: run npm install`);
const nameOf = (n) => (n && (ts.isIdentifier(n) || ts.isStringLiteral(n)) ? n.text : null);

// ---- Shapes: interned, structurally deduplicated. A shape is "s" | "n" | "b" | "a" (any) |
// "f" (a file's bytes: the source's Buffer / stream),
// ["e", ...literals] (an enum), ["l", shape] (a list), or an object { field: shape,
// "optional?": shape }. Objects are stored once in `shapes` and referenced by index.
const shapes = [];
const shapeIds = new Map();
function intern(obj) {
  const key = JSON.stringify(obj);
  let id = shapeIds.get(key);
  if (id === undefined) {
    id = shapes.length;
    shapes.push(obj);
    shapeIds.set(key, id);
  }
  return id;
}

function shapeOf(node) {
  if (!node) return 'a';
  switch (node.kind) {
    case ts.SyntaxKind.StringKeyword: return 's';
    case ts.SyntaxKind.NumberKeyword: return 'n';
    case ts.SyntaxKind.BooleanKeyword: return 'b';
    case ts.SyntaxKind.AnyKeyword: case ts.SyntaxKind.UnknownKeyword: return 'a';
    default: break;
  }
  if (ts.isParenthesizedTypeNode(node)) return shapeOf(node.type);
  if (ts.isLiteralTypeNode(node)) {
    const l = node.literal;
    if (ts.isStringLiteral(l)) return ['e', l.text];
    if (ts.isNumericLiteral(l)) return ['e', Number(l.text)];
    if (l.kind === ts.SyntaxKind.TrueKeyword || l.kind === ts.SyntaxKind.FalseKeyword) return 'b';
    return 'a';
  }
  if (ts.isArrayTypeNode(node)) return ['l', shapeOf(node.elementType)];
  if (ts.isTypeReferenceNode(node) && /^(Buffer|(fs\.)?ReadStream|Readable)$/.test(node.typeName.getText(dts))) return 'f';
  if (ts.isTypeReferenceNode(node) && nameOf(node.typeName) === 'Array' && node.typeArguments?.length === 1) return ['l', shapeOf(node.typeArguments[0])];
  if (ts.isUnionTypeNode(node)) {
    const parts = node.types.filter((t) => t.kind !== ts.SyntaxKind.UndefinedKeyword && !(ts.isLiteralTypeNode(t) && t.literal.kind === ts.SyntaxKind.NullKeyword));
    if (parts.length === 1) return shapeOf(parts[0]);
    const each = parts.map(shapeOf);
    if (each.every((s) => s === 'f')) return 'f';
    if (each.every((s) => Array.isArray(s) && s[0] === 'e')) return ['e', ...new Set(each.flatMap((s) => s.slice(1)))];
    if (each.every((s) => s === 'b')) return 'b';
    return 'a';
  }
  if (ts.isTypeLiteralNode(node)) {
    const obj = {};
    for (const m of node.members) {
      const n = nameOf(m.name);
      if (!n || !ts.isPropertySignature(m)) continue;
      obj[m.questionToken ? `${n}?` : n] = shapeOf(m.type);
    }
    return intern(obj);
  }
  return 'a';
}

/** A type literal, or the one type literal of a union with `undefined` / `null`. */
function literalOf(node) {
  if (node && ts.isParenthesizedTypeNode(node)) return literalOf(node.type);
  if (node && ts.isUnionTypeNode(node)) {
    const literals = node.types.filter(ts.isTypeLiteralNode);
    return literals.length === 1 ? literals[0] : null;
  }
  return node && ts.isTypeLiteralNode(node) ? node : null;
}

/** The members of a payload type literal, by name: { data, params, path }. */
function payloadParts(fn) {
  const param = literalOf(fn.parameters[0]?.type);
  const out = {};
  if (param && ts.isTypeLiteralNode(param)) {
    for (const m of param.members) {
      const n = nameOf(m.name);
      if (n) out[n] = { node: m.type, optional: !!m.questionToken };
    }
  }
  return out;
}

/** The `data` of `Promise<{ code, msg, data }>`, or null when the reply is not an envelope. */
function responseData(fn) {
  const ret = fn.type;
  if (!ret || !ts.isTypeReferenceNode(ret) || nameOf(ret.typeName) !== 'Promise') return { binary: false, data: null };
  const inner = literalOf(ret.typeArguments?.[0]);
  if (!inner) return { binary: false, data: null };
  const members = Object.fromEntries(inner.members.map((m) => [nameOf(m.name), m]));
  // Downloads resolve to `{ writeFile, getReadableStream, … }`; a few uploads to their data,
  // unwrapped from the envelope.
  if ('writeFile' in members || 'getReadableStream' in members) return { binary: true, data: null };
  if (!('code' in members)) return { binary: false, data: inner };
  return { binary: false, data: members.data?.type ?? null };
}

// ---- The declarations: namespaces → vN → resource → method, and the event handler map.
const dtsText = read(`node_modules/${SDK}/types/index.d.ts`);
const dts = ts.createSourceFile('index.d.ts', dtsText, ts.ScriptTarget.Latest, true);
const declared = new Map();
const events = new Map();
for (const st of dts.statements) {
  if (ts.isClassDeclaration(st) && /^Client\$/.test(st.name?.text ?? '')) {
    for (const ns of st.members) {
      if (!ts.isPropertyDeclaration(ns) || !ns.type || !ts.isTypeLiteralNode(ns.type)) continue;
      for (const v of ns.type.members) {
        if (!/^v\d+$/.test(nameOf(v.name) ?? '') || !v.type || !ts.isTypeLiteralNode(v.type)) continue;
        for (const res of v.type.members) {
          if (!res.type || !ts.isTypeLiteralNode(res.type)) continue;
          for (const fn of res.type.members) {
            if (fn.type && ts.isFunctionTypeNode(fn.type)) declared.set([nameOf(ns.name), nameOf(v.name), nameOf(res.name), nameOf(fn.name)].join('.'), fn.type);
          }
        }
      }
    }
  }
}
// Event handlers: `"im.message.receive_v1"?: (data: {...}) => ...` members of one interface.
function collectEvents(node) {
  if (ts.isPropertySignature(node) && ts.isStringLiteral(node.name) && /^[a-z_0-9]+(\.[a-z_0-9]+)+$/.test(node.name.text) && node.type && ts.isFunctionTypeNode(node.type)) {
    const data = node.type.parameters[0]?.type;
    if (data && !events.has(node.name.text)) events.set(node.name.text, shapeOf(data));
    return;
  }
  ts.forEachChild(node, collectEvents);
}
collectEvents(dts);

// ---- The implementation: `this.ns = { vN: { resource: { fn: …request({ url, method, headers, responseType }) } } }`.
const jsText = read(`node_modules/${SDK}/lib/index.js`);
const js = ts.createSourceFile('index.js', jsText, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
const implemented = new Map();
(function visit(node) {
  if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'request' && node.arguments[0] && ts.isObjectLiteralExpression(node.arguments[0])) {
    const props = Object.fromEntries(node.arguments[0].properties.filter(ts.isPropertyAssignment).map((p) => [nameOf(p.name), p.initializer]));
    let url = props.url;
    if (url && ts.isCallExpression(url)) url = url.arguments[0];
    const path = url && ts.isTemplateExpression(url) ? url.templateSpans.map((s) => s.literal.text).join('') : url && ts.isNoSubstitutionTemplateLiteral(url) ? url.text : null;
    if (path && props.method && ts.isStringLiteral(props.method)) {
      const chain = [];
      for (let p = node.parent; p; p = p.parent) {
        if (ts.isPropertyAssignment(p)) chain.unshift(nameOf(p.name));
        if (ts.isBinaryExpression(p) && ts.isPropertyAccessExpression(p.left) && p.left.expression.kind === ts.SyntaxKind.ThisKeyword) { chain.unshift(p.left.name.text); break; }
      }
      implemented.set(chain.join('.'), {
        method: props.method.text,
        path: path.replace(/^\/open-apis\//, '').replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}'),
        multipart: !!props.headers && props.headers.getText(js).includes('multipart/form-data'),
        binary: !!props.responseType && props.responseType.getText(js).includes('stream'),
      });
    }
  }
  ts.forEachChild(node, visit);
})(js);

// ---- Methods: every declared method with an implementation; `…WithIterator` marks paging.
const methods = {};
for (const [name, fn] of [...declared].sort(([a], [b]) => (a < b ? -1 : 1))) {
  if (name.endsWith('WithIterator')) continue;
  const impl = implemented.get(name);
  if (!impl) continue;
  const parts = payloadParts(fn);
  const reply = responseData(fn);
  const entry = { m: impl.method, p: impl.path };
  // Body kind: multipart uploads; JSON for declared bodies and for POST / PUT / PATCH (sent as
  // `{}` when the caller gives none); GET and HEAD never carry one (fetch refuses it).
  const bodyless = impl.method === 'GET' || impl.method === 'HEAD';
  const json = !bodyless && (parts.data || ['POST', 'PUT', 'PATCH'].includes(impl.method));
  const kinds = (declared.has(`${name}WithIterator`) ? 'p' : '') + (impl.multipart ? 'm' : json ? 'j' : '') + (impl.binary || reply.binary ? 'b' : '');
  if (kinds) entry.k = kinds;
  if (parts.path) entry.path = shapeOf(parts.path.node);
  if (parts.params) entry.q = shapeOf(parts.params.node);
  if (parts.params && !parts.params.optional) entry.qr = 1;
  if (parts.data) entry.d = shapeOf(parts.data.node);
  if (reply.data) entry.r = shapeOf(reply.data);
  methods[name] = entry;
}
// The official client's conveniences over an endpoint another method already is (`createByCard`
// builds `create`'s body): not endpoints of their own.
for (const [name, e] of Object.entries(methods)) {
  const base = methods[name.replace(/ByCard$/, '')];
  if (base && base !== e && base.m === e.m && base.p === e.p) delete methods[name];
}
const eventShapes = Object.fromEntries([...events].sort(([a], [b]) => (a < b ? -1 : 1)));
// The schema 1.0 event types the SDK types (its IOtherEventHandles): name → handler data shape.
const otherHandles = dts.statements.find((st) => ts.isInterfaceDeclaration(st) && st.name.text === 'IOtherEventHandles');
const legacyEvents = Object.fromEntries((otherHandles?.members ?? [])
  .filter((m) => ts.isPropertySignature(m) && m.name && m.type && ts.isFunctionTypeNode(m.type))
  .map((m) => [m.name.getText(dts).replace(/^['"]|['"]$/g, ''), shapeOf(m.type.parameters[0]?.type)])
  .sort(([a], [b]) => (a < b ? -1 : 1)));
const schema = { source: `${SDK}@${installed}`, note: 'Facts read from the package above by scripts/gen-schema.mjs: do not edit.', methods, events: eventShapes, legacyEvents, shapes };
const schemaText = `${JSON.stringify(schema)}\n`;

// ---- The endpoint table, derived.
const kindOf = (k = '') => [k.includes('p') ? 'yes' : 'no', k.includes('m') ? 'multipart' : k.includes('j') ? 'json' : 'none', k.includes('b') ? 'binary' : 'json'];
const tsv = ['name\tmethod\tpath\tpaginated\tbody\tresponse', ...Object.entries(methods).map(([name, e]) => [name, e.m, e.p, ...kindOf(e.k)].join('\t'))].join('\n') + '\n';

const outputs = { 'catalog/schema.json': schemaText, 'catalog/open-api-endpoints.tsv': tsv };
let stale = [];
for (const [file, text] of Object.entries(outputs)) {
  const path = new URL(file, root);
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '';
  if (current === text) continue;
  if (check) stale.push(file);
  else writeFileSync(path, text);
}
if (check && stale.length) {
  console.log(`schema: 0 passed, 1 failed (stale: ${stale.join(', ')}; run npm run refresh-schema)`);
  process.exit(1);
}
console.log(`schema: 1 passed, 0 failed (${Object.keys(methods).length} methods, ${Object.keys(eventShapes).length} events, ${Object.keys(legacyEvents).length} schema 1.0 events, ${shapes.length} shapes from ${SDK}@${installed}${check ? ', up to date' : ''})`);
