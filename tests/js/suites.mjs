// The one list of the JS suites every runtime runs (Node, Deno, workerd, Chromium): a runner
// imports `suites` and takes them all, or the names given to it.
import { clientTests } from './client-suite.mjs';
import { webhookTests } from './webhook-suite.mjs';
import { cardTests } from './card-suite.mjs';
import { catalogTests, parseCatalog } from './catalog-suite.mjs';
import { helperTests } from './helpers-suite.mjs';
import { trustTests } from './trust-suite.mjs';
import { errorTests } from './errors-suite.mjs';
import { emulatorTests } from './emulator-suite.mjs';
import { webhookEntryTests } from './webhook-entry-suite.mjs';
import { hardeningTests } from './hardening-suite.mjs';
import { wsTests } from './ws-suite.mjs';
import { migrationTests } from './migration-suite.mjs';

export { parseCatalog };

export const suites = {
  client: clientTests,
  webhook: webhookTests,
  card: cardTests,
  catalog: catalogTests,
  helpers: helperTests,
  trust: trustTests,
  errors: errorTests,
  emulator: emulatorTests,
  'webhook-entry': webhookEntryTests,
  hardening: hardeningTests,
  ws: wsTests,
  migration: migrationTests,
};

/** The tests of the named suites (all when `names` is empty); an unknown name throws. */
export function selectTests(names = []) {
  const unknown = names.filter((n) => !(n in suites));
  if (unknown.length) throw new Error(`unknown suite(s) ${unknown.join(', ')}; known: ${Object.keys(suites).join(', ')}`);
  return (names.length ? names : Object.keys(suites)).flatMap((n) => suites[n]);
}
