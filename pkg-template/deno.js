// Deno entry: the bundler entry (the wasm imported as a module) plus the synchronous helpers,
// since Deno's node:crypto is always synchronous.
export * from './bundler.js';
export * from './sync-helpers.js';
// `import lark from 'feishu-edge'`: every name, the synchronous helpers included.
import * as lark from './deno.js';
export default lark;
