// The whole Open API in the official SDK's call shape: client.im.v1.message.create(payload, options),
// the unversioned aliases (client.im.message...), <method>WithIterator for paginated methods, and
// <method>Items (this SDK's item iterator). Built lazily from the generated compact table: nothing
// is materialized until a namespace is touched, and then only that namespace.
import { byCardData } from './wasm/feishu_edge_bg.js';
import { NAMESPACES, ALIASES, BY_CARD, table } from './generated/catalog-data.js';
import { HELPERS, oauthFor } from './helpers.js';

const METHODS = { G: 'GET', P: 'POST', U: 'PUT', A: 'PATCH', D: 'DELETE', H: 'HEAD' };
let index;

/** ns → version → resource → [[name, spec]] (parsed once, on first use). */
function catalogIndex() {
  if (index) return index;
  index = new Map();
  let ns, version, versions;
  for (const line of table().split('\n')) {
    if (line[0] === '#') {
      [ns, version] = line.slice(1).split('.');
      if (!index.has(ns)) index.set(ns, new Map());
      versions = index.get(ns);
      versions.set(version, new Map());
      continue;
    }
    const [name, code, rel, files] = line.split('\t');
    const dot = name.indexOf('.');
    const resource = name.slice(0, dot);
    const spec = {
      endpoint: `${ns}.${version}.${name}`,
      method: METHODS[code[0]],
      path: rel[0] === '/' ? rel.slice(1) : `${ns}/${version}/${rel}`,
      paginated: code.includes('p'),
      multipart: code.includes('m'),
      binary: code.includes('b'),
      fileFields: files ? files.split(',') : [],
    };
    const resources = versions.get(version);
    if (!resources.has(resource)) resources.set(resource, []);
    resources.get(resource).push([name.slice(dot + 1), spec]);
  }
  return index;
}

// A stream (a Node Readable such as fs.createReadStream(path), or a web ReadableStream).
const isStream = (v) => !!v && typeof v === 'object' && (typeof v.getReader === 'function' || (typeof v.pipe === 'function' && typeof v[Symbol.asyncIterator] === 'function'));
const isFile = (v) => isStream(v) || (typeof Blob !== 'undefined' && v instanceof Blob) || v instanceof ArrayBuffer || ArrayBuffer.isView(v) || (v && typeof v === 'object' && 'data' in v && (v.data instanceof Blob || ArrayBuffer.isView(v.data) || v.data instanceof ArrayBuffer || isStream(v.data)));

/**
 * A stream as a Blob `fetch` can send in a multipart body (read whole: no runtime streams a
 * multipart request body), keeping a file stream's name.
 */
export async function blobOf(value) {
  if (!isStream(value)) return value;
  const chunks = [];
  for await (const chunk of typeof value.getReader === 'function' ? readerChunks(value) : value) chunks.push(chunk);
  const blob = new Blob(chunks);
  const name = typeof value.path === 'string' ? value.path.split(/[\\/]/).pop() : undefined;
  return name ? { data: blob, filename: name } : blob;
}
async function* readerChunks(stream) {
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield value;
  }
}

/**
 * A catalog call as the core reads it (src/api/call.rs): the method (name, HTTP method and path
 * from the generated table), the payload and the options as given. How it becomes a request
 * (payload parts, headers, the official option shapes) is the core's decision.
 */
const target = (spec, payload = {}, options, data = payload.data) => ({ endpoint: spec.endpoint, method: spec.method, path: spec.path, payload: { path: payload.path, params: payload.params, data, headers: payload.headers }, options });

async function upload(client, spec, req, data) {
  const fields = {};
  const files = {};
  for (const [k, v] of Object.entries(data ?? {})) {
    if (v === undefined || v === null) continue;
    // The schema's file fields always go as files (a string there is refused by name).
    if (isStream(v?.data)) {
      const blob = await blobOf(v.data);
      files[k] = { ...v, data: blob.data ?? blob };
    } else if (isFile(v) || spec.fileFields.includes(k)) files[k] = await blobOf(v);
    else fields[k] = typeof v === 'object' ? JSON.stringify(v) : v;
  }
  // The official SDK resolves an upload to the reply's data (`const { image_key } = await …`);
  // ours to the envelope: both hold (the envelope's own keys win a clash).
  const envelope = await client.upload({ ...req, fields, files });
  return { ...envelope.data, ...envelope };
}

// async: a payload that cannot be read (null, a BigInt) rejects instead of throwing.
async function call(client, spec, payload = {}, options) {
  if (spec.multipart) return upload(client, spec, target(spec, payload, options, undefined), payload.data);
  if (spec.binary) return client.download(target(spec, payload, options));
  return client.request(target(spec, payload, options));
}


function resourceObject(client, methods) {
  const obj = {};
  for (const [name, spec] of methods) {
    obj[name] = (payload, options) => call(client, spec, payload, options);
    const byCard = BY_CARD[`${spec.method} ${spec.path}`];
    if (byCard) obj[byCard] = async (payload = {}, options) => call(client, spec, { ...payload, data: byCardData(JSON.stringify(payload.data ?? {})) }, options);
    if (spec.binary) obj[`${name}Stream`] = (payload = {}, options) => client.downloadStream(target(spec, payload, options));
    if (!spec.paginated) continue;
    // The official SDK's page iterator: `for await (const page of await x.listWithIterator(...))`,
    // each page being `data` without its paging fields. Failures throw FeishuError (the official
    // SDK yields null).
    obj[`${name}WithIterator`] = async (payload, options) => {
      const req = { ...target(spec, payload, options), keepData: true };
      return {
        async *[Symbol.asyncIterator]() {
          yield* client._pageData(req);
        },
      };
    };
    obj[`${name}Items`] = (payload = {}, options) => client.paginate({ ...target(spec, payload, options), maxItems: payload.maxItems });
  }
  return obj;
}

function versionObject(client, resources) {
  const obj = {};
  for (const [resource, methods] of resources) {
    let built;
    Object.defineProperty(obj, resource, { enumerable: true, get: () => (built ??= resourceObject(client, methods)) });
  }
  return obj;
}

function namespaceObject(client, ns, helperClient) {
  const versions = catalogIndex().get(ns);
  const obj = {};
  const built = new Map();
  const version = (v) => {
    if (!built.has(v)) built.set(v, versionObject(client, versions.get(v)));
    return built.get(v);
  };
  for (const v of versions.keys()) Object.defineProperty(obj, v, { enumerable: true, get: () => version(v) });
  for (const [name, helper] of Object.entries(HELPERS[ns] ?? {})) {
    Object.defineProperty(obj, name, { enumerable: false, value: (...args) => helper(helperClient(client), ...args) });
  }
  const alias = ALIASES[ns];
  if (alias) {
    for (const resource of versions.get(alias).keys()) {
      if (!(resource in obj)) Object.defineProperty(obj, resource, { enumerable: false, get: () => version(alias)[resource] });
    }
  }
  return obj;
}

/**
 * Adds the namespaces (client.im, client.drive, ...) to a client class, lazily per instance.
 * `helperClient(client)`: the client the package's helpers (client.im.send, …) call through.
 */
export function installCatalog(ClientClass, helperClient = (client) => client) {
  const cache = new WeakMap();
  for (const ns of NAMESPACES) {
    Object.defineProperty(ClientClass.prototype, ns, {
      configurable: true,
      get() {
        let spaces = cache.get(this);
        if (!spaces) cache.set(this, (spaces = {}));
        return (spaces[ns] ??= namespaceObject(this, ns, helperClient));
      },
    });
  }
}

/** Adds client.oauth (lazily per instance). */
export function installOAuth(ClientClass, helperClient = (client) => client) {
  const cache = new WeakMap();
  Object.defineProperty(ClientClass.prototype, 'oauth', {
    configurable: true,
    get() {
      if (!cache.has(this)) cache.set(this, oauthFor(helperClient(this)));
      return cache.get(this);
    },
  });
}

/** Call with a tenant access token of your own (like the official lark.withTenantToken). */
export const withTenantToken = (tenantAccessToken) => ({ accessToken: tenantAccessToken });
/** Call as a user (like lark.withUserAccessToken). */
export const withUserAccessToken = (userAccessToken) => ({ userAccessToken });
/** Call for a marketplace app's tenant (like lark.withTenantKey). */
export const withTenantKey = (tenantKey) => ({ tenantKey });
/** Merges several option objects (like lark.withAll). */
/** Sends the client's helpDeskId / helpDeskToken with this call (like lark.withHelpDeskCredential). */
export const withHelpDeskCredential = () => ({ helpDeskCredential: true });
export const withAll = (list) => list.reduce((acc, o) => ({ ...acc, ...o, headers: { ...acc.headers, ...o?.headers } }), {});
