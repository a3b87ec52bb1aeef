// Shared helpers for the benchmarks: statistics, the emulator as a child process, child timing.
import { spawn, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const APP = { appId: 'cli_0123456789abcdef', appSecret: 'emu_secret_value' };

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Starts the emulator in its own process so it does not share the benchmark's event loop. */
export async function emulatorProcess() {
  const child = spawn(process.execPath, [`${ROOT}/tests/emulator/server.mjs`, '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    child.stdout.once('data', (d) => resolve(String(d).trim()));
    child.once('exit', (c) => reject(new Error(`emulator exited ${c}`)));
  });
  const control = (path, body) => fetch(url + path, { method: body === undefined ? 'GET' : 'POST', body: body && JSON.stringify(body) }).then((r) => r.json());
  return { url, control, stop: () => child.kill() };
}

/** Runs `node --input-type=module -e code` and parses the JSON it prints last. */
export function nodeChild(code, cwd = ROOT) {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.trim().split('\n').pop());
}

/** A fresh cache for the official SDK (its default cache is shared module-wide across clients). */
export function freshOfficialCache() {
  const map = new Map();
  const k = (key, o) => `${o?.namespace ?? ''}/${String(key)}`;
  return {
    async set(key, value, expire, options) { map.set(k(key, options), { value, expire }); return true; },
    async get(key, options) { const e = map.get(k(key, options)); return e && (!e.expire || e.expire > Date.now()) ? e.value : undefined; },
  };
}
