// Keeps README.md's code true: every ```js / ```ts block is written to a module of its own in a
// consumer that installed the packed package, and the lot is compiled with `tsc --strict`
// (JavaScript blocks with checkJs). Names a snippet uses without defining (env, client, …) are
// declared once, in readme-globals.d.ts below. The complete programs also run, each in its own
// runtime: runtimes.mjs.
// Usage (from tests/pack-consumer.sh, in the consumer directory): node check.mjs <repo root>
import { readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const root = process.argv[2];
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/^```(js|ts|javascript|typescript)\n([\s\S]*?)^```$/gm)].map((m, i) => ({
  i, lang: m[1].startsWith('t') ? 'ts' : 'js', code: m[2], line: readme.slice(0, m.index).split('\n').length,
}));
const dir = 'readme';
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir);

// What the snippets take from their surroundings.
writeFileSync(join(dir, 'readme-globals.d.ts'), `import type * as E from 'feishu-edge';
declare global {
  var env: { FEISHU_APP_ID: string; FEISHU_APP_SECRET: string; FEISHU_BASE_URL?: string; FEISHU_ENCRYPT_KEY: string; FEISHU_VERIFICATION_TOKEN: string; TOKENS: E.KVLike; FEISHU_STATE: E.DurableObjectNamespaceLike; FEISHU_EVENTS: { send(body: string): Promise<void> } };
  var ctx: { waitUntil(p: Promise<unknown>): void };
  var client: E.FeishuClient;
  var events: E.EventDispatcher;
  var appId: string, appSecret: string, encryptKey: string, verificationToken: string, userToken: string, userAccessToken: string;
  var message_id: string, file_token: string, image_key: string, chatId: string, openId: string, content: string, bytes: Uint8Array;
  var tokenStore: E.KVLike, url: string, model: { stream(q: string): AsyncIterable<string> }, question: string;
  var createClient: (o: { url: string }) => { connect(): Promise<{ sendCommand(args: string[]): Promise<unknown> }> };
  var messageId: string, pngBytes: Uint8Array, folderToken: string, bigBlob: Blob, appToken: string, tableId: string, filter: NonNullable<E.BitableRecordSearchData['filter']>;
  var sheetToken: string, sheetId: string, commitTitle: string, user_id: string;
  var Deno: { openKv(): Promise<any> };
}
export {};
`);
for (const b of blocks) {
  writeFileSync(join(dir, `block-${b.i}-line-${b.line}.${b.lang}`), `${b.code}\nexport {};\n`);
}
// TypeScript blocks with everything strict; JavaScript blocks strict too, except that their
// parameters carry no annotations (what a JS user's editor checks with checkJs).
const options = (js) => ({
  strict: true, noImplicitAny: !js, noEmit: true, target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler',
  lib: ['ES2022', 'DOM', 'DOM.Iterable'], allowJs: js, checkJs: js, skipLibCheck: true,
  types: ['node'], typeRoots: [join(root, 'node_modules', '@types')],
  paths: { 'npm:feishu-edge': ['../node_modules/feishu-edge/index.d.ts'] },
});
writeFileSync(join(dir, 'tsconfig.ts.json'), JSON.stringify({ compilerOptions: options(false), include: ['*.ts'] }));
writeFileSync(join(dir, 'tsconfig.js.json'), JSON.stringify({ compilerOptions: options(true), include: ['*.js', 'readme-globals.d.ts'] }));
let failed = 0;
let compileFailed = false;
for (const kind of ['ts', 'js']) {
  try {
    execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(dir, `tsconfig.${kind}.json`)], { stdio: 'pipe', encoding: 'utf8' });
  } catch (e) {
    compileFailed = true;
    console.log(`not ok - README ${kind} code blocks do not compile:\n${e.stdout}`);
  }
}
if (compileFailed) failed++;
else console.log(`ok - the README's ${blocks.length} JS/TS code blocks compile with tsc --strict`);

console.log(`readme: ${1 - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
