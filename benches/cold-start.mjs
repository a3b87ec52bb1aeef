// Cold start in a fresh Node process: import + instantiate + construct a client, feishu-edge vs
// the official SDK, alternating, median of several processes.
import { ROOT, median, nodeChild } from './lib.mjs';

const EDGE = `const t0 = performance.now();
const { FeishuClient } = await import(${JSON.stringify(`${ROOT}/pkg/node.js`)});
new FeishuClient({ appId: 'cli_x', appSecret: 's' });
console.log(JSON.stringify({ ms: performance.now() - t0 }));`;
const OFFICIAL = `import { createRequire } from 'node:module';
const require = createRequire(${JSON.stringify(`${ROOT}/package.json`)});
const t0 = performance.now();
const lark = require('@larksuiteoapi/node-sdk');
new lark.Client({ appId: 'cli_x', appSecret: 's' });
console.log(JSON.stringify({ ms: performance.now() - t0 }));`;

export function coldStart({ runs = 9 } = {}) {
  const edge = [], official = [];
  for (let i = 0; i < runs; i++) {
    edge.push(nodeChild(EDGE).ms);
    official.push(nodeChild(OFFICIAL).ms);
  }
  const e = median(edge), o = median(official);
  return { runs, edgeMs: e, officialMs: o, speedup: o / e };
}
