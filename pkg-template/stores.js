// Adapters from the host's strongly consistent stores to the SDK's store interface
// (get / put with {expirationTtl} / delete / atomic putIfAbsent). Usable as `tokenStore` and as
// `dedupeStore`. They hold no SDK logic: what is stored, when, and for how long is the core's.

const expiresAt = (options) => (options?.expirationTtl ? Date.now() + options.expirationTtl * 1000 : null);
const live = (entry) => entry != null && (entry.expiresAt == null || entry.expiresAt > Date.now());

/**
 * The Durable Object behind `durableObjectStore`: one object per key, so every operation on a
 * key is serialized by the runtime (input gates), across isolates and colos. Expired entries
 * are removed by an alarm. Export it from your Worker and bind it (see the README).
 */
export class FeishuStateObject {
  #storage;

  constructor(state) {
    this.#storage = state.storage;
  }

  async fetch(request) {
    let op;
    try {
      op = await request.json();
    } catch {
      return new Response('bad request', { status: 400 });
    }
    const storage = this.#storage;
    let entry = await storage.get('entry');
    if (entry && !live(entry)) {
      await storage.delete('entry');
      entry = undefined;
    }
    const write = async () => {
      const next = { value: String(op.value), expiresAt: op.expiresAt ?? null };
      await storage.put('entry', next);
      if (next.expiresAt != null) await storage.setAlarm(next.expiresAt);
    };
    switch (op.op) {
      case 'get':
        return Response.json({ value: entry?.value ?? null });
      case 'put':
        await write();
        return Response.json({ ok: true });
      case 'putIfAbsent':
        if (entry) return Response.json({ written: false });
        await write();
        return Response.json({ written: true });
      case 'delete':
        await storage.deleteAll();
        return Response.json({ ok: true });
      default:
        return new Response('unknown operation', { status: 400 });
    }
  }

  async alarm() {
    const entry = await this.#storage.get('entry');
    if (!entry || !live(entry)) await this.#storage.deleteAll();
    else if (entry.expiresAt != null) await this.#storage.setAlarm(entry.expiresAt);
  }
}

/**
 * A store on a Durable Object namespace bound to `FeishuStateObject`: strongly consistent,
 * with an atomic `putIfAbsent`.
 * @example new EventDispatcher({ encryptKey, dedupeStore: durableObjectStore(env.FEISHU_STATE) })
 */
export function durableObjectStore(namespace) {
  if (!namespace || typeof namespace.idFromName !== 'function' || typeof namespace.get !== 'function') {
    throw new TypeError('durableObjectStore needs a Durable Object namespace binding (env.FEISHU_STATE) whose class is FeishuStateObject');
  }
  const call = async (body) => {
    const stub = namespace.get(namespace.idFromName(body.key));
    const res = await stub.fetch('https://feishu-edge.state/', { method: 'POST', body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`the FeishuStateObject answered HTTP ${res.status}`);
    return res.json();
  };
  return {
    async get(key) { return (await call({ op: 'get', key })).value; },
    async put(key, value, options) { await call({ op: 'put', key, value, expiresAt: expiresAt(options) }); },
    async delete(key) { await call({ op: 'delete', key }); },
    async putIfAbsent(key, value, options) { return (await call({ op: 'putIfAbsent', key, value, expiresAt: expiresAt(options) })).written; },
  };
}

/**
 * A store on Deno KV (`await Deno.openKv()`): strongly consistent, `putIfAbsent` through
 * `kv.atomic().check()`. Keys live under `prefix` (default `['feishu-edge']`).
 * @example new EventDispatcher({ encryptKey, dedupeStore: denoKvStore(await Deno.openKv()) })
 */
export function denoKvStore(kv, { prefix = ['feishu-edge'] } = {}) {
  if (!kv || typeof kv.get !== 'function' || typeof kv.atomic !== 'function') {
    throw new TypeError('denoKvStore needs a Deno.Kv (await Deno.openKv())');
  }
  const k = (key) => [...prefix, key];
  // Deno KV removes expired keys eventually, not at once: the expiry is checked on read too.
  const entry = (value, options) => ({ value: String(value), expiresAt: expiresAt(options) });
  const expireIn = (options) => (options?.expirationTtl ? { expireIn: options.expirationTtl * 1000 } : undefined);
  return {
    async get(key) {
      const r = await kv.get(k(key));
      return live(r.value) ? r.value.value : null;
    },
    async put(key, value, options) { await kv.set(k(key), entry(value, options), expireIn(options)); },
    async delete(key) { await kv.delete(k(key)); },
    async putIfAbsent(key, value, options) {
      const current = await kv.get(k(key));
      if (live(current.value)) return false;
      const r = await kv.atomic().check(current).set(k(key), entry(value, options), expireIn(options)).commit();
      return r.ok;
    },
  };
}

/**
 * A store on Redis for Node: a connected `redis` (node-redis) or `ioredis` client.
 * `putIfAbsent` is `SET key value NX PX ttl`. Keys are prefixed with `prefix` (default none).
 * @example new EventDispatcher({ encryptKey, dedupeStore: redisStore(await createClient({ url }).connect()) })
 */
export function redisStore(client, { prefix = '' } = {}) {
  let command;
  if (client && typeof client.call === 'function' && typeof client.status === 'string') command = (args) => client.call(...args); // ioredis
  else if (client && typeof client.sendCommand === 'function') command = (args) => client.sendCommand(args); // node-redis
  else throw new TypeError('redisStore needs a connected redis (node-redis) or ioredis client');
  const px = (options) => (options?.expirationTtl ? ['PX', String(Math.ceil(options.expirationTtl * 1000))] : []);
  return {
    async get(key) { return (await command(['GET', prefix + key])) ?? null; },
    async put(key, value, options) { await command(['SET', prefix + key, String(value), ...px(options)]); },
    async delete(key) { await command(['DEL', prefix + key]); },
    async putIfAbsent(key, value, options) { return (await command(['SET', prefix + key, String(value), 'NX', ...px(options)])) === 'OK'; },
  };
}
