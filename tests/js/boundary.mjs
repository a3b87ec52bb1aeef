// The JS/wasm boundary, pinned (issue 25, outcome 3): the calls across it per webhook request
// (encrypted, signed) and per API call attempt, and the wasm's function exports, counted by
// benches/crossings.mjs (every export and import wrapped), each at most the ceiling recorded
// below. The issue's targets are printed beside them: ≤ 2 JS→wasm and ≤ 12 wasm→JS per webhook
// request, ≤ 3 and ≤ 12 per API call attempt, ≤ 60 exports.
//
// A ceiling may only go down: when a change removes crossings, lower it to the new figure
// (the output says which); a figure over its ceiling is a new crossing, to fold into an existing
// one rather than to raise the ceiling for.
// Usage: node tests/js/boundary.mjs   (after scripts/build; EMU_URL: a running emulator)
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BUDGETS, countCrossings } from '../../benches/crossings.mjs';
import { startEmulator } from '../emulator/server.mjs';

const pkg = fileURLToPath(new URL('../../pkg', import.meta.url));

/** Today's figures. Only ever lower them. */
const CEILINGS = {
  'feishu-edge': { webhook: { in: 1, out: 7 }, webhookAsync: { in: 2, out: 7 }, call: { in: 3, out: 10 }, wasmExports: 60 },
  'feishu-edge/webhook': { webhook: { in: 1, out: 7 }, webhookAsync: { in: 2, out: 7 }, wasmExports: 28 },
};

const emu = process.env.EMU_URL ? { url: process.env.EMU_URL, close() {} } : await startEmulator();
const measured = {
  'feishu-edge': await countCrossings(pkg, { emulator: emu.url }),
  'feishu-edge/webhook': existsSync(`${pkg}/webhook/webhook.js`) ? await countCrossings(`${pkg}/webhook`) : undefined,
};
await emu.close();

const lines = [];
let passed = 0, failed = 0;
/** One figure against its ceiling, the target beside it. */
function check(label, figure, ceiling, target, where) {
  if (figure === undefined) {
    failed++;
    lines.push(`not ok - ${label}: not measured (is the package built?)`);
    return;
  }
  const text = `${label}: ${figure}, ceiling ${ceiling} (target ${target})`;
  if (figure > ceiling) {
    failed++;
    lines.push(`not ok - ${text}: over the ceiling, so the change added a crossing: fold it into an existing one (a ceiling in tests/js/boundary.mjs only goes down)`);
  } else {
    passed++;
    lines.push(`ok - ${text}${figure < ceiling ? `: below the ceiling, lower ${where} in CEILINGS (tests/js/boundary.mjs) to ${figure}` : ''}`);
  }
}

for (const [entry, ceilings] of Object.entries(CEILINGS)) {
  const m = measured[entry];
  const w = m?.webhook;
  check(`${entry}, per webhook request, JS→wasm`, w?.in, ceilings.webhook.in, BUDGETS.webhook.in, `['${entry}'].webhook.in`);
  check(`${entry}, per webhook request, wasm→JS`, w?.out, ceilings.webhook.out, BUDGETS.webhook.out, `['${entry}'].webhook.out`);
  if (w) lines.push(`  (JS→wasm: ${w.names.join(' ')})`);
  // A handler that returns a promise: its outcome crosses back once more (same budget).
  const a = m?.webhookAsync;
  check(`${entry}, per webhook request (async handler), JS→wasm`, a?.in, ceilings.webhookAsync.in, BUDGETS.webhook.in, `['${entry}'].webhookAsync.in`);
  check(`${entry}, per webhook request (async handler), wasm→JS`, a?.out, ceilings.webhookAsync.out, BUDGETS.webhook.out, `['${entry}'].webhookAsync.out`);
  if (ceilings.call) {
    // The same ceiling over an instant fetch and over a real one to the emulator.
    for (const [kind, c] of [['instant fetch', m?.call], ['timeoutMs 0', m?.callTimeout0], ['emulator', m?.callEmulator]]) {
      check(`${entry}, per API call attempt (${kind}), JS→wasm`, c?.in, ceilings.call.in, BUDGETS.call.in, `['${entry}'].call.in`);
      check(`${entry}, per API call attempt (${kind}), wasm→JS`, c?.out, ceilings.call.out, BUDGETS.call.out, `['${entry}'].call.out`);
    }
    if (m?.call) lines.push(`  (JS→wasm: ${m.call.names.join(' ')})`);
  }
  check(`${entry}, wasm function exports`, m?.wasmExports, ceilings.wasmExports, BUDGETS.wasmExports, `['${entry}'].wasmExports`);
}

console.log(lines.join('\n'));
console.log(`boundary: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
