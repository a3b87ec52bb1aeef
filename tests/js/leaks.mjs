// Memory a call leaves behind, and handler results that misbehave, in child processes of the
// built package (`node --expose-gc`).
// - Without a FinalizationRegistry (Workers without `enable_weak_ref`), nothing finalizes a
//   call's wasm object: `drive` must free it, or each call pins its reply (a 100 KB body here)
//   for the isolate's life. 1,200 calls must leave under 24 MB of array buffers (120 MB if
//   leaking); the same with the registry.
// - A handler whose result has a `then` getter that throws is answered 500 (the rejection
//   settles it), never a rejected `invoke()`.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const pkg = fileURLToPath(new URL('../../pkg/node.js', import.meta.url));
let passed = 0, failed = 0;
const check = (name, ok, detail) => {
  console.log(`${ok ? 'ok' : 'not ok'} - ${name}${detail ? `: ${detail}` : ''}`);
  ok ? passed++ : failed++;
};

const leakProgram = (noRegistry) => `
${noRegistry ? "await new Response('warm').text(); globalThis.FinalizationRegistry = undefined; // as on Workers without enable_weak_ref (Node's own Response is set up first)" : ''}
const { FeishuClient } = await import(${JSON.stringify(pkg)});
const big = 'x'.repeat(100000);
const fetch = async (url) => new Response(String(url).includes('access_token')
  ? JSON.stringify({ code: 0, tenant_access_token: 't-abc', expire: 7200 })
  : JSON.stringify({ code: 0, data: { big } }), { status: 200, headers: { 'content-type': 'application/json' } });
const client = new FeishuClient({ appId: 'cli_a', appSecret: 's', fetch, logLevel: 'none' });
await client.request({ method: 'GET', url: 'im/v1/chats' });
globalThis.gc();
const before = process.memoryUsage().arrayBuffers;
for (let i = 0; i < 1200; i++) await client.request({ method: 'GET', url: 'im/v1/chats' });
for (let i = 0; i < 3; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 20)); }
console.log(JSON.stringify({ grewMiB: (process.memoryUsage().arrayBuffers - before) / 1048576 }));
`;
for (const noRegistry of [true, false]) {
  const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', leakProgram(noRegistry)], { encoding: 'utf8' });
  const { grewMiB } = JSON.parse(out.trim().split('\n').pop());
  check(`1,200 calls with 100 KB replies ${noRegistry ? 'without' : 'with'} a FinalizationRegistry keep under 24 MiB`, grewMiB < 24, `${grewMiB.toFixed(1)} MiB`);
}

const thenProgram = `
const { EventDispatcher, signEvent } = await import(${JSON.stringify(pkg)});
const event = (id) => ({ schema: '2.0', header: { event_id: id, event_type: 'im.message.receive_v1', create_time: String(Date.now()), token: 'vt' }, event: { x: 1 } });
let n = 0;
const d = new EventDispatcher({ encryptKey: 'ek', logLevel: 'none' })
  .register({ 'im.message.receive_v1': () => (n++ === 0 ? { get then() { throw new Error('getter'); } } : undefined) });
const out = [];
for (const id of ['a', 'b']) {
  const s = signEvent(event(id), { encryptKey: 'ek' });
  try { out.push((await d.invoke(s.body, s.headers)).status); } catch (e) { out.push('rejected: ' + e.message); }
}
console.log(JSON.stringify(out));
`;
const statuses = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', thenProgram], { encoding: 'utf8' }).trim().split('\n').pop());
check('a handler result whose then getter throws is answered 500, the next event 200', statuses[0] === 500 && statuses[1] === 200, JSON.stringify(statuses));

console.log(`leaks: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
