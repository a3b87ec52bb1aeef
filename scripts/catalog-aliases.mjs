// Writes catalog/aliases.tsv: for each namespace where the official Node SDK offers unversioned
// resources (client.im.message...), the version they point to. A fact read from the pinned
// official SDK (a dev dependency); rerun when that pin changes.
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const lark = require('@larksuiteoapi/node-sdk');
const client = new lark.Client({ appId: 'x', appSecret: 'y', loggerLevel: lark.LoggerLevel.error });
const root = new URL('..', import.meta.url);
const rows = readFileSync(new URL('catalog/open-api-endpoints.tsv', root), 'utf8').trim().split('\n').slice(1);
const namespaces = [...new Set(rows.map((r) => r.split('.')[0]))].sort();
const out = ['namespace\tversion'];
for (const ns of namespaces) {
  const obj = client[ns] ?? {};
  const top = Object.keys(obj).filter((k) => !/^v\d+$/.test(k)).sort();
  if (!top.length) continue;
  const version = Object.keys(obj).filter((k) => /^v\d+$/.test(k)).find((v) => JSON.stringify(Object.keys(obj[v]).sort()) === JSON.stringify(top));
  if (version) out.push(`${ns}\t${version}`);
}
writeFileSync(new URL('catalog/aliases.tsv', root), out.join('\n') + '\n');
console.log(`${out.length - 1} namespaces with unversioned aliases`);
