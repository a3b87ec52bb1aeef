// A tiny test harness that runs the same way in Node, Deno and workerd: no runtime APIs.
export class AssertionError extends Error {}

export function assert(cond, message = 'assertion failed') {
  if (!cond) throw new AssertionError(message);
}

export function assertEqual(actual, expected, message = '') {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new AssertionError(`${message}${message ? ': ' : ''}expected ${e}, got ${a}`);
}

export async function assertRejects(promiseOrFn, check, message = 'expected a rejection') {
  try {
    await (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn);
  } catch (e) {
    if (check) await check(e);
    return e;
  }
  throw new AssertionError(message);
}

/** Runs `tests` ([{name, fn, skip?}]) one after the other; returns {passed, failed, skipped, lines}. */
export async function runTests(label, tests, ctx) {
  const lines = [];
  let passed = 0, failed = 0, skipped = 0;
  for (const t of tests) {
    if (t.skip?.(ctx)) {
      skipped++;
      lines.push(`skip - ${t.name}`);
      continue;
    }
    const started = Date.now();
    try {
      await t.fn(ctx);
      passed++;
      lines.push(`ok - ${t.name} (${Date.now() - started} ms)`);
    } catch (e) {
      failed++;
      lines.push(`not ok - ${t.name}: ${e?.stack ?? e}`);
    }
  }
  lines.push(`${label}: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  return { passed, failed, skipped, lines };
}
