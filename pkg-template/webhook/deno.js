// feishu-edge/webhook for Deno: the bundler entry plus the synchronous helpers.
export * from './bundler.js';
export * from './sync-helpers.js';
