#!/usr/bin/env bash
# npm pack pkg/ → install the tarball into a fresh consumer → `tsc --strict` a sample of the
# contract → import the installed package by name in Node (resolving the `node` export).
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
work="$ROOT/tests/.tmp/consumer"
rm -rf "$work" && mkdir -p "$work"
tarball=$(cd "$work" && npm pack "$ROOT/pkg" --silent --loglevel=error | tail -n1)
cd "$work"
echo '{"name":"consumer","private":true,"type":"module"}' > package.json
npm install --no-audit --no-fund --loglevel=error "./$tarball" >/dev/null
cp "$ROOT/tests/types/sample.ts" "$ROOT/tests/types/official-readme.ts" "$ROOT/tests/types/tsconfig.json" .
node "$ROOT/tests/types/gen-schema-sample.mjs" schema-sample.ts
sed -i 's/"files": \["sample.ts", "official-readme.ts"\]/"files": ["sample.ts", "official-readme.ts", "schema-sample.ts"]/' tsconfig.json
started=$(date +%s%N)
tsc -p tsconfig.json
echo "tsc --strict on the consumer: $(( ($(date +%s%N) - started) / 1000000 )) ms"
node -e "import('feishu-edge').then(m => { if (typeof m.FeishuClient !== 'function' || typeof m.FeishuError !== 'function') process.exit(1); console.log('installed package imports: ok') })"
echo "types: 3 passed, 0 failed"
# README.md's code: every JS/TS block compiled with tsc --strict.
node "$ROOT/tests/readme/check.mjs" "$ROOT"
# README.md's complete programs, each run in its runtime (workerd, Deno, Node) against the emulator.
node "$ROOT/tests/readme/runtimes.mjs" "$ROOT"
