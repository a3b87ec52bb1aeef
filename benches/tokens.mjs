// Token requests for 100 concurrent calls on a cold cache, feishu-edge vs the official SDK.
import { APP, emulatorProcess, freshOfficialCache } from './lib.mjs';
import { FeishuClient } from '../pkg/node.js';
import * as lark from '@larksuiteoapi/node-sdk';

export async function tokenConcurrency({ concurrent = 100 } = {}) {
  const emu = await emulatorProcess();
  try {
    const count = async (fn) => {
      await emu.control('/__emu/reset', {});
      await Promise.all(Array.from({ length: concurrent }, fn));
      return (await emu.control('/__emu/log')).counts.tenantToken ?? 0;
    };
    const edge = new FeishuClient({ ...APP, baseUrl: emu.url, logLevel: 'none' });
    const official = new lark.Client({ ...APP, domain: emu.url, loggerLevel: lark.LoggerLevel.error, cache: freshOfficialCache() });
    return {
      concurrent,
      edgeTokenRequests: await count(() => edge.request({ path: 'im/v1/chats' })),
      officialTokenRequests: await count(() => official.request({ method: 'GET', url: '/open-apis/im/v1/chats' })),
    };
  } finally {
    emu.stop();
  }
}
