// Generated code lives under `generated/` folders, never beside hand-written files (issue 25,
// outcome 6): a file under src/ or pkg-template/ whose first lines say it is generated ("do not
// edit") must sit in a `generated/` directory, and every file in one must say so.
//
// `node scripts/check-generated-layout.mjs`
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const failures = [];
let files = 0;
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) { walk(path); continue; }
    if (!/\.(rs|js|mjs|ts)$/.test(name)) continue;
    files++;
    const rel = relative(root, path);
    const head = readFileSync(path, 'utf8').split('\n', 4).join('\n');
    const generated = /do not edit/i.test(head);
    const inGenerated = rel.split('/').includes('generated');
    if (generated && !inGenerated) failures.push(`${rel} is generated but not under a generated/ folder: move it there (and its generator's output path)`);
    if (inGenerated && !generated) failures.push(`${rel} is under generated/ but does not say it is generated ("do not edit" in its first lines): hand-written code lives outside generated/`);
  }
};
for (const dir of ['src', 'pkg-template']) walk(join(root, dir));
for (const f of failures) console.log(`not ok - ${f}`);
if (!failures.length) console.log(`ok - ${files} files: every generated one under a generated/ folder, nothing hand-written in one`);
console.log(`generated-layout: ${failures.length ? 0 : 1} passed, ${failures.length ? 1 : 0} failed`);
process.exit(failures.length ? 1 : 0);
