// Card JSON 2.0 in JS. The factories (generated/card-shapes.js, compiled from the crate's one
// source of shapes, src/card/shapes.json) build plain objects: no wasm call. A fluent Card keeps
// those objects; JSON.stringify(card) serializes them as they are, and String(card),
// card.validate() and sending a card validate the JSON text in the core (one wasm call).
import { validateCardJson, escapeMarkdown as escape, parseActionJson } from './wasm/feishu_edge_bg.js';
import { FeishuError } from './internal.js';
import * as shapes from './generated/card-shapes.js';

const { FLUENT, DEFAULTS, cardHeader, cardObject, alertTemplate, atElement } = shapes;
// The core reads the card as UTF-8 bytes: TextEncoder copies them natively (a string argument
// would cross one character at a time).
const utf8 = new TextEncoder();

export { markdown, text, divider, image, button, column, columns, panel, form, input, select, datePicker, table, chart, person } from './generated/card-shapes.js';

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
  header(title, options) {
    this.#header = cardHeader(title, options);
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

  /** The card as a plain object (what JSON.stringify(card) serializes); not validated. */
  toJSON() {
    return cardObject(this.#config, this.#header, this.#elements.slice());
  }

  /** Throws FeishuError (kind 'invalid_card', with `reason` and `path`) if the platform would refuse it. */
  validate() {
    this.toString();
    return this;
  }

  /** The card JSON, validated in the core. */
  toString() {
    const json = JSON.stringify(this.toJSON());
    validateCardJson(utf8.encode(json));
    return json;
  }

  static {
    // card.markdown(...), card.button(...)...: each factory as a fluent method; a bad argument
    // fails naming the element (`body.elements[3]`).
    for (const name of FLUENT) {
      const make = shapes[name];
      Object.defineProperty(Card.prototype, name, {
        value(...args) {
          let element;
          try {
            element = make(...args);
          } catch (err) {
            throw atElement(err, this.#elements.length);
          }
          this.#elements.push(element);
          return this;
        },
        writable: true,
        configurable: true,
      });
    }
  }
}

/** Validates a Card or a card object; throws FeishuError (kind 'invalid_card'). */
export function validateCard(card) {
  validateCardJson(utf8.encode(typeof card === 'string' ? card : JSON.stringify(card)));
}

export const textCard = (title, body) => new Card().header(title, { template: DEFAULTS.TEMPLATE }).markdown(body);
/** `level`: 'info' (blue), 'success' (green), 'warning' (orange), 'error' (red). */
export const alertCard = (title, body, level = 'info') => new Card().header(title, { template: alertTemplate(String(level)) }).markdown(body);
export const tableCard = (title, cols, rows) => new Card().header(title, { template: DEFAULTS.TEMPLATE }).table(cols, rows);

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
