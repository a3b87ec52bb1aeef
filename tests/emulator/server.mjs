// The repository's emulator is the package's own (feishu-edge/testing). Run alone:
// `node tests/emulator/server.mjs [port]` prints its base URL.
import { startEmulator } from '../../pkg/testing/emulator.js';

export { startEmulator };

if (import.meta.url === `file://${process.argv[1]}`) {
  const emu = await startEmulator({ port: Number(process.argv[2] ?? 0) });
  console.log(emu.url);
}
