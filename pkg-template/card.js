// Card JSON 2.0 in JS: a typed facade over the core's one builder (src/card: the element
// shapes, names and defaults live there). A factory names itself and passes its arguments as a
// description (`["button", "OK", { value }]`); a fluent Card keeps descriptions and turns them
// into JSON in one wasm call, validated there by String(card).
import { validateCardJson, escapeMarkdown as escape, parseActionJson, cardElementJson, cardJson, cardTemplate } from './wasm/feishu_edge_bg.js';
import { FeishuError, ready } from './internal.js';

// The fluent methods (every factory but `column`, which only makes sense inside `columns`).
const FACTORY_NAMES = ['markdown', 'text', 'divider', 'image', 'button', 'columns', 'panel', 'form', 'input', 'select', 'datePicker', 'table', 'chart', 'person'];

/** A standalone factory: the element as a plain object, built by the core. */
const factory = (name) => (...args) => {
  ready(FeishuError);
  return JSON.parse(cardElementJson(JSON.stringify([name, ...args])));
};

export const markdown = factory('markdown');
export const text = factory('text');
export const divider = factory('divider');
export const image = factory('image');
/** A button: `{ value }` sends a callback, `{ url }` opens a link, `{ submit: true }` submits its form. */
export const button = factory('button');
export const column = factory('column');
/** Columns side by side: each argument is a column's elements (or a `column(...)`). */
export const columns = factory('columns');
export const panel = factory('panel');
export const form = factory('form');
export const input = factory('input');
/** A select menu; `options` are `[{ text, value }]` or plain strings. */
export const select = factory('select');
export const datePicker = factory('datePicker');
/** A table: `columns` are titles (or `{ name, displayName, dataType }`), `rows` arrays or objects. */
export const table = factory('table');
export const chart = factory('chart');
export const person = factory('person');

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
    this.#header = [title, { subtitle, template, icon, tags }];
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

  #json(validate) {
    ready(FeishuError);
    return cardJson(JSON.stringify({ config: this.#config, header: this.#header, elements: this.#elements }), validate);
  }

  /** The card as a plain object (what JSON.stringify(card) serializes). */
  toJSON() {
    return JSON.parse(this.#json(false));
  }

  /** Throws FeishuError (kind 'invalid_card', with `reason` and `path`) if the platform would refuse it. */
  validate() {
    this.#json(true);
    return this;
  }

  /** The validated card JSON. */
  toString() {
    return this.#json(true);
  }

  static {
    // card.markdown(...), card.button(...)...: each factory as a fluent method, kept as a description.
    for (const name of FACTORY_NAMES) {
      Object.defineProperty(Card.prototype, name, { value(...args) { this.#elements.push([name, ...args]); return this; }, writable: true, configurable: true });
    }
  }
}

/** Validates a Card or a card object; throws FeishuError (kind 'invalid_card'). */
export function validateCard(card) {
  ready(FeishuError);
  validateCardJson(typeof card === 'string' ? card : JSON.stringify(card));
}

export const textCard = (title, body) => new Card().header(title, { template: cardTemplate() }).markdown(body);
/** `level`: 'info' (blue), 'success' (green), 'warning' (orange), 'error' (red). */
export const alertCard = (title, body, level = 'info') => new Card().header(title, { template: cardTemplate(String(level)) }).markdown(body);
export const tableCard = (title, cols, rows) => new Card().header(title, { template: cardTemplate() }).table(cols, rows);

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
