// The demo: the emulator and the example Worker (in workerd), one encrypted, signed message
// event, and the conversation that follows, printed.
import { createEmulator, fixtures } from 'feishu-edge/testing';
import { startWorker, send, closedCard } from './test/worker.test.mjs';

const emu = await createEmulator();
const worker = await startWorker(emu);
try {
  console.log(`emulator: ${emu.url}   worker: workerd (Miniflare), bindings TOKENS (KV), FEISHU_BASE_URL=${emu.url}\n`);
  const event = fixtures.messageReceive({ text: 'Hello bot, what can you do?', messageId: 'om_demo', token: 'worker-verification-token' });
  console.log('→ event in:  im.message.receive_v1 (AES-256-CBC encrypted, SHA-256 signed)');
  console.log(`             "${JSON.parse(event.event.message.content).text}" from ${event.event.sender.sender_id.open_id}`);
  const started = Date.now();
  const res = await send(worker, '/webhook/event', event);
  console.log(`← worker:    HTTP ${res.status} ${await res.text()} in ${Date.now() - started} ms (the reply continues in ctx.waitUntil)\n`);
  const [cardId, card] = await closedCard(emu);
  console.log('API calls the Worker made:');
  for (const c of await emu.calls({ withAuth: true })) {
    const detail = c.body?.sequence !== undefined ? ` sequence ${c.body.sequence}` : c.path.endsWith('/reply') ? ` reply_in_thread=${c.body.reply_in_thread}` : '';
    console.log(`  ${c.method.padEnd(5)} /open-apis/${c.path}${detail}`);
  }
  console.log(`\nstreamed card ${cardId} (${card.updates} updates, streaming closed: ${!card.streaming}):\n  ${card.elements.md.trim()}\n`);
  const click = await send(worker, '/webhook/card', fixtures.cardAction({ value: { action: 'helpful' }, token: 'worker-verification-token' }));
  console.log(`→ card button clicked ← ${JSON.stringify((await click.json()).toast)}`);
} finally {
  await worker.dispose();
  await emu.close();
}
