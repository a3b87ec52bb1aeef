// Card JSON 2.0 in JS: plain element factories and a fluent Card. Objects are built in JS (no
// per-element wasm calls); the rules live once, in Rust, and run in one call (validate/toString),
// and so do the defaults (button type, column weights, table page size, alert colours), read
// once from the core.
import { validateCardJson, escapeMarkdown as escape, parseActionJson, cardDefaultsJson } from './wasm/feishu_edge_bg.js';
import { FeishuError, ready } from './internal.js';

let defaultsRead;
const defaults = () => (defaultsRead ??= JSON.parse(cardDefaultsJson()));

const plain = (content) => ({ tag: 'plain_text', content: String(content) });

/** Copies `{ elementId, ...platform fields }` onto an element (no intermediate objects). */
function withOpts(el, opts) {
  if (opts) {
    for (const key in opts) {
      const value = opts[key];
      if (value !== undefined) el[key === 'elementId' ? 'element_id' : key] = value;
    }
  }
  return el;
}

export const markdown = (content, opts) => withOpts({ tag: 'markdown', content: String(content) }, opts);
export const text = (content, opts) => withOpts({ tag: 'div', text: plain(content) }, opts);
export const divider = (opts) => withOpts({ tag: 'hr' }, opts);
export const image = (imgKey, opts = {}) => {
  const { alt = '', ...rest } = opts;
  return withOpts({ tag: 'img', img_key: imgKey, alt: plain(alt) }, rest);
};
/** A button: `{ value }` sends a callback, `{ url }` opens a link, `{ submit: true }` submits its form. */
export const button = (label, opts = {}) => {
  const { value, url, submit, confirm, type = defaults().buttonType, name, ...rest } = opts;
  const b = { tag: 'button', text: plain(label), type };
  if (value !== undefined) b.behaviors = [{ type: 'callback', value }];
  if (url !== undefined) b.behaviors = [{ type: 'open_url', default_url: url }];
  if (submit) { b.form_action_type = 'submit'; b.name = name ?? defaults().submitName; } else if (name !== undefined) b.name = name;
  if (confirm) b.confirm = { title: plain(confirm.title), text: plain(confirm.text) };
  return withOpts(b, rest);
};
export const column = (elements, opts) => withOpts({ tag: 'column', width: defaults().columnWidth, weight: defaults().columnWeight, elements }, opts);
/** Columns side by side: each argument is a column's elements (or a `column(...)`). */
export const columns = (...cols) => ({ tag: 'column_set', flex_mode: defaults().flexMode, columns: cols.map((c) => (Array.isArray(c) ? column(c) : c)) });
export const panel = (title, elements, opts = {}) => {
  const { expanded = defaults().panelExpanded, ...rest } = opts;
  return withOpts({ tag: 'collapsible_panel', expanded, header: { title: { tag: 'markdown', content: String(title) } }, elements }, rest);
};
export const form = (name, elements, opts) => withOpts({ tag: 'form', name, elements }, opts);
export const input = (name, opts = {}) => {
  const { label, placeholder, required, ...rest } = opts;
  const i = { tag: 'input', name };
  if (label !== undefined) i.label = plain(label);
  if (placeholder !== undefined) i.placeholder = plain(placeholder);
  if (required !== undefined) i.required = required;
  return withOpts(i, rest);
};
/** A select menu; `options` are `[{ text, value }]` or plain strings. */
export const select = (name, options, opts = {}) => {
  const { placeholder, multiple = false, ...rest } = opts;
  const s = { tag: multiple ? 'multi_select_static' : 'select_static', name };
  if (placeholder !== undefined) s.placeholder = plain(placeholder);
  s.options = options.map((o) => (typeof o === 'string' ? { text: plain(o), value: o } : { text: plain(o.text), value: o.value }));
  return withOpts(s, rest);
};
export const datePicker = (name, opts = {}) => {
  const { placeholder, initialDate, ...rest } = opts;
  const d = { tag: 'date_picker', name };
  if (placeholder !== undefined) d.placeholder = plain(placeholder);
  if (initialDate !== undefined) d.initial_date = initialDate;
  return withOpts(d, rest);
};
/** A table: `columns` are titles (or `{ name, displayName, dataType }`), `rows` arrays or objects. */
export const table = (cols, rows, opts = {}) => {
  const { tablePageSize, tableDataType, columnKeyPrefix } = defaults();
  const { pageSize = tablePageSize, ...rest } = opts;
  const defs = cols.map((c, i) => (typeof c === 'string' ? { name: `${columnKeyPrefix}${i}`, display_name: c, data_type: tableDataType } : { name: c.name, display_name: c.displayName ?? c.name, data_type: c.dataType ?? tableDataType }));
  const body = rows.map((r) => (Array.isArray(r) ? Object.fromEntries(defs.map((d, i) => [d.name, r[i] ?? ''])) : r));
  return withOpts({ tag: 'table', page_size: pageSize, columns: defs, rows: body }, rest);
};
export const chart = (spec, opts) => withOpts({ tag: 'chart', chart_spec: spec }, opts);
export const person = (userId, opts) => withOpts({ tag: 'person', user_id: userId }, opts);

const FACTORIES = { markdown, text, divider, image, button, columns, panel, form, input, select, datePicker, table, chart, person };

/** A card under construction: `new Card().header('Title').markdown('**hi**').button('OK', { value: {} })`. */
export class Card {
  #header;
  #config;
  #elements = [];

  constructor(options = {}) {
    this.#config = options.config;
    if (options.title !== undefined) this.header(options.title, options);
  }

  /** The header: title, and optionally subtitle, template (colour), icon, tags. */
  header(title, { subtitle, template, icon, tags } = {}) {
    const h = { title: plain(title) };
    if (subtitle !== undefined) h.subtitle = plain(subtitle);
    if (template !== undefined) h.template = template;
    if (icon !== undefined) h.icon = icon;
    if (tags !== undefined) h.text_tag_list = tags.map((t) => (typeof t === 'string' ? { tag: 'text_tag', text: plain(t), color: 'neutral' } : { tag: 'text_tag', text: plain(t.text), color: t.color ?? 'neutral' }));
    this.#header = h;
    return this;
  }

  /** Card config fields (`streaming_mode`, `update_multi`, `summary`, `width_mode`...). */
  config(config) {
    this.#config = { ...this.#config, ...config };
    return this;
  }

  /** Appends elements made by the factories (or any element object). */
  add(...elements) {
    this.#elements.push(...elements);
    return this;
  }

  /** The card as a plain object (what JSON.stringify(card) serializes). */
  toJSON() {
    const card = { schema: '2.0' };
    if (this.#config) card.config = this.#config;
    if (this.#header) card.header = this.#header;
    card.body = { elements: this.#elements };
    return card;
  }

  /** Throws FeishuError (kind 'invalid_card', with `reason` and `path`) if the platform would refuse it. */
  validate() {
    validateCard(this);
    return this;
  }

  /** The validated card JSON. */
  toString() {
    const json = JSON.stringify(this);
    ready(FeishuError);
    validateCardJson(json);
    return json;
  }
}

// card.markdown(...), card.button(...)...: each factory as a fluent method.
for (const [name, factory] of Object.entries(FACTORIES)) {
  Object.defineProperty(Card.prototype, name, { value(...args) { return this.add(factory(...args)); }, writable: true, configurable: true });
}

/** Validates a Card or a card object; throws FeishuError (kind 'invalid_card'). */
export function validateCard(card) {
  ready(FeishuError);
  validateCardJson(typeof card === 'string' ? card : JSON.stringify(card));
}

export const textCard = (title, body) => new Card().header(title, { template: defaults().template }).markdown(body);
/** `level`: 'info' (blue), 'success' (green), 'warning' (orange), 'error' (red). */
export const alertCard = (title, body, level = 'info') => {
  const { alertTemplates, template } = defaults();
  return new Card().header(title, { template: Object.hasOwn(alertTemplates, level) ? alertTemplates[level] : template }).markdown(body);
};
export const tableCard = (title, cols, rows) => new Card().header(title, { template: defaults().template }).table(cols, rows);

/** Escapes text so a markdown element shows it literally. */
export function escapeMarkdown(value) {
  return escape(String(value));
}

/** A card callback (either flow; a handler's data object or a raw body) as a typed action, or null. */
export function parseAction(payload) {
  return parseActionJson(typeof payload === 'string' ? payload : JSON.stringify(payload));
}

/** `card(options)` is `new Card(options)`. */
export const card = (options) => new Card(options);
