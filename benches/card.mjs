// Building and serializing a 50-element card: the Card builder (objects in JS, validation in
// wasm, String(card)) vs the same card as a plain object literal and JSON.stringify.
import { median } from './lib.mjs';
import { Card, button, markdown } from '../pkg/node.js';

function build(i) {
  const c = new Card().header(`Report ${i}`, { template: 'blue', subtitle: 'weekly' });
  for (let k = 0; k < 25; k++) {
    c.markdown(`**Item ${k}**: value ${i * k}`, { elementId: `m${k}` });
    c.button(`Open ${k}`, { value: { item: k, run: i } });
  }
  return c;
}

/** Built and serialized after validation (String(card) validates in wasm). */
const withBuilder = (i) => String(build(i));
/** Built and serialized without validation. */
const builderUnchecked = (i) => JSON.stringify(build(i));

function literal(i) {
  const elements = [];
  for (let k = 0; k < 25; k++) {
    elements.push({ tag: 'markdown', content: `**Item ${k}**: value ${i * k}`, element_id: `m${k}` });
    elements.push({ tag: 'button', text: { tag: 'plain_text', content: `Open ${k}` }, type: 'default', behaviors: [{ type: 'callback', value: { item: k, run: i } }] });
  }
  return JSON.stringify({ schema: '2.0', header: { title: { tag: 'plain_text', content: `Report ${i}` }, subtitle: { tag: 'plain_text', content: 'weekly' }, template: 'blue' }, body: { elements } });
}

export function cardBuild({ rounds = 15, cards = 2000 } = {}) {
  if (withBuilder(3) !== literal(3).replace('"subtitle":{"tag":"plain_text","content":"weekly"},"template":"blue"', '"subtitle":{"tag":"plain_text","content":"weekly"},"template":"blue"')) {
    throw new Error('the two ways must build the same card');
  }
  const runners = { builder: withBuilder, unchecked: builderUnchecked, literal };
  for (const f of Object.values(runners)) for (let i = 0; i < 2000; i++) f(i);
  const micros = { builder: [], unchecked: [], literal: [] };
  const ratios = [];
  const uncheckedRatios = [];
  let sink = 0;
  for (let r = 0; r < rounds; r++) {
    const t = {};
    const names = Object.keys(runners);
    for (const name of names.slice(r % 3).concat(names.slice(0, r % 3))) {
      const t0 = performance.now();
      for (let i = 0; i < cards; i++) sink += runners[name](i).length;
      t[name] = ((performance.now() - t0) * 1000) / cards;
      micros[name].push(t[name]);
    }
    ratios.push(t.builder / t.literal);
    uncheckedRatios.push(t.unchecked / t.literal);
  }
  return { elements: 50, bytes: withBuilder(1).length, perCardMicros: { builder: median(micros.builder), unchecked: median(micros.unchecked), literal: median(micros.literal) }, ratio: median(ratios), uncheckedRatio: median(uncheckedRatios), sink };
}
