# Shared by the scripts: paths and tool locations. Source it, do not run it.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$ROOT/node_modules/.bin:$PATH"
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false DENO_NO_UPDATE_CHECK=1
export DENO_DIR="${DENO_DIR:-$ROOT/target/deno-cache}"
CRATE=feishu_edge
step() { printf '\n== %s\n' "$*"; }
