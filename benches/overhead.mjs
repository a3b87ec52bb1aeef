// Per-call overhead: sequential GETs on the loopback emulator through a bare fetch loop,
// feishu-edge (default config, and with timeoutMs: 0) and the official SDK. Many short rounds,
// the order rotated each round; each round's time is divided by the bare-fetch time of the same
// round, and the median of those ratios is reported (robust to a noisy 2-core machine).
import { APP, emulatorProcess, freshOfficialCache, median } from './lib.mjs';
import { FeishuClient } from '../pkg/node.js';
import * as lark from '@larksuiteoapi/node-sdk';

export async function overhead({ rounds = 25, calls = 100 } = {}) {
  const emu = await emulatorProcess();
  try {
    const edge = new FeishuClient({ ...APP, baseUrl: emu.url, logLevel: 'none' });
    const edgeNoTimeout = new FeishuClient({ ...APP, baseUrl: emu.url, logLevel: 'none', timeoutMs: 0 });
    const official = new lark.Client({ ...APP, domain: emu.url, loggerLevel: lark.LoggerLevel.error, cache: freshOfficialCache() });
    const token = await edge.tokens.tenantAccessToken();
    await edgeNoTimeout.tokens.tenantAccessToken();
    const url = `${emu.url}/open-apis/im/v1/chats?page_size=1`;
    const runners = {
      fetch: async () => { const r = await fetch(url, { headers: { authorization: `Bearer ${token}` } }); await r.json(); },
      'feishu-edge': () => edge.request({ path: 'im/v1/chats', params: { page_size: 1 } }),
      'feishu-edge (timeoutMs: 0)': () => edgeNoTimeout.request({ path: 'im/v1/chats', params: { page_size: 1 } }),
      official: () => official.request({ method: 'GET', url: '/open-apis/im/v1/chats', params: { page_size: 1 } }),
    };
    const names = Object.keys(runners);
    for (const run of Object.values(runners)) for (let i = 0; i < 200; i++) await run(); // warm up
    const perCall = Object.fromEntries(names.map((k) => [k, []]));
    const ratios = Object.fromEntries(names.map((k) => [k, []]));
    for (let r = 0; r < rounds; r++) {
      const order = names.slice(r % names.length).concat(names.slice(0, r % names.length));
      const t = {};
      for (const name of order) {
        await emu.control('/__emu/clear-log', {});
        const t0 = performance.now();
        for (let i = 0; i < calls; i++) await runners[name]();
        t[name] = ((performance.now() - t0) * 1000) / calls;
        perCall[name].push(t[name]);
      }
      for (const name of names) ratios[name].push(t[name] / t.fetch);
    }
    const result = { rounds, callsPerRound: calls, perCallMicros: {}, ratioToFetch: {} };
    for (const name of names) {
      result.perCallMicros[name] = median(perCall[name]);
      result.ratioToFetch[name] = median(ratios[name]);
    }
    return result;
  } finally {
    emu.stop();
  }
}
