// The Open API schema (catalog/schema.json, generated from the official SDK's declarations) for
// the test kit: plausible values for any method's reply or event's payload, and checks of a
// request's query and body against a method's schema. The package carries it as a module
// (schema-data.js, written by scripts/build), so no runtime needs a file-read permission for it
// and validation can never be skipped for want of one.
import schema from './schema-data.js';

/** The schema: { methods, events, shapes }. */
export function loadSchema() {
  return schema;
}

// Ids get the platform's prefixes, so code that infers an id's kind sees what it would see live.
const PREFIXES = {
  open_id: 'ou_', union_id: 'on_', chat_id: 'oc_', open_chat_id: 'oc_', message_id: 'om_', open_message_id: 'om_',
  root_id: 'om_', parent_id: 'om_', upper_message_id: 'om_', app_id: 'cli_', tenant_key: 'tk_', file_key: 'file_',
  image_key: 'img_', department_id: 'od-', open_department_id: 'od-', card_id: 'card_', thread_id: 'omt_',
  event_id: 'ev_', calendar_id: 'cal_', event_id_v2: 'evt_', task_guid: 'task_', app_token: 'bascn', table_id: 'tbl',
  record_id: 'rec', document_id: 'doxcn', spreadsheet_token: 'shtcn', space_id: 'sp_', node_token: 'wikcn', file_token: 'boxcn',
};
let serial = 0;
const uid = () => (++serial).toString(36).padStart(6, '0');

/** A plausible string for a field named `key`. */
function stringFor(key) {
  const k = key.toLowerCase();
  if (PREFIXES[k]) return `${PREFIXES[k]}${uid()}`;
  if (k.endsWith('_time') || k === 'ts' || k.endsWith('_at')) return String(Date.now());
  if (k.includes('email')) return `user${uid()}@example.com`;
  if (k.includes('mobile') || k.includes('phone')) return '+8613800000000';
  if (k.endsWith('_url') || k === 'url' || k.endsWith('avatar')) return `https://example.com/${uid()}`;
  if (k === 'content') return JSON.stringify({ text: 'sample text' });
  if (k.endsWith('_id') || k === 'id') return `${k.replace(/_id$/, '')}_${uid()}`;
  if (k.includes('name') || k.includes('title')) return `Sample ${k.replace(/_/g, ' ')}`;
  return `sample-${k.replace(/_/g, '-')}`;
}

/**
 * A value of `shape` with every field filled (optional ones too), for a field named `key`.
 * Lists get one element; enums their first value.
 */
export function sample(shape, key = 'value', depth = 0) {
  const { shapes } = loadSchema();
  if (shape === 's') return stringFor(key);
  if (shape === 'n') return key.toLowerCase().includes('size') ? 20 : 1;
  if (shape === 'b') return false;
  if (shape === 'a') return {};
  if (shape === 'f') return new Uint8Array([0x89, 0x50, 0x4e, 0x47]);
  if (Array.isArray(shape)) {
    if (shape[0] === 'e') return shape[1];
    return depth > 12 ? [] : [sample(shape[1], key, depth + 1)];
  }
  const out = {};
  if (depth > 12) return out;
  for (const [k, v] of Object.entries(shapes[shape] ?? {})) {
    const name = k.replace(/\?$/, '');
    out[name] = sample(v, name, depth + 1);
  }
  return out;
}

/** Plain objects merge key by key; anything else in `overrides` replaces. */
export function deepMerge(base, overrides) {
  if (!isPlain(base) || !isPlain(overrides)) return overrides === undefined ? base : overrides;
  const out = { ...base };
  for (const [k, v] of Object.entries(overrides)) out[k] = deepMerge(base[k], v);
  return out;
}
const isPlain = (x) => x !== null && typeof x === 'object' && !Array.isArray(x);

/**
 * The first way `value` breaks `shape`, as the platform names it (`field_name is required`,
 * `field_name: invalid value "x"`), or null. Unknown fields pass, like the platform's.
 */
export function violation(shape, value, path = '') {
  const { shapes } = loadSchema();
  const where = path || 'value';
  if (value === undefined || value === null) return null;
  if (shape === 'a' || shape === 'f') return null;
  if (shape === 's') return typeof value === 'string' || typeof value === 'number' ? null : `${where}: expected a string`;
  if (shape === 'n') return typeof value === 'number' || (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) ? null : `${where}: expected a number`;
  if (shape === 'b') return typeof value === 'boolean' || value === 'true' || value === 'false' ? null : `${where}: expected a boolean`;
  if (Array.isArray(shape)) {
    if (shape[0] === 'e') return shape.slice(1).some((e) => String(e) === String(value)) ? null : `${where}: invalid value ${JSON.stringify(value)}, expected one of ${shape.slice(1).map((e) => JSON.stringify(e)).join(', ')}`;
    const items = Array.isArray(value) ? value : [value];
    for (let i = 0; i < items.length; i++) {
      const v = violation(shape[1], items[i], `${where}[${i}]`);
      if (v) return v;
    }
    return null;
  }
  if (!isPlain(value)) return `${where}: expected an object`;
  for (const [k, v] of Object.entries(shapes[shape] ?? {})) {
    const name = k.replace(/\?$/, '');
    const child = path ? `${path}.${name}` : name;
    if (!k.endsWith('?') && (value[name] === undefined || value[name] === null)) return `${child} is required`;
    const bad = violation(v, value[name], child);
    if (bad) return bad;
  }
  return null;
}
