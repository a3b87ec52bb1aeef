// Building and serializing a 50-element card: the Card builder (factories building plain
// objects in JS; String(card) validates the JSON in wasm) vs the same card as a plain object
// literal and JSON.stringify; and validating a 7 KB card. `node benches/card.mjs [other-pkg]`
// measures this package and another build (e.g. /work/pkg-released) side by side, alternating.
import { median } from './lib.mjs';
import * as pkg from '../pkg/node.js';

function runners(m) {
  const { Card } = m;
  function build(i) {
    const c = new Card().header(`Report ${i}`, { template: 'blue', subtitle: 'weekly' });
    for (let k = 0; k < 25; k++) {
      c.markdown(`**Item ${k}**: value ${i * k}`, { elementId: `m${k}` });
      c.button(`Open ${k}`, { value: { item: k, run: i } });
    }
    return c;
  }
  return {
    /** Built and serialized after validation (String(card) validates in wasm). */
    builder: (i) => String(build(i)),
    /** Built and serialized without validation. */
    unchecked: (i) => JSON.stringify(build(i)),
  };
}

function literal(i) {
  const elements = [];
  for (let k = 0; k < 25; k++) {
    elements.push({ tag: 'markdown', content: `**Item ${k}**: value ${i * k}`, element_id: `m${k}` });
    elements.push({ tag: 'button', text: { tag: 'plain_text', content: `Open ${k}` }, type: 'default', behaviors: [{ type: 'callback', value: { item: k, run: i } }] });
  }
  return JSON.stringify({ schema: '2.0', header: { title: { tag: 'plain_text', content: `Report ${i}` }, subtitle: { tag: 'plain_text', content: 'weekly' }, template: 'blue' }, body: { elements } });
}

/** A 7 KB, 50-element card's JSON (what validation gets). */
export function sevenKb() {
  const elements = [];
  for (let k = 0; k < 25; k++) {
    elements.push({ tag: 'markdown', content: `**Item ${k}**: the build of service ${k} finished; ${'details '.repeat(5)}`, element_id: `m${k}` });
    elements.push({ tag: 'button', text: { tag: 'plain_text', content: `Open ${k}` }, type: 'default', behaviors: [{ type: 'callback', value: { item: k, run: 1 } }] });
  }
  return JSON.stringify({ schema: '2.0', header: { title: { tag: 'plain_text', content: 'Report' }, template: 'blue' }, body: { elements } });
}

function time(f, n) {
  let sink = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) sink += f(i).length;
  return [((performance.now() - t0) * 1000) / n, sink];
}

/** `packages`: name → module; every round measures each package's runners and the literal, in rotating order. */
export function cardCompare(packages = { current: pkg }, { rounds = 15, cards = 2000, validations = 5000 } = {}) {
  const json = sevenKb();
  const fns = { literal };
  for (const [name, m] of Object.entries(packages)) {
    const r = runners(m);
    if (r.builder(3) !== literal(3) || r.unchecked(3) !== literal(3)) throw new Error(`${name}: the two ways must build the same card`);
    fns[`${name} builder`] = r.builder;
    fns[`${name} unchecked`] = r.unchecked;
    fns[`${name} validate`] = () => { m.validateCard(json); return json; };
  }
  for (const f of Object.values(fns)) for (let i = 0; i < 2000; i++) f(i);
  const micros = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
  const ratios = Object.fromEntries(Object.keys(packages).flatMap((p) => [[`${p} builder`, []], [`${p} unchecked`, []]]));
  let sink = 0;
  const names = Object.keys(fns);
  for (let r = 0; r < rounds; r++) {
    const t = {};
    for (const name of names.slice(r % names.length).concat(names.slice(0, r % names.length))) {
      const [us, s] = time(fns[name], name.endsWith('validate') ? validations : cards);
      t[name] = us;
      sink += s;
      micros[name].push(us);
    }
    for (const k of Object.keys(ratios)) ratios[k].push(t[k] / t.literal);
  }
  const range = (xs) => [Math.min(...xs), Math.max(...xs)];
  return {
    elements: 50,
    bytes: literal(1).length,
    validatedBytes: json.length,
    perCardMicros: Object.fromEntries(Object.entries(micros).map(([k, xs]) => [k, { median: median(xs), range: range(xs) }])),
    ratios: Object.fromEntries(Object.entries(ratios).map(([k, xs]) => [k, { median: median(xs), range: range(xs) }])),
    sink,
  };
}

/** The figures benches/run.mjs tabulates, for this package. */
export function cardBuild(options) {
  const r = cardCompare({ current: pkg }, options);
  const m = (k) => r.perCardMicros[k].median;
  return {
    elements: r.elements, bytes: r.bytes,
    perCardMicros: { builder: m('current builder'), unchecked: m('current unchecked'), literal: m('literal'), validate7kb: m('current validate') },
    ratio: r.ratios['current builder'].median, uncheckedRatio: r.ratios['current unchecked'].median, sink: r.sink,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const packages = { current: pkg };
  if (process.argv[2]) packages.other = await import(`${process.argv[2].replace(/\/$/, '')}/node.js`);
  const r = cardCompare(packages);
  const f = ({ median: m, range: [lo, hi] }, d = 1) => `${m.toFixed(d)} (${lo.toFixed(d)}–${hi.toFixed(d)})`;
  console.log(`${r.elements} elements, ${r.bytes} bytes; validation of a ${r.validatedBytes}-byte card`);
  for (const [k, v] of Object.entries(r.perCardMicros)) console.log(`${k.padEnd(20)} ${f(v)} µs`);
  for (const [k, v] of Object.entries(r.ratios)) console.log(`${(k + ' ratio').padEnd(20)} ${f(v, 2)}×`);
}
